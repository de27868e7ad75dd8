#!/bin/sh
# late_load.sh - BLAS called from a shared object that the program opens
# after start-up with dlopen(RTLD_NOW | RTLD_LOCAL) (tests/progs/late_load.c).
#
# The helper built here (late_helper.c) depends on libopenblas and calls
# cblas_dgemm, dgemm_ and cblas_ddot through its PLT.  Those calls must be
# intercepted and counted exactly, with stdout unchanged, when:
#  - the program has no BLAS of its own: libopenblas first appears with the
#    helper, in a local scope (built here with -ldl only);
#  - the program is the one the Makefile builds;
#  - the program itself is linked to libopenblas (resolved at start-up).
# Each run opens the helper once; closing and reopening it is
# late_reload.sh.
. "$(dirname "$0")/lib.inc"
CC=${CC:-cc}
OPENBLAS_INC=/usr/include/x86_64-linux-gnu/openblas-pthread
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$B/tests/progs/late_load"

$CC -O2 -fPIC -shared -I"$OPENBLAS_INC" "$ROOT/tests/integration/late_helper.c" \
	-o "$tmp/helper.so" -lopenblas || fail "cannot build the helper"
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
rows = [r for r in json.load(open(sys.argv[1]))["rows"] if not r.get("other_ops")]
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
