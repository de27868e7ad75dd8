#!/bin/sh
# late_reload.sh - a BLAS library that is unloaded and loaded again.
#
# tests/progs/late_load.c, built without BLAS, opens a helper that depends
# on libopenblas with dlopen(RTLD_LOCAL), runs it, and dlcloses it, three
# times.  Closing the helper unloads libopenblas too, and the next dlopen
# may map it at another address: a wrapper that kept the old address of
# the real routine jumps into unmapped or unrelated code.  The program
# must behave as it does without the library (same stdout, exit 0) and
# every round's calls must be counted.
. "$(dirname "$0")/lib.inc"
CC=${CC:-cc}
OPENBLAS_INC=/usr/include/x86_64-linux-gnu/openblas-pthread
need_py "the JSON checks need it"
need "$LIB" "$OPC"

$CC -O2 -fPIC -shared -I"$OPENBLAS_INC" "$ROOT/tests/integration/late_helper.c" \
	-o "$tmp/helper.so" -lopenblas || fail "cannot build the helper"
$CC -O2 "$ROOT/tests/progs/late_load.c" -o "$tmp/late_noblas" -ldl ||
	fail "cannot build late_load without BLAS"

"$tmp/late_noblas" "$tmp/helper.so" 3 >"$tmp/plain.txt" 2>"$tmp/plain.err" ||
	fail "exited $? without the library: $(cat "$tmp/plain.err")"
OPCOUNT_OUTPUT=$tmp/t.opc LD_PRELOAD=$LIB "$tmp/late_noblas" "$tmp/helper.so" 3 \
	>"$tmp/out.txt" 2>"$tmp/err.txt"
rc=$?
[ $rc = 0 ] || fail "exited $rc under the library after the BLAS library was closed and reopened (stdout: $(tr '\n' ';' <"$tmp/out.txt") stderr: $(head -c 300 "$tmp/err.txt"))"
cmp -s "$tmp/plain.txt" "$tmp/out.txt" || fail "stdout differs under the library"
"$OPC" report "$tmp/t.opc" --by op --format json >"$tmp/op.json" 2>"$tmp/rep.err" ||
	fail "report exited $?: $(cat "$tmp/rep.err")"
$CHECK compare "$tmp/op.json" op "$tmp/out.txt" --only --calls ||
	fail "per-op counts differ over three load/unload rounds"
echo "three load/unload rounds counted exactly"
