#!/bin/sh
# fork_exec.sh - a forked child and an exec'd child write traces of their
# own, each with exactly its own calls (tests/progs/fork_exec.c).
#
#  1. Default names in the working directory: exactly three traces,
#     opcount-<pid>.opc for the parent, the forked child and the exec'd
#     child, each with the calls and FLOPs of its own work, per op; the
#     parent's calls before fork() are not in the child's trace.
#  2. OPCOUNT_OUTPUT=DIR/t-%p.opc: the same, under those names.
#  3. --work-before-exec: the second child calls BLAS before it execs, so
#     one pid runs two images that both count: two traces for that pid,
#     one with the pre-exec work and one with the exec'd work, neither
#     overwriting the other.
#  4. All traces together: the report sums them.
#  5. A fixed name (no %p), -o run.opc, under a bare LD_PRELOAD and under
#     `opcount record`, with --work-before-exec: the parent writes
#     run.opc, the forked child run.<pid>.opc, the second child
#     run.<pid>.opc before its exec and run.<pid>.exec1.opc after, as the
#     README names them.
. "$(dirname "$0")/lib.inc"
PROG=$B/tests/progs/fork_exec
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$PROG"

# check_role DIR OUT ROLE TRACE: TRACE holds exactly ROLE's expected work
check_role() {
	d=$1 out=$2 role=$3 trace=$4
	"$OPC" report "$trace" --by op --format json >"$d/$role.json" 2>"$d/$role.err" ||
		fail "$role: report of $trace exited $?: $(cat "$d/$role.err")"
	$CHECK validate "$d/$role.json" || fail "$role: report does not follow the JSON contract"
	set -- $(awk -v r="$role" '$1 == "expect" && $2 == r { print $3, $4 }' "$out")
	[ $# = 2 ] || fail "$role: no expect line"
	got_f=$($CHECK get "$d/$role.json" totals.flops)
	got_c=$($CHECK get "$d/$role.json" totals.calls)
	[ "$got_f" = "$1" ] && [ "$got_c" = "$2" ] ||
		fail "$role ($trace): $got_c calls, $got_f FLOPs; expected $2 calls, $1 FLOPs ($($CHECK rows "$d/$role.json" op | tr '\n' ';'))"
	awk -v r="$role" '$1 == "expect_op" && $2 == r { print "expect", $3, $4, $5 }' "$out" >"$d/$role.ops"
	$CHECK compare "$d/$role.json" op "$d/$role.ops" --only --calls ||
		fail "$role ($trace): per-op counts differ"
}

pid_of() {	# OUT ROLE
	awk -v r="$2" '$1 == "pid" && $2 == r { print $3 }' "$1"
}

# 1. default names
d=$tmp/default
mkdir "$d"
(cd "$d" && LD_PRELOAD=$LIB "$PROG" >out.txt 2>err.txt) || fail "fork_exec exited $?: $(cat "$d/err.txt")"
for role in parent child exec; do
	pid=$(pid_of "$d/out.txt" $role)
	[ -n "$pid" ] || fail "no pid line for $role"
	[ -s "$d/opcount-$pid.opc" ] || fail "$role: no opcount-$pid.opc (have: $(ls "$d"))"
	check_role "$d" "$d/out.txt" $role "$d/opcount-$pid.opc"
done
ntraces=$(ls "$d" | grep -c '\.opc$')
[ "$ntraces" = 3 ] || fail "expected 3 traces, found $ntraces: $(ls "$d")"
echo "ok default names: parent, forked child, exec'd child"

# 4. every trace in one report: the sum of the three
"$OPC" report "$d"/*.opc --format json >"$d/all.json" 2>"$d/all.err" ||
	fail "report of all three traces exited $?: $(cat "$d/all.err")"
want=$(awk '$1 == "expect" { f += $3; c += $4 } END { print f, c }' "$d/out.txt")
got="$($CHECK get "$d/all.json" totals.flops) $($CHECK get "$d/all.json" totals.calls)"
[ "$got" = "$want" ] || fail "three traces together: got FLOPs, calls $got; expected $want"
echo "ok three traces summed"

# 2. OPCOUNT_OUTPUT with %p; run from elsewhere
d=$tmp/pattern
mkdir "$d" "$d/cwd"
(cd "$d/cwd" && OPCOUNT_OUTPUT=$d/t-%p.opc LD_PRELOAD=$LIB "$PROG" >../out.txt 2>../err.txt) ||
	fail "fork_exec (OPCOUNT_OUTPUT) exited $?: $(cat "$d/err.txt")"
for role in parent child exec; do
	pid=$(pid_of "$d/out.txt" $role)
	[ -s "$d/t-$pid.opc" ] || fail "$role: no t-$pid.opc (have: $(ls "$d"))"
	check_role "$d" "$d/out.txt" $role "$d/t-$pid.opc"
done
[ -z "$(ls "$d/cwd")" ] || fail "traces in the working directory despite OPCOUNT_OUTPUT: $(ls "$d/cwd")"
echo "ok OPCOUNT_OUTPUT=.../t-%p.opc"

# 3. BLAS before exec: two images, one pid
d=$tmp/before
mkdir "$d"
(cd "$d" && LD_PRELOAD=$LIB "$PROG" --work-before-exec >out.txt 2>err.txt) ||
	fail "fork_exec --work-before-exec exited $?: $(cat "$d/err.txt")"
for role in parent child; do
	pid=$(pid_of "$d/out.txt" $role)
	check_role "$d" "$d/out.txt" $role "$d/opcount-$pid.opc"
done
pid=$(pid_of "$d/out.txt" exec)
ls "$d" | grep "^opcount-$pid[.]" | grep '\.opc$' >"$d/same-pid.txt"
[ "$(wc -l <"$d/same-pid.txt")" = 2 ] ||
	fail "pid $pid ran two images that called BLAS: expected 2 traces, have: $(ls "$d")"
# which is which: by content, not by name
found_pre= found_exec=
for f in $(cat "$d/same-pid.txt"); do
	"$OPC" report "$d/$f" --by op --format json >"$d/probe.json" 2>/dev/null ||
		fail "$f: report failed"
	if [ "$($CHECK row "$d/probe.json" op=dscal calls)" != none ]; then
		check_role "$d" "$d/out.txt" preexec "$d/$f"
		found_pre=$f
	else
		check_role "$d" "$d/out.txt" exec "$d/$f"
		found_exec=$f
	fi
done
[ -n "$found_pre" ] && [ -n "$found_exec" ] ||
	fail "pid $pid: need one pre-exec and one exec'd trace, got pre=$found_pre exec=$found_exec"
[ "$(ls "$d" | grep -c '\.opc$')" = 4 ] || fail "expected 4 traces: $(ls "$d")"
echo "ok work before exec: $found_pre and $found_exec"

# 5. a fixed name: FILE for the parent, FILE's stem + .<pid>.opc for the
# others, + .<pid>.exec1.opc for the image a process execs after writing
for how in bare record; do
	d=$tmp/fixed-$how
	mkdir "$d"
	if [ $how = bare ]; then
		(cd "$d" && OPCOUNT_OUTPUT=$d/run.opc LD_PRELOAD=$LIB "$PROG" --work-before-exec \
			>out.txt 2>err.txt)
	else
		(cd "$d" && "$OPC" record -o run.opc -- "$PROG" --work-before-exec >out.txt 2>err.txt)
	fi || fail "$how, -o run.opc: fork_exec exited $?: $(cat "$d/err.txt")"
	cpid=$(pid_of "$d/out.txt" child)
	epid=$(pid_of "$d/out.txt" exec)
	for want in "parent run.opc" "child run.$cpid.opc" "preexec run.$epid.opc" \
		"exec run.$epid.exec1.opc"; do
		set -- $want
		[ -s "$d/$2" ] || fail "$how, -o run.opc: no $2 for the $1 (have: $(ls "$d" | tr '\n' ' '))"
		check_role "$d" "$d/out.txt" $1 "$d/$2"
	done
	[ "$(ls "$d" | grep -c '\.opc$')" = 4 ] || fail "$how, -o run.opc: expected 4 traces: $(ls "$d")"
	echo "ok $how, -o run.opc: run.opc, run.$cpid.opc, run.$epid.opc, run.$epid.exec1.opc"
done

echo "every process counted its own calls"
