/*
 * test_argdecode.c - the ptrace tracer's argument decoder on synthetic
 * register sets: CBLAS with scalars in xmm and arguments on the stack,
 * Fortran by reference, complex scalars by pointer, LAPACKE characters,
 * workspace queries, and ints whose upper register half is garbage.
 *
 * "Memory" is a small array standing for the tracee's address space at
 * BASE; the stack is part of it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "argdecode.h"
#include "routines.h"

#define BASE 0x7f0000001000ull
static unsigned char mem[4096];

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t n)
{
	(void)ctx;
	if (addr < BASE || addr + n > BASE + sizeof(mem))
		return -14;	/* -EFAULT */
	memcpy(buf, mem + (addr - BASE), n);
	return 0;
}

/* Puts v at offset off of memory and returns its address. */
static uint64_t put(size_t off, const void *v, size_t n)
{
	memcpy(mem + off, v, n);
	return BASE + off;
}

static uint64_t put_int(size_t off, int v) { return put(off, &v, sizeof(v)); }
static uint64_t put_u64(size_t off, uint64_t v) { return put(off, &v, sizeof(v)); }

static int rid_of(const char *sym)
{
	int rid = opc_routine_find(sym);

	assert_true(rid >= 0);
	return rid;
}

#define SP_OFF 2048	/* [sp] = return address, stack arguments above */

static void setup_regs(struct opc_argregs *r)
{
	memset(r, 0, sizeof(*r));
	memset(mem, 0xab, sizeof(mem));
	r->sp = BASE + SP_OFF;
	put_u64(SP_OFF, 0x401234);
}

static void set_xmm_double(struct opc_argregs *r, int i, double v)
{
	memset(r->xmm[i], 0x5a, 16);	/* upper lanes are not the argument */
	memcpy(r->xmm[i], &v, 8);
}

static void set_xmm_float(struct opc_argregs *r, int i, float v)
{
	memset(r->xmm[i], 0x5a, 16);
	memcpy(r->xmm[i], &v, 4);
}

/* cblas_dgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
 * six ints in registers, alpha and beta in xmm0/xmm1, the rest on the
 * stack (a, lda, b, ldb, c, ldc). */
static void test_cblas_dgemm(void **state)
{
	struct opc_argregs r;
	struct opc_shape s;

	(void)state;
	setup_regs(&r);
	r.gp[0] = 101;			/* CblasRowMajor */
	r.gp[1] = 112;			/* CblasTrans */
	r.gp[2] = 0xffffffff00000000ull | 111;	/* NoTrans, garbage above */
	r.gp[3] = 0xdeadbeef00000000ull | 7;	/* m */
	r.gp[4] = 11;
	r.gp[5] = 13;
	set_xmm_double(&r, 0, 1.5);
	set_xmm_double(&r, 1, 0.0);	/* beta = 0 */
	for (int i = 1; i <= 6; i++)
		put_u64(SP_OFF + 8 * i, 0x1111 * i);
	assert_int_equal(opc_args_decode(rid_of("cblas_dgemm"), &r, mem_read, NULL, &s), 0);
	assert_int_equal(s.d[0], 7);
	assert_int_equal(s.d[1], 11);
	assert_int_equal(s.d[2], 13);
	assert_int_equal(s.d[3], 0);
	assert_memory_equal(s.f, "TN0\0", 4);

	set_xmm_double(&r, 1, -2.0);
	assert_int_equal(opc_args_decode(rid_of("cblas_dgemm"), &r, mem_read, NULL, &s), 0);
	assert_int_equal(s.f[2], '1');
}

/* cblas_sgemm: float scalars in the low 4 bytes of xmm. */
static void test_cblas_sgemm_float_beta(void **state)
{
	struct opc_argregs r;
	struct opc_shape s;

	(void)state;
	setup_regs(&r);
	r.gp[0] = 102; r.gp[1] = 113; r.gp[2] = 112; r.gp[3] = 2; r.gp[4] = 3; r.gp[5] = 4;
	set_xmm_float(&r, 0, 1.0f);
	set_xmm_float(&r, 1, 0.0f);
	assert_int_equal(opc_args_decode(rid_of("cblas_sgemm"), &r, mem_read, NULL, &s), 0);
	assert_memory_equal(s.f, "CT0\0", 4);
	assert_int_equal(s.d[0] * s.d[1] * s.d[2], 24);
}

/* dgemm_: every argument a pointer; the seventh and later on the stack. */
static void test_fortran_dgemm(void **state)
{
	struct opc_argregs r;
	struct opc_shape s;
	double zero = 0, one = 1;

	(void)state;
	setup_regs(&r);
	r.gp[0] = put(0, "t", 1);
	r.gp[1] = put(8, "n", 1);
	r.gp[2] = put_int(16, 5);
	r.gp[3] = put_int(24, 6);
	r.gp[4] = put_int(32, 7);
	r.gp[5] = put(40, &one, 8);	/* alpha */
	/* stack: a, lda, b, ldb, beta, c, ldc */
	put_u64(SP_OFF + 8 * 5, put(48, &zero, 8));
	assert_int_equal(opc_args_decode(rid_of("dgemm_"), &r, mem_read, NULL, &s), 0);
	assert_int_equal(s.d[0], 5);
	assert_int_equal(s.d[1], 6);
	assert_int_equal(s.d[2], 7);
	assert_memory_equal(s.f, "TN0\0", 4);

	/* an unreadable pointer is an error, not a guess */
	put_u64(SP_OFF + 8 * 5, 0x10);
	assert_true(opc_args_decode(rid_of("dgemm_"), &r, mem_read, NULL, &s) < 0);
}

