/*
 * plot.h - measured vs predicted run totals of models (a) and (c), drawn
 * with cairo into an SVG or a PNG (`opcount fit --plot FILE`).
 */
#ifndef OPC_PLOT_H
#define OPC_PLOT_H

#include <stddef.h>

#include "fit.h"

enum opc_plot_format { OPC_PLOT_NONE = -1, OPC_PLOT_SVG, OPC_PLOT_PNG };

/* From the file name's extension (.svg, .png, any case); OPC_PLOT_NONE
 * for anything else. */
enum opc_plot_format opc_plot_format(const char *path);

/*
 * One panel per model, side by side on the same axes: a point per run at
 * (measured, predicted) (held out when cross-validated, else in sample),
 * the y = x line, the fitted coefficients, and what was fitted from which
 * energy source.  Returns 0, or -1 with a message naming the file in err.
 */
int opc_fit_plot(const struct opc_fit_data *d, const struct opc_fit_result *r, const char *path,
		 char *err, size_t errlen);

/*
 * The same picture as an SVG text for a page (opcount fit --html): ids
 * prefixed with prefix, the points' numbers in <metadata
 * id="opcount-fit-plot">.  0, or -1 with err.
 */
int opc_fit_plot_svg(const struct opc_fit_data *d, const struct opc_fit_result *r,
		     const char *prefix, char **svg_out, char *err, size_t errlen);

#endif
