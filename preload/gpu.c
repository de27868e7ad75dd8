/*
 * gpu.c - timing GPU calls on the GPU with CUDA events (see gpu.h).
 *
 * Each thread that makes GPU calls owns a ring of event pairs.  The
 * wrapper (the owner) records a start event before the real call and an
 * end event after it, on the call's stream, and publishes the entry; the
 * collector thread consumes entries in order, asking cudaEventQuery
 * whether the end event has been reached and, once it has, adding
 * cudaEventElapsedTime to the key.  Single producer, single consumer: the
 * ring's head is written by the owner only, its tail by the collector
 * only, and an entry's events are reused only after the collector is done
 * with them.  A full ring leaves calls untimed (still counted); readers
 * scale busy time by calls / timed as for sampled host timing.
 *
 * What the program can observe: two event records per call on its own
 * stream (no synchronisation; a record on the legacy default stream
 * orders like any work there), nothing during stream capture (an event
 * would become a graph node), and the CUDA runtime's "last error" left
 * as it was: if one of our calls fails, the error is cleared again, and
 * nothing is recorded while the program has an error it has not read.
 */
#define PR_FMT "opcount"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "cuda_abi.h"
#include "gpu.h"
#include "log.h"
#include "resolve.h"

#define RING 4096	/* calls in flight per thread: a power of two */

struct opc_gpu_slot {
	struct opc_slot *slot;
	opc_cuda_event_t ev[2];
	int device;		/* the events were created on */
};

struct opc_gpu_ring {
	uint64_t head;		/* owner: next entry to fill */
	uint64_t tail;		/* collector: next entry to complete */
	int coll_device;	/* collector: device last made current */
	struct opc_gpu_slot e[RING];
};

struct opc_cudart {
	opc_cuda_event_create_t create;
	opc_cuda_event_destroy_t destroy;
	opc_cuda_event_record_t record;
	opc_cuda_event_query_t query;
	opc_cuda_event_elapsed_t elapsed;
	opc_cuda_get_device_t get_device;
	opc_cuda_set_device_t set_device;
	opc_cuda_is_capturing_t capturing;
	opc_cuda_get_last_error_t peek, clear;
};

/*
 * The runtime's entry points, or NULL while no libcudart is loaded.
 * Looked up once under a lock; published by storing the generation last
 * (release), so a thread that sees the current generation sees the table.
 */
static struct opc_cudart rt_table;
static int rt_ok;
static unsigned rt_gen = ~0u;
static unsigned long long rt_epoch;
static pthread_mutex_t rt_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct opc_cudart *cudart_slow(unsigned g)
{
	struct opc_cudart rt;
	const struct opc_cudart *ret = NULL;

	pthread_mutex_lock(&rt_lock);
	if (__atomic_load_n(&rt_gen, __ATOMIC_RELAXED) == g) {
		if (__atomic_load_n(&rt_ok, __ATOMIC_RELAXED)) {
			ret = &rt_table;
			goto out;
		}
		if (rt_epoch == opc_resolve_epoch())
			goto out;	/* nothing loaded since the last look */
	}
	rt_epoch = opc_resolve_epoch();
	rt.create = (opc_cuda_event_create_t)opc_resolve_name("cudaEventCreateWithFlags");
	rt.destroy = (opc_cuda_event_destroy_t)opc_resolve_name("cudaEventDestroy");
	rt.record = (opc_cuda_event_record_t)opc_resolve_name("cudaEventRecord");
	rt.query = (opc_cuda_event_query_t)opc_resolve_name("cudaEventQuery");
	rt.elapsed = (opc_cuda_event_elapsed_t)opc_resolve_name("cudaEventElapsedTime");
	rt.get_device = (opc_cuda_get_device_t)opc_resolve_name("cudaGetDevice");
	rt.set_device = (opc_cuda_set_device_t)opc_resolve_name("cudaSetDevice");
	rt.capturing = (opc_cuda_is_capturing_t)opc_resolve_name("cudaStreamIsCapturing");
	rt.peek = (opc_cuda_get_last_error_t)opc_resolve_name("cudaPeekAtLastError");
	rt.clear = (opc_cuda_get_last_error_t)opc_resolve_name("cudaGetLastError");
	__atomic_store_n(&rt_ok, 0, __ATOMIC_RELEASE);
	rt_table = rt;
	__atomic_store_n(&rt_ok, rt.create && rt.destroy && rt.record && rt.query &&
			 rt.elapsed && rt.get_device && rt.peek && rt.clear, __ATOMIC_RELEASE);
	__atomic_store_n(&rt_gen, g, __ATOMIC_RELEASE);
	if (rt_ok)
		ret = &rt_table;
out:
	pthread_mutex_unlock(&rt_lock);
	return ret;
}

