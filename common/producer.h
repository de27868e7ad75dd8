/*
 * producer.h - what every writer of traces shares: the preload library
 * (preload/collector.c), the ptrace tracer (tracer/pt_trace.c), and
 * `opcount record`, which names the traces the run made.
 *
 *   names   the output pattern (%p the pid, %h the host name, %% a %),
 *           the name of another process's trace (STEM.<pid>.opc) and of an
 *           exec'd image's (STEM.<pid>.exec<n>.opc), STEM being the name
 *           without its ".opc"; a rank N of a distributed job (job.h)
 *           writes STEM.rank<N>.opc, and its other processes
 *           STEM.rank<N>.<pid>.opc: ranks never share a name, whatever
 *           the output is
 *   files   creating a trace (not over one this process or another that
 *           runs is writing), opening it again, its header
 *   INFO    the machine: exe, command line, host, boot id, CPU model,
 *           CPUs, BLAS library, idle power; the job: launcher, rank,
 *           local rank, world size, job id
 *
 * Nothing here reads the environment: the caller's configuration comes in
 * struct opc_producer.
 */
#ifndef OPC_PRODUCER_H
#define OPC_PRODUCER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "file.h"

struct opc_writer;
struct opc_job;

/* How a run names its traces, and what its INFO says besides the machine. */
struct opc_producer {
	const char *output;	/* -o FILE, OPCOUNT_OUTPUT: a pattern */
	int output_is_name;	/* output is a file name, used as is (--inject: the
				 * tracer expanded the pattern) */
	pid_t root_pid;		/* the run's command: its first image writes the
				 * output itself, any other process STEM.<pid>.opc;
				 * 0: no run (a bare LD_PRELOAD), every process the
				 * output; -1: no process the output */
	const char *mode;	/* INFO "mode": "inject", "ptrace"; NULL: preloaded */
	const char *idle_w;	/* INFO "idle_w", `record --idle-baseline`; NULL: none */
	int tsc;		/* INFO "tsc": busy time from the TSC */
	const struct opc_job *job;	/* the job this process is a rank of;
					 * NULL (or no launcher): none */
	/* for tests only (OPCOUNT_TEST_HOST, OPCOUNT_TEST_BOOT_ID): the
	 * node INFO names, to simulate several nodes on one machine; NULL:
	 * the real ones */
	const char *host, *boot_id;
};

/* The rank whose name the producer's traces take, -1 for none. */
int opc_producer_rank(const struct opc_producer *p);

/* p's job (detected into *job) and node overrides, from the environment
 * that get reads (the tool's getenv; the library reads its own through
 * its configuration). */
void opc_producer_job(struct opc_producer *p, struct opc_job *job,
		      char *(*get)(const char *name));

/* pattern with %p as pid, %h as the host name and %% as %; another % is
 * kept.  0, or -ENAMETOOLONG with out cut short. */
int opc_output_expand(char *out, size_t len, const char *pattern, pid_t pid);

/* Whether pattern names each process's trace itself (holds a %p). */
int opc_output_per_pid(const char *pattern);

/*
 * The name of the trace of image `image` of process pid (0: the image it
 * started with, n: the one its n-th exec started): the output expanded for
 * pid where it holds %p or pid is the root (or there is none), else
 * STEM.<pid>.opc; an image n > 0 adds ".exec<n>" before ".opc".  A rank
 * N's STEM ends in ".rank<N>", and its own name is STEM.opc for any pid
 * but with root_pid -1 (a rank's other processes add .<pid>).
 */
int opc_trace_name(char *out, size_t len, const struct opc_producer *p, pid_t pid,
		   unsigned image);

/*
 * The trace name of process pid (parent ppid) under the library's rule:
 * opc_trace_name's for image 0; where that is a trace another running
 * process writes (its parent, with a fixed name), STEM.<pid>.opc; and
 * while the name is a trace this process wrote before an exec, the next
 * exec name.  Older traces of finished processes are replaced.
 */
int opc_trace_name_unused(char *out, size_t len, const struct opc_producer *p, pid_t pid,
			  pid_t ppid);

/*
 * A glob for the names the other processes of a run give their traces
 * (%p as *, or STEM.*.opc), for `opcount record` to count them.
 */
int opc_trace_glob(char *out, size_t len, const struct opc_producer *p, pid_t root);

/* Creates (or truncates) the trace file, mode 0600: its descriptor, or
 * -errno: -ELOOP where path is a symbolic link (never followed), -ENXIO
 * where it is no regular file (a FIFO: refused without blocking); say
 * which with opc_open_strerror (file.h).  With high_fd, the descriptor is
 * moved to 900 or above, clear of the low numbers a program expects to
 * get (the preload library). */
int opc_trace_create(const char *path, int high_fd);

/*
 * The trace at path opened again, appending, if it is still the file
 * (st_dev, st_ino) it was created as: the descriptor, moved high as
 * opc_trace_create moves it; -ESTALE where path is another file now (or
 * no regular file), -errno where it cannot be opened.  For a writer whose
 * descriptor the program closed or replaced (the preload library).
 */
int opc_trace_reopen(const char *path, dev_t dev, ino_t ino);

/* What the file header says beside the format's constants. */
struct opc_trace_hdr {
	pid_t pid, ppid;
	uint64_t features;	/* OPC_FEAT_* */
	uint64_t interval_ns;	/* the sampling period */
	uint64_t t0_ago_ns;	/* the trace's time 0 was that long ago */
};

/* Writes the header to fd and makes w the trace's writer: 0 or -errno. */
int opc_trace_begin(struct opc_writer *w, int fd, const struct opc_trace_hdr *h);

/*
 * The INFO record of the machine and of process pid: opcount_version,
 * mode, exe, cmdline, host, boot_id, cpu, ncpu, tsc, idle_w, and for a
 * rank launcher, rank, local_rank and world_size (where known), job.
 */
void opc_info_write_machine(struct opc_writer *w, const struct opc_producer *p, pid_t pid);

/*
 * The routines whose library is the trace's BLAS, best first: the library
 * of the first of them that any loaded object defines, objects searched
 * in load order (how the preload library resolves them).
 */
#define OPC_BLAS_ROUTINES 5
extern const char *const opc_blas_routines[OPC_BLAS_ROUTINES];

/*
 * The INFO record known only after calls: the BLAS library the counted
 * routines come from (canonical path; NULL: unknown), its thread count
 * (< 0: unknown) and the threads the trace's END counts.
 */
void opc_info_write_blas(struct opc_writer *w, const char *blas, long blas_threads,
			 uint64_t threads);

/* The CPU's model name from /proc/cpuinfo, "unknown" where it has none. */
void opc_cpu_model(char *out, size_t len);

#endif
