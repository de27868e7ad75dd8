/*
 * steps.c - the training steps of a trace (steps.h).
 *
 * A trace has no time stamp per region entry: the library counts a
 * region key's entries and own time per sampling interval (docs/design.md,
 * "Layers").  So a step begins in the interval where its entry is
 * counted; n entries in one interval are spread evenly over it, each at
 * the middle of its share, which makes a boundary's error at most half an
 * interval when steps are longer than one, and unbiased.  A step ends
 * where the next one begins; the last one at the end of the last interval
 * with any activity (entries, time or calls) in the region or a region
 * inside it.  A step's energy is the trace's cumulative energy (counted
 * domains, interpolated linearly between samples) at its end minus at its
 * beginning.
 */
#define PR_FMT "predict"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "steps.h"
#include "trace.h"
#include "util.h"

/* Student t, 0.975 quantile, 1 to 30 degrees of freedom (four decimals). */
static const double t975[30] = {
	12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
	2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
	2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
};

double opc_t95(size_t df)
{
	const double z = 1.959964;
	double d = (double)df;

	if (df == 0)
		return NAN;
	if (df <= 30)
		return t975[df - 1];
	/* Cornish-Fisher expansion around the normal quantile: within 1e-4 past 30 */
	return z + (z * z * z + z) / (4 * d) +
	       (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * d * d);
}

