/*
 * gpu.h - calls into GPU libraries (cuBLAS, cublasLt, cuDNN, the CUDA
 * runtime): counted on the host like any call, timed on the device.
 *
 * A GPU call returns before its work is done, so the host time of the
 * call says nothing about the work.  Instead the wrapper brackets the call
 * with two CUDA events on the stream the work goes to; the collector
 * thread polls them at its ticks (cudaEventQuery never blocks) and adds
 * the elapsed GPU time to the key.  Nothing ever waits for the GPU: the
 * program's streams see two extra event records per call, nothing else.
 *
 * Usage in a wrapper (see preload/gpu_cublas.c for the pattern):
 *
 *	struct opc_gpu_call g;
 *
 *	if (!opc_gpu_begin(&g, OPC_R_cublasSgemm_v2, __builtin_return_address(0)))
 *		return real(...);
 *	g.call.key.shape.d[0] = m; ...          (the cost comes from the shape)
 *	g.stream = stream;                      (the stream the work goes to)
 *	opc_gpu_enter(&g);
 *	ret = real(...);
 *	opc_gpu_exit(&g, ret == 0);            (0: the call failed, no work queued)
 *	return ret;
 *
 * The CUDA runtime is found at run time among the loaded objects: a
 * program that never loaded libcudart gets no timing (calls are still
 * counted; the report shows them untimed).  No CUDA header is needed to
 * build libopcount.so: preload/cuda_abi.h declares the few types used.
 */
#ifndef OPC_GPU_H
#define OPC_GPU_H

#include "call.h"
#include "resolve.h"

struct opc_gpu_slot;
struct opc_cudart;

struct opc_gpu_call {
	struct opc_call call;
	void *stream;		/* cudaStream_t the work goes to */
	struct opc_gpu_slot *ev;	/* events of this call; NULL if untimed */
	int device;
	int saved_errno;	/* the program's, restored before the real call */
	const struct opc_cudart *rt;	/* the runtime, NULL if absent or the
					   program has an error to read */
};

/*
 * Like opc_call_begin: returns 1 if the call is to be counted; fill
 * g->call.key.shape and g->stream, then opc_gpu_enter, the real call,
 * opc_gpu_exit.  Returns 0 to forward the call untouched (nested,
 * disabled).  The key's device is the calling thread's current device.
 */
int opc_gpu_begin(struct opc_gpu_call *g, int rid, void *site);
void opc_gpu_enter(struct opc_gpu_call *g);
void opc_gpu_exit(struct opc_gpu_call *g, int queued);

/* fork handlers of the GPU files' own locks (called from shim.c) */
void opc_cudnn_atfork_prepare(void);
void opc_cudnn_atfork_parent(void);
void opc_cudnn_atfork_child(void);
void opc_nvtx_atfork_prepare(void);
void opc_nvtx_atfork_parent(void);
void opc_nvtx_atfork_child(void);

/* collector side: complete the finished events of a thread */
void opc_gpu_poll(struct opc_thread *t);
void opc_gpu_thread_free(struct opc_thread *t);
void opc_gpu_thread_forget(struct opc_thread *t);	/* in a fork child */
void opc_gpu_drain(struct opc_thread *threads, int ms);

#endif
