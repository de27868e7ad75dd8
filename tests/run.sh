#!/bin/sh
# tests/run.sh - run the tests and print one summary line at the end.
#
#   tests/run.sh [PATTERN...]     (make test T=PATTERN)
#
# With patterns, only the tests whose name (unit/test_cost,
# integration/ptrace_attach) contains one of them, as a shell pattern
# (`ptrace`, `unit/`, `gpu_cu*`); a pattern that matches no test fails.
#
# Unit tests: the cmocka binaries $BUILD/tests/test_*, one per
# tests/unit/test_*.c (a missing one failed to build: a failure).
# Integration tests: tests/integration/*.sh, each run from the repository
# root with BUILD set; exit 0 = passed, 77 = skipped (the script prints why:
# only for what the machine lacks, never for something `make test` builds
# or installs), anything else = failed, 127 (a command not found) included.
# A test's output is shown only when it fails or skips.
#
# LONG=1 (make test-long): the tests in tests/long/*.sh instead, long/NAME,
# run like the integration tests: other projects' whole test suites under
# the library, minutes each.
# SKIP (tests/sanitize.sh) names a file of lines `NAME REASON...`: the
# tests named there are skipped, with that reason, instead of run.
BUILD=${BUILD:-build}
export BUILD
pass=0 fail=0 skip=0
failed=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# matches NAME PATTERNS: does NAME contain one of the (space-separated)
# PATTERNS?  set -f: the patterns are matched, not expanded against files.
matches() {
	_n=$1 _hit=1
	set -f
	for _p in $2; do
		case $_n in *$_p*) _hit=0; break ;; esac
	done
	set +f
	return $_hit
}

wanted() {	# NAME: selected (every test when no pattern was given)?
	[ -z "$patterns" ] || matches "$1" "$patterns"
}

run() {	# name, command...
	name=$1; shift
	if [ -n "${SKIP:-}" ]; then
		why=$(awk -v n="$name" '$1 == n { $1 = ""; sub(/^ /, ""); print; exit }' "$SKIP")
		if [ -n "$why" ]; then
			skip=$((skip + 1)); echo "SKIP  $name: $why"
			return
		fi
	fi
	start=$(date +%s)
	# a hung test fails after TEST_TIMEOUT seconds (default 900), the run
	# goes on
	timeout -k 10 "${TEST_TIMEOUT:-900}" "$@" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0)  pass=$((pass + 1)); echo "PASS  $name (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP  $name: $(tail -n 1 "$log")" ;;
	*)  fail=$((fail + 1)); failed="$failed $name"
	    why="exit $rc"
	    [ $rc = 127 ] && why="exit 127: a command was not found"
	    [ $rc = 124 ] || [ $rc = 137 ] && why="timed out after ${TEST_TIMEOUT:-900} s"
	    echo "FAIL  $name ($why)"; sed 's/^/      /' "$log" | tail -n 40 ;;
	esac
}

if [ "${LONG:-0}" = 1 ]; then
	units= scripts=long
else
	units='tests/unit/test_*.c' scripts=integration
fi

patterns="$*"
for p in "$@"; do
	found=
	for t in $units tests/$scripts/*.sh; do
		n=$(basename "$t")
		case $t in *.c) n=unit/${n%.c} ;; *) n=$scripts/${n%.sh} ;; esac
		matches "$n" "$p" && { found=1; break; }
	done
	[ -n "$found" ] || { echo "FAIL  no test name matches '$p'"; exit 1; }
done

for src in $units; do
	t=$BUILD/tests/$(basename "$src" .c)
	wanted "unit/$(basename "$t")" || continue
	if [ -x "$t" ]; then
		run "unit/$(basename "$t")" "$t"
	else
		run "unit/$(basename "$t")" sh -c "echo '$t was not built (make test builds it)'; exit 1"
	fi
done
for t in tests/$scripts/*.sh; do
	[ -f "$t" ] || continue
	wanted "$scripts/$(basename "$t" .sh)" || continue
	run "$scripts/$(basename "$t" .sh)" sh "$t"
done

[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
