/*
 * shim.c - life cycle of libopcount.so: configuration at load, the end of
 * the process, fork and exec.
 *
 * Loading does little: read the environment and register the exit and
 * fork handlers.  The per-thread state, the collector thread and the
 * trace file come at the first intercepted call, so the many processes a
 * preloaded shell or interpreter starts without ever calling BLAS pay
 * nothing and leave no file.
 */
#define PR_FMT "opcount"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gpu.h"
#include "log.h"
#include "resolve.h"
#include "shim.h"

OPC_HIDDEN int opc_cfg_report;
OPC_HIDDEN int opc_cfg_stack_depth = OPC_STACK_MAX;
OPC_HIDDEN uint64_t opc_cfg_interval_ns = 10000000;	/* 100 Hz */
OPC_HIDDEN uint64_t opc_short_call_ticks = 3000;	/* ~1 us until calibrated */
OPC_HIDDEN uint64_t opc_dropped_calls;
OPC_HIDDEN char opc_cfg_output[2 * PATH_MAX + 2] = "opcount-%p.opc";

static int shim_ready;
static int finished;
static pthread_key_t thread_key;
static uint64_t t0_ns;

uint64_t opc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec - t0_ns;
}

int opc_shim_ready(void)
{
	return shim_ready;
}

/* An internal problem: warn once and get out of the program's way. */
void opc_fail(const char *why)
{
	static int warned;

	opc_enabled = 0;
	if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
		pr_err("%s; counting disabled, the program continues", why);
}

static long env_long(const char *name, long def, long lo, long hi)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (s == NULL || *s == 0)
		return def;
	v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi) {
		pr_warn("ignoring %s=%s: expected an integer in [%ld, %ld]", name, s, lo, hi);
		return def;
	}
	return v;
}

/* Invariant TSC: rdtsc is then a clock, at half the cost of the vDSO's
 * clock_gettime.  Otherwise time with CLOCK_MONOTONIC. */
static int tsc_usable(void)
{
#if defined(__x86_64__)
	char buf[65536];
	FILE *f = fopen("/proc/cpuinfo", "re");
	size_t n;
	int ok;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	ok = strstr(buf, " constant_tsc") && strstr(buf, " nonstop_tsc");
	return ok;
#else
	return 0;
#endif
}

static void thread_exit(void *arg)
{
	struct opc_thread *t = arg;

	/* The collector harvests it once more, then frees it. */
	if (opc_self == t)
		opc_self = NULL;
	__atomic_store_n(&t->dead, 1, __ATOMIC_RELEASE);
}

int opc_thread_set_exit_hook(struct opc_thread *t)
{
	return pthread_setspecific(thread_key, t);
}

static void shim_finish(void)
{
	if (__atomic_exchange_n(&finished, 1, __ATOMIC_ACQ_REL))
		return;
	opc_collector_finish();
	opc_enabled = 0;
}

void opc_shim_finish(void)
{
	shim_finish();
}

/* Injected again after a detach (inject.c): a new trace to finish. */
void opc_shim_restart(void)
{
	opc_collector_restart();
	__atomic_store_n(&finished, 0, __ATOMIC_RELEASE);
}

static void atfork_prepare(void)
{
	opc_cudnn_atfork_prepare();
	opc_nvtx_atfork_prepare();
	opc_layer_atfork_prepare();
	opc_collector_atfork_prepare();
}

static void atfork_parent(void)
{
	opc_collector_atfork_parent();
	opc_layer_atfork_parent();
	opc_nvtx_atfork_parent();
	opc_cudnn_atfork_parent();
}

static void atfork_child(void)
{
	opc_cudnn_atfork_child();
	opc_nvtx_atfork_child();
	opc_layer_atfork_child();
	opc_collector_atfork_child();
	if (opc_fork_self)
		opc_fork_self->dead = 0;
}

