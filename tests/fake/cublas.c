/*
 * cublas.c - a fake cuBLAS (libcublas.so.13) over the simulated GPU of
 * fakegpu.h, for the GPU tests on machines without a GPU.
 *
 * Handles with a stream and a pointer mode; the routines opcount
 * intercepts that the tests call.  Each queues its work, occupying the
 * handle's stream for fakegpu_cost_ns(FLOPs, bytes) (GEMM and GEMV before
 * their host arithmetic, which stands for the GPU's and may take long),
 * and computes its result on the host ("device" memory is host memory)
 * wherever that is easy (every s and d routine, complex GEMM and dot
 * products, GemmEx with FP32 or FP64 matrices; GEMMs of at most
 * HOST_MAX_MACS multiply-adds: larger ones are only timed), so a test can
 * check that results are unchanged under opcount.  FLOPs and bytes are
 * counted the usual way (2mnk per GEMM, complex 8mnk; each
 * operand element read once, outputs written, C or y not read when beta
 * is zero on the host).
 *
 * Like the real library, cublasSgemm goes through cublasLt: it calls
 * cublasLtMatmul, an exported function of libcublasLt.so.13, so a tool
 * that intercepts both sees a cublasLt call inside a cuBLAS call.
 *
 * Written against the CUDA 13 cublas_api.h: every entry point has the
 * real signature.
 */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cublasLt.h>
#include <cublas_v2.h>

#include "fakegpu.h"

#define EXPORT FAKEGPU_EXPORT

struct cublasContext {
	cudaStream_t stream;
	cublasPointerMode_t mode;
	cublasLtHandle_t lt;
};

EXPORT cublasStatus_t cublasCreate_v2(cublasHandle_t *h)
{
	*h = calloc(1, sizeof(**h));
	if (*h == NULL)
		return CUBLAS_STATUS_ALLOC_FAILED;
	(*h)->mode = CUBLAS_POINTER_MODE_HOST;
	return cublasLtCreate(&(*h)->lt);
}

EXPORT cublasStatus_t cublasDestroy_v2(cublasHandle_t h)
{
	if (h)
		cublasLtDestroy(h->lt);
	free(h);
	return CUBLAS_STATUS_SUCCESS;
}

EXPORT cublasStatus_t cublasSetStream_v2(cublasHandle_t h, cudaStream_t s)
{
	h->stream = s;
	return CUBLAS_STATUS_SUCCESS;
}

EXPORT cublasStatus_t cublasGetStream_v2(cublasHandle_t h, cudaStream_t *s)
{
	*s = h->stream;
	return CUBLAS_STATUS_SUCCESS;
}

EXPORT cublasStatus_t cublasSetPointerMode_v2(cublasHandle_t h, cublasPointerMode_t m)
{
	h->mode = m;
	return CUBLAS_STATUS_SUCCESS;
}

EXPORT cublasStatus_t cublasGetPointerMode_v2(cublasHandle_t h, cublasPointerMode_t *m)
{
	*m = h->mode;
	return CUBLAS_STATUS_SUCCESS;
}

/* queue the work of a call on the handle's stream */
static cublasStatus_t work(cublasHandle_t h, double flops, double bytes)
{
	fakegpu_submit(h->stream, fakegpu_cost_ns(flops, bytes));
	return CUBLAS_STATUS_SUCCESS;
}

/* beta read as zero only on the host: the GPU reads device memory later */
static int host_zero(cublasHandle_t h, double re, double im)
{
	return h->mode == CUBLAS_POINTER_MODE_HOST && re == 0 && im == 0;
}

/* ---- GEMM: C = alpha op(A) op(B) + beta C, column-major ---- */

#define HOST_MAX_MACS (1 << 24)

#define OPA(T, x, ld, tr, i, j)                                                     \
	((tr) == CUBLAS_OP_N ? (x)[(i) + (j) * (ld)] :                              \
	 (tr) == CUBLAS_OP_T ? (x)[(j) + (i) * (ld)] : conj((x)[(j) + (i) * (ld)]))

