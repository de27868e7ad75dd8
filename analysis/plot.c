/*
 * plot.c - the fit's picture, drawn with cairo.
 *
 * Both panels share one scale, so that the spread of model (a) around the
 * y = x line can be compared with (c)'s at a glance; the scale is
 * logarithmic when the runs span more than a factor of 30 (a sweep over
 * model sizes), linear from zero otherwise.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cairo/cairo.h>
#include <cairo/cairo-svg.h>

#include "picture.h"
#include "plot.h"
#include "util.h"

#define FIG_W	1200
#define FIG_H	700
#define PANEL_W	600
#define PLOT_L	95	/* plot area within a panel */
#define PLOT_T	95
#define PLOT_S	450	/* square */
#define FONT	OPC_PIC_FONT

enum opc_plot_format opc_plot_format(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot && !strcasecmp(dot, ".svg"))
		return OPC_PLOT_SVG;
	if (dot && !strcasecmp(dot, ".png"))
		return OPC_PLOT_PNG;
	return OPC_PLOT_NONE;
}

struct axis {
	double lo, hi;
	int log;
};

/* position of v along [0, PLOT_S] */
static double axis_pos(const struct axis *ax, double v)
{
	if (ax->log)
		return PLOT_S * (log10(v) - log10(ax->lo)) / (log10(ax->hi) - log10(ax->lo));
	return PLOT_S * (v - ax->lo) / (ax->hi - ax->lo);
}

static double run_pred(const struct opc_fit_result *r, const struct opc_fit_run *run, int m)
{
	return r->cv ? run->predicted[m] : run->fitted[m];
}

static void axis_range(const struct opc_fit_data *d, const struct opc_fit_result *r,
		       struct axis *ax)
{
	double lo = INFINITY, hi = 0;
	static const int models[] = { 0, 2 };

	for (size_t i = 0; i < d->nruns; i++) {
		double v[3] = { d->runs[i].measured, run_pred(r, &d->runs[i], models[0]),
				run_pred(r, &d->runs[i], models[1]) };

		for (int k = 0; k < 3; k++) {
			if (!isfinite(v[k]))
				continue;
			if (v[k] > 0 && v[k] < lo)
				lo = v[k];
			if (v[k] > hi)
				hi = v[k];
		}
	}
	if (!(hi > 0)) {
		ax->lo = 0;
		ax->hi = 1;
		ax->log = 0;
		return;
	}
	ax->log = isfinite(lo) && hi / lo > 30;
	if (ax->log) {
		ax->lo = pow(10, floor(log10(lo / 1.3) * 4) / 4);
		ax->hi = pow(10, ceil(log10(hi * 1.3) * 4) / 4);
	} else if (isfinite(lo) && lo > hi / 4 && hi > lo) {
		/* runs of similar size: zoom in, or they would be one blob */
		ax->lo = lo - (hi - lo) * 0.12;
		ax->hi = hi + (hi - lo) * 0.12;
	} else {
		ax->lo = 0;
		ax->hi = hi * 1.1;
	}
}

static void draw_tick(cairo_t *cr, const struct axis *ax, double v, int major)
{
	double p = axis_pos(ax, v);
	char lab[32];

	if (p < -0.5 || p > PLOT_S + 0.5)
		return;
	/* grid at the labelled ticks, then the tick marks on both axes */
	cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
	cairo_set_line_width(cr, 1);
	if (major) {
		cairo_move_to(cr, PLOT_L + p, PLOT_T);
		cairo_line_to(cr, PLOT_L + p, PLOT_T + PLOT_S);
		cairo_move_to(cr, PLOT_L, PLOT_T + PLOT_S - p);
		cairo_line_to(cr, PLOT_L + PLOT_S, PLOT_T + PLOT_S - p);
		cairo_stroke(cr);
	}
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_move_to(cr, PLOT_L + p, PLOT_T + PLOT_S);
	cairo_line_to(cr, PLOT_L + p, PLOT_T + PLOT_S + (major ? 6 : 3));
	cairo_move_to(cr, PLOT_L, PLOT_T + PLOT_S - p);
	cairo_line_to(cr, PLOT_L - (major ? 6 : 3), PLOT_T + PLOT_S - p);
	cairo_stroke(cr);
	if (!major)
		return;
	opc_pic_tick(lab, sizeof(lab), v);
	opc_pic_text(cr, PLOT_L + p, PLOT_T + PLOT_S + 21, 12, 0.5, lab);
	opc_pic_text(cr, PLOT_L - 9, PLOT_T + PLOT_S - p + 4, 12, 1, lab);
}

/*
 * Ticks are counted, never stepped to a bound: a step below the precision
 * of the values (a range of 1e-5 around 1e20, where v + step == v) would
 * never reach it.  An axis has at most some 13 linear ticks, and a log
 * axis at most the decades a double holds.
 */
