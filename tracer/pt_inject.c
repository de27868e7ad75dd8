/*
 * pt_inject.c - ptrace mode --inject: libopcount.so loaded into the tracee
 * (a dlopen it is made to call), its routines' entries patched to jump to
 * the library's wrappers.
 *
 * With --inject, libopcount.so is loaded into the process (dlopen, called
 * by the process itself from a thread the tracer stopped) and each entry
 * point's first bytes are replaced with a jump to the library's wrapper
 * of the same routine.  The wrapper calls the routine through a
 * trampoline: the displaced instructions, relocated (insn.c), and a jump
 * back behind them.  A call then costs what it costs under LD_PRELOAD:
 * no stop.  The library writes the trace; the tracer only follows new
 * libraries (_dl_debug_state), execs and the detach.
 *
 * The jump is `jmp rel32` (5 bytes) to a stub within 2 GiB of the entry
 * (an area mapped near each module), which jumps on to the wrapper.
 * An entry whose first 5 bytes cannot be moved (an instruction insn.c
 * cannot relocate, a branch of the function into them, a thread stopped
 * inside them) gets an int3 instead, which sends the thread to the
 * wrapper (one stop per call); the wrapper then calls a copy of the first
 * instruction alone.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inject_abi.h"
#include "insn.h"
#include "log.h"
#include "pt_internal.h"

#define NEAR_SIZE	(256 * 1024)
#define TRAMP_SIZE	128	/* trampoline, then at STUB_OFF the stub */
#define STUB_OFF	(TRAMP_SIZE - 16)

static uint64_t *inj_rips;	/* where the stopped threads are, while patching */
static size_t inj_nrips;

struct dynsym {
	struct tracer *tr;
	const char *name;
	uint64_t addr;
	int lib;
};

static int dynsym_func(const struct pt_sym *s, void *arg)
{
	struct dynsym *ds = arg;
	int rid;

	if (s->type != STT_FUNC)
		return 0;
	if (!strcmp(s->name, ds->name))
		ds->addr = s->addr;
	else if (ds->lib && (rid = pt_rname_find(s->name)) >= 0)
		ds->tr->wrap[rid] = s->addr;
	return 0;	/* to the end: of a name listed twice (two versions), the last */
}

/* The tracee's address of function `name` in module mi's dynamic symbols;
 * with lib set, also fills tr->wrap[] with every wrapper it exports. */
static uint64_t module_dynsym(struct tracer *tr, int mi, const char *name, int lib)
{
	struct dynsym ds = { tr, name, 0, lib };

	pt_module_symbols(tr, mi, PT_DYNSYM, dynsym_func, &ds);
	return ds.addr;
}

/*
 * Makes thread tid (stopped) call fn(a0, a1) on its own stack, well below
 * its red zone, returning to the int3 at scratch + INJ_RET_OFF; its
 * registers are put back afterwards (a system call it was stopped in is
 * restarted as after a signal).  The other threads stay as they are.  A
 * call that does not return within timeout_ms may wait for a lock held by
 * a thread that is stopped: with release_others, the other threads then
 * run (*released is set) and the call gets as long again.  A call still
 * stuck is abandoned where it is.  A breakpoint of ours met on the way
 * (_dl_debug_state in dlopen) is stepped over.  0 with the result in
 * *ret, or -errno (-ETIMEDOUT, -EFAULT if the call crashed).
 */
