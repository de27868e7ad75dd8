/*
 * timeline.h - power per energy domain per sampling interval, as an SVG
 * for a page (html.c).
 */
#ifndef OPC_TIMELINE_H
#define OPC_TIMELINE_H

#include <stddef.h>

struct opc_trace;

/*
 * The power timeline of traces read (their energy samples; a report's
 * profile holds them): an SVG (ids prefixed with prefix) whose
 * <metadata id="opcount-timeline"> holds every value drawn
 * (docs/design.md, "Pictures").  A trace without energy samples is said
 * to have none, in the picture and the metadata's "missing".  0, or -1
 * with err.
 */
int opc_timeline_svg(const struct opc_trace *traces, size_t ntraces, const char *prefix,
		     char **svg_out, char *err, size_t errlen);

#endif
