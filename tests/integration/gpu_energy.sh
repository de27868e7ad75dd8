#!/bin/sh
# gpu_energy.sh - GPU time and GPU energy, against the simulated GPU of the
# fake CUDA libraries (tests/fake/) and a fake NVML whose GPU draws 50 W
# idle and 200 W more while the simulated GPU is busy, beside a fake RAPL
# package at 30 W.
#
#   timing    cuBLAS SGEMMs queued at once: the report's GPU time for
#             them equals the simulated device's own total (1%), although
#             every call returned at once
#   pools     OPCOUNT_ENERGY=rapl+nvml: sources ["rapl", "nvml"]; the SGEMMs get
#             the GPU's energy while they ran, 250 W x their GPU time
#             (3%), none of the package's 30 W; the total is 30 W + 50 W
#             over the run + 200 W x GPU time (3%)
#   auto      OPCOUNT_ENERGY=auto with NVML present adds the GPU to the
#             CPU's source: sources ["rapl", "nvml"]
#   device    --by device: one row, gpu0, with every SGEMM; CSV has gpu_s
#             and device
#   fit       opcount fit on the two runs: GPU GEMMs are a type of their
#             own (gemm@gpu); model (c) finds the 80 W idle draw (10%) and
#             200 W x an SGEMM's GPU time per SGEMM (10%)
#   output    the program's output is the same with and without opcount
. "$(dirname "$0")/energy_common.inc"
gpu_or_skip

PROG=$B/tests/gpu/gpu_energy
NVML=$B/fake/libnvidia-ml.so.1
[ -e /usr/local/cuda/include/cuda_runtime_api.h ] ||
	{ echo "skip: no CUDA headers in /usr/local/cuda (the fake GPU libraries need them)"; exit 77; }
[ -x "$PROG" ] && [ -e "$NVML" ] || fail "$PROG or $NVML is missing (run make test)"

run() {	# DIR ENERGY
	start_fake "$1" package:0=30
	env OPCOUNT_HZ=100 OPCOUNT_POWERCAP_ROOT="$1/pc" OPCOUNT_NVML_LIBRARY="$NVML" \
		FAKE_NVML_WATTS=50 FAKE_NVML_BUSY_WATTS=200 OPCOUNT_ENERGY="$2" \
		OPCOUNT_OUTPUT="$1/t.opc" LD_PRELOAD="$LIB" "$PROG" 0.4 0.3 \
		>"$1/out.txt" 2>"$1/err.txt" || fail "$1: gpu_energy exited $?: $(cat "$1/err.txt")"
	stop_fake
	report "$1" op
}

# ---- timing and pools ---------------------------------------------------
d=$tmp/pools
run "$d" rapl+nvml
gpu_ns=$(awk '{ print $3 }' "$d/out.txt")
$PY - "$d/op.json" "$gpu_ns" <<'PYEOF' || bad "pools: see above"
import json, sys
r = json.load(open(sys.argv[1]))
truth_s = int(sys.argv[2]) / 1e9
rows = {x["op"]: x for x in r["rows"] if not x.get("other_ops")}
g = rows.get("cublasSgemm")
bad = 0
def check(label, got, want, tol):
    global bad
    ok = abs(got - want) <= tol * abs(want)
    print("%s %s: %.6g vs %.6g (%+.2f%%)" % ("ok" if ok else "FAIL:", label, got, want,
          100 * (got - want) / want if want else 0))
    bad += not ok
if g is None:
    print("FAIL: no cublasSgemm row"); sys.exit(1)
check("GPU time of the SGEMMs = the device's", g["gpu_s"], truth_s, 0.01)
check("busy_s of a GPU row is its GPU time", g["busy_s"], g["gpu_s"], 1e-9)
if r["energy"]["sources"] != ["rapl", "nvml"] or r["energy"]["source"] != "rapl":
    print("FAIL: sources %r, want rapl and nvml" % r["energy"]["sources"]); bad += 1
else:
    print("ok sources rapl and nvml")
check("SGEMM energy = 250 W x GPU time", g["energy_j"], 250 * truth_s, 0.03)
dur = r["energy"]["duration_s"]
check("total = 80 W x duration + 200 W x GPU time", r["totals"]["energy_j"],
      80 * dur + 200 * truth_s, 0.03)
sys.exit(1 if bad else 0)
PYEOF