#define MAX_TICKS 64

static void draw_ticks(cairo_t *cr, const struct axis *ax)
{
	if (ax->log) {
		double decades = log10(ax->hi) - log10(ax->lo);
		double e0 = floor(log10(ax->lo)), e1 = ceil(log10(ax->hi));

		for (int i = 0; i <= 700 && e0 + i <= e1; i++)
			for (int m = 1; m < 10; m++) {
				double v = m * pow(10, e0 + i);
				int major = m == 1 || (decades < 2.5 && (m == 2 || m == 5));

				if (v >= ax->lo * 0.999 && v <= ax->hi * 1.001)
					draw_tick(cr, ax, v, major);
			}
		return;
	}
	double span = ax->hi - ax->lo, step = pow(10, floor(log10(span / 5)));
	double first, last = NAN;

	if (!(span > 0) || !isfinite(span) || !(step > 0))
		return;
	if (span / step > 12)
		step *= 5;
	else if (span / step > 6)
		step *= 2;
	first = ceil(ax->lo / step) * step;
	for (int i = 0; i < MAX_TICKS; i++) {
		double v = first + i * step;

		if (v > ax->hi * 1.0001 || v == last)
			break;	/* past the end, or the step is below v's precision */
		draw_tick(cr, ax, fabs(v) < step * 1e-9 ? 0 : v, 1);
		last = v;
	}
}

static void coef_lines(const struct opc_fit_data *d, const struct opc_fit_model *m, int model,
		       char lines[][128], int max, int *n)
{
	const char *u = opc_fit_unit(d);
	int k = 0;

	if (model == 0) {
		snprintf(lines[k++], 128, "c = %.3g %s/FLOP", m->per_flop, u);
		*n = k;
		return;
	}
	for (size_t t = 0; t < d->ntypes; t++) {
		if (k == max - 3) {
			snprintf(lines[k++], 128, "... %zu more types (COEFFS.json)", d->ntypes - t);
			break;
		}
		if (model == 1)
			snprintf(lines[k++], 128, "%s: %.3g %s/FLOP", opc_tty(d->types[t].name),
				 m->type_flop[t], u);
		else
			snprintf(lines[k++], 128, "%s: %.3g %s/FLOP + %.3g %s/B",
				 opc_tty(d->types[t].name), m->type_flop[t], u, m->type_byte[t], u);
	}
	if (model == 2) {
		snprintf(lines[k++], 128, "per call: %.3g %s", m->per_call, u);
		if (d->target == OPC_FIT_ENERGY)
			snprintf(lines[k++], 128, "static: %.3g W", m->static_w);
	}
	*n = k;
}

