/*
 * picture.h - what the pictures of a report share (roofline.c, timeline.c,
 * html.c): cairo drawn into memory, the numbers a picture shows embedded
 * in it as JSON, and SVG made fit to sit inline in an HTML page.
 */
#ifndef OPC_PICTURE_H
#define OPC_PICTURE_H

#include <cairo/cairo.h>
#include <stddef.h>

struct opc_buf {
	char *s;
	size_t len, cap;
	int oom;
};

void opc_buf_add(struct opc_buf *b, const char *s, size_t n);
void opc_buf_puts(struct opc_buf *b, const char *s);
void opc_buf_printf(struct opc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cairo_svg_surface_create_for_stream's writer, into an opc_buf */
cairo_status_t opc_buf_cairo_write(void *closure, const unsigned char *data, unsigned int len);

/*
 * JSON text that can sit in an HTML <script> or an XML element as it is:
 * '<', '>' and '&' (which only strings can hold) written \u003c, \u003e,
 * \u0026 - the same document once parsed.  malloc'd; NULL out of memory.
 */
char *opc_json_safe(const char *json);

/*
 * Finish an SVG cairo wrote: its <metadata id="META_ID"> holds the JSON
 * (made safe); with a prefix, for a page that holds several: no XML
 * declaration, and every id (cairo's glyph0-1, clip1...) and reference
 * to one prefixed, so that two pictures' glyphs are not mixed up.
 * Returns a malloc'd text, NULL out of memory.
 */
char *opc_svg_finish(const char *svg, const char *prefix, const char *meta_id, const char *meta);

/*
 * Draw a w x h picture with draw(cr, arg): an SVG, its text into svg, or
 * (png_path) a PNG written there.  cairo's status; out of memory in svg
 * is CAIRO_STATUS_NO_MEMORY.
 */
cairo_status_t opc_pic_render(int w, int h, void (*draw)(cairo_t *cr, void *arg), void *arg,
			      const char *png_path, struct opc_buf *svg);

/* s at (x, y), its size, aligned: 0 left, 0.5 centred, 1 right */
void opc_pic_text(cairo_t *cr, double x, double y, double size, double align, const char *s);

/* "1e3" or "1000" or "0.01": a log axis's tick */
void opc_pic_tick(char *buf, size_t len, double v);

/* Write len bytes to path: 0, or -1 with "PATH: why" in err. */
int opc_pic_write(const char *path, const char *s, size_t len, char *err, size_t errlen);

/* cairo's and fontconfig's caches given back in sanitizer builds (plot.c) */
void opc_pic_cleanup(void);

#define OPC_PIC_FONT "DejaVu Sans"

#endif
