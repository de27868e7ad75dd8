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
 *
 * The slots live in chunks of OPC_CHUNK_SLOTS, each mapped by its owner
 * when its first key appears and never moved or freed while the thread
 * lives, so a slot pointer stays valid and the collector reads slot i
 * through a fixed directory of chunk pointers once it has seen nslots > i
 * (acquire): the chunk pointer was stored before nslots was published.
 * The key index is the owner's alone (the collector never probes it), so
 * the owner may replace it with one twice its size.  A thread's keys stop
 * at OPCOUNT_MAX_KEYS (opc_cfg()->max_keys); later keys are merged into
 * one overflow key per routine.
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

#define OPC_CHUNK_SHIFT	10
#define OPC_CHUNK_SLOTS	(1u << OPC_CHUNK_SHIFT)	/* slots per chunk */
#define OPC_CHUNKS	4096	/* chunk directory: at most 4,194,304 slots */
#define OPC_SLOTS_LIMIT	(OPC_CHUNKS * OPC_CHUNK_SLOTS)
#define OPC_INDEX_INIT	16384	/* key index slots at first: 8192 keys, then doubled */
#define OPC_LAYER_DEPTH	64
#define OPC_TIMING_WARMUP 64	/* calls timed before sampling may start */
/* a chunk: its slots, then the frames of their stacks, packed */
#define OPC_CHUNK_STACK_WORDS ((size_t)OPC_CHUNK_SLOTS * OPC_STACK_MAX)
#define OPC_CHUNK_BYTES (OPC_CHUNK_SLOTS * sizeof(struct opc_slot) + \
			 OPC_CHUNK_STACK_WORDS * sizeof(uint64_t))
#define OPC_CALL_DEPTH	8	/* counted calls in progress a rejection can find */

/* kflags */
#define OPC_KEY_NESTED	 0x1	/* called from inside another intercepted call */
#define OPC_KEY_OVERFLOW 0x2	/* over OPCOUNT_MAX_KEYS: site, shape, layer merged */
#define OPC_KEY_CAPTURED 0x4	/* enqueued into a CUDA graph being captured */
#define OPC_KEY_REJECTED 0x8	/* the library refused its arguments: no work
				   (reject.h), 0 FLOPs and 0 bytes */
#define OPC_KEY_UNKNOWN	 0x10	/* its shape could not be read (a oneDNN
				   descriptor): FLOPs unknown, 0 counted */
#define OPC_KEY_REGION	 0x20	/* not calls: the thread's time in layer `layer`
				   (layer.c); ticks is wall time */
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
	uint32_t stack_off;	/* into its chunk's frames */
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
	struct opc_hashtab index;	/* key -> slot number + 1; owner-only, mapped */
	uint32_t nslots;	/* published with release semantics */
	uint32_t stack_used;	/* frames used in the last chunk */
	pid_t tid;
	int dead;		/* thread exited: harvest once more, then free */
	uint32_t h_nslots;	/* collector-private: slots already given ids */
	int h_dead;		/* collector-private: was dead before the last read */
	uint32_t h_snap;	/* collector-private: nslots at this harvest */
	struct opc_gpu_ring *gpu;	/* GPU calls in flight (gpu.c), or NULL */
	/* Time in layer regions (layer.c): the region key of the innermost
	 * region (NULL outside every region) and when it was entered, both
	 * changed by the owner inside region_seq's odd values (a seqlock the
	 * collector reads them through) */
	struct opc_slot *region_slot;
	uint64_t region_t0;
	uint32_t region_seq;
	struct opc_thread *next;
	/* calls[d]: the counted call that entered at depth d, valid while
	 * d < depth (call.h): how xerbla_ finds the call it reports on */
	struct opc_call *calls[OPC_CALL_DEPTH];
	uint32_t layer_stack[OPC_LAYER_DEPTH];
	/* chunk c holds slots c * OPC_CHUNK_SLOTS and up; NULL until used */
	struct opc_slot *chunk[OPC_CHUNKS];
};

/* Slot i of t: the owner, or a reader that has seen nslots > i. */
static inline struct opc_slot *opc_slot_at(const struct opc_thread *t, uint32_t i)
{
	return t->chunk[i >> OPC_CHUNK_SHIFT] + (i & (OPC_CHUNK_SLOTS - 1));
}

/* The frames of slot i's stack (stack_depth of them). */
static inline const uint64_t *opc_slot_frames(const struct opc_thread *t, uint32_t i)
{
	const uint64_t *frames = (const uint64_t *)(t->chunk[i >> OPC_CHUNK_SHIFT] + OPC_CHUNK_SLOTS);

	return frames + opc_slot_at(t, i)->stack_off;
}

/*
 * State of the core shared with the layers above it.  opc_enabled is
 * cleared on an internal error (opc_fail) or at finish; opc_global_layer
 * is the layer for threads that push none of their own (layer.c);
 * opc_short_call_ticks is calibrated by the collector.
 */
extern int opc_enabled;
extern uint32_t opc_global_layer;
extern uint64_t opc_short_call_ticks;	/* calls shorter get sampled timing */
extern uint64_t opc_dropped_calls;	/* no memory for their key */

void opc_fail(const char *why);
uint64_t opc_now_ns(void);		/* CLOCK_MONOTONIC since load */

/* A new thread's slots and key index (0 or -ENOMEM), their release, and
 * in a forked child the loss of every key (the memory kept). */
int opc_slots_init(struct opc_thread *t);
void opc_slots_free(struct opc_thread *t);
void opc_slots_reset(struct opc_thread *t);

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
	const struct opc_thread *t;
	const struct opc_key *key;
};

static inline int opc_slot_is(const void *arg, uint32_t id)
{
	const struct opc_slot_probe *p = arg;

	return opc_key_equal(&opc_slot_at(p->t, id - 1)->key, p->key);
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
	struct opc_slot_probe p = { t, k };
	uint32_t id = opc_hashtab_find(&t->index, h, opc_slot_is, &p);

	return id ? opc_slot_at(t, id - 1) : NULL;
}

/* Key k's slot on thread t, made if new (NULL: no room).  The caller is
 * inside its recursion guard (t->depth > 0): a new key's stack and cost
 * may call anything. */
static inline struct opc_slot *opc_slot_get(struct opc_thread *t, const struct opc_key *k)
{
	struct opc_slot *s = opc_slot_find(t, k, opc_key_hash(k));

	return s ? s : opc_slot_lookup_slow(t, k);
}

#endif
