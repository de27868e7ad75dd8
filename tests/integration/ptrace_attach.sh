#!/bin/sh
# ptrace_attach.sh - `opcount record -p PID --duration S`: attach to a
# running BLAS loop for a second, detach, and the loop finishes with the
# same output (and status) as a run nobody attached to; what was counted
# is consistent: one key, FLOPs = calls x 2*24^3, calls within what the
# loop can make in the time.  Then a busy loop (no sleep: detaching
# catches threads inside calls and on breakpoints), 4 threads at once (each
# op's FLOPs = calls x its FLOPs per call), a process that exits
# while attached, a child forked while attached (followed, counted in its
# own trace, released with the breakpoints out of its memory), a process
# forking thousands of children across three attach/detach cycles (none
# dies, each child's trace holds at most its own 10 calls), and the errors
# for a pid that does not exist, a process that has exited but is not
# reaped (a zombie), and a process of another user.
# Skips when ptrace is not permitted here.
set -u
ROOT=$(pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
OPC=$B/opcount
LOOP=$B/tests/progs/blas_loop
PY=/usr/bin/python3
CHECK="$PY $ROOT/tests/python/check_report.py"

fail() { echo "FAIL: $*"; exit 1; }
[ -x "$PY" ] || fail "$PY is not installed (the JSON checks need it): run make deps"
for f in "$OPC" "$LOOP" "$B/tests/progs/threads" "$B/tests/progs/fork_loop"; do
	[ -e "$f" ] || fail "$f is missing (run make test, which builds it)"
done
tmp=$(mktemp -d) || exit 1
lp=
trap '[ -n "$lp" ] && kill $lp 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

. "$(dirname "$0")/ptrace.inc"
ptrace_or_skip

# start ITERS SLEEP_US: runs the loop in the background, waits for "ready"
start() { start_loop "$LOOP" "$@"; }

# attach NAME ITERS SLEEP_US DURATION
attach() {
	name=$1; shift
	dur=$3
	"$LOOP" "$1" "$2" | grep checksum >"$tmp/ref.txt" || fail "$name: reference run failed"
	start "$1" "$2"
	"$OPC" record -p $lp --duration "$dur" -o "$tmp/$name.opc" >"$tmp/rec.out" 2>&1 ||
		fail "$name: record -p exited $?: $(cat "$tmp/rec.out")"
	wait $lp
	rc=$?
	lp=
	[ $rc = 0 ] || fail "$name: the loop exited $rc after the detach: $(cat "$tmp/loop.out")"
	grep checksum "$tmp/loop.out" | cmp -s - "$tmp/ref.txt" ||
		fail "$name: output differs: $(grep checksum "$tmp/loop.out") vs $(cat "$tmp/ref.txt")"
	"$OPC" report "$tmp/$name.opc" --by key --format json >"$tmp/$name.json" 2>"$tmp/rep.err" ||
		fail "$name: report exited $?: $(cat "$tmp/rep.err")"
	$CHECK validate "$tmp/$name.json" || fail "$name: report does not follow the JSON contract"
	calls=$($CHECK get "$tmp/$name.json" totals.calls)
	flops=$($CHECK get "$tmp/$name.json" totals.flops)
	[ "$calls" -gt 0 ] || fail "$name: nothing counted in $dur s"
	[ "$flops" = $((calls * 27648)) ] || fail "$name: $flops FLOPs for $calls calls of 27648"
	echo "ok $name: $calls calls x 27648 = $flops FLOPs; the loop finished unchanged"
}

# 1 ms per iteration: about 1000 calls in the second attached
attach sleepy 3000 500 1
[ "$calls" -le 2200 ] || fail "sleepy: $calls calls in 1 s is more than the loop can make"
# no sleep: the detach lands on threads inside calls and on breakpoints
attach busy 3000000 0 0.5

# a multi-threaded process: 4 threads in dgemm (32^3) and ddot (n = 1000)
THREADS=$B/tests/progs/threads
"$THREADS" 300000 4 1 | grep checksum >"$tmp/ref.txt"
"$THREADS" 300000 4 1 >"$tmp/thr.out" 2>&1 &
lp=$!
wait_exec $lp "$THREADS"
sleep 0.3
"$OPC" record -p $lp --duration 0.5 -o "$tmp/thr.opc" >"$tmp/rec.out" 2>&1 ||
	fail "threads: record -p exited $?: $(cat "$tmp/rec.out")"
wait $lp || fail "threads: exited $? after the detach: $(cat "$tmp/thr.out")"
lp=
grep checksum "$tmp/thr.out" | cmp -s - "$tmp/ref.txt" || fail "threads: output differs after attaching"
"$OPC" report "$tmp/thr.opc" --by op --format csv >"$tmp/thr.csv" || fail "report thr.opc"
awk -F, 'NR > 1 && $1 != "-" {
	per = $1 == "dgemm" ? 65536 : $1 == "ddot" ? 2000 : -1
	if ($6 <= 0 || $7 != $6 * per) { print "bad row: " $0; bad = 1 }
	n++ } END { exit bad || n != 2 }' "$tmp/thr.csv" || fail "threads: rows inconsistent: $(cat "$tmp/thr.csv")"
