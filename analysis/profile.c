/*
 * profile.c - join the keys of one or more traces into report rows.
 *
 * Rows are keyed by strings (symbolized site, layer path, op, type), so
 * keys of several traces (a parent and its children, or repeated runs)
 * merge naturally.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "profile.h"
#include "routines.h"
#include "attribute.h"
#include "hashtab.h"
#include "symbolize.h"
#include "util.h"

static const char *group_names[] = { "site", "layer", "op", "type", "key", "path", "device" };

int opc_group_parse(const char *s, enum opc_group *g)
{
	for (int i = 0; i < (int)(sizeof(group_names) / sizeof(group_names[0])); i++)
		if (!strcmp(s, group_names[i])) {
			*g = i;
			return 0;
		}
	return -1;
}

const char *opc_group_name(enum opc_group g)
{
	return group_names[g];
}

/*
 * Attribute each trace's energy to its keys.  RAPL, perf and NVML read the
 * whole machine: two processes traced at the same time both saw all of
 * it, so their totals do not add up; we say so rather than sum silently.
 */
static int energy_load(struct opc_profile *p)
{
	snprintf(p->source, sizeof(p->source), "none");
	p->measured = 1;
	p->idle_w = -1;
	for (size_t i = 0; i < p->ntraces; i++) {
		struct opc_trace *t = &p->traces[i];
		struct opc_attribution a;

		if (opc_attribute_energy(t, &a) < 0)
			return -1;
		if (!a.have_energy)
			continue;
		if (!p->have_energy) {
			snprintf(p->source, sizeof(p->source), "%s", t->energy.source);
			p->note = t->energy.note;
		} else if (strcmp(p->source, t->energy.source)) {
			pr_warn("traces use different energy sources (%s, %s): totals mix them",
				opc_tty(p->source), opc_tty(t->energy.source));
		}
		p->have_energy = 1;
		p->measured &= t->energy.measured;
		const char *idle = opc_trace_info(t, "idle_w");
		double w;

		if (idle && opc_parse_double(idle, 0, 1e9, &w) < 0) {
			pr_warn("%s: idle power '%s' is not a number of watts: no static energy",
				opc_tty(t->path), opc_tty(idle));
		} else if (idle) {
			/* static energy: what the idle machine would have used */
			p->idle_w = w;
			p->static_j += p->idle_w * a.duration_s;
		}
		p->energy_j += a.total_j;
		p->outside_j += a.outside_j;
		p->outside_lo_j += a.outside_lo_j;
		p->outside_hi_j += a.outside_hi_j;
		for (size_t j = 0; j < i && t->energy.measured; j++) {
			const struct opc_trace *u = &p->traces[j];
			uint64_t t0 = t->hdr.start_realtime_ns, t1 = t0 + t->end_ns;
			uint64_t u0 = u->hdr.start_realtime_ns, u1 = u0 + u->end_ns;

			if (u->energy.nsamples > 1 && t0 < u1 && u0 < t1)
				p->overlap = 1;
		}
	}
	if (!p->have_energy)
		p->measured = 0;
	if (p->overlap)
		pr_warn("traces overlap in time and their energy source reads the whole "
			"machine: per-trace energies are not additive");
	return 0;
}

int opc_profile_load(struct opc_profile *p, char **paths, int npaths)
{
	char err[2048];

	memset(p, 0, sizeof(*p));
	p->traces = calloc(npaths, sizeof(*p->traces));
	if (p->traces == NULL)
		return -1;
	for (int i = 0; i < npaths; i++) {
		struct opc_trace *t = &p->traces[i];
		int ret = opc_trace_read(paths[i], t, err, sizeof(err));

		/* the reader's messages quote the trace (domain names) */
		if (ret < 0) {
			pr_err("%s", opc_tty(err));
			opc_trace_free(t);
			return -1;
		}
		p->ntraces++;
		if (err[0])
			pr_warn("%s", opc_tty(err));
		if (t->dropped_calls)
			pr_warn("%s: %llu calls could not be keyed (key table full)",
				opc_tty(paths[i]), (unsigned long long)t->dropped_calls);
		if (t->end_ns / 1e9 > p->duration_s)
			p->duration_s = t->end_ns / 1e9;
	}
	return energy_load(p);
}

void opc_layer_path(const struct opc_trace *t, uint32_t id, char *buf, size_t len)
{
	const struct opc_tlayer *chain[64];
	int n = 0;
	size_t o = 0;

	buf[0] = 0;
	while (id && n < 64) {
		const struct opc_tlayer *l = opc_trace_layer(t, id);

		if (l == NULL)
			break;
		chain[n++] = l;
		id = l->parent;
	}
	for (int i = n - 1; i >= 0 && o + 1 < len; i--)
		o += snprintf(buf + o, len - o, "%s%s", i == n - 1 ? "" : "/", chain[i]->name);
}

