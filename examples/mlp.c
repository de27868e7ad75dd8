/*
 * mlp.c - a multilayer perceptron trained with SGD, as a workload whose
 * FLOPs are known exactly.
 *
 * The task is synthetic and deterministic: inputs uniform in [-1, 1), the
 * label of a sample is the argmax of a fixed random linear map of it.  The
 * classes are linearly separable, so a ReLU network learns them within a
 * few epochs and the loss visibly goes down.
 *
 * Layer l (dense1 .. denseN+1) holds W_l as out x in, row-major, as
 * PyTorch's nn.Linear does.  For a batch of b rows the BLAS work is:
 *
 *   forward   Y  = X W^T      sgemm m=b   n=out k=in
 *   backward  dW = dY^T X     sgemm m=out n=in  k=b
 *             dX = dY W       sgemm m=b   n=in  k=out   (not for dense1)
 *
 * dense1 computes no dX because nothing upstream of it learns.  Bias,
 * activation, softmax cross-entropy and the SGD step are plain C loops, so
 * cblas_sgemm is the only BLAS routine called and the FLOP count is exactly
 * the sum of 2*m*n*k over the calls.  The program sums that as it issues
 * the calls and checks the sum against the closed form in
 * mlp_expected_flops() before printing it.
 *
 * Every BLAS call of a layer, forward and backward, runs inside
 * opcount_layer_push("denseL", "Linear") ... opcount_layer_pop().
 * With --step-region, each batch's whole step (forward, loss, backward and
 * update) also runs inside a region "step" (type "Step"), the one
 * `opcount predict --from-trace TRACE --steps TOTAL` delimits steps by.
 *
 * The PRNG, the counted gemm(), the softmax cross-entropy, the parsing of
 * --lr and --seed and the summary lines are in examples/common.h, shared
 * with cnn.c.
 *
 * Build: gcc -O2 -Wall -Wextra -Iinclude examples/mlp.c -o mlp -lopenblas -lm
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
#define EXAMPLE_NAME "mlp"
#include "common.h"

struct mlp_opts {
	int layers;		/* hidden layers; the net has layers + 1 */
	int width;
	int inputs;
	int outputs;
	int samples;
	int epochs;
	int batch;
	int infer;
	int quiet;
	int step_region;	/* each batch's step in a region "step" */
	float lr;
	uint64_t seed;
};

struct dense {
	char name[24];		/* "dense" and any int fit */
	int in, out;
	float *w;		/* out x in */
	float *b;		/* out */
	float *dw;
	float *db;
	float *y;		/* batch x out, after the activation */
	uint64_t flops;		/* 2mnk summed over the sgemm calls issued */
};

static void dense_init(struct dense *d, int idx, int in, int out, int batch,
		       struct rng *r)
{
	/* He initialisation keeps ReLU activations from dying or exploding
	 * as the depth grows. */
	float bound = sqrtf(6.0f / (float)in);
	size_t i;

	snprintf(d->name, sizeof(d->name), "dense%d", idx + 1);
	d->in = in;
	d->out = out;
	d->w = xcalloc((size_t)out * in, sizeof(float));
	d->dw = xcalloc((size_t)out * in, sizeof(float));
	d->b = xcalloc(out, sizeof(float));
	d->db = xcalloc(out, sizeof(float));
	d->y = xcalloc((size_t)batch * out, sizeof(float));
	for (i = 0; i < (size_t)out * in; i++)
		d->w[i] = rng_uniform(r, -bound, bound);
}

static void dense_free(struct dense *d)
{
	free(d->w);
	free(d->dw);
	free(d->b);
	free(d->db);
	free(d->y);
}

static void make_data(const struct mlp_opts *o, struct rng *r, float *x,
		      int *label)
{
	float *teacher = xcalloc((size_t)o->outputs * o->inputs, sizeof(float));
	int s, c, j;

	for (j = 0; j < o->outputs * o->inputs; j++)
		teacher[j] = rng_uniform(r, -1.0f, 1.0f);

	/* Plain loops, not BLAS: only the model's own GEMMs are counted. */
	for (s = 0; s < o->samples; s++) {
		float *xs = x + (size_t)s * o->inputs;
		float best = -INFINITY;

		for (j = 0; j < o->inputs; j++)
			xs[j] = rng_uniform(r, -1.0f, 1.0f);
		label[s] = 0;
		for (c = 0; c < o->outputs; c++) {
			float z = 0.0f;

			for (j = 0; j < o->inputs; j++)
				z += teacher[(size_t)c * o->inputs + j] * xs[j];
			if (z > best) {
				best = z;
				label[s] = c;
			}
		}
	}
	free(teacher);
}

