/*
 * ranks.h - the ranks of a distributed job and the nodes they ran on, from
 * the traces' INFO (rank, world_size, local_rank, job, launcher, host,
 * boot_id), checked to be one job.
 */
#ifndef OPC_RANKS_H
#define OPC_RANKS_H

#include <stddef.h>

#include "trace.h"

struct opc_rank_trace {
	long rank, world_size, local_rank;	/* -1: unknown (not a rank trace) */
	const char *job, *launcher;		/* the trace's INFO, or NULL */
	int node;				/* into opc_job.nodes; -1: unknown */
};

/* A node: host name + boot id (never the rank's environment alone). */
struct opc_rank_node {
	const char *host, *boot_id;	/* the first trace's INFO */
	char *label;			/* the host, or host/boot id where two share it */
};

struct opc_ranks {
	struct opc_rank_trace *tr;	/* one per trace */
	size_t ntraces;
	struct opc_rank_node *nodes;
	size_t nnodes;
	const char *id, *launcher;	/* of the job; NULL: no rank trace, or mixed */
	int mixed;			/* several jobs, or jobs and other traces (--allow-mixed) */
	long world_size;		/* -1: unknown */
	long *ranks;			/* present, ascending, each once */
	size_t nranks;
	long *missing;			/* ranks below world_size with no trace */
	size_t nmissing;
	size_t *truncated;		/* traces of ranks without END (killed) */
	size_t ntruncated;
};

/*
 * Read the traces' job and node INFO.  Unless allow_mixed, traces of
 * different jobs, or traces that claim one job but cannot be one (a rank
 * twice from unrelated processes, ranks apart in time, world sizes that
 * differ, a rank past the world size) are refused: -1 after an error
 * that names the traces.  0 otherwise (free with opc_ranks_free either way).
 */
int opc_ranks_load(struct opc_ranks *j, const struct opc_trace *tr, size_t n, int allow_mixed);
void opc_ranks_free(struct opc_ranks *j);
/* Missing or truncated ranks. */
static inline int opc_ranks_incomplete(const struct opc_ranks *j)
{
	return j->nmissing || j->ntruncated;
}

/*
 * The time line of a node's traces cut at every energy sample of every
 * one (real time: start_realtime_ns + the sample's time), walked stretch
 * by stretch; each stretch that some trace's sampling interval covers
 * comes once, with the shortest such interval (the finest power reading
 * of it).  What a node's energy is counted from, once: the report
 * (attribute.c) and fit (fit.c) alike.
 */
struct opc_sweep {
	struct opc_trace *const *ts;
	size_t n;
	uint64_t *b;		/* every sample, sorted */
	size_t nb, k;		/* stretch k is [b[k - 1], b[k]] */
	size_t *at;		/* per trace: its first sample after the stretch's start */
	/* the node's counters (opc_sweep_joules): the host's, read by the
	 * traces with host[m], and each GPU (by domain name) once, trace m's
	 * domain of GPU g being gdom[m * ngpu + g] (-1: m does not read it) */
	char *host;
	int *gdom;
	size_t ngpu;
	const char **gname;	/* the GPUs' domain names, in the traces' storage */
};

int opc_sweep_init(struct opc_sweep *s, struct opc_trace *const *ts, size_t n);	/* 0 or -ENOMEM */
/* The next covered stretch [*x, *y] and its interval: trace *t, samples
 * *i - 1 to *i.  0 when there is none left. */
int opc_sweep_next(struct opc_sweep *s, uint64_t *x, uint64_t *y, size_t *t, size_t *i);
/*
 * The node's energy in the stretch [x, y] opc_sweep_next gave last: each
 * of its counters once, the host's (every counted domain but the GPUs) and
 * each GPU's (NVML domain "gpu<I> <NAME>": the index on the machine, which
 * CUDA_VISIBLE_DEVICES does not change), each from the shortest interval
 * covering the stretch of the traces that read that counter, prorated by
 * time.  Traces that read the same counters take it all from the one
 * trace opc_sweep_next names; traces whose GPUs differ (each rank its own
 * CUDA_VISIBLE_DEVICES) each add theirs, and a GPU several read counts
 * once.  *gpu_j (if not NULL): of it, the GPUs'.
 */
double opc_sweep_joules(const struct opc_sweep *s, uint64_t x, uint64_t y, double *gpu_j);
/* The node's GPU index of domain d of trace m (a counted GPU domain), or -1. */
long opc_sweep_gpu(const struct opc_sweep *s, size_t m, int d);
void opc_sweep_free(struct opc_sweep *s);

#endif
