#!/bin/sh
# fit.sh - `opcount fit` end to end on synthetic traces with planted
# coefficients (written by build/tests/test_fit --write-synth, which also
# writes the truth).
#
#   energy, 5% noise   every model (c) coefficient within 5% of the planted
#                      one (communication, type comm: its own per-byte cost,
#                      per-FLOP 0, though one of its keys is in a Linear
#                      layer) in COEFFS.json (-o) and in --format json, which
#                      are the same document; the table names the target
#                      and the source, and its verdict says (c) is better
#                      than FLOPs alone; a PNG and an SVG plot are written
#   time               the same traces fitted for busy time: target time,
#                      unit s, the planted time coefficients (exact)
#   estimate           the table says "energy source: estimate (NOT
#                      measured)", COEFFS.json energy_measured false
#   two runs           fitted, exit 0, and it says cross-validation needs 3
. "$(dirname "$0")/lib.inc"
SYNTH=$B/tests/test_fit
need_py "the JSON checks need it"
need "$OPC" "$SYNTH"

# check COEFFS TRUTH TARGET TOL: model (c) against the planted coefficients
check() {
	$PY - "$@" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
truth = json.load(open(sys.argv[2]))[sys.argv[3]]
tol = float(sys.argv[4])
bad = []
assert doc["opcount_coeffs"] == 1, "opcount_coeffs"
assert doc["target"] == sys.argv[3], "target %s" % doc["target"]
assert doc["unit"] == ("J" if sys.argv[3] == "energy" else "s"), "unit"
c = doc["models"]["c"]
def near(what, got, want):
    if want == 0:
        ok = got == 0
    else:
        ok = abs(got - want) <= tol * abs(want)
    print("%-24s %.6g planted %.6g%s" % (what, got, want, "" if ok else "  <-- off"))
    if not ok:
        bad.append(what)
for t, v in truth["per_type"].items():
    near(t + " per_flop", c["per_type"][t]["per_flop"], v["per_flop"])
    near(t + " per_byte", c["per_type"][t]["per_byte"], v["per_byte"])
near("per_call", c["per_call"], truth["per_call"])
near("static_w", c["static_w"], truth["static_w"])
for m in "abc":
    for k in ("description", "per_flop", "per_type", "per_call", "static_w", "fit", "cv"):
        assert k in doc["models"][m], "models.%s.%s" % (m, k)
assert doc["cv"]["possible"] is True, "cv.possible"
assert doc["models"]["c"]["cv"]["mape"] < doc["models"]["a"]["cv"]["mape"], "c not better than a"
assert len(doc["runs"]) == len(json.load(open(sys.argv[2]))["runs"]), "runs"
if bad:
    sys.exit("off: " + ", ".join(bad))
EOF
}

# ---- energy, 5% noise --------------------------------------------------------
mkdir "$tmp/noisy"
"$SYNTH" --write-synth "$tmp/noisy" --noise 0.05 --intervals 1000 --seed 3 ||
	fail "cannot write the synthetic traces"
"$OPC" fit "$tmp"/noisy/run-*.opc -o "$tmp/noisy/coeffs.json" --plot "$tmp/noisy/fit.png" \
	>"$tmp/noisy/table.txt" 2>"$tmp/noisy/err.txt" ||
	fail "fit exited $?: $(cat "$tmp/noisy/err.txt")"
check "$tmp/noisy/coeffs.json" "$tmp/noisy/truth.json" energy 0.05 ||
	fail "planted energy coefficients not recovered within 5% with 5% noise"
grep -q "^opcount fit: target energy" "$tmp/noisy/table.txt" || fail "the table does not name the target"
grep -q "^energy source: rapl (measured)" "$tmp/noisy/table.txt" || fail "the table does not name the source"
grep -q "^verdict: per-type FLOPs+bytes (c) predicts the energy of unseen runs with MAPE .* better" \
	"$tmp/noisy/table.txt" || fail "no verdict in favour of (c): $(grep verdict "$tmp/noisy/table.txt")"
grep "^verdict" "$tmp/noisy/table.txt"
"$PY" -c 'import sys; d = open(sys.argv[1], "rb").read(8); sys.exit(d != b"\x89PNG\r\n\x1a\n")' \
	"$tmp/noisy/fit.png" || fail "fit.png is not a PNG"
"$OPC" fit "$tmp"/noisy/run-*.opc --format json --plot "$tmp/noisy/fit.svg" >"$tmp/noisy/stdout.json" ||
	fail "fit --format json exited $?"
cmp -s "$tmp/noisy/stdout.json" "$tmp/noisy/coeffs.json" ||
	fail "--format json and -o do not write the same document"
grep -q "<svg" "$tmp/noisy/fit.svg" || fail "fit.svg is not an SVG"
echo "ok energy: planted coefficients within 5%, plots written"

# ---- time: exact (busy times are whole nanoseconds) ------------------------------
"$OPC" fit "$tmp"/noisy/run-*.opc --target time -o "$tmp/noisy/time.json" >"$tmp/noisy/time.txt" ||
	fail "fit --target time exited $?"
check "$tmp/noisy/time.json" "$tmp/noisy/truth.json" time 1e-5 ||
	fail "planted time coefficients not recovered"
grep -q "^opcount fit: target time" "$tmp/noisy/time.txt" || fail "the time table does not say time"
grep -q "^energy source: rapl (measured), not used by a time fit" "$tmp/noisy/time.txt" ||
	fail "the time table does not name the energy source"
echo "ok time: planted coefficients recovered"

# ---- the estimate source is labelled ---------------------------------------------
mkdir "$tmp/est"
"$SYNTH" --write-synth "$tmp/est" --runs 3 --intervals 100 --estimate || fail "synth --estimate"
"$OPC" fit "$tmp"/est/run-*.opc -o "$tmp/est/coeffs.json" >"$tmp/est/table.txt" ||
	fail "fit of estimate traces exited $?"
grep -q "^energy source: estimate (NOT measured)" "$tmp/est/table.txt" ||
	fail "the table does not say the estimate is not measured"
"$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(not (d["energy_source"] == "estimate" and d["energy_measured"] is False))' \
	"$tmp/est/coeffs.json" || fail "COEFFS.json does not say estimate, not measured"
echo "ok estimate: labelled NOT measured"

# ---- two runs: fitted, no cross-validation ---------------------------------------
mkdir "$tmp/two"
"$SYNTH" --write-synth "$tmp/two" --runs 2 --intervals 100 || fail "synth --runs 2"
"$OPC" fit "$tmp"/two/run-*.opc -o "$tmp/two/coeffs.json" >"$tmp/two/table.txt" 2>&1 ||
	fail "fit of two runs exited $?: $(cat "$tmp/two/table.txt")"
grep -q "cross-validation needs at least 3 runs" "$tmp/two/table.txt" ||
	fail "two runs: no word that cross-validation is impossible"
"$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(not (d["cv"]["possible"] is False and d["models"]["c"]["cv"] is None and d["model"] == "c"))' \
	"$tmp/two/coeffs.json" || fail "two runs: COEFFS.json cv is not marked impossible"
echo "ok two runs: fitted, cross-validation impossible and said so"
