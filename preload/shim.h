/*
 * shim.h - the life cycle of libopcount.so (shim.c), for the injected
 * start (inject.c).
 */
#ifndef OPC_SHIM_H
#define OPC_SHIM_H

int opc_shim_ready(void);
void opc_shim_finish(void);
void opc_shim_restart(void);

#endif
