/*
 * cuda_abi.h - the few CUDA runtime, cuBLAS and cuDNN ABI facts that
 * libopcount.so relies on, so that it builds without the CUDA toolkit and
 * runs on machines without it (everything is resolved at run time).
 * Values are those of the CUDA 13 headers (driver_types.h, cublas_api.h,
 * cudnn_*.h); tests/gpu/cuda_abi.c, cublas_loop.c and cudart_ops.c
 * check them against the real headers at compile time wherever the toolkit
 * is installed (make test builds them).
 */
#ifndef OPC_CUDA_ABI_H
#define OPC_CUDA_ABI_H

#include <stddef.h>

typedef int opc_cuda_error_t;		/* cudaError_t */
typedef void *opc_cuda_stream_t;	/* cudaStream_t: struct CUstream_st * */
typedef void *opc_cuda_event_t;		/* cudaEvent_t: struct CUevent_st * */

#define OPC_CUDA_SUCCESS		0	/* cudaSuccess */
#define OPC_CUDA_ERROR_NOT_READY	600	/* cudaErrorNotReady */
#define OPC_CUDA_EVENT_DEFAULT		0x00	/* cudaEventDefault: timing on */
#define OPC_CUDA_STREAM_CAPTURE_NONE	0	/* cudaStreamCaptureStatusNone */

/* cudaError_t cudaEventCreateWithFlags(cudaEvent_t *, unsigned int) etc. */
typedef opc_cuda_error_t (*opc_cuda_event_create_t)(opc_cuda_event_t *, unsigned);
typedef opc_cuda_error_t (*opc_cuda_event_destroy_t)(opc_cuda_event_t);
typedef opc_cuda_error_t (*opc_cuda_event_record_t)(opc_cuda_event_t, opc_cuda_stream_t);
typedef opc_cuda_error_t (*opc_cuda_event_query_t)(opc_cuda_event_t);
typedef opc_cuda_error_t (*opc_cuda_event_elapsed_t)(float *, opc_cuda_event_t, opc_cuda_event_t);
typedef opc_cuda_error_t (*opc_cuda_get_device_t)(int *);
typedef opc_cuda_error_t (*opc_cuda_set_device_t)(int);
/* cudaStreamIsCapturing(cudaStream_t, enum cudaStreamCaptureStatus *) */
typedef opc_cuda_error_t (*opc_cuda_is_capturing_t)(opc_cuda_stream_t, int *);
typedef opc_cuda_error_t (*opc_cuda_get_last_error_t)(void);

/* CUDA runtime calls wrapped in preload/gpu_cudart.c (driver_types.h,
 * vector_types.h; checked by tests/gpu/cudart_ops.c against the headers) */
#define OPC_CUDA_MEMCPY_H2H	0	/* cudaMemcpyHostToHost */
#define OPC_CUDA_MEMCPY_H2D	1	/* cudaMemcpyHostToDevice */
#define OPC_CUDA_MEMCPY_D2H	2	/* cudaMemcpyDeviceToHost */
#define OPC_CUDA_MEMCPY_D2D	3	/* cudaMemcpyDeviceToDevice */
#define OPC_CUDA_MEMCPY_DEFAULT	4	/* cudaMemcpyDefault: inferred from the pointers */
#define OPC_CUDA_STREAM_PER_THREAD ((opc_cuda_stream_t)0x2)	/* cudaStreamPerThread */
struct opc_cuda_dim3 {			/* dim3, passed by value */
	unsigned x, y, z;
};
struct opc_cuda_launch_config {		/* cudaLaunchConfig_t */
	struct opc_cuda_dim3 grid, block;
	size_t smem;
	opc_cuda_stream_t stream;
	void *attrs;			/* cudaLaunchAttribute * */
	unsigned nattrs;
};

