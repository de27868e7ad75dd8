#!/bin/sh
# arch_export.sh - `python3 -m opcount_torch arch`: the version 2
# architecture file of a PyTorch module, from one recorded forward pass.
#
# 1. Twelve families of tests/python/arch_lowering.py (transformer
#    encoder, causal encoder layer, lone MultiheadAttention, LSTM, GRU, MLP,
#    LayerNorm + Linear, CNN, embedding; a TransformerDecoder over a memory,
#    --memory; Linear + cross-attention with kdim/vdim and a value apart,
#    --memory --value; RMSNorm + Linear), exported with the Zoo's names
#    (--prefix FAMILY; the causal ones through a wrapper that passes the
#    mask as the Zoo does): each file must equal the hand-written one of
#    arch_lowering.py, field for field ("causal": false, the default, which
#    the hand-written encoder spells out, aside), and `opcount predict
#    --arch --format json` must lower both to the same ops (layer, phase,
#    m, n, k, calls, FLOPs, bytes), exactly.  Those hand-written files are
#    the ones arch_lowering.sh checks against measurement.
# 2. A CNN with Tanh, MaxPool2d, a non-square strided conv, Sigmoid,
#    AvgPool2d with its own stride, Softmax; a pre-norm batch_first
#    TransformerEncoder with an activation module, dropout 0.1 and a final
#    LayerNorm: exactly the expected file, and predict accepts it.
# 3. Refusals, exit 1, nothing written, every module named with its class:
#    a module of its own (parameters, own forward), x * 2 between two
#    Linear, an in-place op between two Linear (not the ReLU(inplace=True)
#    module before it), a Linear on a convolution's output (no Flatten),
#    two unknown nn classes (both listed), a
#    cross-attention whose key is not the memory input, a memory_mask, an
#    RMSNorm with a shift.  Bad --memory, --value, --memory-grad: exit 2.
#    A bad --input: exit 2 (malformed, zero, 4 dimensions) or 1 (the forward
#    fails), a message that says so; a missing factory: exit 2.
# 4. export_arch() leaves the module as it was: training flag, BatchNorm
#    statistics, no forward left patched; a module called twice is refused;
#    a float64 model (BatchNorm1d, Identity) has "dtype": "float64", a
#    float16 one is refused; encoder layers that differ (heads) are written
#    one by one with their full names; a pre-norm batch_first decoder with
#    kdim/vdim over a memory that requires grad; LLaMA's RMS norm.
. "$(dirname "$0")/lib.inc"
need_py_module torch python3-torch
need "$OPC"
M=$ROOT/tests/python/arch_export_models.py
export PYTHONPATH=$ROOT/python:$ROOT/tests/python
exp() {	# FACTORY OUT ARGS...: the exporter, stderr in OUT.err, exit status in $rc
	f=$1 out=$2
	shift 2
	rc=0
	"$PY" -m opcount_torch arch "$M:$f" -o "$out" "$@" 2>"$out.err" || rc=$?
}

cat >"$tmp/c.json" <<'EOC'
{"opcount_coeffs": 1, "target": "energy", "unit": "J", "energy_source": "rapl",
 "energy_measured": true, "machine": {"cpu": "test"}, "model": "a",
 "models": {"a": {"per_flop": 1e-9, "per_type": {}, "per_call": 0, "static_w": 0}}}
EOC

# 1. the arch_lowering families
"$PY" -c 'import arch_lowering, json, sys
for n, a in arch_lowering.architectures().items():
    json.dump(a, open(sys.argv[1] + "/" + n + ".hand.json", "w"), indent=1)' "$tmp" ||
	fail "cannot write arch_lowering.py's files"
