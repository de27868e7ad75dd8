/*
 * gloo_abi.h - what preload/gloo.c reads of Gloo's option objects.
 *
 * Gloo (libgloo.so.0, PyTorch's CPU backend of torch.distributed) has a C++
 * interface: each collective is a free function taking an options object,
 * and the sizes are members of that object.  Gloo has no stable ABI (its
 * soname is .0 for every snapshot), so these are the offsets of the build
 * Debian 12's PyTorch links (libgloo0 0.0~git20220518.5b14351), on x86-64
 * with libstdc++; tests/progs/gloo_layout.cc checks every one against
 * Gloo's own headers (libgloo-dev) with offsetof, and gloo.c checks what
 * it reads for sense before it uses it.
 *
 *   Context           vptr, int rank, int size
 *   UnboundBuffer     vptr, void *ptr, size_t size
 *   AllreduceOptions  its impl_ first: shared_ptr<Context> context (the
 *                     Context * first), timeout, algorithm, vector in,
 *                     vector out, size_t elements, size_t elementSize
 *   BroadcastOptions  shared_ptr<Context> context, unique_ptr in, out,
 *   ReduceOptions     size_t elements, elementSize, int root
 *   AllgatherOptions  shared_ptr<Context> context, unique_ptr in, out,
 *                     size_t elementSize (out holds the p blocks)
 *   BarrierOptions    shared_ptr<Context> context
 */
#ifndef OPC_GLOO_ABI_H
#define OPC_GLOO_ABI_H

#define OPC_GLOO_CONTEXT		0	/* every options object: Context * */
#define OPC_GLOO_CONTEXT_RANK		8
#define OPC_GLOO_CONTEXT_SIZE		12
#define OPC_GLOO_BUFFER_SIZE		16	/* UnboundBuffer::size */

#define OPC_GLOO_ALLREDUCE_ELEMENTS	80
#define OPC_GLOO_ALLREDUCE_ELEMENT_SIZE	88
#define OPC_GLOO_ROOTED_ELEMENTS	32	/* broadcast, reduce */
#define OPC_GLOO_ROOTED_ELEMENT_SIZE	40
#define OPC_GLOO_ROOTED_ROOT		48
#define OPC_GLOO_ALLGATHER_OUT		24	/* unique_ptr<UnboundBuffer> */

#endif
