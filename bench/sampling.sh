#!/bin/sh
# bench/sampling.sh - CPU cost of sampling energy at 1 kHz (and 100 Hz):
# a process that sleeps, traced with a synthetic 3-zone powercap tree,
# CPU time (all threads) with and without opcount.
BUILD=${BUILD:-build}
SECS=${SECS:-5}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
lib=$(readlink -f "$BUILD/libopcount.so")
pc=$dir/powercap
for z in intel-rapl:0 intel-rapl:0:0 intel-rapl:0:1; do
	mkdir -p "$pc/$z"
	echo 123456789 >"$pc/$z/energy_uj"
	echo 262143328850 >"$pc/$z/max_energy_range_uj"
done
echo package-0 >"$pc/intel-rapl:0/name"
echo core >"$pc/intel-rapl:0:0/name"
echo dram >"$pc/intel-rapl:0:1/name"

cpu() {	# CPU seconds (user + system) of a command, all its threads
	/usr/bin/env time -f '%U %S' "$@" 2>&1 >/dev/null | tail -n 1 | awk '{ print $1 + $2 }'
}
base=$(cpu "$BUILD/bench/idle_loop" "$SECS")
for hz in 100 1000; do
	c=$(OPCOUNT_HZ=$hz OPCOUNT_ENERGY=rapl OPCOUNT_POWERCAP_ROOT=$pc OPCOUNT_OUTPUT=$dir/t.opc \
		LD_PRELOAD=$lib cpu "$BUILD/bench/idle_loop" "$SECS")
	awk -v b="$base" -v c="$c" -v s="$SECS" -v hz="$hz" 'BEGIN {
		printf "sampling at %4d Hz: %.3f s CPU in %d s (without opcount %.3f s): %.2f%% of one core\n",
			hz, c, s, b, 100 * (c - b) / s }'
	echo "  trace size after ${SECS} s: $(stat -c %s "$dir/t.opc") bytes"
done
