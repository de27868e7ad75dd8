/*
 * gentrace.c - write a synthetic trace with the library's own writer
 * (common/trace_write.c), for benchmarks of `opcount report` on traces as
 * large as a long run with many distinct shapes makes, and for tests of
 * what the analysis does with text a trace may hold.
 *
 *   gentrace -o FILE [--keys N] [--intervals M] [--per-interval K]
 *            [--threads T] [--sites S] [--layers L] [--busy-ns B] [--no-energy]
 *            [--hostile]
 *
 * N keys (distinct dgemm shapes; 0: a trace without calls), spread over T
 * threads, S call sites and L layers; M sampling intervals of 10 ms, each with K entries: the keys
 * are taken in turn, so that every key appears once M x K >= N; each call
 * is busy B ns (default 1000) plus up to 5 us (more than the interval holds
 * makes the analysis move the excess to the interval before).  With
 * energy (the default), a "rapl" package domain sampled at every
 * interval's end, 20 W plus 1 nJ per FLOP.  --hostile gives every name the
 * trace carries (command line, layer names and types, routine names,
 * module path, energy source, domain and note) escape sequences, bytes
 * that are not UTF-8, quotes, backslashes and line breaks.  Prints the
 * file's size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace.h"

#define MS	1000000ull

struct opts {
	const char *out;
	unsigned long keys, intervals, per_interval, threads, sites, layers, busy_ns;
	int energy, hostile;
};

static struct opc_writer w;
static struct opc_strtab strs;

/* Between frames: the writer's buffer goes to the file once it is large. */
static void maybe_flush(void)
{
	if (w.len > (1u << 20) && opc_writer_flush(&w) < 0) {
		fprintf(stderr, "gentrace: write: %s\n", strerror(-w.error));
		exit(1);
	}
}

static uint32_t str(const char *s)
{
	uint32_t id = opc_writer_string(&w, &strs, s);

	if (id == 0) {
		fprintf(stderr, "gentrace: out of memory\n");
		exit(1);
	}
	return id;
}

static void info(const char *kv)
{
	if (opc_writer_begin(&w, OPC_REC_INFO, 0) == NULL ||
	    opc_writer_append(&w, kv, strlen(kv) + 1) < 0) {
		fprintf(stderr, "gentrace: out of memory\n");
		exit(1);
	}
	opc_writer_end(&w);
}

/* Text with everything a terminal or a JSON reader could trip on. */
static const char *hostile(char *buf, size_t len, const char *base, unsigned long i)
{
	snprintf(buf, len, "%s%lu\x1b[31m\x1b]0;title\x07\xff\xfe\xc3(\"q\"\\\n\r\t\x7f\xc2\x9b", base,
		 i);
	return buf;
}

static void write_layers(const struct opts *o)
{
	char name[128], type[128];

	for (unsigned long l = 0; l < o->layers; l++) {
		struct opc_rec_layer *r;
		uint32_t n, t;

		if (o->hostile) {
			n = str(hostile(name, sizeof(name), "layer", l));
			t = str(hostile(type, sizeof(type), "Type", l % 3));
		} else {
			snprintf(name, sizeof(name), "layer%lu", l);
			snprintf(type, sizeof(type), "Type%lu", l % 3);
			n = str(name);
			t = str(type);
		}
		r = opc_writer_begin(&w, OPC_REC_LAYER, sizeof(*r));
		if (r == NULL)
			exit(1);
		/* every other layer inside the one before it */
		*r = (struct opc_rec_layer){ l + 1, l % 2 ? l : 0, n, t };
		opc_writer_end(&w);
	}
}

