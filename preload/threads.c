/*
 * threads.c - the program's threads: creation at the first call,
 * registration, exit, and the reset in a forked child (see threads.h).
 */
#define PR_FMT "opcount"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "record.h"
#include "routines_gen.h"
#include "threads.h"

__thread struct opc_thread *opc_self __attribute__((tls_model("initial-exec")));

static pthread_key_t thread_key;
static int key_ready;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct opc_thread *threads;
static uint64_t nthreads_seen;
static int (*registry_before_add)(void);
/* a forked child's thread, registered again at its next call */
static struct opc_thread *fork_self;

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
 * at the time.  Its slots and key index are record.c's.
 */
static struct opc_thread *thread_new(void)
{
	struct opc_thread *t = map_zeroed(sizeof(*t));

	if (t == NULL)
		return NULL;
	if (opc_slots_init(t) < 0) {
		opc_thread_free(t);
		return NULL;
	}
	t->tid = (pid_t)syscall(SYS_gettid);
	return t;
}

/* The caller has released what others hold for t (its GPU events). */
void opc_thread_free(struct opc_thread *t)
{
	if (t == NULL)
		return;
	opc_slots_free(t);
	munmap(t, sizeof(*t));
}

/* Forget every key (a forked child starts a trace of its own). */
static void thread_reset(struct opc_thread *t)
{
	opc_slots_reset(t);
	t->last = NULL;
	t->gpu = NULL;	/* the parent's events: CUDA does not survive fork */
	t->tid = (pid_t)syscall(SYS_gettid);
}

/* The region key of layer `layer` on thread t, or NULL (no room). */
static struct opc_slot *region_slot(struct opc_thread *t, uint32_t layer)
{
	struct opc_key k;
	struct opc_slot *s;

	memset(&k, 0, sizeof(k));
	k.rid = OPC_R_opcount_other_ops;
	k.layer = layer;
	k.kflags = OPC_KEY_REGION;
	t->depth++;	/* a new key's stack and cost: nothing counted meanwhile */
	s = opc_slot_get(t, &k);
	t->depth--;
	return s;
}

/*
 * The thread's innermost region becomes `layer` (0: none): the time since
 * the last switch goes to the region it leaves; `entered` counts one
 * entry of the new one (a push).  The seqlock lets the collector read
 * (region_slot, region_t0, the slot's ticks) as one.
 */
void opc_region_switch(struct opc_thread *t, uint32_t layer, int entered)
{
	struct opc_slot *from = t->region_slot;
	struct opc_slot *to = layer && opc_enabled ? region_slot(t, layer) : NULL;
	uint64_t now = opc_ticks();

	__atomic_store_n(&t->region_seq, t->region_seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (from)
		__atomic_store_n(&from->ticks, from->ticks + (now - t->region_t0),
				 __ATOMIC_RELAXED);
	if (to && entered)
		__atomic_store_n(&to->calls, to->calls + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&t->region_slot, to, __ATOMIC_RELAXED);
	__atomic_store_n(&t->region_t0, now, __ATOMIC_RELAXED);
	__atomic_store_n(&t->region_seq, t->region_seq + 1, __ATOMIC_RELEASE);
}

/* The pthread key's destructor, at the thread's exit. */
static void thread_exit(void *arg)
{
	struct opc_thread *t = arg;

	if (t->region_slot)	/* its open region ends with it */
		opc_region_switch(t, 0, 0);

	/* The collector harvests it once more, then frees it. */
	if (opc_self == t)
		opc_self = NULL;
	__atomic_store_n(&t->dead, 1, __ATOMIC_RELEASE);
}

int opc_threads_init(void)
{
	int ret = pthread_key_create(&thread_key, thread_exit);

	if (ret)
		return -ret;
	key_ready = 1;
	return 0;
}

void opc_registry_set_hook(int (*before_add)(void))
{
	registry_before_add = before_add;
}

static int registry_add(struct opc_thread *t)
{
	int ret = 0;

	pthread_mutex_lock(&reg_lock);
	if (registry_before_add)
		ret = registry_before_add();
	if (ret == 0) {
		t->next = threads;
		threads = t;
		nthreads_seen++;
	}
	pthread_mutex_unlock(&reg_lock);
	return ret;
}

struct opc_thread *opc_thread_attach(void)
{
	struct opc_thread *t;
	int saved_errno = errno;

	if (!opc_enabled || !key_ready)
		return NULL;
	t = fork_self;
	if (t)
		fork_self = NULL;
	else
		t = thread_new();
	if (t == NULL) {
		opc_fail("cannot allocate per-thread state");
		errno = saved_errno;
		return NULL;
	}
	opc_self = t;
	t->depth++;	/* registration may start the collector */
	if (registry_add(t) != 0) {
		opc_self = NULL;
		opc_thread_free(t);
		t = NULL;
	} else {
		/* at thread exit: marked dead, harvested once more, freed */
		pthread_setspecific(thread_key, t);
		t->depth--;
	}
	errno = saved_errno;
	return t;
}

void opc_registry_lock(void)
{
	pthread_mutex_lock(&reg_lock);
}

void opc_registry_unlock(void)
{
	pthread_mutex_unlock(&reg_lock);
}

void opc_registry_wait(pthread_cond_t *cond, const struct timespec *deadline)
{
	pthread_cond_timedwait(cond, &reg_lock, deadline);
}

struct opc_thread *opc_registry_threads(void)
{
	return threads;
}

uint64_t opc_registry_seen(void)
{
	return nthreads_seen;
}

void opc_registry_reap(void (*release)(struct opc_thread *t))
{
	struct opc_thread **pp, *t;

	for (pp = &threads; (t = *pp);) {
		if (t->h_dead) {
			*pp = t->next;
			release(t);
			opc_thread_free(t);
			continue;
		}
		pp = &t->next;
	}
}

void opc_registry_atfork_child(void (*forget)(struct opc_thread *t))
{
	struct opc_thread *t, *next, *self = opc_self;

	pthread_mutex_init(&reg_lock, NULL);
	for (t = threads; t; t = next) {
		next = t->next;
		forget(t);
		if (t != self)
			opc_thread_free(t);
	}
	threads = NULL;
	nthreads_seen = 0;
	if (self) {
		thread_reset(self);
		self->h_nslots = 0;
		/* re-registered, with its layers, at its next call */
		fork_self = self;
		opc_self = NULL;
	}
	if (fork_self)
		fork_self->dead = 0;
}
