#!/bin/sh
# torchvision_models.sh - real models nobody here wrote: torchvision's
# ResNet-18, MobileNetV2, EfficientNet-B0, MobileNetV3-Small, SqueezeNet
# 1.1 and GoogLeNet (without its auxiliary classifiers), unmodified (ten
# classes), exported by `python3 -m opcount_torch arch`
# (torch.fx reads their forwards: BasicBlock's residual adds and
# downsample shortcuts, the ReLU module used twice, ResNet's torch.flatten,
# the stem's padded max pooling; MobileNetV2's inverted residuals, ReLU6
# and F.adaptive_avg_pool2d; EfficientNet's SiLU, squeeze-and-excitation
# gates (x * scale) and stochastic depth; MobileNetV3's Hardswish and
# Hardsigmoid; the Fire modules' and Inception blocks' torch.cat of
# branches, ceil_mode pooling) and run as PyTorch runs them by default (oneDNN on, torch's
# own number of intra-op threads), batch 2 of 3x32x32.
#
#   export   ResNet-18: 20 conv2d (3 of them shortcuts), 8 residual blocks,
#            the fc; every model's parameters as torch counts them
#   compare  per layer, the lowering (`opcount predict --arch --format
#            json`) equals what the library measured: every Conv2d torch
#            gives oneDNN key by key (the input reorders into blocked
#            formats a kernel may skip aside: docs/arch.md, "layout"), every
#            other Conv2d's and Linear's sgemm exactly; no layer measured
#            and not predicted.  ResNet-18 for inference (forward ops) and a
#            training step (every phase), the others a training step.
. "$(dirname "$0")/lib.inc"
need_py_module torch python3-torch
need_py_module torchvision python3-torchvision
need "$LIB" "$OPC"
S=$ROOT/tests/python/tv_models.py
export PYTHONPATH=$ROOT/python:$ROOT/tests/python
cat >"$tmp/c.json" <<'EOC'
{"opcount_coeffs": 1, "target": "energy", "unit": "J", "energy_source": "rapl",
 "energy_measured": true, "machine": {"cpu": "test"}, "model": "a",
 "models": {"a": {"per_flop": 1e-9, "per_type": {}, "per_call": 0, "static_w": 0}}}
EOC

# model, layers with GEMMs or oneDNN convolutions, of them in oneDNN on
# one intra-op thread
MODELS="resnet18:21:20 mobilenet_v2:53:18 efficientnet_b0:82:17 mobilenet_v3_small:54:12
	squeezenet1_1:26:9 googlenet:58:20"
for spec in $MODELS; do
	m=${spec%%:*}
	"$PY" -m opcount_torch arch "$S:$m" --input 3,32,32 --batch 2 -o "$tmp/$m.json" \
		2>"$tmp/exp.err" || fail "$m: export exited $?: $(cat "$tmp/exp.err")"
	params=$("$OPC" predict --coeffs "$tmp/c.json" --arch "$tmp/$m.json" --format json |
		"$PY" -c 'import json, sys; print(json.load(sys.stdin)["arch"]["params"])')
	want=$("$PY" -c 'import sys, tv_models; print(sum(p.numel() for p in tv_models.MODELS[sys.argv[1]]().parameters()))' "$m")
	[ "$params" = "$want" ] || fail "$m: the file has $params parameters, torch $want"
	ok "$m: exported, $params parameters as torch counts them"
done
"$PY" - "$tmp/resnet18.json" <<'EOP' || fail "resnet18's file"
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
ok "resnet18: 20 conv2d, 3 shortcuts, 8 residual blocks, the fc"

compare() {	# MODEL MODE LAYERS NCONV
	m=$1 mode=$2 d=$tmp/$1-$2
	mkdir "$d"
	OPCOUNT_OUTPUT=$d/run.opc LD_PRELOAD=$LIB "$PY" "$S" run --model $m --mode $mode \
		>"$d/out.txt" 2>"$d/err.txt" || fail "$m $mode: run under the library failed: $(tail -n 5 "$d/err.txt")"
	grep -q '^active 1$' "$d/out.txt" || fail "$m $mode: opcount_torch.active() is false under the library"
	threads=$(sed -n 's/^threads //p' "$d/out.txt")
	"$OPC" report "$d/run.opc" --by layer --by key --format json >"$d/layer.json" 2>"$d/rep.err" ||
		fail "$m $mode: report exited $?: $(cat "$d/rep.err")"
	"$OPC" predict --coeffs "$tmp/c.json" --arch "$tmp/$m.json" --torch-threads "$threads" \
		--format json >"$d/$m.predict.json" 2>"$d/p.err" || fail "$m $mode: predict exited $?: $(cat "$d/p.err")"
	"$PY" "$ROOT/tests/python/arch_lowering.py" check --mode $mode --report "$d/layer.json" \
		--predict "$d" --names $m >"$d/check.txt" 2>&1 ||
		fail "$m $mode: lowering differs from measurement: $(grep -v '^ok' "$d/check.txt" | head -n 10)"
	grep -q "^layers $3 mismatches 0\$" "$d/check.txt" || fail "$m $mode: $(tail -n 1 "$d/check.txt")"
	n=$(grep -c ' onednn' "$d/check.txt")
	# on several threads oneDNN also takes the 1x1 convolutions of a small
	# batch: at least as many
	if [ "$threads" = 1 ]; then
		[ "$n" = "$4" ] || fail "$m $mode: $n convolutions as oneDNN rows, expected $4"
	else
		[ "$n" -ge "$4" ] || fail "$m $mode: $n convolutions as oneDNN rows, expected $4 or more"
	fi
	ok "$m $mode ($threads intra-op thread(s)): $3 layers exactly as lowered, $n convolutions as oneDNN rows key by key"
}
compare resnet18 infer 21 20
compare resnet18 train 21 20
for spec in $MODELS; do
	set -- $(echo "$spec" | tr : ' ')
	[ "$1" = resnet18 ] || compare "$1" train "$2" "$3"
done
grep -qF "ok train layer4.0.downsample.0 measured [12, 1572864, 4829184]" "$tmp/resnet18-train/check.txt" &&
	ok "a shortcut's 1x1 conv in training: forward, dx, dW with their reorders, 12 rows, 1572864 FLOPs" ||
	fail "layer4.0.downsample.0: $(grep downsample.0 "$tmp/resnet18-train/check.txt")"
grep -qF "ok train features.1.0.block.1.fc1 measured [6, 3072, 9216]" "$tmp/efficientnet_b0-train/check.txt" &&
	ok "a squeeze-and-excitation's fc1 (1x1 conv on the pooled 1x1 image, slow_conv2d): 6 sgemm, 3072 FLOPs" ||
	fail "features.1.0.block.1.fc1: $(grep block.1.fc1 "$tmp/efficientnet_b0-train/check.txt" | head -n 2)"
