/*
 * common.h - what examples/mlp.c and examples/cnn.c share: a seeded PRNG,
 * an allocator that exits, the counted GEMM, the softmax cross-entropy,
 * the parsing of --lr and --seed, and the summary lines they print.  Header-only, so that each example still
 * builds from its one .c file with the command at its top.
 *
 * Define EXAMPLE_NAME, the program's name for its messages, before
 * including this.
 */
#ifndef OPCOUNT_EXAMPLES_COMMON_H
#define OPCOUNT_EXAMPLES_COMMON_H

#include <cblas.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct rng {
	uint64_t s;
};

/* sgemm calls issued by gemm(), checked against the closed form. */
static uint64_t gemm_calls;

/* splitmix64: tiny, and the same stream on every platform and libc. */
static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi); 24 bits are all a float can hold. */
static float rng_uniform(struct rng *r, float lo, float hi)
{
	return lo + (hi - lo) * (float)(rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL) {
		fprintf(stderr, EXAMPLE_NAME ": out of memory (%zu x %zu bytes)\n",
			n, size);
		exit(1);
	}
	return p;
}

/*
 * Every GEMM goes through here so that the count is taken from the very
 * arguments BLAS receives, not from a second description that could drift.
 */
static void gemm(uint64_t *flops, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb,
		 int m, int n, int k, const float *a, int lda,
		 const float *b, int ldb, float beta, float *c, int ldc)
{
	cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb,
		    beta, c, ldc);
	*flops += 2 * (uint64_t)m * (uint64_t)n * (uint64_t)k;
	gemm_calls++;
}

/*
 * Mean softmax cross-entropy over the batch.  Writes dLoss/dlogits into
 * grad, already divided by b so that the weight gradients are means and
 * the learning rate does not depend on the batch size.
 */
static double softmax_xent(const float *logits, const int *label, int b,
			   int classes, float *grad)
{
	double loss = 0.0;
	int i, c;

	for (i = 0; i < b; i++) {
		const float *z = logits + (size_t)i * classes;
		float *g = grad + (size_t)i * classes;
		float max = z[0], sum = 0.0f;

		/* Subtracting the max keeps expf() from overflowing. */
		for (c = 1; c < classes; c++)
			if (z[c] > max)
				max = z[c];
		for (c = 0; c < classes; c++) {
			g[c] = expf(z[c] - max);
			sum += g[c];
		}
		for (c = 0; c < classes; c++)
			g[c] /= sum;
		loss -= log((double)g[label[i]] + 1e-30);
		g[label[i]] -= 1.0f;
		for (c = 0; c < classes; c++)
			g[c] /= (float)b;
	}
	return loss / b;
}

/* --lr: a positive number. */
static int parse_lr(const char *arg, float *lr)
{
	char *end;

	errno = 0;
	*lr = strtof(arg, &end);
	if (errno || end == arg || *end || !(*lr > 0.0f)) {
		fprintf(stderr, EXAMPLE_NAME ": --lr: expected a positive number, got '%s'\n",
			arg);
		return -EINVAL;
	}
	return 0;
}

/* --seed: any integer strtoull reads (decimal, 0x hex or 0 octal). */
static int parse_seed(const char *arg, uint64_t *seed)
{
	char *end;

	errno = 0;
	*seed = strtoull(arg, &end, 0);
	if (errno || end == arg || *end) {
		fprintf(stderr, EXAMPLE_NAME ": --seed: expected an integer, got '%s'\n",
			arg);
		return -EINVAL;
	}
	return 0;
}

/*
 * The summary every example ends with, in the form that the tests and
 * seed_study.sh read: the FLOPs and sgemm calls the program issued, and
 * the last epoch's mean loss.  Per-layer lines follow it.
 */
static void print_totals(uint64_t flops, double loss)
{
	printf("analytic_flops %" PRIu64 "\n", flops);
	printf("analytic_gemm_calls %" PRIu64 "\n", gemm_calls);
	printf("final_loss %.6f\n", loss);
}

#endif
