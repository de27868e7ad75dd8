#!/usr/bin/env python3
"""check.py - compare what libopcount.so recorded with the model.

    check.py calls.json report.json

calls.json: the calls made (tests/wrappers/gen_calls.py); report.json:
`opcount report --by key --format json` of their trace.  Every call was
made from a line of its own, which the report names in each row's site,
so each row is one call.  For each: the routine and interface, calls == 1,
and FLOPs, bytes and the estimated mark as tests/wrappers/model.py works
them out; a call the fake library refused is marked rejected, and no
other is.  Prints the mismatches (the first 60; SHOW=N for more) and
exits 1 if there is any.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model	# noqa: E402

IFACE = {"C": "cblas", "F": "fortran", "E": "lapacke"}


def op_of(symbol):
    """The routine's name: without cblas_ or LAPACKE_, _sub or the trailing _."""
    op = re.sub(r"^(cblas_|LAPACKE_)", "", symbol).rstrip("_")
    return op[:-4] if op.endswith("_sub") else op


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check.py calls.json report.json")
    calls = json.load(open(sys.argv[1]))
    report = json.load(open(sys.argv[2]))
    rows = {}
    for r in report["rows"]:
        if r.get("outside"):
            continue
        m = re.search(r"\(calls\.c:(\d+)\)", r.get("site") or "")
        if m is None:
            print("row with no call site in calls.c: %s" % json.dumps(r))
            rows.setdefault(None, []).append(r)
            continue
        rows.setdefault(int(m.group(1)), []).append(r)
    bad = []
    nomodel = set()
    checked = 0
    for c in calls:
        op = op_of(c["symbol"])
        want = model.cost(op, c["args"], c["rejected"])
        if want is None:
            nomodel.add(op)
            continue
        flops, nbytes, estimated = want
        got = rows.pop(c["line"], [])
        args = " ".join("%s=%s" % (k, v) for k, v in sorted(c["args"].items()))
        where = "calls.c:%d %s(%s)%s" % (c["line"], c["symbol"], args,
                                          " refused" if c["rejected"] else "")
        if len(got) != 1:
            bad.append("%s: %d rows in the report, expected 1" % (where, len(got)))
            continue
        r = got[0]
        diffs = []
        if r["op"] != op or r["iface"] != IFACE[c["iface"]]:
            diffs.append("recorded as %s (%s)" % (r["op"], r["iface"]))
        if r["calls"] != 1:
            diffs.append("calls %s, not 1" % r["calls"])
        if r["flops"] != flops:
            diffs.append("flops %s, expected %s" % (r["flops"], flops))
        if r["bytes"] != nbytes:
            diffs.append("bytes %s, expected %s" % (r["bytes"], nbytes))
        if bool(r.get("estimated")) != estimated:
            diffs.append("estimated %s, expected %s" % (r.get("estimated"), estimated))
        if bool(r.get("rejected")) != c["rejected"]:
            diffs.append("rejected %s, expected %s" % (bool(r.get("rejected")), c["rejected"]))
        if diffs:
            bad.append("%s [key: %s]: %s" % (where, r.get("shape"), "; ".join(diffs)))
        checked += 1
    for line, rs in rows.items():
        for r in rs:
            bad.append("row of no call (line %s): %s %s" % (line, r["op"], r.get("shape")))
    for op in sorted(nomodel):
        bad.append("%s: no model in tests/wrappers/model.py" % op)
    for b in bad[:int(os.environ.get("SHOW", 60))]:
        print("FAIL: " + b)
    if len(bad) > 60:
        print("... and %d more" % (len(bad) - 60))
    print("%d calls of %d entry points checked (%d refused): calls, FLOPs, bytes; "
          "%d mismatches" % (checked, len({c["symbol"] for c in calls}),
                             sum(c["rejected"] for c in calls), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
