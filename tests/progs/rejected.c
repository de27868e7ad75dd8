/*
 * rejected.c - calls the BLAS and LAPACK refuse, next to calls they accept.
 *
 *   rejected [all|valid|cblas|fortran|lapack]
 *
 * all (the default) makes the valid calls and, between them, calls whose
 * arguments the library's own checks refuse (lda < m, a bad trans letter,
 * n < 0, a bad layout, incx = 0, LAPACK info < 0, LAPACKE returning -5),
 * through CBLAS, Fortran 77 and LAPACKE; valid makes the valid calls only,
 * from the same call sites.  For each refused call it prints
 *
 *   rejected OP CALLS     OP as `opcount report --by op` names it
 *
 * and `rejected_total CALLS`; a refused call's own result (info, the
 * LAPACKE value) is printed too, so that a wrapper that changed it shows.
 * Nothing printed depends on the preload library: stdout and stderr (the
 * library's xerbla messages) are the same with and without it.
 *
 * cblas, fortran, lapack: one valid dgemm, then one refused call through
 * that interface, for a BLAS whose xerbla may end the program (the
 * reference CBLAS's calls exit(-1)): the refused call must be counted all
 * the same.
 */
#include <cblas.h>
#include <lapacke.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dgemm_(const char *ta, const char *tb, const int *m, const int *n,
	    const int *k, const double *alpha, const double *a, const int *lda,
	    const double *b, const int *ldb, const double *beta, double *c,
	    const int *ldc, size_t lta, size_t ltb);
void dgesv_(const int *n, const int *nrhs, double *a, const int *lda,
	    int *ipiv, double *b, const int *ldb, int *info);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda,
	     int *info, size_t luplo);
void dgeqrf_(const int *m, const int *n, double *a, const int *lda,
	     double *tau, double *work, const int *lwork, int *info);

#define N 8

static double a[N * N], b[N * N], c[N * N], work[4 * N * N];
static int ipiv[N];
static int all;
static int nrej;

/* Counts one refused call of op, made only in mode all. */
static int refuse(const char *op)
{
	if (all) {
		printf("rejected %s 1\n", op);
		nrej++;
	}
	fflush(stdout);
	return all;
}

static void fill(void)
{
	/* diagonally dominant, symmetric: every solve and factorisation works */
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++)
			a[i * N + j] = i == j ? 2.0 * N : 1.0 / (1 + i + j);
	for (int i = 0; i < N * N; i++)
		b[i] = 1.0 + i % 7;
}

static void one_then_refused(const char *how)
{
	int n = N, lda = N / 2, info = 0;
	double one = 1.0;

	all = 1;
	cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1, a, N, b, N, 0, c, N);
	fill();
	if (!strcmp(how, "cblas") && refuse("dgemm"))
		cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1, a, N / 2, b, N,
			    0, c, N);
	if (!strcmp(how, "fortran") && refuse("dgemm"))
		dgemm_("N", "N", &n, &n, &n, &one, a, &lda, b, &n, &one, c, &n, 1, 1);
	if (!strcmp(how, "lapack") && refuse("dgesv"))
		dgesv_(&n, &n, a, &lda, ipiv, b, &n, &info);
	printf("returned: info %d\n", info);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "all";
	int n = N, lda = N, small = N / 2, neg = -1, one_i = 1, lwork = -1, info;
	double one = 1.0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fill();
	if (strcmp(mode, "all") && strcmp(mode, "valid")) {
		one_then_refused(mode);
		return 0;
	}
	all = !strcmp(mode, "all");

	/* CBLAS: one site, accepted and refused (lda < m) in turn */
	for (int i = 0; i < 4; i++) {
		int ld = i % 2 ? N / 2 : N;

		if (ld == N || refuse("dgemm"))
			cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1, a, ld, b, N,
				    0, c, N);
	}
	if (refuse("dgemm"))	/* no such transposition */
		cblas_dgemm(CblasColMajor, (CBLAS_TRANSPOSE)200, CblasNoTrans, N, N, N, 1, a, N,
			    b, N, 0, c, N);
	if (refuse("dgemm"))	/* n < 0 */
		cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, N, -1, N, 1, a, N, b, N, 0,
			    c, N);
	if (refuse("dgemm"))	/* no such layout */
		cblas_dgemm((CBLAS_ORDER)77, CblasNoTrans, CblasNoTrans, N, N, N, 1, a, N, b, N, 0,
			    c, N);
	cblas_dgemv(CblasColMajor, CblasNoTrans, N, N, 1, a, N, b, 1, 0, c, 1);
	if (refuse("dgemv"))	/* incx = 0 */
		cblas_dgemv(CblasColMajor, CblasNoTrans, N, N, 1, a, N, b, 0, 0, c, 1);

	/* Fortran 77 */
	dgemm_("N", "T", &n, &n, &n, &one, a, &lda, b, &n, &one, c, &n, 1, 1);
	if (refuse("dgemm"))	/* lda < m */
		dgemm_("N", "N", &n, &n, &n, &one, a, &small, b, &n, &one, c, &n, 1, 1);
	if (refuse("dgemm"))	/* no such transposition */
		dgemm_("X", "N", &n, &n, &n, &one, a, &lda, b, &n, &one, c, &n, 1, 1);
	if (refuse("dgemm"))	/* k < 0 */
		dgemm_("N", "N", &n, &n, &neg, &one, a, &lda, b, &n, &one, c, &n, 1, 1);
	dgesv_(&n, &one_i, a, &lda, ipiv, b, &n, &info);
	printf("dgesv_ info %d\n", info);
	fill();
	if (refuse("dgesv")) {	/* lda < n */
		dgesv_(&n, &one_i, a, &small, ipiv, b, &n, &info);
		printf("dgesv_ info %d\n", info);
	}
	dpotrf_("L", &n, a, &lda, &info, 1);
	printf("dpotrf_ info %d\n", info);
	fill();
	if (refuse("dpotrf")) {	/* no such triangle */
		dpotrf_("X", &n, a, &lda, &info, 1);
		printf("dpotrf_ info %d\n", info);
	}
	/* a workspace query is not a refusal */
	dgeqrf_(&n, &n, a, &lda, work, work, &lwork, &info);
	printf("dgeqrf_ query info %d\n", info);

	/* LAPACKE: refused by LAPACK underneath (-5), by LAPACKE itself */
	info = LAPACKE_dgesv(LAPACK_COL_MAJOR, N, 1, a, N, ipiv, b, N);
	printf("LAPACKE_dgesv %d\n", info);
	fill();
	if (refuse("dgesv"))	/* lda < n, column major: dgesv_ says -4 */
		printf("LAPACKE_dgesv %d\n", LAPACKE_dgesv(LAPACK_COL_MAJOR, N, 1, a, N / 2, ipiv,
							      b, N));
	if (refuse("dgesv"))	/* ldb < nrhs, row major: LAPACKE's own check */
		printf("LAPACKE_dgesv %d\n", LAPACKE_dgesv(LAPACK_ROW_MAJOR, N, 2, a, N, ipiv,
							      b, 1));
	if (refuse("dgesv"))	/* no such layout */
		printf("LAPACKE_dgesv %d\n", LAPACKE_dgesv(99, N, 1, a, N, ipiv, b, N));
	info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', N, a, N);
	printf("LAPACKE_dpotrf %d\n", info);
	printf("rejected_total %d\n", nrej);
	return 0;
}
