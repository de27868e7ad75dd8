/*
 * gpu_cudnn.c - cuDNN calls: counted on the host, timed on the GPU (gpu.h).
 *
 * A cuDNN call's shape lives in descriptors, not in its arguments.  The
 * wrappers ask cuDNN itself for it at call time (cudnnGetTensorNdDescriptor,
 * cudnnGetFilterNdDescriptor, ...: host-side getters that never touch the
 * GPU), resolved among the loaded objects with OPC_AUX, instead of
 * intercepting every descriptor set call: there is nothing to keep in step
 * with the program, and descriptors made before opcount was loaded (or by
 * a library opcount never saw) work the same.  If a getter is missing or
 * fails, the dimension stays 0 and the call is counted with no FLOPs.
 *
 * Convolutions: every pass is passed the forward output's descriptor (y or
 * dy) and the filter's, so the multiply-adds are y elements times the
 * filter's reduction length (its dims after K: C/groups and the filter
 * spatial dims, which is how cuDNN lays out a grouped filter).  Neither
 * padding, stride, dilation nor the group count need to be read from the
 * convolution descriptor: they are already in y and in the filter's shape.
 *
 * The graph (backend) API: cudnnBackendExecute is counted and timed with
 * one key per execution plan; what a plan costs comes from the mirror of
 * the graph the program built (gpu_cudnn_graph.c).
 *
 * Scaling factors (alpha, beta) are host pointers to double for double
 * data and to float otherwise (cuDNN's rule); they are read only to know
 * whether an output is also read (beta != 0).
 */
#define PR_FMT "opcount"

#include <stddef.h>
#include <stdint.h>

#include "cuda_abi.h"
#include "gpu.h"
#include "gpu_cudnn_graph.h"
#include "log.h"
#include "record.h"
#include "resolve.h"
#include "routines_gen.h"

/* A tensor or filter as the getters describe it. */
struct cudnn_tensor {
	int type;		/* cudnnDataType_t, -1 if unknown */
	int nbdims;
	int dims[OPC_CUDNN_DIM_MAX];
	int64_t elems;		/* 0 if unknown */
};

static int64_t dims_product(const int *dims, int from, int to)
{
	int64_t n = 1;

	for (int i = from; i < to; i++) {
		if (dims[i] <= 0)
			return 0;
		n *= dims[i];
	}
	return n;
}

static void tensor_get(void *desc, struct cudnn_tensor *t)
{
	opc_cudnn_get_tensor_nd_t get = OPC_AUX(get, "cudnnGetTensorNdDescriptor");
	int strides[OPC_CUDNN_DIM_MAX];

	t->type = -1;
	t->nbdims = 0;
	t->elems = 0;
	if (desc == NULL || get == NULL ||
	    get(desc, OPC_CUDNN_DIM_MAX, &t->type, &t->nbdims, t->dims, strides) !=
		    OPC_CUDNN_STATUS_SUCCESS ||
	    t->nbdims <= 0 || t->nbdims > OPC_CUDNN_DIM_MAX) {
		t->type = -1;
		t->nbdims = 0;
		return;
	}
	t->elems = dims_product(t->dims, 0, t->nbdims);
}

static void filter_get(void *desc, struct cudnn_tensor *t)
{
	opc_cudnn_get_filter_nd_t get = OPC_AUX(get, "cudnnGetFilterNdDescriptor");
	int format;

	t->type = -1;
	t->nbdims = 0;
	t->elems = 0;
	if (desc == NULL || get == NULL ||
	    get(desc, OPC_CUDNN_DIM_MAX, &t->type, &format, &t->nbdims, t->dims) !=
		    OPC_CUDNN_STATUS_SUCCESS ||
	    t->nbdims <= 0 || t->nbdims > OPC_CUDNN_DIM_MAX) {
		t->type = -1;
		t->nbdims = 0;
		return;
	}
	t->elems = dims_product(t->dims, 0, t->nbdims);
}

/* '0' if a host scaling factor is zero, '1' otherwise (or unknown) */
static char scalar_flag(const void *p, int type)
{
	if (p == NULL)
		return '1';
	if (type == OPC_CUDNN_DATA_DOUBLE)
		return *(const double *)p == 0 ? '0' : '1';
	return *(const float *)p == 0 ? '0' : '1';
}

