/*
 * profile.c - join the keys of one or more traces into report rows.
 *
 * Rows are keyed by strings (symbolized site, layer path, op, type), so
 * keys of several traces (a parent and its children, or repeated runs)
 * merge naturally.
 */
#include <errno.h>
#include <math.h>
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

static const char *group_names[] = { "site", "layer", "op", "type", "key", "path", "device",
				     "rank", "node" };

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

/* What a trace's attribution adds to the profile (but its total, outside
 * and static energy, which are its node's where the node was joint). */
static void add_trace(struct opc_profile *p, size_t i, const struct opc_attribution *a)
{
	struct opc_trace *t = &p->traces[i];

	if (!p->have_energy) {
		snprintf(p->source, sizeof(p->source), "%s", t->energy.source);
		p->note = t->energy.note;
	} else if (strcmp(p->source, t->energy.source)) {
		pr_warn("traces use different energy sources (%s, %s): totals mix them",
			opc_tty(p->source), opc_tty(t->energy.source));
	}
	p->have_energy = 1;
	p->measured &= t->energy.measured;
	p->layers_j += a->layers_j;
	p->closure_intervals += a->closure_intervals;
	if (fabs(a->closure_worst_j) >= fabs(p->closure_worst_j)) {
		p->closure_worst_j = a->closure_worst_j;
		p->closure_worst_rel = a->closure_worst_rel;
	}
	if (a->duration_s > p->energy_s)
		p->energy_s = a->duration_s;
	p->sums[i].energy_j = a->total_j - a->outside_j;
}

/* The trace's idle power (INFO idle_w, record --idle-baseline): 1 and *w,
 * or 0 (none, or not a number: said once). */
static int idle_power(const struct opc_trace *t, double *w)
{
	const char *idle = opc_trace_info(t, "idle_w");

	if (idle && opc_parse_double(idle, 0, 1e9, w) < 0) {
		pr_warn("%s: idle power '%s' is not a number of watts: no static energy",
			opc_tty(t->path), opc_tty(idle));
		return 0;
	}
	return idle != NULL;
}

/* Whether trace i's energy is attributed with its node's other traces:
 * a hardware counter of the whole machine, on a known node. */
static int joint_energy(const struct opc_profile *p, size_t i)
{
	const struct opc_trace *t = &p->traces[i];

	return t->energy.measured && t->energy.nsamples > 1 && p->job.tr[i].node >= 0;
}

/*
 * Attribute the traces' energy to their keys.  RAPL, perf and NVML read
 * the whole machine: traces of one node (host name + boot id) are
 * attributed together (opc_attribute_node), so that processes running at
 * the same time share its energy by busy time and the node's joules are
 * counted once.  Traces of no known node (older traces, without a boot
 * id) are attributed one by one: if such traces overlap in time their
 * totals do not add up, and we say so rather than sum silently.
 */
static int energy_load(struct opc_profile *p)
{
	struct opc_trace **ts = calloc(p->ntraces ? p->ntraces : 1, sizeof(*ts));
	struct opc_attribution *per = calloc(p->ntraces ? p->ntraces : 1, sizeof(*per));
	size_t *idx = calloc(p->ntraces ? p->ntraces : 1, sizeof(*idx));
	int ret = -1;

	snprintf(p->source, sizeof(p->source), "none");
	p->measured = 1;
	p->idle_w = -1;
	if (!ts || !per || !idx)
		goto out;
	for (size_t k = 0; k < p->job.nnodes; k++) {
		struct opc_node_sum *ns = &p->nodes[k];
		struct opc_node_energy ne;
		size_t n = 0;
		double w;

		for (size_t i = 0; i < p->ntraces; i++)
			if (p->job.tr[i].node == (int)k && joint_energy(p, i)) {
				idx[n] = i;
				ts[n++] = &p->traces[i];
			}
		if (n == 0)
			continue;
		if (n == 1) {	/* alone: the same, at half the cost */
			if (opc_attribute_energy(ts[0], &per[0]) < 0)
				goto out;
			ne.total_j = per[0].total_j;
			ne.outside_j = per[0].outside_j;
			ne.outside_lo_j = per[0].outside_lo_j;
			ne.outside_hi_j = per[0].outside_hi_j;
			ne.covered_s = per[0].duration_s;
			ne.gpu_j = per[0].gpu_j;
			ne.ngpu = (size_t)per[0].ngpu;
		} else if (opc_attribute_node(ts, n, per, &ne) < 0) {
			goto out;
		}
		for (size_t m = 0; m < n; m++)
			add_trace(p, idx[m], &per[m]);
		ns->have_energy = 1;
		ns->once = 1;
		ns->joint = n > 1;
		ns->ntraces = n;
		ns->energy_j = ne.total_j;
		ns->outside_j = ne.outside_j;
		ns->covered_s = ne.covered_s;
		ns->gpu_j = ne.gpu_j;
		ns->ngpu = ne.ngpu;
		p->energy_j += ne.total_j;
		p->outside_j += ne.outside_j;
		p->outside_lo_j += ne.outside_lo_j;
		p->outside_hi_j += ne.outside_hi_j;
		if (ne.covered_s > p->energy_s)
			p->energy_s = ne.covered_s;
		/* static energy: what the idle node would have used, over
		 * the time its traces cover, once */
		if (idle_power(ts[0], &w)) {
			p->idle_w = w;
			p->static_j += w * ne.covered_s;
		}
	}
	for (size_t i = 0; i < p->ntraces; i++) {
		struct opc_trace *t = &p->traces[i];
		struct opc_attribution a;
		double w;

		if (joint_energy(p, i))
			continue;
		if (opc_attribute_energy(t, &a) < 0)
			goto out;
		if (!a.have_energy)
			continue;
		add_trace(p, i, &a);
		if (p->job.tr[i].node >= 0) {	/* an estimate: per process, additive */
			struct opc_node_sum *ns = &p->nodes[p->job.tr[i].node];

			ns->have_energy = 1;
			ns->ntraces++;
			ns->energy_j += a.total_j;
			ns->outside_j += a.outside_j;
			ns->gpu_j += a.gpu_j;
			if ((size_t)a.ngpu > ns->ngpu)
				ns->ngpu = (size_t)a.ngpu;
			if (a.duration_s > ns->covered_s)
				ns->covered_s = a.duration_s;
		}
		if (idle_power(t, &w)) {
			p->idle_w = w;
			p->static_j += w * a.duration_s;
		}
		p->energy_j += a.total_j;
		p->outside_j += a.outside_j;
		p->outside_lo_j += a.outside_lo_j;
		p->outside_hi_j += a.outside_hi_j;
		/* overlapping a trace of the same machine, or one that may be */
		for (size_t j = 0; j < p->ntraces && t->energy.measured; j++) {
			const struct opc_trace *u = &p->traces[j];
			uint64_t t0 = t->hdr.start_realtime_ns, t1 = t0 + t->end_ns;
			uint64_t u0 = u->hdr.start_realtime_ns, u1 = u0 + u->end_ns;
			int tn = p->job.tr[i].node, un = p->job.tr[j].node;

			if (j != i && u->energy.measured && u->energy.nsamples > 1 &&
			    t0 < u1 && u0 < t1 && (tn < 0 || un < 0 || tn == un))
				p->overlap = 1;
		}
	}
	if (!p->have_energy)
		p->measured = 0;
	if (p->overlap)
		pr_warn("traces overlap in time and their energy source reads the whole "
			"machine, but some have no node identity (boot id; older traces): "
			"per-trace energies are not additive");
	ret = 0;
out:
	free(ts);
	free(per);
	free(idx);
	return ret;
}

