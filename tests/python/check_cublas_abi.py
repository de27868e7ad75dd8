#!/usr/bin/env python3
"""check_cublas_abi.py - every cuBLAS line of common/routines.tbl against
the toolkit's cublas_api.h (and cublasLt.h): the symbol exists, and each
argument token has the ABI class of the declared parameter type (the
generated wrappers forward arguments by those tokens, so a wrong token
would pass garbage).

    check_cublas_abi.py routines.tbl CUDA_INCLUDE_DIR

Prints one line per mismatch and exits 1 if there is any.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import genwrap  # noqa: E402

ENUMS = {"cublasOperation_t": "T", "cublasFillMode_t": "U", "cublasSideMode_t": "S",
         "cublasDiagType_t": "D", "cudaDataType": "Y", "cudaDataType_t": "Y",
         "cublasComputeType_t": "K", "cublasGemmAlgo_t": "I"}


def header_decls(text):
    """name -> list of parameter type strings"""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    decls = {}
    for m in re.finditer(r"cublasStatus_t\s+CUBLASWINAPI\s+(\w+)\s*\(([^;]*?)\)\s*;", text):
        params = [p.strip() for p in m.group(2).split(",")]
        decls[m.group(1)] = params
    return decls


def token_class(ptype):
    if "*" in ptype or "[" in ptype:
        return "P"
    words = ptype.replace("const ", "").split()
    base = " ".join(words[:-1])
    if base == "cublasHandle_t":
        return "H"
    if base in ENUMS:
        return ENUMS[base]
    if base == "int":
        return "I"
    if base in ("int64_t", "long long int", "long long"):
        return "L"
    return "?" + base


def main():
    tbl, inc = sys.argv[1], sys.argv[2]
    decls = header_decls(open(os.path.join(inc, "cublas_api.h")).read())
    routines = genwrap.expand(genwrap.parse(tbl))
    bad = checked = 0
    for r in routines:
        if r["sig"]["iface"] != "G":
            continue
        checked += 1
        sym = r["sym"]
        if sym not in decls:
            print("%s: not declared in cublas_api.h" % sym)
            bad += 1
            continue
        want = [token_class(p) for p in decls[sym]]
        got = ["P" if t == "A" else t for t, _ in r["sig"]["params"]]
        if want != got or r["sig"]["ret"] != "N":
            print("%s: table %s, header %s" % (sym, "".join(got), "".join(want)))
            bad += 1
    print("%d cuBLAS entry points checked against %s, %d mismatches" % (checked, inc, bad))
    sys.exit(1 if bad or checked == 0 else 0)


if __name__ == "__main__":
    main()
