/*
 * cnn.c - a small convolutional network trained with SGD, as a workload
 * whose FLOPs are known exactly.
 *
 * The task is synthetic and deterministic: each image has a bright
 * Gaussian blob, on a noisy background, placed inside one of the four
 * quadrants; the label is the quadrant.  The network is
 *
 *   conv1 (Conv2d, stride 1, padding kernel/2) + ReLU
 *   pool1 (MaxPool2d 2x2, stride 2, odd edge dropped)
 *   fc1   (Linear, flattened pool output -> 4 classes)
 *
 * with softmax cross-entropy.  Shapes: C channels, S x S images, F filters
 * of K x K, O x O conv output (O = S + 2*(K/2) - K + 1), P = O/2 pooled,
 * Q = C*K*K rows of the im2col matrix, H = F*P*P features.
 *
 * The convolution runs im2col and one sgemm *per image*, as Caffe does:
 * it is the classic shape of a CPU convolution and makes the profiler see
 * many small calls.  For each image of a batch:
 *
 *   forward   Y   = Wc col         sgemm m=F n=O*O k=Q
 *   backward  dWc += dY col^T      sgemm m=F n=Q   k=O*O
 *             dcol = Wc^T dY       sgemm m=Q n=O*O k=F, then col2im
 *
 * and once per batch of b images for fc1:
 *
 *   forward   Z  = Hb Wf^T         sgemm m=b n=4 k=H
 *   backward  dWf = dZ^T Hb        sgemm m=4 n=H k=b
 *             dHb = dZ Wf          sgemm m=b n=H k=4
 *
 * conv1 is the first layer, so nothing needs its input gradient; it is
 * computed anyway (dcol and col2im) so that the conv backward has the full
 * shape it has anywhere deeper in a network.  --no-input-grad skips it,
 * as a framework would.
 *
 * Bias, ReLU, pooling, the loss and the SGD step are plain C loops, so
 * cblas_sgemm is the only BLAS routine called and the FLOP count is exactly
 * the sum of 2*m*n*k over the calls.  The program sums that as it issues
 * the calls and checks it against the closed form in cnn_expected() before
 * printing it.
 *
 * The PRNG, the counted gemm(), the softmax cross-entropy, the parsing of
 * --lr and --seed and the summary lines are in examples/common.h, shared
 * with mlp.c.
 *
 * Build: gcc -O2 -Wall -Wextra -Iinclude examples/cnn.c -o cnn -lopenblas -lm
 */
#define _GNU_SOURCE
#include <cblas.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opcount.h"
#define EXAMPLE_NAME "cnn"
#include "common.h"

#define NCLASSES 4

struct cnn_opts {
	int channels;
	int filters;
	int kernel;
	int image;
	int samples;
	int epochs;
	int batch;
	int infer;
	int input_grad;
	int quiet;
	float lr;
	uint64_t seed;
};

/* Derived shapes, named as in the comment at the top. */
struct shape {
	int c, s, f, k, pad, o, p, q, h;
	int oo;			/* O*O, columns of the im2col matrix */
	int img;		/* C*S*S, floats per input image */
};

struct cnn {
	struct shape sh;
	int rows;		/* most images a batch can hold */
	float *wc, *bc, *dwc, *dbc;	/* F x Q, F */
	float *wf, *bf, *dwf, *dbf;	/* 4 x H, 4 */
	float *col;		/* rows x Q x OO, kept for dWc */
	float *y;		/* rows x F x OO, conv output after ReLU */
	int *argmax;		/* rows x H, index into the image's F x OO */
	float *hb;		/* rows x H, pooled and flattened */
	float *z;		/* rows x 4 logits */
	float *dz;		/* rows x 4 */
	float *dhb;		/* rows x H */
	float *dy;		/* rows x F x OO */
	float *dcol;		/* Q x OO, one image at a time */
	float *dx;		/* C x S x S, one image at a time */
	uint64_t conv_flops, fc_flops;
};