/* Each trace's own totals (keys that make the report's totals). */
static void trace_sums(struct opc_profile *p, size_t i)
{
	const struct opc_trace *t = &p->traces[i];
	struct opc_trace_sum *s = &p->sums[i];

	for (size_t k = 0; k < t->nkeys; k++) {
		const struct opc_tkey *key = &t->keys[k];

		if (key->flags & (OPC_TKEY_NESTED | OPC_TKEY_REGION))
			continue;
		s->calls += key->calls;
		s->flops += key->flops;
		s->busy_s += key->busy_s;
	}
}

int opc_profile_load(struct opc_profile *p, char **paths, int npaths)
{
	return opc_profile_load_flags(p, paths, npaths, 0);
}

int opc_profile_load_flags(struct opc_profile *p, char **paths, int npaths, unsigned flags)
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
	if (opc_ranks_load(&p->job, p->traces, p->ntraces, !!(flags & OPC_LOAD_ALLOW_MIXED)) < 0)
		return -1;
	p->sums = calloc(p->ntraces ? p->ntraces : 1, sizeof(*p->sums));
	p->nodes = calloc(p->job.nnodes ? p->job.nnodes : 1, sizeof(*p->nodes));
	if (p->sums == NULL || p->nodes == NULL) {
		pr_err("out of memory");
		return -1;
	}
	for (size_t i = 0; i < p->ntraces; i++)
		trace_sums(p, i);
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

/*
 * Text appended to a buffer of len bytes as snprintf would cut it: what
 * does not fit is dropped, the text stays terminated.  Shapes and groups
 * are made once per key of traces with millions of keys: these are what
 * snprintf's "%s" and "%lld" gave, without parsing a format each time.
 */
struct text {
	char *buf;
	size_t len, o;	/* o: where the text ends (< len) */
};

static void put(struct text *x, const char *s, size_t n)
{
	if (x->o + 1 >= x->len)
		return;
	if (n > x->len - 1 - x->o)
		n = x->len - 1 - x->o;
	memcpy(x->buf + x->o, s, n);
	x->o += n;
	x->buf[x->o] = 0;
}

static void puts_(struct text *x, const char *s)
{
	put(x, s, strlen(s));
}

static void put_ll(struct text *x, long long v)
{
	char d[24], *p = d + sizeof(d);
	unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	put(x, p, d + sizeof(d) - p);
}

/* The next of the names in "m,n,k" (empty ones skipped, as strtok does):
 * its length, *s moved past it; 0 at the end. */
static size_t next_name(const char **s, const char **name)
{
	const char *p = *s;
	size_t n;

	while (*p == ',')
		p++;
	n = strcspn(p, ",");
	*name = p;
	*s = p + n;
	return n;
}

size_t opc_key_shape(const struct opc_tkeydef *k, char *buf, size_t len)
{
	struct text x = { buf, len, 0 };
	char names[256];
	const char *p, *name;
	size_t n;
	int i;

	buf[0] = 0;
	puts_(&x, k->op);
	if (k->rec.flags & OPC_TKEY_OVERFLOW) {	/* the shapes of many keys */
		puts_(&x, " (shapes merged)");
		return x.o;
	}
	/* the names as a 256-byte buffer held them: longer lists cut */
	n = strnlen(k->dims, sizeof(names) - 1);
	memcpy(names, k->dims, n);
	names[n] = 0;
	for (p = names, i = 0; i < 4 && (n = next_name(&p, &name)); i++) {
		put(&x, " ", 1);
		put(&x, name, n);
		put(&x, "=", 1);
		put_ll(&x, (long long)k->rec.d[i]);
	}
	n = strnlen(k->flag_names, sizeof(names) - 1);
	memcpy(names, k->flag_names, n);
	names[n] = 0;
	for (p = names, i = 0; i < 4 && (n = next_name(&p, &name)); i++) {
		if (k->rec.f[i] && k->rec.f[i] != '-') {
			put(&x, " ", 1);
			put(&x, name, n);
			put(&x, "=", 1);
			put(&x, &k->rec.f[i], 1);
		}
	}
	return x.o;
}

