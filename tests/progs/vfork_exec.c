/*
 * vfork_exec.c - BLAS work around children started the way Python's
 * subprocess (vfork since 3.11), system() and posix_spawn start them.
 *
 *   vfork_exec [--close-fds]   the parent (see below)
 *   vfork_exec --shell         the same, the vfork child running the
 *                              work through a shell (a grandchild)
 *   vfork_exec --exec-child    what each child runs: BLAS work of its own
 *
 * The parent calls BLAS, then starts a child with vfork.  The child shares
 * the parent's memory until it execs: with --close-fds it first closes
 * every descriptor >= 3 (as close_fds=True does), then tries to exec a
 * program that does not exist (as Python and execvp do for each directory
 * of PATH before the right one), then execs this program with
 * --exec-child.  The parent calls BLAS again, starts a second child with
 * posix_spawn (closing descriptors >= 3 in it with --close-fds), calls
 * BLAS a third time and waits for both.  With --shell the vfork child
 * execs /bin/sh, which runs this program with --exec-child as a child of
 * its own.  It prints
 *
 *   pid ROLE PID               ROLE: parent, vfork (the shell's with
 *                              --shell), spawn
 *   expect ROLE FLOPS CALLS    what ROLE's own trace must hold
 */
#define _GNU_SOURCE
#include <cblas.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static double a[64 * 64], b[64 * 64], c[64 * 64];

/* The work of each role, and what it counts. */
static void parent_before(void)
{
	for (int i = 0; i < 3; i++)
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 16, 16, 16, 1.0, a, 16, b,
			    16, 0.0, c, 16);
}
#define PARENT_BEFORE_FLOPS (3ull * 2 * 16 * 16 * 16)

static void parent_between(void)
{
	for (int i = 0; i < 5; i++)
		c[0] = cblas_ddot(100, a, 1, b, 1);
}
#define PARENT_BETWEEN_FLOPS (5ull * 2 * 100)

static void parent_after(void)
{
	for (int i = 0; i < 4; i++)
		cblas_dgemv(CblasRowMajor, CblasNoTrans, 10, 20, 1.0, a, 20, b, 1, 0.0, c, 1);
}
#define PARENT_AFTER_FLOPS (4ull * 2 * 10 * 20)

static void child_work(void)
{
	for (int i = 0; i < 7; i++)
		cblas_daxpy(50, 0.5, a, 1, c, 1);
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 4, 4, 4, 1.0, a, 4, b, 4, 0.0,
		    c, 4);
}
#define CHILD_FLOPS (7ull * 2 * 50 + 2 * 4 * 4 * 4)
#define CHILD_CALLS 8

/* In the vfork child: only system calls, nothing that writes memory the
 * parent would see. */
static void close_fds(void)
{
	if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0)
		return;
	for (int fd = 3; fd < 65536; fd++)
		close(fd);
}

static int wait_ok(pid_t pid, const char *what)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "vfork_exec: the %s child failed (status 0x%x)\n", what, st);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int close_all = argc > 1 && !strcmp(argv[1], "--close-fds");
	int shell = argc > 1 && !strcmp(argv[1], "--shell");
	char *child_argv[] = { argv[0], "--exec-child", NULL };
	/* "; true": the shell may not exec the last command in its place */
	char self[PATH_MAX];
	char *shell_argv[] = { "sh", "-c", "\"$0\" --exec-child; true", self, NULL };
	char *missing_argv[] = { "opcount-no-such-program", NULL };
	posix_spawn_file_actions_t fa;
	pid_t vchild, schild;
	int bad = 0, ret;

	for (int i = 0; i < 64 * 64; i++) {
		a[i] = (i % 7) * 0.125;
		b[i] = (i % 5) * 0.25;
	}
	if (argc > 1 && !strcmp(argv[1], "--exec-child")) {
		child_work();
		return 0;
	}
	if (argc > 1 && !close_all && !shell) {
		fprintf(stderr, "usage: vfork_exec [--close-fds | --shell | --exec-child]\n");
		return 2;
	}
	if (realpath("/proc/self/exe", self) == NULL) {
		perror("vfork_exec: /proc/self/exe");
		return 2;
	}
	fflush(stdout);

	parent_before();
	vchild = vfork();
	if (vchild < 0) {
		perror("vfork_exec: vfork");
		return 2;
	}
	if (vchild == 0) {
		if (close_all)
			close_fds();
		execv("/nonexistent/opcount-no-such-program", missing_argv);
		if (shell)
			execv("/bin/sh", shell_argv);
		else
			execv("/proc/self/exe", child_argv);
		_exit(127);
	}
	parent_between();

	posix_spawn_file_actions_init(&fa);
	if (close_all)
		posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	ret = posix_spawn(&schild, "/proc/self/exe", &fa, NULL, child_argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret) {
		fprintf(stderr, "vfork_exec: posix_spawn: %s\n", strerror(ret));
		return 2;
	}
	parent_after();
	bad |= wait_ok(vchild, "vfork");
	bad |= wait_ok(schild, "posix_spawn");

	printf("pid parent %ld\n", (long)getpid());
	printf("expect parent %llu %d\n",
	       PARENT_BEFORE_FLOPS + PARENT_BETWEEN_FLOPS + PARENT_AFTER_FLOPS, 3 + 5 + 4);
	printf("pid vfork %ld\n", (long)vchild);
	printf("expect vfork %llu %d\n", CHILD_FLOPS, CHILD_CALLS);
	printf("pid spawn %ld\n", (long)schild);
	printf("expect spawn %llu %d\n", CHILD_FLOPS, CHILD_CALLS);
	return bad;
}
