#!/usr/bin/python3
"""check_perfetto.py TIMELINE.json REPORT.json - what report --format perfetto
wrote, checked against report --format json of the same traces.

  shape     a JSON object with traceEvents and metadata; every event has
            ph, pid, a name; X events ts and dur >= 0; C events args; every
            ts and dur a whole number below 2^53 (what a viewer's double
            holds exactly, so that it sees the nesting checked here)
  nesting   on each (pid, tid) track, slices never overlap without nesting
            (a slice inside another ends within it)
  sums      the call slices' FLOPs, bytes and calls (layers' own time,
            "(other ops)", left out) add up to the report's totals, exactly
            (integers); their args.busy_s to the report's busy_s, within
            half a nanosecond per slice (each holds whole nanoseconds), and
            each one's dur is its busy_s rounded to microseconds (+-1 us)
  realtime  every event of a trace's process lies within [start, start +
            duration + 1 s] of that trace's real time (metadata.traces[i],
            the report's traces[i]): traces of several processes line up

Prints "events N calls N layers N counters N tracks N" and exits 1 on the
first failed check.
"""
import collections
import json
import sys
from decimal import Decimal


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    # parse_float=Decimal: ts carries nanoseconds in its text, more digits
    # than a double holds
    tl = json.load(open(sys.argv[1]), parse_float=Decimal)
    rep = json.load(open(sys.argv[2]))
    if not isinstance(tl, dict) or "traceEvents" not in tl or "metadata" not in tl:
        fail("not an object with traceEvents and metadata")
    evs = tl["traceEvents"]
    tracks = collections.defaultdict(list)
    n = collections.Counter()
    flops = byts = calls = 0
    busy = Decimal(0)
    for e in evs:
        for f in ("ph", "pid", "name"):
            if f not in e:
                fail("event without %s: %r" % (f, e))
        n[e["ph"]] += 1
        for f in ("ts", "dur"):
            if f in e and (not isinstance(e[f], int) or not 0 <= e[f] < 2 ** 53):
                fail("%s is not a whole number a double holds: %r" % (f, e))
        if e["ph"] == "X":
            if e["dur"] < 0 or e["ts"] < 0:
                fail("negative time: %r" % e)
            tracks[(e["pid"], e["tid"])].append(e)
            if e["cat"] == "call" and e["name"] != "(other ops)":
                a = e["args"]
                flops += a["flops"]
                byts += a["bytes"]
                calls += a["calls"]
                busy += a["busy_s"]
                if abs(e["dur"] - a["busy_s"] * 1000000) > 1:
                    fail("slice %r: dur %d us for busy_s %s" % (e["name"], e["dur"], a["busy_s"]))
                n["call"] += 1
            elif e["cat"] == "layer":
                n["layer"] += 1
        elif e["ph"] == "C":
            if not e.get("args"):
                fail("counter without values: %r" % e)
    for key, sl in tracks.items():
        sl.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []
        for e in sl:
            end = e["ts"] + e["dur"]
            while stack and stack[-1] <= e["ts"]:
                stack.pop()
            if stack and end > stack[-1]:
                fail("track %r: slice %r at %s overlaps its enclosing slice"
                     % (key, e["name"], e["ts"]))
            stack.append(end)
    t = rep["totals"]
    if flops != t["flops"] or byts != t["bytes"] or calls != t["calls"]:
        fail("call slices hold %d FLOPs, %d bytes, %d calls; the report %d, %d, %d"
             % (flops, byts, calls, t["flops"], t["bytes"], t["calls"]))
    if abs(float(busy) - t["busy_s"]) > 0.5e-9 * (n["call"] + 1) + 1e-12 * t["busy_s"]:
        fail("call slices hold %s s, the report %.9f s" % (busy, t["busy_s"]))
    meta = tl["metadata"]["traces"]
    if len(meta) != len(rep["traces"]):
        fail("%d traces in the metadata, %d in the report" % (len(meta), len(rep["traces"])))
    span = {}
    for m, r in zip(meta, rep["traces"]):
        lo = Decimal(m["start_realtime_ns"]) / 1000
        span[m["pid"]] = (lo, lo + Decimal(r["duration_s"] + 1) * 1000000)
    for e in evs:
        if e["pid"] not in span:
            fail("event of pid %r, which is no trace's" % e["pid"])
        lo, hi = span[e["pid"]]
        if "ts" in e and not lo <= e["ts"] <= hi:
            fail("ts %s outside its trace's real time [%s, %s]" % (e["ts"], lo, hi))
    print("events %d calls %d layers %d counters %d tracks %d" %
          (len(evs), n["call"], n["layer"], n["C"], len(tracks)))


main()