/* ---- the strings rows are labelled with, each held once ---- */

struct str_key {
	char *const *strs;
	const char *s;
};

static int str_is(const void *arg, uint32_t id)
{
	const struct str_key *k = arg;

	return !strcmp(k->strs[id - 1], k->s);
}

/* The id of text s in the pool (1 and up); 0 for NULL, or out of memory
 * (*nomem set). */
static uint32_t str_intern(struct opc_profile *p, const char *s, int *nomem)
{
	struct str_key k = { p->strs, s };
	uint32_t h, id;

	if (s == NULL)
		return 0;
	h = opc_hash_str(OPC_HASH_SEED, s);
	id = opc_hashtab_find(&p->strs_index, h, str_is, &k);
	if (id)
		return id;
	if (p->nstrs >= UINT32_MAX / 2)
		goto nomem;
	if (p->nstrs == p->capstrs) {
		size_t c = p->capstrs ? 2 * p->capstrs : 64;
		char **q = realloc(p->strs, c * sizeof(*q));

		if (q == NULL)
			goto nomem;
		p->strs = q;
		p->capstrs = c;
	}
	p->strs[p->nstrs] = strdup(s);
	if (p->strs[p->nstrs] == NULL)
		goto nomem;
	if (p->nstrs >= p->caplens) {
		size_t c = p->capstrs;
		size_t *q = realloc(p->strlens, c * sizeof(*q));

		if (q == NULL) {
			free(p->strs[p->nstrs]);
			goto nomem;
		}
		p->strlens = q;
		p->caplens = c;
	}
	p->strlens[p->nstrs] = strlen(s);
	if (opc_hashtab_insert(&p->strs_index, h, (uint32_t)p->nstrs + 1) < 0) {
		free(p->strs[p->nstrs]);
		goto nomem;
	}
	return (uint32_t)++p->nstrs;
nomem:
	*nomem = 1;
	return 0;
}

static const char *str_of(const struct opc_profile *p, uint32_t id)
{
	return id ? p->strs[id - 1] : NULL;
}

/* A string of the pool as a part of a group: "" for none. */
struct part {
	const char *s;
	size_t n;
};

static struct part part_of(const struct opc_profile *p, uint32_t id)
{
	return id ? (struct part){ p->strs[id - 1], p->strlens[id - 1] } : (struct part){ "", 0 };
}

static struct part part_str(const char *s)
{
	return (struct part){ s, strlen(s) };
}

struct set_key {
	const struct opc_label_set *sets, *s;
};

static int set_is(const void *arg, uint32_t id)
{
	const struct set_key *k = arg;

	return !memcmp(&k->sets[id - 1], k->s, sizeof(*k->s));
}

/* The id of label set s (0 and up), or -1 when out of memory. */
static long set_intern(struct opc_profile *p, const struct opc_label_set *s)
{
	struct set_key k = { p->sets, s };
	uint32_t h = OPC_HASH_SEED, id;
	const uint32_t *w = (const uint32_t *)s;

	for (size_t i = 0; i < sizeof(*s) / sizeof(uint32_t); i++)
		h = (uint32_t)opc_hash_mix64(h ^ ((uint64_t)w[i] << 32 | i));
	id = opc_hashtab_find(&p->sets_index, h, set_is, &k);
	if (id)
		return id - 1;
	if (p->nsets >= UINT32_MAX / 2)
		return -1;
	if (p->nsets == p->capsets) {
		size_t c = p->capsets ? 2 * p->capsets : 64;
		struct opc_label_set *q = realloc(p->sets, c * sizeof(*q));

		if (q == NULL)
			return -1;
		p->sets = q;
		p->capsets = c;
	}
	p->sets[p->nsets] = *s;
	if (opc_hashtab_insert(&p->sets_index, h, (uint32_t)p->nsets + 1) < 0)
		return -1;
	return (long)p->nsets++;
}

/* A shape into the profile's shapes: 1 + its offset, or 0 when out of
 * memory. */
static uint64_t shape_add(struct opc_profile *p, const char *s)
{
	uint32_t len = (uint32_t)strlen(s);
	size_t n = sizeof(len) + len + 1;

	if (p->shapes_len + n > p->shapes_cap) {
		size_t c = p->shapes_cap ? 2 * p->shapes_cap : 1 << 16;
		char *q;

		while (c < p->shapes_len + n)
			c *= 2;
		q = realloc(p->shapes, c);
		if (q == NULL)
			return 0;
		p->shapes = q;
		p->shapes_cap = c;
	}
	/* its length first: groups are made of it millions of times */
	memcpy(p->shapes + p->shapes_len, &len, sizeof(len));
	memcpy(p->shapes + p->shapes_len + sizeof(len), s, len + 1);
	p->shapes_len += n;
	return p->shapes_len - n + sizeof(len) + 1;
}

/* ---- a row's labels ---- */

