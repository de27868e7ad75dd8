#!/bin/sh
# data_files.sh - the files opcount reads by name (an architecture, a fit's
# coefficients, the data directory's tables) are read only if they are
# regular files: a FIFO named instead fails at once with a message, it
# does not hang `opcount predict` or a program under the library.
. "$(dirname "$0")/lib.inc"
PROG=$B/tests/progs/blas_calls
need "$LIB" "$OPC" "$PROG"
arch=$ROOT/tests/data/arch/mlp.json
[ -e "$arch" ] || arch=$(ls "$ROOT"/tests/data/arch/*.json | grep -v bad- | head -n 1)
mkfifo "$tmp/fifo.json"

# predict_fifo WHAT ARGS...: predict fails (not 124), names the FIFO
predict_fifo() {
	what=$1
	shift
	timeout 10 "$OPC" predict "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc = 124 ] && { bad "$what: predict hangs on a FIFO"; return; }
	[ $rc != 0 ] && grep -q "fifo.json.*not a regular file" "$tmp/err" &&
		ok "$what: a FIFO is refused: $(head -n 1 "$tmp/err")" ||
		bad "$what: predict exited $rc: $(cat "$tmp/err")"
}
predict_fifo "--arch" --coeffs "$tmp/fifo.json" --arch "$tmp/fifo.json"
predict_fifo "--coeffs" --arch "$arch" --coeffs "$tmp/fifo.json"

# the estimate's TDP table, read by the library at start
mkdir "$tmp/data"
mkfifo "$tmp/data/cpu-tdp-watts.csv"
timeout 10 env OPENBLAS_NUM_THREADS=1 OPCOUNT_ENERGY=estimate OPCOUNT_DATA_DIR=$tmp/data \
	OPCOUNT_OUTPUT=$tmp/t.opc LD_PRELOAD=$LIB "$PROG" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc = 124 ] && bad "a FIFO as the TDP table hangs the program" ||
	{ [ $rc = 0 ] && ok "a FIFO as the TDP table: the program runs" ||
		bad "the program exited $rc: $(cat "$tmp/err")"; }
finish
