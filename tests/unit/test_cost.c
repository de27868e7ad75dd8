/*
 * test_cost.c - every routine's FLOPs and bytes against an independent count.
 *
 * The routine table is walked, not listed: each entry of opc_routines[] must
 * be recognised by name below (its precision, level, shape names and
 * whether its FLOPs are exact, estimated or unknown checked too), so a
 * routine added to routines.tbl without a model here fails
 * test_every_routine_is_checked.
 *
 * The expected values do not come from cost.c.  For the BLAS they come from
 * loops that walk the operation element by element and count one multiply
 * and one add per multiply-add (the convention in cost.c's header: GEMM is
 * 2mnk, alpha and beta scalings are free, complex = 6 muls + 2 adds); TRMV,
 * TRSV, TRMM, TRSM and SYR2K are walked the way LAWN 41 counts them.  For
 * LAPACK they come from the LAWN 41 closed forms, transcribed here in
 * integer arithmetic (times 6 or 3, so that a mistyped fraction shows as a
 * non-integer count), and the closed forms are themselves checked against
 * brute-force walks of the unblocked algorithms (LU, Cholesky, triangular
 * inverse, Householder QR, generation of Q, triangular solves).  Bytes
 * are recounted the same way: every operand element read once, every output
 * element written once, an output not read when beta == 0, pivots 4 bytes.
 *
 * It needs only common/cost.c, common/routines.c and the generated table.
 * Whether each wrapper hands these functions the right shape (every
 * interface, every flag) is tests/integration/wrappers.sh's question.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "routines.h"

#define END INT64_MIN	/* terminates a list of dimension values */

/* ---- independent basics ------------------------------------------------- */

static int elem_bytes(char prec)
{
	return prec == 's' ? 4 : prec == 'd' ? 8 : prec == 'c' ? 8 : prec == 'z' ? 16 :
	       prec == 'h' || prec == 'b' ? 2 : -1;
}

/*
 * Bits per element of the type letters of mixed-precision GPU calls (the
 * letters preload/gpu_cublas.h gives cudaDataType_t values): IEEE half and
 * bfloat16 16, complex ones twice their real type, int8 and FP8 8, int32 32,
 * FP6 6, FP4 4; unknown types move nothing.
 */
static int type_bits(char t)
{
	static const struct {
		char letter;
		int bits;
	} types[] = {
		{ 's', 32 }, { 'd', 64 }, { 'c', 2 * 32 }, { 'z', 2 * 64 }, { 'h', 16 }, { 'b', 16 },
		{ 'H', 2 * 16 }, { 'B', 2 * 16 }, { 'i', 8 }, { 'u', 8 }, { 'I', 32 }, { 'e', 8 },
		{ 'f', 8 }, { '6', 6 }, { '4', 4 },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].letter == t)
			return types[i].bits;
	return 0;
}

static int cplx(char prec)
{
	return prec == 'c' || prec == 'z';
}

/* the real type of a precision: eigenvalues, singular values */
static int real_bytes(char prec)
{
	return cplx(prec) ? elem_bytes(prec) / 2 : elem_bytes(prec);
}

struct ops {
	uint64_t mul, add;
};

/* real FLOPs from counts of operations on elements of type prec */
static uint64_t weigh(char prec, struct ops o)
{
	return cplx(prec) ? 6 * o.mul + 2 * o.add : o.mul + o.add;
}

static struct ops ops_sum(struct ops a, struct ops b)
{
	return (struct ops){ a.mul + b.mul, a.add + b.add };
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* ---- brute-force walks of BLAS operations --------------------------------- */

/* C(m x n) += A(m x k) B(k x n): one multiply-add per (i, j, l) */
static struct ops walk_gemm(int64_t m, int64_t n, int64_t k)
{
	struct ops o = { 0, 0 };

	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++)
			for (int64_t l = 0; l < k; l++)
				o.mul++, o.add++;
	return o;
}

/*
 * x := T x or x := T^-1 x with T n x n triangular, as LAWN 41 counts it:
 * x_i = t_ii x_i + sum_{j>i} t_ij x_j takes n - i multiplies (the diagonal
 * one, a division in a solve, included) and n - i - 1 adds.
 */
static struct ops walk_trmv(int64_t n)
{
	struct ops o = { 0, 0 };

	for (int64_t i = 0; i < n; i++) {
		for (int64_t j = i; j < n; j++)
			o.mul++;
		for (int64_t j = i + 1; j < n; j++)
			o.add++;
	}
	return o;
}

/* the same with a band of k super-diagonals */
static struct ops walk_tbmv(int64_t n, int64_t k)
{
	struct ops o = { 0, 0 };

	for (int64_t i = 0; i < n; i++) {
		int64_t terms = 0;

		for (int64_t j = i; j < n && j <= i + k; j++)
			terms++;
		o.mul += terms;
		o.add += terms - 1;
	}
	return o;
}

/* unit lower triangular solve (the L of LU): no divisions */
static struct ops walk_unit_trsv(int64_t n)
{
	struct ops o = { 0, 0 };

	for (int64_t i = 0; i < n; i++)
		for (int64_t j = 0; j < i; j++)
			o.mul++, o.add++;
	return o;
}

/* stored triangle of an n x n symmetric matrix, band width k (k >= n: full) */
static int64_t count_band_triangle(int64_t n, int64_t k)
{
	int64_t c = 0;

	for (int64_t i = 0; i < n; i++)
		for (int64_t j = i; j < n; j++)
			c += j - i <= k;
	return c;
}

/*
 * y += A x with A symmetric, stored triangle walked once: a diagonal
 * element is one multiply-add, an off-diagonal one serves y_i and y_j.
 */
static struct ops walk_symv_band(int64_t n, int64_t k)
{
	struct ops o = { 0, 0 };

	for (int64_t i = 0; i < n; i++)
		for (int64_t j = i; j < n && j - i <= k; j++) {
			int uses = i == j ? 1 : 2;

			o.mul += uses;
			o.add += uses;
		}
	return o;
}

/* y += A x, A m x n with kl sub- and ku super-diagonals; also counts nnz */
static struct ops walk_gbmv(int64_t m, int64_t n, int64_t kl, int64_t ku, int64_t *nnz)
{
	struct ops o = { 0, 0 };

	*nnz = 0;
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++)
			if (i - j <= kl && j - i <= ku) {
				o.mul++, o.add++;
				(*nnz)++;
			}
	return o;
}

/* rank-1 (terms == 1) or rank-2 (terms == 2) update of a stored triangle */
static struct ops walk_syr(int64_t n, int terms)
{
	struct ops o = { 0, 0 };

	for (int64_t i = 0; i < n; i++)
		for (int64_t j = i; j < n; j++)
			o.mul += terms, o.add += terms;
	return o;
}

/* C(triangle of n x n) += A(n x k) B(k x n): GEMMT, SYRK, HERK */
static struct ops walk_tri_update(int64_t n, int64_t k)
{
	struct ops o = { 0, 0 };

	for (int64_t i = 0; i < n; i++)
		for (int64_t j = i; j < n; j++)
			for (int64_t l = 0; l < k; l++)
				o.mul++, o.add++;
	return o;
}

/*
 * C += A B' + B A' on a triangle, as LAWN 41 counts SYR2K (kn^2 multiplies,
 * kn^2 + n adds): an off-diagonal element takes both products, a diagonal
 * one is 2 sum_l a_il b_il, k products and one doubling.
 */
static struct ops walk_syr2k(int64_t n, int64_t k)
{
	struct ops o = { 0, 0 };

	for (int64_t i = 0; i < n; i++)
		for (int64_t j = i; j < n; j++) {
			for (int64_t l = 0; l < k; l++) {
				if (i == j) {
					o.mul++, o.add++;
				} else {
					o.mul += 2;
					o.add += 2;
				}
			}
			if (i == j && k > 0)
				o.add++;	/* s + s */
		}
	return o;
}

/* B := op(T) B (side L: T m x m, a TRMV per column) or B op(T) (side R) */
static struct ops walk_trmm(int64_t m, int64_t n, char side)
{
	struct ops o = { 0, 0 };

	if (side == 'L')
		for (int64_t j = 0; j < n; j++)
			o = ops_sum(o, walk_trmv(m));
	else
		for (int64_t i = 0; i < m; i++)
			o = ops_sum(o, walk_trmv(n));
	return o;
}

/* ---- brute-force walks of unblocked LAPACK algorithms --------------------- */
/* LAWN 41 counts a division and a square root as a multiply. */

/* right-looking LU of m x n (xGETF2): reciprocal of the pivot, multipliers,
 * rank-1 update of the trailing matrix */
static struct ops walk_getf2(int64_t m, int64_t n)
{
	struct ops o = { 0, 0 };

	for (int64_t j = 0; j < min64(m, n); j++) {
		o.mul++;				/* 1 / a_jj */
		for (int64_t i = j + 1; i < m; i++)
			o.mul++;			/* l_ij = a_ij * (1 / a_jj) */
		for (int64_t i = j + 1; i < m; i++)
			for (int64_t c = j + 1; c < n; c++)
				o.mul++, o.add++;	/* a_ic -= l_ij a_jc */
	}
	return o;
}

/* Cholesky, L L' (xPOTF2 order) */
static struct ops walk_potf2(int64_t n)
{
	struct ops o = { 0, 0 };

	for (int64_t j = 0; j < n; j++) {
		for (int64_t k = 0; k < j; k++)
			o.mul++, o.add++;		/* a_jj -= l_jk^2 */
		o.mul++;				/* sqrt */
		for (int64_t i = j + 1; i < n; i++) {
			for (int64_t k = 0; k < j; k++)
				o.mul++, o.add++;	/* a_ij -= l_ik l_jk */
			o.mul++;			/* / l_jj */
		}
	}
	return o;
}

/* inverse of an upper triangular matrix, column by column (xTRTI2) */
static struct ops walk_trti2(int64_t n)
{
	struct ops o = { 0, 0 };

	for (int64_t j = 0; j < n; j++) {
		o.mul++;				/* a_jj = 1 / a_jj */
		o = ops_sum(o, walk_trmv(j));		/* x = inv(T11) x */
		for (int64_t i = 0; i < j; i++)
			o.mul++;			/* x *= -a_jj */
	}
	return o;
}

/*
 * Applying a Householder reflector of length r from the left to r x c
 * (xLARF): w = C' v, w *= tau, C -= v w'.
 */
static struct ops walk_larf(int64_t r, int64_t c)
{
	struct ops o = { 0, 0 };

	for (int64_t j = 0; j < c; j++) {
		for (int64_t i = 0; i < r; i++)
			o.mul++, o.add++;		/* w_j += c_ij v_i */
		o.mul++;				/* w_j *= tau */
		for (int64_t i = 0; i < r; i++)
			o.mul++, o.add++;		/* c_ij -= v_i w_j */
	}
	return o;
}

/*
 * Householder QR (xGEQR2).  LAWN 41 charges generating a reflector of
 * length r (xLARFG: norm, square root, tau, scaling of the vector) 2r + 4
 * multiplies and r + 1 adds; the rest is walked.
 */
static struct ops walk_geqr2(int64_t m, int64_t n)
{
	struct ops o = { 0, 0 };

	for (int64_t i = 0; i < min64(m, n); i++) {
		int64_t r = m - i;

		o.mul += 2 * r + 4;
		o.add += r + 1;
		o = ops_sum(o, walk_larf(r, n - i - 1));
	}
	return o;
}

/* generating Q (m x n) from k reflectors (xORG2R) */
static struct ops walk_org2r(int64_t m, int64_t n, int64_t k)
{
	struct ops o = { 0, 0 };

	for (int64_t i = k - 1; i >= 0; i--) {
		int64_t r = m - i;

		o = ops_sum(o, walk_larf(r, n - i - 1));
		for (int64_t l = i + 1; l < m; l++)
			o.mul++;			/* v *= -tau */
		o.add++;				/* a_ii = 1 - tau */
	}
	return o;
}

/* solving with the LU factors: P, unit L, then U, per right-hand side */
static struct ops walk_getrs(int64_t n, int64_t nrhs)
{
	struct ops o = { 0, 0 };

	for (int64_t j = 0; j < nrhs; j++)
		o = ops_sum(o, ops_sum(walk_unit_trsv(n), walk_trmv(n)));
	return o;
}

/* solving with the Cholesky factor: L then L' */
static struct ops walk_potrs(int64_t n, int64_t nrhs)
{
	struct ops o = { 0, 0 };

	for (int64_t j = 0; j < nrhs; j++)
		o = ops_sum(o, ops_sum(walk_trmv(n), walk_trmv(n)));
	return o;
}

/* ---- LAWN 41 closed forms, exact ---------------------------------------- */
/*
 * Each returns the counts scaled by a denominator and fails the test when
 * the scaled count is not divisible by it: an exact operation count is an
 * integer, so a mistyped fraction shows up at once.
 */
static uint64_t exact(__int128 scaled, int den, const char *what, int64_t a, int64_t b)
{
	if (scaled < 0 || scaled % den) {
		print_error("%s(%lld, %lld): %lld/%d is not a whole count\n", what,
			    (long long)a, (long long)b, (long long)scaled, den);
		fail();
	}
	return (uint64_t)(scaled / den);
}

/*
 * xGETRF, m x n.  LAWN 41 gives m >= n; for m < n LAPACK++ and MAGMA
 * (flops.hh, flops.h) use the same form with m and n swapped, and so do we.
 */
static struct ops lawn_getrf(int64_t m, int64_t n)
{
	__int128 M = max64(m, n), N = min64(m, n);

	return (struct ops){
		exact(3 * M * N * N - N * N * N + 3 * M * N - 3 * N * N + 4 * N, 6, "getrf", m, n),
		exact(3 * M * N * N - N * N * N - 3 * M * N + N, 6, "getrf", m, n),
	};
}

static struct ops lawn_getrs(int64_t n, int64_t nrhs)
{
	return (struct ops){ (uint64_t)(nrhs * n * n), (uint64_t)(nrhs * n * (n - 1)) };
}

static struct ops lawn_potrf(int64_t n)
{
	__int128 N = n;

	return (struct ops){ exact(N * N * N + 3 * N * N + 2 * N, 6, "potrf", n, 0),
			     exact(N * N * N - N, 6, "potrf", n, 0) };
}

static struct ops lawn_potrs(int64_t n, int64_t nrhs)
{
	return (struct ops){ (uint64_t)(nrhs * n * (n + 1)), (uint64_t)(nrhs * n * (n - 1)) };
}

static struct ops lawn_geqrf(int64_t m, int64_t n)
{
	__int128 M = m, N = n;

	if (m >= n)
		return (struct ops){
			exact(6 * M * N * N - 2 * N * N * N + 6 * M * N + 3 * N * N + 23 * N, 6,
			      "geqrf", m, n),
			exact(6 * M * N * N - 2 * N * N * N + 3 * N * N + 5 * N, 6, "geqrf", m, n),
		};
	return (struct ops){
		exact(6 * N * M * M - 2 * M * M * M + 12 * N * M - 3 * M * M + 23 * M, 6, "geqrf",
		      m, n),
		exact(6 * N * M * M - 2 * M * M * M + 6 * N * M - 3 * M * M + 5 * M, 6, "geqrf", m,
		      n),
	};
}

/* xORGQR / xUNGQR: 2mnk - (m+n)k^2 + 2/3 k^3 + 2nk - k^2 - 5/3 k multiplies,
 * 2mnk - (m+n)k^2 + 2/3 k^3 + nk - mk + 1/3 k adds */
static struct ops lawn_orgqr(int64_t m, int64_t n, int64_t k)
{
	__int128 M = m, N = n, K = k;

	return (struct ops){
		exact(6 * M * N * K - 3 * (M + N) * K * K + 2 * K * K * K + 6 * N * K - 3 * K * K -
			      5 * K, 3, "orgqr", m, n),
		exact(6 * M * N * K - 3 * (M + N) * K * K + 2 * K * K * K + 3 * N * K - 3 * M * K + K,
		      3, "orgqr", m, n),
	};
}

/* xORMQR / xUNMQR, side L: C (m x n) := Q' C with k reflectors */
static struct ops lawn_ormqr_left(int64_t m, int64_t n, int64_t k)
{
	return (struct ops){ (uint64_t)(2 * n * m * k - n * k * k + 2 * n * k),
			     (uint64_t)(2 * n * m * k - n * k * k + n * k) };
}

static struct ops lawn_getri(int64_t n)
{
	__int128 N = n;

	return (struct ops){ exact(4 * N * N * N + 3 * N * N + 5 * N, 6, "getri", n, 0),
			     exact(4 * N * N * N - 9 * N * N + 5 * N, 6, "getri", n, 0) };
}

static struct ops lawn_trtri(int64_t n)
{
	__int128 N = n;

	return (struct ops){ exact(N * N * N + 3 * N * N + 2 * N, 6, "trtri", n, 0),
			     exact(N * N * N - 3 * N * N + 2 * N, 6, "trtri", n, 0) };
}

/* nearest integer to num / den, num >= 0 (the estimates have thirds) */
static uint64_t nearest(__int128 num, int den)
{
	return (uint64_t)((2 * num + den) / (2 * den));
}

/* ---- what each routine is ------------------------------------------------- */

