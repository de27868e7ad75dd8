/*
 * dnnl_ops.c - oneDNN primitives through its C API (2.x), for
 * tests/integration/dnnl_ops.sh.
 *
 * Each primitive is created and executed REPS times; the program prints
 * what opcount must count for it, from brute force where the work is a
 * loop nest (convolution, deconvolution, matmul, inner product, pooling,
 * LSTM: every
 * multiply-add or window tap visited and counted) and from the documented
 * per-element conventions otherwise (docs/counting.md):
 *   expect OP CALLS FLOPS BYTES      (over REPS executions; an op's lines add up)
 * Plain memory formats throughout, f32 (4 bytes an element).  Prints
 * "ok" last; any oneDNN error ends the program with status 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl.h>

#define REPS 3

static dnnl_engine_t eng;
static dnnl_stream_t strm;

#define CHK(x)                                                                   \
	do {                                                                     \
		dnnl_status_t s_ = (x);                                          \
		if (s_ != dnnl_success) {                                        \
			fprintf(stderr, "%s:%d: %s: status %d\n", __FILE__, __LINE__, \
				#x, (int)s_);                                    \
			exit(1);                                                 \
		}                                                                \
	} while (0)

static long long elems(const dnnl_memory_desc_t *md)
{
	long long n = 1;

	for (int i = 0; i < md->ndims; i++)
		n *= md->dims[i];
	return md->ndims ? n : 0;
}

static dnnl_memory_desc_t md_of(int ndims, const dnnl_dim_t *dims, dnnl_format_tag_t tag)
{
	dnnl_memory_desc_t md;

	CHK(dnnl_memory_desc_init_by_tag(&md, ndims, dims, dnnl_f32, tag));
	return md;
}

/* A memory object, filled with small values, for md (NULL md: none). */
static dnnl_memory_t mem(const dnnl_memory_desc_t *md)
{
	dnnl_memory_t m;
	float *p;
	size_t n;

	CHK(dnnl_memory_create(&m, md, eng, DNNL_MEMORY_ALLOCATE));
	CHK(dnnl_memory_get_data_handle(m, (void **)&p));
	n = dnnl_memory_desc_get_size(md) / sizeof(float);
	for (size_t i = 0; i < n; i++)
		p[i] = (float)((i % 7) + 1) * 0.125f;
	return m;
}

/* Memory for every argument the primitive descriptor names, then REPS runs. */
static void run(const_dnnl_primitive_desc_t pd, const int *argids, int nargs)
{
	dnnl_primitive_t prim;
	dnnl_exec_arg_t args[16];

	CHK(dnnl_primitive_create(&prim, pd));
	for (int i = 0; i < nargs; i++) {
		const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md,
									    argids[i]);

		if (md == NULL || md->ndims == 0) {
			fprintf(stderr, "argument %d has no memory descriptor\n", argids[i]);
			exit(1);
		}
		args[i].arg = argids[i];
		args[i].memory = mem(md);
	}
	for (int r = 0; r < REPS; r++)
		CHK(dnnl_primitive_execute(prim, strm, nargs, args));
	CHK(dnnl_stream_wait(strm));
	for (int i = 0; i < nargs; i++)
		dnnl_memory_destroy(args[i].memory);
	CHK(dnnl_primitive_destroy(prim));
}

static void expect(const char *op, long long flops, long long bytes)
{
	printf("expect %s %d %lld %lld\n", op, REPS, REPS * flops, REPS * bytes);
}

/* ---- convolution: every output element, every tap of its group ---- */

static long long conv_macs(int n, int c, int k, int g, const int *in, const int *f,
			   const int *st, const int *pad, const int *dil, int *out)
{
	long long macs = 0;

	for (int i = 0; i < 2; i++)
		out[i] = (in[i] + 2 * pad[i] - dil[i] * (f[i] - 1) - 1) / st[i] + 1;
	for (int a = 0; a < n; a++)
		for (int o = 0; o < k; o++)
			for (int y = 0; y < out[0]; y++)
				for (int x = 0; x < out[1]; x++)
					for (int ci = 0; ci < c / g; ci++)
						for (int r = 0; r < f[0]; r++)
							for (int s = 0; s < f[1]; s++)
								macs++;
	return macs;
}

