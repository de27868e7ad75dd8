/*
 * trace_read.c - read and validate a trace file.
 *
 * Nothing read from the file is trusted: every size is checked against
 * what remains, every id against what was defined, and every error names
 * the file and the byte offset.  A last frame cut short (the program was
 * killed mid-write) is dropped with a warning; anything else that does
 * not check out is an error.
 */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace.h"

/* Capacities of the growing arrays of the trace being read. */
struct caps {
	size_t strings, keys, key_index, layers, stacks, modules, intervals, entries, info;
	size_t samples;
};

struct rd {
	struct opc_trace *t;
	char *err;
	size_t errlen;
	const char *path;
	struct caps caps;
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
	if (grow((void **)&t->key_index, &r->caps.key_index, k.id + 1, sizeof(uint32_t)))
		return -ENOMEM;
	if (t->key_index[k.id])
		return fail(r, off, "key id %u defined twice", k.id);
	if (grow((void **)&t->keys, &r->caps.keys, t->nkeys + 1, sizeof(*t->keys)))
		return -ENOMEM;
	tk = &t->keys[t->nkeys];
	memset(tk, 0, sizeof(*tk));
	/* flags as written: a bit this reader does not know (a newer writer's
	 * flag) is kept and ignored, which is what makes new flags compatible */
	tk->rec = k;
	tk->symbol = str(t, k.symbol);
	tk->op = str(t, k.op);
	tk->family = str(t, k.family);
	tk->dims = str(t, k.dims);
	tk->flag_names = str(t, k.flag_names);
	t->key_index[k.id] = ++t->nkeys;
	if (k.id + 1 > t->key_index_len)
		t->key_index_len = k.id + 1;
	return 0;
}

/* Interval entry i: six varints at *q (key id, calls, timed calls, busy
 * ns, FLOPs, bytes), into *e. */
static int read_interval_entry(struct rd *r, const unsigned char **q, const unsigned char *end,
			       uint32_t i, size_t off, struct opc_tentry *e)
{
	const struct opc_trace *t = r->t;
	uint64_t v[6];

	for (int j = 0; j < 6; j++)
		if (get_varint(q, end, &v[j]))
			return fail(r, off, "interval entry %u is malformed", i);
	if (v[0] >= t->key_index_len || !t->key_index[v[0]])
		return fail(r, off, "interval refers to undefined key %llu",
			    (unsigned long long)v[0]);
	/* GPU time arrives when the device finished: later */
	if (v[2] > v[1] && !(t->keys[t->key_index[v[0]] - 1].rec.flags & OPC_TKEY_GPU))
		return fail(r, off, "key %llu: more timed calls than calls",
			    (unsigned long long)v[0]);
	*e = (struct opc_tentry){ t->key_index[v[0]] - 1, v[1], v[2], v[3], v[4], v[5] };
	return 0;
}

