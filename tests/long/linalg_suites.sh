#!/bin/sh
# linalg_suites.sh - NumPy's and SciPy's whole linalg test suites under the
# library (make test-long: about 4 minutes here, most of it the suites
# themselves, each run twice).
#
#  1. `pytest --pyargs numpy.linalg`, then scipy.linalg, with and without
#     the library: the same exit status, summary and outcome of every test
#     (passed, failed, error, skipped, xfailed); every trace, the parent's
#     and each child's, read by report without a warning and ended by END
#     or EXEC; the parent counts dgemm, dgesv, dgetrf and dgesdd.  NumPy's
#     suite has children: subprocesses (vfork + exec, close_fds), and a
#     fork child that leaves through os._exit (test_xerbla_override).
#  2. SciPy's suite after a test that starts subprocesses (NumPy's
#     test_sdot_bug_8577: subprocess.check_call, vfork, close_fds), under
#     the library: the parent's trace must go on to count the whole suite,
#     as many calls as in 1 within 1% (SciPy's suite is not deterministic:
#     some tests draw unseeded random matrices, and the iterations of the
#     solvers, whose inner BLAS calls are counted, follow them; two runs
#     differ by about 0.03%), each child's trace must have its calls.  A
#     library whose trace stops at a subprocess loses nearly all of them.
# The calls counted exactly, against ltrace, are tests/integration/linalg_exact.sh.
. "$(dirname "$0")/../integration/lib.inc"
. "$ROOT/tests/integration/suites.inc"
need_py_module scipy python3-scipy

# plausible PARENT.json WHAT: the ops every linalg suite calls are there
plausible() {
	_seen=
	for _op in dgemm dgesv dgetrf dgesdd; do
		_n=$(calls_of "$1" $_op)
		[ "$_n" -gt 0 ] || bad "$2: the parent's trace has no $_op call"
		_seen="$_seen $_op $_n"
	done
	ok "$2: the parent's trace counts calls of$_seen"
}

for suite in numpy.linalg scipy.linalg; do
	set -- --pyargs "$suite"
	suite_run "$suite" "$@"
	suite_run "$suite-shim" --preload "$@"
	same_results "$suite" "$suite" "$suite-shim"
	traces_whole "$suite" "$suite-shim"
	plausible "$tmp/$suite-shim/run.opc.json" "$suite"
	ccalls=0
	for t in "$tmp/$suite-shim"/run.*.opc.json; do
		[ -e "$t" ] && ccalls=$((ccalls + $(calls_of "$t")))
	done
	echo "$suite: the parent's trace has $pcalls calls; $((ntraces - 1)) children's, $ccalls"
done
scipy_calls=$(calls_of "$tmp/scipy.linalg-shim/run.opc.json")

# 2. SciPy's suite after NumPy's test that starts subprocesses
sdot=$NPT/test_linalg.py::test_sdot_bug_8577
suite_run sub-shim --preload "$sdot" --pyargs scipy.linalg
traces_whole "subprocesses, then scipy.linalg" sub-shim
grep -q "^PASSED .*test_sdot_bug_8577" "$tmp/sub-shim/out.txt" ||
	bad "test_sdot_bug_8577 did not pass under the library: $(grep sdot_bug "$tmp/sub-shim/out.txt")"
$SUITES outcomes "$tmp/sub-shim/junit.xml" | cut -f 1 | grep -v '::test_sdot_bug_8577 ' \
	>"$tmp/sub-shim/outcomes.cut"
cmp -s "$tmp/scipy.linalg/outcomes.cut" "$tmp/sub-shim/outcomes.cut" ||
	bad "scipy.linalg after the subprocesses: outcomes differ from the run without the library:" \
		"$(diff "$tmp/scipy.linalg/outcomes.cut" "$tmp/sub-shim/outcomes.cut" | grep '^[<>]' | head -n 10)"
# the children: each that imports NumPy calls cblas_sdot at least once
nchild=0
for t in "$tmp/sub-shim"/run.*.opc.json; do
	[ -e "$t" ] || continue
	nchild=$((nchild + 1))
	[ "$(calls_of "$t")" -gt 0 ] || bad "child trace $(basename "$t" .json) has no call"
done
[ "$nchild" -ge 2 ] || bad "$nchild child trace(s); the two children that import NumPy write one each"
diff=$((pcalls - scipy_calls))
if [ "$diff" -lt 0 ]; then diff=$((-diff)); fi
if [ $((diff * 100)) -le "$scipy_calls" ]; then
	ok "after the subprocesses, the parent's trace counts $pcalls calls, the suite alone $scipy_calls; $nchild children"
else
	bad "after the subprocesses, the parent's trace counts $pcalls calls, the suite alone" \
		"$scipy_calls: the trace stopped early"
fi
finish