static void convolution(int with_post_ops)
{
	const int n = 2, c = 8, k = 12, g = 4, in[2] = { 9, 11 }, f[2] = { 3, 5 };
	const int st[2] = { 2, 1 }, pad[2] = { 1, 2 }, dil[2] = { 1, 2 };
	int out[2];
	long long macs = conv_macs(n, c, k, g, in, f, st, pad, dil, out);
	dnnl_dim_t sd[4] = { n, c, in[0], in[1] }, dd[4] = { n, k, out[0], out[1] };
	dnnl_dim_t wd[5] = { g, k / g, c / g, f[0], f[1] }, bd[1] = { k };
	/* dnnl_dims_t: the API reads arrays of DNNL_MAX_NDIMS */
	dnnl_dims_t strides = { st[0], st[1] }, dils = { dil[0] - 1, dil[1] - 1 };
	dnnl_dims_t pl = { pad[0], pad[1] }, pr = { 0 };
	dnnl_memory_desc_t src = md_of(4, sd, dnnl_nchw), dst = md_of(4, dd, dnnl_nchw);
	dnnl_memory_desc_t w = md_of(5, wd, dnnl_goihw), b = md_of(1, bd, dnnl_x);
	dnnl_convolution_desc_t cd;
	dnnl_primitive_desc_t fwd, bwd_d, bwd_w;
	dnnl_primitive_attr_t attr = NULL;
	long long x = elems(&src), y = elems(&dst), we = elems(&w);

	for (int i = 0; i < 2; i++)	/* the right padding that ends at the last output */
		pr[i] = (out[i] - 1) * st[i] + dil[i] * (f[i] - 1) + 1 - in[i] - pad[i];
	CHK(dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_training,
						       dnnl_convolution_direct, &src, &w, &b, &dst,
						       strides, dils, pl, pr));
	if (with_post_ops) {	/* dst = relu(conv + bias + dst) */
		dnnl_post_ops_t po;

		CHK(dnnl_post_ops_create(&po));
		CHK(dnnl_post_ops_append_sum(po, 1.0f));
		CHK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0, 0));
		CHK(dnnl_primitive_attr_create(&attr));
		CHK(dnnl_primitive_attr_set_post_ops(attr, po));
		dnnl_post_ops_destroy(po);
	}
	CHK(dnnl_primitive_desc_create(&fwd, &cd, attr, eng, NULL));
	run(fwd, (int[]){ DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST }, 4);
	if (with_post_ops) {
		/* bias + sum + relu per output element; the bias and the
		 * destination (for the sum) read */
		expect("dnnl_convolution_forward", 2 * macs, (x + we + y) * 4);
		expect("dnnl_epilogue", 3 * y, (k + y) * 4);
		dnnl_primitive_attr_destroy(attr);
		dnnl_primitive_desc_destroy(fwd);
		return;
	}
	CHK(dnnl_dilated_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &src, &w,
							     &dst, strides, dils, pl, pr));
	CHK(dnnl_primitive_desc_create(&bwd_d, &cd, NULL, eng, fwd));
	run(bwd_d, (int[]){ DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC }, 3);
	CHK(dnnl_dilated_convolution_backward_weights_desc_init(&cd, dnnl_convolution_direct, &src,
								&w, &b, &dst, strides, dils, pl,
								pr));
	CHK(dnnl_primitive_desc_create(&bwd_w, &cd, NULL, eng, fwd));
	run(bwd_w, (int[]){ DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS,
			    DNNL_ARG_DIFF_BIAS }, 4);
	expect("dnnl_convolution_forward", 2 * macs, (x + we + y) * 4);
	expect("dnnl_convolution_backward_data", 2 * macs, (y + we + x) * 4);
	expect("dnnl_convolution_backward_weights", 2 * macs, (x + y + we) * 4);
	/* the forward's bias adds and the backward's diff_bias sums: one per
	 * output element each, the k biases read or written */
	printf("expect dnnl_epilogue %d %lld %lld\n", 2 * REPS, 2 * REPS * y, 2 * REPS * k * 4LL);
	dnnl_primitive_desc_destroy(fwd);
	dnnl_primitive_desc_destroy(bwd_d);
	dnnl_primitive_desc_destroy(bwd_w);
}

