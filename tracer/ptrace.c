/*
 * ptrace.c - count BLAS and LAPACK calls with breakpoints.
 *
 * The command runs under ptrace with no preload library.  Every entry
 * point named in opc_routines[] is found in the executable and in each
 * shared object as it is mapped (libelf on the mapped files: .symtab and
 * .dynsym, so a statically linked program is covered), and gets an int3.
 * Library loads are followed through the dynamic linker's rendezvous: a
 * breakpoint on _dl_debug_state (r_debug.r_brk), which ld.so calls
 * whenever its list of objects changed, including dlopen(RTLD_LOCAL).
 *
 * At an entry hit the arguments are decoded from the registers and
 * memory (argdecode.c: the same table and the same normalisation as the
 * preload wrappers), and the return address on the stack is replaced
 * with the routine's own entry address: the return then traps on the
 * same int3 with the stack pointer 8 above the entry's, which tells it
 * from a call, and the thread resumes at the real return address.  So a
 * call costs two stops and one single-step (of the instruction under the
 * entry int3), and no breakpoint is planted in the caller's code.
 *
 * Calls made while the thread is inside a counted call (LAPACK calling
 * dgemm_) are not counted, as in the preload library.  Counts are
 * aggregated per (thread, routine, call site, shape) and written per
 * interval like preload/collector.c writes them.
 *
 * Fork children are followed (run or attached), each with a trace of its
 * own; an exec ends the image's trace with an EXEC record and starts a new
 * one for the new image (trace_name), as the library does.
 */
#include <elf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <libunwind-ptrace.h>
#include <limits.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "argdecode.h"
#include "energy.h"
#include "inject_abi.h"
#include "insn.h"
#include "log.h"
#include "ptrace.h"
#include "routines.h"
#include "trace.h"

#define BP_ENTRY	1
#define BP_DLSTATE	2
#define BP_START	3	/* the program's entry point: inject there (--inject) */
#define BP_PATCH	4	/* not a breakpoint: a jump to the injected wrapper */
#define BP_REDIRECT	5	/* an int3 that sends the thread to the injected wrapper */

struct bp {
	uint64_t addr;		/* 0: empty slot */
	uint8_t orig;
	uint8_t kind;
	uint16_t mod;		/* module index */
	int rid;
	int ool;		/* out-of-line copy: -1 unknown, 0 none, else its slot */
	uint64_t wrap;		/* BP_REDIRECT: the wrapper */
	uint8_t porig[8];	/* BP_PATCH: the bytes the jump replaced */
	uint8_t plen;
};

/* Injection (--inject) of the current image: */
#define INJ_OFF		0	/* breakpoints */
#define INJ_PENDING	1	/* waiting for a safe point: only _dl_debug_state planted */
#define INJ_ACTIVE	2	/* the library counts; entries jump to its wrappers */

/*
 * The scratch area mapped into the tracee: at its start an int3 that
 * counted calls return to (their return address is replaced with it),
 * then one slot per breakpoint with a copy of the instruction under the
 * int3 and an absolute jump back behind it.  Executing that copy instead
 * of restoring the byte in place means the int3 is never missing, so a
 * thread running through the entry at the same time is never missed.
 */
#define SCRATCH_SIZE	(64 * 1024)
#define SLOT_SIZE	32
/* Offset in the scratch area of the int3 that calls the tracer makes the
 * tracee run (--inject) return to; the first slot starts at SLOT_SIZE. */
#define INJ_RET_OFF	8
/* The last ARG_AREA bytes of the scratch area: arguments of those calls. */
#define ARG_AREA	8192

struct module {
	char *path;
	uint64_t bias, lo, hi;
	uint64_t near, near_used;	/* --inject: trampolines within reach of its code */
	int present;		/* seen in the last maps scan */
	int gone;		/* unmapped: its breakpoints were dropped */
};

struct thr {
	pid_t tid;
	int in_call;
	uint64_t entry, ret, entry_sp;
	uint64_t t0;
	uint32_t key;
	int stopped;		/* detaching: stopped for good */
	int pend_sig;		/* to pass on when it is resumed */
	int listening;		/* in a group-stop (PTRACE_LISTEN) */
	/* stack samples (--stacks) */
	uint64_t cpu_ns;	/* its CPU time at the last tick */
	uint64_t call_ns;	/* time in counted calls, cumulative */
	uint64_t call_ns_tick;	/* ... at the last tick */
	int sample_pending;	/* interrupted for a sample */
	int lib_thread;		/* started by the injected library (its collector) */
	uint64_t sample_t, sample_w;
	struct thr *next;
};

struct pkey {
	int rid;
	pid_t tid;
	uint64_t site;
	struct opc_shape shape;
	uint64_t flops, bytes;	/* per call */
	uint32_t stack;
	uint64_t calls, ns;	/* cumulative */
	uint64_t h_calls, h_ns;	/* at the last interval */
};

/* A fork child: announced by its parent's event and by its own first
 * stop, in either order; released when both were seen. */
struct child {
	pid_t pid;
	int announced, vfork, stopped;
	struct tracer *parent;
};

/* One traced process: its breakpoints, threads, keys and trace file.  A
 * fork child gets its own, copied from its parent's; an exec starts them
 * all anew, with a new trace. */
struct tracer {
	pid_t pid;		/* the process */
	pid_t ppid;
	unsigned image;		/* execs since it was first traced */
	char path[PATH_MAX];	/* its trace */
	struct tracer *next;
	uint64_t scratch;	/* its address in the tracee, 0 if none */
	uint32_t nslots;
	struct bp *bps;
	size_t nbp, bpcap;
	struct module *mods;
	size_t nmods;
	struct thr *threads;
	uint64_t nthreads;
	struct pkey *keys;	/* [0] unused: ids start at 1 */
	uint32_t nkeys, keycap;
	uint32_t *keyidx;	/* hash: key id, 0 = empty */
	uint32_t keyidx_cap;
	struct opc_strtab strs;
	struct opc_writer w;
	uint64_t t0_ns, t_last_ns;
	uint64_t dropped;
	struct opc_energy energy;	/* its own source: opened with its trace */
	int energy_on;
	/* --stacks: interned stacks, samples of the last tick */
	unw_addr_space_t unw;
	struct pstack {
		uint64_t hash;
		uint32_t id, depth;
		uint64_t *frames;
	} *stk;			/* open addressing, id 0 = empty */
	uint32_t stkcap, nstk;
	struct opc_rec_sample_ent *smp;
	size_t nsmp, smpcap;
	/* --inject */
	int inj;		/* INJ_* */
	int lib_mod;		/* the injected library's module, -1 if none */
	uint64_t lib_real;	/* its opc_real_fn[] */
	uint64_t lib_end;	/* opcount_inject_end */
	uint64_t *wrap;		/* by rid: its wrapper, 0 if none */
	uint8_t *rid_done;	/* by rid: a definition already jumps to the wrapper */
	unsigned npatched, nredirect;
};

static struct tracer *cur;	/* the process whose stop is being handled */
static struct tracer *procs;	/* every traced process */
#define T (*cur)
static struct child *forks;	/* fork children not yet adopted or released */
static size_t nforks;
static int detaching;		/* fork children are let go, not adopted */
static const char *out_pattern;	/* -o FILE */
static opc_expand_fn out_expand;
static pid_t root_pid;		/* the command, or the process attached to */
static struct opc_ptrace_opts opts;
static int energy_warned;

static volatile sig_atomic_t tick_due, stop_due;

static void on_stop(int sig)
{
	(void)sig;
	stop_due = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

/* ---- routine names ---------------------------------------------------- */

static int *rname_idx;		/* hash of opc_routines[].symbol: rid + 1 */
static uint32_t rname_cap;

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void rnames_init(void)
{
	rname_cap = 2048;
	while (rname_cap < 4u * opc_nroutines)
		rname_cap *= 2;
	rname_idx = calloc(rname_cap, sizeof(*rname_idx));
	for (int rid = 0; rid < opc_nroutines; rid++) {
		uint32_t i = str_hash(opc_routines[rid].symbol) & (rname_cap - 1);

		/* GPU calls return before their work is done: a breakpoint
		 * would time nothing; they are the preload library's */
		if (opc_iface_gpu(opc_routines[rid].iface))
			continue;
		while (rname_idx[i])
			i = (i + 1) & (rname_cap - 1);
		rname_idx[i] = rid + 1;
	}
}

static int rname_find(const char *s)
{
	uint32_t i = str_hash(s) & (rname_cap - 1);

	while (rname_idx[i]) {
		if (!strcmp(opc_routines[rname_idx[i] - 1].symbol, s))
			return rname_idx[i] - 1;
		i = (i + 1) & (rname_cap - 1);
	}
	return -1;
}

/* ---- tracee memory ---------------------------------------------------- */

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t n)
{
	pid_t tid = (pid_t)(intptr_t)ctx;
	struct iovec local = { buf, n }, remote = { (void *)(uintptr_t)addr, n };

	if (process_vm_readv(tid, &local, 1, &remote, 1, 0) == (ssize_t)n)
		return 0;
	/* not readable that way (a page the kernel will not lend): word by word */
	for (size_t o = 0; o < n; o += 8) {
		errno = 0;
		long v = ptrace(PTRACE_PEEKDATA, tid, (void *)(uintptr_t)(addr + o), NULL);

		if (errno)
			return -errno;
		memcpy((char *)buf + o, &v, n - o < 8 ? n - o : 8);
	}
	return 0;
}

static int poke_byte(pid_t tid, uint64_t addr, uint8_t b, uint8_t *old)
{
	errno = 0;
	long v = ptrace(PTRACE_PEEKTEXT, tid, (void *)(uintptr_t)addr, NULL);

	if (errno)
		return -errno;
	if (old)
		*old = (uint8_t)v;
	v = (v & ~0xffL) | b;
	if (ptrace(PTRACE_POKETEXT, tid, (void *)(uintptr_t)addr, (void *)v) < 0)
		return -errno;
	return 0;
}

static int poke_u64(pid_t tid, uint64_t addr, uint64_t v)
{
	return ptrace(PTRACE_POKEDATA, tid, (void *)(uintptr_t)addr, (void *)v) < 0 ? -errno : 0;
}

/* ---- breakpoints ------------------------------------------------------ */

static struct bp *bp_find(uint64_t addr)
{
	if (T.bpcap == 0)
		return NULL;
	size_t i = hash64(addr) & (T.bpcap - 1);

	while (T.bps[i].addr) {
		if (T.bps[i].addr == addr)
			return &T.bps[i];
		i = (i + 1) & (T.bpcap - 1);
	}
	return NULL;
}

static struct bp *bp_slot(uint64_t addr)
{
	if ((T.nbp + 1) * 2 > T.bpcap) {
		struct bp *old = T.bps;
		size_t oldcap = T.bpcap;

		T.bpcap = oldcap ? oldcap * 2 : 1024;
		T.bps = calloc(T.bpcap, sizeof(*T.bps));
		if (T.bps == NULL) {
			pr_err("out of memory");
			exit(1);
		}
		for (size_t j = 0; j < oldcap; j++) {
			if (!old[j].addr)
				continue;
			size_t i = hash64(old[j].addr) & (T.bpcap - 1);

			while (T.bps[i].addr)
				i = (i + 1) & (T.bpcap - 1);
			T.bps[i] = old[j];
		}
		free(old);
	}
	size_t i = hash64(addr) & (T.bpcap - 1);

	while (T.bps[i].addr && T.bps[i].addr != addr)
		i = (i + 1) & (T.bpcap - 1);
	return &T.bps[i];
}

