/*
 * collector_stress.c - make the library's collector thread harvest while
 * the counters and tables it reads are changing.  Meant to run with a
 * high OPCOUNT_HZ (tests/integration/collector_stress.sh uses 10000).
 *
 *   collector_stress timed [CALLS]
 *      One thread, CALLS (default 100000) cblas_dgemm 48x48x48: each call
 *      is long enough to be timed, so the calls and timed counters of the
 *      key move together all the time.  A harvest that reads them in the
 *      wrong order sees one more timed call than calls.
 *   collector_stress layers [CALLS [THREADS]]
 *      THREADS (default 4) threads, each making CALLS (default 5000)
 *      cblas_ddot(n = 8) calls, every one in a layer never seen before,
 *      so that new layers and the keys that refer to them appear all the
 *      time.  A harvest that writes the layers it knows before it looks
 *      for new keys can write a key whose layer is not yet in the trace.
 *
 * Prints `expect OP FLOPS CALLS`, `expect_total FLOPS CALLS` and, for
 * layers, `expect_layers N` (the number of distinct layers).
 */
#include <cblas.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opcount.h"

#define GN 48

static long calls_per_thread;

static void *layers_thread(void *arg)
{
	double x[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	long idx = (long)arg;
	char name[48];

	for (long i = 0; i < calls_per_thread; i++) {
		snprintf(name, sizeof(name), "t%ld_%ld", idx, i);
		opcount_layer_push(name, "Fresh");
		if (cblas_ddot(8, x, 1, x, 1) != 204.0)
			abort();
		opcount_layer_pop();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "timed")) {
		static double a[GN * GN], b[GN * GN], c[GN * GN];
		long calls = argc > 2 ? atol(argv[2]) : 100000;

		for (long i = 0; i < calls; i++)
			cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, GN, GN, GN, 1.0, a,
				    GN, b, GN, 0.0, c, GN);
		printf("expect dgemm %" PRIu64 " %ld\n", (uint64_t)calls * 2 * GN * GN * GN, calls);
		printf("expect_total %" PRIu64 " %ld\n", (uint64_t)calls * 2 * GN * GN * GN, calls);
		return 0;
	}
	if (!strcmp(mode, "layers")) {
		int nthreads = argc > 3 ? atoi(argv[3]) : 4;
		pthread_t t[64];
		uint64_t calls;

		calls_per_thread = argc > 2 ? atol(argv[2]) : 5000;
		if (nthreads < 1 || nthreads > 64 || calls_per_thread < 1) {
			fprintf(stderr, "collector_stress: bad arguments\n");
			return 2;
		}
		for (long i = 0; i < nthreads; i++)
			if (pthread_create(&t[i], NULL, layers_thread, (void *)i)) {
				fprintf(stderr, "collector_stress: pthread_create failed\n");
				return 2;
			}
		for (int i = 0; i < nthreads; i++)
			pthread_join(t[i], NULL);
		calls = (uint64_t)nthreads * calls_per_thread;
		printf("expect ddot %" PRIu64 " %" PRIu64 "\n", calls * 16, calls);
		printf("expect_total %" PRIu64 " %" PRIu64 "\n", calls * 16, calls);
		printf("expect_layers %" PRIu64 "\n", calls);
		return 0;
	}
	fprintf(stderr, "usage: collector_stress timed [CALLS] | layers [CALLS [THREADS]]\n");
	return 2;
}
