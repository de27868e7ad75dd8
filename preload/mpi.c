/*
 * mpi.c - MPI communication calls: rows of type "comm" (routines.tbl,
 * family class=comm), counted with the bytes this rank sends and
 * receives under the algorithm models of common/cost.c.
 *
 * Resolved at run time like the BLAS wrappers (resolve.c): the library
 * never links MPI, and in a process without MPI nothing here runs.  We
 * export the communication entry points only, never MPI_Init or
 * MPI_Comm_rank, whose presence programs and libraries test to learn
 * whether they run under MPI.
 *
 * Handles.  MPI_Datatype, MPI_Comm, MPI_Op and MPI_Request are ints in
 * the MPICH ABI (MPICH, Intel MPI, MVAPICH, Cray) and pointers in Open
 * MPI's.  On x86-64 (SysV) either travels in one register or one 8-byte
 * stack slot, so a wrapper takes every handle argument as a word
 * (opc_mpi_h) and hands it on unchanged: the callee reads the part its
 * ABI defines.  Sizes come from the library itself, through PMPI_Type_size,
 * PMPI_Comm_size and PMPI_Comm_rank (the profiling names: never one of
 * our wrappers, and we wrap none of them anyway).  Only MPI_Alltoallw
 * reads handles from memory (its arrays of datatypes): their width is the
 * ABI's, told apart at run time (mpi_handle_width).  MPI_IN_PLACE is
 * (void *)1 in Open MPI and (void *)-1 in MPICH: both are recognised,
 * neither can be a buffer.
 *
 * Sizes are looked up before the real call (the type of a receive is the
 * posted one), only where a count is positive (a zero count may come with
 * a null datatype, which MPI_Type_size would refuse), and only from
 * arguments that are significant at this rank (a gather's receive type is
 * not significant at a non-root, and may be garbage there).
 *
 * Work MPI does inside a call (a collective built on point-to-point
 * calls that come back through our wrappers) is nested: counted once, at
 * the outermost call, as every wrapper (call.h).  Intercommunicators are
 * not modelled: p is the local group's size.  The Fortran bindings and
 * the MPI-4 large-count (_c) functions are not intercepted.
 */
#define PR_FMT "opcount"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "call.h"
#include "export.h"
#include "resolve.h"
#include "routines_gen.h"

typedef uintptr_t opc_mpi_h;	/* any MPI handle: see above */
typedef int (*opc_mpi_info_t)(opc_mpi_h h, int *out);

/* PMPI_<name>, which every MPI has, else MPI_<name> (neither is ours) */
#define MPI_INFO_FN(name)                                                      \
	({                                                                     \
		opc_mpi_info_t pf_ = OPC_AUX(pf_, "PMPI_" name);               \
		if (pf_ == NULL) {                                             \
			opc_mpi_info_t f_ = OPC_AUX(f_, "MPI_" name);          \
			pf_ = f_;                                              \
		}                                                              \
		pf_;                                                           \
	})

#define OPC_MPI_SUCCESS		0
#define OPC_MPI_ERR_OTHER	15	/* MPICH's; Open MPI's is 16: both "other" */

static int in_place(const void *buf)
{
	return (uintptr_t)buf == 1 || (uintptr_t)buf == UINTPTR_MAX;
}

/* The size in bytes of one element of datatype t; 0 if MPI will not say. */
static int64_t type_size(opc_mpi_h t)
{
	opc_mpi_info_t f = MPI_INFO_FN("Type_size");
	int sz = 0;

	if (f == NULL || f(t, &sz) != OPC_MPI_SUCCESS || sz < 0)
		return 0;
	return sz;
}

/* count elements of type t, in bytes (no look-up for an empty buffer) */
static int64_t nbytes(int64_t count, opc_mpi_h t)
{
	return count > 0 ? count * type_size(t) : 0;
}

