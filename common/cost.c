/*
 * cost.c - FLOPs and compulsory bytes of every routine family.
 *
 * Conventions (docs/counting.md has the full table):
 *  - FLOPs follow LAPACK Working Note 41: real multiplies plus adds; in
 *    complex arithmetic a multiply is 6 real FLOPs and an add 2 (ZGEMM is
 *    8mnk).  Divisions and square roots count as multiplies.
 *  - GEMM is 2mnk whatever alpha and beta are; scalings by alpha and beta
 *    are never counted.  Level 1 and 2 routines are counted the way GEMM
 *    counts its degenerate cases: DOT is 2n, GEMV 2mn, GER 2mn.
 *  - Routines whose only arithmetic is a scaling (SCAL, OMATCOPY) count
 *    that scaling; comparisons (IAMAX) count one FLOP each.
 *  - Bytes are compulsory traffic: each operand element read once, each
 *    output element written once; an output whose input value is unused
 *    (beta == 0) is not read.  Integer arrays (pivots) are 4 bytes.
 *  - Eigen and singular value solvers depend on the data: they get the
 *    standard leading-order estimate and their families are marked
 *    estimated (OPC_FLOPS_ESTIMATED).
 *  - A LAPACK workspace query (lwork == -1) does no arithmetic: 0, 0.
 *  - CUDA runtime copies and fills count their payload once (not read
 *    plus write); kernel launches are not costed (see the CUDA section).
 *  - cuDNN: convolutions are 2 x output elements x (C/groups x filter
 *    spatial) in all three passes; elementwise operations have a stated
 *    count per element; the shapes and type letters are described with
 *    their functions at the end of this file.
 */
#include <math.h>
#include <string.h>

#include "routines.h"

/* total real FLOPs from multiply and add counts */
static uint64_t fl(char prec, double muls, double adds)
{
	double f = opc_is_complex(prec) ? 6 * muls + 2 * adds : muls + adds;

	return f > 0 ? (uint64_t)llround(f) : 0;
}

static uint64_t by(char prec, double elems)
{
	return elems > 0 ? (uint64_t)llround(elems * opc_elem_size(prec)) : 0;
}

/* bytes of eigenvalues or singular values: reals, also of complex matrices */
static uint64_t by_real(char prec, double elems)
{
	return by(prec, elems) / (opc_is_complex(prec) ? 2 : 1);
}

static int bad(const struct opc_shape *s, int ndims)
{
	for (int i = 0; i < ndims; i++)
		if (s->d[i] <= 0)
			return 1;
	return 0;
}

static int query(const struct opc_shape *s)
{
	return memchr(s->f, 'Q', OPC_SHAPE_FLAGS) != NULL;
}


/* ---- Level 1 ---- */

void opc_cost_rotg(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)s;
	/* r = sqrt(a^2 + b^2), c = a/r, s = b/r: two squares, a square root
	 * and two divisions (5 multiplies) and one add; estimated */
	o->flops = fl(prec, 5, 1);
	o->bytes = by(prec, 6);
}

void opc_cost_rotmg(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)s;
	o->flops = fl(prec, 8, 2);
	o->bytes = by(prec, 9);
}

void opc_cost_rot(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, 4 * n, 2 * n);
	o->bytes = by(prec, 4 * n);
}

/* complex vectors rotated by real c, s: real x complex = 2 FLOPs */
void opc_cost_rrot(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = (uint64_t)(8 * n + 4 * n);
	o->bytes = by(prec, 4 * n);
}

void opc_cost_rotm(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	opc_cost_rot(s, prec, o);	/* full H (flag -1): upper bound, estimated */
}

void opc_cost_swap(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = 0;
	o->bytes = by(prec, 4.0 * s->d[0]);
}

void opc_cost_copy(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = 0;
	o->bytes = by(prec, 2.0 * s->d[0]);
}

void opc_cost_scal(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, s->d[0], 0);
	o->bytes = by(prec, 2.0 * s->d[0]);
}

void opc_cost_rscal(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = 2 * (uint64_t)s->d[0];
	o->bytes = by(prec, 2.0 * s->d[0]);
}

void opc_cost_axpy(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, n, n);
	o->bytes = by(prec, 3 * n);
}

void opc_cost_axpby(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, n, n);	/* beta * y is a scaling */
	o->bytes = by(prec, (s->f[0] == '0' ? 2 : 3) * n);
}

void opc_cost_dot(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, n, n);
	o->bytes = by(prec, 2 * n);
}

void opc_cost_nrm2(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	uint64_t n = s->d[0];

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	/* sum of squares of n (real) or 2n (complex) reals */
	o->flops = (opc_is_complex(prec) ? 4 : 2) * n;
	o->bytes = by(prec, (double)n);
}

void opc_cost_asum(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	uint64_t n = s->d[0];

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = (opc_is_complex(prec) ? 2 : 1) * n;
	o->bytes = by(prec, (double)n);
}

void opc_cost_iamax(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	opc_cost_asum(s, prec, o);	/* |re|+|im| and one comparison */
}

/* ---- Level 2 ---- */

/* compulsory bytes of y for a matrix-vector product */
static double yvec(const struct opc_shape *s, double len, int beta_flag)
{
	return (s->f[beta_flag] == '0' ? 1 : 2) * len;
}

void opc_cost_gemv(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1];
	int notrans = s->f[0] == 'N';

	if (bad(s, 2))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, m * n, m * n);
	o->bytes = by(prec, m * n + (notrans ? n : m) + yvec(s, notrans ? m : n, 1));
}

/* elements of an m x n band with kl sub- and ku super-diagonals */
static double band_nnz(int64_t m, int64_t n, int64_t kl, int64_t ku)
{
	double nnz = 0;

	for (int64_t j = 0; j < n; j++) {
		int64_t lo = j - ku > 0 ? j - ku : 0;
		int64_t hi = j + kl < m - 1 ? j + kl : m - 1;

		if (hi >= lo)
			nnz += (double)(hi - lo + 1);
	}
	return nnz;
}

void opc_cost_gbmv(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1];
	int notrans = s->f[0] == 'N';
	double nnz;

	if (bad(s, 2) || s->d[2] < 0 || s->d[3] < 0)
		return;	/* zero: set by opc_routine_cost */
	nnz = band_nnz(s->d[0], s->d[1], s->d[2], s->d[3]);
	o->flops = fl(prec, nnz, nnz);
	o->bytes = by(prec, nnz + (notrans ? n : m) + yvec(s, notrans ? m : n, 1));
}

void opc_cost_symv(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, n * n, n * n);
	o->bytes = by(prec, n * (n + 1) / 2 + n + yvec(s, n, 0));
}

void opc_cost_spmv(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	opc_cost_symv(s, prec, o);
}

/* off-diagonal elements of one triangle of an n x n band of width k */
static double band_off(int64_t n, int64_t k)
{
	int64_t kk = k < n - 1 ? k : n - 1;

	return kk > 0 ? (double)kk * n - (double)kk * (kk + 1) / 2 : 0;
}

void opc_cost_sbmv(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];
	double off, nnz;

	if (bad(s, 1) || s->d[1] < 0)
		return;	/* zero: set by opc_routine_cost */
	off = band_off(s->d[0], s->d[1]);
	nnz = n + 2 * off;
	o->flops = fl(prec, nnz, nnz);
	o->bytes = by(prec, n + off + n + yvec(s, n, 0));
}

/* LAWN 41 TRMV and TRSV: n(n+1)/2 multiplies, n(n-1)/2 adds */
void opc_cost_trmv(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, n * (n + 1) / 2, n * (n - 1) / 2);
	o->bytes = by(prec, n * (n + 1) / 2 + 2 * n);
}

void opc_cost_tpmv(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	opc_cost_trmv(s, prec, o);
}

void opc_cost_tbmv(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0], off;

	if (bad(s, 1) || s->d[1] < 0)
		return;	/* zero: set by opc_routine_cost */
	off = band_off(s->d[0], s->d[1]);
	o->flops = fl(prec, n + off, off);
	o->bytes = by(prec, n + off + 2 * n);
}

void opc_cost_ger(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1];

	if (bad(s, 2))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, m * n, m * n);
	o->bytes = by(prec, m + n + 2 * m * n);
}

void opc_cost_syr(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0], t = n * (n + 1) / 2;

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, t, t);
	o->bytes = by(prec, n + 2 * t);
}

void opc_cost_spr(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	opc_cost_syr(s, prec, o);
}

void opc_cost_syr2(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0], t = n * (n + 1) / 2;

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, 2 * t, 2 * t);
	o->bytes = by(prec, 2 * n + 2 * t);
}