static int bp_plant(uint64_t addr, int kind, int rid, int mod)
{
	struct bp *b = bp_slot(addr);
	uint8_t orig;
	int err;

	if (b->addr)
		return 0;	/* an alias of a routine already planted */
	if ((err = poke_byte(T.pid, addr, 0xcc, &orig)) < 0)
		return err;
	b->addr = addr;
	b->orig = orig;
	b->kind = kind;
	b->rid = rid;
	b->mod = mod;
	b->ool = -1;
	T.nbp++;
	return 0;
}

/* Rebuilds the table without the breakpoints of modules that are gone
 * (their addresses may be reused by the next library mapped). */
static void bp_drop_gone(void)
{
	struct bp *old = T.bps;
	size_t oldcap = T.bpcap;

	T.bps = NULL;
	T.bpcap = 0;
	T.nbp = 0;
	for (size_t j = 0; j < oldcap; j++)
		if (old[j].addr && !T.mods[old[j].mod].gone) {
			struct bp *b = bp_slot(old[j].addr);

			*b = old[j];
			T.nbp++;
		}
	free(old);
}

/* ---- trace writing ---------------------------------------------------- */

static void emit_module(const struct module *m)
{
	if (T.w.fd < 0)
		return;	/* --inject: the library writes the trace */
	opc_writer_module(&T.w, m->bias, m->lo, m->hi, m->path);
}

static void emit_key(uint32_t id)
{
	const struct pkey *pk = &T.keys[id];
	struct opc_rec_key *k = opc_writer_key(&T.w, &T.strs, id, pk->rid);

	if (k == NULL)
		return;
	k->site = pk->site;
	k->stack = pk->stack;
	k->flops = pk->flops;
	k->bytes = pk->bytes;
	for (int i = 0; i < 4; i++)
		k->d[i] = pk->shape.d[i];
	memcpy(k->f, pk->shape.f, 4);
	k->tid = pk->tid;
	opc_writer_end(&T.w);
}

static uint32_t key_hash(int rid, pid_t tid, uint64_t site, const struct opc_shape *s)
{
	uint64_t h = hash64(site ^ ((uint64_t)rid << 48) ^ ((uint64_t)(uint32_t)tid << 16));

	for (int i = 0; i < OPC_SHAPE_DIMS; i++)
		h = hash64(h ^ (uint64_t)s->d[i]);
	uint32_t f;

	memcpy(&f, s->f, 4);
	return (uint32_t)hash64(h ^ f);
}

static uint32_t unwind_stack(pid_t tid, int skip);
static void emit_samples(void);

static uint32_t key_intern(int rid, pid_t tid, uint64_t site, const struct opc_shape *s)
{
	uint32_t i;

	if ((T.nkeys + 2) * 2 > T.keyidx_cap) {
		T.keyidx_cap = T.keyidx_cap ? T.keyidx_cap * 2 : 1024;
		free(T.keyidx);
		T.keyidx = calloc(T.keyidx_cap, sizeof(*T.keyidx));
		for (uint32_t id = 1; id <= T.nkeys; id++) {
			struct pkey *k = &T.keys[id];

			i = key_hash(k->rid, k->tid, k->site, &k->shape) & (T.keyidx_cap - 1);
			while (T.keyidx[i])
				i = (i + 1) & (T.keyidx_cap - 1);
			T.keyidx[i] = id;
		}
	}
	i = key_hash(rid, tid, site, s) & (T.keyidx_cap - 1);
	while (T.keyidx[i]) {
		struct pkey *k = &T.keys[T.keyidx[i]];

		if (k->rid == rid && k->tid == tid && k->site == site &&
		    !memcmp(&k->shape, s, sizeof(*s)))
			return T.keyidx[i];
		i = (i + 1) & (T.keyidx_cap - 1);
	}
	if (T.nkeys + 2 > T.keycap) {
		T.keycap = T.keycap ? T.keycap * 2 : 256;
		T.keys = realloc(T.keys, T.keycap * sizeof(*T.keys));
	}
	uint32_t id = ++T.nkeys;
	struct pkey *k = &T.keys[id];
	struct opc_cost c;

	memset(k, 0, sizeof(*k));
	k->rid = rid;
	k->tid = tid;
	k->site = site;
	k->shape = *s;
	opc_routine_cost(rid, s, &c);
	k->flops = c.flops;
	k->bytes = c.bytes;
	/* the stack of its first call, from the call site up, as the library
	 * records it (the thread is at the routine's entry: frame 0 skipped) */
	k->stack = opts.stacks ? unwind_stack(tid, 1) : 0;
	T.keyidx[i] = id;
	emit_key(id);
	return id;
}

/* One INTERVAL record with what changed since the last one, after the
 * energy sample of the same tick (as the preload collector writes them). */
static void emit_interval(void)
{
	uint64_t abs_ns = now_ns(), now = abs_ns - T.t0_ns;
	uint32_t count = 0;

	emit_samples();
	/* at every tick, calls or not: idle time costs energy too */
	if (T.energy_on)
		opc_energy_write_sample(&T.w, &T.energy, abs_ns, now);

	for (uint32_t id = 1; id <= T.nkeys; id++)
		count += T.keys[id].calls != T.keys[id].h_calls;
	if (count) {
		struct opc_rec_interval *iv = opc_writer_begin(&T.w, OPC_REC_INTERVAL, sizeof(*iv));

		if (iv) {
			iv->t_begin_ns = T.t_last_ns;
			iv->t_end_ns = now;
			iv->count = count;
			for (uint32_t id = 1; id <= T.nkeys; id++) {
				struct pkey *k = &T.keys[id];
				uint64_t dc = k->calls - k->h_calls;

				if (!dc)
					continue;
				opc_writer_varint(&T.w, id);
				opc_writer_varint(&T.w, dc);
				opc_writer_varint(&T.w, dc);
				opc_writer_varint(&T.w, k->ns - k->h_ns);
				opc_writer_varint(&T.w, dc * k->flops);
				opc_writer_varint(&T.w, dc * k->bytes);
				k->h_calls = k->calls;
				k->h_ns = k->ns;
			}
			opc_writer_end(&T.w);
		}
	}
	T.t_last_ns = now;
	opc_writer_flush(&T.w);
}

static void info_kv(const char *key, const char *val)
{
	char line[8192];
	int n = snprintf(line, sizeof(line), "%s=%s", key, val);

	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	opc_writer_append(&T.w, line, n + 1);
}

/* The process's command line, arguments separated by spaces. */
static void cmdline_of(pid_t pid, char *out, size_t len)
{
	char path[64];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((f = fopen(path, "re"))) {
		n = fread(out, 1, len - 1, f);
		fclose(f);
	}
	for (size_t i = 0; i < n; i++)
		if (!out[i])
			out[i] = ' ';
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = 0;
}

static void emit_info(void)
{
	char buf[4096] = "", host[256] = "";

	if (opc_writer_begin(&T.w, OPC_REC_INFO, 0) == NULL)
		return;
	info_kv("opcount_version", OPC_VERSION);
	info_kv("mode", "ptrace");
	snprintf(buf, sizeof(buf), "/proc/%d/exe", (int)T.pid);
	char exe[PATH_MAX];
	ssize_t n = readlink(buf, exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = 0;
	info_kv("exe", exe);
	/* read, not passed: a fork child's or an exec'd image's is its own */
	cmdline_of(T.pid, buf, sizeof(buf));
	info_kv("cmdline", buf);
	gethostname(host, sizeof(host) - 1);
	info_kv("host", host);
	snprintf(buf, sizeof(buf), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	info_kv("ncpu", buf);
	info_kv("tsc", "0");
	/* measured by `opcount record --idle-baseline` before the run */
	if (getenv("OPCOUNT_IDLE_W") && *getenv("OPCOUNT_IDLE_W"))
		info_kv("idle_w", getenv("OPCOUNT_IDLE_W"));
	opc_writer_end(&T.w);
}

static int trace_open(const char *path)
{
	struct opc_file_header h;
	struct timespec rt;
	char msg[1280];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		pr_err("cannot create trace %s: %s", path, strerror(errno));
		return -1;
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, OPC_TRACE_MAGIC, 8);
	h.version = OPC_TRACE_VERSION;
	h.min_version = OPC_TRACE_MIN_VERSION;
	h.header_size = sizeof(h);
	h.byte_order = OPC_BYTE_ORDER_MARK;
	h.frame_header_size = sizeof(struct opc_frame);
	clock_gettime(CLOCK_REALTIME, &rt);
	T.t0_ns = now_ns();
	h.start_realtime_ns = (uint64_t)rt.tv_sec * 1000000000u + rt.tv_nsec;
	h.pid = T.pid;
	h.ppid = T.ppid ? T.ppid : getpid();
	snprintf(T.path, sizeof(T.path), "%s", path);
	h.interval_ns = 1000000000u / opts.hz;
	h.features = opts.stacks ? OPC_FEAT_STACKS | OPC_FEAT_SAMPLES : 0;
	if (opc_writer_open(&T.w, fd, &h) < 0) {
		close(fd);
		T.w.fd = -1;
		return -1;
	}
	emit_info();
	/* The tracee's energy from its trace's time 0, like the library's:
	 * the same sources, options and records (tracer/energy.c). */
	T.energy_on = opc_energy_start(&T.energy, opts.energy, T.pid, T.t0_ns, msg, sizeof(msg));
	if (msg[0] && !energy_warned++)
		pr_warn("energy: %s", msg);
	if (T.energy_on || !strcmp(T.energy.source, "none"))
		opc_energy_write_info(&T.w, &T.energy);
	return 0;
}

/* ---- symbols ---------------------------------------------------------- */

/* Plants a breakpoint on every routine (and on _dl_debug_state) that the
 * ELF file of module mi defines. */
static void patch_entry(int mi, uint64_t addr, int rid, uint64_t size);

static void module_scan(int mi)
{
	struct module *m = &T.mods[mi];
	int fd = open(m->path, O_RDONLY | O_CLOEXEC);
	Elf *e;
	Elf_Scn *scn = NULL;
	int planted = 0;

	if (fd < 0)
		return;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	while (e && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		if (!(d = elf_getdata(scn, NULL)) || sh.sh_entsize == 0)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			int rid, kind = BP_ENTRY;

			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    sym.st_value == 0 || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (name == NULL)
				continue;
			rid = rname_find(name);
			if (rid < 0) {
				if (strcmp(name, "_dl_debug_state"))
					continue;
				kind = BP_DLSTATE;
			}
			uint64_t addr = sym.st_value + m->bias;

			if (addr < m->lo || addr >= m->hi)
				continue;
			if (kind == BP_ENTRY && T.inj == INJ_PENDING)
				continue;	/* the library is not loaded yet */
			if (kind == BP_ENTRY && T.inj == INJ_ACTIVE) {
				patch_entry(mi, addr, rid, sym.st_size);
				continue;
			}
			if (bp_plant(addr, kind, rid, mi) == 0)
				planted++;
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	pr_dbg(1, "%s: %d breakpoints", m->path, planted);
}

/* The load bias of an ELF file whose lowest mapping starts at `lo`. */
static uint64_t elf_bias(const char *path, uint64_t lo)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t first = UINT64_MAX;
	Elf *e;
	size_t n;

	if (fd < 0)
		return lo;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (e && elf_getphdrnum(e, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr < first)
				first = ph.p_vaddr;
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	if (first == UINT64_MAX)
		return lo;
	return lo - (first & ~(uint64_t)0xfff);
}

/*
 * Reads /proc/PID/maps: every file with an executable mapping that is
 * new gets its breakpoints; modules no longer mapped are forgotten.
 */
static void maps_scan(void)
{
	char path[64], line[PATH_MAX + 256];
	FILE *f;
	int dropped = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)T.pid);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	for (size_t i = 0; i < T.nmods; i++)
		T.mods[i].present = 0;

	/* group consecutive mappings of one file */
	char curfile[PATH_MAX] = "";
	uint64_t clo = 0, chi = 0;
	int cexec = 0, czero = 0;

	for (;;) {
		char *ok = fgets(line, sizeof(line), f);
		unsigned long lo = 0, hi = 0, off = 0;
		char perms[8] = "", file[PATH_MAX] = "";

		if (ok)
			sscanf(line, "%lx-%lx %7s %lx %*s %*s %4095[^\n]", &lo, &hi, perms, &off, file);
		if (!ok || strcmp(file, curfile)) {
			if (curfile[0] == '/' && cexec && czero) {
				size_t i;

				for (i = 0; i < T.nmods; i++)
					if (!T.mods[i].gone && T.mods[i].lo == clo &&
					    !strcmp(T.mods[i].path, curfile))
						break;
				if (i < T.nmods) {
					T.mods[i].present = 1;
				} else {
					T.mods = realloc(T.mods, (T.nmods + 1) * sizeof(*T.mods));
					struct module *m = &T.mods[T.nmods];

					m->path = strdup(curfile);
					m->lo = clo;
					m->hi = chi;
					m->bias = elf_bias(curfile, clo);
					m->present = 1;
					m->gone = 0;
					T.nmods++;
					m->near = m->near_used = 0;
					emit_module(m);
					/* the injected library: its wrappers are not the program's */
					if (opts.inject && !strcmp(curfile, opts.inject))
						T.lib_mod = (int)(T.nmods - 1);
					else
						module_scan((int)(T.nmods - 1));
				}
			}
			if (!ok)
				break;
			snprintf(curfile, sizeof(curfile), "%s", file);
			clo = lo;
			chi = hi;
			cexec = 0;
			czero = 0;
		}
		if (lo < clo)
			clo = lo;
		if (hi > chi)
			chi = hi;
		cexec |= perms[2] == 'x';
		czero |= off == 0;
	}
	fclose(f);
	for (size_t i = 0; i < T.nmods; i++)
		if (!T.mods[i].present && !T.mods[i].gone) {
			T.mods[i].gone = 1;
			dropped = 1;
		}
	if (dropped)
		bp_drop_gone();
}

