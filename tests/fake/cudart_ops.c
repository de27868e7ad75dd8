/*
 * cudart_ops.c - the fake CUDA runtime's work: kernel launches, copies and
 * fills, queued on the simulated GPU (fakegpu.h).  Linked into the same
 * libcudart.so.13 as cudart.c.
 *
 * Durations, so that tests know what the GPU time must be:
 *   copy or fill of B bytes:  fakegpu_cost_ns(0, B)
 *                             (FAKEGPU_LAUNCH_NS + B / FAKEGPU_GBPS)
 *   kernel of N threads:      fakegpu_cost_ns(0, 0) + N * FAKEGPU_THREAD_NS
 *                             (grid x block threads; default 1 ns each)
 * Synchronous copies and fills return when their work has ended, as the
 * real ones do for pageable host memory.  The data really moves (host
 * memory stands in for device memory); kernels do nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cuda_runtime_api.h>

#include "fakegpu.h"

#define EXPORT FAKEGPU_EXPORT

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* Until t: asleep, then spinning for the last stretch, so that a
 * synchronous call returns as soon as its work ends (the tests compare
 * event times with the work's). */
static void wait_until(uint64_t t)
{
	uint64_t n = now_ns();

	if (t > n + 200000) {
		uint64_t d = t - n - 200000;
		struct timespec ts = { (time_t)(d / 1000000000u), (long)(d % 1000000000u) };

		nanosleep(&ts, NULL);
	}
	while (now_ns() < t)
		;
}

static int valid_kind(enum cudaMemcpyKind kind)
{
	return kind >= cudaMemcpyHostToHost && kind <= cudaMemcpyDefault;
}

/* ---- kernels ---- */

static cudaError_t launch(const void *func, dim3 grid, dim3 block, cudaStream_t stream)
{
	const char *v = getenv("FAKEGPU_THREAD_NS");
	double per_thread = v && *v ? atof(v) : 1;
	double threads = (double)grid.x * grid.y * grid.z * block.x * block.y * block.z;

	if (func == NULL)
		return cudaErrorInvalidDeviceFunction;
	if (threads == 0 || block.x * block.y * block.z > 1024)
		return cudaErrorInvalidConfiguration;
	fakegpu_submit(stream, fakegpu_cost_ns(0, 0) + (uint64_t)(threads * per_thread));
	return cudaSuccess;
}

EXPORT cudaError_t cudaLaunchKernel(const void *func, dim3 grid, dim3 block, void **args,
				    size_t smem, cudaStream_t stream)
{
	return launch(func, grid, block, stream);
}

EXPORT cudaError_t cudaLaunchKernel_ptsz(const void *func, dim3 grid, dim3 block, void **args,
					 size_t smem, cudaStream_t stream)
{
	return launch(func, grid, block, stream);
}

EXPORT cudaError_t cudaLaunchCooperativeKernel(const void *func, dim3 grid, dim3 block,
					       void **args, size_t smem, cudaStream_t stream)
{
	return launch(func, grid, block, stream);
}

EXPORT cudaError_t cudaLaunchCooperativeKernel_ptsz(const void *func, dim3 grid, dim3 block,
						    void **args, size_t smem,
						    cudaStream_t stream)
{
	return launch(func, grid, block, stream);
}

EXPORT cudaError_t cudaLaunchKernelExC(const cudaLaunchConfig_t *cfg, const void *func,
				       void **args)
{
	if (cfg == NULL)
		return cudaErrorInvalidValue;
	return launch(func, cfg->gridDim, cfg->blockDim, cfg->stream);
}

EXPORT cudaError_t cudaLaunchKernelExC_ptsz(const cudaLaunchConfig_t *cfg, const void *func,
					    void **args)
{
	return cudaLaunchKernelExC(cfg, func, args);
}

/* ---- copies ---- */

static cudaError_t copy2d(void *dst, size_t dpitch, const void *src, size_t spitch,
			  size_t width, size_t height, enum cudaMemcpyKind kind,
			  cudaStream_t stream, int sync)
{
	uint64_t end;

	if (!valid_kind(kind))
		return cudaErrorInvalidMemcpyDirection;
	if (height > 1 && (width > dpitch || width > spitch))
		return cudaErrorInvalidPitchValue;
	if (width && height && (dst == NULL || src == NULL))
		return cudaErrorInvalidValue;
	/* queued first: the host's own copy takes no GPU time */
	end = fakegpu_submit(stream, fakegpu_cost_ns(0, (double)width * height));
	for (size_t r = 0; r < height; r++)
		memmove((char *)dst + r * dpitch, (const char *)src + r * spitch, width);
	if (sync)
		wait_until(end);
	return cudaSuccess;
}

