/*
 * region_work.c - layer regions with work outside BLAS, for the layer
 * time tests (tests/integration/layer_time.sh).
 *
 *   region_work [SCALE]      SCALE multiplies every duration (default 1)
 *
 * In order, on the main thread unless said:
 *
 *   net (Model)                   pushed first, popped last
 *     dense (Dense)               cblas_dgemm 96^3 back to back for 0.15 s,
 *                                 then 0.10 s of spinning (no BLAS)
 *     act (ReLU)                  0.15 s of spinning: longer than many
 *                                 sampling intervals
 *     (net itself)                0.05 s of spinning
 *   (no region)                   0.10 s asleep
 *   worker thread: worker (Worker)  0.10 s spinning, popped;
 *                  leak (Leak)      0.05 s spinning, never popped: the
 *                                   thread exits inside it
 *                                   (main waits outside every region)
 *
 * Spinning reads CLOCK_MONOTONIC in a loop.  For each region it prints
 * the wall time the thread spent in it as the innermost region and the
 * time inside its own BLAS calls, measured around them:
 *
 *   region NAME wall_s W busy_s B
 */
#include <cblas.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "opcount.h"

static double scale = 1;
static double a[96 * 96], b[96 * 96], c[96 * 96];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void spin(double secs)
{
	double end = now_s() + secs * scale;

	while (now_s() < end)
		;
}

/* dgemm back to back for secs; returns the time inside the calls */
static double gemms(double secs)
{
	double end = now_s() + secs * scale, busy = 0;

	for (double t = now_s(); t < end;) {
		double t0 = now_s();

		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 96, 96, 96, 1.0, a, 96, b,
			    96, 0.0, c, 96);
		t = now_s();
		busy += t - t0;
	}
	return busy;
}

static void *worker(void *arg)
{
	double t0;

	(void)arg;
	opcount_layer_push("worker", "Worker");
	t0 = now_s();
	spin(0.10);
	printf("region worker wall_s %.6f busy_s 0\n", now_s() - t0);
	opcount_layer_pop();
	opcount_layer_push("leak", "Leak");
	t0 = now_s();
	spin(0.05);
	printf("region leak wall_s %.6f busy_s 0\n", now_s() - t0);
	fflush(stdout);
	return NULL;	/* inside "leak": the thread's exit ends it */
}

int main(int argc, char **argv)
{
	double t0, net = 0, busy;
	pthread_t th;

	if (argc > 1)
		scale = atof(argv[1]);
	if (!(scale > 0 && scale <= 20)) {
		fprintf(stderr, "usage: region_work [SCALE, 0 < s <= 20]\n");
		return 2;
	}
	for (int i = 0; i < 96 * 96; i++) {
		a[i] = (double)(i % 7) / 7.0;
		b[i] = (double)(i % 5) / 5.0;
	}
	opcount_layer_push("net", "Model");
	t0 = now_s();
	opcount_layer_push("dense", "Dense");
	net += now_s() - t0;
	t0 = now_s();
	busy = gemms(0.15);
	spin(0.10);
	printf("region dense wall_s %.6f busy_s %.6f\n", now_s() - t0, busy);
	t0 = now_s();
	opcount_layer_pop();
	opcount_layer_push("act", "ReLU");
	net += now_s() - t0;
	t0 = now_s();
	spin(0.15);
	printf("region act wall_s %.6f busy_s 0\n", now_s() - t0);
	t0 = now_s();
	opcount_layer_pop();
	spin(0.05);
	net += now_s() - t0;
	printf("region net wall_s %.6f busy_s 0\n", net);
	opcount_layer_pop();
	fflush(stdout);
	{
		struct timespec ts = { 0, (long)(100000000 * scale) };

		while (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		nanosleep(&ts, NULL);
	}
	if (pthread_create(&th, NULL, worker, NULL) || pthread_join(th, NULL)) {
		fprintf(stderr, "region_work: no thread\n");
		return 1;
	}
	printf("checksum %.3f\n", c[0] > 0 ? 1.0 : 0.0);
	return 0;
}
