#!/usr/bin/python3
"""browser_check.py - opcount's pictures opened in a real browser (headless
Chromium), the DOM read after their scripts ran and compared with
`opcount report --format json` (tests/integration/browser_flame.sh).

  browser_check.py stack SVG STACKS.json SITE.json
      a flame graph --by stack: a frame per frame of the --by stack JSON,
      each data-* attribute the JSON's number, text for text; a parent's
      FLOPs, bytes and calls the sums of its children's; the root's the
      report's totals (--by site, grouped another way)
  browser_check.py path SVG PATH.json
      a flame graph --by path: a path frame's data-busy-s and
      data-energy-j are its JSON row's inclusive_busy_s and
      inclusive_energy_j, text for text, its FLOPs and bytes the sums of
      the rows at and below the path; a leaf is one row (busy_s, energy_j,
      flops, bytes, calls, energy_share)
  browser_check.py zoom SVG ID
      SVG#zoom=ID: frame ID spans the plot, frames outside its subtree and
      its ancestors are hidden
  browser_check.py note SVG TEXT...
      each TEXT is in the picture (what a trace lacks)
  browser_check.py timeline PAGE TIMELINE.json
      PAGE (perfetto_check.html) parses the timeline in the browser: its
      counts are the file's
  browser_check.py embed SVG...
      the SVGs inline in one HTML page (as report --format html may put
      them, without their XML declaration): each one's script runs on its
      own picture (data-js-ready, its own frame count)
  browser_check.py shot SVG PNG
      a screenshot, a PNG of more than 1 kB

Every page must mark itself ready (data-js-ready="1" or #status ok), with
no data-js-error and no "Uncaught" or console error in Chromium's log.
CHROMIUM names the browser (default: chromium).  Exit 0, or 1 with "FAIL:".
"""
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

CHROMIUM = os.environ.get("CHROMIUM", "chromium")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def browse(url, *extra):
    """Chromium's DOM of url after its scripts ran, and its log."""
    prof = tempfile.mkdtemp(prefix="opc-chromium-")
    try:
        p = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                            "--user-data-dir=" + prof, "--no-first-run",
                            "--enable-logging=stderr", "--v=0",
                            "--virtual-time-budget=5000"] + list(extra) + [url],
                           capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(prof, ignore_errors=True)
    log = p.stderr
    for line in log.splitlines():
        if "Uncaught" in line or ("CONSOLE" in line and "error" in line.lower()):
            fail("the browser logged a script error: " + line.strip())
    if p.returncode != 0:
        fail("chromium exited %d: %s" % (p.returncode, log[-500:]))
    return p.stdout


def attrs(text):
    return {k: html.unescape(v) for k, v in re.findall(r'([\w:-]+)="([^"]*)"', text)}


def load_svg(path, frag=""):
    dom = browse("file://" + os.path.abspath(path) + frag, "--dump-dom")
    m = re.search(r"<svg[^>]*>", dom)
    if not m:
        fail("%s: no <svg> in the DOM" % path)
    root = attrs(m.group(0))
    if "data-js-error" in root:
        fail("%s: the script failed: %s" % (path, root["data-js-error"]))
    if root.get("data-js-ready") != "1":
        fail("%s: the script did not run (no data-js-ready)" % path)
    frames = []
    for g in re.finditer(r'<g class="frame"([^>]*)>(.*?)</g>', dom, re.S):
        a = attrs(g.group(1))
        r = re.search(r"<rect[^>]*>", g.group(2))
        a["rect"] = attrs(r.group(0)) if r else {}
        frames.append(a)
    if root.get("data-js-frames") != str(len(frames)):
        fail("%s: the script saw %s frames, the DOM has %d" %
             (path, root.get("data-js-frames"), len(frames)))
    return root, frames, dom


def raw_json(path):
    """JSON with numbers as their text: compared as written."""
    return json.load(open(path), parse_float=str, parse_int=str)


def plain(s):
    return s is not None and all(0x20 <= ord(c) < 0x7f and c != "\\" for c in s)


def same(what, got, want):
    if got != want:
        fail("%s: the picture says %r, the JSON %r" % (what, got, want))


