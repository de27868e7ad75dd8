/*
 * argdecode.c - a call's shape from registers and memory (x86-64 SysV).
 */
#include <errno.h>
#include <string.h>

#include "argdecode.h"
#include "shape_norm.h"

/* Where one parameter lives at the entry breakpoint. */
struct argloc {
	int sse;		/* in xmm[reg] rather than gp[reg] */
	int reg;		/* -1: on the stack */
	uint64_t stack;		/* address of its 8-byte slot */
};

/* A scalar passed by value in an SSE register: CBLAS/LAPACKE real alpha,
 * beta, c, s; sdsdot's float alpha.  Complex scalars go by pointer. */
static int param_is_sse(char tok, int iface, char prec)
{
	if (iface == OPC_IF_FORTRAN)
		return 0;	/* everything by reference */
	if (tok == 'A')
		return prec == 's' || prec == 'd';
	return tok == 'R' || tok == 'F';
}

static void locate(const char *tokens, int iface, char prec, uint64_t sp,
		   struct argloc *loc)
{
	int ngp = 0, nsse = 0;
	uint64_t next = sp + 8;	/* first stack argument, above the return address */

	for (int i = 0; tokens[i]; i++) {
		int sse = param_is_sse(tokens[i], iface, prec);

		loc[i].sse = sse;
		loc[i].reg = -1;
		if (sse && nsse < 8)
			loc[i].reg = nsse++;
		else if (!sse && ngp < 6)
			loc[i].reg = ngp++;
		else {
			loc[i].stack = next;
			next += 8;
		}
	}
}

/* The 8 bytes holding parameter i (an integer, a pointer, or a scalar in
 * its low bytes). */
static int raw(const struct opc_argregs *r, const struct argloc *l, opc_memread_fn rd,
	       void *ctx, unsigned char out[8])
{
	if (l->reg >= 0) {
		if (l->sse)
			memcpy(out, r->xmm[l->reg], 8);
		else
			memcpy(out, &r->gp[l->reg], 8);
		return 0;
	}
	return rd(ctx, l->stack, out, 8);
}

static char real_of(char prec)
{
	return prec == 's' || prec == 'c' ? 's' : 'd';
}

/* '0' or '1' for a scalar of real type `rp` with `ncomp` components held
 * in buf (by value or read from memory). */
static char zero_flag(const unsigned char *buf, char rp, int ncomp)
{
	return rp == 's' ? (ncomp == 2 ? opc_zero_float2(buf) : opc_zero_float1(buf)) :
			   (ncomp == 2 ? opc_zero_double2(buf) : opc_zero_double1(buf));
}

static char flag_value(char tok, int iface, char prec, const unsigned char v[8],
		       opc_memread_fn rd, void *ctx, int *err)
{
	uint64_t p;
	int64_t iv;
	unsigned char buf[16];

	memcpy(&p, v, 8);
	switch (tok) {
	case 'T': case 'U': case 'S': case 'D': case 'J':
		if (iface == OPC_IF_FORTRAN) {
			char c;

			if ((*err = rd(ctx, p, &c, 1)) < 0)
				return 0;
			return opc_upper(c);
		}
		if (iface == OPC_IF_LAPACKE)
			return opc_upper((char)p);
		return tok == 'T' ? opc_cblas_trans((int)p) : tok == 'U' ? opc_cblas_uplo((int)p) :
		       tok == 'S' ? opc_cblas_side((int)p) : tok == 'D' ? opc_cblas_diag((int)p) :
		       opc_cblas_job((int)p);
	case 'I':
		if (iface == OPC_IF_FORTRAN) {
			int x;

			if ((*err = rd(ctx, p, &x, sizeof(x))) < 0)
				return 0;
			iv = x;
		} else {
			iv = (int)p;
		}
		return iv == -1 ? 'Q' : '-';
	case 'A': case 'R': case 'F': {
		char rp = tok == 'F' ? 's' : real_of(prec);
		int ncomp = tok == 'A' && opc_is_complex(prec) ? 2 : 1;

		if (iface == OPC_IF_FORTRAN || ncomp == 2) {
			if ((*err = rd(ctx, p, buf, (rp == 's' ? 4 : 8) * ncomp)) < 0)
				return 0;
			return zero_flag(buf, rp, ncomp);
		}
		return zero_flag(v, rp, 1);
	}
	}
	return 0;
}

int opc_args_decode(int rid, const struct opc_argregs *regs, opc_memread_fn rd,
		    void *ctx, struct opc_shape *out)
{
	const struct opc_routine *r = &opc_routines[rid];
	const struct opc_argdesc *a = &opc_argdescs[rid];
	struct argloc loc[32];
	unsigned char v[8];
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (strlen(a->tokens) > sizeof(loc) / sizeof(loc[0]))
		return -EINVAL;
	locate(a->tokens, r->iface, r->prec, regs->sp, loc);
	for (int i = 0; i < OPC_SHAPE_DIMS; i++) {
		int k = a->dim[i];
		uint64_t p;

		if (k < 0)
			continue;
		if ((err = raw(regs, &loc[k], rd, ctx, v)) < 0)
			return err;
		memcpy(&p, v, 8);
		if (r->iface == OPC_IF_FORTRAN) {
			int x;

			if ((err = rd(ctx, p, &x, sizeof(x))) < 0)
				return err;
			out->d[i] = x;
		} else {
			out->d[i] = (int)p;	/* an int: the upper half is garbage */
		}
	}
	for (int i = 0; i < OPC_SHAPE_FLAGS; i++) {
		int k = a->flag[i];

		if (k < 0)
			continue;
		if ((err = raw(regs, &loc[k], rd, ctx, v)) < 0)
			return err;
		out->f[i] = flag_value(a->tokens[k], r->iface, r->prec, v, rd, ctx, &err);
		if (err < 0)
			return err;
	}
	return 0;
}

int opc_args_need_sse(int rid)
{
	const struct opc_routine *r = &opc_routines[rid];
	const struct opc_argdesc *a = &opc_argdescs[rid];

	for (int i = 0; i < OPC_SHAPE_FLAGS; i++)
		if (a->flag[i] >= 0 && param_is_sse(a->tokens[a->flag[i]], r->iface, r->prec))
			return 1;
	return 0;	/* dimensions are always integers */
}
