#!/bin/sh
# zoo_quick.sh - examples/zoo/zoo.sh --quick: 7 small PyTorch architectures
# of 5 families recorded under opcount, then `opcount fit --group arch
# --target time`.  Nothing is known exactly, so the checks are of
# structure: one group per architecture (each named by its annotation's
# root), a held-out error per architecture and per layer type for models
# (a) and (c) in the table and under "heldout", and `opcount predict`
# with these coefficients prints an uncertainty line, the coefficients'
# file and machine, and that the joules are estimated.  The held-out
# medians are printed, not asserted (docs/coeffs.md has why: the quick
# zoo has one architecture of most families, so most layer types are
# unseen when their architecture is left out).  Then real_models.sh on
# ResNet-18 with those coefficients: the pipeline runs and prints its line.
. "$(dirname "$0")/lib.inc"
need_py "the zoo runs PyTorch"
need_py_module torch python3-torch
need "$OPC" "$LIB" examples/zoo/zoo.sh tests/data/arch/mlp.json

OPC=$OPC PY=$PY examples/zoo/zoo.sh --quick --out "$tmp/zoo" >"$tmp/zoo.txt" 2>"$tmp/zoo.err" ||
	fail "zoo.sh --quick exited $?: $(cat "$tmp/zoo.err")"
for a in mlp-d2-w128 mlp-d4-w256 cnn-c8-k3 cnn-c16-k5 tfm-d1-h64 lstm-h64 gru-h64; do
	grep -q "^$a#[0-9a-f]\{8\} " "$tmp/zoo.txt" || bad "no held-out row for $a"
done
grep -q "^median over architectures " "$tmp/zoo.txt" || bad "no median over architectures"
grep -q "^median over types " "$tmp/zoo.txt" || bad "no median over layer types"
grep "^median over" "$tmp/zoo.txt"
$PY - "$tmp/zoo/coeffs.json" <<'PYEOF' || fail "the held-out errors in coeffs.json are not sane"
import json, math, sys
d = json.load(open(sys.argv[1]))
assert d["target"] == "time" and d["cv"]["group_by"] == "arch", d["cv"]
assert d["cv"]["groups"] == 7, d["cv"]
h = d["heldout"]
assert len(h["per_arch"]) == 7
names = sorted(a["arch"].split("#")[0] for a in h["per_arch"])
assert names == sorted(["mlp-d2-w128", "mlp-d4-w256", "cnn-c8-k3", "cnn-c16-k5",
                        "tfm-d1-h64", "lstm-h64", "gru-h64"]), names
for a in h["per_arch"]:
    assert a["runs"] == 1
    for m in "ac":
        assert a["err_pct"][m] is not None and a["err_pct"][m] >= 0, a
# the median of the per-architecture errors, recomputed
for m in "ac":
    v = sorted(a["err_pct"][m] for a in h["per_arch"])
    assert abs(h["median_arch_err_pct"][m] - v[3]) < 1e-9 * max(1, v[3]), (m, v)
    assert abs(h["max_arch_err_pct"][m] - v[-1]) < 1e-9 * max(1, v[-1])
for t in ("Linear", "Conv2d", "LSTM", "GRU", "MultiheadAttention"):
    assert t in h["per_type"], (t, list(h["per_type"]))
    assert h["per_type"][t]["err_pct"]["c"] is not None
for r in d["runs"]:
    assert r["arch"].split("#")[0] in names
print("held-out median per architecture: (c) %.1f%% vs (a) %.1f%%; per type (c) %.1f%% vs (a) %.1f%%"
      % (h["median_arch_err_pct"]["c"], h["median_arch_err_pct"]["a"],
         h["median_type_err_pct"]["c"], h["median_type_err_pct"]["a"]))
PYEOF
ok "zoo: 7 architectures, held-out error per architecture and per type"

"$OPC" predict --arch tests/data/arch/mlp.json --coeffs "$tmp/zoo/coeffs.json" --power 40 \
	>"$tmp/pred.txt" 2>"$tmp/pred.err" || fail "predict exited $?: $(cat "$tmp/pred.err")"
grep -q "^#   uncertainty: +/-[0-9.]*% on the totals computed from these coefficients (median held-out error of model [abc] over 7 architectures" "$tmp/pred.txt" ||
	bad "predict prints no uncertainty from the held-out errors: $(head -5 "$tmp/pred.txt")"
grep -q "^# coefficients: $tmp/zoo/coeffs.json, model" "$tmp/pred.txt" || bad "predict names no coefficients file"
grep -q "^#   fitted on cpu=.*host=" "$tmp/pred.txt" || bad "predict names no machine"
grep -q "energy ESTIMATE: busy time predicted by model" "$tmp/pred.txt" || bad "predict does not say the joules are estimated"
ok "predict: uncertainty, coefficients, machine, estimated"

# without --group arch there is no held-out error per architecture to give
"$OPC" fit "$tmp"/zoo/*.opc --target time -o "$tmp/cmd.json" >/dev/null 2>"$tmp/fit.err" ||
	fail "fit --group cmdline exited $?: $(cat "$tmp/fit.err")"
$PY -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["heldout"] is not None)' \
	"$tmp/cmd.json" || bad "\"heldout\" is not null without --group arch"
"$OPC" predict --arch tests/data/arch/mlp.json --coeffs "$tmp/cmd.json" --power 40 \
	>"$tmp/pred2.txt" 2>&1 || fail "predict exited $?: $(cat "$tmp/pred2.txt")"
grep -q "^#   uncertainty: unknown (fit with --group arch" "$tmp/pred2.txt" ||
	bad "predict does not say the uncertainty is unknown"
ok "without --group arch: heldout null, uncertainty unknown"

# real_models.sh: a real model exported, recorded and predicted from the
# zoo's coefficients (2 steps of ResNet-18: the pipeline, not the figures)
if $PY -c 'import torchvision' 2>/dev/null; then
	OPC=$OPC PY=$PY examples/zoo/real_models.sh "$tmp/zoo/coeffs.json" --out "$tmp/real" \
		--steps 2 --models resnet18 >"$tmp/real.txt" 2>"$tmp/real.err" ||
		fail "real_models.sh exited $?: $(cat "$tmp/real.err")"
	cat "$tmp/real.txt"
	grep -q '^resnet18 *[0-9.]* *[0-9.]* *[-+][0-9.]*%   [0-9.]*-[0-9.]* (+/-[0-9.]*%)$' "$tmp/real.txt" ||
		bad "real_models.sh: no resnet18 line with predicted, measured, error and range"
	$PY -c 'import json, sys; a = json.load(open(sys.argv[1])); assert a["name"] == "resnet18" and a["batch"] == 32, a' \
		"$tmp/real/resnet18.json" || bad "real_models.sh: resnet18.json is not the exported model"
	ok "real_models.sh: ResNet-18 exported, recorded, predicted from the zoo's coefficients"
else
	echo "skip: real_models.sh needs torchvision (python3-torchvision)"
fi
finish
