/*
 * profile.h - traces loaded for analysis, and their keys grouped into rows.
 */
#ifndef OPC_PROFILE_H
#define OPC_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

enum opc_group {
	OPC_BY_SITE,
	OPC_BY_LAYER,
	OPC_BY_OP,
	OPC_BY_TYPE,
	OPC_BY_KEY,
	OPC_BY_PATH,
	OPC_BY_DEVICE,		/* cpu, gpu0, gpu1... */
};

struct opc_row {
	char *op, *type, *layer, *site, *iface, *shape;	/* "*" when mixed; layer may be NULL */
	char *layer_path;	/* "outer/inner" regions; layer is the innermost */
	char *device;		/* "cpu", "gpu0"..., "*" when mixed */
	char *group;		/* the grouping value, for sorting by name */
	char **stack;		/* symbolized frames of the first key (site/key rows) */
	size_t nstack;
	uint64_t calls, flops, bytes;
	double busy_s;		/* host time of CPU work + GPU time of GPU work */
	double gpu_s;		/* the GPU part of busy_s */
	double energy_j, energy_lo_j, energy_hi_j;
	int nested, estimated, overflow, outside, captured, unknown;
	int rejected;		/* calls the library refused: a row of their own */
	size_t nkeys;
};

struct opc_profile {
	struct opc_trace *traces;
	size_t ntraces;
	struct opc_row *rows;
	size_t nrows;
	/* totals over rows that are not nested */
	uint64_t calls, flops, bytes;
	double busy_s, gpu_s;
	double duration_s;	/* longest trace */
	int estimated;		/* some counted FLOPs are estimates */
	int unknown;		/* some calls' FLOPs are not known (0 counted) */
	int sampled;		/* some busy times were sampled */
	int gpu;		/* some work ran on a GPU */
	int gpu_untimed;	/* some GPU calls have no GPU time */
	int captured;		/* some GPU calls went into a CUDA graph */
	int rejected;		/* some calls were refused by the library */
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
};

int opc_group_parse(const char *s, enum opc_group *g);
const char *opc_group_name(enum opc_group g);

/* Load traces; prints warnings, returns -1 after printing an error. */
int opc_profile_load(struct opc_profile *p, char **paths, int npaths);
int opc_profile_group(struct opc_profile *p, enum opc_group by, int want_stacks);
void opc_profile_free(struct opc_profile *p);

/* "dgemm m=64 n=64 k=64 ta=N tb=N beta=1" */
void opc_key_shape(const struct opc_tkey *k, char *buf, size_t len);
/* layer path "outer/inner" */
void opc_layer_path(const struct opc_trace *t, uint32_t id, char *buf, size_t len);

#endif
