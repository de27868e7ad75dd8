/*
 * nvml.c - a fake NVML with GPUs of known power, for the energy tests on
 * machines without a GPU.  Built by tests/integration/energy_nvml.sh as
 *
 *   cc -shared -fPIC -Wl,-soname,libnvidia-ml.so.1 -o libnvidia-ml.so.1 nvml.c
 *
 * and loaded by the library through OPCOUNT_NVML_LIBRARY, as the real one
 * is, with dlopen.  It implements only the entry points opcount uses, with
 * NVML's signatures (nvmlReturn_t is an int enum, nvmlDevice_t an opaque
 * pointer; written from NVML's documented API, no nvml.h needed).
 *
 * Environment:
 *   FAKE_NVML_WATTS      power per GPU, comma-separated; the number of
 *                        entries is the number of GPUs (default "100").
 *                        An entry may be "W0/W1/..." per phase of the
 *                        phase word named by OPC_FAKE_PHASE (see
 *                        tests/progs/fake_rapl.c); a phase past the list
 *                        keeps the last value
 *   FAKE_NVML_NO_ENERGY  1: nvmlDeviceGetTotalEnergyConsumption answers
 *                        NVML_ERROR_NOT_SUPPORTED, as on GPUs before
 *                        Volta, so the caller must integrate the power
 *   FAKE_NVML_FAIL_INIT  1: nvmlInit_v2 answers NVML_ERROR_DRIVER_NOT_LOADED
 *   FAKE_NVML_BUSY_WATTS GPU 0 draws this much more while the simulated GPU
 *                        of the fake CUDA runtime (tests/fake/cudart.c) is
 *                        busy: energy += W x its busy time, exactly, read
 *                        through fakegpu_busy_ns() when that library is
 *                        loaded in the process
 *
 * Energy is integrated exactly: the power switches at the time stamp the
 * program stored with the phase, not at the next query.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

typedef enum {
	NVML_SUCCESS = 0,
	NVML_ERROR_UNINITIALIZED = 1,
	NVML_ERROR_INVALID_ARGUMENT = 2,
	NVML_ERROR_NOT_SUPPORTED = 3,
	NVML_ERROR_INSUFFICIENT_SIZE = 7,
	NVML_ERROR_DRIVER_NOT_LOADED = 9,
} nvmlReturn_t;

typedef struct nvmlDevice_st *nvmlDevice_t;

#define EXPORT __attribute__((visibility("default")))
#define MAX_GPUS 16
#define MAX_PHASES 32

struct fake_phase {		/* as in tests/progs/fake_rapl.c */
	uint64_t t_ns;
	uint32_t phase;
};

struct nvmlDevice_st {
	unsigned index;
	int npow;
	double watts[MAX_PHASES];
	double uj;		/* since nvmlInit, microjoules */
};

static struct nvmlDevice_st gpus[MAX_GPUS];
static unsigned ngpus;
static int initialised, no_energy;
static struct fake_phase *shared;
static unsigned phase;
static uint64_t last_ns;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static double busy_w;
static uint64_t last_busy_ns;
static uint64_t (*busy_ns)(void);	/* fakegpu_busy_ns, if loaded */

/* counters since "driver load": not zero at our start, like the real ones */
#define ENERGY_BASE_MJ 987654321ull

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static double power(const struct nvmlDevice_st *g, unsigned k)
{
	return g->watts[k < (unsigned)g->npow ? k : (unsigned)g->npow - 1];
}

static void advance_all(unsigned k, uint64_t from, uint64_t to)
{
	if (to <= from)
		return;
	for (unsigned i = 0; i < ngpus; i++)
		gpus[i].uj += power(&gpus[i], k) * (to - from) / 1e3;
}

/* Bring every GPU's energy up to now.  Called with lock held. */
static void update(void)
{
	uint64_t t = now_ns();

	if (shared) {
		unsigned want = __atomic_load_n(&shared->phase, __ATOMIC_ACQUIRE);

		if (want != phase) {
			uint64_t sw = __atomic_load_n(&shared->t_ns, __ATOMIC_ACQUIRE);

			if (sw < last_ns || sw > t)
				sw = t;
			advance_all(phase, last_ns, sw);
			last_ns = sw;
			phase = want;
		}
	}
	advance_all(phase, last_ns, t);
	last_ns = t;
	if (busy_w > 0 && busy_ns && ngpus) {
		uint64_t b = busy_ns();

		if (b > last_busy_ns)
			gpus[0].uj += busy_w * (b - last_busy_ns) / 1e3;
		last_busy_ns = b;
	}
}