#define GEMM_HOST(T, m, n, k, al, a, lda, ta, b, ldb, tb, be, c, ldc)               \
	if ((double)(m) * (n) * (k) <= HOST_MAX_MACS)                                \
	for (int64_t j = 0; j < (n); j++)                                            \
		for (int64_t i = 0; i < (m); i++) {                                  \
			T s = 0;                                                     \
			for (int64_t l = 0; l < (k); l++)                            \
				s += OPA(T, a, lda, ta, i, l) * OPA(T, b, ldb, tb, l, j); \
			(c)[i + j * (ldc)] = (al) * s +                              \
				((be) == 0 ? 0 : (be) * (c)[i + j * (ldc)]);          \
		}

static double gemm_bytes(int esize, double m, double n, double k, int beta_zero)
{
	return esize * (m * k + k * n + (beta_zero ? 1 : 2) * m * n);
}

/* fake cuBLAS GEMM of element type T (real R), `cx` 1 if complex */
#define FAKE_GEMM(name, IT, T, CT, cx)                                              \
	EXPORT cublasStatus_t name(cublasHandle_t h, cublasOperation_t ta,          \
				   cublasOperation_t tb, IT m, IT n, IT k,          \
				   const CT *alpha, const CT *A, IT lda,            \
				   const CT *B, IT ldb, const CT *beta, CT *C, IT ldc) \
	{                                                                           \
		T al = *(const T *)alpha, be = *(const T *)beta;                     \
		if (m < 0 || n < 0 || k < 0)                                         \
			return CUBLAS_STATUS_INVALID_VALUE;                          \
		work(h, (cx ? 8.0 : 2.0) * m * n * k,                                \
		     gemm_bytes(sizeof(T), m, n, k, host_zero(h, creal(be), cimag(be)))); \
		GEMM_HOST(T, m, n, k, al, (const T *)A, lda, ta, (const T *)B, ldb, tb, \
			  be, (T *)C, ldc);                                          \
		return CUBLAS_STATUS_SUCCESS;                                        \
	}

FAKE_GEMM(cublasDgemm_v2, int, double, double, 0)
FAKE_GEMM(cublasDgemm_v2_64, int64_t, double, double, 0)
FAKE_GEMM(cublasCgemm_v2, int, float _Complex, cuComplex, 1)
FAKE_GEMM(cublasZgemm_v2, int, double _Complex, cuDoubleComplex, 1)

/* through cublasLt, like the real library */
EXPORT cublasStatus_t cublasSgemm_v2(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
				     int m, int n, int k, const float *alpha, const float *A,
				     int lda, const float *B, int ldb, const float *beta, float *C,
				     int ldc)
{
	cublasLtMatmulDescOpaque_t desc;
	cublasLtMatrixLayoutOpaque_t la, lb, lc;
	float al = *alpha, be = *beta;
	int pm = CUBLASLT_POINTER_MODE_HOST;
	cublasStatus_t st;

	if (m < 0 || n < 0 || k < 0)
		return CUBLAS_STATUS_INVALID_VALUE;
	if (h->mode != CUBLAS_POINTER_MODE_HOST)
		be = 1;	/* as the GPU would: not read before the work */
	cublasLtMatmulDescInit(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F);
	cublasLtMatmulDescSetAttribute(&desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta));
	cublasLtMatmulDescSetAttribute(&desc, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb));
	cublasLtMatmulDescSetAttribute(&desc, CUBLASLT_MATMUL_DESC_POINTER_MODE, &pm, sizeof(pm));
	cublasLtMatrixLayoutInit(&la, CUDA_R_32F, ta == CUBLAS_OP_N ? m : k,
				 ta == CUBLAS_OP_N ? k : m, lda);
	cublasLtMatrixLayoutInit(&lb, CUDA_R_32F, tb == CUBLAS_OP_N ? k : n,
				 tb == CUBLAS_OP_N ? n : k, ldb);
	cublasLtMatrixLayoutInit(&lc, CUDA_R_32F, m, n, ldc);
	st = cublasLtMatmul(h->lt, &desc, &al, A, &la, B, &lb, &be, C, &lc, C, &lc, NULL, NULL, 0,
			    h->stream);
	if (h->mode != CUBLAS_POINTER_MODE_HOST && *beta == 0 && (double)m * n * k <= HOST_MAX_MACS)
		for (int j = 0; j < n; j++)	/* the result of beta = 0 after all */
			for (int i = 0; i < m; i++) {
				float s = 0;

				for (int l = 0; l < k; l++)
					s += OPA(float, A, lda, ta, i, l) * OPA(float, B, ldb, tb, l, j);
				C[i + j * ldc] = al * s;
			}
	return st;
}

