#!/bin/sh
# zoo.sh - record a sweep of small architectures of several families under
# opcount (20 architectures, 300 SGD steps each by default: about 100 s
# on a 2-core VM;
# --quick, 7 architectures of 8 steps, about 25 s, checks the pipeline
# only), then fit per-type cost coefficients leaving one architecture out
# at a time:
#
#   examples/zoo/zoo.sh [--quick] [--out DIR] [--steps N] [--fit-only]
#
# --fit-only fits the traces already in DIR again (after a change to the
# fit, or to compare fits of one recording: fitting is deterministic).
#
# Busy time is the target (--target time): it is measured on every
# machine, where the energy may only be an estimate.  Writes DIR/*.opc,
# DIR/coeffs.json (held-out errors under "heldout", docs/coeffs.md) and
# DIR/fit.txt; the table ends with the median held-out error per
# architecture and per layer type, per-type model (c) next to FLOPs alone
# (a), and a summary: the steps, the load average while recording (busy
# time is wall time of the calls: on a loaded machine, other processes'
# time is in it) and the medians of models a, b, c, the figures
# docs/coeffs.md quotes.  Needs build/opcount (make) and /usr/bin/python3
# with torch.
set -e
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
OPC=${OPC:-$top/build/opcount}
PY=${PY:-/usr/bin/python3}
out=zoo-out
steps=300
quick=0
fitonly=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--fit-only) fitonly=1 ;;
	--out) out=$2; shift ;;
	--steps) steps=$2; shift ;;
	*) echo "usage: zoo.sh [--quick] [--out DIR] [--steps N] [--fit-only]" >&2; exit 2 ;;
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
	       lstm-h64 lstm-h256 gru-h64 gru-h256
	       res-w16 res-w32 mbv2-w25 mbv2-w50"
fi
[ -x "$OPC" ] || { echo "zoo.sh: $OPC missing: run make first" >&2; exit 1; }
mkdir -p "$out"
if [ $fitonly = 0 ]; then
	rm -f "$out"/*.opc
	# the load while recording, to label the figures (1-minute averages)
	echo "steps $steps, load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >"$out/conditions"
	for a in $archs; do
		OPENBLAS_NUM_THREADS=1 "$OPC" record --energy estimate -o "$out/$a.opc" -- \
			"$PY" "$here/zoo_model.py" --arch "$a" --steps "$steps" >/dev/null \
			2>"$out/$a.err" ||
			{ echo "zoo.sh: recording $a failed:" >&2; cat "$out/$a.err" >&2; exit 1; }
		echo "recorded $a"
	done
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs" >>"$out/conditions"
fi
"$OPC" fit "$out"/*.opc --group arch --target time -o "$out/coeffs.json" >"$out/fit.txt"
sed -n '/^held-out error per architecture/,/^verdict/p' "$out/fit.txt"
echo "full table: $out/fit.txt; coefficients: $out/coeffs.json"
# one summary: the figures of docs/coeffs.md's table, and the conditions
"$PY" - "$out/coeffs.json" "$out/conditions" <<'EOF'
import json, os, re, sys
d = json.load(open(sys.argv[1]))
h = d["heldout"]
def f(o):
    return " / ".join("-" if o[m] is None else "%.1f%%" % o[m] for m in "abc")
steps = sorted({re.search(r"--steps (\d+)", r["cmdline"] or "").group(1)
                for r in d["runs"] if re.search(r"--steps (\d+)", r["cmdline"] or "")})
cond = (open(sys.argv[2]).read().replace("\n", "; ").strip("; ") if os.path.exists(sys.argv[2])
        else "load while recording not noted")
print("summary: %d architectures, %s steps (%s)" % (len(h["per_arch"]), "/".join(steps) or "?",
                                                  cond))
print("  held-out median per architecture (a) / (b) / (c): " + f(h["median_arch_err_pct"]))
print("  worst architecture                (a) / (b) / (c): " + f(h["max_arch_err_pct"]))
print("  median per layer type             (a) / (b) / (c): " + f(h["median_type_err_pct"]))
for t, v in sorted(h["per_type"].items()):
    print("    %-20s (a) / (b) / (c): %s" % (t, f(v["err_pct"])))
EOF
