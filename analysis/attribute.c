/*
 * attribute.c - time-proportional energy attribution with bounds.
 *
 * A sampling interval [a, b] with energy E and keys busy for busy_k
 * (scaled from the timed sample of calls) gives key k
 *
 *     E_k = E * busy_k / max(b - a, sum busy)
 *
 * so that one thread busy half the interval takes half its energy, and
 * several threads busy at once share it.  What is left is the "outside"
 * row: code outside BLAS, and idle time.
 *
 * A call's whole duration is recorded in the interval where it ends, but
 * it ran partly in the intervals before.  Keys are per thread in the
 * trace, and one thread is busy at most 100% of an interval: whatever a
 * thread shows beyond that is moved back to the interval before, where
 * the call began, and so on.
 *
 * Bounds: the power inside an interval is not known, only its mean.  We
 * take it to lie between the lowest and highest mean power of the interval
 * and its two neighbours, which bounds each key's share, and add the
 * counter resolution once for each end of the run (cumulative readings:
 * quantisation does not add up over intervals).
 *
 * GPUs: when a trace has GPU keys and GPU energy domains, energy is split
 * in pools.  GPU n's domain (the n-th GPU domain: NVML lists the visible
 * devices in CUDA's order) goes to the keys of work on device n, by their
 * GPU time, and the other domains to the host's keys, by their host
 * time.  A GPU is treated as one engine (at most 100% busy, like a
 * thread); kernels overlapping on several streams are shared in
 * proportion.  Without GPU keys every counted domain is one pool (a GPU's
 * energy then goes to whatever host work ran).  GPU keys of a device with
 * no energy domain get none: the host's energy is not theirs.
 *
 * Nodes: the traces of one machine (host name + boot id) read the same
 * machine-wide counters.  opc_attribute_node attributes them together:
 * the busy time of the other traces in an interval's real-time window
 * (ext, prorated by overlap) joins its denominator, so that concurrent
 * processes share the interval's energy by busy time, and the node's
 * energy is taken once over the union of their times (opc_sweep).  Every
 * pool is joint: the host's among all the traces, a GPU's among the
 * traces that read that GPU (its domain name, "gpu<I> <NAME>", I its
 * NVML index on the machine; a trace's n-th GPU domain is its CUDA device
 * n, whichever GPU CUDA_VISIBLE_DEVICES made it), by GPU time.
 *
 * Stack samples (ptrace --stacks) take part of the outside energy: a
 * sample at the end of an interval, weighing W seconds of CPU time
 * outside counted calls, gets E x W / (b - a) of what the calls of its
 * pool left, like a call of that busy time, and the samples of an
 * interval never more than that rest.  What no sample took stays
 * outside, unsampled (idle time, other processes).  Traces with samples
 * (ptrace mode) have no GPU keys: one pool.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attribute.h"
#include "hashtab.h"
#include "log.h"
#include "ranks.h"
#include "util.h"

/*
 * Time linear in the trace: an interval's cells are found by key through
 * an index over all keys (the interval that last indexed a key, and its
 * cell there), not by a search of the interval's cells; and spilling
 * walks the intervals once for all engines, not once per engine.
 */
struct cell {
	uint32_t key;
	double busy;
};

struct cells {
	struct cell *c;
	size_t n, cap;
};

/* Where each key's cell is in the cells being filled: valid where stamp
 * is the current stamp. */
struct cell_index {
	uint32_t *stamp, *pos;
	uint32_t now;
	size_t nkeys;
};

static int index_init(struct cell_index *ix, size_t nkeys)
{
	ix->nkeys = nkeys;
	ix->now = 0;
	ix->stamp = calloc(nkeys ? nkeys : 1, sizeof(uint32_t));
	ix->pos = malloc((nkeys ? nkeys : 1) * sizeof(uint32_t));
	return ix->stamp && ix->pos ? 0 : -1;
}

static void index_free(struct cell_index *ix)
{
	free(ix->stamp);
	free(ix->pos);
}

/* From now on, the index is of cs (empty, or holding cells already). */
static void index_start(struct cell_index *ix, const struct cells *cs)
{
	if (++ix->now == 0) {	/* wrapped: forget every stamp */
		memset(ix->stamp, 0, ix->nkeys * sizeof(uint32_t));
		ix->now = 1;
	}
	for (size_t i = 0; i < cs->n; i++) {
		ix->stamp[cs->c[i].key] = ix->now;
		ix->pos[cs->c[i].key] = (uint32_t)i;
	}
}

