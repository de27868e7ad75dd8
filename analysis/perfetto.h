/*
 * perfetto.h - a timeline of traces as Chrome trace-event JSON (report
 * --format perfetto), which ui.perfetto.dev and chrome://tracing open.
 *
 * Per trace a process, per thread a track of slices: a slice per layer
 * path and per key (a routine at a site and shape) in each sampling
 * interval, as long as its busy time there; GPU work on a track per
 * device; counters for each energy domain's power, FLOP/s and bytes/s.
 * Times are real time (the trace's start_realtime_ns plus offsets), so
 * that the traces of the ranks of a job line up.  No single call is
 * recorded: the slices are the intervals' sums, and the file says so.
 */
#ifndef OPC_PERFETTO_H
#define OPC_PERFETTO_H

#include <stddef.h>

#include "profile.h"

/* The loaded (not grouped) profile to stdout.  max_events bounds the size:
 * k consecutive intervals are merged into one (docs/design.md,
 * "Pictures"); 0 keeps every interval.  0, or -1 after an error. */
int opc_perfetto(struct opc_profile *p, size_t max_events);

#endif
