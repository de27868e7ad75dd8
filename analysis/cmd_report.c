/*
 * cmd_report.c - `opcount report`: where the work went.
 *
 *   opcount report [FILE...] [--by site|layer|op|type|key|stack]
 *                  [--format table|json|csv|folded|svg|perfetto] [--sort KEY] [--top N]
 *                  [--stacks] [--weight energy|flops|time] [-o FILE]
 *
 * The pictures (svg, perfetto, and --by stack) are drawn by flame.c and
 * perfetto.c; this file parses their options and hands them the profile.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "flame.h"
#include "hashtab.h"
#include "html.h"
#include "log.h"
#include "opcount_cli.h"
#include "perfetto.h"
#include "plot.h"
#include "profile.h"
#include "symbolize.h"
#include "unseen.h"
#include "util.h"

enum fmt { FMT_TABLE, FMT_JSON, FMT_CSV, FMT_FOLDED, FMT_SVG, FMT_PERFETTO, FMT_ROOFLINE,
	   FMT_HTML };

enum sort_key { SORT_FLOPS, SORT_CALLS, SORT_BYTES, SORT_BUSY, SORT_AI, SORT_NAME, SORT_ENERGY };

static enum sort_key sort_by = SORT_FLOPS;
static const struct opc_profile *sorting;	/* the rows' profile, for row_cmp */

static int nested(const struct opc_row *r) { return !!(r->bits & OPC_ROW_NESTED); }
static int estimated(const struct opc_row *r) { return !!(r->bits & OPC_ROW_ESTIMATED); }
static int unknown(const struct opc_row *r) { return !!(r->bits & OPC_ROW_UNKNOWN); }
static int rejected(const struct opc_row *r) { return !!(r->bits & OPC_ROW_REJECTED); }
static int overflow(const struct opc_row *r) { return !!(r->bits & OPC_ROW_OVERFLOW); }
static int outside(const struct opc_row *r) { return !!(r->bits & OPC_ROW_OUTSIDE); }

static double ai(const struct opc_row *r)
{
	return r->bytes ? (double)r->flops / r->bytes : 0;
}

/* What a row is sorted by, beside it: a sort of millions of rows then
 * reads the rows themselves only where two values tie. */
struct __attribute__((packed)) sort_ent {
	double v;
	uint32_t row;		/* index; the top bit: nested */
};

#define SORT_NESTED	0x80000000u

static double sort_value(const struct opc_row *r)
{
	switch (sort_by) {
	case SORT_FLOPS: return r->flops;
	case SORT_CALLS: return r->calls;
	case SORT_BYTES: return r->bytes;
	case SORT_BUSY: return r->busy_s;
	case SORT_AI: return ai(r);
	case SORT_NAME: return 0;
	case SORT_ENERGY: return r->energy_j;
	}
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct sort_ent *x = a, *y = b;

	/* nested rows after the rows that make the totals */
	if ((x->row ^ y->row) & SORT_NESTED)
		return x->row & SORT_NESTED ? 1 : -1;
	if (sort_by != SORT_NAME && x->v != y->v)
		return x->v < y->v ? 1 : -1;
	return opc_row_group_cmp(sorting, &sorting->rows[x->row & ~SORT_NESTED],
				 &sorting->rows[y->row & ~SORT_NESTED]);
}

/* The permutation sort_rows reads, as 32-bit indices in the memory of
 * the sorted entries (which are packed: accessed bytewise). */
static uint32_t at_get(const void *at, size_t i)
{
	uint32_t v;

	memcpy(&v, (const char *)at + 4 * i, sizeof(v));
	return v;
}

static void at_set(void *at, size_t i, uint32_t v)
{
	memcpy((char *)at + 4 * i, &v, sizeof(v));
}

/* row_cmp without the names: rows whose values tie compare equal */
static int value_cmp(const void *a, const void *b)
{
	const struct sort_ent *x = a, *y = b;

	if ((x->row ^ y->row) & SORT_NESTED)
		return x->row & SORT_NESTED ? 1 : -1;
	if (x->v != y->v)
		return x->v < y->v ? 1 : -1;
	return 0;
}

struct named {
	const char *group;
	uint32_t row;
};

static int named_cmp(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->group, ((const struct named *)b)->group);
}

#define TIES_NAMED	4096	/* ties sorted by their names made once, up to */

/* Where sort_ties makes the names: TIES_NAMED of them at most, packed. */
struct ties {
	struct named *nm;
	char *text;
};

/*
 * Rows whose values tie, e[0..n), in order of their names.  A few, as a
 * rule (rows of equal FLOPs): each name made once, then compared where it
 * lies, not made again from the rows' labels for every comparison.
 */
static void sort_ties(struct opc_profile *p, struct sort_ent *e, size_t n, struct ties *t)
{
	size_t at = 0;

	if (n > TIES_NAMED) {
		qsort(e, n, sizeof(*e), row_cmp);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *g = t->text + at;

		opc_row_group(p, &p->rows[e[i].row & ~SORT_NESTED], g);
		t->nm[i] = (struct named){ g, e[i].row };
		at += strlen(g) + 1;
	}
	qsort(t->nm, n, sizeof(*t->nm), named_cmp);
	for (size_t i = 0; i < n; i++)
		e[i].row = t->nm[i].row;
}

/* Sort the rows (by sort_by, then by name): 0, or -1 out of memory.  By
 * value first, the rows not read; then each run of rows whose values tie
 * by name: the order row_cmp gives, a total order. */
static int sort_rows(struct opc_profile *p)
{
	struct sort_ent *e;

	if (p->nrows < 2)
		return 0;
	e = malloc(p->nrows * sizeof(*e));
	if (e == NULL)
		return -1;
	for (size_t i = 0; i < p->nrows; i++)
		e[i] = (struct sort_ent){ sort_value(&p->rows[i]),
					  (uint32_t)i | (p->rows[i].bits & OPC_ROW_NESTED ?
							 SORT_NESTED : 0) };
	sorting = p;
	if (sort_by == SORT_NAME) {
		qsort(e, p->nrows, sizeof(*e), row_cmp);
	} else {
		/* pages of the names' room are touched as far as used */
		struct ties t = { malloc(TIES_NAMED * sizeof(*t.nm)),
				  malloc(TIES_NAMED * OPC_GROUP_MAX) };

		if (t.nm == NULL || t.text == NULL) {
			free(t.nm);
			free(t.text);
			free(e);
			return -1;
		}
		qsort(e, p->nrows, sizeof(*e), value_cmp);
		for (size_t i = 0, j; i < p->nrows; i = j) {
			for (j = i + 1; j < p->nrows && value_cmp(&e[i], &e[j]) == 0; j++)
				;
			if (j - i > 1)
				sort_ties(p, e + i, j - i, &t);
		}
		free(t.nm);
		free(t.text);
	}
	/* rows[i] is to be the row now at e[i].row: the permutation's
	 * cycles, each walked once (its indices overwrite entries read) */
	for (size_t i = 0; i < p->nrows; i++)
		at_set(e, i, e[i].row & ~SORT_NESTED);
	for (size_t i = 0; i < p->nrows; i++) {
		struct opc_row tmp;
		size_t j = i;

		if (at_get(e, i) == i)
			continue;
		tmp = p->rows[i];
		while (at_get(e, j) != i) {
			size_t k = at_get(e, j);

			p->rows[j] = p->rows[k];
			at_set(e, j, (uint32_t)j);
			j = k;
		}
		p->rows[j] = tmp;
		at_set(e, j, (uint32_t)j);
	}
	free(e);
	return 0;
}

static const char *first_column_raw(const struct opc_profile *p, const struct opc_row *r,
				    enum opc_group by)
{
	if (r->bits & OPC_ROW_OUTSIDE)
		return opc_row_site(p, r);
	switch (by) {
	case OPC_BY_SITE: return opc_row_site(p, r);
	case OPC_BY_LAYER: return opc_row_layer(p, r) ? opc_row_layer(p, r) : "(no layer)";
	case OPC_BY_PATH:
		return opc_row_layer_path(p, r) ? opc_row_layer_path(p, r) : "(no layer)";
	case OPC_BY_OP: return opc_row_op(p, r);
	case OPC_BY_TYPE: return opc_row_type(p, r);
	case OPC_BY_KEY: return opc_row_shape(p, r);
	case OPC_BY_DEVICE: return opc_row_device(p, r);
	case OPC_BY_RANK: return opc_row_rank(p, r) ? opc_row_rank(p, r) : "(no rank)";
	case OPC_BY_NODE: return opc_row_node(p, r) ? opc_row_node(p, r) : "(unknown node)";
	}
	return "?";
}