static int remote_call(struct tracer *tr, pid_t tid, uint64_t fn, uint64_t a0, uint64_t a1,
		       int timeout_ms, int release_others, int *released, uint64_t *ret)
{
	struct user_regs_struct saved, r;
	uint64_t ra = tr->scratch + INJ_RET_OFF, deadline;
	int st, held = 0, rc = -ETIMEDOUT;
	/* the vector registers too (the call uses them; the thread may have
	 * been stopped in the middle of a computation): the whole XSAVE area */
	static unsigned char xstate[16384] __attribute__((aligned(64)));
	struct iovec xv = { xstate, sizeof(xstate) };
	int have_x;

	if (!tr->scratch)
		return -ENOMEM;
	if (ptrace(PTRACE_GETREGS, tid, NULL, &saved) < 0)
		return -errno;
	have_x = ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &xv) == 0;
	if (!have_x) {
		xv.iov_len = sizeof(struct user_fpregs_struct);
		if (ptrace(PTRACE_GETFPREGS, tid, NULL, xstate) < 0)
			return -errno;
	}
	r = saved;
	r.rsp = ((saved.rsp - 4096) & ~15ull) - 8;	/* 16-aligned at the call */
	if (pt_poke_u64(tid, r.rsp, ra) < 0)
		return -EFAULT;
	r.rip = fn;
	r.rdi = a0;
	r.rsi = a1;
	r.rax = 0;
	r.orig_rax = -1;	/* not in a system call: no restart */
	if (ptrace(PTRACE_SETREGS, tid, NULL, &r) < 0)
		return -errno;
	if (ptrace(PTRACE_CONT, tid, NULL, NULL) < 0) {
		rc = -errno;
		goto out;
	}
	deadline = pt_now_ns() + (uint64_t)timeout_ms * 1000000u;
	for (;;) {
		pid_t w = waitpid(tid, &st, __WALL | WNOHANG);
		unsigned long msg;

		if (w == 0) {
			if (pt_now_ns() < deadline) {
				usleep(50);
				continue;
			}
			if (release_others && !*released) {
				for (struct thr *t = tr->threads; t; t = t->next)
					if (t->tid != tid) {
						ptrace(PTRACE_CONT, t->tid, NULL,
						       (void *)(long)t->pend_sig);
						t->pend_sig = 0;
					}
				*released = 1;
				deadline = pt_now_ns() + (uint64_t)timeout_ms * 1000000u;
				continue;
			}
			ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
			while (waitpid(tid, &st, __WALL) < 0 && errno == EINTR)
				;
			if (!WIFSTOPPED(st))
				return -ESRCH;
			break;
		}
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!WIFSTOPPED(st))
			return -ESRCH;	/* it died */

		int ev = st >> 16, sig = WSTOPSIG(st);

		if (ev == 0 && sig == SIGTRAP && ptrace(PTRACE_GETREGS, tid, NULL, &r) == 0) {
			struct bp *b = pt_bp_find(tr, r.rip - 1);

			if (r.rip == ra + 1) {
				*ret = r.rax;
				rc = 0;
				break;
			}
			if (b && b->kind == BP_DLSTATE) {
				int d = 0;

				r.rip--;
				ptrace(PTRACE_SETREGS, tid, NULL, &r);
				if (pt_step_over(tr, tid, b, &d) < 0)
					return -ESRCH;
				if (d && !held)
					held = d;
			} else {
				rc = -EFAULT;	/* an int3 we did not plant */
				break;
			}
		} else if (ev == PTRACE_EVENT_CLONE &&
			   ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) == 0) {
			pt_thr_get(tr, (pid_t)msg)->lib_thread = 1;	/* the collector */
		} else if (ev == 0 && (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
				       sig == SIGFPE || sig == SIGABRT)) {
			rc = -EFAULT;	/* never delivered: the call crashed, not the program */
			break;
		} else if (ev == 0 && !held && sig != SIGSTOP) {
			held = sig;	/* the program's: sent again afterwards */
		}
		ptrace(PTRACE_CONT, tid, NULL, NULL);
	}
out:
	ptrace(PTRACE_SETREGS, tid, NULL, &saved);
	if (have_x)
		ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &xv);
	else
		ptrace(PTRACE_SETFPREGS, tid, NULL, xstate);
	if (held)
		syscall(SYS_tgkill, (int)tr->pid, (int)tid, held);
	return rc;
}

