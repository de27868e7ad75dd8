/*
 * pt_watchdog.c - a process attached to with `record -p` survives a
 * tracer killed with SIGKILL (or dead of a crash).
 *
 * The tracer is a child of the opcount the user started, which it
 * outlives by a clean detach (ptrace.c, opc_ptrace_attach); the watchdog
 * is for a SIGKILL of the tracer itself.  When its tracer dies, the kernel
 * detaches every tracee and lets it run on, with the int3s, the jumps of
 * --inject and the return addresses the tracer replaced still in its
 * memory: it would die of SIGTRAP at its next BLAS call.  So before
 * attaching, the tracer starts a watchdog with clone(CLONE_VM): a separate
 * process sharing the tracer's memory, which can therefore read the
 * tracer's own tables (procs, their breakpoints and threads: nothing is
 * copied or mirrored) after the tracer is gone.  It waits for the end of a
 * pipe whose only writer is the tracer; at EOF, if the tracer did not say
 * that it detached cleanly, it gives every counted call its return address
 * back and restores every byte the tracer changed (those of routines
 * already called first), then seizes every thread of every process that
 * was traced, puts a thread found at a breakpoint back onto its
 * instruction (or a returning call onto its real return address), and
 * detaches.
 *
 * What it cannot save: a thread that was inside a SIGTRAP stop at the
 * moment the tracer died (an int3 hit, its stop not yet taken: ptrace.c,
 * next_stop) is restarted by the kernel with the SIGTRAP delivered, and
 * the default action ends the process before anyone can attach again; the
 * same for a thread being single-stepped, and for the few instructions the
 * tracer writes at a thread's rip to make it run a system call (at
 * attach).  The window is the time a thread waits for the tracer at a
 * stop (README: measured).
 *
 * The watchdog runs on a stack of its own, in memory a dead process may
 * have left in any state: it calls no malloc, no stdio (a lock the tracer
 * held is never released), only system calls, and reads the tables
 * without writing them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pt_internal.h"

#define WD_STACK	(256 * 1024)
#define WD_MAXTHR	4096

static pid_t wd_pid;
/* The pipe, set before the clone and not changed until the watchdog is
 * reaped: the watchdog reads these from the shared memory, so the tracer
 * clearing them early would have it close the wrong descriptor. */
static int wd_pipe[2];
static int wd_running;
static volatile int wd_done;		/* the tracer detached cleanly */
static void (*wd_rescue)(void);
static void *wd_stack;

/* the watchdog's own tables (it allocates nothing) */
static pid_t wd_tids[WD_MAXTHR];
static int wd_pend[WD_MAXTHR];
static int wd_ntids;

static void wd_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Like sigtrap_pending in ptrace.c, without stdio. */
static int wd_sigtrap_pending(pid_t tid)
{
	char path[64], buf[4096];
	unsigned long long mask = 0;
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	if ((p = strstr(buf, "\nSigPnd:")) && sscanf(p + 8, "%llx", &mask) != 1)
		mask = 0;
	return (mask >> (SIGTRAP - 1)) & 1;
}

static int wd_known(pid_t tid)
{
	for (int i = 0; i < wd_ntids; i++)
		if (wd_tids[i] == tid)
			return 1;
	return 0;
}

/*
 * Seizes every thread of pid not seized yet: the number of new ones.  The
 * kernel detaches the dead tracer's tracees only after its files are
 * closed (which is how the watchdog learns of its death): until then
 * PTRACE_SEIZE fails with EPERM, so it is tried again for up to 2 s.
 */
static int wd_seize_all(pid_t pid)
{
	char path[64], buf[4096];
	int fd, n = 0;
	long len;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	while ((len = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < len;) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);
			pid_t tid = 0;

			off += de->d_reclen;
			sscanf(de->d_name, "%d", &tid);
			if (tid <= 0 || wd_known(tid) || wd_ntids == WD_MAXTHR)
				continue;
			for (int tries = 0; ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0; tries++) {
				if (errno != EPERM || tries == 2000)
					goto next;
				wd_sleep_ms(1);
			}
			wd_pend[wd_ntids] = 0;
			wd_tids[wd_ntids++] = tid;
			ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
			n++;
next:
			;
		}
	}
	close(fd);
	return n;
}

/*
 * Waits for thread tid's stop; one found on a breakpoint of tr (its
 * SIGTRAP taken after the tracer died, before the seize) is put back onto
 * the instruction, one returning from a counted call onto its return
 * address, and the SIGTRAP is dropped.  Another signal is kept in *pend
 * for the detach.  0 once stopped, -1 if it exited.
 */
static int wd_stop(struct tracer *tr, pid_t tid, int *pend)
{
	struct user_regs_struct regs;
	int st;

	for (int polls = 0;; polls++) {
		/* polled: a thread group leader whose process is dying is
		 * reported only once every other thread is gone, which may be
		 * a thread this same loop holds stopped */
		pid_t r = waitpid(tid, &st, __WALL | WNOHANG);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || polls == 3000)
			return -1;
		if (r == 0) {
			wd_sleep_ms(1);
			continue;
		}
		if (!WIFSTOPPED(st))
			return -1;
		if ((st >> 16) == PTRACE_EVENT_STOP && wd_sigtrap_pending(tid)) {
			ptrace(PTRACE_CONT, tid, NULL, NULL);	/* let it take that first */
			continue;
		}
		if ((st >> 16) || WSTOPSIG(st) == SIGSTOP)
			return 0;
		if (WSTOPSIG(st) != SIGTRAP || ptrace(PTRACE_GETREGS, tid, NULL, &regs) < 0) {
			*pend = WSTOPSIG(st);
			return 0;
		}
		if (tr->scratch && regs.rip - 1 == tr->scratch) {
			for (struct thr *t = tr->threads; t; t = t->next)
				if (t->tid == tid && t->in_call && regs.rsp == t->entry_sp + 8) {
					regs.rip = t->ret;
					ptrace(PTRACE_SETREGS, tid, NULL, &regs);
					return 0;
				}
		}
		for (size_t i = 0; i < tr->nbp; i++)
			if (tr->bps[i].addr == regs.rip - 1 && tr->bps[i].kind != BP_PATCH) {
				regs.rip--;
				ptrace(PTRACE_SETREGS, tid, NULL, &regs);
				return 0;
			}
		*pend = SIGTRAP;	/* the program's own */
		return 0;
	}
}