/* Adds busy to key's cell in cs, the cells the index is of (a new cell at
 * the end if it has none): the same cells in the same order, and the same
 * sums, as a search from the first cell would give. */
static int cell_add(struct cells *cs, struct cell_index *ix, uint32_t key, double busy)
{
	if (ix->stamp[key] == ix->now) {
		cs->c[ix->pos[key]].busy += busy;
		return 0;
	}
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 8;
		struct cell *c = realloc(cs->c, cap * sizeof(*c));

		if (c == NULL)
			return -1;
		cs->c = c;
		cs->cap = cap;
	}
	ix->stamp[key] = ix->now;
	ix->pos[key] = (uint32_t)cs->n;
	cs->c[cs->n++] = (struct cell){ key, busy };
	return 0;
}

/* Busy time of every key of pool `pool` (kpool[]) in energy interval i,
 * into cs (emptied first): calls weighed by how much of their call
 * interval overlaps the energy interval.  ci: the first call interval
 * that may.  Entries are read from the file; es keeps the last interval
 * read (*have), which the next energy interval often shares. */
static int collect_one(struct opc_trace *t, size_t i, size_t ci, struct cells *cs,
		       struct cell_index *ix, const int *kpool, int pool,
		       struct opc_tentries *es, size_t *have)
{
	const struct opc_tenergy *en = &t->energy;
	uint64_t a = en->t_ns[i - 1], b = en->t_ns[i];
	char err[1024];

	cs->n = 0;
	index_start(ix, cs);
	for (size_t c = ci; c < t->nintervals && t->intervals[c].t_begin_ns < b; c++) {
		const struct opc_tinterval *in = &t->intervals[c];
		uint64_t lo = in->t_begin_ns > a ? in->t_begin_ns : a;
		uint64_t hi = in->t_end_ns < b ? in->t_end_ns : b;
		double w = in->t_end_ns > in->t_begin_ns ?
			(double)(hi > lo ? hi - lo : 0) / (in->t_end_ns - in->t_begin_ns) : 1;

		if (w <= 0)	/* adds nothing: not worth reading */
			continue;
		if (c != *have) {
			int ret = opc_trace_entries(t, c, es, err, sizeof(err));

			if (ret) {
				pr_err("%s", ret == -ENOMEM ? "out of memory" : opc_tty(err));
				return -1;
			}
			*have = c;
		}
		for (size_t j = 0; j < es->n; j++) {
			const struct opc_tentry *e = &es->e[j];

			if (t->keys[e->key].flags & OPC_TKEY_NESTED)
				continue;	/* inside an outer call's time */
			if (kpool[e->key] != pool)
				continue;
			if (cell_add(cs, ix, e->key, w * opc_tentry_busy_s(t, e)))
				return -1;
		}
	}
	return 0;
}

/* What is at most 100% busy: a thread, or a GPU. */
static uint32_t engine_of(const struct opc_tkey *k)
{
	return k->flags & OPC_TKEY_GPU ? 0x80000000u | k->device : k->tid;
}

struct engine_key {
	const uint32_t *ids;
	uint32_t id;
};

static int engine_is(const void *arg, uint32_t n)
{
	const struct engine_key *k = arg;

	return k->ids[n - 1] == k->id;
}

/* Each key's engine as a rank: engines numbered in the order their first
 * key comes (the order spilling handles them in).  The number of engines,
 * or -1. */
static long engine_ranks(const struct opc_trace *t, uint32_t *rank)
{
	struct opc_hashtab seen = { 0 };
	uint32_t *ids = malloc((t->nkeys ? t->nkeys : 1) * sizeof(*ids));
	long n = 0;

	if (ids == NULL)
		return -1;
	for (size_t k = 0; k < t->nkeys; k++) {
		struct engine_key ek = { ids, engine_of(&t->keys[k]) };
		uint32_t h = (uint32_t)opc_hash_mix64(ek.id);
		uint32_t r = opc_hashtab_find(&seen, h, engine_is, &ek);

		if (r == 0) {
			ids[n] = ek.id;
			r = (uint32_t)++n;
			if (opc_hashtab_insert(&seen, h, r) < 0) {
				n = -1;
				break;
			}
		}
		rank[k] = r - 1;
	}
	opc_hashtab_free(&seen);
	free(ids);
	return n;
}

