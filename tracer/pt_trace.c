/*
 * pt_trace.c - the traces the ptrace tracer writes: their names, header
 * and INFO, keys (aggregated per thread, routine, call site and shape),
 * intervals with the energy sample of the same tick, and the END or EXEC
 * record, as preload/collector.c writes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pt_internal.h"

static int energy_warned;

/* ---- trace writing ---------------------------------------------------- */

void pt_emit_module(const struct module *m)
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
	uint64_t h = pt_hash64(site ^ ((uint64_t)rid << 48) ^ ((uint64_t)(uint32_t)tid << 16));

	for (int i = 0; i < OPC_SHAPE_DIMS; i++)
		h = pt_hash64(h ^ (uint64_t)s->d[i]);
	uint32_t f;

	memcpy(&f, s->f, 4);
	return (uint32_t)pt_hash64(h ^ f);
}

uint32_t pt_key_intern(int rid, pid_t tid, uint64_t site, const struct opc_shape *s)
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
	k->stack = pt.opts.stacks ? pt_unwind_stack(tid, 1) : 0;
	T.keyidx[i] = id;
	emit_key(id);
	return id;
}

/* One INTERVAL record with what changed since the last one, after the
 * energy sample of the same tick (as the preload collector writes them). */
void pt_emit_interval(void)
{
	uint64_t abs_ns = pt_now_ns(), now = abs_ns - T.t0_ns;
	uint32_t count = 0;

	pt_emit_samples();
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

int pt_trace_open(const char *path)
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
	T.t0_ns = pt_now_ns();
	h.start_realtime_ns = (uint64_t)rt.tv_sec * 1000000000u + rt.tv_nsec;
	h.pid = T.pid;
	h.ppid = T.ppid ? T.ppid : getpid();
	snprintf(T.path, sizeof(T.path), "%s", path);
	h.interval_ns = 1000000000u / pt.opts.hz;
	h.features = pt.opts.stacks ? OPC_FEAT_STACKS | OPC_FEAT_SAMPLES : 0;
	if (opc_writer_open(&T.w, fd, &h) < 0) {
		close(fd);
		T.w.fd = -1;
		return -1;
	}
	emit_info();
	/* The tracee's energy from its trace's time 0, like the library's:
	 * the same sources, options and records (common/energy.c). */
	T.energy_on = opc_energy_start(&T.energy, pt.opts.energy, T.pid, T.t0_ns, msg, sizeof(msg));
	if (msg[0] && !energy_warned++)
		pr_warn("energy: %s", msg);
	if (T.energy_on || !strcmp(T.energy.source, "none"))
		opc_energy_write_info(&T.w, &T.energy);
	return 0;
}

/* The last interval and the END record (OPC_REC_END, or OPC_REC_EXEC
 * when an exec replaced the image) of the current process's trace. */
void pt_proc_finish(uint32_t type)
{
	if (T.w.fd < 0)
		return;
	pt_emit_interval();

	struct opc_rec_end *e = opc_writer_begin(&T.w, type, sizeof(*e));

	if (e) {
		e->t_ns = pt_now_ns() - T.t0_ns;
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

/*
 * The trace of a process's image: the command's (or the attached
 * process's) first image writes FILE, every other process FILE's stem +
 * ".<pid>.opc", as the library names them (with %p in FILE, FILE for its
 * pid).  An exec'd image keeps the pid, so image n > 0 (the n-th exec)
 * adds ".exec<n>" before ".opc": it never overwrites the trace of the
 * image before it, and `opcount record` finds it among FILE's stem.*.opc.
 */
static void name_of(char *out, size_t len, pid_t pid, unsigned image)
{
	int per_pid = strstr(pt.out_pattern, "%p") != NULL;
	char *dot, *slash;
	size_t o;

	pt.out_expand(out, len, pt.out_pattern, per_pid ? pid : pt.root_pid);
	if (image == 0 && (per_pid || pid == pt.root_pid))
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

/* Every name given out in this run: a pid the kernel hands out again
 * within the run must not overwrite the trace of the earlier process. */
static char **names;
static size_t nnames;

static int name_taken(const char *path)
{
	for (size_t i = 0; i < nnames; i++)
		if (!strcmp(names[i], path))
			return 1;
	return 0;
}

/*
 * The name for image `image` of pid (name_of), or, when that was given
 * out earlier in this run (the pid was reused), the next free one of the
 * same pid: ".exec<n>" with n counting on.  The name is taken from then on.
 */
void pt_trace_name(char *out, size_t len, pid_t pid, unsigned image)
{
	char **grown;

	name_of(out, len, pid, image);
	while (name_taken(out) && image < UINT_MAX)
		name_of(out, len, pid, ++image);
	grown = realloc(names, (nnames + 1) * sizeof(*names));
	if (grown == NULL || (grown[nnames] = strdup(out)) == NULL) {
		pr_err("out of memory");
		exit(1);
	}
	names = grown;
	nnames++;
}
