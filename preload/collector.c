/*
 * collector.c - the collector thread: harvesting the registered threads'
 * counts and writing the trace.
 *
 * The collector wakes once per interval (OPCOUNT_HZ, default 100 Hz),
 * reads the cumulative counters of every registered thread's slots,
 * gives new keys their trace ids (interning strings, layers and stacks),
 * and writes one INTERVAL frame with the deltas.  It is the only writer of
 * the trace, so the program's threads never block on I/O; a program
 * killed with SIGKILL leaves everything up to the last tick on disk.
 *
 * Locking: the registry lock (threads.c) protects the thread list and
 * everything the collector owns (maps, writer).  Program threads take it
 * only to register; the first to register opens the trace and starts the
 * collector (collector_start, the registry's hook).
 */
#define PR_FMT "opcount"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"
#include "config.h"
#include "energy.h"
#include "gpu.h"
#include "hashtab.h"
#include "layer.h"
#include "log.h"
#include "producer.h"
#include "record.h"
#include "resolve.h"
#include "threads.h"
#include "trace.h"

/*
 * What the collector knows about each trace key: what it stands for, and
 * its totals for the exit summary.  Trace keys are per thread: the
 * analysis needs each thread's busy time on its own (a thread is busy at
 * most 100% of an interval).
 */
struct gkey {
	struct opc_key key;
	pid_t tid;
	uint64_t calls, timed, ticks, flops, bytes;
};

static pthread_cond_t stop_cond = PTHREAD_COND_INITIALIZER;
static int collector_running;
static int collector_stop;
static int cond_ready;
static pthread_t collector_thread;
static int trace_open_failed;
static struct opc_writer writer;
static int writer_open;
static char trace_path[PATH_MAX];
static dev_t trace_dev;			/* what the trace file is: trace_fd_ours() */
static ino_t trace_ino;
static int write_warned;		/* the writer's error was reported */
static int forked;			/* this process is a fork child */
static uint64_t t_last_ns;
static uint64_t last_flush_ns;
static int final_harvest;		/* flush whatever the rate */
static int exit_asked;			/* _exit: finish the trace (quick_exit) */
static sem_t exit_done;
/*
 * The trace's growth.  An INTERVAL frame holds an entry (6 to 14 bytes
 * as a rule) per key called in the tick: a program that calls many
 * distinct keys fast (millions of shapes) would write about as many
 * bytes per second as it makes calls, 10 to 50 MB/s.  Its ticks are
 * stretched instead: after a frame of S bytes the next tick lasts at
 * least S / OPC_TRACE_RATE seconds, which keeps interval entries under
 * OPC_TRACE_RATE bytes per second (docs/design.md, "Trace size").
 * Programs calling a few thousand keys per tick never reach it.
 */
#define OPC_TRACE_RATE		(1u << 20)	/* bytes of INTERVAL frames per second */
#define OPC_TICK_MAX_NS		60000000000ull	/* stretched ticks: 60 s at most */
static uint64_t tick_stretch_ns;	/* added to the next tick */
static uint32_t layers_emitted = 1;
static int modules_dirty = 1;
static struct opc_strtab strings;
static struct opc_stacktab stacks;
static struct gkey *gkeys;		/* by gid; [0] unused */
static uint32_t ngkeys = 1, gkeys_cap;
static struct opc_hashtab gkey_index;	/* (key, tid) -> gid */
static uint64_t *mod_seen;		/* bases of modules written */
static size_t nmod_seen, mod_seen_cap;

/* the energy source, opened at start-up so the run is covered from t0 */
static struct opc_energy energy;
static int energy_on;
static char energy_msg[1280];

/* tsc calibration: ticks -> ns, refined at every tick */
static uint64_t cal_tsc0, cal_ns0;
static double ns_per_tick = 1.0;

/* The id of a string in the trace, writing it the first time. */
static uint32_t string_id(const char *s)
{
	return opc_writer_string(&writer, &strings, s);
}

struct gkey_arg {
	const struct opc_key *key;
	pid_t tid;
};

static int gkey_is(const void *arg, uint32_t gid)
{
	const struct gkey_arg *a = arg;

	return gkeys[gid].tid == a->tid && opc_key_equal(&gkeys[gid].key, a->key);
}

/* The trace id of thread tid's key k; *is_new if it has just been given
 * one.  0 when out of memory. */
static uint32_t gkey_intern(const struct opc_key *k, pid_t tid, int *is_new)
{
	struct gkey_arg a = { k, tid };
	uint32_t h = opc_key_hash(k) ^ ((uint32_t)tid * 0x9e3779b9u);
	uint32_t gid = opc_hashtab_find(&gkey_index, h, gkey_is, &a);

	*is_new = 0;
	if (gid)
		return gid;
	if (ngkeys >= gkeys_cap) {
		uint32_t cap = gkeys_cap ? gkeys_cap * 2 : 1024;
		struct gkey *g = realloc(gkeys, cap * sizeof(*g));

		if (g == NULL)
			return 0;
		gkeys = g;
		gkeys_cap = cap;
	}
	if (opc_hashtab_insert(&gkey_index, h, ngkeys) < 0)
		return 0;
	memset(&gkeys[ngkeys], 0, sizeof(gkeys[0]));
	gkeys[ngkeys].key = *k;
	gkeys[ngkeys].tid = tid;
	*is_new = 1;
	return ngkeys++;
}

