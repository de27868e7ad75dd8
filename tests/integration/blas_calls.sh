#!/bin/sh
# blas_calls.sh - every routine of tests/progs/blas_calls counted exactly,
# per op, against the LAWN 41 counts the program works out itself.
#
#  - report --by op: each `expect OP FLOPS CALLS` line matches its row,
#    and there is no other row; each row's iface is the interface the
#    program used; dsyev (and only dsyev) is marked estimated; totals
#    equal expect_total.
#  - the workspace query of dgeqrf is a call with no FLOPs.
#  - OPCOUNT_NESTED=1: nested rows appear for what LAPACKE_dgesv calls
#    inside (dgesv_ through the Fortran interface) and for the BLAS that
#    LAPACK calls, while the rows that are not nested and the totals are
#    exactly as without it.
. "$(dirname "$0")/lib.inc"
PROG=$B/tests/progs/blas_calls
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$PROG"

"$PROG" >"$tmp/plain.txt" || fail "blas_calls failed without the library: $(grep FAIL "$tmp/plain.txt")"
OPCOUNT_OUTPUT=$tmp/t.opc LD_PRELOAD=$LIB "$PROG" >"$tmp/expect.txt" 2>"$tmp/err.txt" ||
	fail "blas_calls failed under the library: $(grep FAIL "$tmp/expect.txt") $(cat "$tmp/err.txt")"
cmp -s "$tmp/plain.txt" "$tmp/expect.txt" || fail "stdout differs with the library"

"$OPC" report "$tmp/t.opc" --by op --format json >"$tmp/op.json" 2>"$tmp/rep.err" ||
	fail "report --by op exited $?: $(cat "$tmp/rep.err")"
$CHECK validate "$tmp/op.json" || fail "report does not follow the JSON contract"
$CHECK compare "$tmp/op.json" op "$tmp/expect.txt" --only --calls ||
	fail "per-op counts differ from the LAWN 41 expectations (got: $($CHECK rows "$tmp/op.json" op | tr '\n' ';'))"

set -- $(awk '$1 == "expect_total" { print $2, $3 }' "$tmp/expect.txt")
[ $# = 2 ] || fail "no expect_total line"
[ "$($CHECK get "$tmp/op.json" totals.flops)" = "$1" ] || fail "totals.flops is not $1"
[ "$($CHECK get "$tmp/op.json" totals.calls)" = "$2" ] || fail "totals.calls is not $2"
total_flops=$1 total_calls=$2

# interfaces and the estimated flag
awk '$1 == "iface" { print $2, $3 }' "$tmp/expect.txt" >"$tmp/iface.txt"
while read -r op iface; do
	got=$($CHECK row "$tmp/op.json" "op=$op" iface)
	[ "$got" = "$iface" ] || fail "$op: iface $got, expected $iface"
	est=$($CHECK row "$tmp/op.json" "op=$op" estimated)
	if grep -qx "estimated $op" "$tmp/expect.txt"; then
		[ "$est" = true ] || fail "$op: not marked estimated"
	else
		[ "$est" = false ] || fail "$op: marked estimated, but its count is exact"
	fi
done <"$tmp/iface.txt"
[ -s "$tmp/iface.txt" ] || fail "no iface lines"

# The workspace query: one of dgeqrf's two calls, and no FLOPs of its own.
"$OPC" report "$tmp/t.opc" --by key --format json >"$tmp/key.json" ||
	fail "report --by key"
$CHECK validate "$tmp/key.json" || fail "--by key does not follow the JSON contract"
$PY - "$tmp/key.json" <<'EOF' || fail "the dgeqrf workspace query is not a separate call with 0 FLOPs"
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["rows"] if r["op"] == "dgeqrf" and not r["nested"]]
calls = sorted((r["calls"], r["flops"]) for r in rows)
sys.exit(0 if len(rows) == 2 and calls[0] == (1, 0) and calls[1][0] == 1 and calls[1][1] > 0 else 1)
EOF

# Nested calls.
OPCOUNT_NESTED=1 OPCOUNT_OUTPUT=$tmp/n.opc LD_PRELOAD=$LIB "$PROG" >"$tmp/n.txt" 2>"$tmp/n.err" ||
	fail "blas_calls failed with OPCOUNT_NESTED=1: $(cat "$tmp/n.err")"
cmp -s "$tmp/plain.txt" "$tmp/n.txt" || fail "stdout differs with OPCOUNT_NESTED=1"
"$OPC" report "$tmp/n.opc" --by op --format json >"$tmp/nop.json" 2>"$tmp/rep.err" ||
	fail "report of the nested trace exited $?: $(cat "$tmp/rep.err")"
$CHECK validate "$tmp/nop.json" || fail "nested report does not follow the JSON contract"
[ "$($CHECK get "$tmp/nop.json" totals.flops)" = "$total_flops" ] ||
	fail "OPCOUNT_NESTED=1 changed totals.flops to $($CHECK get "$tmp/nop.json" totals.flops), expected $total_flops"
[ "$($CHECK get "$tmp/nop.json" totals.calls)" = "$total_calls" ] ||
	fail "OPCOUNT_NESTED=1 changed totals.calls"
$CHECK compare "$tmp/nop.json" op "$tmp/expect.txt" --only --calls ||
	fail "OPCOUNT_NESTED=1 changed the rows that are not nested"

# LAPACKE_dgesv is a wrapper around dgesv_: that inner call is nested, with
# the same shape and so the same FLOPs as the outer one.
dgesv_flops=$(awk '$1 == "expect" && $2 == "dgesv" { print $3 }' "$tmp/expect.txt")
[ "$($CHECK row "$tmp/nop.json" op=dgesv,nested=true calls)" = 1 ] ||
	fail "no nested dgesv row with 1 call for LAPACKE_dgesv's dgesv_ (rows: $($CHECK rows "$tmp/nop.json" op | tr '\n' ';'))"
[ "$($CHECK row "$tmp/nop.json" op=dgesv,nested=true flops)" = "$dgesv_flops" ] ||
	fail "the nested dgesv row does not have dgesv's $dgesv_flops FLOPs"
[ "$($CHECK row "$tmp/nop.json" op=dgesv,nested=true iface)" = fortran ] ||
	fail "the nested dgesv call is not the Fortran one"
# Reference LAPACK's QR and eigensolver (in Debian's OpenBLAS: dgemv,
# dger, dsymv, ...) call BLAS through the interfaces we wrap; which ones
# depends on the LAPACK build, so only "some" is required.
$PY - "$tmp/nop.json" <<'EOF' || fail "no nested BLAS rows from inside LAPACK"
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["rows"] if r["nested"]]
ops = {r["op"] for r in rows}
sys.exit(0 if "dgesv" in ops and len(ops) > 1 and all(r["calls"] > 0 for r in rows) else 1)
EOF
# Without OPCOUNT_NESTED there is no nested row at all.
$PY - "$tmp/op.json" <<'EOF' || fail "nested rows without OPCOUNT_NESTED=1"
import json, sys
sys.exit(1 if any(r["nested"] for r in json.load(open(sys.argv[1]))["rows"]) else 0)
EOF

echo "all $(grep -c '^expect ' "$tmp/expect.txt") ops exact, $total_flops FLOPs in $total_calls calls"
