#!/bin/sh
# energy_rapl.sh - RAPL energy attributed to BLAS calls, against a
# synthetic powercap tree of known power (tests/progs/fake_rapl).
#
# The goal: at OPCOUNT_HZ=100 each key's attributed energy is
# within 3% of the truth, power x its busy time (the report's busy_s).
#
#   busy      the report's busy_s of each layer agrees with the time the
#             program measured around its own calls (4% + 1 ms; the
#             program's own clock reads are ~3% of a short ddot): the
#             truth below is built on busy_s, so it must be right first
#   constant  35 W throughout (package 30 + dram 5): every call site gets
#             35 W x busy_s, the total is 35 W x duration
#   fork      a fork child's trace counts from its own first call; with
#             its parent's, reported together, the machine's energy once
#   phases    the program announces its phases to the writer, which
#             switches power at exactly that time: layer A (dgemm) runs at
#             22 W, B (dgemv) at 82 W, an idle sleep at 7 W, C (ddot) at
#             42 W, and 12 W before and after.  A core sub-zone (8 W,
#             inside the package) is present and must not be added.  Each
#             layer gets its power x busy_s, its truth lies inside the
#             reported energy_interval_j, and the total is the writer's
#             integral
#
# Every check runs; the script fails at the end if any did.
. "$(dirname "$0")/energy_common.inc"

# ---- busy: the ground the truth stands on -------------------------------
d=$tmp/busy
start_fake "$d" package:0=30 dram:0=5
traced "$d" 0.08 OPCOUNT_ENERGY=rapl
stop_fake
report "$d" layer
for l in A B C; do
	want=$(awk -v l=$l '$1 == "phase" && $3 == l { print $7 }' "$d/out.txt")
	got=$($CHECK_REPORT row "$d/layer.json" layer=$l busy_s)
	if awk -v g="$got" -v w="$want" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= 0.04 * w + 0.001) }'; then
		ok "busy: layer $l busy_s $got, program measured $want"
	else
		bad "busy: layer $l busy_s is $got but the program measured $want s inside its calls" \
		    "(the first call's interval converted before the TSC was calibrated?)"
	fi
done

# ---- constant power -----------------------------------------------------
d=$tmp/constant
start_fake "$d" package:0=30 dram:0=5
traced "$d" 0.2 OPCOUNT_ENERGY=rapl
stop_fake
report "$d" site
if $CHECK_ENERGY "$d/site.json" --label constant --source rapl --measured true \
	--power 35 --in-interval; then
	ok "constant: every call site within 3% of 35 W x busy_s"
else
	bad "constant: a call site's energy is not 35 W x busy_s within 3%"
fi
dur=$($CHECK_REPORT get "$d/site.json" energy.duration_s)
if $CHECK_ENERGY "$d/site.json" --label constant --total "$(awk -v s="$dur" 'BEGIN { print 35 * s }')"; then
	ok "constant: total within 3% of 35 W x $dur s"
else
	bad "constant: total is not 35 W x duration within 3%"
fi

# ---- a fork child: its own energy, from its own first call ---------------
# The child's counters are its parent's, already running: its trace must
# count from its first call (its baseline), not from the parent's.
d=$tmp/fork
start_fake "$d" package:0=30 dram:0=5
traced "$d" "0.2 fork" OPCOUNT_ENERGY=rapl
stop_fake
cpid=$(awk '$1 == "child" { print $2 }' "$d/out.txt")
cwall=$(awk '$1 == "child" { print $4 }' "$d/out.txt")
[ -n "$cpid" ] && [ -f "$d/t.$cpid.opc" ] || fail "fork: no child trace t.$cpid.opc: $(ls "$d")"
"$OPC" report "$d/t.$cpid.opc" --format json >"$d/child.json" 2>"$d/rep.err" ||
	fail "fork: report of the child exited $?: $(cat "$d/rep.err")"
cdur=$($CHECK_REPORT get "$d/child.json" energy.duration_s)
if awk -v d="$cdur" -v w="$cwall" 'BEGIN { exit !(d >= w - 0.001 && d <= w + 0.02) }'; then
	ok "fork: the child's samples cover $cdur s, the $cwall s it ran (+ its exit)"
else
	bad "fork: the child's samples cover ${cdur:-no} s, but it ran $cwall s" \
	    "(counted from its parent's baseline?)"
fi
if $CHECK_ENERGY "$d/child.json" --label fork-child \
	--total "$(awk -v s="$cdur" 'BEGIN { print 35 * s }')"; then
	ok "fork: the child's energy is 35 W x the $cdur s its samples cover"
else
	bad "fork: the child's trace holds energy it did not use (its parent's, before the fork?)"
fi
report "$d" site
dur=$($CHECK_REPORT get "$d/site.json" energy.duration_s)
if $CHECK_ENERGY "$d/site.json" --label fork-parent \
	--total "$(awk -v s="$dur" 'BEGIN { print 35 * s }')"; then
	ok "fork: the parent's energy is 35 W x the $dur s its samples cover"
else
	bad "fork: the parent's total is not 35 W x its energy.duration_s"
fi
# Both together: one machine (host, boot id), the child's time inside the
# parent's: the machine's energy once, 35 W x the parent's time, not the
# sum of the two (docs/design.md, "Nodes")
"$OPC" report "$d/t.opc" "$d/t.$cpid.opc" --format json >"$d/both.json" 2>"$d/both.err" ||
	fail "fork: report of the parent and the child exited $?: $(cat "$d/both.err")"
grep -q "not additive" "$d/both.err" && bad "fork: parent and child still warned: $(cat "$d/both.err")"
bdur=$($CHECK_REPORT get "$d/both.json" energy.duration_s)
if $CHECK_ENERGY "$d/both.json" --label fork-both --tol 1 \
	--total "$(awk -v s="$bdur" 'BEGIN { print 35 * s }')" &&
	awk -v b="$bdur" -v d="$dur" 'BEGIN { exit !(b >= d - 1e-9 && b <= d + 0.02) }'; then
	ok "fork: parent and child together hold 35 W x the $bdur s they cover, once"
else
	bad "fork: parent and child together: not 35 W x $bdur s within 1% (the parent alone covers $dur s)"
fi

# ---- phases of different power -----------------------------------------
d=$tmp/phases
start_fake "$d" package:0=10/20/80/5/40 core:0=8 dram:0=2
traced "$d" 0.3			# OPCOUNT_ENERGY unset: auto finds the tree
stop_fake
report "$d" layer
grep -q "energy" "$d/err.txt" && bad "phases: the library warned: $(cat "$d/err.txt")"
if $CHECK_ENERGY "$d/layer.json" --label phases --source rapl --measured true \
	--layer-power A=22 --layer-power B=82 --layer-power C=42 --in-interval \
	--program-busy "$d/out.txt"; then
	ok "phases: layers A, B, C within 3% of their power x busy_s"
else
	bad "phases: a layer's energy is not its power x busy_s within 3%"
fi
if $CHECK_ENERGY "$d/layer.json" --label phases --phases "$d/truth" --base-watts 12; then
	ok "phases: total within 3% of the writer's integral"
else
	bad "phases: total differs from the writer's integral"
fi
finish