static void emit_layers(void)
{
	uint32_t n = opc_layer_count();
	struct opc_layer_info li;

	for (; layers_emitted < n; layers_emitted++) {
		if (opc_layer_get(layers_emitted, &li) < 0)
			break;
		uint32_t name = string_id(li.name), type = string_id(li.type);
		struct opc_rec_layer *r = opc_writer_begin(&writer, OPC_REC_LAYER, sizeof(*r));

		if (r) {
			r->id = layers_emitted;
			r->parent = li.parent;
			r->name = name;
			r->type = type;
			opc_writer_end(&writer);
		}
	}
}

static int module_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	char exe[PATH_MAX];
	const char *path = info->dlpi_name;

	(void)size;
	(void)arg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		if (info->dlpi_addr + ph->p_vaddr < lo)
			lo = info->dlpi_addr + ph->p_vaddr;
		if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > hi)
			hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
	}
	if (hi == 0)
		return 0;
	for (size_t i = 0; i < nmod_seen; i++)
		if (mod_seen[i] == lo)
			return 0;
	if (path == NULL || *path == 0) {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (n <= 0)
			return 0;
		exe[n] = 0;
		path = exe;
	}
	if (strstr(path, "linux-vdso"))
		return 0;
	if (nmod_seen == mod_seen_cap) {
		size_t cap = mod_seen_cap ? mod_seen_cap * 2 : 64;
		uint64_t *p = realloc(mod_seen, cap * sizeof(*p));

		if (p == NULL)
			return 0;
		mod_seen = p;
		mod_seen_cap = cap;
	}
	mod_seen[nmod_seen++] = lo;

	opc_writer_module(&writer, info->dlpi_addr, lo, hi, path);
	return 0;
}

/* Slot number n of thread t, as key gid. */
static void emit_key(struct opc_thread *t, uint32_t n, uint32_t gid)
{
	struct opc_slot *s = opc_slot_at(t, n);
	uint32_t stack = opc_writer_stack(&writer, &stacks, opc_slot_frames(t, n),
					  s->stack_depth);
	struct opc_rec_key *k = opc_writer_key(&writer, &strings, gid, s->key.rid);

	if (k == NULL)
		return;
	k->layer = s->key.layer;
	k->stack = stack;
	k->flags |= (s->key.kflags & OPC_KEY_NESTED ? OPC_TKEY_NESTED : 0) |
		    (s->key.kflags & OPC_KEY_OVERFLOW ? OPC_TKEY_OVERFLOW : 0) |
		    (s->key.kflags & OPC_KEY_CAPTURED ? OPC_TKEY_CAPTURED : 0) |
		    (s->key.kflags & OPC_KEY_UNKNOWN ? OPC_TKEY_UNKNOWN : 0) |
		    (s->key.kflags & OPC_KEY_REGION ? OPC_TKEY_REGION : 0);
	if (s->key.kflags & OPC_KEY_REJECTED)	/* 0 FLOPs, exactly */
		k->flags = (k->flags & ~(OPC_TKEY_ESTIMATED | OPC_TKEY_UNKNOWN)) |
			   OPC_TKEY_REJECTED;
	if (s->key.kflags >> OPC_KEY_DEV_SHIFT) {
		k->flags |= OPC_TKEY_GPU;
		k->device = (uint8_t)((s->key.kflags >> OPC_KEY_DEV_SHIFT) - 1);
	}
	k->site = s->key.site;
	k->flops = s->flops;
	k->bytes = s->bytes;
	for (int i = 0; i < 4; i++)
		k->d[i] = s->key.shape.d[i];
	memcpy(k->f, s->key.shape.f, 4);
	k->tid = t->tid;
	opc_writer_end(&writer);
}

static void calibrate(uint64_t now_ns)
{
	if (!opc_cfg()->use_tsc) {
		ns_per_tick = 1.0;
		return;
	}
	uint64_t tsc = opc_ticks();

	if (cal_tsc0 == 0) {
		cal_tsc0 = tsc;
		cal_ns0 = now_ns;
		return;
	}
	/* From the library's start: the first interval is converted with a
	 * ratio measured over the program's start-up at least (good to 1e-3
	 * after 0.1 ms, 1e-5 after 10 ms). */
	if (now_ns - cal_ns0 > 100000 && tsc > cal_tsc0) {
		ns_per_tick = (double)(now_ns - cal_ns0) / (double)(tsc - cal_tsc0);
		__atomic_store_n(&opc_short_call_ticks, (uint64_t)(1000.0 / ns_per_tick),
				 __ATOMIC_RELAXED);	/* 1 us */
	}
}

struct pending {
	uint32_t gid;
	uint64_t calls, timed, ticks, flops, bytes;
};

static struct pending *pend;
static size_t npend, pend_cap;