/* Puts back what breakpoint b replaced, through fd (/proc/PID/mem). */
static void wd_unplant(const struct tracer *tr, const struct bp *b, int fd, int keep_patches)
{
	uint8_t cur = 0;

	if (tr->mods && b->mod < tr->nmods && tr->mods[b->mod].gone)
		return;
	if (b->kind == BP_PATCH) {
		if (!keep_patches)
			pwrite(fd, b->porig, b->plen, (off_t)b->addr);
	} else if (pread(fd, &cur, 1, (off_t)b->addr) == 1 && cur == 0xcc) {
		pwrite(fd, &b->orig, 1, (off_t)b->addr);
	}
}

/*
 * Takes everything the tracer changed out of process pid (tr's, or a fork
 * child's copy) through /proc/PID/mem, which needs ptrace permission but
 * not being the tracer: so it is done at once, while the kernel has not
 * yet detached the dead tracer's tracees, and no thread runs into an int3
 * meanwhile.  The jumps of --inject stay in a fork child (keep_patches),
 * which has its own copy of the library they jump to.
 */
static void wd_restore(struct tracer *tr, pid_t pid, int keep_patches)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return;
	/* the return addresses first: a thread in a counted call may
	 * return at any moment, a breakpoint waits for the next call */
	for (struct thr *t = tr->threads; t; t = t->next) {
		uint64_t v = 0;

		/* only where the slot still holds the trampoline's address:
		 * a record the tracer had no time to clear is harmless */
		if (t->in_call && tr->scratch &&
		    pread(fd, &v, 8, (off_t)t->entry_sp) == 8 && v == tr->scratch)
			pwrite(fd, &t->ret, 8, (off_t)t->entry_sp);
	}
	/* the breakpoints met so far first: the routines the program calls,
	 * which a thread let go by the kernel may reach within microseconds */
	for (size_t i = 0; i < tr->nbp; i++)
		if (tr->bps[i].hit)
			wd_unplant(tr, &tr->bps[i], fd, keep_patches);
	for (size_t i = 0; i < tr->nbp; i++)
		if (!tr->bps[i].hit)
			wd_unplant(tr, &tr->bps[i], fd, keep_patches);
	close(fd);
}

void pt_watchdog_rescue(struct tracer *tr, pid_t pid)
{
	wd_restore(tr, pid, pid != tr->pid);
	/* then the threads that took an int3's SIGTRAP in between */
	wd_ntids = 0;
	while (wd_seize_all(pid) > 0)
		;
	for (int i = 0; i < wd_ntids; i++)
		if (wd_stop(tr, wd_tids[i], &wd_pend[i]) < 0)
			wd_tids[i] = 0;
	/* a return address replaced meanwhile (a call entered just before
	 * the death): the threads are stopped now */
	wd_restore(tr, pid, pid != tr->pid);
	for (int i = 0; i < wd_ntids; i++)
		if (wd_tids[i])
			ptrace(PTRACE_DETACH, wd_tids[i], NULL, (void *)(long)wd_pend[i]);
}

static int wd_main(void *arg)
{
	char c;

	(void)arg;
	close(wd_pipe[1]);	/* its copy of the tracer's end: the tracer holds the only one */
	/* a process group of its own: `kill -9 -PGID`, a terminal's
	 * signals, reach opcount and its tracer, not the watchdog */
	setpgid(0, 0);
	/* blocks until the tracer closes its end: at its clean end, or by dying */
	while (read(wd_pipe[0], &c, 1) != 0 && errno == EINTR)
		;
	if (!wd_done && wd_rescue)
		wd_rescue();
	return 0;
}

int pt_watchdog_start(void (*rescue)(void))
{
	if (pipe2(wd_pipe, O_CLOEXEC) < 0)
		return -errno;
	wd_stack = mmap(NULL, WD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
			MAP_STACK, -1, 0);
	if (wd_stack == MAP_FAILED) {
		close(wd_pipe[0]);
		close(wd_pipe[1]);
		return -ENOMEM;
	}
	wd_done = 0;
	wd_rescue = rescue;
	/* no exit signal: trace_loop's waitpid(-1, __WALL) would take it
	 * for a tracee's; it exits only when the tracer ends anyway */
	wd_pid = clone(wd_main, (char *)wd_stack + WD_STACK, CLONE_VM, NULL);
	if (wd_pid < 0) {
		int err = -errno;

		close(wd_pipe[0]);
		close(wd_pipe[1]);
		munmap(wd_stack, WD_STACK);
		return err;
	}
	close(wd_pipe[0]);	/* the tracer's copy of the watchdog's end */
	wd_running = 1;
	return 0;
}

void pt_watchdog_stop(void)
{
	if (!wd_running)
		return;
	wd_done = 1;
	close(wd_pipe[1]);
	while (waitpid(wd_pid, NULL, __WALL) < 0 && errno == EINTR)
		;
	wd_running = 0;
	munmap(wd_stack, WD_STACK);
}
