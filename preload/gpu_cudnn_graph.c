/*
 * gpu_cudnn_graph.c - the cuDNN graph (backend) API: what an execution
 * plan computes, for the cudnnBackendExecute wrapper in gpu_cudnn.c.
 *
 * cudnnBackendExecute is counted and timed with one key per execution
 * plan (the plan's address is a key dimension).  A finalised plan cannot
 * be asked what it computes without creating descriptors of the right
 * types to receive every node, so the wrappers of
 * cudnnBackendCreateDescriptor, SetAttribute, GetAttribute, Finalize and
 * DestroyDescriptor here mirror, as the program builds it, the little the
 * cost needs: tensors, convolution and matmul operations, the graph, its
 * engine, engine configuration (set, or handed out by the heuristics) and
 * plan.  When a plan is finalised its FLOPs and bytes are added up
 * (opc_cudnn_graph_add, common/cost.c) and published in a table keyed by
 * the plan; cudnnBackendExecute only looks the plan up, without a lock
 * (opc_cudnn_plan_lookup).  A plan found there is recorded as
 * cudnnBackendExecute_graph with its cost; one not found (no countable
 * node, or built where opcount could not see it) stays
 * cudnnBackendExecute, FLOPs unknown.
 */
#define PR_FMT "opcount"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_abi.h"
#include "gpu.h"
#include "gpu_cudnn_graph.h"
#include "hashtab.h"
#include "log.h"
#include "record.h"
#include "routines.h"

_Static_assert(OPC_CUDNN_GRAPH_DIMS == OPC_CUDNN_DIM_MAX,
	       "a tensor of common/cost.c holds the dimensions cuDNN allows");

/*
 * The mirror: one entry per descriptor of a type the cost needs, keyed by
 * its address, under graph_lock (descriptors are made once and used many
 * times: none of this is on a hot path).  A descriptor that refers to
 * another (an operation to its tensors, a graph to its operations, a plan
 * to its engine configuration) copies what it needs out of it when the
 * attribute is set, as cuDNN does, so the program may destroy the
 * referenced descriptor afterwards.  Attributes are mirrored only once the
 * real call has accepted them.
 */

/* what a graph, and the engine, configuration or plan made from it, cost */
struct gcost {
	int known;		/* a graph was seen */
	struct opc_cudnn_graph_cost c;
};

struct gdesc {
	struct gdesc *next;
	void *desc;
	int type;		/* cudnnBackendDescriptorType_t */
	union {
		struct opc_cudnn_tensor t;
		struct {	/* conv: x (dx), w (dw), y (dy); matmul: a, b, c */
			struct opc_cudnn_tensor io[3];
			int beta;	/* output read too */
		} op;
		struct gcost cost;
	} u;
};

#define GDESC_BUCKETS 1024

static pthread_mutex_t graph_lock = PTHREAD_MUTEX_INITIALIZER;

/* fork: the child gets the mirror as it was, never a lock held by a
 * thread it does not have (shim.c's handlers call these) */
void opc_cudnn_atfork_prepare(void)
{
	pthread_mutex_lock(&graph_lock);
}

void opc_cudnn_atfork_parent(void)
{
	pthread_mutex_unlock(&graph_lock);
}

void opc_cudnn_atfork_child(void)
{
	pthread_mutex_init(&graph_lock, NULL);
}
static struct gdesc *gdesc_tab[GDESC_BUCKETS];