void opc_key_shape(const struct opc_tkey *k, char *buf, size_t len)
{
	char names[256];
	size_t o = 0;
	int i = 0;

	o += snprintf(buf + o, len - o, "%s", k->op);
	if (k->rec.flags & OPC_TKEY_OVERFLOW) {	/* the shapes of many keys */
		snprintf(buf + o, len - o, " (shapes merged)");
		return;
	}
	snprintf(names, sizeof(names), "%s", k->dims);
	for (char *tok = strtok(names, ","); tok && i < 4 && o < len; tok = strtok(NULL, ","), i++)
		o += snprintf(buf + o, len - o, " %s=%lld", tok, (long long)k->rec.d[i]);
	snprintf(names, sizeof(names), "%s", k->flag_names);
	i = 0;
	for (char *tok = strtok(names, ","); tok && i < 4 && o < len; tok = strtok(NULL, ","), i++)
		if (k->rec.f[i] && k->rec.f[i] != '-')
			o += snprintf(buf + o, len - o, " %s=%c", tok, k->rec.f[i]);
}

static char *merge(char *have, const char *v)
{
	if (have == NULL)
		return NULL;
	if (v == NULL)
		v = "";
	if (strcmp(have, v)) {
		free(have);
		return strdup("*");
	}
	return have;
}

/*
 * The rows being made, found by their group through a hash (a trace of
 * millions of keys grouped --by key makes millions of rows), and the
 * layer paths of the trace being grouped, each made once.
 */
struct grouping {
	struct opc_profile *p;
	size_t cap;
	struct opc_hashtab index;	/* (group, nested) -> row + 1 */
	char **paths;			/* by layer id - 1 */
	size_t npaths;
};

struct row_key {
	const struct opc_row *rows;
	const char *group;
	int nested;
};

static int row_is(const void *arg, uint32_t id)
{
	const struct row_key *k = arg;
	const struct opc_row *r = &k->rows[id - 1];

	return r->nested == k->nested && !strcmp(r->group, k->group);
}

/* The row of group (nested or not): 0 if it was there, 1 if it is new,
 * or -ENOMEM. */
static int row_add(struct grouping *g, const char *group, int nested, struct opc_row **out)
{
	struct opc_profile *p = g->p;
	struct row_key k = { p->rows, group, nested };
	uint32_t h = opc_hash_str(OPC_HASH_SEED, group) ^ (uint32_t)nested;
	uint32_t id = opc_hashtab_find(&g->index, h, row_is, &k);

	if (id) {
		*out = &p->rows[id - 1];
		return 0;
	}
	if (p->nrows >= UINT32_MAX / 2)
		return -ENOMEM;
	if (p->nrows == g->cap) {
		size_t c = g->cap ? g->cap * 2 : 64;
		struct opc_row *r = realloc(p->rows, c * sizeof(*r));

		if (r == NULL)
			return -ENOMEM;
		p->rows = r;
		g->cap = c;
	}
	*out = &p->rows[p->nrows];
	memset(*out, 0, sizeof(**out));
	(*out)->group = strdup(group);
	(*out)->nested = nested;
	if ((*out)->group == NULL ||
	    opc_hashtab_insert(&g->index, h, (uint32_t)p->nrows + 1) < 0) {
		free((*out)->group);
		return -ENOMEM;
	}
	p->nrows++;
	return 1;
}

/* Layer id's path "outer/inner", made once per layer of the trace. */
static const char *layer_path(struct grouping *g, const struct opc_trace *t, uint32_t id)
{
	char buf[1024];

	if (id == 0 || id > t->nlayers)
		return "";
	if (g->paths == NULL) {
		g->paths = calloc(t->nlayers, sizeof(char *));
		if (g->paths == NULL)
			return "";
		g->npaths = t->nlayers;
	}
	if (g->paths[id - 1] == NULL) {
		opc_layer_path(t, id, buf, sizeof(buf));
		g->paths[id - 1] = strdup(buf);
	}
	return g->paths[id - 1] ? g->paths[id - 1] : "";
}

static void paths_free(struct grouping *g)
{
	for (size_t i = 0; i < g->npaths; i++)
		free(g->paths[i]);
	free(g->paths);
	g->paths = NULL;
	g->npaths = 0;
}

/* What a key is called in a row: its names, each as a report shows it. */
struct key_labels {
	const struct opc_tlayer *layer;	/* innermost region, NULL if none */
	const char *layer_name;		/* "" if none */
	const char *site;		/* symbolized call site */
	const char *type;		/* the layer's type, else the routine family */
	const char *path;		/* the layer path "outer/inner" */
	char shape[512];		/* "dgemm m=64 ...", --by key only */
	int want_shape;
	char device[16];		/* "cpu", "gpu0"... */
};

