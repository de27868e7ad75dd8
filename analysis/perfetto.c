/*
 * perfetto.c - traces as a timeline in Chrome's trace-event JSON
 * (perfetto.h).
 *
 * A trace holds, per sampling interval, each key's calls and busy time,
 * not when each call began: a slice here is one key's busy time in one
 * interval (or bucket of intervals), placed in its thread's track from the
 * interval's start, one after the other.  Layer slices enclose the slices
 * of their calls and of their sub-layers, as long as all of them together
 * (a layer's own time outside calls is a "(other ops)" slice of its own).
 * Where an interval's slices need more time than it has (sampled timing,
 * time moved between intervals), the next interval's begin later: a track
 * never has slices that overlap without nesting.
 *
 * Events are written as text, not built as JSON objects: an hour's trace
 * makes hundreds of thousands.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flame.h"
#include "log.h"
#include "perfetto.h"
#include "util.h"

#define GPU_TID_BASE	0x7f000000u	/* a device's track: GPU_TID_BASE + ordinal */

/* A JSON string of untrusted text (opc_json_string: valid UTF-8, escaped). */
static char *json_text(const char *s)
{
	json_object *o = opc_json_string(s ? s : "");
	char *r = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return r;
}

/*
 * Times are whole microseconds of real time.  A viewer reads "ts" as a
 * double (Perfetto: ts x 1000, rounded; chrome://tracing: a JavaScript
 * number), which at today's epoch (1.8e15 us) holds a quarter of a
 * microsecond: nanoseconds in the text would be rounded, ts and dur each
 * its own way, and a slice could end past the one that holds it.  Whole
 * microseconds are exact, and a slice's begin and end both rounded down
 * (floor is monotone) keep every slice inside its parent and after its
 * predecessor.  The exact time is in the args (busy_s).
 */
static void put_span(uint64_t begin_ns, uint64_t end_ns)
{
	printf("\"ts\":%" PRIu64 ",\"dur\":%" PRIu64, begin_ns / 1000,
	       end_ns / 1000 - begin_ns / 1000);
}

static void put_ts(uint64_t ns)
{
	printf("\"ts\":%" PRIu64, ns / 1000);
}

struct track {
	uint32_t tid;		/* as written: the thread's, or GPU_TID_BASE + device */
	uint64_t cursor;	/* ns since the trace's time 0: where the next slice may begin */
};

/* One key's sums over a bucket of intervals. */
struct acc {
	uint64_t calls, flops, bytes, busy_ns;
	int used;
};

struct pf {
	struct opc_trace *t;
	uint32_t pid;
	uint64_t base_ns;	/* start_realtime_ns */
	size_t nkeys;
	char **kname;		/* JSON text of the key's slice name */
	uint32_t *klayer;	/* index + 1 into t->layers; 0: none */
	uint32_t *ktrack;	/* index into tracks */
	char **lname;		/* JSON text of the layer's path, by index */
	uint32_t *lparent;	/* index + 1; 0: a root */
	struct track *tracks;
	size_t ntracks;
	struct acc *acc;
	uint32_t *touched;
	size_t ntouched;
	/* a bucket's layers (by index): inclusive ns, tree, calls run */
	uint64_t *lincl;
	uint32_t *lfirst, *lnext, *lrun_lo, *lrun_hi;
	char *lin;		/* in this track's tree */
	uint32_t *lset;
	size_t nlset;
	size_t events;
	int first;		/* no event written yet */
};

static void ev_begin(struct pf *f)
{
	fputs(f->first ? "\n" : ",\n", stdout);
	f->first = 0;
	f->events++;
}

static uint32_t track_of(struct pf *f, uint32_t tid)
{
	for (size_t i = f->ntracks; i-- > 0;)
		if (f->tracks[i].tid == tid)
			return (uint32_t)i;
	struct track *v = realloc(f->tracks, (f->ntracks + 1) * sizeof(*v));

	if (v == NULL)
		return UINT32_MAX;
	f->tracks = v;
	f->tracks[f->ntracks] = (struct track){ tid, 0 };
	return (uint32_t)f->ntracks++;
}

