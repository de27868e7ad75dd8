#!/bin/sh
# dnnl_bad_input.sh - oneDNN executions whose work opcount cannot read
# are still counted, with FLOPs unknown, and the program runs unchanged.
#
# tests/progs/dnnl_fake with its own oneDNN (libdnnl_fake.so), 5
# executions each, under the library:
#   v3    a oneDNN 3 (dnnl_version): its descriptors are not read at all
#         (the fake aborts if they are)
#   kind  a primitive of a kind opcount does not know (99)
#   nomd  a convolution whose memory descriptors cannot be read
#   fail  an execution that fails: counted as rejected (no work)
# The report has one dnnl_primitive_execute row of 5 calls, 0 FLOPs,
# flops_unknown (fail: rejected), its shape naming the kind; the program
# prints the same as without the library (errno as the library set it,
# the status it returned).
. "$(dirname "$0")/lib.inc"
PROG=$B/tests/progs/dnnl_fake
need "$LIB" "$OPC" "$PROG"
need_py

for mode in v3 kind nomd fail; do
	d=$tmp/$mode
	mkdir "$d"
	"$PROG" $mode >"$d/plain.txt" 2>&1 || fail "$mode: without the library: $(cat "$d/plain.txt")"
	OPCOUNT_OUTPUT=$d/run.opc LD_PRELOAD=$LIB "$PROG" $mode >"$d/out.txt" 2>"$d/err.txt" ||
		fail "$mode: under the library exited $?: $(tail -n 3 "$d/err.txt")"
	cmp -s "$d/plain.txt" "$d/out.txt" ||
		fail "$mode: output differs under the library: $(cat "$d/out.txt") vs $(cat "$d/plain.txt")"
	"$OPC" report "$d/run.opc" --by key --format json >"$d/key.json" 2>"$d/rep.err" ||
		fail "$mode: report exited $?: $(cat "$d/rep.err")"
	$CHECK validate "$d/key.json" || fail "$mode: report does not follow the JSON contract"
	"$PY" - "$d/key.json" "$mode" <<'PYEOF' || fail "$mode: not counted as an unknown execution"
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["rows"] if r["op"] != "-"]
mode = sys.argv[2]
kind = {"v3": 0, "kind": 99, "nomd": 5, "fail": 5}[mode]
ok = (len(rows) == 1 and rows[0]["op"] == "dnnl_primitive_execute" and rows[0]["calls"] == 5
      and rows[0]["flops"] == 0 and rows[0]["bytes"] == 0
      and "kind=%d " % kind in rows[0].get("shape", "") + " "
      and (rows[0].get("rejected") if mode == "fail" else rows[0].get("flops_unknown")))
if not ok:
    print(rows)
sys.exit(0 if ok else 1)
PYEOF
	ok "$mode: 5 executions counted, FLOPs unknown$([ $mode = fail ] && echo ' (rejected)'), output and errno unchanged"
done
