/*
 * symbolize.h - addresses of a trace to "function (file:line)" with libdw.
 */
#ifndef OPC_SYMBOLIZE_H
#define OPC_SYMBOLIZE_H

#include <stdint.h>

#include "trace.h"

struct opc_symbolizer;

struct opc_symbolizer *opc_sym_new(const struct opc_trace *t);
/* A string owned by the symbolizer; valid until opc_sym_free. */
const char *opc_sym_addr(struct opc_symbolizer *s, uint64_t addr, int is_return);
/* The function alone ("run_phase", "libx.so+0x1f0" without a symbol):
 * frames that merge in a flame graph whatever the line. */
const char *opc_sym_func(struct opc_symbolizer *s, uint64_t addr, int is_return);
void opc_sym_free(struct opc_symbolizer *s);

#endif
