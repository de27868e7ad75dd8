#!/bin/sh
# gpu_threads.sh - cuBLAS from 4 threads at once, each on its own stream
# (tests/gpu/gpu_threads.c), against the simulated GPU of tests/fake/:
# every thread's calls land in its own key with exact calls and FLOPs
# (2 n^3 x CALLS, n = 320, 384, 448, 512), and the GPU time of all keys
# together equals the simulated device's total (0.5%, GPU_TIME_TOLERANCE
# of make check-sanitize where the host is slower): each thread's ring
# of events is completed by the collector, none lost or counted twice.
# Calls made during stream capture are counted, marked captured and not
# timed.  A fork while the threads still hold their events: the child makes no
# CUDA call (opcount drops the parent's events there without touching the
# runtime).
. "$(dirname "$0")/lib.inc"
gpu_or_skip
PROG=$B/tests/gpu/gpu_threads
[ -e /usr/local/cuda/include/cublas_api.h ] ||
	{ echo "skip: no CUDA headers in /usr/local/cuda (the fake GPU libraries need them)"; exit 77; }
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$PROG"

for hz in 100 1000; do
	OPCOUNT_HZ=$hz OPCOUNT_OUTPUT="$tmp/t$hz.opc" LD_PRELOAD="$LIB" "$PROG" 4 200 \
		>"$tmp/out$hz.txt" 2>"$tmp/err.txt" || fail "gpu_threads exited $?: $(cat "$tmp/err.txt")"
	"$OPC" report "$tmp/t$hz.opc" --by key --format json >"$tmp/k$hz.json" 2>"$tmp/err.txt" ||
		fail "report exited $?: $(cat "$tmp/err.txt")"
	$PY - "$tmp/k$hz.json" "$(awk '{ print $6 }' "$tmp/out$hz.txt")" "$hz" \
		"${GPU_TIME_TOLERANCE:-0.005}" <<'PYEOF' || bad "$hz Hz"
import json, sys
r = json.load(open(sys.argv[1]))
truth_s, hz, tol = int(sys.argv[2]) / 1e9, sys.argv[3], float(sys.argv[4])
rows = [x for x in r["rows"] if x["calls"] and not x.get("other_ops")]
bad = 0
got = sorted((x["shape"].split()[1], x["calls"], x["flops"]) for x in rows)
want = sorted(("m=%d" % n, 200, 2 * n ** 3 * 200) for n in (320, 384, 448, 512))
if got != want:
    print("FAIL: %s Hz: keys %s, want %s" % (hz, got, want)); bad += 1
else:
    print("ok %s Hz: one key per thread, calls and FLOPs exact" % hz)
gpu = sum(x["gpu_s"] for x in rows)
if abs(gpu - truth_s) > tol * truth_s:
    print("FAIL: %s Hz: GPU time %.6f s, simulated %.6f s" % (hz, gpu, truth_s)); bad += 1
else:
    print("ok %s Hz: GPU time %.6f s, simulated %.6f s (%+.3f%%)" %
          (hz, gpu, truth_s, 100 * (gpu - truth_s) / truth_s))
sys.exit(1 if bad else 0)
PYEOF
done
# stream capture: the work goes into a CUDA graph, run later; opcount
# counts the calls, marks them captured and records no event into the
# graph (so no GPU time)
FAKEGPU_CAPTURING=1 OPCOUNT_OUTPUT="$tmp/c.opc" LD_PRELOAD="$LIB" "$PROG" 1 20 >/dev/null 2>"$tmp/err.txt" ||
	fail "gpu_threads (capturing) exited $?: $(cat "$tmp/err.txt")"
"$OPC" report "$tmp/c.opc" --by op --format json >"$tmp/c.json" 2>"$tmp/err.txt" ||
	fail "report (capturing) exited $?: $(cat "$tmp/err.txt")"
$PY - "$tmp/c.json" <<'PYEOF' && ok "capture: 20 calls counted, marked captured, not timed" || bad "capture"
import json, sys
rows = [x for x in json.load(open(sys.argv[1]))["rows"] if x["calls"] and not x.get("other_ops")]
good = len(rows) == 1 and rows[0]["calls"] == 20 and rows[0].get("captured") is True and \
       rows[0]["gpu_s"] == 0
if not good:
    print(rows)
sys.exit(0 if good else 1)
PYEOF

# fork while threads hold events: the child must make no CUDA call (the
# fake runtime aborts a child that does, as CUDA fails after fork)
OPCOUNT_OUTPUT="$tmp/f.opc" LD_PRELOAD="$LIB" "$PROG" 3 50 fork >"$tmp/fork.txt" 2>"$tmp/err.txt" ||
	fail "gpu_threads fork exited $?: $(cat "$tmp/err.txt")"
if grep -q "^child: exit 0" "$tmp/fork.txt"; then
	ok "fork: the child made no CUDA call"
else
	bad "fork: $(grep child "$tmp/fork.txt") $(cat "$tmp/err.txt")"
fi
finish
