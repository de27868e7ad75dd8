/*
 * test_trace.c - the trace format: writer and reader round trip, and a
 * reader that survives every corruption it can be handed.
 *
 * Traces are made here with the library's own writer (opc_writer_*), the
 * header filled as preload/collector.c trace_open fills it, and read back
 * with opc_trace_read.  The same generator made the files in tests/data/
 * (see tests/data/README.md); the test reads those too, so that a reader
 * change that stops reading an old file is noticed.  To regenerate them:
 *
 *     build/tests/test_trace --write-data tests/data
 *
 * It needs only common/trace_write.c and common/trace_read.c (and zlib).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "routines.h"
#include "trace.h"

static char tmpdir[256];

/* which string field of key 2 V_KEY_BAD_STRING breaks: symbol, op, family,
 * dims, flag_names */
static int bad_string_field = 1;

/* ---- a trace with known content ------------------------------------------ */

#define T_INTERVAL_NS 10000000ull
#define KEY3_BYTES (UINT64_MAX - 5)	/* a ten-byte varint */

enum variant {
	V_GOOD,			/* everything, ends with END */
	V_NO_END,		/* the program did not exit normally */
	V_NEWER_MINOR,		/* version 2, min_version 1, larger header, unknown record */
	V_FUTURE,		/* min_version 2: not for this reader */
	V_KEY_BAD_STRING,	/* a key names string 99, never defined */
	V_KEY_BAD_LAYER,	/* a key in layer 3, never defined */
	V_KEY_BAD_STACK,	/* a key with stack 2, never defined */
	V_INTERVAL_BAD_KEY,	/* an interval counts key 5, never defined */
	V_SEQ_GAP,		/* one frame lost */
	V_DUP_STRING,		/* a string id defined twice */
	V_STRING_OUT_OF_SEQ,	/* string 16 after 14: ids are given in sequence */
	V_KEY_OUT_OF_SEQ,	/* key 7 after 2: ids are given in sequence */
	V_LAYER_BAD_PARENT,	/* a layer whose parent comes after it */
	V_STACK_BAD_DEPTH,	/* depth that does not match the payload */
	V_INTERVAL_STRAY,	/* bytes left after the entries */
	V_INTERVAL_BACKWARDS,	/* ends before it begins */
	V_TIMED_GT_CALLS,	/* more timed calls than calls */
	V_INTERVAL_COUNT,	/* 5 entries claimed, 2 written: 52 bytes hold at most 4 */
	V_KEY_FLAGS,		/* key 2 rejected, with a flag bit no writer sets yet */
};

#define KEY_FLAG_NEWER 0x80000000u	/* a key flag of a newer writer */

struct writer_ctx {
	struct opc_writer w;
	enum variant v;
};

static void header_init(struct opc_file_header *h, enum variant v)
{
	/* as trace_open in preload/collector.c, with fixed values */
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, OPC_TRACE_MAGIC, 8);
	h->version = OPC_TRACE_VERSION;
	h->min_version = OPC_TRACE_MIN_VERSION;
	h->header_size = sizeof(*h);
	h->byte_order = OPC_BYTE_ORDER_MARK;
	h->frame_header_size = sizeof(struct opc_frame);
	h->features = OPC_FEAT_STACKS;
	h->start_realtime_ns = 1700000000123456789ull;
	h->pid = 4242;
	h->ppid = 1;
	h->interval_ns = T_INTERVAL_NS;
	if (v == V_NEWER_MINOR) {
		h->version = OPC_TRACE_VERSION + 1;
		h->header_size = sizeof(*h) + 16;	/* fields this reader does not know */
	}
	if (v == V_FUTURE) {
		h->version = OPC_TRACE_VERSION + 1;
		h->min_version = OPC_TRACE_VERSION + 1;
	}
}

static void w_info(struct opc_writer *w, const char *const *kv)
{
	assert_non_null(opc_writer_begin(w, OPC_REC_INFO, 0));
	for (; *kv; kv++)
		assert_int_equal(opc_writer_append(w, *kv, strlen(*kv) + 1), 0);
	opc_writer_end(w);
}

/*
 * Open a frame with its fixed part.  opc_writer_begin returns a pointer into
 * the byte buffer, right after a variable-length frame as often as not: it
 * is copied into, never dereferenced as a struct (that is a misaligned
 * access, which UBSAN=1 builds trap).
 */
static void w_begin(struct opc_writer *w, uint32_t type, const void *fixed, size_t len)
{
	void *p = opc_writer_begin(w, type, len);

	assert_non_null(p);
	memcpy(p, fixed, len);
}

static void w_string(struct opc_writer *w, uint32_t id, const char *s)
{
	struct opc_rec_string r = { id };

	w_begin(w, OPC_REC_STRING, &r, sizeof(r));
	assert_int_equal(opc_writer_append(w, s, strlen(s) + 1), 0);
	opc_writer_end(w);
}

static void w_layer(struct opc_writer *w, uint32_t id, uint32_t parent, uint32_t name,
		    uint32_t type)
{
	struct opc_rec_layer r = { id, parent, name, type };

	w_begin(w, OPC_REC_LAYER, &r, sizeof(r));
	opc_writer_end(w);
}

static const uint64_t stack1[] = { 0x401000, 0x402345, 0x7f0000001234ull };

static void w_stack(struct opc_writer *w, uint32_t id, const uint64_t *frames,
		    uint32_t depth, uint32_t claimed)
{
	struct opc_rec_stack r = { id, claimed };

	w_begin(w, OPC_REC_STACK, &r, sizeof(r));
	assert_int_equal(opc_writer_append(w, frames, depth * sizeof(*frames)), 0);
	opc_writer_end(w);
}

static void w_module(struct opc_writer *w)
{
	struct opc_rec_module r = { .base = 0, .lo = 0x400000, .hi = 0x500000 };
	const char *path = "/usr/bin/golden";

	w_begin(w, OPC_REC_MODULE, &r, sizeof(r));
	assert_int_equal(opc_writer_append(w, path, strlen(path) + 1), 0);
	opc_writer_end(w);
}

static void w_key(struct opc_writer *w, const struct opc_rec_key *k)
{
	w_begin(w, OPC_REC_KEY, k, sizeof(*k));
	opc_writer_end(w);
}

struct entry {
	uint64_t key, calls, timed, busy_ns, flops, bytes;
};

static void w_interval(struct opc_writer *w, uint64_t t0, uint64_t t1, const struct entry *e,
		       uint32_t n, uint32_t claimed, int stray)
{
	struct opc_rec_interval r = { .t_begin_ns = t0, .t_end_ns = t1, .count = claimed };

	w_begin(w, OPC_REC_INTERVAL, &r, sizeof(r));
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(opc_writer_varint(w, e[i].key), 0);
		assert_int_equal(opc_writer_varint(w, e[i].calls), 0);
		assert_int_equal(opc_writer_varint(w, e[i].timed), 0);
		assert_int_equal(opc_writer_varint(w, e[i].busy_ns), 0);
		assert_int_equal(opc_writer_varint(w, e[i].flops), 0);
		assert_int_equal(opc_writer_varint(w, e[i].bytes), 0);
	}
	if (stray)
		assert_int_equal(opc_writer_varint(w, 0), 0);
	opc_writer_end(w);
}