enum kind {
	K_ROTG, K_ROTMG, K_ROT, K_RROT, K_ROTM, K_SWAP, K_SCAL, K_RSCAL, K_COPY, K_AXPY,
	K_AXPBY, K_DOT, K_NRM2, K_ASUM, K_IAMAX,
	K_GEMV, K_GBMV, K_SYMV, K_SBMV, K_TRMV, K_TBMV, K_GER, K_SYR, K_SYR2,
	K_GEMM, K_GEMMT, K_SYMM, K_SYRK, K_SYR2K, K_TRMM, K_GEMM_BATCHED, K_GEMMEX,
	K_MATCOPY, K_GEADD,
	K_GETRF, K_GETRS, K_GESV, K_POTRF, K_POTRS, K_POSV, K_GEQRF, K_ORGQR, K_GELS,
	K_SYEV, K_SYEVD, K_GESVD, K_GESDD, K_GETRI, K_TRTRI,
	/* LAPACK, second round (issue 12) */
	K_TRTRS, K_ORMQR, K_SYTRF, K_GEHRD, K_GEQP3, K_GECON, K_LANGE, K_TRSYL, K_GEES,
	K_GEEV, K_GGEV, K_SYEVR, K_SYGVD, K_GELSD, K_GELSS, K_GELSY, K_GEJSV,
	K_LROT, K_LARFG, K_LARF, K_LASWP, K_GERQF, K_ORGRQ, K_SYTRD, K_POTRI, K_LAUUM, K_GGES,
	K_LAUNCH, K_MEMCPY, K_MEMCPY2D, K_MEMSET, K_MEMSET2D,
	K_REGION,
	K_COUNT
};

static const int64_t v_l1[] = { -3, -1, 0, 1, 2, 3, 7, 16, 101, 4096, END };
static const int64_t v_l2[] = { -1, 0, 1, 2, 3, 5, 8, 13, END };
static const int64_t v_band[] = { -1, 0, 1, 2, 4, 12, END };
static const int64_t v_l3[] = { -1, 0, 1, 2, 3, 5, 9, END };
static const int64_t v_lapack[] = { -1, 0, 1, 2, 3, 4, 5, 7, 10, 33, 100, END };
static const int64_t v_none[] = { 0, END };
static const int64_t v_gpu[] = { -1, 0, 1, 2, 5, END };
static const int64_t v_batch[] = { -1, 0, 1, 3, END };

/* enum opc_flops_kind, short for the tables below */
#define EXACT	OPC_FLOPS_EXACT
#define ESTIM	OPC_FLOPS_ESTIMATED
#define UNKNOWN	OPC_FLOPS_UNKNOWN

struct kind_info {
	const char *name;
	int level;		/* opc_routine.level */
	int flops_kind;		/* opc_routine.flops_kind */
	const char *dims;	/* opc_routine.dims */
	const char *flags;	/* opc_routine.flags */
	const int64_t *dv[OPC_SHAPE_DIMS];	/* values tried per dimension */
	const char *fv[OPC_SHAPE_FLAGS];	/* values tried per flag */
};

static const struct kind_info kinds[K_COUNT] = {
	[K_ROTG] = { "rotg", 1, ESTIM, "", "", { v_none }, { 0 } },
	[K_ROTMG] = { "rotmg", 1, ESTIM, "", "", { v_none }, { 0 } },
	[K_ROT] = { "rot", 1, EXACT, "n", "", { v_l1 }, { 0 } },
	[K_RROT] = { "rot (real c, s)", 1, EXACT, "n", "", { v_l1 }, { 0 } },
	[K_ROTM] = { "rotm", 1, ESTIM, "n", "", { v_l1 }, { 0 } },
	[K_SWAP] = { "swap", 1, EXACT, "n", "", { v_l1 }, { 0 } },
	[K_SCAL] = { "scal", 1, EXACT, "n", "", { v_l1 }, { 0 } },
	[K_RSCAL] = { "scal (real alpha)", 1, EXACT, "n", "", { v_l1 }, { 0 } },
	[K_COPY] = { "copy", 1, EXACT, "n", "", { v_l1 }, { 0 } },
	[K_AXPY] = { "axpy", 1, EXACT, "n", "", { v_l1 }, { 0 } },
	[K_AXPBY] = { "axpby", 1, EXACT, "n", "beta", { v_l1 }, { "01" } },
	[K_DOT] = { "dot", 1, EXACT, "n", "", { v_l1 }, { 0 } },
	[K_NRM2] = { "nrm2", 1, EXACT, "n", "", { v_l1 }, { 0 } },
	[K_ASUM] = { "asum", 1, EXACT, "n", "", { v_l1 }, { 0 } },
	[K_IAMAX] = { "iamax", 1, EXACT, "n", "", { v_l1 }, { 0 } },

	[K_GEMV] = { "gemv", 2, EXACT, "m,n", "trans,beta", { v_l2, v_l2 }, { "NTC", "01" } },
	[K_GBMV] = { "gbmv", 2, EXACT, "m,n,kl,ku", "trans,beta", { v_l2, v_l2, v_band, v_band },
		     { "NTC", "01" } },
	[K_SYMV] = { "symv", 2, EXACT, "n", "beta", { v_l2 }, { "01" } },
	[K_SBMV] = { "sbmv", 2, EXACT, "n,k", "beta", { v_l2, v_band }, { "01" } },
	[K_TRMV] = { "trmv", 2, EXACT, "n", "diag", { v_l2 }, { "NU" } },
	[K_TBMV] = { "tbmv", 2, EXACT, "n,k", "diag", { v_l2, v_band }, { "NU" } },
	[K_GER] = { "ger", 2, EXACT, "m,n", "", { v_l2, v_l2 }, { 0 } },
	[K_SYR] = { "syr", 2, EXACT, "n", "", { v_l2 }, { 0 } },
	[K_SYR2] = { "syr2", 2, EXACT, "n", "", { v_l2 }, { 0 } },

	[K_GEMM] = { "gemm", 3, EXACT, "m,n,k", "ta,tb,beta", { v_l3, v_l3, v_l3 },
		     { "NTC", "NTC", "01" } },
	[K_GEMMT] = { "gemmt", 3, EXACT, "n,k", "beta", { v_l3, v_l3 }, { "01" } },
	[K_SYMM] = { "symm", 3, EXACT, "m,n", "side,beta", { v_l3, v_l3 }, { "LR", "01" } },
	[K_SYRK] = { "syrk", 3, EXACT, "n,k", "beta", { v_l3, v_l3 }, { "01" } },
	[K_SYR2K] = { "syr2k", 3, EXACT, "n,k", "beta", { v_l3, v_l3 }, { "01" } },
	[K_TRMM] = { "trmm", 3, EXACT, "m,n", "side,diag", { v_l3, v_l3 }, { "LR", "NU" } },
	[K_GEMM_BATCHED] = { "gemm batch", 3, EXACT, "m,n,k,batch", "ta,tb,beta",
			     { v_gpu, v_gpu, v_gpu, v_batch }, { "NT", "NC", "01" } },
	/* flags: type letters of A (and B), of C, the compute type, beta */
	[K_GEMMEX] = { "gemm typed", 3, EXACT, "m,n,k,batch", "ab,c,compute,beta",
		       { v_gpu, v_gpu, v_gpu, v_batch }, { "sczHie4?", "dhBuf6", "t", "01" } },

	[K_MATCOPY] = { "omatcopy", 2, EXACT, "rows,cols", "", { v_l2, v_l2 }, { 0 } },
	[K_GEADD] = { "geadd", 2, EXACT, "rows,cols", "beta", { v_l2, v_l2 }, { "01" } },

	[K_GETRF] = { "getrf", 4, EXACT, "m,n", "", { v_lapack, v_lapack }, { 0 } },
	[K_GETRS] = { "getrs", 4, EXACT, "n,nrhs", "", { v_lapack, v_lapack }, { 0 } },
	[K_GESV] = { "gesv", 4, EXACT, "n,nrhs", "", { v_lapack, v_lapack }, { 0 } },
	[K_POTRF] = { "potrf", 4, EXACT, "n", "", { v_lapack }, { 0 } },
	[K_POTRS] = { "potrs", 4, EXACT, "n,nrhs", "", { v_lapack, v_lapack }, { 0 } },
	[K_POSV] = { "posv", 4, EXACT, "n,nrhs", "", { v_lapack, v_lapack }, { 0 } },
	[K_GEQRF] = { "geqrf", 4, EXACT, "m,n", "lwork", { v_lapack, v_lapack }, { "-Q" } },
	[K_ORGQR] = { "orgqr", 4, EXACT, "m,n,k", "lwork", { v_lapack, v_lapack, v_lapack },
		      { "-Q" } },
	[K_GELS] = { "gels", 4, EXACT, "m,n,nrhs", "trans,lwork", { v_lapack, v_lapack, v_lapack },
		     { "NTC", "-Q" } },
	[K_SYEV] = { "syev", 4, ESTIM, "n", "jobz,lwork", { v_lapack }, { "NV", "-Q" } },
	[K_SYEVD] = { "syevd", 4, ESTIM, "n", "jobz,lwork", { v_lapack }, { "NV", "-Q" } },
	[K_GESVD] = { "gesvd", 4, ESTIM, "m,n", "jobu,jobvt,lwork", { v_lapack, v_lapack },
		      { "ASON", "ASON", "-Q" } },
	[K_GESDD] = { "gesdd", 4, ESTIM, "m,n", "jobz,lwork", { v_lapack, v_lapack },
		      { "ASON", "-Q" } },
	[K_GETRI] = { "getri", 4, EXACT, "n", "lwork", { v_lapack }, { "-Q" } },
	[K_TRTRI] = { "trtri", 4, EXACT, "n", "diag", { v_lapack }, { "NU" } },

	/* LAPACK, second round (issue 12) */
	[K_TRTRS] = { "trtrs", 4, EXACT, "n,nrhs", "", { v_lapack, v_lapack }, { 0 } },
	[K_ORMQR] = { "ormqr", 4, EXACT, "m,n,k", "side,lwork", { v_lapack, v_lapack, v_lapack },
		      { "LR", "-Q" } },
	[K_SYTRF] = { "sytrf", 4, ESTIM, "n", "lwork", { v_lapack }, { "-Q" } },
	[K_GEHRD] = { "gehrd", 4, ESTIM, "n", "lwork", { v_lapack }, { "-Q" } },
	[K_GEQP3] = { "geqp3", 4, ESTIM, "m,n", "lwork", { v_lapack, v_lapack }, { "-Q" } },
	[K_GECON] = { "gecon", 4, ESTIM, "n", "", { v_lapack }, { 0 } },
	[K_LANGE] = { "lange", 4, EXACT, "m,n", "norm", { v_lapack, v_lapack }, { "M1OIFE" } },
	[K_TRSYL] = { "trsyl", 4, ESTIM, "m,n", "", { v_lapack, v_lapack }, { 0 } },
	[K_GEES] = { "gees", 4, ESTIM, "n", "jobvs,lwork", { v_lapack }, { "NV", "-Q" } },
	[K_GEEV] = { "geev", 4, ESTIM, "n", "jobvl,jobvr,lwork", { v_lapack },
		     { "NV", "NV", "-Q" } },
	[K_GGEV] = { "ggev", 4, ESTIM, "n", "jobvl,jobvr,lwork", { v_lapack },
		     { "NV", "NV", "-Q" } },
	[K_SYEVR] = { "syevr", 4, ESTIM, "n", "jobz,lwork", { v_lapack }, { "NV", "-Q" } },
	[K_SYGVD] = { "sygvd", 4, ESTIM, "n", "jobz,lwork", { v_lapack }, { "NV", "-Q" } },
	[K_GELSD] = { "gelsd", 4, ESTIM, "m,n,nrhs", "lwork", { v_lapack, v_lapack, v_lapack },
		      { "-Q" } },
	[K_GELSS] = { "gelss", 4, ESTIM, "m,n,nrhs", "lwork", { v_lapack, v_lapack, v_lapack },
		      { "-Q" } },
	[K_GELSY] = { "gelsy", 4, ESTIM, "m,n,nrhs", "lwork", { v_lapack, v_lapack, v_lapack },
		      { "-Q" } },
	[K_GEJSV] = { "gejsv", 4, ESTIM, "m,n", "jobu,jobv,lwork", { v_lapack, v_lapack },
		      { "UFWN", "VJWN", "-Q" } },
	[K_LROT] = { "rot (real c, complex s)", 1, EXACT, "n", "", { v_l1 }, { 0 } },
	[K_LARFG] = { "larfg", 4, ESTIM, "n", "", { v_lapack }, { 0 } },
	[K_LARF] = { "larf", 4, ESTIM, "m,n", "side", { v_lapack, v_lapack }, { "LR" } },
	[K_LASWP] = { "laswp", 4, EXACT, "n,k1,k2", "", { v_lapack, v_lapack, v_lapack }, { 0 } },
	[K_GERQF] = { "gerqf", 4, EXACT, "m,n", "lwork", { v_lapack, v_lapack }, { "-Q" } },
	[K_ORGRQ] = { "orgrq", 4, EXACT, "m,n,k", "lwork", { v_lapack, v_lapack, v_lapack },
		      { "-Q" } },
	[K_SYTRD] = { "sytrd", 4, EXACT, "n", "lwork", { v_lapack }, { "-Q" } },
	[K_POTRI] = { "potri", 4, EXACT, "n", "", { v_lapack }, { 0 } },
	[K_LAUUM] = { "lauum", 4, EXACT, "n", "", { v_lapack }, { 0 } },
	[K_GGES] = { "gges", 4, ESTIM, "n", "jobvsl,jobvsr,lwork", { v_lapack },
		     { "NV", "NV", "-Q" } },

	/* CUDA runtime: src, dst H host, D device, A inferred, ? invalid */
	[K_LAUNCH] = { "kernel launch", 3, UNKNOWN, "blocks,threads,smem", "",
		       { v_gpu, v_gpu, v_gpu }, { 0 } },
	[K_MEMCPY] = { "memcpy", 1, EXACT, "bytes", "src,dst", { v_l1 }, { "HDA?", "HDA?" } },
	[K_MEMCPY2D] = { "memcpy 2D", 1, EXACT, "width,height", "src,dst", { v_l2, v_l2 },
			 { "HDA?", "HDA?" } },
	[K_MEMSET] = { "memset", 1, EXACT, "bytes", "", { v_l1 }, { 0 } },
	[K_MEMSET2D] = { "memset 2D", 1, EXACT, "width,height", "", { v_l2, v_l2 }, { 0 } },

	/* not a routine: a layer region's own time (layer.c) */
	[K_REGION] = { "region", 0, UNKNOWN, "", "", { 0 }, { 0 } },
};

/*
 * Names as the library exports them (opc_routine.op).  '?' stands for each
 * letter of precs, '!' for it in upper case (cuBLAS); without either,
 * precs is the one element type the routine reads (dzasum reads
 * complex*16, dsdot reads single; 'x': the types are shape flags).
 */
struct name {
	const char *pattern;
	const char *precs;
	enum kind kind;
};