/* ---- threads ---------------------------------------------------------- */

static struct thr *thr_get(pid_t tid)
{
	struct thr *t;

	for (t = T.threads; t; t = t->next)
		if (t->tid == tid)
			return t;
	t = calloc(1, sizeof(*t));
	t->tid = tid;
	t->next = T.threads;
	T.threads = t;
	T.nthreads++;
	return t;
}

static void thr_forget(pid_t tid)
{
	for (struct thr **pp = &T.threads; *pp; pp = &(*pp)->next)
		if ((*pp)->tid == tid) {
			struct thr *t = *pp;

			*pp = t->next;
			free(t);
			return;
		}
}

static struct thr *thr_find(pid_t tid);

/* ---- stack samples (--stacks) ----------------------------------------- */

/* The id of a stack in the trace, writing it the first time. */
static uint32_t stack_intern(const uint64_t *frames, uint32_t depth)
{
	uint64_t h = depth;
	uint32_t i;

	if (depth == 0)
		return 0;
	for (uint32_t j = 0; j < depth; j++)
		h = hash64(h ^ frames[j]);
	if ((T.nstk + 1) * 2 > T.stkcap) {
		struct pstack *old = T.stk;
		uint32_t oldcap = T.stkcap;

		T.stkcap = oldcap ? oldcap * 2 : 256;
		T.stk = calloc(T.stkcap, sizeof(*T.stk));
		if (T.stk == NULL) {
			pr_err("out of memory");
			exit(1);
		}
		for (uint32_t j = 0; j < oldcap; j++) {
			if (!old[j].id)
				continue;
			i = old[j].hash & (T.stkcap - 1);
			while (T.stk[i].id)
				i = (i + 1) & (T.stkcap - 1);
			T.stk[i] = old[j];
		}
		free(old);
	}
	i = h & (T.stkcap - 1);
	while (T.stk[i].id) {
		if (T.stk[i].hash == h && T.stk[i].depth == depth &&
		    !memcmp(T.stk[i].frames, frames, depth * sizeof(*frames)))
			return T.stk[i].id;
		i = (i + 1) & (T.stkcap - 1);
	}
	T.stk[i].frames = malloc(depth * sizeof(*frames));
	if (T.stk[i].frames == NULL)
		return 0;
	memcpy(T.stk[i].frames, frames, depth * sizeof(*frames));
	T.stk[i].hash = h;
	T.stk[i].depth = depth;
	T.stk[i].id = ++T.nstk;

	struct opc_rec_stack *r = opc_writer_begin(&T.w, OPC_REC_STACK, sizeof(*r));

	if (r) {
		r->id = T.stk[i].id;
		r->depth = depth;
		opc_writer_append(&T.w, frames, depth * sizeof(*frames));
		opc_writer_end(&T.w);
	}
	return T.stk[i].id;
}

#define SAMPLE_DEPTH 64

/*
 * The stack of a stopped thread with libunwind's ptrace accessors (CFI
 * of the tracee's files), leaf first: frame 0 is where it stopped, the
 * others return addresses.  `skip` frames are left out.  0 if none.
 */
static uint32_t unwind_stack(pid_t tid, int skip)
{
	uint64_t frames[SAMPLE_DEPTH];
	uint32_t n = 0;
	unw_cursor_t c;
	void *upt;

	if (T.unw == NULL) {
		T.unw = unw_create_addr_space(&_UPT_accessors, 0);
		if (T.unw == NULL)
			return 0;
		unw_set_caching_policy(T.unw, UNW_CACHE_GLOBAL);
	}
	if ((upt = _UPT_create(tid)) == NULL)
		return 0;
	if (unw_init_remote(&c, T.unw, upt) == 0) {
		int i = 0;

		do {
			unw_word_t ip;

			if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || ip == 0)
				break;
			if (i++ >= skip)
				frames[n++] = ip;
		} while (n < SAMPLE_DEPTH && unw_step(&c) > 0);
	}
	_UPT_destroy(upt);
	return stack_intern(frames, n);
}

/* The interrupted thread's stack, with the weight asked for at the tick. */
static void sample_take(struct thr *t)
{
	uint32_t stack = unwind_stack(t->tid, 0);

	t->sample_pending = 0;
	if (stack == 0)
		return;
	if (T.nsmp == T.smpcap) {
		T.smpcap = T.smpcap ? T.smpcap * 2 : 64;
		T.smp = realloc(T.smp, T.smpcap * sizeof(*T.smp));
		if (T.smp == NULL) {
			pr_err("out of memory");
			exit(1);
		}
	}
	T.smp[T.nsmp++] = (struct opc_rec_sample_ent){ t->sample_t, (uint32_t)t->tid, stack,
						       t->sample_w };
}

/* CPU time of a thread in ns: the scheduler's own sum (schedstat), else
 * user + system ticks; 0 if it cannot be read. */
static uint64_t thread_cpu_ns(pid_t pid, pid_t tid)
{
	char path[96], buf[1024];
	unsigned long long ns = 0, ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
	if ((f = fopen(path, "re"))) {
		int ok = fscanf(f, "%llu", &ns) == 1;

		fclose(f);
		if (ok)
			return ns;
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	if (!(f = fopen(path, "re")))
		return 0;
	char *p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;

	fclose(f);
	/* after "pid (comm)": state and 10 more fields, then utime stime */
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
				&ut, &st) != 2)
		return 0;
	return (ut + st) * (1000000000ull / (unsigned long long)sysconf(_SC_CLK_TCK));
}

/*
 * At a tick (t_ns, the end of the interval just written): every thread
 * that ran outside counted calls since the last tick is interrupted, and
 * its stack is taken at that stop, weighed by that CPU time.  A thread
 * that slept, or only ran inside counted calls (whose time is already
 * the calls'), is left alone: no stop, no weight.
 */
static void sample_request(uint64_t t_ns)
{
	for (struct thr *t = T.threads; t; t = t->next) {
		uint64_t cpu = thread_cpu_ns(T.pid, t->tid);
		uint64_t ran = cpu > t->cpu_ns ? cpu - t->cpu_ns : 0;
		uint64_t in_calls = t->call_ns - t->call_ns_tick;

		if (cpu)
			t->cpu_ns = cpu;
		t->call_ns_tick = t->call_ns;
		if (t->listening || t->sample_pending || t->in_call || ran <= in_calls)
			continue;
		if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0)
			continue;
		t->sample_pending = 1;
		t->sample_t = t_ns;
		t->sample_w = ran - in_calls;
	}
}

/* The samples taken since the last tick, as one SAMPLE record. */
static void emit_samples(void)
{
	struct opc_rec_sample *r;

	if (T.nsmp == 0)
		return;
	r = opc_writer_begin(&T.w, OPC_REC_SAMPLE, sizeof(*r));
	if (r) {
		r->count = (uint32_t)T.nsmp;
		opc_writer_append(&T.w, T.smp, T.nsmp * sizeof(*T.smp));
		opc_writer_end(&T.w);
	}
	T.nsmp = 0;
}

/* ---- stops ------------------------------------------------------------ */

/*
 * Executes the original instruction under the breakpoint at b->addr in
 * thread tid (whose rip is already b->addr) and puts the int3 back.
 * While the byte is restored another thread could run through the entry
 * unseen; threads are stopped only at their own breakpoints, so that
 * window is one instruction long.
 */
