/*
 * test_attribute.c - the energy attribution arithmetic (analysis/attribute.c)
 * on hand-built traces whose every joule is known.
 *
 * Each trace is described below (keys, call intervals, energy samples,
 * stack samples), written with common/trace_write.c and read back with
 * common/trace_read.c, as `opcount report` reads a real one; then
 * opc_attribute_energy() splits it and each key's energy, its bounds, the
 * outside energy and each stack sample's share are compared with values
 * worked out by hand in the comments (to 1e-9 J: the split divides).  The
 * idle baseline split (static = idle power x time) is checked through
 * opc_profile_load, which does it.
 */
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "attribute.h"
#include "profile.h"
#include "trace.h"

#define S(x)	((uint64_t)((x) * 1e9 + 0.5))	/* seconds -> ns */
#define MAXK	8
#define MAXI	8
#define MAXE	8
#define MAXD	4

#define DOM_PACKAGE	1	/* enum opc_energy_kind (common/energy.h) */
#define DOM_CORE	2

/* ---- a trace on paper ----------------------------------------------------- */

struct t_key {
	uint32_t tid;
	uint32_t flags;		/* OPC_TKEY_* */
	uint8_t device;
	uint32_t layer;		/* 0, or 1: the one layer "L" every trace has */
};

struct t_entry {
	int key;		/* index into keys[], from 0 */
	uint64_t calls;
	uint64_t busy_ns;	/* of all calls: every call is timed */
};

struct t_interval {
	double begin, end;	/* s */
	struct t_entry e[MAXK];
	int n;
};

struct t_dom {
	const char *name;
	uint32_t kind, counted;
};

struct t_esample {
	double t;		/* s */
	double j[MAXD];		/* cumulative joules per domain */
};

struct t_sample {
	double t;		/* the tick */
	uint32_t tid;
	double weight;		/* s of CPU time outside counted calls */
};

struct spec {
	struct t_key keys[MAXK];
	int nkeys;
	struct t_interval iv[MAXI];
	int niv;
	struct t_dom dom[MAXD];
	int ndom;
	struct t_esample es[MAXE];
	int nes;
	struct t_sample smp[MAXE];
	int nsmp;
	double resolution;	/* J */
	const char *idle_w;	/* INFO idle_w=, or NULL */
	uint64_t start;		/* header's start_realtime_ns */
	int baseline;		/* es[0] is the baseline record (OPC_ENERGY_BASELINE) */
	const char *info[8];	/* more INFO "key=value" (host, boot_id, rank, job...) */
	uint32_t pid, ppid;	/* 0: 4242 and 1 */
	int no_end;		/* no END record: a killed process's trace */
};

static char tmpdir[] = "/tmp/test_attribute.XXXXXX";
static int ntraces;

static void put(struct opc_writer *w, uint32_t type, const void *fixed, size_t len,
		const void *tail, size_t tlen)
{
	void *p = opc_writer_begin(w, type, len);

	assert_non_null(p);
	if (len)
		memcpy(p, fixed, len);
	if (tlen)
		assert_int_equal(opc_writer_append(w, tail, tlen), 0);
	opc_writer_end(w);
}

/* Write the trace of `s` to a new file; returns its path (static storage
 * per call: copy it before the next one). */
static const char *write_spec(const struct spec *s)
{
	static char path[256];
	struct opc_file_header h;
	struct opc_writer w;
	struct opc_rec_string rs;
	const char *strs[] = { "cblas_dgemm", "dgemm", "gemm", "m,n,k", "ta,tb,beta" };
	int fd;

	snprintf(path, sizeof(path), "%s/t%d.opc", tmpdir, ntraces++);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, OPC_TRACE_MAGIC, 8);
	h.version = OPC_TRACE_VERSION;
	h.min_version = OPC_TRACE_MIN_VERSION;
	h.header_size = sizeof(h);
	h.byte_order = OPC_BYTE_ORDER_MARK;
	h.frame_header_size = sizeof(struct opc_frame);
	h.start_realtime_ns = s->start ? s->start : 1700000000000000000ull;
	h.pid = s->pid ? s->pid : 4242;
	h.ppid = s->ppid ? s->ppid : 1;
	h.interval_ns = S(1);
	assert_int_equal(opc_writer_open(&w, fd, &h), 0);
	if (s->idle_w) {
		char kv[64];

		snprintf(kv, sizeof(kv), "idle_w=%s", s->idle_w);
		put(&w, OPC_REC_INFO, NULL, 0, kv, strlen(kv) + 1);
	}
	for (int i = 0; i < 8 && s->info[i]; i++)
		put(&w, OPC_REC_INFO, NULL, 0, s->info[i], strlen(s->info[i]) + 1);
	for (uint32_t i = 0; i < 5; i++) {
		rs.id = i + 1;
		put(&w, OPC_REC_STRING, &rs, sizeof(rs), strs[i], strlen(strs[i]) + 1);
	}
	{	/* layer 1: named and typed by strings 1 and 2 */
		struct opc_rec_layer l = { 1, 0, 1, 2 };

		put(&w, OPC_REC_LAYER, &l, sizeof(l), NULL, 0);
	}
	if (s->nsmp) {	/* one stack for every sample: only weights matter */
		struct opc_rec_stack st = { 1, 1 };
		uint64_t frame = 0x401000;

		put(&w, OPC_REC_STACK, &st, sizeof(st), &frame, sizeof(frame));
	}
	for (int k = 0; k < s->nkeys; k++) {
		struct opc_rec_key key = {
			.id = k + 1, .symbol = 1, .op = 2, .family = 3, .dims = 4, .flag_names = 5,
			.flags = s->keys[k].flags, .level = 3, .prec = 'd',
			.device = s->keys[k].device, .site = 0x401000 + 16 * k, .flops = 1000,
			.bytes = 100, .d = { 10, 10, 5, 0 }, .f = { 'N', 'N', '1', 0 },
			.tid = s->keys[k].tid, .layer = s->keys[k].layer,
		};

		put(&w, OPC_REC_KEY, &key, sizeof(key), NULL, 0);
	}
	if (s->ndom) {
		struct opc_rec_energy_info ei = { .resolution_j = s->resolution,
						  .ndomains = s->ndom, .measured = 1 };
		struct opc_rec_energy_domain d[MAXD];
		char tail[sizeof(d) + 1];

		memset(d, 0, sizeof(d));
		snprintf(ei.source, sizeof(ei.source), "rapl");
		for (int i = 0; i < s->ndom; i++) {
			snprintf(d[i].name, sizeof(d[i].name), "%s", s->dom[i].name);
			d[i].kind = s->dom[i].kind;
			d[i].counted = s->dom[i].counted;
		}
		memcpy(tail, d, s->ndom * sizeof(d[0]));
		tail[s->ndom * sizeof(d[0])] = 0;	/* an empty note */
		put(&w, OPC_REC_ENERGY_INFO, &ei, sizeof(ei), tail, s->ndom * sizeof(d[0]) + 1);
	}
	for (int i = 0; i < s->niv; i++) {
		const struct t_interval *in = &s->iv[i];
		struct opc_rec_interval ri = { S(in->begin), S(in->end), in->n, 0 };
		void *p = opc_writer_begin(&w, OPC_REC_INTERVAL, sizeof(ri));

		assert_non_null(p);
		memcpy(p, &ri, sizeof(ri));
		for (int j = 0; j < in->n; j++) {
			const struct t_entry *e = &in->e[j];

			opc_writer_varint(&w, e->key + 1);
			opc_writer_varint(&w, e->calls);
			opc_writer_varint(&w, e->calls);
			opc_writer_varint(&w, e->busy_ns);
			opc_writer_varint(&w, e->calls * 1000);
			opc_writer_varint(&w, e->calls * 100);
		}
		opc_writer_end(&w);
	}
	for (int i = 0; i < s->nes; i++) {
		struct opc_rec_energy re = { S(s->es[i].t), s->ndom,
					     i == 0 && s->baseline ? OPC_ENERGY_BASELINE : 0 };

		put(&w, OPC_REC_ENERGY, &re, sizeof(re), s->es[i].j, s->ndom * sizeof(double));
	}
	if (s->nsmp) {
		struct opc_rec_sample rsm = { s->nsmp, 0 };
		struct opc_rec_sample_ent ent[MAXE];

		for (int i = 0; i < s->nsmp; i++)
			ent[i] = (struct opc_rec_sample_ent){ S(s->smp[i].t), s->smp[i].tid, 1,
							      S(s->smp[i].weight) };
		put(&w, OPC_REC_SAMPLE, &rsm, sizeof(rsm), ent, s->nsmp * sizeof(ent[0]));
	}
	struct opc_rec_end end = { S(s->nes ? s->es[s->nes - 1].t : 0), 0, 1, 0 };

	if (!s->no_end)
		put(&w, OPC_REC_END, &end, sizeof(end), NULL, 0);
	assert_int_equal(opc_writer_flush(&w), 0);
	opc_writer_release(&w);
	assert_int_equal(close(fd), 0);
	return path;
}

