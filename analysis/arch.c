/*
 * arch.c - read a network architecture (docs/arch.md) and lower it to the
 * BLAS calls examples/mlp.c and examples/cnn.c make for the same layers.
 *
 * The lowering is the programs' own, call for call, so that what it
 * predicts can be checked against what they print (analytic_flops,
 * analytic_gemm_calls) and against what opcount counts when they run:
 *
 *   dense   forward  Y  = X W^T     gemm m=b   n=out k=in       once per batch
 *           grad W   dW = dY^T X    gemm m=out n=in  k=b        once per batch
 *           grad X   dX = dY W      gemm m=b   n=in  k=out      once per batch
 *   conv2d  forward  Y  = W col     gemm m=F   n=OO  k=Q        once per image
 *           grad W   dW += dY col^T gemm m=F   n=Q   k=OO       once per image,
 *                                   beta = 1 after the first image (C is read)
 *           grad X   dcol = W^T dY  gemm m=Q   n=OO  k=F        once per image
 *
 * with b the batch, Q = C*KH*KW rows of the im2col matrix and OO = OH*OW
 * its columns.  A layer computes its input gradient only when a layer
 * with weights comes before it: nothing upstream of the first one learns
 * (mlp.c skips dense1's dX; cnn.c has the same rule as --no-input-grad).
 * Pooling, activations, flattening, biases, the loss and the update are
 * plain loops in the examples: no BLAS call.
 *
 * FLOPs and bytes come from the routine table (common/routines.tbl and
 * cost.c), the cost model the recording library applies to the real calls,
 * so the conventions cannot drift.
 *
 * Version 2 files ("opcount_arch": 2) add sequences, attention, recurrent
 * layers, norms, grouped and dilated convolutions and repeat/residual
 * blocks, and lower every layer to what torch 1.13 calls on a CPU instead
 * (lower_attention(), lower_rnn(), lower_conv_v2(); dense with its bias as
 * C), as measured under the library (tests/integration/arch_lowering.sh).
 * Blocks are expanded while reading: the lowering sees a flat list.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "file.h"
#include "hashtab.h"
#include "util.h"
#include "profile.h"
#include "routines.h"

/* Every dimension fits an int, as the BLAS interface needs. */
#define DIM_MAX 2147483647LL

const char *opc_phase_name(enum opc_phase p)
{
	switch (p) {
	case OPC_PHASE_FORWARD: return "forward";
	case OPC_PHASE_GRAD_W: return "grad_w";
	case OPC_PHASE_GRAD_X: return "grad_x";
	}
	return "?";
}

static const struct {
	const char *json;	/* "type" in the file */
	const char *type;	/* PyTorch class, as layers are annotated */
	const char *prefix;	/* default name: prefix + ordinal */
} kinds[] = {
	[OPC_LAYER_DENSE] = { "dense", "Linear", "dense" },
	[OPC_LAYER_CONV2D] = { "conv2d", "Conv2d", "conv" },
	[OPC_LAYER_MAXPOOL] = { "maxpool", "MaxPool2d", "pool" },
	[OPC_LAYER_AVGPOOL] = { "avgpool", "AvgPool2d", "pool" },
	[OPC_LAYER_ACTIVATION] = { "activation", NULL, "act" },
	[OPC_LAYER_FLATTEN] = { "flatten", "Flatten", "flatten" },
	[OPC_LAYER_LAYERNORM] = { "layernorm", "LayerNorm", "norm" },
	[OPC_LAYER_DROPOUT] = { "dropout", "Dropout", "dropout" },
	[OPC_LAYER_ATTENTION] = { "attention", "MultiheadAttention", "attn" },
	[OPC_LAYER_LSTM] = { "lstm", "LSTM", "lstm" },
	[OPC_LAYER_GRU] = { "gru", "GRU", "gru" },
	/* a block in the file ({"type": "residual", "layers": [...]}) */
	[OPC_LAYER_RESIDUAL] = { NULL, "Residual", "residual" },
	[OPC_LAYER_BATCHNORM] = { "batchnorm", "BatchNorm", "bn" },
	[OPC_LAYER_ADAPTIVE_AVGPOOL] = { "adaptive_avgpool", "AdaptiveAvgPool2d", "pool" },
	[OPC_LAYER_ADAPTIVE_MAXPOOL] = { "adaptive_maxpool", "AdaptiveMaxPool2d", "pool" },
	[OPC_LAYER_EMBEDDING] = { "embedding", "Embedding", "embedding" },
	/* opcount_torch.annotate labels LlamaRMSNorm and T5LayerNorm so too */
	[OPC_LAYER_RMSNORM] = { "rmsnorm", "RMSNorm", "norm" },
	/* a block: {"type": "gate", "layers": [...]}, y = x * layers(x) */
	[OPC_LAYER_GATE] = { NULL, "Gate", "gate" },
	/* a block: {"type": "concat", "branches": [[...], ...]}, torch.cat */
	[OPC_LAYER_CONCAT] = { NULL, "Concat", "concat" },
};
#define KINDS_V1 "dense, conv2d, maxpool, avgpool, activation, flatten"
#define KINDS_V2 KINDS_V1 ", embedding, layernorm, rmsnorm, batchnorm, dropout, attention, lstm, " \
	"gru, adaptive_avgpool, adaptive_maxpool, repeat, residual, gate, concat"
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static const struct {
	const char *name, *type;
} functions[] = {
	{ "relu", "ReLU" }, { "leaky_relu", "LeakyReLU" }, { "sigmoid", "Sigmoid" },
	{ "tanh", "Tanh" }, { "gelu", "GELU" }, { "softmax", "Softmax" },
	{ "identity", "Identity" }, { "silu", "SiLU" },
	/* version 2 too: MobileNet's and EfficientNet's */
	{ "relu6", "ReLU6" }, { "hardswish", "Hardswish" }, { "hardsigmoid", "Hardsigmoid" },
};
#define NFUNCTIONS (sizeof(functions) / sizeof(functions[0]))

const char *opc_layer_kind_name(enum opc_layer_kind k)
{
	if (k == OPC_LAYER_RESIDUAL)
		return "residual";
	if (k == OPC_LAYER_GATE)
		return "gate";
	if (k == OPC_LAYER_CONCAT)
		return "concat";
	return (size_t)k < NKINDS ? kinds[k].json : "?";
}

void opc_arch_shape_str(int rank, const int64_t *d, char *buf, size_t len)
{
	size_t o = 0;

	o += snprintf(buf, len, "[");
	for (int i = 0; i < rank && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%lld", i ? ", " : "", (long long)d[i]);
	if (o < len)
		snprintf(buf + o, len - o, "]");
}

static const char *json_kind(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a fractional number";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "?";
}

/* A short rendering of a bad value for a message. */
static const char *show(json_object *v, char *buf, size_t len)
{
	const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);

	if (strlen(s) > 40)
		snprintf(buf, len, "%s (%.32s...)", json_kind(v), s);
	else
		snprintf(buf, len, "%s", s);
	return buf;
}

/* An integer in [min, DIM_MAX]; 1.0 is not accepted for 1. */
static int get_int(struct opc_errctx *c, const char *where, const char *key, json_object *v,
		   int64_t min, int64_t *out)
{
	char b[96];
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return opc_errctx_fail(c, "%s: \"%s\" must be an integer >= %lld, got %s", where, key,
			    (long long)min, show(v, b, sizeof(b)));
	errno = 0;
	x = json_object_get_int64(v);
	if (errno || x < min || x > DIM_MAX)
		return opc_errctx_fail(c, "%s: \"%s\" must be an integer in [%lld, %lld], got %s", where,
			    key, (long long)min, DIM_MAX, show(v, b, sizeof(b)));
	*out = x;
	return 0;
}

/* An integer for both dimensions, or [height, width]. */
static int get_pair(struct opc_errctx *c, const char *where, const char *key, json_object *v,
		    int64_t min, int64_t *h, int64_t *w)
{
	char b[96];

	if (json_object_is_type(v, json_type_int)) {
		if (get_int(c, where, key, v, min, h) < 0)
			return -EINVAL;
		*w = *h;
		return 0;
	}
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 2)
		return opc_errctx_fail(c, "%s: \"%s\" must be an integer or [height, width], got %s", where,
			    key, show(v, b, sizeof(b)));
	if (get_int(c, where, key, json_object_array_get_idx(v, 0), min, h) < 0 ||
	    get_int(c, where, key, json_object_array_get_idx(v, 1), min, w) < 0)
		return -EINVAL;
	return 0;
}

static int get_string(struct opc_errctx *c, const char *where, const char *key, json_object *v,
		      const char **out)
{
	char b[96];

	if (!json_object_is_type(v, json_type_string))
		return opc_errctx_fail(c, "%s: \"%s\" must be a string, got %s", where, key,
			    show(v, b, sizeof(b)));
	*out = json_object_get_string(v);
	return 0;
}

/* Unknown keys are mistakes ("unit" for "units"), never ignored. */
static int check_keys(struct opc_errctx *c, const char *where, json_object *o, const char *const *allowed)
{
	json_object_object_foreach(o, key, val) {
		char list[256];
		size_t n = 0;
		int ok = 0;

		(void)val;
		for (size_t i = 0; allowed[i]; i++) {
			if (!strcmp(key, allowed[i]))
				ok = 1;
			n += snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0, "%s%s",
				      i ? ", " : "", allowed[i]);
		}
		if (!ok)
			return opc_errctx_fail(c, "%s: unknown field \"%s\" (expected: %s)", where, key, list);
	}
	return 0;
}

static int need(struct opc_errctx *c, const char *where, json_object *o, const char *key,
		json_object **v)
{
	if (!json_object_object_get_ex(o, key, v))
		return opc_errctx_fail(c, "%s: missing \"%s\"", where, key);
	return 0;
}

static int mul_ok(uint64_t a, uint64_t b, uint64_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}

static int get_bool(struct opc_errctx *c, const char *where, const char *key, json_object *v,
		    int *out)
{
	char b[96];

	if (!json_object_is_type(v, json_type_boolean))
		return opc_errctx_fail(c, "%s: \"%s\" must be true or false, got %s", where, key,
			    show(v, b, sizeof(b)));
	*out = json_object_get_boolean(v);
	return 0;
}

/* An optional boolean field. */
static int opt_bool(struct opc_errctx *c, const char *where, json_object *o, const char *key,
		    int dflt, int *out)
{
	json_object *v;

	*out = dflt;
	if (json_object_object_get_ex(o, key, &v))
		return get_bool(c, where, key, v, out);
	return 0;
}

static int is_weighted(enum opc_layer_kind k)
{
	return k == OPC_LAYER_DENSE || k == OPC_LAYER_CONV2D || k == OPC_LAYER_ATTENTION ||
	       k == OPC_LAYER_LSTM || k == OPC_LAYER_GRU;
}

/* The number of elements of one sample's tensor, 0 when it overflows. */
static uint64_t elems(int rank, const int64_t *d)
{
	uint64_t n = 1;

	for (int i = 0; i < rank; i++)
		if (!mul_ok(n, (uint64_t)d[i], &n))
			return 0;
	return n;
}

/* A recurrent layer's parameters: per layer and direction, the gate
 * weights of the input and of the hidden state, and two biases. */
static int rnn_params(struct opc_arch_layer *l, int64_t gates, uint64_t *out)
{
	uint64_t dirs = l->bidirectional ? 2 : 1, p = 0, g, w;

	g = (uint64_t)gates * (uint64_t)l->hidden;
	for (int64_t i = 0; i < l->num_layers; i++) {
		uint64_t in = i ? (uint64_t)l->hidden * dirs : (uint64_t)l->in[1];

		if (!mul_ok(g, in + (uint64_t)l->hidden + (l->bias ? 2 : 0), &w) ||
		    !mul_ok(w, dirs, &w) || __builtin_add_overflow(p, w, &p))
			return -1;
	}
	*out = p;
	return 0;
}

/* A [sequence, features] field of one sample: the memory or the value of
 * a cross-attention. */
