/*
 * arch.h - a network described in a small JSON format (docs/arch.md), and
 * its lowering to the BLAS calls that examples/mlp.c and examples/cnn.c
 * make for the same layers (version 1), or that torch 1.13 makes on a CPU
 * (version 2).
 */
#ifndef OPC_ARCH_H
#define OPC_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "routines.h"

enum opc_layer_kind {
	OPC_LAYER_DENSE,
	OPC_LAYER_CONV2D,
	OPC_LAYER_MAXPOOL,
	OPC_LAYER_AVGPOOL,
	OPC_LAYER_ACTIVATION,
	OPC_LAYER_FLATTEN,
	/* version 2 (docs/arch.md): lowered to what PyTorch 1.13 runs on a CPU */
	OPC_LAYER_LAYERNORM,
	OPC_LAYER_DROPOUT,
	OPC_LAYER_ATTENTION,	/* self-attention, nn.MultiheadAttention */
	OPC_LAYER_LSTM,
	OPC_LAYER_GRU,
	OPC_LAYER_RESIDUAL,	/* the add that closes a "residual" block */
	OPC_LAYER_BATCHNORM,
	OPC_LAYER_ADAPTIVE_AVGPOOL,
	OPC_LAYER_ADAPTIVE_MAXPOOL,
	OPC_LAYER_EMBEDDING,
	OPC_LAYER_RMSNORM,	/* no nn.RMSNorm in torch 1.13: LLaMA's, T5's own modules */
	OPC_LAYER_GATE,		/* the product that closes a "gate" block (squeeze-excitation) */
	OPC_LAYER_CONCAT,	/* the torch.cat that closes a "concat" block (Inception, Fire) */
};

struct opc_arch_layer {
	enum opc_layer_kind kind;
	char name[64];		/* given, or dense1, conv1, pool1, ... */
	const char *type;	/* PyTorch class name: "Linear", "Conv2d", ... */
	int64_t units;		/* dense */
	int64_t filters;	/* conv2d */
	int64_t kh, kw;		/* conv2d kernel, pooling window */
	int64_t sh, sw;		/* stride */
	int64_t ph, pw;		/* conv2d zero padding */
	int64_t dil_h, dil_w;	/* conv2d dilation (v2) */
	int64_t groups;		/* conv2d groups (v2; channels = groups: depthwise) */
	char function[16];	/* activation */
	int64_t heads;		/* attention */
	int causal;		/* attention: a causal mask (attn_mask) is added */
	int64_t hidden, num_layers;	/* lstm, gru */
	int64_t vocab, dim;	/* embedding */
	int bidirectional;	/* lstm, gru */
	int bias;		/* dense (v2), attention, lstm, gru: addmm, C read */
	/* 1: [features], 2: [sequence, features] (v2), 3: [channels, height, width] */
	int in_rank, out_rank;
	int64_t in[3], out[3];	/* shapes of one sample */
	uint64_t params;	/* weights + biases */
	/*
	 * Cross-attention (an attention with "memory"): the key and value come
	 * from another tensor of mem_seq positions, mem_dim (kdim) and val_dim
	 * (vdim) features; val_sep: the value is a tensor of its own ("value"),
	 * not the memory; mem_grad: the memory requires grad, so the key and
	 * value projections compute their input gradient.  mem_seq is 0 for
	 * self-attention.
	 */
	int64_t mem_seq, mem_dim, val_dim;
	int val_sep, mem_grad;
	/* a layer with parameters is upstream in the data flow: the backward
	 * computes this layer's input gradient */
	int upstream_learns;
};

struct opc_arch {
	char *path;
	char name[128];
	int version;		/* "opcount_arch": 1 (default) or 2 */
	int input_rank;
	int64_t input[3];
	int64_t batch;
	char prec;		/* 's' float32, 'd' float64 */
	struct opc_arch_layer *layers;
	size_t nlayers;
	uint64_t params;
};

enum opc_phase {
	OPC_PHASE_FORWARD,
	OPC_PHASE_GRAD_W,	/* backward, weight gradient */
	OPC_PHASE_GRAD_X,	/* backward, input gradient */
};

/*
 * One lowered operation: `calls` GEMMs of the same shape, per batch.  The
 * C matrix is read by `c_read_calls` of them (beta != 0): the convolution
 * accumulates its weight gradient over the images of a batch, as cnn.c does.
 *
 * Or (rid >= 0) `calls` executions of one oneDNN row of routines.tbl, a
 * convolution as PyTorch runs it with oneDNN on: `shape` is the row's key
 * as preload/dnnl.c records it, m, n, k are 0.  `layout` marks a reorder of
 * an input into the blocked memory format a oneDNN kernel asks for: which
 * inputs are reordered depends on the kernel oneDNN picks on the machine
 * (docs/arch.md), the lowering assumes all of them are.
 */