/* A key's labels; its shape only where rows show it (--by key): the
 * other groupings never print it, and it costs a dozen snprintf. */
static void key_labels(struct grouping *g, const struct opc_trace *t,
		       struct opc_symbolizer *sym, const struct opc_tkey *k, int want_shape,
		       struct key_labels *lb)
{
	const struct opc_tlayer *l = opc_trace_layer(t, k->rec.layer);

	lb->layer = l;
	lb->path = layer_path(g, t, k->rec.layer);
	lb->layer_name = l ? l->name : "";
	lb->shape[0] = 0;
	lb->want_shape = want_shape;
	if (want_shape)
		opc_key_shape(k, lb->shape, sizeof(lb->shape));
	if (k->rec.flags & OPC_TKEY_OVERFLOW)
		lb->site = "(key table full)";
	else
		lb->site = sym ? opc_sym_addr(sym, k->rec.site, 1) : "?";
	lb->type = l && l->type[0] ? l->type : k->family;
	if (k->rec.flags & OPC_TKEY_GPU)
		snprintf(lb->device, sizeof(lb->device), "gpu%u", k->rec.device);
	else
		memcpy(lb->device, "cpu", 4);
}

/* The value keys of one row share under `by`. */
static void group_value(enum opc_group by, const struct opc_tkey *k,
			const struct key_labels *lb, char *group, size_t len)
{
	switch (by) {
	case OPC_BY_DEVICE:
		snprintf(group, len, "%s", lb->device);
		break;
	case OPC_BY_SITE:
		snprintf(group, len, "%s\t%s", lb->site, k->op);
		break;
	case OPC_BY_LAYER:
		snprintf(group, len, "%s", lb->layer ? lb->layer_name : "(no layer)");
		break;
	case OPC_BY_PATH:
		snprintf(group, len, "%s", lb->layer ? lb->path : "(no layer)");
		break;
	case OPC_BY_OP:
		snprintf(group, len, "%s", k->op);
		break;
	case OPC_BY_TYPE:
		snprintf(group, len, "%s", lb->type);
		break;
	case OPC_BY_KEY:
		snprintf(group, len, "%s\t%s\t%s\t%s", lb->site, lb->shape, lb->path,
			 opc_iface_name(k->rec.iface));
		break;
	}
}

/* A new row takes the labels of its first key, and with want_stacks its
 * symbolized stack. */
static void row_label(struct opc_row *r, const struct opc_tkey *k, const struct key_labels *lb,
		      const struct opc_tstack *st, struct opc_symbolizer *sym, int want_stacks)
{
	r->op = strdup(k->op);
	r->type = strdup(lb->type);
	r->layer = lb->layer ? strdup(lb->layer_name) : NULL;
	r->layer_path = lb->layer ? strdup(lb->path) : NULL;
	r->site = strdup(lb->site);
	r->iface = strdup(opc_iface_name(k->rec.iface));
	r->shape = lb->want_shape ? strdup(lb->shape) : NULL;	/* --by key only */
	r->device = strdup(lb->device);
	if (want_stacks && st && sym) {
		r->stack = calloc(st->depth, sizeof(char *));
		for (uint32_t f = 0; r->stack && f < st->depth; f++)
			r->stack[r->nstack++] = strdup(opc_sym_addr(sym, st->frames[f], 1));
	}
}

/* A label the row's keys do not share becomes "*". */
static void row_merge_labels(struct opc_row *r, const struct opc_tkey *k,
			     const struct key_labels *lb)
{
	r->op = merge(r->op, k->op);
	r->type = merge(r->type, lb->type);
	if (r->layer && lb->layer) {
		r->layer = merge(r->layer, lb->layer_name);
		r->layer_path = merge(r->layer_path, lb->path);
	} else if (r->layer || lb->layer) {
		free(r->layer);
		free(r->layer_path);
		r->layer = strdup("*");
		r->layer_path = strdup("*");
	}
	r->site = merge(r->site, lb->site);
	r->iface = merge(r->iface, opc_iface_name(k->rec.iface));
	r->shape = merge(r->shape, lb->shape);
	r->device = merge(r->device, lb->device);
}

/* Adds key k's counts and marks to its row, and to the profile's totals
 * unless it was nested in another counted call. */
