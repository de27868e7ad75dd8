/*
 * fit.h - per-type cost coefficients fitted to traces (`opcount fit`).
 *
 * Data set
 * --------
 * One row per sampling interval of every trace (a run = one trace file):
 *
 *   target energy  the energy sample intervals [t(i-1), t(i)]: y = the
 *                  interval's energy (delta of the counted domains' total,
 *                  J); the counts of the INTERVAL records are joined on
 *                  time, weighted by overlap as analysis/attribute.c does.
 *                  Intervals with no intercepted call are rows too (idle
 *                  time costs energy).
 *   target time    the INTERVAL records: y = busy time of the intercepted
 *                  calls in the interval (s, summed over calling threads,
 *                  short calls scaled from their timed sample).  Wall time
 *                  also holds the program's own code, which no BLAS count
 *                  explains; busy time is what the counts can predict.
 *
 * Features of a row, per type (a key's layer type when its layer has one,
 * else its routine family: "Linear", "gemm"): FLOPs and bytes; and over all
 * types: calls and wall seconds.  Nested keys are left out (their work is
 * inside an outer call).  A run's features and target are the sums over
 * its rows.
 *
 * Models, all linear with non-negative coefficients (NNLS):
 *   (a) y = c * FLOPs
 *   (b) y = sum_t c_t * FLOPs_t
 *   (c) y = sum_t (f_t * FLOPs_t + b_t * bytes_t) + p * calls [+ P * seconds]
 *       (the static-power term only for energy)
 * Fitted on the rows, each row of run r weighted by sqrt(n_r / k_g) / Y_r
 * (n_r its rows, Y_r its measured total, k_g the runs of its group): each
 * run's relative error counts once, each group's runs together once; a
 * run's prediction is the model applied to its totals.  Cross-validation
 * leaves one group of runs out (traces with the same command line, so
 * that repeated recordings of one model never help
 * predict themselves; or one file; or one architecture, opc_fit_arch_of),
 * fits on the rest and predicts each held-out run's total.  It needs at
 * least 3 groups.
 *
 * COEFFS.json (docs/coeffs.md has the same with an example)
 * ------------
 * {
 *   "opcount_coeffs": 1,                 format version; readers check it
 *   "target": "energy" | "time",
 *   "unit": "J" | "s",                   unit of every predicted value
 *   "target_definition": string,         what y is, in words
 *   "energy_source": "rapl"|"perf"|"nvml"|"estimate"|"none"|"mixed",
 *   "energy_measured": bool,             false: the energy is an estimate
 *   "energy_note": string|null,          how an estimate was made
 *   "machine": { "cpu": str|null, "ncpu": int|null, "blas": str|null,
 *                "blas_threads": int|null, "host": str|null,
 *                "mixed": bool },        traces from several machines
 *   "units": { "per_flop": "J/FLOP", "per_byte": "J/byte",
 *              "per_call": "J/call", "static_w": "W" }   (s/... for time)
 *   "model": "a"|"b"|"c",                the one to use: lowest
 *                                        cross-validated MAPE, else "c"
 *   "models": { "a": MODEL, "b": MODEL, "c": MODEL },
 *   "types": { TYPE: { "flops": n, "bytes": n, "calls": n,
 *                      "busy_s": s } },  totals of the data set
 *   "cv": { "possible": bool, "group_by": "cmdline"|"file"|"arch",
 *           "groups": n, "verdict": string },
 *   "heldout": null | {                  only with --group arch and CV
 *       "group_by": "arch", "definition": string,
 *       "median_arch_err_pct": {"a","b","c"},  median over architectures
 *       "max_arch_err_pct": {"a","b","c"},     the worst architecture
 *       "median_type_err_pct": {"a","b","c"},  median over layer types
 *       "per_arch": [ { "arch", "runs", "err_pct": {"a","b","c"} } ],
 *       "per_type": { TYPE: { "runs", "err_pct": {"a","b","c"} } } },
 *                                        (per_type errors null for energy)
 *   "runs": [ { "path", "cmdline", "arch", "group": n, "intervals": n,
 *               "duration_s", "busy_s", "flops", "bytes", "calls",
 *               "measured": y, "fitted": {"a","b","c"},
 *               "predicted": {"a","b","c"}|null,   (held out)
 *               "unseen_types": [TYPE...] } ]
 * }
 * MODEL = {
 *   "description": string,
 *   "per_flop": x,            unit/FLOP over all FLOPs (model a; else 0)
 *   "per_type": { TYPE: { "per_flop": x, "per_byte": x } },  (b, c; {} in a)
 *   "per_call": x,            unit/call (c; else 0)
 *   "static_w": x,            W: J per second of wall time (c, energy;
 *                             always 0 for time)
 *   "fit": { "r2": x, "intervals": n, "coefficients": n },
 *                             in sample, per interval; fewer intervals
 *                             than coefficients: not determined
 *   "cv": { "r2": x, "mape": x (percent), "spearman": x, "runs": n } | null
 * }
 * Every model evaluates with one formula; a type missing from per_type
 * was never seen in the traces (a reader should say so):
 *   y = per_flop * FLOPs + sum_t (per_type[t].per_flop * FLOPs_t
 *       + per_type[t].per_byte * bytes_t) + per_call * calls
 *       + static_w * wall_seconds
 * Numbers that cannot be computed (a constant target's R^2) are null.
 */
