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
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "argdecode.h"
#include "log.h"
#include "ptrace.h"
#include "routines.h"
#include "trace.h"

#define BP_ENTRY	1
#define BP_DLSTATE	2

struct bp {
	uint64_t addr;		/* 0: empty slot */
	uint8_t orig;
	uint8_t kind;
	uint16_t mod;		/* module index */
	int rid;
};

struct module {
	char *path;
	uint64_t bias, lo, hi;
	int present;		/* seen in the last maps scan */
	int gone;		/* unmapped: its breakpoints were dropped */
};

struct thr {
	pid_t tid;
	int in_call;
	uint64_t entry, ret, entry_sp;
	uint64_t t0;
	uint32_t key;
	struct thr *next;
};

struct pkey {
	int rid;
	pid_t tid;
	uint64_t site;
	struct opc_shape shape;
	uint64_t flops, bytes;	/* per call */
	uint64_t calls, ns;	/* cumulative */
	uint64_t h_calls, h_ns;	/* at the last interval */
};

/* A fork child: announced by its parent's event and by its own first
 * stop, in either order; released when both were seen. */
struct child {
	pid_t pid;
	int announced, vfork, stopped;
};

struct strent {
	char *s;
	uint32_t id;
};

static struct tracer {
	pid_t pid;		/* the command */
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
	struct strent *strs;
	uint32_t nstrs, strcap;
	struct opc_writer w;
	uint64_t t0_ns, t_last_ns;
	uint64_t dropped;
	struct child *forks;	/* fork children not yet released */
	size_t nforks;
} T;

static volatile sig_atomic_t tick_due;

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

static uint32_t string_id(const char *s)
{
	uint32_t i;

	if ((T.nstrs + 1) * 2 > T.strcap) {
		struct strent *old = T.strs;
		uint32_t oldcap = T.strcap;

		T.strcap = oldcap ? oldcap * 2 : 256;
		T.strs = calloc(T.strcap, sizeof(*T.strs));
		for (uint32_t j = 0; j < oldcap; j++) {
			if (!old[j].s)
				continue;
			i = str_hash(old[j].s) & (T.strcap - 1);
			while (T.strs[i].s)
				i = (i + 1) & (T.strcap - 1);
			T.strs[i] = old[j];
		}
		free(old);
	}
	i = str_hash(s) & (T.strcap - 1);
	while (T.strs[i].s) {
		if (!strcmp(T.strs[i].s, s))
			return T.strs[i].id;
		i = (i + 1) & (T.strcap - 1);
	}
	T.strs[i].s = strdup(s);
	T.strs[i].id = ++T.nstrs;

	struct opc_rec_string *r = opc_writer_begin(&T.w, OPC_REC_STRING, sizeof(*r));

	if (r) {
		r->id = T.strs[i].id;
		opc_writer_append(&T.w, s, strlen(s) + 1);
		opc_writer_end(&T.w);
	}
	return T.strs[i].id;
}

static void emit_module(const struct module *m)
{
	struct opc_rec_module *r = opc_writer_begin(&T.w, OPC_REC_MODULE, sizeof(*r));

	if (r) {
		r->base = m->bias;
		r->lo = m->lo;
		r->hi = m->hi;
		opc_writer_append(&T.w, m->path, strlen(m->path) + 1);
		opc_writer_end(&T.w);
	}
}

static void emit_key(uint32_t id)
{
	const struct pkey *pk = &T.keys[id];
	const struct opc_routine *r = &opc_routines[pk->rid];
	uint32_t sym = string_id(r->symbol), op = string_id(r->op);
	uint32_t fam = string_id(r->family), dims = string_id(r->dims);
	uint32_t fl = string_id(r->flags);
	struct opc_rec_key *k = opc_writer_begin(&T.w, OPC_REC_KEY, sizeof(*k));

	if (k == NULL)
		return;
	k->id = id;
	k->symbol = sym;
	k->op = op;
	k->family = fam;
	k->dims = dims;
	k->flag_names = fl;
	k->flags = r->estimated ? OPC_TKEY_ESTIMATED : 0;
	k->level = r->level;
	k->prec = r->prec;
	k->iface = r->iface;
	k->site = pk->site;
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
	T.keyidx[i] = id;
	emit_key(id);
	return id;
}