static int comm_size(opc_mpi_h comm)
{
	opc_mpi_info_t f = MPI_INFO_FN("Comm_size");
	int p = 0;

	if (f == NULL || f(comm, &p) != OPC_MPI_SUCCESS)
		return 0;
	return p;
}

static int comm_rank(opc_mpi_h comm)
{
	opc_mpi_info_t f = MPI_INFO_FN("Comm_rank");
	int r = -1;

	if (f == NULL || f(comm, &r) != OPC_MPI_SUCCESS)
		return -1;
	return r;
}

/*
 * The width of a handle stored in memory: 8 (a pointer) in Open MPI, 4
 * (an int) in the MPICH ABI.  Open MPI is the library that defines the
 * object ompi_mpi_comm_world (MPI_COMM_WORLD is its address), looked up
 * in the object that defines the real MPI_Alltoallw.  Once per process.
 */
static int mpi_handle_width(void)
{
	static int width;
	int w = __atomic_load_n(&width, __ATOMIC_RELAXED);
	void *real = opc_real(OPC_R_MPI_Alltoallw);
	Dl_info dli;

	if (w)
		return w;
	w = 4;
	if (real && dladdr(real, &dli) && dli.dli_fname) {
		void *h = dlopen(dli.dli_fname, RTLD_LAZY | RTLD_NOLOAD);

		if (h) {
			if (dlsym(h, "ompi_mpi_comm_world"))
				w = 8;
			dlclose(h);
		}
	}
	__atomic_store_n(&width, w, __ATOMIC_RELAXED);
	return w;
}

static opc_mpi_h handle_at(const void *array, int i)
{
	if (mpi_handle_width() == 8)
		return ((const uint64_t *)array)[i];
	return (opc_mpi_h)(uint32_t)((const int32_t *)array)[i];
}

/* ---- shapes (the dims of routines.tbl's MPI families) ---------------------- */

static void shape_p2p(struct opc_shape *s, int count, opc_mpi_h type)
{
	s->d[0] = nbytes(count, type);
}

static void shape_ring(struct opc_shape *s, int count, opc_mpi_h type, opc_mpi_h comm)
{
	s->d[0] = nbytes(count, type);
	s->d[1] = comm_size(comm);
}

/* n = p blocks of count elements */
static void shape_block(struct opc_shape *s, int count, opc_mpi_h type, opc_mpi_h comm)
{
	s->d[1] = comm_size(comm);
	s->d[0] = s->d[1] * nbytes(count, type);
}

/* q: the rank's place in the chain that starts at root */
static void shape_chain(struct opc_shape *s, int count, opc_mpi_h type, int root, opc_mpi_h comm)
{
	int p = comm_size(comm), r = comm_rank(comm);

	s->d[0] = nbytes(count, type);
	s->d[1] = p;
	s->d[2] = p > 0 && r >= 0 && root >= 0 && root < p ? (r - root + p) % p : -1;
}

/* gather (root receives) or scatter (root sends): the root's arguments
 * are rcount/rtype for a gather, the others' scount/stype; scatter is the
 * other way round: `mine` are the arguments significant at this rank */
static void shape_rooted(struct opc_shape *s, int root, opc_mpi_h comm, int root_count,
			 opc_mpi_h root_type, int count, opc_mpi_h type)
{
	int p = comm_size(comm), r = comm_rank(comm);

	s->d[1] = p;
	if (r == root) {
		s->d[0] = p * nbytes(root_count, root_type);
		s->d[2] = 0;
	} else {
		s->d[0] = p * nbytes(count, type);
		s->d[2] = p > 0 && r >= 0 && root >= 0 && root < p ? (r - root + p) % p : -1;
	}
}

/* sum of counts[j] for j != skip, in elements */
static int64_t sum_but(const int *counts, int p, int skip)
{
	int64_t n = 0;

	for (int j = 0; counts && j < p; j++)
		if (j != skip && counts[j] > 0)
			n += counts[j];
	return n;
}

