/*
 * gloo.c - the collectives of Gloo, PyTorch's CPU backend of
 * torch.distributed: rows of type "comm" like MPI's (routines.tbl, O
 * lines; the byte models of common/cost.c).
 *
 * Debian ships Gloo as a library of its own (libgloo.so.0), which
 * libtorch_cpu calls through the PLT: its entry points can be interposed
 * like BLAS's.  They are C++ free functions taking one options object by
 * reference, defined here under their mangled names and resolved at run
 * time (the library never links Gloo):
 *
 *   gloo::allreduce(const AllreduceOptions&)   DDP's gradient buckets
 *   gloo::broadcast(BroadcastOptions&)         DDP's start, parameters
 *   gloo::allgather(AllgatherOptions&)         DDP's shape check
 *   gloo::reduce(ReduceOptions&)
 *   gloo::barrier(BarrierOptions&)             torch.distributed.barrier
 *
 * The sizes are read from the options object at the offsets of
 * gloo_abi.h, and only used where they make sense (a context of 1 to 2^24
 * ranks holding this rank, an element of 1, 2, 4, 8 or 16 bytes, fewer
 * than 2^40 elements); otherwise the call is counted with its bytes
 * unknown (the row says flops_unknown).  Gloo's other collectives
 * (gather, scatter, all-to-all, allgatherv) are not intercepted: their
 * time is outside calls.
 *
 * Gloo reports errors by throwing (a peer gone, a timeout): this file is
 * compiled with -fexceptions, and a cleanup closes the call on the way
 * out, counted as rejected, so the thread's call depth is right again
 * for the calls after it.
 */
#define PR_FMT "opcount"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "call.h"
#include "export.h"
#include "gloo_abi.h"
#include "reject.h"
#include "resolve.h"
#include "routines_gen.h"

typedef void (*opc_gloo_fn)(void *opts);

static int64_t word_at(const void *base, size_t off)
{
	int64_t v;

	memcpy(&v, (const char *)base + off, sizeof(v));
	return v;
}

static int int_at(const void *base, size_t off)
{
	int v;

	memcpy(&v, (const char *)base + off, sizeof(v));
	return v;
}

/* The context's size (p) and this rank, read from the options; 0 where
 * they make no sense. */
static int context(const void *opts, int *rank)
{
	const void *ctx = (const void *)(uintptr_t)word_at(opts, OPC_GLOO_CONTEXT);
	int p, r;

	if (ctx == NULL)
		return 0;
	p = int_at(ctx, OPC_GLOO_CONTEXT_SIZE);
	r = int_at(ctx, OPC_GLOO_CONTEXT_RANK);
	if (p < 1 || p > (1 << 24) || r < 0 || r >= p)
		return 0;
	*rank = r;
	return p;
}

/* elements x element size in bytes, or -1 where either makes no sense */
static int64_t buffer_bytes(int64_t elements, int64_t size)
{
	if (elements < 0 || elements >= (1ll << 40) ||
	    (size != 1 && size != 2 && size != 4 && size != 8 && size != 16))
		return -1;
	return elements * size;
}

/* What the wrappers share: the shape made by `describe`, the real call
 * bracketed; an exception thrown by Gloo closes the call as rejected
 * (see above). */
struct gloo_call {
	struct opc_call c;
	int open;
};

static void gloo_unwound(struct gloo_call *g)
{
	if (!g->open)
		return;
	opc_call_reject(&g->c);
	opc_call_exit(&g->c);
}

typedef int (*gloo_describe_fn)(const void *opts, struct opc_shape *s);

static void gloo_call(int rid, void *opts, gloo_describe_fn describe, void *site)
{
	opc_gloo_fn real = (opc_gloo_fn)opc_real(rid);
	struct gloo_call g __attribute__((cleanup(gloo_unwound))) = { .open = 0 };

	if (__builtin_expect(real == NULL, 0)) {
		/* no Gloo to go on to: what calling a missing symbol would do */
		opc_real_missing(rid);
		return;
	}
	if (!opc_call_begin(&g.c, rid, site)) {
		real(opts);
		return;
	}
	if (describe(opts, &g.c.key.shape) < 0) {
		memset(&g.c.key.shape, 0, sizeof(g.c.key.shape));
		g.c.key.kflags |= OPC_KEY_UNKNOWN;
	}
	opc_call_enter(&g.c);
	g.open = 1;
	real(opts);
	g.open = 0;
	opc_call_exit(&g.c);
}

/* dims n,p (routines.tbl gloo_allreduce): the ring model */
static int describe_allreduce(const void *opts, struct opc_shape *s)
{
	int r, p = context(opts, &r);
	int64_t n = buffer_bytes(word_at(opts, OPC_GLOO_ALLREDUCE_ELEMENTS),
				 word_at(opts, OPC_GLOO_ALLREDUCE_ELEMENT_SIZE));

	if (p == 0 || n < 0)
		return -1;
	s->d[0] = n;
	s->d[1] = p;
	return 0;
}

/* dims n,p,q: the chain from the root, as MPI_Bcast and MPI_Reduce */
static int describe_rooted(const void *opts, struct opc_shape *s)
{
	int r, p = context(opts, &r), root = int_at(opts, OPC_GLOO_ROOTED_ROOT);
	int64_t n = buffer_bytes(word_at(opts, OPC_GLOO_ROOTED_ELEMENTS),
				 word_at(opts, OPC_GLOO_ROOTED_ELEMENT_SIZE));

	if (p == 0 || n < 0 || root < 0 || root >= p)
		return -1;
	s->d[0] = n;
	s->d[1] = p;
	s->d[2] = (r - root + p) % p;
	return 0;
}

/* dims n,p: n the output's p blocks */
static int describe_allgather(const void *opts, struct opc_shape *s)
{
	int r, p = context(opts, &r);
	const void *out = (const void *)(uintptr_t)word_at(opts, OPC_GLOO_ALLGATHER_OUT);
	int64_t n = out ? word_at(out, OPC_GLOO_BUFFER_SIZE) : -1;

	if (p == 0 || n < 0 || n >= (1ll << 42))
		return -1;
	s->d[0] = n;
	s->d[1] = p;
	return 0;
}

/* dims p */
static int describe_barrier(const void *opts, struct opc_shape *s)
{
	int r, p = context(opts, &r);

	if (p == 0)
		return -1;
	s->d[0] = p;
	return 0;
}

#define GLOO_WRAP(sym, rid, describe)                                                 \
	OPC_EXPORT void sym(void *opts)                                               \
	{                                                                             \
		gloo_call(rid, opts, describe, __builtin_return_address(0));         \
	}

GLOO_WRAP(_ZN4gloo9allreduceERKNS_16AllreduceOptionsE,
	  OPC_R__ZN4gloo9allreduceERKNS_16AllreduceOptionsE, describe_allreduce)
GLOO_WRAP(_ZN4gloo9broadcastERNS_16BroadcastOptionsE,
	  OPC_R__ZN4gloo9broadcastERNS_16BroadcastOptionsE, describe_rooted)
GLOO_WRAP(_ZN4gloo6reduceERNS_13ReduceOptionsE,
	  OPC_R__ZN4gloo6reduceERNS_13ReduceOptionsE, describe_rooted)
GLOO_WRAP(_ZN4gloo9allgatherERNS_16AllgatherOptionsE,
	  OPC_R__ZN4gloo9allgatherERNS_16AllgatherOptionsE, describe_allgather)
GLOO_WRAP(_ZN4gloo7barrierERNS_14BarrierOptionsE,
	  OPC_R__ZN4gloo7barrierERNS_14BarrierOptionsE, describe_barrier)
