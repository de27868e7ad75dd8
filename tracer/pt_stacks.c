/*
 * pt_stacks.c - stacks of the ptrace tracer's threads (--stacks), with
 * libunwind's ptrace accessors: the stack of each key's first call, and
 * at every tick a sample of every thread that ran outside counted calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include "log.h"
#include "pt_internal.h"

#define SAMPLE_DEPTH 64

/*
 * The stack of a stopped thread with libunwind's ptrace accessors (CFI
 * of the tracee's files), leaf first: frame 0 is where it stopped, the
 * others return addresses.  `skip` frames are left out.  0 if none.
 */
uint32_t pt_unwind_stack(struct tracer *tr, pid_t tid, int skip)
{
	uint64_t frames[SAMPLE_DEPTH];
	uint32_t n = 0;
	unw_cursor_t c;
	void *upt;

	if (tr->unw == NULL) {
		tr->unw = unw_create_addr_space(&_UPT_accessors, 0);
		if (tr->unw == NULL)
			return 0;
		unw_set_caching_policy(tr->unw, UNW_CACHE_GLOBAL);
	}
	if ((upt = _UPT_create(tid)) == NULL)
		return 0;
	if (unw_init_remote(&c, tr->unw, upt) == 0) {
		int i = 0;

		do {
			unw_word_t ip;

			if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || ip == 0)
				break;
			if (i++ >= skip)
				frames[n++] = ip;
		} while (n < SAMPLE_DEPTH && unw_step(&c) > 0);
	}
	_UPT_destroy(upt);
	return opc_writer_stack(&tr->w, &tr->stacks, frames, n);
}

/* The interrupted thread's stack, with the weight asked for at the tick. */
void pt_sample_take(struct tracer *tr, struct thr *t)
{
	uint32_t stack = pt_unwind_stack(tr, t->tid, 0);

	t->sample_pending = 0;
	if (stack == 0)
		return;
	if (tr->nsmp == tr->smpcap) {
		tr->smpcap = tr->smpcap ? tr->smpcap * 2 : 64;
		tr->smp = realloc(tr->smp, tr->smpcap * sizeof(*tr->smp));
		if (tr->smp == NULL) {
			pr_err("out of memory");
			exit(1);
		}
	}
	tr->smp[tr->nsmp++] = (struct opc_rec_sample_ent){ t->sample_t, (uint32_t)t->tid, stack,
						       t->sample_w };
}

/* CPU time of a thread in ns: the scheduler's own sum (schedstat), else
 * user + system ticks; 0 if it cannot be read. */
static uint64_t thread_cpu_ns(pid_t pid, pid_t tid)
{
	char path[96], buf[1024];
	unsigned long long ns = 0, ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
	if ((f = fopen(path, "re"))) {
		int ok = fscanf(f, "%llu", &ns) == 1;

		fclose(f);
		if (ok)
			return ns;
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	if (!(f = fopen(path, "re")))
		return 0;
	char *p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;

	fclose(f);
	/* after "pid (comm)": state and 10 more fields, then utime stime */
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
				&ut, &st) != 2)
		return 0;
	return (ut + st) * (1000000000ull / (unsigned long long)sysconf(_SC_CLK_TCK));
}

/*
 * At a tick (t_ns, the end of the interval just written): every thread
 * that ran outside counted calls since the last tick is interrupted, and
 * its stack is taken at that stop, weighed by that CPU time.  A thread
 * that slept, or only ran inside counted calls (whose time is already
 * the calls'), is left alone: no stop, no weight.
 */
void pt_sample_request(struct tracer *tr, uint64_t t_ns)
{
	for (struct thr *t = tr->threads; t; t = t->next) {
		uint64_t cpu = thread_cpu_ns(tr->pid, t->tid);
		uint64_t ran = cpu > t->cpu_ns ? cpu - t->cpu_ns : 0;
		uint64_t in_calls = t->call_ns - t->call_ns_tick;

		if (cpu)
			t->cpu_ns = cpu;
		t->call_ns_tick = t->call_ns;
		if (t->listening || t->sample_pending || t->in_call || ran <= in_calls)
			continue;
		if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0)
			continue;
		t->sample_pending = 1;
		t->sample_t = t_ns;
		t->sample_w = ran - in_calls;
	}
}

static int sample_cmp(const void *a, const void *b)
{
	const struct opc_rec_sample_ent *x = a, *y = b;

	return x->t_ns < y->t_ns ? -1 : x->t_ns > y->t_ns;
}

/*
 * The samples taken since the last tick, as one SAMPLE record, in time
 * order (readers reject time going back).  A thread may stop for a tick's
 * sample only after the next tick asked too: its sample is sorted among
 * them, and one older than samples already written is moved up to the
 * last written time (the next interval: its CPU time was spent around
 * the tick anyway).
 */
void pt_emit_samples(struct tracer *tr)
{
	struct opc_rec_sample *r;

	if (tr->nsmp == 0)
		return;
	qsort(tr->smp, tr->nsmp, sizeof(*tr->smp), sample_cmp);
	for (size_t i = 0; i < tr->nsmp; i++)
		if (tr->smp[i].t_ns < tr->smp_last_t)
			tr->smp[i].t_ns = tr->smp_last_t;
	tr->smp_last_t = tr->smp[tr->nsmp - 1].t_ns;
	r = opc_writer_begin(&tr->w, OPC_REC_SAMPLE, sizeof(*r));
	if (r) {
		r->count = (uint32_t)tr->nsmp;
		opc_writer_append(&tr->w, tr->smp, tr->nsmp * sizeof(*tr->smp));
		opc_writer_end(&tr->w);
	}
	tr->nsmp = 0;
}
