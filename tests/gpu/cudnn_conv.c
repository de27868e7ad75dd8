/*
 * cudnn_conv.c - cuDNN calls of known cost, for tests/integration/gpu_cudnn.sh.
 *
 *   cudnn_conv [EXPECT.txt]
 *
 * Runs convolutions (forward with stride, padding, dilation, groups, NHWC,
 * 3-D, double and half data; backward data and filter; bias + activation),
 * elementwise operations, batch normalisation and graph-API plans through
 * cuDNN (the fake of tests/fake/cudnn.c), each case in its own opcount
 * layer.  Writes to EXPECT.txt one line per case,
 *
 *     expect LAYER OP CALLS FLOPS BYTES GPU_NS
 *
 * with FLOPs and bytes worked out here, independently of opcount (the
 * multiply-adds of a convolution are counted by walking every output
 * element and filter tap), and GPU_NS the time the simulated GPU gave the
 * case (fakegpu_totals before and after).  All work is queued behind a
 * long piece of work on the same stream, so each call starts exactly
 * when the previous one ends, as on a busy GPU.  Prints the results of
 * the forward convolutions (which the fake really computes) on stdout,
 * and checks two of them against a direct computation here.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "../fake/fakegpu.h"
#include "opcount.h"

#define CHECK(x)                                                                       \
	do {                                                                           \
		int _s = (int)(x);                                                     \
		if (_s) {                                                              \
			fprintf(stderr, "cudnn_conv: %s failed (%d) at line %d\n", #x, _s, \
				__LINE__);                                             \
			exit(1);                                                       \
		}                                                                      \
	} while (0)

static cudnnHandle_t h;
static FILE *expect;
static uint64_t case_ns0;

/* ---- cases: a layer each, with the expected counts ---- */

static void case_begin(const char *layer)
{
	uint64_t works;

	fakegpu_totals(&works, &case_ns0);
	opcount_layer_push(layer, "cudnn");
}

static void case_end(const char *layer, const char *op, int calls, double flops, double bytes)
{
	uint64_t works, ns;

	opcount_layer_pop();
	fakegpu_totals(&works, &ns);
	if (expect)
		fprintf(expect, "expect %s %s %d %.0f %.0f %llu\n", layer, op, calls,
			calls * flops, calls * bytes, (unsigned long long)(ns - case_ns0));
}

/* ---- convolution geometry, worked out here ---- */

struct conv {
	int nsp;		/* spatial dims: 1..3 */
	int n, c, k, groups;
	int in[3], filt[3], pad[3], stride[3], dil[3];
	int out[3];
	cudnnDataType_t type;
	int nhwc;
	cudnnConvolutionMode_t mode;
};

static void conv_geometry(struct conv *cv)
{
	for (int i = 0; i < cv->nsp; i++)
		cv->out[i] = (cv->in[i] + 2 * cv->pad[i] - cv->dil[i] * (cv->filt[i] - 1) - 1) /
				     cv->stride[i] + 1;
}

static double prod(const int *v, int n)
{
	double p = 1;

	for (int i = 0; i < n; i++)
		p *= v[i];
	return p;
}

/* multiply-adds by walking every (n, k, output position, c, tap) */
static double conv_macs_walk(const struct conv *cv)
{
	double macs = 0;
	int64_t nout = (int64_t)prod(cv->out, cv->nsp), ntap = (int64_t)prod(cv->filt, cv->nsp);

	for (int n = 0; n < cv->n; n++)
		for (int k = 0; k < cv->k; k++)
			for (int64_t o = 0; o < nout; o++)
				for (int c = 0; c < cv->c / cv->groups; c++)
					for (int64_t t = 0; t < ntap; t++)
						macs += 1;
	return macs;
}

static double x_elems(const struct conv *cv)
{
	return (double)cv->n * cv->c * prod(cv->in, cv->nsp);
}

static double y_elems(const struct conv *cv)
{
	return (double)cv->n * cv->k * prod(cv->out, cv->nsp);
}

static double w_elems(const struct conv *cv)
{
	return (double)cv->k * (cv->c / cv->groups) * prod(cv->filt, cv->nsp);
}