static void shape_xfer(struct opc_shape *s, int64_t send, int64_t recv, int p)
{
	s->d[0] = send;
	s->d[1] = recv;
	s->d[2] = p;
}

/* ---- wrappers ---------------------------------------------------------------- */

/*
 * One wrapper: PARAMS its declaration, ARGS the forwarded call, SHAPE the
 * statements filling `s` (the key's shape).  errno is the program's again
 * before the real call: the look-ups may have set it.  A call that MPI
 * refuses (an error code, returned where the error handler lets it) is
 * counted as rejected (reject.h): 0 bytes.
 */
#define MPI_WRAP(sym, PARAMS, ARGS, SHAPE)                                            \
	OPC_EXPORT int sym PARAMS                                                     \
	{                                                                             \
		typedef int(*real_t) PARAMS;                                          \
		real_t real = (real_t)opc_real(OPC_R_##sym);                          \
		struct opc_call c;                                                    \
		int ret;                                                              \
                                                                                      \
		if (__builtin_expect(real == NULL, 0)) {                              \
			opc_real_missing(OPC_R_##sym);                                \
			return OPC_MPI_ERR_OTHER;                                     \
		}                                                                     \
		if (!opc_call_begin(&c, OPC_R_##sym, __builtin_return_address(0)))   \
			return real ARGS;                                             \
		{                                                                     \
			struct opc_shape *s = &c.key.shape;                           \
			int saved_errno = errno;                                      \
                                                                                      \
			SHAPE;                                                        \
			errno = saved_errno;                                          \
		}                                                                     \
		opc_call_enter(&c);                                                   \
		ret = real ARGS;                                                      \
		if (__builtin_expect(ret != OPC_MPI_SUCCESS, 0))                      \
			opc_call_reject(&c);                                          \
		opc_call_exit(&c);                                                    \
		return ret;                                                           \
	}

#define P2P_PARAMS (const void *buf, int count, opc_mpi_h type, int peer, int tag, opc_mpi_h comm)
#define P2P_ARGS (buf, count, type, peer, tag, comm)
#define IP2P_PARAMS (const void *buf, int count, opc_mpi_h type, int peer, int tag, opc_mpi_h comm, \
		     void *req)
#define IP2P_ARGS (buf, count, type, peer, tag, comm, req)

MPI_WRAP(MPI_Send, P2P_PARAMS, P2P_ARGS, shape_p2p(s, count, type))
MPI_WRAP(MPI_Ssend, P2P_PARAMS, P2P_ARGS, shape_p2p(s, count, type))
MPI_WRAP(MPI_Bsend, P2P_PARAMS, P2P_ARGS, shape_p2p(s, count, type))
MPI_WRAP(MPI_Rsend, P2P_PARAMS, P2P_ARGS, shape_p2p(s, count, type))
MPI_WRAP(MPI_Recv,
	 (void *buf, int count, opc_mpi_h type, int peer, int tag, opc_mpi_h comm, void *status),
	 (buf, count, type, peer, tag, comm, status), shape_p2p(s, count, type))
MPI_WRAP(MPI_Isend, IP2P_PARAMS, IP2P_ARGS, shape_p2p(s, count, type))
MPI_WRAP(MPI_Issend, IP2P_PARAMS, IP2P_ARGS, shape_p2p(s, count, type))
MPI_WRAP(MPI_Ibsend, IP2P_PARAMS, IP2P_ARGS, shape_p2p(s, count, type))
MPI_WRAP(MPI_Irsend, IP2P_PARAMS, IP2P_ARGS, shape_p2p(s, count, type))
MPI_WRAP(MPI_Irecv, IP2P_PARAMS, IP2P_ARGS, shape_p2p(s, count, type))

MPI_WRAP(MPI_Sendrecv,
	 (const void *sbuf, int scount, opc_mpi_h stype, int dest, int stag, void *rbuf,
	  int rcount, opc_mpi_h rtype, int source, int rtag, opc_mpi_h comm, void *status),
	 (sbuf, scount, stype, dest, stag, rbuf, rcount, rtype, source, rtag, comm, status),
	 (s->d[0] = nbytes(scount, stype), s->d[1] = nbytes(rcount, rtype)))
MPI_WRAP(MPI_Sendrecv_replace,
	 (void *buf, int count, opc_mpi_h type, int dest, int stag, int source, int rtag,
	  opc_mpi_h comm, void *status),
	 (buf, count, type, dest, stag, source, rtag, comm, status),
	 (s->d[0] = s->d[1] = nbytes(count, type)))

/* completion: the requests waited for or tested, no bytes */
MPI_WRAP(MPI_Wait, (void *req, void *status), (req, status), s->d[0] = 1)
MPI_WRAP(MPI_Waitall, (int count, void *reqs, void *statuses), (count, reqs, statuses),
	 s->d[0] = count)
MPI_WRAP(MPI_Waitany, (int count, void *reqs, int *index, void *status),
	 (count, reqs, index, status), s->d[0] = count)
MPI_WRAP(MPI_Waitsome, (int count, void *reqs, int *outcount, int *indices, void *statuses),
	 (count, reqs, outcount, indices, statuses), s->d[0] = count)
MPI_WRAP(MPI_Test, (void *req, int *flag, void *status), (req, flag, status), s->d[0] = 1)
MPI_WRAP(MPI_Testall, (int count, void *reqs, int *flag, void *statuses),
	 (count, reqs, flag, statuses), s->d[0] = count)
MPI_WRAP(MPI_Testany, (int count, void *reqs, int *index, int *flag, void *status),
	 (count, reqs, index, flag, status), s->d[0] = count)
MPI_WRAP(MPI_Testsome, (int count, void *reqs, int *outcount, int *indices, void *statuses),
	 (count, reqs, outcount, indices, statuses), s->d[0] = count)

MPI_WRAP(MPI_Barrier, (opc_mpi_h comm), (comm), s->d[0] = comm_size(comm))
MPI_WRAP(MPI_Ibarrier, (opc_mpi_h comm, void *req), (comm, req), s->d[0] = comm_size(comm))

#define RED_PARAMS (const void *sbuf, void *rbuf, int count, opc_mpi_h type, opc_mpi_h op, \
		    opc_mpi_h comm)
#define RED_ARGS (sbuf, rbuf, count, type, op, comm)
#define IRED_PARAMS (const void *sbuf, void *rbuf, int count, opc_mpi_h type, opc_mpi_h op, \
		     opc_mpi_h comm, void *req)
#define IRED_ARGS (sbuf, rbuf, count, type, op, comm, req)

MPI_WRAP(MPI_Allreduce, RED_PARAMS, RED_ARGS, shape_ring(s, count, type, comm))
MPI_WRAP(MPI_Iallreduce, IRED_PARAMS, IRED_ARGS, shape_ring(s, count, type, comm))
MPI_WRAP(MPI_Reduce_scatter_block, RED_PARAMS, RED_ARGS, shape_block(s, count, type, comm))
MPI_WRAP(MPI_Ireduce_scatter_block, IRED_PARAMS, IRED_ARGS, shape_block(s, count, type, comm))
MPI_WRAP(MPI_Scan, RED_PARAMS, RED_ARGS, shape_chain(s, count, type, 0, comm))
MPI_WRAP(MPI_Iscan, IRED_PARAMS, IRED_ARGS, shape_chain(s, count, type, 0, comm))
MPI_WRAP(MPI_Exscan, RED_PARAMS, RED_ARGS, shape_chain(s, count, type, 0, comm))
MPI_WRAP(MPI_Iexscan, IRED_PARAMS, IRED_ARGS, shape_chain(s, count, type, 0, comm))

/* the receive side is significant everywhere (the send side is not with
 * MPI_IN_PLACE): n from rcount and rtype */
#define XCH_PARAMS (const void *sbuf, int scount, opc_mpi_h stype, void *rbuf, int rcount, \
		    opc_mpi_h rtype, opc_mpi_h comm)
