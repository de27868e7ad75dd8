#!/bin/sh
# fit_examples.sh - `opcount fit` on real traces: the example MLP and CNN
# of several sizes, recorded with the estimate energy source (which every
# machine has).  Nothing is known exactly here, so the checks are of
# sanity: it fits, the types are the examples' annotated layer types, the
# coefficients are non-negative, every run has a held-out prediction, the
# estimate is labelled NOT measured, and --target time works too.
. "$(dirname "$0")/lib.inc"
EX=$B/examples
need_py "the JSON checks need it"
need "$OPC" "$LIB" "$EX/mlp" "$EX/cnn"

rec() {	# NAME PROGRAM ARGS...
	name=$1
	shift
	OPENBLAS_NUM_THREADS=1 "$OPC" record --energy estimate -o "$tmp/$name.opc" -- "$@" -q \
		>/dev/null 2>"$tmp/$name.err" || fail "record $name exited $?: $(cat "$tmp/$name.err")"
}
rec mlp-l2-w64 "$EX/mlp" --layers 2 --width 64 --samples 4096 --epochs 3
rec mlp-l6-w32 "$EX/mlp" --layers 6 --width 32 --samples 4096 --epochs 3
rec cnn-f8 "$EX/cnn" --filters 8 --samples 2048 --epochs 2
rec cnn-f4-k5 "$EX/cnn" --filters 4 --kernel 5 --samples 2048 --epochs 2

"$OPC" fit "$tmp"/*.opc -o "$tmp/coeffs.json" --plot "$tmp/fit.png" >"$tmp/table.txt" \
	2>"$tmp/fit.err" || fail "fit exited $?: $(cat "$tmp/fit.err")"
grep -q "^energy source: estimate (NOT measured)" "$tmp/table.txt" ||
	fail "the estimate is not labelled NOT measured"
grep -q "^verdict: " "$tmp/table.txt" || fail "no verdict"
grep "^verdict: " "$tmp/table.txt"
$PY - "$tmp/coeffs.json" <<'EOF' || fail "COEFFS.json of the examples is not sane"
import json, math, sys
d = json.load(open(sys.argv[1]))
assert d["target"] == "energy" and d["unit"] == "J"
assert d["energy_source"] == "estimate" and d["energy_measured"] is False
assert set(d["types"]) == {"Linear", "Conv2d"}, d["types"]
assert d["machine"]["cpu"] and d["machine"]["blas"]
for m, mod in d["models"].items():
    vals = [mod["per_flop"], mod["per_call"], mod["static_w"]]
    for t in mod["per_type"].values():
        vals += [t["per_flop"], t["per_byte"]]
    assert all(v >= 0 and math.isfinite(v) for v in vals), (m, vals)
    assert mod["cv"] is not None and mod["cv"]["runs"] == 4, m
assert len(d["runs"]) == 4
for r in d["runs"]:
    assert r["measured"] > 0 and r["flops"] > 0
    assert all(r["predicted"][m] is not None for m in "abc")
print("model %s recommended; MAPE a %.1f%% b %.1f%% c %.1f%%" % (d["model"],
      d["models"]["a"]["cv"]["mape"], d["models"]["b"]["cv"]["mape"], d["models"]["c"]["cv"]["mape"]))
EOF
"$OPC" fit "$tmp"/*.opc --target time --format json >"$tmp/time.json" 2>"$tmp/fit.err" ||
	fail "fit --target time exited $?: $(cat "$tmp/fit.err")"
$PY -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(not (d["target"] == "time" and d["unit"] == "s" and all(r["measured"] > 0 for r in d["runs"])))' \
	"$tmp/time.json" || fail "the time fit of the examples is not sane"
echo "ok: the examples fit, for energy (estimate) and time"