/* The layers' indices and paths, and each key's name, layer and track. */
static int pf_keys(struct pf *f, char *err, size_t errlen)
{
	struct opc_trace *t = f->t;
	struct opc_tkeys *it;
	const struct opc_tkeydef *d;
	char path[2048];
	int ret = 0;

	f->nkeys = t->nkeys;
	f->kname = calloc(t->nkeys + 1, sizeof(*f->kname));
	f->klayer = calloc(t->nkeys + 1, sizeof(*f->klayer));
	f->ktrack = calloc(t->nkeys + 1, sizeof(*f->ktrack));
	f->acc = calloc(t->nkeys + 1, sizeof(*f->acc));
	f->touched = calloc(t->nkeys + 1, sizeof(*f->touched));
	f->lname = calloc(t->nlayers + 1, sizeof(*f->lname));
	f->lparent = calloc(t->nlayers + 1, sizeof(*f->lparent));
	f->lincl = calloc(t->nlayers + 1, sizeof(*f->lincl));
	f->lfirst = calloc(t->nlayers + 1, sizeof(*f->lfirst));
	f->lnext = calloc(t->nlayers + 1, sizeof(*f->lnext));
	f->lrun_lo = calloc(t->nlayers + 1, sizeof(*f->lrun_lo));
	f->lrun_hi = calloc(t->nlayers + 1, sizeof(*f->lrun_hi));
	f->lin = calloc(t->nlayers + 1, 1);
	f->lset = calloc(t->nlayers + 1, sizeof(*f->lset));
	if (!f->kname || !f->klayer || !f->ktrack || !f->acc || !f->touched || !f->lname ||
	    !f->lparent || !f->lincl || !f->lfirst || !f->lnext || !f->lrun_lo || !f->lrun_hi ||
	    !f->lin || !f->lset)
		return -1;
	for (size_t i = 0; i < t->nlayers; i++) {
		const struct opc_tlayer *pl = opc_trace_layer(t, t->layers[i].parent);

		opc_layer_path(t, t->layers[i].id, path, sizeof(path));
		if ((f->lname[i] = json_text(path)) == NULL)
			return -1;
		f->lparent[i] = pl ? (uint32_t)(pl - t->layers) + 1 : 0;
	}
	it = opc_tkeys_open(t);
	for (size_t ki = 0; it && (d = opc_tkeys_next(it)); ki++) {
		const struct opc_tkey *k = &t->keys[ki];
		const struct opc_tlayer *l = opc_trace_layer(t, d->rec.layer);

		f->kname[ki] = json_text(k->flags & OPC_TKEY_REGION ? "(other ops)" : d->op);
		f->klayer[ki] = l ? (uint32_t)(l - t->layers) + 1 : 0;
		f->ktrack[ki] = track_of(f, k->flags & OPC_TKEY_GPU ? GPU_TID_BASE + k->device :
					 k->tid);
		if (f->kname[ki] == NULL || f->ktrack[ki] == UINT32_MAX) {
			ret = -1;
			break;
		}
	}
	if (opc_tkeys_close(it, err, errlen) < 0 && ret == 0)
		ret = -2;
	return ret;
}

static void pf_free(struct pf *f)
{
	for (size_t i = 0; f->kname && i < f->nkeys; i++)
		free(f->kname[i]);
	for (size_t i = 0; f->lname && i < f->t->nlayers; i++)
		free(f->lname[i]);
	free(f->kname);
	free(f->klayer);
	free(f->ktrack);
	free(f->acc);
	free(f->touched);
	free(f->lname);
	free(f->lparent);
	free(f->lincl);
	free(f->lfirst);
	free(f->lnext);
	free(f->lrun_lo);
	free(f->lrun_hi);
	free(f->lin);
	free(f->lset);
	free(f->tracks);
}