void opc_cost_spr2(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	opc_cost_syr2(s, prec, o);
}

/* ---- Level 3 ---- */

static double cmat(const struct opc_shape *s, double elems, int beta_flag)
{
	return (s->f[beta_flag] == '0' ? 1 : 2) * elems;
}

void opc_cost_gemm(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1], k = s->d[2];

	if (bad(s, 2) || s->d[2] < 0)
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, m * n * k, m * n * k);
	o->bytes = by(prec, m * k + k * n + cmat(s, m * n, 2));
}

/* cuBLAS batches: batch (d[3]) independent GEMMs of one shape */
void opc_cost_gemmbatched(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	if (s->d[3] <= 0)
		return;	/* zero: set by opc_routine_cost */
	opc_cost_gemm(s, prec, o);
	o->flops *= (uint64_t)s->d[3];
	o->bytes *= (uint64_t)s->d[3];
}

/*
 * Bits of an element of a type letter, as the GPU wrappers write the
 * element types of mixed-precision calls into shape flags (the letters are
 * defined in preload/gpu_cublas.h): s d c z h b as the precisions, H and
 * B complex half and bfloat16, i u int8 and uint8, I int32, e f FP8 (E4M3,
 * E5M2), 6 FP6, 4 FP4.  0 if unknown.
 */
static int type_bits(char t)
{
	switch (t) {
	case 'i': case 'u': case 'e': case 'f': return 8;
	case 'h': case 'b': return 16;
	case 's': case 'I': case 'H': case 'B': return 32;
	case 'd': case 'c': return 64;
	case 'z': return 128;
	case '6': return 6;
	case '4': return 4;
	}
	return 0;
}

/*
 * GEMM with element types as flags (cublasGemmEx and its batches,
 * cublasLtMatmul): f[0] the type of A and B (cuBLAS requires them to be
 * the same, or both FP8), f[1] the type of C and D, f[2] the compute type
 * (no effect on the count), f[3] beta.  Complex if A is; FLOPs and bytes
 * times the batch count d[3].
 */
void opc_cost_gemmex(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1], k = s->d[2], b = s->d[3];
	char ab = s->f[0];
	int cplx = ab == 'c' || ab == 'z' || ab == 'H' || ab == 'B';
	double bits;

	(void)prec;
	if (bad(s, 2) || s->d[2] < 0 || s->d[3] <= 0)
		return;	/* zero: set by opc_routine_cost */
	o->flops = (uint64_t)llround((cplx ? 8 : 2) * m * n * k * b);
	bits = type_bits(ab) * (m * k + k * n) + type_bits(s->f[1]) * cmat(s, m * n, 3);
	o->bytes = (uint64_t)llround(b * bits / 8);
}

void opc_cost_gemmt(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0], k = s->d[1], t = n * (n + 1) / 2;

	if (bad(s, 1) || s->d[1] < 0)
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, t * k, t * k);
	o->bytes = by(prec, 2 * n * k + cmat(s, t, 0));
}

void opc_cost_symm(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1];
	double ka = s->f[0] == 'L' ? m : n;

	if (bad(s, 2))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, m * n * ka, m * n * ka);
	o->bytes = by(prec, ka * (ka + 1) / 2 + m * n + cmat(s, m * n, 1));
}

void opc_cost_syrk(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0], k = s->d[1], t = n * (n + 1) / 2;

	if (bad(s, 1) || s->d[1] < 0)
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, k * t, k * t);
	o->bytes = by(prec, n * k + cmat(s, t, 0));
}

/*
 * LAWN 41 SYR2K: kn^2 multiplies, kn^2 + n adds (a diagonal element is
 * 2 a'b: k products and one doubling).  With k == 0 there are no products
 * and no doubling, but C is still scaled by beta, as in SYRK and GEMM.
 */
void opc_cost_syr2k(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0], k = s->d[1], t = n * (n + 1) / 2;

	if (bad(s, 1) || s->d[1] < 0)
		return;	/* zero: set by opc_routine_cost */
	o->flops = k > 0 ? fl(prec, k * n * n, k * n * n + n) : 0;
	o->bytes = by(prec, 2 * n * k + cmat(s, t, 0));
}

/* LAWN 41 TRMM and TRSM, side L: nm(m+1)/2 multiplies, nm(m-1)/2 adds */
void opc_cost_trmm(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1];
	double ka = s->f[0] == 'L' ? m : n, other = s->f[0] == 'L' ? n : m;

	if (bad(s, 2))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, other * ka * (ka + 1) / 2, other * ka * (ka - 1) / 2);
	o->bytes = by(prec, ka * (ka + 1) / 2 + 2 * m * n);
}

/* ---- BLAS-like extensions ---- */

void opc_cost_omatcopy(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double r = s->d[0], c = s->d[1];

	if (bad(s, 2))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, r * c, 0);
	o->bytes = by(prec, 2 * r * c);
}

void opc_cost_imatcopy(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	opc_cost_omatcopy(s, prec, o);
}

void opc_cost_geadd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double r = s->d[0], c = s->d[1];

	if (bad(s, 2))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, r * c, r * c);	/* alpha * A + C; beta is a scaling */
	o->bytes = by(prec, r * c + cmat(s, r * c, 0));
}

/* ---- LAPACK: LAWN 41 ---- */

static double mul_getrf(double m, double n)
{
	return m < n ? 0.5 * m * (m * (n - m / 3 - 1) + n) + 2 * m / 3
		     : 0.5 * n * (n * (m - n / 3 - 1) + m) + 2 * n / 3;
}

static double add_getrf(double m, double n)
{
	return m < n ? 0.5 * m * (m * (n - m / 3) - n) + m / 6
		     : 0.5 * n * (n * (m - n / 3) - m) + n / 6;
}

static double mul_geqrf(double m, double n)
{
	return m > n ? n * (n * (0.5 - n / 3 + m) + m + 23.0 / 6)
		     : m * (m * (-0.5 - m / 3 + n) + 2 * n + 23.0 / 6);
}

static double add_geqrf(double m, double n)
{
	return m > n ? n * (n * (0.5 - n / 3 + m) + 5.0 / 6)
		     : m * (m * (-0.5 - m / 3 + n) + n + 5.0 / 6);
}

/* applying k reflectors to an m x n matrix from the left */
static double mul_ormqr_left(double m, double n, double k)
{
	return 2 * n * m * k - n * k * k + 2 * n * k;
}

static double add_ormqr_left(double m, double n, double k)
{
	return 2 * n * m * k - n * k * k + n * k;
}

void opc_cost_getrf(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1], mn = m < n ? m : n;

	if (bad(s, 2))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, mul_getrf(m, n), add_getrf(m, n));
	o->bytes = by(prec, 2 * m * n) + 4 * (uint64_t)mn;
}

static void getrs(double n, double r, char prec, struct opc_cost *o)
{
	o->flops = fl(prec, r * n * n, r * n * (n - 1));
	o->bytes = by(prec, n * n + 2 * n * r) + 4 * (uint64_t)n;
}

void opc_cost_getrs(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	if (bad(s, 2))
		return;	/* zero: set by opc_routine_cost */
	getrs(s->d[0], s->d[1], prec, o);
}

void opc_cost_gesv(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0], r = s->d[1];
	struct opc_cost rs;

	if (bad(s, 2))
		return;	/* zero: set by opc_routine_cost */
	getrs(n, r, prec, &rs);
	o->flops = fl(prec, mul_getrf(n, n), add_getrf(n, n)) + rs.flops;
	o->bytes = by(prec, 2 * n * n + 2 * n * r) + 4 * (uint64_t)n;
}

static double mul_potrf(double n)
{
	return n * (n * (n / 6 + 0.5) + 1.0 / 3);
}

static double add_potrf(double n)
{
	return n * (n * n / 6 - 1.0 / 6);
}

void opc_cost_potrf(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, mul_potrf(n), add_potrf(n));
	o->bytes = by(prec, n * (n + 1));	/* one triangle, read and written */
}

void opc_cost_potrs(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0], r = s->d[1];

	if (bad(s, 2))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, r * n * (n + 1), r * n * (n - 1));
	o->bytes = by(prec, n * (n + 1) / 2 + 2 * n * r);
}

void opc_cost_posv(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0], r = s->d[1];

	if (bad(s, 2))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, mul_potrf(n), add_potrf(n)) +
		   fl(prec, r * n * (n + 1), r * n * (n - 1));
	o->bytes = by(prec, n * (n + 1) + 2 * n * r);
}

