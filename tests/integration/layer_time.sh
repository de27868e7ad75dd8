#!/bin/sh
# layer_time.sh - a layer region's own time, outside intercepted calls:
# the "(other ops)" rows, their energy, and the closure of every interval.
#
# tests/progs/region_work runs, under a synthetic 35 W powercap tree:
# net/dense (dgemm for 0.15 s, then 0.10 s of other work), net/act (0.15 s
# of other work: many sampling intervals), net itself (0.05 s), 0.10 s
# asleep outside every region, then a thread in worker (0.10 s) and leak
# (0.05 s, never popped: the thread exits inside it).  It prints each
# region's wall time and the time inside its own BLAS calls.
#
#   time     each region's "(other ops)" row (--by path) holds its wall time
#            less the report's busy time of its calls (1 ms + 2%)
#   energy   each of those rows gets 35 W x its time (3%); named rows
#            (calls and layers) hold all but the sleep and the start
#   closure  calls + layers + outside = measured in every interval
#            (energy.closure.worst_residual below 0.1%), the footer says so
#   spread   the 0.15 s region has its time in >= 10 intervals, none more
#            than its interval: an open region is written at every tick
#   totals   (other ops) rows are not calls: totals are the dgemm's alone
#   inclusive --by path rows give inclusive_busy_s and inclusive_energy_j,
#            the sums of the path's rows and of every path below it
#   none     a program without regions has no (other ops) row
#   stacks   the stacks of region rows (--format folded) end in the
#            program's frames: none of opcount's own (a layer pushed
#            before the first BLAS call once kept opcount_api_layer_push;
#            opc_region_switch; ... in them)
#   torch    a PyTorch CNN trained 20 steps (tests/python/torch_regions.py:
#            the model annotated with opcount_torch, the loss and the
#            optimizer step in regions of their own, nothing else): at
#            least 95% of the loop's energy (35 W x its wall time) is in
#            named rows, calls or layers, not in the outside row
. "$(dirname "$0")/energy_common.inc"
PROG=$B/tests/progs/region_work
FRAMES="$PY $ROOT/tests/python/trace_frames.py"
need "$PROG"

d=$tmp/r
start_fake "$d" package:0=35
env OPENBLAS_NUM_THREADS=1 OPCOUNT_HZ=100 OPCOUNT_POWERCAP_ROOT="$d/pc" OPCOUNT_ENERGY=rapl \
	OPCOUNT_OUTPUT="$d/t.opc" LD_PRELOAD="$LIB" "$PROG" >"$d/out.txt" 2>"$d/err.txt" ||
	fail "region_work exited $?: $(cat "$d/err.txt")"
stop_fake
grep checksum "$d/out.txt" >"$d/sum.lib"
"$PROG" 0.01 | grep checksum >"$d/sum.plain"
cmp -s "$d/sum.lib" "$d/sum.plain" || bad "region_work printed another checksum under the library"
[ -s "$d/err.txt" ] && bad "the library wrote to stderr: $(cat "$d/err.txt")"
"$OPC" report "$d/t.opc" --by path --format json >"$d/path.json" 2>"$d/rep.err" ||
	fail "report --by path exited $?: $(cat "$d/rep.err")"
$CHECK validate "$d/path.json" || fail "report does not follow the JSON contract"
"$OPC" report "$d/t.opc" --by path >"$d/path.txt" 2>&1 || fail "report (table) exited $?"

# the --by path flame graph weighted by time: the root is the whole picture
# (share 1) though its busy time is the calls' (the JSON totals); a note
# says so, with the sum of the top frames (the layers' own time in)
"$OPC" report "$d/t.opc" --by path --format svg --weight time -o "$d/path.svg" 2>"$d/rep.err" ||
	fail "report --by path --format svg exited $?: $(cat "$d/rep.err")"
$PY - "$d/path.svg" "$d/path.json" <<'PYEOF' && ok "flame --by path --weight time: root share 1, its note" || bad "flame root: see above"
import html, json, re, sys
svg, r = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
root = re.search(r'<g class="frame"[^>]*data-name="all"[^>]*>', svg).group(0)
share = float(re.search(r'data-share="([^"]*)"', root).group(1))
busy = float(re.search(r'data-busy-s="([^"]*)"', root).group(1))
note = re.search(r"the root&#39;s busy time, ([0-9.e-]+) s, is the calls&#39; .*? hold ([0-9.e-]+) s", svg)
want = r["totals"]["busy_s"]
assert share == 1.0, share
assert abs(busy - want) <= 1e-12 * max(1, want), (busy, want)
assert note and abs(float(note.group(1)) - want) <= 1e-5 * want, note
# the whole: the top frames' inclusive time, more than the calls'
assert float(note.group(2)) > want, note.group(2)
PYEOF

