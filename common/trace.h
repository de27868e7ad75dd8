/*
 * trace.h - the opcount trace file format (.opc), version 1.
 *
 * A file is a fixed header followed by framed records:
 *
 *   header   struct opc_file_header (magic, version, minimum readable
 *            version, header size, byte order, feature bitmap, ...)
 *   frame*   struct opc_frame { type, size, crc32, seq } followed by
 *            `size` bytes of payload and zeros up to a multiple of 8
 *            bytes; the crc32 covers type, size, seq and the payload
 *
 * Every frame carries its own length and checksum, so a reader validates
 * each one, and a file cut short (the program was killed) loses only its
 * last, incomplete frame.  Strings, layers, stacks and keys are interned:
 * written once, referred to by id afterwards.  Counts are written per
 * time interval (OPC_REC_INTERVAL), which is what energy samples are
 * joined on.  All integers are in the writer's byte order, recorded in
 * the header; readers reject a foreign order rather than guess.
 */
#ifndef OPC_TRACE_H
#define OPC_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "hashtab.h"

#define OPC_TRACE_MAGIC		"OPCTRACE"
#define OPC_TRACE_VERSION	1
#define OPC_TRACE_MIN_VERSION	1
#define OPC_BYTE_ORDER_MARK	0x01020304u
#define OPC_FRAME_MAX		(64u << 20)	/* larger sizes are corruption */

/* Feature bitmap: optional content present in the file. */
#define OPC_FEAT_STACKS		(1ull << 0)
#define OPC_FEAT_NESTED		(1ull << 1)	/* nested calls were recorded */
#define OPC_FEAT_SAMPLES	(1ull << 2)	/* stack samples (ptrace --stacks) */

struct opc_file_header {
	char magic[8];
	uint16_t version;
	uint16_t min_version;
	uint32_t header_size;
	uint32_t byte_order;
	uint32_t frame_header_size;
	uint64_t features;
	uint64_t start_realtime_ns;	/* CLOCK_REALTIME at time 0 */
	uint32_t pid;
	uint32_t ppid;
	uint64_t interval_ns;		/* nominal sampling period */
	uint32_t header_crc;		/* crc32 of this header with this field 0 */
	uint32_t reserved;
};

/*
 * The crc covers type, size and seq (in that order) and then the payload,
 * so a flipped bit anywhere in a frame is caught.  Frames are padded with
 * zeros to a multiple of 8 bytes (not counted in size): every frame and
 * the fixed part of every payload is 8-byte aligned.
 */
struct opc_frame {
	uint32_t type;
	uint32_t size;
	uint32_t crc;
	uint32_t seq;		/* 0, 1, 2... a gap is a lost frame */
};

#define OPC_FRAME_ALIGN(n)	(((n) + 7) & ~(size_t)7)

uint32_t opc_frame_crc(const struct opc_frame *fr, const void *payload);

enum opc_rec_type {
	OPC_REC_INFO = 1,	/* "key=value\0" strings: exe, cmdline, host... */
	OPC_REC_STRING = 2,	/* struct opc_rec_string + text + NUL */
	OPC_REC_MODULE = 3,	/* struct opc_rec_module + path + NUL */
	OPC_REC_LAYER = 4,	/* struct opc_rec_layer */
	OPC_REC_STACK = 5,	/* struct opc_rec_stack + u64 frames[] */
	OPC_REC_KEY = 6,	/* struct opc_rec_key */
	OPC_REC_INTERVAL = 7,	/* struct opc_rec_interval + varint entries */
	OPC_REC_END = 8,	/* struct opc_rec_end: the process finished */
	OPC_REC_EXEC = 9,	/* struct opc_rec_end: the process exec'd */
	OPC_REC_ENERGY_INFO = 10, /* struct opc_rec_energy_info + domains + note */
	OPC_REC_ENERGY = 11,	/* struct opc_rec_energy + double joules[n] */
	OPC_REC_SAMPLE = 12,	/* struct opc_rec_sample + opc_rec_sample_ent[count] */
};