void opc_cost_geqrf(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1], mn = m < n ? m : n;

	if (bad(s, 2) || query(s))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, mul_geqrf(m, n), add_geqrf(m, n));
	o->bytes = by(prec, 2 * m * n + mn);
}

void opc_cost_orgqr(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1], k = s->d[2];

	if (bad(s, 2) || s->d[2] < 0 || query(s))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, k * (2 * m * n + 2 * n - 5.0 / 3 + k * (2.0 / 3 * k - (m + n) - 1)),
		      k * (2 * m * n + n - m + 1.0 / 3 + k * (2.0 / 3 * k - (m + n))));
	o->bytes = by(prec, 2 * m * n + k);
}

/*
 * GELS with trans = 'N', m >= n: QR of A, Q^T B, triangular solve; m < n
 * is the transposed problem (LQ).  Deterministic for full-rank A.  B holds
 * m rows of right-hand sides (n with trans 'T' or 'C') and max(m, n) rows
 * on return (solutions, and residuals when the system is tall).
 */
void opc_cost_gels(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1], r = s->d[2];
	double big = m > n ? m : n, small = m < n ? m : n;
	double rows_in = s->f[0] == 'N' ? m : n;

	if (bad(s, 3) || query(s))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, mul_geqrf(big, small) + mul_ormqr_left(big, r, small) +
				    r * small * (small + 1) / 2,
		      add_geqrf(big, small) + add_ormqr_left(big, r, small) +
				    r * small * (small - 1) / 2);
	o->bytes = by(prec, 2 * m * n + (rows_in + big) * r);
}

/* estimates (Golub and Van Loan; LAPACK Users' Guide), real n^3 terms;
 * complex arithmetic is counted as four times the real work */
static uint64_t est(char prec, double f)
{
	return (uint64_t)llround(opc_is_complex(prec) ? 4 * f : f);
}

/*
 * Bytes of a symmetric (Hermitian) eigensolver: the triangle of A read;
 * the eigenvectors written over A (n x n), or without them the triangle
 * destroyed (written); the eigenvalues, reals.
 */
static uint64_t eig_bytes(double n, int vec, char prec)
{
	double t = n * (n + 1) / 2;

	return by(prec, t + (vec ? n * n : t)) + by_real(prec, n);
}

void opc_cost_syev(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];
	int vec = s->f[0] == 'V';

	if (bad(s, 1) || query(s))
		return;	/* zero: set by opc_routine_cost */
	o->flops = est(prec, vec ? 9 * n * n * n : 4.0 / 3 * n * n * n);
	o->bytes = eig_bytes(n, vec, prec);
}

void opc_cost_syevd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];
	int vec = s->f[0] == 'V';

	if (bad(s, 1) || query(s))
		return;	/* zero: set by opc_routine_cost */
	o->flops = est(prec, vec ? 4 * n * n * n : 4.0 / 3 * n * n * n);
	o->bytes = eig_bytes(n, vec, prec);
}

static double svd_flops(double m, double n, char ju, char jv)
{
	/* for m >= n; jobs: A all, S thin, O overwrite, N none */
	int u = ju != 'N', v = jv != 'N';

	if (!u && !v)
		return 4 * m * n * n - 4.0 / 3 * n * n * n;
	if (!u)
		return 4 * m * n * n + 8 * n * n * n;
	if (ju == 'A')
		return 4 * m * m * n + 8 * m * n * n + 9 * n * n * n;
	return 14 * m * n * n + 8 * n * n * n;
}

/*
 * Elements of a singular vector matrix written to its own array, for
 * `rows` x `rows` in full ('A') or `rows` x `mn` thin ('S'); 'O' overwrites
 * A, which is already counted as written, and 'N' computes none.
 */
static double svd_out(double rows, double mn, char job)
{
	return job == 'A' ? rows * rows : job == 'S' ? rows * mn : 0;
}

void opc_cost_gesvd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1];
	char ju = s->f[0], jv = s->f[1];

	if (bad(s, 2) || query(s))
		return;	/* zero: set by opc_routine_cost */
	if (m < n) {	/* SVD of the transpose: the roles of U and V swap */
		double t = m;
		char tj = ju;

		m = n;
		n = t;
		ju = jv;
		jv = tj;
	}
	o->flops = est(prec, svd_flops(m, n, ju, jv));
	o->bytes = by(prec, 2 * m * n + svd_out(m, n, ju) + svd_out(n, n, jv)) + by_real(prec, n);
}

void opc_cost_gesdd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	struct opc_shape t = *s;

	/* gesdd's jobz applies to both U and VT, except that 'O' overwrites A
	 * with only one of them (U if m >= n, VT otherwise) and returns the
	 * other one whole */
	t.f[0] = t.f[1] = s->f[0];
	if (s->f[0] == 'O') {
		t.f[0] = s->d[0] >= s->d[1] ? 'O' : 'S';
		t.f[1] = s->d[0] >= s->d[1] ? 'S' : 'O';
	}
	t.f[2] = s->f[1];
	opc_cost_gesvd(&t, prec, o);
}

void opc_cost_getri(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	if (bad(s, 1) || query(s))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, n * (5.0 / 6 + n * (2.0 / 3 * n + 0.5)),
		      n * (5.0 / 6 + n * (2.0 / 3 * n - 1.5)));
	o->bytes = by(prec, 2 * n * n) + 4 * (uint64_t)n;
}

void opc_cost_trtri(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, n * (n * (n / 6 + 0.5) + 1.0 / 3), n * (n * (n / 6 - 0.5) + 1.0 / 3));
	o->bytes = by(prec, n * (n + 1));
}

/* ---- LAPACK, second round (issue 12) ----
 *
 * LAWN 41 where it has the routine (trtrs, ormqr/unmqr, sytrf, gehrd, and
 * the QR pieces of the least-squares drivers); leading-order models of the
 * LAPACK Users' Guide and Golub and Van Loan for the iterative solvers
 * (real n^3 terms, complex four times as many, as syev).  Estimated
 * families (routines.tbl) are the ones whose work follows the data:
 * Bunch-Kaufman pivots (sytrf), balancing's ilo and ihi (gehrd: the count
 * is that of ilo = 1, ihi = n), column pivoting (geqp3), rank (gelsy),
 * iterations (the rest).  docs/counting.md has the table.
 */

void opc_cost_trtrs(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0], r = s->d[1];

	if (bad(s, 2))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, r * n * (n + 1) / 2, r * n * (n - 1) / 2);
	o->bytes = by(prec, n * (n + 1) / 2 + 2 * n * r);
}

/* C (m x n) := op(Q) C or C op(Q), Q of k reflectors of length m (side L)
 * or n (side R), stored in A (nq x k) and tau */
void opc_cost_ormqr(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1], k = s->d[2];
	int right = s->f[0] == 'R';
	double nq = right ? n : m;

	if (bad(s, 3) || query(s) || k > nq)
		return;	/* zero: set by opc_routine_cost (k > nq: refused) */
	if (right)
		o->flops = fl(prec, k * (m * (2 * n - k + 1) + n - k / 2 + 0.5),
			      m * k * (2 * n - k + 1));
	else
		o->flops = fl(prec, n * k * (2 * m - k + 2), n * k * (2 * m - k + 1));
	o->bytes = by(prec, nq * k + k + 2 * m * n);
}

void opc_cost_sytrf(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	if (bad(s, 1) || query(s))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, n * ((n / 6 + 0.5) * n + 10.0 / 3), n * (n * n / 6 - 1.0 / 6));
	o->bytes = by(prec, n * (n + 1)) + 4 * (uint64_t)n;
}

void opc_cost_gehrd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];
	double mul = n * (n * (5.0 / 3 * n + 0.5) - 7.0 / 6) - 13;
	double add = n * (n * (5.0 / 3 * n - 1) - 2.0 / 3) - 8;

	if (bad(s, 1) || query(s))
		return;	/* zero: set by opc_routine_cost */
	/* LAWN 41's form is negative below n = 3, where there is no reflector */
	o->flops = n < 3 ? 0 : fl(prec, mul, add);
	o->bytes = by(prec, 2 * n * n + n - 1);
}

void opc_cost_geqp3(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1], mn = m < n ? m : n;

	if (bad(s, 2) || query(s))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, mul_geqrf(m, n), add_geqrf(m, n));
	o->bytes = by(prec, 2 * m * n + mn) + 4 * (uint64_t)n;	/* + jpvt */
}

/* 1-norm condition estimate: typically five products with A^-1 or its
 * transpose (xLACN2), each two triangular solves with the LU factors */
