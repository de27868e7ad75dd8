/*
 * timeline.c - the power timeline of a page (html.c): power per energy
 * domain per sampling interval, read from the traces' energy samples
 * through the trace reader, drawn with cairo.
 *
 * A sample holds each domain's cumulative joules at a collector tick, so
 * an interval's power is its energy over its time, exactly; the total is
 * the domains the reader counts (psys alone, or packages + dram; a domain
 * repeated per die once).  Past MAX_POINTS intervals, consecutive ones are
 * merged k at a time and a bucket's power is its energy over its time:
 * the page stays small for an hour at 100 Hz and no value is invented;
 * the metadata says k.
 */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo/cairo-svg.h>

#include "picture.h"
#include "timeline.h"
#include "trace.h"
#include "util.h"

#define W	1100
#define H	420
#define PL	90
#define PT	60
#define PW	800
#define PH	280
#define MAX_POINTS 2000

struct series {
	const char *name;
	int total;		/* the counted total: drawn thick */
	size_t n;
	double *t, *w;		/* end of each interval (s since the first start), W */
};

static const double colors[][3] = {
	{ 0.12, 0.47, 0.71 }, { 1.00, 0.50, 0.05 }, { 0.17, 0.63, 0.17 }, { 0.84, 0.15, 0.16 },
	{ 0.58, 0.40, 0.74 }, { 0.55, 0.34, 0.29 }, { 0.89, 0.47, 0.76 },
};

struct picture {
	struct series *s;
	size_t ns;
	double tmax, wmax;
	const char *missing, *title;
};

static void draw(cairo_t *cr, void *arg)
{
	const struct picture *pic = arg;
	struct series *s = pic->s;
	size_t ns = pic->ns;
	double tmax = pic->tmax, wmax = pic->wmax;
	const char *missing = pic->missing, *title = pic->title;
	char buf[512], lab[32];
	double step;

	cairo_set_source_rgb(cr, 0.97, 0.97, 0.97);
	cairo_paint(cr);
	cairo_select_font_face(cr, OPC_PIC_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
	cairo_set_source_rgb(cr, 0, 0, 0);
	opc_pic_text(cr, PL, 30, 15, 0, title);
	cairo_select_font_face(cr, OPC_PIC_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, PL, PT, PW, PH);
	cairo_fill(cr);
	if (missing) {
		cairo_set_source_rgb(cr, 0.75, 0.1, 0.1);
		opc_pic_text(cr, PL + PW / 2, PT + PH / 2, 13, 0.5, missing);
	}
	/* ticks: about 8 on each axis, at 1, 2 or 5 times a power of ten */
	for (int axis = 0; axis < 2; axis++) {
		double span = axis ? wmax : tmax, e = pow(10, floor(log10(span / 8)));

		step = span / e > 40 ? 5 * e : span / e > 16 ? 2 * e : e;
		for (int i = 0; i <= 64 && i * step <= span * 1.0001; i++) {
			double v = i * step, p;

			opc_pic_tick(lab, sizeof(lab), v);
			cairo_set_line_width(cr, 1);
			cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
			if (axis == 0) {
				p = PL + PW * v / tmax;
				cairo_move_to(cr, p, PT);
				cairo_line_to(cr, p, PT + PH);
				cairo_stroke(cr);
				cairo_set_source_rgb(cr, 0, 0, 0);
				opc_pic_text(cr, p, PT + PH + 18, 11.5, 0.5, lab);
			} else {
				p = PT + PH - PH * v / wmax;
				cairo_move_to(cr, PL, p);
				cairo_line_to(cr, PL + PW, p);
				cairo_stroke(cr);
				cairo_set_source_rgb(cr, 0, 0, 0);
				opc_pic_text(cr, PL - 8, p + 4, 11.5, 1, lab);
			}
		}
	}
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 1.2);
	cairo_rectangle(cr, PL, PT, PW, PH);
	cairo_stroke(cr);
	opc_pic_text(cr, PL + PW / 2, PT + PH + 40, 12.5, 0.5, "time (s)");
	cairo_save(cr);
	cairo_translate(cr, PL - 55, PT + PH / 2);
	cairo_rotate(cr, -M_PI / 2);
	opc_pic_text(cr, 0, 0, 12.5, 0.5, "power (W), per sampling interval");
	cairo_restore(cr);

	/* each series as steps: an interval's power over its whole time */
	cairo_save(cr);
	cairo_rectangle(cr, PL, PT, PW, PH);
	cairo_clip(cr);
	for (size_t k = 0, c = 0; k < ns; k++) {
		const struct series *q = &s[k];
		const double *col = q->total ? (double[]){ 0, 0, 0 } : colors[c++ % 7];
		double prev = 0;

		cairo_new_path(cr);
		for (size_t i = 0; i < q->n; i++) {
			double x0 = PL + PW * prev / tmax, x1 = PL + PW * q->t[i] / tmax;
			double y = PT + PH - PH * (isfinite(q->w[i]) ? q->w[i] : 0) / wmax;

			if (i == 0)
				cairo_move_to(cr, x0, y);
			else
				cairo_line_to(cr, x0, y);
			cairo_line_to(cr, x1, y);
			prev = q->t[i];
		}
		cairo_set_source_rgb(cr, col[0], col[1], col[2]);
		cairo_set_line_width(cr, q->total ? 2 : 1.2);
		cairo_stroke(cr);
	}
	cairo_restore(cr);
	/* legend */
	for (size_t k = 0, c = 0; k < ns && k < 14; k++) {
		const double *col = s[k].total ? (double[]){ 0, 0, 0 } : colors[c++ % 7];
		double y = PT + 10 + 18 * k;

		cairo_set_source_rgb(cr, col[0], col[1], col[2]);
		cairo_set_line_width(cr, s[k].total ? 2.5 : 1.5);
		cairo_move_to(cr, PL + PW + 12, y);
		cairo_line_to(cr, PL + PW + 32, y);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0, 0, 0);
		snprintf(buf, sizeof(buf), "%.22s", opc_tty(s[k].name));
		opc_pic_text(cr, PL + PW + 38, y + 4, 11, 0, buf);
	}
}