static int shape_init(struct shape *sh, const struct cnn_opts *o)
{
	sh->c = o->channels;
	sh->s = o->image;
	sh->f = o->filters;
	sh->k = o->kernel;
	sh->pad = o->kernel / 2;
	sh->o = sh->s + 2 * sh->pad - sh->k + 1;
	sh->p = sh->o / 2;
	sh->q = sh->c * sh->k * sh->k;
	sh->h = sh->f * sh->p * sh->p;
	sh->oo = sh->o * sh->o;
	sh->img = sh->c * sh->s * sh->s;
	if (sh->k > sh->s || sh->p < 1) {
		fprintf(stderr, "cnn: a %dx%d kernel on %dx%d images leaves nothing to pool\n",
			sh->k, sh->k, sh->s, sh->s);
		return -EINVAL;
	}
	return 0;
}

/*
 * Lay the K x K patch under every output pixel out as a column, so that
 * the convolution becomes one matrix product.  Row (c, ki, kj), column
 * (oy, ox); taps that fall in the padding read zero.
 */
static void im2col(const struct shape *sh, const float *x, float *col)
{
	int r, oy, ox;

	for (r = 0; r < sh->q; r++) {
		int c = r / (sh->k * sh->k), ki = r / sh->k % sh->k, kj = r % sh->k;
		const float *plane = x + (size_t)c * sh->s * sh->s;
		float *row = col + (size_t)r * sh->oo;

		for (oy = 0; oy < sh->o; oy++) {
			int iy = oy + ki - sh->pad;

			for (ox = 0; ox < sh->o; ox++) {
				int ix = ox + kj - sh->pad;
				int in = iy >= 0 && iy < sh->s && ix >= 0 && ix < sh->s;

				row[oy * sh->o + ox] = in ? plane[iy * sh->s + ix] : 0.0f;
			}
		}
	}
}

/* The adjoint of im2col: a pixel under several patches sums their
 * gradients. */
static void col2im(const struct shape *sh, const float *col, float *x)
{
	int r, oy, ox;

	memset(x, 0, (size_t)sh->img * sizeof(float));
	for (r = 0; r < sh->q; r++) {
		int c = r / (sh->k * sh->k), ki = r / sh->k % sh->k, kj = r % sh->k;
		float *plane = x + (size_t)c * sh->s * sh->s;
		const float *row = col + (size_t)r * sh->oo;

		for (oy = 0; oy < sh->o; oy++) {
			int iy = oy + ki - sh->pad;

			if (iy < 0 || iy >= sh->s)
				continue;
			for (ox = 0; ox < sh->o; ox++) {
				int ix = ox + kj - sh->pad;

				if (ix >= 0 && ix < sh->s)
					plane[iy * sh->s + ix] += row[oy * sh->o + ox];
			}
		}
	}
}

static void cnn_init(struct cnn *n, const struct shape *sh, int rows,
		     struct rng *r)
{
	/* He initialisation: the fan-in of a conv filter is its Q taps. */
	float bc = sqrtf(6.0f / (float)sh->q);
	float bf = sqrtf(6.0f / (float)sh->h);
	int i;

	n->sh = *sh;
	n->rows = rows;
	n->wc = xcalloc((size_t)sh->f * sh->q, sizeof(float));
	n->dwc = xcalloc((size_t)sh->f * sh->q, sizeof(float));
	n->bc = xcalloc(sh->f, sizeof(float));
	n->dbc = xcalloc(sh->f, sizeof(float));
	n->wf = xcalloc((size_t)NCLASSES * sh->h, sizeof(float));
	n->dwf = xcalloc((size_t)NCLASSES * sh->h, sizeof(float));
	n->bf = xcalloc(NCLASSES, sizeof(float));
	n->dbf = xcalloc(NCLASSES, sizeof(float));
	n->col = xcalloc((size_t)rows * sh->q * sh->oo, sizeof(float));
	n->y = xcalloc((size_t)rows * sh->f * sh->oo, sizeof(float));
	n->argmax = xcalloc((size_t)rows * sh->h, sizeof(int));
	n->hb = xcalloc((size_t)rows * sh->h, sizeof(float));
	n->z = xcalloc((size_t)rows * NCLASSES, sizeof(float));
	n->dz = xcalloc((size_t)rows * NCLASSES, sizeof(float));
	n->dhb = xcalloc((size_t)rows * sh->h, sizeof(float));
	n->dy = xcalloc((size_t)rows * sh->f * sh->oo, sizeof(float));
	n->dcol = xcalloc((size_t)sh->q * sh->oo, sizeof(float));
	n->dx = xcalloc(sh->img, sizeof(float));

