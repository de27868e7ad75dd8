#!/usr/bin/python3
"""lapack_imports.py - the BLAS, LAPACK and LAPACKE routines NumPy's and
SciPy's linalg modules import, against what libopcount.so intercepts and
the exclusion list of docs/counting.md (tests/integration/lapack_imports.sh).

  lapack_imports.py LIBOPCOUNT COUNTING.md MODULE.so...

The routines a module imports are its undefined dynamic symbols that name
a BLAS, LAPACK or LAPACKE entry point (nm -D --undefined-only).  SciPy's
cython_blas and cython_lapack import the whole of BLAS and LAPACK to hand
them to Cython code by name: of those, only the ones another module
given names (a string in its binary equal to a routine's name, as Cython's
function import writes it) are counted.  Prints one line per routine that
is neither intercepted nor excluded, and exits 1 if there is any.
"""
import re
import subprocess
import sys

ROUTINE = re.compile(r"^(?:[a-z][a-z0-9]*_|cblas_\w+|LAPACKE_\w+)$")


def dynsyms(path, which):
    out = subprocess.run(["nm", "-D", which, path], check=True, capture_output=True,
                         text=True).stdout
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if line.split()}


def strings(path):
    data = open(path, "rb").read()
    return {m.decode() for m in re.findall(rb"[a-z0-9]{3,16}(?=\0)", data)}


def exclusions(path):
    """docs/counting.md, section 'Not intercepted': rows '| names | reason |',
    names separated by commas, '?' standing for each of s, d, c, z."""
    table, inside = {}, False
    for line in open(path):
        if line.startswith("#"):
            inside = line.strip().lstrip("#").strip().lower() == "not intercepted"
            continue
        if not inside or not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or cells[0] in ("routines", "---") or set(cells[0]) <= set("- "):
            continue
        reason = cells[1]
        for name in cells[0].replace("`", "").split(","):
            name = name.strip()
            for p in ("sdcz" if "?" in name else " "):
                table[name.replace("?", p) + "_"] = reason
    return table


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    lib, doc, mods = argv[1], argv[2], argv[3:]
    have = dynsyms(lib, "--defined-only")
    excluded = exclusions(doc)
    need, cython = {}, set()
    for m in mods:
        syms = {s for s in dynsyms(m, "--undefined-only") if ROUTINE.match(s)}
        if "/cython_" in m:
            cython |= syms
            continue
        for s in syms:
            need.setdefault(s, set()).add(m.rsplit("/", 1)[-1].split(".")[0])
    by_name = {s[:-1]: s for s in cython if s.endswith("_")}
    for m in mods:
        if "/cython_" in m:
            continue
        for word in strings(m) & set(by_name):
            need.setdefault(by_name[word], set()).add(m.rsplit("/", 1)[-1].split(".")[0] +
                                                      " (through cython)")
    missing = []
    for s in sorted(need):
        if s in have:
            continue
        if s in excluded:
            if not excluded[s]:
                missing.append("%s: excluded without a reason" % s)
            continue
        missing.append("%s: imported by %s, neither intercepted nor excluded" %
                       (s, ", ".join(sorted(need[s]))))
    stale = sorted(s for s in excluded if s in have)
    nint = sum(1 for s in need if s in have)
    nexc = sum(1 for s in need if s not in have and s in excluded)
    print("imported %d routines: %d intercepted, %d excluded, %d neither; %d stale exclusions%s"
          % (len(need), nint, nexc, len(missing), len(stale),
             (" (" + " ".join(stale[:10]) + ")") if stale else ""))
    for line in missing:
        print(line)
    return 1 if missing or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