/* Room for a trampoline within 2 GiB of module mi's code, or 0. */
static uint64_t near_alloc(struct tracer *tr, int mi)
{
	struct module *m = &tr->mods[mi];

	if (m->near && m->near_used + TRAMP_SIZE <= NEAR_SIZE) {
		m->near_used += TRAMP_SIZE;
		return m->near + m->near_used - TRAMP_SIZE;
	}
	/* below the module first, then above: MAP_FIXED_NOREPLACE fails on
	 * what is taken (older kernels take it as a hint: checked) */
	for (int k = 1; k <= 64; k++) {
		uint64_t step = (uint64_t)k * 16 * 1024 * 1024;
		uint64_t hint = k <= 32 ? (m->lo & ~0xffffull) - step :
					  ((m->hi + 0xffff) & ~0xffffull) + step - 32 * 16 * 1024 * 1024;
		uint64_t a;

		if (k <= 32 && m->lo < step + NEAR_SIZE)
			continue;
		a = pt_remote_mmap(tr, pt.mem_tid, hint, NEAR_SIZE, PROT_READ | PROT_EXEC,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE);
		if (!a)
			continue;
		if ((a > m->lo ? a + NEAR_SIZE - m->lo : m->hi - a) < (1ull << 31) - 4096) {
			m->near = a;
			m->near_used = TRAMP_SIZE;
			return a;
		}
		/* too far: left mapped (64 pages of nothing), tried again */
	}
	return 0;
}

/*
 * Whether the function at addr (size bytes, 0 if unknown) may branch into
 * its own bytes (addr, addr + len): every byte is looked at as the start
 * of a relative jump, call or jcc (no decoding: a false alarm only costs
 * a breakpoint).  A branch from elsewhere (a cold part of the function in
 * another section) is not seen: that is the risk of patching.
 */
static int branch_into(uint64_t addr, uint64_t size, size_t len)
{
	unsigned char code[4096 + 8];
	size_t n = size && size < 4096 ? size : 4096;

	if (pt_mem_read((void *)(intptr_t)pt.mem_tid, addr, code, n + 8) < 0 &&
	    pt_mem_read((void *)(intptr_t)pt.mem_tid, addr, code, n) < 0)
		return 1;
	for (size_t j = 0; j < n; j++) {
		uint64_t pc = addr + j, t1 = 0, t2 = 0, t3 = 0;
		int32_t r;

		if ((code[j] >= 0x70 && code[j] <= 0x7f) || code[j] == 0xeb ||
		    (code[j] >= 0xe0 && code[j] <= 0xe3))
			t1 = pc + 2 + (int8_t)code[j + 1];
		if (code[j] == 0xe8 || code[j] == 0xe9) {
			memcpy(&r, code + j + 1, 4);
			t2 = pc + 5 + r;
		}
		if (code[j] == 0x0f && code[j + 1] >= 0x80 && code[j + 1] <= 0x8f) {
			memcpy(&r, code + j + 2, 4);
			t3 = pc + 6 + r;
		}
		if ((t1 > addr && t1 < addr + len) || (t2 > addr && t2 < addr + len) ||
		    (t3 > addr && t3 < addr + len))
			return 1;
	}
	return 0;
}

static int thread_inside(uint64_t addr, size_t len)
{
	for (size_t i = 0; i < inj_nrips; i++)
		if (inj_rips[i] > addr && inj_rips[i] < addr + len)
			return 1;
	return 0;
}

/* The entry gets an int3 that sends threads to the wrapper, which calls
 * a copy of the first instruction followed by a jump back (BP_REDIRECT). */
static int redirect_entry(struct tracer *tr, int mi, uint64_t addr, int rid,
			  const unsigned char *code, size_t n)
{
	unsigned char buf[TRAMP_SIZE];
	uint64_t at = near_alloc(tr, mi);
	size_t covered = 0;
	int len;
	struct bp *b;

	if (!at)
		return -1;
	len = opc_insn_relocate(code, n, addr, 1, buf, TRAMP_SIZE - 14, at, &covered);
	if (len <= 0)
		return -1;
	memcpy(buf + len, "\xff\x25\0\0\0\0", 6);
	uint64_t back = addr + covered;

	memcpy(buf + len + 6, &back, 8);
	if (pt_mem_write(pt.mem_tid, at, buf, len + 14) < 0 ||
	    pt_poke_u64(pt.mem_tid, tr->lib_real + 8 * (uint64_t)rid, at) < 0 ||
	    pt_bp_plant(tr, addr, BP_REDIRECT, rid, mi) < 0)
		return -1;
	b = pt_bp_find(tr, addr);
	b->wrap = tr->wrap[rid];
	tr->nredirect++;
	return 0;
}

