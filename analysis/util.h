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

/*
 * Numbers given on a command line or read from a trace's INFO, parsed
 * strictly: the whole string is the number (no empty string, no blank
 * before or after, nothing after it), in [min, max].  Integers are decimal;
 * other numbers are decimal with an optional exponent ("1.5", "2e9"), never
 * "inf", "nan" or hexadecimal.  0, or -EINVAL (bad text) or -ERANGE (out of
 * [min, max]); *out is set only on success.
 */
int opc_parse_long(const char *s, long min, long max, long *out);
int opc_parse_double(const char *s, double min, double max, double *out);

/*
 * Untrusted text (names and paths read from a trace, a command line) as a
 * terminal may show it: every control character (bytes 0x00-0x1f and 0x7f,
 * and the C1 controls U+0080-U+009F), every byte that is not part of valid
 * UTF-8, and the backslash are written as \xNN (the backslash as \\), so
 * that nothing a trace holds can move the cursor, change colours or start
 * a new line.  Text without any of them is returned as it is (the same
 * pointer); otherwise the escaped copy lives in one of a few rotating
 * buffers, valid until OPC_TTY_SLOTS more calls.  NULL stays NULL.
 */
#define OPC_TTY_SLOTS 8
const char *opc_tty(const char *s);

/* The number of bytes at s that form one valid UTF-8 character (1 to 4),
 * or 0 if the byte at s does not begin one. */
int opc_utf8_len(const char *s);

/*
 * A JSON string of untrusted text, always valid UTF-8: each byte that is
 * not part of a valid UTF-8 character becomes U+FFFD (the replacement
 * character), as Python's errors="replace" does; control characters are
 * escaped by json-c (\u001b).  NULL for NULL (a JSON null).
 */
json_object *opc_json_string(const char *s);
/* The same text as a malloc'd C string (NULL when out of memory), for a
 * JSON object's key. */
char *opc_utf8_dup(const char *s);

/* A JSON number, or null where v is not finite (JSON has no inf nor NaN). */
json_object *opc_json_double(double v);

#endif
