/*
 * collector.h - the collector: the trace file and the thread that writes
 * the registered threads' counts to it at every tick (collector.c).
 */
#ifndef OPC_COLLECTOR_H
#define OPC_COLLECTOR_H

/* In the constructor: the trace opens at the first registered thread;
 * the energy source opens now. */
void opc_collector_init(void);
/* (Re)opens the energy source the configuration names (inject.c: the
 * tracer's). */
void opc_collector_energy_init(void);
/* Opens the trace and starts the collector now: 0 or -1. */
int opc_collector_begin(void);
void opc_collector_finish(void);
/* The end of the trace at _exit, waiting for the collector at most wait_ms. */
void opc_collector_quick_exit(unsigned wait_ms);
void opc_collector_restart(void);
void opc_collector_exec(void);
void opc_collector_modules(void);
void opc_collector_atfork_prepare(void);
void opc_collector_atfork_parent(void);
void opc_collector_atfork_child(void);

#endif
