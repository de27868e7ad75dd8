/*
 * cudart.c - a fake CUDA runtime (libcudart.so.13) over a simulated GPU:
 * streams, events, devices, memory, synchronisation.  See fakegpu.h.
 *
 * Written against the CUDA 13 headers, so every entry point has the real
 * signature.  Only what the tests and opcount use is implemented; the
 * rest of the API is absent, as in a library that lacks it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cuda_runtime_api.h>

#include "fakegpu.h"

#define EXPORT FAKEGPU_EXPORT

struct CUstream_st {
	uint64_t busy_until;	/* the end of the last queued work */
	unsigned flags;
	struct CUstream_st *next;
};

struct CUevent_st {
	uint64_t t;		/* when the stream reaches it */
	int recorded;
	unsigned flags;
};

struct work {
	uint64_t start, end;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct CUstream_st default_stream;
static struct CUstream_st *streams = &default_stream;
static struct work *works;
static size_t nworks, works_cap;
static uint64_t total_ns;
static __thread int cur_device;
static __thread cudaError_t last_error;
static int ndevices = -1;

/*
 * A CUDA context does not survive fork: the real runtime fails (or hangs)
 * when a child forked after initialisation calls it.  The fake makes that
 * loud: any event call from another process than the one that loaded it
 * aborts.
 */
static pid_t owner_pid;

__attribute__((constructor)) static void fake_init(void)
{
	owner_pid = getpid();
}

static void same_process(const char *fn)
{
	if (getpid() != owner_pid) {
		fprintf(stderr, "fake cudart: %s called in a forked child\n", fn);
		abort();
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static double env_double(const char *name, double def)
{
	const char *v = getenv(name);

	return v && *v ? atof(v) : def;
}

static cudaError_t ret(cudaError_t e)
{
	if (e != cudaSuccess && e != cudaErrorNotReady)
		last_error = e;
	return e;
}

static struct CUstream_st *stream_of(void *s)
{
	if (s == NULL || s == (void *)cudaStreamLegacy || s == (void *)cudaStreamPerThread)
		return &default_stream;
	return s;
}

static void sleep_until(uint64_t t)
{
	uint64_t n = now_ns();

	if (t > n) {
		struct timespec d = { (time_t)((t - n) / 1000000000u), (long)((t - n) % 1000000000u) };

		nanosleep(&d, NULL);
	}
}

EXPORT uint64_t fakegpu_submit(void *stream, uint64_t ns)
{
	struct CUstream_st *s = stream_of(stream);
	uint64_t start, end;

	pthread_mutex_lock(&lock);
	start = now_ns();
	if (s->busy_until > start)
		start = s->busy_until;
	end = start + ns;
	s->busy_until = end;
	if (nworks == works_cap) {
		size_t cap = works_cap ? works_cap * 2 : 1024;
		struct work *w = realloc(works, cap * sizeof(*w));

		if (w == NULL)
			abort();
		works = w;
		works_cap = cap;
	}
	works[nworks++] = (struct work){ start, end };
	total_ns += ns;
	pthread_mutex_unlock(&lock);
	return end;
}

EXPORT uint64_t fakegpu_cost_ns(double flops, double bytes)
{
	return (uint64_t)(env_double("FAKEGPU_LAUNCH_NS", 2000) +
			  flops / env_double("FAKEGPU_GFLOPS", 1000) +
			  bytes / env_double("FAKEGPU_GBPS", 100));
}

static int cmp_work(const void *a, const void *b)
{
	const struct work *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

EXPORT uint64_t fakegpu_busy_ns(void)
{
	uint64_t now = now_ns(), busy = 0, cur_s = 0, cur_e = 0;
	struct work *w;
	size_t n;

	pthread_mutex_lock(&lock);
	n = nworks;
	w = malloc((n ? n : 1) * sizeof(*w));
	if (w)
		memcpy(w, works, n * sizeof(*w));
	pthread_mutex_unlock(&lock);
	if (w == NULL)
		return 0;
	qsort(w, n, sizeof(*w), cmp_work);
	for (size_t i = 0; i < n; i++) {	/* union of [start, min(end, now)) */
		uint64_t s = w[i].start, e = w[i].end < now ? w[i].end : now;

		if (s >= now)
			break;
		if (s > cur_e) {
			busy += cur_e - cur_s;
			cur_s = s;
			cur_e = e;
		} else if (e > cur_e) {
			cur_e = e;
		}
	}
	busy += cur_e - cur_s;
	free(w);
	return busy;
}

EXPORT void fakegpu_totals(uint64_t *n, uint64_t *ns)
{
	pthread_mutex_lock(&lock);
	*n = nworks;
	*ns = total_ns;
	pthread_mutex_unlock(&lock);
}

/* ---- devices and errors ---- */

EXPORT cudaError_t cudaGetDeviceCount(int *count)
{
	if (ndevices < 0)
		ndevices = (int)env_double("FAKEGPU_DEVICES", 1);
	*count = ndevices;
	return cudaSuccess;
}

EXPORT cudaError_t cudaGetDevice(int *device)
{
	*device = cur_device;
	return cudaSuccess;
}

EXPORT cudaError_t cudaSetDevice(int device)
{
	int n;

	cudaGetDeviceCount(&n);
	if (device < 0 || device >= n)
		return ret(cudaErrorInvalidDevice);
	cur_device = device;
	return cudaSuccess;
}

EXPORT cudaError_t cudaGetLastError(void)
{
	cudaError_t e = last_error;

	last_error = cudaSuccess;
	return e;
}

EXPORT cudaError_t cudaPeekAtLastError(void)
{
	return last_error;
}

EXPORT const char *cudaGetErrorString(cudaError_t e)
{
	return e == cudaSuccess ? "no error" : "fake CUDA error";
}

EXPORT const char *cudaGetErrorName(cudaError_t e)
{
	return e == cudaSuccess ? "cudaSuccess" : "cudaErrorFake";
}

EXPORT cudaError_t cudaDeviceSynchronize(void)
{
	uint64_t t = 0;

	pthread_mutex_lock(&lock);
	for (struct CUstream_st *s = streams; s; s = s->next)
		if (s->busy_until > t)
			t = s->busy_until;
	pthread_mutex_unlock(&lock);
	sleep_until(t);
	return cudaSuccess;
}

EXPORT cudaError_t cudaDeviceReset(void)
{
	return cudaDeviceSynchronize();
}

/* ---- streams ---- */

EXPORT cudaError_t cudaStreamCreateWithFlags(cudaStream_t *ps, unsigned int flags)
{
	struct CUstream_st *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return ret(cudaErrorMemoryAllocation);
	s->flags = flags;
	pthread_mutex_lock(&lock);
	s->next = streams->next;
	streams->next = s;
	pthread_mutex_unlock(&lock);
	*ps = s;
	return cudaSuccess;
}

EXPORT cudaError_t cudaStreamCreate(cudaStream_t *ps)
{
	return cudaStreamCreateWithFlags(ps, 0);
}

EXPORT cudaError_t cudaStreamDestroy(cudaStream_t s)
{
	/* kept on the list: work queued on it still counts for the device */
	(void)s;
	return cudaSuccess;
}

EXPORT cudaError_t cudaStreamSynchronize(cudaStream_t s)
{
	uint64_t t;

	pthread_mutex_lock(&lock);
	t = stream_of(s)->busy_until;
	pthread_mutex_unlock(&lock);
	sleep_until(t);
	return cudaSuccess;
}

EXPORT cudaError_t cudaStreamQuery(cudaStream_t s)
{
	uint64_t t;

	pthread_mutex_lock(&lock);
	t = stream_of(s)->busy_until;
	pthread_mutex_unlock(&lock);
	return now_ns() >= t ? cudaSuccess : cudaErrorNotReady;
}

EXPORT cudaError_t cudaStreamIsCapturing(cudaStream_t s, enum cudaStreamCaptureStatus *st)
{
	(void)s;
	*st = getenv("FAKEGPU_CAPTURING") ? cudaStreamCaptureStatusActive
					  : cudaStreamCaptureStatusNone;
	return cudaSuccess;
}

/* ---- events ---- */

EXPORT cudaError_t cudaEventCreateWithFlags(cudaEvent_t *pe, unsigned int flags)
{
	struct CUevent_st *e;

	same_process(__func__);
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return ret(cudaErrorMemoryAllocation);
	e->flags = flags;
	*pe = e;
	return cudaSuccess;
}

EXPORT cudaError_t cudaEventCreate(cudaEvent_t *pe)
{
	return cudaEventCreateWithFlags(pe, 0);
}

EXPORT cudaError_t cudaEventDestroy(cudaEvent_t e)
{
	same_process(__func__);
	free(e);
	return cudaSuccess;
}

EXPORT cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t stream)
{
	struct CUstream_st *s = stream_of(stream);
	uint64_t n = now_ns();

	same_process(__func__);
	if (e == NULL)
		return ret(cudaErrorInvalidResourceHandle);
	pthread_mutex_lock(&lock);
	e->t = s->busy_until > n ? s->busy_until : n;
	e->recorded = 1;
	pthread_mutex_unlock(&lock);
	return cudaSuccess;
}

EXPORT cudaError_t cudaEventQuery(cudaEvent_t e)
{
	same_process(__func__);
	if (e == NULL)
		return ret(cudaErrorInvalidResourceHandle);
	return !e->recorded || now_ns() >= e->t ? cudaSuccess : cudaErrorNotReady;
}

EXPORT cudaError_t cudaEventSynchronize(cudaEvent_t e)
{
	if (e == NULL)
		return ret(cudaErrorInvalidResourceHandle);
	if (e->recorded)
		sleep_until(e->t);
	return cudaSuccess;
}

EXPORT cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a, cudaEvent_t b)
{
	uint64_t n = now_ns();

	same_process(__func__);
	if (a == NULL || b == NULL)
		return ret(cudaErrorInvalidResourceHandle);
	if ((a->flags | b->flags) & cudaEventDisableTiming)
		return ret(cudaErrorInvalidResourceHandle);
	if (!a->recorded || !b->recorded)
		return ret(cudaErrorInvalidResourceHandle);
	if (n < a->t || n < b->t)
		return cudaErrorNotReady;
	*ms = (float)(((double)b->t - (double)a->t) / 1e6);
	return cudaSuccess;
}

/* ---- memory: host memory stands in for device memory ---- */

EXPORT cudaError_t cudaMalloc(void **p, size_t n)
{
	*p = calloc(1, n ? n : 1);
	return *p ? cudaSuccess : ret(cudaErrorMemoryAllocation);
}

EXPORT cudaError_t cudaFree(void *p)
{
	free(p);
	return cudaSuccess;
}

EXPORT cudaError_t cudaMallocHost(void **p, size_t n)
{
	return cudaMalloc(p, n);
}

EXPORT cudaError_t cudaFreeHost(void *p)
{
	free(p);
	return cudaSuccess;
}
