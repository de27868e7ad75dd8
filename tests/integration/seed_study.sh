#!/bin/sh
# seed_study.sh - the reduced sweep of examples/seed_study.sh: every
# finding's table is printed, the linear scalings (data size, epochs)
# agree with the study, and `opcount fit` gives its verdict.
. "$(dirname "$0")/lib.inc"
need_py

BUILD=$BUILD sh examples/seed_study.sh --quick "$tmp/study" >"$tmp/out.txt" 2>&1 ||
	fail "seed_study.sh exited $?: $(tail -n 20 "$tmp/out.txt")"
for t in "energy vs training-set size" "energy vs epochs" "inference vs training" \
	"depth x width" "deep vs wide" "convolutional vs dense"; do
	grep -q "== $t" "$tmp/out.txt" || fail "no table for '$t'"
done
n=$(grep -c 'agrees? ' "$tmp/out.txt")
[ "$n" -eq 6 ] || fail "expected 6 findings with a verdict, found $n"
awk '/^== energy vs (training-set size|epochs)/ { f = 1 } f && /agrees\?/ { print; f = 0 }' \
	"$tmp/out.txt" | grep -q NO && fail "energy is not linear in data size or epochs: $(cat "$tmp/out.txt")"
grep -q '^verdict: ' "$tmp/out.txt" || fail "no fit verdict: $(tail -n 30 "$tmp/out.txt")"
[ -s "$tmp/study/coeffs.json" ] || fail "no coefficients written"
exit 0
