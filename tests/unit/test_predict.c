/*
 * test_predict.c - architecture lowering, coefficients, life-cycle and
 * carbon arithmetic of `opcount predict`.
 *
 * The lowering is checked against the closed forms examples/mlp.c and
 * examples/cnn.c check their own calls against (mlp_expected_flops,
 * cnn_expected), rewritten here from the shapes; the integration test
 * predict.sh ties it to the programs' printed counts as well.  Bytes are
 * counted here element by element (A and B read, C written, C read when
 * beta != 0), independently of common/cost.c.
 *
 * The engine (opc_predict) is checked on a network small enough to price
 * by hand, with coefficients that are powers of two so that every energy
 * is exact: which training overhead wins, the life cycle, static power,
 * a time fit, and the carbon of a given energy.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "arch.h"
#include "carbon.h"
#include "datadir.h"
#include "predict.h"

static char err[2048];

static void load_opts(const char *json, const struct opc_lower_opts *o, struct opc_arch *a,
		      struct opc_lowering *lw)
{
	int ret = opc_arch_parse(json, "t.json", 0, a, err, sizeof(err));

	if (ret)
		fail_msg("parse: %s", err);
	ret = opc_arch_lower_opts(a, o, lw, err, sizeof(err));
	if (ret)
		fail_msg("lower: %s", err);
}

static void load(const char *json, struct opc_arch *a, struct opc_lowering *lw)
{
	load_opts(json, NULL, a, lw);
}

/* the error message of a bad architecture, which must mention `want` */
static void bad(const char *json, const char *want)
{
	struct opc_arch a;
	int ret = opc_arch_parse(json, "bad.json", 0, &a, err, sizeof(err));

	if (ret == 0) {
		opc_arch_free(&a);
		fail_msg("accepted: %s", json);
	}
	assert_true(ret < 0);
	/* nothing left to free after an error (the arch fuzzer found leaks) */
	assert_null(a.path);
	assert_null(a.layers);
	assert_int_equal(a.nlayers, 0);
	if (strncmp(err, "bad.json: ", 10) || !strstr(err, want))
		fail_msg("for %s\n  message: %s\n  wanted: %s", json, err, want);
	opc_arch_free(&a);
}

static uint64_t gemm_bytes(uint64_t m, uint64_t n, uint64_t k, int c_read, int es)
{
	return es * (m * k + k * n + m * n + (c_read ? m * n : 0));
}

/* examples/mlp.c: mlp_expected_flops() and mlp_expected_calls() */
static void test_mlp_lowering(void **state)
{
	static const int widths[][4] = {	/* inputs, width, outputs, hidden layers */
		{ 32, 64, 10, 2 }, { 9, 17, 3, 4 }, { 32, 64, 10, 0 }, { 784, 300, 10, 1 },
	};
	(void)state;
	for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
		int in = widths[w][0], width = widths[w][1], out = widths[w][2];
		int hidden = widths[w][3], nl = hidden + 1;
		char json[4096];
		size_t o = 0;
		struct opc_arch a;
		struct opc_lowering lw;
		uint64_t b = 7 + w, flops_inf = 0, flops_train = 0, bytes_inf = 0, bytes_train = 0;

		o += snprintf(json + o, sizeof(json) - o,
			      "{\"input\": [%d], \"batch\": %llu, \"layers\": [", in,
			      (unsigned long long)b);
		for (int l = 0; l < nl; l++)
			o += snprintf(json + o, sizeof(json) - o,
				      "%s{\"type\": \"dense\", \"units\": %d}%s", l ? ", " : "",
				      l == nl - 1 ? out : width,
				      l < nl - 1 ? ", {\"type\": \"activation\", \"function\": "
						   "\"relu\"}" : "");
		snprintf(json + o, sizeof(json) - o, "]}");
		load(json, &a, &lw);
		for (int l = 0; l < nl; l++) {
			uint64_t li = l ? width : in, lo = l == nl - 1 ? out : width;
			uint64_t per = 2 * li * lo;

			flops_inf += b * per;
			flops_train += b * per * (l == 0 ? 2 : 3);
			bytes_inf += gemm_bytes(b, lo, li, 0, 4);
			bytes_train += gemm_bytes(b, lo, li, 0, 4) + gemm_bytes(lo, li, b, 0, 4) +
				       (l ? gemm_bytes(b, li, lo, 0, 4) : 0);
		}
		assert_int_equal(lw.batch, b);
		assert_int_equal(lw.infer.flops, flops_inf);
		assert_int_equal(lw.train.flops, flops_train);
		assert_int_equal(lw.infer.calls, nl);
		assert_int_equal(lw.train.calls, nl + 2 * nl - 1);
		assert_int_equal(lw.infer.bytes, bytes_inf);
		assert_int_equal(lw.train.bytes, bytes_train);
		/* nothing upstream of the first layer learns: no grad_x there */
		for (size_t i = 0; i < lw.nops; i++) {
			assert_string_equal(lw.ops[i].routine, "sgemm");
			assert_string_equal(a.layers[lw.ops[i].layer].type, "Linear");
			if (lw.ops[i].phase == OPC_PHASE_GRAD_X)
				assert_int_not_equal(lw.ops[i].layer, 0);
		}
		opc_lowering_free(&lw);
		opc_arch_free(&a);
	}
}

