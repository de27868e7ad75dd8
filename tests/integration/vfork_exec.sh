#!/bin/sh
# vfork_exec.sh - children started with vfork (Python's subprocess since
# 3.11) or posix_spawn leave the parent's trace alone.
#
# A vfork child runs in the parent's memory until it execs, so the library
# must do nothing in it: no flush, no record, no write to any of its state.
# It used to write the parent's trace from the child's exec: EXEC records
# in the middle of the parent's trace and, once close_fds had closed the
# trace's descriptor in the child, a write error that stopped the
# parent's trace for good, without a word.
#
#  1. tests/progs/vfork_exec.c (BLAS, vfork + a failed exec + exec, BLAS,
#     posix_spawn, BLAS), then with --close-fds: the parent's trace has
#     all its calls, ends with END and has no EXEC record; each child's
#     image has a trace of its own with its own calls; nothing on stderr.
#  2. The same from Python: NumPy's dgemm, subprocess.run(['true']), a
#     child Python calling dgemm, dgemm again (tests/python/subprocess_blas.py).
#  3. A fixed name, OPCOUNT_OUTPUT=run.opc: the parent writes run.opc, each
#     child's image run.<pid>.opc, as the README names another process's.
#  4. The same with the vfork child's work done by a child of a shell it
#     execs (--shell): the grandchild, whose parent wrote no trace, still
#     leaves run.opc to the parent that writes it (it used to truncate it
#     under the running parent: a corrupt trace).
. "$(dirname "$0")/lib.inc"
PROG=$B/tests/progs/vfork_exec
need_py_module numpy python3-numpy
need "$LIB" "$OPC" "$PROG"
export OPENBLAS_NUM_THREADS=1 OPCOUNT_ENERGY=none
FRAMES="$PY $ROOT/tests/python/trace_frames.py"

# check WHAT TRACE CALLS FLOPS [OP]: TRACE is complete, ends with END, has
# no EXEC record, and counts CALLS calls and FLOPS FLOPs (of OP, if given)
check() {
	what=$1 trace=$2 calls=$3 flops=$4 op=${5:-} bad0=$nbad
	[ -s "$trace" ] || { bad "$what: no trace $trace (have: $(ls "$(dirname "$trace")" | tr '\n' ' '))"; return; }
	"$OPC" report "$trace" --by op --format json >"$tmp/r.json" 2>"$tmp/r.err" ||
		{ bad "$what: report of $trace exited $?: $(cat "$tmp/r.err")"; return; }
	if [ -n "$op" ]; then
		got="$($CHECK row "$tmp/r.json" op="$op" calls) $($CHECK row "$tmp/r.json" op="$op" flops)"
	else
		got="$($CHECK get "$tmp/r.json" totals.calls) $($CHECK get "$tmp/r.json" totals.flops)"
	fi
	[ "$got" = "$calls $flops" ] ||
		bad "$what: ${op:-all} calls, FLOPs $got; expected $calls $flops"
	$FRAMES "$trace" >"$tmp/frames" || { bad "$what: cannot read the frames of $trace"; return; }
	nexec=$(grep -c '^EXEC$' "$tmp/frames")
	[ "$nexec" = 0 ] || bad "$what: $nexec EXEC record(s) in $trace: an exec that was not its own"
	[ "$(tail -n 1 "$tmp/frames")" = END ] ||
		bad "$what: $trace does not end with END: ends with $(tail -n 1 "$tmp/frames")"
	[ "$($CHECK get "$tmp/r.json" traces.0.complete)" = true ] ||
		bad "$what: $trace is incomplete"
	[ "$nbad" -ne "$bad0" ] || ok "$what: $calls calls, END, no EXEC"
}

pid_of() {	# OUT ROLE
	awk -v r="$2" '$1 == "pid" && $2 == r { print $3 }' "$1"
}
expect_of() {	# OUT ROLE: calls flops
	awk -v r="$2" '$1 == "expect" && $2 == r { print $4, $3 }' "$1"
}

