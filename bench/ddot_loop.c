/*
 * ddot_loop.c - a tight loop of tiny cblas_ddot calls, to measure what
 * interception adds per call.  Prints ns per call and peak RSS.
 *
 *   ddot_loop [CALLS] [N]
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 100000000L;
	int n = argc > 2 ? atoi(argv[2]) : 1;
	double x[64], y[64], sum = 0, t0, t1;
	struct rusage ru;

	if (n < 1 || n > 64)
		n = 1;
	for (int i = 0; i < n; i++) {
		x[i] = 1.0 / (i + 1);
		y[i] = i;
	}
	t0 = now();
	for (long i = 0; i < calls; i++)
		sum += cblas_ddot(n, x, 1, y, 1);
	t1 = now();
	getrusage(RUSAGE_SELF, &ru);
	printf("calls %ld n %d ns_per_call %.2f maxrss_kib %ld checksum %g\n", calls, n,
	       (t1 - t0) / calls * 1e9, ru.ru_maxrss, sum);
	return 0;
}