static const struct name names[] = {
	{ "?rotg", "sdcz", K_ROTG },	{ "?rotmg", "sd", K_ROTMG },
	{ "?rot", "sd", K_ROT },	{ "csrot", "c", K_RROT },
	{ "zdrot", "z", K_RROT },	{ "?rotm", "sd", K_ROTM },
	{ "?swap", "sdcz", K_SWAP },	{ "?scal", "sdcz", K_SCAL },
	{ "csscal", "c", K_RSCAL },	{ "zdscal", "z", K_RSCAL },
	{ "?copy", "sdcz", K_COPY },	{ "?axpy", "sdcz", K_AXPY },
	{ "?axpby", "sdcz", K_AXPBY },	{ "?dot", "sd", K_DOT },
	{ "sdsdot", "s", K_DOT },	{ "dsdot", "s", K_DOT },
	{ "?dotu", "cz", K_DOT },	{ "?dotc", "cz", K_DOT },
	{ "?nrm2", "sd", K_NRM2 },	{ "scnrm2", "c", K_NRM2 },
	{ "dznrm2", "z", K_NRM2 },	{ "?asum", "sd", K_ASUM },
	{ "scasum", "c", K_ASUM },	{ "dzasum", "z", K_ASUM },
	{ "i?amax", "sdcz", K_IAMAX },	{ "i?amin", "sdcz", K_IAMAX },

	{ "?gemv", "sdcz", K_GEMV },	{ "?gbmv", "sdcz", K_GBMV },
	{ "?symv", "sd", K_SYMV },	{ "?hemv", "cz", K_SYMV },
	{ "?spmv", "sd", K_SYMV },	{ "?hpmv", "cz", K_SYMV },
	{ "?sbmv", "sd", K_SBMV },	{ "?hbmv", "cz", K_SBMV },
	{ "?trmv", "sdcz", K_TRMV },	{ "?trsv", "sdcz", K_TRMV },
	{ "?tpmv", "sdcz", K_TRMV },	{ "?tpsv", "sdcz", K_TRMV },
	{ "?tbmv", "sdcz", K_TBMV },	{ "?tbsv", "sdcz", K_TBMV },
	{ "?ger", "sd", K_GER },	{ "?geru", "cz", K_GER },
	{ "?gerc", "cz", K_GER },	{ "?syr", "sd", K_SYR },
	{ "?her", "cz", K_SYR },	{ "?spr", "sd", K_SYR },
	{ "?hpr", "cz", K_SYR },	{ "?syr2", "sd", K_SYR2 },
	{ "?her2", "cz", K_SYR2 },	{ "?spr2", "sd", K_SYR2 },
	{ "?hpr2", "cz", K_SYR2 },

	{ "?gemm", "sdcz", K_GEMM },	{ "?gemm3m", "cz", K_GEMM },
	{ "?gemmt", "sdcz", K_GEMMT },	{ "?symm", "sdcz", K_SYMM },
	{ "?hemm", "cz", K_SYMM },	{ "?syrk", "sdcz", K_SYRK },
	{ "?herk", "cz", K_SYRK },	{ "?syr2k", "sdcz", K_SYR2K },
	{ "?her2k", "cz", K_SYR2K },	{ "?trmm", "sdcz", K_TRMM },
	{ "?trsm", "sdcz", K_TRMM },

	{ "?omatcopy", "sdcz", K_MATCOPY }, { "?imatcopy", "sdcz", K_MATCOPY },
	{ "?geadd", "sdcz", K_GEADD },

	{ "?getrf", "sdcz", K_GETRF },	{ "?getrs", "sdcz", K_GETRS },
	{ "?gesv", "sdcz", K_GESV },	{ "?potrf", "sdcz", K_POTRF },
	{ "?potrs", "sdcz", K_POTRS },	{ "?posv", "sdcz", K_POSV },
	{ "?geqrf", "sdcz", K_GEQRF },	{ "?orgqr", "sd", K_ORGQR },
	{ "?ungqr", "cz", K_ORGQR },	{ "?gels", "sdcz", K_GELS },
	{ "?syev", "sd", K_SYEV },	{ "?heev", "cz", K_SYEV },
	{ "?syevd", "sd", K_SYEVD },	{ "?heevd", "cz", K_SYEVD },
	{ "?gesvd", "sdcz", K_GESVD },	{ "?gesdd", "sdcz", K_GESDD },
	{ "?getri", "sdcz", K_GETRI },	{ "?trtri", "sdcz", K_TRTRI },
	/* LAPACK, second round (issue 12) */
	{ "?trtrs", "sdcz", K_TRTRS },	{ "?ormqr", "sd", K_ORMQR },
	{ "?unmqr", "cz", K_ORMQR },	{ "?sytrf", "sdcz", K_SYTRF },
	{ "?hetrf", "cz", K_SYTRF },	{ "?gehrd", "sdcz", K_GEHRD },
	{ "?geqp3", "sdcz", K_GEQP3 },	{ "?gecon", "sdcz", K_GECON },
	{ "?lange", "sdcz", K_LANGE },	{ "?trsyl", "sdcz", K_TRSYL },
	{ "?gees", "sdcz", K_GEES },	{ "?geev", "sdcz", K_GEEV },
	{ "?ggev", "sdcz", K_GGEV },	{ "?syevr", "sd", K_SYEVR },
	{ "?heevr", "cz", K_SYEVR },	{ "?sygvd", "sd", K_SYGVD },
	{ "?hegvd", "cz", K_SYGVD },	{ "?gelsd", "sdcz", K_GELSD },
	{ "?gelss", "sdcz", K_GELSS },	{ "?gelsy", "sdcz", K_GELSY },
	{ "?gejsv", "sd", K_GEJSV },
	{ "?lartg", "sdcz", K_ROTG },	{ "?rot", "cz", K_LROT },
	{ "?larfg", "sdcz", K_LARFG },	{ "?larf", "sdcz", K_LARF },
	{ "?laswp", "sdcz", K_LASWP },	{ "?gerqf", "sdcz", K_GERQF },
	{ "?orgrq", "sd", K_ORGRQ },	{ "?ungrq", "cz", K_ORGRQ },
	{ "?sytrd", "sd", K_SYTRD },	{ "?hetrd", "cz", K_SYTRD },
	{ "?potri", "sdcz", K_POTRI },	{ "?lauum", "sdcz", K_LAUUM },
	{ "?gges", "sdcz", K_GGES },

	/* CUDA runtime, and its per-thread default stream entry points */
	{ "cudaLaunchKernel", "x", K_LAUNCH },	{ "cudaLaunchKernel_ptsz", "x", K_LAUNCH },
	{ "cudaLaunchKernelExC", "x", K_LAUNCH }, { "cudaLaunchKernelExC_ptsz", "x", K_LAUNCH },
	{ "cudaLaunchCooperativeKernel", "x", K_LAUNCH },
	{ "cudaLaunchCooperativeKernel_ptsz", "x", K_LAUNCH },
	{ "cudaMemcpy", "x", K_MEMCPY },	{ "cudaMemcpy_ptds", "x", K_MEMCPY },
	{ "cudaMemcpyAsync", "x", K_MEMCPY },	{ "cudaMemcpyAsync_ptsz", "x", K_MEMCPY },
	{ "cudaMemcpy2D", "x", K_MEMCPY2D },	{ "cudaMemcpy2D_ptds", "x", K_MEMCPY2D },
	{ "cudaMemcpy2DAsync", "x", K_MEMCPY2D }, { "cudaMemcpy2DAsync_ptsz", "x", K_MEMCPY2D },
	{ "cudaMemset", "x", K_MEMSET },	{ "cudaMemset_ptds", "x", K_MEMSET },
	{ "cudaMemsetAsync", "x", K_MEMSET },	{ "cudaMemsetAsync_ptsz", "x", K_MEMSET },
	{ "cudaMemset2D", "x", K_MEMSET2D },	{ "cudaMemset2D_ptds", "x", K_MEMSET2D },
	{ "cudaMemset2DAsync", "x", K_MEMSET2D }, { "cudaMemset2DAsync_ptsz", "x", K_MEMSET2D },
	{ "opcount_other_ops", "x", K_REGION },

	/* cuBLAS (GPU): the same work as the BLAS routine of that name */
	{ "cublas!rot", "sd", K_ROT },	{ "cublasCsrot", "c", K_RROT },
	{ "cublasZdrot", "z", K_RROT },	{ "cublas!swap", "sdcz", K_SWAP },
	{ "cublas!scal", "sdcz", K_SCAL }, { "cublasCsscal", "c", K_RSCAL },
	{ "cublasZdscal", "z", K_RSCAL }, { "cublas!copy", "sdcz", K_COPY },
	{ "cublas!axpy", "sdcz", K_AXPY }, { "cublas!dot", "sd", K_DOT },
	{ "cublas!dotu", "cz", K_DOT },	{ "cublas!dotc", "cz", K_DOT },
	{ "cublas!nrm2", "sd", K_NRM2 }, { "cublasScnrm2", "c", K_NRM2 },
	{ "cublasDznrm2", "z", K_NRM2 }, { "cublas!asum", "sd", K_ASUM },
	{ "cublasScasum", "c", K_ASUM }, { "cublasDzasum", "z", K_ASUM },
	{ "cublasI?amax", "sdcz", K_IAMAX }, { "cublasI?amin", "sdcz", K_IAMAX },
	{ "cublas!gemv", "sdcz", K_GEMV }, { "cublas!gemm", "sdczh", K_GEMM },
	{ "cublas!gemmStridedBatched", "sdczh", K_GEMM_BATCHED },
	{ "cublas!gemmBatched", "sdczh", K_GEMM_BATCHED },
	{ "cublasGemmEx", "x", K_GEMMEX }, { "cublasGemmBatchedEx", "x", K_GEMMEX },
	{ "cublasGemmStridedBatchedEx", "x", K_GEMMEX }, { "cublasLtMatmul", "x", K_GEMMEX },
};

/* The kind of an exported op name, or -1; *prec is the element type. */
static int kind_of(const char *op, char *prec)
{
	char buf[64];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *q = strpbrk(names[i].pattern, "?!");

		for (const char *p = names[i].precs; *p; p++) {
			if (q == NULL) {
				snprintf(buf, sizeof(buf), "%s", names[i].pattern);
			} else {
				snprintf(buf, sizeof(buf), "%.*s%c%s", (int)(q - names[i].pattern),
					 names[i].pattern, *q == '!' ? *p - 'a' + 'A' : *p, q + 1);
			}
			if (!strcmp(buf, op)) {
				*prec = *p;
				return names[i].kind;
			}
		}
	}
	return -1;
}

/* ---- the independent model ---------------------------------------------- */

static int any_negative(const struct opc_shape *s, int ndims)
{
	for (int i = 0; i < ndims; i++)
		if (s->d[i] < 0)
			return 1;
	return 0;
}

static int any_zero(const struct opc_shape *s, int ndims)
{
	for (int i = 0; i < ndims; i++)
		if (s->d[i] == 0)
			return 1;
	return 0;
}

static int has_flag(const struct opc_shape *s, char c)
{
	for (int i = 0; i < OPC_SHAPE_FLAGS; i++)
		if (s->f[i] == c)
			return 1;
	return 0;
}

/* elements of C (or y) moved: written, and read too unless beta == 0 */
static int64_t out_elems(int64_t elems, char beta)
{
	return (beta == '0' ? 1 : 2) * elems;
}

/* gesvd's estimate for m >= n (Golub and Van Loan, Golub-Reinsch column),
 * times 3; a thin or overwritten U is taken with V, as cost.c documents */
static __int128 svd3(__int128 m, __int128 n, int u, int ufull, int v)
{
	if (!u && !v)
		return 12 * m * n * n - 4 * n * n * n;
	if (!u)
		return 12 * m * n * n + 24 * n * n * n;
	if (ufull)
		return 12 * m * m * n + 24 * m * n * n + 27 * n * n * n;
	return 42 * m * n * n + 24 * n * n * n;
}

/* elements of U or VT written to their own array: rows x rows or rows x mn */
static int64_t svd_vectors(int64_t rows, int64_t mn, char job)
{
	return job == 'A' ? rows * rows : job == 'S' ? rows * mn : 0;
}

/*
 * Expected cost of a routine of kind k on element type prec.  Returns 0, or
 * 1 when the shape is not a valid call to model (skipped).
 */