static int step_over(pid_t tid, const struct bp *b, int *deliver)
{
	int st;

	if (poke_byte(tid, b->addr, b->orig, NULL) < 0)
		return -1;
	if (ptrace(PTRACE_SINGLESTEP, tid, NULL, NULL) < 0)
		return -1;
	for (;;) {
		if (waitpid(tid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return -1;
		if (WIFSTOPPED(st) && (st >> 16) == 0 && WSTOPSIG(st) == SIGTRAP)
			break;
		/* our interrupt for a stack sample: take it here */
		if (WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_STOP) {
			struct thr *t = thr_find(tid);

			if (t && t->sample_pending)
				sample_take(t);
		} else if (WIFSTOPPED(st) && (st >> 16) == 0) {
			/* another signal arrived first: deliver it after the step */
			*deliver = WSTOPSIG(st);
		}
		ptrace(PTRACE_SINGLESTEP, tid, NULL, NULL);
	}
	poke_byte(tid, b->addr, 0xcc, NULL);
	return 0;
}

/* Writes b's out-of-line copy into the next scratch slot, if its first
 * instruction can run elsewhere; b->ool becomes the slot or 0. */
static void ool_prepare(pid_t tid, struct bp *b)
{
	unsigned char code[16], slot[SLOT_SIZE];
	int len;

	b->ool = 0;
	if (!T.scratch || (T.nslots + 2) * SLOT_SIZE > SCRATCH_SIZE - ARG_AREA)
		return;
	if (mem_read((void *)(intptr_t)tid, b->addr, code, sizeof(code)) < 0)
		return;
	code[0] = b->orig;
	len = opc_insn_relocatable_len(code, sizeof(code));
	if (len <= 0) {
		pr_dbg(1, "%s: first instruction (%02x %02x %02x) stepped in place",
		       b->rid >= 0 ? opc_routines[b->rid].symbol : "_dl_debug_state",
		       code[0], code[1], code[2]);
		return;
	}
	uint64_t back = b->addr + len, at = T.scratch + (uint64_t)(T.nslots + 1) * SLOT_SIZE;

	memset(slot, 0xcc, sizeof(slot));
	memcpy(slot, code, len);
	memcpy(slot + len, "\xff\x25\0\0\0\0", 6);	/* jmp *0(%rip) */
	memcpy(slot + len + 6, &back, 8);
	for (int o = 0; o < SLOT_SIZE; o += 8) {
		uint64_t v;

		memcpy(&v, slot + o, 8);
		if (poke_u64(tid, at + o, v) < 0)
			return;
	}
	b->ool = (int)++T.nslots;
}

/* At an exec event the thread is still inside execve: its return would
 * overwrite the registers of an injected call.  Step one instruction of
 * the new image first. */
static void exec_step(pid_t tid)
{
	int st;

	if (ptrace(PTRACE_SINGLESTEP, tid, NULL, NULL) == 0)
		while (waitpid(tid, &st, __WALL) < 0 && errno == EINTR)
			;
}

/*
 * Makes the tracee run mmap(2): a syscall instruction is written at its
 * current instruction pointer and stepped, then the bytes and registers
 * are put back.  A signal already pending (an attached process's SIGCHLD,
 * say) is reported before the step: it is held back and sent again
 * afterwards (its siginfo is lost).  The address, or 0.
 */
static uint64_t remote_mmap(pid_t tid, uint64_t hint, uint64_t size, int prot, int flags)
{
	struct user_regs_struct saved, r;
	uint64_t word, sc, res = 0;
	int st, held = 0;

	if (ptrace(PTRACE_GETREGS, tid, NULL, &saved) < 0)
		return 0;
	if (mem_read((void *)(intptr_t)tid, saved.rip, &word, 8) < 0)
		return 0;
	sc = (word & ~0xffffull) | 0x050f;	/* syscall */
	if (poke_u64(tid, saved.rip, sc) < 0)
		return 0;
	r = saved;
	r.orig_rax = -1;	/* not in a system call: no restart */
	r.rax = 9;		/* mmap */
	r.rdi = hint;
	r.rsi = size;
	r.rdx = prot;
	r.r10 = flags;
	r.r8 = (uint64_t)-1;
	r.r9 = 0;
	if (ptrace(PTRACE_SETREGS, tid, NULL, &r) == 0 &&
	    ptrace(PTRACE_SINGLESTEP, tid, NULL, NULL) == 0) {
		for (;;) {
			while (waitpid(tid, &st, __WALL) < 0 && errno == EINTR)
				;
			if (!WIFSTOPPED(st))
				break;
			if ((st >> 16) == 0 && WSTOPSIG(st) == SIGTRAP) {
				if (ptrace(PTRACE_GETREGS, tid, NULL, &r) == 0 &&
				    r.rax < (uint64_t)-4096)
					res = r.rax;
				break;
			}
			if ((st >> 16) == 0 && !held)
				held = WSTOPSIG(st);
			if (ptrace(PTRACE_SINGLESTEP, tid, NULL, NULL) < 0)
				break;
		}
	}
	poke_u64(tid, saved.rip, word);
	ptrace(PTRACE_SETREGS, tid, NULL, &saved);
	if (held)
		syscall(SYS_tgkill, (int)T.pid, (int)tid, held);
	return res;
}

/* Maps the scratch area (see SCRATCH_SIZE) into the tracee. */
static uint64_t scratch_map(pid_t tid)
{
	uint64_t res = remote_mmap(tid, 0, SCRATCH_SIZE, PROT_READ | PROT_EXEC,
				   MAP_PRIVATE | MAP_ANONYMOUS);

	if (res && (poke_u64(tid, res, 0xccccccccccccccccull) < 0 ||
		    poke_u64(tid, res + INJ_RET_OFF, 0xccccccccccccccccull) < 0))
		res = 0;
	if (!res)
		pr_warn("cannot map a scratch page into %d: its calls are not counted", (int)tid);
	T.nslots = 0;
	return res;
}

/* ---- injection (--inject) --------------------------------------------- */

/*
 * With --inject, libopcount.so is loaded into the process (dlopen, called
 * by the process itself from a thread the tracer stopped) and each entry
 * point's first bytes are replaced with a jump to the library's wrapper
 * of the same routine.  The wrapper calls the routine through a
 * trampoline: the displaced instructions, relocated (insn.c), and a jump
 * back behind them.  A call then costs what it costs under LD_PRELOAD:
 * no stop.  The library writes the trace; the tracer only follows new
 * libraries (_dl_debug_state), execs and the detach.
 *
 * The jump is `jmp rel32` (5 bytes) to a stub within 2 GiB of the entry
 * (an area mapped near each module), which jumps on to the wrapper.
 * An entry whose first 5 bytes cannot be moved (an instruction insn.c
 * cannot relocate, a branch of the function into them, a thread stopped
 * inside them) gets an int3 instead, which sends the thread to the
 * wrapper (one stop per call); the wrapper then calls a copy of the first
 * instruction alone.
 */

#define NEAR_SIZE	(256 * 1024)
#define TRAMP_SIZE	128	/* trampoline, then at STUB_OFF the stub */
#define STUB_OFF	(TRAMP_SIZE - 16)

static pid_t mem_tid;		/* a stopped thread of the current process */
static uint64_t *inj_rips;	/* where the stopped threads are, while patching */
static size_t inj_nrips;

/* Writes n bytes into the tracee, word by word (any protection). */
static int mem_write(pid_t tid, uint64_t addr, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n) {
		uint64_t a = addr & ~7ull, v = 0;
		size_t off = addr - a, k = 8 - off < n ? 8 - off : n;

		if ((off || k < 8) && mem_read((void *)(intptr_t)tid, a, &v, 8) < 0)
			return -EIO;
		memcpy((char *)&v + off, p, k);
		if (poke_u64(tid, a, v) < 0)
			return -errno;
		addr += k;
		p += k;
		n -= k;
	}
	return 0;
}

/* The tracee's address of function `name` in module mi's dynamic symbols;
 * with lib set, also fills T.wrap[] with every wrapper it exports. */
static uint64_t module_dynsym(int mi, const char *name, int lib)
{
	struct module *m = &T.mods[mi];
	int fd = open(m->path, O_RDONLY | O_CLOEXEC);
	Elf_Scn *scn = NULL;
	uint64_t found = 0;
	Elf *e;

	if (fd < 0)
		return 0;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	while (e && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || sh.sh_entsize == 0 ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *sn;
			int rid;

			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !(sn = elf_strptr(e, sh.sh_link, sym.st_name)))
				continue;
			if (!strcmp(sn, name))
				found = sym.st_value + m->bias;
			else if (lib && (rid = rname_find(sn)) >= 0)
				T.wrap[rid] = sym.st_value + m->bias;
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return found;
}

/* AT_ENTRY and AT_BASE (the interpreter's base: 0 if static) of pid. */
static int auxv_entry(pid_t pid, uint64_t *entry, uint64_t *base)
{
	char path[64];
	uint64_t av[2];
	FILE *f;

	*entry = *base = 0;
	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	if (!(f = fopen(path, "re")))
		return -errno;
	while (fread(av, sizeof(av), 1, f) == 1 && av[0] != AT_NULL) {
		if (av[0] == AT_ENTRY)
			*entry = av[1];
		else if (av[0] == AT_BASE)
			*base = av[1];
	}
	fclose(f);
	return *entry ? 0 : -ENOENT;
}

/*
 * Makes thread tid (stopped) call fn(a0, a1) on its own stack, well below
 * its red zone, returning to the int3 at scratch + INJ_RET_OFF; its
 * registers are put back afterwards (a system call it was stopped in is
 * restarted as after a signal).  The other threads stay as they are.  A
 * call that does not return within timeout_ms may wait for a lock held by
 * a thread that is stopped: with release_others, the other threads then
 * run (*released is set) and the call gets as long again.  A call still
 * stuck is abandoned where it is.  A breakpoint of ours met on the way
 * (_dl_debug_state in dlopen) is stepped over.  0 with the result in
 * *ret, or -errno (-ETIMEDOUT, -EFAULT if the call crashed).
 */
static int remote_call(pid_t tid, uint64_t fn, uint64_t a0, uint64_t a1, int timeout_ms,
		       int release_others, int *released, uint64_t *ret)
{
	struct user_regs_struct saved, r;
	uint64_t ra = T.scratch + INJ_RET_OFF, deadline;
	int st, held = 0, rc = -ETIMEDOUT;
	/* the vector registers too (the call uses them; the thread may have
	 * been stopped in the middle of a computation): the whole XSAVE area */
	static unsigned char xstate[16384] __attribute__((aligned(64)));
	struct iovec xv = { xstate, sizeof(xstate) };
	int have_x;

	if (!T.scratch)
		return -ENOMEM;
	if (ptrace(PTRACE_GETREGS, tid, NULL, &saved) < 0)
		return -errno;
	have_x = ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &xv) == 0;
	if (!have_x) {
		xv.iov_len = sizeof(struct user_fpregs_struct);
		if (ptrace(PTRACE_GETFPREGS, tid, NULL, xstate) < 0)
			return -errno;
	}
	r = saved;
	r.rsp = ((saved.rsp - 4096) & ~15ull) - 8;	/* 16-aligned at the call */
	if (poke_u64(tid, r.rsp, ra) < 0)
		return -EFAULT;
	r.rip = fn;
	r.rdi = a0;
	r.rsi = a1;
	r.rax = 0;
	r.orig_rax = -1;	/* not in a system call: no restart */
	if (ptrace(PTRACE_SETREGS, tid, NULL, &r) < 0)
		return -errno;
	if (ptrace(PTRACE_CONT, tid, NULL, NULL) < 0) {
		rc = -errno;
		goto out;
	}
	deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
	for (;;) {
		pid_t w = waitpid(tid, &st, __WALL | WNOHANG);
		unsigned long msg;

		if (w == 0) {
			if (now_ns() < deadline) {
				usleep(50);
				continue;
			}
			if (release_others && !*released) {
				for (struct thr *t = T.threads; t; t = t->next)
					if (t->tid != tid) {
						ptrace(PTRACE_CONT, t->tid, NULL,
						       (void *)(long)t->pend_sig);
						t->pend_sig = 0;
					}
				*released = 1;
				deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
				continue;
			}
			ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
			while (waitpid(tid, &st, __WALL) < 0 && errno == EINTR)
				;
			if (!WIFSTOPPED(st))
				return -ESRCH;
			break;
		}
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!WIFSTOPPED(st))
			return -ESRCH;	/* it died */

		int ev = st >> 16, sig = WSTOPSIG(st);

		if (ev == 0 && sig == SIGTRAP && ptrace(PTRACE_GETREGS, tid, NULL, &r) == 0) {
			struct bp *b = bp_find(r.rip - 1);

			if (r.rip == ra + 1) {
				*ret = r.rax;
				rc = 0;
				break;
			}
			if (b && b->kind == BP_DLSTATE) {
				int d = 0;

				r.rip--;
				ptrace(PTRACE_SETREGS, tid, NULL, &r);
				if (step_over(tid, b, &d) < 0)
					return -ESRCH;
				if (d && !held)
					held = d;
			} else {
				rc = -EFAULT;	/* an int3 we did not plant */
				break;
			}
		} else if (ev == PTRACE_EVENT_CLONE &&
			   ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) == 0) {
			thr_get((pid_t)msg)->lib_thread = 1;	/* the collector */
		} else if (ev == 0 && (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
				       sig == SIGFPE || sig == SIGABRT)) {
			rc = -EFAULT;	/* never delivered: the call crashed, not the program */
			break;
		} else if (ev == 0 && !held && sig != SIGSTOP) {
			held = sig;	/* the program's: sent again afterwards */
		}
		ptrace(PTRACE_CONT, tid, NULL, NULL);
	}
