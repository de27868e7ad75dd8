#!/bin/sh
# examples.sh - the example MLP and CNN under the preload library: what
# opcount counts must equal what the programs know analytically.
#
# For every run: totals.flops == analytic_flops, totals.calls ==
# analytic_gemm_calls, one sgemm row with all of it (--by op), and with
# --by layer one row per layer_flops line with exactly those FLOPs and no
# work outside the annotated layers.  Runs cover training and --infer,
# a partial last batch (--samples 1001 --batch 7), a batch larger than
# the data set, other layer counts and conv shapes, the default trace
# name (opcount-<pid>.opc in the working directory) and OPCOUNT_OUTPUT
# with %p and %h.
. "$(dirname "$0")/lib.inc"
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$B/examples/mlp" "$B/examples/cnn"

n=0
# check_trace DIR TRACE: the report of TRACE against DIR/out.txt
check_trace() {
	d=$1 trace=$2
	"$OPC" report "$trace" --format json >"$d/total.json" 2>"$d/report.err" ||
		fail "$d: opcount report exited $?: $(cat "$d/report.err")"
	$CHECK validate "$d/total.json" || fail "$d: report does not follow the JSON contract"
	want_f=$(awk '$1 == "analytic_flops" { print $2 }' "$d/out.txt")
	want_c=$(awk '$1 == "analytic_gemm_calls" { print $2 }' "$d/out.txt")
	[ -n "$want_f" ] && [ -n "$want_c" ] || fail "$d: no analytic lines in the program output"
	got_f=$($CHECK get "$d/total.json" totals.flops) || fail "$d: no totals.flops"
	got_c=$($CHECK get "$d/total.json" totals.calls) || fail "$d: no totals.calls"
	[ "$got_f" = "$want_f" ] || fail "$d: totals.flops $got_f, analytic $want_f"
	[ "$got_c" = "$want_c" ] || fail "$d: totals.calls $got_c, analytic $want_c"

	"$OPC" report "$trace" --format json --by op >"$d/op.json" || fail "$d: report --by op"
	printf 'expect sgemm %s %s\n' "$want_f" "$want_c" >"$d/op.txt"
	$CHECK compare "$d/op.json" op "$d/op.txt" --only --calls ||
		fail "$d: --by op is not exactly one sgemm row with every call"
	[ "$($CHECK row "$d/op.json" op=sgemm iface)" = cblas ] || fail "$d: sgemm iface is not cblas"

	"$OPC" report "$trace" --format json --by layer >"$d/layer.json" ||
		fail "$d: report --by layer"
	$CHECK validate "$d/layer.json" || fail "$d: --by layer does not follow the contract"
	$CHECK compare "$d/layer.json" layer "$d/out.txt" --tag layer_flops --only ||
		fail "$d: --by layer FLOPs differ from layer_flops ($($CHECK rows "$d/layer.json" layer | tr '\n' ';'))"
}

# run NAME PROGRAM ARGS...: OPCOUNT_OUTPUT names the trace
run() {
	name=$1 prog=$2
	shift 2
	n=$((n + 1))
	d=$tmp/$n-$name
	mkdir "$d"
	OPCOUNT_OUTPUT=$d/trace.opc LD_PRELOAD=$LIB "$B/examples/$prog" -q "$@" >"$d/out.txt" 2>"$d/err.txt" ||
		fail "$name: $prog $* exited $? under the preload library: $(cat "$d/err.txt")"
	[ -s "$d/trace.opc" ] || fail "$name: no trace at OPCOUNT_OUTPUT"
	check_trace "$d" "$d/trace.opc"
	echo "ok $name: $(awk '$1 == "analytic_flops" { print $2 }' "$d/out.txt") FLOPs"
}

run mlp mlp
run mlp-infer mlp --infer
run mlp-partial mlp --samples 1001 --batch 7
run mlp-partial-infer mlp --infer --samples 1001 --batch 7
run mlp-deep mlp --layers 4 --width 17 --inputs 9 --outputs 3 --epochs 2 --samples 333 --batch 10
run mlp-nohidden mlp --layers 0
run mlp-bigbatch mlp --batch 5000
run cnn cnn
run cnn-infer cnn --infer
run cnn-partial cnn --samples 1001 --batch 7
run cnn-shapes cnn --channels 3 --kernel 5 --image 13 --filters 5 --no-input-grad --samples 101 --batch 9
run cnn-even-kernel cnn --kernel 4 --image 9 --samples 50 --batch 50 --epochs 1
run cnn-bigbatch cnn --infer --batch 4096 --samples 200

# Default trace name: opcount-<pid>.opc in the working directory.
n=$((n + 1))
d=$tmp/$n-default-name
mkdir "$d"
(cd "$d" && exec env LD_PRELOAD="$LIB" "$B/examples/mlp" -q >out.txt 2>err.txt) &
pid=$!
wait $pid || fail "default-name: mlp exited $?"
[ -s "$d/opcount-$pid.opc" ] || fail "default-name: no $d/opcount-$pid.opc (have: $(ls "$d"))"
[ "$(ls "$d" | grep -c '\.opc$')" = 1 ] || fail "default-name: more than one trace: $(ls "$d")"
check_trace "$d" "$d/opcount-$pid.opc"
echo "ok default-name"

# OPCOUNT_OUTPUT with %h and %p.
n=$((n + 1))
d=$tmp/$n-pattern
mkdir "$d"
env OPCOUNT_OUTPUT="$d/t-%h-%p.opc" LD_PRELOAD="$LIB" "$B/examples/cnn" -q --infer >"$d/out.txt" 2>"$d/err.txt" &
pid=$!
wait $pid || fail "pattern: cnn exited $?"
host=$(uname -n)
[ -s "$d/t-$host-$pid.opc" ] || fail "pattern: no $d/t-$host-$pid.opc (have: $(ls "$d"))"
check_trace "$d" "$d/t-$host-$pid.opc"
echo "ok pattern"

echo "all example counts exact"
