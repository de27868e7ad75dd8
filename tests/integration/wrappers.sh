#!/bin/sh
# wrappers.sh - every CPU wrapper extracts its call's shape right.
#
# build/tests/wrappers/calls calls every entry point of the routine table
# (CBLAS, Fortran 77 with hidden string lengths, LAPACKE) with chosen
# shapes, flags (trans, uplo, side, diag, jobs, beta zero or not, upper and
# lower case), leading dimensions and increments of their own, and
# workspace queries, each call from a line of its own; it is linked with
# libfakeblas.so, whose entry points do nothing (tests/wrappers/
# gen_calls.py).  Under the library, the report's row of each call must
# have the routine, the interface, 1 call, and the FLOPs, bytes and
# estimated mark that tests/wrappers/model.py works out from the
# arguments: LAWN 41 and the compulsory-bytes rule, written apart from
# common/cost.c.  Each entry point is also called with the fake told to
# refuse the call as a real library does (xerbla_, LAPACK's info < 0, a
# negative LAPACKE value): that row must be rejected, with 0 FLOPs and 0
# bytes, and the fake's xerbla_ must still see every call of it.
. "$(dirname "$0")/lib.inc"
W=$B/tests/wrappers
need_py "the model is in Python"
need "$LIB" "$OPC" "$W/calls" "$W/calls.json" "$W/libfakeblas.so"

"$W/calls" >"$tmp/plain.out" 2>&1 || fail "calls without the library exited $?: $(cat "$tmp/plain.out")"
# no energy: the test is about counts, and a source may warn (a stalled counter)
OPCOUNT_ENERGY=none OPCOUNT_OUTPUT=$tmp/w.opc LD_PRELOAD=$LIB "$W/calls" >"$tmp/run.out" 2>&1 ||
	fail "calls under the library exited $?: $(cat "$tmp/run.out")"
# the library says nothing: a routine with no real one to call is an error
cmp -s "$tmp/plain.out" "$tmp/run.out" ||
	fail "the library said: $(diff "$tmp/plain.out" "$tmp/run.out" | head -n 5)"
"$OPC" report "$tmp/w.opc" --by key --format json >"$tmp/w.json" 2>"$tmp/rep.err" ||
	fail "report exited $?: $(cat "$tmp/rep.err")"
"$PY" "$ROOT/tests/wrappers/check.py" "$W/calls.json" "$tmp/w.json" ||
	fail "the recorded calls do not match the model (above)"