/* examples/cnn.c: cnn_expected() with --no-input-grad, and its shapes */
static void test_cnn_lowering(void **state)
{
	static const int cases[][4] = {	/* channels, filters, kernel, image */
		{ 1, 8, 3, 12 }, { 3, 5, 5, 13 }, { 1, 8, 4, 9 }, { 2, 1, 1, 2 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t c = cases[i][0], f = cases[i][1], k = cases[i][2], s = cases[i][3];
		uint64_t pad = k / 2, o = s + 2 * pad - k + 1, p = o / 2, q = c * k * k;
		uint64_t h = f * p * p, oo = o * o, b = 9;
		struct opc_arch a;
		struct opc_lowering lw;
		char json[1024];
		uint64_t conv_per = 2 * f * oo * q, fc_per = 2 * 4 * h;

		snprintf(json, sizeof(json),
			 "{\"input\": [%llu, %llu, %llu], \"batch\": %llu, \"layers\": ["
			 "{\"type\": \"conv2d\", \"name\": \"conv1\", \"filters\": %llu, "
			 "\"kernel\": %llu, \"padding\": %llu},"
			 "{\"type\": \"activation\", \"function\": \"relu\"},"
			 "{\"type\": \"maxpool\", \"size\": 2},"
			 "{\"type\": \"flatten\"},"
			 "{\"type\": \"dense\", \"name\": \"fc1\", \"units\": 4}]}",
			 (unsigned long long)c, (unsigned long long)s, (unsigned long long)s,
			 (unsigned long long)b, (unsigned long long)f, (unsigned long long)k,
			 (unsigned long long)pad);
		load(json, &a, &lw);
		assert_int_equal(a.layers[4].in[0], h);
		assert_int_equal(lw.infer.flops, b * (conv_per + fc_per));
		assert_int_equal(lw.train.flops, b * (2 * conv_per + 3 * fc_per));
		/* per batch: a conv sgemm per image and an fc sgemm; backward two
		 * fc sgemms and one conv sgemm per image */
		assert_int_equal(lw.infer.calls, b + 1);
		assert_int_equal(lw.train.calls, 2 * b + 3);
		/* the weight gradient sums the batch in place: C read b - 1 times */
		assert_int_equal(lw.infer.bytes, b * gemm_bytes(f, oo, q, 0, 4) +
						 gemm_bytes(b, 4, h, 0, 4));
		assert_int_equal(lw.train.bytes,
				 lw.infer.bytes + gemm_bytes(f, q, oo, 0, 4) +
				 (b - 1) * gemm_bytes(f, q, oo, 1, 4) +
				 gemm_bytes(4, h, b, 0, 4) + gemm_bytes(b, h, 4, 0, 4));
		for (size_t j = 0; j < lw.nops; j++)
			if (lw.ops[j].layer == 0)
				assert_string_equal(a.layers[0].type, "Conv2d");
		opc_lowering_free(&lw);
		opc_arch_free(&a);
	}
}

static void test_shapes_and_input_grad(void **state)
{
	struct opc_arch a;
	struct opc_lowering lw;
	int gx = 0;

	(void)state;
	/* stride, rectangular kernel and padding, avgpool, float64; the
	 * second conv needs its input gradient, the first does not */
	load("{\"input\": [3, 32, 30], \"batch\": 2, \"dtype\": \"float64\", \"layers\": ["
	     "{\"type\": \"avgpool\", \"size\": [2, 3], \"stride\": 1},"
	     "{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": [3, 5], \"stride\": [2, 1],"
	     " \"padding\": [1, 0]},"
	     "{\"type\": \"conv2d\", \"filters\": 6, \"kernel\": 3, \"stride\": 2},"
	     "{\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 5}]}", &a, &lw);
	assert_int_equal(a.layers[0].out[1], 31);	/* (32 - 2) / 1 + 1 */
	assert_int_equal(a.layers[0].out[2], 28);	/* (30 - 3) / 1 + 1 */
	assert_int_equal(a.layers[1].out[1], 16);	/* (31 + 2 - 3) / 2 + 1 */
	assert_int_equal(a.layers[1].out[2], 24);	/* (28 - 5) / 1 + 1 */
	assert_int_equal(a.layers[2].out[1], 7);	/* (16 - 3) / 2 + 1 */
	assert_int_equal(a.layers[2].out[2], 11);	/* (24 - 3) / 2 + 1 */
	assert_int_equal(a.layers[4].in[0], 6 * 7 * 11);
	assert_int_equal(a.params, (4 * 3 * 15 + 4) + (6 * 4 * 9 + 6) + (6 * 77 * 5 + 5));
	for (size_t i = 0; i < lw.nops; i++) {
		const struct opc_lop *op = &lw.ops[i];

		assert_string_equal(op->routine, "dgemm");
		if (op->phase == OPC_PHASE_GRAD_X) {
			assert_int_not_equal(op->layer, 1);
			gx++;
		}
		if (op->layer == 1 && op->phase == OPC_PHASE_FORWARD) {
			assert_int_equal(op->m, 4);
			assert_int_equal(op->n, 16 * 24);
			assert_int_equal(op->k, 3 * 15);
			assert_int_equal(op->calls, 2);
			assert_int_equal(op->bytes, 2 * 8 * (4 * 45 + 45 * 384 + 4 * 384));
		}
	}
	assert_int_equal(gx, 2);	/* the second conv and the dense layer */
	opc_lowering_free(&lw);
	opc_arch_free(&a);

	/* --batch overrides the file */
	assert_int_equal(opc_arch_parse("{\"input\": [4], \"batch\": 8, \"layers\": "
					"[{\"type\": \"dense\", \"units\": 2}]}", "t.json", 3, &a,
					err, sizeof(err)), 0);
	assert_int_equal(a.batch, 3);
	opc_arch_free(&a);
}

static void test_bad_architectures(void **state)
{
	(void)state;
	bad("", "line 1, column 1: not valid JSON");
	bad("{\"input\": [4],\n \"layers\": [{\"type\": \"dense\", \"units\": 2},]}",
	    "line 2, column");
	bad("{\"input\": [4], \"layers\": [{\"type\": \"dense\", \"units\": 2}]} x",
	    "not valid JSON");
	bad("[]", "must be a JSON object");
	bad("{\"layers\": [{\"type\": \"dense\", \"units\": 2}]}", "missing \"input\"");
	bad("{\"input\": [4, 4], \"layers\": [{\"type\": \"dense\", \"units\": 2}]}",
	    "\"input\" must be [features] or [channels, height, width]");
	bad("{\"input\": [4], \"layer\": []}", "unknown field \"layer\"");
	bad("{\"input\": [4], \"layers\": []}", "\"layers\" must be a non-empty array");
	bad("{\"input\": [4], \"layers\": [{\"type\": \"dense\", \"unit\": 2}]}",
	    "layers[0] (dense): unknown field \"unit\"");
	bad("{\"input\": [4], \"layers\": [{\"type\": \"dense\"}]}",
	    "layers[0] (dense): missing \"units\"");
	bad("{\"input\": [4], \"layers\": [{\"type\": \"dense\", \"units\": 0}]}",
	    "layers[0] (dense): \"units\" must be an integer in [1,");
	bad("{\"input\": [4], \"layers\": [{\"type\": \"dense\", \"units\": 2.5}]}",
	    "\"units\" must be an integer >= 1, got 2.5");
	bad("{\"input\": [4], \"layers\": [{\"type\": \"dense\", \"units\": \"2\"}]}",
	    "\"units\" must be an integer >= 1, got \"2\"");
	bad("{\"input\": [4], \"layers\": [{\"type\": \"dense\", \"units\": 2}, "
	    "{\"type\": \"lstm\"}]}", "layers[1]: unknown layer type \"lstm\"");
	bad("{\"input\": [4], \"layers\": [{\"type\": \"conv2d\", \"filters\": 2, "
	    "\"kernel\": 3}]}", "layers[0] (conv2d): its input is [4]");
	bad("{\"input\": [1, 8, 8], \"layers\": [{\"type\": \"conv2d\", \"filters\": 2, "
	    "\"kernel\": 3}, {\"type\": \"dense\", \"units\": 2}]}",
	    "layers[1] (dense): its input is [2, 6, 6] (channels, height, width); put a "
	    "{\"type\": \"flatten\"} layer before it");
	bad("{\"input\": [1, 8, 8], \"layers\": [{\"type\": \"conv2d\", \"name\": \"c\", "
	    "\"filters\": 2, \"kernel\": [3, 9]}]}",
	    "layers[0] (conv2d \"c\"): a 3x9 kernel does not fit the 8x8 input");
	bad("{\"input\": [1, 8, 8], \"layers\": [{\"type\": \"conv2d\", \"filters\": 2, "
	    "\"kernel\": [3, 3, 3]}]}", "\"kernel\" must be an integer or [height, width]");
	bad("{\"input\": [1, 8, 8], \"layers\": [{\"type\": \"conv2d\", \"filters\": 2, "
	    "\"kernel\": 3, \"padding\": -1}]}", "\"padding\" must be an integer in [0,");
	bad("{\"input\": [1, 4, 4], \"layers\": [{\"type\": \"maxpool\", \"size\": 5}]}",
	    "layers[0] (maxpool): a 5x5 window does not fit the 4x4 input");
	bad("{\"input\": [4], \"layers\": [{\"type\": \"activation\", \"function\": "
	    "\"swish\"}]}", "layers[0] (activation): unknown function \"swish\"");
	bad("{\"input\": [4], \"layers\": [{\"type\": \"activation\", \"function\": "
	    "\"relu\"}]}", "no dense or conv2d layer");
	bad("{\"input\": [4], \"layers\": [{\"type\": \"dense\", \"units\": 2, \"name\": "
	    "\"a\"}, {\"type\": \"dense\", \"units\": 2, \"name\": \"a\"}]}",
	    "layers[0] and layers[1] are both named \"a\"");
	bad("{\"input\": [4], \"batch\": 0, \"layers\": [{\"type\": \"dense\", "
	    "\"units\": 2}]}", "\"batch\" must be an integer in [1,");
	bad("{\"input\": [4], \"dtype\": \"float16\", \"layers\": [{\"type\": \"dense\", "
	    "\"units\": 2}]}", "\"dtype\" must be \"float32\" or \"float64\"");
	bad("{\"opcount_arch\": 3, \"input\": [4], \"layers\": [{\"type\": \"dense\", "
	    "\"units\": 2}]}", "this opcount reads versions 1 and 2");
	bad("{\"input\": [65536, 65536, 65536], \"layers\": [{\"type\": \"flatten\"}, "
	    "{\"type\": \"dense\", \"units\": 2}]}", "too many features");
}

/* Version 2 files: the mistakes each name the file, the layer and the field. */
static void test_bad_v2_architectures(void **state)
{
#define V2 "{\"opcount_arch\": 2, \"input\": [6, 16], \"layers\": ["
	(void)state;
	/* v2 features in a v1 file */
	bad("{\"input\": [6, 16], \"layers\": [{\"type\": \"dense\", \"units\": 2}]}",
	    "[sequence, features] is version 2: the file needs \"opcount_arch\": 2");
	bad("{\"input\": [4], \"layers\": [{\"type\": \"layernorm\"}, {\"type\": \"dense\", "
	    "\"units\": 2}]}", "layers[0]: unknown layer type \"layernorm\" (expected: dense, "
	    "conv2d, maxpool, avgpool, activation, flatten): a version 2 type");
	bad("{\"input\": [4], \"layers\": [{\"type\": \"repeat\", \"name\": \"r\", \"repeat\": 2, "
	    "\"layers\": [{\"type\": \"dense\", \"units\": 4}]}]}",
	    "layers[0]: \"repeat\" is a version 2 block: the file needs \"opcount_arch\": 2");
	bad("{\"input\": [4], \"layers\": [{\"type\": \"dense\", \"units\": 4, \"bias\": false}]}",
	    "layers[0] (dense): unknown field \"bias\" (expected: type, name, units)");
	bad("{\"input\": [4], \"layers\": [{\"type\": \"activation\", \"function\": \"silu\"}, "
	    "{\"type\": \"dense\", \"units\": 2}]}",
	    "layers[0] (activation): \"function\": \"silu\" is version 2");
	/* v2 mistakes */
	bad(V2 "{\"type\": \"transformer\"}]}", "layers[0]: unknown layer type \"transformer\" "
	    "(expected: dense, conv2d, maxpool, avgpool, activation, flatten, embedding, layernorm, "
	    "rmsnorm, batchnorm, dropout, attention, lstm, gru, adaptive_avgpool, adaptive_maxpool, repeat, "
	    "residual, gate, concat)");
	bad(V2 "{\"type\": \"embedding\", \"vocab\": 10, \"dim\": 4}]}",
	    "layers[0] (embedding): an embedding takes token ids: it must be the first layer, on an "
	    "\"input\" of [sequence]");
	bad("{\"opcount_arch\": 2, \"input\": [7], \"layers\": [{\"type\": \"embedding\", "
	    "\"vocab\": 10}]}", "layers[0] (embedding): missing \"dim\"");
	bad("{\"opcount_arch\": 2, \"input\": [6, 8, 8], \"layers\": [{\"type\": \"conv2d\", "
	    "\"name\": \"c\", \"filters\": 4, \"kernel\": 3, \"groups\": 4}]}",
	    "layers[0] (conv2d \"c\"): \"groups\": 6 input channels and 4 filters must both be "
	    "multiples of 4 groups");
	bad("{\"opcount_arch\": 2, \"input\": [1, 8, 8], \"layers\": [{\"type\": \"conv2d\", "
	    "\"filters\": 4, \"kernel\": 3, \"dilation\": 4}]}",
	    "layers[0] (conv2d): a 3x3 kernel (dilated) does not fit the 8x8 input with padding 0x0");
	bad("{\"input\": [1, 8, 8], \"layers\": [{\"type\": \"conv2d\", \"filters\": 4, "
	    "\"kernel\": 3, \"groups\": 1}]}", "layers[0] (conv2d): unknown field \"groups\"");
	bad(V2 "{\"type\": \"batchnorm\"}, {\"type\": \"dense\", \"units\": 2}]}",
	    "layers[0] (batchnorm): its input is [6, 16]; batchnorm normalises the channels");
	bad(V2 "{\"type\": \"adaptive_avgpool\", \"size\": 2}]}",
	    "layers[0] (adaptive_avgpool): its input is [6, 16]; pooling needs [channels, height, "
	    "width]");
	bad(V2 "{\"type\": \"attention\", \"name\": \"a\", \"heads\": 5}]}",
	    "layers[0] (attention \"a\"): \"heads\": the model width 16 is not a multiple of 5 heads");
	bad(V2 "{\"type\": \"attention\"}]}", "layers[0] (attention): missing \"heads\"");
	bad(V2 "{\"type\": \"attention\", \"heads\": 2, \"causal\": 1}]}",
	    "layers[0] (attention): \"causal\" must be true or false, got 1");
	bad("{\"opcount_arch\": 2, \"input\": [16], \"layers\": [{\"type\": \"attention\", "
	    "\"heads\": 2}]}", "layers[0] (attention): its input is [16]; attention needs "
	    "[sequence, features]");
	bad("{\"opcount_arch\": 2, \"input\": [1, 4, 4], \"layers\": [{\"type\": \"lstm\", "
	    "\"hidden\": 2}]}", "layers[0] (lstm): its input is [1, 4, 4]; a recurrent layer needs");
	bad(V2 "{\"type\": \"gru\", \"hidden\": 4, \"num_layers\": 0}]}",
	    "layers[0] (gru): \"num_layers\" must be an integer in [1,");
	bad(V2 "{\"type\": \"lstm\", \"hidden\": 4, \"layers\": 2}]}",
	    "layers[0] (lstm): unknown field \"layers\" (expected: type, name, hidden, num_layers, "
	    "bidirectional, bias)");
	bad(V2 "{\"type\": \"dropout\", \"p\": 1}, {\"type\": \"dense\", \"units\": 2}]}",
	    "layers[0] (dropout): \"p\" must be a number in [0, 1), got 1");
	bad(V2 "{\"type\": \"residual\", \"name\": \"res\", \"layers\": [{\"type\": \"dense\", "
	    "\"units\": 8}]}]}", "layers[0] (residual \"res\"): its layers turn [6, 16] into "
	    "[6, 8]; the residual add needs the same shape");
	bad(V2 "{\"type\": \"repeat\", \"repeat\": 2, \"layers\": [{\"type\": \"dense\", "
	    "\"units\": 8}]}]}", "layers[0] (repeat): missing \"name\"");
	bad(V2 "{\"type\": \"repeat\", \"name\": \"blk\", \"repeat\": 0, \"layers\": "
	    "[{\"type\": \"dense\", \"units\": 8}]}]}",
	    "layers[0] (repeat \"blk\"): \"repeat\" must be an integer in [1,");
	bad(V2 "{\"type\": \"repeat\", \"name\": \"blk\", \"repeat\": 2, \"layers\": "
	    "[{\"type\": \"residual\", \"layers\": [{\"type\": \"attention\", \"name\": \"at\", "
	    "\"heads\": 3}]}]}]}", "layers[0] (repeat \"blk\").layers[0] (residual).layers[0] "
	    "(attention \"blk.0.at\"): \"heads\": the model width 16 is not a multiple of 3 heads");
	bad(V2 "{\"type\": \"repeat\", \"name\": \"blk\", \"repeat\": 2000000, \"layers\": "
	    "[{\"type\": \"dense\", \"units\": 8}]}]}", "more than 100000 layers");
	bad(V2 "{\"type\": \"dense\", \"units\": 4, \"name\": \"blk.1.d\"}, {\"type\": \"repeat\", "
	    "\"name\": \"blk\", \"repeat\": 2, \"layers\": [{\"type\": \"dense\", \"units\": 4, "
	    "\"name\": \"d\"}]}]}", "layers[0] and layers[2] are both named \"blk.1.d\"");
	bad(V2 "{\"type\": \"layernorm\"}]}", "no layer with GEMMs (dense, conv2d, attention, "
	    "lstm, gru)");
	bad(V2 "{\"type\": \"residual\", \"layers\": []}]}",
	    "layers[0] (residual).layers must be a non-empty array of layers");
	bad(V2 "{\"type\": \"concat\", \"branches\": [[{\"type\": \"dense\", \"units\": 8}]]}]}",
	    "layers[0] (concat): \"branches\" must be an array of at least two lists of layers");
	bad("{\"opcount_arch\": 2, \"input\": [4, 8, 8], \"layers\": [{\"type\": \"concat\", "
	    "\"name\": \"fire\", \"branches\": [[{\"type\": \"conv2d\", \"filters\": 4, "
	    "\"kernel\": 1}], [{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3}]]}]}",
	    "layers[0] (concat \"fire\"): branches[1] gives [4, 6, 6], the branches before it "
	    "[4, 8, 8]: torch.cat needs the same shape but for the channels");
	bad("{\"opcount_arch\": 2, \"input\": [4, 8, 8], \"layers\": [{\"type\": \"maxpool\", "
	    "\"size\": 2, \"ceil_mode\": 1}, {\"type\": \"flatten\"}, {\"type\": \"dense\", "
	    "\"units\": 2}]}", "layers[0] (maxpool): \"ceil_mode\" must be true or false, got 1");
	bad(V2 "{\"type\": \"gate\", \"name\": \"se\", \"layers\": [{\"type\": \"dense\", "
	    "\"units\": 8}]}, {\"type\": \"dense\", \"units\": 2}]}",
	    "layers[0] (gate \"se\"): its layers turn [6, 16] into [6, 8]; the gate's product "
	    "needs the same shape or [channels, 1, 1]");
	bad(V2 "{\"type\": \"gate\", \"layers\": [{\"type\": \"dense\", \"units\": 16}], "
	    "\"shortcut\": [{\"type\": \"dense\", \"units\": 16}]}]}",
	    "layers[0] (gate): unknown field \"shortcut\" (expected: type, name, layers)");
	bad("{\"input\": [4], \"layers\": [{\"type\": \"gate\", \"layers\": [{\"type\": "
	    "\"dense\", \"units\": 4}]}]}",
	    "layers[0]: \"gate\" is a version 2 block: the file needs \"opcount_arch\": 2");
	bad("{\"input\": [4], \"layers\": [{\"type\": \"activation\", \"function\": "
	    "\"hardswish\"}, {\"type\": \"dense\", \"units\": 2}]}",
	    "layers[0] (activation): \"function\": \"hardswish\" is version 2");
	bad(V2 "{\"type\": \"activation\", \"function\": \"swish\"}, {\"type\": \"dense\", "
	    "\"units\": 2}]}", "unknown function \"swish\" (expected: relu, leaky_relu, sigmoid, "
	    "tanh, gelu, silu, softmax, identity, relu6, hardswish, hardsigmoid)");
	bad(V2 "{\"type\": \"residual\", \"name\": \"down\", \"layers\": [{\"type\": "
	    "\"dense\", \"units\": 8}], \"shortcut\": [{\"type\": \"dense\", \"units\": 4}]}]}",
	    "layers[0] (residual \"down\"): \"shortcut\": its layers give [6, 4], the main path "
	    "[6, 8]; the residual add needs the same shape");
	bad(V2 "{\"type\": \"residual\", \"layers\": [{\"type\": \"dense\", \"units\": 8}], "
	    "\"shortcut\": {}}]}",
	    "layers[0] (residual).shortcut must be a non-empty array of layers");
	bad(V2 "{\"type\": \"residual\", \"layers\": [{\"type\": \"dense\", \"units\": 8}], "
	    "\"shortcut\": [{\"type\": \"attention\", \"heads\": 3}]}]}",
	    "layers[0] (residual).shortcut[0] (attention): \"heads\": the model width 16 is not a "
	    "multiple of 3 heads");
#undef V2
}

/*
 * A residual block with a shortcut (a ResNet's downsample) as the first
 * layer, oneDNN off: the shortcut's input is the block's input, so its
 * layers come after the main path's, take the block's input shape, and
 * compute no input gradient when nothing before the block learns (the
 * main path's conv learns, but is not upstream of the shortcut); the dense
 * after the block has both paths upstream.  [4, 8, 8], batch 2.
 */
static void test_v2_shortcut(void **state)
{
	static const char *json =
		"{\"opcount_arch\": 2, \"input\": [4, 8, 8], \"batch\": 2, \"layers\": ["
		"{\"type\": \"residual\", \"name\": \"add\", \"layers\": ["
		" {\"type\": \"conv2d\", \"name\": \"c1\", \"filters\": 8, \"kernel\": 3,"
		"  \"stride\": 2, \"padding\": 1},"
		" {\"type\": \"conv2d\", \"name\": \"c2\", \"filters\": 8, \"kernel\": 3,"
		"  \"padding\": 1}],"
		" \"shortcut\": [{\"type\": \"conv2d\", \"name\": \"down\", \"filters\": 8,"
		"  \"kernel\": 1, \"stride\": 2, \"bias\": false}, {\"type\": \"batchnorm\","
		"  \"name\": \"bn\"}]},"
		"{\"type\": \"flatten\"}, {\"type\": \"dense\", \"name\": \"fc\", \"units\": 3}]}";
	static const char *names[] = { "c1", "c2", "down", "bn", "add", "flatten1", "fc" };
	struct opc_lower_opts o = { .conv = OPC_CONV_GEMM };
	uint64_t calls[7][3] = { { 0 } };	/* per layer: forward, dW, dX */
	struct opc_arch a;
	struct opc_lowering lw;

	(void)state;
	load_opts(json, &o, &a, &lw);
	assert_int_equal(a.nlayers, 7);
	for (size_t i = 0; i < 7; i++)
		assert_string_equal(a.layers[i].name, names[i]);
	/* the shortcut starts from the block's input, [4, 8, 8] */
	assert_int_equal(a.layers[2].in[0], 4);
	assert_int_equal(a.layers[2].in[1], 8);
	assert_int_equal(a.layers[2].out[0], 8);
	assert_int_equal(a.layers[2].out[1], 4);
	/* the add: the joint shape */
	assert_int_equal(a.layers[4].in[0], 8);
	assert_int_equal(a.layers[4].out[2], 4);
	assert_int_equal(a.layers[6].in[0], 8 * 4 * 4);
	assert_false(a.layers[0].upstream_learns);
	assert_true(a.layers[1].upstream_learns);
	assert_false(a.layers[2].upstream_learns);	/* c1 is not upstream of it */
	assert_true(a.layers[6].upstream_learns);
	for (size_t i = 0; i < lw.nops; i++)
		calls[lw.ops[i].layer][lw.ops[i].phase] += lw.ops[i].calls;
	/* per image: forward and dW; dX only for c2 (behind c1) and fc */
	assert_int_equal(calls[0][OPC_PHASE_FORWARD], 2);
	assert_int_equal(calls[0][OPC_PHASE_GRAD_W], 2);
	assert_int_equal(calls[0][OPC_PHASE_GRAD_X], 0);
	assert_int_equal(calls[1][OPC_PHASE_GRAD_X], 2);
	assert_int_equal(calls[2][OPC_PHASE_FORWARD], 2);
	assert_int_equal(calls[2][OPC_PHASE_GRAD_W], 2);
	assert_int_equal(calls[2][OPC_PHASE_GRAD_X], 0);
	assert_int_equal(calls[6][OPC_PHASE_FORWARD], 1);
	assert_int_equal(calls[6][OPC_PHASE_GRAD_X], 1);
	/* the shortcut's forward: 8 x 16 x 4 per image */
	for (size_t i = 0; i < lw.nops; i++)
		if (lw.ops[i].layer == 2 && lw.ops[i].phase == OPC_PHASE_FORWARD)
			assert_int_equal(lw.ops[i].flops, 2 * 2 * 8 * 16 * 4);
	opc_lowering_free(&lw);
	opc_arch_free(&a);
}

/*
 * A squeeze-and-excitation gate (torchvision's SqueezeExcitation): y = x *
 * g(x), g pooling [8, 6, 6] to [8, 1, 1], two 1x1 conv2d and a
 * hardsigmoid; the product gives x's shape back.  oneDNN off, batch 3:
 * each 1x1 conv2d one sgemm per image on the 1x1 image.
 */
static void test_v2_gate(void **state)
{
	static const char *json =
		"{\"opcount_arch\": 2, \"input\": [8, 6, 6], \"batch\": 3, \"layers\": ["
		"{\"type\": \"conv2d\", \"name\": \"c\", \"filters\": 8, \"kernel\": 3, \"padding\": 1},"
		"{\"type\": \"gate\", \"layers\": ["
		" {\"type\": \"adaptive_avgpool\", \"name\": \"avgpool\", \"size\": 1},"
		" {\"type\": \"conv2d\", \"name\": \"fc1\", \"filters\": 2, \"kernel\": 1},"
		" {\"type\": \"activation\", \"function\": \"relu6\"},"
		" {\"type\": \"conv2d\", \"name\": \"fc2\", \"filters\": 8, \"kernel\": 1},"
		" {\"type\": \"activation\", \"function\": \"hardsigmoid\"}]},"
		"{\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 4}]}";
	struct opc_lower_opts o = { .conv = OPC_CONV_GEMM };
	struct opc_arch a;
	struct opc_lowering lw;

	(void)state;
	load_opts(json, &o, &a, &lw);
	assert_int_equal(a.nlayers, 9);
	assert_string_equal(a.layers[6].name, "gate1");
	assert_int_equal(a.layers[6].kind, OPC_LAYER_GATE);
	assert_string_equal(a.layers[3].type, "ReLU6");
	assert_string_equal(a.layers[5].type, "Hardsigmoid");
	/* the gate gives the input's shape back: the dense sees 8 x 6 x 6 */
	assert_int_equal(a.layers[6].out[0], 8);
	assert_int_equal(a.layers[6].out[1], 6);
	assert_int_equal(a.layers[8].in[0], 288);
	/* forward: c per image, fc1 and fc2 per image, the dense once */
	assert_int_equal(lw.infer.calls, 3 + 3 + 3 + 1);
	assert_int_equal(lw.infer.flops, 3 * 2 * 8 * 36 * 72 + 3 * 2 * 2 * 1 * 8 +
			 3 * 2 * 8 * 1 * 2 + 2 * 3 * 4 * 288);
	opc_lowering_free(&lw);
	opc_arch_free(&a);
}

static uint64_t traffic_of(const struct opc_lowering *lw, size_t layer, enum opc_phase ph);

/*
 * A concat block (SqueezeNet's Fire: a squeeze, then a 1x1 and a 3x3
 * expand of it joined along the channels) after a ceil_mode pooling.
 * [3, 9, 9]: 2x2 stride 2 pooling with ceil_mode keeps the partial last
 * window, 5x5 (4x4 without it); then the squeeze conv (the first weighted
 * layer: no dX), the branches (dX: the squeeze learns), the join of 4 + 6
 * channels, oneDNN off, batch 2.
 */
static void test_v2_concat(void **state)
{
	static const char *json =
		"{\"opcount_arch\": 2, \"input\": [3, 9, 9], \"batch\": 2, \"layers\": ["
		"{\"type\": \"maxpool\", \"size\": 2, \"stride\": 2, \"ceil_mode\": true},"
		"{\"type\": \"conv2d\", \"name\": \"squeeze\", \"filters\": 2, \"kernel\": 1},"
		"{\"type\": \"concat\", \"branches\": ["
		" [{\"type\": \"conv2d\", \"name\": \"e1\", \"filters\": 4, \"kernel\": 1}],"
		" [{\"type\": \"conv2d\", \"name\": \"e3\", \"filters\": 6, \"kernel\": 3,"
		"   \"padding\": 1}, {\"type\": \"activation\", \"function\": \"relu\"}]]},"
		"{\"type\": \"flatten\"}, {\"type\": \"dense\", \"name\": \"fc\", \"units\": 3}]}";
	struct opc_lower_opts o = { .conv = OPC_CONV_GEMM };
	uint64_t calls[8][3] = { { 0 } };
	struct opc_arch a;
	struct opc_lowering lw;

	(void)state;
	load_opts(json, &o, &a, &lw);
	assert_int_equal(a.nlayers, 8);
	assert_int_equal(a.layers[0].out[1], 5);
	assert_int_equal(a.layers[0].out[2], 5);
	assert_string_equal(a.layers[2].name, "e1");
	assert_int_equal(a.layers[2].in[0], 2);	/* from the block's input */
	assert_int_equal(a.layers[3].in[0], 2);
	assert_string_equal(a.layers[5].name, "concat1");
	assert_int_equal(a.layers[5].kind, OPC_LAYER_CONCAT);
	assert_int_equal(a.layers[5].out[0], 10);
	assert_int_equal(a.layers[7].in[0], 10 * 25);
	for (size_t i = 0; i < lw.nops; i++)
		calls[lw.ops[i].layer][lw.ops[i].phase] += lw.ops[i].calls;
	assert_int_equal(calls[1][OPC_PHASE_GRAD_X], 0);	/* the first that learns */
	assert_int_equal(calls[2][OPC_PHASE_GRAD_X], 2);	/* per image */
	assert_int_equal(calls[3][OPC_PHASE_GRAD_X], 2);
	assert_int_equal(calls[7][OPC_PHASE_GRAD_X], 1);
	/* the join copies 10 x 25 floats per image each way */
	assert_int_equal(traffic_of(&lw, 5, OPC_PHASE_FORWARD), 2 * 4 * 2 * 250);
	opc_lowering_free(&lw);
	opc_arch_free(&a);
}

/* The traffic of one layer and phase, 0 if none. */
static uint64_t traffic_of(const struct opc_lowering *lw, size_t layer, enum opc_phase ph)
{
	for (size_t i = 0; i < lw->ntraffic; i++)
		if (lw->traffic[i].layer == layer && lw->traffic[i].phase == ph)
			return lw->traffic[i].bytes;
	return 0;
}

/*
 * The memory traffic model of the layers without GEMMs (docs/arch.md,
 * "Non-GEMM layers"), by hand: float32 (e = 4), batch 2.
 */
static void test_v2_traffic(void **state)
{
	struct opc_arch a;
	struct opc_lowering lw;

	(void)state;
	/* [4, 6, 6]: conv (no traffic of its own), batchnorm (n = 144, 8
	 * parameters), relu, 2x2 max pooling to [4, 3, 3], flatten, dense */
	load("{\"opcount_arch\": 2, \"input\": [4, 6, 6], \"batch\": 2, \"layers\": ["
	     "{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"padding\": 1},"
	     "{\"type\": \"batchnorm\"}, {\"type\": \"activation\", \"function\": \"relu\"},"
	     "{\"type\": \"maxpool\", \"size\": 2}, {\"type\": \"flatten\"},"
	     "{\"type\": \"dense\", \"units\": 5}]}", &a, &lw);
	assert_int_equal(traffic_of(&lw, 0, OPC_PHASE_FORWARD), 0);
	assert_int_equal(traffic_of(&lw, 1, OPC_PHASE_FORWARD), 2 * 4 * 2 * 144 + 4 * 8);
	assert_int_equal(traffic_of(&lw, 1, OPC_PHASE_GRAD_X), 3 * 4 * 2 * 144);
	assert_int_equal(traffic_of(&lw, 1, OPC_PHASE_GRAD_W), 2 * 4 * 2 * 144 + 4 * 8);
	assert_int_equal(traffic_of(&lw, 2, OPC_PHASE_FORWARD), 2 * 4 * 2 * 144);
	assert_int_equal(traffic_of(&lw, 2, OPC_PHASE_GRAD_X), 3 * 4 * 2 * 144);
	assert_int_equal(traffic_of(&lw, 3, OPC_PHASE_FORWARD), 4 * 2 * (144 + 36));
	assert_int_equal(traffic_of(&lw, 4, OPC_PHASE_FORWARD), 0);
	assert_int_equal(lw.traffic_infer, 2336 + 2304 + 1440);
	assert_int_equal(lw.traffic_train, 6080 + 3456 + 2336 + 3456 + 1440);
	/* the calls are the convolution's 5 oneDNN rows and the dense's
	 * sgemm: the traffic is no call of its own */
	assert_int_equal(lw.infer.calls, 5 + 1);
	opc_lowering_free(&lw);
	opc_arch_free(&a);

	/* attention's softmax, b h S S = 2 x 2 x 5 x 5 weights: forward 2 e,
	 * backward 3 e each; a first layer: nothing upstream, still needed
	 * for its projections' weights */
	load("{\"opcount_arch\": 2, \"input\": [5, 16], \"batch\": 2, \"layers\": ["
	     "{\"type\": \"attention\", \"heads\": 2}]}", &a, &lw);
	assert_int_equal(lw.traffic_infer, 2 * 4 * 100);
	assert_int_equal(lw.traffic_train, 5 * 4 * 100);
	opc_lowering_free(&lw);
	opc_arch_free(&a);

	/* an embedding of 7 ids, dim 16, batch 3: 7 x 16 rows gathered and
	 * written, the int64 ids read; its gradient an index add */
	load("{\"opcount_arch\": 2, \"input\": [7], \"batch\": 3, \"layers\": ["
	     "{\"type\": \"embedding\", \"vocab\": 50, \"dim\": 16},"
	     "{\"type\": \"dense\", \"units\": 4}]}", &a, &lw);
	assert_int_equal(traffic_of(&lw, 0, OPC_PHASE_FORWARD), 2 * 4 * 3 * 112 + 8 * 3 * 7);
	assert_int_equal(traffic_of(&lw, 0, OPC_PHASE_GRAD_W), 3 * 4 * 3 * 112);
	opc_lowering_free(&lw);
	opc_arch_free(&a);
}

/*
 * A version 2 transformer encoder, lowered by hand: what torch 1.13 runs
 * for nn.TransformerEncoderLayer (tests/integration/arch_lowering.sh checks
 * the same against measurement).  b = 3, S = 10, d = 32, 4 heads of 8,
 * feed-forward 64, two repeats, r = b*S = 30 rows.
 */
static void test_v2_encoder_lowering(void **state)
{
	static const char *json =
		"{\"opcount_arch\": 2, \"input\": [10, 32], \"batch\": 3, \"layers\": ["
		"{\"type\": \"repeat\", \"name\": \"layers\", \"repeat\": 2, \"layers\": ["
		" {\"type\": \"residual\", \"layers\": [{\"type\": \"attention\", \"name\": "
		"  \"self_attn\", \"heads\": 4}, {\"type\": \"dropout\"}]},"
		" {\"type\": \"layernorm\"},"
		" {\"type\": \"residual\", \"layers\": [{\"type\": \"dense\", \"units\": 64},"
		"  {\"type\": \"activation\", \"function\": \"gelu\"}, {\"type\": \"dense\", "
		"  \"units\": 32}]},"
		" {\"type\": \"layernorm\"}]}]}";
	static const char *names[] = {
		"layers.0.self_attn", "layers.0.dropout1", "layers.0.residual1", "layers.0.norm1",
		"layers.0.dense1", "layers.0.act1", "layers.0.dense2", "layers.0.residual2",
		"layers.0.norm2", "layers.1.self_attn", "layers.1.dropout1",
	};
	struct opc_arch a;
	struct opc_lowering lw;
	uint64_t r = 30, d = 32, ff = 64, s = 10, dh = 8, bh = 12;
	uint64_t attn_f, ffn_f, attn_b, ffn_b, attn_tf, ffn_tf;

	(void)state;
	load(json, &a, &lw);
	assert_int_equal(a.version, 2);
	assert_int_equal(a.nlayers, 18);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_string_equal(a.layers[i].name, names[i]);
	assert_string_equal(a.layers[0].type, "MultiheadAttention");
	assert_int_equal(a.layers[4].out_rank, 2);
	assert_int_equal(a.layers[4].out[0], 10);
	assert_int_equal(a.layers[4].out[1], 64);
	/* in_proj, out_proj, with biases; two layernorms; two dense */
	assert_int_equal(a.params, 2 * ((4 * d * d + 4 * d) + 2 * 2 * d +
					(d * ff + ff) + (ff * d + d)));
	/* forward: in_proj, Q K^T and A V per sample and head, out_proj */
	attn_f = 2 * r * 3 * d * d + bh * 2 * s * s * dh * 2 + 2 * r * d * d;
	attn_b = gemm_bytes(r, 3 * d, d, 1, 4) + bh * (gemm_bytes(s, s, dh, 0, 4) +
		 gemm_bytes(s, dh, s, 0, 4)) + gemm_bytes(r, d, d, 1, 4);
	ffn_f = 2 * (2 * r * d * ff);
	ffn_b = gemm_bytes(r, ff, d, 1, 4) + gemm_bytes(r, d, ff, 1, 4);
	assert_int_equal(lw.infer.flops, 2 * (attn_f + ffn_f));
	assert_int_equal(lw.infer.calls, 2 * (2 + 2 * bh + 2));
	assert_int_equal(lw.infer.bytes, 2 * (attn_b + ffn_b));
	/* backward: out_proj dW dX, four bmm products per sample and head,
	 * in_proj dW; dX of in_proj only in the second repeat (something
	 * upstream learns); the feed-forward's dW and dX */
	attn_tf = 2 * 2 * r * d * d + bh * 4 * 2 * s * s * dh + 2 * r * 3 * d * d;
	ffn_tf = 2 * 2 * (2 * r * d * ff);
	assert_int_equal(lw.train.flops, lw.infer.flops + 2 * (attn_tf + ffn_tf) +
			 2 * r * d * 3 * d);
	assert_int_equal(lw.train.calls, lw.infer.calls + 2 * (3 + 4 * bh + 4) + 1);
	opc_lowering_free(&lw);
	opc_arch_free(&a);
}

/*
 * nn.LSTM (2 layers, bidirectional) and nn.GRU by hand: b = 2, S = 5,
 * 16 features, hidden 8.  Per layer and direction one input projection
 * of all steps and one GEMM per step.
 */
static void test_v2_rnn_lowering(void **state)
{
	struct opc_arch a;
	struct opc_lowering lw;
	uint64_t b = 2, s = 5, h = 8, g = 32, in0 = 16, in1 = 16;
	uint64_t fwd, bwd;

	(void)state;
	load("{\"opcount_arch\": 2, \"input\": [5, 16], \"batch\": 2, \"layers\": [{\"type\": "
	     "\"lstm\", \"hidden\": 8, \"num_layers\": 2, \"bidirectional\": true}]}", &a, &lw);
	assert_int_equal(a.layers[0].out[1], 16);
	assert_int_equal(a.params, 2 * (g * (in0 + h + 2)) + 2 * (g * (in1 + h + 2)));
	fwd = 2 * (2 * b * s * g * in0 + s * 2 * b * g * h) +
	      2 * (2 * b * s * g * in1 + s * 2 * b * g * h);
	assert_int_equal(lw.infer.flops, fwd);
	assert_int_equal(lw.infer.calls, 4 * (1 + s));
	/* dW_hh per step, dh per step but the first, dW_ih; dx of the
	 * second layer only (the first's input does not learn) */
	bwd = 4 * (s * 2 * g * h * b + (s - 1) * 2 * b * h * g + 2 * g * in0 * b * s) +
	      2 * (2 * b * s * in1 * g);
	assert_int_equal(lw.train.flops, fwd + bwd);
	assert_int_equal(lw.train.calls, 4 * (1 + s) + 4 * (s + s - 1 + 1) + 2);
	opc_lowering_free(&lw);
	opc_arch_free(&a);

	/* GRU without biases: three gates, beta = 0 (C not read) */
	load("{\"opcount_arch\": 2, \"input\": [5, 16], \"batch\": 2, \"layers\": [{\"type\": "
	     "\"gru\", \"hidden\": 8, \"bias\": false}]}", &a, &lw);
	g = 24;
	assert_int_equal(lw.infer.flops, 2 * b * s * g * in0 + s * 2 * b * g * h);
	assert_int_equal(lw.infer.bytes, gemm_bytes(b * s, g, in0, 0, 4) +
			 s * gemm_bytes(b, g, h, 0, 4));
	assert_int_equal(a.params, g * (in0 + h));
	opc_lowering_free(&lw);
	opc_arch_free(&a);

	/* a grouped convolution, oneDNN off: per image and group, F/g = 3
	 * filters over C/g*3*3 = 18 rows, 8x8 outputs; the bias and the weight
	 * gradient read C; behind a batchnorm (which learns) the input
	 * gradient too */
	load_opts("{\"opcount_arch\": 2, \"input\": [4, 8, 8], \"batch\": 3, \"layers\": ["
	     "{\"type\": \"batchnorm\"}, {\"type\": \"conv2d\", \"filters\": 6, \"kernel\": 3, "
	     "\"padding\": 1, \"groups\": 2}]}", &(struct opc_lower_opts){ .conv = OPC_CONV_GEMM },
	     &a, &lw);
	assert_int_equal(a.params, 2 * 4 + 6 * 2 * 9 + 6);
	assert_int_equal(lw.infer.calls, 6);
	assert_int_equal(lw.infer.flops, 6 * 2 * 3 * 64 * 18);
	assert_int_equal(lw.infer.bytes, 6 * gemm_bytes(3, 64, 18, 1, 4));
	assert_int_equal(lw.train.calls, 18);
	assert_int_equal(lw.train.bytes, 6 * (gemm_bytes(3, 64, 18, 1, 4) +
					      gemm_bytes(3, 18, 64, 1, 4) +
					      gemm_bytes(18, 64, 3, 0, 4)));
	opc_lowering_free(&lw);
	opc_arch_free(&a);

	/* an embedding makes no GEMM but learns: the dense behind it computes
	 * its input gradient (r = 3*7 rows) */
	load("{\"opcount_arch\": 2, \"input\": [7], \"batch\": 3, \"layers\": [{\"type\": "
	     "\"embedding\", \"vocab\": 50, \"dim\": 16}, {\"type\": \"dense\", \"units\": 4}]}",
	     &a, &lw);
	assert_int_equal(a.params, 50 * 16 + 16 * 4 + 4);
	assert_int_equal(lw.infer.calls, 1);
	assert_int_equal(lw.train.calls, 3);
	assert_int_equal(lw.train.flops, 3 * 2 * 21 * 16 * 4);
	opc_lowering_free(&lw);
	opc_arch_free(&a);

	/* attention too small for BLAS bmm: S*S*dh = 4*4*4 < 400 */
	load("{\"opcount_arch\": 2, \"input\": [4, 16], \"batch\": 2, \"layers\": [{\"type\": "
	     "\"attention\", \"heads\": 4}]}", &a, &lw);
	assert_int_equal(lw.infer.calls, 2);
	assert_int_equal(lw.infer.flops, 2 * 8 * 48 * 16 + 2 * 8 * 16 * 16);
	opc_lowering_free(&lw);
	opc_arch_free(&a);
}

/* An op of the lowering: the n-th of routine `r` in phase p, NULL if none */
static const struct opc_lop *find_op(const struct opc_lowering *lw, enum opc_phase p,
				     const char *r, int n)
{
	for (size_t i = 0; i < lw->nops; i++)
		if (lw->ops[i].phase == p && !strcmp(lw->ops[i].routine, r) && n-- == 0)
			return &lw->ops[i];
	return NULL;
}

/*
 * A version 2 conv2d with oneDNN on (the default): one execution per pass
 * for the batch, costed as preload/dnnl.c records it (docs/counting.md,
 * "oneDNN"): FLOPs 2 y red; bytes 4 (x + w + y); the epilogue y FLOPs and
 * 4 F bytes; a reorder 8 n bytes.  The formulas here are the documented
 * ones, not routines.tbl's code.
 */
static void test_v2_conv_onednn(void **state)
{
	/* batch 3, [8, 10, 10] -> 16 filters 3x3, stride 2, padding 1: 5x5 */
	const char *json = "{\"opcount_arch\": 2, \"input\": [8, 10, 10], \"batch\": 3, "
			   "\"layers\": [{\"type\": \"batchnorm\"}, {\"type\": \"conv2d\", "
			   "\"filters\": 16, \"kernel\": 3, \"stride\": 2, \"padding\": 1}]}";
	uint64_t y = 3 * 16 * 25, red = 8 * 9, x = 3 * 8 * 100, w = 16 * 72, f = 2 * y * red;
	uint64_t conv_b = 4 * (x + w + y), epi_b = 4 * 16;
	const struct opc_lop *op;
	struct opc_arch a;
	struct opc_lowering lw;
	char key[256];

	(void)state;
	load(json, &a, &lw);
	/* forward: reorders of x and w (layout), the convolution, the bias,
	 * y back to torch's layout */
	assert_int_equal(lw.infer.calls, 5);
	assert_int_equal(lw.infer.flops, f + y);
	assert_int_equal(lw.infer.bytes, 8 * (x + w) + conv_b + epi_b + 8 * y);
	op = find_op(&lw, OPC_PHASE_FORWARD, "dnnl_convolution_forward", 0);
	assert_non_null(op);
	assert_int_equal(op->flops, f);
	assert_int_equal(op->bytes, conv_b);
	assert_int_equal(op->m, 0);
	opc_lop_key(op, key, sizeof(key));
	assert_string_equal(key, "dnnl_convolution_forward y=1200 red=72 x=2400 w=1152 "
			    "rtype=s wtype=s");
	op = find_op(&lw, OPC_PHASE_FORWARD, "dnnl_reorder", 0);
	assert_non_null(op);
	assert_true(op->layout);
	opc_lop_key(op, key, sizeof(key));
	assert_string_equal(key, "dnnl_reorder n=2400 rtype=s wtype=s");
	op = find_op(&lw, OPC_PHASE_FORWARD, "dnnl_reorder", 2);
	assert_non_null(op);
	assert_false(op->layout);	/* the result, to torch's layout */
	assert_int_equal(op->bytes, 8 * y);
	op = find_op(&lw, OPC_PHASE_FORWARD, "dnnl_epilogue", 0);
	assert_non_null(op);
	opc_lop_key(op, key, sizeof(key));
	assert_string_equal(key, "dnnl_epilogue n=1200 per=1 bias=16 read=0 type=s");
	/* backward data (the batchnorm learns): dy and w in, dx out; backward
	 * weights: dy and x in, the bias gradient (epilogue), db and dW out */
	assert_int_equal(lw.train.calls, 5 + 4 + 6);
	assert_int_equal(lw.train.flops, 3 * f + 2 * y);
	assert_int_equal(lw.train.bytes, lw.infer.bytes +
			 8 * (y + w) + conv_b + 8 * x +
			 8 * (y + x) + conv_b + epi_b + 8 * 16 + 8 * w);
	assert_non_null(find_op(&lw, OPC_PHASE_GRAD_X, "dnnl_convolution_backward_data", 0));
	assert_non_null(find_op(&lw, OPC_PHASE_GRAD_W, "dnnl_convolution_backward_weights", 0));
	assert_null(find_op(&lw, OPC_PHASE_FORWARD, "sgemm", 0));
	/* priced as opcount fit counts its rows: every one by its layer's
	 * type, Conv2d, FLOPs and bytes alike, a call each */
	{
		struct opc_coeffs co;
		struct opc_op_cost cost[64];
		double want = 0, got = 0;

		assert_true(lw.nops <= 64);
		assert_int_equal(opc_coeffs_parse(
			"{\"opcount_coeffs\": 1, \"target\": \"energy\", \"unit\": \"J\", "
			"\"energy_source\": \"rapl\", \"energy_measured\": true, \"model\": "
			"\"c\", \"models\": {\"c\": {\"per_flop\": 0, \"per_type\": {\"Conv2d\": "
			"{\"per_flop\": 1e-9, \"per_byte\": 1e-8}}, \"per_call\": 1e-6, "
			"\"static_w\": 0}}}", "k.json", 0, &co, err, sizeof(err)), 0);
		assert_int_equal(opc_coeffs_eval(&co, &a, &lw, cost, err, sizeof(err)), 0);
		for (size_t i = 0; i < lw.nops; i++) {
			assert_string_equal(cost[i].coeff_type, "Conv2d");
			assert_false(cost[i].fallback);
			got += cost[i].total;
		}
		want = 1e-9 * (double)lw.train.flops + 1e-8 * (double)lw.train.bytes +
		       1e-6 * (double)lw.train.calls;
		assert_true(fabs(got - want) <= 1e-12 * want);
		opc_coeffs_free(&co);
	}
	opc_lowering_free(&lw);
	opc_arch_free(&a);

	/* --conv gemm: slow_conv2d, an sgemm per image */
	load_opts(json, &(struct opc_lower_opts){ .conv = OPC_CONV_GEMM }, &a, &lw);
	assert_int_equal(lw.infer.calls, 3);
	assert_int_equal(lw.infer.flops, f);
	assert_null(find_op(&lw, OPC_PHASE_FORWARD, "dnnl_convolution_forward", 0));
	opc_lowering_free(&lw);
	opc_arch_free(&a);
}

/*
 * Cross-attention by hand: b = 2, S = 5 queries of d = 16, 2 heads of
 * dh = 8, a memory of S_kv = 10 positions, r = 10 and rkv = 20 rows.
 * F.multi_head_attention_forward: the query's projection and the key's and
 * value's apart; one kv GEMM when the key is the value at the model's
 * width, else one each (kdim/vdim, or a value of its own).
 */
static void test_v2_cross_attention_lowering(void **state)
{
	struct opc_arch a;
	struct opc_lowering lw;
	/* b = 2: r = b*S, rkv = b*S_kv, bh = b*heads */
	uint64_t s = 5, d = 16, dh = 8, skv = 10, r = 10, rkv = 20, bh = 4, ek = 12, ev = 6;
	uint64_t bmm_f, bmm_b, proj_f, proj_b;

	(void)state;
	/* key is value, width d: in_proj_weight split into q [d, d], kv [2d, d] */
	load("{\"opcount_arch\": 2, \"input\": [5, 16], \"batch\": 2, \"layers\": [{\"type\": "
	     "\"dense\", \"units\": 16}, {\"type\": \"attention\", \"heads\": 2, \"memory\": "
	     "[10, 16]}]}", &a, &lw);
	assert_int_equal(a.layers[1].params, 4 * d * d + 4 * d);
	assert_int_equal(a.layers[1].out[0], s);
	/* S*S_kv*dh = 400: BLAS bmm (ATen's own loop below 400) */
	bmm_f = bh * (2 * s * skv * dh + 2 * s * dh * skv);
	bmm_b = bh * (gemm_bytes(s, skv, dh, 0, 4) + gemm_bytes(s, dh, skv, 0, 4));
	proj_f = 2 * r * d * d + 2 * rkv * 2 * d * d + 2 * r * d * d;
	proj_b = 2 * gemm_bytes(r, d, d, 1, 4) + gemm_bytes(rkv, 2 * d, d, 1, 4);
	assert_int_equal(lw.infer.calls, 1 + 3 + 2 * bh);
	assert_int_equal(lw.infer.flops, 2 * r * d * d + proj_f + bmm_f);
	assert_int_equal(lw.infer.bytes, gemm_bytes(r, d, d, 1, 4) + proj_b + bmm_b);
	/* backward: the dense's dW (first layer: no dX); out_proj dW dX; dA,
	 * dV, dQ, dK (each as many FLOPs as one forward bmm); q dW and dX (the
	 * dense before learns); kv dW, no kv dX (the memory is data) */
	assert_int_equal(lw.train.calls, lw.infer.calls + 1 + 2 + 4 * bh + 2 + 1);
	assert_int_equal(lw.train.flops, lw.infer.flops + 2 * d * d * r + 4 * (2 * r * d * d) +
			 2 * bmm_f + 2 * (2 * d) * d * rkv);
	opc_lowering_free(&lw);
	opc_arch_free(&a);

	/* the memory requires grad: the kv projection's dX too */
	load("{\"opcount_arch\": 2, \"input\": [5, 16], \"batch\": 2, \"layers\": [{\"type\": "
	     "\"attention\", \"heads\": 2, \"memory\": [10, 16], \"memory_grad\": true}]}", &a, &lw);
	assert_int_equal(lw.train.calls, lw.infer.calls + 2 + 4 * bh + 1 + 1 + 1);
	assert_int_equal(lw.train.flops, lw.infer.flops + 2 * 2 * r * d * d + 2 * bmm_f +
			 2 * r * d * d + 2 * 2 * (2 * d * d * rkv));
	opc_lowering_free(&lw);
	opc_arch_free(&a);

	/* kdim 12, vdim 6 (a value of its own): q, k, v apart, separate
	 * weights; S_kv = 4, S*S_kv*dh = 160 < 400: no BLAS bmm */
	load("{\"opcount_arch\": 2, \"input\": [5, 16], \"batch\": 2, \"layers\": [{\"type\": "
	     "\"attention\", \"heads\": 2, \"memory\": [4, 12], \"value\": [4, 6], "
	     "\"bias\": false}]}", &a, &lw);
	rkv = 8;
	assert_int_equal(a.params, d * d + d * ek + d * ev + d * d);
	assert_int_equal(lw.infer.calls, 4);
	assert_int_equal(lw.infer.flops, 2 * (2 * r * d * d) + 2 * rkv * d * ek + 2 * rkv * d * ev);
	assert_int_equal(lw.infer.bytes, 2 * gemm_bytes(r, d, d, 0, 4) +
			 gemm_bytes(rkv, d, ek, 0, 4) + gemm_bytes(rkv, d, ev, 0, 4));
	/* out_proj dW dX, q dW (first layer: no dX), k dW, v dW */
	assert_int_equal(lw.train.calls, 4 + 5);
	assert_int_equal(lw.train.bytes, lw.infer.bytes + 2 * gemm_bytes(d, d, r, 0, 4) +
			 gemm_bytes(r, d, d, 0, 4) + gemm_bytes(d, ek, rkv, 0, 4) +
			 gemm_bytes(d, ev, rkv, 0, 4));
	opc_lowering_free(&lw);
	opc_arch_free(&a);

	/* an RMS norm learns (a scale, F parameters) and makes no GEMM: the
	 * dense behind it computes its input gradient */
	load("{\"opcount_arch\": 2, \"input\": [20], \"batch\": 4, \"layers\": [{\"type\": "
	     "\"rmsnorm\"}, {\"type\": \"dense\", \"units\": 8}]}", &a, &lw);
	assert_string_equal(a.layers[0].type, "RMSNorm");
	assert_string_equal(a.layers[0].name, "norm1");
	assert_int_equal(a.params, 20 + 20 * 8 + 8);
	assert_int_equal(lw.infer.calls, 1);
	assert_int_equal(lw.train.calls, 3);
	opc_lowering_free(&lw);
	opc_arch_free(&a);
}

/* torch 1.13's use_mkldnn: which convolutions stay in slow_conv2d */
static void test_v2_conv_onednn_rule(void **state)
{
	static const struct {
		const char *json;
		int threads, want;
	} c[] = {
		/* 1x1, batch 3 < 16: oneDNN only with several threads */
		{ "\"input\": [8, 6, 6], \"batch\": 3, \"layers\": [{\"type\": \"conv2d\", "
		  "\"filters\": 4, \"kernel\": 1}]", 1, 0 },
		{ "\"input\": [8, 6, 6], \"batch\": 3, \"layers\": [{\"type\": \"conv2d\", "
		  "\"filters\": 4, \"kernel\": 1}]", 0, 1 },
		{ "\"input\": [8, 6, 6], \"batch\": 16, \"layers\": [{\"type\": \"conv2d\", "
		  "\"filters\": 4, \"kernel\": 1}]", 1, 1 },
		{ "\"input\": [8, 6, 6], \"batch\": 3, \"layers\": [{\"type\": \"conv2d\", "
		  "\"filters\": 4, \"kernel\": 1, \"stride\": 2}]", 1, 1 },
		/* one image: a small kernel and input stay native */
		{ "\"input\": [4, 8, 8], \"batch\": 1, \"layers\": [{\"type\": \"conv2d\", "
		  "\"filters\": 4, \"kernel\": 3}]", 2, 0 },
		{ "\"input\": [4, 8, 8], \"batch\": 1, \"layers\": [{\"type\": \"conv2d\", "
		  "\"filters\": 4, \"kernel\": 3, \"groups\": 2}]", 1, 1 },
		{ "\"input\": [4, 8, 8], \"batch\": 1, \"layers\": [{\"type\": \"conv2d\", "
		  "\"filters\": 4, \"kernel\": 4}]", 1, 1 },
		{ "\"input\": [4, 8, 8], \"batch\": 1, \"layers\": [{\"type\": \"conv2d\", "
		  "\"filters\": 4, \"kernel\": [4, 3]}]", 1, 0 },
		/* N*C*H*W = 4*80*80 = 25600 > 20480; 4*71*72 = 20448 is not */
		{ "\"input\": [4, 80, 80], \"batch\": 1, \"layers\": [{\"type\": \"conv2d\", "
		  "\"filters\": 4, \"kernel\": 3}]", 1, 1 },
		{ "\"input\": [4, 71, 72], \"batch\": 1, \"layers\": [{\"type\": \"conv2d\", "
		  "\"filters\": 4, \"kernel\": 3}]", 1, 0 },
		/* float64 never */
		{ "\"input\": [4, 8, 8], \"batch\": 3, \"dtype\": \"float64\", \"layers\": "
		  "[{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3}]", 1, 0 },
	};
	char json[512];

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct opc_lower_opts o = { .conv = OPC_CONV_ONEDNN, .threads = c[i].threads };
		struct opc_arch a;
		struct opc_lowering lw;

		snprintf(json, sizeof(json), "{\"opcount_arch\": 2, %s}", c[i].json);
		load_opts(json, &o, &a, &lw);
		if (opc_conv_uses_onednn(&a, &a.layers[0], &o) != c[i].want)
			fail_msg("case %zu: %s: oneDNN %d, want %d", i, json, !c[i].want,
				 c[i].want);
		assert_int_equal(find_op(&lw, OPC_PHASE_FORWARD, "dnnl_convolution_forward", 0) !=
				 NULL, c[i].want);
		o.conv = OPC_CONV_GEMM;
		assert_false(opc_conv_uses_onednn(&a, &a.layers[0], &o));
		opc_lowering_free(&lw);
		opc_arch_free(&a);
	}
}

