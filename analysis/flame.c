/*
 * flame.c - flame graphs as a self-contained, interactive SVG, and the
 * stack tree they show as JSON (flame.h).
 *
 * The SVG needs no network: its style and script are inline.  Hovering a
 * frame shows its joules, FLOPs, bytes, time and share; clicking zooms to
 * it (its subtree across the whole width), clicking the root or "Reset
 * zoom" zooms out; "#zoom=ID" in the URL opens zoomed to frame ID.  The
 * script marks the document data-js-ready="1" once it ran, and writes an
 * error it met into data-js-error, so that a headless browser's DOM tells
 * whether it worked.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flame.h"
#include "hashtab.h"
#include "log.h"
#include "symbolize.h"
#include "util.h"

#define NONE		UINT32_MAX
#define SVG_WIDTH	1200
#define FRAME_H		17
#define PAD_TOP		70	/* title and notes */
#define PAD_BOTTOM	40	/* details line */
#define MAX_FRAMES	50000	/* frames beyond are merged into their parent: a
				   browser draws 50000 (an SVG of 25 MB) */
#define STR_(x)		#x
#define STR(x)		STR_(x)

struct fnode {
	char *name;
	uint32_t parent, child, next;	/* child, next: NONE when none */
	uint32_t depth;
	uint64_t calls, flops, bytes;
	double busy_s, energy_j;
	double share;		/* of the weight's total */
	double lw;		/* layout weight: max(own, children's) */
	double x;		/* layout: start, as a fraction of the width */
	int nocalls;		/* no calls counted here (outside, samples): no calls attribute */
	uint32_t row;		/* 1 + the row whose numbers it holds (rows' trees) */
};

struct ftree {
	struct fnode *n;
	size_t len, cap;
	struct opc_hashtab idx;		/* (parent, name) -> node + 1 */
	int full;			/* MAX_FRAMES reached */
};

struct fkey {
	const struct ftree *t;
	uint32_t parent;
	const char *name;
};

static int fnode_is(const void *arg, uint32_t id)
{
	const struct fkey *k = arg;
	const struct fnode *n = &k->t->n[id - 1];

	return n->parent == k->parent && !strcmp(n->name, k->name);
}

static uint32_t fnode_hash(uint32_t parent, const char *name)
{
	return opc_hash_str((uint32_t)opc_hash_mix64(parent + 1), name);
}

static uint32_t tree_add(struct ftree *t, uint32_t parent, const char *name)
{
	struct fnode *n;

	if (t->len == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		struct fnode *v = realloc(t->n, cap * sizeof(*v));

		if (v == NULL)
			return NONE;
		t->n = v;
		t->cap = cap;
	}
	n = &t->n[t->len];
	memset(n, 0, sizeof(*n));
	n->name = strdup(name);
	n->parent = parent;
	n->child = n->next = NONE;
	n->depth = parent == NONE ? 0 : t->n[parent].depth + 1;
	if (n->name == NULL)
		return NONE;
	if (parent != NONE) {
		if (opc_hashtab_insert(&t->idx, fnode_hash(parent, name), (uint32_t)t->len + 1) < 0) {
			free(n->name);
			return NONE;
		}
		/* first: put in order of names by sort_children, once */
		n->next = t->n[parent].child;
		t->n[parent].child = (uint32_t)t->len;
	}
	return (uint32_t)t->len++;
}

/* The child of parent named name, made if new; NONE when out of memory.
 * Past MAX_FRAMES, the parent itself (the picture says so). */
static uint32_t tree_child(struct ftree *t, uint32_t parent, const char *name)
{
	struct fkey k = { t, parent, name };
	uint32_t id = opc_hashtab_find(&t->idx, fnode_hash(parent, name), fnode_is, &k);

	if (id)
		return id - 1;
	if (t->len >= MAX_FRAMES) {
		t->full = 1;
		return parent;
	}
	return tree_add(t, parent, name);
}

static void tree_free(struct ftree *t)
{
	for (size_t i = 0; i < t->len; i++)
		free(t->n[i].name);
	free(t->n);
	opc_hashtab_free(&t->idx);
}

/* What one stack, call site or row adds to each node from `leaf` up to the root. */
struct fval {
	uint64_t calls, flops, bytes;
	double busy_s, energy_j;
};

