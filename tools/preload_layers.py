#!/usr/bin/env python3
"""preload_layers.py - the dependency graph of preload/, and its cycles.

    tools/preload_layers.py BUILD/lib [preload]

Two graphs between the library's modules (a module is a .c file with the
.h of the same name; call.h, the wrappers' hot path, is one of its own):

  uses:     which object refers to which other object's symbols (nm: the
            functions it calls and the variables it reads, inline header
            code included, as compiled);
  includes: which preload header each source file includes.

Prints both, then the modules in an order where each depends only on
those after it.  Exits 1 if either graph has a cycle.
"""
import collections
import os
import re
import subprocess
import sys


def module(path):
    return os.path.splitext(os.path.basename(path))[0]


def uses_graph(libdir):
    defs, undefs = {}, collections.defaultdict(set)
    for sub in ("preload", "gen"):
        d = os.path.join(libdir, sub)
        for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if not f.endswith(".o"):
                continue
            m = module(f)
            out = subprocess.run(["nm", os.path.join(d, f)], capture_output=True,
                                 text=True, check=True).stdout
            for line in out.splitlines():
                p = line.split()
                if len(p) == 2 and p[0] == "U":
                    undefs[m].add(p[1])
                elif len(p) == 3 and p[1] in "TDBRCV":
                    defs[p[2]] = m
    g = collections.defaultdict(dict)
    for m, syms in undefs.items():
        for s in sorted(syms):
            if s in defs and defs[s] != m:
                g[m].setdefault(defs[s], []).append(s)
    for m in set(defs.values()):
        g.setdefault(m, {})
    return g


def includes_graph(srcdir):
    g = collections.defaultdict(dict)
    headers = {f for f in os.listdir(srcdir) if f.endswith(".h")}
    for f in sorted(os.listdir(srcdir)):
        if not f.endswith((".c", ".h")):
            continue
        m = module(f)
        g.setdefault(m, {})
        with open(os.path.join(srcdir, f)) as fh:
            for inc in re.findall(r'^#include "([^"]+)"', fh.read(), re.M):
                if inc in headers and module(inc) != m:
                    g[m].setdefault(module(inc), []).append(f)
    return g


def cycles(g):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def layers(g):
    """Each module's height: 0 for one that depends on no other module."""
    h = {}

    def height(v):
        if v not in h:
            h[v] = 0	# a cycle, reported elsewhere, stops here
            h[v] = 1 + max((height(w) for w in g.get(v, {})), default=-1)
        return h[v]

    for v in g:
        height(v)
    return h


def main():
    libdir = sys.argv[1] if len(sys.argv) > 1 else "build/lib"
    srcdir = sys.argv[2] if len(sys.argv) > 2 else "preload"
    uses, incs = uses_graph(libdir), includes_graph(srcdir)
    bad = 0
    for name, g in (("uses", uses), ("includes", incs)):
        print(f"# {name}")
        for m in sorted(g):
            for t in sorted(g[m]):
                print(f"{m} -> {t}: {' '.join(g[m][t])}")
        for c in cycles(g):
            print(f"CYCLE in {name}: {' '.join(c)}")
            bad = 1
    if not bad:
        both = collections.defaultdict(dict)
        for g in (uses, incs):
            for m, ts in g.items():
                both[m].update(ts)
        h = layers(both)
        print("# layers, top first (each uses only layers below it)")
        for lvl in sorted(set(h.values()), reverse=True):
            print(f"{lvl}: {' '.join(sorted(m for m in h if h[m] == lvl))}")
        if cycles(both):
            print("CYCLE in uses + includes")
            bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