void opc_cost_gecon(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, 5 * n * (n + 1), 5 * n * (n - 1));
	o->bytes = by(prec, n * n);
}

/* max |a|, one or infinity norm: one operation per element (a comparison
 * or an add), the Frobenius norm two (square, add); the modulus of a
 * complex element is four more (two squares, an add, a square root), except
 * in the Frobenius norm, which squares both parts: 4 per element */
void opc_cost_lange(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double mn = (double)s->d[0] * s->d[1];
	int frob = s->f[0] == 'F' || s->f[0] == 'E';

	if (bad(s, 2))
		return;	/* zero: set by opc_routine_cost */
	if (opc_is_complex(prec))
		o->flops = (uint64_t)llround((frob ? 4 : 5) * mn);
	else
		o->flops = (uint64_t)llround((frob ? 2 : 1) * mn);
	o->bytes = by(prec, mn);
}

/* A X + isgn X B = scale C, A m x m and B n x n (quasi-)triangular: per
 * column of X a triangular solve and the update by the columns before it,
 * mn(m+n)/2 multiplies and as many adds to leading order (2 x 2 blocks and
 * scaling against overflow follow the data) */
void opc_cost_trsyl(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1];

	if (bad(s, 2))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, m * n * (m + n) / 2, m * n * (m + n) / 2);
	o->bytes = by(prec, m * (m + 1) / 2 + n * (n + 1) / 2 + 2 * m * n);
}

/* eigenvalues: reals (wr, wi: 2n) or n complex ones, the same bytes */
static uint64_t eigval_bytes(char prec, double n)
{
	return by_real(prec, 2 * n);
}

/* Schur form: Hessenberg reduction and QR iteration, 10n^3; with the Schur
 * vectors 25n^3 (Golub and Van Loan) */
void opc_cost_gees(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];
	int vs = s->f[0] == 'V';

	if (bad(s, 1) || query(s))
		return;	/* zero: set by opc_routine_cost */
	o->flops = est(prec, (vs ? 25 : 10) * n * n * n);
	o->bytes = by(prec, 2 * n * n + (vs ? n * n : 0)) + eigval_bytes(prec, n);
}

/* eigenvalues 10n^3; with eigenvectors of either side the Schur vectors
 * (25n^3), then per side 4n^3/3 (xTREVC: the triangular solves n^3/3, the
 * back-transformation n^3) */
void opc_cost_geev(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];
	int sides = (s->f[0] == 'V') + (s->f[1] == 'V');

	if (bad(s, 1) || query(s))
		return;	/* zero: set by opc_routine_cost */
	o->flops = est(prec, sides ? (25 + sides * 4.0 / 3) * n * n * n : 10 * n * n * n);
	o->bytes = by(prec, 2 * n * n + sides * n * n) + eigval_bytes(prec, n);
}

/* QZ: eigenvalues 30n^3, with eigenvectors 66n^3 (Golub and Van Loan) */
void opc_cost_ggev(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];
	int sides = (s->f[0] == 'V') + (s->f[1] == 'V');

	if (bad(s, 1) || query(s))
		return;	/* zero: set by opc_routine_cost */
	o->flops = est(prec, (sides ? 66 : 30) * n * n * n);
	/* A and B read and destroyed; alpha (2n reals or n complex) and beta */
	o->bytes = by(prec, 4 * n * n + sides * n * n + n) + eigval_bytes(prec, n);
}

/* MRRR: tridiagonal reduction 4n^3/3, the tridiagonal problem O(n^2), the
 * back-transformation of the eigenvectors 2n^3 (all eigenvalues assumed:
 * range is not in the shape) */
void opc_cost_syevr(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];
	int vec = s->f[0] == 'V';

	if (bad(s, 1) || query(s))
		return;	/* zero: set by opc_routine_cost */
	o->flops = est(prec, (vec ? 10.0 / 3 : 4.0 / 3) * n * n * n);
	o->bytes = eig_bytes(n, vec, prec);
}

/* A x = lambda B x: Cholesky of B (n^3/3), reduction to standard form
 * (n^3), syevd (4n^3 with vectors, 4n^3/3 without), and with vectors their
 * back-transformation (n^3) */
void opc_cost_sygvd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];
	int vec = s->f[0] == 'V';
	double t = n * (n + 1) / 2;

	if (bad(s, 1) || query(s))
		return;	/* zero: set by opc_routine_cost */
	o->flops = est(prec, (vec ? 19.0 / 3 : 8.0 / 3) * n * n * n);
	o->bytes = eig_bytes(n, vec, prec) + by(prec, 2 * t);	/* + B's triangle */
}

/*
 * Least squares through an SVD, for big = max(m, n), small = min(m, n):
 * the bidiagonalisation 4 big small^2 - 4/3 small^3, Q' B and the
 * solution's transformations 4 big small nrhs + 4 small^2 nrhs, and the
 * bidiagonal SVD: divide and conquer (gelsd) 8/3 small^3, QR iteration
 * with the right vectors (gelss) 8 small^3.
 */
static double svd_ls(double m, double n, double r, double solver)
{
	double big = m > n ? m : n, small = m < n ? m : n;

	return 4 * big * small * small - 4.0 / 3 * small * small * small +
	       4 * big * small * r + 4 * small * small * r + solver * small * small * small;
}

/* A destroyed, B's m rows in and max(m, n) out, the singular values */
static uint64_t ls_bytes(char prec, double m, double n, double r)
{
	double big = m > n ? m : n, small = m < n ? m : n;

	return by(prec, 2 * m * n + (m + big) * r) + by_real(prec, small);
}

void opc_cost_gelsd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	if (bad(s, 3) || query(s))
		return;	/* zero: set by opc_routine_cost */
	o->flops = est(prec, svd_ls(s->d[0], s->d[1], s->d[2], 8.0 / 3));
	o->bytes = ls_bytes(prec, s->d[0], s->d[1], s->d[2]);
}

void opc_cost_gelss(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	if (bad(s, 3) || query(s))
		return;	/* zero: set by opc_routine_cost */
	o->flops = est(prec, svd_ls(s->d[0], s->d[1], s->d[2], 8));
	o->bytes = ls_bytes(prec, s->d[0], s->d[1], s->d[2]);
}

/* complete orthogonal factorisation: for a full-rank A the work of gels
 * (QR, Q' B, triangular solve); a lower rank does less */
void opc_cost_gelsy(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	struct opc_shape t = *s;
	double m = s->d[0], n = s->d[1], r = s->d[2], big = m > n ? m : n;

	t.f[0] = 'N';
	t.f[1] = s->f[0];	/* lwork */
	opc_cost_gels(&t, prec, o);
	if (o->flops)
		o->bytes = by(prec, 2 * m * n + (m + big) * r) + 4 * (uint64_t)n;	/* + jpvt */
}

/* one-sided Jacobi SVD (m >= n): counted as gesvd with thin vectors where
 * they are wanted (jobu U or F, jobv V or J) */
void opc_cost_gejsv(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1];
	char ju = s->f[0] == 'U' || s->f[0] == 'F' ? 'S' : 'N';
	char jv = s->f[1] == 'V' || s->f[1] == 'J' ? 'S' : 'N';

	if (bad(s, 2) || query(s) || m < n)
		return;	/* zero: set by opc_routine_cost (m < n: refused) */
	o->flops = est(prec, svd_flops(m, n, ju, jv));
	o->bytes = by(prec, 2 * m * n + (s->f[0] == 'F' ? m * m : ju == 'S' ? m * n : 0) +
				    (jv == 'S' ? n * n : 0)) + by_real(prec, n);
}

/* LAPACK's crot, zrot: x' = c x + s y, y' = c y - conj(s) x with c real and
 * s complex: per element and output a real times a complex (2), a complex
 * multiply (6) and a complex add (2) */
void opc_cost_lrot(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = (uint64_t)llround(20 * n);
	o->bytes = by(prec, 4 * n);
}

/* a Householder reflector of order n (LAWN 41, as MAGMA counts xLARFG): 2n
 * multiplies, n adds; estimated (a tiny norm is rescaled in a loop) */
void opc_cost_larfg(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, 2 * n, n);
	o->bytes = by(prec, 2 * n + 1);	/* alpha and x in and out, tau */
}

/* C (m x n) := H C or C H, H = I - tau v v': w = C' v and C - tau v w', 2mn
 * multiplies and 2mn adds; estimated (trailing zeros of v and of C's
 * columns or rows are skipped) */
void opc_cost_larf(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1];

	if (bad(s, 2))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, 2 * m * n, 2 * m * n);
	o->bytes = by(prec, (s->f[0] == 'R' ? n : m) + 1 + 2 * m * n);
}

