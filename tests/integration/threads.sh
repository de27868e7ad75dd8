#!/bin/sh
# threads.sh - 8 threads calling cblas_dgemm and cblas_ddot at the same
# time: every call counted exactly, per op and per thread's own layer.
#
# Runs: one wave of 8 threads; 4 waves one after the other (threads that
# exited must still be harvested, and their state reused); 16 threads;
# and the collector at 1 kHz, so that it harvests while the threads are
# counting.  Each run's report must read, and match the totals, the op
# rows and the per-thread layer rows the program prints.
. "$(dirname "$0")/lib.inc"
PROG=$B/tests/progs/threads
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$PROG"

n=0
# run HZ ITERS THREADS WAVES
run() {
	hz=$1
	shift
	n=$((n + 1))
	d=$tmp/$n
	mkdir "$d"
	what="threads $* at ${hz} Hz"
	OPCOUNT_HZ=$hz OPCOUNT_OUTPUT=$d/t.opc LD_PRELOAD=$LIB "$PROG" "$@" >"$d/out.txt" 2>"$d/err.txt" ||
		fail "$what: exited $?: $(cat "$d/err.txt")"
	"$OPC" report "$d/t.opc" --by op --format json >"$d/op.json" 2>"$d/rep.err" ||
		fail "$what: report exited $?: $(cat "$d/rep.err")"
	$CHECK validate "$d/op.json" || fail "$what: report does not follow the JSON contract"
	set -- $(awk '$1 == "expect_total" { print $2, $3 }' "$d/out.txt")
	got_f=$($CHECK get "$d/op.json" totals.flops)
	got_c=$($CHECK get "$d/op.json" totals.calls)
	[ "$got_f" = "$1" ] && [ "$got_c" = "$2" ] ||
		fail "$what: counted $got_c calls, $got_f FLOPs; expected $2 calls, $1 FLOPs"
	$CHECK compare "$d/op.json" op "$d/out.txt" --only --calls || fail "$what: per-op counts differ"
	"$OPC" report "$d/t.opc" --by layer --format json >"$d/layer.json" 2>"$d/rep.err" ||
		fail "$what: report --by layer exited $?: $(cat "$d/rep.err")"
	$CHECK compare "$d/layer.json" layer "$d/out.txt" --tag layer_flops --only ||
		fail "$what: per-thread layer FLOPs differ"
	echo "ok $what: $2 calls"
}

run 100 2000 8 1
run 100 500 8 4
run 100 300 16 2
run 1000 2000 8 1
run 1000 200 8 8

echo "threads counted exactly"