struct opc_rec_string {
	uint32_t id;
};

struct opc_rec_module {
	uint64_t base;		/* load bias (dlpi_addr) */
	uint64_t lo, hi;	/* mapped address range of its segments */
};

struct opc_rec_layer {
	uint32_t id;		/* 0 is "no layer" and is never written */
	uint32_t parent;
	uint32_t name;		/* string ids */
	uint32_t type;
};

struct opc_rec_stack {
	uint32_t id;		/* 0 is "no stack" and is never written */
	uint32_t depth;
};

/* Key flags in a trace; also see OPC_KEY_* in preload/record.h. */
#define OPC_TKEY_NESTED		0x1
#define OPC_TKEY_OVERFLOW	0x2
#define OPC_TKEY_ESTIMATED	0x4	/* data-dependent cost: leading order */
#define OPC_TKEY_GPU		0x8	/* work on GPU `device`: busy time is GPU time */
#define OPC_TKEY_CAPTURED	0x10	/* enqueued into a CUDA graph being captured:
					   runs at the graph's launch, untimed */
#define OPC_TKEY_UNKNOWN	0x20	/* FLOPs not known (kernel launch): 0 */
#define OPC_TKEY_REJECTED	0x40	/* the library refused the arguments: no
					   work, 0 FLOPs and 0 bytes */
#define OPC_TKEY_REGION		0x100	/* not calls: the wall time of thread `tid`
					   in layer `layer` (its innermost region),
					   busy ns = that time; readers take the
					   calls of the same thread and layer in the
					   intervals out of it (trace_read.c,
					   region_totals) */
/* A reader keeps bits it does not know and ignores them (trace_read.c):
 * a new flag needs no new version as long as ignoring it is safe. */

struct opc_rec_key {
	uint32_t id;
	uint32_t symbol;	/* string ids: "cblas_dgemm" */
	uint32_t op;		/* "dgemm" */
	uint32_t family;	/* "gemm" */
	uint32_t dims;		/* "m,n,k" */
	uint32_t flag_names;	/* "ta,tb,beta" */
	uint32_t layer;
	uint32_t stack;
	uint32_t flags;
	uint8_t level;
	char prec;
	uint8_t iface;
	uint8_t device;		/* CUDA device ordinal of a GPU key */
	uint64_t site;
	uint64_t flops;		/* per call (0 for overflow keys) */
	uint64_t bytes;
	int64_t d[4];
	char f[4];
	uint32_t tid;		/* first thread that made the call */
};

/*
 * An interval payload is the header below followed by `count` entries,
 * each six unsigned LEB128 varints:
 *   key id, calls, timed calls, busy ns of the timed calls, flops, bytes
 * Busy time is measured on a sample of calls for keys whose calls are
 * short (see record.h); readers scale it by calls / timed.  GPU keys
 * (OPC_TKEY_GPU) hold GPU time, written in the interval where the device
 * finished the work, which may be later than the one that counted the
 * call: their entries may have more timed calls than calls (or calls 0),
 * and readers scale their GPU time by the key's calls / timed over the
 * whole trace.
 */
struct opc_rec_interval {
	uint64_t t_begin_ns;	/* since the header's time 0 */
	uint64_t t_end_ns;
	uint32_t count;
	uint32_t pad;
};

struct opc_rec_end {
	uint64_t t_ns;
	uint64_t dropped_calls;	/* calls that could not be keyed */
	uint32_t threads;
	uint32_t pad;
};

/*
 * The energy source of the run: written once, before the first sample.
 * Followed by `ndomains` struct opc_rec_energy_domain, then a note (how an
 * estimate was made, why a fallback happened), NUL-terminated.
 */
