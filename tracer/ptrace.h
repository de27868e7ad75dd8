/*
 * ptrace.h - count BLAS and LAPACK calls with ptrace breakpoints: for
 * what LD_PRELOAD cannot see (statically linked programs, a BLAS bound
 * through dlopen(RTLD_LOCAL) + dlsym).  Writes the same trace format as
 * the preload library, so `opcount report` reads it unchanged.
 * Compiled into the opcount tool only.
 */
#ifndef OPC_PTRACE_H
#define OPC_PTRACE_H

#include <stddef.h>
#include <sys/types.h>

#include "energy.h"

struct opc_ptrace_opts {
	long hz;		/* ticks per second: intervals, energy samples */
	struct opc_energy_opts energy;	/* every trace's, and the injected library's */
	int stacks;		/* sample the threads' stacks at every tick */
	const char *inject;	/* libopcount.so (absolute): load it into the process
				 * and jump to its wrappers; NULL: breakpoints */
	const char *idle_w;	/* the INFO's idle power (record --idle-baseline), or NULL */
};

/*
 * Runs argv under ptrace, counting every intercepted call of it and its
 * threads into the trace named by `pattern` (%p its pid, %h the host, %%
 * a %: common/producer.h; the name is left in path).  Processes it forks, and each image an exec
 * starts, write traces of their own: FILE's stem + ".<pid>.opc", and
 * ".<pid>.exec<n>.opc" for the n-th exec of a pid (n counting on where a
 * pid is reused within the run: no trace overwrites another).  Returns the
 * command's exit status
 * (128 + signal if it was killed), or -1 with a message printed when it
 * could not be started or traced (ptrace not permitted, say).
 */
int opc_ptrace_run(const char *pattern, char *path, size_t len, char **argv,
		   const struct opc_ptrace_opts *o);

/*
 * Attaches to every thread of a running process, counts its calls for
 * `duration` seconds (0: until SIGINT or SIGTERM, or until it and the
 * children it forked meanwhile exit), then takes every breakpoint out and
 * detaches: it runs on unchanged.  Children it forks while attached and
 * images it execs are followed and named as with opc_ptrace_run.
 * 0 (left running), 1 (it exited meanwhile), or -1 with a message (no
 * such process, not permitted and why).
 */
int opc_ptrace_attach(pid_t pid, double duration, const char *pattern, char *path, size_t len,
		      const struct opc_ptrace_opts *o);

/* 0 if this process may trace its children, else -errno with the reason
 * (what blocks it) written to why. */
int opc_ptrace_probe(char *why, unsigned long len);

#endif
