#!/usr/bin/env python3
"""genwrap.py - expand common/routines.tbl into C.

    genwrap.py routines.tbl OUTDIR

writes OUTDIR/routines_gen.h (routine ids), OUTDIR/routines_gen.c (the
routine table, compiled into both link units) and OUTDIR/wrappers_gen.c
(the preload wrappers).  Standard library only: it runs with any python3.
"""
import os
import re
import sys

# s d c z as in BLAS; h half, b bfloat16, x mixed (the types are call
# arguments or descriptor fields, see the family's cost function)
PRECS = "sdczhbx"
REAL = {"s": "float", "d": "double", "c": "float", "z": "double"}
ELEM = {"s": "float", "d": "double", "c": "float _Complex", "z": "double _Complex"}
CHAR_TOKENS = {"T": "trans", "U": "uplo", "S": "side", "D": "diag", "J": "job"}
# G: cuBLAS (handle first, enums, scalars by pointer), generated like the
# CPU interfaces.  L (cublasLt), N (cuDNN) and R (CUDA runtime) lines only
# declare a routine: its wrapper is written by hand in preload/gpu_*.c,
# because its shape comes from descriptors, not from its arguments.  D
# (oneDNN) lines name the rows of preload/dnnl.c's one wrapper of
# dnnl_primitive_execute, one per primitive kind and propagation.  X
# declares the key of the time in layer regions (preload/layer.c).  M
# (MPI, preload/mpi.c) and K (NCCL, preload/nccl.c): communication, whose
# sizes come from run-time queries (MPI_Type_size, ncclCommCount).  O
# (Gloo, preload/gloo.c): C++ entry points under their mangled names, the
# op named gloo::<function>.
IFACE = {"C": "OPC_IF_CBLAS", "F": "OPC_IF_FORTRAN", "E": "OPC_IF_LAPACKE",
         "G": "OPC_IF_CUBLAS", "L": "OPC_IF_CUBLASLT", "N": "OPC_IF_CUDNN",
         "R": "OPC_IF_CUDART", "D": "OPC_IF_DNNL", "X": "OPC_IF_REGION",
         "M": "OPC_IF_MPI", "K": "OPC_IF_NCCL",
         "O": "OPC_IF_GLOO"}
HANDWRITTEN = "LNRDXMKO"


class TableError(Exception):
    pass


