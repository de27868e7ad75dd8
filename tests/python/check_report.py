#!/usr/bin/python3
"""check_report.py - read `opcount report --format json` output for the
integration tests (tests/integration/*.sh).

Only the documented JSON contract is relied on: totals.{calls, flops, bytes,
busy_s, energy_j}, energy.{source, measured}, and rows[] with op, type,
layer, site, iface, calls, flops, bytes, busy_s, energy_j, nested,
estimated.  Counts are compared as exact integers.

  check_report.py validate REPORT.json
      The object follows the contract, and totals equal the sums of the
      rows that are not nested.
  check_report.py get REPORT.json PATH
      Print one value, e.g. totals.flops or energy.source (null, true and
      false as in JSON).
  check_report.py row REPORT.json MATCH COLUMN
      Print COLUMN of the one row matching MATCH, a comma-separated list of
      FIELD=VALUE (e.g. op=dgesv,nested=true).  Rows are taken as not
      nested unless MATCH says otherwise, and as calls, not a layer's own
      time ("other_ops" rows), unless MATCH names other_ops.  Prints "none" when no row
      matches; exits 3 when several do.
  check_report.py compare REPORT.json FIELD EXPECT.txt [--tag T] [--only]
      [--calls]
      EXPECT.txt holds lines "T NAME FLOPS [CALLS]" (T defaults to
      "expect"); other lines are ignored.  Each NAME must be the FIELD of
      exactly one row that is not nested, with exactly FLOPS (and CALLS,
      with --calls).  --only: no other row may have calls.  Rows of a
      layer's own time ("other_ops") are not calls: left out.
  check_report.py rows REPORT.json FIELD
      Print "FIELD-value calls flops nested iface" per row, for messages.
  check_report.py sum REPORT.json COLUMN
      Print the sum of COLUMN over the rows that are not nested, nor a
      layer's own time unless COLUMN is energy_j (whose sum, the outside
      row and the layers' own time included, is the total energy).

Distributed jobs (opcount report run.rank*.opc): rows carry rank (an
integer, "*" when the row's keys are of several ranks, null for no rank)
and node (a string, "*", or null); traces[] carry rank and node; job is an
object (id, launcher, mixed, world_size, ranks_present, ranks[], slowest_rank,
imbalance, nodes[]) and incomplete, missing_ranks and truncated_ranks sit at
the root.  validate checks their types, that the ranks' calls and FLOPs sum
to the totals and the nodes' energy to the total energy where every trace
is a rank's / on a known node, and that imbalance is max/mean busy time.

Exit status: 0 when the check holds, 1 when it does not (with the reason on
stderr), 2 on bad usage or unreadable JSON.
"""
import json
import sys

IFACES = ("cblas", "fortran", "lapacke", "cublas", "cublaslt", "cudnn", "cudart", "dnnl",
          "region")
SOURCES = ("rapl", "perf", "nvml", "estimate", "none")


def die(msg, code=1):
    sys.stderr.write("check_report: %s\n" % msg)
    sys.exit(code)


def load(path):
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        die("%s: cannot read JSON: %s" % (path, e), 2)
    if not isinstance(data, dict):
        die("%s: top level is not an object" % path)
    return data


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return (isinstance(v, (int, float)) and not isinstance(v, bool))


