/*
 * step_work.c - training steps of known, distinct durations, for
 * `opcount predict --from-trace TRACE --steps TOTAL`
 * (tests/integration/predict_steps.sh).
 *
 *   step_work [-l NAME] SECS...
 *
 * Sleeps 0.05 s outside any region, then runs one step per SECS: the
 * region NAME (default "step", type "Step") pushed, half of SECS spinning
 * inside a nested region "fwd" (Linear), the other half spinning in the
 * step itself, popped; then 0.1 s asleep outside every region, which is
 * not a step.  Spinning reads CLOCK_MONOTONIC in a loop.  For each step
 * it prints the wall time from its push to the next push (the last: to
 * its pop), the way opcount delimits steps:
 *
 *   step I wall_s W
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opcount.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void spin(double secs)
{
	double end = now_s() + secs;

	while (now_s() < end)
		;
}

static void nap(double secs)
{
	struct timespec ts = { (time_t)secs, (long)((secs - (time_t)secs) * 1e9) };

	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	const char *name = "step";
	double *t0;
	int first = 1, n;

	if (argc > 2 && !strcmp(argv[1], "-l")) {
		name = argv[2];
		first = 3;
	}
	n = argc - first;
	if (n < 1) {
		fprintf(stderr, "usage: step_work [-l NAME] SECS...\n");
		return 2;
	}
	t0 = calloc(n + 1, sizeof(double));
	if (t0 == NULL)
		return 1;
	nap(0.05);
	for (int i = 0; i < n; i++) {
		double secs = atof(argv[first + i]);

		t0[i] = now_s();
		opcount_layer_push(name, "Step");
		opcount_layer_push("fwd", "Linear");
		spin(secs / 2);
		opcount_layer_pop();
		spin(secs / 2);
		opcount_layer_pop();
	}
	t0[n] = now_s();
	for (int i = 0; i < n; i++)
		printf("step %d wall_s %.6f\n", i, t0[i + 1] - t0[i]);
	fflush(stdout);
	nap(0.1);
	free(t0);
	return 0;
}
