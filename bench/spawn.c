/*
 * spawn.c - wall time of starting a program and waiting for it, without a
 * shell in between: what loading libopcount.so adds to a process.
 * Prints one time per run, in microseconds, for bench/load.sh's medians.
 *
 *   spawn RUNS PROGRAM [ARGS...]
 *
 * The program gets spawn's environment: preload spawn itself to preload
 * the program (spawn's own load is outside the timed runs).  Its output
 * goes to /dev/null.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[1]) : 0;
	posix_spawn_file_actions_t fa;

	if (runs < 1) {
		fprintf(stderr, "usage: spawn RUNS PROGRAM [ARGS...]\n");
		return 2;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	for (int i = 0; i < runs; i++) {
		double t0 = now_us();
		pid_t pid;
		int status;

		if (posix_spawn(&pid, argv[2], &fa, NULL, argv + 2, environ)) {
			perror(argv[2]);
			return 1;
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "%s failed\n", argv[2]);
			return 1;
		}
		printf("%.1f\n", now_us() - t0);
	}
	return 0;
}
