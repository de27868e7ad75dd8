#!/bin/sh
# energy_stalled.sh - a counter that never moves is not a measurement.
#
# Some VMs expose an energy counter that reads 0 J for ever (a perf
# power/energy-psys); auto used to pick it and every report said "0 J
# measured".  Here a synthetic powercap tree whose energy_uj never changes
# (fake_rapl at 0 W) stands for it:
#
#   auto      bare LD_PRELOAD, `opcount record` and `record --ptrace`: the
#             RAPL counter is dropped for the next source in auto order,
#             with one warning naming the counter; without a GPU and
#             (here) a perf counter that moves, that is the estimate, and
#             the report's note says why
#   short     a trace that ends before the first sample decides it: the same
#   rapl      asked for by name: kept, with the warning
#   moving    a counter that moves (30 W): no warning, RAPL measures
. "$(dirname "$0")/energy_common.inc"
. "$(dirname "$0")/ptrace.inc"
NO_NVML=OPCOUNT_NVML_LIBRARY=/nonexistent/libnvidia-ml.so.1

# fell_back NAME DIR: the trace in DIR fell back from the RAPL counter
fell_back() {
	report "$2" site
	src=$($CHECK_REPORT get "$2/site.json" energy.source)
	note=$($CHECK_REPORT get "$2/site.json" energy.note)
	if [ "$src" = estimate ]; then
		[ "$($CHECK_REPORT get "$2/site.json" energy.measured)" = false ] ||
			bad "$1: the estimate is said to be measured"
		case $note in
		*"RAPL counters package-0"*"did not move"*) ok "$1: estimate; the note says why: $note" ;;
		*) bad "$1: the note does not say which counter did not move: $note" ;;
		esac
		$CHECK_ENERGY "$2/site.json" --label "$1" --measured false >/dev/null ||
			bad "$1: the estimate's energy figures are not sane"
	elif [ "$src" = perf ] && [ -e /sys/bus/event_source/devices/power ]; then
		ok "$1: perf, the next source in auto order (its counter moves on this machine)"
	else
		bad "$1: energy.source is $src, expected the estimate"
	fi
	n=$(grep -c "RAPL counters package-0.*did not move" "$2/err.txt")
	[ "$n" = 1 ] && ok "$1: one warning: $(grep 'did not move' "$2/err.txt")" ||
		bad "$1: expected one warning naming the RAPL counters, stderr says: $(cat "$2/err.txt")"
}

d=$tmp/auto
start_fake "$d" package:0=0 dram:0=0
traced "$d" 0.1 OPC_FAKE_PHASE= OPCOUNT_ENERGY=auto $NO_NVML
fell_back auto "$d"

d=$tmp/record
mkdir -p "$d"
env OPENBLAS_NUM_THREADS=1 OPCOUNT_POWERCAP_ROOT="$tmp/auto/pc" $NO_NVML \
	"$OPC" record -o "$d/t.opc" -- "$WORK" 0.1 >"$d/out.txt" 2>"$d/err.txt" ||
	fail "record exited $?: $(cat "$d/err.txt")"
fell_back record "$d"

d=$tmp/short
mkdir -p "$d"
env OPENBLAS_NUM_THREADS=1 OPCOUNT_HZ=1 OPCOUNT_POWERCAP_ROOT="$tmp/auto/pc" $NO_NVML \
	OPCOUNT_OUTPUT="$d/t.opc" LD_PRELOAD="$LIB" "$B/tests/progs/blas_calls" \
	>"$d/out.txt" 2>"$d/err.txt" || fail "blas_calls exited $?: $(cat "$d/err.txt")"
fell_back short "$d"

d=$tmp/rapl
mkdir -p "$d"
traced "$d" 0.05 OPC_FAKE_PHASE= OPCOUNT_ENERGY=rapl OPCOUNT_POWERCAP_ROOT="$tmp/auto/pc"
report "$d" site
[ "$($CHECK_REPORT get "$d/site.json" energy.source)" = rapl ] ||
	bad "rapl: asked for by name, energy.source is not rapl"
grep -q "RAPL counters package-0.*did not move.*kept" "$d/err.txt" &&
	ok "rapl: kept, with a warning: $(cat "$d/err.txt")" ||
	bad "rapl: no warning that the counter did not move: $(cat "$d/err.txt")"

if "$OPC" record --ptrace -o "$tmp/probe.opc" -- true >/dev/null 2>&1; then
	d=$tmp/ptrace
	mkdir -p "$d"
	env OPENBLAS_NUM_THREADS=1 OPCOUNT_POWERCAP_ROOT="$tmp/auto/pc" $NO_NVML \
		"$OPC" record --ptrace -o "$d/t.opc" -- "$WORK" 0.1 >"$d/out.txt" 2>"$d/err.txt" ||
		fail "record --ptrace exited $?: $(cat "$d/err.txt")"
	fell_back ptrace "$d"
else
	echo "ptrace not permitted here: the --ptrace case is not run"
fi
stop_fake

d=$tmp/moving
start_fake "$d" package:0=30 dram:0=5
traced "$d" 0.05 OPC_FAKE_PHASE= OPCOUNT_ENERGY=auto $NO_NVML
stop_fake
report "$d" site
[ "$($CHECK_REPORT get "$d/site.json" energy.source)" = rapl ] ||
	bad "moving: energy.source is not rapl"
grep -q "did not move" "$d/err.txt" && bad "moving: a warning for a counter that moves: $(cat "$d/err.txt")"
ok "moving: rapl, no warning"
finish
