/*
 * test_picture.c - what the pictures share (analysis/picture.c): JSON made
 * safe for a page, SVGs finished for a page (ids prefixed, the XML
 * declaration dropped, the metadata put right after the <svg> tag), the
 * growing buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "picture.h"

static void json_safe(void **state)
{
	const char *in = "{\"a\":\"</script><!-- & >\",\"b\":[1,2.5]}";
	char *out = opc_json_safe(in);
	json_object *x, *y;

	(void)state;
	assert_non_null(out);
	assert_null(strpbrk(out, "<>&"));
	assert_string_equal(out, "{\"a\":\"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u003e\","
			    "\"b\":[1,2.5]}");
	/* the same document once parsed */
	x = json_tokener_parse(in);
	y = json_tokener_parse(out);
	assert_true(json_object_equal(x, y));
	json_object_put(x);
	json_object_put(y);
	free(out);
}

/* what cairo 1.16 writes, in short */
static const char svg[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10pt\" viewBox=\"0 0 10 10\">\n"
	"<defs><g><symbol overflow=\"visible\" id=\"glyph0-1\"><path d=\"M 1 1\"/></symbol></g>"
	"<clipPath id=\"clip1\"><path d=\"M 0 0\"/></clipPath></defs>\n"
	"<g clip-path=\"url(#clip1)\"><use xlink:href=\"#glyph0-1\" x=\"1\" y=\"2\"/></g>\n"
	"</svg>\n";

static void svg_inline(void **state)
{
	/* metadata that looks like ids: left as it is */
	char *out = opc_svg_finish(svg, "roof-", "opcount-roofline",
				   "{\"s\":\"id=\\\"x\\\" url(#y) <b>\"}");

	(void)state;
	assert_non_null(out);
	assert_string_equal(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10pt\" viewBox=\"0 0 10 10\">\n"
		"<metadata id=\"opcount-roofline\">"
		"{\"s\":\"id=\\\"x\\\" url(#y) \\u003cb\\u003e\"}</metadata>\n"
		"<defs><g><symbol overflow=\"visible\" id=\"roof-glyph0-1\"><path d=\"M 1 1\"/>"
		"</symbol></g><clipPath id=\"roof-clip1\"><path d=\"M 0 0\"/></clipPath></defs>\n"
		"<g clip-path=\"url(#roof-clip1)\"><use xlink:href=\"#roof-glyph0-1\" x=\"1\" "
		"y=\"2\"/></g>\n</svg>\n");
	free(out);
}

static void svg_file(void **state)
{
	/* a file of its own: the declaration and the ids stay */
	char *out = opc_svg_finish(svg, NULL, "m", "[1]");
	const char *tag = strstr(svg, "viewBox=\"0 0 10 10\">") + 20;
	char want[2048];

	(void)state;
	snprintf(want, sizeof(want), "%.*s\n<metadata id=\"m\">[1]</metadata>%s",
		 (int)(tag - svg), svg, tag);
	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
	/* without metadata: the SVG as it was */
	out = opc_svg_finish(svg, NULL, "m", NULL);
	assert_string_equal(out, svg);
	free(out);
}

static void buf_grows(void **state)
{
	struct opc_buf b = { 0 };
	char big[3000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	for (int i = 0; i < 100; i++)
		opc_buf_printf(&b, "%d,", i);
	opc_buf_printf(&b, "%s", big);	/* past printf's small buffer */
	assert_false(b.oom);
	assert_int_equal(b.len, strlen(b.s));
	assert_int_equal(strncmp(b.s, "0,1,2,", 6), 0);
	assert_int_equal(b.len, 10 * 2 + 90 * 3 + sizeof(big) - 1);
	free(b.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_safe),
		cmocka_unit_test(svg_inline),
		cmocka_unit_test(svg_file),
		cmocka_unit_test(buf_grows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
