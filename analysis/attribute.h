/*
 * attribute.h - split measured energy among the keys that were busy.
 */
#ifndef OPC_ATTRIBUTE_H
#define OPC_ATTRIBUTE_H

#include "trace.h"

struct opc_attribution {
	double total_j;		/* counted domains over the whole trace */
	double outside_j;	/* what no intercepted call used */
	double outside_lo_j, outside_hi_j;
	double sampled_j;	/* of outside_j, given to stack samples */
	double duration_s;	/* covered by energy samples: baseline to last */
	double layers_j;	/* of the attributed energy, layers' own time (region keys) */
	/* closure: in each interval (of each pool), calls + layers + outside
	 * against its energy; the worst residual, J and relative */
	double closure_worst_j, closure_worst_rel;
	size_t closure_intervals;
	int have_energy;
	double others_j;	/* given to the node's other traces (opc_attribute_node) */
	double gpu_j;		/* of total_j, the counted GPU domains' */
	int ngpu;		/* counted GPU domains */
};

/* A node's energy, its traces attributed jointly (opc_attribute_node). */
struct opc_node_energy {
	double total_j;		/* counted once: the union of the traces' times */
	double attributed_j;	/* to the keys of all its traces */
	double outside_j, outside_lo_j, outside_hi_j;	/* total - attributed */
	double covered_s;	/* the union of the times the samples cover */
	double gpu_j;		/* of total_j, the GPUs': each once */
	size_t ngpu;		/* GPUs its traces read, each once */
};

/*
 * Time-proportional split (the baseline; docs/design.md, "Attribution"): each sampling
 * interval's energy goes to the keys busy in it in proportion to their
 * busy time, the rest to "outside", of which stack samples take their
 * share.  Fills keys[].energy_*, samples[].energy_j and `out`.
 */
int opc_attribute_energy(struct opc_trace *t, struct opc_attribution *out);

/*
 * Traces of one node (host name + boot id) whose source reads the whole
 * machine, attributed jointly (docs/design.md, "Nodes"): in each
 * interval of each trace the denominator is max(len, its busy time + the
 * other traces' busy time in that real-time window, prorated by
 * overlap), so concurrent processes share the node's energy by busy
 * time; the node's energy is the counters' delta over the union of their
 * times, each stretch and each counter taken once.  A GPU's pool is joint
 * too, among the traces that read that GPU (by domain name), and GPU
 * domains are pools of their own in every trace of the node once one has
 * GPU keys.  Fills each trace's keys and per[i] (whose outside_j holds
 * its others_j), and node.
 */
int opc_attribute_node(struct opc_trace **ts, size_t n, struct opc_attribution *per,
		       struct opc_node_energy *node);

#endif
