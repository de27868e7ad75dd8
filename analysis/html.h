/*
 * html.h - the pictures of `opcount report` (--format roofline, html) and
 * the page of `opcount fit --html`: one self-contained HTML file each.
 */
#ifndef OPC_HTML_H
#define OPC_HTML_H

#include <stddef.h>

/* What the command line said, for report's pictures. */
struct opc_pictures {
	const char *out;		/* -o FILE */
	const char *calibration;	/* --calibration FILE, or NULL: the default file */
	char **paths;			/* the traces */
	int npaths;
	const struct opc_trace *traces;	/* as the report read them */
	size_t ntraces;
	const char *flame_svg;		/* a flame graph's inline <svg>, or NULL: none */
};

/* --format roofline: report_json is the text --format json prints. */
int opc_roofline_report(const struct opc_pictures *pic, const char *report_json);

/*
 * --format html: the page (docs/design.md, "HTML report"), with
 * report_json (the rows of --by) and layer_json (the same traces --by
 * layer) embedded as they are and rendered from.  0, or -1 after an error
 * naming the file.
 */
int opc_html_report(const struct opc_pictures *pic, const char *report_json,
		    const char *layer_json);

/*
 * opcount fit --html FILE: fit_json is the document `fit --format json`
 * prints, plot_svg the measured-vs-predicted plot (plot.c).
 */
int opc_html_fit(const char *path, const char *fit_json, const char *plot_svg);

#endif