/* The stream a handle's work goes to (NULL, the default stream, if unknown). */
static opc_cuda_stream_t cudnn_stream(void *handle)
{
	opc_cudnn_get_stream_t get = OPC_AUX(get, "cudnnGetStream");
	opc_cuda_stream_t s = NULL;

	if (get == NULL || get(handle, &s) != OPC_CUDNN_STATUS_SUCCESS)
		return NULL;
	return s;
}

/*
 * A convolution pass: y the forward output (y or dy), x the forward input
 * (x or dx), w the filter (w or dw); rd and wr the tensors read and the
 * one written, for the types.
 */
static void conv_shape(struct opc_shape *s, const struct cudnn_tensor *y,
		       const struct cudnn_tensor *x, const struct cudnn_tensor *w,
		       const struct cudnn_tensor *rd, const struct cudnn_tensor *wr)
{
	s->d[0] = y->elems;
	s->d[1] = w->nbdims > 1 ? dims_product(w->dims, 1, w->nbdims) : 0;
	s->d[2] = x->elems;
	s->d[3] = w->elems;
	s->f[0] = opc_cudnn_type_letter(rd->type);
	s->f[1] = opc_cudnn_type_letter(wr->type);
}

/*
 * The body of every wrapper: SHAPE fills `shape` (the key's) between
 * opc_gpu_begin and the real call; a status other than success means the
 * library refused the call and queued nothing.
 */
