/*
 * predict.c - coefficients from `opcount fit` applied to a lowered
 * architecture, and the life-cycle arithmetic of docs/design.md.
 *
 * The coefficient file is written by a program, and may grow fields (cross
 * validation scores, a plot's path) that prediction does not need: unknown
 * fields are ignored, while every field that prediction uses is checked
 * and a bad one is reported with the file and its JSON path.
 */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict.h"
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

int opc_coeffs_eval(const struct opc_coeffs *co, const struct opc_arch *a,
		    const struct opc_lowering *lw, struct opc_op_cost *out, char *err, size_t len)
{
	for (size_t i = 0; i < lw->nops; i++) {
		const struct opc_lop *op = &lw->ops[i];
		const char *type = a->layers[op->layer].type;
		const struct opc_coeff_type *t = NULL;
		struct opc_op_cost *o = &out[i];

		memset(o, 0, sizeof(*o));
		o->work = co->per_flop * (double)op->flops;
		if (co->ntypes) {
			t = find_type(co, type);
			if (t == NULL) {
				/* what a call outside any annotated layer is fitted as */
				t = find_type(co, "gemm");
				o->fallback = 1;
			}
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
