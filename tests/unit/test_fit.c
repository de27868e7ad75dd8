/*
 * test_fit.c - `opcount fit`: NNLS, and planted coefficients recovered
 * from synthetic traces.
 *
 * The synthetic traces are written with the library's own trace writer
 * (as tests/unit/test_trace.c does) and read back with opc_trace_read, so
 * the fit sees exactly what it sees from the preload library.  Each run
 * has four types (layer types "Linear" and "Conv2d", routine family
 * "gemm" outside any layer, and communication, "comm": an MPI_Allreduce
 * key with bytes and no FLOPs, made inside the Linear layer, whose type
 * it must not take), each with a high and a low arithmetic
 * intensity key so that per-FLOP and per-byte costs can be told apart, a
 * tiny key with many calls (the per-call overhead), idle intervals and
 * intervals of varying length (static power), and a nested key with huge
 * counts that the fit must leave out.  Energy per interval is planted:
 *
 *   E = sum_t (pf_t * FLOPs_t + pb_t * bytes_t) + pc * calls + ps * seconds
 *
 * times (1 + noise * N(0,1)), and busy time likewise from time
 * coefficients, without noise.  Runs mix the types in different
 * proportions, as different models would.
 *
 * `test_fit --write-synth DIR [--runs N] [--noise X] [--intervals N]
 * [--seed S] [--no-energy] [--estimate] [--same-cmdline]` writes such
 * traces (DIR/run-<i>.opc) and the planted coefficients (DIR/truth.json)
 * for tests/integration/fit*.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>

#include "fit.h"
#include "nnls.h"
#include "picture.h"
#include "plot.h"
#include "routines.h"
#include "trace.h"

static char tmpdir[256];

/* ---- planted truth ---------------------------------------------------------- */

enum { TY_LINEAR, TY_CONV, TY_GEMM, TY_COMM, NTY };
static const char *const ty_name[NTY] = { "Linear", "Conv2d", "gemm", "comm" };

/* energy: J/FLOP, J/byte, J/call, W */
/* communication: no FLOPs, so no per-FLOP cost to find (0 planted, and 0
 * fitted: its FLOPs column is all zeros) */
static const double pf[NTY] = { 4e-10, 5e-10, 4e-10, 0 };
static const double pb[NTY] = { 6e-10, 1.2e-9, 5e-10, 3e-9 };
static const double pc = 8e-5, ps = 5.0;
/* time: s/FLOP, s/byte, s/call */
static const double tf[NTY] = { 1e-10, 2e-10, 5e-11, 0 };
static const double tb[NTY] = { 5e-11, 1e-10, 2e-11, 4e-10 };
static const double tc = 1e-6;

struct skey {
	const char *op, *family;
	int layer;		/* 0 none, 1 fc1 (Linear), 2 conv1 (Conv2d) */
	int type;		/* its type, -1 for the nested key */
	uint64_t flops, bytes;	/* per call */
	int maxcalls;		/* per interval, before the run's mix */
	int nested;
};

static const struct skey skeys[] = {
	{ "dgemm", "gemm", 1, TY_LINEAR, 33554432, 1572864, 20, 0 },	/* 256^3 */
	{ "dgemv", "gemv", 1, TY_LINEAR, 2000000, 8016000, 40, 0 },	/* 1000x1000 */
	{ "ddot", "dot", 1, TY_LINEAR, 2, 16, 3000, 0 },		/* calls */
	{ "dgemm", "gemm", 2, TY_CONV, 8388608, 524288, 60, 0 },
	{ "dgemm", "gemm", 2, TY_CONV, 262144, 1048576, 200, 0 },
	{ "dgemm", "gemm", 0, TY_GEMM, 33554432, 1572864, 20, 0 },
	{ "dgemm", "gemm", 0, TY_GEMM, 2097152, 8404992, 60, 0 },	/* k = 1 */
	{ "dgemm", "gemm", 2, -1, 1000000000, 100000000, 10, 1 },	/* inside a LAPACK call */
	/* MPI_Allreduce n=800000 p=4 (ring: 2 x 1.2 MB), in fc1 */
	{ "MPI_Allreduce", "comm", 1, TY_COMM, 0, 2400000, 8, 0 },
	{ "MPI_Allreduce", "comm", 0, TY_COMM, 0, 24000, 100, 0 },	/* n=8000 */
};
#define NSKEYS (sizeof(skeys) / sizeof(skeys[0]))

struct synth {
	int runs, intervals;
	double noise;		/* relative sd of each interval's energy */
	unsigned long seed;
	int energy;		/* write energy samples */
	int estimate;		/* source "estimate", not measured */
	int same_cmdline;	/* every run the same command line */
	int only_type;		/* >= 0: the last run alone has this type */
	int archs;		/* > 0: run r is architecture r % archs (a top
				 * layer "arch-<r % archs>" of its own) */
};

static void synth_default(struct synth *s)
{
	*s = (struct synth){ .runs = 6, .intervals = 1000, .noise = 0, .seed = 1, .energy = 1,
			     .only_type = -1 };
}

/* how much of each type run r has: different models */
static double mix(int r, int t)
{
	static const double m[][NTY] = {
		{ 1.0, 0.2, 0.5, 0.3 }, { 0.3, 1.0, 0.2, 1.0 }, { 0.6, 0.6, 1.0, 0.1 },
		{ 1.2, 0.1, 0.1, 0.7 }, { 0.1, 1.3, 0.6, 0.4 }, { 0.8, 0.4, 0.3, 1.2 },
		{ 0.2, 0.2, 1.4, 0.6 }, { 1.0, 1.0, 1.0, 1.0 },
	};

	return m[r % 8][t];
}

/* ---- a trace writer that reports instead of asserting (also for --write-synth) */

struct sw {
	struct opc_writer w;
	int fail;
	const char *strs[64];
	uint32_t nstrs;
};

static void *sw_begin(struct sw *s, uint32_t type, const void *fixed, size_t len)
{
	void *p = opc_writer_begin(&s->w, type, len);

	if (p == NULL) {
		s->fail = 1;
		return NULL;
	}
	if (len)
		memcpy(p, fixed, len);	/* never dereferenced: may be misaligned */
	return p;
}

static void sw_append(struct sw *s, const void *p, size_t n)
{
	if (opc_writer_append(&s->w, p, n))
		s->fail = 1;
}

static void sw_varint(struct sw *s, uint64_t v)
{
	if (opc_writer_varint(&s->w, v))
		s->fail = 1;
}

