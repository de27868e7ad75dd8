#!/bin/sh
# html_report.sh - `opcount report --format html` and `--format roofline`:
# every number in the pictures is the JSON report's.
#
#   energy, layers    the MLP example under a synthetic powercap tree of
#                     known power (package 40 W + dram 8 W): the page's
#                     embedded JSON (#opcount-report, #opcount-report-layer)
#                     equals `--format json` (--by site and --by layer); the
#                     roofline's points (SVG <metadata>, standalone and in
#                     the page) are the rows' numbers exactly, ceilings the
#                     calibration file's; the power timeline's intervals are
#                     48 W (package-0 40 W, dram-0 8 W) within 5% and add up
#                     to the report's energy.total_j
#   no energy, no     examples/cnn without energy nor layers, no calibration:
#   layers            exports, and the page and pictures say what is missing
#   PNG               --format roofline -o FILE.png: a 1100 x 760 PNG
#   hostile names     a trace whose names hold escapes, bytes that are not
#                     UTF-8, its path "</script><script>...": the page is
#                     UTF-8, its JSON the report's, the path opens no script
#                     (in chromium: the page is not changed by it)
#   fit --html        the fit's page: its JSON is `fit --format json`'s, its
#                     plot's points the runs' measured and predicted values;
#                     in chromium the verdict and a row per run
#   errors            -o missing, a roofline not .svg/.png
#   browser           where chromium runs headless: the rendered DOM has the
#                     tables' rows (the hostile trace's names too), no
#                     JavaScript error (the flame graph's too: the energy
#                     flame graph of flame.c is a section of the page);
#                     a screenshot; #sort=table-layer:2
#                     orders the layers by calls, as a click on the header
. "$(dirname "$0")/lib.inc"
FAKE=$B/tests/progs/fake_rapl
PICS="$PY $ROOT/tests/python/check_pictures.py"
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$FAKE" "$B/examples/mlp" "$B/examples/cnn" "$B/bench/gentrace" \
	"$B/tests/test_fit"
