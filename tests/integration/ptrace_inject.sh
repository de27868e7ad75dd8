#!/bin/sh
# ptrace_inject.sh - `opcount record --inject`: libopcount.so loaded into
# the traced process (dlopen by the process, under ptrace) and every BLAS
# entry point patched with a jump to its wrapper, so that a call costs
# nanoseconds instead of two ptrace stops.
#
#   attach     -p PID --inject for 1 s on a BLAS loop (one dgemm 24^3 per
#              ms): it finishes with the output of a run nobody attached
#              to; FLOPs = calls x 27648 exactly, calls within the loop's
#              rate; the trace says mode=inject
#   busy       the loop with no sleep, attached three times in a row (the
#              library is loaded once, started and ended each time): each
#              trace is consistent and counts more calls in 0.3 s than
#              breakpoints could (two stops per call: < 10000)
#   dlopen     --ptrace --inject on dlopen_local: a BLAS opened with
#              dlopen(RTLD_LOCAL) after the injection, bound with dlsym,
#              counted exactly per op
#   threads    4 threads in dgemm and ddot, attached: per op FLOPs =
#              calls x FLOPs per call, output unchanged
#   energy     a synthetic powercap tree at 35 W: the injected library
#              samples it (source rapl, measured; 35 W x busy_s per site);
#              attached to a process whose OPCOUNT_POWERCAP_ROOT leads
#              nowhere, it reads the tracer's tree
#   static     a static program under --ptrace --inject keeps breakpoints
#              (no dynamic linker to load a library into), counted exactly
#   preloaded  a process that preloads libopcount.so already: --inject
#              says so and falls back to breakpoints
#   errors     --inject without --ptrace or -p, --inject with --stacks
# Skips when ptrace is not permitted here.
. "$(dirname "$0")/lib.inc"
P=$B/tests/progs
need_py "the JSON checks need it"
need "$OPC" "$LIB" "$P/blas_loop" "$P/dlopen_local" "$P/threads" "$P/blas_calls-static" \
	"$P/energy_work" "$P/fake_rapl"
lp=
fake_pid=
on_exit() {
	[ -n "$lp" ] && kill "$lp" 2>/dev/null
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null
}

. "$(dirname "$0")/ptrace.inc"
ptrace_or_skip

# start ITERS SLEEP_US: the loop in the background, once it said "ready"
start() { start_loop "$P/blas_loop" "$@"; }

# dgemm_only NAME TRACE: calls of the single dgemm key, FLOPs checked
dgemm_only() {
	"$OPC" report "$2" --by op --format json >"$tmp/$1.json" 2>"$tmp/rep.err" ||
		fail "$1: report exited $?: $(cat "$tmp/rep.err")"
	$CHECK validate "$tmp/$1.json" || fail "$1: report does not follow the JSON contract"
	calls=$($CHECK get "$tmp/$1.json" totals.calls)
	flops=$($CHECK get "$tmp/$1.json" totals.flops)
	[ "$calls" -gt 0 ] || fail "$1: nothing counted"
	[ "$flops" = $((calls * 27648)) ] || fail "$1: $flops FLOPs for $calls calls of 27648"
}

# injected NAME REC.OUT: the library was injected (no fallback warning)
injected() {
	grep -q "breakpoints instead\|not counted" "$2" && fail "$1: not injected: $(cat "$2")"
	return 0
}

# ---- attach ---------------------------------------------------------------
"$P/blas_loop" 3000 500 | grep checksum >"$tmp/ref.txt" || fail "reference run failed"
start 3000 500
"$OPC" record -p $lp --inject --duration 1 -o "$tmp/a.opc" >"$tmp/rec.out" 2>&1 ||
	fail "attach: record -p --inject exited $?: $(cat "$tmp/rec.out")"
wait $lp || fail "attach: the loop exited $? after the detach: $(cat "$tmp/loop.out")"
lp=
injected attach "$tmp/rec.out"
grep checksum "$tmp/loop.out" | cmp -s - "$tmp/ref.txt" ||
	fail "attach: output differs: $(grep checksum "$tmp/loop.out") vs $(cat "$tmp/ref.txt")"
dgemm_only attach "$tmp/a.opc"
[ "$calls" -le 2200 ] || fail "attach: $calls calls in 1 s is more than the loop can make"
grep -aq "mode=inject" "$tmp/a.opc" || fail "attach: the trace does not say mode=inject"
ok "attach: $calls calls x 27648 = $flops FLOPs; the loop finished unchanged"