#define CUDNN_WRAP(sym, handle, ARGS, SHAPE)                                   \
	do {                                                                   \
		__typeof__(&sym) real = (__typeof__(&sym))opc_real(OPC_R_##sym); \
		struct opc_gpu_call g;                                         \
		struct opc_shape *shape;                                       \
		int ret;                                                       \
                                                                               \
		if (__builtin_expect(real == NULL, 0)) {                       \
			opc_real_missing(OPC_R_##sym);                         \
			return OPC_CUDNN_STATUS_NOT_INITIALIZED;               \
		}                                                              \
		if (!opc_gpu_begin(&g, OPC_R_##sym, __builtin_return_address(0))) \
			return real ARGS;                                      \
		shape = &g.call.key.shape;                                     \
		SHAPE;                                                         \
		g.stream = cudnn_stream(handle);                               \
		opc_gpu_enter(&g);                                             \
		ret = real ARGS;                                               \
		opc_gpu_exit(&g, ret == OPC_CUDNN_STATUS_SUCCESS);             \
		return ret;                                                    \
	} while (0)

/* ---- convolutions ---- */

OPC_EXPORT int cudnnConvolutionForward(void *handle, const void *alpha, void *xDesc,
				       const void *x, void *wDesc, const void *w,
				       void *convDesc, int algo, void *workSpace,
				       size_t workSpaceSizeInBytes, const void *beta,
				       void *yDesc, void *y)
{
	CUDNN_WRAP(cudnnConvolutionForward, handle,
		   (handle, alpha, xDesc, x, wDesc, w, convDesc, algo, workSpace,
		    workSpaceSizeInBytes, beta, yDesc, y), ({
			   struct cudnn_tensor tx, tw, ty;

			   tensor_get(xDesc, &tx);
			   filter_get(wDesc, &tw);
			   tensor_get(yDesc, &ty);
			   conv_shape(shape, &ty, &tx, &tw, &tx, &ty);
			   shape->f[2] = scalar_flag(beta, ty.type);
		   }));
}

OPC_EXPORT int cudnnConvolutionBackwardData(void *handle, const void *alpha, void *wDesc,
					    const void *w, void *dyDesc, const void *dy,
					    void *convDesc, int algo, void *workSpace,
					    size_t workSpaceSizeInBytes, const void *beta,
					    void *dxDesc, void *dx)
{
	CUDNN_WRAP(cudnnConvolutionBackwardData, handle,
		   (handle, alpha, wDesc, w, dyDesc, dy, convDesc, algo, workSpace,
		    workSpaceSizeInBytes, beta, dxDesc, dx), ({
			   struct cudnn_tensor tw, tdy, tdx;

			   filter_get(wDesc, &tw);
			   tensor_get(dyDesc, &tdy);
			   tensor_get(dxDesc, &tdx);
			   conv_shape(shape, &tdy, &tdx, &tw, &tdy, &tdx);
			   shape->f[2] = scalar_flag(beta, tdx.type);
		   }));
}

OPC_EXPORT int cudnnConvolutionBackwardFilter(void *handle, const void *alpha, void *xDesc,
					      const void *x, void *dyDesc, const void *dy,
					      void *convDesc, int algo, void *workSpace,
					      size_t workSpaceSizeInBytes, const void *beta,
					      void *dwDesc, void *dw)
{
	CUDNN_WRAP(cudnnConvolutionBackwardFilter, handle,
		   (handle, alpha, xDesc, x, dyDesc, dy, convDesc, algo, workSpace,
		    workSpaceSizeInBytes, beta, dwDesc, dw), ({
			   struct cudnn_tensor tx, tdy, tdw;

			   tensor_get(xDesc, &tx);
			   tensor_get(dyDesc, &tdy);
			   filter_get(dwDesc, &tdw);
			   conv_shape(shape, &tdy, &tx, &tdw, &tx, &tdw);
			   shape->f[2] = scalar_flag(beta, tdw.type);
		   }));
}

/* activation mode 'I' identity, 'A' any other (or unknown) */
static char activation_flag(void *desc)
{
	opc_cudnn_get_activation_t get = OPC_AUX(get, "cudnnGetActivationDescriptor");
	int mode, nan;
	double coef;

	if (desc == NULL || get == NULL ||
	    get(desc, &mode, &nan, &coef) != OPC_CUDNN_STATUS_SUCCESS)
		return 'A';
	return mode == OPC_CUDNN_ACTIVATION_IDENTITY ? 'I' : 'A';
}

OPC_EXPORT int cudnnConvolutionBiasActivationForward(
	void *handle, const void *alpha1, void *xDesc, const void *x, void *wDesc,
	const void *w, void *convDesc, int algo, void *workSpace, size_t workSpaceSizeInBytes,
	const void *alpha2, void *zDesc, const void *z, void *biasDesc, const void *bias,
	void *activationDesc, void *yDesc, void *y)
{
	CUDNN_WRAP(cudnnConvolutionBiasActivationForward, handle,
		   (handle, alpha1, xDesc, x, wDesc, w, convDesc, algo, workSpace,
		    workSpaceSizeInBytes, alpha2, zDesc, z, biasDesc, bias, activationDesc, yDesc,
		    y), ({
			   struct cudnn_tensor tx, tw, ty;

			   tensor_get(xDesc, &tx);
			   filter_get(wDesc, &tw);
			   tensor_get(yDesc, &ty);
			   conv_shape(shape, &ty, &tx, &tw, &tx, &ty);
			   shape->f[2] = scalar_flag(alpha2, ty.type);
			   shape->f[3] = activation_flag(activationDesc);
		   }));
}

/* ---- elementwise operations ---- */

/* d[0] = elements of the tensor, f[0] its type, f[1] beta */
static void elementwise_shape(struct opc_shape *s, void *desc, const void *beta)
{
	struct cudnn_tensor t;

	tensor_get(desc, &t);
	s->d[0] = t.elems;
	s->f[0] = opc_cudnn_type_letter(t.type);
	s->f[1] = scalar_flag(beta, t.type);
}

OPC_EXPORT int cudnnActivationForward(void *handle, void *activationDesc, const void *alpha,
				      void *xDesc, const void *x, const void *beta,
				      void *yDesc, void *y)
{
	CUDNN_WRAP(cudnnActivationForward, handle,
		   (handle, activationDesc, alpha, xDesc, x, beta, yDesc, y),
		   elementwise_shape(shape, yDesc, beta));
}

OPC_EXPORT int cudnnActivationBackward(void *handle, void *activationDesc, const void *alpha,
				       void *yDesc, const void *y, void *dyDesc,
				       const void *dy, void *xDesc, const void *x,
				       const void *beta, void *dxDesc, void *dx)
{
	CUDNN_WRAP(cudnnActivationBackward, handle,
		   (handle, activationDesc, alpha, yDesc, y, dyDesc, dy, xDesc, x, beta, dxDesc,
		    dx),
		   elementwise_shape(shape, dxDesc, beta));
}

/* d[0] y elements, d[1] window elements, d[2] x elements */
static void pooling_shape(struct opc_shape *s, void *poolDesc, void *yDesc, void *xDesc,
			  const void *beta)
{
	opc_cudnn_get_pooling_nd_t get = OPC_AUX(get, "cudnnGetPoolingNdDescriptor");
	int mode, nan, nbdims = 0, window[OPC_CUDNN_DIM_MAX], pad[OPC_CUDNN_DIM_MAX],
		stride[OPC_CUDNN_DIM_MAX];
	struct cudnn_tensor tx;

	elementwise_shape(s, yDesc, beta);
	tensor_get(xDesc, &tx);
	s->d[2] = tx.elems;
	if (poolDesc && get &&
	    get(poolDesc, OPC_CUDNN_DIM_MAX, &mode, &nan, &nbdims, window, pad, stride) ==
		    OPC_CUDNN_STATUS_SUCCESS &&
	    nbdims > 0 && nbdims <= OPC_CUDNN_DIM_MAX)
		s->d[1] = dims_product(window, 0, nbdims);
}

OPC_EXPORT int cudnnPoolingForward(void *handle, void *poolingDesc, const void *alpha,
				   void *xDesc, const void *x, const void *beta, void *yDesc,
				   void *y)
{
	CUDNN_WRAP(cudnnPoolingForward, handle,
		   (handle, poolingDesc, alpha, xDesc, x, beta, yDesc, y),
		   pooling_shape(shape, poolingDesc, yDesc, xDesc, beta));
}

OPC_EXPORT int cudnnPoolingBackward(void *handle, void *poolingDesc, const void *alpha,
				    void *yDesc, const void *y, void *dyDesc, const void *dy,
				    void *xDesc, const void *x, const void *beta, void *dxDesc,
				    void *dx)
{
	CUDNN_WRAP(cudnnPoolingBackward, handle,
		   (handle, poolingDesc, alpha, yDesc, y, dyDesc, dy, xDesc, x, beta, dxDesc,
		    dx),
		   pooling_shape(shape, poolingDesc, yDesc, dxDesc, beta));
}

OPC_EXPORT int cudnnSoftmaxForward(void *handle, int algo, int mode, const void *alpha,
				   void *xDesc, const void *x, const void *beta, void *yDesc,
				   void *y)
{
	CUDNN_WRAP(cudnnSoftmaxForward, handle,
		   (handle, algo, mode, alpha, xDesc, x, beta, yDesc, y), ({
			   elementwise_shape(shape, yDesc, beta);
			   shape->f[2] = algo == OPC_CUDNN_SOFTMAX_FAST ? 'F' :
					 algo == OPC_CUDNN_SOFTMAX_LOG ? 'L' : 'A';
		   }));
}

OPC_EXPORT int cudnnAddTensor(void *handle, const void *alpha, void *aDesc, const void *A,
			      const void *beta, void *cDesc, void *C)
{
	CUDNN_WRAP(cudnnAddTensor, handle, (handle, alpha, aDesc, A, beta, cDesc, C), ({
			   struct cudnn_tensor ta;

			   elementwise_shape(shape, cDesc, beta);
			   tensor_get(aDesc, &ta);
			   shape->d[1] = ta.elems;
		   }));
}

/* cudnnOpTensorOp_t as a letter: A add, M mul, m min, x max, S sqrt, N not */
static char op_tensor_flag(void *desc)
{
	opc_cudnn_get_op_tensor_t get = OPC_AUX(get, "cudnnGetOpTensorDescriptor");
	int op, type, nan;

	if (desc == NULL || get == NULL || get(desc, &op, &type, &nan) != OPC_CUDNN_STATUS_SUCCESS)
		return '?';
	return op >= 0 && op <= OPC_CUDNN_OP_TENSOR_NOT ? "AMmxSN"[op] : '?';
}

OPC_EXPORT int cudnnOpTensor(void *handle, void *opTensorDesc, const void *alpha1,
			     void *aDesc, const void *A, const void *alpha2, void *bDesc,
			     const void *B, const void *beta, void *cDesc, void *C)
{
	CUDNN_WRAP(cudnnOpTensor, handle,
		   (handle, opTensorDesc, alpha1, aDesc, A, alpha2, bDesc, B, beta, cDesc, C), ({
			   struct cudnn_tensor ta, tb;

			   elementwise_shape(shape, cDesc, beta);
			   tensor_get(aDesc, &ta);
			   tensor_get(bDesc, &tb);
			   shape->d[1] = ta.elems;
			   shape->d[2] = tb.elems;
			   shape->f[2] = op_tensor_flag(opTensorDesc);
		   }));
}

/* ---- batch normalisation: d[0] elements of x, d[1] statistics ---- */

static void bn_shape(struct opc_shape *s, void *xDesc, void *bnDesc, const void *beta)
{
	struct cudnn_tensor tb;

	elementwise_shape(s, xDesc, beta);
	tensor_get(bnDesc, &tb);
	s->d[1] = tb.elems;
}

OPC_EXPORT int cudnnBatchNormalizationForwardInference(
	void *handle, int mode, const void *alpha, const void *beta, void *xDesc, const void *x,
	void *yDesc, void *y, void *bnScaleBiasMeanVarDesc, const void *bnScale,
	const void *bnBias, const void *estimatedMean, const void *estimatedVariance,
	double epsilon)
{
	CUDNN_WRAP(cudnnBatchNormalizationForwardInference, handle,
		   (handle, mode, alpha, beta, xDesc, x, yDesc, y, bnScaleBiasMeanVarDesc, bnScale,
		    bnBias, estimatedMean, estimatedVariance, epsilon),
		   bn_shape(shape, xDesc, bnScaleBiasMeanVarDesc, beta));
}

OPC_EXPORT int cudnnBatchNormalizationForwardTraining(
	void *handle, int mode, const void *alpha, const void *beta, void *xDesc, const void *x,
	void *yDesc, void *y, void *bnScaleBiasMeanVarDesc, const void *bnScale,
	const void *bnBias, double exponentialAverageFactor, void *resultRunningMean,
	void *resultRunningVariance, double epsilon, void *resultSaveMean,
	void *resultSaveInvVariance)
{
	CUDNN_WRAP(cudnnBatchNormalizationForwardTraining, handle,
		   (handle, mode, alpha, beta, xDesc, x, yDesc, y, bnScaleBiasMeanVarDesc, bnScale,
		    bnBias, exponentialAverageFactor, resultRunningMean, resultRunningVariance,
		    epsilon, resultSaveMean, resultSaveInvVariance), ({
			   bn_shape(shape, xDesc, bnScaleBiasMeanVarDesc, beta);
			   shape->f[2] = resultRunningMean && resultRunningVariance ? 'r' : '-';
			   shape->f[3] = resultSaveMean && resultSaveInvVariance ? 's' : '-';
		   }));
}

OPC_EXPORT int cudnnBatchNormalizationBackward(
	void *handle, int mode, const void *alphaDataDiff, const void *betaDataDiff,
	const void *alphaParamDiff, const void *betaParamDiff, void *xDesc, const void *x,
	void *dyDesc, const void *dy, void *dxDesc, void *dx, void *dBnScaleBiasDesc,
	const void *bnScale, void *dBnScaleResult, void *dBnBiasResult, double epsilon,
	const void *savedMean, const void *savedInvVariance)
{
	CUDNN_WRAP(cudnnBatchNormalizationBackward, handle,
		   (handle, mode, alphaDataDiff, betaDataDiff, alphaParamDiff, betaParamDiff, xDesc,
		    x, dyDesc, dy, dxDesc, dx, dBnScaleBiasDesc, bnScale, dBnScaleResult,
		    dBnBiasResult, epsilon, savedMean, savedInvVariance), ({
			   bn_shape(shape, xDesc, dBnScaleBiasDesc, betaDataDiff);
			   shape->f[2] = scalar_flag(betaParamDiff,
						     shape->f[0] == 'd' ? OPC_CUDNN_DATA_DOUBLE
									: OPC_CUDNN_DATA_FLOAT);
			   shape->f[3] = savedMean && savedInvVariance ? 's' : '-';
		   }));
}

/* A plan costed at its finalisation is recorded as cudnnBackendExecute_graph. */
static void plan_shape(struct opc_shape *s, uint16_t *rid, void *plan)
{
	struct opc_cudnn_plan_cost c;

	s->d[0] = (int64_t)(uintptr_t)plan;
	if (!opc_cudnn_plan_lookup(plan, &c))
		return;
	*rid = OPC_R_cudnnBackendExecute_graph;
	s->d[0] = c.flops;
	s->d[1] = c.bytes;
	s->d[2] = (int64_t)(uintptr_t)plan;
	s->d[3] = c.other;
}

OPC_EXPORT int cudnnBackendExecute(void *handle, void *executionPlan, void *variantPack)
{
	CUDNN_WRAP(cudnnBackendExecute, handle, (handle, executionPlan, variantPack),
		   plan_shape(shape, &g.call.key.rid, executionPlan));
}
