#!/bin/sh
# output_identical.sh - the preload library must not change what a program
# does: the same stdout, byte for byte, and the same exit status, with and
# without it; the library itself writes nothing to stdout, even with the
# summary (OPCOUNT_REPORT=1), debug output and nested counting turned on.
#
# Programs: the examples (training, --infer, a bad option that exits 2),
# tests/progs/blas_calls and threads, and small programs built here that
# exit with status 3 in three ways (exit, return from main, _exit), leave
# an unterminated last line in the stdio buffer, and print nothing at all.
# Also: stdout closed at start (the trace must not land on fd 1), and
# stdout a pipe rather than a file.
. "$(dirname "$0")/lib.inc"
CC=${CC:-cc}
OPENBLAS_INC=/usr/include/x86_64-linux-gnu/openblas-pthread
need "$LIB" "$OPC" "$B/examples/mlp" "$B/examples/cnn" "$B/tests/progs/blas_calls" \
	"$B/tests/progs/threads"
cd "$tmp" || exit 1	# traces with the default name land here

n=0
# same EXPECTED_STATUS PROGRAM ARGS...: run without and with the library
same() {
	want=$1
	shift
	n=$((n + 1))
	"$@" >"$n.plain.out" 2>"$n.plain.err"
	rc_plain=$?
	OPCOUNT_OUTPUT=$tmp/$n.opc LD_PRELOAD=$LIB "$@" >"$n.shim.out" 2>"$n.shim.err"
	rc_shim=$?
	[ "$rc_plain" = "$want" ] || fail "$*: exit status $rc_plain without the library, expected $want"
	[ "$rc_shim" = "$rc_plain" ] ||
		fail "$*: exit status $rc_shim with the library, $rc_plain without ($(head -c 300 "$n.shim.err"))"
	cmp -s "$n.plain.out" "$n.shim.out" ||
		fail "$*: stdout differs with the library: $(diff "$n.plain.out" "$n.shim.out" | head -5)"
	# everything on, still nothing on stdout
	OPCOUNT_OUTPUT=$tmp/$n.all.opc OPCOUNT_REPORT=1 OPCOUNT_DEBUG=3 OPCOUNT_NESTED=1 \
		LD_PRELOAD=$LIB "$@" >"$n.all.out" 2>"$n.all.err"
	rc_all=$?
	[ "$rc_all" = "$rc_plain" ] || fail "$*: exit status $rc_all with OPCOUNT_REPORT/DEBUG/NESTED"
	cmp -s "$n.plain.out" "$n.all.out" ||
		fail "$*: stdout differs with OPCOUNT_REPORT=1 OPCOUNT_DEBUG=3 OPCOUNT_NESTED=1: $(diff "$n.plain.out" "$n.all.out" | head -5)"
	# stdout a pipe: the library must not change stdio buffering either
	out_pipe=$(OPCOUNT_OUTPUT=$tmp/$n.pipe.opc LD_PRELOAD=$LIB "$@" 2>/dev/null | od -An -c | cksum)
	[ "$out_pipe" = "$(od -An -c <"$n.plain.out" | cksum)" ] || fail "$*: stdout through a pipe differs"
	echo "ok $* (status $want, $(wc -c <"$n.plain.out") bytes)"
}

same 0 "$B/examples/mlp"
same 0 "$B/examples/mlp" --infer --samples 1001 --batch 7
same 2 "$B/examples/mlp" --no-such-option
same 0 "$B/examples/cnn"
same 0 "$B/examples/cnn" -q --samples 101 --batch 7
same 0 "$B/tests/progs/blas_calls"
same 0 "$B/tests/progs/threads" 200

# Small programs with odd endings.
cat >exit3.c <<'EOF'
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	double x[100];
	const char *how = argc > 1 ? argv[1] : "exit";

	for (int i = 0; i < 100; i++)
		x[i] = i;
	if (strcmp(how, "silent"))
		printf("ddot %.1f\n", cblas_ddot(100, x, 1, x, 1));
	else
		return cblas_ddot(100, x, 1, x, 1) == 328350.0 ? 0 : 1;
	if (!strcmp(how, "exit")) {
		printf("exiting with 3, no newline at the end");
		exit(3);
	}
	if (!strcmp(how, "return"))
		return 3;
	if (!strcmp(how, "_exit")) {
		fflush(stdout);
		_exit(3);
	}
	return 0;
}
EOF
$CC -O2 -I"$OPENBLAS_INC" exit3.c -o exit3 -lopenblas || fail "cannot build exit3.c"
same 3 ./exit3 exit
same 3 ./exit3 return
same 3 ./exit3 _exit
same 0 ./exit3 silent
[ -s "$n.plain.out" ] && fail "exit3 silent printed something"
[ -s "$n.shim.out" ] && fail "the library wrote to stdout: $(head -c 200 "$n.shim.out")"
[ -s "$n.all.out" ] && fail "the library wrote to stdout with OPCOUNT_REPORT=1: $(head -c 200 "$n.all.out")"
[ -s "$n.all.err" ] || fail "OPCOUNT_REPORT=1 printed no summary on stderr"

# The exit status survives, and the trace is complete, when the program
# exits with 3: the call before exit(3) is counted.
for how in exit return _exit; do
	OPCOUNT_OUTPUT=$tmp/st-$how.opc LD_PRELOAD=$LIB ./exit3 $how >/dev/null 2>&1
	rc=$?
	[ $rc = 3 ] || fail "exit3 $how: status $rc"
	if [ "$how" = _exit ]; then
		# _exit skips the exit handlers: the trace may lack its last
		# interval, but what is there must read (with a warning)
		[ -e "$tmp/st-$how.opc" ] || continue
		"$OPC" report "$tmp/st-$how.opc" --format json >st.json 2>/dev/null ||
			fail "exit3 _exit: the trace does not read"
		continue
	fi
	"$OPC" report "$tmp/st-$how.opc" --format json >st.json 2>st.err ||
		fail "exit3 $how: report failed: $(cat st.err)"
	[ "$($CHECK get st.json totals.calls)" = 1 ] || fail "exit3 $how: expected 1 call in the trace"
	[ "$($CHECK get st.json totals.flops)" = 200 ] || fail "exit3 $how: expected 200 FLOPs"
done
echo "ok exit status 3 keeps its trace"

# stdout closed at start: the program's writes fail as they would without
# the library, and the trace must neither take fd 1 nor receive them.
"$B/tests/progs/blas_calls" >&- 2>/dev/null
rc_plain=$?
OPCOUNT_OUTPUT=$tmp/closed.opc LD_PRELOAD=$LIB "$B/tests/progs/blas_calls" >&- 2>closed.err
rc_shim=$?
[ "$rc_shim" = "$rc_plain" ] || fail "stdout closed: status $rc_shim with the library, $rc_plain without"
"$OPC" report "$tmp/closed.opc" --format json >closed.json 2>closed.rep ||
	fail "stdout closed: the trace does not read: $(cat closed.rep)"
"$B/tests/progs/blas_calls" >want.txt
want=$(awk '$1 == "expect_total" { print $2 }' want.txt)
[ "$($CHECK get closed.json totals.flops)" = "$want" ] || fail "stdout closed: totals.flops differ"
echo "ok stdout closed"

ls "$tmp"/opcount-*.opc >/dev/null 2>&1 && fail "a trace ignored OPCOUNT_OUTPUT: $(ls "$tmp"/opcount-*.opc)"
echo "stdout and exit status unchanged"
