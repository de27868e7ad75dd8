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
 * Bounds: the power inside an interval is not known, only its mean.  We
 * take it to lie between the lowest and highest mean power of the interval
 * and its two neighbours, which bounds each key's share, and add the
 * counter resolution once for each end of the run (cumulative readings:
 * quantisation does not add up over intervals).
 */
#include <stdlib.h>
#include <string.h>

#include "attribute.h"

static double entry_busy_s(const struct opc_trace *t, const struct opc_tentry *e)
{
	const struct opc_tkey *k = &t->keys[e->key];

	if (e->timed)
		return (double)e->busy_ns * e->calls / e->timed / 1e9;
	/* no call of this key was timed in this interval: its mean */
	return k->calls ? k->busy_s * e->calls / k->calls : 0;
}

int opc_attribute_energy(struct opc_trace *t, struct opc_attribution *out)
{
	const struct opc_tenergy *en = &t->energy;
	size_t n = en->nsamples, ci = 0;
	double *busy, *pw, attributed = 0, lo_sum = 0, hi_sum = 0;
	uint32_t *touched;
	char *seen;

	memset(out, 0, sizeof(*out));
	for (size_t k = 0; k < t->nkeys; k++)
		t->keys[k].energy_j = t->keys[k].energy_lo_j = t->keys[k].energy_hi_j = 0;
	if (n < 2)
		return 0;
	busy = calloc(t->nkeys + 1, sizeof(double));
	touched = calloc(t->nkeys + 1, sizeof(uint32_t));
	pw = calloc(n, sizeof(double));
	seen = calloc(t->nkeys + 1, 1);
	if (!busy || !touched || !pw || !seen) {
		free(seen);
		free(busy);
		free(touched);
		free(pw);
		return -1;
	}
	out->have_energy = 1;
	out->total_j = en->total[n - 1];
	out->duration_s = en->t_ns[n - 1] / 1e9;
	for (size_t i = 1; i < n; i++) {
		double dt = (en->t_ns[i] - en->t_ns[i - 1]) / 1e9;

		pw[i] = dt > 0 ? (en->total[i] - en->total[i - 1]) / dt : 0;
	}

	for (size_t i = 1; i < n; i++) {
		uint64_t a = en->t_ns[i - 1], b = en->t_ns[i];
		double e = en->total[i] - en->total[i - 1];
		double len = (b - a) / 1e9, sum = 0, pmin = pw[i], pmax = pw[i];
		size_t nt = 0;

		if (i > 1) {
			pmin = pw[i - 1] < pmin ? pw[i - 1] : pmin;
			pmax = pw[i - 1] > pmax ? pw[i - 1] : pmax;
		}
		if (i + 1 < n) {
			pmin = pw[i + 1] < pmin ? pw[i + 1] : pmin;
			pmax = pw[i + 1] > pmax ? pw[i + 1] : pmax;
		}
		/* call intervals are in time order; weigh each by its overlap */
		while (ci < t->nintervals && t->intervals[ci].t_end_ns <= a)
			ci++;
		for (size_t c = ci; c < t->nintervals && t->intervals[c].t_begin_ns < b; c++) {
			const struct opc_tinterval *iv = &t->intervals[c];
			uint64_t lo = iv->t_begin_ns > a ? iv->t_begin_ns : a;
			uint64_t hi = iv->t_end_ns < b ? iv->t_end_ns : b;
			double w = iv->t_end_ns > iv->t_begin_ns ?
				(double)(hi > lo ? hi - lo : 0) / (iv->t_end_ns - iv->t_begin_ns) : 1;

			for (size_t j = 0; j < iv->count; j++) {
				const struct opc_tentry *en_ = &t->entries[iv->first + j];

				if (t->keys[en_->key].rec.flags & OPC_TKEY_NESTED)
					continue;	/* inside an outer call's time */
				if (!seen[en_->key]) {
					seen[en_->key] = 1;
					touched[nt++] = en_->key;
				}
				busy[en_->key] += w * entry_busy_s(t, en_);
			}
		}
		for (size_t j = 0; j < nt; j++)
			sum += busy[touched[j]];
		double denom = sum > len ? sum : len;

		for (size_t j = 0; j < nt && denom > 0; j++) {
			struct opc_tkey *k = &t->keys[touched[j]];
			double share = busy[touched[j]] / denom;

			k->energy_j += e * share;
			k->energy_lo_j += pmin * len * share;
			k->energy_hi_j += pmax * len * share;
			attributed += e * share;
			lo_sum += pmin * len * share;
			hi_sum += pmax * len * share;
		}
		for (size_t j = 0; j < nt; j++) {
			busy[touched[j]] = 0;
			seen[touched[j]] = 0;
		}
		if (sum < len) {	/* the rest of the interval is outside */
			out->outside_lo_j += pmin * (len - sum);
			out->outside_hi_j += pmax * (len - sum);
		}
	}
	out->outside_j = out->total_j - attributed;
	for (size_t k = 0; k < t->nkeys; k++) {
		if (t->keys[k].energy_j == 0)
			continue;
		t->keys[k].energy_lo_j -= 2 * en->resolution_j;
		t->keys[k].energy_hi_j += 2 * en->resolution_j;
		if (t->keys[k].energy_lo_j < 0)
			t->keys[k].energy_lo_j = 0;
		/* the measured split always lies inside its own bounds */
		if (t->keys[k].energy_lo_j > t->keys[k].energy_j)
			t->keys[k].energy_lo_j = t->keys[k].energy_j;
		if (t->keys[k].energy_hi_j < t->keys[k].energy_j)
			t->keys[k].energy_hi_j = t->keys[k].energy_j;
	}
	if (out->outside_lo_j > out->outside_j)
		out->outside_lo_j = out->outside_j;
	if (out->outside_hi_j < out->outside_j)
		out->outside_hi_j = out->outside_j;
	(void)lo_sum;
	(void)hi_sum;
	free(seen);
	free(busy);
	free(touched);
	free(pw);
	return 0;
}