static const struct opc_label_set *set_of(const struct opc_profile *p, const struct opc_row *r)
{
	return &p->sets[r->labels];
}

static const char *label(const struct opc_profile *p, const struct opc_row *r, uint32_t mixed,
			 uint32_t id)
{
	return r->bits & mixed ? "*" : str_of(p, id);
}

const char *opc_row_op(const struct opc_profile *p, const struct opc_row *r)
{
	return label(p, r, OPC_ROW_MIXED_OP, set_of(p, r)->op);
}

const char *opc_row_type(const struct opc_profile *p, const struct opc_row *r)
{
	return label(p, r, OPC_ROW_MIXED_TYPE, set_of(p, r)->type);
}

const char *opc_row_layer(const struct opc_profile *p, const struct opc_row *r)
{
	return label(p, r, OPC_ROW_MIXED_LAYER, set_of(p, r)->layer);
}

const char *opc_row_layer_path(const struct opc_profile *p, const struct opc_row *r)
{
	return label(p, r, OPC_ROW_MIXED_PATH, set_of(p, r)->path);
}

const char *opc_row_site(const struct opc_profile *p, const struct opc_row *r)
{
	return label(p, r, OPC_ROW_MIXED_SITE, set_of(p, r)->site);
}

const char *opc_row_iface(const struct opc_profile *p, const struct opc_row *r)
{
	return label(p, r, OPC_ROW_MIXED_IFACE, set_of(p, r)->iface);
}

const char *opc_row_device(const struct opc_profile *p, const struct opc_row *r)
{
	return label(p, r, OPC_ROW_MIXED_DEVICE, set_of(p, r)->device);
}

const char *opc_row_rank(const struct opc_profile *p, const struct opc_row *r)
{
	return label(p, r, OPC_ROW_MIXED_RANK, set_of(p, r)->rank);
}

const char *opc_row_node(const struct opc_profile *p, const struct opc_row *r)
{
	return label(p, r, OPC_ROW_MIXED_NODE, set_of(p, r)->node);
}

/* The row's shape as a part of its group ("" for none). */
static struct part row_shape(const struct opc_profile *p, const struct opc_row *r)
{
	uint32_t len;

	if (r->shape == 0)
		return (struct part){ "", 0 };
	memcpy(&len, p->shapes + r->shape - 1 - sizeof(len), sizeof(len));
	return (struct part){ p->shapes + r->shape - 1, len };
}

const char *opc_row_shape(const struct opc_profile *p, const struct opc_row *r)
{
	if (r->bits & OPC_ROW_MIXED_SHAPE)
		return "*";
	return r->shape ? p->shapes + r->shape - 1 : NULL;
}

/*
 * The value keys of one row share under `by`, from the labels of the key
 * (set s, shape) that made the row: what the row is found by and sorted
 * by name on.  Cut to OPC_GROUP_MAX - 1 bytes, as the fixed buffer of
 * the first versions cut it: rows of long names stay as they were.
 */
#define TAB	((struct part){ "\t", 1 })

/* The parts the group is made of, in order: at most 7 for --by key, and
 * the two marks (a trace is anyone's file: a region key can carry both;
 * the fuzzer found one). */
#define GROUP_PARTS	9

static int group_parts(const struct opc_profile *p, const struct opc_label_set *s,
		       struct part shape, uint32_t marks, struct part *pt)
{
	int n = 0;

	switch (p->by) {
	case OPC_BY_DEVICE:
		pt[n++] = part_of(p, s->device);
		break;
	case OPC_BY_RANK:
		pt[n++] = s->rank ? part_of(p, s->rank) : part_str("(no rank)");
		break;
	case OPC_BY_NODE:
		pt[n++] = s->node ? part_of(p, s->node) : part_str("(unknown node)");
		break;
	case OPC_BY_SITE:
		pt[n++] = part_of(p, s->site);
		pt[n++] = TAB;
		pt[n++] = part_of(p, s->op);
		break;
	case OPC_BY_LAYER:
		pt[n++] = s->layer ? part_of(p, s->layer) : part_str("(no layer)");
		break;
	case OPC_BY_PATH:
		pt[n++] = s->layer ? part_of(p, s->path) : part_str("(no layer)");
		break;
	case OPC_BY_OP:
		pt[n++] = part_of(p, s->op);
		break;
	case OPC_BY_TYPE:
		pt[n++] = part_of(p, s->type);
		break;
	case OPC_BY_KEY:
		pt[n++] = part_of(p, s->site);
		pt[n++] = TAB;
		pt[n++] = shape;
		pt[n++] = TAB;
		pt[n++] = part_of(p, s->path);
		pt[n++] = TAB;
		pt[n++] = part_of(p, s->iface);
		break;
	}
	/* refused calls never share a row with calls that did work, nor a
	 * layer's own time (its region key) with its calls */
	if (marks & OPC_ROW_REJECTED)
		pt[n++] = part_str("\t(rejected)");
	if ((marks & OPC_ROW_REGION) && p->by != OPC_BY_OP)
		pt[n++] = part_str(" (other ops)");
	return n;
}

static void group_text(const struct opc_profile *p, const struct opc_label_set *s,
		       struct part shape, uint32_t marks, char *group)
{
	struct text x = { group, OPC_GROUP_MAX, 0 };
	struct part pt[GROUP_PARTS];
	int n = group_parts(p, s, shape, marks, pt);

	group[0] = 0;
	for (int i = 0; i < n; i++)
		put(&x, pt[i].s, pt[i].n);
}

static const char outside_group[] = "(outside intercepted calls)";