/* One INTERVAL record with what changed since the last one. */
static void emit_interval(void)
{
	uint64_t now = now_ns() - T.t0_ns;
	uint32_t count = 0;

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

static void emit_info(char **argv)
{
	char buf[4096] = "", host[256] = "";
	size_t o = 0;

	if (opc_writer_begin(&T.w, OPC_REC_INFO, 0) == NULL)
		return;
	info_kv("opcount_version", OPC_VERSION);
	info_kv("mode", "ptrace");
	snprintf(buf, sizeof(buf), "/proc/%d/exe", (int)T.pid);
	char exe[PATH_MAX];
	ssize_t n = readlink(buf, exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = 0;
	info_kv("exe", exe);
	buf[0] = 0;
	for (int i = 0; argv[i] && o + 1 < sizeof(buf); i++)
		o += snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? " " : "", argv[i]);
	info_kv("cmdline", buf);
	gethostname(host, sizeof(host) - 1);
	info_kv("host", host);
	snprintf(buf, sizeof(buf), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	info_kv("ncpu", buf);
	info_kv("tsc", "0");
	opc_writer_end(&T.w);
}

static int trace_open(const char *path, char **argv, long hz)
{
	struct opc_file_header h;
	struct timespec rt;
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
	h.ppid = getpid();
	h.interval_ns = 1000000000u / hz;
	if (opc_writer_open(&T.w, fd, &h) < 0) {
		close(fd);
		return -1;
	}
	emit_info(argv);
	return 0;
}

/* ---- symbols ---------------------------------------------------------- */

/* Plants a breakpoint on every routine (and on _dl_debug_state) that the
 * ELF file of module mi defines. */
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
	char cur[PATH_MAX] = "";
	uint64_t clo = 0, chi = 0;
	int cexec = 0, czero = 0;

	for (;;) {
		char *ok = fgets(line, sizeof(line), f);
		unsigned long lo = 0, hi = 0, off = 0;
		char perms[8] = "", file[PATH_MAX] = "";

		if (ok)
			sscanf(line, "%lx-%lx %7s %lx %*s %*s %4095[^\n]", &lo, &hi, perms, &off, file);
		if (!ok || strcmp(file, cur)) {
			if (cur[0] == '/' && cexec && czero) {
				size_t i;

				for (i = 0; i < T.nmods; i++)
					if (!T.mods[i].gone && T.mods[i].lo == clo &&
					    !strcmp(T.mods[i].path, cur))
						break;
				if (i < T.nmods) {
					T.mods[i].present = 1;
				} else {
					T.mods = realloc(T.mods, (T.nmods + 1) * sizeof(*T.mods));
					struct module *m = &T.mods[T.nmods];

					m->path = strdup(cur);
					m->lo = clo;
					m->hi = chi;
					m->bias = elf_bias(cur, clo);
					m->present = 1;
					m->gone = 0;
					T.nmods++;
					emit_module(m);
					module_scan((int)(T.nmods - 1));
				}
			}
			if (!ok)
				break;
			snprintf(cur, sizeof(cur), "%s", file);
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
		if (WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP)
			break;
		/* another signal arrived first: deliver it after the step */
		if (WIFSTOPPED(st) && (st >> 16) == 0)
			*deliver = WSTOPSIG(st);
		ptrace(PTRACE_SINGLESTEP, tid, NULL, NULL);
	}
	poke_byte(tid, b->addr, 0xcc, NULL);
	return 0;
}

static void on_entry(pid_t tid, struct user_regs_struct *regs, const struct bp *bref,
		     int *deliver)
{
	struct bp bc = *bref, *b = &bc;	/* maps_scan() may move the table */
	struct thr *t = thr_get(tid);
	uint64_t addr = b->addr;

	if (t->in_call && t->entry == addr && regs->rsp == t->entry_sp + 8) {
		/* the counted call returned to its trampoline */
		struct pkey *k = &T.keys[t->key];

		k->calls++;
		k->ns += now_ns() - t->t0;
		t->in_call = 0;
		regs->rip = t->ret;
		ptrace(PTRACE_SETREGS, tid, NULL, regs);
		return;
	}
	regs->rip = addr;
	ptrace(PTRACE_SETREGS, tid, NULL, regs);
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
		if (ptrace(PTRACE_GETFPREGS, tid, NULL, &fp) == 0)
			memcpy(ar.xmm, fp.xmm_space, sizeof(ar.xmm));
		else
			memset(ar.xmm, 0, sizeof(ar.xmm));
		if (mem_read(ctx, regs->rsp, &ret, 8) == 0 &&
		    opc_args_decode(b->rid, &ar, mem_read, ctx, &shape) == 0 &&
		    poke_u64(tid, regs->rsp, addr) == 0) {
			t->key = key_intern(b->rid, tid, ret, &shape);
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
	step_over(tid, b, deliver);
}

/* A fork child starts with the parent's breakpoints in its copy of the
 * memory: take them out and let it go (it is not traced).  A vfork child
 * shares the parent's memory: it is only let go (it execs or exits). */
static void release_fork_child(pid_t child, int vfork)
{
	if (vfork) {
		ptrace(PTRACE_DETACH, child, NULL, NULL);
		return;
	}
	for (size_t i = 0; i < T.bpcap; i++)
		if (T.bps[i].addr)
			poke_byte(child, T.bps[i].addr, T.bps[i].orig, NULL);
	/* a call in progress in the forking thread returns to its trampoline */
	for (struct thr *t = T.threads; t; t = t->next)
		if (t->in_call)
			poke_u64(child, t->entry_sp, t->ret);
	ptrace(PTRACE_DETACH, child, NULL, NULL);
}

static void fork_seen(pid_t child, int announced, int vfork)
{
	size_t i;

	for (i = 0; i < T.nforks && T.forks[i].pid != child; i++)
		;
	if (i == T.nforks) {
		T.forks = realloc(T.forks, (T.nforks + 1) * sizeof(*T.forks));
		memset(&T.forks[i], 0, sizeof(T.forks[i]));
		T.forks[i].pid = child;
		T.nforks++;
	}
	if (announced) {
		T.forks[i].announced = 1;
		T.forks[i].vfork = vfork;
	} else {
		T.forks[i].stopped = 1;
	}
	if (T.forks[i].announced && T.forks[i].stopped) {
		release_fork_child(child, T.forks[i].vfork);
		T.forks[i] = T.forks[--T.nforks];
	}
}

static void on_tick(int sig)
{
	(void)sig;
	tick_due = 1;
}

static int tgid_of(pid_t tid)
{
	char path[64], line[256];
	FILE *f;
	int tgid = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
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
		   char **argv, long hz)
{
	struct sigaction sa;
	struct itimerval it;
	int st, exit_status = -1;
	char why[512];
	pid_t pid;

	if (opc_ptrace_probe(why, sizeof(why)) < 0) {
		pr_err("%s", why);
		return -1;
	}
	elf_version(EV_CURRENT);
	rnames_init();
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		pr_err("cannot fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execvp(argv[0], argv);
		pr_err("cannot run %s: %s", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	T.pid = pid;
	expand(path, len, pattern, pid);
	if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st)) {
		/* exec failed: the child exited */
		return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	}
	ptrace(PTRACE_SETOPTIONS, pid, NULL,
	       (void *)(long)(PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
			      PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL));
	if (trace_open(path, argv, hz) < 0) {
		kill(pid, SIGKILL);
		return -1;
	}
	thr_get(pid);
	maps_scan();
	emit_interval();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;	/* no SA_RESTART: waitpid returns for a tick */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = SIG_IGN;	/* the terminal sends them to the command too */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	it.it_interval.tv_sec = 0;
	it.it_interval.tv_usec = 1000000 / hz;
	it.it_value = it.it_interval;
	setitimer(ITIMER_REAL, &it, NULL);
	ptrace(PTRACE_CONT, pid, NULL, NULL);

	for (;;) {
		pid_t tid;

		if (tick_due) {
			tick_due = 0;
			emit_interval();
		}
		tid = waitpid(-1, &st, __WALL);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break;	/* ECHILD: nothing left */
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			thr_forget(tid);
			if (tid == pid)
				exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;

		int sig = WSTOPSIG(st), event = st >> 16, deliver = 0;
		unsigned long msg = 0;

		if (event == PTRACE_EVENT_CLONE) {
			ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg);
			thr_get((pid_t)msg);
		} else if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) {
			ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg);
			fork_seen((pid_t)msg, 1, event == PTRACE_EVENT_VFORK);
		} else if (event == PTRACE_EVENT_EXEC) {
			/* a new image: the old breakpoints and modules are gone */
			for (size_t i = 0; i < T.nmods; i++)
				T.mods[i].gone = 1;
			bp_drop_gone();
			while (T.threads)
				thr_forget(T.threads->tid);
			thr_get(tid);
			maps_scan();
		} else if (event) {
			/* nothing to do */
		} else if (sig == SIGTRAP) {
			struct user_regs_struct regs;
			struct bp *b = NULL;

			if (ptrace(PTRACE_GETREGS, tid, NULL, &regs) == 0)
				b = bp_find(regs.rip - 1);
			if (b)
				on_entry(tid, &regs, b, &deliver);
			else
				deliver = SIGTRAP;	/* the program's own */
		} else if (sig == SIGSTOP && tgid_of(tid) != pid) {
			/* a fork child's first stop (it may come before the event):
			 * it stays stopped until it is released */
			fork_seen(tid, 0, 0);
			continue;
		} else if (sig == SIGSTOP) {
			/* a new thread's first stop (or a stop meant for the
			 * program, which is not passed on: a known limit) */
			thr_get(tid);
		} else {
			deliver = sig;
		}
		ptrace(PTRACE_CONT, tid, NULL, (void *)(long)deliver);
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	emit_interval();

	struct opc_rec_end *e = opc_writer_begin(&T.w, OPC_REC_END, sizeof(*e));

	if (e) {
		e->t_ns = now_ns() - T.t0_ns;
		e->dropped_calls = T.dropped;
		e->threads = (uint32_t)T.nthreads;
		opc_writer_end(&T.w);
	}
	opc_writer_flush(&T.w);
	close(T.w.fd);
	opc_writer_release(&T.w);
	return exit_status;
}
