/*
 * nnls.h - non-negative least squares: min ||A x - b||_2 subject to x >= 0.
 *
 * Lawson and Hanson's active-set algorithm (Solving Least Squares
 * Problems, 1974, chapter 23), with every unconstrained sub-problem
 * solved by GSL (gsl_multifit_linear_tsvd: SVD, rank-deficient sets of
 * columns get the minimum-norm solution).  Columns are scaled to unit
 * norm inside, so coefficients of features that differ by twenty orders
 * of magnitude (J per FLOP next to watts) are found as easily as any.
 */
#ifndef OPC_NNLS_H
#define OPC_NNLS_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

/*
 * A is m x n (any m >= 1, n >= 1), b has m elements, x has n and receives
 * the solution; an all-zero column gets 0.  rnorm (may be NULL) receives
 * ||A x - b||_2.  Returns 0; -EINVAL for mismatched sizes or non-finite
 * input; -ENOMEM; -ERANGE when the iteration limit (3n outer steps) was
 * reached, which leaves a feasible but possibly not optimal x.
 */
int opc_nnls(const gsl_matrix *A, const gsl_vector *b, gsl_vector *x, double *rnorm);

#endif
