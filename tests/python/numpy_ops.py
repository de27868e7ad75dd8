#!/usr/bin/python3
"""numpy_ops.py - NumPy operations whose BLAS/LAPACK work is known exactly,
for tests/integration/numpy.sh.

  numpy_ops.py baseline   import NumPy and stop (what the import alone calls)
  numpy_ops.py ops        run the operations and print the expectations

What Debian 12's NumPy (1.24, linked to libblas.so.3 = OpenBLAS) calls, as
observed with OPCOUNT_REPORT=1 and `opcount report --by key`:
  - its import calls cblas_sdot once (n = 2): taken from the baseline run;
  - float64 matmul -> cblas_dgemm, one call (a transposed operand is passed
    as a transpose flag, not copied); float32 -> cblas_sgemm;
  - matrix @ vector -> cblas_dgemv; np.dot of two 1-d float64 vectors ->
    cblas_ddot;
  - np.linalg.solve -> dgesv_ (Fortran, from _umath_linalg), one call per
    system, plus dcopy_ calls that copy the operands in and out (no FLOPs;
    how many is NumPy's business, so only their FLOPs, zero, are checked).

Prints `expect OP FLOPS CALLS` and `iface OP IFACE` lines.  The LAPACK
counts follow LAPACK Working Note 41, evaluated exactly with fractions.
Nothing here depends on the preload library.
"""
import sys
from fractions import Fraction as F


def lawn_getrf(m, n):
    # m >= n: mults 1/2 mn^2 - 1/6 n^3 + 1/2 mn - 1/2 n^2 + 2/3 n,
    #         adds  1/2 mn^2 - 1/6 n^3 - 1/2 mn + 1/6 n
    if m < n:
        m, n = n, m
    mults = F(1, 2) * m * n * n - F(1, 6) * n ** 3 + F(1, 2) * m * n - F(1, 2) * n * n + F(2, 3) * n
    adds = F(1, 2) * m * n * n - F(1, 6) * n ** 3 - F(1, 2) * m * n + F(1, 6) * n
    return mults + adds


def lawn_getrs(n, nrhs):
    return nrhs * n * n + nrhs * (n * n - n)


def exact(x):
    if x.denominator != 1:
        sys.exit("numpy_ops: %s is not an integer; choose another shape" % x)
    return int(x)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    import numpy as np
    if mode == "baseline":
        return 0
    if mode != "ops":
        sys.exit("usage: numpy_ops.py baseline|ops")

    expect = {}
    iface = {}

    def add(op, flops, via):
        f, c = expect.get(op, (0, 0))
        expect[op] = (f + flops, c + 1)
        iface[op] = via

    # Operands are made without BLAS (the generator and elementwise ops).
    rng = np.random.default_rng(12345)

    a = rng.random((200, 300))
    b = rng.random((300, 100))
    c = a @ b
    add("dgemm", 2 * 200 * 300 * 100, "cblas")

    at = rng.random((300, 200))
    c2 = at.T @ b
    add("dgemm", 2 * 200 * 100 * 300, "cblas")

    x = rng.random(1000)
    y = rng.random(1000)
    d = np.dot(x, y)
    add("ddot", 2 * 1000, "cblas")

    a32 = rng.random((64, 48), dtype=np.float32)
    b32 = rng.random((48, 40), dtype=np.float32)
    c32 = a32 @ b32
    add("sgemm", 2 * 64 * 40 * 48, "cblas")

    m = rng.random((70, 90))
    v = rng.random(90)
    w = m @ v
    add("dgemv", 2 * 70 * 90, "cblas")

    n = 50
    A = rng.random((n, n)) + n * np.eye(n)
    rhs = rng.random(n)
    sol = np.linalg.solve(A, rhs)
    add("dgesv", exact(lawn_getrf(n, n) + lawn_getrs(n, 1)), "fortran")

    n2, nrhs = 40, 3
    A2 = rng.random((n2, n2)) + n2 * np.eye(n2)
    B2 = rng.random((n2, nrhs))
    sol2 = np.linalg.solve(A2, B2)
    add("dgesv", exact(lawn_getrf(n2, n2) + lawn_getrs(n2, nrhs)), "fortran")

    # The results are right (so the wrappers passed everything through);
    # the reference sums are plain Python loops, no BLAS.
    ok = (abs(float(c[3, 7]) - sum(float(a[3, k]) * float(b[k, 7]) for k in range(300))) < 1e-9
          and abs(float(c2[5, 2]) - sum(float(at[k, 5]) * float(b[k, 2]) for k in range(300))) < 1e-9
          and abs(float(d) - sum(float(x[i]) * float(y[i]) for i in range(1000))) < 1e-9
          and abs(float(c32[1, 1]) - sum(float(a32[1, k]) * float(b32[k, 1]) for k in range(48))) < 1e-3
          and abs(float(w[9]) - sum(float(m[9, k]) * float(v[k]) for k in range(90))) < 1e-9
          and max(abs(sum(float(A[i, k]) * float(sol[k]) for k in range(n)) - float(rhs[i]))
                  for i in range(n)) < 1e-9
          and max(abs(sum(float(A2[i, k]) * float(sol2[k, j]) for k in range(n2)) - float(B2[i, j]))
                  for i in range(n2) for j in range(nrhs)) < 1e-9)
    print("results", "ok" if ok else "WRONG")

    total_f = total_c = 0
    for op in sorted(expect):
        f, cnt = expect[op]
        print("expect %s %d %d" % (op, f, cnt))
        print("iface %s %s" % (op, iface[op]))
        total_f += f
        total_c += cnt
    print("expect_total %d %d" % (total_f, total_c))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
