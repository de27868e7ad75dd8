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
};

/*
 * Time-proportional split (the baseline; docs/design.md, "Attribution"): each sampling
 * interval's energy goes to the keys busy in it in proportion to their
 * busy time, the rest to "outside", of which stack samples take their
 * share.  Fills keys[].energy_*, samples[].energy_j and `out`.
 */
int opc_attribute_energy(struct opc_trace *t, struct opc_attribution *out);

#endif