fake_pid=
on_exit() { [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null; }
# no calibration but the ones named here
export XDG_CONFIG_HOME="$tmp/config" HOME="$tmp/home"

# ---- energy, layers ----------------------------------------------------------
"$FAKE" -r "$tmp/ready" "$tmp/pc" package:0=40 dram:0=8 2>"$tmp/fake.err" &
fake_pid=$!
n=0
while [ ! -e "$tmp/ready" ]; do
	kill -0 "$fake_pid" 2>/dev/null || fail "fake_rapl: $(cat "$tmp/fake.err")"
	n=$((n + 1))
	[ $n -lt 500 ] || fail "fake_rapl: no tree after 5 s"
	sleep 0.01
done
env OPENBLAS_NUM_THREADS=1 OPCOUNT_HZ=100 OPCOUNT_ENERGY=rapl OPCOUNT_POWERCAP_ROOT="$tmp/pc" \
	OPCOUNT_OUTPUT="$tmp/mlp.opc" LD_PRELOAD="$LIB" "$B/examples/mlp" --epochs 30 \
	>"$tmp/mlp.out" 2>&1 || fail "mlp exited $?: $(cat "$tmp/mlp.out")"
kill "$fake_pid"
wait "$fake_pid" 2>/dev/null
fake_pid=

cat >"$tmp/cal.json" <<'EOF'
{ "opcount_calibration": 1, "date": "2026-01-01T00:00:00Z", "cpu": "Test CPU", "threads": 4,
  "compute": { "gflops": 100.5, "gflops_1thread": 25.25 }, "memory": { "gbps": 20.125 },
  "blas": { "library": "/test/libopenblas.so" } }
EOF
for by in site layer; do
	"$OPC" report "$tmp/mlp.opc" --by $by --format json >"$tmp/$by.json" 2>"$tmp/err" ||
		fail "report --by $by: $(cat "$tmp/err")"
done
[ "$($CHECK get "$tmp/site.json" energy.source)" = rapl ] || fail "the trace has no RAPL energy"
start=$(date +%s%N)
"$OPC" report "$tmp/mlp.opc" --format html -o "$tmp/mlp.html" --calibration "$tmp/cal.json" \
	2>"$tmp/err" || fail "report --format html exited $?: $(cat "$tmp/err")"
ms=$((($(date +%s%N) - start) / 1000000))
ok "html page of the MLP: $(wc -c <"$tmp/mlp.html") bytes in $ms ms"
grep -q 'http-equiv="Content-Security-Policy" content="default-src '"'none'" "$tmp/mlp.html" ||
	bad "the page does not forbid network loads"
grep -Eq '(src|href)="https?:' "$tmp/mlp.html" && bad "the page loads something from the network"
$PICS embedded "$tmp/mlp.html" opcount-report "$tmp/site.json" || bad "embedded report (site)"
$PICS embedded "$tmp/mlp.html" opcount-report-layer "$tmp/layer.json" ||
	bad "embedded report (layer)"
$PICS roofline "$tmp/mlp.html" "$tmp/site.json" "$tmp/cal.json" || bad "the page's roofline"
$PICS roofline "$tmp/mlp.html" "$tmp/layer.json" "$tmp/cal.json" opcount-roofline-layer ||
	bad "the page's roofline of the layers"
$PICS timeline "$tmp/mlp.html" "$tmp/site.json" 48 0.05 package-0=40,dram-0=8 ||
	bad "the page's power timeline"
# --by layer: the rows and the roofline are the layers
"$OPC" report "$tmp/mlp.opc" --by layer --format html -o "$tmp/mlp-layer.html" \
	--calibration "$tmp/cal.json" 2>"$tmp/err" || fail "report --by layer --format html"
$PICS embedded "$tmp/mlp-layer.html" opcount-report "$tmp/layer.json" || bad "embedded (--by layer)"
$PICS roofline "$tmp/mlp-layer.html" "$tmp/layer.json" "$tmp/cal.json" || bad "roofline --by layer"
# the roofline alone, SVG and PNG
"$OPC" report "$tmp/mlp.opc" --format roofline -o "$tmp/roof.svg" --calibration "$tmp/cal.json" \
	2>"$tmp/err" || fail "report --format roofline -o roof.svg: $(cat "$tmp/err")"
$PY -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$tmp/roof.svg" ||
	bad "roof.svg is not well-formed XML"
$PICS roofline "$tmp/roof.svg" "$tmp/site.json" "$tmp/cal.json" || bad "roof.svg's numbers"
"$OPC" report "$tmp/mlp.opc" --format roofline -o "$tmp/roof.png" --calibration "$tmp/cal.json" \
	2>"$tmp/err" || fail "report --format roofline -o roof.png: $(cat "$tmp/err")"
$PICS png "$tmp/roof.png" 1100 760 || bad "roof.png"
# the default calibration file is read when there is one
mkdir -p "$tmp/config/opcount"
cp "$tmp/cal.json" "$tmp/config/opcount/calibration.json"
"$OPC" report "$tmp/mlp.opc" --format roofline -o "$tmp/roof-default.svg" 2>"$tmp/err" ||
	fail "roofline with the default calibration: $(cat "$tmp/err")"
$PICS roofline "$tmp/roof-default.svg" "$tmp/site.json" "$tmp/cal.json" ||
	bad "the default calibration file was not used"
rm -r "$tmp/config/opcount"

# ---- no energy, no layers, no calibration ---------------------------------------
env OPENBLAS_NUM_THREADS=1 OPCOUNT_ENERGY=none OPCOUNT_OUTPUT="$tmp/bare.opc" LD_PRELOAD="$LIB" \
	"$B/tests/progs/blas_calls" >"$tmp/bare.out" 2>&1 ||
	fail "blas_calls exited $?: $(cat "$tmp/bare.out")"
for by in site layer; do
	"$OPC" report "$tmp/bare.opc" --by $by --format json >"$tmp/bare-$by.json" 2>"$tmp/err" ||
		fail "report bare --by $by: $(cat "$tmp/err")"
done
[ "$($CHECK get "$tmp/bare-site.json" totals.energy_j)" = null ] || fail "bare trace has energy"
"$OPC" report "$tmp/bare.opc" --format html -o "$tmp/bare.html" 2>"$tmp/err" ||
	fail "report --format html of a trace without energy or layers: $(cat "$tmp/err")"
$PICS embedded "$tmp/bare.html" opcount-report "$tmp/bare-site.json" || bad "bare: embedded"
$PICS embedded "$tmp/bare.html" opcount-report-layer "$tmp/bare-layer.json" ||
	bad "bare: embedded (layer)"
$PICS roofline "$tmp/bare.html" "$tmp/bare-site.json" - || bad "bare: roofline"
$PICS roofline "$tmp/bare.html" "$tmp/bare-layer.json" - opcount-roofline-layer ||
	bad "bare: roofline of the layers"
$PICS timeline "$tmp/bare.html" "$tmp/bare-site.json" || bad "bare: timeline"
"$OPC" report "$tmp/bare.opc" --format roofline -o "$tmp/bare.svg" 2>"$tmp/err" ||
	fail "roofline of a trace without energy: $(cat "$tmp/err")"
$PICS roofline "$tmp/bare.svg" "$tmp/bare-site.json" - || bad "bare: roof.svg"

# ---- a trace whose every name is hostile: escapes, not UTF-8; in a ------------
# directory whose name closes a <script> and opens another
evil='</script><script>document.documentElement.setAttribute("data-pwned", 1)</script>'
mkdir -p "$tmp/$evil"
"$B/bench/gentrace" -o "$tmp/$evil/h.opc" --keys 20 --intervals 50 --layers 3 --hostile \
	>/dev/null || fail "gentrace --hostile"
"$OPC" report "$tmp/$evil/h.opc" --format html -o "$tmp/hostile.html" 2>"$tmp/err" ||
	fail "report --format html of the hostile trace: $(cat "$tmp/err")"
for by in site layer; do
	"$OPC" report "$tmp/$evil/h.opc" --by $by --format json >"$tmp/hostile-$by.json" \
		2>"$tmp/err" || fail "report hostile --by $by: $(cat "$tmp/err")"
done
$PICS embedded "$tmp/hostile.html" opcount-report "$tmp/hostile-site.json" ||
	bad "hostile: embedded"
$PICS roofline "$tmp/hostile.html" "$tmp/hostile-site.json" - || bad "hostile: roofline"
$PICS timeline "$tmp/hostile.html" "$tmp/hostile-site.json" || bad "hostile: timeline"
grep -q 'data-pwned' "$tmp/hostile.html" || bad "the hostile path is not in the page"
grep -q '<script>document' "$tmp/hostile.html" && bad "the trace's path opens a <script>"

# ---- opcount fit --html -----------------------------------------------------
mkdir -p "$tmp/syn"
"$B/tests/test_fit" --write-synth "$tmp/syn" --runs 4 --intervals 100 --seed 5 >/dev/null ||
	fail "test_fit --write-synth"
"$OPC" fit "$tmp"/syn/run-*.opc --format json >"$tmp/fit.json" 2>"$tmp/err" ||
	fail "fit --format json: $(cat "$tmp/err")"
"$OPC" fit "$tmp"/syn/run-*.opc --html "$tmp/fit.html" >"$tmp/fit.out" 2>"$tmp/err" ||
	fail "fit --html: $(cat "$tmp/err")"
grep -q "page written to $tmp/fit.html" "$tmp/fit.out" || bad "fit does not say where the page went"
$PICS fit "$tmp/fit.html" "$tmp/fit.json" || bad "the fit's page"

# ---- errors -----------------------------------------------------------------
"$OPC" report "$tmp/mlp.opc" --format html 2>"$tmp/err" && bad "html without -o succeeded"
grep -q -- "-o FILE" "$tmp/err" || bad "html without -o: $(cat "$tmp/err")"
"$OPC" report "$tmp/mlp.opc" --format roofline -o "$tmp/roof.pdf" 2>"$tmp/err" &&
	bad "roofline -o roof.pdf succeeded"
grep -q "roof.pdf.*svg or .png" "$tmp/err" || bad "roofline -o roof.pdf: $(cat "$tmp/err")"

# ---- in a browser -----------------------------------------------------------
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
browser() {	# PAGE DOM [SHOT]: the DOM chromium rendered, and a screenshot
	_ud=$tmp/ud
	rm -rf "$_ud"
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$_ud" \
		--virtual-time-budget=5000 --dump-dom "file://$1" >"$2" 2>"$tmp/chromium.err" ||
		return 1
	[ -n "${3:-}" ] || return 0
	rm -rf "$_ud"
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$_ud" \
		--virtual-time-budget=5000 --screenshot="$3" --window-size=1280,2000 "file://$1" \
		>/dev/null 2>>"$tmp/chromium.err"
}
if [ ! -x "$CHROMIUM" ]; then
	why="$CHROMIUM is not installed (Debian package chromium, make test-deps)"
elif ! browser "$tmp/mlp.html" "$tmp/mlp.dom" "$tmp/mlp.png"; then
	why="chromium cannot run headless here: $(grep -v -e dbus -e '^$' "$tmp/chromium.err" |
		tail -n 2)"