/*
 * Half precision: timing only.  cublas_api.h declares the __half routines
 * for C++ only; in C an __half is its 16 bits.
 */
typedef uint16_t half_bits;

EXPORT cublasStatus_t cublasHgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
				  int m, int n, int k, const half_bits *alpha, const half_bits *A,
				  int lda, const half_bits *B, int ldb, const half_bits *beta,
				  half_bits *C, int ldc)
{
	uint16_t be;

	memcpy(&be, beta, 2);
	return work(h, 2.0 * m * n * k, gemm_bytes(2, m, n, k, host_zero(h, be & 0x7fff, 0)));
}

#define FAKE_GEMM_STRIDED(name, T)                                                  \
	EXPORT cublasStatus_t name(cublasHandle_t h, cublasOperation_t ta,          \
				   cublasOperation_t tb, int m, int n, int k,       \
				   const T *alpha, const T *A, int lda, long long sa, \
				   const T *B, int ldb, long long sb, const T *beta, \
				   T *C, int ldc, long long sc, int batch)          \
	{                                                                           \
		work(h, 2.0 * m * n * k * batch,                                     \
		     batch * gemm_bytes(sizeof(T), m, n, k, host_zero(h, *beta, 0)));  \
		for (int b = 0; b < batch; b++)                                      \
			GEMM_HOST(T, m, n, k, *alpha, A + b * sa, lda, ta, B + b * sb, \
				  ldb, tb, *beta, C + b * sc, ldc);                  \
		return CUBLAS_STATUS_SUCCESS;                                        \
	}

#define FAKE_GEMM_BATCHED(name, T)                                                  \
	EXPORT cublasStatus_t name(cublasHandle_t h, cublasOperation_t ta,          \
				   cublasOperation_t tb, int m, int n, int k,       \
				   const T *alpha, const T *const A[], int lda,     \
				   const T *const B[], int ldb, const T *beta,      \
				   T *const C[], int ldc, int batch)                \
	{                                                                           \
		work(h, 2.0 * m * n * k * batch,                                     \
		     batch * gemm_bytes(sizeof(T), m, n, k, host_zero(h, *beta, 0)));  \
		for (int b = 0; b < batch; b++)                                      \
			GEMM_HOST(T, m, n, k, *alpha, A[b], lda, ta, B[b], ldb, tb,  \
				  *beta, C[b], ldc);                                 \
		return CUBLAS_STATUS_SUCCESS;                                        \
	}

FAKE_GEMM_STRIDED(cublasSgemmStridedBatched, float)
FAKE_GEMM_STRIDED(cublasDgemmStridedBatched, double)
FAKE_GEMM_BATCHED(cublasSgemmBatched, float)
FAKE_GEMM_BATCHED(cublasDgemmBatched, double)

/* ---- GEMM with element types as arguments ---- */

