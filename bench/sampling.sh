#!/bin/sh
# bench/sampling.sh - CPU cost of the collector while the program sleeps:
# the collector thread's own CPU time per tick (OPCOUNT_DEBUG reports it),
# reading a synthetic 3-zone powercap tree, at 100 Hz and 1 kHz, against
# the platform's floor: a thread that does nothing but wake up as often.
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
export OPENBLAS_NUM_THREADS=1

for hz in 100 1000; do
	floor=$("$BUILD/bench/wakeups" "$hz" "$SECS")
	for src in none rapl; do
		us=$(OPCOUNT_DEBUG=1 OPCOUNT_HZ=$hz OPCOUNT_ENERGY=$src OPCOUNT_POWERCAP_ROOT=$pc \
			OPCOUNT_OUTPUT=$dir/t.opc LD_PRELOAD=$lib "$BUILD/bench/idle_loop" "$SECS" 2>&1 >/dev/null |
			sed -n 's/.*collector: .* \([0-9.]*\) us per tick/\1/p')
		awk -v hz="$hz" -v us="$us" -v f="$floor" -v src="$src" 'BEGIN {
			printf "%4d Hz, energy %-4s: %6.2f us CPU per tick = %.2f%% of one core " \
			       "(a bare wake-up here: %.2f us = %.2f%%)\n",
			       hz, src, us, us * hz / 1e4, f, f * hz / 1e4 }'
	done
	echo "  trace size after ${SECS} s: $(stat -c %s "$dir/t.opc") bytes"
done
