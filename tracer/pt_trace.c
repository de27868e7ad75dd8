/*
 * pt_trace.c - the traces the ptrace tracer writes: their names, header
 * and INFO (by common/producer.c's rules, as the library's), keys
 * (aggregated per thread, routine, call site and shape), intervals with
 * the energy sample of the same tick, and the END or EXEC record, as
 * preload/collector.c writes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "log.h"
#include "producer.h"
#include "pt_internal.h"

static int energy_warned;

/* ---- trace writing ---------------------------------------------------- */

void pt_emit_module(struct tracer *tr, const struct module *m)
{
	if (tr->w.fd < 0)
		return;	/* --inject: the library writes the trace */
	opc_writer_module(&tr->w, m->bias, m->lo, m->hi, m->path);
}

static void emit_key(struct tracer *tr, uint32_t id)
{
	const struct pkey *pk = &tr->keys[id];
	struct opc_rec_key *k = opc_writer_key(&tr->w, &tr->strs, id, pk->rid);

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
	opc_writer_end(&tr->w);
}

static uint32_t key_hash(int rid, pid_t tid, uint64_t site, const struct opc_shape *s)
{
	uint64_t h = opc_hash_mix64(site ^ ((uint64_t)rid << 48) ^ ((uint64_t)(uint32_t)tid << 16));

	for (int i = 0; i < OPC_SHAPE_DIMS; i++)
		h = opc_hash_mix64(h ^ (uint64_t)s->d[i]);
	uint32_t f;

	memcpy(&f, s->f, 4);
	return (uint32_t)opc_hash_mix64(h ^ f);
}

struct key_arg {
	const struct tracer *tr;
	int rid;
	pid_t tid;
	uint64_t site;
	const struct opc_shape *shape;
};

static int key_is(const void *arg, uint32_t id)
{
	const struct key_arg *a = arg;
	const struct pkey *k = &a->tr->keys[id];

	return k->rid == a->rid && k->tid == a->tid && k->site == a->site &&
	       !memcmp(&k->shape, a->shape, sizeof(*a->shape));
}

/* The id of thread tid's key, written the first time.  0 when out of
 * memory (the call is not counted). */
uint32_t pt_key_intern(struct tracer *tr, int rid, pid_t tid, uint64_t site,
		       const struct opc_shape *s)
{
	struct key_arg a = { tr, rid, tid, site, s };
	uint32_t h = key_hash(rid, tid, site, s);
	uint32_t id = opc_hashtab_find(&tr->key_index, h, key_is, &a);

	if (id)
		return id;
	if (tr->nkeys + 2 > tr->keycap) {
		uint32_t cap = tr->keycap ? tr->keycap * 2 : 256;
		struct pkey *keys = realloc(tr->keys, cap * sizeof(*keys));

		if (keys == NULL)
			return 0;
		tr->keys = keys;
		tr->keycap = cap;
	}
	if (opc_hashtab_insert(&tr->key_index, h, tr->nkeys + 1) < 0)
		return 0;
	id = ++tr->nkeys;

	struct pkey *k = &tr->keys[id];
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
	k->stack = pt.opts.stacks ? pt_unwind_stack(tr, tid, 1) : 0;
	emit_key(tr, id);
	pt_blas_update(tr, tid);	/* what the INFO says at the end */
	return id;
}

/* One INTERVAL record with what changed since the last one, after the
 * energy sample of the same tick (as the preload collector writes them). */
void pt_emit_interval(struct tracer *tr)
{
	uint64_t abs_ns = pt_now_ns(), now = abs_ns - tr->t0_ns;
	uint32_t count = 0;

	pt_emit_samples(tr);
	/* at every tick, calls or not: idle time costs energy too */
	if (tr->energy_on)
		opc_energy_write_sample(&tr->w, &tr->energy, abs_ns, now);

	for (uint32_t id = 1; id <= tr->nkeys; id++)
		count += tr->keys[id].calls != tr->keys[id].h_calls;
	if (count) {
		struct opc_rec_interval *iv = opc_writer_begin(&tr->w, OPC_REC_INTERVAL, sizeof(*iv));

		if (iv) {
			iv->t_begin_ns = tr->t_last_ns;
			iv->t_end_ns = now;
			iv->count = count;
			for (uint32_t id = 1; id <= tr->nkeys; id++) {
				struct pkey *k = &tr->keys[id];
				uint64_t dc = k->calls - k->h_calls;

				if (!dc)
					continue;
				opc_writer_varint(&tr->w, id);
				opc_writer_varint(&tr->w, dc);
				opc_writer_varint(&tr->w, dc);
				opc_writer_varint(&tr->w, k->ns - k->h_ns);
				opc_writer_varint(&tr->w, dc * k->flops);
				opc_writer_varint(&tr->w, dc * k->bytes);
				k->h_calls = k->calls;
				k->h_ns = k->ns;
			}
			opc_writer_end(&tr->w);
		}
	}
	tr->t_last_ns = now;
	opc_writer_flush(&tr->w);
}

