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

/* Any symbol of another object, uncached (see OPC_AUX below). */
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

/*
 * A symbol of another loaded object (libcudart's cudaEventRecord,
 * libcublas's cublasGetStream_v2), never our own, cached: looked up again
 * after a dlclose (opc_resolve_gen) or, while missing, when objects were
 * loaded since (opc_resolve_epoch).
 */
#define OPC_AUX(var, name)                                                     \
	({                                                                     \
		static void *var##_p;                                          \
		static unsigned var##_gen = ~0u;                               \
		static unsigned long long var##_ep;                            \
		unsigned _g = __atomic_load_n(&opc_resolve_gen, __ATOMIC_ACQUIRE); \
		void *_p = __atomic_load_n(&var##_p, __ATOMIC_ACQUIRE);       \
		if (__builtin_expect(__atomic_load_n(&var##_gen, __ATOMIC_ACQUIRE) != _g, 0) || \
		    (_p == NULL &&                                             \
		     __atomic_load_n(&var##_ep, __ATOMIC_RELAXED) != opc_resolve_epoch())) { \
			/* racing threads store the same values */             \
			__atomic_store_n(&var##_ep, opc_resolve_epoch(), __ATOMIC_RELAXED); \
			_p = opc_resolve_name(name);                           \
			__atomic_store_n(&var##_p, _p, __ATOMIC_RELEASE);      \
			__atomic_store_n(&var##_gen, _g, __ATOMIC_RELEASE);    \
		}                                                              \
		(__typeof__(var))_p;                                           \
	})

#endif
