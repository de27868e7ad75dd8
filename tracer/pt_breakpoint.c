/*
 * pt_breakpoint.c - the ptrace tracer's breakpoints: reading and writing
 * the tracee's memory, the table of int3s (and of the entries --inject
 * patched), the scratch area mapped into the tracee with its out-of-line
 * slots, and what happens at an entry stop and at a return stop (the
 * overview is in ptrace.c).
 */
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

#include "argdecode.h"
#include "insn.h"
#include "log.h"
#include "pt_internal.h"

/* ---- tracee memory ---------------------------------------------------- */

int pt_mem_read(void *ctx, uint64_t addr, void *buf, size_t n)
{
	pid_t tid = (pid_t)(intptr_t)ctx;
	struct iovec local = { buf, n }, remote = { (void *)(uintptr_t)addr, n };

	if (process_vm_readv(tid, &local, 1, &remote, 1, 0) == (ssize_t)n)
		return 0;
	/* not readable that way (a page the kernel will not lend): word by word */
	for (size_t o = 0; o < n; o += 8) {
		errno = 0;
		long v = ptrace(PTRACE_PEEKDATA, tid, (void *)(uintptr_t)(addr + o), NULL);

		if (errno)
			return -errno;
		memcpy((char *)buf + o, &v, n - o < 8 ? n - o : 8);
	}
	return 0;
}

int pt_poke_byte(pid_t tid, uint64_t addr, uint8_t b, uint8_t *old)
{
	errno = 0;
	long v = ptrace(PTRACE_PEEKTEXT, tid, (void *)(uintptr_t)addr, NULL);

	if (errno)
		return -errno;
	if (old)
		*old = (uint8_t)v;
	v = (v & ~0xffL) | b;
	if (ptrace(PTRACE_POKETEXT, tid, (void *)(uintptr_t)addr, (void *)v) < 0)
		return -errno;
	return 0;
}

int pt_poke_u64(pid_t tid, uint64_t addr, uint64_t v)
{
	return ptrace(PTRACE_POKEDATA, tid, (void *)(uintptr_t)addr, (void *)v) < 0 ? -errno : 0;
}

/* Writes n bytes into the tracee, word by word (any protection). */
int pt_mem_write(pid_t tid, uint64_t addr, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n) {
		uint64_t a = addr & ~7ull, v = 0;
		size_t off = addr - a, k = 8 - off < n ? 8 - off : n;

		if ((off || k < 8) && pt_mem_read((void *)(intptr_t)tid, a, &v, 8) < 0)
			return -EIO;
		memcpy((char *)&v + off, p, k);
		if (pt_poke_u64(tid, a, v) < 0)
			return -errno;
		addr += k;
		p += k;
		n -= k;
	}
	return 0;
}

/* ---- breakpoints ------------------------------------------------------ */

static uint32_t bp_hash(uint64_t addr)
{
	return (uint32_t)opc_hash_mix64(addr);
}

struct bp_arg {
	const struct tracer *tr;
	uint64_t addr;
};

static int bp_is(const void *arg, uint32_t id)
{
	const struct bp_arg *a = arg;

	return a->tr->bps[id - 1].addr == a->addr;
}

struct bp *pt_bp_find(struct tracer *tr, uint64_t addr)
{
	struct bp_arg a = { tr, addr };
	uint32_t id = opc_hashtab_find(&tr->bp_index, bp_hash(addr), bp_is, &a);

	return id ? &tr->bps[id - 1] : NULL;
}

static void bp_index_rebuild(struct tracer *tr)
{
	opc_hashtab_free(&tr->bp_index);
	if (opc_hashtab_reserve(&tr->bp_index, (uint32_t)tr->nbp) < 0)
		goto oom;
	for (size_t i = 0; i < tr->nbp; i++)
		if (opc_hashtab_insert(&tr->bp_index, bp_hash(tr->bps[i].addr), (uint32_t)i + 1) < 0)
			goto oom;
	return;
oom:
	pr_err("out of memory");
	exit(1);
}

/* A new breakpoint at addr, which has none yet: zeroed but for its
 * address; the caller fills in the rest. */
struct bp *pt_bp_add(struct tracer *tr, uint64_t addr)
{
	struct bp *b;

