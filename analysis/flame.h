/*
 * flame.h - flame graphs drawn by opcount itself (report --format svg),
 * and the call stacks they are made of as JSON (report --by stack).
 *
 * A flame graph is a tree of frames, each with the numbers of everything
 * below it.  Two trees are drawn:
 *
 *   --by stack   the keys' recorded call stacks, the routine as the leaf
 *                (the stacks of --format folded); without a recorded
 *                stack, the call site, and the picture says so
 *   --by path    the layer nesting, each row (--by path) a leaf under its
 *                path, the path frames carrying the rows' inclusive_busy_s
 *                and inclusive_energy_j
 *   --by other   one frame per row, under a root
 *
 * Every frame carries its numbers as data-* attributes, written exactly as
 * the JSON report writes the same numbers (docs/design.md, "Pictures").
 */
#ifndef OPC_FLAME_H
#define OPC_FLAME_H

#include "profile.h"

enum opc_weight { OPC_WEIGHT_ENERGY, OPC_WEIGHT_FLOPS, OPC_WEIGHT_TIME };

int opc_weight_parse(const char *s, enum opc_weight *w);

/*
 * What is written to stdout: an SVG file; the same <svg> element without
 * the XML declaration, for an HTML page (its style rules, classes and
 * script are scoped to it: several may share a page); or (--by stack)
 * the tree as JSON.
 */
enum opc_flame_out { OPC_FLAME_SVG, OPC_FLAME_SVG_INLINE, OPC_FLAME_JSON };

/* --by stack: the tree of the loaded (not grouped) traces' stacks.  0, or
 * -1 after an error. */
int opc_flame_stacks(struct opc_profile *p, enum opc_weight w, enum opc_flame_out out);

/* Any other grouping: the rows of p (grouped, sorted), with incl_s and
 * incl_j the --by path rows' inclusive numbers (NULL otherwise), as an
 * SVG (out: OPC_FLAME_SVG or OPC_FLAME_SVG_INLINE). */
int opc_flame_rows(const struct opc_profile *p, enum opc_group by, const double *incl_s,
		   const double *incl_j, enum opc_weight w, enum opc_flame_out out);

/* A number as the JSON report writes it ("null" where it is not finite),
 * into buf of at least 64 bytes. */
const char *opc_json_num(double v, char *buf, size_t len);

#endif
