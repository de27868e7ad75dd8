#!/bin/sh
# predict_steps.sh - `opcount predict --from-trace TRACE --steps TOTAL`: a
# training run extrapolated from a trace of its first steps.
#
# tests/progs/step_work runs 8 steps of known durations (0.3 s of warm-up,
# then 0.10 0.12 0.14 0.10 0.12 0.14 0.10 s) in a region "step", under a
# synthetic powercap tree at a constant 50 W, at OPCOUNT_HZ=100:
#   steps     8 seen, --skip 1 leaves 7; each step's time within 2.5
#             intervals of the program's own clock (a boundary is placed
#             within its interval), its energy 50 W x its time (1% + 0.05
#             J), the mean within 0.008 s of the program's
#   total     seen + (TOTAL - seen) x mean, the range with the mean
#             replaced by mean -+ t(0.975, n-1) sd / sqrt(n), recomputed
#             here from the per-step numbers; CO2eq = J x PUE x intensity;
#             the estimate within 3% of 50 W x the program's durations
#   machine   host and cpu of the trace, energy measured by rapl
#   errors    no such region (the trace's regions listed), --step-layer,
#             TOTAL below the steps seen, fewer than 2 steps after --skip,
#             --steps without --from-trace or with --arch; a trace without
#             energy gives time only and says so
. "$(dirname "$0")/energy_common.inc"
STEP=$B/tests/progs/step_work
need "$STEP"
DUR="0.3 0.1 0.12 0.14 0.1 0.12 0.14 0.1"

steps_run() {	# DIR ENERGY [step_work args...]
	_d=$1
	_e=$2
	shift 2
	env OPCOUNT_HZ=100 OPCOUNT_ENERGY=$_e OPCOUNT_POWERCAP_ROOT="$_d/pc" \
		OPCOUNT_OUTPUT="$_d/t.opc" LD_PRELOAD="$LIB" "$STEP" "$@" \
		>"$_d/out.txt" 2>"$_d/err.txt" || fail "$_d: step_work exited $?: $(cat "$_d/err.txt")"
}

d=$tmp/rapl
start_fake "$d" package:0=50
steps_run "$d" rapl $DUR
stop_fake
"$OPC" predict --from-trace "$d/t.opc" --steps 100 --skip 1 --intensity 50 --pue 1.2 \
	--format json >"$d/p.json" 2>"$d/p.err" || fail "predict exited $?: $(cat "$d/p.err")"
"$OPC" predict --from-trace "$d/t.opc" --steps 100 --skip 1 >"$d/p.txt" 2>&1 ||
	fail "predict (table) exited $?: $(cat "$d/p.txt")"
grep -q "^# machine: $(hostname)" "$d/p.txt" && grep -q "^# energy: MEASURED" "$d/p.txt" &&
	ok "table: says the machine and that the energy is measured" ||
	bad "table: no machine or measured line: $(head -4 "$d/p.txt")"

$PY - "$d/p.json" "$d/out.txt" "$(hostname)" <<'PYEOF' || bad "the JSON checks above"
import json, math, statistics, sys
p = json.load(open(sys.argv[1]))
prog = [float(l.split()[3]) for l in open(sys.argv[2]) if l.startswith("step ")]
host = sys.argv[3]
W, IV, TOTAL, SKIP = 50.0, 0.01, 100, 1
bad = 0
def check(cond, what):
    global bad
    print(("ok " if cond else "FAIL: ") + what)
    bad += not cond
st = p["steps"]
check(p["mode"] == "steps" and st["seen"] == 8 and st["skipped"] == 1 and st["used"] == 7,
      "steps: 8 seen, 1 skipped, 7 used (%s, %s, %s)" % (st["seen"], st["skipped"], st["used"]))
per = st["per_step"]
for i, (x, w) in enumerate(zip(per, prog)):
    check(abs(x["s"] - w) <= 2.5 * IV, "step %d: %.4f s, program %.4f s" % (i, x["s"], w))
    check(abs(x["j"] - W * x["s"]) <= 0.01 * W * x["s"] + 0.05,
          "step %d: %.4f J = 50 W x %.4f s" % (i, x["j"], x["s"]))
