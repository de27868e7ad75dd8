#!/bin/sh
# ptrace_signals.sh - nothing that ends `opcount record -p` ends or breaks
# the process it is attached to (a BLAS loop, 2000 dgemm 24^3 0.3 ms
# apart, which must finish with the output and status of a run nobody
# attached to).
#
#   signals    every signal that would end a process (SIGHUP of a dropped
#              ssh connection, SIGPIPE, SIGXCPU, SIGUSR1, kill's SIGALRM,
#              ...) sent to opcount: a clean detach, opcount exits 0, the
#              trace is complete (END record: report reads it without a
#              truncation warning, dgemm counted)
#   kill -9    SIGKILL of opcount, with breakpoints and with --inject: its
#              tracing child detaches cleanly all the same (says so), the
#              trace is complete
#   tracer -9  SIGKILL of the tracing child itself (the TracerPid; what
#              `kill -9 -PGID` or the OOM killer would end), left to the
#              watchdog: with --inject the loop finishes unchanged; with
#              breakpoints it finishes unchanged or dies of SIGTRAP (a
#              thread stopped on a breakpoint at that moment), but never
#              runs on with other results and never hangs
#   traced     a process already traced by strace: the error names the
#              tracer (its pid and command), not a permission problem
#
# Every wait is bounded: a hang fails the test.  Each kill comes once the
# partial trace shows dgemm counted.  Skips when ptrace is not permitted.
set -u
ROOT=$(pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
OPC=$B/opcount
LOOP=$B/tests/progs/blas_loop
ITERS=2000
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$LOOP" ] || fail "$LOOP is missing (run make test, which builds it)"
tmp=$(mktemp -d) || exit 1
lp=
st=
rec=
trap '[ -n "$st" ] && kill $st 2>/dev/null; [ -n "$rec" ] && kill $rec 2>/dev/null
      [ -n "$lp" ] && kill -9 $lp 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/ptrace.inc"
ptrace_or_skip
export OPENBLAS_NUM_THREADS=1

tracer() { awk '$1 == "TracerPid:" { print $2 }' /proc/$1/status 2>/dev/null; }
# PID exited: gone, or a zombie (kill -0 still reaches a zombie)
gone() { [ "$(awk '{ print $3 }' /proc/$1/stat 2>/dev/null)" = Z ] || [ ! -e /proc/$1 ]; }
# PID SECONDS WHAT: waits until PID exited, fails (killing it) after SECONDS
await() {
	_n=0
	until gone $1; do
		_n=$((_n + 1))
		[ $_n -gt $(($2 * 50)) ] && { kill -9 $1 2>/dev/null; fail "$3: still running after $2 s"; }
		sleep 0.02
	done
}
# until the partial trace FILE counts dgemm (bounded)
counted() {
	_n=0
	until "$OPC" report "$1" --format csv 2>/dev/null | grep -q '^dgemm,'; do
		_n=$((_n + 1))
		[ $_n -gt 500 ] && fail "$2: no dgemm counted in 10 s: $(cat "$tmp/rec.out")"
		sleep 0.02
	done
}
# NAME [OPTIONS]: the loop, record -p attached to it (rec, its tracing
# child in tp) once dgemm is counted in $tmp/NAME.opc
attach() {
	_name=$1
	shift
	start_loop "$LOOP" $ITERS 300
	"$OPC" record -p $lp "$@" -o "$tmp/$_name.opc" >"$tmp/rec.out" 2>&1 &
	rec=$!
	_n=0
	while [ "$(tracer $lp)" = 0 ]; do
		_n=$((_n + 1)); [ $_n -gt 500 ] && fail "$_name: record -p did not attach: $(cat "$tmp/rec.out")"
		sleep 0.02
	done
	tp=$(tracer $lp)
	counted "$tmp/$_name.opc" "$_name"
	gone $lp && fail "$_name: the loop ended before the kill (machine too slow for $ITERS iterations)"
}
# NAME: the loop finished as unattached (status 0, same checksum); its
# status in rc
loop_done() {
	await $lp 60 "$1: the loop"
	wait $lp
	rc=$?
	lp=
}
loop_same() {
	loop_done "$1"
	[ $rc = 0 ] || fail "$1: the loop exited $rc: $(cat "$tmp/loop.out")"
	grep checksum "$tmp/loop.out" | cmp -s - "$tmp/ref.txt" ||
		fail "$1: output differs: $(grep checksum "$tmp/loop.out") vs $(cat "$tmp/ref.txt")"
}
# NAME: the trace is complete and counts dgemm
complete() {
	"$OPC" report "$tmp/$1.opc" --format csv >"$tmp/r.csv" 2>"$tmp/r.err" ||
		fail "$1: report: $(cat "$tmp/r.err")"
	grep -qi "truncat\|no end" "$tmp/r.err" && fail "$1: trace incomplete: $(cat "$tmp/r.err")"
	grep -q '^dgemm,' "$tmp/r.csv" || fail "$1: no dgemm counted: $(cat "$tmp/r.csv")"
}

"$LOOP" $ITERS 300 | grep checksum >"$tmp/ref.txt" || fail "reference run failed"

# ---- signals: a clean detach ----------------------------------------------------
for sig in HUP INT TERM QUIT PIPE USR1 USR2 ALRM XCPU XFSZ VTALRM PROF; do
	attach $sig
	kill -$sig $rec
	await $rec 30 "SIG$sig: record -p"
	wait $rec
	rc=$?
	rec=
	[ $rc = 0 ] || fail "SIG$sig: record -p exited $rc: $(cat "$tmp/rec.out")"
	loop_same "SIG$sig"
	complete $sig
	echo "ok SIG$sig: detached cleanly, the loop finished unchanged, trace complete"
done

# ---- kill -9 of opcount: its tracing child detaches -----------------------------
for mode in bp inject; do
	if [ $mode = inject ]; then attach k9$mode --inject; else attach k9$mode; fi
	[ "$tp" != $rec ] || fail "kill -9 $mode: opcount traces the loop itself (no tracing child)"
	kill -9 $rec
	wait $rec 2>/dev/null
	rec=
	await $tp 30 "kill -9 $mode: the tracing child"
	loop_same "kill -9 $mode"
	complete k9$mode
	grep -q "was killed: detached from $lp" "$tmp/rec.out" ||
		fail "kill -9 $mode: no word of the detach: $(cat "$tmp/rec.out")"
	echo "ok kill -9 of opcount ($mode): its tracer detached cleanly, the loop finished unchanged, trace complete"
done

# ---- kill -9 of the tracing child: the watchdog ---------------------------------
for mode in inject inject bp bp bp; do
	if [ $mode = inject ]; then attach t9$mode --inject; else attach t9$mode; fi
	kill -9 $tp
	await $rec 30 "tracer -9 $mode: opcount"
	wait $rec
	r=$?
	rec=
	[ $r = 1 ] || fail "tracer -9 $mode: opcount exited $r, not 1: $(cat "$tmp/rec.out")"
	grep -q "tracing process ($tp) was killed\|tracing process (pid $tp) was killed" "$tmp/rec.out" ||
		fail "tracer -9 $mode: no word of the tracer's death: $(cat "$tmp/rec.out")"
	# a sanitizer build's --inject falls back to breakpoints (record says so)
	if [ $mode = inject ] && [ -z "${SAN_RUNTIME:-}" ]; then
		loop_same "tracer -9 $mode"
		echo "ok kill -9 of the tracer ($mode): the loop finished unchanged"
	else
		loop_done "tracer -9 $mode"
		if [ $rc = $((128 + 5)) ]; then
			echo "ok kill -9 of the tracer ($mode): the loop died of SIGTRAP (stopped on a breakpoint)"
		else
			[ $rc = 0 ] || fail "tracer -9 $mode: the loop exited $rc: $(cat "$tmp/loop.out")"
			grep checksum "$tmp/loop.out" | cmp -s - "$tmp/ref.txt" ||
				fail "tracer -9 $mode: ran on with other results: $(grep checksum "$tmp/loop.out") vs $(cat "$tmp/ref.txt")"
			echo "ok kill -9 of the tracer ($mode): the loop finished unchanged"
		fi
	fi
done

# ---- already traced: the error names the tracer ---------------------------------
if command -v strace >/dev/null; then
	start_loop "$LOOP" 100000 1000
	strace -p $lp -o /dev/null 2>/dev/null &
	st=$!
	i=0
	while [ "$(tracer $lp)" = 0 ]; do
		i=$((i + 1)); [ $i -gt 500 ] && fail "strace did not attach"
		sleep 0.02
	done
	tp=$(tracer $lp)
	timeout 30 "$OPC" record -p $lp --duration 0.2 -o "$tmp/st.opc" >"$tmp/rec.out" 2>&1 &&
		fail "record -p of a process under strace succeeded"
	grep -q "already traced by process $tp (strace)" "$tmp/rec.out" ||
		fail "the error does not name the tracer ($tp, strace): $(cat "$tmp/rec.out")"
	echo "ok already traced: $(cat "$tmp/rec.out")"
else
	echo "skip part: strace is not installed (the already-traced message is not checked)"
fi
