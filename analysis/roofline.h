/*
 * roofline.h - `opcount report --format roofline`: the report's rows at
 * their arithmetic intensity and achieved GFLOP/s, under this machine's
 * measured ceilings (calibrate.h).
 */
#ifndef OPC_ROOFLINE_H
#define OPC_ROOFLINE_H

#include <stddef.h>

#include "calibrate.h"

/*
 * Draw the roofline of a JSON report (the text `--format json` prints):
 * every row with FLOPs, bytes and busy time as a point, sized by its
 * energy; the ceilings of cal, or (cal NULL) a note saying they are
 * missing and why (cal_note).  With path: written there, SVG or PNG by
 * its extension.  With svg_out: the SVG text (ids prefixed with prefix),
 * for a page.  An SVG carries <metadata id="opcount-roofline"> with the
 * points' numbers, the report's own (docs/design.md, "Pictures").
 * Returns 0, or -1 with "PATH: why" in err.
 */
int opc_roofline(const char *report_json, const struct opc_calib *cal, const char *cal_note,
		 const char *path, const char *prefix, char **svg_out, char *err, size_t errlen);
/* The same, its metadata's id meta_id (a page with two: "opcount-roofline-layer") */
int opc_roofline_id(const char *report_json, const struct opc_calib *cal, const char *cal_note,
		    const char *path, const char *prefix, const char *meta_id, char **svg_out,
		    char *err, size_t errlen);

#endif