echo "ok threads: $(awk -F, 'NR > 1 && $1 != "-" { printf "%s %s calls; ", $1, $6 }' "$tmp/thr.csv")finished unchanged"

# a process that exits while attached: 1000 iterations of at least 1 ms,
# so that it is still there when record -p attaches on a loaded machine (a
# pid that exited may be reaped and given to another process, which -p
# would then attach to)
start 1000 1000
"$OPC" record -p $lp --duration 10 -o "$tmp/exit.opc" >"$tmp/rec.out" 2>&1 ||
	fail "exit while attached: record exited $?: $(cat "$tmp/rec.out")"
wait $lp; lp=
grep -q "exited while attached" "$tmp/rec.out" || fail "exit while attached not reported: $(cat "$tmp/rec.out")"
"$OPC" report "$tmp/exit.opc" --by op --format json >"$tmp/e.json" || fail "report of exit.opc"
calls=$($CHECK get "$tmp/e.json" totals.calls)
flops=$($CHECK get "$tmp/e.json" totals.flops)
[ "$flops" = $((calls * 27648)) ] || fail "exit while attached: $flops FLOPs for $calls calls"
echo "ok exit while attached: $calls calls"

# a child forked while attached is followed: its own trace (FILE's stem +
# .<pid>.opc) with exactly the 100 ddot calls it made while attached, none
# of the parent's; after the detach it runs on through BLAS entry points
# that had breakpoints in its copy of the memory, and both finish unchanged
FL=$B/tests/progs/fork_loop
"$FL" 3000 500 >"$tmp/fl.out" 2>&1 &
lp=$!
while ! grep -q ready "$tmp/fl.out"; do sleep 0.05; done
kill -USR1 $lp
wait $lp || fail "fork_loop (reference) exited $?"
lp=
grep checksum "$tmp/fl.out" | sort >"$tmp/fl.ref"
grep -q "child status 0" "$tmp/fl.out" || fail "fork_loop (reference): $(cat "$tmp/fl.out")"
"$FL" 3000 500 >"$tmp/fl.out" 2>&1 &
lp=$!
while ! grep -q ready "$tmp/fl.out"; do sleep 0.05; done
"$OPC" record -p $lp --duration 1.5 -o "$tmp/fl.opc" >"$tmp/rec.out" 2>&1 &
rp=$!
i=0
while ! grep -q 'TracerPid:[[:space:]]*[1-9]' /proc/$lp/status; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "fork_loop: record -p did not attach: $(cat "$tmp/rec.out")"
	sleep 0.02
done
kill -USR1 $lp	# fork now, while attached
wait $rp || fail "fork_loop: record -p exited $?: $(cat "$tmp/rec.out")"
wait $lp || fail "fork_loop: exited $? after the detach: $(cat "$tmp/fl.out")"
lp=
grep -q "child status 0" "$tmp/fl.out" ||
	fail "fork_loop: the child forked while attached did not exit normally: $(cat "$tmp/fl.out")"
grep checksum "$tmp/fl.out" | sort | cmp -s - "$tmp/fl.ref" ||
	fail "fork_loop: output differs after attaching: $(grep checksum "$tmp/fl.out") vs $(cat "$tmp/fl.ref")"
kp=$(awk '$1 == "burst" { print $2 }' "$tmp/fl.out")
[ -f "$tmp/fl.$kp.opc" ] || fail "fork_loop: no trace fl.$kp.opc for the child: $(ls "$tmp")"
grep -q "1 more trace " "$tmp/rec.out" || fail "fork_loop: the child's trace not listed: $(cat "$tmp/rec.out")"
"$OPC" report "$tmp/fl.$kp.opc" --by op --format json >"$tmp/k.json" || fail "report fl.$kp.opc"
printf 'expect ddot 20000 100\n' >"$tmp/k.want"
$CHECK compare "$tmp/k.json" op "$tmp/k.want" --only --calls ||
	fail "fork_loop: the child's trace: $($CHECK rows "$tmp/k.json" op | tr '\n' ';')"
"$OPC" report "$tmp/fl.opc" --by op --format csv >"$tmp/p.csv" || fail "report fl.opc"
pc=$(awk -F, '$1 == "dgemm" { print $6 }' "$tmp/p.csv")
awk -F, 'NR > 1 && $1 != "-" && ($1 != "dgemm" || $7 != $6 * 27648) { bad = 1 }
	END { exit bad }' "$tmp/p.csv" && [ "${pc:-0}" -gt 0 ] ||
	fail "fork_loop: the parent's trace: $(cat "$tmp/p.csv")"
