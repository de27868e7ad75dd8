#!/bin/sh
# bench/run.sh - cost of interception per call, peak RSS and trace size.
# Medians of REPS runs of each variant, interleaved (the machine is shared).
BUILD=${BUILD:-build}
CALLS=${CALLS:-100000000}
REPS=${REPS:-5}
export OPENBLAS_NUM_THREADS=1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
prog=$BUILD/bench/ddot_loop
lib=$(readlink -f "$BUILD/libopcount.so")

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: >"$dir/base"; : >"$dir/shim"; : >"$dir/rss0"; : >"$dir/rss1"
for i in $(seq "$REPS"); do
	"$prog" "$CALLS" >"$dir/out0"
	OPCOUNT_OUTPUT="$dir/t.opc" LD_PRELOAD="$lib" "$prog" "$CALLS" >"$dir/out1"
	awk '{print $6}' "$dir/out0" >>"$dir/base"
	awk '{print $6}' "$dir/out1" >>"$dir/shim"
	awk '{print $8}' "$dir/out0" >>"$dir/rss0"
	awk '{print $8}' "$dir/out1" >>"$dir/rss1"
done
b=$(median <"$dir/base"); s=$(median <"$dir/shim")
r0=$(median <"$dir/rss0"); r1=$(median <"$dir/rss1")
size=$(stat -c %s "$dir/t.opc")
echo "cblas_ddot n=1, $CALLS calls, median of $REPS runs (OPENBLAS_NUM_THREADS=1)"
echo "  without opcount: $b ns/call"
echo "  with opcount:    $s ns/call"
awk -v b="$b" -v s="$s" 'BEGIN { printf "  added:           %.2f ns/call (ratio %.2fx)\n", s - b, s / b }'
awk -v a="$r0" -v b="$r1" 'BEGIN { printf "  peak RSS:        %d KiB without, %d KiB with (+%.2f MiB)\n", a, b, (b - a) / 1024 }'
echo "  trace size:      $size bytes"
"$BUILD/opcount" report "$dir/t.opc" --by op | grep -E '^(ddot|total|# exact)'

# A new key every call: each call is looked up in the thread's key index
# (above, every call has the key of the one before).  Thread CPU time, as
# the machine may be busy.
SHAPES=${SHAPES:-1000}
prog=$BUILD/bench/shapes_loop
: >"$dir/base"; : >"$dir/shim"
for i in $(seq "$REPS"); do
	"$prog" $((CALLS / 10)) "$SHAPES" | awk '{print $12}' >>"$dir/base"
	OPCOUNT_OUTPUT="$dir/t.opc" LD_PRELOAD="$lib" "$prog" $((CALLS / 10)) "$SHAPES" |
		awk '{print $12}' >>"$dir/shim"
done
b=$(median <"$dir/base"); s=$(median <"$dir/shim")
echo "cblas_ddot cycling through $SHAPES shapes, $((CALLS / 10)) calls, median of $REPS runs (CPU time)"
echo "  without opcount: $b ns/call"
echo "  with opcount:    $s ns/call"
awk -v b="$b" -v s="$s" 'BEGIN { printf "  added:           %.2f ns/call\n", s - b }'
