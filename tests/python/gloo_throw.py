"""gloo_throw.py - a Gloo collective that throws, for
tests/integration/torchrun_ddp.sh.

    torchrun --nproc_per_node 2 gloo_throw.py OUTDIR

Rank 1 leaves after a barrier; rank 0's all-reduce then finds its peer
gone and Gloo throws (a RuntimeError in Python).  Rank 0 then multiplies
two matrices: that sgemm must be counted like any other, which it is only
if the all-reduce's wrapper closed its call when the exception went
through it.  Rank 0 writes OUTDIR/throw.0: "raised 1", "gemm_flops F".
"""
import os
import sys
import time

import torch
import torch.distributed as dist


def main():
    out = sys.argv[1]
    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = False
    dist.init_process_group("gloo", timeout=__import__("datetime").timedelta(seconds=10))
    rank = dist.get_rank()
    dist.barrier()
    if rank == 1:
        os._exit(0)
    time.sleep(0.5)
    raised = 0
    try:
        dist.all_reduce(torch.ones(1000))
    except RuntimeError:
        raised = 1
    a = torch.randn(20, 30)
    b = torch.randn(30, 40)
    torch.mm(a, b)
    with open(os.path.join(out, "throw.0"), "w") as f:
        f.write("raised %d\ngemm_flops %d\n" % (raised, 2 * 20 * 30 * 40))
    os._exit(0)


if __name__ == "__main__":
    main()
