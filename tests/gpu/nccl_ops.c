/*
 * nccl_ops.c - NCCL calls of known sizes, one rank (1 of 4) of a
 * communicator, on the fake NCCL of tests/fake/nccl.c, for
 * tests/integration/nccl_fake.sh (which repeats the list: keep the two in
 * step).
 *
 *   nccl_ops [LOOPS]
 *
 * Each of LOOPS rounds: one of each collective and a send and a receive
 * outside any group, then a group of a send, a receive, an all-reduce and
 * a broadcast (ncclBcast, which calls ncclBroadcast inside the fake),
 * then a group nested in a group with one all-reduce.  Prints a checksum
 * of the received data.
 */
#include <stdio.h>
#include <stdlib.h>

#include <cuda_runtime_api.h>
#include <nccl.h>

#define P 4
#define RANK 1

#define CHECK(x) do { ncclResult_t r_ = (x); if (r_ != ncclSuccess) { \
	fprintf(stderr, "%s: %d\n", #x, (int)r_); exit(1); } } while (0)

int main(int argc, char **argv)
{
	int loops = argc > 1 ? atoi(argv[1]) : 2;
	ncclUniqueId id;
	ncclComm_t comm;
	cudaStream_t s;
	float *a, *b;
	double sum = 0;

	CHECK(ncclGetUniqueId(&id));
	CHECK(ncclCommInitRank(&comm, P, id, RANK));
	if (cudaStreamCreate(&s) != cudaSuccess || cudaMalloc((void **)&a, 1 << 20) != cudaSuccess ||
	    cudaMalloc((void **)&b, 1 << 20) != cudaSuccess)
		return 1;
	for (int i = 0; i < (1 << 18); i++)
		a[i] = (float)(i % 13);
	for (int l = 0; l < loops; l++) {
		CHECK(ncclAllReduce(a, b, 1000, ncclFloat32, ncclSum, comm, s));
		CHECK(ncclBroadcast(a, b, 500, ncclFloat64, 0, comm, s));
		CHECK(ncclBcast(a, 256, ncclInt8, 3, comm, s));
		CHECK(ncclReduce(a, b, 100, ncclFloat16, ncclSum, 1, comm, s));
		CHECK(ncclAllGather(a, b, 64, ncclBfloat16, comm, s));
		CHECK(ncclReduceScatter(a, b, 32, ncclInt64, ncclSum, comm, s));
		CHECK(ncclSend(a, 10, ncclUint8, 2, comm, s));
		CHECK(ncclRecv(b, 10, ncclUint8, 0, comm, s));

		CHECK(ncclGroupStart());
		CHECK(ncclSend(a, 300, ncclFloat32, 2, comm, s));
		CHECK(ncclRecv(b, 300, ncclFloat32, 0, comm, s));
		CHECK(ncclAllReduce(a, b, 50, ncclFloat64, ncclSum, comm, s));
		CHECK(ncclBcast(a, 64, ncclInt32, 1, comm, s));
		CHECK(ncclGroupEnd());

		CHECK(ncclGroupStart());
		CHECK(ncclGroupStart());
		CHECK(ncclAllReduce(a, b, 2000, ncclInt32, ncclSum, comm, s));
		CHECK(ncclGroupEnd());
		CHECK(ncclGroupEnd());
		if (cudaStreamSynchronize(s) != cudaSuccess)
			return 1;
		for (int i = 0; i < 1000; i++)
			sum += b[i];
	}
	printf("nccl_ops: %d loops, checksum %.1f\n", loops, sum);
	ncclCommDestroy(comm);
	return 0;
}
