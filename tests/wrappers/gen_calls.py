#!/usr/bin/env python3
"""gen_calls.py - the calling side of the wrapper test (tests/integration/wrappers.sh).

    gen_calls.py common/routines.tbl OUTDIR

Writes, for every CPU entry point of the routine table (C = CBLAS,
F = Fortran 77, E = LAPACKE):

  OUTDIR/fakeblas.c   a BLAS/LAPACK/LAPACKE library whose every entry point
                      does nothing: any argument is legal, nothing is
                      computed, and libopcount.so finds it by name as it
                      finds a real one (preload/resolve.c); except that,
                      told to by the calling line, it refuses the call as
                      a real one does (below);
  OUTDIR/calls.c      a program that calls each entry point with chosen
                      shapes and flags, one call per source line (the line
                      is the call site the report shows);
  OUTDIR/calls.json   what each call passed, by parameter name, for the
                      independent model (tests/wrappers/model.py).

Every enumerated argument (trans, side, diag, job, beta zero or not,
workspace query or not) is varied whether or not the table says it
changes the cost: the table is what is under test.  Every other integer
argument gets a value of its own (leading dimensions, increments), so a
wrapper that read the wrong argument shows.  Layouts and uplo alternate.
Character arguments are sometimes lower case.

Refused calls: every entry point is also called once (a LAPACK Fortran
routine twice) with the fake told to refuse the call as the real library
would: a BLAS routine calls xerbla_, a LAPACK one sets *info < 0 (once
alone, once after xerbla_), a LAPACKE function returns a negative value.
Those calls are "rejected" in calls.json: 0 FLOPs, 0 bytes, flagged.  The
fake's xerbla_ counts its calls, and the program checks at its end that
every one reached it (the library hands them on) and prints the count.
Standard library only.
"""
import itertools
import json
import os
import re
import sys

# shapes by parameter name; the LAPACK ones are valid problems (m >= n >= k
# for orgqr); one of each routine's calls has a zero dimension
SHAPES = [
    {"n": 5, "m": 7, "k": 3, "kl": 2, "ku": 1, "nrhs": 4, "rows": 6, "cols": 4},
    {"n": 9, "m": 4, "k": 6, "kl": 0, "ku": 3, "nrhs": 1, "rows": 3, "cols": 8},
]
LAPACK_SHAPES = [
    {"n": 7, "m": 12, "k": 5, "nrhs": 3},
    {"n": 10, "m": 6, "k": 4, "nrhs": 2},
]
SQUARE_Q = {"orgqr", "ungqr"}	# need m >= n >= k: the second shape is tall too
Q_SHAPE = {"n": 6, "m": 9, "k": 6}
RQ_SHAPES = [{"n": 12, "m": 7, "k": 5}, {"n": 9, "m": 6, "k": 6}]	# orgrq: n >= m >= k
WIDE_Q = {"orgrq", "ungrq"}
# other integer arguments: distinct from every dimension above
OTHER_INTS = {"lda": 31, "ldb": 37, "ldc": 41, "ldu": 43, "ldvt": 47, "incx": 2,
              "incy": 3, "liwork": 1000, "lrwork": 1000, "ldvs": 53, "ldvl": 59,
              "ldvr": 61, "ldz": 67, "ldv": 71, "ilo": 2, "ihi": 3, "il": 1, "iu": 2,
              "isgn": -1, "itype": 1, "incv": 5, "k1": 2, "k2": 4, "ldvsl": 73,
              "ldvsr": 79}
LWORK = 1000

CHARS = {"T": "NTC", "S": "LR", "D": "NU"}
JOBS = {"jobz": "NV", "jobu": "ASON", "jobvt": "ASON", "order": "CR", "trans": "NT",
        "jobvs": "NV", "sort": "NS", "jobvl": "NV", "jobvr": "NV", "range": "AI",
        "norm": "M1OIFE", "trana": "NT", "tranb": "NT", "jobvsl": "NV", "jobvsr": "NV"}
JOBS_OF = {"gesdd": {"jobz": "ASON"}, "zgesdd": {"jobz": "ASON"},	# a job's values by family
           "gejsv": {"joba": "C", "jobu": "UFN", "jobv": "VJN", "jobr": "R", "jobt": "N",
                     "jobp": "N"}}