/* What splitting a trace's pools shares: the cells of the energy
 * interval at hand, the index over them, each key's engine, where each
 * energy interval's call intervals begin, and the entries read last. */
struct split {
	struct cells cur;
	struct cell_index ix;
	uint32_t *rank;
	long nengines;
	double *pw;
	double *keep;		/* per engine, -1 but inside cut() */
	size_t *ci;		/* energy interval i's first call interval */
	struct opc_tentries es;
};

/* A cell moved back to the interval before, in the order it is added
 * there: by engine, and in each engine in the order of its cells. */
struct carried {
	uint32_t key, rank;
	size_t seq;
	double busy;
};

static int carried_cmp(const void *a, const void *b)
{
	const struct carried *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * What spilling did to the energy intervals, kept so that they can be
 * walked forward again without holding every interval's cells (as many
 * as the trace has interval entries): for each interval that received
 * busy time from the one after, the cells it received, in order; for
 * each that gave some away, the share each of its engines kept.  Walking
 * forward, an interval's cells are collected again, given what they
 * received and cut to what they kept: the same operations in the same
 * order, so the same values as when every interval's cells were held.
 */
struct spill_step {
	size_t i;		/* energy interval */
	size_t first, n;	/* into moves[] or keeps[] */
};

struct engine_keep {
	uint32_t rank;
	double keep;
};

struct spill_log {
	struct spill_step *in, *cut;	/* by decreasing i */
	size_t nin, ncut, capin, capcut;
	struct cell *moves;
	size_t nmoves, capmoves;
	struct engine_keep *keeps;
	size_t nkeeps, capkeeps;
};

static int log_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? 2 * *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	q = realloc(*p, c * elem);
	if (q == NULL)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static void spill_log_free(struct spill_log *l)
{
	free(l->in);
	free(l->cut);
	free(l->moves);
	free(l->keeps);
	memset(l, 0, sizeof(*l));
}

/* Interval i's cells get the moves logged for it, if any (*in: the next
 * step of log->in, walked down). */
static int receive(struct cells *cs, struct cell_index *ix, const struct spill_log *log,
		   size_t i, size_t *in)
{
	const struct spill_step *st;

	if (*in == 0 || log->in[*in - 1].i != i)
		return 0;
	st = &log->in[--*in];
	index_start(ix, cs);
	for (size_t j = 0; j < st->n; j++)
		if (cell_add(cs, ix, log->moves[st->first + j].key, log->moves[st->first + j].busy))
			return -1;
	return 0;
}

/* Interval i's cells cut to the share their engines kept, if it gave some
 * away (*cutp: the next step of log->cut, walked down).  keep[] is -1 for
 * every engine before and after. */
static void cut(struct cells *cs, const uint32_t *rank, const struct spill_log *log, size_t i,
		size_t *cutp, double *keep)
{
	const struct spill_step *st;

	if (*cutp == 0 || log->cut[*cutp - 1].i != i)
		return;
	st = &log->cut[--*cutp];
	for (size_t j = 0; j < st->n; j++)
		keep[log->keeps[st->first + j].rank] = log->keeps[st->first + j].keep;
	for (size_t j = 0; j < cs->n; j++) {
		double k = keep[rank[cs->c[j].key]];

		if (k >= 0)
			cs->c[j].busy *= k;
	}
	for (size_t j = 0; j < st->n; j++)
		keep[log->keeps[st->first + j].rank] = -1;
}

/*
 * Move each engine's busy time beyond 100% of an interval back to the
 * interval before, proportionally over that engine's keys.  The intervals
 * are walked once, last to first, for all engines together; what is moved
 * is added to the interval before engine by engine, so that its cells
 * come in the order, and sum to the values, that one walk per engine
 * (each engine's moves added after the engines before it) gives.  Each
 * interval's cells are collected when it is reached and dropped after;
 * what was moved and kept goes to log.
 */