/* cuBLAS: cublasStatus_t is an int enum, cublasHandle_t a pointer */
#define OPC_CUBLAS_STATUS_SUCCESS		0
#define OPC_CUBLAS_STATUS_NOT_INITIALIZED	1
#define OPC_CUBLAS_OP_N		0
#define OPC_CUBLAS_OP_T		1
#define OPC_CUBLAS_OP_C		2	/* CUBLAS_OP_HERMITAN */
#define OPC_CUBLAS_OP_CONJG	3	/* conjugate, no transpose */
#define OPC_CUBLAS_FILL_MODE_LOWER	0
#define OPC_CUBLAS_FILL_MODE_UPPER	1
#define OPC_CUBLAS_SIDE_LEFT	0
#define OPC_CUBLAS_SIDE_RIGHT	1
#define OPC_CUBLAS_DIAG_NON_UNIT 0
#define OPC_CUBLAS_DIAG_UNIT	1
#define OPC_CUBLAS_POINTER_MODE_HOST	0
#define OPC_CUBLAS_POINTER_MODE_DEVICE	1

/* cudaDataType_t (library_types.h) */
#define OPC_CUDA_R_32F		0
#define OPC_CUDA_R_64F		1
#define OPC_CUDA_R_16F		2
#define OPC_CUDA_R_8I		3
#define OPC_CUDA_C_32F		4
#define OPC_CUDA_C_64F		5
#define OPC_CUDA_C_16F		6
#define OPC_CUDA_R_8U		8
#define OPC_CUDA_R_32I		10
#define OPC_CUDA_R_16BF		14
#define OPC_CUDA_C_16BF		15
#define OPC_CUDA_R_8F_E4M3	28
#define OPC_CUDA_R_8F_E5M2	29
#define OPC_CUDA_R_6F_E2M3	31
#define OPC_CUDA_R_6F_E3M2	32
#define OPC_CUDA_R_4F_E2M1	33

/* cublasComputeType_t (cublas_api.h) */
#define OPC_CUBLAS_COMPUTE_16F			64
#define OPC_CUBLAS_COMPUTE_16F_PEDANTIC		65
#define OPC_CUBLAS_COMPUTE_32F			68
#define OPC_CUBLAS_COMPUTE_32F_PEDANTIC		69
#define OPC_CUBLAS_COMPUTE_64F			70
#define OPC_CUBLAS_COMPUTE_64F_PEDANTIC		71
#define OPC_CUBLAS_COMPUTE_32I			72
#define OPC_CUBLAS_COMPUTE_32I_PEDANTIC		73
#define OPC_CUBLAS_COMPUTE_32F_FAST_16F		74
#define OPC_CUBLAS_COMPUTE_32F_FAST_16BF	75
#define OPC_CUBLAS_COMPUTE_32F_FAST_TF32	77
#define OPC_CUBLAS_COMPUTE_32F_EMULATED_16BFX9	78
#define OPC_CUBLAS_COMPUTE_64F_EMULATED_FIXEDPOINT 79

/* cublasLt (cublasLt.h): descriptor attributes read at cublasLtMatmul */
#define OPC_CUBLASLT_MATMUL_DESC_COMPUTE_TYPE	0	/* int32_t */
#define OPC_CUBLASLT_MATMUL_DESC_SCALE_TYPE	1	/* int32_t cudaDataType_t */
#define OPC_CUBLASLT_MATMUL_DESC_POINTER_MODE	2	/* int32_t */
#define OPC_CUBLASLT_MATMUL_DESC_TRANSA		3	/* int32_t */
#define OPC_CUBLASLT_MATMUL_DESC_TRANSB		4	/* int32_t */
#define OPC_CUBLASLT_MATRIX_LAYOUT_TYPE		0	/* uint32_t cudaDataType_t */
#define OPC_CUBLASLT_MATRIX_LAYOUT_ROWS		2	/* uint64_t */
#define OPC_CUBLASLT_MATRIX_LAYOUT_COLS		3	/* uint64_t */
#define OPC_CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT	5	/* int32_t */
#define OPC_CUBLASLT_POINTER_MODE_HOST		0
#define OPC_CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_ZERO 3
#define OPC_CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_HOST 4

/* cublasLtMatmulDescGetAttribute, cublasLtMatrixLayoutGetAttribute */
typedef int (*opc_cublaslt_get_attr_t)(void *desc, int attr, void *buf, size_t size,
				       size_t *written);

