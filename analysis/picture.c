/*
 * picture.c - what the pictures of a report share: see picture.h.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo/cairo-svg.h>

#include "picture.h"

void opc_buf_add(struct opc_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->s, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

void opc_buf_puts(struct opc_buf *b, const char *s)
{
	opc_buf_add(b, s, strlen(s));
}

void opc_buf_printf(struct opc_buf *b, const char *fmt, ...)
{
	char small[512], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		opc_buf_add(b, small, n);
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	opc_buf_add(b, big, n);
	free(big);
}

cairo_status_t opc_buf_cairo_write(void *closure, const unsigned char *data, unsigned int len)
{
	struct opc_buf *b = closure;

	opc_buf_add(b, (const char *)data, len);
	return b->oom ? CAIRO_STATUS_NO_MEMORY : CAIRO_STATUS_SUCCESS;
}

char *opc_json_safe(const char *json)
{
	struct opc_buf b = { 0 };
	const char *s = json, *q;

	while ((q = strpbrk(s, "<>&"))) {
		opc_buf_add(&b, s, q - s);
		opc_buf_puts(&b, *q == '<' ? "\\u003c" : *q == '>' ? "\\u003e" : "\\u0026");
		s = q + 1;
	}
	opc_buf_puts(&b, s);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

char *opc_svg_finish(const char *svg, const char *prefix, const char *meta_id, const char *meta)
{
	struct opc_buf b = { 0 };
	const char *s = svg, *tag;
	char *safe = meta ? opc_json_safe(meta) : NULL;

	if (meta && safe == NULL)
		return NULL;
	if (prefix && !strncmp(s, "<?xml", 5) && (tag = strstr(s, "?>")))
		for (s = tag + 2; *s == '\n'; s++)
			;
	tag = strstr(s, "<svg");
	tag = tag ? strchr(tag, '>') : NULL;
	/* cairo writes only its own ids and references: id="...",
	 * xlink:href="#...", url(#...); the metadata goes in after this */
	while (*s) {
		static const char *const pats[] = { "id=\"", "href=\"#", "url(#" };
		const char *best = NULL;
		size_t blen = 0;

		if (prefix)
			for (int i = 0; i < 3; i++) {
				const char *p = strstr(s, pats[i]);

				if (p && (!best || p < best)) {
					best = p;
					blen = strlen(pats[i]);
				}
			}
		if (tag && tag >= s && (!best || tag < best)) {
			opc_buf_add(&b, s, tag + 1 - s);
			s = tag + 1;
			if (meta) {
				/* not prefixed: a page has one of each */
				opc_buf_printf(&b, "\n<metadata id=\"%s\">", meta_id);
				opc_buf_puts(&b, safe);
				opc_buf_puts(&b, "</metadata>");
			}
			tag = NULL;
			continue;
		}
		if (!best) {
			opc_buf_puts(&b, s);
			break;
		}
		opc_buf_add(&b, s, best + blen - s);
		opc_buf_puts(&b, prefix);
		s = best + blen;
	}
	free(safe);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

cairo_status_t opc_pic_render(int w, int h, void (*draw)(cairo_t *cr, void *arg), void *arg,
			      const char *png_path, struct opc_buf *svg)
{
	cairo_surface_t *s;
	cairo_status_t st;
	cairo_t *cr;

	if (png_path)
		s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
	else
		s = cairo_svg_surface_create_for_stream(opc_buf_cairo_write, svg, w, h);
	cr = cairo_create(s);
	draw(cr, arg);
	st = cairo_status(cr);
	cairo_destroy(cr);
	if (st == CAIRO_STATUS_SUCCESS && png_path)
		st = cairo_surface_write_to_png(s, png_path);
	cairo_surface_finish(s);	/* an SVG's last bytes are written here */
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(s);
	cairo_surface_destroy(s);
	if (st == CAIRO_STATUS_SUCCESS && svg && svg->oom)
		st = CAIRO_STATUS_NO_MEMORY;
	return st;
}

void opc_pic_text(cairo_t *cr, double x, double y, double size, double align, const char *s)
{
	cairo_text_extents_t e;

	cairo_set_font_size(cr, size);
	cairo_text_extents(cr, s, &e);
	cairo_move_to(cr, x - align * e.x_advance, y);
	cairo_show_text(cr, s);
}

void opc_pic_tick(char *buf, size_t len, double v)
{
	if (v == 0)
		snprintf(buf, len, "0");
	else if (fabs(v) >= 1e-3 && fabs(v) < 1e5)
		snprintf(buf, len, "%g", v);
	else
		snprintf(buf, len, "%.0e", v);
}

int opc_pic_write(const char *path, const char *s, size_t len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	int e;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		return -1;
	}
	fwrite(s, 1, len, f);
	e = ferror(f);
	if (fclose(f) != 0 || e) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

/*
 * cairo and fontconfig keep their font caches until exit, which leak
 * checkers report; in sanitizer builds (ASAN=1), where that would fail the
 * tests, give them back.  fontconfig came in with cairo, so it is looked
 * up rather than linked.
 */
void opc_pic_cleanup(void)
{
#ifdef __SANITIZE_ADDRESS__
	void (*fc_fini)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "FcFini");

	cairo_debug_reset_static_data();
	if (fc_fini)
		fc_fini();
#endif
}
