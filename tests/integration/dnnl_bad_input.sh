#!/bin/sh
# dnnl_bad_input.sh - oneDNN executions whose work opcount cannot read
# are still counted, with FLOPs unknown, and the program runs unchanged;
# and the oneDNN 3.x reading path, against a simulated 3.x.
#
# tests/progs/dnnl_fake with its own oneDNN (libdnnl_fake.so), 5
# executions each, under the library:
#   v4    a oneDNN 4 (dnnl_version): its descriptors are not read at all
#         (the fake aborts if they are)
#   kind  a primitive of a kind opcount does not know (99)
#   nomd  a convolution whose memory descriptors cannot be read
#   fail  an execution that fails: counted as rejected (no work)
# The report has one dnnl_primitive_execute row of 5 calls, 0 FLOPs,
# flops_unknown (fail: rejected), its shape naming the kind; the program
# prints the same as without the library (errno as the library set it,
# the status it returned).
#   v3    a oneDNN 3.3 as 3.x's header describes it (renumbered kinds,
#         opaque memory descriptors, the pooling kernel a query): a grouped
#         convolution, a broadcast matmul and a 2x2 pooling are costed
#         exactly (2 x 1320 outputs x 30 multiply-adds; 2 x 72 x 5; 96
#         outputs x 4 taps).
. "$(dirname "$0")/lib.inc"
PROG=$B/tests/progs/dnnl_fake
need "$LIB" "$OPC" "$PROG"
need_py

for mode in v4 kind nomd fail; do
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
kind = {"v4": 0, "kind": 99, "nomd": 5, "fail": 5}[mode]
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

d=$tmp/v3
mkdir "$d"
"$PROG" v3 >"$d/plain.txt" 2>&1 || fail "v3: without the library: $(cat "$d/plain.txt")"
OPCOUNT_OUTPUT=$d/run.opc LD_PRELOAD=$LIB "$PROG" v3 >"$d/out.txt" 2>"$d/err.txt" ||
	fail "v3: under the library exited $?: $(tail -n 3 "$d/err.txt")"
cmp -s "$d/plain.txt" "$d/out.txt" || fail "v3: output differs under the library"
"$OPC" report "$d/run.opc" --by op --format json >"$d/op.json" 2>"$d/rep.err" ||
	fail "v3: report exited $?: $(cat "$d/rep.err")"
"$PY" - "$d/op.json" <<'PYEOF' || fail "v3: the simulated oneDNN 3 primitives are not costed exactly"
import json, sys
rows = {r["op"]: (r["calls"], r["flops"], r["bytes"]) for r in json.load(open(sys.argv[1]))["rows"]
        if r["op"] != "-"}
want = {
    # src 2x8x9x11, weights 4x3x2x3x5 (groups 4), dst 2x12x5x11: red = 360 / 12
    "dnnl_convolution_forward": (5, 5 * 2 * 1320 * 30, 5 * (1584 + 360 + 1320) * 4),
    # 3x4x5 times 1x5x6
    "dnnl_matmul": (5, 5 * 2 * 72 * 5, 5 * (60 + 30 + 72) * 4),
    # 2x3x8x8 -> 2x3x4x4, kernel 2x2
    "dnnl_pooling_forward": (5, 5 * 96 * 4, 5 * (384 + 96) * 4),
}
if rows != want:
    print("counted %s, expected %s" % (rows, want))
    sys.exit(1)
PYEOF
ok "v3: a simulated oneDNN 3 convolution, matmul and pooling costed exactly"