#ifndef OPC_FIT_H
#define OPC_FIT_H

#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "trace.h"

#define OPC_COEFFS_VERSION 1
#define OPC_FIT_NMODELS 3	/* a, b, c */

enum opc_fit_target { OPC_FIT_ENERGY, OPC_FIT_TIME };
enum opc_fit_group { OPC_GROUP_CMDLINE, OPC_GROUP_FILE, OPC_GROUP_ARCH };

/* Feature layout of a row (and of a run's totals): FLOPs of type 0..T-1,
 * bytes of type 0..T-1, calls, wall seconds. */
#define OPC_FX_FLOPS(d, t)	((size_t)(t))
#define OPC_FX_BYTES(d, t)	((d)->ntypes + (size_t)(t))
#define OPC_FX_CALLS(d)		(2 * (d)->ntypes)
#define OPC_FX_SECONDS(d)	(2 * (d)->ntypes + 1)

struct opc_fit_type {
	char *name;
	double flops, bytes, calls, busy_s;	/* totals over every run */
};

struct opc_fit_run {
	char *path, *cmdline;
	size_t group;		/* cross-validation fold */
	size_t row0, nrows;	/* its rows in the data set */
	double *x;		/* nfeat totals */
	double measured;	/* target total: J or s */
	double busy_s;		/* intercepted calls, not nested */
	double duration_s;	/* wall time its rows cover */
	double fitted[OPC_FIT_NMODELS];		/* in sample */
	double predicted[OPC_FIT_NMODELS];	/* held out; NAN without CV */
	char **unseen;		/* types no other group has */
	size_t nunseen;
	char *arch;		/* its architecture (opc_fit_arch_of) */
	double *type_busy;	/* [ntypes]: measured busy s of each type */
	double *type_calls;	/* [ntypes]: calls of each type */
	double *type_pred;	/* [NMODELS * ntypes]: held out, per type */
};

struct opc_fit_data {
	enum opc_fit_target target;
	enum opc_fit_group group_by;
	struct opc_fit_type *types;
	size_t ntypes, nfeat;
	size_t nrows;
	double *x;		/* nrows * nfeat */
	double *y;		/* nrows */
	struct opc_fit_run *runs;
	size_t nruns, ngroups;
	double *cur_busy, *cur_calls;	/* the run being built: type_busy/calls */
	char source[32];	/* energy source, or "mixed" */
	int measured;		/* every trace read a hardware counter */
	char *note;		/* the first trace's energy note */
	struct {
		char *cpu, *blas, *host;
		long ncpu, blas_threads;	/* -1: unknown */
		int mixed;
	} machine;
};