# ---- --by device ------------------------------------------------------------
report "$d" device
n=$(awk '{ print $1 }' "$d/out.txt")
$PY - "$d/device.json" "$n" <<'PYEOF' && ok "--by device: one gpu0 row with the $n SGEMMs" || bad "--by device"
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["rows"] if r["device"] is not None]
good = len(rows) == 1 and rows[0]["device"] == "gpu0" and rows[0]["calls"] == int(sys.argv[2])
if not good:
    print("rows: %s" % [(r["device"], r["calls"]) for r in rows])
sys.exit(0 if good else 1)
PYEOF

# CSV carries the same: gpu_s and device at the end of each row
"$OPC" report "$d/t.opc" --by op --format csv >"$d/op.csv" 2>"$tmp/csv.err" || bad "csv exited $?"
$PY - "$d/op.csv" "$d/op.json" <<'PYEOF' && ok "csv: gpu_s and device as in JSON" || bad "csv: gpu_s/device"
import csv, json, sys
rows = {r["op"]: r for r in csv.DictReader(open(sys.argv[1]))}
j = {r["op"]: r for r in json.load(open(sys.argv[2]))["rows"]}["cublasSgemm"]
c = rows["cublasSgemm"]
sys.exit(0 if c["device"] == "gpu0" and abs(float(c["gpu_s"]) - j["gpu_s"]) < 1e-6 else 1)
PYEOF

# ---- auto adds the GPU ---------------------------------------------------
d=$tmp/auto
run "$d" auto
src=$($CHECK_REPORT get "$d/op.json" energy.sources)
case $src in *rapl*nvml*) ok "auto: sources $src" ;; *) bad "auto: sources '$src', want rapl and nvml" ;; esac

# ---- fit: GPU work is a type of its own, placed where the GPU ran it -------
# The SGEMMs are queued in the first interval but run for 0.4 s: fitted by
# where their GPU time went, model (c) finds the 80 W idle draw as static
# power and each call's 200 W x 2.15 ms as its dynamic energy.
"$OPC" fit "$tmp/pools/t.opc" "$tmp/auto/t.opc" -o "$tmp/co.json" >"$tmp/fit.txt" 2>&1 ||
	bad "fit exited $?: $(tail -3 "$tmp/fit.txt")"
$PY - "$tmp/co.json" "$gpu_ns" "$(awk '{ print $1 }' "$tmp/pools/out.txt")" <<'PYEOF' || bad "fit: see above"
import json, sys
c = json.load(open(sys.argv[1]))
per_call_j = 200 * int(sys.argv[2]) / 1e9 / int(sys.argv[3])
m = c["models"]["c"]
bad = 0
if "gemm@gpu" not in c["types"]:
    print("FAIL: no gemm@gpu type in %s" % list(c["types"])); bad += 1
else:
    print("ok fit: GPU GEMMs are type gemm@gpu")
# FLOPs, bytes and calls are proportional here: whichever (c) used, the
# energy per SGEMM is what the GPU drew above idle while running one
t = m["per_type"].get("gemm@gpu", {"per_flop": 0, "per_byte": 0})
f = c["types"]["gemm@gpu"]
dyn = (t["per_flop"] * f["flops"] + t["per_byte"] * f["bytes"]) / f["calls"] + m["per_call"]
for label, got, want, tol in (("static power", m["static_w"], 80.0, 0.10),
                              ("energy per SGEMM", dyn, per_call_j, 0.10)):
    ok = abs(got - want) <= tol * want
    print("%s fit %s: %.4g vs %.4g (%+.1f%%)" % ("ok" if ok else "FAIL:", label, got, want,
          100 * (got - want) / want))
    bad += not ok
sys.exit(1 if bad else 0)
PYEOF

# ---- the program is unchanged ---------------------------------------------
"$PROG" 0.05 0 >"$tmp/plain.txt" 2>&1 || bad "plain run exited $?"
LD_PRELOAD="$LIB" OPCOUNT_OUTPUT="$tmp/x.opc" "$PROG" 0.05 0 >"$tmp/pre.txt" 2>&1 ||
	bad "preloaded run exited $?"
# (but for the warning of a machine whose energy counter does not move)
grep -v '^opcount: warning: energy: .* did not move' "$tmp/pre.txt" >"$tmp/pre-own.txt"
cmp -s "$tmp/plain.txt" "$tmp/pre-own.txt" && ok "output identical with and without opcount" ||
	bad "output differs: $(diff "$tmp/plain.txt" "$tmp/pre-own.txt" | head -5)"
finish
