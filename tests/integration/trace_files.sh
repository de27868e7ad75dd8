#!/bin/sh
# trace_files.sh - what is at a trace's path is not trusted.
#
#  symlink   a symbolic link planted at the trace path (the default
#            opcount-<pid>.opc is predictable): not followed, its target
#            unchanged, the program's output and exit as without the
#            library, a warning naming the path; the same through
#            `opcount record -o`
#  fifo      a FIFO at the trace path, with no reader: the program does
#            not hang (run under timeout) and runs unchanged, a warning
#  reader    a FIFO with a reader: refused too, nothing written into it
#  mode      a trace is created 0600 (it holds the command line), and so
#            is one written by `opcount record --ptrace`
#  module    a trace whose MODULE record names a path that is now a FIFO
#            (the program's binary replaced after the run): `opcount
#            report` does not hang and reports the calls
. "$(dirname "$0")/lib.inc"
PROG=$B/tests/progs/blas_calls
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$PROG"
export OPENBLAS_NUM_THREADS=1 OPCOUNT_ENERGY=none
reader=
on_exit() { [ -n "$reader" ] && kill $reader 2>/dev/null; }
umask 022

"$PROG" >"$tmp/want.out" 2>"$tmp/want.err" || fail "blas_calls alone exited $?"

# run WHAT TRACE: blas_calls under the library writing TRACE, under
# timeout; its output must be the plain run's and a warning name TRACE
run() {
	timeout 10 env OPCOUNT_OUTPUT="$2" LD_PRELOAD="$LIB" "$PROG" >"$tmp/$1.out" 2>"$tmp/$1.err"
	rc=$?
	[ $rc = 124 ] && { bad "$1: the program hangs (killed after 10 s)"; return 1; }
	[ $rc = 0 ] || bad "$1: the program exited $rc: $(head -n 3 "$tmp/$1.err")"
	cmp -s "$tmp/want.out" "$tmp/$1.out" || bad "$1: the program's output changed"
	grep -q "$2" "$tmp/$1.err" || bad "$1: no warning names $2: $(cat "$tmp/$1.err")"
	return 0
}

# symlink
printf 'not yours\n' >"$tmp/target"
ln -s "$tmp/target" "$tmp/link.opc"
run symlink "$tmp/link.opc" && [ "$(cat "$tmp/target")" = "not yours" ] &&
	[ -L "$tmp/link.opc" ] && ok "symlink: not followed, its target unchanged" ||
	bad "symlink: the trace was written through the link: target now" \
		"$(wc -c <"$tmp/target") bytes"
"$OPC" record -o "$tmp/link.opc" -- "$PROG" >"$tmp/rec.out" 2>"$tmp/rec.err" </dev/null
[ "$(cat "$tmp/target")" = "not yours" ] && ok "record -o symlink: target unchanged" ||
	bad "record -o symlink: the trace was written through the link"

# fifo
mkfifo "$tmp/fifo.opc"
run fifo "$tmp/fifo.opc" && ok "fifo without a reader: refused, the program runs"

# reader
mkfifo "$tmp/read.opc"
cat "$tmp/read.opc" >"$tmp/read.got" &
reader=$!
run reader "$tmp/read.opc"
# end the reader if the library never opened the FIFO
: >"$tmp/read.opc" &
wait $reader
reader=
[ -s "$tmp/read.got" ] && bad "reader: $(wc -c <"$tmp/read.got") bytes written into the FIFO" ||
	ok "fifo with a reader: refused, nothing written"

# mode
OPCOUNT_OUTPUT=$tmp/mode.opc LD_PRELOAD=$LIB "$PROG" >/dev/null 2>"$tmp/mode.err" ||
	fail "mode: blas_calls exited $?: $(cat "$tmp/mode.err")"
m=$(stat -c %a "$tmp/mode.opc")
[ "$m" = 600 ] && ok "mode: the trace is 0600" || bad "mode: the trace is $m, not 600"
if "$OPC" record --ptrace -o "$tmp/pt.opc" -- "$PROG" >/dev/null 2>"$tmp/pt.err"; then
	m=$(stat -c %a "$tmp/pt.opc")
	[ "$m" = 600 ] && ok "mode: the ptrace trace is 0600" ||
		bad "mode: the ptrace trace is $m, not 600"
else
	echo "(no ptrace here: $(tail -n 1 "$tmp/pt.err"))"
fi

# module
mkdir "$tmp/mod"
cp "$PROG" "$tmp/mod/prog"
(cd "$tmp/mod" && OPCOUNT_OUTPUT=t.opc LD_PRELOAD=$LIB ./prog >/dev/null) ||
	fail "module: the copy exited $?"
"$PY" "$ROOT/tests/python/trace_frames.py" "$tmp/mod/t.opc" >"$tmp/mod/frames" &&
	grep -q MODULE "$tmp/mod/frames" ||
	fail "module: the trace has no MODULE record"
rm "$tmp/mod/prog"
mkfifo "$tmp/mod/prog"
for fmt in table json; do
	timeout 10 "$OPC" report "$tmp/mod/t.opc" --format $fmt >"$tmp/mod/r.$fmt" 2>"$tmp/mod/r.err"
	rc=$?
	[ $rc = 124 ] && { bad "module: report --format $fmt hangs on a module that is a FIFO"; continue; }
	[ $rc = 0 ] || { bad "module: report --format $fmt exited $rc: $(cat "$tmp/mod/r.err")"; continue; }
	ok "module: report --format $fmt does not open the FIFO"
done
[ -s "$tmp/mod/r.json" ] && [ "$($CHECK get "$tmp/mod/r.json" totals.calls)" -gt 0 ] &&
	ok "module: the calls are reported" || bad "module: no calls in the report"
finish