/* cblas_zgemm: alpha and beta are pointers to two doubles; so only six
 * integer registers are used before the stack (beta is its 5th slot). */
static void test_cblas_zgemm_pointer_scalars(void **state)
{
	struct opc_argregs r;
	struct opc_shape s;
	double beta[2] = { 0, 1 };

	(void)state;
	setup_regs(&r);
	r.gp[0] = 101; r.gp[1] = 111; r.gp[2] = 111; r.gp[3] = 3; r.gp[4] = 4; r.gp[5] = 5;
	/* stack: alpha, a, lda, b, ldb, beta, c, ldc */
	put_u64(SP_OFF + 8 * 6, put(64, beta, 16));
	assert_int_equal(opc_args_decode(rid_of("cblas_zgemm"), &r, mem_read, NULL, &s), 0);
	assert_memory_equal(s.f, "NN1\0", 4);	/* (0, 1) is not zero */
	beta[1] = 0;
	put(64, beta, 16);
	assert_int_equal(opc_args_decode(rid_of("cblas_zgemm"), &r, mem_read, NULL, &s), 0);
	assert_int_equal(s.f[2], '0');
}

/* cblas_sdsdot(n, float alpha, x, incx, y, incy): alpha in xmm0 does not
 * shift the integer registers. */
static void test_sdsdot(void **state)
{
	struct opc_argregs r;
	struct opc_shape s;

	(void)state;
	setup_regs(&r);
	r.gp[0] = 1000;
	set_xmm_float(&r, 0, 2.0f);
	assert_int_equal(opc_args_decode(rid_of("cblas_sdsdot"), &r, mem_read, NULL, &s), 0);
	assert_int_equal(s.d[0], 1000);
}

/* dgesvd_: job characters by reference, lwork = -1 is a query ('Q');
 * LAPACKE_dgesvd: job characters by value, no lwork flag at all. */
static void test_gesvd(void **state)
{
	struct opc_argregs r;
	struct opc_shape s;

	(void)state;
	setup_regs(&r);
	r.gp[0] = put(0, "a", 1);
	r.gp[1] = put(8, "N", 1);
	r.gp[2] = put_int(16, 40);
	r.gp[3] = put_int(24, 30);
	/* stack: s, u, ldu, vt, ldvt, work, lwork, info */
	put_u64(SP_OFF + 8 * 7, put_int(32, -1));
	assert_int_equal(opc_args_decode(rid_of("dgesvd_"), &r, mem_read, NULL, &s), 0);
	assert_int_equal(s.d[0], 40);
	assert_int_equal(s.d[1], 30);
	assert_memory_equal(s.f, "ANQ\0", 4);
	put_int(32, 100);
	assert_int_equal(opc_args_decode(rid_of("dgesvd_"), &r, mem_read, NULL, &s), 0);
	assert_int_equal(s.f[2], '-');

	setup_regs(&r);
	r.gp[0] = 102; r.gp[1] = 's'; r.gp[2] = 'o'; r.gp[3] = 9; r.gp[4] = 8;
	assert_int_equal(opc_args_decode(rid_of("LAPACKE_dgesvd"), &r, mem_read, NULL, &s), 0);
	assert_int_equal(s.d[0], 9);
	assert_int_equal(s.d[1], 8);
	assert_memory_equal(s.f, "SO\0\0", 4);
}

static void test_need_sse(void **state)
{
	(void)state;
	assert_true(opc_args_need_sse(rid_of("cblas_dgemm")));	/* beta in xmm1 */
	assert_false(opc_args_need_sse(rid_of("dgemm_")));	/* by reference */
	assert_false(opc_args_need_sse(rid_of("cblas_zgemm")));	/* by pointer */
	assert_false(opc_args_need_sse(rid_of("cblas_ddot")));
}

/* Every routine decodes from an all-zero register set pointing at
 * readable memory without error: no descriptor names a parameter that
 * does not exist. */
static void test_every_routine(void **state)
{
	struct opc_argregs r;
	struct opc_shape s;

	(void)state;
	for (int rid = 0; rid < opc_nroutines; rid++) {
		setup_regs(&r);
		for (int i = 0; i < 6; i++)
			r.gp[i] = BASE;
		for (int i = 1; i < 16; i++)
			put_u64(SP_OFF + 8 * i, BASE);
		const struct opc_argdesc *a = &opc_argdescs[rid];
		int n = (int)strlen(a->tokens);

		for (int i = 0; i < 4; i++) {
			assert_true(a->dim[i] < n);
			assert_true(a->flag[i] < n);
		}
		assert_int_equal(opc_args_decode(rid, &r, mem_read, NULL, &s), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cblas_dgemm),
		cmocka_unit_test(test_cblas_sgemm_float_beta),
		cmocka_unit_test(test_fortran_dgemm),
		cmocka_unit_test(test_cblas_zgemm_pointer_scalars),
		cmocka_unit_test(test_sdsdot),
		cmocka_unit_test(test_gesvd),
		cmocka_unit_test(test_need_sse),
		cmocka_unit_test(test_every_routine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
