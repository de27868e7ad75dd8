#!/bin/sh
# quick_exit.sh - a process that ends through _exit or _Exit (a fork
# child's usual way out: Python's os._exit, multiprocessing's workers; a
# signal handler's) runs no exit handler, yet its trace is whole: every
# call, and its END.  The library's _exit has the collector thread end
# the trace and waits for it at most a second, since the caller may be a
# signal handler that interrupted anything.
#
#  1. tests/progs/quick_exit.c: a fork child makes 10 dgemm calls and at
#     once calls _exit(3) (then _Exit(3)): its trace has the 10 calls and
#     ends with END; its status is still 3 (the library used to leave a
#     child this quick with no trace at all).
#  2. A SIGALRM handler calls _exit(7) in the middle of a loop of dgemm
#     calls and malloc/free pairs, 10 times: status 7, under 2 s each,
#     every trace complete.
#  3. A vfork child whose exec fails calls _exit(127): the parent's trace
#     is its own, with all its calls and one END.
#  4. Python: os.fork(), NumPy's dgemm 10 times, os._exit(0).
. "$(dirname "$0")/lib.inc"
PROG=$B/tests/progs/quick_exit
need "$LIB" "$OPC" "$PROG"
export OPENBLAS_NUM_THREADS=1 OPCOUNT_ENERGY=none
FRAMES="$PY $ROOT/tests/python/trace_frames.py"

# check WHAT TRACE [CALLS]: TRACE reads, is complete, ends with END, and
# counts CALLS dgemm calls of 1024 FLOPs (any number above 0 if not given)
check() {
	what=$1 trace=$2 calls=${3:-} bad0=$nbad
	[ -s "$trace" ] || { bad "$what: no trace $trace (have: $(ls "$(dirname "$trace")" | tr '\n' ' '))"; return; }
	"$OPC" report "$trace" --by op --format json >"$tmp/r.json" 2>"$tmp/r.err" ||
		{ bad "$what: report of $trace exited $?: $(cat "$tmp/r.err")"; return; }
	got=$($CHECK row "$tmp/r.json" op=dgemm calls)
	flops=$($CHECK row "$tmp/r.json" op=dgemm flops)
	if [ -n "$calls" ]; then
		[ "$got $flops" = "$calls $((calls * 1024))" ] ||
			bad "$what: dgemm calls, FLOPs $got $flops; expected $calls $((calls * 1024))"
	else
		[ "${got:-0}" -gt 0 ] && [ "$flops" = $((got * 1024)) ] ||
			bad "$what: dgemm calls, FLOPs $got $flops"
	fi
	$FRAMES "$trace" >"$tmp/frames" || { bad "$what: cannot read the frames of $trace"; return; }
	[ "$(tail -n 1 "$tmp/frames")" = END ] ||
		bad "$what: $trace does not end with END: ends with $(tail -n 1 "$tmp/frames")"
	[ "$(grep -c '^END$' "$tmp/frames")" = 1 ] || bad "$what: $trace has $(grep -c '^END$' "$tmp/frames") END records"
	[ "$($CHECK get "$tmp/r.json" traces.0.complete)" = true ] || bad "$what: $trace is incomplete"
	[ "$nbad" -ne "$bad0" ] || ok "$what: ${calls:-$got} calls, END"
}

pid_of() {	# OUT ROLE
	awk -v r="$2" '$1 == "pid" && $2 == r { print $3 }' "$1"
}

# 1. a fork child's _exit and _Exit
for mode in fork Exit; do
	d=$tmp/$mode
	mkdir "$d"
	(cd "$d" && LD_PRELOAD=$LIB "$PROG" $mode 10 >out.txt 2>err.txt) ||
		fail "quick_exit $mode exited $?: $(cat "$d/err.txt")"
	[ -s "$d/err.txt" ] && bad "quick_exit $mode: stderr: $(cat "$d/err.txt")"
	grep -qx "child status 3" "$d/out.txt" || bad "quick_exit $mode: $(cat "$d/out.txt")"
	check "$mode: parent" "$d/opcount-$(pid_of "$d/out.txt" parent).opc" 10
	check "$mode: child" "$d/opcount-$(pid_of "$d/out.txt" child).opc" 10
done

# 2. _exit from a signal handler, 10 times
d=$tmp/signal
mkdir "$d"
i=0
while [ $i -lt 10 ]; do
	t0=$(date +%s%N)
	(cd "$d" && LD_PRELOAD=$LIB timeout 20 "$PROG" signal 50 >out.txt 2>err.txt)
	rc=$? t=$((($(date +%s%N) - t0) / 1000000))
	[ $rc = 7 ] || fail "quick_exit signal: exit status $rc, not 7 (run $i, $t ms): $(cat "$d/err.txt")"
	[ $t -lt 2000 ] || bad "quick_exit signal: took $t ms (run $i)"
	i=$((i + 1))
done
n=0
for f in "$d"/*.opc; do
	check "signal: $(basename "$f")" "$f" >/dev/null
	n=$((n + 1))
done
[ $n = 10 ] || bad "signal: $n traces for 10 runs"
[ "$nbad" = 0 ] && ok "signal: 10 runs ended by _exit(7) in a handler, each under 2 s, 10 traces complete"

# 3. a vfork child's _exit
d=$tmp/vfork
mkdir "$d"
(cd "$d" && LD_PRELOAD=$LIB "$PROG" vfork 10 >out.txt 2>err.txt) ||
	fail "quick_exit vfork exited $?: $(cat "$d/err.txt")"
grep -qx "child status 127" "$d/out.txt" || bad "quick_exit vfork: $(cat "$d/out.txt")"
check "vfork: parent" "$d/opcount-$(pid_of "$d/out.txt" parent).opc" 20
n=$(ls "$d" | grep -c '\.opc$')
[ "$n" = 1 ] || bad "vfork: expected 1 trace, found $n: $(ls "$d" | tr '\n' ' ')"

# 4. Python's os._exit in a fork child
if "$PY" -c 'import numpy' 2>/dev/null; then
	d=$tmp/py
	mkdir "$d"
	(cd "$d" && LD_PRELOAD=$LIB "$PY" - >out.txt 2>err.txt) <<'PYEOF' || fail "python os._exit: exited $?: $(cat "$d/err.txt")"
import os, sys
import numpy as np
a = np.arange(64, dtype=float).reshape(8, 8)
print("pid parent", os.getpid(), flush=True)
pid = os.fork()
if pid == 0:
    for _ in range(10):
        a @ a
    os._exit(0)
_, status = os.waitpid(pid, 0)
print("pid child", pid)
print("child status", os.waitstatus_to_exitcode(status))
PYEOF
	grep -qx "child status 0" "$d/out.txt" || bad "python os._exit: $(cat "$d/out.txt")"
	check "python os._exit: child" "$d/opcount-$(pid_of "$d/out.txt" child).opc" 10
else
	echo "skip: python os._exit part (no NumPy for $PY)"
fi
finish
