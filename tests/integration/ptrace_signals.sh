#!/bin/sh
# ptrace_signals.sh - `opcount record -p` ended by any signal that would end
# a process (SIGHUP of a dropped ssh connection, SIGPIPE, SIGXCPU, SIGUSR1,
# kill's SIGALRM, ...) detaches cleanly: the BLAS loop it was attached to
# runs on to the same output and status as unattached, and the trace is
# complete (END record: report reads it without a truncation warning, dgemm
# counted).  Then a process already traced by strace: the error names the
# tracer (its pid and command), not a generic permission problem.
# Skips when ptrace is not permitted here.
set -u
ROOT=$(pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
OPC=$B/opcount
LOOP=$B/tests/progs/blas_loop
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$LOOP" ] || fail "$LOOP is missing (run make test, which builds it)"
tmp=$(mktemp -d) || exit 1
lp=
st=
trap '[ -n "$st" ] && kill $st 2>/dev/null; [ -n "$lp" ] && kill $lp 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/ptrace.inc"
ptrace_or_skip

tracer() { awk '$1 == "TracerPid:" { print $2 }' /proc/$1/status; }

"$LOOP" 1500 300 | grep checksum >"$tmp/ref.txt" || fail "reference run failed"
for sig in HUP INT TERM QUIT PIPE USR1 USR2 ALRM XCPU XFSZ VTALRM PROF; do
	start_loop "$LOOP" 1500 300
	"$OPC" record -p $lp -o "$tmp/$sig.opc" >"$tmp/rec.out" 2>&1 &
	rec=$!
	i=0
	while [ "$(tracer $lp)" = 0 ]; do
		i=$((i + 1)); [ $i -gt 250 ] && fail "$sig: record -p did not attach: $(cat "$tmp/rec.out")"
		sleep 0.02
	done
	sleep 0.2
	kill -$sig $rec
	wait $rec
	rc=$?
	[ $rc = 0 ] || fail "SIG$sig: record -p exited $rc: $(cat "$tmp/rec.out")"
	wait $lp
	rc=$?
	lp=
	[ $rc = 0 ] || fail "SIG$sig: the loop exited $rc after the detach: $(cat "$tmp/loop.out")"
	grep checksum "$tmp/loop.out" | cmp -s - "$tmp/ref.txt" ||
		fail "SIG$sig: output differs: $(grep checksum "$tmp/loop.out") vs $(cat "$tmp/ref.txt")"
	"$OPC" report "$tmp/$sig.opc" --format csv >"$tmp/r.csv" 2>"$tmp/r.err" ||
		fail "SIG$sig: report: $(cat "$tmp/r.err")"
	grep -qi "truncat\|no END" "$tmp/r.err" && fail "SIG$sig: trace incomplete: $(cat "$tmp/r.err")"
	grep -q '^dgemm,' "$tmp/r.csv" || fail "SIG$sig: no dgemm counted: $(cat "$tmp/r.csv")"
	echo "ok SIG$sig: detached cleanly, the loop finished unchanged, trace complete"
done

# already traced: the error names the tracer
if command -v strace >/dev/null; then
	start_loop "$LOOP" 100000 1000
	strace -p $lp -o /dev/null 2>/dev/null &
	st=$!
	i=0
	while [ "$(tracer $lp)" = 0 ]; do
		i=$((i + 1)); [ $i -gt 250 ] && fail "strace did not attach"
		sleep 0.02
	done
	tp=$(tracer $lp)
	"$OPC" record -p $lp --duration 0.2 -o "$tmp/st.opc" >"$tmp/rec.out" 2>&1 &&
		fail "record -p of a process under strace succeeded"
	grep -q "already traced by process $tp (strace)" "$tmp/rec.out" ||
		fail "the error does not name the tracer ($tp, strace): $(cat "$tmp/rec.out")"
	echo "ok already traced: $(cat "$tmp/rec.out")"
else
	echo "skip part: strace is not installed (the already-traced message is not checked)"
fi