echo "ok fork while attached: child $kp counted 100 ddot exactly, parent $pc dgemm; both ran on unchanged"

# a process forking children back to back (each 10 ddot, then exit),
# attached to and detached from three times: forks land in every state
# (followed, reported during the detach and let go); no child may die of
# a breakpoint left in its memory, and each child's trace holds at most its
# 10 calls (all 10 when it ran entirely while attached).  The storm lasts
# until SIGUSR1 after the third detach, however long the attaches take on
# a loaded machine (a fixed 2.5 s storm could end before the third attach,
# which then found no process).
"$FL" --storm 120 >"$tmp/storm.out" 2>&1 &
lp=$!
while ! grep -q ready "$tmp/storm.out" 2>/dev/null; do sleep 0.05; done
for i in 1 2 3; do
	kill -0 $lp 2>/dev/null || fail "storm: the storm ended early: $(cat "$tmp/storm.out")"
	"$OPC" record -p $lp --duration 0.3 -o "$tmp/st$i.opc" >"$tmp/rec.out" 2>&1 ||
		fail "storm: record -p exited $?: $(cat "$tmp/rec.out")"
	sleep 0.1
done
kill -USR1 $lp
wait $lp || fail "storm: exited $?: $(cat "$tmp/storm.out")"
lp=
grep -q "failed 0$" "$tmp/storm.out" || fail "storm: children died: $(cat "$tmp/storm.out")"
full=0 kids=0
for f in "$tmp"/st[123].*.opc; do
	"$OPC" report "$f" --by op --format csv >"$tmp/st.csv" 2>"$tmp/rep.err" ||
		fail "storm: report $f: $(cat "$tmp/rep.err")"
	[ -s "$tmp/rep.err" ] && fail "storm: $f: $(cat "$tmp/rep.err")"
	n=$(awk -F, 'NR > 1 && $1 != "-" { if ($1 != "ddot" || $7 != 200 * $6 || $6 > 10) exit 1; n += $6 }
		END { print n + 0 }' "$tmp/st.csv") || fail "storm: $f: $(cat "$tmp/st.csv")"
	kids=$((kids + 1))
	[ "$n" = 10 ] && full=$((full + 1))
done
[ $full -gt 0 ] || fail "storm: no child trace with its 10 calls among $kids"
echo "ok fork storm: $(cat "$tmp/storm.out" | tail -1), $kids children traced, $full with all 10 calls, none more"

# errors
"$OPC" record -p 999999999 -o "$tmp/x.opc" >"$tmp/err.out" 2>&1 && fail "-p of no process succeeded"
grep -q "does not exist\|expected a process id" "$tmp/err.out" || fail "no-such-pid message: $(cat "$tmp/err.out")"
"$OPC" record --duration 1 -- true >"$tmp/err.out" 2>&1 && fail "--duration without -p succeeded"
# a process that has exited but is not reaped (a zombie: ptrace says EPERM)
# is not a question of permission.  The child outlives the shell's exec
# (0.3 s): a child that ended before it could be reaped by the shell (dash
# reaps finished jobs as it runs its builtins), leaving no zombie
sh -c 'sleep 0.3 & echo $! >"$1"; exec sleep 10' sh "$tmp/z.pid" &
zp=$!
i=0
until [ -s "$tmp/z.pid" ] && grep -q '^State:[[:space:]]*Z' "/proc/$(cat "$tmp/z.pid")/status" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 500 ] && { kill $zp; fail "no zombie to attach to after 10 s"; }
	sleep 0.02
done
"$OPC" record -p "$(cat "$tmp/z.pid")" --duration 1 -o "$tmp/z.opc" >"$tmp/err.out" 2>&1 &&
	{ kill $zp; fail "attached to a zombie"; }
kill $zp
grep -q "has exited: a zombie" "$tmp/err.out" || fail "a zombie: $(cat "$tmp/err.out")"
echo "ok a zombie: $(cat "$tmp/err.out")"
# a process of another user: as root, drop to nobody and try to attach to ours
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || fail "setpriv is missing (Debian's util-linux, always installed)"
	sleep 10 &
	sp=$!
	setpriv --reuid=65534 --regid=65534 --clear-groups "$OPC" record -p $sp --duration 1 \
		-o /dev/null >"$tmp/err.out" 2>&1 && { kill $sp; fail "attached to another user's process"; }
	kill $sp
	grep -q "belongs to uid 0, not to you" "$tmp/err.out" ||
		fail "another user's process: $(cat "$tmp/err.out")"
	echo "ok another user's process: $(cat "$tmp/err.out")"
fi
echo "ptrace attach leaves the process as it was"