/* Makes the entry of routine rid at addr (module mi) reach the injected
 * wrapper: a jump if it can be moved, else an int3 (see above). */
void pt_patch_entry(struct tracer *tr, int mi, uint64_t addr, int rid, uint64_t size)
{
	unsigned char code[64], buf[TRAMP_SIZE], jmp[5];
	uint64_t at, stub, back;
	size_t covered = 0;
	int len = 0;
	struct bp *b;

	if (pt_bp_find(tr, addr) || !tr->wrap || !tr->wrap[rid])
		return;		/* an alias done already, or no wrapper */
	if (tr->rid_done[rid]) {
		/* the wrapper has one real pointer per routine */
		pr_warn("--inject: %s is defined again in %s: calls to that copy are not counted",
			opc_routines[rid].symbol, tr->mods[mi].path);
		return;
	}
	if (pt_mem_read((void *)(intptr_t)pt.mem_tid, addr, code, sizeof(code)) < 0)
		return;
	tr->rid_done[rid] = 1;
	at = near_alloc(tr, mi);
	if (at && (size == 0 || size >= 5))
		len = opc_insn_relocate(code, sizeof(code), addr, 5, buf, STUB_OFF - 14, at,
					&covered);
	if (len <= 0 || branch_into(addr, size, covered) || thread_inside(addr, covered)) {
		pr_dbg(1, "%s: entry not moved (%02x %02x %02x %02x %02x): int3", opc_routines[rid].symbol,
		       code[0], code[1], code[2], code[3], code[4]);
		if (at)
			tr->mods[mi].near_used -= TRAMP_SIZE;
		if (redirect_entry(tr, mi, addr, rid, code, sizeof(code)) < 0) {
			tr->rid_done[rid] = 0;
			pr_warn("--inject: cannot reach %s in %s (first bytes %02x %02x %02x): its "
				"calls are not counted", opc_routines[rid].symbol,
				tr->mods[mi].path, code[0], code[1], code[2]);
		}
		return;
	}
	back = addr + covered;
	memcpy(buf + len, "\xff\x25\0\0\0\0", 6);
	memcpy(buf + len + 6, &back, 8);
	memset(buf + len + 14, 0xcc, STUB_OFF - len - 14);
	stub = at + STUB_OFF;
	memcpy(buf + STUB_OFF, "\xff\x25\0\0\0\0", 6);
	memcpy(buf + STUB_OFF + 6, &tr->wrap[rid], 8);
	memset(buf + STUB_OFF + 14, 0xcc, TRAMP_SIZE - STUB_OFF - 14);
	int32_t rel = (int32_t)((int64_t)stub - (int64_t)(addr + 5));

	jmp[0] = 0xe9;
	memcpy(jmp + 1, &rel, 4);
	/* the trampoline and the pointer to it first: the jump is live at once */
	if (pt_mem_write(pt.mem_tid, at, buf, TRAMP_SIZE) < 0 ||
	    pt_poke_u64(pt.mem_tid, tr->lib_real + 8 * (uint64_t)rid, at) < 0)
		return;
	if (pt_mem_write(pt.mem_tid, addr, jmp, 5) < 0) {
		tr->rid_done[rid] = 0;
		return;
	}
	b = pt_bp_add(tr, addr);
	memcpy(b->porig, code, 5);
	b->plen = 5;
	b->orig = code[0];
	b->kind = BP_PATCH;
	b->rid = rid;
	b->mod = mi;
	b->ool = 0;
	tr->npatched++;
}

/*
 * Loads the library into the process through thread tid (stopped at a safe
 * point: its entry point, or any point of an attached process whose
 * threads are all stopped) and starts it with the tracer's settings.
 * 0, or -1 with why.
 */