/* row interchanges k1..k2 of an n-column matrix: no arithmetic; each
 * interchange reads and writes two rows (an upper bound: a row that stays
 * is not moved), and the pivots are read */
void opc_cost_laswp(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0], rows = (double)s->d[2] - s->d[1] + 1;

	if (bad(s, 3) || rows <= 0)
		return;	/* zero: set by opc_routine_cost */
	o->bytes = by(prec, 4 * n * rows) + 4 * (uint64_t)rows;
}

/* LAWN 41 xGERQF (xGELQF alike) */
void opc_cost_gerqf(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1], mn = m < n ? m : n;

	if (bad(s, 2) || query(s))
		return;	/* zero: set by opc_routine_cost */
	if (m > n)
		o->flops = fl(prec, n * (n * (0.5 - n / 3 + m) + m + 29.0 / 6),
			      n * (n * (-0.5 - n / 3 + m) + m + 5.0 / 6));
	else
		o->flops = fl(prec, m * (m * (-0.5 - m / 3 + n) + 2 * n + 29.0 / 6),
			      m * (m * (0.5 - m / 3 + n) + 5.0 / 6));
	o->bytes = by(prec, 2 * m * n + mn);
}

/* LAWN 41 xORGRQ / xUNGRQ: the last m rows of Q, m <= n, k <= m */
void opc_cost_orgrq(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double m = s->d[0], n = s->d[1], k = s->d[2];

	if (bad(s, 2) || s->d[2] < 0 || query(s) || m > n || k > m)
		return;	/* zero: set by opc_routine_cost (refused shapes too) */
	o->flops = fl(prec, k * (2 * m * n + m + n - 2.0 / 3 + k * (2.0 / 3 * k - (m + n) - 1)),
		      k * (2 * m * n + m - n + 1.0 / 3 + k * (2.0 / 3 * k - (m + n))));
	o->bytes = by(prec, 2 * m * n + k);
}

/* LAWN 41 xSYTRD / xHETRD (0 below n = 2, where there is no reflector):
 * the triangle in and out, d and e (reals), tau */
void opc_cost_sytrd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	if (bad(s, 1) || query(s))
		return;	/* zero: set by opc_routine_cost */
	o->flops = n < 2 ? 0 : fl(prec, n * (n * (2.0 / 3 * n + 2.5) - 1.0 / 6) - 15,
				  n * (n * (2.0 / 3 * n + 1) - 8.0 / 3) - 4);
	o->bytes = by(prec, n * (n + 1) + n - 1) + by_real(prec, 2 * n - 1);
}

/* LAWN 41 xPOTRI: the inverse from the Cholesky factor (trtri, then lauum) */
void opc_cost_potri(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, n * (2.0 / 3 + n * (n / 3 + 1)), n * (1.0 / 6 + n * (n / 3 - 0.5)));
	o->bytes = by(prec, n * (n + 1));
}

/* xLAUUM, U U' or L' L: LAWN 41's potri less trtri */
void opc_cost_lauum(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	if (bad(s, 1))
		return;	/* zero: set by opc_routine_cost */
	o->flops = fl(prec, n * (n * n / 6 + n / 2 + 1.0 / 3), n * (n * n / 6 - 1.0 / 6));
	o->bytes = by(prec, n * (n + 1));
}

/* QZ to the generalised Schur form (Golub and Van Loan): 30n^3, with one
 * side's Schur vectors 46n^3, with both 66n^3 */
void opc_cost_gges(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];
	int sides = (s->f[0] == 'V') + (s->f[1] == 'V');

	if (bad(s, 1) || query(s))
		return;	/* zero: set by opc_routine_cost */
	o->flops = est(prec, (sides == 2 ? 66 : sides ? 46 : 30) * n * n * n);
	o->bytes = by(prec, 4 * n * n + sides * n * n + n) + eigval_bytes(prec, n);
}

/* ---- cuDNN (preload/gpu_cudnn.c) ----
 *
 * Shapes are element counts read from the descriptors, and the element
 * types are flags (routines.tbl's cuDNN block): so the FLOPs do not depend
 * on the types and the bytes do.
 *
 * Convolutions (cross-correlation and convolution alike): one multiply-add
 * per output element per reduction element, 2 * y * red, where y is the
 * number of elements of the forward output N*K*prod(out spatial) and red
 * = C/groups * prod(filter spatial) (padding counted, as every framework
 * counts it: a padded zero is multiplied like any other).  The backward
 * passes do the same multiply-adds with the roles swapped: backward data
 * is the transposed convolution dy -> dx (each dy element times each
 * filter tap it was made from), backward filter correlates x with dy for
 * each filter element (sum over N*out spatial), so both are 2 * y * red.
 * Bytes: the two tensors read plus the one written (read too when beta !=
 * 0).  ConvolutionBiasActivation adds per output element the bias add, the
 * activation (unless identity) and, when alpha2 != 0, the add of z (read:
 * y elements of the output type); the bias is K = w/red elements of the
 * output type.
 *
 * Elementwise operations, per element of the tensor written (n):
 *   activation forward 1 (the function), backward 2 (its derivative and
 *   the product with dy); y, dy and x are all read, as the API passes them;
 *   pooling forward and backward: per output element, one FLOP per window
 *   element (max: a comparison each; average: window - 1 adds and the
 *   division); backward reads y, dy and x and writes dx;
 *   softmax: FAST 3 (exp, sum, divide), ACCURATE and LOG 5 (max, subtract,
 *   exp, sum, then divide or subtract the log);
 *   AddTensor C = alpha A + beta C: 1 add per C element when beta != 0, 0
 *   otherwise (a broadcast copy; alpha and beta scalings are not counted);
 *   OpTensor C = op(alpha1 A, alpha2 B) + beta C: 1 per C element for op,
 *   1 more when beta != 0; SQRT and NOT do not read B;
 *   batch normalisation, n elements and c statistics (C, or C*H*W per
 *   activation), statistics in double for double data, float otherwise:
 *     inference 2n + 5c (y = a x + b per element; per statistic a =
 *       scale / sqrt(var + eps), b = bias - mean a: 5), reads x, scale,
 *       bias, mean, var, writes y;
 *     training 6n + 8c (+6c with running averages): per element mean 1,
 *       variance 3 (subtract, square, add), apply 2; per statistic the two
 *       divisions by the count, inverse std 3, a and b 3; each running
 *       average r = (1 - f) r + f v is 3; reads x, scale, bias (and the
 *       running averages), writes y (and running averages, saved mean and
 *       inverse variance when given);
 *     backward 9n + 6c (+4n + 4c when the saved mean and inverse variance
 *       are not given and are recomputed): per element dbias 1, xhat 2,
 *       dscale 2, dx 4; reads x, dy, scale (and the saved statistics),
 *       writes dx, dscale, dbias.
 * The graph API's execution plans are counted but not costed (0, 0: the
 * key is marked unknown, OPC_FLOPS_UNKNOWN) unless opcount saw their
 * operation graph built (preload/gpu_cudnn_graph.c): then
 * opc_cudnn_graph_add adds up, per convolution node, the legacy
 * convolution's count above (2 * y * red, and the same tensors read and
 * written, each of its own type, virtual tensors of a fused graph 0
 * bytes) and per matmul node 2 * batch * m * n * k, reading A and B and
 * writing C; pointwise and other nodes count nothing (their number is the
 * key's last dimension).  The key carries the totals.
 */

/* bytes per element of a cuDNN type letter (0: unknown); 4-bit types are
 * half a byte, and a call's total is rounded to whole bytes, half up */
static double cudnn_tsize(char t)
{
	switch (t) {
	case 'd': case 'l': case 'c': return 8;
	case 'z': return 16;
	case 's': case 'I': return 4;
	case 'h': case 'b': return 2;
	case 'i': case 'u': case '8': case 'B': return 1;
	case '4': return 0.5;
	}
	return 0;
}

static uint64_t cudnn_by(double bytes)
{
	return bytes > 0 ? (uint64_t)llround(bytes) : 0;
}

/* statistics of batch normalisation: double for double data */
static double cudnn_stat_size(char t)
{
	return t == 'd' ? 8 : 4;
}

/* d[0] y, d[1] red, d[2] x, d[3] w; f[0] rtype, f[1] wtype, f[2] beta */
void opc_cost_cudnn_conv_fwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double y = s->d[0], x = s->d[2], w = s->d[3];

	(void)prec;
	if (bad(s, 4))
		return;
	o->flops = (uint64_t)(2 * s->d[0] * s->d[1]);
	o->bytes = cudnn_by((x + w) * cudnn_tsize(s->f[0]) +
			    (s->f[2] == '0' ? 1 : 2) * y * cudnn_tsize(s->f[1]));
}

