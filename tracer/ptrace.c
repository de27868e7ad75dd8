/*
 * ptrace.c - count BLAS and LAPACK calls with breakpoints.
 *
 * The command runs under ptrace with no preload library.  Every entry
 * point named in opc_routines[] is found in the executable and in each
 * shared object as it is mapped (libelf on the mapped files: .symtab and
 * .dynsym, so a statically linked program is covered), and gets an int3.
 * Library loads are followed through the dynamic linker's rendezvous: a
 * breakpoint on _dl_debug_state (r_debug.r_brk), which ld.so calls
 * whenever its list of objects changed, including dlopen(RTLD_LOCAL).
 *
 * At an entry hit the arguments are decoded from the registers and
 * memory (argdecode.c: the same table and the same normalisation as the
 * preload wrappers), and the return address on the stack is replaced
 * with the address of an int3 at the start of the scratch area (a page
 * mapped into the tracee): the return traps there with the stack pointer
 * 8 above the entry's, and the thread resumes at the real return address.
 * The instruction under the entry int3 runs out of line, from a copy in
 * the scratch area (or is single-stepped in place where it cannot move).
 * So a call costs two stops, and no breakpoint is planted in the caller's
 * code.
 *
 * Calls made while the thread is inside a counted call (LAPACK calling
 * dgemm_) are not counted, as in the preload library.  Counts are
 * aggregated per (thread, routine, call site, shape) and written per
 * interval like preload/collector.c writes them.
 *
 * Fork children are followed (run or attached), each with a trace of its
 * own; an exec ends the image's trace with an EXEC record and starts a new
 * one for the new image (pt_trace_name), as the library does.
 *
 * This file holds the event loop, the processes and their threads, fork
 * and exec, and running, attaching and detaching; breakpoints are
 * pt_breakpoint.c's, the modules and their symbols pt_module.c's, the
 * trace pt_trace.c's, stack samples pt_stacks.c's and --inject
 * pt_inject.c's (pt_internal.h: what they share).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "pt_internal.h"

/* A fork child: announced by its parent's event and by its own first
 * stop, in either order; released when both were seen. */
struct child {
	pid_t pid;
	int announced, vfork, stopped;
	struct tracer *parent;
};

struct pt_state pt;
static struct tracer *procs;	/* every traced process */
static struct child *forks;	/* fork children not yet adopted or released */
static size_t nforks;
static int detaching;		/* fork children are let go, not adopted */

static volatile sig_atomic_t tick_due, stop_due;
static int stop_on_alarm;	/* attached: a SIGALRM not from the timer ends it too */

static void on_stop(int sig)
{
	(void)sig;
	stop_due = 1;
}

/* ---- threads ---------------------------------------------------------- */

struct thr *pt_thr_get(struct tracer *tr, pid_t tid)
{
	struct thr *t;

	for (t = tr->threads; t; t = t->next)
		if (t->tid == tid)
			return t;
	t = calloc(1, sizeof(*t));
	t->tid = tid;
	t->next = tr->threads;
	tr->threads = t;
	tr->nthreads++;
	return t;
}

static void thr_forget(struct tracer *tr, pid_t tid)
{
	for (struct thr **pp = &tr->threads; *pp; pp = &(*pp)->next)
		if ((*pp)->tid == tid) {
			struct thr *t = *pp;

			*pp = t->next;
			free(t);
			return;
		}
}

struct thr *pt_thr_find(struct tracer *tr, pid_t tid)
{
	struct thr *t;

	for (t = tr->threads; t && t->tid != tid; t = t->next)
		;
	return t;
}

/* ---- images and processes ------------------------------------------- */

/* At an exec event the thread is still inside execve: its return would
 * overwrite the registers of an injected call.  Step one instruction of
 * the new image first. */
static void exec_step(pid_t tid)
{
	int st;

	if (ptrace(PTRACE_SINGLESTEP, tid, NULL, NULL) == 0)
		while (waitpid(tid, &st, __WALL) < 0 && errno == EINTR)
			;
}

/* AT_ENTRY and AT_BASE (the interpreter's base: 0 if static) of pid. */
static int auxv_entry(pid_t pid, uint64_t *entry, uint64_t *base)
{
	char path[64];
	uint64_t av[2];
	FILE *f;

	*entry = *base = 0;
	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	if (!(f = fopen(path, "re")))
		return -errno;
	while (fread(av, sizeof(av), 1, f) == 1 && av[0] != AT_NULL) {
		if (av[0] == AT_ENTRY)
			*entry = av[1];
		else if (av[0] == AT_BASE)
			*base = av[1];
	}
	fclose(f);
	return *entry ? 0 : -ENOENT;
}

/*
 * A new image (after exec, or the command's first) from its first
 * instruction, thread tid stopped: breakpoints now; with --inject and a
 * dynamic linker, an int3 at the program's entry point, where libc is
 * loaded and initialised, and the library is injected there (pt_on_start).
 * -1 if the trace cannot be written.
 */
static int image_start(struct tracer *tr, pid_t tid, const char *path)
{
	uint64_t entry, base;

	snprintf(tr->path, sizeof(tr->path), "%s", path);
	tr->lib_mod = -1;
	pt.mem_tid = tid;
	if (pt.opts.inject && tr->scratch && auxv_entry(tr->pid, &entry, &base) == 0 && base) {
		tr->inj = INJ_PENDING;
		pt_maps_scan(tr);
		if (pt_bp_plant(tr, entry, BP_START, -1, 0) == 0)
			return 0;
		return pt_inject_fallback(tr, "cannot plant a breakpoint on the entry point");
	}
	if (pt.opts.inject)
		pr_info("pid %d is statically linked (no dynamic linker to load a library): "
			"breakpoints", (int)tr->pid);
	if (pt_trace_open(tr, path) < 0)
		return -1;
	pt_maps_scan(tr);
	pt_emit_interval(tr);
	return 0;
}

