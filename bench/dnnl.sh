#!/bin/sh
# bench/dnnl.sh - what the oneDNN wrapper (dnnl_primitive_execute) adds per
# call, on the tiniest primitive (ReLU of one float), next to the BLAS
# wrapper's on cblas_ddot(n=1): medians of REPS interleaved runs, thread
# CPU time (the machine may be shared).  Needs oneDNN's headers
# (libdnnl-dev) to build bench/dnnl_loop.
BUILD=${BUILD:-build}
CALLS=${CALLS:-2000000}
REPS=${REPS:-5}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
prog=$BUILD/bench/dnnl_loop
if [ ! -x "$prog" ]; then
	echo "oneDNN wrapper: skipped, $prog not built (oneDNN's headers, libdnnl-dev, are missing)"
	exit 0
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
lib=$(readlink -f "$BUILD/libopcount.so")
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: >"$dir/base"; : >"$dir/shim"; : >"$dir/dbase"; : >"$dir/dshim"
for i in $(seq "$REPS"); do
	"$prog" "$CALLS" | awk '{print $8}' >>"$dir/base"
	OPCOUNT_OUTPUT="$dir/t.opc" LD_PRELOAD="$lib" "$prog" "$CALLS" | awk '{print $8}' >>"$dir/shim"
	"$BUILD/bench/ddot_loop" $((CALLS * 10)) | awk '{print $6}' >>"$dir/dbase"
	OPCOUNT_OUTPUT="$dir/d.opc" LD_PRELOAD="$lib" "$BUILD/bench/ddot_loop" $((CALLS * 10)) |
		awk '{print $6}' >>"$dir/dshim"
done
b=$(median <"$dir/base"); s=$(median <"$dir/shim")
db=$(median <"$dir/dbase"); ds=$(median <"$dir/dshim")
echo "dnnl_primitive_execute, ReLU of 1 float, $CALLS calls, median of $REPS runs (thread CPU time)"
echo "  without opcount: $b ns/call"
echo "  with opcount:    $s ns/call"
awk -v b="$b" -v s="$s" 'BEGIN { printf "  added:           %.1f ns/call\n", s - b }'
awk -v b="$db" -v s="$ds" 'BEGIN { printf "  (cblas_ddot n=1 beside it: %.2f -> %.2f ns/call, +%.2f ns)\n", b, s, s - b }'
"$BUILD/opcount" report "$dir/t.opc" --by op | grep -E '^(dnnl_eltwise_forward|total)'

# a new primitive for every execution: the descriptor read every time
: >"$dir/base"; : >"$dir/shim"
for i in $(seq "$REPS"); do
	"$prog" $((CALLS / 10)) 1 fresh | awk '{print $8}' >>"$dir/base"
	OPCOUNT_OUTPUT="$dir/f.opc" LD_PRELOAD="$lib" "$prog" $((CALLS / 10)) 1 fresh |
		awk '{print $8}' >>"$dir/shim"
done
b=$(median <"$dir/base"); s=$(median <"$dir/shim")
echo "the same with a new primitive each time (create, execute, destroy), $((CALLS / 10)) calls"
echo "  without opcount: $b ns/call"
echo "  with opcount:    $s ns/call"
awk -v b="$b" -v s="$s" 'BEGIN { printf "  added:           %.1f ns/call (the descriptor read and cached each time)\n", s - b }'
