/*
 * util.c - small helpers shared by the subcommands.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void opc_si(char *buf, size_t len, double v)
{
	const char *u[] = { "", "k", "M", "G", "T", "P", "E" };
	int i = 0;

	while (v >= 1000 && i < 6) {
		v /= 1000;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.3g%s", v, u[i]);
}

json_object *opc_json_parse_strict(const char *text, char *why, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *root;

	if (tok == NULL) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, text, (int)strlen(text));
	if (root != NULL && text[json_tokener_get_parse_end(tok) +
				 strspn(text + json_tokener_get_parse_end(tok), " \t\r\n")]) {
		json_object_put(root);
		root = NULL;
	}
	if (root == NULL) {
		/* line and column of where the tokenizer stopped */
		size_t off = json_tokener_get_parse_end(tok), line = 1, col = 1;

		for (size_t i = 0; i < off && text[i]; i++) {
			col = text[i] == '\n' ? 1 : col + 1;
			line += text[i] == '\n';
		}
		snprintf(why, len, "line %zu, column %zu: not valid JSON: %s", line, col,
			 json_tokener_get_error(tok) == json_tokener_success ?
			 "more after the value" : json_tokener_get_error(tok) ==
			 json_tokener_continue ? "unexpected end of file" :
			 json_tokener_error_desc(json_tokener_get_error(tok)));
	}
	json_tokener_free(tok);
	return root;
}

void opc_errctx_init(struct opc_errctx *c, const char *path, char *err, size_t len)
{
	c->path = path;
	c->err = err;
	c->len = len;
	if (len)
		err[0] = 0;
}

int opc_errctx_fail(struct opc_errctx *c, const char *fmt, ...)
{
	va_list ap;
	int o;

	o = snprintf(c->err, c->len, "%s: ", c->path);
	if (o < 0 || (size_t)o >= c->len)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + o, c->len - o, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* strtol and strtod skip leading blanks and take "" as 0: not here */
static int number_text(const char *s, const char *allowed)
{
	return s && *s && strspn(s, allowed) == strlen(s) && strchr("+-.0123456789", *s);
}

int opc_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!number_text(s, "+-0123456789"))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || end == s)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int opc_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!number_text(s, "+-.0123456789eE"))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end || end == s)
		return -EINVAL;
	/* ERANGE also flags an underflow to a tiny number, which is fine */
	if (!isfinite(v) || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int opc_utf8_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	int n;
	uint32_t c;

	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		n = 2, c = u[0] & 0x1f;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		n = 3, c = u[0] & 0x0f;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		n = 4, c = u[0] & 0x07;
	else
		return 0;	/* a continuation byte, or never in UTF-8 */
	for (int i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;	/* also the terminating NUL */
		c = c << 6 | (u[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

/* Bytes of s to show as \xNN, one at a time: 0 when s[0] shows as it is,
 * else how many bytes from s[0] on are escaped. */
static int tty_escaped(const char *s)
{
	unsigned char c = (unsigned char)s[0];
	int n = opc_utf8_len(s);

	if (c < 0x20 || c == 0x7f || c == '\\' || n == 0)
		return 1;
	/* C1 controls (U+0080-U+009F: 0xc2 0x80-0x9f), which some terminals obey */
	if (n == 2 && c == 0xc2 && (unsigned char)s[1] < 0xa0)
		return 2;
	return 0;
}

const char *opc_tty(const char *s)
{
	static char *slot[OPC_TTY_SLOTS];
	static size_t cap[OPC_TTY_SLOTS];
	static unsigned next;
	size_t need = 0, o = 0;
	const char *p;
	char *buf;
	int clean = 1;

	if (s == NULL)
		return NULL;
	for (p = s; *p;) {
		int e = tty_escaped(p);

		if (e) {
			clean = 0;
			need += 4 * e;
			p += e;
		} else {
			int n = opc_utf8_len(p);

			need += n;
			p += n;
		}
	}
	if (clean)
		return s;
	next = (next + 1) % OPC_TTY_SLOTS;
	if (cap[next] < need + 1) {
		buf = realloc(slot[next], need + 1);
		if (buf == NULL)
			return "(out of memory)";
		slot[next] = buf;
		cap[next] = need + 1;
	}
	buf = slot[next];
	for (p = s; *p;) {
		int e = tty_escaped(p);

		if (e == 1 && *p == '\\') {
			memcpy(buf + o, "\\\\", 2);
			o += 2;
			p++;
		} else if (e) {
			for (int i = 0; i < e; i++, p++)
				o += sprintf(buf + o, "\\x%02x", (unsigned char)*p);
		} else {
			int n = opc_utf8_len(p);

			memcpy(buf + o, p, n);
			o += n;
			p += n;
		}
	}
	buf[o] = 0;
	return buf;
}

char *opc_utf8_dup(const char *s)
{
	static const char fffd[] = "\xef\xbf\xbd";
	size_t o = 0, bad = 0;
	char *buf;

	for (const char *p = s; *p;) {
		int n = opc_utf8_len(p);

		bad += n == 0;
		p += n ? n : 1;
	}
	buf = malloc(strlen(s) + 2 * bad + 1);
	if (buf == NULL)
		return NULL;
	for (const char *p = s; *p;) {
		int n = opc_utf8_len(p);

		if (n == 0) {
			memcpy(buf + o, fffd, 3);
			o += 3;
			p++;
		} else {
			memcpy(buf + o, p, n);
			o += n;
			p += n;
		}
	}
	buf[o] = 0;
	return buf;
}

json_object *opc_json_string(const char *s)
{
	json_object *j;
	char *v;

	if (s == NULL)
		return NULL;
	v = opc_utf8_dup(s);
	if (v == NULL)
		return json_object_new_string("(out of memory)");
	j = json_object_new_string(v);
	free(v);
	return j;
}

json_object *opc_json_double(double v)
{
	return isfinite(v) ? json_object_new_double(v) : NULL;
}
