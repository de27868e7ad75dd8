/*
 * insn.h - length of an x86-64 instruction, for displaced stepping.
 */
#ifndef OPC_INSN_H
#define OPC_INSN_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the instruction at p (n bytes readable) if it may be executed
 * at another address unchanged: no relative branch, call, indirect jump,
 * system call or RIP-relative operand (a plain return is fine), and an encoding this decoder knows.  0 otherwise
 * (the caller then steps it in place).
 */
int opc_insn_relocatable_len(const unsigned char *p, size_t n);

/*
 * Copies whole instructions of the code at p (n bytes readable, which run
 * at address `from`) to out (cap bytes, to run at address `to`) until at
 * least `need` bytes of the original are covered; *covered is set to that
 * number.  Relative jumps and conditional jumps become absolute jumps to
 * the same targets, RIP-relative operands keep pointing at the same
 * address (refused if it is then out of 32-bit reach).  Refused (0): an
 * instruction this decoder does not know, a call (its return address
 * would be in the moved bytes), a branch into the moved bytes, a return or
 * jump that ends the function before `need` bytes.  Returns the bytes
 * written to out, to which the caller appends a jump back to
 * from + *covered.
 */
int opc_insn_relocate(const unsigned char *p, size_t n, uint64_t from, size_t need,
		      unsigned char *out, size_t cap, uint64_t to, size_t *covered);

#endif
