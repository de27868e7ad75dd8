#!/bin/sh
# rejected.sh - calls the BLAS or LAPACK refuses are counted as calls with
# 0 FLOPs and 0 bytes, flagged rejected, and change nothing else.
#
# tests/progs/rejected makes refused calls (lda < m, a bad trans, n < 0, a
# bad layout, incx = 0, info < 0, LAPACKE returning -5 and -8) through
# CBLAS, Fortran 77 and LAPACKE, next to valid ones; `valid` makes the
# valid ones only.  Under the library, with Debian's OpenBLAS:
#  - stdout and stderr (OpenBLAS's xerbla messages) are the same as
#    without it;
#  - each refused call is a call in a row of its own, rejected, 0 FLOPs,
#    0 bytes, not estimated, as many per op as the program says; every
#    other row, and the FLOPs and bytes totals, are those of `valid`;
#  - one call site alternating accepted and refused calls of one shape
#    has a row of each; the table marks (rejected), CSV's last column
#    says 1;
#  - OPCOUNT_NESTED=1: LAPACKE_dgesv's refused inner dgesv_ is a nested
#    rejected row, and the totals do not move.
# With OpenBLAS only in a local scope (a helper opened with RTLD_LOCAL by a
# program with no BLAS, as NumPy does), its xerbla_ is still the one whose
# message the program prints.
# Under the reference BLAS and LAPACK (preloaded ahead of OpenBLAS), whose
# cblas xerbla ends the program: same exit status and output with the
# library, and the refused call that ended it is in the trace, rejected.
. "$(dirname "$0")/lib.inc"
PROG=$B/tests/progs/rejected
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$PROG"

run() {	# NAME MODE [ENV...]: the program under the library, trace $tmp/NAME.opc
	_n=$1 _m=$2
	shift 2
	env OPCOUNT_ENERGY=none OPCOUNT_OUTPUT=$tmp/$_n.opc LD_PRELOAD="$LIB${PRE:+ $PRE}" "$@" \
		"$PROG" "$_m" >"$tmp/$_n.out" 2>"$tmp/$_n.err"
}

"$PROG" >"$tmp/plain.out" 2>"$tmp/plain.err" || fail "rejected exited $? without the library"
grep -q '^rejected_total [1-9]' "$tmp/plain.out" || fail "the program made no refused call"
run all all || fail "rejected exited $? under the library: $(cat "$tmp/all.err")"
cmp -s "$tmp/plain.out" "$tmp/all.out" || fail "stdout differs with the library: $(diff "$tmp/plain.out" "$tmp/all.out" | head -5)"
cmp -s "$tmp/plain.err" "$tmp/all.err" || fail "stderr differs with the library: $(diff "$tmp/plain.err" "$tmp/all.err" | head -5)"
run valid valid || fail "rejected valid exited $? under the library: $(cat "$tmp/valid.err")"
run nested all OPCOUNT_NESTED=1 || fail "rejected exited $? with OPCOUNT_NESTED=1"
cmp -s "$tmp/plain.out" "$tmp/nested.out" || fail "stdout differs with OPCOUNT_NESTED=1"

for n in all valid nested; do
	for by in op key; do
		"$OPC" report "$tmp/$n.opc" --by $by --format json >"$tmp/$n.$by.json" 2>"$tmp/rep.err" ||
			fail "report $n --by $by exited $?: $(cat "$tmp/rep.err")"
		$CHECK validate "$tmp/$n.$by.json" || fail "report $n --by $by does not follow the JSON contract"
	done
done

$PY - "$tmp" <<'EOF' || fail "rejected calls are not counted as calls with 0 FLOPs, flagged, apart from the others"
import json, sys
d = sys.argv[1]
def rows(name, by):
    return json.load(open("%s/%s.%s.json" % (d, name, by)))
expect, total = {}, None
for line in open(d + "/plain.out"):
    w = line.split()
    if w and w[0] == "rejected":
        expect[w[1]] = expect.get(w[1], 0) + int(w[2])
    elif w and w[0] == "rejected_total":
        total = int(w[1])
