/*
 * dnnl_abi.h - the part of oneDNN's C API that preload/dnnl.c uses, written
 * out so that libopcount.so builds without oneDNN's headers and links
 * nothing of it: every function is looked up at run time among the objects
 * already loaded.  Values are oneDNN 2.x's (include/oneapi/dnnl/
 * dnnl_types.h of 2.6, checked against the real header by
 * tests/dnnl/dnnl_abi.c where it is installed).  oneDNN 3.x renumbered
 * the primitive kinds, made memory descriptors opaque (read with
 * dnnl_memory_desc_query) and replaced the operation descriptors with
 * queries of the primitive descriptor: its values are at the end, from
 * 3.x's include/oneapi/dnnl/dnnl_types.h (not installed here: tested
 * against a simulated library only, tests/progs/dnnl_fake.c).
 */
#ifndef OPC_DNNL_ABI_H
#define OPC_DNNL_ABI_H

#include <stdint.h>

#define OPC_DNNL_SUCCESS	0
#define OPC_DNNL_RUNTIME_ERROR	5

/* dnnl_primitive_kind_t (2.x) */
enum {
	OPC_DNNL_REORDER = 1,
	OPC_DNNL_SHUFFLE = 2,
	OPC_DNNL_CONCAT = 3,
	OPC_DNNL_SUM = 4,
	OPC_DNNL_CONVOLUTION = 5,
	OPC_DNNL_DECONVOLUTION = 6,
	OPC_DNNL_ELTWISE = 7,
	OPC_DNNL_SOFTMAX = 8,
	OPC_DNNL_POOLING = 9,
	OPC_DNNL_LRN = 10,
	OPC_DNNL_BATCH_NORMALIZATION = 11,
	OPC_DNNL_LAYER_NORMALIZATION = 12,
	OPC_DNNL_INNER_PRODUCT = 13,
	OPC_DNNL_RNN = 14,
	OPC_DNNL_GEMM = 15,
	OPC_DNNL_BINARY = 16,
	OPC_DNNL_LOGSOFTMAX = 17,
	OPC_DNNL_MATMUL = 18,
	OPC_DNNL_RESAMPLING = 19,
	OPC_DNNL_POOLING_V2 = 20,
	OPC_DNNL_REDUCTION = 21,
	OPC_DNNL_PRELU = 22,
	OPC_DNNL_SOFTMAX_V2 = 23,
};

/* dnnl_prop_kind_t */
enum {
	OPC_DNNL_FORWARD_TRAINING = 64,
	OPC_DNNL_FORWARD_INFERENCE = 96,
	OPC_DNNL_BACKWARD = 128,
	OPC_DNNL_BACKWARD_DATA = 160,
	OPC_DNNL_BACKWARD_WEIGHTS = 192,
	OPC_DNNL_BACKWARD_BIAS = 193,
};

/* dnnl_query_t */
enum {
	OPC_DNNL_QUERY_PRIMITIVE_KIND = 2,
	OPC_DNNL_QUERY_PROP_KIND = 11,
	OPC_DNNL_QUERY_SRC_MD = 129,
	OPC_DNNL_QUERY_DIFF_SRC_MD = 130,
	OPC_DNNL_QUERY_WEIGHTS_MD = 131,
	OPC_DNNL_QUERY_DIFF_WEIGHTS_MD = 132,
	OPC_DNNL_QUERY_DST_MD = 133,
	OPC_DNNL_QUERY_DIFF_DST_MD = 134,
	OPC_DNNL_QUERY_EXEC_ARG_MD = 255,
};

/* dnnl_query_t: operation descriptors (2.x), and a count */
enum {
	OPC_DNNL_QUERY_NUM_OF_INPUTS_S32 = 3,
	OPC_DNNL_QUERY_SHUFFLE_D = 68,
	OPC_DNNL_QUERY_ELTWISE_D = 69,
	OPC_DNNL_QUERY_POOLING_D = 71,
	OPC_DNNL_QUERY_LRN_D = 72,
	OPC_DNNL_QUERY_BATCH_NORMALIZATION_D = 73,
	OPC_DNNL_QUERY_LAYER_NORMALIZATION_D = 74,
	OPC_DNNL_QUERY_RNN_D = 76,
	OPC_DNNL_QUERY_RESAMPLING_D = 81,
	OPC_DNNL_QUERY_POOLING_V2_D = 82,
	OPC_DNNL_QUERY_REDUCTION_D = 83,
	OPC_DNNL_QUERY_SOFTMAX_V2_D = 85,
};

/* Offsets of the fields read in 2.x operation descriptors (2.6's
 * dnnl_*_desc_t; tests/progs/dnnl_abi.c compares them with the header). */
#define OPC_DNNL_OFF_ALG		8	/* eltwise, pooling(_v2), lrn, resampling */
#define OPC_DNNL_OFF_ALG_NOPROP		4	/* binary, reduction: no prop_kind */
#define OPC_DNNL_OFF_POOL_KERNEL	2896	/* pooling(_v2): dnnl_dims_t kernel */
#define OPC_DNNL_OFF_LRN_SIZE		1408	/* lrn: dnnl_dim_t local_size */
#define OPC_DNNL_OFF_NORM_FLAGS		3492	/* batch, layer normalisation: unsigned flags */
#define OPC_DNNL_OFF_RNN_CELL		8	/* rnn: dnnl_alg_kind_t cell_kind */
#define OPC_DNNL_OFF_SOFTMAX_V2_ALG	1404	/* softmax_v2: dnnl_alg_kind_t */

