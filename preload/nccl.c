/*
 * nccl.c - NCCL collectives and point-to-point calls: rows of type "comm"
 * (routines.tbl, K lines), counted on the host with the bytes of the
 * algorithm models of common/cost.c, timed on the GPU like the cuBLAS
 * calls (gpu.h: two CUDA events on the call's stream).
 *
 * Resolved at run time from whatever loaded libnccl.so.2; never linked.
 * p comes from ncclCommCount and the rank from ncclCommUserRank (neither
 * wrapped), element sizes from the ncclDataType_t values of nccl.h
 * (ncclInt8 0 ... ncclBfloat16 9, ncclFloat8e4m3 10, ncclFloat8e5m2 11).
 *
 * Groups.  Between ncclGroupStart and ncclGroupEnd NCCL only records the
 * operations; the outermost ncclGroupEnd launches them all, as one piece
 * of GPU work.  So an operation inside a group is counted (calls, bytes)
 * but not timed (its events would bracket nothing), under a key of its
 * own (shape flag group 'G': an untimed call must not share a key with
 * timed ones, whose time readers scale by calls / timed); and the
 * outermost ncclGroupEnd is a row of its own (0 bytes, d[0] the
 * operations it launched), timed on the stream of the group's first
 * operation.  Groups nest per thread (NCCL keeps them per thread too); an
 * inner ncclGroupEnd is passed through uncounted.  Operations of one
 * group on several streams are timed on the first one only.
 */
#define PR_FMT "opcount"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "gpu.h"
#include "resolve.h"
#include "routines_gen.h"

#define OPC_NCCL_SUCCESS	0
#define OPC_NCCL_SYSTEM_ERROR	2
#define OPC_NCCL_IN_PROGRESS	7	/* a nonblocking communicator: queued */

typedef int (*opc_nccl_info_t)(void *comm, int *out);
typedef int (*opc_nccl_void_t)(void);

/* this thread's group: depth, and what its operations have queued */
struct nccl_group {
	int depth;
	int have_stream;
	void *stream;		/* of the first operation */
	int64_t calls;		/* operations queued */
	int inside;		/* in the real call of an operation's wrapper */
};

static __thread struct nccl_group group;

/* Bytes of one element of an ncclDataType_t; 0 for a type not known. */
static int64_t type_size(int t)
{
	switch (t) {
	case 0: case 1: case 10: case 11: return 1;	/* int8, uint8, fp8 e4m3, e5m2 */
	case 6: case 9: return 2;			/* float16, bfloat16 */
	case 2: case 3: case 7: return 4;		/* int32, uint32, float32 */
	case 4: case 5: case 8: return 8;		/* int64, uint64, float64 */
	}
	return 0;
}

static int comm_count(void *comm)
{
	opc_nccl_info_t f = OPC_AUX(f, "ncclCommCount");
	int p = 0;

	if (f == NULL || f(comm, &p) != OPC_NCCL_SUCCESS)
		return 0;
	return p;
}

static int comm_rank(void *comm)
{
	opc_nccl_info_t f = OPC_AUX(f, "ncclCommUserRank");
	int r = -1;

	if (f == NULL || f(comm, &r) != OPC_NCCL_SUCCESS)
		return -1;
	return r;
}

static int64_t nbytes(size_t count, int type)
{
	return (int64_t)count * type_size(type);
}

static void shape_ring(struct opc_shape *s, size_t count, int type, void *comm)
{
	s->d[0] = nbytes(count, type);
	s->d[1] = comm_count(comm);
}

/* n: p blocks of count elements */
static void shape_block(struct opc_shape *s, size_t count, int type, void *comm)
{
	s->d[1] = comm_count(comm);
	s->d[0] = s->d[1] * nbytes(count, type);
}

static void shape_chain(struct opc_shape *s, size_t count, int type, int root, void *comm)
{
	int p = comm_count(comm), r = comm_rank(comm);

	s->d[0] = nbytes(count, type);
	s->d[1] = p;
	s->d[2] = p > 0 && r >= 0 && root >= 0 && root < p ? (r - root + p) % p : -1;
}

static void shape_p2p(struct opc_shape *s, size_t count, int type)
{
	s->d[0] = nbytes(count, type);
}

/*
 * Before the real call: an operation inside a group is untimed, under its
 * group key, and the group remembers its stream; after it, the group
 * counts the operation if NCCL took it.
 */
static void member_enter(struct opc_gpu_call *g, int flag_index)
{
	g->call.key.shape.f[flag_index] = group.depth > 0 ? 'G' : '-';
	if (group.depth == 0)
		return;
	g->rt = NULL;		/* no events: nothing runs before the group's end */
}

/* An operation NCCL makes inside another (ncclBcast is ncclBroadcast in
 * place, through the exported symbol) is the outer one's: not a member of
 * its own. */
static void member_queued(void *stream)
{
	if (group.depth == 0 || group.inside)
		return;
	if (!group.have_stream) {
		group.stream = stream;
		group.have_stream = 1;
	}
	group.calls++;
}

/*
 * One wrapper: PARAMS the declaration, ARGS the forwarded call, SHAPE the
 * statements filling `s`.  Calls that are not counted (nested, disabled)
 * still count as a group's operations: the group's end is timed all the
 * same.
 */
