#!/bin/sh
# bench/ptrace_kill.sh - does a process survive `kill -9` of the
# `opcount record -p` attached to it?  RUNS times per mode and victim:
# blas_loop (a 24^3 dgemm every SLEEP_US) is attached to, the victim is
# SIGKILLed 0.1 to 0.9 s later (the delays spread evenly over the runs),
# and the loop must then finish with the checksum of a run without opcount.
# Victims: opcount (the pid the user started, `kill -9 PID`) and tracer
# (its tracing child, the TracerPid of the loop: what `kill -9 -PGID` or
# the OOM killer would end, left to the watchdog).
# Each run is one of:
#   ok      exit 0, same checksum
#   died    ended by a signal (SIGTRAP: an int3 left in its way)
#   wrong   exited, but with another status or checksum
#   hung    not finished HANG_S seconds after its last iteration was due
#           (killed then)
#
#   BUILD=build RUNS=20 MODES="bp inject" VICTIMS="opcount tracer" \
#	sh bench/ptrace_kill.sh
#
# Modes: bp (breakpoints, record -p's default) and inject (--inject).
# Prints one line per mode and victim: "MODE kill -9 VICTIM: ok N/RUNS,
# died N (signals), wrong N, hung N", every run with VERBOSE=1.
BUILD=${BUILD:-build}
RUNS=${RUNS:-20}
MODES=${MODES:-bp inject}
VICTIMS=${VICTIMS:-opcount tracer}
ITERS=${ITERS:-3000}
SLEEP_US=${SLEEP_US:-300}
HANG_S=${HANG_S:-10}
OPC=$BUILD/opcount
LOOP=$BUILD/tests/progs/blas_loop
export OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

[ -x "$LOOP" ] || { echo "$LOOP is missing (make $LOOP)"; exit 1; }
"$LOOP" "$ITERS" "$SLEEP_US" | grep checksum >"$tmp/ref" || { echo "reference run failed"; exit 1; }
# generous: every iteration slowed tenfold, plus HANG_S
limit=$(awk -v n="$ITERS" -v us="$SLEEP_US" -v h="$HANG_S" 'BEGIN { print int(n * us * 1e-5) + h }')

tracer() { awk '$1 == "TracerPid:" { print $2 }' /proc/$1/status 2>/dev/null; }

run_one() {	# MODE VICTIM DELAY: prints ok, died SIG, wrong or hung
	rm -f "$tmp/loop.out"
	"$LOOP" "$ITERS" "$SLEEP_US" >"$tmp/loop.out" 2>&1 &
	lp=$!
	until grep -q ready "$tmp/loop.out" 2>/dev/null; do sleep 0.01; done
	if [ "$1" = inject ]; then
		"$OPC" record -p $lp --inject -o "$tmp/k.opc" >"$tmp/rec.out" 2>&1 &
	else
		"$OPC" record -p $lp -o "$tmp/k.opc" >"$tmp/rec.out" 2>&1 &
	fi
	rec=$!
	i=0
	while [ "$(tracer $lp)" = 0 ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
	sleep "$3"
	if [ "$2" = tracer ]; then kill -9 "$(tracer $lp)"; else kill -9 $rec; fi
	wait $rec 2>/dev/null
	# the loop is not our child's child: wait for it by polling
	i=0
	while kill -0 $lp 2>/dev/null && [ $i -lt $((limit * 20)) ]; do i=$((i + 1)); sleep 0.05; done
	if kill -0 $lp 2>/dev/null; then
		[ -n "${VERBOSE:-}" ] && grep -E '^(State|TracerPid)' /proc/$lp/status >&2
		kill -9 $lp
		wait $lp 2>/dev/null
		echo hung
		return
	fi
	wait $lp
	rc=$?
	if [ $rc -gt 128 ]; then
		echo "died $(kill -l $((rc - 128)))"
	elif [ $rc = 0 ] && grep checksum "$tmp/loop.out" | cmp -s - "$tmp/ref"; then
		echo ok
	else
		echo wrong
	fi
}

for mode in $MODES; do
for victim in $VICTIMS; do
	ok=0 died=0 wrong=0 hung=0 sigs=
	for r in $(seq "$RUNS"); do
		delay=$(awk -v r="$r" -v n="$RUNS" 'BEGIN { printf "%.3f", 0.1 + 0.8 * (r - 1) / (n > 1 ? n - 1 : 1) }')
		res=$(run_one "$mode" "$victim" "$delay")
		[ -n "${VERBOSE:-}" ] && echo "  $mode $victim run $r (kill after ${delay}s): $res" >&2
		case $res in
		ok) ok=$((ok + 1)) ;;
		died*) died=$((died + 1)); sigs="$sigs ${res#died }" ;;
		hung) hung=$((hung + 1)) ;;
		*) wrong=$((wrong + 1)) ;;
		esac
	done
	echo "$mode kill -9 $victim: ok $ok/$RUNS, died $died (${sigs# }), wrong $wrong, hung $hung"
done
done
