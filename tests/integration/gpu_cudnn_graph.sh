#!/bin/sh
# gpu_cudnn_graph.sh - cuDNN graph-API plans costed from the operation
# graph opcount saw built, against tests/gpu/cudnn_graph and the fake
# libcudnn.so.9.
#
#   counts   each plan's executions (a layer each) have exactly the FLOPs
#            and bytes the program works out itself: convolution forward
#            (grouped, padded, fused with a pointwise node through a
#            virtual tensor), backward data and filter in one graph (half,
#            beta 1 and 0), backward filter (double, strided) with a matmul
#            (bfloat16, batched) configured through the engine heuristics;
#            op cudnnBackendExecute_graph, iface cudnn, FLOPs known
#   unknown  a pointwise-only plan, and a plan made with no graph at the
#            address of a destroyed costed plan, stay cudnnBackendExecute,
#            FLOPs unknown, 0 FLOPs and bytes
#   keys     a key per plan; its "other" dimension is the number of nodes
#            left uncounted; a plan rebuilt at a destroyed plan's address
#            with another graph gets the new cost; plans built before keep
#            theirs
#   time     each case's busy_s is the simulated GPU's time for it
#   output   the program's output is the same with and without opcount
. "$(dirname "$0")/lib.inc"
gpu_or_skip
PROG=$B/tests/gpu/cudnn_graph
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$PROG"

"$PROG" "$tmp/plain-expect.txt" >"$tmp/plain.txt" 2>"$tmp/plain.err" ||
	fail "cudnn_graph failed without opcount: $(cat "$tmp/plain.err")"
OPCOUNT_OUTPUT=$tmp/t.opc LD_PRELOAD=$LIB "$PROG" "$tmp/expect.txt" >"$tmp/pre.txt" 2>"$tmp/pre.err" ||
	fail "cudnn_graph failed under opcount: $(cat "$tmp/pre.err")"
cmp -s "$tmp/plain.txt" "$tmp/pre.txt" ||
	fail "output differs with opcount: $(diff "$tmp/plain.txt" "$tmp/pre.txt" | head -5)"
echo "ok output identical with and without opcount"

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
check(len(cases) == 8, "%d cases" % len(cases))
tot = {"calls": 0, "flops": 0, "bytes": 0, "ns": 0}
for _, layer, op, calls, flops, bytes_, ns, other in cases:
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
    check(abs(r["busy_s"] * 1e9 - ns) <= tol, "%s: busy_s %.0f ns, simulated GPU %d ns" %
          (layer, r["busy_s"] * 1e9, ns))
    for k, v in (("calls", calls), ("flops", flops), ("bytes", bytes_), ("ns", ns)):
        tot[k] += v
check(not rows, "no other rows with calls (%s)" % ", ".join(rows) if rows else "no other rows with calls")
t = rep["totals"]
check((t["calls"], t["flops"], t["bytes"]) == (tot["calls"], tot["flops"], tot["bytes"]),
      "totals %d calls %d flops %d bytes" % (t["calls"], t["flops"], t["bytes"]))

# keys: dims of cudnnBackendExecute_graph are flops, bytes, plan, other
def dims(shape):
    return dict(kv.split("=", 1) for kv in shape.split() if "=" in kv)
graph = [r for r in keys["rows"] if r["op"] == "cudnnBackendExecute_graph"]
plain = [r for r in keys["rows"] if r["op"] == "cudnnBackendExecute"]
by_cost = {}
for r in graph:
    d = dims(r["shape"])
    check(int(d["flops"]) * r["calls"] == r["flops"] and int(d["bytes"]) * r["calls"] == r["bytes"],
          "key %s: %d calls carry their cost" % (r["shape"], r["calls"]))
    by_cost.setdefault((d["flops"], d["bytes"]), []).append(d)
want_other = {}
for _, layer, op, calls, flops, bytes_, ns, other in cases:
    if op == "cudnnBackendExecute_graph":
        want_other[("%d" % (int(flops) // int(calls)), "%d" % (int(bytes_) // int(calls)))] = other
check(sorted(by_cost) == sorted(want_other), "%d plan costs, as expected" % len(by_cost))
for c, ds in by_cost.items():
    check(all(d["other"] == want_other.get(c) for d in ds),
          "plan of %s FLOPs: %s node(s) not counted" % (c[0], [d["other"] for d in ds]))
costs_at = {}
for ds in by_cost.values():
    for d in ds:
        costs_at.setdefault(d["plan"], set()).add(d["flops"])
plans = set(costs_at)
check(sorted(len(c) for c in costs_at.values()) == [1, 1, 2],
      "four plans costed at three addresses, one reused with another graph: %s" %
      sorted((p, sorted(c)) for p, c in costs_at.items()))
check(sorted(r["calls"] for r in plain) == [2, 2] and
      any(dims(r["shape"])["plan"] in plans for r in plain),
      "uncosted plans: %s, one at a costed plan's old address" % [(r["shape"], r["calls"]) for r in plain])
sys.exit(1 if bad else 0)
PYEOF