static unsigned ptr_hash(const void *p, int bits)
{
	return (unsigned)(((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ull >> (64 - bits));
}

static int gdesc_mirrored(int type)
{
	switch (type) {
	case OPC_CUDNN_BACKEND_TENSOR:
	case OPC_CUDNN_BACKEND_OP_CONV_FWD:
	case OPC_CUDNN_BACKEND_OP_CONV_BWD_DATA:
	case OPC_CUDNN_BACKEND_OP_CONV_BWD_FILTER:
	case OPC_CUDNN_BACKEND_OP_MATMUL:
	case OPC_CUDNN_BACKEND_OPERATIONGRAPH:
	case OPC_CUDNN_BACKEND_ENGINE:
	case OPC_CUDNN_BACKEND_ENGINECFG:
	case OPC_CUDNN_BACKEND_ENGINEHEUR:
	case OPC_CUDNN_BACKEND_EXECUTION_PLAN:
		return 1;
	}
	return 0;
}

/* with graph_lock held */
static struct gdesc *gdesc_find(const void *d)
{
	struct gdesc *e;

	if (d == NULL)
		return NULL;
	for (e = gdesc_tab[ptr_hash(d, 10)]; e; e = e->next)
		if (e->desc == d)
			return e;
	return NULL;
}

static struct gdesc *gdesc_find_type(const void *d, int type)
{
	struct gdesc *e = gdesc_find(d);

	return e && e->type == type ? e : NULL;
}

/* ---- execution plans: the table cudnnBackendExecute reads ----
 *
 * Written under graph_lock, read without a lock: a sequence counter, odd
 * while a writer changes the table, tells a reader to look again (plans
 * are finalised and destroyed rarely, executed often).  A plan's cost is
 * an entry of plans[] (free when its plan is 0), found by the plan's
 * address through a fixed hash index of entry ids (common/hashtab.h).
 */
#define PLANS_MAX 6144u
#define PLAN_SLOTS 16384

struct plan_ent {
	uintptr_t plan;		/* 0: free */
	int64_t flops, bytes, other;
};

static unsigned plan_seq;
static struct plan_ent plans[PLANS_MAX];	/* by id - 1 */
static uint64_t plan_slots[PLAN_SLOTS];
static struct opc_hashtab plan_index = OPC_HASHTAB_FIXED(plan_slots);
_Static_assert(2 * PLANS_MAX <= PLAN_SLOTS, "a fixed index takes ids up to half its slots");

static void plan_write_begin(void)
{
	__atomic_store_n(&plan_seq, plan_seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void plan_write_end(void)
{
	__atomic_store_n(&plan_seq, plan_seq + 1, __ATOMIC_RELEASE);
}

static uint32_t plan_hash(const void *plan)
{
	return (uint32_t)opc_hash_mix64((uintptr_t)plan);
}

/* relaxed: a reader may race a writer, and then looks again */
static int plan_is(const void *arg, uint32_t id)
{
	return __atomic_load_n(&plans[id - 1].plan, __ATOMIC_RELAXED) == (uintptr_t)arg;
}

/* with graph_lock held */
static void plan_remove(const void *plan)
{
	uint32_t h = plan_hash(plan), id = opc_hashtab_find(&plan_index, h, plan_is, plan);

	if (id == 0)
		return;
	plan_write_begin();
	opc_hashtab_remove(&plan_index, h, id);
	__atomic_store_n(&plans[id - 1].plan, 0, __ATOMIC_RELAXED);
	plan_write_end();
}

/* with graph_lock held; 0 or -ENOSPC */
static int plan_publish(const void *plan, const struct opc_cudnn_graph_cost *c)
{
	static uint32_t next;	/* where the search for a free entry starts */
	struct plan_ent *e = NULL;
	int ret;

	plan_remove(plan);
	if (plan_index.n >= PLANS_MAX)
		return -ENOSPC;
	for (uint32_t k = 0; e == NULL; k++)	/* there is one: n < PLANS_MAX */
		if (plans[(next + k) % PLANS_MAX].plan == 0)
			e = &plans[(next + k) % PLANS_MAX];
	next = (uint32_t)(e - plans) + 1;
	plan_write_begin();
	__atomic_store_n(&e->flops, c->flops, __ATOMIC_RELAXED);
	__atomic_store_n(&e->bytes, llround(c->bytes), __ATOMIC_RELAXED);
	__atomic_store_n(&e->other, c->other, __ATOMIC_RELAXED);
	__atomic_store_n(&e->plan, (uintptr_t)plan, __ATOMIC_RELAXED);
	ret = opc_hashtab_insert(&plan_index, plan_hash(plan), (uint32_t)(e - plans) + 1);
	if (ret < 0)
		__atomic_store_n(&e->plan, 0, __ATOMIC_RELAXED);
	plan_write_end();
	return ret;
}

int opc_cudnn_plan_lookup(const void *plan, struct opc_cudnn_plan_cost *out)
{
	uint32_t h = plan_hash(plan);

	for (;;) {
		unsigned seq = __atomic_load_n(&plan_seq, __ATOMIC_ACQUIRE);
		uint32_t id = opc_hashtab_find(&plan_index, h, plan_is, plan);

		if (id) {
			const struct plan_ent *e = &plans[id - 1];

			out->flops = __atomic_load_n(&e->flops, __ATOMIC_RELAXED);
			out->bytes = __atomic_load_n(&e->bytes, __ATOMIC_RELAXED);
			out->other = __atomic_load_n(&e->other, __ATOMIC_RELAXED);
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (!(seq & 1) && __atomic_load_n(&plan_seq, __ATOMIC_RELAXED) == seq)
			return id != 0;
	}
}

/* ---- mirroring the descriptors ---- */

/* Add an operation of a graph to its cost (one not mirrored counts as other). */
static void graph_node_add(struct opc_cudnn_graph_cost *c, const struct gdesc *op)
{
	enum opc_cudnn_node node = OPC_CUDNN_NODE_OTHER;

	switch (op ? op->type : -1) {
	case OPC_CUDNN_BACKEND_OP_CONV_FWD: node = OPC_CUDNN_NODE_CONV_FWD; break;
	case OPC_CUDNN_BACKEND_OP_CONV_BWD_DATA: node = OPC_CUDNN_NODE_CONV_BWD_DATA; break;
	case OPC_CUDNN_BACKEND_OP_CONV_BWD_FILTER: node = OPC_CUDNN_NODE_CONV_BWD_FILTER; break;
	case OPC_CUDNN_BACKEND_OP_MATMUL: node = OPC_CUDNN_NODE_MATMUL; break;
	}
	opc_cudnn_graph_add(c, node, node == OPC_CUDNN_NODE_OTHER ? NULL : op->u.op.io,
			    node == OPC_CUDNN_NODE_OTHER ? 0 : op->u.op.beta);
}

static void gdesc_create(int type, void *d)
{
	struct gdesc *e;
	static int warned;

	if (d == NULL || !gdesc_mirrored(type))
		return;
	pthread_mutex_lock(&graph_lock);
	e = gdesc_find(d);	/* one made where opcount did not see it go */
	if (e == NULL && (e = calloc(1, sizeof(*e))) != NULL) {
		unsigned b = ptr_hash(d, 10);

		e->desc = d;
		e->next = gdesc_tab[b];
		gdesc_tab[b] = e;
	} else if (e) {
		struct gdesc *next = e->next;

		memset(e, 0, sizeof(*e));
		e->desc = d;
		e->next = next;
		plan_remove(d);
	}
	if (e) {
		e->type = type;
		if (type == OPC_CUDNN_BACKEND_TENSOR)
			e->u.t.type = '?';
	} else if (!warned++) {
		pr_warn("out of memory: cuDNN graph plans may go uncosted");
	}
	pthread_mutex_unlock(&graph_lock);
}

static void gdesc_destroy(void *d)
{
	struct gdesc **pp;

	if (d == NULL)
		return;
	pthread_mutex_lock(&graph_lock);
	for (pp = &gdesc_tab[ptr_hash(d, 10)]; *pp; pp = &(*pp)->next) {
		if ((*pp)->desc == d) {
			struct gdesc *e = *pp;

			*pp = e->next;
			if (e->type == OPC_CUDNN_BACKEND_EXECUTION_PLAN)
				plan_remove(d);
			free(e);
			break;
		}
	}
	pthread_mutex_unlock(&graph_lock);
}

/* The operand slot of an operation attribute, -1 if none. */
static int op_slot(int name)
{
	switch (name) {
	case OPC_CUDNN_ATTR_OP_CONV_FWD_X:
	case OPC_CUDNN_ATTR_OP_CONV_BWD_DATA_DX:
	case OPC_CUDNN_ATTR_OP_CONV_BWD_FILTER_X:
	case OPC_CUDNN_ATTR_OP_MATMUL_ADESC:
		return 0;
	case OPC_CUDNN_ATTR_OP_CONV_FWD_W:
	case OPC_CUDNN_ATTR_OP_CONV_BWD_DATA_W:
	case OPC_CUDNN_ATTR_OP_CONV_BWD_FILTER_DW:
	case OPC_CUDNN_ATTR_OP_MATMUL_BDESC:
		return 1;
	case OPC_CUDNN_ATTR_OP_CONV_FWD_Y:
	case OPC_CUDNN_ATTR_OP_CONV_BWD_DATA_DY:
	case OPC_CUDNN_ATTR_OP_CONV_BWD_FILTER_DY:
	case OPC_CUDNN_ATTR_OP_MATMUL_CDESC:
		return 2;
	}
	return -1;
}

/* The attribute that hands a cost down the chain graph -> engine (or
 * heuristics) -> engine configuration -> plan, and the type it refers to. */
static int cost_source(int type, int name)
{
	switch (type) {
	case OPC_CUDNN_BACKEND_ENGINE:
		return name == OPC_CUDNN_ATTR_ENGINE_OPERATION_GRAPH ?
			OPC_CUDNN_BACKEND_OPERATIONGRAPH : -1;
	case OPC_CUDNN_BACKEND_ENGINEHEUR:
		return name == OPC_CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH ?
			OPC_CUDNN_BACKEND_OPERATIONGRAPH : -1;
	case OPC_CUDNN_BACKEND_ENGINECFG:
		return name == OPC_CUDNN_ATTR_ENGINECFG_ENGINE ? OPC_CUDNN_BACKEND_ENGINE : -1;
	case OPC_CUDNN_BACKEND_EXECUTION_PLAN:
		return name == OPC_CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG ?
			OPC_CUDNN_BACKEND_ENGINECFG : -1;
	}
	return -1;
}

static void gdesc_set(void *d, int name, int atype, int64_t count, const void *v)
{
	void *const *refs = v;
	struct gdesc *e, *r;
	int slot, src;

	if (v == NULL || count < 1)
		return;
	pthread_mutex_lock(&graph_lock);
	if ((e = gdesc_find(d)) == NULL)
		goto out;
	switch (e->type) {
	case OPC_CUDNN_BACKEND_TENSOR:
		if (name == OPC_CUDNN_ATTR_TENSOR_DATA_TYPE && atype == OPC_CUDNN_TYPE_DATA_TYPE)
			e->u.t.type = opc_cudnn_type_letter(*(const int *)v);
		else if (name == OPC_CUDNN_ATTR_TENSOR_DIMENSIONS && atype == OPC_CUDNN_TYPE_INT64 &&
			 count <= OPC_CUDNN_DIM_MAX) {
			memcpy(e->u.t.dims, v, count * sizeof(int64_t));
			e->u.t.nbdims = (int)count;
			e->u.t.set = 1;
		} else if (name == OPC_CUDNN_ATTR_TENSOR_IS_VIRTUAL && atype == OPC_CUDNN_TYPE_BOOLEAN)
			e->u.t.virt = *(const _Bool *)v;
		break;
	case OPC_CUDNN_BACKEND_OP_CONV_FWD:
	case OPC_CUDNN_BACKEND_OP_CONV_BWD_DATA:
	case OPC_CUDNN_BACKEND_OP_CONV_BWD_FILTER:
	case OPC_CUDNN_BACKEND_OP_MATMUL:
		if (name == OPC_CUDNN_ATTR_OP_CONV_FWD_BETA ||
		    name == OPC_CUDNN_ATTR_OP_CONV_BWD_DATA_BETA ||
		    name == OPC_CUDNN_ATTR_OP_CONV_BWD_FILTER_BETA) {
			/* an unknown scaling type: the output is read, as
			 * scalar_flag (gpu_cudnn.c) has it */
			e->u.op.beta = atype == OPC_CUDNN_TYPE_DOUBLE ? *(const double *)v != 0 :
				       atype == OPC_CUDNN_TYPE_FLOAT ? *(const float *)v != 0 : 1;
			break;
		}
		if ((slot = op_slot(name)) < 0 || atype != OPC_CUDNN_TYPE_BACKEND_DESCRIPTOR)
			break;
		r = gdesc_find_type(refs[0], OPC_CUDNN_BACKEND_TENSOR);
		if (r)
			e->u.op.io[slot] = r->u.t;
		else
			memset(&e->u.op.io[slot], 0, sizeof(e->u.op.io[slot]));
		break;
	case OPC_CUDNN_BACKEND_OPERATIONGRAPH:
		if (name != OPC_CUDNN_ATTR_OPERATIONGRAPH_OPS ||
		    atype != OPC_CUDNN_TYPE_BACKEND_DESCRIPTOR)
			break;
		memset(&e->u.cost, 0, sizeof(e->u.cost));
		e->u.cost.known = 1;
		for (int64_t i = 0; i < count; i++)
			graph_node_add(&e->u.cost.c, gdesc_find(refs[i]));
		break;
	default:
		if ((src = cost_source(e->type, name)) < 0 ||
		    atype != OPC_CUDNN_TYPE_BACKEND_DESCRIPTOR)
			break;
		r = gdesc_find_type(refs[0], src);
		if (r)
			e->u.cost = r->u.cost;
		else
			memset(&e->u.cost, 0, sizeof(e->u.cost));
		break;
	}
out:
	pthread_mutex_unlock(&graph_lock);
}

/* The heuristics hand out engine configurations for their graph. */
static void gdesc_get(void *d, int name, int atype, int64_t req, const int64_t *count,
		      void *const *v)
{
	struct gdesc *e, *r;
	int64_t n = count ? *count : req;

	if (name != OPC_CUDNN_ATTR_ENGINEHEUR_RESULTS || atype != OPC_CUDNN_TYPE_BACKEND_DESCRIPTOR ||
	    v == NULL)
		return;
	if (n > req)
		n = req;
	pthread_mutex_lock(&graph_lock);
	if ((e = gdesc_find_type(d, OPC_CUDNN_BACKEND_ENGINEHEUR)) != NULL)
		for (int64_t i = 0; i < n; i++)
			if ((r = gdesc_find_type(v[i], OPC_CUDNN_BACKEND_ENGINECFG)) != NULL)
				r->u.cost = e->u.cost;
	pthread_mutex_unlock(&graph_lock);
}

static void gdesc_finalize(void *d)
{
	struct gdesc *e;
	static int warned;

	pthread_mutex_lock(&graph_lock);
	if ((e = gdesc_find_type(d, OPC_CUDNN_BACKEND_EXECUTION_PLAN)) != NULL) {
		const struct opc_cudnn_graph_cost *c = &e->u.cost.c;

		plan_remove(d);
		if (c->counted > 0 && plan_publish(d, c) < 0 && !warned++)
			pr_warn("more than %u cuDNN plans at once: the others go uncosted",
				PLANS_MAX);
		pr_dbg(1, "cuDNN plan %p: %s, %d nodes costed (%lld FLOPs, %.0f bytes), %d not",
		       d, e->u.cost.known ? "graph seen" : "no graph seen", c->counted,
		       (long long)c->flops, c->bytes, c->other);
	}
	pthread_mutex_unlock(&graph_lock);
}

/*
 * The descriptor calls themselves are forwarded to cuDNN (looked up among
 * the loaded objects, never counted) and mirrored when cuDNN accepted them.
 */
#define CUDNN_AUX_CALL(sym, ...)                                               \
	({                                                                     \
		__typeof__(&sym) real = OPC_AUX(real, #sym);                   \
		real ? real(__VA_ARGS__) : OPC_CUDNN_STATUS_NOT_INITIALIZED;   \
	})

OPC_EXPORT int cudnnBackendCreateDescriptor(int descriptorType, void **descriptor)
{
	int ret = CUDNN_AUX_CALL(cudnnBackendCreateDescriptor, descriptorType, descriptor);
	int saved_errno = errno;

	if (ret == OPC_CUDNN_STATUS_SUCCESS && descriptor)
		gdesc_create(descriptorType, *descriptor);
	errno = saved_errno;
	return ret;
}

OPC_EXPORT int cudnnBackendDestroyDescriptor(void *descriptor)
{
	int saved_errno = errno;

	/* before cuDNN frees it: after, the address may already be another's */
	gdesc_destroy(descriptor);
	errno = saved_errno;
	return CUDNN_AUX_CALL(cudnnBackendDestroyDescriptor, descriptor);
}

OPC_EXPORT int cudnnBackendSetAttribute(void *descriptor, int attributeName, int attributeType,
					int64_t elementCount, const void *arrayOfElements)
{
	int ret = CUDNN_AUX_CALL(cudnnBackendSetAttribute, descriptor, attributeName,
				 attributeType, elementCount, arrayOfElements);
	int saved_errno = errno;

	if (ret == OPC_CUDNN_STATUS_SUCCESS)
		gdesc_set(descriptor, attributeName, attributeType, elementCount,
			  arrayOfElements);
	errno = saved_errno;
	return ret;
}

OPC_EXPORT int cudnnBackendGetAttribute(void *const descriptor, int attributeName,
					int attributeType, int64_t requestedElementCount,
					int64_t *elementCount, void *arrayOfElements)
{
	int ret = CUDNN_AUX_CALL(cudnnBackendGetAttribute, descriptor, attributeName,
				 attributeType, requestedElementCount, elementCount,
				 arrayOfElements);
	int saved_errno = errno;

	if (ret == OPC_CUDNN_STATUS_SUCCESS)
		gdesc_get(descriptor, attributeName, attributeType, requestedElementCount,
			  elementCount, arrayOfElements);
	errno = saved_errno;
	return ret;
}

OPC_EXPORT int cudnnBackendFinalize(void *descriptor)
{
	int ret = CUDNN_AUX_CALL(cudnnBackendFinalize, descriptor);
	int saved_errno = errno;

	if (ret == OPC_CUDNN_STATUS_SUCCESS)
		gdesc_finalize(descriptor);
	errno = saved_errno;
	return ret;
}