family() {	# FAMILY INPUT BATCH EXPORTER-OPTIONS...
	f=$1 in=$2 b=$3
	shift 3
	exp "$f" "$tmp/$f.json" --input "$in" --batch "$b" "$@"
	[ $rc = 0 ] || fail "$f: export exited $rc: $(cat "$tmp/$f.json.err")"
	"$PY" - "$tmp/$f.hand.json" "$tmp/$f.json" <<'EOP' || fail "$f: the exported file differs from arch_lowering.py's"
import json, sys
def norm(x):
    if isinstance(x, list):
        return [norm(v) for v in x]
    if isinstance(x, dict):
        return {k: norm(v) for k, v in x.items() if not (k == "causal" and v is False)}
    return x
a, b = (norm(json.load(open(p))) for p in sys.argv[1:3])
if a != b:
    print("hand-written:", json.dumps(a))
    print("exported:    ", json.dumps(b))
    sys.exit(1)
EOP
	for w in hand exp; do
		src=$tmp/$f.hand.json
		[ $w = exp ] && src=$tmp/$f.json
		"$OPC" predict --coeffs "$tmp/c.json" --arch "$src" --format json >"$tmp/$f.$w.p.json" \
			2>"$tmp/p.err" || fail "$f: predict --arch ($w) exited $?: $(cat "$tmp/p.err")"
	done
	"$PY" - "$tmp/$f.hand.p.json" "$tmp/$f.exp.p.json" >"$tmp/$f.ops" <<'EOP' || fail "$f: lowerings differ: $(cat "$tmp/$f.ops")"
import json, sys
ops = [[(o["layer"], o["phase"], o["m"], o["n"], o["k"], o["calls"], o["flops"], o["bytes"])
        for o in json.load(open(p))["lowering"]["ops"]] for p in sys.argv[1:3]]
print("%d ops, %d calls, %d FLOPs" % (len(ops[1]), sum(o[5] for o in ops[1]),
                                    sum(o[6] for o in ops[1])))
sys.exit(ops[0] != ops[1] or not ops[0])
EOP
	ok "$f: exported file = arch_lowering.py's; same lowering: $(cat "$tmp/$f.ops")"
}
for spec in enc:10,12:3 cenc:6,24:2 tiny:4,16:2 lstm:7,12:3 gru:5,12:2 mlp:20:4 ln:20:4 \
	    cnn:4,8,8:3 emb:7:3; do
	f=${spec%%:*} rest=${spec#*:}
	if [ "$f" = cenc ]; then pre="--name cenc"; else pre="--prefix $f"; fi
	family "$f" "${rest%:*}" "${rest#*:}" $pre
done
# a decoder over a memory (the Zoo's causal tgt_mask passed by a wrapper), a
# cross-attention with kdim/vdim and a value apart, an RMSNorm of one's own
family dec 6,24 2 --name dec --memory 9,24
family xkv 7,12 3 --prefix xkv --memory 8,10 --value 8,6
family rms 20 4 --prefix rms

# 2. the other poolings and activations; a pre-norm encoder
exp pools "$tmp/pools.json" --input 1,8,8 --batch 2
[ $rc = 0 ] || fail "pools: export exited $rc: $(cat "$tmp/pools.json.err")"
exp prenorm "$tmp/prenorm.json" --input 5,16 --batch 2
[ $rc = 0 ] || fail "prenorm: export exited $rc: $(cat "$tmp/prenorm.json.err")"
"$PY" - "$tmp/pools.json" "$tmp/prenorm.json" <<'EOP' || fail "pools/prenorm: not the expected file"
import json, sys
pools = [
    {"type": "conv2d", "name": "0", "filters": 4, "kernel": 3, "padding": 1},
    {"type": "activation", "name": "1", "function": "tanh"},
    {"type": "maxpool", "name": "2", "size": 2},
    {"type": "conv2d", "name": "3", "filters": 4, "kernel": [3, 2], "stride": [1, 2]},
    {"type": "activation", "name": "4", "function": "sigmoid"},
    {"type": "avgpool", "name": "5", "size": 2, "stride": 1},
    {"type": "flatten", "name": "6"},
    {"type": "dense", "name": "7", "units": 3},
    {"type": "activation", "name": "8", "function": "softmax"}]
d = lambda n: {"type": "dropout", "name": n, "p": 0.1}
prenorm = [
    {"type": "repeat", "name": "0.layers", "repeat": 2, "layers": [
        {"type": "residual", "layers": [
            {"type": "layernorm", "name": "norm1"},
            {"type": "attention", "name": "self_attn", "heads": 2}, d("dropout1")]},
        {"type": "residual", "layers": [
            {"type": "layernorm", "name": "norm2"},
            {"type": "dense", "name": "linear1", "units": 32},
            {"type": "activation", "name": "activation", "function": "gelu"}, d("dropout"),
            {"type": "dense", "name": "linear2", "units": 16}, d("dropout2")]}]},
    {"type": "layernorm", "name": "0.norm"},
    {"type": "dense", "name": "1", "units": 3}]
bad = 0
for p, inp, layers in ((sys.argv[1], [1, 8, 8], pools), (sys.argv[2], [5, 16], prenorm)):
    want = {"opcount_arch": 2, "name": "Sequential", "input": inp, "batch": 2, "layers": layers}
    got = json.load(open(p))
    if got != want:
        print("want", json.dumps(want)); print("got ", json.dumps(got)); bad = 1
sys.exit(bad)
EOP
for f in pools prenorm; do
	"$OPC" predict --coeffs "$tmp/c.json" --arch "$tmp/$f.json" >/dev/null 2>"$tmp/p.err" ||
		fail "$f: predict exited $?: $(cat "$tmp/p.err")"
done
ok "pools (Tanh, MaxPool2d, conv 3x2 stride 1x2, Sigmoid, AvgPool2d stride 1, Softmax) and pre-norm batch_first encoder: the expected files, predict accepts them"

# 3. refusals: exit status, the class and name of each module, no file
refuse() {	# FACTORY WANT-RC INPUT PATTERN...
	f=$1 want=$2 in=$3
	shift 3
	rm -f "$tmp/r.json"
	exp "$f" "$tmp/r.json" --input $in	# INPUT may carry --memory SHAPE ...
	[ "$rc" = "$want" ] || fail "$f --input $in: exit $rc, want $want: $(cat "$tmp/r.json.err")"
	[ -e "$tmp/r.json" ] && fail "$f --input $in: a file was written"
	for pat; do
		grep -qF "$pat" "$tmp/r.json.err" || fail "$f --input $in: no '$pat' in: $(cat "$tmp/r.json.err")"
	done
	:
}
refuse custom 1 4 "error: 1 (Scale): unknown module class Scale" "1 error(s), nothing written"
refuse scaled 1 4 "error: Net (Net): the function mul in its forward: not expressible" "1 error(s)"
refuse firstrow 1 4 "error: Net (Net): the function getitem in its forward: not expressible"
refuse twoprod 1 4 "error: Net (Net): a product of two computed tensors: not expressible (a gate is x * g(x))"
refuse inplace 1 4 "error: Net (Net): the method mul_ in its forward, off the path from input to output: not expressible" "1 error(s)"
refuse noflat 1 1,8,8 "error: 1 (Linear): its input is 1x2x6x6 (a sample of 3 dimensions): version 2 applies dense to [in] or [sequence, in]; put an nn.Flatten before it"
refuse unknown 1 3,10 "error: 0 (Conv1d): unknown module class Conv1d" \
	"error: 1 (Mish): unknown module class Mish" "2 error(s), nothing written"
ok "refused, exit 1, nothing written: a module of its own (Scale), x * 2 between Linear, y.mul_(2) between Linear, a Linear on a conv's [C, H, W], Conv1d and Mish both listed"

# what torch.fx reads in a forward of one's own: F.relu between two Linear
# (an unnamed activation), x + f(x) (a residual)
exp functional "$tmp/fn.json" --input 4
[ "$rc" = 0 ] || fail "functional: exit $rc: $(cat "$tmp/fn.json.err")"
exp skip "$tmp/skip.json" --input 8
[ "$rc" = 0 ] || fail "skip: exit $rc: $(cat "$tmp/skip.json.err")"
exp meanpool "$tmp/mean.json" --input 3,6,6
[ "$rc" = 0 ] || fail "meanpool: exit $rc: $(cat "$tmp/mean.json.err")"
"$PY" - "$tmp/fn.json" "$tmp/skip.json" "$tmp/mean.json" <<'EOP' || fail "functional, skip, meanpool: see above"
import json, sys
want = [[{"type": "dense", "name": "a", "units": 8}, {"type": "activation", "function": "relu"},
         {"type": "dense", "name": "b", "units": 2}],
        [{"type": "residual", "layers": [{"type": "dense", "name": "a", "units": 8}]}],
        [{"type": "conv2d", "name": "conv", "filters": 8, "kernel": 3},
         {"type": "adaptive_avgpool", "size": 1}, {"type": "flatten"}, {"type": "flatten"},
         {"type": "dense", "name": "fc", "units": 2}]]
for path, w in zip(sys.argv[1:], want):
    got = json.load(open(path))["layers"]
    if got != w:
        print("FAIL: %s: %s, want %s" % (path, json.dumps(got), json.dumps(w)))
        sys.exit(1)
EOP
ok "torch.fx: F.relu between two Linear is an activation, x + f(x) a residual block, x.mean([2, 3]) pooling and a flatten, flatten(start_dim=1); a(x) * b(x) refused"
refuse mlp 2 "2x,3" "error: --input '2x,3': a shape such as 20, 10,12 or 4,8,8 expected"
refuse mlp 2 0 "error: input shape [0]: 1 to 3 positive integers expected"
refuse mlp 2 1,2,3,4 "error: input shape [1, 2, 3, 4]: 1 to 3 positive integers expected"
refuse mlp 1 21 "error: the forward pass on input 1x21 failed: RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x21 and 20x32)"
refuse nope 2 4 "error: $M: no function 'nope'"
refuse crossproj 1 "5,8 --memory 7,8" "error: attn (MultiheadAttention): cross-attention whose key is not the model's memory input" \
	"error: dec.multihead_attn (MultiheadAttention): a mask on cross-attention (memory_mask): not expressible"
refuse rmsbias 1 4 "error: 0 (RMSNorm): an RMS norm is expressible with one weight of the last dimension and no submodules only" "1 error(s)"
ok "refused: a cross-attention whose key is a Linear of the memory, a decoder's memory_mask, an RMSNorm with a shift"
refuse dec 2 "6,24 --memory 9x" "error: --memory '9x': a shape such as 20, 10,12 or 4,8,8 expected"
refuse xkv 2 "7,12 --memory 8,10 --value 9,6" "error: value shape [9, 6]: its sequence is not the memory's 8"
refuse dec 2 "6,24 --memory-grad" "error: --memory-grad needs --memory"
ok "bad --memory/--value: malformed, sequences that differ, --memory-grad without a memory exit 2"
ok "a missing factory: exit 2"
ok "bad --input: malformed, zero, 4 dimensions exit 2; a shape the model rejects exits 1 with torch's reason"

# 4. the module is left as it was
"$PY" - <<'EOP' >"$tmp/state.txt" 2>&1 || fail "export_arch changed the module: $(cat "$tmp/state.txt")"
import torch, opcount_torch, arch_export_models as m
net = m.cnn()
net.train()
net[0].eval()	# a frozen BatchNorm in a model that trains: stays in eval()
before = [t.clone() for t in (net[0].running_mean, net[0].running_var)]
a = opcount_torch.export_arch(net, [4, 8, 8], batch=3, prefix="cnn")
assert net.training and not net[0].training and net[1].training, "training flags"
assert all(torch.equal(x, y) for x, y in zip(before, (net[0].running_mean, net[0].running_var))), "BN stats"
assert all("forward" not in mod.__dict__ for mod in net.modules()), "forward left patched"
assert len(a["layers"]) == 9
try:
    opcount_torch.export_arch(m.custom(), [4])
    raise SystemExit("no error")
except opcount_torch.ArchExportError as e:
    assert e.errors == ["1 (Scale): unknown module class Scale (no mapping, no submodules): "
                        "not expressible in version 2"], e.errors
lin = torch.nn.Linear(4, 4)
try:
    opcount_torch.export_arch(torch.nn.Sequential(lin, torch.nn.ReLU(), lin), [4])
    raise SystemExit("no error for a shared module")
except opcount_torch.ArchExportError as e:
    assert e.errors == ["0 (Linear): called twice (a shared module): not expressible"], e.errors
nn = torch.nn
enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2,
                            enable_nested_tensor=False)