/* Write, read back and attribute. */
static void attribute(const struct spec *s, struct opc_trace *t, struct opc_attribution *a)
{
	char err[1024] = "";
	const char *path = write_spec(s);

	memset(t, 0, sizeof(*t));
	if (opc_trace_read(path, t, err, sizeof(err)) < 0 || err[0])
		fail_msg("reading back %s: %s", path, err);
	assert_int_equal(t->nkeys, s->nkeys);
	assert_int_equal(opc_attribute_energy(t, a), 0);
}

static void near_(double got, double want, const char *what, int line)
{
	if (!(fabs(got - want) <= 1e-9))
		fail_msg("line %d: %s is %.12g J, expected %.12g J", line, what, got, want);
}

#define NEAR(got, want) near_((got), (want), #got, __LINE__)

/* Every joule is somewhere: the keys' and the outside energy add up. */
static void conserved(const struct opc_trace *t, const struct opc_attribution *a)
{
	double sum = a->outside_j;

	for (size_t k = 0; k < t->nkeys; k++)
		sum += t->keys[k].energy_j;
	NEAR(sum, a->total_j);
}

#define KEY_J(t, k)	((t).keys[k].energy_j)
#define KEY_LO(t, k)	((t).keys[k].energy_lo_j)
#define KEY_HI(t, k)	((t).keys[k].energy_hi_j)

static const struct t_dom package = { "package-0", DOM_PACKAGE, 1 };

/* ---- tests ---------------------------------------------------------------- */

/*
 * One second, 10 J.  Thread 1 busy 0.25 s, thread 2 0.5 s: 2.5 J and 5 J,
 * 2.5 J outside.  One interval: its power is its own neighbour, 10 W,
 * so the bounds are the share of 10 W x 1 s, -/+ twice the resolution.
 */
static void test_time_proportional(void **state)
{
	struct spec s = {
		.keys = { { 1, 0, 0 }, { 2, 0, 0 } }, .nkeys = 2,
		.iv = { { 0, 1, { { 0, 10, S(0.25) }, { 1, 5, S(0.5) } }, 2 } }, .niv = 1,
		.dom = { package }, .ndom = 1,
		.es = { { 1, { 10 } } }, .nes = 1, .resolution = 0.125,
	};
	struct opc_trace t;
	struct opc_attribution a;

	(void)state;
	attribute(&s, &t, &a);
	assert_int_equal(a.have_energy, 1);
	NEAR(a.total_j, 10);
	NEAR(a.duration_s, 1);
	NEAR(KEY_J(t, 0), 2.5);
	NEAR(KEY_J(t, 1), 5);
	NEAR(a.outside_j, 2.5);
	NEAR(KEY_LO(t, 0), 2.5 - 0.25);
	NEAR(KEY_HI(t, 0), 2.5 + 0.25);
	NEAR(KEY_LO(t, 1), 5 - 0.25);
	NEAR(KEY_HI(t, 1), 5 + 0.25);
	NEAR(a.outside_lo_j, 2.5);
	NEAR(a.outside_hi_j, 2.5);
	NEAR(a.sampled_j, 0);
	conserved(&t, &a);
	opc_trace_free(&t);
}

/*
 * A trace that counts from a baseline record (a fork child's, whose
 * counters read 100 J at its first call, 0.2 s after time 0): 108 J at
 * 1 s is 8 J over 0.8 s, and a key busy 0.4 s of it takes 4 J, not the
 * 108 J the same samples would give counted from 0 J at time 0.
 */
static void test_baseline_record(void **state)
{
	struct spec s = {
		.keys = { { 1, 0, 0 } }, .nkeys = 1,
		.iv = { { 0.2, 1, { { 0, 10, S(0.4) } }, 1 } }, .niv = 1,
		.dom = { package }, .ndom = 1,
		.es = { { 0.2, { 100 } }, { 1, { 108 } } }, .nes = 2, .resolution = 0.125,
		.baseline = 1,
	};
	struct opc_trace t;
	struct opc_attribution a;

	(void)state;
	attribute(&s, &t, &a);
	assert_int_equal(a.have_energy, 1);
	NEAR(a.total_j, 8);
	NEAR(a.duration_s, 0.8);
	NEAR(KEY_J(t, 0), 4);
	NEAR(a.outside_j, 4);
	conserved(&t, &a);
	opc_trace_free(&t);
	/* the same samples without the flag: 0 J at time 0 */
	s.baseline = 0;
	attribute(&s, &t, &a);
	NEAR(a.total_j, 108);
	NEAR(a.duration_s, 1);
	opc_trace_free(&t);
}

/*
 * A layer region's own time (OPC_TKEY_REGION): 10 W for 2 s.  Thread 1 is
 * in layer L throughout (the region key holds 1 s in each interval) and
 * makes one call in L that ends at 1.5 s having begun at 0.5 s: its 1 s
 * is written in the second interval.  The reader takes the call out of
 * the region's time walking back (0.5 s of the second interval, the 0.5 s
 * beyond it from the first), the attribution spills the call's excess
 * back alike: the call gets 10 J, the region its own 1 s, 10 J, nothing
 * is outside, and every interval closes.  Reading the call's 1 s out of
 * the second interval alone would leave the region 1.5 s.
 */