static const char *coeffs_json =
	"{\"opcount_coeffs\": 1, \"target\": \"energy\", \"unit\": \"J\","
	" \"energy_source\": \"rapl\", \"energy_measured\": true,"
	" \"machine\": {\"cpu\": \"Test CPU\", \"ncpu\": 4, \"mixed\": false},"
	" \"model\": \"c\", \"future_field\": [1, 2],"
	" \"models\": {"
	"  \"a\": {\"per_flop\": 1e-9, \"per_type\": {}, \"per_call\": 0, \"static_w\": 0},"
	"  \"b\": {\"per_flop\": 0, \"per_type\": {\"Linear\": {\"per_flop\": 2e-9, \"per_byte\": 0}},"
	"        \"per_call\": 0, \"static_w\": 0},"
	"  \"c\": {\"per_flop\": 0, \"per_type\": {\"Linear\": {\"per_flop\": 1e-9, \"per_byte\": 1e-8},"
	"                                      \"gemm\": {\"per_flop\": 3e-9, \"per_byte\": 0}},"
	"        \"per_call\": 1e-6, \"static_w\": 5, \"cv\": {\"mape\": 12.5}}}}";

static void test_coeffs(void **state)
{
	struct opc_coeffs co;
	struct opc_arch a;
	struct opc_lowering lw;
	struct opc_op_cost cost[16];

	(void)state;
	load("{\"input\": [1, 6, 6], \"batch\": 2, \"layers\": ["
	     "{\"type\": \"conv2d\", \"filters\": 2, \"kernel\": 3},"
	     "{\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 3}]}", &a, &lw);
	assert_true(lw.nops <= 16);

	/* the recommended model c: Linear priced as such, Conv2d by "gemm" */
	assert_int_equal(opc_coeffs_parse(coeffs_json, "k.json", 0, &co, err, sizeof(err)), 0);
	assert_int_equal(co.model, 'c');
	assert_false(co.time);
	assert_true(co.energy_measured);
	assert_string_equal(co.machine, "cpu=Test CPU, ncpu=4");
	assert_true(co.cv_mape == 12.5);
	assert_int_equal(opc_coeffs_eval(&co, &a, &lw, cost, err, sizeof(err)), 0);
	for (size_t i = 0; i < lw.nops; i++) {
		const struct opc_lop *op = &lw.ops[i];
		double want;

		if (op->layer == 0) {
			assert_true(cost[i].fallback);
			assert_string_equal(cost[i].coeff_type, "gemm");
			want = 3e-9 * op->flops + 1e-6 * op->calls;
		} else {
			assert_false(cost[i].fallback);
			assert_string_equal(cost[i].coeff_type, "Linear");
			want = 1e-9 * op->flops + 1e-8 * op->bytes + 1e-6 * op->calls;
		}
		assert_true(fabs(cost[i].total - want) <= 1e-12 * want);
	}
	opc_coeffs_free(&co);

	/* model a: one price per FLOP, whatever the type */
	assert_int_equal(opc_coeffs_parse(coeffs_json, "k.json", 'a', &co, err, sizeof(err)), 0);
	assert_int_equal(opc_coeffs_eval(&co, &a, &lw, cost, err, sizeof(err)), 0);
	for (size_t i = 0; i < lw.nops; i++)
		assert_true(fabs(cost[i].total - 1e-9 * lw.ops[i].flops) <= 1e-21 * lw.ops[i].flops);
	opc_coeffs_free(&co);

	/* model b has neither Conv2d nor gemm, nor a global per_flop */
	assert_int_equal(opc_coeffs_parse(coeffs_json, "k.json", 'b', &co, err, sizeof(err)), 0);
	assert_int_equal(opc_coeffs_eval(&co, &a, &lw, cost, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "k.json: model b has no coefficients for layer type "
				    "\"Conv2d\" (layer conv1)"));
	opc_coeffs_free(&co);
	opc_lowering_free(&lw);
	opc_arch_free(&a);
}

