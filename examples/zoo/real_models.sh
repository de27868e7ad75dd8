#!/bin/sh
# real_models.sh - the zoo's coefficients on real architectures they never
# saw: torchvision's ResNet-18, MobileNetV2 and EfficientNet-B0 (ten
# classes, 3x32x32, batch 32, one intra-op thread, PyTorch's defaults),
# each trained for a few SGD steps under opcount, exported with
# `python3 -m opcount_torch arch` and predicted from its architecture
# alone with the coefficients a zoo fit wrote (`--target time`):
#
#   examples/zoo/real_models.sh COEFFS.json [--out DIR] [--steps N] [--models "A B"]
#
# Prints per model the predicted busy time of a training step (`opcount
# predict --arch`, with the range it gives) against the measured one (the
# trace's busy time of the intercepted calls / N steps), and the error.
# Needs build/opcount, /usr/bin/python3 with torch and torchvision.
set -e
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
OPC=${OPC:-$top/build/opcount}
PY=${PY:-/usr/bin/python3}
[ $# -ge 1 ] || { echo "usage: real_models.sh COEFFS.json [--out DIR] [--steps N] [--models \"A B\"]" >&2; exit 2; }
coeffs=$1
shift
out=real-out
steps=30
models="resnet18 mobilenet_v2 efficientnet_b0"
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift ;;
	--steps) steps=$2; shift ;;
	--models) models=$2; shift ;;
	*) echo "usage: real_models.sh COEFFS.json [--out DIR] [--steps N] [--models \"A B\"]" >&2; exit 2 ;;
	esac
	shift
done
[ -r "$coeffs" ] || { echo "real_models.sh: cannot read $coeffs" >&2; exit 1; }
[ -x "$OPC" ] || { echo "real_models.sh: $OPC missing: run make first" >&2; exit 1; }
mkdir -p "$out"
export PYTHONPATH="$top/python:$here"
printf '%-18s %12s %12s %8s   %s\n' model "predicted s" "measured s" error "predicted range (held-out e)"
for m in $models; do
	OPENBLAS_NUM_THREADS=1 "$OPC" record --energy estimate -o "$out/$m.opc" -- \
		"$PY" "$here/zoo_model.py" --arch "tv-$m" --steps "$steps" >/dev/null 2>"$out/$m.err" ||
		{ echo "real_models.sh: recording $m failed:" >&2; cat "$out/$m.err" >&2; exit 1; }
	"$PY" -m opcount_torch arch "$here/zoo_model.py:tv_model_$m" --input 3,32,32 --batch 32 \
		--name "$m" -o "$out/$m.json" 2>"$out/$m.export.err" ||
		{ echo "real_models.sh: exporting $m failed:" >&2; cat "$out/$m.export.err" >&2; exit 1; }
	"$OPC" predict --coeffs "$coeffs" --arch "$out/$m.json" --torch-threads 1 --power 1 \
		--format json >"$out/$m.predict.json"
	"$OPC" report "$out/$m.opc" --format json >"$out/$m.report.json"
	"$PY" - "$m" "$out/$m.predict.json" "$out/$m.report.json" "$steps" <<'EOP'
import json, sys
m, pf, rf, steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
p, r = json.load(open(pf)), json.load(open(rf))
pred = p["training_step"]["it_j"]	# --power 1: joules are seconds
meas = r["totals"]["busy_s"] / steps
u = (p.get("uncertainty") or {}).get("training_step_j") or {}
e = (p.get("uncertainty") or {}).get("total_err_pct")
rng = "%.4f-%.4f (+/-%.1f%%)" % (u["low"], u["high"], e) if u.get("low") is not None else "unknown"
print("%-18s %12.4f %12.4f %+7.1f%%   %s" % (m, pred, meas, 100 * (pred / meas - 1), rng))
EOP
done