/* Cumulative counted energy at t_ns, linear between samples, clamped at the ends. */
static double energy_at(const struct opc_tenergy *en, uint64_t t, int *beyond)
{
	size_t lo = 0, hi = en->nsamples - 1;

	if (t >= en->t_ns[hi]) {
		if (t > en->t_ns[hi])
			*beyond = 1;
		return en->total[hi];
	}
	if (t <= en->t_ns[0])
		return en->total[0];
	while (hi - lo > 1) {	/* t_ns[lo] < t < t_ns[hi] */
		size_t mid = lo + (hi - lo) / 2;

		if (en->t_ns[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	if (en->t_ns[hi] == en->t_ns[lo])
		return en->total[hi];
	return en->total[lo] + (en->total[hi] - en->total[lo]) *
	       (double)(t - en->t_ns[lo]) / (double)(en->t_ns[hi] - en->t_ns[lo]);
}

/* The region `name`, or one inside it. */
static int in_layer(const struct opc_trace *t, uint32_t id, const char *name)
{
	for (int depth = 0; id && depth < 256; depth++) {
		const struct opc_tlayer *l = opc_trace_layer(t, id);

		if (l == NULL)
			return 0;
		if (l->name && !strcmp(l->name, name))
			return 1;
		id = l->parent;
	}
	return 0;
}

static void info(const struct opc_trace *t, const char *key, char *out, size_t len)
{
	const char *v = opc_trace_info(t, key);

	snprintf(out, len, "%s", v && v[0] ? v : "?");
}

static void stats(const double *x, size_t n, double *mean, double *sd, double *mn, double *mx)
{
	double s = 0, q = 0;

	*mn = *mx = x[0];
	for (size_t i = 0; i < n; i++) {
		s += x[i];
		*mn = x[i] < *mn ? x[i] : *mn;
		*mx = x[i] > *mx ? x[i] : *mx;
	}
	*mean = s / n;
	for (size_t i = 0; i < n; i++)
		q += (x[i] - *mean) * (x[i] - *mean);
	*sd = n > 1 ? sqrt(q / (n - 1)) : 0;
}

int opc_steps_load(const char *path, const char *layer, size_t skip, struct opc_steps *s,
		   char *err, size_t len)
{
	struct opc_trace t;
	struct opc_tentries es = { NULL };
	char *in = NULL;
	uint64_t *begin = NULL, last_end = 0;
	size_t nb = 0, cap = 0;
	int ret = -EINVAL, found = 0, beyond = 0;

	memset(s, 0, sizeof(*s));
	memset(&t, 0, sizeof(t));
	err[0] = 0;
	if (opc_trace_read(path, &t, err, len) < 0)
		goto out;
	if (err[0])	/* a truncated last frame: a warning, the steps before it stand */
		pr_warn("%s", opc_tty(err));
	err[0] = 0;
	snprintf(s->layer, sizeof(s->layer), "%s", layer);
	info(&t, "host", s->host, sizeof(s->host));
	info(&t, "cpu", s->cpu, sizeof(s->cpu));
	info(&t, "cmdline", s->cmdline, sizeof(s->cmdline));
	s->complete = t.ended;
	s->interval_s = t.hdr.interval_ns / 1e9;
	snprintf(s->source, sizeof(s->source), "%s", t.energy.source[0] ? t.energy.source : "none");
	s->have_energy = t.energy.nsamples >= 2 && strcmp(s->source, "none") && t.energy.total;
	s->measured = s->have_energy && t.energy.measured;

	for (size_t i = 0; i < t.nlayers; i++)
		found |= t.layers[i].name && !strcmp(t.layers[i].name, layer);
	if (!found) {
		int n = snprintf(err, len, "%s: no layer region named '%s' (give the region "
				 "entered once per training step with --step-layer NAME)", path,
				 layer);

		for (size_t i = 0; i < t.nlayers && n > 0 && (size_t)n < len; i++)
			n += snprintf(err + n, len - n, "%s%s", i ? ", " : "; the trace has: ",
				      t.layers[i].name ? t.layers[i].name : "?");
		goto out;
	}
	in = calloc(t.nkeys ? t.nkeys : 1, 1);
	if (in == NULL)
		goto nomem;
	/* 1: in the region or one inside it; 2: the region's own key (its entries) */
	for (size_t k = 0; k < t.nkeys; k++) {
		const struct opc_tlayer *l = opc_trace_layer(&t, t.keys[k].layer);

		in[k] = in_layer(&t, t.keys[k].layer, layer);
		if (in[k] && (t.keys[k].flags & OPC_TKEY_REGION) && l && l->name &&
		    !strcmp(l->name, layer))
			in[k] = 2;
	}

	for (size_t c = 0; c < t.nintervals; c++) {
		const struct opc_tinterval *iv = &t.intervals[c];
		uint64_t entries = 0;
		int active = 0;

		if (opc_trace_entries(&t, c, &es, err, len) < 0)
			goto out;
		for (size_t e = 0; e < es.n; e++) {
			const struct opc_tentry *x = &es.e[e];

			if (!in[x->key])
				continue;
			active |= x->calls || x->busy_ns;
			if (in[x->key] == 2)
				entries += x->calls;
		}
		if (active && iv->t_end_ns > last_end)
			last_end = iv->t_end_ns;
		for (uint64_t j = 0; j < entries; j++) {
			if (nb == cap) {
				uint64_t *b = realloc(begin, (cap = cap ? 2 * cap : 64) *
						      sizeof(*b));

				if (b == NULL)
					goto nomem;
				begin = b;
			}
			begin[nb++] = iv->t_begin_ns + (uint64_t)((iv->t_end_ns - iv->t_begin_ns) *
								  (j + 0.5) / entries);
		}
	}
	/* the last step ends with its last activity, if that is after its beginning */
	s->nseen = nb ? nb - 1 : 0;
	if (nb && last_end > begin[nb - 1]) {
		s->nseen = nb;
		s->last_closed = 1;
	}
	if (s->nseen < skip + 2) {
		snprintf(err, len, "%s: %zu step%s of '%s' found%s; the statistics need at least 2 "
			 "after --skip %zu", path, s->nseen, s->nseen == 1 ? "" : "s", layer,
		     nb > s->nseen ? " (the last entry's end is not in the trace)" : "", skip);
		goto out;
	}
	s->time_s = calloc(s->nseen, sizeof(double));
	s->energy_j = calloc(s->nseen, sizeof(double));
	if (!s->time_s || !s->energy_j)
		goto nomem;
	for (size_t i = 0; i < s->nseen; i++) {
		uint64_t a = begin[i], b = i + 1 < nb ? begin[i + 1] : last_end;

		s->time_s[i] = (b - a) / 1e9;
		if (s->have_energy)
			s->energy_j[i] = energy_at(&t.energy, b, &beyond) -
					 energy_at(&t.energy, a, &beyond);
		s->seen_s += s->time_s[i];
		s->seen_j += s->energy_j[i];
	}
	s->energy_short = beyond;
	s->skip = skip;
	s->n = s->nseen - skip;
	stats(s->time_s + skip, s->n, &s->mean_s, &s->sd_s, &s->min_s, &s->max_s);
	stats(s->energy_j + skip, s->n, &s->mean_j, &s->sd_j, &s->min_j, &s->max_j);
	s->t95 = opc_t95(s->n - 1);
	ret = 0;
	goto out;
nomem:
	snprintf(err, len, "%s: out of memory", path);
	ret = -ENOMEM;
out:
	free(in);
	free(begin);
	opc_tentries_free(&es);
	opc_trace_free(&t);
	if (ret < 0)
		opc_steps_free(s);
	return ret;
}

void opc_steps_free(struct opc_steps *s)
{
	free(s->time_s);
	free(s->energy_j);
	s->time_s = s->energy_j = NULL;
}

void opc_steps_extrapolate(const struct opc_steps *s, double total, int energy,
			   struct opc_steps_total *out)
{
	double seen = energy ? s->seen_j : s->seen_s;
	double mean = energy ? s->mean_j : s->mean_s, sd = energy ? s->sd_j : s->sd_s;
	double hw = s->t95 * sd / sqrt((double)s->n), rest = total - (double)s->nseen;

	out->v = seen + rest * mean;
	out->lo = seen + rest * (mean - hw > 0 ? mean - hw : 0);
	out->hi = seen + rest * (mean + hw);
}