/* A fork child that is not followed (its fork was reported while
 * detaching, or the library is injected) starts with the parent's
 * breakpoints in its copy of the memory: take them out and let it go.  A
 * vfork child shares the parent's memory: it is only let go (it execs or
 * exits). */
static void release_fork_child(struct tracer *tr, pid_t child, int vfork)
{
	if (vfork) {
		ptrace(PTRACE_DETACH, child, NULL, NULL);
		return;
	}
	/* The jumps to the injected library stay: the child has its copy of
	 * the library too, which writes a trace of its own (--inject). */
	for (size_t i = 0; i < tr->nbp; i++)
		if (tr->bps[i].kind != BP_PATCH)
			pt_poke_byte(child, tr->bps[i].addr, tr->bps[i].orig, NULL);
	ptrace(PTRACE_DETACH, child, NULL, NULL);
}

static void adopt(struct tracer *parent, pid_t child);
static void adopt_vfork(struct tracer *parent, pid_t child);

/* Child's fork event (announced, with the forking process as parent)
 * or its first stop (parent NULL). */
static void fork_seen(struct tracer *parent, pid_t child, int announced, int vfork)
{
	size_t i;

	for (i = 0; i < nforks && forks[i].pid != child; i++)
		;
	if (i == nforks) {
		forks = realloc(forks, (nforks + 1) * sizeof(*forks));
		memset(&forks[i], 0, sizeof(forks[i]));
		forks[i].pid = child;
		nforks++;
	}
	if (announced) {
		forks[i].announced = 1;
		forks[i].vfork = vfork;
		forks[i].parent = parent;
	} else {
		forks[i].stopped = 1;
	}
	if (forks[i].announced && forks[i].stopped) {
		parent = forks[i].parent;
		/* with the library injected, the child's copy counts its calls */
		if (detaching || parent->inj != INJ_OFF)
			release_fork_child(parent, child, forks[i].vfork);
		else if (forks[i].vfork)
			adopt_vfork(parent, child);
		else
			adopt(parent, child);
		forks[i] = forks[--nforks];
	}
}

static struct tracer *proc_new(pid_t pid)
{
	struct tracer *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		pr_err("out of memory");
		exit(1);
	}
	p->pid = pid;
	p->w.fd = -1;
	p->next = procs;
	procs = p;
	return p;
}

/* A number from /proc/TID/status ("Tgid:", "PPid:"); -1 if none. */
static int status_field(pid_t tid, const char *name)
{
	char path[64], line[256];
	size_t n = strlen(name);
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && sscanf(line + n, "%d", &v) == 1)
			break;
	fclose(f);
	return v;
}

/*
 * Whether thread tid has exited and waits to be reaped (a zombie, state Z
 * or X in /proc/TID/stat).  PTRACE_SEIZE refuses it with EPERM, which is
 * then no question of permission.
 */