/*
 * What a table shows comes from the trace, which anyone may have written:
 * its text goes through opc_tty (control characters and bytes that are
 * not UTF-8 as \xNN), so that it cannot drive the terminal.
 */
static const char *first_column(const struct opc_profile *p, const struct opc_row *r,
				enum opc_group by)
{
	return opc_tty(first_column_raw(p, r, by));
}

/* The op column, or the type column of a table --by op. */
static const char *op_column(const struct opc_profile *p, const struct opc_row *r,
			     enum opc_group by)
{
	return opc_tty(by == OPC_BY_OP ? opc_row_type(p, r) : opc_row_op(p, r));
}

/*
 * Each module of the traces that opcount knows it does not see into
 * (unseen.c), once: f(path, why, arg) per distinct path.
 */
static void each_unseen(const struct opc_profile *p,
			void (*f)(const char *path, const char *why, void *arg), void *arg)
{
	const char **done = NULL;
	size_t ndone = 0;
	char why[256];

	for (size_t i = 0; i < p->ntraces; i++) {
		const struct opc_trace *t = &p->traces[i];

		for (size_t m = 0; m < t->nmodules; m++) {
			const char *path = t->modules[m].path;
			size_t j;

			if (path == NULL || !opc_unseen(path, why, sizeof(why)))
				continue;
			for (j = 0; j < ndone && strcmp(done[j], path); j++)
				;
			if (j < ndone)
				continue;
			const char **q = realloc(done, (ndone + 1) * sizeof(*q));

			if (q == NULL)
				break;
			done = q;
			done[ndone++] = path;
			f(path, why, arg);
		}
	}
	free(done);
}

static void print_unseen(const char *path, const char *why, void *arg)
{
	(void)arg;
	printf("#   not seen: %s (%s)\n", opc_tty(path), why);
}

static void json_unseen(const char *path, const char *why, void *arg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "path", opc_json_string(path));
	json_object_object_add(o, "why", opc_json_string(why));
	json_object_array_add(arg, o);
}

/* ---- distributed jobs: ranks and nodes ---- */

/* A rank of the job: what its traces (the rank's process and its
 * children) add up to. */
struct rank_sum {
	long rank;
	int node;		/* its first trace's */
	double busy_s, energy_j;
	uint64_t calls, flops;
	size_t ntraces;
};

/* The ranks present, ascending (job.ranks), and the slowest (largest busy
 * time) and max/mean busy time: *slowest -1 without ranks. */
static struct rank_sum *rank_sums(const struct opc_profile *p, long *slowest, double *imbalance)
{
	const struct opc_ranks *j = &p->job;
	struct rank_sum *rs = calloc(j->nranks ? j->nranks : 1, sizeof(*rs));
	double sum = 0, max = -1;

	*slowest = -1;
	*imbalance = NAN;
	if (rs == NULL)
		return NULL;
	for (size_t r = 0; r < j->nranks; r++) {
		rs[r].rank = j->ranks[r];
		rs[r].node = -1;
		for (size_t i = 0; i < p->ntraces; i++) {
			if (j->tr[i].rank != rs[r].rank)
				continue;
			if (rs[r].ntraces++ == 0)
				rs[r].node = j->tr[i].node;
			rs[r].busy_s += p->sums[i].busy_s;
			rs[r].energy_j += p->sums[i].energy_j;
			rs[r].calls += p->sums[i].calls;
			rs[r].flops += p->sums[i].flops;
		}
		sum += rs[r].busy_s;
		if (rs[r].busy_s > max) {
			max = rs[r].busy_s;
			*slowest = rs[r].rank;
		}
	}
	if (j->nranks && sum > 0)
		*imbalance = max / (sum / j->nranks);
	return rs;
}

/* "0-3,5" */
static void rank_list(char *buf, size_t len, const long *r, size_t n)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && o + 1 < len; i++) {
		size_t k = i;

		while (k + 1 < n && r[k + 1] == r[k] + 1)
			k++;
		if (k > i + 1)
			o += snprintf(buf + o, len - o, "%s%ld-%ld", i ? "," : "", r[i], r[k]);
		else
			o += snprintf(buf + o, len - o, "%s%ld", i ? "," : "", r[i]);
		if (k > i + 1)
			i = k;
	}
}


/* A job as the report names it: its id, or that its launcher gave none. */
static const char *job_name(const struct opc_ranks *j)
{
	return j->id && j->id[0] ? opc_tty(j->id) : "(no id)";
}
static void print_job_header(const struct opc_profile *p)
{
	const struct opc_ranks *j = &p->job;
	char ranks[512], world[24] = "?";

	if (j->nranks == 0 && !j->mixed)
		return;
	rank_list(ranks, sizeof(ranks), j->ranks, j->nranks);
	if (j->world_size > 0)
		snprintf(world, sizeof(world), "%ld", j->world_size);
	if (j->mixed)
		printf("# MIXED: traces of several jobs (--allow-mixed); ranks %s\n", ranks);
	else
		printf("# job %s (%s): world size %s, ranks %s present (%zu), %zu node%s:",
		       job_name(j), j->launcher ? opc_tty(j->launcher) : "?", world, ranks,
		       j->nranks, j->nnodes, j->nnodes == 1 ? "" : "s");
	if (!j->mixed) {
		for (size_t k = 0; k < j->nnodes; k++)
			printf("%s %s", k ? "," : "", opc_tty(j->nodes[k].label));
		putchar('\n');
	}
	if (j->nmissing) {
		rank_list(ranks, sizeof(ranks), j->missing, j->nmissing);
		printf("# INCOMPLETE: rank%s %s of %ld missing (no trace given)\n",
		       j->nmissing == 1 ? "" : "s", ranks, j->world_size);
	}
	for (size_t i = 0; i < j->ntruncated; i++) {
		const struct opc_trace *t = &p->traces[j->truncated[i]];

		printf("# INCOMPLETE: rank %ld's trace %s is truncated (no END record: the process "
		       "was killed, or is still running); reported as far as it goes\n",
		       j->tr[j->truncated[i]].rank, opc_tty(t->path));
	}
}

static void print_job_footer(const struct opc_profile *p)
{
	const struct opc_ranks *j = &p->job;
	long slowest;
	double imb;
	struct rank_sum *rs;

	if (j->nranks) {
		rs = rank_sums(p, &slowest, &imb);
		if (rs == NULL)
			return;
		for (size_t r = 0; r < j->nranks; r++)
			if (rs[r].rank == slowest)
				printf("# ranks: slowest rank %ld (busy %.6f s); imbalance %.3f "
				       "(max/mean busy time over %zu ranks)\n", slowest, rs[r].busy_s,
				       imb, j->nranks);
		free(rs);
	}
	int joint = 0;

	for (size_t k = 0; k < j->nnodes; k++)
		joint |= p->nodes[k].joint;
	for (size_t k = 0; k < j->nnodes && p->have_energy && (j->nranks || j->nnodes > 1 || joint);
	     k++) {
		const struct opc_node_sum *ns = &p->nodes[k];

		if (!ns->have_energy)
			continue;
		printf("# node %s: %.4f J over %.3f s, %zu trace%s%s; outside calls %.4f J",
		       opc_tty(j->nodes[k].label), ns->energy_j, ns->covered_s, ns->ntraces,
		       ns->ntraces == 1 ? "" : "s", ns->joint ? ", counted once, shared by busy time" :
		       "", ns->outside_j);
		if (ns->ngpu)	/* each GPU once, whichever ranks saw it */
			printf("; of it %zu GPU%s %.4f J", ns->ngpu, ns->ngpu == 1 ? "" : "s",
			       ns->gpu_j);
		printf("\n");
	}
}

