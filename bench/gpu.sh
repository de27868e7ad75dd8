#!/bin/sh
# bench/gpu.sh - host cost per intercepted cuBLAS call, with the fake CUDA
# libraries of tests/fake/ (no GPU here).  Medians of REPS interleaved runs.
BUILD=${BUILD:-build}
CALLS=${CALLS:-200000}
REPS=${REPS:-5}
prog=$BUILD/bench/gpu_overhead
[ -x "$prog" ] || { echo "gpu bench: skipped ($prog not built: no CUDA headers?)"; exit 0; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
lib=$(readlink -f "$BUILD/libopcount.so")
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: >"$dir/base"; : >"$dir/shim"
for i in $(seq "$REPS"); do
	"$prog" "$CALLS" | awk '{print $3}' >>"$dir/base"
	OPCOUNT_OUTPUT="$dir/t.opc" LD_PRELOAD="$lib" "$prog" "$CALLS" | awk '{print $3}' >>"$dir/shim"
done
b=$(median <"$dir/base"); s=$(median <"$dir/shim")
echo "cublasSgemm 8x8x8 on the fake CUDA runtime, $CALLS calls, median of $REPS runs"
echo "  without opcount: $b ns/call"
echo "  with opcount:    $s ns/call"
awk -v b="$b" -v s="$s" 'BEGIN { printf "  added:           %.0f ns/call (two event records, stream and device look-ups)\n", s - b }'
"$BUILD/opcount" report "$dir/t.opc" --by op | grep -E '^(cublasSgemm|# exact|# GPU)'
