/*
 * gpu_cudart.c - the CUDA runtime calls that queue work themselves: kernel
 * launches, copies and fills (the R lines of common/routines.tbl).
 *
 * Each wrapper only describes its call (shape, stream) and hands it to
 * the GPU core (gpu.h): counted on the host, timed on the GPU between two
 * events on the call's stream.  A synchronous cudaMemcpy is timed the
 * same way, so its time is the copy's (plus whatever the stream had
 * queued before it started: events measure the stream, and the copy waits
 * for that work), never the host's wait.
 *
 * A kernel is named by its host stub: nvcc makes `func`, the address the
 * program passes, a host function whose symbol is the kernel's (mangled)
 * name.  The key's site is that stub, so `opcount report --by site` names
 * the kernel, not the line that launched it (layers say where it was
 * launched from).  Launches from code linked with the static runtime
 * (nvcc's default, -cudart static) never reach these wrappers: see
 * README.md.
 *
 * The _ptsz / _ptds entry points are what code built with per-thread
 * default streams calls: there, stream 0 means the calling thread's
 * default stream, so the events go to cudaStreamPerThread.
 */
#define PR_FMT "opcount"

#include <stddef.h>
#include <stdint.h>

#include "cuda_abi.h"
#include "gpu.h"
#include "log.h"
#include "record.h"
#include "resolve.h"

/* cudaErrorInitializationError: no runtime to forward to */
#define NO_RUNTIME 3

typedef struct opc_cuda_dim3 dim3_t;

static opc_cuda_stream_t event_stream(opc_cuda_stream_t s, int per_thread)
{
	return s == NULL && per_thread ? OPC_CUDA_STREAM_PER_THREAD : s;
}

/*
 * The stub's first byte: the report looks a site up as a return address,
 * one byte back (the call instruction), so a site one past the stub's
 * entry is looked up at the entry itself.
 */
static void *kernel_site(const void *func, void *caller)
{
	return func ? (void *)((uintptr_t)func + 1) : caller;
}

static void launch_shape(struct opc_gpu_call *g, dim3_t grid, dim3_t block, size_t smem)
{
	g->call.key.shape.d[0] = (int64_t)grid.x * grid.y * grid.z;
	g->call.key.shape.d[1] = (int64_t)block.x * block.y * block.z;
	g->call.key.shape.d[2] = (int64_t)smem;
}

/* ---- kernel launches ---- */

typedef opc_cuda_error_t (*launch_t)(const void *, dim3_t, dim3_t, void **, size_t,
				     opc_cuda_stream_t);

static opc_cuda_error_t launch(int rid, int per_thread, void *caller, const void *func,
			       dim3_t grid, dim3_t block, void **args, size_t smem,
			       opc_cuda_stream_t stream)
{
	launch_t real = (launch_t)opc_real(rid);
	struct opc_gpu_call g;
	opc_cuda_error_t ret;

	if (__builtin_expect(real == NULL, 0)) {
		opc_real_missing(rid);
		return NO_RUNTIME;
	}
	if (!opc_gpu_begin(&g, rid, kernel_site(func, caller)))
		return real(func, grid, block, args, smem, stream);
	launch_shape(&g, grid, block, smem);
	g.stream = event_stream(stream, per_thread);
	opc_gpu_enter(&g);
	ret = real(func, grid, block, args, smem, stream);
	opc_gpu_exit(&g, ret == OPC_CUDA_SUCCESS);
	return ret;
}

OPC_EXPORT opc_cuda_error_t cudaLaunchKernel(const void *func, dim3_t grid, dim3_t block,
					     void **args, size_t smem, opc_cuda_stream_t stream)
{
	return launch(OPC_R_cudaLaunchKernel, 0, __builtin_return_address(0), func, grid, block,
		      args, smem, stream);
}

OPC_EXPORT opc_cuda_error_t cudaLaunchKernel_ptsz(const void *func, dim3_t grid, dim3_t block,
						  void **args, size_t smem,
						  opc_cuda_stream_t stream)
{
	return launch(OPC_R_cudaLaunchKernel_ptsz, 1, __builtin_return_address(0), func, grid,
		      block, args, smem, stream);
}

OPC_EXPORT opc_cuda_error_t cudaLaunchCooperativeKernel(const void *func, dim3_t grid,
							dim3_t block, void **args, size_t smem,
							opc_cuda_stream_t stream)
{
	return launch(OPC_R_cudaLaunchCooperativeKernel, 0, __builtin_return_address(0), func,
		      grid, block, args, smem, stream);
}