static uint32_t sw_string(struct sw *s, const char *str)
{
	struct opc_rec_string r;

	for (uint32_t i = 1; i <= s->nstrs; i++)
		if (!strcmp(s->strs[i - 1], str))
			return i;
	s->strs[s->nstrs++] = str;
	r.id = s->nstrs;
	if (sw_begin(s, OPC_REC_STRING, &r, sizeof(r))) {
		sw_append(s, str, strlen(str) + 1);
		opc_writer_end(&s->w);
	}
	return r.id;
}

static void sw_info(struct sw *s, const char *const *kv)
{
	if (!sw_begin(s, OPC_REC_INFO, NULL, 0))
		return;
	for (; *kv; kv++)
		sw_append(s, *kv, strlen(*kv) + 1);
	opc_writer_end(&s->w);
}

struct planted {
	double energy, busy;	/* the run's totals */
	double type_flops[NTY];
	double type_busy[NTY];	/* s, from the time coefficients */
};

/*
 * One run.  intervals <= 0 writes a run with a single sampled interval.
 * Returns 0 or -1.
 */
static int synth_write(const char *path, const struct synth *sy, int run, gsl_rng *rng,
		       struct planted *pl)
{
	struct opc_file_header h;
	struct sw s;
	char cmd[128];
	uint64_t t = 0;
	double etotal = 0;
	int fd, nint = sy->intervals;

	memset(&s, 0, sizeof(s));
	memset(pl, 0, sizeof(*pl));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, OPC_TRACE_MAGIC, 8);
	h.version = OPC_TRACE_VERSION;
	h.min_version = OPC_TRACE_MIN_VERSION;
	h.header_size = sizeof(h);
	h.byte_order = OPC_BYTE_ORDER_MARK;
	h.frame_header_size = sizeof(struct opc_frame);
	/* one hour apart: runs never overlap in time */
	h.start_realtime_ns = 1700000000000000000ull + run * 3600000000000ull;
	h.pid = 1000 + run;
	h.ppid = 1;
	h.interval_ns = 10000000;
	if (opc_writer_open(&s.w, fd, &h) < 0) {
		close(fd);
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "cmdline=synth --model %d", sy->same_cmdline ? 0 : run);
	const char *info[] = { "opcount_version=0.1.0", "exe=/synthetic/synth", cmd,
			       "host=synth-host", "cpu=Synthetic CPU 9000", "ncpu=4",
			       "blas=/synthetic/libblas.so", "blas_threads=1", NULL };
	sw_info(&s, info);

	uint32_t l1name = sw_string(&s, "fc1"), l1type = sw_string(&s, "Linear");
	uint32_t l2name = sw_string(&s, "conv1"), l2type = sw_string(&s, "Conv2d");
	struct opc_rec_layer l1 = { 1, 0, l1name, l1type }, l2 = { 2, 0, l2name, l2type };

	if (sw_begin(&s, OPC_REC_LAYER, &l1, sizeof(l1)))
		opc_writer_end(&s.w);
	if (sw_begin(&s, OPC_REC_LAYER, &l2, sizeof(l2)))
		opc_writer_end(&s.w);
	if (sy->archs > 0) {
		static char aname[32];

		snprintf(aname, sizeof(aname), "arch-%d", run % sy->archs);
		struct opc_rec_layer l3 = { 3, 0, sw_string(&s, aname), sw_string(&s, "Model") };

		if (sw_begin(&s, OPC_REC_LAYER, &l3, sizeof(l3)))
			opc_writer_end(&s.w);
	}

	for (size_t k = 0; k < NSKEYS; k++) {
		char sym[32];

		snprintf(sym, sizeof(sym), "%s%s", skeys[k].type == TY_COMM ? "" : "cblas_",
			 skeys[k].op);
		/* the strings outlive the writer only as far as sw_string
		 * compares them: intern the symbol by a static copy */
		static char syms[NSKEYS][32];

		memcpy(syms[k], sym, sizeof(sym));
		struct opc_rec_key key = {
			.id = k + 1, .symbol = sw_string(&s, syms[k]), .op = sw_string(&s, skeys[k].op),
			.family = sw_string(&s, skeys[k].family), .dims = sw_string(&s, "m,n,k"),
			.flag_names = sw_string(&s, ""), .layer = skeys[k].layer,
			.flags = skeys[k].nested ? OPC_TKEY_NESTED : 0, .level = 3, .prec = 'd',
			.iface = skeys[k].type == TY_COMM ? OPC_IF_MPI : OPC_IF_CBLAS,
			.site = 0x401000 + 16 * k, .flops = skeys[k].flops,
			.bytes = skeys[k].bytes, .tid = 1,
		};

		if (sw_begin(&s, OPC_REC_KEY, &key, sizeof(key)))
			opc_writer_end(&s.w);
	}
	if (sy->energy) {
		struct opc_rec_energy_info ei = { .resolution_j = 1e-6, .ndomains = 1,
						  .measured = !sy->estimate };
		struct opc_rec_energy_domain dom = { .kind = 1, .counted = 1 };
		const char *note = sy->estimate ? "synthetic estimate" : "";

		snprintf(ei.source, sizeof(ei.source), "%s", sy->estimate ? "estimate" : "rapl");
		snprintf(dom.name, sizeof(dom.name), "%s", sy->estimate ? "estimate" : "package-0");
		if (sw_begin(&s, OPC_REC_ENERGY_INFO, &ei, sizeof(ei))) {
			sw_append(&s, &dom, sizeof(dom));
			sw_append(&s, note, strlen(note) + 1);
			opc_writer_end(&s.w);
		}
	}
	if (nint <= 0)
		nint = 1;
	for (int i = 0; i < nint; i++) {
		uint64_t dt = 8000000 + gsl_rng_uniform_int(rng, 4000001);	/* 8-12 ms */
		int idle = sy->intervals > 0 && gsl_rng_uniform(rng) < 0.1;
		uint64_t calls[NSKEYS] = { 0 };
		double e = ps * dt / 1e9, busy = 0;
		uint32_t count = 0;

		for (size_t k = 0; k < NSKEYS && !idle; k++) {
			int ty = skeys[k].type;
			double mx = ty >= 0 ? mix(run, ty) : 1;

			if (ty >= 0 && sy->only_type == ty && run != sy->runs - 1)
				mx = 0;
			calls[k] = gsl_rng_uniform_int(rng, (unsigned long)(skeys[k].maxcalls * mx) + 1);
			count += calls[k] > 0;
			if (ty < 0 || calls[k] == 0)
				continue;
			e += calls[k] * (pf[ty] * skeys[k].flops + pb[ty] * skeys[k].bytes + pc);
			pl->type_flops[ty] += (double)calls[k] * skeys[k].flops;
		}
		if (sy->noise > 0) {
			double z = gsl_ran_gaussian(rng, 1.0);

			z = z > 3 ? 3 : z < -3 ? -3 : z;
			e *= 1 + sy->noise * z;
		}
		if (count) {
			struct opc_rec_interval iv = { .t_begin_ns = t, .t_end_ns = t + dt,
						       .count = count };

			if (sw_begin(&s, OPC_REC_INTERVAL, &iv, sizeof(iv))) {
				for (size_t k = 0; k < NSKEYS; k++) {
					int ty = skeys[k].type;
					uint64_t ns;

					if (calls[k] == 0)
						continue;
					/* busy time from the time coefficients; the
					 * nested key's is inside its outer call's */
					ns = ty < 0 ? calls[k] * 1000 :
					     (uint64_t)llround(1e9 * calls[k] *
						(tf[ty] * skeys[k].flops + tb[ty] * skeys[k].bytes + tc));
					if (ty >= 0) {
						busy += ns / 1e9;
						pl->type_busy[ty] += ns / 1e9;
					}
					sw_varint(&s, k + 1);
					sw_varint(&s, calls[k]);
					sw_varint(&s, calls[k]);	/* every call timed */
					sw_varint(&s, ns);
					sw_varint(&s, calls[k] * skeys[k].flops);
					sw_varint(&s, calls[k] * skeys[k].bytes);
				}
				opc_writer_end(&s.w);
			}
		}
		t += dt;
		etotal += e;
		pl->energy += e;
		pl->busy += busy;
		if (sy->energy) {
			struct opc_rec_energy es = { .t_ns = t, .n = 1 };

			if (sw_begin(&s, OPC_REC_ENERGY, &es, sizeof(es))) {
				sw_append(&s, &etotal, sizeof(etotal));
				opc_writer_end(&s.w);
			}
		}
	}
	struct opc_rec_end end = { .t_ns = t, .threads = 1 };

	if (sw_begin(&s, OPC_REC_END, &end, sizeof(end)))
		opc_writer_end(&s.w);
	if (opc_writer_flush(&s.w) < 0)
		s.fail = 1;
	opc_writer_release(&s.w);
	if (close(fd) < 0)
		s.fail = 1;
	return s.fail ? -1 : 0;
}

