/*
 * predict.h - fitted coefficients (COEFFS.json, written by `opcount fit`)
 * applied to a lowered architecture, the life-cycle arithmetic of
 * docs/design.md ("The life-cycle model"), and the engine of
 * `opcount predict` that puts them together with measured traces and a
 * carbon intensity (opc_predict).
 */
#ifndef OPC_PREDICT_H
#define OPC_PREDICT_H

#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "carbon.h"
#include "steps.h"

struct opc_coeff_type {
	char name[64];		/* layer type ("Linear") or routine class ("gemm") */
	double per_flop;	/* unit per FLOP */
	double per_byte;	/* unit per byte */
};

/*
 * One model of COEFFS.json (analysis/fit.h, docs/coeffs.md).  Every model
 * evaluates with the same formula:
 *   y = per_flop * FLOPs + sum_t (per_type[t].per_flop * FLOPs_t
 *       + per_type[t].per_byte * bytes_t) + per_call * calls
 *       + static_w * wall_seconds
 */
struct opc_coeffs {
	char *path;
	int time;		/* fitted for time (s), not energy (J) */
	char unit[8];		/* "J" or "s" */
	char energy_source[32];	/* of the traces it was fitted on */
	int energy_measured;
	char energy_note[256];	/* how an estimate was made */
	char machine[512];	/* one line, from the "machine" object */
	int machine_mixed;	/* fitted on traces of several machines */
	char model;		/* 'a', 'b' or 'c' */
	char model_desc[160];	/* the file's description of the model */
	double cv_mape;		/* cross-validated MAPE (percent), < 0 if none */
	/* held out by architecture (fit --group arch, "heldout"): the median
	 * and worst architecture's error of this model, percent; < 0 if none */
	double ho_median, ho_max;
	long ho_narch;
	/* the model's held-out error of each architecture (finite ones) and of
	 * each layer type with one (time fits only); see opc_uncertainty */
	double *ho_arch;
	size_t nho_arch;
	struct opc_coeff_herr *ho_types;
	size_t nho_types;
	double per_flop;	/* over all FLOPs (model a) */
	struct opc_coeff_type *types;	/* per type (models b and c) */
	size_t ntypes;
	double per_call;	/* unit per call */
	double static_w;	/* W: J per second of wall time (energy) */
};

/* A layer type's held-out error ("heldout.per_type", fit --group arch). */
struct opc_coeff_herr {
	char name[64];
	double err_pct;		/* of the model in use: median over runs, percent */
	long runs;
};

/* What one lowered operation costs under the coefficients, in their unit. */
struct opc_op_cost {
	const char *coeff_type;	/* the per_type entry used; NULL: none */
	int fallback;		/* the layer type was missing: routine class "gemm" used */
	int untyped;		/* neither was there: priced by per_flop alone */
	double work;		/* FLOPs and bytes terms */
	double calls;		/* per-call term */
	double total;
};

/*
 * Read COEFFS.json and select a model ('a', 'b', 'c', or 0 for the one
 * the file recommends).  On error -EINVAL with a message naming the file
 * and the field in err.
 */
int opc_coeffs_load(const char *path, char model, struct opc_coeffs *c, char *err, size_t len);
int opc_coeffs_parse(const char *text, const char *path, char model, struct opc_coeffs *c,
		     char *err, size_t len);
void opc_coeffs_free(struct opc_coeffs *c);
const char *opc_coeffs_model_desc(char model);

/*
 * Cost of every operation of lw (out has lw->nops entries), without the
 * static term (it needs wall time, which the lowering does not know).  An
 * operation whose layer type has no per_type entry falls back to the
 * routine class "gemm"; when neither is there and the model has no
 * per_flop over all FLOPs, -ENOENT with a message.
 */
int opc_coeffs_eval(const struct opc_coeffs *c, const struct opc_arch *a,
		    const struct opc_lowering *lw, struct opc_op_cost *out, char *err, size_t len);

