#!/bin/sh
# predict_errors.sh - `opcount predict` on bad input fails cleanly: a
# non-zero exit that is not a signal (status < 128), nothing on stdout, and
# a message on stderr that says what is wrong and where (the file, the
# layer, the field; near matches of an unknown region).
. "$(dirname "$0")/lib.inc"
ARCH=$ROOT/tests/data/arch
need "$OPC"
cd "$tmp" || exit 1

cat >c.json <<'EOF'
{"opcount_coeffs": 1, "target": "energy", "unit": "J", "energy_source": "rapl",
 "energy_measured": true, "model": "b",
 "models": {"b": {"per_flop": 0, "per_type": {"Linear": {"per_flop": 1e-9, "per_byte": 0}},
                  "per_call": 0, "static_w": 0}}}
EOF

n=0
# expect WANT_STATUS "MESSAGE PART" ARGS...: predict fails with that status
# and the message contains the part (a fixed string)
expect() {
	want=$1 msg=$2
	shift 2
	n=$((n + 1))
	"$OPC" predict "$@" >out.txt 2>err.txt
	rc=$?
	[ $rc -eq "$want" ] || fail "predict $*: exit $rc, expected $want ($(cat err.txt))"
	[ -s out.txt ] && fail "predict $*: printed on stdout: $(cat out.txt)"
	grep -qF -- "$msg" err.txt || fail "predict $*: message '$(cat err.txt)' lacks '$msg'"
	return 0
}

# architecture files: which file, which layer, which field
for f in "$ARCH"/bad-*.json; do
	want=$(sed -n 's/.*"description": "error: \(.*\)".*/\1/p' "$f" | sed 's/\\"/"/g')
	[ -n "$want" ] || fail "$f has no \"description\": \"error: ...\""
	expect 1 "$(basename "$f"): $want" --coeffs c.json --arch "$f"
done
expect 1 "nonexistent.json: cannot open" --coeffs c.json --arch nonexistent.json
printf '{"input": [4],\n  "layers": [{"type": "dense", "units": 2},]}\n' >comma.json
expect 1 "comma.json: line 2, column" --coeffs c.json --arch comma.json
: >empty.json
expect 1 "empty.json: line 1, column 1: not valid JSON" --coeffs c.json --arch empty.json

# coefficient files: which file, which field
printf '{"opcount_coeffs": 1, "target": "energy"' >trunc.json
expect 1 "trunc.json: line 1, column" --coeffs trunc.json --arch "$ARCH/mlp.json"
echo '{"target": "energy"}' >nover.json
expect 1 'nover.json: not a coefficients file' --coeffs nover.json --arch "$ARCH/mlp.json"
sed 's/"per_flop": 1e-9/"per_flop": -1e-9/' c.json >neg.json
expect 1 'neg.json: models.b.per_type.Linear.per_flop: -1e-09' --coeffs neg.json --arch "$ARCH/mlp.json"
sed 's/"per_flop": 1e-9/"per_flop": "x"/' c.json >str.json
expect 1 'str.json: models.b.per_type.Linear.per_flop: expected a number' --coeffs str.json \
	--arch "$ARCH/mlp.json"
expect 1 'c.json: models.c: missing' --coeffs c.json --model c --arch "$ARCH/mlp.json"
# Conv2d unknown to model b, and no "gemm" to fall back on
expect 1 'no coefficients for layer type "Conv2d" (layer conv1)' --coeffs c.json \
	--arch "$ARCH/cnn.json"
sed 's/"energy"/"time"/; s/"J"/"s"/' c.json >time.json
expect 1 'fitted for time' --coeffs time.json --arch "$ARCH/mlp.json"
expect 1 'cannot open' --coeffs missing.json --arch "$ARCH/mlp.json"

# regions
expect 1 'unknown region "FRX" (did you mean FRA (France)' --energy-kwh 1 --region FRX
expect 1 'did you mean gcp:us-central1?' --energy-kwh 1 --region us-central1
expect 1 'did you mean gcp:europe-west9' --energy-kwh 1 --region gcp:europe-wst9
expect 1 'unknown region "Atlantis"' --energy-kwh 1 --region Atlantis
OPCOUNT_DATA_DIR=$tmp/nowhere expect 1 "$tmp/nowhere/grid-carbon-intensity.csv" \
	--energy-kwh 1 --region FRA

# missing or conflicting options
expect 2 'nothing gives energy' --arch "$ARCH/mlp.json"
expect 2 'nothing gives energy'
expect 2 '--coeffs needs --arch' --coeffs c.json
expect 2 '--from-trace needs --trace-inferences' --from-trace x.opc
expect 2 '--train-trace needs --from-trace' --coeffs c.json --arch "$ARCH/mlp.json" \
	--train-trace x.opc --train-trace-samples 3
expect 2 'needs both --samples D and --epochs E' --coeffs c.json --arch "$ARCH/mlp.json" \
	--inferences 10
expect 2 'needs --region R or --intensity G' --energy-kwh 1
expect 2 'does not combine' --energy-kwh 1 --intensity 3 --arch "$ARCH/mlp.json"
expect 2 '--pue: expected a number >= 1' --energy-kwh 1 --intensity 3 --pue 0.5
expect 2 "--conv: unknown path 'cudnn' (onednn, gemm)" --coeffs c.json --arch "$ARCH/mlp.json" --conv cudnn
expect 2 '--torch-threads: expected a whole number >= 1' --coeffs c.json --arch "$ARCH/mlp.json" \
	--torch-threads 0
expect 2 '--conv and --torch-threads choose how --arch is lowered' --energy-kwh 1 --intensity 3 \
	--conv gemm
expect 2 '--samples: expected a whole number >= 0' --coeffs c.json --arch "$ARCH/mlp.json" \
	--samples 2.5 --epochs 1
expect 2 '--intensity: expected a number >= 0' --energy-kwh 1 --intensity -3
expect 2 '--format: unknown format' --energy-kwh 1 --intensity 3 --format xml
expect 2 '--model: expected a, b or c' --coeffs c.json --arch "$ARCH/mlp.json" --model d
expect 2 "unexpected argument 'extra'" --energy-kwh 1 --intensity 3 extra
# a trace that is not one
expect 1 'c.json' --from-trace c.json --trace-inferences 10
echo "ok $n bad inputs refused with a clear message"
