/*
 * fork_loop.c - a BLAS loop to attach to that forks a BLAS child on demand.
 *
 *   fork_loop ITERS SLEEP_US
 *
 * Prints "ready PID", then runs ITERS iterations of one cblas_dgemm
 * (24 x 24 x 24, 27648 FLOPs), sleeping SLEEP_US between them.  At the
 * first SIGUSR1 it forks a child that
 *   - calls cblas_ddot (n = 100, 200 FLOPs) BURST times at once and prints
 *     "burst PID" (while a tracer that follows forks is attached, these
 *     calls are all counted in the child's own trace);
 *   - waits until no tracer is attached to it (TracerPid 0 in
 *     /proc/self/status; at most 30 s), then calls cblas_dgemv (20 x 30,
 *     1200 FLOPs) AFTER times: a breakpoint left in its copy of the memory
 *     would kill it with SIGTRAP there;
 *   - prints "child checksum X" and exits 0.
 * At the end the parent waits for the child and prints "checksum X" and
 * "child status S" (the wait status, 0 when it exited normally).  The
 * checksums do not depend on timing.
 *
 *   fork_loop --storm SECONDS
 *
 * Prints "ready PID", then until SIGUSR1 (or SECONDS at most) forks
 * children back to back, each calling cblas_ddot (n = 100) 10 times and
 * exiting 0, and waits for each; prints "children N failed F" (F: those
 * that did not exit 0, e.g. killed by the SIGTRAP of a breakpoint left in
 * their memory).  Attaching and detaching meanwhile lands forks in every
 * state the tracer knows.  The end is a signal, not a time, so that a
 * test attaching several times on a slow machine never attaches to a
 * storm that is already over.
 */
#include <cblas.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N	24
#define BURST	100
#define AFTER	50

static volatile sig_atomic_t fork_asked, stop_asked;

static void on_usr1(int sig)
{
	(void)sig;
	fork_asked = 1;
}

static void on_usr1_stop(int sig)
{
	(void)sig;
	stop_asked = 1;
}

static int traced(void)
{
	char line[256];
	int pid = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &pid) == 1)
			break;
	fclose(f);
	return pid != 0;
}

static void child(void)
{
	static double x[600], y[600];
	double sum = 0;
	struct timespec ts = { 0, 10000000 };

	for (int i = 0; i < 600; i++) {
		x[i] = (i % 3) * 0.5;
		y[i] = (i % 11) * 0.125;
	}
	for (int i = 0; i < BURST; i++)
		sum += cblas_ddot(100, x, 1, y, 1);
	printf("burst %d\n", (int)getpid());
	fflush(stdout);
	for (int i = 0; i < 3000 && traced(); i++)
		nanosleep(&ts, NULL);
	for (int i = 0; i < AFTER; i++) {
		cblas_dgemv(CblasRowMajor, CblasNoTrans, 20, 30, 1.0, x, 30, y, 1, 0.0, y + 300, 1);
		sum += y[300 + i % 20];
	}
	printf("child checksum %.9g\n", sum);
	exit(0);
}

static int storm(double secs)
{
	static double x[100], y[100];
	struct timespec t0, t;
	long n = 0, failed = 0;
	int st;

	for (int i = 0; i < 100; i++)
		x[i] = y[i] = i * 0.5;
	signal(SIGUSR1, on_usr1_stop);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		pid_t kid = fork();

		if (kid == 0) {
			for (int i = 0; i < 10; i++)
				y[i] += cblas_ddot(100, x, 1, y, 1) * 1e-9;
			_exit(0);
		}
		if (kid < 0 || waitpid(kid, &st, 0) != kid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			failed++;
		n++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!stop_asked && (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	printf("children %ld failed %ld\n", n, failed);
	return failed != 0;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 1000;
	long us = argc > 2 ? atol(argv[2]) : 1000;
	static double a[N * N], b[N * N], c[N * N];
	double sum = 0;
	pid_t kid = 0;
	int st = 0;

	if (argc > 2 && !strcmp(argv[1], "--storm"))
		return storm(atof(argv[2]));
	signal(SIGUSR1, on_usr1);
	for (int i = 0; i < N * N; i++) {
		a[i] = (i % 7) * 0.25;
		b[i] = (i % 5) * 0.5;
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (long i = 0; i < iters; i++) {
		if (fork_asked && kid == 0) {
			kid = fork();
			if (kid == 0)
				child();
			if (kid < 0) {
				perror("fork_loop: fork");
				return 2;
			}
		}
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0, a, N, b, N,
			    0.0, c, N);
		sum += c[i % (N * N)];
		a[i % (N * N)] += 1e-3;
		if (us)
			usleep(us);
	}
	if (kid > 0 && waitpid(kid, &st, 0) != kid)
		st = -1;
	printf("checksum %.9g\n", sum);
	printf("child status %d\n", st);
	return 0;
}