static void test_region_own_time(void **state)
{
	struct spec s = {
		.keys = { { 1, OPC_TKEY_REGION, 0, 1 }, { 1, 0, 0, 1 } }, .nkeys = 2,
		.iv = { { 0, 1, { { 0, 1, S(1) } }, 1 },
			{ 1, 2, { { 0, 0, S(1) }, { 1, 1, S(1.5) } }, 2 } }, .niv = 2,
		.dom = { package }, .ndom = 1,
		.es = { { 1, { 10 } }, { 2, { 20 } } }, .nes = 2, .resolution = 0.125,
	};
	struct opc_trace t;
	struct opc_attribution a;

	(void)state;
	attribute(&s, &t, &a);
	NEAR(t.keys[0].busy_s, 0.5);
	NEAR(t.keys[1].busy_s, 1.5);
	NEAR(KEY_J(t, 0), 5);
	NEAR(KEY_J(t, 1), 15);
	NEAR(a.outside_j, 0);
	NEAR(a.layers_j, 5);
	assert_true(fabs(a.closure_worst_j) < 1e-12);
	assert_int_equal(a.closure_intervals, 2);
	conserved(&t, &a);
	opc_trace_free(&t);
}

/*
 * Threads busy at once share the interval: two threads busy 0.75 s each
 * in one second of 12 J take 12 x 0.75 / 1.5 = 6 J each, none is left
 * outside.  A thread is never more than 100% busy, so this is not spilled.
 */
static void test_threads_share(void **state)
{
	struct spec s = {
		.keys = { { 1, 0, 0 }, { 2, 0, 0 } }, .nkeys = 2,
		.iv = { { 1, 2, { { 0, 3, S(0.75) }, { 1, 3, S(0.75) } }, 2 } }, .niv = 1,
		.dom = { package }, .ndom = 1,
		.es = { { 1, { 4 } }, { 2, { 16 } } }, .nes = 2,
	};
	struct opc_trace t;
	struct opc_attribution a;

	(void)state;
	attribute(&s, &t, &a);
	NEAR(KEY_J(t, 0), 6);
	NEAR(KEY_J(t, 1), 6);
	NEAR(a.outside_j, 4);	/* the first second: nothing ran */
	conserved(&t, &a);
	opc_trace_free(&t);
}

/*
 * Spill-back.  Seconds [0,1] 4 J and [1,2] 12 J.  Thread 1 made one call
 * of 1.5 s that ended in the second interval (it began at 0.5 s): the
 * thread cannot be busy 1.5 s of a 1 s interval, so 0.5 s goes back to
 * the first.  Its energy: 4 x 0.5 + 12 x 1 = 14 J (without spill-back it
 * would be 12 J); outside: 2 J, the first half second.
 *
 * Bounds: powers 4 W and 12 W, each interval's range spanning both:
 * lo = 4 x 0.5 + 4 x 1 = 6 J, hi = 12 x 0.5 + 12 x 1 = 18 J, -/+ 2 x 0.25;
 * outside 4 x 0.5 = 2 J to 12 x 0.5 = 6 J.
 */
static void test_spill_back(void **state)
{
	struct spec s = {
		.keys = { { 1, 0, 0 } }, .nkeys = 1,
		.iv = { { 1, 2, { { 0, 1, S(1.5) } }, 1 } }, .niv = 1,
		.dom = { package }, .ndom = 1,
		.es = { { 1, { 4 } }, { 2, { 16 } } }, .nes = 2, .resolution = 0.25,
	};
	struct opc_trace t;
	struct opc_attribution a;

	(void)state;
	attribute(&s, &t, &a);
	NEAR(KEY_J(t, 0), 14);
	NEAR(a.outside_j, 2);
	NEAR(KEY_LO(t, 0), 6 - 0.5);
	NEAR(KEY_HI(t, 0), 18 + 0.5);
	NEAR(a.outside_lo_j, 2);
	NEAR(a.outside_hi_j, 6);
	conserved(&t, &a);
	opc_trace_free(&t);
}

/*
 * Spill-back goes on as far as it must, per thread, and stops at the
 * first interval.  Three seconds of 2, 4 and 8 J.  Thread 1 shows 2.5 s
 * in the third (1 s stays, 1.5 s goes back; of that 1 s stays in the
 * second, 0.5 s in the first): 1 + 4 + 8 = 13 J.  Thread 2 shows 0.5 s
 * in the second and 1.5 s in the first, where it stays (nothing before
 * it): in the first, threads 1 and 2 share 2 J by 0.5 : 1.5, in the
 * second 4 J by 1 : 0.5.  So thread 1: 0.5 + 4 x 1/1.5 + 8, thread 2:
 * 1.5 + 4 x 0.5/1.5; nothing outside.
 */
static void test_spill_back_chain(void **state)
{
	struct spec s = {
		.keys = { { 1, 0, 0 }, { 2, 0, 0 } }, .nkeys = 2,
		.iv = { { 0, 1, { { 1, 3, S(1.5) } }, 1 },
			{ 1, 2, { { 1, 1, S(0.5) } }, 1 },
			{ 2, 3, { { 0, 1, S(2.5) } }, 1 } }, .niv = 3,
		.dom = { package }, .ndom = 1,
		.es = { { 1, { 2 } }, { 2, { 6 } }, { 3, { 14 } } }, .nes = 3,
	};
	struct opc_trace t;
	struct opc_attribution a;

	(void)state;
	attribute(&s, &t, &a);
	NEAR(KEY_J(t, 0), 0.5 + 4.0 / 1.5 + 8);
	NEAR(KEY_J(t, 1), 1.5 + 4 * 0.5 / 1.5);
	NEAR(a.outside_j, 0);
	conserved(&t, &a);
	opc_trace_free(&t);
}

/*
 * A call interval that straddles two energy intervals gives each the part
 * of its busy time that its overlap is of it: [0.5, 1.5] with 0.5 s busy
 * puts 0.25 s in [0, 1] (4 J: 1 J) and 0.25 s in [1, 2] (8 J: 2 J).  A
 * nested key (a BLAS call inside another counted call) is inside its outer
 * call's time: it takes nothing.
 */
static void test_straddle_and_nested(void **state)
{
	struct spec s = {
		.keys = { { 1, 0, 0 }, { 1, OPC_TKEY_NESTED, 0 } }, .nkeys = 2,
		.iv = { { 0.5, 1.5, { { 0, 2, S(0.5) }, { 1, 9, S(0.25) } }, 2 } }, .niv = 1,
		.dom = { package }, .ndom = 1,
		.es = { { 1, { 4 } }, { 2, { 12 } } }, .nes = 2,
	};
	struct opc_trace t;
	struct opc_attribution a;

	(void)state;
	attribute(&s, &t, &a);
	NEAR(KEY_J(t, 0), 1 + 2);
	NEAR(KEY_J(t, 1), 0);
	NEAR(a.outside_j, 12 - 3);
	conserved(&t, &a);
	opc_trace_free(&t);
}

/*
 * Bounds are clamped: never below 0, and the split itself always inside
 * its bounds.  A key with 0.125 J and a resolution of 1 J: lo 0, hi 2.125.
 * An uncounted domain (a core zone, inside the package) adds nothing.
 */