$PY - "$d/path.json" "$d/out.txt" <<'PYEOF' || nbad=$((nbad + 1))
import json, sys
r = json.load(open(sys.argv[1]))
prog = {}
for line in open(sys.argv[2]):
    w = line.split()
    if w and w[0] == "region":
        prog[w[1]] = (float(w[3]), float(w[5]))
calls = [row for row in r["rows"] if not row.get("other_ops") and not row.get("outside")]
bad = 0

def fail(msg):
    global bad
    print("FAIL: " + msg)
    bad += 1

if len(prog) != 5:
    fail("region_work printed %d regions, expected 5" % len(prog))
for name, (wall, _) in sorted(prog.items()):
    row = [x for x in r["rows"] if x.get("other_ops") and x.get("layer") == name]
    if len(row) != 1:
        fail("%s: %d (other ops) rows, expected 1" % (name, len(row)))
        continue
    row = row[0]
    cb = sum(x["busy_s"] for x in calls if x.get("layer") == name)
    want = wall - cb
    got = row["busy_s"]
    if abs(got - want) > 0.001 + 0.02 * want:
        fail("time: %s (other ops) holds %.6f s; its wall time %.6f s less its calls %.6f s "
             "is %.6f s" % (name, got, wall, cb, want))
    else:
        print("ok time: %s (other ops) %.6f s = wall %.6f s - calls %.6f s" % (name, got, wall, cb))
    if row.get("flops_unknown") is not True or row["flops"] != 0:
        fail("%s (other ops): FLOPs %r, flops_unknown %r: its work is not seen"
             % (name, row["flops"], row.get("flops_unknown")))
    e = row["energy_j"]
    if abs(e - 35 * got) > 0.03 * 35 * got:
        fail("energy: %s (other ops) %.4f J, 35 W x %.6f s = %.4f J" % (name, e, got, 35 * got))
    else:
        print("ok energy: %s (other ops) %.4f J = 35 W x %.6f s (%+.2f%%)"
              % (name, e, got, 100 * (e / (35 * got) - 1)))
en = r["energy"]
cl = en.get("closure", {})
if not cl or cl.get("intervals", 0) < 50 or abs(cl.get("worst_residual", 1)) > 1e-3:
    fail("closure: %r" % cl)
else:
    print("ok closure: %d intervals, worst residual %.3g J (%.2g%%)"
          % (cl["intervals"], cl["worst_residual_j"], 100 * cl["worst_residual"]))
total, outside = en["total_j"], en["outside_j"]
named = (total - outside) / total
dur = en["duration_s"]
# outside: the 0.1 s asleep, the start before the first push, thread start
if named < 1 - (0.1 + 0.03) / dur:
    fail("named rows hold %.1f%% of %.4f J: outside %.4f J is more than the sleep"
         % (100 * named, total, outside))
else:
    print("ok named rows hold %.1f%% of the energy (outside %.4f J: the 0.1 s asleep)"
          % (100 * named, outside))
lay = en.get("layers_j", 0)
ot = sum(x["energy_j"] for x in r["rows"] if x.get("other_ops"))
if abs(lay - ot) > 1e-9 * max(1, lay):
    fail("energy.layers_j %r is not the sum of the (other ops) rows %r" % (lay, ot))
# inclusive (--by path): a path's own rows and every path below it
by_path = {}
for x in r["rows"]:
    if x.get("layer_path"):
        by_path.setdefault(x["layer_path"], []).append(x)
for path in ("net", "net/dense", "net/act", "worker"):
    mine = [x for p, xs in by_path.items() if p == path or p.startswith(path + "/") for x in xs]
    ws, wj = sum(x["busy_s"] for x in mine), sum(x["energy_j"] for x in mine)
    for x in by_path.get(path, []):
        if abs(x.get("inclusive_busy_s", -1) - ws) > 1e-9 or \
                abs(x.get("inclusive_energy_j", -1) - wj) > 1e-9:
            fail("inclusive: %s %s: %r s, %r J; its subtree holds %r s, %r J"
                 % (path, x["op"], x.get("inclusive_busy_s"), x.get("inclusive_energy_j"), ws, wj))
            break
    else:
        print("ok inclusive: %s %.6f s, %.4f J (itself and below)" % (path, ws, wj))
t = r["totals"]
dg = [x for x in calls if x["op"] == "dgemm"]
if len(dg) != 1 or t["calls"] != dg[0]["calls"] or t["flops"] != dg[0]["flops"] or \
        abs(t["busy_s"] - dg[0]["busy_s"]) > 1e-9:
    fail("totals %r are not the dgemm row's alone" % t)
