/*
 * record.h - the recording core of libopcount.so: per-thread aggregation
 * of intercepted calls by key.
 *
 * A key is (routine, call site, layer, shape, nesting).  Each thread owns a
 * table of slots, one per key it has seen, and only ever increments its
 * own slots' counters: the hot path (call.h) takes no lock, allocates
 * nothing and makes no system call.  The collector thread (collector.c)
 * reads the cumulative counters at every tick and writes the per-interval
 * deltas to the trace, so memory and trace size depend on the number of
 * keys and the run time, never on the number of calls.
 */
#ifndef OPC_RECORD_H
#define OPC_RECORD_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "config.h"
#include "export.h"
#include "hashtab.h"
#include "routines.h"
#include "shape_norm.h"

#define OPC_SLOTS_MAX	8192	/* distinct keys per thread */
#define OPC_INDEX_SIZE	16384	/* key index slots: a power of two, at least 2 x OPC_SLOTS_MAX */
#define OPC_LAYER_DEPTH	64
#define OPC_TIMING_WARMUP 64	/* calls timed before sampling may start */
#define OPC_STACK_POOL_WORDS ((size_t)OPC_SLOTS_MAX * OPC_STACK_MAX)
#define OPC_CALL_DEPTH	8	/* counted calls in progress a rejection can find */

/* kflags */
#define OPC_KEY_NESTED	 0x1	/* called from inside another intercepted call */
#define OPC_KEY_OVERFLOW 0x2	/* key table full: site, shape, layer merged */
#define OPC_KEY_CAPTURED 0x4	/* enqueued into a CUDA graph being captured */
#define OPC_KEY_REJECTED 0x8	/* the library refused its arguments: no work
				   (reject.h), 0 FLOPs and 0 bytes */
/* bits 8..15: CUDA device ordinal + 1 (0: a host call), see gpu.h */
#define OPC_KEY_DEV_SHIFT 8
#define OPC_KEY_DEV_MASK  0xff00

struct opc_key {
	uint64_t site;
	struct opc_shape shape;
	uint32_t layer;
	uint16_t rid;
	uint16_t kflags;
};

struct opc_slot {
	/* written by the owning thread before the slot is published */
	struct opc_key key;
	uint64_t flops;		/* per call, from the cost model */
	uint64_t bytes;
	uint32_t stack_off;	/* into the thread's stack pool */
	uint32_t stack_depth;
	uint32_t sample_mask;	/* time one call in sample_mask + 1 */
	uint32_t pad;

	/* counters: written by the owner only, read by the collector */
	uint64_t calls;
	uint64_t timed;		/* calls whose duration was measured */
	uint64_t ticks;		/* their total duration */
	uint64_t flops_sum;	/* overflow slots only: shapes vary */
	uint64_t bytes_sum;

	/* GPU keys: calls timed on the GPU and their GPU time, written by
	 * the collector only (preload/gpu.c) */
	uint64_t gpu_timed, gpu_ns;

	/* collector-private: values at the last harvest */
	uint64_t h_calls, h_timed, h_ticks, h_flops, h_bytes, h_gpu_timed, h_gpu_ns;
	uint32_t gid;		/* key id in the trace */
	uint32_t h_seen;
};

struct opc_call;

struct opc_thread {
	int depth;		/* recursion guard: >0 inside a wrapper */
	int layer_depth;
	uint32_t cur_layer;	/* innermost own layer, 0 if none */
	int own_layers;		/* this thread has pushed a layer */
	struct opc_slot *last;	/* last slot hit: tight loops stay here */
	struct opc_hashtab index;	/* key -> slot number + 1, over index_slots */
	uint32_t nslots;	/* published with release semantics */
	uint32_t stack_used;
	pid_t tid;
	int dead;		/* thread exited: harvest once more, then free */
	uint32_t h_nslots;	/* collector-private: slots already given ids */
	int h_dead;		/* collector-private: was dead before the last read */
	uint32_t h_snap;	/* collector-private: nslots at this harvest */
	struct opc_slot *slots;
	uint64_t *stack_pool;
	struct opc_gpu_ring *gpu;	/* GPU calls in flight (gpu.c), or NULL */
	struct opc_thread *next;
	/* calls[d]: the counted call that entered at depth d, valid while
	 * d < depth (call.h): how xerbla_ finds the call it reports on */
	struct opc_call *calls[OPC_CALL_DEPTH];
	uint32_t layer_stack[OPC_LAYER_DEPTH];
	uint64_t index_slots[OPC_INDEX_SIZE];
};

/*
 * State of the core shared with the layers above it.  opc_enabled is
 * cleared on an internal error (opc_fail) or at finish; opc_global_layer
 * is the layer for threads that push none of their own (layer.c);
 * opc_short_call_ticks is calibrated by the collector.
 */
extern int opc_enabled;
extern uint32_t opc_global_layer;
extern uint64_t opc_short_call_ticks;	/* calls shorter get sampled timing */
extern uint64_t opc_dropped_calls;	/* no room for their key */

void opc_fail(const char *why);
uint64_t opc_now_ns(void);		/* CLOCK_MONOTONIC since load */

struct opc_slot *opc_slot_lookup_slow(struct opc_thread *t, const struct opc_key *k);
void opc_slot_overflow_account(struct opc_slot *s, const struct opc_key *k);
void opc_slot_tune(struct opc_slot *s);

static inline uint64_t opc_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	if (__builtin_expect(opc_cfg()->use_tsc, 1))
		return __rdtsc();
#endif
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static inline uint32_t opc_key_hash(const struct opc_key *k)
{
	uint64_t h = k->site * 0x9e3779b97f4a7c15ull;

	h ^= (uint64_t)k->rid << 48 | (uint64_t)k->kflags << 32 | k->layer;
	for (int i = 0; i < OPC_SHAPE_DIMS; i++)
		h = (h ^ (uint64_t)k->shape.d[i]) * 0xff51afd7ed558ccdull;
	uint32_t f;
	memcpy(&f, k->shape.f, sizeof(f));
	h = (h ^ f) * 0xc4ceb9fe1a85ec53ull;
	return (uint32_t)(h >> 32);
}

static inline int opc_key_equal(const struct opc_key *a, const struct opc_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

struct opc_slot_probe {
	const struct opc_slot *slots;
	const struct opc_key *key;
};

static inline int opc_slot_is(const void *arg, uint32_t id)
{
	const struct opc_slot_probe *p = arg;

	return opc_key_equal(&p->slots[id - 1].key, p->key);
}

/*
 * Thread t's slot for key k (whose opc_key_hash is h), NULL if it has none
 * yet.  The owning thread only: it alone inserts.  On the hot path of
 * every call whose key is not the last call's: against the hand-rolled
 * probe it replaced, about 10 more instructions per look-up (the stored
 * hash, the table's mask and slots read from it), the same cache misses,
 * and no difference in time above the noise (bench/run.sh, shapes_loop).
 */
static inline struct opc_slot *opc_slot_find(struct opc_thread *t, const struct opc_key *k,
					     uint32_t h)
{
	struct opc_slot_probe p = { t->slots, k };
	uint32_t id = opc_hashtab_find(&t->index, h, opc_slot_is, &p);

	return id ? &t->slots[id - 1] : NULL;
}

#endif