static void test_bounds_clamped(void **state)
{
	struct spec s = {
		.keys = { { 1, 0, 0 } }, .nkeys = 1,
		.iv = { { 0, 1, { { 0, 1, S(0.0125) } }, 1 } }, .niv = 1,
		.dom = { package, { "core", DOM_CORE, 0 } }, .ndom = 2,
		.es = { { 1, { 10, 7 } } }, .nes = 1, .resolution = 1,
	};
	struct opc_trace t;
	struct opc_attribution a;

	(void)state;
	attribute(&s, &t, &a);
	NEAR(a.total_j, 10);
	NEAR(KEY_J(t, 0), 0.125);
	NEAR(KEY_LO(t, 0), 0);
	NEAR(KEY_HI(t, 0), 0.125 + 2);
	conserved(&t, &a);
	opc_trace_free(&t);
}

/*
 * GPU pools.  One second; package 8 J, gpu0 20 J, gpu1 40 J.  Host thread
 * busy 0.5 s: 4 J of the package only.  Two keys on device 0 on two
 * streams (two host threads), GPU busy 0.25 s and 0.5 s: 5 J and 10 J of
 * gpu0.  A key on device 1, 0.5 s: 20 J of gpu1.  A key on device 2,
 * which has no energy domain: nothing (the host's energy is not its).
 * Outside: 4 + 5 + 20 = 29 J.
 */
static void test_gpu_pools(void **state)
{
	struct spec s = {
		.keys = { { 1, 0, 0 }, { 1, OPC_TKEY_GPU, 0 }, { 2, OPC_TKEY_GPU, 0 },
			  { 1, OPC_TKEY_GPU, 1 }, { 1, OPC_TKEY_GPU, 2 } }, .nkeys = 5,
		.iv = { { 0, 1, { { 0, 4, S(0.5) }, { 1, 1, S(0.25) }, { 2, 1, S(0.5) },
				  { 3, 2, S(0.5) }, { 4, 1, S(0.5) } }, 5 } }, .niv = 1,
		.dom = { package, { "gpu0", OPC_TDOM_GPU, 1 }, { "gpu1", OPC_TDOM_GPU, 1 } },
		.ndom = 3,
		.es = { { 1, { 8, 20, 40 } } }, .nes = 1,
	};
	struct opc_trace t;
	struct opc_attribution a;

	(void)state;
	attribute(&s, &t, &a);
	NEAR(a.total_j, 68);
	NEAR(KEY_J(t, 0), 4);
	NEAR(KEY_J(t, 1), 5);
	NEAR(KEY_J(t, 2), 10);
	NEAR(KEY_J(t, 3), 20);
	NEAR(KEY_J(t, 4), 0);
	NEAR(a.outside_j, 29);
	/* the bounds of each pool are its own power's: gpu1 at 40 W */
	NEAR(KEY_LO(t, 3), 20);
	NEAR(KEY_HI(t, 3), 20);
	conserved(&t, &a);
	opc_trace_free(&t);
}

/*
 * A GPU is one engine whatever the threads that queued its work: two keys
 * on device 0 from two threads, 0.75 s each of a 1 s interval, are 1.5 s
 * of one device: 0.5 s goes back to the interval before, shared 1 : 1.
 * gpu0: 8 J then 16 J.  Each key: 8 x 0.25 + 16 x 0.5 = 10 J.  (Were they
 * two engines, each would be 8 J of the second second and nothing of the
 * first.)
 */
static void test_gpu_one_engine(void **state)
{
	struct spec s = {
		.keys = { { 1, OPC_TKEY_GPU, 0 }, { 2, OPC_TKEY_GPU, 0 } }, .nkeys = 2,
		.iv = { { 1, 2, { { 0, 3, S(0.75) }, { 1, 3, S(0.75) } }, 2 } }, .niv = 1,
		.dom = { package, { "gpu0", OPC_TDOM_GPU, 1 } }, .ndom = 2,
		.es = { { 1, { 1, 8 } }, { 2, { 2, 24 } } }, .nes = 2,
	};
	struct opc_trace t;
	struct opc_attribution a;

	(void)state;
	attribute(&s, &t, &a);
	NEAR(KEY_J(t, 0), 10);
	NEAR(KEY_J(t, 1), 10);
	NEAR(a.outside_j, 2 + 4);	/* the package's, and gpu0's idle half second */
	conserved(&t, &a);
	opc_trace_free(&t);
}

/*
 * Without GPU keys every counted domain is one pool: a GPU's energy goes
 * to whatever host work ran.  Package 6 J + gpu0 10 J, thread busy 0.25 s:
 * 4 J.
 */
static void test_one_pool_without_gpu_keys(void **state)
{
	struct spec s = {
		.keys = { { 1, 0, 0 } }, .nkeys = 1,
		.iv = { { 0, 1, { { 0, 1, S(0.25) } }, 1 } }, .niv = 1,
		.dom = { package, { "gpu0", OPC_TDOM_GPU, 1 } }, .ndom = 2,
		.es = { { 1, { 6, 10 } } }, .nes = 1,
	};
	struct opc_trace t;
	struct opc_attribution a;

	(void)state;
	attribute(&s, &t, &a);
	NEAR(KEY_J(t, 0), 4);
	NEAR(a.outside_j, 12);
	conserved(&t, &a);
	opc_trace_free(&t);
}

/*
 * Stack samples take what the calls left, each by its CPU time, at most
 * E x weight / len of an interval.  Seconds [0,1] and [1,2], 10 J each.
 * First: calls 0.25 s (2.5 J), rest 7.5 J; samples of 0.25 s and 0.5 s
 * could take 7.5 J: 2.5 J and 5 J.  Second: calls 0.75 s (7.5 J), rest
 * 2.5 J; two samples of 0.25 s could take 5 J, get the 2.5 J: 1.25 J each.
 * A sample at time 0 (before the first reading) weighs no interval.
 */
static void test_stack_samples(void **state)
{
	struct spec s = {
		.keys = { { 1, 0, 0 } }, .nkeys = 1,
		.iv = { { 0, 1, { { 0, 1, S(0.25) } }, 1 }, { 1, 2, { { 0, 3, S(0.75) } }, 1 } },
		.niv = 2,
		.dom = { package }, .ndom = 1,
		.es = { { 1, { 10 } }, { 2, { 20 } } }, .nes = 2,
		.smp = { { 0, 1, 0.5 }, { 1, 1, 0.25 }, { 1, 2, 0.5 }, { 2, 1, 0.25 },
			 { 2, 2, 0.25 } }, .nsmp = 5,
	};
	struct opc_trace t;
	struct opc_attribution a;

	(void)state;
	attribute(&s, &t, &a);
	assert_int_equal(t.nsamples, 5);
	NEAR(t.samples[0].energy_j, 0);
	NEAR(t.samples[1].energy_j, 2.5);
	NEAR(t.samples[2].energy_j, 5);
	NEAR(t.samples[3].energy_j, 1.25);
	NEAR(t.samples[4].energy_j, 1.25);
	NEAR(a.sampled_j, 10);
	NEAR(KEY_J(t, 0), 10);
	NEAR(a.outside_j, 10);	/* sampled energy is part of the outside */
	conserved(&t, &a);
	opc_trace_free(&t);
}

