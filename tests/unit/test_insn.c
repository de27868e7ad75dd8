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
#include <string.h>
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
	assert_int_equal(LEN(0xdd, 0x07), 2);			/* fldl (%rdi) */
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

/* OpenBLAS's cblas_ddot: test %edi,%edi; jle +0x5c; test %edx,%edx; ...
 * moved 0x1000 bytes up: the jle becomes jg over an absolute jump to the
 * same target, the tests are copied. */
static void test_relocate_jcc(void **state)
{
	static const unsigned char code[] = { 0x85, 0xff, 0x7e, 0x5c, 0x85, 0xd2, 0x78, 0x40,
					      0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 };
	unsigned char out[96];
	size_t covered = 0;
	uint64_t from = 0x13eb10, to = 0x100000, target = 0x13eb70;
	int n = opc_insn_relocate(code, sizeof(code), from, 5, out, sizeof(out), to, &covered);

	(void)state;
	assert_int_equal(covered, 6);
	assert_int_equal(n, 2 + 16 + 2);
	assert_memory_equal(out, "\x85\xff\x7f\x0e\xff\x25\0\0\0\0", 10);
	assert_memory_equal(out + 10, &target, 8);
	assert_memory_equal(out + 18, "\x85\xd2", 2);
}

/* mov 0x100(%rip),%rax moved 0x1000 bytes down: same absolute address */
static void test_relocate_riprel(void **state)
{
	static const unsigned char code[] = { 0x48, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00, 0x90,
					      0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 };
	unsigned char out[64];
	size_t covered = 0;
	int32_t disp;
	int n = opc_insn_relocate(code, sizeof(code), 0x402000, 5, out, sizeof(out), 0x401000,
				  &covered);

	(void)state;
	assert_int_equal(n, 7);
	assert_int_equal(covered, 7);
	memcpy(&disp, out + 3, 4);
	assert_int_equal(disp, 0x100 + 0x1000);
	/* out of 32-bit reach: refused */
	assert_int_equal(opc_insn_relocate(code, sizeof(code), 0x402000, 5, out, sizeof(out),
					   0x7f0000000000ull, &covered), 0);
}

static void test_relocate_refused(void **state)
{
	unsigned char out[64];
	size_t covered;
	/* a call among the moved bytes */
	static const unsigned char call[] = { 0xe8, 0, 0, 0, 0, 0x90, 0x90, 0x90 };
	/* a loop back into the moved bytes: jne -4 (to the entry itself) */
	static const unsigned char loop[] = { 0x90, 0x90, 0x75, 0xfc, 0x90, 0x90, 0x90, 0x90 };
	/* a function shorter than the jump: xor %eax,%eax; ret */
	static const unsigned char tiny[] = { 0x31, 0xc0, 0xc3, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc };

	(void)state;
	assert_int_equal(opc_insn_relocate(call, sizeof(call), 0x1000, 5, out, sizeof(out), 0x2000,
					   &covered), 0);
	assert_int_equal(opc_insn_relocate(loop, sizeof(loop), 0x1000, 5, out, sizeof(out), 0x2000,
					   &covered), 0);
	assert_int_equal(opc_insn_relocate(tiny, sizeof(tiny), 0x1000, 5, out, sizeof(out), 0x2000,
					   &covered), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prologues),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_relocate_jcc),
		cmocka_unit_test(test_relocate_riprel),
		cmocka_unit_test(test_relocate_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
