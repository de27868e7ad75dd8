// gloo_layout.cc - preload/gloo_abi.h against Gloo's own headers: this
// file compiles only if every offset preload/gloo.c reads is Gloo's.
// Built by tests/integration/gloo.sh where libgloo-dev is installed.
#include <cstddef>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>
// the members read are protected: a layout probe may look
#define protected public
#define private public
#include <gloo/allgather.h>
#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/context.h>
#include <gloo/reduce.h>
#include <gloo/transport/unbound_buffer.h>
#undef protected
#undef private

extern "C" {
#include "gloo_abi.h"
}

using namespace gloo;

static_assert(offsetof(Context, rank) == OPC_GLOO_CONTEXT_RANK, "Context::rank");
static_assert(offsetof(Context, size) == OPC_GLOO_CONTEXT_SIZE, "Context::size");
static_assert(offsetof(transport::UnboundBuffer, size) == OPC_GLOO_BUFFER_SIZE,
	      "UnboundBuffer::size");
static_assert(offsetof(AllreduceOptions, impl_) == 0, "AllreduceOptions::impl_");
static_assert(offsetof(detail::AllreduceOptionsImpl, context) == OPC_GLOO_CONTEXT, "context");
static_assert(offsetof(detail::AllreduceOptionsImpl, elements) == OPC_GLOO_ALLREDUCE_ELEMENTS,
	      "AllreduceOptions elements");
static_assert(offsetof(detail::AllreduceOptionsImpl, elementSize) ==
	      OPC_GLOO_ALLREDUCE_ELEMENT_SIZE, "AllreduceOptions elementSize");
static_assert(offsetof(BroadcastOptions, context) == OPC_GLOO_CONTEXT, "context");
static_assert(offsetof(BroadcastOptions, elements) == OPC_GLOO_ROOTED_ELEMENTS, "elements");
static_assert(offsetof(BroadcastOptions, elementSize) == OPC_GLOO_ROOTED_ELEMENT_SIZE,
	      "elementSize");
static_assert(offsetof(BroadcastOptions, root) == OPC_GLOO_ROOTED_ROOT, "root");
static_assert(offsetof(ReduceOptions, context) == OPC_GLOO_CONTEXT, "context");
static_assert(offsetof(ReduceOptions, elements) == OPC_GLOO_ROOTED_ELEMENTS, "elements");
static_assert(offsetof(ReduceOptions, elementSize) == OPC_GLOO_ROOTED_ELEMENT_SIZE,
	      "elementSize");
static_assert(offsetof(ReduceOptions, root) == OPC_GLOO_ROOTED_ROOT, "root");
static_assert(offsetof(AllgatherOptions, context) == OPC_GLOO_CONTEXT, "context");
static_assert(offsetof(AllgatherOptions, out) == OPC_GLOO_ALLGATHER_OUT, "out");
static_assert(offsetof(BarrierOptions, context) == OPC_GLOO_CONTEXT, "context");
static_assert(sizeof(std::shared_ptr<Context>) == 16 && sizeof(std::unique_ptr<int>) == 8,
	      "smart pointers hold the pointer first");

int main()
{
	return 0;
}