static int thread_exited(pid_t tid)
{
	char path[64], buf[512];
	const char *paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* "pid (comm) S ...": comm may hold spaces and parentheses */
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

static int tgid_of(pid_t tid)
{
	return status_field(tid, "Tgid:");
}

/* The process a stopped or exited thread belongs to; NULL if none yet.
 * One that exited is passed over: its pid may be a new process's now. */
static struct tracer *proc_of(pid_t tid)
{
	for (struct tracer *p = procs; p; p = p->next) {
		if (p->exited)
			continue;
		if (p->pid == tid)
			return p;
		for (struct thr *t = p->threads; t; t = t->next)
			if (t->tid == tid)
				return p;
	}
	pid_t tgid = tgid_of(tid);

	for (struct tracer *p = procs; p; p = p->next)
		if (!p->exited && p->pid == tgid)
			return p;
	return NULL;
}

/*
 * A fork child of parent gets its own trace (pt_trace_name):
 * its memory is a copy of its parent's, breakpoints and scratch area
 * included, so the tables are copied too.
 */
static void adopt(struct tracer *parent, pid_t child)
{
	struct tracer *c = proc_new(child);
	char path[PATH_MAX];

	c->ppid = parent->pid;
	pt_bp_copy(c, parent);
	c->nmods = parent->nmods;
	c->mods = malloc((c->nmods + 1) * sizeof(*c->mods));
	for (size_t i = 0; i < c->nmods; i++) {
		c->mods[i] = parent->mods[i];
		c->mods[i].path = strdup(parent->mods[i].path);
	}
	c->scratch = parent->scratch;
	c->nslots = parent->nslots;
	/* Only the forking thread is copied, and it is in fork(), not in a
	 * counted call: no return address of the child's to put back (the
	 * parent's other threads' stacks are not the child's to write). */
	pt_trace_name(path, sizeof(path), child, 0);
	pt_thr_get(c, child);
	if (pt_trace_open(c, path) == 0) {
		for (size_t i = 0; i < c->nmods; i++)
			if (!c->mods[i].gone)
				pt_emit_module(c, &c->mods[i]);
		pt_emit_interval(c);
	}
	ptrace(PTRACE_CONT, child, NULL, NULL);
}

/*
 * A vfork child (posix_spawn, system, a shell running a command) runs in
 * its parent's memory, the parent stopped, until it execs or exits.  It is
 * followed for its exec: the new image is traced from its start like any
 * (proc_exec), its trace named as a child's first one, FILE's stem +
 * `.<pid>.opc`.  Until then it has no trace; the breakpoints in the shared
 * memory are the parent's, and one it runs into (a call a vfork child
 * should not make) is stepped over uncounted (the SIGTRAP case of the
 * event loop).  One that exits without an exec writes nothing.
 */
static void adopt_vfork(struct tracer *parent, pid_t child)
{
	struct tracer *c = proc_new(child);

	c->ppid = parent->pid;
	c->vfork_pending = 1;
	pt_bp_copy(c, parent);
	c->scratch = parent->scratch;
	c->nslots = parent->nslots;
	pt_thr_get(c, child);
	ptrace(PTRACE_CONT, child, NULL, NULL);
}

/* A vfork child at one of its parent's breakpoints (adopt_vfork): the
 * original instruction is run, nothing counted. */
static void vfork_step_over(struct tracer *tr, pid_t tid, struct user_regs_struct *regs,
			    const struct bp *b, int *deliver)
{
	regs->rip = b->addr;
	if (ptrace(PTRACE_SETREGS, tid, NULL, regs) < 0 || pt_step_over(tr, tid, b, deliver) < 0)
		pr_dbg(1, "vfork child %d: stepping over %#llx failed", (int)tid,
		       (unsigned long long)b->addr);
}

/* Forgets what belonged to the image an exec replaced: its breakpoints,
 * modules, threads, scratch area, and the ids its trace gave out. */
static void image_forget(struct tracer *tr)
{
	pt_bp_forget(tr);
	for (size_t i = 0; i < tr->nmods; i++)
		free(tr->mods[i].path);
	free(tr->mods);
	tr->mods = NULL;
	tr->nmods = 0;
	while (tr->threads)
		thr_forget(tr, tr->threads->tid);
	tr->nthreads = 0;
	free(tr->keys);
	tr->keys = NULL;
	tr->nkeys = tr->keycap = 0;
	opc_hashtab_free(&tr->key_index);
	opc_strtab_free(&tr->strs);
	opc_stacktab_free(&tr->stacks);
	tr->nsmp = 0;
	tr->smp_last_t = 0;
	/* libunwind caches the old image's unwind tables */
	if (tr->unw)
		unw_destroy_addr_space(tr->unw);
	tr->unw = NULL;
	tr->scratch = 0;
	tr->nslots = 0;
	tr->dropped = 0;
	tr->inj = INJ_OFF;
	tr->lib_mod = -1;
	tr->lib_real = tr->lib_end = 0;
	free(tr->wrap);
	free(tr->rid_done);
	tr->wrap = NULL;
	tr->rid_done = NULL;
	tr->npatched = tr->nredirect = 0;
}

/*
 * Process tr exec'd (tid is its pid now: the thread that called
 * execve took it over, the others are gone).  As the library does it, the
 * old image's trace ends with an EXEC record and the new image writes a
 * trace of its own (pt_trace_name: ".exec<n>"), breakpoints planted anew in
 * the new address space.
 */
static void proc_exec(struct tracer *tr, pid_t tid)
{
	char path[PATH_MAX];
	int st;

	/* A fork child whose first stop has not been seen yet still has the
	 * old image's breakpoints, which are about to be forgotten: settle
	 * it now (its stop is due, it was announced before the exec). */
	for (size_t i = 0; i < nforks;) {
		pid_t child = forks[i].pid;

		if (forks[i].parent != tr || forks[i].stopped) {
			i++;
			continue;
		}
		while (waitpid(child, &st, __WALL) < 0 && errno == EINTR)
			;
		if (WIFSTOPPED(st))
			fork_seen(NULL, child, 0, 0);	/* adopted or let go: removed */
		else
			forks[i] = forks[--nforks];	/* killed before its first stop */
	}
	pt_proc_finish(tr, OPC_REC_EXEC);
	image_forget(tr);
	if (tr->vfork_pending)
		tr->vfork_pending = 0;	/* its first image of its own */
	else
		tr->image++;
	pt_thr_get(tr, tid);
	exec_step(tid);
	pt_trace_name(path, sizeof(path), tr->pid, tr->image);
	tr->scratch = pt_scratch_map(tr, tid);
	/* without a trace to write to, no breakpoints: it runs untouched */
	if (image_start(tr, tid, path) < 0)
		return;
	pr_dbg(1, "pid %d exec'd: its new image writes %s", (int)tr->pid, path);
}

static void on_tick(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	/* the interval timer's is SI_KERNEL; kill(1)'s SI_USER */
	if (stop_on_alarm && si && si->si_code <= 0 && si->si_code != SI_KERNEL)
		stop_due = 1;
	else
		tick_due = 1;
}

/*
 * Attached, every signal whose default action would end opcount (a
 * terminal's SIGHUP when the ssh connection drops, SIGPIPE from a closed
 * stderr, a batch system's SIGXCPU or SIGUSR1, kill's SIGTERM) ends the
 * recording instead, with a clean detach: dying with the breakpoints in
 * place would kill the process at its next BLAS call.  Faults (SIGSEGV,
 * SIGBUS, ...) are opcount's own bugs and cannot be carried on from; the
 * watchdog (pt_watchdog.c) covers them and SIGKILL.  Under `record -- CMD`
 * the terminal sends SIGINT, SIGQUIT and SIGTERM to the command too:
 * ignored, the command decides.
 */
static const int end_sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGUSR1, SIGUSR2,
				SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSTKFLT };

