#!/usr/bin/env python3
"""check_gpu_cublas.py - what opcount must report for tests/gpu/cublas_loop.

    check_gpu_cublas.py REPORT.json LOOPS LAUNCH_NS [--nested REPORT_NESTED.json]

The calls of cublas_loop.c are listed below with their counts worked out
here from the definitions (LAWN 41: GEMM 2mnk, complex 8mnk; bytes: each
operand element read once, outputs written once, C not read when beta is
zero on the host), independently of common/cost.c.  Checked per op (rows
of `report --by op`): calls, FLOPs, bytes exactly, the interface, and
busy_s against the simulated GPU's durations (tests/fake/fakegpu.h:
LAUNCH_NS + FLOPs / 1000 + bytes / 100 ns per call, each call queued
behind the previous one on one stream, so its events measure exactly
its work).  With --nested: the cublasLtMatmul calls that the fake
cublasSgemm makes inside itself appear as nested rows, and the rows that
are not nested are as without OPCOUNT_NESTED.
"""
import json
import sys


def gemm(m, n, k, esize, beta_zero, cplx=False, batch=1):
    flops = (8 if cplx else 2) * m * n * k * batch
    nbytes = batch * esize * (m * k + k * n + (1 if beta_zero else 2) * m * n)
    return flops, nbytes


def gemm_typed(m, n, k, ab_bytes, c_bytes, beta_zero, batch=1, cplx=False):
    flops = (8 if cplx else 2) * m * n * k * batch
    nbytes = batch * (ab_bytes * (m * k + k * n) + c_bytes * (1 if beta_zero else 2) * m * n)
    return flops, nbytes


def per_loop():
    """(op, (flops, bytes)) of one iteration of cublas_loop's loop"""
    n = 1000
    return [
        ("cublasSgemm", gemm(64, 48, 32, 4, False)),
        ("cublasSgemm", gemm(20, 30, 10, 4, True)),
        ("cublasDgemm", gemm(33, 17, 9, 8, True)),
        ("cublasDgemm", gemm(20, 20, 20, 8, False)),	# cublasDgemm_v2_64
        ("cublasZgemm", gemm(8, 7, 5, 16, False, cplx=True)),
        ("cublasCgemm", gemm(6, 6, 6, 8, True, cplx=True)),
        ("cublasHgemm", gemm(128, 64, 256, 2, True)),	# beta = -0.0
        ("cublasSgemmStridedBatched", gemm(16, 8, 4, 4, False, batch=6)),
        ("cublasDgemmBatched", gemm(5, 6, 7, 8, True, batch=3)),
        ("cublasGemmEx", gemm_typed(64, 64, 64, 2, 4, True)),	# FP16 in, FP32 out
        ("cublasGemmEx", gemm_typed(10, 12, 14, 4, 4, False)),	# FP32, TF32 compute
        ("cublasGemmStridedBatchedEx", gemm_typed(32, 32, 16, 2, 2, False, batch=4)),
        ("cublasGemmBatchedEx", gemm_typed(4, 5, 6, 8, 8, True, batch=2)),
        ("cublasGemmEx", gemm_typed(8, 8, 8, 1, 4, True)),	# _64, int8 in, int32 out
        ("cublasLtMatmul", gemm_typed(24, 40, 16, 4, 4, True, batch=2)),
        ("cublasLtMatmul", gemm_typed(64, 32, 128, 1, 2, True)),	# FP8 in, bf16 out
        ("cublasSgemv", (2 * 50 * 30, 4 * (50 * 30 + 30 + 2 * 50))),
        ("cublasDgemv", (2 * 40 * 20, 8 * (40 * 20 + 40 + 20))),	# trans, beta 0
        ("cublasSdot", (2 * n, 4 * 2 * n)),
        ("cublasSdot", (2 * n, 4 * 2 * n)),	# cublasSdot_v2_64
        ("cublasDdot", (2 * 500, 8 * 2 * 500)),
        ("cublasZdotc", (8 * 100, 16 * 2 * 100)),
        ("cublasSaxpy", (2 * n, 4 * 3 * n)),
        ("cublasDaxpy", (2 * n, 8 * 3 * n)),
        ("cublasSscal", (n, 4 * 2 * n)),
        ("cublasDscal", (300, 8 * 2 * 300)),
        ("cublasScopy", (0, 4 * 2 * n)),
        ("cublasDswap", (0, 8 * 4 * n)),
        ("cublasSrot", (6 * n, 4 * 4 * n)),
        ("cublasDnrm2", (2 * n, 8 * n)),
        ("cublasSasum", (n, 4 * n)),
        ("cublasIsamax", (n, 4 * n)),
    ]