static void pend_add(uint32_t gid, uint64_t calls, uint64_t timed, uint64_t ticks,
		     uint64_t flops, uint64_t bytes)
{
	if (npend == pend_cap) {
		size_t cap = pend_cap ? pend_cap * 2 : 256;
		struct pending *p = realloc(pend, cap * sizeof(*p));

		if (p == NULL)
			return;
		pend = p;
		pend_cap = cap;
	}
	pend[npend++] = (struct pending){ gid, calls, timed, ticks, flops, bytes };
}

/* The FLOPs and bytes of dc more calls of s. */
static void slot_work(struct opc_slot *s, uint64_t dc, uint64_t *flops, uint64_t *bytes)
{
	if (s->key.kflags & OPC_KEY_OVERFLOW) {
		/* shapes merged: the owner sums the cost per call */
		*flops = __atomic_load_n(&s->flops_sum, __ATOMIC_RELAXED) - s->h_flops;
		*bytes = __atomic_load_n(&s->bytes_sum, __ATOMIC_RELAXED) - s->h_bytes;
		s->h_flops += *flops;
		s->h_bytes += *bytes;
	} else {
		*flops = dc * s->flops;
		*bytes = dc * s->bytes;
	}
}

/* A host key: the calls since the last tick, and the time of those of
 * them that were timed. */
static void harvest_host(struct opc_slot *s)
{
	/* The owner stores calls, then ticks, then timed: loading in the
	 * opposite order never sees a timed call that is not also counted. */
	uint64_t timed = __atomic_load_n(&s->timed, __ATOMIC_ACQUIRE);
	uint64_t ticks = __atomic_load_n(&s->ticks, __ATOMIC_ACQUIRE);
	uint64_t calls = __atomic_load_n(&s->calls, __ATOMIC_ACQUIRE);
	uint64_t flops, bytes, dc;

	if (calls == s->h_calls || s->gid == 0)
		return;
	dc = calls - s->h_calls;
	slot_work(s, dc, &flops, &bytes);
	/* The owner may have counted a call but not yet its time: never
	 * let timed run ahead of what we saw. */
	if (timed < s->h_timed)
		timed = s->h_timed;
	if (timed - s->h_timed > dc)	/* belt and braces */
		timed = s->h_timed + dc;
	if (ticks < s->h_ticks)
		ticks = s->h_ticks;
	pend_add(s->gid, dc, timed - s->h_timed,
		 (uint64_t)((double)(ticks - s->h_ticks) * ns_per_tick), flops, bytes);
	s->h_calls = calls;
	s->h_timed = timed;
	s->h_ticks = ticks;
}

/*
 * A GPU key's calls are counted when they are made, their GPU time when
 * the device has done them, often a tick or more later: an interval may
 * then hold time for calls counted in an earlier one (readers scale GPU
 * time over a key's whole run, see trace.h).  Timing is written by the
 * collector itself (gpu.c), so no ordering against the owner is needed.
 */
static void harvest_gpu(struct opc_slot *s)
{
	uint64_t calls = __atomic_load_n(&s->calls, __ATOMIC_ACQUIRE);
	uint64_t dc = calls - s->h_calls;
	uint64_t dt = s->gpu_timed - s->h_gpu_timed, dns = s->gpu_ns - s->h_gpu_ns;
	uint64_t flops, bytes;

	if ((dc == 0 && dt == 0) || s->gid == 0)
		return;
	slot_work(s, dc, &flops, &bytes);
	pend_add(s->gid, dc, dt, dns, flops, bytes);
	s->h_calls = calls;
	s->h_gpu_timed = s->gpu_timed;
	s->h_gpu_ns = s->gpu_ns;
}

static void emit_energy(uint64_t now)
{
	opc_energy_write_sample(&writer, &energy, now, now);
}

static void emit_energy_info(void)
{
	opc_energy_write_info(&writer, &energy);
}

/*
 * Called at the first intercepted call (collector_start), or by inject.c
 * with the tracer's choice.  Not at load: probing (powercap, perf, the
 * NVML search through the loader's path, the TDP table) costs a process
 * that never calls BLAS more than the rest of loading together.  The
 * baseline reading is therefore the first call, not the library's load:
 * the energy of the start-up before it is in no sample (design.md).  A
 * counter that exists but cannot be read is reported when the trace is
 * opened, once.
 */
static int energy_opened;

void opc_collector_energy_init(void)
{
	struct opc_energy_opts eo;

	/* injected (inject.c): opened again with the tracer's choice */
	if (energy_opened++)
		opc_energy_close(&energy);
	opc_config_energy(&eo);
	energy_on = opc_energy_start(&energy, &eo, 0, opc_now_ns(), energy_msg,
				     sizeof(energy_msg));
	/* the trace's clock is opc_now_ns(): the baseline was read just now */
	energy.base_t = opc_now_ns();
}

/*
 * Order matters.  Snapshot every thread's published slot count first: a
 * slot's layer was interned before the slot was published, so the layers
 * written next include every layer those keys refer to.  Only a thread
 * seen dead before its counters are read may be freed after this harvest:
 * its last calls are then in.
 */
static void snapshot_threads(void)
{
	for (struct opc_thread *t = opc_registry_threads(); t; t = t->next) {
		t->h_dead = __atomic_load_n(&t->dead, __ATOMIC_ACQUIRE);
		t->h_snap = __atomic_load_n(&t->nslots, __ATOMIC_ACQUIRE);
	}
}

