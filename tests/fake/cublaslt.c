/*
 * cublaslt.c - a fake cublasLt (libcublasLt.so.13) over the simulated GPU
 * of fakegpu.h: handles, matmul descriptors and matrix layouts with their
 * attributes, and cublasLtMatmul, which computes D on the host for FP32
 * column-major matrices of at most HOST_MAX_MACS multiply-adds (so tests
 * can check results) and, for any types and sizes,
 * occupies its stream for fakegpu_cost_ns(FLOPs, bytes) with the counts of
 * the work (2mnk per batch, complex 8mnk; each operand element read once,
 * D written, C read unless beta is zero).
 *
 * Written against the CUDA 13 cublasLt.h, so every entry point has the
 * real signature.  Descriptors live in the caller's semi-opaque structs:
 * the Create functions allocate one, the Init functions (inline in
 * cublasLt.h, calling *_internal) fill one the caller owns.
 */
#include <stdlib.h>
#include <string.h>

#include <cublasLt.h>

#include "fakegpu.h"

#define EXPORT FAKEGPU_EXPORT
#define HOST_MAX_MACS (1 << 24)	/* larger products are only timed */

struct lt_desc {
	int32_t compute, scale, pmode, transa, transb;
};

struct lt_layout {
	uint32_t type;
	int32_t order, batch;
	uint64_t rows, cols;
	int64_t ld, stride;
};

_Static_assert(sizeof(struct lt_desc) <= sizeof(cublasLtMatmulDescOpaque_t), "desc");
_Static_assert(sizeof(struct lt_layout) <= sizeof(cublasLtMatrixLayoutOpaque_t), "layout");

struct cublasLtContext {
	int magic;
};

EXPORT cublasStatus_t cublasLtCreate(cublasLtHandle_t *h)
{
	*h = calloc(1, sizeof(**h));
	return *h ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_ALLOC_FAILED;
}

EXPORT cublasStatus_t cublasLtDestroy(cublasLtHandle_t h)
{
	free(h);
	return CUBLAS_STATUS_SUCCESS;
}

/* ---- matmul descriptors ---- */

EXPORT cublasStatus_t cublasLtMatmulDescInit_internal(cublasLtMatmulDesc_t d, size_t size,
						      cublasComputeType_t compute,
						      cudaDataType_t scale)
{
	struct lt_desc *x = (struct lt_desc *)d;

	if (d == NULL || size < sizeof(*d))
		return CUBLAS_STATUS_INVALID_VALUE;
	memset(d, 0, sizeof(*d));
	x->compute = compute;
	x->scale = scale;
	x->pmode = CUBLASLT_POINTER_MODE_HOST;
	x->transa = x->transb = CUBLAS_OP_N;
	return CUBLAS_STATUS_SUCCESS;
}

EXPORT cublasStatus_t cublasLtMatmulDescCreate(cublasLtMatmulDesc_t *d,
					       cublasComputeType_t compute,
					       cudaDataType_t scale)
{
	*d = malloc(sizeof(**d));
	if (*d == NULL)
		return CUBLAS_STATUS_ALLOC_FAILED;
	return cublasLtMatmulDescInit_internal(*d, sizeof(**d), compute, scale);
}

EXPORT cublasStatus_t cublasLtMatmulDescDestroy(cublasLtMatmulDesc_t d)
{
	free(d);
	return CUBLAS_STATUS_SUCCESS;
}

static int32_t *desc_field(cublasLtMatmulDesc_t d, cublasLtMatmulDescAttributes_t a)
{
	struct lt_desc *x = (struct lt_desc *)d;

	switch (a) {
	case CUBLASLT_MATMUL_DESC_COMPUTE_TYPE: return &x->compute;
	case CUBLASLT_MATMUL_DESC_SCALE_TYPE: return &x->scale;
	case CUBLASLT_MATMUL_DESC_POINTER_MODE: return &x->pmode;
	case CUBLASLT_MATMUL_DESC_TRANSA: return &x->transa;
	case CUBLASLT_MATMUL_DESC_TRANSB: return &x->transb;
	default: return NULL;
	}
}

EXPORT cublasStatus_t cublasLtMatmulDescSetAttribute(cublasLtMatmulDesc_t d,
						     cublasLtMatmulDescAttributes_t a,
						     const void *buf, size_t size)
{
	int32_t *f = d ? desc_field(d, a) : NULL;

	if (f == NULL)
		return d ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_INVALID_VALUE;	/* ignored */
	if (size != sizeof(*f) || buf == NULL)
		return CUBLAS_STATUS_INVALID_VALUE;
	memcpy(f, buf, sizeof(*f));
	return CUBLAS_STATUS_SUCCESS;
}