/* No energy samples: nothing to split, and nothing is made up. */
static void test_no_energy(void **state)
{
	struct spec s = {
		.keys = { { 1, 0, 0 } }, .nkeys = 1,
		.iv = { { 0, 1, { { 0, 1, S(0.25) } }, 1 } }, .niv = 1,
	};
	struct opc_trace t;
	struct opc_attribution a;

	(void)state;
	attribute(&s, &t, &a);
	assert_int_equal(a.have_energy, 0);
	NEAR(a.total_j, 0);
	NEAR(KEY_J(t, 0), 0);
	opc_trace_free(&t);
}

/*
 * The idle baseline: `record --idle-baseline` writes the idle power into
 * the trace (INFO idle_w); the static energy is that power over the time
 * the energy samples cover, summed over traces; the rest is dynamic.  Two
 * traces (an hour apart: not overlapping) of 2 s at 2.5 W idle and 3 s at
 * 1.5 W: 5 + 4.5 J static of 20 + 30 J.  A trace without the baseline
 * says so (idle_w < 0).
 */
static void test_idle_baseline(void **state)
{
	struct spec s1 = {
		.keys = { { 1, 0, 0 } }, .nkeys = 1,
		.iv = { { 0, 1, { { 0, 1, S(0.5) } }, 1 } }, .niv = 1,
		.dom = { package }, .ndom = 1,
		.es = { { 1, { 10 } }, { 2, { 20 } } }, .nes = 2, .idle_w = "2.5",
	};
	struct spec s2 = s1;
	char p1[256], p2[256];
	char *paths[2] = { p1, p2 };
	struct opc_profile p;

	(void)state;
	s2.es[1] = (struct t_esample){ 3, { 30 } };
	s2.idle_w = "1.5";
	s2.start = 1700000000000000000ull + 3600000000000ull;
	snprintf(p1, sizeof(p1), "%s", write_spec(&s1));
	snprintf(p2, sizeof(p2), "%s", write_spec(&s2));
	assert_int_equal(opc_profile_load(&p, paths, 2), 0);
	assert_int_equal(p.have_energy, 1);
	NEAR(p.energy_j, 50);
	NEAR(p.static_j, 2.5 * 2 + 1.5 * 3);
	assert_true(p.idle_w > 0);
	/* each trace's key took 0.5 s of a 10 W second: 5 J, the rest outside */
	NEAR(p.outside_j, 50 - 10);
	opc_profile_free(&p);

	s1.idle_w = NULL;
	snprintf(p1, sizeof(p1), "%s", write_spec(&s1));
	assert_int_equal(opc_profile_load(&p, paths, 1), 0);
	assert_true(p.idle_w < 0);
	NEAR(p.static_j, 0);
	opc_profile_free(&p);
}


/* ---- nodes and jobs: traces attributed together ------------------------- */

#define T0	1700000000000000000ull

/* One key busy b in each of two 1 s intervals, at w watts (the counter's
 * delta: w J a second), starting `late` s after T0, with INFO info. */
static void node_spec(struct spec *s, double b, double w, double late)
{
	memset(s, 0, sizeof(*s));
	s->keys[0] = (struct t_key){ 1, 0, 0, 0 };
	s->nkeys = 1;
	s->iv[0] = (struct t_interval){ 0, 1, { { 0, 10, S(b) } }, 1 };
	s->iv[1] = (struct t_interval){ 1, 2, { { 0, 10, S(b) } }, 1 };
	s->niv = 2;
	s->dom[0] = package;
	s->ndom = 1;
	s->es[0] = (struct t_esample){ 1, { w } };
	s->es[1] = (struct t_esample){ 2, { 2 * w } };
	s->nes = 2;
	s->start = T0 + S(late);
}

/* Write and load n traces together, as `opcount report` does. */
static int load_specs(const struct spec *ss, int n, struct opc_profile *p, unsigned flags)
{
	char paths[8][256], *pp[8];

	for (int i = 0; i < n; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s", write_spec(&ss[i]));
		pp[i] = paths[i];
	}
	return opc_profile_load_flags(p, pp, n, flags);
}

#define NODE_A	"host=a", "boot_id=1111aaaa-0000"
#define NODE_B	"host=b", "boot_id=2222bbbb-0000"

/*
 * One node, four ranks at a constant 40 W, busy 0.1, 0.2, 0.3 and 0.15 s
 * of each second; rank 3 starts 0.5 s after the others.  The node's
 * counter ran over the union of their times, 2.5 s: 100 J, not the 4 x
 * 80 J the traces hold.  Each rank's key takes 40 W x its busy time (the
 * ranks' busy times never fill a second), the rest, 100 - 40 x 1.5 =
 * 40 J, is outside; no warning that they do not add up.
 */
static void test_node_four_ranks(void **state)
{
	static const double busy[4] = { 0.1, 0.2, 0.3, 0.15 };
	static const char *ranks[4] = { "rank=0", "rank=1", "rank=2", "rank=3" };
	struct spec ss[4];
	struct opc_profile p;

	(void)state;
	for (int i = 0; i < 4; i++) {
		node_spec(&ss[i], busy[i], 40, i == 3 ? 0.5 : 0);
		ss[i].info[0] = "host=a";
		ss[i].info[1] = "boot_id=1111aaaa-0000";
		ss[i].info[2] = ranks[i];
		ss[i].info[3] = "world_size=4";
		ss[i].info[4] = "job=77";
		ss[i].info[5] = "launcher=openmpi";
		ss[i].pid = 100 + i;
	}
	assert_int_equal(load_specs(ss, 4, &p, 0), 0);
	NEAR(p.energy_j, 100);
	for (int i = 0; i < 4; i++) {
		NEAR(KEY_J(p.traces[i], 0), 40 * 2 * busy[i]);
		NEAR(p.sums[i].energy_j, 40 * 2 * busy[i]);
	}
	NEAR(p.outside_j, 100 - 40 * 2 * 0.75);
	assert_int_equal(p.overlap, 0);
	assert_int_equal(p.job.nnodes, 1);
	assert_int_equal(p.nodes[0].joint, 1);
	NEAR(p.nodes[0].energy_j, 100);
	NEAR(p.nodes[0].covered_s, 2.5);
	assert_int_equal(p.nodes[0].ngpu, 0);
	NEAR(p.energy_s, 2.5);
	NEAR(p.closure_worst_j, 0);
	assert_string_equal(p.job.id, "77");
	assert_int_equal(p.job.world_size, 4);
	assert_int_equal(p.job.nranks, 4);
	assert_int_equal(p.job.nmissing, 0);
	assert_int_equal(p.job.ntruncated, 0);
	opc_profile_free(&p);
}

/*
 * Four ranks busier than the node's second together (0.2 + 0.4 + 0.6 +
 * 0.8 = 2 s of calls in 1 s): they share its 40 J by busy time, 40 x
 * b / 2, and nothing is outside.  Alone, each would have taken 40 x b.
 */
