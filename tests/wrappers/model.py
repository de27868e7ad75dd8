"""model.py - what a BLAS or LAPACK call costs, from its arguments.

The reference of tests/integration/wrappers.sh, written from the
definitions of the routines and the counting conventions, not from
common/cost.c or tools/genwrap.py:

  FLOPs   LAPACK Working Note 41: real multiplies plus adds, a complex
          multiply 6 real FLOPs and a complex add 2; divisions and square
          roots count as multiplies.  Scalings by alpha and beta are free
          (GEMM is 2mnk).  A routine that only scales (SCAL, OMATCOPY)
          counts its scaling; a comparison (IAMAX) is one FLOP.
  bytes   compulsory traffic: each operand element read once, each output
          element written once, times the element size.  An output whose
          old value is unused (beta == 0) is not read.  Of a symmetric,
          Hermitian or triangular operand only the referenced triangle
          is read.  Pivots are 4-byte integers; eigenvalues and singular
          values of complex matrices are real.  Workspace is not an
          operand.
  estimated  routines whose work depends on the data (eigen and singular
          value solvers, Givens generation) get the leading-order
          estimates of Golub and Van Loan, complex arithmetic 4x real.

A dimension <= 0 is a quick return: nothing.  A Fortran workspace query
(lwork == -1) does no arithmetic and moves nothing.  A call the library
refused (its xerbla, info < 0, a negative LAPACKE value) did nothing at
all: 0 FLOPs, 0 bytes, and nothing estimated.

cost(op, args, rejected) -> (flops, bytes, estimated), args by parameter
name as the routine's documentation names them (m, n, k, kl, ku, nrhs,
rows, cols, trans, ta, tb, side, diag, jobz, jobu, jobvt, beta, lwork).
"""
from fractions import Fraction as Fr
import re

ESIZE = {"s": 4, "d": 8, "c": 8, "z": 16}
RSIZE = {"s": 4, "d": 8, "c": 4, "z": 8}	# the real type of a precision
PIVOT = 4


def cplx(p):
    return p in "cz"


def fl(p, mul, add):
    """Real FLOPs of mul multiplies and add adds in precision p (exact)."""
    f = 6 * Fr(mul) + 2 * Fr(add) if cplx(p) else Fr(mul) + Fr(add)
    if f.denominator != 1:
        raise ValueError("a count of %s is not whole" % f)
    return int(f)


def zero(v):
    """A scalar argument as passed: a number, or [re, im]."""
    return all(x == 0 for x in v) if isinstance(v, list) else v == 0


def out(a, elems):
    """Elements moved for an output scaled by beta: read unless beta == 0."""
    return elems if zero(a["beta"]) else 2 * elems


def pos(a, *names):
    return all(a[n] > 0 for n in names)


# ---- Level 1 -------------------------------------------------------------

def rotg(p, a):
    # r = sqrt(a^2 + b^2), c = a/r, s = b/r: 5 multiplies, 1 add; a, b read;
    # r, z, c, s written
    return fl(p, 5, 1), 6 * ESIZE[p]


def rotmg(p, a):
    # the modified Givens generation branches on the data (rescaling loops):
    # estimated as 8 multiplies and 2 adds; d1, d2, x1, y1 read, d1, d2,
    # x1 written and param (flag and 4 elements) written: 9 elements as the
    # project counts them (param's 5 and the three updated scalars, the
    # inputs read in the same places)
    return fl(p, 8, 2), 9 * ESIZE[p]


def rot(p, a):
    n = a["n"]
    # x' = c x + s y, y' = c y - s x: 4 multiplies, 2 adds per element
    return (fl(p, 4 * n, 2 * n), 4 * n * ESIZE[p]) if n > 0 else (0, 0)


def rrot(p, a):
    n = a["n"]
    # complex x, y by real c, s: real x complex is 2 FLOPs: 2 x (2 + 2) + 2 x 2
    return (12 * n, 4 * n * ESIZE[p]) if n > 0 else (0, 0)


def swap(p, a):
    n = a["n"]
    return (0, 4 * n * ESIZE[p]) if n > 0 else (0, 0)


def copy(p, a):
    n = a["n"]
    return (0, 2 * n * ESIZE[p]) if n > 0 else (0, 0)


def scal(p, a):
    n = a["n"]
    return (fl(p, n, 0), 2 * n * ESIZE[p]) if n > 0 else (0, 0)


def rscal(p, a):
    n = a["n"]
    return (2 * n, 2 * n * ESIZE[p]) if n > 0 else (0, 0)


def axpy(p, a):
    n = a["n"]
    return (fl(p, n, n), 3 * n * ESIZE[p]) if n > 0 else (0, 0)


