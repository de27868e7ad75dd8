/*
 * routines.h - the table of intercepted routines and their cost model.
 *
 * One line of common/routines.tbl describes a routine family; the
 * generator (tools/genwrap.py) expands it over precisions and interfaces
 * into opc_routines[] and into the preload wrappers.  The cost of a call
 * depends only on its shape (dimensions and the few flags that change the
 * count), so it is computed once per distinct key, not per call.
 */
#ifndef OPC_ROUTINES_H
#define OPC_ROUTINES_H

#include <stdint.h>

enum opc_iface {
	OPC_IF_CBLAS = 0,
	OPC_IF_FORTRAN = 1,
	OPC_IF_LAPACKE = 2,
	OPC_IF_CUBLAS = 3,	/* GPU interfaces from here on */
	OPC_IF_CUBLASLT = 4,
	OPC_IF_CUDNN = 5,
	OPC_IF_CUDART = 6,	/* GPU interfaces up to here */
	OPC_IF_DNNL = 7,	/* oneDNN primitives (host) */
	OPC_IF_REGION = 8,	/* not a library: time in layer regions (layer.c) */
	OPC_IF_MPI = 9,		/* MPI (host): communication, type "comm" */
	OPC_IF_NCCL = 10,	/* NCCL (GPU): communication, type "comm" */
	OPC_IF_GLOO = 11,	/* Gloo (host, torch.distributed): communication */
};

/* Work done on a GPU: timed there, its energy is the GPU's. */
static inline int opc_iface_gpu(int iface)
{
	return (iface >= OPC_IF_CUBLAS && iface <= OPC_IF_CUDART) || iface == OPC_IF_NCCL;
}

/* The routine class of every MPI and NCCL row: `--by type` and `opcount
 * fit` show it as the row's type even inside a typed layer, so that
 * communication always gets a cost coefficient of its own. */
#define OPC_CLASS_COMM "comm"

#define OPC_SHAPE_DIMS  4
#define OPC_SHAPE_FLAGS 4

/*
 * The part of a call's arguments that determines its cost.  Flags are
 * normalised characters: transposition 'N'/'T'/'C', side 'L'/'R', uplo
 * 'U'/'L', diag 'N'/'U', LAPACK job characters as given (upper case), a
 * scalar '0' when it is zero and '1' otherwise, and 'Q' for an integer
 * that is -1 (a LAPACK workspace query, which does no arithmetic).
 */
struct opc_shape {
	int64_t d[OPC_SHAPE_DIMS];
	char f[OPC_SHAPE_FLAGS];
};

struct opc_cost {
	uint64_t flops;
	uint64_t bytes;
};

typedef void (*opc_cost_fn)(const struct opc_shape *s, char prec,
			    struct opc_cost *out);

/* How well a routine's cost function knows its FLOPs (routines.tbl: no
 * mark, `estimated`, `unknown`); a key carries it in the trace as
 * OPC_TKEY_ESTIMATED or OPC_TKEY_UNKNOWN. */
enum opc_flops_kind {
	OPC_FLOPS_EXACT = 0,
	OPC_FLOPS_ESTIMATED,	/* data-dependent cost: leading order only */
	OPC_FLOPS_UNKNOWN,	/* not known from the call (a kernel launch, a
				   cuDNN graph plan): 0 counted */
};

struct opc_routine {
	const char *symbol;	/* as exported: "cblas_dgemm", "dgemm_" */
	const char *op;		/* without prefix and underscore: "dgemm" */
	const char *family;	/* routine class: "gemm" */
	const char *dims;	/* names of shape.d: "m,n,k" */
	const char *flags;	/* names of shape.f: "ta,tb,beta" */
	unsigned char level;	/* BLAS level 1..3; 4 for LAPACK */
	char prec;		/* 's', 'd', 'c', 'z': element type read */
	unsigned char iface;	/* enum opc_iface */
	unsigned char flops_kind; /* enum opc_flops_kind */
	opc_cost_fn cost;
};

/*
 * How to find a routine's shape in its raw arguments (for the ptrace
 * tracer, which sees registers, not a typed call): one routines.tbl token
 * per parameter, and the parameter index each shape.d[i] and shape.f[i]
 * comes from (-1: none).  Generated beside opc_routines[].
 */
struct opc_argdesc {
	const char *tokens;	/* "TTIIIAPIPIAPI" */
	signed char dim[OPC_SHAPE_DIMS];
	signed char flag[OPC_SHAPE_FLAGS];
};

extern const struct opc_routine opc_routines[];
extern const struct opc_argdesc opc_argdescs[];
extern const int opc_nroutines;

/* Element size in bytes of a precision letter; 0 if unknown ('x': mixed,
 * the types are in the shape flags, see the family's cost function). */
static inline int opc_elem_size(char prec)
{
	switch (prec) {
	case 's': return 4;
	case 'd': return 8;
	case 'c': return 8;
	case 'z': return 16;
	case 'h': return 2;	/* IEEE half */
	case 'b': return 2;	/* bfloat16 */
	}
	return 0;
}

static inline int opc_is_complex(char prec)
{
	return prec == 'c' || prec == 'z';
}

const char *opc_iface_name(int iface);
int opc_routine_find(const char *symbol);
void opc_routine_cost(int rid, const struct opc_shape *s, struct opc_cost *out);

/*
 * The cost of a cuDNN operation graph (common/cost.c), node by node, as
 * preload/gpu_cudnn_graph.c mirrors the graph the program builds.
 */
#define OPC_CUDNN_GRAPH_DIMS 8	/* CUDNN_DIM_MAX */

struct opc_cudnn_tensor {
	int set;		/* dimensions known */
	int nbdims;
	char type;		/* type letter, as the cuDNN shape flags; '?' unknown */
	int virt;		/* never in memory: an intermediate of a fused graph */
	int64_t dims[OPC_CUDNN_GRAPH_DIMS];
};

enum opc_cudnn_node {
	OPC_CUDNN_NODE_OTHER,		/* pointwise, reduction, unknown: not costed */
	OPC_CUDNN_NODE_CONV_FWD,	/* operands x, w, y */
	OPC_CUDNN_NODE_CONV_BWD_DATA,	/* dx, w, dy */
	OPC_CUDNN_NODE_CONV_BWD_FILTER,	/* x, dw, dy */
	OPC_CUDNN_NODE_MATMUL,		/* a, b, c */
};

struct opc_cudnn_graph_cost {
	int counted, other;	/* nodes costed, nodes not */
	int64_t flops;
	double bytes;		/* rounded once, for the whole graph */
};

/* Add one node to c; beta: its output is read as well as written. */
void opc_cudnn_graph_add(struct opc_cudnn_graph_cost *c, enum opc_cudnn_node node,
			 const struct opc_cudnn_tensor io[3], int beta);

#endif