#define XCH_ARGS (sbuf, scount, stype, rbuf, rcount, rtype, comm)
#define IXCH_PARAMS (const void *sbuf, int scount, opc_mpi_h stype, void *rbuf, int rcount, \
		     opc_mpi_h rtype, opc_mpi_h comm, void *req)
#define IXCH_ARGS (sbuf, scount, stype, rbuf, rcount, rtype, comm, req)

MPI_WRAP(MPI_Allgather, XCH_PARAMS, XCH_ARGS, shape_block(s, rcount, rtype, comm))
MPI_WRAP(MPI_Iallgather, IXCH_PARAMS, IXCH_ARGS, shape_block(s, rcount, rtype, comm))
MPI_WRAP(MPI_Alltoall, XCH_PARAMS, XCH_ARGS, shape_block(s, rcount, rtype, comm))
MPI_WRAP(MPI_Ialltoall, IXCH_PARAMS, IXCH_ARGS, shape_block(s, rcount, rtype, comm))

MPI_WRAP(MPI_Bcast, (void *buf, int count, opc_mpi_h type, int root, opc_mpi_h comm),
	 (buf, count, type, root, comm), shape_chain(s, count, type, root, comm))
MPI_WRAP(MPI_Ibcast, (void *buf, int count, opc_mpi_h type, int root, opc_mpi_h comm, void *req),
	 (buf, count, type, root, comm, req), shape_chain(s, count, type, root, comm))