/* IT energies (before PUE) of the life cycle, per docs/design.md. */
struct opc_lifecycle {
	double infer_j;		/* I: one inference */
	double train_sample_j;	/* one sample's share of a training step */
	double overhead;	/* train_sample_j / infer_j */
	double samples, epochs, tuning_runs, inferences;	/* D, E, H, N */
	double training_j;	/* T = I * D * E * overhead */
	double tuning_j;	/* CT = H * T */
	double inference_j;	/* N * I */
	double total_j;		/* LC = CT + T + N * I */
};

void opc_lifecycle_compute(struct opc_lifecycle *lc);

/* ---- the engine of `opcount predict` ------------------------------------ */

/* A number of struct opc_predict_req is given: "not given" is < 0. */
#define OPC_GIVEN(x) ((x) >= 0)

/*
 * What to predict: the options of `opcount predict`, which fills it from
 * its command line; the engine's messages name those options.  Start from
 * opc_predict_req_init(): every number "not given" (< 0), every path NULL,
 * the default PUE.
 */
struct opc_predict_req {
	const char *coeffs;		/* COEFFS.json: predict I and a training step */
	const char *time_coeffs;	/* a time fit: static power x predicted busy time */
	const char *arch;		/* MODEL.json, lowered to its BLAS calls */
	const char *from_trace;		/* a trace of inference only: I measured */
	const char *train_trace;	/* a trace of training the same model */
	const char *region;		/* carbon intensity from the tables in data/ */
	char model;			/* of coeffs: 'a', 'b', 'c'; 0 the file's choice */
	int64_t batch;			/* of arch; 0 the file's "batch" */
	struct opc_lower_opts lower;	/* version 2 conv2d: oneDNN (default) or gemm */
	int lower_given;		/* --conv or --torch-threads given */
	double power_w;			/* W: a time fit given as coeffs into energy */
	double trace_inferences;	/* inferences the from_trace run made */
	double train_samples;		/* samples x epochs of train_trace */
	double overhead;		/* the training overhead, given */
	double samples, epochs, tuning_runs, inferences;	/* D, E, H, N */
	double intensity;		/* gCO2eq/kWh; replaces the region's */
	double pue;
	double energy_j;		/* plain carbon arithmetic on this IT energy */
	/* from_trace with steps: a short training run extrapolated (steps.h) */
	double steps;			/* TOTAL steps of the whole run */
	const char *step_layer;		/* the region entered once per step; NULL "step" */
	double skip;			/* warm-up steps left out of the statistics */
};

void opc_predict_req_init(struct opc_predict_req *q);

/* Where the training overhead (train_sample_j / infer_j) comes from. */
enum opc_overhead_source {
	OPC_OVH_NONE,		/* not known: no training energy */
	OPC_OVH_LOWERING,	/* the coefficients on forward + backward over forward */
	OPC_OVH_FLOPS,		/* the lowering's FLOPs, forward + backward over forward */
	OPC_OVH_MEASURED,	/* the two traces, both energies measured */
	OPC_OVH_TRACES,		/* the two traces, some energy estimated */
	OPC_OVH_GIVEN,		/* req.overhead */
};

/* A measured run: the energy and work of a trace, and its sample count. */
struct opc_trace_energy {
	const char *path;
	char source[32], cmdline[256];
	char host[256], cpu[256];	/* the machine the trace was recorded on */
	int measured, complete;
	double energy_j, duration_s, samples;
	uint64_t flops, calls;
};

/*
 * Per-value uncertainty of a prediction from coefficients (docs/coeffs.md,
 * "Uncertainty of a prediction"): a value v gets the range
 * [max(0, v (1 - e)), v (1 + e)] with e the median (the 0.5 quantile) of
 * the absolute relative errors of the model's held-out predictions: over
 * the architectures for a total, over the runs with the layer's type for a
 * layer.  A layer whose type has no held-out error (an energy fit, a type
 * the fit never saw, a file without "heldout") has none: err_pct < 0.
 */