enc.layers[1].self_attn.num_heads = 4	# layers that differ: no repeat, full names
enc.layers[1].self_attn.head_dim = 2
a = opcount_torch.export_arch(enc, [5, 8], batch=2)
assert [l["type"] for l in a["layers"]] == ["residual", "layernorm", "residual", "layernorm"] * 2, a
assert a["layers"][0]["layers"][0] == {"type": "attention", "name": "layers.0.self_attn", "heads": 2}, a
assert a["layers"][4]["layers"][0] == {"type": "attention", "name": "layers.1.self_attn", "heads": 4}, a
assert a["layers"][7] == {"type": "layernorm", "name": "layers.1.norm2"}, a
a = opcount_torch.export_arch(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), [5, 8], batch=2)
names = [l.get("name") for b in a["layers"] for l in (b.get("layers") or [b])]
assert names == ["self_attn", "dropout1", "norm1", "linear1", None, "dropout", "linear2", "dropout2",
                 "norm2"], names
a = opcount_torch.export_arch(nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.Identity(),
                                            nn.Linear(8, 2)).double(), [6], batch=4)
assert a == {"opcount_arch": 2, "name": "Sequential", "input": [6], "batch": 4, "dtype": "float64",
             "layers": [{"type": "dense", "name": "0", "units": 8},
                        {"type": "batchnorm", "name": "1"},
                        {"type": "activation", "name": "2", "function": "identity"},
                        {"type": "dense", "name": "3", "units": 2}]}, a