static void write_keys(const struct opts *o)
{
	uint32_t sym, op, fam, dims, flags;
	char buf[128];

	if (o->hostile) {
		sym = str(hostile(buf, sizeof(buf), "cblas_dgemm", 0));
		op = str(hostile(buf, sizeof(buf), "dgemm", 0));
		fam = str(hostile(buf, sizeof(buf), "gemm", 0));
		dims = str("m,n\x1b[2J,k");
		flags = str("ta,tb\xff,beta");
	} else {
		sym = str("cblas_dgemm");
		op = str("dgemm");
		fam = str("gemm");
		dims = str("m,n,k");
		flags = str("ta,tb,beta");
	}
	for (unsigned long k = 0; k < o->keys; k++) {
		struct opc_rec_key *r = opc_writer_begin(&w, OPC_REC_KEY, sizeof(*r));
		int64_t m = 1 + k % 1000, n = 1 + (k / 1000) % 1000, kk = 1 + k / 1000000;

		if (r == NULL)
			exit(1);
		*r = (struct opc_rec_key){
			.id = k + 1, .symbol = sym, .op = op, .family = fam, .dims = dims,
			.flag_names = flags, .layer = o->layers ? 1 + k % o->layers : 0,
			.level = 3, .prec = 'd', .iface = 0,
			.site = 0x401000 + 16 * (k % o->sites),
			.flops = 2 * m * n * kk, .bytes = 8 * (m * kk + kk * n + 2 * m * n),
			.d = { m, n, kk, 0 }, .f = { 'N', 'N', '1', 0 },
			.tid = 1000 + k % o->threads,
		};
		opc_writer_end(&w);
		maybe_flush();
	}
}

