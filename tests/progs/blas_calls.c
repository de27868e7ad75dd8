/*
 * blas_calls.c - a representative set of BLAS and LAPACK calls with known
 * shapes, through all three interfaces (CBLAS, Fortran 77, LAPACKE).
 *
 * For every routine it prints
 *
 *   expect OP FLOPS CALLS     OP as `opcount report --by op` names it
 *   iface OP IFACE            the interface every call of OP went through
 *   estimated OP              OP's FLOPs are a leading-order estimate
 *   expect_total FLOPS CALLS
 *
 * The FLOPs are worked out here, independently of common/cost.c, from
 * LAPACK Working Note 41 (real multiplies plus adds; a complex multiply is
 * 6 FLOPs and a complex add 2; alpha and beta scalings are not counted).
 * Every LAWN 41 count is a polynomial with rational coefficients; it is
 * evaluated in integers, times its common denominator, and the shapes are
 * chosen so that the division is exact, so no rounding convention enters
 * the comparison.
 *
 * Each result is also checked against a plain loop or a residual, so that
 * a wrapper that passed an argument wrongly (a Fortran string length, a
 * complex alpha by value) shows up as a "check ... FAIL" line and exit 1.
 * Nothing printed depends on timing or on the preload library: stdout is
 * byte-identical with and without it.
 */
#include <cblas.h>
#include <inttypes.h>
#include <lapacke.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <complex.h>

/* Fortran 77 entry points, declared here (hidden lengths of character
 * arguments at the end, as gfortran passes them). */
void sgemm_(const char *ta, const char *tb, const int *m, const int *n,
	    const int *k, const float *alpha, const float *a, const int *lda,
	    const float *b, const int *ldb, const float *beta, float *c,
	    const int *ldc, size_t lta, size_t ltb);
void daxpy_(const int *n, const double *alpha, const double *x,
	    const int *incx, double *y, const int *incy);
void dgetrf_(const int *m, const int *n, double *a, const int *lda,
	     int *ipiv, int *info);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda,
	     int *info, size_t luplo);
void dgeqrf_(const int *m, const int *n, double *a, const int *lda,
	     double *tau, double *work, const int *lwork, int *info);
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a,
	    const int *lda, double *w, double *work, const int *lwork,
	    int *info, size_t ljobz, size_t luplo);

#define MAXOPS 32

static struct expect {
	const char *op;
	const char *iface;
	int64_t flops;
	int64_t calls;
	int estimated;
} ops[MAXOPS];
static int nops;
static int failed;

static void expect(const char *op, const char *iface, int64_t flops, int estimated)
{
	int i;

	for (i = 0; i < nops; i++)
		if (!strcmp(ops[i].op, op))
			break;
	if (i == nops) {
		if (nops == MAXOPS)
			abort();
		ops[nops].op = op;
		ops[nops].iface = iface;
		ops[nops].estimated = estimated;
		nops++;
	}
	ops[i].flops += flops;
	ops[i].calls++;
}

/* num / den where LAWN 41 promises an integer for the shapes used */
static int64_t exact(const char *what, int64_t num, int64_t den)
{
	if (num % den) {
		fprintf(stderr, "blas_calls: %s: %" PRId64 "/%" PRId64
			" is not an integer; choose another shape\n", what, num, den);
		exit(2);
	}
	return num / den;
}

/* ---- LAWN 41 counts, written out from the note's tables ---- */

static int64_t lawn_gemm(int64_t m, int64_t n, int64_t k, int cplx)
{
	/* mnk multiplies, mnk adds */
	return cplx ? 6 * m * n * k + 2 * m * n * k : 2 * m * n * k;
}

/* TRSM: side L, nm(m+1)/2 multiplies and nm(m-1)/2 adds: nm^2 in all;
 * side R the same with m and n swapped. */
static int64_t lawn_trsm(char side, int64_t m, int64_t n)
{
	return side == 'L' ? n * m * m : m * n * n;
}