static int expect(enum kind k, char prec, const struct opc_shape *s, struct opc_cost *e)
{
	const struct kind_info *ki = &kinds[k];
	int ndims = 0;
	int64_t d0 = s->d[0], d1 = s->d[1], d2 = s->d[2], d3 = s->d[3];
	int64_t el = 0, ints = 0;	/* elements and 4-byte integers moved */
	struct ops o = { 0, 0 };
	uint64_t real_flops = 0;	/* when counted in real operations */
	int use_real = 0;

	while (ndims < OPC_SHAPE_DIMS && ki->dv[ndims] && ki->dv[ndims] != v_none)
		ndims++;
	e->flops = e->bytes = 0;
	if (any_negative(s, ndims))
		return 0;	/* an argument error: nothing is done */

	switch (k) {
	case K_ROTG:	/* r = sqrt(a^2 + b^2), c = a/r, s = b/r; a, b in, a, b, c, s out */
		o = (struct ops){ 5, 1 };
		el = 6;
		break;
	case K_ROTMG:	/* documented leading-order estimate; d1 d2 x1 y1 in, d1 d2 x1 param out */
		o = (struct ops){ 8, 2 };
		el = 9;
		break;
	case K_ROT:
	case K_ROTM:	/* rotm: full H (flag -1), the upper bound */
		for (int64_t i = 0; i < d0; i++) {
			o.mul += 2, o.add += 1;	/* x' = c x + s y */
			o.mul += 2, o.add += 1;	/* y' = c y - s x */
		}
		el = 4 * d0;
		break;
	case K_RROT:	/* real c, s times complex x, y: in real operations */
		use_real = 1;
		for (int64_t i = 0; i < d0; i++)
			for (int v = 0; v < 2; v++)	/* x', y' */
				real_flops += 2 * 2 + 2;	/* two real x complex, one complex add */
		el = 4 * d0;
		break;
	case K_SWAP:
		el = 4 * d0;
		break;
	case K_SCAL:
		o.mul = d0;
		el = 2 * d0;
		break;
	case K_RSCAL:
		use_real = 1;
		real_flops = 2 * d0;	/* real alpha times re and im */
		el = 2 * d0;
		break;
	case K_COPY:
		el = 2 * d0;
		break;
	case K_AXPY:
		o = (struct ops){ d0, d0 };
		el = 3 * d0;
		break;
	case K_AXPBY:	/* beta y is a scaling; y not read when beta == 0 */
		o = (struct ops){ d0, d0 };
		el = d0 + out_elems(d0, s->f[0]);
		break;
	case K_DOT:
		o = walk_gemm(1, 1, d0);
		el = 2 * d0;
		break;
	case K_NRM2:	/* sum of squares of the real components */
		use_real = 1;
		real_flops = (cplx(prec) ? 2 : 1) * 2 * d0;
		el = d0;
		break;
	case K_ASUM:	/* |re| + |im| (complex), then accumulate */
		use_real = 1;
		real_flops = (cplx(prec) ? 2 : 1) * d0;
		el = d0;
		break;
	case K_IAMAX:	/* |re| + |im| (complex), then one comparison */
		use_real = 1;
		real_flops = (cplx(prec) ? 2 : 1) * d0;
		el = d0;
		break;

	case K_GEMV: {
		int notrans = s->f[0] == 'N';

		if (any_zero(s, 2))
			return 0;
		o = walk_gemm(d0, d1, 1);
		el = d0 * d1 + (notrans ? d1 : d0) + out_elems(notrans ? d0 : d1, s->f[1]);
		break;
	}
	case K_GBMV: {
		int notrans = s->f[0] == 'N';
		int64_t nnz;

		if (any_zero(s, 2))
			return 0;
		o = walk_gbmv(d0, d1, d2, d3, &nnz);
		el = nnz + (notrans ? d1 : d0) + out_elems(notrans ? d0 : d1, s->f[1]);
		break;
	}
	case K_SYMV:
		if (d0 == 0)
			return 0;
		o = walk_symv_band(d0, d0);
		el = count_band_triangle(d0, d0) + d0 + out_elems(d0, s->f[0]);
		break;
	case K_SBMV:
		if (d0 == 0)
			return 0;
		o = walk_symv_band(d0, d1);
		el = count_band_triangle(d0, d1) + d0 + out_elems(d0, s->f[0]);
		break;
	case K_TRMV:	/* diag is ignored, as in LAWN 41 */
		if (d0 == 0)
			return 0;
		o = walk_trmv(d0);
		el = count_band_triangle(d0, d0) + 2 * d0;
		break;
	case K_TBMV:
		if (d0 == 0)
			return 0;
		o = walk_tbmv(d0, d1);
		el = count_band_triangle(d0, d1) + 2 * d0;
		break;
	case K_GER:
		if (any_zero(s, 2))
			return 0;
		o = walk_gemm(d0, d1, 1);
		el = d0 + d1 + 2 * d0 * d1;
		break;
	case K_SYR:
		if (d0 == 0)
			return 0;
		o = walk_syr(d0, 1);
		el = d0 + 2 * count_band_triangle(d0, d0);
		break;
	case K_SYR2:
		if (d0 == 0)
			return 0;
		o = walk_syr(d0, 2);
		el = 2 * d0 + 2 * count_band_triangle(d0, d0);
		break;

	/* level 3: with k == 0 C is still scaled by beta (read and written) */
	case K_GEMM:
		if (d0 == 0 || d1 == 0)
			return 0;
		o = walk_gemm(d0, d1, d2);
		el = d0 * d2 + d2 * d1 + out_elems(d0 * d1, s->f[2]);
		break;
	case K_GEMM_BATCHED:	/* d3 GEMMs of one shape, nothing shared */
		if (d0 == 0 || d1 == 0 || d3 == 0)
			return 0;
		for (int64_t b = 0; b < d3; b++) {
			o = ops_sum(o, walk_gemm(d0, d1, d2));
			el += d0 * d2 + d2 * d1 + out_elems(d0 * d1, s->f[2]);
		}
		break;
	case K_GEMMEX: {	/* the same, element sizes from the type flags */
		int cx = strchr("czHB", s->f[0]) != NULL;
		int64_t bits = 0;

		if (d0 == 0 || d1 == 0 || d3 == 0)
			return 0;
		for (int64_t b = 0; b < d3; b++) {
			o = ops_sum(o, walk_gemm(d0, d1, d2));
			bits += type_bits(s->f[0]) * (d0 * d2 + d2 * d1) +
				type_bits(s->f[1]) * out_elems(d0 * d1, s->f[3]);
		}
		e->flops = cx ? 6 * o.mul + 2 * o.add : o.mul + o.add;
		e->bytes = nearest(bits, 8);
		return 0;
	}
	case K_GEMMT:
		if (d0 == 0)
			return 0;
		o = walk_tri_update(d0, d1);
		el = 2 * d0 * d1 + out_elems(count_band_triangle(d0, d0), s->f[0]);
		break;
	case K_SYMM: {
		int64_t ka = s->f[0] == 'L' ? d0 : d1;

		if (any_zero(s, 2))
			return 0;
		o = walk_gemm(d0, d1, ka);
		el = count_band_triangle(ka, ka) + d0 * d1 + out_elems(d0 * d1, s->f[1]);
		break;
	}
	case K_SYRK:
		if (d0 == 0)
			return 0;
		o = walk_tri_update(d0, d1);
		el = d0 * d1 + out_elems(count_band_triangle(d0, d0), s->f[0]);
		break;
	case K_SYR2K:
		if (d0 == 0)
			return 0;
		o = walk_syr2k(d0, d1);
		el = 2 * d0 * d1 + out_elems(count_band_triangle(d0, d0), s->f[0]);
		break;
	case K_TRMM: {
		int64_t ka = s->f[0] == 'L' ? d0 : d1;

		if (any_zero(s, 2))
			return 0;
		o = walk_trmm(d0, d1, s->f[0]);
		el = count_band_triangle(ka, ka) + 2 * d0 * d1;
		break;
	}

	case K_MATCOPY:	/* B = alpha op(A): the scaling is the arithmetic */
		if (any_zero(s, 2))
			return 0;
		o.mul = d0 * d1;
		el = 2 * d0 * d1;
		break;
	case K_GEADD:	/* C = alpha A + beta C, beta C a scaling */
		if (any_zero(s, 2))
			return 0;
		o = (struct ops){ d0 * d1, d0 * d1 };
		el = d0 * d1 + out_elems(d0 * d1, s->f[0]);
		break;

	/* LAPACK: A in and out, pivots 4 bytes, workspace not counted */
	case K_GETRF:
		if (any_zero(s, 2))
			return 0;
		o = lawn_getrf(d0, d1);
		el = 2 * d0 * d1;
		ints = min64(d0, d1);
		break;
	case K_GETRS:
		if (any_zero(s, 2))
			return 0;
		o = lawn_getrs(d0, d1);
		el = d0 * d0 + 2 * d0 * d1;
		ints = d0;
		break;
	case K_GESV:
		if (any_zero(s, 2))
			return 0;
		o = ops_sum(lawn_getrf(d0, d0), lawn_getrs(d0, d1));
		el = 2 * d0 * d0 + 2 * d0 * d1;
		ints = d0;
		break;
	case K_POTRF:
		if (d0 == 0)
			return 0;
		o = lawn_potrf(d0);
		el = 2 * count_band_triangle(d0, d0);
		break;
	case K_POTRS:
		if (any_zero(s, 2))
			return 0;
		o = lawn_potrs(d0, d1);
		el = count_band_triangle(d0, d0) + 2 * d0 * d1;
		break;
	case K_POSV:
		if (any_zero(s, 2))
			return 0;
		o = ops_sum(lawn_potrf(d0), lawn_potrs(d0, d1));
		el = 2 * count_band_triangle(d0, d0) + 2 * d0 * d1;
		break;
	case K_GEQRF:
		if (any_zero(s, 2) || has_flag(s, 'Q'))
			return 0;
		o = lawn_geqrf(d0, d1);
		el = 2 * d0 * d1 + min64(d0, d1);	/* A, tau */
		break;
	case K_ORGQR:
		if (d0 > 0 && d1 > 0 && (d1 > d0 || d2 > d1))
			return 1;	/* LAPACK rejects it; not modelled */
		if (any_zero(s, 2) || has_flag(s, 'Q'))
			return 0;
		o = lawn_orgqr(d0, d1, d2);
		el = 2 * d0 * d1 + d2;	/* A, tau */
		break;
	case K_GELS: {	/* QR (or LQ of the transpose), apply Q', triangular solve */
		int64_t big = max64(d0, d1), small = min64(d0, d1);

		if (any_zero(s, 3) || has_flag(s, 'Q'))
			return 0;
		o = ops_sum(lawn_geqrf(big, small), lawn_ormqr_left(big, d2, small));
		o = ops_sum(o, walk_trmm(small, d2, 'L'));
		/* B: m rows of right-hand sides in (n transposed), max(m, n) out */
		el = 2 * d0 * d1 + ((s->f[0] == 'N' ? d0 : d1) + big) * d2;
		break;
	}
	case K_SYEV:
	case K_SYEVD: {	/* estimates: 9n^3 (QR) or 4n^3 (D&C) with vectors, else 4/3 n^3 */
		__int128 n = d0, f3;

		if (d0 == 0 || has_flag(s, 'Q'))
			return 0;
		f3 = s->f[0] == 'V' ? (k == K_SYEV ? 27 : 12) * n * n * n : 4 * n * n * n;
		e->flops = nearest((cplx(prec) ? 4 : 1) * f3, 3);	/* complex: 4x real */
		/* the triangle read; eigenvectors written, or the triangle
		 * destroyed; the eigenvalues, reals */
		e->bytes = (uint64_t)(count_band_triangle(d0, d0) +
				      (s->f[0] == 'V' ? d0 * d0 : count_band_triangle(d0, d0))) *
				   elem_bytes(prec) +
			   (uint64_t)d0 * real_bytes(prec);
		return 0;
	}
	case K_GESVD:
	case K_GESDD: {
		int64_t mn = min64(d0, d1), vec;
		char ju, jv;

		if (any_zero(s, 2) || has_flag(s, 'Q'))
			return 0;
		if (k == K_GESVD) {
			ju = s->f[0];
			jv = s->f[1];
			if (ju == 'O' && jv == 'O')
				return 1;	/* LAPACK rejects it */
			vec = svd_vectors(d0, mn, ju) + svd_vectors(d1, mn, jv);
		} else {
			ju = jv = s->f[0];
			vec = ju == 'O' ? mn * mn : svd_vectors(d0, mn, ju) + svd_vectors(d1, mn, jv);
		}
		/* for m < n it is the SVD of the transpose: U and V swap roles */
		__int128 f3 = d0 >= d1 ? svd3(d0, d1, ju != 'N', ju == 'A', jv != 'N')
				       : svd3(d1, d0, jv != 'N', jv == 'A', ju != 'N');

		e->flops = nearest((cplx(prec) ? 4 : 1) * f3, 3);
		e->bytes = (uint64_t)(2 * d0 * d1 + vec) * elem_bytes(prec) +
			   (uint64_t)mn * real_bytes(prec);	/* singular values: reals */
		return 0;
	}
	case K_GETRI:
		if (d0 == 0 || has_flag(s, 'Q'))
			return 0;
		o = lawn_getri(d0);
		el = 2 * d0 * d0;
		ints = d0;
		break;
	case K_TRTRI:	/* diag is ignored, as in LAWN 41 */
		if (d0 == 0)
			return 0;
		o = lawn_trtri(d0);
		el = 2 * count_band_triangle(d0, d0);
		break;

	/* LAPACK, second round (issue 12) */
	case K_TRTRS:	/* trsm from the left: n x n triangle, nrhs columns */
		if (any_zero(s, 2))
			return 0;
		o = walk_trmm(d0, d1, 'L');
		el = count_band_triangle(d0, d0) + 2 * d0 * d1;
		break;
	case K_ORMQR: {	/* LAWN 41 xORMQR, k reflectors of length nq */
		int64_t nq = s->f[0] == 'R' ? d1 : d0;
		__int128 M = d0, N = d1, K = d2;

		if (d2 > nq && nq > 0)
			return 1;	/* LAPACK rejects it; not modelled */
		if (any_zero(s, 3) || has_flag(s, 'Q'))
			return 0;
		if (s->f[0] == 'R')
			o = (struct ops){ exact(2 * K * M * (2 * N - K + 1) + 2 * K * N - K * K + K, 2,
						"ormqr", d0, d1),
					  (uint64_t)(M * K * (2 * N - K + 1)) };
		else
			o = lawn_ormqr_left(d0, d1, d2);
		el = nq * d2 + d2 + 2 * d0 * d1;
		break;
	}
	case K_SYTRF: {	/* LAWN 41 xSYTRF; the triangle in and out, pivots */
		__int128 N = d0;

		if (d0 == 0 || has_flag(s, 'Q'))
			return 0;
		o = (struct ops){ exact(N * N * N + 3 * N * N + 20 * N, 6, "sytrf", d0, 0),
				  exact(N * N * N - N, 6, "sytrf", d0, 0) };
		el = 2 * count_band_triangle(d0, d0);
		ints = d0;
		break;
	}
	case K_GEHRD: {	/* LAWN 41 xGEHRD (ilo = 1, ihi = n); nothing below n = 3 */
		__int128 N = d0;

		if (d0 == 0 || has_flag(s, 'Q'))
			return 0;
		if (d0 >= 3)
			o = (struct ops){ exact(10 * N * N * N + 3 * N * N - 7 * N - 78, 6, "gehrd", d0, 0),
					  exact(10 * N * N * N - 6 * N * N - 4 * N - 48, 6, "gehrd", d0,
						0) };
		el = 2 * d0 * d0 + d0 - 1;	/* A, tau */
		break;
	}
	case K_GEQP3:	/* counted as xGEQRF; jpvt in and out */
		if (any_zero(s, 2) || has_flag(s, 'Q'))
			return 0;
		o = lawn_geqrf(d0, d1);
		el = 2 * d0 * d1 + min64(d0, d1);
		ints = d1;
		break;
	case K_GECON:	/* five solve pairs with the LU factors, each 2 x walk_trmv */
		if (d0 == 0)
			return 0;
		for (int i = 0; i < 10; i++)
			o = ops_sum(o, walk_trmv(d0));
		el = d0 * d0;
		break;
	case K_LANGE: {	/* per element: real 1 (2 Frobenius), complex 5 (4 Frobenius) */
		int frob = s->f[0] == 'F' || s->f[0] == 'E';

		if (any_zero(s, 2))
			return 0;
		e->flops = (uint64_t)(d0 * d1) * (cplx(prec) ? (frob ? 4 : 5) : (frob ? 2 : 1));
		e->bytes = (uint64_t)(d0 * d1) * elem_bytes(prec);
		return 0;
	}
	case K_TRSYL:	/* mn(m+n)/2 multiplies and adds */
		if (any_zero(s, 2))
			return 0;
		o.mul = o.add = exact((__int128)d0 * d1 * (d0 + d1), 2, "trsyl", d0, d1);
		el = count_band_triangle(d0, d0) + count_band_triangle(d1, d1) + 2 * d0 * d1;
		break;
	case K_GGES: {	/* QZ, thirds of n^3: 90, 138 with one side's vectors, 198 both */
		__int128 n3 = (__int128)d0 * d0 * d0;
		int vs = (s->f[0] == 'V') + (s->f[1] == 'V');

		if (d0 == 0 || has_flag(s, 'Q'))
			return 0;
		e->flops = nearest((cplx(prec) ? 4 : 1) * (vs == 2 ? 198 : vs ? 138 : 90) * n3, 3);
		e->bytes = (uint64_t)(4 * d0 * d0 + vs * d0 * d0 + d0) * elem_bytes(prec) +
			   (uint64_t)(2 * d0) * real_bytes(prec);
		return 0;
	}
	case K_GEES:
	case K_GEEV:
	case K_GGEV: {	/* n^3 estimates in thirds; eigenvalues 2n reals */
		__int128 n3 = (__int128)d0 * d0 * d0, f3;
		int vs = (s->f[0] == 'V') + (k != K_GEES && s->f[1] == 'V');

		if (d0 == 0 || has_flag(s, 'Q'))
			return 0;
		if (k == K_GEES)
			f3 = (vs ? 75 : 30) * n3, el = 2 * d0 * d0 + vs * d0 * d0;
		else if (k == K_GEEV)
			f3 = (vs ? 75 + 4 * vs : 30) * n3, el = 2 * d0 * d0 + vs * d0 * d0;
		else
			f3 = (vs ? 198 : 90) * n3, el = 4 * d0 * d0 + vs * d0 * d0 + d0;
		e->flops = nearest((cplx(prec) ? 4 : 1) * f3, 3);
		e->bytes = (uint64_t)el * elem_bytes(prec) + (uint64_t)(2 * d0) * real_bytes(prec);
		return 0;
	}
	case K_SYEVR:
	case K_SYGVD: {	/* 10/3 or 19/3 n^3 with vectors, 4/3 or 8/3 without */
		__int128 n3 = (__int128)d0 * d0 * d0;
		int vec = s->f[0] == 'V';
		int64_t t = count_band_triangle(d0, d0);

		if (d0 == 0 || has_flag(s, 'Q'))
			return 0;
		e->flops = nearest((cplx(prec) ? 4 : 1) *
					   (k == K_SYEVR ? (vec ? 10 : 4) : (vec ? 19 : 8)) * n3, 3);
		el = t + (vec ? d0 * d0 : t) + (k == K_SYGVD ? 2 * t : 0);
		e->bytes = (uint64_t)el * elem_bytes(prec) + (uint64_t)d0 * real_bytes(prec);
		return 0;
	}
	case K_GELSD:
	case K_GELSS: {	/* bidiagonal SVD: thirds of n^3 */
		__int128 B = max64(d0, d1), S = min64(d0, d1), r = d2;

		if (any_zero(s, 3) || has_flag(s, 'Q'))
			return 0;
		e->flops = nearest((cplx(prec) ? 4 : 1) *
					   (12 * B * S * S - 4 * S * S * S + 12 * B * S * r +
					    12 * S * S * r + (k == K_GELSD ? 8 : 24) * S * S * S),
				   3);
		e->bytes = (uint64_t)(2 * d0 * d1 + (d0 + max64(d0, d1)) * d2) * elem_bytes(prec) +
			   (uint64_t)min64(d0, d1) * real_bytes(prec);
		return 0;
	}
	case K_GELSY: {	/* full rank: QR, Q' B, triangular solve (as gels) */
		int64_t big = max64(d0, d1), small = min64(d0, d1);

		if (any_zero(s, 3) || has_flag(s, 'Q'))
			return 0;
		o = ops_sum(lawn_geqrf(big, small), lawn_ormqr_left(big, d2, small));
		o = ops_sum(o, walk_trmm(small, d2, 'L'));
		el = 2 * d0 * d1 + (d0 + big) * d2;
		ints = d1;
		break;
	}
	case K_GEJSV: {	/* as gesvd with thin vectors where wanted, m >= n */
		int u = s->f[0] == 'U' || s->f[0] == 'F', v = s->f[1] == 'V' || s->f[1] == 'J';

		if (d0 < d1 && d1 > 0)
			return 1;	/* LAPACK rejects it; not modelled */
		if (any_zero(s, 2) || has_flag(s, 'Q'))
			return 0;
		e->flops = nearest((cplx(prec) ? 4 : 1) * svd3(d0, d1, u, 0, v), 3);
		el = 2 * d0 * d1 + (s->f[0] == 'F' ? d0 * d0 : u ? d0 * d1 : 0) + (v ? d1 * d1 : 0);
		e->bytes = (uint64_t)el * elem_bytes(prec) + (uint64_t)d1 * real_bytes(prec);
		return 0;
	}
	case K_LROT:	/* per element, for x' and y': c x (2), s y (complex: 4 mul 2 add), add (2) */
		use_real = 1;
		for (int64_t i = 0; i < d0; i++)
			for (int v = 0; v < 2; v++)
				real_flops += 2 + (4 + 2) + 2;
		el = 4 * d0;
		break;
	case K_LARFG:	/* 2n multiplies, n adds; alpha and x in and out, tau */
		if (d0 == 0)
			return 0;
		o = (struct ops){ (uint64_t)(2 * d0), (uint64_t)d0 };
		el = 2 * d0 + 1;
		break;
	case K_LARF:	/* w = C' v (walk_gemm), C -= tau v w' (a rank-1 update) */
		if (any_zero(s, 2))
			return 0;
		o = ops_sum(walk_gemm(d0, d1, 1), walk_gemm(d0, d1, 1));
		el = (s->f[0] == 'R' ? d1 : d0) + 1 + 2 * d0 * d1;
		break;
	case K_LASWP:	/* two rows of n read and written per interchange, pivots */
		if (any_zero(s, 3) || d2 < d1)
			return 0;
		el = 4 * d0 * (d2 - d1 + 1);
		ints = d2 - d1 + 1;
		break;
	case K_GERQF: {	/* LAWN 41 xGERQF, times 6 */
		__int128 M = d0, N = d1;

		if (any_zero(s, 2) || has_flag(s, 'Q'))
			return 0;
		if (d0 > d1)
			o = (struct ops){ exact(3 * N * N - 2 * N * N * N + 6 * M * N * N + 6 * M * N + 29 * N,
						6, "gerqf", d0, d1),
					  exact(-3 * N * N - 2 * N * N * N + 6 * M * N * N + 6 * M * N + 5 * N,
						6, "gerqf", d0, d1) };
		else
			o = (struct ops){ exact(-3 * M * M - 2 * M * M * M + 6 * M * M * N + 12 * M * N +
							29 * M, 6, "gerqf", d0, d1),
					  exact(3 * M * M - 2 * M * M * M + 6 * M * M * N + 5 * M, 6, "gerqf",
						d0, d1) };
		el = 2 * d0 * d1 + min64(d0, d1);
		break;
	}
	case K_ORGRQ: {	/* LAWN 41 xORGRQ, times 3; m <= n, k <= m */
		__int128 M = d0, N = d1, K = d2;

		if (d0 > 0 && d1 > 0 && (d0 > d1 || d2 > d0))
			return 1;	/* LAPACK rejects it; not modelled */
		if (any_zero(s, 2) || has_flag(s, 'Q'))
			return 0;
		o = (struct ops){ exact(6 * M * N * K + 3 * (M + N) * K - 2 * K + 2 * K * K * K -
						3 * (M + N) * K * K - 3 * K * K, 3, "orgrq", d0, d1),
				  exact(6 * M * N * K + 3 * (M - N) * K + K + 2 * K * K * K -
						3 * (M + N) * K * K, 3, "orgrq", d0, d1) };
		el = 2 * d0 * d1 + d2;
		break;
	}
	case K_SYTRD: {	/* LAWN 41 xSYTRD; nothing below n = 2; d, e reals */
		__int128 N = d0;

		if (d0 == 0 || has_flag(s, 'Q'))
			return 0;
		if (d0 >= 2)
			o = (struct ops){ exact(4 * N * N * N + 15 * N * N - N - 90, 6, "sytrd", d0, 0),
					  exact(2 * N * N * N + 3 * N * N - 8 * N - 12, 3, "sytrd", d0, 0) };
		e->flops = weigh(prec, o);
		e->bytes = (uint64_t)(2 * count_band_triangle(d0, d0) + d0 - 1) * elem_bytes(prec) +
			   (uint64_t)(2 * d0 - 1) * real_bytes(prec);
		return 0;
	}
	case K_POTRI:	/* trtri, then the product of the triangle and its transpose */
	case K_LAUUM: {
		__int128 N = d0;

		if (d0 == 0)
			return 0;
		o = (struct ops){ exact(N * (N + 1) * (N + 2), 6, "lauum", d0, 0),
				  exact(N * N * N - N, 6, "lauum", d0, 0) };
		if (k == K_POTRI)
			o = ops_sum(o, lawn_trtri(d0));
		el = 2 * count_band_triangle(d0, d0);
		break;
	}

	case K_LAUNCH:		/* the kernel's work is not visible: nothing */
	case K_REGION:		/* nor the work in a layer outside calls */
		return 0;
	case K_MEMCPY:		/* the payload, moved once; no arithmetic */
	case K_MEMSET:		/* each byte written once */
		e->bytes = (uint64_t)d0;
		return 0;
	case K_MEMCPY2D:	/* width bytes per row, height rows */
	case K_MEMSET2D:
		e->bytes = (uint64_t)(d0 * d1);
		return 0;
	case K_COUNT:
		break;
	}
	e->flops = use_real ? real_flops : weigh(prec, o);
	e->bytes = (uint64_t)el * elem_bytes(prec) + 4 * (uint64_t)ints;
	return 0;
}