/* Write the runs into dir as run-<i>.opc; paths[] receives their names. */
static int synth_runs(const char *dir, const struct synth *sy, char paths[][512],
		      struct planted *pl)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	int ret = 0;

	gsl_rng_set(rng, sy->seed);
	for (int r = 0; r < sy->runs && ret == 0; r++) {
		snprintf(paths[r], 512, "%s/run-%d.opc", dir, r);
		ret = synth_write(paths[r], sy, r, rng, &pl[r]);
	}
	gsl_rng_free(rng);
	return ret;
}

/* ---- helpers ----------------------------------------------------------------- */

#define MAXRUNS 8

struct fixture {
	char paths[MAXRUNS][512];
	struct planted pl[MAXRUNS];
	struct opc_trace tr[MAXRUNS];
	int n;
	struct opc_fit_data d;
	struct opc_fit_result r;
};

static void load(struct fixture *f, const struct synth *sy)
{
	char err[1024];

	memset(f, 0, sizeof(*f));
	f->n = sy->runs;
	assert_int_equal(synth_runs(tmpdir, sy, f->paths, f->pl), 0);
	for (int i = 0; i < f->n; i++) {
		int ret = opc_trace_read(f->paths[i], &f->tr[i], err, sizeof(err));

		if (ret < 0)
			fail_msg("%s", err);
		assert_string_equal(err, "");
	}
}

static int build(struct fixture *f, enum opc_fit_target target, char *err, size_t len)
{
	return opc_fit_build(&f->d, f->tr, f->n, target, OPC_GROUP_CMDLINE, err, len);
}

static void fit(struct fixture *f, enum opc_fit_target target)
{
	char err[1024];

	if (build(f, target, err, sizeof(err)) < 0)
		fail_msg("build: %s", err);
	assert_int_equal(opc_fit_all(&f->d, &f->r), 0);
}

static void unload(struct fixture *f)
{
	opc_fit_result_free(&f->r);
	opc_fit_data_free(&f->d);
	for (int i = 0; i < f->n; i++) {
		opc_trace_free(&f->tr[i]);
		unlink(f->paths[i]);
	}
}

static int type_index(const struct opc_fit_data *d, const char *name)
{
	for (size_t t = 0; t < d->ntypes; t++)
		if (!strcmp(d->types[t].name, name))
			return (int)t;
	fail_msg("type %s not found", name);
	return -1;
}

static void assert_rel(double got, double want, double tol, const char *what)
{
	double rel = want == 0 ? (got == 0 ? 0 : INFINITY) : fabs(got - want) / fabs(want);

	if (!(rel <= tol))
		fail_msg("%s: %.6g, planted %.6g (%.3g%% off, tolerance %.3g%%)", what, got, want,
			 100 * rel, 100 * tol);
}

/* model (c) against the planted coefficients */
static void check_planted(const struct fixture *f, enum opc_fit_target target, double tol)
{
	const struct opc_fit_model *m = &f->r.m[2];
	int energy = target == OPC_FIT_ENERGY;
	char what[64];

	assert_int_equal(f->d.ntypes, NTY);
	for (int t = 0; t < NTY; t++) {
		int i = type_index(&f->d, ty_name[t]);

		snprintf(what, sizeof(what), "%s per FLOP", ty_name[t]);
		assert_rel(m->type_flop[i], energy ? pf[t] : tf[t], tol, what);
		snprintf(what, sizeof(what), "%s per byte", ty_name[t]);
		assert_rel(m->type_byte[i], energy ? pb[t] : tb[t], tol, what);
	}
	assert_rel(m->per_call, energy ? pc : tc, tol, "per call");
	if (energy)
		assert_rel(m->static_w, ps, tol, "static power");
	else
		assert_true(m->static_w == 0);
}

/* ---- NNLS ------------------------------------------------------------------- */

static gsl_matrix *mat(size_t m, size_t n, const double *v)
{
	gsl_matrix *A = gsl_matrix_alloc(m, n);

	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < n; j++)
			gsl_matrix_set(A, i, j, v[i * n + j]);
	return A;
}