static double esize(cudnnDataType_t t)
{
	return t == CUDNN_DATA_DOUBLE ? 8 : t == CUDNN_DATA_HALF ? 2 : 4;
}

struct conv_descs {
	cudnnTensorDescriptor_t x, y;
	cudnnFilterDescriptor_t w;
	cudnnConvolutionDescriptor_t cv;
	void *xb, *yb, *wb;
};

static void tensor_set(cudnnTensorDescriptor_t d, cudnnDataType_t type, int nhwc, int nbdims,
		       const int *dims)
{
	CHECK(cudnnSetTensorNdDescriptorEx(d, nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW, type,
					   nbdims, dims));
}

/* deterministic data: small integers, so float sums are exact */
static void fill(void *p, cudnnDataType_t type, double n, int seed)
{
	for (int64_t i = 0; i < (int64_t)n; i++) {
		double v = (double)((i * 7 + seed * 13) % 11) - 5;

		if (type == CUDNN_DATA_DOUBLE)
			((double *)p)[i] = v;
		else if (type == CUDNN_DATA_FLOAT)
			((float *)p)[i] = (float)v;
	}
}

static void conv_make(struct conv *cv, struct conv_descs *d)
{
	int nb = cv->nsp + 2, xd[5], yd[5], wd[5];

	conv_geometry(cv);
	xd[0] = cv->n, xd[1] = cv->c;
	yd[0] = cv->n, yd[1] = cv->k;
	wd[0] = cv->k, wd[1] = cv->c / cv->groups;
	for (int i = 0; i < cv->nsp; i++) {
		xd[i + 2] = cv->in[i];
		yd[i + 2] = cv->out[i];
		wd[i + 2] = cv->filt[i];
	}
	CHECK(cudnnCreateTensorDescriptor(&d->x));
	CHECK(cudnnCreateTensorDescriptor(&d->y));
	CHECK(cudnnCreateFilterDescriptor(&d->w));
	CHECK(cudnnCreateConvolutionDescriptor(&d->cv));
	tensor_set(d->x, cv->type, cv->nhwc, nb, xd);
	tensor_set(d->y, cv->type, cv->nhwc, nb, yd);
	CHECK(cudnnSetFilterNdDescriptor(d->w, cv->type,
					 cv->nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW, nb, wd));
	CHECK(cudnnSetConvolutionNdDescriptor(d->cv, cv->nsp, cv->pad, cv->stride, cv->dil,
					      cv->mode, cv->type == CUDNN_DATA_DOUBLE ?
							CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT));
	CHECK(cudnnSetConvolutionGroupCount(d->cv, cv->groups));
	/* the fake computes what cuDNN would: check its idea of y */
	{
		int od[5];

		CHECK(cudnnGetConvolutionNdForwardOutputDim(d->cv, d->x, d->w, nb, od));
		for (int i = 0; i < nb; i++)
			if (od[i] != yd[i]) {
				fprintf(stderr, "cudnn_conv: output dim %d is %d, expected %d\n", i,
					od[i], yd[i]);
				exit(1);
			}
	}
	CHECK(cudaMalloc(&d->xb, x_elems(cv) * esize(cv->type)));
	CHECK(cudaMalloc(&d->yb, y_elems(cv) * esize(cv->type)));
	CHECK(cudaMalloc(&d->wb, w_elems(cv) * esize(cv->type)));
	fill(d->xb, cv->type, x_elems(cv), 1);
	fill(d->wb, cv->type, w_elems(cv), 2);
	fill(d->yb, cv->type, y_elems(cv), 3);
}

static void conv_free(struct conv_descs *d)
{
	cudnnDestroyTensorDescriptor(d->x);
	cudnnDestroyTensorDescriptor(d->y);
	cudnnDestroyFilterDescriptor(d->w);
	cudnnDestroyConvolutionDescriptor(d->cv);
	cudaFree(d->xb);
	cudaFree(d->yb);
	cudaFree(d->wb);
}