	if (tr->nbp == tr->bpcap) {
		size_t cap = tr->bpcap ? tr->bpcap * 2 : 512;

		b = realloc(tr->bps, cap * sizeof(*b));
		if (b == NULL)
			goto oom;
		tr->bps = b;
		tr->bpcap = cap;
	}
	if (opc_hashtab_insert(&tr->bp_index, bp_hash(addr), (uint32_t)tr->nbp + 1) < 0)
		goto oom;
	b = &tr->bps[tr->nbp++];
	memset(b, 0, sizeof(*b));
	b->addr = addr;
	return b;
oom:
	pr_err("out of memory");
	exit(1);
}

int pt_bp_plant(struct tracer *tr, uint64_t addr, int kind, int rid, int mod)
{
	struct bp *b;
	uint8_t orig;
	int err;

	if (pt_bp_find(tr, addr))
		return 0;	/* an alias of a routine already planted */
	errno = 0;
	orig = (uint8_t)ptrace(PTRACE_PEEKTEXT, tr->pid, (void *)(uintptr_t)addr, NULL);
	if (errno)
		return -errno;
	/* in the table before the int3 is in the tracee: the watchdog
	 * (pt_watchdog.c) restores what the table holds */
	b = pt_bp_add(tr, addr);
	b->orig = orig;
	b->kind = kind;
	b->rid = rid;
	b->mod = mod;
	b->ool = -1;
	if ((err = pt_poke_byte(tr->pid, addr, 0xcc, NULL)) < 0) {
		tr->nbp--;
		bp_index_rebuild(tr);
		return err;
	}
	return 0;
}

/* Drops the breakpoints of modules that are gone (their addresses may be
 * reused by the next library mapped). */
void pt_bp_drop_gone(struct tracer *tr)
{
	size_t n = 0;

	for (size_t i = 0; i < tr->nbp; i++)
		if (!tr->mods[tr->bps[i].mod].gone)
			tr->bps[n++] = tr->bps[i];
	if (n == tr->nbp)
		return;
	tr->nbp = n;
	bp_index_rebuild(tr);
}

/* A fork child's breakpoints: its memory is a copy of its parent's. */
void pt_bp_copy(struct tracer *to, const struct tracer *from)
{
	to->bps = malloc((from->nbp + 1) * sizeof(*to->bps));
	if (to->bps == NULL) {
		pr_err("out of memory");
		exit(1);
	}
	memcpy(to->bps, from->bps, from->nbp * sizeof(*to->bps));
	to->nbp = from->nbp;
	to->bpcap = from->nbp + 1;
	bp_index_rebuild(to);
}

void pt_bp_forget(struct tracer *tr)
{
	free(tr->bps);
	tr->bps = NULL;
	tr->nbp = tr->bpcap = 0;
	opc_hashtab_free(&tr->bp_index);
}

/* ---- stops ------------------------------------------------------------ */

/*
 * Executes the original instruction under the breakpoint at b->addr in
 * thread tid (whose rip is already b->addr) and puts the int3 back.
 * While the byte is restored another thread could run through the entry
 * unseen; threads are stopped only at their own breakpoints, so that
 * window is one instruction long.
 */