static void print_table(const struct opc_profile *p, enum opc_group by, size_t top)
{
	char f[32], b[32], c[32], rate[32];
	size_t shown = 0;
	int width = 24, opw = 8;

	for (size_t i = 0; i < p->ntraces; i++) {
		const struct opc_trace *t = &p->traces[i];
		const char *exe = opc_trace_info(t, "cmdline");
		const char *blas = opc_trace_info(t, "blas");

		printf("# trace %s: pid %u, %s, %.3f s%s\n", opc_tty(t->path), t->hdr.pid,
		       exe ? opc_tty(exe) : "?", t->end_ns / 1e9,
		       t->ended ? "" : " (incomplete)");
		if (blas)
			printf("#   blas %s\n", opc_tty(blas));
	}
	print_job_header(p);
	each_unseen(p, print_unseen, NULL);
	for (size_t i = 0; i < p->nrows; i++) {
		const struct opc_row *r = &p->rows[i];
		int w = (int)strlen(first_column(p, r, by)) + (nested(r) ? 9 : 0) +
			(rejected(r) ? 11 : 0) + (overflow(r) ? 11 : 0);
		int o = (int)strlen(op_column(p, r, by));

		if (w > width)
			width = w;
		if (o > opw)	/* cudaLaunchCooperativeKernel */
			opw = o > 32 ? 32 : o;
	}
	if (width > 72)
		width = 72;
	printf("\n%-*s %-*s %10s %10s %10s %6s %11s %9s %7s", width, opc_group_name(by),
	       opw, by == OPC_BY_OP ? "type" : "op", "calls", "FLOPs", "bytes", "FLOP/B", "busy_s",
	       "GFLOP/s", "FLOPs%");
	if (p->have_energy)
		printf(" %11s %9s %6s %7s %8s", "energy_J", "+/-J", "E%", "avg_W", "GFLOP/J");
	putchar('\n');
	for (size_t i = 0; i < p->nrows && (top == 0 || shown < top); i++) {
		const struct opc_row *r = &p->rows[i];
		char name[512], mark[32];

		opc_si(f, sizeof(f), (double)r->flops);
		opc_si(b, sizeof(b), (double)r->bytes);
		opc_si(c, sizeof(c), (double)r->calls);
		if (r->busy_s > 0)
			snprintf(rate, sizeof(rate), "%.2f", r->flops / r->busy_s / 1e9);
		else
			snprintf(rate, sizeof(rate), "-");
		snprintf(name, sizeof(name), "%s%s%s", first_column(p, r, by),
			 nested(r) ? " (nested)" : "", estimated(r) ? " ~" : unknown(r) ? " ?" : "");
		snprintf(mark, sizeof(mark), "%s%s", rejected(r) ? " (rejected)" : "",
			 overflow(r) ? " (overflow)" : "");
		if (*mark) {	/* marks the column's width never cuts */
			size_t ml = strlen(mark);
			size_t at = strlen(name) < (size_t)width - ml ? strlen(name) : (size_t)width - ml;

			snprintf(name + at, sizeof(name) - at, "%s", mark);
		}
		printf("%-*.*s %-*.*s %10s %10s %10s %6.2f %11.6f %9s %6.1f%%", width, width, name,
		       opw, opw, op_column(p, r, by), c, f, b, ai(r), r->busy_s, rate,
		       p->flops ? 100.0 * r->flops / p->flops : 0.0);
		if (p->have_energy && nested(r)) {
			printf(" %11s", "(in outer)");
		} else if (p->have_energy) {
			double pm = r->energy_hi_j - r->energy_j > r->energy_j - r->energy_lo_j ?
				    r->energy_hi_j - r->energy_j : r->energy_j - r->energy_lo_j;

			printf(" %11.4f %9.4f %5.1f%%", r->energy_j, pm,
			       p->energy_j > 0 ? 100 * r->energy_j / p->energy_j : 0.0);
			if (r->busy_s > 0)
				printf(" %7.2f", r->energy_j / r->busy_s);
			else
				printf(" %7s", "-");
			if (r->energy_j > 0 && r->flops)
				printf(" %8.3f", r->flops / r->energy_j / 1e9);
			else
				printf(" %8s", "-");
		}
		putchar('\n');
		shown++;
	}
	if (shown < p->nrows)
		printf("%-*s (%zu more rows; --top 0 shows all)\n", width, "...", p->nrows - shown);
	opc_si(f, sizeof(f), (double)p->flops);
	opc_si(b, sizeof(b), (double)p->bytes);
	opc_si(c, sizeof(c), (double)p->calls);
	printf("%-*s %-*s %10s %10s %10s %6.2f %11.6f %9s %6.1f%%", width, "total", opw, "", c, f, b,
	       p->bytes ? (double)p->flops / p->bytes : 0, p->busy_s,
	       p->busy_s > 0 ? (snprintf(rate, sizeof(rate), "%.2f", p->flops / p->busy_s / 1e9),
				rate) : "-",
	       p->flops ? 100.0 : 0.0);
	if (p->have_energy)
		printf(" %11.4f %9s %5.1f%% %7.2f %8.3f", p->energy_j, "", 100.0,
		       p->energy_s > 0 ? p->energy_j / p->energy_s : 0,
		       p->energy_j > 0 ? p->flops / p->energy_j / 1e9 : 0);
	putchar('\n');
	printf("\n# exact totals: %llu calls, %llu FLOPs, %llu bytes\n",
	       (unsigned long long)p->calls, (unsigned long long)p->flops,
	       (unsigned long long)p->bytes);
	printf("# bytes: compulsory traffic (each operand read once, each result written once), "
	       "a lower-bound model, not a measurement\n");
	if (p->comm)
		printf("# comm bytes: sent + received by the rank under the algorithm models of "
		       "docs/counting.md (ring all-reduce: 2(p-1)/p n each way); FLOPs 0\n");
	if (p->unknown)
		printf("# ? FLOPs not known (kernel launches, cuDNN graph plans): counted as 0; "
		       "their calls and GPU time are exact\n");
	if (p->estimated)
		printf("# ~ FLOPs of data-dependent solvers are leading-order estimates\n");
	if (p->rejected)
		printf("# (rejected): calls the BLAS/LAPACK refused (illegal arguments, xerbla or "
		       "info < 0): counted as calls, with 0 FLOPs and 0 bytes\n");
	if (p->region)
		printf("# (other ops): a layer region's own time, outside intercepted calls "
		       "(activations, optimizer, framework): the wall time of the thread that "
		       "entered it, its calls there taken out; calls = entries; its work is not "
		       "seen (FLOPs ?) and not in the totals\n");
	if (p->overflow)
		printf("# (overflow): a thread passed OPCOUNT_MAX_KEYS distinct keys; its later keys "
		       "are merged per routine: calls and FLOPs exact, site, shape and layer lost\n");
	if (p->sampled)
		printf("# busy_s: short calls were timed one in 16 and scaled\n");
	if (p->gpu)
		printf("# GPU work (cuBLAS, cublasLt, cuDNN, CUDA runtime, NCCL): busy_s is time on the GPU "
		       "(CUDA events), %.6f s of the total; GPU energy goes to GPU work only\n",
		       p->gpu_s);
	if (p->gpu && p->have_energy && !strstr(p->source, "nvml"))
		printf("# GPU work gets no energy: this trace has no GPU energy source (NVML); "
		       "the %s energy is the host's\n", opc_tty(p->source));
	if (p->captured)
		printf("# some GPU calls were captured into a CUDA graph (\"captured\" in JSON): "
		       "counted once, at capture, untimed; the graph's launches are not seen\n");
	if (p->gpu_untimed)
		printf("# some GPU calls have no GPU time (no CUDA runtime found, the program "
		       "exited before the GPU finished, or NCCL calls in a group: the group's "
		       "time is its ncclGroupEnd row's)\n");
	if (!p->have_energy)
		printf("# energy: not measured (no energy source in this trace)\n");
	else if (p->measured)
		printf("# energy: %.4f J measured by %s, split among calls by busy time "
		       "(time-proportional); +/- from the power of neighbouring intervals and "
		       "the counter resolution\n", p->energy_j, opc_tty(p->source));
	else
		printf("# energy: %.4f J ESTIMATED, not measured (%s), split by busy time\n",
		       p->energy_j, opc_tty(p->note && p->note[0] ? p->note : p->source));
	if (p->have_energy && p->idle_w >= 0)
		printf("# idle baseline %.2f W: static %.4f J, dynamic %.4f J\n", p->idle_w,
		       p->static_j, p->energy_j - p->static_j);
	if (p->have_energy && p->closure_intervals)
		printf("# closure: calls %.4f J + layers' own time %.4f J + outside %.4f J = %.4f J "
		       "%s; worst residual of %zu intervals %.3g J (%.2g%%)\n",
		       p->energy_j - p->layers_j - p->outside_j, p->layers_j, p->outside_j,
		       p->energy_j, p->measured ? "measured" : "estimated", p->closure_intervals,
		       p->closure_worst_j, 100 * p->closure_worst_rel);
	print_job_footer(p);
}

/* (CSV: stdout's lock is not taken for each of the dozens of writes of
 * each of millions of rows; the report is single-threaded.) */

/* A CSV field, escaped like a table's text (opc_tty: no line breaks
 * either), quoted where it holds a comma or a quote. */
static void csv_field(const char *s)
{
	const char *c;

	if (s == NULL)
		return;
	/* printable ASCII that needs neither: as it is (most fields of
	 * reports of millions of rows) */
	for (c = s; *c >= 0x20 && *c < 0x7f && *c != '\\' && *c != ',' && *c != '"'; c++)
		;
	if (*c == 0) {
		fwrite_unlocked(s, 1, c - s, stdout);
		return;
	}
	s = opc_tty(s);
	if (strpbrk(s, ",\"")) {
		putchar_unlocked('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar_unlocked('"');
			putchar_unlocked(*s);
		}
		putchar_unlocked('"');
	} else {
		fputs_unlocked(s, stdout);
	}
}