static void forward(struct dense *net, int nlayers, const float *x, int b)
{
	int l, i, j;

	for (l = 0; l < nlayers; l++) {
		struct dense *d = &net[l];
		const float *in = l ? net[l - 1].y : x;
		int relu = l < nlayers - 1;

		opcount_layer_push(d->name, "Linear");
		gemm(&d->flops, CblasNoTrans, CblasTrans, b, d->out, d->in,
		     in, d->in, d->w, d->in, 0.0f, d->y, d->out);
		for (i = 0; i < b; i++) {
			float *row = d->y + (size_t)i * d->out;

			for (j = 0; j < d->out; j++) {
				row[j] += d->b[j];
				if (relu && row[j] < 0.0f)
					row[j] = 0.0f;
			}
		}
		opcount_layer_pop();
	}
}

/* dy holds dLoss/dlogits on entry; spare is scratch of the same size. */
static void backward(struct dense *net, int nlayers, const float *x, int b,
		     float *dy, float *spare, float lr)
{
	int l, i, j;

	for (l = nlayers - 1; l >= 0; l--) {
		struct dense *d = &net[l];
		const float *in = l ? net[l - 1].y : x;
		size_t nw = (size_t)d->out * d->in;
		size_t k;
		float *t;

		opcount_layer_push(d->name, "Linear");
		/* ReLU passes the gradient where it passed the value; y > 0
		 * is the same test as pre-activation > 0, so no copy of the
		 * pre-activations is kept. */
		if (l < nlayers - 1)
			for (k = 0; k < (size_t)b * d->out; k++)
				if (d->y[k] <= 0.0f)
					dy[k] = 0.0f;

		gemm(&d->flops, CblasTrans, CblasNoTrans, d->out, d->in, b,
		     dy, d->out, in, d->in, 0.0f, d->dw, d->in);
		/* dX must use W before the update below changes it. */
		if (l > 0)
			gemm(&d->flops, CblasNoTrans, CblasNoTrans, b, d->in,
			     d->out, dy, d->out, d->w, d->in, 0.0f, spare, d->in);

		for (j = 0; j < d->out; j++)
			d->db[j] = 0.0f;
		for (i = 0; i < b; i++)
			for (j = 0; j < d->out; j++)
				d->db[j] += dy[(size_t)i * d->out + j];

		for (k = 0; k < nw; k++)
			d->w[k] -= lr * d->dw[k];
		for (j = 0; j < d->out; j++)
			d->b[j] -= lr * d->db[j];
		opcount_layer_pop();

		t = dy;
		dy = spare;
		spare = t;
	}
}

/*
 * The count derived from the shapes alone.  Each GEMM is linear in the
 * batch rows, so over an epoch the partial last batch just adds its rows:
 * the FLOPs depend on the number of samples, not on how they are batched
 * (the number of calls does).  Per sample and layer that is 2*in*out
 * forward, and when training 2*in*out for dW plus 2*in*out for dX on all
 * layers but the first.
 */
static uint64_t mlp_expected_flops(const struct mlp_opts *o,
				   const struct dense *d, int idx)
{
	uint64_t per = 2 * (uint64_t)d->in * (uint64_t)d->out;
	uint64_t gemms = o->infer ? 1 : (idx == 0 ? 2 : 3);

	return (uint64_t)o->epochs * o->samples * per * gemms;
}

static uint64_t mlp_expected_calls(const struct mlp_opts *o, int nlayers)
{
	uint64_t batches = ((uint64_t)o->samples + o->batch - 1) / o->batch;
	uint64_t per_batch = nlayers + (o->infer ? 0 : 2 * nlayers - 1);

	return (uint64_t)o->epochs * batches * per_batch;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mlp [options]\n"
		"  -l, --layers N    hidden layers (default 2)\n"
		"  -w, --width W     hidden width (default 64)\n"
		"  -i, --inputs N    input features (default 32)\n"
		"  -o, --outputs N   classes (default 10)\n"
		"  -n, --samples S   training samples (default 1024)\n"
		"  -e, --epochs E    epochs (default 3)\n"
		"  -b, --batch B     batch size (default 32)\n"
		"  -r, --lr LR       SGD learning rate (default 0.1)\n"
		"  -s, --seed SEED   PRNG seed (default 1)\n"
		"  -I, --infer       forward passes only, no backward or update\n"
		"  -q, --quiet       no per-epoch lines, only the summary\n"
		"  -S, --step-region each batch's step inside a layer region \"step\"\n"
		"  -h, --help\n");
}

