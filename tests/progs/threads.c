/*
 * threads.c - many threads calling BLAS at the same time.
 *
 *   threads [ITERS [THREADS [WAVES]]]     defaults 2000 8 1
 *
 * Each wave starts THREADS threads that wait on a barrier and then all at
 * once run their loop: thread i runs ITERS + i iterations of one
 * cblas_dgemm (32 x 32 x 32) and one cblas_ddot (n = 1000), inside the
 * layer "worker<i>" (type "Worker"), so that the per-thread layer stacks
 * are exercised too.  The waves run one after the other, so threads that
 * have exited (and whose state the library must still harvest) are
 * followed by new ones.  The program then prints the exact expected
 * counts:
 *
 *   expect OP FLOPS CALLS
 *   expect_total FLOPS CALLS
 *   layer_flops NAME FLOPS
 *
 * and a checksum line that does not depend on scheduling.
 */
#include <cblas.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opcount.h"

#define N 32
#define DOTN 1000
#define MAXTHREADS 256

struct worker {
	pthread_t tid;
	int idx;
	long iters;
	double sum;		/* of the results, for the checksum */
	int bad;
};

static pthread_barrier_t start;

static void *work(void *arg)
{
	struct worker *w = arg;
	double a[N * N], b[N * N], c[N * N], x[DOTN], y[DOTN];
	char name[32];

	for (int i = 0; i < N * N; i++) {
		a[i] = (double)((i * 7 + w->idx) % 13) / 13.0;
		b[i] = (double)((i * 5) % 11) / 11.0;
	}
	for (int i = 0; i < DOTN; i++) {
		x[i] = 1.0;
		y[i] = (double)(i % 4);	/* sum 1500: exact in binary */
	}
	snprintf(name, sizeof(name), "worker%d", w->idx);
	pthread_barrier_wait(&start);

	opcount_layer_push(name, "Worker");
	for (long it = 0; it < w->iters; it++) {
		double d;

		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0, a, N,
			    b, N, 0.0, c, N);
		d = cblas_ddot(DOTN, x, 1, y, 1);
		if (d != 1500.0)
			w->bad = 1;
		w->sum += c[it % (N * N)] > 0;
	}
	opcount_layer_pop();
	return NULL;
}

static long arg(int argc, char **argv, int i, long def, long lo, long hi)
{
	char *end;
	long v;

	if (argc <= i)
		return def;
	v = strtol(argv[i], &end, 10);
	if (*end || end == argv[i] || v < lo || v > hi) {
		fprintf(stderr, "usage: threads [ITERS [THREADS [WAVES]]]\n");
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	long iters = arg(argc, argv, 1, 2000, 0, 100000000);
	int nthreads = (int)arg(argc, argv, 2, 8, 1, MAXTHREADS);
	int waves = (int)arg(argc, argv, 3, 1, 1, 1000);
	const uint64_t gemm_flops = 2ull * N * N * N, dot_flops = 2ull * DOTN;
	uint64_t layer[MAXTHREADS] = { 0 }, calls_per_op = 0, total_iters = 0;
	static struct worker w[MAXTHREADS];
	int bad = 0;
	double sum = 0;

	for (int wave = 0; wave < waves; wave++) {
		pthread_barrier_init(&start, NULL, nthreads);
		for (int i = 0; i < nthreads; i++) {
			memset(&w[i], 0, sizeof(w[i]));
			w[i].idx = i;
			w[i].iters = iters + i;
			if (pthread_create(&w[i].tid, NULL, work, &w[i])) {
				fprintf(stderr, "threads: pthread_create failed\n");
				return 2;
			}
		}
		for (int i = 0; i < nthreads; i++) {
			pthread_join(w[i].tid, NULL);
			bad |= w[i].bad;
			sum += w[i].sum;
			layer[i] += (uint64_t)w[i].iters * (gemm_flops + dot_flops);
			total_iters += (uint64_t)w[i].iters;
		}
		pthread_barrier_destroy(&start);
	}
	calls_per_op = total_iters;

	printf("expect dgemm %" PRIu64 " %" PRIu64 "\n", calls_per_op * gemm_flops, calls_per_op);
	printf("expect ddot %" PRIu64 " %" PRIu64 "\n", calls_per_op * dot_flops, calls_per_op);
	printf("expect_total %" PRIu64 " %" PRIu64 "\n",
	       calls_per_op * (gemm_flops + dot_flops), 2 * calls_per_op);
	for (int i = 0; i < nthreads; i++)
		printf("layer_flops worker%d %" PRIu64 "\n", i, layer[i]);
	printf("checksum %.0f\n", sum);
	if (bad)
		fprintf(stderr, "threads: a ddot returned a wrong value\n");
	return bad;
}