static void draw_panel(cairo_t *cr, const struct opc_fit_data *d, const struct opc_fit_result *r,
		       int model, const struct axis *ax, double rgb[3])
{
	const struct opc_fit_model *m = &r->m[model];
	const char *q = d->target == OPC_FIT_ENERGY ? "energy" : "busy time";
	char buf[256], lines[16][128];
	int n;

	/* titles */
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
	if (model == 0)
		snprintf(buf, sizeof(buf), "(a) %s: %s", opc_fit_model_short(0),
			 opc_fit_model_desc(d, 0));
	else
		snprintf(buf, sizeof(buf), "(c) %s, per call%s", opc_fit_model_short(2),
			 d->target == OPC_FIT_ENERGY ? ", static power" : "");
	opc_pic_text(cr, PLOT_L + PLOT_S / 2, 40, 15, 0.5, buf);
	cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	if (r->cv)
		snprintf(buf, sizeof(buf),
			 "each run left out of the fit: MAPE %.1f%%, R\u00b2 %.3f, Spearman %.2f",
			 m->cv_mape, m->cv_r2, m->cv_spearman);
	else
		snprintf(buf, sizeof(buf), "in sample (cross-validation needs 3 runs): "
			 "R\u00b2 %.3f per interval", m->fit_r2);
	opc_pic_text(cr, PLOT_L + PLOT_S / 2, 62, 12, 0.5, buf);

	/* frame, ticks, y = x */
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, PLOT_L, PLOT_T, PLOT_S, PLOT_S);
	cairo_fill(cr);
	draw_ticks(cr, ax);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 1.2);
	cairo_rectangle(cr, PLOT_L, PLOT_T, PLOT_S, PLOT_S);
	cairo_stroke(cr);
	cairo_save(cr);
	cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
	cairo_set_dash(cr, (double[]){ 6, 4 }, 2, 0);
	cairo_move_to(cr, PLOT_L, PLOT_T + PLOT_S);
	cairo_line_to(cr, PLOT_L + PLOT_S, PLOT_T);
	cairo_stroke(cr);
	cairo_restore(cr);

	/* axis labels */
	snprintf(buf, sizeof(buf), "measured %s per run (%s)%s", q, opc_fit_unit(d),
		 ax->log ? ", log scale" : "");
	opc_pic_text(cr, PLOT_L + PLOT_S / 2, PLOT_T + PLOT_S + 45, 13, 0.5, buf);
	cairo_save(cr);
	cairo_translate(cr, PLOT_L - 62, PLOT_T + PLOT_S / 2);
	cairo_rotate(cr, -M_PI / 2);
	snprintf(buf, sizeof(buf), "predicted %s (%s)", q, opc_fit_unit(d));
	opc_pic_text(cr, 0, 0, 13, 0.5, buf);
	cairo_restore(cr);

	/* points, clipped to the plot area, labelled when there are few */
	cairo_save(cr);
	cairo_rectangle(cr, PLOT_L, PLOT_T, PLOT_S, PLOT_S);
	cairo_clip(cr);
	for (size_t i = 0; i < d->nruns; i++) {
		const struct opc_fit_run *run = &d->runs[i];
		double mx = run->measured, py = run_pred(r, run, model);
		double x, y;

		if (!isfinite(py) || (ax->log && (mx <= 0 || py <= 0)))
			continue;
		x = PLOT_L + axis_pos(ax, mx);
		y = PLOT_T + PLOT_S - axis_pos(ax, py);
		cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], 0.85);
		cairo_new_path(cr);	/* no line from the last label's end */
		cairo_arc(cr, x, y, 5, 0, 2 * M_PI);
		cairo_fill_preserve(cr);
		cairo_set_source_rgb(cr, 0, 0, 0);
		cairo_set_line_width(cr, 0.8);
		cairo_stroke(cr);
		if (d->nruns <= 12) {
			const char *base = strrchr(run->path, '/');

			snprintf(buf, sizeof(buf), "%s", opc_tty(base ? base + 1 : run->path));
			if (strlen(buf) > 4 && !strcmp(buf + strlen(buf) - 4, ".opc"))
				buf[strlen(buf) - 4] = 0;
			cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
			opc_pic_text(cr, x + 8, y + 4, 10, 0, buf);
		}
	}
	cairo_restore(cr);

	/* the coefficients, in a box at the top left */
	coef_lines(d, m, model, lines, 16, &n);
	cairo_set_font_size(cr, 11.5);
	double wmax = 0;

	for (int k = 0; k < n; k++) {
		cairo_text_extents_t e;

		cairo_text_extents(cr, lines[k], &e);
		if (e.x_advance > wmax)
			wmax = e.x_advance;
	}
	if (wmax < 150)
		wmax = 150;
	cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
	cairo_rectangle(cr, PLOT_L + 6, PLOT_T + 6, wmax + 12, 16 * (n + 1) + 8 + 15);
	cairo_fill_preserve(cr);
	cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
	cairo_set_line_width(cr, 0.8);
	cairo_stroke(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
	opc_pic_text(cr, PLOT_L + 12, PLOT_T + 22, 11.5, 0, "fitted on all runs:");
	cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	for (int k = 0; k < n; k++)
		opc_pic_text(cr, PLOT_L + 12, PLOT_T + 22 + 16 * (k + 1), 11.5, 0, lines[k]);
	/* the legend of the dashed line */
	double ly = PLOT_T + 22 + 16 * (n + 1) - 4;

	cairo_save(cr);
	cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
	cairo_set_line_width(cr, 1.2);
	cairo_set_dash(cr, (double[]){ 6, 4 }, 2, 0);
	cairo_move_to(cr, PLOT_L + 12, ly);
	cairo_line_to(cr, PLOT_L + 40, ly);
	cairo_stroke(cr);
	cairo_restore(cr);
	opc_pic_text(cr, PLOT_L + 46, ly + 4, 11.5, 0, "y = x: predicted = measured");
}

struct picture {
	const struct opc_fit_data *d;
	const struct opc_fit_result *r;
};

