/*
 * trace_read.c - read and validate a trace file.
 *
 * Nothing read from the file is trusted: every size is checked against
 * what remains, every id against what was defined, and every error names
 * the file and the byte offset.  A last frame cut short (the program was
 * killed mid-write) is dropped with a warning; anything else that does
 * not check out is an error.
 *
 * Memory: the file is read through a window (frames in order, each whole
 * in memory) and only what the analysis needs is kept: per key its
 * totals, per interval where its frame is.  Keys' records and intervals'
 * entries are read again from the file when the analysis asks for them,
 * and checked again (a file changed meanwhile is an error, not garbage).
 */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hashtab.h"
#include "trace.h"

/* Capacities of the growing arrays of the trace being read. */
struct caps {
	size_t strings, keyruns, layers, stacks, modules, intervals, info;
	size_t samples;
};

/*
 * A window on the file: the bytes [start, end) of it, read with pread.
 * Frames are read in order, so the window slides forward; it is as large
 * as the largest frame asked for (OPC_FRAME_MAX at most) or WINDOW_MIN.
 */
#define WINDOW_MIN	(1u << 20)

struct window {
	int fd;
	unsigned char *buf;
	size_t cap;
	uint64_t start, end;
	uint64_t size;		/* of the file */
};

/* Points *p at the bytes [off, off + len) of the file, len <= size - off:
 * 0, -ENOMEM, or -EIO if the file no longer has them. */
static int window_get(struct window *w, uint64_t off, size_t len, const unsigned char **p)
{
	size_t want = len > WINDOW_MIN ? len : WINDOW_MIN, have = 0;

	if (off >= w->start && off + len <= w->end) {
		*p = w->buf + (off - w->start);
		return 0;
	}
	if (want > w->size - off)
		want = w->size - off;
	if (want > w->cap) {
		unsigned char *b = realloc(w->buf, want);

		if (b == NULL)
			return -ENOMEM;
		w->buf = b;
		w->cap = want;
	}
	if (off >= w->start && off < w->end) {	/* keep what is read already */
		have = w->end - off;
		memmove(w->buf, w->buf + (off - w->start), have);
	}
	while (have < want) {
		ssize_t n = pread(w->fd, w->buf + have, want - have, off + have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->start = w->end = 0;
			return -EIO;
		}
		have += n;
	}
	w->start = off;
	w->end = off + have;
	*p = w->buf;
	return 0;
}

struct rd {
	struct opc_trace *t;
	char *err;
	size_t errlen;
	const char *path;
	struct caps caps;
	struct window win;
	uint64_t last_key_end;	/* where the last KEY frame ended, padding included */
	double base_j[OPC_TRACE_MAX_DOMAINS];	/* the baseline ENERGY record's */
};

__attribute__((format(printf, 3, 4)))
static int fail(struct rd *r, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(r->err, r->errlen, "%s: offset %zu: ", r->path, off);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < r->errlen)
		vsnprintf(r->err + n, r->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 16;

	while (c < need)
		c *= 2;
	void *q = realloc(*p, c * elem);

	if (q == NULL)
		return -ENOMEM;
	memset((char *)q + *cap * elem, 0, (c - *cap) * elem);
	*p = q;
	*cap = c;
	return 0;
}

static const char *str(const struct opc_trace *t, uint32_t id)
{
	return id < t->nstrings ? t->strings[id] : NULL;
}

static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	uint64_t x = 0;

	if (*p < end && !(**p & 0x80)) {	/* most are one byte */
		*v = *(*p)++;
		return 0;
	}

	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		unsigned char b = *(*p)++;

		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

/* a NUL-terminated string that must end inside [p, end) */
static const char *cstring(const unsigned char *p, const unsigned char *end)
{
	const unsigned char *z = memchr(p, 0, end - p);

	return z ? (const char *)p : NULL;
}

/*
 * One reader per record type: the payload p of frame fr, read from the
 * frame at offset off (for errors), into r->t.  0, or fail()'s -EINVAL
 * naming what is wrong, or -ENOMEM.
 */

static int read_info(struct rd *r, const struct opc_frame *fr, const unsigned char *p,
		     size_t off)
{
	struct opc_trace *t = r->t;
	const unsigned char *end = p + fr->size;

	while (p < end) {
		const char *s = cstring(p, end);

		if (s == NULL)
			return fail(r, off, "unterminated info string");
		if (grow((void **)&t->info, &r->caps.info, t->ninfo + 1, sizeof(char *)))
			return -ENOMEM;
		t->info[t->ninfo++] = strdup(s);
		p += strlen(s) + 1;
	}
	return 0;
}

static int read_string(struct rd *r, const struct opc_frame *fr, const unsigned char *p,
		       size_t off)
{
	struct opc_trace *t = r->t;
	struct opc_rec_string s;
	const char *text;

	if (fr->size < sizeof(s) + 1)
		return fail(r, off, "string record too short");
	memcpy(&s, p, sizeof(s));
	text = cstring(p + sizeof(s), p + fr->size);
	if (text == NULL)
		return fail(r, off, "unterminated string %u", s.id);
	/* ids are given in sequence: anything else is corruption, and a
	 * huge id must not make us allocate for it */
	if (s.id != t->nstrings)
		return fail(r, off, "string id %u out of sequence (expected %zu)", s.id,
			    t->nstrings);
	if (grow((void **)&t->strings, &r->caps.strings, s.id + 1, sizeof(char *)))
		return -ENOMEM;
	if (t->strings[s.id])
		return fail(r, off, "string id %u defined twice", s.id);
	t->strings[s.id] = strdup(text);
	if (s.id + 1 > t->nstrings)
		t->nstrings = s.id + 1;
	return 0;
}