/* Trace ids for the keys t published since the last harvest, each key
 * written the first time.  Returns 1 if there was a new one. */
static int intern_new_keys(struct opc_thread *t)
{
	int new_keys = 0;

	for (uint32_t i = t->h_nslots; i < t->h_snap; i++) {
		struct opc_slot *s = opc_slot_at(t, i);
		int is_new;

		s->gid = gkey_intern(&s->key, t->tid, &is_new);
		if (is_new) {
			emit_key(t, i, s->gid);
			new_keys = 1;
		}
	}
	t->h_nslots = t->h_snap;
	return new_keys;
}

/*
 * A region key's time since the last tick (OPC_KEY_REGION, layer.c): its
 * closed stretches (ticks), and for the thread's open region the part
 * that has passed.  That part is written now and counted as harvested
 * (h_ticks), so that when the region closes only the rest follows: a
 * region's total, closed plus open, only grows.  Entries are calls (the
 * entries into the region), no timed calls, and busy ns = wall time.
 */
static void harvest_region(struct opc_slot *s, struct opc_slot *open, uint64_t open_ticks)
{
	uint64_t calls = __atomic_load_n(&s->calls, __ATOMIC_ACQUIRE);
	uint64_t ticks = s == open ? open_ticks : __atomic_load_n(&s->ticks, __ATOMIC_ACQUIRE);

	if (s->gid == 0 || ticks < s->h_ticks || (calls == s->h_calls && ticks == s->h_ticks))
		return;
	pend_add(s->gid, calls - s->h_calls, 0,
		 (uint64_t)((double)(ticks - s->h_ticks) * ns_per_tick), 0, 0);
	s->h_calls = calls;
	s->h_ticks = ticks;
}

/* The thread's open region and its total (closed stretches plus the open
 * one up to now), read as one through the seqlock; NULL if none (or if
 * the owner kept switching: the next tick has it). */
static struct opc_slot *open_region(struct opc_thread *t, uint64_t *total)
{
	for (int tries = 0; tries < 64; tries++) {
		uint32_t seq = __atomic_load_n(&t->region_seq, __ATOMIC_ACQUIRE);
		struct opc_slot *s;
		uint64_t t0, ticks, now;

		if (seq & 1)
			continue;
		s = __atomic_load_n(&t->region_slot, __ATOMIC_RELAXED);
		t0 = __atomic_load_n(&t->region_t0, __ATOMIC_RELAXED);
		ticks = s ? __atomic_load_n(&s->ticks, __ATOMIC_RELAXED) : 0;
		now = opc_ticks();
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&t->region_seq, __ATOMIC_RELAXED) != seq)
			continue;
		*total = ticks + (now > t0 ? now - t0 : 0);
		return s;
	}
	return NULL;
}

/* One thread's calls since the last tick, added to pend[].  Returns 1 if
 * it had new keys. */
static int harvest_thread(struct opc_thread *t)
{
	struct opc_slot *open;
	uint64_t open_ticks = 0;
	int new_keys;

	/* GPU calls the device has finished since the last tick */
	opc_gpu_poll(t);
	new_keys = intern_new_keys(t);
	open = open_region(t, &open_ticks);
	for (uint32_t i = 0; i < t->h_snap; i++) {
		struct opc_slot *s = opc_slot_at(t, i);

		if (s->key.kflags & OPC_KEY_REGION)
			harvest_region(s, open, open_ticks);
		else if (s->key.kflags >> OPC_KEY_DEV_SHIFT)
			harvest_gpu(s);
		else
			harvest_host(s);
	}
	return new_keys;
}

/* The INTERVAL frame of pend[], from the last tick to now; the keys'
 * totals follow for the exit summary.  An interval with no calls is not
 * written: a gap in time is idle. */
static void write_interval(uint64_t now)
{
	struct opc_rec_interval *iv;
	uint32_t count = 0;

	size_t before = writer.len;
	uint64_t need_ns;

	tick_stretch_ns = 0;
	if (npend == 0)
		return;
	iv = opc_writer_begin(&writer, OPC_REC_INTERVAL, sizeof(*iv));
	if (iv == NULL)
		return;
	iv->t_begin_ns = t_last_ns;
	iv->t_end_ns = now;
	/* an entry says something: calls, GPU time, or a region's time */
	for (size_t i = 0; i < npend; i++)
		count += pend[i].calls != 0 || pend[i].timed != 0 || pend[i].ticks != 0;
	iv->count = count;
	for (size_t i = 0; i < npend; i++) {
		struct pending *p = &pend[i];
		struct gkey *g = &gkeys[p->gid];

		if (p->calls == 0 && p->timed == 0 && p->ticks == 0)
			continue;
		opc_writer_varint(&writer, p->gid);
		opc_writer_varint(&writer, p->calls);
		opc_writer_varint(&writer, p->timed);
		opc_writer_varint(&writer, p->ticks);
		opc_writer_varint(&writer, p->flops);
		opc_writer_varint(&writer, p->bytes);
		g->calls += p->calls;
		g->timed += p->timed;
		g->ticks += p->ticks;
		g->flops += p->flops;
		g->bytes += p->bytes;
	}
	opc_writer_end(&writer);
	need_ns = (uint64_t)(writer.len - before) * 1000000000ull / OPC_TRACE_RATE;
	if (need_ns > OPC_TICK_MAX_NS)
		need_ns = OPC_TICK_MAX_NS;
	if (need_ns > opc_cfg()->interval_ns)
		tick_stretch_ns = need_ns - opc_cfg()->interval_ns;
}

