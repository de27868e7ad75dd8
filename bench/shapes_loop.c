/*
 * shapes_loop.c - a loop of cblas_ddot calls that cycles through SHAPES
 * distinct shapes, so that no call has the key of the call before it and
 * every one is looked up in the thread's key index (ddot_loop measures the
 * repeated key).  The lengths are -1, -2, ...: BLAS returns at once for
 * n <= 0, so what is measured is the interception, not the dot product.
 * Prints ns per call (wall clock, as ddot_loop), peak RSS, and ns per call
 * of the thread's CPU time (less disturbed by other programs on a busy
 * machine).
 *
 *   shapes_loop [CALLS] [SHAPES]
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 20000000L;
	int shapes = argc > 2 ? atoi(argv[2]) : 1000;
	double x[1] = { 1 }, y[1] = { 2 }, sum = 0, t0, t1, c0, c1;
	struct rusage ru;
	int n = 0;

	if (shapes < 1)
		shapes = 1;
	t0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_THREAD_CPUTIME_ID);
	for (long i = 0; i < calls; i++) {
		sum += cblas_ddot(-1 - n, x, 1, y, 1);
		if (++n == shapes)
			n = 0;
	}
	c1 = now(CLOCK_THREAD_CPUTIME_ID);
	t1 = now(CLOCK_MONOTONIC);
	getrusage(RUSAGE_SELF, &ru);
	printf("calls %ld shapes %d ns_per_call %.2f maxrss_kib %ld checksum %g cpu_ns_per_call %.2f\n",
	       calls, shapes, (t1 - t0) / calls * 1e9, ru.ru_maxrss, sum, (c1 - c0) / calls * 1e9);
	return 0;
}