static int type_bits(cudaDataType t)
{
	switch (t) {
	case CUDA_R_8I: case CUDA_R_8U: case CUDA_R_8F_E4M3: case CUDA_R_8F_E5M2: return 8;
	case CUDA_R_16F: case CUDA_R_16BF: return 16;
	case CUDA_R_32F: case CUDA_R_32I: case CUDA_C_16F: case CUDA_C_16BF: return 32;
	case CUDA_R_64F: case CUDA_C_32F: return 64;
	case CUDA_C_64F: return 128;
	default: return 0;
	}
}

/* the work of `batch` GEMMs; computed on the host for FP32 and FP64 */
static cublasStatus_t gemm_ex(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
			      int64_t m, int64_t n, int64_t k, const void *alpha,
			      const void *const *A, cudaDataType at, int64_t lda,
			      const void *const *B, int64_t ldb, const void *beta,
			      void *const *C, cudaDataType ct, int64_t ldc, int64_t batch,
			      cublasComputeType_t compute)
{
	int cx = at == CUDA_C_16F || at == CUDA_C_16BF || at == CUDA_C_32F || at == CUDA_C_64F;
	int bz;

	/* alpha and beta have the compute type's scale type */
	if (compute == CUBLAS_COMPUTE_16F || compute == CUBLAS_COMPUTE_16F_PEDANTIC) {
		uint16_t be;

		memcpy(&be, beta, 2);
		bz = host_zero(h, be & 0x7fff, 0);
	} else if (compute == CUBLAS_COMPUTE_64F || compute == CUBLAS_COMPUTE_64F_PEDANTIC) {
		bz = host_zero(h, ((const double *)beta)[0], cx ? ((const double *)beta)[1] : 0);
	} else if (compute == CUBLAS_COMPUTE_32I || compute == CUBLAS_COMPUTE_32I_PEDANTIC) {
		bz = host_zero(h, *(const int32_t *)beta, 0);
	} else {
		bz = host_zero(h, ((const float *)beta)[0], cx ? ((const float *)beta)[1] : 0);
	}
	work(h, (cx ? 8.0 : 2.0) * m * n * k * batch,
	     batch * (type_bits(at) * (double)(m * k + k * n) +
		      type_bits(ct) * (double)(bz ? 1 : 2) * m * n) / 8);
	for (int64_t b = 0; b < batch && at == ct; b++) {
		if (at == CUDA_R_32F && compute != CUBLAS_COMPUTE_64F) {
			float al = *(const float *)alpha, be = *(const float *)beta;

			GEMM_HOST(float, m, n, k, al, (const float *)A[b], lda, ta,
				  (const float *)B[b], ldb, tb, be, (float *)C[b], ldc);
		} else if (at == CUDA_R_64F) {
			double al = *(const double *)alpha, be = *(const double *)beta;

			GEMM_HOST(double, m, n, k, al, (const double *)A[b], lda, ta,
				  (const double *)B[b], ldb, tb, be, (double *)C[b], ldc);
		}
	}
	return CUBLAS_STATUS_SUCCESS;
}

/* pointers to the matrices of a strided batch */
static const void **strided(const void *base, cudaDataType t, long long stride, int64_t batch)
{
	const void **p = malloc((batch > 0 ? batch : 1) * sizeof(*p));

	for (int64_t b = 0; p && b < batch; b++)
		p[b] = (const char *)base + b * stride * (type_bits(t) / 8);
	return p;
}

EXPORT cublasStatus_t cublasGemmEx(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
				   int m, int n, int k, const void *alpha, const void *A,
				   cudaDataType at, int lda, const void *B, cudaDataType bt, int ldb,
				   const void *beta, void *C, cudaDataType ct, int ldc,
				   cublasComputeType_t compute, cublasGemmAlgo_t algo)
{
	return gemm_ex(h, ta, tb, m, n, k, alpha, &A, at, lda, &B, ldb, beta, &C, ct, ldc, 1,
		       compute);
}

