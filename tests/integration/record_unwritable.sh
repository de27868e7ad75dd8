#!/bin/sh
# record_unwritable.sh - `opcount record` says when the trace could not be
# written, instead of blaming the program ("it made no BLAS call").
#
#   -o /dev/full (not a regular file), -o in a directory that does not
#   exist, and a file size limit that stops the library mid-trace
#   (RLIMIT_FSIZE, SIGXFSZ ignored: the write fails with EFBIG) are each
#   reported as a trace that could not be written (or is incomplete),
#   never as "no BLAS or LAPACK call"; a good run says "trace written to",
#   and a program that makes no call still gets "no BLAS or LAPACK call".
. "$(dirname "$0")/lib.inc"
need "$OPC" "$LIB" "$B/examples/mlp"

# said WHAT PATTERN: the last record's stderr matches PATTERN
said() {
	if grep -q "made no BLAS" "$tmp/err" && [ "$2" != "made no BLAS" ]; then
		bad "$1: record blames the program: $(grep opcount "$tmp/err")"
	elif ! grep -q "$2" "$tmp/err"; then
		bad "$1: no '$2' in: $(grep opcount "$tmp/err")"
	else
		ok "$1: $(grep "$2" "$tmp/err")"
	fi
}

"$OPC" record -o /dev/full -- "$B/examples/mlp" >/dev/null 2>"$tmp/err"
said "-o /dev/full" "could not be written"

"$OPC" record -o "$tmp/no/such/dir/t.opc" -- "$B/examples/mlp" >/dev/null 2>"$tmp/err"
said "-o in a missing directory" "could not be written"

# a file size limit of 1 KiB (2 KiB in bash): the header and a few frames,
# then EFBIG (the whole trace is some 4.6 KB)
(
	trap '' XFSZ
	ulimit -f 2 2>/dev/null || exit 3
	exec "$OPC" record -o "$tmp/limited.opc" -- "$B/examples/mlp" >/dev/null 2>"$tmp/err"
)
[ $? = 3 ] && fail "cannot set a file size limit (ulimit -f)"
said "a file size limit" "incomplete"

"$OPC" record -o "$tmp/good.opc" -- "$B/examples/mlp" >/dev/null 2>"$tmp/err"
said "a good run" "trace written to"

"$OPC" record -o "$tmp/none.opc" -- true >/dev/null 2>"$tmp/err"
said "a program without BLAS calls" "made no BLAS"
finish