# 1. C: vfork + exec, posix_spawn; with and without closing descriptors
for opt in "" --close-fds; do
	d=$tmp/c$opt
	mkdir "$d"
	(cd "$d" && LD_PRELOAD=$LIB "$PROG" $opt >out.txt 2>err.txt) ||
		fail "vfork_exec${opt:+ $opt} exited $?: $(cat "$d/err.txt")"
	[ -s "$d/err.txt" ] && bad "vfork_exec${opt:+ $opt}: stderr: $(cat "$d/err.txt")"
	for role in parent vfork spawn; do
		pid=$(pid_of "$d/out.txt" $role)
		[ -n "$pid" ] || fail "vfork_exec${opt:+ $opt}: no pid line for $role"
		check "vfork_exec${opt:+ $opt}: $role" "$d/opcount-$pid.opc" $(expect_of "$d/out.txt" $role)
	done
	n=$(ls "$d" | grep -c '\.opc$')
	[ "$n" = 3 ] || bad "vfork_exec${opt:+ $opt}: expected 3 traces, found $n: $(ls "$d" | tr '\n' ' ')"
done

# 2. Python's subprocess (vfork, close_fds=True)
d=$tmp/py
mkdir "$d"
(cd "$d" && LD_PRELOAD=$LIB "$PY" "$ROOT/tests/python/subprocess_blas.py" >out.txt 2>err.txt) ||
	fail "subprocess_blas.py exited $?: $(cat "$d/err.txt")"
[ -s "$d/err.txt" ] && bad "subprocess_blas.py: stderr: $(cat "$d/err.txt")"
set -- $(awk '$1 == "dgemm" { print $2, $3 }' "$d/out.txt")
[ $# = 2 ] || fail "subprocess_blas.py printed no expectation: $(cat "$d/out.txt")"
check "python subprocess: parent" "$d/opcount-$(pid_of "$d/out.txt" parent).opc" "$1" "$2" dgemm
set -- $(awk '$1 == "child" && $2 == "dgemm" { print $3, $4 }' "$d/out.txt")
check "python subprocess: child" "$d/opcount-$(pid_of "$d/out.txt" child).opc" "$1" "$2" dgemm
n=$(ls "$d" | grep -c '\.opc$')
[ "$n" = 2 ] || bad "python subprocess: expected 2 traces, found $n: $(ls "$d" | tr '\n' ' ')"

# 3. a fixed name
d=$tmp/fixed
mkdir "$d"
(cd "$d" && OPCOUNT_OUTPUT=$d/run.opc LD_PRELOAD=$LIB "$PROG" --close-fds >out.txt 2>err.txt) ||
	fail "vfork_exec, OPCOUNT_OUTPUT=run.opc, exited $?: $(cat "$d/err.txt")"
check "run.opc: parent" "$d/run.opc" $(expect_of "$d/out.txt" parent)
for role in vfork spawn; do
	check "run.opc: $role" "$d/run.$(pid_of "$d/out.txt" $role).opc" $(expect_of "$d/out.txt" $role)
done
n=$(ls "$d" | grep -c '\.opc$')
[ "$n" = 3 ] || bad "run.opc: expected 3 traces, found $n: $(ls "$d" | tr '\n' ' ')"

# 4. a grandchild
d=$tmp/shell
mkdir "$d"
(cd "$d" && OPCOUNT_OUTPUT=$d/run.opc LD_PRELOAD=$LIB "$PROG" --shell >out.txt 2>err.txt) ||
	fail "vfork_exec --shell exited $?: $(cat "$d/err.txt")"
check "--shell, run.opc: parent" "$d/run.opc" $(expect_of "$d/out.txt" parent)
check "--shell, run.opc: spawn" "$d/run.$(pid_of "$d/out.txt" spawn).opc" \
	$(expect_of "$d/out.txt" spawn)
others=$(ls "$d" | grep '^run\.[0-9]*\.opc$' | grep -v "^run.$(pid_of "$d/out.txt" spawn).opc$")
[ "$(echo "$others" | wc -w)" = 1 ] || fail "--shell: expected one grandchild's trace: $(ls "$d")"
check "--shell, run.opc: grandchild" "$d/$others" $(expect_of "$d/out.txt" vfork)
finish