int pt_inject_start(struct tracer *tr, pid_t tid, int attached, char *why, size_t wlen)
{
	struct opc_inject_cfg cfg;
	uint64_t dl = 0, begin, h = 0, res = 0;
	uint64_t arg = tr->scratch + SCRATCH_SIZE - ARG_AREA, a;
	int released = 0, rc, loaded = 0;
	char output[2 * PATH_MAX], cwd[PATH_MAX];
	const char *strs[4];
	uint64_t *dst[4] = { &cfg.output, &cfg.energy, &cfg.powercap_root, &cfg.idle_w };

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	/* the library of a sanitizer build needs the sanitizer's runtime
	 * loaded before everything else, which a running program cannot:
	 * dlopen would end it */
	snprintf(why, wlen, "this is a sanitizer build, whose library cannot be loaded into "
		 "a running program");
	return -1;
#endif
	pt.mem_tid = tid;
	for (size_t i = 0; i < tr->nmods; i++) {
		const char *base = strrchr(tr->mods[i].path, '/');

		base = base ? base + 1 : tr->mods[i].path;
		if (tr->mods[i].gone)
			continue;
		if (!strcmp(tr->mods[i].path, pt.opts.inject))
			loaded = 1;	/* by an earlier attach, or preloaded (begin says) */
		if (!strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5))
			dl = module_dynsym(tr, (int)i, "dlopen", 0);
	}
	if (loaded)
		goto begin;
	if (!dl) {
		snprintf(why, wlen, "no dlopen in the process's libc (glibc 2.34 or later exports it)");
		return -1;
	}
	if (strlen(pt.opts.inject) + 1 > ARG_AREA / 2 ||
	    pt_mem_write(tid, arg, pt.opts.inject, strlen(pt.opts.inject) + 1) < 0) {
		snprintf(why, wlen, "cannot write into the process");
		return -1;
	}
	rc = remote_call(tr, tid, dl, arg, RTLD_NOW | RTLD_LOCAL, 3000, attached, &released, &h);
	if (rc == -ETIMEDOUT) {
		snprintf(why, wlen, "dlopen did not return within 3 s, nor in 3 s more with the "
			 "other threads running (a lock that is never released?); the call was "
			 "abandoned, which may leave the process's loader lock taken");
		return -1;
	}
	if (rc < 0 || h == 0) {
		snprintf(why, wlen, "dlopen(%s) in the process %s", pt.opts.inject,
			 rc < 0 ? strerror(-rc) : "failed");
		return -1;
	}
	if (released) {
		/* its other threads ran meanwhile: patching needs them stopped */
		snprintf(why, wlen, "dlopen had to wait for other threads (a lock): the "
			 "library stays loaded, unused");
		return -1;
	}
	tr->lib_mod = -1;
	pt_maps_scan(tr);
begin:
	if (tr->lib_mod < 0) {
		snprintf(why, wlen, "%s loaded but not found in the process's maps", pt.opts.inject);
		return -1;
	}
	tr->wrap = calloc(opc_nroutines, sizeof(*tr->wrap));
	tr->rid_done = calloc(opc_nroutines, 1);
	begin = module_dynsym(tr, tr->lib_mod, "opcount_inject_begin", 1);
	tr->lib_end = module_dynsym(tr, tr->lib_mod, "opcount_inject_end", 0);
	if (!begin || !tr->lib_end) {
		snprintf(why, wlen, "%s has no opcount_inject_begin/end", pt.opts.inject);
		return -1;
	}
	/* the configuration and its strings */
	memset(&cfg, 0, sizeof(cfg));
	cfg.version = OPC_INJECT_ABI_VERSION;
	cfg.nroutines = opc_nroutines;
	cfg.root_pid = pt.root_pid;
	cfg.hz = (int32_t)pt.opts.hz;
	/* the process's working directory is not ours (-p PID): a name
	 * relative to ours is made absolute */
	strs[0] = tr->path;
	if (tr->path[0] != '/' && getcwd(cwd, sizeof(cwd)) &&
	    snprintf(output, sizeof(output), "%s/%s", cwd, tr->path) < (int)sizeof(output))
		strs[0] = output;
	strs[1] = pt.opts.energy.source;
	strs[2] = pt.opts.energy.powercap_root;
	strs[3] = pt.opts.idle_w;
	a = arg + sizeof(cfg);
	for (int i = 0; i < 4; i++) {
		size_t n = strs[i] ? strlen(strs[i]) + 1 : 0;

		*dst[i] = 0;
		if (!n)
			continue;
		if (a + n > tr->scratch + SCRATCH_SIZE || pt_mem_write(tid, a, strs[i], n) < 0) {
			snprintf(why, wlen, "cannot write the configuration into the process");
			return -1;
		}
		*dst[i] = a;
		a = (a + n + 7) & ~7ull;
	}
	if (pt_mem_write(tid, arg, &cfg, sizeof(cfg)) < 0 ||
	    (rc = remote_call(tr, tid, begin, arg, 0, 3000, 0, &released, &res)) < 0) {
		snprintf(why, wlen, "opcount_inject_begin: %s", strerror(rc < 0 ? -rc : EIO));
		return -1;
	}
	if ((int64_t)res < 0) {
		snprintf(why, wlen, "opcount_inject_begin: %s%s", strerror((int)-(int64_t)res),
			 (int64_t)res == -EPROTO ? " (a libopcount.so of another build)" :
			 (int64_t)res == -EBUSY ? " (libopcount.so is preloaded: it counts already)" :
			 "");
		return -1;
	}
	tr->lib_real = res;
	tr->inj = INJ_ACTIVE;
	return 0;
}

