/*
 * conv_real.c - a cuDNN convolution loop on a real GPU, for
 * tools/gpu_verify/run.sh.
 *
 *   conv_real CALLS
 *
 * CALLS cudnnConvolutionForward of a 3x3, 256 -> 256 channel convolution
 * over a 64 x 256 x 56 x 56 batch (padding 1, stride 1), then a
 * synchronisation.  Prints the analytic FLOPs: 2 x output elements x
 * C x 3 x 3 per call.
 */
#include <stdio.h>
#include <stdlib.h>

#include <cuda_runtime_api.h>
#include <cudnn.h>

#define CHECK(x)                                                               \
	do {                                                                   \
		cudnnStatus_t st_ = (x);                                       \
		if (st_ != CUDNN_STATUS_SUCCESS) {                             \
			fprintf(stderr, "conv_real: %s: %s\n", #x,             \
				cudnnGetErrorString(st_));                     \
			return 1;                                              \
		}                                                              \
	} while (0)

int main(int argc, char **argv)
{
	const int N = 64, C = 256, H = 56, W = 56, K = 256, R = 3, S = 3;
	int calls = argc > 1 ? atoi(argv[1]) : 50;
	cudnnHandle_t h;
	cudnnTensorDescriptor_t x, y;
	cudnnFilterDescriptor_t w;
	cudnnConvolutionDescriptor_t conv;
	float alpha = 1, beta = 0, *dx, *dw, *dy;
	void *ws = NULL;
	size_t wsz = 0;
	cudnnConvolutionFwdAlgo_t algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;

	if (cudaMalloc((void **)&dx, sizeof(float) * N * C * H * W) ||
	    cudaMalloc((void **)&dw, sizeof(float) * K * C * R * S) ||
	    cudaMalloc((void **)&dy, sizeof(float) * N * K * H * W)) {
		fprintf(stderr, "conv_real: cudaMalloc failed\n");
		return 1;
	}
	CHECK(cudnnCreate(&h));
	CHECK(cudnnCreateTensorDescriptor(&x));
	CHECK(cudnnCreateTensorDescriptor(&y));
	CHECK(cudnnCreateFilterDescriptor(&w));
	CHECK(cudnnCreateConvolutionDescriptor(&conv));
	CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, N, C, H, W));
	CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, N, K, H, W));
	CHECK(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, K, C, R, S));
	CHECK(cudnnSetConvolution2dDescriptor(conv, 1, 1, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION,
					      CUDNN_DATA_FLOAT));
	CHECK(cudnnGetConvolutionForwardWorkspaceSize(h, x, w, conv, y, algo, &wsz));
	if (wsz && cudaMalloc(&ws, wsz)) {
		fprintf(stderr, "conv_real: no workspace\n");
		return 1;
	}
	for (int i = 0; i < calls; i++)
		CHECK(cudnnConvolutionForward(h, &alpha, x, dx, w, dw, conv, algo, ws, wsz, &beta, y,
					      dy));
	cudaDeviceSynchronize();
	printf("flops %.0f\n", 2.0 * N * K * H * W * C * R * S * calls);
	cudnnDestroy(h);
	return 0;
}
