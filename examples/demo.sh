#!/bin/sh
# examples/demo.sh - the main job on an example: count a small MLP's
# training under the preload library, then report by layer and by site.
set -e
BUILD=${BUILD:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "== training examples/mlp (3 hidden layers of 64) under libopcount.so"
OPCOUNT_OUTPUT="$out/mlp.opc" LD_PRELOAD="$PWD/$BUILD/libopcount.so" \
	"$BUILD/examples/mlp" --layers 3 --width 64 --epochs 3 | grep -E '^(epoch|analytic_flops)'
echo
echo "== opcount report --by layer"
"$BUILD/opcount" report "$out/mlp.opc" --by layer
echo
echo "== the CNN example (convolution as im2col + GEMM): opcount report --by layer, then --by site"
OPCOUNT_OUTPUT="$out/cnn.opc" LD_PRELOAD="$PWD/$BUILD/libopcount.so" \
	"$BUILD/examples/cnn" --epochs 2 | grep -E '^analytic_flops'
"$BUILD/opcount" report "$out/cnn.opc" --by layer
"$BUILD/opcount" report "$out/cnn.opc" --by site --top 5
