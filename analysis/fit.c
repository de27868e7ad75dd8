/*
 * fit.c - the data set, the three models, leave-one-group-out
 * cross-validation and the COEFFS.json document (format: fit.h).
 *
 * Models are fitted on sampling intervals rather than on run totals: a
 * handful of runs cannot identify 2T+2 coefficients, a few thousand
 * intervals can, and since every model is linear, a run's prediction is
 * simply the model applied to the sum of its intervals.  The intervals are
 * weighted so that each run's relative error counts once (run_weight):
 * that is what cross-validation judges.
 */
#define PR_FMT "fit"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_vector.h>

#include "fit.h"
#include "ranks.h"
#include "log.h"
#include "nnls.h"
#include "routines.h"
#include "util.h"

static const char *const model_short[OPC_FIT_NMODELS] = {
	"FLOPs alone", "per-type FLOPs", "per-type FLOPs+bytes",
};

const char *opc_fit_model_short(int model)
{
	return model_short[model];
}

const char *opc_fit_unit(const struct opc_fit_data *d)
{
	return d->target == OPC_FIT_ENERGY ? "J" : "s";
}

const char *opc_fit_model_desc(const struct opc_fit_data *d, int model)
{
	static const char *const energy[OPC_FIT_NMODELS] = {
		"E = c*FLOPs",
		"E = sum_t c_t*FLOPs_t",
		"E = sum_t (f_t*FLOPs_t + b_t*bytes_t) + p*calls + P_static*seconds",
	};
	static const char *const time[OPC_FIT_NMODELS] = {
		"T = c*FLOPs",
		"T = sum_t c_t*FLOPs_t",
		"T = sum_t (f_t*FLOPs_t + b_t*bytes_t) + p*calls",
	};

	return d->target == OPC_FIT_ENERGY ? energy[model] : time[model];
}

static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}


/* A layer's type, else the routine class; "@gpu" for work on a GPU, whose
 * cost per FLOP is nothing like the host's.  Communication (MPI, NCCL) is
 * "comm" in any layer: bytes and no FLOPs, a cost of its own. */
static const char *key_type(const struct opc_trace *t, const struct opc_tkeydef *k)
{
	static char buf[256];
	const struct opc_tlayer *l = opc_trace_layer(t, k->rec.layer);
	int comm = k->family && !strcmp(k->family, OPC_CLASS_COMM);
	const char *type = l && l->type && l->type[0] && !comm ? l->type :
			   k->family && k->family[0] ? k->family : "?";

	if (!(k->rec.flags & OPC_TKEY_GPU))
		return type;
	snprintf(buf, sizeof(buf), "%s@gpu", type);
	return buf;
}

static int type_find_or_add(struct opc_fit_data *d, const char *name, size_t *cap)
{
	for (size_t i = 0; i < d->ntypes; i++)
		if (!strcmp(d->types[i].name, name))
			return (int)i;
	if (d->ntypes == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		struct opc_fit_type *n = realloc(d->types, c * sizeof(*n));

		if (n == NULL)
			return -1;
		d->types = n;
		*cap = c;
	}
	memset(&d->types[d->ntypes], 0, sizeof(d->types[0]));
	d->types[d->ntypes].name = strdup(name);
	if (d->types[d->ntypes].name == NULL)
		return -1;
	return (int)d->ntypes++;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static long info_long(const struct opc_trace *t, const char *key)
{
	const char *v = opc_trace_info(t, key);
	long n;

	return v && opc_parse_long(v, 0, LONG_MAX, &n) == 0 ? n : -1;
}

static int same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && !strcmp(a, b));
}

static void machine_load(struct opc_fit_data *d, struct opc_trace *tr, size_t n)
{
	d->machine.cpu = dup_or_null(opc_trace_info(&tr[0], "cpu"));
	d->machine.blas = dup_or_null(opc_trace_info(&tr[0], "blas"));
	d->machine.host = dup_or_null(opc_trace_info(&tr[0], "host"));
	d->machine.ncpu = info_long(&tr[0], "ncpu");
	d->machine.blas_threads = info_long(&tr[0], "blas_threads");
	for (size_t i = 1; i < n; i++) {
		const struct opc_trace *t = &tr[i];

		if (!same_str(d->machine.cpu, opc_trace_info(t, "cpu")) ||
		    !same_str(d->machine.blas, opc_trace_info(t, "blas")) ||
		    !same_str(d->machine.host, opc_trace_info(t, "host")) ||
		    d->machine.ncpu != info_long(t, "ncpu") ||
		    d->machine.blas_threads != info_long(t, "blas_threads")) {
			if (!d->machine.mixed)
				pr_warn("%s was recorded on another machine or BLAS setup than %s "
					"(CPU, host, BLAS or its threads differ): coefficients do "
					"not transfer between machines, and these mix them",
					opc_tty(t->path), opc_tty(tr[0].path));
			d->machine.mixed = 1;
		}
	}
}

/* Energy source of the data set; for energy every trace must have samples
 * from one source.  job: the traces' jobs (ranks of one job are one run,
 * their nodes' energy counted once). */
static int source_load(struct opc_fit_data *d, struct opc_trace *tr, size_t n,
		       const struct opc_ranks *job, char *err, size_t errlen)
{
	snprintf(d->source, sizeof(d->source), "%s", tr[0].energy.source);
	d->measured = 1;
	for (size_t i = 0; i < n; i++) {
		const struct opc_tenergy *en = &tr[i].energy;
		int has = en->nsamples >= 2 && strcmp(en->source, "none");

		if (d->target == OPC_FIT_ENERGY && !has) {
			set_err(err, errlen,
				"%s: no energy samples (energy source '%s'): there is no energy to "
				"fit; fit time instead with --target time, or record with an energy "
				"source (opcount record --energy auto|rapl|perf|nvml|estimate)",
				tr[i].path, en->source);
			return -1;
		}
		if (strcmp(en->source, tr[0].energy.source)) {
			if (d->target == OPC_FIT_ENERGY) {
				set_err(err, errlen,
					"traces use different energy sources (%s: %s, %s: %s): "
					"coefficients fitted to a mix mean nothing; fit one source "
					"at a time", tr[0].path, tr[0].energy.source, tr[i].path,
					en->source);
				return -1;
			}
			snprintf(d->source, sizeof(d->source), "mixed");
		}
		d->measured &= en->measured && has;
	}
	if (tr[0].energy.note && tr[0].energy.note[0])
		d->note = strdup(tr[0].energy.note);
	/* RAPL, perf and NVML read the whole machine */
	for (size_t i = 0; d->target == OPC_FIT_ENERGY && d->measured && i < n; i++)
		for (size_t j = 0; j < i; j++) {
			uint64_t t0 = tr[i].hdr.start_realtime_ns, t1 = t0 + tr[i].end_ns;
			uint64_t u0 = tr[j].hdr.start_realtime_ns, u1 = u0 + tr[j].end_ns;
			const char *ji = job->tr[i].job, *jj = job->tr[j].job;

			if (ji && jj && !strcmp(ji, jj))
				continue;	/* one run: its nodes counted once */
			if (t0 < u1 && u0 < t1) {
				pr_warn("%s and %s ran at the same time and %s reads the whole "
					"machine: each one's energy holds the other's work",
					opc_tty(tr[j].path), opc_tty(tr[i].path), opc_tty(d->source));
				i = n;
				break;
			}
		}
	return 0;
}