static int get_seq_shape(struct opc_errctx *c, const char *where, const char *key, json_object *v,
			 int64_t *seq, int64_t *feat)
{
	char b[96];

	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 2)
		return opc_errctx_fail(c, "%s: \"%s\" must be [sequence, features], one sample's "
				       "shape, got %s", where, key, show(v, b, sizeof(b)));
	if (get_int(c, where, key, json_object_array_get_idx(v, 0), 1, seq) < 0 ||
	    get_int(c, where, key, json_object_array_get_idx(v, 1), 1, feat) < 0)
		return -EINVAL;
	return 0;
}

/*
 * An attention's key and value source: "memory": [S_kv, E_k] makes it a
 * cross-attention (nn.TransformerDecoderLayer's multihead_attn(x, memory,
 * memory)), "value": [S_kv, E_v] a value that is another tensor than the
 * key, "memory_grad": true a memory that requires grad (the output of an
 * encoder that learns).  Widths other than the model's are
 * nn.MultiheadAttention's kdim and vdim: separate projection weights.
 */
static int parse_memory(struct opc_errctx *c, const char *where, json_object *o,
			struct opc_arch_layer *l)
{
	int64_t d = l->in[1], vs;
	uint64_t w;
	json_object *v;
	int has;

	has = json_object_object_get_ex(o, "memory", &v);
	if (!has) {
		if (json_object_object_get_ex(o, "value", &v) ||
		    json_object_object_get_ex(o, "memory_grad", &v))
			return opc_errctx_fail(c, "%s: \"%s\" without \"memory\": a self-attention's "
					       "key and value are its input", where,
					       json_object_object_get_ex(o, "value", &v) ?
					       "value" : "memory_grad");
		return 0;
	}
	if (get_seq_shape(c, where, "memory", v, &l->mem_seq, &l->mem_dim) < 0 ||
	    opt_bool(c, where, o, "memory_grad", 0, &l->mem_grad) < 0)
		return -EINVAL;
	l->val_dim = l->mem_dim;
	if (json_object_object_get_ex(o, "value", &v)) {
		if (get_seq_shape(c, where, "value", v, &vs, &l->val_dim) < 0)
			return -EINVAL;
		if (vs != l->mem_seq)
			return opc_errctx_fail(c, "%s: \"value\": its sequence of %lld positions is not "
					       "the memory's %lld (key and value pair up)", where,
					       (long long)vs, (long long)l->mem_seq);
		l->val_sep = 1;
	}
	/* the causal mask is square: a query position sees the keys before it
	 * in its own sequence */
	if (l->causal)
		return opc_errctx_fail(c, "%s: \"causal\" with \"memory\": a causal mask is "
				       "self-attention's (a decoder's memory_mask is not expressible)",
				       where);
	/* q and out_proj [d, d], k [d, kdim], v [d, vdim]; the biases as before */
	if (!mul_ok((uint64_t)d, 2 * (uint64_t)d + (uint64_t)l->mem_dim + (uint64_t)l->val_dim,
		    &w))
		return opc_errctx_fail(c, "%s: too many weights to count", where);
	l->params = w + (l->bias ? 4 * (uint64_t)d : 0);
	return 0;
}

/*
 * One layer (not a block).  where is its position ("layers[1].layers[0]"),
 * prefix what a repeat block puts before its name ("encoder.layers.0.").
 */
