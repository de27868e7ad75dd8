#!/bin/sh
# gpu_cudnn.sh - cuDNN calls counted exactly and timed on the (simulated)
# GPU, against tests/gpu/cudnn_conv and the fake libcudnn.so.9.
#
#   counts   every case of cudnn_conv (a layer each: forward convolutions
#            with stride, padding, dilation, groups, NHWC, 3-D, double and
#            half data; backward data and filter; bias + activation;
#            activation, pooling, softmax, AddTensor, OpTensor, batch
#            normalisation; graph-API plans) has exactly the calls, FLOPs
#            and bytes the program works out itself, its op, iface cudnn,
#            and is marked FLOPs unknown only for cudnnBackendExecute
#   time     each case's busy_s (and gpu_s) is the time the simulated GPU
#            gave its work (0.1% + 10 ns per call)
#   plans    two plans executed from one call site are two keys
#   output   the program's output is the same with and without opcount
. "$(dirname "$0")/lib.inc"
gpu_or_skip
PROG=$B/tests/gpu/cudnn_conv
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$PROG"

"$PROG" "$tmp/plain-expect.txt" >"$tmp/plain.txt" 2>"$tmp/plain.err" ||
	fail "cudnn_conv failed without opcount: $(cat "$tmp/plain.err")"
OPCOUNT_OUTPUT=$tmp/t.opc LD_PRELOAD=$LIB "$PROG" "$tmp/expect.txt" >"$tmp/pre.txt" 2>"$tmp/pre.err" ||
	fail "cudnn_conv failed under opcount: $(cat "$tmp/pre.err")"
cmp -s "$tmp/plain.txt" "$tmp/pre.txt" ||
	fail "output differs with opcount: $(diff "$tmp/plain.txt" "$tmp/pre.txt" | head -5)"
echo "ok output identical with and without opcount ($(grep -c agrees "$tmp/pre.txt") convolutions checked against a direct computation)"

reports "$tmp/t.opc" layer key

$PY - "$tmp/layer.json" "$tmp/key.json" "$tmp/expect.txt" <<'PYEOF'
import json, sys
rep = json.load(open(sys.argv[1]))
keys = json.load(open(sys.argv[2]))
rows = {r["layer"]: r for r in rep["rows"] if r["calls"] and not r.get("other_ops")}
bad = 0
def check(ok, msg):
    global bad
    print(("ok " if ok else "FAIL: ") + msg)
    bad += not ok
cases = [l.split() for l in open(sys.argv[3]) if l.startswith("expect ")]
check(len(cases) >= 20, "%d cases" % len(cases))
tot = {"calls": 0, "flops": 0, "bytes": 0, "ns": 0}
for _, layer, op, calls, flops, bytes_, ns in cases:
    calls, flops, bytes_, ns = int(calls), int(flops), int(bytes_), int(ns)
    r = rows.pop(layer, None)
    if r is None:
        check(False, "%s: no row" % layer)
        continue
    got = (r["op"], r["calls"], r["flops"], r["bytes"], r["iface"], r.get("flops_unknown", False))
    want = (op, calls, flops, bytes_, "cudnn", op == "cudnnBackendExecute")
    check(got == want, "%s: %s calls %d flops %d bytes %d iface %s FLOPs unknown %s" %
          ((layer,) + got) + ("" if got == want else "; want %s" % (want,)))
    tol = 1e-3 * ns + 10 * calls
    for col in ("busy_s", "gpu_s"):
        check(abs(r[col] * 1e9 - ns) <= tol, "%s: %s %.0f ns, simulated GPU %d ns" %
              (layer, col, r[col] * 1e9, ns))
    for k, v in (("calls", calls), ("flops", flops), ("bytes", bytes_), ("ns", ns)):
        tot[k] += v
check(not rows, "no other rows with calls (%s)" % ", ".join(rows) if rows else "no other rows with calls")
t = rep["totals"]
check((t["calls"], t["flops"], t["bytes"]) == (tot["calls"], tot["flops"], tot["bytes"]),
      "totals %d calls %d flops %d bytes" % (t["calls"], t["flops"], t["bytes"]))
check(abs(t["busy_s"] * 1e9 - tot["ns"]) <= 1e-3 * tot["ns"] + 10 * tot["calls"],
      "total busy_s %.0f ns, simulated %d ns" % (t["busy_s"] * 1e9, tot["ns"]))
plans = [r for r in keys["rows"] if r["op"] == "cudnnBackendExecute"]
check(sorted(r["calls"] for r in plans) == [2, 5], "two plans, two keys: %s" %
      [(r["shape"], r["calls"]) for r in plans])
sys.exit(1 if bad else 0)
PYEOF