def check_stack(svg, stacks, site):
    root, frames, _ = load_svg(svg)
    js = raw_json(stacks)["frames"]
    if len(frames) != len(js):
        fail("%d frames drawn, %d in the --by stack JSON" % (len(frames), len(js)))
    kids = {}
    for f, j in zip(frames, js):
        what = "frame %s (%s)" % (f["data-id"], f.get("data-name"))
        same(what + " id", f["data-id"], j["id"])
        same(what + " parent", f["data-parent"], j["parent"] or "")
        same(what + " depth", f["data-depth"], j["depth"])
        if plain(j["name"]):
            same(what + " name", f["data-name"], j["name"])
        for a, k in (("data-calls", "calls"), ("data-flops", "flops"), ("data-bytes", "bytes"),
                     ("data-busy-s", "busy_s"), ("data-energy-j", "energy_j"),
                     ("data-share", "share")):
            same(what + " " + a, f.get(a), j[k])
        if j["parent"] is not None:
            kids.setdefault(j["parent"], []).append(j)
    for j in js:
        c = kids.get(j["id"])
        if not c:
            continue
        for k in ("flops", "bytes", "calls"):
            s = sum(int(x[k] or 0) for x in c)
            if int(j[k] or 0) != s:
                fail("frame %s: %s %s, its children's sum %d" % (j["id"], k, j[k], s))
    t = json.load(open(site))["totals"]
    r = js[0]
    if int(r["flops"]) != t["flops"] or int(r["bytes"]) != t["bytes"]:
        fail("the root holds %s FLOPs, %s bytes; the report %d, %d" %
             (r["flops"], r["bytes"], t["flops"], t["bytes"]))
    if t["energy_j"] is not None and abs(float(r["energy_j"]) - t["energy_j"]) > \
            1e-9 * max(1.0, t["energy_j"]):
        fail("the root holds %s J, the report %r J" % (r["energy_j"], t["energy_j"]))
    print("stack: %d frames, every number the JSON's" % len(frames))


def check_path(svg, path):
    root, frames, _ = load_svg(svg)
    rep = raw_json(path)
    rows = [r for r in rep["rows"] if r["outside"] is False and r["nested"] is False]
    outside = [r for r in rep["rows"] if r["outside"] is True]
    byid = {f["data-id"]: f for f in frames}
    kids = {}
    for f in frames:
        kids.setdefault(f["data-parent"], []).append(f)

    def fullpath(f):
        names = []
        while f["data-parent"] != "":
            names.append(f["data-name"])
            f = byid[f["data-parent"]]
        return "/".join(reversed(names))

    nrows = 0
    for f in frames:
        what = "frame %s (%s)" % (f["data-id"], f["data-name"])
        if f["data-parent"] == "":
            t = rep["totals"]
            for a, k in (("data-flops", "flops"), ("data-bytes", "bytes"),
                         ("data-busy-s", "busy_s"), ("data-energy-j", "energy_j")):
                same(what + " " + a, f.get(a), t[k])
            continue
        parent = byid[f["data-parent"]]
        if not kids.get(f["data-id"]):
            # a leaf: one row, under its path (or "(no layer)", or the root)
            p = fullpath(parent)
            cand = [r for r in (outside if parent["data-parent"] == "" else rows)
                    if (r["op"] == f["data-name"].split(" [")[0] or
                        (r["outside"] and r["site"] == f["data-name"])) and
                    ((r["layer_path"] or "(no layer)") == p or r["outside"])]
            if not cand:
                fail(what + ": no JSON row %r under %r" % (f["data-name"], p))
            r = None
            for c in cand:
                if (f.get("data-busy-s"), f.get("data-energy-j")) == (c["busy_s"], c["energy_j"]):
                    r = c
            if r is None:
                fail(what + ": busy %s energy %s is no JSON row's (%r)" %
                     (f.get("data-busy-s"), f.get("data-energy-j"),
                      [(c["busy_s"], c["energy_j"]) for c in cand]))
            for a, k in (("data-flops", "flops"), ("data-bytes", "bytes")):
                same(what + " " + a, f.get(a), r[k])
            if not r["outside"]:
                same(what + " data-calls", f.get("data-calls"), r["calls"])
            if r.get("energy_share") is not None and root["data-weight"] == "energy":
                same(what + " data-share", f.get("data-share"), r["energy_share"])
            nrows += 1
            continue
        p = fullpath(f)
        if p == "(no layer)":
            continue
        mine = [r for r in rows if r["layer_path"] == p]
        below = [r for r in rows if r["layer_path"] and
                 (r["layer_path"] == p or r["layer_path"].startswith(p + "/"))]
        if mine:
            same(what + " data-busy-s", f.get("data-busy-s"), mine[0]["inclusive_busy_s"])
            same(what + " data-energy-j", f.get("data-energy-j"),
                 mine[0]["inclusive_energy_j"])
        same(what + " data-flops", f.get("data-flops"), str(sum(int(r["flops"]) for r in below)))
        same(what + " data-bytes", f.get("data-bytes"), str(sum(int(r["bytes"]) for r in below)))
    want = len(rows) + len(outside)
    if nrows != want:
        fail("%d leaves drawn, the JSON has %d rows" % (nrows, want))
    print("path: %d frames, %d rows, every number the JSON's" % (len(frames), nrows))


