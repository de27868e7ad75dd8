#!/bin/sh
# dnnl_torch.sh - PyTorch's CPU convolutions, which run in oneDNN
# (libdnnl.so.2, under libtorch_cpu.so), counted exactly per layer.
#
# tests/python/dnnl_torch.py, at default settings, one inference forward
# and one training step of a CNN (stride 2, padding, dilation, groups,
# depthwise, 1x1, 3x3, 5x5; Conv1d and Conv3d too) under the library, the
# model annotated with opcount_torch:
#  - per layer (report --by key), the FLOPs of dnnl_convolution_forward,
#    _backward_data and _backward_weights are 2 x the multiply-adds the
#    script works out from the module shapes, for every pass that ran, and
#    dnnl_epilogue holds the bias adds (forward) and the diff_bias sums
#    (backward weights), one per output element;
#  - the forward FLOPs of the Conv2d layers equal torch.profiler's
#    (with_flops=True) aten::conv2d FLOPs over the same run;
#  - every oneDNN execution landed in a costed row (no dnnl_primitive_execute
#    row, nothing flops_unknown), reorders have no FLOPs and some bytes;
#  - the script prints the same outputs, loss and parameters, bit for bit,
#    without the library.
. "$(dirname "$0")/lib.inc"
SCRIPT=$ROOT/tests/python/dnnl_torch.py
need_py_module torch python3-torch
need "$LIB" "$OPC"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

# PyTorch built without oneDNN (another build than Debian's): nothing to count
"$PY" -c 'import torch, sys; sys.exit(0 if torch.backends.mkldnn.is_available() else 1)' ||
	{ echo "SKIP: this PyTorch has no oneDNN (torch.backends.mkldnn.is_available() is false)"; exit 77; }

OPCOUNT_OUTPUT=$tmp/run.opc LD_PRELOAD=$LIB "$PY" "$SCRIPT" >"$tmp/out.txt" 2>"$tmp/err.txt" ||
	fail "run under the library failed: $(tail -n 5 "$tmp/err.txt")"
[ -s "$tmp/run.opc" ] || fail "no trace"
"$OPC" report "$tmp/run.opc" --by key --format json >"$tmp/key.json" 2>"$tmp/rep.err" ||
	fail "report --by key exited $?: $(cat "$tmp/rep.err")"
$CHECK validate "$tmp/key.json" || fail "report does not follow the JSON contract"

"$PY" - "$tmp/key.json" "$tmp/out.txt" >"$tmp/check.txt" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
ops = ["dnnl_convolution_forward", "dnnl_convolution_backward_data",
       "dnnl_convolution_backward_weights", "dnnl_epilogue"]
want, conv2d, prof = {}, [], None
for line in open(sys.argv[2]):
    w = line.split()
    if w and w[0] == "expect":
        want[w[1]] = [int(v) for v in w[2:6]]
    elif w and w[0] == "conv2d":
        conv2d = w[1:]
    elif w and w[0] == "profiler":
        prof = int(w[1])
got = {}
for r in rows:
    if r["op"] in ops:
        g = got.setdefault(r.get("layer"), [0, 0, 0, 0])
        g[ops.index(r["op"])] += r["flops"]
ok = True
for layer, w in sorted(want.items()):
    g = got.get(layer, [0, 0, 0, 0])
    if g != w:
        print("FAIL layer %s: counted fwd/bwd_data/bwd_weights/epilogue %s, 2 x MACs %s"
              % (layer, g, w))
        ok = False
    else:
        print("ok layer %s: %s" % (layer, " ".join(map(str, w))))
for layer in got:
    if layer not in want:
        print("FAIL convolution FLOPs in layer %s, which has no convolution: %s"
              % (layer, got[layer]))
        ok = False
fwd2d = sum(got.get(l, [0])[0] for l in conv2d)
if prof is None or fwd2d != prof:
    print("FAIL Conv2d forward FLOPs %d, torch.profiler's aten::conv2d %s" % (fwd2d, prof))
    ok = False
else:
    print("ok Conv2d forward FLOPs %d = torch.profiler's" % fwd2d)
bad = [(r["op"], r.get("layer"), r["calls"]) for r in rows
       if r["op"].startswith("dnnl_") and (r["op"] == "dnnl_primitive_execute" or
                                           r.get("flops_unknown"))]
if bad:
    print("FAIL executions not costed: %s" % bad)
    ok = False
reorders = [r for r in rows if r["op"] == "dnnl_reorder"]
if any(r["flops"] for r in reorders) or not any(r["bytes"] for r in reorders):
    print("FAIL reorders: %s" % [(r["flops"], r["bytes"]) for r in reorders])
    ok = False
print("ok" if ok else "FAIL")
EOF
cat "$tmp/check.txt"
tail -n 1 "$tmp/check.txt" | grep -q '^ok$' || fail "oneDNN counts differ from the analytic ones"

"$PY" "$SCRIPT" >"$tmp/plain.txt" 2>"$tmp/plain.err" ||
	fail "run without the library failed: $(tail -n 5 "$tmp/plain.err")"
grep -E '^(out|expect|profiler) ' "$tmp/out.txt" >"$tmp/a.txt"
grep -E '^(out|expect|profiler) ' "$tmp/plain.txt" >"$tmp/b.txt"
cmp -s "$tmp/a.txt" "$tmp/b.txt" ||
	fail "outputs differ without the library: $(diff "$tmp/a.txt" "$tmp/b.txt" | head -n 6 | tr '\n' ';')"
ok "outputs, loss and parameters identical without the library"
echo "PyTorch's oneDNN convolutions counted exactly, forward and backward"
