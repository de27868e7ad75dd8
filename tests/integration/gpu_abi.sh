#!/bin/sh
# gpu_abi.sh - preload/cuda_abi.h (what libopcount.so knows of the CUDA,
# cuBLAS and cuDNN ABI without their headers) agrees with the installed
# CUDA toolkit: tests/gpu/cuda_abi.c asserts every value statically, so it
# only builds if they agree (and make test fails if it does not); this
# runs it.
. "$(dirname "$0")/lib.inc"
gpu_or_skip
prog=$B/tests/gpu/cuda_abi
need "$prog"
"$prog" || fail "$prog exited $?"
