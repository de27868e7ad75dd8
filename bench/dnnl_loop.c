/*
 * dnnl_loop.c - a tight loop of executions of one tiny oneDNN primitive
 * (ReLU of N floats, forward inference), to measure what the
 * dnnl_primitive_execute wrapper adds per call.  Prints ns per call
 * (wall) and thread CPU ns per call.  With "fresh", each call executes a
 * primitive made for it (created, executed, destroyed: the wrapper reads
 * every descriptor anew, its cache never hits).
 *
 *   dnnl_loop [CALLS] [N] [fresh]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dnnl.h>

static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 1000000L;
	dnnl_dim_t n = argc > 2 ? atol(argv[2]) : 1;
	dnnl_dims_t dims = { n };	/* the API reads DNNL_MAX_NDIMS */
	int fresh = argc > 3 && !strcmp(argv[3], "fresh");
	dnnl_engine_t eng;
	dnnl_stream_t strm;
	dnnl_memory_desc_t md;
	dnnl_eltwise_desc_t ed;
	dnnl_primitive_desc_t pd;
	dnnl_primitive_t prim;
	dnnl_memory_t src, dst;
	float *p;
	double t0, t1, c0, c1;

	if (dnnl_engine_create(&eng, dnnl_cpu, 0) || dnnl_stream_create(&strm, eng, dnnl_stream_default_flags) ||
	    dnnl_memory_desc_init_by_tag(&md, 1, dims, dnnl_f32, dnnl_a) ||
	    dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_inference, dnnl_eltwise_relu, &md, 0, 0) ||
	    dnnl_primitive_desc_create(&pd, &ed, NULL, eng, NULL) || dnnl_primitive_create(&prim, pd) ||
	    dnnl_memory_create(&src, &md, eng, DNNL_MEMORY_ALLOCATE) ||
	    dnnl_memory_create(&dst, &md, eng, DNNL_MEMORY_ALLOCATE)) {
		fprintf(stderr, "dnnl_loop: oneDNN setup failed\n");
		return 1;
	}
	dnnl_memory_get_data_handle(src, (void **)&p);
	for (dnnl_dim_t i = 0; i < n; i++)
		p[i] = (float)i - n / 2.0f;
	dnnl_exec_arg_t args[2] = { { DNNL_ARG_SRC, src }, { DNNL_ARG_DST, dst } };

	t0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_THREAD_CPUTIME_ID);
	for (long i = 0; i < calls; i++) {
		if (fresh && (dnnl_primitive_destroy(prim) || dnnl_primitive_create(&prim, pd))) {
			fprintf(stderr, "dnnl_loop: primitive creation failed\n");
			return 1;
		}
		if (dnnl_primitive_execute(prim, strm, 2, args)) {
			fprintf(stderr, "dnnl_loop: execution failed\n");
			return 1;
		}
	}
	c1 = now(CLOCK_THREAD_CPUTIME_ID);
	t1 = now(CLOCK_MONOTONIC);
	printf("calls %ld n %ld ns_per_call %.1f cpu_ns_per_call %.1f\n", calls, (long)n,
	       (t1 - t0) / calls * 1e9, (c1 - c0) / calls * 1e9);
	dnnl_primitive_destroy(prim);
	dnnl_primitive_desc_destroy(pd);
	return 0;
}