/*
 * printf("%.9f", x), made exactly (the exact binary value rounded half to
 * even, as glibc does) without printf's general machinery, which was most
 * of the time a CSV of millions of rows took: the value is m * 2^e with m
 * an integer of 53 bits, and m * 10^9 * 2^e fits 128 bits below 1e17.
 */
static void put_fixed9(double x)
{
	double a = fabs(x);
	int ex, shift;
	unsigned __int128 n, q, r, half;
	uint64_t m, ip, fp;
	char d[48], *p = d + sizeof(d);

	if (!isfinite(x) || a >= 1e17) {
		printf("%.9f", x);
		return;
	}
	m = (uint64_t)ldexp(frexp(a, &ex), 53);
	shift = 53 - ex;
	n = (unsigned __int128)m * 1000000000u;
	if (shift <= 0) {
		q = n << -shift;
	} else if (shift >= 120) {	/* below 1e-19: 0 */
		q = 0;
	} else {
		q = n >> shift;
		r = n & (((unsigned __int128)1 << shift) - 1);
		half = (unsigned __int128)1 << (shift - 1);
		if (r > half || (r == half && (q & 1)))
			q++;
	}
	ip = (uint64_t)(q / 1000000000u);
	fp = (uint64_t)(q % 1000000000u);
	for (int i = 0; i < 9; i++, fp /= 10)
		*--p = (char)('0' + fp % 10);
	*--p = '.';
	do
		*--p = (char)('0' + ip % 10);
	while (ip /= 10);
	if (signbit(x))
		*--p = '-';
	fwrite_unlocked(p, 1, d + sizeof(d) - p, stdout);
}

/* printf("%llu", v) */
static void put_u64(uint64_t v)
{
	char d[24], *p = d + sizeof(d);

	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	fwrite_unlocked(p, 1, d + sizeof(d) - p, stdout);
}

static void print_csv(const struct opc_profile *p, size_t top)
{
	/* new columns go at the end: scripts that read by position keep working */
	printf("op,type,layer,site,iface,calls,flops,bytes,busy_s,energy_j,nested,estimated,"
	       "gpu_s,device,flops_unknown,rejected,rank,node\n");
	for (size_t i = 0; i < p->nrows && (top == 0 || i < top); i++) {
		const struct opc_row *r = &p->rows[i];

		csv_field(opc_row_op(p, r));
		putchar_unlocked(',');
		csv_field(opc_row_type(p, r));
		putchar_unlocked(',');
		csv_field(opc_row_layer(p, r));
		putchar_unlocked(',');
		csv_field(opc_row_site(p, r));
		putchar_unlocked(',');
		csv_field(opc_row_iface(p, r));
		putchar_unlocked(',');
		put_u64(r->calls);
		putchar_unlocked(',');
		put_u64(r->flops);
		putchar_unlocked(',');
		put_u64(r->bytes);
		putchar_unlocked(',');
		put_fixed9(r->busy_s);
		putchar_unlocked(',');
		if (p->have_energy && !nested(r))
			put_fixed9(r->energy_j);
		fputs_unlocked(nested(r) ? ",1," : ",0,", stdout);
		fputs_unlocked(estimated(r) ? "1," : "0,", stdout);
		put_fixed9(r->gpu_s);
		putchar_unlocked(',');
		csv_field(outside(r) ? NULL : opc_row_device(p, r));
		fputs_unlocked(unknown(r) ? ",1," : ",0,", stdout);
		fputs_unlocked(rejected(r) ? "1," : "0,", stdout);
		/* as in JSON: a number, "*" for keys of several ranks, empty
		 * for a trace of no rank */
		csv_field(opc_row_rank(p, r));
		putchar_unlocked(',');
		csv_field(opc_row_node(p, r));
		putchar_unlocked('\n');
	}
}

/* Text from a trace: valid UTF-8 whatever the trace holds (opc_json_string). */
static json_object *jstr(const char *s)
{
	return opc_json_string(s);
}

/* JSON has no inf nor NaN: null for what a hostile trace could make so. */
static json_object *jnum(double v)
{
	return opc_json_double(v);
}

/* A row's rank: its number, "*" where its keys are of several ranks, null
 * where of none. */
static json_object *rank_json(const char *s)
{
	long v;

	if (s == NULL)
		return NULL;
	if (opc_parse_long(s, 0, LONG_MAX, &v) == 0)
		return json_object_new_int64(v);
	return jstr(s);
}

static json_object *rank_array(const long *r, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_int64(r[i]));
	return a;
}

/*
 * The job: its id, launcher and world size, the ranks present and each
 * one's totals, the nodes and each one's energy, the slowest rank and the
 * imbalance (max/mean busy time), and what is missing.  At the root:
 * "incomplete" (ranks missing or truncated), "missing_ranks",
 * "truncated_ranks".
 */
static void job_json(const struct opc_profile *p, json_object *root)
{
	const struct opc_ranks *j = &p->job;
	json_object *job = json_object_new_object();
	json_object *ranks = json_object_new_array();
	json_object *nodes = json_object_new_array();
	json_object *trunc = json_object_new_array();
	long slowest;
	double imb;
	struct rank_sum *rs = rank_sums(p, &slowest, &imb);

	json_object_object_add(job, "id", jstr(j->id));
	json_object_object_add(job, "launcher", jstr(j->launcher));
	json_object_object_add(job, "mixed", json_object_new_boolean(j->mixed));
	json_object_object_add(job, "world_size",
			       j->world_size >= 0 ? json_object_new_int64(j->world_size) : NULL);
	json_object_object_add(job, "ranks_present", rank_array(j->ranks, j->nranks));
	for (size_t r = 0; rs && r < j->nranks; r++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "rank", json_object_new_int64(rs[r].rank));
		json_object_object_add(o, "node", rs[r].node >= 0 ?
				       jstr(j->nodes[rs[r].node].label) : NULL);
		json_object_object_add(o, "traces", json_object_new_int64((int64_t)rs[r].ntraces));
		json_object_object_add(o, "calls", json_object_new_uint64(rs[r].calls));
		json_object_object_add(o, "flops", json_object_new_uint64(rs[r].flops));
		json_object_object_add(o, "busy_s", jnum(rs[r].busy_s));
		json_object_object_add(o, "energy_j", p->have_energy ? jnum(rs[r].energy_j) : NULL);
		json_object_array_add(ranks, o);
	}
	json_object_object_add(job, "ranks", ranks);
	json_object_object_add(job, "slowest_rank",
			       slowest >= 0 ? json_object_new_int64(slowest) : NULL);
	json_object_object_add(job, "imbalance", isnan(imb) ? NULL : jnum(imb));
	for (size_t k = 0; k < j->nnodes; k++) {
		const struct opc_node_sum *ns = &p->nodes[k];
		json_object *o = json_object_new_object();
		json_object *nr = json_object_new_array();

		json_object_object_add(o, "node", jstr(j->nodes[k].label));
		json_object_object_add(o, "host", jstr(j->nodes[k].host));
		json_object_object_add(o, "boot_id", jstr(j->nodes[k].boot_id));
		for (size_t r = 0; rs && r < j->nranks; r++)
			if (rs[r].node == (int)k)
				json_object_array_add(nr, json_object_new_int64(rs[r].rank));
		json_object_object_add(o, "ranks", nr);
		json_object_object_add(o, "energy_j", ns->have_energy ? jnum(ns->energy_j) : NULL);
		json_object_object_add(o, "outside_j", ns->have_energy ? jnum(ns->outside_j) : NULL);
		json_object_object_add(o, "duration_s", ns->have_energy ? jnum(ns->covered_s) : NULL);
		json_object_object_add(o, "counted_once", json_object_new_boolean(ns->once));
		json_object_object_add(o, "gpus", json_object_new_int64((int64_t)ns->ngpu));
		json_object_object_add(o, "gpu_j", ns->have_energy && ns->ngpu ? jnum(ns->gpu_j) :
				       NULL);
		json_object_object_add(o, "traces", json_object_new_int64((int64_t)ns->ntraces));
		json_object_array_add(nodes, o);
	}
	json_object_object_add(job, "nodes", nodes);
	json_object_object_add(root, "job", job);
	json_object_object_add(root, "incomplete", json_object_new_boolean(opc_ranks_incomplete(j)));
	json_object_object_add(root, "missing_ranks", rank_array(j->missing, j->nmissing));
	for (size_t i = 0; i < j->ntruncated; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "rank", json_object_new_int64(j->tr[j->truncated[i]].rank));
		json_object_object_add(o, "path", jstr(p->traces[j->truncated[i]].path));
		json_object_array_add(trunc, o);
	}
	json_object_object_add(root, "truncated_ranks", trunc);
	free(rs);
}

