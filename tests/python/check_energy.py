#!/usr/bin/python3
"""check_energy.py - compare the energy in `opcount report --format json`
with the known truth of a synthetic counter (tests/integration/energy_*.sh).

  check_energy.py REPORT.json [options]

Truth per row (the rows that are not nested and not the outside row):
  --power W             every call ran at W watts: truth = W x the row's
                        busy_s
  --layer-power L=W     the calls of layer L ran at W watts (repeatable;
                        with --by layer reports)
  --op-power OP=W       the calls of routine OP ran at W watts (repeatable;
                        for traces without layers, e.g. ptrace mode)
  --program-busy FILE   also show the error against the busy time the
                        program measured itself ("phase K LAYER calls N
                        busy_s B ..." lines of energy_work), for
                        information
Truth of the total:
  --total J             totals.energy_j must be J
  --phases TRUTH --base-watts W
                        the total is the phases >= 1 of fake_rapl's truth
                        file plus W watts for the rest of the trace's
                        duration (before the first phase and the exit)
Other checks:
  --tol PCT             allowed error of every comparison (default 3)
  --source S            energy.source must be S
  --measured true|false energy.measured must be that
  --in-interval         each row's truth lies in its energy_interval_j
  --label TEXT          prefix of every line printed

Always: every energy figure is >= 0, lo <= energy_j <= hi for each row,
and the rows' energy (the outside row included) adds up to the total.

Prints one line per comparison with the relative error; exits 0 when
every check holds, 1 when one does not, 2 on bad usage or input.
"""
import json
import sys


def die(msg, code=2):
    sys.stderr.write("check_energy: %s\n" % msg)
    sys.exit(code)


