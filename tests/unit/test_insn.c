/*
 * test_insn.c - the length decoder the ptrace tracer uses to run the
 * instruction under an entry breakpoint out of line: lengths of common
 * prologue encodings, and refusal of everything that depends on where it
 * runs (relative branches, calls, RIP-relative operands, system calls).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "insn.h"

#define LEN(...) ({ static const unsigned char b_[] = { __VA_ARGS__, 0x90, 0x90, 0x90, \
	0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 }; \
	opc_insn_relocatable_len(b_, sizeof(b_)); })

static void test_prologues(void **state)
{
	(void)state;
	assert_int_equal(LEN(0x55), 1);				/* push %rbp */
	assert_int_equal(LEN(0x41, 0x57), 2);			/* push %r15 */
	assert_int_equal(LEN(0xf3, 0x0f, 0x1e, 0xfa), 4);	/* endbr64 */
	assert_int_equal(LEN(0x48, 0x89, 0xe5), 3);		/* mov %rsp,%rbp */
	assert_int_equal(LEN(0x48, 0x83, 0xec, 0x28), 4);	/* sub $0x28,%rsp */
	assert_int_equal(LEN(0x48, 0x81, 0xec, 0, 1, 0, 0), 7);	/* sub $0x100,%rsp */
	assert_int_equal(LEN(0x85, 0xff), 2);			/* test %edi,%edi */
	assert_int_equal(LEN(0x4c, 0x8b, 0x44, 0x24, 0x08), 5);	/* mov 0x8(%rsp),%r8 */
	assert_int_equal(LEN(0x8b, 0x84, 0x24, 0, 1, 0, 0), 7);	/* mov 0x100(%rsp),%eax */
	assert_int_equal(LEN(0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8), 10);	/* movabs */
	assert_int_equal(LEN(0xb8, 1, 0, 0, 0), 5);		/* mov $1,%eax */
	assert_int_equal(LEN(0x66, 0x0f, 0xef, 0xc0), 4);	/* pxor %xmm0,%xmm0 */
	assert_int_equal(LEN(0xc5, 0xf9, 0x57, 0xc0), 4);	/* vxorpd %xmm0,%xmm0,%xmm0 */
	assert_int_equal(LEN(0xf6, 0x07, 0x01), 3);		/* testb $1,(%rdi) */
	assert_int_equal(LEN(0x31, 0xc0), 2);			/* xor %eax,%eax */
	assert_int_equal(LEN(0xc3), 1);	/* ret (_dl_debug_state): goes by the stack */
}

static void test_refused(void **state)
{
	(void)state;
	assert_int_equal(LEN(0xe9, 0, 0, 0, 0), 0);		/* jmp rel32 */
	assert_int_equal(LEN(0xeb, 0x10), 0);			/* jmp rel8 */
	assert_int_equal(LEN(0x74, 0x10), 0);			/* je rel8 */
	assert_int_equal(LEN(0x0f, 0x84, 0, 0, 0, 0), 0);	/* je rel32 */
	assert_int_equal(LEN(0xe8, 0, 0, 0, 0), 0);		/* call */
	assert_int_equal(LEN(0xff, 0x25, 0, 0, 0, 0), 0);	/* jmp *x(%rip) */
	assert_int_equal(LEN(0x48, 0x8b, 0x05, 0, 0, 0, 0), 0);	/* mov x(%rip),%rax */
	assert_int_equal(LEN(0x48, 0x8d, 0x05, 0, 0, 0, 0), 0);	/* lea x(%rip),%rax */
	assert_int_equal(LEN(0x0f, 0x05), 0);			/* syscall */
	assert_int_equal(LEN(0xcc), 0);				/* int3 */
	assert_int_equal(LEN(0x62, 0xf1, 0x7c, 0x48, 0x28, 0xc1), 0);	/* EVEX */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prologues),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