static void bad_coeffs(const char *json, const char *want)
{
	struct opc_coeffs co;

	assert_int_equal(opc_coeffs_parse(json, "k.json", 0, &co, err, sizeof(err)), -EINVAL);
	if (strncmp(err, "k.json: ", 8) || !strstr(err, want))
		fail_msg("for %s\n  message: %s\n  wanted: %s", json, err, want);
	opc_coeffs_free(&co);
}

static void test_bad_coeffs(void **state)
{
	(void)state;
	bad_coeffs("{\"opcount_coeffs\": 1,", "not valid JSON");
	bad_coeffs("{}", "no \"opcount_coeffs\" version field");
	bad_coeffs("{\"opcount_coeffs\": 2}", "reads version 1, got 2");
	bad_coeffs("{\"opcount_coeffs\": 1}", "missing \"target\"");
	bad_coeffs("{\"opcount_coeffs\": 1, \"target\": \"power\"}",
		   "\"target\": expected \"energy\" or \"time\", got \"power\"");
	bad_coeffs("{\"opcount_coeffs\": 1, \"target\": \"energy\", \"unit\": \"kWh\"}",
		   "\"unit\": a fit of energy is in J, got \"kWh\"");
	bad_coeffs("{\"opcount_coeffs\": 1, \"target\": \"energy\"}", "missing \"models\"");
	bad_coeffs("{\"opcount_coeffs\": 1, \"target\": \"energy\", \"models\": {}}",
		   "missing \"model\"");
	bad_coeffs("{\"opcount_coeffs\": 1, \"target\": \"energy\", \"model\": \"d\", "
		   "\"models\": {}}", "\"model\": expected \"a\", \"b\" or \"c\"");
	bad_coeffs("{\"opcount_coeffs\": 1, \"target\": \"energy\", \"model\": \"c\", "
		   "\"models\": {\"a\": {\"per_flop\": 1}}}", "models.c: missing");
	bad_coeffs("{\"opcount_coeffs\": 1, \"target\": \"energy\", \"model\": \"a\", "
		   "\"models\": {\"a\": {\"per_flop\": -1}}}",
		   "models.a.per_flop: -1: coefficients are finite and non-negative");
	bad_coeffs("{\"opcount_coeffs\": 1, \"target\": \"energy\", \"model\": \"a\", "
		   "\"models\": {\"a\": {\"per_flop\": \"1\"}}}",
		   "models.a.per_flop: expected a number");
	bad_coeffs("{\"opcount_coeffs\": 1, \"target\": \"energy\", \"model\": \"b\", "
		   "\"models\": {\"b\": {\"per_type\": {\"Linear\": {\"per_byte\": 1}}}}}",
		   "models.b.per_type.Linear: missing \"per_flop\"");
	bad_coeffs("{\"opcount_coeffs\": 1, \"target\": \"energy\", \"model\": \"b\", "
		   "\"models\": {\"b\": {\"per_type\": [1]}}}",
		   "models.b.per_type: expected an object of layer types");
	bad_coeffs("{\"opcount_coeffs\": 1, \"target\": \"energy\", \"model\": \"a\", "
		   "\"models\": {\"a\": {\"per_flop\": 0}}}", "every coefficient is zero");
}