/*
 * GETRF, m >= n:
 *   mults 1/2 mn^2 - 1/6 n^3 + 1/2 mn - 1/2 n^2 + 2/3 n
 *   adds  1/2 mn^2 - 1/6 n^3 - 1/2 mn + 1/6 n
 *   sum   mn^2 - 1/3 n^3 - 1/2 n^2 + 5/6 n
 * m < n: the same with m and n exchanged.
 */
static int64_t lawn_getrf(int64_t m, int64_t n)
{
	int64_t big = m > n ? m : n, s = m < n ? m : n;

	return exact("getrf", 6 * big * s * s - 2 * s * s * s - 3 * s * s + 5 * s, 6);
}

/* GETRS: nrhs n^2 multiplies, nrhs (n^2 - n) adds */
static int64_t lawn_getrs(int64_t n, int64_t nrhs)
{
	return nrhs * (2 * n * n - n);
}

/*
 * POTRF: mults 1/6 n^3 + 1/2 n^2 + 1/3 n, adds 1/6 n^3 - 1/6 n:
 * sum n(n+1)(2n+1)/6.
 */
static int64_t lawn_potrf(int64_t n)
{
	return exact("potrf", n * (n + 1) * (2 * n + 1), 6);
}

/*
 * GEQRF, m >= n:
 *   mults mn^2 - 1/3 n^3 + mn + 1/2 n^2 + 23/6 n
 *   adds  mn^2 - 1/3 n^3 + 1/2 n^2 + 5/6 n
 *   sum   2mn^2 - 2/3 n^3 + mn + n^2 + 14/3 n
 */
static int64_t lawn_geqrf(int64_t m, int64_t n)
{
	if (m < n) {
		fprintf(stderr, "blas_calls: geqrf count written for m >= n only\n");
		exit(2);
	}
	return exact("geqrf", 6 * m * n * n - 2 * n * n * n + 3 * m * n + 3 * n * n + 14 * n, 3);
}

/* SYEV has no closed count (the QR iteration depends on the data): the
 * convention is the leading-order estimate 9n^3 with eigenvectors, 4/3 n^3
 * without. */
static int64_t est_syev(char jobz, int64_t n)
{
	return jobz == 'V' ? 9 * n * n * n : exact("syev", 4 * n * n * n, 3);
}

/* ---- data ---- */

static uint64_t rng_state = 12345;

static double rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0 - 0.5;
}

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (p == NULL) {
		fprintf(stderr, "blas_calls: out of memory\n");
		exit(2);
	}
	return p;
}

static double *dmat(size_t n)
{
	double *p = xmalloc(n * sizeof(double));

	for (size_t i = 0; i < n; i++)
		p[i] = rnd();
	return p;
}

static void check(const char *what, double err, double tol)
{
	int ok = err <= tol;	/* a NaN fails */

	printf("check %s %s\n", what, ok ? "ok" : "FAIL");
	if (!ok) {
		fprintf(stderr, "blas_calls: %s: error %g > %g\n", what, err, tol);
		failed = 1;
	}
}

/* ---- the calls ---- */

/* Row-major C = alpha op(A) op(B) + beta C against a plain loop. */
static void do_dgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k,
		     double alpha, double beta)
{
	int lda = ta == CblasNoTrans ? k : m, ldb = tb == CblasNoTrans ? n : k;
	double *a = dmat((size_t)m * k), *b = dmat((size_t)k * n), *c = dmat((size_t)m * n);
	double *ref = xmalloc((size_t)m * n * sizeof(double)), err = 0;
	char what[64];

	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			double s = 0;

			for (int p = 0; p < k; p++)
				s += (ta == CblasNoTrans ? a[i * lda + p] : a[p * lda + i]) *
				     (tb == CblasNoTrans ? b[p * ldb + j] : b[j * ldb + p]);
			ref[i * n + j] = alpha * s + beta * c[i * n + j];
		}
	cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
	expect("dgemm", "cblas", lawn_gemm(m, n, k, 0), 0);
	for (int i = 0; i < m * n; i++)
		err = fmax(err, fabs(c[i] - ref[i]));
	snprintf(what, sizeof(what), "dgemm_%dx%dx%d", m, n, k);
	check(what, err, 1e-12 * k);
	free(a);
	free(b);
	free(c);
	free(ref);
}

