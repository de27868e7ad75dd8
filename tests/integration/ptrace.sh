#!/bin/sh
# ptrace.sh - `opcount record --ptrace`: breakpoints instead of LD_PRELOAD.
#
# - blas_calls linked statically with libopenblas.a (which LD_PRELOAD
#   cannot see) counts the same per op, interface and call site as the
#   preload library on the dynamic build of the same program, and prints
#   the same output;
# - a program that binds cblas_dgemm/ddot with dlopen(RTLD_LOCAL) + dlsym
#   is counted exactly;
# - 8 threads calling dgemm and ddot at once are counted exactly;
# - a program that forks a child and a child that execs (with and without
#   BLAS calls before the exec): each process and each image writes its own
#   trace, counted exactly;
# - a command that calls BLAS and then execs a (static) BLAS program: two
#   traces, each with exactly its own image's calls.
# Skips when ptrace is not permitted here.
set -u
ROOT=$(pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
OPC=$B/opcount
LIB=$B/libopcount.so
P=$B/tests/progs
PY=/usr/bin/python3
CHECK="$PY $ROOT/tests/python/check_report.py"

fail() { echo "FAIL: $*"; exit 1; }
[ -x "$PY" ] || fail "$PY is not installed (the JSON checks need it): run make deps"
for f in "$OPC" "$LIB" "$P/blas_calls" "$P/blas_calls-static" "$P/dlopen_local" "$P/threads" \
	 "$P/fork_exec"; do
	[ -e "$f" ] || fail "$f is missing (run make test, which builds it)"
done

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

. "$(dirname "$0")/ptrace.inc"
ptrace_or_skip

# totals FILE.json -> "FLOPS CALLS"
totals() { echo "$($CHECK get "$1" totals.flops) $($CHECK get "$1" totals.calls)"; }

# exact NAME OUT.txt TRACE: totals and per-op counts as the program expects
exact() {
	"$OPC" report "$3" --by op --format json >"$tmp/$1.json" 2>"$tmp/rep.err" ||
		fail "$1: report exited $?: $(cat "$tmp/rep.err")"
	$CHECK validate "$tmp/$1.json" || fail "$1: report does not follow the JSON contract"
	want=$(awk '$1 == "expect_total" { print $2, $3 }' "$2")
	got=$(totals "$tmp/$1.json")
	[ "$got" = "$want" ] || fail "$1: counted (FLOPs calls) $got, expected $want"
	$CHECK compare "$tmp/$1.json" op "$2" --only --calls || fail "$1: per-op counts differ"
	echo "ok $1: $want (FLOPs calls)"
}

# 1. static binary under ptrace = dynamic binary under the preload library
"$OPC" record --ptrace -o "$tmp/s.opc" -- "$P/blas_calls-static" >"$tmp/s.out" 2>"$tmp/s.err" ||
	fail "static under ptrace exited $?: $(cat "$tmp/s.err")"
OPCOUNT_OUTPUT=$tmp/l.opc LD_PRELOAD=${SAN_RUNTIME:+$SAN_RUNTIME:}$LIB "$P/blas_calls" >"$tmp/l.out" 2>"$tmp/l.err" ||
	fail "dynamic under the library exited $?: $(cat "$tmp/l.err")"
cmp -s "$tmp/s.out" "$tmp/l.out" || fail "the static and dynamic programs printed different output"
exact static "$tmp/s.out" "$tmp/s.opc"
for f in s l; do
	"$OPC" report "$tmp/$f.opc" --by site --format csv >"$tmp/$f.csv" 2>"$tmp/rep.err" ||
		fail "report --by site $f: $(cat "$tmp/rep.err")"
	# op, type, layer, site, iface, calls, flops: not times or energy
	grep -v '^-,outside' "$tmp/$f.csv" | cut -d, -f1-7 | sort >"$tmp/$f.rows"
done
diff "$tmp/s.rows" "$tmp/l.rows" >"$tmp/rows.diff" ||
	fail "static (ptrace) and dynamic (preload) rows differ: $(cat "$tmp/rows.diff")"
echo "ok static = preload: $(wc -l <"$tmp/s.rows") rows by site"

# 2. dlopen(RTLD_LOCAL) + dlsym
"$OPC" record --ptrace -o "$tmp/d.opc" -- "$P/dlopen_local" 300 >"$tmp/d.out" 2>"$tmp/d.err" ||
	fail "dlopen_local exited $?: $(cat "$tmp/d.err")"
exact dlopen "$tmp/d.out" "$tmp/d.opc"

# 3. threads
"$OPC" record --ptrace -o "$tmp/t.opc" -- "$P/threads" 500 8 2 >"$tmp/t.out" 2>"$tmp/t.err" ||
	fail "threads exited $?: $(cat "$tmp/t.err")"
"$P/threads" 500 8 2 | grep checksum >"$tmp/t.sum"
grep checksum "$tmp/t.out" | cmp -s - "$tmp/t.sum" || fail "threads: output differs under ptrace"
exact threads "$tmp/t.out" "$tmp/t.opc"

# 4. fork and exec: every process its own trace (FILE's stem.<pid>.opc),
#    and every image its own: the exec'd image of pid P writes
#    FILE's stem.P.exec1.opc, the image before it ends with an EXEC record.
#    Each trace holds exactly its own calls, per op.
# check_trace NAME TRACE ROLE OUT: TRACE is complete and holds exactly ROLE's
# calls and FLOPs ("none": no call at all), per op
check_trace() {
	[ -f "$2" ] || fail "$1: no trace $2 (have: $(ls "$tmp" | grep '^f' | tr '\n' ' '))"
	"$OPC" report "$2" --by op --format json >"$tmp/f.json" 2>"$tmp/rep.err" ||
		fail "$1: report $2 exited $?: $(cat "$tmp/rep.err")"
	$CHECK validate "$tmp/f.json" || fail "$1: report of $2 does not follow the JSON contract"
	[ "$($CHECK get "$tmp/f.json" traces.0.complete)" = true ] ||
		fail "$1: $2 has no END or EXEC record"
	if [ "$3" = none ]; then
		want="0 0"
	else
		want=$(awk -v r="$3" '$1 == "expect" && $2 == r { print $3, $4 }' "$4")
		awk -v r="$3" '$1 == "expect_op" && $2 == r { print "expect", $3, $4, $5 }' "$4" \
			>"$tmp/f.ops"
		$CHECK compare "$tmp/f.json" op "$tmp/f.ops" --only --calls ||
			fail "$1: per-op counts in $2 differ"
	fi
	got=$(totals "$tmp/f.json")
	[ -n "$want" ] && [ "$got" = "$want" ] || fail "$1: $2 counted $got, expected $want"
}
for mode in "" --work-before-exec; do
	rm -f "$tmp"/f*.opc
	"$OPC" record --ptrace -o "$tmp/f.opc" -- "$P/fork_exec" $mode >"$tmp/f.out" 2>"$tmp/f.err" ||
		fail "fork_exec $mode exited $?: $(cat "$tmp/f.err")"
	pid() { awk -v r=$1 '$1 == "pid" && $2 == r { print $3 }' "$tmp/f.out"; }
	pp=$(pid parent) cp=$(pid child) ep=$(pid exec)
	check_trace "fork_exec $mode parent" "$tmp/f.opc" parent "$tmp/f.out"
	check_trace "fork_exec $mode forked child" "$tmp/f.$cp.opc" child "$tmp/f.out"
	# the second child: one pid, two images, two traces
	pre=none
	[ -n "$mode" ] && pre=preexec
	check_trace "fork_exec $mode before exec" "$tmp/f.$ep.opc" $pre "$tmp/f.out"
	check_trace "fork_exec $mode exec'd image" "$tmp/f.$ep.exec1.opc" exec "$tmp/f.out"
	n=$(ls "$tmp" | grep -c '^f.*\.opc$')
	[ "$n" = 4 ] || fail "fork_exec $mode: expected 4 traces, have $(ls "$tmp" | grep '^f' | tr '\n' ' ')"
	grep -q "3 more traces" "$tmp/f.err" ||
		fail "fork_exec $mode: record does not list the other traces: $(cat "$tmp/f.err")"
	echo "ok fork_exec $mode: parent, forked child, pid $ep before exec ($pre) and its exec'd image (f.$ep.exec1.opc) counted exactly"
done

# 5. the command itself calls BLAS, then execs another BLAS program (a
#    static one: other modules, breakpoints found anew): FILE holds the
#    first image's calls, FILE's stem.<pid>.exec1.opc the second's
rm -f "$tmp"/x*.opc
"$OPC" record --ptrace -o "$tmp/x.opc" -- "$P/fork_exec" --then-exec "$P/blas_calls-static" \
	>"$tmp/x.out" 2>"$tmp/x.err" || fail "fork_exec --then-exec exited $?: $(cat "$tmp/x.err")"
xp=$(awk '$1 == "pid" && $2 == "preexec" { print $3 }' "$tmp/x.out")
[ -n "$xp" ] || fail "then-exec: no pid line: $(cat "$tmp/x.out")"
check_trace "then-exec, first image" "$tmp/x.opc" preexec "$tmp/x.out"
grep -v '^[a-z_]* preexec ' "$tmp/x.out" >"$tmp/x2.out"
cmp -s "$tmp/x2.out" "$tmp/s.out" || fail "then-exec: blas_calls-static printed other output"
exact then-exec "$tmp/x2.out" "$tmp/x.$xp.exec1.opc"
[ "$(ls "$tmp" | grep -c '^x.*\.opc$')" = 2 ] || fail "then-exec: expected 2 traces: $(ls "$tmp")"
# 6. vfork children (posix_spawn, system, Python's subprocess, a shell
#    running a command): followed to their exec, the new image traced from
#    its start as the child's own trace, FILE's stem.<pid>.opc, exactly;
#    the parent's trace holds its own calls only, and no EXEC record
check_vfork() {	# NAME TRACE CALLS FLOPS
	[ -f "$2" ] || fail "$1: no trace $2 (have: $(ls "$tmp" | grep '^v' | tr '\n' ' '))"
	"$OPC" report "$2" --format json >"$tmp/v.json" 2>"$tmp/rep.err" ||
		fail "$1: report $2 exited $?: $(cat "$tmp/rep.err")"
	[ "$($CHECK get "$tmp/v.json" traces.0.complete)" = true ] ||
		fail "$1: $2 has no END record"
	got=$(totals "$tmp/v.json")
	[ "$got" = "$4 $3" ] || fail "$1: $2 holds (FLOPs calls) $got, expected $4 $3"
	echo "ok $1: $3 calls, $4 FLOPs in $(basename "$2")"
}
for opt in "" --close-fds; do
	rm -f "$tmp"/v*.opc
	"$OPC" record --ptrace -o "$tmp/v.opc" -- "$P/vfork_exec" $opt >"$tmp/v.out" 2>"$tmp/v.err" ||
		fail "vfork_exec $opt under ptrace exited $?: $(cat "$tmp/v.err")"
	for role in parent vfork spawn; do
		pid=$(awk -v r=$role '$1 == "pid" && $2 == r { print $3 }' "$tmp/v.out")
		set -- $(awk -v r=$role '$1 == "expect" && $2 == r { print $4, $3 }' "$tmp/v.out")
		[ -n "$pid" ] && [ $# = 2 ] || fail "vfork_exec $opt: no pid or expect line for $role"
		tr=$tmp/v.$pid.opc
		[ $role = parent ] && tr=$tmp/v.opc
		check_vfork "vfork_exec $opt under ptrace: $role" "$tr" "$1" "$2"
	done
	[ "$($PY "$ROOT/tests/python/trace_frames.py" "$tmp/v.opc" | grep -c '^EXEC$')" = 0 ] ||
		fail "vfork_exec $opt under ptrace: the parent's trace has an EXEC record of a child's exec"
	n=$(ls "$tmp" | grep -c '^v.*\.opc$')
	[ "$n" = 3 ] || fail "vfork_exec $opt under ptrace: expected 3 traces: $(ls "$tmp" | grep '^v' | tr '\n' ' ')"
done
rm -f "$tmp"/v*.opc
"$OPC" record --ptrace -o "$tmp/v.opc" -- sh -c "\"$P/blas_calls\"; true" >"$tmp/v.out" 2>"$tmp/v.err" ||
	fail "sh -c 'blas_calls; true' under ptrace exited $?: $(cat "$tmp/v.err")"
cmp -s "$tmp/v.out" "$tmp/l.out" || fail "sh -c blas_calls: other output under ptrace"
set -- $(ls "$tmp" | grep '^v\.[0-9]*\.opc$')
[ $# = 1 ] || fail "sh -c blas_calls: expected one child trace: $(ls "$tmp" | grep '^v' | tr '\n' ' ')"
exact "sh -c blas_calls, the shell's child" "$tmp/l.out" "$tmp/$1"
check_vfork "sh -c blas_calls, the shell" "$tmp/v.opc" 0 0

echo "ptrace mode counted exactly"
