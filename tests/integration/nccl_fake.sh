#!/bin/sh
# nccl_fake.sh - NCCL calls counted as comm rows and timed on the GPU,
# against the fake libnccl.so.2 of tests/fake/nccl.c (one rank, 1 of 4,
# on the simulated GPU of tests/fake/fakegpu.h: every operation takes a
# known time on its stream).
#
#   output    tests/gpu/nccl_ops prints the same with and without opcount
#   counts    report --by key: for every key exactly the calls and bytes of
#             the docs/counting.md models (ring all-reduce, block, chain
#             from the root with q = rank - root mod p, p2p), FLOPs 0,
#             type comm, iface nccl, device gpu0; busy_s of every key
#             outside a group the simulated GPU time of its calls (0.2% +
#             30 us)
#   groups    operations between ncclGroupStart and ncclGroupEnd: counted
#             with their bytes under keys of their own (group=G), no GPU
#             time; the outermost ncclGroupEnd a row (calls=<operations>,
#             0 bytes) with the group's GPU time; a nested group's inner
#             end is not a row
#   nested    the fake ncclBcast calls ncclBroadcast through the exported
#             symbol, as NCCL does: one ncclBcast row, one group member
#   by type   one type, comm, with every call and byte
. "$(dirname "$0")/lib.inc"
gpu_or_skip
PROG=$B/tests/gpu/nccl_ops
CUDA_INC=${CUDA_HOME:-/usr/local/cuda}/include
LOOPS=2
LAUNCH_NS=1000000	# every operation outlasts the host's work

[ -e "$CUDA_INC/nccl.h" ] ||
	{ echo "skip: no $CUDA_INC/nccl.h (the fake NCCL is built against it)"; exit 77; }
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$PROG"

export FAKEGPU_LAUNCH_NS=$LAUNCH_NS
"$PROG" $LOOPS >"$tmp/plain.txt" 2>"$tmp/plain.err" ||
	fail "nccl_ops failed without opcount: $(cat "$tmp/plain.err")"
OPCOUNT_OUTPUT=$tmp/t.opc LD_PRELOAD=$LIB "$PROG" $LOOPS >"$tmp/out.txt" 2>"$tmp/err.txt" ||
	fail "nccl_ops failed under opcount: $(cat "$tmp/err.txt")"
cmp -s "$tmp/plain.txt" "$tmp/out.txt" ||
	fail "output differs under opcount: $(cat "$tmp/plain.txt") / $(cat "$tmp/out.txt")"
ok "output: $(cat "$tmp/out.txt")"
reports "$tmp/t.opc" key type

$PY - "$tmp/key.json" "$tmp/type.json" $LOOPS $LAUNCH_NS <<'PYEOF' || fail "counts or GPU times differ (see above)"
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["rows"] if not r.get("outside")]
types = [r for r in json.load(open(sys.argv[2]))["rows"] if not r.get("outside")]
loops, launch = int(sys.argv[3]), int(sys.argv[4])
p, rank = 4, 1

def ring(n): return 2 * (2 * (p - 1) * n // p)
def block(n): return 2 * ((p - 1) * n // p)
def chain(n, root):
    q = (rank - root) % p
    return n * (1 if q in (0, p - 1) else 2)
def gpu_ns(fake_bytes):	# tests/fake/nccl.c: fakegpu_cost_ns(0, bytes), 100 GB/s
    return launch + fake_bytes / 100.0

# shape: (bytes per call, GPU ns per call or None for untimed group members)
want = {
    "ncclAllReduce n=4000 p=4": (ring(4000), gpu_ns(4000)),
    "ncclBroadcast n=4000 p=4 q=1": (chain(4000, 0), gpu_ns(4000)),
    "ncclBcast n=256 p=4 q=2": (chain(256, 3), gpu_ns(256)),
    "ncclReduce n=200 p=4 q=0": (chain(200, 1), gpu_ns(200)),
    "ncclAllGather n=512 p=4": (block(512), gpu_ns(512)),
    "ncclReduceScatter n=1024 p=4": (block(1024), gpu_ns(1024)),
    "ncclSend n=10": (10, gpu_ns(10)),
    "ncclRecv n=10": (10, gpu_ns(10)),
    "ncclSend n=1200 group=G": (1200, None),
    "ncclRecv n=1200 group=G": (1200, None),
    "ncclAllReduce n=400 p=4 group=G": (ring(400), None),
    "ncclBcast n=256 p=4 q=0 group=G": (chain(256, 1), None),
    "ncclGroupEnd calls=4": (0, gpu_ns(1200) + gpu_ns(1200) + gpu_ns(400) + gpu_ns(256)),
    "ncclAllReduce n=8000 p=4 group=G": (ring(8000), None),
    "ncclGroupEnd calls=1": (0, gpu_ns(8000)),
}
bad = []
got = {r["shape"]: r for r in rows}
if sorted(got) != sorted(want):
    bad.append("keys %s, want %s" % (sorted(got), sorted(want)))
for shape, (nbytes, ns) in want.items():
    r = got.get(shape)
    if r is None:
        continue
    exp_busy = 0.0 if ns is None else loops * ns * 1e-9
    ok = (r["calls"] == loops and r["bytes"] == loops * nbytes and r["flops"] == 0 and
          r["type"] == "comm" and r["iface"] == "nccl" and r["device"] == "gpu0" and
          abs(r["busy_s"] - exp_busy) <= 0.002 * exp_busy + 30e-6)
    print("%-34s calls %d bytes %6d busy_s %.6f (want %d %6d %.6f)%s" % (
        shape, r["calls"], r["bytes"], r["busy_s"], loops, loops * nbytes, exp_busy,
        "" if ok else "  <-- off"))
    if not ok:
        bad.append(shape)
t = {r["type"]: r for r in types}
total = sum(loops * b for b, _ in want.values())
if sorted(t) != ["comm"] or t["comm"]["bytes"] != total or t["comm"]["calls"] != loops * len(want):
    bad.append("--by type: %s, want one comm row of %d calls %d bytes" %
               ([(r["type"], r["calls"], r["bytes"]) for r in types], loops * len(want), total))
if bad:
    sys.exit("off: " + "; ".join(bad))
print("by type: comm, %d calls, %d bytes" % (loops * len(want), total))
PYEOF
ok "counts, group semantics and GPU times as modelled"
finish