/* Column-major, through the Fortran symbol with its hidden lengths. */
static void do_sgemm(char ta, char tb, int m, int n, int k)
{
	int lda = ta == 'N' ? m : k, ldb = tb == 'N' ? k : n;
	float *a = xmalloc((size_t)m * k * sizeof(float));
	float *b = xmalloc((size_t)k * n * sizeof(float));
	float *c = xmalloc((size_t)m * n * sizeof(float));
	float alpha = 1.5f, beta = 0.0f;
	double err = 0;
	char what[64];

	for (int i = 0; i < m * k; i++)
		a[i] = (float)rnd();
	for (int i = 0; i < k * n; i++)
		b[i] = (float)rnd();
	sgemm_(&ta, &tb, &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &m, 1, 1);
	expect("sgemm", "fortran", lawn_gemm(m, n, k, 0), 0);
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			double s = 0;

			for (int p = 0; p < k; p++)
				s += (double)(ta == 'N' ? a[p * lda + i] : a[i * lda + p]) *
				     (tb == 'N' ? b[j * ldb + p] : b[p * ldb + j]);
			err = fmax(err, fabs(c[j * m + i] - alpha * s));
		}
	snprintf(what, sizeof(what), "sgemm_%dx%dx%d", m, n, k);
	check(what, err, 1e-5 * k);
	free(a);
	free(b);
	free(c);
}

static void do_zgemm(int m, int n, int k)
{
	double complex *a = xmalloc((size_t)m * k * sizeof(*a));
	double complex *b = xmalloc((size_t)k * n * sizeof(*b));
	double complex *c = xmalloc((size_t)m * n * sizeof(*c));
	double complex alpha = 1.0 + 2.0 * I, beta = 0.5 - 1.0 * I;
	double complex *c0 = xmalloc((size_t)m * n * sizeof(*c0));
	double err = 0;

	for (int i = 0; i < m * k; i++)
		a[i] = rnd() + rnd() * I;
	for (int i = 0; i < k * n; i++)
		b[i] = rnd() + rnd() * I;
	for (int i = 0; i < m * n; i++)
		c0[i] = c[i] = rnd() + rnd() * I;
	/* op(B) = B^H: b holds B as n x k, row-major */
	cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasConjTrans, m, n, k, &alpha, a, k,
		    b, k, &beta, c, n);
	expect("zgemm", "cblas", lawn_gemm(m, n, k, 1), 0);
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			double complex s = 0;

			for (int p = 0; p < k; p++)
				s += a[i * k + p] * conj(b[j * k + p]);
			err = fmax(err, cabs(c[i * n + j] - (alpha * s + beta * c0[i * n + j])));
		}
	check("zgemm", err, 1e-12 * k);
	free(a);
	free(b);
	free(c);
	free(c0);
}

static void do_dgemv(CBLAS_TRANSPOSE t, int m, int n)
{
	int lx = t == CblasNoTrans ? n : m, ly = t == CblasNoTrans ? m : n;
	double *a = dmat((size_t)m * n), *x = dmat(lx), *y = dmat(ly), err = 0;
	double *y0 = xmalloc(ly * sizeof(double));

	memcpy(y0, y, ly * sizeof(double));
	cblas_dgemv(CblasRowMajor, t, m, n, 2.0, a, n, x, 1, -1.0, y, 1);
	expect("dgemv", "cblas", 2 * (int64_t)m * n, 0);
	for (int i = 0; i < ly; i++) {
		double s = 0;

		for (int p = 0; p < lx; p++)
			s += (t == CblasNoTrans ? a[i * n + p] : a[p * n + i]) * x[p];
		err = fmax(err, fabs(y[i] - (2.0 * s - y0[i])));
	}
	check(t == CblasNoTrans ? "dgemv_N" : "dgemv_T", err, 1e-12 * lx);
	free(a);
	free(x);
	free(y);
	free(y0);
}

