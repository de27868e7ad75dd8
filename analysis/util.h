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

/*
 * Error messages of a file parser: "PATH: what is wrong".  fail returns
 * -EINVAL so that a parser can `return opc_errctx_fail(c, ...)`.
 */
struct opc_errctx {
	const char *path;
	char *err;
	size_t len;
};

void opc_errctx_init(struct opc_errctx *c, const char *path, char *err, size_t len);
int opc_errctx_fail(struct opc_errctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
