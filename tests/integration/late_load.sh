#!/bin/sh
# late_load.sh - BLAS called from a shared object that the program opens
# after start-up with dlopen(RTLD_NOW | RTLD_LOCAL) (tests/progs/late_load.c).
#
# The helper built here depends on libopenblas and calls cblas_dgemm,
# dgemm_ and cblas_ddot through its PLT.  Those calls must be intercepted
# and counted exactly, with stdout unchanged, when:
#  - the program has no BLAS of its own: libopenblas first appears with the
#    helper, in a local scope (built here with -ldl only);
#  - the program is the one the Makefile builds;
#  - the program itself is linked to libopenblas (resolved at start-up).
# Each run opens the helper once; closing and reopening it is
# late_reload.sh.
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
for f in "$LIB" "$OPC" "$B/tests/progs/late_load"; do
	[ -e "$f" ] || fail "$f is missing (run make test, which builds it)"
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
$CC -O2 "$ROOT/tests/progs/late_load.c" -o "$tmp/late_blas" -Wl,--no-as-needed -lopenblas -ldl ||
	fail "cannot build late_load linked to BLAS"

# run NAME PROGRAM
run() {
	name=$1 prog=$2
	d=$tmp/$name
	mkdir "$d"
	"$prog" "$tmp/helper.so" 1 >"$d/plain.txt" 2>"$d/plain.err" ||
		fail "$name: exited $? without the library: $(cat "$d/plain.err")"
	OPCOUNT_OUTPUT=$d/t.opc LD_PRELOAD=$LIB "$prog" "$tmp/helper.so" 1 >"$d/out.txt" 2>"$d/err.txt" ||
		fail "$name: exited $? under the library: $(cat "$d/err.txt")"
	cmp -s "$d/plain.txt" "$d/out.txt" || fail "$name: stdout differs under the library"
	[ -s "$d/t.opc" ] || fail "$name: no trace: the helper's calls were not intercepted"
	"$OPC" report "$d/t.opc" --by op --format json >"$d/op.json" 2>"$d/rep.err" ||
		fail "$name: report exited $?: $(cat "$d/rep.err")"
	$CHECK validate "$d/op.json" || fail "$name: report does not follow the JSON contract"
	$CHECK compare "$d/op.json" op "$d/out.txt" --only --calls ||
		fail "$name: per-op counts differ ($($CHECK rows "$d/op.json" op | tr '\n' ';'))"
	set -- $(awk '$1 == "expect_total" { print $2, $3 }' "$d/out.txt")
	[ "$($CHECK get "$d/op.json" totals.flops)" = "$1" ] || fail "$name: totals.flops is not $1"
	[ "$($CHECK get "$d/op.json" totals.calls)" = "$2" ] || fail "$name: totals.calls is not $2"
	# the dgemm calls came through both interfaces
	"$OPC" report "$d/t.opc" --by key --format json >"$d/key.json" || fail "$name: --by key"
	$PY - "$d/key.json" <<'EOF' || fail "$name: expected 3 cblas and 1 fortran dgemm calls"
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
n = {}
for r in rows:
    if r["op"] == "dgemm" and not r["nested"]:
        n[r["iface"]] = n.get(r["iface"], 0) + r["calls"]
sys.exit(0 if n == {"cblas": 3, "fortran": 1} else 1)
EOF
	echo "ok $name"
}

run no-blas "$tmp/late_noblas"
run makefile "$B/tests/progs/late_load"
run linked "$tmp/late_blas"
echo "late-loaded BLAS counted exactly"