def num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        die(__doc__.strip())
    path = argv[1]
    opts = {"tol": 3.0, "layer_power": {}, "op_power": {}, "label": ""}
    rest = argv[2:]
    while rest:
        a = rest.pop(0)
        try:
            if a == "--power":
                opts["power"] = float(rest.pop(0))
            elif a == "--layer-power":
                name, w = rest.pop(0).split("=", 1)
                opts["layer_power"][name] = float(w)
            elif a == "--op-power":
                name, w = rest.pop(0).split("=", 1)
                opts["op_power"][name] = float(w)
            elif a == "--program-busy":
                opts["program_busy"] = rest.pop(0)
            elif a == "--total":
                opts["total"] = float(rest.pop(0))
            elif a == "--phases":
                opts["phases"] = rest.pop(0)
            elif a == "--base-watts":
                opts["base_watts"] = float(rest.pop(0))
            elif a == "--tol":
                opts["tol"] = float(rest.pop(0))
            elif a == "--source":
                opts["source"] = rest.pop(0)
            elif a == "--measured":
                opts["measured"] = rest.pop(0) == "true"
            elif a == "--in-interval":
                opts["in_interval"] = True
            elif a == "--label":
                opts["label"] = rest.pop(0) + ": "
            else:
                die("unknown option %s" % a)
        except (IndexError, ValueError):
            die("bad value for %s" % a)
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        die("%s: %s" % (path, e))

    lab = opts["label"]
    tol = opts["tol"]
    bad = []

    def compare(what, got, truth, extra="", note=""):
        err = 100.0 * (got - truth) / truth if truth else float("inf")
        ok = abs(err) <= tol
        print("%s%s: attributed %.4f J, truth %.4f J%s: %+.2f%%%s%s"
              % (lab, what, got, truth, extra, err, "" if ok else "  <-- over %g%%" % tol,
                 note))
        if not ok:
            bad.append("%s off by %+.2f%%" % (what, err))

    e = data.get("energy", {})
    t = data.get("totals", {})
    # every row's energy adds up to the total; the per-call checks below
    # are of calls, not of a layer's own time ("other_ops")
    every = [r for r in data.get("rows", []) if not r.get("nested")]
    rows = [r for r in every if not r.get("other_ops")]
    if "source" in opts and e.get("source") != opts["source"]:
        bad.append("energy.source is %r, expected %r" % (e.get("source"), opts["source"]))
    if "measured" in opts and e.get("measured") is not opts["measured"]:
        bad.append("energy.measured is %r, expected %r" % (e.get("measured"), opts["measured"]))
    total = t.get("energy_j")
    if not num(total):
        die("%s: totals.energy_j is %r: no energy in this report" % (path, total), 1)

    # sanity: never negative, inside its own interval, adds up
    if total < 0:
        bad.append("totals.energy_j is negative: %g" % total)
    if num(e.get("outside_j")) and e["outside_j"] < -1e-9:
        bad.append("energy.outside_j is negative: %g" % e["outside_j"])
    s = 0.0
    for r in every:
        ej = r.get("energy_j")
        name = "layer %s op %s site %s" % (r.get("layer"), r.get("op"), r.get("site"))
        if not num(ej):
            bad.append("%s has no energy_j" % name)
            continue
        s += ej
        if ej < 0:
            bad.append("%s: negative energy %g" % (name, ej))
        iv = r.get("energy_interval_j")
        if not (isinstance(iv, list) and len(iv) == 2 and all(num(x) for x in iv)):
            bad.append("%s: no energy_interval_j" % name)
        elif not (0 <= iv[0] <= ej + 1e-12 and ej <= iv[1] + 1e-12):
            bad.append("%s: energy %g outside its interval %s" % (name, ej, iv))
    if abs(s - total) > 1e-6 * max(1.0, abs(total)):
        bad.append("rows add up to %.6f J but the total is %.6f J" % (s, total))

    prog = {}
    if "program_busy" in opts:
        try:
            with open(opts["program_busy"]) as f:
                for line in f:
                    w = line.split()
                    if len(w) >= 7 and w[0] == "phase" and w[5] == "busy_s":
                        prog[w[2]] = float(w[6])
        except (OSError, ValueError) as ex:
            die("%s: %s" % (opts["program_busy"], ex))

    # per row
    for r in rows:
        if r.get("outside"):
            continue
        watts = None
        if "power" in opts:
            watts, what = opts["power"], "site %s (%s)" % (r.get("site"), r.get("op"))
        elif r.get("layer") in opts["layer_power"]:
            watts, what = opts["layer_power"][r["layer"]], "layer %s (%s)" % (r["layer"], r["op"])
        elif opts["layer_power"]:
            bad.append("row of layer %r op %s has no known power" % (r.get("layer"), r.get("op")))
            continue
        elif r.get("op") in opts["op_power"]:
            watts, what = opts["op_power"][r["op"]], "op %s" % r["op"]
        elif opts["op_power"]:
            bad.append("row of op %s has no known power" % r.get("op"))
            continue
        if watts is None:
            continue
        truth = watts * r["busy_s"]
        extra = " (%g W x busy_s %.6f)" % (watts, r["busy_s"])
        note = ""
        if r.get("layer") in prog:
            pt = watts * prog[r["layer"]]
            note = " [against the program's own busy %.6f s: %+.2f%%]" % (
                prog[r["layer"]], 100.0 * (r["energy_j"] - pt) / pt)
        compare(what, r["energy_j"], truth, extra, note)
        if opts.get("in_interval"):
            lo, hi = r["energy_interval_j"]
            if not lo <= truth <= hi:
                print("%s%s: truth %.4f J outside the interval [%.4f, %.4f]  <--"
                      % (lab, what, truth, lo, hi))
                bad.append("%s: truth outside the reported interval" % what)

    # total
    if "total" in opts:
        compare("total", total, opts["total"])
    if "phases" in opts:
        if "base_watts" not in opts:
            die("--phases needs --base-watts")
        js = ss = 0.0
        try:
            with open(opts["phases"]) as f:
                for line in f:
                    w = line.split()
                    if len(w) == 6 and w[0] == "phase" and int(w[1]) >= 1:
                        ss += float(w[3])
                        js += float(w[5])
        except (OSError, ValueError) as ex:
            die("%s: %s" % (opts["phases"], ex))
        # the time the energy samples cover (baseline to last sample)
        dur = data.get("energy", {}).get("duration_s", 0)
        truth = js + opts["base_watts"] * max(0.0, dur - ss)
        compare("total", total, truth, " (phases %.4f J + %g W x %.4f s)"
                % (js, opts["base_watts"], max(0.0, dur - ss)))

    for b in bad:
        sys.stderr.write("check_energy: %s%s\n" % (lab, b))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
