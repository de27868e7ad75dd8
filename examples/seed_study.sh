#!/bin/sh
# examples/seed_study.sh - reproduce the seed study's experiments with the
# C examples, then fit cost coefficients and compare with its findings.
#
#   sh examples/seed_study.sh [--quick] [OUTDIR]
#
# Experiments (examples/mlp and examples/cnn under `opcount record`):
#   1. training-set size sweep        4. depth x width sweep
#   2. epoch sweep                    5. deep vs wide at equal parameters
#   3. inference vs training          6. convolutional vs dense at equal parameters
# Each run's trace gives its FLOPs, time and energy; examples/seed_study.py
# prints one table per finding with "agrees?" and then `opcount fit`
# compares FLOPs-only with per-type models on unseen runs.  --quick is the
# reduced sweep `make test` runs (a few seconds); the full sweep takes
# about ten seconds on two cores.
set -eu
BUILD=${BUILD:-build}
quick=0
if [ "${1:-}" = "--quick" ]; then
	quick=1
	shift
fi
out=${1:-seed-study}
mkdir -p "$out"
OPC=$BUILD/opcount
MLP=$BUILD/examples/mlp
CNN=$BUILD/examples/cnn
# One BLAS thread: the study's question is how the work scales, and a
# second thread only adds scheduling noise on a shared two-core machine.
export OPENBLAS_NUM_THREADS=1
: >"$out/runs.tsv"

run() {	# NAME EXPERIMENT PROGRAM ARGS...
	name=$1 exp=$2
	shift 2
	"$OPC" record -o "$out/$name.opc" -- "$@" >"$out/$name.out" 2>"$out/$name.err" || {
		echo "seed_study: $name failed: $(tail -n 3 "$out/$name.err")" >&2
		exit 1
	}
	printf '%s\t%s\t%s\n' "$name" "$exp" "$*" >>"$out/runs.tsv"
}

# Runs are sized so that the BLAS work, not the process start-up, makes
# most of each run's energy.
if [ $quick = 1 ]; then
	sizes="1024 2048 4096"; epochs="1 2 4"; widths="25 100"; depths="10 40"
else
	sizes="1024 2048 4096 8192 16384"; epochs="1 2 4 8"; widths="25 50 100"
	depths="10 40 100 170"
fi

for n in $sizes; do
	run "size-$n" size "$MLP" --quiet --layers 4 --width 256 --samples "$n" --epochs 1
done
for e in $epochs; do
	run "epochs-$e" epochs "$MLP" --quiet --layers 4 --width 256 --samples 1024 --epochs "$e"
done
run infer-mlp infer "$MLP" --quiet --layers 4 --width 256 --samples 4096 --epochs 1 --infer
run train-mlp train "$MLP" --quiet --layers 4 --width 256 --samples 4096 --epochs 1
run infer-cnn infer "$CNN" --quiet --filters 16 --samples 2048 --epochs 1 --infer
run train-cnn train "$CNN" --quiet --filters 16 --samples 2048 --epochs 1
for w in $widths; do
	for d in $depths; do
		run "dw-$d-$w" depth_width "$MLP" --quiet --layers "$d" --width "$w" --samples 2048 --epochs 1
	done
done
# Equal trainable parameters (inputs 32, outputs 10): params(L, W) =
# 33W + (L-1)(W^2 + W) + 10W + 10.  Deep: L=16, W=32 -> 17226; wide:
# L=1, W=400 -> 17210.
run deep equal_params "$MLP" --quiet --layers 16 --width 32 --samples 8192 --epochs 1
run wide equal_params "$MLP" --quiet --layers 1 --width 400 --samples 8192 --epochs 1
# Convolutional vs dense at equal parameters on 12x12 images, 4 classes:
# cnn (8 filters 3x3, dense head) has 8*9+8 + 8*6*6*4+4 = 1236; an MLP
# with 144 inputs, one hidden layer of 8 and 4 outputs has 1196.
run conv conv_dense "$CNN" --quiet --samples 4096 --epochs 1
run dense conv_dense "$MLP" --quiet --inputs 144 --outputs 4 --layers 1 --width 8 --samples 4096 --epochs 1

for f in "$out"/*.opc; do
	"$OPC" report "$f" --by op --format json >"${f%.opc}.json"
done
/usr/bin/python3 "$(dirname "$0")/seed_study.py" "$out"
if "$OPC" fit --help >/dev/null 2>&1; then
	echo
	echo "== opcount fit: do FLOPs predict the energy of unseen runs?"
	"$OPC" fit "$out"/*.opc -o "$out/coeffs.json" --plot "$out/fit.svg" || true
fi