static int row_parts(const struct opc_profile *p, const struct opc_row *r, struct part *pt)
{
	/* the outside row is found by a name of its own (row_outside) */
	if (r->bits & OPC_ROW_OUTSIDE) {
		pt[0] = part_str(outside_group);
		return 1;
	}
	return group_parts(p, set_of(p, r), row_shape(p, r),
			   r->bits & (OPC_ROW_REJECTED | OPC_ROW_REGION), pt);
}

void opc_row_group(const struct opc_profile *p, const struct opc_row *r, char *buf)
{
	struct text x = { buf, OPC_GROUP_MAX, 0 };
	struct part pt[GROUP_PARTS];
	int n = row_parts(p, r, pt);

	buf[0] = 0;
	for (int i = 0; i < n; i++)
		put(&x, pt[i].s, pt[i].n);
}

/* strcmp of the two groups, walking their parts: rows sorted by group
 * mostly differ in their first bytes. */
int opc_row_group_cmp(const struct opc_profile *p, const struct opc_row *a,
		      const struct opc_row *b)
{
	struct part pa[GROUP_PARTS], pb[GROUP_PARTS];
	int na = row_parts(p, a, pa), nb = row_parts(p, b, pb), i = 0, j = 0;
	size_t oa = 0, ob = 0;

	/* the groups as made: cut to OPC_GROUP_MAX - 1 bytes */
	for (size_t at = 0; at < OPC_GROUP_MAX - 1; at++) {
		int ca, cb;

		while (i < na && oa == pa[i].n)
			i++, oa = 0;
		while (j < nb && ob == pb[j].n)
			j++, ob = 0;
		ca = i < na ? (unsigned char)pa[i].s[oa++] : 0;
		cb = j < nb ? (unsigned char)pb[j].s[ob++] : 0;
		if (ca != cb)
			return ca - cb;
		if (ca == 0)
			return 0;
	}
	return 0;
}

size_t opc_row_nstack(const struct opc_profile *p, const struct opc_row *r)
{
	return r->stack ? p->frames[r->stack - 1] : 0;
}

const char *opc_row_frame(const struct opc_profile *p, const struct opc_row *r, size_t i)
{
	return str_of(p, p->frames[r->stack + i]);
}

/* ---- grouping ---- */

/*
 * The rows being made, found by their group through a hash (a trace of
 * millions of keys grouped --by key makes millions of rows), and what
 * keys have in common, each made once: the labels of the keys of one
 * routine, site, layer and device (a label set), the layer paths.
 */
struct grouping {
	struct opc_profile *p;
	size_t cap;
	struct opc_hashtab index;	/* (group, nested) -> row + 1 */
	uint32_t *set_row;		/* (set, rejected, nested) -> row + 1, not --by key */
	size_t set_row_cap;
	char **paths;			/* by layer id - 1 */
	size_t npaths;
	/* the label set of a kind of key, of the trace being grouped */
	struct key_kind {
		uint64_t site;
		uint32_t layer, op, family, flags;
		uint8_t iface, device;
	} *kinds;
	uint32_t *kind_set;
	size_t nkinds, capkinds;
	struct opc_hashtab kinds_index;
	uint32_t *stack_at;		/* stack id -> 1 + its frames in p->frames */
	uint32_t rank, node;		/* of the trace being grouped: string ids */
	int nomem;
};

struct row_key {
	const struct opc_profile *p;
	const char *group;
	int nested;
};

static int row_is(const void *arg, uint32_t id)
{
	const struct row_key *k = arg;
	const struct opc_row *r = &k->p->rows[id - 1];
	char group[OPC_GROUP_MAX];

	if (!!(r->bits & OPC_ROW_NESTED) != k->nested)
		return 0;
	opc_row_group(k->p, r, group);
	return !strcmp(group, k->group);
}

/* The row of group (nested or not): 0 if it was there, 1 if it is new
 * (zeroed but for nested), or -ENOMEM. */
