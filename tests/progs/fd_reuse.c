/*
 * fd_reuse.c - a program that takes the trace's descriptor number for a
 * file of its own, as programs that close every descriptor they did not
 * open (closefrom, close_range) and then open files, or that dup2 onto a
 * number of their choosing, do.
 *
 *   fd_reuse MODE TRACE DIR
 *
 * Calls BLAS (batch A), waits for the library to write it, finds the
 * descriptor of TRACE in /proc/self/fd, then, by MODE:
 *
 *   closefrom  closes every descriptor >= 3 and opens DIR/own.0, own.1...
 *              until one of them gets the trace's number
 *   dup2       opens DIR/own.0 and dup2s it onto the trace's number
 *   moved      renames TRACE to TRACE.moved, then as closefrom
 *   replaced   renames TRACE to TRACE.moved, creates a file of its own
 *              at TRACE ("not a trace\n"), then as closefrom
 *
 * It then writes known lines through that number, calls BLAS (batch B),
 * waits for the library to write (or try to), writes more lines, calls
 * BLAS (batch C) and exits.  It prints
 *
 *   fd N                the number
 *   own FILE            the file of its own that has it
 *   expect A FLOPS CALLS      batch A alone
 *   expect ABC FLOPS CALLS    all three
 *
 * The content of FILE must be exactly what fd_reuse printed to stdout
 * after the line "content:".  A closefrom that misses the number (the
 * library took it again in between) is retried.
 */
#define _GNU_SOURCE
#include <cblas.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double a[64 * 64], b[64 * 64], c[64 * 64];

static void batch_a(void)
{
	for (int i = 0; i < 3; i++)
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 16, 16, 16, 1.0, a, 16, b,
			    16, 0.0, c, 16);
}
#define A_FLOPS (3ull * 2 * 16 * 16 * 16)
#define A_CALLS 3

static void batch_b(void)
{
	for (int i = 0; i < 5; i++)
		c[0] = cblas_ddot(100, a, 1, b, 1);
}
#define B_FLOPS (5ull * 2 * 100)

static void batch_c(void)
{
	for (int i = 0; i < 4; i++)
		cblas_dgemv(CblasRowMajor, CblasNoTrans, 10, 20, 1.0, a, 20, b, 1, 0.0, c, 1);
}
#define C_FLOPS (4ull * 2 * 10 * 20)
#define ABC_CALLS (3 + 5 + 4)

/* Long enough for several of the library's ticks (10 ms by default). */
static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* The descriptor open on path, or -1. */
static int find_fd(const char *path)
{
	char link[320], target[PATH_MAX], want[PATH_MAX];
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int fd = -1;

	if (d == NULL || realpath(path, want) == NULL)
		return -1;
	while ((e = readdir(d))) {
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (!strcmp(target, want)) {
			fd = atoi(e->d_name);
			break;
		}
	}
	closedir(d);
	return fd;
}

static void close_from_3(void)
{
	if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0)
		return;
	for (int fd = 3; fd < 65536; fd++)
		close(fd);
}

/* closefrom(3), then own.0, own.1... until one gets number tfd: its
 * index, or -1. */
static int take_by_opening(const char *dir, int tfd)
{
	char path[PATH_MAX];

	for (int attempt = 0; attempt < 20; attempt++) {
		close_from_3();
		for (int k = 0;; k++) {
			int fd;

			snprintf(path, sizeof(path), "%s/own.%d", dir, k);
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0) {
				perror(path);
				return -1;
			}
			if (fd == tfd)
				return k;
			if (fd > tfd)
				break;	/* the library had it again: once more */
		}
	}
	return -1;
}

static int write_all(int fd, const char *s)
{
	size_t n = strlen(s);

	return write(fd, s, n) == (ssize_t)n ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *mode, *trace, *dir;
	char path[PATH_MAX], moved[PATH_MAX], line[128];
	int tfd, own = 0, fd;

	if (argc != 4) {
		fprintf(stderr, "usage: fd_reuse closefrom|dup2|moved|replaced TRACE DIR\n");
		return 2;
	}
	mode = argv[1];
	trace = argv[2];
	dir = argv[3];
	for (int i = 0; i < 64 * 64; i++) {
		a[i] = (i % 7) * 0.125;
		b[i] = (i % 5) * 0.25;
	}

	batch_a();
	pause_ms(50);
	tfd = find_fd(trace);
	if (tfd < 0) {
		fprintf(stderr, "fd_reuse: %s is open on no descriptor\n", trace);
		return 2;
	}
	snprintf(moved, sizeof(moved), "%s.moved", trace);
	if (!strcmp(mode, "moved") || !strcmp(mode, "replaced")) {
		if (rename(trace, moved) < 0) {
			perror("fd_reuse: rename");
			return 2;
		}
	}
	if (!strcmp(mode, "replaced")) {
		fd = open(trace, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || write_all(fd, "not a trace\n") < 0) {
			perror("fd_reuse: replacing the trace");
			return 2;
		}
		close(fd);
	}
	if (!strcmp(mode, "dup2")) {
		snprintf(path, sizeof(path), "%s/own.0", dir);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, tfd) != tfd) {
			perror("fd_reuse: dup2");
			return 2;
		}
		close(fd);
	} else if (!strcmp(mode, "closefrom") || !strcmp(mode, "moved") ||
		   !strcmp(mode, "replaced")) {
		own = take_by_opening(dir, tfd);
		if (own < 0) {
			fprintf(stderr, "fd_reuse: no file of mine got descriptor %d\n", tfd);
			return 2;
		}
	} else {
		fprintf(stderr, "fd_reuse: unknown mode %s\n", mode);
		return 2;
	}

	printf("fd %d\nown %s/own.%d\n", tfd, dir, own);
	printf("expect A %llu %d\n", A_FLOPS, A_CALLS);
	printf("expect ABC %llu %d\n", A_FLOPS + B_FLOPS + C_FLOPS, ABC_CALLS);
	printf("content:\n");
	for (int part = 1; part <= 2; part++) {
		snprintf(line, sizeof(line), "fd_reuse %s: part %d of the program's own file\n",
			 mode, part);
		if (write_all(tfd, line) < 0) {
			perror("fd_reuse: write");
			return 2;
		}
		fputs(line, stdout);
		if (part == 1) {
			batch_b();
			pause_ms(50);
		}
	}
	batch_c();
	return 0;
}
