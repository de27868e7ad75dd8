/*
 * record.c - the slow paths of the recording core: a thread's first call,
 * a key's first call (cost model, stack capture), the switch to sampled
 * timing, and keys that no longer fit.
 */
#define PR_FMT "opcount"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "gpu.h"
#include "log.h"
#include "record.h"
#include "resolve.h"
#include "shim.h"

__thread struct opc_thread *opc_self __attribute__((tls_model("initial-exec")));
OPC_HIDDEN int opc_enabled;
OPC_HIDDEN int opc_cfg_nested;
OPC_HIDDEN int opc_use_tsc;
OPC_HIDDEN uint32_t opc_global_layer;
OPC_HIDDEN struct opc_thread *opc_fork_self;

/* Keys beyond this become per-routine overflow keys; the rest of the
 * table is their reserve, so overflow keys always fit. */
#define OPC_SLOTS_SOFT (OPC_SLOTS_MAX - 2 * OPC_NROUTINES - 16)
_Static_assert(OPC_SLOTS_SOFT > OPC_SLOTS_MAX / 2, "slot reserve too large");

#define STACK_POOL_WORDS ((size_t)OPC_SLOTS_MAX * OPC_STACK_MAX)

static void *map_zeroed(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * A thread's state lives in anonymous mappings rather than the heap: it is
 * touched page by page as keys appear (RSS follows the keys actually
 * seen), and it never calls into an allocator the program may be using
 * at the time.
 */
static struct opc_thread *thread_new(void)
{
	struct opc_thread *t = map_zeroed(sizeof(*t));

	if (t == NULL)
		return NULL;
	t->slots = map_zeroed(sizeof(struct opc_slot) * OPC_SLOTS_MAX);
	t->stack_pool = map_zeroed(STACK_POOL_WORDS * sizeof(uint64_t));
	if (t->slots == NULL || t->stack_pool == NULL) {
		opc_thread_free(t);
		return NULL;
	}
	t->tid = (pid_t)syscall(SYS_gettid);
	return t;
}

void opc_thread_free(struct opc_thread *t)
{
	if (t == NULL)
		return;
	opc_gpu_thread_free(t);
	if (t->slots)
		munmap(t->slots, sizeof(struct opc_slot) * OPC_SLOTS_MAX);
	if (t->stack_pool)
		munmap(t->stack_pool, STACK_POOL_WORDS * sizeof(uint64_t));
	munmap(t, sizeof(*t));
}

/* Forget every key (a forked child starts a trace of its own). */
void opc_thread_reset(struct opc_thread *t)
{
	memset(t->slots, 0, sizeof(struct opc_slot) * t->nslots);
	memset(t->index, 0, sizeof(t->index));
	t->nslots = 0;
	t->stack_used = 0;
	t->last = NULL;
	t->gpu = NULL;	/* the parent's events: CUDA does not survive fork */
	t->tid = (pid_t)syscall(SYS_gettid);
}

/* The first intercepted call or layer push of a thread. */
struct opc_thread *opc_thread_attach(void)
{
	struct opc_thread *t;
	int saved_errno = errno;

	if (!opc_enabled || !opc_shim_ready())
		return NULL;
	t = opc_fork_self;
	if (t)
		opc_fork_self = NULL;
	else
		t = thread_new();
	if (t == NULL) {
		opc_fail("cannot allocate per-thread state");
		errno = saved_errno;
		return NULL;
	}
	opc_self = t;
	t->depth++;	/* registration may start the collector */
	if (opc_registry_add(t) < 0) {
		opc_self = NULL;
		opc_thread_free(t);
		t = NULL;
	} else {
		/* at thread exit: marked dead, harvested once more, freed */
		opc_thread_set_exit_hook(t);
		t->depth--;
	}
	errno = saved_errno;
	return t;
}

static void capture_stack(struct opc_thread *t, struct opc_slot *s)
{
	void *frames[OPC_STACK_MAX + 8];
	int n, first = -1;

	if (opc_cfg_stack_depth <= 0 || t->stack_used + OPC_STACK_MAX > STACK_POOL_WORDS)
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
	if (n > opc_cfg_stack_depth)
		n = opc_cfg_stack_depth;
	if (n <= 0)
		return;
	s->stack_off = t->stack_used;
	s->stack_depth = n;
	for (int i = 0; i < n; i++)
		t->stack_pool[t->stack_used + i] = (uintptr_t)frames[first + i];
	t->stack_used += n;
}

static void index_insert(struct opc_thread *t, const struct opc_key *k, uint32_t slotno)
{
	uint32_t i = opc_key_hash(k) & (OPC_INDEX_SIZE - 1);

	while (t->index[i])
		i = (i + 1) & (OPC_INDEX_SIZE - 1);
	t->index[i] = slotno + 1;
}

static struct opc_slot *index_find(struct opc_thread *t, const struct opc_key *k)
{
	uint32_t i = opc_key_hash(k) & (OPC_INDEX_SIZE - 1);

	while (t->index[i]) {
		struct opc_slot *s = &t->slots[t->index[i] - 1];

		if (opc_key_equal(&s->key, k))
			return s;
		i = (i + 1) & (OPC_INDEX_SIZE - 1);
	}
	return NULL;
}

/*
 * A key this thread has not seen.  Runs inside the wrapper's recursion
 * guard, so the unwinder and the cost model may call anything.
 */
struct opc_slot *opc_slot_lookup_slow(struct opc_thread *t, const struct opc_key *k)
{
	struct opc_key ok;
	struct opc_slot *s;
	struct opc_cost cost;
	uint32_t n = t->nslots;

	if (n >= OPC_SLOTS_SOFT) {
		/* Table full: merge into one key per routine (and nesting).
		 * Counts stay exact; site, layer and shape are lost. */
		memset(&ok, 0, sizeof(ok));
		ok.rid = k->rid;
		ok.kflags = (k->kflags & (OPC_KEY_NESTED | OPC_KEY_DEV_MASK)) | OPC_KEY_OVERFLOW;
		s = index_find(t, &ok);
		if (s)
			return s;
		if (n >= OPC_SLOTS_MAX) {
			__atomic_add_fetch(&opc_dropped_calls, 1, __ATOMIC_RELAXED);
			return NULL;
		}
		k = &ok;
	}
	s = &t->slots[n];
	s->key = *k;
	if (!(k->kflags & OPC_KEY_OVERFLOW)) {
		opc_routine_cost(k->rid, &k->shape, &cost);
		s->flops = cost.flops;
		s->bytes = cost.bytes;
		capture_stack(t, s);
	}
	index_insert(t, k, n);
	/* Publish: the collector reads nslots with acquire semantics and
	 * must see the key written above. */
	__atomic_store_n(&t->nslots, n + 1, __ATOMIC_RELEASE);
	return s;
}

/* Overflow keys merge shapes, so their cost is added per call. */
void opc_slot_overflow_account(struct opc_slot *s, const struct opc_key *k)
{
	struct opc_cost cost;

	opc_routine_cost(k->rid, &k->shape, &cost);
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

	if (mean < opc_short_call_ticks)
		s->sample_mask = 15;
}