struct opc_lop {
	size_t layer;		/* index into opc_arch.layers */
	enum opc_phase phase;
	char routine[40];	/* "sgemm", "dgemm", "dnnl_convolution_forward", ... */
	int64_t m, n, k;
	uint64_t calls, c_read_calls;
	uint64_t flops, bytes;	/* of all the calls */
	int rid;		/* a oneDNN row: its index in opc_routines[]; -1 a GEMM */
	int layout;		/* a reorder that depends on the kernel's memory format */
	struct opc_shape shape;	/* a oneDNN row's key (dims and flags) */
};

struct opc_work {
	uint64_t calls, flops, bytes;
};

/*
 * How a version 2 conv2d is lowered (version 1 files: always examples/
 * cnn.c's GEMMs).  PyTorch's default is oneDNN on; the gemm path is torch
 * with torch.backends.mkldnn disabled (slow_conv2d, one sgemm per image
 * and group).
 */
enum opc_conv_path {
	OPC_CONV_ONEDNN = 0,
	OPC_CONV_GEMM,
};

struct opc_lower_opts {
	enum opc_conv_path conv;
	/* torch.get_num_threads(): decides whether oneDNN takes a 1x1
	 * convolution of a small batch; 0 means several (torch's default on a
	 * machine of several cores) */
	int threads;
};

/*
 * The memory traffic of a layer that makes no GEMM (activations, norms,
 * pooling, the residual add, a gate's product, an embedding's lookup,
 * attention's softmax): a model of the bytes its loops move per batch and
 * phase (docs/arch.md, "Non-GEMM layers"), not validated (opcount does not
 * see those loops) and not priced (coefficients are fitted on GEMM work).
 */
struct opc_traffic {
	size_t layer;
	enum opc_phase phase;
	uint64_t bytes;
};

struct opc_lowering {
	int64_t batch;
	struct opc_lop *ops;
	size_t nops;
	struct opc_work infer;	/* forward of one batch */
	struct opc_work train;	/* forward + backward of one batch */
	struct opc_traffic *traffic;
	size_t ntraffic;
	uint64_t traffic_infer, traffic_train;	/* bytes, forward; all phases */
};

/*
 * Read and check an architecture file.  On error returns -EINVAL (or
 * -errno) and writes into err a message naming the file, the layer and
 * the field; *a then holds nothing to free.  batch > 0 overrides the
 * file's batch size.
 */
int opc_arch_load(const char *path, int64_t batch, struct opc_arch *a, char *err, size_t len);
/* The same from a string; path only names it in messages. */
int opc_arch_parse(const char *text, const char *path, int64_t batch, struct opc_arch *a,
		   char *err, size_t len);
void opc_arch_free(struct opc_arch *a);

int opc_arch_lower(const struct opc_arch *a, struct opc_lowering *lw, char *err, size_t len);
/* The same with options; opts NULL is opc_arch_lower's defaults (oneDNN on,
 * several threads). */
int opc_arch_lower_opts(const struct opc_arch *a, const struct opc_lower_opts *opts,
			struct opc_lowering *lw, char *err, size_t len);
/* Would torch 1.13 run this version 2 conv2d in oneDNN (Convolution.cpp,
 * ConvParams::use_mkldnn)? */
int opc_conv_uses_onednn(const struct opc_arch *a, const struct opc_arch_layer *l,
			 const struct opc_lower_opts *opts);
/* A oneDNN op's key as `opcount report` names a row ("shape"):
 * "dnnl_reorder n=288 rtype=s wtype=s"; "" for a GEMM. */
void opc_lop_key(const struct opc_lop *op, char *buf, size_t len);
const char *opc_conv_path_name(enum opc_conv_path p);
void opc_lowering_free(struct opc_lowering *lw);

/* A whole text file (at most 64 MiB, no NUL bytes); NULL with a message
 * naming the file in err. */
char *opc_read_text_file(const char *path, char *err, size_t len);

const char *opc_phase_name(enum opc_phase p);
const char *opc_layer_kind_name(enum opc_layer_kind k);
/* "[64]" or "[8, 12, 12]" */
void opc_arch_shape_str(int rank, const int64_t *d, char *buf, size_t len);

#endif
