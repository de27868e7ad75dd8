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
# the simulated GPU keeps up with the host (0.1 us a call), so every call
# is timed with its two events and the ring never fills
export FAKEGPU_LAUNCH_NS=100
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
"$BUILD/opcount" report "$dir/t.opc" --by op --format json | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)["rows"][0]
work = r["calls"] * (100 + 2 * 8**3 / 1000 + 3 * 64 * 4 / 100) / 1e9
print("  GPU time: %d calls, %.6f s by the events, %.6f s of simulated work: on an idle GPU"
      % (r["calls"], r["gpu_s"], work))
print("  the start event is reached before the work arrives, so each call also counts the")
print("  host time between the two (here %.0f ns a call)" % ((r["gpu_s"] - work) / r["calls"] * 1e9))'