	for (i = 0; i < sh->f * sh->q; i++)
		n->wc[i] = rng_uniform(r, -bc, bc);
	for (i = 0; i < NCLASSES * sh->h; i++)
		n->wf[i] = rng_uniform(r, -bf, bf);
}

static void cnn_free(struct cnn *n)
{
	free(n->wc); free(n->dwc); free(n->bc); free(n->dbc);
	free(n->wf); free(n->dwf); free(n->bf); free(n->dbf);
	free(n->col); free(n->y); free(n->argmax); free(n->hb);
	free(n->z); free(n->dz); free(n->dhb); free(n->dy);
	free(n->dcol); free(n->dx);
}

/*
 * The blob's centre is drawn inside the chosen quadrant with a margin, so
 * that the label is never ambiguous; each channel sees it at its own
 * brightness so that more channels are not merely copies.
 */
static void make_data(const struct shape *sh, int samples, struct rng *r,
		      float *x, int *label)
{
	float half = sh->s / 2.0f;
	float sigma = sh->s / 10.0f + 0.5f;
	int n, c, i, j;

	for (n = 0; n < samples; n++) {
		float *img = x + (size_t)n * sh->img;
		int quad = (int)(rng_next(r) >> 62);
		float cy = rng_uniform(r, 0.25f, 0.75f) * half + (quad >> 1) * half;
		float cx = rng_uniform(r, 0.25f, 0.75f) * half + (quad & 1) * half;

		label[n] = quad;
		for (c = 0; c < sh->c; c++) {
			float amp = rng_uniform(r, 0.5f, 1.0f);

			for (i = 0; i < sh->s; i++)
				for (j = 0; j < sh->s; j++) {
					float dy = i + 0.5f - cy, dx = j + 0.5f - cx;

					img[((size_t)c * sh->s + i) * sh->s + j] =
						amp * expf(-(dx * dx + dy * dy) /
							   (2.0f * sigma * sigma)) +
						rng_uniform(r, 0.0f, 0.3f);
				}
		}
	}
}