void opc_cost_cudnn_conv_bwd_data(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double y = s->d[0], x = s->d[2], w = s->d[3];

	(void)prec;
	if (bad(s, 4))
		return;
	o->flops = (uint64_t)(2 * s->d[0] * s->d[1]);
	o->bytes = cudnn_by((y + w) * cudnn_tsize(s->f[0]) +
			    (s->f[2] == '0' ? 1 : 2) * x * cudnn_tsize(s->f[1]));
}

void opc_cost_cudnn_conv_bwd_filter(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double y = s->d[0], x = s->d[2], w = s->d[3];

	(void)prec;
	if (bad(s, 4))
		return;
	o->flops = (uint64_t)(2 * s->d[0] * s->d[1]);
	o->bytes = cudnn_by((y + x) * cudnn_tsize(s->f[0]) +
			    (s->f[2] == '0' ? 1 : 2) * w * cudnn_tsize(s->f[1]));
}

/* f[2] alpha2 ('0': z is not read), f[3] activation ('I' identity) */
void opc_cost_cudnn_conv_bias_act(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	uint64_t y = s->d[0];
	double x = s->d[2], w = s->d[3], k = (double)s->d[3] / s->d[1];
	int z = s->f[2] != '0';

	(void)prec;
	if (bad(s, 4))
		return;
	o->flops = 2 * y * (uint64_t)s->d[1] + y + (z ? y : 0) + (s->f[3] != 'I' ? y : 0);
	o->bytes = cudnn_by((x + w) * cudnn_tsize(s->f[0]) +
			    ((z ? 2.0 : 1.0) * y + k) * cudnn_tsize(s->f[1]));
}

/* d[0] n; f[0] type, f[1] beta */
void opc_cost_cudnn_act_fwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	(void)prec;
	if (bad(s, 1))
		return;
	o->flops = (uint64_t)s->d[0];
	o->bytes = cudnn_by((s->f[1] == '0' ? 2 : 3) * n * cudnn_tsize(s->f[0]));
}

void opc_cost_cudnn_act_bwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	(void)prec;
	if (bad(s, 1))
		return;
	o->flops = 2 * (uint64_t)s->d[0];
	o->bytes = cudnn_by((s->f[1] == '0' ? 4 : 5) * n * cudnn_tsize(s->f[0]));
}

/* d[0] y, d[1] window elements, d[2] x; f[0] type, f[1] beta */
void opc_cost_cudnn_pool_fwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double y = s->d[0], x = s->d[2];

	(void)prec;
	if (bad(s, 3))
		return;
	o->flops = (uint64_t)(s->d[0] * s->d[1]);
	o->bytes = cudnn_by((x + (s->f[1] == '0' ? 1 : 2) * y) * cudnn_tsize(s->f[0]));
}

/* reads y, dy, x; writes dx */
void opc_cost_cudnn_pool_bwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double y = s->d[0], x = s->d[2];

	(void)prec;
	if (bad(s, 3))
		return;
	o->flops = (uint64_t)(s->d[0] * s->d[1]);
	o->bytes = cudnn_by((2 * y + x + (s->f[1] == '0' ? 1 : 2) * x) * cudnn_tsize(s->f[0]));
}

/* f[2] algorithm: 'F' fast, 'A' accurate, 'L' log */
void opc_cost_cudnn_softmax_fwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0];

	(void)prec;
	if (bad(s, 1))
		return;
	o->flops = (s->f[2] == 'F' ? 3 : 5) * (uint64_t)s->d[0];
	o->bytes = cudnn_by((s->f[1] == '0' ? 2 : 3) * n * cudnn_tsize(s->f[0]));
}

/* d[0] C elements, d[1] A elements (broadcast over C) */
void opc_cost_cudnn_add_tensor(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double c = s->d[0], a = s->d[1];
	int beta = s->f[1] != '0';

	(void)prec;
	if (bad(s, 2))
		return;
	o->flops = beta ? (uint64_t)s->d[0] : 0;
	o->bytes = cudnn_by((a + (beta ? 2 : 1) * c) * cudnn_tsize(s->f[0]));
}

/* d[0] C, d[1] A, d[2] B elements; f[2] op: 'S' sqrt and 'N' not are unary */
void opc_cost_cudnn_op_tensor(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double c = s->d[0], a = s->d[1], b = s->d[2];
	int beta = s->f[1] != '0', unary = s->f[2] == 'S' || s->f[2] == 'N';

	(void)prec;
	if (bad(s, 3))
		return;
	o->flops = (uint64_t)s->d[0] * (beta ? 2 : 1);
	o->bytes = cudnn_by((a + (unary ? 0 : b) + (beta ? 2 : 1) * c) * cudnn_tsize(s->f[0]));
}

/* d[0] n elements, d[1] c statistics; f[0] type, f[1] beta */
void opc_cost_cudnn_bn_fwd_inf(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0], c = s->d[1];

	(void)prec;
	if (bad(s, 2))
		return;
	o->flops = 2 * (uint64_t)s->d[0] + 5 * (uint64_t)s->d[1];
	o->bytes = cudnn_by((s->f[1] == '0' ? 2 : 3) * n * cudnn_tsize(s->f[0]) +
			    4 * c * cudnn_stat_size(s->f[0]));
}

/* f[2] 'r' running averages given, f[3] 's' saved mean/inverse variance given */
void opc_cost_cudnn_bn_fwd_train(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0], c = s->d[1];
	int run = s->f[2] == 'r', save = s->f[3] == 's';

	(void)prec;
	if (bad(s, 2))
		return;
	o->flops = 6 * (uint64_t)s->d[0] + (run ? 14 : 8) * (uint64_t)s->d[1];
	o->bytes = cudnn_by((s->f[1] == '0' ? 2 : 3) * n * cudnn_tsize(s->f[0]) +
			    (2 + (run ? 4 : 0) + (save ? 2 : 0)) * c * cudnn_stat_size(s->f[0]));
}

/* f[1] betaDataDiff, f[2] betaParamDiff, f[3] 's' saved statistics given */
void opc_cost_cudnn_bn_bwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double n = s->d[0], c = s->d[1];
	int saved = s->f[3] == 's';

	(void)prec;
	if (bad(s, 2))
		return;
	o->flops = (saved ? 9 : 13) * (uint64_t)s->d[0] + (saved ? 6 : 10) * (uint64_t)s->d[1];
	o->bytes = cudnn_by((s->f[1] == '0' ? 3 : 4) * n * cudnn_tsize(s->f[0]) +
			    (1 + (s->f[2] == '0' ? 2 : 4) + (saved ? 2 : 0)) * c *
				    cudnn_stat_size(s->f[0]));
}

/* d[0] the execution plan (its address: one key per plan); not costed */
void opc_cost_cudnn_backend_exec(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)s;
	(void)prec;
	o->flops = 0;
	o->bytes = 0;
}

/* d[0] FLOPs, d[1] bytes of the plan's graph, d[2] the plan, d[3] nodes not
 * counted; worked out by opc_cudnn_graph_add when the plan was finalised */
void opc_cost_cudnn_graph(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (s->d[0] <= 0 || s->d[1] < 0 || s->d[2] <= 0 || s->d[3] < 0)
		return;
	o->flops = (uint64_t)s->d[0];
	o->bytes = (uint64_t)s->d[1];
}

static int64_t gtensor_elems(const struct opc_cudnn_tensor *t, int from, int to)
{
	int64_t n = 1;

	if (!t->set || from < 0 || to > t->nbdims)
		return 0;
	for (int i = from; i < to; i++) {
		if (t->dims[i] <= 0)
			return 0;
		n *= t->dims[i];
	}
	return n;
}

static double gtensor_bytes(const struct opc_cudnn_tensor *t)
{
	if (t->virt)
		return 0;
	return (double)gtensor_elems(t, 0, t->nbdims) * cudnn_tsize(t->type);
}

/* A convolution or a matmul whose tensors are all known is costed; any
 * other node is counted as other. */
