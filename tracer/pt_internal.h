/*
 * pt_internal.h - what the files of the ptrace tracer share: the state of
 * a traced process (struct tracer) with its breakpoints, modules, threads
 * and keys, and the functions one file calls in another.  Private to
 * tracer/ (ptrace.h is the interface).
 *
 *   ptrace.c         the event loop, processes and threads, fork and exec,
 *                    run, attach and detach
 *   pt_breakpoint.c  the tracee's memory, breakpoints, the scratch area,
 *                    out-of-line stepping, entry and return stops
 *   pt_module.c      what is mapped (/proc/PID/maps) and the routines its
 *                    ELF files define
 *   pt_trace.c       the trace: names, keys, intervals, energy, END
 *   pt_stacks.c      stacks and stack samples with libunwind-ptrace
 *   pt_inject.c      --inject: dlopen in the tracee, entry patching
 *   pt_watchdog.c    restores an attached process whose tracer was killed
 */
#ifndef OPC_PT_INTERNAL_H
#define OPC_PT_INTERNAL_H

#include <libunwind-ptrace.h>
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>
#include <time.h>

#include "energy.h"
#include "hashtab.h"
#include "producer.h"
#include "ptrace.h"
#include "routines.h"
#include "trace.h"

#define BP_ENTRY	1
#define BP_DLSTATE	2
#define BP_START	3	/* the program's entry point: inject there (--inject) */
#define BP_PATCH	4	/* not a breakpoint: a jump to the injected wrapper */
#define BP_REDIRECT	5	/* an int3 that sends the thread to the injected wrapper */

struct bp {
	uint64_t addr;
	uint8_t orig;
	uint8_t kind;
	uint8_t hit;		/* met at least once: the watchdog restores it first */
	uint16_t mod;		/* module index */
	int rid;
	int ool;		/* out-of-line copy: -1 unknown, 0 none, else its slot */
	uint64_t wrap;		/* BP_REDIRECT: the wrapper */
	uint8_t porig[8];	/* BP_PATCH: the bytes the jump replaced */
	uint8_t plen;
};

/* Injection (--inject) of the current image: */
#define INJ_OFF		0	/* breakpoints */
#define INJ_PENDING	1	/* waiting for a safe point: only _dl_debug_state planted */
#define INJ_ACTIVE	2	/* the library counts; entries jump to its wrappers */

/*
 * The scratch area mapped into the tracee: at its start an int3 that
 * counted calls return to (their return address is replaced with it),
 * then one slot per breakpoint with a copy of the instruction under the
 * int3 and an absolute jump back behind it.  Executing that copy instead
 * of restoring the byte in place means the int3 is never missing, so a
 * thread running through the entry at the same time is never missed.
 */
#define SCRATCH_SIZE	(64 * 1024)
#define SLOT_SIZE	32
/* Offset in the scratch area of the int3 that calls the tracer makes the
 * tracee run (--inject) return to; the first slot starts at SLOT_SIZE. */
#define INJ_RET_OFF	8
/* The last ARG_AREA bytes of the scratch area: arguments of those calls. */
#define ARG_AREA	8192

struct module {
	char *path;
	uint64_t bias, lo, hi;
	uint64_t near, near_used;	/* --inject: trampolines within reach of its code */
	int present;		/* seen in the last maps scan */
	int gone;		/* unmapped: its breakpoints were dropped */
};

struct thr {
	pid_t tid;
	int in_call;
	uint64_t entry, ret, entry_sp;
	uint64_t t0;
	uint32_t key;
	int stopped;		/* detaching: stopped for good */
	int pend_sig;		/* to pass on when it is resumed */
	int listening;		/* in a group-stop (PTRACE_LISTEN) */
	/* stack samples (--stacks) */
	uint64_t cpu_ns;	/* its CPU time at the last tick */
	uint64_t call_ns;	/* time in counted calls, cumulative */
	uint64_t call_ns_tick;	/* ... at the last tick */
	int sample_pending;	/* interrupted for a sample */
	int lib_thread;		/* started by the injected library (its collector) */
	uint64_t sample_t, sample_w;
	struct thr *next;
};