static void test_node_oversubscribed(void **state)
{
	static const double busy[4] = { 0.2, 0.4, 0.6, 0.8 };
	struct spec ss[4];
	struct opc_profile p;

	(void)state;
	for (int i = 0; i < 4; i++) {
		node_spec(&ss[i], busy[i], 40, 0);
		ss[i].niv = 1;
		ss[i].nes = 1;
		ss[i].info[0] = "host=a";
		ss[i].info[1] = "boot_id=1111aaaa-0000";
	}
	assert_int_equal(load_specs(ss, 4, &p, 0), 0);
	NEAR(p.energy_j, 40);
	for (int i = 0; i < 4; i++)
		NEAR(KEY_J(p.traces[i], 0), 40 * busy[i] / 2);
	NEAR(p.outside_j, 0);
	NEAR(p.closure_worst_j, 0);
	assert_int_equal(p.overlap, 0);
	/* no rank: not a job */
	assert_null(p.job.id);
	assert_int_equal(p.job.nranks, 0);
	opc_profile_free(&p);
}

/*
 * Two nodes of two ranks each, at the same time: node a at 30 W (ranks
 * busy 0.25 s a second: 15 J each over 2 s, 30 J outside), node b at
 * 50 W (ranks busy 0.5 s: together the whole second, 50 J each, nothing
 * outside).  Each node's energy is its own counter's, once: 60 and 100 J.
 */
static void test_two_nodes(void **state)
{
	struct spec ss[4];
	struct opc_profile p;

	(void)state;
	for (int i = 0; i < 4; i++) {
		node_spec(&ss[i], i < 2 ? 0.25 : 0.5, i < 2 ? 30 : 50, 0);
		ss[i].info[0] = i < 2 ? "host=a" : "host=b";
		ss[i].info[1] = i < 2 ? "boot_id=1111aaaa-0000" : "boot_id=2222bbbb-0000";
	}
	assert_int_equal(load_specs(ss, 4, &p, 0), 0);
	assert_int_equal(p.job.nnodes, 2);
	assert_string_equal(p.job.nodes[0].label, "a");
	assert_string_equal(p.job.nodes[1].label, "b");
	NEAR(p.nodes[0].energy_j, 60);
	NEAR(p.nodes[1].energy_j, 100);
	NEAR(p.nodes[0].outside_j, 30);
	NEAR(p.nodes[1].outside_j, 0);
	NEAR(p.energy_j, 160);
	NEAR(p.outside_j, 30);
	NEAR(KEY_J(p.traces[0], 0), 15);
	NEAR(KEY_J(p.traces[1], 0), 15);
	NEAR(KEY_J(p.traces[2], 0), 50);
	NEAR(KEY_J(p.traces[3], 0), 50);
	opc_profile_free(&p);
}

/*
 * Traces of one node an hour apart do not share anything: each keeps
 * what it has alone (20 J of 80 J), and the node's energy is their sum.
 * Traces of no known node (no boot id: older traces) overlapping in time
 * are attributed alone as before, and flagged as not additive.
 */
static void test_node_apart_and_unknown(void **state)
{
	struct spec ss[2];
	struct opc_profile p;

	(void)state;
	for (int i = 0; i < 2; i++) {
		node_spec(&ss[i], 0.25, 40, i * 3600.0);
		ss[i].info[0] = "host=a";
		ss[i].info[1] = "boot_id=1111aaaa-0000";
	}
	assert_int_equal(load_specs(ss, 2, &p, 0), 0);
	NEAR(p.energy_j, 160);
	NEAR(KEY_J(p.traces[0], 0), 20);
	NEAR(KEY_J(p.traces[1], 0), 20);
	NEAR(p.outside_j, 120);
	NEAR(p.nodes[0].covered_s, 4);
	assert_int_equal(p.overlap, 0);
	opc_profile_free(&p);

	for (int i = 0; i < 2; i++) {
		node_spec(&ss[i], 0.25, 40, 0);
		ss[i].info[0] = "host=a";
	}
	assert_int_equal(load_specs(ss, 2, &p, 0), 0);
	assert_int_equal(p.job.nnodes, 0);
	assert_int_equal(p.overlap, 1);
	NEAR(p.energy_j, 160);
	NEAR(KEY_J(p.traces[0], 0), 20);
	opc_profile_free(&p);
}


/*
 * Two traces of one node whose intervals do not line up: a's are (0, 1]
 * and (1, 2], b's start 0.5 s later.  The others' busy time in a window
 * is prorated by overlap: a busy 0.8 s of each second, b 0.6 s, at 40 W:
 *   a (0, 1]:     b's first half-interval, 0.3 s: 40 x 0.8 / 1.1
 *   a (1, 2]:     halves of both of b's, 0.6 s:   40 x 0.8 / 1.4
 *   b (0.5, 1.5]: halves of both of a's, 0.8 s:   40 x 0.6 / 1.4
 *   b (1.5, 2.5]: half of a's second, 0.4 s:      40 x 0.6 (1.0 fits)
 * and the node's counter over (0, 2.5]: 100 J, the rest outside.
 */
static void test_node_prorated(void **state)
{
	struct spec ss[2];
	struct opc_profile p;
	double a = 32 / 1.1 + 32 / 1.4, b = 24 / 1.4 + 24;

	(void)state;
	node_spec(&ss[0], 0.8, 40, 0);
	node_spec(&ss[1], 0.6, 40, 0.5);
	for (int i = 0; i < 2; i++) {
		ss[i].info[0] = "host=a";
		ss[i].info[1] = "boot_id=1111aaaa-0000";
	}
	assert_int_equal(load_specs(ss, 2, &p, 0), 0);
	NEAR(KEY_J(p.traces[0], 0), a);
	NEAR(KEY_J(p.traces[1], 0), b);
	NEAR(p.energy_j, 100);
	NEAR(p.outside_j, 100 - a - b);
	NEAR(p.closure_worst_j, 0);
	opc_profile_free(&p);
}

/* ---- GPUs that several traces of one node read ---------------------------- */

/*
 * A trace of node a over two 1 s intervals, `late` s after T0: the
 * package at 20 W and the GPUs named gpu[0..ng) (NVML's "gpu<I> <NAME>",
 * in the order the trace lists them: CUDA's device order) at w[] watts;
 * key k on CUDA device dev[k], busy b[k] of each second on its GPU.
 */
static void gpu_spec(struct spec *s, const char *const *gpu, const double *w, int ng,
		     const int *dev, const double *b, int nk, double late)
{
	memset(s, 0, sizeof(*s));
	s->dom[0] = package;
	s->ndom = 1 + ng;
	s->es[0].t = 1;
	s->es[1].t = 2;
	s->es[0].j[0] = 20;
	s->es[1].j[0] = 40;
	for (int g = 0; g < ng; g++) {
		s->dom[1 + g] = (struct t_dom){ gpu[g], OPC_TDOM_GPU, 1 };
		s->es[0].j[1 + g] = w[g];
		s->es[1].j[1 + g] = 2 * w[g];
	}
	s->nes = 2;
	s->nkeys = nk;
	s->niv = 2;
	for (int i = 0; i < 2; i++) {
		s->iv[i].begin = i;
		s->iv[i].end = i + 1;
		s->iv[i].n = nk;
	}
	for (int k = 0; k < nk; k++) {
		s->keys[k] = (struct t_key){ 1 + k, OPC_TKEY_GPU, (uint8_t)dev[k], 0 };
		s->iv[0].e[k] = (struct t_entry){ k, 1, S(b[k]) };
		s->iv[1].e[k] = (struct t_entry){ k, 1, S(b[k]) };
	}
	s->start = T0 + S(late);
	s->info[0] = "host=a";
	s->info[1] = "boot_id=1111aaaa-0000";
}