bad = []
def check(cond, msg):
    if not cond:
        bad.append(msg)
allop, valid = rows("all", "op"), rows("valid", "op")
rej = [r for r in allop["rows"] if r.get("rejected")]
got = {r["op"]: r["calls"] for r in rej}
check(got == expect, "rejected rows per op %s, expected %s" % (got, expect))
for r in rej:
    check(r["flops"] == 0 and r["bytes"] == 0 and not r["estimated"] and not r["nested"],
          "rejected row %s: flops %s bytes %s estimated %s" % (r["op"], r["flops"], r["bytes"],
                                                                r["estimated"]))
key = lambda r: (r["op"], r["calls"], r["flops"], r["bytes"], r["iface"], r["nested"])
acc = sorted(key(r) for r in allop["rows"] if not r.get("rejected") and not r["outside"])
ref = sorted(key(r) for r in valid["rows"] if not r["outside"])
check(acc == ref, "the accepted calls differ from the run without refused calls:\n  %s\n  %s"
      % (acc, ref))
check(not any(r.get("rejected") for r in valid["rows"]), "a valid call was flagged rejected")
for k in ("flops", "bytes"):
    check(allop["totals"][k] == valid["totals"][k], "totals.%s %s, expected %s"
          % (k, allop["totals"][k], valid["totals"][k]))
check(allop["totals"]["calls"] == valid["totals"]["calls"] + total,
      "totals.calls %s, expected %s + %s refused" % (allop["totals"]["calls"],
                                                     valid["totals"]["calls"], total))
# one site, one shape, accepted and refused in turn: two rows
pairs = {}
for r in rows("all", "key")["rows"]:
    if r["op"] == "dgemm" and r["iface"] == "cblas":
        pairs.setdefault((r["site"], r["shape"]), []).append(r)
check(any(sorted((bool(r.get("rejected")), r["calls"], r["flops"] > 0) for r in v) ==
          [(False, 2, True), (True, 2, False)] for v in pairs.values()),
      "no site with 2 accepted and 2 refused dgemm calls of one shape in rows of their own")
# OPCOUNT_NESTED=1
nested = rows("nested", "op")
for k in ("calls", "flops", "bytes"):
    check(nested["totals"][k] == allop["totals"][k], "OPCOUNT_NESTED=1 changed totals.%s" % k)
check(any(r["op"] == "dgesv" and r["nested"] and r.get("rejected") and r["flops"] == 0
          for r in nested["rows"]),
      "no nested rejected dgesv row for LAPACKE_dgesv's refused dgesv_")
for b in bad:
    print("check: " + b)
sys.exit(1 if bad else 0)
EOF
ok "$(sed -n 's/^rejected_total //p' "$tmp/plain.out") refused calls counted apart with 0 FLOPs; the accepted ones unchanged"

"$OPC" report "$tmp/all.opc" --by op >"$tmp/all.txt" || fail "report --by op (table)"
grep -q '^dgemm (rejected) ' "$tmp/all.txt" || fail "the table does not mark the refused dgemm calls: $(cat "$tmp/all.txt")"
grep -q '^# (rejected)' "$tmp/all.txt" || fail "the table does not explain (rejected)"
"$OPC" report "$tmp/all.opc" --by op --format csv >"$tmp/all.csv" || fail "report --format csv"
head -n 1 "$tmp/all.csv" | grep -q ',rejected,rank,node$' || fail "no rejected, rank, node columns at the end of the CSV"
grep -q '^dgemm,.*,1,[^,]*,[^,]*$' "$tmp/all.csv" && grep -q '^dgemm,.*,0,[^,]*,[^,]*$' "$tmp/all.csv" ||
	fail "CSV: no dgemm row with rejected 1 and one with 0: $(cat "$tmp/all.csv")"
ok "table marker and CSV column"