static json_object *jarr(const double *v, size_t n)
{
	json_object *a = json_object_new_array_ext((int)n);

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, opc_json_double(v[i]));
	return a;
}

int opc_timeline_svg(const struct opc_trace *tr, size_t npaths, const char *prefix,
		     char **svg_out, char *err, size_t errlen)
{
	struct series *s = NULL;
	size_t ns = 0, caps = 0;
	json_object *meta = json_object_new_object(), *jt = json_object_new_array();
	json_object *miss = json_object_new_array();
	uint64_t t0 = UINT64_MAX;
	double tmax = 0, wmax = 0;
	int ret = -1, with = 0;
	char title[256];

	err[0] = 0;
	for (size_t i = 0; i < npaths; i++) {
		if (tr[i].energy.nsamples > 1 &&
		    tr[i].hdr.start_realtime_ns + tr[i].energy.t_ns[0] < t0)
			t0 = tr[i].hdr.start_realtime_ns + tr[i].energy.t_ns[0];
	}
	for (size_t i = 0; i < npaths; i++) {
		const struct opc_tenergy *en = &tr[i].energy;
		size_t m = en->nsamples ? en->nsamples - 1 : 0;	/* intervals */
		size_t k = (m + MAX_POINTS - 1) / MAX_POINTS, nb;
		double off;
		json_object *o, *doms, *pw;

		if (m == 0) {
			char why[600];

			snprintf(why, sizeof(why), "%s: no energy samples (source %s)%s", tr[i].path,
				 en->source, strcmp(en->source, "none") ? "" :
				 ": record with opcount record --energy auto|rapl|estimate");
			json_object_array_add(miss, opc_json_string(why));
			continue;
		}
		with++;
		k = k ? k : 1;
		nb = (m + k - 1) / k;
		off = (double)(tr[i].hdr.start_realtime_ns + en->t_ns[0] - t0) / 1e9;
		if (ns + en->ndom + 1 > caps) {
			size_t c = (ns + en->ndom + 1) * 2;
			struct series *q = realloc(s, c * sizeof(*s));

			if (q == NULL)
				goto out;
			s = q;
			caps = c;
		}
		o = json_object_new_object();
		doms = json_object_new_array();
		pw = json_object_new_object();
		json_object_object_add(o, "path", opc_json_string(tr[i].path));
		json_object_object_add(o, "source", opc_json_string(en->source));
		json_object_object_add(o, "measured", json_object_new_boolean(en->measured));
		json_object_object_add(o, "intervals", json_object_new_uint64(m));
		json_object_object_add(o, "merged", json_object_new_uint64(k));
		/* the domains, then the total of the counted ones (d == ndom) */
		for (int d = 0; d <= en->ndom; d++) {
			struct series *q = &s[ns];
			const char *nm = d < en->ndom ? en->dom[d].name : "total";

			q->name = nm;
			q->total = d == en->ndom;
			q->n = nb;
			q->t = malloc(nb * sizeof(double));
			q->w = malloc(nb * sizeof(double));
			if (!q->t || !q->w) {
				free(q->t);
				free(q->w);
				json_object_put(o);
				json_object_put(doms);
				json_object_put(pw);
				goto out;
			}
			ns++;
			for (size_t b = 0; b < nb; b++) {
				size_t a = b * k, e = a + k < m ? a + k : m;	/* samples a..e */
				double j0 = d < en->ndom ? en->joules[a * en->ndom + d] : en->total[a];
				double j1 = d < en->ndom ? en->joules[e * en->ndom + d] : en->total[e];
				double dt = (double)(en->t_ns[e] - en->t_ns[a]) / 1e9;

				q->t[b] = off + (double)(en->t_ns[e] - en->t_ns[0]) / 1e9;
				q->w[b] = dt > 0 ? (j1 - j0) / dt : NAN;
				if (isfinite(q->w[b]) && q->w[b] > wmax)
					wmax = q->w[b];
			}
			if (q->t[nb - 1] > tmax)
				tmax = q->t[nb - 1];
			if (d < en->ndom) {
				json_object *dd = json_object_new_object();

				json_object_object_add(dd, "name", opc_json_string(nm));
				json_object_object_add(dd, "counted",
						       json_object_new_boolean(en->dom[d].counted));
				json_object_array_add(doms, dd);
			}
			{	/* a key is text too: valid UTF-8 whatever the trace holds */
				char *key = q->total ? strdup("total") : opc_utf8_dup(nm);

				json_object_object_add(pw, key ? key : "?", jarr(q->w, nb));
				free(key);
			}
			if (d == en->ndom)
				json_object_object_add(o, "t_s", jarr(q->t, nb));
		}
		json_object_object_add(o, "start_s", opc_json_double(off));
		json_object_object_add(o, "domains", doms);
		json_object_object_add(o, "power_w", pw);
		json_object_array_add(jt, o);
	}
	/* the axes: 0 to the last interval's end, 0 to the highest power + 10% */
	tmax = tmax > 0 ? tmax : 1;
	wmax = (wmax > 0 ? wmax : 1) * 1.1;
	{
		json_object *pl = json_object_new_object();

		json_object_object_add(pl, "x", json_object_new_int(PL));
		json_object_object_add(pl, "y", json_object_new_int(PT));
		json_object_object_add(pl, "w", json_object_new_int(PW));
		json_object_object_add(pl, "h", json_object_new_int(PH));
		json_object_object_add(pl, "t_max", opc_json_double(tmax));
		json_object_object_add(pl, "w_max", opc_json_double(wmax));
		json_object_object_add(meta, "plot", pl);
	}
	json_object_object_add(meta, "opcount_timeline", json_object_new_int(1));
	json_object_object_add(meta, "unit", json_object_new_string("W"));
	json_object_object_add(meta, "rule", json_object_new_string(
		"power of an interval = (joules at its end - joules at its start) / its time, per "
		"domain; total = the counted domains; over 2000 intervals, k consecutive ones "
		"merged (merged = k) and a bucket's power is its energy over its time; t_s = "
		"the end of each, seconds since the earliest trace's first sample"));
	json_object_object_add(meta, "traces", json_object_get(jt));
	json_object_object_add(meta, "missing", json_object_get(miss));
	if (with)
		snprintf(title, sizeof(title), "power per energy domain, per sampling interval "
			 "(%d trace%s)", with, with > 1 ? "s" : "");
	else
		snprintf(title, sizeof(title), "power timeline");
	{
		struct picture pic = { s, ns, tmax, wmax, with ? NULL :
			"no energy samples in this trace: nothing to draw (see the summary)", title };
		struct opc_buf svg = { 0 };
		cairo_status_t st = opc_pic_render(W, H, draw, &pic, NULL, &svg);

		if (st != CAIRO_STATUS_SUCCESS) {
			snprintf(err, errlen, "power timeline: cannot draw: %s",
				 cairo_status_to_string(st));
			free(svg.s);
			goto out;
		}
		*svg_out = opc_svg_finish(svg.s, prefix, "opcount-timeline",
					  json_object_to_json_string_ext(meta,
						JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		free(svg.s);
		if (*svg_out == NULL) {
			snprintf(err, errlen, "power timeline: out of memory");
			goto out;
		}
	}
	ret = 0;
out:
	if (ret < 0 && !err[0])
		snprintf(err, errlen, "power timeline: out of memory");
	for (size_t k = 0; k < ns; k++) {
		free(s[k].t);
		free(s[k].w);
	}
	free(s);
	json_object_put(jt);
	json_object_put(miss);
	json_object_put(meta);
	return ret;
}
