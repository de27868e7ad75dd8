/*
 * cublas_loop.c - a fixed sequence of cuBLAS and cublasLt calls, repeated
 * LOOPS times (argument 1, default 3) on one stream, for
 * tests/integration/gpu_cublas.sh, which knows the sequence and works out
 * what opcount must count for each call.  Prints a checksum of every
 * result computed on the host by the fake libraries, so that a run under
 * opcount can be compared with a plain one.
 *
 * Shapes: m x n results, inner dimension k, column-major, as cuBLAS.
 * Every change here must be mirrored in gpu_cublas.sh's table.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

/* preload/cuda_abi.h (libopcount.so is built without CUDA headers) against the real ones */
#include "../../preload/cuda_abi.h"

#define ABI(ours, theirs) _Static_assert((ours) == (theirs), "cuda_abi.h: " #ours)
ABI(OPC_CUBLAS_STATUS_SUCCESS, CUBLAS_STATUS_SUCCESS);
ABI(OPC_CUBLAS_STATUS_NOT_INITIALIZED, CUBLAS_STATUS_NOT_INITIALIZED);
ABI(OPC_CUBLAS_OP_N, CUBLAS_OP_N);
ABI(OPC_CUBLAS_OP_T, CUBLAS_OP_T);
ABI(OPC_CUBLAS_OP_C, CUBLAS_OP_C);
ABI(OPC_CUBLAS_OP_CONJG, CUBLAS_OP_CONJG);
ABI(OPC_CUBLAS_FILL_MODE_LOWER, CUBLAS_FILL_MODE_LOWER);
ABI(OPC_CUBLAS_FILL_MODE_UPPER, CUBLAS_FILL_MODE_UPPER);
ABI(OPC_CUBLAS_SIDE_LEFT, CUBLAS_SIDE_LEFT);
ABI(OPC_CUBLAS_SIDE_RIGHT, CUBLAS_SIDE_RIGHT);
ABI(OPC_CUBLAS_DIAG_NON_UNIT, CUBLAS_DIAG_NON_UNIT);
ABI(OPC_CUBLAS_DIAG_UNIT, CUBLAS_DIAG_UNIT);
ABI(OPC_CUBLAS_POINTER_MODE_HOST, CUBLAS_POINTER_MODE_HOST);
ABI(OPC_CUBLAS_POINTER_MODE_DEVICE, CUBLAS_POINTER_MODE_DEVICE);
ABI(OPC_CUDA_R_32F, CUDA_R_32F);
ABI(OPC_CUDA_R_64F, CUDA_R_64F);
ABI(OPC_CUDA_R_16F, CUDA_R_16F);
ABI(OPC_CUDA_R_8I, CUDA_R_8I);
ABI(OPC_CUDA_C_32F, CUDA_C_32F);
ABI(OPC_CUDA_C_64F, CUDA_C_64F);
ABI(OPC_CUDA_C_16F, CUDA_C_16F);
ABI(OPC_CUDA_R_8U, CUDA_R_8U);
ABI(OPC_CUDA_R_32I, CUDA_R_32I);
ABI(OPC_CUDA_R_16BF, CUDA_R_16BF);
ABI(OPC_CUDA_C_16BF, CUDA_C_16BF);
ABI(OPC_CUDA_R_8F_E4M3, CUDA_R_8F_E4M3);
ABI(OPC_CUDA_R_8F_E5M2, CUDA_R_8F_E5M2);
ABI(OPC_CUDA_R_6F_E2M3, CUDA_R_6F_E2M3);
ABI(OPC_CUDA_R_6F_E3M2, CUDA_R_6F_E3M2);
ABI(OPC_CUDA_R_4F_E2M1, CUDA_R_4F_E2M1);
ABI(OPC_CUBLAS_COMPUTE_16F, CUBLAS_COMPUTE_16F);
ABI(OPC_CUBLAS_COMPUTE_16F_PEDANTIC, CUBLAS_COMPUTE_16F_PEDANTIC);
ABI(OPC_CUBLAS_COMPUTE_32F, CUBLAS_COMPUTE_32F);
ABI(OPC_CUBLAS_COMPUTE_32F_PEDANTIC, CUBLAS_COMPUTE_32F_PEDANTIC);
ABI(OPC_CUBLAS_COMPUTE_64F, CUBLAS_COMPUTE_64F);
ABI(OPC_CUBLAS_COMPUTE_64F_PEDANTIC, CUBLAS_COMPUTE_64F_PEDANTIC);
ABI(OPC_CUBLAS_COMPUTE_32I, CUBLAS_COMPUTE_32I);
ABI(OPC_CUBLAS_COMPUTE_32I_PEDANTIC, CUBLAS_COMPUTE_32I_PEDANTIC);
ABI(OPC_CUBLAS_COMPUTE_32F_FAST_16F, CUBLAS_COMPUTE_32F_FAST_16F);
ABI(OPC_CUBLAS_COMPUTE_32F_FAST_16BF, CUBLAS_COMPUTE_32F_FAST_16BF);
ABI(OPC_CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_COMPUTE_32F_FAST_TF32);
ABI(OPC_CUBLAS_COMPUTE_32F_EMULATED_16BFX9, CUBLAS_COMPUTE_32F_EMULATED_16BFX9);
ABI(OPC_CUBLAS_COMPUTE_64F_EMULATED_FIXEDPOINT, CUBLAS_COMPUTE_64F_EMULATED_FIXEDPOINT);
ABI(OPC_CUBLASLT_MATMUL_DESC_COMPUTE_TYPE, CUBLASLT_MATMUL_DESC_COMPUTE_TYPE);
ABI(OPC_CUBLASLT_MATMUL_DESC_SCALE_TYPE, CUBLASLT_MATMUL_DESC_SCALE_TYPE);
ABI(OPC_CUBLASLT_MATMUL_DESC_POINTER_MODE, CUBLASLT_MATMUL_DESC_POINTER_MODE);
ABI(OPC_CUBLASLT_MATMUL_DESC_TRANSA, CUBLASLT_MATMUL_DESC_TRANSA);
ABI(OPC_CUBLASLT_MATMUL_DESC_TRANSB, CUBLASLT_MATMUL_DESC_TRANSB);
ABI(OPC_CUBLASLT_MATRIX_LAYOUT_TYPE, CUBLASLT_MATRIX_LAYOUT_TYPE);
ABI(OPC_CUBLASLT_MATRIX_LAYOUT_ROWS, CUBLASLT_MATRIX_LAYOUT_ROWS);
ABI(OPC_CUBLASLT_MATRIX_LAYOUT_COLS, CUBLASLT_MATRIX_LAYOUT_COLS);
ABI(OPC_CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT);
ABI(OPC_CUBLASLT_POINTER_MODE_HOST, CUBLASLT_POINTER_MODE_HOST);
ABI(OPC_CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_ZERO,
    CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_ZERO);
