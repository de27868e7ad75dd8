/*
 * dlopen_local.c - BLAS bound at run time the way BLAS switchers do it:
 * dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL) + dlsym, which
 * LD_PRELOAD never sees.  Not linked with any BLAS.
 *
 *   dlopen_local [CALLS]      default 500
 *
 * Makes CALLS calls of cblas_dgemm (16 x 24 x 8) and CALLS / 2 of
 * cblas_ddot (n = 100), then prints the exact expected counts:
 *   expect OP FLOPS CALLS
 *   expect_total FLOPS CALLS
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

typedef void (*dgemm_fn)(int, int, int, int, int, int, double, const double *, int,
			 const double *, int, double, double *, int);
typedef double (*ddot_fn)(int, const double *, int, const double *, int);

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 500;
	enum { M = 16, N = 24, K = 8, DN = 100 };
	static double a[M * K], b[K * N], c[M * N], x[DN], y[DN];
	double sum = 0;
	void *h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		fprintf(stderr, "dlopen_local: %s\n", dlerror());
		return 1;
	}
	dgemm_fn gemm = (dgemm_fn)dlsym(h, "cblas_dgemm");
	ddot_fn dot = (ddot_fn)dlsym(h, "cblas_ddot");

	if (!gemm || !dot) {
		fprintf(stderr, "dlopen_local: %s\n", dlerror());
		return 1;
	}
	for (int i = 0; i < M * K; i++)
		a[i] = 1.0 / (i + 1);
	for (int i = 0; i < K * N; i++)
		b[i] = 1.0;
	for (int i = 0; i < DN; i++)
		x[i] = y[i] = 0.5;
	for (long i = 0; i < calls; i++) {
		gemm(101, 111, 111, M, N, K, 1.0, a, K, b, N, 0.0, c, N);
		sum += c[0];
		if (i % 2 == 0)
			sum += dot(DN, x, 1, y, 1);
	}
	int64_t gf = 2LL * M * N * K * calls, df = 2LL * DN * ((calls + 1) / 2);

	printf("expect dgemm %" PRId64 " %ld\n", gf, calls);
	printf("expect ddot %" PRId64 " %ld\n", df, (calls + 1) / 2);
	printf("expect_total %" PRId64 " %ld\n", gf + df, calls + (calls + 1) / 2);
	printf("checksum %.6f\n", sum);
	return 0;
}