/* ---- running the comparison ----------------------------------------------- */

static void shape_str(const struct opc_shape *s, char *buf, size_t len)
{
	snprintf(buf, len, "d=%lld,%lld,%lld,%lld f='%c%c%c%c'", (long long)s->d[0],
		 (long long)s->d[1], (long long)s->d[2], (long long)s->d[3],
		 s->f[0] ? s->f[0] : '_', s->f[1] ? s->f[1] : '_', s->f[2] ? s->f[2] : '_',
		 s->f[3] ? s->f[3] : '_');
}

struct tally {
	long shapes, failures;
};

static void check_one(int rid, enum kind k, char prec, const struct opc_shape *s,
		      struct tally *t)
{
	struct opc_cost got, want;
	char buf[128];

	if (expect(k, prec, s, &want))
		return;
	opc_routine_cost(rid, s, &got);
	t->shapes++;
	if (got.flops == want.flops && got.bytes == want.bytes)
		return;
	if (++t->failures <= 40) {
		shape_str(s, buf, sizeof(buf));
		print_error("%s (%s) %s: flops %llu want %llu, bytes %llu want %llu\n",
			    opc_routines[rid].symbol, kinds[k].name, buf,
			    (unsigned long long)got.flops, (unsigned long long)want.flops,
			    (unsigned long long)got.bytes, (unsigned long long)want.bytes);
	}
}

/* every combination of the kind's dimension and flag values */
static void sweep(int rid, enum kind k, char prec, struct opc_shape *s, int slot,
		  struct tally *t)
{
	const struct kind_info *ki = &kinds[k];

	if (slot < OPC_SHAPE_DIMS) {
		if (ki->dv[slot] == NULL) {
			s->d[slot] = 0;
			sweep(rid, k, prec, s, OPC_SHAPE_DIMS, t);
			return;
		}
		for (const int64_t *v = ki->dv[slot]; *v != END; v++) {
			s->d[slot] = *v;
			sweep(rid, k, prec, s, slot + 1, t);
		}
		return;
	}
	int f = slot - OPC_SHAPE_DIMS;

	if (f == OPC_SHAPE_FLAGS || ki->fv[f] == NULL) {
		for (int i = f; i < OPC_SHAPE_FLAGS; i++)
			s->f[i] = 0;
		check_one(rid, k, prec, s, t);
		return;
	}
	for (const char *c = ki->fv[f]; *c; c++) {
		s->f[f] = *c;
		sweep(rid, k, prec, s, slot + 1, t);
	}
}

/* larger shapes, with every flag combination of the kind */
struct big_shape {
	enum kind kind;
	int64_t d[OPC_SHAPE_DIMS];
};

static const struct big_shape big_shapes[] = {
	{ K_GEMV, { 100, 37 } },	  { K_GEMV, { 1, 1000 } },
	{ K_GBMV, { 100, 37, 3, 50 } },	  { K_GBMV, { 37, 100, 60, 0 } },
	{ K_SYMV, { 257 } },		  { K_SBMV, { 257, 31 } },
	{ K_SBMV, { 20, 300 } },	  { K_TRMV, { 257 } },
	{ K_TBMV, { 257, 31 } },	  { K_TBMV, { 10, 30 } },
	{ K_GER, { 1000, 3 } },		  { K_SYR, { 257 } },
	{ K_SYR2, { 257 } },		  { K_GEMM, { 64, 64, 64 } },
	{ K_GEMM, { 100, 1, 37 } },	  { K_GEMM, { 1, 70, 3 } },
	{ K_GEMMT, { 40, 17 } },	  { K_SYMM, { 33, 70 } },
	{ K_SYRK, { 40, 65 } },		  { K_SYR2K, { 40, 65 } },
	{ K_TRMM, { 70, 33 } },		  { K_MATCOPY, { 1000, 7 } },
	{ K_GEADD, { 7, 1000 } },	  { K_GETRF, { 1000, 999 } },
	{ K_GETRF, { 257, 1024 } },	  { K_GETRS, { 1000, 3 } },
	{ K_GESV, { 1000, 1000 } },	  { K_POTRF, { 2047 } },
	{ K_POTRS, { 999, 1 } },	  { K_POSV, { 1000, 64 } },
	{ K_GEQRF, { 4000, 300 } },	  { K_GEQRF, { 300, 4001 } },
	{ K_ORGQR, { 4000, 300, 200 } },  { K_GELS, { 4000, 300, 7 } },
	{ K_GELS, { 300, 4000, 7 } },	  { K_SYEV, { 1001 } },
	{ K_SYEVD, { 1000 } },		  { K_GESVD, { 10000, 10 } },
	{ K_GESVD, { 10, 10000 } },	  { K_GESDD, { 10000, 10 } },
	{ K_GESDD, { 10, 10000 } },	  { K_GETRI, { 1001 } },
	{ K_TRTRI, { 1001 } },
	{ K_TRTRS, { 1000, 3 } },	  { K_ORMQR, { 4000, 300, 200 } },
	{ K_ORMQR, { 300, 4000, 200 } },  { K_SYTRF, { 1001 } },
	{ K_GEHRD, { 1000 } },		  { K_GEQP3, { 4000, 300 } },
	{ K_GECON, { 1000 } },		  { K_LANGE, { 1000, 37 } },
	{ K_TRSYL, { 300, 71 } },	  { K_GEES, { 1001 } },
	{ K_GEEV, { 1000 } },		  { K_GGEV, { 1001 } },
	{ K_SYEVR, { 1000 } },		  { K_SYGVD, { 1001 } },
	{ K_GELSD, { 4000, 300, 7 } },	  { K_GELSS, { 300, 4000, 7 } },
	{ K_GELSY, { 4000, 300, 7 } },	  { K_GEJSV, { 4000, 300 } },
	{ K_GERQF, { 4000, 300 } },	  { K_GERQF, { 300, 4001 } },
	{ K_ORGRQ, { 300, 4000, 200 } },  { K_SYTRD, { 1001 } },
	{ K_POTRI, { 1000 } },		  { K_LAUUM, { 999 } },
	{ K_GGES, { 1001 } },
};

static void sweep_flags_only(int rid, enum kind k, char prec, struct opc_shape *s, int f,
			     struct tally *t)
{
	const struct kind_info *ki = &kinds[k];

	if (f == OPC_SHAPE_FLAGS || ki->fv[f] == NULL) {
		for (int i = f; i < OPC_SHAPE_FLAGS; i++)
			s->f[i] = 0;
		check_one(rid, k, prec, s, t);
		return;
	}
	for (const char *c = ki->fv[f]; *c; c++) {
		s->f[f] = *c;
		sweep_flags_only(rid, k, prec, s, f + 1, t);
	}
}

static void check_routines(int level_lo, int level_hi)
{
	struct tally t = { 0, 0 };
	int nroutines = 0;

	for (int rid = 0; rid < opc_nroutines; rid++) {
		char prec;
		int k = kind_of(opc_routines[rid].op, &prec);
		struct opc_shape s;

		if (k < 0)
			continue;	/* test_every_routine_is_checked fails it */
		if (kinds[k].level < level_lo || kinds[k].level > level_hi)
			continue;
		nroutines++;
		memset(&s, 0, sizeof(s));
		sweep(rid, k, prec, &s, 0, &t);
		for (size_t i = 0; i < sizeof(big_shapes) / sizeof(big_shapes[0]); i++) {
			if (big_shapes[i].kind != (enum kind)k)
				continue;
			memset(&s, 0, sizeof(s));
			memcpy(s.d, big_shapes[i].d, sizeof(s.d));
			sweep_flags_only(rid, k, prec, &s, 0, &t);
		}
	}
	print_message("%d routines, %ld shapes compared, %ld mismatches\n", nroutines, t.shapes,
		      t.failures);
	assert_true(nroutines > 0);
	assert_int_equal(t.failures, 0);
}

/* ---- cuDNN (preload/gpu_cudnn.c) -------------------------------------------
 *
 * cuDNN routines take their shape from descriptors: element counts and
 * one type letter per tensor (routines.tbl's cuDNN block).  The models
 * here are independent of cost.c: convolution multiply-adds are counted by
 * walking every output element and every filter tap of real geometries
 * (stride, padding, dilation, groups, 1 to 3 spatial dimensions), padded
 * taps included, and each elementwise operation is counted per element
 * with the convention stated in cost.c, recounted here from its parts.
 */

struct cudnn_model {
	const char *op;
	int level, flops_kind;
	const char *dims, *flags;
	int used;
};

static struct cudnn_model cudnn_models[] = {
	{ "cudnnConvolutionForward", 3, EXACT, "y,red,x,w", "rtype,wtype,beta", 0 },
	{ "cudnnConvolutionBackwardData", 3, EXACT, "y,red,x,w", "rtype,wtype,beta", 0 },
	{ "cudnnConvolutionBackwardFilter", 3, EXACT, "y,red,x,w", "rtype,wtype,beta", 0 },
	{ "cudnnConvolutionBiasActivationForward", 3, EXACT, "y,red,x,w",
	  "rtype,wtype,alpha2,act", 0 },
	{ "cudnnActivationForward", 1, EXACT, "n", "type,beta", 0 },
	{ "cudnnActivationBackward", 1, EXACT, "n", "type,beta", 0 },
	{ "cudnnPoolingForward", 2, EXACT, "y,window,x", "type,beta", 0 },
	{ "cudnnPoolingBackward", 2, EXACT, "y,window,x", "type,beta", 0 },
	{ "cudnnSoftmaxForward", 1, EXACT, "n", "type,beta,algo", 0 },
	{ "cudnnAddTensor", 1, EXACT, "c,a", "type,beta", 0 },
	{ "cudnnOpTensor", 1, EXACT, "c,a,b", "type,beta,op", 0 },
	{ "cudnnBatchNormalizationForwardInference", 1, EXACT, "n,c", "type,beta", 0 },
	{ "cudnnBatchNormalizationForwardTraining", 1, EXACT, "n,c", "type,beta,running,saved", 0 },
	{ "cudnnBatchNormalizationBackward", 1, EXACT, "n,c", "type,betadata,betaparam,saved", 0 },
	{ "cudnnBackendExecute", 3, UNKNOWN, "plan", "", 0 },
	{ "cudnnBackendExecute_graph", 3, EXACT, "flops,bytes,plan,other", "", 0 },
};

#define N_CUDNN_MODELS (sizeof(cudnn_models) / sizeof(cudnn_models[0]))

/* A cuDNN routine of the table against its model: 0 if it matches. */
static int cudnn_model_check(const struct opc_routine *r)
{
	for (size_t i = 0; i < N_CUDNN_MODELS; i++) {
		struct cudnn_model *m = &cudnn_models[i];

		if (strcmp(m->op, r->op))
			continue;
		m->used++;
		if (r->prec != 'x' || r->level != m->level || r->flops_kind != m->flops_kind ||
		    strcmp(r->dims, m->dims) || strcmp(r->flags, m->flags) || r->cost == NULL ||
		    opc_routine_find(r->symbol) < 0) {
			print_error("%s: table says prec %c level %d flops kind %d dims \"%s\" "
				    "flags \"%s\"; expected x %d %d \"%s\" \"%s\"\n", r->symbol,
				    r->prec, r->level, r->flops_kind, r->dims, r->flags, m->level,
				    m->flops_kind, m->dims, m->flags);
			return 1;
		}
		return 0;
	}
	print_error("%s: no independent cuDNN cost model in test_cost.c\n", r->symbol);
	return 1;
}

/* bytes per element, times 2: 4-bit types are half a byte (a call's total
 * is rounded up to whole bytes) */
static int64_t cudnn_size2(char t)
{
	switch (t) {
	case 's': return 8;	/* float */
	case 'd': return 16;	/* double */
	case 'h': return 4;	/* half */
	case 'b': return 4;	/* bfloat16 */
	case 'i': return 2;	/* int8 */
	case 'u': return 2;	/* uint8 */
	case 'I': return 8;	/* int32 */
	case 'l': return 16;	/* int64 */
	case '8': return 2;	/* fp8 */
	case '4': return 1;	/* 4-bit */
	case 'B': return 2;	/* boolean, a byte */
	case 'c': return 16;	/* complex float */
	case 'z': return 32;	/* complex double */
	}
	return 0;
}

static struct opc_cost cudnn_cost(const char *op, const int64_t *d, const char *f)
{
	struct opc_shape s;
	struct opc_cost c = { 0, 0 };
	int rid = -1;

	for (int i = 0; i < opc_nroutines; i++)
		if (!strcmp(opc_routines[i].op, op))
			rid = i;
	if (rid < 0) {
		print_error("%s is not in the routine table\n", op);
		fail();
	}
	memset(&s, 0, sizeof(s));
	memcpy(s.d, d, sizeof(s.d));
	memcpy(s.f, f, strnlen(f, sizeof(s.f)));	/* four flags have no NUL (fb) */
	opc_routine_cost(rid, &s, &c);
	return c;
}

struct conv_geom {
	int ns, n, c, k, g;
	int in[3], filt[3], pad[3], stride[3], dil[3];
};

/*
 * Walk the forward convolution: every output element, every tap of its
 * group's filter, in bounds or in the padding.  Returns the multiply-adds
 * and fills the element counts (y, x, w) and the output dims.
 */
static int64_t conv_walk(const struct conv_geom *cg, int64_t *y, int64_t *x, int64_t *w,
			 int64_t *padded)
{
	int out[3] = { 1, 1, 1 }, in[3] = { 1, 1, 1 }, f[3] = { 1, 1, 1 };
	int pad[3] = { 0 }, st[3] = { 1, 1, 1 }, dl[3] = { 1, 1, 1 };
	int64_t macs = 0;

	for (int i = 0; i < cg->ns; i++) {
		in[i] = cg->in[i], f[i] = cg->filt[i], pad[i] = cg->pad[i];
		st[i] = cg->stride[i], dl[i] = cg->dil[i];
		out[i] = (in[i] + 2 * pad[i] - dl[i] * (f[i] - 1) - 1) / st[i] + 1;
	}
	*padded = 0;
	for (int n = 0; n < cg->n; n++)
	for (int k = 0; k < cg->k; k++)
	for (int o0 = 0; o0 < out[0]; o0++)
	for (int o1 = 0; o1 < out[1]; o1++)
	for (int o2 = 0; o2 < out[2]; o2++)
	for (int c = 0; c < cg->c / cg->g; c++)
	for (int r0 = 0; r0 < f[0]; r0++)
	for (int r1 = 0; r1 < f[1]; r1++)
	for (int r2 = 0; r2 < f[2]; r2++) {
		int p0 = o0 * st[0] - pad[0] + r0 * dl[0], p1 = o1 * st[1] - pad[1] + r1 * dl[1];
		int p2 = o2 * st[2] - pad[2] + r2 * dl[2];

		macs++;
		if (p0 < 0 || p0 >= in[0] || p1 < 0 || p1 >= in[1] || p2 < 0 || p2 >= in[2])
			(*padded)++;
	}
	*y = (int64_t)cg->n * cg->k * out[0] * out[1] * out[2];
	*x = (int64_t)cg->n * cg->c * in[0] * in[1] * in[2];
	*w = (int64_t)cg->k * (cg->c / cg->g) * f[0] * f[1] * f[2];
	return macs;
}

static const struct conv_geom conv_geoms[] = {
	{ 2, 2, 3, 4, 1, { 8, 8 }, { 3, 3 }, { 1, 1 }, { 1, 1 }, { 1, 1 } },
	{ 2, 1, 4, 6, 1, { 9, 7 }, { 3, 2 }, { 2, 1 }, { 2, 3 }, { 1, 1 } },
	{ 2, 2, 2, 3, 1, { 10, 10 }, { 3, 3 }, { 0, 0 }, { 1, 1 }, { 2, 3 } },
	{ 2, 2, 8, 12, 4, { 6, 6 }, { 3, 3 }, { 1, 1 }, { 2, 1 }, { 1, 1 } },
	{ 2, 1, 6, 6, 6, { 7, 5 }, { 3, 3 }, { 1, 1 }, { 1, 1 }, { 1, 1 } },	/* depthwise */
	{ 1, 3, 5, 7, 1, { 20 }, { 5 }, { 2 }, { 3 }, { 2 } },
	{ 3, 1, 2, 3, 1, { 4, 5, 6 }, { 2, 3, 3 }, { 1, 1, 1 }, { 1, 2, 1 }, { 1, 1, 1 } },
	{ 3, 2, 4, 4, 2, { 5, 5, 5 }, { 3, 3, 3 }, { 0, 2, 1 }, { 2, 1, 2 }, { 1, 2, 1 } },
	{ 2, 4, 16, 32, 1, { 14, 14 }, { 1, 1 }, { 0, 0 }, { 1, 1 }, { 1, 1 } },
};

