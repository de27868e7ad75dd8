/*
 * gpu_energy.c - GPU work with a known timeline, for the GPU energy
 * attribution test (tests/integration/gpu_energy.sh).
 *
 *   gpu_energy BUSY_S IDLE_S
 *
 * Queues SGEMMs (1024^3) on a stream, all at once, so that the simulated
 * GPU (tests/fake/cudart.c) is busy back to back for about BUSY_S
 * seconds, waits for them, then spins on the host for IDLE_S seconds
 * (host work that no intercepted call covers; the GPU idles).  Prints
 * the number of SGEMMs queued and the GPU time the simulated device gave
 * them (its truth).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "../fake/fakegpu.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double busy = argc > 1 ? atof(argv[1]) : 0.3, idle = argc > 2 ? atof(argv[2]) : 0.2;
	const int n = 1024;
	float alpha = 1, beta = 0, *a, *b, *c;
	cublasHandle_t h;
	cudaStream_t s;
	volatile unsigned long spin = 0;
	int calls = 0;

	if (cudaMalloc((void **)&a, sizeof(float) * n * n) || cudaMalloc((void **)&b, sizeof(float) * n * n) ||
	    cudaMalloc((void **)&c, sizeof(float) * n * n) || cudaStreamCreate(&s) ||
	    cublasCreate(&h) || cublasSetStream(h, s)) {
		fprintf(stderr, "gpu_energy: CUDA set-up failed\n");
		return 1;
	}
	/* All queued at once: the simulated GPU runs them back to back
	 * (2 n^3 FLOPs at FAKEGPU_GFLOPS each) while the host waits. */
	calls = (int)(busy * atof(getenv("FAKEGPU_GFLOPS") ? getenv("FAKEGPU_GFLOPS") : "1000") *
		      1e9 / (2.0 * n * n * n) + 0.5);
	for (int i = 0; i < calls; i++)
		if (cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, a, n, b, n, &beta, c, n))
			return 1;
	cudaStreamSynchronize(s);
	for (double t0 = now(); now() - t0 < idle; )
		spin++;
	cublasDestroy(h);
	uint64_t works, gpu_ns;

	fakegpu_totals(&works, &gpu_ns);	/* the truth the test checks */
	printf("%d sgemm, %llu ns on the GPU\n", calls, (unsigned long long)gpu_ns);
	return 0;
}
