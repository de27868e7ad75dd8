#!/bin/sh
# gpu_abi.sh - preload/cuda_abi.h (what libopcount.so knows of the CUDA,
# cuBLAS and cuDNN ABI without their headers) agrees with the installed
# CUDA toolkit: tests/gpu/cuda_abi.c asserts every value statically, so it
# only builds if they agree; this runs it.
BUILD=${BUILD:-build}
[ -e /usr/local/cuda/include/cudnn.h ] ||
	{ echo "skip: no CUDA toolkit with cuDNN headers in /usr/local/cuda"; exit 77; }
prog=$BUILD/tests/gpu/cuda_abi
[ -x "$prog" ] || { echo "FAIL: $prog was not built: cuda_abi.h disagrees with the headers?"; exit 1; }
"$prog" || { echo "FAIL: $prog exited $?"; exit 1; }
