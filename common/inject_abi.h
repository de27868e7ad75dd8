/*
 * inject_abi.h - what `opcount record --inject` passes to the copy of
 * libopcount.so it loads into a traced process (tracer/ptrace.c writes
 * it into the tracee's memory, preload/inject.c reads it there).
 */
#ifndef OPC_INJECT_ABI_H
#define OPC_INJECT_ABI_H

#include <stdint.h>

#define OPC_INJECT_ABI_VERSION 1

struct opc_inject_cfg {
	uint32_t version;	/* OPC_INJECT_ABI_VERSION */
	int32_t nroutines;	/* the tracer's opc_nroutines: the same table */
	int32_t root_pid;	/* the traced command: its children name traces after it */
	int32_t hz;
	/* addresses of NUL-terminated strings in the tracee, 0 for none */
	uint64_t output;	/* the trace, already expanded */
	uint64_t energy;	/* --energy, NULL: auto */
	uint64_t powercap_root;	/* the tracer's OPCOUNT_POWERCAP_ROOT */
	uint64_t idle_w;	/* the tracer's OPCOUNT_IDLE_W */
};

#endif