static int row_add(struct grouping *g, const char *group, int nested, struct opc_row **out)
{
	struct opc_profile *p = g->p;
	struct row_key k = { p, group, nested };
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
	(*out)->bits = nested ? OPC_ROW_NESTED : 0;
	if (opc_hashtab_insert(&g->index, h, (uint32_t)p->nrows + 1) < 0)
		return -ENOMEM;
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

static void kinds_free(struct grouping *g)
{
	for (size_t i = 0; i < g->npaths; i++)
		free(g->paths[i]);
	free(g->paths);
	g->paths = NULL;
	g->npaths = 0;
	free(g->kinds);
	free(g->kind_set);
	free(g->stack_at);
	g->stack_at = NULL;
	opc_hashtab_free(&g->kinds_index);
	g->kinds = NULL;
	g->kind_set = NULL;
	g->nkinds = g->capkinds = 0;
}

struct kind_key {
	const struct key_kind *kinds, *k;
};

static int kind_is(const void *arg, uint32_t id)
{
	const struct kind_key *k = arg;

	return !memcmp(&k->kinds[id - 1], k->k, sizeof(*k->k));
}

/*
 * The label set of key k: site, routine, layer path and type, interface
 * and device.  Keys of one kind (site, layer, routine, interface,
 * device) share it, so it is made once per kind: symbolizing, making
 * paths and interning names is not done per key.  -1 when out of memory.
 */
static long key_set(struct grouping *g, const struct opc_trace *t, struct opc_symbolizer *sym,
		    const struct opc_tkeydef *k)
{
	struct opc_profile *p = g->p;
	struct key_kind kind;
	struct kind_key kk = { g->kinds, &kind };
	uint32_t h, id;

	memset(&kind, 0, sizeof(kind));	/* compared with memcmp: padding too */
	kind.site = k->rec.site;
	kind.layer = k->rec.layer;
	kind.op = k->rec.op;
	kind.family = k->rec.family;
	kind.flags = k->rec.flags & (OPC_TKEY_OVERFLOW | OPC_TKEY_GPU | OPC_TKEY_REGION);
	kind.iface = k->rec.iface;
	kind.device = k->rec.flags & OPC_TKEY_GPU ? k->rec.device : 0;
	h = (uint32_t)opc_hash_mix64(kind.site ^ opc_hash_mix64(
		(uint64_t)kind.layer << 32 ^ kind.op ^ (uint64_t)kind.family << 16 ^
		(uint64_t)kind.flags << 40 ^ (uint64_t)kind.iface << 48 ^
		(uint64_t)kind.device << 56));
	id = opc_hashtab_find(&g->kinds_index, h, kind_is, &kk);
	if (id)
		return g->kind_set[id - 1];

	const struct opc_tlayer *l = opc_trace_layer(t, k->rec.layer);
	const char *path = layer_path(g, t, k->rec.layer);
	const char *site;
	char device[16];
	struct opc_label_set s;
	long set;
	int comm;

	if (k->rec.flags & OPC_TKEY_OVERFLOW)
		site = "(key table full)";
	else if (k->rec.flags & OPC_TKEY_REGION)
		site = "(layer region)";
	else
		site = sym ? opc_sym_addr(sym, k->rec.site, 1) : "?";
	if (k->rec.flags & OPC_TKEY_GPU)
		snprintf(device, sizeof(device), "gpu%u", k->rec.device);
	else
		memcpy(device, "cpu", 4);
	s.op = str_intern(p, k->rec.flags & OPC_TKEY_REGION ? "(other ops)" : k->op, &g->nomem);
	/* a layer's type names its calls, except communication, which is
	 * "comm" wherever it is made (its own coefficient in opcount fit) */
	comm = !strcmp(k->family, OPC_CLASS_COMM);
	p->comm |= comm;
	s.type = str_intern(p, l && l->type[0] && !comm ? l->type : k->family, &g->nomem);
	s.layer = l ? str_intern(p, l->name, &g->nomem) : 0;
	s.path = l ? str_intern(p, path, &g->nomem) : 0;
	s.site = str_intern(p, site, &g->nomem);
	s.iface = str_intern(p, opc_iface_name(k->rec.iface), &g->nomem);
	s.device = str_intern(p, device, &g->nomem);
	s.rank = g->rank;
	s.node = g->node;
	if (g->nomem || (set = set_intern(p, &s)) < 0)
		return -1;
	if (g->nkinds == g->capkinds) {
		size_t c = g->capkinds ? 2 * g->capkinds : 64;
		struct key_kind *q = realloc(g->kinds, c * sizeof(*q));
		uint32_t *qs = q ? realloc(g->kind_set, c * sizeof(*qs)) : NULL;

		if (q)
			g->kinds = q;
		if (qs == NULL)
			return -1;
		g->kind_set = qs;
		g->capkinds = c;
	}
	g->kinds[g->nkinds] = kind;
	g->kind_set[g->nkinds] = (uint32_t)set;
	if (opc_hashtab_insert(&g->kinds_index, h, (uint32_t)g->nkinds + 1) < 0)
		return -1;
	g->nkinds++;
	return set;
}

/* Merge the labels of a later key (set s, shape) into row r: a label the
 * row's keys do not share becomes "*". */
static void row_merge_labels(struct opc_profile *p, struct opc_row *r,
			     const struct opc_label_set *s, const char *shape)
{
	const struct opc_label_set *rs = set_of(p, r);
	uint32_t b = 0;

	b |= rs->op != s->op ? OPC_ROW_MIXED_OP : 0;
	b |= rs->type != s->type ? OPC_ROW_MIXED_TYPE : 0;
	if (rs->layer && s->layer) {
		b |= rs->layer != s->layer ? OPC_ROW_MIXED_LAYER : 0;
		b |= rs->path != s->path ? OPC_ROW_MIXED_PATH : 0;
	} else if (rs->layer || s->layer || (r->bits & OPC_ROW_MIXED_LAYER)) {
		/* a row with and without layers: both "*" (a row "*" already
		 * stays so, with or without this key's layer) */
		b |= rs->layer || s->layer ? OPC_ROW_MIXED_LAYER | OPC_ROW_MIXED_PATH : 0;
	}
	b |= rs->site != s->site ? OPC_ROW_MIXED_SITE : 0;
	b |= rs->iface != s->iface ? OPC_ROW_MIXED_IFACE : 0;
	b |= rs->device != s->device ? OPC_ROW_MIXED_DEVICE : 0;
	b |= rs->rank != s->rank ? OPC_ROW_MIXED_RANK : 0;
	b |= rs->node != s->node ? OPC_ROW_MIXED_NODE : 0;
	if (r->shape && shape && strcmp(p->shapes + r->shape - 1, shape))
		b |= OPC_ROW_MIXED_SHAPE;
	r->bits |= b;
}

/* Adds key k's counts and marks to its row, and to the profile's totals
 * unless it was nested in another counted call. */
static void row_count(struct opc_profile *p, struct opc_row *r, const struct opc_tkey *k)
{
	int gpu = !!(k->flags & OPC_TKEY_GPU);

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
				  !(k->flags & OPC_TKEY_CAPTURED);
	}
	if (k->flags & OPC_TKEY_CAPTURED)
		r->bits |= OPC_ROW_CAPTURED;
	p->captured |= !!(r->bits & OPC_ROW_CAPTURED);
	if (k->flags & OPC_TKEY_ESTIMATED)
		r->bits |= OPC_ROW_ESTIMATED;
	if (k->flags & OPC_TKEY_UNKNOWN)
		r->bits |= OPC_ROW_UNKNOWN;
	if (k->flags & OPC_TKEY_OVERFLOW)
		r->bits |= OPC_ROW_OVERFLOW;
	p->overflow |= !!(r->bits & OPC_ROW_OVERFLOW);
	/* alike in a row: its group says so */
	r->bits = (r->bits & ~(OPC_ROW_REJECTED | OPC_ROW_REGION)) |
		  (k->flags & OPC_TKEY_REJECTED ? OPC_ROW_REJECTED : 0) |
		  (k->flags & OPC_TKEY_REGION ? OPC_ROW_REGION : 0);
	p->rejected |= !!(r->bits & OPC_ROW_REJECTED);
	if (k->flags & OPC_TKEY_REGION) {
		/* not calls: the totals are the intercepted calls' */
		p->region = 1;
		return;
	}
	if (k->timed < k->calls && !gpu)
		p->sampled = 1;
	if (k->flags & OPC_TKEY_NESTED)
		return;
	p->calls += k->calls;
	p->flops += k->flops;
	p->bytes += k->bytes;
	p->busy_s += k->busy_s;
	if (gpu)
		p->gpu_s += k->busy_s;
	p->estimated |= !!(k->flags & OPC_TKEY_ESTIMATED);
	p->unknown |= !!(k->flags & OPC_TKEY_UNKNOWN);
}

