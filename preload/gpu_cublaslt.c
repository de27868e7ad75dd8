/*
 * gpu_cublaslt.c - cublasLtMatmul: D = alpha op(A) op(B) + beta C.
 *
 * Its shape is not in its arguments but in descriptors: the operation
 * descriptor (transposes, compute type, scale type, pointer mode) and one
 * layout per matrix (type, rows, columns, batch count).  They are read
 * when the matmul is called, with cublasLt's own GetAttribute functions,
 * rather than remembered from Create and SetAttribute calls: no table to
 * keep, no locks, nothing to forget at Destroy, and descriptors made
 * before opcount started, or by the inline cublasLtMatmulDescInit and
 * cublasLtMatrixLayoutInit (which never call an exported Create), are
 * read all the same.  The cost is a few calls into cublasLt per matmul,
 * each a field copy on the host, against a kernel launch.
 *
 * Shape, as for cublasGemmEx (opc_cost_gemmex): m and n are D's rows and
 * columns, k the columns of op(A), the batch D's batch count; flags: A's
 * type, D's type, the compute type, and whether beta is zero.  Epilogues
 * (bias, activation) are not counted.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "gpu.h"
#include "gpu_cublas.h"
#include "record.h"
#include "resolve.h"

/* One attribute of `size` bytes (4 or 8), or `def` if it cannot be read. */
static int64_t attr(opc_cublaslt_get_attr_t get, void *desc, int a, size_t size, int64_t def)
{
	size_t written = 0;
	union {
		int32_t i32;
		int64_t i64;
	} v = { 0 };

	if (get == NULL || desc == NULL || get(desc, a, &v, size, &written) != 0 ||
	    written != size)
		return def;
	return size == 4 ? v.i32 : v.i64;
}

static void matmul_shape(struct opc_shape *s, void *desc, void *adesc, void *ddesc,
			 const void *beta)
{
	opc_cublaslt_get_attr_t desc_get = OPC_AUX(desc_get, "cublasLtMatmulDescGetAttribute");
	opc_cublaslt_get_attr_t lay_get = OPC_AUX(lay_get, "cublasLtMatrixLayoutGetAttribute");
	int transa = (int)attr(desc_get, desc, OPC_CUBLASLT_MATMUL_DESC_TRANSA, 4, OPC_CUBLAS_OP_N);
	int compute = (int)attr(desc_get, desc, OPC_CUBLASLT_MATMUL_DESC_COMPUTE_TYPE, 4, -1);
	int scale = (int)attr(desc_get, desc, OPC_CUBLASLT_MATMUL_DESC_SCALE_TYPE, 4, -1);
	int mode = (int)attr(desc_get, desc, OPC_CUBLASLT_MATMUL_DESC_POINTER_MODE, 4,
			     OPC_CUBLASLT_POINTER_MODE_HOST);

	s->d[0] = attr(lay_get, ddesc, OPC_CUBLASLT_MATRIX_LAYOUT_ROWS, 8, 0);
	s->d[1] = attr(lay_get, ddesc, OPC_CUBLASLT_MATRIX_LAYOUT_COLS, 8, 0);
	/* op(A) is m x k: A is m x k, or k x m when transposed */
	s->d[2] = attr(lay_get, adesc,
		       transa == OPC_CUBLAS_OP_N ? OPC_CUBLASLT_MATRIX_LAYOUT_COLS
						 : OPC_CUBLASLT_MATRIX_LAYOUT_ROWS, 8, 0);
	s->d[3] = attr(lay_get, ddesc, OPC_CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, 4, 1);
	s->f[0] = opc_cuda_type_letter((int)attr(lay_get, adesc, OPC_CUBLASLT_MATRIX_LAYOUT_TYPE,
						 4, -1));
	s->f[1] = opc_cuda_type_letter((int)attr(lay_get, ddesc, OPC_CUBLASLT_MATRIX_LAYOUT_TYPE,
						 4, -1));
	s->f[2] = opc_cublas_compute_letter(compute);
	/* beta is on the host in these modes; in the device modes it is not
	 * read (that would synchronise): non-zero, as in gpu_cublas.h */
	if (mode == OPC_CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_ZERO)
		s->f[3] = '0';
	else if (mode == OPC_CUBLASLT_POINTER_MODE_HOST ||
		 mode == OPC_CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_HOST)
		s->f[3] = opc_gpu_scalar_flag(beta, opc_cuda_type_letter(scale));
	else
		s->f[3] = '1';
}

OPC_EXPORT int cublasLtMatmul(void *lt, void *desc, const void *alpha, const void *a,
			      void *adesc, const void *b, void *bdesc, const void *beta,
			      const void *c, void *cdesc, void *d, void *ddesc, const void *algo,
			      void *workspace, size_t wsize, void *stream)
{
	typedef int (*real_t)(void *, void *, const void *, const void *, void *, const void *,
			      void *, const void *, const void *, void *, void *, void *,
			      const void *, void *, size_t, void *);
	real_t real = (real_t)opc_real(OPC_R_cublasLtMatmul);
	struct opc_gpu_call g;
	int ret, saved_errno;

	if (__builtin_expect(real == NULL, 0)) {
		opc_real_missing(OPC_R_cublasLtMatmul);
		return OPC_CUBLAS_STATUS_NOT_INITIALIZED;
	}
	if (!opc_gpu_begin(&g, OPC_R_cublasLtMatmul, __builtin_return_address(0)))
		return real(lt, desc, alpha, a, adesc, b, bdesc, beta, c, cdesc, d, ddesc, algo,
			    workspace, wsize, stream);
	saved_errno = errno;
	matmul_shape(&g.call.key.shape, desc, adesc, ddesc, beta);
	errno = saved_errno;
	g.stream = stream;
	opc_gpu_enter(&g);
	ret = real(lt, desc, alpha, a, adesc, b, bdesc, beta, c, cdesc, d, ddesc, algo, workspace,
		   wsize, stream);
	opc_gpu_exit(&g, ret == OPC_CUBLAS_STATUS_SUCCESS);
	return ret;
}
