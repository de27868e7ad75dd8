/*
 * config.h - the configuration of libopcount.so, written once at start.
 *
 * The constructor (shim.c) fills it from the environment; the injected
 * start (inject.c, `opcount record --ptrace --inject`) overwrites what the
 * tracer decides, from its struct opc_inject_cfg, with every thread of the
 * process stopped.  Everything else only reads it, through opc_cfg(): the
 * environment is read in one place, and a variable the program sets or
 * unsets later changes nothing.
 */
#ifndef OPC_CONFIG_H
#define OPC_CONFIG_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "job.h"

struct opc_energy_opts;
struct opc_inject_cfg;

#define OPC_STACK_MAX	32	/* frames kept per key: OPCOUNT_STACK_DEPTH's most */
#define OPC_MAX_KEYS_DEFAULT 1048576	/* OPCOUNT_MAX_KEYS: keys per thread */
#define OPC_MAX_KEYS_LIMIT   (2u << 20)	/* its most: record.h keeps room past it */

struct opc_config {
	int disabled;		/* OPCOUNT_DISABLE=1 or AT_SECURE: the library does nothing */
	int report;		/* OPCOUNT_REPORT: a summary on stderr at exit */
	int nested;		/* OPCOUNT_NESTED: count calls made inside calls too */
	int stack_depth;	/* OPCOUNT_STACK_DEPTH, 0 = no stacks */
	uint32_t max_keys;	/* OPCOUNT_MAX_KEYS: a thread's keys, the rest merged */
	int use_tsc;		/* time with rdtsc: invariant TSC, no OPCOUNT_NO_TSC */
	long hz;		/* OPCOUNT_HZ, or the tracer's */
	uint64_t interval_ns;	/* 1e9 / hz */
	uint64_t t0_ns;		/* CLOCK_MONOTONIC at load: time 0 of the trace */
	int inject;		/* started by `opcount record --inject` (inject.c) */
	int root_set;		/* OPCOUNT_ROOT_PID was given (or injected) */
	pid_t root_pid;		/* whose trace is `output` as it is; others add .<pid> */
	char output[3 * PATH_MAX];	/* OPCOUNT_OUTPUT, made absolute at load */
	char energy[256];	/* OPCOUNT_ENERGY or --energy; "" = auto */
	char idle_w[64];	/* OPCOUNT_IDLE_W (record --idle-baseline); "" = none */
	/* where the energy counters are (common/energy.h), "" = the default */
	char powercap_root[PATH_MAX];	/* OPCOUNT_POWERCAP_ROOT, or the tracer's */
	char nvml_library[PATH_MAX];	/* OPCOUNT_NVML_LIBRARY */
	int visible_gpus_set;		/* CUDA_VISIBLE_DEVICES is set ... */
	char visible_gpus[1024];	/* ... to this: the GPUs of the run */
	char data_dir[PATH_MAX];	/* opc_data_dir(): the estimate's TDP table */
	struct opc_job job;		/* the job this process is a rank of (job.h) */
	/* OPCOUNT_TEST_HOST, OPCOUNT_TEST_BOOT_ID: the node INFO names, for
	 * tests that simulate several nodes on one machine; "" = the real one */
	char test_host[256], test_boot_id[64];
};

/* The one instance.  Only config.c writes it; read it through opc_cfg(). */
extern struct opc_config opc_config_store;

static inline const struct opc_config *opc_cfg(void)
{
	return &opc_config_store;
}

/* From the environment, in the constructor.  Returns -1 if
 * OPCOUNT_DISABLE is set or the process is a secure-execution one
 * (setuid, setgid, AT_SECURE: nothing else is read then), else 0. */
int opc_config_load(void);

/* The tracer's settings, at the injected start. */
void opc_config_inject(const struct opc_inject_cfg *ic);

/* The energy options of the configuration; o points into it. */
void opc_config_energy(struct opc_energy_opts *o);

#endif
