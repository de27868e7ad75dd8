/*
 * unseen.c - numerical libraries whose work opcount does not see.
 *
 * Matched on the file name of a module the trace lists (the library writes
 * every module loaded at the process's end, preload/collector.c): the
 * name up to ".so", so that any version matches, and for cuDNN the
 * major version, since the wrappers follow one API.  Libraries whose
 * entry points are intercepted by name (any BLAS, LAPACK, cuBLAS,
 * cublasLt, the CUDA runtime, MPI, NCCL) are not here, whichever file
 * provides them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unseen.h"

static const struct {
	const char *name;	/* the file name before ".so" */
	const char *why;
} libraries[] = {
	{ "libmkldnn", "MKL-DNN (oneDNN before 2.0): its primitives are not intercepted" },
	{ "libXNNPACK", "XNNPACK: neural-network operators, not intercepted" },
	{ "libnnpack", "NNPACK: convolutions, not intercepted" },
	{ "libpytorch_qnnpack", "QNNPACK: quantised operators, not intercepted" },
	{ "libfbgemm", "FBGEMM: packed and quantised GEMMs, not intercepted" },
	{ "libxsmm", "LIBXSMM: small GEMMs and convolutions, not intercepted" },
	{ "libsleef", "SLEEF: vector math (activations), not intercepted: "
		      "its time is a layer's own time or outside" },
	{ "libfftw3", "FFTW: FFTs, not intercepted" },
	{ "libfftw3f", "FFTW: FFTs, not intercepted" },
	{ "libmkl_core", "MKL: its BLAS and LAPACK are intercepted by name, "
			 "its FFT, sparse and vector-math functions are not" },
	{ "libcufft", "cuFFT: FFTs, not intercepted" },
	{ "libcusparse", "cuSPARSE: sparse linear algebra, not intercepted" },
	{ "libcusolver", "cuSOLVER: dense solvers, not intercepted" },
	{ "libcurand", "cuRAND: random numbers, not intercepted" },
	{ "libcutensor", "cuTENSOR: tensor contractions, not intercepted" },
};

/* cuDNN: the wrappers follow this major version's API */
#define CUDNN_MAJOR_FOLLOWED 9

int opc_unseen(const char *path, char *why, size_t len)
{
	const char *base = strrchr(path, '/');
	const char *so;
	size_t n;

	base = base ? base + 1 : path;
	so = strstr(base, ".so");
	if (so == NULL)
		return 0;
	n = (size_t)(so - base);
	for (size_t i = 0; i < sizeof(libraries) / sizeof(libraries[0]); i++)
		if (strlen(libraries[i].name) == n && !strncmp(base, libraries[i].name, n)) {
			snprintf(why, len, "%s", libraries[i].why);
			return 1;
		}
	/* oneDNN 2.x and 3.x are read (preload/dnnl.c); another one's
	 * executions are counted with FLOPs unknown */
	if (n == 7 && !strncmp(base, "libdnnl", 7) && so[3] == '.') {
		int major = atoi(so + 4);

		if (major != 2 && major != 3) {
			snprintf(why, len, "oneDNN %d: its executions are counted, their work not "
				 "(FLOPs unknown): opcount reads oneDNN 2 and 3", major);
			return 1;
		}
	}
	if (n == 8 && !strncmp(base, "libcudnn", 8) && so[3] == '.') {
		int major = atoi(so + 4);

		if (major > 0 && major != CUDNN_MAJOR_FOLLOWED) {
			snprintf(why, len, "cuDNN %d: opcount follows cuDNN %d's API; its calls "
				 "may be miscounted or not seen", major, CUDNN_MAJOR_FOLLOWED);
			return 1;
		}
	}
	return 0;
}
