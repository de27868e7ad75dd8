#!/bin/sh
# predict.sh - `opcount predict` against the real programs.
#
# The lowering of an architecture file must give exactly the FLOPs and
# sgemm calls that examples/mlp and examples/cnn print (analytic_flops,
# analytic_gemm_calls) for the same network and options, training and
# --infer, and exactly the bytes opcount counts when they run under the
# library.  Then: the life-cycle arithmetic of docs/design.md on a prediction
# (every intermediate of the JSON output recomputed here), a prediction
# from traces (--from-trace, --train-trace), and a COEFFS.json written by
# `opcount fit` read back by predict.
. "$(dirname "$0")/lib.inc"
need_py "the JSON checks need it"
need "$OPC" "$LIB" "$B/examples/mlp" "$B/examples/cnn"

# jget FILE PATH: one value of a JSON file (a.b.0.c)
jget() {
	$PY - "$1" "$2" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
for p in sys.argv[2].split("."):
    v = v[int(p)] if isinstance(v, list) else v[p]
print(json.dumps(v) if not isinstance(v, str) else v)
EOF
}

# Any valid coefficients will do for the counts; these price FLOPs only.
cat >"$tmp/flops.json" <<'EOF'
{"opcount_coeffs": 1, "target": "energy", "unit": "J", "energy_source": "rapl",
 "energy_measured": true, "machine": {"cpu": "test"}, "model": "a",
 "models": {"a": {"per_flop": 1e-9, "per_type": {}, "per_call": 0, "static_w": 0}}}
EOF

# mlp_arch FILE INPUTS WIDTH OUTPUTS LAYERS BATCH: examples/mlp's network
mlp_arch() {
	$PY - "$@" <<'EOF'
import json, sys
f, i, w, o, l, b = sys.argv[1], *map(int, sys.argv[2:])
layers = []
for k in range(l):
    layers += [{"type": "dense", "units": w}, {"type": "activation", "function": "relu"}]
layers.append({"type": "dense", "units": o})
json.dump({"opcount_arch": 1, "input": [i], "batch": b, "layers": layers}, open(f, "w"))
EOF
}

