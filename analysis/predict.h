/*
 * predict.h - fitted coefficients (COEFFS.json, written by `opcount fit`)
 * applied to a lowered architecture, and the life-cycle arithmetic of
 * docs/design.md ("The life-cycle model").
 */
#ifndef OPC_PREDICT_H
#define OPC_PREDICT_H

#include <stddef.h>

#include "arch.h"

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
	double per_flop;	/* over all FLOPs (model a) */
	struct opc_coeff_type *types;	/* per type (models b and c) */
	size_t ntypes;
	double per_call;	/* unit per call */
	double static_w;	/* W: J per second of wall time (energy) */
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

#endif
