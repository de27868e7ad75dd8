#!/bin/sh
# linalg_coverage.sh - the share of the BLAS, LAPACK and LAPACKE calls
# NumPy's and SciPy's linalg test suites make that land in a row of their
# own routine (issue 12: at least 98%), measured by a counter that owes
# nothing to the library (make test-long, about 6 minutes).
#
# The counter (tests/python/gen_callcount.py) interposes every routine the
# linalg modules import and counts each call by the module that made it.
# It cannot run with the library in one process (each would find the
# other's symbols as the real ones), so each suite runs twice, once under
# the counter and once under the library:
#   the calls from NumPy's and SciPy's linalg modules (and NumPy's
#   _multiarray_umath, its CBLAS calls), summed over the process and its
#   children, to routines the library intercepts, over all of them: >= 98%;
#   the library's rows with a call site in those modules: NumPy's suite is
#   deterministic, and for each intercepted routine they count as many
#   calls as the counter; SciPy's is not (tests draw unseeded random
#   matrices, and how often iterative code calls a routine follows them:
#   two runs under the counter differ by up to 15% in some routines, 0.03%
#   in all), so they must count as many calls in all within 1%.  (The
#   counter sees a routine that a LAPACK routine calls last, as a tail
#   call, as called by the module: dpotri_ ends with dlauum_.  The library
#   counts that call as nested, outside the modules' rows.)
#   the routines called but not intercepted, most called first.
# Tests passed with and without the library: tests/long/linalg_suites.sh.
. "$(dirname "$0")/../integration/lib.inc"
. "$ROOT/tests/integration/suites.inc"
need_py_module scipy python3-scipy
command -v nm >/dev/null || fail "nm is not installed (binutils)"
command -v cc >/dev/null || fail "no C compiler"

mods=$("$PY" -c '
import glob, os, numpy, scipy
s = os.path.dirname(scipy.__file__); n = os.path.dirname(numpy.__file__)
print(" ".join(sorted(glob.glob(s + "/linalg/*.so") + glob.glob(n + "/linalg/*.so") +
                      glob.glob(n + "/core/_multiarray_umath*.so"))))')
for m in $mods; do
	nm -D --undefined-only "$m" | awk '{ sub(/@.*/, "", $2); print $2 }'
done | grep -E '^[a-z][a-z0-9]*_$|^cblas_|^LAPACKE_' | sort -u >"$tmp/imports"
"$PY" "$ROOT/tests/python/gen_callcount.py" "$tmp/imports" "$tmp/callcount.c" &&
	cc -O2 -shared -fPIC -o "$tmp/libcallcount.so" "$tmp/callcount.c" -ldl -lpthread ||
	fail "cannot build the call counter"
nm -D --defined-only "$LIBFILE" | awk '{ print $3 }' | sort -u >"$tmp/symbols"
FROM=scipy/linalg/:numpy/linalg/:numpy/core/_multiarray_umath
MODULES=_flapack,_fblas,_flinalg,_interpolative,_decomp_update,_matfuncs_expm,_matfuncs_sqrtm_triu
MODULES=$MODULES,_solve_toeplitz,_cythonized_array_utils,cython_blas,cython_lapack
MODULES=$MODULES,_umath_linalg,lapack_lite,_multiarray_umath

counted() {	# under the counter alone
	mkdir -p "$tmp/cc-$name"
	env CALLCOUNT_FROM=$FROM CALLCOUNT_OUT="$tmp/cc-$name/calls" \
		LD_PRELOAD="$tmp/libcallcount.so" "$@"
}

for suite in numpy.linalg scipy.linalg; do
	name=$suite
	suite_run "$suite-count" --with counted --pyargs "$suite"
	suite_run "$suite" --preload --pyargs "$suite"
	same_results "$suite (the counter, the library)" "$suite-count" "$suite"
	traces_whole "$suite" "$suite"
	cat "$tmp/cc-$suite"/calls.* | awk '$2 > 0 { n[$1] += $2 } END { for (s in n) print s, n[s] }' |
		sort >"$tmp/$suite.counted"
	[ -s "$tmp/$suite.counted" ] || { bad "$suite: the counter saw no call"; continue; }
	"$PY" - "$tmp/$suite.counted" "$tmp/symbols" "$suite" <<'PYEOF' >"$tmp/$suite.share"
import sys
counted = dict((l.split()[0], int(l.split()[1])) for l in open(sys.argv[1]))
have = set(open(sys.argv[2]).read().split())
total = sum(counted.values())
inside = sum(n for s, n in counted.items() if s in have)
rest = sorted(((n, s) for s, n in counted.items() if s not in have), reverse=True)
print("%d %d %.2f" % (inside, total, 100.0 * inside / total))
print("%d routines called, %d intercepted; not intercepted: %s" % (
    len(counted), sum(1 for s in counted if s in have),
    " ".join("%s %d" % (s, n) for n, s in rest) or "none"))
PYEOF
	set -- $(head -n 1 "$tmp/$suite.share")
	echo "$suite: $(sed -n 2p "$tmp/$suite.share")"
	if awk -v p="$3" 'BEGIN { exit !(p >= 98) }'; then
		ok "$suite: $1 of $2 calls from the linalg modules ($3%) are to routines the library intercepts"
	else
		bad "$suite: only $1 of $2 calls from the linalg modules ($3%) are to routines the library intercepts"
	fi
	# the library's rows against the counter, routine by routine
	awk 'NR == FNR { have[$1] = 1; next } ($1 in have)' "$tmp/symbols" "$tmp/$suite.counted" \
		>"$tmp/$suite.want"
	$SUITES sites "$tmp/symbols" "$MODULES" "$tmp/$suite"/*.opc.json >"$tmp/$suite.got"
	# CBLAS's complex dot products are rows of their op (cblas_zdotu_sub: zdotu)
	sed -E 's/^(cblas_[cz]dot[uc])_sub /\1 /' "$tmp/$suite.want" |
		awk '{ n[$1] += $2 } END { for (s in n) print s, n[s] }' | sort >"$tmp/$suite.want2"
	join -a 1 -a 2 -e 0 -o 0,1.2,2.2 "$tmp/$suite.want2" "$tmp/$suite.got" >"$tmp/$suite.cmp"
	nsame=$(awk '$2 == $3' "$tmp/$suite.cmp" | wc -l)
	nall=$(wc -l <"$tmp/$suite.cmp")
	if [ "$suite" = numpy.linalg ]; then
		off=$(awk '$2 != $3' "$tmp/$suite.cmp")
	else
		off=$(awk '{ a += $2; b += $3 }
			END { d = a - b; if (d < 0) d = -d; if (d * 100 > a) print "in all", a, b }' \
			"$tmp/$suite.cmp")
	fi
	if [ -z "$off" ]; then
		ok "$suite: the library's rows count the calls to the intercepted routines as the" \
			"counter does ($nsame of $nall routines exactly)"
	else
		bad "$suite: the library's rows differ from the counter (routine, counter, library):"
		echo "$off" | head -n 20
	fi
done
finish
