#!/bin/sh
# late_reload.sh - a BLAS library that is unloaded and loaded again.
#
# tests/progs/late_load.c, built without BLAS, opens a helper that depends
# on libopenblas with dlopen(RTLD_LOCAL), runs it, and dlcloses it, three
# times.  Closing the helper unloads libopenblas too, and the next dlopen
# may map it at another address: a wrapper that kept the old address of
# the real routine jumps into unmapped or unrelated code.  The program
# must behave as it does without the library (same stdout, exit 0) and
# every round's calls must be counted.
set -u
ROOT=$(pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
LIB=$B/libopcount.so
OPC=$B/opcount
PY=/usr/bin/python3
CHECK="$PY $ROOT/tests/python/check_report.py"
CC=${CC:-cc}
OPENBLAS_INC=/usr/include/x86_64-linux-gnu/openblas-pthread

fail() { echo "FAIL: $*"; exit 1; }
[ -x "$PY" ] || { echo "skip: $PY is not installed (the JSON checks need it)"; exit 77; }
for f in "$LIB" "$OPC"; do
	[ -e "$f" ] || fail "$f is missing (run make)"
done

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

cat >"$tmp/helper.c" <<'EOF'
#include <cblas.h>
#include <stdlib.h>

void dgemm_(const char *, const char *, const int *, const int *, const int *,
	    const double *, const double *, const int *, const double *, const int *,
	    const double *, double *, const int *, size_t, size_t);

__attribute__((visibility("default")))
void late_helper_run(int m, int n, int k, int times, double *out)
{
	double *a = calloc((size_t)m * k, sizeof(double));
	double *b = calloc((size_t)k * n, sizeof(double));
	double *c = calloc((size_t)m * n, sizeof(double));
	double one = 1.0, zero = 0.0;
	int i;

	for (i = 0; i < m * k; i++)
		a[i] = (i % 5) * 0.5;
	for (i = 0; i < k * n; i++)
		b[i] = (i % 3) * 0.25;
	for (i = 0; i < times; i++)
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, a, k,
			    b, n, 0.0, c, n);
	*out = c[m * n - 1];
	dgemm_("N", "N", &m, &n, &k, &one, a, &m, b, &k, &zero, c, &m, 1, 1);
	*out += c[0] + cblas_ddot(k, a, 1, b, 1);
	free(a);
	free(b);
	free(c);
}
EOF
$CC -O2 -fPIC -shared -I"$OPENBLAS_INC" "$tmp/helper.c" -o "$tmp/helper.so" -lopenblas ||
	fail "cannot build the helper"
$CC -O2 "$ROOT/tests/progs/late_load.c" -o "$tmp/late_noblas" -ldl ||
	fail "cannot build late_load without BLAS"

"$tmp/late_noblas" "$tmp/helper.so" 3 >"$tmp/plain.txt" 2>"$tmp/plain.err" ||
	fail "exited $? without the library: $(cat "$tmp/plain.err")"
OPCOUNT_OUTPUT=$tmp/t.opc LD_PRELOAD=$LIB "$tmp/late_noblas" "$tmp/helper.so" 3 \
	>"$tmp/out.txt" 2>"$tmp/err.txt"
rc=$?
[ $rc = 0 ] || fail "exited $rc under the library after the BLAS library was closed and reopened (stdout: $(tr '\n' ';' <"$tmp/out.txt") stderr: $(head -c 300 "$tmp/err.txt"))"
cmp -s "$tmp/plain.txt" "$tmp/out.txt" || fail "stdout differs under the library"
"$OPC" report "$tmp/t.opc" --by op --format json >"$tmp/op.json" 2>"$tmp/rep.err" ||
	fail "report exited $?: $(cat "$tmp/rep.err")"
$CHECK compare "$tmp/op.json" op "$tmp/out.txt" --only --calls ||
	fail "per-op counts differ over three load/unload rounds"
echo "three load/unload rounds counted exactly"
