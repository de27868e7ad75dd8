/*
 * roofline.c - the report's rows on a roofline, drawn with cairo.
 *
 * x: arithmetic intensity, the row's FLOPs over its bytes; the bytes are
 * the compulsory traffic (each operand once), a lower bound of what moved,
 * so a point's intensity is an upper bound and it may sit further left in
 * truth.  y: achieved GFLOP/s, FLOPs over busy time.  Both come from the
 * JSON report's rows and nothing else, so the picture cannot disagree
 * with the report; the numbers are embedded in the SVG beside it.  The
 * ceilings are the calibration file's, measured on a machine; without one
 * the picture says they are missing rather than show a guess.
 */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo/cairo-svg.h>

#include "picture.h"
#include "plot.h"
#include "roofline.h"
#include "util.h"

#define W	1100
#define H	760
#define PL	100	/* plot area */
#define PT	80
#define PW	760
#define PH	560

struct pt {
	size_t row;
	json_object *o;
	const char *label, *type;
	double flops, bytes, busy, energy, ai, gf;
	double cx, cy, r;
	int color;
};

struct range {
	double lo, hi;	/* decades */
};

static void range_fit(struct range *r, double lo, double hi)
{
	if (!(lo > 0) || !isfinite(lo) || !(hi >= lo) || !isfinite(hi)) {
		r->lo = 0.1;
		r->hi = 100;
		return;
	}
	r->lo = pow(10, floor(log10(lo / 1.5)));
	r->hi = pow(10, ceil(log10(hi * 1.5)));
	if (r->hi / r->lo < 100)
		r->hi = r->lo * 100;
}

static double xpos(const struct range *x, double v)
{
	return PL + PW * (log10(v) - log10(x->lo)) / (log10(x->hi) - log10(x->lo));
}

static double ypos(const struct range *y, double v)
{
	return PT + PH - PH * (log10(v) - log10(y->lo)) / (log10(y->hi) - log10(y->lo));
}

static double num(json_object *row, const char *k, int *present)
{
	json_object *v;

	if (!json_object_object_get_ex(row, k, &v) || v == NULL) {
		if (present)
			*present = 0;
		return 0;
	}
	if (present)
		*present = 1;
	/* flops and bytes are integers up to 2^64: as a double, rounded as C
	 * converts them (and as a reader's float() does) */
	if (json_object_is_type(v, json_type_int))
		return (double)json_object_get_uint64(v);
	return json_object_get_double(v);
}

static const char *str(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The row's first column, as the table shows it for the report's --by. */
static const char *row_label(json_object *row, const char *by)
{
	static const char *const map[][2] = {
		{ "site", "site" }, { "layer", "layer" }, { "path", "layer_path" },
		{ "op", "op" }, { "type", "type" }, { "key", "shape" }, { "device", "device" },
	};
	const char *s = NULL, *field = by;	/* a grouping named as its field (rank, node) */

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(by, map[i][0]))
			field = map[i][1];
	s = str(row, field);
	{	/* a number (a rank): its text, which json-c keeps with it */
		json_object *v;

		if (!s && json_object_object_get_ex(row, field, &v) &&
		    json_object_is_type(v, json_type_int))
			s = json_object_get_string(v);
	}
	if (s == NULL && (!strcmp(by, "layer") || !strcmp(by, "path")))
		s = "(no layer)";
	if (s == NULL && !strcmp(by, "rank"))
		s = "(no rank)";
	if (s == NULL && !strcmp(by, "node"))
		s = "(unknown node)";
	return s ? s : "?";
}

static const double palette[][3] = {
	{ 0.12, 0.47, 0.71 }, { 1.00, 0.50, 0.05 }, { 0.17, 0.63, 0.17 }, { 0.84, 0.15, 0.16 },
	{ 0.58, 0.40, 0.74 }, { 0.55, 0.34, 0.29 }, { 0.89, 0.47, 0.76 }, { 0.50, 0.50, 0.50 },
};
#define NPAL (int)(sizeof(palette) / sizeof(palette[0]))

static int energy_desc(const void *a, const void *b)
{
	const struct pt *x = *(const struct pt *const *)a, *y = *(const struct pt *const *)b;
	double u = x->energy > 0 ? x->energy : x->flops, v = y->energy > 0 ? y->energy : y->flops;

	return u < v ? 1 : u > v ? -1 : 0;
}