/*
 * The trace's descriptor is a number the program may close like any
 * other: closefrom(3) or close_range before it opens its own files, a
 * dup2 onto the number.  The number may then be no file, or one of the
 * program's, which the trace must never be written into (nor closed).
 * Whether it is still the trace is checked before every write, by the
 * device and inode the trace was created with: one fstat per flush, at
 * most 100 a second, ~0.3 us each.  (A program that closes it in another
 * thread between the check and the write, a window of microseconds,
 * remains possible.)
 */
static int trace_fd_ours(void)
{
	struct stat st;

	return writer.fd >= 0 && fstat(writer.fd, &st) == 0 && st.st_dev == trace_dev &&
	       st.st_ino == trace_ino;
}

/*
 * Lost, the trace is opened again by its path, appending, if the path is
 * still the same file: every frame flushed so far is in it, whole, so the
 * trace goes on as if nothing happened.  If the file was removed or
 * replaced, the trace stops there (readable up to its last flush) and
 * says so.  0, or the writer's error.
 */
static int trace_fd_check(void)
{
	int fd;

	if (trace_fd_ours())
		return 0;
	fd = opc_trace_reopen(trace_path, trace_dev, trace_ino);
	if (fd >= 0) {
		pr_dbg(1, "the program closed or reused the trace's descriptor %d; %s reopened as %d",
		       writer.fd, trace_path, fd);
		writer.fd = fd;
		return 0;
	}
	pr_warn("%s: the program closed the trace's descriptor %d or put a file of its own on it,"
		" and the trace cannot be opened again (%s); tracing stopped at %.3f s", trace_path,
		writer.fd, fd == -ESTALE ? "the path is another file now" : strerror(-fd),
		t_last_ns / 1e9);
	writer.fd = -1;		/* whatever has that number is not ours to close */
	writer.error = -EBADF;
	write_warned = 1;
	return writer.error;
}

/* The trace's descriptor closed, if it still is the trace. */
static void trace_close(void)
{
	if (trace_fd_ours())
		close(writer.fd);
	writer.fd = -1;
}

/*
 * Writes the frames buffered.  A write that fails stops the trace for
 * good (a frame cut in two cannot be followed by another), and says so
 * once: what failed, why and where.
 */
static void trace_flush(void)
{
	if (writer.len && !writer.error)
		trace_fd_check();
	if (opc_writer_flush(&writer) < 0 && !write_warned++)
		pr_warn("cannot write the trace %s: %s; tracing stopped at %.3f s", trace_path,
			strerror(-writer.error), t_last_ns / 1e9);
}

/* One write(2) per tick up to 100 Hz; above that, every 10 ms: a program
 * killed with SIGKILL loses at most 10 ms. */
static void flush_tick(uint64_t now)
{
	if (now - last_flush_ns < 10000000 && !final_harvest)
		return;
	last_flush_ns = now;
	trace_flush();
}

/* One tick: new keys, deltas of every slot, one INTERVAL frame.  Called
 * with the registry lock held. */
static void harvest(void)
{
	uint64_t now = opc_now_ns();
	int new_keys = 0;

	if (!writer_open)
		return;
	calibrate(now);
	snapshot_threads();
	emit_layers();
	npend = 0;
	for (struct opc_thread *t = opc_registry_threads(); t; t = t->next)
		new_keys |= harvest_thread(t);
	if (new_keys)
		modules_dirty = 1;
	if (modules_dirty) {
		dl_iterate_phdr(module_cb, NULL);
		modules_dirty = 0;
	}
	/* Energy at every tick, calls or not: idle time costs energy too.
	 * Sampled at `now`, the end of this tick's interval. */
	if (energy_on)
		emit_energy(now);
	write_interval(now);
	t_last_ns = now;
	/* Threads that exited have had their last harvest. */
	opc_registry_reap(opc_gpu_thread_free);
	flush_tick(now);
}

static void finish_trace(void);

static void *collector_main(void *arg)
{
	struct timespec next;
	unsigned long ticks = 0;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &next);
	opc_registry_lock();
	while (!collector_stop) {
		next.tv_sec += tick_stretch_ns / 1000000000;
		next.tv_nsec += opc_cfg()->interval_ns + tick_stretch_ns % 1000000000;
		while (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		opc_registry_wait(&stop_cond, &next);
		if (collector_stop)
			break;
		if (__atomic_load_n(&exit_asked, __ATOMIC_ACQUIRE)) {
			finish_trace();
			sem_post(&exit_done);
			break;
		}
		harvest();
		ticks++;
	}
	opc_registry_unlock();
	if (opc_debug_level >= 1) {
		/* what sampling cost this process: make bench reports it */
		struct timespec cpu;

		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
		pr_dbg(1, "collector: %lu ticks, %.3f ms CPU, %.2f us per tick", ticks,
		       (cpu.tv_sec * 1e9 + cpu.tv_nsec) / 1e6,
		       ticks ? (cpu.tv_sec * 1e9 + cpu.tv_nsec) / 1e3 / ticks : 0.0);
	}
	return NULL;
}

