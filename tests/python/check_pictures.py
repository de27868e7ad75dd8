#!/usr/bin/python3
"""check_pictures.py - read opcount's pictures back for the integration tests
(tests/integration/html_report.sh, calibrate.sh): the numbers a picture
shows must be the JSON report's (docs/design.md, "Pictures").

  check_pictures.py embedded PAGE ID REPORT.json
      <script type="application/json" id=ID> of the page, parsed, equals
      REPORT.json parsed (the same document).
  check_pictures.py roofline FILE REPORT.json [CAL.json|- [ID]]
      The <metadata id="opcount-roofline"> (or ID) of FILE (an SVG or a page):
      each point is the row it names, with the row's flops, bytes, busy_s
      and energy_j exactly, ai = flops / bytes and gflops = flops / busy_s
      / 1e9 exactly; every row is a point or not placed (and not placed
      exactly when it has no FLOPs, bytes or busy time); the ceilings are
      CAL's numbers, or (-) missing, with a note naming opcount calibrate.
  check_pictures.py timeline PAGE REPORT.json [WATTS TOL [DOMAIN=W,...]]
      The <metadata id="opcount-timeline">: the intervals' energy (power x
      time, summed) is the report's energy.total_j; with WATTS, every
      interval's total power is within TOL (relative) of it, give or take 2 ms
      of it (the fake counter's updates), and the mean power within TOL; each
      DOMAIN named likewise.  Without
      energy: "missing" says so.
  check_pictures.py dom DOM.html REPORT.json LAYER.json
      The DOM chromium rendered: no JavaScript error; the page says it
      rendered; #table-rows has a row per REPORT row, #table-layer one per
      LAYER row, each with its first column and calls, in the report's order;
      the rooflines have a hover circle per point.
  check_pictures.py sorted DOM.html TABLE-ID REPORT.json FIELD
      The rows of TABLE-ID in the DOM are the report's, ordered by FIELD
      descending (ties in the report's order): what a click on a numeric
      header gives (the page opened with #sort=TABLE-ID:COLUMN).
  check_pictures.py fit PAGE FIT.json [DOM.html]
      The page of `opcount fit --html`: #opcount-fit is FIT.json (what
      `fit --format json` prints); its plot's <metadata id="opcount-fit-plot">
      has each run's measured and predicted (or fitted) values of models a
      and c as FIT.json has them; in the DOM, no JavaScript error, the
      verdict, a #table-runs row per run.
  check_pictures.py power-at DOM.html PAGE T
      The page opened with #power-at=T says each series' power in the
      interval holding T as the timeline's metadata has it (4 digits).
  check_pictures.py png FILE W H
      FILE is a PNG of W x H pixels.
"""
import json
import re
import struct
import sys
from html.parser import HTMLParser

bad = []


def check(ok, what):
    if not ok:
        bad.append(what)
        print("FAIL:", what)


def script_json(text, id_):
    m = re.search(r'<script type="application/json" id="%s">(.*?)</script>' % re.escape(id_),
                  text, re.S)
    if not m:
        sys.exit("no <script id=%s> in the page" % id_)
    return json.loads(m.group(1))


def metadata(text, id_):
    m = re.search(r'<metadata id="%s">(.*?)</metadata>' % re.escape(id_), text, re.S)
    if not m:
        sys.exit("no <metadata id=%s>" % id_)
    # the JSON holds no '<' (written \u003c), so the first </metadata> ends it
    return json.loads(m.group(1))


FIRST = {"site": "site", "layer": "layer", "path": "layer_path", "op": "op", "type": "type",
         "key": "shape", "device": "device"}


def label(row, by):
    if row.get("outside"):
        return row["site"]
    v = row.get(FIRST.get(by, by))
    if v is None:
        return {"layer": "(no layer)", "path": "(no layer)", "rank": "(no rank)",
                "node": "(unknown node)"}.get(by, "")
    return v if isinstance(v, str) else json.dumps(v)


def cmd_embedded(page, id_, report):
    got = script_json(open(page, encoding="utf-8").read(), id_)
    want = json.load(open(report))
    check(got == want, "%s: <script id=%s> is not %s" % (page, id_, report))
    if got == want:
        print("embedded %s: %d rows, equal to %s" % (id_, len(got.get("rows", [])), report))


