/*
 * calibrate.c - `opcount calibrate`: this machine's compute and memory
 * ceilings, measured, for the roofline (roofline.c).
 *
 *   opcount calibrate [-o FILE] [--blas LIB] [--threads N]
 *
 * Compute: square DGEMMs through the BLAS (OpenBLAS, found with dlopen as
 * the preload library finds it: the tool itself links no BLAS, whose
 * thread pool would start in every opcount command), on all threads and
 * on one.  Memory: a STREAM triad a[i] = b[i] + s * c[i] on every online
 * CPU, over arrays four times the last-level cache or more.  Each is the
 * median of repetitions: a loaded machine gives a lower ceiling, never an
 * invented one, and the load average is saved beside it.
 */
#define PR_FMT "calibrate"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <link.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "calibrate.h"
#include "log.h"
#include "opcount_cli.h"
#include "producer.h"
#include "util.h"

int opc_calib_default_path(char *buf, size_t len)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n;

	if (x && x[0] == '/')	/* the spec: a relative one is ignored */
		n = snprintf(buf, len, "%s/opcount/calibration.json", x);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.config/opcount/calibration.json", home);
	else
		return -1;
	return n > 0 && (size_t)n < len ? 0 : -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), dbl_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- compute: DGEMM ---- */

enum { ROW_MAJOR = 101, COL_MAJOR = 102, NO_TRANS = 111 };

struct blas {
	void *h;
	void (*dgemm)(int, int, int, int, int, int, double, const double *, int,
		      const double *, int, double, double *, int);
	void (*set_threads)(int);
	char *(*config)(void);
	char path[PATH_MAX];
};

/* The BLAS the project's examples link (pkg-config openblas), then the
 * system's libblas.so.3 (on Debian an alternative, OpenBLAS where installed). */
static const char *const blas_names[] = { "libopenblas.so.0", "libopenblas.so", "libblas.so.3" };

