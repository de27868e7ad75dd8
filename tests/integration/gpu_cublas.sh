#!/bin/sh
# gpu_cublas.sh - cuBLAS and cublasLt calls counted and timed, against the
# fake libraries of tests/fake/ (a simulated GPU with known durations).
#
#   abi       every cuBLAS line of common/routines.tbl has the argument
#             classes of its declaration in the toolkit's cublas_api.h
#   output    tests/gpu/cublas_loop prints the same with and without
#             opcount (the fakes compute the s, d, c, z results on the host)
#   counts    report --by op: for every op exactly the calls, FLOPs and
#             bytes worked out in tests/python/check_gpu_cublas.py (GEMM
#             in five precisions and with typed arguments, batches,
#             transposes, beta zero or not, beta in device memory, GEMV,
#             level 1, the _64 forms, cublasLtMatmul from created and from
#             Init-ed descriptors); busy_s per op equal to the simulated
#             GPU time of its calls (0.2% + 30 us)
#   nested    the fake cublasSgemm calls cublasLtMatmul, as the real one
#             does: counted once, as cublasSgemm; with OPCOUNT_NESTED=1 the
#             inner calls are nested rows and nothing else changes
. "$(dirname "$0")/lib.inc"
gpu_or_skip
PROG=$B/tests/gpu/cublas_loop
CUDA_INC=${CUDA_HOME:-/usr/local/cuda}/include
LOOPS=3
LAUNCH_NS=1000000	# every call outlasts the host's work: the stream never idles

[ -e "$CUDA_INC/cublas_api.h" ] ||
	{ echo "skip: no $CUDA_INC/cublas_api.h (the fake cuBLAS is built against it)"; exit 77; }
need_py "the JSON checks need it"
need "$LIB" "$OPC" "$PROG"

$PY "$ROOT/tests/python/check_cublas_abi.py" "$ROOT/common/routines.tbl" "$CUDA_INC" ||
	fail "routines.tbl disagrees with cublas_api.h"

export FAKEGPU_LAUNCH_NS=$LAUNCH_NS
"$PROG" $LOOPS >"$tmp/plain.txt" 2>"$tmp/plain.err" ||
	fail "cublas_loop failed without opcount: $(cat "$tmp/plain.err")"
OPCOUNT_OUTPUT=$tmp/t.opc LD_PRELOAD=$LIB "$PROG" $LOOPS >"$tmp/out.txt" 2>"$tmp/err.txt" ||
	fail "cublas_loop failed under opcount: $(cat "$tmp/err.txt")"
cmp -s "$tmp/plain.txt" "$tmp/out.txt" ||
	fail "output differs under opcount: $(cat "$tmp/plain.txt") / $(cat "$tmp/out.txt")"

"$OPC" report "$tmp/t.opc" --by op --format json >"$tmp/op.json" 2>"$tmp/rep.err" ||
	fail "report exited $?: $(cat "$tmp/rep.err")"

OPCOUNT_NESTED=1 OPCOUNT_OUTPUT=$tmp/n.opc LD_PRELOAD=$LIB "$PROG" $LOOPS >"$tmp/nout.txt" \
	2>"$tmp/nerr.txt" || fail "cublas_loop failed with OPCOUNT_NESTED=1: $(cat "$tmp/nerr.txt")"
cmp -s "$tmp/plain.txt" "$tmp/nout.txt" || fail "output differs with OPCOUNT_NESTED=1"
"$OPC" report "$tmp/n.opc" --by op --format json >"$tmp/nested.json" 2>"$tmp/rep.err" ||
	fail "report (nested) exited $?: $(cat "$tmp/rep.err")"

$PY "$ROOT/tests/python/check_gpu_cublas.py" "$tmp/op.json" $LOOPS $LAUNCH_NS \
	--nested "$tmp/nested.json" || fail "counts or GPU times differ (see above)"
exit 0
