/*
 * layer.c - layer regions: opcount_layer_push/pop from include/opcount.h.
 *
 * A layer is interned as (parent, name, type) and gets a small id that
 * keys carry.  Pushes are not on the BLAS hot path (once per layer per
 * pass), so interning takes a mutex.  Each thread has its own stack of
 * regions; a thread that never pushed one (a BLAS or OpenMP worker of a
 * framework) inherits the region most recently entered by any thread,
 * which is the layer whose work was handed to it.
 *
 * Each push and pop also ends the time the thread spent in its innermost
 * region since the last one: it goes to the thread's region key of that
 * layer (OPC_KEY_REGION), which readers then take the thread's calls in
 * that layer out of, leaving the layer's own time outside intercepted
 * calls (activations, the optimizer, framework overhead).  The collector
 * adds the part of an open region that has passed at each tick
 * (collector.c, harvest_region), so a region that lasts seconds is
 * spread over its intervals.
 */
#define PR_FMT "opcount"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define OPCOUNT_BUILDING_LIBRARY
#include "opcount.h"
#include "hashtab.h"
#include "layer.h"
#include "log.h"
#include "record.h"
#include "threads.h"

#define LAYERS_MAX	65536	/* beyond: work goes to the parent layer */

struct layer {
	uint32_t parent;
	char *name, *type;
};

static pthread_mutex_t layer_lock = PTHREAD_MUTEX_INITIALIZER;
static struct layer *layers;		/* index 0 unused: "no layer" */
static uint32_t nlayers = 1;		/* published with release */
static struct opc_hashtab layer_index;	/* (parent, name, type) -> layer id */

struct layer_key {
	uint32_t parent;
	const char *name, *type;
};

static uint32_t layer_hash(const struct layer_key *k)
{
	uint32_t h = opc_hash_str(OPC_HASH_SEED ^ k->parent, k->name);

	h = (h ^ 0xff) * 16777619u;	/* so that "ab", "c" is not "a", "bc" */
	return opc_hash_str(h, k->type);
}

static int layer_is(const void *arg, uint32_t id)
{
	const struct layer_key *k = arg;
	const struct layer *l = &layers[id];

	return l->parent == k->parent && !strcmp(l->name, k->name) && !strcmp(l->type, k->type);
}

static uint32_t layer_intern(uint32_t parent, const char *name, const char *type)
{
	struct layer_key k = { parent, name, type };
	uint32_t h = layer_hash(&k), id = 0;

	pthread_mutex_lock(&layer_lock);
	if (layers == NULL && (layers = calloc(LAYERS_MAX, sizeof(*layers))) == NULL)
		goto out;
	id = opc_hashtab_find(&layer_index, h, layer_is, &k);
	if (id || nlayers >= LAYERS_MAX)
		goto out;
	id = nlayers;
	layers[id].parent = parent;
	layers[id].name = strdup(name);
	layers[id].type = strdup(type);
	if (!layers[id].name || !layers[id].type ||
	    opc_hashtab_insert(&layer_index, h, id) < 0) {
		free(layers[id].name);
		free(layers[id].type);
		id = 0;
		goto out;
	}
	__atomic_store_n(&nlayers, id + 1, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&layer_lock);
	return id;
}

uint32_t opc_layer_count(void)
{
	return __atomic_load_n(&nlayers, __ATOMIC_ACQUIRE);
}

int opc_layer_get(uint32_t id, struct opc_layer_info *out)
{
	if (id == 0 || id >= opc_layer_count())
		return -1;
	out->parent = layers[id].parent;
	out->name = layers[id].name;
	out->type = layers[id].type;
	return 0;
}

OPC_EXPORT void opcount_api_layer_push(const char *name, const char *type)
{
	struct opc_thread *t = opc_self;
	int saved_errno = errno;
	uint32_t id;

	if (t == NULL && (t = opc_thread_attach()) == NULL)
		return;
	t->own_layers = 1;
	if (t->layer_depth < OPC_LAYER_DEPTH) {
		id = layer_intern(t->cur_layer, name ? name : "?", type ? type : "");
		t->layer_stack[t->layer_depth] = id ? id : t->cur_layer;
	}
	t->layer_depth++;
	if (t->layer_depth <= OPC_LAYER_DEPTH)
		t->cur_layer = t->layer_stack[t->layer_depth - 1];
	__atomic_store_n(&opc_global_layer, t->cur_layer, __ATOMIC_RELEASE);
	opc_region_switch(t, t->cur_layer, 1);
	errno = saved_errno;
}

OPC_EXPORT void opcount_api_layer_pop(void)
{
	struct opc_thread *t = opc_self;
	static int warned;

	if (t == NULL || t->layer_depth == 0) {
		if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
			pr_warn("opcount_layer_pop() without a matching push (ignored)");
		return;
	}
	int saved_errno = errno;

	t->layer_depth--;
	if (t->layer_depth == 0)
		t->cur_layer = 0;
	else if (t->layer_depth <= OPC_LAYER_DEPTH)
		t->cur_layer = t->layer_stack[t->layer_depth - 1];
	__atomic_store_n(&opc_global_layer, t->cur_layer, __ATOMIC_RELEASE);
	opc_region_switch(t, t->cur_layer, 0);
	errno = saved_errno;
}

void opc_layer_atfork_prepare(void)
{
	pthread_mutex_lock(&layer_lock);
}

void opc_layer_atfork_parent(void)
{
	pthread_mutex_unlock(&layer_lock);
}

void opc_layer_atfork_child(void)
{
	pthread_mutex_init(&layer_lock, NULL);
}
