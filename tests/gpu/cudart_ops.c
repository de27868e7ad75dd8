/*
 * cudart_ops.c - kernel launches, copies and fills through the CUDA
 * runtime, on the simulated GPU (tests/fake/cudart_ops.c), for
 * tests/integration/gpu_cudart.sh.
 *
 * The "kernels" are host functions standing in for nvcc's host stubs:
 * what the program passes to cudaLaunchKernel is such a function, whose
 * symbol is the kernel's name.  Stdout gets what the program computed,
 * identical with and without opcount; stderr gets, per routine, the calls
 * and the GPU time the simulated device spent on them (from its own
 * account, fakegpu_totals), for the test to compare with the report.
 *
 * It also checks preload/cuda_abi.h against the real headers.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cuda_runtime_api.h>

#include "../../preload/cuda_abi.h"
#include "../fake/fakegpu.h"

_Static_assert(OPC_CUDA_MEMCPY_H2H == cudaMemcpyHostToHost, "cuda_abi.h");
_Static_assert(OPC_CUDA_MEMCPY_H2D == cudaMemcpyHostToDevice, "cuda_abi.h");
_Static_assert(OPC_CUDA_MEMCPY_D2H == cudaMemcpyDeviceToHost, "cuda_abi.h");
_Static_assert(OPC_CUDA_MEMCPY_D2D == cudaMemcpyDeviceToDevice, "cuda_abi.h");
_Static_assert(OPC_CUDA_MEMCPY_DEFAULT == cudaMemcpyDefault, "cuda_abi.h");
_Static_assert(sizeof(struct opc_cuda_dim3) == sizeof(dim3), "cuda_abi.h");
_Static_assert(sizeof(struct opc_cuda_launch_config) == sizeof(cudaLaunchConfig_t), "cuda_abi.h");
_Static_assert(offsetof(struct opc_cuda_launch_config, block) ==
	       offsetof(cudaLaunchConfig_t, blockDim), "cuda_abi.h");
_Static_assert(offsetof(struct opc_cuda_launch_config, smem) ==
	       offsetof(cudaLaunchConfig_t, dynamicSmemBytes), "cuda_abi.h");
_Static_assert(offsetof(struct opc_cuda_launch_config, stream) ==
	       offsetof(cudaLaunchConfig_t, stream), "cuda_abi.h");
_Static_assert(offsetof(struct opc_cuda_launch_config, nattrs) ==
	       offsetof(cudaLaunchConfig_t, numAttrs), "cuda_abi.h");
_Static_assert(OPC_CUDA_SUCCESS == cudaSuccess, "cuda_abi.h");

#define MB (1 << 20)

/* Stand-ins for host stubs: distinct bodies, so that no two share an
 * address (identical code folding). */
static volatile int stub_calls[4];
__attribute__((noinline, used)) void scale_kernel(void) { stub_calls[0]++; }
__attribute__((noinline, used)) void reduce_kernel(void) { stub_calls[1] += 2; }
__attribute__((noinline, used)) void exc_kernel(void) { stub_calls[2] += 3; }
__attribute__((noinline, used)) void coop_kernel(void) { stub_calls[3] += 4; }

static dim3 dim3_make(unsigned x, unsigned y, unsigned z)
{
	dim3 d = { x, y, z };

	return d;
}

static uint64_t mark, wall;

