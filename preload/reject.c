/*
 * reject.c - the xerbla_ through which a BLAS says it refused a call (see
 * reject.h); opc_call_reject() in call.c counts it.
 */
#define PR_FMT "opcount"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "call.h"
#include "export.h"
#include "reject.h"
#include "routines.h"
#include "threads.h"

typedef void (*xerbla_fn)(const char *srname, const int *info, size_t len);

OPC_EXPORT void xerbla_(const char *srname, const int *info, size_t len);

/*
 * The xerbla_ the caller would have called without us: the next in the
 * global scope (the one the dynamic linker binds), else, for a library
 * opened with RTLD_LOCAL (NumPy, PyTorch), the one of the caller's own
 * scope, as the linker searches it after the global one.  Looked up per
 * refusal, which is rare, so that nothing goes stale after a dlclose.
 */
static xerbla_fn real_xerbla(void *caller)
{
	void *p = dlsym(RTLD_NEXT, "xerbla_");
	Dl_info dli;
	void *h;

	if (p)
		return (xerbla_fn)p;
	if (dladdr(caller, &dli) == 0 || dli.dli_fname == NULL)
		return NULL;
	h = dlopen(dli.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
	if (h == NULL)
		return NULL;
	p = dlsym(h, "xerbla_");
	dlclose(h);
	return p == (void *)xerbla_ ? NULL : (xerbla_fn)p;
}

/*
 * The innermost counted call in progress on this thread was refused.
 * With OPCOUNT_NESTED=1 the same routine may be in progress through an
 * outer interface too (the reference cblas_dgemm calls dgemm_, which
 * reports): that outer call is the same refused call.
 */
static void reject_in_progress(struct opc_thread *t)
{
	int d = t->depth - 1;
	const char *op;

	if (d < 0 || d >= OPC_CALL_DEPTH || t->calls[d] == NULL)
		return;		/* no counted call in progress */
	/* a GPU call's slot is handed to the collector with its events
	 * (gpu.c), and no GPU library reports through the host's xerbla_ */
	if (opc_iface_gpu(opc_routines[t->calls[d]->key.rid].iface))
		return;
	op = opc_routines[t->calls[d]->key.rid].op;
	opc_call_reject(t->calls[d]);
	while (--d >= 0 && strcmp(opc_routines[t->calls[d]->key.rid].op, op) == 0)
		opc_call_reject(t->calls[d]);
}

/*
 * A BLAS or LAPACK routine reports an illegal argument (LAPACK's XERBLA,
 * which every BLAS calls).  Counted first: the reference xerbla_ ends the
 * program.  Then the real one, with the arguments and errno it would have
 * had, so that the program's output is what it is without opcount.
 */
OPC_EXPORT void xerbla_(const char *srname, const int *info, size_t len)
{
	struct opc_thread *t = opc_self;
	int saved_errno = errno;
	xerbla_fn real;

	if (t != NULL)
		reject_in_progress(t);
	real = real_xerbla(__builtin_return_address(0));
	errno = saved_errno;
	if (real)
		real(srname, info, len);
}