#define NCCL_WRAP(sym, PARAMS, ARGS, SHAPE)                                            \
	OPC_EXPORT int sym PARAMS                                                      \
	{                                                                              \
		typedef int(*real_t) PARAMS;                                           \
		real_t real = (real_t)opc_real(OPC_R_##sym);                           \
		struct opc_gpu_call g;                                                 \
		int ret;                                                               \
                                                                                       \
		if (__builtin_expect(real == NULL, 0)) {                               \
			opc_real_missing(OPC_R_##sym);                                 \
			return OPC_NCCL_SYSTEM_ERROR;                                  \
		}                                                                      \
		if (!opc_gpu_begin(&g, OPC_R_##sym, __builtin_return_address(0))) {   \
			group.inside++;                                                \
			ret = real ARGS;                                               \
			group.inside--;                                                \
			if (ret == OPC_NCCL_SUCCESS || ret == OPC_NCCL_IN_PROGRESS)    \
				member_queued(stream);                                 \
			return ret;                                                    \
		}                                                                      \
		{                                                                      \
			struct opc_shape *s = &g.call.key.shape;                       \
                                                                                       \
			SHAPE;                                                         \
		}                                                                      \
		g.stream = stream;                                                     \
		member_enter(&g, 0);                                                   \
		opc_gpu_enter(&g);                                                     \
		group.inside++;                                                        \
		ret = real ARGS;                                                       \
		group.inside--;                                                        \
		opc_gpu_exit(&g, ret == OPC_NCCL_SUCCESS || ret == OPC_NCCL_IN_PROGRESS); \
		if (ret == OPC_NCCL_SUCCESS || ret == OPC_NCCL_IN_PROGRESS)            \
			member_queued(stream);                                         \
		return ret;                                                            \
	}

NCCL_WRAP(ncclAllReduce,
	  (const void *sbuf, void *rbuf, size_t count, int type, int op, void *comm, void *stream),
	  (sbuf, rbuf, count, type, op, comm, stream), shape_ring(s, count, type, comm))
NCCL_WRAP(ncclAllGather,
	  (const void *sbuf, void *rbuf, size_t scount, int type, void *comm, void *stream),
	  (sbuf, rbuf, scount, type, comm, stream), shape_block(s, scount, type, comm))
NCCL_WRAP(ncclReduceScatter,
	  (const void *sbuf, void *rbuf, size_t rcount, int type, int op, void *comm, void *stream),
	  (sbuf, rbuf, rcount, type, op, comm, stream), shape_block(s, rcount, type, comm))
NCCL_WRAP(ncclBroadcast,
	  (const void *sbuf, void *rbuf, size_t count, int type, int root, void *comm,
	   void *stream),
	  (sbuf, rbuf, count, type, root, comm, stream), shape_chain(s, count, type, root, comm))
NCCL_WRAP(ncclBcast,
	  (void *buf, size_t count, int type, int root, void *comm, void *stream),
	  (buf, count, type, root, comm, stream), shape_chain(s, count, type, root, comm))
NCCL_WRAP(ncclReduce,
	  (const void *sbuf, void *rbuf, size_t count, int type, int op, int root, void *comm,
	   void *stream),
	  (sbuf, rbuf, count, type, op, root, comm, stream),
	  shape_chain(s, count, type, root, comm))
NCCL_WRAP(ncclSend,
	  (const void *sbuf, size_t count, int type, int peer, void *comm, void *stream),
	  (sbuf, count, type, peer, comm, stream), shape_p2p(s, count, type))
NCCL_WRAP(ncclRecv,
	  (void *rbuf, size_t count, int type, int peer, void *comm, void *stream),
	  (rbuf, count, type, peer, comm, stream), shape_p2p(s, count, type))

/* Not a row: opens (or nests) this thread's group. */
OPC_EXPORT int ncclGroupStart(void)
{
	opc_nccl_void_t real = OPC_AUX(real, "ncclGroupStart");
	int ret;

	if (__builtin_expect(real == NULL, 0))
		return OPC_NCCL_SYSTEM_ERROR;
	ret = real();
	if (ret == OPC_NCCL_SUCCESS || ret == OPC_NCCL_IN_PROGRESS) {
		if (group.depth++ == 0) {
			group.have_stream = 0;
			group.stream = NULL;
			group.calls = 0;
		}
	}
	return ret;
}

/* The outermost end launches the group: a row timed on its first stream. */
OPC_EXPORT int ncclGroupEnd(void)
{
	opc_nccl_void_t real = (opc_nccl_void_t)opc_real(OPC_R_ncclGroupEnd);
	struct nccl_group done = group;
	struct opc_gpu_call g;
	int ret;

	if (__builtin_expect(real == NULL, 0)) {
		opc_real_missing(OPC_R_ncclGroupEnd);
		return OPC_NCCL_SYSTEM_ERROR;
	}
	if (group.depth > 0)
		group.depth--;
	if (done.depth != 1 || !opc_gpu_begin(&g, OPC_R_ncclGroupEnd, __builtin_return_address(0)))
		return real();
	g.call.key.shape.d[0] = done.calls;
	g.stream = done.stream;
	if (!done.have_stream)
		g.rt = NULL;	/* an empty group launches nothing */
	opc_gpu_enter(&g);
	ret = real();
	opc_gpu_exit(&g, ret == OPC_NCCL_SUCCESS || ret == OPC_NCCL_IN_PROGRESS);
	return ret;
}
