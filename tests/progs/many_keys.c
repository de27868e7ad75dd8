/*
 * many_keys.c - one thread or several, each calling cblas_dgemm in as
 * many distinct shapes as asked: more keys than a thread's first chunk
 * and first index hold, or than OPCOUNT_MAX_KEYS allows.
 *
 *   many_keys [SHAPES [THREADS [REPEAT]]]     defaults 20000 1 2
 *
 * Every thread runs the same REPEAT passes over SHAPES shapes, shape i
 * being m = 1 + i % 50, n = 1 + i / 50 % 50, k = 1 + i / 2500 (all
 * distinct up to 2,500,000), from one call site.  The program then prints
 * the exact expected counts:
 *
 *   expect_total FLOPS CALLS
 *   expect_keys KEYS          (SHAPES x THREADS)
 */
#include <cblas.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXTHREADS 64
#define MAXK 1000

static long shapes = 20000, repeat = 2;
static pthread_barrier_t start;

static void shape(long i, int *m, int *n, int *k)
{
	*m = 1 + (int)(i % 50);
	*n = 1 + (int)(i / 50 % 50);
	*k = 1 + (int)(i / 2500);
}

static void *work(void *arg)
{
	static const double a[50 * MAXK], b[MAXK * 50];
	double *c = calloc(50 * 50, sizeof(double));

	(void)arg;
	if (c == NULL)
		return (void *)1;
	pthread_barrier_wait(&start);
	for (long r = 0; r < repeat; r++) {
		for (long i = 0; i < shapes; i++) {
			int m, n, k;

			shape(i, &m, &n, &k);
			cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, a, k,
				    b, n, 0.0, c, n);
		}
	}
	free(c);
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
		fprintf(stderr, "usage: many_keys [SHAPES [THREADS [REPEAT]]]\n");
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	pthread_t tid[MAXTHREADS];
	int nthreads;
	uint64_t flops = 0;

	shapes = arg(argc, argv, 1, 20000, 1, 2500L * MAXK);
	nthreads = (int)arg(argc, argv, 2, 1, 1, MAXTHREADS);
	repeat = arg(argc, argv, 3, 2, 1, 1000);
	pthread_barrier_init(&start, NULL, nthreads);
	for (int t = 0; t < nthreads; t++) {
		if (pthread_create(&tid[t], NULL, work, NULL)) {
			fprintf(stderr, "many_keys: pthread_create failed\n");
			return 2;
		}
	}
	for (int t = 0; t < nthreads; t++) {
		void *ret;

		pthread_join(tid[t], &ret);
		if (ret) {
			fprintf(stderr, "many_keys: out of memory\n");
			return 2;
		}
	}
	for (long i = 0; i < shapes; i++) {
		int m, n, k;

		shape(i, &m, &n, &k);
		flops += 2ull * m * n * k;
	}
	printf("expect_total %" PRIu64 " %" PRIu64 "\n", flops * repeat * nthreads,
	       (uint64_t)shapes * repeat * nthreads);
	printf("expect_keys %" PRIu64 "\n", (uint64_t)shapes * nthreads);
	return 0;
}
