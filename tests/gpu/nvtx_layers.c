/*
 * nvtx_layers.c - NVTX ranges around CUDA runtime work on the simulated
 * GPU, for tests/integration/gpu_nvtx.sh: every range holds a distinct
 * number of calls, so the report's calls per layer say which range each
 * call was attributed to.  The expected layers are in gpu_nvtx.sh.
 *
 * Stdout gets what the program computed (the same with and without
 * opcount); stderr the levels NVTX push and pop returned (-2, "no
 * tracking", without an injection).
 *
 * It also checks preload/nvtx_abi.h against the NVTX headers.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>
#include <nvtx3/nvToolsExt.h>

#include "../../preload/nvtx_abi.h"

_Static_assert(OPC_NVTX_ETID_CALLBACKS == NVTX_ETID_CALLBACKS, "nvtx_abi.h");
_Static_assert(OPC_NVTX_ETID_VERSIONINFO == NVTX_ETID_VERSIONINFO, "nvtx_abi.h");
_Static_assert(OPC_NVTX_CB_MODULE_CORE == NVTX_CB_MODULE_CORE, "nvtx_abi.h");
_Static_assert(OPC_NVTX_CB_MODULE_CORE2 == NVTX_CB_MODULE_CORE2, "nvtx_abi.h");
_Static_assert(OPC_NVTX_CBID_CORE_RangeStartEx == NVTX_CBID_CORE_RangeStartEx, "nvtx_abi.h");
_Static_assert(OPC_NVTX_CBID_CORE_RangeStartA == NVTX_CBID_CORE_RangeStartA, "nvtx_abi.h");
_Static_assert(OPC_NVTX_CBID_CORE_RangeStartW == NVTX_CBID_CORE_RangeStartW, "nvtx_abi.h");
_Static_assert(OPC_NVTX_CBID_CORE_RangeEnd == NVTX_CBID_CORE_RangeEnd, "nvtx_abi.h");
_Static_assert(OPC_NVTX_CBID_CORE_RangePushEx == NVTX_CBID_CORE_RangePushEx, "nvtx_abi.h");
_Static_assert(OPC_NVTX_CBID_CORE_RangePushA == NVTX_CBID_CORE_RangePushA, "nvtx_abi.h");
_Static_assert(OPC_NVTX_CBID_CORE_RangePushW == NVTX_CBID_CORE_RangePushW, "nvtx_abi.h");
_Static_assert(OPC_NVTX_CBID_CORE_RangePop == NVTX_CBID_CORE_RangePop, "nvtx_abi.h");
_Static_assert(OPC_NVTX_CBID_CORE2_DomainRangeStartEx == NVTX_CBID_CORE2_DomainRangeStartEx,
	       "nvtx_abi.h");
_Static_assert(OPC_NVTX_CBID_CORE2_DomainRangeEnd == NVTX_CBID_CORE2_DomainRangeEnd, "nvtx_abi.h");
_Static_assert(OPC_NVTX_CBID_CORE2_DomainRangePushEx == NVTX_CBID_CORE2_DomainRangePushEx,
	       "nvtx_abi.h");
_Static_assert(OPC_NVTX_CBID_CORE2_DomainRangePop == NVTX_CBID_CORE2_DomainRangePop, "nvtx_abi.h");
_Static_assert(OPC_NVTX_CBID_CORE2_DomainRegisterStringA ==
	       NVTX_CBID_CORE2_DomainRegisterStringA, "nvtx_abi.h");
_Static_assert(OPC_NVTX_CBID_CORE2_DomainRegisterStringW ==
	       NVTX_CBID_CORE2_DomainRegisterStringW, "nvtx_abi.h");
_Static_assert(OPC_NVTX_CBID_CORE2_DomainCreateA == NVTX_CBID_CORE2_DomainCreateA, "nvtx_abi.h");
_Static_assert(OPC_NVTX_CBID_CORE2_DomainCreateW == NVTX_CBID_CORE2_DomainCreateW, "nvtx_abi.h");
_Static_assert(OPC_NVTX_CBID_CORE2_DomainDestroy == NVTX_CBID_CORE2_DomainDestroy, "nvtx_abi.h");
_Static_assert(OPC_NVTX_MESSAGE_TYPE_ASCII == NVTX_MESSAGE_TYPE_ASCII, "nvtx_abi.h");
_Static_assert(OPC_NVTX_MESSAGE_TYPE_UNICODE == NVTX_MESSAGE_TYPE_UNICODE, "nvtx_abi.h");
_Static_assert(OPC_NVTX_MESSAGE_TYPE_REGISTERED == NVTX_MESSAGE_TYPE_REGISTERED, "nvtx_abi.h");
_Static_assert(sizeof(struct opc_nvtx_event_attr) == sizeof(nvtxEventAttributes_t), "nvtx_abi.h");
_Static_assert(offsetof(struct opc_nvtx_event_attr, size) == offsetof(nvtxEventAttributes_t, size),
	       "nvtx_abi.h");
_Static_assert(offsetof(struct opc_nvtx_event_attr, message_type) ==
	       offsetof(nvtxEventAttributes_t, messageType), "nvtx_abi.h");
_Static_assert(offsetof(struct opc_nvtx_event_attr, message) ==
	       offsetof(nvtxEventAttributes_t, message), "nvtx_abi.h");
_Static_assert(sizeof(struct opc_nvtx_etbl_callbacks) == sizeof(NvtxExportTableCallbacks),
	       "nvtx_abi.h");
_Static_assert(sizeof(struct opc_nvtx_etbl_version) == sizeof(NvtxExportTableVersionInfo),
	       "nvtx_abi.h");

#define CHECK(call)                                                                        \
	do {                                                                               \
		cudaError_t e_ = (call);                                                   \
		if (e_ != cudaSuccess) {                                                   \
			fprintf(stderr, "%s:%d: %s: %d\n", __FILE__, __LINE__, #call, e_);  \
			exit(1);                                                           \
		}                                                                          \
	} while (0)

__attribute__((noinline, used)) void layer_kernel(void) { }

static unsigned char *dev, *host;
static cudaStream_t s;

static void launches(int n)
{
	dim3 grid = { 4, 1, 1 }, block = { 32, 1, 1 };
	void *args[1] = { NULL };

	for (int i = 0; i < n; i++)
		CHECK(cudaLaunchKernel((const void *)layer_kernel, grid, block, args, 0, s));
}

static void copies(int n)
{
	for (int i = 0; i < n; i++)
		CHECK(cudaMemcpyAsync(dev + i * 4096, host + i * 4096, 4096, cudaMemcpyHostToDevice,
				      s));
}

static void fills(int n)
{
	for (int i = 0; i < n; i++)
		CHECK(cudaMemsetAsync(dev + i * 4096, i, 4096, s));
}

static nvtxEventAttributes_t ascii_attr(const char *msg)
{
	nvtxEventAttributes_t a;

	memset(&a, 0, sizeof(a));
	a.version = NVTX_VERSION;
	a.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
	a.messageType = NVTX_MESSAGE_TYPE_ASCII;
	a.message.ascii = msg;
	return a;
}

static void *ender(void *id)
{
	nvtxRangeEnd(*(nvtxRangeId_t *)id);
	return NULL;
}

int main(void)
{
	nvtxDomainHandle_t dom;
	nvtxEventAttributes_t a;
	nvtxRangeId_t id1, id2, id3;
	pthread_t th;
	unsigned long sum = 0;

	host = malloc(1 << 16);
	for (int i = 0; i < 1 << 16; i++)
		host[i] = (unsigned char)(i * 13 + 1);
	CHECK(cudaMalloc((void **)&dev, 1 << 16));
	CHECK(cudaStreamCreate(&s));

	fills(1);					/* no layer */

	fprintf(stderr, "push model %d\n", nvtxRangePushA("model"));
	fprintf(stderr, "push encoder %d\n", nvtxRangePushA("encoder"));
	launches(2);					/* model/encoder */
	fprintf(stderr, "pop encoder %d\n", nvtxRangePop());
	nvtxRangePushW(L"d\u00e9codeur");
	launches(3);					/* model/décodeur */
	nvtxRangePop();
	copies(1);					/* model */
	fprintf(stderr, "pop model %d\n", nvtxRangePop());
	fprintf(stderr, "pop nothing %d\n", nvtxRangePop());

	/* a domain's pop closes its range under another domain's */
	dom = nvtxDomainCreateA("mylib");
	a = ascii_attr("block");
	fprintf(stderr, "domain push block %d\n", nvtxDomainRangePushEx(dom, &a));
	launches(4);					/* block */
	nvtxRangePushA("inner");
	copies(1);					/* block/inner */
	fprintf(stderr, "domain pop block %d\n", nvtxDomainRangePop(dom));
	copies(2);					/* inner */
	nvtxRangePop();
	a.messageType = NVTX_MESSAGE_TYPE_REGISTERED;
	a.message.registered = nvtxDomainRegisterStringA(dom, "registered");
	nvtxDomainRangePushEx(dom, &a);
	fills(1);					/* registered */
	nvtxDomainRangePop(dom);
	nvtxDomainDestroy(dom);

	/* start/end ranges need not nest */
	id1 = nvtxRangeStartA("phase1");
	launches(5);					/* phase1 */
	id2 = nvtxRangeStartA("phase2");
	launches(6);					/* phase1/phase2 */
	nvtxRangeEnd(id1);
	launches(7);					/* phase2 */
	nvtxRangeEnd(id2);

	/* ended on another thread: closed at this thread's next NVTX call */
	id3 = nvtxRangeStartA("async");
	launches(1);					/* async */
	if (pthread_create(&th, NULL, ender, &id3) != 0 || pthread_join(th, NULL) != 0)
		return 1;
	nvtxRangePushA("after");
	launches(2);					/* after */
	nvtxRangePop();

	/* PyTorch's emit_nvtx names: one layer per operator */
	nvtxRangePushA("aten::mm, seq = 12, op_id = 3");
	copies(1);					/* aten::mm */
	nvtxRangePop();
	nvtxRangePushA("aten::mm, seq = 13, op_id = 4, sizes = [[2, 3], [3, 4]]");
	copies(1);					/* aten::mm */
	nvtxRangePop();

	CHECK(cudaMemcpy(host, dev, 1 << 16, cudaMemcpyDeviceToHost));	/* no layer */
	CHECK(cudaDeviceSynchronize());
	for (int i = 0; i < 1 << 16; i++)
		sum = sum * 31 + host[i];
	printf("checksum %lu\n", sum);
	return 0;
}
