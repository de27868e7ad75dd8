/*
 * mpi_loop.c - tight loops of the cheapest MPI calls, to measure what the
 * MPI wrappers add per call (bench/mpi.sh): MPI_Allreduce of one double
 * (a wrapper that asks MPI_Type_size and MPI_Comm_size every call) and
 * MPI_Test of MPI_REQUEST_NULL (a wrapper that asks nothing), on one rank.
 * Thread CPU time per call, as the machine may be shared.
 *
 *   mpi_loop [CALLS]
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 1000000L;
	double x = 1, y = 0, sum = 0, t0, t1, t2;
	MPI_Request req = MPI_REQUEST_NULL;
	int flag, tests = 0;

	MPI_Init(&argc, &argv);
	t0 = cpu();
	for (long i = 0; i < calls; i++) {
		MPI_Allreduce(&x, &y, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
		sum += y;
	}
	t1 = cpu();
	for (long i = 0; i < calls; i++) {
		MPI_Test(&req, &flag, MPI_STATUS_IGNORE);
		tests += flag;
	}
	t2 = cpu();
	printf("calls %ld allreduce_ns %.2f test_ns %.2f checksum %g %d\n", calls,
	       (t1 - t0) / calls * 1e9, (t2 - t1) / calls * 1e9, sum, tests);
	MPI_Finalize();
	return 0;
}