/* ---- the trace file ---- */

/*
 * The producer's configuration (common/producer.h).  Under `opcount
 * record` the command is the run's root; injected, the tracer named the
 * trace and its children are named after the process it injected.
 */
static void producer_config(struct opc_producer *p)
{
	const struct opc_config *cfg = opc_cfg();

	memset(p, 0, sizeof(*p));
	p->output = cfg->output;
	/* an empty OPCOUNT_ROOT_PID= names no process: every trace adds .<pid> */
	p->root_pid = cfg->root_set ? (cfg->root_pid ? cfg->root_pid : -1) : 0;
	/* a forked child is another process even with no run: FILE is its
	 * parent's, written or not yet */
	p->job = &cfg->job;
	if (forked && (p->root_pid == 0 || opc_producer_rank(p) >= 0))
		p->root_pid = -1;
	if (cfg->inject) {
		p->output_is_name = 1;
		p->mode = "inject";
	}
	p->idle_w = cfg->idle_w;
	p->tsc = cfg->use_tsc;
	p->host = cfg->test_host[0] ? cfg->test_host : NULL;
	p->boot_id = cfg->test_boot_id[0] ? cfg->test_boot_id : NULL;
}

/* The library the counted routines came from, known only after calls. */
static void emit_blas_info(void)
{
	const char *blas = NULL;
	long blas_threads = -1;
	Dl_info dli;

	for (int i = 0; i < OPC_BLAS_ROUTINES; i++) {
		int rid = opc_routine_find(opc_blas_routines[i]);
		void *p = rid >= 0 ? opc_real_fn[rid] : NULL;

		/* injected, the pointers lead to the tracer's copies of the
		 * entries (tracer/pt_inject.c), which are in no object */
		if (opc_cfg()->inject)
			p = opc_resolve_name(opc_blas_routines[i]);

		if (p && dladdr(p, &dli) && dli.dli_fname) {
			blas = dli.dli_fname;
			break;
		}
	}
	int (*threads_fn)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "openblas_get_num_threads");
	if (threads_fn)
		blas_threads = threads_fn();
	opc_info_write_blas(&writer, blas, blas_threads, opc_registry_seen());
}

static int trace_open(void)
{
	const struct opc_config *cfg = opc_cfg();
	struct opc_producer p;
	struct opc_trace_hdr h;
	struct stat st;
	int fd;

	producer_config(&p);
	/* Under `opcount record -o FILE`, FILE is the command's; any other
	 * process of the run writes FILE's stem + ".<pid>.opc", and an image
	 * exec'd by a process that wrote a trace already ".<pid>.exec<n>.opc",
	 * as the ptrace tracer names them.  The process the tracer injected
	 * writes the name it was given. */
	if (cfg->inject && getpid() == cfg->root_pid)
		opc_trace_name(trace_path, sizeof(trace_path), &p, getpid(), 0);
	else
		opc_trace_name_unused(trace_path, sizeof(trace_path), &p, getpid(), getppid());
	/* Kept clear of the low descriptors the program expects to get. */
	fd = opc_trace_create(trace_path, 1);
	if (fd < 0) {
		pr_err("cannot create trace %s: %s; counting disabled", trace_path,
		       opc_open_strerror(-fd));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		pr_err("cannot stat trace %s: %s; counting disabled", trace_path, strerror(errno));
		close(fd);
		return -1;
	}
	trace_dev = st.st_dev;
	trace_ino = st.st_ino;
	write_warned = 0;
	memset(&h, 0, sizeof(h));
	h.pid = getpid();
	h.ppid = getppid();
	h.features = (cfg->stack_depth > 0 ? OPC_FEAT_STACKS : 0) |
		     (cfg->nested ? OPC_FEAT_NESTED : 0);
	h.interval_ns = cfg->interval_ns;
	h.t0_ago_ns = opc_now_ns();	/* time 0 is the library's start */
	if (opc_trace_begin(&writer, fd, &h) < 0) {
		close(fd);
		return -1;
	}
	writer_open = 1;
	opc_info_write_machine(&writer, &p, getpid());
	if (energy_msg[0])
		pr_warn("energy: %s", energy_msg);
	if (energy_on || !strcmp(energy.source, "none"))
		emit_energy_info();
	trace_flush();
	pr_dbg(1, "writing %s", trace_path);
	return 0;
}

/* Called with the registry lock held: before a thread registers (the
 * registry's hook), or by opc_collector_begin.  0, or -1: no trace. */