else
	why=
	$PICS dom "$tmp/mlp.dom" "$tmp/site.json" "$tmp/layer.json" || bad "the MLP page in chromium"
	$PICS png "$tmp/mlp.png" 1280 2000 || bad "the MLP page's screenshot"
	browser "$tmp/mlp.html#power-at=0.015" "$tmp/at.dom" || bad "chromium, #power-at"
	$PICS power-at "$tmp/at.dom" "$tmp/mlp.html" 0.015 || bad "the power under the pointer"
	browser "$tmp/mlp.html#sort=table-layer:2" "$tmp/sorted.dom" || bad "chromium, #sort"
	$PICS sorted "$tmp/sorted.dom" table-layer "$tmp/layer.json" calls ||
		bad "sorting the layers by calls"
	browser "$tmp/hostile.html" "$tmp/hostile.dom" || bad "chromium on the hostile page"
	$PICS dom "$tmp/hostile.dom" "$tmp/hostile-site.json" "$tmp/hostile-layer.json" ||
		bad "the hostile trace's page in chromium"
	grep -q '<html[^>]*data-pwned' "$tmp/hostile.dom" && bad "the trace's path ran a script"
	browser "$tmp/bare.html" "$tmp/bare.dom" || bad "chromium on the bare page"
	$PICS dom "$tmp/bare.dom" "$tmp/bare-site.json" "$tmp/bare-layer.json" ||
		bad "the bare page in chromium"
	browser "$tmp/fit.html" "$tmp/fit.dom" || bad "chromium on the fit page"
	$PICS fit "$tmp/fit.html" "$tmp/fit.json" "$tmp/fit.dom" || bad "the fit page in chromium"
	ok "chromium rendered the pages without a JavaScript error"
fi
[ "$nbad" -ne 0 ] && finish
if [ -n "$why" ]; then
	echo "every check passed but the browser's; skip: $why"
	exit 77
fi
finish
