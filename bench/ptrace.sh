#!/bin/sh
# bench/ptrace.sh - cost per intercepted call in ptrace mode
# (`opcount record --ptrace`, breakpoints, and `--ptrace --inject`, the
# library injected), against `ltrace -e cblas_ddot` on the same program and
# against the preload library.  Medians of REPS runs of ddot_loop
# (cblas_ddot, n = 1; the program reports its own ns per call).  The
# injected mode costs what the library costs: it runs ICALLS calls.
BUILD=${BUILD:-build}
CALLS=${CALLS:-20000}
ICALLS=${ICALLS:-2000000}
REPS=${REPS:-3}
export OPENBLAS_NUM_THREADS=1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
prog=$BUILD/bench/ddot_loop
opc=$BUILD/opcount
lib=$(readlink -f "$BUILD/libopcount.so")

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ns() { awk '{print $6}'; }

: >"$dir/base"; : >"$dir/shim"; : >"$dir/ptrace"; : >"$dir/ltrace"; : >"$dir/inject"
have_ltrace=$(command -v ltrace)
for i in $(seq "$REPS"); do
	"$prog" "$CALLS" | ns >>"$dir/base"
	OPCOUNT_OUTPUT=$dir/l.opc LD_PRELOAD=$lib "$prog" "$CALLS" | ns >>"$dir/shim"
	"$opc" record --ptrace -o "$dir/p.opc" -- "$prog" "$CALLS" 2>/dev/null | ns >>"$dir/ptrace"
	"$opc" record --ptrace --inject -o "$dir/i.opc" -- "$prog" "$ICALLS" 2>/dev/null |
		ns >>"$dir/inject"
	[ -n "$have_ltrace" ] &&
		ltrace -e cblas_ddot -o /dev/null "$prog" "$CALLS" | ns >>"$dir/ltrace"
done
b=$(median <"$dir/base"); s=$(median <"$dir/shim"); p=$(median <"$dir/ptrace")
i=$(median <"$dir/inject")
echo "cblas_ddot n=1, $CALLS calls, median of $REPS runs (OPENBLAS_NUM_THREADS=1)"
echo "  without opcount:        $b ns/call"
echo "  preload library:        $s ns/call"
echo "  opcount record --ptrace: $p ns/call"
echo "  --ptrace --inject:       $i ns/call ($ICALLS calls)"
if [ -n "$have_ltrace" ]; then
	l=$(median <"$dir/ltrace")
	echo "  ltrace -e cblas_ddot:   $l ns/call"
	awk -v p="$p" -v l="$l" -v b="$b" -v i="$i" 'BEGIN {
		printf "  ptrace mode adds %.1f us/call; ltrace %.1f us/call: %.1fx cheaper\n",
		       (p - b) / 1000, (l - b) / 1000, (l - b) / (p - b)
		printf "  --inject adds %.1f ns/call: %.0fx cheaper than ltrace\n",
		       i - b, (l - b) / (i - b) }'
else
	echo "  ltrace: not installed (apt-get install ltrace), not compared"
fi
"$opc" report "$dir/p.opc" --by op --format csv 2>/dev/null | awk -F, 'NR == 2 { print "  ptrace trace counted " $6 " calls of " $1 }'
"$opc" report "$dir/i.opc" --by op --format csv 2>/dev/null | awk -F, 'NR == 2 { print "  injected trace counted " $6 " calls of " $1 }'
