/*
 * blas_loop.c - a long-running BLAS loop to attach to.
 *
 *   blas_loop ITERS SLEEP_US
 *
 * Prints "ready PID" when it starts, then runs ITERS iterations of one
 * cblas_dgemm (24 x 24 x 24, 27648 FLOPs), sleeping SLEEP_US between
 * them, and prints a checksum that does not depend on timing.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define N 24

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 1000;
	long us = argc > 2 ? atol(argv[2]) : 1000;
	static double a[N * N], b[N * N], c[N * N];
	double sum = 0;

	for (int i = 0; i < N * N; i++) {
		a[i] = (i % 7) * 0.25;
		b[i] = (i % 5) * 0.5;
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (long i = 0; i < iters; i++) {
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0, a, N, b, N,
			    0.0, c, N);
		sum += c[i % (N * N)];
		a[i % (N * N)] += 1e-3;
		if (us)
			usleep(us);
	}
	printf("checksum %.9g\n", sum);
	return 0;
}