static void test_cudnn_convolutions(void **state)
{
	static const char *types[] = { "ss", "dd", "hh", "bb", "is", "ii", "88", "44" };
	int failures = 0, checked = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(conv_geoms) / sizeof(conv_geoms[0]); i++) {
		int64_t y, x, w, padded, macs = conv_walk(&conv_geoms[i], &y, &x, &w, &padded);
		int64_t red = w / conv_geoms[i].k;	/* C/groups x filter taps */
		int64_t d[4] = { y, red, x, w };

		/* padded taps are counted (the models below would be wrong otherwise) */
		if (conv_geoms[i].pad[0] && padded == 0) {
			print_error("geometry %zu: expected padded taps\n", i);
			failures++;
		}
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
			for (char beta = '0'; beta <= '1'; beta++) {
				int64_t r2 = cudnn_size2(types[t][0]), w2 = cudnn_size2(types[t][1]);
				int64_t bm = beta == '0' ? 1 : 2;
				char fl[4] = { types[t][0], types[t][1], beta, 0 };
				struct {
					const char *op;
					int64_t bytes2;	/* twice the bytes */
				} pass[] = {
					{ "cudnnConvolutionForward", (x + w) * r2 + bm * y * w2 },
					{ "cudnnConvolutionBackwardData", (y + w) * r2 + bm * x * w2 },
					{ "cudnnConvolutionBackwardFilter", (x + y) * r2 + bm * w * w2 },
				};

				for (size_t p = 0; p < 3; p++) {
					struct opc_cost c = cudnn_cost(pass[p].op, d, fl);

					checked++;
					if (c.flops != (uint64_t)(2 * macs) ||
					    c.bytes != (uint64_t)(pass[p].bytes2 + 1) / 2) {
						print_error("%s geometry %zu types %s beta %c: %llu flops "
							    "%llu bytes, want %lld %lld/2\n", pass[p].op, i,
							    types[t], beta, (unsigned long long)c.flops,
							    (unsigned long long)c.bytes, (long long)(2 * macs),
							    (long long)pass[p].bytes2);
						failures++;
					}
				}
				/* bias + activation: + bias add, + z add (alpha2 != 0), +
				 * activation unless identity; bias is K elements */
				for (const char *act = "IA"; *act; act++) {
					char fb[4] = { types[t][0], types[t][1], beta, *act };
					struct opc_cost c = cudnn_cost("cudnnConvolutionBiasActivationForward",
								       d, fb);
					int64_t fl_want = 2 * macs + y + (beta == '1' ? y : 0) +
							  (*act == 'A' ? y : 0);
					int64_t by2 = (x + w) * r2 +
						      (y + (beta == '1' ? y : 0) + conv_geoms[i].k) * w2;

					checked++;
					if (c.flops != (uint64_t)fl_want || c.bytes != (uint64_t)(by2 + 1) / 2) {
						print_error("bias+act geometry %zu %s: %llu %llu, want %lld "
							    "%lld/2\n", i, fb, (unsigned long long)c.flops,
							    (unsigned long long)c.bytes, (long long)fl_want,
							    (long long)by2);
						failures++;
					}
				}
			}
	}
	print_message("%d cuDNN convolution costs compared, %d mismatches\n", checked, failures);
	assert_int_equal(failures, 0);
}

static void test_cudnn_elementwise(void **state)
{
	static const char types[] = "sdhbi";
	int failures = 0, checked = 0;

	(void)state;
#define CUDNN_EXPECT(op, d0, d1, d2, flags, fl, by2)                                         \
	do {                                                                                 \
		int64_t d_[4] = { d0, d1, d2, 0 };                                           \
		struct opc_cost c_ = cudnn_cost(op, d_, flags);                              \
                                                                                             \
		checked++;                                                                   \
		if (c_.flops != (uint64_t)(fl) || c_.bytes != (uint64_t)((by2) + 1) / 2) {  \
			print_error("%s %lld %lld %lld '%s': %llu flops %llu bytes, want %lld " \
				    "%lld/2\n", op, (long long)d0, (long long)d1, (long long)d2, \
				    flags, (unsigned long long)c_.flops,                     \
				    (unsigned long long)c_.bytes, (long long)(fl), (long long)(by2)); \
			failures++;                                                          \
		}                                                                            \
	} while (0)

	for (const char *t = types; *t; t++)
		for (int64_t n = 1; n <= 4096; n = n * 3 + 1)
			for (int beta = 0; beta <= 1; beta++) {
				int64_t s2 = cudnn_size2(*t), st2 = *t == 'd' ? 16 : 8;
				char f2[3] = { *t, (char)('0' + beta), 0 };
				int64_t y_rw = 1 + beta;	/* the output, read when beta != 0 */

				/* activation: f(x) per element; backward f'(x) * dy */
				CUDNN_EXPECT("cudnnActivationForward", n, 0, 0, f2, n, (1 + y_rw) * n * s2);
				CUDNN_EXPECT("cudnnActivationBackward", n, 0, 0, f2, 2 * n,
					     (3 + y_rw) * n * s2);
				/* pooling over a window of 6 from x of 4n elements */
				CUDNN_EXPECT("cudnnPoolingForward", n, 6, 4 * n, f2, 6 * n,
					     (4 * n + y_rw * n) * s2);
				CUDNN_EXPECT("cudnnPoolingBackward", n, 6, 4 * n, f2, 6 * n,
					     (2 * n + 4 * n + y_rw * 4 * n) * s2);
				/* softmax: exp, sum, divide (+ max, subtract) */
				for (const char *a = "FAL"; *a; a++) {
					char f3[4] = { *t, (char)('0' + beta), *a, 0 };
					int64_t per = 3 + (*a != 'F' ? 2 : 0);

					CUDNN_EXPECT("cudnnSoftmaxForward", n, 0, 0, f3, per * n,
						     (1 + y_rw) * n * s2);
				}
				/* C = alpha A + beta C, A broadcast from 7 elements */
				CUDNN_EXPECT("cudnnAddTensor", n, 7, 0, f2, beta ? n : 0,
					     (7 + y_rw * n) * s2);
				/* C = op(A, B) + beta C */
				for (const char *op = "AMmxSN"; *op; op++) {
					char f3[4] = { *t, (char)('0' + beta), *op, 0 };
					int unary = *op == 'S' || *op == 'N';

					CUDNN_EXPECT("cudnnOpTensor", n, n, 1, f3, n + beta * n,
						     (n + (unary ? 0 : 1) + y_rw * n) * s2);
				}
				/* batch normalisation with c = 5 statistics */
				CUDNN_EXPECT("cudnnBatchNormalizationForwardInference", n, 5, 0, f2,
					     2 * n + 5 * 5, (1 + y_rw) * n * s2 + 4 * 5 * st2);
				for (int run = 0; run <= 1; run++)
					for (int save = 0; save <= 1; save++) {
						char f4[5] = { *t, (char)('0' + beta), run ? 'r' : '-',
							       save ? 's' : '-', 0 };
						/* per element: mean 1, variance 3, apply 2; per
						 * statistic: 2 divisions, inverse std 3, a and b 3,
						 * running averages 2 x 3 */
						CUDNN_EXPECT("cudnnBatchNormalizationForwardTraining", n, 5, 0,
							     f4, (1 + 3 + 2) * n + (2 + 3 + 3 + run * 6) * 5,
							     (1 + y_rw) * n * s2 +
								     (2 + 4 * run + 2 * save) * 5 * st2);
					}
				for (int bp = 0; bp <= 1; bp++)
					for (int saved = 0; saved <= 1; saved++) {
						char f4[5] = { *t, (char)('0' + beta), (char)('0' + bp),
							       saved ? 's' : '-', 0 };
						/* dbias 1, xhat 2, dscale 2, dx 4 per element; mean and
						 * variance again (4) when not saved */
						CUDNN_EXPECT("cudnnBatchNormalizationBackward", n, 5, 0, f4,
							     (9 + (saved ? 0 : 4)) * n + (saved ? 6 : 10) * 5,
							     (2 + y_rw) * n * s2 +
								     (1 + 2 * (1 + bp) + 2 * saved) * 5 * st2);
					}
			}
	/* the graph API is counted, not costed */
	CUDNN_EXPECT("cudnnBackendExecute", 0x7f0012345678LL, 0, 0, "", 0, 0);
	/* unless its graph was seen: the key carries the plan's FLOPs and bytes
	 * (worked out in preload/gpu_cudnn.c, checked by gpu_cudnn_graph.sh) */
	CUDNN_EXPECT("cudnnBackendExecute_graph", 231211008, 1755136, 0x7f0012345678LL, "",
		     231211008, 2 * 1755136);
	CUDNN_EXPECT("cudnnBackendExecute_graph", 2, 0, 0x7f0012345678LL, "", 2, 0);
	{
		int64_t d_[4] = { 1000, 64, 0x7f0012345678LL, 3 };	/* 3 nodes not costed */
		struct opc_cost c_ = cudnn_cost("cudnnBackendExecute_graph", d_, "");

		checked++;
		failures += c_.flops != 1000 || c_.bytes != 64;
	}
#undef CUDNN_EXPECT
	print_message("%d cuDNN elementwise costs compared, %d mismatches\n", checked, failures);
	assert_int_equal(failures, 0);
	for (size_t i = 0; i < N_CUDNN_MODELS; i++)
		if (!cudnn_models[i].used) {
			print_error("cuDNN model %s matches no routine in the table\n",
				    cudnn_models[i].op);
			fail();
		}
}

/* Numbers anyone can check by hand. */
static void test_cudnn_anchors(void **state)
{
	/* 3x3 conv, 64 -> 64 channels, 56x56 output, batch 1: 2 x 64*56*56 x 64*9 */
	int64_t d[4] = { 64 * 56 * 56, 64 * 9, 64 * 56 * 56, 64 * 64 * 9 };

	(void)state;
	assert_int_equal(cudnn_cost("cudnnConvolutionForward", d, "ss0").flops, 231211008);
	assert_int_equal(cudnn_cost("cudnnConvolutionForward", d, "ss0").bytes,
			 (200704 + 36864 + 200704) * 4);
	assert_int_equal(cudnn_cost("cudnnConvolutionBackwardFilter", d, "hh1").bytes,
			 (200704 + 200704 + 2 * 36864) * 2);
}

/* ---- oneDNN (preload/dnnl.c) -----------------------------------------------
 *
 * Rows named after the primitive kind and propagation; contractions take
 * the forward convolution's terms (y, red, x, w), whatever the pass.  The
 * models: multiply-adds by walking real geometries (conv_walk, a matmul's
 * every output element and reduction index with broadcast batches), and
 * bytes as each tensor read or written once in its type.
 */

static struct cudnn_model dnnl_models[] = {
	{ "dnnl_convolution_forward", 3, EXACT, "y,red,x,w", "rtype,wtype", 0 },
	{ "dnnl_deconvolution_backward_data", 3, EXACT, "y,red,x,w", "rtype,wtype", 0 },
	{ "dnnl_inner_product_forward", 3, EXACT, "y,red,x,w", "rtype,wtype", 0 },
	{ "dnnl_matmul", 3, EXACT, "y,red,x,w", "rtype,wtype", 0 },
	{ "dnnl_convolution_backward_data", 3, EXACT, "y,red,x,w", "rtype,wtype", 0 },
	{ "dnnl_deconvolution_forward", 3, EXACT, "y,red,x,w", "rtype,wtype", 0 },
	{ "dnnl_inner_product_backward_data", 3, EXACT, "y,red,x,w", "rtype,wtype", 0 },
	{ "dnnl_convolution_backward_weights", 3, EXACT, "y,red,x,w", "rtype,wtype", 0 },
	{ "dnnl_deconvolution_backward_weights", 3, EXACT, "y,red,x,w", "rtype,wtype", 0 },
	{ "dnnl_inner_product_backward_weights", 3, EXACT, "y,red,x,w", "rtype,wtype", 0 },
	{ "dnnl_epilogue", 1, EXACT, "n,per,bias,read", "type", 0 },
	{ "dnnl_reorder", 1, EXACT, "n", "rtype,wtype", 0 },
	{ "dnnl_primitive_execute", 3, UNKNOWN, "kind,prop", "", 0 },
	{ "dnnl_eltwise_forward", 1, EXACT, "n", "type", 0 },
	{ "dnnl_eltwise_backward", 1, EXACT, "n", "type", 0 },
	{ "dnnl_softmax_forward", 1, EXACT, "n", "type", 0 },
	{ "dnnl_logsoftmax_forward", 1, EXACT, "n", "type", 0 },
	{ "dnnl_softmax_backward", 1, EXACT, "n", "type", 0 },
	{ "dnnl_logsoftmax_backward", 1, EXACT, "n", "type", 0 },
	{ "dnnl_prelu_forward", 1, EXACT, "n,w", "type", 0 },
	{ "dnnl_prelu_backward", 1, EXACT, "n,w", "type", 0 },
	{ "dnnl_pooling_forward", 2, EXACT, "y,window,x", "type", 0 },
	{ "dnnl_pooling_backward", 2, EXACT, "y,window,x", "type", 0 },
	{ "dnnl_lrn_forward", 1, EXACT, "n,size", "type", 0 },
	{ "dnnl_lrn_backward", 1, EXACT, "n,size", "type", 0 },
	{ "dnnl_batch_normalization_forward", 1, EXACT, "n,c", "type,stats", 0 },
	{ "dnnl_layer_normalization_forward", 1, EXACT, "n,c", "type,stats", 0 },
	{ "dnnl_batch_normalization_backward", 1, EXACT, "n,c", "type", 0 },
	{ "dnnl_layer_normalization_backward", 1, EXACT, "n,c", "type", 0 },
	{ "dnnl_binary", 1, EXACT, "n,a,b", "type", 0 },
	{ "dnnl_sum", 1, EXACT, "n,k", "type", 0 },
	{ "dnnl_concat", 1, EXACT, "n", "type", 0 },
	{ "dnnl_shuffle_forward", 1, EXACT, "n", "type", 0 },
	{ "dnnl_shuffle_backward", 1, EXACT, "n", "type", 0 },
	{ "dnnl_resampling_forward", 1, EXACT, "y,x,sp", "type,alg", 0 },
	{ "dnnl_resampling_backward", 1, EXACT, "y,x,sp", "type,alg", 0 },
	{ "dnnl_reduction", 1, EXACT, "y,x", "type,alg", 0 },
	{ "dnnl_rnn_forward", 3, EXACT, "tn,weights,cells,io", "type,cell", 0 },
	{ "dnnl_rnn_backward", 3, EXACT, "tn,weights,cells,io", "type,cell", 0 },
};

#define N_DNNL_MODELS (sizeof(dnnl_models) / sizeof(dnnl_models[0]))

static int dnnl_model_check(const struct opc_routine *r)
{
	for (size_t i = 0; i < N_DNNL_MODELS; i++) {
		struct cudnn_model *m = &dnnl_models[i];

		if (strcmp(m->op, r->op))
			continue;
		m->used++;
		if (r->prec != 'x' || r->level != m->level || r->flops_kind != m->flops_kind ||
		    strcmp(r->dims, m->dims) || strcmp(r->flags, m->flags) || r->cost == NULL ||
		    opc_routine_find(r->symbol) < 0) {
			print_error("%s: table says prec %c level %d flops kind %d dims \"%s\" "
				    "flags \"%s\"; expected x %d %d \"%s\" \"%s\"\n", r->symbol,
				    r->prec, r->level, r->flops_kind, r->dims, r->flags, m->level,
				    m->flops_kind, m->dims, m->flags);
			return 1;
		}
		return 0;
	}
	print_error("%s: no independent oneDNN cost model in test_cost.c\n", r->symbol);
	return 1;
}

static int dnnl_check(const char *op, const int64_t *d, const char *f, int64_t flops,
		      int64_t bytes2, const char *what)
{
	struct opc_cost c = cudnn_cost(op, d, f);

	if (c.flops == (uint64_t)flops && c.bytes == (uint64_t)(bytes2 + 1) / 2)
		return 0;
	print_error("%s %s types %s: %llu flops %llu bytes, want %lld %lld/2\n", op, what, f,
		    (unsigned long long)c.flops, (unsigned long long)c.bytes, (long long)flops,
		    (long long)bytes2);
	return 1;
}

/*
 * Convolution passes, and the deconvolution (the transposed convolution:
 * its forward pass is the walked convolution's backward data pass, its
 * source the walked convolution's output), and the inner product (a
 * convolution whose filter covers the whole input: one output pixel).
 */