out:
	ptrace(PTRACE_SETREGS, tid, NULL, &saved);
	if (have_x)
		ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &xv);
	else
		ptrace(PTRACE_SETFPREGS, tid, NULL, xstate);
	if (held)
		syscall(SYS_tgkill, (int)T.pid, (int)tid, held);
	return rc;
}

/* Room for a trampoline within 2 GiB of module mi's code, or 0. */
static uint64_t near_alloc(int mi)
{
	struct module *m = &T.mods[mi];

	if (m->near && m->near_used + TRAMP_SIZE <= NEAR_SIZE) {
		m->near_used += TRAMP_SIZE;
		return m->near + m->near_used - TRAMP_SIZE;
	}
	/* below the module first, then above: MAP_FIXED_NOREPLACE fails on
	 * what is taken (older kernels take it as a hint: checked) */
	for (int k = 1; k <= 64; k++) {
		uint64_t step = (uint64_t)k * 16 * 1024 * 1024;
		uint64_t hint = k <= 32 ? (m->lo & ~0xffffull) - step :
					  ((m->hi + 0xffff) & ~0xffffull) + step - 32 * 16 * 1024 * 1024;
		uint64_t a;

		if (k <= 32 && m->lo < step + NEAR_SIZE)
			continue;
		a = remote_mmap(mem_tid, hint, NEAR_SIZE, PROT_READ | PROT_EXEC,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE);
		if (!a)
			continue;
		if ((a > m->lo ? a + NEAR_SIZE - m->lo : m->hi - a) < (1ull << 31) - 4096) {
			m->near = a;
			m->near_used = TRAMP_SIZE;
			return a;
		}
		/* too far: left mapped (64 pages of nothing), tried again */
	}
	return 0;
}

/*
 * Whether the function at addr (size bytes, 0 if unknown) may branch into
 * its own bytes (addr, addr + len): every byte is looked at as the start
 * of a relative jump, call or jcc (no decoding: a false alarm only costs
 * a breakpoint).  A branch from elsewhere (a cold part of the function in
 * another section) is not seen: that is the risk of patching.
 */
static int branch_into(uint64_t addr, uint64_t size, size_t len)
{
	unsigned char code[4096 + 8];
	size_t n = size && size < 4096 ? size : 4096;

	if (mem_read((void *)(intptr_t)mem_tid, addr, code, n + 8) < 0 &&
	    mem_read((void *)(intptr_t)mem_tid, addr, code, n) < 0)
		return 1;
	for (size_t j = 0; j < n; j++) {
		uint64_t pc = addr + j, t1 = 0, t2 = 0, t3 = 0;
		int32_t r;

		if ((code[j] >= 0x70 && code[j] <= 0x7f) || code[j] == 0xeb ||
		    (code[j] >= 0xe0 && code[j] <= 0xe3))
			t1 = pc + 2 + (int8_t)code[j + 1];
		if (code[j] == 0xe8 || code[j] == 0xe9) {
			memcpy(&r, code + j + 1, 4);
			t2 = pc + 5 + r;
		}
		if (code[j] == 0x0f && code[j + 1] >= 0x80 && code[j + 1] <= 0x8f) {
			memcpy(&r, code + j + 2, 4);
			t3 = pc + 6 + r;
		}
		if ((t1 > addr && t1 < addr + len) || (t2 > addr && t2 < addr + len) ||
		    (t3 > addr && t3 < addr + len))
			return 1;
	}
	return 0;
}

static int thread_inside(uint64_t addr, size_t len)
{
	for (size_t i = 0; i < inj_nrips; i++)
		if (inj_rips[i] > addr && inj_rips[i] < addr + len)
			return 1;
	return 0;
}

/* The entry gets an int3 that sends threads to the wrapper, which calls
 * a copy of the first instruction followed by a jump back (BP_REDIRECT). */
static int redirect_entry(int mi, uint64_t addr, int rid, const unsigned char *code, size_t n)
{
	unsigned char buf[TRAMP_SIZE];
	uint64_t at = near_alloc(mi);
	size_t covered = 0;
	int len;
	struct bp *b;

	if (!at)
		return -1;
	len = opc_insn_relocate(code, n, addr, 1, buf, TRAMP_SIZE - 14, at, &covered);
	if (len <= 0)
		return -1;
	memcpy(buf + len, "\xff\x25\0\0\0\0", 6);
	uint64_t back = addr + covered;

	memcpy(buf + len + 6, &back, 8);
	if (mem_write(mem_tid, at, buf, len + 14) < 0 ||
	    poke_u64(mem_tid, T.lib_real + 8 * (uint64_t)rid, at) < 0 ||
	    bp_plant(addr, BP_REDIRECT, rid, mi) < 0)
		return -1;
	b = bp_find(addr);
	b->wrap = T.wrap[rid];
	T.nredirect++;
	return 0;
}

/* Makes the entry of routine rid at addr (module mi) reach the injected
 * wrapper: a jump if it can be moved, else an int3 (see above). */
static void patch_entry(int mi, uint64_t addr, int rid, uint64_t size)
{
	unsigned char code[64], buf[TRAMP_SIZE], jmp[5];
	uint64_t at, stub, back;
	size_t covered = 0;
	int len = 0;
	struct bp *b;

	if (bp_find(addr) || !T.wrap || !T.wrap[rid])
		return;		/* an alias done already, or no wrapper */
	if (T.rid_done[rid]) {
		/* the wrapper has one real pointer per routine */
		pr_warn("--inject: %s is defined again in %s: calls to that copy are not counted",
			opc_routines[rid].symbol, T.mods[mi].path);
		return;
	}
	if (mem_read((void *)(intptr_t)mem_tid, addr, code, sizeof(code)) < 0)
		return;
	T.rid_done[rid] = 1;
	at = near_alloc(mi);
	if (at && (size == 0 || size >= 5))
		len = opc_insn_relocate(code, sizeof(code), addr, 5, buf, STUB_OFF - 14, at,
					&covered);
	if (len <= 0 || branch_into(addr, size, covered) || thread_inside(addr, covered)) {
		pr_dbg(1, "%s: entry not moved (%02x %02x %02x %02x %02x): int3", opc_routines[rid].symbol,
		       code[0], code[1], code[2], code[3], code[4]);
		if (at)
			T.mods[mi].near_used -= TRAMP_SIZE;
		if (redirect_entry(mi, addr, rid, code, sizeof(code)) < 0) {
			T.rid_done[rid] = 0;
			pr_warn("--inject: cannot reach %s in %s (first bytes %02x %02x %02x): its "
				"calls are not counted", opc_routines[rid].symbol, T.mods[mi].path,
				code[0], code[1], code[2]);
		}
		return;
	}
	back = addr + covered;
	memcpy(buf + len, "\xff\x25\0\0\0\0", 6);
	memcpy(buf + len + 6, &back, 8);
	memset(buf + len + 14, 0xcc, STUB_OFF - len - 14);
	stub = at + STUB_OFF;
	memcpy(buf + STUB_OFF, "\xff\x25\0\0\0\0", 6);
	memcpy(buf + STUB_OFF + 6, &T.wrap[rid], 8);
	memset(buf + STUB_OFF + 14, 0xcc, TRAMP_SIZE - STUB_OFF - 14);
	int32_t rel = (int32_t)((int64_t)stub - (int64_t)(addr + 5));

	jmp[0] = 0xe9;
	memcpy(jmp + 1, &rel, 4);
	/* the trampoline and the pointer to it first: the jump is live at once */
	if (mem_write(mem_tid, at, buf, TRAMP_SIZE) < 0 ||
	    poke_u64(mem_tid, T.lib_real + 8 * (uint64_t)rid, at) < 0)
		return;
	b = bp_slot(addr);
	memset(b, 0, sizeof(*b));
	memcpy(b->porig, code, 5);
	b->plen = 5;
	b->orig = code[0];
	if (mem_write(mem_tid, addr, jmp, 5) < 0) {
		T.rid_done[rid] = 0;
		return;
	}
	b->addr = addr;
	b->kind = BP_PATCH;
	b->rid = rid;
	b->mod = mi;
	b->ool = 0;
	T.nbp++;
	T.npatched++;
}

/*
 * Loads the library into the process through thread tid (stopped at a safe
 * point: its entry point, or any point of an attached process whose
 * threads are all stopped) and starts it with the tracer's settings.
 * 0, or -1 with why.
 */
static int inject_start(pid_t tid, int attached, char *why, size_t wlen)
{
	struct opc_inject_cfg cfg;
	uint64_t dl = 0, begin, h = 0, res = 0;
	uint64_t arg = T.scratch + SCRATCH_SIZE - ARG_AREA, a;
	int released = 0, rc, loaded = 0;
	const char *strs[4];
	uint64_t *dst[4] = { &cfg.output, &cfg.energy, &cfg.powercap_root, &cfg.idle_w };

	mem_tid = tid;
	for (size_t i = 0; i < T.nmods; i++) {
		const char *base = strrchr(T.mods[i].path, '/');

		base = base ? base + 1 : T.mods[i].path;
		if (T.mods[i].gone)
			continue;
		if (!strcmp(T.mods[i].path, opts.inject))
			loaded = 1;	/* by an earlier attach, or preloaded (begin says) */
		if (!strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5))
			dl = module_dynsym((int)i, "dlopen", 0);
	}
	if (loaded)
		goto begin;
	if (!dl) {
		snprintf(why, wlen, "no dlopen in the process's libc (glibc 2.34 or later exports it)");
		return -1;
	}
	if (strlen(opts.inject) + 1 > ARG_AREA / 2 ||
	    mem_write(tid, arg, opts.inject, strlen(opts.inject) + 1) < 0) {
		snprintf(why, wlen, "cannot write into the process");
		return -1;
	}
	rc = remote_call(tid, dl, arg, RTLD_NOW | RTLD_LOCAL, 3000, attached, &released, &h);
	if (rc == -ETIMEDOUT) {
		snprintf(why, wlen, "dlopen did not return within 3 s, nor in 3 s more with the "
			 "other threads running (a lock that is never released?); the call was "
			 "abandoned, which may leave the process's loader lock taken");
		return -1;
	}
	if (rc < 0 || h == 0) {
		snprintf(why, wlen, "dlopen(%s) in the process %s", opts.inject,
			 rc < 0 ? strerror(-rc) : "failed");
		return -1;
	}
	if (released) {
		/* its other threads ran meanwhile: patching needs them stopped */
		snprintf(why, wlen, "dlopen had to wait for other threads (a lock): the "
			 "library stays loaded, unused");
		return -1;
	}
	T.lib_mod = -1;
	maps_scan();