EXPORT cublasStatus_t cublasLtMatmulDescGetAttribute(cublasLtMatmulDesc_t d,
						     cublasLtMatmulDescAttributes_t a, void *buf,
						     size_t size, size_t *written)
{
	int32_t *f = d ? desc_field(d, a) : NULL;

	if (f == NULL)
		return CUBLAS_STATUS_INVALID_VALUE;
	if (size == 0 && written) {	/* size query */
		*written = sizeof(*f);
		return CUBLAS_STATUS_SUCCESS;
	}
	if (size != sizeof(*f) || buf == NULL)
		return CUBLAS_STATUS_INVALID_VALUE;
	memcpy(buf, f, sizeof(*f));
	if (written)
		*written = sizeof(*f);
	return CUBLAS_STATUS_SUCCESS;
}

/* ---- matrix layouts ---- */

EXPORT cublasStatus_t cublasLtMatrixLayoutInit_internal(cublasLtMatrixLayout_t l, size_t size,
							cudaDataType type, uint64_t rows,
							uint64_t cols, int64_t ld)
{
	struct lt_layout *x = (struct lt_layout *)l;

	if (l == NULL || size < sizeof(*l))
		return CUBLAS_STATUS_INVALID_VALUE;
	memset(l, 0, sizeof(*l));
	x->type = type;
	x->order = CUBLASLT_ORDER_COL;
	x->batch = 1;
	x->rows = rows;
	x->cols = cols;
	x->ld = ld;
	return CUBLAS_STATUS_SUCCESS;
}

EXPORT cublasStatus_t cublasLtMatrixLayoutCreate(cublasLtMatrixLayout_t *l, cudaDataType type,
						 uint64_t rows, uint64_t cols, int64_t ld)
{
	*l = malloc(sizeof(**l));
	if (*l == NULL)
		return CUBLAS_STATUS_ALLOC_FAILED;
	return cublasLtMatrixLayoutInit_internal(*l, sizeof(**l), type, rows, cols, ld);
}

EXPORT cublasStatus_t cublasLtMatrixLayoutDestroy(cublasLtMatrixLayout_t l)
{
	free(l);
	return CUBLAS_STATUS_SUCCESS;
}

/* the field of an attribute and its size, or NULL */
static void *layout_field(cublasLtMatrixLayout_t l, cublasLtMatrixLayoutAttribute_t a,
			  size_t *size)
{
	struct lt_layout *x = (struct lt_layout *)l;

	switch (a) {
	case CUBLASLT_MATRIX_LAYOUT_TYPE: *size = 4; return &x->type;
	case CUBLASLT_MATRIX_LAYOUT_ORDER: *size = 4; return &x->order;
	case CUBLASLT_MATRIX_LAYOUT_ROWS: *size = 8; return &x->rows;
	case CUBLASLT_MATRIX_LAYOUT_COLS: *size = 8; return &x->cols;
	case CUBLASLT_MATRIX_LAYOUT_LD: *size = 8; return &x->ld;
	case CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT: *size = 4; return &x->batch;
	case CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET: *size = 8; return &x->stride;
	default: return NULL;
	}
}

EXPORT cublasStatus_t cublasLtMatrixLayoutSetAttribute(cublasLtMatrixLayout_t l,
						       cublasLtMatrixLayoutAttribute_t a,
						       const void *buf, size_t size)
{
	size_t want;
	void *f = l ? layout_field(l, a, &want) : NULL;

	if (f == NULL)
		return l ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_INVALID_VALUE;
	if (size != want || buf == NULL)
		return CUBLAS_STATUS_INVALID_VALUE;
	memcpy(f, buf, want);
	return CUBLAS_STATUS_SUCCESS;
}

EXPORT cublasStatus_t cublasLtMatrixLayoutGetAttribute(cublasLtMatrixLayout_t l,
						       cublasLtMatrixLayoutAttribute_t a, void *buf,
						       size_t size, size_t *written)
{
	size_t want;
	void *f = l ? layout_field(l, a, &want) : NULL;

	if (f == NULL)
		return CUBLAS_STATUS_INVALID_VALUE;
	if (size == 0 && written) {
		*written = want;
		return CUBLAS_STATUS_SUCCESS;
	}
	if (size != want || buf == NULL)
		return CUBLAS_STATUS_INVALID_VALUE;
	memcpy(buf, f, want);
	if (written)
		*written = want;
	return CUBLAS_STATUS_SUCCESS;
}

/* ---- the matmul ---- */

