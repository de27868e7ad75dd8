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
 */
#include <stdlib.h>
#include <string.h>

#include "attribute.h"

struct cell {
	uint32_t key;
	double busy;
};

struct cells {
	struct cell *c;
	size_t n, cap;
};

static double entry_busy_s(const struct opc_trace *t, const struct opc_tentry *e)
{
	const struct opc_tkey *k = &t->keys[e->key];

	if (e->timed)
		return (double)e->busy_ns * e->calls / e->timed / 1e9;
	/* no call of this key was timed in this interval: its mean */
	return k->calls ? k->busy_s * e->calls / k->calls : 0;
}

static int cell_add(struct cells *cs, uint32_t key, double busy)
{
	for (size_t i = 0; i < cs->n; i++)
		if (cs->c[i].key == key) {
			cs->c[i].busy += busy;
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
	cs->c[cs->n++] = (struct cell){ key, busy };
	return 0;
}

/* Busy time of every key in every energy interval, calls weighed by how
 * much of their call interval overlaps the energy interval. */
static int collect(const struct opc_trace *t, struct cells *iv)
{
	const struct opc_tenergy *en = &t->energy;
	size_t ci = 0;

	for (size_t i = 1; i < en->nsamples; i++) {
		uint64_t a = en->t_ns[i - 1], b = en->t_ns[i];

		while (ci < t->nintervals && t->intervals[ci].t_end_ns <= a)
			ci++;
		for (size_t c = ci; c < t->nintervals && t->intervals[c].t_begin_ns < b; c++) {
			const struct opc_tinterval *in = &t->intervals[c];
			uint64_t lo = in->t_begin_ns > a ? in->t_begin_ns : a;
			uint64_t hi = in->t_end_ns < b ? in->t_end_ns : b;
			double w = in->t_end_ns > in->t_begin_ns ?
				(double)(hi > lo ? hi - lo : 0) / (in->t_end_ns - in->t_begin_ns) : 1;

			for (size_t j = 0; j < in->count; j++) {
				const struct opc_tentry *e = &t->entries[in->first + j];

				if (t->keys[e->key].rec.flags & OPC_TKEY_NESTED)
					continue;	/* inside an outer call's time */
				if (w > 0 && cell_add(&iv[i], e->key, w * entry_busy_s(t, e)))
					return -1;
			}
		}
	}
	return 0;
}

/* Move each thread's busy time beyond 100% of an interval back to the
 * interval before, proportionally over that thread's keys. */
static int spill_back(const struct opc_trace *t, struct cells *iv)
{
	const struct opc_tenergy *en = &t->energy;
	size_t n = en->nsamples;
	struct cells carry = { 0 };
	uint32_t *tids = NULL;
	size_t ntids = 0;

	for (size_t k = 0; k < t->nkeys; k++) {
		size_t j;

		for (j = 0; j < ntids && tids[j] != t->keys[k].rec.tid; j++)
			;
		if (j == ntids) {
			uint32_t *p = realloc(tids, (ntids + 1) * sizeof(*p));

			if (p == NULL) {
				free(tids);
				return -1;
			}
			tids = p;
			tids[ntids++] = t->keys[k].rec.tid;
		}
	}
	for (size_t th = 0; th < ntids; th++) {
		carry.n = 0;
		for (size_t i = n - 1; i >= 1; i--) {
			double len = (en->t_ns[i] - en->t_ns[i - 1]) / 1e9, busy = 0;

			for (size_t j = 0; j < carry.n; j++)
				if (cell_add(&iv[i], carry.c[j].key, carry.c[j].busy))
					goto oom;
			carry.n = 0;
			for (size_t j = 0; j < iv[i].n; j++)
				if (t->keys[iv[i].c[j].key].rec.tid == tids[th])
					busy += iv[i].c[j].busy;
			if (busy <= len || i == 1)
				continue;
			double keep = len / busy;

			for (size_t j = 0; j < iv[i].n; j++) {
				struct cell *c = &iv[i].c[j];

				if (t->keys[c->key].rec.tid != tids[th])
					continue;
				if (cell_add(&carry, c->key, c->busy * (1 - keep)))
					goto oom;
				c->busy *= keep;
			}
		}
	}
	free(carry.c);
	free(tids);
	return 0;
oom:
	free(carry.c);
	free(tids);
	return -1;
}

int opc_attribute_energy(struct opc_trace *t, struct opc_attribution *out)
{
	const struct opc_tenergy *en = &t->energy;
	size_t n = en->nsamples;
	struct cells *iv;
	double *pw, attributed = 0;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	for (size_t k = 0; k < t->nkeys; k++)
		t->keys[k].energy_j = t->keys[k].energy_lo_j = t->keys[k].energy_hi_j = 0;
	if (n < 2)
		return 0;
	iv = calloc(n, sizeof(*iv));
	pw = calloc(n, sizeof(double));
	if (!iv || !pw)
		goto out;
	out->have_energy = 1;
	out->total_j = en->total[n - 1];
	out->duration_s = en->t_ns[n - 1] / 1e9;
	for (size_t i = 1; i < n; i++) {
		double dt = (en->t_ns[i] - en->t_ns[i - 1]) / 1e9;

		pw[i] = dt > 0 ? (en->total[i] - en->total[i - 1]) / dt : 0;
	}
	if (collect(t, iv) < 0 || spill_back(t, iv) < 0)
		goto out;

	for (size_t i = 1; i < n; i++) {
		double e = en->total[i] - en->total[i - 1];
		double len = (en->t_ns[i] - en->t_ns[i - 1]) / 1e9, sum = 0;
		double pmin = pw[i], pmax = pw[i];

		if (i > 1) {
			pmin = pw[i - 1] < pmin ? pw[i - 1] : pmin;
			pmax = pw[i - 1] > pmax ? pw[i - 1] : pmax;
		}
		if (i + 1 < n) {
			pmin = pw[i + 1] < pmin ? pw[i + 1] : pmin;
			pmax = pw[i + 1] > pmax ? pw[i + 1] : pmax;
		}
		for (size_t j = 0; j < iv[i].n; j++)
			sum += iv[i].c[j].busy;
		double denom = sum > len ? sum : len;

		for (size_t j = 0; j < iv[i].n && denom > 0; j++) {
			struct opc_tkey *k = &t->keys[iv[i].c[j].key];
			double share = iv[i].c[j].busy / denom;

			k->energy_j += e * share;
			k->energy_lo_j += pmin * len * share;
			k->energy_hi_j += pmax * len * share;
			attributed += e * share;
		}
		if (sum < len) {	/* the rest of the interval is outside */
			out->outside_lo_j += pmin * (len - sum);
			out->outside_hi_j += pmax * (len - sum);
		}
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
	for (size_t i = 0; iv && i < n; i++)
		free(iv[i].c);
	free(iv);
	free(pw);
	return ret;
}