OPC_EXPORT opc_cuda_error_t cudaLaunchCooperativeKernel_ptsz(const void *func, dim3_t grid,
							     dim3_t block, void **args,
							     size_t smem,
							     opc_cuda_stream_t stream)
{
	return launch(OPC_R_cudaLaunchCooperativeKernel_ptsz, 1, __builtin_return_address(0),
		      func, grid, block, args, smem, stream);
}

typedef opc_cuda_error_t (*launch_ex_t)(const struct opc_cuda_launch_config *, const void *,
					void **);

static opc_cuda_error_t launch_ex(int rid, int per_thread, void *caller,
				  const struct opc_cuda_launch_config *cfg, const void *func,
				  void **args)
{
	launch_ex_t real = (launch_ex_t)opc_real(rid);
	struct opc_gpu_call g;
	opc_cuda_error_t ret;

	if (__builtin_expect(real == NULL, 0)) {
		opc_real_missing(rid);
		return NO_RUNTIME;
	}
	if (cfg == NULL || !opc_gpu_begin(&g, rid, kernel_site(func, caller)))
		return real(cfg, func, args);	/* no configuration: the runtime's error */
	launch_shape(&g, cfg->grid, cfg->block, cfg->smem);
	g.stream = event_stream(cfg->stream, per_thread);
	opc_gpu_enter(&g);
	ret = real(cfg, func, args);
	opc_gpu_exit(&g, ret == OPC_CUDA_SUCCESS);
	return ret;
}

OPC_EXPORT opc_cuda_error_t cudaLaunchKernelExC(const struct opc_cuda_launch_config *cfg,
						const void *func, void **args)
{
	return launch_ex(OPC_R_cudaLaunchKernelExC, 0, __builtin_return_address(0), cfg, func,
			 args);
}

OPC_EXPORT opc_cuda_error_t cudaLaunchKernelExC_ptsz(const struct opc_cuda_launch_config *cfg,
						     const void *func, void **args)
{
	return launch_ex(OPC_R_cudaLaunchKernelExC_ptsz, 1, __builtin_return_address(0), cfg,
			 func, args);
}

/* ---- copies ---- */

/* cudaMemcpyKind as shape flags: source and destination, 'H' host, 'D'
 * device, 'A' inferred by the runtime; '?' an invalid kind (the call fails) */
static void copy_flags(struct opc_gpu_call *g, int kind)
{
	static const char src[] = "HHDDA", dst[] = "HDHDA";

	if (kind < OPC_CUDA_MEMCPY_H2H || kind > OPC_CUDA_MEMCPY_DEFAULT) {
		g->call.key.shape.f[0] = g->call.key.shape.f[1] = '?';
		return;
	}
	g->call.key.shape.f[0] = src[kind];
	g->call.key.shape.f[1] = dst[kind];
}

typedef opc_cuda_error_t (*memcpy_t)(void *, const void *, size_t, int);
typedef opc_cuda_error_t (*memcpy_async_t)(void *, const void *, size_t, int, opc_cuda_stream_t);

static opc_cuda_error_t copy(int rid, int per_thread, void *site, void *dst, const void *src,
			     size_t count, int kind, int async, opc_cuda_stream_t stream)
{
	void *real = opc_real(rid);
	struct opc_gpu_call g;
	opc_cuda_error_t ret;

	if (__builtin_expect(real == NULL, 0)) {
		opc_real_missing(rid);
		return NO_RUNTIME;
	}
	if (!opc_gpu_begin(&g, rid, site))
		goto forward;
	g.call.key.shape.d[0] = (int64_t)count;
	copy_flags(&g, kind);
	g.stream = event_stream(stream, per_thread);
	opc_gpu_enter(&g);
	ret = async ? ((memcpy_async_t)real)(dst, src, count, kind, stream)
		    : ((memcpy_t)real)(dst, src, count, kind);
	opc_gpu_exit(&g, ret == OPC_CUDA_SUCCESS);
	return ret;
forward:
	return async ? ((memcpy_async_t)real)(dst, src, count, kind, stream)
		     : ((memcpy_t)real)(dst, src, count, kind);
}

OPC_EXPORT opc_cuda_error_t cudaMemcpy(void *dst, const void *src, size_t count, int kind)
{
	return copy(OPC_R_cudaMemcpy, 0, __builtin_return_address(0), dst, src, count, kind, 0,
		    NULL);
}

OPC_EXPORT opc_cuda_error_t cudaMemcpy_ptds(void *dst, const void *src, size_t count, int kind)
{
	return copy(OPC_R_cudaMemcpy_ptds, 1, __builtin_return_address(0), dst, src, count, kind,
		    0, NULL);
}

