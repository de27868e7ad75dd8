#!/bin/sh
# ptrace_stop.sh - kill -STOP / kill -CONT of a command run under
# `opcount record --ptrace` behave as without the tracer: the command stops
# (its CPU time does not move for 0.5 s) and runs on after SIGCONT, to a
# normal exit with a complete trace.  The same for a process attached to
# with `record -p` (dgemm counted after the SIGCONT); and one stopped when the recording ends stays stopped
# after the detach (as without opcount) and finishes after SIGCONT.
# Skips when ptrace is not permitted.
set -u
ROOT=$(pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
OPC=$B/opcount
SPIN=$B/tests/progs/spin_gemm
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$SPIN" ] || fail "$SPIN is missing (run make test, which builds it)"
tmp=$(mktemp -d) || exit 1
sp=
trap '[ -n "$sp" ] && kill -CONT $sp 2>/dev/null && kill $sp 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/ptrace.inc"
ptrace_or_skip
OPENBLAS_NUM_THREADS=1 "$OPC" record --ptrace -o "$tmp/t.opc" -- "$SPIN" 1.2 >"$tmp/out" 2>&1 &
rec=$!
c=
for i in 1 2 3 4 5 6 7 8 9 10; do
	sleep 0.1
	c=$(pgrep -P $rec spin_gemm) && break
done
[ -n "$c" ] || fail "spin_gemm did not start under the tracer"
sleep 0.2
kill -STOP "$c"
sleep 0.3
cpu1=$(awk '{ print $14 + $15 }' /proc/$c/stat)
sleep 0.5
cpu2=$(awk '{ print $14 + $15 }' /proc/$c/stat)
state=$(awk '{ print $3 }' /proc/$c/stat)
kill -CONT "$c"
[ "$cpu1" = "$cpu2" ] || fail "after kill -STOP the command ran on (CPU ticks $cpu1 -> $cpu2, state $state)"
echo "ok stopped: state $state, CPU ticks $cpu1 -> $cpu2 in 0.5 s"
wait $rec || fail "record exited $? after SIGCONT: $(cat "$tmp/out")"
grep -q gemm_s "$tmp/out" || fail "the command did not finish: $(cat "$tmp/out")"
"$OPC" report "$tmp/t.opc" --format csv >"$tmp/r.csv" 2>"$tmp/r.err" || fail "report: $(cat "$tmp/r.err")"
grep -q '^dgemm,' "$tmp/r.csv" || fail "no dgemm row after the stop: $(cat "$tmp/r.csv")"
echo "ok continued after kill -CONT and finished, dgemm counted"

# cpu PID: user + system ticks
cpu() { awk '{ print $14 + $15 }' /proc/$1/stat; }
state() { awk '{ print $3 }' /proc/$1/stat; }
tracer() { awk '$1 == "TracerPid:" { print $2 }' /proc/$1/status; }

# attached_spin DURATION: spin_gemm 0.6 running, `record -p` on it for
# DURATION s in the background (rec), returns once it is attached (to
# spin_gemm's image, not to the shell's fork child before its exec)
attached_spin() {
	OPENBLAS_NUM_THREADS=1 "$SPIN" 0.6 >"$tmp/sp.out" 2>&1 &
	sp=$!
	wait_exec $sp "$SPIN"
	"$OPC" record -p $sp --duration "$1" -o "$tmp/p.opc" >"$tmp/rec.out" 2>&1 &
	rec=$!
	i=0
	while [ "$(tracer $sp)" = 0 ]; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "record -p did not attach: $(cat "$tmp/rec.out")"
		sleep 0.02
	done
	sleep 0.1
}

# 2. attached: stopped and continued while attached, recorded until it
#    exits (so that its dgemm phase is recorded however slow the machine)
attached_spin 60
kill -STOP $sp
sleep 0.3
cpu1=$(cpu $sp); sleep 0.5; cpu2=$(cpu $sp); st=$(state $sp)
kill -CONT $sp
[ "$cpu1" = "$cpu2" ] || fail "-p: after kill -STOP the process ran on (CPU ticks $cpu1 -> $cpu2, state $st)"
wait $sp || fail "-p: spin_gemm exited $? after SIGCONT: $(cat "$tmp/sp.out")"
sp=
wait $rec || fail "-p: record exited $?: $(cat "$tmp/rec.out")"
grep -q "exited while attached (status 0)" "$tmp/rec.out" || fail "-p: $(cat "$tmp/rec.out")"
grep -q gemm_s "$tmp/sp.out" || fail "-p: spin_gemm did not finish: $(cat "$tmp/sp.out")"
"$OPC" report "$tmp/p.opc" --format csv >"$tmp/r.csv" 2>"$tmp/r.err" || fail "-p: report: $(cat "$tmp/r.err")"
awk -F, '$1 == "dgemm" && $6 > 0 && $7 == $6 * 2 * 160 * 160 * 160 { ok = 1 } END { exit !ok }' \
	"$tmp/r.csv" || fail "-p: no consistent dgemm row after the stop: $(cat "$tmp/r.csv")"
echo "ok -p: stopped while attached (state $st, CPU ticks $cpu1 -> $cpu2 in 0.5 s), continued, dgemm $(awk -F, '$1 == "dgemm" { print $6 }' "$tmp/r.csv") calls counted"

# 3. attached: stopped when the recording ends: it stays stopped after the
#    detach, and SIGCONT lets it finish
attached_spin 1
kill -STOP $sp
wait $rec || fail "-p, detach while stopped: record exited $?: $(cat "$tmp/rec.out")"
[ "$(tracer $sp)" = 0 ] || fail "-p, detach while stopped: still traced by $(tracer $sp)"
cpu1=$(cpu $sp); sleep 0.5; cpu2=$(cpu $sp); st=$(state $sp)
[ "$st" = T ] && [ "$cpu1" = "$cpu2" ] ||
	fail "-p, detach while stopped: not stopped after the detach (state $st, CPU ticks $cpu1 -> $cpu2)"
kill -CONT $sp
wait $sp || fail "-p, detach while stopped: spin_gemm exited $? after SIGCONT: $(cat "$tmp/sp.out")"
sp=
grep -q gemm_s "$tmp/sp.out" || fail "-p, detach while stopped: spin_gemm did not finish: $(cat "$tmp/sp.out")"
echo "ok -p: detached while stopped, stayed stopped (state $st), finished after kill -CONT"
