#!/bin/sh
# gpu_cudart.sh - CUDA runtime kernel launches, copies and fills, on the
# simulated GPU of the fake libcudart (tests/fake/cudart_ops.c), through
# tests/gpu/cudart_ops (and cudart_ptds: the same calls through the
# per-thread default stream entry points, _ptds and _ptsz).
#
#   launches  exact calls per kernel, the kernel named by the report's
#             site (scale_kernel 5, reduce_kernel 3, exc_kernel 1 through
#             cudaLaunchKernelExC, coop_kernel 1 cooperative); type
#             "launch", 0 FLOPs, marked FLOPs unknown
#   copies    calls and bytes per routine and direction (--by key: src=,
#             dst=): 2 x 1 MiB H2D synchronous, 3 x 512 KiB H2D
#             asynchronous, 3 MiB D2D, a 512 x 256 2D copy, 4 MiB D2H;
#             fills 2 x 1 MiB and 2 MiB; calls the runtime refuses (a NULL
#             kernel, an invalid copy kind) are a call each, rejected, 0 bytes
#   time      each group's GPU time (gpu_s, and busy_s of the GPU rows):
#             asynchronous calls queued behind other work, the simulated
#             device's own account of it (0.2% + 2 us per call);
#             synchronous ones (whose end event is recorded when the host
#             returns), between that and the host's time in the calls
#   output    the program prints the same with and without opcount
. "$(dirname "$0")/lib.inc"
gpu_or_skip
[ -e /usr/local/cuda/include/cuda_runtime_api.h ] ||
	{ echo "skip: no CUDA headers in /usr/local/cuda (the fake GPU libraries need them)"; exit 77; }
need "$LIB" "$OPC" "$B/tests/gpu/cudart_ops" "$B/tests/gpu/cudart_ptds"

# Slow enough that the GPU time of every call dwarfs the host's part in it.
export FAKEGPU_GBPS=0.5 FAKEGPU_THREAD_NS=50

for prog in cudart_ops cudart_ptds; do
	d=$tmp/$prog
	mkdir -p "$d"
	"$B/tests/gpu/$prog" >"$d/plain.out" 2>"$d/plain.err" ||
		fail "$prog exited $? without opcount: $(cat "$d/plain.err")"
	OPCOUNT_OUTPUT="$d/t.opc" LD_PRELOAD="$LIB" "$B/tests/gpu/$prog" \
		>"$d/out" 2>"$d/err" || fail "$prog exited $? under opcount: $(cat "$d/err")"
	cmp -s "$d/plain.out" "$d/out" || bad "$prog: stdout differs under opcount"
	grep '^expect ' "$d/err" >"$d/expect"
	grep '^expect ' "$d/plain.err" | cut -d' ' -f1-5 >"$d/plain.expect"
	cut -d' ' -f1-5 "$d/expect" | cmp -s - "$d/plain.expect" ||
		bad "$prog: the simulated GPU did other work under opcount"
	"$OPC" report "$d/t.opc" --by key --format json >"$d/key.json" ||
		fail "$prog: opcount report --by key failed"
	"$PY" - "$d/key.json" "$d/expect" "$prog" <<'PYEOF' || nbad=$((nbad + 1))
import json, sys

r = json.load(open(sys.argv[1]))
prog = sys.argv[3]
rows = [x for x in r["rows"] if not x.get("outside")]
rejected = [x for x in rows if x.get("rejected")]
rows = [x for x in rows if not x.get("rejected")]
bad = 0


def check(ok, msg):
    global bad
    print("%s %s: %s" % ("ok" if ok else "FAIL:", prog, msg))
    bad += not ok


def is_op(row, name):	# cudaMemcpy, or cudaMemcpy_ptds / _ptsz in cudart_ptds
    op = row["op"]
    return op == name or (op.startswith(name + "_pt") and len(op) == len(name) + 5)


def shape(row, key):
    for w in row["shape"].split():
        if w.startswith(key + "="):
            return w[len(key) + 1:]
    return None


