/*
 * util.h - small helpers shared by the subcommands.
 */
#ifndef OPC_UTIL_H
#define OPC_UTIL_H

#include <json-c/json.h>
#include <stddef.h>

/* 1234567 -> "1.23M": three significant digits and an SI prefix. */
void opc_si(char *buf, size_t len, double v);

/*
 * Parse a whole JSON document strictly (no trailing commas, no single
 * quotes, nothing after the value).  NULL on error, with "line L, column
 * C: not valid JSON: ..." in why.
 */
json_object *opc_json_parse_strict(const char *text, char *why, size_t len);

#endif