static int parse_layer(struct opc_errctx *c, json_object *o, const char *pos, int version,
		       const char *prefix, struct opc_arch_layer *l, int in_rank, const int64_t *in,
		       unsigned *ordinal, int first)
{
	static const char *const dense_keys[] = { "type", "name", "units", NULL };
	static const char *const dense2_keys[] = { "type", "name", "units", "bias", NULL };
	static const char *const conv_keys[] = { "type", "name", "filters", "kernel", "stride",
						 "padding", NULL };
	static const char *const conv2_keys[] = { "type", "name", "filters", "kernel", "stride",
						  "padding", "dilation", "groups", "bias", NULL };
	static const char *const pool_keys[] = { "type", "name", "size", "stride", NULL };
	static const char *const pool2_keys[] = { "type", "name", "size", "stride", "padding",
						  "ceil_mode", NULL };
	static const char *const apool_keys[] = { "type", "name", "size", NULL };
	static const char *const emb_keys[] = { "type", "name", "vocab", "dim", NULL };
	static const char *const act_keys[] = { "type", "name", "function", NULL };
	static const char *const flat_keys[] = { "type", "name", NULL };
	static const char *const drop_keys[] = { "type", "name", "p", NULL };
	static const char *const attn_keys[] = { "type", "name", "heads", "causal", "bias", "memory",
						 "value", "memory_grad", NULL };
	static const char *const rnn_keys[] = { "type", "name", "hidden", "num_layers",
						"bidirectional", "bias", NULL };
	char where[1024], shape[96], b[96];
	json_object *v;
	const char *s;
	size_t k, ko;
	int ceil = 0;

	snprintf(where, sizeof(where), "%.700s", pos);
	if (!json_object_is_type(o, json_type_object))
		return opc_errctx_fail(c, "%s: a layer must be an object like {\"type\": \"dense\", "
			    "\"units\": 64}, got %s", where, show(o, b, sizeof(b)));
	if (need(c, where, o, "type", &v) < 0 || get_string(c, where, "type", v, &s) < 0)
		return -EINVAL;
	for (k = 0; k < NKINDS && (!kinds[k].json || strcmp(s, kinds[k].json)); k++)
		;
	if (k == NKINDS)
		return opc_errctx_fail(c, "%s: unknown layer type \"%s\" (expected: %s)", where, s,
				       version >= 2 ? KINDS_V2 : KINDS_V1);
	if (version < 2 && k > OPC_LAYER_FLATTEN)
		return opc_errctx_fail(c, "%s: unknown layer type \"%s\" (expected: %s): a version 2 "
				       "type, the file needs \"opcount_arch\": 2", where, s, KINDS_V1);
	l->kind = k;
	l->type = kinds[k].type;
	snprintf(where, sizeof(where), "%.700s (%s)", pos, kinds[k].json);
	/* all pooling layers are numbered together: pool1, pool2; norms too */
	ko = l->kind == OPC_LAYER_AVGPOOL || l->kind == OPC_LAYER_ADAPTIVE_AVGPOOL ||
	     l->kind == OPC_LAYER_ADAPTIVE_MAXPOOL ? OPC_LAYER_MAXPOOL : l->kind;
	if (l->kind == OPC_LAYER_RMSNORM)
		ko = OPC_LAYER_LAYERNORM;
	ordinal[ko]++;
	if (snprintf(l->name, sizeof(l->name), "%s%s%u", prefix, kinds[k].prefix, ordinal[ko]) >=
	    (int)sizeof(l->name))
		return opc_errctx_fail(c, "%s: its name would have more than %zu characters", where,
				       sizeof(l->name) - 1);
	if (json_object_object_get_ex(o, "name", &v)) {
		if (get_string(c, where, "name", v, &s) < 0)
			return -EINVAL;
		if (!*s || strlen(prefix) + strlen(s) >= sizeof(l->name))
			return opc_errctx_fail(c, "%s: \"name\" must have 1 to %zu characters", where,
				    sizeof(l->name) - 1 - strlen(prefix));
		memcpy(l->name, prefix, strlen(prefix));
		memcpy(l->name + strlen(prefix), s, strlen(s) + 1);
		snprintf(where, sizeof(where), "%.700s (%s \"%s\")", pos, kinds[k].json, l->name);
	}
	l->in_rank = in_rank;
	memcpy(l->in, in, sizeof(l->in));
	opc_arch_shape_str(in_rank, in, shape, sizeof(shape));
	l->bias = 1;

	switch (l->kind) {
	case OPC_LAYER_DENSE: {
		uint64_t w;

		if (check_keys(c, where, o, version >= 2 ? dense2_keys : dense_keys) < 0)
			return -EINVAL;
		if (in_rank == 3)
			return opc_errctx_fail(c, "%s: its input is %s (channels, height, width); put a "
				    "{\"type\": \"flatten\"} layer before it", where, shape);
		if (need(c, where, o, "units", &v) < 0 ||
		    get_int(c, where, "units", v, 1, &l->units) < 0 ||
		    opt_bool(c, where, o, "bias", 1, &l->bias) < 0)
			return -EINVAL;
		/* on [sequence, features], every position goes through it */
		l->out_rank = in_rank;
		memcpy(l->out, in, sizeof(l->out));
		l->out[in_rank - 1] = l->units;
		if (!mul_ok(in[in_rank - 1], l->units, &w))
			return opc_errctx_fail(c, "%s: too many weights to count", where);
		l->params = w + (l->bias ? l->units : 0);
		break;
	}
	case OPC_LAYER_CONV2D: {
		uint64_t q, w;

		if (check_keys(c, where, o, version >= 2 ? conv2_keys : conv_keys) < 0)
			return -EINVAL;
		if (in_rank != 3)
			return opc_errctx_fail(c, "%s: its input is %s; a conv2d layer needs [channels, "
				    "height, width] (the input shape, or the output of another "
				    "conv2d or pooling layer)", where, shape);
		if (need(c, where, o, "filters", &v) < 0 ||
		    get_int(c, where, "filters", v, 1, &l->filters) < 0 ||
		    need(c, where, o, "kernel", &v) < 0 ||
		    get_pair(c, where, "kernel", v, 1, &l->kh, &l->kw) < 0)
			return -EINVAL;
		l->sh = l->sw = 1;
		l->ph = l->pw = 0;
		if (json_object_object_get_ex(o, "stride", &v) &&
		    get_pair(c, where, "stride", v, 1, &l->sh, &l->sw) < 0)
			return -EINVAL;
		if (json_object_object_get_ex(o, "padding", &v) &&
		    get_pair(c, where, "padding", v, 0, &l->ph, &l->pw) < 0)
			return -EINVAL;
		l->dil_h = l->dil_w = l->groups = 1;
		if ((json_object_object_get_ex(o, "dilation", &v) &&
		     get_pair(c, where, "dilation", v, 1, &l->dil_h, &l->dil_w) < 0) ||
		    (json_object_object_get_ex(o, "groups", &v) &&
		     get_int(c, where, "groups", v, 1, &l->groups) < 0) ||
		    opt_bool(c, where, o, "bias", 1, &l->bias) < 0)
			return -EINVAL;
		if (in[0] % l->groups || l->filters % l->groups)
			return opc_errctx_fail(c, "%s: \"groups\": %lld input channels and %lld filters "
					       "must both be multiples of %lld groups", where,
					       (long long)in[0], (long long)l->filters,
					       (long long)l->groups);
		{
			/* the span of a dilated kernel; dilations and kernels fit an
			 * int, so this fits 64 bits */
			int64_t eh = l->dil_h * (l->kh - 1) + 1, ew = l->dil_w * (l->kw - 1) + 1;

			if (in[1] + 2 * l->ph < eh || in[2] + 2 * l->pw < ew)
				return opc_errctx_fail(c, "%s: a %lldx%lld kernel%s does not fit the "
					    "%lldx%lld input with padding %lldx%lld", where,
					    (long long)l->kh, (long long)l->kw,
					    eh != l->kh || ew != l->kw ? " (dilated)" : "",
					    (long long)in[1], (long long)in[2],
					    (long long)l->ph, (long long)l->pw);
			l->out_rank = 3;
			l->out[0] = l->filters;
			l->out[1] = (in[1] + 2 * l->ph - eh) / l->sh + 1;
			l->out[2] = (in[2] + 2 * l->pw - ew) / l->sw + 1;
		}
		/* padding lets the output outgrow an int: its area is checked
		 * without wrapping (2^32 x 2^32 wraps to 0 in 64 bits) */
		if (!mul_ok(in[0], l->kh, &q) || !mul_ok(q, l->kw, &q) || q > DIM_MAX ||
		    l->out[1] > DIM_MAX || l->out[2] > DIM_MAX ||
		    !mul_ok(l->out[1], l->out[2], &w) || w > DIM_MAX || !mul_ok(q, l->filters, &w))
			return opc_errctx_fail(c, "%s: the im2col matrix (%llu x %lld x %lld) is too "
					       "large for a BLAS call", where, (unsigned long long)q,
					       (long long)l->out[1], (long long)l->out[2]);
		/* each filter sees its group's channels only */
		l->params = w / (uint64_t)l->groups + (l->bias ? l->filters : 0);
		break;
	}
	case OPC_LAYER_MAXPOOL:
	case OPC_LAYER_AVGPOOL:
		if (check_keys(c, where, o, version >= 2 ? pool2_keys : pool_keys) < 0)
			return -EINVAL;
		if (in_rank != 3)
			return opc_errctx_fail(c, "%s: its input is %s; pooling needs [channels, height, "
				    "width]", where, shape);
		if (need(c, where, o, "size", &v) < 0 ||
		    get_pair(c, where, "size", v, 1, &l->kh, &l->kw) < 0)
			return -EINVAL;
		l->sh = l->kh;
		l->sw = l->kw;
		if (json_object_object_get_ex(o, "stride", &v) &&
		    get_pair(c, where, "stride", v, 1, &l->sh, &l->sw) < 0)
			return -EINVAL;
		/* version 2: nn.MaxPool2d's padding (a ResNet's stem pools 3x3,
		 * stride 2, padding 1); torch allows at most half the window */
		if (json_object_object_get_ex(o, "padding", &v) &&
		    get_pair(c, where, "padding", v, 0, &l->ph, &l->pw) < 0)
			return -EINVAL;
		if (2 * l->ph > l->kh || 2 * l->pw > l->kw)
			return opc_errctx_fail(c, "%s: \"padding\" %lldx%lld is more than half the "
				    "%lldx%lld window", where, (long long)l->ph, (long long)l->pw,
				    (long long)l->kh, (long long)l->kw);
		if (in[1] + 2 * l->ph < l->kh || in[2] + 2 * l->pw < l->kw)
			return opc_errctx_fail(c, "%s: a %lldx%lld window does not fit the %lldx%lld input",
				    where, (long long)l->kh, (long long)l->kw,
				    (long long)in[1], (long long)in[2]);
		l->out_rank = 3;
		l->out[0] = in[0];
		/* a partial window at the edge is dropped, as cnn.c and torch
		 * (ceil_mode=False) do */
		l->out[1] = (in[1] + 2 * l->ph - l->kh) / l->sh + 1;
		l->out[2] = (in[2] + 2 * l->pw - l->kw) / l->sw + 1;
		if (version >= 2 && opt_bool(c, where, o, "ceil_mode", 0, &ceil) < 0)
			return -EINVAL;
		if (ceil) {
			/* kept, torch's pooling_output_shape: unless the last
			 * window would start in the right padding */
			int64_t rh = (in[1] + 2 * l->ph - l->kh) % l->sh;
			int64_t rw = (in[2] + 2 * l->pw - l->kw) % l->sw;

			if (rh && l->out[1] * l->sh < in[1] + l->ph)
				l->out[1]++;
			if (rw && l->out[2] * l->sw < in[2] + l->pw)
				l->out[2]++;
		}
		break;
	case OPC_LAYER_ACTIVATION:
		if (check_keys(c, where, o, act_keys) < 0)
			return -EINVAL;
		if (need(c, where, o, "function", &v) < 0 ||
		    get_string(c, where, "function", v, &s) < 0)
			return -EINVAL;
		for (k = 0; k < NFUNCTIONS && strcmp(s, functions[k].name); k++)
			;
		if (k == NFUNCTIONS)
			return opc_errctx_fail(c, "%s: unknown function \"%s\" (expected: relu, leaky_relu, "
				    "sigmoid, tanh, gelu, silu, softmax, identity, relu6, hardswish, "
				    "hardsigmoid)", where, s);
		if (version < 2 && (!strcmp(s, "silu") || !strcmp(s, "relu6") ||
				    !strcmp(s, "hardswish") || !strcmp(s, "hardsigmoid")))
			return opc_errctx_fail(c, "%s: \"function\": \"%s\" is version 2: the file "
					       "needs \"opcount_arch\": 2", where, s);
		snprintf(l->function, sizeof(l->function), "%s", functions[k].name);
		l->type = functions[k].type;
		l->out_rank = in_rank;
		memcpy(l->out, in, sizeof(l->out));
		break;
	case OPC_LAYER_FLATTEN: {
		uint64_t n = elems(in_rank, in);

		if (check_keys(c, where, o, flat_keys) < 0)
			return -EINVAL;
		if (n == 0 || n > DIM_MAX)
			return opc_errctx_fail(c, "%s: %s has too many features", where, shape);
		l->out_rank = 1;
		l->out[0] = (int64_t)n;
		break;
	}
	case OPC_LAYER_LAYERNORM:
	case OPC_LAYER_RMSNORM:
		if (check_keys(c, where, o, flat_keys) < 0)
			return -EINVAL;
		if (in_rank == 3)
			return opc_errctx_fail(c, "%s: its input is %s; %s normalises the features "
				    "of [features] or [sequence, features]", where, shape,
				    kinds[l->kind].json);
		l->out_rank = in_rank;
		memcpy(l->out, in, sizeof(l->out));
		/* layernorm: a scale and a shift; RMS norm: a scale only */
		l->params = (l->kind == OPC_LAYER_RMSNORM ? 1 : 2) * (uint64_t)in[in_rank - 1];
		break;
	case OPC_LAYER_DROPOUT: {
		double p;

		if (check_keys(c, where, o, drop_keys) < 0)
			return -EINVAL;
		if (json_object_object_get_ex(o, "p", &v)) {
			if (!json_object_is_type(v, json_type_double) &&
			    !json_object_is_type(v, json_type_int))
				return opc_errctx_fail(c, "%s: \"p\" must be a number in [0, 1), got %s",
						       where, show(v, b, sizeof(b)));
			p = json_object_get_double(v);
			if (!(p >= 0 && p < 1))
				return opc_errctx_fail(c, "%s: \"p\" must be a number in [0, 1), got %s",
						       where, show(v, b, sizeof(b)));
		}
		l->out_rank = in_rank;
		memcpy(l->out, in, sizeof(l->out));
		break;
	}
	case OPC_LAYER_ATTENTION: {
		int64_t d = in[1];

		if (check_keys(c, where, o, attn_keys) < 0)
			return -EINVAL;
		if (in_rank != 2)
			return opc_errctx_fail(c, "%s: its input is %s; attention needs [sequence, "
				    "features] (an \"input\" of two dimensions)", where, shape);
		if (need(c, where, o, "heads", &v) < 0 ||
		    get_int(c, where, "heads", v, 1, &l->heads) < 0 ||
		    opt_bool(c, where, o, "causal", 0, &l->causal) < 0 ||
		    opt_bool(c, where, o, "bias", 1, &l->bias) < 0)
			return -EINVAL;
		if (d % l->heads)
			return opc_errctx_fail(c, "%s: \"heads\": the model width %lld is not a multiple "
				    "of %lld heads", where, (long long)d, (long long)l->heads);
		if (d > DIM_MAX / 3 || (uint64_t)d * (uint64_t)d > UINT64_MAX / 8)
			return opc_errctx_fail(c, "%s: the model width %lld is too large for a BLAS call",
					       where, (long long)d);
		l->out_rank = 2;
		memcpy(l->out, in, sizeof(l->out));
		/* in_proj [3d, d] and out_proj [d, d], with their biases */
		l->params = 4 * (uint64_t)d * (uint64_t)d + (l->bias ? 4 * (uint64_t)d : 0);
		if (parse_memory(c, where, o, l) < 0)
			return -EINVAL;
		break;
	}
	case OPC_LAYER_LSTM:
	case OPC_LAYER_GRU:
		if (check_keys(c, where, o, rnn_keys) < 0)
			return -EINVAL;
		if (in_rank != 2)
			return opc_errctx_fail(c, "%s: its input is %s; a recurrent layer needs "
				    "[sequence, features] (an \"input\" of two dimensions)", where, shape);
		l->num_layers = 1;
		if (need(c, where, o, "hidden", &v) < 0 ||
		    get_int(c, where, "hidden", v, 1, &l->hidden) < 0 ||
		    (json_object_object_get_ex(o, "num_layers", &v) &&
		     get_int(c, where, "num_layers", v, 1, &l->num_layers) < 0) ||
		    opt_bool(c, where, o, "bidirectional", 0, &l->bidirectional) < 0 ||
		    opt_bool(c, where, o, "bias", 1, &l->bias) < 0)
			return -EINVAL;
		if (l->hidden > DIM_MAX / 8)
			return opc_errctx_fail(c, "%s: \"hidden\": %lld is too large for a BLAS call",
					       where, (long long)l->hidden);
		l->out_rank = 2;
		l->out[0] = in[0];
		l->out[1] = l->hidden * (l->bidirectional ? 2 : 1);
		if (rnn_params(l, l->kind == OPC_LAYER_LSTM ? 4 : 3, &l->params) < 0)
			return opc_errctx_fail(c, "%s: too many weights to count", where);
		break;
	case OPC_LAYER_BATCHNORM:
		if (check_keys(c, where, o, flat_keys) < 0)
			return -EINVAL;
		if (in_rank == 2)
			return opc_errctx_fail(c, "%s: its input is %s; batchnorm normalises the channels "
				    "of [channels, height, width] (BatchNorm2d) or [features] "
				    "(BatchNorm1d); use layernorm on a sequence", where, shape);
		l->type = in_rank == 3 ? "BatchNorm2d" : "BatchNorm1d";
		l->out_rank = in_rank;
		memcpy(l->out, in, sizeof(l->out));
		l->params = 2 * (uint64_t)in[0];
		break;
	case OPC_LAYER_ADAPTIVE_AVGPOOL:
	case OPC_LAYER_ADAPTIVE_MAXPOOL:
		if (check_keys(c, where, o, apool_keys) < 0)
			return -EINVAL;
		if (in_rank != 3)
			return opc_errctx_fail(c, "%s: its input is %s; pooling needs [channels, height, "
				    "width]", where, shape);
		if (need(c, where, o, "size", &v) < 0 ||
		    get_pair(c, where, "size", v, 1, &l->kh, &l->kw) < 0)
			return -EINVAL;
		l->out_rank = 3;
		l->out[0] = in[0];
		l->out[1] = l->kh;
		l->out[2] = l->kw;
		break;
	case OPC_LAYER_EMBEDDING: {
		uint64_t w;

		if (check_keys(c, where, o, emb_keys) < 0)
			return -EINVAL;
		/* token ids are the data: nothing before can have made them */
		if (!first || in_rank != 1)
			return opc_errctx_fail(c, "%s: an embedding takes token ids: it must be the first "
				    "layer, on an \"input\" of [sequence]", where);
		if (need(c, where, o, "vocab", &v) < 0 ||
		    get_int(c, where, "vocab", v, 1, &l->vocab) < 0 ||
		    need(c, where, o, "dim", &v) < 0 || get_int(c, where, "dim", v, 1, &l->dim) < 0)
			return -EINVAL;
		if (!mul_ok(l->vocab, l->dim, &w))
			return opc_errctx_fail(c, "%s: too many weights to count", where);
		l->out_rank = 2;
		l->out[0] = in[0];
		l->out[1] = l->dim;
		l->params = w;
		break;
	}
	case OPC_LAYER_RESIDUAL:
	case OPC_LAYER_GATE:
	case OPC_LAYER_CONCAT:
		/* only as a block: parse_list() handles it */
		return opc_errctx_fail(c, "%s: a residual block needs \"layers\"", where);
	}
	return 0;
}

/* Repeated blocks multiply layers: a bound keeps a typo (1e9 repeats) from
 * exhausting memory. */
#define MAX_LAYERS 100000
#define MAX_DEPTH 16

struct builder {
	struct opc_arch *a;
	size_t cap;
	unsigned ordinal[NKINDS];
	int learns;	/* a layer with parameters is upstream of the next one */
};