def check_zoom(svg, fid):
    root, frames, _ = load_svg(svg, "#zoom=" + fid)
    byid = {f["data-id"]: f for f in frames}
    if root.get("data-zoom") != fid or fid not in byid:
        fail("#zoom=%s: not zoomed (data-zoom %r)" % (fid, root.get("data-zoom")))
    z = byid[fid]
    anc = set()
    a = z
    while a["data-parent"] != "":
        a = byid[a["data-parent"]]
        anc.add(a["data-id"])
    inside = {fid}
    changed = True
    while changed:
        changed = False
        for f in frames:
            if f["data-parent"] in inside and f["data-id"] not in inside:
                inside.add(f["data-id"])
                changed = True
    W = root["data-plot-width"]
    for f in frames:
        hidden = "display: none" in f.get("style", "")
        if f["data-id"] in anc or f["data-id"] == fid:
            if hidden or float(f["rect"]["width"]) != float(W) or float(f["rect"]["x"]) != 10:
                fail("#zoom=%s: frame %s does not span the plot: %r" %
                     (fid, f["data-id"], f["rect"]))
        elif f["data-id"] in inside:
            if hidden and float(f["data-w"]) > 0:
                fail("#zoom=%s: frame %s of its subtree is hidden" % (fid, f["data-id"]))
        elif not hidden:
            fail("#zoom=%s: frame %s outside it is shown" % (fid, f["data-id"]))
    print("zoom: frame %s spans the plot, %d frames in view" % (fid, len(inside) + len(anc)))


def check_note(svg, texts):
    _, _, dom = load_svg(svg)
    for t in texts:
        if t not in html.unescape(dom):
            fail("%s does not say %r" % (svg, t))
    print("note: %d texts present" % len(texts))


def check_timeline(page, tl):
    url = "file://%s?trace=%s" % (os.path.abspath(page), "file://" + os.path.abspath(tl))
    dom = browse(url, "--dump-dom", "--allow-file-access-from-files")
    st = re.search(r'<div id="status">(.*?)</div>', dom, re.S)
    res = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
    if not st or st.group(1) != "ok":
        fail("the page says %r" % (st.group(1) if st else dom[:300]))
    d = json.load(open(tl))
    ev = d["traceEvents"]
    n = {p: sum(1 for e in ev if e["ph"] == p) for p in "XCM"}
    tracks = {(e["pid"], e["tid"]) for e in ev if e["ph"] == "X"}
    procs = {e["pid"] for e in ev}
    want = "events %d X %d C %d M %d tracks %d processes %d" % (
        len(ev), n["X"], n["C"], n["M"], len(tracks), len(procs))
    same("timeline counts", res.group(1), want)
    print("timeline: " + want)


def check_embed(svgs):
    page = tempfile.NamedTemporaryFile("w", suffix=".html", delete=False)
    want = []
    with page:
        page.write("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>\n")
        for s in svgs:
            text = open(s).read()
            want.append(len(re.findall(r'<g class="frame"', text)))
            page.write(re.sub(r"^<\?xml[^>]*>\s*", "", text) + "\n<p>between</p>\n")
        page.write("</body></html>\n")
    try:
        dom = browse("file://" + page.name, "--dump-dom")
    finally:
        os.unlink(page.name)
    roots = [attrs(m.group(0)) for m in re.finditer(r"<svg[^>]*>", dom)]
    if len(roots) != len(svgs):
        fail("%d pictures in the page, %d embedded" % (len(roots), len(svgs)))
    for r, n, s in zip(roots, want, svgs):
        if "data-js-error" in r or r.get("data-js-ready") != "1":
            fail("%s in a page: the script did not run on it (%r)" % (s, r.get("data-js-error")))
        if r.get("data-js-frames") != str(n):
            fail("%s in a page: its script saw %s frames, it has %d" %
                 (s, r.get("data-js-frames"), n))
    print("embed: %d pictures in one page, each script on its own" % len(svgs))


def check_shot(svg, png):
    prof = tempfile.mkdtemp(prefix="opc-chromium-")
    try:
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--user-data-dir=" + prof, "--hide-scrollbars", "--window-size=1200,400",
                        "--screenshot=" + os.path.abspath(png),
                        "file://" + os.path.abspath(svg)],
                       capture_output=True, timeout=60)
    finally:
        shutil.rmtree(prof, ignore_errors=True)
    data = open(png, "rb").read() if os.path.exists(png) else b""
    if len(data) < 1000 or data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("screenshot %s: %d bytes, not a PNG" % (png, len(data)))
    print("shot: %s, %d bytes" % (png, len(data)))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "stack":
        check_stack(*args)
    elif cmd == "path":
        check_path(*args)
    elif cmd == "zoom":
        check_zoom(*args)
    elif cmd == "note":
        check_note(args[0], args[1:])
    elif cmd == "timeline":
        check_timeline(*args)
    elif cmd == "embed":
        check_embed(args)
    elif cmd == "shot":
        check_shot(*args)
    else:
        fail("unknown check " + cmd)


main()
