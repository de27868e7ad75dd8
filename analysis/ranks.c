/*
 * ranks.c - which job, rank and node each trace is of, and whether the
 * traces given together can be one job.
 *
 * A rank's trace carries INFO launcher, rank, world_size, local_rank
 * and job (the launcher's id of the job, the same for every rank); every
 * trace carries host and boot_id.  A node is (host, boot_id): two
 * containers of one name on two machines differ by boot id, a machine
 * rebooted between two runs too.  A trace without boot_id (older
 * versions) is on no known node.
 *
 * What cannot be one job, given the same job id (ids can repeat: a
 * launcher that numbers its jobs from 0 on each machine, torchrun's
 * default rendezvous id):
 * - one rank from unrelated processes: a rank's traces are one process
 *   tree (its children name it too), so all but one of them have their
 *   parent among them; two roots with different pids are two runs;
 * - ranks apart in time: the ranks of a job run together (they meet in
 *   their first collective), so sorted by start, each rank starts before
 *   the ranks before it have all ended, or within a second of it (a short
 *   program's ranks, launched one after the other on a busy node, may
 *   each end before the next starts);
 * - world sizes that differ, or a rank past the world size.
 * A trace of no rank given with a job's (the launcher's own process, mpirun
 * under `opcount record`) is reported with it if it ran while the ranks
 * did, and refused as another run if not.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ranks.h"
#include "log.h"
#include "util.h"

/* Ranks and world sizes above this are not believed (a trace is anyone's
 * file): the report lists missing ranks one by one. */
#define RANK_MAX	(1L << 22)

static long info_long(const struct opc_trace *t, const char *key)
{
	const char *s = opc_trace_info(t, key);
	long v;

	if (s == NULL || opc_parse_long(s, 0, RANK_MAX, &v) < 0)
		return -1;
	return v;
}

static int long_cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

static const char *job_name(const char *id)
{
	return id ? id : "none: not a rank of a job";
}

