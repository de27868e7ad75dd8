#!/bin/sh
# energy_ptrace.sh - ptrace mode (`opcount record --ptrace`, `-p PID`)
# samples energy at its ticks like the preload library, against a
# synthetic powercap tree of known power (tests/progs/fake_rapl).
#
#   constant  35 W throughout (package 30 + dram 5), --energy rapl: every
#             call site gets 35 W x its busy_s within 3%, the total is
#             35 W x duration
#   phases    OPCOUNT_ENERGY unset (auto finds the tree through
#             OPCOUNT_POWERCAP_ROOT): dgemm runs at 22 W, dgemv at 82 W,
#             an idle sleep at 7 W, ddot at 42 W, 12 W before and after,
#             a core sub-zone that must not be added; each op gets its
#             power x busy_s, and the total is the writer's integral
#   none      --energy none: source "none", no energy figure
#   attach    -p PID on the running program: energy samples too, source rapl
# Skips when ptrace is not permitted here.
. "$(dirname "$0")/energy_common.inc"

. "$(dirname "$0")/ptrace.inc"
ptrace_or_skip

ptraced() {	# DIR SECS [opcount record options...]
	_d=$1
	_s=$2
	shift 2
	env OPENBLAS_NUM_THREADS=1 OPC_FAKE_PHASE="$_d/phase" OPCOUNT_POWERCAP_ROOT="$_d/pc" \
		"$OPC" record --ptrace -F 100 -o "$_d/t.opc" "$@" -- "$WORK" "$_s" \
		>"$_d/out.txt" 2>"$_d/err.txt" ||
		fail "$_d: energy_work under ptrace exited $?: $(cat "$_d/err.txt")"
}

# ---- constant power -----------------------------------------------------
d=$tmp/constant
start_fake "$d" package:0=30 dram:0=5
# Phases longer than the library's energy tests use: under ptrace each
# call costs two stops, so with the CPUs loaded a thread is in calls for
# only about half of a phase, and the one sampling interval that straddles
# a phase boundary (or a counter reading a millisecond late) weighs twice
# as much against the 3%.
ptraced "$d" 0.3 --energy rapl
stop_fake
report "$d" site
if $CHECK_ENERGY "$d/site.json" --label constant --source rapl --measured true \
	--power 35 --in-interval; then
	ok "constant: every call site within 3% of 35 W x busy_s"
else
	bad "constant: a call site's energy is not 35 W x busy_s within 3%"
fi
dur=$($CHECK_REPORT get "$d/site.json" energy.duration_s)
if $CHECK_ENERGY "$d/site.json" --label constant --total "$(awk -v s="$dur" 'BEGIN { print 35 * s }')"; then
	ok "constant: total within 3% of 35 W x $dur s"
else
	bad "constant: total is not 35 W x duration within 3%"
fi

# ---- phases of different power -----------------------------------------
d=$tmp/phases
start_fake "$d" package:0=10/20/80/5/40 core:0=8 dram:0=2
ptraced "$d" 0.5
stop_fake
report "$d" op
grep -q "energy" "$d/err.txt" && bad "phases: the tracer warned: $(cat "$d/err.txt")"
if $CHECK_ENERGY "$d/op.json" --label phases --source rapl --measured true \
	--op-power dgemm=22 --op-power dgemv=82 --op-power ddot=42 --in-interval; then
	ok "phases: dgemm, dgemv, ddot within 3% of their power x busy_s"
else
	bad "phases: an op's energy is not its power x busy_s within 3%"
fi
if $CHECK_ENERGY "$d/op.json" --label phases --phases "$d/truth" --base-watts 12; then
	ok "phases: total within 3% of the writer's integral"
else
	bad "phases: total differs from the writer's integral"
fi

# ---- --energy none --------------------------------------------------------
d=$tmp/none
mkdir -p "$d"
"$OPC" record --ptrace --energy none -o "$d/t.opc" -- "$WORK" 0.05 >/dev/null 2>"$d/err.txt" ||
	fail "none: exited $?: $(cat "$d/err.txt")"
report "$d" op
src=$($CHECK_REPORT get "$d/op.json" energy.source)
tot=$($CHECK_REPORT get "$d/op.json" totals.energy_j)
if [ "$src" = none ] && [ "$tot" = null ]; then
	ok "none: source none, no energy"
else
	bad "none: source '$src', totals.energy_j '$tot' (expected none, null)"
fi

# ---- attached -------------------------------------------------------------
d=$tmp/attach
start_fake "$d" package:0=30 dram:0=5
OPENBLAS_NUM_THREADS=1 OPC_FAKE_PHASE="$d/phase" "$WORK" 1.5 >"$d/out.txt" 2>&1 &
wpid=$!
wait_exec $wpid "$WORK"
sleep 0.3
OPCOUNT_POWERCAP_ROOT="$d/pc" "$OPC" record -p $wpid --duration 0.5 -o "$d/t.opc" \
	>/dev/null 2>"$d/err.txt" || bad "attach: record -p exited $?: $(cat "$d/err.txt")"
wait $wpid || bad "attach: energy_work exited $? after the detach"
stop_fake
report "$d" site
if $CHECK_ENERGY "$d/site.json" --label attach --source rapl --measured true --power 35; then
	dur=$($CHECK_REPORT get "$d/site.json" energy.duration_s)
	if $CHECK_ENERGY "$d/site.json" --label attach \
		--total "$(awk -v s="$dur" 'BEGIN { print 35 * s }')"; then
		ok "attach: 35 W x busy_s per site, 35 W x $dur s in all"
	else
		bad "attach: total is not 35 W x duration"
	fi
else
	bad "attach: a call site's energy is not 35 W x busy_s within 3%"
fi
finish
