/*
 * late_helper.c - the shared object that tests/progs/late_load.c opens with
 * dlopen, built by late_load.sh and late_reload.sh against libopenblas.
 *
 * It calls cblas_dgemm, dgemm_ and cblas_ddot through its PLT: the calls
 * the library must intercept although libopenblas arrives with this object.
 */
#include <cblas.h>
#include <stdlib.h>

void dgemm_(const char *, const char *, const int *, const int *, const int *,
	    const double *, const double *, const int *, const double *, const int *,
	    const double *, double *, const int *, size_t, size_t);

__attribute__((visibility("default")))
void late_helper_run(int m, int n, int k, int times, double *out)
{
	double *a = calloc((size_t)m * k, sizeof(double));
	double *b = calloc((size_t)k * n, sizeof(double));
	double *c = calloc((size_t)m * n, sizeof(double));
	double one = 1.0, zero = 0.0;
	int i;

	for (i = 0; i < m * k; i++)
		a[i] = (i % 5) * 0.5;
	for (i = 0; i < k * n; i++)
		b[i] = (i % 3) * 0.25;
	for (i = 0; i < times; i++)
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, a, k,
			    b, n, 0.0, c, n);
	*out = c[m * n - 1];
	dgemm_("N", "N", &m, &n, &k, &one, a, &m, b, &k, &zero, c, &m, 1, 1);
	*out += c[0] + cblas_ddot(k, a, 1, b, 1);
	free(a);
	free(b);
	free(c);
}