/* The report's sums hold together: every joule of each node is attributed
 * or outside, closure holds, the bounds contain the outside energy. */
static void node_whole(const struct opc_profile *p)
{
	double keys = 0;

	for (size_t i = 0; i < p->ntraces; i++)
		keys += p->sums[i].energy_j;
	NEAR(keys + p->outside_j, p->energy_j);
	NEAR(p->closure_worst_j, 0);
	assert_true(p->outside_lo_j <= p->outside_j + 1e-9);
	assert_true(p->outside_hi_j >= p->outside_j - 1e-9);
}

static const char *const gpu01[2] = { "gpu0 X", "gpu1 X" };

/*
 * Two ranks of node a on one GPU, "gpu0 X" at 100 W, the package at 20 W;
 * rank 1 starts 0.5 s late.  The GPU ran over the union of their times,
 * 2.5 s: 250 J once, not the 2 x 200 J the traces hold (and the package
 * 50 J once): the node used 300 J.  Their GPU time never fills a second
 * together (0.3 + 0.2 s): each key takes 100 W x its GPU time, 60 and
 * 40 J; the rest, 300 - 100 = 200 J, is outside.
 */
static void test_node_gpu_two(void **state)
{
	static const double w[1] = { 100 }, b0[1] = { 0.3 }, b1[1] = { 0.2 };
	static const int dev[1] = { 0 };
	struct spec ss[2];
	struct opc_profile p;

	(void)state;
	gpu_spec(&ss[0], gpu01, w, 1, dev, b0, 1, 0);
	gpu_spec(&ss[1], gpu01, w, 1, dev, b1, 1, 0.5);
	assert_int_equal(load_specs(ss, 2, &p, 0), 0);
	NEAR(p.energy_j, 20 * 2.5 + 100 * 2.5);
	NEAR(p.nodes[0].energy_j, 300);
	NEAR(KEY_J(p.traces[0], 0), 100 * 2 * 0.3);
	NEAR(KEY_J(p.traces[1], 0), 100 * 2 * 0.2);
	NEAR(p.outside_j, 300 - 100);
	NEAR(p.nodes[0].outside_j, 200);
	NEAR(p.nodes[0].covered_s, 2.5);
	NEAR(p.nodes[0].gpu_j, 250);
	assert_int_equal(p.nodes[0].ngpu, 1);
	node_whole(&p);
	opc_profile_free(&p);
}

/*
 * Four ranks of node a at once, each seeing both GPUs (no
 * CUDA_VISIBLE_DEVICES: device n is gpu<n>): gpu0 at 100 W, gpu1 at
 * 60 W.  Ranks 0 and 2 run on gpu0, busy 0.6 and 0.8 s of each second:
 * 1.4 s of work in its second, which they share by GPU time, 100 x 0.6 /
 * 1.4 and 100 x 0.8 / 1.4 J a second, nothing of gpu0 outside.  Ranks 1
 * and 3 on gpu1, 0.25 and 0.5 s: 60 W x their GPU time, 30 and 60 J over
 * the two seconds, 30 J of gpu1 outside.  The node: 20 x 2 + (100 + 60)
 * x 2 = 360 J (the traces hold 4 x 360 J), outside 40 + 30 = 70 J.
 */
static void test_node_gpu_four(void **state)
{
	static const double w[2] = { 100, 60 }, b[4] = { 0.6, 0.25, 0.8, 0.5 };
	struct spec ss[4];
	struct opc_profile p;

	(void)state;
	for (int i = 0; i < 4; i++) {
		int dev = i % 2;

		gpu_spec(&ss[i], gpu01, w, 2, &dev, &b[i], 1, 0);
	}
	assert_int_equal(load_specs(ss, 4, &p, 0), 0);
	NEAR(p.energy_j, 360);
	NEAR(KEY_J(p.traces[0], 0), 200 * 0.6 / 1.4);
	NEAR(KEY_J(p.traces[2], 0), 200 * 0.8 / 1.4);
	NEAR(KEY_J(p.traces[1], 0), 120 * 0.25);
	NEAR(KEY_J(p.traces[3], 0), 120 * 0.5);
	NEAR(p.outside_j, 70);
	NEAR(p.nodes[0].outside_j, 70);
	NEAR(p.nodes[0].gpu_j, 320);
	assert_int_equal(p.nodes[0].ngpu, 2);
	node_whole(&p);
	opc_profile_free(&p);
}

/*
 * CUDA_VISIBLE_DEVICES differs per rank: rank A sees gpu1 only (its one
 * GPU domain "gpu1 X", its CUDA device 0), rank B both (device 0 is gpu0,
 * device 1 gpu1).  A's device-0 key (0.5 s a second) and B's device-1 key
 * (0.7 s) share gpu1's 60 W: 1.2 s of work a second, 60 x 0.5 / 1.2 and
 * 60 x 0.7 / 1.2 J a second; B's device-0 key (0.3 s) alone on gpu0's
 * 100 W, 60 J, and 140 J of gpu0 outside.  The node: 40 + 200 + 120 =
 * 360 J, outside 40 + 140 = 180 J.  (Matched by their place in the
 * traces, A's key would have shared gpu0 with B's device-0 key.)
 */
static void test_node_gpu_renumbered(void **state)
{
	static const char *const only1[1] = { "gpu1 X" };
	static const double w1[1] = { 60 }, w01[2] = { 100, 60 };
	static const double ba[1] = { 0.5 }, bb[2] = { 0.3, 0.7 };
	static const int deva[1] = { 0 }, devb[2] = { 0, 1 };
	struct spec ss[2];
	struct opc_profile p;

	(void)state;
	gpu_spec(&ss[0], only1, w1, 1, deva, ba, 1, 0);
	gpu_spec(&ss[1], gpu01, w01, 2, devb, bb, 2, 0);
	assert_int_equal(load_specs(ss, 2, &p, 0), 0);
	NEAR(p.energy_j, 360);
	NEAR(KEY_J(p.traces[0], 0), 120 * 0.5 / 1.2);
	NEAR(KEY_J(p.traces[1], 1), 120 * 0.7 / 1.2);
	NEAR(KEY_J(p.traces[1], 0), 200 * 0.3);
	NEAR(p.outside_j, 180);
	NEAR(p.nodes[0].gpu_j, 320);
	assert_int_equal(p.nodes[0].ngpu, 2);
	node_whole(&p);
	opc_profile_free(&p);
}

/*
 * GPUs of one name on two nodes are two GPUs: ranks on nodes a and b,
 * each on its "gpu0 X" at 100 W, busy 0.6 and 0.8 s a second, keep
 * 100 W x their GPU time (120 and 160 J: had they been merged, 1.4 s of
 * work a second, less); each node used 40 + 200 J.
 */
