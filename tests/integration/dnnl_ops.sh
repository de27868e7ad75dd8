#!/bin/sh
# dnnl_ops.sh - oneDNN primitives called through its C API, counted
# exactly.
#
# 1. tests/dnnl/dnnl_abi: the values and descriptor offsets that
#    preload/dnnl.c uses without oneDNN's headers are the installed
#    oneDNN's.
# 2. tests/dnnl/dnnl_ops (convolution forward, backward data and weights,
#    with groups, stride, padding and dilation; grouped strided
#    deconvolution, all three passes; matmul with a broadcast
#    batch; inner product; max pooling; batch normalisation, training and
#    inference; a 2-layer bidirectional LSTM; eltwise, softmax, binary,
#    sum, concat, reorder; a convolution with sum and ReLU post-ops) under
#    the library: per op (report --by op), calls, FLOPs and bytes equal
#    what the program works out by brute force (every multiply-add and
#    window tap visited) or by the documented per-element conventions;
#    nothing lands in dnnl_primitive_execute or is flops_unknown.
# 3. The program prints the same without the library.
# Built only where oneDNN's headers are (libdnnl-dev): skips otherwise.
. "$(dirname "$0")/lib.inc"
OPS=$B/tests/dnnl/dnnl_ops
ABI=$B/tests/dnnl/dnnl_abi
need "$LIB" "$OPC"
need_py
if [ ! -x "$OPS" ] || [ ! -x "$ABI" ]; then
	[ -e /usr/include/dnnl.h ] && fail "$OPS or $ABI is missing (run make test, which builds them)"
	echo "SKIP: oneDNN's headers are not installed (/usr/include/dnnl.h, libdnnl-dev): the oneDNN programs were not built"
	exit 77
fi

"$ABI" >"$tmp/abi.txt" 2>&1 || fail "preload/dnnl_abi.h differs from oneDNN's header: $(cat "$tmp/abi.txt")"
ok "$(cat "$tmp/abi.txt" | sed 's/^ok //')"

OPCOUNT_OUTPUT=$tmp/run.opc LD_PRELOAD=$LIB "$OPS" >"$tmp/out.txt" 2>"$tmp/err.txt" ||
	fail "dnnl_ops under the library failed: $(tail -n 5 "$tmp/err.txt")"
tail -n 1 "$tmp/out.txt" | grep -q '^ok$' || fail "dnnl_ops did not finish: $(tail -n 3 "$tmp/out.txt")"
"$OPC" report "$tmp/run.opc" --by op --format json >"$tmp/op.json" 2>"$tmp/rep.err" ||
	fail "report --by op exited $?: $(cat "$tmp/rep.err")"
$CHECK validate "$tmp/op.json" || fail "report does not follow the JSON contract"

"$PY" - "$tmp/op.json" "$tmp/out.txt" >"$tmp/check.txt" <<'PYEOF'
import json, sys
rows = {r["op"]: r for r in json.load(open(sys.argv[1]))["rows"]}
want = {}
for line in open(sys.argv[2]):
    w = line.split()
    if w and w[0] == "expect":
        e = want.setdefault(w[1], [0, 0, 0])
        for i in range(3):
            e[i] += int(w[2 + i])
ok = True
for op, (calls, flops, nbytes) in sorted(want.items()):
    r = rows.get(op)
    got = (r["calls"], r["flops"], r["bytes"]) if r else None
    if got != (calls, flops, nbytes) or (r and r.get("flops_unknown")):
        print("FAIL %s: counted (calls, FLOPs, bytes) %s, expected %s" % (op, got, (calls, flops, nbytes)))
        ok = False
    else:
        print("ok %s: %d calls, %d FLOPs, %d bytes" % (op, calls, flops, nbytes))
extra = [op for op in rows if op.startswith("dnnl_") and op not in want]
if extra:
    print("FAIL rows nobody expected: %s" % extra)
    ok = False
print("ok" if ok else "FAIL")
PYEOF
cat "$tmp/check.txt"
tail -n 1 "$tmp/check.txt" | grep -q '^ok$' || fail "oneDNN counts differ from brute force"

"$OPS" >"$tmp/plain.txt" 2>&1 || fail "dnnl_ops without the library failed: $(tail -n 3 "$tmp/plain.txt")"
cmp -s "$tmp/out.txt" "$tmp/plain.txt" || fail "dnnl_ops prints differently without the library"
ok "the same output without the library"
echo "oneDNN C API primitives counted exactly"
