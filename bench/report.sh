#!/bin/sh
# bench/report.sh - time and peak memory of `opcount report` on large
# synthetic traces (bench/gentrace): many distinct shapes (keys), many
# sampling intervals, as a long run of a program whose shapes vary makes.
#
#   SIZES="50 250"   trace sizes in MB, about (default)
#   BASE=OPCOUNT     another opcount to compare with (the same trace)
#
# Each trace has 1 key per 175 bytes and 1000 calls per 10 ms interval
# on 4 threads, 200 sites and 50 layers.  Reported: wall time, CPU time
# (user + system: what a busy machine changes least) and peak RSS
# (/usr/bin/time -v) of report as a table (--by site), --format json,
# --by key --format csv (a row per key), --by layer, --format folded, and
# of fit, which reads traces too.  The goal: a 1 GB trace (SIZES=1000) in
# under 10 s and 1 GB.
BUILD=${BUILD:-build}
SIZES=${SIZES:-50 250}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# measure LABEL OPCOUNT ARGS...: "LABEL  12.34 s  10.20 s CPU  567 MB"
measure() {
	_label=$1
	shift
	/usr/bin/time -v "$@" >/dev/null 2>"$dir/time" || { echo "  $_label: failed"; return; }
	awk -v l="$_label" -F': ' '
		/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0
			for (i = 1; i <= n; i++) s = s * 60 + t[i] }
		/User time|System time/ { cpu += $2 }
		/Maximum resident set size/ { kb = $2 }
		END { printf "  %-34s %7.2f s %7.2f s CPU %7.0f MB\n", l, s, cpu, kb / 1024 }' "$dir/time"
}

for mb in $SIZES; do
	keys=$((mb * 5700))
	intervals=$((mb * 23))
	"$BUILD/bench/gentrace" -o "$dir/t.opc" --keys $keys --intervals $intervals \
		--per-interval 1000 --threads 4 --sites 200 --layers 50 >/dev/null || exit 1
	size=$(stat -c %s "$dir/t.opc")
	echo "trace of $((size / 1000000)) MB: $keys keys, $intervals intervals of 1000 calls"
	for opc in "$BUILD/opcount" ${BASE:+"$BASE"}; do
		[ -n "${BASE:-}" ] && echo " $opc"
		measure "report (table, --by site)" "$opc" report "$dir/t.opc"
		measure "report --format json" "$opc" report "$dir/t.opc" --format json
		measure "report --by key --format csv" "$opc" report "$dir/t.opc" --by key \
			--format csv
		measure "report --by layer" "$opc" report "$dir/t.opc" --by layer
		measure "report --format folded" "$opc" report "$dir/t.opc" --format folded
		measure "fit" "$opc" fit "$dir/t.opc"
	done
done