void opc_cudnn_graph_add(struct opc_cudnn_graph_cost *c, enum opc_cudnn_node node,
			 const struct opc_cudnn_tensor io[3], int beta)
{
	int64_t flops = 0;
	double bytes = 0;
	int wr = -1;		/* the operand written */

	switch (node) {
	case OPC_CUDNN_NODE_CONV_FWD:
		wr = 2;
		/* fall through */
	case OPC_CUDNN_NODE_CONV_BWD_DATA:
		if (wr < 0)
			wr = 0;
		/* fall through */
	case OPC_CUDNN_NODE_CONV_BWD_FILTER:
		if (wr < 0)
			wr = 1;
		/* y (dy) elements times the filter's reduction length, as the
		 * legacy calls: C/groups times the filter taps */
		flops = 2 * gtensor_elems(&io[2], 0, io[2].nbdims) *
			gtensor_elems(&io[1], 1, io[1].nbdims);
		if (!io[0].set || flops <= 0)
			break;
		for (int i = 0; i < 3; i++)
			bytes += (i == wr && beta ? 2 : 1) * gtensor_bytes(&io[i]);
		break;
	case OPC_CUDNN_NODE_MATMUL: {
		/* C[batch.., m, n] = A[batch.., m, k] B[batch.., k, n] */
		int nb = io[2].nbdims, na = io[0].nbdims;

		if (nb < 2 || na < 2 || !io[1].set)
			break;
		flops = 2 * gtensor_elems(&io[2], 0, nb) * gtensor_elems(&io[0], na - 1, na);
		for (int i = 0; i < 3; i++)
			bytes += gtensor_bytes(&io[i]);
		break;
	}
	case OPC_CUDNN_NODE_OTHER:
		break;
	}
	if (flops > 0) {
		c->counted++;
		c->flops += flops;
		c->bytes += bytes;
	} else {
		c->other++;
	}
}

/* ---- CUDA runtime ---- */

/*
 * A kernel launch: what the kernel computes is not visible from the host
 * (d[0] blocks, d[1] threads per block, d[2] dynamic shared memory are its
 * shape, not its work); 0 and 0, and the family is marked unknown
 * (OPC_FLOPS_UNKNOWN).
 */
void opc_cost_cuda_launch(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)s;
	(void)prec;
	o->flops = 0;
	o->bytes = 0;
}

/* ---- layer regions ---- */

/* The time in a layer region outside intercepted calls (layer.c): the
 * work done there is not seen, 0 and 0, marked unknown. */
void opc_cost_region(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)s;
	(void)prec;
	o->flops = 0;
	o->bytes = 0;
}

/*
 * Copies count their payload once, whatever the direction: d[0] bytes
 * (d[0] x d[1] for the 2D forms).  Unlike DCOPY's read plus write, because
 * the payload is what a copy costs in every direction: across the bus for
 * host-device copies (where only one side is device memory) and once per
 * side for device-device ones; the direction is in the shape (src, dst
 * flags), so a fit can weigh each direction on its own.  No FLOPs.
 */
void opc_cost_cuda_memcpy(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (bad(s, 1))
		return;
	o->bytes = (uint64_t)s->d[0];
}

void opc_cost_cuda_memcpy2d(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (bad(s, 2))
		return;
	o->bytes = (uint64_t)s->d[0] * (uint64_t)s->d[1];
}

/* A fill writes each byte once and reads nothing.  No FLOPs. */
void opc_cost_cuda_memset(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	opc_cost_cuda_memcpy(s, prec, o);
}

void opc_cost_cuda_memset2d(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	opc_cost_cuda_memcpy2d(s, prec, o);
}

/* ---- oneDNN (preload/dnnl.c) ----
 *
 * Shapes are logical element counts of the primitive's memory descriptors
 * and the element types are flags with the cuDNN letters (cudnn_tsize).
 *
 * Contractions (convolution, deconvolution, inner product, matmul), in
 * the terms of a forward convolution: d[0] y output elements, d[1] red
 * multiply-adds per output element (C/groups x filter taps; K of a
 * matmul), d[2] x input elements, d[3] w weights elements.  Every pass
 * does y x red multiply-adds, 2 y red FLOPs, the count of the cuDNN rows
 * and of torch.profiler (padding included: a padded zero is multiplied
 * like any other); bytes are the two tensors read (f[0] their type) and
 * the one written (f[1]).  Forward: reads x and w, writes y; backward
 * data: reads y and w, writes x; backward weights: reads x and y, writes
 * w.  The bias and the post-ops are not in these rows (dnnl_epilogue).
 */
static int dnnl_contraction(const struct opc_shape *s, struct opc_cost *o)
{
	if (bad(s, 4))
		return 0;
	o->flops = 2 * (uint64_t)s->d[0] * (uint64_t)s->d[1];
	return 1;
}

void opc_cost_dnnl_fwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double y = s->d[0], x = s->d[2], w = s->d[3];

	(void)prec;
	if (dnnl_contraction(s, o))
		o->bytes = cudnn_by((x + w) * cudnn_tsize(s->f[0]) + y * cudnn_tsize(s->f[1]));
}

void opc_cost_dnnl_bwd_data(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double y = s->d[0], x = s->d[2], w = s->d[3];

	(void)prec;
	if (dnnl_contraction(s, o))
		o->bytes = cudnn_by((y + w) * cudnn_tsize(s->f[0]) + x * cudnn_tsize(s->f[1]));
}

void opc_cost_dnnl_bwd_weights(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double y = s->d[0], x = s->d[2], w = s->d[3];

	(void)prec;
	if (dnnl_contraction(s, o))
		o->bytes = cudnn_by((y + x) * cudnn_tsize(s->f[0]) + w * cudnn_tsize(s->f[1]));
}

/*
 * The bias and fused post-ops of one contraction: d[0] n output elements,
 * d[1] per FLOPs per output element (the bias add 1, and 1 per sum,
 * eltwise, binary or prelu post-op), d[2] bias elements read (written, for
 * a backward-weights pass's diff_bias), d[3] elements the post-ops read
 * (sum: the destination; binary and prelu: their second source); f[0] the
 * output's type.  The output itself is counted by the contraction.
 */
void opc_cost_dnnl_epilogue(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (bad(s, 2) || s->d[2] < 0 || s->d[3] < 0)
		return;
	o->flops = (uint64_t)s->d[0] * (uint64_t)s->d[1];
	o->bytes = cudnn_by(((double)s->d[2] + (double)s->d[3]) * cudnn_tsize(s->f[0]));
}

/*
 * Element-wise and normalisation primitives (d[0] n elements, f[0] type):
 * a count per element, and bytes as the tensors read and written, n
 * elements each: forward reads the source and writes the destination (2),
 * backward reads the source (or destination) and diff_dst and writes
 * diff_src (3).
 */
static void dnnl_per_elem(const struct opc_shape *s, int ndims, double per, double tensors,
			  double extra, struct opc_cost *o)
{
	if (bad(s, ndims))
		return;
	o->flops = (uint64_t)llround(per * (double)s->d[0]);
	o->bytes = cudnn_by((tensors * (double)s->d[0] + extra) * cudnn_tsize(s->f[0]));
}

void opc_cost_dnnl_eltwise_fwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	dnnl_per_elem(s, 1, 1, 2, 0, o);
}

void opc_cost_dnnl_eltwise_bwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	dnnl_per_elem(s, 1, 2, 3, 0, o);
}

void opc_cost_dnnl_softmax_fwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	dnnl_per_elem(s, 1, 5, 2, 0, o);
}

void opc_cost_dnnl_softmax_bwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	dnnl_per_elem(s, 1, 4, 3, 0, o);
}

/* d[1] w the slope elements (read; written too, diff_weights, backward) */
void opc_cost_dnnl_prelu_fwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	dnnl_per_elem(s, 2, 2, 2, (double)s->d[1], o);
}

void opc_cost_dnnl_prelu_bwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	dnnl_per_elem(s, 2, 4, 3, 2 * (double)s->d[1], o);
}

/* d[0] y, d[1] window, d[2] x: forward reads x, writes y; backward reads
 * dy, writes dx (a max pooling's workspace is not counted) */
void opc_cost_dnnl_pooling_fwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (bad(s, 3))
		return;
	o->flops = (uint64_t)s->d[0] * (uint64_t)s->d[1];
	o->bytes = cudnn_by(((double)s->d[0] + (double)s->d[2]) * cudnn_tsize(s->f[0]));
}

void opc_cost_dnnl_pooling_bwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	opc_cost_dnnl_pooling_fwd(s, prec, o);
}

/* d[1] size: taps of the window; per element 2 size (the squares and
 * their sum) + 5 (k + alpha/size x sum: 3, the power, the division) */
void opc_cost_dnnl_lrn_fwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (s->d[1] > 0)
		dnnl_per_elem(s, 2, 2 * (double)s->d[1] + 5, 2, 0, o);
}

