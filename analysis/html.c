/*
 * html.c - report's pictures (--format roofline, --format html) and the
 * page of `opcount fit --html`.
 *
 * A page is one file that needs nothing else: its CSS and JavaScript
 * (analysis/html/, compiled in by tools/embed.py) are inline, its pictures
 * inline SVG, and a Content-Security-Policy forbids any load from the
 * network.  Its tables are rendered from the JSON report embedded in it,
 * the very text --format json prints, so that the page cannot show other
 * numbers than the report (docs/design.md, "HTML report").
 */
#define PR_FMT "report"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calibrate.h"
#include "html.h"
#include "html_assets.h"
#include "log.h"
#include "picture.h"
#include "roofline.h"
#include "timeline.h"
#include "util.h"

/* text for HTML: & < > " ' as entities */
static void esc(struct opc_buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': opc_buf_puts(b, "&amp;"); break;
		case '<': opc_buf_puts(b, "&lt;"); break;
		case '>': opc_buf_puts(b, "&gt;"); break;
		case '"': opc_buf_puts(b, "&quot;"); break;
		case '\'': opc_buf_puts(b, "&#39;"); break;
		default: opc_buf_add(b, s, 1);
		}
	}
}

static void page_head(struct opc_buf *b, const char *title)
{
	opc_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		     /* nothing from the network, whatever a trace's text holds */
		     "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		     "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
		     "<meta name=\"generator\" content=\"opcount " OPC_VERSION "\">\n<title>");
	esc(b, title);
	opc_buf_puts(b, "</title>\n<style>\n");
	opc_buf_puts(b, opc_asset_style_css);
	opc_buf_puts(b, "</style>\n<script>\n");
	/* first: an error in what follows is caught into the page */
	opc_buf_puts(b, opc_asset_common_js);
	opc_buf_puts(b, "</script>\n</head>\n<body>\n<pre id=\"opcount-errors\" hidden></pre>\n<h1>");
	esc(b, title);
	opc_buf_puts(b, "</h1>\n<p class=\"sub\" id=\"opcount-sub\"></p>\n"
		     "<noscript><p class=\"missing\">The tables are rendered by the page's own "
		     "JavaScript from the JSON embedded in it (view the source).</p></noscript>\n");
}

/* The JSON, as it is but for < > & (picture.h), in a <script> a reader can parse. */
static int embed_json(struct opc_buf *b, const char *id, const char *json)
{
	char *safe = opc_json_safe(json);

	if (safe == NULL)
		return -1;
	opc_buf_printf(b, "<script type=\"application/json\" id=\"%s\">\n", id);
	opc_buf_puts(b, safe);
	opc_buf_puts(b, "</script>\n");
	free(safe);
	return 0;
}

static void page_tail(struct opc_buf *b, const char *js)
{
	time_t now = time(NULL);
	char date[64];

	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	opc_buf_printf(b, "<p class=\"note\" id=\"opcount-status\">(not rendered: JavaScript is "
		       "off)</p>\n<p class=\"note\">made by opcount %s on %s</p>\n<script>\n",
		       OPC_VERSION, date);
	opc_buf_puts(b, js);
	opc_buf_puts(b, "</script>\n</body>\n</html>\n");
}

static int page_write(struct opc_buf *b, const char *path)
{
	char err[4096];

	if (b->oom) {
		pr_err("%s: out of memory", path);
		return -1;
	}
	if (opc_pic_write(path, b->s, b->len, err, sizeof(err)) < 0) {
		pr_err("%s", opc_tty(err));
		return -1;
	}
	return 0;
}

/* The calibration for the roofline: 1, 0 (none: note says why), -1 (error printed). */
static int calibration(const struct opc_pictures *pic, struct opc_calib *cal, char *note,
		       size_t len)
{
	char err[4200];
	int r = opc_calib_for_report(pic->calibration, cal, note, len, err, sizeof(err));

	if (r < 0)
		pr_err("%s", opc_tty(err));
	return r;
}

int opc_roofline_report(const struct opc_pictures *pic, const char *report_json)
{
	struct opc_calib cal;
	char note[4400], err[4200];
	int r = calibration(pic, &cal, note, sizeof(note));

	if (r < 0)
		return -1;
	if (opc_roofline(report_json, r ? &cal : NULL, note, pic->out, NULL, NULL, err,
			 sizeof(err)) < 0) {
		pr_err("%s", opc_tty(err));
		return -1;
	}
	opc_pic_cleanup();
	return 0;
}