try:
    opcount_torch.export_arch(nn.Linear(2, 2).half(), [2])
    raise SystemExit("no error for float16")
except opcount_torch.ArchExportError as e:
    assert e.errors == ["parameters of dtype torch.float16: only all float32 or all float64"], e.errors
# a pre-norm batch_first decoder with a final norm, over a memory that
# requires grad (an encoder's output), of another width (kdim = vdim = 6)
class KDec(nn.Module):
    def __init__(self):
        super().__init__()
        lay = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.1, norm_first=True, batch_first=True)
        lay.multihead_attn = nn.MultiheadAttention(8, 2, kdim=6, vdim=6, batch_first=True)
        self.dec = nn.TransformerDecoder(lay, 2, norm=nn.LayerNorm(8))
    def forward(self, x, memory):
        return self.dec(x, memory)
a = opcount_torch.export_arch(KDec(), [5, 8], batch=2, memory=[7, 6], memory_grad=True)
d = lambda n: {"type": "dropout", "name": n, "p": 0.1}
want = [{"type": "repeat", "name": "dec.layers", "repeat": 2, "layers": [
    {"type": "residual", "layers": [{"type": "layernorm", "name": "norm1"},
                                    {"type": "attention", "name": "self_attn", "heads": 2},
                                    d("dropout1")]},
    {"type": "residual", "layers": [{"type": "layernorm", "name": "norm2"},
                                    {"type": "attention", "name": "multihead_attn", "heads": 2,
                                     "memory": [7, 6], "memory_grad": True}, d("dropout2")]},
    {"type": "residual", "layers": [{"type": "layernorm", "name": "norm3"},
                                    {"type": "dense", "name": "linear1", "units": 16},
                                    {"type": "activation", "function": "relu"}, d("dropout"),
                                    {"type": "dense", "name": "linear2", "units": 8},
                                    d("dropout3")]}]},
    {"type": "layernorm", "name": "dec.norm"}]
