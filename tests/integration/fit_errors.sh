#!/bin/sh
# fit_errors.sh - `opcount fit` refuses what it cannot fit, clearly: a
# non-zero exit that is not a signal, and a message that names the file
# at fault and what to do.
#
#   no trace; a missing file; random bytes; a directory; traces without
#   energy samples for --target energy (the message suggests --target
#   time, which then works); a trace with one sampled interval; traces
#   with different energy sources; bad --target, --format, --group and
#   --plot names; -o and --plot into a directory that does not exist.
. "$(dirname "$0")/lib.inc"
SYNTH=$B/tests/test_fit
need "$OPC" "$SYNTH"

# refused WANT_RC PATTERN ARGS...: exit WANT_RC (any non-zero when 0),
# stderr matches PATTERN (grep -E)
refused() {
	want=$1 pat=$2
	shift 2
	"$OPC" fit "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc != 0 ] || fail "fit $*: exit 0"
	[ $rc -lt 128 ] || fail "fit $*: killed by signal $((rc - 128))"
	[ "$want" = 0 ] || [ $rc = "$want" ] || fail "fit $*: exit $rc, not $want"
	grep -Eq -- "$pat" "$tmp/err" || fail "fit $*: message does not match '$pat': $(cat "$tmp/err")"
	echo "ok fit $(echo "$*" | sed "s|$tmp/||g"): $(head -n 1 "$tmp/err" | sed "s|$tmp/||g")"
}

"$SYNTH" --write-synth "$tmp" --runs 3 --intervals 50 || fail "synth"
for i in 0 1 2; do mv "$tmp/run-$i.opc" "$tmp/good-$i.opc"; done
mkdir "$tmp/noe"
"$SYNTH" --write-synth "$tmp/noe" --runs 3 --intervals 50 --no-energy || fail "synth --no-energy"
mkdir "$tmp/one"
"$SYNTH" --write-synth "$tmp/one" --runs 1 --intervals 0 || fail "synth --intervals 0"
mkdir "$tmp/est"
"$SYNTH" --write-synth "$tmp/est" --runs 1 --intervals 50 --estimate || fail "synth --estimate"
head -c 4096 /dev/urandom >"$tmp/random.opc"
mkdir "$tmp/dir.opc"

refused 2 "no trace given"
refused 0 "missing\.opc" "$tmp/missing.opc"
refused 0 "random\.opc" "$tmp/good-0.opc" "$tmp/random.opc"
refused 0 "dir\.opc" "$tmp/dir.opc"
refused 0 "noe/run-0\.opc: no energy samples.*--target time" "$tmp"/noe/run-*.opc
"$OPC" fit "$tmp"/noe/run-*.opc --target time >"$tmp/out" 2>"$tmp/err" ||
	fail "--target time on traces without energy exited $?: $(cat "$tmp/err")"
echo "ok --target time works without energy samples"
refused 0 "only 1 sampling interval.*at least 2" "$tmp/one/run-0.opc"
refused 0 "different energy sources.*est/run-0\.opc" "$tmp/good-0.opc" "$tmp/est/run-0.opc"
refused 2 "--target" "$tmp/good-0.opc" --target watts
refused 2 "--format" "$tmp/good-0.opc" --format csv
refused 2 "--group" "$tmp/good-0.opc" --group pid
refused 2 "fit\.jpg.*\.svg or \.png" "$tmp/good-0.opc" --plot "$tmp/fit.jpg"
refused 0 "nodir/c\.json: cannot write" "$tmp"/good-*.opc -o "$tmp/nodir/c.json"
refused 0 "nodir/p\.png: cannot write the plot" "$tmp"/good-*.opc --plot "$tmp/nodir/p.png"
echo "bad input refused cleanly"
