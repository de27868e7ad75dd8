#!/bin/sh
# stdout_full.sh - a command whose standard output cannot be written fails:
# every command that prints to stdout (report in each format, fit, predict,
# --help and --version) exits 1 with a message naming standard output when
# stdout is /dev/full, and exits 0 with the same arguments into a file.
# `record` prints only to stderr: its standard output is the program's, so
# record itself succeeds there (the program's own writes are its business).
. "$(dirname "$0")/lib.inc"
SYNTH=$B/tests/test_fit
need "$OPC" "$SYNTH"
[ -w /dev/full ] || fail "/dev/full is missing: the test cannot run"

"$SYNTH" --write-synth "$tmp" --runs 3 --intervals 50 >/dev/null || fail "synth"
T0=$tmp/run-0.opc

# full ARGS...: fails into /dev/full with a clear message, succeeds into a file
full() {
	"$OPC" "$@" >"$tmp/out" 2>"$tmp/err" || fail "opcount $*: exit $? into a file: $(cat "$tmp/err")"
	[ -s "$tmp/out" ] || fail "opcount $*: printed nothing, so /dev/full proves nothing"
	"$OPC" "$@" >/dev/full 2>"$tmp/err"
	rc=$?
	[ $rc = 1 ] || fail "opcount $* >/dev/full: exit $rc, not 1 ($(cat "$tmp/err"))"
	grep -q "standard output" "$tmp/err" || fail "opcount $* >/dev/full: message '$(cat "$tmp/err")'"
	ok "$(echo "$*" | sed "s|$tmp/||g") >/dev/full: $(cat "$tmp/err")"
}

full report "$T0"
full report "$T0" --format json
full report "$T0" --format csv --by op
full fit "$tmp"/run-*.opc
full fit "$tmp"/run-*.opc --format json
full predict --energy-kwh 1 --intensity 429 --pue 1
full predict --energy-kwh 1 --intensity 429 --pue 1 --format json
full --help
full --version
full report --help
full fit --help
full predict --help
full record --help

# a command that fails keeps its own status and message
"$OPC" report "$tmp/none.opc" >/dev/full 2>"$tmp/err"
rc=$?
[ $rc = 1 ] || fail "report of a missing file >/dev/full: exit $rc"
grep -q "none.opc" "$tmp/err" || fail "report of a missing file: message '$(cat "$tmp/err")'"
grep -q "standard output" "$tmp/err" && fail "report of a missing file: stdout blamed: $(cat "$tmp/err")"

# record writes to stderr only: the program's stdout being full is not its error
"$OPC" record --energy none -o "$tmp/r.opc" -- true >/dev/full 2>"$tmp/err" ||
	fail "record -- true >/dev/full: exit $?: $(cat "$tmp/err")"
ok "record -- true >/dev/full: exit 0"
finish