struct opc_fit_model {
	int ok;			/* fitted */
	size_t nparams;		/* coefficients it fits */
	size_t rows;		/* intervals it was fitted to */
	double per_flop;	/* (a) */
	double *type_flop, *type_byte;	/* [ntypes] */
	double per_call, static_w;
	double *beta;		/* [nfeat]: the same as one coefficient per feature */
	double fit_r2;		/* in sample, per row; NAN if undefined */
	int cv;			/* cross-validated */
	double cv_r2, cv_mape, cv_spearman;	/* NAN if undefined */
	size_t cv_runs;		/* runs that entered the MAPE */
};

/*
 * Held-out error by architecture and by layer type (--group arch): an
 * architecture's error is the median over its runs of |predicted - measured|
 * / measured (percent) with the architecture left out of the fit; a type's
 * is the same median over the runs that have it, of the model's share for
 * that type (its FLOPs, bytes and calls) against the type's measured busy
 * time (time target only: the energy of one type is not measured).
 */
struct opc_fit_arch_err {
	char *name;
	size_t runs;
	double err[OPC_FIT_NMODELS];	/* percent; NAN: no run with a target */
};

struct opc_fit_heldout {
	int ok;				/* --group arch and cross-validated */
	struct opc_fit_arch_err *arch;	/* one per group */
	size_t narch;
	double *type_err;		/* [NMODELS * ntypes], NAN: none */
	size_t *type_runs;		/* [ntypes] */
	double arch_median[OPC_FIT_NMODELS], arch_max[OPC_FIT_NMODELS];
	double type_median[OPC_FIT_NMODELS];	/* over the types with an error */
};

struct opc_fit_result {
	struct opc_fit_model m[OPC_FIT_NMODELS];
	struct opc_fit_heldout ho;
	int cv;			/* cross-validation was possible */
	int best;		/* recommended model, 0..2 */
	char verdict[512];
};

/*
 * Build the data set.  Traces are read by the caller (opc_trace_read) and
 * must outlive nothing: the data set copies what it keeps.  Returns 0, or
 * -1 with a message for the user in err (naming the file when one is at
 * fault); warnings are printed with pr_warn.
 */
int opc_fit_build(struct opc_fit_data *d, struct opc_trace *traces, size_t ntraces,
		  enum opc_fit_target target, enum opc_fit_group group_by,
		  char *err, size_t errlen);
void opc_fit_data_free(struct opc_fit_data *d);

/* Fit model 0..2 on every row outside `exclude_group` (-1: all rows).
 * Returns 0, or -1 (out of memory or a numerical failure). */
int opc_fit_model(const struct opc_fit_data *d, int model, ssize_t exclude_group,
		  struct opc_fit_model *out);
void opc_fit_model_free(struct opc_fit_model *m);
/* The model's prediction for a features vector (a row or a run total). */
double opc_fit_eval(const struct opc_fit_data *d, const struct opc_fit_model *m, const double *x);

/* Fit the three models on everything, cross-validate, pick, judge. */
int opc_fit_all(struct opc_fit_data *d, struct opc_fit_result *r);
void opc_fit_result_free(struct opc_fit_result *r);

/* The COEFFS.json document (the caller puts it). */
json_object *opc_fit_json(const struct opc_fit_data *d, const struct opc_fit_result *r);

/* A trace's architecture: "ROOT#HASH", ROOT the name of its first top layer
 * region (opcount_torch.annotate(model, name) names the model's) and HASH
 * a hash of the set of its layers' (name, type); a trace without layers is
 * its command line (or path).  Malloc'ed; NULL when out of memory. */
char *opc_fit_arch_of(const struct opc_trace *t);

const char *opc_fit_model_desc(const struct opc_fit_data *d, int model);
const char *opc_fit_model_short(int model);
const char *opc_fit_unit(const struct opc_fit_data *d);

#endif