/* bits per element; 0 for a type the fake does not know */
static int bits(uint32_t t)
{
	switch (t) {
	case CUDA_R_8I: case CUDA_R_8U: case CUDA_R_8F_E4M3: case CUDA_R_8F_E5M2: return 8;
	case CUDA_R_16F: case CUDA_R_16BF: return 16;
	case CUDA_R_32F: case CUDA_R_32I: case CUDA_C_16F: case CUDA_C_16BF: return 32;
	case CUDA_R_64F: case CUDA_C_32F: return 64;
	case CUDA_C_64F: return 128;
	case CUDA_R_4F_E2M1: return 4;
	default: return 0;
	}
}

static int is_complex(uint32_t t)
{
	return t == CUDA_C_16F || t == CUDA_C_16BF || t == CUDA_C_32F || t == CUDA_C_64F;
}

/* element (i, j) of op(X), X column-major with leading dimension ld */
static float at(const float *x, int64_t ld, int trans, int64_t i, int64_t j)
{
	return trans == CUBLAS_OP_N ? x[i + j * ld] : x[j + i * ld];
}

EXPORT cublasStatus_t cublasLtMatmul(cublasLtHandle_t h, cublasLtMatmulDesc_t desc,
				     const void *alpha, const void *A, cublasLtMatrixLayout_t Adesc,
				     const void *B, cublasLtMatrixLayout_t Bdesc, const void *beta,
				     const void *C, cublasLtMatrixLayout_t Cdesc, void *D,
				     cublasLtMatrixLayout_t Ddesc, const cublasLtMatmulAlgo_t *algo,
				     void *workspace, size_t wsize, cudaStream_t stream)
{
	const struct lt_desc *op = (const struct lt_desc *)desc;
	const struct lt_layout *la = (const void *)Adesc, *lb = (const void *)Bdesc;
	const struct lt_layout *lc = (const void *)Cdesc, *ld = (const void *)Ddesc;
	int64_t m, n, k, batch;
	int beta_zero;
	double flops, bytes;

	if (h == NULL || desc == NULL || !Adesc || !Bdesc || !Cdesc || !Ddesc)
		return CUBLAS_STATUS_INVALID_VALUE;
	m = (int64_t)ld->rows;
	n = (int64_t)ld->cols;
	k = (int64_t)(op->transa == CUBLAS_OP_N ? la->cols : la->rows);
	batch = ld->batch;
	if ((int64_t)(op->transb == CUBLAS_OP_N ? lb->rows : lb->cols) != k ||
	    (int64_t)(op->transa == CUBLAS_OP_N ? la->rows : la->cols) != m)
		return CUBLAS_STATUS_INVALID_VALUE;
	/* like a GPU, beta in device memory is not looked at before the work */
	beta_zero = op->pmode == CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_ZERO ||
		    (op->pmode == CUBLASLT_POINTER_MODE_HOST && op->scale == CUDA_R_32F &&
		     *(const float *)beta == 0);
	/* queued first: the host arithmetic below stands for the GPU's, which
	 * happens after the call returns */
	flops = (is_complex(la->type) ? 8.0 : 2.0) * m * n * k * batch;
	bytes = batch * ((double)bits(la->type) * m * k + (double)bits(lb->type) * k * n +
			 (double)bits(ld->type) * m * n +
			 (beta_zero ? 0 : (double)bits(lc->type) * m * n)) / 8;
	fakegpu_submit(stream, fakegpu_cost_ns(flops, bytes));
	if ((double)m * n * k * batch <= HOST_MAX_MACS && la->type == CUDA_R_32F &&
	    lb->type == CUDA_R_32F && lc->type == CUDA_R_32F &&
	    ld->type == CUDA_R_32F && op->scale == CUDA_R_32F &&
	    op->pmode == CUBLASLT_POINTER_MODE_HOST) {
		float al = *(const float *)alpha, be = *(const float *)beta;

		for (int64_t b = 0; b < batch; b++) {
			const float *a = (const float *)A + b * la->stride;
			const float *bm = (const float *)B + b * lb->stride;
			const float *c = (const float *)C + b * lc->stride;
			float *d = (float *)D + b * ld->stride;

			for (int64_t j = 0; j < n; j++)
				for (int64_t i = 0; i < m; i++) {
					float s = 0;

					for (int64_t l = 0; l < k; l++)
						s += at(a, la->ld, op->transa, i, l) *
						     at(bm, lb->ld, op->transb, l, j);
					d[i + j * ld->ld] = al * s +
						(be == 0 ? 0 : be * c[i + j * lc->ld]);
				}
		}
	}
	return CUBLAS_STATUS_SUCCESS;
}
