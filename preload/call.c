/*
 * call.c - the part of call.h that is not on the hot path: moving a call
 * in progress to its rejected key (reject.h), for the host wrappers'
 * xerbla_ and info checks and the GPU wrappers' error statuses (gpu.c).
 */
#include <string.h>

#include "call.h"

void opc_call_reject(struct opc_call *c)
{
	struct opc_call r;

	/* xerbla_ and then info < 0: one refusal, counted once */
	if (c->key.kflags & OPC_KEY_REJECTED)
		return;
	c->key.kflags |= OPC_KEY_REJECTED;
	memset(&r, 0, sizeof(r));
	r.t = c->t;
	r.key = c->key;
	opc_call_enter(&r);
	/* Its time is the refused call's so far, timed as the call was: a
	 * rejected key's own sampling would time its first call from here. */
	r.timed = c->timed && r.slot != NULL;
	r.t0 = c->t0;
	opc_call_exit(&r);
	c->slot = NULL;		/* counted: opc_call_exit(c) adds nothing */
}