/* GPU time queued since the last call, by the simulated device's account */
static uint64_t gpu_ns_since(void)
{
	uint64_t n, ns, d;

	fakegpu_totals(&n, &ns);
	d = ns - mark;
	mark = ns;
	return d;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/*
 * Asynchronous calls are queued behind 50 ms of other work on their
 * stream (fakegpu_submit: not a call opcount sees), so that each call's
 * start event is reached exactly when the work before it ends, however
 * long the host takes to queue them: their GPU time is exact.
 */
static void busy_stream(cudaStream_t st)
{
	fakegpu_submit(st, 50000000);
	gpu_ns_since();
}

#define CHECK(call)                                                                        \
	do {                                                                               \
		cudaError_t e_ = (call);                                                   \
		if (e_ != cudaSuccess) {                                                   \
			fprintf(stderr, "%s:%d: %s: %d\n", __FILE__, __LINE__, #call, e_);  \
			exit(1);                                                           \
		}                                                                          \
	} while (0)

/*
 * A synchronous call's end event can only be recorded once it returned:
 * its GPU time lies between the copy's and the host's time in the call
 * (the host may be descheduled before it records the event, on a real
 * GPU too).  timed() adds up the latter.
 */
#define timed(call)                                                                        \
	do {                                                                               \
		uint64_t t0_ = now_ns();                                                   \
		CHECK(call);                                                               \
		wall += now_ns() - t0_;                                                    \
	} while (0)

/* a group of calls: NAME CALLS BYTES GPU-NS [HOST-NS of synchronous calls] */
static void expect(const char *what, int calls, uint64_t bytes)
{
	fprintf(stderr, "expect %s %d %llu %llu", what, calls, (unsigned long long)bytes,
		(unsigned long long)gpu_ns_since());
	if (wall)
		fprintf(stderr, " %llu", (unsigned long long)wall);
	fputc('\n', stderr);
	wall = 0;
}

int main(void)
{
	unsigned char *h = malloc(4 * MB), *back = malloc(4 * MB), *d_a, *d_b;
	cudaStream_t s;
	unsigned long sum = 0;
	void *args[1] = { NULL };

	for (int i = 0; i < 4 * MB; i++)
		h[i] = (unsigned char)(i * 7 + 3);
	memset(back, 0, 4 * MB);	/* no page faults inside a timed call */
	CHECK(cudaMalloc((void **)&d_a, 4 * MB));
	CHECK(cudaMalloc((void **)&d_b, 4 * MB));
	CHECK(cudaStreamCreate(&s));
	gpu_ns_since();

	/* copies: 2 synchronous H2D of 1 MiB, 3 asynchronous H2D of 512 KiB */
	for (int i = 0; i < 2; i++)
		timed(cudaMemcpy(d_a + i * MB, h + i * MB, MB, cudaMemcpyHostToDevice));
	expect("cudaMemcpy:HD", 2, 2 * MB);
	busy_stream(s);
	for (int i = 0; i < 3; i++)
		CHECK(cudaMemcpyAsync(d_a + 2 * MB + i * MB / 2, h + 2 * MB + i * MB / 2, MB / 2,
				      cudaMemcpyHostToDevice, s));
	expect("cudaMemcpyAsync:HD", 3, 3 * MB / 2);
	CHECK(cudaStreamSynchronize(s));

	/* kernels: 5 x scale (64 x 256 threads), 3 x reduce ((8,8) x 128,
	 * 4 KiB shared), 1 through cudaLaunchKernelExC, 1 cooperative */
	busy_stream(s);
	for (int i = 0; i < 5; i++)
		CHECK(cudaLaunchKernel((const void *)scale_kernel, dim3_make(64, 1, 1),
				       dim3_make(256, 1, 1), args, 0, s));
	for (int i = 0; i < 3; i++)
		CHECK(cudaLaunchKernel((const void *)reduce_kernel, dim3_make(8, 8, 1),
				       dim3_make(128, 1, 1), args, 4096, s));
	expect("launch", 8, 0);
	{
		cudaLaunchConfig_t cfg;

		memset(&cfg, 0, sizeof(cfg));
		cfg.gridDim = dim3_make(32, 1, 1);
		cfg.blockDim = dim3_make(64, 1, 1);
		cfg.stream = s;
		CHECK(cudaLaunchKernelExC(&cfg, (const void *)exc_kernel, args));
		expect("cudaLaunchKernelExC", 1, 0);
	}
	CHECK(cudaLaunchCooperativeKernel((const void *)coop_kernel, dim3_make(16, 1, 1),
					  dim3_make(32, 1, 1), args, 0, s));
	expect("cudaLaunchCooperativeKernel", 1, 0);
	CHECK(cudaStreamSynchronize(s));

	/* calls the runtime refuses queue nothing: a rejected call each, 0 bytes */
	if (cudaLaunchKernel(NULL, dim3_make(1, 1, 1), dim3_make(1, 1, 1), args, 0, s) ==
	    cudaSuccess)
		return 1;
	if (cudaMemcpy(d_b, d_a, 16, (enum cudaMemcpyKind)42) == cudaSuccess)
		return 1;
	(void)cudaGetLastError();

	/* fills, device-to-device copies, a 2D copy, and the way back */
	timed(cudaMemset(d_b, 0, MB));
	timed(cudaMemset(d_b + MB, 1, MB));
	expect("cudaMemset", 2, 2 * MB);
	busy_stream(s);
	CHECK(cudaMemsetAsync(d_b + 2 * MB, 2, 2 * MB, s));
	expect("cudaMemsetAsync", 1, 2 * MB);
	CHECK(cudaMemcpyAsync(d_b, d_a, 3 * MB, cudaMemcpyDeviceToDevice, s));
	expect("cudaMemcpyAsync:DD", 1, 3 * MB);
	CHECK(cudaStreamSynchronize(s));
	timed(cudaMemcpy2D(d_b + 3 * MB, 1024, d_a + 3 * MB, 2048, 512, 256,
			   cudaMemcpyDeviceToDevice));
	expect("cudaMemcpy2D:DD", 1, 512 * 256);
	timed(cudaMemcpy(back, d_b, 4 * MB, cudaMemcpyDeviceToHost));
	expect("cudaMemcpy:DH", 1, 4 * MB);
	CHECK(cudaDeviceSynchronize());

	for (int i = 0; i < 4 * MB; i++)
		sum = sum * 31 + back[i];
	printf("checksum %lu\n", sum);
	CHECK(cudaStreamDestroy(s));
	CHECK(cudaFree(d_a));
	CHECK(cudaFree(d_b));
	free(h);
	free(back);
	return 0;
}
