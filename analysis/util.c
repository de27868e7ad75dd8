/*
 * util.c - small helpers shared by the subcommands.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
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