static gsl_vector *vec(size_t n, const double *v)
{
	gsl_vector *b = gsl_vector_alloc(n);

	for (size_t i = 0; i < n; i++)
		gsl_vector_set(b, i, v[i]);
	return b;
}

/*
 * Intercept and slope through (1, 3), (2, 2), (3, 0.5): least squares has
 * a negative slope (-1.25); with both >= 0 the slope is 0 and the
 * intercept the mean, 11/6 (the gradient of the slope is then -2.5 < 0:
 * the KKT conditions hold).
 */
static void test_nnls_negative_slope(void **state)
{
	const double a[] = { 1, 1, 1, 2, 1, 3 }, y[] = { 3, 2, 0.5 };
	gsl_matrix *A = mat(3, 2, a), *cov = gsl_matrix_alloc(2, 2);
	gsl_vector *b = vec(3, y), *x = gsl_vector_alloc(2), *c = gsl_vector_alloc(2);
	gsl_multifit_linear_workspace *w = gsl_multifit_linear_alloc(3, 2);
	double chisq, rnorm;

	(void)state;
	assert_int_equal(gsl_multifit_linear(A, b, c, cov, &chisq, w), 0);
	assert_true(gsl_vector_get(c, 1) < -1.2);	/* unconstrained: negative */
	assert_int_equal(opc_nnls(A, b, x, &rnorm), 0);
	assert_true(fabs(gsl_vector_get(x, 0) - 11.0 / 6) < 1e-12);
	assert_true(gsl_vector_get(x, 1) == 0);
	/* residual of (11/6, 0): (7/6, 1/6, -4/3) */
	assert_true(fabs(rnorm - sqrt(49.0 / 36 + 1.0 / 36 + 16.0 / 9)) < 1e-12);
	gsl_multifit_linear_free(w);
	gsl_matrix_free(A);
	gsl_matrix_free(cov);
	gsl_vector_free(b);
	gsl_vector_free(x);
	gsl_vector_free(c);
}

/* A positive solution is the unconstrained one, whatever the column scales
 * (1e-10 next to 1e2: J/FLOP next to watts). */
static void test_nnls_positive_is_least_squares(void **state)
{
	const double a[] = { 1e9, 3e7, 0.01, 2e9, 1e7, 0.012, 5e8, 4e7, 0.009, 3e9, 2e7, 0.011,
			     1e9, 1e7, 0.008 };
	const double coef[] = { 2e-10, 5e-9, 12 };
	double y[5];
	gsl_matrix *A = mat(5, 3, a);
	gsl_vector *b, *x = gsl_vector_alloc(3);

	(void)state;
	for (int i = 0; i < 5; i++)
		y[i] = a[3 * i] * coef[0] + a[3 * i + 1] * coef[1] + a[3 * i + 2] * coef[2];
	b = vec(5, y);
	assert_int_equal(opc_nnls(A, b, x, NULL), 0);
	for (int j = 0; j < 3; j++)
		assert_rel(gsl_vector_get(x, j), coef[j], 1e-9, "coefficient");
	gsl_matrix_free(A);
	gsl_vector_free(b);
	gsl_vector_free(x);
}

/* Karush-Kuhn-Tucker conditions on random problems, some with negative
 * unconstrained solutions, a zero column and fewer rows than columns. */
static void test_nnls_kkt(void **state)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);

	(void)state;
	gsl_rng_set(rng, 7);
	for (int trial = 0; trial < 200; trial++) {
		size_t m = 2 + gsl_rng_uniform_int(rng, 12), n = 1 + gsl_rng_uniform_int(rng, 8);
		gsl_matrix *A = gsl_matrix_alloc(m, n);
		gsl_vector *b = gsl_vector_alloc(m), *x = gsl_vector_alloc(n);
		gsl_vector *r = gsl_vector_alloc(m), *w = gsl_vector_alloc(n);
		size_t zero = trial % 5 == 0 ? gsl_rng_uniform_int(rng, n) : n;
		double bn;

		for (size_t i = 0; i < m; i++) {
			for (size_t j = 0; j < n; j++)
				gsl_matrix_set(A, i, j, j == zero ? 0 : gsl_ran_gaussian(rng, 1));
			gsl_vector_set(b, i, gsl_ran_gaussian(rng, 1));
		}
		assert_int_equal(opc_nnls(A, b, x, NULL), 0);
		gsl_vector_memcpy(r, b);
		gsl_blas_dgemv(CblasNoTrans, -1, A, x, 1, r);
		gsl_blas_dgemv(CblasTrans, 1, A, r, 0, w);
		bn = gsl_blas_dnrm2(b);
		for (size_t j = 0; j < n; j++) {
			double xj = gsl_vector_get(x, j), wj = gsl_vector_get(w, j);

			assert_true(xj >= 0);
			if (j == zero)
				assert_true(xj == 0);
			/* no coefficient could lower the residual by growing */
			if (!(wj < 1e-9 * (1 + bn)))
				fail_msg("trial %d (%zux%zu): gradient %g > 0 at x%zu = %g", trial, m,
					 n, wj, j, xj);
			/* and a positive one is at its optimum */
			if (xj > 0 && !(fabs(wj) < 1e-9 * (1 + bn)))
				fail_msg("trial %d: x%zu = %g > 0 with gradient %g", trial, j, xj, wj);
		}
		gsl_matrix_free(A);
		gsl_vector_free(b);
		gsl_vector_free(x);
		gsl_vector_free(r);
		gsl_vector_free(w);
	}
	gsl_rng_free(rng);
}

static void test_nnls_bad_input(void **state)
{
	const double a[] = { 1, NAN }, y[] = { 1, 2 };
	gsl_matrix *A = mat(2, 1, a);
	gsl_vector *b = vec(2, y), *x = gsl_vector_alloc(1), *x2 = gsl_vector_alloc(2);

	(void)state;
	assert_int_equal(opc_nnls(A, b, x, NULL), -EINVAL);
	gsl_matrix_set(A, 1, 0, 1);
	assert_int_equal(opc_nnls(A, b, x2, NULL), -EINVAL);	/* sizes */
	gsl_vector_set_zero(b);
	assert_int_equal(opc_nnls(A, b, x, NULL), 0);	/* b = 0: x = 0 */
	assert_true(gsl_vector_get(x, 0) == 0);
	gsl_matrix_free(A);
	gsl_vector_free(b);
	gsl_vector_free(x);
	gsl_vector_free(x2);
}

/* ---- planted coefficients ----------------------------------------------------- */