static void forward(struct cnn *n, const float *x, int b)
{
	const struct shape *sh = &n->sh;
	int i, f, j, py, px;

	opcount_layer_push("conv1", "Conv2d");
	for (i = 0; i < b; i++) {
		float *col = n->col + (size_t)i * sh->q * sh->oo;
		float *y = n->y + (size_t)i * sh->f * sh->oo;

		im2col(sh, x + (size_t)i * sh->img, col);
		gemm(&n->conv_flops, CblasNoTrans, CblasNoTrans, sh->f, sh->oo,
		     sh->q, n->wc, sh->q, col, sh->oo, 0.0f, y, sh->oo);
		for (f = 0; f < sh->f; f++)
			for (j = 0; j < sh->oo; j++) {
				float v = y[f * sh->oo + j] + n->bc[f];

				y[f * sh->oo + j] = v > 0.0f ? v : 0.0f;
			}
	}
	opcount_layer_pop();

	/* No BLAS here, but annotated so that its time shows up as a layer
	 * of its own instead of being charged to a neighbour. */
	opcount_layer_push("pool1", "MaxPool2d");
	for (i = 0; i < b; i++) {
		const float *y = n->y + (size_t)i * sh->f * sh->oo;
		float *h = n->hb + (size_t)i * sh->h;
		int *am = n->argmax + (size_t)i * sh->h;

		for (f = 0; f < sh->f; f++)
			for (py = 0; py < sh->p; py++)
				for (px = 0; px < sh->p; px++) {
					int base = f * sh->oo + 2 * py * sh->o + 2 * px;
					int taps[4] = { base, base + 1, base + sh->o,
							base + sh->o + 1 };
					int best = taps[0], t;
					int out = (f * sh->p + py) * sh->p + px;

					for (t = 1; t < 4; t++)
						if (y[taps[t]] > y[best])
							best = taps[t];
					h[out] = y[best];
					am[out] = best;
				}
	}
	opcount_layer_pop();

	opcount_layer_push("fc1", "Linear");
	gemm(&n->fc_flops, CblasNoTrans, CblasTrans, b, NCLASSES, sh->h,
	     n->hb, sh->h, n->wf, sh->h, 0.0f, n->z, NCLASSES);
	for (i = 0; i < b; i++)
		for (j = 0; j < NCLASSES; j++)
			n->z[i * NCLASSES + j] += n->bf[j];
	opcount_layer_pop();
}

static void sgd(float *w, const float *dw, size_t n, float lr)
{
	size_t i;

	for (i = 0; i < n; i++)
		w[i] -= lr * dw[i];
}

/* n->dz holds dLoss/dlogits on entry. */
static void backward(struct cnn *n, int b, float lr, int input_grad)
{
	const struct shape *sh = &n->sh;
	size_t per_y = (size_t)sh->f * sh->oo;
	size_t k;
	int i, j, f;

	opcount_layer_push("fc1", "Linear");
	gemm(&n->fc_flops, CblasTrans, CblasNoTrans, NCLASSES, sh->h, b,
	     n->dz, NCLASSES, n->hb, sh->h, 0.0f, n->dwf, sh->h);
	/* dHb must use Wf before the update below changes it. */
	gemm(&n->fc_flops, CblasNoTrans, CblasNoTrans, b, sh->h, NCLASSES,
	     n->dz, NCLASSES, n->wf, sh->h, 0.0f, n->dhb, sh->h);
	for (j = 0; j < NCLASSES; j++) {
		n->dbf[j] = 0.0f;
		for (i = 0; i < b; i++)
			n->dbf[j] += n->dz[i * NCLASSES + j];
	}
	sgd(n->wf, n->dwf, (size_t)NCLASSES * sh->h, lr);
	sgd(n->bf, n->dbf, NCLASSES, lr);
	opcount_layer_pop();

	/* Only the tap that won the max receives gradient; the windows do
	 * not overlap, so every other pixel, and the dropped odd edge, get
	 * zero. */
	opcount_layer_push("pool1", "MaxPool2d");
	memset(n->dy, 0, (size_t)b * per_y * sizeof(float));
	for (i = 0; i < b; i++)
		for (j = 0; j < sh->h; j++)
			n->dy[i * per_y + n->argmax[(size_t)i * sh->h + j]] =
				n->dhb[(size_t)i * sh->h + j];
	opcount_layer_pop();

	opcount_layer_push("conv1", "Conv2d");
	/* ReLU passes the gradient where it passed the value. */
	for (k = 0; k < (size_t)b * per_y; k++)
		if (n->y[k] <= 0.0f)
			n->dy[k] = 0.0f;
	for (f = 0; f < sh->f; f++)
		n->dbc[f] = 0.0f;
	for (i = 0; i < b; i++) {
		const float *dy = n->dy + i * per_y;
		const float *col = n->col + (size_t)i * sh->q * sh->oo;

		/* beta = 1 after the first image sums the batch in place. */
		gemm(&n->conv_flops, CblasNoTrans, CblasTrans, sh->f, sh->q,
		     sh->oo, dy, sh->oo, col, sh->oo, i ? 1.0f : 0.0f,
		     n->dwc, sh->q);
		if (input_grad) {
			gemm(&n->conv_flops, CblasTrans, CblasNoTrans, sh->q,
			     sh->oo, sh->f, n->wc, sh->q, dy, sh->oo, 0.0f,
			     n->dcol, sh->oo);
			col2im(sh, n->dcol, n->dx);
		}
		for (f = 0; f < sh->f; f++)
			for (j = 0; j < sh->oo; j++)
				n->dbc[f] += dy[f * sh->oo + j];
	}
	sgd(n->wc, n->dwc, (size_t)sh->f * sh->q, lr);
	sgd(n->bc, n->dbc, sh->f, lr);
	opcount_layer_pop();
}