static void do_ddot(int n, int incx)
{
	double *x = dmat((size_t)n * incx + 1), *y = dmat((size_t)n + 1), s = 0, r;
	char what[64];

	r = cblas_ddot(n, x, incx, y, 1);
	expect("ddot", "cblas", 2 * (int64_t)n, 0);
	for (int i = 0; i < n; i++)
		s += x[i * incx] * y[i];
	snprintf(what, sizeof(what), "ddot_%d", n);
	check(what, fabs(r - s), 1e-12 * (n + 1));
	free(x);
	free(y);
}

static void do_daxpy(int n, int incx)
{
	double *x = dmat((size_t)n * incx + 1), *y = dmat((size_t)n + 1), alpha = -0.75, err = 0;
	double *y0 = xmalloc(((size_t)n + 1) * sizeof(double));
	int one = 1;

	memcpy(y0, y, ((size_t)n + 1) * sizeof(double));
	daxpy_(&n, &alpha, x, &incx, y, &one);
	expect("daxpy", "fortran", 2 * (int64_t)n, 0);
	for (int i = 0; i < n; i++)
		err = fmax(err, fabs(y[i] - (y0[i] + alpha * x[i * incx])));
	check(incx == 1 ? "daxpy" : "daxpy_strided", err, 1e-14);
	free(x);
	free(y);
	free(y0);
}

/* Solve op(A) X = alpha B with A triangular and well conditioned. */
static void do_dtrsm(CBLAS_SIDE side, CBLAS_UPLO uplo, int m, int n)
{
	int ka = side == CblasLeft ? m : n;
	double *a = dmat((size_t)ka * ka), *b = dmat((size_t)m * n), err = 0;
	double *b0 = xmalloc((size_t)m * n * sizeof(double));

	for (int i = 0; i < ka; i++) {
		for (int j = 0; j < ka; j++)
			if (uplo == CblasLower ? j > i : j < i)
				a[i * ka + j] = 0;	/* the other triangle is ignored anyway */
		a[i * ka + i] = 2.0 + ka;
	}
	memcpy(b0, b, (size_t)m * n * sizeof(double));
	cblas_dtrsm(CblasRowMajor, side, uplo, CblasNoTrans, CblasNonUnit, m, n, 1.0, a, ka,
		    b, n);
	expect("dtrsm", "cblas", lawn_trsm(side == CblasLeft ? 'L' : 'R', m, n), 0);
	/* residual of A X (side L) or X A (side R) against B */
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			double s = 0;

			if (side == CblasLeft)
				for (int p = 0; p < m; p++)
					s += a[i * ka + p] * b[p * n + j];
			else
				for (int p = 0; p < n; p++)
					s += b[i * n + p] * a[p * ka + j];
			err = fmax(err, fabs(s - b0[i * n + j]));
		}
	check(side == CblasLeft ? "dtrsm_L" : "dtrsm_R", err, 1e-12 * ka);
	free(a);
	free(b);
	free(b0);
}

