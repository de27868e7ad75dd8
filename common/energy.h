/*
 * energy.h - energy sources behind one small interface.
 *
 * A source exposes domains (a RAPL zone, a GPU, the estimate) whose
 * readings are cumulative joules since opening, corrected for counter
 * wrap-around.  Only domains marked `counted` add up to the total: RAPL
 * core and uncore are inside their package, psys already holds the
 * packages and DRAM, and zones that move in lockstep are one counter.
 *
 * Compiled into libopcount.so (the collector samples at every tick) and
 * into the opcount tool.  Reading a counter never allocates.
 */
#ifndef OPC_ENERGY_H
#define OPC_ENERGY_H

#include <stdint.h>
#include <sys/types.h>

struct opc_writer;

#define OPC_ENERGY_MAX_DOMAINS 32

enum opc_energy_kind {
	OPC_DOM_PACKAGE = 1,
	OPC_DOM_CORE,
	OPC_DOM_UNCORE,
	OPC_DOM_DRAM,
	OPC_DOM_PSYS,
	OPC_DOM_GPU,
	OPC_DOM_ESTIMATE,
};

struct opc_energy_domain {
	char name[128];		/* "package-0", "dram-0", "gpu0 NVIDIA A100" */
	int kind;
	int counted;		/* adds to the total */
	int fd;			/* kept open: one pread per sample */
	uint64_t max_raw;	/* wrap-around point in raw units, 0 = none */
	uint64_t last_raw;
	double joules_per_raw;
	double joules;		/* cumulative since open */
	int gpu_index;		/* NVML device */
	int gpu_has_energy;	/* total-energy counter, else power integration */
	double last_power_w;
	uint64_t last_ns;	/* of the last reading */
};

struct opc_energy {
	char source[16];	/* rapl, perf, nvml, estimate, none */
	int measured;		/* a hardware counter */
	int ndom;
	struct opc_energy_domain dom[OPC_ENERGY_MAX_DOMAINS];
	double resolution_j;	/* of one reading of the total */
	uint64_t last_ns;
	/* estimate */
	double tdp_w;
	int ncpu;
	uint64_t last_cpu_ns;
	pid_t cpu_pid;		/* whose CPU time it follows: 0 = this process */
	char note[768];		/* how the estimate was made, or why a fallback */
};

/*
 * Open the source named by `want` ("auto", "rapl", "perf", "nvml",
 * "estimate", "none").  "auto" takes the best readable one; a counter that
 * exists but cannot be read is explained in msg (once, by the caller) and
 * the next is tried.  Returns 0, or -errno with msg saying why.
 */
int opc_energy_open(struct opc_energy *e, const char *want, char *msg, size_t len);
/* Update every domain's cumulative joules; now_ns on CLOCK_MONOTONIC. */
int opc_energy_sample(struct opc_energy *e, uint64_t now_ns);
double opc_energy_total(const struct opc_energy *e);
void opc_energy_close(struct opc_energy *e);
const char *opc_energy_kind_name(int kind);

/*
 * What a trace writer does with a source (the preload collector and the
 * ptrace tracer alike).  opc_energy_start opens `want` (NULL: auto); a
 * source asked for that cannot be read falls back to the estimate, saying
 * why in msg, anything else to "none".  The estimate follows the CPU time
 * of process `pid` (0: this one).  Takes the baseline reading at now_ns
 * (time 0 of the trace's energy).  Returns 1 when there are domains to
 * sample, else 0.
 */
int opc_energy_start(struct opc_energy *e, const char *want, pid_t pid, uint64_t now_ns,
		     char *msg, size_t len);
/* The ENERGY_INFO record: once, before the first sample. */
void opc_energy_write_info(struct opc_writer *w, const struct opc_energy *e);
/* Reads every domain at now_ns (CLOCK_MONOTONIC) and writes an ENERGY
 * record stamped t_ns (the trace's clock). */
void opc_energy_write_sample(struct opc_writer *w, struct opc_energy *e, uint64_t now_ns,
			     uint64_t t_ns);

/* for tests: the TDP table look-up used by the estimate */
double opc_energy_tdp_lookup(const char *table_path, const char *cpu_model);

#endif