static int read_module(struct rd *r, const struct opc_frame *fr, const unsigned char *p,
		       size_t off)
{
	struct opc_trace *t = r->t;
	struct opc_rec_module m;
	const char *path;

	if (fr->size < sizeof(m) + 1)
		return fail(r, off, "module record too short");
	memcpy(&m, p, sizeof(m));
	path = cstring(p + sizeof(m), p + fr->size);
	if (path == NULL || m.hi < m.lo)
		return fail(r, off, "malformed module record");
	if (grow((void **)&t->modules, &r->caps.modules, t->nmodules + 1, sizeof(*t->modules)))
		return -ENOMEM;
	t->modules[t->nmodules++] = (struct opc_tmodule){ m.base, m.lo, m.hi, strdup(path) };
	return 0;
}

static int read_layer(struct rd *r, const struct opc_frame *fr, const unsigned char *p,
		      size_t off)
{
	struct opc_trace *t = r->t;
	struct opc_rec_layer l;

	if (fr->size != sizeof(l))
		return fail(r, off, "layer record has size %u, expected %zu", fr->size, sizeof(l));
	memcpy(&l, p, sizeof(l));
	if (l.id == 0 || l.id != t->nlayers + 1)
		return fail(r, off, "layer id %u out of sequence", l.id);
	if (l.parent >= l.id)
		return fail(r, off, "layer %u has unknown parent %u", l.id, l.parent);
	if (!str(t, l.name) || !str(t, l.type))
		return fail(r, off, "layer %u names an undefined string", l.id);
	if (grow((void **)&t->layers, &r->caps.layers, t->nlayers + 1, sizeof(*t->layers)))
		return -ENOMEM;
	t->layers[t->nlayers++] = (struct opc_tlayer){ l.id, l.parent, str(t, l.name),
						       str(t, l.type) };
	return 0;
}

static int read_stack(struct rd *r, const struct opc_frame *fr, const unsigned char *p,
		      size_t off)
{
	struct opc_trace *t = r->t;
	struct opc_rec_stack s;
	uint64_t *frames;

	if (fr->size < sizeof(s))
		return fail(r, off, "stack record too short");
	memcpy(&s, p, sizeof(s));
	if (s.id != t->nstacks + 1)
		return fail(r, off, "stack id %u out of sequence", s.id);
	if (s.depth > 1024 || fr->size != sizeof(s) + s.depth * sizeof(uint64_t))
		return fail(r, off, "stack %u: depth %u does not match size %u", s.id, s.depth,
			    fr->size);
	frames = malloc(s.depth * sizeof(uint64_t) + 1);
	if (frames == NULL)
		return -ENOMEM;
	memcpy(frames, p + sizeof(s), s.depth * sizeof(uint64_t));
	if (grow((void **)&t->stacks, &r->caps.stacks, t->nstacks + 1, sizeof(*t->stacks)))
		return -ENOMEM;
	t->stacks[t->nstacks++] = (struct opc_tstack){ s.id, s.depth, frames };
	return 0;
}

/*
 * The keys are in memory of their own (mmap), not the heap's: grown
 * without copying (mremap), and given back as a report is done with them
 * (opc_trace_drop_keys), which a heap block cannot be in part.  Pages
 * are touched only as keys fill them.
 */