static void w_end(struct opc_writer *w, uint32_t type)
{
	struct opc_rec_end r = { .t_ns = 25000000, .dropped_calls = 3, .threads = 2 };

	w_begin(w, type, &r, sizeof(r));
	opc_writer_end(w);
}

static const char *const info1[] = { "opcount_version=0.1.0", "exe=/usr/bin/golden",
				     "cmdline=golden --flag", "host=first-host", NULL };
static const char *const info2[] = { "blas=/usr/lib/libblas.so.3", "threads=2",
				     "host=second-host", NULL };

/*
 * Strings 1..14, layers 1 (model) and 2 (encoder.fc1 inside it), stack 1,
 * keys 1 (cblas_dgemm in layer 2, stack 1), 2 (ddot_, no layer) and 3 (an
 * overflow key), three intervals, INFO, END.  Every frame is padded with
 * zeros to a multiple of 8 bytes by the writer.
 */
static void write_trace(int fd, enum variant v)
{
	struct opc_file_header h;
	struct opc_writer w;
	static const char *const strs[] = {
		NULL, "cblas_dgemm", "dgemm", "gemm", "m,n,k", "ta,tb,beta", "ddot_", "ddot",
		"dot", "n", "", "encoder.fc1", "Linear", "model", "Sequential",
	};

	header_init(&h, v);
	assert_int_equal(opc_writer_open(&w, fd, &h), 0);
	if (v == V_NEWER_MINOR) {
		static const char pad[16];

		assert_int_equal(opc_writer_append(&w, pad, sizeof(pad)), 0);
	}
	w_info(&w, info1);
	for (uint32_t id = 1; id < sizeof(strs) / sizeof(strs[0]); id++)
		w_string(&w, id, strs[id]);
	if (v == V_DUP_STRING)
		w_string(&w, 3, "again");
	if (v == V_STRING_OUT_OF_SEQ)
		w_string(&w, 16, "skipped one");
	w_module(&w);
	w_layer(&w, 1, 0, 13, 14);
	w_layer(&w, 2, v == V_LAYER_BAD_PARENT ? 2 : 1, 11, 12);
	if (v == V_STACK_BAD_DEPTH)
		w_stack(&w, 1, stack1, 3, 4);
	else
		w_stack(&w, 1, stack1, 3, 3);
	if (v == V_NEWER_MINOR) {
		/* a record type from a newer writer: skipped */
		assert_non_null(opc_writer_begin(&w, 77, 12));
		opc_writer_end(&w);
	}

	struct opc_rec_key k1 = {
		.id = 1, .symbol = 1, .op = 2, .family = 3, .dims = 4, .flag_names = 5,
		.layer = 2, .stack = 1, .level = 3, .prec = 'd', .iface = OPC_IF_CBLAS,
		.site = 0x402345, .flops = 524288, .bytes = 98304, .d = { 64, 64, 64, 0 },
		.f = { 'N', 'N', '0', 0 }, .tid = 100,
	};
	struct opc_rec_key k2 = {
		.id = 2, .symbol = 6, .op = 7, .family = 8, .dims = 9, .flag_names = 10,
		.level = 1, .prec = 'd', .iface = OPC_IF_FORTRAN, .site = 0x401000,
		.flops = 14, .bytes = 112, .d = { 7 }, .tid = 101,
	};
	struct opc_rec_key k3 = {
		.id = v == V_KEY_OUT_OF_SEQ ? 7 : 3, .symbol = 1, .op = 2, .family = 3, .dims = 4, .flag_names = 5,
		.flags = OPC_TKEY_OVERFLOW, .level = 3, .prec = 'd', .site = 0x402345,
		.tid = 100,
	};

	if (v == V_KEY_BAD_STRING) {
		uint32_t *fields[] = { &k2.symbol, &k2.op, &k2.family, &k2.dims, &k2.flag_names };

		*fields[bad_string_field] = 99;
	}
	if (v == V_KEY_BAD_LAYER)
		k2.layer = 3;
	if (v == V_KEY_BAD_STACK)
		k2.stack = 2;
	if (v == V_KEY_FLAGS)
		k2.flags = OPC_TKEY_REJECTED | KEY_FLAG_NEWER;
	w_key(&w, &k1);
	if (v == V_SEQ_GAP)
		w.seq++;	/* as if the frame written here had been lost */
	w_key(&w, &k2);
	w_key(&w, &k3);

	const struct entry iv1[] = {
		{ 1, 3, 3, 3000000, 3 * 524288, 3 * 98304 },
		{ 2, 100000, 100, 50000, 1400000, 11200000 },
	};
	const struct entry iv2[] = {
		{ 1, 2, 1, 1100000, 2 * 524288, 2 * 98304 },
		{ v == V_INTERVAL_BAD_KEY ? 5 : 2, 50000, 50, 30000, 700000, 5600000 },
		{ 3, 1, v == V_TIMED_GT_CALLS ? 2 : 1, 5, 1ull << 40, KEY3_BYTES },
	};
	/* six one-byte varints: exactly the most entries the reader allows,
	 * (size - sizeof(struct opc_rec_interval)) / 6 = (30 - 24) / 6 */
	const struct entry iv3[] = {
		{ 2, 1, 0, 0, 14, 112 },	/* a call that was not timed */
	};

	w_interval(&w, 0, T_INTERVAL_NS, iv1, 2, v == V_INTERVAL_COUNT ? 5 : 2, 0);
	if (v == V_INTERVAL_BACKWARDS)
		w_interval(&w, 2 * T_INTERVAL_NS, T_INTERVAL_NS, iv2, 3, 3, 0);
	else
		w_interval(&w, T_INTERVAL_NS, 2 * T_INTERVAL_NS, iv2, 3, 3, v == V_INTERVAL_STRAY);
	w_interval(&w, 2 * T_INTERVAL_NS, 25000000, iv3, 1, 1, 0);
	if (v != V_NO_END) {
		w_info(&w, info2);
		w_end(&w, OPC_REC_END);
	}
	assert_int_equal(opc_writer_flush(&w), 0);
	opc_writer_release(&w);
}

/* ---- files ---------------------------------------------------------------- */

struct image {
	unsigned char *p;
	size_t len;
};

static void path_in(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < len);
}

