/*
 * steps.h - the training steps of a trace, for `opcount predict
 * --from-trace TRACE --steps TOTAL`: a layer region entered once per step
 * (opcount_layer_push("step", ...) in C, opcount_torch.region("step") in
 * Python) delimits them, and the trace's intervals and energy samples
 * give each step's wall time and energy (docs/arch.md, "From a short
 * run").
 */
#ifndef OPC_STEPS_H
#define OPC_STEPS_H

#include <stddef.h>

struct opc_steps {
	char layer[128];	/* the region's name */
	char source[32];	/* energy source of the trace; "none" */
	int have_energy, measured;
	int energy_short;	/* energy samples end before the last step */
	int complete;		/* the trace has its END record */
	int last_closed;	/* the last step's end is its last activity */
	char host[256], cpu[256], cmdline[256];
	double interval_s;	/* nominal sampling interval: the resolution */
	size_t nseen;		/* steps found */
	size_t skip;		/* the first skip of them left out of the statistics */
	double *time_s, *energy_j;	/* per step seen */
	double seen_s, seen_j;		/* sum over every step seen */
	size_t n;			/* steps in the statistics: nseen - skip */
	double mean_s, sd_s, mean_j, sd_j;	/* sd: sample standard deviation */
	double min_s, max_s, min_j, max_j;
	double t95;		/* two-sided 95% Student t quantile, n - 1 degrees */
};

/*
 * Find the steps of the region named `layer` in the trace at path, leave
 * the first `skip` out of the statistics.  -EINVAL with a message in err
 * (no such region, fewer than 2 steps after skip, an unreadable trace).
 */
int opc_steps_load(const char *path, const char *layer, size_t skip, struct opc_steps *s,
		   char *err, size_t len);
void opc_steps_free(struct opc_steps *s);

/* The 0.975 quantile of Student's t with df degrees of freedom (df >= 1). */
double opc_t95(size_t df);

/*
 * The whole run of total steps (>= nseen): what the steps seen measured,
 * plus (total - nseen) times the mean of the steps kept; lo and hi put the
 * mean's 95% interval (mean -+ t95 * sd / sqrt(n)) in its place, lo never
 * below what was measured.
 */
struct opc_steps_total {
	double v, lo, hi;
};

void opc_steps_extrapolate(const struct opc_steps *s, double total, int energy,
			   struct opc_steps_total *out);

#endif
