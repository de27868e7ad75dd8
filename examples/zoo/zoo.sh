#!/bin/sh
# zoo.sh - record a sweep of small architectures of several families under
# opcount (300 SGD steps each by default: about 80 s on a 2-core VM;
# --quick, 7 architectures of 8 steps, about 25 s, checks the pipeline
# only), then fit per-type cost coefficients leaving one architecture out
# at a time:
#
#   examples/zoo/zoo.sh [--quick] [--out DIR] [--steps N]
#
# Busy time is the target (--target time): it is measured on every
# machine, where the energy may only be an estimate.  Writes DIR/*.opc,
# DIR/coeffs.json (held-out errors under "heldout", docs/coeffs.md) and
# DIR/fit.txt; the table ends with the median held-out error per
# architecture and per layer type, per-type model (c) next to FLOPs alone
# (a).  Needs build/opcount (make) and /usr/bin/python3 with torch.
set -e
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
OPC=${OPC:-$top/build/opcount}
PY=${PY:-/usr/bin/python3}
out=zoo-out
steps=300
quick=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--out) out=$2; shift ;;
	--steps) steps=$2; shift ;;
	*) echo "usage: zoo.sh [--quick] [--out DIR] [--steps N]" >&2; exit 2 ;;
	esac
	shift
done
if [ $quick = 1 ]; then
	steps=8
	archs="mlp-d2-w128 mlp-d4-w256 cnn-c8-k3 cnn-c16-k5 tfm-d1-h64 lstm-h64 gru-h64"
else
	archs="mlp-d1-w64 mlp-d2-w128 mlp-d3-w256 mlp-d4-w512 mlp-d6-w128
	       cnn-c4-k3 cnn-c8-k3 cnn-c16-k5 cnn-c32-k3
	       tfm-d1-h64 tfm-d2-h128 tfm-d3-h64
	       lstm-h64 lstm-h256 gru-h64 gru-h256"
fi
[ -x "$OPC" ] || { echo "zoo.sh: $OPC missing: run make first" >&2; exit 1; }
mkdir -p "$out"
rm -f "$out"/*.opc
for a in $archs; do
	OPENBLAS_NUM_THREADS=1 "$OPC" record --energy estimate -o "$out/$a.opc" -- \
		"$PY" "$here/zoo_model.py" --arch "$a" --steps "$steps" >/dev/null 2>"$out/$a.err" ||
		{ echo "zoo.sh: recording $a failed:" >&2; cat "$out/$a.err" >&2; exit 1; }
	echo "recorded $a"
done
"$OPC" fit "$out"/*.opc --group arch --target time -o "$out/coeffs.json" >"$out/fit.txt"
sed -n '/^held-out error per architecture/,/^verdict/p' "$out/fit.txt"
echo "full table: $out/fit.txt; coefficients: $out/coeffs.json"
