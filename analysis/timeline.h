/*
 * timeline.h - power per energy domain per sampling interval, as an SVG
 * for a page (html.c).
 */
#ifndef OPC_TIMELINE_H
#define OPC_TIMELINE_H

#include <stddef.h>

/*
 * The traces' power timeline: an SVG (ids prefixed with prefix) whose
 * <metadata id="opcount-timeline"> holds every value drawn
 * (docs/design.md, "Pictures").  A trace without energy samples is said
 * to have none, in the picture and the metadata's "missing".  0, or -1
 * with err.
 */
int opc_timeline_svg(char **paths, int npaths, const char *prefix, char **svg_out, char *err,
		     size_t errlen);

#endif
