#!/bin/sh
# torch_layers.sh - python/opcount_torch.py: PyTorch modules as layer
# regions, forward and backward, counted exactly per layer.
#
# 1. tests/python/test_opcount_torch.py, without the library: the hook
#    logic against a fake push/pop (balanced stacks after every forward and
#    backward, probes see their own layer as the innermost region in both
#    passes, bitwise identical losses and gradients; nesting, branches,
#    shared modules, in-place ReLU, retain_graph, autograd.grad, exceptions
#    in forward and backward, checkpointing, threads), and with --absent:
#    without the library annotate() installs no hook and changes nothing.
# 2. tests/python/torch_layers.py under the library, with 1 and 2 intra-op
#    threads: `opcount report --by layer --format json` must have exactly
#    one row per expect line (layer = the module's qualified name), with
#    exactly its analytic forward + backward FLOPs and GEMM calls, the
#    module's class as type, and (where the report has layer_path) the
#    forward's nesting in the backward too (Net/features/features.0); the
#    only work outside a layer is what the same script does before its
#    first step (--baseline: NumPy's import calls cblas_sdot once); the
#    library warns of no unbalanced pop.
# 3. The same script without the library prints the same losses, logits
#    and parameters, bit for bit, and annotate() installs nothing there.
. "$(dirname "$0")/lib.inc"
SCRIPT=$ROOT/tests/python/torch_layers.py
need_py_module torch python3-torch
need "$LIB" "$OPC"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

# 1. the logic, without the library
"$PY" "$ROOT/tests/python/test_opcount_torch.py" >"$tmp/logic.txt" 2>&1 ||
	fail "hook logic: $(grep -v '^ok' "$tmp/logic.txt" | head -n 20)"
echo "ok hook logic ($(grep pushes "$tmp/logic.txt"))"
"$PY" "$ROOT/tests/python/test_opcount_torch.py" --absent >"$tmp/absent.txt" 2>&1 ||
	fail "without the library: $(cat "$tmp/absent.txt")"
echo "ok without the library: annotate() installs nothing"

# 2. baseline: what the script counts before its first step
OPCOUNT_OUTPUT=$tmp/base.opc LD_PRELOAD=$LIB "$PY" "$SCRIPT" --baseline \
	>"$tmp/base.txt" 2>"$tmp/base.err" || fail "baseline run failed: $(tail -n 5 "$tmp/base.err")"
base=0
if [ -s "$tmp/base.opc" ]; then
	"$OPC" report "$tmp/base.opc" --format json >"$tmp/base.json" 2>"$tmp/rep.err" ||
		fail "report of the baseline exited $?: $(cat "$tmp/rep.err")"
	base=$($CHECK get "$tmp/base.json" totals.flops)
fi

for threads in 1 2; do
	c=threads-$threads
	d=$tmp/$c
	mkdir "$d"
	OPCOUNT_OUTPUT=$d/run.opc LD_PRELOAD=$LIB "$PY" "$SCRIPT" --threads $threads \
		>"$d/out.txt" 2>"$d/err.txt" || fail "$c: run under the library failed: $(tail -n 5 "$d/err.txt")"
	grep -q '^active 1$' "$d/out.txt" || fail "$c: opcount_torch.active() is false under the library"
	grep -q '^handles 0$' "$d/out.txt" && fail "$c: annotate() installed no hooks under the library"
	if grep -i 'without a matching push' "$d/err.txt" >/dev/null; then
		fail "$c: unbalanced pops: $(grep -i 'matching push' "$d/err.txt" | head -n 3)"
	fi
	[ -s "$d/run.opc" ] || fail "$c: no trace"

	"$OPC" report "$d/run.opc" --by layer --format json >"$d/layer.json" 2>"$d/rep.err" ||
		fail "$c: report --by layer exited $?: $(cat "$d/rep.err")"
	$CHECK validate "$d/layer.json" || fail "$c: report does not follow the JSON contract"
	$CHECK compare "$d/layer.json" layer "$d/out.txt" --tag expect --calls || {
		echo "$c: expected: $(grep '^expect' "$d/out.txt" | cut -d' ' -f2- | tr '\n' ';')"
		echo "$c: counted:  $($CHECK rows "$d/layer.json" layer | tr '\n' ';')"
		fail "$c: per-layer FLOPs or calls differ from the analytic ones"
	}
	# type and nesting of every layer; nothing outside a layer but the baseline
	"$PY" - "$d/layer.json" "$d/out.txt" "$base" <<'EOF' || fail "$c: layer types, paths or work outside layers"
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["rows"] if not r.get("other_ops")]
ok = True
expected = set()
for line in open(sys.argv[2]):
    w = line.split()
    if not w or w[0] != "region":
        continue
    expected.add(w[1])
    layer, typ, path = w[1:4]
    r = [x for x in rows if x.get("layer") == layer and not x["nested"]]
    if len(r) != 1 or r[0]["type"] != typ:
        print("layer %s: type %s, expected %s" % (layer, [x["type"] for x in r], typ))
        ok = False
    elif "layer_path" in r[0] and r[0]["layer_path"] != path:
        print("layer %s: path %s, expected %s (forward and backward in one region path)"
              % (layer, r[0]["layer_path"], path))
        ok = False
for x in rows:
    if x.get("layer") is not None and x["layer"] not in expected and x["calls"]:
        print("unexpected layer %s: %d calls, %d FLOPs" % (x["layer"], x["calls"], x["flops"]))
        ok = False
outside = sum(x["flops"] for x in rows
              if x.get("layer") is None and not x["nested"] and x["op"] != "-")
if outside != int(sys.argv[3]):
    print("%d FLOPs outside any layer, the baseline has %s: %s" % (outside, sys.argv[3],
          [(x["op"], x["calls"], x["flops"]) for x in rows if x.get("layer") is None]))
    ok = False
sys.exit(0 if ok else 1)
EOF

	# 3. without the library: the same numbers, no hooks
	"$PY" "$SCRIPT" --threads $threads >"$d/plain.txt" 2>"$d/plain.err" ||
		fail "$c: run without the library failed: $(tail -n 5 "$d/plain.err")"
	grep -q '^active 0$' "$d/plain.txt" || fail "$c: active() is true without the library"
	grep -q '^handles 0$' "$d/plain.txt" || fail "$c: annotate() installed hooks without the library"
	grep -E '^(loss|eval|params|expect) ' "$d/out.txt" >"$d/a.txt"
	grep -E '^(loss|eval|params|expect) ' "$d/plain.txt" >"$d/b.txt"
	[ -s "$d/a.txt" ] || fail "$c: no loss lines"
	cmp -s "$d/a.txt" "$d/b.txt" ||
		fail "$c: outputs differ without the library: $(diff "$d/a.txt" "$d/b.txt" | head -n 6 | tr '\n' ';')"

	summary=$(grep '^expect' "$d/out.txt" | awk '{ printf "%s%s=%s", s, $2, $3; s = " " }')
	echo "ok $c: per-layer FLOPs exact [$summary], outside layers $base (baseline), losses identical without the library"
done
echo "PyTorch layers counted exactly, forward and backward"