static int same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* The nodes: one per distinct (host, boot id); labels made once all are
 * known (a host name two nodes share gets the boot id's start). */
static int nodes_load(struct opc_ranks *j, const struct opc_trace *tr, size_t n)
{
	j->nodes = calloc(n ? n : 1, sizeof(*j->nodes));
	if (j->nodes == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *host = opc_trace_info(&tr[i], "host");
		const char *boot = opc_trace_info(&tr[i], "boot_id");
		size_t k;

		j->tr[i].node = -1;
		if (host == NULL || boot == NULL || !boot[0])
			continue;
		for (k = 0; k < j->nnodes; k++)
			if (!strcmp(j->nodes[k].host, host) && !strcmp(j->nodes[k].boot_id, boot))
				break;
		if (k == j->nnodes) {
			j->nodes[k].host = host;
			j->nodes[k].boot_id = boot;
			j->nnodes++;
		}
		j->tr[i].node = (int)k;
	}
	for (size_t k = 0; k < j->nnodes; k++) {
		struct opc_rank_node *nd = &j->nodes[k];
		int shared = 0;
		size_t len = strlen(nd->host) + 16;

		for (size_t m = 0; m < j->nnodes; m++)
			shared |= m != k && !strcmp(j->nodes[m].host, nd->host);
		nd->label = malloc(len);
		if (nd->label == NULL)
			return -1;
		if (shared)
			snprintf(nd->label, len, "%s/%.8s", nd->host, nd->boot_id);
		else
			snprintf(nd->label, len, "%s", nd->host);
	}
	return 0;
}

/* Traces of one rank (g[0..ng)) from unrelated processes: the first two
 * roots (no parent among the rank's traces) of different pids, or 0. */
static int rank_unrelated(const struct opc_trace *tr, const size_t *g, size_t ng, size_t *a,
			  size_t *b)
{
	size_t root = (size_t)-1;

	for (size_t x = 0; x < ng; x++) {
		const struct opc_file_header *h = &tr[g[x]].hdr;
		int parent = 0;

		for (size_t y = 0; y < ng && !parent; y++)
			parent = y != x && tr[g[y]].hdr.pid == h->ppid && tr[g[y]].hdr.pid != h->pid;
		if (parent)
			continue;
		if (root == (size_t)-1) {
			root = g[x];
		} else if (tr[root].hdr.pid != h->pid) {
			*a = root;
			*b = g[x];
			return 1;
		}
	}
	return 0;
}

/* Rank traces in order of rank (then of trace), for rank_order */
static const struct opc_ranks *ordering;

static int rank_order(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	long rx = ordering->tr[x].rank, ry = ordering->tr[y].rank;

	if (rx != ry)
		return rx < ry ? -1 : 1;
	return x < y ? -1 : x > y;
}

#define RANK_GAP_NS	1000000000ull	/* between ranks of one job, at most */

struct span {
	long rank;
	uint64_t t0, t1;
	size_t trace;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->t0 < y->t0 ? -1 : x->t0 > y->t0;
}

/* The checks of one job (see the top of the file): 0, or -1 refused. */
static int job_check(struct opc_ranks *j, const struct opc_trace *tr, size_t n)
{
	struct span *sp = calloc(j->nranks ? j->nranks : 1, sizeof(*sp));
	size_t *g = malloc((n ? n : 1) * sizeof(*g)), ng = 0;
	int ret = -1;

	if (sp == NULL || g == NULL) {
		pr_err("out of memory");
		return -1;
	}
	for (size_t i = 0, f = (size_t)-1; i < n; i++) {
		if (j->tr[i].rank < 0)
			continue;
		if (f == (size_t)-1)
			f = i;
		if (j->tr[i].world_size != j->tr[f].world_size) {
			pr_err("%s and %s claim job %s with world sizes %ld and %ld: not one job "
			       "(--allow-mixed reports them together anyway)",
			       opc_tty(tr[f].path), opc_tty(tr[i].path), opc_tty(j->id),
			       j->tr[f].world_size, j->tr[i].world_size);
			goto out;
		}
		if (j->tr[i].world_size >= 0 && j->tr[i].rank >= j->tr[i].world_size) {
			pr_err("%s: rank %ld of job %s is past its world size %ld",
			       opc_tty(tr[i].path), j->tr[i].rank, opc_tty(j->id),
			       j->tr[i].world_size);
			goto out;
		}
	}
	/* the rank traces grouped by rank: each group one rank's */
	for (size_t i = 0; i < n; i++)
		if (j->tr[i].rank >= 0)
			g[ng++] = i;
	ordering = j;
	qsort(g, ng, sizeof(*g), rank_order);
	for (size_t x = 0, y, r = 0; x < ng; x = y, r++) {
		size_t a, b;

		for (y = x + 1; y < ng && j->tr[g[y]].rank == j->tr[g[x]].rank; y++)
			;
		if (rank_unrelated(tr, g + x, y - x, &a, &b)) {
			pr_err("%s (pid %u) and %s (pid %u) both claim rank %ld of job %s but are "
			       "unrelated processes: not one job (two runs?  --allow-mixed reports "
			       "them together anyway)", opc_tty(tr[a].path), tr[a].hdr.pid,
			       opc_tty(tr[b].path), tr[b].hdr.pid, j->tr[g[x]].rank, opc_tty(j->id));
			goto out;
		}
		sp[r].rank = j->tr[g[x]].rank;
		sp[r].t0 = UINT64_MAX;
		for (size_t k = x; k < y; k++) {
			uint64_t t0 = tr[g[k]].hdr.start_realtime_ns, t1 = t0 + tr[g[k]].end_ns;

			if (t0 < sp[r].t0) {
				sp[r].t0 = t0;
				sp[r].trace = g[k];
			}
			if (t1 > sp[r].t1)
				sp[r].t1 = t1;
		}
	}
	qsort(sp, j->nranks, sizeof(*sp), span_cmp);
	/* each rank starts before the ranks that started before it have all
	 * ended: by is the one of them that ended last */
	for (size_t r = 1, by = 0; r < j->nranks; r++) {
		if (sp[r - 1].t1 > sp[by].t1)
			by = r - 1;
		if (sp[r].t0 > sp[by].t1 + RANK_GAP_NS) {
			pr_err("%s (rank %ld) started %.3f s after %s (rank %ld) and every rank "
			       "before it had ended (> 1 s): ranks apart in time are not one job %s "
			       "(two runs?  --allow-mixed reports them together anyway)",
			       opc_tty(tr[sp[r].trace].path), sp[r].rank,
			       (sp[r].t0 - sp[by].t1) / 1e9, opc_tty(tr[sp[by].trace].path),
			       sp[by].rank, opc_tty(j->id));
			goto out;
		}
	}
	ret = 0;
out:
	free(sp);
	free(g);
	return ret;
}

int opc_ranks_load(struct opc_ranks *j, const struct opc_trace *tr, size_t n, int allow_mixed)
{
	size_t first = (size_t)-1;	/* the first rank's trace */
	uint64_t t0 = UINT64_MAX, t1 = 0;	/* the ranks' time */

	memset(j, 0, sizeof(*j));
	j->world_size = -1;
	j->ntraces = n;
	j->tr = calloc(n ? n : 1, sizeof(*j->tr));
	j->ranks = calloc(n ? n : 1, sizeof(long));
	j->truncated = calloc(n ? n : 1, sizeof(size_t));
	if (!j->tr || !j->ranks || !j->truncated || nodes_load(j, tr, n) < 0)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		struct opc_rank_trace *jt = &j->tr[i];

		jt->rank = info_long(&tr[i], "rank");
		jt->world_size = info_long(&tr[i], "world_size");
		jt->local_rank = info_long(&tr[i], "local_rank");
		jt->launcher = opc_trace_info(&tr[i], "launcher");
		jt->job = jt->rank >= 0 ? opc_trace_info(&tr[i], "job") : NULL;
		if (jt->rank >= 0 && jt->job == NULL)
			jt->job = "";	/* a rank of a job without an id */
		if (jt->rank < 0)
			continue;
		if (first == (size_t)-1)
			first = i;
		if (!same(jt->job, j->tr[first].job) && !j->mixed) {
			if (!allow_mixed) {
				pr_err("%s (job %s) and %s (job %s) are not of one job: report one "
				       "job's traces, or add --allow-mixed",
				       opc_tty(tr[first].path), opc_tty(job_name(j->tr[first].job)),
				       opc_tty(tr[i].path), opc_tty(job_name(jt->job)));
				return -1;
			}
			j->mixed = 1;
		}
		{
			size_t r;

			for (r = 0; r < j->nranks && j->ranks[r] != jt->rank; r++)
				;
			if (r == j->nranks)
				j->ranks[j->nranks++] = jt->rank;
			if (!tr[i].ended)
				j->truncated[j->ntruncated++] = i;
			if (jt->world_size > j->world_size)
				j->world_size = jt->world_size;
		}
		if (tr[i].hdr.start_realtime_ns < t0)
			t0 = tr[i].hdr.start_realtime_ns;
		if (tr[i].hdr.start_realtime_ns + tr[i].end_ns > t1)
			t1 = tr[i].hdr.start_realtime_ns + tr[i].end_ns;
	}
	/* A trace of no rank beside a job's: the launcher's own processes
	 * (mpirun under `opcount record`, its daemons) run while the ranks
	 * do, and are reported with them; one of another time is another run. */
	for (size_t i = 0; i < n && first != (size_t)-1 && !j->mixed; i++) {
		uint64_t u0 = tr[i].hdr.start_realtime_ns, u1 = u0 + tr[i].end_ns;

		if (j->tr[i].rank >= 0)
			continue;
		if (u0 < t1 && t0 < u1)
			continue;
		if (!allow_mixed) {
			pr_err("%s (no rank of a job) did not run while the ranks of job %s did "
			       "(%s...): not one run; report one job's traces, or add "
			       "--allow-mixed", opc_tty(tr[i].path),
			       opc_tty(job_name(j->tr[first].job)), opc_tty(tr[first].path));
			return -1;
		}
		j->mixed = 1;
	}
	qsort(j->ranks, j->nranks, sizeof(long), long_cmp);
	if (!j->mixed && first != (size_t)-1) {
		j->id = j->tr[first].job;
		j->launcher = j->tr[first].launcher;
		if (job_check(j, tr, n) < 0)
			return -1;
	}
	if (j->world_size > 0 && !j->mixed) {
		j->missing = calloc(j->world_size, sizeof(long));
		if (j->missing == NULL)
			goto nomem;
		for (long r = 0, at = 0; r < j->world_size; r++) {
			while ((size_t)at < j->nranks && j->ranks[at] < r)
				at++;
			if ((size_t)at == j->nranks || j->ranks[at] != r)
				j->missing[j->nmissing++] = r;
		}
	}
	return 0;
nomem:
	pr_err("out of memory");
	return -1;
}

