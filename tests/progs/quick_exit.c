/*
 * quick_exit.c - processes that end through _exit or _Exit, with no exit
 * handler: the library must still end their traces.
 *
 *   quick_exit fork N      forks a child that makes N cblas_dgemm calls
 *                          (8 x 8 x 8, 1024 FLOPs each) and at once calls
 *                          _exit(3); the parent waits for it, makes N
 *                          calls too and returns 0.  Prints "pid parent P",
 *                          "pid child C" and "child status S".
 *   quick_exit Exit N      the same, the child ending with _Exit(3).
 *   quick_exit signal MS   makes dgemm calls and malloc/free pairs in a
 *                          loop until a SIGALRM after MS milliseconds,
 *                          whose handler calls _exit(7): the handler may
 *                          interrupt malloc, or the library.
 *   quick_exit vfork N     N calls, a vfork child whose exec fails and
 *                          that calls _exit(127), N calls, return 0: the
 *                          child must leave the parent's trace alone.
 *
 * Run in a fresh directory: the traces are written to the current one.
 */
#include <cblas.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define N	8

static double a[N * N], b[N * N], c[N * N];

static void calls(int n)
{
	for (int i = 0; i < n; i++)
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0, a, N, b,
			    N, 0.0, c, N);
}

static void on_alarm(int sig)
{
	(void)sig;
	_exit(7);
}

static int child_exit(int use_Exit, int n)
{
	int status;
	pid_t pid;

	printf("pid parent %d\n", (int)getpid());
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return perror("fork"), 1;
	if (pid == 0) {
		calls(n);
		if (use_Exit)
			_Exit(3);
		_exit(3);
	}
	if (waitpid(pid, &status, 0) != pid)
		return perror("waitpid"), 1;
	printf("pid child %d\nchild status %d\n", (int)pid, WIFEXITED(status) ?
	       WEXITSTATUS(status) : 128 + WTERMSIG(status));
	calls(n);
	return 0;
}

static __attribute__((noreturn)) void in_signal(int ms)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = (ms % 1000) * 1000;
	signal(SIGALRM, on_alarm);
	setitimer(ITIMER_REAL, &it, NULL);
	for (unsigned i = 0;; i++) {
		void *p = malloc(16 + (i % 4096));

		calls(1);
		free(p);
	}
}

static int vfork_child(int n)
{
	char *argv[] = { "/nonexistent/quick_exit", NULL };
	int status;
	pid_t pid;

	printf("pid parent %d\n", (int)getpid());
	fflush(stdout);
	calls(n);
	pid = vfork();
	if (pid < 0)
		return perror("vfork"), 1;
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return perror("waitpid"), 1;
	printf("child status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	calls(n);
	return 0;
}

int main(int argc, char **argv)
{
	int n;

	if (argc != 3) {
		fprintf(stderr, "usage: quick_exit fork|Exit|signal|vfork N\n");
		return 2;
	}
	n = atoi(argv[2]);
	for (int i = 0; i < N * N; i++) {
		a[i] = i % 7;
		b[i] = i % 5;
	}
	if (strcmp(argv[1], "fork") == 0)
		return child_exit(0, n);
	if (strcmp(argv[1], "Exit") == 0)
		return child_exit(1, n);
	if (strcmp(argv[1], "signal") == 0)
		in_signal(n);
	if (strcmp(argv[1], "vfork") == 0)
		return vfork_child(n);
	fprintf(stderr, "quick_exit: unknown mode %s\n", argv[1]);
	return 2;
}