static double sum(const void *p, cudnnDataType_t type, double n)
{
	double s = 0;

	for (int64_t i = 0; i < (int64_t)n; i++)
		s += type == CUDNN_DATA_DOUBLE ? ((const double *)p)[i] : ((const float *)p)[i];
	return s;
}

/*
 * A 2-D NCHW cross-correlation written out directly, to check the fake's
 * general one (y before the call was filled with fill(.., 3)).
 */
static int conv2d_check(const struct conv *cv, const float *x, const float *w, const float *y,
			float beta)
{
	int cg = cv->c / cv->groups, kg = cv->k / cv->groups, bad = 0;
	float *y0 = malloc(sizeof(float) * (size_t)y_elems(cv));

	fill(y0, CUDNN_DATA_FLOAT, y_elems(cv), 3);
	for (int n = 0; n < cv->n; n++)
		for (int k = 0; k < cv->k; k++)
			for (int oh = 0; oh < cv->out[0]; oh++)
				for (int ow = 0; ow < cv->out[1]; ow++) {
					double acc = 0;
					size_t yi = (((size_t)n * cv->k + k) * cv->out[0] + oh) *
							    cv->out[1] + ow;

					for (int c = 0; c < cg; c++)
						for (int r = 0; r < cv->filt[0]; r++)
							for (int s = 0; s < cv->filt[1]; s++) {
								int ih = oh * cv->stride[0] - cv->pad[0] +
									 r * cv->dil[0];
								int iw = ow * cv->stride[1] - cv->pad[1] +
									 s * cv->dil[1];

								if (ih < 0 || ih >= cv->in[0] || iw < 0 ||
								    iw >= cv->in[1])
									continue;
								acc += x[(((size_t)n * cv->c + k / kg * cg + c) *
									  cv->in[0] + ih) * cv->in[1] + iw] *
								       w[(((size_t)k * cg + c) * cv->filt[0] + r) *
									 cv->filt[1] + s];
							}
					if (fabs(y[yi] - (acc + beta * y0[yi])) > 1e-3)
						bad++;
				}
	free(y0);
	return bad;
}

static void conv_forward_case(const char *layer, struct conv *cv, double beta, int reps,
			      int check)
{
	struct conv_descs d;
	double alpha = 1, macs, bytes;
	float fa = 1, fb = (float)beta;
	const void *pa = cv->type == CUDNN_DATA_DOUBLE ? (const void *)&alpha : (const void *)&fa;
	const void *pb = cv->type == CUDNN_DATA_DOUBLE ? (const void *)&beta : (const void *)&fb;

	conv_make(cv, &d);
	macs = conv_macs_walk(cv);
	bytes = (x_elems(cv) + w_elems(cv)) * esize(cv->type) +
		(beta != 0 ? 2 : 1) * y_elems(cv) * esize(cv->type);
	case_begin(layer);
	for (int i = 0; i < reps; i++) {
		if (i == 1 && beta != 0)
			fill(d.yb, cv->type, y_elems(cv), 3);	/* same result each time */
		CHECK(cudnnConvolutionForward(h, pa, d.x, d.xb, d.w, d.wb, d.cv,
					      CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, NULL, 0, pb,
					      d.y, d.yb));
	}
	case_end(layer, "cudnnConvolutionForward", reps, 2 * macs, bytes);
	if (cv->type == CUDNN_DATA_FLOAT || cv->type == CUDNN_DATA_DOUBLE)
		printf("%s: y sum %.1f y[0] %.1f y[last] %.1f\n", layer,
		       sum(d.yb, cv->type, y_elems(cv)), sum(d.yb, cv->type, 1),
		       cv->type == CUDNN_DATA_DOUBLE ?
			       ((double *)d.yb)[(int64_t)y_elems(cv) - 1] :
			       ((float *)d.yb)[(int64_t)y_elems(cv) - 1]);
	if (check) {
		int bad = conv2d_check(cv, d.xb, d.wb, d.yb, fb);

		printf("%s: direct computation %s\n", layer, bad ? "DIFFERS" : "agrees");
		if (bad)
			exit(1);
	}
	conv_free(&d);
}