static int blas_open(struct blas *b, const char *name)
{
	struct link_map *lm = NULL;

	memset(b, 0, sizeof(*b));
	for (size_t i = 0; !b->h && i < sizeof(blas_names) / sizeof(blas_names[0]); i++)
		if (name == NULL || i == 0)
			b->h = dlopen(name ? name : blas_names[i], RTLD_NOW | RTLD_LOCAL);
	if (b->h == NULL) {
		pr_err("cannot load a BLAS (%s): %s", name ? name : "libopenblas.so.0, "
		       "libblas.so.3; install libopenblas0 or name one with --blas", dlerror());
		return -1;
	}
	/* looked up in that library: gslcblas, which the tool links, has its own */
	*(void **)&b->dgemm = dlsym(b->h, "cblas_dgemm");
	*(void **)&b->set_threads = dlsym(b->h, "openblas_set_num_threads");
	*(void **)&b->config = dlsym(b->h, "openblas_get_config");
	if (dlinfo(b->h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && lm->l_name[0])
		snprintf(b->path, sizeof(b->path), "%s", lm->l_name);
	else
		snprintf(b->path, sizeof(b->path), "%s", name ? name : "?");
	{
		char real[PATH_MAX];

		if (realpath(b->path, real))
			snprintf(b->path, sizeof(b->path), "%s", real);
	}
	if (b->dgemm == NULL) {
		pr_err("%s has no cblas_dgemm", b->path);
		dlclose(b->h);
		return -1;
	}
	return 0;
}

struct gemm_result {
	double gflops;
	int n, reps;
};

/* Seconds of one n x n x n DGEMM. */
static double gemm_once(struct blas *b, int n, const double *A, const double *B, double *C)
{
	double t0 = now_s();

	b->dgemm(COL_MAJOR, NO_TRANS, NO_TRANS, n, n, n, 1.0, A, n, B, n, 0.0, C, n);
	return now_s() - t0;
}

/*
 * The size grows until one call takes 100 ms (or n = 2048: 17 GFLOP, past
 * any blocking effect), then the median of up to 9 calls or 0.6 s: long
 * enough for the threads to be busy, short enough for a few seconds in all.
 */
static int gemm_bench(struct blas *b, int threads, struct gemm_result *res)
{
	const int nmax = 2048;
	double *A = malloc(sizeof(double) * nmax * nmax), *B = malloc(sizeof(double) * nmax * nmax);
	double *C = malloc(sizeof(double) * nmax * nmax), v[9], t;
	int n = 128, k = 0;

	if (!A || !B || !C) {
		free(A);
		free(B);
		free(C);
		return -ENOMEM;
	}
	for (size_t i = 0; i < (size_t)nmax * nmax; i++) {
		A[i] = 1.0 + (i % 7) * 0.125;
		B[i] = 0.5 - (i % 5) * 0.0625;
	}
	if (b->set_threads)
		b->set_threads(threads);
	gemm_once(b, 64, A, B, C);	/* the thread pool starts here, not in a sample */
	for (;;) {
		t = gemm_once(b, n, A, B, C);
		if (t >= 0.1 || n >= nmax)
			break;
		n = n * 2 > nmax ? nmax : n * 2;
	}
	double start = now_s();

	do {
		t = gemm_once(b, n, A, B, C);
		v[k++] = 2.0 * n * n * (double)n / t / 1e9;
	} while (k < 9 && (k < 3 || now_s() - start < 0.6));
	res->gflops = median(v, k);
	res->n = n;
	res->reps = k;
	free(A);
	free(B);
	free(C);
	return 0;
}

/* ---- memory: triad ---- */

struct triad {
	double *a, *b, *c;
	size_t n;		/* elements in all */
	int nthreads;
	int reps;
	pthread_barrier_t bar;
	double *t0, *t1;	/* [rep * nthreads + thread] */
};

struct triad_arg {
	struct triad *tr;
	int id;
};

static void *triad_thread(void *p)
{
	struct triad_arg *arg = p;
	struct triad *tr = arg->tr;
	size_t lo = tr->n * arg->id / tr->nthreads, hi = tr->n * (arg->id + 1) / tr->nthreads;
	double *restrict a = tr->a, *restrict b = tr->b, *restrict c = tr->c;
	const double s = 3.0;

	/* first touch by the thread that streams it: its NUMA node's memory */
	for (size_t i = lo; i < hi; i++) {
		a[i] = 0;
		b[i] = 1.0;
		c[i] = 2.0;
	}
	for (int r = 0; r < tr->reps; r++) {
		pthread_barrier_wait(&tr->bar);
		tr->t0[r * tr->nthreads + arg->id] = now_s();
		for (size_t i = lo; i < hi; i++)
			a[i] = b[i] + s * c[i];
		tr->t1[r * tr->nthreads + arg->id] = now_s();
		pthread_barrier_wait(&tr->bar);
	}
	return NULL;
}

/*
 * Size in bytes of the last-level cache: sysfs first, as lscpu reads it
 * (one CPU's share: in a virtual machine sysconf may report the host's
 * whole L3), then sysconf, then 32 MiB.
 */
static size_t llc_bytes(void)
{
	size_t best = 0;
	int best_level = 0;
	long v;

	for (int i = 0; i < 8; i++) {
		char path[96], buf[32];
		int level = 0;
		unsigned long kb = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
		if ((f = fopen(path, "re")) == NULL)
			break;
		if (fscanf(f, "%d", &level) != 1)
			level = 0;
		fclose(f);
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) && sscanf(buf, "%luK", &kb) == 1 && level >= best_level) {
			best_level = level;
			best = (size_t)kb << 10;
		}
		fclose(f);
	}
	if (best)
		return best;
	v = sysconf(_SC_LEVEL3_CACHE_SIZE);
	if (v <= 0)
		v = sysconf(_SC_LEVEL2_CACHE_SIZE);
	return v > 0 ? (size_t)v : 32u << 20;
}

struct triad_result {
	double gbps;
	size_t array_bytes;
	int reps;
};