EXPORT cudaError_t cudaMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind)
{
	return copy2d(dst, count, src, count, count, 1, kind, NULL, 1);
}

EXPORT cudaError_t cudaMemcpy_ptds(void *dst, const void *src, size_t count,
				   enum cudaMemcpyKind kind)
{
	return copy2d(dst, count, src, count, count, 1, kind, cudaStreamPerThread, 1);
}

EXPORT cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count,
				   enum cudaMemcpyKind kind, cudaStream_t stream)
{
	return copy2d(dst, count, src, count, count, 1, kind, stream, 0);
}

EXPORT cudaError_t cudaMemcpyAsync_ptsz(void *dst, const void *src, size_t count,
					enum cudaMemcpyKind kind, cudaStream_t stream)
{
	return copy2d(dst, count, src, count, count, 1, kind, stream, 0);
}

EXPORT cudaError_t cudaMemcpy2D(void *dst, size_t dpitch, const void *src, size_t spitch,
				size_t width, size_t height, enum cudaMemcpyKind kind)
{
	return copy2d(dst, dpitch, src, spitch, width, height, kind, NULL, 1);
}

EXPORT cudaError_t cudaMemcpy2D_ptds(void *dst, size_t dpitch, const void *src, size_t spitch,
				     size_t width, size_t height, enum cudaMemcpyKind kind)
{
	return copy2d(dst, dpitch, src, spitch, width, height, kind, cudaStreamPerThread, 1);
}

EXPORT cudaError_t cudaMemcpy2DAsync(void *dst, size_t dpitch, const void *src, size_t spitch,
				     size_t width, size_t height, enum cudaMemcpyKind kind,
				     cudaStream_t stream)
{
	return copy2d(dst, dpitch, src, spitch, width, height, kind, stream, 0);
}

EXPORT cudaError_t cudaMemcpy2DAsync_ptsz(void *dst, size_t dpitch, const void *src,
					  size_t spitch, size_t width, size_t height,
					  enum cudaMemcpyKind kind, cudaStream_t stream)
{
	return copy2d(dst, dpitch, src, spitch, width, height, kind, stream, 0);
}

/* ---- fills ---- */

static cudaError_t fill2d(void *ptr, size_t pitch, int value, size_t width, size_t height,
			  cudaStream_t stream, int sync)
{
	uint64_t end;

	if (height > 1 && width > pitch)
		return cudaErrorInvalidPitchValue;
	if (width && height && ptr == NULL)
		return cudaErrorInvalidValue;
	end = fakegpu_submit(stream, fakegpu_cost_ns(0, (double)width * height));
	for (size_t r = 0; r < height; r++)
		memset((char *)ptr + r * pitch, value, width);
	if (sync)
		wait_until(end);
	return cudaSuccess;
}

EXPORT cudaError_t cudaMemset(void *ptr, int value, size_t count)
{
	return fill2d(ptr, count, value, count, 1, NULL, 1);
}

EXPORT cudaError_t cudaMemset_ptds(void *ptr, int value, size_t count)
{
	return fill2d(ptr, count, value, count, 1, cudaStreamPerThread, 1);
}

EXPORT cudaError_t cudaMemsetAsync(void *ptr, int value, size_t count, cudaStream_t stream)
{
	return fill2d(ptr, count, value, count, 1, stream, 0);
}

EXPORT cudaError_t cudaMemsetAsync_ptsz(void *ptr, int value, size_t count, cudaStream_t stream)
{
	return fill2d(ptr, count, value, count, 1, stream, 0);
}

EXPORT cudaError_t cudaMemset2D(void *ptr, size_t pitch, int value, size_t width, size_t height)
{
	return fill2d(ptr, pitch, value, width, height, NULL, 1);
}

EXPORT cudaError_t cudaMemset2D_ptds(void *ptr, size_t pitch, int value, size_t width,
				     size_t height)
{
	return fill2d(ptr, pitch, value, width, height, cudaStreamPerThread, 1);
}

EXPORT cudaError_t cudaMemset2DAsync(void *ptr, size_t pitch, int value, size_t width,
				     size_t height, cudaStream_t stream)
{
	return fill2d(ptr, pitch, value, width, height, stream, 0);
}

EXPORT cudaError_t cudaMemset2DAsync_ptsz(void *ptr, size_t pitch, int value, size_t width,
					  size_t height, cudaStream_t stream)
{
	return fill2d(ptr, pitch, value, width, height, stream, 0);
}

/* ---- what per-thread default stream programs call besides ---- */

EXPORT cudaError_t cudaStreamSynchronize_ptsz(cudaStream_t stream)
{
	return cudaStreamSynchronize(stream);
}