/* ---- deconvolution (transposed convolution), grouped, stride 2: every
 * source element times every tap of its group's filter, scattered ---- */

static void deconvolution(void)
{
	const int n = 2, ic = 8, oc = 6, g = 2, ih = 7, f = 3, st = 2, pad = 1;
	const int oh = (ih - 1) * st - 2 * pad + f;
	dnnl_dim_t sd[4] = { n, ic, ih, ih }, dd[4] = { n, oc, oh, oh };
	dnnl_dim_t wd[5] = { g, oc / g, ic / g, f, f };
	dnnl_dims_t strides = { st, st }, dils = { 0, 0 }, pl = { pad, pad }, pr = { pad, pad };
	dnnl_memory_desc_t src = md_of(4, sd, dnnl_nchw), dst = md_of(4, dd, dnnl_nchw);
	dnnl_memory_desc_t w = md_of(5, wd, dnnl_goihw);
	dnnl_deconvolution_desc_t d;
	dnnl_primitive_desc_t fwd, bwd_d, bwd_w;
	long long macs = 0, x = elems(&src), y = elems(&dst), we = elems(&w);

	for (int a = 0; a < n; a++)
		for (int c = 0; c < ic; c++)
			for (int i = 0; i < ih * ih; i++)
				for (int o = 0; o < oc / g; o++)
					for (int t = 0; t < f * f; t++)
						macs++;
	CHK(dnnl_dilated_deconvolution_forward_desc_init(&d, dnnl_forward_training,
							 dnnl_deconvolution_direct, &src, &w, NULL,
							 &dst, strides, dils, pl, pr));
	CHK(dnnl_primitive_desc_create(&fwd, &d, NULL, eng, NULL));
	run(fwd, (int[]){ DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST }, 3);
	CHK(dnnl_dilated_deconvolution_backward_data_desc_init(&d, dnnl_deconvolution_direct, &src,
							       &w, &dst, strides, dils, pl, pr));
	CHK(dnnl_primitive_desc_create(&bwd_d, &d, NULL, eng, fwd));
	run(bwd_d, (int[]){ DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC }, 3);
	CHK(dnnl_dilated_deconvolution_backward_weights_desc_init(&d, dnnl_deconvolution_direct,
								  &src, &w, NULL, &dst, strides,
								  dils, pl, pr));
	CHK(dnnl_primitive_desc_create(&bwd_w, &d, NULL, eng, fwd));
	run(bwd_w, (int[]){ DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS }, 3);
	/* source x (read forward), destination y (written forward) */
	expect("dnnl_deconvolution_forward", 2 * macs, (x + we + y) * 4);
	expect("dnnl_deconvolution_backward_data", 2 * macs, (y + we + x) * 4);
	expect("dnnl_deconvolution_backward_weights", 2 * macs, (x + y + we) * 4);
	dnnl_primitive_desc_destroy(fwd);
	dnnl_primitive_desc_destroy(bwd_d);
	dnnl_primitive_desc_destroy(bwd_w);
}

/* ---- matmul: batch 4 of 5x6 times a broadcast 6x7, no bias ---- */

