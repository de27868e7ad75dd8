#!/bin/sh
# ptrace_stacks.sh - `opcount record --ptrace --stacks` and
# `opcount report --format folded`, against a synthetic powercap tree.
#
# spin_gemm spins S s of CPU in spin_here() (no BLAS), then calls dgemm
# for S s, then sleeps S/2 s, all at a constant 35 W:
#   - main;spin_here carries 35 W x the CPU time the program measured in
#     it, within 10% (stack samples: one per tick, weighed by CPU time)
#   - main;dgemm (the call's own stack, routine as the leaf) carries
#     35 W x dgemm's busy_s, within 3%
#   - the folded values add up to the total energy (within 1%)
#   - without energy (--energy none) spin_here carries its CPU time in
#     microseconds, within 10%
#   - --stacks without --ptrace or -p is refused with a message
# Skips when ptrace is not permitted here.
. "$(dirname "$0")/energy_common.inc"
SPIN=$B/tests/progs/spin_gemm
[ -x "$SPIN" ] || fail "$SPIN is missing (run make test, which builds it)"

. "$(dirname "$0")/ptrace.inc"
ptrace_or_skip

# within GOT WANT PCT
within() { awk -v g="$1" -v w="$2" -v p="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(w > 0 && d <= p / 100 * w) }'; }
# sum of the folded lines matching an awk regex
fsum() { awk -v re="$2" '$0 ~ re { s += $NF } END { printf "%.0f\n", s }' "$1"; }

d=$tmp/e
start_fake "$d" package:0=30 dram:0=5
OPENBLAS_NUM_THREADS=1 OPCOUNT_POWERCAP_ROOT="$d/pc" "$OPC" record --ptrace --stacks \
	--energy rapl -o "$d/t.opc" -- "$SPIN" 0.4 >"$d/out.txt" 2>"$d/err.txt" ||
	fail "spin_gemm under ptrace --stacks exited $?: $(cat "$d/err.txt")"
stop_fake
"$OPC" report "$d/t.opc" --format folded >"$d/folded.txt" 2>"$d/rep.err" ||
	fail "report --format folded exited $?: $(cat "$d/rep.err")"
report "$d" op
awk 'NF < 2 || $NF !~ /^[0-9]+$/ { bad = 1 } END { exit bad }' "$d/folded.txt" ||
	bad "folded: a line is not 'frames value': $(cat "$d/folded.txt")"
spin_s=$(awk '$1 == "spin_s" { print $2 }' "$d/out.txt")
got=$(fsum "$d/folded.txt" "(^|;)main;spin_here( |;)")
want=$(awk -v s="$spin_s" 'BEGIN { printf "%.0f", 35 * s * 1e6 }')
if within "$got" "$want" 10; then
	ok "spin_here: $got uJ, truth 35 W x $spin_s s = $want uJ"
else
	bad "spin_here: $got uJ in its stacks, truth 35 W x $spin_s s = $want uJ (10%): $(cat "$d/folded.txt")"
fi
busy=$($CHECK_REPORT row "$d/op.json" op=dgemm busy_s)
got=$(fsum "$d/folded.txt" "(^|;)main;dgemm ")
want=$(awk -v s="$busy" 'BEGIN { printf "%.0f", 35 * s * 1e6 }')
if within "$got" "$want" 3; then
	ok "dgemm: $got uJ under main, truth 35 W x busy_s $busy = $want uJ"
else
	bad "dgemm: $got uJ under main;dgemm, truth $want uJ (3%): $(cat "$d/folded.txt")"
fi
got=$(fsum "$d/folded.txt" ".")
want=$(awk -v j="$($CHECK_REPORT get "$d/op.json" totals.energy_j)" 'BEGIN { printf "%.0f", j * 1e6 }')
if within "$got" "$want" 1; then
	ok "folded total $got uJ = energy total $want uJ"
else
	bad "folded values add up to $got uJ, the total is $want uJ"
fi

# without energy: CPU microseconds
d=$tmp/n
mkdir -p "$d"
OPENBLAS_NUM_THREADS=1 "$OPC" record --ptrace --stacks --energy none -o "$d/t.opc" -- \
	"$SPIN" 0.3 >"$d/out.txt" 2>"$d/err.txt" || fail "--energy none: exited $?: $(cat "$d/err.txt")"
"$OPC" report "$d/t.opc" --format folded >"$d/folded.txt" 2>"$d/rep.err" ||
	fail "report --format folded (no energy) exited $?: $(cat "$d/rep.err")"
spin_s=$(awk '$1 == "spin_s" { print $2 }' "$d/out.txt")
got=$(fsum "$d/folded.txt" "(^|;)main;spin_here( |;)")
want=$(awk -v s="$spin_s" 'BEGIN { printf "%.0f", s * 1e6 }')
if within "$got" "$want" 10; then
	ok "no energy: spin_here $got us of CPU, measured $want us"
else
	bad "no energy: spin_here $got us, the program measured $want us (10%): $(cat "$d/folded.txt")"
fi

# threads stop for their samples in any order: a sample asked at one tick
# may arrive after the next tick's; the trace still reads (time order)
THREADS=$B/tests/progs/threads
ordered=0
for i in 1 2 3; do
	"$OPC" record --ptrace --stacks --energy none -o "$tmp/thr$i.opc" -- "$THREADS" 200 4 2 \
		>/dev/null 2>"$tmp/thr.err" || fail "record --stacks threads exited $?: $(cat "$tmp/thr.err")"
	"$OPC" report "$tmp/thr$i.opc" --format folded >/dev/null 2>"$tmp/thr.err" &&
		ordered=$((ordered + 1)) || echo "   run $i: $(cat "$tmp/thr.err")"
done
[ $ordered -eq 3 ] && ok "4 threads under --stacks: 3 of 3 traces read" ||
	bad "4 threads under --stacks: only $ordered of 3 traces read"

# bad input
if "$OPC" record --stacks -o "$tmp/x.opc" -- true >/dev/null 2>"$tmp/x.err"; then
	bad "--stacks without --ptrace was accepted"
elif grep -q "needs --ptrace or -p" "$tmp/x.err"; then
	ok "--stacks without --ptrace refused: $(cat "$tmp/x.err")"
else
	bad "--stacks without --ptrace: unclear message: $(cat "$tmp/x.err")"
fi
finish
