/*
 * cudnn.c - a fake cuDNN 9 (libcudnn.so.9) over the simulated GPU of
 * tests/fake/cudart.c (see fakegpu.h).
 *
 * Written against the real cuDNN headers, so every entry point has the
 * real signature.  Descriptors keep what they are set to and give it back;
 * operations check their descriptors as cuDNN would (shapes that do not
 * fit are CUDNN_STATUS_BAD_PARAM), queue their work on the handle's stream
 * for fakegpu_cost_ns(FLOPs, bytes) and return at once.  The FLOPs and
 * bytes are worked out here from the descriptors' own semantics (padding,
 * strides, dilation, groups), with the conventions of common/cost.c.
 *
 * Forward convolution is really computed, on host memory, for float and
 * double (any layout the strides describe, NCHW or NHWC filters, 1 to 3
 * spatial dimensions, groups, convolution or cross-correlation), so that
 * a test can check a program's results are unchanged under opcount.  The
 * other operations only keep time.
 *
 * The graph API is reduced to what a program needs to build and run a
 * plan: descriptors that accept any attribute (a descriptor given as an
 * attribute must be finalized, as cuDNN requires) and finalize, engine
 * heuristics that hand out configurations (cudnnBackendGetAttribute of
 * CUDNN_ATTR_ENGINEHEUR_RESULTS fills the caller's ENGINECFG descriptors),
 * and cudnnBackendExecute, which queues FAKECUDNN_PLAN_NS (default 30000)
 * of work per execution, whatever the graph.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cudnn.h>

#include "fakegpu.h"

#define EXPORT FAKEGPU_EXPORT
#define MAXD CUDNN_DIM_MAX

struct cudnnContext {
	cudaStream_t stream;
};

struct cudnnTensorStruct {
	cudnnDataType_t type;
	int nbdims;
	int dims[MAXD], strides[MAXD];
};

struct cudnnFilterStruct {
	cudnnDataType_t type;
	cudnnTensorFormat_t format;
	int nbdims;
	int dims[MAXD];
};

struct cudnnConvolutionStruct {
	int n;			/* spatial dims */
	int pad[MAXD], stride[MAXD], dil[MAXD];
	cudnnConvolutionMode_t mode;
	cudnnDataType_t compute;
	int groups;
};

struct cudnnActivationStruct {
	cudnnActivationMode_t mode;
	cudnnNanPropagation_t nan;
	double coef;
};

struct cudnnPoolingStruct {
	cudnnPoolingMode_t mode;
	cudnnNanPropagation_t nan;
	int n;
	int window[MAXD], pad[MAXD], stride[MAXD];
};

struct cudnnOpTensorStruct {
	cudnnOpTensorOp_t op;
	cudnnDataType_t type;
	cudnnNanPropagation_t nan;
};

struct backend_desc {
	cudnnBackendDescriptorType_t type;
	int finalized;
};

static double tsize(cudnnDataType_t t)
{
	switch (t) {
	case CUDNN_DATA_DOUBLE: case CUDNN_DATA_INT64: case CUDNN_DATA_COMPLEX_FP32: return 8;
	case CUDNN_DATA_COMPLEX_FP64: return 16;
	case CUDNN_DATA_FLOAT: case CUDNN_DATA_INT32: case CUDNN_DATA_UINT32: return 4;
	case CUDNN_DATA_HALF: case CUDNN_DATA_BFLOAT16: return 2;
	case CUDNN_DATA_FP4_E2M1: case CUDNN_DATA_INT4: case CUDNN_DATA_UINT4: return 0.5;
	default: return 1;
	}
}

static double elems(const int *dims, int n)
{
	double e = 1;

	for (int i = 0; i < n; i++)
		e *= dims[i];
	return e;
}

static double telems(const struct cudnnTensorStruct *t)
{
	return elems(t->dims, t->nbdims);
}

/* a host scaling factor: double for double data, float otherwise */
static double scalar(const void *p, cudnnDataType_t t)
{
	if (p == NULL)
		return 1;
	return t == CUDNN_DATA_DOUBLE ? *(const double *)p : *(const float *)p;
}

static cudnnStatus_t run(cudnnHandle_t h, double flops, double bytes)
{
	if (h == NULL)
		return CUDNN_STATUS_BAD_PARAM;
	fakegpu_submit(h->stream, fakegpu_cost_ns(flops, bytes));
	return CUDNN_STATUS_SUCCESS;
}

/* ---- handle ---- */

EXPORT size_t cudnnGetVersion(void)
{
	return CUDNN_VERSION;
}

EXPORT const char *cudnnGetErrorString(cudnnStatus_t s)
{
	return s == CUDNN_STATUS_SUCCESS ? "CUDNN_STATUS_SUCCESS" : "CUDNN_STATUS_FAKE_ERROR";
}

EXPORT cudnnStatus_t cudnnCreate(cudnnHandle_t *h)
{
	*h = calloc(1, sizeof(**h));
	return *h ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_ALLOC_FAILED;
}

