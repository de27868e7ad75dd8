/*
 * call.h - what a wrapper does around the real call: the hot path.
 *
 * A wrapper describes its call (routine, call site, shape) and brackets
 * the real call with these three functions.  They find the calling
 * thread's state (threads.c; a thread's first call attaches it) and its
 * slot for the call's key (record.h), and count the call in it: no lock,
 * no allocation and no system call once the key has been seen.
 *
 *	struct opc_call c;
 *
 *	if (!opc_call_begin(&c, OPC_R_dgemm, __builtin_return_address(0)))
 *		return real(...);
 *	c.key.shape.d[0] = m; ...
 *	opc_call_enter(&c);
 *	real(...);
 *	opc_call_exit(&c);
 *
 * A call the library refuses (bad arguments) is moved to a key of its own
 * between enter and exit by opc_call_reject() (reject.h).
 */
#ifndef OPC_CALL_H
#define OPC_CALL_H

#include "config.h"
#include "record.h"
#include "threads.h"

struct opc_call {
	struct opc_thread *t;
	struct opc_slot *slot;
	uint64_t t0;
	struct opc_key key;
	int timed;
};

/*
 * Returns 1 if this call is to be counted; the caller then fills
 * call->shape and brackets the real call with enter/exit.  Returns 0 to
 * forward the call untouched: opcount disabled, or a call made from inside
 * another intercepted call (LAPACK calling GEMM) when nested calls are not
 * wanted, so that work is counted once, at the outermost call.
 */
static inline int opc_call_begin(struct opc_call *c, int rid, void *site)
{
	struct opc_thread *t = opc_self;

	if (__builtin_expect(t == NULL, 0)) {
		t = opc_thread_attach();
		if (t == NULL)
			return 0;
	}
	if (__builtin_expect(t->depth != 0, 0) && !opc_cfg()->nested)
		return 0;
	if (__builtin_expect(!opc_enabled, 0))
		return 0;
	c->t = t;
	memset(&c->key, 0, sizeof(c->key));
	c->key.site = (uintptr_t)site;
	c->key.rid = rid;
	c->key.kflags = t->depth ? OPC_KEY_NESTED : 0;
	c->key.layer = t->own_layers ? t->cur_layer :
		__atomic_load_n(&opc_global_layer, __ATOMIC_ACQUIRE);
	return 1;
}

static inline void opc_call_enter(struct opc_call *c)
{
	struct opc_thread *t = c->t;
	struct opc_slot *s = t->last;
	int saved_errno = errno;
	int d = t->depth++;

	if (__builtin_expect(d < OPC_CALL_DEPTH, 1))
		t->calls[d] = c;
	if (s == NULL || !opc_key_equal(&s->key, &c->key)) {
		s = opc_slot_get(t, &c->key);
		t->last = s;
	}
	c->slot = s;
	c->timed = s && (s->calls & s->sample_mask) == 0;
	errno = saved_errno;
	if (c->timed)
		c->t0 = opc_ticks();
}

/* A NULL slot counts nothing here: no room for the key, or a rejected
 * call, already counted under its rejected key (reject.h). */
static inline void opc_call_exit(struct opc_call *c)
{
	struct opc_slot *s = c->slot;
	uint64_t t1 = c->timed ? opc_ticks() : 0;

	if (__builtin_expect(s != NULL, 1)) {
		/* Release stores: plain moves on x86-64, but they order the
		 * counters for the collector (see harvest_host()). */
		__atomic_store_n(&s->calls, s->calls + 1, __ATOMIC_RELEASE);
		if (c->timed) {
			__atomic_store_n(&s->ticks, s->ticks + (t1 - c->t0),
					 __ATOMIC_RELEASE);
			__atomic_store_n(&s->timed, s->timed + 1, __ATOMIC_RELEASE);
			if (__builtin_expect(s->timed == OPC_TIMING_WARMUP, 0))
				opc_slot_tune(s);
		}
		if (__builtin_expect(s->key.kflags & OPC_KEY_OVERFLOW, 0))
			opc_slot_overflow_account(s, &c->key);
	}
	c->t->depth--;
}

/*
 * Between opc_call_enter() and opc_call_exit(): the library refused the
 * call (reject.h).  Counts c, once, under its rejected key instead of its
 * own; opc_call_exit(c) then adds nothing.  Not on the hot path (call.c).
 */
void opc_call_reject(struct opc_call *c);

#endif
