#!/bin/sh
# calibrate.sh - `opcount calibrate` measures this machine and saves a file
# the roofline reads; bad calibration files are refused, naming the file.
#
#   -o FILE       the documented fields: opcount_calibration 1, an ISO date,
#                 the CPU model of /proc/cpuinfo, the online CPUs, the BLAS
#                 library loaded (a file), compute.gflops and gflops_1thread
#                 > 0, memory.gbps > 0, repetitions >= 3
#   default path  $XDG_CONFIG_HOME/opcount/calibration.json, else
#                 $HOME/.config/opcount/calibration.json
#   bad files     missing, not JSON, not a calibration, another version,
#                 no memory.gbps, gflops 0: report --format roofline exits
#                 1 and the message names the file and what is wrong
#   --blas        a library that is not there: exit 1, named
. "$(dirname "$0")/lib.inc"
need_py "the JSON checks need it"
need "$OPC" "$B/tests/progs/blas_calls"
export XDG_CONFIG_HOME="$tmp/xdg" HOME="$tmp/home"

"$OPC" calibrate -o "$tmp/cal.json" >"$tmp/out" 2>"$tmp/err" ||
	fail "calibrate exited $?: $(cat "$tmp/err")"
cat "$tmp/out"
cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1)
$PY - "$tmp/cal.json" "${cpu:-unknown}" "$(getconf _NPROCESSORS_ONLN)" <<'PYEOF' || bad "calibration file"
import json, os, re, sys
c = json.load(open(sys.argv[1]))
bad = []
def want(ok, what):
    if not ok:
        bad.append(what)
        print("FAIL:", what)
want(c["opcount_calibration"] == 1, "version")
want(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", c["date"]), "date %r" % c["date"])
want(c["cpu"] == sys.argv[2], "cpu %r, /proc/cpuinfo %r" % (c["cpu"], sys.argv[2]))
want(c["cores"] == int(sys.argv[3]), "cores %r" % c["cores"])
want(c["threads"] == int(sys.argv[3]), "threads %r" % c["threads"])
want(os.path.isfile(c["blas"]["library"]), "blas.library %r" % c["blas"]["library"])
for k in ("gflops", "gflops_1thread"):
    v = c["compute"][k]
    want(isinstance(v, float) and v > 0, "compute.%s %r" % (k, v))
want(isinstance(c["memory"]["gbps"], float) and c["memory"]["gbps"] > 0, "memory.gbps")
want(c["compute"]["repetitions"] >= 3 and c["memory"]["repetitions"] >= 3, "repetitions")
want(c["memory"]["array_bytes"] >= 64 << 20, "arrays of 64 MiB at least")
want(c["statistic"] == "median of repetitions", "statistic")
print("calibration: %.2f GFLOP/s (%.2f on one thread), %.2f GB/s, %s" %
      (c["compute"]["gflops"], c["compute"]["gflops_1thread"], c["memory"]["gbps"],
       c["blas"]["library"]))
sys.exit(1 if bad else 0)
PYEOF
grep -q "saved to $tmp/cal.json" "$tmp/out" || bad "calibrate does not say where it saved"

# the default places: what report --format roofline reads without --calibration
cp "$tmp/cal.json" "$tmp/c0.json"
"$OPC" calibrate >/dev/null 2>"$tmp/err" || fail "calibrate (XDG): $(cat "$tmp/err")"
[ -s "$tmp/xdg/opcount/calibration.json" ] || bad "no \$XDG_CONFIG_HOME/opcount/calibration.json"
env -u XDG_CONFIG_HOME "$OPC" calibrate >/dev/null 2>"$tmp/err" ||
	fail "calibrate (HOME): $(cat "$tmp/err")"
[ -s "$tmp/home/.config/opcount/calibration.json" ] || bad "no ~/.config/opcount/calibration.json"

# bad files, through the roofline that reads them
OPCOUNT_ENERGY=none OPCOUNT_OUTPUT="$tmp/t.opc" LD_PRELOAD="$B/libopcount.so" \
	"$B/tests/progs/blas_calls" >/dev/null 2>&1 || fail "blas_calls under the library"
refused() {	# FILE WHAT: report --format roofline --calibration FILE fails saying WHAT
	"$OPC" report "$tmp/t.opc" --format roofline -o "$tmp/r.svg" --calibration "$1" \
		2>"$tmp/err" && { bad "$1 was accepted"; return; }
	grep -q "$1: .*$2" "$tmp/err" && ok "$(basename "$1") refused: $(cat "$tmp/err")" ||
		bad "$1: the message does not name the file and '$2': $(cat "$tmp/err")"
}
refused "$tmp/none.json" "No such file"
printf '{ "opcount_calibration": 1, ' >"$tmp/cut.json"
refused "$tmp/cut.json" "not a calibration file"
echo '{ "gflops": 10 }' >"$tmp/other.json"
refused "$tmp/other.json" "opcount_calibration"
sed 's/"opcount_calibration":1/"opcount_calibration":2/' "$tmp/c0.json" >"$tmp/v2.json"
refused "$tmp/v2.json" "version 2"
$PY -c 'import json,sys; c=json.load(open(sys.argv[1])); del c["memory"]["gbps"]; json.dump(c, open(sys.argv[2], "w"))' \
	"$tmp/c0.json" "$tmp/nogbps.json"
refused "$tmp/nogbps.json" "memory.gbps"
$PY -c 'import json,sys; c=json.load(open(sys.argv[1])); c["compute"]["gflops"]=0; json.dump(c, open(sys.argv[2], "w"))' \
	"$tmp/c0.json" "$tmp/zero.json"
refused "$tmp/zero.json" "compute.gflops"
# a bad default file is an error too, not a missing one
mkdir -p "$tmp/xdg/opcount"
cp "$tmp/cut.json" "$tmp/xdg/opcount/calibration.json"
"$OPC" report "$tmp/t.opc" --format roofline -o "$tmp/r.svg" 2>"$tmp/err" &&
	bad "a bad default calibration file was accepted"
grep -q "$tmp/xdg/opcount/calibration.json: " "$tmp/err" || bad "default file: $(cat "$tmp/err")"

"$OPC" calibrate --blas "$tmp/nolib.so" -o "$tmp/x.json" 2>"$tmp/err" &&
	bad "calibrate --blas of a missing library succeeded"
grep -q "nolib.so" "$tmp/err" || bad "--blas: $(cat "$tmp/err")"
finish
