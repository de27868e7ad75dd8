#!/bin/sh
# collector_stress.sh - the collector harvesting at 10 kHz while counters
# and tables change under it (tests/progs/collector_stress.c): every
# trace must read and hold exactly the calls made.
#
#  - timed: one thread of back-to-back timed dgemm calls.  The reader
#    rejects an interval with more timed calls than calls, so a harvest
#    that reads `timed` after `calls` makes the whole trace unreadable.
#  - layers: threads that make every call in a new layer.  A key record
#    written before the layer it refers to makes the trace unreadable.
# Each is run three times: the races are narrow.
. "$(dirname "$0")/lib.inc"
PROG=$B/tests/progs/collector_stress
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$PROG"

n=0
errors=0
run() {
	args="$*"
	n=$((n + 1))
	d=$tmp/$n
	mkdir "$d"
	OPENBLAS_NUM_THREADS=1 OPCOUNT_HZ=10000 OPCOUNT_OUTPUT=$d/t.opc LD_PRELOAD=$LIB \
		"$PROG" "$@" >"$d/out.txt" 2>"$d/err.txt" || fail "collector_stress $args: exited $?"
	if ! "$OPC" report "$d/t.opc" --by op --format json >"$d/op.json" 2>"$d/rep.err"; then
		echo "collector_stress $args (run $n): report failed: $(cat "$d/rep.err")"
		errors=$((errors + 1))
		return
	fi
	set -- $(awk '$1 == "expect_total" { print $2, $3 }' "$d/out.txt")
	got_f=$($CHECK get "$d/op.json" totals.flops)
	got_c=$($CHECK get "$d/op.json" totals.calls)
	if [ "$got_f" != "$1" ] || [ "$got_c" != "$2" ]; then
		echo "run $n: counted $got_c calls, $got_f FLOPs; expected $2, $1"
		errors=$((errors + 1))
		return
	fi
	want_l=$(awk '$1 == "expect_layers" { print $2 }' "$d/out.txt")
	if [ -n "$want_l" ]; then
		"$OPC" report "$d/t.opc" --by layer --format json >"$d/layer.json" 2>/dev/null
		got_l=$($PY -c 'import json,sys; print(sum(1 for r in json.load(open(sys.argv[1]))["rows"] if r["layer"] and r["calls"] == 1 and not r.get("other_ops")))' "$d/layer.json")
		[ "$got_l" = "$want_l" ] || { echo "run $n: $got_l layers with one call, expected $want_l"; errors=$((errors + 1)); return; }
	fi
	echo "ok run $n: $args"
}

for i in 1 2 3; do
	run timed 100000
	run layers 5000 4
done
[ $errors = 0 ] || fail "$errors of $n runs lost or garbled counts"
echo "collector consistent under stress"