static const struct opc_cudart *cudart(void)
{
	unsigned g = __atomic_load_n(&opc_resolve_gen, __ATOMIC_ACQUIRE);

	if (__builtin_expect(__atomic_load_n(&rt_gen, __ATOMIC_ACQUIRE) == g &&
			     __atomic_load_n(&rt_ok, __ATOMIC_ACQUIRE), 1))
		return &rt_table;
	return cudart_slow(g);
}

int opc_gpu_begin(struct opc_gpu_call *g, int rid, void *site)
{
	const struct opc_cudart *rt;
	int dev = 0;

	if (!opc_call_begin(&g->call, rid, site))
		return 0;
	/* whatever we call until the real call (the runtime, the shape's
	 * look-ups in the wrapper) may set errno: opc_gpu_enter restores it */
	g->saved_errno = errno;
	g->stream = NULL;
	g->ev = NULL;
	/* Looked up once per call; nothing of ours runs while the program
	 * has an error it has not read. */
	rt = cudart();
	if (rt && rt->peek() != OPC_CUDA_SUCCESS)
		rt = NULL;
	g->rt = rt;
	/* Our cudaGetDevice must not leave an error for the program to find. */
	if (rt && rt->get_device(&dev) != OPC_CUDA_SUCCESS) {
		rt->clear();
		dev = 0;
	}
	if (dev < 0 || dev > 254)
		dev = 254;
	g->device = dev;
	g->call.key.kflags |= (uint16_t)((dev + 1) << OPC_KEY_DEV_SHIFT);
	return 1;
}

static struct opc_gpu_ring *ring_get(struct opc_thread *t)
{
	if (__builtin_expect(t->gpu == NULL, 0)) {
		void *p = mmap(NULL, sizeof(struct opc_gpu_ring), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED)
			return NULL;
		/* the collector may look at it from now on (opc_gpu_poll) */
		__atomic_store_n(&t->gpu, p, __ATOMIC_RELEASE);
	}
	return t->gpu;
}

/* Is the stream being captured into a graph?  On any doubt, yes. */
static int capturing(const struct opc_cudart *rt, opc_cuda_stream_t s)
{
	int status = OPC_CUDA_STREAM_CAPTURE_NONE;

	if (rt->capturing == NULL)
		return 0;	/* before CUDA 10: no capture */
	if (rt->capturing(s, &status) != OPC_CUDA_SUCCESS) {
		rt->clear();
		return 1;
	}
	return status != OPC_CUDA_STREAM_CAPTURE_NONE;
}

/*
 * A record failed: a stream the program got wrong (its call fails too), or
 * events that cudaDeviceReset made invalid.  Either way new events next
 * time; destroying invalid ones only returns an error, which is cleared
 * like the record's.
 */
static void events_drop(const struct opc_cudart *rt, struct opc_gpu_slot *e)
{
	rt->clear();
	rt->destroy(e->ev[0]);
	rt->destroy(e->ev[1]);
	rt->clear();
	e->ev[0] = e->ev[1] = NULL;
}

void opc_gpu_enter(struct opc_gpu_call *g)
{
	struct opc_thread *t = g->call.t;
	const struct opc_cudart *rt;
	struct opc_gpu_ring *r;
	struct opc_gpu_slot *e;
	int saved_errno = g->saved_errno, usable;

	rt = g->rt;	/* opc_gpu_begin's look-up and error check */
	usable = rt != NULL;
	if (usable && capturing(rt, g->stream)) {
		/* a key of its own: this work runs when the graph is launched */
		g->call.key.kflags |= OPC_KEY_CAPTURED;
		usable = 0;
	}
	errno = saved_errno;
	opc_call_enter(&g->call);
	g->call.timed = 0;	/* host time of a GPU call is not its work */
	if (g->call.slot == NULL || !usable)
		return;
	r = ring_get(t);
	if (r == NULL || r->head - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) >= RING)
		goto out;	/* too many calls in flight: this one goes untimed */
	e = &r->e[r->head & (RING - 1)];
	if (e->ev[0] && e->device != g->device) {
		rt->destroy(e->ev[0]);
		rt->destroy(e->ev[1]);
		e->ev[0] = e->ev[1] = NULL;
	}
	if (e->ev[0] == NULL) {
		if (rt->create(&e->ev[0], OPC_CUDA_EVENT_DEFAULT) != OPC_CUDA_SUCCESS ||
		    rt->create(&e->ev[1], OPC_CUDA_EVENT_DEFAULT) != OPC_CUDA_SUCCESS) {
			rt->clear();
			if (e->ev[0])
				rt->destroy(e->ev[0]);
			e->ev[0] = e->ev[1] = NULL;
			goto out;
		}
		e->device = g->device;
	}
	if (rt->record(e->ev[0], g->stream) != OPC_CUDA_SUCCESS) {
		events_drop(rt, e);
		goto out;
	}
	g->ev = e;
