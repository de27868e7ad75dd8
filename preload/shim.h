/*
 * shim.h - process-wide state of libopcount.so shared by its files.
 */
#ifndef OPC_SHIM_H
#define OPC_SHIM_H

#include <stdint.h>

#include "record.h"

/* configuration, from the environment at start-up */
extern int opc_cfg_report;		/* OPCOUNT_REPORT */
extern int opc_cfg_stack_depth;		/* OPCOUNT_STACK_DEPTH, 0 = off */
extern uint64_t opc_cfg_interval_ns;	/* 1e9 / OPCOUNT_HZ */
extern uint64_t opc_short_call_ticks;	/* calls shorter get sampled timing */
extern uint64_t opc_dropped_calls;
extern char opc_cfg_output[];		/* OPCOUNT_OUTPUT, absolute */
extern struct opc_thread *opc_fork_self;	/* forked child's thread, to re-register */

int opc_shim_ready(void);
void opc_shim_finish(void);
void opc_shim_restart(void);

/* injected by `opcount record --inject` (inject.c): the tracer's
 * configuration, no symbol resolution of our own */
extern int opc_inject_active;
extern int opc_inject_root;		/* pid whose trace is opc_cfg_output as is */
int opc_thread_set_exit_hook(struct opc_thread *t);
void opc_fail(const char *why);
uint64_t opc_now_ns(void);

/* registry and collector (collector.c) */
int opc_registry_add(struct opc_thread *t);
void opc_collector_finish(void);
int opc_collector_begin(void);
void opc_collector_restart(void);
void opc_collector_exec(void);
void opc_collector_modules(void);
void opc_collector_energy_init(const char *want);
void opc_collector_atfork_prepare(void);
void opc_collector_atfork_parent(void);
void opc_collector_atfork_child(void);

/* record.c */
void opc_thread_free(struct opc_thread *t);
void opc_thread_reset(struct opc_thread *t);

/* layer.c */
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