void opc_cost_dnnl_lrn_bwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (s->d[1] > 0)
		dnnl_per_elem(s, 2, 2 * (2 * (double)s->d[1] + 5), 3, 0, o);
}

/*
 * Normalisation, d[1] c statistics (f32 whatever the data type): forward
 * with given statistics ('g') 2n + 5c, reading mean, variance, scale and
 * shift; computing them 6n + 8c, writing mean and variance and reading
 * scale and shift; backward 9n + 6c, reading mean, variance and scale,
 * writing diff_scale and diff_shift.
 */
void opc_cost_dnnl_norm_fwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	double c = (double)s->d[1];

	(void)prec;
	if (bad(s, 2))
		return;
	if (s->f[1] == 'g')
		dnnl_per_elem(s, 2, 2, 2, 0, o), o->flops += 5 * (uint64_t)s->d[1];
	else
		dnnl_per_elem(s, 2, 6, 2, 0, o), o->flops += 8 * (uint64_t)s->d[1];
	o->bytes += cudnn_by(4 * c * 4);
}

void opc_cost_dnnl_norm_bwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (bad(s, 2))
		return;
	dnnl_per_elem(s, 2, 9, 3, 0, o);
	o->flops += 6 * (uint64_t)s->d[1];
	o->bytes += cudnn_by(5 * (double)s->d[1] * 4);
}

/* d[0] n, d[1] a, d[2] b: one operation per destination element */
void opc_cost_dnnl_binary(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (bad(s, 3))
		return;
	o->flops = (uint64_t)s->d[0];
	o->bytes = cudnn_by(((double)s->d[0] + (double)s->d[1] + (double)s->d[2]) *
			    cudnn_tsize(s->f[0]));
}

/* d[0] n, d[1] k sources */
void opc_cost_dnnl_sum(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (bad(s, 2))
		return;
	o->flops = (uint64_t)(s->d[1] - 1) * (uint64_t)s->d[0];
	o->bytes = cudnn_by((double)(s->d[1] + 1) * (double)s->d[0] * cudnn_tsize(s->f[0]));
}

/* concat, shuffle: each element read and written once */
void opc_cost_dnnl_move(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	dnnl_per_elem(s, 1, 0, 2, 0, o);
}

/* d[0] y, d[1] x, d[2] sp; f[1] 'n' nearest, 'l' linear */
void opc_cost_dnnl_resampling(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (bad(s, 3) || s->d[2] > 3)
		return;
	if (s->f[1] == 'l')
		o->flops = (uint64_t)s->d[0] * ((2u << s->d[2]) - 1);
	o->bytes = cudnn_by(((double)s->d[0] + (double)s->d[1]) * cudnn_tsize(s->f[0]));
}

/* d[0] y, d[1] x; f[1] 'm' max/min/sum/mul, 'a' mean, 'n' norms */
void opc_cost_dnnl_reduction(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	uint64_t y = (uint64_t)s->d[0], x = (uint64_t)s->d[1];

	(void)prec;
	if (bad(s, 2))
		return;
	o->flops = s->f[1] == 'a' ? x + y : s->f[1] == 'n' ? 2 * x + y : x;
	o->bytes = cudnn_by(((double)s->d[0] + (double)s->d[1]) * cudnn_tsize(s->f[0]));
}

/* FLOPs per cell element: f[1] 'R' vanilla, 'L' LSTM, 'G' GRU, 'B' LBR-GRU */
static int dnnl_cell_flops(char cell)
{
	switch (cell) {
	case 'R': return 3;	/* bias, the two GEMMs' sum, activation */
	case 'L': return 17;	/* 4 gates x (bias, sum, activation); c: 3; h: 2 */
	case 'G': return 14;	/* 3 gates x 3; r h: 1; h = u h + (1 - u) c: 4 */
	case 'B': return 15;	/* GRU's, and the extra bias of the linear gate */
	}
	return 0;
}

/* d[0] tn, d[1] weights, d[2] cells, d[3] io; weights and io once each */
void opc_cost_dnnl_rnn_fwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (bad(s, 4) || !dnnl_cell_flops(s->f[1]))
		return;
	o->flops = 2 * (uint64_t)s->d[0] * (uint64_t)s->d[1] +
		   (uint64_t)dnnl_cell_flops(s->f[1]) * (uint64_t)s->d[2];
	o->bytes = cudnn_by(((double)s->d[1] + (double)s->d[3]) * cudnn_tsize(s->f[0]));
}

/* the data and the weights gradients: twice the forward; the weights read
 * and their gradients written */
void opc_cost_dnnl_rnn_bwd(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (bad(s, 4) || !dnnl_cell_flops(s->f[1]))
		return;
	o->flops = 4 * (uint64_t)s->d[0] * (uint64_t)s->d[1] +
		   2 * (uint64_t)dnnl_cell_flops(s->f[1]) * (uint64_t)s->d[2];
	o->bytes = cudnn_by((2 * (double)s->d[1] + 2 * (double)s->d[3]) * cudnn_tsize(s->f[0]));
}

/* A reorder: d[0] elements, read in f[0] and written in f[1]; no FLOPs. */
void opc_cost_dnnl_reorder(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (bad(s, 1))
		return;
	o->bytes = cudnn_by((double)s->d[0] * (cudnn_tsize(s->f[0]) + cudnn_tsize(s->f[1])));
}

/* d[0] the primitive kind, d[1] the propagation kind: not costed (the
 * family is marked unknown) */
void opc_cost_dnnl_primitive_execute(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)s;
	(void)prec;
	o->flops = 0;
	o->bytes = 0;
}

/* ---- communication (MPI, NCCL) ------------------------------------------ */
/*
 * Bytes this rank sends plus bytes it receives, under the algorithm model
 * of each family (routines.tbl, docs/counting.md); FLOPs 0: the additions
 * of a reduction are not counted.  Negative sizes (a bad call, which the
 * library refuses) count nothing.
 */

/* A message: d[0] n bytes, one way. */
void opc_cost_comm_p2p(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (s->d[0] > 0)
		o->bytes = (uint64_t)s->d[0];
}

/* d[0] bytes sent, d[1] received (worked out by the wrapper); d[2] p
 * where the family has it (0 where not). */
void opc_cost_comm_xfer(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (s->d[0] < 0 || s->d[1] < 0 || s->d[2] < 0)
		return;
	o->bytes = (uint64_t)s->d[0] + (uint64_t)s->d[1];
}

/* Waits, tests, barriers, group ends: no payload of their own. */
void opc_cost_comm_none(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)s;
	(void)prec;
	o->bytes = 0;
}

/* Ring all-reduce of d[0] n bytes over d[1] p ranks: a reduce-scatter
 * then an all-gather, each moving (p-1)/p n each way: floor(2(p-1)n/p)
 * sent and as much received. */
void opc_cost_comm_ring(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (bad(s, 2))
		return;
	o->bytes = 2 * (2 * (uint64_t)(s->d[1] - 1) * (uint64_t)s->d[0] / (uint64_t)s->d[1]);
}

/* p blocks exchanged (all-gather, all-to-all, reduce-scatter), n = p
 * blocks: floor((p-1)n/p) each way. */
void opc_cost_comm_block(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (bad(s, 2))
		return;
	o->bytes = 2 * ((uint64_t)(s->d[1] - 1) * (uint64_t)s->d[0] / (uint64_t)s->d[1]);
}

/* A chain from the root through the p ranks (broadcast; a reduction and
 * a scan go the same way backwards or from rank 0): d[2] q the rank's
 * place in it.  Its ends move n once (the first sends, the last
 * receives), the ranks between receive n and send it on; alone, nothing. */
void opc_cost_comm_chain(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	(void)prec;
	if (bad(s, 2) || s->d[1] == 1 || s->d[2] < 0 || s->d[2] >= s->d[1])
		return;
	o->bytes = (uint64_t)s->d[0] * (s->d[2] == 0 || s->d[2] == s->d[1] - 1 ? 1 : 2);
}

/* Gather and scatter, directly to or from the root (q 0): n = p blocks;
 * the root moves the p - 1 blocks of the others, each other rank its
 * own block. */
void opc_cost_comm_rooted(const struct opc_shape *s, char prec, struct opc_cost *o)
{
	uint64_t block;

	(void)prec;
	if (bad(s, 2) || s->d[2] < 0 || s->d[2] >= s->d[1])
		return;
	block = (uint64_t)s->d[0] / (uint64_t)s->d[1];
	o->bytes = s->d[2] == 0 ? (uint64_t)(s->d[1] - 1) * block : block;
}