static int collector_start(void)
{
	sigset_t all, old;
	int ret;

	if (collector_running)
		return 0;
	if (trace_open_failed)
		return -1;
	if (!energy_opened)
		opc_collector_energy_init();
	else if (forked && energy_on && !writer_open)
		opc_energy_rebase(&energy, opc_now_ns(), opc_now_ns());
	if (!writer_open && trace_open() < 0) {
		trace_open_failed = 1;
		opc_enabled = 0;
		return -1;
	}
	t_last_ns = opc_now_ns();
	if (!cond_ready) {
		/* The deadlines are CLOCK_MONOTONIC: immune to clock steps. */
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&stop_cond, &ca);
		pthread_condattr_destroy(&ca);
		cond_ready = 1;
	}
	/* The collector must never receive the program's signals. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	collector_stop = 0;
	ret = pthread_create(&collector_thread, NULL, collector_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		/* Still counted: the final harvest at exit writes it all. */
		pr_warn("cannot start the collector thread: %s", strerror(ret));
		return 0;
	}
	__atomic_store_n(&collector_running, 1, __ATOMIC_RELEASE);
	return 0;
}

/* Opens the trace and starts the collector now rather than at the first
 * call (inject.c): 0 or -1. */
int opc_collector_begin(void)
{
	int ret;

	opc_registry_lock();
	ret = collector_start();
	opc_registry_unlock();
	return ret;
}

void opc_collector_init(void)
{
	sem_init(&exit_done, 0, 0);
	opc_registry_set_hook(collector_start);
	calibrate(opc_now_ns());	/* the start of the TSC calibration */
}

/* A new trace gives every string, key, stack, module and layer its id
 * anew. */
static void forget_ids(void)
{
	opc_strtab_free(&strings);
	opc_stacktab_free(&stacks);
	opc_hashtab_free(&gkey_index);
	ngkeys = 1;
	nmod_seen = 0;
	modules_dirty = 1;
	layers_emitted = 1;
}

/*
 * A new trace after opc_collector_finish (inject.c: attached again after
 * a detach): ids are given anew, every key is written again, and the
 * counters go on from where the last trace left them.
 */
void opc_collector_restart(void)
{
	opc_registry_lock();
	opc_writer_release(&writer);
	writer_open = 0;
	trace_open_failed = 0;
	final_harvest = 0;
	collector_stop = 0;
	forget_ids();
	for (struct opc_thread *t = opc_registry_threads(); t; t = t->next) {
		for (uint32_t i = 0; i < t->h_nslots; i++)
			opc_slot_at(t, i)->gid = 0;
		t->h_nslots = 0;
	}
	opc_registry_unlock();
}

/* ---- the exit summary (OPCOUNT_REPORT=1) ---- */

static void fmt_si(char *out, size_t len, double v)
{
	const char *u[] = { "", "K", "M", "G", "T", "P", "E" };
	int i = 0;

	while (v >= 1000 && i < 6) {
		v /= 1000;
		i++;
	}
	snprintf(out, len, i ? "%.2f%s" : "%.0f%s", v, u[i]);
}

static void print_summary(void)
{
	struct row {
		const char *op;
		uint64_t calls, timed, ns, flops, bytes;
	} *rows = calloc(opc_nroutines, sizeof(*rows));
	uint64_t tc = 0, tf = 0, tb = 0;
	double tbusy = 0;
	char line[512], a[32], b[32], c[32];
	int nrows = 0;

	if (rows == NULL)
		return;
	for (uint32_t g = 1; g < ngkeys; g++) {
		struct gkey *k = &gkeys[g];
		const char *op = opc_routines[k->key.rid].op;
		int i;

		if (k->key.kflags & OPC_KEY_NESTED)
			continue;
		for (i = 0; i < nrows && strcmp(rows[i].op, op); i++)
			;
		if (i == nrows)
			rows[nrows++].op = op;
		rows[i].calls += k->calls;
		rows[i].timed += k->timed;
		rows[i].ns += k->timed ? (uint64_t)((double)k->ticks * k->calls / k->timed) : 0;
		rows[i].flops += k->flops;
		rows[i].bytes += k->bytes;
	}
	for (int i = 0; i < nrows; i++)	/* by FLOPs, descending */
		for (int j = i + 1; j < nrows; j++)
			if (rows[j].flops > rows[i].flops) {
				struct row tmp = rows[i];
				rows[i] = rows[j];
				rows[j] = tmp;
			}
	opc_log_raw("opcount: summary of pid %d (trace %s)\n", (int)getpid(), trace_path);
	opc_log_raw("  %-14s %12s %12s %12s %10s\n", "op", "calls", "flops", "bytes", "busy_s");
	for (int i = 0; i < nrows; i++) {
		fmt_si(a, sizeof(a), (double)rows[i].flops);
		fmt_si(b, sizeof(b), (double)rows[i].bytes);
		fmt_si(c, sizeof(c), (double)rows[i].calls);
		snprintf(line, sizeof(line), "  %-14s %12s %12s %12s %10.6f\n", rows[i].op, c, a, b,
			 rows[i].ns / 1e9);
		opc_log_raw("%s", line);
		tc += rows[i].calls;
		tf += rows[i].flops;
		tb += rows[i].bytes;
		tbusy += rows[i].ns / 1e9;
	}
	fmt_si(a, sizeof(a), (double)tf);
	fmt_si(b, sizeof(b), (double)tb);
	fmt_si(c, sizeof(c), (double)tc);
	opc_log_raw("  %-14s %12s %12s %12s %10.6f\n", "total", c, a, b, tbusy);
	opc_log_raw("  exact: %llu calls, %llu flops (see: opcount report %s)\n",
		    (unsigned long long)tc, (unsigned long long)tf, trace_path);
	if (energy_on)
		opc_log_raw("  energy: %.3f J over %.3f s, %s%s\n", opc_energy_total(&energy),
			    t_last_ns / 1e9, energy.source,
			    energy.measured ? " (measured)" : " (ESTIMATED, not measured)");
	free(rows);
}

