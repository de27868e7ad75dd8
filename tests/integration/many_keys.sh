#!/bin/sh
# many_keys.sh - threads with more distinct keys than a key table's first
# chunk and first index hold keep every key, and OPCOUNT_MAX_KEYS merges
# the rest with one warning and marked rows, counts exact.
#
# tests/progs/many_keys calls cblas_dgemm in SHAPES distinct shapes per
# thread, twice each.  With 20,000 shapes, in one thread and in 4: every
# shape is a row of its own (--by key), with its exact calls and FLOPs
# (2mnk each), no overflow row and no warning.  With OPCOUNT_MAX_KEYS=1000:
# one warning naming the cap, the first 1000 shapes in rows of their own,
# one dgemm row marked overflow (JSON "overflow": true, "(overflow)" in the
# table), and the totals still exact.
. "$(dirname "$0")/lib.inc"
PROG=$B/tests/progs/many_keys
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$PROG"

# run NAME THREADS [ENV...]: 20,000 shapes, twice, in THREADS threads
run() {
	_n=$1 _t=$2
	shift 2
	env OPCOUNT_ENERGY=none OPCOUNT_OUTPUT=$tmp/$_n.opc LD_PRELOAD=$LIB "$@" \
		"$PROG" 20000 "$_t" 2 >"$tmp/$_n.out" 2>"$tmp/$_n.err" ||
		fail "$_n: many_keys exited $?: $(cat "$tmp/$_n.err")"
	"$OPC" report "$tmp/$_n.opc" --by key --format json >"$tmp/$_n.json" 2>"$tmp/rep.err" ||
		fail "$_n: report exited $?: $(cat "$tmp/rep.err")"
	$CHECK validate "$tmp/$_n.json" || fail "$_n: report does not follow the JSON contract"
}

# check NAME THREADS KEPT: KEPT shapes in rows of their own, exact; the
# rest (if any) in one overflow row; totals as the program says
check() {
	"$PY" - "$tmp/$1.json" "$tmp/$1.out" "$2" "$3" <<'PYEOF' || fail "$1: $(cat "$tmp/check.err")"
import json, re, sys
rep, out, threads, kept = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
d = json.load(open(rep))
exp = dict(l.split(None, 1) for l in open(out))
flops, calls = map(int, exp["expect_total"].split())
err = []
rows = [r for r in d["rows"] if not r["outside"]]
exact = [r for r in rows if not r.get("overflow")]
over = [r for r in rows if r.get("overflow")]
if len(exact) != kept:
    err.append("%d rows of one shape, expected %d" % (len(exact), kept))
for r in exact:
    m = re.match(r"dgemm m=(\d+) n=(\d+) k=(\d+) ", r["shape"])
    if not m:
        err.append("row shape %r" % r["shape"])
        break
    mnk = int(m[1]) * int(m[2]) * int(m[3])
    if r["calls"] != 2 * threads or r["flops"] != 2 * threads * 2 * mnk:
        err.append("%s: %d calls, %d FLOPs" % (r["shape"], r["calls"], r["flops"]))
        break
if kept < 20000 and (len(over) != 1 or over[0]["op"] != "dgemm"):
    err.append("%d overflow rows, expected one dgemm row" % len(over))
if kept == 20000 and over:
    err.append("an overflow row with room for every key")
if d["totals"]["flops"] != flops or d["totals"]["calls"] != calls:
    err.append("totals %d calls, %d FLOPs; expected %d, %d" %
               (d["totals"]["calls"], d["totals"]["flops"], calls, flops))
if err:
    sys.stderr.write("; ".join(err) + "\n")
    sys.exit(1)
PYEOF
}

run one 1
check one 1 20000 2>"$tmp/check.err"
[ -s "$tmp/one.err" ] && fail "one thread: the library warned: $(cat "$tmp/one.err")"
ok "20,000 keys in one thread, each exact"

run four 4
check four 4 20000 2>"$tmp/check.err"
[ -s "$tmp/four.err" ] && fail "4 threads: the library warned: $(cat "$tmp/four.err")"
ok "20,000 keys in each of 4 threads, each exact"

for t in 1 4; do
	run cap$t $t OPCOUNT_MAX_KEYS=1000
	check cap$t $t 1000 2>"$tmp/check.err"
	n=$(grep -c 'OPCOUNT_MAX_KEYS=1000' "$tmp/cap$t.err")
	[ "$n" = 1 ] || fail "OPCOUNT_MAX_KEYS=1000, $t threads: $n warnings: $(cat "$tmp/cap$t.err")"
	grep -q 'thread [0-9]' "$tmp/cap$t.err" || fail "the warning names no thread: $(cat "$tmp/cap$t.err")"
	"$OPC" report "$tmp/cap$t.opc" --by op >"$tmp/cap$t.txt" 2>/dev/null ||
		fail "report --by op of cap$t exited $?"
	grep -q '^dgemm (overflow) ' "$tmp/cap$t.txt" ||
		fail "the table marks no overflow: $(cat "$tmp/cap$t.txt")"
	ok "OPCOUNT_MAX_KEYS=1000, $t threads: one warning, one overflow row, totals exact"
done

echo "many keys counted exactly"