static void add_up(struct ftree *t, uint32_t leaf, const struct fval *v)
{
	for (uint32_t i = leaf; i != NONE; i = t->n[i].parent) {
		t->n[i].calls += v->calls;
		t->n[i].flops += v->flops;
		t->n[i].bytes += v->bytes;
		t->n[i].busy_s += v->busy_s;
		t->n[i].energy_j += v->energy_j;
	}
}

int opc_weight_parse(const char *s, enum opc_weight *w)
{
	if (!strcmp(s, "energy"))
		*w = OPC_WEIGHT_ENERGY;
	else if (!strcmp(s, "flops"))
		*w = OPC_WEIGHT_FLOPS;
	else if (!strcmp(s, "time"))
		*w = OPC_WEIGHT_TIME;
	else
		return -1;
	return 0;
}

static const char *weight_name(enum opc_weight w)
{
	return w == OPC_WEIGHT_ENERGY ? "energy" : w == OPC_WEIGHT_FLOPS ? "flops" : "time";
}

static double weight_of(const struct fnode *n, enum opc_weight w)
{
	double v = w == OPC_WEIGHT_ENERGY ? n->energy_j :
		   w == OPC_WEIGHT_FLOPS ? (double)n->flops : n->busy_s;

	return v > 0 && isfinite(v) ? v : 0;
}

const char *opc_json_num(double v, char *buf, size_t len)
{
	json_object *o = opc_json_double(v);

	snprintf(buf, len, "%s", o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) :
		 "null");
	json_object_put(o);
	return buf;
}

static const struct ftree *sorting;

static int by_parent_name(const void *a, const void *b)
{
	const struct fnode *x = &sorting->n[*(const uint32_t *)a];
	const struct fnode *y = &sorting->n[*(const uint32_t *)b];

	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Each node's children in order of their names, as siblings are drawn (a
 * sort of all nodes: a root of a million rows has a million children). */
static int sort_children(struct ftree *t)
{
	uint32_t *v = malloc(t->len * sizeof(*v));
	size_t n = 0;

	if (v == NULL)
		return -1;
	for (size_t i = 1; i < t->len; i++)
		v[n++] = (uint32_t)i;
	sorting = t;
	qsort(v, n, sizeof(*v), by_parent_name);
	for (size_t i = 0; i < t->len; i++)
		t->n[i].child = NONE;
	for (size_t i = n; i-- > 0;) {
		struct fnode *c = &t->n[v[i]];

		c->next = t->n[c->parent].child;
		t->n[c->parent].child = v[i];
	}
	free(v);
	return 0;
}

/*
 * Layout: a frame's width is its layout weight, the larger of its own
 * weight and its children's (sums of doubles may differ from the parent's
 * by a rounding; a frame never overflows its parent), children left to
 * right in order of their names.  Nodes are made before their children,
 * so walking them backwards sees children first.
 */
static void layout(struct ftree *t, enum opc_weight w, double total)
{
	for (size_t i = t->len; i-- > 0;) {
		struct fnode *n = &t->n[i];
		double sum = 0;

		for (uint32_t c = n->child; c != NONE; c = t->n[c].next)
			sum += t->n[c].lw;
		n->lw = weight_of(n, w) > sum ? weight_of(n, w) : sum;
		n->share = total > 0 ? weight_of(n, w) / total : 0;
	}
	if (t->len == 0)
		return;
	t->n[0].x = 0;
	for (size_t i = 0; i < t->len; i++) {
		double x = t->n[i].x;

		for (uint32_t c = t->n[i].child; c != NONE; c = t->n[c].next) {
			t->n[c].x = x;
			x += t->n[0].lw > 0 ? t->n[c].lw / t->n[0].lw : 0;
		}
	}
}

/* Text for XML (attributes and content): escaped like a table's text
 * (opc_tty: no control character, which XML 1.0 forbids even as a
 * reference), then &, <, >, " and ' as references. */
static void xml_text(const char *s)
{
	for (s = opc_tty(s); *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", stdout); break;
		case '<': fputs("&lt;", stdout); break;
		case '>': fputs("&gt;", stdout); break;
		case '"': fputs("&quot;", stdout); break;
		case '\'': fputs("&#39;", stdout); break;
		default: putchar(*s);
		}
	}
}