static struct opc_arch_layer *new_layer(struct opc_errctx *c, struct builder *bd, const char *pos)
{
	struct opc_arch *a = bd->a;

	if (a->nlayers >= MAX_LAYERS) {
		opc_errctx_fail(c, "%s: more than %d layers once blocks are repeated", pos, MAX_LAYERS);
		return NULL;
	}
	if (a->nlayers == bd->cap) {
		size_t nc = bd->cap ? 2 * bd->cap : 16;
		struct opc_arch_layer *nl = realloc(a->layers, nc * sizeof(*nl));

		if (nl == NULL) {
			opc_errctx_fail(c, "out of memory");
			return NULL;
		}
		a->layers = nl;
		bd->cap = nc;
	}
	memset(&a->layers[a->nlayers], 0, sizeof(a->layers[0]));
	return &a->layers[a->nlayers];
}

static int parse_list(struct opc_errctx *c, struct builder *bd, json_object *arr, const char *pos,
		      const char *prefix, int *rank, int64_t *shape, int depth);

/* {"type": "repeat", "name": N, "repeat": R, "layers": [...]}: the layers R
 * times, named N.0.x, N.1.x, ... as PyTorch names the modules of an
 * nn.ModuleList N (nn.TransformerEncoder's "layers"). */
static int parse_repeat(struct opc_errctx *c, struct builder *bd, json_object *o, const char *pos,
			const char *prefix, int *rank, int64_t *shape, int depth)
{
	static const char *const keys[] = { "type", "name", "repeat", "layers", NULL };
	char where[1024], inner[768], pfx[256];
	unsigned saved[NKINDS];
	json_object *v, *layers;
	const char *name;
	int64_t r;

	snprintf(where, sizeof(where), "%.700s (repeat)", pos);
	if (check_keys(c, where, o, keys) < 0 || need(c, where, o, "name", &v) < 0 ||
	    get_string(c, where, "name", v, &name) < 0)
		return -EINVAL;
	snprintf(where, sizeof(where), "%.700s (repeat \"%s\")", pos, name);
	if (!*name || strlen(prefix) + strlen(name) + 24 >= sizeof(pfx))
		return opc_errctx_fail(c, "%s: \"name\" must have 1 to %zu characters", where,
				       sizeof(pfx) - 25 - strlen(prefix));
	if (need(c, where, o, "repeat", &v) < 0 || get_int(c, where, "repeat", v, 1, &r) < 0 ||
	    need(c, where, o, "layers", &layers) < 0)
		return -EINVAL;
	if (r > MAX_LAYERS)
		return opc_errctx_fail(c, "%s: \"repeat\": more than %d layers once repeated",
				       where, MAX_LAYERS);
	snprintf(inner, sizeof(inner), "%.700s.layers", where);
	/* every repetition numbers its unnamed layers as the first did */
	memcpy(saved, bd->ordinal, sizeof(saved));
	for (int64_t i = 0; i < r; i++) {
		memcpy(bd->ordinal, saved, sizeof(saved));
		snprintf(pfx, sizeof(pfx), "%s%s.%lld.", prefix, name, (long long)i);
		if (parse_list(c, bd, layers, inner, pfx, rank, shape, depth + 1) < 0)
			return -EINVAL;
	}
	return 0;
}

/* A block's optional "name" (checked; where then names it too). */
static int block_name(struct opc_errctx *c, json_object *o, const char *pos, const char *block,
		      const char *prefix, char *where, size_t wlen, const char **name)
{
	json_object *v;

	*name = NULL;
	if (!json_object_object_get_ex(o, "name", &v))
		return 0;
	if (get_string(c, where, "name", v, name) < 0)
		return -EINVAL;
	snprintf(where, wlen, "%.700s (%s \"%s%s\")", pos, block, prefix, *name);
	if (!**name || strlen(prefix) + strlen(*name) >= sizeof(((struct opc_arch_layer *)0)->name))
		return opc_errctx_fail(c, "%s: \"name\" must have 1 to %zu characters", where,
				       sizeof(((struct opc_arch_layer *)0)->name) - 1 - strlen(prefix));
	return 0;
}

/* The layer of no work that closes a block (the residual add, the gate's
 * product, the concatenation): named, or residual1, gate1, concat1, ...;
 * of the block's output shape. */
static int close_block(struct opc_errctx *c, struct builder *bd, const char *where,
		       enum opc_layer_kind kind, const char *prefix, const char *name, int rank,
		       const int64_t *shape)
{
	struct opc_arch_layer *l = new_layer(c, bd, where);
	unsigned ord;

	if (l == NULL)
		return -EINVAL;
	l->kind = kind;
	l->type = kinds[kind].type;
	ord = ++bd->ordinal[kind];
	if (name) {
		memcpy(l->name, prefix, strlen(prefix));
		memcpy(l->name + strlen(prefix), name, strlen(name) + 1);
	} else if (snprintf(l->name, sizeof(l->name), "%s%s%u", prefix, kinds[kind].prefix, ord) >=
		   (int)sizeof(l->name))
		return opc_errctx_fail(c, "%s: its name would have more than %zu characters", where,
				       sizeof(l->name) - 1);
	l->in_rank = l->out_rank = rank;
	memcpy(l->in, shape, sizeof(l->in));
	memcpy(l->out, shape, sizeof(l->out));
	l->upstream_learns = bd->learns;
	bd->a->nlayers++;
	return 0;
}

/* {"type": "residual", "layers": [...], "shortcut": [...]}: y = layers(x) +
 * x, or + shortcut(x) (a ResNet's downsample: a strided 1x1 convolution
 * and a batch norm), the two giving one shape.  The layers keep their
 * names (the add is no module in PyTorch); the shortcut's follow the main
 * path's, as torch runs them (BasicBlock.forward), and a "residual" layer
 * of no work follows both.  What learns upstream: the shortcut's layers
 * see only what came before the block, the layers after it both paths. */
static int parse_residual(struct opc_errctx *c, struct builder *bd, json_object *o, const char *pos,
			  const char *prefix, int *rank, int64_t *shape, int depth, int gate)
{
	static const char *const keys[] = { "type", "name", "layers", "shortcut", NULL };
	static const char *const gate_keys[] = { "type", "name", "layers", NULL };
	enum opc_layer_kind kind = gate ? OPC_LAYER_GATE : OPC_LAYER_RESIDUAL;
	const char *block = gate ? "gate" : "residual";
	char where[1024], inner[768], s0[96], s1[96];
	int64_t in[3], out[3];
	int in_rank = *rank, out_rank, learns = bd->learns, main_learns;
	json_object *layers, *shortcut = NULL;
	const char *name = NULL;

	snprintf(where, sizeof(where), "%.700s (%s)", pos, block);
	if (check_keys(c, where, o, gate ? gate_keys : keys) < 0)
		return -EINVAL;
	if (block_name(c, o, pos, block, prefix, where, sizeof(where), &name) < 0)
		return -EINVAL;
	if (need(c, where, o, "layers", &layers) < 0)
		return -EINVAL;
	memcpy(in, shape, sizeof(in));
	snprintf(inner, sizeof(inner), "%.700s.layers", where);
	if (parse_list(c, bd, layers, inner, prefix, rank, shape, depth + 1) < 0)
		return -EINVAL;
	out_rank = *rank;
	memcpy(out, shape, sizeof(out));
	main_learns = bd->learns;
	if (gate) {
		/* y = x * g(x): g gives x's shape, or [C, 1, 1] broadcast over
		 * an image (a squeeze-and-excitation's channel scales) */
		int bcast = in_rank == 3 && out_rank == 3 && out[0] == in[0] && out[1] == 1 &&
			    out[2] == 1;

		if (!bcast && (out_rank != in_rank ||
			       memcmp(in, out, (size_t)in_rank * sizeof(in[0])))) {
			opc_arch_shape_str(in_rank, in, s0, sizeof(s0));
			opc_arch_shape_str(out_rank, out, s1, sizeof(s1));
			return opc_errctx_fail(c, "%s: its layers turn %s into %s; the gate's product "
					       "needs the same shape or [channels, 1, 1]", where, s0,
					       s1);
		}
		out_rank = *rank = in_rank;
		memcpy(out, in, sizeof(out));
		memcpy(shape, in, sizeof(in));
	} else if (json_object_object_get_ex(o, "shortcut", &shortcut)) {
		/* from the block's input again */
		*rank = in_rank;
		memcpy(shape, in, sizeof(in));
		bd->learns = learns;
		snprintf(inner, sizeof(inner), "%.700s.shortcut", where);
		if (parse_list(c, bd, shortcut, inner, prefix, rank, shape, depth + 1) < 0)
			return -EINVAL;
		bd->learns |= main_learns;
		if (*rank != out_rank || memcmp(out, shape, (size_t)out_rank * sizeof(out[0]))) {
			opc_arch_shape_str(out_rank, out, s0, sizeof(s0));
			opc_arch_shape_str(*rank, shape, s1, sizeof(s1));
			return opc_errctx_fail(c, "%s: \"shortcut\": its layers give %s, the main path "
					       "%s; the residual add needs the same shape", where, s1,
					       s0);
		}
	} else if (*rank != in_rank || memcmp(in, shape, (size_t)in_rank * sizeof(in[0]))) {
		opc_arch_shape_str(in_rank, in, s0, sizeof(s0));
		opc_arch_shape_str(*rank, shape, s1, sizeof(s1));
		return opc_errctx_fail(c, "%s: its layers turn %s into %s; the residual add needs "
				       "the same shape (or a \"shortcut\" that gives it)", where, s0, s1);
	}
	return close_block(c, bd, where, kind, prefix, name, out_rank, out);
}

/* {"type": "concat", "name": optional, "branches": [[...], [...], ...]}:
 * the branches each from the block's input, their outputs joined by
 * torch.cat along the channels ([C, H, W]) or the features ([F], [S, F]),
 * as an Inception block or SqueezeNet's Fire module does.  The branches'
 * layers come in order; a "concat" layer of no work (concat1, ...) stands
 * for the join.  What learns upstream: each branch sees only what came
 * before the block, the layers after it every branch. */
static int parse_concat(struct opc_errctx *c, struct builder *bd, json_object *o, const char *pos,
			const char *prefix, int *rank, int64_t *shape, int depth)
{
	static const char *const keys[] = { "type", "name", "branches", NULL };
	char where[1024], inner[768], s0[96], s1[96], b[96];
	int64_t in[3], out[3] = { 0 };
	int in_rank = *rank, out_rank = 0, learns = bd->learns, any = learns;
	json_object *br;
	const char *name = NULL;
	size_t n;

	snprintf(where, sizeof(where), "%.700s (concat)", pos);
	if (check_keys(c, where, o, keys) < 0)
		return -EINVAL;
	if (block_name(c, o, pos, "concat", prefix, where, sizeof(where), &name) < 0)
		return -EINVAL;
	if (need(c, where, o, "branches", &br) < 0)
		return -EINVAL;
	n = json_object_is_type(br, json_type_array) ? json_object_array_length(br) : 0;
	if (n < 2)
		return opc_errctx_fail(c, "%s: \"branches\" must be an array of at least two lists "
				       "of layers, got %s", where, show(br, b, sizeof(b)));
	memcpy(in, shape, sizeof(in));
	for (size_t i = 0; i < n; i++) {
		/* the dimension joined: the channels of an image, the features
		 * of a vector or of every position of a sequence */
		int cd;

		*rank = in_rank;
		memcpy(shape, in, sizeof(in));
		bd->learns = learns;
		snprintf(inner, sizeof(inner), "%.700s.branches[%zu]", where, i);
		if (parse_list(c, bd, json_object_array_get_idx(br, (int)i), inner, prefix, rank,
			       shape, depth + 1) < 0)
			return -EINVAL;
		any |= bd->learns;
		if (i == 0) {
			out_rank = *rank;
			memcpy(out, shape, sizeof(out));
			continue;
		}
		cd = out_rank == 2 ? 1 : 0;
		for (int d = 0; d < out_rank && *rank == out_rank; d++)
			if (d != cd && shape[d] != out[d])
				*rank = -1;
		if (*rank != out_rank) {
			opc_arch_shape_str(out_rank, out, s0, sizeof(s0));
			opc_arch_shape_str(*rank < 0 ? out_rank : *rank, shape, s1, sizeof(s1));
			return opc_errctx_fail(c, "%s: branches[%zu] gives %s, the branches before it "
					       "%s: torch.cat needs the same shape but for the %s",
					       where, i, s1, s0, out_rank == 3 ? "channels" : "features");
		}
		if (__builtin_add_overflow(out[cd], shape[cd], &out[cd]) || out[cd] > DIM_MAX)
			return opc_errctx_fail(c, "%s: more than %lld channels or features joined",
					       where, (long long)DIM_MAX);
	}
	bd->learns = any;
	*rank = out_rank;
	memcpy(shape, out, sizeof(out));
	return close_block(c, bd, where, OPC_LAYER_CONCAT, prefix, name, out_rank, out);
}

