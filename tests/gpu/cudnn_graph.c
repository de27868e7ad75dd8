/*
 * cudnn_graph.c - cuDNN graph-API plans of known cost, for
 * tests/integration/gpu_cudnn_graph.sh.
 *
 *   cudnn_graph [EXPECT.txt]
 *
 * Builds operation graphs with the backend API (the fake of
 * tests/fake/cudnn.c), as PyTorch does through cudnn-frontend: tensors,
 * convolution forward, backward data and backward filter, matmul and
 * pointwise nodes, an operation graph, an engine and its configuration
 * (set directly, or handed out by the engine heuristics), a plan.  Each
 * case executes its plan a few times in its own opcount layer and writes
 *
 *     expect LAYER OP CALLS FLOPS BYTES GPU_NS OTHER
 *
 * with FLOPs and bytes worked out here from the geometry (convolution
 * multiply-adds by walking every output element and filter tap; bytes
 * from each tensor's own type, 0 for a virtual tensor), OTHER the nodes
 * opcount must leave uncounted, and GPU_NS the simulated GPU's time for
 * the case.  Plans are built before and after others ran, and one is
 * destroyed and rebuilt at the same address with another graph, and then
 * once more with no graph at all (its cost must not survive).
 *
 * Also checks preload/cuda_abi.h's graph-API values against cudnn_graph.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "../../preload/cuda_abi.h"
#include "../fake/fakegpu.h"
#include "opcount.h"

#define ABI(ours, theirs) _Static_assert((ours) == (theirs), "cuda_abi.h: " #ours)
ABI(OPC_CUDNN_BACKEND_ENGINE, CUDNN_BACKEND_ENGINE_DESCRIPTOR);
ABI(OPC_CUDNN_BACKEND_ENGINECFG, CUDNN_BACKEND_ENGINECFG_DESCRIPTOR);
ABI(OPC_CUDNN_BACKEND_ENGINEHEUR, CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR);
ABI(OPC_CUDNN_BACKEND_EXECUTION_PLAN, CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
ABI(OPC_CUDNN_BACKEND_OP_CONV_FWD, CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR);
ABI(OPC_CUDNN_BACKEND_OP_CONV_BWD_FILTER,
    CUDNN_BACKEND_OPERATION_CONVOLUTION_BACKWARD_FILTER_DESCRIPTOR);
ABI(OPC_CUDNN_BACKEND_OP_CONV_BWD_DATA, CUDNN_BACKEND_OPERATION_CONVOLUTION_BACKWARD_DATA_DESCRIPTOR);
ABI(OPC_CUDNN_BACKEND_OPERATIONGRAPH, CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR);
ABI(OPC_CUDNN_BACKEND_TENSOR, CUDNN_BACKEND_TENSOR_DESCRIPTOR);
ABI(OPC_CUDNN_BACKEND_OP_MATMUL, CUDNN_BACKEND_OPERATION_MATMUL_DESCRIPTOR);
ABI(OPC_CUDNN_TYPE_DATA_TYPE, CUDNN_TYPE_DATA_TYPE);
ABI(OPC_CUDNN_TYPE_BOOLEAN, CUDNN_TYPE_BOOLEAN);
ABI(OPC_CUDNN_TYPE_INT64, CUDNN_TYPE_INT64);
ABI(OPC_CUDNN_TYPE_FLOAT, CUDNN_TYPE_FLOAT);
ABI(OPC_CUDNN_TYPE_DOUBLE, CUDNN_TYPE_DOUBLE);
ABI(OPC_CUDNN_TYPE_BACKEND_DESCRIPTOR, CUDNN_TYPE_BACKEND_DESCRIPTOR);
ABI(OPC_CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH);
ABI(OPC_CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_ATTR_ENGINEHEUR_RESULTS);
ABI(OPC_CUDNN_ATTR_ENGINECFG_ENGINE, CUDNN_ATTR_ENGINECFG_ENGINE);
ABI(OPC_CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG);
ABI(OPC_CUDNN_ATTR_OP_CONV_FWD_BETA, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA);
ABI(OPC_CUDNN_ATTR_OP_CONV_FWD_W, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W);
ABI(OPC_CUDNN_ATTR_OP_CONV_FWD_X, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X);
ABI(OPC_CUDNN_ATTR_OP_CONV_FWD_Y, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y);
ABI(OPC_CUDNN_ATTR_OP_CONV_BWD_DATA_BETA, CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_BETA);
ABI(OPC_CUDNN_ATTR_OP_CONV_BWD_DATA_W, CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_W);
ABI(OPC_CUDNN_ATTR_OP_CONV_BWD_DATA_DX, CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_DX);
ABI(OPC_CUDNN_ATTR_OP_CONV_BWD_DATA_DY, CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_DY);
ABI(OPC_CUDNN_ATTR_OP_CONV_BWD_FILTER_BETA, CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_FILTER_BETA);
ABI(OPC_CUDNN_ATTR_OP_CONV_BWD_FILTER_DW, CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_FILTER_DW);
ABI(OPC_CUDNN_ATTR_OP_CONV_BWD_FILTER_X, CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_FILTER_X);
ABI(OPC_CUDNN_ATTR_OP_CONV_BWD_FILTER_DY, CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_FILTER_DY);
ABI(OPC_CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_ATTR_OPERATIONGRAPH_OPS);
ABI(OPC_CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_ATTR_TENSOR_DATA_TYPE);
ABI(OPC_CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_ATTR_TENSOR_DIMENSIONS);
ABI(OPC_CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_ATTR_TENSOR_IS_VIRTUAL);
ABI(OPC_CUDNN_ATTR_ENGINE_OPERATION_GRAPH, CUDNN_ATTR_ENGINE_OPERATION_GRAPH);
ABI(OPC_CUDNN_ATTR_OP_MATMUL_ADESC, CUDNN_ATTR_OPERATION_MATMUL_ADESC);
ABI(OPC_CUDNN_ATTR_OP_MATMUL_BDESC, CUDNN_ATTR_OPERATION_MATMUL_BDESC);
ABI(OPC_CUDNN_ATTR_OP_MATMUL_CDESC, CUDNN_ATTR_OPERATION_MATMUL_CDESC);
_Static_assert(sizeof(bool) == 1, "CUDNN_TYPE_BOOLEAN is read as one byte");

#define CHECK(x)                                                                       \
	do {                                                                           \
		int _s = (int)(x);                                                     \
		if (_s) {                                                              \
			fprintf(stderr, "cudnn_graph: %s failed (%d) at line %d\n", #x, _s, \
				__LINE__);                                             \
			exit(1);                                                       \
		}                                                                      \
	} while (0)

typedef cudnnBackendDescriptor_t desc_t;

static cudnnHandle_t h;
static FILE *expect;
static desc_t pack;

static desc_t make(cudnnBackendDescriptorType_t type)
{
	desc_t d;

	CHECK(cudnnBackendCreateDescriptor(type, &d));
	return d;
}

static void set_desc(desc_t d, cudnnBackendAttributeName_t name, int n, desc_t *v)
{
	CHECK(cudnnBackendSetAttribute(d, name, CUDNN_TYPE_BACKEND_DESCRIPTOR, n, v));
}

/* a finalized tensor, packed strides */
static desc_t tensor(int64_t uid, cudnnDataType_t type, int nd, const int64_t *dims, bool virt)
{
	desc_t t = make(CUDNN_BACKEND_TENSOR_DESCRIPTOR);
	int64_t strides[8], align = 16;

	strides[nd - 1] = 1;
	for (int i = nd - 2; i >= 0; i--)
		strides[i] = strides[i + 1] * dims[i + 1];
	CHECK(cudnnBackendSetAttribute(t, CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1,
				       &type));
	CHECK(cudnnBackendSetAttribute(t, CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, nd, dims));
	CHECK(cudnnBackendSetAttribute(t, CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, nd,
				       strides));
	CHECK(cudnnBackendSetAttribute(t, CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, 1, &uid));
	CHECK(cudnnBackendSetAttribute(t, CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, 1,
				       &align));
	CHECK(cudnnBackendSetAttribute(t, CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_TYPE_BOOLEAN, 1,
				       &virt));
	CHECK(cudnnBackendFinalize(t));
	return t;
}