begin:
	if (T.lib_mod < 0) {
		snprintf(why, wlen, "%s loaded but not found in the process's maps", opts.inject);
		return -1;
	}
	T.wrap = calloc(opc_nroutines, sizeof(*T.wrap));
	T.rid_done = calloc(opc_nroutines, 1);
	begin = module_dynsym(T.lib_mod, "opcount_inject_begin", 1);
	T.lib_end = module_dynsym(T.lib_mod, "opcount_inject_end", 0);
	if (!begin || !T.lib_end) {
		snprintf(why, wlen, "%s has no opcount_inject_begin/end", opts.inject);
		return -1;
	}
	/* the configuration and its strings */
	memset(&cfg, 0, sizeof(cfg));
	cfg.version = OPC_INJECT_ABI_VERSION;
	cfg.nroutines = opc_nroutines;
	cfg.root_pid = root_pid;
	cfg.hz = (int32_t)opts.hz;
	strs[0] = T.path;
	strs[1] = opts.energy;
	strs[2] = getenv("OPCOUNT_POWERCAP_ROOT");
	strs[3] = getenv("OPCOUNT_IDLE_W");
	a = arg + sizeof(cfg);
	for (int i = 0; i < 4; i++) {
		size_t n = strs[i] ? strlen(strs[i]) + 1 : 0;

		*dst[i] = 0;
		if (!n)
			continue;
		if (a + n > T.scratch + SCRATCH_SIZE || mem_write(tid, a, strs[i], n) < 0) {
			snprintf(why, wlen, "cannot write the configuration into the process");
			return -1;
		}
		*dst[i] = a;
		a = (a + n + 7) & ~7ull;
	}
	if (mem_write(tid, arg, &cfg, sizeof(cfg)) < 0 ||
	    (rc = remote_call(tid, begin, arg, 0, 3000, 0, &released, &res)) < 0) {
		snprintf(why, wlen, "opcount_inject_begin: %s", strerror(rc < 0 ? -rc : EIO));
		return -1;
	}
	if ((int64_t)res < 0) {
		snprintf(why, wlen, "opcount_inject_begin: %s%s", strerror((int)-(int64_t)res),
			 (int64_t)res == -EPROTO ? " (a libopcount.so of another build)" :
			 (int64_t)res == -EBUSY ? " (libopcount.so is preloaded: it counts already)" :
			 "");
		return -1;
	}
	T.lib_real = res;
	T.inj = INJ_ACTIVE;
	return 0;
}

/* Every entry point of every module now jumps to the library.  The
 * threads are stopped (or there is one, the caller). */
static void inject_activate(void)
{
	struct user_regs_struct r;

	inj_nrips = 0;
	inj_rips = realloc(inj_rips, (T.nthreads + 1) * sizeof(*inj_rips));
	for (struct thr *t = T.threads; t && inj_nrips <= T.nthreads; t = t->next)
		if (ptrace(PTRACE_GETREGS, t->tid, NULL, &r) == 0)
			inj_rips[inj_nrips++] = r.rip;
	for (size_t i = 0; i < T.nmods; i++)
		if (!T.mods[i].gone && (int)i != T.lib_mod)
			module_scan((int)i);
	inj_nrips = 0;
	pr_dbg(1, "pid %d: libopcount.so injected, %u entry points jump to it, %u through an int3",
	       (int)T.pid, T.npatched, T.nredirect);
}

/* Injection failed: breakpoints, into a trace of the tracer's own. */
static int inject_fallback(const char *why)
{
	pr_warn("--inject: %s; counting pid %d with breakpoints instead", why, (int)T.pid);
	T.inj = INJ_OFF;
	if (trace_open(T.path) < 0)
		return -1;
	for (size_t i = 0; i < T.nmods; i++)
		if (!T.mods[i].gone && (int)i != T.lib_mod) {
			emit_module(&T.mods[i]);
			module_scan((int)i);
		}
	emit_interval();
	return 0;
}

/*
 * A new image (after exec, or the command's first) from its first
 * instruction, thread tid stopped: breakpoints now; with --inject and a
 * dynamic linker, an int3 at the program's entry point, where libc is
 * loaded and initialised, and the library is injected there (on_start).
 * -1 if the trace cannot be written.
 */
static int image_start(pid_t tid, const char *path)
{
	uint64_t entry, base;

	snprintf(T.path, sizeof(T.path), "%s", path);
	T.lib_mod = -1;
	mem_tid = tid;
	if (opts.inject && T.scratch && auxv_entry(T.pid, &entry, &base) == 0 && base) {
		T.inj = INJ_PENDING;
		maps_scan();
		if (bp_plant(entry, BP_START, -1, 0) == 0)
			return 0;
		return inject_fallback("cannot plant a breakpoint on the entry point");
	}
	if (opts.inject)
		pr_info("pid %d is statically linked (no dynamic linker to load a library): "
			"breakpoints", (int)T.pid);
	if (trace_open(path) < 0)
		return -1;
	maps_scan();
	emit_interval();
	return 0;
}

/* The program reached its entry point: the safe point to inject at. */
static void on_start(pid_t tid, struct user_regs_struct *regs, struct bp *b)
{
	char why[512];

	poke_byte(tid, b->addr, b->orig, NULL);
	regs->rip = b->addr;
	ptrace(PTRACE_SETREGS, tid, NULL, regs);
	if (T.inj != INJ_PENDING)
		return;
	if (T.nthreads > 1)
		snprintf(why, sizeof(why), "threads were started before main");
	else if (inject_start(tid, 0, why, sizeof(why)) == 0) {
		inject_activate();
		return;
	}
	inject_fallback(why);
}

/* Before the detach: the library writes its last interval and END and
 * stops its collector thread, which has to run for that. */
static void inject_end(pid_t tid)
{
	uint64_t ret = 0;
	int released = 0, rc;

	for (struct thr *t = T.threads; t; t = t->next)
		if (t->lib_thread && t->stopped > 0 && t->tid != tid) {
			ptrace(PTRACE_CONT, t->tid, NULL, NULL);
			t->stopped = -1;	/* it ends: not detached */
		}
	rc = remote_call(tid, T.lib_end, 0, 0, 5000, 0, &released, &ret);
	if (rc < 0)
		pr_warn("pid %d: the injected library did not finish its trace (%s): it may end "
			"without its last interval", (int)T.pid, strerror(-rc));
}

static void on_entry(pid_t tid, struct user_regs_struct *regs, const struct bp *bref,
		     int *deliver)
{
	struct bp bc = *bref, *b = &bc;	/* maps_scan() may move the table */
	struct thr *t = thr_get(tid);
	uint64_t addr = b->addr;

	mem_tid = tid;
	if (b->kind == BP_REDIRECT) {
		/* --inject: the wrapper calls the copy of the first instruction */
		regs->rip = b->wrap;
		ptrace(PTRACE_SETREGS, tid, NULL, regs);
		return;
	}
	if (b->kind == BP_START) {
		on_start(tid, regs, (struct bp *)bref);
		return;
	}
	regs->rip = addr;
	if (!t->in_call && b->kind == BP_ENTRY) {
		struct user_fpregs_struct fp;
		struct opc_argregs ar;
		struct opc_shape shape;
		uint64_t ret;
		void *ctx = (void *)(intptr_t)tid;

		ar.gp[0] = regs->rdi;
		ar.gp[1] = regs->rsi;
		ar.gp[2] = regs->rdx;
		ar.gp[3] = regs->rcx;
		ar.gp[4] = regs->r8;
		ar.gp[5] = regs->r9;
		ar.sp = regs->rsp;
		if (opc_args_need_sse(b->rid) && ptrace(PTRACE_GETFPREGS, tid, NULL, &fp) == 0)
			memcpy(ar.xmm, fp.xmm_space, sizeof(ar.xmm));
		else
			memset(ar.xmm, 0, sizeof(ar.xmm));
		uint32_t key = 0;

		/* the key (and its stack) before the return address is replaced */
		if (mem_read(ctx, regs->rsp, &ret, 8) == 0 &&
		    opc_args_decode(b->rid, &ar, mem_read, ctx, &shape) == 0 && T.scratch)
			key = key_intern(b->rid, tid, ret, &shape);
		if (key && poke_u64(tid, regs->rsp, T.scratch) == 0) {
			t->key = key;
			t->in_call = 1;
			t->entry = addr;
			t->ret = ret;
			t->entry_sp = regs->rsp;
			t->t0 = now_ns();
		} else {
			T.dropped++;
		}
	}
	if (b->kind == BP_DLSTATE)
		maps_scan();
	struct bp *live = bp_find(addr);

	if (live && live->ool < 0)
		ool_prepare(tid, live);
	if (live && live->ool > 0) {
		regs->rip = T.scratch + (uint64_t)live->ool * SLOT_SIZE;
		ptrace(PTRACE_SETREGS, tid, NULL, regs);
		return;
	}
	ptrace(PTRACE_SETREGS, tid, NULL, regs);
	step_over(tid, b, deliver);
}

/* A counted call came back through the trampoline. */
static void on_return(pid_t tid, struct user_regs_struct *regs, int *deliver)
{
	struct thr *t = thr_get(tid);

	if (!t->in_call || regs->rsp != t->entry_sp + 8) {
		*deliver = SIGTRAP;	/* cannot happen: say so loudly */
		return;
	}
	struct pkey *k = &T.keys[t->key];

	uint64_t dt = now_ns() - t->t0;

	k->calls++;
	k->ns += dt;
	t->call_ns += dt;
	t->in_call = 0;
	regs->rip = t->ret;
	ptrace(PTRACE_SETREGS, tid, NULL, regs);
}

/* A fork child that is not followed (its fork was reported while
 * detaching) starts with the parent's breakpoints in its copy of the
 * memory: take them out and let it go.  A vfork child shares the parent's
 * memory: it is only let go (it execs or exits). */
static void release_fork_child(pid_t child, int vfork)
{
	if (vfork) {
		ptrace(PTRACE_DETACH, child, NULL, NULL);
		return;
	}
	/* The jumps to the injected library stay: the child has its copy of
	 * the library too, which writes a trace of its own (--inject). */
	for (size_t i = 0; i < T.bpcap; i++)
		if (T.bps[i].addr && T.bps[i].kind != BP_PATCH)
			poke_byte(child, T.bps[i].addr, T.bps[i].orig, NULL);
	ptrace(PTRACE_DETACH, child, NULL, NULL);
}

static void adopt(struct tracer *parent, pid_t child);

static void fork_seen(pid_t child, int announced, int vfork)
{
	size_t i;

	for (i = 0; i < nforks && forks[i].pid != child; i++)
		;
	if (i == nforks) {
		forks = realloc(forks, (nforks + 1) * sizeof(*forks));
		memset(&forks[i], 0, sizeof(forks[i]));
		forks[i].pid = child;
		nforks++;
	}
	if (announced) {
		forks[i].announced = 1;
		forks[i].vfork = vfork;
		forks[i].parent = cur;
	} else {
		forks[i].stopped = 1;
	}
	if (forks[i].announced && forks[i].stopped) {
		struct tracer *saved = cur;

		cur = forks[i].parent;
		/* with the library injected, the child's copy counts its calls */
		if (!detaching && !forks[i].vfork && cur->inj == INJ_OFF)
			adopt(cur, child);
		else
			release_fork_child(child, forks[i].vfork);
		cur = saved;
		forks[i] = forks[--nforks];
	}
}

/* The last interval and the END record (OPC_REC_END, or OPC_REC_EXEC
 * when an exec replaced the image) of the current process's trace. */
static void proc_finish(uint32_t type)
{
	if (T.w.fd < 0)
		return;
	emit_interval();

	struct opc_rec_end *e = opc_writer_begin(&T.w, type, sizeof(*e));

	if (e) {
		e->t_ns = now_ns() - T.t0_ns;
		e->dropped_calls = T.dropped;
		e->threads = (uint32_t)T.nthreads;
		opc_writer_end(&T.w);
	}
	opc_writer_flush(&T.w);
	close(T.w.fd);
	opc_writer_release(&T.w);
	T.w.fd = -1;
	opc_energy_close(&T.energy);
	T.energy_on = 0;
}

static struct tracer *proc_new(pid_t pid)
{
	struct tracer *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		pr_err("out of memory");
		exit(1);
	}
	p->pid = pid;
	p->w.fd = -1;
	p->next = procs;
	procs = p;
	return p;
}