/*
 * Add an INTERVAL record's entries, times w, to a row.  A GPU call's work
 * is done when the GPU runs it, not when the host queues it (a whole
 * epoch may be queued in one interval): a GPU key's FLOPs, bytes and
 * calls go where its GPU time went, in proportion.
 */
/* Interval c's entries, read from the file once however many rows it
 * straddles: es holds interval *have. */
struct entries {
	struct opc_tentries es;
	size_t have;
};

static int row_add_interval(struct opc_fit_data *d, struct opc_trace *t, const int *kt,
			    size_t c, struct entries *en, double w, double *row, double *busy,
			    char *err, size_t errlen)
{
	if (en->have != c) {
		int ret = opc_trace_entries(t, c, &en->es, err, errlen);

		if (ret == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		if (ret)
			return -1;
		en->have = c;
	}
	for (size_t j = 0; j < en->es.n; j++) {
		const struct opc_tentry *e = &en->es.e[j];
		const struct opc_tkey *k = &t->keys[e->key];
		int ty = kt[e->key];
		double b, flops, bytes, calls;

		if (ty < 0)
			continue;
		b = w * opc_tentry_busy_s(t, e);
		if ((k->flags & OPC_TKEY_GPU) && k->busy_s > 0) {
			flops = b / k->busy_s * k->flops;
			bytes = b / k->busy_s * k->bytes;
			calls = b / k->busy_s * k->calls;
		} else {
			flops = w * e->flops;
			bytes = w * e->bytes;
			calls = w * e->calls;
		}
		row[OPC_FX_FLOPS(d, ty)] += flops;
		row[OPC_FX_BYTES(d, ty)] += bytes;
		row[OPC_FX_CALLS(d)] += calls;
		d->types[ty].flops += flops;
		d->types[ty].bytes += bytes;
		d->types[ty].calls += calls;
		d->types[ty].busy_s += b;
		if (d->cur_busy) {
			d->cur_busy[ty] += b;
			d->cur_calls[ty] += calls;
		}
		*busy += b;
	}
	return 0;
}

/*
 * Energy rows of a job's node, whose counter each of its ranks read
 * (mem[0..nmem)): each stretch of the node's time line (opc_sweep) a row
 * whose energy is taken once, each counter (the host's, each GPU's) from
 * the shortest sampling interval of a rank that reads it that covers the
 * stretch, prorated by time (as the report counts a node's energy:
 * attribute.c, node_sweep), and whose calls are every rank's in
 * that stretch, by overlap.  Stretches no rank sampled are left out.  The
 * number of rows, or -1 with err.
 */
static long node_rows(struct opc_fit_data *d, struct opc_trace **mem, int **kts, size_t nmem,
		      struct opc_fit_run *run, char *err, size_t errlen)
{
	size_t r0 = d->nrows, *ci = calloc(nmem, sizeof(size_t)), tm, i;
	struct entries *en = calloc(nmem, sizeof(*en));
	struct opc_sweep sw = { NULL };
	uint64_t x, y;
	long ret = -1;

	if (!ci || !en || opc_sweep_init(&sw, mem, nmem) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t m = 0; m < nmem; m++)
		en[m].have = (size_t)-1;
	while (opc_sweep_next(&sw, &x, &y, &tm, &i)) {
		double *row = &d->x[d->nrows * d->nfeat], busy = 0;

		/* each of the node's counters once, a GPU that several ranks
		 * read too (opc_sweep_joules) */
		d->y[d->nrows] = opc_sweep_joules(&sw, x, y, NULL);
		row[OPC_FX_SECONDS(d)] = (y - x) / 1e9;
		for (size_t m = 0; m < nmem; m++) {
			struct opc_trace *u = mem[m];
			uint64_t u0 = u->hdr.start_realtime_ns;
			/* the stretch in u's clock */
			int64_t ua = x > u0 ? (int64_t)(x - u0) : 0;
			int64_t ub = y > u0 ? (int64_t)(y - u0) : 0;

			if (ub == 0)
				continue;
			while (ci[m] < u->nintervals && (int64_t)u->intervals[ci[m]].t_end_ns <= ua)
				ci[m]++;
			for (size_t c = ci[m]; c < u->nintervals &&
			     (int64_t)u->intervals[c].t_begin_ns < ub; c++) {
				const struct opc_tinterval *iv = &u->intervals[c];
				int64_t lo = (int64_t)iv->t_begin_ns > ua ? (int64_t)iv->t_begin_ns : ua;
				int64_t hi = (int64_t)iv->t_end_ns < ub ? (int64_t)iv->t_end_ns : ub;
				double w = iv->t_end_ns > iv->t_begin_ns ?
					(double)(hi > lo ? hi - lo : 0) /
					(iv->t_end_ns - iv->t_begin_ns) : 1;

				if (w > 0 && row_add_interval(d, u, kts[m], c, &en[m], w, row, &busy,
							      err, errlen))
					goto out;
			}
		}
		run->busy_s += busy;
		d->nrows++;
	}
	ret = (long)(d->nrows - r0);
out:
	for (size_t m = 0; en && m < nmem; m++) {
		opc_tentries_free(&en[m].es);
		opc_trace_close(mem[m]);
	}
	opc_sweep_free(&sw);
	free(en);
	free(ci);
	return ret;
}

/* Rows of one trace: energy sample intervals, or INTERVAL records.  The
 * number of rows, or -1 with a message in err (the file changed).  With
 * several traces (a job's ranks on one node, mem[0..nmem)): energy rows
 * as node_rows makes them, time rows each trace's own. */
static long trace_rows(struct opc_fit_data *d, struct opc_trace **mem, int **kts, size_t nmem,
		       struct opc_fit_run *run, char *err, size_t errlen)
{
	struct opc_trace *t = mem[0];
	size_t r0 = d->nrows;
	struct entries en = { { NULL, 0, 0, NULL, 0 }, (size_t)-1 };
	long ret = -1;

	if (d->target == OPC_FIT_ENERGY && nmem > 1)
		return node_rows(d, mem, kts, nmem, run, err, errlen);
	if (d->target == OPC_FIT_ENERGY) {
		const struct opc_tenergy *tn = &t->energy;
		double carry = 0;
		size_t ci = 0;

		for (size_t i = 1; i < tn->nsamples; i++) {
			uint64_t a = tn->t_ns[i - 1], b = tn->t_ns[i];
			double *row, busy = 0;

			if (b <= a) {	/* two samples at one time: energy to the next */
				carry += tn->total[i] - tn->total[i - 1];
				continue;
			}
			row = &d->x[d->nrows * d->nfeat];
			d->y[d->nrows] = tn->total[i] - tn->total[i - 1] + carry;
			carry = 0;
			row[OPC_FX_SECONDS(d)] = (b - a) / 1e9;
			while (ci < t->nintervals && t->intervals[ci].t_end_ns <= a)
				ci++;
			for (size_t c = ci; c < t->nintervals && t->intervals[c].t_begin_ns < b; c++) {
				const struct opc_tinterval *iv = &t->intervals[c];
				uint64_t lo = iv->t_begin_ns > a ? iv->t_begin_ns : a;
				uint64_t hi = iv->t_end_ns < b ? iv->t_end_ns : b;
				double w = iv->t_end_ns > iv->t_begin_ns ?
					(double)(hi > lo ? hi - lo : 0) /
					(iv->t_end_ns - iv->t_begin_ns) : 1;

				if (row_add_interval(d, t, kts[0], c, &en, w, row, &busy, err, errlen))
					goto out;
			}
			run->busy_s += busy;
			d->nrows++;
		}
	} else {
		for (size_t m = 0; m < nmem; m++) {
			t = mem[m];
			en.have = (size_t)-1;
			for (size_t c = 0; c < t->nintervals; c++) {
				const struct opc_tinterval *iv = &t->intervals[c];
				double *row = &d->x[d->nrows * d->nfeat], busy = 0;

				if (row_add_interval(d, t, kts[m], c, &en, 1, row, &busy, err, errlen))
					goto out;
				if (row[OPC_FX_CALLS(d)] == 0) {	/* only nested calls */
					memset(row, 0, d->nfeat * sizeof(*row));
					continue;
				}
				row[OPC_FX_SECONDS(d)] = (iv->t_end_ns - iv->t_begin_ns) / 1e9;
				d->y[d->nrows] = busy;
				run->busy_s += busy;
				d->nrows++;
			}
			opc_trace_close(t);
		}
	}
	ret = (long)(d->nrows - r0);
out:
	opc_tentries_free(&en.es);
	for (size_t m = 0; m < nmem; m++)
		opc_trace_close(mem[m]);
	return ret;
}

/*
 * The rows of run `first` (a trace, with every trace of its job when it
 * is a rank's): one node at a time (trace_rows).  The
 * number of rows, or -1.  done[] marks the traces taken.
 */
static long run_rows(struct opc_fit_data *d, struct opc_trace *tr, size_t n, int **kt,
		     const struct opc_ranks *job, size_t first, char *done,
		     struct opc_fit_run *run, char *err, size_t errlen)
{
	struct opc_trace **mem = calloc(n, sizeof(*mem));
	int **kts = calloc(n, sizeof(*kts));
	const char *id = job->tr[first].job;
	long rows = 0;

	if (!mem || !kts) {
		snprintf(err, errlen, "out of memory");
		rows = -1;
		goto out;
	}
	for (size_t i = first; i < n && rows >= 0; i++) {
		size_t nm = 0;
		int node = job->tr[i].node;
		long r;

		if (done[i] || (i != first && (!id || !job->tr[i].job ||
					       strcmp(id, job->tr[i].job))))
			continue;
		/* this trace's node, in this run: the traces that share its
		 * counter (only one when the node is not known) */
		for (size_t k = i; k < n; k++) {
			if (done[k] || (k != i && (node < 0 || job->tr[k].node != node ||
						   !id || !job->tr[k].job ||
						   strcmp(id, job->tr[k].job))))
				continue;
			if (d->target == OPC_FIT_ENERGY && k != i && !tr[k].energy.measured)
				continue;	/* an estimate: per process, its own rows */
			done[k] = 1;
			mem[nm] = &tr[k];
			kts[nm++] = kt[k];
		}
		r = trace_rows(d, mem, kts, nm, run, err, errlen);
		rows = r < 0 ? -1 : rows + r;
	}
out:
	free(mem);
	free(kts);
	return rows;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *opc_fit_arch_of(const struct opc_trace *t)
{
	const char *cmd = opc_trace_info(t, "cmdline");
	char **v, *out, root[200] = "";
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a, 64 bits */
	size_t nv = 0;

	if (t->nlayers == 0)
		return strdup(cmd && cmd[0] ? cmd : t->path);
	v = calloc(t->nlayers, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < t->nlayers; i++) {
		const struct opc_tlayer *l = &t->layers[i];
		const char *nm = l->name ? l->name : "", *ty = l->type ? l->type : "";

		/* the set, not the ids: a layer entered from two parents, or in
		 * another order, is the same architecture */
		if (asprintf(&v[nv], "%s\t%s", nm, ty) < 0)
			goto nomem;
		nv++;
		/* the first top region: the model's (a backward's gradient
		 * regions can be top ones too, entered later) */
		if (l->parent == 0 && !root[0])
			snprintf(root, sizeof(root), "%s", nm);
	}
	qsort(v, nv, sizeof(*v), cmp_str);
	for (size_t i = 0; i < nv; i++) {
		if (i && !strcmp(v[i], v[i - 1]))
			continue;
		for (const char *c = v[i]; ; c++) {
			h = (h ^ (unsigned char)*c) * 1099511628211ULL;
			if (!*c)
				break;
		}
	}
	if (asprintf(&out, "%s#%08llx", root[0] ? root : "layers",
		     (unsigned long long)(h >> 32)) < 0)
		out = NULL;
	for (size_t i = 0; i < nv; i++)
		free(v[i]);
	free(v);
	return out;
nomem:
	for (size_t i = 0; i < nv; i++)
		free(v[i]);
	free(v);
	return NULL;
}

int opc_fit_build(struct opc_fit_data *d, struct opc_trace *tr, size_t n,
		  enum opc_fit_target target, enum opc_fit_group group_by, char *err, size_t errlen)
{
	size_t cap = 0, maxrows = 0;
	int **kt = NULL;
	char **gkeys = NULL, *done = NULL;
	double calls = 0, ysum = 0;
	struct opc_ranks job;
	int ret = -1;

	memset(d, 0, sizeof(*d));
	d->target = target;
	d->group_by = group_by;
	d->machine.ncpu = d->machine.blas_threads = -1;
	err[0] = 0;
	if (n == 0) {
		set_err(err, errlen, "no trace to fit");
		return -1;
	}
	/* a job's ranks are one run, whatever jobs are given together */
	if (opc_ranks_load(&job, tr, n, 1) < 0) {
		opc_ranks_free(&job);
		set_err(err, errlen, "out of memory");
		return -1;
	}
	if (source_load(d, tr, n, &job, err, errlen) < 0) {
		opc_ranks_free(&job);
		return -1;
	}
	machine_load(d, tr, n);

	/* types first: they fix the width of a row */
	kt = calloc(n, sizeof(*kt));
	if (kt == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		struct opc_trace *t = &tr[i];

		kt[i] = malloc((t->nkeys ? t->nkeys : 1) * sizeof(int));
		if (kt[i] == NULL)
			goto nomem;
		struct opc_tkeys *it = opc_tkeys_open(t);
		const struct opc_tkeydef *def;
		int bad = 0;

		for (size_t k = 0; it && (def = opc_tkeys_next(it)); k++) {
			const struct opc_tkey *key = &t->keys[k];

			kt[i][k] = -1;
			if (key->calls == 0 || (key->flags & (OPC_TKEY_NESTED | OPC_TKEY_REGION)))
				continue;
			kt[i][k] = type_find_or_add(d, key_type(t, def), &cap);
			if (kt[i][k] < 0) {
				bad = 1;
				break;
			}
		}
		if (opc_tkeys_close(it, err, errlen) < 0 || bad) {
			opc_trace_close(t);
			if (bad || it == NULL)
				goto nomem;
			goto out;
		}
		opc_trace_close(t);
		/* (a node's rows are the stretches between its ranks' samples:
		 * fewer than all their samples) */
		maxrows += target == OPC_FIT_ENERGY ? t->energy.nsamples : t->nintervals;
	}
	if (d->ntypes == 0) {
		set_err(err, errlen, "no intercepted calls in %s%s: nothing to fit", tr[0].path,
			n > 1 ? " or the other traces" : "");
		goto out;
	}
	d->nfeat = 2 * d->ntypes + 2;
	d->x = calloc((maxrows ? maxrows : 1) * d->nfeat, sizeof(double));
	d->y = calloc(maxrows ? maxrows : 1, sizeof(double));
	d->runs = calloc(n, sizeof(*d->runs));
	gkeys = calloc(n, sizeof(*gkeys));
	if (!d->x || !d->y || !d->runs || !gkeys)
		goto nomem;

	done = calloc(n, 1);
	if (done == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		struct opc_trace *t = &tr[i];
		struct opc_fit_run *run = &d->runs[d->nruns];
		const char *cmd = opc_trace_info(t, "cmdline");
		const char *id = job.tr[i].job;
		const char *gk;
		char name[512];
		long rows;
		size_t g;

		if (done[i])
			continue;
		memset(run, 0, sizeof(*run));
		run->row0 = d->nrows;
		run->type_busy = calloc(d->ntypes, sizeof(double));
		run->type_calls = calloc(d->ntypes, sizeof(double));
		run->type_pred = malloc(OPC_FIT_NMODELS * d->ntypes * sizeof(double));
		run->arch = opc_fit_arch_of(t);
		if (!run->type_busy || !run->type_calls || !run->type_pred || !run->arch) {
			d->nruns++;	/* freed with the data set */
			goto nomem;
		}
		for (size_t k = 0; k < OPC_FIT_NMODELS * d->ntypes; k++)
			run->type_pred[k] = NAN;
		d->cur_busy = run->type_busy;
		d->cur_calls = run->type_calls;
		rows = run_rows(d, tr, n, kt, &job, i, done, run, err, errlen);
		d->cur_busy = d->cur_calls = NULL;
		if (rows < 0) {
			d->nruns++;
			goto out;
		}
		run->nrows = (size_t)rows;
		if (run->nrows == 0) {
			pr_warn("%s: no sampling interval with intercepted calls: left out",
				opc_tty(t->path));
			free(run->type_busy);
			free(run->type_calls);
			free(run->type_pred);
			free(run->arch);
			continue;
		}
		/* a job's run is named by its job and first trace */
		if (id)
			snprintf(name, sizeof(name), "%s (job %s)", t->path, id);
		run->path = strdup(id ? name : t->path);
		run->cmdline = dup_or_null(cmd);
		run->x = calloc(d->nfeat, sizeof(double));
		if (!run->path || !run->x || (cmd && !run->cmdline))
			goto nomem;
		for (size_t r = run->row0; r < run->row0 + run->nrows; r++) {
			for (size_t f = 0; f < d->nfeat; f++)
				run->x[f] += d->x[r * d->nfeat + f];
			run->measured += d->y[r];
		}
		run->duration_s = run->x[OPC_FX_SECONDS(d)];
		for (int m = 0; m < OPC_FIT_NMODELS; m++)
			run->fitted[m] = run->predicted[m] = NAN;
		/* cross-validation folds: repeated recordings of one command
		 * line are one model, left out together */
		gk = group_by == OPC_GROUP_ARCH ? run->arch :
		     group_by == OPC_GROUP_CMDLINE && cmd && cmd[0] ? cmd : run->path;
		for (g = 0; g < d->ngroups && strcmp(gkeys[g], gk); g++)
			;
		if (g == d->ngroups)
			gkeys[d->ngroups++] = (char *)gk;
		run->group = g;
		calls += run->x[OPC_FX_CALLS(d)];
		ysum += run->measured;
		d->nruns++;
	}
	if (d->nrows < 2) {
		set_err(err, errlen,
			"only %zu sampling interval%s in %s%s: a fit needs at least 2 (record a "
			"longer run, or sample more often with opcount record -F HZ)", d->nrows,
			d->nrows == 1 ? "" : "s", tr[0].path, n > 1 ? " and the other traces" : "");
		goto out;
	}
	if (calls == 0) {
		set_err(err, errlen, "no intercepted calls in the sampled intervals: nothing to fit");
		goto out;
	}
	if (!(ysum > 0)) {
		set_err(err, errlen, "the traces' %s is zero: nothing to fit",
			target == OPC_FIT_ENERGY ? "energy" : "busy time");
		goto out;
	}
	ret = 0;
	goto out;
nomem:
	set_err(err, errlen, "out of memory");
out:
	if (ret < 0)
		opc_fit_data_free(d);
	for (size_t i = 0; kt && i < n; i++)
		free(kt[i]);
	free(kt);
	free(gkeys);
	free(done);
	opc_ranks_free(&job);
	return ret;
}

void opc_fit_data_free(struct opc_fit_data *d)
{
	for (size_t i = 0; i < d->ntypes; i++)
		free(d->types[i].name);
	free(d->types);
	for (size_t i = 0; i < d->nruns; i++) {
		free(d->runs[i].path);
		free(d->runs[i].cmdline);
		free(d->runs[i].x);
		for (size_t j = 0; j < d->runs[i].nunseen; j++)
			free(d->runs[i].unseen[j]);
		free(d->runs[i].unseen);
		free(d->runs[i].arch);
		free(d->runs[i].type_busy);
		free(d->runs[i].type_calls);
		free(d->runs[i].type_pred);
	}
	free(d->runs);
	free(d->x);
	free(d->y);
	free(d->note);
	free(d->machine.cpu);
	free(d->machine.blas);
	free(d->machine.host);
	memset(d, 0, sizeof(*d));
}

/* ---- models ------------------------------------------------------------- */

/* The model's parameter that a feature feeds, or -1. */
static ssize_t param_of(const struct opc_fit_data *d, int model, size_t f)
{
	size_t T = d->ntypes;

	switch (model) {
	case 0:
		return f < T ? 0 : -1;
	case 1:
		return f < T ? (ssize_t)f : -1;
	default:
		if (f < 2 * T)
			return (ssize_t)f;
		if (f == OPC_FX_CALLS(d))
			return (ssize_t)(2 * T);
		if (f == OPC_FX_SECONDS(d) && d->target == OPC_FIT_ENERGY)
			return (ssize_t)(2 * T + 1);
		return -1;
	}
}

static size_t model_nparams(const struct opc_fit_data *d, int model)
{
	switch (model) {
	case 0: return 1;
	case 1: return d->ntypes;
	default: return 2 * d->ntypes + 1 + (d->target == OPC_FIT_ENERGY);
	}
}

void opc_fit_model_free(struct opc_fit_model *m)
{
	free(m->type_flop);
	free(m->type_byte);
	free(m->beta);
	memset(m, 0, sizeof(*m));
}

double opc_fit_eval(const struct opc_fit_data *d, const struct opc_fit_model *m, const double *x)
{
	double y = 0;

	if (!m->ok)
		return NAN;
	for (size_t f = 0; f < d->nfeat; f++)
		y += m->beta[f] * x[f];
	return y;
}

/*
 * The weight of run i's rows in the least squares.  What is judged is each
 * run's relative error, with each group (an architecture) counting once;
 * unweighted, the intervals of the longest and slowest runs (many rows,
 * large targets) decide the coefficients, and the small architectures'
 * errors are whatever is left.  So a row is divided by its run's total
 * (a relative error) and multiplied by sqrt(rows of the run / runs in its
 * group): a run's n rows then weigh like one relative error of its total
 * whatever n is (each row's share of the total is about 1/n), and the
 * runs of a group together like one run.
 */
static double run_weight(const struct opc_fit_data *d, size_t i, const size_t *gruns,
			 double ymean)
{
	const struct opc_fit_run *run = &d->runs[i];
	double y = run->measured > 0 ? run->measured : ymean;	/* nothing measured */

	if (!(y > 0))
		return 1;
	return sqrt((double)run->nrows / (double)gruns[run->group]) / y;
}

static int in_fold(const struct opc_fit_data *d, size_t run, ssize_t exclude)
{
	return exclude < 0 || d->runs[run].group != (size_t)exclude;
}

int opc_fit_model(const struct opc_fit_data *d, int model, ssize_t exclude,
		  struct opc_fit_model *out)
{
	size_t p = model_nparams(d, model), m = 0, r = 0;
	gsl_matrix *A = NULL;
	gsl_vector *b = NULL, *c = NULL;
	double ymean = 0, sse = 0, sst = 0, wmean = 0;
	size_t *gruns = NULL;	/* runs per group */
	int ret = -1, nr;

	memset(out, 0, sizeof(*out));
	out->nparams = p;
	out->fit_r2 = out->cv_r2 = out->cv_mape = out->cv_spearman = NAN;
	out->type_flop = calloc(d->ntypes, sizeof(double));
	out->type_byte = calloc(d->ntypes, sizeof(double));
	out->beta = calloc(d->nfeat, sizeof(double));
	if (!out->type_flop || !out->type_byte || !out->beta)
		goto out;
	gruns = calloc(d->ngroups ? d->ngroups : 1, sizeof(*gruns));
	if (gruns == NULL)
		goto out;
	for (size_t i = 0; i < d->nruns; i++) {
		if (in_fold(d, i, exclude))
			m += d->runs[i].nrows;
		gruns[d->runs[i].group]++;
		wmean += d->runs[i].measured / (double)d->nruns;
	}
	if (m == 0)
		goto out;
	A = gsl_matrix_calloc(m, p);
	b = gsl_vector_alloc(m);
	c = gsl_vector_alloc(p);
	if (!A || !b || !c)
		goto out;
	for (size_t i = 0; i < d->nruns; i++) {
		const struct opc_fit_run *run = &d->runs[i];
		double w = run_weight(d, i, gruns, wmean);

		if (!in_fold(d, i, exclude))
			continue;
		for (size_t row = run->row0; row < run->row0 + run->nrows; row++, r++) {
			const double *x = &d->x[row * d->nfeat];

			for (size_t f = 0; f < d->nfeat; f++) {
				ssize_t pi = param_of(d, model, f);

				if (pi >= 0)
					*gsl_matrix_ptr(A, r, pi) += w * x[f];
			}
			gsl_vector_set(b, r, w * d->y[row]);
			ymean += d->y[row];
		}
	}
	out->rows = m;
	nr = opc_nnls(A, b, c, NULL);
	if (nr == -ERANGE)
		pr_warn("model (%c): NNLS stopped at its iteration limit; the coefficients may "
			"not be optimal", 'a' + model);
	else if (nr < 0)
		goto out;
	for (size_t f = 0; f < d->nfeat; f++) {
		ssize_t pi = param_of(d, model, f);

		out->beta[f] = pi >= 0 ? gsl_vector_get(c, pi) : 0;
	}
	if (model == 0)
		out->per_flop = gsl_vector_get(c, 0);
	for (size_t t = 0; model > 0 && t < d->ntypes; t++) {
		out->type_flop[t] = out->beta[OPC_FX_FLOPS(d, t)];
		out->type_byte[t] = out->beta[OPC_FX_BYTES(d, t)];
	}
	if (model == 2) {
		out->per_call = out->beta[OPC_FX_CALLS(d)];
		out->static_w = out->beta[OPC_FX_SECONDS(d)];
	}
	out->ok = 1;
	/* in-sample R^2 over the rows it was fitted to */
	ymean /= m;
	for (size_t i = 0; i < d->nruns; i++) {
		const struct opc_fit_run *run = &d->runs[i];

		if (!in_fold(d, i, exclude))
			continue;
		for (size_t row = run->row0; row < run->row0 + run->nrows; row++) {
			double e = opc_fit_eval(d, out, &d->x[row * d->nfeat]) - d->y[row];

			sse += e * e;
			sst += (d->y[row] - ymean) * (d->y[row] - ymean);
		}
	}
	out->fit_r2 = sst > 0 ? 1 - sse / sst : NAN;
	ret = 0;
out:
	free(gruns);
	if (A)
		gsl_matrix_free(A);
	if (b)
		gsl_vector_free(b);
	if (c)
		gsl_vector_free(c);
	if (ret < 0)
		opc_fit_model_free(out);
	return ret;
}

/* ---- cross-validation ---------------------------------------------------- */

static int mark_unseen(struct opc_fit_data *d)
{
	size_t *ngroups_with = calloc(d->ntypes, sizeof(size_t));
	char *seen = calloc(d->ntypes * d->ngroups, 1);
	int ret = -1;

	if (!ngroups_with || !seen)
		goto out;
	for (size_t i = 0; i < d->nruns; i++)
		for (size_t t = 0; t < d->ntypes; t++) {
			const struct opc_fit_run *run = &d->runs[i];
			char *s = &seen[run->group * d->ntypes + t];

			if (!*s && run->x[OPC_FX_FLOPS(d, t)] + run->x[OPC_FX_BYTES(d, t)] > 0) {
				*s = 1;
				ngroups_with[t]++;
			}
		}
	for (size_t i = 0; i < d->nruns; i++) {
		struct opc_fit_run *run = &d->runs[i];

		for (size_t t = 0; t < d->ntypes; t++) {
			if (!seen[run->group * d->ntypes + t] || ngroups_with[t] > 1)
				continue;
			char **u = realloc(run->unseen, (run->nunseen + 1) * sizeof(*u));

			if (u == NULL)
				goto out;
			run->unseen = u;
			if ((u[run->nunseen] = strdup(d->types[t].name)) == NULL)
				goto out;
			run->nunseen++;
		}
	}
	ret = 0;
out:
	free(ngroups_with);
	free(seen);
	return ret;
}

static void cv_metrics(const struct opc_fit_data *d, int model, struct opc_fit_model *m)
{
	size_t n = d->nruns, k = 0;
	double *meas = calloc(n, sizeof(double)), *pred = calloc(n, sizeof(double));
	double *work = calloc(2 * n, sizeof(double));
	double mean = 0, sse = 0, sst = 0, ape = 0;

	m->cv = 1;
	if (!meas || !pred || !work)
		goto out;
	for (size_t i = 0; i < n; i++) {
		meas[i] = d->runs[i].measured;
		pred[i] = d->runs[i].predicted[model];
		mean += meas[i] / n;
	}
	for (size_t i = 0; i < n; i++) {
		sse += (pred[i] - meas[i]) * (pred[i] - meas[i]);
		sst += (meas[i] - mean) * (meas[i] - mean);
		if (meas[i] > 0) {
			ape += fabs(pred[i] - meas[i]) / meas[i];
			k++;
		}
	}
	m->cv_r2 = sst > 0 ? 1 - sse / sst : NAN;
	m->cv_mape = k ? 100 * ape / k : NAN;
	m->cv_runs = k;
	m->cv_spearman = n >= 2 ? gsl_stats_spearman(meas, 1, pred, 1, n, work) : NAN;
out:
	free(meas);
	free(pred);
	free(work);
}

static void fmt_pct(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (v >= 0.1 || v == 0)
		snprintf(buf, len, "%.1f%%", v);
	else
		snprintf(buf, len, "%.2g%%", v);
}

static void verdict(const struct opc_fit_data *d, struct opc_fit_result *r)
{
	const char *what = d->target == OPC_FIT_ENERGY ? "energy" : "busy time";
	double a = r->m[0].cv_mape, b = r->m[1].cv_mape, c = r->m[2].cv_mape;
	char pa[32], pb[32], pc[32], cmp[96];

	if (!r->cv) {
		snprintf(r->verdict, sizeof(r->verdict),
			 "no verdict: leave-one-out cross-validation needs at least 3 runs that "
			 "are different models (%zu here, grouped by %s); the coefficients are "
			 "fitted on every run and judged in sample only", d->ngroups,
			 d->group_by == OPC_GROUP_CMDLINE ? "command line" :
			 d->group_by == OPC_GROUP_ARCH ? "architecture" : "file");
		return;
	}
	if (isnan(a) || isnan(c)) {
		snprintf(r->verdict, sizeof(r->verdict),
			 "no verdict: the runs' measured %s is zero, so no percentage error exists",
			 what);
		return;
	}
	fmt_pct(pa, sizeof(pa), a);
	fmt_pct(pb, sizeof(pb), b);
	fmt_pct(pc, sizeof(pc), c);
	if (c < a) {
		if (c > 0 && a / c < 1000)
			snprintf(cmp, sizeof(cmp), "%.1fx better", a / c);
		else
			snprintf(cmp, sizeof(cmp), "over 1000x better");
	} else if (c > a) {
		if (a > 0)
			snprintf(cmp, sizeof(cmp), "%.1fx worse: FLOPs alone predicts these runs "
				 "better", c / a);
		else
			snprintf(cmp, sizeof(cmp), "worse: FLOPs alone predicts these runs exactly");
	} else {
		snprintf(cmp, sizeof(cmp), "no better and no worse");
	}
	snprintf(r->verdict, sizeof(r->verdict),
		 "per-type FLOPs+bytes (c) predicts the %s of unseen runs with MAPE %s vs %s for "
		 "FLOPs alone (a): %s; per-type FLOPs alone (b): %s", what, pc, pa, cmp, pb);
}

/* The held-out model's share of each type in a run: the model on a run
 * that had only that type's FLOPs, bytes and calls (no wall seconds: a
 * type's energy is not measured, so this is for time fits). */
static int type_predict(const struct opc_fit_data *d, const struct opc_fit_model *fm, int m,
			struct opc_fit_run *run)
{
	double *x = calloc(d->nfeat, sizeof(double));

	if (x == NULL)
		return -1;
	for (size_t t = 0; t < d->ntypes; t++) {
		memset(x, 0, d->nfeat * sizeof(double));
		x[OPC_FX_FLOPS(d, t)] = run->x[OPC_FX_FLOPS(d, t)];
		x[OPC_FX_BYTES(d, t)] = run->x[OPC_FX_BYTES(d, t)];
		x[OPC_FX_CALLS(d)] = run->type_calls[t];
		run->type_pred[m * d->ntypes + t] = opc_fit_eval(d, fm, x);
	}
	free(x);
	return 0;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of the finite values of v[0..n) (reordered); NAN if none. */
static double median(double *v, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			v[k++] = v[i];
	if (k == 0)
		return NAN;
	qsort(v, k, sizeof(*v), cmp_dbl);
	return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

static double abs_pct(double pred, double meas)
{
	return meas > 0 && isfinite(pred) ? 100 * fabs(pred - meas) / meas : NAN;
}

/* Per-architecture and per-type held-out errors (struct opc_fit_heldout):
 * a group is an architecture here. */
static int heldout(const struct opc_fit_data *d, struct opc_fit_heldout *h)
{
	size_t T = d->ntypes;
	double *v = malloc((d->nruns + d->ngroups + T + 1) * sizeof(double));

	h->arch = calloc(d->ngroups, sizeof(*h->arch));
	h->type_err = malloc((OPC_FIT_NMODELS * T + 1) * sizeof(double));
	h->type_runs = calloc(T + 1, sizeof(size_t));
	if (!v || !h->arch || !h->type_err || !h->type_runs) {
		free(v);
		return -1;
	}
	h->narch = d->ngroups;
	for (size_t g = 0; g < d->ngroups; g++) {
		struct opc_fit_arch_err *a = &h->arch[g];

		for (size_t i = 0; i < d->nruns; i++)
			if (d->runs[i].group == g) {
				if (a->name == NULL && (a->name = strdup(d->runs[i].arch)) == NULL) {
					free(v);
					return -1;
				}
				a->runs++;
			}
		for (int m = 0; m < OPC_FIT_NMODELS; m++) {
			size_t k = 0;

			for (size_t i = 0; i < d->nruns; i++)
				if (d->runs[i].group == g)
					v[k++] = abs_pct(d->runs[i].predicted[m], d->runs[i].measured);
			a->err[m] = median(v, k);
		}
	}
	for (int m = 0; m < OPC_FIT_NMODELS; m++) {
		h->arch_max[m] = NAN;
		for (size_t g = 0; g < d->ngroups; g++) {
			v[g] = h->arch[g].err[m];
			if (isfinite(v[g]) && !(v[g] <= h->arch_max[m]))
				h->arch_max[m] = v[g];
		}
		h->arch_median[m] = median(v, d->ngroups);
		for (size_t t = 0; t < T; t++) {
			size_t k = 0;

			for (size_t i = 0; i < d->nruns; i++) {
				const struct opc_fit_run *run = &d->runs[i];

				if (d->target != OPC_FIT_TIME || !(run->type_busy[t] > 0))
					continue;
				v[k++] = abs_pct(run->type_pred[m * T + t], run->type_busy[t]);
			}
			h->type_err[m * T + t] = median(v, k);
			h->type_runs[t] = k;
		}
		for (size_t t = 0; t < T; t++)
			v[t] = h->type_err[m * T + t];
		h->type_median[m] = median(v, T);
	}
	free(v);
	h->ok = 1;
	return 0;
}

int opc_fit_all(struct opc_fit_data *d, struct opc_fit_result *r)
{
	memset(r, 0, sizeof(*r));
	for (int m = 0; m < OPC_FIT_NMODELS; m++) {
		if (opc_fit_model(d, m, -1, &r->m[m]) < 0)
			goto fail;
		for (size_t i = 0; i < d->nruns; i++)
			d->runs[i].fitted[m] = opc_fit_eval(d, &r->m[m], d->runs[i].x);
	}
	r->cv = d->ngroups >= 3;
	r->best = 2;
	if (r->cv) {
		if (mark_unseen(d) < 0)
			goto fail;
		for (size_t g = 0; g < d->ngroups; g++)
			for (int m = 0; m < OPC_FIT_NMODELS; m++) {
				struct opc_fit_model fold;

				if (opc_fit_model(d, m, (ssize_t)g, &fold) < 0)
					goto fail;
				for (size_t i = 0; i < d->nruns; i++)
					if (d->runs[i].group == g) {
						d->runs[i].predicted[m] =
							opc_fit_eval(d, &fold, d->runs[i].x);
						if (type_predict(d, &fold, m, &d->runs[i]) < 0) {
							opc_fit_model_free(&fold);
							goto fail;
						}
					}
				opc_fit_model_free(&fold);
			}
		for (int m = 0; m < OPC_FIT_NMODELS; m++)
			cv_metrics(d, m, &r->m[m]);
		if (d->group_by == OPC_GROUP_ARCH && heldout(d, &r->ho) < 0)
			goto fail;
		/* the lowest held-out error; ties go to the richer model */
		for (int m = 1; m >= 0; m--)
			if (r->m[m].cv_mape < r->m[r->best].cv_mape)
				r->best = m;
	}
	verdict(d, r);
	return 0;
fail:
	opc_fit_result_free(r);
	return -1;
}

void opc_fit_result_free(struct opc_fit_result *r)
{
	for (size_t g = 0; r->ho.arch && g < r->ho.narch; g++)
		free(r->ho.arch[g].name);
	free(r->ho.arch);
	free(r->ho.type_err);
	free(r->ho.type_runs);
	memset(&r->ho, 0, sizeof(r->ho));
	for (int m = 0; m < OPC_FIT_NMODELS; m++)
		opc_fit_model_free(&r->m[m]);
}

/* ---- COEFFS.json ----------------------------------------------------------- */

static json_object *jnum(double v)
{
	return isfinite(v) ? json_object_new_double(v) : NULL;
}

/* Text from a trace: valid UTF-8 whatever it holds (opc_json_string). */
static json_object *jstr(const char *s)
{
	return opc_json_string(s);
}

/* o[key] = v, the key being text from a trace (a layer type). */
static void add_key(json_object *o, const char *key, json_object *v)
{
	char *k = opc_utf8_dup(key);

	json_object_object_add(o, k ? k : "?", v);
	free(k);
}

static json_object *jlong(long v)
{
	return v >= 0 ? json_object_new_int64(v) : NULL;
}

static json_object *per_model(const struct opc_fit_data *d, const double v[OPC_FIT_NMODELS])
{
	json_object *o = json_object_new_object();

	for (int m = 0; m < OPC_FIT_NMODELS; m++) {
		char k[2] = { (char)('a' + m), 0 };

		json_object_object_add(o, k, jnum(v[m]));
	}
	return o;
}

static json_object *model_json(const struct opc_fit_data *d, const struct opc_fit_model *m,
			       int model)
{
	json_object *o = json_object_new_object();
	json_object *pt = json_object_new_object();
	json_object *fit = json_object_new_object();

	json_object_object_add(o, "description",
			       json_object_new_string(opc_fit_model_desc(d, model)));
	json_object_object_add(o, "per_flop", jnum(m->per_flop));
	for (size_t t = 0; model > 0 && t < d->ntypes; t++) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "per_flop", jnum(m->type_flop[t]));
		json_object_object_add(c, "per_byte", jnum(m->type_byte[t]));
		add_key(pt, d->types[t].name, c);
	}
	json_object_object_add(o, "per_type", pt);
	json_object_object_add(o, "per_call", jnum(m->per_call));
	json_object_object_add(o, "static_w", jnum(m->static_w));
	json_object_object_add(fit, "r2", jnum(m->fit_r2));
	json_object_object_add(fit, "intervals", json_object_new_uint64(m->rows));
	json_object_object_add(fit, "coefficients", json_object_new_uint64(m->nparams));
	json_object_object_add(o, "fit", fit);
	if (m->cv) {
		json_object *cv = json_object_new_object();

		json_object_object_add(cv, "r2", jnum(m->cv_r2));
		json_object_object_add(cv, "mape", jnum(m->cv_mape));
		json_object_object_add(cv, "spearman", jnum(m->cv_spearman));
		json_object_object_add(cv, "runs", json_object_new_uint64(m->cv_runs));
		json_object_object_add(o, "cv", cv);
	} else {
		json_object_object_add(o, "cv", NULL);
	}
	return o;
}

static json_object *heldout_json(const struct opc_fit_data *d, const struct opc_fit_heldout *h)
{
	json_object *o, *arch, *types;

	if (!h->ok)
		return NULL;
	o = json_object_new_object();
	arch = json_object_new_array();
	types = json_object_new_object();
	json_object_object_add(o, "group_by", json_object_new_string("arch"));
	json_object_object_add(o, "definition", json_object_new_string(
		"percent |predicted - measured| / measured of each run's total with its "
		"architecture left out of the fit; an architecture's error is the median over "
		"its runs, a type's the median over the runs with that type of the model's "
		"share for the type against the type's measured busy time (time fits only)"));
	json_object_object_add(o, "median_arch_err_pct", per_model(d, h->arch_median));
	json_object_object_add(o, "max_arch_err_pct", per_model(d, h->arch_max));
	json_object_object_add(o, "median_type_err_pct", per_model(d, h->type_median));
	for (size_t g = 0; g < h->narch; g++) {
		json_object *a = json_object_new_object();

		json_object_object_add(a, "arch", jstr(h->arch[g].name));
		json_object_object_add(a, "runs", json_object_new_uint64(h->arch[g].runs));
		json_object_object_add(a, "err_pct", per_model(d, h->arch[g].err));
		json_object_array_add(arch, a);
	}
	json_object_object_add(o, "per_arch", arch);
	for (size_t t = 0; t < d->ntypes; t++) {
		json_object *a = json_object_new_object();
		double e[OPC_FIT_NMODELS];

		for (int m = 0; m < OPC_FIT_NMODELS; m++)
			e[m] = h->type_err[m * d->ntypes + t];
		json_object_object_add(a, "runs", json_object_new_uint64(h->type_runs[t]));
		json_object_object_add(a, "err_pct", per_model(d, e));
		add_key(types, d->types[t].name, a);
	}
	json_object_object_add(o, "per_type", types);
	return o;
}

json_object *opc_fit_json(const struct opc_fit_data *d, const struct opc_fit_result *r)
{
	int energy = d->target == OPC_FIT_ENERGY;
	const char *u = opc_fit_unit(d);
	json_object *root = json_object_new_object();
	json_object *mach = json_object_new_object();
	json_object *units = json_object_new_object();
	json_object *models = json_object_new_object();
	json_object *types = json_object_new_object();
	json_object *cv = json_object_new_object();
	json_object *runs = json_object_new_array();
	char buf[64];

	json_object_object_add(root, "opcount_coeffs", json_object_new_int(OPC_COEFFS_VERSION));
	json_object_object_add(root, "target", json_object_new_string(energy ? "energy" : "time"));
	json_object_object_add(root, "unit", json_object_new_string(u));
	json_object_object_add(root, "target_definition", json_object_new_string(energy ?
		"energy of the counted domains (J) over each energy sampling interval; a run's "
		"total is the sum over its intervals" :
		"busy time (s) of the intercepted calls, not nested ones, summed over the "
		"calling threads, per sampling interval; a run's total is the sum"));
	json_object_object_add(root, "energy_source", jstr(d->source));
	json_object_object_add(root, "energy_measured", json_object_new_boolean(d->measured));
	json_object_object_add(root, "energy_note", jstr(d->note));
	json_object_object_add(mach, "cpu", jstr(d->machine.cpu));
	json_object_object_add(mach, "ncpu", jlong(d->machine.ncpu));
	json_object_object_add(mach, "blas", jstr(d->machine.blas));
	json_object_object_add(mach, "blas_threads", jlong(d->machine.blas_threads));
	json_object_object_add(mach, "host", jstr(d->machine.host));
	json_object_object_add(mach, "mixed", json_object_new_boolean(d->machine.mixed));
	json_object_object_add(root, "machine", mach);
	snprintf(buf, sizeof(buf), "%s/FLOP", u);
	json_object_object_add(units, "per_flop", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "%s/byte", u);
	json_object_object_add(units, "per_byte", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "%s/call", u);
	json_object_object_add(units, "per_call", json_object_new_string(buf));
	json_object_object_add(units, "static_w", json_object_new_string(energy ?
		"W (J per second of wall time)" : "unused for time (always 0)"));
	json_object_object_add(root, "units", units);
	snprintf(buf, sizeof(buf), "%c", 'a' + r->best);
	json_object_object_add(root, "model", json_object_new_string(buf));
	for (int m = 0; m < OPC_FIT_NMODELS; m++) {
		char k[2] = { (char)('a' + m), 0 };

		json_object_object_add(models, k, model_json(d, &r->m[m], m));
	}
	json_object_object_add(root, "models", models);
	for (size_t t = 0; t < d->ntypes; t++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "flops", jnum(d->types[t].flops));
		json_object_object_add(o, "bytes", jnum(d->types[t].bytes));
		json_object_object_add(o, "calls", jnum(d->types[t].calls));
		json_object_object_add(o, "busy_s", jnum(d->types[t].busy_s));
		add_key(types, d->types[t].name, o);
	}
	json_object_object_add(root, "types", types);
	json_object_object_add(cv, "possible", json_object_new_boolean(r->cv));
	json_object_object_add(cv, "group_by", json_object_new_string(
		d->group_by == OPC_GROUP_CMDLINE ? "cmdline" :
		d->group_by == OPC_GROUP_ARCH ? "arch" : "file"));
	json_object_object_add(cv, "groups", json_object_new_uint64(d->ngroups));
	json_object_object_add(cv, "verdict", json_object_new_string(r->verdict));
	json_object_object_add(root, "cv", cv);
	json_object_object_add(root, "heldout", heldout_json(d, &r->ho));
	for (size_t i = 0; i < d->nruns; i++) {
		const struct opc_fit_run *run = &d->runs[i];
		json_object *o = json_object_new_object();
		json_object *un = json_object_new_array();
		double flops = 0, bytes = 0;

		for (size_t t = 0; t < d->ntypes; t++) {
			flops += run->x[OPC_FX_FLOPS(d, t)];
			bytes += run->x[OPC_FX_BYTES(d, t)];
		}
		json_object_object_add(o, "path", jstr(run->path));
		json_object_object_add(o, "cmdline", jstr(run->cmdline));
		json_object_object_add(o, "arch", jstr(run->arch));
		json_object_object_add(o, "group", json_object_new_uint64(run->group));
		json_object_object_add(o, "intervals", json_object_new_uint64(run->nrows));
		json_object_object_add(o, "duration_s", jnum(run->duration_s));
		json_object_object_add(o, "busy_s", jnum(run->busy_s));
		json_object_object_add(o, "flops", jnum(flops));
		json_object_object_add(o, "bytes", jnum(bytes));
		json_object_object_add(o, "calls",
				       jnum(run->x[OPC_FX_CALLS(d)]));
		json_object_object_add(o, "measured", jnum(run->measured));
		json_object_object_add(o, "fitted", per_model(d, run->fitted));
		json_object_object_add(o, "predicted", r->cv ? per_model(d, run->predicted) : NULL);
		for (size_t j = 0; j < run->nunseen; j++)
			json_object_array_add(un, jstr(run->unseen[j]));
		json_object_object_add(o, "unseen_types", un);
		json_object_array_add(runs, o);
	}
	json_object_object_add(root, "runs", runs);
	return root;
}