static int spill_back(struct opc_trace *t, struct split *sp, const int *kpool, int pool,
		      struct spill_log *log)
{
	const struct opc_tenergy *en = &t->energy;
	size_t n = en->nsamples, ncarry = 0, capcarry = 0, ntouched, have = (size_t)-1;
	long nengines = sp->nengines;
	const uint32_t *rank = sp->rank;
	struct cell_index *ix = &sp->ix;
	struct cells *cs = &sp->cur;
	struct carried *carry = NULL;
	double *busy = calloc(nengines ? nengines : 1, sizeof(double));
	double *keep = malloc((nengines ? nengines : 1) * sizeof(double));
	uint32_t *touched = malloc((nengines ? nengines : 1) * sizeof(uint32_t));
	char *is_touched = calloc(nengines ? nengines : 1, 1);
	int ret = -1;

	if (!busy || !keep || !touched || !is_touched)
		goto out;
	for (size_t i = n - 1; i >= 1; i--) {
		double len = (en->t_ns[i] - en->t_ns[i - 1]) / 1e9;
		int spill = 0;

		if (collect_one(t, i, sp->ci[i], cs, ix, kpool, pool, &sp->es, &have) < 0)
			goto out;
		if (ncarry) {
			if (log_grow((void **)&log->in, &log->capin, log->nin + 1,
				     sizeof(*log->in)) ||
			    log_grow((void **)&log->moves, &log->capmoves, log->nmoves + ncarry,
				     sizeof(*log->moves)))
				goto out;
			log->in[log->nin++] = (struct spill_step){ i, log->nmoves, ncarry };
			index_start(ix, cs);
			for (size_t j = 0; j < ncarry; j++) {
				log->moves[log->nmoves++] = (struct cell){ carry[j].key,
									   carry[j].busy };
				if (cell_add(cs, ix, carry[j].key, carry[j].busy))
					goto out;
			}
			ncarry = 0;
		}
		ntouched = 0;
		for (size_t j = 0; j < cs->n; j++) {
			uint32_t r = rank[cs->c[j].key];

			if (!is_touched[r]) {
				is_touched[r] = 1;
				touched[ntouched++] = r;
				busy[r] = 0;
			}
			busy[r] += cs->c[j].busy;
		}
		for (size_t j = 0; j < ntouched; j++) {
			uint32_t r = touched[j];

			is_touched[r] = 0;
			keep[r] = busy[r] <= len || i == 1 ? -1 : len / busy[r];
			spill |= keep[r] >= 0;
		}
		if (!spill)
			continue;
		if (log_grow((void **)&log->cut, &log->capcut, log->ncut + 1, sizeof(*log->cut)) ||
		    log_grow((void **)&log->keeps, &log->capkeeps, log->nkeeps + ntouched,
			     sizeof(*log->keeps)))
			goto out;
		log->cut[log->ncut] = (struct spill_step){ i, log->nkeeps, 0 };
		for (size_t j = 0; j < ntouched; j++)
			if (keep[touched[j]] >= 0)
				log->keeps[log->nkeeps++] = (struct engine_keep){
					touched[j], keep[touched[j]] };
		log->cut[log->ncut].n = log->nkeeps - log->cut[log->ncut].first;
		log->ncut++;
		for (size_t j = 0; j < cs->n; j++) {
			struct cell *c = &cs->c[j];
			uint32_t r = rank[c->key];

			if (keep[r] < 0)
				continue;
			if (ncarry == capcarry) {
				size_t cap = capcarry ? 2 * capcarry : 64;
				struct carried *nc = realloc(carry, cap * sizeof(*nc));

				if (nc == NULL)
					goto out;
				carry = nc;
				capcarry = cap;
			}
			carry[ncarry] = (struct carried){ c->key, r, ncarry, c->busy * (1 - keep[r]) };
			ncarry++;
			c->busy *= keep[r];
		}
		if (ncarry > 1)
			qsort(carry, ncarry, sizeof(*carry), carried_cmp);
	}
	ret = 0;
out:
	free(carry);
	free(busy);
	free(keep);
	free(touched);
	free(is_touched);
	return ret;
}

/*
 * Pools: which keys share which domains' energy (see the top of the file).
 * dpool[d] for each domain (-1: not counted), kpool[k] for each key (-1:
 * none, a GPU without an energy domain).  split: GPU domains are pools of
 * their own even without GPU keys (another trace of the node has some).
 * Returns the number of pools: pool 1 + g is the g-th counted GPU domain.
 */
