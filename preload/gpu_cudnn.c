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
 * one key per execution plan (the plan's address is a key dimension).  A
 * finalised plan cannot be asked what it computes without creating
 * descriptors of the right types to receive every node, so the wrappers
 * of cudnnBackendCreateDescriptor, SetAttribute, GetAttribute, Finalize
 * and DestroyDescriptor mirror, as the program builds it, the little the
 * cost needs: tensors, convolution and matmul operations, the graph, its
 * engine, engine configuration (set, or handed out by the heuristics) and
 * plan.  When a plan is finalised its FLOPs and bytes are added up and
 * published in a table keyed by the plan; cudnnBackendExecute only looks
 * the plan up, without a lock.  A plan found there is recorded as
 * cudnnBackendExecute_graph with its cost; one not found (no countable
 * node, or built where opcount could not see it) stays cudnnBackendExecute,
 * FLOPs unknown.
 *
 * Scaling factors (alpha, beta) are host pointers to double for double
 * data and to float otherwise (cuDNN's rule); they are read only to know
 * whether an output is also read (beta != 0).
 */
#define PR_FMT "opcount"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_abi.h"
#include "gpu.h"
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

/* cudnnDataType_t as the type letter of common/cost.c ('?' unknown) */
static char type_letter(int type)
{
	switch (type) {
	case OPC_CUDNN_DATA_FLOAT: return 's';
	case OPC_CUDNN_DATA_DOUBLE: return 'd';
	case OPC_CUDNN_DATA_HALF: return 'h';
	case OPC_CUDNN_DATA_BFLOAT16: return 'b';
	case OPC_CUDNN_DATA_INT8:
	case OPC_CUDNN_DATA_INT8x4:
	case OPC_CUDNN_DATA_INT8x32: return 'i';
	case OPC_CUDNN_DATA_UINT8:
	case OPC_CUDNN_DATA_UINT8x4: return 'u';
	case OPC_CUDNN_DATA_INT32:
	case OPC_CUDNN_DATA_UINT32: return 'I';
	case OPC_CUDNN_DATA_INT64: return 'l';
	case OPC_CUDNN_DATA_BOOLEAN: return 'B';
	case OPC_CUDNN_DATA_FP8_E4M3:
	case OPC_CUDNN_DATA_FP8_E5M2:
	case OPC_CUDNN_DATA_FP8_E8M0: return '8';
	case OPC_CUDNN_DATA_FP4_E2M1:
	case OPC_CUDNN_DATA_INT4:
	case OPC_CUDNN_DATA_UINT4: return '4';
	case OPC_CUDNN_DATA_COMPLEX_FP32: return 'c';
	case OPC_CUDNN_DATA_COMPLEX_FP64: return 'z';
	}
	return '?';
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
	s->f[0] = type_letter(rd->type);
	s->f[1] = type_letter(wr->type);
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
	s->f[0] = type_letter(t.type);
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

/* ---- the graph API ----
 *
 * The mirror: one entry per descriptor of a type the cost needs, keyed by
 * its address, under graph_lock (descriptors are made once and used many
 * times: none of this is on a hot path).  A descriptor that refers to
 * another (an operation to its tensors, a graph to its operations, a plan
 * to its engine configuration) copies what it needs out of it when the
 * attribute is set, as cuDNN does, so the program may destroy the
 * referenced descriptor afterwards.  Attributes are mirrored only once the
 * real call has accepted them.
 */

struct gtensor {
	int set;		/* dimensions known */
	int nbdims;
	int type;		/* cudnnDataType_t, -1 if unknown */
	int virt;		/* never in memory: an intermediate of a fused graph */
	int64_t dims[OPC_CUDNN_DIM_MAX];
};

/* what a graph, and the engine, configuration or plan made from it, cost */
struct gcost {
	int known;		/* a graph was seen */
	int counted, other;	/* nodes costed, nodes not (pointwise, ...) */
	int64_t flops;
	double bytes;
};

struct gdesc {
	struct gdesc *next;
	void *desc;
	int type;		/* cudnnBackendDescriptorType_t */
	union {
		struct gtensor t;
		struct {	/* conv: x (dx), w (dw), y (dy); matmul: a, b, c */
			struct gtensor io[3];
			int beta;	/* output read too */
		} op;
		struct gcost cost;
	} u;
};

#define GDESC_BUCKETS 1024

static pthread_mutex_t graph_lock = PTHREAD_MUTEX_INITIALIZER;

/* fork: the child gets the mirror as it was, never a lock held by a
 * thread it does not have (shim.c's handlers call these) */
void opc_cudnn_atfork_prepare(void)
{
	pthread_mutex_lock(&graph_lock);
}

void opc_cudnn_atfork_parent(void)
{
	pthread_mutex_unlock(&graph_lock);
}

void opc_cudnn_atfork_child(void)
{
	pthread_mutex_init(&graph_lock, NULL);
}
static struct gdesc *gdesc_tab[GDESC_BUCKETS];

static unsigned ptr_hash(const void *p, int bits)
{
	return (unsigned)(((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ull >> (64 - bits));
}

static int gdesc_mirrored(int type)
{
	switch (type) {
	case OPC_CUDNN_BACKEND_TENSOR:
	case OPC_CUDNN_BACKEND_OP_CONV_FWD:
	case OPC_CUDNN_BACKEND_OP_CONV_BWD_DATA:
	case OPC_CUDNN_BACKEND_OP_CONV_BWD_FILTER:
	case OPC_CUDNN_BACKEND_OP_MATMUL:
	case OPC_CUDNN_BACKEND_OPERATIONGRAPH:
	case OPC_CUDNN_BACKEND_ENGINE:
	case OPC_CUDNN_BACKEND_ENGINECFG:
	case OPC_CUDNN_BACKEND_ENGINEHEUR:
	case OPC_CUDNN_BACKEND_EXECUTION_PLAN:
		return 1;
	}
	return 0;
}

/* with graph_lock held */
static struct gdesc *gdesc_find(const void *d)
{
	struct gdesc *e;

	if (d == NULL)
		return NULL;
	for (e = gdesc_tab[ptr_hash(d, 10)]; e; e = e->next)
		if (e->desc == d)
			return e;
	return NULL;
}

static struct gdesc *gdesc_find_type(const void *d, int type)
{
	struct gdesc *e = gdesc_find(d);

	return e && e->type == type ? e : NULL;
}

/* ---- execution plans: the table cudnnBackendExecute reads ----
 *
 * Open addressing, written under graph_lock, read without a lock: a
 * sequence counter, odd while a writer changes the table, tells a reader
 * to look again (plans are finalised and destroyed rarely, executed
 * often).  Deletion shifts entries back, so there are no tombstones.
 */
#define PLAN_BITS 13
#define PLAN_SLOTS (1u << PLAN_BITS)

struct plan_slot {
	uintptr_t plan;		/* 0: free */
	int64_t flops, bytes, other;
};

static unsigned plan_seq;
static unsigned plan_used;
static struct plan_slot plan_tab[PLAN_SLOTS];

static void plan_write_begin(void)
{
	__atomic_store_n(&plan_seq, plan_seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void plan_write_end(void)
{
	__atomic_store_n(&plan_seq, plan_seq + 1, __ATOMIC_RELEASE);
}

static void plan_slot_store(struct plan_slot *s, const struct plan_slot *v)
{
	__atomic_store_n(&s->flops, v->flops, __ATOMIC_RELAXED);
	__atomic_store_n(&s->bytes, v->bytes, __ATOMIC_RELAXED);
	__atomic_store_n(&s->other, v->other, __ATOMIC_RELAXED);
	__atomic_store_n(&s->plan, v->plan, __ATOMIC_RELAXED);
}

/* with graph_lock held */
static void plan_remove(const void *plan)
{
	unsigned i = ptr_hash(plan, PLAN_BITS), n;
	static const struct plan_slot empty;

	for (n = 0; n < PLAN_SLOTS && plan_tab[i].plan != (uintptr_t)plan; n++) {
		if (plan_tab[i].plan == 0)
			return;
		i = (i + 1) & (PLAN_SLOTS - 1);
	}
	if (n == PLAN_SLOTS)
		return;
	plan_write_begin();
	for (unsigned j = i;;) {
		unsigned home;

		j = (j + 1) & (PLAN_SLOTS - 1);
		if (plan_tab[j].plan == 0)
			break;
		home = ptr_hash((void *)plan_tab[j].plan, PLAN_BITS);
		/* move j back into the hole at i unless its home lies in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			plan_slot_store(&plan_tab[i], &plan_tab[j]);
			i = j;
		}
	}
	plan_slot_store(&plan_tab[i], &empty);
	plan_used--;
	plan_write_end();
}

/* with graph_lock held; 0 or -ENOSPC */
static int plan_publish(const void *plan, const struct gcost *c)
{
	struct plan_slot v = { (uintptr_t)plan, c->flops, llround(c->bytes), c->other };
	unsigned i = ptr_hash(plan, PLAN_BITS);

	plan_remove(plan);
	if (plan_used >= PLAN_SLOTS / 4 * 3)
		return -ENOSPC;
	while (plan_tab[i].plan)
		i = (i + 1) & (PLAN_SLOTS - 1);
	plan_write_begin();
	plan_slot_store(&plan_tab[i], &v);
	plan_used++;
	plan_write_end();
	return 0;
}

/* cudnnBackendExecute's look-up: 1 and the plan's cost if it is known */
static int plan_lookup(const void *plan, struct plan_slot *out)
{
	for (;;) {
		unsigned seq = __atomic_load_n(&plan_seq, __ATOMIC_ACQUIRE), i, n;
		int found = 0;

		i = ptr_hash(plan, PLAN_BITS);
		for (n = 0; n < PLAN_SLOTS; n++, i = (i + 1) & (PLAN_SLOTS - 1)) {
			uintptr_t p = __atomic_load_n(&plan_tab[i].plan, __ATOMIC_RELAXED);

			if (p == 0)
				break;
			if (p != (uintptr_t)plan)
				continue;
			out->flops = __atomic_load_n(&plan_tab[i].flops, __ATOMIC_RELAXED);
			out->bytes = __atomic_load_n(&plan_tab[i].bytes, __ATOMIC_RELAXED);
			out->other = __atomic_load_n(&plan_tab[i].other, __ATOMIC_RELAXED);
			found = 1;
			break;
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (!(seq & 1) && __atomic_load_n(&plan_seq, __ATOMIC_RELAXED) == seq)
			return found;
	}
}

/* ---- the cost of an operation graph ---- */

/* bytes per element of a type letter (common/cost.c's convention) */
static double letter_size(char t)
{
	switch (t) {
	case 'd': case 'l': case 'c': return 8;
	case 'z': return 16;
	case 's': case 'I': return 4;
	case 'h': case 'b': return 2;
	case 'i': case 'u': case '8': case 'B': return 1;
	case '4': return 0.5;
	}
	return 0;
}

static int64_t gtensor_elems(const struct gtensor *t, int from, int to)
{
	int64_t n = 1;

	if (!t->set || from < 0 || to > t->nbdims)
		return 0;
	for (int i = from; i < to; i++) {
		if (t->dims[i] <= 0)
			return 0;
		n *= t->dims[i];
	}
	return n;
}

static double gtensor_bytes(const struct gtensor *t)
{
	if (t->virt)
		return 0;
	return (double)gtensor_elems(t, 0, t->nbdims) * letter_size(type_letter(t->type));
}

/* Add one operation node to c: costed if it is a convolution or a matmul
 * whose tensors are all known, counted as other otherwise. */
static void node_cost(const struct gdesc *op, struct gcost *c)
{
	const struct gtensor *io = op ? op->u.op.io : NULL;
	int64_t flops = 0;
	double bytes = 0;
	int wr = -1;

	switch (op ? op->type : -1) {
	case OPC_CUDNN_BACKEND_OP_CONV_FWD:
		wr = 2;
		/* fall through */
	case OPC_CUDNN_BACKEND_OP_CONV_BWD_DATA:
		if (wr < 0)
			wr = 0;
		/* fall through */
	case OPC_CUDNN_BACKEND_OP_CONV_BWD_FILTER:
		if (wr < 0)
			wr = 1;
		/* y (dy) elements times the filter's reduction length, as the
		 * legacy calls: C/groups times the filter taps */
		flops = 2 * gtensor_elems(&io[2], 0, io[2].nbdims) *
			gtensor_elems(&io[1], 1, io[1].nbdims);
		if (!io[0].set || flops <= 0)
			break;
		for (int i = 0; i < 3; i++)
			bytes += (i == wr && op->u.op.beta ? 2 : 1) * gtensor_bytes(&io[i]);
		break;
	case OPC_CUDNN_BACKEND_OP_MATMUL: {
		/* C[batch.., m, n] = A[batch.., m, k] B[batch.., k, n] */
		int nb = io[2].nbdims, na = io[0].nbdims;

		if (nb < 2 || na < 2 || !io[1].set)
			break;
		flops = 2 * gtensor_elems(&io[2], 0, nb) * gtensor_elems(&io[0], na - 1, na);
		for (int i = 0; i < 3; i++)
			bytes += gtensor_bytes(&io[i]);
		break;
	}
	}
	if (flops > 0) {
		c->counted++;
		c->flops += flops;
		c->bytes += bytes;
	} else {
		c->other++;
	}
}

/* ---- mirroring the descriptors ---- */

static void gdesc_create(int type, void *d)
{
	struct gdesc *e;
	static int warned;

	if (d == NULL || !gdesc_mirrored(type))
		return;
	pthread_mutex_lock(&graph_lock);
	e = gdesc_find(d);	/* one made where opcount did not see it go */
	if (e == NULL && (e = calloc(1, sizeof(*e))) != NULL) {
		unsigned b = ptr_hash(d, 10);

		e->desc = d;
		e->next = gdesc_tab[b];
		gdesc_tab[b] = e;
	} else if (e) {
		struct gdesc *next = e->next;

		memset(e, 0, sizeof(*e));
		e->desc = d;
		e->next = next;
		plan_remove(d);
	}
	if (e) {
		e->type = type;
		if (type == OPC_CUDNN_BACKEND_TENSOR)
			e->u.t.type = -1;
	} else if (!warned++) {
		pr_warn("out of memory: cuDNN graph plans may go uncosted");
	}
	pthread_mutex_unlock(&graph_lock);
}

static void gdesc_destroy(void *d)
{
	struct gdesc **pp;

	if (d == NULL)
		return;
	pthread_mutex_lock(&graph_lock);
	for (pp = &gdesc_tab[ptr_hash(d, 10)]; *pp; pp = &(*pp)->next) {
		if ((*pp)->desc == d) {
			struct gdesc *e = *pp;

			*pp = e->next;
			if (e->type == OPC_CUDNN_BACKEND_EXECUTION_PLAN)
				plan_remove(d);
			free(e);
			break;
		}
	}
	pthread_mutex_unlock(&graph_lock);
}

/* The operand slot of an operation attribute, -1 if none. */
static int op_slot(int name)
{
	switch (name) {
	case OPC_CUDNN_ATTR_OP_CONV_FWD_X:
	case OPC_CUDNN_ATTR_OP_CONV_BWD_DATA_DX:
	case OPC_CUDNN_ATTR_OP_CONV_BWD_FILTER_X:
	case OPC_CUDNN_ATTR_OP_MATMUL_ADESC:
		return 0;
	case OPC_CUDNN_ATTR_OP_CONV_FWD_W:
	case OPC_CUDNN_ATTR_OP_CONV_BWD_DATA_W:
	case OPC_CUDNN_ATTR_OP_CONV_BWD_FILTER_DW:
	case OPC_CUDNN_ATTR_OP_MATMUL_BDESC:
		return 1;
	case OPC_CUDNN_ATTR_OP_CONV_FWD_Y:
	case OPC_CUDNN_ATTR_OP_CONV_BWD_DATA_DY:
	case OPC_CUDNN_ATTR_OP_CONV_BWD_FILTER_DY:
	case OPC_CUDNN_ATTR_OP_MATMUL_CDESC:
		return 2;
	}
	return -1;
}

/* The attribute that hands a cost down the chain graph -> engine (or
 * heuristics) -> engine configuration -> plan, and the type it refers to. */
static int cost_source(int type, int name)
{
	switch (type) {
	case OPC_CUDNN_BACKEND_ENGINE:
		return name == OPC_CUDNN_ATTR_ENGINE_OPERATION_GRAPH ?
			OPC_CUDNN_BACKEND_OPERATIONGRAPH : -1;
	case OPC_CUDNN_BACKEND_ENGINEHEUR:
		return name == OPC_CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH ?
			OPC_CUDNN_BACKEND_OPERATIONGRAPH : -1;
	case OPC_CUDNN_BACKEND_ENGINECFG:
		return name == OPC_CUDNN_ATTR_ENGINECFG_ENGINE ? OPC_CUDNN_BACKEND_ENGINE : -1;
	case OPC_CUDNN_BACKEND_EXECUTION_PLAN:
		return name == OPC_CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG ?
			OPC_CUDNN_BACKEND_ENGINECFG : -1;
	}
	return -1;
}

static void gdesc_set(void *d, int name, int atype, int64_t count, const void *v)
{
	void *const *refs = v;
	struct gdesc *e, *r;
	int slot, src;

	if (v == NULL || count < 1)
		return;
	pthread_mutex_lock(&graph_lock);
	if ((e = gdesc_find(d)) == NULL)
		goto out;
	switch (e->type) {
	case OPC_CUDNN_BACKEND_TENSOR:
		if (name == OPC_CUDNN_ATTR_TENSOR_DATA_TYPE && atype == OPC_CUDNN_TYPE_DATA_TYPE)
			e->u.t.type = *(const int *)v;
		else if (name == OPC_CUDNN_ATTR_TENSOR_DIMENSIONS && atype == OPC_CUDNN_TYPE_INT64 &&
			 count <= OPC_CUDNN_DIM_MAX) {
			memcpy(e->u.t.dims, v, count * sizeof(int64_t));
			e->u.t.nbdims = (int)count;
			e->u.t.set = 1;
		} else if (name == OPC_CUDNN_ATTR_TENSOR_IS_VIRTUAL && atype == OPC_CUDNN_TYPE_BOOLEAN)
			e->u.t.virt = *(const _Bool *)v;
		break;
	case OPC_CUDNN_BACKEND_OP_CONV_FWD:
	case OPC_CUDNN_BACKEND_OP_CONV_BWD_DATA:
	case OPC_CUDNN_BACKEND_OP_CONV_BWD_FILTER:
	case OPC_CUDNN_BACKEND_OP_MATMUL:
		if (name == OPC_CUDNN_ATTR_OP_CONV_FWD_BETA ||
		    name == OPC_CUDNN_ATTR_OP_CONV_BWD_DATA_BETA ||
		    name == OPC_CUDNN_ATTR_OP_CONV_BWD_FILTER_BETA) {
			/* an unknown scaling type: the output is read, as in scalar_flag */
			e->u.op.beta = atype == OPC_CUDNN_TYPE_DOUBLE ? *(const double *)v != 0 :
				       atype == OPC_CUDNN_TYPE_FLOAT ? *(const float *)v != 0 : 1;
			break;
		}
		if ((slot = op_slot(name)) < 0 || atype != OPC_CUDNN_TYPE_BACKEND_DESCRIPTOR)
			break;
		r = gdesc_find_type(refs[0], OPC_CUDNN_BACKEND_TENSOR);
		if (r)
			e->u.op.io[slot] = r->u.t;
		else
			memset(&e->u.op.io[slot], 0, sizeof(e->u.op.io[slot]));
		break;
	case OPC_CUDNN_BACKEND_OPERATIONGRAPH:
		if (name != OPC_CUDNN_ATTR_OPERATIONGRAPH_OPS ||
		    atype != OPC_CUDNN_TYPE_BACKEND_DESCRIPTOR)
			break;
		memset(&e->u.cost, 0, sizeof(e->u.cost));
		e->u.cost.known = 1;
		for (int64_t i = 0; i < count; i++)
			node_cost(gdesc_find(refs[i]), &e->u.cost);
		break;
	default:
		if ((src = cost_source(e->type, name)) < 0 ||
		    atype != OPC_CUDNN_TYPE_BACKEND_DESCRIPTOR)
			break;
		r = gdesc_find_type(refs[0], src);
		if (r)
			e->u.cost = r->u.cost;
		else
			memset(&e->u.cost, 0, sizeof(e->u.cost));
		break;
	}
out:
	pthread_mutex_unlock(&graph_lock);
}

/* The heuristics hand out engine configurations for their graph. */
static void gdesc_get(void *d, int name, int atype, int64_t req, const int64_t *count,
		      void *const *v)
{
	struct gdesc *e, *r;
	int64_t n = count ? *count : req;

	if (name != OPC_CUDNN_ATTR_ENGINEHEUR_RESULTS || atype != OPC_CUDNN_TYPE_BACKEND_DESCRIPTOR ||
	    v == NULL)
		return;
	if (n > req)
		n = req;
	pthread_mutex_lock(&graph_lock);
	if ((e = gdesc_find_type(d, OPC_CUDNN_BACKEND_ENGINEHEUR)) != NULL)
		for (int64_t i = 0; i < n; i++)
			if ((r = gdesc_find_type(v[i], OPC_CUDNN_BACKEND_ENGINECFG)) != NULL)
				r->u.cost = e->u.cost;
	pthread_mutex_unlock(&graph_lock);
}

static void gdesc_finalize(void *d)
{
	struct gdesc *e;
	static int warned;

	pthread_mutex_lock(&graph_lock);
	if ((e = gdesc_find_type(d, OPC_CUDNN_BACKEND_EXECUTION_PLAN)) != NULL) {
		const struct gcost *c = &e->u.cost;

		plan_remove(d);
		if (c->counted > 0 && plan_publish(d, c) < 0 && !warned++)
			pr_warn("more than %u cuDNN plans at once: the others go uncosted",
				PLAN_SLOTS / 4 * 3);
		pr_dbg(1, "cuDNN plan %p: %s, %d nodes costed (%lld FLOPs, %.0f bytes), %d not",
		       d, c->known ? "graph seen" : "no graph seen", c->counted,
		       (long long)c->flops, c->bytes, c->other);
	}
	pthread_mutex_unlock(&graph_lock);
}

/*
 * The descriptor calls themselves are forwarded to cuDNN (looked up among
 * the loaded objects, never counted) and mirrored when cuDNN accepted them.
 */
#define CUDNN_AUX_CALL(sym, ...)                                               \
	({                                                                     \
		__typeof__(&sym) real = OPC_AUX(real, #sym);                   \
		real ? real(__VA_ARGS__) : OPC_CUDNN_STATUS_NOT_INITIALIZED;   \
	})

OPC_EXPORT int cudnnBackendCreateDescriptor(int descriptorType, void **descriptor)
{
	int ret = CUDNN_AUX_CALL(cudnnBackendCreateDescriptor, descriptorType, descriptor);
	int saved_errno = errno;

	if (ret == OPC_CUDNN_STATUS_SUCCESS && descriptor)
		gdesc_create(descriptorType, *descriptor);
	errno = saved_errno;
	return ret;
}

OPC_EXPORT int cudnnBackendDestroyDescriptor(void *descriptor)
{
	int saved_errno = errno;

	/* before cuDNN frees it: after, the address may already be another's */
	gdesc_destroy(descriptor);
	errno = saved_errno;
	return CUDNN_AUX_CALL(cudnnBackendDestroyDescriptor, descriptor);
}

OPC_EXPORT int cudnnBackendSetAttribute(void *descriptor, int attributeName, int attributeType,
					int64_t elementCount, const void *arrayOfElements)
{
	int ret = CUDNN_AUX_CALL(cudnnBackendSetAttribute, descriptor, attributeName,
				 attributeType, elementCount, arrayOfElements);
	int saved_errno = errno;

	if (ret == OPC_CUDNN_STATUS_SUCCESS)
		gdesc_set(descriptor, attributeName, attributeType, elementCount,
			  arrayOfElements);
	errno = saved_errno;
	return ret;
}

OPC_EXPORT int cudnnBackendGetAttribute(void *const descriptor, int attributeName,
					int attributeType, int64_t requestedElementCount,
					int64_t *elementCount, void *arrayOfElements)
{
	int ret = CUDNN_AUX_CALL(cudnnBackendGetAttribute, descriptor, attributeName,
				 attributeType, requestedElementCount, elementCount,
				 arrayOfElements);
	int saved_errno = errno;

	if (ret == OPC_CUDNN_STATUS_SUCCESS)
		gdesc_get(descriptor, attributeName, attributeType, requestedElementCount,
			  elementCount, arrayOfElements);
	errno = saved_errno;
	return ret;
}

OPC_EXPORT int cudnnBackendFinalize(void *descriptor)
{
	int ret = CUDNN_AUX_CALL(cudnnBackendFinalize, descriptor);
	int saved_errno = errno;

	if (ret == OPC_CUDNN_STATUS_SUCCESS)
		gdesc_finalize(descriptor);
	errno = saved_errno;
	return ret;
}

/* A plan costed at its finalisation is recorded as cudnnBackendExecute_graph. */
static void plan_shape(struct opc_shape *s, uint16_t *rid, void *plan)
{
	struct plan_slot c;

	s->d[0] = (int64_t)(uintptr_t)plan;
	if (!plan_lookup(plan, &c))
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
