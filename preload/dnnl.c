/*
 * dnnl.c - oneDNN primitive executions (dnnl_primitive_execute).
 *
 * Every oneDNN computation, whichever API the program uses (the C API, the
 * C++ API's inline wrappers, PyTorch's ideep), ends in one exported call,
 * dnnl_primitive_execute(primitive, stream, nargs, args).  Its shape is in
 * the primitive's descriptor: the wrapper asks oneDNN for it (the
 * primitive kind, the propagation kind and the logical dimensions and data
 * types of the memory descriptors, whatever their memory format) through
 * oneDNN's own query functions, looked up at run time among the loaded
 * objects (OPC_AUX): no link-time dependency, nothing to keep in step with
 * primitive creation.  Strides, padding, dilation and groups need not be
 * read: the destination's and the weights' dimensions already hold them
 * (the weights of a grouped convolution are G x K/G x C/G x taps).
 *
 * The execution is recorded under a row named after its kind and
 * propagation (routines.tbl's oneDNN block); the bias and the fused
 * post-ops of a contraction under a second row, dnnl_epilogue, right
 * after it.  A primitive whose kind opcount does not cost, or whose
 * descriptor it cannot read (a oneDNN other than 2.x and 3.x, a runtime
 * dimension), is still counted and timed, with its FLOPs unknown.
 *
 * oneDNN 2.x and 3.x (dnnl_version()) are read alike: the same queries
 * of the primitive descriptor for its memory descriptors; a 2.x memory
 * descriptor is a structure, a 3.x one is opaque and read with
 * dnnl_memory_desc_query; an operation's parameters (algorithm, pooling
 * kernel, flags) are fields of a 2.x operation descriptor and queries of
 * a 3.x primitive descriptor; 3.x renumbered the primitive kinds, mapped
 * here to 2.x's.
 *
 * What a primitive costs is worked out at its first execution and kept in
 * a small table indexed by the primitive's address (a seqlock per entry,
 * no lock on the hot path); dnnl_primitive_destroy, wrapped too, drops
 * the entry, so an address reused by a new primitive is described anew.
 */
#define PR_FMT "opcount"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "call.h"
#include "dnnl_abi.h"
#include "export.h"
#include "log.h"
#include "record.h"
#include "resolve.h"
#include "routines_gen.h"

/* What an execution of one primitive records. */
struct dnnl_desc {
	uint16_t rid;
	uint16_t epi_kflags;	/* OPC_KEY_UNKNOWN: a post-op not costed */
	int epilogue;		/* a dnnl_epilogue row follows */
	struct opc_shape shape, epi;
};

#define DNNL_CACHE 512	/* entries, a power of two */

struct dnnl_entry {
	unsigned seq;		/* odd while being written */
	const void *prim;
	struct dnnl_desc d;
};

static struct dnnl_entry cache[DNNL_CACHE];

static unsigned cache_index(const void *prim)
{
	uint64_t h = (uintptr_t)prim * 0x9e3779b97f4a7c15ull;

	return (unsigned)(h >> 40) & (DNNL_CACHE - 1);
}

static int cache_get(const void *prim, struct dnnl_desc *d)
{
	struct dnnl_entry *e = &cache[cache_index(prim)];
	unsigned s0 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);

	if ((s0 & 1) || __atomic_load_n(&e->prim, __ATOMIC_RELAXED) != prim)
		return 0;
	memcpy(d, &e->d, sizeof(*d));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&e->seq, __ATOMIC_RELAXED) == s0;
}

