#!/bin/sh
# report_large.sh - report time is linear in the trace: a trace of 200 000
# distinct shapes (keys) on 2000 call sites, 4 threads and 20 layers
# (bench/gentrace, 27 MB) is reported in every grouping within a bound
# that a superlinear step (a linear search per key or per cell) cannot
# meet: 60 s per report, where it takes about a second or less here
# (--by key --format json took 235 s before the searches were hashes).
# The counts must be complete: 200 000 rows --by key, every call counted.
# Memory is bounded too: the reader keeps what the analysis needs, not the
# file, its interval entries and every key's record (peak RSS was 4.3
# times the trace): each form, and fit, in less than twice the trace.
. "$(dirname "$0")/lib.inc"
need_py "it checks the JSON"
need "$OPC" "$B/bench/gentrace"

"$B/bench/gentrace" -o "$tmp/big.opc" --keys 200000 --intervals 100 --per-interval 2000 \
	--threads 4 --sites 2000 --layers 20 >/dev/null || fail "gentrace failed"

# bounded NAME ARGS...: report ARGS into $tmp/out within 60 s
bounded() {
	_name=$1
	shift
	_t0=$(date +%s)
	timeout 60 "$OPC" report "$tmp/big.opc" "$@" >"$tmp/out" 2>"$tmp/err"
	_rc=$?
	_s=$(( $(date +%s) - _t0 ))
	if [ $_rc = 124 ]; then
		bad "report $*: not done in 60 s"
	elif [ $_rc != 0 ]; then
		bad "report $*: exit $_rc: $(cat "$tmp/err")"
	else
		ok "report $*: ${_s} s"
	fi
}

for by in site layer path op type device; do
	bounded $by --by $by --format json
done
bounded key-csv --by key --format csv
# a header, 200 000 rows and the outside row
[ "$(wc -l <"$tmp/out")" = 200002 ] || bad "--by key --format csv: $(wc -l <"$tmp/out") lines, not 200 002"
bounded key-json --by key --format json
$PY - "$tmp/out" <<'PYEOF' || bad "--by key --format json: not the 200 000 rows of 200 000 calls"
import json, sys
d = json.load(open(sys.argv[1]))
rows = [r for r in d["rows"] if not r["outside"]]
assert len(rows) == 200000, len(rows)
assert sum(r["calls"] for r in rows) == d["totals"]["calls"] == 200000, d["totals"]
assert len({r["shape"] for r in rows}) == 200000
PYEOF
bounded folded --format folded
bounded stacks --by site --format json --stacks

# peak_kib ARGS...: the peak RSS of opcount ARGS, in KiB
peak_kib() {
	"$PY" -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$OPC" "$@"
}
size_kib=$(( $(stat -c %s "$tmp/big.opc") / 1024 ))
if [ -n "${SAN_RUNTIME:-}" ]; then
	echo "SKIP peak RSS: a sanitizer's allocator keeps what is freed (ASan's quarantine), the RSS is not opcount's"
	finish
fi
for args in "report" "report --format json" "report --by key --format csv" \
	"report --by layer" "report --format folded" "fit"; do
	# shellcheck disable=SC2086
	kib=$(peak_kib $args "$tmp/big.opc") || { bad "$args: failed"; continue; }
	if [ "$kib" -lt $((2 * size_kib)) ]; then
		ok "$args: peak RSS $((kib / 1024)) MB for a $((size_kib / 1024)) MB trace"
	else
		bad "$args: peak RSS $((kib / 1024)) MB, not under twice the $((size_kib / 1024)) MB trace"
	fi
done
finish