static void matmul(void)
{
	const int b = 4, m = 5, k = 6, n = 7;
	dnnl_dim_t ad[3] = { b, m, k }, wd[3] = { 1, k, n }, cd[3] = { b, m, n };
	dnnl_memory_desc_t a = md_of(3, ad, dnnl_abc), w = md_of(3, wd, dnnl_abc);
	dnnl_memory_desc_t c = md_of(3, cd, dnnl_abc);
	dnnl_matmul_desc_t d;
	dnnl_primitive_desc_t pd;
	long long macs = 0;

	for (int i = 0; i < b; i++)
		for (int r = 0; r < m; r++)
			for (int col = 0; col < n; col++)
				for (int j = 0; j < k; j++)
					macs++;
	CHK(dnnl_matmul_desc_init(&d, &a, &w, NULL, &c));
	CHK(dnnl_primitive_desc_create(&pd, &d, NULL, eng, NULL));
	run(pd, (int[]){ DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST }, 3);
	expect("dnnl_matmul", 2 * macs, (elems(&a) + elems(&w) + elems(&c)) * 4);
	dnnl_primitive_desc_destroy(pd);
}

/* ---- inner product: 3 images of 4x5x5 to 10 outputs, no bias ---- */

static void inner_product(void)
{
	dnnl_dim_t sd[4] = { 3, 4, 5, 5 }, wd[4] = { 10, 4, 5, 5 }, dd[2] = { 3, 10 };
	dnnl_memory_desc_t s = md_of(4, sd, dnnl_nchw), w = md_of(4, wd, dnnl_oihw);
	dnnl_memory_desc_t dst = md_of(2, dd, dnnl_nc);
	dnnl_inner_product_desc_t d;
	dnnl_primitive_desc_t pd;
	long long macs = 0;

	for (int i = 0; i < 3; i++)
		for (int o = 0; o < 10; o++)
			for (int j = 0; j < 4 * 5 * 5; j++)
				macs++;
	CHK(dnnl_inner_product_forward_desc_init(&d, dnnl_forward_inference, &s, &w, NULL, &dst));
	CHK(dnnl_primitive_desc_create(&pd, &d, NULL, eng, NULL));
	run(pd, (int[]){ DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST }, 3);
	expect("dnnl_inner_product_forward", 2 * macs, (elems(&s) + elems(&w) + elems(&dst)) * 4);
	dnnl_primitive_desc_destroy(pd);
}

/* ---- max pooling 3x3 stride 2 padding 1 ---- */

static void pooling(void)
{
	const int in = 9, f = 3, st = 2, pad = 1, out = (in + 2 * pad - f) / st + 1;
	dnnl_dim_t sd[4] = { 2, 3, in, in }, dd[4] = { 2, 3, out, out };
	dnnl_dims_t strides = { st, st }, kernel = { f, f }, dil = { 0, 0 };
	dnnl_dims_t pl = { pad, pad }, pr = { pad, pad };
	dnnl_memory_desc_t s = md_of(4, sd, dnnl_nchw), dst = md_of(4, dd, dnnl_nchw);
	dnnl_pooling_v2_desc_t d;
	dnnl_primitive_desc_t pd;
	long long taps = 0;

	for (int i = 0; i < 2 * 3 * out * out; i++)
		for (int t = 0; t < f * f; t++)
			taps++;
	CHK(dnnl_pooling_v2_forward_desc_init(&d, dnnl_forward_inference, dnnl_pooling_max, &s,
					      &dst, strides, kernel, dil, pl, pr));
	CHK(dnnl_primitive_desc_create(&pd, &d, NULL, eng, NULL));
	run(pd, (int[]){ DNNL_ARG_SRC, DNNL_ARG_DST }, 2);
	expect("dnnl_pooling_forward", taps, (elems(&s) + elems(&dst)) * 4);
	dnnl_primitive_desc_destroy(pd);
}

/* ---- batch normalisation: training (statistics computed), then
 * inference with the given statistics ---- */

