#!/bin/sh
# killed.sh - a program killed while it counts leaves a readable trace.
#
# The MLP trains for (practically) ever under the library and is killed
# with SIGKILL after about a second, then, in a second run, with SIGTERM
# (whose default action skips the exit handlers just the same).  `opcount
# report` on the trace must succeed (exit 0), warn on stderr that the
# trace is incomplete, naming the file, and show the calls made up to the
# last complete interval: calls > 0, and whole training steps' worth of
# FLOPs per call (every sgemm of the MLP is one of a few known shapes, so
# FLOPs / calls must lie between the smallest and the largest).
. "$(dirname "$0")/lib.inc"
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$B/examples/mlp"
pid=
on_exit() { [ -n "$pid" ] && kill -KILL $pid 2>/dev/null; }

for sig in KILL TERM; do
	trace=$tmp/killed-$sig.opc
	OPCOUNT_OUTPUT=$trace LD_PRELOAD=$LIB "$B/examples/mlp" -q --epochs 100000000 \
		>"$tmp/out-$sig.txt" 2>"$tmp/err-$sig.txt" &
	pid=$!
	sleep 1
	kill -0 $pid 2>/dev/null || fail "SIG$sig: mlp ended before it was killed: $(cat "$tmp/err-$sig.txt")"
	kill -$sig $pid
	wait $pid
	rc=$?
	pid=
	[ $rc -gt 128 ] || fail "SIG$sig: mlp exited $rc, not by the signal"
	[ -s "$trace" ] || fail "SIG$sig: no trace after a second of work"

	"$OPC" report "$trace" --format json >"$tmp/r.json" 2>"$tmp/r.err"
	rc=$?
	[ $rc = 0 ] || fail "SIG$sig: report of the killed run's trace exited $rc: $(cat "$tmp/r.err")"
	[ -s "$tmp/r.err" ] || fail "SIG$sig: no warning on stderr about the incomplete trace"
	grep -q "killed-$sig.opc" "$tmp/r.err" || fail "SIG$sig: the warning does not name the file: $(cat "$tmp/r.err")"
	$CHECK validate "$tmp/r.json" || fail "SIG$sig: report does not follow the JSON contract"
	calls=$($CHECK get "$tmp/r.json" totals.calls)
	flops=$($CHECK get "$tmp/r.json" totals.flops)
	[ "$calls" -gt 0 ] || fail "SIG$sig: no calls in the trace"
	# default MLP 32-64-64-10, batch 32: sgemm FLOPs per call lie in
	# [2*32*64*10, 2*32*64*64] = [40960, 262144]
	[ "$flops" -ge $((calls * 40960)) ] && [ "$flops" -le $((calls * 262144)) ] ||
		fail "SIG$sig: $flops FLOPs for $calls calls is not what the MLP's sgemm calls add up to"
	for by in layer op site; do
		"$OPC" report "$trace" --by $by >/dev/null 2>&1 || fail "SIG$sig: report --by $by failed"
	done
	echo "ok SIG$sig: $calls calls, $flops FLOPs; warning: $(head -n 1 "$tmp/r.err")"
done
echo "killed runs leave readable traces"