/* The script of the SVG: ES5, no library, nothing loaded. */
static const char flame_js[] =
	"(function () {\n"
	"var cs = document.currentScript;\n"
	"var svg = cs && cs.closest ? cs.closest('svg') : document.documentElement;\n"
	"var frames = [], byId = {}, details, W = 0;\n"
	"function fail(e) { svg.setAttribute('data-js-error', String(e && e.message || e)); }\n"
	"window.addEventListener('error', function (ev) { fail(ev.message); });\n"
	"function num(g, a) { var v = g.getAttribute(a); return v === null ? null : Number(v); }\n"
	"function si(v) {\n"
	"  if (v === null || isNaN(v)) return '-';\n"
	"  var u = ['', 'k', 'M', 'G', 'T', 'P', 'E'], i = 0;\n"
	"  while (Math.abs(v) >= 1000 && i < u.length - 1) { v /= 1000; i++; }\n"
	"  return (i ? v.toPrecision(3) : String(Math.round(v * 1000) / 1000)) + u[i];\n"
	"}\n"
	"function label(f) {\n"
	"  var w = Number(f.r.getAttribute('width')), n = f.name, c = Math.floor((w - 6) / 7);\n"
	"  f.t.textContent = c < 3 ? '' : n.length <= c ? n : n.substring(0, c - 2) + '..';\n"
	"}\n"
	"function place(f, x, w) {\n"
	"  f.r.setAttribute('x', (10 + x * W).toFixed(2));\n"
	"  f.r.setAttribute('width', (w * W).toFixed(2));\n"
	"  f.t.setAttribute('x', (13 + x * W).toFixed(2));\n"
	"  f.g.style.display = ''; label(f);\n"
	"}\n"
	"function show(f) {\n"
	"  var g = f.g, e = num(g, 'data-energy-j'), s = num(g, 'data-share');\n"
	"  details.textContent = f.name + ': ' + (e === null ? 'energy not measured' :\n"
	"    si(e) + 'J') + ', ' + si(num(g, 'data-flops')) + ' FLOPs, ' +\n"
	"    si(num(g, 'data-bytes')) + 'B, ' + si(num(g, 'data-busy-s')) + 's' +\n"
	"    (g.hasAttribute('data-calls') ? ', ' + g.getAttribute('data-calls') + ' calls' : '') +\n"
	"    ', ' + (s * 100).toFixed(2) + '% of ' + svg.getAttribute('data-weight');\n"
	"}\n"
	"function zoom(id) {\n"
	"  var z = byId[id]; if (!z) return;\n"
	"  var zx = z.x, zw = z.w, anc = {};\n"
	"  for (var a = z; a; a = byId[a.parent]) anc[a.id] = 1;\n"
	"  for (var i = 0; i < frames.length; i++) {\n"
	"    var f = frames[i];\n"
	"    if (anc[f.id]) place(f, 0, 1);\n"
	"    else if (f.depth > z.depth && zw > 0 && f.x >= zx && f.x + f.w <= zx + zw * (1 + 1e-9) + 1e-12)\n"
	"      place(f, (f.x - zx) / zw, f.w / zw);\n"
	"    else f.g.style.display = 'none';\n"
	"  }\n"
	"  svg.setAttribute('data-zoom', String(id));\n"
	"}\n"
	"function init() {\n"
	"  try {\n"
	"    W = Number(svg.getAttribute('data-plot-width'));\n"
	"    details = svg.querySelector('.opcflame-details');\n"
	"    var gs = svg.querySelectorAll('g.frame');\n"
	"    for (var i = 0; i < gs.length; i++) {\n"
	"      var g = gs[i], f = { g: g, id: g.getAttribute('data-id'),\n"
	"        parent: g.getAttribute('data-parent'), depth: num(g, 'data-depth'),\n"
	"        name: g.getAttribute('data-name'), x: num(g, 'data-x'), w: num(g, 'data-w'),\n"
	"        r: g.getElementsByTagName('rect')[0], t: g.getElementsByTagName('text')[0] };\n"
	"      frames.push(f); byId[f.id] = f;\n"
	"      (function (f) {\n"
	"        g.addEventListener('mouseover', function () { show(f); });\n"
	"        g.addEventListener('click', function () { zoom(f.id); show(f); });\n"
	"      })(f);\n"
	"    }\n"
	"    svg.querySelector('.opcflame-unzoom').addEventListener('click', function () { zoom('0'); });\n"
	"    var m = /zoom=([0-9]+)/.exec(location.hash);\n"
	"    if (m) zoom(m[1]); else for (var j = 0; j < frames.length; j++) label(frames[j]);\n"
	"    if (frames.length) show(byId[m ? m[1] : '0'] || frames[0]);\n"
	"    svg.setAttribute('data-js-frames', String(frames.length));\n"
	"    svg.setAttribute('data-js-ready', '1');\n"
	"  } catch (e) { fail(e); }\n"
	"}\n"
	"if (document.readyState === 'complete') init(); else window.addEventListener('load', init);\n"
	"})();\n";