/* d NULL: forget prim.  A writer that finds the entry busy gives up. */
static void cache_put(const void *prim, const struct dnnl_desc *d)
{
	struct dnnl_entry *e = &cache[cache_index(prim)];
	unsigned s0 = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);

	if (d == NULL && __atomic_load_n(&e->prim, __ATOMIC_RELAXED) != prim)
		return;
	if ((s0 & 1) || !__atomic_compare_exchange_n(&e->seq, &s0, s0 + 1, 0,
						     __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (d) {
		e->d = *d;
		__atomic_store_n(&e->prim, prim, __ATOMIC_RELAXED);
	} else if (__atomic_load_n(&e->prim, __ATOMIC_RELAXED) == prim) {
		__atomic_store_n(&e->prim, NULL, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&e->seq, s0 + 2, __ATOMIC_RELEASE);
}

/* ---- reading a primitive descriptor ---- */

/* The type letters of routines.tbl's cuDNN and oneDNN blocks. */
static char type_letter(int t)
{
	switch (t) {
	case OPC_DNNL_F16: return 'h';
	case OPC_DNNL_BF16: return 'b';
	case OPC_DNNL_F32: return 's';
	case OPC_DNNL_S32: return 'I';
	case OPC_DNNL_S8: return 'i';
	case OPC_DNNL_U8: return 'u';
	case OPC_DNNL_F64: return 'd';
	}
	return '?';
}

/* A memory descriptor's dimensions: ndims 0 if absent or unreadable. */
struct md {
	int ndims;
	char type;
	int64_t dims[OPC_DNNL_MAX_NDIMS];
	int64_t elems;		/* 0 if absent, -1 if unreadable (runtime dims) */
};

struct pd {
	const void *pd;
	opc_dnnl_pd_query_t query;
	opc_dnnl_pd_query_md_t query_md;
	opc_dnnl_md_query_t md_query;	/* 3.x only */
	int v3;
	int prop;
};

/* A 3.x memory descriptor, into the 2.x structure's head. */
static const struct opc_dnnl_md2 *md3_read(const struct pd *p, const void *md,
					   struct opc_dnnl_md2 *out)
{
	const int64_t *dims = NULL;

	if (md == NULL || p->md_query == NULL ||
	    p->md_query(md, OPC_DNNL3_QUERY_NDIMS_S32, &out->ndims) != OPC_DNNL_SUCCESS)
		return NULL;
	if (out->ndims <= 0)
		return out;
	if (out->ndims > OPC_DNNL_MAX_NDIMS ||
	    p->md_query(md, OPC_DNNL3_QUERY_DIMS, &dims) != OPC_DNNL_SUCCESS || dims == NULL ||
	    p->md_query(md, OPC_DNNL3_QUERY_DATA_TYPE, &out->data_type) != OPC_DNNL_SUCCESS)
		return NULL;
	memcpy(out->dims, dims, sizeof(int64_t) * out->ndims);
	return out;
}

static void md_get(const struct pd *p, int what, int index, struct md *m)
{
	const void *raw = p->query_md(p->pd, what, index);
	struct opc_dnnl_md2 buf;
	const struct opc_dnnl_md2 *d = p->v3 ? md3_read(p, raw, &buf) : raw;

	m->ndims = 0;
	m->type = '?';
	m->elems = 0;
	if (d == NULL || d->ndims <= 0)
		return;
	if (d->ndims > OPC_DNNL_MAX_NDIMS) {
		m->elems = -1;
		return;
	}
	m->ndims = d->ndims;
	m->type = type_letter(d->data_type);
	m->elems = 1;
	for (int i = 0; i < d->ndims; i++) {
		m->dims[i] = d->dims[i];
		/* DNNL_RUNTIME_DIM_VAL (INT64_MIN): known only at execution */
		if (d->dims[i] < 0 || (d->dims[i] > 0 && m->elems > INT64_MAX / d->dims[i])) {
			m->elems = -1;
			return;
		}
		m->elems *= d->dims[i];
	}
}

/* The tensors of a contraction in the terms of a forward convolution. */
struct contraction {
	struct md y, x, w, bias;
	int64_t red;		/* multiply-adds per element of y */
	int64_t out;		/* output elements (for the epilogue) */
	char out_type;
};

/* Sum, eltwise, binary and prelu post-ops: FLOPs per output element and
 * elements read; 0 if there are none, -1 if one cannot be costed. */
static int post_ops(const struct pd *p, int64_t out, int64_t *read)
{
	opc_dnnl_pd_get_attr_t get_attr = OPC_AUX(get_attr, "dnnl_primitive_desc_get_attr");
	opc_dnnl_attr_get_post_ops_t get_po =
		OPC_AUX(get_po, "dnnl_primitive_attr_get_post_ops");
	opc_dnnl_post_ops_len_t po_len = OPC_AUX(po_len, "dnnl_post_ops_len");
	opc_dnnl_post_ops_get_kind_t po_kind = OPC_AUX(po_kind, "dnnl_post_ops_get_kind");
	const void *attr = NULL, *po = NULL;
	int n, per = 0;

	*read = 0;
	if (!get_attr || !get_po || !po_len || !po_kind)
		return 0;
	if (get_attr(p->pd, &attr) != OPC_DNNL_SUCCESS || attr == NULL ||
	    get_po(attr, &po) != OPC_DNNL_SUCCESS || po == NULL)
		return 0;
	n = po_len(po);
	for (int i = 0; i < n; i++) {
		struct md src1;

		int k = po_kind(po, i);

		if (p->v3)	/* the kinds post-ops use, as 2.x numbers them */
			k = k == OPC_DNNL3_BINARY ? OPC_DNNL_BINARY :
			    k == OPC_DNNL3_PRELU ? OPC_DNNL_PRELU : k > OPC_DNNL_ELTWISE ? -1 : k;
		switch (k) {
		case OPC_DNNL_SUM:
			per++;
			*read += out;
			break;
		case OPC_DNNL_ELTWISE:
			per++;
			break;
		case OPC_DNNL_BINARY:
		case OPC_DNNL_PRELU:
			per++;
			md_get(p, OPC_DNNL_QUERY_EXEC_ARG_MD,
			       (p->v3 ? OPC_DNNL3_ARG_POST_OP(i) : OPC_DNNL_ARG_POST_OP(i)) |
				       OPC_DNNL_ARG_SRC_1, &src1);
			if (src1.elems > 0)
				*read += src1.elems;
			break;
		default:	/* a depthwise convolution: not costed */
			return -1;
		}
	}
	return per;
}

static int contraction_shape(const struct pd *p, const struct contraction *c, struct dnnl_desc *d,
			     int rid, int bias_read)
{
	int64_t read = 0;
	int per;

	if (c->y.elems <= 0 || c->x.elems <= 0 || c->w.elems <= 0 || c->red <= 0 ||
	    c->bias.elems < 0)
		return -1;
	d->rid = rid;
	d->shape.d[0] = c->y.elems;
	d->shape.d[1] = c->red;
	d->shape.d[2] = c->x.elems;
	d->shape.d[3] = c->w.elems;
	/* the tensor written: y forward, x backward data, w backward weights */
	switch (rid) {
	case OPC_R_dnnl_convolution_backward_data:
	case OPC_R_dnnl_deconvolution_forward:
	case OPC_R_dnnl_inner_product_backward_data:
		d->shape.f[0] = c->y.type;
		d->shape.f[1] = c->x.type;
		break;
	case OPC_R_dnnl_convolution_backward_weights:
	case OPC_R_dnnl_deconvolution_backward_weights:
	case OPC_R_dnnl_inner_product_backward_weights:
		d->shape.f[0] = c->x.type;
		d->shape.f[1] = c->w.type;
		break;
	default:
		d->shape.f[0] = c->x.type;
		d->shape.f[1] = c->y.type;
	}
	per = bias_read ? post_ops(p, c->out, &read) : 0;
	if (per < 0) {		/* counted, FLOPs unknown */
		d->epi_kflags = OPC_KEY_UNKNOWN;
		per = 0;
	}
	if (c->bias.elems > 0 || per > 0 || d->epi_kflags) {
		d->epilogue = 1;
		d->epi.d[0] = c->out;
		d->epi.d[1] = per + (c->bias.elems > 0);
		d->epi.d[2] = c->bias.elems;
		d->epi.d[3] = read;
		d->epi.f[0] = c->out_type;
	}
	return 0;
}

/*
 * Convolution, deconvolution and inner product: the weights' first
 * dimension pair is the output channels (with groups: G, K/G), so the
 * multiply-adds per output element are w / K, K being the channels of
 * the convolution-side output y.
 */
static int conv_like(const struct pd *p, int kind, int prop, struct dnnl_desc *d)
{
	struct contraction c;
	int deconv = kind == OPC_DNNL_DECONVOLUTION, ip = kind == OPC_DNNL_INNER_PRODUCT;
	int rid;

	memset(&c, 0, sizeof(c));
	switch (prop) {
	case OPC_DNNL_FORWARD_TRAINING:
	case OPC_DNNL_FORWARD_INFERENCE: {
		struct md src, dst;

		md_get(p, OPC_DNNL_QUERY_SRC_MD, 0, &src);
		md_get(p, OPC_DNNL_QUERY_DST_MD, 0, &dst);
		md_get(p, OPC_DNNL_QUERY_WEIGHTS_MD, 0, &c.w);
		md_get(p, OPC_DNNL_QUERY_WEIGHTS_MD, 1, &c.bias);
		c.y = deconv ? src : dst;
		c.x = deconv ? dst : src;
		c.out = dst.elems;
		c.out_type = dst.type;
		rid = deconv ? OPC_R_dnnl_deconvolution_forward :
		      ip ? OPC_R_dnnl_inner_product_forward : OPC_R_dnnl_convolution_forward;
		break;
	}
	case OPC_DNNL_BACKWARD_DATA: {
		struct md dsrc, ddst;

		md_get(p, OPC_DNNL_QUERY_DIFF_SRC_MD, 0, &dsrc);
		md_get(p, OPC_DNNL_QUERY_DIFF_DST_MD, 0, &ddst);
		md_get(p, OPC_DNNL_QUERY_WEIGHTS_MD, 0, &c.w);
		c.y = deconv ? dsrc : ddst;
		c.x = deconv ? ddst : dsrc;
		c.out = dsrc.elems;
		c.out_type = dsrc.type;
		rid = deconv ? OPC_R_dnnl_deconvolution_backward_data :
		      ip ? OPC_R_dnnl_inner_product_backward_data :
		      OPC_R_dnnl_convolution_backward_data;
		break;
	}
	case OPC_DNNL_BACKWARD_WEIGHTS: {
		struct md src, ddst;

		md_get(p, OPC_DNNL_QUERY_SRC_MD, 0, &src);
		md_get(p, OPC_DNNL_QUERY_DIFF_DST_MD, 0, &ddst);
		md_get(p, OPC_DNNL_QUERY_DIFF_WEIGHTS_MD, 0, &c.w);
		md_get(p, OPC_DNNL_QUERY_DIFF_WEIGHTS_MD, 1, &c.bias);
		c.y = deconv ? src : ddst;
		c.x = deconv ? ddst : src;
		/* diff_bias: one add per diff_dst element */
		c.out = ddst.elems;
		c.out_type = c.bias.type;
		rid = deconv ? OPC_R_dnnl_deconvolution_backward_weights :
		      ip ? OPC_R_dnnl_inner_product_backward_weights :
		      OPC_R_dnnl_convolution_backward_weights;
		break;
	}
	default:
		return -1;
	}
	if (c.y.ndims < 2 || c.y.dims[1] <= 0 || c.w.elems <= 0 || c.w.elems % c.y.dims[1])
		return -1;
	c.red = c.w.elems / c.y.dims[1];
	return contraction_shape(p, &c, d, rid, prop != OPC_DNNL_BACKWARD_WEIGHTS);
}

/* dst[batch.., M, N] = src[batch.., M, K] x weights[batch.., K, N], the
 * batch dimensions broadcast (1 in src or weights): 2 x dst x K. */
static int matmul(const struct pd *p, struct dnnl_desc *d)
{
	struct contraction c;

	memset(&c, 0, sizeof(c));
	md_get(p, OPC_DNNL_QUERY_SRC_MD, 0, &c.x);
	md_get(p, OPC_DNNL_QUERY_WEIGHTS_MD, 0, &c.w);
	md_get(p, OPC_DNNL_QUERY_DST_MD, 0, &c.y);
	md_get(p, OPC_DNNL_QUERY_WEIGHTS_MD, 1, &c.bias);
	if (c.x.ndims < 2 || c.y.ndims != c.x.ndims)
		return -1;
	c.red = c.x.dims[c.x.ndims - 1];
	c.out = c.y.elems;
	c.out_type = c.y.type;
	return contraction_shape(p, &c, d, OPC_R_dnnl_matmul, 1);
}

static int reorder(const struct pd *p, struct dnnl_desc *d)
{
	struct md src, dst;

	md_get(p, OPC_DNNL_QUERY_SRC_MD, 0, &src);
	md_get(p, OPC_DNNL_QUERY_DST_MD, 0, &dst);
	if (dst.elems <= 0)
		return -1;
	d->rid = OPC_R_dnnl_reorder;
	d->shape.d[0] = dst.elems;
	d->shape.f[0] = src.type;
	d->shape.f[1] = dst.type;
	return 0;
}

/* A parameter of the operation, 0 if unreadable: 2.x, the field at off
 * (of size 4 or 8) of the operation descriptor query gives; 3.x, the
 * primitive descriptor's query q3. */
static int64_t op_field(const struct pd *p, int query, size_t off, size_t size, int q3)
{
	const char *od = NULL;
	int64_t v = 0;
	int32_t v32 = 0;

	if (p->v3) {
		if (p->query(p->pd, q3, 0, size == 4 ? (void *)&v32 : (void *)&v) !=
		    OPC_DNNL_SUCCESS)
			return 0;
		return size == 4 ? v32 : v;
	}
	if (p->query(p->pd, query, 0, &od) != OPC_DNNL_SUCCESS || od == NULL)
		return 0;
	if (size == 4) {
		memcpy(&v32, od + off, 4);
		return v32;
	}
	memcpy(&v, od + off, 8);
	return v;
}

static int forward(int prop)
{
	return prop == OPC_DNNL_FORWARD_TRAINING || prop == OPC_DNNL_FORWARD_INFERENCE;
}

/* The data tensor of an element-wise primitive: the destination forward,
 * diff_src backward. */
static void data_md(const struct pd *p, struct md *m)
{
	md_get(p, forward(p->prop) ? OPC_DNNL_QUERY_DST_MD : OPC_DNNL_QUERY_DIFF_SRC_MD, 0, m);
}

/* n elements of the data tensor, d[0]; rid_fwd or rid_bwd by propagation */
static int elementwise(const struct pd *p, struct dnnl_desc *d, int rid_fwd, int rid_bwd)
{
	struct md m;

	data_md(p, &m);
	if (m.elems <= 0)
		return -1;
	d->rid = forward(p->prop) ? rid_fwd : rid_bwd;
	d->shape.d[0] = m.elems;
	d->shape.f[0] = m.type;
	return 0;
}

static int softmax(const struct pd *p, int kind, struct dnnl_desc *d)
{
	int logsm = kind == OPC_DNNL_LOGSOFTMAX ||
		    (kind == OPC_DNNL_SOFTMAX_V2 &&
		     op_field(p, OPC_DNNL_QUERY_SOFTMAX_V2_D, OPC_DNNL_OFF_SOFTMAX_V2_ALG, 4,
			      OPC_DNNL3_QUERY_ALG_KIND) ==
			     OPC_DNNL_SOFTMAX_LOG);

	return logsm ? elementwise(p, d, OPC_R_dnnl_logsoftmax_forward,
				   OPC_R_dnnl_logsoftmax_backward) :
		       elementwise(p, d, OPC_R_dnnl_softmax_forward, OPC_R_dnnl_softmax_backward);
}

static int prelu(const struct pd *p, struct dnnl_desc *d)
{
	struct md w;

	md_get(p, OPC_DNNL_QUERY_WEIGHTS_MD, 0, &w);
	if (w.elems <= 0 || elementwise(p, d, OPC_R_dnnl_prelu_forward, OPC_R_dnnl_prelu_backward))
		return -1;
	d->shape.d[1] = w.elems;
	return 0;
}

static int pooling(const struct pd *p, int kind, struct dnnl_desc *d)
{
	int fwd = forward(p->prop);
	int q = kind == OPC_DNNL_POOLING ? OPC_DNNL_QUERY_POOLING_D : OPC_DNNL_QUERY_POOLING_V2_D;
	const char *od = NULL;
	const int64_t *kernel = NULL;
	struct md y, x;
	int64_t window = 1;

	md_get(p, fwd ? OPC_DNNL_QUERY_DST_MD : OPC_DNNL_QUERY_DIFF_DST_MD, 0, &y);
	md_get(p, fwd ? OPC_DNNL_QUERY_SRC_MD : OPC_DNNL_QUERY_DIFF_SRC_MD, 0, &x);
	if (y.elems <= 0 || x.elems <= 0 || x.ndims < 3)
		return -1;
	if (p->v3 ? p->query(p->pd, OPC_DNNL3_QUERY_KERNEL, 0, &kernel) != OPC_DNNL_SUCCESS ||
			    kernel == NULL :
		    p->query(p->pd, q, 0, &od) != OPC_DNNL_SUCCESS || od == NULL)
		return -1;
	for (int i = 0; i < x.ndims - 2; i++) {
		int64_t k;

		if (kernel)
			k = kernel[i];
		else
			memcpy(&k, od + OPC_DNNL_OFF_POOL_KERNEL + 8 * i, 8);
		if (k <= 0 || k > 1 << 20)
			return -1;
		window *= k;
	}
	d->rid = fwd ? OPC_R_dnnl_pooling_forward : OPC_R_dnnl_pooling_backward;
	d->shape.d[0] = y.elems;
	d->shape.d[1] = window;
	d->shape.d[2] = x.elems;
	d->shape.f[0] = x.type;
	return 0;
}

static int lrn(const struct pd *p, struct dnnl_desc *d)
{
	int64_t size = op_field(p, OPC_DNNL_QUERY_LRN_D, OPC_DNNL_OFF_LRN_SIZE, 8,
				OPC_DNNL3_QUERY_LOCAL_SIZE_S64), taps = size;
	struct md m;

	data_md(p, &m);
	if (size <= 0 || size > 1 << 16 || m.ndims < 2 ||
	    elementwise(p, d, OPC_R_dnnl_lrn_forward, OPC_R_dnnl_lrn_backward))
		return -1;
	if (op_field(p, OPC_DNNL_QUERY_LRN_D, OPC_DNNL_OFF_ALG, 4, OPC_DNNL3_QUERY_ALG_KIND) ==
	    OPC_DNNL_LRN_WITHIN_CHANNEL)
		for (int i = 2; i < m.ndims; i++)
			taps *= size;
	d->shape.d[1] = taps;
	return 0;
}

/* c: channels (batch normalisation), rows over the last dim (layer) */
static int normalization(const struct pd *p, int kind, struct dnnl_desc *d)
{
	int bn = kind == OPC_DNNL_BATCH_NORMALIZATION;
	int q = bn ? OPC_DNNL_QUERY_BATCH_NORMALIZATION_D : OPC_DNNL_QUERY_LAYER_NORMALIZATION_D;
	int fwd = forward(p->prop);
	struct md m;
	int64_t c;

	md_get(p, OPC_DNNL_QUERY_SRC_MD, 0, &m);
	if (m.elems <= 0 || m.ndims < 2)
		return -1;
	c = bn ? m.dims[1] : m.elems / m.dims[m.ndims - 1];
	d->rid = bn ? (fwd ? OPC_R_dnnl_batch_normalization_forward :
		       OPC_R_dnnl_batch_normalization_backward) :
		      (fwd ? OPC_R_dnnl_layer_normalization_forward :
		       OPC_R_dnnl_layer_normalization_backward);
	d->shape.d[0] = m.elems;
	d->shape.d[1] = c;
	d->shape.f[0] = m.type;
	if (fwd)
		d->shape.f[1] = op_field(p, q, OPC_DNNL_OFF_NORM_FLAGS, 4, OPC_DNNL3_QUERY_FLAGS) &
					OPC_DNNL_USE_GLOBAL_STATS ? 'g' : 'c';
	return 0;
}

static int binary(const struct pd *p, struct dnnl_desc *d)
{
	struct md a, b, y;

	md_get(p, OPC_DNNL_QUERY_SRC_MD, 0, &a);
	md_get(p, OPC_DNNL_QUERY_SRC_MD, 1, &b);
	md_get(p, OPC_DNNL_QUERY_DST_MD, 0, &y);
	if (a.elems <= 0 || b.elems <= 0 || y.elems <= 0)
		return -1;
	d->rid = OPC_R_dnnl_binary;
	d->shape.d[0] = y.elems;
	d->shape.d[1] = a.elems;
	d->shape.d[2] = b.elems;
	d->shape.f[0] = y.type;
	return 0;
}

/* sum, concat: the destination, and sum's number of sources */
static int gather(const struct pd *p, int kind, struct dnnl_desc *d)
{
	struct md y;
	int k = 0;

	md_get(p, OPC_DNNL_QUERY_DST_MD, 0, &y);
	if (y.elems <= 0)
		return -1;
	d->shape.d[0] = y.elems;
	d->shape.f[0] = y.type;
	if (kind == OPC_DNNL_CONCAT) {
		d->rid = OPC_R_dnnl_concat;
		return 0;
	}
	if (p->query(p->pd, OPC_DNNL_QUERY_NUM_OF_INPUTS_S32, 0, &k) != OPC_DNNL_SUCCESS || k < 1)
		return -1;
	d->rid = OPC_R_dnnl_sum;
	d->shape.d[1] = k;
	return 0;
}

static int shuffle(const struct pd *p, struct dnnl_desc *d)
{
	return elementwise(p, d, OPC_R_dnnl_shuffle_forward, OPC_R_dnnl_shuffle_backward);
}

static int resampling(const struct pd *p, struct dnnl_desc *d)
{
	int fwd = forward(p->prop);
	struct md y, x;

	md_get(p, fwd ? OPC_DNNL_QUERY_DST_MD : OPC_DNNL_QUERY_DIFF_DST_MD, 0, &y);
	md_get(p, fwd ? OPC_DNNL_QUERY_SRC_MD : OPC_DNNL_QUERY_DIFF_SRC_MD, 0, &x);
	if (y.elems <= 0 || x.elems <= 0 || x.ndims < 3)
		return -1;
	d->rid = fwd ? OPC_R_dnnl_resampling_forward : OPC_R_dnnl_resampling_backward;
	d->shape.d[0] = y.elems;
	d->shape.d[1] = x.elems;
	d->shape.d[2] = x.ndims - 2;
	d->shape.f[0] = x.type;
	d->shape.f[1] = op_field(p, OPC_DNNL_QUERY_RESAMPLING_D, OPC_DNNL_OFF_ALG, 4,
				 OPC_DNNL3_QUERY_ALG_KIND) ==
				OPC_DNNL_RESAMPLING_LINEAR ? 'l' : 'n';
	return 0;
}

static int reduction(const struct pd *p, struct dnnl_desc *d)
{
	int64_t alg = op_field(p, OPC_DNNL_QUERY_REDUCTION_D, OPC_DNNL_OFF_ALG_NOPROP, 4,
			       OPC_DNNL3_QUERY_ALG_KIND);
	struct md y, x;

	md_get(p, OPC_DNNL_QUERY_DST_MD, 0, &y);
	md_get(p, OPC_DNNL_QUERY_SRC_MD, 0, &x);
	if (y.elems <= 0 || x.elems <= 0 || alg == 0)
		return -1;
	d->rid = OPC_R_dnnl_reduction;
	d->shape.d[0] = y.elems;
	d->shape.d[1] = x.elems;
	d->shape.f[0] = x.type;
	d->shape.f[1] = alg == OPC_DNNL_REDUCTION_MEAN ? 'a' :
			alg >= OPC_DNNL_REDUCTION_NORM_FIRST && alg <= OPC_DNNL_REDUCTION_NORM_LAST ?
			'n' : 'm';
	return 0;
}

/* weights_layer L x D x SLC x G x DHC: the cells are T x N x L x D x DHC */
static int rnn(const struct pd *p, struct dnnl_desc *d)
{
	static const int io_args[] = {
		OPC_DNNL_ARG_SRC_LAYER, OPC_DNNL_ARG_SRC_ITER, OPC_DNNL_ARG_SRC_ITER_C,
		OPC_DNNL_ARG_DST_LAYER, OPC_DNNL_ARG_DST_ITER, OPC_DNNL_ARG_DST_ITER_C,
		OPC_DNNL_ARG_BIAS,
	};
	int64_t cell = op_field(p, OPC_DNNL_QUERY_RNN_D, OPC_DNNL_OFF_RNN_CELL, 4,
				OPC_DNNL3_QUERY_CELL_KIND), io = 0;
	struct md src, wl, wi;
	char c;

	switch (cell) {
	case OPC_DNNL_VANILLA_RNN: c = 'R'; break;
	case OPC_DNNL_VANILLA_LSTM: c = 'L'; break;
	case OPC_DNNL_VANILLA_GRU: c = 'G'; break;
	case OPC_DNNL_LBR_GRU: c = 'B'; break;
	default: return -1;	/* AUGRU and later cells: not costed */
	}
	md_get(p, OPC_DNNL_QUERY_EXEC_ARG_MD, OPC_DNNL_ARG_SRC_LAYER, &src);
	md_get(p, OPC_DNNL_QUERY_EXEC_ARG_MD, OPC_DNNL_ARG_WEIGHTS_LAYER, &wl);
	md_get(p, OPC_DNNL_QUERY_EXEC_ARG_MD, OPC_DNNL_ARG_WEIGHTS_ITER, &wi);
	if (src.ndims != 3 || wl.ndims != 5 || src.elems <= 0 || wl.elems <= 0 || wi.elems <= 0)
		return -1;
	for (size_t i = 0; i < sizeof(io_args) / sizeof(io_args[0]); i++) {
		struct md m;

		md_get(p, OPC_DNNL_QUERY_EXEC_ARG_MD, io_args[i], &m);
		if (m.elems < 0)
			return -1;
		io += m.elems;
	}
	d->rid = forward(p->prop) ? OPC_R_dnnl_rnn_forward : OPC_R_dnnl_rnn_backward;
	d->shape.d[0] = src.dims[0] * src.dims[1];
	d->shape.d[1] = wl.elems + wi.elems;
	d->shape.d[2] = d->shape.d[0] * wl.dims[0] * wl.dims[1] * wl.dims[4];
	d->shape.d[3] = io;
	d->shape.f[0] = src.type;
	d->shape.f[1] = c;
	return 0;
}

/* The major version of the loaded oneDNN if its descriptors can be read
 * (2 or 3), 0 otherwise. */
static int dnnl_major(void)
{
	static int major = -1;
	opc_dnnl_version_t version;
	const struct opc_dnnl_version *v;
	int m;

	if ((m = __atomic_load_n(&major, __ATOMIC_RELAXED)) >= 0)
		return m;
	version = OPC_AUX(version, "dnnl_version");
	v = version ? version() : NULL;
	m = v && (v->major == 2 || v->major == 3) ? v->major : 0;
	__atomic_store_n(&major, m, __ATOMIC_RELAXED);
	if (!m)
		pr_dbg(1, "oneDNN %d.%d: descriptors not read, executions counted with FLOPs "
		       "unknown\n", v ? v->major : -1, v ? v->minor : -1);
	return m;
}

/* A 3.x primitive kind as 2.x numbers it (-1: none there) */
static int kind_from3(int k)
{
	switch (k) {
	case OPC_DNNL3_LRN: return OPC_DNNL_LRN;
	case OPC_DNNL3_BATCH_NORMALIZATION: return OPC_DNNL_BATCH_NORMALIZATION;
	case OPC_DNNL3_INNER_PRODUCT: return OPC_DNNL_INNER_PRODUCT;
	case OPC_DNNL3_RNN: return OPC_DNNL_RNN;
	case OPC_DNNL3_GEMM: return OPC_DNNL_GEMM;
	case OPC_DNNL3_BINARY: return OPC_DNNL_BINARY;
	case OPC_DNNL3_MATMUL: return OPC_DNNL_MATMUL;
	case OPC_DNNL3_RESAMPLING: return OPC_DNNL_RESAMPLING;
	case OPC_DNNL3_POOLING: return OPC_DNNL_POOLING;
	case OPC_DNNL3_REDUCTION: return OPC_DNNL_REDUCTION;
	case OPC_DNNL3_PRELU: return OPC_DNNL_PRELU;
	case OPC_DNNL3_SOFTMAX: return OPC_DNNL_SOFTMAX_V2;
	case OPC_DNNL3_LAYER_NORMALIZATION: return OPC_DNNL_LAYER_NORMALIZATION;
	}
	return k >= OPC_DNNL_REORDER && k <= OPC_DNNL_ELTWISE ? k : -1;
}

static void describe(const void *prim, struct dnnl_desc *d)
{
	opc_dnnl_get_pd_t get_pd = OPC_AUX(get_pd, "dnnl_primitive_get_primitive_desc");
	opc_dnnl_pd_query_t query = OPC_AUX(query, "dnnl_primitive_desc_query");
	opc_dnnl_pd_query_md_t query_md = OPC_AUX(query_md, "dnnl_primitive_desc_query_md");
	int major = dnnl_major();
	struct pd p = { NULL, query, query_md, NULL, major == 3, 0 };
	int raw_kind = 0, kind, prop = 0, ret = -1;

	memset(d, 0, sizeof(*d));
	d->rid = OPC_R_dnnl_primitive_execute;
	if (p.v3) {
		opc_dnnl_md_query_t md_query = NULL;

		md_query = OPC_AUX(md_query, "dnnl_memory_desc_query");
		p.md_query = md_query;
	}
	if (!get_pd || !query || !p.query_md || !major || (p.v3 && !p.md_query) ||
	    get_pd(prim, &p.pd) != OPC_DNNL_SUCCESS || p.pd == NULL ||
	    query(p.pd, OPC_DNNL_QUERY_PRIMITIVE_KIND, 0, &raw_kind) != OPC_DNNL_SUCCESS)
		return;
	if (query(p.pd, OPC_DNNL_QUERY_PROP_KIND, 0, &prop) != OPC_DNNL_SUCCESS)
		prop = 0;
	p.prop = prop;
	kind = p.v3 ? kind_from3(raw_kind) : raw_kind;
	switch (kind) {
	case OPC_DNNL_CONVOLUTION:
	case OPC_DNNL_DECONVOLUTION:
	case OPC_DNNL_INNER_PRODUCT:
		ret = conv_like(&p, kind, prop, d);
		break;
	case OPC_DNNL_MATMUL:
		ret = matmul(&p, d);
		break;
	case OPC_DNNL_REORDER:
		ret = reorder(&p, d);
		break;
	case OPC_DNNL_ELTWISE:
		ret = elementwise(&p, d, OPC_R_dnnl_eltwise_forward, OPC_R_dnnl_eltwise_backward);
		break;
	case OPC_DNNL_SOFTMAX:
	case OPC_DNNL_SOFTMAX_V2:
	case OPC_DNNL_LOGSOFTMAX:
		ret = softmax(&p, kind, d);
		break;
	case OPC_DNNL_PRELU:
		ret = prelu(&p, d);
		break;
	case OPC_DNNL_POOLING:
	case OPC_DNNL_POOLING_V2:
		ret = pooling(&p, kind, d);
		break;
	case OPC_DNNL_LRN:
		ret = lrn(&p, d);
		break;
	case OPC_DNNL_BATCH_NORMALIZATION:
	case OPC_DNNL_LAYER_NORMALIZATION:
		ret = normalization(&p, kind, d);
		break;
	case OPC_DNNL_BINARY:
		ret = binary(&p, d);
		break;
	case OPC_DNNL_SUM:
	case OPC_DNNL_CONCAT:
		ret = gather(&p, kind, d);
		break;
	case OPC_DNNL_SHUFFLE:
		ret = shuffle(&p, d);
		break;
	case OPC_DNNL_RESAMPLING:
		ret = resampling(&p, d);
		break;
	case OPC_DNNL_REDUCTION:
		ret = reduction(&p, d);
		break;
	case OPC_DNNL_RNN:
		ret = rnn(&p, d);
		break;
	}
	if (ret < 0) {		/* not costed: the kind, as oneDNN numbers it */
		memset(d, 0, sizeof(*d));
		d->rid = OPC_R_dnnl_primitive_execute;
		d->shape.d[0] = raw_kind;
		d->shape.d[1] = prop;
	}
}

OPC_EXPORT int dnnl_primitive_execute(const void *primitive, void *stream, int nargs,
				      const void *args)
{
	opc_dnnl_execute_t real = (opc_dnnl_execute_t)opc_real(OPC_R_dnnl_primitive_execute);
	void *site = __builtin_return_address(0);
	struct opc_call c;
	struct dnnl_desc d;
	int ret;

	if (__builtin_expect(real == NULL, 0)) {
		opc_real_missing(OPC_R_dnnl_primitive_execute);
		return OPC_DNNL_RUNTIME_ERROR;
	}
	if (!opc_call_begin(&c, OPC_R_dnnl_primitive_execute, site))
		return real(primitive, stream, nargs, args);
	if (!cache_get(primitive, &d)) {
		int saved_errno = errno;

		describe(primitive, &d);
		cache_put(primitive, &d);
		errno = saved_errno;
	}
	c.key.rid = d.rid;
	c.key.shape = d.shape;
	opc_call_enter(&c);
	ret = real(primitive, stream, nargs, args);
	if (__builtin_expect(ret != OPC_DNNL_SUCCESS, 0))
		opc_call_reject(&c);
	opc_call_exit(&c);
	if (d.epilogue && ret == OPC_DNNL_SUCCESS) {
		struct opc_call e;

		/* fused into the execution just counted: its time is there */
		if (opc_call_begin(&e, OPC_R_dnnl_epilogue, site)) {
			e.key.shape = d.epi;
			e.key.kflags |= d.epi_kflags;
			opc_call_enter(&e);
			opc_call_exit(&e);
		}
	}
	return ret;
}

OPC_EXPORT int dnnl_primitive_destroy(void *primitive)
{
	opc_dnnl_destroy_t real = OPC_AUX(real, "dnnl_primitive_destroy");

	if (primitive)
		cache_put(primitive, NULL);
	if (__builtin_expect(real == NULL, 0))
		return OPC_DNNL_RUNTIME_ERROR;
	return real(primitive);
}