static void map_phase(void)
{
	const char *p = getenv("OPC_FAKE_PHASE");
	void *m;
	int fd;

	if (p == NULL || *p == 0 || (fd = open(p, O_RDONLY)) < 0)
		return;
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m != MAP_FAILED) {
		shared = m;
		phase = __atomic_load_n(&shared->phase, __ATOMIC_ACQUIRE);
	}
}

EXPORT nvmlReturn_t nvmlInit_v2(void)
{
	const char *w = getenv("FAKE_NVML_WATTS");
	const char *f = getenv("FAKE_NVML_FAIL_INIT");
	const char *ne = getenv("FAKE_NVML_NO_ENERGY");
	char buf[1024], *tok, *save;

	if (f && atoi(f))
		return NVML_ERROR_DRIVER_NOT_LOADED;
	pthread_mutex_lock(&lock);
	if (!initialised) {
		snprintf(buf, sizeof(buf), "%s", w && *w ? w : "100");
		ngpus = 0;
		for (tok = strtok_r(buf, ",", &save); tok && ngpus < MAX_GPUS;
		     tok = strtok_r(NULL, ",", &save)) {
			struct nvmlDevice_st *g = &gpus[ngpus];

			memset(g, 0, sizeof(*g));
			g->index = ngpus;
			for (char *p = tok; *p && g->npow < MAX_PHASES;) {
				char *end;

				g->watts[g->npow++] = strtod(p, &end);
				if (end == p)
					break;
				p = *end == '/' ? end + 1 : end;
			}
			if (g->npow)
				ngpus++;
		}
		no_energy = ne && atoi(ne);
		busy_w = getenv("FAKE_NVML_BUSY_WATTS") ? atof(getenv("FAKE_NVML_BUSY_WATTS")) : 0;
		busy_ns = (uint64_t (*)(void))dlsym(RTLD_DEFAULT, "fakegpu_busy_ns");
		if (busy_ns)
			last_busy_ns = busy_ns();
		map_phase();
		last_ns = now_ns();
		initialised = 1;
	}
	pthread_mutex_unlock(&lock);
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlShutdown(void)
{
	return initialised ? NVML_SUCCESS : NVML_ERROR_UNINITIALIZED;
}

EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count)
{
	if (!initialised)
		return NVML_ERROR_UNINITIALIZED;
	if (count == NULL)
		return NVML_ERROR_INVALID_ARGUMENT;
	*count = ngpus;
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
	if (!initialised)
		return NVML_ERROR_UNINITIALIZED;
	if (index >= ngpus || device == NULL)
		return NVML_ERROR_INVALID_ARGUMENT;
	*device = &gpus[index];
	return NVML_SUCCESS;
}

static int valid(nvmlDevice_t d)
{
	return initialised && d >= gpus && d < gpus + ngpus;
}

static nvmlReturn_t copy_out(char *dst, unsigned int len, const char *src)
{
	if (dst == NULL)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (strlen(src) + 1 > len)
		return NVML_ERROR_INSUFFICIENT_SIZE;
	memcpy(dst, src, strlen(src) + 1);
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
	char buf[64];

	if (!valid(device))
		return NVML_ERROR_INVALID_ARGUMENT;
	snprintf(buf, sizeof(buf), "Fake GPU %u", device->index);
	return copy_out(name, length, buf);
}

EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
{
	char buf[80];

	if (!valid(device))
		return NVML_ERROR_INVALID_ARGUMENT;
	snprintf(buf, sizeof(buf), "GPU-fa4e0000-0000-4000-8000-%012u", device->index);
	return copy_out(uuid, length, buf);
}

/* millijoules since the driver was loaded */
EXPORT nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device,
							 unsigned long long *energy)
{
	if (!valid(device) || energy == NULL)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (no_energy)
		return NVML_ERROR_NOT_SUPPORTED;
	pthread_mutex_lock(&lock);
	update();
	*energy = ENERGY_BASE_MJ + (unsigned long long)(device->uj / 1e3);
	pthread_mutex_unlock(&lock);
	return NVML_SUCCESS;
}

/* milliwatts, now */
EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *mw)
{
	if (!valid(device) || mw == NULL)
		return NVML_ERROR_INVALID_ARGUMENT;
	pthread_mutex_lock(&lock);
	update();
	*mw = (unsigned int)(power(device, phase) * 1000.0 + 0.5);
	pthread_mutex_unlock(&lock);
	return NVML_SUCCESS;
}