def validate(data):
    errs = []
    t = data.get("totals")
    if not isinstance(t, dict):
        return ["no totals object"]
    for k in ("calls", "flops", "bytes"):
        if not is_int(t.get(k)) or t[k] < 0:
            errs.append("totals.%s is not a non-negative integer: %r" % (k, t.get(k)))
    if not is_num(t.get("busy_s")) or t["busy_s"] < 0:
        errs.append("totals.busy_s is not a non-negative number: %r" % t.get("busy_s"))
    if "energy_j" not in t or not (t["energy_j"] is None or is_num(t["energy_j"])):
        errs.append("totals.energy_j is missing or not a number/null")
    e = data.get("energy")
    if not isinstance(e, dict):
        errs.append("no energy object")
    else:
        if e.get("source") not in SOURCES:
            errs.append("energy.source is %r, not one of %s" % (e.get("source"), SOURCES))
        srcs = e.get("sources")
        if not isinstance(srcs, list) or not srcs or srcs[0] != e.get("source") or \
                any(x not in SOURCES for x in srcs):
            errs.append("energy.sources is %r: not a list of sources starting with source" % srcs)
        if not isinstance(e.get("measured"), bool):
            errs.append("energy.measured is not a boolean")
        elif e["measured"] and e.get("source") in ("estimate", "none"):
            errs.append("energy.measured is true for source %r" % e.get("source"))
    rows = data.get("rows")
    if not isinstance(rows, list):
        return errs + ["rows is not an array"]
    sums = {"calls": 0, "flops": 0, "bytes": 0}
    for i, r in enumerate(rows):
        where = "rows[%d]" % i
        if not isinstance(r, dict):
            errs.append(where + " is not an object")
            continue
        for k in ("op", "type", "site"):
            if not isinstance(r.get(k), str) or not r[k]:
                errs.append("%s.%s is not a non-empty string: %r" % (where, k, r.get(k)))
        if "layer" not in r or not (r["layer"] is None or isinstance(r["layer"], str)):
            errs.append("%s.layer is missing or neither a string nor null" % where)
        if r.get("outside") is True:
            # energy that no intercepted call used: no routine, no calls
            if r.get("iface") is not None or r.get("calls") != 0 or r.get("flops") != 0:
                errs.append("%s is the outside row but has an iface or calls" % where)
            if not is_num(r.get("energy_j")):
                errs.append("%s is the outside row without energy_j" % where)
            continue
        # "*" is what a row merging several interfaces (--by op) shows
        if r.get("iface") not in IFACES + ("*",):
            errs.append("%s.iface is %r" % (where, r.get("iface")))
        for k in ("calls", "flops", "bytes"):
            if not is_int(r.get(k)) or r[k] < 0:
                errs.append("%s.%s is not a non-negative integer: %r" % (where, k, r.get(k)))
        if not is_num(r.get("busy_s")) or r["busy_s"] < 0:
            errs.append("%s.busy_s is not a non-negative number" % where)
        if "energy_j" not in r or not (r["energy_j"] is None or is_num(r["energy_j"])):
            errs.append("%s.energy_j is missing or not a number/null" % where)
        for k in ("nested", "estimated"):
            if not isinstance(r.get(k), bool):
                errs.append("%s.%s is not a boolean" % (where, k))
        op = r.get("op")
        if isinstance(op, str) and (op.startswith("cblas_") or op.startswith("LAPACKE_")
                                    or op.endswith("_")):
            errs.append("%s.op %r still has its interface decoration" % (where, op))
        # a layer's own time ("other_ops": true, iface "region") is not
        # calls: the totals are the intercepted calls'
        if r.get("other_ops") is not None and (r.get("other_ops") is not True or
                                               r.get("iface") not in ("region", "*")):
            errs.append("%s.other_ops is %r with iface %r" % (where, r.get("other_ops"),
                                                             r.get("iface")))
        if r.get("nested") is False and not r.get("other_ops"):
            for k in sums:
                if is_int(r.get(k)):
                    sums[k] += r[k]
        if "rank" in r and not (r["rank"] is None or r["rank"] == "*" or
                                (is_int(r["rank"]) and r["rank"] >= 0)):
            errs.append("%s.rank is %r" % (where, r["rank"]))
        if "node" in r and not (r["node"] is None or isinstance(r["node"], str)):
            errs.append("%s.node is %r" % (where, r["node"]))
    if not errs:
        for k in sums:
            if t[k] != sums[k]:
                errs.append("totals.%s = %d but the rows that are not nested sum to %d"
                            % (k, t[k], sums[k]))
    if not errs and "job" in data:
        errs += validate_job(data)
    return errs


def validate_job(data):
    errs = []
    j, t, traces = data["job"], data["totals"], data.get("traces", [])
    if not isinstance(j, dict):
        return ["job is not an object"]
    if not isinstance(data.get("incomplete"), bool):
        errs.append("incomplete is not a boolean")
    for k in ("missing_ranks", "truncated_ranks"):
        if not isinstance(data.get(k), list):
            errs.append("%s is not a list" % k)
    if errs:
        return errs
    if data["incomplete"] != bool(data["missing_ranks"] or data["truncated_ranks"]):
        errs.append("incomplete is %r with missing %r, truncated %r" %
                    (data["incomplete"], data["missing_ranks"], data["truncated_ranks"]))
    ranks = j.get("ranks", [])
    if [r.get("rank") for r in ranks] != j.get("ranks_present"):
        errs.append("job.ranks do not list job.ranks_present")
    ws = j.get("world_size")
    if ws is not None and not j.get("mixed"):
        want = [r for r in range(ws) if r not in j.get("ranks_present", [])]
        if want != data["missing_ranks"]:
            errs.append("missing_ranks is %r, expected %r" % (data["missing_ranks"], want))
    if ranks and all(is_int(x.get("rank")) for x in traces):
        for k in ("calls", "flops"):
            if sum(r[k] for r in ranks) != t[k]:
                errs.append("the ranks' %s sum to %d, not totals.%s %d" %
                            (k, sum(r[k] for r in ranks), k, t[k]))
        busy = [r["busy_s"] for r in ranks]
        if sum(busy) > 0:
            imb = max(busy) / (sum(busy) / len(busy))
            if not is_num(j.get("imbalance")) or abs(j["imbalance"] - imb) > 1e-9 * imb:
                errs.append("job.imbalance is %r, max/mean busy is %r" % (j.get("imbalance"), imb))
            slow = [r["rank"] for r in ranks if r["busy_s"] == max(busy)]
            if j.get("slowest_rank") not in slow:
                errs.append("job.slowest_rank is %r, not of %r" % (j.get("slowest_rank"), slow))
    nodes = j.get("nodes", [])
    if nodes and is_num(t.get("energy_j")) and all(isinstance(x.get("node"), str) for x in traces):
        s = sum(n["energy_j"] or 0 for n in nodes)
        if abs(s - t["energy_j"]) > 1e-6 * max(1.0, abs(t["energy_j"])):
            errs.append("the nodes' energy sums to %r, not totals.energy_j %r" % (s, t["energy_j"]))
    return errs