static double elems(int nd, const int64_t *dims)
{
	double e = 1;

	for (int i = 0; i < nd; i++)
		e *= dims[i];
	return e;
}

/* ---- convolutions: 2-D, NCHW, the geometry worked out here ---- */

struct conv {
	int64_t n, c, k, groups, in[2], filt[2], pad[2], stride[2], out[2];
};

static void conv_geometry(struct conv *cv)
{
	for (int i = 0; i < 2; i++)
		cv->out[i] = (cv->in[i] + 2 * cv->pad[i] - cv->filt[i]) / cv->stride[i] + 1;
}

/* multiply-adds: every output element times every tap of its group's filter */
static double conv_macs(const struct conv *cv)
{
	double macs = 0;

	for (int64_t n = 0; n < cv->n; n++)
		for (int64_t k = 0; k < cv->k; k++)
			for (int64_t o = 0; o < cv->out[0] * cv->out[1]; o++)
				for (int64_t c = 0; c < cv->c / cv->groups; c++)
					for (int64_t t = 0; t < cv->filt[0] * cv->filt[1]; t++)
						macs += 1;
	return macs;
}

static desc_t conv_desc(const struct conv *cv)
{
	desc_t d = make(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR);
	int64_t nsp = 2, dil[2] = { 1, 1 };
	cudnnDataType_t comp = CUDNN_DATA_FLOAT;
	cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;

	CHECK(cudnnBackendSetAttribute(d, CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, CUDNN_TYPE_INT64, 1,
				       &nsp));
	CHECK(cudnnBackendSetAttribute(d, CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1,
				       &comp));
	CHECK(cudnnBackendSetAttribute(d, CUDNN_ATTR_CONVOLUTION_CONV_MODE,
				       CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode));
	CHECK(cudnnBackendSetAttribute(d, CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, CUDNN_TYPE_INT64, 2,
				       cv->pad));
	CHECK(cudnnBackendSetAttribute(d, CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, CUDNN_TYPE_INT64, 2,
				       cv->pad));
	CHECK(cudnnBackendSetAttribute(d, CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, CUDNN_TYPE_INT64,
				       2, cv->stride));
	CHECK(cudnnBackendSetAttribute(d, CUDNN_ATTR_CONVOLUTION_DILATIONS, CUDNN_TYPE_INT64, 2,
				       dil));
	CHECK(cudnnBackendFinalize(d));
	return d;
}