static void batch_norm(void)
{
	dnnl_dim_t dd[4] = { 4, 6, 5, 5 };
	dnnl_memory_desc_t data = md_of(4, dd, dnnl_nchw);
	dnnl_batch_normalization_desc_t d;
	dnnl_primitive_desc_t pd;
	long long n = elems(&data), c = 6;

	CHK(dnnl_batch_normalization_forward_desc_init(&d, dnnl_forward_training, &data, 1e-5f,
						       0));
	CHK(dnnl_primitive_desc_create(&pd, &d, NULL, eng, NULL));
	run(pd, (int[]){ DNNL_ARG_SRC, DNNL_ARG_DST, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE }, 4);
	dnnl_primitive_desc_destroy(pd);
	CHK(dnnl_batch_normalization_forward_desc_init(&d, dnnl_forward_inference, &data, 1e-5f,
						       dnnl_use_global_stats));
	CHK(dnnl_primitive_desc_create(&pd, &d, NULL, eng, NULL));
	run(pd, (int[]){ DNNL_ARG_SRC, DNNL_ARG_DST, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE }, 4);
	dnnl_primitive_desc_destroy(pd);
	/* training 6n + 8c, inference 2n + 5c; x and y, 4c statistics */
	printf("expect dnnl_batch_normalization_forward %d %lld %lld\n", 2 * REPS,
	       REPS * (6 * n + 8 * c + 2 * n + 5 * c), REPS * 2 * (2 * n + 4 * c) * 4);
}

/* ---- LSTM: 2 layers, bidirectional (concat), T 5, N 3, 8 channels ---- */

static void lstm(void)
{
	const int T = 5, N = 3, C = 8, L = 2, D = 2, G = 4;
	dnnl_dim_t sl[3] = { T, N, C }, si[4] = { L, D, N, C }, wl[5] = { L, D, C, G, C };
	dnnl_dim_t wi[5] = { L, D, C, G, C }, bd[4] = { L, D, G, C }, dl[3] = { T, N, D * C };
	dnnl_memory_desc_t src_layer = md_of(3, sl, dnnl_tnc), src_iter = md_of(4, si, dnnl_ldnc);
	dnnl_memory_desc_t w_layer = md_of(5, wl, dnnl_ldigo), w_iter = md_of(5, wi, dnnl_ldigo);
	dnnl_memory_desc_t bias = md_of(4, bd, dnnl_ldgo), dst_layer = md_of(3, dl, dnnl_tnc);
	dnnl_memory_desc_t dst_iter = src_iter;
	dnnl_rnn_desc_t d;
	dnnl_primitive_desc_t pd;
	long long macs = 0, cells = 0, io;

	/* every gate of every cell: a multiply-add per input and per state channel */
	for (int l = 0; l < L; l++)
		for (int dir = 0; dir < D; dir++)
			for (int t = 0; t < T; t++)
				for (int b = 0; b < N; b++)
					for (int h = 0; h < C; h++) {
						cells++;
						for (int g = 0; g < G; g++)
							for (int j = 0; j < 2 * C; j++)
								macs++;
					}
	CHK(dnnl_lstm_forward_desc_init(&d, dnnl_forward_inference,
					dnnl_bidirectional_concat, &src_layer, &src_iter,
					&src_iter, &w_layer, &w_iter, &bias, &dst_layer, &dst_iter,
					&dst_iter, 0));
	CHK(dnnl_primitive_desc_create(&pd, &d, NULL, eng, NULL));
	run(pd, (int[]){ DNNL_ARG_SRC_LAYER, DNNL_ARG_SRC_ITER, DNNL_ARG_SRC_ITER_C,
			 DNNL_ARG_WEIGHTS_LAYER, DNNL_ARG_WEIGHTS_ITER, DNNL_ARG_BIAS,
			 DNNL_ARG_DST_LAYER, DNNL_ARG_DST_ITER, DNNL_ARG_DST_ITER_C }, 9);
	io = elems(&src_layer) + 4 * elems(&src_iter) + elems(&bias) + elems(&dst_layer);
	expect("dnnl_rnn_forward", 2 * macs + 17 * cells,
	       (elems(&w_layer) + elems(&w_iter) + io) * 4);
	dnnl_primitive_desc_destroy(pd);
}

