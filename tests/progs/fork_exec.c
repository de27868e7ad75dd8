/*
 * fork_exec.c - BLAS work in a parent, a forked child and an exec'd child.
 *
 *   fork_exec                  the parent (see below)
 *   fork_exec --exec-child     what the exec'd child runs
 *   fork_exec --then-exec PROG [ARGS...]
 *                              no fork: the pre-exec work, its "pid" and
 *                              "expect" lines (role preexec), then exec PROG
 *                              in the same process
 *
 * The parent does some work, forks a child that does other work and
 * exits, forks a second child that execs this program with --exec-child
 * (which does a third amount of work), does more work of its own while
 * they run, and waits for both.  With --work-before-exec the second child
 * also calls BLAS before it execs, so that one pid runs two images that
 * both call BLAS.
 *
 * Each process's work uses different routines and counts, so a call
 * counted in the wrong process shows up.  The parent prints, after both
 * children have finished:
 *
 *   pid ROLE PID               ROLE: parent, child, exec
 *   expect ROLE FLOPS CALLS    what ROLE's own trace must hold
 *   expect_op ROLE OP FLOPS CALLS
 *
 * With --work-before-exec the "exec" role's pid ran both the pre-exec
 * work (role "preexec") and the exec'd work.
 */
#include <cblas.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct count {
	uint64_t flops, calls;
};

/* per role, per routine */
enum { R_PARENT, R_CHILD, R_PREEXEC, R_EXEC, NROLES };
enum { O_DGEMM, O_DDOT, O_DGEMV, O_DAXPY, O_DSCAL, NOPS };
static const char *role_name[NROLES] = { "parent", "child", "preexec", "exec" };
static const char *op_name[NOPS] = { "dgemm", "ddot", "dgemv", "daxpy", "dscal" };
static struct count expect[NROLES][NOPS];

static double buf_a[64 * 64], buf_b[64 * 64], buf_c[64 * 64];

/* 0: only add up what the work would count (the parent does that for its
 * children, without calling BLAS) */
static int run = 1;

static void gemm(int role, int n, int times)
{
	for (int i = 0; run && i < times; i++)
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, buf_a, n,
			    buf_b, n, 0.0, buf_c, n);
	expect[role][O_DGEMM].flops += (uint64_t)times * 2 * n * n * n;
	expect[role][O_DGEMM].calls += times;
}

static void dot(int role, int n, int times)
{
	for (int i = 0; run && i < times; i++)
		buf_c[0] = cblas_ddot(n, buf_a, 1, buf_b, 1);
	expect[role][O_DDOT].flops += (uint64_t)times * 2 * n;
	expect[role][O_DDOT].calls += times;
}

static void gemv(int role, int m, int n, int times)
{
	for (int i = 0; run && i < times; i++)
		cblas_dgemv(CblasRowMajor, CblasNoTrans, m, n, 1.0, buf_a, n, buf_b, 1, 0.0,
			    buf_c, 1);
	expect[role][O_DGEMV].flops += (uint64_t)times * 2 * m * n;
	expect[role][O_DGEMV].calls += times;
}

static void axpy(int role, int n, int times)
{
	for (int i = 0; run && i < times; i++)
		cblas_daxpy(n, 0.5, buf_a, 1, buf_c, 1);
	expect[role][O_DAXPY].flops += (uint64_t)times * 2 * n;
	expect[role][O_DAXPY].calls += times;
}

static void scal(int role, int n, int times)
{
	for (int i = 0; run && i < times; i++)
		cblas_dscal(n, 1.0, buf_c, 1);
	expect[role][O_DSCAL].flops += (uint64_t)times * n;
	expect[role][O_DSCAL].calls += times;
}

/* Each role's work, so that the parent can compute every expectation
 * without the children having to report back. */
static void work_parent_before(void) { gemm(R_PARENT, 16, 3); }
static void work_parent_after(void)  { gemv(R_PARENT, 10, 20, 4); }
static void work_child(void)         { dot(R_CHILD, 100, 5); gemm(R_CHILD, 8, 2); }
static void work_preexec(void)       { scal(R_PREEXEC, 30, 6); }
static void work_exec(void)          { axpy(R_EXEC, 50, 7); gemm(R_EXEC, 4, 1); }

static void print_role(int role, pid_t pid)
{
	uint64_t f = 0, c = 0;

	printf("pid %s %ld\n", role_name[role], (long)pid);
	for (int o = 0; o < NOPS; o++) {
		f += expect[role][o].flops;
		c += expect[role][o].calls;
	}
	printf("expect %s %" PRIu64 " %" PRIu64 "\n", role_name[role], f, c);
	for (int o = 0; o < NOPS; o++)
		if (expect[role][o].calls)
			printf("expect_op %s %s %" PRIu64 " %" PRIu64 "\n", role_name[role],
			       op_name[o], expect[role][o].flops, expect[role][o].calls);
}

static int wait_ok(pid_t pid, const char *what)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "fork_exec: %s child failed (status 0x%x)\n", what, st);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int before_exec = argc > 1 && !strcmp(argv[1], "--work-before-exec");
	pid_t child, execd;
	int bad = 0;

	for (int i = 0; i < 64 * 64; i++) {
		buf_a[i] = (i % 7) * 0.125;
		buf_b[i] = (i % 5) * 0.25;
	}
	if (argc > 1 && !strcmp(argv[1], "--exec-child")) {
		work_exec();
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "--then-exec")) {
		work_preexec();
		print_role(R_PREEXEC, getpid());
		fflush(stdout);
		execv(argv[2], argv + 2);
		perror("fork_exec: execv");
		return 127;
	}
	if (argc > 1 && !before_exec) {
		fprintf(stderr, "usage: fork_exec [--work-before-exec | --exec-child | "
			"--then-exec PROG [ARGS...]]\n");
		return 2;
	}

	work_parent_before();
	/* Nothing buffered may be written twice by the children. */
	fflush(stdout);

	child = fork();
	if (child < 0) {
		perror("fork_exec: fork");
		return 2;
	}
	if (child == 0) {
		work_child();
		exit(0);	/* exit handlers run: the child's trace is finished */
	}

	execd = fork();
	if (execd < 0) {
		perror("fork_exec: fork");
		return 2;
	}
	if (execd == 0) {
		char *args[] = { argv[0], "--exec-child", NULL };

		if (before_exec)
			work_preexec();
		execv("/proc/self/exe", args);
		perror("fork_exec: execv /proc/self/exe");
		_exit(127);
	}

	work_parent_after();
	bad |= wait_ok(child, "forked");
	bad |= wait_ok(execd, "exec'd");

	/* Only the parent knows every pid; it works out the children's
	 * expectations with the functions they ran, calling nothing. */
	run = 0;
	work_child();
	work_exec();
	if (before_exec)
		work_preexec();

	print_role(R_PARENT, getpid());
	print_role(R_CHILD, child);
	print_role(R_EXEC, execd);
	if (before_exec)
		print_role(R_PREEXEC, execd);
	return bad;
}