static void write_energy_info(const struct opts *o)
{
	struct opc_rec_energy_info *ei;
	struct opc_rec_energy_domain d;
	char note[128];

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", o->hostile ? "package-0\x1b[5m\xff" : "package-0");
	d.kind = 1;	/* package */
	d.counted = 1;
	ei = opc_writer_begin(&w, OPC_REC_ENERGY_INFO, sizeof(*ei));
	if (ei == NULL)
		exit(1);
	snprintf(ei->source, sizeof(ei->source), "%s", o->hostile ? "rapl\x1b[1m\xff" : "rapl");
	ei->resolution_j = 1e-6;
	ei->ndomains = 1;
	ei->measured = 1;
	opc_writer_append(&w, &d, sizeof(d));
	snprintf(note, sizeof(note), "%s", o->hostile ? "note\x1b]0;x\x07\xff\n" : "");
	opc_writer_append(&w, note, strlen(note) + 1);
	opc_writer_end(&w);
}

static void write_intervals(const struct opts *o)
{
	unsigned long next = 0;
	double joules = 0;

	for (unsigned long i = 0; i < o->intervals; i++) {
		struct opc_rec_interval *iv = opc_writer_begin(&w, OPC_REC_INTERVAL, sizeof(*iv));
		uint64_t t0 = i * 10 * MS, t1 = t0 + 10 * MS, flops = 0;

		if (iv == NULL)
			exit(1);
		*iv = (struct opc_rec_interval){ t0, t1, (uint32_t)o->per_interval, 0 };
		for (unsigned long j = 0; j < o->per_interval; j++) {
			unsigned long k = next++ % o->keys;
			int64_t m = 1 + k % 1000, n = 1 + (k / 1000) % 1000, kk = 1 + k / 1000000;
			uint64_t f = 2 * m * n * kk;

			/* key id, calls, timed, busy ns, FLOPs, bytes */
			opc_writer_varint(&w, k + 1);
			opc_writer_varint(&w, 1);
			opc_writer_varint(&w, 1);
			opc_writer_varint(&w, o->busy_ns + k % 5000);
			opc_writer_varint(&w, f);
			opc_writer_varint(&w, 8 * (m * kk + kk * n + 2 * m * n));
			flops += f;
		}
		opc_writer_end(&w);
		if (o->energy) {
			struct opc_rec_energy *e = opc_writer_begin(&w, OPC_REC_ENERGY, sizeof(*e));

			if (e == NULL)
				exit(1);
			*e = (struct opc_rec_energy){ t1, 1, 0 };
			joules += 20 * 0.01 + 1e-9 * flops;
			opc_writer_append(&w, &joules, sizeof(joules));
			opc_writer_end(&w);
		}
		maybe_flush();
	}
}

static unsigned long num(const char *opt, const char *v, unsigned long min)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v ? v : "", &end, 10);
	if (v == NULL || !*v || *end || errno || n < min) {
		fprintf(stderr, "gentrace: %s: expected a number >= %lu\n", opt, min);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	struct opts o = { NULL, 1000, 100, 100, 1, 10, 0, 1000, 1, 0 };
	struct opc_file_header h;
	struct opc_rec_end *end;
	struct stat st;
	char buf[256];
	int fd;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-o") && v)
			o.out = argv[++i];
		else if (!strcmp(a, "--keys"))
			o.keys = num(a, v, 0), i++;
		else if (!strcmp(a, "--intervals"))
			o.intervals = num(a, v, 1), i++;
		else if (!strcmp(a, "--per-interval"))
			o.per_interval = num(a, v, 0), i++;
		else if (!strcmp(a, "--threads"))
			o.threads = num(a, v, 1), i++;
		else if (!strcmp(a, "--sites"))
			o.sites = num(a, v, 1), i++;
		else if (!strcmp(a, "--layers"))
			o.layers = num(a, v, 0), i++;
		else if (!strcmp(a, "--busy-ns"))
			o.busy_ns = num(a, v, 0), i++;
		else if (!strcmp(a, "--no-energy"))
			o.energy = 0;
		else if (!strcmp(a, "--hostile"))
			o.hostile = 1;
		else {
			fprintf(stderr, "usage: gentrace -o FILE [--keys N] [--intervals M] "
				"[--per-interval K] [--threads T] [--sites S] [--layers L] "
				"[--busy-ns B] [--no-energy] [--hostile]\n");
			return 2;
		}
	}
	if (o.out == NULL) {
		fprintf(stderr, "gentrace: -o FILE is needed\n");
		return 2;
	}
	if (o.keys == 0)	/* a trace without calls */
		o.per_interval = 0;
	fd = open(o.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror(o.out);
		return 1;
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, OPC_TRACE_MAGIC, 8);
	h.version = OPC_TRACE_VERSION;
	h.min_version = OPC_TRACE_MIN_VERSION;
	h.header_size = sizeof(h);
	h.byte_order = OPC_BYTE_ORDER_MARK;
	h.frame_header_size = sizeof(struct opc_frame);
	h.start_realtime_ns = 1700000000000000000ull;
	h.pid = 4242;
	h.ppid = 1;
	h.interval_ns = 10 * MS;
	if (opc_writer_open(&w, fd, &h) < 0)
		return 1;
	if (o.hostile) {
		info("exe=/tmp/evil\x1b[31m\xff");
		info("cmdline=evil \x1b]0;pwned\x07 \xff\xfe \"quoted\" back\\slash\nsecond line\r");
		info("host=host\x1b[2J");
		info("cpu=CPU\xc0\xaf");
		info("blas=libblas\x1b[0m.so\xff");
	} else {
		snprintf(buf, sizeof(buf), "cmdline=gentrace --keys %lu --intervals %lu", o.keys,
			 o.intervals);
		info("exe=/usr/bin/gentrace");
		info(buf);
		info("host=synthetic");
		info("blas=synthetic");
	}
	if (o.hostile) {
		struct opc_rec_module *m = opc_writer_begin(&w, OPC_REC_MODULE, sizeof(*m));
		const char *path = "/nonexistent/lib\x1b[31mevil\xff\n.so";

		if (m == NULL)
			return 1;
		*m = (struct opc_rec_module){ 0x400000, 0x400000, 0x500000 };
		opc_writer_append(&w, path, strlen(path) + 1);
		opc_writer_end(&w);
	}
	write_layers(&o);
	write_keys(&o);
	if (o.energy)
		write_energy_info(&o);
	write_intervals(&o);
	end = opc_writer_begin(&w, OPC_REC_END, sizeof(*end));
	if (end == NULL)
		return 1;
	*end = (struct opc_rec_end){ .t_ns = o.intervals * 10 * MS, .threads = o.threads };
	opc_writer_end(&w);
	if (opc_writer_flush(&w) < 0 || close(fd) < 0) {
		fprintf(stderr, "gentrace: %s: %s\n", o.out, strerror(errno));
		return 1;
	}
	opc_writer_release(&w);
	opc_strtab_free(&strs);
	if (stat(o.out, &st) == 0)
		printf("%s: %lld bytes\n", o.out, (long long)st.st_size);
	return 0;
}