/* One row of the JSON report. */
static json_object *row_json(struct opc_profile *p, const struct opc_row *r,
			     enum opc_group by)
{
	json_object *o = json_object_new_object();
	size_t nstack = opc_row_nstack(p, r);

	json_object_object_add(o, "op", jstr(opc_row_op(p, r)));
	json_object_object_add(o, "type", jstr(opc_row_type(p, r)));
	json_object_object_add(o, "layer", jstr(opc_row_layer(p, r)));
	json_object_object_add(o, "layer_path", jstr(opc_row_layer_path(p, r)));
	json_object_object_add(o, "site", jstr(opc_row_site(p, r)));
	json_object_object_add(o, "iface", outside(r) ? NULL : jstr(opc_row_iface(p, r)));
	if (by == OPC_BY_KEY)
		json_object_object_add(o, "shape", jstr(opc_row_shape(p, r)));
	json_object_object_add(o, "calls", json_object_new_uint64(r->calls));
	json_object_object_add(o, "flops", json_object_new_uint64(r->flops));
	json_object_object_add(o, "bytes", json_object_new_uint64(r->bytes));
	json_object_object_add(o, "busy_s", jnum(r->busy_s));
	json_object_object_add(o, "gpu_s", jnum(r->gpu_s));
	json_object_object_add(o, "device", outside(r) ? NULL : jstr(opc_row_device(p, r)));
	json_object_object_add(o, "rank", rank_json(opc_row_rank(p, r)));
	json_object_object_add(o, "node", jstr(opc_row_node(p, r)));
	if (r->bits & OPC_ROW_CAPTURED)
		json_object_object_add(o, "captured", json_object_new_boolean(1));
	if (p->have_energy && !nested(r)) {
		json_object *iv = json_object_new_array();

		json_object_object_add(o, "energy_j", jnum(r->energy_j));
		json_object_array_add(iv, jnum(r->energy_lo_j));
		json_object_array_add(iv, jnum(r->energy_hi_j));
		json_object_object_add(o, "energy_interval_j", iv);
		json_object_object_add(o, "energy_share", jnum(
			p->energy_j > 0 ? r->energy_j / p->energy_j : 0));
		json_object_object_add(o, "avg_power_w", r->busy_s > 0 ?
			jnum(r->energy_j / r->busy_s) : NULL);
		json_object_object_add(o, "flops_per_j", r->energy_j > 0 ?
			jnum(r->flops / r->energy_j) : NULL);
	} else {
		json_object_object_add(o, "energy_j", NULL);
	}
	json_object_object_add(o, "outside", json_object_new_boolean(outside(r)));
	json_object_object_add(o, "arithmetic_intensity", jnum(ai(r)));
	json_object_object_add(o, "nested", json_object_new_boolean(nested(r)));
	json_object_object_add(o, "estimated", json_object_new_boolean(estimated(r)));
	if (unknown(r))
		json_object_object_add(o, "flops_unknown", json_object_new_boolean(1));
	if (rejected(r))
		json_object_object_add(o, "rejected", json_object_new_boolean(1));
	if (r->bits & OPC_ROW_REGION)
		json_object_object_add(o, "other_ops", json_object_new_boolean(1));
	if (overflow(r))
		json_object_object_add(o, "overflow", json_object_new_boolean(1));
	if (nstack) {
		json_object *st = json_object_new_array();

		for (size_t f = 0; f < nstack; f++)
			json_object_array_add(st, jstr(opc_row_frame(p, r, f)));
		json_object_object_add(o, "stack", st);
	}
	return o;
}

#define JSON_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)

/* A growing buffer. */
struct textbuf {
	char *s;
	size_t len, cap;
};

/* text with each of its lines indented by four spaces, into b: 0, or -1
 * when out of memory. */
static int indent_lines(struct textbuf *b, const char *text)
{
	size_t need = strlen(text) + 4;

	for (const char *c = text; (c = strchr(c, '\n')); c++)
		need += 4;
	if (need > b->cap) {
		char *s = realloc(b->s, need);

		if (s == NULL)
			return -1;
		b->s = s;
		b->cap = need;
	}
	b->len = 0;
	for (;;) {
		const char *nl = strchr(text, '\n');
		size_t l = nl ? (size_t)(nl + 1 - text) : strlen(text);

		memcpy(b->s + b->len, "    ", 4);
		memcpy(b->s + b->len + 4, text, l);
		b->len += 4 + l;
		if (nl == NULL)
			return 0;
		text = nl + 1;
	}
}

/*
 * The document root, whose last member is an empty "rows", with the rows
 * written one at a time: a report --by key of millions of rows would
 * otherwise hold them all as JSON objects (gigabytes).  The text is what
 * printing the whole document at once gives: json-c writes an array
 * member of the root as "[\n", its elements each indented by four spaces
 * and separated by ",\n", then "\n  ]"; an element printed alone is
 * indented by four spaces more on each line (strings hold no raw line
 * breaks: JSON escapes them).
 */
/*
 * --by path: each path's inclusive time and energy, its own rows (calls and
 * its region's own time) and every path below it (P/...), found in the
 * rows sorted by path: [P, P] and [P "/", P "0") ('0' follows '/').
 */
struct path_at {
	const char *path;
	double s, j;
};

static int path_at_cmp(const void *a, const void *b)
{
	return strcmp(((const struct path_at *)a)->path, ((const struct path_at *)b)->path);
}