static void test_recover_exact(void **state)
{
	struct fixture f;
	struct synth sy;

	(void)state;
	synth_default(&sy);
	load(&f, &sy);
	fit(&f, OPC_FIT_ENERGY);
	check_planted(&f, OPC_FIT_ENERGY, 1e-6);
	assert_true(f.r.m[2].fit_r2 > 1 - 1e-9);
	/* every run's total, in sample and held out */
	for (int i = 0; i < f.n; i++) {
		assert_rel(f.d.runs[i].measured, f.pl[i].energy, 1e-9, "measured energy");
		assert_rel(f.d.runs[i].fitted[2], f.pl[i].energy, 1e-6, "fitted energy");
		assert_rel(f.d.runs[i].predicted[2], f.pl[i].energy, 1e-6, "held-out energy");
	}
	assert_true(f.r.cv);
	assert_true(f.r.m[2].cv_mape < 1e-4);
	assert_true(f.r.m[2].cv_spearman > 0.999);
	/* types cost differently per FLOP: FLOPs alone predicts worse */
	assert_true(f.r.m[0].cv_mape > 10 * f.r.m[2].cv_mape);
	assert_int_equal(f.r.best, 2);
	assert_non_null(strstr(f.r.verdict, "better"));
	unload(&f);
}

static void test_recover_noise(void **state)
{
	struct synth sy;

	(void)state;
	synth_default(&sy);
	sy.noise = 0.05;
	/*
	 * Several seeds: the tolerance must hold for the method, not for one
	 * lucky draw.  Over seeds 1-40 the worst coefficient was 2.9% off
	 * (6 runs x 1000 intervals; each term of the energy a similar share).
	 */
	for (unsigned long seed = 1; seed <= 4; seed++) {
		struct fixture f;

		sy.seed = seed;
		load(&f, &sy);
		fit(&f, OPC_FIT_ENERGY);
		check_planted(&f, OPC_FIT_ENERGY, 0.05);
		assert_true(f.r.cv);
		assert_true(f.r.m[2].cv_mape < 2);
		assert_true(f.r.m[0].cv_mape > 2 * f.r.m[2].cv_mape);
		unload(&f);
	}
}

/* The held-out run is predicted from the others' coefficients alone: its
 * own intervals are not in the fit. */
static void test_leave_one_out(void **state)
{
	struct synth sy;
	struct fixture f;
	struct opc_fit_model fold;

	(void)state;
	synth_default(&sy);
	sy.noise = 0.05;
	sy.seed = 11;
	load(&f, &sy);
	fit(&f, OPC_FIT_ENERGY);
	/* refit without run 3 by hand: the same prediction as the CV's */
	assert_int_equal(opc_fit_model(&f.d, 2, (ssize_t)f.d.runs[3].group, &fold), 0);
	assert_rel(opc_fit_eval(&f.d, &fold, f.d.runs[3].x), f.d.runs[3].predicted[2], 1e-12,
		   "held-out prediction");
	opc_fit_model_free(&fold);
	/* within 2% of the measured (noisy) total: 1000 intervals average
	 * out most of the 5% noise of each */
	for (int i = 0; i < f.n; i++)
		assert_rel(f.d.runs[i].predicted[2], f.d.runs[i].measured, 0.02, "held-out run");
	unload(&f);
}

/* Cross-validation groups by command line: repeated recordings of one
 * model count as one. */
static void test_groups(void **state)
{
	struct synth sy;
	struct fixture f;

	(void)state;
	synth_default(&sy);
	sy.runs = 4;
	sy.same_cmdline = 1;
	load(&f, &sy);
	fit(&f, OPC_FIT_ENERGY);
	assert_int_equal(f.d.nruns, 4);
	assert_int_equal(f.d.ngroups, 1);
	assert_false(f.r.cv);
	assert_non_null(strstr(f.r.verdict, "at least 3"));
	assert_true(isnan(f.d.runs[0].predicted[2]));
	check_planted(&f, OPC_FIT_ENERGY, 1e-6);	/* still fitted on everything */
	opc_fit_result_free(&f.r);
	opc_fit_data_free(&f.d);
	{
		char err[256];

		assert_int_equal(opc_fit_build(&f.d, f.tr, f.n, OPC_FIT_ENERGY, OPC_GROUP_FILE,
					       err, sizeof(err)), 0);
		assert_int_equal(f.d.ngroups, 4);
		assert_int_equal(opc_fit_all(&f.d, &f.r), 0);
		assert_true(f.r.cv);
	}
	unload(&f);
}

static void test_time_target(void **state)
{
	struct synth sy;
	struct fixture f;

	(void)state;
	synth_default(&sy);
	sy.energy = 0;	/* time needs no energy */
	load(&f, &sy);
	fit(&f, OPC_FIT_TIME);
	assert_string_equal(opc_fit_unit(&f.d), "s");
	/* busy times are whole nanoseconds: 1e-6 relative is plenty */
	check_planted(&f, OPC_FIT_TIME, 1e-5);
	for (int i = 0; i < f.n; i++)
		assert_rel(f.d.runs[i].measured, f.pl[i].busy, 1e-9, "busy time");
	assert_true(f.r.cv);
	unload(&f);
}

/* A type only one run has cannot be learnt when that run is left out. */
static void test_unseen_type(void **state)
{
	struct synth sy;
	struct fixture f;
	const struct opc_fit_run *last;

	(void)state;
	synth_default(&sy);
	sy.only_type = TY_CONV;
	load(&f, &sy);
	fit(&f, OPC_FIT_ENERGY);
	last = &f.d.runs[f.n - 1];
	assert_int_equal(last->nunseen, 1);
	assert_string_equal(last->unseen[0], "Conv2d");
	assert_int_equal(f.d.runs[0].nunseen, 0);
	/* its held-out prediction leaves the Conv2d energy out */
	assert_true(last->predicted[2] < last->measured);
	unload(&f);
}

