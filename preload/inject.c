/*
 * inject.c - the entry points of libopcount.so when `opcount record
 * --inject` loads it into a running process (tracer/ptrace.c).
 *
 * The tracer loads the library with dlopen(RTLD_LOCAL): it interposes
 * nothing by itself, and its wrappers are reached only through the jumps
 * the tracer writes over the routines' first bytes.  Each wrapper calls
 * its routine through opc_real_fn[], which the tracer fills with the
 * trampolines (the displaced first instructions and a jump back), so
 * nothing is resolved here: resolving would find the patched entry and
 * call the wrapper again.  The tracer calls these functions itself, from
 * a thread it stopped, with every other thread of the process stopped.
 */
#define PR_FMT "opcount"

#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>

#include "collector.h"
#include "config.h"
#include "inject_abi.h"
#include "log.h"
#include "record.h"
#include "resolve.h"
#include "shim.h"

static int injected;	/* 0 never, 1 counting, 2 ended (a detach) */

OPC_EXPORT long opcount_inject_begin(const struct opc_inject_cfg *cfg);

/* The program's handle searches the global scope only (RTLD_DEFAULT
 * would search our own local scope too). */
static int in_global_scope(void)
{
	void *main_h = dlopen(NULL, RTLD_NOW);
	int in = main_h && dlsym(main_h, "opcount_inject_begin") == (void *)opcount_inject_begin;

	if (main_h)
		dlclose(main_h);
	return in;
}

/*
 * Starts counting in this process: the configuration is the tracer's, not
 * the environment's the process was started with.  The trace is opened
 * now (energy from now on, a trace even with no call, as in ptrace mode).
 * Returns the address of the table of real routines, which the tracer
 * fills, or -errno.
 */
OPC_EXPORT long opcount_inject_begin(const struct opc_inject_cfg *cfg)
{
	int ret;

	if (cfg == NULL || cfg->version != OPC_INJECT_ABI_VERSION ||
	    cfg->nroutines != opc_nroutines)
		return -EPROTO;	/* a libopcount.so of another build */
	if (!opc_shim_ready())
		return -ENOTSUP;	/* OPCOUNT_DISABLE=1 in its environment, or no handlers */
	/* in the global scope: preloaded (or opened RTLD_GLOBAL), so its
	 * wrappers interpose already and it writes a trace of its own */
	if (injected == 1 || in_global_scope())
		return -EBUSY;
	if (injected == 2)
		opc_shim_restart();	/* attached again: a new trace */
	injected = 1;
	opc_config_inject(cfg);	/* the energy opens with the tracer's choice */
	opc_collector_energy_init();
	ret = opc_collector_begin();
	if (ret < 0) {
		injected = 2;
		return -EIO;
	}
	opc_enabled = 1;
	pr_dbg(1, "injected: writing %s", opc_cfg()->output);
	return (long)(uintptr_t)opc_real_fn;
}

/*
 * Stops counting before the tracer takes its jumps out: the last
 * interval and the END record are written and the collector thread ends.
 * Calls in progress finish through their trampolines, uncounted.
 */
OPC_EXPORT int opcount_inject_end(void)
{
	opc_enabled = 0;
	opc_shim_finish();
	injected = 2;
	return 0;
}
