/*
 * reject.c - the xerbla_ through which a BLAS says it refused a call (see
 * reject.h); opc_call_reject() in call.c counts it.
 */
#define PR_FMT "opcount"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "call.h"
#include "export.h"
#include "reject.h"
#include "routines.h"
#include "threads.h"

typedef void (*xerbla_fn)(const char *srname, const int *info, size_t len);

OPC_EXPORT void xerbla_(const char *srname, const int *info, size_t len);

struct nth_object {
	unsigned i;
	char *name;
	size_t len;
	int found;
};

static int nth_object_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct nth_object *n = arg;

	if (n->i) {
		n->i--;
		return 0;
	}
	snprintf(n->name, n->len, "%s", info->dlpi_name ? info->dlpi_name : "");
	n->found = 1;
	return 1;
}

/* The name of the I-th loaded object, in load order, copied out: nothing
 * may be opened while dl_iterate_phdr holds the loader's lock. */
static int loaded_object(unsigned i, char *name, size_t len)
{
	struct nth_object n = { i, name, len, 0 };

	dl_iterate_phdr(nth_object_cb, &n);
	return n.found;
}

/*
 * The xerbla_ the dynamic linker binds for X, an object outside the global
 * scope: the one found first in the group of objects X was opened with (a
 * dlopen and its dependencies), searched from the object opened.  NumPy's
 * extension modules each define xerbla_ (raising a Python ValueError) and
 * load LAPACK as their dependency: the one in LAPACK itself, which only
 * prints, is not what they get.  A group's first object precedes its
 * dependencies in load order, so X's group starts at the first object
 * from which a lookup of the symbol around the call (dladdr's name) finds
 * X's own definition.
 */
static xerbla_fn group_xerbla(const Dl_info *x)
{
	char name[PATH_MAX];

	if (x->dli_sname == NULL || x->dli_saddr == NULL)
		return NULL;
	for (unsigned i = 0; loaded_object(i, name, sizeof(name)); i++) {
		void *h, *p = NULL;

		if (name[0] == 0)
			continue;	/* the program: the global scope */
		h = dlopen(name, RTLD_LAZY | RTLD_NOLOAD);
		if (h == NULL)
			continue;
		if (dlsym(h, x->dli_sname) == x->dli_saddr)
			p = dlsym(h, "xerbla_");
		dlclose(h);
		if (p != NULL && p != (void *)xerbla_)
			return (xerbla_fn)p;
	}
	return NULL;
}

/*
 * The xerbla_ the caller would have called without us: the next in the
 * global scope (the one the dynamic linker binds), else, for a library
 * opened with RTLD_LOCAL (NumPy, PyTorch), the one of the caller's group
 * (group_xerbla), else the one of the caller's own dependencies.  Looked
 * up per refusal, which is rare, so that nothing goes stale after a
 * dlclose.
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
	p = group_xerbla(&dli);
	if (p)
		return (xerbla_fn)p;
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
