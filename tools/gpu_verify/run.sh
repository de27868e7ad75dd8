#!/bin/sh
# tools/gpu_verify/run.sh - the checks that need a real GPU (the tests run on
# a simulated one): run it from the repository root on a machine with a
# CUDA driver, after `make`.
#
#   1. an SGEMM loop (sgemm_real.c): counted FLOPs = 2 N^3 x calls exactly;
#      GPU time <= the loop's wall time and >= 50% of it (the GPU is kept
#      busy); NVML energy present and the SGEMMs' share of it
#   2. a cuDNN convolution loop (conv_real.c): FLOPs exactly as analytic
#   3. the test programs of tests/gpu/ are for the fakes; a PyTorch model,
#      if torch with CUDA is installed: calls and GPU time per layer
#   4. the host cost per call: bench/gpu_overhead.c linked against the real
#      libraries, with and without opcount
#
# Prints one line per check and the figures to quote; exits 1 if a check
# failed, 77 if there is no usable GPU.
set -u
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
B=${BUILD:-build}
OPC=$B/opcount
LIB=$(readlink -f "$B/libopcount.so")
out=${OUT:-$(mktemp -d)}
nbad=0
ok() { echo "ok $*"; }
bad() { echo "FAIL: $*"; nbad=$((nbad + 1)); }
cc_real() {	# OUT SRC LIBS...
	_o=$1 _s=$2
	shift 2
	${CC:-cc} -O2 -Wall -I"$CUDA_HOME/include" "$_s" -o "$_o" -L"$CUDA_HOME/lib64" \
		-Wl,-rpath,"$CUDA_HOME/lib64" "$@"
}

[ -x "$OPC" ] && [ -e "$LIB" ] || { echo "FAIL: build opcount first (make)"; exit 1; }
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L
cc_real "$out/sgemm_real" tools/gpu_verify/sgemm_real.c -lcublas -lcudart || exit 1
cc_real "$out/conv_real" tools/gpu_verify/conv_real.c -lcudnn -lcudart || exit 1
cc_real "$out/gpu_overhead" bench/gpu_overhead.c -lcublas -lcudart || exit 1
"$out/sgemm_real" 256 1 >/dev/null 2>"$out/probe.err" ||
	{ echo "skip: no usable GPU: $(cat "$out/probe.err")"; exit 77; }

# 1. SGEMM loop
"$OPC" record -o "$out/sgemm.opc" -- "$out/sgemm_real" 4096 200 >"$out/sgemm.txt" 2>"$out/sgemm.err" ||
	bad "sgemm_real under opcount: $(cat "$out/sgemm.err")"
"$OPC" report "$out/sgemm.opc" --by op --format json >"$out/sgemm.json"
/usr/bin/python3 - "$out/sgemm.json" "$out/sgemm.txt" <<'PY' || nbad=$((nbad + 1))
import json, sys
r = json.load(open(sys.argv[1]))
want = dict(l.split() for l in open(sys.argv[2]))
rows = [x for x in r["rows"] if x["calls"] and x["device"] and x["device"].startswith("gpu")]
flops = sum(x["flops"] for x in rows if not x["nested"])
gpu = sum(x["gpu_s"] for x in rows if not x["nested"])
wall = float(want["wall_s"])
bad = 0
print("%s sgemm FLOPs %d, analytic %d" % ("ok" if flops == int(want["flops"]) else "FAIL:", flops, int(want["flops"])))
bad += flops != int(want["flops"])
print("%s sgemm GPU time %.4f s, loop wall %.4f s (%.0f%%), %.1f TFLOP/s" % (
    "ok" if 0.5 * wall <= gpu <= wall * 1.02 else "FAIL:", gpu, wall, 100 * gpu / wall,
    flops / gpu / 1e12 if gpu else 0))
bad += not (0.5 * wall <= gpu <= wall * 1.02)
e = r["energy"]
print("%s energy sources %s measured %s, total %.1f J, SGEMMs %.1f J (%.0f W while busy)" % (
    "ok" if "nvml" in e["sources"] else "FAIL:", e["sources"], e["measured"],
    r["totals"]["energy_j"] or 0, sum(x["energy_j"] or 0 for x in rows),
    sum(x["energy_j"] or 0 for x in rows) / gpu if gpu else 0))
bad += "nvml" not in e["sources"]
sys.exit(1 if bad else 0)
PY

# 2. cuDNN convolution
"$OPC" record -o "$out/conv.opc" -- "$out/conv_real" 50 >"$out/conv.txt" 2>"$out/conv.err" ||
	bad "conv_real under opcount: $(cat "$out/conv.err")"
"$OPC" report "$out/conv.opc" --by op --format json >"$out/conv.json"
/usr/bin/python3 - "$out/conv.json" "$out/conv.txt" <<'PY' || nbad=$((nbad + 1))
import json, sys
r = json.load(open(sys.argv[1]))
want = int(dict(l.split() for l in open(sys.argv[2]))["flops"])
got = sum(x["flops"] for x in r["rows"] if x["op"] == "cudnnConvolutionForward")
nested = [(x["op"], x["calls"]) for x in r["rows"] if x["nested"]]
print("%s conv FLOPs %d, analytic %d; other rows: %s" % ("ok" if got == want else "FAIL:", got, want,
      [(x["op"], x["calls"]) for x in r["rows"] if x["calls"] and x["op"] != "cudnnConvolutionForward"]))
sys.exit(0 if got == want else 1)
PY

# 3. PyTorch, if it has CUDA
if /usr/bin/python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
	"$OPC" record -o "$out/torch.opc" -- /usr/bin/python3 -c '
import torch
m = torch.nn.Sequential(torch.nn.Conv2d(3, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                        torch.nn.Linear(64 * 32 * 32, 10)).cuda()
x = torch.randn(64, 3, 32, 32, device="cuda")
with torch.autograd.profiler.emit_nvtx():
    for _ in range(20):
        m(x).sum().backward()
torch.cuda.synchronize()' >"$out/torch.txt" 2>&1 || bad "torch under opcount: $(tail -3 "$out/torch.txt")"
	"$OPC" report "$out/torch.opc" --by layer | head -25
else
	echo "skip: PyTorch with CUDA is not installed (step 3)"
fi

# 4. host cost per call
for i in 1 2 3; do
	"$out/gpu_overhead" 200000 | awk '{ print $3 }' >>"$out/base"
	OPCOUNT_OUTPUT=$out/o.opc LD_PRELOAD=$LIB "$out/gpu_overhead" 200000 | awk '{ print $3 }' >>"$out/shim"
done
med() { sort -n "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "host cost per cublasSgemm 8x8x8: $(med "$out/base") ns without, $(med "$out/shim") ns with opcount (median of 3)"
echo "files in $out"
[ "$nbad" -eq 0 ]