/* A number from /proc/TID/status ("Tgid:", "PPid:"); -1 if none. */
static int status_field(pid_t tid, const char *name)
{
	char path[64], line[256];
	size_t n = strlen(name);
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && sscanf(line + n, "%d", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int tgid_of(pid_t tid)
{
	return status_field(tid, "Tgid:");
}

/* The process a stopped or exited thread belongs to; NULL if none yet. */
static struct tracer *proc_of(pid_t tid)
{
	for (struct tracer *p = procs; p; p = p->next) {
		if (p->pid == tid)
			return p;
		for (struct thr *t = p->threads; t; t = t->next)
			if (t->tid == tid)
				return p;
	}
	pid_t tgid = tgid_of(tid);

	for (struct tracer *p = procs; p; p = p->next)
		if (p->pid == tgid)
			return p;
	return NULL;
}

/*
 * The trace of a process's image: the command's (or the attached
 * process's) first image writes FILE, every other process FILE's stem +
 * ".<pid>.opc", as the library names them (with %p in FILE, FILE for its
 * pid).  An exec'd image keeps the pid, so image n > 0 (the n-th exec)
 * adds ".exec<n>" before ".opc": it never overwrites the trace of the
 * image before it, and `opcount record` finds it among FILE's stem.*.opc.
 */
static void trace_name(char *out, size_t len, pid_t pid, unsigned image)
{
	int per_pid = strstr(out_pattern, "%p") != NULL;
	char *dot, *slash;
	size_t o;

	out_expand(out, len, out_pattern, per_pid ? pid : root_pid);
	if (image == 0 && (per_pid || pid == root_pid))
		return;
	dot = strrchr(out, '.');
	slash = strrchr(out, '/');
	if (dot && (!slash || dot > slash) && !strcmp(dot, ".opc"))
		*dot = 0;
	o = strlen(out);
	if (!per_pid && o < len)
		o += snprintf(out + o, len - o, ".%d", (int)pid);
	if (image && o < len)
		o += snprintf(out + o, len - o, ".exec%u", image);
	if (o < len)
		snprintf(out + o, len - o, ".opc");
}

/*
 * A fork child of the current process gets its own trace (trace_name):
 * its memory is a copy of its parent's, breakpoints and scratch area
 * included, so the tables are copied too.
 */
static void adopt(struct tracer *parent, pid_t child)
{
	struct tracer *c = proc_new(child);
	char path[PATH_MAX];

	c->ppid = parent->pid;
	c->bpcap = parent->bpcap;
	c->nbp = parent->nbp;
	c->bps = malloc(c->bpcap * sizeof(*c->bps));
	memcpy(c->bps, parent->bps, c->bpcap * sizeof(*c->bps));
	c->nmods = parent->nmods;
	c->mods = malloc((c->nmods + 1) * sizeof(*c->mods));
	for (size_t i = 0; i < c->nmods; i++) {
		c->mods[i] = parent->mods[i];
		c->mods[i].path = strdup(parent->mods[i].path);
	}
	c->scratch = parent->scratch;
	c->nslots = parent->nslots;
	/* Only the forking thread is copied, and it is in fork(), not in a
	 * counted call: no return address of the child's to put back (the
	 * parent's other threads' stacks are not the child's to write). */
	trace_name(path, sizeof(path), child, 0);
	cur = c;
	thr_get(child);
	if (trace_open(path) == 0) {
		for (size_t i = 0; i < c->nmods; i++)
			if (!c->mods[i].gone)
				emit_module(&c->mods[i]);
		emit_interval();
	}
	ptrace(PTRACE_CONT, child, NULL, NULL);
	cur = parent;
}

/* Forgets what belonged to the image an exec replaced: its breakpoints,
 * modules, threads, scratch area, and the ids its trace gave out. */
static void image_forget(void)
{
	free(T.bps);
	T.bps = NULL;
	T.bpcap = T.nbp = 0;
	for (size_t i = 0; i < T.nmods; i++)
		free(T.mods[i].path);
	free(T.mods);
	T.mods = NULL;
	T.nmods = 0;
	while (T.threads)
		thr_forget(T.threads->tid);
	T.nthreads = 0;
	free(T.keys);
	free(T.keyidx);
	T.keys = NULL;
	T.keyidx = NULL;
	T.nkeys = T.keycap = T.keyidx_cap = 0;
	opc_strtab_free(&T.strs);
	for (uint32_t i = 0; i < T.stkcap; i++)
		free(T.stk[i].frames);
	free(T.stk);
	T.stk = NULL;
	T.stkcap = T.nstk = 0;
	T.nsmp = 0;
	/* libunwind caches the old image's unwind tables */
	if (T.unw)
		unw_destroy_addr_space(T.unw);
	T.unw = NULL;
	T.scratch = 0;
	T.nslots = 0;
	T.dropped = 0;
	T.inj = INJ_OFF;
	T.lib_mod = -1;
	T.lib_real = T.lib_end = 0;
	free(T.wrap);
	free(T.rid_done);
	T.wrap = NULL;
	T.rid_done = NULL;
	T.npatched = T.nredirect = 0;
}

/*
 * The current process exec'd (tid is its pid now: the thread that called
 * execve took it over, the others are gone).  As the library does it, the
 * old image's trace ends with an EXEC record and the new image writes a
 * trace of its own (trace_name: ".exec<n>"), breakpoints planted anew in
 * the new address space.
 */
static void proc_exec(pid_t tid)
{
	char path[PATH_MAX];
	int st;

	/* A fork child whose first stop has not been seen yet still has the
	 * old image's breakpoints, which are about to be forgotten: settle
	 * it now (its stop is due, it was announced before the exec). */
	for (size_t i = 0; i < nforks;) {
		pid_t child = forks[i].pid;

		if (forks[i].parent != cur || forks[i].stopped) {
			i++;
			continue;
		}
		while (waitpid(child, &st, __WALL) < 0 && errno == EINTR)
			;
		if (WIFSTOPPED(st))
			fork_seen(child, 0, 0);		/* adopted or let go: removed */
		else
			forks[i] = forks[--nforks];	/* killed before its first stop */
	}
	proc_finish(OPC_REC_EXEC);
	image_forget();
	T.image++;
	thr_get(tid);
	exec_step(tid);
	trace_name(path, sizeof(path), T.pid, T.image);
	T.scratch = scratch_map(tid);
	/* without a trace to write to, no breakpoints: it runs untouched */
	if (image_start(tid, path) < 0)
		return;
	pr_dbg(1, "pid %d exec'd: its new image writes %s", (int)T.pid, path);
}

static void on_tick(int sig)
{
	(void)sig;
	tick_due = 1;
}


static struct thr *thr_find(pid_t tid)
{
	struct thr *t;

	for (t = T.threads; t && t->tid != tid; t = t->next)
		;
	return t;
}

/* Whether a SIGTRAP is pending for the thread itself (an int3's). */
static int sigtrap_pending(pid_t tid)
{
	char path[64], line[256];
	unsigned long long mask = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (!(f = fopen(path, "re")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigPnd: %llx", &mask) == 1)
			break;
	fclose(f);
	return (mask >> (SIGTRAP - 1)) & 1;
}

/* Whether every thread of every traced process is stopped for the detach
 * and every fork child reported so far has been let go. */
static int all_stopped(void)
{
	if (nforks)
		return 0;
	for (struct tracer *p = procs; p; p = p->next)
		for (struct thr *t = p->threads; t; t = t->next)
			if (!t->stopped)
				return 0;
	return 1;
}

/* The first thread of the current process stopped for the detach, whose
 * tid the process's memory is written through; 0 if none. */
static pid_t stopped_tid(void)
{
	for (struct thr *t = T.threads; t; t = t->next)
		if (t->stopped > 0)
			return t->tid;
	return 0;
}

/*
 * Leaves every attached process as it was: every thread stopped, a thread
 * stopped on an int3 set back onto the instruction (rip - 1), a call in
 * progress given its real return address back, every original byte
 * restored, then every thread detached.  The scratch area stays mapped
 * (a thread may be executing an out-of-line copy); it is 64 KiB.  Fork
 * children followed while attached are left the same way; a child whose
 * fork is reported meanwhile is let go with the breakpoints taken out of
 * its copy of the memory (release_fork_child), so it never meets an int3.
 */
static void detach_all(void)
{
	struct tracer *p;
	struct thr *t;
	int st;
	/* a fork whose other half never shows (its parent was killed in
	 * between) must not hold the detach up forever */
	uint64_t give_up = now_ns() + 5000000000ull;

	detaching = 1;
	for (p = procs; p; p = p->next)
		for (t = p->threads; t; t = t->next) {
			t->stopped = 0;
			if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0)
				t->stopped = -1;	/* gone */
		}
	while (!all_stopped()) {
		pid_t tid = waitpid(-1, &st, __WALL);

		if (tid < 0) {
			if (errno == EINTR && now_ns() < give_up)
				continue;	/* a tick */
			pr_warn("detach: %s; some threads or fork children may be left stopped",
				errno == EINTR ? "gave up waiting after 5 s" : strerror(errno));
			break;
		}
		cur = proc_of(tid);
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (cur)
				thr_forget(tid);
			continue;
		}
		if (cur == NULL) {
			fork_seen(tid, 0, 0);	/* a fork child's first stop */
			continue;
		}

		int sig = WSTOPSIG(st), event = st >> 16;
		unsigned long msg;

		if (event == PTRACE_EVENT_EXEC) {
			/* The old image went with its breakpoints: nothing to
			 * restore, and the new image is left alone.  (Reported
			 * for the pid even when another thread exec'd: whatever
			 * was known of the threads is void.) */
			proc_finish(OPC_REC_EXEC);
			image_forget();
			thr_get(tid)->stopped = 1;
			continue;
		}
		t = thr_find(tid);
		if (t == NULL)
			t = thr_get(tid);	/* a thread born meanwhile */
		if (t->stopped)
			continue;

		/* The interrupt can be reported before the SIGTRAP of an int3
		 * the thread has just executed: let it take that first, or
		 * the signal would be delivered after the detach. */
		if (event == PTRACE_EVENT_STOP && sigtrap_pending(tid)) {
			ptrace(PTRACE_CONT, tid, NULL, NULL);
			continue;
		}
		t->stopped = 1;

		if (event == PTRACE_EVENT_CLONE &&
		    ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) == 0 && !thr_find((pid_t)msg)) {
			thr_get((pid_t)msg);	/* it stops by itself */
		} else if ((event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) &&
			   ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) == 0) {
			fork_seen((pid_t)msg, 1, event == PTRACE_EVENT_VFORK);
		} else if (event == 0 && sig == SIGTRAP) {
			struct user_regs_struct regs;
			int deliver = 0;

			if (ptrace(PTRACE_GETREGS, tid, NULL, &regs) < 0)
				continue;
			if (T.scratch && regs.rip - 1 == T.scratch) {
				on_return(tid, &regs, &deliver);
			} else if (bp_find(regs.rip - 1)) {
				regs.rip--;
				ptrace(PTRACE_SETREGS, tid, NULL, &regs);
			} else {
				t->pend_sig = SIGTRAP;
			}
		} else if (event == 0 && sig != SIGSTOP) {
			t->pend_sig = sig;
		}
	}
	for (cur = procs; cur; cur = cur->next) {
		pid_t mem = stopped_tid();

		if (mem == 0)
			continue;	/* exited */
		if (T.inj == INJ_ACTIVE)
			inject_end(mem);
		for (t = T.threads; t; t = t->next)
			if (t->in_call && t->stopped > 0) {
				poke_u64(t->tid, t->entry_sp, t->ret);
				t->in_call = 0;
			}
		/* The library and the trampolines stay mapped: a thread may
		 * be in them, and returns through them to the original code. */
		for (size_t i = 0; i < T.bpcap; i++)
			if (T.bps[i].addr && T.bps[i].kind == BP_PATCH)
				mem_write(mem, T.bps[i].addr, T.bps[i].porig, T.bps[i].plen);
			else if (T.bps[i].addr)
				poke_byte(mem, T.bps[i].addr, T.bps[i].orig, NULL);
		for (t = T.threads; t; t = t->next)
			if (t->stopped > 0)
				ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(long)t->pend_sig);
	}
}

