/*
 * wakeups.c - the platform's floor for periodic sampling: a thread that
 * only sleeps until the next period, HZ times a second, for SECONDS.
 * Prints its CPU time per wake-up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	long hz = argc > 1 ? atol(argv[1]) : 1000;
	long n = hz * (argc > 2 ? atol(argv[2]) : 5);
	struct timespec t, cpu;

	clock_gettime(CLOCK_MONOTONIC, &t);
	for (long i = 0; i < n; i++) {
		t.tv_nsec += 1000000000 / hz;
		if (t.tv_nsec >= 1000000000) {
			t.tv_nsec -= 1000000000;
			t.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	printf("%.2f\n", (cpu.tv_sec * 1e9 + cpu.tv_nsec) / 1e3 / n);
	return 0;
}