out:
	errno = saved_errno;
}

void opc_gpu_exit(struct opc_gpu_call *g, int queued)
{
	struct opc_gpu_slot *e = g->ev;
	int saved_errno = errno;

	if (e && queued) {
		const struct opc_cudart *rt = g->rt;	/* set: e is */
		struct opc_gpu_ring *r = g->call.t->gpu;

		/* Not after an error of the call itself: the program reads it. */
		if (rt->peek() == OPC_CUDA_SUCCESS) {
			if (rt->record(e->ev[1], g->stream) == OPC_CUDA_SUCCESS) {
				e->slot = g->call.slot;
				__atomic_store_n(&r->head, r->head + 1, __ATOMIC_RELEASE);
			} else {
				events_drop(rt, e);
			}
		}
	}
	errno = saved_errno;
	/* The library refused the call (an error status): no work, counted
	 * as a call with 0 FLOPs under its rejected key, as the host's are. */
	if (!queued && g->call.slot != NULL)
		opc_call_reject(&g->call);
	opc_call_exit(&g->call);
}

/*
 * Collector side, with the registry lock held: complete what the GPU has
 * finished, in order.  The collector thread makes the events' device
 * current for itself first, so that it never creates a context on a GPU
 * the program does not use.
 */
void opc_gpu_poll(struct opc_thread *t)
{
	struct opc_gpu_ring *r = __atomic_load_n(&t->gpu, __ATOMIC_ACQUIRE);
	const struct opc_cudart *rt;
	uint64_t head;

	if (r == NULL || (rt = cudart()) == NULL)
		return;
	head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	while (r->tail != head) {
		struct opc_gpu_slot *e = &r->e[r->tail & (RING - 1)];
		float ms = 0;
		int q;

		if (rt->set_device && r->coll_device != e->device + 1) {
			rt->set_device(e->device);
			r->coll_device = e->device + 1;
		}
		q = rt->query(e->ev[1]);
		if (q == OPC_CUDA_ERROR_NOT_READY)
			break;
		if (q == OPC_CUDA_SUCCESS &&
		    rt->elapsed(&ms, e->ev[0], e->ev[1]) == OPC_CUDA_SUCCESS && ms >= 0) {
			e->slot->gpu_ns += (uint64_t)((double)ms * 1e6 + 0.5);
			e->slot->gpu_timed++;
		}
		/* else: the runtime is going away or the stream failed; the
		 * call stays counted, untimed */
		__atomic_store_n(&r->tail, r->tail + 1, __ATOMIC_RELEASE);
	}
}

/* GPU calls still in flight (collector side). */
static int in_flight(struct opc_thread *t)
{
	struct opc_gpu_ring *r = __atomic_load_n(&t->gpu, __ATOMIC_ACQUIRE);

	return r && r->tail != __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
}

/*
 * At exit: give the GPU up to `ms` milliseconds to finish what the
 * program queued and did not wait for, so its time is in the trace.
 */
void opc_gpu_drain(struct opc_thread *threads, int ms)
{
	struct timespec d = { 0, 1000000 };

	for (int i = 0; i <= ms; i++) {
		int busy = 0;

		for (struct opc_thread *t = threads; t; t = t->next) {
			opc_gpu_poll(t);
			busy |= in_flight(t);
		}
		if (!busy || i == ms)
			return;
		nanosleep(&d, NULL);
	}
}

/*
 * In a forked child: the parent's events are not the child's, and CUDA
 * must not be called in a child forked after it was initialised (PyTorch's
 * DataLoader workers are such children): drop the ring, call nothing.
 */
void opc_gpu_thread_forget(struct opc_thread *t)
{
	if (t->gpu)
		munmap(t->gpu, sizeof(*t->gpu));
	t->gpu = NULL;
}

void opc_gpu_thread_free(struct opc_thread *t)
{
	const struct opc_cudart *rt;

	if (t->gpu == NULL)
		return;
	rt = cudart();
	for (int i = 0; rt && i < RING; i++) {
		if (t->gpu->e[i].ev[0]) {
			rt->destroy(t->gpu->e[i].ev[0]);
			rt->destroy(t->gpu->e[i].ev[1]);
		}
	}
	munmap(t->gpu, sizeof(*t->gpu));
	t->gpu = NULL;
}