/* Every entry point of every module now jumps to the library.  The
 * threads are stopped (or there is one, the caller). */
void pt_inject_activate(struct tracer *tr)
{
	struct user_regs_struct r;

	inj_nrips = 0;
	inj_rips = realloc(inj_rips, (tr->nthreads + 1) * sizeof(*inj_rips));
	for (struct thr *t = tr->threads; t && inj_nrips <= tr->nthreads; t = t->next)
		if (ptrace(PTRACE_GETREGS, t->tid, NULL, &r) == 0)
			inj_rips[inj_nrips++] = r.rip;
	for (size_t i = 0; i < tr->nmods; i++)
		if (!tr->mods[i].gone && (int)i != tr->lib_mod)
			pt_module_scan(tr, (int)i);
	inj_nrips = 0;
	pr_dbg(1, "pid %d: libopcount.so injected, %u entry points jump to it, %u through an int3",
	       (int)tr->pid, tr->npatched, tr->nredirect);
}

/* Injection failed: breakpoints, into a trace of the tracer's own. */
int pt_inject_fallback(struct tracer *tr, const char *why)
{
	pr_warn("--inject: %s; counting pid %d with breakpoints instead", why, (int)tr->pid);
	tr->inj = INJ_OFF;
	if (pt_trace_open(tr, tr->path) < 0)
		return -1;
	for (size_t i = 0; i < tr->nmods; i++)
		if (!tr->mods[i].gone && (int)i != tr->lib_mod) {
			pt_emit_module(tr, &tr->mods[i]);
			pt_module_scan(tr, (int)i);
		}
	pt_emit_interval(tr);
	return 0;
}

/* The program reached its entry point: the safe point to inject at. */
void pt_on_start(struct tracer *tr, pid_t tid, struct user_regs_struct *regs, struct bp *b)
{
	char why[512];

	pt_poke_byte(tid, b->addr, b->orig, NULL);
	regs->rip = b->addr;
	ptrace(PTRACE_SETREGS, tid, NULL, regs);
	if (tr->inj != INJ_PENDING)
		return;
	if (tr->nthreads > 1)
		snprintf(why, sizeof(why), "threads were started before main");
	else if (pt_inject_start(tr, tid, 0, why, sizeof(why)) == 0) {
		pt_inject_activate(tr);
		return;
	}
	pt_inject_fallback(tr, why);
}

/* Before the detach: the library writes its last interval and END and
 * stops its collector thread, which has to run for that. */
void pt_inject_end(struct tracer *tr, pid_t tid)
{
	uint64_t ret = 0;
	int released = 0, rc;

	for (struct thr *t = tr->threads; t; t = t->next)
		if (t->lib_thread && t->stopped > 0 && t->tid != tid) {
			ptrace(PTRACE_CONT, t->tid, NULL, NULL);
			t->stopped = -1;	/* it ends: not detached */
		}
	rc = remote_call(tr, tid, tr->lib_end, 0, 0, 5000, 0, &released, &ret);
	if (rc < 0)
		pr_warn("pid %d: the injected library did not finish its trace (%s): it may end "
			"without its last interval", (int)tr->pid, strerror(-rc));
}