used = per[SKIP:]
ms = statistics.mean(x["s"] for x in used)
mj = statistics.mean(x["j"] for x in used)
sj = statistics.stdev(x["j"] for x in used)
ss = statistics.stdev(x["s"] for x in used)
check(abs(st["mean_s"] - ms) < 1e-9 and abs(st["sd_s"] - ss) < 1e-9, "mean and sd of time")
check(abs(st["mean_j"] - mj) < 1e-9 and abs(st["sd_j"] - sj) < 1e-9, "mean and sd of energy")
pm = statistics.mean(prog[SKIP:])
check(abs(st["mean_s"] - pm) <= 0.008, "mean step %.5f s, program %.5f s" % (st["mean_s"], pm))
t = 2.446912  # Student t 0.975, 6 degrees of freedom
check(abs(st["t95"] - t) < 1e-3, "t95 %.4f for 6 degrees" % st["t95"])
seen_j = sum(x["j"] for x in per)
seen_s = sum(x["s"] for x in per)
rest = TOTAL - 8
e = p["run_energy"]
hw = st["t95"] * sj / math.sqrt(7)
for name, got, want in (("estimate", e["it_j"], seen_j + rest * mj),
                        ("low", e["low"]["it_j"], seen_j + rest * (mj - hw)),
                        ("high", e["high"]["it_j"], seen_j + rest * (mj + hw)),
                        ("time", p["run_time"]["s"], seen_s + rest * ms),
                        ("time high", p["run_time"]["high"],
                         seen_s + rest * (ms + st["t95"] * ss / math.sqrt(7)))):
    check(abs(got - want) <= 1e-9 * want, "run %s %.6g, formula %.6g" % (name, got, want))
check(abs(e["j"] - 1.2 * e["it_j"]) <= 1e-9 * e["j"], "PUE 1.2 applied")
check(abs(e["co2eq_g"] - e["j"] / 3.6e6 * 50) <= 1e-9 * e["co2eq_g"], "CO2eq at 50 g/kWh")
truth = W * (sum(prog) + rest * pm)
check(abs(e["it_j"] - truth) <= 0.03 * truth, "run %.2f J, 50 W x the program's steps %.2f J"
      % (e["it_j"], truth))
check(p["machine"]["host"] == host and p["machine"]["cpu"], "machine %s" % p["machine"])
tr = p["training_trace"]
check(tr["energy_source"] == "rapl" and tr["energy_measured"] is True and p["estimated"] is False,
      "energy measured by rapl")
sys.exit(1 if bad else 0)
PYEOF

# ---- errors ---------------------------------------------------------------
expect_err() {	# WHAT RC PATTERN predict-args...
	_w=$1
	_rc=$2
	_p=$3
	shift 3
	"$OPC" predict "$@" >"$tmp/e.out" 2>&1
	_got=$?
	if [ $_got -eq "$_rc" ] && grep -q -- "$_p" "$tmp/e.out"; then
		ok "error: $_w"
	else
		bad "error: $_w: exit $_got (want $_rc), output: $(cat "$tmp/e.out")"
	fi
}
expect_err "TOTAL below the steps seen" 1 "already has 8 steps" \
	--from-trace "$d/t.opc" --steps 5
expect_err "fewer than 2 steps after --skip" 1 "at least 2 after --skip 7" \
	--from-trace "$d/t.opc" --steps 100 --skip 7
expect_err "no such region" 1 "no layer region named 'iter'.*the trace has: step" \
	--from-trace "$d/t.opc" --steps 100 --step-layer iter
expect_err "--steps without --from-trace" 2 "give it with --from-trace" --steps 100
expect_err "--steps with --arch" 2 "does not combine" \
	--from-trace "$d/t.opc" --steps 100 --arch "$tmp/model.json"
expect_err "--skip without --steps" 2 "go with --from-trace TRACE --steps" \
	--from-trace "$d/t.opc" --trace-inferences 10 --skip 1

# ---- another region name, a trace without energy -----------------------------
d=$tmp/none
mkdir -p "$d"
steps_run "$d" none -l iter 0.1 0.1 0.1
"$OPC" predict --from-trace "$d/t.opc" --steps 30 --step-layer iter --format json \
	>"$d/p.json" 2>"$d/p.err" || fail "predict (no energy) exited $?: $(cat "$d/p.err")"
$PY - "$d/p.json" "$d/out.txt" <<'PYEOF' || bad "no energy: the checks above"
import json, sys
p = json.load(open(sys.argv[1]))
prog = [float(l.split()[3]) for l in open(sys.argv[2]) if l.startswith("step ")]
# 30 steps like the program's 3: its sum + 27 x its mean; the mean's error
# is at most about 2.5 intervals / 3 steps, times 27
want = sum(prog) + 27 * sum(prog) / 3
ok = (p["run_energy"] is None and p["steps"]["seen"] == 3 and p["steps"]["layer"] == "iter"
      and any("time only" in n for n in p["notes"])
      and abs(p["run_time"]["s"] - want) <= 27 * 2.5 * 0.01 / 3)
print(("ok " if ok else "FAIL: ") + "no energy: time only, %s s for 30 steps, program %.4f s, "
      "notes %s" % (p["run_time"]["s"], want, p["notes"]))
sys.exit(0 if ok else 1)
PYEOF
finish