static int parse_list(struct opc_errctx *c, struct builder *bd, json_object *arr, const char *pos,
		      const char *prefix, int *rank, int64_t *shape, int depth)
{
	char p[768], b[96];
	size_t n;

	if (!json_object_is_type(arr, json_type_array) || json_object_array_length(arr) == 0)
		return opc_errctx_fail(c, "%s%s must be a non-empty array of layers, got %s",
				       depth ? "" : "\"", depth ? pos : "layers\"",
				       show(arr, b, sizeof(b)));
	if (depth > MAX_DEPTH)
		return opc_errctx_fail(c, "%s: blocks nested more than %d deep", pos, MAX_DEPTH);
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, (int)i), *t;
		const char *type = NULL;
		struct opc_arch_layer *l;
		int ret;

		snprintf(p, sizeof(p), "%.740s[%zu]", pos, i);
		if (json_object_is_type(o, json_type_object) &&
		    json_object_object_get_ex(o, "type", &t) && json_object_is_type(t, json_type_string))
			type = json_object_get_string(t);
		if (type && (!strcmp(type, "repeat") || !strcmp(type, "residual") ||
			     !strcmp(type, "gate") || !strcmp(type, "concat"))) {
			if (bd->a->version < 2)
				return opc_errctx_fail(c, "%s: \"%s\" is a version 2 block: the file needs "
						       "\"opcount_arch\": 2", p, type);
			ret = !strcmp(type, "repeat") ?
			      parse_repeat(c, bd, o, p, prefix, rank, shape, depth) :
			      !strcmp(type, "concat") ?
			      parse_concat(c, bd, o, p, prefix, rank, shape, depth) :
			      parse_residual(c, bd, o, p, prefix, rank, shape, depth,
					     !strcmp(type, "gate"));
			if (ret < 0)
				return ret;
			continue;
		}
		l = new_layer(c, bd, p);
		if (l == NULL ||
		    parse_layer(c, o, p, bd->a->version, prefix, l, *rank, shape, bd->ordinal,
				bd->a->nlayers == 0) < 0)
			return -EINVAL;
		l->upstream_learns = bd->learns;
		bd->learns |= l->params > 0;
		bd->a->nlayers++;
		bd->a->params += l->params;
		*rank = l->out_rank;
		memcpy(shape, l->out, 3 * sizeof(shape[0]));
	}
	return 0;
}

struct name_key {
	const struct opc_arch *a;
	const char *name;
};

static int name_is(const void *arg, uint32_t id)
{
	const struct name_key *k = arg;

	return !strcmp(k->a->layers[id - 1].name, k->name);
}

/* No two layers of one name: a hash of the names seen, so that a file of
 * many layers is checked in linear time. */
static int unique_names(struct opc_errctx *c, const struct opc_arch *a)
{
	struct opc_hashtab seen = { 0 };
	int ret = 0;

	if (a->nlayers > UINT32_MAX / 2 || opc_hashtab_reserve(&seen, (uint32_t)a->nlayers) < 0)
		return opc_errctx_fail(c, "out of memory");
	for (size_t i = 0; i < a->nlayers && ret == 0; i++) {
		struct name_key k = { a, a->layers[i].name };
		uint32_t h = opc_hash_str(OPC_HASH_SEED, k.name);
		uint32_t j = opc_hashtab_find(&seen, h, name_is, &k);

		if (j)
			ret = opc_errctx_fail(c, "layers[%u] and layers[%zu] are both named \"%s\"",
					      j - 1, i, a->layers[i].name);
		else
			opc_hashtab_insert(&seen, h, (uint32_t)i + 1);
	}
	opc_hashtab_free(&seen);
	return ret;
}

static int parse_root(struct opc_errctx *c, json_object *root, int64_t batch, struct opc_arch *a)
{
	static const char *const top_keys[] = { "opcount_arch", "name", "description", "input",
						"batch", "dtype", "layers", NULL };
	struct builder bd = { .a = a };
	int rank, weighted = 0;
	int64_t shape[3] = { 0 };
	json_object *v, *layers;
	const char *s;
	char b[96];
	size_t n;

	if (!json_object_is_type(root, json_type_object))
		return opc_errctx_fail(c, "the architecture must be a JSON object, got %s",
			    show(root, b, sizeof(b)));
	if (check_keys(c, "top level", root, top_keys) < 0)
		return -EINVAL;
	a->version = 1;
	if (json_object_object_get_ex(root, "opcount_arch", &v)) {
		if (!json_object_is_type(v, json_type_int) ||
		    (json_object_get_int64(v) != 1 && json_object_get_int64(v) != 2))
			return opc_errctx_fail(c, "\"opcount_arch\": this opcount reads versions 1 and "
					       "2, got %s", show(v, b, sizeof(b)));
		a->version = (int)json_object_get_int64(v);
	}
	if (json_object_object_get_ex(root, "name", &v)) {
		if (get_string(c, "top level", "name", v, &s) < 0)
			return -EINVAL;
		snprintf(a->name, sizeof(a->name), "%s", s);
	}
	if (json_object_object_get_ex(root, "description", &v) &&
	    get_string(c, "top level", "description", v, &s) < 0)
		return -EINVAL;

	if (need(c, "top level", root, "input", &v) < 0)
		return -EINVAL;
	n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
	if (n == 2 && a->version < 2)
		return opc_errctx_fail(c, "\"input\" must be [features] or [channels, height, width], "
				       "got %s ([sequence, features] is version 2: the file needs "
				       "\"opcount_arch\": 2)", show(v, b, sizeof(b)));
	if (n != 1 && n != 3 && n != 2)
		return opc_errctx_fail(c, "\"input\" must be [features]%s or [channels, height, "
				       "width], got %s", a->version >= 2 ? ", [sequence, features]" : "",
				       show(v, b, sizeof(b)));
	a->input_rank = (int)n;
	for (int i = 0; i < a->input_rank; i++)
		if (get_int(c, "top level", "input", json_object_array_get_idx(v, i), 1,
			    &a->input[i]) < 0)
			return -EINVAL;

	a->batch = 1;
	if (json_object_object_get_ex(root, "batch", &v) &&
	    get_int(c, "top level", "batch", v, 1, &a->batch) < 0)
		return -EINVAL;
	if (batch > 0)
		a->batch = batch;

	a->prec = 's';
	if (json_object_object_get_ex(root, "dtype", &v)) {
		if (get_string(c, "top level", "dtype", v, &s) < 0)
			return -EINVAL;
		if (!strcmp(s, "float32"))
			a->prec = 's';
		else if (!strcmp(s, "float64"))
			a->prec = 'd';
		else
			return opc_errctx_fail(c, "\"dtype\" must be \"float32\" or \"float64\", got \"%s\"", s);
	}

	if (need(c, "top level", root, "layers", &layers) < 0)
		return -EINVAL;
	rank = a->input_rank;
	memcpy(shape, a->input, sizeof(shape));
	if (parse_list(c, &bd, layers, "layers", "", &rank, shape, 0) < 0)
		return -EINVAL;
	for (size_t i = 0; i < a->nlayers; i++)
		weighted |= is_weighted(a->layers[i].kind);
	if (!weighted)
		return opc_errctx_fail(c, "%s: nothing for BLAS to do", a->version >= 2 ?
				       "no layer with GEMMs (dense, conv2d, attention, lstm, gru)" :
				       "no dense or conv2d layer");
	return unique_names(c, a);
}

int opc_arch_parse(const char *text, const char *path, int64_t batch, struct opc_arch *a,
		   char *err, size_t len)
{
	char why[256];
	json_object *root;
	struct opc_errctx c;
	int ret;

	memset(a, 0, sizeof(*a));
	opc_errctx_init(&c, path, err, len);
	a->path = strdup(path);
	if (a->path == NULL)
		return opc_errctx_fail(&c, "out of memory");
	root = opc_json_parse_strict(text, why, sizeof(why));
	if (root == NULL) {
		ret = opc_errctx_fail(&c, "%s", why);
	} else {
		ret = parse_root(&c, root, batch, a);
		json_object_put(root);
	}
	/* after an error the caller has nothing to free (the fuzzer found
	 * the path and the layers left behind) */
	if (ret)
		opc_arch_free(a);
	return ret;
}

