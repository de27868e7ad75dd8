#!/bin/sh
# predict_uncertainty.sh - the per-value ranges of `opcount predict
# --coeffs` (docs/coeffs.md, "Uncertainty of a prediction") against values
# computed here from a small COEFFS.json with a known "heldout" block:
#
#   layers   each layer's energy (its ops' FLOPs, bytes and calls times the
#            coefficients of its type, recomputed from the lowering in the
#            JSON output) and its range value x (1 -/+ e), e the held-out
#            error of its type for the model in use; a type whose error is
#            null, or a layer priced by the fallback "gemm", is not validated
#   totals   e = the median of the finite per-architecture errors (a null one
#            left out; an even count takes the mean of the middle two):
#            inference batch, training step, I, training per sample and the
#            life cycle's total, with PUE, kWh and CO2eq, low clamped at 0
#   text     the header's +/-e line, the per-layer table, low/high rows
#   none     without "heldout": totals unknown, every layer not validated
. "$(dirname "$0")/lib.inc"
need_py "the JSON checks need it"
need "$OPC"

ARCH=$ROOT/tests/data/arch/cnn.json	# conv1 (Conv2d), fc1 (Linear)
need "$ARCH"

# per_arch: c 4 30 10 12 50 null -> median of 5 = 12; a 5 20 40 60 80 100 -> 50
cat >"$tmp/co.json" <<'EOF'
{"opcount_coeffs": 1, "target": "energy", "unit": "J", "energy_source": "rapl",
 "energy_measured": true, "machine": {"cpu": "test"}, "model": "c",
 "models": {
  "a": {"per_flop": 1e-9, "per_type": {}, "per_call": 0, "static_w": 0},
  "c": {"per_flop": 0, "per_type": {"Linear": {"per_flop": 2e-9, "per_byte": 1e-9},
                                    "Conv2d": {"per_flop": 3e-9, "per_byte": 5e-10},
                                    "gemm": {"per_flop": 7e-9, "per_byte": 0}},
        "per_call": 1e-6, "static_w": 0}},
 "heldout": {"group_by": "arch",
  "median_arch_err_pct": {"a": 50, "b": null, "c": 12},
  "max_arch_err_pct": {"a": 100, "b": null, "c": 50},
  "per_arch": [
   {"arch": "w", "runs": 1, "err_pct": {"a": 5, "b": null, "c": 4}},
   {"arch": "x", "runs": 1, "err_pct": {"a": 20, "b": null, "c": 30}},
   {"arch": "y", "runs": 1, "err_pct": {"a": 40, "b": null, "c": 10}},
   {"arch": "z", "runs": 2, "err_pct": {"a": 60, "b": null, "c": 12}},
   {"arch": "u", "runs": 1, "err_pct": {"a": 80, "b": null, "c": 50}},
   {"arch": "v", "runs": 1, "err_pct": {"a": 100, "b": null, "c": null}}],
  "per_type": {
   "Linear": {"runs": 5, "err_pct": {"a": 33, "b": 9, "c": 7.5}},
   "Conv2d": {"runs": 2, "err_pct": {"a": 44, "b": null, "c": null}},
   "gemm": {"runs": 3, "err_pct": {"a": 3, "b": 3, "c": 3}}}}}
EOF