static int read_interval(struct rd *r, const struct opc_frame *fr, const unsigned char *p,
			 size_t off)
{
	struct opc_trace *t = r->t;
	const unsigned char *end = p + fr->size;
	struct opc_rec_interval iv;
	const unsigned char *q;
	int ret;

	if (fr->size < sizeof(iv))
		return fail(r, off, "interval record too short");
	memcpy(&iv, p, sizeof(iv));
	if (iv.t_end_ns < iv.t_begin_ns)
		return fail(r, off, "interval ends before it begins");
	if (iv.count > (fr->size - sizeof(iv)) / 6)	/* an entry is >= 6 bytes */
		return fail(r, off, "interval claims %u entries in %u bytes", iv.count, fr->size);
	if (grow((void **)&t->intervals, &r->caps.intervals, t->nintervals + 1,
		 sizeof(*t->intervals)) ||
	    grow((void **)&t->entries, &r->caps.entries, t->nentries + iv.count,
		 sizeof(*t->entries)))
		return -ENOMEM;
	q = p + sizeof(iv);
	for (uint32_t i = 0; i < iv.count; i++)
		if ((ret = read_interval_entry(r, &q, end, i, off, &t->entries[t->nentries + i])))
			return ret;
	if (q != end)
		return fail(r, off, "%zu stray bytes after interval entries", (size_t)(end - q));
	t->intervals[t->nintervals++] = (struct opc_tinterval){
		iv.t_begin_ns, iv.t_end_ns, t->nentries, iv.count };
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
	if (i == 0) {	/* the implicit sample at time 0 */
		en->t_ns[0] = 0;
		for (int d = 0; d < en->ndom; d++)
			en->joules[d] = 0;
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

	if (k->rec.flags & OPC_TKEY_GPU)
		return k->timed ? (double)e->busy_ns * k->calls / k->timed / 1e9 : 0;
	if (e->timed)
		return (double)e->busy_ns * e->calls / e->timed / 1e9;
	/* no call of this key was timed in this interval: its mean */
	return k->calls ? k->busy_s * e->calls / k->calls : 0;
}

static void totals(struct opc_trace *t)
{
	for (size_t i = 0; i < t->nentries; i++) {
		struct opc_tentry *e = &t->entries[i];
		struct opc_tkey *k = &t->keys[e->key];

		k->calls += e->calls;
		k->timed += e->timed;
		k->busy_ns += e->busy_ns;
		k->flops += e->flops;
		k->bytes += e->bytes;
	}
	for (size_t i = 0; i < t->nkeys; i++) {
		struct opc_tkey *k = &t->keys[i];

		k->busy_s = k->timed ? (double)k->busy_ns * k->calls / k->timed / 1e9 : 0;
	}
}

/* Offset of a valid frame with sequence number `seq` at or after `from`,
 * or 0.  Only on the error path: a byte-by-byte scan is fine. */
static size_t later_frame(const unsigned char *buf, size_t size, size_t from, uint32_t seq)
{
	for (size_t at = from; at + sizeof(struct opc_frame) <= size; at++) {
		struct opc_frame fr;

		memcpy(&fr, buf + at, sizeof(fr));
		if (fr.seq != seq || fr.size > size - at - sizeof(fr))
			continue;
		if (opc_frame_crc(&fr, buf + at + sizeof(fr)) == fr.crc)
			return at;
	}
	return 0;
}

static int parse(struct rd *r, const unsigned char *buf, size_t size, char *warn)
{
	struct opc_trace *t = r->t;
	size_t off;
	uint32_t seq = 0;

	if (size < 8 || memcmp(buf, OPC_TRACE_MAGIC, 8))
		return fail(r, 0, "not an opcount trace (bad magic)");
	if (size < sizeof(t->hdr))
		return fail(r, 0, "file too short for the header (%zu bytes)", size);
	memcpy(&t->hdr, buf, sizeof(t->hdr));
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
		int ret;

		if (size - off < sizeof(fr)) {
			t->truncated = 1;
			break;
		}
		memcpy(&fr, buf + off, sizeof(fr));
		if (fr.size > OPC_FRAME_MAX)
			return fail(r, off, "frame claims %u bytes", fr.size);
		if (fr.size > size - off - sizeof(fr)) {
			/* A cut-off tail, unless valid frames follow: then the
			 * length itself is corrupt and data would be lost. */
			size_t at = later_frame(buf, size, off + sizeof(fr), seq + 1);

			if (at)
				return fail(r, off, "frame %u claims %u bytes but a valid frame "
					    "follows at offset %zu (corrupt length)", seq, fr.size,
					    at);
			t->truncated = 1;
			break;
		}
		if (opc_frame_crc(&fr, buf + off + sizeof(fr)) != fr.crc)
			return fail(r, off, "checksum mismatch in frame %u (type %u)", fr.seq,
				    fr.type);
		if (fr.seq != seq)
			return fail(r, off, "frame %u found where %u was expected (lost data)",
				    fr.seq, seq);
		seq++;
		ret = read_record(r, &fr, buf + off + sizeof(fr), off);
		if (ret)
			return ret;
		/* padding may be missing only at the very end of the file; no
		 * crc covers it, so it must be zeros or a flipped bit there
		 * would go unnoticed */
		off += sizeof(fr) + fr.size;
		for (size_t pad_end = OPC_FRAME_ALIGN(off) <= size ? OPC_FRAME_ALIGN(off) : size;
		     off < pad_end; off++)
			if (buf[off])
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
			return fail(r, off, "key %u: more timed calls than calls in all",
				    t->keys[i].rec.id);
	return energy_finish(t);
}

int opc_trace_read(const char *path, struct opc_trace *t, char *err, size_t errlen)
{
	struct rd r = { t, err, errlen, path, { 0 } };
	unsigned char *buf = NULL;
	struct stat st;
	size_t got = 0;
	int fd, ret;

	memset(t, 0, sizeof(*t));
	err[0] = 0;
	t->path = strdup(path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	buf = malloc(st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	char warn[1024] = "";

	ret = parse(&r, buf, got, warn);
	free(buf);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
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
	free(t->info);
	free(t->strings);
	free(t->keys);
	free(t->key_index);
	free(t->layers);
	free(t->stacks);
	free(t->modules);
	free(t->intervals);
	free(t->entries);
	free(t->samples);
	free(t->path);
	free(t->energy.note);
	free(t->energy.t_ns);
	free(t->energy.joules);
	free(t->energy.total);
	memset(t, 0, sizeof(*t));
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