static void row_count(struct opc_profile *p, struct opc_row *r, const struct opc_tkey *k)
{
	int gpu = !!(k->rec.flags & OPC_TKEY_GPU);

	r->calls += k->calls;
	r->energy_j += k->energy_j;
	r->energy_lo_j += k->energy_lo_j;
	r->energy_hi_j += k->energy_hi_j;
	r->flops += k->flops;
	r->bytes += k->bytes;
	r->busy_s += k->busy_s;
	if (gpu) {
		r->gpu_s += k->busy_s;
		p->gpu = 1;
		p->gpu_untimed |= k->timed == 0 && k->calls > 0 &&
				  !(k->rec.flags & OPC_TKEY_CAPTURED);
	}
	r->captured |= !!(k->rec.flags & OPC_TKEY_CAPTURED);
	p->captured |= r->captured;
	r->nkeys++;
	r->estimated |= !!(k->rec.flags & OPC_TKEY_ESTIMATED);
	r->unknown |= !!(k->rec.flags & OPC_TKEY_UNKNOWN);
	r->overflow |= !!(k->rec.flags & OPC_TKEY_OVERFLOW);
	p->overflow |= r->overflow;
	r->rejected = !!(k->rec.flags & OPC_TKEY_REJECTED);	/* alike in a row */
	p->rejected |= r->rejected;
	if (k->timed < k->calls && !gpu)
		p->sampled = 1;
	if (k->rec.flags & OPC_TKEY_NESTED)
		return;
	p->calls += k->calls;
	p->flops += k->flops;
	p->bytes += k->bytes;
	p->busy_s += k->busy_s;
	if (gpu)
		p->gpu_s += k->busy_s;
	p->estimated |= !!(k->rec.flags & OPC_TKEY_ESTIMATED);
	p->unknown |= !!(k->rec.flags & OPC_TKEY_UNKNOWN);
}

/* Every key of trace t with calls, into the row of its group. */
static int group_trace(struct grouping *g, struct opc_trace *t, enum opc_group by,
		       int want_stacks)
{
	struct opc_profile *p = g->p;
	struct opc_symbolizer *sym = opc_sym_new(t);

	for (size_t ki = 0; ki < t->nkeys; ki++) {
		const struct opc_tkey *k = &t->keys[ki];
		struct key_labels lb;
		char group[2048 + sizeof("\t(rejected)")];
		struct opc_row *r;
		int is_new;

		if (k->calls == 0)
			continue;
		key_labels(g, t, sym, k, by == OPC_BY_KEY, &lb);
		group_value(by, k, &lb, group, sizeof(group));
		/* refused calls never share a row with calls that did work */
		if (k->rec.flags & OPC_TKEY_REJECTED)
			snprintf(group + strlen(group), sizeof(group) - strlen(group), "\t(rejected)");
		is_new = row_add(g, group, !!(k->rec.flags & OPC_TKEY_NESTED), &r);
		if (is_new < 0) {
			opc_sym_free(sym);
			paths_free(g);
			return -1;
		}
		if (is_new)
			row_label(r, k, &lb, opc_trace_stack(t, k->rec.stack), sym, want_stacks);
		else
			row_merge_labels(r, k, &lb);
		row_count(p, r, k);
	}
	opc_sym_free(sym);
	paths_free(g);
	return 0;
}

/* The energy no intercepted call used: a row of its own. */
static int row_outside(struct grouping *g)
{
	struct opc_profile *p = g->p;
	struct opc_row *r;

	if (row_add(g, "(outside intercepted calls)", 0, &r) < 0)
		return -1;
	r->op = strdup("-");
	r->type = strdup("outside");
	r->layer = NULL;
	r->site = strdup("(outside intercepted calls)");
	r->iface = strdup("-");
	r->shape = strdup("(outside intercepted calls)");
	r->device = strdup("-");
	r->outside = 1;
	r->energy_j = p->outside_j;
	r->energy_lo_j = p->outside_lo_j;
	r->energy_hi_j = p->outside_hi_j;
	return 0;
}

int opc_profile_group(struct opc_profile *p, enum opc_group by, int want_stacks)
{
	struct grouping g = { .p = p };
	int ret = 0;

	for (size_t ti = 0; ti < p->ntraces && ret == 0; ti++)
		ret = group_trace(&g, &p->traces[ti], by, want_stacks);
	if (ret == 0 && p->have_energy)
		ret = row_outside(&g);
	opc_hashtab_free(&g.index);
	return ret < 0 ? -1 : 0;
}

void opc_profile_free(struct opc_profile *p)
{
	for (size_t i = 0; i < p->nrows; i++) {
		struct opc_row *r = &p->rows[i];

		free(r->op);
		free(r->type);
		free(r->layer);
		free(r->layer_path);
		free(r->site);
		free(r->iface);
		free(r->device);
		free(r->shape);
		free(r->group);
		for (size_t f = 0; f < r->nstack; f++)
			free(r->stack[f]);
		free(r->stack);
	}
	free(p->rows);
	for (size_t i = 0; i < p->ntraces; i++)
		opc_trace_free(&p->traces[i]);
	free(p->traces);
	memset(p, 0, sizeof(*p));
}
