/*
 * predict.c - coefficients from `opcount fit` applied to a lowered
 * architecture, and the life-cycle arithmetic of docs/design.md.
 *
 * The coefficient file is written by a program, and may grow fields (cross
 * validation scores, a plot's path) that prediction does not need: unknown
 * fields are ignored, while every field that prediction uses is checked
 * and a bad one is reported with the file and its JSON path.
 *
 * opc_predict() is the engine of `opcount predict` (analysis/cmd_predict.c
 * parses its options and prints what this computes).
 */
#define PR_FMT "predict"
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datadir.h"
#include "log.h"
#include "predict.h"
#include "profile.h"
#include "util.h"

const char *opc_coeffs_model_desc(char model)
{
	switch (model) {
	case 'a': return "FLOPs only";
	case 'b': return "per-type FLOPs";
	case 'c': return "per-type FLOPs and bytes, per call, static power";
	}
	return "?";
}

/* A coefficient: a finite number >= 0 (the fit is non-negative). */
static int get_coeff(struct opc_errctx *c, json_object *o, const char *where, const char *key,
		     int required, double *out)
{
	json_object *v;
	double x;

	*out = 0;
	if (!json_object_object_get_ex(o, key, &v)) {
		if (required)
			return opc_errctx_fail(c, "%s: missing \"%s\"", where, key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
		return opc_errctx_fail(c, "%s.%s: expected a number, got %s", where, key,
			    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	x = json_object_get_double(v);
	if (!isfinite(x) || x < 0)
		return opc_errctx_fail(c, "%s.%s: %g: coefficients are finite and non-negative", where, key,
			    x);
	*out = x;
	return 0;
}

static int get_str(struct opc_errctx *c, json_object *o, const char *key, int required,
		   const char **out)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
		if (required)
			return opc_errctx_fail(c, "missing \"%s\"", key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return opc_errctx_fail(c, "\"%s\": expected a string, got %s", key,
			    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	*out = json_object_get_string(v);
	return 0;
}

/* "cpu=Intel Xeon ..., ncpu=8, blas=openblas, blas_threads=8" */
static void machine_line(json_object *m, struct opc_coeffs *co)
{
	char *buf = co->machine;
	size_t o = 0, len = sizeof(co->machine);

	buf[0] = 0;
	if (json_object_is_type(m, json_type_string)) {
		snprintf(buf, len, "%s", json_object_get_string(m));
		return;
	}
	if (!json_object_is_type(m, json_type_object))
		return;
	json_object_object_foreach(m, key, val) {
		if (!strcmp(key, "mixed")) {
			co->machine_mixed = json_object_get_boolean(val);
			continue;
		}
		if (o >= len || json_object_is_type(val, json_type_object) ||
		    json_object_is_type(val, json_type_array) ||
		    json_object_is_type(val, json_type_null))
			continue;
		o += snprintf(buf + o, len - o, "%s%s=%s", o ? ", " : "", key,
			      json_object_get_string(val));
	}
}

static int parse_types(struct opc_errctx *c, json_object *model, const char *where0,
		       struct opc_coeffs *co)
{
	json_object *pt;
	char where[160];
	size_t n = 0;

	if (!json_object_object_get_ex(model, "per_type", &pt) ||
	    json_object_is_type(pt, json_type_null))
		return 0;
	if (!json_object_is_type(pt, json_type_object))
		return opc_errctx_fail(c, "%s.per_type: expected an object of layer types, e.g. "
			    "{\"Linear\": {\"per_flop\": 1e-10, \"per_byte\": 1e-9}}", where0);
	if (json_object_object_length(pt) == 0)
		return 0;
	co->types = calloc(json_object_object_length(pt), sizeof(*co->types));
	if (co->types == NULL)
		return opc_errctx_fail(c, "out of memory");
	json_object_object_foreach(pt, key, val) {
		struct opc_coeff_type *t = &co->types[n];

		snprintf(where, sizeof(where), "%s.per_type.%s", where0, key);
		if (!json_object_is_type(val, json_type_object))
			return opc_errctx_fail(c, "%s: expected an object with \"per_flop\" and \"per_byte\"",
				    where);
		if (strlen(key) >= sizeof(t->name) || !*key)
			return opc_errctx_fail(c, "%s: type name must have 1 to %zu characters", where,
				    sizeof(t->name) - 1);
		snprintf(t->name, sizeof(t->name), "%s", key);
		if (get_coeff(c, val, where, "per_flop", 1, &t->per_flop) < 0 ||
		    get_coeff(c, val, where, "per_byte", 0, &t->per_byte) < 0)
			return -EINVAL;
		co->ntypes = ++n;
	}
	return 0;
}

/* A number of JSON (int or double), or NAN. */
static double json_num(json_object *o)
{
	if (o && (json_object_is_type(o, json_type_double) || json_object_is_type(o, json_type_int)))
		return json_object_get_double(o);
	return NAN;
}

/* o.err_pct[model] when o is an object, else NAN. */
static double err_of(json_object *o, const char *model)
{
	json_object *e, *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "err_pct", &e) ||
	    !json_object_is_type(e, json_type_object) || !json_object_object_get_ex(e, model, &v))
		return NAN;
	return json_num(v);
}

/*
 * The model's held-out errors, for the per-value ranges (opc_uncertainty):
 * heldout.per_arch[].err_pct[model] and heldout.per_type.T.err_pct[model]
 * (null for an energy fit: the energy of one type is not measured).  Only
 * finite, non-negative numbers are kept; a malformed entry is one less
 * error known, not a refusal (the coefficients themselves are fine).
 */
static int heldout_errors(struct opc_errctx *c, json_object *ho, const char *model,
			  struct opc_coeffs *co)
{
	json_object *x;

	if (json_object_object_get_ex(ho, "per_arch", &x) &&
	    json_object_is_type(x, json_type_array) && json_object_array_length(x)) {
		size_t n = json_object_array_length(x);

		co->ho_arch = calloc(n, sizeof(*co->ho_arch));
		if (co->ho_arch == NULL)
			return opc_errctx_fail(c, "out of memory");
		for (size_t i = 0; i < n; i++) {
			double e = err_of(json_object_array_get_idx(x, i), model);

			if (isfinite(e) && e >= 0)
				co->ho_arch[co->nho_arch++] = e;
		}
	}
	if (json_object_object_get_ex(ho, "per_type", &x) &&
	    json_object_is_type(x, json_type_object) && json_object_object_length(x)) {
		co->ho_types = calloc(json_object_object_length(x), sizeof(*co->ho_types));
		if (co->ho_types == NULL)
			return opc_errctx_fail(c, "out of memory");
		json_object_object_foreach(x, key, val) {
			struct opc_coeff_herr *h = &co->ho_types[co->nho_types];
			double e = err_of(val, model);
			json_object *r;

			if (!isfinite(e) || e < 0 || !*key || strlen(key) >= sizeof(h->name))
				continue;
			snprintf(h->name, sizeof(h->name), "%s", key);
			h->err_pct = e;
			h->runs = json_object_object_get_ex(val, "runs", &r) &&
				  isfinite(json_num(r)) ? (long)json_num(r) : -1;
			co->nho_types++;
		}
	}
	return 0;
}

static int parse_root(struct opc_errctx *c, json_object *root, char model, struct opc_coeffs *co)
{
	json_object *v, *models, *m;
	const char *s;
	char name[2] = { 0, 0 }, where[16];

	if (!json_object_is_type(root, json_type_object))
		return opc_errctx_fail(c, "not a coefficients file: expected a JSON object");
	if (!json_object_object_get_ex(root, "opcount_coeffs", &v))
		return opc_errctx_fail(c, "not a coefficients file: no \"opcount_coeffs\" version field "
			    "(write one with opcount fit TRACE... -o COEFFS.json)");
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) != 1)
		return opc_errctx_fail(c, "\"opcount_coeffs\": this opcount reads version 1, got %s",
			    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));

	if (get_str(c, root, "target", 1, &s) < 0)
		return -EINVAL;
	if (!strcmp(s, "energy"))
		co->time = 0;
	else if (!strcmp(s, "time"))
		co->time = 1;
	else
		return opc_errctx_fail(c, "\"target\": expected \"energy\" or \"time\", got \"%s\"", s);
	snprintf(co->unit, sizeof(co->unit), "%s", co->time ? "s" : "J");
	if (get_str(c, root, "unit", 0, &s) < 0)
		return -EINVAL;
	if (s && strcmp(s, co->unit))
		return opc_errctx_fail(c, "\"unit\": a fit of %s is in %s, got \"%s\"",
			    co->time ? "time" : "energy", co->unit, s);
	if (get_str(c, root, "energy_source", 0, &s) < 0)
		return -EINVAL;
	snprintf(co->energy_source, sizeof(co->energy_source), "%s", s ? s : "unknown");
	if (json_object_object_get_ex(root, "energy_measured", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return opc_errctx_fail(c, "\"energy_measured\": expected true or false");
		co->energy_measured = json_object_get_boolean(v);
	}
	if (get_str(c, root, "energy_note", 0, &s) < 0)
		return -EINVAL;
	snprintf(co->energy_note, sizeof(co->energy_note), "%s", s ? s : "");
	if (json_object_object_get_ex(root, "machine", &v))
		machine_line(v, co);

	if (!json_object_object_get_ex(root, "models", &models) ||
	    !json_object_is_type(models, json_type_object))
		return opc_errctx_fail(c, "missing \"models\" (an object with the fitted models a, b, c)");
	if (model == 0) {
		if (get_str(c, root, "model", 0, &s) < 0)
			return -EINVAL;
		if (s == NULL)
			return opc_errctx_fail(c, "missing \"model\", the recommended model (choose one "
				    "with --model a|b|c)");
		if (strlen(s) != 1 || s[0] < 'a' || s[0] > 'c')
			return opc_errctx_fail(c, "\"model\": expected \"a\", \"b\" or \"c\", got \"%s\"", s);
		model = s[0];
	}
	co->model = model;
	name[0] = model;
	snprintf(where, sizeof(where), "models.%c", model);
	if (!json_object_object_get_ex(models, name, &m) ||
	    !json_object_is_type(m, json_type_object))
		return opc_errctx_fail(c, "%s: missing: model %c (%s) was not fitted", where, model,
			    opc_coeffs_model_desc(model));
	if (get_str(c, m, "description", 0, &s) < 0)
		return -EINVAL;
	snprintf(co->model_desc, sizeof(co->model_desc), "%s",
		 s ? s : opc_coeffs_model_desc(model));
	co->cv_mape = -1;
	if (json_object_object_get_ex(m, "cv", &v) && json_object_is_type(v, json_type_object)) {
		json_object *x;

		if (json_object_object_get_ex(v, "mape", &x) &&
		    (json_object_is_type(x, json_type_double) || json_object_is_type(x, json_type_int)))
			co->cv_mape = json_object_get_double(x);
	}
	co->ho_median = co->ho_max = -1;
	if (json_object_object_get_ex(root, "heldout", &v) && json_object_is_type(v, json_type_object)) {
		json_object *x, *y;

		if (json_object_object_get_ex(v, "median_arch_err_pct", &x) &&
		    json_object_object_get_ex(x, name, &y) && json_num(y) >= 0)
			co->ho_median = json_num(y);
		if (json_object_object_get_ex(v, "max_arch_err_pct", &x) &&
		    json_object_object_get_ex(x, name, &y) && json_num(y) >= 0)
			co->ho_max = json_num(y);
		if (json_object_object_get_ex(v, "per_arch", &x) &&
		    json_object_is_type(x, json_type_array))
			co->ho_narch = (long)json_object_array_length(x);
		if (heldout_errors(c, v, name, co) < 0)
			return -EINVAL;
	}
	if (get_coeff(c, m, where, "per_flop", 0, &co->per_flop) < 0 ||
	    parse_types(c, m, where, co) < 0 ||
	    get_coeff(c, m, where, "per_call", 0, &co->per_call) < 0 ||
	    get_coeff(c, m, where, "static_w", 0, &co->static_w) < 0)
		return -EINVAL;
	if (co->per_flop == 0 && co->ntypes == 0 && co->per_call == 0 && co->static_w == 0)
		return opc_errctx_fail(c, "%s: every coefficient is zero or missing: nothing to predict with",
			    where);
	return 0;
}