/* dnnl_alg_kind_t and flags */
#define OPC_DNNL_USE_GLOBAL_STATS	0x1
#define OPC_DNNL_LRN_WITHIN_CHANNEL	0xbff
#define OPC_DNNL_VANILLA_RNN		0x1fff
#define OPC_DNNL_VANILLA_LSTM		0x2fff
#define OPC_DNNL_VANILLA_GRU		0x3fff
#define OPC_DNNL_LBR_GRU		0x4fff
#define OPC_DNNL_RESAMPLING_LINEAR	0x2fff1
#define OPC_DNNL_REDUCTION_MEAN		0x2fff6
#define OPC_DNNL_REDUCTION_NORM_FIRST	0x2fff7	/* norm_lp_max .. norm_lp_power_p_sum */
#define OPC_DNNL_REDUCTION_NORM_LAST	0x2fffa
#define OPC_DNNL_SOFTMAX_LOG		0x30001

/* execution argument ids (DNNL_ARG_*) */
enum {
	OPC_DNNL_ARG_SRC_LAYER = 1,
	OPC_DNNL_ARG_SRC_ITER = 2,
	OPC_DNNL_ARG_SRC_ITER_C = 3,
	OPC_DNNL_ARG_DST_LAYER = 17,
	OPC_DNNL_ARG_DST_ITER = 18,
	OPC_DNNL_ARG_DST_ITER_C = 19,
	OPC_DNNL_ARG_WEIGHTS_LAYER = 33,
	OPC_DNNL_ARG_WEIGHTS_ITER = 34,
	OPC_DNNL_ARG_BIAS = 41,
};

/* dnnl_data_type_t */
enum {
	OPC_DNNL_F16 = 1,
	OPC_DNNL_BF16 = 2,
	OPC_DNNL_F32 = 3,
	OPC_DNNL_S32 = 4,
	OPC_DNNL_S8 = 5,
	OPC_DNNL_U8 = 6,
	OPC_DNNL_F64 = 7,
};

#define OPC_DNNL_MAX_NDIMS 12
#define OPC_DNNL_ARG_SRC_1 2
#define OPC_DNNL_ARG_POST_OP(i) (16384 * ((i) + 1))	/* DNNL_ARG_ATTR_MULTIPLE_POST_OP */

/* The head of a 2.x dnnl_memory_desc_t (the rest: padding, format). */
struct opc_dnnl_md2 {
	int ndims;
	int64_t dims[OPC_DNNL_MAX_NDIMS];	/* logical dims, any format */
	int data_type;
};

struct opc_dnnl_version {
	int major, minor, patch;
	const char *hash;
	unsigned cpu_runtime, gpu_runtime;
};

typedef int (*opc_dnnl_execute_t)(const void *prim, void *stream, int nargs, const void *args);
typedef int (*opc_dnnl_destroy_t)(void *prim);
typedef const struct opc_dnnl_version *(*opc_dnnl_version_t)(void);
typedef int (*opc_dnnl_get_pd_t)(const void *prim, const void **pd);
typedef int (*opc_dnnl_pd_query_t)(const void *pd, int what, int index, void *result);
typedef const void *(*opc_dnnl_pd_query_md_t)(const void *pd, int what, int index);
typedef int (*opc_dnnl_pd_get_attr_t)(const void *pd, const void **attr);
typedef int (*opc_dnnl_attr_get_post_ops_t)(const void *attr, const void **post_ops);
typedef int (*opc_dnnl_post_ops_len_t)(const void *post_ops);
typedef int (*opc_dnnl_post_ops_get_kind_t)(const void *post_ops, int index);
typedef int (*opc_dnnl_md_query_t)(const void *md, int what, void *result);

/* ---- oneDNN 3.x ---- */

/* dnnl_primitive_kind_t (3.x); 1 to 7 as 2.x */
enum {
	OPC_DNNL3_LRN = 8,
	OPC_DNNL3_BATCH_NORMALIZATION = 9,
	OPC_DNNL3_INNER_PRODUCT = 10,
	OPC_DNNL3_RNN = 11,
	OPC_DNNL3_GEMM = 12,
	OPC_DNNL3_BINARY = 13,
	OPC_DNNL3_MATMUL = 14,
	OPC_DNNL3_RESAMPLING = 15,
	OPC_DNNL3_POOLING = 16,
	OPC_DNNL3_REDUCTION = 17,
	OPC_DNNL3_PRELU = 18,
	OPC_DNNL3_SOFTMAX = 19,
	OPC_DNNL3_LAYER_NORMALIZATION = 20,
};

/* dnnl_query_t (3.x): the operation's parameters, and a memory
 * descriptor's (dnnl_memory_desc_query); the others as 2.x */
enum {
	OPC_DNNL3_QUERY_FLAGS = 19,		/* unsigned * */
	OPC_DNNL3_QUERY_ALG_KIND = 20,		/* dnnl_alg_kind_t * */
	OPC_DNNL3_QUERY_LOCAL_SIZE_S64 = 24,	/* dnnl_dim_t * */
	OPC_DNNL3_QUERY_CELL_KIND = 28,		/* dnnl_alg_kind_t * */
	OPC_DNNL3_QUERY_KERNEL = 31,		/* const dnnl_dims_t ** */
	OPC_DNNL3_QUERY_NDIMS_S32 = 256,	/* int * */
	OPC_DNNL3_QUERY_DIMS = 257,		/* const dnnl_dims_t ** */
	OPC_DNNL3_QUERY_DATA_TYPE = 258,	/* dnnl_data_type_t * */
};

#define OPC_DNNL3_ARG_POST_OP(i) (32768 * ((i) + 1))	/* DNNL_ARG_ATTR_MULTIPLE_POST_OP */

#endif
