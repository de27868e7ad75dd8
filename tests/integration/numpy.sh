#!/bin/sh
# numpy.sh - Debian's NumPy under the preload library, counted exactly.
#
# /usr/bin/python3 (the system interpreter, whose NumPy is Debian's,
# linked to OpenBLAS through libblas.so.3 and loaded from an extension
# module with RTLD_LOCAL), not whatever python3 is first on PATH.
# tests/python/numpy_ops.py does float64 and float32 matmul, a transposed
# matmul, matrix @ vector, np.dot of vectors and two np.linalg.solve calls,
# and prints what each must count (LAWN 41 for dgesv: getrf(n, n) +
# getrs(n, nrhs)).  The import alone is measured in a separate run (NumPy
# calls cblas_sdot once while importing), so that:
#   totals.flops == baseline FLOPs + the expected FLOPs, exactly;
#   each expected op's row (minus the baseline's) has exactly its FLOPs
#   and calls, through the expected interface;
#   any other row (dcopy_ inside solve) has no FLOPs.
. "$(dirname "$0")/lib.inc"
need_py_module numpy python3-numpy
need "$LIB" "$OPC"

# Single-threaded BLAS: the counts do not depend on it, but the run is
# quicker and quieter on a small machine.
export OPENBLAS_NUM_THREADS=1

"$PY" "$ROOT/tests/python/numpy_ops.py" ops >"$tmp/plain.txt" 2>"$tmp/plain.err" ||
	fail "numpy_ops.py failed without the library: $(cat "$tmp/plain.err")"
OPCOUNT_OUTPUT=$tmp/base.opc LD_PRELOAD=$LIB "$PY" "$ROOT/tests/python/numpy_ops.py" baseline \
	2>"$tmp/base.err" || fail "import numpy failed under the library: $(cat "$tmp/base.err")"
OPCOUNT_OUTPUT=$tmp/ops.opc LD_PRELOAD=$LIB "$PY" "$ROOT/tests/python/numpy_ops.py" ops \
	>"$tmp/out.txt" 2>"$tmp/err.txt" || fail "numpy_ops.py failed under the library: $(cat "$tmp/err.txt")"
cmp -s "$tmp/plain.txt" "$tmp/out.txt" || fail "stdout differs under the library"
grep -qx "results ok" "$tmp/out.txt" || fail "wrong numerical results under the library"
[ -s "$tmp/ops.opc" ] || fail "no trace: NumPy's BLAS calls were not intercepted"

if [ -s "$tmp/base.opc" ]; then
	"$OPC" report "$tmp/base.opc" --by op --format json >"$tmp/base.json" 2>"$tmp/rep.err" ||
		fail "report of the baseline exited $?: $(cat "$tmp/rep.err")"
else
	echo '{"totals": {"flops": 0, "calls": 0}, "rows": []}' >"$tmp/base.json"	# no BLAS at import
fi
"$OPC" report "$tmp/ops.opc" --by op --format json >"$tmp/ops.json" 2>"$tmp/rep.err" ||
	fail "report exited $?: $(cat "$tmp/rep.err")"
$CHECK validate "$tmp/ops.json" || fail "report does not follow the JSON contract"

$PY - "$tmp/base.json" "$tmp/ops.json" "$tmp/out.txt" <<'EOF' || fail "NumPy's counts differ (see above)"
import json, sys
base = json.load(open(sys.argv[1]))
ops = json.load(open(sys.argv[2]))
want, iface = {}, {}
for line in open(sys.argv[3]):
    w = line.split()
    if w and w[0] == "expect":
        want[w[1]] = (int(w[2]), int(w[3]))
    elif w and w[0] == "iface":
        iface[w[1]] = w[2]
    elif w and w[0] == "expect_total":
        want_total = int(w[1])

def rows(rep):
    out = {}
    for r in rep["rows"]:
        if not r.get("nested") and not r.get("other_ops"):
            f, c = out.get(r["op"], (0, 0))
            out[r["op"]] = (f + r["flops"], c + r["calls"])
    return out

b, o = rows(base), rows(ops)
bad = []
for op, (f, c) in sorted(want.items()):
    got = o.get(op, (0, 0))
    got = (got[0] - b.get(op, (0, 0))[0], got[1] - b.get(op, (0, 0))[1])
    if got != (f, c):
        bad.append("%s: %d FLOPs in %d calls beyond the import, expected %d in %d" % (op, got[0], got[1], f, c))
    r = [x for x in ops["rows"] if x["op"] == op and not x["nested"]]
    if r and r[0]["iface"] != iface[op]:
        bad.append("%s: called through %s, expected %s" % (op, r[0]["iface"], iface[op]))
for op, (f, c) in sorted(o.items()):
    if op not in want and f != b.get(op, (0, 0))[0]:
        bad.append("%s: %d FLOPs not accounted for (the import made %d)" % (op, f, b.get(op, (0, 0))[0]))
expected = base["totals"]["flops"] + want_total
if ops["totals"]["flops"] != expected:
    bad.append("totals.flops %d, expected %d = %d at import + %d"
               % (ops["totals"]["flops"], expected, base["totals"]["flops"], want_total))
for m in bad:
    print("numpy: " + m)
sys.exit(1 if bad else 0)
EOF
echo "NumPy counted exactly: $(awk '$1 == "expect_total" { print $2 " FLOPs in " $3 " calls" }' "$tmp/out.txt") (+ $($CHECK get "$tmp/base.json" totals.flops) at import)"