else:
    print("ok totals: %d calls, %d FLOPs, the dgemm's alone" % (t["calls"], t["flops"]))
sys.exit(1 if bad else 0)
PYEOF

grep -q "^# closure: calls .* + layers' own time .* + outside .* measured; worst residual" \
	"$d/path.txt" || bad "the table's footer does not give the closure: $(tail -3 "$d/path.txt")"
grep -q "^# (other ops): " "$d/path.txt" || bad "the table's footer does not explain (other ops)"

# spread: the act region (0.15 s) across the intervals it was open in
"$OPC" report "$d/t.opc" --format folded >"$d/folded" 2>"$d/rep.err" || fail "report --format folded exited $?"
grep -q ';main;opcount_other_ops ' "$d/folded" || bad "stacks: no main;opcount_other_ops stack: $(cat "$d/folded")"
if grep -E ';(opc_|opcount_api)' "$d/folded" >"$d/own"; then
	bad "stacks: opcount's own frames in region stacks: $(head -n 3 "$d/own")"
else
	ok "stacks: region rows' stacks end in the program's frames"
fi
$FRAMES --entries "$d/t.opc" >"$d/entries" || fail "cannot read the trace's entries"
act=$(awk '$1 == "string" && $3 == "act" { s = $2 } $1 == "layer" && $4 == s { print $2 }' "$d/entries")
akey=$(awk -v l="$act" '$1 == "key" && $4 == l && $3 ~ /1..$/ { print $2 }' "$d/entries")
[ -n "$akey" ] || fail "no region key for layer act ($act): $(grep '^key' "$d/entries")"
set -- $(awk -v k="$akey" '$1 == "interval" { len = ($3 - $2) / 1e9 }
	$1 == "entry" && $2 == k && $5 > 0 { n++; if ($5 / 1e9 > len + 0.002) over++ }
	END { print n + 0, over + 0 }' "$d/entries")
if [ "$1" -ge 10 ] && [ "$2" = 0 ]; then
	ok "spread: the 0.15 s region has time in $1 intervals, none beyond its interval"
else
	bad "spread: the 0.15 s region has time in $1 intervals ($2 beyond their length):" \
	    "an open region's time is not written at each tick"
fi

# none: no regions, no (other ops) row
OPENBLAS_NUM_THREADS=1 OPCOUNT_ENERGY=none OPCOUNT_OUTPUT="$tmp/b.opc" LD_PRELOAD="$LIB" \
	"$B/tests/progs/blas_calls" >/dev/null 2>&1 || fail "blas_calls exited $?"
"$OPC" report "$tmp/b.opc" --by layer --format json >"$tmp/b.json" || fail "report of blas_calls"
if grep -q '"other_ops"' "$tmp/b.json"; then
	bad "none: a program without regions has an (other ops) row"
else
	ok "none: no (other ops) row without regions"
fi

# torch: the training loop's energy in named rows
if "$PY" -c "import torch" 2>/dev/null; then
	d=$tmp/torch
	start_fake "$d" package:0=35
	env OPCOUNT_HZ=100 OPCOUNT_POWERCAP_ROOT="$d/pc" OPCOUNT_ENERGY=rapl \
		OPCOUNT_OUTPUT="$d/t.opc" LD_PRELOAD="$LIB" "$PY" "$ROOT/tests/python/torch_regions.py" 20 \
		>"$d/out.txt" 2>"$d/err.txt" || fail "torch_regions.py exited $?: $(tail -5 "$d/err.txt")"
	stop_fake
	"$OPC" report "$d/t.opc" --by path --format json >"$d/r.json" || fail "report of the torch run"
	loop=$(awk '$1 == "loop_s" { print $2 }' "$d/out.txt")
	set -- $($PY -c 'import json, sys
r = json.load(open(sys.argv[1]))
named = sum(x["energy_j"] for x in r["rows"] if not x.get("outside"))
print("%.4f %.4f" % (named, r["energy"]["total_j"]))' "$d/r.json")
	if awk -v n="$1" -v l="$loop" 'BEGIN { s = n / (35 * l); exit !(s >= 0.95 && s <= 1.03) }'; then
		ok "torch: named rows hold $1 J, $(awk -v n="$1" -v l="$loop" 'BEGIN { printf "%.1f", 100 * n / (35 * l) }')% of the loop's 35 W x $loop s (the trace: $2 J)"
	else
		bad "torch: named rows hold $1 J of the loop's 35 W x $loop s: not 95-103%"
	fi
else
	echo "SKIP torch: no PyTorch (python3-torch)"
fi
finish