OPC_EXPORT opc_cuda_error_t cudaMemcpyAsync(void *dst, const void *src, size_t count, int kind,
					    opc_cuda_stream_t stream)
{
	return copy(OPC_R_cudaMemcpyAsync, 0, __builtin_return_address(0), dst, src, count, kind,
		    1, stream);
}

OPC_EXPORT opc_cuda_error_t cudaMemcpyAsync_ptsz(void *dst, const void *src, size_t count,
						 int kind, opc_cuda_stream_t stream)
{
	return copy(OPC_R_cudaMemcpyAsync_ptsz, 1, __builtin_return_address(0), dst, src, count,
		    kind, 1, stream);
}

typedef opc_cuda_error_t (*memcpy2d_t)(void *, size_t, const void *, size_t, size_t, size_t,
				       int);
typedef opc_cuda_error_t (*memcpy2d_async_t)(void *, size_t, const void *, size_t, size_t,
					     size_t, int, opc_cuda_stream_t);

static opc_cuda_error_t copy2d(int rid, int per_thread, void *site, void *dst, size_t dpitch,
			       const void *src, size_t spitch, size_t width, size_t height,
			       int kind, int async, opc_cuda_stream_t stream)
{
	void *real = opc_real(rid);
	struct opc_gpu_call g;
	opc_cuda_error_t ret;

#define CALL2D(real)                                                                         \
	(async ? ((memcpy2d_async_t)(real))(dst, dpitch, src, spitch, width, height, kind,     \
					    stream)                                            \
	       : ((memcpy2d_t)(real))(dst, dpitch, src, spitch, width, height, kind))
	if (__builtin_expect(real == NULL, 0)) {
		opc_real_missing(rid);
		return NO_RUNTIME;
	}
	if (!opc_gpu_begin(&g, rid, site))
		return CALL2D(real);
	g.call.key.shape.d[0] = (int64_t)width;
	g.call.key.shape.d[1] = (int64_t)height;
	copy_flags(&g, kind);
	g.stream = event_stream(stream, per_thread);
	opc_gpu_enter(&g);
	ret = CALL2D(real);
	opc_gpu_exit(&g, ret == OPC_CUDA_SUCCESS);
	return ret;
#undef CALL2D
}

OPC_EXPORT opc_cuda_error_t cudaMemcpy2D(void *dst, size_t dpitch, const void *src,
					 size_t spitch, size_t width, size_t height, int kind)
{
	return copy2d(OPC_R_cudaMemcpy2D, 0, __builtin_return_address(0), dst, dpitch, src,
		      spitch, width, height, kind, 0, NULL);
}

OPC_EXPORT opc_cuda_error_t cudaMemcpy2D_ptds(void *dst, size_t dpitch, const void *src,
					      size_t spitch, size_t width, size_t height,
					      int kind)
{
	return copy2d(OPC_R_cudaMemcpy2D_ptds, 1, __builtin_return_address(0), dst, dpitch, src,
		      spitch, width, height, kind, 0, NULL);
}

OPC_EXPORT opc_cuda_error_t cudaMemcpy2DAsync(void *dst, size_t dpitch, const void *src,
					      size_t spitch, size_t width, size_t height,
					      int kind, opc_cuda_stream_t stream)
{
	return copy2d(OPC_R_cudaMemcpy2DAsync, 0, __builtin_return_address(0), dst, dpitch, src,
		      spitch, width, height, kind, 1, stream);
}

OPC_EXPORT opc_cuda_error_t cudaMemcpy2DAsync_ptsz(void *dst, size_t dpitch, const void *src,
						   size_t spitch, size_t width, size_t height,
						   int kind, opc_cuda_stream_t stream)
{
	return copy2d(OPC_R_cudaMemcpy2DAsync_ptsz, 1, __builtin_return_address(0), dst, dpitch,
		      src, spitch, width, height, kind, 1, stream);
}

/* ---- fills ---- */

typedef opc_cuda_error_t (*memset_t)(void *, int, size_t);
typedef opc_cuda_error_t (*memset_async_t)(void *, int, size_t, opc_cuda_stream_t);

