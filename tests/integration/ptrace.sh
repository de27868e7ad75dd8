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
# - a program that forks a child and a child that execs: each process
#   writes its own trace, counted exactly.
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
[ -x "$PY" ] || { echo "skip: $PY is not installed (the JSON checks need it)"; exit 77; }
for f in "$OPC" "$LIB" "$P/blas_calls" "$P/blas_calls-static" "$P/dlopen_local" "$P/threads" \
	 "$P/fork_exec"; do
	[ -e "$f" ] || fail "$f is missing (run make test, which builds it)"
done

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

if ! "$OPC" record --ptrace -o "$tmp/probe.opc" -- true >/dev/null 2>"$tmp/probe.err"; then
	if grep -q "not permitted\|disabled" "$tmp/probe.err"; then
		echo "skip: $(cat "$tmp/probe.err")"
		exit 77
	fi
	fail "record --ptrace -- true: $(cat "$tmp/probe.err")"
fi

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
OPCOUNT_OUTPUT=$tmp/l.opc LD_PRELOAD=$LIB "$P/blas_calls" >"$tmp/l.out" 2>"$tmp/l.err" ||
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
#    counted exactly; a process that execs keeps its trace across images
for mode in "" --work-before-exec; do
	rm -f "$tmp"/f*.opc
	"$OPC" record --ptrace -o "$tmp/f.opc" -- "$P/fork_exec" $mode >"$tmp/f.out" 2>"$tmp/f.err" ||
		fail "fork_exec $mode exited $?: $(cat "$tmp/f.err")"
	for role in parent child exec; do
		pid=$(awk -v r=$role '$1 == "pid" && $2 == r { print $3 }' "$tmp/f.out")
		want=$(awk -v r=$role '$1 == "expect" && $2 == r { print $3, $4 }' "$tmp/f.out")
		if [ $role = exec ] && [ -n "$mode" ]; then
			# the pre-exec work of the same pid is in the same trace
			want=$(awk '$1 == "expect" && ($2 == "exec" || $2 == "preexec") {
				f += $3; c += $4 } END { print f, c }' "$tmp/f.out")
		fi
		trace=$tmp/f.$pid.opc
		[ $role = parent ] && trace=$tmp/f.opc
		[ -f "$trace" ] || fail "fork_exec $mode: no trace $trace for the $role"
		"$OPC" report "$trace" --by op --format json >"$tmp/f.json" || fail "report $trace"
		got=$(totals "$tmp/f.json")
		[ -n "$want" ] && [ "$got" = "$want" ] ||
			fail "fork_exec $mode $role: counted $got, expected $want"
	done
	echo "ok fork_exec $mode: parent, forked child and exec'd child counted exactly"
done
echo "ptrace mode counted exactly"