/* The first of v (sorted) not below key. */
static size_t path_lower(const struct path_at *v, size_t n, const char *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(v[mid].path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* incl_s[i], incl_j[i] for row i (NaN where it has no path); 0 or -1. */
static int path_inclusive(const struct opc_profile *p, double *incl_s, double *incl_j)
{
	struct path_at *v = malloc((p->nrows + 1) * sizeof(*v));
	double *ps = malloc((p->nrows + 1) * sizeof(double));
	double *pj = malloc((p->nrows + 1) * sizeof(double));
	size_t n = 0;

	if (!v || !ps || !pj) {
		free(v);
		free(ps);
		free(pj);
		return -1;
	}
	for (size_t i = 0; i < p->nrows; i++) {
		const struct opc_row *r = &p->rows[i];
		const char *path = outside(r) ? NULL : opc_row_layer_path(p, r);

		incl_s[i] = incl_j[i] = NAN;
		if (path && strcmp(path, "*"))
			v[n++] = (struct path_at){ path, r->busy_s, r->energy_j };
	}
	qsort(v, n, sizeof(*v), path_at_cmp);
	ps[0] = pj[0] = 0;
	for (size_t k = 0; k < n; k++) {
		ps[k + 1] = ps[k] + v[k].s;
		pj[k + 1] = pj[k] + v[k].j;
	}
	for (size_t i = 0; i < p->nrows; i++) {
		const struct opc_row *r = &p->rows[i];
		const char *path = outside(r) ? NULL : opc_row_layer_path(p, r);
		size_t len, a, c, d;
		char *key;

		if (path == NULL || !strcmp(path, "*"))
			continue;
		len = strlen(path);
		if ((key = malloc(len + 2)) == NULL)
			break;
		a = path_lower(v, n, path);		/* == path */
		memcpy(key, path, len);
		key[len] = '/';
		key[len + 1] = 0;
		c = path_lower(v, n, key);		/* path/... */
		key[len] = '0';
		d = path_lower(v, n, key);		/* past them */
		free(key);
		incl_s[i] = 0;
		incl_j[i] = 0;
		for (size_t k = a; k < n && !strcmp(v[k].path, path); k++) {
			incl_s[i] += v[k].s;
			incl_j[i] += v[k].j;
		}
		incl_s[i] += ps[d] - ps[c];
		incl_j[i] += pj[d] - pj[c];
	}
	free(v);
	free(ps);
	free(pj);
	return 0;
}

/* path_inclusive into arrays of its own (free them): 0, or -1 (both NULL)
 * when out of memory. */
static int path_inclusive_new(const struct opc_profile *p, double **incl_s, double **incl_j)
{
	*incl_s = malloc((p->nrows + 1) * sizeof(double));
	*incl_j = malloc((p->nrows + 1) * sizeof(double));
	if (*incl_s && *incl_j && path_inclusive(p, *incl_s, *incl_j) == 0)
		return 0;
	free(*incl_s);
	free(*incl_j);
	*incl_s = *incl_j = NULL;
	return -1;
}

static void print_json_rows(struct opc_profile *p, enum opc_group by, size_t top,
			    json_object *root)
{
	static const char empty_rows[] = "\"rows\":[\n  ]\n}";
	const char *doc = json_object_to_json_string_ext(root, JSON_FLAGS);
	size_t len = strlen(doc), n = sizeof(empty_rows) - 1;
	struct textbuf b = { NULL, 0, 0 };

	if (len < n || strcmp(doc + len - n, empty_rows)) {
		/* not the shape expected: "rows" must be the root's last member */
		pr_err("internal error: the JSON report does not end with its rows");
		return;
	}
	double *incl_s = NULL, *incl_j = NULL;

	if (by == OPC_BY_PATH)
		path_inclusive_new(p, &incl_s, &incl_j);
	fwrite(doc, 1, len - n + sizeof("\"rows\":[") - 1, stdout);
	for (size_t i = 0; i < p->nrows && (top == 0 || i < top); i++) {
		json_object *o = row_json(p, &p->rows[i], by);

		if (incl_s && !isnan(incl_s[i])) {
			json_object_object_add(o, "inclusive_busy_s", jnum(incl_s[i]));
			json_object_object_add(o, "inclusive_energy_j",
					       p->have_energy ? jnum(incl_j[i]) : NULL);
		}

		if (indent_lines(&b, json_object_to_json_string_ext(o, JSON_FLAGS)) < 0) {
			pr_err("out of memory");
			json_object_put(o);
			break;
		}
		fputs(i ? ",\n" : "\n", stdout);
		fwrite(b.s, 1, b.len, stdout);
		json_object_put(o);
	}
	fputs("\n  ]\n}\n", stdout);
	free(b.s);
	free(incl_s);
	free(incl_j);
}

static void print_json(struct opc_profile *p, enum opc_group by, size_t top)
{
	json_object *root = json_object_new_object();
	json_object *totals = json_object_new_object();
	json_object *energy = json_object_new_object();
	json_object *rows = json_object_new_array();
	json_object *traces = json_object_new_array();

	json_object_object_add(totals, "calls", json_object_new_uint64(p->calls));
	json_object_object_add(totals, "flops", json_object_new_uint64(p->flops));
	json_object_object_add(totals, "bytes", json_object_new_uint64(p->bytes));
	json_object_object_add(totals, "busy_s", jnum(p->busy_s));
	json_object_object_add(totals, "gpu_s", jnum(p->gpu_s));
	json_object_object_add(totals, "energy_j",
			       p->have_energy ? jnum(p->energy_j) : NULL);
	json_object_object_add(totals, "duration_s", jnum(p->duration_s));
	json_object_object_add(totals, "flops_estimated", json_object_new_boolean(p->estimated));
	json_object_object_add(root, "totals", totals);
	/* "source" stays one of the five names of the contract: the host's
	 * (or the only) source; "sources" lists them all, "rapl+nvml" being
	 * ["rapl", "nvml"] */
	{
		json_object *srcs = json_object_new_array();
		char buf[sizeof(p->source)], *save = NULL;

		snprintf(buf, sizeof(buf), "%s", p->source);
		for (char *s = strtok_r(buf, "+", &save); s; s = strtok_r(NULL, "+", &save))
			json_object_array_add(srcs, jstr(s));
		snprintf(buf, sizeof(buf), "%s", p->source);
		buf[strcspn(buf, "+")] = 0;
		json_object_object_add(energy, "source", jstr(buf));
		json_object_object_add(energy, "sources", srcs);
	}
	json_object_object_add(energy, "measured", json_object_new_boolean(p->measured));
	if (p->have_energy) {
		json_object_object_add(energy, "split", json_object_new_string("time"));
		json_object_object_add(energy, "total_j", jnum(p->energy_j));
		json_object_object_add(energy, "outside_j", jnum(p->outside_j));
		json_object_object_add(energy, "duration_s", jnum(p->energy_s));
		json_object_object_add(energy, "layers_j", jnum(p->layers_j));
		json_object *cl = json_object_new_object();

		json_object_object_add(cl, "intervals",
				       json_object_new_int64((int64_t)p->closure_intervals));
		json_object_object_add(cl, "worst_residual_j", jnum(p->closure_worst_j));
		json_object_object_add(cl, "worst_residual", jnum(p->closure_worst_rel));
		json_object_object_add(energy, "closure", cl);
		json_object_object_add(energy, "note", jstr(p->note));
		json_object_object_add(energy, "traces_overlap", json_object_new_boolean(p->overlap));
		if (p->idle_w >= 0) {
			json_object_object_add(energy, "idle_w", jnum(p->idle_w));
			json_object_object_add(energy, "static_j", jnum(p->static_j));
			json_object_object_add(energy, "dynamic_j",
					       jnum(p->energy_j - p->static_j));
		}
	}
	json_object_object_add(root, "energy", energy);
	json_object_object_add(root, "by", json_object_new_string(opc_group_name(by)));
	json_object_object_add(root, "bytes_model",
			       json_object_new_string("compulsory traffic: each operand read "
						      "once, each result written once"));
	if (p->comm)
		json_object_object_add(root, "bytes_model_comm",
				       json_object_new_string("sent + received by the rank under "
							      "the algorithm models of "
							      "docs/counting.md"));
	for (size_t i = 0; i < p->ntraces; i++) {
		const struct opc_trace *t = &p->traces[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "path", jstr(t->path));
		json_object_object_add(o, "pid", json_object_new_int64(t->hdr.pid));
		json_object_object_add(o, "cmdline", jstr(opc_trace_info(t, "cmdline")));
		json_object_object_add(o, "host", jstr(opc_trace_info(t, "host")));
		json_object_object_add(o, "cpu", jstr(opc_trace_info(t, "cpu")));
		json_object_object_add(o, "blas", jstr(opc_trace_info(t, "blas")));
		json_object_object_add(o, "duration_s", jnum(t->end_ns / 1e9));
		json_object_object_add(o, "complete", json_object_new_boolean(t->ended));
		json_object_object_add(o, "rank", p->job.tr[i].rank >= 0 ?
				       json_object_new_int64(p->job.tr[i].rank) : NULL);
		json_object_object_add(o, "node", p->job.tr[i].node >= 0 ?
				       jstr(p->job.nodes[p->job.tr[i].node].label) : NULL);
		json_object_array_add(traces, o);
	}
	json_object_object_add(root, "traces", traces);
	job_json(p, root);
	json_object *unseen = json_object_new_array();

	each_unseen(p, json_unseen, unseen);
	json_object_object_add(root, "not_seen", unseen);
	json_object_object_add(root, "rows", rows);
	print_json_rows(p, by, top, root);
	json_object_put(root);
}

/* A flame graph of the rows (flame.c), --by path with the inclusive
 * numbers the JSON rows carry, made by the same code from the same rows. */
static int print_svg_rows(struct opc_profile *p, enum opc_group by, enum opc_weight w)
{
	double *incl_s = NULL, *incl_j = NULL;
	int ret;

	if (by == OPC_BY_PATH && path_inclusive_new(p, &incl_s, &incl_j) < 0) {
		pr_err("out of memory");
		return -1;
	}
	ret = opc_flame_rows(p, by, incl_s, incl_j, w, OPC_FLAME_SVG);
	free(incl_s);
	free(incl_j);
	return ret;
}

/* ---- folded stacks (flamegraph.pl) ---- */

struct fline {
	char *text;
	double v;
};

/* The lines, each once: a trace of millions of keys makes few distinct
 * stacks, and a line's values are summed in the order they come (what
 * sorting all of them, stably, and summing neighbours gave). */
struct folded {
	struct fline *l;
	size_t n, cap;
	struct opc_hashtab index;	/* text -> line + 1 */
	char buf[65536];
	size_t len;
};

struct fline_key {
	const struct fline *l;
	const char *text;
};

static int fline_is(const void *arg, uint32_t id)
{
	const struct fline_key *k = arg;

	return !strcmp(k->l[id - 1].text, k->text);
}

/* Appends one frame to the line being built, escaped like a table's text
 * (opc_tty: no line breaks); ';' would split it. */
static void fold_frame(struct folded *f, const char *name)
{
	if (f->len && f->len + 1 < sizeof(f->buf))
		f->buf[f->len++] = ';';
	for (name = opc_tty(name); *name && f->len + 1 < sizeof(f->buf); name++)
		f->buf[f->len++] = *name == ';' ? ':' : *name;
	f->buf[f->len] = 0;
}

static int fold_end(struct folded *f, double v)
{
	struct fline_key k = { f->l, f->buf };
	uint32_t h = opc_hash_str(OPC_HASH_SEED, f->buf);
	uint32_t id = opc_hashtab_find(&f->index, h, fline_is, &k);

	if (id) {
		f->l[id - 1].v += v;
		f->len = 0;
		f->buf[0] = 0;
		return 0;
	}
	if (f->n >= UINT32_MAX / 2)
		return -1;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 256;
		struct fline *l = realloc(f->l, cap * sizeof(*l));

		if (l == NULL)
			return -1;
		f->l = l;
		f->cap = cap;
	}
	f->l[f->n].text = strdup(f->buf);
	f->l[f->n].v = v;
	f->len = 0;
	f->buf[0] = 0;
	if (f->l[f->n].text == NULL || opc_hashtab_insert(&f->index, h, (uint32_t)f->n + 1) < 0) {
		free(f->l[f->n].text);
		return -1;
	}
	f->n++;
	return 0;
}

static int fline_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fline *)a)->text, ((const struct fline *)b)->text);
}

