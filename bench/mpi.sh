#!/bin/sh
# bench/mpi.sh - what the MPI wrappers (preload/mpi.c) add per call, next
# to the BLAS wrapper's on cblas_ddot(n=1): MPI_Allreduce of one double
# and MPI_Test of MPI_REQUEST_NULL on one rank (Open MPI, mpirun -np 1),
# medians of REPS interleaved runs, thread CPU time.  Needs mpicc and
# mpirun (libopenmpi-dev, openmpi-bin) to build and run bench/mpi_loop.
BUILD=${BUILD:-build}
CALLS=${CALLS:-2000000}
REPS=${REPS:-5}
export OPENBLAS_NUM_THREADS=1
prog=$BUILD/bench/mpi_loop
if [ ! -x "$prog" ] || ! command -v mpirun >/dev/null 2>&1; then
	echo "MPI wrappers: skipped, $prog not built or no mpirun (libopenmpi-dev, openmpi-bin)"
	exit 0
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
lib=$(readlink -f "$BUILD/libopcount.so")
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mpi1() { timeout 120 mpirun --allow-run-as-root --oversubscribe --mca btl self -np 1 "$@"; }

: >"$dir/ab"; : >"$dir/as"; : >"$dir/tb"; : >"$dir/ts"; : >"$dir/db"; : >"$dir/ds"
for i in $(seq "$REPS"); do
	mpi1 "$prog" "$CALLS" >"$dir/o0" || { echo "MPI wrappers: skipped, mpirun failed"; exit 0; }
	mpi1 env OPCOUNT_OUTPUT="$dir/t.opc" LD_PRELOAD="$lib" "$prog" "$CALLS" >"$dir/o1"
	awk '{print $4}' "$dir/o0" >>"$dir/ab"; awk '{print $6}' "$dir/o0" >>"$dir/tb"
	awk '{print $4}' "$dir/o1" >>"$dir/as"; awk '{print $6}' "$dir/o1" >>"$dir/ts"
	"$BUILD/bench/ddot_loop" $((CALLS * 10)) | awk '{print $6}' >>"$dir/db"
	OPCOUNT_OUTPUT="$dir/d.opc" LD_PRELOAD="$lib" "$BUILD/bench/ddot_loop" $((CALLS * 10)) |
		awk '{print $6}' >>"$dir/ds"
done
ab=$(median <"$dir/ab"); as=$(median <"$dir/as")
tb=$(median <"$dir/tb"); ts=$(median <"$dir/ts")
db=$(median <"$dir/db"); ds=$(median <"$dir/ds")
echo "MPI wrappers, one rank, $CALLS calls each, median of $REPS runs (thread CPU time)"
awk -v b="$ab" -v s="$as" 'BEGIN { printf "  MPI_Allreduce 1 double: %.1f -> %.1f ns/call, +%.1f ns (ratio %.2fx)\n", b, s, s - b, s / b }'
awk -v b="$tb" -v s="$ts" 'BEGIN { printf "  MPI_Test, null request: %.1f -> %.1f ns/call, +%.1f ns (ratio %.2fx)\n", b, s, s - b, s / b }'
awk -v b="$db" -v s="$ds" 'BEGIN { printf "  (cblas_ddot n=1 beside it: %.2f -> %.2f ns/call, +%.2f ns)\n", b, s, s - b }'
awk -v a="$as" -v b="$ab" -v d="$ds" -v e="$db" 'BEGIN { if (d > e) printf "  MPI_Allreduce wrapper / BLAS wrapper, added time: %.1fx\n", (a - b) / (d - e) }'
"$BUILD/opcount" report "$dir/t.opc" --by op | grep -E '^(MPI_Allreduce|MPI_Test|total)'
