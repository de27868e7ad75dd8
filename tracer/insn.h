/*
 * insn.h - length of an x86-64 instruction, for displaced stepping.
 */
#ifndef OPC_INSN_H
#define OPC_INSN_H

#include <stddef.h>

/*
 * Length of the instruction at p (n bytes readable) if it may be executed
 * at another address unchanged: no relative branch, call, indirect jump,
 * system call or RIP-relative operand (a plain return is fine), and an encoding this decoder knows.  0 otherwise
 * (the caller then steps it in place).
 */
int opc_insn_relocatable_len(const unsigned char *p, size_t n);

#endif
