#!/bin/sh
# fuzz.sh - the fuzz targets (tests/fuzz/) briefly, under ASan+UBSan.
#
# Each libFuzzer target runs FUZZ_SECONDS (10) from the seed corpus in
# tests/fuzz/corpus/, into a scratch corpus (the repository's is only
# read); a crash, a leak, undefined behaviour, a hang over 10 s or a run
# over 2 GB fails, and the input that did it is kept as
# $FUZZ/fuzz_NAME-crash-... (reproduce: $FUZZ/fuzz_NAME FILE).  `make fuzz
# SECONDS=N` runs them longer.  Skips only where clang cannot link a
# libFuzzer program (no libclang-rt-14-dev: make test-deps installs it).
. "$(dirname "$0")/lib.inc"
FUZZ=${FUZZ:-build-fuzz}
FUZZ_CC=${FUZZ_CC:-clang}
secs=${FUZZ_SECONDS:-10}

printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' \
	>"$tmp/probe.c"
if ! "$FUZZ_CC" -fsanitize=fuzzer "$tmp/probe.c" -o "$tmp/probe" >"$tmp/cc.err" 2>&1; then
	cat "$tmp/cc.err"
	echo "$FUZZ_CC cannot link a libFuzzer program (clang's fuzzer runtime, libclang-rt-14-dev, missing)"
	exit 77
fi
need "$FUZZ/fuzz_trace" "$FUZZ/fuzz_arch"

for name in trace arch; do
	mkdir -p "$tmp/corpus-$name"
	"$FUZZ/fuzz_$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-close_fd_mask=2 -print_final_stats=1 -artifact_prefix="$FUZZ/fuzz_$name-" \
		"$tmp/corpus-$name" "tests/fuzz/corpus/$name" >"$tmp/$name.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$name.log")
	cov=$(grep -o 'cov: [0-9]*' "$tmp/$name.log" | tail -n 1)
	if [ $rc = 0 ]; then
		ok "fuzz_$name: ${runs:-?} inputs in $secs s, $cov"
	else
		tail -n 40 "$tmp/$name.log"
		bad "fuzz_$name: exit $rc (the input is in $FUZZ/fuzz_$name-*)"
	fi
done
finish