MPI_WRAP(MPI_Reduce,
	 (const void *sbuf, void *rbuf, int count, opc_mpi_h type, opc_mpi_h op, int root,
	  opc_mpi_h comm),
	 (sbuf, rbuf, count, type, op, root, comm), shape_chain(s, count, type, root, comm))
MPI_WRAP(MPI_Ireduce,
	 (const void *sbuf, void *rbuf, int count, opc_mpi_h type, opc_mpi_h op, int root,
	  opc_mpi_h comm, void *req),
	 (sbuf, rbuf, count, type, op, root, comm, req), shape_chain(s, count, type, root, comm))

#define ROOTED_PARAMS (const void *sbuf, int scount, opc_mpi_h stype, void *rbuf, int rcount, \
		       opc_mpi_h rtype, int root, opc_mpi_h comm)
#define ROOTED_ARGS (sbuf, scount, stype, rbuf, rcount, rtype, root, comm)
#define IROOTED_PARAMS (const void *sbuf, int scount, opc_mpi_h stype, void *rbuf, int rcount, \
			opc_mpi_h rtype, int root, opc_mpi_h comm, void *req)
#define IROOTED_ARGS (sbuf, scount, stype, rbuf, rcount, rtype, root, comm, req)

MPI_WRAP(MPI_Gather, ROOTED_PARAMS, ROOTED_ARGS,
	 shape_rooted(s, root, comm, rcount, rtype, scount, stype))
MPI_WRAP(MPI_Igather, IROOTED_PARAMS, IROOTED_ARGS,
	 shape_rooted(s, root, comm, rcount, rtype, scount, stype))
MPI_WRAP(MPI_Scatter, ROOTED_PARAMS, ROOTED_ARGS,
	 shape_rooted(s, root, comm, scount, stype, rcount, rtype))
MPI_WRAP(MPI_Iscatter, IROOTED_PARAMS, IROOTED_ARGS,
	 shape_rooted(s, root, comm, scount, stype, rcount, rtype))

/* ---- the v collectives: send and recv bytes from the count arrays ------------- */

/* root receives the others' blocks; the others send their own */
static void shape_gatherv(struct opc_shape *s, int scount, opc_mpi_h stype, const int *rcounts,
			  opc_mpi_h rtype, int root, opc_mpi_h comm)
{
	int p = comm_size(comm), r = comm_rank(comm);

	if (r == root)
		shape_xfer(s, 0, nbytes(sum_but(rcounts, p, r), rtype), p);
	else
		shape_xfer(s, nbytes(scount, stype), 0, p);
}

