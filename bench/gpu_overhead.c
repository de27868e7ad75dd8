/*
 * gpu_overhead.c - host cost of opcount's GPU interception per call.
 *
 *   gpu_overhead CALLS
 *
 * CALLS tiny cublasSgemm calls (8x8x8) on one stream, timed on the host
 * from the first call to the last return (the GPU's queue is not waited
 * for).  Against the fake CUDA libraries (tests/fake/) this measures what
 * opcount adds to a call's host path, with the fake runtime's own calls
 * standing in for the real ones: event creation, two event records, the
 * stream and device look-ups.  On a GPU machine, link against the real
 * libraries instead to measure the real cost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 100000;
	float alpha = 1, beta = 0, *a;
	cublasHandle_t h;
	cudaStream_t s;
	struct timespec t0, t1;

	if (cudaMalloc((void **)&a, 3 * 64 * sizeof(float)) || cudaStreamCreate(&s) ||
	    cublasCreate(&h) || cublasSetStream(h, s)) {
		fprintf(stderr, "gpu_overhead: CUDA set-up failed\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < calls; i++)
		cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 8, 8, 8, &alpha, a, 8, a + 64, 8, &beta,
			    a + 128, 8);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cudaStreamSynchronize(s);
	printf("%ld calls %.1f ns/call\n", calls,
	       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / calls);
	cublasDestroy(h);
	return 0;
}