typedef int (*opc_cublas_get_stream_t)(void *handle, opc_cuda_stream_t *stream);
typedef int (*opc_cublas_get_pointer_mode_t)(void *handle, int *mode);

/*
 * cuDNN 9 (preload/gpu_cudnn.c).  cudnnStatus_t and the enums are ints,
 * handles and descriptors pointers.  Values from cudnn_graph.h (status,
 * cudnnDataType_t, activation modes, CUDNN_DIM_MAX) and cudnn_ops.h
 * (cudnnOpTensorOp_t, cudnnSoftmaxAlgorithm_t).
 */
#define OPC_CUDNN_STATUS_SUCCESS		0
#define OPC_CUDNN_STATUS_NOT_INITIALIZED	1001
#define OPC_CUDNN_DIM_MAX		8
/* cudnnDataType_t */
#define OPC_CUDNN_DATA_FLOAT		0
#define OPC_CUDNN_DATA_DOUBLE		1
#define OPC_CUDNN_DATA_HALF		2
#define OPC_CUDNN_DATA_INT8		3
#define OPC_CUDNN_DATA_INT32		4
#define OPC_CUDNN_DATA_INT8x4		5
#define OPC_CUDNN_DATA_UINT8		6
#define OPC_CUDNN_DATA_UINT8x4		7
#define OPC_CUDNN_DATA_INT8x32		8
#define OPC_CUDNN_DATA_BFLOAT16		9
#define OPC_CUDNN_DATA_INT64		10
#define OPC_CUDNN_DATA_BOOLEAN		11
#define OPC_CUDNN_DATA_FP8_E4M3		12
#define OPC_CUDNN_DATA_FP8_E5M2		13
#define OPC_CUDNN_DATA_FAST_FLOAT_FOR_FP8 14
#define OPC_CUDNN_DATA_FP8_E8M0		15
#define OPC_CUDNN_DATA_FP4_E2M1		16
#define OPC_CUDNN_DATA_INT4		17
#define OPC_CUDNN_DATA_UINT4		18
#define OPC_CUDNN_DATA_UINT32		19
#define OPC_CUDNN_DATA_COMPLEX_FP32	20
#define OPC_CUDNN_DATA_COMPLEX_FP64	21
#define OPC_CUDNN_ACTIVATION_IDENTITY	5	/* cudnnActivationMode_t */
#define OPC_CUDNN_OP_TENSOR_SQRT	4	/* cudnnOpTensorOp_t: ADD 0 MUL 1 MIN 2 MAX 3 */
#define OPC_CUDNN_OP_TENSOR_NOT		5
#define OPC_CUDNN_SOFTMAX_FAST		0	/* cudnnSoftmaxAlgorithm_t */
#define OPC_CUDNN_SOFTMAX_ACCURATE	1
#define OPC_CUDNN_SOFTMAX_LOG		2

typedef int (*opc_cudnn_get_stream_t)(void *handle, opc_cuda_stream_t *stream);
/* cudnnGetTensorNdDescriptor(desc, nbDimsRequested, *dataType, *nbDims, dimA[], strideA[]) */
typedef int (*opc_cudnn_get_tensor_nd_t)(void *desc, int req, int *type, int *nbdims,
					 int *dims, int *strides);
/* cudnnGetFilterNdDescriptor(desc, nbDimsRequested, *dataType, *format, *nbDims, dimA[]) */
typedef int (*opc_cudnn_get_filter_nd_t)(void *desc, int req, int *type, int *format,
					 int *nbdims, int *dims);
/* cudnnGetConvolutionGroupCount(convDesc, *groupCount) */
typedef int (*opc_cudnn_get_group_count_t)(void *desc, int *groups);
/* cudnnGetActivationDescriptor(desc, *mode, *reluNanOpt, *coef) */
typedef int (*opc_cudnn_get_activation_t)(void *desc, int *mode, int *nan, double *coef);
/* cudnnGetOpTensorDescriptor(desc, *op, *compType, *nanOpt) */
typedef int (*opc_cudnn_get_op_tensor_t)(void *desc, int *op, int *type, int *nan);
/* cudnnGetPoolingNdDescriptor(desc, nbDimsRequested, *mode, *nanOpt, *nbDims,
 * windowDimA[], paddingA[], strideA[]) */