void opc_ranks_free(struct opc_ranks *j)
{
	for (size_t k = 0; k < j->nnodes; k++)
		free(j->nodes[k].label);
	free(j->nodes);
	free(j->tr);
	free(j->ranks);
	free(j->missing);
	free(j->truncated);
	memset(j, 0, sizeof(*j));
}

/* ---- a node's time line (ranks.h) ---- */

static uint64_t sample_ns(const struct opc_trace *t, size_t i)
{
	return t->hdr.start_realtime_ns + t->energy.t_ns[i];
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int counted_gpu(const struct opc_rec_energy_domain *d)
{
	return d->counted && d->kind == OPC_TDOM_GPU;
}

/* The node's counters (ranks.h): a GPU is known by its domain's name,
 * "gpu<I> <NAME>" with I its NVML index, which numbers the machine's GPUs
 * whatever CUDA_VISIBLE_DEVICES says (it only hides some), so that the
 * same name in two traces of one node (host and boot id) is one GPU. */
static int counters_init(struct opc_sweep *s)
{
	size_t nd = 0;

	for (size_t m = 0; m < s->n; m++)
		nd += s->ts[m]->energy.ndom;
	s->host = calloc(s->n ? s->n : 1, 1);
	s->gname = malloc((nd ? nd : 1) * sizeof(*s->gname));
	if (s->host == NULL || s->gname == NULL)
		return -1;
	for (size_t m = 0; m < s->n; m++) {
		const struct opc_tenergy *en = &s->ts[m]->energy;

		for (int d = 0; d < en->ndom; d++) {
			size_t g;

			if (!counted_gpu(&en->dom[d])) {
				s->host[m] |= !!en->dom[d].counted;
				continue;
			}
			for (g = 0; g < s->ngpu && strcmp(s->gname[g], en->dom[d].name); g++)
				;
			if (g == s->ngpu)
				s->gname[s->ngpu++] = en->dom[d].name;
		}
	}
	s->gdom = malloc((s->n * s->ngpu + 1) * sizeof(*s->gdom));
	if (s->gdom == NULL)
		return -1;
	for (size_t m = 0; m < s->n; m++) {
		const struct opc_tenergy *en = &s->ts[m]->energy;

		for (size_t g = 0; g < s->ngpu; g++)
			s->gdom[m * s->ngpu + g] = -1;
		for (int d = 0; d < en->ndom; d++) {
			long g = opc_sweep_gpu(s, m, d);

			if (g >= 0)
				s->gdom[m * s->ngpu + g] = d;
		}
	}
	return 0;
}

long opc_sweep_gpu(const struct opc_sweep *s, size_t m, int d)
{
	const struct opc_rec_energy_domain *dom = &s->ts[m]->energy.dom[d];

	if (!counted_gpu(dom))
		return -1;
	for (size_t g = 0; g < s->ngpu; g++)
		if (!strcmp(s->gname[g], dom->name))
			return (long)g;
	return -1;
}

/* The interval of trace m that covers the stretch opc_sweep_next gave
 * last, starting at x: its end sample, or 0. */
static size_t covering(const struct opc_sweep *s, size_t m, uint64_t x)
{
	const struct opc_trace *u = s->ts[m];
	size_t q = s->at[m];

	return q < u->energy.nsamples && sample_ns(u, q - 1) <= x ? q : 0;
}

/* The joules of trace m's counter (GPU domain d, or the host's: d < 0)
 * from sample q - 1 to q. */
static double counter_delta(const struct opc_trace *u, int d, size_t q)
{
	const struct opc_tenergy *en = &u->energy;
	const double *a = &en->joules[(q - 1) * en->ndom], *b = &en->joules[q * en->ndom];
	double j = 0;

	if (d >= 0)
		return b[d] - a[d];
	for (int k = 0; k < en->ndom; k++)
		if (en->dom[k].counted && !counted_gpu(&en->dom[k]))
			j += b[k] - a[k];
	return j;
}

double opc_sweep_joules(const struct opc_sweep *s, uint64_t x, uint64_t y, double *gpu_j)
{
	double host = 0, gpu = 0;

	/* the counter c (-1 the host's, else GPU c) from its best reader */
	for (long c = -1; c < (long)s->ngpu; c++) {
		uint64_t best = UINT64_MAX;
		size_t bm = 0, bq = 0;
		int bd = -1;

		for (size_t m = 0; m < s->n; m++) {
			const struct opc_trace *u = s->ts[m];
			int d = c < 0 ? -1 : s->gdom[m * s->ngpu + c];
			size_t q;

			if (c < 0 ? !s->host[m] : d < 0)
				continue;
			q = covering(s, m, x);
			/* the first of the shortest, as opc_sweep_next chooses */
			if (q && sample_ns(u, q) - sample_ns(u, q - 1) < best) {
				best = sample_ns(u, q) - sample_ns(u, q - 1);
				bm = m;
				bq = q;
				bd = d;
			}
		}
		if (best == UINT64_MAX)
			continue;	/* no reader of it sampled the stretch */
		if (c < 0)
			host = counter_delta(s->ts[bm], bd, bq) * (double)(y - x) / (double)best;
		else
			gpu += counter_delta(s->ts[bm], bd, bq) * (double)(y - x) / (double)best;
	}
	if (gpu_j)
		*gpu_j = gpu;
	return host + gpu;
}

int opc_sweep_init(struct opc_sweep *s, struct opc_trace *const *ts, size_t n)
{
	size_t nb = 0;

	memset(s, 0, sizeof(*s));
	s->ts = ts;
	s->n = n;
	for (size_t i = 0; i < n; i++)
		nb += ts[i]->energy.nsamples;
	s->b = malloc((nb ? nb : 1) * sizeof(*s->b));
	s->at = malloc((n ? n : 1) * sizeof(*s->at));
	if (s->b == NULL || s->at == NULL) {
		opc_sweep_free(s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		s->at[i] = 1;
		for (size_t k = 0; k < ts[i]->energy.nsamples; k++)
			s->b[s->nb++] = sample_ns(ts[i], k);
	}
	qsort(s->b, s->nb, sizeof(*s->b), u64_cmp);
	s->k = 0;
	if (counters_init(s) < 0) {
		opc_sweep_free(s);
		return -ENOMEM;
	}
	return 0;
}

int opc_sweep_next(struct opc_sweep *s, uint64_t *x, uint64_t *y, size_t *t, size_t *i)
{
	while (++s->k < s->nb) {
		uint64_t a = s->b[s->k - 1], b = s->b[s->k], best = UINT64_MAX;

		if (b == a)
			continue;
		for (size_t m = 0; m < s->n; m++) {
			const struct opc_trace *u = s->ts[m];
			size_t q = s->at[m];

			/* the first interval of u that ends after a */
			while (q < u->energy.nsamples && sample_ns(u, q) <= a)
				q++;
			s->at[m] = q;
			if (q >= u->energy.nsamples || sample_ns(u, q - 1) > a)
				continue;	/* u does not cover [a, b] */
			if (sample_ns(u, q) - sample_ns(u, q - 1) < best) {
				best = sample_ns(u, q) - sample_ns(u, q - 1);
				*t = m;
				*i = q;
			}
		}
		if (best == UINT64_MAX)
			continue;	/* no trace sampled it */
		*x = a;
		*y = b;
		return 1;
	}
	return 0;
}

void opc_sweep_free(struct opc_sweep *s)
{
	free(s->b);
	free(s->at);
	free(s->host);
	free(s->gdom);
	free(s->gname);
	s->b = NULL;
	s->at = NULL;
	s->host = NULL;
	s->gdom = NULL;
	s->gname = NULL;
	s->ngpu = 0;
}
