"""ddp_train.py - DistributedDataParallel training of a bias-free MLP
over the gloo backend, for tests/integration/torchrun_ddp.sh.

    torchrun --nproc_per_node P ddp_train.py OUTDIR [STEPS]

Rank r trains on batches of 8 (r + 1) rows (ranks differ, so a count
given to the wrong rank shows), one thread, MKL-DNN off: every matrix
product is one sgemm_.  Each rank writes OUTDIR/expect.<r>:

    gemm_flops F    2 m n k summed over the step's GEMMs, by the shapes
    gemm_calls C    forward: one per layer; backward: a weight gradient
                    per layer and an input gradient per layer but the
                    first (its input needs none)
    grad_bytes B    the gradients DDP all-reduces each step (float32)
    steps S
"""
import os
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

DIMS = [48, 64, 32, 8]


def main():
    out = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = False
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    torch.manual_seed(0)
    layers = []
    for i in range(len(DIMS) - 1):
        layers.append(torch.nn.Linear(DIMS[i], DIMS[i + 1], bias=False))
        if i + 2 < len(DIMS):
            layers.append(torch.nn.ReLU())
    model = DDP(torch.nn.Sequential(*layers))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    batch = 8 * (rank + 1)
    x = torch.randn(batch, DIMS[0])
    y = torch.randn(batch, DIMS[-1])
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    dist.barrier()
    flops = calls = 0
    for i in range(len(DIMS) - 1):
        f = 2 * batch * DIMS[i] * DIMS[i + 1]
        flops += 2 * f if i == 0 else 3 * f
        calls += 2 if i == 0 else 3
    grad = sum(DIMS[i] * DIMS[i + 1] for i in range(len(DIMS) - 1)) * 4
    with open(os.path.join(out, "expect.%d" % rank), "w") as f:
        f.write("gemm_flops %d\ngemm_calls %d\ngrad_bytes %d\nsteps %d\n"
                % (flops * steps, calls * steps, grad, steps))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