static void draw_axes(cairo_t *cr, const struct range *x, const struct range *y)
{
	char lab[32];

	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, PL, PT, PW, PH);
	cairo_fill(cr);
	cairo_set_line_width(cr, 1);
	for (double d = x->lo; d <= x->hi * 1.001; d *= 10) {
		double p = xpos(x, d);

		cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
		cairo_move_to(cr, p, PT);
		cairo_line_to(cr, p, PT + PH);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0, 0, 0);
		opc_pic_tick(lab, sizeof(lab), d);
		opc_pic_text(cr, p, PT + PH + 20, 12, 0.5, lab);
	}
	for (double d = y->lo; d <= y->hi * 1.001; d *= 10) {
		double p = ypos(y, d);

		cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
		cairo_move_to(cr, PL, p);
		cairo_line_to(cr, PL + PW, p);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0, 0, 0);
		opc_pic_tick(lab, sizeof(lab), d);
		opc_pic_text(cr, PL - 8, p + 4, 12, 1, lab);
	}
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 1.2);
	cairo_rectangle(cr, PL, PT, PW, PH);
	cairo_stroke(cr);
	opc_pic_text(cr, PL + PW / 2, PT + PH + 45, 13, 0.5,
		     "arithmetic intensity (FLOPs / byte of compulsory traffic), log scale");
	cairo_save(cr);
	cairo_translate(cr, PL - 60, PT + PH / 2);
	cairo_rotate(cr, -M_PI / 2);
	opc_pic_text(cr, 0, 0, 13, 0.5, "achieved GFLOP/s (FLOPs / busy time), log scale");
	cairo_restore(cr);
}

/* y = gbps * x up to the ridge, then flat at gflops: the roof */
static void draw_ceilings(cairo_t *cr, const struct range *x, const struct range *y,
			  const struct opc_calib *cal)
{
	double ridge = cal->gflops / cal->gbps, x0 = x->lo, x1 = fmin(ridge, x->hi);
	char buf[256];

	cairo_save(cr);
	cairo_rectangle(cr, PL, PT, PW, PH);
	cairo_clip(cr);
	cairo_set_source_rgb(cr, 0.75, 0.1, 0.1);
	cairo_set_line_width(cr, 2.2);
	cairo_move_to(cr, xpos(x, x0), ypos(y, cal->gbps * x0));
	cairo_line_to(cr, xpos(x, x1), ypos(y, cal->gbps * x1));
	if (ridge < x->hi)
		cairo_line_to(cr, xpos(x, x->hi), ypos(y, cal->gflops));
	cairo_stroke(cr);
	if (cal->gflops_1t > 0) {
		cairo_set_dash(cr, (double[]){ 6, 4 }, 2, 0);
		cairo_set_line_width(cr, 1.2);
		cairo_move_to(cr, xpos(x, fmax(x->lo, cal->gflops_1t / cal->gbps)),
			      ypos(y, cal->gflops_1t));
		cairo_line_to(cr, xpos(x, x->hi), ypos(y, cal->gflops_1t));
		cairo_stroke(cr);
	}
	cairo_restore(cr);
	cairo_set_source_rgb(cr, 0.75, 0.1, 0.1);
	snprintf(buf, sizeof(buf), "compute: %.3g GFLOP/s (DGEMM, %ld threads)", cal->gflops,
		 cal->threads);
	opc_pic_text(cr, PL + PW - 6, ypos(y, cal->gflops) - 6, 12, 1, buf);
	if (cal->gflops_1t > 0) {
		snprintf(buf, sizeof(buf), "one thread: %.3g GFLOP/s", cal->gflops_1t);
		opc_pic_text(cr, PL + PW - 6, ypos(y, cal->gflops_1t) + 15, 11, 1, buf);
	}
	snprintf(buf, sizeof(buf), "memory: %.3g GB/s (triad)", cal->gbps);
	{
		double lx = fmax(x->lo * 1.3, fmin(ridge, x->hi) / 30);
		double ly = ypos(y, cal->gbps * lx);

		if (ly > PT + 10 && ly < PT + PH - 10) {
			cairo_save(cr);
			cairo_translate(cr, xpos(x, lx), ly - 6);
			cairo_rotate(cr, -atan2(ypos(y, cal->gbps) - ypos(y, cal->gbps * 10),
						xpos(x, 10) - xpos(x, 1)));
			opc_pic_text(cr, 0, 0, 12, 0, buf);
			cairo_restore(cr);
		}
	}
}