/*
 * "root;...;leaf value" per stack, as flamegraph.pl reads it.  Counted
 * calls: their recorded stack (or their call site) with the routine as
 * the leaf; stack samples (ptrace --stacks): the sampled stack; and what
 * neither took, one frame of its own.  Values are attributed energy in
 * microjoules, or without energy busy / CPU time in microseconds.
 */
static int print_folded(struct opc_profile *p)
{
	struct folded f = { 0 };
	double sampled_j = 0;
	char err[1024];
	int ret = 0;

	for (size_t ti = 0; ti < p->ntraces && ret == 0; ti++) {
		struct opc_trace *t = &p->traces[ti];
		struct opc_symbolizer *sym = opc_sym_new(t);
		struct opc_tkeys *it = opc_tkeys_open(t);
		const struct opc_tkeydef *d;

		if (sym == NULL) {
			opc_tkeys_close(it, err, sizeof(err));
			return -1;
		}
		for (size_t ki = 0; it && ret == 0 && (d = opc_tkeys_next(it)); ki++) {
			const struct opc_tkey *k = &t->keys[ki];
			const struct opc_tstack *st = opc_trace_stack(t, d->rec.stack);

			if (k->calls == 0 || (k->flags & OPC_TKEY_NESTED))
				continue;
			if (st)
				for (uint32_t i = st->depth; i-- > 0;)
					fold_frame(&f, opc_sym_func(sym, st->frames[i], 1));
			else if (!(k->flags & OPC_TKEY_OVERFLOW))
				fold_frame(&f, opc_sym_func(sym, d->rec.site, 1));
			fold_frame(&f, d->op);
			ret = fold_end(&f, p->have_energy ? k->energy_j * 1e6 : k->busy_s * 1e6);
		}
		if (opc_tkeys_close(it, err, sizeof(err)) < 0 && ret == 0) {
			pr_err("%s", opc_tty(err));
			ret = -1;
		}
		opc_trace_close(t);
		for (size_t si = 0; si < t->nsamples && ret == 0; si++) {
			const struct opc_tsample *sm = &t->samples[si];
			const struct opc_tstack *st = opc_trace_stack(t, sm->stack);

			if (st == NULL)
				continue;
			/* frame 0 is where the thread stood, not a return address */
			for (uint32_t i = st->depth; i-- > 0;)
				fold_frame(&f, opc_sym_func(sym, st->frames[i], i > 0));
			sampled_j += sm->energy_j;
			ret = fold_end(&f, p->have_energy ? sm->energy_j * 1e6 : sm->weight_ns / 1e3);
		}
		opc_sym_free(sym);
	}
	if (ret == 0 && p->have_energy) {
		fold_frame(&f, "(outside intercepted calls, not sampled)");
		ret = fold_end(&f, (p->outside_j - sampled_j) * 1e6);
	}
	if (f.n)
		qsort(f.l, f.n, sizeof(*f.l), fline_cmp);
	for (size_t i = 0; i < f.n; i++)
		if (ret == 0 && f.l[i].v >= 0.5)
			printf("%s %.0f\n", f.l[i].text, f.l[i].v);
	for (size_t i = 0; i < f.n; i++)
		free(f.l[i].text);
	free(f.l);
	opc_hashtab_free(&f.index);
	return ret;
}

/*
 * The JSON report, as --format json prints it, as text: the pictures
 * (roofline.c, html.c) are drawn from it and embed it, so that every
 * number they show is the report's.  (glibc's stdout is a variable that
 * may be set: print_json is not made to take a FILE for this.)
 */
struct printer {
	struct opc_profile *p;
	enum opc_group by;
	size_t top;
};