EXPORT cublasStatus_t cublasGemmEx_64(cublasHandle_t h, cublasOperation_t ta,
				      cublasOperation_t tb, int64_t m, int64_t n, int64_t k,
				      const void *alpha, const void *A, cudaDataType at, int64_t lda,
				      const void *B, cudaDataType bt, int64_t ldb, const void *beta,
				      void *C, cudaDataType ct, int64_t ldc,
				      cublasComputeType_t compute, cublasGemmAlgo_t algo)
{
	return gemm_ex(h, ta, tb, m, n, k, alpha, &A, at, lda, &B, ldb, beta, &C, ct, ldc, 1,
		       compute);
}

EXPORT cublasStatus_t cublasGemmBatchedEx(cublasHandle_t h, cublasOperation_t ta,
					  cublasOperation_t tb, int m, int n, int k,
					  const void *alpha, const void *const A[], cudaDataType at,
					  int lda, const void *const B[], cudaDataType bt, int ldb,
					  const void *beta, void *const C[], cudaDataType ct, int ldc,
					  int batch, cublasComputeType_t compute,
					  cublasGemmAlgo_t algo)
{
	return gemm_ex(h, ta, tb, m, n, k, alpha, A, at, lda, B, ldb, beta, C, ct, ldc, batch,
		       compute);
}

EXPORT cublasStatus_t cublasGemmStridedBatchedEx(
	cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
	const void *alpha, const void *A, cudaDataType at, int lda, long long sa, const void *B,
	cudaDataType bt, int ldb, long long sb, const void *beta, void *C, cudaDataType ct, int ldc,
	long long sc, int batch, cublasComputeType_t compute, cublasGemmAlgo_t algo)
{
	const void **a = strided(A, at, sa, batch), **b = strided(B, bt, sb, batch);
	const void **c = strided(C, ct, sc, batch);
	cublasStatus_t st = CUBLAS_STATUS_ALLOC_FAILED;

	if (a && b && c)
		st = gemm_ex(h, ta, tb, m, n, k, alpha, a, at, lda, b, ldb, beta, (void *const *)c,
			     ct, ldc, batch, compute);
	free(a);
	free(b);
	free(c);
	return st;
}

/* ---- GEMV ---- */

#define FAKE_GEMV(name, T)                                                          \
	EXPORT cublasStatus_t name(cublasHandle_t h, cublasOperation_t tr, int m,   \
				   int n, const T *alpha, const T *A, int lda,      \
				   const T *x, int incx, const T *beta, T *y, int incy) \
	{                                                                           \
		int64_t ylen = tr == CUBLAS_OP_N ? m : n, xlen = tr == CUBLAS_OP_N ? n : m; \
		work(h, 2.0 * m * n,                                                 \
		     sizeof(T) * ((double)m * n + xlen + (host_zero(h, *beta, 0) ? 1 : 2) * ylen)); \
		for (int64_t i = 0; i < ylen; i++) {                                 \
			T s = 0;                                                     \
			for (int64_t j = 0; j < xlen; j++)                           \
				s += OPA(T, A, lda, tr, i, j) * x[j * incx];         \
			y[i * incy] = *alpha * s + (*beta == 0 ? 0 : *beta * y[i * incy]); \
		}                                                                   \
		return CUBLAS_STATUS_SUCCESS;                                        \
	}

FAKE_GEMV(cublasSgemv_v2, float)
FAKE_GEMV(cublasDgemv_v2, double)

/* ---- level 1 ---- */

#define FAKE_DOT(name, IT, T, CT, conjx, fl)                                        \
	EXPORT cublasStatus_t name(cublasHandle_t h, IT n, const CT *x, IT incx,    \
				   const CT *y, IT incy, CT *result)                \
	{                                                                           \
		const T *xx = (const T *)x, *yy = (const T *)y;                      \
		T s = 0;                                                            \
		for (IT i = 0; i < n; i++)                                           \
			s += (conjx ? conj(xx[i * incx]) : xx[i * incx]) * yy[i * incy]; \
		*(T *)result = s;                                                    \
		return work(h, (fl) * (double)n, 2.0 * sizeof(T) * n);              \
	}