struct pkey {
	int rid;
	pid_t tid;
	uint64_t site;
	struct opc_shape shape;
	uint64_t flops, bytes;	/* per call */
	uint32_t stack;
	uint64_t calls, ns;	/* cumulative */
	uint64_t h_calls, h_ns;	/* at the last interval */
};

/* One traced process: its breakpoints, threads, keys and trace file.  A
 * fork child gets its own, copied from its parent's; an exec starts them
 * all anew, with a new trace. */
struct tracer {
	pid_t pid;		/* the process */
	pid_t ppid;
	unsigned image;		/* execs since it was first traced */
	int vfork_pending;	/* a vfork child before its exec: the parent's memory,
				 * no trace of its own yet (adopt_vfork) */
	int exited;		/* gone: a process started later may get its pid */
	char path[PATH_MAX];	/* its trace */
	struct tracer *next;
	uint64_t scratch;	/* its address in the tracee, 0 if none */
	uint32_t nslots;
	struct bp *bps;		/* in the order they were planted */
	size_t nbp, bpcap;
	struct opc_hashtab bp_index;	/* address -> index in bps + 1 */
	struct module *mods;
	size_t nmods;
	struct thr *threads;
	uint64_t nthreads;
	struct pkey *keys;	/* [0] unused: ids start at 1 */
	uint32_t nkeys, keycap;
	struct opc_hashtab key_index;	/* (rid, tid, site, shape) -> key id */
	struct opc_strtab strs;
	struct opc_writer w;
	uint64_t t0_ns, t_last_ns;
	uint64_t dropped;
	struct opc_energy energy;	/* its own source: opened with its trace */
	int energy_on;
	/* the INFO's BLAS (pt_blas_update): its library, OpenBLAS's threads */
	char blas[PATH_MAX];
	long blas_threads;	/* -1: unknown */
	uint64_t blas_threads_addr;	/* of OpenBLAS's blas_cpu_number, 0: none */
	int blas_threads_mod;	/* the module it is in, -1: none */
	size_t blas_nmods;	/* modules when last looked for: looked again when more */
	/* --stacks: interned stacks, samples of the last tick */
	unw_addr_space_t unw;
	struct opc_stacktab stacks;
	struct opc_rec_sample_ent *smp;
	size_t nsmp, smpcap;
	uint64_t smp_last_t;	/* time of the last sample written */
	/* --inject */
	int inj;		/* INJ_* */
	int lib_mod;		/* the injected library's module, -1 if none */
	uint64_t lib_real;	/* its opc_real_fn[] */
	uint64_t lib_end;	/* opcount_inject_end */
	uint64_t *wrap;		/* by rid: its wrapper, 0 if none */
	uint8_t *rid_done;	/* by rid: a definition already jumps to the wrapper */
	unsigned npatched, nredirect;
};

/* The tracer's state that more than one file uses.  The process a
 * function works on is not here: it is its first parameter (tr). */
struct pt_state {
	struct opc_ptrace_opts opts;
	pid_t root_pid;		/* the command, or the process attached to */
	struct opc_producer prod;	/* -o FILE, the root, the INFO's idle power */
	pid_t mem_tid;		/* a stopped thread of the process whose stop is handled */
};

extern struct pt_state pt;

static inline uint64_t pt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* ptrace.c: the threads of process tr */
struct thr *pt_thr_get(struct tracer *tr, pid_t tid);
struct thr *pt_thr_find(struct tracer *tr, pid_t tid);