static struct conv conv2d(int n, int c, int h_, int w_, int k, int r, int s)
{
	struct conv cv = { .nsp = 2, .n = n, .c = c, .k = k, .groups = 1,
			   .in = { h_, w_ }, .filt = { r, s }, .stride = { 1, 1 },
			   .dil = { 1, 1 }, .type = CUDNN_DATA_FLOAT,
			   .mode = CUDNN_CROSS_CORRELATION };

	return cv;
}

static void conv_cases(void)
{
	struct conv cv;

	cv = conv2d(2, 3, 8, 8, 4, 3, 3);
	cv.pad[0] = cv.pad[1] = 1;
	conv_forward_case("fwd_basic", &cv, 0, 3, 1);

	cv = conv2d(1, 4, 9, 7, 6, 3, 2);
	cv.pad[0] = 2, cv.pad[1] = 1, cv.stride[0] = 2, cv.stride[1] = 3;
	conv_forward_case("fwd_stride_pad_beta", &cv, 1, 2, 1);

	cv = conv2d(2, 2, 10, 10, 3, 3, 3);
	cv.dil[0] = 2, cv.dil[1] = 3;
	conv_forward_case("fwd_dilation", &cv, 0, 1, 1);

	cv = conv2d(2, 8, 6, 6, 12, 3, 3);
	cv.groups = 4, cv.pad[0] = cv.pad[1] = 1;
	conv_forward_case("fwd_groups", &cv, 0, 2, 1);

	cv = conv2d(2, 4, 5, 6, 5, 2, 3);
	cv.nhwc = 1, cv.pad[0] = 1, cv.mode = CUDNN_CONVOLUTION;
	conv_forward_case("fwd_nhwc_conv", &cv, 0, 1, 0);

	cv = (struct conv){ .nsp = 3, .n = 1, .c = 2, .k = 3, .groups = 1,
			    .in = { 4, 5, 6 }, .filt = { 2, 3, 3 }, .pad = { 1, 1, 1 },
			    .stride = { 1, 2, 1 }, .dil = { 1, 1, 1 }, .type = CUDNN_DATA_FLOAT,
			    .mode = CUDNN_CROSS_CORRELATION };
	conv_forward_case("fwd_3d", &cv, 0, 2, 0);

	cv = conv2d(1, 3, 6, 6, 2, 3, 3);
	cv.type = CUDNN_DATA_DOUBLE;
	conv_forward_case("fwd_double_beta", &cv, 0.5, 1, 0);

	cv = conv2d(4, 16, 14, 14, 32, 1, 1);
	cv.type = CUDNN_DATA_HALF;
	conv_forward_case("fwd_half_1x1", &cv, 0, 2, 0);
}

/* backward data and filter: the forward convolution's multiply-adds */
static void conv_backward_cases(void)
{
	struct conv cv = conv2d(2, 8, 6, 6, 12, 3, 3);
	struct conv_descs d;
	float one = 1, zero = 0;
	double macs;

	cv.groups = 4, cv.pad[0] = cv.pad[1] = 1, cv.stride[0] = 2;
	conv_make(&cv, &d);
	macs = conv_macs_walk(&cv);

	case_begin("bwd_data");
	for (int i = 0; i < 3; i++)
		CHECK(cudnnConvolutionBackwardData(h, &one, d.w, d.wb, d.y, d.yb, d.cv,
						   CUDNN_CONVOLUTION_BWD_DATA_ALGO_1, NULL, 0, &zero,
						   d.x, d.xb));
	case_end("bwd_data", "cudnnConvolutionBackwardData", 3, 2 * macs,
		 (y_elems(&cv) + w_elems(&cv) + x_elems(&cv)) * 4);

	case_begin("bwd_filter_beta");
	CHECK(cudnnConvolutionBackwardFilter(h, &one, d.x, d.xb, d.y, d.yb, d.cv,
					     CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1, NULL, 0, &one,
					     d.w, d.wb));
	case_end("bwd_filter_beta", "cudnnConvolutionBackwardFilter", 1, 2 * macs,
		 (x_elems(&cv) + y_elems(&cv) + 2 * w_elems(&cv)) * 4);
	conv_free(&d);
}