/* The row of a key of set `set` outside --by key: one per (set, rejected,
 * nested), found without making its group text again. */
static int row_of_set(struct grouping *g, uint32_t set, int rejected, int region, int nested,
		      struct opc_row **out)
{
	struct opc_profile *p = g->p;
	size_t i = (size_t)set * 4 + rejected * 2 + nested;
	char group[OPC_GROUP_MAX];
	int ret;

	if (i >= g->set_row_cap) {
		size_t c = g->set_row_cap ? g->set_row_cap : 256;
		uint32_t *q;

		while (c <= i)
			c *= 2;
		q = realloc(g->set_row, c * sizeof(*q));
		if (q == NULL)
			return -ENOMEM;
		memset(q + g->set_row_cap, 0, (c - g->set_row_cap) * sizeof(*q));
		g->set_row = q;
		g->set_row_cap = c;
	}
	if (g->set_row[i]) {
		*out = &p->rows[g->set_row[i] - 1];
		return 0;
	}
	group_text(p, &p->sets[set], (struct part){ "", 0 },
		   (rejected ? OPC_ROW_REJECTED : 0) | (region ? OPC_ROW_REGION : 0), group);
	ret = row_add(g, group, nested, out);
	if (ret >= 0)
		g->set_row[i] = (uint32_t)(*out - p->rows) + 1;
	return ret;
}

/*
 * Stack `id` of trace t symbolized, its frames' names in the pool: 1 + where
 * they are in p->frames (the depth, then a string id per frame), made
 * once per stack of the trace; 0 if it has none, or -1 out of memory.
 * Names, not addresses: the trace's symbolizer (and the files it holds
 * open) goes when the trace is grouped.
 */
static long stack_frames(struct grouping *g, const struct opc_trace *t,
			 struct opc_symbolizer *sym, uint32_t id)
{
	struct opc_profile *p = g->p;
	const struct opc_tstack *st = opc_trace_stack(t, id);
	size_t at;

	if (st == NULL || sym == NULL)
		return 0;
	if (g->stack_at == NULL && (g->stack_at = calloc(t->nstacks + 1, sizeof(uint32_t))) == NULL)
		return -1;
	if (g->stack_at[id])
		return g->stack_at[id];
	if (p->nframes + 1 + st->depth > UINT32_MAX / 2)
		return -1;
	if (p->nframes + 1 + st->depth > p->capframes) {
		size_t c = p->capframes ? 2 * p->capframes : 1024;
		uint32_t *q;

		while (c < p->nframes + 1 + st->depth)
			c *= 2;
		q = realloc(p->frames, c * sizeof(*q));
		if (q == NULL)
			return -1;
		p->frames = q;
		p->capframes = c;
	}
	at = p->nframes;
	p->frames[at] = st->depth;
	for (uint32_t f = 0; f < st->depth; f++) {
		p->frames[at + 1 + f] = str_intern(p, opc_sym_addr(sym, st->frames[f], 1), &g->nomem);
		if (g->nomem)
			return -1;
	}
	p->nframes += 1 + st->depth;
	g->stack_at[id] = (uint32_t)at + 1;
	return g->stack_at[id];
}

