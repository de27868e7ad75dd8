/*
 * shim.c - life cycle of libopcount.so: configuration at load, the end of
 * the process, fork and exec.
 *
 * Loading does little: read the configuration (config.c) and register
 * the exit and fork handlers.  The per-thread state, the collector thread and the
 * trace file come at the first intercepted call, so the many processes a
 * preloaded shell or interpreter starts without ever calling BLAS pay
 * nothing and leave no file.
 */
#define PR_FMT "opcount"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "collector.h"
#include "config.h"
#include "gpu.h"
#include "layer.h"
#include "log.h"
#include "record.h"
#include "resolve.h"
#include "shim.h"
#include "threads.h"

static int shim_ready;
static int finished;

/*
 * The process this state belongs to: the one that loaded the library, or
 * the fork child that took its copy over (atfork_child).  A vfork child
 * (Python's subprocess since 3.11, any program that calls vfork) runs in
 * its parent's memory until it execs or exits, and no atfork handler
 * runs in it: anything it wrote, a flush, an EXEC record, a flag, a
 * malloc, would be written into the parent's state, through the parent's
 * descriptor or one the child has closed.  A child cloned without fork()
 * has a copy that no atfork handler reset, with the parent's frames
 * buffered.  Neither may touch the trace; the image a child execs, if
 * preloaded, writes its own.  Compared by getpid() (a system call: glibc
 * caches no pid) where the program exits, execs or unloads a library,
 * never on the hot path.
 */
static pid_t owner_pid;

static int shim_owner(void)
{
	return getpid() == owner_pid;
}

int opc_shim_ready(void)
{
	return shim_ready;
}

static void shim_finish(void)
{
	/* exit() in a vfork child or a clone()d copy: not its trace */
	if (!shim_owner())
		return;
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
	owner_pid = getpid();
	opc_cudnn_atfork_child();
	opc_nvtx_atfork_child();
	opc_layer_atfork_child();
	opc_collector_atfork_child();
}

static void exec_resolve(void);

__attribute__((constructor)) static void shim_init(void)
{
	const struct opc_config *cfg = opc_cfg();

	owner_pid = getpid();
	exec_resolve();
	opc_log_init();
	if (opc_config_load() < 0)
		return;	/* OPCOUNT_DISABLE, or a setuid program: pass through */
	if (opc_threads_init() < 0 ||
	    pthread_atfork(atfork_prepare, atfork_parent, atfork_child) ||
	    atexit(shim_finish)) {
		pr_err("cannot register exit handlers; counting disabled");
		return;
	}
	opc_collector_init();
	opc_enabled = 1;
	shim_ready = 1;
	pr_dbg(1, "loaded, output %s, %ld Hz, tsc %d", cfg->output, cfg->hz, cfg->use_tsc);
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
 * wrapper for each entry point programs use.  The real functions are
 * found in the constructor: a vfork child that execs then only reads
 * them (dlsym may take the loader's lock and allocate).
 */
#define EXEC_FUNCTIONS(X)							\
	X(execve, (const char *path, char *const argv[], char *const envp[]),	\
	  (path, argv, envp))							\
	X(execv, (const char *path, char *const argv[]), (path, argv))		\
	X(execvp, (const char *file, char *const argv[]), (file, argv))		\
	X(execvpe, (const char *file, char *const argv[], char *const envp[]),	\
	  (file, argv, envp))							\
	X(fexecve, (int fd, char *const argv[], char *const envp[]), (fd, argv, envp))

#define EXEC_REAL(name, proto, args) static int (*real_##name) proto;
EXEC_FUNCTIONS(EXEC_REAL)

#define EXEC_RESOLVE(name, proto, args)						\
	real_##name = (int (*) proto)dlsym(RTLD_NEXT, #name);

static void exec_resolve(void)
{
	EXEC_FUNCTIONS(EXEC_RESOLVE)
}

#define EXEC_WRAPPER(name, proto, args)						\
	OPC_EXPORT int name proto						\
	{									\
		if (real_##name == NULL)	/* exec'd before our constructor */ \
			exec_resolve();						\
		if (real_##name == NULL) {					\
			errno = ENOSYS;						\
			return -1;						\
		}								\
		if (shim_ready && !finished && shim_owner()) {			\
			int saved_errno = errno;				\
			opc_collector_exec();					\
			errno = saved_errno;					\
		}								\
		return real_##name args;					\
	}

EXEC_FUNCTIONS(EXEC_WRAPPER)

/* dlclose may unmap the library our pointers lead into. */
OPC_EXPORT int dlclose(void *handle)
{
	static int (*real)(void *);
	int ret, saved_errno;

	if (real == NULL)
		real = (int (*)(void *))dlsym(RTLD_NEXT, "dlclose");
	if (real == NULL)
		return -1;
	if (shim_ready && !finished && shim_owner())
		opc_collector_modules();
	ret = real(handle);
	saved_errno = errno;
	opc_resolve_forget();
	errno = saved_errno;
	return ret;
}
