/*
 * record.c - the slow paths of the recording core: a key's first call
 * (cost model, stack capture, room for its slot), the switch to sampled
 * timing, and keys over the cap; and the state the layers above share
 * with the core.
 */
#define PR_FMT "opcount"

#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "config.h"
#include "log.h"
#include "record.h"
#include "resolve.h"

OPC_HIDDEN int opc_enabled;
OPC_HIDDEN uint32_t opc_global_layer;
OPC_HIDDEN uint64_t opc_short_call_ticks = 3000;	/* ~1 us until calibrated */
OPC_HIDDEN uint64_t opc_dropped_calls;

/* OPCOUNT_MAX_KEYS leaves this many slots at least to overflow keys */
_Static_assert(OPC_MAX_KEYS_LIMIT + 4 * OPC_NROUTINES * 256 <= OPC_SLOTS_LIMIT,
	       "no room for the overflow keys past the cap");

/* An internal problem: warn once and get out of the program's way. */
void opc_fail(const char *why)
{
	static int warned;

	opc_enabled = 0;
	if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
		pr_err("%s; counting disabled, the program continues", why);
}

uint64_t opc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec - opc_cfg()->t0_ns;
}

/* The stack of slot number ns (s), into its chunk's frames. */
static void capture_stack(struct opc_thread *t, uint32_t ns, struct opc_slot *s)
{
	void *frames[OPC_STACK_MAX + 8];
	uint64_t *pool = (uint64_t *)(t->chunk[ns >> OPC_CHUNK_SHIFT] + OPC_CHUNK_SLOTS);
	int n, first = -1, depth = opc_cfg()->stack_depth;

	if (depth <= 0 || t->stack_used + OPC_STACK_MAX > OPC_CHUNK_STACK_WORDS)
		return;
	n = unw_backtrace(frames, OPC_STACK_MAX + 8);
	/* Drop our own frames: the stack starts at the call site. */
	for (int i = 0; i < n; i++) {
		if ((uintptr_t)frames[i] == s->key.site) {
			first = i;
			break;
		}
	}
	if (first < 0) {
		for (first = 0; first < n && opc_in_self((uintptr_t)frames[first]); first++)
			;
	}
	n -= first;
	if (n > depth)
		n = depth;
	if (n <= 0)
		return;
	s->stack_off = t->stack_used;
	s->stack_depth = n;
	for (int i = 0; i < n; i++)
		pool[t->stack_used + i] = (uintptr_t)frames[first + i];
	t->stack_used += n;
}

/* What a call of key k costs; a refused call did no work (reject.h). */
static void key_cost(const struct opc_key *k, struct opc_cost *cost)
{
	if (k->kflags & (OPC_KEY_REJECTED | OPC_KEY_UNKNOWN))
		*cost = (struct opc_cost){ 0, 0 };
	else
		opc_routine_cost(k->rid, &k->shape, cost);
}

/*
 * Slots and index are anonymous mappings, never the heap: a key may first
 * appear inside the program's malloc, and pages are touched only as keys
 * fill them.
 */