def cmd_roofline(path, report, cal, id_="opcount-roofline"):
    meta = metadata(open(path, encoding="utf-8").read(), id_)
    rep = json.load(open(report))
    rows = rep["rows"]
    seen = set()
    check(meta["by"] == rep["by"], "by %s, report by %s" % (meta["by"], rep["by"]))
    for p in meta["points"]:
        r = rows[p["row"]]
        seen.add(p["row"])
        for k in ("flops", "bytes", "busy_s"):
            check(p[k] == r[k] and type(p[k]) == type(r[k]),
                  "point %d %s %r, row %r" % (p["row"], k, p[k], r[k]))
        check(p.get("energy_j") == r.get("energy_j"),
              "point %d energy_j %r, row %r" % (p["row"], p.get("energy_j"), r.get("energy_j")))
        check(p["ai"] == r["flops"] / r["bytes"], "point %d ai %r" % (p["row"], p["ai"]))
        check(p["gflops"] == r["flops"] / r["busy_s"] / 1e9,
              "point %d gflops %r" % (p["row"], p["gflops"]))
        check(p["label"] == label(r, rep["by"]), "point %d label %r" % (p["row"], p["label"]))
        check(p["op"] == r["op"], "point %d op" % p["row"])
    for n in meta["not_placed"]:
        r = rows[n["row"]]
        check(n["row"] not in seen, "row %d both placed and not" % n["row"])
        seen.add(n["row"])
        check(not (r["flops"] > 0 and r["bytes"] > 0 and (r["busy_s"] or 0) > 0),
              "row %d could be placed but is not (%s)" % (n["row"], n["why"]))
    check(seen == set(range(len(rows))), "rows missing from the roofline: %s" %
          sorted(set(range(len(rows))) - seen))
    if cal == "-":
        check(meta["ceilings"] is None, "ceilings drawn without a calibration")
        check(any("opcount calibrate" in m for m in meta["missing"]),
              "the missing ceilings are not explained: %r" % meta["missing"])
    else:
        c = json.load(open(cal))
        got = meta["ceilings"]
        check(got is not None, "no ceilings")
        if got:
            check(got["compute_gflops"] == c["compute"]["gflops"], "compute ceiling")
            check(got["memory_gbps"] == c["memory"]["gbps"], "memory ceiling")
            check(got["compute_gflops_1thread"] == c["compute"].get("gflops_1thread"),
                  "one-thread ceiling")
            check(got["ridge_ai"] == c["compute"]["gflops"] / c["memory"]["gbps"], "ridge")
        other = [t["cpu"] for t in rep["traces"] if t["cpu"] is not None and t["cpu"] != c["cpu"]]
        check(bool(meta["warning"]) == bool(other), "warning %r, traces on %r, calibrated on %r" %
              (meta["warning"], other, c["cpu"]))
    if rep["totals"]["energy_j"] is None:
        check(any(m.startswith("energy") for m in meta["missing"]),
              "no energy, and the roofline does not say so")
    print("roofline %s: %d points, %d not placed, ceilings %s" %
          (path, len(meta["points"]), len(meta["not_placed"]),
           "missing" if meta["ceilings"] is None else meta["ceilings"]["file"]))