# OpenBLAS in a local scope only
cat >"$tmp/helper.c" <<'EOF'
#include <cblas.h>
void refuse(void)
{
	static double a[64], b[64], c[64];

	cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, 8, 8, 8, 1, a, 4, b, 8, 0, c, 8);
}
EOF
cat >"$tmp/local.c" <<'EOF'
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv)
{
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	void (*refuse)(void) = h ? (void (*)(void))dlsym(h, "refuse") : NULL;

	if (refuse == NULL)
		return 1;
	refuse();
	printf("returned\n");
	return 0;
}
EOF
cc -O2 -fPIC -shared -I/usr/include/x86_64-linux-gnu/openblas-pthread "$tmp/helper.c" \
	-o "$tmp/helper.so" -lopenblas || fail "cannot build the helper"
cc -O2 "$tmp/local.c" -o "$tmp/local" -ldl || fail "cannot build the program with no BLAS"
"$tmp/local" "$tmp/helper.so" >"$tmp/local0.out" 2>&1 || fail "the local-scope program failed"
grep -q DGEMM "$tmp/local0.out" || fail "OpenBLAS said nothing about the refused call"
OPCOUNT_ENERGY=none OPCOUNT_OUTPUT=$tmp/local.opc LD_PRELOAD=$LIB "$tmp/local" "$tmp/helper.so" \
	>"$tmp/local1.out" 2>&1 || fail "the local-scope program failed under the library"
cmp -s "$tmp/local0.out" "$tmp/local1.out" ||
	fail "BLAS in a local scope: the output differs with the library: $(cat "$tmp/local1.out")"
"$OPC" report "$tmp/local.opc" --by op --format json >"$tmp/local.json" || fail "report of the local-scope run"
[ "$($CHECK row "$tmp/local.json" op=dgemm,rejected=true calls)" = 1 ] ||
	fail "BLAS in a local scope: the refused dgemm is not a rejected row"
ok "BLAS in a local scope: its own xerbla_ speaks, the call is rejected"

# The reference BLAS and LAPACK, ahead of OpenBLAS in the global scope.
ARCH=$(cc -print-multiarch)
PRE="/usr/lib/$ARCH/blas/libblas.so.3 /usr/lib/$ARCH/lapack/liblapack.so.3"
need $PRE
for m in cblas fortran lapack; do
	LD_PRELOAD="$PRE" "$PROG" $m >"$tmp/ref.out" 2>"$tmp/ref.err"
	rc=$?
	run ref-$m $m
	rc2=$?
	[ $rc = $rc2 ] || fail "reference $m: exit status $rc2 with the library, $rc without"
	cmp -s "$tmp/ref.out" "$tmp/ref-$m.out" && cmp -s "$tmp/ref.err" "$tmp/ref-$m.err" ||
		fail "reference $m: the output differs with the library"
	[ -s "$tmp/ref.err" ] || fail "reference $m: the BLAS said nothing about the refused call"
	"$OPC" report "$tmp/ref-$m.opc" --by op --format json >"$tmp/ref-$m.json" 2>"$tmp/rep.err" ||
		fail "report of the reference $m run: $(cat "$tmp/rep.err")"
	op=$(sed -n 's/^rejected \([a-z]*\) 1$/\1/p' "$tmp/ref.out")
	[ "$($CHECK row "$tmp/ref-$m.json" op=$op,rejected=true calls)" = 1 ] ||
		fail "reference $m (exit $rc): the refused $op call is not a rejected row of 1 call"
	[ "$($CHECK row "$tmp/ref-$m.json" op=$op,rejected=true flops)" = 0 ] ||
		fail "reference $m: the refused $op call has FLOPs"
	[ "$($CHECK row "$tmp/ref-$m.json" op=dgemm,rejected=null calls)" = 1 ] ||
		fail "reference $m: the valid dgemm before it is not a row of its own"
done
ok "reference BLAS/LAPACK: output unchanged, the refused call counted (cblas: it ended the program)"
