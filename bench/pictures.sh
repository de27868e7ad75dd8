#!/bin/sh
# bench/pictures.sh - time and size of report's pictures on long synthetic
# traces (bench/gentrace): --format perfetto (timeline) and --format svg
# (flame graphs, --by stack and --by path).
#
#   an hour at 100 Hz        360000 intervals, 20 entries each: 200 keys
#                            (dgemm shapes) on 4 threads, 20 sites, 10 layers
#   10 minutes at 1 kHz      600000 intervals, the same keys
#
# The timeline's goal: under 5 s and 100 MB for the hour at 100 Hz, which
# the default --max-events (500000) holds by merging intervals into buckets
# (docs/design.md, "Pictures"); --max-events 0 (every interval, written to
# a pipe and its bytes counted by wc) shows what that saves.  Reported: wall time, peak
# RSS (/usr/bin/time) and the output's size.
BUILD=${BUILD:-build}
OPC=$BUILD/opcount
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# measure LABEL OUT ARGS...: "LABEL  1.23 s  45 MB RSS  67.8 MB out"
measure() {
	_label=$1
	_out=$2
	shift 2
	/usr/bin/time -f "%e %M" -o "$dir/time" "$@" >"$dir/stdout" 2>"$dir/err" ||
		{ echo "  $_label: failed: $(tail -n 1 "$dir/err")"; return; }
	if [ "$_out" = - ]; then _size=$(cat "$dir/stdout"); else _size=$(stat -c %s "$_out"); fi
	awk -v l="$_label" -v sz="$_size" '{ printf "  %-44s %6.2f s %6.0f MB RSS %9.3f MB out\n",
		l, $1, $2 / 1024, sz / 1e6 }' "$dir/time"
}

for spec in "hour at 100 Hz:360000" "10 min at 1 kHz:600000"; do
	name=${spec%%:*}
	n=${spec#*:}
	"$BUILD/bench/gentrace" -o "$dir/t.opc" --keys 200 --intervals "$n" --per-interval 20 \
		--threads 4 --sites 20 --layers 10 >/dev/null || exit 1
	echo "$name: trace of $(($(stat -c %s "$dir/t.opc") / 1000000)) MB, $n intervals of 20 entries"
	measure "report --format perfetto" "$dir/tl.json" "$OPC" report "$dir/t.opc" \
		--format perfetto -o "$dir/tl.json"
	measure "report --format perfetto --max-events 0" - sh -c \
		"\"$OPC\" report \"$dir/t.opc\" --format perfetto --max-events 0 | wc -c"
	measure "report --by stack --format svg" "$dir/s.svg" "$OPC" report "$dir/t.opc" \
		--by stack --format svg -o "$dir/s.svg"
	measure "report --by path --format svg" "$dir/p.svg" "$OPC" report "$dir/t.opc" \
		--by path --format svg -o "$dir/p.svg"
	rm -f "$dir/tl.json"
done
