#!/bin/sh
# report_empty.sh - reports of traces without a single counted call.
#
# A trace with no key at all, one whose keys were never called, each with
# and without energy (bench/gentrace): report, in every format and
# grouping, succeeds with no rows but the outside row where there is
# energy, and zero totals; JSON is valid.  Run from a sanitizer build
# (BUILD=build-ubsan, make UBSAN=1), this also checks that nothing is
# undefined on the way: report used to qsort(NULL, 0).
. "$(dirname "$0")/lib.inc"
need_py "it checks the JSON"
need "$OPC" "$B/bench/gentrace"

G=$B/bench/gentrace
$G -o "$tmp/nokeys.opc" --keys 0 --intervals 2 --no-energy >/dev/null || fail "gentrace"
$G -o "$tmp/nokeys-e.opc" --keys 0 --intervals 2 >/dev/null || fail "gentrace"
$G -o "$tmp/uncalled.opc" --keys 5 --intervals 2 --per-interval 0 --no-energy >/dev/null ||
	fail "gentrace"
$G -o "$tmp/uncalled-e.opc" --keys 5 --intervals 2 --per-interval 0 >/dev/null || fail "gentrace"

for t in nokeys nokeys-e uncalled uncalled-e; do
	case $t in *-e) want=1 ;; *) want=0 ;; esac
	for by in site layer path op type key device; do
		for fmt in table csv folded json; do
			"$OPC" report "$tmp/$t.opc" --by $by --format $fmt --stacks \
				>"$tmp/out" 2>"$tmp/err"
			rc=$?
			[ $rc = 0 ] || bad "$t: report --by $by --format $fmt: exit $rc: $(cat "$tmp/err")"
			[ -s "$tmp/err" ] && bad "$t: report --by $by --format $fmt: $(cat "$tmp/err")"
		done
		$PY - "$tmp/out" "$want" <<'PYEOF' || bad "$t --by $by: the JSON report is not empty"
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["rows"]
assert d["totals"]["calls"] == 0 and d["totals"]["flops"] == 0, d["totals"]
assert len(rows) == int(sys.argv[2]), rows
assert all(r["outside"] for r in rows), rows
PYEOF
	done
	"$OPC" report "$tmp/$t.opc" >"$tmp/out" 2>&1
	grep -q "^total " "$tmp/out" || bad "$t: no total line in the table: $(cat "$tmp/out")"
done
finish