assert a["layers"] == want, a["layers"]
# LLaMA's RMS norm: exported as rmsnorm, annotated with the type RMSNorm
net = m.llama()
a = opcount_torch.export_arch(net, [4])
assert a["layers"][1] == {"type": "rmsnorm", "name": "1"}, a
assert [opcount_torch._layer_type(x) for x in net] == ["Linear", "RMSNorm", "Linear"]
assert opcount_torch._layer_type(m.rmsbias()[0]) == "RMSNorm"	# its class name
for kw, want in ((dict(memory=[9, 24, 1]), "memory shape [9, 24, 1]: [sequence, features], 2 "
                  "positive integers expected"),
                 (dict(value=[9, 24]), "a value shape without a memory shape")):
    try:
        opcount_torch.export_arch(m.dec(), [6, 24], **kw)
        raise SystemExit("no error for %r" % kw)
    except ValueError as e:
        assert str(e) == want, e
EOP
ok "export_arch(): every module's training flag, BatchNorm statistics kept, no forward left patched; ArchExportError.errors; a shared module refused; a lone encoder layer's names are its children's; encoder layers that differ are written one by one; float64 (BatchNorm1d, Identity) written as dtype float64, float16 refused; a pre-norm batch_first TransformerDecoder with kdim/vdim, memory_grad and a final norm; LlamaRMSNorm exported as rmsnorm, annotated as RMSNorm; a memory of 3 dimensions, a value without a memory: ValueError"
finish
