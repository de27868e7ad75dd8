/*
 * argdecode.h - a BLAS/LAPACK call's shape from its raw arguments.
 *
 * The ptrace tracer stops a thread at a routine's first instruction and
 * sees registers and memory, not a typed call.  This decoder places each
 * parameter by the x86-64 System V calling convention, reads the ones the
 * shape needs (dereferencing Fortran's by-reference arguments and
 * complex scalars in the tracee's memory) and builds the very struct
 * opc_shape the preload wrappers build: the parameter list comes from
 * opc_argdescs[], the normalisation from shape_norm.h, both generated or
 * shared from common/routines.tbl.
 */
#ifndef OPC_ARGDECODE_H
#define OPC_ARGDECODE_H

#include <stddef.h>
#include <stdint.h>

#include "routines.h"

/* The registers at a function's entry (before its first instruction). */
struct opc_argregs {
	uint64_t gp[6];		/* rdi, rsi, rdx, rcx, r8, r9 */
	uint64_t sp;		/* rsp: [sp] is the return address */
	unsigned char xmm[8][16];
};

/* Reads n bytes of the target's memory at addr; 0 or -errno. */
typedef int (*opc_memread_fn)(void *ctx, uint64_t addr, void *buf, size_t n);

/* Fills *out for routine rid.  0, or -errno when memory could not be
 * read (*out is then only partly filled). */
int opc_args_decode(int rid, const struct opc_argregs *regs, opc_memread_fn rd,
		    void *ctx, struct opc_shape *out);

/* Whether decoding rid reads an SSE register (a scalar passed by value
 * that a flag tests): the tracer fetches them only then. */
int opc_args_need_sse(int rid);

#endif