static int triad_bench(int nthreads, struct triad_result *res)
{
	struct triad tr = { 0 };
	struct triad_arg *args;
	pthread_t *th;
	double v[16];
	int started = 0, ret = 0;

	/* STREAM's rule: each array at least 4x the caches; 64 MiB at least */
	tr.n = 4 * llc_bytes() / sizeof(double);
	if (tr.n < (64u << 20) / sizeof(double))
		tr.n = (64u << 20) / sizeof(double);
	{	/* and the three of them an eighth of the memory at most */
		long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
		size_t cap = pages > 0 && psz > 0 ? (size_t)pages * psz / 8 / 3 / sizeof(double) : 0;

		if (cap && tr.n > cap)
			tr.n = cap;
	}
	tr.nthreads = nthreads;
	tr.reps = 12;
	tr.a = malloc(tr.n * sizeof(double));
	tr.b = malloc(tr.n * sizeof(double));
	tr.c = malloc(tr.n * sizeof(double));
	tr.t0 = calloc(tr.reps * nthreads, sizeof(double));
	tr.t1 = calloc(tr.reps * nthreads, sizeof(double));
	args = calloc(nthreads, sizeof(*args));
	th = calloc(nthreads, sizeof(*th));
	if (!tr.a || !tr.b || !tr.c || !tr.t0 || !tr.t1 || !args || !th) {
		ret = -ENOMEM;
		goto out;
	}
	pthread_barrier_init(&tr.bar, NULL, nthreads);
	for (int i = 0; i < nthreads; i++) {
		args[i] = (struct triad_arg){ &tr, i };
		if (pthread_create(&th[i], NULL, triad_thread, &args[i]) != 0) {
			/* the barrier counts them all: with fewer the rest would wait forever */
			pr_err("cannot start the triad's threads: %s", strerror(errno));
			if (i == 0) {
				ret = -EAGAIN;
				pthread_barrier_destroy(&tr.bar);
				goto out;
			}
			exit(1);	/* the others wait at the barrier for it */
		}
		started++;
	}
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&tr.bar);
	/* a repetition lasts from the first thread's start to the last one's end;
	 * the first one pays the page faults of a's first writes: not counted */
	for (int r = 1; r < tr.reps; r++) {
		double t0 = INFINITY, t1 = 0;

		for (int i = 0; i < nthreads; i++) {
			t0 = fmin(t0, tr.t0[r * nthreads + i]);
			t1 = fmax(t1, tr.t1[r * nthreads + i]);
		}
		v[r - 1] = 3.0 * sizeof(double) * tr.n / (t1 - t0) / 1e9;
	}
	res->gbps = median(v, tr.reps - 1);
	res->array_bytes = tr.n * sizeof(double);
	res->reps = tr.reps - 1;
	if (tr.a[tr.n / 2] != 7.0)	/* b + 3c: also keeps the loops */
		ret = -EIO;
out:
	free(tr.a);
	free(tr.b);
	free(tr.c);
	free(tr.t0);
	free(tr.t1);
	free(args);
	free(th);
	return ret;
}

/* ---- the file ---- */