EXPORT cudnnStatus_t cudnnDestroy(cudnnHandle_t h)
{
	free(h);
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnSetStream(cudnnHandle_t h, cudaStream_t s)
{
	if (h == NULL)
		return CUDNN_STATUS_BAD_PARAM;
	h->stream = s;
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnGetStream(cudnnHandle_t h, cudaStream_t *s)
{
	if (h == NULL || s == NULL)
		return CUDNN_STATUS_BAD_PARAM;
	*s = h->stream;
	return CUDNN_STATUS_SUCCESS;
}

/* ---- descriptors ---- */

#define CREATE_DESTROY(Name, Struct)                                           \
	EXPORT cudnnStatus_t cudnnCreate##Name##Descriptor(struct Struct **d) \
	{                                                                      \
		*d = calloc(1, sizeof(**d));                                   \
		return *d ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_ALLOC_FAILED;  \
	}                                                                      \
	EXPORT cudnnStatus_t cudnnDestroy##Name##Descriptor(struct Struct *d) \
	{                                                                      \
		free(d);                                                       \
		return CUDNN_STATUS_SUCCESS;                                   \
	}

CREATE_DESTROY(Tensor, cudnnTensorStruct)
CREATE_DESTROY(Filter, cudnnFilterStruct)
CREATE_DESTROY(Convolution, cudnnConvolutionStruct)
CREATE_DESTROY(Activation, cudnnActivationStruct)
CREATE_DESTROY(Pooling, cudnnPoolingStruct)
CREATE_DESTROY(OpTensor, cudnnOpTensorStruct)

EXPORT cudnnStatus_t cudnnSetTensorNdDescriptor(cudnnTensorDescriptor_t d, cudnnDataType_t type,
						int nbdims, const int dims[], const int strides[])
{
	if (d == NULL || nbdims < 1 || nbdims > MAXD)
		return CUDNN_STATUS_BAD_PARAM;
	for (int i = 0; i < nbdims; i++)
		if (dims[i] <= 0 || strides[i] <= 0)
			return CUDNN_STATUS_BAD_PARAM;
	d->type = type;
	d->nbdims = nbdims;
	memcpy(d->dims, dims, nbdims * sizeof(int));
	memcpy(d->strides, strides, nbdims * sizeof(int));
	return CUDNN_STATUS_SUCCESS;
}

/* packed strides for a layout: NCHW (dims order) or NHWC (C innermost) */
static void packed_strides(cudnnTensorFormat_t f, int nbdims, const int dims[], int strides[])
{
	int s = 1;

	if (f == CUDNN_TENSOR_NHWC && nbdims > 2) {
		strides[1] = 1;
		s = dims[1];
		for (int i = nbdims - 1; i >= 2; i--) {
			strides[i] = s;
			s *= dims[i];
		}
		strides[0] = s;
		return;
	}
	for (int i = nbdims - 1; i >= 0; i--) {
		strides[i] = s;
		s *= dims[i];
	}
}

EXPORT cudnnStatus_t cudnnSetTensorNdDescriptorEx(cudnnTensorDescriptor_t d,
						  cudnnTensorFormat_t format,
						  cudnnDataType_t type, int nbdims, const int dims[])
{
	int strides[MAXD];

	if (nbdims < 1 || nbdims > MAXD)
		return CUDNN_STATUS_BAD_PARAM;
	packed_strides(format, nbdims, dims, strides);
	return cudnnSetTensorNdDescriptor(d, type, nbdims, dims, strides);
}

EXPORT cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t d,
						cudnnTensorFormat_t format, cudnnDataType_t type,
						int n, int c, int h, int w)
{
	int dims[4] = { n, c, h, w };

	return cudnnSetTensorNdDescriptorEx(d, format, type, 4, dims);
}

EXPORT cudnnStatus_t cudnnGetTensorNdDescriptor(const cudnnTensorDescriptor_t d, int req,
						cudnnDataType_t *type, int *nbdims, int dims[],
						int strides[])
{
	if (d == NULL || d->nbdims == 0)
		return CUDNN_STATUS_BAD_PARAM;
	*type = d->type;
	*nbdims = d->nbdims;
	for (int i = 0; i < d->nbdims && i < req; i++) {
		dims[i] = d->dims[i];
		strides[i] = d->strides[i];
	}
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnSetFilterNdDescriptor(cudnnFilterDescriptor_t d, cudnnDataType_t type,
						cudnnTensorFormat_t format, int nbdims,
						const int dims[])
{
	if (d == NULL || nbdims < 3 || nbdims > MAXD)
		return CUDNN_STATUS_BAD_PARAM;
	for (int i = 0; i < nbdims; i++)
		if (dims[i] <= 0)
			return CUDNN_STATUS_BAD_PARAM;
	d->type = type;
	d->format = format;
	d->nbdims = nbdims;
	memcpy(d->dims, dims, nbdims * sizeof(int));
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t d, cudnnDataType_t type,
						cudnnTensorFormat_t format, int k, int c, int h,
						int w)
{
	int dims[4] = { k, c, h, w };

	return cudnnSetFilterNdDescriptor(d, type, format, 4, dims);
}

EXPORT cudnnStatus_t cudnnGetFilterNdDescriptor(const cudnnFilterDescriptor_t d, int req,
						cudnnDataType_t *type, cudnnTensorFormat_t *format,
						int *nbdims, int dims[])
{
	if (d == NULL || d->nbdims == 0)
		return CUDNN_STATUS_BAD_PARAM;
	*type = d->type;
	*format = d->format;
	*nbdims = d->nbdims;
	for (int i = 0; i < d->nbdims && i < req; i++)
		dims[i] = d->dims[i];
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnSetConvolutionNdDescriptor(cudnnConvolutionDescriptor_t d, int n,
						     const int pad[], const int stride[],
						     const int dil[], cudnnConvolutionMode_t mode,
						     cudnnDataType_t compute)
{
	if (d == NULL || n < 1 || n > MAXD - 2)
		return CUDNN_STATUS_BAD_PARAM;
	for (int i = 0; i < n; i++)
		if (pad[i] < 0 || stride[i] <= 0 || dil[i] <= 0)
			return CUDNN_STATUS_BAD_PARAM;
	d->n = n;
	memcpy(d->pad, pad, n * sizeof(int));
	memcpy(d->stride, stride, n * sizeof(int));
	memcpy(d->dil, dil, n * sizeof(int));
	d->mode = mode;
	d->compute = compute;
	if (d->groups == 0)
		d->groups = 1;
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t d, int pad_h,
						     int pad_w, int u, int v, int dil_h,
						     int dil_w, cudnnConvolutionMode_t mode,
						     cudnnDataType_t compute)
{
	int pad[2] = { pad_h, pad_w }, stride[2] = { u, v }, dil[2] = { dil_h, dil_w };

	return cudnnSetConvolutionNdDescriptor(d, 2, pad, stride, dil, mode, compute);
}

EXPORT cudnnStatus_t cudnnGetConvolutionNdDescriptor(const cudnnConvolutionDescriptor_t d,
						     int req, int *n, int pad[], int stride[],
						     int dil[], cudnnConvolutionMode_t *mode,
						     cudnnDataType_t *compute)
{
	if (d == NULL || d->n == 0)
		return CUDNN_STATUS_BAD_PARAM;
	*n = d->n;
	for (int i = 0; i < d->n && i < req; i++) {
		pad[i] = d->pad[i];
		stride[i] = d->stride[i];
		dil[i] = d->dil[i];
	}
	*mode = d->mode;
	*compute = d->compute;
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnSetConvolutionGroupCount(cudnnConvolutionDescriptor_t d, int groups)
{
	if (d == NULL || groups < 1)
		return CUDNN_STATUS_BAD_PARAM;
	d->groups = groups;
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnGetConvolutionGroupCount(cudnnConvolutionDescriptor_t d, int *groups)
{
	if (d == NULL)
		return CUDNN_STATUS_BAD_PARAM;
	*groups = d->groups ? d->groups : 1;
	return CUDNN_STATUS_SUCCESS;
}

/*
 * The forward output's dims, or BAD_PARAM when x, w and the convolution do
 * not fit together: x is N x C x spatial, w is K x C/groups x filter.
 */
static cudnnStatus_t conv_out(const struct cudnnConvolutionStruct *cv,
			      const struct cudnnTensorStruct *x,
			      const struct cudnnFilterStruct *w, int out[])
{
	int groups = cv && cv->groups ? cv->groups : 1;

	if (cv == NULL || x == NULL || w == NULL || x->nbdims != w->nbdims ||
	    cv->n != x->nbdims - 2 || x->dims[1] != w->dims[1] * groups ||
	    w->dims[0] % groups)
		return CUDNN_STATUS_BAD_PARAM;
	out[0] = x->dims[0];
	out[1] = w->dims[0];
	for (int i = 0; i < cv->n; i++) {
		int span = cv->dil[i] * (w->dims[i + 2] - 1) + 1;
		int in = x->dims[i + 2] + 2 * cv->pad[i];

		if (in < span)
			return CUDNN_STATUS_BAD_PARAM;
		out[i + 2] = (in - span) / cv->stride[i] + 1;
	}
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnGetConvolutionNdForwardOutputDim(const cudnnConvolutionDescriptor_t cv,
							   const cudnnTensorDescriptor_t x,
							   const cudnnFilterDescriptor_t w,
							   int nbdims, int out[])
{
	if (x == NULL || nbdims != x->nbdims)
		return CUDNN_STATUS_BAD_PARAM;
	return conv_out(cv, x, w, out);
}

EXPORT cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(const cudnnConvolutionDescriptor_t cv,
							   const cudnnTensorDescriptor_t x,
							   const cudnnFilterDescriptor_t w, int *n,
							   int *c, int *h, int *wd)
{
	int out[4];
	cudnnStatus_t s = cudnnGetConvolutionNdForwardOutputDim(cv, x, w, 4, out);

	if (s == CUDNN_STATUS_SUCCESS) {
		*n = out[0];
		*c = out[1];
		*h = out[2];
		*wd = out[3];
	}
	return s;
}

EXPORT cudnnStatus_t cudnnSetActivationDescriptor(cudnnActivationDescriptor_t d,
						  cudnnActivationMode_t mode,
						  cudnnNanPropagation_t nan, double coef)
{
	if (d == NULL)
		return CUDNN_STATUS_BAD_PARAM;
	d->mode = mode;
	d->nan = nan;
	d->coef = coef;
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnGetActivationDescriptor(const cudnnActivationDescriptor_t d,
						  cudnnActivationMode_t *mode,
						  cudnnNanPropagation_t *nan, double *coef)
{
	if (d == NULL)
		return CUDNN_STATUS_BAD_PARAM;
	*mode = d->mode;
	*nan = d->nan;
	*coef = d->coef;
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnSetPoolingNdDescriptor(cudnnPoolingDescriptor_t d,
						 const cudnnPoolingMode_t mode,
						 const cudnnNanPropagation_t nan, int n,
						 const int window[], const int pad[],
						 const int stride[])
{
	if (d == NULL || n < 1 || n > MAXD - 2)
		return CUDNN_STATUS_BAD_PARAM;
	d->mode = mode;
	d->nan = nan;
	d->n = n;
	memcpy(d->window, window, n * sizeof(int));
	memcpy(d->pad, pad, n * sizeof(int));
	memcpy(d->stride, stride, n * sizeof(int));
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnSetPooling2dDescriptor(cudnnPoolingDescriptor_t d,
						 cudnnPoolingMode_t mode,
						 cudnnNanPropagation_t nan, int wh, int ww,
						 int ph, int pw, int sh, int sw)
{
	int window[2] = { wh, ww }, pad[2] = { ph, pw }, stride[2] = { sh, sw };

	return cudnnSetPoolingNdDescriptor(d, mode, nan, 2, window, pad, stride);
}

EXPORT cudnnStatus_t cudnnGetPoolingNdDescriptor(const cudnnPoolingDescriptor_t d, int req,
						 cudnnPoolingMode_t *mode,
						 cudnnNanPropagation_t *nan, int *n, int window[],
						 int pad[], int stride[])
{
	if (d == NULL || d->n == 0)
		return CUDNN_STATUS_BAD_PARAM;
	*mode = d->mode;
	*nan = d->nan;
	*n = d->n;
	for (int i = 0; i < d->n && i < req; i++) {
		window[i] = d->window[i];
		pad[i] = d->pad[i];
		stride[i] = d->stride[i];
	}
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnSetOpTensorDescriptor(cudnnOpTensorDescriptor_t d,
						cudnnOpTensorOp_t op, cudnnDataType_t type,
						cudnnNanPropagation_t nan)
{
	if (d == NULL)
		return CUDNN_STATUS_BAD_PARAM;
	d->op = op;
	d->type = type;
	d->nan = nan;
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnGetOpTensorDescriptor(const cudnnOpTensorDescriptor_t d,
						cudnnOpTensorOp_t *op, cudnnDataType_t *type,
						cudnnNanPropagation_t *nan)
{
	if (d == NULL)
		return CUDNN_STATUS_BAD_PARAM;
	*op = d->op;
	*type = d->type;
	*nan = d->nan;
	return CUDNN_STATUS_SUCCESS;
}

/* ---- convolutions ---- */

static int same_dims(const struct cudnnTensorStruct *t, const int *dims, int n)
{
	if (t == NULL || t->nbdims != n)
		return 0;
	for (int i = 0; i < n; i++)
		if (t->dims[i] != dims[i])
			return 0;
	return 1;
}

static double load(cudnnDataType_t t, const void *p, int64_t i)
{
	return t == CUDNN_DATA_DOUBLE ? ((const double *)p)[i] : ((const float *)p)[i];
}

static void store(cudnnDataType_t t, void *p, int64_t i, double v)
{
	if (t == CUDNN_DATA_DOUBLE)
		((double *)p)[i] = v;
	else
		((float *)p)[i] = (float)v;
}

/* offset of filter element (k, c, taps) in its layout */
static int64_t filter_off(const struct cudnnFilterStruct *w, int k, int c, const int *tap)
{
	int ns = w->nbdims - 2, cg = w->dims[1];
	int64_t sp = 0;

	for (int i = 0; i < ns; i++)
		sp = sp * w->dims[i + 2] + tap[i];
	if (w->format == CUDNN_TENSOR_NHWC)
		return ((int64_t)k * (int64_t)elems(w->dims + 2, ns) + sp) * cg + c;
	return ((int64_t)k * cg + c) * (int64_t)elems(w->dims + 2, ns) + sp;
}

/* decode a linear index into n coordinates of extents ext */
static void decode(int64_t lin, const int *ext, int n, int *coord)
{
	for (int i = n - 1; i >= 0; i--) {
		coord[i] = (int)(lin % ext[i]);
		lin /= ext[i];
	}
}

/* y = alpha conv(x, w) + beta y, on the host, float or double */
static void conv_compute(const struct cudnnConvolutionStruct *cv,
			 const struct cudnnTensorStruct *xd, const void *x,
			 const struct cudnnFilterStruct *wd, const void *w,
			 const struct cudnnTensorStruct *yd, void *y, double alpha, double beta)
{
	int ns = cv->n, groups = cv->groups ? cv->groups : 1;
	int cg = wd->dims[1], kg = wd->dims[0] / groups;
	int64_t nout = (int64_t)elems(yd->dims + 2, ns), ntap = (int64_t)elems(wd->dims + 2, ns);

	if ((xd->type != CUDNN_DATA_FLOAT && xd->type != CUDNN_DATA_DOUBLE) ||
	    xd->type != wd->type || xd->type != yd->type)
		return;	/* time only */
	for (int n = 0; n < yd->dims[0]; n++)
		for (int k = 0; k < yd->dims[1]; k++)
			for (int64_t o = 0; o < nout; o++) {
				int oc[MAXD], tc[MAXD];
				int64_t yoff = (int64_t)n * yd->strides[0] + (int64_t)k * yd->strides[1];
				double acc = 0;

				decode(o, yd->dims + 2, ns, oc);
				for (int i = 0; i < ns; i++)
					yoff += (int64_t)oc[i] * yd->strides[i + 2];
				for (int c = 0; c < cg; c++)
					for (int64_t t = 0; t < ntap; t++) {
						int64_t xoff = (int64_t)n * xd->strides[0] +
							       (int64_t)(k / kg * cg + c) * xd->strides[1];
						int inside = 1, ftap[MAXD];

						decode(t, wd->dims + 2, ns, tc);
						for (int i = 0; i < ns; i++) {
							int p = oc[i] * cv->stride[i] - cv->pad[i] +
								tc[i] * cv->dil[i];

							if (p < 0 || p >= xd->dims[i + 2])
								inside = 0;
							xoff += (int64_t)p * xd->strides[i + 2];
							/* convolution flips the filter */
							ftap[i] = cv->mode == CUDNN_CONVOLUTION ?
									  wd->dims[i + 2] - 1 - tc[i] :
									  tc[i];
						}
						if (inside)
							acc += load(xd->type, x, xoff) *
							       load(wd->type, w, filter_off(wd, k, c, ftap));
					}
				store(yd->type, y, yoff,
				      alpha * acc + (beta != 0 ? beta * load(yd->type, y, yoff) : 0));
			}
}

/* multiply-adds of the convolution that makes y from x and w */
static double conv_macs(const struct cudnnTensorStruct *y, const struct cudnnFilterStruct *w)
{
	return telems(y) * elems(w->dims + 1, w->nbdims - 1);
}

static cudnnStatus_t conv_check(const struct cudnnConvolutionStruct *cv,
				const struct cudnnTensorStruct *x,
				const struct cudnnFilterStruct *w,
				const struct cudnnTensorStruct *y)
{
	int out[MAXD];

	if (conv_out(cv, x, w, out) != CUDNN_STATUS_SUCCESS || !same_dims(y, out, x->nbdims))
		return CUDNN_STATUS_BAD_PARAM;
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t h, const void *alpha,
					     const cudnnTensorDescriptor_t xd, const void *x,
					     const cudnnFilterDescriptor_t wd, const void *w,
					     const cudnnConvolutionDescriptor_t cv,
					     cudnnConvolutionFwdAlgo_t algo, void *ws,
					     size_t wss, const void *beta,
					     const cudnnTensorDescriptor_t yd, void *y)
{
	double b = scalar(beta, yd ? yd->type : CUDNN_DATA_FLOAT);

	if (conv_check(cv, xd, wd, yd))
		return CUDNN_STATUS_BAD_PARAM;
	conv_compute(cv, xd, x, wd, w, yd, y, scalar(alpha, yd->type), b);
	return run(h, 2 * conv_macs(yd, wd),
		   (telems(xd) + elems(wd->dims, wd->nbdims)) * tsize(xd->type) +
			   (b != 0 ? 2 : 1) * telems(yd) * tsize(yd->type));
}

EXPORT cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t h, const void *alpha,
						  const cudnnFilterDescriptor_t wd, const void *w,
						  const cudnnTensorDescriptor_t dyd, const void *dy,
						  const cudnnConvolutionDescriptor_t cv,
						  cudnnConvolutionBwdDataAlgo_t algo, void *ws,
						  size_t wss, const void *beta,
						  const cudnnTensorDescriptor_t dxd, void *dx)
{
	double b = scalar(beta, dxd ? dxd->type : CUDNN_DATA_FLOAT);

	if (conv_check(cv, dxd, wd, dyd))
		return CUDNN_STATUS_BAD_PARAM;
	return run(h, 2 * conv_macs(dyd, wd),
		   (telems(dyd) + elems(wd->dims, wd->nbdims)) * tsize(dyd->type) +
			   (b != 0 ? 2 : 1) * telems(dxd) * tsize(dxd->type));
}

EXPORT cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t h, const void *alpha,
						    const cudnnTensorDescriptor_t xd, const void *x,
						    const cudnnTensorDescriptor_t dyd, const void *dy,
						    const cudnnConvolutionDescriptor_t cv,
						    cudnnConvolutionBwdFilterAlgo_t algo, void *ws,
						    size_t wss, const void *beta,
						    const cudnnFilterDescriptor_t dwd, void *dw)
{
	double b = scalar(beta, dwd ? dwd->type : CUDNN_DATA_FLOAT);

	if (conv_check(cv, xd, dwd, dyd))
		return CUDNN_STATUS_BAD_PARAM;
	return run(h, 2 * conv_macs(dyd, dwd),
		   (telems(xd) + telems(dyd)) * tsize(xd->type) +
			   (b != 0 ? 2 : 1) * elems(dwd->dims, dwd->nbdims) * tsize(dwd->type));
}

EXPORT cudnnStatus_t cudnnConvolutionBiasActivationForward(
	cudnnHandle_t h, const void *alpha1, const cudnnTensorDescriptor_t xd, const void *x,
	const cudnnFilterDescriptor_t wd, const void *w, const cudnnConvolutionDescriptor_t cv,
	cudnnConvolutionFwdAlgo_t algo, void *ws, size_t wss, const void *alpha2,
	const cudnnTensorDescriptor_t zd, const void *z, const cudnnTensorDescriptor_t biasd,
	const void *bias, const cudnnActivationDescriptor_t act,
	const cudnnTensorDescriptor_t yd, void *y)
{
	double a2, ny;

	if (conv_check(cv, xd, wd, yd) || zd == NULL || biasd == NULL || act == NULL ||
	    !same_dims(zd, yd->dims, yd->nbdims) || biasd->nbdims != yd->nbdims ||
	    biasd->dims[1] != yd->dims[1] || telems(biasd) != yd->dims[1])
		return CUDNN_STATUS_BAD_PARAM;
	a2 = scalar(alpha2, yd->type);
	ny = telems(yd);
	return run(h, 2 * conv_macs(yd, wd) + ny + (a2 != 0 ? ny : 0) +
			      (act->mode != CUDNN_ACTIVATION_IDENTITY ? ny : 0),
		   (telems(xd) + elems(wd->dims, wd->nbdims)) * tsize(xd->type) +
			   (ny + (a2 != 0 ? ny : 0) + telems(biasd)) * tsize(yd->type));
}

/* ---- elementwise operations ---- */

static int same_shape(const struct cudnnTensorStruct *a, const struct cudnnTensorStruct *b)
{
	return a && b && same_dims(a, b->dims, b->nbdims);
}

EXPORT cudnnStatus_t cudnnActivationForward(cudnnHandle_t h, cudnnActivationDescriptor_t act,
					    const void *alpha, const cudnnTensorDescriptor_t xd,
					    const void *x, const void *beta,
					    const cudnnTensorDescriptor_t yd, void *y)
{
	double n;

	if (act == NULL || !same_shape(xd, yd))
		return CUDNN_STATUS_BAD_PARAM;
	n = telems(yd);
	return run(h, n, (scalar(beta, yd->type) != 0 ? 3 : 2) * n * tsize(yd->type));
}

EXPORT cudnnStatus_t cudnnActivationBackward(cudnnHandle_t h, cudnnActivationDescriptor_t act,
					     const void *alpha, const cudnnTensorDescriptor_t yd,
					     const void *y, const cudnnTensorDescriptor_t dyd,
					     const void *dy, const cudnnTensorDescriptor_t xd,
					     const void *x, const void *beta,
					     const cudnnTensorDescriptor_t dxd, void *dx)
{
	double n;

	if (act == NULL || !same_shape(xd, yd) || !same_shape(dyd, yd) || !same_shape(dxd, yd))
		return CUDNN_STATUS_BAD_PARAM;
	n = telems(dxd);
	return run(h, 2 * n, (scalar(beta, dxd->type) != 0 ? 5 : 4) * n * tsize(dxd->type));
}

static cudnnStatus_t pool_check(const struct cudnnPoolingStruct *p,
				const struct cudnnTensorStruct *x,
				const struct cudnnTensorStruct *y)
{
	if (p == NULL || x == NULL || y == NULL || x->nbdims != p->n + 2 ||
	    y->nbdims != x->nbdims || x->dims[0] != y->dims[0] || x->dims[1] != y->dims[1])
		return CUDNN_STATUS_BAD_PARAM;
	for (int i = 0; i < p->n; i++)
		if (y->dims[i + 2] !=
		    (x->dims[i + 2] + 2 * p->pad[i] - p->window[i]) / p->stride[i] + 1)
			return CUDNN_STATUS_BAD_PARAM;
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnPoolingForward(cudnnHandle_t h, const cudnnPoolingDescriptor_t p,
					 const void *alpha, const cudnnTensorDescriptor_t xd,
					 const void *x, const void *beta,
					 const cudnnTensorDescriptor_t yd, void *y)
{
	double ny;

	if (pool_check(p, xd, yd))
		return CUDNN_STATUS_BAD_PARAM;
	ny = telems(yd);
	return run(h, ny * elems(p->window, p->n),
		   (telems(xd) + (scalar(beta, yd->type) != 0 ? 2 : 1) * ny) * tsize(yd->type));
}

EXPORT cudnnStatus_t cudnnPoolingBackward(cudnnHandle_t h, const cudnnPoolingDescriptor_t p,
					  const void *alpha, const cudnnTensorDescriptor_t yd,
					  const void *y, const cudnnTensorDescriptor_t dyd,
					  const void *dy, const cudnnTensorDescriptor_t xd,
					  const void *x, const void *beta,
					  const cudnnTensorDescriptor_t dxd, void *dx)
{
	double ny, nx;

	if (pool_check(p, xd, yd) || !same_shape(dyd, yd) || !same_shape(dxd, xd))
		return CUDNN_STATUS_BAD_PARAM;
	ny = telems(yd);
	nx = telems(dxd);
	return run(h, ny * elems(p->window, p->n),
		   (2 * ny + nx + (scalar(beta, dxd->type) != 0 ? 2 : 1) * nx) * tsize(dxd->type));
}

EXPORT cudnnStatus_t cudnnSoftmaxForward(cudnnHandle_t h, cudnnSoftmaxAlgorithm_t algo,
					 cudnnSoftmaxMode_t mode, const void *alpha,
					 const cudnnTensorDescriptor_t xd, const void *x,
					 const void *beta, const cudnnTensorDescriptor_t yd,
					 void *y)
{
	double n;

	if (!same_shape(xd, yd))
		return CUDNN_STATUS_BAD_PARAM;
	n = telems(yd);
	return run(h, (algo == CUDNN_SOFTMAX_FAST ? 3 : 5) * n,
		   (scalar(beta, yd->type) != 0 ? 3 : 2) * n * tsize(yd->type));
}

/* A broadcasts to C: each dim of A is C's or 1 */
static int broadcasts(const struct cudnnTensorStruct *a, const struct cudnnTensorStruct *c)
{
	if (a == NULL || c == NULL || a->nbdims != c->nbdims)
		return 0;
	for (int i = 0; i < a->nbdims; i++)
		if (a->dims[i] != c->dims[i] && a->dims[i] != 1)
			return 0;
	return 1;
}

EXPORT cudnnStatus_t cudnnAddTensor(cudnnHandle_t h, const void *alpha,
				    const cudnnTensorDescriptor_t ad, const void *A,
				    const void *beta, const cudnnTensorDescriptor_t cd, void *C)
{
	double nc;
	int b;

	if (!broadcasts(ad, cd))
		return CUDNN_STATUS_BAD_PARAM;
	nc = telems(cd);
	b = scalar(beta, cd->type) != 0;
	return run(h, b ? nc : 0, (telems(ad) + (b ? 2 : 1) * nc) * tsize(cd->type));
}

EXPORT cudnnStatus_t cudnnOpTensor(cudnnHandle_t h, const cudnnOpTensorDescriptor_t op,
				   const void *alpha1, const cudnnTensorDescriptor_t ad,
				   const void *A, const void *alpha2,
				   const cudnnTensorDescriptor_t bd, const void *B,
				   const void *beta, const cudnnTensorDescriptor_t cd, void *C)
{
	int unary, b;
	double nc;

	if (op == NULL || !same_shape(ad, cd))
		return CUDNN_STATUS_BAD_PARAM;
	unary = op->op == CUDNN_OP_TENSOR_SQRT || op->op == CUDNN_OP_TENSOR_NOT;
	if (!unary && !broadcasts(bd, cd))
		return CUDNN_STATUS_BAD_PARAM;
	nc = telems(cd);
	b = scalar(beta, cd->type) != 0;
	return run(h, (b ? 2 : 1) * nc,
		   (telems(ad) + (unary ? 0 : telems(bd)) + (b ? 2 : 1) * nc) * tsize(cd->type));
}

/* ---- batch normalisation ---- */

/* statistics: 1 x C x 1 x 1 (spatial) or 1 x C x H x W (per activation) */
static int bn_ok(const struct cudnnTensorStruct *x, const struct cudnnTensorStruct *bn)
{
	return x && bn && bn->nbdims == x->nbdims && bn->dims[0] == 1 &&
	       bn->dims[1] == x->dims[1];
}

static double stat_size(const struct cudnnTensorStruct *x)
{
	return x->type == CUDNN_DATA_DOUBLE ? 8 : 4;
}

EXPORT cudnnStatus_t cudnnBatchNormalizationForwardInference(
	cudnnHandle_t h, cudnnBatchNormMode_t mode, const void *alpha, const void *beta,
	const cudnnTensorDescriptor_t xd, const void *x, const cudnnTensorDescriptor_t yd,
	void *y, const cudnnTensorDescriptor_t bnd, const void *scale, const void *bias,
	const void *mean, const void *var, double eps)
{
	double n, c;

	if (!same_shape(xd, yd) || !bn_ok(xd, bnd))
		return CUDNN_STATUS_BAD_PARAM;
	n = telems(xd);
	c = telems(bnd);
	return run(h, 2 * n + 5 * c,
		   (scalar(beta, xd->type) != 0 ? 3 : 2) * n * tsize(xd->type) +
			   4 * c * stat_size(xd));
}

EXPORT cudnnStatus_t cudnnBatchNormalizationForwardTraining(
	cudnnHandle_t h, cudnnBatchNormMode_t mode, const void *alpha, const void *beta,
	const cudnnTensorDescriptor_t xd, const void *x, const cudnnTensorDescriptor_t yd,
	void *y, const cudnnTensorDescriptor_t bnd, const void *scale, const void *bias,
	double factor, void *rmean, void *rvar, double eps, void *smean, void *sinv)
{
	double n, c;
	int run_avg = rmean && rvar, save = smean && sinv;

	if (!same_shape(xd, yd) || !bn_ok(xd, bnd))
		return CUDNN_STATUS_BAD_PARAM;
	n = telems(xd);
	c = telems(bnd);
	return run(h, 6 * n + (run_avg ? 14 : 8) * c,
		   (scalar(beta, xd->type) != 0 ? 3 : 2) * n * tsize(xd->type) +
			   (2 + (run_avg ? 4 : 0) + (save ? 2 : 0)) * c * stat_size(xd));
}

EXPORT cudnnStatus_t cudnnBatchNormalizationBackward(
	cudnnHandle_t h, cudnnBatchNormMode_t mode, const void *alphaData, const void *betaData,
	const void *alphaParam, const void *betaParam, const cudnnTensorDescriptor_t xd,
	const void *x, const cudnnTensorDescriptor_t dyd, const void *dy,
	const cudnnTensorDescriptor_t dxd, void *dx, const cudnnTensorDescriptor_t bnd,
	const void *scale, void *dscale, void *dbias, double eps, const void *smean,
	const void *sinv)
{
	double n, c;
	int saved = smean && sinv;
	cudnnDataType_t st;

	if (!same_shape(xd, dyd) || !same_shape(xd, dxd) || !bn_ok(xd, bnd))
		return CUDNN_STATUS_BAD_PARAM;
	n = telems(xd);
	c = telems(bnd);
	st = xd->type == CUDNN_DATA_DOUBLE ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
	return run(h, (saved ? 9 : 13) * n + (saved ? 6 : 10) * c,
		   (scalar(betaData, xd->type) != 0 ? 4 : 3) * n * tsize(xd->type) +
			   (1 + (scalar(betaParam, st) != 0 ? 4 : 2) + (saved ? 2 : 0)) * c *
				   stat_size(xd));
}

/* ---- the graph API, reduced ---- */

/*
 * Destroyed descriptors are handed out again, the last one first, as
 * glibc's malloc does: tests/gpu/cudnn_graph.c makes a plan at the address
 * of one it destroyed (the library must not take it for the old one),
 * which the test needs under any allocator (ASan's does not reuse an
 * address soon).
 */
static struct backend_desc *desc_free;
static pthread_mutex_t desc_lock = PTHREAD_MUTEX_INITIALIZER;

EXPORT cudnnStatus_t cudnnBackendCreateDescriptor(cudnnBackendDescriptorType_t type,
						  cudnnBackendDescriptor_t *d)
{
	struct backend_desc *b;

	pthread_mutex_lock(&desc_lock);
	b = desc_free;
	if (b)
		desc_free = *(struct backend_desc **)b;
	pthread_mutex_unlock(&desc_lock);
	if (b)
		memset(b, 0, sizeof(*b));
	else if ((b = calloc(1, sizeof(*b))) == NULL)
		return CUDNN_STATUS_ALLOC_FAILED;
	b->type = type;
	*d = b;
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnBackendDestroyDescriptor(cudnnBackendDescriptor_t d)
{
	if (d == NULL)
		return CUDNN_STATUS_SUCCESS;
	pthread_mutex_lock(&desc_lock);
	*(struct backend_desc **)d = desc_free;
	desc_free = d;
	pthread_mutex_unlock(&desc_lock);
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnBackendSetAttribute(cudnnBackendDescriptor_t d,
					      cudnnBackendAttributeName_t name,
					      cudnnBackendAttributeType_t type, int64_t count,
					      const void *elements)
{
	struct backend_desc *b = d;

	if (b == NULL || b->finalized || count < 0 || (count && elements == NULL))
		return CUDNN_STATUS_BAD_PARAM;
	if (type == CUDNN_TYPE_BACKEND_DESCRIPTOR)
		for (int64_t i = 0; i < count; i++) {
			const struct backend_desc *r = ((void *const *)elements)[i];

			if (r == NULL || !r->finalized)
				return CUDNN_STATUS_BAD_PARAM;
		}
	return CUDNN_STATUS_SUCCESS;
}

/* Only what the heuristics hand out: up to two engine configurations. */
EXPORT cudnnStatus_t cudnnBackendGetAttribute(cudnnBackendDescriptor_t const d,
					      cudnnBackendAttributeName_t name,
					      cudnnBackendAttributeType_t type, int64_t req,
					      int64_t *count, void *elements)
{
	struct backend_desc *b = d;
	int64_t n = req < 2 ? req : 2;

	if (b == NULL || !b->finalized || count == NULL)
		return CUDNN_STATUS_BAD_PARAM;
	if (b->type != CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR ||
	    name != CUDNN_ATTR_ENGINEHEUR_RESULTS || type != CUDNN_TYPE_BACKEND_DESCRIPTOR)
		return CUDNN_STATUS_NOT_SUPPORTED;
	for (int64_t i = 0; i < n; i++) {
		struct backend_desc *c = ((void **)elements)[i];

		if (c == NULL || c->type != CUDNN_BACKEND_ENGINECFG_DESCRIPTOR)
			return CUDNN_STATUS_BAD_PARAM;
		c->finalized = 1;
	}
	*count = n;
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnBackendFinalize(cudnnBackendDescriptor_t d)
{
	struct backend_desc *b = d;

	if (b == NULL)
		return CUDNN_STATUS_BAD_PARAM;
	b->finalized = 1;
	return CUDNN_STATUS_SUCCESS;
}

EXPORT cudnnStatus_t cudnnBackendExecute(cudnnHandle_t h, cudnnBackendDescriptor_t plan,
					 cudnnBackendDescriptor_t pack)
{
	struct backend_desc *p = plan, *v = pack;
	const char *ns = getenv("FAKECUDNN_PLAN_NS");

	if (h == NULL || p == NULL || v == NULL || !p->finalized || !v->finalized ||
	    p->type != CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR ||
	    v->type != CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR)
		return CUDNN_STATUS_BAD_PARAM;
	fakegpu_submit(h->stream, ns && *ns ? strtoull(ns, NULL, 10) : 30000);
	return CUDNN_STATUS_SUCCESS;
}
