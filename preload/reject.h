/*
 * reject.h - calls the BLAS or LAPACK refused.
 *
 * A routine whose arguments fail its own checks (lda < m, a bad trans
 * letter, n < 0, a bad LAPACKE layout) does no work: it reports the error
 * and returns.  Such a call is still a call the program made, so it is
 * counted, but with 0 FLOPs and 0 bytes, under a key of its own marked
 * OPC_KEY_REJECTED (a "rejected" row in reports).  The library's own
 * report of the error is what decides, so the decision is exactly the
 * library's, whichever BLAS it is (OpenBLAS accepts lda = 0 when m = 0 and
 * a conjugate-no-transpose 'R' that the reference BLAS refuses):
 *
 *  - LAPACK: a Fortran routine sets *info < 0 and a LAPACKE function
 *    returns a negative value (an illegal argument, a NaN its check found,
 *    or no memory for its work arrays: no work in every case); the
 *    generated wrappers look after the call.  A workspace query returns
 *    info 0 and a singular matrix info > 0: both are counted as usual.
 *  - BLAS says so only through xerbla_, then returns without computing:
 *    reject.c exports xerbla_, and a call of it while a counted call is in
 *    progress on the thread marks that call rejected, before the real
 *    xerbla_ prints its message (or ends the program, as the reference
 *    BLAS's does: the call is in the trace all the same).
 *  - CUDA libraries return an error status (cuBLAS, cuDNN, the runtime):
 *    the GPU wrappers count such a call rejected (gpu.c).
 *
 * opc_call_reject() (call.h) moves a call in progress to its rejected key.
 */
#ifndef OPC_REJECT_H
#define OPC_REJECT_H

#include "call.h"

#endif