static void draw(cairo_t *cr, void *arg)
{
	const struct opc_fit_data *d = ((struct picture *)arg)->d;
	const struct opc_fit_result *r = ((struct picture *)arg)->r;
	double col_a[3] = { 0.90, 0.45, 0.10 }, col_c[3] = { 0.15, 0.40, 0.80 };
	struct axis ax;
	char buf[512];

	cairo_set_source_rgb(cr, 0.97, 0.97, 0.97);
	cairo_paint(cr);
	axis_range(d, r, &ax);
	cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	draw_panel(cr, d, r, 0, &ax, col_a);
	cairo_save(cr);
	cairo_translate(cr, PANEL_W, 0);
	draw_panel(cr, d, r, 2, &ax, col_c);
	cairo_restore(cr);

	/* what was fitted to what, on which machine */
	cairo_set_source_rgb(cr, 0, 0, 0);
	snprintf(buf, sizeof(buf), "opcount fit: target %s (%s), %zu runs, %zu intervals; %s",
		 d->target == OPC_FIT_ENERGY ? "energy" : "time: busy time of intercepted calls",
		 opc_fit_unit(d), d->nruns, d->nrows,
		 r->cv ? "predicted = with that run's model left out of the fit" :
			 "predicted = in sample");
	opc_pic_text(cr, FIG_W / 2, FIG_H - 62, 12.5, 0.5, buf);
	if (d->measured)
		snprintf(buf, sizeof(buf), "energy source: %s (measured)", opc_tty(d->source));
	else if (!strcmp(d->source, "none"))
		snprintf(buf, sizeof(buf), "energy source: none");
	else
		snprintf(buf, sizeof(buf), "energy source: %s (NOT measured)%s", opc_tty(d->source),
			 d->target == OPC_FIT_TIME ? ", not used by a time fit" : "");
	if (!d->measured && strcmp(d->source, "none") && d->target == OPC_FIT_ENERGY) {
		cairo_set_source_rgb(cr, 0.8, 0, 0);
		cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
	}
	opc_pic_text(cr, FIG_W / 2, FIG_H - 42, 12.5, 0.5, buf);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	snprintf(buf, sizeof(buf), "machine: %s%s, %ld CPUs, BLAS %s", d->machine.cpu ?
		 opc_tty(d->machine.cpu) : "unknown CPU", d->machine.mixed ? " (and others)" : "",
		 d->machine.ncpu, d->machine.blas ? opc_tty(d->machine.blas) : "unknown");
	opc_pic_text(cr, FIG_W / 2, FIG_H - 22, 11, 0.5, buf);
}

int opc_fit_plot(const struct opc_fit_data *d, const struct opc_fit_result *r, const char *path,
		 char *err, size_t errlen)
{
	enum opc_plot_format fmt = opc_plot_format(path);
	struct picture pic = { d, r };
	struct opc_buf svg = { 0 };
	cairo_status_t st;

	if (fmt == OPC_PLOT_NONE) {
		snprintf(err, errlen, "%s: the plot's name must end in .svg or .png", path);
		return -1;
	}
	st = opc_pic_render(FIG_W, FIG_H, draw, &pic, fmt == OPC_PLOT_PNG ? path : NULL, &svg);
	if (st == CAIRO_STATUS_SUCCESS && fmt == OPC_PLOT_SVG &&
	    opc_pic_write(path, svg.s, svg.len, err, errlen) < 0) {
		free(svg.s);
		return -1;
	}
	free(svg.s);
	if (st != CAIRO_STATUS_SUCCESS) {
		snprintf(err, errlen, "%s: cannot write the plot: %s", path,
			 cairo_status_to_string(st));
		return -1;
	}
	return 0;
}

int opc_fit_plot_svg(const struct opc_fit_data *d, const struct opc_fit_result *r,
		     const char *prefix, char **svg_out, char *err, size_t errlen)
{
	struct picture pic = { d, r };
	struct opc_buf b = { 0 };
	cairo_status_t st = opc_pic_render(FIG_W, FIG_H, draw, &pic, NULL, &b);
	json_object *meta = json_object_new_object(), *pts = json_object_new_array();

	/* the points drawn: the fit's JSON runs' measured and predicted */
	for (size_t i = 0; i < d->nruns; i++) {
		json_object *o = json_object_new_object(), *pm = json_object_new_object();

		json_object_object_add(o, "path", opc_json_string(d->runs[i].path));
		json_object_object_add(o, "measured", opc_json_double(d->runs[i].measured));
		json_object_object_add(pm, "a", opc_json_double(run_pred(r, &d->runs[i], 0)));
		json_object_object_add(pm, "c", opc_json_double(run_pred(r, &d->runs[i], 2)));
		json_object_object_add(o, r->cv ? "predicted" : "fitted", pm);
		json_object_array_add(pts, o);
	}
	json_object_object_add(meta, "opcount_fit_plot", json_object_new_int(1));
	json_object_object_add(meta, "points", pts);
	*svg_out = NULL;
	if (st == CAIRO_STATUS_SUCCESS)
		*svg_out = opc_svg_finish(b.s, prefix, "opcount-fit-plot",
					  json_object_to_json_string_ext(meta,
						JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(meta);
	free(b.s);
	if (*svg_out == NULL) {
		snprintf(err, errlen, "cannot draw the plot: %s", st != CAIRO_STATUS_SUCCESS ?
			 cairo_status_to_string(st) : "out of memory");
		return -1;
	}
	return 0;
}