def cmd_timeline(page, report, watts=None, tol=None, domains=None):
    meta = metadata(open(page, encoding="utf-8").read(), "opcount-timeline")
    rep = json.load(open(report))
    total = rep["totals"]["energy_j"]
    if total is None:
        check(meta["traces"] == [], "timeline of a trace without energy")
        check(any("no energy samples" in m for m in meta["missing"]),
              "the timeline does not say energy is missing: %r" % meta["missing"])
        print("timeline: no energy, and it says so")
        return
    j = 0.0
    n = 0
    for t in meta["traces"]:
        want = {"total": watts}
        for d in (domains.split(",") if domains else []):
            name, w = d.split("=")
            want[name] = float(w)
            check(name in t["power_w"], "no domain %s in %s" % (name, list(t["power_w"])))
        for name, pw in want.items():
            if name == "total" or name not in t["power_w"]:
                continue
            prev_t = t["start_s"]
            for ts, w in zip(t["t_s"], t["power_w"][name]):
                dt = ts - prev_t
                check(abs(w - pw) * dt <= tol * pw * dt + 0.002 * pw,
                      "%s, interval ending %.4f s: %.3f W, planted %.3f W" % (name, ts, w, pw))
                prev_t = ts
        prev = prev_t = t["start_s"]
        for ts, w in zip(t["t_s"], t["power_w"]["total"]):
            j += w * (ts - prev)
            prev = ts
            n += 1
            if watts is not None:
                # the fake counter moves every 200 us, later on a loaded
                # machine: an interval's energy is off by up to 2 ms of power
                dt = ts - prev_t
                check(abs(w - watts) * dt <= tol * watts * dt + 0.002 * watts,
                      "interval ending %.4f s (%.4f s): %.3f W, planted %.3f W" %
                      (ts, dt, w, watts))
            prev_t = ts
    check(abs(j - total) <= 1e-6 * total, "timeline energy %.9g J, report %.9g J" % (j, total))
    if watts is not None:
        span = sum(t["t_s"][-1] - t["start_s"] for t in meta["traces"])
        check(abs(j / span - watts) <= tol * watts, "mean power %.3f W, planted %.3f W" %
              (j / span, watts))
    print("timeline: %d intervals, %.6f J = report %.6f J" % (n, j, total))


class Dom(HTMLParser):
    """The tables' rows (first cell and calls cell), the error box, the status."""

    def __init__(self):
        super().__init__()
        self.tables = {}
        self.table = None
        self.row = None
        self.cell = None
        self.errors = None
        self.status = None
        self.text = []
        self.hover = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id"):
            self.table = a["id"]
            self.tables[self.table] = []
        elif tag == "tr" and self.table and "data-row" in a:
            self.row = {"index": int(a["data-row"]), "cells": []}
        elif tag == "td" and self.row is not None:
            self.cell = a.get("data-v", "")
        if a.get("id") == "opcount-errors":
            self.errors = a
        if tag == "circle" and a.get("class") == "opcount-point":
            self.hover += 1
        if a.get("id") == "opcount-status":
            self.status = a

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.row["cells"].append(self.cell)
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.table].append(self.row)
            self.row = None
        elif tag == "table":
            self.table = None

    def handle_data(self, data):
        self.text.append(data)


def cmd_dom(dom, report, layer):
    d = Dom()
    d.feed(open(dom, encoding="utf-8").read())
    check(d.errors is not None and "data-errors" not in d.errors,
          "JavaScript errors in the page: %r" % d.errors)
    check(d.status is not None and d.status.get("data-done") == "1", "the page did not render")
    for tid, path in (("table-rows", report), ("table-layer", layer)):
        rep = json.load(open(path))
        got = d.tables.get(tid, [])
        check(len(got) == len(rep["rows"]), "#%s: %d rows, the report %d" %
              (tid, len(got), len(rep["rows"])))
        for i, (tr, r) in enumerate(zip(got, rep["rows"])):
            # (an HTML parser reads a CR in the DOM's text as a line feed)
            want = re.sub("\r\n?", "\n", label(r, rep["by"]))
            check(tr["index"] == i, "#%s row %d is row %d" % (tid, i, tr["index"]))
            check(tr["cells"][0] == want, "#%s row %d: %r, report %r" %
                  (tid, i, tr["cells"][0], want))
            check(tr["cells"][2] == str(r["calls"]), "#%s row %d: calls %r, report %r" %
                  (tid, i, tr["cells"][2], r["calls"]))
        print("dom #%s: %d rows as in %s" % (tid, len(got), path))
    page = open(dom, encoding="utf-8").read()
    npoints = sum(len(metadata(page, id_)["points"])
                  for id_ in ("opcount-roofline", "opcount-roofline-layer"))
    check(d.hover == npoints, "%d hover circles on the rooflines, %d points" % (d.hover, npoints))
    text = "".join(d.text)
    layered = any(r["layer"] is not None and not r.get("outside")
                  for r in json.load(open(layer))["rows"])
    check(layered or "no layers in this trace" in text, "no layers, and the page does not say so")
    energy = json.load(open(report))["totals"]["energy_j"] is not None
    check(energy or "no energy in this trace" in text, "no energy, and the page does not say so")