static int make_pools(const struct opc_trace *t, int *dpool, int *kpool, int split)
{
	const struct opc_tenergy *en = &t->energy;
	int gpu_keys = 0, ngpu = 0;

	for (size_t k = 0; k < t->nkeys; k++)
		gpu_keys |= !!(t->keys[k].flags & OPC_TKEY_GPU);
	for (int d = 0; d < en->ndom; d++)
		ngpu += en->dom[d].counted && en->dom[d].kind == OPC_TDOM_GPU;
	if (!gpu_keys && !split) {
		for (int d = 0; d < en->ndom; d++)
			dpool[d] = en->dom[d].counted ? 0 : -1;
		for (size_t k = 0; k < t->nkeys; k++)
			kpool[k] = 0;
		return 1;
	}
	for (int d = 0, g = 0; d < en->ndom; d++)
		dpool[d] = !en->dom[d].counted ? -1 :
			   en->dom[d].kind == OPC_TDOM_GPU ? 1 + g++ : 0;
	for (size_t k = 0; k < t->nkeys; k++) {
		const struct opc_tkey *r = &t->keys[k];

		kpool[k] = !(r->flags & OPC_TKEY_GPU) ? 0 : r->device < ngpu ? 1 + r->device : -1;
	}
	return 1 + ngpu;
}

/* Split pool `pool`'s energy (ptotal[i], cumulative) among its keys. */
static int attribute_pool(struct opc_trace *t, const int *kpool, int pool, const double *ptotal,
			  struct split *sp, struct opc_attribution *out, double *attributed,
			  const double *ext, double *busy_out)
{
	struct cells *cs = &sp->cur;
	double *pw = sp->pw;
	const struct opc_tenergy *en = &t->energy;
	size_t n = en->nsamples, si = 0, have = (size_t)-1, in, cutp;
	struct spill_log log = { 0 };
	int ret = -1;

	/* stack samples before the first energy reading weigh no interval */
	while (si < t->nsamples && t->samples[si].t_ns <= en->t_ns[0])
		si++;
	for (size_t i = 1; i < n; i++) {
		double dt = (en->t_ns[i] - en->t_ns[i - 1]) / 1e9;

		pw[i] = dt > 0 ? (ptotal[i] - ptotal[i - 1]) / dt : 0;
	}
	if (spill_back(t, sp, kpool, pool, &log) < 0)
		goto out;
	in = log.nin;
	cutp = log.ncut;

	for (size_t i = 1; i < n; i++) {
		double e = ptotal[i] - ptotal[i - 1];
		double len = (en->t_ns[i] - en->t_ns[i - 1]) / 1e9, sum = 0;
		double pmin = pw[i], pmax = pw[i];

		if (collect_one(t, i, sp->ci[i], cs, &sp->ix, kpool, pool, &sp->es, &have) < 0 ||
		    receive(cs, &sp->ix, &log, i, &in) < 0)
			goto out;
		cut(cs, sp->rank, &log, i, &cutp, sp->keep);
		if (i > 1) {
			pmin = pw[i - 1] < pmin ? pw[i - 1] : pmin;
			pmax = pw[i - 1] > pmax ? pw[i - 1] : pmax;
		}
		if (i + 1 < n) {
			pmin = pw[i + 1] < pmin ? pw[i + 1] : pmin;
			pmax = pw[i + 1] > pmax ? pw[i + 1] : pmax;
		}
		for (size_t j = 0; j < cs->n; j++)
			sum += cs->c[j].busy;
		if (busy_out)
			busy_out[i] = sum;
		/* the busy time of the node's other traces in this window
		 * shares the window's energy with ours (opc_attribute_node) */
		double other = ext ? ext[i] : 0;
		double denom = sum + other > len ? sum + other : len;

		double calls_j = 0, layers_j = 0, outside_j, others_j, resid;

		for (size_t j = 0; j < cs->n && denom > 0; j++) {
			struct opc_tkey *k = &t->keys[cs->c[j].key];
			double share = cs->c[j].busy / denom;

			k->energy_j += e * share;
			k->energy_lo_j += pmin * len * share;
			k->energy_hi_j += pmax * len * share;
			*attributed += e * share;
			if (k->flags & OPC_TKEY_REGION)
				layers_j += e * share;
			else
				calls_j += e * share;
		}
		/* Closure, from the formula rather than from what is left:
		 * calls + layers + outside + the node's other traces' share
		 * = the interval's energy */
		outside_j = denom > 0 ? e * (len > sum + other ? len - sum - other : 0) / denom : e;
		others_j = denom > 0 ? e * other / denom : 0;
		resid = e - calls_j - layers_j - outside_j - others_j;
		out->layers_j += layers_j;
		out->others_j += others_j;
		out->closure_intervals++;
		if (fabs(resid) > fabs(out->closure_worst_j)) {
			out->closure_worst_j = resid;
			out->closure_worst_rel = e != 0 ? resid / e : 0;
		}
		if (sum + other < len) {	/* the rest of the interval is outside */
			out->outside_lo_j += pmin * (len - sum - other);
			out->outside_hi_j += pmax * (len - sum - other);
		}
		/* Stack samples of this interval share what the calls left,
		 * each by its CPU time, as a call by its busy time: at most
		 * e x weight / len, never more than the rest.  Samples are
		 * of host threads: the host's pool (0) only. */
		double wsum = 0, rest = e - (sum + other > 0 && denom > 0 ?
					     e * (sum + other) / denom : 0);
		size_t s0 = si;

		while (si < t->nsamples && t->samples[si].t_ns <= en->t_ns[i])
			wsum += t->samples[si++].weight_ns / 1e9;
		if (pool == 0 && wsum > 0 && len > 0 && rest > 0) {
			double give = e * wsum / len < rest ? e * wsum / len : rest;

			for (size_t j = s0; j < si; j++) {
				double ej = give * (t->samples[j].weight_ns / 1e9) / wsum;

				t->samples[j].energy_j += ej;
				out->sampled_j += ej;
			}
		}
	}
	ret = 0;
out:
	spill_log_free(&log);
	return ret;
}

