/*
 * shape_norm.h - how argument values become shape flags (see struct
 * opc_shape): shared by the generated preload wrappers and the ptrace
 * tracer's argument decoder, so both build the same key.
 */
#ifndef OPC_SHAPE_NORM_H
#define OPC_SHAPE_NORM_H

/* CBLAS enum values: CblasTrans 112, CblasConjTrans 113, CblasLower 122,
 * CblasUnit 132, CblasRight 142. */
static inline char opc_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c;
}

static inline char opc_cblas_trans(int v)
{
	return v == 112 ? 'T' : v == 113 ? 'C' : 'N';
}

static inline char opc_cblas_uplo(int v)
{
	return v == 122 ? 'L' : 'U';
}

static inline char opc_cblas_diag(int v)
{
	return v == 132 ? 'U' : 'N';
}

static inline char opc_cblas_side(int v)
{
	return v == 142 ? 'R' : 'L';
}

static inline char opc_cblas_job(int v)
{
	return opc_upper((char)v);
}

static inline char opc_zero_float1(const void *p)
{
	return *(const float *)p == 0 ? '0' : '1';
}

static inline char opc_zero_double1(const void *p)
{
	return *(const double *)p == 0 ? '0' : '1';
}

static inline char opc_zero_float2(const void *p)
{
	const float *v = p;

	return v[0] == 0 && v[1] == 0 ? '0' : '1';
}

static inline char opc_zero_double2(const void *p)
{
	const double *v = p;

	return v[0] == 0 && v[1] == 0 ? '0' : '1';
}

#endif
