#!/bin/sh
# linalg_exact.sh - a part of NumPy's own linalg test suite under the
# library, counted exactly against ltrace.
#
# NumPy's extension modules (_multiarray_umath, _umath_linalg, lapack_lite)
# call their BLAS and LAPACK through the PLT, where ltrace sees every call:
# a count that owes nothing to the library.  The part run
# (test_sdot_bug_8577, test_regression.py, TestSolve,
# test_xerbla_override, in this order) is deterministic and has children:
# four subprocess.check_call first (vfork + exec, close_fds; two of the
# children import NumPy and call BLAS), and at the end a fork child that
# calls dorgqr with an illegal argument and leaves through os._exit, which
# runs no exit handler (the library's _exit ends its trace).  With and
# without the library (ltrace's run):
#   the same test outcomes and exit status;
#   every trace (the parent's and each child's) read without a warning,
#   ended by END or EXEC;
#   for each routine the library intercepts, the calls made from NumPy's
#   modules, summed over the parent's and the children's traces, equal
#   ltrace's count over the same processes.
# test_xerbla_override passes only if NumPy's xerbla_ is the one LAPACK
# reaches: the library's xerbla_ once handed the refusal to LAPACK's own,
# and the test skipped.
# The whole suites, NumPy's and SciPy's, are tests/long/linalg_suites.sh
# (make test-long).
. "$(dirname "$0")/lib.inc"
. "$(dirname "$0")/suites.inc"
command -v ltrace >/dev/null || fail "ltrace is not installed (Debian package ltrace, which make test-deps installs)"

MODULES=_multiarray_umath,_umath_linalg,lapack_lite
# the subprocesses first: a trace that stopped at them would lose the rest
set -- "$NPT/test_linalg.py::test_sdot_bug_8577" "$NPT/test_regression.py" \
	"$NPT/test_linalg.py::TestSolve" "$NPT/test_linalg.py::test_xerbla_override"

# the entry points the library intercepts: ltrace's count of any other is
# no business of ours
nm -D --defined-only "$LIBFILE" | awk '{ print $3 }' >"$tmp/symbols"
[ -s "$tmp/symbols" ] || fail "cannot list the symbols of $LIB"

# ltrace -f: the children too; -e: only calls from NumPy's modules to
# names that can be BLAS or LAPACK (the Python C API calls are many)
under_ltrace() {
	ltrace -f -o "$tmp/ltrace.txt" -e '*_@_umath_linalg*' -e '*_@lapack_lite*' \
		-e 'cblas_*@_multiarray_umath*' "$@"
}
suite_run ltrace --with under_ltrace "$@"
suite_run shim --preload "$@"
same_results "NumPy's linalg tests (part)" ltrace shim
traces_whole "NumPy's linalg tests (part)" shim
nchild=$((ntraces - 1))
[ "$nchild" -ge 2 ] || bad "only $nchild child trace(s): the children that called BLAS wrote none"

$SUITES ltrace "$tmp/symbols" "$tmp/ltrace.txt" >"$tmp/want"
$SUITES sites "$tmp/symbols" "$MODULES" "$tmp/shim"/*.opc.json >"$tmp/got"
total=$(awk '{ n += $2 } END { print n + 0 }' "$tmp/want")
[ "$total" -gt 1000 ] || bad "ltrace saw only $total calls from NumPy's modules"
if cmp -s "$tmp/want" "$tmp/got"; then
	ok "calls from NumPy's modules: $total in $(wc -l <"$tmp/want") routines, as ltrace counts" \
		"them, over the parent and $nchild children"
else
	bad "calls from NumPy's modules differ from ltrace's count (routine, ltrace, opcount):"
	join -a 1 -a 2 -e 0 -o 0,1.2,2.2 "$tmp/want" "$tmp/got" | awk '$2 != $3'
fi

finish
