/*
 * nvtx_abi.h - the NVTX v3 injection interface, as far as libopcount.so
 * uses it (the NVTX analogue of cuda_abi.h: no NVTX header is needed to
 * build the library).  Values and layouts are those of
 * nvtx3/nvToolsExt.h and nvtx3/nvtxDetail/nvtxTypes.h (CUDA 13);
 * tests/gpu/nvtx_layers.c checks them against the headers.
 *
 * An injection library exports InitializeInjectionNvtx2(getExportTable).
 * getExportTable(OPC_NVTX_ETID_CALLBACKS) gives GetModuleFunctionTable,
 * which gives, per module, an array indexed by callback id of pointers to
 * the calling program's function pointers: the injection stores its own
 * functions through them.
 */
#ifndef OPC_NVTX_ABI_H
#define OPC_NVTX_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#define OPC_NVTX_ETID_CALLBACKS		1	/* NVTX_ETID_CALLBACKS */
#define OPC_NVTX_ETID_VERSIONINFO	3	/* NVTX_ETID_VERSIONINFO */

#define OPC_NVTX_CB_MODULE_CORE		1	/* NVTX_CB_MODULE_CORE */
#define OPC_NVTX_CB_MODULE_CORE2	5	/* NVTX_CB_MODULE_CORE2 */

/* NvtxCallbackIdCore */
#define OPC_NVTX_CBID_CORE_RangeStartEx	4
#define OPC_NVTX_CBID_CORE_RangeStartA	5
#define OPC_NVTX_CBID_CORE_RangeStartW	6
#define OPC_NVTX_CBID_CORE_RangeEnd	7
#define OPC_NVTX_CBID_CORE_RangePushEx	8
#define OPC_NVTX_CBID_CORE_RangePushA	9
#define OPC_NVTX_CBID_CORE_RangePushW	10
#define OPC_NVTX_CBID_CORE_RangePop	11

/* NvtxCallbackIdCore2 */
#define OPC_NVTX_CBID_CORE2_DomainRangeStartEx	2
#define OPC_NVTX_CBID_CORE2_DomainRangeEnd	3
#define OPC_NVTX_CBID_CORE2_DomainRangePushEx	4
#define OPC_NVTX_CBID_CORE2_DomainRangePop	5
#define OPC_NVTX_CBID_CORE2_DomainRegisterStringA 10
#define OPC_NVTX_CBID_CORE2_DomainRegisterStringW 11
#define OPC_NVTX_CBID_CORE2_DomainCreateA	12
#define OPC_NVTX_CBID_CORE2_DomainCreateW	13
#define OPC_NVTX_CBID_CORE2_DomainDestroy	14

/* nvtxMessageType_t */
#define OPC_NVTX_MESSAGE_TYPE_ASCII	 1
#define OPC_NVTX_MESSAGE_TYPE_UNICODE	 2
#define OPC_NVTX_MESSAGE_TYPE_REGISTERED 3

typedef void (*opc_nvtx_fn)(void);			/* NvtxFunctionPointer */
typedef const void *(*opc_nvtx_get_export_table_t)(uint32_t id);	/* NvtxGetExportTableFunc_t */

struct opc_nvtx_etbl_callbacks {			/* NvtxExportTableCallbacks */
	size_t struct_size;
	int (*get_module_function_table)(int module, opc_nvtx_fn ***table, unsigned *size);
};

struct opc_nvtx_etbl_version {				/* NvtxExportTableVersionInfo */
	size_t struct_size;
	uint32_t version;
	uint32_t reserved0;
	void (*set_injection_version)(uint32_t version);
};

struct opc_nvtx_event_attr {				/* nvtxEventAttributes_v2 */
	uint16_t version;
	uint16_t size;
	uint32_t category;
	int32_t color_type;
	uint32_t color;
	int32_t payload_type;
	int32_t reserved0;
	uint64_t payload;
	int32_t message_type;
	union {
		const char *ascii;
		const wchar_t *unicode;
		const void *registered;		/* nvtxStringHandle_t */
	} message;
};

#endif