int opc_coeffs_parse(const char *text, const char *path, char model, struct opc_coeffs *co,
		     char *err, size_t len)
{
	struct opc_errctx c = { path, err, len };
	char why[256];
	json_object *root;
	int ret;

	memset(co, 0, sizeof(*co));
	if (len)
		err[0] = 0;
	co->path = strdup(path);
	if (co->path == NULL)
		return opc_errctx_fail(&c, "out of memory");
	root = opc_json_parse_strict(text, why, sizeof(why));
	if (root == NULL)
		return opc_errctx_fail(&c, "%s", why);
	ret = parse_root(&c, root, model, co);
	json_object_put(root);
	return ret;
}

int opc_coeffs_load(const char *path, char model, struct opc_coeffs *co, char *err, size_t len)
{
	char *text = opc_read_text_file(path, err, len);
	int ret;

	if (text == NULL) {
		memset(co, 0, sizeof(*co));
		return -EINVAL;
	}
	ret = opc_coeffs_parse(text, path, model, co, err, len);
	free(text);
	return ret;
}

void opc_coeffs_free(struct opc_coeffs *co)
{
	free(co->path);
	free(co->types);
	free(co->ho_arch);
	free(co->ho_types);
	memset(co, 0, sizeof(*co));
}

static const struct opc_coeff_type *find_type_exact(const struct opc_coeffs *co,
						    const char *name)
{
	for (size_t i = 0; i < co->ntypes; i++)
		if (!strcmp(co->types[i].name, name))
			return &co->types[i];
	return NULL;
}