def cmd_sorted(dom, tid, report, field):
    d = Dom()
    d.feed(open(dom, encoding="utf-8").read())
    rows = json.load(open(report))["rows"]
    want = sorted(range(len(rows)), key=lambda i: (-(rows[i][field] or 0), i))
    got = [tr["index"] for tr in d.tables.get(tid, [])]
    check(got == want, "#%s sorted by %s: rows %s, want %s" % (tid, field, got, want))
    print("dom #%s sorted by %s: %s" % (tid, field, got))


class FitDom(Dom):
    def __init__(self):
        super().__init__()
        self.in_verdict = False
        self.verdict = ""

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        if dict(attrs).get("id") == "verdict":
            self.in_verdict = True

    def handle_endtag(self, tag):
        super().handle_endtag(tag)
        if tag == "p":
            self.in_verdict = False

    def handle_data(self, data):
        super().handle_data(data)
        if self.in_verdict:
            self.verdict += data


def cmd_fit(page, fitjson, dom=None):
    text = open(page, encoding="utf-8").read()
    got = script_json(text, "opcount-fit")
    want = json.load(open(fitjson))
    check(got == want, "%s: #opcount-fit is not %s" % (page, fitjson))
    meta = metadata(text, "opcount-fit-plot")
    runs = want["runs"]
    check(len(meta["points"]) == len(runs), "plot: %d points, %d runs" %
          (len(meta["points"]), len(runs)))
    for p, r in zip(meta["points"], runs):
        key = "predicted" if want["cv"]["possible"] else "fitted"
        check(p["path"] == r["path"] and p["measured"] == r["measured"],
              "plot point %s %r, run %s %r" % (p["path"], p["measured"], r["path"], r["measured"]))
        for m in ("a", "c"):
            check(p[key][m] == r[key][m], "plot point %s %s %s %r, run %r" %
                  (p["path"], key, m, p[key][m], r[key][m]))
    print("fit page: %d runs, plot numbers = the fit's JSON" % len(runs))
    if dom:
        d = FitDom()
        d.feed(open(dom, encoding="utf-8").read())
        check(d.errors is not None and "data-errors" not in d.errors,
              "JavaScript errors in the fit page: %r" % d.errors)
        check(d.verdict == want["cv"]["verdict"], "verdict %r, JSON %r" %
              (d.verdict, want["cv"]["verdict"]))
        check([tr["index"] for tr in d.tables.get("table-runs", [])] == list(range(len(runs))),
              "#table-runs is not the runs")
        print("fit page in the DOM: the verdict, %d runs" % len(runs))


def cmd_power_at(dom, page, t):
    meta = metadata(open(page, encoding="utf-8").read(), "opcount-timeline")
    m = re.search(r'<p class="note" id="timeline-at" data-t="[^"]*">at ([^<]*)</p>',
                  open(dom, encoding="utf-8").read())
    check(m is not None, "no #timeline-at with a time in the DOM")
    if not m:
        return
    t = float(t)
    got = dict(re.findall(r"([^ ,:]+) (\S+) W", m.group(1).split(": ", 1)[1]))
    for tr in meta["traces"]:
        i = next(k for k, ts in enumerate(tr["t_s"]) if ts >= t)
        for name, v in tr["power_w"].items():
            want = float("%.4g" % v[i])
            check(name in got and float(got[name]) == want, "power at %g s of %s: %r, want %r" %
                  (t, name, got.get(name), want))
    print("power at %g s: %s" % (t, m.group(1)))


def cmd_png(path, w, h):
    data = open(path, "rb").read(32)
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % path)
    gw, gh = struct.unpack(">II", data[16:24])
    check((gw, gh) == (int(w), int(h)), "%s is %dx%d, not %sx%s" % (path, gw, gh, w, h))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "embedded":
        cmd_embedded(*args)
    elif cmd == "roofline":
        cmd_roofline(args[0], args[1], args[2] if len(args) > 2 else "-", *args[3:4])
    elif cmd == "timeline":
        cmd_timeline(args[0], args[1], *(float(a) for a in args[2:4]), *args[4:5])
    elif cmd == "dom":
        cmd_dom(*args)
    elif cmd == "fit":
        cmd_fit(*args)
    elif cmd == "power-at":
        cmd_power_at(*args)
    elif cmd == "sorted":
        cmd_sorted(*args)
    elif cmd == "png":
        cmd_png(*args)
    else:
        sys.exit("unknown command " + cmd)
    sys.exit(1 if bad else 0)


main()