/* x, w, y (dx, dw, dy) of a convolution, and their element counts */
struct conv_tensors {
	desc_t x, w, y;
	double ex, ew, ey;
};

static void conv_tensors(const struct conv *cv, cudnnDataType_t type, bool y_virtual,
			 struct conv_tensors *t)
{
	int64_t dx[4] = { cv->n, cv->c, cv->in[0], cv->in[1] };
	int64_t dw[4] = { cv->k, cv->c / cv->groups, cv->filt[0], cv->filt[1] };
	int64_t dy[4] = { cv->n, cv->k, cv->out[0], cv->out[1] };

	t->x = tensor('x', type, 4, dx, false);
	t->w = tensor('w', type, 4, dw, false);
	t->y = tensor('y', type, 4, dy, y_virtual);
	t->ex = elems(4, dx);
	t->ew = elems(4, dw);
	t->ey = elems(4, dy);
}

/* a convolution node: beta is a float for float and half data, a double for double */
static desc_t conv_op(cudnnBackendDescriptorType_t kind, desc_t cd, const struct conv_tensors *t,
		      double beta, cudnnDataType_t type)
{
	desc_t op = make(kind);
	cudnnBackendAttributeName_t ax, aw, ay, aa, ab, ac;
	float alpha_f = 1, beta_f = (float)beta;
	double alpha_d = 1;
	int dbl = type == CUDNN_DATA_DOUBLE;

	switch (kind) {
	case CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR:
		ax = CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X;
		aw = CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W;
		ay = CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y;
		aa = CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA;
		ab = CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA;
		ac = CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC;
		break;
	case CUDNN_BACKEND_OPERATION_CONVOLUTION_BACKWARD_DATA_DESCRIPTOR:
		ax = CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_DX;
		aw = CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_W;
		ay = CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_DY;
		aa = CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_ALPHA;
		ab = CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_BETA;
		ac = CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_CONV_DESC;
		break;
	default:
		ax = CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_FILTER_X;
		aw = CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_FILTER_DW;
		ay = CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_FILTER_DY;
		aa = CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_FILTER_ALPHA;
		ab = CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_FILTER_BETA;
		ac = CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_FILTER_CONV_DESC;
		break;
	}
	set_desc(op, ax, 1, (desc_t *)&t->x);
	set_desc(op, aw, 1, (desc_t *)&t->w);
	set_desc(op, ay, 1, (desc_t *)&t->y);
	set_desc(op, ac, 1, &cd);
	CHECK(cudnnBackendSetAttribute(op, aa, dbl ? CUDNN_TYPE_DOUBLE : CUDNN_TYPE_FLOAT, 1,
				       dbl ? (void *)&alpha_d : (void *)&alpha_f));
	CHECK(cudnnBackendSetAttribute(op, ab, dbl ? CUDNN_TYPE_DOUBLE : CUDNN_TYPE_FLOAT, 1,
				       dbl ? (void *)&beta : (void *)&beta_f));
	CHECK(cudnnBackendFinalize(op));
	return op;
}