ABI(OPC_CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_HOST,
    CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_HOST);

/* cublas_api.h declares the __half routines for C++ only */
cublasStatus_t cublasHgemm(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
			   const uint16_t *, const uint16_t *, int, const uint16_t *, int,
			   const uint16_t *, uint16_t *, int);

#define CHECK(x)                                                                    \
	do {                                                                        \
		int st_ = (int)(x);                                                 \
		if (st_ != 0) {                                                     \
			fprintf(stderr, "%s:%d: %s failed: %d\n", __FILE__, __LINE__, #x, st_); \
			exit(1);                                                    \
		}                                                                   \
	} while (0)

/* "device" memory filled with a deterministic pattern */
static void *dev(size_t bytes, unsigned seed)
{
	unsigned char *p;

	CHECK(cudaMalloc((void **)&p, bytes));
	for (size_t i = 0; i < bytes; i++)
		p[i] = 0;
	(void)seed;
	return p;
}

static float *fdev(size_t n, unsigned seed)
{
	float *p = dev(n * sizeof(float), seed);

	for (size_t i = 0; i < n; i++)
		p[i] = (float)((i * 7 + seed * 13) % 11) / 8 - 0.5f;
	return p;
}

static double *ddev(size_t n, unsigned seed)
{
	double *p = dev(n * sizeof(double), seed);

	for (size_t i = 0; i < n; i++)
		p[i] = (double)((i * 5 + seed * 3) % 13) / 8 - 0.75;
	return p;
}

static double sum_f(const float *p, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += p[i] * (double)(i % 7 + 1);
	return s;
}

static double sum_d(const double *p, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += p[i] * (double)(i % 7 + 1);
	return s;
}

int main(int argc, char **argv)
{
	int loops = argc > 1 ? atoi(argv[1]) : 3;
	cublasHandle_t h;
	cublasLtHandle_t lt;
	cudaStream_t st;
	const float one = 1, half = 0.5f, zero = 0;
	const double done = 1, dzero = 0;
	const int32_t izero = 0, ione = 1;
	const uint16_t hzero = 0x8000, hone = 0x3c00;	/* -0.0 counts as zero */

	CHECK(cublasCreate(&h));
	CHECK(cublasLtCreate(&lt));
	CHECK(cudaStreamCreate(&st));
	CHECK(cublasSetStream(h, st));

	float *sa = fdev(4096, 1), *sb = fdev(4096, 2), *sc = fdev(4096, 3), *sc2 = fdev(4096, 4);
	double *da = ddev(4096, 5), *db = ddev(4096, 6), *dc = ddev(4096, 7), *dc2 = ddev(4096, 8);
	cuDoubleComplex *za = (cuDoubleComplex *)ddev(2 * 64, 9);
	cuDoubleComplex *zb = (cuDoubleComplex *)ddev(2 * 64, 10);
	cuDoubleComplex *zc = (cuDoubleComplex *)ddev(2 * 64, 11);
	cuComplex *ca = (cuComplex *)fdev(2 * 64, 12), *cb = (cuComplex *)fdev(2 * 64, 13);
	cuComplex *cc = (cuComplex *)fdev(2 * 64, 14);
	void *ha = dev(2 * 128 * 256, 0), *hb = dev(2 * 256 * 64, 0), *hc = dev(2 * 128 * 64, 0);
	void *i8 = dev(4096, 0), *i32 = dev(4 * 4096, 0);
	float *sx = fdev(1000, 15), *sy = fdev(1000, 16);
	double *dx = ddev(1000, 17), *dy = ddev(1000, 18);
	cuDoubleComplex zdot;
	float sres;
	double dres;
	int ires;
	double total = 0;

	/* pointer arrays for the batched calls (host memory is device memory here) */
	const double *dA[3], *dB[3];
	double *dC[3];
	const void *xA[2], *xB[2];
	void *xC[2];

	for (int b = 0; b < 3; b++) {
		dA[b] = da + b * 35;
		dB[b] = db + b * 42;
		dC[b] = dc2 + b * 30;
	}
	for (int b = 0; b < 2; b++) {
		xA[b] = da + 1000 + b * 24;
		xB[b] = db + 1000 + b * 30;
		xC[b] = dc + 1000 + b * 20;
	}

	/* cublasLt: A^T (A stored 16 x 24) times B (16 x 40), batch 2, FP32,
	 * created descriptors */
	cublasLtMatmulDesc_t op;
	cublasLtMatrixLayout_t la, lb, ld;
	cublasOperation_t tr = CUBLAS_OP_T;
	int32_t two = 2;
	int64_t stride_a = 16 * 24, stride_b = 16 * 40, stride_d = 24 * 40;

	CHECK(cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
	CHECK(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &tr, sizeof(tr)));
	CHECK(cublasLtMatrixLayoutCreate(&la, CUDA_R_32F, 16, 24, 16));
	CHECK(cublasLtMatrixLayoutCreate(&lb, CUDA_R_32F, 16, 40, 16));
	CHECK(cublasLtMatrixLayoutCreate(&ld, CUDA_R_32F, 24, 40, 24));
	CHECK(cublasLtMatrixLayoutSetAttribute(la, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &two, 4));
	CHECK(cublasLtMatrixLayoutSetAttribute(lb, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &two, 4));
	CHECK(cublasLtMatrixLayoutSetAttribute(ld, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &two, 4));
	CHECK(cublasLtMatrixLayoutSetAttribute(la, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
					       &stride_a, 8));
	CHECK(cublasLtMatrixLayoutSetAttribute(lb, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
					       &stride_b, 8));
	CHECK(cublasLtMatrixLayoutSetAttribute(ld, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
					       &stride_d, 8));

	/* cublasLt FP8 in, bf16 out, beta zero by pointer mode: descriptors
	 * made by the inline Init functions (no Create call) */
	cublasLtMatmulDescOpaque_t op8;
	cublasLtMatrixLayoutOpaque_t la8, lb8, ld8;
	int32_t pm = CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_ZERO;

	CHECK(cublasLtMatmulDescInit(&op8, CUBLAS_COMPUTE_32F, CUDA_R_32F));
	CHECK(cublasLtMatmulDescSetAttribute(&op8, CUBLASLT_MATMUL_DESC_POINTER_MODE, &pm, 4));
	CHECK(cublasLtMatrixLayoutInit(&la8, CUDA_R_8F_E4M3, 64, 128, 64));
	CHECK(cublasLtMatrixLayoutInit(&lb8, CUDA_R_8F_E5M2, 128, 32, 128));
	CHECK(cublasLtMatrixLayoutInit(&ld8, CUDA_R_16BF, 64, 32, 64));

	for (int it = 0; it < loops; it++) {
		/* GEMM, every precision */
		CHECK(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 64, 48, 32, &one, sa, 64, sb, 32,
				  &half, sc, 64));
		CHECK(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, 20, 30, 10, &half, sa, 10, sb, 10,
				  &zero, sc2, 20));
		CHECK(cublasDgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, 33, 17, 9, &done, da, 9, db, 9,
				  &dzero, dc, 33));
		CHECK(cublasDgemm_64(h, CUBLAS_OP_N, CUBLAS_OP_T, 20, 20, 20, &done, da, 20, db,
				     20, &done, dc2, 20));
		CHECK(cublasZgemm(h, CUBLAS_OP_C, CUBLAS_OP_T, 8, 7, 5, (cuDoubleComplex *)db, za,
				  5, zb, 7, (cuDoubleComplex *)da, zc, 8));
		CHECK(cublasCgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 6, 6, 6, (cuComplex *)sb, ca, 6, cb,
				  6, (cuComplex *)&(float[2]){ 0, 0 }, cc, 6));
		CHECK(cublasHgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 128, 64, 256, &hone, ha, 128, hb,
				  256, &hzero, hc, 128));

		/* batches */
		CHECK(cublasSgemmStridedBatched(h, CUBLAS_OP_N, CUBLAS_OP_T, 16, 8, 4, &one, sa,
						16, 64, sb, 8, 32, &one, sc2, 16, 128, 6));
		CHECK(cublasDgemmBatched(h, CUBLAS_OP_N, CUBLAS_OP_N, 5, 6, 7, &done, dA, 5, dB,
					 7, &dzero, dC, 5, 3));

		/* element types as arguments */
		CHECK(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 64, 64, 64, &one, ha, CUDA_R_16F,
				   64, hb, CUDA_R_16F, 64, &zero, sc, CUDA_R_32F, 64,
				   CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
		CHECK(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 10, 12, 14, &one, sa, CUDA_R_32F,
				   10, sb, CUDA_R_32F, 14, &one, sc2 + 2000, CUDA_R_32F, 10,
				   CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT));
		CHECK(cublasGemmStridedBatchedEx(h, CUBLAS_OP_T, CUBLAS_OP_N, 32, 32, 16, &one, ha,
						 CUDA_R_16BF, 16, 512, hb, CUDA_R_16BF, 16, 512,
						 &one, hc, CUDA_R_16BF, 32, 1024, 4,
						 CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
		CHECK(cublasGemmBatchedEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 5, 6, &done, xA,
					  CUDA_R_64F, 4, xB, CUDA_R_64F, 6, &dzero, xC, CUDA_R_64F,
					  4, 2, CUBLAS_COMPUTE_64F, CUBLAS_GEMM_DEFAULT));
		CHECK(cublasGemmEx_64(h, CUBLAS_OP_N, CUBLAS_OP_N, 8, 8, 8, &ione, i8, CUDA_R_8I, 8,
				      i8, CUDA_R_8I, 8, &izero, i32, CUDA_R_32I, 8,
				      CUBLAS_COMPUTE_32I, CUBLAS_GEMM_DEFAULT));

		/* cublasLt directly */
		CHECK(cublasLtMatmul(lt, op, &half, sa, la, sb, lb, &zero, sc + 1000, ld, sc + 1000,
				     ld, NULL, NULL, 0, st));
		CHECK(cublasLtMatmul(lt, &op8, &one, i8, &la8, i8, &lb8, NULL, hc, &ld8, hc, &ld8,
				     NULL, NULL, 0, st));

		/* GEMV */
		CHECK(cublasSgemv(h, CUBLAS_OP_N, 50, 30, &one, sa, 50, sx, 1, &one, sy, 1));
		CHECK(cublasDgemv(h, CUBLAS_OP_T, 40, 20, &done, da, 40, dx, 1, &dzero, dy, 1));

		/* level 1 */
		CHECK(cublasSdot(h, 1000, sx, 1, sy, 1, &sres));
		total += sres;
		CHECK(cublasSdot_v2_64(h, 1000, sx, 1, sy, 1, &sres));
		total += sres;
		CHECK(cublasDdot(h, 500, dx, 2, dy, 2, &dres));
		total += dres;
		CHECK(cublasZdotc(h, 100, (cuDoubleComplex *)dx, 1, (cuDoubleComplex *)dy, 1,
				  &zdot));
		total += zdot.x + zdot.y;
		CHECK(cublasSaxpy(h, 1000, &half, sx, 1, sy, 1));
		CHECK(cublasDaxpy(h, 1000, &done, dx, 1, dy, 1));
		CHECK(cublasSscal(h, 1000, &half, sy, 1));
		CHECK(cublasDscal(h, 300, &done, dy, 1));
		CHECK(cublasScopy(h, 1000, sy, 1, sx, 1));
		CHECK(cublasDswap(h, 1000, dx, 1, dy, 1));
		CHECK(cublasSrot(h, 1000, sx, 1, sy, 1, &half, &half));
		CHECK(cublasDnrm2(h, 1000, dx, 1, &dres));
		total += dres;
		CHECK(cublasSasum(h, 1000, sx, 1, &sres));
		total += sres;
		CHECK(cublasIsamax(h, 1000, sy, 1, &ires));
		total += ires;
	}

	/* beta in device memory: not read by opcount, C counted as read */
	CHECK(cublasSetPointerMode(h, CUBLAS_POINTER_MODE_DEVICE));
	double *dbeta = ddev(1, 0);

	*dbeta = 0;
	CHECK(cublasDgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 10, 10, 10, &done, da, 10, db, 10, dbeta,
			  dc + 3000, 10));
	CHECK(cublasSetPointerMode(h, CUBLAS_POINTER_MODE_HOST));

	CHECK(cudaDeviceSynchronize());
	total += sum_f(sc, 4096) + sum_f(sc2, 4096) + sum_d(dc, 4096) + sum_d(dc2, 4096);
	total += sum_d((double *)zc, 2 * 56) + sum_f((float *)cc, 2 * 36);
	total += sum_f(sx, 1000) + sum_f(sy, 1000) + sum_d(dx, 1000) + sum_d(dy, 1000);
	printf("checksum %.10g\n", total);

	cublasLtMatrixLayoutDestroy(la);
	cublasLtMatrixLayoutDestroy(lb);
	cublasLtMatrixLayoutDestroy(ld);
	cublasLtMatmulDescDestroy(op);
	cublasLtDestroy(lt);
	cublasDestroy(h);
	return 0;
}
