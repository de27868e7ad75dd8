/*
 * idle_loop.c - one BLAS call, then SECONDS of sleep: what the collector
 * costs while the program does nothing (sampling overhead).
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	double x[4] = { 1, 2, 3, 4 };
	int secs = argc > 1 ? atoi(argv[1]) : 5;

	printf("%g\n", cblas_ddot(4, x, 1, x, 1));
	fflush(stdout);
	sleep(secs);
	return 0;
}
