/*
 * resolve.h - finding the real routine behind each wrapper.
 */
#ifndef OPC_RESOLVE_H
#define OPC_RESOLVE_H

#include <stdint.h>

#include "routines_gen.h"

extern void *opc_real_fn[OPC_NROUTINES];

void *opc_resolve(int rid);
void opc_real_missing(int rid);
void opc_resolve_forget(void);
int opc_in_self(uintptr_t addr);

/* Any symbol of another object, uncached (see OPC_AUX in gpu.h). */
void *opc_resolve_name(const char *name);
/* bumped when a library may have gone (dlclose) */
extern unsigned opc_resolve_gen;
/* objects loaded so far: changes when one more was */
unsigned long long opc_resolve_epoch(void);

static inline void *opc_real(int rid)
{
	void *p = __atomic_load_n(&opc_real_fn[rid], __ATOMIC_ACQUIRE);

	return __builtin_expect(p != NULL, 1) ? p : opc_resolve(rid);
}

#endif
