#!/bin/sh
# bench/pages.sh - time, peak memory and size of the pictures of a long
# run: `opcount report --format html`, `--format roofline` (SVG and PNG)
# and, for comparison, --format json, on a synthetic trace (bench/gentrace)
# with as many sampling intervals as a 10-minute run at 1 kHz (600 000),
# 200 keys on 20 sites and 8 layers, energy sampled at every interval.
#
#   INTERVALS=600000   the intervals of the trace (default)
BUILD=${BUILD:-build}
INTERVALS=${INTERVALS:-600000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# measure LABEL OUTPUT ARGS...: "LABEL  1.23 s  1.10 s CPU  78 MB  output 617 kB"
measure() {
	_label=$1 _out=$2
	shift 2
	/usr/bin/time -v "$@" >"$dir/stdout" 2>"$dir/time" || { echo "  $_label: failed"; return; }
	[ "$_out" = - ] && _out=$dir/stdout
	awk -v l="$_label" -v sz="$(stat -c %s "$_out")" -F': ' '
		/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0
			for (i = 1; i <= n; i++) s = s * 60 + t[i] }
		/User time|System time/ { cpu += $2 }
		/Maximum resident set size/ { kb = $2 }
		END { printf "  %-26s %6.2f s %6.2f s CPU %5.0f MB   output %7.0f kB\n",
			l, s, cpu, kb / 1024, sz / 1000 }' "$dir/time"
}

"$BUILD/bench/gentrace" -o "$dir/t.opc" --keys 200 --intervals "$INTERVALS" --per-interval 4 \
	--layers 8 --sites 20 >/dev/null || exit 1
echo "pictures of a trace of $(($(stat -c %s "$dir/t.opc") / 1000000)) MB, $INTERVALS intervals:"
"$BUILD/opcount" calibrate -o "$dir/cal.json" >/dev/null || exit 1
measure "report --format json" - "$BUILD/opcount" report "$dir/t.opc" --format json
measure "--format html" "$dir/p.html" "$BUILD/opcount" report "$dir/t.opc" --format html \
	-o "$dir/p.html" --calibration "$dir/cal.json"
measure "--format roofline (SVG)" "$dir/r.svg" "$BUILD/opcount" report "$dir/t.opc" \
	--format roofline -o "$dir/r.svg" --calibration "$dir/cal.json"
measure "--by layer roofline (PNG)" "$dir/r.png" "$BUILD/opcount" report "$dir/t.opc" \
	--by layer --format roofline -o "$dir/r.png" --calibration "$dir/cal.json"