struct opc_rec_energy_info {
	char source[16];	/* rapl, perf, nvml, estimate, none */
	double resolution_j;	/* of one reading */
	uint32_t ndomains;
	uint8_t measured;	/* a hardware counter */
	uint8_t pad[3];
};

/* Domain kinds in a trace: the values of enum opc_energy_kind. */
#define OPC_TDOM_GPU	6	/* OPC_DOM_GPU */

struct opc_rec_energy_domain {
	char name[120];
	uint32_t kind;		/* enum opc_energy_kind (common/energy.h) */
	uint32_t counted;	/* adds to the total */
};

/*
 * A sample at a collector tick (the same time as that tick's INTERVAL):
 * each domain's cumulative joules, wrap-around already corrected.
 *
 * The first record, flagged OPC_ENERGY_BASELINE, is the baseline reading
 * and its time: the trace's energy counts from there, each later sample
 * minus it.  The library reads the counters at its first intercepted
 * call, not at time 0 (its load), and a fork child's trace starts at its
 * own first call with counters its parent has been adding to.  A trace
 * without one (written before it existed) counts from 0 J at time 0.
 */
struct opc_rec_energy {
	uint64_t t_ns;
	uint32_t n;
	uint32_t flags;		/* OPC_ENERGY_* */
};

#define OPC_ENERGY_BASELINE	1u

/*
 * Stack samples (`opcount record --ptrace --stacks`): at a tick, the
 * threads that ran outside counted calls since the previous tick were
 * stopped and unwound.  Each entry weighs its stack by that CPU time; the
 * analysis gives it that share of the interval (t_prev, t_ns] that no
 * counted call took.  The stack's frame 0 is the instruction the thread
 * was stopped at, the others return addresses.  Readers older than this
 * record skip it (unknown types are skipped).
 */
struct opc_rec_sample {
	uint32_t count;
	uint32_t pad;
};

struct opc_rec_sample_ent {
	uint64_t t_ns;		/* the tick: the end of the interval weighed */
	uint32_t tid;
	uint32_t stack;		/* a STACK record written before */
	uint64_t weight_ns;	/* CPU time outside counted calls */
};

/* ---- writer (trace_write.c) ---- */

struct opc_writer {
	int fd;
	uint32_t seq;
	int error;		/* first write error, as -errno */
	char *buf;
	size_t len, cap;
	size_t frame_start;	/* offset of the open frame's header */
};

int opc_writer_open(struct opc_writer *w, int fd, const struct opc_file_header *h);
void *opc_writer_begin(struct opc_writer *w, uint32_t type, size_t fixed);
int opc_writer_append(struct opc_writer *w, const void *p, size_t n);
int opc_writer_varint(struct opc_writer *w, uint64_t v);
void opc_writer_end(struct opc_writer *w);
int opc_writer_flush(struct opc_writer *w);
void opc_writer_release(struct opc_writer *w);

/*
 * Records both writers (the preload library's collector and the ptrace
 * tracer) produce alike.  Strings are interned: written once, as a STRING
 * record, the first time they are asked for.
 */
struct opc_strtab {
	struct opc_hashtab index;	/* string -> id */
	char **s;			/* by id - 1 */
	uint32_t cap, n;
};

uint32_t opc_writer_string(struct opc_writer *w, struct opc_strtab *t, const char *s);
void opc_strtab_free(struct opc_strtab *t);

/* Stacks (arrays of frames) are interned the same way, as STACK records. */
struct opc_stacktab {
	struct opc_hashtab index;	/* frames -> id */
	struct opc_stacktab_ent {
		uint64_t *frames;
		uint32_t depth;
	} *e;				/* by id - 1 */
	uint32_t cap, n;
};

uint32_t opc_writer_stack(struct opc_writer *w, struct opc_stacktab *t, const uint64_t *frames,
			  uint32_t depth);
void opc_stacktab_free(struct opc_stacktab *t);
void opc_writer_module(struct opc_writer *w, uint64_t base, uint64_t lo, uint64_t hi,
		       const char *path);