static opc_cuda_error_t fill(int rid, int per_thread, void *site, void *ptr, int value,
			     size_t count, int async, opc_cuda_stream_t stream)
{
	void *real = opc_real(rid);
	struct opc_gpu_call g;
	opc_cuda_error_t ret;

#define CALLSET(real)                                                                        \
	(async ? ((memset_async_t)(real))(ptr, value, count, stream)                           \
	       : ((memset_t)(real))(ptr, value, count))
	if (__builtin_expect(real == NULL, 0)) {
		opc_real_missing(rid);
		return NO_RUNTIME;
	}
	if (!opc_gpu_begin(&g, rid, site))
		return CALLSET(real);
	g.call.key.shape.d[0] = (int64_t)count;
	g.stream = event_stream(stream, per_thread);
	opc_gpu_enter(&g);
	ret = CALLSET(real);
	opc_gpu_exit(&g, ret == OPC_CUDA_SUCCESS);
	return ret;
#undef CALLSET
}

OPC_EXPORT opc_cuda_error_t cudaMemset(void *ptr, int value, size_t count)
{
	return fill(OPC_R_cudaMemset, 0, __builtin_return_address(0), ptr, value, count, 0, NULL);
}

OPC_EXPORT opc_cuda_error_t cudaMemset_ptds(void *ptr, int value, size_t count)
{
	return fill(OPC_R_cudaMemset_ptds, 1, __builtin_return_address(0), ptr, value, count, 0,
		    NULL);
}

OPC_EXPORT opc_cuda_error_t cudaMemsetAsync(void *ptr, int value, size_t count,
					    opc_cuda_stream_t stream)
{
	return fill(OPC_R_cudaMemsetAsync, 0, __builtin_return_address(0), ptr, value, count, 1,
		    stream);
}

OPC_EXPORT opc_cuda_error_t cudaMemsetAsync_ptsz(void *ptr, int value, size_t count,
						 opc_cuda_stream_t stream)
{
	return fill(OPC_R_cudaMemsetAsync_ptsz, 1, __builtin_return_address(0), ptr, value, count,
		    1, stream);
}

typedef opc_cuda_error_t (*memset2d_t)(void *, size_t, int, size_t, size_t);
typedef opc_cuda_error_t (*memset2d_async_t)(void *, size_t, int, size_t, size_t,
					     opc_cuda_stream_t);

static opc_cuda_error_t fill2d(int rid, int per_thread, void *site, void *ptr, size_t pitch,
			       int value, size_t width, size_t height, int async,
			       opc_cuda_stream_t stream)
{
	void *real = opc_real(rid);
	struct opc_gpu_call g;
	opc_cuda_error_t ret;

#define CALLSET2D(real)                                                                      \
	(async ? ((memset2d_async_t)(real))(ptr, pitch, value, width, height, stream)          \
	       : ((memset2d_t)(real))(ptr, pitch, value, width, height))
	if (__builtin_expect(real == NULL, 0)) {
		opc_real_missing(rid);
		return NO_RUNTIME;
	}
	if (!opc_gpu_begin(&g, rid, site))
		return CALLSET2D(real);
	g.call.key.shape.d[0] = (int64_t)width;
	g.call.key.shape.d[1] = (int64_t)height;
	g.stream = event_stream(stream, per_thread);
	opc_gpu_enter(&g);
	ret = CALLSET2D(real);
	opc_gpu_exit(&g, ret == OPC_CUDA_SUCCESS);
	return ret;
#undef CALLSET2D
}

OPC_EXPORT opc_cuda_error_t cudaMemset2D(void *ptr, size_t pitch, int value, size_t width,
					 size_t height)
{
	return fill2d(OPC_R_cudaMemset2D, 0, __builtin_return_address(0), ptr, pitch, value,
		      width, height, 0, NULL);
}

OPC_EXPORT opc_cuda_error_t cudaMemset2D_ptds(void *ptr, size_t pitch, int value, size_t width,
					      size_t height)
{
	return fill2d(OPC_R_cudaMemset2D_ptds, 1, __builtin_return_address(0), ptr, pitch, value,
		      width, height, 0, NULL);
}

OPC_EXPORT opc_cuda_error_t cudaMemset2DAsync(void *ptr, size_t pitch, int value, size_t width,
					      size_t height, opc_cuda_stream_t stream)
{
	return fill2d(OPC_R_cudaMemset2DAsync, 0, __builtin_return_address(0), ptr, pitch, value,
		      width, height, 1, stream);
}

OPC_EXPORT opc_cuda_error_t cudaMemset2DAsync_ptsz(void *ptr, size_t pitch, int value,
						   size_t width, size_t height,
						   opc_cuda_stream_t stream)
{
	return fill2d(OPC_R_cudaMemset2DAsync_ptsz, 1, __builtin_return_address(0), ptr, pitch,
		      value, width, height, 1, stream);
}