/* pt_breakpoint.c */
int pt_mem_read(void *ctx, uint64_t addr, void *buf, size_t n);	/* ctx: the tid */
int pt_mem_write(pid_t tid, uint64_t addr, const void *buf, size_t n);
int pt_poke_byte(pid_t tid, uint64_t addr, uint8_t b, uint8_t *old);
int pt_poke_u64(pid_t tid, uint64_t addr, uint64_t v);
struct bp *pt_bp_find(struct tracer *tr, uint64_t addr);
struct bp *pt_bp_add(struct tracer *tr, uint64_t addr);
void pt_bp_copy(struct tracer *to, const struct tracer *from);
void pt_bp_forget(struct tracer *tr);
int pt_bp_plant(struct tracer *tr, uint64_t addr, int kind, int rid, int mod);
void pt_bp_drop_gone(struct tracer *tr);
int pt_step_over(struct tracer *tr, pid_t tid, const struct bp *b, int *deliver);
uint64_t pt_remote_mmap(struct tracer *tr, pid_t tid, uint64_t hint, uint64_t size, int prot,
			int flags);
uint64_t pt_scratch_map(struct tracer *tr, pid_t tid);
void pt_on_entry(struct tracer *tr, pid_t tid, struct user_regs_struct *regs,
		 const struct bp *bref, int *deliver);
void pt_on_return(struct tracer *tr, pid_t tid, struct user_regs_struct *regs, int *deliver);

/* pt_module.c */
int pt_rnames_init(void);	/* 0 or -ENOMEM */
int pt_rname_find(const char *s);

/* A symbol an ELF file defines, where the tracee has it. */
struct pt_sym {
	const char *name;
	uint64_t addr;		/* st_value + the module's load bias */
	uint64_t size;
	int type;		/* STT_FUNC, STT_OBJECT, ... */
};
#define PT_SYMTAB	1	/* .symtab: every symbol of an unstripped file */
#define PT_DYNSYM	2	/* .dynsym: what it exports */
/*
 * Calls fn for every symbol with a name and an address (defined, value
 * not 0) in the tables (PT_SYMTAB | PT_DYNSYM) of module mi's ELF file,
 * until fn returns nonzero.  0, or -errno if the file cannot be read.
 */
int pt_module_symbols(struct tracer *tr, int mi, int tables,
		      int (*fn)(const struct pt_sym *s, void *arg), void *arg);
void pt_module_scan(struct tracer *tr, int mi);
void pt_maps_scan(struct tracer *tr);
void pt_blas_forget(struct tracer *tr);
void pt_blas_update(struct tracer *tr, pid_t tid);

/* pt_trace.c */
void pt_trace_config(const char *pattern);
void pt_trace_name(char *out, size_t len, pid_t pid, unsigned image);
int pt_trace_open(struct tracer *tr, const char *path);
void pt_emit_module(struct tracer *tr, const struct module *m);
uint32_t pt_key_intern(struct tracer *tr, int rid, pid_t tid, uint64_t site,
		       const struct opc_shape *s);
void pt_emit_interval(struct tracer *tr);
void pt_proc_finish(struct tracer *tr, uint32_t type);

/* pt_stacks.c (--stacks) */
uint32_t pt_unwind_stack(struct tracer *tr, pid_t tid, int skip);
void pt_sample_request(struct tracer *tr, uint64_t t_ns);
void pt_sample_take(struct tracer *tr, struct thr *t);
void pt_emit_samples(struct tracer *tr);

/* pt_inject.c (--inject) */
int pt_inject_start(struct tracer *tr, pid_t tid, int attached, char *why, size_t wlen);
void pt_inject_activate(struct tracer *tr);
int pt_inject_fallback(struct tracer *tr, const char *why);
void pt_patch_entry(struct tracer *tr, int mi, uint64_t addr, int rid, uint64_t size);
void pt_on_start(struct tracer *tr, pid_t tid, struct user_regs_struct *regs, struct bp *b);
void pt_inject_end(struct tracer *tr, pid_t tid);

/* pt_watchdog.c (record -p) */
/*
 * Starts the watchdog (a process sharing this one's memory) that calls
 * rescue() if this process dies before pt_watchdog_stop(): 0 or -errno.
 * rescue runs in the watchdog and calls pt_watchdog_rescue for every
 * process traced: pid is tr's own, or a fork child not yet adopted (whose
 * memory holds tr's breakpoints).
 */
int pt_watchdog_start(void (*rescue)(void));
void pt_watchdog_stop(void);
void pt_watchdog_rescue(struct tracer *tr, pid_t pid);

#endif