FAKE_DOT(cublasSdot_v2, int, float, float, 0, 2)
FAKE_DOT(cublasSdot_v2_64, int64_t, float, float, 0, 2)
FAKE_DOT(cublasDdot_v2, int, double, double, 0, 2)
FAKE_DOT(cublasZdotc_v2, int, double _Complex, cuDoubleComplex, 1, 8)

#define FAKE_AXPY(name, T)                                                          \
	EXPORT cublasStatus_t name(cublasHandle_t h, int n, const T *alpha,         \
				   const T *x, int incx, T *y, int incy)            \
	{                                                                           \
		for (int i = 0; i < n; i++)                                          \
			y[i * incy] += *alpha * x[i * incx];                         \
		return work(h, 2.0 * n, 3.0 * sizeof(T) * n);                        \
	}

FAKE_AXPY(cublasSaxpy_v2, float)
FAKE_AXPY(cublasDaxpy_v2, double)

#define FAKE_SCAL(name, T)                                                          \
	EXPORT cublasStatus_t name(cublasHandle_t h, int n, const T *alpha, T *x,   \
				   int incx)                                        \
	{                                                                           \
		for (int i = 0; i < n; i++)                                          \
			x[i * incx] *= *alpha;                                       \
		return work(h, (double)n, 2.0 * sizeof(T) * n);                      \
	}

FAKE_SCAL(cublasSscal_v2, float)
FAKE_SCAL(cublasDscal_v2, double)

EXPORT cublasStatus_t cublasScopy_v2(cublasHandle_t h, int n, const float *x, int incx, float *y,
				     int incy)
{
	for (int i = 0; i < n; i++)
		y[i * incy] = x[i * incx];
	return work(h, 0, 2.0 * sizeof(float) * n);
}

EXPORT cublasStatus_t cublasDswap_v2(cublasHandle_t h, int n, double *x, int incx, double *y,
				     int incy)
{
	for (int i = 0; i < n; i++) {
		double t = x[i * incx];

		x[i * incx] = y[i * incy];
		y[i * incy] = t;
	}
	return work(h, 0, 4.0 * sizeof(double) * n);
}

EXPORT cublasStatus_t cublasSrot_v2(cublasHandle_t h, int n, float *x, int incx, float *y,
				    int incy, const float *c, const float *s)
{
	for (int i = 0; i < n; i++) {
		float a = x[i * incx], b = y[i * incy];

		x[i * incx] = *c * a + *s * b;
		y[i * incy] = *c * b - *s * a;
	}
	return work(h, 6.0 * n, 4.0 * sizeof(float) * n);
}

EXPORT cublasStatus_t cublasDnrm2_v2(cublasHandle_t h, int n, const double *x, int incx,
				     double *result)
{
	double s = 0;

	for (int i = 0; i < n; i++)
		s += x[i * incx] * x[i * incx];
	*result = sqrt(s);
	return work(h, 2.0 * n, (double)sizeof(double) * n);
}

EXPORT cublasStatus_t cublasSasum_v2(cublasHandle_t h, int n, const float *x, int incx,
				     float *result)
{
	float s = 0;

	for (int i = 0; i < n; i++)
		s += fabsf(x[i * incx]);
	*result = s;
	return work(h, (double)n, (double)sizeof(float) * n);
}

EXPORT cublasStatus_t cublasIsamax_v2(cublasHandle_t h, int n, const float *x, int incx,
				      int *result)
{
	int best = 0;

	for (int i = 1; i < n; i++)
		if (fabsf(x[i * incx]) > fabsf(x[best * incx]))
			best = i;
	*result = n > 0 ? best + 1 : 0;	/* 1-based, as in BLAS */
	return work(h, (double)n, (double)sizeof(float) * n);
}