static void shape_scatterv(struct opc_shape *s, const int *scounts, opc_mpi_h stype, int rcount,
			   opc_mpi_h rtype, int root, opc_mpi_h comm)
{
	int p = comm_size(comm), r = comm_rank(comm);

	if (r == root)
		shape_xfer(s, nbytes(sum_but(scounts, p, r), stype), 0, p);
	else
		shape_xfer(s, 0, nbytes(rcount, rtype), p);
}

/* every rank's block to every other: own block p - 1 times out, the
 * others' in */
static void shape_allgatherv(struct opc_shape *s, const int *rcounts, opc_mpi_h rtype,
			     opc_mpi_h comm)
{
	int p = comm_size(comm), r = comm_rank(comm);
	int64_t own = r >= 0 && r < p && rcounts && rcounts[r] > 0 ? rcounts[r] : 0;

	shape_xfer(s, nbytes((int64_t)(p - 1) * own, rtype), nbytes(sum_but(rcounts, p, r), rtype), p);
}

/* in place, the receive arguments describe both ways */
static void shape_alltoallv(struct opc_shape *s, const void *sbuf, const int *scounts,
			    opc_mpi_h stype, const int *rcounts, opc_mpi_h rtype, opc_mpi_h comm)
{
	int p = comm_size(comm), r = comm_rank(comm);

	if (in_place(sbuf)) {
		scounts = rcounts;
		stype = rtype;
	}
	shape_xfer(s, nbytes(sum_but(scounts, p, r), stype), nbytes(sum_but(rcounts, p, r), rtype), p);
}

/* one datatype per peer, read from the arrays (handle width: the ABI's) */
static void shape_alltoallw(struct opc_shape *s, const void *sbuf, const int *scounts,
			    const void *stypes, const int *rcounts, const void *rtypes,
			    opc_mpi_h comm)
{
	int p = comm_size(comm), r = comm_rank(comm);
	int64_t send = 0, recv = 0;

	if (in_place(sbuf)) {
		scounts = rcounts;
		stypes = rtypes;
	}
	for (int j = 0; j < p; j++) {
		if (j == r)
			continue;
		if (scounts && stypes && scounts[j] > 0)
			send += nbytes(scounts[j], handle_at(stypes, j));
		if (rcounts && rtypes && rcounts[j] > 0)
			recv += nbytes(rcounts[j], handle_at(rtypes, j));
	}
	shape_xfer(s, send, recv, p);
}

/* the transpose of an all-gather: the others' blocks out, p - 1
 * contributions to its own block in */
static void shape_reduce_scatter(struct opc_shape *s, const int *rcounts, opc_mpi_h type,
				 opc_mpi_h comm)
{
	int p = comm_size(comm), r = comm_rank(comm);
	int64_t own = r >= 0 && r < p && rcounts && rcounts[r] > 0 ? rcounts[r] : 0;

	shape_xfer(s, nbytes(sum_but(rcounts, p, r), type), nbytes((int64_t)(p - 1) * own, type), p);
}

MPI_WRAP(MPI_Gatherv,
	 (const void *sbuf, int scount, opc_mpi_h stype, void *rbuf, const int *rcounts,
	  const int *displs, opc_mpi_h rtype, int root, opc_mpi_h comm),
	 (sbuf, scount, stype, rbuf, rcounts, displs, rtype, root, comm),
	 shape_gatherv(s, scount, stype, rcounts, rtype, root, comm))
MPI_WRAP(MPI_Igatherv,
	 (const void *sbuf, int scount, opc_mpi_h stype, void *rbuf, const int *rcounts,
	  const int *displs, opc_mpi_h rtype, int root, opc_mpi_h comm, void *req),
	 (sbuf, scount, stype, rbuf, rcounts, displs, rtype, root, comm, req),
	 shape_gatherv(s, scount, stype, rcounts, rtype, root, comm))