static void test_dnnl_contractions(void **state)
{
	static const char *types[] = { "ss", "dd", "hh", "bb", "ui", "is", "bs" };
	int failures = 0, checked = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(conv_geoms) / sizeof(conv_geoms[0]); i++) {
		int64_t y, x, w, padded, macs = conv_walk(&conv_geoms[i], &y, &x, &w, &padded);
		int64_t d[4] = { y, w / conv_geoms[i].k, x, w };

		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
			int64_t r2 = cudnn_size2(types[t][0]), w2 = cudnn_size2(types[t][1]);
			char what[32];

			snprintf(what, sizeof(what), "geometry %zu", i);
			failures += dnnl_check("dnnl_convolution_forward", d, types[t], 2 * macs,
					       (x + w) * r2 + y * w2, what);
			failures += dnnl_check("dnnl_convolution_backward_data", d, types[t],
					       2 * macs, (y + w) * r2 + x * w2, what);
			failures += dnnl_check("dnnl_convolution_backward_weights", d, types[t],
					       2 * macs, (x + y) * r2 + w * w2, what);
			/* deconvolution: source y (read), destination x (written) */
			failures += dnnl_check("dnnl_deconvolution_forward", d, types[t], 2 * macs,
					       (y + w) * r2 + x * w2, what);
			failures += dnnl_check("dnnl_deconvolution_backward_data", d, types[t],
					       2 * macs, (x + w) * r2 + y * w2, what);
			failures += dnnl_check("dnnl_deconvolution_backward_weights", d, types[t],
					       2 * macs, (x + y) * r2 + w * w2, what);
			checked += 6;
		}
	}
	/* inner product: N x IC x spatial -> N x OC, every weight once per image */
	for (int n = 1; n <= 5; n += 2)
		for (int ic = 1; ic <= 9; ic += 4)
			for (int oc = 1; oc <= 7; oc += 3)
				for (int sp = 1; sp <= 16; sp *= 4) {
					int64_t macs = 0, d[4];

					for (int a = 0; a < n; a++)
						for (int o = 0; o < oc; o++)
							for (int k = 0; k < ic * sp; k++)
								macs++;
					d[0] = (int64_t)n * oc;
					d[1] = (int64_t)ic * sp;
					d[2] = (int64_t)n * ic * sp;
					d[3] = (int64_t)oc * ic * sp;
					failures += dnnl_check("dnnl_inner_product_forward", d, "ss",
							       2 * macs, (d[2] + d[3] + d[0]) * 8, "ip");
					failures += dnnl_check("dnnl_inner_product_backward_data", d,
							       "ss", 2 * macs,
							       (d[0] + d[3] + d[2]) * 8, "ip");
					failures += dnnl_check("dnnl_inner_product_backward_weights",
							       d, "ss", 2 * macs,
							       (d[2] + d[0] + d[3]) * 8, "ip");
					checked += 3;
				}
	/* matmul: batches broadcast from 1 in the source or the weights */
	static const int mm[][5] = {	/* batch_src, batch_wei, M, K, N */
		{ 1, 1, 3, 4, 5 }, { 4, 4, 2, 3, 2 }, { 4, 1, 5, 2, 3 }, { 1, 3, 2, 6, 1 },
		{ 2, 2, 1, 1, 1 }, { 6, 1, 7, 7, 7 },
	};
	for (size_t i = 0; i < sizeof(mm) / sizeof(mm[0]); i++) {
		int bs = mm[i][0], bw = mm[i][1], m = mm[i][2], k = mm[i][3], n = mm[i][4];
		int b = bs > bw ? bs : bw;
		int64_t macs = 0;

		for (int a = 0; a < b; a++)
			for (int r = 0; r < m; r++)
				for (int c = 0; c < n; c++)
					for (int j = 0; j < k; j++)
						macs++;
		int64_t d[4] = { (int64_t)b * m * n, k, (int64_t)bs * m * k, (int64_t)bw * k * n };

		failures += dnnl_check("dnnl_matmul", d, "ss", 2 * macs, (d[2] + d[3] + d[0]) * 8,
				       "matmul");
		failures += dnnl_check("dnnl_matmul", d, "uI", 2 * macs,
				       (d[2] + d[3]) * 2 + d[0] * 8, "matmul int8");
		checked += 2;
	}
	print_message("%d oneDNN contraction costs compared, %d mismatches\n", checked, failures);
	assert_int_equal(failures, 0);
}

/*
 * The element-wise, normalisation, pooling and RNN models, each recounted
 * from its parts: pooling by visiting every window tap of a real
 * geometry, resampling by the 2^sp corners each output interpolates, the
 * RNN by visiting every gate of every cell (one multiply-add per input and
 * state channel) in a multi-layer, bidirectional network.
 */
static void test_dnnl_elementwise(void **state)
{
	int failures = 0, checked = 0;
	static const char *types = "sbhd";

	(void)state;
	for (const char *t = types; *t; t++) {
		int64_t z = cudnn_size2(*t);
		char f[4] = { *t, 0, 0, 0 };

		for (int64_t n = 1; n <= 1000; n *= 10) {
			int64_t d[4] = { n, 0, 0, 0 };

			/* eltwise: the function; backward its derivative and the product */
			failures += dnnl_check("dnnl_eltwise_forward", d, f, n, 2 * n * z, "n");
			failures += dnnl_check("dnnl_eltwise_backward", d, f, 2 * n, 3 * n * z, "n");
			/* softmax: max, subtract, exp, sum, divide; backward: product,
			 * sum, subtract, product (logsoftmax: sum, exp, product, subtract) */
			failures += dnnl_check("dnnl_softmax_forward", d, f, 5 * n, 2 * n * z, "n");
			failures += dnnl_check("dnnl_logsoftmax_forward", d, f, 5 * n, 2 * n * z, "n");
			failures += dnnl_check("dnnl_softmax_backward", d, f, 4 * n, 3 * n * z, "n");
			failures += dnnl_check("dnnl_logsoftmax_backward", d, f, 4 * n, 3 * n * z, "n");
			failures += dnnl_check("dnnl_concat", d, f, 0, 2 * n * z, "n");
			failures += dnnl_check("dnnl_shuffle_forward", d, f, 0, 2 * n * z, "n");
			failures += dnnl_check("dnnl_shuffle_backward", d, f, 0, 2 * n * z, "n");
			checked += 9;
			/* prelu with c slopes: compare and multiply; backward 4 */
			for (int64_t c = 1; c <= n; c *= 10) {
				int64_t dp[4] = { n, c, 0, 0 };

				failures += dnnl_check("dnnl_prelu_forward", dp, f, 2 * n,
						       (2 * n + c) * z, "prelu");
				failures += dnnl_check("dnnl_prelu_backward", dp, f, 4 * n,
						       (3 * n + 2 * c) * z, "prelu");
				/* normalisation, c statistics of f32 */
				char fg[4] = { *t, 'g', 0, 0 }, fc[4] = { *t, 'c', 0, 0 };

				failures += dnnl_check("dnnl_batch_normalization_forward", dp, fg,
						       2 * n + 5 * c, 2 * n * z + 4 * c * 8, "given");
				failures += dnnl_check("dnnl_layer_normalization_forward", dp, fc,
						       6 * n + 8 * c, 2 * n * z + 4 * c * 8, "computed");
				failures += dnnl_check("dnnl_batch_normalization_backward", dp, f,
						       9 * n + 6 * c, 3 * n * z + 5 * c * 8, "bwd");
				failures += dnnl_check("dnnl_layer_normalization_backward", dp, f,
						       9 * n + 6 * c, 3 * n * z + 5 * c * 8, "bwd");
				/* binary with a broadcast second source; sum of c sources */
				int64_t db[4] = { n, n, c, 0 }, ds[4] = { n, c, 0, 0 };

				failures += dnnl_check("dnnl_binary", db, f, n, (2 * n + c) * z, "bin");
				failures += dnnl_check("dnnl_sum", ds, f, (c - 1) * n, (c + 1) * n * z,
						       "sum");
				checked += 8;
			}
			/* LRN across 5 channels, and within a 3x3 window */
			for (int64_t size = 5; size <= 9; size += 4) {
				int64_t dl[4] = { n, size, 0, 0 };
				int64_t per = 0;

				for (int64_t j = 0; j < size; j++)
					per += 2;	/* square, add */
				per += 5;
				failures += dnnl_check("dnnl_lrn_forward", dl, f, per * n, 2 * n * z,
						       "lrn");
				failures += dnnl_check("dnnl_lrn_backward", dl, f, 2 * per * n,
						       3 * n * z, "lrn");
				checked += 2;
			}
		}
	}
	/* pooling: 2x3x9x9, 3x3 window, stride 2, padding 1, every tap visited */
	{
		int64_t taps = 0, out = (9 + 2 - 3) / 2 + 1;

		for (int64_t o = 0; o < 2 * 3 * out * out; o++)
			for (int r = 0; r < 3; r++)
				for (int c = 0; c < 3; c++)
					taps++;
		int64_t d[4] = { 2 * 3 * out * out, 9, 2 * 3 * 9 * 9, 0 };

		failures += dnnl_check("dnnl_pooling_forward", d, "s", taps, (d[0] + d[2]) * 8,
				       "pool");
		failures += dnnl_check("dnnl_pooling_backward", d, "s", taps, (d[0] + d[2]) * 8,
				       "pool");
		checked += 2;
	}
	/* resampling 1 to 3 spatial dims: nearest copies, linear weighs 2^sp */
	for (int sp = 1; sp <= 3; sp++) {
		int64_t y = 100, x = 37, corners = 1;

		for (int i = 0; i < sp; i++)
			corners *= 2;
		int64_t d[4] = { y, x, sp, 0 };

		failures += dnnl_check("dnnl_resampling_forward", d, "sn", 0, (y + x) * 8, "near");
		failures += dnnl_check("dnnl_resampling_forward", d, "sl", y * (2 * corners - 1),
				       (y + x) * 8, "linear");
		failures += dnnl_check("dnnl_resampling_backward", d, "sl", y * (2 * corners - 1),
				       (y + x) * 8, "linear");
		checked += 3;
	}
	/* reduction of 600 elements to 20 */
	failures += dnnl_check("dnnl_reduction", (int64_t[4]){ 20, 600, 0, 0 }, "sm", 600,
			       620 * 8, "max");
	failures += dnnl_check("dnnl_reduction", (int64_t[4]){ 20, 600, 0, 0 }, "sa", 620,
			       620 * 8, "mean");
	failures += dnnl_check("dnnl_reduction", (int64_t[4]){ 20, 600, 0, 0 }, "sn", 1220,
			       620 * 8, "norm");
	checked += 3;
	/* RNN: T 4, N 3, 2 layers, 2 directions, SLC = SIC = DHC = 5 */
	{
		static const struct {
			char cell;
			int gates, per;
		} cells[] = { { 'R', 1, 3 }, { 'L', 4, 17 }, { 'G', 3, 14 }, { 'B', 3, 15 } };
		const int T = 4, N = 3, L = 2, D = 2, C = 5;

		for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
			int64_t macs = 0, ncell = 0, g = cells[i].gates;
			int64_t w = 2 * (int64_t)L * D * C * g * C, io = 12345;

			for (int l = 0; l < L; l++)
				for (int dir = 0; dir < D; dir++)
					for (int t = 0; t < T; t++)
						for (int b = 0; b < N; b++)
							for (int h = 0; h < C; h++) {
								ncell++;
								macs += g * 2 * C;
							}
			int64_t d[4] = { T * N, w, ncell, io };
			char f[4] = { 's', cells[i].cell, 0, 0 };

			failures += dnnl_check("dnnl_rnn_forward", d, f,
					       2 * macs + cells[i].per * ncell, (w + io) * 8, "rnn");
			failures += dnnl_check("dnnl_rnn_backward", d, f,
					       2 * (2 * macs + cells[i].per * ncell),
					       2 * (w + io) * 8, "rnn");
			checked += 2;
		}
		/* an unknown cell is not costed */
		failures += dnnl_check("dnnl_rnn_forward", (int64_t[4]){ 12, 400, 120, 99 }, "sA", 0,
				       0, "cell A");
	}
	print_message("%d oneDNN element-wise, pooling and RNN costs compared, %d mismatches\n",
		      checked, failures);
	assert_int_equal(failures, 0);
}

/* Epilogue (bias and post-ops), reorder, and the not-costed row. */
static void test_dnnl_other(void **state)
{
	int failures = 0;

	(void)state;
	/* a conv's bias over 2x4x5x5 outputs: 200 adds, the 4 biases read */
	failures += dnnl_check("dnnl_epilogue", (int64_t[4]){ 200, 1, 4, 0 }, "s", 200, 16 * 2,
			       "bias");
	/* bias + sum + relu: 3 per element, the destination read for the sum */
	failures += dnnl_check("dnnl_epilogue", (int64_t[4]){ 200, 3, 4, 200 }, "b", 600,
			       (4 + 200) * 2 * 2, "bias+sum+relu");
	failures += dnnl_check("dnnl_epilogue", (int64_t[4]){ 200, 1, 0, 0 }, "s", 200, 0,
			       "eltwise only");
	failures += dnnl_check("dnnl_reorder", (int64_t[4]){ 1000, 0, 0, 0 }, "sb", 0,
			       1000 * (8 + 4), "f32 -> bf16");
	failures += dnnl_check("dnnl_reorder", (int64_t[4]){ 7, 0, 0, 0 }, "ss", 0, 7 * 16,
			       "f32");
	failures += dnnl_check("dnnl_primitive_execute", (int64_t[4]){ 99, 64, 0, 0 }, "", 0, 0,
			       "unknown kind");
	assert_int_equal(failures, 0);
	for (size_t i = 0; i < N_DNNL_MODELS; i++)
		if (!dnnl_models[i].used) {
			print_error("oneDNN model %s matches no routine in the table\n",
				    dnnl_models[i].op);
			fail();
		}
}

/* ---- communication (MPI, NCCL) -------------------------------------------- */
/*
 * Every comm row: its dims and the model of its bytes, worked out here by
 * walking the algorithm (the blocks each step moves), not by the closed
 * formulas of cost.c.
 */
enum comm_model { CM_P2P, CM_XFER, CM_NONE, CM_RING, CM_BLOCK, CM_CHAIN, CM_ROOTED };

static const struct comm_family {
	const char *family;	/* routines.tbl family name, via the cost dims */
	const char *dims;
	enum comm_model model;
	const char *ops;	/* space-separated ops of the family */
} comm_families[] = {
	{ "mpi_p2p", "n", CM_P2P, "MPI_Send MPI_Ssend MPI_Bsend MPI_Rsend MPI_Recv MPI_Isend "
	  "MPI_Issend MPI_Ibsend MPI_Irsend MPI_Irecv ncclSend ncclRecv" },
	{ "sendrecv", "send,recv", CM_XFER, "MPI_Sendrecv MPI_Sendrecv_replace" },
	{ "wait", "count", CM_NONE, "MPI_Wait MPI_Waitall MPI_Waitany MPI_Waitsome MPI_Test "
	  "MPI_Testall MPI_Testany MPI_Testsome" },
	{ "barrier", "p", CM_NONE, "MPI_Barrier MPI_Ibarrier gloo::barrier" },
	{ "group", "calls", CM_NONE, "ncclGroupEnd" },
	{ "ring", "n,p", CM_RING, "MPI_Allreduce MPI_Iallreduce ncclAllReduce gloo::allreduce" },
	{ "block", "n,p", CM_BLOCK, "MPI_Allgather MPI_Iallgather MPI_Alltoall MPI_Ialltoall "
	  "MPI_Reduce_scatter_block MPI_Ireduce_scatter_block ncclAllGather ncclReduceScatter "
	  "gloo::allgather" },
	{ "chain", "n,p,q", CM_CHAIN, "MPI_Bcast MPI_Ibcast MPI_Reduce MPI_Ireduce MPI_Scan "
	  "MPI_Iscan MPI_Exscan MPI_Iexscan ncclBroadcast ncclBcast ncclReduce gloo::broadcast "
	  "gloo::reduce" },
	{ "rooted", "n,p,q", CM_ROOTED, "MPI_Gather MPI_Igather MPI_Scatter MPI_Iscatter" },
	{ "vector", "send,recv,p", CM_XFER, "MPI_Gatherv MPI_Igatherv MPI_Scatterv MPI_Iscatterv "
	  "MPI_Allgatherv MPI_Iallgatherv MPI_Alltoallv MPI_Ialltoallv MPI_Alltoallw "
	  "MPI_Reduce_scatter MPI_Ireduce_scatter" },
};
#define N_COMM_FAMILIES (sizeof(comm_families) / sizeof(comm_families[0]))
static int comm_used[N_COMM_FAMILIES];