static int parse_int(const char *opt, const char *arg, int min, int *val)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > INT_MAX) {
		fprintf(stderr, "mlp: --%s: expected an integer >= %d, got '%s'\n",
			opt, min, arg);
		return -EINVAL;
	}
	*val = (int)v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct mlp_opts *o)
{
	static const struct option longopts[] = {
		{ "layers",  required_argument, NULL, 'l' },
		{ "width",   required_argument, NULL, 'w' },
		{ "inputs",  required_argument, NULL, 'i' },
		{ "outputs", required_argument, NULL, 'o' },
		{ "samples", required_argument, NULL, 'n' },
		{ "epochs",  required_argument, NULL, 'e' },
		{ "batch",   required_argument, NULL, 'b' },
		{ "lr",      required_argument, NULL, 'r' },
		{ "seed",    required_argument, NULL, 's' },
		{ "infer",   no_argument,       NULL, 'I' },
		{ "quiet",   no_argument,       NULL, 'q' },
		{ "step-region", no_argument,   NULL, 'S' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, "l:w:i:o:n:e:b:r:s:IqSh",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'l': ret = parse_int("layers", optarg, 0, &o->layers); break;
		case 'w': ret = parse_int("width", optarg, 1, &o->width); break;
		case 'i': ret = parse_int("inputs", optarg, 1, &o->inputs); break;
		case 'o': ret = parse_int("outputs", optarg, 2, &o->outputs); break;
		case 'n': ret = parse_int("samples", optarg, 1, &o->samples); break;
		case 'e': ret = parse_int("epochs", optarg, 1, &o->epochs); break;
		case 'b': ret = parse_int("batch", optarg, 1, &o->batch); break;
		case 'r': ret = parse_lr(optarg, &o->lr); break;
		case 's': ret = parse_seed(optarg, &o->seed); break;
		case 'I': o->infer = 1; break;
		case 'q': o->quiet = 1; break;
		case 'S': o->step_region = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
		if (ret)
			return ret;
	}
	if (optind < argc) {
		fprintf(stderr, "mlp: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct mlp_opts o = {
		.layers = 2, .width = 64, .inputs = 32, .outputs = 10,
		.samples = 1024, .epochs = 3, .batch = 32, .lr = 0.1f, .seed = 1,
	};
	struct rng r;
	struct dense *net;
	float *x, *grad, *spare;
	int *label;
	int nlayers, rows, maxw, l, e, ret = 0;
	uint64_t flops = 0;
	double loss = 0.0;

	if (parse_opts(argc, argv, &o))
		return 2;

	nlayers = o.layers + 1;
	/* A batch larger than the data set is one partial batch; buffers
	 * need only hold the rows that can actually occur. */
	rows = o.batch < o.samples ? o.batch : o.samples;
	maxw = o.width > o.outputs ? o.width : o.outputs;

	r.s = o.seed;
	x = xcalloc((size_t)o.samples * o.inputs, sizeof(float));
	label = xcalloc(o.samples, sizeof(int));
	make_data(&o, &r, x, label);

	net = xcalloc(nlayers, sizeof(*net));
	for (l = 0; l < nlayers; l++)
		dense_init(&net[l], l,
			   l == 0 ? o.inputs : o.width,
			   l == nlayers - 1 ? o.outputs : o.width, rows, &r);
	grad = xcalloc((size_t)rows * maxw, sizeof(float));
	spare = xcalloc((size_t)rows * maxw, sizeof(float));

	for (e = 0; e < o.epochs; e++) {
		double sum = 0.0;
		int start;

		for (start = 0; start < o.samples; start += o.batch) {
			int b = o.samples - start < o.batch ?
				o.samples - start : o.batch;
			const float *xb = x + (size_t)start * o.inputs;

			if (o.step_region)
				opcount_layer_push("step", "Step");
			forward(net, nlayers, xb, b);
			sum += b * softmax_xent(net[nlayers - 1].y,
						label + start, b, o.outputs,
						grad);
			if (!o.infer)
				backward(net, nlayers, xb, b, grad, spare,
					 o.lr);
			if (o.step_region)
				opcount_layer_pop();
		}
		/* The mean over the epoch's forward passes: it lags the
		 * weights by up to an epoch but needs no extra GEMMs. */
		loss = sum / o.samples;
		if (!o.quiet)
			printf("epoch %d loss %.6f\n", e + 1, loss);
	}

	for (l = 0; l < nlayers; l++) {
		flops += net[l].flops;
		if (net[l].flops != mlp_expected_flops(&o, &net[l], l)) {
			fprintf(stderr, "mlp: %s issued %" PRIu64
				" FLOPs, closed form says %" PRIu64 "\n",
				net[l].name, net[l].flops,
				mlp_expected_flops(&o, &net[l], l));
			ret = 1;
		}
	}
	if (gemm_calls != mlp_expected_calls(&o, nlayers)) {
		fprintf(stderr, "mlp: issued %" PRIu64
			" sgemm calls, closed form says %" PRIu64 "\n",
			gemm_calls, mlp_expected_calls(&o, nlayers));
		ret = 1;
	}

	print_totals(flops, loss);
	for (l = 0; l < nlayers; l++)
		printf("layer_flops %s %" PRIu64 "\n", net[l].name,
		       net[l].flops);

	for (l = 0; l < nlayers; l++)
		dense_free(&net[l]);
	free(net);
	free(grad);
	free(spare);
	free(label);
	free(x);
	return ret;
}