MPI_WRAP(MPI_Scatterv,
	 (const void *sbuf, const int *scounts, const int *displs, opc_mpi_h stype, void *rbuf,
	  int rcount, opc_mpi_h rtype, int root, opc_mpi_h comm),
	 (sbuf, scounts, displs, stype, rbuf, rcount, rtype, root, comm),
	 shape_scatterv(s, scounts, stype, rcount, rtype, root, comm))
MPI_WRAP(MPI_Iscatterv,
	 (const void *sbuf, const int *scounts, const int *displs, opc_mpi_h stype, void *rbuf,
	  int rcount, opc_mpi_h rtype, int root, opc_mpi_h comm, void *req),
	 (sbuf, scounts, displs, stype, rbuf, rcount, rtype, root, comm, req),
	 shape_scatterv(s, scounts, stype, rcount, rtype, root, comm))
MPI_WRAP(MPI_Allgatherv,
	 (const void *sbuf, int scount, opc_mpi_h stype, void *rbuf, const int *rcounts,
	  const int *displs, opc_mpi_h rtype, opc_mpi_h comm),
	 (sbuf, scount, stype, rbuf, rcounts, displs, rtype, comm),
	 shape_allgatherv(s, rcounts, rtype, comm))
MPI_WRAP(MPI_Iallgatherv,
	 (const void *sbuf, int scount, opc_mpi_h stype, void *rbuf, const int *rcounts,
	  const int *displs, opc_mpi_h rtype, opc_mpi_h comm, void *req),
	 (sbuf, scount, stype, rbuf, rcounts, displs, rtype, comm, req),
	 shape_allgatherv(s, rcounts, rtype, comm))
MPI_WRAP(MPI_Alltoallv,
	 (const void *sbuf, const int *scounts, const int *sdispls, opc_mpi_h stype, void *rbuf,
	  const int *rcounts, const int *rdispls, opc_mpi_h rtype, opc_mpi_h comm),
	 (sbuf, scounts, sdispls, stype, rbuf, rcounts, rdispls, rtype, comm),
	 shape_alltoallv(s, sbuf, scounts, stype, rcounts, rtype, comm))
MPI_WRAP(MPI_Ialltoallv,
	 (const void *sbuf, const int *scounts, const int *sdispls, opc_mpi_h stype, void *rbuf,
	  const int *rcounts, const int *rdispls, opc_mpi_h rtype, opc_mpi_h comm, void *req),
	 (sbuf, scounts, sdispls, stype, rbuf, rcounts, rdispls, rtype, comm, req),
	 shape_alltoallv(s, sbuf, scounts, stype, rcounts, rtype, comm))
MPI_WRAP(MPI_Alltoallw,
	 (const void *sbuf, const int *scounts, const int *sdispls, const void *stypes,
	  void *rbuf, const int *rcounts, const int *rdispls, const void *rtypes, opc_mpi_h comm),
	 (sbuf, scounts, sdispls, stypes, rbuf, rcounts, rdispls, rtypes, comm),
	 shape_alltoallw(s, sbuf, scounts, stypes, rcounts, rtypes, comm))
MPI_WRAP(MPI_Reduce_scatter,
	 (const void *sbuf, void *rbuf, const int *rcounts, opc_mpi_h type, opc_mpi_h op,
	  opc_mpi_h comm),
	 (sbuf, rbuf, rcounts, type, op, comm), shape_reduce_scatter(s, rcounts, type, comm))
MPI_WRAP(MPI_Ireduce_scatter,
	 (const void *sbuf, void *rbuf, const int *rcounts, opc_mpi_h type, opc_mpi_h op,
	  opc_mpi_h comm, void *req),
	 (sbuf, rbuf, rcounts, type, op, comm, req), shape_reduce_scatter(s, rcounts, type, comm))
