/*
 * layer.c - layer regions: opcount_layer_push/pop from include/opcount.h.
 *
 * A layer is interned as (parent, name, type) and gets a small id that
 * keys carry.  Pushes are not on the BLAS hot path (once per layer per
 * pass), so interning takes a mutex.  Each thread has its own stack of
 * regions; a thread that never pushed one (a BLAS or OpenMP worker of a
 * framework) inherits the region most recently entered by any thread,
 * which is the layer whose work was handed to it.
 */
#define PR_FMT "opcount"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define OPCOUNT_BUILDING_LIBRARY
#include "opcount.h"

#include "layer.h"
#include "log.h"
#include "record.h"
#include "threads.h"

#define LAYERS_MAX	65536	/* beyond: work goes to the parent layer */
#define LAYER_HASH	131072

struct layer {
	uint32_t parent;
	char *name, *type;
};

static pthread_mutex_t layer_lock = PTHREAD_MUTEX_INITIALIZER;
static struct layer *layers;		/* index 0 unused: "no layer" */
static uint32_t nlayers = 1;		/* published with release */
static uint32_t *hash;			/* layer id, 0 = empty */

static uint32_t layer_hash(uint32_t parent, const char *name, const char *type)
{
	uint32_t h = 2166136261u ^ parent;

	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (const char *p = type; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

static uint32_t layer_intern(uint32_t parent, const char *name, const char *type)
{
	uint32_t i, id = 0;

	pthread_mutex_lock(&layer_lock);
	if (layers == NULL) {
		layers = calloc(LAYERS_MAX, sizeof(*layers));
		hash = calloc(LAYER_HASH, sizeof(*hash));
		if (!layers || !hash)
			goto out;
	}
	i = layer_hash(parent, name, type) & (LAYER_HASH - 1);
	while (hash[i]) {
		struct layer *l = &layers[hash[i]];

		if (l->parent == parent && !strcmp(l->name, name) && !strcmp(l->type, type)) {
			id = hash[i];
			goto out;
		}
		i = (i + 1) & (LAYER_HASH - 1);
	}
	if (nlayers >= LAYERS_MAX)
		goto out;
	id = nlayers;
	layers[id].parent = parent;
	layers[id].name = strdup(name);
	layers[id].type = strdup(type);
	if (!layers[id].name || !layers[id].type) {
		free(layers[id].name);
		free(layers[id].type);
		id = 0;
		goto out;
	}
	hash[i] = id;
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
	t->layer_depth--;
	if (t->layer_depth == 0)
		t->cur_layer = 0;
	else if (t->layer_depth <= OPC_LAYER_DEPTH)
		t->cur_layer = t->layer_stack[t->layer_depth - 1];
	__atomic_store_n(&opc_global_layer, t->cur_layer, __ATOMIC_RELEASE);
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