# ---- busy, three attaches ----------------------------------------------------
"$P/blas_loop" 2000000 0 | grep checksum >"$tmp/ref.txt" || fail "reference run failed"
start 2000000 0
for i in 1 2 3; do
	"$OPC" record -p $lp --inject --duration 0.3 -o "$tmp/b$i.opc" >"$tmp/rec.out" 2>&1 ||
		fail "busy $i: record -p --inject exited $?: $(cat "$tmp/rec.out")"
	injected "busy $i" "$tmp/rec.out"
	dgemm_only "busy$i" "$tmp/b$i.opc"
	[ "$calls" -gt 10000 ] || fail "busy $i: only $calls calls in 0.3 s: not injected?"
	eval "busy$i=$calls"
done
wait $lp || fail "busy: the loop exited $? after three detaches: $(cat "$tmp/loop.out")"
lp=
grep checksum "$tmp/loop.out" | cmp -s - "$tmp/ref.txt" ||
	fail "busy: output differs: $(grep checksum "$tmp/loop.out") vs $(cat "$tmp/ref.txt")"
ok "busy: $busy1, $busy2, $busy3 calls in three 0.3 s attaches, FLOPs exact; output unchanged"

# ---- dlopen(RTLD_LOCAL) + dlsym under --ptrace --inject ------------------------
"$OPC" record --ptrace --inject -o "$tmp/d.opc" -- "$P/dlopen_local" 300 >"$tmp/d.out" \
	2>"$tmp/d.err" || fail "dlopen_local exited $?: $(cat "$tmp/d.err")"
injected dlopen "$tmp/d.err"
"$OPC" report "$tmp/d.opc" --by op --format json >"$tmp/d.json" 2>"$tmp/rep.err" ||
	fail "dlopen: report exited $?: $(cat "$tmp/rep.err")"
$CHECK validate "$tmp/d.json" || fail "dlopen: report does not follow the JSON contract"
want=$(awk '$1 == "expect_total" { print $2, $3 }' "$tmp/d.out")
got="$($CHECK get "$tmp/d.json" totals.flops) $($CHECK get "$tmp/d.json" totals.calls)"
[ "$got" = "$want" ] || fail "dlopen: counted (FLOPs calls) $got, expected $want"
$CHECK compare "$tmp/d.json" op "$tmp/d.out" --only --calls || fail "dlopen: per-op counts differ"
grep -aq "mode=inject" "$tmp/d.opc" || fail "dlopen: the trace does not say mode=inject"
ok "dlopen: $want (FLOPs calls), exact per op"

# ---- a multi-threaded process ---------------------------------------------------
"$P/threads" 300000 4 1 | grep checksum >"$tmp/ref.txt"
"$P/threads" 300000 4 1 >"$tmp/thr.out" 2>&1 &
lp=$!
wait_exec $lp "$P/threads"
sleep 0.3
"$OPC" record -p $lp --inject --duration 0.5 -o "$tmp/thr.opc" >"$tmp/rec.out" 2>&1 ||
	fail "threads: record -p --inject exited $?: $(cat "$tmp/rec.out")"
wait $lp || fail "threads: exited $? after the detach: $(cat "$tmp/thr.out")"
lp=
injected threads "$tmp/rec.out"
grep checksum "$tmp/thr.out" | cmp -s - "$tmp/ref.txt" || fail "threads: output differs after attaching"
"$OPC" report "$tmp/thr.opc" --by op --format csv >"$tmp/thr.csv" || fail "report thr.opc"
awk -F, 'NR > 1 && $1 != "-" {
	per = $1 == "dgemm" ? 65536 : $1 == "ddot" ? 2000 : -1
	if ($6 <= 0 || $7 != $6 * per) { print "bad row: " $0; bad = 1 }
	n++ } END { exit bad || n != 2 }' "$tmp/thr.csv" || fail "threads: rows inconsistent: $(cat "$tmp/thr.csv")"
ok "threads: $(awk -F, 'NR > 1 && $1 != "-" { printf "%s %s calls; ", $1, $6 }' "$tmp/thr.csv")output unchanged"

# ---- energy, from a synthetic powercap tree ------------------------------------
d=$tmp/energy
mkdir -p "$d"
"$P/fake_rapl" -p "$d/phase" -t "$d/truth" -r "$d/ready" "$d/pc" package:0=30 dram:0=5 \
	2>"$d/fake.err" &
fake_pid=$!
i=0
while [ ! -e "$d/ready" ]; do
	i=$((i + 1)); [ $i -lt 500 ] || fail "energy: fake_rapl made no tree: $(cat "$d/fake.err")"
	sleep 0.01
done
env OPENBLAS_NUM_THREADS=1 OPC_FAKE_PHASE="$d/phase" OPCOUNT_POWERCAP_ROOT="$d/pc" \
	"$OPC" record --ptrace --inject --energy rapl -F 100 -o "$d/t.opc" -- "$P/energy_work" 0.2 \
	>"$d/out.txt" 2>"$d/err.txt" || fail "energy: energy_work exited $?: $(cat "$d/err.txt")"