/* The whole file as a string, or NULL with the message in err. */
static char *slurp(const char *path, char *err, size_t len)
{
	/* regular files only, opened without blocking: a FIFO fails here */
	FILE *f = opc_fopen_regular(path);
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (f == NULL) {
		snprintf(err, len, "%s: cannot open: %s", path, opc_open_strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t r;

		if (cap - n < 4096) {
			char *nb;

			if (cap > (64u << 20)) {
				snprintf(err, len, "%s: larger than 64 MiB: not an architecture file",
					 path);
				break;
			}
			nb = realloc(buf, cap = cap ? 2 * cap : 65536);
			if (nb == NULL) {
				snprintf(err, len, "%s: out of memory", path);
				break;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0) {
			if (ferror(f)) {
				snprintf(err, len, "%s: cannot read: %s", path, strerror(errno));
				break;
			}
			buf[n] = 0;
			if (memchr(buf, 0, n)) {
				snprintf(err, len, "%s: contains NUL bytes: not a JSON file", path);
				break;
			}
			fclose(f);
			return buf;
		}
	}
	fclose(f);
	free(buf);
	return NULL;
}

char *opc_read_text_file(const char *path, char *err, size_t len)
{
	return slurp(path, err, len);
}

int opc_arch_load(const char *path, int64_t batch, struct opc_arch *a, char *err, size_t len)
{
	char *text = slurp(path, err, len);
	int ret;

	if (text == NULL) {
		memset(a, 0, sizeof(*a));
		return -EINVAL;
	}
	ret = opc_arch_parse(text, path, batch, a, err, len);
	free(text);
	return ret;
}

void opc_arch_free(struct opc_arch *a)
{
	free(a->path);
	free(a->layers);
	memset(a, 0, sizeof(*a));
}

/* ---- lowering ------------------------------------------------------------ */

/*
 * The cost model counts in doubles rounded to 64 bits: a GEMM whose 2mnk
 * FLOPs or whose bytes, (mk + kn + 2mn) elements of at most 8 bytes, reach
 * 2^63 would come out as garbage.  Exact products decide.
 */
static int gemm_fits(uint64_t m, uint64_t n, uint64_t k)
{
	uint64_t mn, flops, elems, kn;

	return mul_ok(m, n, &mn) && mul_ok(mn, k, &flops) && mul_ok(flops, 2, &flops) &&
	       flops <= INT64_MAX && mul_ok(m, k, &elems) && mul_ok(k, n, &kn) &&
	       !__builtin_add_overflow(elems, kn, &elems) && mul_ok(mn, 2, &mn) &&
	       !__builtin_add_overflow(elems, mn, &elems) && mul_ok(elems, 8, &elems) &&
	       elems <= INT64_MAX;
}

static int add_op(struct opc_lowering *lw, size_t *cap, const struct opc_arch *a, size_t layer,
		  enum opc_phase phase, int64_t m, int64_t n, int64_t k, uint64_t calls,
		  uint64_t c_read_calls)
{
	struct opc_shape s = { .d = { m, n, k, 0 }, .f = { 'N', 'N', '0', 0 } };
	struct opc_cost c0 = { 0, 0 }, c1 = { 0, 0 };
	struct opc_lop *op;
	uint64_t f, b0, b1;
	int rid;

	if (calls == 0)
		return 0;
	if (!gemm_fits(m, n, k))
		return -EOVERFLOW;
	if (lw->nops == *cap) {
		size_t nc = *cap ? 2 * *cap : 16;
		struct opc_lop *no = realloc(lw->ops, nc * sizeof(*no));

		if (no == NULL)
			return -ENOMEM;
		lw->ops = no;
		*cap = nc;
	}
	/* the routine's entry in the table the recording library uses */
	rid = opc_routine_find(a->prec == 'd' ? "cblas_dgemm" : "cblas_sgemm");
	if (rid < 0)
		return -ENOENT;
	opc_routine_cost(rid, &s, &c0);
	s.f[2] = '1';
	opc_routine_cost(rid, &s, &c1);
	op = &lw->ops[lw->nops++];
	memset(op, 0, sizeof(*op));
	op->layer = layer;
	op->phase = phase;
	op->rid = -1;
	snprintf(op->routine, sizeof(op->routine), "%cgemm", a->prec);
	op->m = m;
	op->n = n;
	op->k = k;
	op->calls = calls;
	op->c_read_calls = c_read_calls;
	if (!mul_ok(c0.flops, calls, &f) || !mul_ok(c0.bytes, calls - c_read_calls, &b0) ||
	    !mul_ok(c1.bytes, c_read_calls, &b1) || b0 + b1 < b0)
		return -EOVERFLOW;
	op->flops = f;
	op->bytes = b0 + b1;
	return 0;
}

/* Rows of a dense layer's GEMM: every position of a sequence is a row
 * (PyTorch folds [batch, sequence, features] into one matrix). */
static int64_t rows(const struct opc_arch *a, const struct opc_arch_layer *l)
{
	return l->in_rank == 2 ? a->batch * l->in[0] : a->batch;
}

/*
 * The attention's batched products, b*h sgemm each, S queries and S_kv
 * keys of dh: forward Q K^T (S x S_kv x dh; baddbmm with the mask as C,
 * read, when causal) and A V (S x dh x S_kv); backward dA (S x S_kv x dh),
 * dV and dK (S_kv x dh x S), dQ (S x dh x S_kv).  A bmm whose product is
 * small (contraction x rows x columns < 400, S*S_kv*dh for all six) is a
 * plain loop in ATen (bmm_out_or_baddbmm_), no BLAS call: none is lowered.
 */
static int lower_attention_bmm(struct opc_lowering *lw, size_t *cap, const struct opc_arch *a,
			       size_t i, int64_t s, int64_t skv, int backward)
{
	const struct opc_arch_layer *l = &a->layers[i];
	int64_t dh = l->in[1] / l->heads;
	uint64_t bh = (uint64_t)a->batch * (uint64_t)l->heads, small;
	int ret;

	if (mul_ok((uint64_t)s * (uint64_t)skv, (uint64_t)dh, &small) && small < 400)
		return 0;
	if (!backward) {
		ret = add_op(lw, cap, a, i, OPC_PHASE_FORWARD, s, skv, dh, bh, l->causal ? bh : 0);
		if (ret == 0)
			ret = add_op(lw, cap, a, i, OPC_PHASE_FORWARD, s, dh, skv, bh, 0);
		return ret;
	}
	/* the activations' gradients, needed for the projections' weights
	 * whatever comes before */
	ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_X, s, skv, dh, bh, 0);
	if (ret == 0 && s == skv)	/* self-attention: dV, dK, dQ of one shape */
		return add_op(lw, cap, a, i, OPC_PHASE_GRAD_X, s, dh, s, 3 * bh, 0);
	if (ret == 0)
		ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_X, skv, dh, s, 2 * bh, 0);
	if (ret == 0)
		ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_X, s, dh, skv, bh, 0);
	return ret;
}

/*
 * Cross-attention: nn.MultiheadAttention called with a query x of S
 * positions and a key/value of S_kv positions (a decoder's memory),
 * b samples, width d, h heads of dh = d/h, r = b*S and rkv = b*S_kv rows,
 * E_k and E_v the key's and value's widths.  F.multi_head_attention_forward
 * projects them apart:
 *
 *   _in_projection_packed (E_k = E_v = d, in_proj_weight split in place):
 *     key is value   q   one addmm  r x d x d
 *                    kv  one addmm  rkv x 2d x d  (k and v at once)
 *     key not value  q, k, v        r x d x d, rkv x d x d, rkv x d x d
 *   _in_projection (kdim or vdim != d, q/k/v_proj_weight):
 *                    q, k, v        r x d x d, rkv x d x E_k, rkv x d x E_v
 *   Q K^T  S x S_kv x dh, A V  S x dh x S_kv: b*h sgemm each
 *   out_proj one addmm r x d x d
 *
 * backward: out_proj dW, dX; dA (S x S_kv x dh), dV (S_kv x dh x S),
 * dQ (S x dh x S_kv), dK (S_kv x dh x S), b*h sgemm each; the query's
 * projection dW, and dX when something upstream learns; the key's and
 * value's dW, and their dX only when the memory requires grad.  The small
 * bmm rule takes S*S_kv*dh (lower_attention_bmm).
 */
static int lower_cross_attention(struct opc_lowering *lw, size_t *cap, const struct opc_arch *a,
				 size_t i, int backward, int dx)
{
	const struct opc_arch_layer *l = &a->layers[i];
	int64_t b = a->batch, s = l->in[0], d = l->in[1], r = b * s;
	int64_t skv = l->mem_seq, rkv = b * skv, ek = l->mem_dim, ev = l->val_dim;
	/* one GEMM for k and v: same width as the query, one tensor */
	int kv1 = ek == d && ev == d && !l->val_sep;
	int ret;

	if (!backward) {
		ret = add_op(lw, cap, a, i, OPC_PHASE_FORWARD, r, d, d, 1, l->bias);
		if (ret == 0 && kv1)
			ret = add_op(lw, cap, a, i, OPC_PHASE_FORWARD, rkv, 2 * d, d, 1, l->bias);
		if (ret == 0 && !kv1)
			ret = add_op(lw, cap, a, i, OPC_PHASE_FORWARD, rkv, d, ek, 1, l->bias);
		if (ret == 0 && !kv1)
			ret = add_op(lw, cap, a, i, OPC_PHASE_FORWARD, rkv, d, ev, 1, l->bias);
		if (ret == 0)
			ret = lower_attention_bmm(lw, cap, a, i, s, skv, 0);
		if (ret == 0)
			ret = add_op(lw, cap, a, i, OPC_PHASE_FORWARD, r, d, d, 1, l->bias);
		return ret;
	}
	ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_W, d, d, r, 1, 0);
	if (ret == 0)
		ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_X, r, d, d, 1, 0);
	if (ret == 0)
		ret = lower_attention_bmm(lw, cap, a, i, s, skv, 1);
	if (ret == 0)
		ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_W, d, d, r, 1, 0);
	if (ret == 0 && dx)
		ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_X, r, d, d, 1, 0);
	if (ret == 0 && kv1)
		ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_W, 2 * d, d, rkv, 1, 0);
	if (ret == 0 && kv1 && l->mem_grad)
		ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_X, rkv, d, 2 * d, 1, 0);
	if (ret == 0 && !kv1)
		ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_W, d, ek, rkv, 1, 0);
	if (ret == 0 && !kv1)
		ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_W, d, ev, rkv, 1, 0);
	if (ret == 0 && !kv1 && l->mem_grad)
		ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_X, rkv, ek, d, 1, 0);
	if (ret == 0 && !kv1 && l->mem_grad)
		ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_X, rkv, ev, d, 1, 0);
	return ret;
}

/*
 * nn.MultiheadAttention (self-attention) as torch 1.13 runs it on a CPU,
 * F.multi_head_attention_forward, b samples of S positions, width d, h
 * heads of dh = d/h, r = b*S rows:
 *
 *   forward  in_proj  one addmm   r x 3d x d  (q, k, v at once: query is key is value)
 *            Q K^T    bmm         S x S x dh  b*h sgemm (baddbmm, C = the mask, if causal)
 *            A V      bmm         S x dh x S  b*h sgemm
 *            out_proj one addmm   r x d x d
 *   backward out_proj dW, dX; A V: dA, dV; Q K^T: dQ, dK (b*h sgemm each);
 *            in_proj dW, and dX when something upstream learns
 *
 * The bmm, none when S*S*dh < 400: lower_attention_bmm().
 */
static int lower_attention(struct opc_lowering *lw, size_t *cap, const struct opc_arch *a,
			   size_t i, int backward, int dx)
{
	const struct opc_arch_layer *l = &a->layers[i];
	int64_t b = a->batch, s = l->in[0], d = l->in[1], r = b * s;
	int ret;

	if (l->mem_seq)
		return lower_cross_attention(lw, cap, a, i, backward, dx);
	if (!backward) {
		ret = add_op(lw, cap, a, i, OPC_PHASE_FORWARD, r, 3 * d, d, 1, l->bias);
		if (ret == 0)
			ret = lower_attention_bmm(lw, cap, a, i, s, s, 0);
		if (ret == 0)
			ret = add_op(lw, cap, a, i, OPC_PHASE_FORWARD, r, d, d, 1, l->bias);
		return ret;
	}
	ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_W, d, d, r, 1, 0);
	if (ret == 0)
		ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_X, r, d, d, 1, 0);
	/* dA = dO V^T; dV = A^T dO, dQ = dS K, dK = dS^T Q */
	if (ret == 0)
		ret = lower_attention_bmm(lw, cap, a, i, s, s, 1);
	if (ret == 0)
		ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_W, 3 * d, d, r, 1, 0);
	if (ret == 0 && dx)
		ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_X, r, d, 3 * d, 1, 0);
	return ret;
}

/*
 * nn.LSTM and nn.GRU (G = 4 and 3 gates) as torch 1.13 runs them on a CPU
 * (aten/src/ATen/native/RNN.cpp, FullLayer): per layer and direction, the
 * input projection of all S steps at once, then one GEMM per step for the
 * hidden state (the first too, on h0 = 0):
 *
 *   forward  x W_ih^T + b_ih   one addmm   r x GH x in   (r = b*S)
 *            h W_hh^T + b_hh   S addmm     b x GH x H
 *   backward dW_hh  S sgemm (GH x H x b); dh  S-1 sgemm (b x H x GH): h0
 *            needs none; dW_ih  one (GH x in x r); dx  one (r x in x GH),
 *            for the first layer only when something upstream learns
 *
 * with in = the features for the first layer, H * directions after it.
 */
static int lower_rnn(struct opc_lowering *lw, size_t *cap, const struct opc_arch *a, size_t i,
		     int backward, int dx)
{
	const struct opc_arch_layer *l = &a->layers[i];
	int64_t b = a->batch, s = l->in[0], h = l->hidden, r = b * s;
	int64_t gh = (l->kind == OPC_LAYER_LSTM ? 4 : 3) * h;
	int dirs = l->bidirectional ? 2 : 1, ret = 0;

	for (int64_t k = 0; k < l->num_layers && ret == 0; k++) {
		/* the backward runs from the last layer to the first */
		int64_t layer = backward ? l->num_layers - 1 - k : k;
		int64_t in = layer ? h * dirs : l->in[1];

		for (int d = 0; d < dirs && ret == 0; d++) {
			if (!backward) {
				ret = add_op(lw, cap, a, i, OPC_PHASE_FORWARD, r, gh, in, 1, l->bias);
				if (ret == 0)
					ret = add_op(lw, cap, a, i, OPC_PHASE_FORWARD, b, gh, h,
						     (uint64_t)s, l->bias ? (uint64_t)s : 0);
				continue;
			}
			ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_W, gh, h, b, (uint64_t)s, 0);
			if (ret == 0)
				ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_X, b, h, gh,
					     (uint64_t)s - 1, 0);
			if (ret == 0)
				ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_W, gh, in, r, 1, 0);
			if (ret == 0 && (layer > 0 || dx))
				ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_X, r, in, gh, 1, 0);
		}
	}
	return ret;
}