static int keys_grow(struct opc_trace *t)
{
	size_t c = t->capkeys ? 2 * t->capkeys : 4096;
	void *q;

	if (t->keys == NULL)
		q = mmap(NULL, c * sizeof(*t->keys), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else
		q = mremap(t->keys, t->capkeys * sizeof(*t->keys), c * sizeof(*t->keys),
			   MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		return -ENOMEM;
	t->keys = q;
	t->capkeys = c;
	return 0;
}

void opc_trace_drop_keys(struct opc_trace *t, size_t upto)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = upto * sizeof(*t->keys);

	len -= len % page;
	if (t->keys && len)
		madvise(t->keys, len, MADV_DONTNEED);
}

static int read_key(struct rd *r, const struct opc_frame *fr, const unsigned char *p,
		    size_t off)
{
	struct opc_trace *t = r->t;
	struct opc_rec_key k;
	struct opc_tkey *tk;

	if (fr->size != sizeof(k))
		return fail(r, off, "key record has size %u, expected %zu", fr->size, sizeof(k));
	memcpy(&k, p, sizeof(k));
	if (k.id != t->nkeys + 1)
		return fail(r, off, "key id %u out of sequence (expected %zu)", k.id,
			    t->nkeys + 1);
	if (!str(t, k.symbol) || !str(t, k.op) || !str(t, k.family) || !str(t, k.dims) ||
	    !str(t, k.flag_names))
		return fail(r, off, "key %u names an undefined string", k.id);
	if (k.layer > t->nlayers)
		return fail(r, off, "key %u refers to undefined layer %u", k.id, k.layer);
	if (k.stack > t->nstacks)
		return fail(r, off, "key %u refers to undefined stack %u", k.id, k.stack);
	if (t->nkeys == t->capkeys && keys_grow(t) < 0)
		return -ENOMEM;
	/* keys come in runs of frames: each run is where to read them again */
	if (t->nkeyruns == 0 || r->last_key_end != off) {
		if (grow((void **)&t->keyruns, &r->caps.keyruns, t->nkeyruns + 1,
			 sizeof(*t->keyruns)))
			return -ENOMEM;
		t->keyruns[t->nkeyruns++] = (struct opc_tkeyrun){ off, off, t->nkeys, fr->seq };
	}
	r->last_key_end = OPC_FRAME_ALIGN(off + sizeof(*fr) + fr->size);
	t->keyruns[t->nkeyruns - 1].end = r->last_key_end;
	tk = &t->keys[t->nkeys++];
	memset(tk, 0, sizeof(*tk));
	/* flags as written: a bit this reader does not know (a newer writer's
	 * flag) is kept and ignored, which is what makes new flags compatible */
	tk->flags = k.flags;
	tk->tid = k.tid;
	tk->layer = k.layer;
	tk->device = k.device;
	t->regions |= !!(k.flags & OPC_TKEY_REGION);
	return 0;
}

/* Interval entry i: six varints at *q (key id, calls, timed calls, busy
 * ns, FLOPs, bytes), into *e.  0, or -1 with what is wrong in why. */
static int interval_entry(const struct opc_trace *t, const unsigned char **q,
			  const unsigned char *end, uint32_t i, struct opc_tentry *e, char *why,
			  size_t len)
{
	uint64_t v[6];

	for (int j = 0; j < 6; j++)
		if (get_varint(q, end, &v[j])) {
			snprintf(why, len, "interval entry %u is malformed", i);
			return -1;
		}
	if (v[0] == 0 || v[0] > t->nkeys) {
		snprintf(why, len, "interval refers to undefined key %llu",
			 (unsigned long long)v[0]);
		return -1;
	}
	/* GPU time arrives when the device finished: later */
	if (v[2] > v[1] && !(t->keys[v[0] - 1].flags & OPC_TKEY_GPU)) {
		snprintf(why, len, "key %llu: more timed calls than calls",
			 (unsigned long long)v[0]);
		return -1;
	}
	*e = (struct opc_tentry){ (uint32_t)(v[0] - 1), v[1], v[2], v[3], v[4], v[5] };
	return 0;
}

/* The entries are checked and added to their keys' totals, in file order
 * (the sums are of integers: the order does not matter), and left in the
 * file. */
static void add_entry(struct opc_trace *t, const struct opc_tentry *e)
{
	struct opc_tkey *k = &t->keys[e->key];

	k->calls += e->calls;
	k->timed += e->timed;
	k->busy_ns += e->busy_ns;
	k->flops += e->flops;
	k->bytes += e->bytes;
	/* host calls: each entry scales its own timed calls (totals) */
	if (e->timed)
		k->busy_s += (double)e->busy_ns * e->calls / e->timed / 1e9;
	else
		k->untimed += e->calls;
}

static int read_interval(struct rd *r, const struct opc_frame *fr, const unsigned char *p,
			 size_t off)
{
	struct opc_trace *t = r->t;
	const unsigned char *end = p + fr->size;
	struct opc_rec_interval iv;
	const unsigned char *q;
	char why[128];

	if (fr->size < sizeof(iv))
		return fail(r, off, "interval record too short");
	memcpy(&iv, p, sizeof(iv));
	if (iv.t_end_ns < iv.t_begin_ns)
		return fail(r, off, "interval ends before it begins");
	if (iv.count > (fr->size - sizeof(iv)) / 6)	/* an entry is >= 6 bytes */
		return fail(r, off, "interval claims %u entries in %u bytes", iv.count, fr->size);
	if (grow((void **)&t->intervals, &r->caps.intervals, t->nintervals + 1,
		 sizeof(*t->intervals)))
		return -ENOMEM;
	q = p + sizeof(iv);
	for (uint32_t i = 0; i < iv.count; i++) {
		struct opc_tentry e;

		if (interval_entry(t, &q, end, i, &e, why, sizeof(why)))
			return fail(r, off, "%s", why);
		add_entry(t, &e);
	}
	if (q != end)
		return fail(r, off, "%zu stray bytes after interval entries", (size_t)(end - q));
	t->intervals[t->nintervals++] = (struct opc_tinterval){
		iv.t_begin_ns, iv.t_end_ns, off, iv.count, fr->size, fr->seq };
	t->nentries += iv.count;
	if (iv.t_end_ns > t->end_ns)
		t->end_ns = iv.t_end_ns;
	return 0;
}

/* OPC_REC_END and OPC_REC_EXEC: the image finished (exited or exec'd). */
static int read_end(struct rd *r, const struct opc_frame *fr, const unsigned char *p,
		    size_t off)
{
	struct opc_trace *t = r->t;
	struct opc_rec_end e;

	if (fr->size != sizeof(e))
		return fail(r, off, "end record has size %u, expected %zu", fr->size, sizeof(e));
	memcpy(&e, p, sizeof(e));
	t->ended = 1;
	/* the run went on after its last call: idle time is run time */
	if (e.t_ns > t->end_ns)
		t->end_ns = e.t_ns;
	t->dropped_calls += e.dropped_calls;
	if (e.threads > t->threads)
		t->threads = e.threads;
	return 0;
}

static int read_energy_info(struct rd *r, const struct opc_frame *fr, const unsigned char *p,
			    size_t off)
{
	struct opc_tenergy *en = &r->t->energy;
	struct opc_rec_energy_info ei;
	const unsigned char *q = p + sizeof(ei);
	const char *note;

	if (fr->size < sizeof(ei))
		return fail(r, off, "energy info record too short");
	memcpy(&ei, p, sizeof(ei));
	/* the note marks a first record even with no domain nor sample, whose
	 * note a second one would leak */
	if (en->note || en->ndom || en->nsamples)
		return fail(r, off, "second energy info record");
	if (ei.ndomains > OPC_TRACE_MAX_DOMAINS ||
	    fr->size < sizeof(ei) + ei.ndomains * sizeof(struct opc_rec_energy_domain) + 1)
		return fail(r, off, "energy info: %u domains do not fit in %u bytes", ei.ndomains,
			    fr->size);
	if (memchr(ei.source, 0, sizeof(ei.source)) == NULL)
		return fail(r, off, "energy info: unterminated source name");
	memcpy(en->source, ei.source, sizeof(en->source));
	en->measured = ei.measured;
	en->resolution_j = ei.resolution_j;
	en->ndom = ei.ndomains;
	for (uint32_t i = 0; i < ei.ndomains; i++, q += sizeof(en->dom[0])) {
		memcpy(&en->dom[i], q, sizeof(en->dom[0]));
		if (memchr(en->dom[i].name, 0, sizeof(en->dom[i].name)) == NULL)
			return fail(r, off, "energy info: unterminated domain name");
	}
	note = cstring(q, p + fr->size);
	en->note = strdup(note ? note : "");
	return en->note ? 0 : -ENOMEM;
}

static int read_energy(struct rd *r, const struct opc_frame *fr, const unsigned char *p,
		       size_t off)
{
	struct opc_trace *t = r->t;
	struct opc_tenergy *en = &t->energy;
	struct opc_rec_energy es;
	size_t i = en->nsamples;

	if (fr->size < sizeof(es))
		return fail(r, off, "energy record too short");
	memcpy(&es, p, sizeof(es));
	if (es.n != (uint32_t)en->ndom || fr->size != sizeof(es) + es.n * sizeof(double))
		return fail(r, off, "energy sample has %u domains, the source has %d", es.n,
			    en->ndom);
	if (grow((void **)&en->t_ns, &en->cap, i + 2, sizeof(uint64_t)))
		return -ENOMEM;
	/* grow() tracks one capacity: size the parallel arrays alike */
	double *j = realloc(en->joules, en->cap * (en->ndom ? en->ndom : 1) * sizeof(double));

	if (j == NULL)
		return -ENOMEM;
	en->joules = j;
	if (i == 0 && (es.flags & OPC_ENERGY_BASELINE)) {
		/* the baseline: sample 0, every later one counted from it */
		for (int d = 0; d < en->ndom; d++) {
			double v;

			memcpy(&v, p + sizeof(es) + d * sizeof(double), sizeof(v));
			if (!(v >= 0) || v > 1e15)
				return fail(r, off, "energy baseline: domain %d reads %g J", d, v);
			r->base_j[d] = v;
			en->joules[d] = 0;
		}
		en->t_ns[0] = es.t_ns;
		en->nsamples = 1;
		return 0;
	}
	if (i == 0) {	/* no baseline record: 0 J at time 0 */
		en->t_ns[0] = 0;
		for (int d = 0; d < en->ndom; d++)
			en->joules[d] = r->base_j[d] = 0;
		i = en->nsamples = 1;
	}
	if (es.t_ns < en->t_ns[i - 1])
		return fail(r, off, "energy sample goes back in time");
	en->t_ns[i] = es.t_ns;
	if (es.t_ns > t->end_ns)	/* a tick with no calls */
		t->end_ns = es.t_ns;
	for (int d = 0; d < en->ndom; d++) {
		double v;

		memcpy(&v, p + sizeof(es) + d * sizeof(double), sizeof(v));
		if (!(v >= 0) || v > 1e15)
			return fail(r, off, "energy sample: domain %d reads %g J", d, v);
		/* cumulative: a decrease is corruption, not negative energy */
		v -= r->base_j[d];
		if (v < en->joules[(i - 1) * en->ndom + d] - 1e-6)
			return fail(r, off, "energy of domain '%s' decreases", en->dom[d].name);
		en->joules[i * en->ndom + d] = v;
	}
	en->nsamples = i + 1;
	return 0;
}

static int read_sample(struct rd *r, const struct opc_frame *fr, const unsigned char *p,
		       size_t off)
{
	struct opc_trace *t = r->t;
	struct opc_rec_sample sr;
	struct opc_rec_sample_ent se;

	if (fr->size < sizeof(sr))
		return fail(r, off, "sample record too short");
	memcpy(&sr, p, sizeof(sr));
	if (fr->size != sizeof(sr) + (uint64_t)sr.count * sizeof(se))
		return fail(r, off, "sample record: %u entries do not fit in %u bytes", sr.count,
			    fr->size);
	if (grow((void **)&t->samples, &r->caps.samples, t->nsamples + sr.count,
		 sizeof(*t->samples)))
		return -ENOMEM;
	for (uint32_t i = 0; i < sr.count; i++) {
		memcpy(&se, p + sizeof(sr) + i * sizeof(se), sizeof(se));
		if (se.stack == 0 || se.stack > t->nstacks)
			return fail(r, off, "sample %u: undefined stack %u", i, se.stack);
		if (t->nsamples && se.t_ns < t->samples[t->nsamples - 1].t_ns)
			return fail(r, off, "sample %u goes back in time", i);
		t->samples[t->nsamples++] = (struct opc_tsample){ se.t_ns, se.weight_ns, se.tid,
								  se.stack, 0 };
	}
	return 0;
}

typedef int (*rec_reader)(struct rd *r, const struct opc_frame *fr, const unsigned char *p,
			  size_t off);

static const rec_reader readers[] = {
	[OPC_REC_INFO] = read_info,
	[OPC_REC_STRING] = read_string,
	[OPC_REC_MODULE] = read_module,
	[OPC_REC_LAYER] = read_layer,
	[OPC_REC_STACK] = read_stack,
	[OPC_REC_KEY] = read_key,
	[OPC_REC_INTERVAL] = read_interval,
	[OPC_REC_END] = read_end,
	[OPC_REC_EXEC] = read_end,
	[OPC_REC_ENERGY_INFO] = read_energy_info,
	[OPC_REC_ENERGY] = read_energy,
	[OPC_REC_SAMPLE] = read_sample,
};

static int read_record(struct rd *r, const struct opc_frame *fr, const unsigned char *p,
		       size_t off)
{
	/* Unknown types from newer writers of the same major format are
	 * skipped: min_version said we may read this file. */
	if (fr->type >= sizeof(readers) / sizeof(readers[0]) || readers[fr->type] == NULL)
		return 0;
	return readers[fr->type](r, fr, p, off);
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Some multi-die AMD parts expose one counter once per die: counted zones
 * that move in lockstep are one counter.  Each zone counts from its own
 * first reading, which may fall on either side of a counter update, so
 * "lockstep" is: at every sample the two differ by at most half of a
 * typical (median) interval's energy.  Two real packages drift apart by
 * far more within a few samples.  Then the total of the counted domains.
 */
static int energy_finish(struct opc_trace *t)
{
	struct opc_tenergy *en = &t->energy;
	size_t n = en->nsamples;

	if (en->source[0] == 0)
		snprintf(en->source, sizeof(en->source), "none");
	for (int a = 0; a < en->ndom; a++) {
		for (int b = a + 1; b < en->ndom && n > 2; b++) {
			int same = en->dom[a].counted && en->dom[b].counted &&
				   en->dom[a].kind == en->dom[b].kind &&
				   en->joules[(n - 1) * en->ndom + a] > 0;
			double *d = same ? malloc((n - 1) * sizeof(double)) : NULL;
			double tol;

			if (same && d == NULL)
				return -ENOMEM;
			for (size_t i = 1; same && i < n; i++)
				d[i - 1] = en->joules[i * en->ndom + a] -
					   en->joules[(i - 1) * en->ndom + a];
			if (same) {
				qsort(d, n - 1, sizeof(double), dcmp);
				tol = 0.5 * d[(n - 1) / 2];
				free(d);
				same = tol > 0;
			}
			for (size_t i = 0; same && i < n; i++)
				same = fabs(en->joules[i * en->ndom + a] -
					    en->joules[i * en->ndom + b]) <= tol;
			if (same)
				en->dom[b].counted = 0;
		}
	}
	en->total = calloc(n ? n : 1, sizeof(double));
	if (en->total == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		for (int d = 0; d < en->ndom; d++)
			if (en->dom[d].counted)
				en->total[i] += en->joules[i * en->ndom + d];
	return 0;
}

double opc_tentry_busy_s(const struct opc_trace *t, const struct opc_tentry *e)
{
	const struct opc_tkey *k = &t->keys[e->key];

	if (k->flags & OPC_TKEY_REGION)
		return e->busy_ns / 1e9;
	if (k->flags & OPC_TKEY_GPU)
		return k->timed ? (double)e->busy_ns * k->calls / k->timed / 1e9 : 0;
	if (e->timed)
		return (double)e->busy_ns * e->calls / e->timed / 1e9;
	/* no call of this key was timed in this interval: its mean */
	return k->calls ? k->busy_s * e->calls / k->calls : 0;
}

static void totals(struct opc_trace *t)
{
	for (size_t i = 0; i < t->nkeys; i++) {
		struct opc_tkey *k = &t->keys[i];

		if (k->flags & OPC_TKEY_REGION)	/* wall time, not sampled calls */
			k->busy_s = k->busy_ns / 1e9;
		else if (k->flags & OPC_TKEY_GPU)	/* GPU time arrives late: over the run */
			k->busy_s = k->timed ? (double)k->busy_ns * k->calls / k->timed / 1e9 : 0;
		else if (k->timed == 0 || k->untimed >= k->calls)
			k->busy_s = 0;
		else	/* the entries' sum: untimed ones at the mean, k->busy_s / calls */
			k->busy_s *= (double)k->calls / (k->calls - k->untimed);
	}
}

/* Offset of a valid frame with sequence number `seq` at or after `from`,
 * or 0.  Only on the error path: a byte-by-byte scan is fine. */
static size_t later_frame(struct window *w, size_t from, uint32_t seq)
{
	for (size_t at = from; at + sizeof(struct opc_frame) <= w->size; at++) {
		const unsigned char *p;
		struct opc_frame fr;

		if (window_get(w, at, sizeof(fr), &p))
			return 0;
		memcpy(&fr, p, sizeof(fr));
		if (fr.seq != seq || fr.size > w->size - at - sizeof(fr))
			continue;
		if (window_get(w, at, sizeof(fr) + fr.size, &p))
			return 0;
		if (opc_frame_crc(&fr, p + sizeof(fr)) == fr.crc)
			return at;
	}
	return 0;
}

static int region_totals(struct opc_trace *t, char *err, size_t errlen);

static int parse(struct rd *r, char *warn)
{
	struct opc_trace *t = r->t;
	struct window *w = &r->win;
	size_t size = w->size, off;
	const unsigned char *p;
	uint32_t seq = 0;
	int ret;

	if (size < 8 || (ret = window_get(w, 0, 8, &p)) || memcmp(p, OPC_TRACE_MAGIC, 8))
		return size >= 8 && ret ? ret : fail(r, 0, "not an opcount trace (bad magic)");
	if (size < sizeof(t->hdr))
		return fail(r, 0, "file too short for the header (%zu bytes)", size);
	if ((ret = window_get(w, 0, sizeof(t->hdr), &p)))
		return ret;
	memcpy(&t->hdr, p, sizeof(t->hdr));
	if (t->hdr.byte_order != OPC_BYTE_ORDER_MARK)
		return fail(r, offsetof(struct opc_file_header, byte_order), "written with a different byte order");
	if (t->hdr.min_version > OPC_TRACE_VERSION)
		return fail(r, 8, "format version %u needs a newer opcount (this one reads %u)",
			    t->hdr.version, OPC_TRACE_VERSION);
	if (t->hdr.header_size < sizeof(t->hdr) || t->hdr.header_size > size)
		return fail(r, 12, "bad header size %u", t->hdr.header_size);
	if (t->hdr.frame_header_size != sizeof(struct opc_frame))
		return fail(r, 20, "bad frame header size %u", t->hdr.frame_header_size);
	if (t->hdr.header_crc != opc_header_crc(&t->hdr))
		return fail(r, offsetof(struct opc_file_header, header_crc),
			    "header checksum mismatch (corrupt header)");

	if (grow((void **)&t->strings, &r->caps.strings, 1, sizeof(char *)))
		return -ENOMEM;
	t->nstrings = 1;
	for (off = t->hdr.header_size; off < size;) {
		struct opc_frame fr;
		size_t pad_end;

		if (size - off < sizeof(fr)) {
			t->truncated = 1;
			break;
		}
		if ((ret = window_get(w, off, sizeof(fr), &p)))
			return ret;
		memcpy(&fr, p, sizeof(fr));
		if (fr.size > OPC_FRAME_MAX)
			return fail(r, off, "frame claims %u bytes", fr.size);
		if (fr.size > size - off - sizeof(fr)) {
			/* A cut-off tail, unless valid frames follow: then the
			 * length itself is corrupt and data would be lost. */
			size_t at = later_frame(w, off + sizeof(fr), seq + 1);

			if (at)
				return fail(r, off, "frame %u claims %u bytes but a valid frame "
					    "follows at offset %zu (corrupt length)", seq, fr.size,
					    at);
			t->truncated = 1;
			break;
		}
		/* the frame, and its padding where the file has it */
		pad_end = OPC_FRAME_ALIGN(off + sizeof(fr) + fr.size) <= size ?
			  OPC_FRAME_ALIGN(off + sizeof(fr) + fr.size) : size;
		if ((ret = window_get(w, off, pad_end - off, &p)))
			return ret;
		if (opc_frame_crc(&fr, p + sizeof(fr)) != fr.crc)
			return fail(r, off, "checksum mismatch in frame %u (type %u)", fr.seq,
				    fr.type);
		if (fr.seq != seq)
			return fail(r, off, "frame %u found where %u was expected (lost data)",
				    fr.seq, seq);
		seq++;
		ret = read_record(r, &fr, p + sizeof(fr), off);
		if (ret)
			return ret;
		/* padding may be missing only at the very end of the file; no
		 * crc covers it, so it must be zeros or a flipped bit there
		 * would go unnoticed */
		p += sizeof(fr) + fr.size;
		for (off += sizeof(fr) + fr.size; off < pad_end; off++)
			if (*p++)
				return fail(r, off, "nonzero padding after frame %u", fr.seq);
	}
	if (t->truncated)
		snprintf(warn, r->errlen, "%s: incomplete last frame at offset %zu dropped "
			 "(the program was killed?); counts are complete up to %.3f s",
			 r->path, off, t->end_ns / 1e9);
	else if (!t->ended)
		snprintf(warn, r->errlen, "%s: no end record (the program did not exit "
			 "normally?); counts are complete up to %.3f s", r->path,
			 t->end_ns / 1e9);
	totals(t);
	for (size_t i = 0; i < t->nkeys; i++)
		if (t->keys[i].timed > t->keys[i].calls)
			return fail(r, off, "key %zu: more timed calls than calls in all", i + 1);
	if (t->regions && (ret = region_totals(t, r->err, r->errlen)) < 0)
		return ret;
	return energy_finish(t);
}

int opc_trace_read(const char *path, struct opc_trace *t, char *err, size_t errlen)
{
	struct rd r = { t, err, errlen, path, { 0 }, { -1, NULL, 0, 0, 0, 0 }, 0, { 0 } };
	char warn[1024] = "";
	struct stat st;
	int ret;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	err[0] = 0;
	t->path = strdup(path);
	t->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(t->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	t->size = st.st_size;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	r.win.fd = t->fd;
	r.win.size = t->size;
	ret = parse(&r, warn);
	free(r.win.buf);
	opc_trace_close(t);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	else if (ret == -EIO)
		snprintf(err, errlen, "%s: read error or the file shrank while read", path);
	else if (ret == 0 && warn[0])
		snprintf(err, errlen, "%s", warn);
	return ret;
}

void opc_trace_free(struct opc_trace *t)
{
	for (size_t i = 0; i < t->ninfo; i++)
		free(t->info[i]);
	for (size_t i = 0; i < t->nstrings; i++)
		free(t->strings[i]);
	for (size_t i = 0; i < t->nstacks; i++)
		free((void *)t->stacks[i].frames);
	for (size_t i = 0; i < t->nmodules; i++)
		free((void *)t->modules[i].path);
	opc_trace_close(t);
	free(t->info);
	free(t->strings);
	if (t->keys)
		munmap(t->keys, t->capkeys * sizeof(*t->keys));
	free(t->keyruns);
	free(t->layers);
	free(t->stacks);
	free(t->modules);
	free(t->intervals);
	free(t->excl);
	free(t->excl_at);
	free(t->samples);
	free(t->path);
	free(t->energy.note);
	free(t->energy.t_ns);
	free(t->energy.joules);
	free(t->energy.total);
	memset(t, 0, sizeof(*t));
}

/* ---- reading again: what the first read left in the file ---- */

void opc_trace_close(struct opc_trace *t)
{
	/* a trace zeroed and never read has no path and no file */
	if (t->path && t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* The file read first, open again: 0, or -EIO if it is not there. */
static int reopen(struct opc_trace *t)
{
	struct stat st;

	if (t->fd >= 0)
		return 0;
	t->fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (t->fd < 0)
		return -EIO;
	if (fstat(t->fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_dev != t->dev ||
	    (uint64_t)st.st_ino != t->ino || (uint64_t)st.st_size < t->size) {
		opc_trace_close(t);
		return -EIO;
	}
	return 0;
}

/* Reads `len` bytes at off into a buffer grown as needed: 0, -ENOMEM or
 * -EIO. */
static int read_at(int fd, uint64_t off, size_t len, unsigned char **buf, size_t *cap)
{
	size_t got = 0;

	if (len > *cap) {
		unsigned char *b = realloc(*buf, len);

		if (b == NULL)
			return -ENOMEM;
		*buf = b;
		*cap = len;
	}
	while (got < len) {
		ssize_t n = pread(fd, *buf + got, len - got, off + got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		got += n;
	}
	return 0;
}

/*
 * A frame read again must be the one read first: same type, size and
 * sequence number.  Its checksum is not computed again (it was the most
 * of the time a report took): what is read from it is checked again as
 * far as memory safety needs (ids against what is defined, lengths), so
 * a file rewritten in place meanwhile gives wrong numbers, not a crash.
 */
static int frame_again(const unsigned char *p, uint32_t type, uint32_t size, uint32_t seq)
{
	struct opc_frame fr;

	memcpy(&fr, p, sizeof(fr));
	return fr.type == type && fr.size == size && fr.seq == seq;
}

static int changed(const struct opc_trace *t, uint64_t off, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: offset %llu: the file changed while it was read", t->path,
		 (unsigned long long)off);
	return -EIO;
}

int opc_trace_entries(struct opc_trace *t, size_t c, struct opc_tentries *es, char *err,
		      size_t errlen)
{
	const struct opc_tinterval *iv = &t->intervals[c];
	struct opc_rec_interval ri;
	const unsigned char *q, *end;
	char why[128];
	int ret;

	es->n = 0;
	if (reopen(t))
		return changed(t, iv->off, err, errlen);
	ret = read_at(t->fd, iv->off, sizeof(struct opc_frame) + iv->size, &es->buf, &es->bufcap);
	if (ret == -EIO || (ret == 0 && !frame_again(es->buf, OPC_REC_INTERVAL, iv->size, iv->seq)))
		return changed(t, iv->off, err, errlen);
	if (ret)
		return ret;
	q = es->buf + sizeof(struct opc_frame);
	end = q + iv->size;
	memcpy(&ri, q, sizeof(ri));
	if (ri.count != iv->count || ri.t_begin_ns != iv->t_begin_ns ||
	    ri.t_end_ns != iv->t_end_ns)
		return changed(t, iv->off, err, errlen);
	if (iv->count > es->cap) {
		struct opc_tentry *e = realloc(es->e, iv->count * sizeof(*e));

		if (e == NULL)
			return -ENOMEM;
		es->e = e;
		es->cap = iv->count;
	}
	q += sizeof(ri);
	for (uint32_t i = 0; i < iv->count; i++)
		if (interval_entry(t, &q, end, i, &es->e[i], why, sizeof(why)))
			return changed(t, iv->off, err, errlen);
	es->n = iv->count;
	if (t->excl)	/* region keys: their own time (region_totals) */
		for (uint32_t i = 0, j = 0; i < es->n; i++)
			if (t->keys[es->e[i].key].flags & OPC_TKEY_REGION &&
			    t->excl_at[c] + j < t->excl_at[c + 1])
				es->e[i].busy_ns = t->excl[t->excl_at[c] + j++];
	return 0;
}

/*
 * A region key's time is its own only once the calls of its thread and
 * layer are taken out.  A call's time is written in the interval where it
 * ends, though it may have begun intervals before (a long call, or one
 * the scheduler stopped), while the region's time is spread over the
 * intervals it was open in: what an interval's calls hold beyond its
 * region time is taken from the intervals before it, walking back, as
 * spill-back does for threads (analysis/attribute.c).  Each region
 * entry's own time is kept (excl, by interval) for opc_trace_entries,
 * and summed into its key.  Needs the calls' totals (an interval's
 * untimed calls weigh their key's mean), hence a second walk, in traces
 * that have region keys.
 */
static int region_totals(struct opc_trace *t, char *err, size_t errlen)
{
	struct opc_tentries es = { 0 };
	size_t cap = 16, nv = 0, capv = 0, *count = NULL;
	uint64_t *ids = NULL, *vals = NULL;
	uint32_t *rk = NULL;
	double *carry = NULL, *calls = NULL;
	int ret = -ENOMEM;

	for (size_t k = 0; k < t->nkeys; k++)
		if (t->keys[k].flags & OPC_TKEY_REGION)
			cap += 2;
	while (cap & (cap - 1))
		cap++;
	ids = calloc(cap, sizeof(*ids));
	rk = calloc(cap, sizeof(*rk));
	carry = calloc(t->nkeys ? t->nkeys : 1, sizeof(*carry));
	calls = calloc(t->nkeys ? t->nkeys : 1, sizeof(*calls));
	count = calloc(t->nintervals + 1, sizeof(*count));
	t->excl_at = calloc(t->nintervals + 1, sizeof(*t->excl_at));
	if (!ids || !rk || !carry || !calls || !count || !t->excl_at)
		goto out;
	/* (thread, layer) -> its region key */
	for (size_t k = 0; k < t->nkeys; k++) {
		const struct opc_tkey *key = &t->keys[k];
		uint64_t id = (uint64_t)key->tid << 32 | key->layer;
		size_t h;

		if (!(key->flags & OPC_TKEY_REGION) || key->layer == 0)
			continue;
		for (h = opc_hash_mix64(id) & (cap - 1); ids[h] && ids[h] != id; h = (h + 1) & (cap - 1))
			;
		ids[h] = id;
		rk[h] = (uint32_t)k;
		t->keys[k].busy_ns = 0;
	}
	ret = 0;
	for (size_t c = t->nintervals; c-- > 0 && ret == 0;) {
		if ((ret = opc_trace_entries(t, c, &es, err, errlen)) < 0)
			break;
		for (size_t i = 0; i < es.n; i++) {
			const struct opc_tentry *e = &es.e[i];
			const struct opc_tkey *key = &t->keys[e->key];
			uint64_t id = (uint64_t)key->tid << 32 | key->layer;
			size_t h;

			if (key->flags & (OPC_TKEY_REGION | OPC_TKEY_NESTED | OPC_TKEY_GPU) ||
			    key->layer == 0)
				continue;
			for (h = opc_hash_mix64(id) & (cap - 1); ids[h] && ids[h] != id;
			     h = (h + 1) & (cap - 1))
				;
			if (ids[h])
				calls[rk[h]] += opc_tentry_busy_s(t, e) * 1e9;
		}
		for (size_t i = 0; i < es.n; i++) {
			const struct opc_tentry *e = &es.e[i];
			double r = (double)e->busy_ns, need;
			uint64_t own;

			if (!(t->keys[e->key].flags & OPC_TKEY_REGION))
				continue;
			need = calls[e->key] + carry[e->key];
			own = r > need ? (uint64_t)(r - need) : 0;
			carry[e->key] = need > r ? need - r : 0;
			calls[e->key] = 0;
			if (nv == capv) {
				uint64_t *q = realloc(vals, (capv ? 2 * capv : 256) * sizeof(*q));

				if (q == NULL) {
					ret = -ENOMEM;
					goto out;
				}
				vals = q;
				capv = capv ? 2 * capv : 256;
			}
			vals[nv++] = own;
			count[c]++;
			t->keys[e->key].busy_ns += own;
		}
		/* calls of a region not open in this interval: from before */
		for (size_t i = 0; i < es.n; i++)
			if (calls[es.e[i].key] != 0) {
				carry[es.e[i].key] += calls[es.e[i].key];
				calls[es.e[i].key] = 0;
			}
	}
	if (ret < 0)
		goto out;
	/* the values were kept walking back: put them in interval order */
	t->excl = malloc((nv ? nv : 1) * sizeof(*t->excl));
	if (t->excl == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t c = 0; c < t->nintervals; c++)
		t->excl_at[c + 1] = t->excl_at[c] + count[c];
	for (size_t c = t->nintervals, v = 0; c-- > 0;)
		for (size_t j = 0; j < count[c]; j++)
			t->excl[t->excl_at[c] + j] = vals[v++];
	for (size_t k = 0; k < t->nkeys; k++)
		if (t->keys[k].flags & OPC_TKEY_REGION)
			t->keys[k].busy_s = t->keys[k].busy_ns / 1e9;
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", t->path);
	if (ret < 0) {
		free(t->excl_at);
		t->excl_at = NULL;
	}
	opc_tentries_free(&es);
	free(ids);
	free(rk);
	free(carry);
	free(calls);
	free(count);
	free(vals);
	return ret;
}

void opc_tentries_free(struct opc_tentries *es)
{
	free(es->e);
	free(es->buf);
	memset(es, 0, sizeof(*es));
}

struct opc_tkeys {
	const struct opc_trace *t;
	struct window win;
	size_t run;		/* the run being read */
	uint64_t off;		/* the next frame in it */
	size_t next;		/* index of the next key */
	struct opc_tkeydef def;
	int error;
	uint64_t error_off;
};

struct opc_tkeys *opc_tkeys_open(struct opc_trace *t)
{
	struct opc_tkeys *it = calloc(1, sizeof(*it));

	if (it == NULL)
		return NULL;
	it->t = t;
	if (reopen(t))
		it->error = -EIO;
	it->win = (struct window){ t->fd, NULL, 0, 0, 0, t->size };
	it->off = t->nkeyruns ? t->keyruns[0].off : 0;
	return it;
}

static const struct opc_tkeydef *keys_fail(struct opc_tkeys *it, int error)
{
	it->error = error;
	it->error_off = it->off;
	return NULL;
}

const struct opc_tkeydef *opc_tkeys_next(struct opc_tkeys *it)
{
	const struct opc_trace *t = it->t;
	const struct opc_tkeyrun *run;
	const unsigned char *p;
	struct opc_rec_key *k = &it->def.rec;
	size_t len = OPC_FRAME_ALIGN(sizeof(struct opc_frame) + sizeof(*k));
	uint32_t seq;
	int ret;

	if (it->error || it->next >= t->nkeys)
		return NULL;
	run = &t->keyruns[it->run];
	if (it->off >= run->end) {
		if (it->run + 1 >= t->nkeyruns)
			return keys_fail(it, -EIO);
		run = &t->keyruns[++it->run];
		it->off = run->off;
	}
	/* keys of a run are in consecutive frames of one size */
	if (run->first + (it->off - run->off) / len != it->next)
		return keys_fail(it, -EIO);
	seq = run->seq + (uint32_t)(it->next - run->first);
	/* the last frame of the file may lack its padding */
	if (len > t->size - it->off)
		len = sizeof(struct opc_frame) + sizeof(*k);
	if (len > t->size - it->off)
		return keys_fail(it, -EIO);
	if ((ret = window_get(&it->win, it->off, len, &p)))
		return keys_fail(it, ret);
	if (!frame_again(p, OPC_REC_KEY, sizeof(*k), seq))
		return keys_fail(it, -EIO);
	memcpy(k, p + sizeof(struct opc_frame), sizeof(*k));
	/* what the first read checked, checked again: the names are looked up */
	if (k->id != it->next + 1 || !str(t, k->symbol) || !str(t, k->op) ||
	    !str(t, k->family) || !str(t, k->dims) || !str(t, k->flag_names) ||
	    k->layer > t->nlayers || k->stack > t->nstacks ||
	    k->flags != t->keys[it->next].flags)
		return keys_fail(it, -EIO);
	it->def.symbol = str(t, k->symbol);
	it->def.op = str(t, k->op);
	it->def.family = str(t, k->family);
	it->def.dims = str(t, k->dims);
	it->def.flag_names = str(t, k->flag_names);
	it->off += len;
	it->next++;
	return &it->def;
}

int opc_tkeys_close(struct opc_tkeys *it, char *err, size_t errlen)
{
	int ret;

	if (it == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = it->error;
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", it->t->path);
	else if (ret)
		changed(it->t, it->error_off, err, errlen);
	free(it->win.buf);
	free(it);
	return ret;
}

/* The last value given for key (a later INFO record overrides). */
const char *opc_trace_info(const struct opc_trace *t, const char *key)
{
	size_t len = strlen(key);
	const char *v = NULL;

	for (size_t i = 0; i < t->ninfo; i++)
		if (!strncmp(t->info[i], key, len) && t->info[i][len] == '=')
			v = t->info[i] + len + 1;
	return v;
}

const struct opc_tlayer *opc_trace_layer(const struct opc_trace *t, uint32_t id)
{
	return id >= 1 && id <= t->nlayers ? &t->layers[id - 1] : NULL;
}

const struct opc_tstack *opc_trace_stack(const struct opc_trace *t, uint32_t id)
{
	return id >= 1 && id <= t->nstacks ? &t->stacks[id - 1] : NULL;
}