/* Coefficients fitted on GPU work are named "TYPE@gpu" (analysis/fit.c):
 * a file that has the host's TYPE uses it, one fitted on a GPU only its
 * GPU's. */
static const struct opc_coeff_type *find_type(const struct opc_coeffs *co, const char *name)
{
	const struct opc_coeff_type *t = find_type_exact(co, name);
	char gpu[256];

	if (t)
		return t;
	snprintf(gpu, sizeof(gpu), "%s@gpu", name);
	return find_type_exact(co, gpu);
}

/*
 * The coefficients of a layer type, and whether they are the fallback
 * "gemm": looked up once per type.  Layer types are the few names of
 * arch.c's tables, so a short list of the types seen keeps a lowering of
 * many layers linear, however many types the file has.
 */
struct type_memo {
	const char *type[32];
	const struct opc_coeff_type *t[32];
	int fallback[32];
	int n;
};

static const struct opc_coeff_type *memo_type(const struct opc_coeffs *co, struct type_memo *m,
					      const char *type, int *fallback)
{
	const struct opc_coeff_type *t;
	int i;

	for (i = 0; i < m->n; i++)
		if (m->type[i] == type || !strcmp(m->type[i], type)) {
			*fallback = m->fallback[i];
			return m->t[i];
		}
	t = find_type(co, type);
	*fallback = 0;
	if (t == NULL) {
		/* what a call outside any annotated layer is fitted as */
		t = find_type(co, "gemm");
		*fallback = 1;
	}
	if (m->n < 32) {
		m->type[m->n] = type;
		m->t[m->n] = t;
		m->fallback[m->n++] = *fallback;
	}
	return t;
}

int opc_coeffs_eval(const struct opc_coeffs *co, const struct opc_arch *a,
		    const struct opc_lowering *lw, struct opc_op_cost *out, char *err, size_t len)
{
	struct type_memo memo = { .n = 0 };

	for (size_t i = 0; i < lw->nops; i++) {
		const struct opc_lop *op = &lw->ops[i];
		const char *type = a->layers[op->layer].type;
		const struct opc_coeff_type *t = NULL;
		struct opc_op_cost *o = &out[i];

		memset(o, 0, sizeof(*o));
		o->work = co->per_flop * (double)op->flops;
		if (co->ntypes) {
			t = memo_type(co, &memo, type, &o->fallback);
			if (t == NULL && co->per_flop == 0) {
				snprintf(err, len, "%s: model %c has no coefficients for layer type "
					 "\"%s\" (layer %s) nor for the routine class \"gemm\": fit "
					 "traces that run %s layers, or use --model a", co->path,
					 co->model, type, a->layers[op->layer].name, type);
				return -ENOENT;
			}
			o->untyped = t == NULL;
		}
		if (t) {
			o->coeff_type = t->name;
			o->work += t->per_flop * (double)op->flops + t->per_byte * (double)op->bytes;
		}
		o->calls = co->per_call * (double)op->calls;
		o->total = o->work + o->calls;
	}
	return 0;
}

