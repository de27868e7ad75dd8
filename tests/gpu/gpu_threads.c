/*
 * gpu_threads.c - cuBLAS from several threads at once, each on its own
 * stream, for tests/integration/gpu_threads.sh.
 *
 *   gpu_threads THREADS CALLS
 *
 * Every thread makes CALLS cublasSgemm calls of its own size
 * (m = n = k = 320 + 64 * thread: above the fake cuBLAS's host-arithmetic
 * limit, so calls return at once and the stream stays busy) on a stream
 * of its own, queued back to back, then waits for its stream.  Prints the
 * GPU time the simulated device gave all the calls.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "../fake/fakegpu.h"

static int calls;

static void *worker(void *arg)
{
	int id = (int)(long)arg, n = 320 + 64 * id;
	float alpha = 1, beta = 0, *a;
	cublasHandle_t h;
	cudaStream_t s;

	if (cudaMalloc((void **)&a, 3 * sizeof(float) * n * n) || cudaStreamCreate(&s) ||
	    cublasCreate(&h) || cublasSetStream(h, s))
		return (void *)1;
	for (int i = 0; i < calls; i++)
		if (cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, a, n, a + n * n, n,
				&beta, a + 2 * n * n, n))
			return (void *)1;
	cudaStreamSynchronize(s);
	cublasDestroy(h);
	cudaFree(a);
	return NULL;
}

int main(int argc, char **argv)
{
	int nt = argc > 1 ? atoi(argv[1]) : 4;
	pthread_t t[64];
	uint64_t works, ns;
	int bad = 0;

	calls = argc > 2 ? atoi(argv[2]) : 1000;
	if (nt < 1 || nt > 64 || calls < 1) {
		fprintf(stderr, "usage: gpu_threads THREADS(1-64) CALLS\n");
		return 2;
	}
	for (long i = 0; i < nt; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < nt; i++) {
		void *r;

		pthread_join(t[i], &r);
		bad |= r != NULL;
	}
	fakegpu_totals(&works, &ns);
	printf("%d threads x %d sgemm, %llu ns on the GPU\n", nt, calls, (unsigned long long)ns);
	return bad;
}