static double median_of(double *v, int n)
{
	for (int i = 1; i < n; i++)	/* insertion sort: a handful */
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double x = v[j];

			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * --group arch: 6 runs of 3 architectures (2 each), time target, no noise.
 * Model (c) recovers the planted coefficients from any 2 architectures, so
 * its held-out errors are 0; model (a)'s are computed here from the
 * planted busy times and a weighted least-squares slope through the origin
 * of the other architectures' rows (NNLS with one coefficient), each row
 * weighted by sqrt(its run's rows / its architecture's runs) / its run's
 * busy time (fit.c, run_weight).
 */
static void test_group_arch(void **state)
{
	struct synth sy;
	struct fixture f;
	const struct opc_fit_heldout *h;
	double slope[MAXRUNS], archerr[3];
	char err[256];

	(void)state;
	synth_default(&sy);
	sy.energy = 0;
	sy.archs = 3;
	load(&f, &sy);
	assert_int_equal(opc_fit_build(&f.d, f.tr, f.n, OPC_FIT_TIME, OPC_GROUP_ARCH, err,
				       sizeof(err)), 0);
	assert_int_equal(opc_fit_all(&f.d, &f.r), 0);
	h = &f.r.ho;
	assert_true(h->ok);
	assert_int_equal(f.d.ngroups, 3);
	assert_int_equal(h->narch, 3);
	/* named by the first top layer (fc1 here; the model's own region in
	 * a PyTorch trace) and told apart by the hash of the layer set */
	for (size_t g = 0; g < 3; g++) {
		assert_int_equal(h->arch[g].runs, 2);
		assert_memory_equal(h->arch[g].name, "fc1#", 4);
		assert_int_equal(strlen(h->arch[g].name), 4 + 8);
		for (size_t g2 = 0; g2 < g; g2++)
			assert_string_not_equal(h->arch[g].name, h->arch[g2].name);
	}
	/* runs r and r + 3 are one architecture, and only they */
	for (int i = 0; i < f.n; i++)
		for (int j = 0; j < f.n; j++)
			assert_int_equal(f.d.runs[i].group == f.d.runs[j].group, i % 3 == j % 3);
	for (int i = 0; i < f.n; i++) {
		const struct opc_fit_run *run = &f.d.runs[i];
		double all = 0;

		for (int t = 0; t < NTY; t++) {
			int ti = type_index(&f.d, ty_name[t]);

			assert_rel(run->type_busy[ti], f.pl[i].type_busy[t], 1e-9, "type busy");
			all += f.pl[i].type_busy[t];
		}
		assert_rel(run->measured, all, 1e-9, "busy = sum of the types");
	}
	/* (c): exact, held out */
	for (size_t g = 0; g < 3; g++)
		assert_true(h->arch[g].err[2] < 1e-3);
	for (size_t t = 0; t < f.d.ntypes; t++) {
		assert_int_equal(h->type_runs[t], 6);
		assert_true(h->type_err[2 * f.d.ntypes + t] < 1e-3);
	}
	assert_true(h->arch_median[2] < 1e-3 && h->type_median[2] < 1e-3);
	/* (a): slope of busy on FLOPs through the origin without group g */
	for (size_t g = 0; g < 3; g++) {
		double sxy = 0, sxx = 0;

		for (int i = 0; i < f.n; i++) {
			const struct opc_fit_run *run = &f.d.runs[i];

			/* 2 runs per architecture */
			double w2 = (double)run->nrows / 2 / (run->measured * run->measured);

			if (run->group == g)
				continue;
			for (size_t r = run->row0; r < run->row0 + run->nrows; r++) {
				double x = 0;

				for (size_t t = 0; t < f.d.ntypes; t++)
					x += f.d.x[r * f.d.nfeat + OPC_FX_FLOPS(&f.d, t)];
				sxy += w2 * x * f.d.y[r];
				sxx += w2 * x * x;
			}
		}
		slope[g] = sxy / sxx;
		assert_true(slope[g] > 0);
	}
	for (size_t g = 0; g < 3; g++) {
		double e[2];
		int k = 0;

		for (int i = 0; i < f.n; i++) {
			double fl = 0;

			if (f.d.runs[i].group != g)
				continue;
			for (int t = 0; t < NTY; t++)
				fl += f.pl[i].type_flops[t];
			e[k++] = 100 * fabs(slope[g] * fl - f.pl[i].busy) / f.pl[i].busy;
		}
		archerr[g] = (e[0] + e[1]) / 2;
		assert_rel(h->arch[g].err[0], archerr[g], 1e-6, "(a) architecture error");
		assert_true(archerr[g] > 1);	/* FLOPs alone is not exact */
	}
	assert_rel(h->arch_median[0], median_of(archerr, 3), 1e-6, "(a) median");
	for (int t = 0; t < NTY; t++) {
		int ti = type_index(&f.d, ty_name[t]);
		double e[MAXRUNS];

		for (int i = 0; i < f.n; i++)
			e[i] = 100 * fabs(slope[f.d.runs[i].group] * f.pl[i].type_flops[t] -
					  f.pl[i].type_busy[t]) / f.pl[i].type_busy[t];
		assert_rel(h->type_err[ti], median_of(e, f.n), 1e-6, "(a) type error");
	}
	/* communication has no FLOPs: FLOPs alone gives it nothing */
	assert_rel(h->type_err[type_index(&f.d, "comm")], 100, 1e-12, "(a) comm");
	/* in the document */
	{
		json_object *doc = opc_fit_json(&f.d, &f.r), *ho, *v;

		assert_true(json_object_object_get_ex(doc, "heldout", &ho) && ho);
		assert_true(json_object_object_get_ex(ho, "per_arch", &v));
		assert_int_equal(json_object_array_length(v), 3);
		assert_true(json_object_object_get_ex(ho, "median_arch_err_pct", &v));
		assert_true(json_object_object_get_ex(v, "a", &v));
		assert_rel(json_object_get_double(v), median_of(archerr, 3), 1e-6, "json median");
		json_object_put(doc);
	}
	unload(&f);
}

/*
 * The weights (fit.c, run_weight): model (a) fitted on every run is the
 * weighted least-squares slope through the origin of busy time on FLOPs,
 * each row of run r weighted by w_r^2 = n_r / (k_g Y_r^2): n_r its rows,
 * Y_r its busy time, k_g the runs of its architecture.  5 runs of 3
 * architectures (2, 2 and 1 runs), so k_g differs; and the unweighted
 * slope is not the same number.
 */
static void test_weights(void **state)
{
	struct synth sy;
	struct fixture f;
	double sxy = 0, sxx = 0, uxy = 0, uxx = 0;
	size_t k[3] = { 0 };
	char err[256];

	(void)state;
	synth_default(&sy);
	sy.energy = 0;
	sy.archs = 3;
	sy.runs = 5;
	load(&f, &sy);
	assert_int_equal(opc_fit_build(&f.d, f.tr, f.n, OPC_FIT_TIME, OPC_GROUP_ARCH, err,
				       sizeof(err)), 0);
	assert_int_equal(opc_fit_all(&f.d, &f.r), 0);
	assert_int_equal(f.d.ngroups, 3);
	for (int i = 0; i < f.n; i++)
		k[f.d.runs[i].group]++;
	for (int i = 0; i < f.n; i++) {
		const struct opc_fit_run *run = &f.d.runs[i];
		double w2 = (double)run->nrows / (double)k[run->group] /
			    (run->measured * run->measured);

		assert_int_equal(k[run->group], i % 3 < 2 ? 2 : 1);
		assert_rel(run->measured, f.pl[i].busy, 1e-9, "busy time");
		for (size_t r = run->row0; r < run->row0 + run->nrows; r++) {
			double x = 0;

			for (size_t t = 0; t < f.d.ntypes; t++)
				x += f.d.x[r * f.d.nfeat + OPC_FX_FLOPS(&f.d, t)];
			sxy += w2 * x * f.d.y[r];
			sxx += w2 * x * x;
			uxy += x * f.d.y[r];
			uxx += x * x;
		}
	}
	assert_rel(f.r.m[0].per_flop, sxy / sxx, 1e-9, "(a) weighted slope");
	assert_true(fabs(sxy / sxx - uxy / uxx) > 1e-3 * (sxy / sxx));
	unload(&f);
}

/* Without --group arch there is no held-out table. */
static void test_no_heldout_by_cmdline(void **state)
{
	struct synth sy;
	struct fixture f;

	(void)state;
	synth_default(&sy);
	sy.energy = 0;
	sy.archs = 3;
	load(&f, &sy);
	fit(&f, OPC_FIT_TIME);
	assert_int_equal(f.d.ngroups, 6);
	assert_false(f.r.ho.ok);
	unload(&f);
}

/* ---- errors ------------------------------------------------------------------- */

static void test_error_no_energy(void **state)
{
	struct synth sy;
	struct fixture f;
	char err[1024];

	(void)state;
	synth_default(&sy);
	sy.runs = 3;
	sy.energy = 0;
	load(&f, &sy);
	assert_int_equal(build(&f, OPC_FIT_ENERGY, err, sizeof(err)), -1);
	assert_non_null(strstr(err, f.paths[0]));
	assert_non_null(strstr(err, "no energy samples"));
	assert_non_null(strstr(err, "--target time"));
	unload(&f);
}

static void test_error_one_interval(void **state)
{
	struct synth sy;
	struct fixture f;
	char err[1024];

	(void)state;
	synth_default(&sy);
	sy.runs = 1;
	sy.intervals = 0;	/* a single sampled interval */
	load(&f, &sy);
	assert_int_equal(build(&f, OPC_FIT_ENERGY, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "at least 2"));
	assert_non_null(strstr(err, f.paths[0]));
	unload(&f);
}

static void test_error_mixed_sources(void **state)
{
	struct synth sy;
	struct fixture f;
	struct planted pl;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	char err[1024];

	(void)state;
	synth_default(&sy);
	sy.runs = 3;
	load(&f, &sy);
	/* run 2 again, with the estimate source */
	opc_trace_free(&f.tr[2]);
	sy.estimate = 1;
	assert_int_equal(synth_write(f.paths[2], &sy, 2, rng, &pl), 0);
	assert_int_equal(opc_trace_read(f.paths[2], &f.tr[2], err, sizeof(err)), 0);
	assert_int_equal(build(&f, OPC_FIT_ENERGY, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "different energy sources"));
	/* time does not use the energy: fine, labelled mixed */
	assert_int_equal(build(&f, OPC_FIT_TIME, err, sizeof(err)), 0);
	assert_string_equal(f.d.source, "mixed");
	assert_false(f.d.measured);
	opc_fit_data_free(&f.d);
	gsl_rng_free(rng);
	unload(&f);
}

static void test_error_no_trace(void **state)
{
	struct opc_fit_data d;
	char err[256];

	(void)state;
	assert_int_equal(opc_fit_build(&d, NULL, 0, OPC_FIT_ENERGY, OPC_GROUP_CMDLINE, err,
				       sizeof(err)), -1);
	assert_non_null(strstr(err, "no trace"));
}

/* ---- output ------------------------------------------------------------------- */

static json_object *get(json_object *o, const char *path)
{
	char buf[256], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		if (!json_object_object_get_ex(o, tok, &o))
			fail_msg("no %s in the document (at %s)", path, tok);
	}
	return o;
}