/* docs/design.md: T = I*D*E*overhead, CT = H*T, LC = CT + T + N*I */
static void test_lifecycle(void **state)
{
	struct opc_lifecycle lc = {
		.infer_j = 2, .train_sample_j = 10, .samples = 100, .epochs = 3,
		.tuning_runs = 4, .inferences = 1000,
	};

	(void)state;
	opc_lifecycle_compute(&lc);
	assert_true(lc.overhead == 5);
	assert_true(lc.training_j == 2.0 * 100 * 3 * 5);
	assert_true(lc.tuning_j == 4 * 3000.0);
	assert_true(lc.inference_j == 2000);
	assert_true(lc.total_j == 12000 + 3000 + 2000);

	/* no training at all: only the inferences */
	lc = (struct opc_lifecycle){ .infer_j = 0.5, .train_sample_j = 2, .inferences = 8 };
	opc_lifecycle_compute(&lc);
	assert_true(lc.training_j == 0 && lc.tuning_j == 0 && lc.total_j == 4);
}

static void test_carbon_arithmetic(void **state)
{
	double j = 1287000.0 * OPC_J_PER_KWH;	/* 1287 MWh */

	(void)state;
	/* 1287 MWh at 429 gCO2eq/kWh is 552.123 t, exactly */
	assert_true(opc_co2eq_g(j, 429) == 552123000.0);
	assert_true(opc_co2eq_g(j, 429) / 1e6 == 552.123);
	/* 20 g/kWh Quebec vs 736.6 g/kWh Iowa, for one kWh */
	assert_true(opc_co2eq_g(OPC_J_PER_KWH, 20) == 20);
	assert_true(opc_co2eq_g(OPC_J_PER_KWH, 736.6) == 736.6);
	assert_true(OPC_PUE_DEFAULT == 1.58);
}