/*
 * conv2d in a version 2 file: torch 1.13's slow_conv2d (and
 * slow_conv_dilated2d), oneDNN off, per image and per group (a grouped or
 * depthwise convolution is run group by group), g groups, Q = C/g*KH*KW,
 * OO = OH*OW, F/g filters each:
 *
 *   forward  Y = W col    F/g x OO x Q   b*g sgemm; C is the bias (beta = 1)
 *   grad W   dW += dY col^T              b*g sgemm, beta = 1 every time
 *                                        (the gradient starts at zero)
 *   grad X   dcol = W^T dY               b*g sgemm, when something upstream learns
 */
static int lower_conv_gemm(struct opc_lowering *lw, size_t *cap, const struct opc_arch *a,
			   size_t i, int backward, int dx)
{
	const struct opc_arch_layer *l = &a->layers[i];
	int64_t g = l->groups, f = l->filters / g, q = l->in[0] / g * l->kh * l->kw;
	int64_t oo = l->out[1] * l->out[2];
	uint64_t calls = (uint64_t)a->batch * (uint64_t)g;
	int ret;

	if (!backward)
		return add_op(lw, cap, a, i, OPC_PHASE_FORWARD, f, oo, q, calls,
			      l->bias ? calls : 0);
	ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_W, f, q, oo, calls, calls);
	if (ret == 0 && dx)
		ret = add_op(lw, cap, a, i, OPC_PHASE_GRAD_X, q, oo, f, calls, 0);
	return ret;
}

const char *opc_conv_path_name(enum opc_conv_path p)
{
	return p == OPC_CONV_GEMM ? "gemm" : "onednn";
}

/*
 * torch 1.13's ConvParams::use_mkldnn (aten/src/ATen/native/Convolution.cpp)
 * for a float32 CPU tensor, not transposed: oneDNN unless the convolution
 * is one the native code does faster,
 *
 *   (strided || dilated || N >= 16 || a kernel other than 1x1 || threads > 1)
 *   && (groups > 1 || (KH > 3 && KW > 3) || N > 1 || N*C*H*W > 20480)
 *
 * so a 1x1 convolution of a batch under 16 on one thread, and a batch of
 * one image with a small kernel and input, stay in slow_conv2d (the gemm
 * lowering).  float64 never goes to oneDNN.  Measured with 1 and 2 threads
 * (docs/arch.md).
 */
int opc_conv_uses_onednn(const struct opc_arch *a, const struct opc_arch_layer *l,
			 const struct opc_lower_opts *opts)
{
	int64_t n = a->batch;
	int threads = opts ? opts->threads : 0;
	uint64_t e = elems(3, l->in), in;

	if (a->version < 2 || a->prec != 's' || (opts && opts->conv == OPC_CONV_GEMM))
		return 0;
	if (!(l->sh > 1 || l->sw > 1 || l->dil_h > 1 || l->dil_w > 1 || n >= 16 || l->kh != 1 ||
	      l->kw != 1 || threads != 1))
		return 0;
	/* N*C*H*W > 20480; a product that overflows (elems 0) is larger */
	return l->groups > 1 || (l->kh > 3 && l->kw > 3) || n > 1 || e == 0 ||
	       !mul_ok((uint64_t)n, e, &in) || in > 20480;
}

/* n * m, or -1 past INT64_MAX */
static int64_t dmul(int64_t n, int64_t m)
{
	uint64_t r;

	return n >= 0 && m >= 0 && mul_ok((uint64_t)n, (uint64_t)m, &r) && r <= INT64_MAX ?
	       (int64_t)r : -1;
}

/* `calls` executions of the oneDNN row `routine` with key shape s, costed
 * by the recording library's own cost function. */
static int add_dnnl(struct opc_lowering *lw, size_t *cap, size_t layer, enum opc_phase phase,
		    const char *routine, const struct opc_shape *s, uint64_t calls, int layout)
{
	struct opc_cost c = { 0, 0 };
	struct opc_lop *op;
	int rid = opc_routine_find(routine);

	if (rid < 0)
		return -ENOENT;
	if (lw->nops == *cap) {
		size_t nc = *cap ? 2 * *cap : 16;
		struct opc_lop *no = realloc(lw->ops, nc * sizeof(*no));

		if (no == NULL)
			return -ENOMEM;
		lw->ops = no;
		*cap = nc;
	}
	opc_routine_cost(rid, s, &c);
	op = &lw->ops[lw->nops++];
	memset(op, 0, sizeof(*op));
	op->layer = layer;
	op->phase = phase;
	op->rid = rid;
	op->layout = layout;
	op->shape = *s;
	snprintf(op->routine, sizeof(op->routine), "%s", opc_routines[rid].op);
	op->calls = calls;
	if (!mul_ok(c.flops, calls, &op->flops) || !mul_ok(c.bytes, calls, &op->bytes))
		return -EOVERFLOW;
	return 0;
}

static int add_reorder(struct opc_lowering *lw, size_t *cap, size_t layer, enum opc_phase phase,
		       int64_t n, int layout)
{
	struct opc_shape s = { .d = { n, 0, 0, 0 }, .f = { 's', 's', 0, 0 } };

	return add_dnnl(lw, cap, layer, phase, "dnnl_reorder", &s, 1, layout);
}

/*
 * conv2d in a version 2 file as torch 1.13 runs it with oneDNN on (its
 * default), mkldnn_convolution through ideep: one primitive execution per
 * pass for the whole batch, rows as preload/dnnl.c records them (y = N F OH
 * OW output elements, red = C/g KH KW multiply-adds per output element, x =
 * N C H W, w = F C/g KH KW):
 *
 *   forward   dnnl_convolution_forward; dnnl_epilogue (the bias)
 *   grad X    dnnl_convolution_backward_data, when something upstream learns
 *   grad W    dnnl_convolution_backward_weights; dnnl_epilogue (diff_bias)
 *
 * and the reorders around each: every result is reordered once into
 * torch's plain tensor (mkldnn_to_dense: y, dx, dW and db, even a plain to
 * plain copy), and each input (x and w forward, dy and w backward data, x
 * and dy backward weights) once into the blocked format the kernel asks
 * for.  Those are `layout` ops: a kernel that reads the plain format (few
 * input channels, grouped GEMM-based kernels) needs none, and which kernel
 * oneDNN picks depends on the machine's vector ISA.
 */
static int lower_conv_onednn(struct opc_lowering *lw, size_t *cap, const struct opc_arch *a,
			     size_t i, int backward, int dx)
{
	const struct opc_arch_layer *l = &a->layers[i];
	int64_t red = dmul(dmul(l->in[0] / l->groups, l->kh), l->kw);
	/* elems: 0 when it overflows, then refused below */
	int64_t y = dmul(a->batch, (int64_t)elems(3, l->out));
	int64_t x = dmul(a->batch, (int64_t)elems(3, l->in));
	int64_t w = dmul(l->filters, red), flops = dmul(dmul(y, red), 2), sum = -1;
	struct opc_shape conv = { .d = { y, red, x, w }, .f = { 's', 's', 0, 0 } };
	struct opc_shape epi = { .d = { y, 1, l->filters, 0 }, .f = { 's', 0, 0, 0 } };
	int ret;

	/* the cost model counts in doubles: keep FLOPs and bytes exact */
	if (y > 0 && x > 0 && w > 0 && !__builtin_add_overflow(x, y, &sum) &&
	    !__builtin_add_overflow(sum, w, &sum))
		sum = dmul(sum, 8);
	if (red <= 0 || flops < 0 || sum < 0 || flops >= (int64_t)1 << 53 || sum >= (int64_t)1 << 53)
		return -EOVERFLOW;
	if (!backward) {
		ret = add_reorder(lw, cap, i, OPC_PHASE_FORWARD, x, 1);
		if (ret == 0)
			ret = add_reorder(lw, cap, i, OPC_PHASE_FORWARD, w, 1);
		if (ret == 0)
			ret = add_dnnl(lw, cap, i, OPC_PHASE_FORWARD, "dnnl_convolution_forward",
				       &conv, 1, 0);
		if (ret == 0 && l->bias)
			ret = add_dnnl(lw, cap, i, OPC_PHASE_FORWARD, "dnnl_epilogue", &epi, 1, 0);
		if (ret == 0)
			ret = add_reorder(lw, cap, i, OPC_PHASE_FORWARD, y, 0);
		return ret;
	}
	/* torch's backward computes the input gradient first */
	ret = 0;
	if (dx) {
		ret = add_reorder(lw, cap, i, OPC_PHASE_GRAD_X, y, 1);
		if (ret == 0)
			ret = add_reorder(lw, cap, i, OPC_PHASE_GRAD_X, w, 1);
		if (ret == 0)
			ret = add_dnnl(lw, cap, i, OPC_PHASE_GRAD_X,
				       "dnnl_convolution_backward_data", &conv, 1, 0);
		if (ret == 0)
			ret = add_reorder(lw, cap, i, OPC_PHASE_GRAD_X, x, 0);
	}
	if (ret == 0)
		ret = add_reorder(lw, cap, i, OPC_PHASE_GRAD_W, y, 1);
	if (ret == 0)
		ret = add_reorder(lw, cap, i, OPC_PHASE_GRAD_W, x, 1);
	if (ret == 0)
		ret = add_dnnl(lw, cap, i, OPC_PHASE_GRAD_W, "dnnl_convolution_backward_weights",
			       &conv, 1, 0);
	if (ret == 0 && l->bias)
		ret = add_dnnl(lw, cap, i, OPC_PHASE_GRAD_W, "dnnl_epilogue", &epi, 1, 0);
	if (ret == 0 && l->bias)
		ret = add_reorder(lw, cap, i, OPC_PHASE_GRAD_W, l->filters, 0);
	if (ret == 0)
		ret = add_reorder(lw, cap, i, OPC_PHASE_GRAD_W, w, 0);
	return ret;
}

/* A version 2 conv2d: oneDNN's rows where torch would use it, else GEMMs. */
static int lower_conv_v2(struct opc_lowering *lw, size_t *cap, const struct opc_arch *a,
			 const struct opc_lower_opts *opts, size_t i, int backward, int dx)
{
	if (opc_conv_uses_onednn(a, &a->layers[i], opts))
		return lower_conv_onednn(lw, cap, a, i, backward, dx);
	return lower_conv_gemm(lw, cap, a, i, backward, dx);
}

void opc_lop_key(const struct opc_lop *op, char *buf, size_t len)
{
	struct opc_tkeydef k;

	if (len)
		buf[0] = 0;
	if (op->rid < 0 || len == 0)
		return;
	memset(&k, 0, sizeof(k));
	memcpy(k.rec.d, op->shape.d, sizeof(k.rec.d));
	memcpy(k.rec.f, op->shape.f, sizeof(k.rec.f));
	k.symbol = opc_routines[op->rid].symbol;
	k.op = opc_routines[op->rid].op;
	k.family = opc_routines[op->rid].family;
	k.dims = opc_routines[op->rid].dims;
	k.flag_names = opc_routines[op->rid].flags;
	opc_key_shape(&k, buf, len);
}

/* n x m x ... without wrapping: UINT64_MAX when it would */
static uint64_t mulsat(uint64_t a, uint64_t b)
{
	uint64_t r;

	return mul_ok(a, b, &r) ? r : UINT64_MAX;
}

