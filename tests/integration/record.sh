#!/bin/sh
# record.sh - `opcount record`: the command runs under the library with its
# exit status, signals reach it, an existing LD_PRELOAD is kept, the other
# processes of the run write their own traces, and bad options are refused.
. "$(dirname "$0")/lib.inc"
MLP=$B/examples/mlp
cd "$tmp" || exit 1

# the command's output and status, the trace where -o says
"$OPC" record -o run.opc -- "$MLP" --epochs 1 >out.txt 2>err.txt || fail "record of mlp exited $?"
grep -q '^analytic_flops' out.txt || fail "the command's stdout is missing"
grep -q 'trace written to run.opc' err.txt || fail "record did not say where the trace went: $(cat err.txt)"
want=$(awk '$1 == "analytic_flops" { print $2 }' out.txt)
got=$("$OPC" report run.opc --format csv | awk -F, 'NR > 1 && $1 == "sgemm" { s += $7 } END { print s }')
[ "$got" = "$want" ] || fail "record counted $got FLOPs, the program says $want"

"$OPC" record -o st.opc -- sh -c 'exit 3' 2>/dev/null
[ $? -eq 3 ] || fail "exit status 3 not returned"
"$OPC" record -o nf.opc -- ./does-not-exist 2>/dev/null
[ $? -eq 127 ] || fail "a missing command should give 127"

# signals: SIGTERM to record reaches the command (which reports it)
cat >trap.sh <<'SH'
trap 'echo got-term; exit 42' TERM
echo ready
while :; do sleep 0.05; done
SH
"$OPC" record -o sig.opc -- sh trap.sh >sig.out 2>sig.err &
rec=$!
for i in $(seq 100); do grep -q ready sig.out 2>/dev/null && break; sleep 0.05; done
kill -TERM $rec
wait $rec
rc=$?
[ $rc -eq 42 ] || fail "after SIGTERM record returned $rc, not the command's 42"
grep -q got-term sig.out || fail "the command did not receive SIGTERM"

# an existing LD_PRELOAD is kept, ours appended (behind the sanitizer's
# runtime in a sanitizer build: make check-sanitize)
cat >show.sh <<'SH'
echo "$LD_PRELOAD"
SH
LD_PRELOAD=/lib/x86_64-linux-gnu/libm.so.6 "$OPC" record -o p.opc -- sh show.sh >pre.txt 2>/dev/null
grep -q '^\([^ ]*/lib[at]san\.so[^ ]* \)\{0,1\}/lib/x86_64-linux-gnu/libm.so.6 .*libopcount.so$' pre.txt ||
	fail "LD_PRELOAD not appended: $(cat pre.txt)"

# the other processes of a run write FILE's stem + .<pid>.opc
"$OPC" record -o kids.opc -- sh -c "\"$MLP\" --epochs 1 >/dev/null; \"$MLP\" --epochs 1 >/dev/null" \
	2>kids.err || fail "record of two children failed"
n=$(ls kids.*.opc 2>/dev/null | wc -l)
[ "$n" -eq 2 ] || fail "expected 2 child traces kids.<pid>.opc, found $n: $(ls)"
grep -q '2 more traces' kids.err || fail "record did not mention the child traces: $(cat kids.err)"
"$OPC" report kids.*.opc --by op --format csv >kids.csv 2>/dev/null || fail "report of child traces failed"
got=$(awk -F, 'NR > 1 && $1 == "sgemm" { s += $7 } END { print s }' kids.csv)
one=$(awk '$1 == "analytic_flops" { print $2 }' out.txt)
[ "$got" = "$((2 * one))" ] || fail "two children counted $got FLOPs, expected $((2 * one))"

# bad options
"$OPC" record -F 0 -- true 2>/dev/null && fail "-F 0 accepted"
"$OPC" record -F 5000 -- true 2>/dev/null && fail "-F 5000 accepted"
"$OPC" record --energy bogus -- true 2>err.txt && fail "--energy bogus accepted"
grep -q "unknown source 'bogus'" err.txt || fail "no clear message for a bad source"
"$OPC" record 2>/dev/null && fail "record without a command accepted"
exit 0