static void test_node_gpu_two_nodes(void **state)
{
	static const double w[1] = { 100 }, b[2] = { 0.6, 0.8 };
	static const int dev[1] = { 0 };
	struct spec ss[2];
	struct opc_profile p;

	(void)state;
	for (int i = 0; i < 2; i++)
		gpu_spec(&ss[i], gpu01, w, 1, dev, &b[i], 1, 0);
	ss[1].info[0] = "host=b";
	ss[1].info[1] = "boot_id=2222bbbb-0000";
	assert_int_equal(load_specs(ss, 2, &p, 0), 0);
	assert_int_equal(p.job.nnodes, 2);
	NEAR(KEY_J(p.traces[0], 0), 120);
	NEAR(KEY_J(p.traces[1], 0), 160);
	NEAR(p.nodes[0].energy_j, 240);
	NEAR(p.nodes[1].energy_j, 240);
	NEAR(p.nodes[0].gpu_j, 200);
	NEAR(p.nodes[1].gpu_j, 200);
	NEAR(p.energy_j, 480);
	node_whole(&p);
	opc_profile_free(&p);
}

/*
 * A trace without GPU keys beside one with some (the launcher beside a
 * rank), both reading the package (20 W) and gpu0 (100 W): the GPU's
 * energy is the rank's GPU keys' and outside, not the launcher's host
 * work's, which takes 20 W x its 0.5 s a second only (alone, with its
 * GPU in its one pool, it would take 120 W x its time).  The rank's key,
 * 0.4 s a second: 80 J.  The node: 240 J, outside 240 - 20 - 80.
 */
static void test_node_gpu_launcher(void **state)
{
	static const double w[1] = { 100 }, b[1] = { 0.4 };
	static const int dev[1] = { 0 };
	struct spec ss[2];
	struct opc_profile p;

	(void)state;
	gpu_spec(&ss[0], gpu01, w, 1, dev, b, 1, 0);
	gpu_spec(&ss[1], gpu01, w, 1, dev, b, 1, 0);
	ss[1].keys[0].flags = 0;	/* host work */
	ss[1].iv[0].e[0].busy_ns = ss[1].iv[1].e[0].busy_ns = S(0.5);
	assert_int_equal(load_specs(ss, 2, &p, 0), 0);
	NEAR(KEY_J(p.traces[0], 0), 80);
	NEAR(KEY_J(p.traces[1], 0), 20);
	NEAR(p.energy_j, 240);
	NEAR(p.outside_j, 140);
	NEAR(p.nodes[0].gpu_j, 200);
	node_whole(&p);
	opc_profile_free(&p);
}

/* Four ranks of job 77 (world size 4) on node a, pids 100.. */
static void job_specs(struct spec *ss, int n)
{
	static const char *ranks[4] = { "rank=0", "rank=1", "rank=2", "rank=3" };

	for (int i = 0; i < n; i++) {
		node_spec(&ss[i], 0.25, 40, 0);
		ss[i].info[0] = "host=a";
		ss[i].info[1] = "boot_id=1111aaaa-0000";
		ss[i].info[2] = ranks[i];
		ss[i].info[3] = "world_size=4";
		ss[i].info[4] = "job=77";
		ss[i].pid = 100 + i;
	}
}

/*
 * What is one job: traces of two jobs are refused unless allowed; a
 * rank missing or truncated is counted; one rank from two unrelated
 * processes, or ranks an hour apart, are refused; a rank's child (its
 * parent among the rank's traces) is the rank.
 */
static void test_job_checks(void **state)
{
	struct spec ss[4];
	struct opc_profile p;

	(void)state;
	job_specs(ss, 2);
	ss[1].info[4] = "job=78";
	assert_int_equal(load_specs(ss, 2, &p, 0), -1);
	opc_profile_free(&p);
	assert_int_equal(load_specs(ss, 2, &p, OPC_LOAD_ALLOW_MIXED), 0);
	assert_int_equal(p.job.mixed, 1);
	assert_null(p.job.id);
	opc_profile_free(&p);
	/* a rank and a trace of no job: the launcher's, at the same time */
	job_specs(ss, 2);
	ss[1].info[2] = NULL;
	assert_int_equal(load_specs(ss, 2, &p, 0), 0);
	assert_string_equal(p.job.id, "77");
	assert_int_equal(p.job.nranks, 1);
	assert_int_equal(p.job.tr[1].rank, -1);
	opc_profile_free(&p);
	/* ... or of another time: another run */
	ss[1].start = T0 + S(3600);
	assert_int_equal(load_specs(ss, 2, &p, 0), -1);
	opc_profile_free(&p);

	/* ranks 0, 1 and 3: 2 is missing; 3 was killed (no END) */
	job_specs(ss, 4);
	ss[2] = ss[3];
	ss[2].no_end = 1;
	assert_int_equal(load_specs(ss, 3, &p, 0), 0);
	assert_int_equal(p.job.nranks, 3);
	assert_int_equal(p.job.nmissing, 1);
	assert_int_equal(p.job.missing[0], 2);
	assert_int_equal(p.job.ntruncated, 1);
	assert_int_equal(p.job.truncated[0], 2);
	assert_true(opc_ranks_incomplete(&p.job));
	opc_profile_free(&p);

	/* rank 0 twice, pids 100 and 101, neither the other's child */
	job_specs(ss, 2);
	ss[1].info[2] = "rank=0";
	assert_int_equal(load_specs(ss, 2, &p, 0), -1);
	opc_profile_free(&p);
	/* ... but a child of 100 is rank 0's */
	ss[1].ppid = 100;
	assert_int_equal(load_specs(ss, 2, &p, 0), 0);
	assert_int_equal(p.job.nranks, 1);
	assert_int_equal(p.job.nmissing, 3);
	opc_profile_free(&p);

	/* rank 1 an hour after rank 0 ended */
	job_specs(ss, 2);
	ss[1].start = T0 + S(3600);
	assert_int_equal(load_specs(ss, 2, &p, 0), -1);
	opc_profile_free(&p);
	/* world sizes that differ */
	job_specs(ss, 2);
	ss[1].info[3] = "world_size=2";
	assert_int_equal(load_specs(ss, 2, &p, 0), -1);
	opc_profile_free(&p);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char path[300];

	(void)state;
	for (int i = 0; i < ntraces; i++) {
		snprintf(path, sizeof(path), "%s/t%d.opc", tmpdir, i);
		unlink(path);
	}
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_proportional),
		cmocka_unit_test(test_threads_share),
		cmocka_unit_test(test_baseline_record),
		cmocka_unit_test(test_region_own_time),
		cmocka_unit_test(test_spill_back),
		cmocka_unit_test(test_spill_back_chain),
		cmocka_unit_test(test_straddle_and_nested),
		cmocka_unit_test(test_bounds_clamped),
		cmocka_unit_test(test_gpu_pools),
		cmocka_unit_test(test_gpu_one_engine),
		cmocka_unit_test(test_one_pool_without_gpu_keys),
		cmocka_unit_test(test_stack_samples),
		cmocka_unit_test(test_no_energy),
		cmocka_unit_test(test_idle_baseline),
		cmocka_unit_test(test_node_four_ranks),
		cmocka_unit_test(test_node_oversubscribed),
		cmocka_unit_test(test_two_nodes),
		cmocka_unit_test(test_node_apart_and_unknown),
		cmocka_unit_test(test_node_prorated),
		cmocka_unit_test(test_node_gpu_two),
		cmocka_unit_test(test_node_gpu_four),
		cmocka_unit_test(test_node_gpu_renumbered),
		cmocka_unit_test(test_node_gpu_two_nodes),
		cmocka_unit_test(test_node_gpu_launcher),
		cmocka_unit_test(test_job_checks),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