/* Open a KEY record with the routine's names and class filled in (their
 * strings written first); the caller fills the rest, then opc_writer_end. */
struct opc_rec_key *opc_writer_key(struct opc_writer *w, struct opc_strtab *t, uint32_t id,
				   int rid);

uint32_t opc_crc32(const void *p, size_t n);
uint32_t opc_header_crc(const struct opc_file_header *h);

/* ---- reader (trace_read.c) ---- */

/*
 * The reader holds what the analysis needs of a trace, not the trace: a
 * report of a 1 GB trace must fit in less than 1 GB.  A key is its totals
 * and the energy given to it; its record (names, shape, site, layer,
 * stack), each interval's entries and the file itself stay on disk and
 * are read again, in order, when asked for (opc_tkeys_*, opc_trace_entries),
 * and checked again: the file may have changed meanwhile.
 */
struct opc_tkey {
	/* totals over the file */
	uint64_t calls, timed, busy_ns, flops, bytes;
	/* Busy time scaled to all calls, as the sum of what each interval's
	 * entry gives (opc_tentry_busy_s): an entry with timed calls scales
	 * its own, one without takes the key's mean, so that a row's busy
	 * time is the time its energy was split by.  (Scaling the key's
	 * totals at once differs where intervals time different shares of
	 * their calls: a row's mean power then went above the source's.) */
	double busy_s;
	uint64_t untimed;	/* calls in entries with no timed call */
	/* attributed by the analysis (analysis/attribute.c) */
	double energy_j, energy_lo_j, energy_hi_j;
	uint32_t flags;		/* OPC_TKEY_*, as written */
	uint32_t tid;
	uint32_t layer;
	uint8_t device;
};

/* A key's record, read again from the file (opc_tkeys_next). */
struct opc_tkeydef {
	struct opc_rec_key rec;
	const char *symbol, *op, *family, *dims, *flag_names;
};

struct opc_tlayer {
	uint32_t id, parent;
	const char *name, *type;
};

struct opc_tstack {
	uint32_t id, depth;
	const uint64_t *frames;
};

struct opc_tmodule {
	uint64_t base, lo, hi;
	const char *path;
};

struct opc_tentry {
	uint32_t key;		/* index into keys[] */
	uint64_t calls, timed, busy_ns, flops, bytes;
};

/* An INTERVAL record: its times, and where its frame is in the file. */
struct opc_tinterval {
	uint64_t t_begin_ns, t_end_ns;
	uint64_t off;		/* of the frame */
	uint32_t count;		/* entries */
	uint32_t size;		/* of the payload */
	uint32_t seq;		/* of the frame */
};

/* Consecutive KEY frames: where they are, for reading them again. */
struct opc_tkeyrun {
	uint64_t off;		/* of the first frame */
	uint64_t end;		/* just past the last one's padding */
	size_t first;		/* index of its first key */
	uint32_t seq;		/* of its first frame */
};

struct opc_tsample {
	uint64_t t_ns, weight_ns;
	uint32_t tid, stack;
	double energy_j;	/* attributed by the analysis */
};

#define OPC_TRACE_MAX_DOMAINS 32

struct opc_tenergy {
	char source[16];
	int measured;
	double resolution_j;
	char *note;
	int ndom;
	struct opc_rec_energy_domain dom[OPC_TRACE_MAX_DOMAINS];
	/* samples: t_ns[i], joules[i * ndom + d]; an implicit (0, 0) first */
	size_t nsamples, cap;
	uint64_t *t_ns;
	double *joules;
	double *total;		/* counted domains, per sample */
};

