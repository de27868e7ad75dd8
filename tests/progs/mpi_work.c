/*
 * mpi_work.c - known work per MPI rank, for tests/integration/mpi_comm.sh
 * (built with mpicc where it is installed).
 *
 *   mpi_work [ROUNDS [STATUS]]
 *
 * STATUS (default 0): what every rank returns from main, after
 * MPI_Finalize (so that a test can see mpirun pass a failure on).
 * Rank r of p does ROUNDS (default 3) cblas_dgemm of m = 32 + 8r, n = 24,
 * k = 16 (so 2mnk FLOPs each, different per rank) and two MPI_Allreduce,
 * inside a layer region "fc1" of type "Linear" (the all-reduces must stay
 * of type comm there), then one of each of the other communication calls
 * below, with the counts that the test's model
 * check (tests/python/check_mpi_comm.py) repeats: keep the two in step.
 * Rank 0 alone prints, a checksum of everything received, so the output
 * of the job is the same from run to run.
 */
#include <cblas.h>
#include <mpi.h>
#include <opcount.h>
#include <stdio.h>
#include <stdlib.h>

#define AR_COUNT 1000	/* doubles, MPI_Allreduce, twice */
#define RING_COUNT 500	/* doubles, MPI_Isend/MPI_Irecv around the ring */

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 3;
	int status = argc > 2 ? atoi(argv[2]) : 0;
	int rank, p, m, n = 24, k = 16;
	double *a, *b, *c, sum = 0, check = 0;
	MPI_Request req[2];

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &p);

	m = 32 + 8 * rank;
	a = malloc(sizeof(double) * m * k);
	b = malloc(sizeof(double) * k * n);
	c = malloc(sizeof(double) * m * n);
	for (int i = 0; i < m * k; i++)
		a[i] = (i % 7) * 0.25;
	for (int i = 0; i < k * n; i++)
		b[i] = (i % 5) * 0.5;
	opcount_layer_push("fc1", "Linear");
	for (int i = 0; i < rounds; i++)
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, a, k, b, n,
			    0.0, c, n);
	for (int i = 0; i < m * n; i++)
		sum += c[i];

	/* MPI_Allreduce, twice: n = 8000 bytes */
	{
		static double x[AR_COUNT], y[AR_COUNT];

		for (int rep = 0; rep < 2; rep++) {
			for (int i = 0; i < AR_COUNT; i++)
				x[i] = sum + i + rep;
			MPI_Allreduce(x, y, AR_COUNT, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
			check += y[AR_COUNT - 1];
		}
	}
	opcount_layer_pop();
	/* around the ring: Isend to r+1, Irecv from r-1, one Waitall */
	{
		static double out[RING_COUNT], in[RING_COUNT];

		for (int i = 0; i < RING_COUNT; i++)
			out[i] = rank * 1000 + i;
		MPI_Irecv(in, RING_COUNT, MPI_DOUBLE, (rank + p - 1) % p, 7, MPI_COMM_WORLD, &req[0]);
		MPI_Isend(out, RING_COUNT, MPI_DOUBLE, (rank + 1) % p, 7, MPI_COMM_WORLD, &req[1]);
		MPI_Waitall(2, req, MPI_STATUSES_IGNORE);
		check += in[RING_COUNT - 1];
	}
	/* MPI_Bcast of 100 ints from 0 */
	{
		int v[100];

		for (int i = 0; i < 100; i++)
			v[i] = rank == 0 ? i : -1;
		MPI_Bcast(v, 100, MPI_INT, 0, MPI_COMM_WORLD);
		check += v[99];
	}
	/* MPI_Reduce of 10 doubles to rank 1 % p */
	{
		double x[10], y[10] = { 0 };

		for (int i = 0; i < 10; i++)
			x[i] = rank + i;
		MPI_Reduce(x, y, 10, MPI_DOUBLE, MPI_SUM, 1 % p, MPI_COMM_WORLD);
		check += y[9];
	}
	/* MPI_Gather of 4 ints each to 0; MPI_Scatter of 3 doubles each from 2 % p */
	{
		int g[4], *all = malloc(sizeof(int) * 4 * p);
		double *sc = malloc(sizeof(double) * 3 * p), r3[3];

		for (int i = 0; i < 4; i++)
			g[i] = rank * 4 + i;
		MPI_Gather(g, 4, MPI_INT, all, 4, MPI_INT, 0, MPI_COMM_WORLD);
		if (rank == 0)
			for (int i = 0; i < 4 * p; i++)
				check += all[i];
		for (int i = 0; i < 3 * p; i++)
			sc[i] = i * 0.5;
		MPI_Scatter(sc, 3, MPI_DOUBLE, r3, 3, MPI_DOUBLE, 2 % p, MPI_COMM_WORLD);
		check += r3[2];
		free(all);
		free(sc);
	}
	/* MPI_Allgather of 2 doubles each; MPI_Alltoall of 5 ints per peer */
	{
		double two[2] = { rank, rank + 0.5 }, *ag = malloc(sizeof(double) * 2 * p);
		int *s5 = malloc(sizeof(int) * 5 * p), *r5 = malloc(sizeof(int) * 5 * p);

		MPI_Allgather(two, 2, MPI_DOUBLE, ag, 2, MPI_DOUBLE, MPI_COMM_WORLD);
		check += ag[2 * p - 1];
		for (int i = 0; i < 5 * p; i++)
			s5[i] = rank * 100 + i;
		MPI_Alltoall(s5, 5, MPI_INT, r5, 5, MPI_INT, MPI_COMM_WORLD);
		check += r5[5 * p - 1];
		free(ag);
		free(s5);
		free(r5);
	}
	/* MPI_Alltoallv: j + 1 ints to peer j, so r + 1 from each */
	{
		int *sc = malloc(sizeof(int) * p), *sd = malloc(sizeof(int) * p);
		int *rc = malloc(sizeof(int) * p), *rd = malloc(sizeof(int) * p);
		int *sb = malloc(sizeof(int) * p * (p + 1)), *rb = malloc(sizeof(int) * p * (rank + 1));
		int off = 0;

		for (int j = 0; j < p; j++) {
			sc[j] = j + 1;
			sd[j] = off;
			off += j + 1;
			rc[j] = rank + 1;
			rd[j] = j * (rank + 1);
		}
		for (int i = 0; i < off; i++)
			sb[i] = rank + i;
		MPI_Alltoallv(sb, sc, sd, MPI_INT, rb, rc, rd, MPI_INT, MPI_COMM_WORLD);
		check += rb[p * (rank + 1) - 1];
		free(sc);
		free(sd);
		free(rc);
		free(rd);
		free(sb);
		free(rb);
	}
	/* MPI_Alltoallw: 2 doubles to and from each peer, a datatype per peer
	 * (arrays of handles: opcount reads them in the ABI's width) */
	{
		int *cnt = malloc(sizeof(int) * p), *dsp = malloc(sizeof(int) * p);
		MPI_Datatype *ty = malloc(sizeof(MPI_Datatype) * p);
		double *sb = malloc(sizeof(double) * 2 * p), *rb = malloc(sizeof(double) * 2 * p);

		for (int j = 0; j < p; j++) {
			cnt[j] = 2;
			dsp[j] = j * 2 * (int)sizeof(double);
			ty[j] = MPI_DOUBLE;
			sb[2 * j] = rank;
			sb[2 * j + 1] = j;
		}
		MPI_Alltoallw(sb, cnt, dsp, ty, rb, cnt, dsp, ty, MPI_COMM_WORLD);
		check += rb[2 * p - 2];
		free(cnt);
		free(dsp);
		free(ty);
		free(sb);
		free(rb);
	}
	/* MPI_Reduce_scatter_block of 6 doubles per rank; MPI_Scan of 7 ints */
	{
		double *x = malloc(sizeof(double) * 6 * p), y[6];
		int s7[7], t7[7];

		for (int i = 0; i < 6 * p; i++)
			x[i] = rank + i;
		MPI_Reduce_scatter_block(x, y, 6, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
		check += y[5];
		for (int i = 0; i < 7; i++)
			s7[i] = rank + i;
		MPI_Scan(s7, t7, 7, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
		check += t7[6];
		free(x);
	}
	/* MPI_Sendrecv: 11 doubles to r+1, from r-1 */
	{
		double o[11], i11[11];

		for (int i = 0; i < 11; i++)
			o[i] = rank + i;
		MPI_Sendrecv(o, 11, MPI_DOUBLE, (rank + 1) % p, 3, i11, 11, MPI_DOUBLE,
			     (rank + p - 1) % p, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		check += i11[10];
	}
	/* MPI_Iallreduce of 50 floats, MPI_Wait; then MPI_Barrier */
	{
		float x[50], y[50];
		MPI_Request r;

		for (int i = 0; i < 50; i++)
			x[i] = (float)(rank + i);
		MPI_Iallreduce(x, y, 50, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &r);
		MPI_Wait(&r, MPI_STATUS_IGNORE);
		check += y[49];
	}
	MPI_Barrier(MPI_COMM_WORLD);

	/* every rank's checksum to rank 0, which prints them in order */
	{
		double *all = malloc(sizeof(double) * p);

		MPI_Gather(&check, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
		if (rank == 0) {
			for (int i = 0; i < p; i++)
				printf("rank %d of %d: checksum %.6f\n", i, p, all[i]);
			fflush(stdout);
		}
		free(all);
	}
	free(a);
	free(b);
	free(c);
	MPI_Finalize();
	return status;
}