int opc_html_report(const struct opc_pictures *pic, const char *report_json,
		    const char *layer_json)
{
	struct opc_buf b = { 0 };
	struct opc_calib cal;
	char note[4400], err[4200], *roof = NULL, *rlay = NULL, *tl = NULL;
	int r = calibration(pic, &cal, note, sizeof(note)), ret = -1;

	if (r < 0)
		return -1;
	if (opc_roofline(report_json, r ? &cal : NULL, note, NULL, "roof-", &roof, err,
			 sizeof(err)) < 0 ||
	    opc_roofline_id(layer_json, r ? &cal : NULL, note, NULL, "rooflayer-",
			    "opcount-roofline-layer", &rlay, err, sizeof(err)) < 0 ||
	    opc_timeline_svg(pic->traces, pic->ntraces, "power-", &tl, err, sizeof(err)) < 0) {
		pr_err("%s", opc_tty(err));
		goto out;
	}
	page_head(&b, "opcount report");
	opc_buf_puts(&b,
		"<section id=\"summary\"><h2>Summary</h2><div id=\"summary-body\"></div></section>\n"
		"<section id=\"layers\"><h2>Per layer</h2><div id=\"layers-note\"></div>\n"
		"<table id=\"table-layer\"></table>\n"
		"<p class=\"note\">Click a column's header to sort by it. busy_s: time in the calls "
		"(a layer's own time outside calls is its \"(other ops)\" row); exact values in each "
		"cell's tooltip.</p></section>\n"
		"<section id=\"rows\"><h2>Per <span id=\"rows-by\">site</span></h2>"
		"<div id=\"rows-note\"></div>\n<table id=\"table-rows\"></table></section>\n"
		"<section id=\"roofline\"><h2>Roofline: per <span id=\"roofline-by\">site"
		"</span></h2><div id=\"roofline-note\"></div>\n<div class=\"picture\">");
	opc_buf_puts(&b, roof);
	opc_buf_puts(&b, "</div></section>\n<section id=\"roofline-layer\"><h2>Roofline: per "
		     "layer</h2><div id=\"roofline-layer-note\"></div>\n<div class=\"picture\">");
	opc_buf_puts(&b, rlay);
	opc_buf_puts(&b, "</div></section>\n<section id=\"timeline\"><h2>Power timeline</h2>"
		     "<div id=\"timeline-note\"></div>\n<div class=\"picture\">");
	opc_buf_puts(&b, tl);
	opc_buf_puts(&b, "</div></section>\n");
	if (pic->flame_svg) {
		opc_buf_puts(&b, "<section id=\"flame\"><h2>Flame graph</h2>\n<div class=\"picture\">");
		opc_buf_puts(&b, pic->flame_svg);
		opc_buf_puts(&b, "</div></section>\n");
	}
	if (embed_json(&b, "opcount-report", report_json) < 0 ||
	    embed_json(&b, "opcount-report-layer", layer_json) < 0) {
		pr_err("%s: out of memory", pic->out);
		goto out;
	}
	page_tail(&b, opc_asset_report_js);
	ret = page_write(&b, pic->out);
out:
	free(roof);
	free(rlay);
	free(tl);
	free(b.s);
	opc_pic_cleanup();
	return ret;
}

int opc_html_fit(const char *path, const char *fit_json, const char *plot_svg)
{
	struct opc_buf b = { 0 };
	int ret;

	page_head(&b, "opcount fit");
	opc_buf_puts(&b, "<section id=\"verdict-section\"><h2>Verdict</h2>"
		     "<p id=\"verdict\" class=\"verdict\"></p><div id=\"fit-summary\"></div></section>\n"
		     "<section id=\"plot\"><h2>Measured vs predicted</h2><div class=\"picture\">");
	opc_buf_puts(&b, plot_svg);
	opc_buf_puts(&b, "</div></section>\n"
		     "<section id=\"models\"><h2>Models</h2><table id=\"table-models\"></table>"
		     "</section>\n<section id=\"runs\"><h2>Runs</h2>"
		     "<table id=\"table-runs\"></table></section>\n");
	if (embed_json(&b, "opcount-fit", fit_json) < 0)
		b.oom = 1;
	page_tail(&b, opc_asset_fit_js);
	ret = page_write(&b, path);
	free(b.s);
	return ret;
}