/*
 * A trace's part in its node's joint attribution (opc_attribute_node).
 * split: GPU domains are pools of their own even in a trace without GPU
 * keys (make_pools).  Per pool p of the trace, per energy interval:
 * ext[p] the busy time of the node's other traces on the same energy in
 * that interval's window (NULL: none), busy[p] this trace's, filled
 * (NULL: not wanted).
 */
struct joint {
	int split;
	double **ext, **busy;
};

static int attribute(struct opc_trace *t, struct opc_attribution *out, const struct joint *jn)
{
	const struct opc_tenergy *en = &t->energy;
	size_t n = en->nsamples;
	struct split sp = { NULL };
	double *ptotal = NULL, attributed = 0;
	int dpool[OPC_TRACE_MAX_DOMAINS], *kpool = NULL, npools;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	for (size_t k = 0; k < t->nkeys; k++)
		t->keys[k].energy_j = t->keys[k].energy_lo_j = t->keys[k].energy_hi_j = 0;
	for (size_t j = 0; j < t->nsamples; j++)
		t->samples[j].energy_j = 0;
	if (n < 2)
		return 0;
	sp.ci = calloc(n, sizeof(*sp.ci));
	sp.pw = calloc(n, sizeof(double));
	sp.rank = malloc((t->nkeys ? t->nkeys : 1) * sizeof(uint32_t));
	ptotal = calloc(n, sizeof(double));
	kpool = calloc(t->nkeys ? t->nkeys : 1, sizeof(int));
	if (!sp.ci || !sp.pw || !sp.rank || !ptotal || !kpool ||
	    index_init(&sp.ix, t->nkeys) < 0 || (sp.nengines = engine_ranks(t, sp.rank)) < 0)
		goto out;
	sp.keep = malloc((sp.nengines ? sp.nengines : 1) * sizeof(double));
	if (sp.keep == NULL)
		goto out;
	for (long r = 0; r < sp.nengines; r++)
		sp.keep[r] = -1;
	/* the call intervals that may overlap energy interval i begin at
	 * ci[i]: found walking forward, whichever way the intervals are
	 * walked after */
	for (size_t i = 1, ci = 0; i < n; i++) {
		while (ci < t->nintervals && t->intervals[ci].t_end_ns <= en->t_ns[i - 1])
			ci++;
		sp.ci[i] = ci;
	}
	out->have_energy = 1;
	out->total_j = en->total[n - 1];
	for (int d = 0; d < en->ndom; d++)
		if (en->dom[d].counted && en->dom[d].kind == OPC_TDOM_GPU) {
			out->gpu_j += en->joules[(n - 1) * en->ndom + d];
			out->ngpu++;
		}
	out->duration_s = (en->t_ns[n - 1] - en->t_ns[0]) / 1e9;
	npools = make_pools(t, dpool, kpool, jn && jn->split);
	for (int p = 0; p < npools; p++) {
		for (size_t i = 0; i < n; i++) {
			ptotal[i] = 0;
			for (int d = 0; d < en->ndom; d++)
				if (dpool[d] == p)
					ptotal[i] += en->joules[i * en->ndom + d];
		}
		if (attribute_pool(t, kpool, p, ptotal, &sp, out, &attributed,
				   jn && jn->ext ? jn->ext[p] : NULL,
				   jn && jn->busy ? jn->busy[p] : NULL) < 0)
			goto out;
	}
	out->outside_j = out->total_j - attributed;
	for (size_t k = 0; k < t->nkeys; k++) {
		struct opc_tkey *key = &t->keys[k];

		if (key->energy_j == 0)
			continue;
		key->energy_lo_j -= 2 * en->resolution_j;
		key->energy_hi_j += 2 * en->resolution_j;
		if (key->energy_lo_j < 0)
			key->energy_lo_j = 0;
		/* the measured split always lies inside its own bounds */
		if (key->energy_lo_j > key->energy_j)
			key->energy_lo_j = key->energy_j;
		if (key->energy_hi_j < key->energy_j)
			key->energy_hi_j = key->energy_j;
	}
	if (out->outside_lo_j > out->outside_j)
		out->outside_lo_j = out->outside_j;
	if (out->outside_hi_j < out->outside_j)
		out->outside_hi_j = out->outside_j;
	ret = 0;
out:
	free(sp.cur.c);
	free(sp.ci);
	free(sp.keep);
	opc_tentries_free(&sp.es);
	opc_trace_close(t);
	free(sp.pw);
	free(sp.rank);
	index_free(&sp.ix);
	free(ptotal);
	free(kpool);
	return ret;
}