static int word_in(const char *w, const char *list)
{
	size_t n = strlen(w);

	for (const char *p = list; (p = strstr(p, w)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
			return 1;
	return 0;
}

static int comm_model_check(const struct opc_routine *r)
{
	for (size_t i = 0; i < N_COMM_FAMILIES; i++) {
		const struct comm_family *f = &comm_families[i];

		if (!word_in(r->op, f->ops))
			continue;
		comm_used[i]++;
		if (r->prec != 'x' || r->level != 1 || r->flops_kind != OPC_FLOPS_EXACT ||
		    strcmp(r->dims, f->dims) || r->cost == NULL ||
		    strcmp(r->flags, r->iface == OPC_IF_NCCL && strcmp(r->op, "ncclGroupEnd") ?
			   "group" : "") ||
		    strcmp(r->family, "comm") ||
		    /* Gloo's symbols are mangled C++: the op is gloo::<function> */
		    (r->iface == OPC_IF_GLOO ? strncmp(r->op, "gloo::", 6) || !strstr(r->symbol,
						r->op + 6) : strcmp(r->op, r->symbol) != 0) ||
		    opc_routine_find(r->symbol) < 0) {
			print_error("%s: table says family %s prec %c level %d dims \"%s\" flags "
				    "\"%s\"; expected comm x 1 \"%s\" \"\"\n", r->symbol, r->family,
				    r->prec, r->level, r->dims, r->flags, f->dims);
			return 1;
		}
		return 0;
	}
	print_error("%s: no independent communication model in test_cost.c\n", r->symbol);
	return 1;
}

/* The bytes rank position q of p moves, n bytes, walked step by step. */
static uint64_t comm_walk(enum comm_model m, int64_t n, int64_t p, int64_t q)
{
	uint64_t b = 0;

	switch (m) {
	case CM_P2P:
		return (uint64_t)n;
	case CM_NONE:
		return 0;
	case CM_XFER:	/* n sent, p received (as d[0], d[1]) */
		return (uint64_t)(n + p);
	case CM_RING:	/* reduce-scatter then all-gather: p - 1 steps each,
			   one block of n/p out and one in per step */
		for (int phase = 0; phase < 2; phase++)
			for (int64_t step = 0; step < p - 1; step++)
				b += 2 * (uint64_t)(n / p);
		return b;
	case CM_BLOCK:	/* one exchange of p - 1 blocks each way */
		for (int64_t peer = 0; peer < p; peer++)
			if (peer != q)
				b += 2 * (uint64_t)(n / p);
		return b;
	case CM_CHAIN:	/* links (i, i+1) for i in 0..p-2 carry n */
		for (int64_t i = 0; i + 1 < p; i++)
			if (i == q || i + 1 == q)
				b += (uint64_t)n;
		return b;
	case CM_ROOTED:	/* blocks between the root (0) and each other rank */
		for (int64_t other = 1; other < p; other++)
			if (q == 0 || q == other)
				b += (uint64_t)(n / p);
		return b;
	}
	return ~0ull;
}

static void test_comm_models(void **state)
{
	static const int64_t ns[] = { 8, 8000, 4096 * 3, 1 << 20 };
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < N_COMM_FAMILIES; i++) {
		const struct comm_family *f = &comm_families[i];
		char op[64];
		const char *sp = strchr(f->ops, ' ');

		snprintf(op, sizeof(op), "%.*s", sp ? (int)(sp - f->ops) : (int)strlen(f->ops),
			 f->ops);
		for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++)
			for (int64_t p = 1; p <= 8; p *= 2)
				for (int64_t q = 0; q < p; q++) {
					int64_t n = ns[k] * p;	/* divisible by p */
					int64_t d[4] = { n, p, q, 0 };
					struct opc_cost c = cudnn_cost(op, d, "");
					uint64_t want = comm_walk(f->model, n, p, q);

					if (c.flops != 0 || c.bytes != want) {
						print_error("%s n=%lld p=%lld q=%lld: %llu FLOPs %llu "
							    "bytes, want 0 %llu\n", op, (long long)n,
							    (long long)p, (long long)q,
							    (unsigned long long)c.flops,
							    (unsigned long long)c.bytes,
							    (unsigned long long)want);
						bad++;
					}
				}
	}
	/* the issue's anchor: a ring all-reduce moves 2(p-1)/p of the buffer
	 * each way; n not divisible by p: floor(2(p-1)n/p) each way */
	{
		int64_t d[4] = { 8000, 4, 0, 0 }, d3[4] = { 1000, 3, 0, 0 };

		bad += cudnn_cost("MPI_Allreduce", d, "").bytes != 2 * 12000;
		bad += cudnn_cost("ncclAllReduce", d3, "").bytes != 2 * 1333;
	}
	assert_int_equal(bad, 0);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_every_routine_is_checked(void **state)
{
	int missing = 0, used[K_COUNT] = { 0 };

	(void)state;
	assert_true(opc_nroutines > 0);
	for (int rid = 0; rid < opc_nroutines; rid++) {
		const struct opc_routine *r = &opc_routines[rid];
		char prec;
		int k = kind_of(r->op, &prec);

		if (r->iface == OPC_IF_CUDNN) {	/* models of their own, below */
			missing += cudnn_model_check(r);
			continue;
		}
		if (r->iface == OPC_IF_DNNL) {
			missing += dnnl_model_check(r);
			continue;
		}
		if (r->iface == OPC_IF_MPI || r->iface == OPC_IF_NCCL || r->iface == OPC_IF_GLOO) {
			missing += comm_model_check(r);
			continue;
		}
		if (k < 0) {
			print_error("%s (op %s, family %s): no independent cost model in "
				    "test_cost.c\n", r->symbol, r->op, r->family);
			missing++;
			continue;
		}
		used[k]++;
		if (r->prec != prec || r->level != kinds[k].level ||
		    r->flops_kind != kinds[k].flops_kind || strcmp(r->dims, kinds[k].dims) ||
		    strcmp(r->flags, kinds[k].flags) || r->cost == NULL) {
			print_error("%s: table says prec %c level %d flops kind %d dims \"%s\" "
				    "flags \"%s\"; expected %c %d %d \"%s\" \"%s\"\n", r->symbol,
				    r->prec, r->level, r->flops_kind, r->dims, r->flags, prec,
				    kinds[k].level, kinds[k].flops_kind, kinds[k].dims,
				    kinds[k].flags);
			missing++;
		}
		if (opc_routine_find(r->symbol) != rid) {
			print_error("%s: opc_routine_find gives %d, not %d\n", r->symbol,
				    opc_routine_find(r->symbol), rid);
			missing++;
		}
	}
	for (int k = 0; k < K_COUNT; k++)
		if (!used[k]) {
			print_error("model %s matches no routine in the table\n", kinds[k].name);
			missing++;
		}
	for (size_t i = 0; i < N_COMM_FAMILIES; i++)
		if (!comm_used[i]) {
			print_error("communication family %s matches no routine in the table\n",
				    comm_families[i].family);
			missing++;
		}
	assert_int_equal(missing, 0);
}

static void test_level1(void **state)
{
	(void)state;
	check_routines(1, 1);
}

static void test_level2(void **state)
{
	(void)state;
	check_routines(2, 2);
}

static void test_level3(void **state)
{
	(void)state;
	check_routines(3, 3);
}

static void test_lapack(void **state)
{
	(void)state;
	check_routines(4, 4);
}

/* Every routine, every dimension made negative in turn: nothing is done. */
static void test_negative_dims_cost_nothing(void **state)
{
	int failures = 0;

	(void)state;
	for (int rid = 0; rid < opc_nroutines; rid++) {
		const struct opc_routine *r = &opc_routines[rid];
		int ndims = r->dims[0] ? 1 : 0;

		for (const char *p = r->dims; *p; p++)
			ndims += *p == ',';
		for (int i = 0; i < ndims; i++) {
			struct opc_shape s = { { 5, 5, 5, 5 }, { 'N', 'N', '1', 0 } };
			struct opc_cost c;

			s.d[i] = -1;
			opc_routine_cost(rid, &s, &c);
			if (c.flops || c.bytes) {
				print_error("%s with %s = -1: %llu flops %llu bytes\n", r->symbol,
					    r->dims, (unsigned long long)c.flops,
					    (unsigned long long)c.bytes);
				failures++;
			}
		}
	}
	assert_int_equal(failures, 0);
}

/* Every routine with an lwork argument: lwork == -1 is a query, 0 and 0. */
static void test_workspace_query_costs_nothing(void **state)
{
	int failures = 0, queries = 0;

	(void)state;
	for (int rid = 0; rid < opc_nroutines; rid++) {
		const struct opc_routine *r = &opc_routines[rid];
		char names_buf[64], *save = NULL, *tok;
		int slot = 0, lwork = -1;

		snprintf(names_buf, sizeof(names_buf), "%s", r->flags);
		for (tok = strtok_r(names_buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save), slot++)
			if (!strcmp(tok, "lwork"))
				lwork = slot;
		if (lwork < 0)
			continue;
		for (char job = 'A'; job <= 'V'; job += 'V' - 'A') {
			struct opc_shape s = { { 50, 40, 30, 0 }, { job, job, job, job } };
			struct opc_cost c;

			if (!strcmp(r->family, "orgrq")) {	/* the last rows of Q: m <= n */
				s.d[0] = 40;
				s.d[1] = 50;
			}
			s.f[lwork] = 'Q';
			opc_routine_cost(rid, &s, &c);
			queries++;
			if (c.flops || c.bytes) {
				print_error("%s workspace query: %llu flops %llu bytes\n", r->symbol,
					    (unsigned long long)c.flops,
					    (unsigned long long)c.bytes);
				failures++;
			}
			s.f[lwork] = '-';
			opc_routine_cost(rid, &s, &c);
			if (c.flops == 0) {
				print_error("%s: a real call counts nothing\n", r->symbol);
				failures++;
			}
		}
	}
	assert_true(queries >= 2 * 30);	/* geqrf orgqr gels syev syevd gesvd gesdd getri... */
	assert_int_equal(failures, 0);
}

static struct opc_cost cost_of4(const char *symbol, int64_t d0, int64_t d1, int64_t d2,
				int64_t d3, const char *flags)
{
	struct opc_shape s = { { d0, d1, d2, d3 }, { 0 } };
	struct opc_cost c;
	int rid = opc_routine_find(symbol);

	if (rid < 0) {
		print_error("%s is not in the routine table\n", symbol);
		fail();
	}
	memcpy(s.f, flags, strlen(flags) < 4 ? strlen(flags) : 4);
	opc_routine_cost(rid, &s, &c);
	return c;
}

static struct opc_cost cost_of(const char *symbol, int64_t d0, int64_t d1, int64_t d2,
			       const char *flags)
{
	return cost_of4(symbol, d0, d1, d2, 0, flags);
}

/* Numbers anyone can check by hand. */
static void test_anchors(void **state)
{
	(void)state;
	assert_int_equal(cost_of("cblas_dgemm", 64, 64, 64, "NN1").flops, 524288);
	assert_int_equal(cost_of("dgemm_", 64, 64, 64, "TC0").flops, 524288);
	assert_int_equal(cost_of("cblas_dgemm", 64, 64, 64, "NN0").bytes, 3 * 4096 * 8);
	assert_int_equal(cost_of("cblas_dgemm", 64, 64, 64, "NN1").bytes, 4 * 4096 * 8);
	assert_int_equal(cost_of("zgemm_", 10, 10, 10, "NN1").flops, 8000);
	assert_int_equal(cost_of("cblas_zgemm3m", 10, 10, 10, "NN1").flops, 8000);
	assert_int_equal(cost_of("cblas_sgemv", 3, 5, 0, "N1").flops, 30);
	assert_int_equal(cost_of("cblas_sgemv", 3, 5, 0, "N0").bytes, (15 + 5 + 3) * 4);
	assert_int_equal(cost_of("ddot_", 7, 0, 0, "").flops, 14);
	assert_int_equal(cost_of("cblas_zdotc_sub", 7, 0, 0, "").flops, 56);
	assert_int_equal(cost_of("cblas_daxpy", 10, 0, 0, "").flops, 20);
	assert_int_equal(cost_of("cblas_dtrsv", 4, 0, 0, "N").flops, 10 + 6);
	/* 2/3 n^3 - 1/2 n^2 + 5/6 n at n = 100 */
	assert_int_equal(cost_of("dgetrf_", 100, 100, 0, "").flops, 661750);
	assert_int_equal(cost_of("LAPACKE_dgetrf", 100, 100, 0, "").bytes, 2 * 10000 * 8 + 400);
	/* issue 12's routines: a triangular solve, Q' C, a norm, the solvers' models */
	assert_int_equal(cost_of("dtrtrs_", 100, 1, 0, "").flops, 5050 + 4950);
	assert_int_equal(cost_of("dormqr_", 100, 10, 5, "L-").flops, 10 * 5 * 197 + 10 * 5 * 196);
	assert_int_equal(cost_of("dlange_", 10, 10, 0, "F").flops, 200);
	assert_int_equal(cost_of("LAPACKE_zlange", 10, 10, 0, "M").flops, 500);
	assert_int_equal(cost_of("dgeev_", 10, 0, 0, "NN-").flops, 10000);
	assert_int_equal(cost_of("dgeev_", 10, 0, 0, "VV-").flops, 27667);	/* (25 + 8/3) n^3 */
	assert_int_equal(cost_of("zgeev_", 10, 0, 0, "NV-").flops, 105333);	/* 4 (25 + 4/3) n^3 */
	assert_int_equal(cost_of("dgees_", 10, 0, 0, "V-").flops, 25000);
	/* 4BS^2 - 4S^3/3 + 4BSr + 4S^2r + 8S^3/3 = 40000 - 1333.3 + 4000 + 400 + 2666.7 */
	assert_int_equal(cost_of("dgelsd_", 100, 10, 1, "-").flops, 45733);
	assert_int_equal(cost_of("dgeev_", 10, 0, 0, "VVQ").flops, 0);	/* workspace query */
	/* n^3/3 + n^2/2 + n/6 at n = 100 */
	assert_int_equal(cost_of("dpotrf_", 100, 0, 0, "L").flops, 338350);
	/* 4/3 n^3 + 2 n^2 + 14/3 n at n = 30 */
	assert_int_equal(cost_of("dgeqrf_", 30, 30, 0, "-").flops, 36000 + 1800 + 140);
	/* 4/3 n^3 - n^2 + 5/3 n at n = 30 */
	assert_int_equal(cost_of("dgetri_", 30, 0, 0, "-").flops, 36000 - 900 + 50);
	/* 1/3 n^3 + 2/3 n at n = 30 */
	assert_int_equal(cost_of("dtrtri_", 30, 0, 0, "N").flops, 9000 + 20);
	/* thin SVD of a tall matrix writes U m x n, not m x m */
	assert_int_equal(cost_of("dgesvd_", 10000, 10, 0, "SS-").bytes,
			 (2 * 100000 + 10 + 100000 + 100) * 8);
	assert_int_equal(cost_of("dgesdd_", 10000, 10, 0, "S-").bytes,
			 (2 * 100000 + 10 + 100000 + 100) * 8);
	/* cuBLAS: the BLAS conventions, batches, element types as flags */
	assert_int_equal(cost_of("cublasSgemm_v2", 64, 64, 64, "NN1").flops, 524288);
	assert_int_equal(cost_of("cublasZgemm_v2_64", 10, 10, 10, "NN1").flops, 8000);
	assert_int_equal(cost_of("cublasHgemm", 64, 64, 64, "NN0").bytes, 3 * 4096 * 2);
	assert_int_equal(cost_of4("cublasSgemmStridedBatched", 8, 8, 8, 10, "NN1").flops, 10240);
	assert_int_equal(cost_of4("cublasSgemmStridedBatched", 8, 8, 8, 10, "NN1").bytes,
			 10 * (64 + 64 + 128) * 4);
	assert_int_equal(cost_of4("cublasGemmEx", 16, 16, 16, 1, "hhs0").flops, 8192);
	assert_int_equal(cost_of4("cublasGemmEx", 16, 16, 16, 1, "hhs0").bytes, 3 * 256 * 2);
	assert_int_equal(cost_of4("cublasGemmEx", 16, 16, 16, 1, "hss1").bytes,
			 2 * 256 * 2 + 2 * 256 * 4);
	assert_int_equal(cost_of4("cublasGemmEx_64", 10, 10, 10, 1, "cct1").flops, 8000);
	assert_int_equal(cost_of4("cublasLtMatmul", 32, 32, 32, 1, "ebt0").bytes, 2048 + 2048);
	assert_int_equal(cost_of4("cublasLtMatmul", 3, 3, 3, 1, "4hs0").bytes, (72 + 144) / 8);
	assert_int_equal(cost_of4("cublasGemmBatchedEx", 4, 4, 4, 0, "sss1").flops, 0);
	assert_int_equal(cost_of("cublasIsamax_v2", 100, 0, 0, "").bytes, 400);
}

/*
 * The LAWN 41 closed forms used above against brute-force walks of the
 * unblocked algorithms, so that a transcription error in both cost.c and
 * this file (or a shared misreading) would still be caught.
 */
static void test_lawn41_against_bruteforce(void **state)
{
	(void)state;
	for (int64_t m = 1; m <= 40; m++)
		for (int64_t n = 1; n <= 40; n++) {
			struct ops lu = lawn_getrf(m, n), walk = walk_getf2(m, n);
			struct ops qr = lawn_geqrf(m, n), qrw = walk_geqr2(m, n);

			assert_int_equal(lu.add, walk.add);
			/*
			 * LAWN 41 has no m < n case; LAPACK++ and MAGMA swap m and n,
			 * which charges m(n - m) multiplies more than a wide LU does
			 * (it forms m - j - 1 multipliers per column, not n - j - 1).
			 * cost.c follows LAPACK++ and MAGMA.
			 */
			if (m >= n)
				assert_int_equal(lu.mul, walk.mul);
			else
				assert_int_equal(lu.mul, walk.mul + (uint64_t)(m * (n - m)));
			assert_int_equal(qr.mul, qrw.mul);
			assert_int_equal(qr.add, qrw.add);
			for (int64_t k = 0; k <= n && n <= m; k++) {
				struct ops q = lawn_orgqr(m, n, k), qw = walk_org2r(m, n, k);

				assert_int_equal(q.mul, qw.mul);
				assert_int_equal(q.add, qw.add);
			}
			struct ops rs = lawn_getrs(m, n), rsw = walk_getrs(m, n);
			struct ops ps = lawn_potrs(m, n), psw = walk_potrs(m, n);

			assert_int_equal(rs.mul, rsw.mul);
			assert_int_equal(rs.add, rsw.add);
			assert_int_equal(ps.mul, psw.mul);
			assert_int_equal(ps.add, psw.add);
		}
	for (int64_t n = 1; n <= 80; n++) {
		struct ops c = lawn_potrf(n), cw = walk_potf2(n);
		struct ops t = lawn_trtri(n), tw = walk_trti2(n);

		assert_int_equal(c.mul, cw.mul);
		assert_int_equal(c.add, cw.add);
		assert_int_equal(t.mul, tw.mul);
		assert_int_equal(t.add, tw.add);
		/* getri = trtri + solving X L = inv(U): n^3/2 + n/2 muls, n(n-1)^2/2 adds */
		struct ops g = lawn_getri(n);

		assert_int_equal(g.mul - t.mul, (uint64_t)((n * n * n + n) / 2));
		assert_int_equal(g.add - t.add, (uint64_t)(n * (n - 1) * (n - 1) / 2));
	}
	/* the textbook totals */
	for (int64_t n = 1; n <= 200; n++) {
		struct ops lu = lawn_getrf(n, n), c = lawn_potrf(n);

		assert_int_equal(6 * (lu.mul + lu.add), 4 * n * n * n - 3 * n * n + 5 * n);
		assert_int_equal(6 * (c.mul + c.add), 2 * n * n * n + 3 * n * n + n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_routine_is_checked),
		cmocka_unit_test(test_anchors),
		cmocka_unit_test(test_lawn41_against_bruteforce),
		cmocka_unit_test(test_level1),
		cmocka_unit_test(test_level2),
		cmocka_unit_test(test_level3),
		cmocka_unit_test(test_lapack),
		cmocka_unit_test(test_negative_dims_cost_nothing),
		cmocka_unit_test(test_workspace_query_costs_nothing),
		cmocka_unit_test(test_cudnn_convolutions),
		cmocka_unit_test(test_cudnn_elementwise),
		cmocka_unit_test(test_cudnn_anchors),
		cmocka_unit_test(test_dnnl_contractions),
		cmocka_unit_test(test_dnnl_elementwise),
		cmocka_unit_test(test_dnnl_other),
		cmocka_unit_test(test_comm_models),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
