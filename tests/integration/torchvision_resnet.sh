#!/bin/sh
# torchvision_resnet.sh - a real model nobody here wrote: torchvision's
# ResNet-18, unmodified, exported by `python3 -m opcount_torch arch`
# (torch.fx reads BasicBlock.forward: the hand-written residual adds, the
# downsample shortcuts, the ReLU module used twice; ResNet's torch.flatten;
# the stem's padded max pooling) and run as PyTorch runs it by default
# (oneDNN on, torch's own number of intra-op threads), batch 2, 3x32x32.
#
#   export   the file has the 20 conv2d (3 of them shortcuts) and the fc of
#            the model, 11.2M parameters as torch counts them
#   infer    per layer, the lowering (`opcount predict --arch --format
#            json`, forward ops) equals what the library measured: every
#            Conv2d's oneDNN rows key by key (the stem's 3-channel input
#            reorders aside: a kernel that reads torch's layout), the fc's
#            sgemm, exactly; no layer measured and not predicted
#   train    the same for a training step, every phase
. "$(dirname "$0")/lib.inc"
need_py_module torch python3-torch
need_py_module torchvision python3-torchvision
need "$LIB" "$OPC"
S=$ROOT/tests/python/tv_resnet.py
export PYTHONPATH=$ROOT/python:$ROOT/tests/python
cat >"$tmp/c.json" <<'EOC'
{"opcount_coeffs": 1, "target": "energy", "unit": "J", "energy_source": "rapl",
 "energy_measured": true, "machine": {"cpu": "test"}, "model": "a",
 "models": {"a": {"per_flop": 1e-9, "per_type": {}, "per_call": 0, "static_w": 0}}}
EOC

"$PY" -m opcount_torch arch "$S:resnet18" --input 3,32,32 --batch 2 -o "$tmp/resnet18.json" \
	2>"$tmp/exp.err" || fail "export exited $?: $(cat "$tmp/exp.err")"
"$PY" - "$tmp/resnet18.json" <<'EOP' || fail "the exported file"
import json, sys
a = json.load(open(sys.argv[1]))
def flat(ls):
    for L in ls:
        yield L
        for k in ("layers", "shortcut"):
            yield from flat(L.get(k, []))
ls = list(flat(a["layers"]))
convs = [L for L in ls if L["type"] == "conv2d"]
short = [L for L in ls if L["type"] == "residual" and "shortcut" in L]
res = [L for L in ls if L["type"] == "residual"]
assert len(convs) == 20 and len(short) == 3 and len(res) == 8, (len(convs), len(short), len(res))
assert ls[-1]["type"] == "dense" and ls[-1]["name"] == "fc" and ls[-1]["units"] == 10
EOP
params=$("$OPC" predict --coeffs "$tmp/c.json" --arch "$tmp/resnet18.json" --format json |
	"$PY" -c 'import json, sys; print(json.load(sys.stdin)["arch"]["params"])')
want=$("$PY" -c 'import tv_resnet; print(sum(p.numel() for p in tv_resnet.resnet18().parameters()))')
[ "$params" = "$want" ] && ok "export: 20 conv2d, 3 shortcuts, 8 residual blocks, fc; $params parameters, as torch counts them" ||
	fail "the file has $params parameters, torch $want"

for mode in infer train; do
	d=$tmp/$mode
	mkdir "$d"
	OPCOUNT_OUTPUT=$d/run.opc LD_PRELOAD=$LIB "$PY" "$S" run --mode $mode >"$d/out.txt" 2>"$d/err.txt" ||
		fail "$mode: run under the library failed: $(tail -n 5 "$d/err.txt")"
	grep -q '^active 1$' "$d/out.txt" || fail "$mode: opcount_torch.active() is false under the library"
	threads=$(sed -n 's/^threads //p' "$d/out.txt")
	"$OPC" report "$d/run.opc" --by layer --by key --format json >"$d/layer.json" 2>"$d/rep.err" ||
		fail "$mode: report exited $?: $(cat "$d/rep.err")"
	"$OPC" predict --coeffs "$tmp/c.json" --arch "$tmp/resnet18.json" --torch-threads "$threads" \
		--format json >"$d/resnet18.predict.json" 2>"$d/p.err" || fail "$mode: predict exited $?: $(cat "$d/p.err")"
	"$PY" "$ROOT/tests/python/arch_lowering.py" check --mode $mode --report "$d/layer.json" \
		--predict "$d" --names resnet18 >"$d/check.txt" 2>&1 ||
		fail "$mode: lowering differs from measurement: $(grep -v '^ok' "$d/check.txt" | head -n 10)"
	grep -q '^layers 21 mismatches 0$' "$d/check.txt" || fail "$mode: $(tail -n 1 "$d/check.txt")"
	n=$(grep -c ' onednn' "$d/check.txt")
	[ "$n" = 20 ] || fail "$mode: $n convolutions as oneDNN rows, expected 20"
	ok "$mode ($threads intra-op thread(s)): 21 layers exactly as lowered, the 20 convolutions as oneDNN rows key by key"
done
grep -qF "ok train layer4.0.downsample.0 measured [12, 1572864, 4829184]" "$tmp/train/check.txt" &&
	ok "a shortcut's 1x1 conv in training: forward, dx, dW with their reorders, 12 rows, 1572864 FLOPs" ||
	fail "layer4.0.downsample.0: $(grep downsample.0 "$tmp/train/check.txt")"
finish