def axpby(p, a):
    n = a["n"]
    # y = alpha x + beta y: beta y is a scaling; y read unless beta == 0
    return (fl(p, n, n), (n + out(a, n)) * ESIZE[p]) if n > 0 else (0, 0)


def dot(p, a):
    n = a["n"]
    return (fl(p, n, n), 2 * n * ESIZE[p]) if n > 0 else (0, 0)


def nrm2(p, a):
    n = a["n"]
    # sum of squares of n reals (2n for complex)
    return ((4 if cplx(p) else 2) * n, n * ESIZE[p]) if n > 0 else (0, 0)


def asum(p, a):
    n = a["n"]
    # |re| + |im| and the sum: one add per real
    return ((2 if cplx(p) else 1) * n, n * ESIZE[p]) if n > 0 else (0, 0)


def iamax(p, a):
    n = a["n"]
    # a comparison per element (after |re| + |im| for complex)
    return ((2 if cplx(p) else 1) * n, n * ESIZE[p]) if n > 0 else (0, 0)


# ---- Level 2 -------------------------------------------------------------

def gemv(p, a):
    m, n = a["m"], a["n"]
    if not pos(a, "m", "n"):
        return 0, 0
    xl, yl = (n, m) if a["trans"] == "N" else (m, n)
    return fl(p, m * n, m * n), (m * n + xl + out(a, yl)) * ESIZE[p]


def gbmv(p, a):
    m, n, kl, ku = a["m"], a["n"], a["kl"], a["ku"]
    if not pos(a, "m", "n") or kl < 0 or ku < 0:
        return 0, 0
    nnz = sum(1 for i in range(m) for j in range(n) if -kl <= j - i <= ku)
    xl, yl = (n, m) if a["trans"] == "N" else (m, n)
    return fl(p, nnz, nnz), (nnz + xl + out(a, yl)) * ESIZE[p]


