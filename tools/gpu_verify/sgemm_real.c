/*
 * sgemm_real.c - an SGEMM loop on a real GPU, for tools/gpu_verify/run.sh.
 *
 *   sgemm_real N CALLS
 *
 * CALLS cublasSgemm of N x N x N on one stream, then a synchronisation.
 * Prints the analytic FLOPs (2 N^3 per call) and the wall time, which the
 * script compares with what opcount counted and timed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4096, calls = argc > 2 ? atoi(argv[2]) : 200;
	float alpha = 1, beta = 0, *a, *b, *c;
	cublasHandle_t h;
	cudaStream_t s;
	cudaError_t e;
	double t0;

	if ((e = cudaMalloc((void **)&a, sizeof(float) * n * n)) ||
	    (e = cudaMalloc((void **)&b, sizeof(float) * n * n)) ||
	    (e = cudaMalloc((void **)&c, sizeof(float) * n * n)) || (e = cudaStreamCreate(&s))) {
		fprintf(stderr, "sgemm_real: %s\n", cudaGetErrorString(e));
		return 1;
	}
	if (cublasCreate(&h) || cublasSetStream(h, s)) {
		fprintf(stderr, "sgemm_real: cuBLAS set-up failed\n");
		return 1;
	}
	cudaMemset(a, 0, sizeof(float) * n * n);
	cudaMemset(b, 0, sizeof(float) * n * n);
	cudaStreamSynchronize(s);
	t0 = now();
	for (int i = 0; i < calls; i++)
		cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, a, n, b, n, &beta, c, n);
	cudaStreamSynchronize(s);
	printf("flops %.0f\nwall_s %.6f\n", 2.0 * n * n * n * calls, now() - t0);
	cublasDestroy(h);
	return 0;
}
