#!/bin/sh
# bench/load.sh - what loading libopcount.so adds to a process: /bin/true,
# which never calls BLAS (the goal: under 0.5 ms), and a program that
# calls cblas_ddot once (the probing, the trace and the collector thread
# then come at that call).  Medians of RUNS starts each, in batches of 50
# interleaved with the same batches without the library (the machine is
# shared).  LIB=path measures another build of the library.
BUILD=${BUILD:-build}
RUNS=${RUNS:-500}
export OPENBLAS_NUM_THREADS=1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
lib=$(readlink -f "${LIB:-$BUILD/libopcount.so}")
spawn=$BUILD/bench/spawn
once=$(readlink -f "$BUILD/bench/ddot_loop")

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

measure() {	# NAME PROGRAM ARGS...
	name=$1
	shift
	: >"$dir/base"; : >"$dir/shim"
	for i in $(seq $((RUNS / 50))); do
		"$spawn" 50 "$@" >>"$dir/base" || return 1
		OPCOUNT_OUTPUT="$dir/t.opc" LD_PRELOAD="$lib" "$spawn" 50 "$@" >>"$dir/shim" ||
			return 1
	done
	b=$(median <"$dir/base"); s=$(median <"$dir/shim")
	awk -v n="$name" -v b="$b" -v s="$s" 'BEGIN {
		printf "  %-24s %7.3f ms without, %7.3f ms with: added %.3f ms\n",
			n, b / 1000, s / 1000, (s - b) / 1000 }'
}

echo "process start-up with $lib preloaded, median of $RUNS starts"
measure "/bin/true (no BLAS)" /bin/true
measure "one cblas_ddot call" "$once" 1