static void test_json(void **state)
{
	struct synth sy;
	struct fixture f;
	json_object *doc;

	(void)state;
	synth_default(&sy);
	sy.estimate = 1;
	load(&f, &sy);
	fit(&f, OPC_FIT_ENERGY);
	doc = opc_fit_json(&f.d, &f.r);
	assert_int_equal(json_object_get_int(get(doc, "opcount_coeffs")), 1);
	assert_string_equal(json_object_get_string(get(doc, "target")), "energy");
	assert_string_equal(json_object_get_string(get(doc, "unit")), "J");
	assert_string_equal(json_object_get_string(get(doc, "energy_source")), "estimate");
	assert_false(json_object_get_boolean(get(doc, "energy_measured")));
	assert_string_equal(json_object_get_string(get(doc, "machine.cpu")), "Synthetic CPU 9000");
	assert_int_equal(json_object_get_int(get(doc, "machine.ncpu")), 4);
	assert_int_equal(json_object_get_int(get(doc, "machine.blas_threads")), 1);
	assert_string_equal(json_object_get_string(get(doc, "units.per_flop")), "J/FLOP");
	assert_string_equal(json_object_get_string(get(doc, "model")), "c");
	assert_rel(json_object_get_double(get(doc, "models.c.per_type.Conv2d.per_byte")),
		   pb[TY_CONV], 1e-6, "per_type.Conv2d.per_byte");
	assert_rel(json_object_get_double(get(doc, "models.c.static_w")), ps, 1e-6, "static_w");
	assert_rel(json_object_get_double(get(doc, "models.c.per_call")), pc, 1e-6, "per_call");
	assert_true(json_object_get_double(get(doc, "models.a.per_flop")) > 0);
	assert_int_equal(json_object_object_length(get(doc, "models.a.per_type")), 0);
	assert_true(json_object_get_double(get(doc, "models.c.cv.mape")) < 1e-4);
	assert_true(json_object_get_boolean(get(doc, "cv.possible")));
	assert_int_equal(json_object_array_length(get(doc, "runs")), sy.runs);
	json_object_put(doc);
	unload(&f);
}

