#!/bin/sh
# fd_reuse.sh - the trace's descriptor taken by the program for a file of
# its own: the library never writes into that file, and the trace goes on
# or stops with a message (tests/progs/fd_reuse.c).
#
#  closefrom  every descriptor >= 3 closed, then files opened until one
#             has the trace's old number: that file holds exactly what
#             the program wrote, the others nothing; the trace (the same
#             file, opened again) is complete: every call, END, no word
#             on stderr
#  dup2       a file of the program's dup2'd onto the trace's number: the
#             same
#  moved      the trace renamed before the closefrom: it cannot be opened
#             again; a warning names it and says tracing stopped, the
#             renamed trace is readable and holds the calls made before;
#             the program's file is exact
#  replaced   as moved, and a file of the program's created at the trace's
#             path: that file is left as the program wrote it
. "$(dirname "$0")/lib.inc"
PROG=$B/tests/progs/fd_reuse
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$PROG"
export OPENBLAS_NUM_THREADS=1 OPCOUNT_ENERGY=none

# counts WHAT TRACE CALLS FLOPS: TRACE is readable and counts that much
counts() {
	"$OPC" report "$2" --format json >"$tmp/r.json" 2>"$tmp/r.err" ||
		{ bad "$1: report of $2 exited $?: $(cat "$tmp/r.err")"; return 1; }
	got="$($CHECK get "$tmp/r.json" totals.calls) $($CHECK get "$tmp/r.json" totals.flops)"
	[ "$got" = "$3 $4" ] || { bad "$1: $2 counts calls, FLOPs $got; expected $3 $4"; return 1; }
}

# own_files WHAT D: the program's file with the trace's number holds
# exactly its lines; its other files are empty
own_files() {
	own=$(awk '$1 == "own" { print $2 }' "$2/out.txt")
	sed '1,/^content:$/d' "$2/out.txt" >"$2/want"
	[ -s "$2/want" ] || fail "$1: fd_reuse printed no content"
	cmp -s "$own" "$2/want" ||
		bad "$1: $own (on the trace's old descriptor) is not what the program wrote:" \
			"$(od -c "$own" | head -n 8)"
	for f in "$2"/own.*; do
		[ "$f" = "$own" ] || [ ! -s "$f" ] || bad "$1: $f, empty for the program, holds $(od -c "$f" | head -n 4)"
	done
}

for mode in closefrom dup2 moved replaced; do
	d=$tmp/$mode
	mkdir "$d"
	nbad0=$nbad
	OPCOUNT_OUTPUT=$d/t.opc LD_PRELOAD=$LIB "$PROG" $mode "$d/t.opc" "$d" >"$d/out.txt" \
		2>"$d/err.txt" || fail "fd_reuse $mode exited $?: $(cat "$d/err.txt")"
	own_files $mode "$d"
	set -- $(awk '$1 == "expect" { print $4, $3 }' "$d/out.txt")
	case $mode in
	closefrom|dup2)
		counts $mode "$d/t.opc" "$3" "$4" &&
			[ "$($CHECK get "$tmp/r.json" traces.0.complete)" != true ] &&
			bad "$mode: the trace has no END record"
		[ -s "$d/err.txt" ] && bad "$mode: stderr: $(cat "$d/err.txt")"
		;;
	moved|replaced)
		counts $mode "$d/t.opc.moved" "$1" "$2"
		grep -q "opcount: warning: $d/t.opc: .*tracing stopped" "$d/err.txt" ||
			bad "$mode: no warning naming $d/t.opc: $(cat "$d/err.txt")"
		;;
	esac
	if [ $mode = replaced ]; then
		[ "$(cat "$d/t.opc")" = "not a trace" ] ||
			bad "replaced: the program's file at the trace's path was written: $(od -c "$d/t.opc" | head -n 8)"
	fi
	[ "$nbad" -ne "$nbad0" ] || ok "$mode: the program's files intact, the trace $(
		[ $mode = moved ] || [ $mode = replaced ] && echo stopped with a warning ||
		echo complete)"
done
finish