/*
 * The count derived from the shapes alone.  Every GEMM is linear in the
 * number of images, so the partial last batch just adds its images: the
 * FLOPs depend on the sample count, the number of calls on the number of
 * batches as well.
 */
static void cnn_expected(const struct cnn_opts *o, const struct shape *sh,
			 uint64_t *conv, uint64_t *fc, uint64_t *calls)
{
	uint64_t imgs = (uint64_t)o->epochs * o->samples;
	uint64_t batches = (uint64_t)o->epochs *
			   (((uint64_t)o->samples + o->batch - 1) / o->batch);
	uint64_t conv_per = 2 * (uint64_t)sh->f * sh->oo * sh->q;
	uint64_t fc_per = 2 * (uint64_t)NCLASSES * sh->h;
	uint64_t conv_gemms = o->infer ? 1 : (o->input_grad ? 3 : 2);

	*conv = imgs * conv_per * conv_gemms;
	*fc = imgs * fc_per * (o->infer ? 1 : 3);
	/* Per batch: one conv sgemm per image and one fc sgemm forward;
	 * backward two fc sgemms and one or two conv sgemms per image. */
	*calls = imgs + batches;
	if (!o->infer)
		*calls += 2 * batches + imgs * (conv_gemms - 1);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cnn [options]\n"
		"  -c, --channels C     input channels (default 1)\n"
		"  -f, --filters F      conv filters (default 8)\n"
		"  -k, --kernel K       conv kernel size (default 3)\n"
		"  -S, --image S        image side in pixels (default 12)\n"
		"  -n, --samples N      training images (default 1024)\n"
		"  -e, --epochs E       epochs (default 3)\n"
		"  -b, --batch B        batch size (default 32)\n"
		"  -r, --lr LR          SGD learning rate (default 0.1)\n"
		"  -s, --seed SEED      PRNG seed (default 1)\n"
		"  -I, --infer          forward passes only, no backward or update\n"
		"  -G, --no-input-grad  skip conv1's input gradient (dcol + col2im)\n"
		"  -q, --quiet          no per-epoch lines, only the summary\n"
		"  -h, --help\n");
}