static int mkdirs(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

static int write_file(const char *path, const char *text)
{
	char tmp[PATH_MAX + 16];
	FILE *f;
	int fd, e;

	if (mkdirs(path) < 0) {
		pr_err("%s: cannot make its directory: %s", path, strerror(errno));
		return -1;
	}
	/* written beside it (mkstemp's template) and renamed: a reader
	 * never sees half a file */
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		pr_err("%s: cannot write: %s", path, strerror(ENAMETOOLONG));
		return -1;
	}
	if ((fd = mkstemp(tmp)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		pr_err("%s: cannot write: %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return -1;
	}
	fchmod(fd, 0644);
	fputs(text, f);
	fputc('\n', f);
	e = ferror(f);
	if (fclose(f) != 0 || e || rename(tmp, path) < 0) {
		pr_err("%s: cannot write: %s", path, strerror(errno ? errno : EIO));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: opcount calibrate [-o FILE] [--blas LIB] [--threads N]\n"
		"Measure this machine's ceilings for `opcount report --format roofline`:\n"
		"peak compute (DGEMM through the BLAS, all threads and one) in GFLOP/s and\n"
		"memory bandwidth (STREAM triad on every CPU) in GB/s; medians of\n"
		"repetitions, a few seconds.  Run it on an idle machine.\n"
		"  -o, --output FILE   where to save them (default\n"
		"                      $XDG_CONFIG_HOME/opcount/calibration.json or\n"
		"                      ~/.config/opcount/calibration.json)\n"
		"  --blas LIB          the BLAS library to load (default libopenblas.so.0)\n"
		"  --threads N         threads of the all-thread measurements (default: online CPUs)\n");
}

int cmd_calibrate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "blas", required_argument, NULL, 'b' },
		{ "threads", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *blasname = NULL;
	char deflt[PATH_MAX], cpu[256], host[256] = "", date[64];
	long threads = sysconf(_SC_NPROCESSORS_ONLN);
	struct gemm_result g, g1;
	struct triad_result m = { 0 };
	struct blas b;
	double load[1] = { -1 }, t0 = now_s();
	time_t tnow;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'b':
			blasname = optarg;
			break;
		case 'T':
			if (opc_parse_long(optarg, 1, 4096, &threads) < 0) {
				pr_err("--threads: expected a number from 1 to 4096, got '%s'",
				       opc_tty(optarg));
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s'", opc_tty(argv[optind]));
		usage(stderr);
		return 2;
	}
	if (threads < 1)
		threads = 1;
	if (out == NULL) {
		if (opc_calib_default_path(deflt, sizeof(deflt)) < 0) {
			pr_err("neither XDG_CONFIG_HOME nor HOME is set: name the file with -o");
			return 2;
		}
		out = deflt;
	}
	if (blas_open(&b, blasname) < 0)
		return 1;
	getloadavg(load, 1);
	printf("calibrating: DGEMM through %s, then a triad on %ld threads\n", b.path, threads);
	fflush(stdout);
	if (gemm_bench(&b, (int)threads, &g) < 0 || gemm_bench(&b, 1, &g1) < 0 ||
	    triad_bench((int)threads, &m) < 0) {
		pr_err("out of memory, or the triad went wrong");
		return 1;
	}
	if (!b.set_threads)	/* a BLAS of one thread: both are its one thread */
		g.gflops = fmax(g.gflops, g1.gflops);

	json_object *root = json_object_new_object(), *o;

	json_object_object_add(root, "opcount_calibration", json_object_new_int(OPC_CALIB_VERSION));
	tnow = time(NULL);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&tnow));
	json_object_object_add(root, "date", json_object_new_string(date));
	gethostname(host, sizeof(host) - 1);
	json_object_object_add(root, "host", opc_json_string(host));
	opc_cpu_model(cpu, sizeof(cpu));
	json_object_object_add(root, "cpu", opc_json_string(cpu));
	json_object_object_add(root, "cores", json_object_new_int64(sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_object_add(root, "threads", json_object_new_int64(threads));
	json_object_object_add(root, "loadavg_1min", opc_json_double(load[0]));
	o = json_object_new_object();
	json_object_object_add(o, "library", opc_json_string(b.path));
	json_object_object_add(o, "config", b.config ? opc_json_string(b.config()) : NULL);
	json_object_object_add(o, "threads_settable", json_object_new_boolean(!!b.set_threads));
	json_object_object_add(root, "blas", o);
	o = json_object_new_object();
	json_object_object_add(o, "gflops", opc_json_double(g.gflops));
	json_object_object_add(o, "gflops_1thread", opc_json_double(g1.gflops));
	json_object_object_add(o, "kernel", json_object_new_string(
				       "cblas_dgemm, square n x n, 2n^3 FLOPs a call"));
	json_object_object_add(o, "n", json_object_new_int(g.n));
	json_object_object_add(o, "n_1thread", json_object_new_int(g1.n));
	json_object_object_add(o, "repetitions", json_object_new_int(g.reps));
	json_object_object_add(o, "repetitions_1thread", json_object_new_int(g1.reps));
	json_object_object_add(root, "compute", o);
	o = json_object_new_object();
	json_object_object_add(o, "gbps", opc_json_double(m.gbps));
	json_object_object_add(o, "kernel", json_object_new_string(
				       "triad a[i] = b[i] + s * c[i], doubles, 24 bytes an element "
				       "(2 read, 1 written; STREAM's count)"));
	json_object_object_add(o, "array_bytes", json_object_new_int64((int64_t)m.array_bytes));
	json_object_object_add(o, "repetitions", json_object_new_int(m.reps));
	json_object_object_add(root, "memory", o);
	json_object_object_add(root, "statistic", json_object_new_string("median of repetitions"));
	json_object_object_add(root, "seconds", opc_json_double(now_s() - t0));

	int ret = write_file(out, json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE));

	if (ret == 0) {
		printf("compute: %.2f GFLOP/s on %ld threads (DGEMM n=%d), %.2f GFLOP/s on one "
		       "(n=%d)\n", g.gflops, threads, g.n, g1.gflops, g1.n);
		printf("memory:  %.2f GB/s (triad, %zu MiB arrays)\n", m.gbps, m.array_bytes >> 20);
		printf("ridge point: %.2f FLOP/byte; load average %.2f; %.1f s\n", g.gflops / m.gbps,
		       load[0], now_s() - t0);
		printf("saved to %s\n", out);
	}
	json_object_put(root);
	dlclose(b.h);
	return ret ? 1 : 0;
}

/* ---- reading it back ---- */

