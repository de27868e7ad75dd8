#!/bin/sh
# browser_flame.sh - the pictures of report (--format svg, --format
# perfetto) opened in a real browser, headless Chromium, and their numbers
# compared with --format json (tests/browser/browser_check.py says how).
#
# tests/progs/region_work (layers net/dense, net/act, net, worker, leak;
# dgemm calls with their stacks) runs under a synthetic 35 W powercap tree.
#   stack     --by stack --format svg: a frame per frame of --by stack
#             --format json, every data-* attribute the JSON's text; FLOPs,
#             bytes, calls of a parent the sums of its children's; the
#             root's FLOPs and bytes the --by site report's totals
#   path      --by path --format svg: path frames carry the JSON rows'
#             inclusive_busy_s and inclusive_energy_j, a leaf per row
#   zoom      svg#zoom=1 shows frame 1 across the plot, hides the rest
#   shot      a screenshot: a PNG
#   embed     both SVGs inline in one HTML page: each script runs on its own
#   timeline  --format perfetto -o FILE: tests/browser/perfetto_check.html
#             parses it in the browser (its counts are the file's);
#             check_perfetto.py: slices nest on every track, the call
#             slices' FLOPs, bytes and calls are the report's totals, their
#             time its busy_s; timestamps are real time
#   missing   a synthetic trace (bench/gentrace) without energy, stacks and
#             layers, and one without calls, still export, and the
#             pictures say what is missing (SVG text, timeline metadata)
#   hostile   a trace whose every name holds escape sequences, quotes,
#             line breaks and bytes that are not UTF-8 (gentrace --hostile):
#             each SVG is well-formed XML the browser runs, the timeline JSON
#   wide      --by key of 50100 keys: 50000 frames at most (the rest merged,
#             the picture says so), drawn and run by the browser
#   gpu       (where the simulated GPU is built) cuBLAS work on a "GPU 0"
#             track, its FLOPs the report's
#   ranks     two ranks of a job (Open MPI's variables, examples/mlp run
#             at once): two processes named with their rank, each one's
#             events within its own trace's real time, sums exact
#   options   --by stack with a table, --weight bogus: exit 2; -o into a
#             directory that does not exist: exit 1, a message
# No script error may reach the browser's console in any of them.
. "$(dirname "$0")/energy_common.inc"
PROG=$B/tests/progs/region_work
GEN=$B/bench/gentrace
BC="$PY $ROOT/tests/browser/browser_check.py"
need "$PROG" "$GEN" "$B/examples/mlp"
command -v chromium >/dev/null 2>&1 ||
	{ echo "skip: chromium is not installed (apt-get install chromium)"; exit 77; }
mkdir -p "$tmp/probe"
timeout 60 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/probe" \
	--dump-dom about:blank >"$tmp/probe.out" 2>"$tmp/probe.err" &&
	grep -q '<html' "$tmp/probe.out" ||
	{ echo "skip: chromium cannot run here: $(tail -n 1 "$tmp/probe.err")"; exit 77; }

d=$tmp/r
start_fake "$d" package:0=35
env OPENBLAS_NUM_THREADS=1 OPCOUNT_HZ=100 OPCOUNT_POWERCAP_ROOT="$d/pc" OPCOUNT_ENERGY=rapl \
	OPCOUNT_OUTPUT="$d/t.opc" LD_PRELOAD="$LIB" "$PROG" >"$d/out.txt" 2>"$d/err.txt" ||
	fail "region_work exited $?: $(cat "$d/err.txt")"
stop_fake

rep() {	# OUT ARGS...: report of the trace into OUT (-o), or fail
	_o=$1
	shift
	"$OPC" report "$d/t.opc" "$@" -o "$_o" 2>"$d/rep.err" ||
		fail "report $* exited $?: $(cat "$d/rep.err")"
}
rep "$d/stack.svg" --by stack --format svg
rep "$d/stack.json" --by stack --format json
rep "$d/site.json" --format json
rep "$d/path.svg" --by path --format svg
rep "$d/path.json" --by path --format json
rep "$d/run.json" --format perfetto