CBLAS_ENUM = {"T": {"N": 111, "T": 112, "C": 113}, "U": {"U": 121, "L": 122},
              "D": {"N": 131, "U": 132}, "S": {"L": 141, "R": 142}}
LAYOUTS = (102, 101)	# CblasColMajor / LAPACK_COL_MAJOR, then row major

REAL = {"s": "float", "d": "double", "c": "float", "z": "double"}
ELEM = {"s": "float", "d": "double", "c": "float _Complex", "z": "double _Complex"}


def parse(path):
    """Families with their precisions, symbol names and CPU signatures."""
    fams, fam = [], None
    for lineno, raw in enumerate(open(path), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if words[0] == "family":
            fam = {"name": words[1], "names": {}, "sigs": []}
            for w in words[2:]:
                if w.startswith("prec="):
                    fam["prec"] = w[5:]
                elif w.startswith("names="):
                    fam["names"] = dict(x.split(":") for x in w[6:].split(","))
            fams.append(fam)
            continue
        m = re.match(r"^([CFE])\s+(\w+)\s+([\w{}]+)\((.*)\)$", line)
        if not m:
            continue	# GPU interfaces: not this test's
        iface, ret, sym, args = m.groups()
        params = [tuple(a.split()) for a in args.split(",") if a.strip()]
        fam["sigs"].append({"iface": iface, "ret": ret, "sym": sym, "params": params,
                            "where": "%s:%d" % (path, lineno)})
    return fams


def ctype(tok, iface, prec):
    if iface == "F":
        return "int" if tok == "N" else None	# everything by reference
    if tok in ("O", "I", "T", "U", "S", "D"):
        return "int"
    if tok == "J":
        return "char"
    if tok == "A":
        return REAL[prec] if prec in "sd" else "const void *"
    if tok == "R":
        return REAL[prec]
    if tok == "F":
        return "float"
    return "void *"


def ret_type(tok, prec):
    return {"void": "void", "R": REAL[prec], "X": ELEM[prec], "Z": "size_t", "N": "int",
            "DBL": "double"}[tok]


def proto(sym, sig, prec):
    iface = sig["iface"]
    types = []
    for tok, _ in sig["params"]:
        t = ctype(tok, iface, prec)
        types.append(t if t else "const void *")
    if iface == "F":
        types += ["size_t"] * sum(1 for tok, _ in sig["params"] if tok in "TUSDJ")
    return "%s %s(%s);" % (ret_type(sig["ret"], prec), sym, ", ".join(types) or "void")


def scalar(value, prec, complex_arg):
    """C expression of a scalar argument passed by reference."""
    if complex_arg:
        re_, im = value
        return "(%s[]){ %r, %r }" % (REAL[prec], re_, im)
    return "&(%s){ %r }" % (REAL[prec], value)


def variants(fam_name, sig, prec):
    """The argument choices of one entry point: a list of dicts, name ->
    semantic value, each one call."""
    params = sig["params"]
    names = [n for _, n in params]
    enum = []	# (name, choices)
    for tok, name in params:
        if tok in CHARS:
            enum.append((name, CHARS[tok]))
        elif tok == "J":
            enum.append((name, JOBS_OF.get(fam_name, {}).get(name) or JOBS[name]))
        elif name == "beta" and tok in ("A", "R"):
            enum.append((name, ("zero", "nonzero")))
        elif name == "lwork":
            enum.append((name, ("query", "real")))
    lapack = any(n in names for n in ("info",)) or sig["iface"] == "E"
    shapes = LAPACK_SHAPES if lapack else SHAPES
    if fam_name in SQUARE_Q:
        shapes = [LAPACK_SHAPES[0], Q_SHAPE]
    if fam_name in WIDE_Q:
        shapes = RQ_SHAPES
    out = []
    combos = list(itertools.product(*[c for _, c in enum])) or [()]
    for si, shape in enumerate(shapes):
        for combo in combos:
            v = dict(zip([n for n, _ in enum], combo))
            if v.get("jobu") == "O" and v.get("jobvt") == "O":
                continue	# LAPACK refuses both overwriting A
            v["_shape"] = dict(shape)
            out.append(v)
    # a zero dimension: the first one the routine has
    dims = [n for _, n in params if n in shapes[0]]
    if dims:
        v = dict(out[0])
        v["_shape"] = dict(shapes[0])
        v["_shape"][dims[0]] = 0
        out.append(v)
    return out


def lapack_info(sig):
    """The index of a Fortran routine's info argument, or None."""
    names = [n for _, n in sig["params"]]
    return names.index("info") if sig["iface"] == "F" and "info" in names else None


class Gen:
    def __init__(self):
        self.lines = []		# calls.c
        self.calls = []		# calls.json
        self.protos = {}
        self.counter = 0
        self.xerbla = 0		# calls the fake's xerbla_ must see

    def emit(self, text):
        self.lines.append(text)

    def call(self, fam, sig, prec, sym, v, refuse=None):
        """One call, on one line; records what it passed.  refuse: how
        the fake refuses it, a (info, xerbla) pair (see main)."""
        iface = sig["iface"]
        shape = v["_shape"]
        i = self.counter
        self.counter += 1
        cplx = prec in "cz"
        args, hidden, sem = [], [], {}
        for tok, name in sig["params"]:
            # layout, uplo, case and the sign of a zero beta each cycle
            # with a period of their own: no choice goes with another
            if tok == "O":
                val = LAYOUTS[(i // 3) % 2]
                args.append(str(val))
                sem[name] = "row" if val == 101 else "col"
            elif tok in "TUSDJ":
                if tok == "U":
                    ch = "UL"[(i // 5) % 2]
                elif tok == "J" and name not in v:
                    raise SystemExit("%s: job %s has no values" % (sig["where"], name))
                else:
                    ch = v[name]
                sem[name] = ch
                passed = ch.lower() if (i // 2) % 3 == 0 else ch
                if iface == "C":
                    args.append(str(CBLAS_ENUM[tok][ch]) if tok in CBLAS_ENUM else
                                "'%s'" % passed)
                elif iface == "E":
                    args.append("'%s'" % passed)
                else:
                    args.append('"%s"' % passed)
                    hidden.append("1")
            elif tok == "I":
                if name in shape:
                    val = shape[name]
                elif name == "lwork":
                    val = -1 if v[name] == "query" else LWORK
                elif name in OTHER_INTS:
                    val = OTHER_INTS[name]
                    if name in ("liwork", "lrwork") and v.get("lwork") == "query":
                        val = -1
                else:
                    raise SystemExit("%s: no value for integer %s" % (sig["where"], name))
                sem[name] = val
                args.append(("&(int){ %d }" if iface == "F" else "%d") % val)
            elif tok in ("A", "R", "F"):
                # alpha-like scalars are nonzero; beta as enumerated: a
                # complex beta that is zero in one part only is nonzero
                if name == "beta":
                    if v["beta"] == "zero":
                        val = (-0.0 if (i // 7) % 2 else 0.0)
                        cval = (0.0, -0.0 if (i // 7) % 2 else 0.0)
                    else:
                        val = 0.25
                        cval = (0.0, 0.25) if (i // 7) % 2 else (0.25, 0.0)
                else:
                    val, cval = 1.5, (1.5, -0.5)
                is_cplx = tok == "A" and cplx
                sem[name] = list(cval) if is_cplx else val
                if iface == "F":
                    args.append(scalar(cval if is_cplx else val, prec if tok != "F" else "s",
                                       is_cplx))
                elif is_cplx:
                    args.append(scalar(cval, prec, True))
                else:
                    args.append(repr(val) if tok != "F" else "%rf" % val)
            elif tok == "P":
                args.append("buf")
            else:
                raise SystemExit("%s: unknown token %s" % (sig["where"], tok))
        line = len(self.lines) + 1
        call = "%s(%s);" % (sym, ", ".join(args + hidden))
        if refuse:
            # one line: the line is the call site the report shows
            call = "fake_info = %d; fake_xerbla = %d; %s fake_info = fake_xerbla = 0;" % (
                refuse[0], refuse[1], call)
            self.xerbla += refuse[1]
        self.emit("\t" + call)
        self.calls.append({"line": line, "symbol": sym, "iface": iface, "prec": prec,
                           "args": sem, "rejected": bool(refuse)})


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen_calls.py routines.tbl OUTDIR")
    fams = parse(sys.argv[1])
    out = sys.argv[2]
    g = Gen()
    syms = []
    g.emit("/* Generated by tests/wrappers/gen_calls.py from common/routines.tbl. */")
    g.emit("#include <stddef.h>")
    g.emit("")
    g.emit("#include <stdio.h>")
    g.emit("")
    g.emit("static double buf[256];	/* every array argument: nothing reads it */")
    g.emit("/* libfakeblas.so: how its next call refuses (info < 0, xerbla_), and")
    g.emit(" * the calls of its xerbla_ */")
    g.emit("extern int fake_info, fake_xerbla, fake_xerbla_calls;")
    g.emit("void xerbla_(const char *name, const int *info, size_t len);")
    g.emit("")
    body = []
    for fam in fams:
        for prec in fam.get("prec", ""):
            if prec not in "sdcz":
                continue
            pfx = fam["names"].get(prec, prec)
            for sig in fam["sigs"]:
                sym = sig["sym"].replace("{p}", pfx)
                syms.append(sym)
                g.protos[sym] = proto(sym, sig, prec)
                body.append((fam, sig, prec, sym))
    for sym in syms:
        g.emit(g.protos[sym])
    g.emit("")
    nfn = 0
    for fam, sig, prec, sym in body:
        g.emit("static void call_%s(void)" % sym)
        g.emit("{")
        vs = variants(fam["name"], sig, prec)
        for v in vs:
            g.call(fam, sig, prec, sym, v)
        # refused, with the first arguments: a wrapper that missed the
        # refusal counts their FLOPs
        if sig["iface"] == "E":
            g.call(fam, sig, prec, sym, vs[0], refuse=(-3, 0))
        elif lapack_info(sig) is not None:
            g.call(fam, sig, prec, sym, vs[0], refuse=(-2, 0))
            g.call(fam, sig, prec, sym, vs[0], refuse=(-4, 1))
        else:
            g.call(fam, sig, prec, sym, vs[0], refuse=(-1, 1))
        g.emit("}")
        g.emit("")
        nfn += 1
    g.emit("int main(void)")
    g.emit("{")
    for _, _, _, sym in body:
        g.emit("\tcall_%s();" % sym)
    g.emit("\t/* outside any call: nothing to count, handed on all the same */")
    g.emit("\txerbla_(\"MAIN  \", &(int){ 1 }, 6);")
    g.emit("\tprintf(\"xerbla_ called %d times\\n\", fake_xerbla_calls);")
    g.emit("\treturn fake_xerbla_calls == %d ? 0 : 1;" % (g.xerbla + 1))
    g.emit("}")

    fake = ["/* Generated by tests/wrappers/gen_calls.py from common/routines.tbl:",
            " * every BLAS, LAPACK and LAPACKE entry point opcount wraps, doing",
            " * nothing.  Declared without parameters, but for LAPACK's info: a",
            " * no-op takes any arguments, and the return value of a BLAS routine",
            " * (whatever is in the return register) is never used by the test.",
            " * Told to by fake_info and fake_xerbla, an entry point refuses its",
            " * call as a real one does: xerbla_, then info or the LAPACKE value. */",
            "#include <stddef.h>", "",
            "int fake_info, fake_xerbla, fake_xerbla_calls;", "",
            "void xerbla_(const char *name, const int *info, size_t len)",
            "{", "\tfake_xerbla_calls++;", "}", "",
            "static void refuse(void)", "{",
            "\tif (fake_xerbla)",
            "\t\txerbla_(\"FAKE  \", &fake_info, 6);", "}", ""]
    for fam, sig, prec, sym in body:
        info = lapack_info(sig)
        if sig["iface"] == "E":	# lapack_int, or a norm's value (LAPACKE_?lange)
            fake.append("%s %s(void) { refuse(); return fake_info; }" %
                        (ret_type(sig["ret"], prec), sym))
        elif info is not None:
            params = ", ".join(["void *p%d" % i for i in range(info)] + ["int *info"])
            fake.append("void %s(%s) { refuse(); *info = fake_info; }" % (sym, params))
        else:
            fake.append("void %s(void) { refuse(); }" % sym)
    os.makedirs(out, exist_ok=True)
    files = {"calls.c": "\n".join(g.lines) + "\n", "fakeblas.c": "\n".join(fake) + "\n",
             "calls.json": json.dumps(g.calls, indent=0) + "\n"}
    for name, text in files.items():
        path = os.path.join(out, name)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