/* y = act(conv(x) + alpha2 z + bias): bias add, z add, activation per y */
static void bias_act_cases(void)
{
	struct conv cv = conv2d(2, 4, 7, 7, 8, 3, 3);
	struct conv_descs d;
	cudnnTensorDescriptor_t bd;
	cudnnActivationDescriptor_t relu, id;
	float one = 1, zero = 0, *bias;
	double macs, ny;
	int bdims[4] = { 1, 8, 1, 1 };

	conv_make(&cv, &d);
	macs = conv_macs_walk(&cv);
	ny = y_elems(&cv);
	CHECK(cudnnCreateTensorDescriptor(&bd));
	tensor_set(bd, CUDNN_DATA_FLOAT, 0, 4, bdims);
	CHECK(cudaMalloc((void **)&bias, 8 * sizeof(float)));
	CHECK(cudnnCreateActivationDescriptor(&relu));
	CHECK(cudnnCreateActivationDescriptor(&id));
	CHECK(cudnnSetActivationDescriptor(relu, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, 0));
	CHECK(cudnnSetActivationDescriptor(id, CUDNN_ACTIVATION_IDENTITY, CUDNN_NOT_PROPAGATE_NAN,
					   0));

	case_begin("bias_relu");
	for (int i = 0; i < 2; i++)
		CHECK(cudnnConvolutionBiasActivationForward(
			h, &one, d.x, d.xb, d.w, d.wb, d.cv,
			CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, NULL, 0, &zero, d.y, d.yb,
			bd, bias, relu, d.y, d.yb));
	case_end("bias_relu", "cudnnConvolutionBiasActivationForward", 2, 2 * macs + 2 * ny,
		 (x_elems(&cv) + w_elems(&cv) + ny + 8) * 4);

	case_begin("bias_identity_z");
	CHECK(cudnnConvolutionBiasActivationForward(
		h, &one, d.x, d.xb, d.w, d.wb, d.cv, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
		NULL, 0, &one, d.y, d.yb, bd, bias, id, d.y, d.yb));
	case_end("bias_identity_z", "cudnnConvolutionBiasActivationForward", 1, 2 * macs + 2 * ny,
		 (x_elems(&cv) + w_elems(&cv) + 2 * ny + 8) * 4);

	cudnnDestroyActivationDescriptor(relu);
	cudnnDestroyActivationDescriptor(id);
	cudnnDestroyTensorDescriptor(bd);
	cudaFree(bias);
	conv_free(&d);
}

/* ---- elementwise operations, batch normalisation ---- */