$BC stack "$d/stack.svg" "$d/stack.json" "$d/site.json" && ok "stack" || bad "stack"
$BC path "$d/path.svg" "$d/path.json" && ok "path" || bad "path"
$BC zoom "$d/path.svg" 1 && ok "zoom" || bad "zoom"
$BC shot "$d/stack.svg" "$d/stack.png" && ok "shot" || bad "shot"
$BC embed "$d/stack.svg" "$d/path.svg" && ok "embed" || bad "embed"
$BC timeline "$ROOT/tests/browser/perfetto_check.html" "$d/run.json" &&
	$PY "$ROOT/tests/browser/check_perfetto.py" "$d/run.json" "$d/site.json" &&
	ok "timeline" || bad "timeline"
# the layers were recorded: the timeline has their slices
grep -q '"cat":"layer","name":"net/dense"' "$d/run.json" || bad "no net/dense layer slice"

# ---- missing: no energy, no stacks, no layers; no calls ----
m=$tmp/m
mkdir -p "$m"
"$GEN" -o "$m/bare.opc" --keys 20 --intervals 30 --per-interval 5 --layers 0 --no-energy \
	>/dev/null || fail "gentrace exited $?"
"$GEN" -o "$m/empty.opc" --keys 0 --intervals 3 --no-energy >/dev/null ||
	fail "gentrace --keys 0 exited $?"
for t in bare empty; do
	for a in "stack svg" "stack json" "path svg" "site svg" "site json"; do
		set -- $a
		"$OPC" report "$m/$t.opc" --by "$1" --format "$2" -o "$m/$t.$1.$2" 2>"$m/err" ||
			bad "$t: report --by $1 --format $2 exited $?: $(cat "$m/err")"
	done
	"$OPC" report "$m/$t.opc" --format perfetto -o "$m/$t.tl.json" 2>"$m/err" ||
		bad "$t: report --format perfetto exited $?: $(cat "$m/err")"
done
$BC note "$m/bare.stack.svg" "energy: not measured" "widths are busy time" \
	"call stacks were not recorded" && ok "missing: stack svg says so" || bad "missing: stack svg"
$BC note "$m/bare.path.svg" "energy: not measured" "no layers in this trace" &&
	ok "missing: path svg says so" || bad "missing: path svg"
$BC stack "$m/bare.stack.svg" "$m/bare.stack.json" "$m/bare.site.json" &&
	ok "missing: stack numbers" || bad "missing: stack numbers"
$BC note "$m/empty.stack.svg" "no intercepted calls" && ok "missing: no calls" ||
	bad "missing: no calls"
$BC timeline "$ROOT/tests/browser/perfetto_check.html" "$m/bare.tl.json" &&
	$PY "$ROOT/tests/browser/check_perfetto.py" "$m/bare.tl.json" "$m/bare.site.json" &&
	ok "missing: timeline" || bad "missing: timeline"
$PY - "$m/bare.tl.json" "$m/empty.tl.json" <<'EOF' && ok "missing: timeline metadata" ||
import json, sys
bare = json.load(open(sys.argv[1]))["metadata"]["traces"][0]["missing"]
empty = json.load(open(sys.argv[2]))
want = ["energy:", "layers:", "stacks:"]
got = [w for w in want if not any(m.startswith(w) for m in bare)]
if got:
    sys.exit("FAIL: the timeline's metadata does not say %s is missing: %r" % (got, bare))
if any(e["ph"] == "X" for e in empty["traceEvents"]):
    sys.exit("FAIL: a trace without calls has slices")
EOF
	bad "missing: timeline metadata"

# ---- hostile names ----
"$GEN" -o "$m/hostile.opc" --keys 30 --intervals 10 --per-interval 5 --layers 4 --hostile \
	>/dev/null || fail "gentrace --hostile exited $?"
"$OPC" report "$m/hostile.opc" --format json -o "$m/hostile.json" || bad "hostile: json"
for by in stack path site; do
	"$OPC" report "$m/hostile.opc" --by $by --format svg -o "$m/hostile.$by.svg" ||
		bad "hostile: --by $by --format svg exited $?"
	$PY -c "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])" \
		"$m/hostile.$by.svg" || bad "hostile: --by $by: not well-formed XML"
	$BC note "$m/hostile.$by.svg" "opcount flame graph" >/dev/null ||
		bad "hostile: --by $by: the browser did not run it"
