/*
 * gpu_cublas.h - how cuBLAS arguments become shape flags and streams, for
 * the wrappers tools/genwrap.py generates from the G lines of
 * common/routines.tbl (the same normalised flags as the CPU BLAS: see
 * struct opc_shape in common/routines.h).
 */
#ifndef OPC_GPU_CUBLAS_H
#define OPC_GPU_CUBLAS_H

#include <stdint.h>
#include <string.h>

#include "cuda_abi.h"
#include "gpu.h"

static inline char opc_cublas_trans(int v)
{
	return v == OPC_CUBLAS_OP_T ? 'T' : v == OPC_CUBLAS_OP_C ? 'C' : 'N';
}

static inline char opc_cublas_uplo(int v)
{
	return v == OPC_CUBLAS_FILL_MODE_LOWER ? 'L' : 'U';
}

static inline char opc_cublas_side(int v)
{
	return v == OPC_CUBLAS_SIDE_RIGHT ? 'R' : 'L';
}

static inline char opc_cublas_diag(int v)
{
	return v == OPC_CUBLAS_DIAG_UNIT ? 'U' : 'N';
}

/* The stream a handle's work goes to (0, the default stream, if unknown). */
static inline opc_cuda_stream_t opc_cublas_stream(void *handle)
{
	opc_cublas_get_stream_t get = OPC_AUX(get, "cublasGetStream_v2");
	opc_cuda_stream_t s = NULL;

	if (get == NULL || get(handle, &s) != OPC_CUBLAS_STATUS_SUCCESS)
		return NULL;
	return s;
}

/*
 * Element types of mixed-precision calls become shape flags, one letter
 * each (common/cost.c: opc_cost_gemmex knows their sizes): s d c z h b as
 * the precisions, H and B complex half and bfloat16, i u int8 and uint8,
 * I int32, e f FP8 E4M3 and E5M2, 6 FP6, 4 FP4; '?' any other.
 */
static inline char opc_cuda_type_letter(int t)
{
	switch (t) {
	case OPC_CUDA_R_32F: return 's';
	case OPC_CUDA_R_64F: return 'd';
	case OPC_CUDA_C_32F: return 'c';
	case OPC_CUDA_C_64F: return 'z';
	case OPC_CUDA_R_16F: return 'h';
	case OPC_CUDA_R_16BF: return 'b';
	case OPC_CUDA_C_16F: return 'H';
	case OPC_CUDA_C_16BF: return 'B';
	case OPC_CUDA_R_8I: return 'i';
	case OPC_CUDA_R_8U: return 'u';
	case OPC_CUDA_R_32I: return 'I';
	case OPC_CUDA_R_8F_E4M3: return 'e';
	case OPC_CUDA_R_8F_E5M2: return 'f';
	case OPC_CUDA_R_6F_E2M3: case OPC_CUDA_R_6F_E3M2: return '6';
	case OPC_CUDA_R_4F_E2M1: return '4';
	}
	return '?';
}

/*
 * The compute type, one letter (it changes the speed and the energy, not
 * the count): h 16F, s 32F, d 64F, i 32I (pedantic variants alike), and
 * 32F with faster inputs: t TF32, f 16F, g 16BF, 9 emulated 3xBF16; D 64F
 * emulated in fixed point; '?' any other.
 */
static inline char opc_cublas_compute_letter(int c)
{
	switch (c) {
	case OPC_CUBLAS_COMPUTE_16F: case OPC_CUBLAS_COMPUTE_16F_PEDANTIC: return 'h';
	case OPC_CUBLAS_COMPUTE_32F: case OPC_CUBLAS_COMPUTE_32F_PEDANTIC: return 's';
	case OPC_CUBLAS_COMPUTE_64F: case OPC_CUBLAS_COMPUTE_64F_PEDANTIC: return 'd';
	case OPC_CUBLAS_COMPUTE_32I: case OPC_CUBLAS_COMPUTE_32I_PEDANTIC: return 'i';
	case OPC_CUBLAS_COMPUTE_32F_FAST_TF32: return 't';
	case OPC_CUBLAS_COMPUTE_32F_FAST_16F: return 'f';
	case OPC_CUBLAS_COMPUTE_32F_FAST_16BF: return 'g';
	case OPC_CUBLAS_COMPUTE_32F_EMULATED_16BFX9: return '9';
	case OPC_CUBLAS_COMPUTE_64F_EMULATED_FIXEDPOINT: return 'D';
	}
	return '?';
}

/* '0' if the host scalar at p, of type letter t, is zero; '1' otherwise */
static inline char opc_gpu_scalar_flag(const void *p, char t)
{
	if (p == NULL)
		return '1';
	switch (t) {
	case 's': return *(const float *)p == 0 ? '0' : '1';
	case 'd': return *(const double *)p == 0 ? '0' : '1';
	case 'c': return ((const float *)p)[0] == 0 && ((const float *)p)[1] == 0 ? '0' : '1';
	case 'z': return ((const double *)p)[0] == 0 && ((const double *)p)[1] == 0 ? '0' : '1';
	case 'h': case 'b': {	/* +0 and -0: every bit but the sign clear */
		uint16_t h;

		memcpy(&h, p, sizeof(h));
		return (h & 0x7fff) == 0 ? '0' : '1';
	}
	case 'I': return *(const int32_t *)p == 0 ? '0' : '1';
	}
	return '1';
}

/*
 * '0' if a scalar (alpha, beta) is zero, '1' otherwise.  A scalar in
 * device memory (CUBLAS_POINTER_MODE_DEVICE) is not read: that would
 * synchronise with the GPU, so it counts as non-zero (the bytes of a beta
 * = 0 call then include reading C: an upper bound, never hidden work).
 */
static inline char opc_cublas_scalar(void *handle, const void *p, char prec)
{
	opc_cublas_get_pointer_mode_t get = OPC_AUX(get, "cublasGetPointerMode_v2");
	int mode = OPC_CUBLAS_POINTER_MODE_DEVICE;

	if (p == NULL || get == NULL || get(handle, &mode) != OPC_CUBLAS_STATUS_SUCCESS ||
	    mode != OPC_CUBLAS_POINTER_MODE_HOST)
		return '1';
	return opc_gpu_scalar_flag(p, prec);
}

#endif