static struct pf *sorting;

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* touched keys by track, then layer, then key */
static int touched_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	const struct pf *f = sorting;

	if (f->ktrack[x] != f->ktrack[y])
		return f->ktrack[x] < f->ktrack[y] ? -1 : 1;
	if (f->klayer[x] != f->klayer[y])
		return f->klayer[x] < f->klayer[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void slice(struct pf *f, uint32_t tid, const char *cat, const char *name, uint64_t at,
		  uint64_t dur)
{
	ev_begin(f);
	printf("{\"ph\":\"X\",\"cat\":\"%s\",\"name\":%s,\"pid\":%u,\"tid\":%u,", cat, name,
	       f->pid, tid);
	put_span(f->base_ns + at, f->base_ns + at + dur);
}

/* A key's slice at `at`: its time. */
static uint64_t key_slice(struct pf *f, uint32_t tid, uint32_t k, uint64_t at)
{
	const struct acc *a = &f->acc[k];

	slice(f, tid, "call", f->kname[k], at, a->busy_ns);
	printf(",\"args\":{\"calls\":%" PRIu64 ",\"busy_s\":%" PRIu64 ".%09u,\"flops\":%" PRIu64
	       ",\"bytes\":%" PRIu64 "}}", a->calls, a->busy_ns / 1000000000,
	       (unsigned)(a->busy_ns % 1000000000), a->flops, a->bytes);
	return at + a->busy_ns;
}

/* Layer li's slice at `at`, its sub-layers' inside, then its calls. */
static uint64_t layer_slice(struct pf *f, uint32_t tid, const uint32_t *keys, uint32_t li,
			    uint64_t at)
{
	uint64_t end = at;

	slice(f, tid, "layer", f->lname[li], at, f->lincl[li]);
	printf(",\"args\":{\"busy_s\":%" PRIu64 ".%09u}}", f->lincl[li] / 1000000000,
	       (unsigned)(f->lincl[li] % 1000000000));
	for (uint32_t c = f->lfirst[li]; c; c = f->lnext[c - 1])
		end = layer_slice(f, tid, keys, c - 1, end);
	for (uint32_t i = f->lrun_lo[li]; i < f->lrun_hi[li]; i++)
		end = key_slice(f, tid, keys[i], end);
	return at + f->lincl[li];
}

/* The slices of one track's keys, keys[0..n) (sorted by layer), from t0. */
static uint64_t track_slices(struct pf *f, uint32_t tid, const uint32_t *keys, size_t n,
			     uint64_t t0, int gpu)
{
	uint64_t at = t0;
	size_t i = 0;

	f->nlset = 0;
	if (!gpu) {
		/* the layers of these keys and their ancestors, inclusive time */
		for (size_t j = 0; j < n; j++) {
			uint32_t l = f->klayer[keys[j]];

			if (l == 0) {
				i = j + 1;	/* calls outside layers come first */
				continue;
			}
			if (!f->lin[l - 1] || f->lrun_hi[l - 1] != j) {
				if (!f->lin[l - 1]) {
					f->lin[l - 1] = 1;
					f->lset[f->nlset++] = l - 1;
					f->lincl[l - 1] = 0;
					f->lfirst[l - 1] = 0;
				}
				f->lrun_lo[l - 1] = (uint32_t)j;
			}
			f->lrun_hi[l - 1] = (uint32_t)j + 1;
			for (uint32_t a = l; a; a = f->lparent[a - 1]) {
				if (!f->lin[a - 1]) {
					f->lin[a - 1] = 1;
					f->lset[f->nlset++] = a - 1;
					f->lincl[a - 1] = 0;
					f->lfirst[a - 1] = 0;
					f->lrun_lo[a - 1] = f->lrun_hi[a - 1] = 0;
				}
				f->lincl[a - 1] += f->acc[keys[j]].busy_ns;
			}
		}
		/* children lists, in order of index (the trace's order) */
		for (size_t s = f->nlset; s-- > 0;) {
			uint32_t li = f->lset[s], pa = f->lparent[li];

			if (pa) {
				f->lnext[li] = f->lfirst[pa - 1];
				f->lfirst[pa - 1] = li + 1;
			}
		}
		/* calls outside any layer, then the layers from the roots */
		for (size_t j = 0; j < i; j++)
			at = key_slice(f, tid, keys[j], at);
		for (size_t s = 0; s < f->nlset; s++)
			if (f->lparent[f->lset[s]] == 0)
				at = layer_slice(f, tid, keys, f->lset[s], at);
		for (size_t s = 0; s < f->nlset; s++)
			f->lin[f->lset[s]] = 0;
		return at;
	}
	for (; i < n; i++)
		at = key_slice(f, tid, keys[i], at);
	return at;
}

static void counter(struct pf *f, const char *name, uint64_t at, double v)
{
	ev_begin(f);
	printf("{\"ph\":\"C\",\"name\":\"%s\",\"pid\":%u,", name, f->pid);
	put_ts(f->base_ns + at);
	printf(",\"args\":{\"value\":%.9g}}", isfinite(v) ? v : 0);
}

/* Intervals [c0, c1) as one: counters, then each track's slices. */
static void bucket(struct pf *f, size_t c0, size_t c1, struct opc_tentries *es, int *bad)
{
	struct opc_trace *t = f->t;
	uint64_t b = t->intervals[c0].t_begin_ns, e = t->intervals[c1 - 1].t_end_ns;
	uint64_t flops = 0, bytes = 0;
	char err[512];

	f->ntouched = 0;
	for (size_t c = c0; c < c1; c++) {
		if (opc_trace_entries(t, c, es, err, sizeof(err)) < 0) {
			pr_err("%s", opc_tty(err));
			*bad = 1;
			return;
		}
		for (size_t i = 0; i < es->n; i++) {
			const struct opc_tentry *en = &es->e[i];
			struct acc *a = &f->acc[en->key];
			double busy = opc_tentry_busy_s(t, en);

			if (t->keys[en->key].flags & OPC_TKEY_NESTED)
				continue;	/* inside its outer call's slice */
			if (!a->used) {
				*a = (struct acc){ 0 };
				a->used = 1;
				f->touched[f->ntouched++] = en->key;
			}
			a->calls += en->calls;
			a->flops += en->flops;
			a->bytes += en->bytes;
			a->busy_ns += busy > 0 && isfinite(busy) ? (uint64_t)llround(busy * 1e9) : 0;
			if (!(t->keys[en->key].flags & OPC_TKEY_REGION)) {
				flops += en->flops;
				bytes += en->bytes;
			}
		}
	}
	if (e > b) {
		counter(f, "FLOP/s", b, flops / ((e - b) / 1e9));
		counter(f, "bytes/s", b, bytes / ((e - b) / 1e9));
	}
	sorting = f;
	qsort(f->touched, f->ntouched, sizeof(*f->touched), touched_cmp);
	for (size_t i = 0, j; i < f->ntouched; i = j) {
		uint32_t tr = f->ktrack[f->touched[i]];
		struct track *k = &f->tracks[tr];
		uint64_t t0 = k->cursor > b ? k->cursor : b;

		for (j = i; j < f->ntouched && f->ktrack[f->touched[j]] == tr; j++)
			;
		k->cursor = track_slices(f, k->tid, f->touched + i, j - i, t0,
					 k->tid >= GPU_TID_BASE);
	}
	for (size_t i = 0; i < f->ntouched; i++)
		f->acc[f->touched[i]].used = 0;
}

/* Each domain's mean power between samples i0 and i1. */
static void power(struct pf *f, size_t i0, size_t i1, char **dname)
{
	const struct opc_tenergy *en = &f->t->energy;
	double dt = (en->t_ns[i1] - en->t_ns[i0]) / 1e9;

	if (dt <= 0)
		return;
	ev_begin(f);
	printf("{\"ph\":\"C\",\"name\":\"power W%s\",\"pid\":%u,",
	       en->measured ? "" : " (estimated)", f->pid);
	put_ts(f->base_ns + en->t_ns[i0]);
	printf(",\"args\":{");
	for (int d = 0; d < en->ndom; d++)
		printf("%s%s:%.9g", d ? "," : "", dname[d],
		       (en->joules[i1 * en->ndom + d] - en->joules[i0 * en->ndom + d]) / dt);
	printf("}}");
}

static int one_trace(struct pf *f, size_t k, size_t *nbad)
{
	struct opc_trace *t = f->t;
	struct opc_tentries es = { 0 };
	const struct opc_tenergy *en = &t->energy;
	char err[1024], *dname[OPC_TRACE_MAX_DOMAINS] = { 0 }, name[1024], *cmd;
	const char *rank = opc_trace_info(t, "rank"), *cmdline = opc_trace_info(t, "cmdline");
	int bad = 0, ret;

	snprintf(name, sizeof(name), "%.900s (pid %u%s%.20s)", cmdline ? cmdline : "?",
		 t->hdr.pid, rank ? ", rank " : "", rank ? rank : "");
	cmd = json_text(name);

	ret = pf_keys(f, err, sizeof(err));
	if (ret == -2)
		pr_err("%s", opc_tty(err));
	if (ret < 0 || cmd == NULL) {
		free(cmd);
		return ret == -2 ? -2 : -1;
	}
	ev_begin(f);
	printf("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%u,\"args\":{\"name\":%s}}",
	       f->pid, cmd);
	free(cmd);
	for (size_t i = 0; i < f->ntracks; i++) {
		ev_begin(f);
		if (f->tracks[i].tid >= GPU_TID_BASE)
			printf("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%u,\"tid\":%u,"
			       "\"args\":{\"name\":\"GPU %u\"}}", f->pid, f->tracks[i].tid,
			       f->tracks[i].tid - GPU_TID_BASE);
		else
			printf("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%u,\"tid\":%u,"
			       "\"args\":{\"name\":\"thread %u\"}}", f->pid, f->tracks[i].tid,
			       f->tracks[i].tid);
	}
	for (size_t c = 0; c < t->nintervals && !bad; c += k)
		bucket(f, c, c + k < t->nintervals ? c + k : t->nintervals, &es, &bad);
	opc_tentries_free(&es);
	opc_trace_close(t);
	for (int d = 0; d < en->ndom; d++)
		if ((dname[d] = json_text(en->dom[d].name)) == NULL)
			bad = 1;
	/* power over the same buckets: every k-th sample (and the last) */
	for (size_t i = 0; !bad && en->ndom && i + 1 < en->nsamples; i += k)
		power(f, i, i + k < en->nsamples ? i + k : en->nsamples - 1, dname);
	for (int d = 0; d < en->ndom; d++)
		free(dname[d]);
	if (bad)
		(*nbad)++;
	return bad ? -2 : 0;
}

/* Notes on what a trace lacks, into the metadata. */
static void trace_meta(const struct opc_trace *t, uint32_t pid, size_t k, int comma)
{
	int n = 0;
	char *path = json_text(t->path);

	printf("%s\n    {\"path\":%s,\"pid\":%u,\"start_realtime_ns\":%" PRIu64
	       ",\"intervals\":%zu,\"intervals_per_bucket\":%zu,\"energy_source\":\"%s\","
	       "\"missing\":[", comma ? "," : "", path ? path : "null", pid,
	       t->hdr.start_realtime_ns, t->nintervals, k,
	       t->energy.ndom && t->energy.nsamples > 1 ? "measured-or-estimated" : "none");
	free(path);
	if (!(t->energy.ndom && t->energy.nsamples > 1))
		printf("%s\"energy: no energy source in this trace, no power counter\"", n++ ? "," : "");
	if (t->nlayers == 0)
		printf("%s\"layers: no annotated regions, no layer slices\"", n++ ? "," : "");
	if (t->nintervals == 0)
		printf("%s\"intervals: no sampling interval, no slices\"", n++ ? "," : "");
	if (t->nstacks == 0)
		printf("%s\"stacks: not recorded (not needed by the timeline)\"", n++ ? "," : "");
	printf("]}");
}

/*
 * What a bucket can hold at most: a slice per key, a layer slice per
 * layer and track, and the counters.  The distinct tracks (threads and
 * devices) of the keys are counted once.
 */
static size_t bucket_cap(const struct opc_trace *t)
{
	uint64_t *v = malloc((t->nkeys + 1) * sizeof(*v));
	size_t tracks = 0;

	if (v == NULL)
		return t->nkeys + t->nlayers * t->nkeys + 3;
	for (size_t i = 0; i < t->nkeys; i++)
		v[i] = t->keys[i].flags & OPC_TKEY_GPU ? (1ull << 32) | t->keys[i].device :
			t->keys[i].tid;
	qsort(v, t->nkeys, sizeof(*v), u64_cmp);
	for (size_t i = 0; i < t->nkeys; i++)
		tracks += i == 0 || v[i] != v[i - 1];
	free(v);
	return t->nkeys + t->nlayers * tracks + 3;
}

/* The deepest nesting of the trace's layers (a key's slice has that many
 * layer slices above it at most). */
static size_t layer_depth(const struct opc_trace *t)
{
	size_t max = 0;

	for (size_t i = 0; i < t->nlayers; i++) {
		size_t d = 1;

		/* (the reader has parents before children: no loop; bounded anyway) */
		for (const struct opc_tlayer *l = &t->layers[i];
		     l->parent && d <= t->nlayers && (l = opc_trace_layer(t, l->parent)); d++)
			;
		if (d > max)
			max = d;
	}
	return max;
}

/*
 * k, the intervals merged into a bucket: 1 when every interval fits in
 * max_events (an event per entry and per layer above it, and the
 * counters: a bound), else the fewest that make (buckets x what a bucket
 * can hold) fit, summed over the traces.  A bucket's events are at most
 * bucket_cap whatever k is, so the bound holds for any k found.
 */
static size_t buckets_k(const struct opc_profile *p, size_t max_events)
{
	size_t *cap = calloc(p->ntraces + 1, sizeof(*cap)), lo = 1, hi = 1;
	double all = 0;

	if (max_events == 0 || cap == NULL) {
		free(cap);
		return 1;
	}
	for (size_t i = 0; i < p->ntraces; i++) {
		const struct opc_trace *t = &p->traces[i];

		cap[i] = bucket_cap(t);
		all += (double)t->nentries * (1 + layer_depth(t)) + 3.0 * t->nintervals;
		if (t->nintervals > hi)
			hi = t->nintervals;
	}
	if (all <= (double)max_events) {
		free(cap);
		return 1;
	}
	while (lo < hi) {	/* the events' bound falls as k grows */
		size_t mid = lo + (hi - lo) / 2;
		double ev = 0;

		for (size_t i = 0; i < p->ntraces; i++)
			ev += (double)((p->traces[i].nintervals + mid - 1) / mid) * cap[i];
		if (ev <= (double)max_events)
			hi = mid;
		else
			lo = mid + 1;
	}
	free(cap);
	return lo;
}

int opc_perfetto(struct opc_profile *p, size_t max_events)
{
	size_t *per = calloc(p->ntraces + 1, sizeof(size_t)), nbad = 0;
	struct pf f = { .first = 1 };
	int ret = 0;

	if (per == NULL) {
		pr_err("out of memory");
		return -1;
	}
	size_t k = buckets_k(p, max_events);

	printf("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[");
	for (size_t i = 0; i < p->ntraces && ret == 0; i++) {
		uint32_t pid = p->traces[i].hdr.pid;

		/* two traces of one pid (ranks on two nodes): apart */
		for (size_t j = 0; j < i; j++)
			if (per[j] == pid)
				pid = (uint32_t)(0x40000000u + i);
		per[i] = pid;
		size_t written = f.events;
		int first = f.first;

		memset(&f, 0, sizeof(f));
		f.events = written;
		f.first = first;
		f.t = &p->traces[i];
		f.pid = pid;
		f.base_ns = f.t->hdr.start_realtime_ns;
		ret = one_trace(&f, k, &nbad);
		pf_free(&f);
		if (ret == -2)
			ret = 0;	/* said; the other traces still go out */
	}
	printf("\n],\n\"metadata\":{\"producer\":\"opcount " OPC_VERSION "\",\n"
	       "  \"clock\":\"ts: CLOCK_REALTIME in whole microseconds (each trace's "
	       "start_realtime_ns plus its offsets, rounded down): traces of one job line up; "
	       "args.busy_s is exact\",\n"
	       "  \"slices\":\"a call slice is one key (routine, site, shape, thread) in one "
	       "sampling interval: its busy time there, its calls counted in args; single calls "
	       "are not recorded and none is invented. Slices are placed from the interval's "
	       "start one after the other (the order within an interval is not recorded); a "
	       "layer slice holds its sub-layers' and its calls' slices and its own time outside "
	       "calls as '(other ops)'; GPU work is on a track per device\",\n"
	       "  \"counters\":\"power W per energy domain (mean over each interval), FLOP/s and "
	       "bytes/s of the calls (sums over the interval / its length)\",\n"
	       "  \"decimation\":\"without decimation, at most an event per interval entry, per "
	       "layer above it and per counter; where that exceeds max_events, k consecutive "
	       "intervals are merged into one bucket, k the smallest with buckets x (keys + layers "
	       "x tracks + 3 counters) <= max_events summed over the traces; slices and counters "
	       "are sums and means over the bucket, never samples of it\",\n"
	       "  \"max_events\":%zu,\"intervals_per_bucket\":%zu,\"events\":%zu,\n"
	       "  \"traces\":[", max_events, k, f.events);
	for (size_t i = 0; i < p->ntraces; i++)
		trace_meta(&p->traces[i], (uint32_t)per[i], k, i > 0);
	printf("]}}\n");
	free(per);
	if (ret == 0 && nbad)
		ret = -1;
	return ret;
}