def expected(loops):
    calls = per_loop() * loops
    # after the loop: beta in device memory is not read, so C counts as read
    calls.append(("cublasDgemm", gemm(10, 10, 10, 8, False)))
    return calls


def fake_ns(launch, flops, nbytes):
    return int(launch + flops / 1000.0 + nbytes / 100.0)	# fakegpu_cost_ns


def rows_by_op(report, nested):
    out = {}
    for r in report["rows"]:
        if r["calls"] == 0 or bool(r.get("nested")) != nested or r.get("other_ops"):
            continue
        if r["op"] in out:
            raise SystemExit("FAIL: two %srows for %s" % ("nested " if nested else "", r["op"]))
        out[r["op"]] = r
    return out


def main():
    args = sys.argv[1:]
    nested_path = None
    if "--nested" in args:
        i = args.index("--nested")
        nested_path = args[i + 1]
        del args[i:i + 2]
    report = json.load(open(args[0]))
    loops, launch = int(args[1]), float(args[2])
    want = {}
    for op, (flops, nbytes) in expected(loops):
        w = want.setdefault(op, {"calls": 0, "flops": 0, "bytes": 0, "ns": 0})
        w["calls"] += 1
        w["flops"] += flops
        w["bytes"] += nbytes
        w["ns"] += fake_ns(launch, flops, nbytes)
    got = rows_by_op(report, False)
    errors = []
    for op in sorted(set(want) | set(got)):
        if op not in got:
            errors.append("%s: no row" % op)
            continue
        if op not in want:
            errors.append("%s: unexpected row (%d calls)" % (op, got[op]["calls"]))
            continue
        g, w = got[op], want[op]
        for f in ("calls", "flops", "bytes"):
            if g[f] != w[f]:
                errors.append("%s: %s %s, expected %s" % (op, f, g[f], w[f]))
        iface = "cublaslt" if op == "cublasLtMatmul" else "cublas"
        if g.get("iface") != iface:
            errors.append("%s: iface %s, expected %s" % (op, g.get("iface"), iface))
        ws = w["ns"] / 1e9
        if abs(g["busy_s"] - ws) > 0.002 * ws + 30e-6:
            errors.append("%s: busy_s %.9f, simulated GPU time %.9f" % (op, g["busy_s"], ws))
    tot = report["totals"]
    for f in ("calls", "flops", "bytes"):
        s = sum(w[f] for w in want.values())
        if tot[f] != s:
            errors.append("totals.%s %s, expected %s" % (f, tot[f], s))
    s = sum(w["ns"] for w in want.values()) / 1e9
    if abs(tot["busy_s"] - s) > 0.002 * s + 100e-6:
        errors.append("totals.busy_s %.9f, simulated GPU time %.9f" % (tot["busy_s"], s))

    if nested_path:
        nrep = json.load(open(nested_path))
        top = rows_by_op(nrep, False)
        for op, g in got.items():
            t = top.get(op)
            if t is None or any(t[f] != g[f] for f in ("calls", "flops", "bytes")):
                errors.append("OPCOUNT_NESTED=1 changes the row of %s" % op)
        for f in ("calls", "flops", "bytes"):
            if nrep["totals"][f] != tot[f]:
                errors.append("OPCOUNT_NESTED=1 changes totals.%s" % f)
        inner = rows_by_op(nrep, True)
        # every cublasSgemm runs one cublasLtMatmul of its shape
        sg = [c for op, c in per_loop() if op == "cublasSgemm"]
        w = {"calls": len(sg) * loops, "flops": sum(f for f, _ in sg) * loops,
             "bytes": sum(b for _, b in sg) * loops}
        lt = inner.get("cublasLtMatmul")
        if lt is None or any(lt[f] != w[f] for f in w) or set(inner) != {"cublasLtMatmul"}:
            errors.append("nested rows %s, expected only cublasLtMatmul %s" % (
                {k: (v["calls"], v["flops"], v["bytes"]) for k, v in inner.items()}, w))

    for e in errors:
        print("FAIL: " + e)
    if errors:
        sys.exit(1)
    print("%d ops, %d calls, %d flops, %d bytes, busy %.6f s (simulated %.6f s)" % (
        len(want), tot["calls"], tot["flops"], tot["bytes"], tot["busy_s"], s))


if __name__ == "__main__":
    main()