static void elementwise_cases(void)
{
	int xd[4] = { 4, 6, 10, 10 }, pd[4] = { 4, 6, 5, 5 }, cd[4] = { 1, 6, 1, 1 };
	double n = 4 * 6 * 10 * 10, np = 4 * 6 * 5 * 5, c = 6;
	cudnnTensorDescriptor_t x, p, ch;
	cudnnActivationDescriptor_t act;
	cudnnPoolingDescriptor_t pool;
	cudnnOpTensorDescriptor_t mul, sq;
	float one = 1, zero = 0, *a, *b, *y, *dy, *dx, *pa, *pb, *st[6];

	CHECK(cudnnCreateTensorDescriptor(&x));
	CHECK(cudnnCreateTensorDescriptor(&p));
	CHECK(cudnnCreateTensorDescriptor(&ch));
	tensor_set(x, CUDNN_DATA_FLOAT, 0, 4, xd);
	tensor_set(p, CUDNN_DATA_FLOAT, 0, 4, pd);
	tensor_set(ch, CUDNN_DATA_FLOAT, 0, 4, cd);
	CHECK(cudaMalloc((void **)&a, n * 4));
	CHECK(cudaMalloc((void **)&b, n * 4));
	CHECK(cudaMalloc((void **)&y, n * 4));
	CHECK(cudaMalloc((void **)&dy, n * 4));
	CHECK(cudaMalloc((void **)&dx, n * 4));
	CHECK(cudaMalloc((void **)&pa, np * 4));
	CHECK(cudaMalloc((void **)&pb, np * 4));
	for (int i = 0; i < 6; i++)
		CHECK(cudaMalloc((void **)&st[i], c * 4));
	CHECK(cudnnCreateActivationDescriptor(&act));
	CHECK(cudnnSetActivationDescriptor(act, CUDNN_ACTIVATION_TANH, CUDNN_NOT_PROPAGATE_NAN, 0));
	CHECK(cudnnCreatePoolingDescriptor(&pool));
	CHECK(cudnnSetPooling2dDescriptor(pool, CUDNN_POOLING_MAX, CUDNN_NOT_PROPAGATE_NAN, 3, 2, 1,
					  0, 2, 2));
	CHECK(cudnnCreateOpTensorDescriptor(&mul));
	CHECK(cudnnCreateOpTensorDescriptor(&sq));
	CHECK(cudnnSetOpTensorDescriptor(mul, CUDNN_OP_TENSOR_MUL, CUDNN_DATA_FLOAT,
					 CUDNN_NOT_PROPAGATE_NAN));
	CHECK(cudnnSetOpTensorDescriptor(sq, CUDNN_OP_TENSOR_SQRT, CUDNN_DATA_FLOAT,
					 CUDNN_NOT_PROPAGATE_NAN));

	/* activation: 1 per element forward, 2 backward */
	case_begin("act_fwd");
	for (int i = 0; i < 4; i++)
		CHECK(cudnnActivationForward(h, act, &one, x, a, &zero, x, y));
	case_end("act_fwd", "cudnnActivationForward", 4, n, 2 * n * 4);
	case_begin("act_bwd_beta");
	CHECK(cudnnActivationBackward(h, act, &one, x, y, x, dy, x, a, &one, x, dx));
	case_end("act_bwd_beta", "cudnnActivationBackward", 1, 2 * n, 5 * n * 4);

	/* pooling 3x2 window, pad (1, 0), stride 2: one FLOP per window element */
	case_begin("pool_fwd");
	CHECK(cudnnPoolingForward(h, pool, &one, x, a, &zero, p, pa));
	case_end("pool_fwd", "cudnnPoolingForward", 1, np * 6, (n + np) * 4);
	case_begin("pool_bwd");
	CHECK(cudnnPoolingBackward(h, pool, &one, p, pa, p, pb, x, a, &zero, x, dx));
	case_end("pool_bwd", "cudnnPoolingBackward", 1, np * 6, (2 * np + 2 * n) * 4);

	/* softmax: fast 3, accurate 5 per element */
	case_begin("softmax_accurate");
	CHECK(cudnnSoftmaxForward(h, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &one, x, a,
				  &zero, x, y));
	case_end("softmax_accurate", "cudnnSoftmaxForward", 1, 5 * n, 2 * n * 4);
	case_begin("softmax_fast_beta");
	CHECK(cudnnSoftmaxForward(h, CUDNN_SOFTMAX_FAST, CUDNN_SOFTMAX_MODE_INSTANCE, &one, x, a,
				  &one, x, y));
	case_end("softmax_fast_beta", "cudnnSoftmaxForward", 1, 3 * n, 3 * n * 4);

	/* bias add: C += A broadcast per channel; 1 add per C element */
	case_begin("add_bias");
	for (int i = 0; i < 3; i++)
		CHECK(cudnnAddTensor(h, &one, ch, st[0], &one, x, y));
	case_end("add_bias", "cudnnAddTensor", 3, n, (c + 2 * n) * 4);

	/* C = A * B (beta 0): 1 per element; sqrt reads no B */
	case_begin("op_mul");
	CHECK(cudnnOpTensor(h, mul, &one, x, a, &one, x, b, &zero, x, y));
	case_end("op_mul", "cudnnOpTensor", 1, n, 3 * n * 4);
	case_begin("op_sqrt_beta");
	CHECK(cudnnOpTensor(h, sq, &one, x, a, &one, x, b, &one, x, y));
	case_end("op_sqrt_beta", "cudnnOpTensor", 1, 2 * n, 3 * n * 4);

	/* batch normalisation, spatial: statistics per channel */
	case_begin("bn_inference");
	CHECK(cudnnBatchNormalizationForwardInference(h, CUDNN_BATCHNORM_SPATIAL, &one, &zero, x, a,
						      x, y, ch, st[0], st[1], st[2], st[3],
						      1e-5));
	case_end("bn_inference", "cudnnBatchNormalizationForwardInference", 1, 2 * n + 5 * c,
		 2 * n * 4 + 4 * c * 4);
	case_begin("bn_training");
	for (int i = 0; i < 2; i++)
		CHECK(cudnnBatchNormalizationForwardTraining(h, CUDNN_BATCHNORM_SPATIAL, &one, &zero,
							     x, a, x, y, ch, st[0], st[1], 0.1,
							     st[2], st[3], 1e-5, st[4], st[5]));
	case_end("bn_training", "cudnnBatchNormalizationForwardTraining", 2, 6 * n + 14 * c,
		 2 * n * 4 + (2 + 4 + 2) * c * 4);
	case_begin("bn_backward");
	CHECK(cudnnBatchNormalizationBackward(h, CUDNN_BATCHNORM_SPATIAL, &one, &zero, &one, &zero,
					      x, a, x, dy, x, dx, ch, st[0], st[1], st[2], 1e-5,
					      st[4], st[5]));
	case_end("bn_backward", "cudnnBatchNormalizationBackward", 1, 9 * n + 6 * c,
		 3 * n * 4 + (1 + 2 + 2) * c * 4);

	cudnnDestroyActivationDescriptor(act);
	cudnnDestroyPoolingDescriptor(pool);
	cudnnDestroyOpTensorDescriptor(mul);
	cudnnDestroyOpTensorDescriptor(sq);
	cudnnDestroyTensorDescriptor(x);
	cudnnDestroyTensorDescriptor(p);
	cudnnDestroyTensorDescriptor(ch);
}

