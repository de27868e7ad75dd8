/*
 * nccl.c - a fake NCCL (libnccl.so.2) over the simulated GPU of
 * fakegpu.h, for tests/integration/nccl_fake.sh on machines without a GPU.
 *
 * One process plays one rank of a communicator of any size: no peer is
 * ever reached, so ncclCommInitRank takes whatever id it is given.  Every
 * operation occupies its stream for fakegpu_cost_ns(0, B), B its buffer's
 * bytes (count x element size; the gathered or scattered buffer for
 * ncclAllGather and ncclReduceScatter), and copies the send buffer to the
 * receive buffer where both exist ("device" memory is host memory), as if
 * every rank held the same data.  Between ncclGroupStart and the outermost
 * ncclGroupEnd operations are only recorded, as in NCCL: the group's end
 * queues their summed duration as one piece of work on the stream of the
 * group's first operation.  ncclBcast calls ncclBroadcast, as NCCL does.
 *
 * Written against the CUDA toolkit's nccl.h: the real signatures.
 */
#include <stdlib.h>
#include <string.h>

#include <nccl.h>

#include "fakegpu.h"

#define EXPORT FAKEGPU_EXPORT

struct ncclComm {
	int nranks, rank;
};

static __thread int group_depth;
static __thread uint64_t group_ns;
static __thread cudaStream_t group_stream;
static __thread int group_have_stream;

static size_t tsize(ncclDataType_t t)
{
	switch (t) {
	case ncclInt8: case ncclUint8: case ncclFloat8e4m3: case ncclFloat8e5m2: return 1;
	case ncclFloat16: case ncclBfloat16: return 2;
	case ncclInt32: case ncclUint32: case ncclFloat32: return 4;
	case ncclInt64: case ncclUint64: case ncclFloat64: return 8;
	default: return 0;
	}
}

/* queue (or, in a group, record) the work of `bytes` on `s` */
static ncclResult_t work(cudaStream_t s, size_t bytes)
{
	uint64_t ns = fakegpu_cost_ns(0, (double)bytes);

	if (group_depth > 0) {
		if (!group_have_stream) {
			group_stream = s;
			group_have_stream = 1;
		}
		group_ns += ns;
		return ncclSuccess;
	}
	fakegpu_submit(s, ns);
	return ncclSuccess;
}

static void copy(void *dst, const void *src, size_t n)
{
	if (dst && src && dst != src)
		memmove(dst, src, n);
}

EXPORT ncclResult_t ncclGetUniqueId(ncclUniqueId *id)
{
	memset(id, 0, sizeof(*id));
	return ncclSuccess;
}

EXPORT ncclResult_t ncclCommInitRank(ncclComm_t *comm, int nranks, ncclUniqueId id, int rank)
{
	(void)id;
	if (nranks < 1 || rank < 0 || rank >= nranks)
		return ncclInvalidArgument;
	*comm = calloc(1, sizeof(**comm));
	if (*comm == NULL)
		return ncclSystemError;
	(*comm)->nranks = nranks;
	(*comm)->rank = rank;
	return ncclSuccess;
}

EXPORT ncclResult_t ncclCommDestroy(ncclComm_t comm)
{
	free(comm);
	return ncclSuccess;
}

EXPORT ncclResult_t ncclCommCount(const ncclComm_t comm, int *count)
{
	*count = comm->nranks;
	return ncclSuccess;
}

EXPORT ncclResult_t ncclCommUserRank(const ncclComm_t comm, int *rank)
{
	*rank = comm->rank;
	return ncclSuccess;
}

EXPORT ncclResult_t ncclAllReduce(const void *sbuf, void *rbuf, size_t count, ncclDataType_t t,
				  ncclRedOp_t op, ncclComm_t comm, cudaStream_t s)
{
	(void)op;
	(void)comm;
	copy(rbuf, sbuf, count * tsize(t));
	return work(s, count * tsize(t));
}

EXPORT ncclResult_t ncclBroadcast(const void *sbuf, void *rbuf, size_t count, ncclDataType_t t,
				  int root, ncclComm_t comm, cudaStream_t s)
{
	(void)root;
	(void)comm;
	copy(rbuf, sbuf, count * tsize(t));
	return work(s, count * tsize(t));
}

/* As in NCCL: the in-place broadcast, through the exported symbol (so a
 * tool that wraps both sees a call inside a call). */
EXPORT ncclResult_t ncclBcast(void *buf, size_t count, ncclDataType_t t, int root,
			      ncclComm_t comm, cudaStream_t s)
{
	return ncclBroadcast(buf, buf, count, t, root, comm, s);
}

EXPORT ncclResult_t ncclReduce(const void *sbuf, void *rbuf, size_t count, ncclDataType_t t,
			       ncclRedOp_t op, int root, ncclComm_t comm, cudaStream_t s)
{
	(void)op;
	if (comm->rank == root)
		copy(rbuf, sbuf, count * tsize(t));
	return work(s, count * tsize(t));
}

EXPORT ncclResult_t ncclAllGather(const void *sbuf, void *rbuf, size_t scount, ncclDataType_t t,
				  ncclComm_t comm, cudaStream_t s)
{
	size_t block = scount * tsize(t);

	for (int r = 0; r < comm->nranks; r++)
		copy((char *)rbuf + r * block, sbuf, block);
	return work(s, block * comm->nranks);
}

EXPORT ncclResult_t ncclReduceScatter(const void *sbuf, void *rbuf, size_t rcount,
				      ncclDataType_t t, ncclRedOp_t op, ncclComm_t comm,
				      cudaStream_t s)
{
	size_t block = rcount * tsize(t);

	(void)op;
	copy(rbuf, (const char *)sbuf + comm->rank * block, block);
	return work(s, block * comm->nranks);
}

EXPORT ncclResult_t ncclSend(const void *sbuf, size_t count, ncclDataType_t t, int peer,
			     ncclComm_t comm, cudaStream_t s)
{
	(void)sbuf;
	(void)peer;
	(void)comm;
	return work(s, count * tsize(t));
}

EXPORT ncclResult_t ncclRecv(void *rbuf, size_t count, ncclDataType_t t, int peer,
			     ncclComm_t comm, cudaStream_t s)
{
	(void)peer;
	(void)comm;
	memset(rbuf, 0, count * tsize(t));
	return work(s, count * tsize(t));
}

EXPORT ncclResult_t ncclGroupStart(void)
{
	if (group_depth++ == 0) {
		group_ns = 0;
		group_have_stream = 0;
	}
	return ncclSuccess;
}

EXPORT ncclResult_t ncclGroupEnd(void)
{
	if (group_depth == 0)
		return ncclInvalidUsage;
	if (--group_depth == 0 && group_have_stream)
		fakegpu_submit(group_stream, group_ns);
	return ncclSuccess;
}