# check JSON MODEL TOTAL_E LAYER_E...: LAYER_E as name=e or name=- (not validated)
check() {
	$PY - "$@" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
co = json.load(open(sys.argv[2]))
model, te = sys.argv[3], sys.argv[4]
want = dict(a.split("=") for a in sys.argv[5:])
m = co["models"][model]
u = doc["uncertainty"]
pue = doc["pue"]
b = doc["lowering"]["batch"]
types = {l["name"]: l["type"] for l in doc["arch"]["layers"]}

def near(got, exp, what):
    assert (exp is None and got is None) or abs(got - exp) <= 1e-9 * abs(exp) + 1e-300, \
        "%s: %r, expected %r" % (what, got, exp)

def rng(v, e):
    return max(0.0, v * (1 - e / 100)), v * (1 + e / 100)

# each layer's energy, from its ops and the coefficients of its type
layer_inf, layer_tr, order = {}, {}, []
for op in doc["lowering"]["ops"]:
    t = m["per_type"].get(op["type"], m["per_type"].get("gemm", {"per_flop": 0, "per_byte": 0}))
    j = (m["per_flop"] * op["flops"] + t["per_flop"] * op["flops"] +
         t.get("per_byte", 0) * op["bytes"] + m["per_call"] * op["calls"])
    if op["layer"] not in order:
        order.append(op["layer"])
    layer_tr[op["layer"]] = layer_tr.get(op["layer"], 0) + j
    if op["phase"] == "forward":
        layer_inf[op["layer"]] = layer_inf.get(op["layer"], 0) + j
assert [l["layer"] for l in u["layers"]] == order, [l["layer"] for l in u["layers"]]
for l in u["layers"]:
    n = l["layer"]
    assert l["type"] == types[n]
    near(l["inference_batch_j"]["value"], layer_inf[n], n + " inference")
    near(l["training_step_j"]["value"], layer_tr[n], n + " training step")
    if want[n] == "-":
        assert l["validated"] is False and l["err_pct"] is None, (n, l)
        assert l["inference_batch_j"]["low"] is None and l["training_step_j"]["high"] is None
        continue
    e = float(want[n])
    assert l["validated"] is True, (n, l)
    near(l["err_pct"], e, n + " err_pct")
    for k, v in (("inference_batch_j", layer_inf[n]), ("training_step_j", layer_tr[n])):
        lo, hi = rng(v, e)
        near(l[k]["low"], lo, n + " " + k + " low")
        near(l[k]["high"], hi, n + " " + k + " high")
    print("%-6s e %5.1f%%  inference %.6g J [%.6g, %.6g]" % (n, e, layer_inf[n], *rng(layer_inf[n], e)))
if te == "-":
    assert u["total_err_pct"] is None and doc["coeffs"]["uncertainty_pct"] is None
    assert u["inference"] is None and u["lifecycle_total"] is None
    print("totals: unknown")
    sys.exit(0)
te = float(te)
near(u["total_err_pct"], te, "total_err_pct")
near(doc["coeffs"]["uncertainty_pct"], te, "coeffs.uncertainty_pct")
assert u["quantile"] == 0.5
inf, tr = sum(layer_inf.values()), sum(layer_tr.values())
for k, v in (("inference_batch_j", inf), ("training_step_j", tr)):
    near(u[k]["value"], v, k)
    lo, hi = rng(v, te)
    near(u[k]["low"], lo, k + " low")
    near(u[k]["high"], hi, k + " high")
assert u["applies_to_lifecycle"] is True
I = inf / b
lc = tr / b * doc["lifecycle"]["samples"] * doc["lifecycle"]["epochs"]
g = doc["carbon"]["intensity_g_per_kwh"]
assert g == 100
for k, v in (("inference", I), ("training_per_sample", tr / b), ("lifecycle_total", lc)):
    lo, hi = rng(v, te)
    for side, x in (("low", lo), ("high", hi)):
        q = u[k][side]
        near(q["it_j"], x, k + " " + side)
        near(q["j"], x * pue, k + " " + side + " with PUE")
        near(q["kwh"], x * pue / 3.6e6, k + " " + side + " kWh")
        near(q["co2eq_g"], x * pue / 3.6e6 * g, k + " " + side + " CO2eq")
print("totals: e %.1f%%, inference batch %.6g J [%.6g, %.6g], life cycle %.6g J [%.6g, %.6g]"
      % (te, inf, *rng(inf, te), lc, *rng(lc, te)))
EOF
}

opts="--arch $ARCH --samples 1000 --epochs 3 --intensity 100 --pue 1.5"

# ---- model c: Linear 7.5%, Conv2d null (not validated), totals 12% ------------
"$OPC" predict $opts --coeffs "$tmp/co.json" --format json >"$tmp/c.json" 2>"$tmp/err" ||
	fail "predict exited $?: $(cat "$tmp/err")"