static int traffic_add(struct opc_lowering *lw, size_t *cap, size_t layer, enum opc_phase ph,
		       uint64_t bytes)
{
	if (bytes == 0)
		return 0;
	if (bytes == UINT64_MAX)
		return -EOVERFLOW;
	if (lw->ntraffic == *cap) {
		size_t nc = *cap ? 2 * *cap : 16;
		struct opc_traffic *nt = realloc(lw->traffic, nc * sizeof(*nt));

		if (nt == NULL)
			return -ENOMEM;
		lw->traffic = nt;
		*cap = nc;
	}
	lw->traffic[lw->ntraffic++] = (struct opc_traffic){ layer, ph, bytes };
	if (__builtin_add_overflow(lw->traffic_train, bytes, &lw->traffic_train) ||
	    (ph == OPC_PHASE_FORWARD &&
	     __builtin_add_overflow(lw->traffic_infer, bytes, &lw->traffic_infer)))
		return -EOVERFLOW;
	return 0;
}

/*
 * The bytes a layer's own loops move (e bytes an element, b the batch, n
 * and m the elements of one sample in and out), per phase:
 *
 *   activation        forward 2 e b n (read, write); dX 3 e b n (dy, x, dx)
 *   layernorm, rmsnorm, batchnorm
 *                     forward 2 e b n + e P (P its parameters); dX 3 e b n;
 *                     dW 2 e b n + e P (dy, x; the scale's and shift's
 *                     gradients written)
 *   dropout           nothing at inference; dX 2 e b n + b n (dy and the
 *                     one-byte mask in, dx out); the training forward's
 *                     masking is not counted
 *   residual add      forward 3 e b m (two in, one out); dX 3 e b m (the two
 *                     branches' gradients summed at the fork)
 *   concat            forward 2 e b m (the branches copied into one); dX
 *                     2 e b m (the gradient sliced back)
 *   gate product      forward 2 e b n (x in, y out; the scales' few elements
 *                     aside); dX 4 e b n (dy, g in, dx out; dy x reduced
 *                     for the scales' gradient)
 *   pooling           forward e b (n + m); dX e b (n + m)
 *   embedding         forward 2 e b m + 8 b S (rows gathered and written, the
 *                     int64 ids read); dW 3 e b m (dy in, the rows read and
 *                     written by the index add)
 *   attention         its softmax: forward 2 e b h S S_kv; dX 3 e b h S S_kv
 *                     (its gradient, needed for the projections' weights)
 *   flatten, dense, conv2d, lstm, gru: nothing here (a view; the GEMMs and
 *   their C; the recurrent cells' elementwise gates are not modelled)
 *
 * dX only when something upstream learns, as the GEMMs' input gradients.
 */
static int lower_traffic(struct opc_lowering *lw, size_t *cap, const struct opc_arch *a, size_t i)
{
	const struct opc_arch_layer *l = &a->layers[i];
	uint64_t e = a->prec == 'd' ? 8 : 4, b = (uint64_t)a->batch;
	uint64_t n = elems(l->in_rank, l->in), m = elems(l->out_rank, l->out);
	uint64_t ebn = mulsat(mulsat(e, b), n), ebm = mulsat(mulsat(e, b), m);
	uint64_t p = mulsat(e, l->params), sm;
	int dx = l->upstream_learns, ret = 0;

	switch (l->kind) {
	case OPC_LAYER_ACTIVATION:
		ret = traffic_add(lw, cap, i, OPC_PHASE_FORWARD, mulsat(2, ebn));
		if (ret == 0 && dx)
			ret = traffic_add(lw, cap, i, OPC_PHASE_GRAD_X, mulsat(3, ebn));
		break;
	case OPC_LAYER_LAYERNORM:
	case OPC_LAYER_RMSNORM:
	case OPC_LAYER_BATCHNORM:
		ret = traffic_add(lw, cap, i, OPC_PHASE_FORWARD, mulsat(2, ebn) + p);
		if (ret == 0 && dx)
			ret = traffic_add(lw, cap, i, OPC_PHASE_GRAD_X, mulsat(3, ebn));
		if (ret == 0)
			ret = traffic_add(lw, cap, i, OPC_PHASE_GRAD_W, mulsat(2, ebn) + p);
		break;
	case OPC_LAYER_DROPOUT:
		if (dx)
			ret = traffic_add(lw, cap, i, OPC_PHASE_GRAD_X,
					  mulsat(2, ebn) + mulsat(b, n));
		break;
	case OPC_LAYER_RESIDUAL:
		ret = traffic_add(lw, cap, i, OPC_PHASE_FORWARD, mulsat(3, ebm));
		if (ret == 0 && dx)
			ret = traffic_add(lw, cap, i, OPC_PHASE_GRAD_X, mulsat(3, ebm));
		break;
	case OPC_LAYER_CONCAT:
		/* the branches' outputs copied into one tensor; its gradient
		 * sliced back */
		ret = traffic_add(lw, cap, i, OPC_PHASE_FORWARD, mulsat(2, ebm));
		if (ret == 0 && dx)
			ret = traffic_add(lw, cap, i, OPC_PHASE_GRAD_X, mulsat(2, ebm));
		break;
	case OPC_LAYER_GATE:
		ret = traffic_add(lw, cap, i, OPC_PHASE_FORWARD, mulsat(2, ebn));
		if (ret == 0 && dx)
			ret = traffic_add(lw, cap, i, OPC_PHASE_GRAD_X, mulsat(4, ebn));
		break;
	case OPC_LAYER_MAXPOOL:
	case OPC_LAYER_AVGPOOL:
	case OPC_LAYER_ADAPTIVE_AVGPOOL:
	case OPC_LAYER_ADAPTIVE_MAXPOOL:
		ret = traffic_add(lw, cap, i, OPC_PHASE_FORWARD, ebn + ebm);
		if (ret == 0 && dx)
			ret = traffic_add(lw, cap, i, OPC_PHASE_GRAD_X, ebn + ebm);
		break;
	case OPC_LAYER_EMBEDDING:
		ret = traffic_add(lw, cap, i, OPC_PHASE_FORWARD,
				  mulsat(2, ebm) + mulsat(8, mulsat(b, (uint64_t)l->in[0])));
		if (ret == 0)
			ret = traffic_add(lw, cap, i, OPC_PHASE_GRAD_W, mulsat(3, ebm));
		break;
	case OPC_LAYER_ATTENTION:
		/* b h S S_kv attention weights */
		sm = mulsat(mulsat(mulsat(e, b), (uint64_t)l->heads),
			    mulsat((uint64_t)l->in[0],
				   (uint64_t)(l->mem_seq ? l->mem_seq : l->in[0])));
		ret = traffic_add(lw, cap, i, OPC_PHASE_FORWARD, mulsat(2, sm));
		if (ret == 0)
			ret = traffic_add(lw, cap, i, OPC_PHASE_GRAD_X, mulsat(3, sm));
		break;
	default:
		break;
	}
	return ret;
}

static int work_add(struct opc_work *w, const struct opc_lop *op)
{
	w->calls += op->calls;
	w->flops += op->flops;
	w->bytes += op->bytes;
	return w->flops < op->flops || w->bytes < op->bytes ? -EOVERFLOW : 0;
}

int opc_arch_lower(const struct opc_arch *a, struct opc_lowering *lw, char *err, size_t len)
{
	return opc_arch_lower_opts(a, NULL, lw, err, len);
}

int opc_arch_lower_opts(const struct opc_arch *a, const struct opc_lower_opts *opts,
			struct opc_lowering *lw, char *err, size_t len)
{
	int64_t b = a->batch;
	size_t cap = 0, at = 0;
	struct opc_errctx c;
	int ret = 0;

	opc_errctx_init(&c, a->path ? a->path : "architecture", err, len);
	memset(lw, 0, sizeof(*lw));
	lw->batch = b;
	/* forward first, then backward from the last layer, as the programs
	 * issue them; the order only shows in the listing */
	for (size_t i = 0; i < a->nlayers && ret == 0; i++) {
		const struct opc_arch_layer *l = &a->layers[i];

		at = i;
		if (l->kind == OPC_LAYER_DENSE)
			/* version 2 is PyTorch's addmm: the bias is C (beta = 1) */
			ret = add_op(lw, &cap, a, i, OPC_PHASE_FORWARD, rows(a, l), l->units,
				     l->in[l->in_rank - 1], 1, a->version >= 2 && l->bias);
		else if (l->kind == OPC_LAYER_ATTENTION)
			ret = lower_attention(lw, &cap, a, i, 0, 0);
		else if (l->kind == OPC_LAYER_LSTM || l->kind == OPC_LAYER_GRU)
			ret = lower_rnn(lw, &cap, a, i, 0, 0);
		else if (l->kind == OPC_LAYER_CONV2D && a->version >= 2)
			ret = lower_conv_v2(lw, &cap, a, opts, i, 0, 0);
		else if (l->kind == OPC_LAYER_CONV2D)
			ret = add_op(lw, &cap, a, i, OPC_PHASE_FORWARD, l->filters,
				     l->out[1] * l->out[2], l->in[0] * l->kh * l->kw, b, 0);
	}
	for (size_t i = a->nlayers; i-- > 0 && ret == 0;) {
		const struct opc_arch_layer *l = &a->layers[i];
		/* an input gradient only behind a layer that learns (a norm's
		 * scale and shift learn too, so a GEMM behind a layernorm or
		 * batchnorm computes its input gradient) */
		int dx = l->upstream_learns;

		at = i;
		if (l->kind == OPC_LAYER_DENSE) {
			int64_t in = l->in[l->in_rank - 1];

			ret = add_op(lw, &cap, a, i, OPC_PHASE_GRAD_W, l->units, in, rows(a, l), 1, 0);
			if (ret == 0 && dx)
				ret = add_op(lw, &cap, a, i, OPC_PHASE_GRAD_X, rows(a, l), in, l->units,
					     1, 0);
		} else if (l->kind == OPC_LAYER_ATTENTION) {
			ret = lower_attention(lw, &cap, a, i, 1, dx);
		} else if (l->kind == OPC_LAYER_LSTM || l->kind == OPC_LAYER_GRU) {
			ret = lower_rnn(lw, &cap, a, i, 1, dx);
		} else if (l->kind == OPC_LAYER_CONV2D && a->version >= 2) {
			ret = lower_conv_v2(lw, &cap, a, opts, i, 1, dx);
		} else if (l->kind == OPC_LAYER_CONV2D) {
			int64_t q = l->in[0] * l->kh * l->kw, oo = l->out[1] * l->out[2];

			/* beta = 1 after the first image: the batch's gradient is
			 * summed in place, so C is read b - 1 times */
			ret = add_op(lw, &cap, a, i, OPC_PHASE_GRAD_W, l->filters, q, oo, b, b - 1);
			if (ret == 0 && dx)
				ret = add_op(lw, &cap, a, i, OPC_PHASE_GRAD_X, q, oo, l->filters, b, 0);
		}
	}
	for (size_t i = 0; i < lw->nops && ret == 0; i++) {
		at = lw->ops[i].layer;
		if (lw->ops[i].phase == OPC_PHASE_FORWARD)
			ret = work_add(&lw->infer, &lw->ops[i]);
		if (ret == 0)
			ret = work_add(&lw->train, &lw->ops[i]);
	}
	for (size_t i = 0, tcap = 0; i < a->nlayers && ret == 0; i++) {
		at = i;
		ret = lower_traffic(lw, &tcap, a, i);
	}
	/* after an error the caller has nothing to free */
	if (ret)
		opc_lowering_free(lw);
	if (ret == -ENOMEM)
		return opc_errctx_fail(&c, "out of memory");
	if (ret == -ENOENT)
		return opc_errctx_fail(&c, "no GEMM or oneDNN row in the routine table");
	if (ret)
		return opc_errctx_fail(&c, "layers[%zu] (%s \"%s\"): its operations for a batch of %lld "
				       "do not fit 64-bit counters of FLOPs and bytes", at,
				       opc_layer_kind_name(a->layers[at].kind), a->layers[at].name,
				       (long long)b);
	return 0;
}

void opc_lowering_free(struct opc_lowering *lw)
{
	free(lw->ops);
	free(lw->traffic);
	memset(lw, 0, sizeof(*lw));
}