static void test_plot(void **state)
{
	struct synth sy;
	struct fixture f;
	char png[600], svg[600], bad[600], err[1024];
	unsigned char magic[8];
	struct stat st;
	int fd;

	(void)state;
	synth_default(&sy);
	load(&f, &sy);
	fit(&f, OPC_FIT_ENERGY);
	snprintf(png, sizeof(png), "%s/fit.png", tmpdir);
	snprintf(svg, sizeof(svg), "%s/fit.SVG", tmpdir);
	snprintf(bad, sizeof(bad), "%s/no/such/dir/fit.png", tmpdir);
	assert_int_equal(opc_fit_plot(&f.d, &f.r, png, err, sizeof(err)), 0);
	fd = open(png, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, magic, 8), 8);
	close(fd);
	assert_memory_equal(magic, "\x89PNG\r\n\x1a\n", 8);
	assert_int_equal(opc_fit_plot(&f.d, &f.r, svg, err, sizeof(err)), 0);
	assert_int_equal(stat(svg, &st), 0);
	assert_true(st.st_size > 1000);
	assert_int_equal(opc_fit_plot(&f.d, &f.r, bad, err, sizeof(err)), -1);
	assert_non_null(strstr(err, bad));
	assert_int_equal(opc_plot_format("x.jpg"), OPC_PLOT_NONE);
	unlink(png);
	unlink(svg);
	unload(&f);
}

static void plot_took_too_long(int sig)
{
	(void)sig;
	fprintf(stderr, "opc_fit_plot did not return in 20 s (a tick loop that never ends)\n");
	_exit(1);
}

/* Runs whose totals differ by less than the precision of a tick step (a
 * range of about 1e5 around 1e20, where 1e20 + 1e4 == 1e20), and runs at
 * the top of the double range: the plot is drawn, and in bounded time. */
static void test_plot_degenerate_ranges(void **state)
{
	static const double around[] = { 1e20, 1.7e308, 1e-300 };
	struct synth sy;
	struct fixture f;
	char svg[600], err[1024];

	(void)state;
	synth_default(&sy);
	load(&f, &sy);
	fit(&f, OPC_FIT_ENERGY);
	snprintf(svg, sizeof(svg), "%s/tiny.svg", tmpdir);
	signal(SIGALRM, plot_took_too_long);
	for (size_t a = 0; a < sizeof(around) / sizeof(around[0]); a++) {
		for (size_t i = 0; i < f.d.nruns; i++) {
			double v = around[a] * (1 + 4e-16 * i);

			f.d.runs[i].measured = v;
			for (int m = 0; m < OPC_FIT_NMODELS; m++)
				f.d.runs[i].fitted[m] = f.d.runs[i].predicted[m] = v;
		}
		alarm(20);
		assert_int_equal(opc_fit_plot(&f.d, &f.r, svg, err, sizeof(err)), 0);
		alarm(0);
	}
	unlink(svg);
	unload(&f);
}

/* ---- main ----------------------------------------------------------------------- */

static int make_tmpdir(void **state)
{
	const char *base = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/opc-test-fit-XXXXXX", base && *base ? base : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

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

static int write_synth(int argc, char **argv)
{
	char paths[64][512], truth[600];
	struct planted pl[64];
	struct synth sy;
	const char *dir = argv[2];
	FILE *f;

	synth_default(&sy);
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			sy.runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--noise") && i + 1 < argc)
			sy.noise = atof(argv[++i]);
		else if (!strcmp(argv[i], "--intervals") && i + 1 < argc)
			sy.intervals = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			sy.seed = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--no-energy"))
			sy.energy = 0;
		else if (!strcmp(argv[i], "--estimate"))
			sy.estimate = 1;
		else if (!strcmp(argv[i], "--same-cmdline"))
			sy.same_cmdline = 1;
		else {
			fprintf(stderr, "--write-synth: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (sy.runs < 1 || sy.runs > 64) {
		fprintf(stderr, "--write-synth: 1 to 64 runs\n");
		return 2;
	}
	if (synth_runs(dir, &sy, paths, pl) < 0) {
		perror(dir);
		return 1;
	}
	snprintf(truth, sizeof(truth), "%s/truth.json", dir);
	f = fopen(truth, "w");
	if (f == NULL) {
		perror(truth);
		return 1;
	}
	fprintf(f, "{\n  \"energy\": {\"per_call\": %.17g, \"static_w\": %.17g, \"per_type\": {",
		pc, ps);
	for (int t = 0; t < NTY; t++)
		fprintf(f, "%s\"%s\": {\"per_flop\": %.17g, \"per_byte\": %.17g}", t ? ", " : "",
			ty_name[t], pf[t], pb[t]);
	fprintf(f, "}},\n  \"time\": {\"per_call\": %.17g, \"static_w\": 0, \"per_type\": {", tc);
	for (int t = 0; t < NTY; t++)
		fprintf(f, "%s\"%s\": {\"per_flop\": %.17g, \"per_byte\": %.17g}", t ? ", " : "",
			ty_name[t], tf[t], tb[t]);
	fprintf(f, "}},\n  \"runs\": [");
	for (int r = 0; r < sy.runs; r++)
		fprintf(f, "%s{\"path\": \"%s\", \"energy\": %.17g, \"busy_s\": %.17g}",
			r ? ", " : "", paths[r], pl[r].energy, pl[r].busy);
	fprintf(f, "]\n}\n");
	if (fclose(f)) {
		perror(truth);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nnls_negative_slope),
		cmocka_unit_test(test_nnls_positive_is_least_squares),
		cmocka_unit_test(test_nnls_kkt),
		cmocka_unit_test(test_nnls_bad_input),
		cmocka_unit_test(test_recover_exact),
		cmocka_unit_test(test_recover_noise),
		cmocka_unit_test(test_leave_one_out),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_time_target),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_unseen_type),
		cmocka_unit_test(test_group_arch),
		cmocka_unit_test(test_no_heldout_by_cmdline),
		cmocka_unit_test(test_error_no_energy),
		cmocka_unit_test(test_error_one_interval),
		cmocka_unit_test(test_error_mixed_sources),
		cmocka_unit_test(test_error_no_trace),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_plot),
		cmocka_unit_test(test_plot_degenerate_ranges),
	};

	if (argc >= 3 && !strcmp(argv[1], "--write-synth"))
		return write_synth(argc, argv);
	int failed = cmocka_run_group_tests_name("test_fit", tests, make_tmpdir, remove_tmpdir);

	/* cairo's and fontconfig's caches given back, as opcount fit does:
	 * a leak checker would report them (sanitizer builds) */
	opc_pic_cleanup();
	return failed;
}