check "$tmp/c.json" "$tmp/co.json" c 12 fc1=7.5 conv1=- || fail "model c: ranges"
ok "model c: layer ranges from their types' held-out errors, totals from the median of 5 architectures"

# ---- model a: one coefficient, the layer types' errors; an even median ------
"$OPC" predict $opts --coeffs "$tmp/co.json" --model a --format json >"$tmp/a.json" 2>"$tmp/err" ||
	fail "predict --model a exited $?: $(cat "$tmp/err")"
check "$tmp/a.json" "$tmp/co.json" a 50 fc1=33 conv1=44 || fail "model a: ranges"
ok "model a: types' errors of model a, median of 6 architectures (mean of the middle two)"

# ---- a type priced by the fallback gemm is not validated, whatever gemm's error
$PY - "$tmp/co.json" "$tmp/nofit.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
del d["models"]["c"]["per_type"]["Conv2d"]
json.dump(d, open(sys.argv[2], "w"))
EOF
"$OPC" predict $opts --coeffs "$tmp/nofit.json" --format json >"$tmp/f.json" 2>"$tmp/err" ||
	fail "predict exited $?: $(cat "$tmp/err")"
check "$tmp/f.json" "$tmp/nofit.json" c 12 fc1=7.5 conv1=- || fail "fallback: ranges"
ok "a layer priced by the fallback gemm: not validated"

# ---- text ------------------------------------------------------------------------
"$OPC" predict $opts --coeffs "$tmp/co.json" >"$tmp/c.txt" 2>"$tmp/err" ||
	fail "predict exited $?: $(cat "$tmp/err")"
grep -q "^#   uncertainty: +/-12.0% on the totals computed from these coefficients (median held-out error of model c over 5 architectures, each left out of the fit; worst 50.0%)" "$tmp/c.txt" ||
	bad "no header line: $(grep uncertainty "$tmp/c.txt")"
grep -q "^conv1 *Conv2d *- .*not validated: no held-out error for this type" "$tmp/c.txt" ||
	bad "conv1 is not said to be not validated: $(grep conv1 "$tmp/c.txt")"
grep -q "^fc1 *Linear *7.5% " "$tmp/c.txt" || bad "no fc1 range: $(grep '^fc1' "$tmp/c.txt")"
grep -q "^total  *12.0% " "$tmp/c.txt" || bad "no total range: $(grep '^total' "$tmp/c.txt")"
[ "$(grep -c '^    low (-12.0%) ' "$tmp/c.txt")" = 3 ] &&
	[ "$(grep -c '^    high (+12.0%) ' "$tmp/c.txt")" = 3 ] ||
	bad "not 3 low/high rows (I, training, life cycle): $(grep -c 'low (' "$tmp/c.txt")"
ok "text: header, per-layer table, low/high rows"

# ---- no "heldout": nothing invented ------------------------------------------------
$PY - "$tmp/co.json" "$tmp/noho.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["heldout"] = None
json.dump(d, open(sys.argv[2], "w"))
EOF
"$OPC" predict $opts --coeffs "$tmp/noho.json" --format json >"$tmp/n.json" 2>"$tmp/err" ||
	fail "predict exited $?: $(cat "$tmp/err")"
check "$tmp/n.json" "$tmp/noho.json" c - fc1=- conv1=- || fail "no heldout: ranges"
"$OPC" predict $opts --coeffs "$tmp/noho.json" >"$tmp/n.txt" 2>&1 || fail "predict exited $?"
grep -q "^#   uncertainty: unknown (fit with --group arch" "$tmp/n.txt" || bad "not unknown"
grep -q "^total .*unknown: no held-out error per architecture" "$tmp/n.txt" || bad "total not unknown"
grep -q "low (" "$tmp/n.txt" && bad "low/high rows without held-out errors"
ok "without heldout: totals unknown, layers not validated"
finish