# cnn_arch FILE CHANNELS FILTERS KERNEL IMAGE BATCH: examples/cnn's network
cnn_arch() {
	$PY - "$@" <<'EOF'
import json, sys
f, c, fi, k, s, b = sys.argv[1], *map(int, sys.argv[2:])
json.dump({"opcount_arch": 1, "input": [c, s, s], "batch": b, "layers": [
    {"type": "conv2d", "name": "conv1", "filters": fi, "kernel": k, "padding": k // 2},
    {"type": "activation", "function": "relu"},
    {"type": "maxpool", "name": "pool1", "size": 2},
    {"type": "flatten"},
    {"type": "dense", "name": "fc1", "units": 4}]}, open(f, "w"))
EOF
}

n=0
# tie NAME ARCH SAMPLES EPOCHS BATCH MODE PROGRAM ARGS...: MODE is train or
# infer.  The program's analytic FLOPs are E*S times the lowering's per
# sample; its calls E*S/B times the lowering's per batch (S a multiple of
# B; otherwise the calls of the partial batch are not checked).  Under the
# library, opcount's byte count is E*S/B times the lowering's as well.
tie() {
	name=$1 arch=$2 s=$3 e=$4 b=$5 mode=$6 prog=$7
	shift 7
	n=$((n + 1))
	d=$tmp/$n-$name
	mkdir "$d"
	OPCOUNT_OUTPUT=$d/trace.opc LD_PRELOAD=$LIB "$B/examples/$prog" -q --samples "$s" \
		--epochs "$e" --batch "$b" "$@" >"$d/out.txt" 2>"$d/err.txt" ||
		fail "$name: $prog exited $?: $(cat "$d/err.txt")"
	"$OPC" predict --coeffs "$tmp/flops.json" --arch "$arch" --format json \
		>"$d/p.json" 2>"$d/p.err" || fail "$name: predict exited $?: $(cat "$d/p.err")"
	"$OPC" report "$d/trace.opc" --format json >"$d/r.json" 2>"$d/r.err" ||
		fail "$name: report exited $?: $(cat "$d/r.err")"
	if [ "$mode" = train ]; then w=training_step; else w=inference_batch; fi
	$PY - "$d" "$s" "$e" "$b" "$w" <<'EOF' || fail "$name: the lowering of $arch does not match $prog $*"
import json, sys
d, s, e, b, w = sys.argv[1], *map(int, sys.argv[2:5]), sys.argv[5]
p = json.load(open(d + "/p.json"))
r = json.load(open(d + "/r.json"))
out = dict(l.split()[:2] for l in open(d + "/out.txt") if l.startswith("analytic_"))
lw = p["lowering"][w]
ok = True
def check(what, got, want):
    global ok
    if got != want:
        print("%s: predict gives %d, the program %d" % (what, got, want))
        ok = False
assert p["lowering"]["batch"] == b
assert lw["flops"] % b == 0
check("FLOPs", e * s * lw["flops"] // b, int(out["analytic_flops"]))
if s % b == 0:
    check("sgemm calls", e * s // b * lw["calls"], int(out["analytic_gemm_calls"]))
    check("bytes counted under the library", e * s // b * lw["bytes"], r["totals"]["bytes"])
    check("calls counted under the library", e * s // b * lw["calls"], r["totals"]["calls"])
# every operation carries the layer type the programs annotate with
types = {op["layer"]: op["type"] for op in p["lowering"]["ops"]}
for l, t in types.items():
    want = "Conv2d" if l.startswith("conv") else "Linear"
    if t != want:
        print("layer %s has type %s, not %s" % (l, t, want)); ok = False
sys.exit(0 if ok else 1)
EOF
	echo "ok $name: $(awk '$1 == "analytic_flops" { print $2 }' "$d/out.txt") FLOPs"
}

mlp_arch "$tmp/mlp.json" 32 64 10 2 32
tie mlp "$tmp/mlp.json" 1024 3 32 train mlp
tie mlp-infer "$tmp/mlp.json" 1024 3 32 infer mlp --infer
mlp_arch "$tmp/mlp-deep.json" 9 17 3 4 10
tie mlp-deep "$tmp/mlp-deep.json" 330 2 10 train mlp --layers 4 --width 17 --inputs 9 --outputs 3
mlp_arch "$tmp/mlp-0.json" 32 64 10 0 7
tie mlp-nohidden-partial "$tmp/mlp-0.json" 1001 1 7 train mlp --layers 0
cnn_arch "$tmp/cnn.json" 1 8 3 12 32
tie cnn "$tmp/cnn.json" 1024 3 32 train cnn --no-input-grad
tie cnn-infer "$tmp/cnn.json" 1024 3 32 infer cnn --infer
cnn_arch "$tmp/cnn-shapes.json" 3 5 5 13 9
tie cnn-shapes "$tmp/cnn-shapes.json" 99 2 9 train cnn --channels 3 --kernel 5 --image 13 \
	--filters 5 --no-input-grad
cnn_arch "$tmp/cnn-even.json" 1 8 4 9 50
tie cnn-even-kernel "$tmp/cnn-even.json" 50 1 50 train cnn --kernel 4 --image 9 --no-input-grad
# the files in tests/data/arch describe the programs' defaults
tie mlp-file "$ROOT/tests/data/arch/mlp.json" 1024 3 32 train mlp
tie cnn-file "$ROOT/tests/data/arch/cnn.json" 1024 3 32 infer cnn --infer

# ---- life cycle: every intermediate recomputed from the lowering --------
cat >"$tmp/c.json" <<'EOF'
{"opcount_coeffs": 1, "target": "energy", "unit": "J", "energy_source": "rapl",
 "energy_measured": true, "machine": {"cpu": "test"}, "model": "c",
 "models": {"c": {"per_flop": 0,
   "per_type": {"Linear": {"per_flop": 2e-10, "per_byte": 3e-9},
                "gemm": {"per_flop": 5e-10, "per_byte": 1e-9}},
   "per_call": 1e-6, "static_w": 0}}}
EOF
"$OPC" predict --coeffs "$tmp/c.json" --arch "$ROOT/tests/data/arch/cnn.json" --samples 60000 \
	--epochs 10 --tuning-runs 5 --inferences 1e9 --intensity 429 --pue 1.2 --format json \
	>"$tmp/lc.json" 2>"$tmp/lc.err" || fail "life cycle: predict exited $?: $(cat "$tmp/lc.err")"
$PY - "$tmp/lc.json" <<'EOF' || fail "life cycle: the arithmetic does not hold"
import json, sys
p = json.load(open(sys.argv[1]))
lw = p["lowering"]
b = lw["batch"]
coef = {"Linear": (2e-10, 3e-9), "gemm": (5e-10, 1e-9)}
inf = step = 0.0
for op in lw["ops"]:
    t = op["type"] if op["type"] in coef else "gemm"
    assert op["coeff_type"] == t and op["fallback"] == (t == "gemm"), op
    e = coef[t][0] * op["flops"] + coef[t][1] * op["bytes"] + 1e-6 * op["calls"]
    assert abs(op["energy_j"] - e) <= 1e-12 * e, (op, e)
    step += e
    inf += e if op["phase"] == "forward" else 0
def close(a, b, what):
    if abs(a - b) > 1e-12 * abs(b):
        sys.exit("%s: %r, expected %r" % (what, a, b))
I, tr = inf / b, step / b
ovh = tr / I
D, E, H, N, pue, g = 60000, 10, 5, 1e9, 1.2, 429
close(p["inference"]["it_j"], I, "I")
close(p["training_per_sample"]["it_j"], tr, "training per sample")
close(p["training_step"]["it_j"], step, "training step")
close(p["overhead"]["value"], ovh, "overhead")
assert p["overhead"]["source"] == "lowering"
assert any("Conv2d" in n and "gemm" in n for n in p["notes"]), p["notes"]
T = I * D * E * ovh
parts = {"training": T, "tuning": H * T, "serving": N * I, "total": H * T + T + N * I}
for k, v in parts.items():
    q = p["lifecycle"][k]
    close(q["it_j"], v, k)
    close(q["j"], v * pue, k + " with PUE")
    close(q["kwh"], v * pue / 3.6e6, k + " kWh")
    close(q["co2eq_g"], v * pue / 3.6e6 * g, k + " CO2eq g")
    close(q["co2eq_t"], v * pue / 3.6e6 * g / 1e6, k + " CO2eq t")
assert p["pue"] == pue and p["carbon"]["intensity_g_per_kwh"] == g
assert p["lower_bound"] is False and p["estimated"] is True
EOF
echo "ok life cycle"

# ---- from traces: I = trace energy / N, overhead from two traces --------
d=$tmp/traces
mkdir "$d"
(cd "$d" && "$OPC" record --energy estimate -o infer.opc -- "$B/examples/mlp" -q --infer \
	--samples 4096 --epochs 4 >infer.out 2>infer.err &&
	"$OPC" record --energy estimate -o train.opc -- "$B/examples/mlp" -q --samples 4096 \
	--epochs 4 >train.out 2>train.err) || fail "traces: record failed: $(cat "$d"/*.err)"
"$OPC" report "$d/infer.opc" --format json >"$d/ri.json" || fail "traces: report infer.opc"
"$OPC" report "$d/train.opc" --format json >"$d/rt.json" || fail "traces: report train.opc"
"$OPC" predict --from-trace "$d/infer.opc" --trace-inferences 16384 --train-trace "$d/train.opc" \
	--train-trace-samples 16384 --arch "$ROOT/tests/data/arch/mlp.json" --samples 1000 \
	--epochs 2 --inferences 500 --region FRA --format json >"$d/p.json" 2>"$d/p.err" ||
	fail "traces: predict exited $?: $(cat "$d/p.err")"
$PY - "$d" <<'EOF' || fail "traces: I or the overhead is not what the traces say"
import json, sys
d = sys.argv[1]
p, ri, rt = (json.load(open(d + f)) for f in ("/p.json", "/ri.json", "/rt.json"))
def close(a, b, what):
    if abs(a - b) > 1e-12 * abs(b):
        sys.exit("%s: %r, expected %r" % (what, a, b))
assert p["mode"] == "trace"
I = ri["totals"]["energy_j"] / 16384
tr = rt["totals"]["energy_j"] / 16384
close(p["inference"]["it_j"], I, "I")
close(p["overhead"]["value"], tr / I, "overhead")
want = "measured" if ri["energy"]["measured"] and rt["energy"]["measured"] else "traces_estimated"
assert p["overhead"]["source"] == want, p["overhead"]
assert p["estimated"] == (not ri["energy"]["measured"])
close(p["lifecycle"]["training"]["it_j"], tr * 1000 * 2, "T")
close(p["lifecycle"]["total"]["it_j"], tr * 2000 + 500 * I, "LC")
# the traces did the work the architecture lowers to: no note says otherwise
assert not any("FLOPs per" in n for n in p["notes"]), p["notes"]
assert p["carbon"]["region"] == "FRA"
# the machine each trace was recorded on, as the traces' INFO says
import socket
for t in (p["inference_trace"], p["training_trace"]):
    assert t["host"] == socket.gethostname() and t["cpu"] not in ("", "?"), t
EOF
# a wrong count of inferences shows as a FLOP mismatch
"$OPC" predict --from-trace "$d/infer.opc" --trace-inferences 1000 \
	--arch "$ROOT/tests/data/arch/mlp.json" >"$d/wrong.txt" 2>&1 ||
	fail "traces: predict with a wrong count exited $?"
grep -q "FLOPs per inference" "$d/wrong.txt" || fail "traces: no warning for a wrong --trace-inferences"
grep -q "^# inference trace: .* on $(hostname), " "$d/wrong.txt" ||
	fail "traces: the text does not name the trace's machine: $(grep 'trace:' "$d/wrong.txt")"
echo "ok traces"

# ---- what opcount fit writes, predict reads ------------------------------
d=$tmp/fit
mkdir "$d"
for w in 16 48 96; do
	(cd "$d" && "$OPC" record --energy estimate -o mlp$w.opc -- "$B/examples/mlp" -q \
		--width $w --samples 1024 --epochs 2 >/dev/null 2>&1) || fail "fit: record mlp $w"
done
"$OPC" fit "$d"/mlp*.opc -o "$d/coeffs.json" >"$d/fit.out" 2>&1 ||
	fail "fit: opcount fit exited $?: $(cat "$d/fit.out")"
for m in a b c; do
	"$OPC" predict --coeffs "$d/coeffs.json" --model $m --arch "$ROOT/tests/data/arch/mlp.json" \
		--samples 1024 --epochs 2 --format json >"$d/p$m.json" 2>"$d/p$m.err" ||
		fail "fit: predict --model $m exited $?: $(cat "$d/p$m.err")"
	$PY - "$d/p$m.json" $m "$d/coeffs.json" <<'EOF' || fail "fit: model $m of the fitted file not applied"
import json, sys
p, m, c = json.load(open(sys.argv[1])), sys.argv[2], json.load(open(sys.argv[3]))["models"][sys.argv[2]]
assert p["coeffs"]["model"] == m
dynamic = 0
for op in p["lowering"]["ops"]:
    # the fit saw Linear layers: no fallback to the routine class
    assert not op["fallback"] and op["coeff_type"] == (None if m == "a" else "Linear"), op
    # each operation costs exactly the file's coefficients times its work
    t = c["per_type"].get("Linear", {"per_flop": 0, "per_byte": 0})
    want = (c["per_flop"] + t["per_flop"]) * op["flops"] + t["per_byte"] * op["bytes"] + \
           c["per_call"] * op["calls"]
    assert abs(op["energy_j"] - want) <= 1e-9 * max(abs(want), 1e-12), (op, want)
    dynamic += want
# the estimate is noisy: a fit may put everything in static power, which
# predict leaves out by default; then, and only then, the prediction is 0
assert (p["inference"]["it_j"] > 0) == (dynamic > 0), (p["inference"], dynamic)
EOF
done
echo "ok fit -> predict"
echo "all predictions tie to the programs"
