/*
 * gpu_cudnn_graph.h - what the mirror of the graph API (gpu_cudnn_graph.c)
 * gives the cuDNN wrappers (gpu_cudnn.c): the plan look-up, and the type
 * letters both use (inline here, so that the wrappers depend on the
 * mirror and never the other way).
 */
#ifndef OPC_GPU_CUDNN_GRAPH_H
#define OPC_GPU_CUDNN_GRAPH_H

#include <stdint.h>

#include "cuda_abi.h"

/* cudnnDataType_t as the type letter of common/cost.c ('?' unknown) */
static inline char opc_cudnn_type_letter(int type)
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


/* What a finalised execution plan's graph costs. */
struct opc_cudnn_plan_cost {
	int64_t flops, bytes;
	int64_t other;		/* nodes not costed */
};

/*
 * cudnnBackendExecute's look-up, without a lock: 1 and the cost of the
 * plan if opcount saw its graph built and something in it was costed,
 * else 0.
 */
int opc_cudnn_plan_lookup(const void *plan, struct opc_cudnn_plan_cost *out);

#endif