/* y = relu(x): a pointwise node, counted as nothing */
static desc_t relu_op(desc_t x, desc_t y)
{
	desc_t pw = make(CUDNN_BACKEND_POINTWISE_DESCRIPTOR), op;
	cudnnPointwiseMode_t mode = CUDNN_POINTWISE_RELU_FWD;
	cudnnDataType_t prec = CUDNN_DATA_FLOAT;

	CHECK(cudnnBackendSetAttribute(pw, CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, 1,
				       &mode));
	CHECK(cudnnBackendSetAttribute(pw, CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_TYPE_DATA_TYPE, 1,
				       &prec));
	CHECK(cudnnBackendFinalize(pw));
	op = make(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR);
	set_desc(op, CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, 1, &pw);
	set_desc(op, CUDNN_ATTR_OPERATION_POINTWISE_XDESC, 1, &x);
	set_desc(op, CUDNN_ATTR_OPERATION_POINTWISE_YDESC, 1, &y);
	CHECK(cudnnBackendFinalize(op));
	cudnnBackendDestroyDescriptor(pw);
	return op;
}

static desc_t graph(int n, desc_t *ops)
{
	desc_t g = make(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR);

	set_desc(g, CUDNN_ATTR_OPERATIONGRAPH_OPS, n, ops);
	CHECK(cudnnBackendFinalize(g));
	return g;
}

/* an engine configuration for the graph: engine 0, or the heuristics' first */
static desc_t engine_config(desc_t g, int heuristics)
{
	desc_t cfg = make(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR);

	if (heuristics) {
		desc_t heur = make(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR), cfgs[2];
		cudnnBackendHeurMode_t mode = CUDNN_HEUR_MODE_A;
		int64_t n = 0;

		cfgs[0] = cfg;
		cfgs[1] = make(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR);
		set_desc(heur, CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, 1, &g);
		CHECK(cudnnBackendSetAttribute(heur, CUDNN_ATTR_ENGINEHEUR_MODE,
					       CUDNN_TYPE_HEUR_MODE, 1, &mode));
		CHECK(cudnnBackendFinalize(heur));
		CHECK(cudnnBackendGetAttribute(heur, CUDNN_ATTR_ENGINEHEUR_RESULTS,
					       CUDNN_TYPE_BACKEND_DESCRIPTOR, 2, &n, cfgs));
		if (n < 1) {
			fprintf(stderr, "cudnn_graph: the heuristics gave no configuration\n");
			exit(1);
		}
		cudnnBackendDestroyDescriptor(cfgs[1]);
		cudnnBackendDestroyDescriptor(heur);
	} else {
		desc_t eng = make(CUDNN_BACKEND_ENGINE_DESCRIPTOR);
		int64_t idx = 0;

		set_desc(eng, CUDNN_ATTR_ENGINE_OPERATION_GRAPH, 1, &g);
		CHECK(cudnnBackendSetAttribute(eng, CUDNN_ATTR_ENGINE_GLOBAL_INDEX, CUDNN_TYPE_INT64,
					       1, &idx));
		CHECK(cudnnBackendFinalize(eng));
		set_desc(cfg, CUDNN_ATTR_ENGINECFG_ENGINE, 1, &eng);
		CHECK(cudnnBackendFinalize(cfg));
		cudnnBackendDestroyDescriptor(eng);
	}
	return cfg;
}