static void *map_zeroed(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Chunk c of t's slots, mapped unless it is: 0, -ENOSPC past the
 * directory, -ENOMEM. */
static int add_chunk(struct opc_thread *t, uint32_t c)
{
	struct opc_slot *chunk;

	if (c >= OPC_CHUNKS)
		return -ENOSPC;
	if (t->chunk[c])	/* kept from before a fork */
		return 0;
	chunk = map_zeroed(OPC_CHUNK_BYTES);
	if (chunk == NULL)
		return -ENOMEM;
	/* Readers load it only after an nslots that covers it (release). */
	t->chunk[c] = chunk;
	return 0;
}

/* The key index, twice the size: only the owner probes it, so the old
 * one is unmapped at once.  0 or -ENOMEM. */
static int grow_index(struct opc_thread *t)
{
	uint32_t size = 2 * (t->index.mask + 1), n = t->index.n;
	uint64_t *slot = map_zeroed((size_t)size * sizeof(uint64_t));

	if (slot == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i <= t->index.mask; i++)
		if (t->index.slot[i])
			opc_hashtab_put(slot, size - 1, t->index.slot[i]);
	munmap(t->index.slot, ((size_t)t->index.mask + 1) * sizeof(uint64_t));
	opc_hashtab_init_fixed(&t->index, slot, size);
	t->index.n = n;
	return 0;
}

int opc_slots_init(struct opc_thread *t)
{
	uint64_t *index = map_zeroed(OPC_INDEX_INIT * sizeof(uint64_t));

	if (index == NULL)
		return -ENOMEM;
	opc_hashtab_init_fixed(&t->index, index, OPC_INDEX_INIT);
	return add_chunk(t, 0);
}

void opc_slots_free(struct opc_thread *t)
{
	for (uint32_t c = 0; c < OPC_CHUNKS && t->chunk[c]; c++)
		munmap(t->chunk[c], OPC_CHUNK_BYTES);
	if (t->index.slot)
		munmap(t->index.slot, ((size_t)t->index.mask + 1) * sizeof(uint64_t));
}

void opc_slots_reset(struct opc_thread *t)
{
	for (uint32_t i = 0; i < t->nslots; i += OPC_CHUNK_SLOTS) {
		uint32_t n = t->nslots - i < OPC_CHUNK_SLOTS ? t->nslots - i : OPC_CHUNK_SLOTS;

		memset(opc_slot_at(t, i), 0, sizeof(struct opc_slot) * n);
	}
	opc_hashtab_free(&t->index);	/* a fixed table: zeroed */
	t->nslots = 0;
	t->stack_used = 0;
	/* the region key is gone with the rest: the child's region time
	 * starts at its next push or pop */
	t->region_slot = NULL;
	t->region_seq = 0;
}

/* Room for slot n: its chunk mapped, and the index able to take it.
 * NULL if there is none (no memory, or the directory is full). */
static struct opc_slot *slot_room(struct opc_thread *t, uint32_t n)
{
	if ((n & (OPC_CHUNK_SLOTS - 1)) == 0) {
		if (add_chunk(t, n >> OPC_CHUNK_SHIFT) < 0)
			return NULL;
		t->stack_used = 0;	/* a new chunk's frames */
	}
	/* a fixed table refuses past half full: grow it first */
	if (2 * (t->index.n + 1) > t->index.mask + 1 && grow_index(t) < 0)
		return NULL;
	return opc_slot_at(t, n);
}

/* Once per process: the first thread whose keys pass the cap, or find no
 * memory for one, says so. */
static void warn_full(const struct opc_thread *t, uint32_t n)
{
	static int warned;

	if (__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
		return;
	if (n >= opc_cfg()->max_keys)
		pr_warn("thread %d reached OPCOUNT_MAX_KEYS=%u distinct keys: later new keys are "
			"merged into one per routine (counts exact; site, shape and layer lost, "
			"marked overflow)", (int)t->tid, opc_cfg()->max_keys);
	else
		pr_warn("thread %d: no memory for key %u: later new keys are merged into one "
			"per routine (marked overflow)", (int)t->tid, n + 1);
}

/*
 * A key this thread has not seen.  Runs inside the wrapper's recursion
 * guard, so the unwinder and the cost model may call anything; memory
 * for keys comes from mmap (map_zeroed), never the heap.
 */
struct opc_slot *opc_slot_lookup_slow(struct opc_thread *t, const struct opc_key *k)
{
	struct opc_key ok;
	struct opc_slot *s = NULL;
	struct opc_cost cost;
	uint32_t n = t->nslots;

	if (n < opc_cfg()->max_keys)
		s = slot_room(t, n);
	if (s == NULL) {
		/* Over the cap (or out of memory): merge into one key per
		 * routine (and nesting, refusal, device).  Counts stay exact;
		 * site, layer and shape are lost. */
		memset(&ok, 0, sizeof(ok));
		ok.rid = k->rid;
		ok.kflags = (k->kflags & (OPC_KEY_NESTED | OPC_KEY_REJECTED | OPC_KEY_REGION |
					  OPC_KEY_DEV_MASK)) | OPC_KEY_OVERFLOW;
		s = opc_slot_find(t, &ok, opc_key_hash(&ok));
		if (s)
			return s;
		warn_full(t, n);
		s = slot_room(t, n);
		if (s == NULL) {
			__atomic_add_fetch(&opc_dropped_calls, 1, __ATOMIC_RELAXED);
			return NULL;
		}
		k = &ok;
	}
	s->key = *k;
	if (!(k->kflags & OPC_KEY_OVERFLOW)) {
		key_cost(k, &cost);
		s->flops = cost.flops;
		s->bytes = cost.bytes;
		capture_stack(t, n, s);
	}
	/* cannot fail: slot_room() made room */
	opc_hashtab_insert(&t->index, opc_key_hash(k), n + 1);
	/* Publish: the collector reads nslots with acquire semantics and
	 * must see the key (and its chunk) written above. */
	__atomic_store_n(&t->nslots, n + 1, __ATOMIC_RELEASE);
	return s;
}

/* Overflow keys merge shapes, so their cost is added per call. */
void opc_slot_overflow_account(struct opc_slot *s, const struct opc_key *k)
{
	struct opc_cost cost;

	key_cost(k, &cost);
	__atomic_store_n(&s->flops_sum, s->flops_sum + cost.flops, __ATOMIC_RELAXED);
	__atomic_store_n(&s->bytes_sum, s->bytes_sum + cost.bytes, __ATOMIC_RELAXED);
}

/*
 * After the warm-up, keys whose calls are short get sampled timing: two
 * timestamps cost more than such a call itself, so only one call in 16 is
 * timed and the reader scales busy time by calls / timed.  Long calls
 * keep exact timing.
 */
void opc_slot_tune(struct opc_slot *s)
{
	uint64_t mean = s->ticks / (s->timed ? s->timed : 1);

	/* calibrated by the collector meanwhile: any recent value will do */
	if (mean < __atomic_load_n(&opc_short_call_ticks, __ATOMIC_RELAXED))
		s->sample_mask = 15;
}
