/*
 * spin_gemm.c - CPU time outside and inside BLAS, for ptrace --stacks.
 *
 *   spin_gemm [SECONDS]       default 0.4
 *
 * Spins in spin_here() (no BLAS) for SECONDS of CPU time, then calls
 * cblas_dgemm back to back for SECONDS, then sleeps SECONDS / 2 (idle:
 * no samples).  Prints what it measured:
 *
 *   spin_s S        CPU time inside spin_here
 *   gemm_s G        wall time inside the dgemm calls
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

volatile double sink;

__attribute__((noinline)) static void spin_here(double secs)
{
	double end = cpu_s() + secs, x = 1;

	/* the clock is read every ~1 ms: samples land in the loop, not in
	 * clock_gettime (whose vDSO frame libunwind cannot step through) */
	while (cpu_s() < end)
		for (int i = 0; i < 1000000; i++)
			x = x * 1.0000001 + 1e-9;
	sink = x;
}

int main(int argc, char **argv)
{
	enum { N = 160 };
	static double a[N * N], b[N * N], c[N * N];
	double secs = argc > 1 ? atof(argv[1]) : 0.4, t0, busy = 0, end;
	struct timespec ts;

	for (int i = 0; i < N * N; i++) {
		a[i] = (i % 17) / 17.0;
		b[i] = (i % 13) / 13.0;
	}
	t0 = cpu_s();
	spin_here(secs);
	printf("spin_s %.6f\n", cpu_s() - t0);
	end = wall_s() + secs;
	while (wall_s() < end) {
		t0 = wall_s();
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0, a, N, b, N,
			    0.0, c, N);
		busy += wall_s() - t0;
	}
	printf("gemm_s %.6f\n", busy);
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(secs / 2 * 1e9);
	nanosleep(&ts, NULL);
	sink += c[0];
	return 0;
}