static void set_signals(int attached)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_sigaction = on_tick;	/* no SA_RESTART: waitpid returns for a tick */
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGALRM, &sa, NULL);
	stop_on_alarm = attached;
	sa.sa_flags = 0;
	sa.sa_handler = attached ? on_stop : SIG_IGN;
	if (!attached) {
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGQUIT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		return;
	}
	for (size_t i = 0; i < sizeof(end_sigs) / sizeof(end_sigs[0]); i++)
		sigaction(end_sigs[i], &sa, NULL);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaction(sig, &sa, NULL);
}

/* ---- detach and the event loop ---------------------------------------- */

/* Whether a SIGTRAP is pending for the thread itself (an int3's). */
static int sigtrap_pending(pid_t tid)
{
	char path[64], line[256];
	unsigned long long mask = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (!(f = fopen(path, "re")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigPnd: %llx", &mask) == 1)
			break;
	fclose(f);
	return (mask >> (SIGTRAP - 1)) & 1;
}

/* Whether every thread of every traced process is stopped for the detach
 * and every fork child reported so far has been let go. */
static int all_stopped(void)
{
	if (nforks)
		return 0;
	for (struct tracer *p = procs; p; p = p->next)
		for (struct thr *t = p->threads; t; t = t->next)
			if (!t->stopped)
				return 0;
	return 1;
}

/* The first thread of tr stopped for the detach, whose
 * tid the process's memory is written through; 0 if none. */
static pid_t stopped_tid(struct tracer *tr)
{
	for (struct thr *t = tr->threads; t; t = t->next)
		if (t->stopped > 0)
			return t->tid;
	return 0;
}

/*
 * Leaves every attached process as it was: every thread stopped, a thread
 * stopped on an int3 set back onto the instruction (rip - 1), a call in
 * progress given its real return address back, every original byte
 * restored, then every thread detached.  The scratch area stays mapped
 * (a thread may be executing an out-of-line copy); it is 64 KiB.  Fork
 * children followed while attached are left the same way; a child whose
 * fork is reported meanwhile is let go with the breakpoints taken out of
 * its copy of the memory (release_fork_child), so it never meets an int3.
 */
static void detach_all(void)
{
	struct tracer *p, *tr;
	struct thr *t;
	int st;
	/* a fork whose other half never shows (its parent was killed in
	 * between) must not hold the detach up forever */
	uint64_t give_up = pt_now_ns() + 5000000000ull;

	detaching = 1;
	for (p = procs; p; p = p->next)
		for (t = p->threads; t; t = t->next) {
			t->stopped = 0;
			if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0)
				t->stopped = -1;	/* gone */
		}
	while (!all_stopped()) {
		pid_t tid = waitpid(-1, &st, __WALL);

		if (tid < 0) {
			if (errno == EINTR && pt_now_ns() < give_up)
				continue;	/* a tick */
			pr_warn("detach: %s; some threads or fork children may be left stopped",
				errno == EINTR ? "gave up waiting after 5 s" : strerror(errno));
			break;
		}
		tr = proc_of(tid);
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (tr)
				thr_forget(tr, tid);
			continue;
		}
		if (tr == NULL) {
			fork_seen(NULL, tid, 0, 0);	/* a fork child's first stop */
			continue;
		}

		int sig = WSTOPSIG(st), event = st >> 16;
		unsigned long msg;

		if (event == PTRACE_EVENT_EXEC) {
			/* The old image went with its breakpoints: nothing to
			 * restore, and the new image is left alone.  (Reported
			 * for the pid even when another thread exec'd: whatever
			 * was known of the threads is void.) */
			pt_proc_finish(tr, OPC_REC_EXEC);
			image_forget(tr);
			pt_thr_get(tr, tid)->stopped = 1;
			continue;
		}
		t = pt_thr_find(tr, tid);
		if (t == NULL)
			t = pt_thr_get(tr, tid);	/* a thread born meanwhile */
		if (t->stopped)
			continue;

		/* The interrupt can be reported before the SIGTRAP of an int3
		 * the thread has just executed: let it take that first, or
		 * the signal would be delivered after the detach. */
		if (event == PTRACE_EVENT_STOP && sigtrap_pending(tid)) {
			ptrace(PTRACE_CONT, tid, NULL, NULL);
			continue;
		}
		t->stopped = 1;

		if (event == PTRACE_EVENT_CLONE &&
		    ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) == 0 &&
		    !pt_thr_find(tr, (pid_t)msg)) {
			pt_thr_get(tr, (pid_t)msg);	/* it stops by itself */
		} else if ((event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) &&
			   ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) == 0) {
			fork_seen(tr, (pid_t)msg, 1, event == PTRACE_EVENT_VFORK);
		} else if (event == 0 && sig == SIGTRAP) {
			struct user_regs_struct regs;
			int deliver = 0;

			if (ptrace(PTRACE_GETREGS, tid, NULL, &regs) < 0)
				continue;
			if (tr->scratch && regs.rip - 1 == tr->scratch) {
				pt_on_return(tr, tid, &regs, &deliver);
			} else if (pt_bp_find(tr, regs.rip - 1)) {
				regs.rip--;
				ptrace(PTRACE_SETREGS, tid, NULL, &regs);
			} else {
				t->pend_sig = SIGTRAP;
			}
		} else if (event == 0 && sig != SIGSTOP) {
			t->pend_sig = sig;
		}
	}
	for (tr = procs; tr; tr = tr->next) {
		pid_t mem = stopped_tid(tr);

		if (mem == 0)
			continue;	/* exited */
		if (tr->inj == INJ_ACTIVE)
			pt_inject_end(tr, mem);
		for (t = tr->threads; t; t = t->next)
			if (t->in_call && t->stopped > 0) {
				pt_poke_u64(t->tid, t->entry_sp, t->ret);
				t->in_call = 0;
			}
		/* The library and the trampolines stay mapped: a thread may
		 * be in them, and returns through them to the original code. */
		for (size_t i = 0; i < tr->nbp; i++)
			if (tr->bps[i].kind == BP_PATCH)
				pt_mem_write(mem, tr->bps[i].addr, tr->bps[i].porig,
					     tr->bps[i].plen);
			else
				pt_poke_byte(mem, tr->bps[i].addr, tr->bps[i].orig, NULL);
		for (t = tr->threads; t; t = t->next)
			if (t->stopped > 0)
				ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(long)t->pend_sig);
	}
}

