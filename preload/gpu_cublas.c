/*
 * gpu_cublas.c - the cuBLAS GEMMs whose element types are arguments
 * (cublasGemmEx, cublasGemmBatchedEx, cublasGemmStridedBatchedEx and
 * their _64 forms).  The other cuBLAS wrappers are generated from the G
 * lines of common/routines.tbl; these differ only in turning the
 * cudaDataType_t and cublasComputeType_t arguments into shape flags (type
 * letters, see gpu_cublas.h) and in the type of alpha and beta, which
 * follows the compute type.
 *
 * Shape: m, n, k, batch (1 without a batch); flags: A/B type, C type,
 * compute type, beta zero or not (opc_cost_gemmex in common/cost.c).
 */
#include <stddef.h>
#include <stdint.h>

#include "gpu.h"
#include "gpu_cublas.h"
#include "record.h"
#include "resolve.h"

/* The element type of alpha and beta for a compute type and C's type. */
static char scale_type(int compute, char ctype)
{
	int cplx = ctype == 'c' || ctype == 'z' || ctype == 'H' || ctype == 'B';

	switch (opc_cublas_compute_letter(compute)) {
	case 'h': return 'h';
	case 'd': case 'D': return cplx ? 'z' : 'd';
	case 'i': return 'I';
	case '?': return '?';	/* unknown: beta counts as non-zero */
	}
	return cplx ? 'c' : 's';
}

static void gemmex_shape(struct opc_gpu_call *g, void *handle, int64_t m, int64_t n,
			 int64_t k, int64_t batch, int atype, int ctype, int compute,
			 const void *beta)
{
	struct opc_shape *s = &g->call.key.shape;

	s->d[0] = m;
	s->d[1] = n;
	s->d[2] = k;
	s->d[3] = batch;
	s->f[0] = opc_cuda_type_letter(atype);
	s->f[1] = opc_cuda_type_letter(ctype);
	s->f[2] = opc_cublas_compute_letter(compute);
	s->f[3] = opc_cublas_scalar(handle, beta, scale_type(compute, s->f[1]));
	g->stream = opc_cublas_stream(handle);
}

/*
 * One wrapper: PARAMS the declaration, ARGS the forwarded call, and the
 * shape from m, n, k, the batch and the type arguments.
 */
#define GEMMEX_WRAPPER(sym, PARAMS, ARGS, BATCH)                                      \
	OPC_EXPORT int sym PARAMS                                                     \
	{                                                                             \
		typedef int(*real_t) PARAMS;                                          \
		real_t real = (real_t)opc_real(OPC_R_##sym);                          \
		struct opc_gpu_call g;                                                \
		int ret;                                                              \
                                                                                      \
		if (__builtin_expect(real == NULL, 0)) {                              \
			opc_real_missing(OPC_R_##sym);                                \
			return OPC_CUBLAS_STATUS_NOT_INITIALIZED;                     \
		}                                                                     \
		if (!opc_gpu_begin(&g, OPC_R_##sym, __builtin_return_address(0)))    \
			return real ARGS;                                             \
		gemmex_shape(&g, handle, m, n, k, BATCH, atype, ctype, compute, beta); \
		opc_gpu_enter(&g);                                                    \
		ret = real ARGS;                                                      \
		opc_gpu_exit(&g, ret == OPC_CUBLAS_STATUS_SUCCESS);                   \
		return ret;                                                           \
	}

/* enums are int; long long int strides are int64_t on every CUDA target */
GEMMEX_WRAPPER(cublasGemmEx,
	       (void *handle, int ta, int tb, int m, int n, int k, const void *alpha,
		const void *a, int atype, int lda, const void *b, int btype, int ldb,
		const void *beta, void *c, int ctype, int ldc, int compute, int algo),
	       (handle, ta, tb, m, n, k, alpha, a, atype, lda, b, btype, ldb, beta, c, ctype,
		ldc, compute, algo),
	       1)

GEMMEX_WRAPPER(cublasGemmEx_64,
	       (void *handle, int ta, int tb, int64_t m, int64_t n, int64_t k,
		const void *alpha, const void *a, int atype, int64_t lda, const void *b,
		int btype, int64_t ldb, const void *beta, void *c, int ctype, int64_t ldc,
		int compute, int algo),
	       (handle, ta, tb, m, n, k, alpha, a, atype, lda, b, btype, ldb, beta, c, ctype,
		ldc, compute, algo),
	       1)

GEMMEX_WRAPPER(cublasGemmBatchedEx,
	       (void *handle, int ta, int tb, int m, int n, int k, const void *alpha,
		const void *a, int atype, int lda, const void *b, int btype, int ldb,
		const void *beta, void *c, int ctype, int ldc, int batch, int compute, int algo),
	       (handle, ta, tb, m, n, k, alpha, a, atype, lda, b, btype, ldb, beta, c, ctype,
		ldc, batch, compute, algo),
	       batch)

GEMMEX_WRAPPER(cublasGemmBatchedEx_64,
	       (void *handle, int ta, int tb, int64_t m, int64_t n, int64_t k,
		const void *alpha, const void *a, int atype, int64_t lda, const void *b,
		int btype, int64_t ldb, const void *beta, void *c, int ctype, int64_t ldc,
		int64_t batch, int compute, int algo),
	       (handle, ta, tb, m, n, k, alpha, a, atype, lda, b, btype, ldb, beta, c, ctype,
		ldc, batch, compute, algo),
	       batch)

GEMMEX_WRAPPER(cublasGemmStridedBatchedEx,
	       (void *handle, int ta, int tb, int m, int n, int k, const void *alpha,
		const void *a, int atype, int lda, int64_t stridea, const void *b, int btype,
		int ldb, int64_t strideb, const void *beta, void *c, int ctype, int ldc,
		int64_t stridec, int batch, int compute, int algo),
	       (handle, ta, tb, m, n, k, alpha, a, atype, lda, stridea, b, btype, ldb, strideb,
		beta, c, ctype, ldc, stridec, batch, compute, algo),
	       batch)

GEMMEX_WRAPPER(cublasGemmStridedBatchedEx_64,
	       (void *handle, int ta, int tb, int64_t m, int64_t n, int64_t k,
		const void *alpha, const void *a, int atype, int64_t lda, int64_t stridea,
		const void *b, int btype, int64_t ldb, int64_t strideb, const void *beta,
		void *c, int ctype, int64_t ldc, int64_t stridec, int64_t batch, int compute,
		int algo),
	       (handle, ta, tb, m, n, k, alpha, a, atype, lda, stridea, b, btype, ldb, strideb,
		beta, c, ctype, ldc, stridec, batch, compute, algo),
	       batch)