/* ---- element-wise, softmax, binary, sum, concat, reorder ---- */

static void others(void)
{
	dnnl_dim_t dd[2] = { 6, 10 }, bd[2] = { 1, 10 }, cd[2] = { 12, 10 };
	dnnl_memory_desc_t a = md_of(2, dd, dnnl_ab), b = md_of(2, bd, dnnl_ab);
	dnnl_memory_desc_t t = md_of(2, dd, dnnl_ba), cat = md_of(2, cd, dnnl_ab);
	dnnl_memory_desc_t two[2] = { a, a };
	dnnl_eltwise_desc_t ed;
	dnnl_softmax_desc_t sd;
	dnnl_binary_desc_t bnd;
	dnnl_primitive_desc_t pd;
	float scales[2] = { 1, 1 };

	CHK(dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_inference, dnnl_eltwise_relu, &a, 0,
					   0));
	CHK(dnnl_primitive_desc_create(&pd, &ed, NULL, eng, NULL));
	run(pd, (int[]){ DNNL_ARG_SRC, DNNL_ARG_DST }, 2);
	dnnl_primitive_desc_destroy(pd);
	expect("dnnl_eltwise_forward", 60, 2 * 60 * 4);

	CHK(dnnl_softmax_forward_desc_init(&sd, dnnl_forward_inference, &a, 1));
	CHK(dnnl_primitive_desc_create(&pd, &sd, NULL, eng, NULL));
	run(pd, (int[]){ DNNL_ARG_SRC, DNNL_ARG_DST }, 2);
	dnnl_primitive_desc_destroy(pd);
	expect("dnnl_softmax_forward", 5 * 60, 2 * 60 * 4);

	CHK(dnnl_binary_desc_init(&bnd, dnnl_binary_add, &a, &b, &a));
	CHK(dnnl_primitive_desc_create(&pd, &bnd, NULL, eng, NULL));
	run(pd, (int[]){ DNNL_ARG_SRC_0, DNNL_ARG_SRC_1, DNNL_ARG_DST }, 3);
	dnnl_primitive_desc_destroy(pd);
	expect("dnnl_binary", 60, (60 + 10 + 60) * 4);

	CHK(dnnl_sum_primitive_desc_create(&pd, &a, 2, scales, two, NULL, eng));
	run(pd, (int[]){ DNNL_ARG_MULTIPLE_SRC, DNNL_ARG_MULTIPLE_SRC + 1, DNNL_ARG_DST }, 3);
	dnnl_primitive_desc_destroy(pd);
	expect("dnnl_sum", 60, 3 * 60 * 4);

	CHK(dnnl_concat_primitive_desc_create(&pd, &cat, 2, 0, two, NULL, eng));
	run(pd, (int[]){ DNNL_ARG_MULTIPLE_SRC, DNNL_ARG_MULTIPLE_SRC + 1, DNNL_ARG_DST }, 3);
	dnnl_primitive_desc_destroy(pd);
	expect("dnnl_concat", 0, 2 * 120 * 4);

	CHK(dnnl_reorder_primitive_desc_create(&pd, &a, eng, &t, eng, NULL));
	run(pd, (int[]){ DNNL_ARG_FROM, DNNL_ARG_TO }, 2);
	dnnl_primitive_desc_destroy(pd);
	expect("dnnl_reorder", 0, 2 * 60 * 4);
}

int main(void)
{
	CHK(dnnl_engine_create(&eng, dnnl_cpu, 0));
	CHK(dnnl_stream_create(&strm, eng, dnnl_stream_default_flags));
	convolution(0);
	deconvolution();
	matmul();
	inner_product();
	pooling();
	batch_norm();
	lstm();
	others();
	/* after the others: its epilogue row adds to the convolution's */
	convolution(1);
	dnnl_stream_destroy(strm);
	dnnl_engine_destroy(eng);
	printf("ok\n");
	return 0;
}