static void do_lapacke_dgesv(int n, int nrhs)
{
	double *a = dmat((size_t)n * n), *b = dmat((size_t)n * nrhs), err = 0;
	double *a0 = xmalloc((size_t)n * n * sizeof(double));
	double *b0 = xmalloc((size_t)n * nrhs * sizeof(double));
	int *ipiv = xmalloc(n * sizeof(int));
	int info;

	for (int i = 0; i < n; i++)
		a[i * n + i] += n;
	memcpy(a0, a, (size_t)n * n * sizeof(double));
	memcpy(b0, b, (size_t)n * nrhs * sizeof(double));
	info = LAPACKE_dgesv(LAPACK_COL_MAJOR, n, nrhs, a, n, ipiv, b, n);
	expect("dgesv", "lapacke", lawn_getrf(n, n) + lawn_getrs(n, nrhs), 0);
	for (int r = 0; r < nrhs; r++)
		for (int i = 0; i < n; i++) {
			double s = 0;

			for (int p = 0; p < n; p++)
				s += a0[p * n + i] * b[r * n + p];
			err = fmax(err, fabs(s - b0[r * n + i]));
		}
	check("lapacke_dgesv", info ? 1e9 : err, 1e-10);
	free(a);
	free(b);
	free(a0);
	free(b0);
	free(ipiv);
}

/* L U = P A: check the product of the factors, column-major. */
static void do_dgetrf(int m, int n)
{
	double *a = dmat((size_t)m * n), *a0 = xmalloc((size_t)m * n * sizeof(double));
	int mn = m < n ? m : n, info;
	int *ipiv = xmalloc(mn * sizeof(int));
	double err = 0;
	char what[64];

	memcpy(a0, a, (size_t)m * n * sizeof(double));
	dgetrf_(&m, &n, a, &m, ipiv, &info);
	expect("dgetrf", "fortran", lawn_getrf(m, n), 0);
	/* apply the row interchanges to a0, then compare with L U */
	for (int i = 0; i < mn; i++) {
		int p = ipiv[i] - 1;

		if (p != i)
			for (int j = 0; j < n; j++) {
				double t = a0[j * m + i];

				a0[j * m + i] = a0[j * m + p];
				a0[j * m + p] = t;
			}
	}
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			double s = 0;

			for (int p = 0; p < mn && p <= i && p <= j; p++) {
				double l = p == i ? 1.0 : a[p * m + i];

				s += l * a[j * m + p];
			}
			err = fmax(err, fabs(s - a0[j * m + i]));
		}
	snprintf(what, sizeof(what), "dgetrf_%dx%d", m, n);
	check(what, info ? 1e9 : err, 1e-12 * mn);
	free(a);
	free(a0);
	free(ipiv);
}

static void do_dpotrf(int n)
{
	double *g = dmat((size_t)n * n), *a = xmalloc((size_t)n * n * sizeof(double));
	double *a0 = xmalloc((size_t)n * n * sizeof(double)), err = 0;
	char uplo = 'L';
	int info;

	/* A = G G^T + n I is symmetric positive definite */
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++) {
			double s = i == j ? n : 0;

			for (int p = 0; p < n; p++)
				s += g[i * n + p] * g[j * n + p];
			a[j * n + i] = s;
		}
	memcpy(a0, a, (size_t)n * n * sizeof(double));
	dpotrf_(&uplo, &n, a, &n, &info, 1);
	expect("dpotrf", "fortran", lawn_potrf(n), 0);
	for (int i = 0; i < n; i++)
		for (int j = 0; j <= i; j++) {
			double s = 0;

			for (int p = 0; p <= j; p++)
				s += a[p * n + i] * a[p * n + j];
			err = fmax(err, fabs(s - a0[j * n + i]));
		}
	check("dpotrf", info ? 1e9 : err, 1e-10 * n);
	free(g);
	free(a);
	free(a0);
}

