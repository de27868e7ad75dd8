#!/bin/sh
# gpu_nvtx.sh - NVTX ranges become layers (preload/gpu_nvtx.c), through
# the NVTX v3 injection interface, with tests/gpu/nvtx_layers (CUDA
# runtime work on the simulated GPU inside nested ranges, domains,
# start/end ranges, one ended on another thread, PyTorch-style names).
#
#   layers    `opcount report --by path`: exactly one row per expected
#             layer path with exactly its calls and type (the domain's
#             name, "nvtx" for the default domain); 2 calls outside any
#             range; each layer has GPU time
#   levels    push and pop return NVTX nesting levels (-1 for a pop
#             without a range), -2 ("no tracking") without opcount
#   record    `opcount record` sets NVTX_INJECTION64_PATH itself: the same
#             layers; plain LD_PRELOAD without it gets no layers (counted,
#             outside any range), as the README says
#   output    the program prints the same with and without opcount
. "$(dirname "$0")/lib.inc"
gpu_or_skip
PROG=$B/tests/gpu/nvtx_layers
[ -e /usr/local/cuda/include/nvtx3/nvToolsExt.h ] ||
	{ echo "skip: no NVTX headers in /usr/local/cuda/include (the test program needs them)"; exit 77; }
need "$LIB" "$OPC" "$PROG"
unset NVTX_INJECTION64_PATH

"$PROG" >"$tmp/plain.out" 2>"$tmp/plain.err" || fail "nvtx_layers exited $? without opcount"
NVTX_INJECTION64_PATH=$LIBFILE OPCOUNT_OUTPUT="$tmp/p.opc" LD_PRELOAD="$LIB" "$PROG" \
	>"$tmp/p.out" 2>"$tmp/p.err" || fail "nvtx_layers exited $? under opcount: $(cat "$tmp/p.err")"
"$OPC" record -o "$tmp/r.opc" -- "$PROG" >"$tmp/r.out" 2>"$tmp/r.err" ||
	fail "opcount record exited $?: $(cat "$tmp/r.err")"
OPCOUNT_OUTPUT="$tmp/n.opc" LD_PRELOAD="$LIB" "$PROG" >"$tmp/n.out" 2>"$tmp/n.err" ||
	fail "nvtx_layers exited $? under LD_PRELOAD alone"

for o in p r n; do
	cmp -s "$tmp/plain.out" "$tmp/$o.out" || bad "$o: stdout differs under opcount"
done
[ "$nbad" -eq 0 ] && echo "ok output identical with and without opcount"

# NVTX's answers: levels with an injection, "no tracking" (-2) without
cat >"$tmp/levels" <<'EOF'
push model 0
push encoder 1
pop encoder 1
pop model 0
pop nothing -1
domain push block 0
domain pop block 0
EOF
grep -v '^checksum' "$tmp/p.err" | grep -v '^opcount' | cmp -s - "$tmp/levels" ||
	bad "levels under opcount: $(tr '\n' ';' <"$tmp/p.err")"
[ "$(grep -c -- ' -2$' "$tmp/plain.err")" -eq 7 ] ||
	bad "levels without opcount: $(tr '\n' ';' <"$tmp/plain.err")"

for o in p r n; do
	"$OPC" report "$tmp/$o.opc" --by path --format json >"$tmp/$o.json" ||
		fail "$o: opcount report --by path failed"
done
"$PY" - "$tmp/p.json" "$tmp/r.json" "$tmp/n.json" <<'PYEOF' || nbad=$((nbad + 1))
import json, sys

# layer path: (calls, type), as annotated in tests/gpu/nvtx_layers.c
want = {
    "model": (1, "nvtx"), "model/encoder": (2, "nvtx"), "model/d\u00e9codeur": (3, "nvtx"),
    "block": (4, "mylib"), "block/inner": (1, "nvtx"), "inner": (2, "nvtx"),
    "registered": (1, "mylib"),
    "phase1": (5, "nvtx"), "phase1/phase2": (6, "nvtx"), "phase2": (7, "nvtx"),
    "async": (1, "nvtx"), "after": (2, "nvtx"), "aten::mm": (2, "nvtx"),
}
outside_calls = 2
bad = 0


def check(ok, msg):
    global bad
    print("%s %s" % ("ok" if ok else "FAIL:", msg))
    bad += not ok


def layers(path):
    r = json.load(open(path))
    got, none = {}, 0
    for x in r["rows"]:
        if x.get("outside") or x.get("other_ops"):
            continue
        if x["layer"] is None:
            none += x["calls"]
            continue
        p = x["layer_path"]
        c, t, g = got.get(p, (0, x["type"], 0.0))
        got[p] = (c + x["calls"], t if t == x["type"] else "*", g + x.get("gpu_s", 0))
    return r, got, none


for label, path in (("LD_PRELOAD", sys.argv[1]), ("opcount record", sys.argv[2])):
    r, got, none = layers(path)
    for p, (calls, typ) in sorted(want.items()):
        c, t, g = got.get(p, (0, None, 0))
        check(c == calls and t == typ, "%s: layer %s: %d calls, type %s (want %d, %s)" %
              (label, p, c, t, calls, typ))
        check(g > 0, "%s: layer %s has GPU time (%.3g s)" % (label, p, g))
    extra = sorted(set(got) - set(want))
    check(not extra, "%s: no other layers (%s)" % (label, extra))
    check(none == outside_calls, "%s: %d calls outside any range (want %d)" %
          (label, none, outside_calls))
    total = sum(c for c, _ in want.values()) + outside_calls
    check(r["totals"]["calls"] == total, "%s: %d calls in all (want %d)" %
          (label, r["totals"]["calls"], total))

r, got, none = layers(sys.argv[3])
check(not got and none == r["totals"]["calls"] > 0,
      "LD_PRELOAD without NVTX_INJECTION64_PATH: no layers, %d calls outside" % none)
sys.exit(1 if bad else 0)
PYEOF
finish