static int parse_int(const char *opt, const char *arg, int min, int max,
		     int *val)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max) {
		fprintf(stderr, "cnn: --%s: expected an integer in [%d, %d], got '%s'\n",
			opt, min, max, arg);
		return -EINVAL;
	}
	*val = (int)v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct cnn_opts *o)
{
	static const struct option longopts[] = {
		{ "channels",      required_argument, NULL, 'c' },
		{ "filters",       required_argument, NULL, 'f' },
		{ "kernel",        required_argument, NULL, 'k' },
		{ "image",         required_argument, NULL, 'S' },
		{ "samples",       required_argument, NULL, 'n' },
		{ "epochs",        required_argument, NULL, 'e' },
		{ "batch",         required_argument, NULL, 'b' },
		{ "lr",            required_argument, NULL, 'r' },
		{ "seed",          required_argument, NULL, 's' },
		{ "infer",         no_argument,       NULL, 'I' },
		{ "no-input-grad", no_argument,       NULL, 'G' },
		{ "quiet",         no_argument,       NULL, 'q' },
		{ "help",          no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, ret = 0;

	/* The image limits keep every index of an image, and of its im2col
	 * matrix, comfortably inside an int. */
	while ((c = getopt_long(argc, argv, "c:f:k:S:n:e:b:r:s:IGqh",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'c': ret = parse_int("channels", optarg, 1, 64, &o->channels); break;
		case 'f': ret = parse_int("filters", optarg, 1, 1024, &o->filters); break;
		case 'k': ret = parse_int("kernel", optarg, 1, 15, &o->kernel); break;
		case 'S': ret = parse_int("image", optarg, 2, 512, &o->image); break;
		case 'n': ret = parse_int("samples", optarg, 1, INT_MAX, &o->samples); break;
		case 'e': ret = parse_int("epochs", optarg, 1, INT_MAX, &o->epochs); break;
		case 'b': ret = parse_int("batch", optarg, 1, INT_MAX, &o->batch); break;
		case 'r': ret = parse_lr(optarg, &o->lr); break;
		case 's': ret = parse_seed(optarg, &o->seed); break;
		case 'I': o->infer = 1; break;
		case 'G': o->input_grad = 0; break;
		case 'q': o->quiet = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
		if (ret)
			return ret;
	}
	if (optind < argc) {
		fprintf(stderr, "cnn: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cnn_opts o = {
		.channels = 1, .filters = 8, .kernel = 3, .image = 12,
		.samples = 1024, .epochs = 3, .batch = 32, .input_grad = 1,
		.lr = 0.1f, .seed = 1,
	};
	struct shape sh;
	struct cnn net;
	struct rng r;
	float *x;
	int *label;
	int rows, e, ret = 0;
	uint64_t conv, fc, calls;
	double loss = 0.0;

	if (parse_opts(argc, argv, &o) || shape_init(&sh, &o))
		return 2;

	/* A batch larger than the data set is one partial batch; buffers
	 * need only hold the images that can actually occur. */
	rows = o.batch < o.samples ? o.batch : o.samples;

	r.s = o.seed;
	x = xcalloc((size_t)o.samples * sh.img, sizeof(float));
	label = xcalloc(o.samples, sizeof(int));
	make_data(&sh, o.samples, &r, x, label);
	memset(&net, 0, sizeof(net));
	cnn_init(&net, &sh, rows, &r);

	for (e = 0; e < o.epochs; e++) {
		double sum = 0.0;
		int start;

		for (start = 0; start < o.samples; start += o.batch) {
			int b = o.samples - start < o.batch ?
				o.samples - start : o.batch;

			forward(&net, x + (size_t)start * sh.img, b);
			sum += b * softmax_xent(net.z, label + start, b,
						NCLASSES, net.dz);
			if (!o.infer)
				backward(&net, b, o.lr, o.input_grad);
		}
		/* The mean over the epoch's forward passes: it lags the
		 * weights by up to an epoch but needs no extra GEMMs. */
		loss = sum / o.samples;
		if (!o.quiet)
			printf("epoch %d loss %.6f\n", e + 1, loss);
	}

	cnn_expected(&o, &sh, &conv, &fc, &calls);
	if (net.conv_flops != conv || net.fc_flops != fc ||
	    gemm_calls != calls) {
		fprintf(stderr, "cnn: issued conv1 %" PRIu64 " fc1 %" PRIu64
			" FLOPs in %" PRIu64 " sgemm calls, closed form says %"
			PRIu64 " %" PRIu64 " in %" PRIu64 "\n",
			net.conv_flops, net.fc_flops, gemm_calls,
			conv, fc, calls);
		ret = 1;
	}

	print_totals(net.conv_flops + net.fc_flops, loss);
	printf("layer_flops conv1 %" PRIu64 "\n", net.conv_flops);
	printf("layer_flops fc1 %" PRIu64 "\n", net.fc_flops);

	cnn_free(&net);
	free(label);
	free(x);
	return ret;
}