static int positive(json_object *o, const char *k1, const char *k2, double *v)
{
	json_object *a, *x;

	if (!json_object_object_get_ex(o, k1, &a) || !json_object_is_type(a, json_type_object) ||
	    !json_object_object_get_ex(a, k2, &x) ||
	    !(json_object_is_type(x, json_type_double) || json_object_is_type(x, json_type_int)))
		return -1;
	*v = json_object_get_double(x);
	return isfinite(*v) && *v > 0 ? 0 : -1;
}

static void str_field(json_object *o, const char *k, char *buf, size_t len)
{
	json_object *x;

	if (json_object_object_get_ex(o, k, &x) && json_object_is_type(x, json_type_string))
		snprintf(buf, len, "%s", json_object_get_string(x));
	else
		snprintf(buf, len, "?");
}

int opc_calib_load(const char *path, struct opc_calib *c, int missing_ok, char *err,
		   size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *text = NULL, why[512];
	size_t len = 0;
	json_object *root, *x;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	if (f == NULL) {
		if (errno == ENOENT && missing_ok)
			return 1;
		snprintf(err, errlen, "%s: cannot read the calibration: %s", path, strerror(errno));
		return -1;
	}
	{
		char buf[4096];
		size_t n;

		while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && len < (1 << 20)) {
			char *t = realloc(text, len + n + 1);

			if (t == NULL)
				break;
			text = t;
			memcpy(text + len, buf, n);
			len += n;
		}
	}
	fclose(f);
	if (text == NULL) {
		snprintf(err, errlen, "%s: the calibration file is empty (run opcount calibrate)",
			 path);
		return -1;
	}
	text[len] = 0;
	root = opc_json_parse_strict(text, why, sizeof(why));
	free(text);
	if (root == NULL) {
		snprintf(err, errlen, "%s: not a calibration file: %s", path, why);
		return -1;
	}
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "opcount_calibration", &x) ||
	    !json_object_is_type(x, json_type_int)) {
		snprintf(err, errlen, "%s: not a calibration file (no \"opcount_calibration\" "
			 "version; opcount calibrate writes one)", path);
	} else if (json_object_get_int64(x) != OPC_CALIB_VERSION) {
		snprintf(err, errlen, "%s: calibration format version %lld, this opcount reads %d "
			 "(run opcount calibrate again)", path,
			 (long long)json_object_get_int64(x), OPC_CALIB_VERSION);
	} else if (positive(root, "compute", "gflops", &c->gflops) < 0) {
		snprintf(err, errlen, "%s: compute.gflops is missing or not a positive number", path);
	} else if (positive(root, "memory", "gbps", &c->gbps) < 0) {
		snprintf(err, errlen, "%s: memory.gbps is missing or not a positive number", path);
	} else {
		json_object *b;

		if (positive(root, "compute", "gflops_1thread", &c->gflops_1t) < 0)
			c->gflops_1t = 0;
		if (json_object_object_get_ex(root, "threads", &x) &&
		    json_object_is_type(x, json_type_int))
			c->threads = (long)json_object_get_int64(x);
		str_field(root, "cpu", c->cpu, sizeof(c->cpu));
		str_field(root, "date", c->date, sizeof(c->date));
		if (json_object_object_get_ex(root, "blas", &b))
			str_field(b, "library", c->blas, sizeof(c->blas));
		else
			snprintf(c->blas, sizeof(c->blas), "?");
		snprintf(c->path, sizeof(c->path), "%s", path);
		ret = 0;
	}
	json_object_put(root);
	return ret;
}

int opc_calib_for_report(const char *given, struct opc_calib *c, char *note, size_t notelen,
			 char *err, size_t errlen)
{
	char deflt[4096];
	int r;

	if (given)
		return opc_calib_load(given, c, 0, err, errlen) < 0 ? -1 : 1;
	if (opc_calib_default_path(deflt, sizeof(deflt)) < 0) {
		snprintf(note, notelen, "no calibration file (HOME unset): run `opcount calibrate "
			 "-o FILE` on the machine that ran it, then --calibration FILE");
		return 0;
	}
	r = opc_calib_load(deflt, c, 1, err, errlen);
	if (r < 0)
		return -1;
	if (r == 1) {
		snprintf(note, notelen, "no calibration file (%s): run `opcount calibrate` on the "
			 "machine that ran it, or pass --calibration FILE", deflt);
		return 0;
	}
	return 1;
}
