/*
 * energy_work.c - BLAS work in phases of known power, for the energy tests.
 *
 *   energy_work [SECONDS [fork]]   seconds per BLAS phase, default 0.3
 *
 * Phases, each in its own layer so that `opcount report --by layer` has
 * one row per phase:
 *
 *   1  layer A (Dense)  cblas_dgemm 160 x 160 x 160, back to back
 *   2  layer B (Gemv)   cblas_dgemv 640 x 640
 *   3  no layer         sleep SECONDS / 2: no BLAS at all (outside energy)
 *   4  layer C (Dot)    cblas_ddot n = 16384
 *   0  the tail: exit, and the library's last sample
 *
 * When OPC_FAKE_PHASE names the phase file of tests/progs/fake_rapl (or
 * the fake NVML), the program announces each phase there: it stores the
 * CLOCK_MONOTONIC time of the change, then the phase number, so the fake
 * counter switches power at exactly that time and the truth of a phase is
 * its power times its duration.  The phase is stored before the layer is
 * entered and after its last call returned, so every call of layer X runs
 * entirely under X's power.
 *
 * It prints, per phase, the time it measured itself inside BLAS calls
 * (busy) and in the phase (wall):
 *
 *   phase K NAME calls N busy_s B wall_s W
 *   cpu0_s C0             (process CPU time once the library has started:
 *                          a first, empty region makes it start, its
 *                          energy counts from there)
 *   cpu_s C               (process CPU time at the end of main)
 *
 * With "fork", after phase 4 a fork child runs layer F (cblas_dgemm, as
 * A) for SECONDS and exits, the parent waiting for it; the child prints
 *
 *   child PID wall_s W     (from before its first call to after its last)
 *
 * A fork child's trace must hold the energy of its own run, not its
 * parent's before the fork.  The phase is not announced (the child's
 * fake counter should have one power).
 */
#include <cblas.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "opcount.h"

struct fake_phase {		/* as in fake_rapl.c */
	uint64_t t_ns;
	uint32_t phase;
};

static struct fake_phase *shared;
static double sink;
static double loop_wall;	/* run_phase's, from before its first call to after its last */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void set_phase(uint32_t k)
{
	if (shared == NULL)
		return;
	shared->t_ns = now_ns();
	__atomic_store_n(&shared->phase, k, __ATOMIC_RELEASE);
}

static void map_phase(void)
{
	const char *p = getenv("OPC_FAKE_PHASE");
	int fd;

	if (p == NULL || *p == 0)
		return;
	fd = open(p, O_RDWR);
	if (fd < 0) {
		perror(p);
		exit(2);
	}
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (shared == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
}

enum { GEMM = 1, GEMV, DOT };

/* Calls one routine back to back for `secs`; returns the time inside. */
static double run_phase(uint32_t k, const char *layer, const char *type, int what,
			double secs, long *ncalls)
{
	enum { NM = 160, NV = 640, ND = 16384 };
	static double a[NV * NV], b[NM * NM], c[NM * NM], x[ND], y[ND];
	uint64_t start, end, busy = 0;
	long n = 0;

	for (int i = 0; i < NV * NV; i++)
		a[i] = (double)(i % 17) / 17.0;
	for (int i = 0; i < NM * NM; i++)
		b[i] = (double)(i % 13) / 13.0;
	for (int i = 0; i < ND; i++)
		x[i] = y[i] = (double)(i % 7) / 7.0;

	set_phase(k);
	opcount_layer_push(layer, type);
	start = now_ns();
	end = start + (uint64_t)(secs * 1e9);
	for (uint64_t t = start; t < end; n++) {
		uint64_t t0 = now_ns(), t1;

		switch (what) {
		case GEMM:
			cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, NM, NM, NM, 1.0, a,
				    NM, b, NM, 0.0, c, NM);
			break;
		case GEMV:
			cblas_dgemv(CblasRowMajor, CblasNoTrans, NV, NV, 1.0, a, NV, x, 1, 0.0,
				    y, 1);
			break;
		case DOT:
			sink += cblas_ddot(ND, x, 1, y, 1);
			break;
		}
		t1 = now_ns();
		busy += t1 - t0;
		t = t1;
	}
	opcount_layer_pop();
	loop_wall = (now_ns() - start) / 1e9;
	*ncalls = n;
	sink += c[0] + y[0];
	return busy / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 0.3;
	double busy;
	struct timespec ts;
	uint64_t w0;
	long n;

	if (secs <= 0 || secs > 60 || (argc > 2 && strcmp(argv[2], "fork"))) {
		fprintf(stderr, "usage: energy_work [SECONDS per phase, 0 < s <= 60 [fork]]\n");
		return 2;
	}
	map_phase();

	opcount_layer_push("start", "");	/* the library starts: its baseline */
	opcount_layer_pop();
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	printf("cpu0_s %.6f\n", ts.tv_sec + ts.tv_nsec / 1e9);
	w0 = now_ns();
	busy = run_phase(1, "A", "Dense", GEMM, secs, &n);
	printf("phase 1 A calls %ld busy_s %.6f wall_s %.6f\n", n, busy, (now_ns() - w0) / 1e9);

	w0 = now_ns();
	busy = run_phase(2, "B", "Gemv", GEMV, secs, &n);
	printf("phase 2 B calls %ld busy_s %.6f wall_s %.6f\n", n, busy, (now_ns() - w0) / 1e9);

	set_phase(3);
	w0 = now_ns();
	ts.tv_sec = (time_t)(secs / 2);
	ts.tv_nsec = (long)((secs / 2 - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0)
		;
	printf("phase 3 idle calls 0 busy_s 0 wall_s %.6f\n", (now_ns() - w0) / 1e9);

	w0 = now_ns();
	busy = run_phase(4, "C", "Dot", DOT, secs, &n);
	printf("phase 4 C calls %ld busy_s %.6f wall_s %.6f\n", n, busy, (now_ns() - w0) / 1e9);
	set_phase(0);

	if (argc > 2) {
		pid_t pid;
		int st;

		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			run_phase(0, "F", "Dense", GEMM, secs, &n);
			printf("child %d wall_s %.6f\n", (int)getpid(), loop_wall);
			exit(0);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0) {
			fprintf(stderr, "energy_work: the fork child failed\n");
			return 1;
		}
	}

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	printf("cpu_s %.6f\n", ts.tv_sec + ts.tv_nsec / 1e9);
	printf("checksum %.3f\n", sink > 0 ? 1.0 : 0.0);
	return 0;
}
