/*
 * profile.h - traces loaded for analysis, and their keys grouped into rows.
 */
#ifndef OPC_PROFILE_H
#define OPC_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "hashtab.h"
#include "ranks.h"
#include "trace.h"

enum opc_group {
	OPC_BY_SITE,
	OPC_BY_LAYER,
	OPC_BY_OP,
	OPC_BY_TYPE,
	OPC_BY_KEY,
	OPC_BY_PATH,
	OPC_BY_DEVICE,		/* cpu, gpu0, gpu1... */
	OPC_BY_RANK,		/* a distributed job's rank */
	OPC_BY_NODE,		/* host name (+ boot id) */
};

/*
 * A row: what its keys add up to, and their labels.  A report --by key of
 * millions of keys makes millions of rows, so a row holds no text of its
 * own: its labels are those of its first key (a set of strings the
 * profile holds once, however many rows share them), "*" where its keys
 * differ (the MIXED_* bits), and its group is made again from them when
 * asked for (opc_row_group).  Read them with the opc_row_* functions.
 */
struct opc_row {
	uint64_t calls, flops, bytes;
	double busy_s;		/* host time of CPU work + GPU time of GPU work */
	double gpu_s;		/* the GPU part of busy_s */
	double energy_j, energy_lo_j, energy_hi_j;
	uint64_t shape;		/* 1 + its offset in the profile's shapes; 0: none */
	uint32_t labels;	/* the first key's label set */
	uint32_t trace;		/* the first key's trace */
	uint32_t stack;		/* 1 + its stack's frames in the profile's frames (--stacks) */
	uint32_t bits;		/* OPC_ROW_* */
};

#define OPC_ROW_NESTED		(1u << 0)
#define OPC_ROW_ESTIMATED	(1u << 1)
#define OPC_ROW_OVERFLOW	(1u << 2)
#define OPC_ROW_OUTSIDE		(1u << 3)
#define OPC_ROW_CAPTURED	(1u << 4)
#define OPC_ROW_UNKNOWN		(1u << 5)
#define OPC_ROW_REJECTED	(1u << 6)	/* calls the library refused: a row of their own */
#define OPC_ROW_REGION		(1u << 7)	/* time in layer regions outside calls: "(other ops)" */
#define OPC_ROW_MIXED_OP	(1u << 8)	/* the keys differ: "*" */
#define OPC_ROW_MIXED_TYPE	(1u << 9)
#define OPC_ROW_MIXED_LAYER	(1u << 10)
#define OPC_ROW_MIXED_PATH	(1u << 11)
#define OPC_ROW_MIXED_SITE	(1u << 12)
#define OPC_ROW_MIXED_IFACE	(1u << 13)
#define OPC_ROW_MIXED_SHAPE	(1u << 14)
#define OPC_ROW_MIXED_DEVICE	(1u << 15)
#define OPC_ROW_MIXED_RANK	(1u << 16)
#define OPC_ROW_MIXED_NODE	(1u << 17)

/* The labels of a key, as string ids in the profile's pool (0: none). */
struct opc_label_set {
	uint32_t op, type, layer, path, site, iface, device;
	uint32_t rank, node;	/* of the key's trace: "3", its node's label */
};

/* What each trace adds up to (its keys that make the totals). */
struct opc_trace_sum {
	uint64_t calls, flops;
	double busy_s;
	double energy_j;	/* attributed to its keys */
};

/* A node's energy in the report: counted once (opc_attribute_node) when
 * its traces were attributed jointly. */
struct opc_node_sum {
	int have_energy;
	int once;		/* a machine-wide counter: its energy counted once */
	int joint;		/* ... shared by several traces */
	size_t ntraces;		/* with energy */
	double energy_j, outside_j, covered_s;
	double gpu_j;		/* of energy_j, the GPUs' */
	size_t ngpu;		/* GPUs read (0: none) */
};