int opc_attribute_energy(struct opc_trace *t, struct opc_attribution *out)
{
	return attribute(t, out, NULL);
}

/* Energy interval i of trace t in real time (ns since the epoch). */
static uint64_t real_ns(const struct opc_trace *t, size_t i)
{
	return t->hdr.start_realtime_ns + t->energy.t_ns[i];
}

static double overlap_ns(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	uint64_t lo = a > c ? a : c, hi = b < d ? b : d;

	return hi > lo ? (double)(hi - lo) : 0;
}

/* Adds to ext[k], for each energy interval k of t, the busy time ub[q] of
 * each interval q of u in its real-time window, prorated by overlap. */
static void add_prorated(const struct opc_trace *t, double *ext, const struct opc_trace *u,
			 const double *ub)
{
	size_t m = 1;

	for (size_t k = 1; k < t->energy.nsamples; k++) {
		uint64_t a = real_ns(t, k - 1), b = real_ns(t, k);

		while (m < u->energy.nsamples && real_ns(u, m) <= a)
			m++;
		for (size_t q = m; q < u->energy.nsamples && real_ns(u, q - 1) < b; q++) {
			uint64_t c = real_ns(u, q - 1), d = real_ns(u, q);

			if (d > c)
				ext[k] += ub[q] * overlap_ns(a, b, c, d) / (d - c);
		}
	}
}

/*
 * The node's energy over the union of the times the traces' samples
 * cover: each stretch of the node's time line once (opc_sweep), and in it
 * each of the node's counters once, the host's and each GPU's, from the
 * shortest interval that covers it of a trace that reads that counter,
 * prorated by time (exact where the power is constant inside an
 * interval).
 */
static void node_sweep(struct opc_sweep *sw, struct opc_node_energy *node)
{
	uint64_t x, y;
	size_t t, i;

	while (opc_sweep_next(sw, &x, &y, &t, &i)) {
		double g;

		node->total_j += opc_sweep_joules(sw, x, y, &g);
		node->gpu_j += g;
		node->covered_s += (y - x) / 1e9;
	}
	node->ngpu = sw->ngpu;
}

/* A trace's pools as the node's energy: pool p reads the node's counter
 * id[p], 0 the host's, 1 + g its GPU g (opc_sweep_gpu); busy[p] (npools
 * rows of nsamples) its busy time per interval after spill-back. */