groups = []
lo_total = hi_total = 0
for line in open(sys.argv[2]):
    _, name, calls, nbytes, ns, *wall = line.split()
    op, _, direction = name.partition(":")
    if op == "launch":
        sel = [x for x in rows if is_op(x, "cudaLaunchKernel")]
    else:
        sel = [x for x in rows if is_op(x, op)]
    if direction:
        sel = [x for x in sel if (shape(x, "src") or "") + (shape(x, "dst") or "") == direction]
    groups.append((name, sel))
    got_calls = sum(x["calls"] for x in sel)
    got_bytes = sum(x["bytes"] for x in sel)
    check(got_calls == int(calls), "%s: %d calls (want %s)" % (name, got_calls, calls))
    check(got_bytes == int(nbytes), "%s: %d bytes (want %s)" % (name, got_bytes, nbytes))
    want = int(ns) / 1e9
    gpu = sum(x.get("gpu_s", 0) for x in sel)
    busy = sum(x["busy_s"] for x in sel)
    if wall:	# synchronous: between the work's time and the host's in the calls
        hi = int(wall[0]) / 1e9
        check(want * 0.999 - 2e-6 * int(calls) <= gpu <= hi + 2e-6 * int(calls),
              "%s: GPU time %.6f s, simulated %.6f s (%+.2f%%), host %.6f s" %
              (name, gpu, want, 100 * (gpu - want) / want, hi))
    else:	# asynchronous, queued behind other work: exact
        check(abs(gpu - want) <= 0.002 * want + 2e-6 * int(calls),
              "%s: GPU time %.6f s, simulated %.6f s (%+.3f%%)" %
              (name, gpu, want, 100 * (gpu - want) / want))
    lo_total += want
    hi_total += int(wall[0]) / 1e9 if wall else want
    check(abs(busy - gpu) <= 1e-9, "%s: busy_s %.6f s is the GPU time" % (name, busy))

# the refused calls: one row each, a call with 0 FLOPs, 0 bytes, no GPU time
got = sorted((x["op"].split("_pt")[0], x["calls"], x["flops"], x["bytes"], x.get("gpu_s", 0))
             for x in rejected)
want = [("cudaLaunchKernel", 1, 0, 0, 0), ("cudaMemcpy", 1, 0, 0, 0)]
check(got == want, "refused calls %s (want %s)" % (got, want))
check(all(not x.get("flops_unknown") and not x["estimated"] for x in rejected),
      "refused calls are neither FLOPs-unknown nor estimated")

# every counted call is in a group, and nothing else was counted
counted = sum(x["calls"] for x in rows)
grouped = sum(x["calls"] for _, sel in groups for x in sel)
check(counted == grouped == r["totals"]["calls"] - len(rejected),
      "%d calls counted, %d expected, totals.calls %d with %d refused" %
      (counted, grouped, r["totals"]["calls"], len(rejected)))
n = sum(int(l.split()[2]) for l in open(sys.argv[2]))
check(lo_total * 0.999 - 2e-6 * n <= r["totals"]["busy_s"] <= hi_total + 2e-6 * n,
      "total GPU time %.6f s, simulated %.6f s, at most %.6f s" %
      (r["totals"]["busy_s"], lo_total, hi_total))

# kernels by name, through the site
kernels = {"scale_kernel": (5, "cudaLaunchKernel", "64 256 0"),
           "reduce_kernel": (3, "cudaLaunchKernel", "64 128 4096"),
           "exc_kernel": (1, "cudaLaunchKernelExC", "32 64 0"),
           "coop_kernel": (1, "cudaLaunchCooperativeKernel", "16 32 0")}
launches = [x for x in rows if x["type"] == "launch"]
for k, (calls, op, dims) in kernels.items():
    sel = [x for x in launches if x["site"].split()[0] == k]
    check(len(sel) == 1 and sel[0]["calls"] == calls and is_op(sel[0], op),
          "%s: %s x %s, site %s" % (k, [x["calls"] for x in sel], [x["op"] for x in sel],
                                   [x["site"] for x in sel]))
    if sel:
        s = sel[0]
        got = " ".join(shape(s, w) or "?" for w in ("blocks", "threads", "smem"))
        check(got == dims, "%s: blocks threads smem %s (want %s)" % (k, got, dims))
        check(s["flops"] == 0 and s["bytes"] == 0 and s.get("flops_unknown") and
              not s["estimated"] and s["iface"] == "cudart",
              "%s: 0 FLOPs (unknown, not estimated), 0 bytes, iface cudart" % k)
check(len(launches) == 4, "%d launch rows (want 4)" % len(launches))
for x in rows:
    if x["type"] in ("memcpy", "memset") and x["flops"] != 0:
        check(False, "%s counts FLOPs" % x["op"])
sys.exit(1 if bad else 0)
PYEOF
done
[ "$nbad" -eq 0 ] || { echo "$nbad check group(s) failed"; exit 1; }
exit 0
