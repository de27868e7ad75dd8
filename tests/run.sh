#!/bin/sh
# tests/run.sh - run every test and print one summary line at the end.
#
# Unit tests: the cmocka binaries $BUILD/tests/test_*.  Integration tests:
# tests/integration/*.sh, each run from the repository root with BUILD set;
# exit 0 = passed, 77 = skipped (the script prints why), anything else =
# failed.  A test's output is shown only when it fails or skips.
BUILD=${BUILD:-build}
export BUILD
pass=0 fail=0 skip=0
failed=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() {	# name, command...
	name=$1; shift
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0)  pass=$((pass + 1)); echo "PASS  $name (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP  $name: $(tail -n 1 "$log")" ;;
	*)  fail=$((fail + 1)); failed="$failed $name"
	    echo "FAIL  $name (exit $rc)"; sed 's/^/      /' "$log" | tail -n 40 ;;
	esac
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run "unit/$(basename "$t")" "$t"
done
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	run "integration/$(basename "$t" .sh)" sh "$t"
done

[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