done
"$OPC" report "$m/hostile.opc" --format perfetto -o "$m/hostile.tl.json" &&
	$PY "$ROOT/tests/browser/check_perfetto.py" "$m/hostile.tl.json" "$m/hostile.json" \
	>/dev/null && ok "hostile" || bad "hostile: timeline"

# ---- wide: more rows than frames ----
"$GEN" -o "$m/wide.opc" --keys 50100 --intervals 10 --per-interval 5010 --layers 0 \
	>/dev/null || fail "gentrace (wide) exited $?"
"$OPC" report "$m/wide.opc" --by key --format svg -o "$m/wide.svg" || bad "wide: exited $?"
[ "$(grep -c '<g class="frame"' "$m/wide.svg")" -eq 50000 ] || bad "wide: not 50000 frames"
$BC note "$m/wide.svg" "more than 50000 frames" >/dev/null && ok "wide" || bad "wide"

# ---- a GPU's track (the simulated GPU, where make test built it) ----
if [ -x "$B/tests/gpu/cublas_loop" ]; then
	FAKEGPU_LAUNCH_NS=20000 OPCOUNT_OUTPUT="$m/g.opc" LD_PRELOAD="$LIB" \
		"$B/tests/gpu/cublas_loop" 50 >/dev/null 2>"$m/g.err" ||
		fail "cublas_loop exited $?: $(cat "$m/g.err")"
	"$OPC" report "$m/g.opc" --format json -o "$m/g.json" &&
		"$OPC" report "$m/g.opc" --format perfetto -o "$m/g.tl.json" &&
		$PY "$ROOT/tests/browser/check_perfetto.py" "$m/g.tl.json" "$m/g.json" >/dev/null &&
		grep -q '"name":"GPU 0"' "$m/g.tl.json" &&
		grep -q '"tid":2130706432,"ts"' "$m/g.tl.json" && ok "gpu" || bad "gpu: no GPU 0 track"
else
	echo "(no simulated GPU built: the GPU track is not checked)"
fi

# ---- ranks ----
k=$tmp/k
mkdir -p "$k"
for r in 0 1; do
	OMPI_COMM_WORLD_RANK=$r OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_LOCAL_RANK=$r \
		OPCOUNT_OUTPUT="$k/job.opc" LD_PRELOAD="$LIB" "$B/examples/mlp" >/dev/null 2>&1 &
done
wait
"$OPC" report "$k/job.rank0.opc" "$k/job.rank1.opc" --format json -o "$k/rep.json" &&
	"$OPC" report "$k/job.rank0.opc" "$k/job.rank1.opc" --format perfetto -o "$k/tl.json" ||
	fail "report of two ranks exited $?"
$PY "$ROOT/tests/browser/check_perfetto.py" "$k/tl.json" "$k/rep.json" >/dev/null &&
	[ "$(grep -c '"process_name".*rank [01])' "$k/tl.json")" -eq 2 ] && ok "ranks" ||
	bad "ranks: not two processes named by rank, or numbers off"

# ---- options ----
"$OPC" report "$d/t.opc" --by stack >/dev/null 2>&1
[ $? -eq 2 ] || bad "--by stack with a table did not exit 2"
"$OPC" report "$d/t.opc" --format svg --weight bogus >/dev/null 2>&1
[ $? -eq 2 ] || bad "--weight bogus did not exit 2"
"$OPC" report "$d/t.opc" --format svg --weight flops -o "$d/flops.svg" &&
	grep -q 'data-weight="flops"' "$d/flops.svg" || bad "--weight flops"
"$OPC" report "$d/t.opc" -o "$tmp/no/such/dir.txt" >/dev/null 2>"$tmp/o.err"
[ $? -eq 1 ] && grep -q "no/such/dir.txt" "$tmp/o.err" || bad "-o into a missing directory"
"$OPC" report "$d/t.opc" --by path -o "$d/path.txt" && grep -q "net/dense" "$d/path.txt" ||
	bad "-o with a table"
finish
