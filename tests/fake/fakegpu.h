/*
 * fakegpu.h - the simulated GPU shared by the fake CUDA libraries in
 * tests/fake/ (libcudart.so.13, libcublas.so.13, libcublasLt.so.13,
 * libcudnn.so.9), for the GPU tests on machines without a GPU.
 *
 * The device does no arithmetic on the "device" memory it hands out
 * (host memory, so programs may read results), but it keeps time: every
 * piece of work is queued on a stream and occupies it for a known
 * duration, after whatever that stream had queued, starting no earlier
 * than the host call that queued it.  Calls return at once, as on a real
 * GPU; events, stream and device synchronisation follow the same
 * timeline.  So the tests know exactly how long each operation ran on the
 * "GPU" and when, which is what opcount's GPU timing must find.
 *
 * Durations: work of F FLOPs and B bytes takes
 *     FAKEGPU_LAUNCH_NS + F / FAKEGPU_GFLOPS + B / FAKEGPU_GBPS
 * (environment, defaults 2000 ns, 1000 GFLOP/s, 100 GB/s), or what
 * fakegpu_submit is given.
 */
#ifndef FAKEGPU_H
#define FAKEGPU_H

#include <stdint.h>

#define FAKEGPU_EXPORT __attribute__((visibility("default")))

/* Queue `ns` of work on `stream` (a cudaStream_t; 0, cudaStreamLegacy
 * and cudaStreamPerThread are the default stream).  Returns the time the
 * work will end, on CLOCK_MONOTONIC. */
uint64_t fakegpu_submit(void *stream, uint64_t ns);
/* The duration the model above gives to F FLOPs and B bytes. */
uint64_t fakegpu_cost_ns(double flops, double bytes);
/* Busy time of the device (union of all streams' work) finished by now,
 * since the library was loaded: what the fake NVML turns into energy. */
uint64_t fakegpu_busy_ns(void);
/* Every piece of work so far: count, and total queued duration. */
void fakegpu_totals(uint64_t *works, uint64_t *ns);

#endif