/* Whether a traced process is left, or a fork child to settle. */
static int any_traced(void)
{
	if (nforks)
		return 1;
	for (struct tracer *p = procs; p; p = p->next)
		if (!p->exited)
			return 1;
	return 0;
}

/*
 * The next stop or exit of a tracee, as waitpid(-1, st, __WALL) gives it,
 * except that a SIGTRAP signal-delivery-stop (a breakpoint's int3) is only
 * looked at (*held = 1), not taken.  Taking a stop clears the signal the
 * kernel keeps for it: were opcount killed (SIGKILL) after that but before
 * it moves the thread off the int3, the kernel would let the thread run on
 * from behind the int3, in the middle of the instruction it replaced (a
 * push of the wrong register, found as a loop that never ended), instead
 * of delivering the SIGTRAP.  So the stop is taken (stop_take) only once
 * the registers are right; until then a killed opcount ends the thread
 * with its SIGTRAP, a death rather than a silent corruption.  Only when
 * attached: a command run under opcount dies with it (PTRACE_O_EXITKILL),
 * and is spared the extra system call per stop.  -1 with errno on error.
 */
static pid_t next_stop(int attached, int *st, int *held)
{
	siginfo_t si;

	*held = 0;
	if (!attached)
		return waitpid(-1, st, __WALL);
	memset(&si, 0, sizeof(si));
	if (waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | __WALL | WNOWAIT) < 0)
		return -1;
	if (si.si_code == CLD_TRAPPED && si.si_status == SIGTRAP) {
		*st = (SIGTRAP << 8) | 0x7f;
		*held = 1;
		return si.si_pid;
	}
	return waitpid(si.si_pid, st, __WALL);
}

/* Takes the stop next_stop left held (never an exit: that is reported
 * to the loop); nothing if a step since took it. */
static void stop_take(pid_t tid)
{
	siginfo_t si;

	while (waitid(P_PID, (id_t)tid, &si, WSTOPPED | __WALL | WNOHANG) < 0 && errno == EINTR)
		;
}

/*
 * Handles every stop of every tracee until the command exits or, when
 * attached, until the deadline (monotonic ns, 0 for none) or a signal.
 */
static int trace_loop(struct tracer *root, int attached, uint64_t deadline)
{
	struct itimerval it;
	int st, held, exit_status = -1;
	struct tracer *tr;
	pid_t pid = root->pid;

	set_signals(attached);
	it.it_interval.tv_sec = 0;
	it.it_interval.tv_usec = 1000000 / pt.opts.hz;
	it.it_value = it.it_interval;
	setitimer(ITIMER_REAL, &it, NULL);
	for (;;) {
		pid_t tid;

		if (tick_due) {
			tick_due = 0;
			for (tr = procs; tr; tr = tr->next)
				if (tr->w.fd >= 0) {
					pt_emit_interval(tr);
					if (pt.opts.stacks)
						pt_sample_request(tr, tr->t_last_ns);
				}
			if (deadline && pt_now_ns() >= deadline)
				stop_due = 1;
		}
		if (stop_due && attached) {
			detach_all();
			break;
		}
		tid = next_stop(attached, &st, &held);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break;	/* ECHILD: nothing left */
		}
		tr = proc_of(tid);
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (tr == NULL)
				continue;
			thr_forget(tr, tid);
			if (tr == root && tid == pid)
				exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			if (tid == tr->pid) {
				pt_proc_finish(tr, OPC_REC_END);
				tr->exited = 1;
				/* not ECHILD: the watchdog (pt_watchdog.c) is a child too */
				if (!any_traced())
					break;
			}
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;
		if (tr == NULL) {
			/* a fork child's first stop (it may come before the
			 * event): it stays stopped until it is adopted */
			fork_seen(NULL, tid, 0, 0);
			continue;
		}

		int sig = WSTOPSIG(st), event = st >> 16, deliver = 0;
		unsigned long msg = 0;

		if (event == PTRACE_EVENT_CLONE) {
			ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg);
			pt_thr_get(tr, (pid_t)msg);
		} else if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) {
			ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg);
			fork_seen(tr, (pid_t)msg, 1, event == PTRACE_EVENT_VFORK);
		} else if (event == PTRACE_EVENT_EXEC) {
			proc_exec(tr, tid);
		} else if (event == PTRACE_EVENT_STOP) {
			struct thr *t = pt_thr_get(tr, tid);

			if (sig != SIGTRAP) {
				/* a group-stop (kill -STOP, Ctrl-Z): stay stopped
				 * but let the next SIGCONT through */
				t->listening = 1;
				ptrace(PTRACE_LISTEN, tid, NULL, NULL);
				continue;
			}
			/* a new thread's first stop, the end of a group-stop
			 * (SIGCONT), or our interrupt for a stack sample */
			t->listening = 0;
			if (t->sample_pending)
				pt_sample_take(tr, t);
		} else if (event) {
			/* nothing to do */
		} else if (sig == SIGTRAP) {
			struct user_regs_struct regs;
			struct bp *b = NULL;

			if (ptrace(PTRACE_GETREGS, tid, NULL, &regs) < 0)
				deliver = SIGTRAP;	/* gone: the resume fails */
			else if (tr->scratch && regs.rip - 1 == tr->scratch)
				pt_on_return(tr, tid, &regs, &deliver);
			else if ((b = pt_bp_find(tr, regs.rip - 1)) && tr->vfork_pending)
				vfork_step_over(tr, tid, &regs, b, &deliver);
			else if (b)
				pt_on_entry(tr, tid, &regs, b, &deliver);
			else
				deliver = SIGTRAP;	/* the program's own */
			/* its registers are right now: only from here on may a
			 * dying opcount leave it without its SIGTRAP */
			if (held && !deliver)
				stop_take(tid);
		} else {
			deliver = sig;
		}
		ptrace(PTRACE_CONT, tid, NULL, (void *)(long)deliver);
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	if (attached && exit_status >= 0)
		pr_info("process %d exited while attached (status %d)", (int)pid, exit_status);
	for (tr = procs; tr; tr = tr->next)
		pt_proc_finish(tr, OPC_REC_END);
	if (attached)
		return exit_status >= 0 ? 1 : 0;
	return exit_status;
}