/*
 * Handles every stop of every tracee until the command exits or, when
 * attached, until the deadline (monotonic ns, 0 for none) or a signal.
 */
static int trace_loop(int attached, uint64_t deadline)
{
	struct sigaction sa;
	struct itimerval it;
	int st, exit_status = -1;
	struct tracer *root = cur;
	pid_t pid = root->pid;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;	/* no SA_RESTART: waitpid returns for a tick */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	/* Under `record -- CMD` the terminal sends them to the command too;
	 * attached, they end the recording. */
	sa.sa_handler = attached ? on_stop : SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	it.it_interval.tv_sec = 0;
	it.it_interval.tv_usec = 1000000 / opts.hz;
	it.it_value = it.it_interval;
	setitimer(ITIMER_REAL, &it, NULL);
	for (;;) {
		pid_t tid;

		if (tick_due) {
			tick_due = 0;
			for (cur = procs; cur; cur = cur->next)
				if (cur->w.fd >= 0) {
					emit_interval();
					if (opts.stacks)
						sample_request(T.t_last_ns);
				}
			cur = root;
			if (deadline && now_ns() >= deadline)
				stop_due = 1;
		}
		if (stop_due && attached) {
			detach_all();
			break;
		}
		tid = waitpid(-1, &st, __WALL);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break;	/* ECHILD: nothing left */
		}
		cur = proc_of(tid);
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (cur == NULL) {
				cur = root;
				continue;
			}
			thr_forget(tid);
			if (tid == pid)
				exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			if (tid == cur->pid)
				proc_finish(OPC_REC_END);
			cur = root;
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;
		if (cur == NULL) {
			/* a fork child's first stop (it may come before the
			 * event): it stays stopped until it is adopted */
			cur = root;
			fork_seen(tid, 0, 0);
			continue;
		}

		int sig = WSTOPSIG(st), event = st >> 16, deliver = 0;
		unsigned long msg = 0;

		if (event == PTRACE_EVENT_CLONE) {
			ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg);
			thr_get((pid_t)msg);
		} else if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) {
			ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg);
			fork_seen((pid_t)msg, 1, event == PTRACE_EVENT_VFORK);
		} else if (event == PTRACE_EVENT_EXEC) {
			proc_exec(tid);
		} else if (event == PTRACE_EVENT_STOP) {
			struct thr *t = thr_get(tid);

			if (sig != SIGTRAP) {
				/* a group-stop (kill -STOP, Ctrl-Z): stay stopped
				 * but let the next SIGCONT through */
				t->listening = 1;
				ptrace(PTRACE_LISTEN, tid, NULL, NULL);
				cur = root;
				continue;
			}
			/* a new thread's first stop, the end of a group-stop
			 * (SIGCONT), or our interrupt for a stack sample */
			t->listening = 0;
			if (t->sample_pending)
				sample_take(t);
		} else if (event) {
			/* nothing to do */
		} else if (sig == SIGTRAP) {
			struct user_regs_struct regs;
			struct bp *b = NULL;

			if (ptrace(PTRACE_GETREGS, tid, NULL, &regs) < 0)
				continue;	/* gone */
			if (T.scratch && regs.rip - 1 == T.scratch)
				on_return(tid, &regs, &deliver);
			else if ((b = bp_find(regs.rip - 1)))
				on_entry(tid, &regs, b, &deliver);
			else
				deliver = SIGTRAP;	/* the program's own */
		} else {
			deliver = sig;
		}
		ptrace(PTRACE_CONT, tid, NULL, (void *)(long)deliver);
		cur = root;
	}
	cur = root;
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	if (attached && exit_status >= 0)
		pr_info("process %d exited while attached (status %d)", (int)pid, exit_status);
	for (cur = procs; cur; cur = cur->next)
		proc_finish(OPC_REC_END);
	if (attached)
		return exit_status >= 0 ? 1 : 0;
	return exit_status;
}

int opc_ptrace_probe(char *why, unsigned long len)
{
	char buf[16] = "";
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	int scope = 0, st;
	pid_t pid;

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			scope = atoi(buf);
		fclose(f);
	}
	if (scope >= 3) {
		snprintf(why, len, "ptrace is disabled: /proc/sys/kernel/yama/ptrace_scope is %d "
			 "(3 = no ptrace at all until reboot)", scope);
		return -EPERM;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, len, "cannot fork: %s", strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(1);
		raise(SIGSTOP);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	if (WIFSTOPPED(st)) {
		ptrace(PTRACE_CONT, pid, NULL, NULL);
		waitpid(pid, &st, 0);
		return 0;
	}
	snprintf(why, len, "ptrace is not permitted here (PTRACE_TRACEME failed%s%s): in a "
		 "container it needs CAP_SYS_PTRACE and a seccomp profile that allows ptrace",
		 scope ? "; Yama ptrace_scope is " : "", scope ? buf : "");
	return -EPERM;
}

int opc_ptrace_run(const char *pattern, opc_expand_fn expand, char *path, size_t len,
		   char **argv, const struct opc_ptrace_opts *o)
{
	int st;
	char why[512];
	pid_t pid;

	if (opc_ptrace_probe(why, sizeof(why)) < 0) {
		pr_err("%s", why);
		return -1;
	}
	elf_version(EV_CURRENT);
	rnames_init();
	opts = *o;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		pr_err("cannot fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* stopped until the tracer has seized it, then exec */
		raise(SIGSTOP);
		execvp(argv[0], argv);
		pr_err("cannot run %s: %s", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	cur = proc_new(pid);
	root_pid = pid;
	out_pattern = pattern;
	out_expand = expand;
	trace_name(path, len, pid, 0);
	/*
	 * PTRACE_SEIZE, not PTRACE_TRACEME: only a seized tracee can be
	 * stopped with PTRACE_INTERRUPT (stack samples) and reports
	 * group-stops apart from signals (kill -STOP works as without us).
	 */
	if (waitpid(pid, &st, WUNTRACED) < 0 || !WIFSTOPPED(st) ||
	    ptrace(PTRACE_SEIZE, pid, NULL,
		   (void *)(long)(PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
				  PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL)) < 0) {
		pr_err("cannot trace %s: %s", argv[0], strerror(errno));
		kill(pid, SIGKILL);
		return -1;
	}
	kill(pid, SIGCONT);
	/* up to the exec of the command (it exits if the exec fails) */
	for (;;) {
		if (waitpid(pid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (WIFEXITED(st))
			return WEXITSTATUS(st);
		if (WIFSIGNALED(st))
			return 128 + WTERMSIG(st);
		if ((st >> 16) == PTRACE_EVENT_EXEC)
			break;
		ptrace(PTRACE_CONT, pid, NULL, NULL);	/* its SIGSTOP and SIGCONT */
	}
	thr_get(pid);
	exec_step(pid);
	T.scratch = scratch_map(pid);
	if (image_start(pid, path) < 0) {
		kill(pid, SIGKILL);
		return -1;
	}

	ptrace(PTRACE_CONT, pid, NULL, NULL);
	return trace_loop(0, 0);
}

static int yama_scope(void)
{
	char buf[16] = "";
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	return atoi(buf);
}

static void explain_eperm(pid_t pid)
{
	char path[64];
	struct stat st;
	int scope = yama_scope();

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (stat(path, &st) == 0 && st.st_uid != geteuid() && geteuid() != 0)
		pr_err("cannot attach to %d: it belongs to uid %u, not to you", (int)pid,
		       (unsigned)st.st_uid);
	else if (scope == 1)
		pr_err("cannot attach to %d: Yama ptrace_scope is 1 (only a process's ancestors "
		       "may trace it); set /proc/sys/kernel/yama/ptrace_scope to 0, or give opcount "
		       "CAP_SYS_PTRACE, or start the program under `opcount record --ptrace`",
		       (int)pid);
	else if (scope >= 2)
		pr_err("cannot attach to %d: Yama ptrace_scope is %d (%s)", (int)pid, scope,
		       scope == 2 ? "only with CAP_SYS_PTRACE" : "ptrace disabled");
	else
		pr_err("cannot attach to %d: ptrace not permitted (a container without "
		       "CAP_SYS_PTRACE, or a seccomp profile that forbids ptrace)", (int)pid);
}

/* Seizes and stops every thread of pid not yet traced; the number of new
 * threads, or -1 with a message. */
static int seize_threads(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return T.threads ? 0 : -1;
	while ((de = readdir(d))) {
		pid_t tid = atoi(de->d_name);
		int st;

		if (tid <= 0 || thr_find(tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, NULL,
			   (void *)(long)(PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
					  PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC)) < 0) {
			if (errno == ESRCH)
				continue;	/* exited meanwhile */
			if (errno == EPERM)
				explain_eperm(pid);
			else
				pr_err("cannot attach to %d: %s", (int)tid, strerror(errno));
			closedir(d);
			return -1;
		}
		struct thr *t = thr_get(tid);

		ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
		while (waitpid(tid, &st, __WALL) < 0 && errno == EINTR)
			;
		if (WIFSTOPPED(st) && (st >> 16) == 0 && WSTOPSIG(st) != SIGSTOP)
			t->pend_sig = WSTOPSIG(st);	/* a signal on its way: later */
		n++;
	}
	closedir(d);
	return n;
}

int opc_ptrace_attach(pid_t pid, double duration, const char *pattern, opc_expand_fn expand,
		      char *path, size_t len, const struct opc_ptrace_opts *o)
{
	int n;

	if (kill(pid, 0) < 0 && errno == ESRCH) {
		pr_err("process %d does not exist", (int)pid);
		return -1;
	}
	if (pid == getpid()) {
		pr_err("cannot attach to opcount itself");
		return -1;
	}
	elf_version(EV_CURRENT);
	rnames_init();
	opts = *o;
	cur = proc_new(pid);
	cur->ppid = status_field(pid, "PPid:");
	if (cur->ppid < 0)
		cur->ppid = 0;
	root_pid = pid;
	out_pattern = pattern;
	out_expand = expand;
	/* threads may start while we attach: until a pass finds none new */
	while ((n = seize_threads(pid)) > 0)
		;
	if (n < 0 || T.threads == NULL) {
		if (n == 0)
			pr_err("process %d does not exist", (int)pid);
		for (struct thr *t = T.threads; t; t = t->next)
			ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(long)t->pend_sig);
		return -1;
	}
	trace_name(path, len, pid, 0);
	snprintf(T.path, sizeof(T.path), "%s", path);
	T.lib_mod = -1;
	mem_tid = pid;
	if (opts.inject) {
		/* every thread is stopped: the library is loaded through the
		 * main thread, its entries patched, before any runs on */
		char why[512];

		T.scratch = scratch_map(pid);
		T.inj = INJ_PENDING;
		maps_scan();
		if (inject_start(pid, 1, why, sizeof(why)) == 0)
			inject_activate();
		else
			n = inject_fallback(why);
	} else if ((n = trace_open(path)) == 0) {
		T.scratch = scratch_map(pid);
		maps_scan();
		emit_interval();
	}
	if (n < 0) {
		for (struct thr *t = T.threads; t; t = t->next)
			ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(long)t->pend_sig);
		return -1;
	}
	for (struct thr *t = T.threads; t; t = t->next) {
		ptrace(PTRACE_CONT, t->tid, NULL, (void *)(long)t->pend_sig);
		t->pend_sig = 0;
	}
	return trace_loop(1, duration > 0 ? now_ns() + (uint64_t)(duration * 1e9) : 0);
}