def parse(path):
    families = []
    fam = None
    for lineno, raw in enumerate(open(path), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = "%s:%d" % (path, lineno)
        words = line.split()
        if words[0] == "family":
            fam = {"name": words[1], "sigs": [], "where": where, "flops": "OPC_FLOPS_EXACT",
                   "names": {}, "dims": [], "flags": []}
            for w in words[2:]:
                if w == "estimated":
                    fam["flops"] = "OPC_FLOPS_ESTIMATED"
                    continue
                if w == "unknown":	# FLOPs cannot be known: counted as 0
                    fam["flops"] = "OPC_FLOPS_UNKNOWN"
                    continue
                if "=" not in w:
                    raise TableError("%s: bad attribute %r" % (where, w))
                k, v = w.split("=", 1)
                if k == "names":
                    fam["names"] = dict(x.split(":") for x in v.split(","))
                elif k in ("dims", "flags"):
                    fam[k] = [x for x in v.split(",") if x]
                else:
                    fam[k] = v
            fam.setdefault("class", fam["name"])
            fam.setdefault("cost", fam["name"])
            for k in ("level", "prec"):
                if k not in fam:
                    raise TableError("%s: family %s lacks %s=" % (where, fam["name"], k))
            if len(fam["dims"]) > 4 or len(fam["flags"]) > 4:
                raise TableError("%s: at most 4 dims and 4 flags" % where)
            families.append(fam)
            continue
        if fam is None or words[0] not in IFACE:
            raise TableError("%s: expected 'family' or an interface line (%s)" %
                             (where, "/".join(IFACE)))
        m = re.match(r"^([CFEGLNRDXMKO])\s+(\w+)\s+([\w{}]+)\((.*)\)$", line)
        if not m:
            raise TableError("%s: cannot parse signature" % where)
        iface, ret, sym, args = m.groups()
        params = []
        if iface in HANDWRITTEN:
            args = ""	# documentation only: the wrapper is written by hand
        for a in [x for x in args.split(",") if x.strip()]:
            t = a.split()
            if len(t) != 2:
                raise TableError("%s: bad argument %r" % (where, a))
            params.append((t[0], t[1]))
        fam["sigs"].append({"iface": iface, "ret": ret, "sym": sym, "params": params,
                            "where": where})
    return families


def ret_type(tok, prec):
    if tok == "R":
        return REAL[prec]
    if tok == "X":
        return ELEM[prec]
    return {"void": "void", "Z": "size_t", "N": "int", "DBL": "double"}[tok]


def param_type(tok, iface, prec):
    if iface == "G":
        if tok == "H":
            return "void *"
        if tok in ("I",) or tok in CHAR_TOKENS:
            return "int"
        if tok == "L":
            return "int64_t"
        if tok in ("P", "A"):
            return "void *"
        raise TableError("unknown cuBLAS token %s" % tok)
    if iface == "F":
        if tok == "I":
            return "const int *"
        if tok in CHAR_TOKENS:
            return "const char *"
        return "void *"
    if tok in ("O", "I"):
        return "int"
    if tok in CHAR_TOKENS:
        return "int" if iface == "C" else "char"
    if tok == "P":
        return "void *"
    if tok == "A":
        return REAL[prec] if prec in "sd" else "const void *"
    if tok == "R":
        return REAL[prec]
    if tok == "F":
        return "float"
    raise TableError("unknown token %s" % tok)


def dim_expr(tok, name, iface):
    if iface == "G" and tok in ("I", "L"):
        return "(int64_t)%s" % name
    if tok != "I":
        raise TableError("dimension %s is not an integer argument" % name)
    return "(int64_t)*%s" % name if iface == "F" else "(int64_t)%s" % name


def flag_expr(tok, name, iface, prec):
    if iface == "G":
        if tok in CHAR_TOKENS:
            return "opc_cublas_%s(%s)" % (CHAR_TOKENS[tok], name)
        if tok == "A":	# scalar by pointer: host or device memory
            return "opc_cublas_scalar(handle, %s, '%s')" % (name, prec)
        raise TableError("flag %s has unusable cuBLAS token %s" % (name, tok))
    if tok in CHAR_TOKENS:
        if iface == "C":
            return "opc_cblas_%s(%s)" % (CHAR_TOKENS[tok], name)
        if iface == "F":
            return "opc_upper(*%s)" % name
        return "opc_upper(%s)" % name
    if tok == "I":
        v = "*%s" % name if iface == "F" else name
        return "(%s == -1 ? 'Q' : '-')" % v
    if tok in ("A", "R"):
        if iface == "F" or (tok == "A" and prec in "cz"):
            ncomp = 2 if (tok == "A" and prec in "cz") else 1
            return "opc_zero_%s%d(%s)" % (REAL[prec], ncomp, name)
        return "(%s == 0 ? '0' : '1')" % name
    raise TableError("flag %s has unusable token %s" % (name, tok))


def expand(families):
    routines = []
    for fam in families:
        for prec in fam["prec"]:
            if prec not in PRECS:
                raise TableError("%s: bad precision %s" % (fam["where"], prec))
            pfx = fam["names"].get(prec, prec)
            for sig in fam["sigs"]:
                sym = sig["sym"].replace("{p}", pfx).replace("{P}", pfx.capitalize())
                op = sym
                for pre in ("cblas_", "LAPACKE_"):
                    if op.startswith(pre):
                        op = op[len(pre):]
                op = op.rstrip("_")
                if op.endswith("_sub"):
                    op = op[:-4]
                m = re.match(r"_ZN4gloo\d+([a-z_]+)E", op)
                if sig["iface"] == "O" and m:	# C++: _ZN4gloo9allreduce... -> gloo::allreduce
                    op = "gloo::" + m.group(1)
                if sig["iface"] in "GLNR":	# cublasSgemm_v2(_64) -> cublasSgemm
                    op = re.sub(r"_v2(?=$|_)", "", op)
                    op = re.sub(r"_64$", "", op)	# 64-bit integers, same work
                routines.append({"fam": fam, "sig": sig, "prec": prec, "sym": sym, "op": op})
    seen = set()
    for r in routines:
        if r["sym"] in seen:
            raise TableError("%s: %s defined twice" % (r["sig"]["where"], r["sym"]))
        seen.add(r["sym"])
    return routines


def cstr(s):
    return '"%s"' % s


def gen_header(routines):
    out = ["/* Generated by tools/genwrap.py from common/routines.tbl: do not edit. */",
           "#ifndef OPC_ROUTINES_GEN_H", "#define OPC_ROUTINES_GEN_H", "",
           "#define OPC_NROUTINES %d" % len(routines), "", "enum opc_rid {"]
    for r in routines:
        out.append("\tOPC_R_%s," % r["sym"])
    out += ["};", "", "#endif", ""]
    return "\n".join(out)


def gen_table(routines):
    out = ["/* Generated by tools/genwrap.py from common/routines.tbl: do not edit. */",
           '#include "routines.h"', '#include "routines_gen.h"', ""]
    costs = sorted({r["fam"]["cost"] for r in routines})
    for c in costs:
        out.append("void opc_cost_%s(const struct opc_shape *s, char prec, struct opc_cost *out);" % c)
    out += ["", "const struct opc_routine opc_routines[] = {"]
    for r in routines:
        f = r["fam"]
        out.append("\t{ %s, %s, %s, %s, %s, %s, '%s', %s, %s, opc_cost_%s }," % (
            cstr(r["sym"]), cstr(r["op"]), cstr(f["class"]), cstr(",".join(f["dims"])),
            cstr(",".join(f["flags"])), f["level"], r["prec"], IFACE[r["sig"]["iface"]],
            f["flops"], f["cost"]))
    out += ["};", "", "const int opc_nroutines = %d;" % len(routines), ""]
    out += gen_argdescs(routines)
    return "\n".join(out)


def gen_argdescs(routines):
    """Per routine, where its shape comes from, for decoders that see the
    raw arguments (the ptrace tracer): the same dims= and flags= as the
    wrappers, as parameter indices into the token string."""
    out = ["/* Argument tokens (routines.tbl) and the parameter index of each shape",
           " * dimension and flag, -1 for none: see tracer/argdecode.c. */",
           "const struct opc_argdesc opc_argdescs[] = {"]
    for r in routines:
        params = r["sig"]["params"]
        index = {n: i for i, (_, n) in enumerate(params)}
        if r["sig"]["iface"] in "GLNRDMKO":	# GPU, oneDNN, MPI, NCCL, Gloo: not decoded by the ptrace tracer
            out.append('\t{ "", { -1, -1, -1, -1 }, { -1, -1, -1, -1 } },')
            continue
        dims = [index[d] for d in r["fam"]["dims"]]
        flags = [index.get(f, -1) for f in r["fam"]["flags"]]	# lwork: Fortran only
        dims += [-1] * (4 - len(dims))
        flags += [-1] * (4 - len(flags))
        out.append('\t{ "%s", { %s }, { %s } },' % (
            "".join(t for t, _ in params), ", ".join(map(str, dims)),
            ", ".join(map(str, flags))))
    out += ["};", ""]
    return out


def gen_wrapper(r):
    sig, prec, fam = r["sig"], r["prec"], r["fam"]
    iface = sig["iface"]
    params = sig["params"]
    names = [n for _, n in params]
    types = [param_type(t, iface, prec) for t, _ in params]
    hidden = []
    if iface == "F":
        hidden = ["len_%s" % n for t, n in params if t in CHAR_TOKENS]
    decl = ["%s%s" % (t if t.endswith("*") else t + " ", n) for t, n in zip(types, names)]
    decl += ["size_t %s" % h for h in hidden]
    ptypes = types + ["size_t"] * len(hidden)
    args = ", ".join(names + hidden)
    rtype = ret_type(sig["ret"], prec)
    byname = {n: t for t, n in params}

    shape = []
    for i, d in enumerate(fam["dims"]):
        if d not in byname:
            raise TableError("%s: dims name %s is not an argument" % (sig["where"], d))
        shape.append("\tcall.key.shape.d[%d] = %s;" % (i, dim_expr(byname[d], d, iface)))
    for i, fl in enumerate(fam["flags"]):
        if fl not in byname:
            if fl == "lwork":	# only the Fortran interface has workspace arguments
                continue
            raise TableError("%s: flags name %s is not an argument" % (sig["where"], fl))
        shape.append("\tcall.key.shape.f[%d] = %s;" % (i, flag_expr(byname[fl], fl, iface, prec)))

    rid = "OPC_R_%s" % r["sym"]
    if iface == "G":
        return gen_cublas_wrapper(r, rid, decl, ptypes, args, rtype, shape)
    # LAPACK reports a refused call itself (reject.h): a Fortran routine
    # through info, a LAPACKE function through its value
    refused = None
    if iface == "F" and "info" in byname:
        refused = "*(const int *)info < 0"
    elif iface == "E":
        # lapack_int, or the value of a norm (LAPACKE_?lange: -1 refused)
        if sig["ret"] not in ("N", "R"):
            raise TableError("%s: LAPACKE functions return lapack_int (N) or a real (R)" %
                             sig["where"])
        refused = "ret < 0"
    o = []
    o.append("OPC_EXPORT %s %s(%s)" % (rtype, r["sym"], ", ".join(decl) or "void"))
    o.append("{")
    o.append("\ttypedef %s (*real_t)(%s);" % (rtype, ", ".join(ptypes) or "void"))
    o.append("\treal_t real = (real_t)opc_real(%s);" % rid)
    o.append("\tstruct opc_call call;")
    if rtype != "void":
        o.append("\t%s ret;" % rtype)
    o.append("")
    o.append("\tif (__builtin_expect(real == NULL, 0)) {")
    o.append("\t\topc_real_missing(%s);" % rid)
    o.append("\t\treturn%s;" % ("" if rtype == "void" else " (%s)0" % rtype))
    o.append("\t}")
    o.append("\tif (!opc_call_begin(&call, %s, __builtin_return_address(0))) {" % rid)
    if rtype == "void":
        o.append("\t\treal(%s);" % args)
        o.append("\t\treturn;")
    else:
        o.append("\t\treturn real(%s);" % args)
    o.append("\t}")
    o.extend(shape)
    o.append("\topc_call_enter(&call);")
    o.append("\t%sreal(%s);" % ("" if rtype == "void" else "ret = ", args))
    if refused:
        o.append("\tif (__builtin_expect(%s, 0))" % refused)
        o.append("\t\topc_call_reject(&call);")
    o.append("\topc_call_exit(&call);")
    if rtype != "void":
        o.append("\treturn ret;")
    o.append("}")
    o.append("")
    return "\n".join(o)


def handwritten(r):
    """L, N, R lines, and cuBLAS lines of mixed precision (their element
    types are arguments: preload/gpu_cublas.c maps them to shape flags)."""
    return r["sig"]["iface"] in HANDWRITTEN or (r["sig"]["iface"] == "G" and r["prec"] == "x")


def gen_cublas_wrapper(r, rid, decl, ptypes, args, rtype, shape):
    """A cuBLAS call: counted on the host, timed on the GPU (preload/gpu.h)."""
    if rtype != "int":
        raise TableError("%s: cuBLAS routines return cublasStatus_t (N)" % r["sig"]["where"])
    o = []
    o.append("OPC_EXPORT int %s(%s)" % (r["sym"], ", ".join(decl)))
    o.append("{")
    o.append("\ttypedef int (*real_t)(%s);" % ", ".join(ptypes))
    o.append("\treal_t real = (real_t)opc_real(%s);" % rid)
    o.append("\tstruct opc_gpu_call g;")
    o.append("\tint ret;")
    o.append("")
    o.append("\tif (__builtin_expect(real == NULL, 0)) {")
    o.append("\t\topc_real_missing(%s);" % rid)
    o.append("\t\treturn OPC_CUBLAS_STATUS_NOT_INITIALIZED;")
    o.append("\t}")
    o.append("\tif (!opc_gpu_begin(&g, %s, __builtin_return_address(0)))" % rid)
    o.append("\t\treturn real(%s);" % args)
    o.extend(l.replace("call.key", "g.call.key") for l in shape)
    o.append("\tg.stream = opc_cublas_stream(handle);")
    o.append("\topc_gpu_enter(&g);")
    o.append("\tret = real(%s);" % args)
    o.append("\topc_gpu_exit(&g, ret == 0);")
    o.append("\treturn ret;")
    o.append("}")
    o.append("")
    return "\n".join(o)


def gen_wrappers(routines):
    out = ["/* Generated by tools/genwrap.py from common/routines.tbl: do not edit. */",
           "#include <stddef.h>", "#include <stdint.h>", "",
           '#include "call.h"', '#include "reject.h"', '#include "resolve.h"',
           '#include "routines_gen.h"',
           '#include "gpu.h"', '#include "gpu_cublas.h"', "",
           "/*", " * Every wrapper only describes its call (routine, shape) and hands it to",
           " * the recording core: no logic of its own.  Pointer types are erased to",
           " * void *: they are forwarded untouched, and only the return type and the",
           " * scalars passed by value matter to the ABI.  A LAPACK wrapper also hands",
           " * on the routine's own verdict on its arguments (info < 0: reject.h).", " */", ""]
    for r in routines:
        if not handwritten(r):
            out.append(gen_wrapper(r))
    return "\n".join(out)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: genwrap.py routines.tbl OUTDIR")
    try:
        routines = expand(parse(sys.argv[1]))
        files = {"routines_gen.h": gen_header(routines),
                 "routines_gen.c": gen_table(routines),
                 "wrappers_gen.c": gen_wrappers(routines)}
    except TableError as e:
        sys.exit("genwrap: %s" % e)
    os.makedirs(sys.argv[2], exist_ok=True)
    for name, text in files.items():
        path = os.path.join(sys.argv[2], name)
        # Rewrite only on change so that make does not rebuild needlessly.
        old = open(path).read() if os.path.exists(path) else None
        if old != text:
            with open(path + ".tmp", "w") as f:
                f.write(text)
            os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
