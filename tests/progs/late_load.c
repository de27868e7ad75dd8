/*
 * late_load.c - BLAS that arrives after start-up, inside a library opened
 * with dlopen(RTLD_LOCAL).
 *
 *   late_load HELPER.so [ROUNDS]
 *
 * HELPER.so (built by tests/integration/late_load.sh) depends on
 * libopenblas and exports
 *
 *   void late_helper_run(int m, int n, int k, int times, double *out);
 *
 * which calls cblas_dgemm(m, n, k) `times` times, dgemm_ (Fortran) once
 * and cblas_ddot(k) once, all through its own PLT.  This program calls no
 * BLAS itself and needs no BLAS library: built without -lopenblas,
 * libopenblas enters the process only with HELPER.so, in a local scope
 * that dlsym(RTLD_NEXT) never searches.  Each round opens the helper,
 * runs it with a different shape and closes it again, so that a later
 * round may find the library at another address.
 *
 * It prints `expect OP FLOPS CALLS` per routine, `expect_total FLOPS
 * CALLS`, and the checksums of the results, which do not depend on the
 * preload library.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef void (*helper_fn)(int m, int n, int k, int times, double *out);

int main(int argc, char **argv)
{
	uint64_t gemm_flops = 0, gemm_calls = 0, fgemm_flops = 0, fgemm_calls = 0;
	uint64_t dot_flops = 0, dot_calls = 0;
	int rounds = argc > 2 ? atoi(argv[2]) : 1;

	if (argc < 2 || rounds < 1) {
		fprintf(stderr, "usage: late_load HELPER.so [ROUNDS]\n");
		return 2;
	}
	for (int r = 0; r < rounds; r++) {
		int m = 20 + r, n = 30 + 2 * r, k = 40 + 3 * r, times = 3 + r;
		void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
		helper_fn run;
		void *sym;
		double out = 0;

		if (h == NULL) {
			fprintf(stderr, "late_load: %s\n", dlerror());
			return 2;
		}
		sym = dlsym(h, "late_helper_run");
		if (sym == NULL) {
			fprintf(stderr, "late_load: %s\n", dlerror());
			return 2;
		}
		*(void **)&run = sym;
		run(m, n, k, times, &out);
		printf("round %d checksum %.6f\n", r, out);
		fflush(stdout);
		dlclose(h);

		gemm_flops += (uint64_t)times * 2 * m * n * k;
		gemm_calls += times;
		fgemm_flops += 2ull * m * n * k;
		fgemm_calls++;
		dot_flops += 2ull * k;
		dot_calls++;
	}
	/* cblas_dgemm and dgemm_ are one op, dgemm, in the report */
	printf("expect dgemm %" PRIu64 " %" PRIu64 "\n", gemm_flops + fgemm_flops,
	       gemm_calls + fgemm_calls);
	printf("expect ddot %" PRIu64 " %" PRIu64 "\n", dot_flops, dot_calls);
	printf("expect_total %" PRIu64 " %" PRIu64 "\n", gemm_flops + fgemm_flops + dot_flops,
	       gemm_calls + fgemm_calls + dot_calls);
	return 0;
}
