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
echo
echo "== pictures: this machine's ceilings, then one HTML page per example (build/demo/)"
demo="$BUILD/demo"
mkdir -p "$demo"
"$BUILD/opcount" calibrate -o "$demo/calibration.json"
for ex in mlp cnn; do
	cp "$out/$ex.opc" "$demo/$ex.opc"
	"$BUILD/opcount" report "$demo/$ex.opc" --format html -o "$demo/$ex.html" \
		--calibration "$demo/calibration.json"
	"$BUILD/opcount" report "$demo/$ex.opc" --by layer --format roofline -o "$demo/$ex-roofline.svg" \
		--calibration "$demo/calibration.json"
	echo "$demo/$ex.html: the report of $demo/$ex.opc as one page; $demo/$ex-roofline.svg: its layers' roofline"
done
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
	echo "no screenshots: $CHROMIUM is not installed (Debian package chromium: make test-deps)"
	exit 0
fi
for ex in mlp cnn; do
	rm -rf "$out/ud"
	if timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$out/ud" \
		--virtual-time-budget=5000 --window-size=1280,4800 \
		--screenshot="$PWD/$demo/$ex.png" "file://$PWD/$demo/$ex.html" >"$out/chromium.log" 2>&1 &&
		[ -s "$demo/$ex.png" ]; then
		echo "screenshot: $demo/$ex.png"
	else
		echo "no screenshot of $demo/$ex.html: chromium failed: $(grep -v dbus "$out/chromium.log" | tail -n 1)"
	fi
done
