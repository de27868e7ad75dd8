/*
 * nnls.c - Lawson-Hanson active-set NNLS on top of GSL least squares.
 *
 * The passive set P holds the coefficients free to be positive; the rest
 * are held at zero.  Each outer step moves into P the coefficient whose
 * gradient w = A^T (b - A x) most wants to grow, solves the unconstrained
 * problem on P, and while that solution has a coefficient <= 0 steps back
 * towards the previous (feasible) x until one reaches zero and leaves P.
 * It stops when no coefficient outside P has a positive gradient: the
 * Karush-Kuhn-Tucker conditions of the constrained problem.
 *
 * Only the algorithm is ours; the linear algebra is GSL's (a QR
 * decomposition that reduces a tall problem to a square one, BLAS level 2
 * for the gradient, a truncated SVD for each sub-problem).
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multifit.h>

#include "nnls.h"

/* Singular values below this fraction of the largest are treated as zero:
 * the columns are unit-norm, so this is a relative condition number. */
#define TSVD_TOL 1e-12

/*
 * Unconstrained least squares on the passive columns; s is zero
 * elsewhere.  GSL's SVD wants at least as many rows as columns (with
 * fewer it returns zeros and success): zero rows change no solution,
 * so an underdetermined set is padded with them.
 */
static int solve_passive(const gsl_matrix *A, const gsl_vector *b, const char *passive,
			 gsl_vector *s)
{
	size_t m = A->size1, n = A->size2, k = 0, col = 0, rank;
	gsl_multifit_linear_workspace *w = NULL;
	gsl_matrix *X = NULL, *cov = NULL;
	gsl_vector *y = NULL, *c = NULL;
	double chisq;
	int ret = -ENOMEM;

	gsl_vector_set_zero(s);
	for (size_t j = 0; j < n; j++)
		k += passive[j] != 0;
	if (k == 0)
		return 0;
	size_t rows = m > k ? m : k;

	X = gsl_matrix_calloc(rows, k);
	y = gsl_vector_calloc(rows);
	c = gsl_vector_alloc(k);
	cov = gsl_matrix_alloc(k, k);
	w = gsl_multifit_linear_alloc(rows, k);
	if (!X || !y || !c || !cov || !w)
		goto out;
	for (size_t j = 0; j < n; j++) {
		if (!passive[j])
			continue;
		gsl_vector_const_view from = gsl_matrix_const_column(A, j);
		gsl_vector_view to = gsl_matrix_subcolumn(X, col++, 0, m);

		gsl_vector_memcpy(&to.vector, &from.vector);
	}
	gsl_vector_view yv = gsl_vector_subvector(y, 0, m);

	gsl_vector_memcpy(&yv.vector, b);
	if (gsl_multifit_linear_tsvd(X, y, TSVD_TOL, c, cov, &chisq, &rank, w)) {
		ret = -EINVAL;
		goto out;
	}
	col = 0;
	for (size_t j = 0; j < n; j++)
		if (passive[j])
			gsl_vector_set(s, j, gsl_vector_get(c, col++));
	ret = 0;
out:
	if (w)
		gsl_multifit_linear_free(w);
	if (X)
		gsl_matrix_free(X);
	if (cov)
		gsl_matrix_free(cov);
	if (y)
		gsl_vector_free(y);
	if (c)
		gsl_vector_free(c);
	return ret;
}

static int lawson_hanson(const gsl_matrix *A, const gsl_vector *b, const char *usable,
			 double tol, gsl_vector *x)
{
	size_t m = A->size1, n = A->size2, outer = 0;
	gsl_vector *s = gsl_vector_alloc(n), *w = gsl_vector_alloc(n), *r = gsl_vector_alloc(m);
	char *passive = calloc(n, 1), *banned = calloc(n, 1);
	int ret = -ENOMEM;

	if (!s || !w || !r || !passive || !banned)
		goto out;
	gsl_vector_set_zero(x);
	for (;;) {
		ssize_t t = -1;
		double wmax = tol;

		/* w = A^T (b - A x) */
		gsl_vector_memcpy(r, b);
		gsl_blas_dgemv(CblasNoTrans, -1.0, A, x, 1.0, r);
		gsl_blas_dgemv(CblasTrans, 1.0, A, r, 0.0, w);
		for (size_t j = 0; j < n; j++)
			if (!passive[j] && usable[j] && !banned[j] && gsl_vector_get(w, j) > wmax) {
				wmax = gsl_vector_get(w, j);
				t = (ssize_t)j;
			}
		if (t < 0) {
			ret = 0;
			break;
		}
		if (++outer > 3 * n) {
			ret = -ERANGE;
			break;
		}
		passive[t] = 1;
		for (int first = 1;; first = 0) {
			double alpha = INFINITY;
			ssize_t jmin = -1;

			ret = solve_passive(A, b, passive, s);
			if (ret < 0)
				goto out;
			/*
			 * In exact arithmetic the entering coefficient is
			 * positive; when rounding says otherwise, it cannot
			 * enter until x moves (else the loop would cycle).
			 */
			if (first && gsl_vector_get(s, t) <= 0) {
				passive[t] = 0;
				banned[t] = 1;
				break;
			}
			for (size_t j = 0; j < n; j++) {
				double sj = gsl_vector_get(s, j), xj = gsl_vector_get(x, j);

				if (passive[j] && sj <= 0 && xj / (xj - sj) < alpha) {
					alpha = xj / (xj - sj);
					jmin = (ssize_t)j;
				}
			}
			if (jmin < 0) {		/* feasible: accept it */
				gsl_vector_memcpy(x, s);
				memset(banned, 0, n);
				break;
			}
			/* as far towards s as stays feasible; who hits zero leaves */
			for (size_t j = 0; j < n; j++) {
				double xj = gsl_vector_get(x, j);

				if (!passive[j])
					continue;
				xj += alpha * (gsl_vector_get(s, j) - xj);
				if ((ssize_t)j == jmin || xj <= tol) {
					xj = 0;
					passive[j] = 0;
				}
				gsl_vector_set(x, j, xj);
			}
			memset(banned, 0, n);
		}
	}
out:
	if (s)
		gsl_vector_free(s);
	if (w)
		gsl_vector_free(w);
	if (r)
		gsl_vector_free(r);
	free(passive);
	free(banned);
	return ret;
}