typedef int (*opc_cudnn_get_pooling_nd_t)(void *desc, int req, int *mode, int *nan,
					  int *nbdims, int *window, int *pad, int *stride);

/*
 * cuDNN 9 graph (backend) API, cudnn_graph.h: the descriptor types,
 * attribute names and attribute types that preload/gpu_cudnn_graph.c
 * mirrors to cost an execution plan (checked by tests/gpu/cudnn_graph.c).
 */
/* cudnnBackendDescriptorType_t */
#define OPC_CUDNN_BACKEND_ENGINE		2
#define OPC_CUDNN_BACKEND_ENGINECFG		3
#define OPC_CUDNN_BACKEND_ENGINEHEUR		4
#define OPC_CUDNN_BACKEND_EXECUTION_PLAN	5
#define OPC_CUDNN_BACKEND_OP_CONV_FWD		10
#define OPC_CUDNN_BACKEND_OP_CONV_BWD_FILTER	11
#define OPC_CUDNN_BACKEND_OP_CONV_BWD_DATA	12
#define OPC_CUDNN_BACKEND_OPERATIONGRAPH	15
#define OPC_CUDNN_BACKEND_TENSOR		17
#define OPC_CUDNN_BACKEND_OP_MATMUL		19
/* cudnnBackendAttributeType_t */
#define OPC_CUDNN_TYPE_DATA_TYPE		1
#define OPC_CUDNN_TYPE_BOOLEAN			2	/* bool */
#define OPC_CUDNN_TYPE_INT64			3
#define OPC_CUDNN_TYPE_FLOAT			4
#define OPC_CUDNN_TYPE_DOUBLE			5
#define OPC_CUDNN_TYPE_BACKEND_DESCRIPTOR	15
/* cudnnBackendAttributeName_t */
#define OPC_CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH	201
#define OPC_CUDNN_ATTR_ENGINEHEUR_RESULTS		202
#define OPC_CUDNN_ATTR_ENGINECFG_ENGINE			300
#define OPC_CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG	401
#define OPC_CUDNN_ATTR_OP_CONV_FWD_BETA			701
#define OPC_CUDNN_ATTR_OP_CONV_FWD_W			703
#define OPC_CUDNN_ATTR_OP_CONV_FWD_X			704
#define OPC_CUDNN_ATTR_OP_CONV_FWD_Y			705
#define OPC_CUDNN_ATTR_OP_CONV_BWD_DATA_BETA		707
#define OPC_CUDNN_ATTR_OP_CONV_BWD_DATA_W		709
#define OPC_CUDNN_ATTR_OP_CONV_BWD_DATA_DX		710
#define OPC_CUDNN_ATTR_OP_CONV_BWD_DATA_DY		711
#define OPC_CUDNN_ATTR_OP_CONV_BWD_FILTER_BETA		713
#define OPC_CUDNN_ATTR_OP_CONV_BWD_FILTER_DW		715
#define OPC_CUDNN_ATTR_OP_CONV_BWD_FILTER_X		716
#define OPC_CUDNN_ATTR_OP_CONV_BWD_FILTER_DY		717
#define OPC_CUDNN_ATTR_OPERATIONGRAPH_OPS		801
#define OPC_CUDNN_ATTR_TENSOR_DATA_TYPE			901
#define OPC_CUDNN_ATTR_TENSOR_DIMENSIONS		902
#define OPC_CUDNN_ATTR_TENSOR_IS_VIRTUAL		907
#define OPC_CUDNN_ATTR_ENGINE_OPERATION_GRAPH		1300
#define OPC_CUDNN_ATTR_OP_MATMUL_ADESC			1520
#define OPC_CUDNN_ATTR_OP_MATMUL_BDESC			1521
#define OPC_CUDNN_ATTR_OP_MATMUL_CDESC			1522

#endif