struct member {
	int npools;
	long id[OPC_TRACE_MAX_DOMAINS + 1];
	double *busy[OPC_TRACE_MAX_DOMAINS + 1];
	double *ext[OPC_TRACE_MAX_DOMAINS + 1];
};

/*
 * Every pool is joint: the host's among all the traces, a GPU's among the
 * traces that read it (the same domain name: see opc_sweep_joules), their
 * GPU keys on it (each trace's n-th GPU domain is its CUDA device n,
 * whatever that GPU's number on the machine) sharing its energy by GPU
 * time as the host's keys share the host's.  So that a trace's pools are
 * the others', GPU domains are pools of their own in every trace of the
 * node as soon as one trace has GPU keys (a trace alone keeps its GPUs'
 * energy in its host pool only when it has none).
 */
int opc_attribute_node(struct opc_trace **ts, size_t n, struct opc_attribution *per,
		       struct opc_node_energy *node)
{
	struct member *mb = calloc(n ? n : 1, sizeof(*mb));
	struct opc_sweep sw;
	struct joint jn = { 0, NULL, NULL };
	double lo = 0, hi = 0, formula = 0, attributed = 0;
	int ret = -1, swept = 0;

	memset(node, 0, sizeof(*node));
	if (mb == NULL || opc_sweep_init(&sw, ts, n) < 0)
		goto out;
	swept = 1;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < ts[i]->nkeys; k++)
			jn.split |= !!(ts[i]->keys[k].flags & OPC_TKEY_GPU);
	for (size_t i = 0; i < n; i++) {
		const struct opc_tenergy *en = &ts[i]->energy;
		size_t ns = en->nsamples ? en->nsamples : 1;

		mb[i].npools = 1;
		for (int d = 0; d < en->ndom && jn.split; d++) {
			long g = opc_sweep_gpu(&sw, i, d);

			if (g >= 0)
				mb[i].id[mb[i].npools++] = 1 + g;
		}
		for (int p = 0; p < mb[i].npools; p++) {
			mb[i].busy[p] = calloc(ns, sizeof(double));
			mb[i].ext[p] = calloc(ns, sizeof(double));
			if (mb[i].busy[p] == NULL || mb[i].ext[p] == NULL)
				goto out;
		}
	}
	/* first each trace alone, for its busy time per interval and pool
	 * after spill-back (what the others' shares are made of) */
	for (size_t i = 0; i < n; i++) {
		jn.ext = NULL;
		jn.busy = mb[i].busy;
		if (attribute(ts[i], &per[i], &jn) < 0)
			goto out;
	}
	/* then each again, the denominators of each of its pools holding
	 * the busy time of the other traces' pools on the same counter in
	 * the same real-time window, prorated by overlap */
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++)
			for (int q = 0; q < mb[j].npools && j != i; q++)
				for (int p = 0; p < mb[i].npools; p++)
					if (mb[i].id[p] == mb[j].id[q])
						add_prorated(ts[i], mb[i].ext[p], ts[j],
							     mb[j].busy[q]);
		jn.ext = mb[i].ext;
		jn.busy = NULL;
		if (attribute(ts[i], &per[i], &jn) < 0)
			goto out;
	}
	node_sweep(&sw, node);
	for (size_t i = 0; i < n; i++) {
		attributed += per[i].total_j - per[i].outside_j;
		formula += per[i].outside_j - per[i].others_j;
		lo += per[i].outside_lo_j;
		hi += per[i].outside_hi_j;
	}
	node->attributed_j = attributed;
	node->outside_j = node->total_j - attributed;
	/* the traces' bounds on their outside energy (each of which counts
	 * the node's idle time again), scaled to the node's */
	node->outside_lo_j = formula > 0 ? node->outside_j * lo / formula : node->outside_j;
	node->outside_hi_j = formula > 0 ? node->outside_j * hi / formula : node->outside_j;
	if (node->outside_lo_j > node->outside_j)
		node->outside_lo_j = node->outside_j;
	if (node->outside_hi_j < node->outside_j)
		node->outside_hi_j = node->outside_j;
	ret = 0;
out:
	for (size_t i = 0; mb && i < n; i++)
		for (int p = 0; p < mb[i].npools; p++) {
			free(mb[i].busy[p]);
			free(mb[i].ext[p]);
		}
	free(mb);
	if (swept)
		opc_sweep_free(&sw);
	return ret;
}