def symv(p, a):
    n = a["n"]
    if n <= 0:
        return 0, 0
    # the stored triangle read, used for both halves
    return fl(p, n * n, n * n), (n * (n + 1) // 2 + n + out(a, n)) * ESIZE[p]


def sbmv(p, a):
    n, k = a["n"], a["k"]
    if n <= 0 or k < 0:
        return 0, 0
    full = sum(1 for i in range(n) for j in range(n) if abs(i - j) <= k)
    stored = sum(1 for i in range(n) for j in range(i, n) if j - i <= k)
    return fl(p, full, full), (stored + n + out(a, n)) * ESIZE[p]


def trmv(p, a):
    n = a["n"]
    if n <= 0:
        return 0, 0
    # LAWN 41 TRMV, TRSV: n(n+1)/2 multiplies, n(n-1)/2 adds
    t = n * (n + 1) // 2
    return fl(p, t, n * (n - 1) // 2), (t + 2 * n) * ESIZE[p]


def tbmv(p, a):
    n, k = a["n"], a["k"]
    if n <= 0 or k < 0:
        return 0, 0
    stored = sum(1 for i in range(n) for j in range(i, n) if j - i <= k)
    return fl(p, stored, stored - n), (stored + 2 * n) * ESIZE[p]


def ger(p, a):
    m, n = a["m"], a["n"]
    if not pos(a, "m", "n"):
        return 0, 0
    return fl(p, m * n, m * n), (m + n + 2 * m * n) * ESIZE[p]


def syr(p, a):
    n = a["n"]
    if n <= 0:
        return 0, 0
    t = n * (n + 1) // 2
    return fl(p, t, t), (n + 2 * t) * ESIZE[p]


def syr2(p, a):
    n = a["n"]
    if n <= 0:
        return 0, 0
    t = n * (n + 1) // 2
    return fl(p, 2 * t, 2 * t), (2 * n + 2 * t) * ESIZE[p]


# ---- Level 3 -------------------------------------------------------------

def gemm(p, a):
    m, n, k = a["m"], a["n"], a["k"]
    if not pos(a, "m", "n") or k < 0:
        return 0, 0
    return fl(p, m * n * k, m * n * k), (m * k + k * n + out(a, m * n)) * ESIZE[p]


def gemmt(p, a):
    n, k = a["n"], a["k"]
    if n <= 0 or k < 0:
        return 0, 0
    t = n * (n + 1) // 2	# the triangle of C updated
    return fl(p, t * k, t * k), (2 * n * k + out(a, t)) * ESIZE[p]


def symm(p, a):
    m, n = a["m"], a["n"]
    if not pos(a, "m", "n"):
        return 0, 0
    ka = m if a["side"] == "L" else n
    return (fl(p, m * n * ka, m * n * ka),
            (ka * (ka + 1) // 2 + m * n + out(a, m * n)) * ESIZE[p])


def syrk(p, a):
    n, k = a["n"], a["k"]
    if n <= 0 or k < 0:
        return 0, 0
    t = n * (n + 1) // 2
    return fl(p, k * t, k * t), (n * k + out(a, t)) * ESIZE[p]


def syr2k(p, a):
    n, k = a["n"], a["k"]
    if n <= 0 or k < 0:
        return 0, 0
    t = n * (n + 1) // 2
    # LAWN 41: kn^2 multiplies, kn^2 + n adds (no products when k == 0)
    f = fl(p, k * n * n, k * n * n + n) if k > 0 else 0
    return f, (2 * n * k + out(a, t)) * ESIZE[p]


def trmm(p, a):
    m, n = a["m"], a["n"]
    if not pos(a, "m", "n"):
        return 0, 0
    # LAWN 41 TRMM, TRSM: side L nm(m+1)/2 multiplies, nm(m-1)/2 adds
    ka, other = (m, n) if a["side"] == "L" else (n, m)
    return (fl(p, other * ka * (ka + 1) // 2, other * ka * (ka - 1) // 2),
            (ka * (ka + 1) // 2 + 2 * m * n) * ESIZE[p])


# ---- BLAS-like extensions -------------------------------------------------

def matcopy(p, a):
    r, c = a["rows"], a["cols"]
    if not pos(a, "rows", "cols"):
        return 0, 0
    return fl(p, r * c, 0), 2 * r * c * ESIZE[p]


def geadd(p, a):
    r, c = a["rows"], a["cols"]
    if not pos(a, "rows", "cols"):
        return 0, 0
    return fl(p, r * c, r * c), (r * c + out(a, r * c)) * ESIZE[p]


# ---- LAPACK: LAWN 41 --------------------------------------------------------

def query(a):
    return a.get("lwork") == -1


def lu_ops(m, n):
    """xGETRF multiplies and adds; m < n as LAPACK++ and MAGMA: swapped."""
    M, N = Fr(max(m, n)), Fr(min(m, n))
    mul = M * N * N / 2 - N ** 3 / 6 + M * N / 2 - N * N / 2 + 2 * N / 3
    add = M * N * N / 2 - N ** 3 / 6 - M * N / 2 + N / 6
    return mul, add


def qr_ops(m, n):
    M, N = Fr(m), Fr(n)
    if m >= n:
        return (M * N * N - N ** 3 / 3 + M * N + N * N / 2 + Fr(23, 6) * N,
                M * N * N - N ** 3 / 3 + N * N / 2 + Fr(5, 6) * N)
    return (N * M * M - M ** 3 / 3 + 2 * N * M - M * M / 2 + Fr(23, 6) * M,
            N * M * M - M ** 3 / 3 + N * M - M * M / 2 + Fr(5, 6) * M)


def getrf(p, a):
    m, n = a["m"], a["n"]
    if not pos(a, "m", "n"):
        return 0, 0
    return fl(p, *lu_ops(m, n)), 2 * m * n * ESIZE[p] + PIVOT * min(m, n)


def getrs(p, a):
    n, r = a["n"], a["nrhs"]
    if not pos(a, "n", "nrhs"):
        return 0, 0
    return fl(p, r * n * n, r * n * (n - 1)), (n * n + 2 * n * r) * ESIZE[p] + PIVOT * n


def gesv(p, a):
    n, r = a["n"], a["nrhs"]
    if not pos(a, "n", "nrhs"):
        return 0, 0
    mul, add = lu_ops(n, n)
    return (fl(p, mul + r * n * n, add + r * n * (n - 1)),
            (2 * n * n + 2 * n * r) * ESIZE[p] + PIVOT * n)


def potrf_ops(n):
    N = Fr(n)
    return N ** 3 / 6 + N * N / 2 + N / 3, N ** 3 / 6 - N / 6


def potrf(p, a):
    n = a["n"]
    if n <= 0:
        return 0, 0
    return fl(p, *potrf_ops(n)), n * (n + 1) * ESIZE[p]	# a triangle in and out


def potrs(p, a):
    n, r = a["n"], a["nrhs"]
    if not pos(a, "n", "nrhs"):
        return 0, 0
    return fl(p, r * n * (n + 1), r * n * (n - 1)), (n * (n + 1) // 2 + 2 * n * r) * ESIZE[p]


def posv(p, a):
    n, r = a["n"], a["nrhs"]
    if not pos(a, "n", "nrhs"):
        return 0, 0
    mul, add = potrf_ops(n)
    return (fl(p, mul + r * n * (n + 1), add + r * n * (n - 1)),
            (n * (n + 1) + 2 * n * r) * ESIZE[p])


def geqrf(p, a):
    m, n = a["m"], a["n"]
    if not pos(a, "m", "n") or query(a):
        return 0, 0
    return fl(p, *qr_ops(m, n)), (2 * m * n + min(m, n)) * ESIZE[p]


def orgqr(p, a):
    m, n, k = a["m"], a["n"], a["k"]
    if not pos(a, "m", "n") or k < 0 or query(a):
        return 0, 0
    M, N, K = Fr(m), Fr(n), Fr(k)
    mul = 2 * M * N * K - (M + N) * K * K + Fr(2, 3) * K ** 3 + 2 * N * K - K * K - Fr(5, 3) * K
    add = 2 * M * N * K - (M + N) * K * K + Fr(2, 3) * K ** 3 + N * K - M * K + K / 3
    return fl(p, mul, add), (2 * m * n + k) * ESIZE[p]


def gels(p, a):
    m, n, r = a["m"], a["n"], a["nrhs"]
    if not pos(a, "m", "n", "nrhs") or query(a):
        return 0, 0
    big, small = max(m, n), min(m, n)
    # QR (or LQ) of A, Q' B (xORMQR, side L: big x r by small reflectors),
    # and a triangular solve with r right-hand sides
    qm, qa = qr_ops(big, small)
    om = 2 * r * big * small - r * small * small + 2 * r * small
    oa = 2 * r * big * small - r * small * small + r * small
    tm, ta = r * small * (small + 1) // 2, r * small * (small - 1) // 2
    # B: the rows of the right-hand sides read, max(m, n) rows written
    rows_in = m if a["trans"] == "N" else n
    return fl(p, qm + om + tm, qa + oa + ta), (2 * m * n + (rows_in + big) * r) * ESIZE[p]


def est(p, f):
    """An estimate in real FLOPs; complex arithmetic 4x."""
    f = Fr(f) * (4 if cplx(p) else 1)
    return int(f.numerator * 2 + f.denominator) // (2 * f.denominator)	# nearest


def syev(p, a, vectors_flops):
    n = a["n"]
    if n <= 0 or query(a):
        return 0, 0
    vec = a["jobz"] == "V"
    N = Fr(n)
    f = vectors_flops * N ** 3 if vec else Fr(4, 3) * N ** 3
    t = n * (n + 1) // 2
    # the triangle of A read; eigenvectors written (n x n), or the
    # triangle destroyed; the eigenvalues (real)
    return est(p, f), (t + (n * n if vec else t)) * ESIZE[p] + n * RSIZE[p]


def svd_flops(m, n, ju, jv):
    """Golub and Van Loan's Golub-Reinsch SVD (their table of its work),
    m >= n: singular values only; with V; with U full ('A') or thin ('S',
    or 'O' into A), V or not.  Their columns without V for a wanted U are
    not used: "4m^2 n - 8mn^2" is negative for m < 2n, so a wanted U is
    charged as with V, an upper bound."""
    M, N = Fr(m), Fr(n)
    if ju == "N":
        return 4 * M * N * N + 8 * N ** 3 if jv != "N" else 4 * M * N * N - Fr(4, 3) * N ** 3
    if ju == "A":
        return 4 * M * M * N + 8 * M * N * N + 9 * N ** 3
    return 14 * M * N * N + 8 * N ** 3


def svd_bytes(p, m, n, ju, jv):
    mn = min(m, n)
    u = m * m if ju == "A" else m * mn if ju == "S" else 0	# 'O': in A
    vt = n * n if jv == "A" else mn * n if jv == "S" else 0
    return (2 * m * n + u + vt) * ESIZE[p] + mn * RSIZE[p]


def gesvd(p, a):
    m, n, ju, jv = a["m"], a["n"], a["jobu"], a["jobvt"]
    if not pos(a, "m", "n") or query(a):
        return 0, 0
    f = svd_flops(m, n, ju, jv) if m >= n else svd_flops(n, m, jv, ju)
    return est(p, f), svd_bytes(p, m, n, ju, jv)


def gesdd(p, a):
    m, n, jz = a["m"], a["n"], a["jobz"]
    if not pos(a, "m", "n") or query(a):
        return 0, 0
    # jobz 'O': the factor of the longer side overwrites A, the other is
    # returned whole (VT n x n when m >= n, U m x m otherwise)
    ju = jv = jz
    if jz == "O":
        ju, jv = ("O", "S") if m >= n else ("S", "O")
    f = svd_flops(m, n, ju, jv) if m >= n else svd_flops(n, m, jv, ju)
    return est(p, f), svd_bytes(p, m, n, ju, jv)


def getri(p, a):
    n = a["n"]
    if n <= 0 or query(a):
        return 0, 0
    N = Fr(n)
    return (fl(p, Fr(2, 3) * N ** 3 + N * N / 2 + Fr(5, 6) * N,
               Fr(2, 3) * N ** 3 - Fr(3, 2) * N * N + Fr(5, 6) * N),
            2 * n * n * ESIZE[p] + PIVOT * n)


def trtri(p, a):
    n = a["n"]
    if n <= 0:
        return 0, 0
    N = Fr(n)
    return (fl(p, N ** 3 / 6 + N * N / 2 + N / 3, N ** 3 / 6 - N * N / 2 + N / 3),
            n * (n + 1) * ESIZE[p])


# ---- LAPACK, second round (issue 12) ------------------------------------------
# LAWN 41 where it has the routine; the leading-order models documented in
# docs/counting.md for the rest (estimated).

def trtrs(p, a):
    n, r = a["n"], a["nrhs"]
    if not pos(a, "n", "nrhs"):
        return 0, 0
    # r triangular solves of order n: the i-th unknown n - i multiplies
    # (the division included) and n - i - 1 adds
    mul = r * sum(n - i for i in range(n))
    add = r * sum(n - i - 1 for i in range(n))
    return fl(p, mul, add), (n * (n + 1) // 2 + 2 * n * r) * ESIZE[p]


def ormqr(p, a):
    m, n, k = a["m"], a["n"], a["k"]
    nq = n if a["side"] == "R" else m
    if not pos(a, "m", "n", "k") or query(a) or k > nq:
        return 0, 0
    M, N, K = Fr(m), Fr(n), Fr(k)
    if a["side"] == "R":	# LAWN 41, C Q: m rows, reflectors of length n
        mul = K * (M * (2 * N - K + 1) + N - K / 2 + Fr(1, 2))
        add = M * K * (2 * N - K + 1)
    else:
        mul = N * K * (2 * M - K + 2)
        add = N * K * (2 * M - K + 1)
    return fl(p, mul, add), (nq * k + k + 2 * m * n) * ESIZE[p]


def sytrf(p, a):
    n = a["n"]
    if n <= 0 or query(a):
        return 0, 0
    N = Fr(n)
    return (fl(p, N ** 3 / 6 + N * N / 2 + Fr(10, 3) * N, N ** 3 / 6 - N / 6),
            n * (n + 1) * ESIZE[p] + PIVOT * n)


def gehrd(p, a):
    n = a["n"]
    if n <= 0 or query(a):
        return 0, 0
    N = Fr(n)
    f = 0 if n < 3 else fl(p, Fr(5, 3) * N ** 3 + N * N / 2 - Fr(7, 6) * N - 13,
                           Fr(5, 3) * N ** 3 - N * N - Fr(2, 3) * N - 8)
    return f, (2 * n * n + n - 1) * ESIZE[p]


def geqp3(p, a):
    m, n = a["m"], a["n"]
    if not pos(a, "m", "n") or query(a):
        return 0, 0
    return fl(p, *qr_ops(m, n)), (2 * m * n + min(m, n)) * ESIZE[p] + PIVOT * n


def gecon(p, a):
    n = a["n"]
    if n <= 0:
        return 0, 0
    # five products with the inverse, two triangular solves each
    return fl(p, 10 * n * (n + 1) // 2, 10 * n * (n - 1) // 2), n * n * ESIZE[p]


def lange(p, a):
    m, n = a["m"], a["n"]
    if not pos(a, "m", "n"):
        return 0, 0
    frob = a["norm"] in ("F", "E")
    per = (4 if frob else 5) if cplx(p) else (2 if frob else 1)
    return per * m * n, m * n * ESIZE[p]


def trsyl(p, a):
    m, n = a["m"], a["n"]
    if not pos(a, "m", "n"):
        return 0, 0
    half = Fr(m * n * (m + n), 2)
    return (fl(p, half, half),
            (m * (m + 1) // 2 + n * (n + 1) // 2 + 2 * m * n) * ESIZE[p])


def eig_general(p, a, kind):
    n = a["n"]
    if n <= 0 or query(a):
        return 0, 0
    N = Fr(n)
    if kind == "gees":
        sides = 1 if a["jobvs"] == "V" else 0
        f = (25 if sides else 10) * N ** 3
        el = 2 * n * n + sides * n * n
    else:
        sides = (a["jobvl"] == "V") + (a["jobvr"] == "V")
        if kind == "geev":
            f = (25 + sides * Fr(4, 3)) * N ** 3 if sides else 10 * N ** 3
            el = 2 * n * n + sides * n * n
        else:
            f = (66 if sides else 30) * N ** 3
            el = 4 * n * n + sides * n * n + n
    return est(p, f), el * ESIZE[p] + 2 * n * RSIZE[p]


def eig_sym(p, a, vec_f, val_f, extra_triangles):
    n = a["n"]
    if n <= 0 or query(a):
        return 0, 0
    vec = a["jobz"] == "V"
    t = n * (n + 1) // 2
    f = (vec_f if vec else val_f) * Fr(n) ** 3
    el = t + (n * n if vec else t) + extra_triangles * t
    return est(p, f), el * ESIZE[p] + n * RSIZE[p]


def svd_ls(p, a, solver):
    m, n, r = a["m"], a["n"], a["nrhs"]
    if not pos(a, "m", "n", "nrhs") or query(a):
        return 0, 0
    B, S = Fr(max(m, n)), Fr(min(m, n))
    f = 4 * B * S * S - Fr(4, 3) * S ** 3 + 4 * B * S * r + 4 * S * S * r + solver * S ** 3
    return est(p, f), (2 * m * n + (m + max(m, n)) * r) * ESIZE[p] + min(m, n) * RSIZE[p]


def gelsy(p, a):
    m, n = a["m"], a["n"]
    if not pos(a, "m", "n", "nrhs") or query(a):
        return 0, 0
    f, b = gels(p, dict(a, trans="N"))
    return f, b + PIVOT * n


def gejsv(p, a):
    m, n = a["m"], a["n"]
    if not pos(a, "m", "n") or query(a) or m < n:
        return 0, 0
    u, v = a["jobu"] in ("U", "F"), a["jobv"] in ("V", "J")
    f = svd_flops(m, n, "S" if u else "N", "S" if v else "N")
    el = 2 * m * n + (m * m if a["jobu"] == "F" else m * n if u else 0) + (n * n if v else 0)
    return est(p, f), el * ESIZE[p] + n * RSIZE[p]


def lrot(p, a):
    """LAPACK's crot and zrot: real c, complex s; per element and output
    a real x complex (2), a complex multiply (6) and a complex add (2)."""
    n = a["n"]
    return (20 * n, 4 * n * ESIZE[p]) if n > 0 else (0, 0)


def larfg(p, a):
    n = a["n"]
    return (fl(p, 2 * n, n), (2 * n + 1) * ESIZE[p]) if n > 0 else (0, 0)


def larf(p, a):
    m, n = a["m"], a["n"]
    if not pos(a, "m", "n"):
        return 0, 0
    v = n if a["side"] == "R" else m
    return fl(p, 2 * m * n, 2 * m * n), (v + 1 + 2 * m * n) * ESIZE[p]


def laswp(p, a):
    n, k1, k2 = a["n"], a["k1"], a["k2"]
    if not pos(a, "n", "k1", "k2") or k2 < k1:
        return 0, 0
    rows = k2 - k1 + 1
    return 0, 4 * n * rows * ESIZE[p] + PIVOT * rows


def gerqf(p, a):
    m, n = a["m"], a["n"]
    if not pos(a, "m", "n") or query(a):
        return 0, 0
    M, N = Fr(m), Fr(n)
    if m > n:	# LAWN 41
        mul = N * N / 2 - N ** 3 / 3 + M * N * N + M * N + Fr(29, 6) * N
        add = -N * N / 2 - N ** 3 / 3 + M * N * N + M * N + Fr(5, 6) * N
    else:
        mul = -M * M / 2 - M ** 3 / 3 + M * M * N + 2 * M * N + Fr(29, 6) * M
        add = M * M / 2 - M ** 3 / 3 + M * M * N + Fr(5, 6) * M
    return fl(p, mul, add), (2 * m * n + min(m, n)) * ESIZE[p]


def orgrq(p, a):
    m, n, k = a["m"], a["n"], a["k"]
    if not pos(a, "m", "n") or k < 0 or query(a) or m > n or k > m:
        return 0, 0
    M, N, K = Fr(m), Fr(n), Fr(k)
    mul = 2 * M * N * K + (M + N) * K - Fr(2, 3) * K + Fr(2, 3) * K ** 3 - (M + N) * K * K - K * K
    add = 2 * M * N * K + (M - N) * K + K / 3 + Fr(2, 3) * K ** 3 - (M + N) * K * K
    return fl(p, mul, add), (2 * m * n + k) * ESIZE[p]


def sytrd(p, a):
    n = a["n"]
    if n <= 0 or query(a):
        return 0, 0
    N = Fr(n)
    f = 0 if n < 2 else fl(p, Fr(2, 3) * N ** 3 + Fr(5, 2) * N * N - N / 6 - 15,
                           Fr(2, 3) * N ** 3 + N * N - Fr(8, 3) * N - 4)
    return f, (n * (n + 1) + n - 1) * ESIZE[p] + (2 * n - 1) * RSIZE[p]


def lauum_ops(n):
    N = Fr(n)
    return N ** 3 / 6 + N * N / 2 + N / 3, N ** 3 / 6 - N / 6


def lauum(p, a):
    n = a["n"]
    return (fl(p, *lauum_ops(n)), n * (n + 1) * ESIZE[p]) if n > 0 else (0, 0)


def potri(p, a):
    n = a["n"]
    if n <= 0:
        return 0, 0
    N = Fr(n)
    lm, la = lauum_ops(n)	# the inverse of the factor (trtri), then lauum
    return (fl(p, lm + N ** 3 / 6 + N * N / 2 + N / 3, la + N ** 3 / 6 - N * N / 2 + N / 3),
            n * (n + 1) * ESIZE[p])


def gges(p, a):
    n = a["n"]
    if n <= 0 or query(a):
        return 0, 0
    sides = (a["jobvsl"] == "V") + (a["jobvsr"] == "V")
    f = {0: 30, 1: 46, 2: 66}[sides] * Fr(n) ** 3
    return est(p, f), (4 * n * n + sides * n * n + n) * ESIZE[p] + 2 * n * RSIZE[p]


# ---- which routine is which ---------------------------------------------------
# (pattern of the routine's name, with (?P<p>) the precision letter of its
# element type where the name has one; the model; estimated)

def fixed(prec):
    return lambda m: prec


MODELS = [
    (r"(?P<p>[sdcz])rotg", rotg, True), (r"(?P<p>[sd])rotmg", rotmg, True),
    (r"(?P<p>[sd])rot", rot, False), (r"csrot", rrot, False, "c"),
    (r"zdrot", rrot, False, "z"), (r"(?P<p>[sd])rotm", rot, True),
    (r"(?P<p>[sdcz])swap", swap, False), (r"(?P<p>[sdcz])scal", scal, False),
    (r"csscal", rscal, False, "c"), (r"zdscal", rscal, False, "z"),
    (r"(?P<p>[sdcz])copy", copy, False), (r"(?P<p>[sdcz])axpy", axpy, False),
    (r"(?P<p>[sdcz])axpby", axpby, False), (r"(?P<p>[sd])dot", dot, False),
    (r"sdsdot", dot, False, "s"), (r"dsdot", dot, False, "s"),
    (r"(?P<p>[cz])dot[uc]", dot, False),
    (r"(?P<p>[sd])nrm2", nrm2, False), (r"scnrm2", nrm2, False, "c"),
    (r"dznrm2", nrm2, False, "z"), (r"(?P<p>[sd])asum", asum, False),
    (r"scasum", asum, False, "c"), (r"dzasum", asum, False, "z"),
    (r"i(?P<p>[sdcz])am(ax|in)", iamax, False),

    (r"(?P<p>[sdcz])gemv", gemv, False), (r"(?P<p>[sdcz])gbmv", gbmv, False),
    (r"(?P<p>[sd])s[yp]mv|(?P<q>[cz])h[ep]mv", symv, False),
    (r"(?P<p>[sd])sbmv|(?P<q>[cz])hbmv", sbmv, False),
    (r"(?P<p>[sdcz])t[rp][ms]v", trmv, False), (r"(?P<p>[sdcz])tb[ms]v", tbmv, False),
    (r"(?P<p>[sd])ger|(?P<q>[cz])ger[uc]", ger, False),
    (r"(?P<p>[sd])s[yp]r|(?P<q>[cz])h[ep]r", syr, False),
    (r"(?P<p>[sd])s[yp]r2|(?P<q>[cz])h[ep]r2", syr2, False),

    (r"(?P<p>[sdcz])gemm|(?P<q>[cz])gemm3m", gemm, False),
    (r"(?P<p>[sdcz])gemmt", gemmt, False),
    (r"(?P<p>[sdcz])symm|(?P<q>[cz])hemm", symm, False),
    (r"(?P<p>[sdcz])syrk|(?P<q>[cz])herk", syrk, False),
    (r"(?P<p>[sdcz])syr2k|(?P<q>[cz])her2k", syr2k, False),
    (r"(?P<p>[sdcz])tr[ms]m", trmm, False),
    (r"(?P<p>[sdcz])[oi]matcopy", matcopy, False), (r"(?P<p>[sdcz])geadd", geadd, False),

    (r"(?P<p>[sdcz])getrf", getrf, False), (r"(?P<p>[sdcz])getrs", getrs, False),
    (r"(?P<p>[sdcz])gesv", gesv, False), (r"(?P<p>[sdcz])potrf", potrf, False),
    (r"(?P<p>[sdcz])potrs", potrs, False), (r"(?P<p>[sdcz])posv", posv, False),
    (r"(?P<p>[sdcz])geqrf", geqrf, False),
    (r"(?P<p>[sd])orgqr|(?P<q>[cz])ungqr", orgqr, False),
    (r"(?P<p>[sdcz])gels", gels, False),
    (r"(?P<p>[sd])syev|(?P<q>[cz])heev", lambda p, a: syev(p, a, 9), True),
    (r"(?P<p>[sd])syevd|(?P<q>[cz])heevd", lambda p, a: syev(p, a, 4), True),
    (r"(?P<p>[sdcz])gesvd", gesvd, True), (r"(?P<p>[sdcz])gesdd", gesdd, True),
    (r"(?P<p>[sdcz])getri", getri, False), (r"(?P<p>[sdcz])trtri", trtri, False),

    (r"(?P<p>[sdcz])trtrs", trtrs, False),
    (r"(?P<p>[sd])ormqr|(?P<q>[cz])unmqr", ormqr, False),
    (r"(?P<p>[sdcz])sytrf|(?P<q>[cz])hetrf", sytrf, True),
    (r"(?P<p>[sdcz])gehrd", gehrd, True), (r"(?P<p>[sdcz])geqp3", geqp3, True),
    (r"(?P<p>[sdcz])gecon", gecon, True), (r"(?P<p>[sdcz])lange", lange, False),
    (r"(?P<p>[sdcz])trsyl", trsyl, True),
    (r"(?P<p>[sdcz])gees", lambda p, a: eig_general(p, a, "gees"), True),
    (r"(?P<p>[sdcz])geev", lambda p, a: eig_general(p, a, "geev"), True),
    (r"(?P<p>[sdcz])ggev", lambda p, a: eig_general(p, a, "ggev"), True),
    (r"(?P<p>[sd])syevr|(?P<q>[cz])heevr",
     lambda p, a: eig_sym(p, a, Fr(10, 3), Fr(4, 3), 0), True),
    (r"(?P<p>[sd])sygvd|(?P<q>[cz])hegvd",
     lambda p, a: eig_sym(p, a, Fr(19, 3), Fr(8, 3), 2), True),
    (r"(?P<p>[sdcz])gelsd", lambda p, a: svd_ls(p, a, Fr(8, 3)), True),
    (r"(?P<p>[sdcz])gelss", lambda p, a: svd_ls(p, a, 8), True),
    (r"(?P<p>[sdcz])gelsy", gelsy, True), (r"(?P<p>[sd])gejsv", gejsv, True),
    (r"(?P<p>[sdcz])lartg", rotg, True), (r"(?P<p>[cz])rot", lrot, False),
    (r"(?P<p>[sdcz])larfg", larfg, True), (r"(?P<p>[sdcz])larf", larf, True),
    (r"(?P<p>[sdcz])laswp", laswp, False), (r"(?P<p>[sdcz])gerqf", gerqf, False),
    (r"(?P<p>[sd])orgrq|(?P<q>[cz])ungrq", orgrq, False),
    (r"(?P<p>[sd])sytrd|(?P<q>[cz])hetrd", sytrd, False),
    (r"(?P<p>[sdcz])potri", potri, False), (r"(?P<p>[sdcz])lauum", lauum, False),
    (r"(?P<p>[sdcz])gges", gges, True),
]


def lookup(op):
    """(model, precision, estimated) of a routine name, or None."""
    for entry in MODELS:
        m = re.fullmatch(entry[0], op)
        if m:
            prec = entry[3] if len(entry) > 3 else (m.groupdict().get("p") or
                                                   m.groupdict().get("q"))
            return entry[1], prec, entry[2]
    return None


def cost(op, args, rejected=False):
    """(flops, bytes, estimated) of routine op called with args; None if
    the routine has no model here."""
    found = lookup(op)
    if found is None:
        return None
    if rejected:
        return 0, 0, False
    fn, prec, estimated = found
    flops, nbytes = fn(prec, args)
    return flops, nbytes, estimated
