#!/usr/bin/python3
"""suites.py - what tests/long/linalg_suites.sh reads from pytest's
JUnit XML, from `opcount report --by site --format json` and from ltrace.

  suites.py outcomes JUNIT.xml
      One line per test, sorted: "ID OUTCOME", OUTCOME one of passed,
      failed, error, skipped, xfailed (pytest writes an xpass as a pass;
      the summary line counts them).  A message follows a skip or an xfail
      after a tab, for the reader: the lines compared are cut at the tab.
  suites.py summary PYTEST-OUTPUT
      pytest's last line without its time ("414 passed, 1 skipped").
  suites.py sites SYMBOLS MODULE,... REPORT.json...
      The calls the modules named (call sites in MODULE*.so) made to each
      routine, summed over the reports (a process and its children): one
      line "SYMBOL CALLS", sorted, SYMBOL the entry point called (dgesv_,
      cblas_dgemm, LAPACKE_dgesv), only those listed in the file SYMBOLS.
  suites.py ltrace SYMBOLS LTRACE-OUTPUT
      The same from `ltrace -f -o FILE`: each "MODULE->SYMBOL(" line is a
      call (a "<... resumed>" line is the rest of one).
"""
import collections
import json
import re
import sys
import xml.etree.ElementTree as ET


def outcomes(path):
    lines = []
    for case in ET.parse(path).getroot().iter("testcase"):
        tid = "%s::%s" % (case.get("classname"), case.get("name"))
        outcome, msg = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed" if child.tag == "failure" else "error"
                msg = child.get("message") or ""
                break
            if child.tag == "skipped":
                xfail = child.get("type") == "pytest.xfail"
                outcome = "xfailed" if xfail else "skipped"
                msg = child.get("message") or ""
        msg = " ".join(msg.split())[:200]
        lines.append("%s %s%s" % (tid, outcome, "\t" + msg if msg else ""))
    for line in sorted(lines):
        print(line)


def summary(path):
    last = ""
    with open(path, errors="replace") as f:
        for line in f:
            if line.strip():
                last = line.strip()
    print(re.sub(r"\s+in [0-9.]+s.*$", "", last.strip("= ")))


def symbol(op, iface):
    if iface == "cblas":
        return "cblas_" + op
    if iface == "lapacke":
        return "LAPACKE_" + op
    return op + "_"


def read_symbols(path):
    with open(path) as f:
        return set(f.read().split())


def print_counts(counts):
    for sym, n in sorted(counts.items()):
        print(sym, n)


def sites(symfile, modules, reports):
    want = read_symbols(symfile)
    mods = tuple(m + "." for m in modules.split(","))
    counts = collections.Counter()
    for path in reports:
        with open(path) as f:
            rep = json.load(f)
        for row in rep["rows"]:
            site = row.get("site") or ""
            if row["nested"] or row.get("other_ops") or not site.startswith(mods):
                continue
            sym = symbol(row["op"], row["iface"])
            if sym in want:
                counts[sym] += row["calls"]
    print_counts(counts)


def ltrace(symfile, path):
    want = read_symbols(symfile)
    call = re.compile(r"[\w.+-]+->(\w+)\(")
    counts = collections.Counter()
    with open(path, errors="replace") as f:
        for line in f:
            m = call.search(line)
            if m and m.group(1) in want:
                counts[m.group(1)] += 1
    print_counts(counts)


def main(argv):
    if len(argv) == 3 and argv[1] == "outcomes":
        outcomes(argv[2])
    elif len(argv) == 3 and argv[1] == "summary":
        summary(argv[2])
    elif len(argv) >= 5 and argv[1] == "sites":
        sites(argv[2], argv[3], argv[4:])
    elif len(argv) == 4 and argv[1] == "ltrace":
        ltrace(argv[2], argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