def parse_match(spec):
    m = {}
    for part in spec.split(","):
        if "=" not in part:
            die("bad MATCH %r: expected FIELD=VALUE[,...]" % spec, 2)
        k, v = part.split("=", 1)
        m[k] = v
    m.setdefault("nested", "false")
    return m


def field_str(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def matching(rows, m):
    # a layer's own time ("other_ops") is not calls: only asked for by name
    return [r for r in rows if all(field_str(r.get(k)) == v for k, v in m.items())
            and ("other_ops" in m or not r.get("other_ops"))]


def cmd_get(data, path):
    v = data
    for part in path.split("."):
        if isinstance(v, list):
            try:
                v = v[int(part)]
            except (ValueError, IndexError):
                die("no %s in the report" % path, 1)
        elif isinstance(v, dict) and part in v:
            v = v[part]
        else:
            die("no %s in the report" % path, 1)
    print(field_str(v) if not isinstance(v, (dict, list)) else json.dumps(v))


def cmd_row(data, spec, column):
    rows = matching(data.get("rows", []), parse_match(spec))
    if not rows:
        print("none")
        return 0
    if len(rows) > 1:
        die("%d rows match %s" % (len(rows), spec), 3)
    if column not in rows[0]:
        die("row matching %s has no %s" % (spec, column))
    print(field_str(rows[0][column]))
    return 0


def cmd_compare(data, field, expect_path, tag, only, calls):
    want = {}
    try:
        with open(expect_path) as f:
            for line in f:
                w = line.split()
                if len(w) < 3 or w[0] != tag:
                    continue
                want[w[1]] = (int(w[2]), int(w[3]) if len(w) > 3 else None)
    except (OSError, ValueError) as e:
        die("%s: %s" % (expect_path, e), 2)
    if not want:
        die("%s has no '%s' lines" % (expect_path, tag), 2)
    rows = [r for r in data.get("rows", []) if r.get("nested") is False
            and not r.get("other_ops")]
    bad = []
    for name, (flops, ncalls) in sorted(want.items()):
        got = [r for r in rows if r.get(field) == name]
        if len(got) != 1:
            bad.append("%s %s: %d rows, expected 1" % (field, name, len(got)))
            continue
        r = got[0]
        if r["flops"] != flops:
            bad.append("%s %s: flops %d, expected %d (%+d)"
                       % (field, name, r["flops"], flops, r["flops"] - flops))
        if calls and ncalls is not None and r["calls"] != ncalls:
            bad.append("%s %s: calls %d, expected %d" % (field, name, r["calls"], ncalls))
    if only:
        for r in rows:
            if r.get(field) not in want and r.get("calls"):
                bad.append("unexpected row %s %s: %d calls, %d flops"
                           % (field, field_str(r.get(field)), r["calls"], r["flops"]))
    for b in bad:
        sys.stderr.write("check_report: %s\n" % b)
    return 1 if bad else 0


def main(argv):
    if len(argv) < 3:
        die(__doc__.strip(), 2)
    cmd, data = argv[1], load(argv[2])
    if cmd == "validate":
        errs = validate(data)
        for e in errs:
            sys.stderr.write("check_report: %s: %s\n" % (argv[2], e))
        return 1 if errs else 0
    if cmd == "get" and len(argv) == 4:
        cmd_get(data, argv[3])
        return 0
    if cmd == "row" and len(argv) == 5:
        return cmd_row(data, argv[3], argv[4])
    if cmd == "sum" and len(argv) == 4:
        total = 0
        for r in data.get("rows", []):
            if r.get("nested") or (r.get("other_ops") and argv[3] != "energy_j"):
                continue
            total += r.get(argv[3]) or 0
        print(repr(total) if isinstance(total, float) else total)
        return 0
    if cmd == "rows" and len(argv) == 4:
        for r in data.get("rows", []):
            print(field_str(r.get(argv[3])), r.get("calls"), r.get("flops"),
                  field_str(r.get("nested")), r.get("iface"))
        return 0
    if cmd == "compare" and len(argv) >= 5:
        tag, only, calls = "expect", False, False
        rest = argv[5:]
        while rest:
            a = rest.pop(0)
            if a == "--tag" and rest:
                tag = rest.pop(0)
            elif a == "--only":
                only = True
            elif a == "--calls":
                calls = True
            else:
                die("unknown option %s" % a, 2)
        return cmd_compare(data, argv[3], argv[4], tag, only, calls)
    die("bad usage; see the top of %s" % argv[0], 2)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
