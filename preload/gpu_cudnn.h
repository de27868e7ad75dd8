/*
 * gpu_cudnn.h - what the cuDNN wrappers (gpu_cudnn.c) and the mirror of
 * the graph API (gpu_cudnn_graph.c) share.
 */
#ifndef OPC_GPU_CUDNN_H
#define OPC_GPU_CUDNN_H

#include <stdint.h>

/* cudnnDataType_t as the type letter of common/cost.c ('?' unknown) */
char opc_cudnn_type_letter(int type);

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