/* A frame's colour: warm hues, from a hash of its name, so that a
 * routine has one colour wherever it appears. */
static void frame_fill(const char *name, char *buf, size_t len)
{
	uint32_t h = opc_hash_str(OPC_HASH_SEED, name);

	snprintf(buf, len, "rgb(%u,%u,%u)", 205 + h % 50, 80 + (h >> 8) % 130, 40 + (h >> 16) % 50);
}

struct svg_meta {
	const char *by;
	enum opc_weight w;		/* what widths are */
	enum opc_weight asked;
	int have_energy;
	const char *notes[8];		/* what is missing, what the picture is */
	int nnotes;
	int inline_svg;			/* in an HTML page: no XML declaration */
};

static void print_svg(const struct ftree *t, const struct svg_meta *m)
{
	uint32_t maxdepth = 0;
	int plot_w = SVG_WIDTH - 20, height;
	char b1[64];

	for (size_t i = 0; i < t->len; i++)
		if (t->n[i].depth > maxdepth)
			maxdepth = t->n[i].depth;
	height = PAD_TOP + 14 * m->nnotes + (int)(maxdepth + 1) * FRAME_H + PAD_BOTTOM;
	if (!m->inline_svg)
		printf("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
	printf("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" class=\"opcflame\" width=\"%d\" "
	       "height=\"%d\" viewBox=\"0 0 %d %d\" data-opcount-flame=\"1\" data-by=\"%s\" "
	       "data-weight=\"%s\" data-weight-asked=\"%s\" data-energy=\"%s\" data-frames=\"%zu\" "
	       "data-plot-width=\"%d\">\n",
	       SVG_WIDTH, height, SVG_WIDTH, height, m->by, weight_name(m->w),
	       weight_name(m->asked), m->have_energy ? "measured-or-estimated" : "none", t->len,
	       plot_w);
	/* classes, not ids, and rules under svg.opcflame: the SVG may be one
	 * of several in an HTML page (report --format html) */
	printf("<style>\n"
	       "svg.opcflame text { font-family: Verdana, sans-serif; font-size: 12px; fill: #000; }\n"
	       "svg.opcflame .opcflame-title { font-size: 17px; }\n"
	       "svg.opcflame .opcflame-note { fill: #a00; font-size: 12px; }\n"
	       "svg.opcflame g.frame { cursor: pointer; }\n"
	       "svg.opcflame g.frame:hover rect { stroke: #000; stroke-width: 0.5; }\n"
	       "svg.opcflame g.frame text { font-size: 11px; pointer-events: none; }\n"
	       "svg.opcflame .opcflame-unzoom { cursor: pointer; fill: #00a; }\n"
	       "</style>\n<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n",
	       flame_js);
	printf("<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#fdfdf6\"/>\n");
	printf("<text class=\"opcflame-title\" x=\"%d\" y=\"24\" text-anchor=\"middle\">opcount flame graph: "
	       "--by %s, width = %s</text>\n", SVG_WIDTH / 2, m->by,
	       m->w == OPC_WEIGHT_ENERGY ? "energy (J)" : m->w == OPC_WEIGHT_FLOPS ?
	       "FLOPs" : "busy time (s)");
	printf("<text class=\"opcflame-unzoom\" x=\"10\" y=\"24\">Reset zoom</text>\n");
	printf("<text class=\"opcflame-subtitle\" x=\"%d\" y=\"44\" text-anchor=\"middle\">hover a frame for "
	       "its numbers, click to zoom; the numbers are those of "
	       "opcount report --format json</text>\n", SVG_WIDTH / 2);
	for (int i = 0; i < m->nnotes; i++) {
		printf("<text class=\"opcflame-note\" x=\"10\" y=\"%d\">", PAD_TOP - 8 + 14 * i);
		xml_text(m->notes[i]);
		printf("</text>\n");
	}
	printf("<text class=\"opcflame-details\" x=\"10\" y=\"%d\"> </text>\n<g class=\"opcflame-frames\">\n",
	       height - 14);
	/* a frame's rect at 10 + x * W px, as the script places it (W: data-plot-width) */
	for (size_t i = 0; i < t->len; i++) {
		const struct fnode *n = &t->n[i];
		double wf = t->n[0].lw > 0 ? n->lw / t->n[0].lw : 0;
		int y = height - PAD_BOTTOM - (int)(n->depth + 1) * FRAME_H;
		char fill[32];

		frame_fill(n->name, fill, sizeof(fill));
		printf("<g class=\"frame\" data-id=\"%zu\" data-parent=\"", i);
		if (n->parent != NONE)
			printf("%u", n->parent);
		printf("\" data-depth=\"%u\" data-name=\"", n->depth);
		xml_text(n->name);
		if (!n->nocalls)
			printf("\" data-calls=\"%" PRIu64, n->calls);
		printf("\" data-flops=\"%" PRIu64 "\" data-bytes=\"%" PRIu64 "\"", n->flops,
		       n->bytes);
		printf(" data-busy-s=\"%s\"", opc_json_num(n->busy_s, b1, sizeof(b1)));
		if (m->have_energy)
			printf(" data-energy-j=\"%s\"", opc_json_num(n->energy_j, b1, sizeof(b1)));
		printf(" data-share=\"%s\"", opc_json_num(n->share, b1, sizeof(b1)));
		printf(" data-x=\"%.17g\" data-w=\"%.17g\">", n->x, wf);
		printf("<title>");
		xml_text(n->name);
		printf("</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\" "
		       "rx=\"2\"/><text x=\"%.2f\" y=\"%d\"></text></g>\n",
		       10 + n->x * plot_w, y, wf * plot_w, FRAME_H - 1, fill,
		       10 + n->x * plot_w + 3, y + FRAME_H - 5);
	}
	printf("</g>\n</svg>\n");
}

/* ---- --by stack ---- */

/* The routine's frame under a key's stack, or its call site without one:
 * what print_folded (cmd_report.c) writes as a line. */
static int add_key(struct ftree *t, struct opc_symbolizer *sym, const struct opc_trace *tr,
		   const struct opc_tkeydef *d, const struct opc_tkey *k, int *nostack)
{
	const struct opc_tstack *st = opc_trace_stack(tr, d->rec.stack);
	uint32_t at = 0;
	struct fval v = { k->calls, k->flops, k->bytes, k->busy_s, k->energy_j };

	if (st) {
		for (uint32_t i = st->depth; i-- > 0 && at != NONE;)
			at = tree_child(t, at, opc_sym_func(sym, st->frames[i], 1));
	} else {
		*nostack = 1;
		if (!(k->flags & OPC_TKEY_OVERFLOW))
			at = tree_child(t, at, opc_sym_func(sym, d->rec.site, 1));
	}
	if (at != NONE)
		at = tree_child(t, at, d->op);
	if (at == NONE)
		return -1;
	add_up(t, at, &v);
	return 0;
}

static void print_stacks_json(const struct ftree *t, const struct svg_meta *m, int stacks)
{
	json_object *root = json_object_new_object();
	json_object *frames = json_object_new_array();
	json_object *notes = json_object_new_array();
	json_object *tot = json_object_new_object();
	const struct fnode *r = &t->n[0];

	json_object_object_add(root, "by", json_object_new_string("stack"));
	json_object_object_add(root, "weight", json_object_new_string(weight_name(m->w)));
	json_object_object_add(root, "stacks_recorded", json_object_new_boolean(stacks));
	json_object_object_add(tot, "calls", json_object_new_uint64(r->calls));
	json_object_object_add(tot, "flops", json_object_new_uint64(r->flops));
	json_object_object_add(tot, "bytes", json_object_new_uint64(r->bytes));
	json_object_object_add(tot, "busy_s", opc_json_double(r->busy_s));
	json_object_object_add(tot, "energy_j", m->have_energy ? opc_json_double(r->energy_j) : NULL);
	json_object_object_add(root, "totals", tot);
	for (int i = 0; i < m->nnotes; i++)
		json_object_array_add(notes, opc_json_string(m->notes[i]));
	json_object_object_add(root, "notes", notes);
	for (size_t i = 0; i < t->len; i++) {
		const struct fnode *n = &t->n[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int64((int64_t)i));
		json_object_object_add(o, "parent", n->parent == NONE ? NULL :
				       json_object_new_int64(n->parent));
		json_object_object_add(o, "depth", json_object_new_int64(n->depth));
		json_object_object_add(o, "name", opc_json_string(n->name));
		json_object_object_add(o, "calls", n->nocalls ? NULL : json_object_new_uint64(n->calls));
		json_object_object_add(o, "flops", json_object_new_uint64(n->flops));
		json_object_object_add(o, "bytes", json_object_new_uint64(n->bytes));
		json_object_object_add(o, "busy_s", opc_json_double(n->busy_s));
		json_object_object_add(o, "energy_j", m->have_energy ?
				       opc_json_double(n->energy_j) : NULL);
		json_object_object_add(o, "share", opc_json_double(n->share));
		json_object_array_add(frames, o);
	}
	json_object_object_add(root, "frames", frames);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void energy_notes(struct svg_meta *m, const struct opc_profile *p)
{
	static char buf[256];

	m->have_energy = p->have_energy;
	if (!p->have_energy) {
		m->notes[m->nnotes++] = "energy: not measured (no energy source in this trace)";
		if (m->w == OPC_WEIGHT_ENERGY) {
			m->w = OPC_WEIGHT_TIME;
			m->notes[m->nnotes++] = "widths are busy time, as energy is missing";
		}
	} else if (!p->measured) {
		snprintf(buf, sizeof(buf), "energy: ESTIMATED, not measured (%s)",
			 p->note && p->note[0] ? p->note : p->source);
		m->notes[m->nnotes++] = buf;
	}
}

int opc_flame_stacks(struct opc_profile *p, enum opc_weight w, enum opc_flame_out out)
{
	struct ftree t = { 0 };
	struct svg_meta m = { .by = "stack", .w = w, .asked = w,
			      .inline_svg = out == OPC_FLAME_SVG_INLINE };
	double sampled_j = 0;
	int nostack = 0, nkeys = 0, ret = 0;
	char err[1024];

	energy_notes(&m, p);
	if (tree_add(&t, NONE, "all") == NONE)
		goto nomem;
	for (size_t ti = 0; ti < p->ntraces && ret == 0; ti++) {
		struct opc_trace *tr = &p->traces[ti];
		struct opc_symbolizer *sym = opc_sym_new(tr);
		struct opc_tkeys *it = opc_tkeys_open(tr);
		const struct opc_tkeydef *d;

		if (sym == NULL) {
			opc_tkeys_close(it, err, sizeof(err));
			goto nomem;
		}
		for (size_t ki = 0; it && ret == 0 && (d = opc_tkeys_next(it)); ki++) {
			const struct opc_tkey *k = &tr->keys[ki];

			/* nested calls are inside their outer call's numbers */
			if (k->calls == 0 || (k->flags & OPC_TKEY_NESTED))
				continue;
			nkeys++;
			ret = add_key(&t, sym, tr, d, k, &nostack);
		}
		if (opc_tkeys_close(it, err, sizeof(err)) < 0 && ret == 0) {
			pr_err("%s", opc_tty(err));
			ret = -2;
		}
		opc_trace_close(tr);
		for (size_t si = 0; si < tr->nsamples && ret == 0; si++) {
			const struct opc_tsample *sm = &tr->samples[si];
			const struct opc_tstack *st = opc_trace_stack(tr, sm->stack);
			struct fval v = { 0, 0, 0, sm->weight_ns / 1e9, sm->energy_j };
			uint32_t at = 0;

			if (st == NULL)
				continue;
			/* frame 0 is where the thread stood, not a return address */
			for (uint32_t i = st->depth; i-- > 0 && at != NONE;)
				at = tree_child(&t, at, opc_sym_func(sym, st->frames[i], i > 0));
			if (at == NONE) {
				ret = -1;
				break;
			}
			t.n[at].nocalls = 1;
			sampled_j += sm->energy_j;
			add_up(&t, at, &v);
		}
		opc_sym_free(sym);
	}
	if (ret == -1)
		goto nomem;
	if (ret < 0)
		goto out;
	if (p->have_energy) {
		uint32_t at = tree_child(&t, 0, "(outside intercepted calls, not sampled)");
		struct fval v = { 0, 0, 0, 0, p->outside_j - sampled_j };

		if (at == NONE)
			goto nomem;
		t.n[at].nocalls = 1;
		add_up(&t, at, &v);
	}
	if (nkeys == 0)
		m.notes[m.nnotes++] = "no intercepted calls in this trace";
	else if (nostack)
		m.notes[m.nnotes++] = "call stacks were not recorded (OPCOUNT_STACK_DEPTH=0, or an "
				      "older trace): frames are call sites";
	if (t.full)
		m.notes[m.nnotes++] = "more than " STR(MAX_FRAMES) " frames: deeper ones merged into their parent";
	if (sort_children(&t) < 0)
		goto nomem;
	layout(&t, m.w, weight_of(&t.n[0], m.w));
	if (out == OPC_FLAME_JSON)
		print_stacks_json(&t, &m, nkeys > 0 && !nostack);
	else
		print_svg(&t, &m);
	goto out;
nomem:
	pr_err("out of memory");
	ret = -1;
out:
	tree_free(&t);
	return ret ? -1 : 0;
}

/* ---- rows (--by path and the others) ---- */

static const char *row_label(const struct opc_profile *p, const struct opc_row *r,
			     enum opc_group by)
{
	switch (by) {
	case OPC_BY_SITE: return opc_row_site(p, r);
	case OPC_BY_LAYER: return opc_row_layer(p, r) ? opc_row_layer(p, r) : "(no layer)";
	case OPC_BY_OP: return opc_row_op(p, r);
	case OPC_BY_TYPE: return opc_row_type(p, r);
	case OPC_BY_KEY: return opc_row_shape(p, r) ? opc_row_shape(p, r) : opc_row_op(p, r);
	case OPC_BY_DEVICE: return opc_row_device(p, r);
	case OPC_BY_RANK: return opc_row_rank(p, r) ? opc_row_rank(p, r) : "(no rank)";
	case OPC_BY_NODE: return opc_row_node(p, r) ? opc_row_node(p, r) : "(unknown node)";
	case OPC_BY_PATH: return opc_row_op(p, r);
	}
	return "?";
}

/* A new leaf under `at` for one row: rows whose labels are alike (a
 * layer's calls and its rejected calls) get " [2]", " [3]"... so that
 * each leaf is one row. */
static uint32_t row_leaf(struct ftree *t, uint32_t at, const char *label)
{
	char name[OPC_GROUP_MAX + 16];
	struct fkey k = { t, at, name };

	snprintf(name, sizeof(name), "%s", label);
	for (int i = 2; opc_hashtab_find(&t->idx, fnode_hash(at, name), fnode_is, &k); i++)
		snprintf(name, sizeof(name), "%s [%d]", label, i);
	return tree_child(t, at, name);
}

/* The row's own numbers into node n (a leaf: one row each). */
static void set_row(struct fnode *n, const struct opc_row *r)
{
	n->calls = r->calls;
	n->flops = r->flops;
	n->bytes = r->bytes;
	n->busy_s = r->busy_s;
	n->energy_j = r->energy_j;
}

int opc_flame_rows(const struct opc_profile *p, enum opc_group by, const double *incl_s,
		   const double *incl_j, enum opc_weight w, enum opc_flame_out out)
{
	struct ftree t = { 0 };
	struct svg_meta m = { .by = opc_group_name(by), .w = w, .asked = w,
			      .inline_svg = out == OPC_FLAME_SVG_INLINE };
	double total;
	int nested = 0, nolayers = by == OPC_BY_PATH;
	char buf[OPC_GROUP_MAX];

	energy_notes(&m, p);
	if (tree_add(&t, NONE, "all") == NONE)
		goto nomem;
	for (size_t i = 0; i < p->nrows; i++) {
		const struct opc_row *r = &p->rows[i];
		uint32_t at = 0;
		struct fval v = { r->calls, r->flops, r->bytes, r->busy_s, r->energy_j };

		if (r->bits & OPC_ROW_NESTED) {	/* in its outer call's numbers */
			nested = 1;
			continue;
		}
		if (r->bits & OPC_ROW_OUTSIDE) {
			at = tree_child(&t, 0, opc_row_site(p, r));
		} else if (by == OPC_BY_PATH) {
			const char *path = opc_row_layer_path(p, r);

			if (path && strcmp(path, "*")) {
				nolayers = 0;
				snprintf(buf, sizeof(buf), "%s", path);
				for (char *s = buf, *e; at != NONE && s; s = e) {
					e = strchr(s, '/');
					if (e)
						*e++ = 0;
					at = tree_child(&t, at, s);
				}
				/* the path's inclusive numbers, as its JSON rows give them */
				if (at != NONE && incl_s && !isnan(incl_s[i]))
					t.n[at].row = (uint32_t)i + 1;
			} else {
				at = tree_child(&t, 0, "(no layer)");
			}
			if (at != NONE)
				at = row_leaf(&t, at, row_label(p, r, by));
		} else {
			at = row_leaf(&t, 0, row_label(p, r, by));
		}
		if (at == NONE)
			goto nomem;
		add_up(&t, at, &v);
		if (t.full)	/* merged into a frame that holds more than it */
			continue;
		set_row(&t.n[at], r);	/* exactly the row's: a leaf is one row */
		t.n[at].row = 0;
		if (r->bits & OPC_ROW_OUTSIDE)
			t.n[at].nocalls = 1;
	}
	/* path frames: the JSON rows' inclusive time and energy; FLOPs,
	 * bytes and calls are sums of integers, exact in any order */
	for (size_t i = 0; incl_s && i < t.len; i++) {
		if (t.n[i].row) {
			t.n[i].busy_s = incl_s[t.n[i].row - 1];
			t.n[i].energy_j = incl_j[t.n[i].row - 1];
		}
	}
	/* the root: the JSON report's totals (which leave layers' own time out) */
	t.n[0].calls = p->calls;
	t.n[0].flops = p->flops;
	t.n[0].bytes = p->bytes;
	t.n[0].busy_s = p->busy_s;
	t.n[0].energy_j = p->energy_j;
	if (nolayers)
		m.notes[m.nnotes++] = "no layers in this trace (no annotated regions): one frame "
				      "\"(no layer)\"";
	if (nested)
		m.notes[m.nnotes++] = "nested calls (record --nested) are left out: their work is "
				      "inside their outer calls' frames";
	if (t.full)
		m.notes[m.nnotes++] = "more than " STR(MAX_FRAMES) " frames: the rest merged into their parent";
	if (sort_children(&t) < 0)
		goto nomem;
	total = m.w == OPC_WEIGHT_ENERGY ? p->energy_j : m.w == OPC_WEIGHT_FLOPS ?
		(double)p->flops : 0;
	if (m.w == OPC_WEIGHT_TIME) {
		for (uint32_t c = t.n[0].child; c != NONE; c = t.n[c].next)
			total += weight_of(&t.n[c], m.w);
	}
	layout(&t, m.w, total);
	/* the root is as wide as its children, whatever the totals say.  With
	 * time as the weight, its busy time is the JSON totals' (the calls'),
	 * which leave out the layers' own time that the frames below hold: it
	 * is the whole picture all the same (share 1), and a note says what
	 * its number counts */
	if (m.w == OPC_WEIGHT_TIME && total > 0 && fabs(t.n[0].busy_s - total) > 1e-9 * total &&
	    m.nnotes < (int)(sizeof(m.notes) / sizeof(m.notes[0]))) {
		static char tnote[256];

		t.n[0].share = 1;
		snprintf(tnote, sizeof(tnote), "the root's busy time, %.6g s, is the calls' (the "
			 "report's totals); with the layers' own time, the frames below it hold "
			 "%.6g s, the widths' whole", t.n[0].busy_s, total);
		m.notes[m.nnotes++] = tnote;
	}
	print_svg(&t, &m);
	tree_free(&t);
	return 0;
nomem:
	pr_err("out of memory");
	tree_free(&t);
	return -1;
}
