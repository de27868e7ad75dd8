/*
 * gpu_threads.c - cuBLAS from several threads at once, each on its own
 * stream, for tests/integration/gpu_threads.sh.
 *
 *   gpu_threads THREADS CALLS [fork]
 *
 * Every thread makes CALLS cublasSgemm calls of its own size
 * (m = n = k = 320 + 64 * thread: above the fake cuBLAS's host-arithmetic
 * limit, so calls return at once and the stream stays busy) on a stream
 * of its own, queued back to back, then waits for its stream.  Prints the
 * GPU time the simulated device gave all the calls.  With "fork", the
 * main thread makes calls too, then forks while the workers, done with
 * their calls, are still alive; the child exits at once, and its exit
 * status is printed (the fake runtime aborts a child that calls it, as
 * CUDA fails in a child forked after initialisation).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "../fake/fakegpu.h"

#include <sys/wait.h>
#include <unistd.h>

static int calls;
static pthread_barrier_t done, go;
static int forking;

/* CALLS sgemm of thread id's size on a stream of its own; 0 if all went */
static int sgemms(int id, cublasHandle_t *ph, float **pa)
{
	int n = 320 + 64 * id;
	float alpha = 1, beta = 0, *a;
	cudaStream_t s;

	if (cudaMalloc((void **)&a, 3 * sizeof(float) * n * n) || cudaStreamCreate(&s) ||
	    cublasCreate(ph) || cublasSetStream(*ph, s))
		return 1;
	*pa = a;
	for (int i = 0; i < calls; i++)
		if (cublasSgemm(*ph, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, a, n, a + n * n, n,
				&beta, a + 2 * n * n, n))
			return 1;
	cudaStreamSynchronize(s);
	return 0;
}

static void *worker(void *arg)
{
	cublasHandle_t h;
	float *a = NULL;
	int bad = sgemms((int)(long)arg, &h, &a);

	if (forking) {	/* alive, with its events, while main forks */
		pthread_barrier_wait(&done);
		pthread_barrier_wait(&go);
	}
	if (bad)
		return (void *)1;
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
	forking = argc > 3 && !strcmp(argv[3], "fork");
	if (nt < 1 || nt > 64 || calls < 1) {
		fprintf(stderr, "usage: gpu_threads THREADS(1-64) CALLS\n");
		return 2;
	}
	pthread_barrier_init(&done, NULL, nt + 1);
	pthread_barrier_init(&go, NULL, nt + 1);
	for (long i = 0; i < nt; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	if (forking) {
		int st;
		pid_t pid;

		cublasHandle_t h;
		float *a;

		bad |= sgemms(nt, &h, &a);	/* main's own calls, a size of its own */
		pthread_barrier_wait(&done);
		pid = fork();
		if (pid == 0)
			_exit(0);
		waitpid(pid, &st, 0);
		printf("child: %s %d\n", WIFEXITED(st) ? "exit" : "signal",
		       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		pthread_barrier_wait(&go);
	}
	for (int i = 0; i < nt; i++) {
		void *r;

		pthread_join(t[i], &r);
		bad |= r != NULL;
	}
	fakegpu_totals(&works, &ns);
	printf("%d threads x %d sgemm, %llu ns on the GPU\n", nt, calls, (unsigned long long)ns);
	return bad;
}