/* ---- run and attach --------------------------------------------------- */

int opc_ptrace_probe(char *why, unsigned long len)
{
	char buf[16] = "";
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	int scope = 0, st;
	pid_t pid;

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			scope = atoi(buf);
		fclose(f);
	}
	if (scope >= 3) {
		snprintf(why, len, "ptrace is disabled: /proc/sys/kernel/yama/ptrace_scope is %d "
			 "(3 = no ptrace at all until reboot)", scope);
		return -EPERM;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, len, "cannot fork: %s", strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(1);
		raise(SIGSTOP);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	if (WIFSTOPPED(st)) {
		ptrace(PTRACE_CONT, pid, NULL, NULL);
		waitpid(pid, &st, 0);
		return 0;
	}
	snprintf(why, len, "ptrace is not permitted here (PTRACE_TRACEME failed%s%s): in a "
		 "container it needs CAP_SYS_PTRACE and a seccomp profile that allows ptrace",
		 scope ? "; Yama ptrace_scope is " : "", scope ? buf : "");
	return -EPERM;
}

int opc_ptrace_run(const char *pattern, char *path, size_t len, char **argv,
		   const struct opc_ptrace_opts *o)
{
	int st;
	char why[512];
	struct tracer *tr;
	pid_t pid;

	if (opc_ptrace_probe(why, sizeof(why)) < 0) {
		pr_err("%s", why);
		return -1;
	}
	elf_version(EV_CURRENT);
	if (pt_rnames_init() < 0) {
		pr_err("out of memory");
		return -1;
	}
	pt.opts = *o;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		pr_err("cannot fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* stopped until the tracer has seized it, then exec */
		raise(SIGSTOP);
		execvp(argv[0], argv);
		pr_err("cannot run %s: %s", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	tr = proc_new(pid);
	pt.root_pid = pid;
	pt_trace_config(pattern);
	pt_trace_name(path, len, pid, 0);
	/*
	 * PTRACE_SEIZE, not PTRACE_TRACEME: only a seized tracee can be
	 * stopped with PTRACE_INTERRUPT (stack samples) and reports
	 * group-stops apart from signals (kill -STOP works as without us).
	 */
	if (waitpid(pid, &st, WUNTRACED) < 0 || !WIFSTOPPED(st) ||
	    ptrace(PTRACE_SEIZE, pid, NULL,
		   (void *)(long)(PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
				  PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL)) < 0) {
		pr_err("cannot trace %s: %s", argv[0], strerror(errno));
		kill(pid, SIGKILL);
		return -1;
	}
	kill(pid, SIGCONT);
	/* up to the exec of the command (it exits if the exec fails) */
	for (;;) {
		if (waitpid(pid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (WIFEXITED(st))
			return WEXITSTATUS(st);
		if (WIFSIGNALED(st))
			return 128 + WTERMSIG(st);
		if ((st >> 16) == PTRACE_EVENT_EXEC)
			break;
		ptrace(PTRACE_CONT, pid, NULL, NULL);	/* its SIGSTOP and SIGCONT */
	}
	pt_thr_get(tr, pid);
	exec_step(pid);
	tr->scratch = pt_scratch_map(tr, pid);
	if (image_start(tr, pid, path) < 0) {
		kill(pid, SIGKILL);
		return -1;
	}

	ptrace(PTRACE_CONT, pid, NULL, NULL);
	return trace_loop(tr, 0, 0);
}

static int yama_scope(void)
{
	char buf[16] = "";
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	return atoi(buf);
}

/* The command name of process pid ("?" if gone), from /proc/PID/comm. */
static void comm_of(pid_t pid, char *out, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(out, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if ((f = fopen(path, "re"))) {
		if (fgets(out, (int)len, f))
			out[strcspn(out, "\n")] = 0;
		fclose(f);
	}
}

/* Why thread tid of process pid cannot be seized (EPERM). */
static void explain_eperm(pid_t pid, pid_t tid)
{
	char path[64], comm[64];
	struct stat st;
	int scope = yama_scope(), tracer = status_field(tid, "TracerPid:");

	if (tracer <= 0)
		tracer = status_field(pid, "TracerPid:");
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (tracer > 0) {
		/* one tracer at a time: a debugger, strace, another opcount */
		comm_of(tracer, comm, sizeof(comm));
		pr_err("cannot attach to %d: it is already traced by process %d (%s); only one "
		       "tracer may hold a process: detach that one first (quit gdb or strace, "
		       "stop the other opcount record -p)", (int)pid, tracer, comm);
	} else if (stat(path, &st) == 0 && st.st_uid != geteuid() && geteuid() != 0)
		pr_err("cannot attach to %d: it belongs to uid %u, not to you", (int)pid,
		       (unsigned)st.st_uid);
	else if (scope == 1)
		pr_err("cannot attach to %d: Yama ptrace_scope is 1 (only a process's ancestors "
		       "may trace it); set /proc/sys/kernel/yama/ptrace_scope to 0, or give opcount "
		       "CAP_SYS_PTRACE, or start the program under `opcount record --ptrace`",
		       (int)pid);
	else if (scope >= 2)
		pr_err("cannot attach to %d: Yama ptrace_scope is %d (%s)", (int)pid, scope,
		       scope == 2 ? "only with CAP_SYS_PTRACE" : "ptrace disabled");
	else
		pr_err("cannot attach to %d: ptrace not permitted (a container without "
		       "CAP_SYS_PTRACE, or a seccomp profile that forbids ptrace)", (int)pid);
}

/* Seizes and stops every thread of pid not yet traced; the number of new
 * threads, or -1 with a message. */
static int seize_threads(struct tracer *tr, pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return 0;	/* gone: the caller says so if none was seized */
	while ((de = readdir(d))) {
		pid_t tid = atoi(de->d_name);
		int st;

		if (tid <= 0 || pt_thr_find(tr, tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, NULL,
			   (void *)(long)(PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
					  PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC)) < 0) {
			if (errno == ESRCH || (errno == EPERM && thread_exited(tid)))
				continue;	/* exited meanwhile */
			if (errno == EPERM)
				explain_eperm(pid, tid);
			else
				pr_err("cannot attach to %d: %s", (int)tid, strerror(errno));
			closedir(d);
			return -1;
		}
		struct thr *t = pt_thr_get(tr, tid);

		ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
		while (waitpid(tid, &st, __WALL) < 0 && errno == EINTR)
			;
		if (WIFSTOPPED(st) && (st >> 16) == 0 && WSTOPSIG(st) != SIGSTOP)
			t->pend_sig = WSTOPSIG(st);	/* a signal on its way: later */
		n++;
	}
	closedir(d);
	return n;
}

/* In the watchdog, after opcount died while attached (pt_watchdog.c):
 * every process traced, and every fork child still held, set free. */
static void watchdog_rescue(void)
{
	for (struct tracer *p = procs; p; p = p->next)
		if (!p->exited)
			pt_watchdog_rescue(p, p->pid);
	for (size_t i = 0; i < nforks; i++)
		if (forks[i].parent && !forks[i].vfork)
			pt_watchdog_rescue(forks[i].parent, forks[i].pid);
}

static int attach(pid_t pid, double duration, const char *pattern, char *path, size_t len,
		  const struct opc_ptrace_opts *o);

/* record -p in the process that traces: attach() under the watchdog */
static int attach_watched(pid_t pid, double duration, const char *pattern, char *path,
			  size_t len, const struct opc_ptrace_opts *o)
{
	int rc, err;

	/* from here on, a signal ends the recording (a clean detach) */
	set_signals(1);
	if ((err = pt_watchdog_start(watchdog_rescue)) < 0)
		pr_warn("no watchdog (%s): if opcount's tracer is killed with SIGKILL while "
			"attached, process %d dies at its next BLAS call", strerror(-err),
			(int)pid);
	rc = attach(pid, duration, pattern, path, len, o);
	pt_watchdog_stop();
	return rc;
}

static volatile sig_atomic_t tracer_child;
static pid_t opcount_pid;	/* the tracing child's parent, the opcount the user started */

static void forward_to_tracer(int sig)
{
	if (tracer_child > 0)
		kill(tracer_child, sig);
}

/* What the tracing child reports to opcount: attach()'s result, the trace. */
struct attach_result {
	int rc;
	char path[PATH_MAX];
};

/*
 * record -p: the tracing is done by a child process, and this one (the pid
 * the user sees, and kills) only waits for it.  The child asks the kernel
 * for a SIGTERM when its parent dies (PR_SET_PDEATHSIG): `kill -9` of
 * opcount, the usual way to stop a profiler that does not answer, thus
 * ends in a clean detach, at any moment, in every mode.  Only a SIGKILL of
 * the child itself (a kill -9 of the whole process group, the OOM killer)
 * leaves the rescue to the watchdog (pt_watchdog.c), which cannot save
 * every thread.  The signals that end the recording are passed on to the
 * child, which detaches as before.  Without a fork, opcount traces itself.
 */
int opc_ptrace_attach(pid_t pid, double duration, const char *pattern, char *path, size_t len,
		      const struct opc_ptrace_opts *o)
{
	struct attach_result *res;
	pid_t parent = opcount_pid = getpid(), child;
	struct sigaction sa;
	sigset_t ends, old;
	size_t got = 0;
	int fds[2], st;

	if (!(res = calloc(1, sizeof(*res))) || pipe2(fds, O_CLOEXEC) < 0) {
		pr_warn("cannot start a tracing process (%s): a SIGKILL of opcount while "
			"attached may kill process %d", strerror(errno), (int)pid);
		free(res);
		return attach_watched(pid, duration, pattern, path, len, o);
	}
	/* held until each side has its handlers: a Ctrl-C at once neither
	 * kills the child before it can detach nor is lost */
	sigemptyset(&ends);
	sigaddset(&ends, SIGALRM);
	for (size_t i = 0; i < sizeof(end_sigs) / sizeof(end_sigs[0]); i++)
		sigaddset(&ends, end_sigs[i]);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(&ends, sig);
	sigprocmask(SIG_BLOCK, &ends, &old);
	fflush(NULL);
	child = fork();
	if (child < 0) {
		pr_warn("cannot start a tracing process (%s): a SIGKILL of opcount while "
			"attached may kill process %d", strerror(errno), (int)pid);
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(fds[0]);
		close(fds[1]);
		free(res);
		return attach_watched(pid, duration, pattern, path, len, o);
	}
	if (child == 0) {
		close(fds[0]);
		set_signals(1);
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* opcount may have died before the request: then nothing is
		 * attached, and nobody waits for the result */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(1);
		res->rc = attach_watched(pid, duration, pattern, res->path, sizeof(res->path), o);
		if (getppid() != parent && res->rc >= 0)
			pr_warn("opcount (pid %d) was killed: detached from %d, trace written to %s",
				(int)parent, (int)pid, res->path);
		fflush(NULL);
		/* fails if opcount is gone: the message above said it */
		_exit(write(fds[1], res, sizeof(*res)) == (ssize_t)sizeof(*res) ? 0 : 1);
	}
	close(fds[1]);
	tracer_child = child;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = forward_to_tracer;
	sigaction(SIGALRM, &sa, NULL);
	for (size_t i = 0; i < sizeof(end_sigs) / sizeof(end_sigs[0]); i++)
		sigaction(end_sigs[i], &sa, NULL);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaction(sig, &sa, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (;;) {
		ssize_t n = read(fds[0], (char *)res + got, sizeof(*res) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	tracer_child = 0;
	if (got != sizeof(*res)) {
		if (WIFSIGNALED(st))
			pr_err("opcount's tracing process (pid %d) was killed (%s): its watchdog "
			       "took the breakpoints out of process %d (README: what a SIGKILL "
			       "can still break)", (int)child, strsignal(WTERMSIG(st)), (int)pid);
		free(res);
		return -1;
	}
	snprintf(path, len, "%s", res->path);
	st = res->rc;
	free(res);
	return st;
}

static int attach(pid_t pid, double duration, const char *pattern, char *path, size_t len,
		  const struct opc_ptrace_opts *o)
{
	struct tracer *tr;
	int n;

	if (kill(pid, 0) < 0 && errno == ESRCH) {
		pr_err("process %d does not exist", (int)pid);
		return -1;
	}
	if (pid == getpid() || pid == opcount_pid) {
		pr_err("cannot attach to opcount itself");
		return -1;
	}
	if (thread_exited(pid)) {
		if (status_field(pid, "Threads:") > 1)
			pr_err("the main thread of process %d has exited (its other threads run "
			       "on): opcount reads the process through it and cannot attach",
			       (int)pid);
		else
			pr_err("process %d has exited: a zombie until its parent reaps it",
			       (int)pid);
		return -1;
	}
	elf_version(EV_CURRENT);
	if (pt_rnames_init() < 0) {
		pr_err("out of memory");
		return -1;
	}
	pt.opts = *o;
	tr = proc_new(pid);
	tr->ppid = status_field(pid, "PPid:");
	if (tr->ppid < 0)
		tr->ppid = 0;
	pt.root_pid = pid;
	pt_trace_config(pattern);
	/* threads may start while we attach: until a pass finds none new */
	while ((n = seize_threads(tr, pid)) > 0)
		;
	if (n < 0 || tr->threads == NULL) {
		if (n == 0 && thread_exited(pid))
			pr_err("process %d has exited: a zombie until its parent reaps it",
			       (int)pid);
		else if (n == 0)
			pr_err("process %d does not exist", (int)pid);
		for (struct thr *t = tr->threads; t; t = t->next)
			ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(long)t->pend_sig);
		return -1;
	}
	pt_trace_name(path, len, pid, 0);
	snprintf(tr->path, sizeof(tr->path), "%s", path);
	tr->lib_mod = -1;
	pt.mem_tid = pid;
	if (pt.opts.inject) {
		/* every thread is stopped: the library is loaded through the
		 * main thread, its entries patched, before any runs on */
		char why[512];

		tr->scratch = pt_scratch_map(tr, pid);
		tr->inj = INJ_PENDING;
		pt_maps_scan(tr);
		if (pt_inject_start(tr, pid, 1, why, sizeof(why)) == 0)
			pt_inject_activate(tr);
		else
			n = pt_inject_fallback(tr, why);
	} else if ((n = pt_trace_open(tr, path)) == 0) {
		tr->scratch = pt_scratch_map(tr, pid);
		pt_maps_scan(tr);
		pt_emit_interval(tr);
	}
	if (n < 0) {
		for (struct thr *t = tr->threads; t; t = t->next)
			ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(long)t->pend_sig);
		return -1;
	}
	for (struct thr *t = tr->threads; t; t = t->next) {
		ptrace(PTRACE_CONT, t->tid, NULL, (void *)(long)t->pend_sig);
		t->pend_sig = 0;
	}
	return trace_loop(tr, 1, duration > 0 ? pt_now_ns() + (uint64_t)(duration * 1e9) : 0);
}