injected energy "$d/err.txt"
"$OPC" report "$d/t.opc" --by site --format json >"$d/site.json" 2>"$d/rep.err" ||
	fail "energy: report exited $?: $(cat "$d/rep.err")"
$CHECK validate "$d/site.json" || fail "energy: report does not follow the JSON contract"
[ "$($CHECK get "$d/site.json" energy.source)" = rapl ] ||
	fail "energy: source $($CHECK get "$d/site.json" energy.source), expected rapl"
$PY "$ROOT/tests/python/check_energy.py" "$d/site.json" --label inject --source rapl \
	--measured true --power 35 --in-interval || fail "energy: a site's energy is not 35 W x busy_s"
ok "energy: rapl sampled by the injected library, 35 W x busy_s per site"

# attached: the tree is the tracer's (the inject ABI's powercap_root), not
# the one the process was started with
OPCOUNT_POWERCAP_ROOT=$d/no-such-tree start 3000 500
OPCOUNT_POWERCAP_ROOT="$d/pc" "$OPC" record -p $lp --inject --energy rapl --duration 0.3 \
	-o "$d/a.opc" >"$d/rec.out" 2>&1 || fail "energy attach: record exited $?: $(cat "$d/rec.out")"
kill $lp; wait $lp 2>/dev/null; lp=
kill "$fake_pid"; wait "$fake_pid" 2>/dev/null; fake_pid=
injected "energy attach" "$d/rec.out"
# the library warns on the process's stderr
grep -q "no-such-tree\\|falling back" "$tmp/loop.out" && fail "energy attach: $(cat "$tmp/loop.out")"
"$OPC" report "$d/a.opc" --format json >"$d/a.json" 2>"$d/rep.err" ||
	fail "energy attach: report exited $?: $(cat "$d/rep.err")"
[ "$($CHECK get "$d/a.json" energy.source)" = rapl ] ||
	fail "energy attach: source $($CHECK get "$d/a.json" energy.source), expected rapl"
ok "energy attach: the injected library reads the tracer's powercap tree"

# ---- static: breakpoints ---------------------------------------------------------
"$OPC" record --ptrace --inject -o "$tmp/s.opc" -- "$P/blas_calls-static" >"$tmp/s.out" \
	2>"$tmp/s.err" || fail "static exited $?: $(cat "$tmp/s.err")"
grep -q "statically linked" "$tmp/s.err" || fail "static: no word of breakpoints: $(cat "$tmp/s.err")"
"$OPC" report "$tmp/s.opc" --by op --format json >"$tmp/s.json" 2>"$tmp/rep.err" ||
	fail "static: report exited $?: $(cat "$tmp/rep.err")"
want=$(awk '$1 == "expect_total" { print $2, $3 }' "$tmp/s.out")
got="$($CHECK get "$tmp/s.json" totals.flops) $($CHECK get "$tmp/s.json" totals.calls)"
[ "$got" = "$want" ] || fail "static: counted (FLOPs calls) $got, expected $want"
ok "static: breakpoints, $want (FLOPs calls)"

# ---- a process that preloads the library already ------------------------------
rm -f "$tmp/loop.out"	# an earlier loop's "ready" (see start_loop)
OPCOUNT_OUTPUT=$tmp/pre.opc LD_PRELOAD=$LIB "$P/blas_loop" 600 500 >"$tmp/loop.out" 2>&1 &
lp=$!
while ! grep -q ready "$tmp/loop.out" 2>/dev/null; do sleep 0.05; done
"$OPC" record -p $lp --inject --duration 0.2 -o "$tmp/pp.opc" >"$tmp/rec.out" 2>&1 ||
	fail "preloaded: record exited $?: $(cat "$tmp/rec.out")"
wait $lp || fail "preloaded: the loop exited $?"
lp=
grep -q "preloaded.*breakpoints instead" "$tmp/rec.out" || fail "preloaded: $(cat "$tmp/rec.out")"
dgemm_only preloaded "$tmp/pp.opc"
dgemm_only preload "$tmp/pre.opc"
[ "$calls" = 600 ] || fail "preloaded: the library's own trace has $calls calls, not 600"
ok "preloaded: fell back to breakpoints; the library's own trace still has all 600 calls"

# ---- errors ----------------------------------------------------------------------
"$OPC" record --inject -- true >"$tmp/err.out" 2>&1 && fail "--inject without --ptrace succeeded"
grep -q "needs --ptrace" "$tmp/err.out" || fail "--inject alone: $(cat "$tmp/err.out")"
"$OPC" record --ptrace --inject --stacks -- true >"$tmp/err.out" 2>&1 &&
	fail "--inject --stacks succeeded"
grep -q "do not go together" "$tmp/err.out" || fail "--inject --stacks: $(cat "$tmp/err.out")"
ok "errors: --inject alone, --inject --stacks"
finish