void opc_lifecycle_compute(struct opc_lifecycle *lc)
{
	lc->overhead = lc->infer_j > 0 ? lc->train_sample_j / lc->infer_j : 0;
	/* T = I * D * E * overhead, which is the per-sample training energy
	 * times the samples seen; written that way it stays exact when I is 0 */
	lc->training_j = lc->train_sample_j * lc->samples * lc->epochs;
	lc->tuning_j = lc->tuning_runs * lc->training_j;
	lc->inference_j = lc->inferences * lc->infer_j;
	lc->total_j = lc->tuning_j + lc->training_j + lc->inference_j;
}

/* ---- the engine of `opcount predict` ------------------------------------ */

void opc_predict_req_init(struct opc_predict_req *q)
{
	*q = (struct opc_predict_req){
		.power_w = -1, .trace_inferences = -1, .train_samples = -1, .overhead = -1,
		.samples = -1, .epochs = -1, .tuning_runs = -1, .inferences = -1,
		.intensity = -1, .pue = OPC_PUE_DEFAULT, .energy_j = -1, .steps = -1,
		.skip = -1,
	};
}

__attribute__((format(printf, 2, 3)))
static void note(struct opc_prediction *p, const char *fmt, ...)
{
	char buf[1024], **n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = realloc(p->notes, (p->nnotes + 1) * sizeof(*n));
	if (n == NULL)
		return;
	p->notes = n;
	p->notes[p->nnotes] = strdup(buf);
	if (p->notes[p->nnotes])
		p->nnotes++;
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int opc_predict_check(const struct opc_predict_req *o, char *err, size_t len)
{
	int lifecycle = OPC_GIVEN(o->samples) || OPC_GIVEN(o->epochs) ||
			OPC_GIVEN(o->tuning_runs) || OPC_GIVEN(o->inferences);

	if (o->lower_given && !o->arch)
		return fail(err, len, "--conv and --torch-threads choose how --arch is lowered, "
			    "which is not given");
	if (OPC_GIVEN(o->energy_j)) {
		if (o->coeffs || o->arch || o->from_trace || o->train_trace || lifecycle ||
		    OPC_GIVEN(o->overhead))
			return fail(err, len, "--energy-kwh/--energy-j is plain carbon arithmetic "
				    "on a given energy; it does not combine with --coeffs, --arch, "
				    "traces or life-cycle options");
		if (!o->region && !OPC_GIVEN(o->intensity))
			return fail(err, len, "--energy-kwh/--energy-j needs --region R or "
				    "--intensity G (gCO2eq/kWh) to give CO2eq");
		return 0;
	}
	if ((o->step_layer || OPC_GIVEN(o->skip)) && !OPC_GIVEN(o->steps))
		return fail(err, len, "--step-layer and --skip go with --from-trace TRACE "
			    "--steps TOTAL (a short training run extrapolated)");
	if (OPC_GIVEN(o->steps)) {
		if (!o->from_trace)
			return fail(err, len, "--steps TOTAL extrapolates a trace of the first "
				    "steps of training: give it with --from-trace TRACE");
		if (o->coeffs || o->arch || o->train_trace || OPC_GIVEN(o->trace_inferences) ||
		    lifecycle || OPC_GIVEN(o->overhead) || OPC_GIVEN(o->power_w) ||
		    o->time_coeffs || o->model || o->batch)
			return fail(err, len, "--from-trace TRACE --steps TOTAL extrapolates a "
				    "training run from its first steps; it does not combine with "
				    "--trace-inferences, --coeffs, --arch, --train-trace, "
				    "--overhead or life-cycle options (run the architecture "
				    "estimate separately to compare)");
		return 0;
	}
	if (!o->coeffs && !o->from_trace)
		return fail(err, len, "nothing gives energy: use --coeffs COEFFS.json --arch "
			    "MODEL.json to predict, --from-trace TRACE --trace-inferences N to "
			    "measure, or --energy-kwh X for plain carbon arithmetic (opcount "
			    "predict --help)");
	if (o->coeffs && !o->arch)
		return fail(err, len, "--coeffs needs --arch MODEL.json: the coefficients price "
			    "the operations of an architecture");
	if (o->model && !o->coeffs)
		return fail(err, len, "--model selects a model of --coeffs, which is not given");
	if (o->time_coeffs && !o->coeffs)
		return fail(err, len, "--time-coeffs completes --coeffs (static power x time), "
			    "which is not given");
	if (OPC_GIVEN(o->power_w) && !o->coeffs)
		return fail(err, len, "--power turns a time fit given as --coeffs into energy; "
			    "no --coeffs given");
	if (o->batch && !o->arch)
		return fail(err, len, "--batch sets the batch of --arch, which is not given");
	if (o->from_trace && !OPC_GIVEN(o->trace_inferences))
		return fail(err, len, "--from-trace needs --trace-inferences N: how many "
			    "inferences (samples through the forward pass) the trace ran; a "
			    "trace does not know it (or --steps TOTAL for a trace of the first "
			    "steps of training)");
	if (OPC_GIVEN(o->trace_inferences) && !o->from_trace)
		return fail(err, len, "--trace-inferences counts the inferences of --from-trace, "
			    "which is not given");
	if (o->train_trace && !o->from_trace)
		return fail(err, len, "--train-trace needs --from-trace INFER.opc: the measured "
			    "overhead is the ratio of the training and inference traces of the "
			    "same model");
	if (o->train_trace && !OPC_GIVEN(o->train_samples))
		return fail(err, len, "--train-trace needs --train-trace-samples N: the samples "
			    "it trained on times its epochs");
	if (OPC_GIVEN(o->train_samples) && !o->train_trace)
		return fail(err, len, "--train-trace-samples counts the samples of "
			    "--train-trace, which is not given");
	if (o->train_trace && OPC_GIVEN(o->overhead))
		return fail(err, len, "--overhead and --train-trace both give the training "
			    "overhead; keep one");
	if (lifecycle && (!OPC_GIVEN(o->samples) || !OPC_GIVEN(o->epochs)))
		return fail(err, len, "the life cycle needs both --samples D and --epochs E (0 "
			    "for no training)");
	if (lifecycle && o->samples > 0 && o->epochs > 0 && !o->train_trace &&
	    !OPC_GIVEN(o->overhead) && !o->arch)
		return fail(err, len, "training energy needs the training overhead: give "
			    "--train-trace TRACE --train-trace-samples N (measured), --arch "
			    "MODEL.json (derived from the lowering) or --overhead X");
	return 0;
}

/* The energy of a trace; the trace reader reports its own errors (err empty). */
static int load_trace(const char *path, double samples, struct opc_trace_energy *m, char *err,
		      size_t len)
{
	struct opc_profile p;
	char *paths[1] = { (char *)path };
	const char *cmd;

	memset(m, 0, sizeof(*m));
	err[0] = 0;
	if (opc_profile_load(&p, paths, 1) < 0 || opc_profile_group(&p, OPC_BY_OP, 0) < 0) {
		opc_profile_free(&p);
		return -EINVAL;
	}
	if (!p.have_energy) {
		opc_profile_free(&p);
		return fail(err, len, "%s: no energy samples in this trace (recorded with "
			    "--energy none, or too short to sample): record it with an energy "
			    "source", path);
	}
	m->path = path;
	snprintf(m->source, sizeof(m->source), "%s", p.source);
	cmd = opc_trace_info(&p.traces[0], "cmdline");
	snprintf(m->cmdline, sizeof(m->cmdline), "%s", cmd ? cmd : "?");
	cmd = opc_trace_info(&p.traces[0], "host");
	snprintf(m->host, sizeof(m->host), "%s", cmd ? cmd : "?");
	cmd = opc_trace_info(&p.traces[0], "cpu");
	snprintf(m->cpu, sizeof(m->cpu), "%s", cmd ? cmd : "?");
	m->measured = p.measured;
	m->complete = p.traces[0].ended;
	m->energy_j = p.energy_j;
	m->duration_s = p.duration_s;
	m->flops = p.flops;
	m->calls = p.calls;
	m->samples = samples;
	opc_profile_free(&p);
	if (!m->complete)
		pr_warn("%s: incomplete trace (the program was killed): its energy covers only "
			"part of the run", opc_tty(path));
	return 0;
}

/* The static power of the energy fit applied to the time fit's busy time, or why not. */
static void static_power_notes(struct opc_prediction *p, const struct opc_op_cost *tc)
{
	if (!p->co.time && p->co.static_w > 0) {
		if (tc) {
			p->static_applied = 1;
			note(p, "LOWER BOUND: static power %g W is applied to the busy time %s "
			     "predicts for the calls, but a run's wall time also holds the "
			     "program's own code", p->co.static_w, p->tco.path);
		} else {
			note(p, "LOWER BOUND: the static power of model %c (%g W) is not applied, "
			     "since it needs the run's time; --time-coeffs TIME.json (opcount fit "
			     "--target time) adds static power x predicted busy time", p->co.model,
			     p->co.static_w);
		}
		p->lower_bound = 1;
	} else if (tc) {
		note(p, "--time-coeffs unused: model %c has no static power", p->co.model);
	}
}

/* One note per layer type that the fit never saw (the types are few:
 * a short list of those noted). */
static void fallback_notes(struct opc_prediction *p)
{
	const char *noted[32];
	int nnoted = 0;

	for (size_t i = 0; i < p->lw.nops; i++) {
		const char *type = p->arch.layers[p->lw.ops[i].layer].type;
		int seen = 0;

		if (!p->cost[i].fallback)
			continue;
		for (int j = 0; j < nnoted && !seen; j++)
			seen = !strcmp(type, noted[j]);
		if (seen)
			continue;
		if (nnoted < 32)
			noted[nnoted++] = type;
		if (p->cost[i].untyped)
			note(p, "layer type %s was never seen by the fit of %s, nor the routine "
			     "class \"gemm\": its calls are priced by the per-FLOP coefficient "
			     "over all types only", type, p->co.path);
		else
			note(p, "layer type %s was never seen by the fit of %s: its calls are "
			     "priced with the routine class \"gemm\"", type, p->co.path);
	}
}

/* A time fit's busy time per operation (tc, lw.nops entries), for static power. */
static int load_time_coeffs(struct opc_prediction *p, struct opc_op_cost **tc, char *err,
			    size_t len)
{
	const struct opc_predict_req *o = &p->req;
	int ret;

	if (opc_coeffs_load(o->time_coeffs, 0, &p->tco, err, len) < 0)
		return -EINVAL;
	p->have_tco = 1;
	if (!p->tco.time)
		return fail(err, len, "--time-coeffs: %s is an energy fit; it needs a time fit "
			    "(opcount fit --target time)", o->time_coeffs);
	*tc = calloc(p->lw.nops, sizeof(**tc));
	if (*tc == NULL) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	ret = opc_coeffs_eval(&p->tco, &p->arch, &p->lw, *tc, err, len);
	return ret < 0 ? -EINVAL : 0;
}

/* ---- per-value uncertainty (predict.h, opc_uncertainty) ------------------ */

void opc_unc_range(double v, double e_pct, double *lo, double *hi)
{
	*lo = v * (1 - e_pct / 100);
	*hi = v * (1 + e_pct / 100);
	if (*lo < 0)	/* no cost is negative */
		*lo = 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of v[0..n) (sorted in place), as opcount fit takes it. */
static double median_of(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const struct opc_coeff_herr *herr_find(const struct opc_coeffs *co, const char *name)
{
	char gpu[256];

	for (int pass = 0; pass < 2; pass++) {
		if (pass)	/* fitted on a GPU only: "TYPE@gpu", as find_type */
			snprintf(gpu, sizeof(gpu), "%s@gpu", name);
		for (size_t i = 0; i < co->nho_types; i++)
			if (!strcmp(co->ho_types[i].name, pass ? gpu : name))
				return &co->ho_types[i];
	}
	return NULL;
}

/*
 * The ranges of the predicted values: each layer's from the held-out error
 * of the type that priced it, the totals' from the architectures'.  A
 * layer priced by the fallback "gemm" (its type never seen) is not
 * validated: gemm's error is that of calls outside layers, not this type's.
 */
static int uncertainty(struct opc_prediction *p, char *err, size_t len)
{
	struct opc_uncertainty *u = &p->unc;
	const struct opc_coeffs *co = &p->co;
	size_t *slot = NULL;

	u->total_pct = -1;
	u->narch = co->nho_arch;
	if (co->nho_arch) {
		double *v = malloc(co->nho_arch * sizeof(*v));

		if (v == NULL)
			goto nomem;
		memcpy(v, co->ho_arch, co->nho_arch * sizeof(*v));
		u->total_pct = median_of(v, co->nho_arch);
		free(v);
	}
	slot = malloc((p->arch.nlayers ? p->arch.nlayers : 1) * sizeof(*slot));
	u->layers = calloc(p->arch.nlayers ? p->arch.nlayers : 1, sizeof(*u->layers));
	if (!slot || !u->layers)
		goto nomem;
	for (size_t l = 0; l < p->arch.nlayers; l++)
		slot[l] = (size_t)-1;
	for (size_t i = 0; i < p->lw.nops; i++) {
		const struct opc_lop *op = &p->lw.ops[i];
		const struct opc_arch_layer *ly = &p->arch.layers[op->layer];
		struct opc_layer_unc *lu;

		if (slot[op->layer] == (size_t)-1) {
			const struct opc_op_cost *c = &p->cost[i];
			const struct opc_coeff_herr *h = NULL;

			slot[op->layer] = u->nlayers++;
			lu = &u->layers[slot[op->layer]];
			lu->name = ly->name;
			lu->type = ly->type;
			lu->err_pct = -1;
			/* the type that priced it: its own, or (model a, one
			 * coefficient for all) the layer's type as the fit saw it */
			if (!c->fallback && !c->untyped)
				h = herr_find(co, c->coeff_type ? c->coeff_type : ly->type);
			if (h) {
				lu->err_type = h->name;
				lu->err_pct = h->err_pct;
			}
		}
		lu = &u->layers[slot[op->layer]];
		if (op->phase == OPC_PHASE_FORWARD)
			lu->infer_j += p->op_j[i];
		lu->train_j += p->op_j[i];
	}
	free(slot);
	return 0;
nomem:
	free(slot);
	snprintf(err, len, "out of memory");
	return -ENOMEM;
}

/* Predicted energies of the lowering under the coefficients. */
static int predict_from_coeffs(struct opc_prediction *p, char *err, size_t len)
{
	const struct opc_predict_req *o = &p->req;
	struct opc_op_cost *tc = NULL;

	if (opc_coeffs_load(o->coeffs, o->model, &p->co, err, len) < 0)
		return -EINVAL;
	p->have_coeffs = 1;
	if (p->co.time && !OPC_GIVEN(o->power_w))
		return fail(err, len, "%s: fitted for time (target \"time\"), not energy: give "
			    "--power W to turn predicted seconds into an energy estimate, or fit "
			    "energy", o->coeffs);
	if (!p->co.time && OPC_GIVEN(o->power_w))
		return fail(err, len, "--power: %s is already an energy fit", o->coeffs);
	p->cost = calloc(p->lw.nops, sizeof(*p->cost));
	p->op_j = calloc(p->lw.nops, sizeof(*p->op_j));
	p->op_static_j = calloc(p->lw.nops, sizeof(*p->op_static_j));
	if (!p->cost || !p->op_j || !p->op_static_j) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	if (opc_coeffs_eval(&p->co, &p->arch, &p->lw, p->cost, err, len) < 0)
		return -EINVAL;
	if (o->time_coeffs) {
		int ret = load_time_coeffs(p, &tc, err, len);

		if (ret < 0) {
			free(tc);
			return ret;
		}
	}
	static_power_notes(p, tc);
	for (size_t i = 0; i < p->lw.nops; i++) {
		const struct opc_lop *op = &p->lw.ops[i];

		if (p->co.time)
			p->op_j[i] = p->cost[i].total * o->power_w;
		else
			p->op_j[i] = p->cost[i].total;
		if (p->static_applied) {
			p->op_static_j[i] = p->co.static_w * tc[i].total;
			p->op_j[i] += p->op_static_j[i];
		}
		if (op->phase == OPC_PHASE_FORWARD)
			p->pred_infer_batch_j += p->op_j[i];
		p->pred_train_batch_j += p->op_j[i];
	}
	fallback_notes(p);
	if (p->co.machine_mixed)
		note(p, "%s was fitted on traces of several machines", p->co.path);
	free(tc);
	if (uncertainty(p, err, len) < 0)
		return -ENOMEM;
	p->have_pred = 1;
	return 0;
}

/* Do the traces do the work the architecture says? */
static void flops_notes(struct opc_prediction *p, double b)
{
	if (p->have_arch && p->have_infer_tr) {
		double want = (double)p->lw.infer.flops / b, got = p->infer_tr.flops /
			      p->infer_tr.samples;

		if (fabs(got - want) > 1e-6 * want)
			note(p, "%s did %.6g FLOPs per inference, the architecture lowers to %.6g: "
			     "a different model, or a wrong --trace-inferences?", p->infer_tr.path,
			     got, want);
	}
	if (p->have_arch && p->have_train_tr) {
		double want = (double)p->lw.train.flops / b, got = p->train_tr.flops /
			      p->train_tr.samples;

		if (fabs(got - want) > 1e-6 * want)
			note(p, "%s did %.6g FLOPs per training sample, the architecture lowers to "
			     "%.6g: a different model, or a wrong --train-trace-samples?",
			     p->train_tr.path, got, want);
	}
}

void opc_predict_lifecycle(struct opc_prediction *p)
{
	const struct opc_predict_req *o = &p->req;
	struct opc_lifecycle *lc = &p->lc;
	double b = p->have_arch ? (double)p->lw.batch : 1;

	if (p->have_infer_tr)
		lc->infer_j = p->infer_tr.energy_j / p->infer_tr.samples;
	else
		lc->infer_j = p->pred_infer_batch_j / b;

	if (p->have_train_tr) {
		lc->train_sample_j = p->train_tr.energy_j / p->train_tr.samples;
		/* a ratio of two estimates is no measurement */
		p->ovh = p->train_tr.measured && p->infer_tr.measured ? OPC_OVH_MEASURED :
			 OPC_OVH_TRACES;
	} else if (OPC_GIVEN(o->overhead)) {
		lc->train_sample_j = lc->infer_j * o->overhead;
		p->ovh = OPC_OVH_GIVEN;
	} else if (p->have_pred && p->pred_infer_batch_j > 0) {
		lc->train_sample_j = lc->infer_j * (p->pred_train_batch_j / p->pred_infer_batch_j);
		p->ovh = OPC_OVH_LOWERING;
	} else if (p->have_arch && p->lw.infer.flops) {
		lc->train_sample_j = lc->infer_j * ((double)p->lw.train.flops / p->lw.infer.flops);
		p->ovh = OPC_OVH_FLOPS;
	} else {
		p->ovh = OPC_OVH_NONE;
	}
	opc_lifecycle_compute(lc);
	/* the totals' range applies to I and what follows from it only when
	 * no trace measured any of it */
	p->unc.lifecycle = p->have_pred && !p->have_infer_tr && !p->have_train_tr;
	if ((p->ovh == OPC_OVH_MEASURED || p->ovh == OPC_OVH_TRACES) && lc->overhead < 1)
		note(p, "the measured overhead is below 1: training used less energy per sample "
		     "than inference; check --trace-inferences and --train-trace-samples");
	flops_notes(p, b);

	p->have_lifecycle = OPC_GIVEN(o->samples);
	if (p->have_lifecycle) {
		lc->samples = o->samples;
		lc->epochs = o->epochs;
		lc->tuning_runs = OPC_GIVEN(o->tuning_runs) ? o->tuning_runs : 0;
		lc->inferences = OPC_GIVEN(o->inferences) ? o->inferences : 0;
		opc_lifecycle_compute(lc);
	}
}

/* --from-trace TRACE --steps TOTAL: the steps seen, the whole run extrapolated. */
static int compute_steps(struct opc_prediction *p, char *err, size_t len)
{
	const struct opc_predict_req *o = &p->req;
	struct opc_steps *s = &p->st;
	size_t skip = OPC_GIVEN(o->skip) ? (size_t)o->skip : 0;

	if (opc_steps_load(o->from_trace, o->step_layer ? o->step_layer : "step", skip, s, err,
			   len) < 0)
		return -EINVAL;
	p->have_steps = 1;
	if (o->steps < (double)s->nseen)
		return fail(err, len, "--steps %.0f: the trace already has %zu steps of '%s'; "
			    "TOTAL counts every step of the run, these included", o->steps,
			    s->nseen, s->layer);
	opc_steps_extrapolate(s, o->steps, 0, &p->steps_s);
	if (s->have_energy)
		opc_steps_extrapolate(s, o->steps, 1, &p->steps_j);
	else
		note(p, "%s has no energy samples (recorded with --energy none, or too short): "
		     "time only", o->from_trace);
	if (s->have_energy && !s->measured)
		note(p, "the trace's energy is ESTIMATED by %s, not measured", s->source);
	if (s->energy_short)
		note(p, "the energy samples end before the last step does: its energy is short");
	if (!s->last_closed)
		note(p, "the last entry of '%s' has no activity after it in the trace: %zu "
		     "entries give %zu steps", s->layer, s->nseen + 1, s->nseen);
	if (!s->complete)
		note(p, "%s is incomplete (the program was killed)", o->from_trace);
	if (s->mean_s < 10 * s->interval_s)
		note(p, "a step (%.3g s) lasts less than 10 sampling intervals (%.3g s): each "
		     "step's time and energy is uncertain by about an interval; record at a "
		     "higher OPCOUNT_HZ", s->mean_s, s->interval_s);
	note(p, "range: the whole run with the mean step replaced by its 95%% confidence "
	     "interval (Student t, %zu steps); it assumes the steps to come are like the "
	     "steps seen (no drift, same machine load)", s->n);
	return 0;
}

/* The arch, coefficients and traces of the request, then the life cycle. */
static int compute(struct opc_prediction *p, char *err, size_t len)
{
	const struct opc_predict_req *o = &p->req;
	int ret;

	if (OPC_GIVEN(o->steps))
		return compute_steps(p, err, len);

	if (o->arch) {
		if (opc_arch_load(o->arch, o->batch, &p->arch, err, len) < 0 ||
		    opc_arch_lower_opts(&p->arch, &o->lower, &p->lw, err, len) < 0)
			return -EINVAL;
		p->have_arch = 1;
	}
	if (o->coeffs) {
		ret = predict_from_coeffs(p, err, len);
		if (ret < 0)
			return ret;
	}
	if (o->from_trace) {
		if (load_trace(o->from_trace, o->trace_inferences, &p->infer_tr, err, len) < 0)
			return -EINVAL;
		p->have_infer_tr = 1;
	}
	if (o->train_trace) {
		if (load_trace(o->train_trace, o->train_samples, &p->train_tr, err, len) < 0)
			return -EINVAL;
		p->have_train_tr = 1;
	}
	opc_predict_lifecycle(p);
	return 0;
}

/* The region's intensity, replaced by --intensity where given. */
static int carbon(struct opc_prediction *p, char *err, size_t len)
{
	const struct opc_predict_req *o = &p->req;
	char why[2048];

	if (o->region) {
		if (opc_intensity_lookup(opc_data_dir(), o->region, &p->ci, why, sizeof(why)) < 0)
			return fail(err, len, "--region: %s", why);
		p->have_carbon = 1;
	}
	if (OPC_GIVEN(o->intensity)) {
		char was[sizeof(p->ci.source)];

		if (p->have_carbon)
			snprintf(was, sizeof(was), "--intensity (given; replaces %s's %g from "
				 "%.1200s)", p->ci.region, p->ci.g_per_kwh, p->ci.source);
		else
			snprintf(was, sizeof(was), "--intensity (given)");
		snprintf(p->ci.source, sizeof(p->ci.source), "%s", was);
		p->ci.g_per_kwh = o->intensity;
		p->ci.year = 0;
		p->have_carbon = 1;
	}
	return 0;
}

/* An energy the output shows, and what it becomes with PUE and carbon:
 * 0, or -ERANGE when any is not a finite number. */
static int quantity_finite(const struct opc_prediction *p, double it_j)
{
	struct opc_quantity q;

	opc_predict_quantity(p, it_j, &q);
	return isfinite(q.it_j) && isfinite(q.j) && isfinite(q.kwh) && isfinite(q.co2eq_g) ?
	       0 : -ERANGE;
}

/*
 * Every number the output prints must be one: D x E x ... of numbers each
 * below 1.8e308 can still overflow a double, and inf x 0 is NaN, which
 * neither a table nor JSON can give.  Refused, naming what overflowed and
 * the options that make it.
 */
static int results_finite(const struct opc_prediction *p, char *err, size_t len)
{
	static const char why[] = "is too large for a double: check --samples, --epochs, "
				  "--tuning-runs, --inferences, --pue, --intensity and the "
				  "energies given";
	const struct opc_lifecycle *lc = &p->lc;
	const struct {
		const char *name;
		double v;
	} q[] = {
		{ "the energy given", p->req.energy_j },
		{ "the inference energy I", lc->infer_j },
		{ "the training energy per sample", lc->train_sample_j },
		{ "the training energy T", lc->training_j },
		{ "the tuning energy CT", lc->tuning_j },
		{ "the serving energy N*I", lc->inference_j },
		{ "the life-cycle energy LC", lc->total_j },
		{ "the predicted energy of a training step", p->pred_train_batch_j },
		{ "the predicted energy of an inference batch", p->pred_infer_batch_j },
	};

	if (p->have_steps && (quantity_finite(p, p->steps_j.hi) < 0 ||
			      !isfinite(p->steps_s.hi)))
		return fail(err, len, "the extrapolated run %s", why);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if ((i > 0 || OPC_GIVEN(p->req.energy_j)) && quantity_finite(p, q[i].v) < 0)
			return fail(err, len, "%s %s", q[i].name, why);
	if (!isfinite(lc->overhead))
		return fail(err, len, "the training overhead %s", why);
	for (size_t i = 0; p->have_pred && i < p->lw.nops; i++)
		if (!isfinite(p->op_j[i]) || !isfinite(p->op_static_j[i]))
			return fail(err, len, "the predicted energy of layer %s %s",
				    p->arch.layers[p->lw.ops[i].layer].name, why);
	return 0;
}

int opc_predict(const struct opc_predict_req *q, struct opc_prediction *p, char *err,
		size_t len)
{
	int ret;

	memset(p, 0, sizeof(*p));
	p->req = *q;
	err[0] = 0;
	ret = opc_predict_check(q, err, len);
	if (ret == 0 && !OPC_GIVEN(q->energy_j))
		ret = compute(p, err, len);
	if (ret == 0)
		ret = carbon(p, err, len);
	if (ret == 0)
		ret = results_finite(p, err, len);
	if (ret < 0)
		opc_prediction_free(p);
	return ret;
}

void opc_prediction_free(struct opc_prediction *p)
{
	opc_arch_free(&p->arch);
	opc_lowering_free(&p->lw);
	opc_coeffs_free(&p->co);
	opc_coeffs_free(&p->tco);
	opc_steps_free(&p->st);
	free(p->cost);
	free(p->op_j);
	free(p->op_static_j);
	free(p->unc.layers);
	for (size_t i = 0; i < p->nnotes; i++)
		free(p->notes[i]);
	free(p->notes);
	memset(p, 0, sizeof(*p));
}

void opc_predict_quantity(const struct opc_prediction *p, double it_j, struct opc_quantity *q)
{
	q->it_j = it_j;
	q->j = it_j * p->req.pue;
	q->kwh = q->j / OPC_J_PER_KWH;
	q->have_co2 = p->have_carbon;
	q->co2eq_g = p->have_carbon ? opc_co2eq_g(q->j, p->ci.g_per_kwh) : 0;
}