/*
 * With A = QR, ||Ax - b||^2 = ||Rx - Q^T b||^2 + a constant: the same
 * problem with n rows instead of m.  Every sub-problem then costs n^3
 * instead of m n^2, which matters for traces of hours at 100 Hz.
 */
static int compress(gsl_matrix **A, gsl_vector **b)
{
	size_t n = (*A)->size2;
	gsl_vector *tau = gsl_vector_alloc(n);
	gsl_matrix *R = gsl_matrix_calloc(n, n);
	gsl_vector *c = gsl_vector_alloc(n);
	int ret = -ENOMEM;

	if (!tau || !R || !c)
		goto out;
	ret = -EINVAL;
	if (gsl_linalg_QR_decomp(*A, tau) || gsl_linalg_QR_QTvec(*A, tau, *b))
		goto out;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i; j < n; j++)
			gsl_matrix_set(R, i, j, gsl_matrix_get(*A, i, j));
		gsl_vector_set(c, i, gsl_vector_get(*b, i));
	}
	gsl_matrix_free(*A);
	gsl_vector_free(*b);
	*A = R;
	*b = c;
	R = NULL;
	c = NULL;
	ret = 0;
out:
	if (tau)
		gsl_vector_free(tau);
	if (R)
		gsl_matrix_free(R);
	if (c)
		gsl_vector_free(c);
	return ret;
}

int opc_nnls(const gsl_matrix *A, const gsl_vector *b, gsl_vector *x, double *rnorm)
{
	size_t m = A->size1, n = A->size2;
	gsl_error_handler_t *old;
	gsl_matrix *As = NULL;
	gsl_vector *bs = NULL, *r = NULL;
	double *scale = NULL, bn;
	char *usable = NULL;
	int ret = -ENOMEM;

	if (b->size != m || x->size != n || m == 0 || n == 0)
		return -EINVAL;
	for (size_t i = 0; i < m; i++) {
		if (!isfinite(gsl_vector_get(b, i)))
			return -EINVAL;
		for (size_t j = 0; j < n; j++)
			if (!isfinite(gsl_matrix_get(A, i, j)))
				return -EINVAL;
	}
	/* GSL's default handler aborts the process; we report instead */
	old = gsl_set_error_handler_off();
	As = gsl_matrix_alloc(m, n);
	bs = gsl_vector_alloc(m);
	r = gsl_vector_alloc(m);
	scale = calloc(n, sizeof(*scale));
	usable = calloc(n, 1);
	if (!As || !bs || !r || !scale || !usable)
		goto out;
	gsl_matrix_memcpy(As, A);
	gsl_vector_memcpy(bs, b);
	for (size_t j = 0; j < n; j++) {
		gsl_vector_view c = gsl_matrix_column(As, j);

		scale[j] = gsl_blas_dnrm2(&c.vector);
		usable[j] = scale[j] > 0;
		if (usable[j])
			gsl_vector_scale(&c.vector, 1.0 / scale[j]);
	}
	bn = gsl_blas_dnrm2(bs);
	gsl_vector_set_zero(x);
	if (bn > 0) {
		gsl_vector_scale(bs, 1.0 / bn);
		if (m > n) {
			ret = compress(&As, &bs);
			if (ret < 0)
				goto out;
		}
		/* ||A||_2 <= sqrt(n) with unit columns, ||b|| = 1 */
		ret = lawson_hanson(As, bs, usable,
				    10 * DBL_EPSILON * sqrt((double)n) * (double)(m > n ? m : n), x);
		if (ret < 0 && ret != -ERANGE)
			goto out;
		for (size_t j = 0; j < n; j++)
			gsl_vector_set(x, j, usable[j] ? gsl_vector_get(x, j) * bn / scale[j] : 0);
	} else {
		ret = 0;
	}
	if (rnorm) {
		gsl_vector_memcpy(r, b);
		gsl_blas_dgemv(CblasNoTrans, -1.0, A, x, 1.0, r);
		*rnorm = gsl_blas_dnrm2(r);
	}
out:
	gsl_set_error_handler(old);
	if (As)
		gsl_matrix_free(As);
	if (bs)
		gsl_vector_free(bs);
	if (r)
		gsl_vector_free(r);
	free(scale);
	free(usable);
	return ret;
}