int pt_trace_open(struct tracer *tr, const char *path)
{
	struct opc_trace_hdr h;
	char msg[1280];
	int fd = opc_trace_create(path, 0);

	if (fd < 0) {
		pr_err("cannot create trace %s: %s", path, opc_open_strerror(-fd));
		return -1;
	}
	tr->t0_ns = pt_now_ns();
	snprintf(tr->path, sizeof(tr->path), "%s", path);
	memset(&h, 0, sizeof(h));
	h.pid = tr->pid;
	h.ppid = tr->ppid ? tr->ppid : getpid();
	h.interval_ns = 1000000000u / pt.opts.hz;
	h.features = pt.opts.stacks ? OPC_FEAT_STACKS | OPC_FEAT_SAMPLES : 0;
	if (opc_trace_begin(&tr->w, fd, &h) < 0) {
		close(fd);
		tr->w.fd = -1;
		return -1;
	}
	opc_info_write_machine(&tr->w, &pt.prod, tr->pid);
	pt_blas_forget(tr);
	/* The tracee's energy from its trace's time 0, like the library's:
	 * the same sources, options and records (common/energy.c). */
	tr->energy_on = opc_energy_start(&tr->energy, &pt.opts.energy, tr->pid, tr->t0_ns, msg,
					 sizeof(msg));
	if (msg[0] && !energy_warned++)
		pr_warn("energy: %s", msg);
	if (tr->energy_on || !strcmp(tr->energy.source, "none"))
		opc_energy_write_info(&tr->w, &tr->energy);
	return 0;
}

/* The last interval and the END record (OPC_REC_END, or OPC_REC_EXEC
 * when an exec replaced the image) of the current process's trace. */
void pt_proc_finish(struct tracer *tr, uint32_t type)
{
	if (tr->w.fd < 0)
		return;
	pt_emit_interval(tr);
	if (tr->energy_on)
		opc_energy_write_end(&tr->w, &tr->energy);
	opc_info_write_blas(&tr->w, tr->blas[0] ? tr->blas : NULL, tr->blas_threads, tr->nthreads);

	struct opc_rec_end *e = opc_writer_begin(&tr->w, type, sizeof(*e));

	if (e) {
		e->t_ns = pt_now_ns() - tr->t0_ns;
		e->dropped_calls = tr->dropped;
		e->threads = (uint32_t)tr->nthreads;
		opc_writer_end(&tr->w);
	}
	opc_writer_flush(&tr->w);
	close(tr->w.fd);
	opc_writer_release(&tr->w);
	tr->w.fd = -1;
	opc_energy_close(&tr->energy);
	tr->energy_on = 0;
}

/* The job the tracer is a rank of: its traced command is that rank. */
static struct opc_job job;

/* How this run names its traces and what their INFO says (pt.root_pid
 * and pt.opts set). */
void pt_trace_config(const char *pattern)
{
	memset(&pt.prod, 0, sizeof(pt.prod));
	pt.prod.output = pattern;
	pt.prod.root_pid = pt.root_pid;
	pt.prod.mode = "ptrace";
	pt.prod.idle_w = pt.opts.idle_w;
	opc_producer_job(&pt.prod, &job, getenv);
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
 * The name for image `image` of pid (opc_trace_name: the command's first
 * image writes FILE, any other process FILE's stem + ".<pid>.opc", image
 * n > 0 ".<pid>.exec<n>.opc", as the library names them), or, when that
 * was given out earlier in this run (the pid was reused), the next free
 * one of the same pid: ".exec<n>" with n counting on.  The name is taken
 * from then on.
 */
void pt_trace_name(char *out, size_t len, pid_t pid, unsigned image)
{
	char **grown;

	opc_trace_name(out, len, &pt.prod, pid, image);
	while (name_taken(out) && image < UINT_MAX)
		opc_trace_name(out, len, &pt.prod, pid, ++image);
	grown = realloc(names, (nnames + 1) * sizeof(*names));
	if (grown == NULL || (grown[nnames] = strdup(out)) == NULL) {
		pr_err("out of memory");
		exit(1);
	}
	names = grown;
	nnames++;
}