/* What print(pr) writes to stdout, as text; NULL when it failed. */
static char *stdout_text(int (*print)(const struct printer *), const struct printer *pr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len), *saved = stdout;
	int ret;

	if (mem == NULL)
		return NULL;
	stdout = mem;
	ret = print(pr);
	stdout = saved;
	if (fclose(mem) != 0 || ret < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int json_print(const struct printer *pr)
{
	print_json(pr->p, pr->by, pr->top);
	return 0;
}

static char *json_text(struct opc_profile *p, enum opc_group by, size_t top)
{
	struct printer pr = { p, by, top };

	return stdout_text(json_print, &pr);
}

/* The energy flame graph of the traces' stacks (flame.c), for a page. */
static int flame_print(const struct printer *pr)
{
	return opc_flame_stacks(pr->p, OPC_WEIGHT_ENERGY, OPC_FLAME_SVG_INLINE);
}

/* --format roofline|html: to the file out (html.c) */
static int pictures(struct opc_profile *p, enum opc_group by, size_t top, enum fmt fmt,
		    struct opc_pictures *pic, char **paths, int npaths, unsigned flags)
{
	struct opc_profile q;
	char *json = json_text(p, by, top), *layer = NULL, *flame = NULL;
	int ret;

	if (json == NULL) {
		pr_err("out of memory");
		return -1;
	}
	/* the page's per-layer table: the traces grouped again (grouping uses
	 * the keys up), by layer */
	if (fmt == FMT_HTML) {
		ret = opc_profile_load_flags(&q, paths, npaths, flags);
		if (ret == 0)
			ret = opc_profile_group(&q, OPC_BY_LAYER, 0);
		if (ret == 0)
			ret = sort_rows(&q);
		if (ret == 0)
			layer = json_text(&q, OPC_BY_LAYER, top);
		opc_profile_free(&q);
		/* and the flame graph: of the keys' stacks, which grouping uses up */
		if (layer) {
			struct printer pr = { &q, OPC_BY_SITE, 0 };

			if (opc_profile_load_flags(&q, paths, npaths, flags) == 0)
				flame = stdout_text(flame_print, &pr);
			opc_profile_free(&q);
		}
		if (layer == NULL || flame == NULL) {
			free(json);
			free(layer);
			pr_err("cannot group the traces by layer or by stack");
			return -1;
		}
		pic->flame_svg = flame;
	}
	pic->paths = paths;
	pic->npaths = npaths;
	pic->traces = p->traces;	/* their energy samples: the power timeline */
	pic->ntraces = p->ntraces;
	ret = fmt == FMT_HTML ? opc_html_report(pic, json, layer) : opc_roofline_report(pic, json);
	free(json);
	free(layer);
	free(flame);
	pic->flame_svg = NULL;
	return ret;
}

/* Without FILE arguments: the newest opcount-*.opc here, like perf.data. */
static char *newest_trace(void)
{
	DIR *d = opendir(".");
	struct dirent *e;
	char *best = NULL;
	time_t best_t = 0;

	if (d == NULL)
		return NULL;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		struct stat st;

		if (strncmp(e->d_name, "opcount-", 8) || n < 12 || strcmp(e->d_name + n - 4, ".opc"))
			continue;
		if (stat(e->d_name, &st) == 0 && st.st_mtime >= best_t) {
			best_t = st.st_mtime;
			free(best);
			best = strdup(e->d_name);
		}
	}
	closedir(d);
	return best;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: opcount report [FILE...] [options]\n"
		"  --by site|layer|path|op|type|key|device|stack   group rows (default: site);\n"
		"                                layer is the innermost region, path the nesting\n"
		"                                of regions, device cpu or gpuN, stack the call\n"
		"                                stacks as a tree (--format svg, json or folded)\n"
		"  --format table|json|csv|folded|svg|perfetto   output format (default: table);\n"
		"                                svg: an interactive flame graph; perfetto: a\n"
		"                                timeline (Chrome trace-event JSON); folded:\n"
		"                                \"frame;...;frame value\" lines for flamegraph.pl,\n"
		"                                call stacks with the routine as the leaf and the\n"
		"                                stack samples of record --stacks; value = energy\n"
		"                                in microjoules, or busy/CPU microseconds without\n"
		"                                energy\n"
		"  --sort flops|calls|bytes|busy|ai|name|energy   (default: flops)\n"
		"  --top N                       show the first N rows (default 30 in a table, 0 = all)\n"
		"  --stacks                      include symbolized stacks (json)\n"
		"  --by rank|node                a distributed job's ranks (run.rank*.opc) or nodes\n"
		"  --allow-mixed                 report traces of several jobs together\n"
		"  --strict                      exit 3 when a job's rank is missing or truncated\n"
		"  --weight energy|flops|time    what a flame graph's widths are (default: energy,\n"
		"                                busy time without energy)\n"
		"  --max-events N                perfetto: intervals merged so that about N events\n"
		"                                are written at most (default 500000, 0: all)\n"
		"  -o, --output FILE             write the report to FILE, not stdout\n"
		"  --format roofline -o FILE.svg|FILE.png   the rows on this machine's roofline\n"
		"  --format html -o FILE.html    one self-contained page: summary, tables,\n"
		"                                rooflines, power timeline, flame graph\n"
		"  --calibration FILE            the ceilings (opcount calibrate; default\n"
		"                                ~/.config/opcount/calibration.json)\n"
		"Without FILE, the newest opcount-*.opc in the current directory.\n");
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "by", required_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'f' },
		{ "sort", required_argument, NULL, 's' },
		{ "top", required_argument, NULL, 't' },
		{ "stacks", no_argument, NULL, 'S' },
		{ "weight", required_argument, NULL, 'W' },
		{ "output", required_argument, NULL, 'o' },
		{ "max-events", required_argument, NULL, 'E' },
		{ "calibration", required_argument, NULL, 'C' },
		{ "allow-mixed", no_argument, NULL, 'M' },
		{ "strict", no_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *sorts[] = { "flops", "calls", "bytes", "busy", "ai", "name", "energy" };
	enum opc_group by = OPC_BY_SITE;
	enum fmt fmt = FMT_TABLE;
	long top = -1;
	int stacks = 0, by_stack = 0, c, ret, strict = 0;
	unsigned flags = 0;
	enum opc_weight weight = OPC_WEIGHT_ENERGY;
	long max_events = 500000;
	const char *output = NULL;
	struct opc_profile p;
	struct opc_pictures pic = { 0 };
	char *deflt = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "b:f:s:t:So:hMX", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			by_stack = !strcmp(optarg, "stack");
			if (!by_stack && opc_group_parse(optarg, &by) < 0) {
				pr_err("--by: unknown grouping '%s' (site, layer, path, op, type, key, "
				       "device, rank, node, stack)",
				       optarg);
				return 2;
			}
			break;
		case 'f':
			if (!strcmp(optarg, "table"))
				fmt = FMT_TABLE;
			else if (!strcmp(optarg, "json"))
				fmt = FMT_JSON;
			else if (!strcmp(optarg, "csv"))
				fmt = FMT_CSV;
			else if (!strcmp(optarg, "folded"))
				fmt = FMT_FOLDED;
			else if (!strcmp(optarg, "svg"))
				fmt = FMT_SVG;
			else if (!strcmp(optarg, "perfetto"))
				fmt = FMT_PERFETTO;
			else if (!strcmp(optarg, "roofline"))
				fmt = FMT_ROOFLINE;
			else if (!strcmp(optarg, "html"))
				fmt = FMT_HTML;
			else {
				pr_err("--format: unknown format '%s' (table, json, csv, folded, svg, "
				       "perfetto, roofline, html)",
				       optarg);
				return 2;
			}
			break;
		case 's': {
			int i;

			for (i = 0; i < 7 && strcmp(optarg, sorts[i]); i++)
				;
			if (i == 7) {
				pr_err("--sort: unknown key '%s'", optarg);
				return 2;
			}
			sort_by = i;
			break;
		}
		case 't':
			if (opc_parse_long(optarg, 0, LONG_MAX, &top) < 0) {
				pr_err("--top: expected a number >= 0, got '%s'", opc_tty(optarg));
				return 2;
			}
			break;
		case 'S':
			stacks = 1;
			break;
		case 'W':
			if (opc_weight_parse(optarg, &weight) < 0) {
				pr_err("--weight: unknown weight '%s' (energy, flops, time)",
				       opc_tty(optarg));
				return 2;
			}
			break;
		case 'E':
			if (opc_parse_long(optarg, 0, LONG_MAX, &max_events) < 0) {
				pr_err("--max-events: expected a number >= 0, got '%s'",
				       opc_tty(optarg));
				return 2;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case 'C':
			pic.calibration = optarg;
			break;
		case 'M':
			flags |= OPC_LOAD_ALLOW_MIXED;
			break;
		case 'X':
			strict = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (top < 0)
		top = fmt == FMT_TABLE ? 30 : 0;
	if (by_stack && fmt != FMT_SVG && fmt != FMT_JSON && fmt != FMT_FOLDED) {
		pr_err("--by stack: only with --format svg, json or folded");
		return 2;
	}
	/* the pictures write their file themselves (a PNG, or a page of parts) */
	if ((fmt == FMT_ROOFLINE || fmt == FMT_HTML) && output == NULL) {
		pr_err("--format %s writes a file: name it with -o FILE",
		       fmt == FMT_HTML ? "html" : "roofline");
		return 2;
	}
	if (fmt == FMT_ROOFLINE && opc_plot_format(output) == OPC_PLOT_NONE) {
		pr_err("-o %s: a roofline's name must end in .svg or .png", opc_tty(output));
		return 2;
	}
	if (optind == argc) {
		deflt = newest_trace();
		if (deflt == NULL) {
			pr_err("no trace given and no opcount-*.opc in the current directory");
			return 1;
		}
		argv[--optind] = deflt;
	}
	if (opc_profile_load_flags(&p, argv + optind, argc - optind, flags) < 0) {
		opc_profile_free(&p);
		free(deflt);
		return 1;
	}
	/* after loading: a bad trace leaves no half-written FILE behind */
	pic.out = output;
	if (output && fmt != FMT_ROOFLINE && fmt != FMT_HTML &&
	    freopen(output, "w", stdout) == NULL) {
		pr_err("%s: %s", opc_tty(output), strerror(errno));
		opc_profile_free(&p);
		free(deflt);
		return 1;
	}
	/* folded stacks, --by stack and timelines are of keys, not rows (and
	 * grouping uses the keys up) */
	ret = fmt == FMT_FOLDED || by_stack || fmt == FMT_PERFETTO ? 0 :
	      opc_profile_group(&p, by, stacks);
	if (ret == 0 && fmt == FMT_FOLDED) {
		ret = print_folded(&p);
	} else if (ret == 0 && by_stack) {
		ret = opc_flame_stacks(&p, weight, fmt == FMT_SVG ? OPC_FLAME_SVG : OPC_FLAME_JSON);
	} else if (ret == 0 && fmt == FMT_PERFETTO) {
		ret = opc_perfetto(&p, (size_t)max_events);
	} else if (ret == 0 && (ret = sort_rows(&p)) < 0) {
		pr_err("out of memory");
	} else if (ret == 0) {
		if (fmt == FMT_SVG)
			ret = print_svg_rows(&p, by, weight);
		else if (fmt == FMT_TABLE)
			print_table(&p, by, top);
		else if (fmt == FMT_CSV)
			print_csv(&p, top);
		else if (fmt == FMT_JSON)
			print_json(&p, by, top);
		else
			ret = pictures(&p, by, top, fmt, &pic, argv + optind, argc - optind, flags);
	} else {
		pr_err("out of memory");
	}
	if (ret == 0 && opc_ranks_incomplete(&p.job)) {
		char ranks[512];

		rank_list(ranks, sizeof(ranks), p.job.missing, p.job.nmissing);
		/* said on stderr too: a JSON or CSV report carries it only inside */
		if (p.job.nmissing)
			pr_warn("job %s is incomplete: rank%s %s of %ld missing%s",
				job_name(&p.job), p.job.nmissing == 1 ? "" : "s", ranks,
				p.job.world_size, strict ? " (--strict: exit 3)" : "");
		for (size_t i = 0; i < p.job.ntruncated; i++)
			pr_warn("job %s is incomplete: rank %ld's trace %s is truncated%s",
				job_name(&p.job), p.job.tr[p.job.truncated[i]].rank,
				opc_tty(p.traces[p.job.truncated[i]].path),
				strict ? " (--strict: exit 3)" : "");
		if (strict)
			ret = 3;
	}
	opc_profile_free(&p);
	free(deflt);
	/* stdout is checked by main (opcount.c) */
	return ret == 3 ? 3 : ret ? 1 : 0;
}