/* finish `plan` (made by the caller) on the graph of ops, which it destroys */
static void plan_build(desc_t plan, int nops, desc_t *ops, int heuristics)
{
	desc_t g = graph(nops, ops), cfg = engine_config(g, heuristics);

	CHECK(cudnnBackendSetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, 1,
				       &h));
	set_desc(plan, CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, 1, &cfg);
	CHECK(cudnnBackendFinalize(plan));
	/* what the plan was built from may go: the plan keeps its copy */
	cudnnBackendDestroyDescriptor(cfg);
	cudnnBackendDestroyDescriptor(g);
	for (int i = 0; i < nops; i++)
		cudnnBackendDestroyDescriptor(ops[i]);
}

static void run(const char *layer, desc_t plan, int calls, double flops, double bytes, int other)
{
	const char *op = flops > 0 ? "cudnnBackendExecute_graph" : "cudnnBackendExecute";
	uint64_t works, ns0, ns;

	fakegpu_totals(&works, &ns0);
	opcount_layer_push(layer, "cudnn");
	for (int i = 0; i < calls; i++)
		CHECK(cudnnBackendExecute(h, plan, pack));
	opcount_layer_pop();
	fakegpu_totals(&works, &ns);
	if (expect)
		fprintf(expect, "expect %s %s %d %.0f %.0f %llu %d\n", layer, op, calls,
			calls * flops, calls * bytes, (unsigned long long)(ns - ns0), other);
}

static void destroy_tensors(struct conv_tensors *t)
{
	cudnnBackendDestroyDescriptor(t->x);
	cudnnBackendDestroyDescriptor(t->w);
	cudnnBackendDestroyDescriptor(t->y);
}