/* The workspace query is a call of its own, with no arithmetic. */
static void do_dgeqrf(int m, int n)
{
	double *a = dmat((size_t)m * n), *tau = xmalloc(n * sizeof(double));
	double *a0 = xmalloc((size_t)m * n * sizeof(double)), wq, *work, err = 0;
	int lwork = -1, info;

	memcpy(a0, a, (size_t)m * n * sizeof(double));
	dgeqrf_(&m, &n, a, &m, tau, &wq, &lwork, &info);
	expect("dgeqrf", "fortran", 0, 0);
	lwork = (int)wq;
	if (info || lwork < n) {
		check("dgeqrf_query", 1e9, 0);
		lwork = n;
	}
	work = xmalloc((size_t)lwork * sizeof(double));
	dgeqrf_(&m, &n, a, &m, tau, work, &lwork, &info);
	expect("dgeqrf", "fortran", lawn_geqrf(m, n), 0);
	/* the first reflector maps A's first column onto r11 e1, so
	 * |r11| = ||a(:,1)|| */
	for (int i = 0; i < m; i++)
		err += a0[i] * a0[i];
	err = fabs(sqrt(err) - fabs(a[0]));
	check("dgeqrf", info ? 1e9 : err, 1e-12 * m);
	free(a);
	free(a0);
	free(tau);
	free(work);
}

/* Eigenvalues sum to the trace. */
static void do_dsyev(int n)
{
	double *a = dmat((size_t)n * n), *w = xmalloc(n * sizeof(double)), tr = 0, s = 0;
	int lwork = 66 * n, info;
	double *work = xmalloc((size_t)lwork * sizeof(double));
	char jobz = 'V', uplo = 'U';

	for (int i = 0; i < n; i++) {
		for (int j = 0; j < i; j++)
			a[i * n + j] = a[j * n + i];
		tr += a[i * n + i];
	}
	dsyev_(&jobz, &uplo, &n, a, &n, w, work, &lwork, &info, 1, 1);
	expect("dsyev", "fortran", est_syev(jobz, n), 1);
	for (int i = 0; i < n; i++)
		s += w[i];
	check("dsyev", info ? 1e9 : fabs(s - tr), 1e-10 * n);
	free(a);
	free(w);
	free(work);
}

int main(void)
{
	int64_t flops = 0, calls = 0;

	/* Level 3, CBLAS: transposes, beta 0 and not, a degenerate m */
	do_dgemm(CblasNoTrans, CblasNoTrans, 64, 48, 32, 1.0, 0.0);
	do_dgemm(CblasTrans, CblasNoTrans, 17, 33, 65, -0.5, 1.0);
	do_dgemm(CblasNoTrans, CblasTrans, 1, 100, 7, 2.0, 0.25);
	/* Fortran */
	do_sgemm('N', 'N', 40, 30, 20);
	do_sgemm('T', 'T', 5, 6, 7);
	/* complex: 8mnk */
	do_zgemm(12, 10, 8);
	do_zgemm(3, 5, 7);
	/* Level 2 and 1 */
	do_dgemv(CblasNoTrans, 100, 80);
	do_dgemv(CblasTrans, 100, 80);
	do_ddot(1000, 1);
	do_ddot(77, 3);
	do_ddot(1, 1);
	do_daxpy(500, 1);
	do_daxpy(300, 2);
	do_dtrsm(CblasLeft, CblasLower, 40, 30);
	do_dtrsm(CblasRight, CblasUpper, 20, 25);
	/* LAPACK: LAPACKE, Fortran, a workspace query, an estimate */
	do_lapacke_dgesv(100, 3);
	do_dgetrf(120, 80);
	do_dgetrf(50, 70);
	do_dpotrf(60);
	do_dgeqrf(150, 100);
	do_dsyev(50);

	for (int i = 0; i < nops; i++) {
		printf("expect %s %" PRId64 " %" PRId64 "\n", ops[i].op, ops[i].flops,
		       ops[i].calls);
		printf("iface %s %s\n", ops[i].op, ops[i].iface);
		if (ops[i].estimated)
			printf("estimated %s\n", ops[i].op);
		flops += ops[i].flops;
		calls += ops[i].calls;
	}
	printf("expect_total %" PRId64 " %" PRId64 "\n", flops, calls);
	return failed;
}
