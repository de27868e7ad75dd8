#!/bin/sh
# lapack_imports.sh - every BLAS, LAPACK and LAPACKE routine NumPy's and
# SciPy's linalg extension modules import is intercepted by the library, or
# on the exclusion list of docs/counting.md ("Not intercepted") with a
# reason; an exclusion of a routine that is intercepted fails too (stale).
# The modules: scipy/linalg/*.so (cython_blas and cython_lapack only for
# the routines the other modules take from them by name), numpy/linalg/*.so
# and NumPy's _multiarray_umath (its CBLAS calls).  See
# tests/python/lapack_imports.py.
. "$(dirname "$0")/lib.inc"
need_py_module numpy python3-numpy
need_py_module scipy python3-scipy
need "$LIB"
command -v nm >/dev/null || fail "nm is not installed (binutils)"

mods=$("$PY" -c '
import glob, os, numpy, scipy
s = os.path.dirname(scipy.__file__); n = os.path.dirname(numpy.__file__)
print(" ".join(sorted(glob.glob(s + "/linalg/*.so") + glob.glob(n + "/linalg/*.so") +
                      glob.glob(n + "/core/_multiarray_umath*.so"))))') ||
	fail "cannot find NumPy's and SciPy's modules"
[ -n "$mods" ] || fail "no NumPy or SciPy linalg module found"
# shellcheck disable=SC2086
if "$PY" "$ROOT/tests/python/lapack_imports.py" "$LIBFILE" "$ROOT/docs/counting.md" $mods \
	>"$tmp/out" 2>&1; then
	ok "NumPy's and SciPy's linalg modules: $(head -n 1 "$tmp/out")"
else
	bad "routines NumPy or SciPy import that are neither intercepted nor excluded:"
	sed 's/^/    /' "$tmp/out" | head -n 400
fi
finish