struct opc_profile {
	struct opc_trace *traces;
	size_t ntraces;
	struct opc_row *rows;
	size_t nrows;
	enum opc_group by;	/* of the rows */
	/* what rows refer to: label strings (by id - 1), label sets, shapes */
	char **strs;
	size_t *strlens;
	size_t nstrs, capstrs, caplens;
	struct opc_hashtab strs_index;
	struct opc_label_set *sets;
	size_t nsets, capsets;
	struct opc_hashtab sets_index;
	char *shapes;
	size_t shapes_len, shapes_cap;
	uint32_t *frames;	/* the rows' stacks (--stacks): depth, then string ids */
	size_t nframes, capframes;
	/* totals over rows that are not nested */
	uint64_t calls, flops, bytes;
	double busy_s, gpu_s;
	double duration_s;	/* longest trace */
	double energy_s;	/* longest time covered by energy samples */
	double layers_j;	/* energy of layers' own time (region rows) */
	/* closure over every interval of every trace (attribute.h) */
	double closure_worst_j, closure_worst_rel;
	size_t closure_intervals;
	int estimated;		/* some counted FLOPs are estimates */
	int unknown;		/* some calls' FLOPs are not known (0 counted) */
	int comm;		/* some rows are communication (MPI, NCCL) */
	int sampled;		/* some busy times were sampled */
	int gpu;		/* some work ran on a GPU */
	int gpu_untimed;	/* some GPU calls have no GPU time */
	int captured;		/* some GPU calls went into a CUDA graph */
	int rejected;		/* some calls were refused by the library */
	int region;		/* some rows are layers' time outside calls */
	int overflow;		/* some keys were merged over OPCOUNT_MAX_KEYS */
	/* energy */
	int have_energy;	/* some trace has samples */
	int measured;		/* every trace with samples read a hardware counter */
	int overlap;		/* machine-wide energy of traces overlapping in time */
	char source[32];
	char *note;		/* the first trace's energy note */
	double energy_j, outside_j, outside_lo_j, outside_hi_j;
	double idle_w;		/* idle baseline power, < 0 if not measured */
	double static_j;	/* idle_w x time covered by energy samples */
	/* distributed jobs: ranks and nodes (job.h) */
	struct opc_ranks job;
	struct opc_trace_sum *sums;	/* per trace */
	struct opc_node_sum *nodes;	/* per job.nodes */
};

#define OPC_LOAD_ALLOW_MIXED	1	/* traces of several jobs reported together */

int opc_group_parse(const char *s, enum opc_group *g);
const char *opc_group_name(enum opc_group g);

/* Load traces; prints warnings, returns -1 after printing an error. */
int opc_profile_load(struct opc_profile *p, char **paths, int npaths);
/* The same, with OPC_LOAD_* flags. */
int opc_profile_load_flags(struct opc_profile *p, char **paths, int npaths, unsigned flags);
/* Group the keys of the traces into rows.  It is the keys' last user: as
 * it counts them, their memory goes (opc_trace_drop_keys). */
int opc_profile_group(struct opc_profile *p, enum opc_group by, int want_stacks);
void opc_profile_free(struct opc_profile *p);

/* "dgemm m=64 n=64 k=64 ta=N tb=N beta=1" */
size_t opc_key_shape(const struct opc_tkeydef *k, char *buf, size_t len);	/* its length */

/* A row's labels: "*" where its keys differ; layer and layer_path NULL
 * for calls outside any layer, shape NULL unless grouped --by key. */
const char *opc_row_op(const struct opc_profile *p, const struct opc_row *r);
const char *opc_row_type(const struct opc_profile *p, const struct opc_row *r);
const char *opc_row_layer(const struct opc_profile *p, const struct opc_row *r);
const char *opc_row_layer_path(const struct opc_profile *p, const struct opc_row *r);
const char *opc_row_site(const struct opc_profile *p, const struct opc_row *r);
const char *opc_row_iface(const struct opc_profile *p, const struct opc_row *r);
const char *opc_row_shape(const struct opc_profile *p, const struct opc_row *r);
const char *opc_row_device(const struct opc_profile *p, const struct opc_row *r);
/* NULL where the keys are of no rank / no known node, "*" where mixed */
const char *opc_row_rank(const struct opc_profile *p, const struct opc_row *r);
const char *opc_row_node(const struct opc_profile *p, const struct opc_row *r);
/* The value the row's keys share (the first column), of at most
 * OPC_GROUP_MAX bytes with its NUL; rows compared by it. */
#define OPC_GROUP_MAX	(2048 + sizeof("\t(rejected)"))
void opc_row_group(const struct opc_profile *p, const struct opc_row *r, char *buf);
int opc_row_group_cmp(const struct opc_profile *p, const struct opc_row *a,
		      const struct opc_row *b);
/* The symbolized frames of the row's first key's stack (--stacks). */
size_t opc_row_nstack(const struct opc_profile *p, const struct opc_row *r);
const char *opc_row_frame(const struct opc_profile *p, const struct opc_row *r, size_t i);
/* layer path "outer/inner" */
void opc_layer_path(const struct opc_trace *t, uint32_t id, char *buf, size_t len);

#endif