__attribute__((constructor)) static void shim_init(void)
{
	const char *out = getenv("OPCOUNT_OUTPUT");
	char cwd[PATH_MAX];
	long hz;

	opc_log_init();
	t0_ns = 0;
	t0_ns = opc_now_ns();
	if (getenv("OPCOUNT_DISABLE") && atoi(getenv("OPCOUNT_DISABLE")))
		return;
	opc_cfg_report = env_long("OPCOUNT_REPORT", 0, 0, 1);
	opc_cfg_nested = env_long("OPCOUNT_NESTED", 0, 0, 1);
	opc_cfg_stack_depth = env_long("OPCOUNT_STACK_DEPTH", OPC_STACK_MAX, 0, OPC_STACK_MAX);
	hz = env_long("OPCOUNT_HZ", 100, 1, 10000);
	opc_cfg_interval_ns = 1000000000 / hz;
	opc_use_tsc = tsc_usable() && !getenv("OPCOUNT_NO_TSC");

	/* The output path is fixed now, relative to the starting directory,
	 * even if the program changes directory before its first call. */
	if (out == NULL || *out == 0)
		out = "opcount-%p.opc";
	if (out[0] != '/' && getcwd(cwd, sizeof(cwd)))
		snprintf(opc_cfg_output, sizeof(opc_cfg_output), "%s/%s", cwd, out);
	else
		snprintf(opc_cfg_output, sizeof(opc_cfg_output), "%s", out);

	if (pthread_key_create(&thread_key, thread_exit) ||
	    pthread_atfork(atfork_prepare, atfork_parent, atfork_child) ||
	    atexit(shim_finish)) {
		pr_err("cannot register exit handlers; counting disabled");
		return;
	}
	opc_collector_energy_init(getenv("OPCOUNT_ENERGY"));
	opc_enabled = 1;
	shim_ready = 1;
	pr_dbg(1, "loaded, output %s, %ld Hz, tsc %d", opc_cfg_output, hz, opc_use_tsc);
}

/* dlclose of the library, or exit paths that skip atexit handlers. */
__attribute__((destructor)) static void shim_fini(void)
{
	if (shim_ready)
		shim_finish();
}

/*
 * exec replaces the image without running exit handlers: flush first.
 * The exec'd program, if preloaded too, writes its own trace.  glibc's
 * execl* and execvp call execve internally, not through the PLT, hence a
 * wrapper for each entry point programs use.
 */
#define EXEC_WRAPPER(name, proto, args)					\
	OPC_EXPORT int name proto					\
	{								\
		static int (*real) proto;				\
		if (real == NULL)					\
			real = (int (*) proto)dlsym(RTLD_NEXT, #name);	\
		if (real == NULL) {					\
			errno = ENOSYS;					\
			return -1;					\
		}							\
		if (shim_ready && !finished) {				\
			int saved_errno = errno;			\
			opc_collector_exec();				\
			errno = saved_errno;				\
		}							\
		return real args;					\
	}

EXEC_WRAPPER(execve, (const char *path, char *const argv[], char *const envp[]),
	     (path, argv, envp))
EXEC_WRAPPER(execv, (const char *path, char *const argv[]), (path, argv))
EXEC_WRAPPER(execvp, (const char *file, char *const argv[]), (file, argv))
EXEC_WRAPPER(execvpe, (const char *file, char *const argv[], char *const envp[]),
	     (file, argv, envp))
EXEC_WRAPPER(fexecve, (int fd, char *const argv[], char *const envp[]), (fd, argv, envp))

/* dlclose may unmap the library our pointers lead into. */
OPC_EXPORT int dlclose(void *handle)
{
	static int (*real)(void *);
	int ret, saved_errno;

	if (real == NULL)
		real = (int (*)(void *))dlsym(RTLD_NEXT, "dlclose");
	if (real == NULL)
		return -1;
	if (shim_ready && !finished)
		opc_collector_modules();
	ret = real(handle);
	saved_errno = errno;
	opc_resolve_forget();
	errno = saved_errno;
	return ret;
}