#define OPC_UNC_QUANTILE 0.5

struct opc_layer_unc {
	const char *name, *type;	/* the architecture's (p->arch) */
	const char *err_type;		/* the held-out type it was judged by, or NULL */
	double err_pct;			/* < 0: not validated */
	double infer_j, train_j;	/* forward ops; all ops of a training step */
};

struct opc_uncertainty {
	double total_pct;		/* < 0: unknown (no per-architecture errors) */
	size_t narch;			/* architectures it is the median of */
	struct opc_layer_unc *layers;	/* one per layer of p->arch with an op */
	size_t nlayers;
	/* the life-cycle energies (I, training, totals) come from the
	 * coefficients alone, so the total's range applies to them */
	int lifecycle;
};

/* [lo, hi] of v under a relative error of e_pct percent (>= 0). */
void opc_unc_range(double v, double e_pct, double *lo, double *hi);

struct opc_prediction {
	struct opc_predict_req req;	/* answered (its strings are the caller's) */
	struct opc_arch arch;
	struct opc_lowering lw;
	struct opc_coeffs co, tco;
	struct opc_op_cost *cost;	/* per op, in the coefficients' unit */
	double *op_j;			/* per op: energy of its calls in one batch */
	double *op_static_j;		/* per op: static power x predicted time */
	int have_arch, have_coeffs, have_tco, have_pred, static_applied;
	int lower_bound;		/* static power not (fully) applied */
	double pred_infer_batch_j, pred_train_batch_j;	/* from the coefficients */
	struct opc_uncertainty unc;	/* have_pred: ranges of the predicted values */
	struct opc_trace_energy infer_tr, train_tr;
	int have_infer_tr, have_train_tr;
	struct opc_lifecycle lc;	/* IT energies, before the PUE */
	int have_lifecycle;
	enum opc_overhead_source ovh;
	struct opc_intensity ci;
	int have_carbon;
	struct opc_steps st;		/* req.steps given: the steps of from_trace */
	int have_steps;
	struct opc_steps_total steps_j, steps_s;	/* the whole run, IT J and s */
	char **notes;			/* what the reader must know about the numbers */
	size_t nnotes;
};

/*
 * Check that the request makes sense: -EINVAL with one message naming
 * the options for each combination that does not.
 */
int opc_predict_check(const struct opc_predict_req *q, char *err, size_t len);

/*
 * Answer q (checked first): lower the architecture, price it with the
 * coefficients, measure the traces, choose I and the training overhead
 * (opc_predict_lifecycle) and look up the carbon intensity.  With
 * req.energy_j given, only the carbon intensity.  On error a negative
 * errno with the message in err, empty where the trace reader has
 * printed its own; p is then freed.  Warnings (an incomplete trace) go to
 * stderr as they are found.
 */
int opc_predict(const struct opc_predict_req *q, struct opc_prediction *p, char *err,
		size_t len);

/*
 * From what opc_predict loaded into p (the traces' energies, the
 * coefficients' prediction, the lowering), choose the energy of one
 * inference and the training overhead, and compute the life cycle of
 * p->req.  I is measured when there is an inference trace, else
 * predicted.  The overhead, in this order of preference: the training
 * trace; --overhead; the coefficients (training step over inference
 * batch); the lowering's FLOPs; none.
 */
void opc_predict_lifecycle(struct opc_prediction *p);

void opc_prediction_free(struct opc_prediction *p);

/* One IT energy as the output gives it: with PUE, in kWh, in CO2eq. */
struct opc_quantity {
	double it_j;
	double j;		/* it_j x PUE */
	double kwh;
	int have_co2;		/* a carbon intensity is known */
	double co2eq_g;
};

void opc_predict_quantity(const struct opc_prediction *p, double it_j, struct opc_quantity *q);

#endif
