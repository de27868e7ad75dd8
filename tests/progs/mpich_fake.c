/*
 * mpich_fake.c - a program and its own MPI with the MPICH ABI (int
 * handles, MPI_IN_PLACE (void *)-1), for tests/integration/mpi_abi.sh: the
 * other ABI than the Open MPI of mpi_comm.sh.  Built twice: with
 * -DMPICH_FAKE_LIB as libmpich_fake.so, the few MPI functions the program
 * calls and the preload library asks (PMPI_Type_size, PMPI_Comm_size, and
 * MPI_Comm_rank without its profiling name, which the library must fall
 * back to), playing rank 1 of 4; and as the program, linked with
 * it.  Handles are MPICH's values (MPI_COMM_WORLD 0x44000000, MPI_INT
 * 0x4c000405, MPI_DOUBLE 0x4c00080b, MPI_FLOAT 0x4c00040a,
 * MPI_DATATYPE_NULL 0x0c000000).
 *
 * The fake aborts when asked the size of any other handle, so a wrapper
 * that reads a handle it must not (a gather's receive type at a non-root,
 * the null type of an empty receive) or reads a handle array in the wrong
 * width (MPI_Alltoallw) fails the test; and every call checks its own
 * handles (an MPI error otherwise, which opcount would count as a refused
 * call).  The program makes each of its 8 calls 3 times and prints
 * "mpich_fake: N calls, status S".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define COMM_WORLD	0x44000000
#define T_INT		0x4c000405
#define T_DOUBLE	0x4c00080b
#define T_FLOAT		0x4c00040a
#define T_NULL		0x0c000000
#define IN_PLACE	((void *)-1)
#define ERR_TYPE	3
#define ERR_COMM	5

int MPI_Send(const void *buf, int count, int type, int dest, int tag, int comm);
int MPI_Recv(void *buf, int count, int type, int src, int tag, int comm, void *status);
int MPI_Allreduce(const void *s, void *r, int count, int type, int op, int comm);
int MPI_Bcast(void *buf, int count, int type, int root, int comm);
int MPI_Gather(const void *s, int sc, int st, void *r, int rc, int rt, int root, int comm);
int MPI_Alltoallv(const void *s, const int *sc, const int *sd, int st, void *r, const int *rc,
		  const int *rd, int rt, int comm);
int MPI_Alltoallw(const void *s, const int *sc, const int *sd, const int *st, void *r,
		  const int *rc, const int *rd, const int *rt, int comm);

#ifdef MPICH_FAKE_LIB
static int size_of(int t)
{
	switch (t) {
	case T_INT: case T_FLOAT: return 4;
	case T_DOUBLE: return 8;
	}
	return -1;
}

int PMPI_Type_size(int t, int *sz)
{
	if (size_of(t) < 0) {
		fprintf(stderr, "mpich_fake: asked the size of handle %#x\n", (unsigned)t);
		abort();
	}
	*sz = size_of(t);
	return 0;
}

int PMPI_Comm_size(int c, int *p)
{
	if (c != COMM_WORLD)
		abort();
	*p = 4;
	return 0;
}

/* only the plain name: the library falls back to it */
int MPI_Comm_rank(int c, int *r)
{
	if (c != COMM_WORLD)
		abort();
	*r = 1;
	return 0;
}

#define CHECK(t, c) do { if (size_of(t) < 0) return ERR_TYPE; \
			 if ((c) != COMM_WORLD) return ERR_COMM; } while (0)

int MPI_Send(const void *buf, int count, int type, int dest, int tag, int comm)
{
	CHECK(type, comm);
	return 0;
}

int MPI_Recv(void *buf, int count, int type, int src, int tag, int comm, void *status)
{
	if (comm != COMM_WORLD || (count > 0 && size_of(type) < 0))
		return ERR_COMM;
	return 0;
}

int MPI_Allreduce(const void *s, void *r, int count, int type, int op, int comm)
{
	CHECK(type, comm);
	return 0;
}

int MPI_Bcast(void *buf, int count, int type, int root, int comm)
{
	CHECK(type, comm);
	return 0;
}

/* at a non-root the receive arguments are not significant */
int MPI_Gather(const void *s, int sc, int st, void *r, int rc, int rt, int root, int comm)
{
	CHECK(st, comm);
	return 0;
}

int MPI_Alltoallv(const void *s, const int *sc, const int *sd, int st, void *r, const int *rc,
		  const int *rd, int rt, int comm)
{
	if (s != IN_PLACE)
		CHECK(st, comm);
	CHECK(rt, comm);
	return 0;
}

int MPI_Alltoallw(const void *s, const int *sc, const int *sd, const int *st, void *r,
		  const int *rc, const int *rd, const int *rt, int comm)
{
	for (int j = 0; j < 4; j++) {
		CHECK(st[j], comm);
		CHECK(rt[j], comm);
	}
	return 0;
}
#else
int main(void)
{
	static double buf[64];
	int rc[4] = { 1, 2, 3, 4 }, rd[4] = { 0, 1, 3, 6 };
	int wsc[4] = { 1, 1, 1, 1 }, wst[4] = { T_INT, T_DOUBLE, T_FLOAT, T_INT };
	int wrc[4] = { 2, 2, 2, 2 }, wrt[4] = { T_DOUBLE, T_DOUBLE, T_DOUBLE, T_DOUBLE };
	int wd[4] = { 0, 16, 32, 48 };
	int calls = 0, status = 0;

	for (int i = 0; i < 3; i++) {
		status |= MPI_Send(buf, 10, T_DOUBLE, 0, 1, COMM_WORLD);
		status |= MPI_Recv(buf, 0, T_NULL, 0, 1, COMM_WORLD, NULL);
		status |= MPI_Allreduce(buf, buf + 32, 25, T_DOUBLE, 0, COMM_WORLD);
		status |= MPI_Allreduce(IN_PLACE, buf, 100, T_DOUBLE, 0, COMM_WORLD);
		status |= MPI_Bcast(buf, 16, T_INT, 3, COMM_WORLD);
		status |= MPI_Gather(buf, 5, T_INT, NULL, 0, 0x12345, 0, COMM_WORLD);
		status |= MPI_Alltoallv(IN_PLACE, NULL, NULL, 0x6789, buf, rc, rd, T_DOUBLE,
					COMM_WORLD);
		status |= MPI_Alltoallw(buf, wsc, wd, wst, buf + 32, wrc, wd, wrt, COMM_WORLD);
		calls += 8;
	}
	printf("mpich_fake: %d calls, status %d\n", calls, status);
	return status;
}
#endif