/* ---- the end of the process, exec and fork ---- */

static void stop_collector(void)
{
	opc_registry_lock();
	collector_stop = 1;
	pthread_cond_broadcast(&stop_cond);
	opc_registry_unlock();
	if (collector_running && !pthread_equal(collector_thread, pthread_self()))
		pthread_join(collector_thread, NULL);
	__atomic_store_n(&collector_running, 0, __ATOMIC_RELEASE);
}

static void write_end(uint32_t type)
{
	struct opc_rec_end *e;

	if (energy_on)
		opc_energy_write_end(&writer, &energy);
	emit_blas_info();
	e = opc_writer_begin(&writer, type, sizeof(*e));
	if (e) {
		e->t_ns = t_last_ns;
		e->dropped_calls = opc_dropped_calls;
		e->threads = (uint32_t)opc_registry_seen();
		opc_writer_end(&writer);
	}
}

/* The end of the trace, with the registry lock held. */
static void finish_trace(void)
{
	if (writer_open) {
		/* GPU work the program queued and did not wait for */
		opc_gpu_drain(opc_registry_threads(), 200);
		final_harvest = 1;
		harvest();
		write_end(OPC_REC_END);
		trace_flush();
		trace_close();
		writer_open = 0;
		if (opc_cfg()->report)
			print_summary();
	} else if (opc_cfg()->report) {
		opc_log_raw("opcount: pid %d made no BLAS or LAPACK call; no trace written\n",
			    (int)getpid());
	}
}

void opc_collector_finish(void)
{
	stop_collector();
	opc_registry_lock();
	/* every module loaded at the end, with or without new keys: the
	 * report says which known libraries it did not see into.  Not in
	 * _exit's path (the collector thread): the loader's lock may be held
	 * by what the signal handler that called _exit interrupted. */
	modules_dirty = 1;
	finish_trace();
	opc_registry_unlock();
}

/*
 * _exit (shim.c): no exit handler runs, and the caller may be anywhere: a
 * signal handler that interrupted the program's malloc, or a thread that
 * holds the registry lock.  Nothing here takes a lock or allocates: the
 * collector thread ends the trace (finish_trace) while the caller waits
 * for it at most wait_ms.  Past that the process ends all the same, and
 * the trace keeps what the last tick wrote, without its END.
 */
void opc_collector_quick_exit(unsigned wait_ms)
{
	struct timespec until;

	if (!__atomic_load_n(&collector_running, __ATOMIC_ACQUIRE) || pthread_equal(collector_thread, pthread_self()))
		return;
	__atomic_store_n(&exit_asked, 1, __ATOMIC_RELEASE);
	/* Without the lock, so a wake-up may be missed: the collector then
	 * sees exit_asked at its next tick. */
	pthread_cond_broadcast(&stop_cond);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_nsec -= 1000000000;
		until.tv_sec++;
	}
	while (sem_timedwait(&exit_done, &until) < 0 && errno == EINTR)
		;
}

/* Before exec replaces the image (no atexit then): flush what we have.
 * If exec fails the program goes on and so does the trace. */
void opc_collector_exec(void)
{
	opc_registry_lock();
	if (writer_open) {
		final_harvest = 1;
		modules_dirty = 1;
		harvest();
		final_harvest = 0;
		write_end(OPC_REC_EXEC);
		trace_flush();
	}
	opc_registry_unlock();
}

/* Before a dlclose: record the modules now loaded, so that call sites in
 * the library about to go can still be symbolized. */
void opc_collector_modules(void)
{
	opc_registry_lock();
	if (writer_open) {
		dl_iterate_phdr(module_cb, NULL);
		trace_flush();
	}
	opc_registry_unlock();
}

void opc_collector_atfork_prepare(void)
{
	opc_registry_lock();
}

void opc_collector_atfork_parent(void)
{
	opc_registry_unlock();
}

/*
 * The child has only the forking thread and a copy of our state: it gets
 * a trace of its own, opened at its first call, with every id given anew.
 * The parent's descriptor and buffered frames are the parent's.
 */
void opc_collector_atfork_child(void)
{
	/* no CUDA call in a fork child: GPU events are dropped unused */
	opc_registry_atfork_child(opc_gpu_thread_forget);
	cond_ready = 0;
	forked = 1;
	if (writer_open)
		trace_close();	/* the parent's, unless the program put its own file there */
	opc_writer_release(&writer);
	writer_open = 0;
	collector_running = 0;
	collector_stop = 0;
	exit_asked = 0;
	sem_init(&exit_done, 0, 0);
	trace_open_failed = 0;
	forget_ids();	/* the TSC calibration stays: same clock */
}
