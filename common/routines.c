/*
 * routines.c - look-ups in the generated routine table.
 */
#include <string.h>

#include "routines.h"

const char *opc_iface_name(int iface)
{
	switch (iface) {
	case OPC_IF_CBLAS: return "cblas";
	case OPC_IF_FORTRAN: return "fortran";
	case OPC_IF_LAPACKE: return "lapacke";
	case OPC_IF_CUBLAS: return "cublas";
	case OPC_IF_CUBLASLT: return "cublaslt";
	case OPC_IF_CUDNN: return "cudnn";
	case OPC_IF_CUDART: return "cudart";
	case OPC_IF_DNNL: return "dnnl";
	case OPC_IF_REGION: return "region";
	case OPC_IF_MPI: return "mpi";
	case OPC_IF_NCCL: return "nccl";
	case OPC_IF_GLOO: return "gloo";
	}
	return "?";
}

/* Linear: used at start-up and by tools, never per call. */
int opc_routine_find(const char *symbol)
{
	for (int i = 0; i < opc_nroutines; i++)
		if (!strcmp(opc_routines[i].symbol, symbol))
			return i;
	return -1;
}

void opc_routine_cost(int rid, const struct opc_shape *s, struct opc_cost *out)
{
	const struct opc_routine *r = &opc_routines[rid];

	out->flops = 0;
	out->bytes = 0;
	r->cost(s, r->prec, out);
}