static void write_file(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static struct image read_image(const char *path)
{
	struct image im = { NULL, 0 };
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	im.len = st.st_size;
	im.p = malloc(im.len + 1);
	assert_non_null(im.p);
	assert_int_equal(read(fd, im.p, im.len), (ssize_t)im.len);
	close(fd);
	return im;
}

/* a trace of the variant, as bytes */
static struct image make_image(enum variant v)
{
	char path[512];
	struct image im;
	int fd;

	path_in(path, sizeof(path), tmpdir, "gen.opc");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	write_trace(fd, v);
	close(fd);
	im = read_image(path);
	unlink(path);
	return im;
}

/* offset of the nth (0-based) frame of a type, walking the framing (each
 * frame padded to 8 bytes) */
static size_t frame_offset(const struct image *im, uint32_t type, int nth)
{
	struct opc_file_header h;
	size_t off;

	memcpy(&h, im->p, sizeof(h));
	for (off = h.header_size; off + sizeof(struct opc_frame) <= im->len;) {
		struct opc_frame fr;

		memcpy(&fr, im->p + off, sizeof(fr));
		if (fr.type == type && nth-- == 0)
			return off;
		off = OPC_FRAME_ALIGN(off + sizeof(fr) + fr.size);
	}
	fail_msg("no frame of type %u", type);
	return 0;
}

/* ---- expectations --------------------------------------------------------- */

static const struct opc_tkey *key_by_id(const struct opc_trace *t, uint32_t id)
{
	assert_true(id >= 1 && id <= t->nkeys);
	return &t->keys[id - 1];
}

/* Key id's record, read again from the file. */
static struct opc_tkeydef def_by_id(struct opc_trace *t, uint32_t id)
{
	struct opc_tkeys *it = opc_tkeys_open(t);
	const struct opc_tkeydef *d = NULL;
	struct opc_tkeydef def;
	char err[256];

	assert_non_null(it);
	for (uint32_t i = 1; i <= id; i++)
		assert_non_null(d = opc_tkeys_next(it));
	def = *d;
	assert_int_equal(opc_tkeys_close(it, err, sizeof(err)), 0);
	return def;
}

static void assert_near(double a, double b)
{
	double d = a > b ? a - b : b - a;

	if (d > 1e-12 + 1e-9 * (b > 0 ? b : -b))
		fail_msg("%.17g is not %.17g", a, b);
}

/* everything the golden trace holds, up to interval `nintervals` */
static void check_golden(struct opc_trace *t, enum variant v, size_t nintervals)
{
	const struct opc_tkey *k;
	struct opc_tkeydef kd;
	struct opc_tentries es = { 0 };
	char err[256];
	const struct opc_tlayer *l;
	const struct opc_tstack *s;

	/* header, as written */
	assert_memory_equal(t->hdr.magic, OPC_TRACE_MAGIC, 8);
	assert_int_equal(t->hdr.pid, 4242);
	assert_int_equal(t->hdr.ppid, 1);
	assert_int_equal(t->hdr.interval_ns, T_INTERVAL_NS);
	assert_int_equal(t->hdr.start_realtime_ns, 1700000000123456789ull);
	assert_int_equal(t->hdr.features, OPC_FEAT_STACKS);
	assert_int_equal(t->hdr.version, v == V_NEWER_MINOR ? 2 : OPC_TRACE_VERSION);

	/* info: a later INFO record overrides */
	assert_string_equal(opc_trace_info(t, "exe"), "/usr/bin/golden");
	assert_string_equal(opc_trace_info(t, "cmdline"), "golden --flag");
	assert_null(opc_trace_info(t, "ex"));
	if (t->ninfo == 7) {	/* the second INFO record, written at exit, is there */
		assert_string_equal(opc_trace_info(t, "host"), "second-host");
		assert_string_equal(opc_trace_info(t, "threads"), "2");
	} else {
		assert_int_equal(t->ninfo, 4);
		assert_false(t->ended);
		assert_string_equal(opc_trace_info(t, "host"), "first-host");
		assert_null(opc_trace_info(t, "threads"));
	}

	/* strings, modules, layers, stacks */
	assert_int_equal(t->nstrings, 15);
	assert_null(t->strings[0]);
	assert_string_equal(t->strings[1], "cblas_dgemm");
	assert_string_equal(t->strings[10], "");
	assert_string_equal(t->strings[14], "Sequential");
	assert_int_equal(t->nmodules, 1);
	assert_string_equal(t->modules[0].path, "/usr/bin/golden");
	assert_int_equal(t->modules[0].lo, 0x400000);
	assert_int_equal(t->modules[0].hi, 0x500000);
	assert_int_equal(t->nlayers, 2);
	assert_null(opc_trace_layer(t, 0));
	assert_null(opc_trace_layer(t, 3));
	l = opc_trace_layer(t, 2);
	assert_non_null(l);
	assert_int_equal(l->parent, 1);
	assert_string_equal(l->name, "encoder.fc1");
	assert_string_equal(l->type, "Linear");
	assert_string_equal(opc_trace_layer(t, l->parent)->name, "model");
	assert_int_equal(t->nstacks, 1);
	assert_null(opc_trace_stack(t, 0));
	assert_null(opc_trace_stack(t, 2));
	s = opc_trace_stack(t, 1);
	assert_non_null(s);
	assert_int_equal(s->depth, 3);
	assert_memory_equal(s->frames, stack1, sizeof(stack1));

	/* keys, with their strings resolved */
	assert_int_equal(t->nkeys, 3);
	kd = def_by_id(t, 1);
	assert_string_equal(kd.symbol, "cblas_dgemm");
	assert_string_equal(kd.op, "dgemm");
	assert_string_equal(kd.family, "gemm");
	assert_string_equal(kd.dims, "m,n,k");
	assert_string_equal(kd.flag_names, "ta,tb,beta");
	assert_int_equal(kd.rec.layer, 2);
	assert_int_equal(kd.rec.stack, 1);
	assert_int_equal(kd.rec.level, 3);
	assert_int_equal(kd.rec.prec, 'd');
	assert_int_equal(kd.rec.site, 0x402345);
	assert_int_equal(kd.rec.flops, 524288);
	assert_int_equal(kd.rec.d[2], 64);
	assert_memory_equal(kd.rec.f, "NN0", 3);
	assert_int_equal(kd.rec.tid, 100);
	assert_int_equal(key_by_id(t, 1)->tid, 100);
	kd = def_by_id(t, 2);
	assert_string_equal(kd.symbol, "ddot_");
	assert_string_equal(kd.flag_names, "");
	assert_int_equal(kd.rec.layer, 0);
	assert_int_equal(kd.rec.iface, OPC_IF_FORTRAN);
	kd = def_by_id(t, 3);
	assert_int_equal(kd.rec.flags, OPC_TKEY_OVERFLOW);
	assert_int_equal(key_by_id(t, 3)->flags, OPC_TKEY_OVERFLOW);

	/* intervals and their entries, read again from the file */
	assert_int_equal(t->nintervals, nintervals);
	assert_int_equal(t->intervals[0].t_begin_ns, 0);
	assert_int_equal(t->intervals[0].t_end_ns, T_INTERVAL_NS);
	assert_int_equal(t->intervals[0].count, 2);
	assert_int_equal(t->intervals[1].count, 3);
	assert_int_equal(opc_trace_entries(t, 1, &es, err, sizeof(err)), 0);
	assert_int_equal(es.n, 3);
	assert_int_equal(es.e[2].bytes, KEY3_BYTES);
	assert_int_equal(es.e[2].flops, 1ull << 40);
	assert_int_equal(es.e[2].key, 2);	/* key id 3 */
	opc_tentries_free(&es);
	opc_trace_close(t);

	/* totals per key: busy time scaled by calls / timed in each entry,
	 * an entry without timed calls at the key's mean */
	int third = nintervals > 2;

	k = key_by_id(t, 1);
	assert_int_equal(k->calls, 5);
	assert_int_equal(k->timed, 4);
	assert_int_equal(k->busy_ns, 4100000);
	assert_int_equal(k->flops, 5 * 524288);
	assert_int_equal(k->bytes, 5 * 98304);
	assert_near(k->busy_s, (3000000.0 + 1100000.0 * 2 / 1) / 1e9);	/* not 4.1 ms x 5 / 4 */
	k = key_by_id(t, 2);
	assert_int_equal(k->calls, 150000 + third);
	assert_int_equal(k->timed, 150);
	assert_int_equal(k->busy_ns, 80000);
	assert_int_equal(k->flops, 2100000 + 14 * third);
	assert_int_equal(k->bytes, 16800000 + 112 * third);
	assert_near(k->busy_s, (50000.0 * 100000 / 100 + 30000.0 * 50000 / 50) / 1e9 *
				       (150000 + third) / 150000);
	k = key_by_id(t, 3);
	assert_int_equal(k->calls, 1);
	assert_int_equal(k->flops, 1ull << 40);
	assert_int_equal(k->bytes, KEY3_BYTES);
	assert_near(k->busy_s, 5e-9);
	assert_int_equal(t->end_ns, third ? 25000000 : 2 * T_INTERVAL_NS);
}

/* read; the result must be 0 with the given state, or an error */
static int read_trace(const char *path, struct opc_trace *t, char *err, size_t errlen)
{
	int ret = opc_trace_read(path, t, err, errlen);

	assert_true(ret <= 0);
	assert_true(strlen(err) < errlen);
	return ret;
}

/* an error naming the file and an offset, and containing `needle` */
static void expect_error(const char *path, const char *needle)
{
	struct opc_trace t;
	char err[512];
	int ret = read_trace(path, &t, err, sizeof(err));

	if (ret >= 0 || !strstr(err, path) || !strstr(err, "offset") ||
	    (needle && !strstr(err, needle)))
		fail_msg("%s: got %d \"%s\", want an error with \"%s\"", path, ret, err,
			 needle ? needle : "");
	opc_trace_free(&t);	/* what a caller does after an error: must be safe */
}

/* ---- the data cases: each a file in tests/data ---------------------------- */

enum outcome { READS_OK, READS_NO_END, READS_TRUNCATED, ERROR };

struct data_case {
	const char *file;
	enum outcome outcome;
	const char *needle;	/* in the error or warning */
	enum variant variant;
	void (*damage)(struct image *im);
};

static void damage_magic(struct image *im)
{
	im->p[0] ^= 0xff;
}

static void damage_short_header(struct image *im)
{
	im->len = 20;	/* magic and versions, no more */
}

static void damage_byte_order(struct image *im)
{
	uint32_t bom = 0x04030201;

	memcpy(im->p + offsetof(struct opc_file_header, byte_order), &bom, 4);
}

static void damage_frame_header_size(struct image *im)
{
	uint32_t v = 12;

	memcpy(im->p + offsetof(struct opc_file_header, frame_header_size), &v, 4);
}

static void damage_header_size(struct image *im)
{
	uint32_t v = 1u << 30;

	memcpy(im->p + offsetof(struct opc_file_header, header_size), &v, 4);
}

static void damage_payload(struct image *im)
{
	size_t off = frame_offset(im, OPC_REC_KEY, 1);

	im->p[off + sizeof(struct opc_frame) + 40] ^= 0x10;	/* key 2's site */
}

static void damage_frame_size(struct image *im)
{
	size_t off = frame_offset(im, OPC_REC_LAYER, 0);
	uint32_t size = 0x7fffffff;

	memcpy(im->p + off + offsetof(struct opc_frame, size), &size, 4);
}

/* a bit of a frame's type: the crc covers it (an unknown type would be
 * skipped as one from a newer writer) */
static void damage_frame_type(struct image *im)
{
	size_t off = frame_offset(im, OPC_REC_LAYER, 0);

	im->p[off + offsetof(struct opc_frame, type)] ^= 0x40;	/* 4 -> 68 */
}

/* a bit of a frame's sequence number: the crc covers it, so this is
 * corruption rather than a lost frame */
static void damage_frame_seq(struct image *im)
{
	size_t off = frame_offset(im, OPC_REC_KEY, 1);

	im->p[off + offsetof(struct opc_frame, seq)] ^= 0x01;
}

/* the offset of the first frame that has padding, and its padding length */
static size_t padded_frame(const struct image *im, size_t *pad)
{
	struct opc_file_header h;
	size_t off;

	memcpy(&h, im->p, sizeof(h));
	for (off = h.header_size; off + sizeof(struct opc_frame) <= im->len;) {
		struct opc_frame fr;
		size_t end;

		memcpy(&fr, im->p + off, sizeof(fr));
		end = off + sizeof(fr) + fr.size;
		*pad = OPC_FRAME_ALIGN(end) - end;
		if (*pad)
			return off;
		off = end;
	}
	fail_msg("no padded frame");
	return 0;
}

/* one bit of padding: no crc covers it, the reader wants zeros */
static void damage_padding(struct image *im)
{
	size_t pad, off = padded_frame(im, &pad);
	struct opc_frame fr;

	memcpy(&fr, im->p + off, sizeof(fr));
	im->p[off + sizeof(fr) + fr.size + pad - 1] ^= 0x80;
}

/* the padding of a frame in the middle of the file left out */
static void damage_missing_padding(struct image *im)
{
	size_t pad, off = padded_frame(im, &pad);
	struct opc_frame fr;
	size_t end;

	memcpy(&fr, im->p + off, sizeof(fr));
	end = off + sizeof(fr) + fr.size;
	memmove(im->p + end, im->p + end + pad, im->len - end - pad);
	im->len -= pad;
}

static void damage_cut_last_frame(struct image *im)
{
	size_t off = frame_offset(im, OPC_REC_END, 0);

	im->len = off + (im->len - off) / 2;
}

static const struct data_case data_cases[] = {
	{ "golden-v1.opc", READS_OK, NULL, V_GOOD, NULL },
	{ "golden-newer-minor.opc", READS_OK, NULL, V_NEWER_MINOR, NULL },
	{ "no-end.opc", READS_NO_END, "no end record", V_NO_END, NULL },
	{ "truncated-last-frame.opc", READS_TRUNCATED, "incomplete last frame", V_GOOD,
	  damage_cut_last_frame },
	{ "bad-magic.opc", ERROR, "bad magic", V_GOOD, damage_magic },
	{ "short-header.opc", ERROR, "too short for the header", V_GOOD, damage_short_header },
	{ "future-version.opc", ERROR, "needs a newer opcount", V_FUTURE, NULL },
	{ "foreign-byte-order.opc", ERROR, "byte order", V_GOOD, damage_byte_order },
	{ "bad-frame-header-size.opc", ERROR, "frame header size", V_GOOD,
	  damage_frame_header_size },
	{ "bad-header-size.opc", ERROR, "header size", V_GOOD, damage_header_size },
	{ "crc-mismatch.opc", ERROR, "checksum mismatch", V_GOOD, damage_payload },
	{ "frame-type-flipped.opc", ERROR, "checksum mismatch", V_GOOD, damage_frame_type },
	{ "frame-seq-flipped.opc", ERROR, "checksum mismatch", V_GOOD, damage_frame_seq },
	{ "nonzero-padding.opc", ERROR, "nonzero padding", V_GOOD, damage_padding },
	{ "missing-padding.opc", ERROR, "nonzero padding", V_GOOD, damage_missing_padding },
	{ "absurd-frame-size.opc", ERROR, "frame claims", V_GOOD, damage_frame_size },
	{ "key-undefined-string.opc", ERROR, "undefined string", V_KEY_BAD_STRING, NULL },
	{ "key-undefined-layer.opc", ERROR, "undefined layer 3", V_KEY_BAD_LAYER, NULL },
	{ "key-undefined-stack.opc", ERROR, "undefined stack 2", V_KEY_BAD_STACK, NULL },
	{ "interval-undefined-key.opc", ERROR, "undefined key 5", V_INTERVAL_BAD_KEY, NULL },
	{ "seq-gap.opc", ERROR, "lost data", V_SEQ_GAP, NULL },
	{ "string-defined-twice.opc", ERROR, "string id 3 out of sequence", V_DUP_STRING, NULL },
	{ "string-out-of-sequence.opc", ERROR, "string id 16 out of sequence", V_STRING_OUT_OF_SEQ,
	  NULL },
	{ "key-out-of-sequence.opc", ERROR, "key id 7 out of sequence", V_KEY_OUT_OF_SEQ, NULL },
	{ "layer-bad-parent.opc", ERROR, "unknown parent", V_LAYER_BAD_PARENT, NULL },
	{ "stack-bad-depth.opc", ERROR, "does not match", V_STACK_BAD_DEPTH, NULL },
	{ "interval-stray-bytes.opc", ERROR, "stray bytes", V_INTERVAL_STRAY, NULL },
	{ "interval-backwards.opc", ERROR, "ends before it begins", V_INTERVAL_BACKWARDS, NULL },
	{ "timed-more-than-calls.opc", ERROR, "more timed calls", V_TIMED_GT_CALLS, NULL },
	{ "interval-count-too-large.opc", ERROR, "interval claims 5 entries", V_INTERVAL_COUNT,
	  NULL },
};

#define NCASES (sizeof(data_cases) / sizeof(data_cases[0]))

static struct image case_image(const struct data_case *c)
{
	struct image im = make_image(c->variant);

	if (c->damage)
		c->damage(&im);
	return im;
}

static void check_case(const struct data_case *c, const char *path)
{
	struct opc_trace t;
	char err[512];
	int ret;

	if (c->outcome == ERROR) {
		expect_error(path, c->needle);
		return;
	}
	ret = read_trace(path, &t, err, sizeof(err));
	if (ret != 0)
		fail_msg("%s: %s", path, err);
	switch (c->outcome) {
	case READS_OK:
		assert_string_equal(err, "");
		assert_true(t.ended);
		assert_false(t.truncated);
		assert_int_equal(t.dropped_calls, 3);
		assert_int_equal(t.threads, 2);
		check_golden(&t, c->variant, 3);
		break;
	case READS_NO_END:
		assert_false(t.ended);
		assert_false(t.truncated);
		check_golden(&t, c->variant, 3);
		break;
	case READS_TRUNCATED:
		assert_false(t.ended);
		assert_true(t.truncated);
		assert_non_null(strstr(err, "offset"));
		check_golden(&t, c->variant, 3);
		break;
	case ERROR:
		break;
	}
	if (c->outcome != READS_OK) {
		assert_non_null(strstr(err, path));
		assert_non_null(strstr(err, c->needle));
	}
	opc_trace_free(&t);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_round_trip(void **state)
{
	char path[512];
	struct opc_trace t;
	char err[512];
	int fd;

	(void)state;
	path_in(path, sizeof(path), tmpdir, "round-trip.opc");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	write_trace(fd, V_GOOD);
	close(fd);
	assert_int_equal(read_trace(path, &t, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(t.path, path);
	assert_true(t.ended);
	assert_false(t.truncated);
	check_golden(&t, V_GOOD, 3);
	opc_trace_free(&t);
	unlink(path);
}

/* Key flags are kept as written, bits this reader does not know too
 * (trace.h): a newer writer adds a flag without a new version, and the
 * trace reads as before, the flag ignored. */
static void test_key_flags_kept(void **state)
{
	char path[512];
	struct opc_trace t;
	char err[512];
	int fd;

	(void)state;
	path_in(path, sizeof(path), tmpdir, "key-flags.opc");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	write_trace(fd, V_KEY_FLAGS);
	close(fd);
	assert_int_equal(read_trace(path, &t, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(t.nkeys, 3);
	assert_int_equal(t.keys[1].flags, OPC_TKEY_REJECTED | KEY_FLAG_NEWER);
	assert_int_equal(t.keys[1].calls, 150001);
	assert_int_equal(t.keys[0].flags, 0);
	opc_trace_free(&t);
	unlink(path);
}

/* Writes that go through several flushes frame the same bytes. */
static void test_writer_flushes_whole_frames(void **state)
{
	struct opc_file_header h;
	struct opc_writer w;
	char path[512];
	struct opc_trace t;
	char err[512];
	int fd;

	(void)state;
	path_in(path, sizeof(path), tmpdir, "flushes.opc");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	header_init(&h, V_GOOD);
	assert_int_equal(opc_writer_open(&w, fd, &h), 0);
	assert_int_equal(opc_writer_flush(&w), 0);
	for (uint32_t id = 1; id <= 5000; id++) {	/* grows the buffer several times */
		char s[32];

		snprintf(s, sizeof(s), "string-%u", id);
		w_string(&w, id, s);
		if (id % 1000 == 0)
			assert_int_equal(opc_writer_flush(&w), 0);
	}
	w_end(&w, OPC_REC_EXEC);
	assert_int_equal(opc_writer_flush(&w), 0);
	opc_writer_release(&w);
	close(fd);
	assert_int_equal(read_trace(path, &t, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_true(t.ended);	/* EXEC ends a trace as END does */
	assert_int_equal(t.nstrings, 5001);
	assert_string_equal(t.strings[4321], "string-4321");
	opc_trace_free(&t);
	unlink(path);
}

/* A write error is kept and returned, not lost. */
static void test_writer_reports_errors(void **state)
{
	struct opc_file_header h;
	struct opc_writer w;

	(void)state;
	header_init(&h, V_GOOD);
	assert_int_equal(opc_writer_open(&w, -1, &h), 0);
	w_string(&w, 1, "x");
	assert_int_equal(opc_writer_flush(&w), -EBADF);
	assert_int_equal(w.error, -EBADF);
	assert_null(opc_writer_begin(&w, OPC_REC_STRING, 4));	/* sticky */
	assert_int_equal(opc_writer_flush(&w), -EBADF);
	opc_writer_release(&w);
}

static void test_varints(void **state)
{
	static const uint64_t values[] = { 0, 1, 127, 128, 16383, 16384, 1ull << 35,
					   (1ull << 63) - 1, 1ull << 63, UINT64_MAX };
	struct opc_file_header h;
	struct opc_writer w;
	char path[512];
	struct opc_trace t;
	char err[512];
	int fd;

	(void)state;
	path_in(path, sizeof(path), tmpdir, "varints.opc");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	header_init(&h, V_GOOD);
	assert_int_equal(opc_writer_open(&w, fd, &h), 0);
	for (uint32_t id = 1; id <= 5; id++)
		w_string(&w, id, "s");

	struct opc_rec_key k = { .id = 1, .symbol = 1, .op = 2, .family = 3, .dims = 4,
				 .flag_names = 5 };

	w_key(&w, &k);
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct entry e = { 1, values[i], 0, values[i], values[i], values[i] };

		w_interval(&w, i, i + 1, &e, 1, 1, 0);
	}
	w_end(&w, OPC_REC_END);
	assert_int_equal(opc_writer_flush(&w), 0);
	opc_writer_release(&w);
	close(fd);
	assert_int_equal(read_trace(path, &t, err, sizeof(err)), 0);
	assert_int_equal(t.nentries, sizeof(values) / sizeof(values[0]));
	assert_int_equal(t.nintervals, t.nentries);
	for (size_t i = 0; i < t.nintervals; i++) {
		struct opc_tentries es = { 0 };

		assert_int_equal(opc_trace_entries(&t, i, &es, err, sizeof(err)), 0);
		assert_int_equal(es.n, 1);
		assert_int_equal(es.e[0].calls, values[i]);
		assert_int_equal(es.e[0].busy_ns, values[i]);
		assert_int_equal(es.e[0].bytes, values[i]);
		opc_tentries_free(&es);
	}
	opc_trace_free(&t);
	unlink(path);
}

/*
 * The writers' interned tables (opc_writer_string, opc_writer_stack): the
 * same content gets the same id, ids are given in first-seen order from
 * 1, each is written once, and the reader finds them under those ids.
 * Enough stacks to grow the index several times; stacks that share a
 * prefix, and one that is another's prefix, are different stacks.
 */
#define NSTACKS 3000

static void test_interned_tables(void **state)
{
	struct opc_strtab strs = { 0 };
	struct opc_stacktab stacks = { 0 };
	struct opc_file_header h;
	struct opc_writer w;
	struct opc_trace t;
	uint64_t frames[8];
	char path[512], err[512], name[32];
	int fd;

	(void)state;
	path_in(path, sizeof(path), tmpdir, "interned.opc");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	header_init(&h, V_GOOD);
	assert_int_equal(opc_writer_open(&w, fd, &h), 0);
	assert_int_equal(opc_writer_stack(&w, &stacks, frames, 0), 0);	/* no stack */
	for (uint32_t pass = 0; pass < 2; pass++) {
		for (uint32_t i = 1; i <= NSTACKS; i++) {
			uint32_t depth = 1 + i % 8;

			for (uint32_t f = 0; f < depth; f++)
				frames[f] = 0x400000 + 16 * (i / 8) + f;
			assert_int_equal(opc_writer_stack(&w, &stacks, frames, depth), i);
			snprintf(name, sizeof(name), "s%u", i);
			assert_int_equal(opc_writer_string(&w, &strs, name), i);
		}
	}
	assert_int_equal(stacks.n, NSTACKS);
	assert_int_equal(strs.n, NSTACKS);
	assert_int_equal(opc_writer_flush(&w), 0);
	opc_writer_release(&w);
	close(fd);
	opc_stacktab_free(&stacks);
	opc_strtab_free(&strs);
	assert_int_equal(stacks.n, 0);
	assert_null(stacks.e);

	assert_int_equal(read_trace(path, &t, err, sizeof(err)), 0);
	assert_int_equal(t.nstacks, NSTACKS);
	for (uint32_t i = 1; i <= NSTACKS; i++) {
		const struct opc_tstack *st = opc_trace_stack(&t, i);

		assert_non_null(st);
		assert_int_equal(st->depth, 1 + i % 8);
		for (uint32_t f = 0; f < st->depth; f++)
			assert_true(st->frames[f] == 0x400000 + 16 * (i / 8) + f);
		snprintf(name, sizeof(name), "s%u", i);
		assert_string_equal(t.strings[i], name);
	}
	opc_trace_free(&t);
	unlink(path);
}

/* A data case, made fresh by the generator (state: the case). */
static void test_generated_case(void **state)
{
	const struct data_case *c = *state;
	char path[512];
	struct image im = case_image(c);

	path_in(path, sizeof(path), tmpdir, c->file);
	write_file(path, im.p, im.len);
	free(im.p);
	check_case(c, path);
	unlink(path);
}

/* Each of a key's five strings is checked. */
static void test_key_string_fields(void **state)
{
	(void)state;
	for (bad_string_field = 0; bad_string_field < 5; bad_string_field++) {
		char path[512];
		struct image im = make_image(V_KEY_BAD_STRING);

		path_in(path, sizeof(path), tmpdir, "key-string.opc");
		write_file(path, im.p, im.len);
		free(im.p);
		expect_error(path, "undefined string");
		unlink(path);
	}
	bad_string_field = 1;
}

static const char *data_dir(char *buf, size_t len)
{
	const char *env = getenv("OPC_TEST_DATA");
	const char *slash;

	if (env && *env)
		return env;
	/* tests/unit/test_trace.c -> tests/data, from where make ran */
	slash = strrchr(__FILE__, '/');
	if (slash == NULL)
		return "../data";
	snprintf(buf, len, "%.*s/../data", (int)(slash - __FILE__), __FILE__);
	return buf;
}

/* A data case as committed (state: the case): old files keep reading the
 * same way. */
static void test_committed_case(void **state)
{
	const struct data_case *c = *state;
	char dirbuf[512], path[1024];
	const char *dir = data_dir(dirbuf, sizeof(dirbuf));
	struct stat st;

	path_in(path, sizeof(path), dir, "README.md");
	if (stat(path, &st) < 0)	/* part of the repository: never a skip */
		fail_msg("no tests/data at %s: run from the repository root or set OPC_TEST_DATA",
			 dir);
	path_in(path, sizeof(path), dir, c->file);
	if (stat(path, &st) < 0)
		fail_msg("%s is missing: regenerate with test_trace --write-data %s", path, dir);
	check_case(c, path);
}

/* A file killed mid-write: wherever the last frame is cut, the earlier ones
 * are all there. */
static void test_truncation_keeps_earlier_frames(void **state)
{
	struct image im = make_image(V_GOOD), noend = make_image(V_NO_END);
	size_t end_off = frame_offset(&im, OPC_REC_END, 0);
	size_t iv_off = frame_offset(&noend, OPC_REC_INTERVAL, 2);
	char path[512];
	struct opc_trace t;
	char err[512];

	(void)state;
	path_in(path, sizeof(path), tmpdir, "cut.opc");
	for (size_t cut = end_off + 1; cut < im.len; cut++) {
		write_file(path, im.p, cut);
		assert_int_equal(read_trace(path, &t, err, sizeof(err)), 0);
		assert_true(t.truncated);
		assert_false(t.ended);
		assert_non_null(strstr(err, path));
		assert_non_null(strstr(err, "offset"));
		check_golden(&t, V_GOOD, 3);
		opc_trace_free(&t);
	}
	/* cut inside the last interval: the first two survive */
	struct opc_frame last;

	memcpy(&last, noend.p + iv_off, sizeof(last));
	size_t iv_end = iv_off + sizeof(last) + last.size;

	assert_true(iv_end < noend.len);	/* it has padding */
	assert_int_equal(noend.len, OPC_FRAME_ALIGN(iv_end));
	for (size_t cut = iv_off + 1; cut < iv_end; cut++) {
		write_file(path, noend.p, cut);
		assert_int_equal(read_trace(path, &t, err, sizeof(err)), 0);
		assert_true(t.truncated);
		check_golden(&t, V_NO_END, 2);
		opc_trace_free(&t);
	}
	/* cut in its padding: the padding may be missing at the end of the
	 * file, the frame is whole */
	for (size_t cut = iv_end; cut < noend.len; cut++) {
		write_file(path, noend.p, cut);
		assert_int_equal(read_trace(path, &t, err, sizeof(err)), 0);
		assert_false(t.truncated);
		assert_false(t.ended);
		assert_non_null(strstr(err, "no end record"));
		check_golden(&t, V_NO_END, 3);
		opc_trace_free(&t);
	}
	/* cut on a frame boundary: complete frames, but no END */
	write_file(path, im.p, end_off);
	assert_int_equal(read_trace(path, &t, err, sizeof(err)), 0);
	assert_false(t.truncated);
	assert_false(t.ended);
	assert_non_null(strstr(err, "no end record"));
	opc_trace_free(&t);
	unlink(path);
	free(im.p);
	free(noend.p);
}

/* The writer pads every frame with zeros to 8 bytes: every frame starts
 * aligned and the file ends on a frame boundary. */
static void test_frames_are_aligned(void **state)
{
	struct image im = make_image(V_GOOD);
	struct opc_file_header h;
	size_t off, padded = 0, frames = 0;

	(void)state;
	memcpy(&h, im.p, sizeof(h));
	assert_int_equal(h.header_size % 8, 0);
	for (off = h.header_size; off < im.len;) {
		struct opc_frame fr;
		size_t end;

		assert_int_equal(off % 8, 0);
		assert_true(off + sizeof(fr) <= im.len);
		memcpy(&fr, im.p + off, sizeof(fr));
		assert_int_equal(fr.seq, frames);
		assert_int_equal(fr.crc, opc_frame_crc(&fr, im.p + off + sizeof(fr)));
		end = off + sizeof(fr) + fr.size;
		assert_true(end <= im.len);
		for (off = end; off < OPC_FRAME_ALIGN(end); off++)
			assert_int_equal(im.p[off], 0);
		padded += off > end;
		frames++;
	}
	assert_int_equal(off, im.len);
	assert_true(padded > 0);	/* the test above saw some padding */
	free(im.p);
}

/*
 * Every prefix of the file and every single-bit corruption: the reader
 * returns 0 or an error naming the file and an offset, and never crashes
 * (run under valgrind to see it never reads out of bounds either).
 *
 * The crc covers a frame's type, size and seq as well as its payload, the
 * header has its own crc, and padding must be zeros, so every flipped bit
 * is an error, with one exception: a bit set in the size of the last
 * frame makes it reach past the end of the file, which is what a frame
 * cut short looks like (its crc cannot be checked without its payload).
 * That one reads with the truncation warning, everything before it kept.
 */
static void test_every_prefix_and_flip(void **state)
{
	struct image im = make_image(V_GOOD);
	unsigned char *copy = malloc(im.len);
	size_t last = frame_offset(&im, OPC_REC_END, 0);
	size_t last_size = last + offsetof(struct opc_frame, size);
	char path[512];
	struct opc_trace t;
	char err[512];
	size_t errors = 0, truncated = 0;

	(void)state;
	assert_non_null(copy);
	assert_int_equal(last + sizeof(struct opc_frame) + sizeof(struct opc_rec_end), im.len);
	path_in(path, sizeof(path), tmpdir, "fuzz.opc");
	for (size_t len = 0; len <= im.len; len++) {
		write_file(path, im.p, len);
		int ret = read_trace(path, &t, err, sizeof(err));

		if (ret < 0) {
			assert_non_null(strstr(err, path));
			assert_non_null(strstr(err, "offset"));
			/* only a header cut short is an error */
			assert_true(len < sizeof(struct opc_file_header));
		}
		opc_trace_free(&t);
	}
	for (size_t pos = 0; pos < im.len; pos++)
		for (unsigned bit = 0; bit < 8; bit++) {
			memcpy(copy, im.p, im.len);
			copy[pos] ^= 1u << bit;
			write_file(path, copy, im.len);
			if (read_trace(path, &t, err, sizeof(err)) < 0) {
				if (!strstr(err, path) || !strstr(err, "offset"))
					fail_msg("flip at %zu bit %u: \"%s\"", pos, bit, err);
				errors++;
			} else {
				if (pos < last_size || pos >= last_size + 4 || !(copy[pos] & (1u << bit)))
					fail_msg("flip at %zu bit %u read without error: \"%s\"", pos,
						 bit, err);
				assert_true(t.truncated);
				assert_false(t.ended);
				assert_non_null(strstr(err, "incomplete last frame"));
				check_golden(&t, V_GOOD, 3);
				truncated++;
			}
			opc_trace_free(&t);
		}
	print_message("%zu flips rejected, %zu read as a truncated last frame\n", errors,
		      truncated);
	assert_int_equal(errors + truncated, 8 * im.len);
	/* the bits of the END frame's size (24) that are clear and keep it
	 * within OPC_FRAME_MAX: 0-2 and 5-25 */
	assert_int_equal(truncated, 24);
	unlink(path);
	free(copy);
	free(im.p);
}

/* ---- stack samples (`opcount record --ptrace --stacks`) ------------------- */

enum sample_case {
	S_GOOD,			/* two SAMPLE records, three samples, ended by EXEC */
	S_SHORT,		/* a frame shorter than struct opc_rec_sample */
	S_COUNT,		/* 3 entries claimed, 2 written */
	S_HUGE_COUNT,		/* UINT32_MAX entries claimed: no overflow, no trust */
	S_STACK_ZERO,		/* stack 0: no stack */
	S_STACK_UNDEFINED,	/* stack 3, never written */
	S_BACKWARDS_IN,		/* the second entry before the first */
	S_BACKWARDS_ACROSS,	/* the second record before the first */
};

static void w_samples(struct opc_writer *w, const struct opc_rec_sample_ent *e, uint32_t n,
		      uint32_t claimed)
{
	struct opc_rec_sample r = { .count = claimed };

	w_begin(w, OPC_REC_SAMPLE, &r, sizeof(r));
	assert_int_equal(opc_writer_append(w, e, n * sizeof(*e)), 0);
	opc_writer_end(w);
}

static const struct opc_rec_sample_ent samples1[] = {
	{ .t_ns = T_INTERVAL_NS, .tid = 100, .stack = 1, .weight_ns = 4000000 },
	{ .t_ns = T_INTERVAL_NS, .tid = 101, .stack = 2, .weight_ns = 2500000 },
};
static const struct opc_rec_sample_ent samples2[] = {
	{ .t_ns = 2 * T_INTERVAL_NS, .tid = 100, .stack = 1, .weight_ns = 9000000 },
};

/* Stacks 1 and 2, then the samples of two ticks, as the ptrace tracer
 * writes them, with one thing broken by `c`; the image ends with EXEC. */
static void write_sample_trace(const char *path, enum sample_case c)
{
	struct opc_rec_sample_ent e1[2], e2[1];
	struct opc_file_header h;
	struct opc_writer w;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	memcpy(e1, samples1, sizeof(e1));
	memcpy(e2, samples2, sizeof(e2));
	if (c == S_STACK_ZERO)
		e1[1].stack = 0;
	if (c == S_STACK_UNDEFINED)
		e1[1].stack = 3;
	if (c == S_BACKWARDS_IN)
		e1[1].t_ns = T_INTERVAL_NS - 1;
	if (c == S_BACKWARDS_ACROSS)
		e2[0].t_ns = T_INTERVAL_NS / 2;
	header_init(&h, V_GOOD);
	h.features = OPC_FEAT_STACKS | OPC_FEAT_SAMPLES;
	assert_int_equal(opc_writer_open(&w, fd, &h), 0);
	w_info(&w, info1);
	w_stack(&w, 1, stack1, 3, 3);
	w_stack(&w, 2, stack1 + 1, 2, 2);
	if (c == S_SHORT) {
		struct opc_rec_sample r = { .count = 0 };

		w_begin(&w, OPC_REC_SAMPLE, &r, 4);
		opc_writer_end(&w);
	} else {
		w_samples(&w, e1, 2, c == S_COUNT ? 3 : c == S_HUGE_COUNT ? UINT32_MAX : 2);
	}
	w_samples(&w, e2, 1, 1);
	w_end(&w, OPC_REC_EXEC);
	assert_int_equal(opc_writer_flush(&w), 0);
	opc_writer_release(&w);
	close(fd);
}

static void test_samples_round_trip(void **state)
{
	char path[512], err[512];
	struct opc_trace t;

	(void)state;
	path_in(path, sizeof(path), tmpdir, "samples.opc");
	write_sample_trace(path, S_GOOD);
	assert_int_equal(read_trace(path, &t, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_true(t.hdr.features & OPC_FEAT_SAMPLES);
	/* an image that exec'd ended normally: its trace is complete */
	assert_true(t.ended);
	assert_false(t.truncated);
	assert_int_equal(t.nstacks, 2);
	assert_int_equal(t.nsamples, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct opc_rec_sample_ent *e = i < 2 ? &samples1[i] : &samples2[0];

		assert_int_equal(t.samples[i].t_ns, e->t_ns);
		assert_int_equal(t.samples[i].tid, e->tid);
		assert_int_equal(t.samples[i].stack, e->stack);
		assert_int_equal(t.samples[i].weight_ns, e->weight_ns);
		assert_true(t.samples[i].energy_j == 0);
	}
	opc_trace_free(&t);
	unlink(path);
}

/* Each malformed SAMPLE record is an error naming the file, the offset
 * and what is wrong. */
static void test_samples_rejected(void **state)
{
	static const struct {
		enum sample_case c;
		const char *needle;
	} cases[] = {
		{ S_SHORT, "sample record too short" },
		{ S_COUNT, "3 entries do not fit in 56 bytes" },
		{ S_HUGE_COUNT, "4294967295 entries do not fit" },
		{ S_STACK_ZERO, "sample 1: undefined stack 0" },
		{ S_STACK_UNDEFINED, "sample 1: undefined stack 3" },
		{ S_BACKWARDS_IN, "sample 1 goes back in time" },
		{ S_BACKWARDS_ACROSS, "sample 0 goes back in time" },
	};
	char path[512];

	(void)state;
	path_in(path, sizeof(path), tmpdir, "samples-bad.opc");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_sample_trace(path, cases[i].c);
		expect_error(path, cases[i].needle);
	}
	unlink(path);
}

static void test_not_a_trace(void **state)
{
	char path[512];
	struct opc_trace t;
	char err[512];

	(void)state;
	path_in(path, sizeof(path), tmpdir, "does-not-exist.opc");
	assert_int_equal(opc_trace_read(path, &t, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	opc_trace_free(&t);
	assert_int_equal(opc_trace_read(tmpdir, &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, tmpdir));
	opc_trace_free(&t);
	/* a tiny error buffer is filled, never overrun */
	path_in(path, sizeof(path), tmpdir, "empty.opc");
	write_file(path, "", 0);
	char small[16];

	assert_true(opc_trace_read(path, &t, small, sizeof(small)) < 0);
	assert_true(strlen(small) < sizeof(small));
	opc_trace_free(&t);
	unlink(path);
}

/* ---- setup, and the data generator ---------------------------------------- */

static int make_tmpdir(void **state)
{
	const char *base = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/opc-test-trace-XXXXXX",
		 base && *base ? base : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

/* also after a failed test, which leaves its file behind */
static int remove_tmpdir(void **state)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	char path[1024];

	(void)state;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	return rmdir(tmpdir);
}

/* --write-data DIR: write every data case to DIR (the files in tests/data) */
static int write_data(const char *dir)
{
	if (make_tmpdir(NULL) < 0) {
		perror("mkdtemp");
		return 1;
	}
	for (size_t i = 0; i < NCASES; i++) {
		char path[1024];
		struct image im = case_image(&data_cases[i]);

		snprintf(path, sizeof(path), "%s/%s", dir, data_cases[i].file);
		write_file(path, im.p, im.len);
		free(im.p);
		printf("%s\n", path);
	}
	return remove_tmpdir(NULL) ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_key_flags_kept),
		cmocka_unit_test(test_writer_flushes_whole_frames),
		cmocka_unit_test(test_writer_reports_errors),
		cmocka_unit_test(test_varints),
		cmocka_unit_test(test_interned_tables),
		cmocka_unit_test(test_key_string_fields),
		cmocka_unit_test(test_truncation_keeps_earlier_frames),
		cmocka_unit_test(test_frames_are_aligned),
		cmocka_unit_test(test_every_prefix_and_flip),
		cmocka_unit_test(test_not_a_trace),
		cmocka_unit_test(test_samples_round_trip),
		cmocka_unit_test(test_samples_rejected),
	};
	enum { NFIXED = sizeof(fixed) / sizeof(fixed[0]) };
	static struct CMUnitTest tests[NFIXED + 2 * NCASES];
	static char names[2 * NCASES][80];
	size_t n = 0;

	if (argc == 3 && !strcmp(argv[1], "--write-data"))
		return write_data(argv[2]);
	for (size_t i = 0; i < NFIXED; i++)
		tests[n++] = fixed[i];
	/* one test per case and per origin, so that each file passes or fails
	 * on its own line */
	for (size_t i = 0; i < 2 * NCASES; i++) {
		const struct data_case *c = &data_cases[i % NCASES];

		snprintf(names[i], sizeof(names[i]), "%s/%s", i < NCASES ? "generated" : "committed",
			 c->file);
		tests[n++] = (struct CMUnitTest){
			.name = names[i],
			.test_func = i < NCASES ? test_generated_case : test_committed_case,
			.initial_state = (void *)c,
		};
	}
	return _cmocka_run_group_tests("test_trace", tests, n, make_tmpdir, remove_tmpdir);
}