int pt_step_over(struct tracer *tr, pid_t tid, const struct bp *b, int *deliver)
{
	int st;

	if (pt_poke_byte(tid, b->addr, b->orig, NULL) < 0)
		return -1;
	if (ptrace(PTRACE_SINGLESTEP, tid, NULL, NULL) < 0)
		return -1;
	for (;;) {
		if (waitpid(tid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return -1;
		if (WIFSTOPPED(st) && (st >> 16) == 0 && WSTOPSIG(st) == SIGTRAP)
			break;
		/* our interrupt for a stack sample: take it here */
		if (WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_STOP) {
			struct thr *t = pt_thr_find(tr, tid);

			if (t && t->sample_pending)
				pt_sample_take(tr, t);
		} else if (WIFSTOPPED(st) && (st >> 16) == 0) {
			/* another signal arrived first: deliver it after the step */
			*deliver = WSTOPSIG(st);
		}
		ptrace(PTRACE_SINGLESTEP, tid, NULL, NULL);
	}
	pt_poke_byte(tid, b->addr, 0xcc, NULL);
	return 0;
}

/* Writes b's out-of-line copy into the next scratch slot, if its first
 * instruction can run elsewhere; b->ool becomes the slot or 0. */
static void ool_prepare(struct tracer *tr, pid_t tid, struct bp *b)
{
	unsigned char code[16], slot[SLOT_SIZE];
	int len;

	b->ool = 0;
	if (!tr->scratch || (tr->nslots + 2) * SLOT_SIZE > SCRATCH_SIZE - ARG_AREA)
		return;
	if (pt_mem_read((void *)(intptr_t)tid, b->addr, code, sizeof(code)) < 0)
		return;
	code[0] = b->orig;
	len = opc_insn_relocatable_len(code, sizeof(code));
	if (len <= 0) {
		pr_dbg(1, "%s: first instruction (%02x %02x %02x) stepped in place",
		       b->rid >= 0 ? opc_routines[b->rid].symbol : "_dl_debug_state",
		       code[0], code[1], code[2]);
		return;
	}
	uint64_t back = b->addr + len, at = tr->scratch + (uint64_t)(tr->nslots + 1) * SLOT_SIZE;

	memset(slot, 0xcc, sizeof(slot));
	memcpy(slot, code, len);
	memcpy(slot + len, "\xff\x25\0\0\0\0", 6);	/* jmp *0(%rip) */
	memcpy(slot + len + 6, &back, 8);
	for (int o = 0; o < SLOT_SIZE; o += 8) {
		uint64_t v;

		memcpy(&v, slot + o, 8);
		if (pt_poke_u64(tid, at + o, v) < 0)
			return;
	}
	b->ool = (int)++tr->nslots;
}

/*
 * Makes the tracee run mmap(2): a syscall instruction is written at its
 * current instruction pointer and stepped, then the bytes and registers
 * are put back.  A signal already pending (an attached process's SIGCHLD,
 * say) is reported before the step: it is held back and sent again
 * afterwards (its siginfo is lost).  The address, or 0.
 */
uint64_t pt_remote_mmap(struct tracer *tr, pid_t tid, uint64_t hint, uint64_t size, int prot,
			int flags)
{
	struct user_regs_struct saved, r;
	uint64_t word, sc, res = 0;
	int st, held = 0;

	if (ptrace(PTRACE_GETREGS, tid, NULL, &saved) < 0)
		return 0;
	if (pt_mem_read((void *)(intptr_t)tid, saved.rip, &word, 8) < 0)
		return 0;
	sc = (word & ~0xffffull) | 0x050f;	/* syscall */
	if (pt_poke_u64(tid, saved.rip, sc) < 0)
		return 0;
	r = saved;
	r.orig_rax = -1;	/* not in a system call: no restart */
	r.rax = 9;		/* mmap */
	r.rdi = hint;
	r.rsi = size;
	r.rdx = prot;
	r.r10 = flags;
	r.r8 = (uint64_t)-1;
	r.r9 = 0;
	if (ptrace(PTRACE_SETREGS, tid, NULL, &r) == 0 &&
	    ptrace(PTRACE_SINGLESTEP, tid, NULL, NULL) == 0) {
		for (;;) {
			while (waitpid(tid, &st, __WALL) < 0 && errno == EINTR)
				;
			if (!WIFSTOPPED(st))
				break;
			if ((st >> 16) == 0 && WSTOPSIG(st) == SIGTRAP) {
				if (ptrace(PTRACE_GETREGS, tid, NULL, &r) == 0 &&
				    r.rax < (uint64_t)-4096)
					res = r.rax;
				break;
			}
			if ((st >> 16) == 0 && !held)
				held = WSTOPSIG(st);
			if (ptrace(PTRACE_SINGLESTEP, tid, NULL, NULL) < 0)
				break;
		}
	}
	pt_poke_u64(tid, saved.rip, word);
	ptrace(PTRACE_SETREGS, tid, NULL, &saved);
	if (held)
		syscall(SYS_tgkill, (int)tr->pid, (int)tid, held);
	return res;
}

/* Maps the scratch area (see SCRATCH_SIZE) into the tracee. */
uint64_t pt_scratch_map(struct tracer *tr, pid_t tid)
{
	uint64_t res = pt_remote_mmap(tr, tid, 0, SCRATCH_SIZE, PROT_READ | PROT_EXEC,
				   MAP_PRIVATE | MAP_ANONYMOUS);

	if (res && (pt_poke_u64(tid, res, 0xccccccccccccccccull) < 0 ||
		    pt_poke_u64(tid, res + INJ_RET_OFF, 0xccccccccccccccccull) < 0))
		res = 0;
	if (!res)
		pr_warn("cannot map a scratch page into %d: its calls are not counted", (int)tid);
	tr->nslots = 0;
	return res;
}

void pt_on_entry(struct tracer *tr, pid_t tid, struct user_regs_struct *regs, const struct bp *bref,
		     int *deliver)
{
	struct bp bc = *bref, *b = &bc;	/* pt_maps_scan(tr) may move the table */
	struct thr *t = pt_thr_get(tr, tid);
	uint64_t addr = b->addr;

	pt.mem_tid = tid;
	if (b->kind == BP_REDIRECT) {
		/* --inject: the wrapper calls the copy of the first instruction */
		regs->rip = b->wrap;
		ptrace(PTRACE_SETREGS, tid, NULL, regs);
		return;
	}
	if (b->kind == BP_START) {
		pt_on_start(tr, tid, regs, (struct bp *)bref);
		return;
	}
	regs->rip = addr;
	if (!t->in_call && b->kind == BP_ENTRY) {
		struct user_fpregs_struct fp;
		struct opc_argregs ar;
		struct opc_shape shape;
		uint64_t ret;
		void *ctx = (void *)(intptr_t)tid;

		ar.gp[0] = regs->rdi;
		ar.gp[1] = regs->rsi;
		ar.gp[2] = regs->rdx;
		ar.gp[3] = regs->rcx;
		ar.gp[4] = regs->r8;
		ar.gp[5] = regs->r9;
		ar.sp = regs->rsp;
		if (opc_args_need_sse(b->rid) && ptrace(PTRACE_GETFPREGS, tid, NULL, &fp) == 0)
			memcpy(ar.xmm, fp.xmm_space, sizeof(ar.xmm));
		else
			memset(ar.xmm, 0, sizeof(ar.xmm));
		uint32_t key = 0;

		/* the key (and its stack) before the return address is replaced */
		if (pt_mem_read(ctx, regs->rsp, &ret, 8) == 0 &&
		    opc_args_decode(b->rid, &ar, pt_mem_read, ctx, &shape) == 0 && tr->scratch)
			key = pt_key_intern(tr, b->rid, tid, ret, &shape);
		/* the call is recorded before its return address is replaced:
		 * the watchdog puts back what the records name */
		t->ret = ret;
		t->entry_sp = regs->rsp;
		t->in_call = key != 0;
		if (key && pt_poke_u64(tid, regs->rsp, tr->scratch) == 0) {
			t->key = key;
			t->entry = addr;
			t->t0 = pt_now_ns();
		} else {
			t->in_call = 0;
			tr->dropped++;
		}
	}
	if (b->kind == BP_DLSTATE)
		pt_maps_scan(tr);
	struct bp *live = pt_bp_find(tr, addr);

	if (live)
		live->hit = 1;
	if (live && live->ool < 0)
		ool_prepare(tr, tid, live);
	if (live && live->ool > 0) {
		regs->rip = tr->scratch + (uint64_t)live->ool * SLOT_SIZE;
		ptrace(PTRACE_SETREGS, tid, NULL, regs);
		return;
	}
	ptrace(PTRACE_SETREGS, tid, NULL, regs);
	pt_step_over(tr, tid, b, deliver);
}

/* A counted call came back through the trampoline. */
void pt_on_return(struct tracer *tr, pid_t tid, struct user_regs_struct *regs, int *deliver)
{
	struct thr *t = pt_thr_get(tr, tid);

	if (!t->in_call || regs->rsp != t->entry_sp + 8) {
		*deliver = SIGTRAP;	/* cannot happen: say so loudly */
		return;
	}
	struct pkey *k = &tr->keys[t->key];

	uint64_t dt = pt_now_ns() - t->t0;

	k->calls++;
	k->ns += dt;
	t->call_ns += dt;
	t->in_call = 0;
	regs->rip = t->ret;
	ptrace(PTRACE_SETREGS, tid, NULL, regs);
}