/*
 * The ceilings are one machine's: a trace that ran on another CPU model
 * (its INFO "cpu") is compared with them only with a warning.  NULL, or
 * the warning, in buf.
 */
static const char *other_machine(json_object *report, const struct opc_calib *cal, char *buf,
				 size_t len)
{
	json_object *traces, *t, *v;

	if (!cal || !json_object_object_get_ex(report, "traces", &traces))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(traces); i++) {
		t = json_object_array_get_idx(traces, i);
		if (json_object_object_get_ex(t, "cpu", &v) && v &&
		    strcmp(json_object_get_string(v), cal->cpu)) {
			snprintf(buf, len, "the ceilings were measured on %s, the trace ran on %s",
				 cal->cpu, json_object_get_string(v));
			return buf;
		}
	}
	return NULL;
}

struct picture {
	struct pt *pts;
	size_t n, nrows;
	const char *by;
	json_object *report;
	const struct opc_calib *cal;
	const char *cal_note;
	int have_energy;
	char **types;
	int ntypes;
	const struct range *x, *y;
};

static void draw(cairo_t *cr, void *arg)
{
	const struct picture *pic = arg;
	struct pt *pts = pic->pts;
	size_t n = pic->n, nrows = pic->nrows;
	const char *by = pic->by, *cal_note = pic->cal_note;
	json_object *report = pic->report;
	const struct opc_calib *cal = pic->cal;
	int have_energy = pic->have_energy, ntypes = pic->ntypes;
	char **types = pic->types;
	const struct range *x = pic->x, *y = pic->y;
	char other[600];
	struct pt **order = malloc(n * sizeof(*order));
	double ly = PT;
	char buf[1024];
	json_object *en, *v;
	const char *source = "none";
	int measured = 0;

	cairo_set_source_rgb(cr, 0.97, 0.97, 0.97);
	cairo_paint(cr);
	cairo_select_font_face(cr, OPC_PIC_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	draw_axes(cr, x, y);
	if (cal)
		draw_ceilings(cr, x, y, cal);

	/* the biggest drawn first, the small ones on top of them */
	for (size_t i = 0; order && i < n; i++)
		order[i] = &pts[i];
	if (order)
		qsort(order, n, sizeof(*order), energy_desc);
	cairo_save(cr);
	cairo_rectangle(cr, PL, PT, PW, PH);
	cairo_clip(cr);
	for (size_t i = 0; order && i < n; i++) {
		const struct pt *p = order[i];
		const double *c = palette[p->color % NPAL];

		cairo_new_path(cr);
		cairo_arc(cr, p->cx, p->cy, p->r, 0, 2 * M_PI);
		cairo_set_source_rgba(cr, c[0], c[1], c[2], 0.55);
		cairo_fill_preserve(cr);
		cairo_set_source_rgb(cr, c[0] * 0.6, c[1] * 0.6, c[2] * 0.6);
		cairo_set_line_width(cr, 1);
		cairo_stroke(cr);
	}
	/* the 8 that weigh most, named */
	cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
	for (size_t i = 0; order && i < n && i < 8; i++) {
		const struct pt *p = order[i];

		snprintf(buf, sizeof(buf), "%.40s", opc_tty(p->label));
		opc_pic_text(cr, p->cx + p->r + 3, p->cy + 4, 10.5, 0, buf);
	}
	cairo_restore(cr);
	free(order);

	/* title */
	if (json_object_object_get_ex(report, "energy", &en)) {
		if (json_object_object_get_ex(en, "source", &v) && v)
			source = json_object_get_string(v);
		if (json_object_object_get_ex(en, "measured", &v))
			measured = json_object_get_boolean(v);
	}
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_select_font_face(cr, OPC_PIC_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
	snprintf(buf, sizeof(buf), "opcount roofline: %zu of %zu rows by %s", n, nrows, by);
	opc_pic_text(cr, PL, 32, 16, 0, buf);
	cairo_select_font_face(cr, OPC_PIC_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	if (have_energy)
		snprintf(buf, sizeof(buf), "point area: energy (J), %s%s", opc_tty(source),
			 measured ? ", measured" : ", ESTIMATED, not measured");
	else
		snprintf(buf, sizeof(buf), "no energy in this trace: points are not sized by energy");
	if (!have_energy || !measured)
		cairo_set_source_rgb(cr, 0.75, 0.1, 0.1);
	opc_pic_text(cr, PL, 54, 12, 0, buf);
	cairo_set_source_rgb(cr, 0, 0, 0);
	if (cal)
		snprintf(buf, sizeof(buf), "ceilings: %s, measured %s on %s",
			 opc_tty(cal->path), opc_tty(cal->date), opc_tty(cal->cpu));
	else
		snprintf(buf, sizeof(buf), " ");
	opc_pic_text(cr, PL, PT + PH + 68, 11, 0, buf);
	if (other_machine(report, cal, other, sizeof(other))) {
		snprintf(buf, sizeof(buf), "WARNING: %.120s", opc_tty(other));
		cairo_set_source_rgba(cr, 1, 0.93, 0.93, 0.95);
		cairo_rectangle(cr, PL + 20, PT + PH - 40, PW - 40, 26);
		cairo_fill_preserve(cr);
		cairo_set_source_rgb(cr, 0.75, 0.1, 0.1);
		cairo_set_line_width(cr, 1);
		cairo_stroke(cr);
		opc_pic_text(cr, PL + 30, PT + PH - 22, 12, 0, buf);
		cairo_set_source_rgb(cr, 0, 0, 0);
	}
	opc_pic_text(cr, PL, PT + PH + 86, 11, 0,
		     "bytes are compulsory traffic, a lower bound: true intensity may be lower "
		     "(points further left)");
	if (nrows > n) {
		snprintf(buf, sizeof(buf), "%zu rows not placed: no FLOPs, no bytes or no busy time "
			 "(in the metadata's not_placed)", nrows - n);
		opc_pic_text(cr, PL, PT + PH + 104, 11, 0, buf);
	}
	if (!cal) {
		cairo_set_source_rgba(cr, 1, 0.93, 0.93, 0.95);
		cairo_rectangle(cr, PL + 20, PT + 20, PW - 40, 62);
		cairo_fill_preserve(cr);
		cairo_set_source_rgb(cr, 0.75, 0.1, 0.1);
		cairo_stroke(cr);
		cairo_select_font_face(cr, OPC_PIC_FONT, CAIRO_FONT_SLANT_NORMAL,
				       CAIRO_FONT_WEIGHT_BOLD);
		opc_pic_text(cr, PL + 32, PT + 44, 13, 0, "ceilings missing: no machine calibration");
		cairo_select_font_face(cr, OPC_PIC_FONT, CAIRO_FONT_SLANT_NORMAL,
				       CAIRO_FONT_WEIGHT_NORMAL);
		snprintf(buf, sizeof(buf), "%.110s", opc_tty(cal_note ? cal_note :
			 "run `opcount calibrate` on the machine that ran it, or pass "
			 "--calibration FILE"));
		opc_pic_text(cr, PL + 32, PT + 66, 11.5, 0, buf);
	}

	/* legend: types */
	cairo_select_font_face(cr, OPC_PIC_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
	cairo_set_source_rgb(cr, 0, 0, 0);
	opc_pic_text(cr, PL + PW + 20, ly + 12, 12, 0, "type");
	cairo_select_font_face(cr, OPC_PIC_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	for (int t = 0; t < ntypes && t < 20; t++) {
		const double *c = palette[t % NPAL];

		ly += 20;
		cairo_new_path(cr);
		cairo_arc(cr, PL + PW + 27, ly + 8, 5, 0, 2 * M_PI);
		cairo_set_source_rgba(cr, c[0], c[1], c[2], 0.7);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0, 0, 0);
		snprintf(buf, sizeof(buf), "%.24s", opc_tty(types[t]));
		opc_pic_text(cr, PL + PW + 38, ly + 12, 11.5, 0, buf);
	}
}

int opc_roofline(const char *report_json, const struct opc_calib *cal, const char *cal_note,
		 const char *path, const char *prefix, char **svg_out, char *err, size_t errlen)
{
	return opc_roofline_id(report_json, cal, cal_note, path, prefix, "opcount-roofline",
			       svg_out, err, errlen);
}

int opc_roofline_id(const char *report_json, const struct opc_calib *cal, const char *cal_note,
		    const char *path, const char *prefix, const char *meta_id, char **svg_out,
		    char *err, size_t errlen)
{
	json_object *report = json_tokener_parse(report_json), *rows, *meta, *jp, *np, *v;
	enum opc_plot_format fmt = path ? opc_plot_format(path) : OPC_PLOT_SVG;
	struct pt *pts = NULL;
	size_t n = 0, nrows;
	char *types[64];
	int ntypes = 0, have_energy = 0, ret = -1;
	double emax = 0, xlo = INFINITY, xhi = 0, ylo = INFINITY, yhi = 0;
	struct range x, y;
	const char *by = "site";
	const char *what = path ? path : "roofline";

	if (fmt == OPC_PLOT_NONE) {
		snprintf(err, errlen, "%s: a roofline's name must end in .svg or .png", path);
		return -1;
	}
	if (report == NULL || !json_object_object_get_ex(report, "rows", &rows) ||
	    !json_object_is_type(rows, json_type_array)) {
		snprintf(err, errlen, "%s: internal error: no report to draw", what);
		json_object_put(report);
		return -1;
	}
	if (json_object_object_get_ex(report, "by", &v) && v)
		by = json_object_get_string(v);
	if (json_object_object_get_ex(report, "totals", &v) && v &&
	    json_object_object_get_ex(v, "energy_j", &v) && v)
		have_energy = 1;
	nrows = json_object_array_length(rows);
	pts = calloc(nrows + 1, sizeof(*pts));
	meta = json_object_new_object();
	jp = json_object_new_array();
	np = json_object_new_array();
	if (pts == NULL) {
		snprintf(err, errlen, "%s: out of memory", what);
		goto out;
	}
	for (size_t i = 0; i < nrows; i++) {
		json_object *row = json_object_array_get_idx(rows, i);
		struct pt *p = &pts[n];
		const char *why = NULL;
		int t;

		p->row = i;
		p->o = row;
		p->label = row_label(row, by);
		p->type = str(row, "type") ? str(row, "type") : "?";
		p->flops = num(row, "flops", NULL);
		p->bytes = num(row, "bytes", NULL);
		p->busy = num(row, "busy_s", NULL);
		p->energy = num(row, "energy_j", NULL);
		if (!(p->flops > 0))
			why = "no FLOPs";
		else if (!(p->bytes > 0))
			why = "no bytes";
		else if (!(p->busy > 0))
			why = "no busy time";
		if (why) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "row", json_object_new_uint64(i));
			json_object_object_add(o, "label", opc_json_string(p->label));
			json_object_object_add(o, "op", json_object_get(
				json_object_object_get_ex(row, "op", &v) ? v : NULL));
			json_object_object_add(o, "why", json_object_new_string(why));
			json_object_array_add(np, o);
			continue;
		}
		p->ai = p->flops / p->bytes;
		p->gf = p->flops / p->busy / 1e9;
		for (t = 0; t < ntypes && strcmp(types[t], p->type); t++)
			;
		if (t == ntypes && ntypes < 64)
			types[ntypes++] = (char *)p->type;
		p->color = t;
		emax = fmax(emax, p->energy);
		xlo = fmin(xlo, p->ai);
		xhi = fmax(xhi, p->ai);
		ylo = fmin(ylo, p->gf);
		yhi = fmax(yhi, p->gf);
		n++;
	}
	if (cal) {
		double ridge = cal->gflops / cal->gbps;

		xlo = fmin(xlo, ridge / 10);
		xhi = fmax(xhi, ridge * 10);
		yhi = fmax(yhi, cal->gflops);
		ylo = fmin(ylo, cal->gflops / 1000);
	}
	range_fit(&x, xlo, xhi);
	range_fit(&y, ylo, yhi);
	for (size_t i = 0; i < n; i++) {
		struct pt *p = &pts[i];
		json_object *o = json_object_new_object();

		p->cx = xpos(&x, p->ai);
		p->cy = ypos(&y, p->gf);
		p->r = have_energy && emax > 0 ? 3 + 22 * sqrt(p->energy / emax) : 5;
		json_object_object_add(o, "row", json_object_new_uint64(p->row));
		json_object_object_add(o, "label", opc_json_string(p->label));
		json_object_object_add(o, "op", json_object_get(
			json_object_object_get_ex(p->o, "op", &v) ? v : NULL));
		json_object_object_add(o, "type", opc_json_string(p->type));
		/* the row's own numbers, as the report wrote them */
		static const char *const keep[] = { "flops", "bytes", "busy_s", "energy_j" };

		for (size_t k = 0; k < 4; k++)
			if (json_object_object_get_ex(p->o, keep[k], &v))
				json_object_object_add(o, keep[k], json_object_get(v));
		json_object_object_add(o, "ai", opc_json_double(p->ai));
		json_object_object_add(o, "gflops", opc_json_double(p->gf));
		json_object_object_add(o, "cx", opc_json_double(round(p->cx * 100) / 100));
		json_object_object_add(o, "cy", opc_json_double(round(p->cy * 100) / 100));
		json_object_object_add(o, "r", opc_json_double(round(p->r * 100) / 100));
		json_object_array_add(jp, o);
	}
	json_object_object_add(meta, "opcount_roofline", json_object_new_int(1));
	json_object_object_add(meta, "by", json_object_new_string(by));
	json_object_object_add(meta, "x", json_object_new_string(
		"ai = flops / bytes (bytes: compulsory traffic)"));
	json_object_object_add(meta, "y", json_object_new_string("gflops = flops / busy_s / 1e9"));
	json_object_object_add(meta, "size", have_energy ? json_object_new_string(
		"r = 3 + 22 * sqrt(energy_j / max energy_j) px") : NULL);
	if (cal) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "compute_gflops", opc_json_double(cal->gflops));
		json_object_object_add(c, "compute_gflops_1thread",
				       cal->gflops_1t > 0 ? opc_json_double(cal->gflops_1t) : NULL);
		json_object_object_add(c, "memory_gbps", opc_json_double(cal->gbps));
		json_object_object_add(c, "ridge_ai", opc_json_double(cal->gflops / cal->gbps));
		json_object_object_add(c, "file", opc_json_string(cal->path));
		json_object_object_add(c, "cpu", opc_json_string(cal->cpu));
		json_object_object_add(c, "date", opc_json_string(cal->date));
		json_object_object_add(meta, "ceilings", c);
	} else {
		json_object_object_add(meta, "ceilings", NULL);
	}
	{
		json_object *miss = json_object_new_array();

		if (!cal)
			json_object_array_add(miss, opc_json_string(cal_note ? cal_note :
					      "ceilings: no calibration file"));
		if (!have_energy)
			json_object_array_add(miss, json_object_new_string(
				"energy: this trace has no energy samples; points are not sized"));
		json_object_object_add(meta, "missing", miss);

		char other[600];

		json_object_object_add(meta, "warning", other_machine(report, cal, other,
				       sizeof(other)) ? opc_json_string(other) : NULL);
	}
	json_object_object_add(meta, "x_range", json_object_new_array());
	json_object_array_add(json_object_object_get(meta, "x_range"), opc_json_double(x.lo));
	json_object_array_add(json_object_object_get(meta, "x_range"), opc_json_double(x.hi));
	json_object_object_add(meta, "y_range", json_object_new_array());
	json_object_array_add(json_object_object_get(meta, "y_range"), opc_json_double(y.lo));
	json_object_array_add(json_object_object_get(meta, "y_range"), opc_json_double(y.hi));
	json_object_object_add(meta, "points", json_object_get(jp));
	json_object_object_add(meta, "not_placed", json_object_get(np));

	{
		struct picture pic = { pts, n, nrows, by, report, cal, cal_note, have_energy, types,
				       ntypes, &x, &y };
		struct opc_buf svg = { 0 };
		cairo_status_t st = opc_pic_render(W, H, draw, &pic,
						   fmt == OPC_PLOT_PNG ? path : NULL, &svg);

		if (st != CAIRO_STATUS_SUCCESS) {
			snprintf(err, errlen, "%s: cannot draw the roofline: %s", what,
				 cairo_status_to_string(st));
			free(svg.s);
			goto out;
		}
		if (fmt == OPC_PLOT_SVG) {
			const char *m = json_object_to_json_string_ext(meta,
					JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
			char *done = opc_svg_finish(svg.s, prefix, meta_id, m);

			free(svg.s);
			if (done == NULL) {
				snprintf(err, errlen, "%s: out of memory", what);
				goto out;
			}
			if (path && opc_pic_write(path, done, strlen(done), err, errlen) < 0) {
				free(done);
				goto out;
			}
			if (svg_out)
				*svg_out = done;
			else
				free(done);
		}
	}
	ret = 0;
out:
	json_object_put(jp);
	json_object_put(np);
	json_object_put(meta);
	json_object_put(report);
	free(pts);
	return ret;
}
