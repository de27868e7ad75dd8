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
	uint64_t raw0;		/* at the baseline: has the counter moved since? */
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
	/* whether a CPU counter moves (opc_energy_start): known at the first
	 * sample OPC_ENERGY_PROBE_NS after the baseline */
	int probe;		/* OPC_PROBE_* */
	int info_held;		/* ENERGY_INFO waits for the verdict */
	uint64_t t0_ns;		/* the baseline */
	/* the baseline in the trace: its time on the trace's clock (0 unless
	 * the writer says) and each domain's joules then (0 unless rebased) */
	uint64_t base_t;
	double base_j[OPC_ENERGY_MAX_DOMAINS];
	uint64_t t_last;	/* the trace time of the last sample taken */
	uint64_t cpu0_ns;	/* CPU time at the baseline: an estimate from t0 */
	const char *data_dir;	/* opc_energy_start's o->data_dir: a fallback's estimate */
	struct opc_energy *standby;	/* auto over RAPL: perf, the next in order */
};

#define OPC_PROBE_NONE		0
#define OPC_PROBE_FALLBACK	1	/* auto: a counter that does not move is not used */
#define OPC_PROBE_WARN		2	/* asked for by name: kept, with a warning */

/*
 * A CPU counter (RAPL, perf) that has not moved this long after the
 * baseline is not a measurement: some VMs expose a perf energy-psys that
 * reads 0 J for ever.  The hardware updates about every millisecond.
 */
#define OPC_ENERGY_PROBE_NS	10000000ull
/* ... and one that has not moved in a trace shorter than that, but at
 * least this long, is not either */
#define OPC_ENERGY_PROBE_MIN_NS	2000000ull

/*
 * Which source, and where its counters are: what the writer of the trace
 * was told by its environment or options.  energy.c reads no environment:
 * in the preload library it is the program's (read once, in
 * preload/config.c), and an injected start must not touch it.  NULL or ""
 * gives each default.
 */
struct opc_energy_opts {
	const char *source;		/* --energy, OPCOUNT_ENERGY: "auto" */
	const char *powercap_root;	/* OPCOUNT_POWERCAP_ROOT: /sys/class/powercap */
	const char *nvml_library;	/* OPCOUNT_NVML_LIBRARY: libnvidia-ml.so.1 */
	const char *visible_gpus;	/* CUDA_VISIBLE_DEVICES: NULL every GPU, "" none */
	const char *data_dir;		/* the estimate's TDP table: opc_data_dir() */
};

/*
 * Open o->source ("auto", "rapl", "perf", "nvml", "estimate", "none", or
 * "rapl+nvml", "perf+nvml", "estimate+nvml").  "auto" takes the best
 * readable one; a counter that exists but cannot be read is explained in
 * msg (once, by the caller) and the next is tried.  Returns 0, or -errno
 * with msg saying why.
 */
int opc_energy_open(struct opc_energy *e, const struct opc_energy_opts *o, char *msg,
		    size_t len);
/* Update every domain's cumulative joules; now_ns on CLOCK_MONOTONIC. */
int opc_energy_sample(struct opc_energy *e, uint64_t now_ns);
double opc_energy_total(const struct opc_energy *e);
void opc_energy_close(struct opc_energy *e);
const char *opc_energy_kind_name(int kind);

/*
 * What a trace writer does with a source (the preload collector and the
 * ptrace tracer alike).  opc_energy_start opens o->source (NULL: auto); a
 * source asked for that cannot be read falls back to the estimate, saying
 * why in msg, anything else to "none".  The estimate follows the CPU time
 * of process `pid` (0: this one).  Takes the baseline reading at now_ns
 * (time 0 of the trace's energy).  Returns 1 when there are domains to
 * sample, else 0.  o's strings are read now, but for o->data_dir, which
 * must outlive e: the estimate a fallback opens later reads its table
 * there.
 *
 * A RAPL or perf counter must then move: the samples tell
 * (OPC_ENERGY_PROBE_NS), at no cost to the start.  In auto mode one that
 * does not is dropped for the next source in auto order (perf, opened
 * beside RAPL; the GPUs alone; the estimate, from the baseline), with one
 * warning naming the counter; asked for by name, it is kept, with the
 * warning.  Until auto's verdict the ENERGY_INFO record and the samples
 * are held back (samples are cumulative: none is lost).
 */
int opc_energy_start(struct opc_energy *e, const struct opc_energy_opts *o, pid_t pid,
		     uint64_t now_ns, char *msg, size_t len);
/* The ENERGY_INFO record and the baseline ENERGY record (common/trace.h):
 * once, before the first sample (held back while auto's verdict is
 * pending, then written with the first sample). */
void opc_energy_write_info(struct opc_writer *w, struct opc_energy *e);
/*
 * A new trace from counters already running (a fork child's, at its first
 * call): reads every domain at now_ns and makes that reading, at trace
 * time t_ns, the baseline the next ENERGY_INFO writes.
 */
void opc_energy_rebase(struct opc_energy *e, uint64_t now_ns, uint64_t t_ns);
/* Reads every domain at now_ns (the clock of opc_energy_start's now_ns)
 * and writes an ENERGY record stamped t_ns (the trace's clock). */
void opc_energy_write_sample(struct opc_writer *w, struct opc_energy *e, uint64_t now_ns,
			     uint64_t t_ns);
/* Before the trace's END or EXEC record, after its last sample: a verdict
 * still pending (a short trace) is made, and what it held is written. */
void opc_energy_write_end(struct opc_writer *w, struct opc_energy *e);

/* for tests: the TDP table look-up used by the estimate */
double opc_energy_tdp_lookup(const char *table_path, const char *cpu_model);

#endif