static void test_regions(void **state)
{
	const char *dir = opc_data_dir();
	struct opc_intensity ci;

	(void)state;
	assert_int_equal(opc_intensity_lookup(dir, "FRA", &ci, err, sizeof(err)), 0);
	assert_string_equal(ci.region, "FRA");
	assert_string_equal(ci.label, "France");
	assert_true(ci.g_per_kwh > 0 && ci.g_per_kwh < 1000);
	assert_true(ci.year >= 2000);
	assert_non_null(strstr(ci.source, "Our World in Data"));
	assert_int_equal(opc_intensity_lookup(dir, "fra", &ci, err, sizeof(err)), 0);
	assert_string_equal(ci.region, "FRA");

	assert_int_equal(opc_intensity_lookup(dir, "gcp:us-central1", &ci, err, sizeof(err)), 0);
	assert_string_equal(ci.region, "gcp:us-central1");
	assert_true(ci.g_per_kwh == 430);
	assert_int_equal(ci.year, 0);

	assert_int_equal(opc_intensity_lookup(dir, "FRX", &ci, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "unknown region \"FRX\""));
	assert_non_null(strstr(err, "did you mean FRA (France)"));
	assert_int_equal(opc_intensity_lookup(dir, "France", &ci, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "did you mean FRA (France)?"));
	assert_int_equal(opc_intensity_lookup(dir, "us-central1", &ci, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "did you mean gcp:us-central1?"));
	assert_int_equal(opc_intensity_lookup(dir, "gcp:us-centrl1", &ci, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "gcp:us-central1"));
	assert_int_equal(opc_intensity_lookup(dir, "Atlantis", &ci, err, sizeof(err)), -ENOENT);
	assert_null(strstr(err, "did you mean"));
	assert_non_null(strstr(err, "--intensity"));
	assert_int_equal(opc_intensity_lookup("/nonexistent", "FRA", &ci, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/grid-carbon-intensity.csv"));
}

/* ---- the engine ---------------------------------------------------------- */

/*
 * input [4], batch 2: dense 3, relu, dense 2.  Its sgemm calls (m n k,
 * FLOPs 2mnk, bytes 4(mk + kn + mn)):
 *   dense1 forward  2 3 4   48 FLOPs  104 bytes
 *   dense2 forward  2 2 3   24        64
 *   dense2 grad_w   2 3 2   24        64
 *   dense2 grad_x   2 3 2   24        64
 *   dense1 grad_w   3 4 2   48        104
 * Under 0.5 J/FLOP, 0.25 J/byte and 1 J/call: 51, 29, 29, 29, 51 J, so an
 * inference batch costs 80 J (I = 40 J) and a training step 189 J (94.5 J
 * a sample, overhead 189/80 = 2.3625); the FLOPs alone give 168/72.
 */
static const char tiny_arch[] =
	"{\"input\": [4], \"batch\": 2, \"layers\": [{\"type\": \"dense\", \"units\": 3},"
	" {\"type\": \"activation\", \"function\": \"relu\"}, {\"type\": \"dense\", \"units\": 2}]}";

static const char tiny_coeffs[] =
	"{\"opcount_coeffs\": 1, \"target\": \"energy\", \"unit\": \"J\", \"energy_source\": \"rapl\","
	" \"energy_measured\": true, \"model\": \"c\", \"models\": {\"c\": {\"per_flop\": 0,"
	" \"per_type\": {\"Linear\": {\"per_flop\": 0.5, \"per_byte\": 0.25}},"
	" \"per_call\": 1, \"static_w\": %s}}}";

/* 0.125 s per FLOP: the busy time of each call */
static const char tiny_time[] =
	"{\"opcount_coeffs\": 1, \"target\": \"time\", \"unit\": \"s\", \"energy_source\": \"none\","
	" \"energy_measured\": false, \"model\": \"a\", \"models\": {\"a\": {\"per_flop\": 0.125,"
	" \"per_type\": {}, \"per_call\": 0, \"static_w\": 0}}}";

static char arch_path[64], coeffs_path[64], static_path[64], time_path[64];

static void write_tmp(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/opc-test-predict-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int files_setup(void **state)
{
	char text[1024];

	(void)state;
	write_tmp(arch_path, tiny_arch);
	snprintf(text, sizeof(text), tiny_coeffs, "0");
	write_tmp(coeffs_path, text);
	snprintf(text, sizeof(text), tiny_coeffs, "4");
	write_tmp(static_path, text);
	write_tmp(time_path, tiny_time);
	return 0;
}

static int files_teardown(void **state)
{
	(void)state;
	unlink(arch_path);
	unlink(coeffs_path);
	unlink(static_path);
	unlink(time_path);
	return 0;
}

static int has_note(const struct opc_prediction *p, const char *part)
{
	for (size_t i = 0; i < p->nnotes; i++)
		if (strstr(p->notes[i], part))
			return 1;
	return 0;
}

/* opc_predict, failing the test with its message */
static void predict(const struct opc_predict_req *q, struct opc_prediction *p)
{
	int ret = opc_predict(q, p, err, sizeof(err));

	if (ret)
		fail_msg("opc_predict: %d: %s", ret, err);
}

static void test_predict_coeffs(void **state)
{
	static const double op_j[] = { 51, 29, 29, 29, 51 };
	struct opc_predict_req q;
	struct opc_prediction p;

	(void)state;
	opc_predict_req_init(&q);
	q.coeffs = coeffs_path;
	q.arch = arch_path;
	predict(&q, &p);
	assert_true(p.have_arch && p.have_coeffs && p.have_pred);
	assert_false(p.have_infer_tr || p.have_train_tr || p.have_lifecycle || p.have_carbon);
	assert_int_equal(p.lw.nops, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_true(p.op_j[i] == op_j[i]);
		assert_true(p.op_static_j[i] == 0);
	}
	assert_true(p.pred_infer_batch_j == 80);
	assert_true(p.pred_train_batch_j == 189);
	assert_true(p.lc.infer_j == 40);
	assert_true(p.lc.train_sample_j == 94.5);
	assert_true(p.lc.overhead == 2.3625);
	assert_int_equal(p.ovh, OPC_OVH_LOWERING);
	assert_false(p.lower_bound);
	assert_int_equal(p.nnotes, 0);
	opc_prediction_free(&p);

	/*
	 * --batch 8: dense1 forward 8 3 4, 192 FLOPs, 272 bytes: 165 J;
	 * dense2 forward 8 2 3, 96 FLOPs, 184 bytes: 95 J.  The weights are
	 * read once a batch, so a sample costs less than at batch 2.
	 */
	q.batch = 8;
	predict(&q, &p);
	assert_int_equal(p.lw.batch, 8);
	assert_true(p.op_j[0] == 165 && p.op_j[1] == 95);
	assert_true(p.pred_infer_batch_j == 260);
	assert_true(p.lc.infer_j == 32.5);
	opc_prediction_free(&p);
}

/* docs/design.md: T = I*D*E*overhead, CT = H*T, LC = CT + T + N*I */
static void test_predict_lifecycle(void **state)
{
	struct opc_predict_req q;
	struct opc_prediction p;

	(void)state;
	opc_predict_req_init(&q);
	q.coeffs = coeffs_path;
	q.arch = arch_path;
	q.samples = 1000;
	q.epochs = 3;
	q.tuning_runs = 4;
	q.inferences = 1e6;
	predict(&q, &p);
	assert_true(p.have_lifecycle);
	assert_true(p.lc.samples == 1000 && p.lc.epochs == 3);
	assert_true(p.lc.tuning_runs == 4 && p.lc.inferences == 1e6);
	assert_true(p.lc.training_j == 94.5 * 1000 * 3);		/* I*D*E*overhead */
	assert_true(p.lc.training_j == 40 * 1000 * 3 * 2.3625);
	assert_true(p.lc.tuning_j == 4 * 283500.0);
	assert_true(p.lc.inference_j == 40e6);
	assert_true(p.lc.total_j == 1134000 + 283500 + 40e6);
	opc_prediction_free(&p);

	/* the tuning runs and the inferences default to none */
	q.tuning_runs = -1;
	q.inferences = -1;
	q.epochs = 0;
	predict(&q, &p);
	assert_true(p.lc.tuning_runs == 0 && p.lc.inferences == 0);
	assert_true(p.lc.training_j == 0 && p.lc.total_j == 0);
	opc_prediction_free(&p);
}

/* --overhead, given, wins over the coefficients' ratio */
static void test_predict_overhead_given(void **state)
{
	struct opc_predict_req q;
	struct opc_prediction p;

	(void)state;
	opc_predict_req_init(&q);
	q.coeffs = coeffs_path;
	q.arch = arch_path;
	q.overhead = 3;
	q.samples = 10;
	q.epochs = 2;
	predict(&q, &p);
	assert_int_equal(p.ovh, OPC_OVH_GIVEN);
	assert_true(p.lc.infer_j == 40);
	assert_true(p.lc.train_sample_j == 120);
	assert_true(p.lc.overhead == 3);
	assert_true(p.lc.training_j == 120 * 10 * 2);
	opc_prediction_free(&p);
}

/*
 * Static power (4 W) on the busy time a time fit predicts (0.125 s per
 * FLOP): 0.5 J more per FLOP; a lower bound, and a note says so.
 */
static void test_predict_static_power(void **state)
{
	static const double flops[] = { 48, 24, 24, 24, 48 };
	static const double op_j[] = { 51, 29, 29, 29, 51 };
	struct opc_predict_req q;
	struct opc_prediction p;

	(void)state;
	opc_predict_req_init(&q);
	q.coeffs = static_path;
	q.arch = arch_path;
	q.time_coeffs = time_path;
	predict(&q, &p);
	assert_true(p.static_applied && p.lower_bound && p.have_tco);
	for (size_t i = 0; i < 5; i++) {
		assert_true(p.op_static_j[i] == 0.5 * flops[i]);
		assert_true(p.op_j[i] == op_j[i] + 0.5 * flops[i]);
	}
	assert_true(p.pred_infer_batch_j == 80 + 36);
	assert_true(p.pred_train_batch_j == 189 + 84);
	assert_true(p.lc.infer_j == 58);
	assert_true(has_note(&p, "LOWER BOUND: static power 4 W is applied"));
	opc_prediction_free(&p);

	/* without a time fit the static power is left out, and a note says so */
	q.time_coeffs = NULL;
	predict(&q, &p);
	assert_false(p.static_applied);
	assert_true(p.lower_bound);
	assert_true(p.pred_infer_batch_j == 80);
	assert_true(has_note(&p, "LOWER BOUND: the static power of model c (4 W) is not applied"));
	opc_prediction_free(&p);
}

/* A time fit as --coeffs: seconds x --power */
static void test_predict_time_fit(void **state)
{
	struct opc_predict_req q;
	struct opc_prediction p;

	(void)state;
	opc_predict_req_init(&q);
	q.coeffs = time_path;
	q.arch = arch_path;
	q.power_w = 8;
	predict(&q, &p);
	assert_true(p.co.time);
	assert_true(p.pred_infer_batch_j == 72);	/* 8 W x 0.125 s x 72 FLOPs */
	assert_true(p.pred_train_batch_j == 168);
	assert_true(p.lc.infer_j == 36);
	assert_true(p.lc.overhead == 168.0 / 72);
	opc_prediction_free(&p);

	q.power_w = -1;
	assert_int_equal(opc_predict(&q, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "fitted for time (target \"time\"), not energy"));
	q.coeffs = coeffs_path;
	q.power_w = 8;
	assert_int_equal(opc_predict(&q, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--power: "));
	assert_non_null(strstr(err, "is already an energy fit"));
	q.power_w = -1;
	q.time_coeffs = coeffs_path;
	assert_int_equal(opc_predict(&q, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is an energy fit; it needs a time fit"));
}

/* Requests that do not make sense are refused before anything is read. */
static void test_predict_check(void **state)
{
	struct opc_predict_req q;
	struct opc_prediction p;

	(void)state;
	opc_predict_req_init(&q);
	assert_int_equal(opc_predict_check(&q, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nothing gives energy"));
	q.coeffs = "/nonexistent/k.json";
	assert_int_equal(opc_predict(&q, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--coeffs needs --arch"));
	q.arch = "/nonexistent/a.json";
	q.samples = 10;
	assert_int_equal(opc_predict_check(&q, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "needs both --samples D and --epochs E"));
	q.epochs = 1;
	assert_int_equal(opc_predict_check(&q, err, sizeof(err)), 0);
	q.arch = NULL;
	q.coeffs = NULL;
	q.from_trace = "x.opc";
	q.trace_inferences = 5;
	assert_int_equal(opc_predict_check(&q, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "training energy needs the training overhead"));
	q.overhead = 2;
	assert_int_equal(opc_predict_check(&q, err, sizeof(err)), 0);
	q.train_trace = "t.opc";
	q.train_samples = 5;
	assert_int_equal(opc_predict_check(&q, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--overhead and --train-trace both give"));
	opc_predict_req_init(&q);
	q.energy_j = 1;
	assert_int_equal(opc_predict_check(&q, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "needs --region R or --intensity G"));
	q.intensity = 1;
	q.arch = arch_path;
	assert_int_equal(opc_predict_check(&q, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "does not combine"));
}

/*
 * Which training overhead is used, on a prediction filled by hand as
 * opc_predict fills it: a lowering of batch 4 (100 FLOPs forward, 300
 * forward + backward), coefficients predicting 8 J and 24 J for them,
 * an inference trace of 30 J over 10 inferences (I = 3 J) and a training
 * trace of 120 J over 10 samples.  In order: the training trace, then
 * --overhead, then the coefficients, then the lowering's FLOPs, else none.
 */
static void fill(struct opc_prediction *p)
{
	memset(p, 0, sizeof(*p));
	opc_predict_req_init(&p->req);
	p->have_arch = 1;
	p->lw.batch = 4;
	p->lw.infer.flops = 100;
	p->lw.train.flops = 300;
	p->have_pred = 1;
	p->pred_infer_batch_j = 8;
	p->pred_train_batch_j = 24;
	p->have_infer_tr = 1;
	p->infer_tr = (struct opc_trace_energy){ .path = "i.opc", .measured = 1, .energy_j = 30,
						 .samples = 10, .flops = 250 };
	p->have_train_tr = 1;
	p->train_tr = (struct opc_trace_energy){ .path = "t.opc", .measured = 1, .energy_j = 120,
						 .samples = 10, .flops = 750 };
}

static void free_notes(struct opc_prediction *p)
{
	for (size_t i = 0; i < p->nnotes; i++)
		free(p->notes[i]);
	free(p->notes);
	p->notes = NULL;
	p->nnotes = 0;
}

/* The totals' range applies to the life cycle only when no trace measured
 * any of it; a range is v (1 -/+ e), its low end never below 0. */
static void test_uncertainty_scope(void **state)
{
	struct opc_prediction p;
	double lo, hi;

	(void)state;
	fill(&p);
	opc_predict_lifecycle(&p);
	assert_false(p.unc.lifecycle);
	fill(&p);
	p.have_train_tr = 0;	/* I measured, the training from it */
	opc_predict_lifecycle(&p);
	assert_false(p.unc.lifecycle);
	fill(&p);
	p.have_infer_tr = 0;	/* the training measured */
	opc_predict_lifecycle(&p);
	assert_false(p.unc.lifecycle);
	fill(&p);
	p.have_infer_tr = p.have_train_tr = 0;
	opc_predict_lifecycle(&p);
	assert_true(p.unc.lifecycle);
	p.have_pred = 0;	/* nothing predicted: nothing to range */
	opc_predict_lifecycle(&p);
	assert_false(p.unc.lifecycle);
	free_notes(&p);

	opc_unc_range(8, 12.5, &lo, &hi);
	assert_true(lo == 7 && hi == 9);
	opc_unc_range(8, 150, &lo, &hi);
	assert_true(lo == 0 && hi == 20);
	opc_unc_range(8, 0, &lo, &hi);
	assert_true(lo == 8 && hi == 8);
}

static void test_overhead_precedence(void **state)
{
	struct opc_prediction p;

	(void)state;
	/* both traces, measured: the measured ratio 12 J / 3 J */
	fill(&p);
	p.req.overhead = 7;	/* opc_predict_check refuses this; the trace would win */
	opc_predict_lifecycle(&p);
	assert_int_equal(p.ovh, OPC_OVH_MEASURED);
	assert_true(p.lc.infer_j == 3 && p.lc.train_sample_j == 12 && p.lc.overhead == 4);
	assert_int_equal(p.nnotes, 0);	/* the traces did the lowering's FLOPs */

	/* a ratio of two traces of which one is estimated is no measurement */
	fill(&p);
	p.infer_tr.measured = 0;
	opc_predict_lifecycle(&p);
	assert_int_equal(p.ovh, OPC_OVH_TRACES);
	assert_true(p.lc.overhead == 4);
	fill(&p);
	p.train_tr.measured = 0;
	opc_predict_lifecycle(&p);
	assert_int_equal(p.ovh, OPC_OVH_TRACES);

	/* a measured overhead below 1 is suspicious */
	fill(&p);
	p.train_tr.energy_j = 15;
	opc_predict_lifecycle(&p);
	assert_true(p.lc.overhead == 0.5);
	assert_true(has_note(&p, "the measured overhead is below 1"));
	free_notes(&p);

	/* no training trace: --overhead */
	fill(&p);
	p.have_train_tr = 0;
	p.req.overhead = 2.5;
	opc_predict_lifecycle(&p);
	assert_int_equal(p.ovh, OPC_OVH_GIVEN);
	assert_true(p.lc.infer_j == 3 && p.lc.train_sample_j == 7.5 && p.lc.overhead == 2.5);

	/* nor --overhead: the coefficients' training step over inference batch */
	fill(&p);
	p.have_train_tr = 0;
	opc_predict_lifecycle(&p);
	assert_int_equal(p.ovh, OPC_OVH_LOWERING);
	assert_true(p.lc.infer_j == 3 && p.lc.train_sample_j == 9 && p.lc.overhead == 3);

	/* the same without a trace: I predicted, 8 J / batch of 4 */
	p.have_infer_tr = 0;
	opc_predict_lifecycle(&p);
	assert_int_equal(p.ovh, OPC_OVH_LOWERING);
	assert_true(p.lc.infer_j == 2 && p.lc.train_sample_j == 6);

	/* coefficients that predict nothing: the lowering's FLOPs, 300 / 100 */
	fill(&p);
	p.have_train_tr = 0;
	p.pred_infer_batch_j = 0;
	p.lw.train.flops = 500;
	opc_predict_lifecycle(&p);
	assert_int_equal(p.ovh, OPC_OVH_FLOPS);
	assert_true(p.lc.infer_j == 3 && p.lc.train_sample_j == 15 && p.lc.overhead == 5);
	fill(&p);
	p.have_train_tr = 0;
	p.have_pred = 0;
	opc_predict_lifecycle(&p);
	assert_int_equal(p.ovh, OPC_OVH_FLOPS);
	assert_true(p.lc.train_sample_j == 9);

	/* nothing to derive it from: no training energy */
	fill(&p);
	p.have_train_tr = 0;
	p.have_pred = 0;
	p.have_arch = 0;
	opc_predict_lifecycle(&p);
	assert_int_equal(p.ovh, OPC_OVH_NONE);
	assert_true(p.lc.infer_j == 3 && p.lc.train_sample_j == 0 && p.lc.overhead == 0);

	/* with the life cycle: T = 12 J x 1000 x 2, CT = 3 T, N I = 5e5 x 3 J */
	fill(&p);
	p.req.samples = 1000;
	p.req.epochs = 2;
	p.req.tuning_runs = 3;
	p.req.inferences = 5e5;
	opc_predict_lifecycle(&p);
	assert_true(p.have_lifecycle);
	assert_true(p.lc.training_j == 24000);
	assert_true(p.lc.training_j == p.lc.infer_j * 1000 * 2 * p.lc.overhead);
	assert_true(p.lc.tuning_j == 72000);
	assert_true(p.lc.inference_j == 1.5e6);
	assert_true(p.lc.total_j == 72000 + 24000 + 1.5e6);

	/* traces that did other work than the lowering say so */
	fill(&p);
	p.infer_tr.flops = 500;
	p.train_tr.flops = 100;
	opc_predict_lifecycle(&p);
	assert_true(has_note(&p, "i.opc did 50 FLOPs per inference, the architecture lowers "
			     "to 25"));
	assert_true(has_note(&p, "t.opc did 10 FLOPs per training sample, the architecture "
			     "lowers to 75"));
	free_notes(&p);
}

/* CO2eq = energy x PUE / 3.6e6 J/kWh x intensity, with the region's intensity */
static void test_predict_carbon(void **state)
{
	struct opc_predict_req q;
	struct opc_prediction p;
	struct opc_quantity qt;
	struct opc_intensity fra;

	(void)state;
	opc_predict_req_init(&q);
	q.energy_j = 7.2e6;	/* 2 kWh */
	q.pue = 1.25;
	q.region = "gcp:us-central1";	/* 430 g/kWh in the table */
	predict(&q, &p);
	assert_true(p.have_carbon && !p.have_arch && !p.have_pred);
	assert_true(p.ci.g_per_kwh == 430);
	assert_string_equal(p.ci.region, "gcp:us-central1");
	opc_predict_quantity(&p, q.energy_j, &qt);
	assert_true(qt.it_j == 7.2e6 && qt.j == 9e6 && qt.kwh == 2.5);
	assert_true(qt.have_co2 && qt.co2eq_g == 1075);
	opc_prediction_free(&p);

	/* --intensity replaces the region's, and says what it replaced */
	q.region = "fra";
	q.intensity = 20;
	predict(&q, &p);
	assert_int_equal(opc_intensity_lookup(opc_data_dir(), "FRA", &fra, err, sizeof(err)), 0);
	assert_true(p.ci.g_per_kwh == 20);
	assert_int_equal(p.ci.year, 0);
	assert_string_equal(p.ci.region, "FRA");
	snprintf(err, sizeof(err), "--intensity (given; replaces FRA's %g from ", fra.g_per_kwh);
	assert_true(!strncmp(p.ci.source, err, strlen(err)));
	opc_predict_quantity(&p, 3.6e6, &qt);
	assert_true(qt.co2eq_g == 25);	/* 1 kWh x 1.25 x 20 g */
	opc_prediction_free(&p);

	/* the region alone: the table's value */
	q.intensity = -1;
	q.pue = 1;
	predict(&q, &p);
	assert_true(p.ci.g_per_kwh == fra.g_per_kwh && p.ci.year == fra.year);
	assert_string_equal(p.ci.source, fra.source);
	opc_predict_quantity(&p, 3.6e6, &qt);
	assert_true(qt.co2eq_g == fra.g_per_kwh);
	opc_prediction_free(&p);

	/* an unknown region fails with the lookup's message */
	q.region = "FRX";
	assert_int_equal(opc_predict(&q, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--region: unknown region \"FRX\""));

	/* no intensity: energies, but no CO2eq */
	opc_predict_req_init(&q);
	q.coeffs = coeffs_path;
	q.arch = arch_path;
	predict(&q, &p);
	assert_false(p.have_carbon);
	opc_predict_quantity(&p, p.lc.infer_j, &qt);
	assert_true(qt.it_j == 40 && qt.j == 40 * OPC_PUE_DEFAULT);
	assert_false(qt.have_co2);
	opc_prediction_free(&p);
}

/* Products that do not fit: refused, naming the layer, never priced at
 * the 0 a wrapped product gives. */
static void test_lowering_overflow(void **state)
{
	struct opc_arch a;
	struct opc_lowering lw;

	(void)state;
	/* kernel 1, padding 2^30 + 1: a 2^32 x 2^32 output, whose area
	 * wraps to 0 in 64 bits */
	bad("{\"input\": [1, 2147483646, 2147483646], \"layers\": [{\"type\": \"conv2d\", "
	    "\"name\": \"big\", \"filters\": 1, \"kernel\": 1, \"padding\": 1073741825}]}",
	    "layers[0] (conv2d \"big\"): the im2col matrix (1 x 4294967296 x 4294967296) is too "
	    "large");
	bad("{\"input\": [1, 2147483646, 2], \"layers\": [{\"type\": \"conv2d\", "
	    "\"filters\": 1, \"kernel\": 1, \"padding\": 1}]}", "too large for a BLAS call");
	/* every dimension fits an int, 2mnk does not fit 64 bits */
	assert_int_equal(opc_arch_parse("{\"input\": [8], \"batch\": 4, \"layers\": ["
					"{\"type\": \"dense\", \"units\": 2147483647}, "
					"{\"type\": \"dense\", \"name\": \"wide\", "
					"\"units\": 2147483647}]}", "big.json", 0, &a, err,
					sizeof(err)), 0);
	assert_true(opc_arch_lower(&a, &lw, err, sizeof(err)) < 0);
	if (!strstr(err, "big.json: layers[1] (dense \"wide\"): its operations for a batch of "
		    "4 do not fit 64-bit counters"))
		fail_msg("message: %s", err);
	/* nothing left to free after an error */
	assert_null(lw.ops);
	assert_int_equal(lw.nops, 0);
	opc_lowering_free(&lw);
	opc_arch_free(&a);
}

static void took_too_long(int sig)
{
	(void)sig;
	fprintf(stderr, "opc_predict did not return in 30 s: not linear in the layers\n");
	_exit(1);
}

/* 20000 dense layers, priced through the "gemm" fallback among 500 other
 * types: linear, a second or so (quadratic, this took minutes). */
static void test_predict_many_layers(void **state)
{
	const int nl = 20000, nt = 500;
	char *arch = malloc(64 * nl + 64), *coeffs = malloc(64 * nt + 512);
	char apath[64], cpath[64];
	struct opc_predict_req q;
	struct opc_prediction p;
	size_t o = 0;
	int fallback_notes = 0;

	(void)state;
	assert_non_null(arch);
	assert_non_null(coeffs);
	o += sprintf(arch + o, "{\"input\": [8], \"batch\": 2, \"layers\": [");
	for (int i = 0; i < nl; i++)
		o += sprintf(arch + o, "%s{\"type\": \"dense\", \"units\": 8}", i ? ", " : "");
	sprintf(arch + o, "]}");
	o = sprintf(coeffs, "{\"opcount_coeffs\": 1, \"target\": \"energy\", \"model\": \"b\", "
		    "\"models\": {\"b\": {\"per_type\": {\"gemm\": {\"per_flop\": 1}");
	for (int t = 0; t < nt; t++)
		o += sprintf(coeffs + o, ", \"Type%d\": {\"per_flop\": 2}", t);
	sprintf(coeffs + o, "}}}}");
	write_tmp(apath, arch);
	write_tmp(cpath, coeffs);
	opc_predict_req_init(&q);
	q.coeffs = cpath;
	q.arch = apath;
	signal(SIGALRM, took_too_long);
	alarm(30);
	predict(&q, &p);
	alarm(0);
	assert_int_equal(p.lw.nops, 3 * nl - 1);
	/* 2 x 8 x 8 x 2 FLOPs per GEMM, 1 J per FLOP */
	assert_true(p.pred_train_batch_j == 256.0 * (3 * nl - 1));
	for (size_t i = 0; i < p.nnotes; i++)
		fallback_notes += strstr(p.notes[i], "never seen by the fit") != NULL;
	assert_int_equal(fallback_notes, 1);
	opc_prediction_free(&p);
	unlink(apath);
	unlink(cpath);
	free(arch);
	free(coeffs);
}

/* A life cycle whose energy overflows a double: refused with a message,
 * never printed as inf or NaN. */
static void test_predict_not_finite(void **state)
{
	struct opc_predict_req q;
	struct opc_prediction p;

	(void)state;
	opc_predict_req_init(&q);
	q.coeffs = coeffs_path;
	q.arch = arch_path;
	q.samples = 1e308;
	q.epochs = 1e10;
	q.tuning_runs = 0;
	assert_int_equal(opc_predict(&q, &p, err, sizeof(err)), -EINVAL);
	if (!strstr(err, "the training energy T is too large for a double: check --samples"))
		fail_msg("message: %s", err);
	opc_predict_req_init(&q);
	q.energy_j = 1e300;
	q.intensity = 1e300;
	assert_int_equal(opc_predict(&q, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "the energy given is too large"));
	/* the largest that fits is still fine */
	opc_predict_req_init(&q);
	q.coeffs = coeffs_path;
	q.arch = arch_path;
	q.samples = 1e300;
	q.epochs = 1;
	predict(&q, &p);
	assert_true(isfinite(p.lc.total_j) && p.lc.total_j > 1e300);
	opc_prediction_free(&p);
}

/*
 * The Student t quantile of --steps: the table against published values
 * (scipy.stats.t.ppf(0.975, df)), the expansion past 30 within 1e-4, and
 * the extrapolation against its formula.
 */
static void test_steps_t95_extrapolate(void **state)
{
	static const struct { size_t df; double t; } ref[] = {
		{ 1, 12.706205 }, { 2, 4.302653 }, { 6, 2.446912 }, { 30, 2.042272 },
		{ 31, 2.039513 }, { 50, 2.008559 }, { 100, 1.983972 }, { 1000, 1.962339 },
	};
	double tj[] = { 9, 1, 2, 3 }, ts[] = { 0.9, 0.1, 0.2, 0.3 };
	struct opc_steps s = { .nseen = 4, .skip = 1, .n = 3, .time_s = ts, .energy_j = tj,
			       .seen_j = 15, .seen_s = 1.5, .mean_j = 2, .sd_j = 1,
			       .mean_s = 0.2, .sd_s = 0.1 };
	struct opc_steps_total t;
	double hw;

	(void)state;
	for (size_t i = 0; i < sizeof(ref) / sizeof(ref[0]); i++)
		assert_true(fabs(opc_t95(ref[i].df) - ref[i].t) < 1e-4);
	s.t95 = opc_t95(2);
	hw = 4.302653 / sqrt(3);
	opc_steps_extrapolate(&s, 10, 1, &t);
	assert_true(fabs(t.v - (15 + 6 * 2)) < 1e-9);
	assert_true(fabs(t.lo - (15 + 6 * fmax(2 - hw, 0))) < 1e-3);
	assert_true(fabs(t.hi - (15 + 6 * (2 + hw))) < 1e-3);
	opc_steps_extrapolate(&s, 10, 0, &t);
	assert_true(fabs(t.v - (1.5 + 6 * 0.2)) < 1e-9);
	assert_true(fabs(t.hi - (1.5 + 6 * (0.2 + 0.1 * hw))) < 1e-4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mlp_lowering),
		cmocka_unit_test(test_cnn_lowering),
		cmocka_unit_test(test_shapes_and_input_grad),
		cmocka_unit_test(test_bad_architectures),
		cmocka_unit_test(test_bad_v2_architectures),
		cmocka_unit_test(test_v2_encoder_lowering),
		cmocka_unit_test(test_v2_shortcut),
		cmocka_unit_test(test_v2_gate),
		cmocka_unit_test(test_v2_traffic),
		cmocka_unit_test(test_v2_concat),
		cmocka_unit_test(test_v2_rnn_lowering),
		cmocka_unit_test(test_v2_conv_onednn),
		cmocka_unit_test(test_v2_conv_onednn_rule),
		cmocka_unit_test(test_v2_cross_attention_lowering),
		cmocka_unit_test(test_coeffs),
		cmocka_unit_test(test_bad_coeffs),
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_carbon_arithmetic),
		cmocka_unit_test(test_regions),
		cmocka_unit_test(test_overhead_precedence),
		cmocka_unit_test(test_uncertainty_scope),
		cmocka_unit_test_setup_teardown(test_predict_coeffs, files_setup, files_teardown),
		cmocka_unit_test_setup_teardown(test_predict_lifecycle, files_setup, files_teardown),
		cmocka_unit_test_setup_teardown(test_predict_overhead_given, files_setup,
						files_teardown),
		cmocka_unit_test_setup_teardown(test_predict_static_power, files_setup,
						files_teardown),
		cmocka_unit_test_setup_teardown(test_predict_time_fit, files_setup, files_teardown),
		cmocka_unit_test_setup_teardown(test_predict_check, files_setup, files_teardown),
		cmocka_unit_test_setup_teardown(test_predict_carbon, files_setup, files_teardown),
		cmocka_unit_test(test_lowering_overflow),
		cmocka_unit_test_setup_teardown(test_predict_not_finite, files_setup,
						files_teardown),
		cmocka_unit_test(test_predict_many_layers),
		cmocka_unit_test(test_steps_t95_extrapolate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
