/*
 * layer.h - the layers the program named (opcount_layer_push, NVTX
 * ranges), interned by layer.c and written to the trace by the collector.
 */
#ifndef OPC_LAYER_H
#define OPC_LAYER_H

#include <stdint.h>

struct opc_layer_info {
	uint32_t parent;
	const char *name;
	const char *type;
};

uint32_t opc_layer_count(void);
int opc_layer_get(uint32_t id, struct opc_layer_info *out);
void opc_layer_atfork_prepare(void);
void opc_layer_atfork_parent(void);
void opc_layer_atfork_child(void);

#endif