int main(int argc, char **argv)
{
	cudaStream_t s;
	desc_t plan_fwd, plan_bwd, plan_mm, plan_pw, again, ops[4];
	struct conv_tensors t;

	if (argc > 1 && (expect = fopen(argv[1], "w")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	CHECK(cudaStreamCreate(&s));
	CHECK(cudnnCreate(&h));
	CHECK(cudnnSetStream(h, s));
	fakegpu_submit(s, 100 * 1000000ull);	/* busy ahead: each call's time is its own */
	pack = make(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR);
	CHECK(cudnnBackendFinalize(pack));

	/* 1. forward, float, 2 groups, pad 1: conv -> virtual y -> relu -> out */
	struct conv fwd = { 2, 8, 16, 2, { 10, 10 }, { 3, 3 }, { 1, 1 }, { 1, 1 }, { 0 } };
	conv_geometry(&fwd);
	{
		desc_t cd = conv_desc(&fwd), out;
		int64_t dy[4] = { fwd.n, fwd.k, fwd.out[0], fwd.out[1] };

		conv_tensors(&fwd, CUDNN_DATA_FLOAT, true, &t);
		out = tensor('o', CUDNN_DATA_FLOAT, 4, dy, false);
		ops[0] = conv_op(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR, cd, &t, 0,
				 CUDNN_DATA_FLOAT);
		ops[1] = relu_op(t.y, out);
		plan_fwd = make(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
		plan_build(plan_fwd, 2, ops, 0);
		cudnnBackendDestroyDescriptor(cd);
		cudnnBackendDestroyDescriptor(out);
		destroy_tensors(&t);
	}
	/* y is virtual: x and w read, nothing written to memory by the conv */
	double fwd_bytes = (t.ex + t.ew) * 4;
	run("fwd_relu", plan_fwd, 3, 2 * conv_macs(&fwd), fwd_bytes, 1);

	/* 2. built after 1 ran: backward data (half, beta 1) and backward
	 * filter (half, beta 0) of one convolution in one graph */
	struct conv bwd = { 1, 8, 16, 1, { 10, 10 }, { 3, 3 }, { 0, 0 }, { 1, 1 }, { 0 } };
	conv_geometry(&bwd);
	{
		desc_t cd = conv_desc(&bwd);

		conv_tensors(&bwd, CUDNN_DATA_HALF, false, &t);
		ops[0] = conv_op(CUDNN_BACKEND_OPERATION_CONVOLUTION_BACKWARD_DATA_DESCRIPTOR, cd,
				 &t, 1, CUDNN_DATA_HALF);
		ops[1] = conv_op(CUDNN_BACKEND_OPERATION_CONVOLUTION_BACKWARD_FILTER_DESCRIPTOR, cd,
				 &t, 0, CUDNN_DATA_HALF);
		plan_bwd = make(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
		plan_build(plan_bwd, 2, ops, 0);
		cudnnBackendDestroyDescriptor(cd);
		destroy_tensors(&t);
	}
	/* bwd data reads dy, w, reads and writes dx; bwd filter reads x, dy, writes dw */
	double bwd_bytes = ((t.ey + t.ew + 2 * t.ex) + (t.ex + t.ey + t.ew)) * 2;
	run("bwd_data_filter", plan_bwd, 4, 2 * 2 * conv_macs(&bwd), bwd_bytes, 0);
	run("fwd_relu_again", plan_fwd, 2, 2 * conv_macs(&fwd), fwd_bytes, 1);

	/* 3. double backward filter, stride 2, pad 1, then a matmul: beta 0 */
	struct conv bf = { 2, 3, 6, 1, { 7, 7 }, { 3, 3 }, { 1, 1 }, { 2, 2 }, { 0 } };
	conv_geometry(&bf);
	double bf_flops, bf_bytes;
	{
		desc_t cd = conv_desc(&bf), mm, a, b, c;
		int64_t da[3] = { 4, 32, 64 }, db[3] = { 4, 64, 16 }, dc[3] = { 4, 32, 16 };

		conv_tensors(&bf, CUDNN_DATA_DOUBLE, false, &t);
		ops[0] = conv_op(CUDNN_BACKEND_OPERATION_CONVOLUTION_BACKWARD_FILTER_DESCRIPTOR, cd,
				 &t, 0, CUDNN_DATA_DOUBLE);
		bf_flops = 2 * conv_macs(&bf);
		bf_bytes = (t.ex + t.ey + t.ew) * 8;
		/* C[4,32,16] = A[4,32,64] B[4,64,16], bfloat16 */
		a = tensor('a', CUDNN_DATA_BFLOAT16, 3, da, false);
		b = tensor('b', CUDNN_DATA_BFLOAT16, 3, db, false);
		c = tensor('c', CUDNN_DATA_BFLOAT16, 3, dc, false);
		mm = make(CUDNN_BACKEND_MATMUL_DESCRIPTOR);
		CHECK(cudnnBackendFinalize(mm));
		ops[1] = make(CUDNN_BACKEND_OPERATION_MATMUL_DESCRIPTOR);
		set_desc(ops[1], CUDNN_ATTR_OPERATION_MATMUL_ADESC, 1, &a);
		set_desc(ops[1], CUDNN_ATTR_OPERATION_MATMUL_BDESC, 1, &b);
		set_desc(ops[1], CUDNN_ATTR_OPERATION_MATMUL_CDESC, 1, &c);
		set_desc(ops[1], CUDNN_ATTR_OPERATION_MATMUL_DESC, 1, &mm);
		CHECK(cudnnBackendFinalize(ops[1]));
		plan_mm = make(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
		plan_build(plan_mm, 2, ops, 1);	/* through the heuristics */
		cudnnBackendDestroyDescriptor(cd);
		cudnnBackendDestroyDescriptor(mm);
		cudnnBackendDestroyDescriptor(a);
		cudnnBackendDestroyDescriptor(b);
		cudnnBackendDestroyDescriptor(c);
		destroy_tensors(&t);
	}
	run("bwd_filter_matmul", plan_mm, 5, bf_flops + 2.0 * 4 * 32 * 16 * 64,
	    bf_bytes + (4 * 32 * 64 + 4 * 64 * 16 + 4 * 32 * 16) * 2, 0);

	/* 4. a pointwise graph only: nothing to count, FLOPs unknown */
	{
		int64_t d[2] = { 64, 64 };
		desc_t x = tensor('p', CUDNN_DATA_FLOAT, 2, d, false);
		desc_t y = tensor('q', CUDNN_DATA_FLOAT, 2, d, false);

		ops[0] = relu_op(x, y);
		plan_pw = make(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
		plan_build(plan_pw, 1, ops, 0);
		cudnnBackendDestroyDescriptor(x);
		cudnnBackendDestroyDescriptor(y);
	}
	run("pointwise_only", plan_pw, 2, 0, 0, 1);

	/* 5. plan 1 destroyed and a new plan made at its address, with
	 * another graph (a plain forward convolution, float, beta 1) */
	{
		desc_t old = plan_fwd, cd;
		struct conv f2 = { 1, 4, 4, 1, { 6, 6 }, { 1, 1 }, { 0, 0 }, { 1, 1 }, { 0 } };

		cudnnBackendDestroyDescriptor(plan_fwd);
		again = make(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
		if (again != old) {
			fprintf(stderr, "cudnn_graph: the new plan is not at the old one's "
					"address (%p, %p): the test needs it to be\n", again, old);
			return 1;
		}
		conv_geometry(&f2);
		cd = conv_desc(&f2);
		conv_tensors(&f2, CUDNN_DATA_FLOAT, false, &t);
		ops[0] = conv_op(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR, cd, &t, 1,
				 CUDNN_DATA_FLOAT);
		plan_build(again, 1, ops, 0);
		cudnnBackendDestroyDescriptor(cd);
		destroy_tensors(&t);
		run("rebuilt", again, 3, 2 * conv_macs(&f2), (t.ex + t.ew + 2 * t.ey) * 4, 0);
	}
	/* 6. and once more at that address, a plan whose graph opcount never
	 * saw (no engine configuration): the old cost must not come back */
	{
		desc_t old = again;

		cudnnBackendDestroyDescriptor(again);
		again = make(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
		if (again != old) {
			fprintf(stderr, "cudnn_graph: the plan moved (%p, %p)\n", again, old);
			return 1;
		}
		CHECK(cudnnBackendSetAttribute(again, CUDNN_ATTR_EXECUTION_PLAN_HANDLE,
					       CUDNN_TYPE_HANDLE, 1, &h));
		CHECK(cudnnBackendFinalize(again));
		run("rebuilt_no_graph", again, 2, 0, 0, 0);
	}
	/* the plans built before all this still count as they did */
	run("bwd_data_filter_again", plan_bwd, 1, 2 * 2 * conv_macs(&bwd), bwd_bytes, 0);

	cudnnBackendDestroyDescriptor(again);
	cudnnBackendDestroyDescriptor(plan_bwd);
	cudnnBackendDestroyDescriptor(plan_mm);
	cudnnBackendDestroyDescriptor(plan_pw);
	cudnnBackendDestroyDescriptor(pack);
	CHECK(cudaStreamSynchronize(s));
	CHECK(cudnnDestroy(h));
	if (expect)
		fclose(expect);
	printf("done\n");
	return 0;
}