struct opc_trace {
	char *path;
	int fd;			/* while entries or keys are read again, else -1 */
	uint64_t size;		/* of the file when it was read */
	uint64_t dev, ino;	/* which file it was */
	struct opc_tenergy energy;	/* source "none" when absent */
	struct opc_file_header hdr;
	char **info;		/* "key=value" strings */
	size_t ninfo;
	char **strings;		/* by id */
	size_t nstrings;
	struct opc_tkey *keys;	/* by id - 1 (ids are given in sequence) */
	size_t nkeys, capkeys;
	struct opc_tkeyrun *keyruns;
	size_t nkeyruns;
	struct opc_tlayer *layers;
	size_t nlayers;
	struct opc_tstack *stacks;
	size_t nstacks;
	struct opc_tmodule *modules;
	size_t nmodules;
	struct opc_tinterval *intervals;
	size_t nintervals;
	size_t nentries;	/* in all intervals */
	struct opc_tsample *samples;	/* in time order */
	size_t nsamples;
	int ended;		/* END or EXEC record present */
	int truncated;		/* incomplete last frame dropped */
	uint64_t end_ns;	/* last time seen */
	uint64_t dropped_calls;
	uint32_t threads;
	int regions;		/* some keys are OPC_TKEY_REGION */
	/* their entries' own time, by interval (the entries of interval c
	 * are excl[excl_at[c]] up to excl[excl_at[c + 1]]): what
	 * opc_trace_entries returns for them */
	uint64_t *excl;
	size_t *excl_at;
};

/*
 * Read and validate a whole trace.  Whatever it returns, free the trace
 * with opc_trace_free() afterwards.  On error returns -errno or -EINVAL
 * with a message naming the file and the offset in err.  A truncated last
 * frame is not an error: trace->truncated is set and a warning is put in
 * err (err[0] != 0 with a 0 return).
 */
int opc_trace_read(const char *path, struct opc_trace *t, char *err, size_t errlen);

void opc_trace_free(struct opc_trace *t);
/* Reading entries or keys again opens the file (the same file: its device
 * and inode are checked) and keeps it open until this, or
 * opc_trace_free: a report of a thousand traces needs no thousand files
 * open at once. */
void opc_trace_close(struct opc_trace *t);
/* The memory of keys[0..upto) goes back to the system: they read as zeros
 * afterwards.  For a last user of the keys, which walks them in order. */
void opc_trace_drop_keys(struct opc_trace *t, size_t upto);
const char *opc_trace_info(const struct opc_trace *t, const char *key);

/*
 * Interval c's entries, read again from the file into es (whose buffers
 * are reused from call to call; zero it first, free it with
 * opc_tentries_free).  0, -ENOMEM, or -EIO with a message in err when the
 * file no longer holds what opc_trace_read found there.
 */
struct opc_tentries {
	struct opc_tentry *e;
	size_t n, cap;
	unsigned char *buf;
	size_t bufcap;
};

int opc_trace_entries(struct opc_trace *t, size_t c, struct opc_tentries *es, char *err,
		      size_t errlen);
void opc_tentries_free(struct opc_tentries *es);

/*
 * The keys' records, in order (keys[i] is the i-th): open, then next until
 * it gives NULL, then close, which returns 0 when every key was read, or
 * -ENOMEM or -EIO with a message in err (the file changed).  What next
 * returns is valid until the following call.
 */
struct opc_tkeys;

struct opc_tkeys *opc_tkeys_open(struct opc_trace *t);
const struct opc_tkeydef *opc_tkeys_next(struct opc_tkeys *it);
int opc_tkeys_close(struct opc_tkeys *it, char *err, size_t errlen);

/* An interval entry's busy time in seconds, scaled from its timed calls
 * (sampled host timing), or for GPU keys by the key's timed share over
 * the whole trace (GPU time arrives when the device finished). */
double opc_tentry_busy_s(const struct opc_trace *t, const struct opc_tentry *e);
const struct opc_tlayer *opc_trace_layer(const struct opc_trace *t, uint32_t id);
const struct opc_tstack *opc_trace_stack(const struct opc_trace *t, uint32_t id);

#endif
