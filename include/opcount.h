/*
 * opcount.h - public annotation API of opcount.
 *
 * Mark regions of a program as layers so that `opcount report --by layer`
 * can attribute work and energy to them:
 *
 *     opcount_layer_push("dense1", "Linear");
 *     cblas_sgemm(...);
 *     opcount_layer_pop();
 *
 * The functions here are header-only: they look the implementation up in
 * the preload library at run time (once per translation unit), so a program
 * compiled against this header runs unchanged, with no link dependency,
 * with or without LD_PRELOAD=libopcount.so.  Without the library every call
 * is a cheap no-op.  `name` and `type` are copied; they need not outlive the
 * call.  Regions nest; pushes and pops are per thread.
 */
#ifndef OPCOUNT_H
#define OPCOUNT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <string.h>

#define OPCOUNT_API_VERSION 1

/* The symbols the preload library exports for this header (and for
 * ctypes users such as the Python module). */
#define OPCOUNT_SYM_LAYER_PUSH "opcount_api_layer_push"
#define OPCOUNT_SYM_LAYER_POP  "opcount_api_layer_pop"

#ifndef OPCOUNT_BUILDING_LIBRARY

typedef void (*opcount_layer_push_fn)(const char *name, const char *type);
typedef void (*opcount_layer_pop_fn)(void);

/* A NULL result is cached as "looked up, absent" through the sentinel so
 * that a program without the library pays for one dlsym only. */
static inline void *opcount__lookup(void **slot, const char *sym)
{
	void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (fn == NULL) {
		fn = dlsym(RTLD_DEFAULT, sym);
		if (fn == NULL)
			fn = (void *)1;
		__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	}
	return fn == (void *)1 ? NULL : fn;
}

static inline void opcount_layer_push(const char *name, const char *type)
{
	static void *slot;
	opcount_layer_push_fn fn;
	void *p = opcount__lookup(&slot, OPCOUNT_SYM_LAYER_PUSH);

	/* object to function pointer, the way POSIX's dlsym needs it */
	memcpy(&fn, &p, sizeof(fn));

	if (fn)
		fn(name, type);
}

static inline void opcount_layer_pop(void)
{
	static void *slot;
	opcount_layer_pop_fn fn;
	void *p = opcount__lookup(&slot, OPCOUNT_SYM_LAYER_POP);

	memcpy(&fn, &p, sizeof(fn));

	if (fn)
		fn();
}

/* Nonzero when the preload library is loaded in this process. */
static inline int opcount_active(void)
{
	static void *slot;

	return opcount__lookup(&slot, OPCOUNT_SYM_LAYER_POP) != NULL;
}

#endif /* OPCOUNT_BUILDING_LIBRARY */
#endif /* OPCOUNT_H */