/* Every key of trace ti with calls, into the row of its group. */
static int group_trace(struct grouping *g, size_t ti, int want_stacks)
{
	struct opc_profile *p = g->p;
	struct opc_trace *t = &p->traces[ti];
	struct opc_symbolizer *sym = opc_sym_new(t);
	struct opc_tkeys *it = opc_tkeys_open(t);
	const struct opc_tkeydef *k;
	const struct opc_rank_trace *jt = &p->job.tr[ti];
	char err[1024], rank[24];
	int ret = 0;

	snprintf(rank, sizeof(rank), "%ld", jt->rank);
	g->rank = jt->rank >= 0 ? str_intern(p, rank, &g->nomem) : 0;
	g->node = jt->node >= 0 ? str_intern(p, p->job.nodes[jt->node].label, &g->nomem) : 0;
	if (g->nomem)
		ret = -ENOMEM;
	for (size_t ki = 0; it && ret == 0 && (k = opc_tkeys_next(it)); ki++) {
		const struct opc_tkey *tk = &t->keys[ki];
		char shape[512], group[OPC_GROUP_MAX];
		int rejected = !!(k->rec.flags & OPC_TKEY_REJECTED);
		int region = !!(k->rec.flags & OPC_TKEY_REGION);
		int nested = !!(k->rec.flags & OPC_TKEY_NESTED);
		struct opc_row *r;
		long set;
		int is_new;

		if (tk->calls == 0)
			continue;
		set = key_set(g, t, sym, k);
		if (set < 0) {
			ret = -ENOMEM;
			break;
		}
		if (p->by == OPC_BY_KEY) {
			/* the other groupings never show the shape, which
			 * costs a dozen snprintf */
			struct part sh = { shape, opc_key_shape(k, shape, sizeof(shape)) };

			group_text(p, &p->sets[set], sh,
				   (rejected ? OPC_ROW_REJECTED : 0) | (region ? OPC_ROW_REGION : 0),
				   group);
			is_new = row_add(g, group, nested, &r);
		} else {
			is_new = row_of_set(g, (uint32_t)set, rejected, region, nested, &r);
		}
		if (is_new < 0) {
			ret = is_new;
			break;
		}
		if (is_new) {
			long frames = want_stacks ? stack_frames(g, t, sym, k->rec.stack) : 0;

			r->labels = (uint32_t)set;
			r->trace = (uint32_t)ti;
			r->stack = (uint32_t)frames;
			if (frames < 0 ||
			    (p->by == OPC_BY_KEY && (r->shape = shape_add(p, shape)) == 0)) {
				ret = -ENOMEM;
				break;
			}
		} else {
			row_merge_labels(p, r, &p->sets[set], p->by == OPC_BY_KEY ? shape : NULL);
		}
		row_count(p, r, tk);
		/* the keys are done with as they are counted: a trace of
		 * millions of keys grouped --by key holds its rows and its
		 * keys not both at once */
		if (ki % 65536 == 65535)
			opc_trace_drop_keys(t, ki + 1);
	}
	if (opc_tkeys_close(it, err, sizeof(err)) < 0 && ret == 0) {
		pr_err("%s", opc_tty(err));
		ret = -EIO;
	}
	opc_trace_close(t);
	kinds_free(g);
	opc_sym_free(sym);
	return ret;
}

/* The energy no intercepted call used: a row of its own. */
static int row_outside(struct grouping *g)
{
	struct opc_profile *p = g->p;
	struct opc_label_set s = { 0 };
	struct opc_row *r;
	int is_new = row_add(g, outside_group, 0, &r);
	long set;

	if (is_new < 0)
		return -1;
	/* A row of a name alike (a trace's routine so named) becomes the
	 * outside row, its counts kept and its layer path too. */
	if (!is_new) {
		s.path = set_of(p, r)->path;
		r->bits &= ~(OPC_ROW_MIXED_OP | OPC_ROW_MIXED_TYPE | OPC_ROW_MIXED_LAYER |
			     OPC_ROW_MIXED_SITE | OPC_ROW_MIXED_IFACE | OPC_ROW_MIXED_SHAPE |
			     OPC_ROW_MIXED_DEVICE | OPC_ROW_MIXED_RANK | OPC_ROW_MIXED_NODE);
	}
	s.op = str_intern(p, "-", &g->nomem);
	s.type = str_intern(p, "outside", &g->nomem);
	s.site = str_intern(p, outside_group, &g->nomem);
	s.iface = str_intern(p, "-", &g->nomem);
	s.device = str_intern(p, "-", &g->nomem);
	if (g->nomem || (set = set_intern(p, &s)) < 0 ||
	    (r->shape = shape_add(p, outside_group)) == 0)
		return -1;
	r->labels = (uint32_t)set;
	r->bits |= OPC_ROW_OUTSIDE;
	r->energy_j = p->outside_j;
	r->energy_lo_j = p->outside_lo_j;
	r->energy_hi_j = p->outside_hi_j;
	return 0;
}

int opc_profile_group(struct opc_profile *p, enum opc_group by, int want_stacks)
{
	struct grouping g = { .p = p };
	int ret = 0;

	p->by = by;
	for (size_t ti = 0; ti < p->ntraces && ret == 0; ti++)
		ret = group_trace(&g, ti, want_stacks);
	if (ret == 0 && p->have_energy)
		ret = row_outside(&g);
	opc_hashtab_free(&g.index);
	free(g.set_row);
	kinds_free(&g);
	return ret < 0 ? -1 : 0;
}

void opc_profile_free(struct opc_profile *p)
{
	for (size_t i = 0; i < p->nstrs; i++)
		free(p->strs[i]);
	free(p->strs);
	free(p->strlens);
	opc_hashtab_free(&p->strs_index);
	free(p->sets);
	opc_hashtab_free(&p->sets_index);
	free(p->shapes);
	free(p->frames);
	free(p->rows);
	for (size_t i = 0; i < p->ntraces; i++)
		opc_trace_free(&p->traces[i]);
	free(p->traces);
	free(p->sums);
	free(p->nodes);
	opc_ranks_free(&p->job);
	memset(p, 0, sizeof(*p));
}