/* ---- the graph API: counted and timed per plan, not costed ---- */

static void backend_cases(void)
{
	cudnnBackendDescriptor_t plan[2], pack;

	for (int i = 0; i < 2; i++) {
		CHECK(cudnnBackendCreateDescriptor(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR, &plan[i]));
		CHECK(cudnnBackendSetAttribute(plan[i], CUDNN_ATTR_EXECUTION_PLAN_HANDLE,
					       CUDNN_TYPE_HANDLE, 1, &h));
		CHECK(cudnnBackendFinalize(plan[i]));
	}
	CHECK(cudnnBackendCreateDescriptor(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR, &pack));
	CHECK(cudnnBackendFinalize(pack));
	/* one call site, two plans: a key each */
	for (int i = 0; i < 2; i++) {
		const char *layer = i ? "plan_b" : "plan_a";

		case_begin(layer);
		for (int j = 0; j < (i ? 2 : 5); j++)
			CHECK(cudnnBackendExecute(h, plan[i], pack));
		case_end(layer, "cudnnBackendExecute", i ? 2 : 5, 0, 0);
	}
	for (int i = 0; i < 2; i++)
		cudnnBackendDestroyDescriptor(plan[i]);
	cudnnBackendDestroyDescriptor(pack);
}

int main(int argc, char **argv)
{
	cudaStream_t s;

	if (argc > 1 && (expect = fopen(argv[1], "w")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	CHECK(cudaStreamCreate(&s));
	CHECK(cudnnCreate(&h));
	CHECK(cudnnSetStream(h, s));
	/* The GPU is busy ahead of the host: every call below starts when
	 * the one before ends, so a call's GPU time is its work alone. */
	fakegpu_submit(s, 300 * 1000000ull);
	conv_cases();
	conv_backward_cases();
	bias_act_cases();
	elementwise_cases();
	backend_cases();
	CHECK(cudaStreamSynchronize(s));
	CHECK(cudnnDestroy(h));
	if (expect)
		fclose(expect);
	printf("done\n");
	return 0;
}
