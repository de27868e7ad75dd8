#!/usr/bin/python3
"""tv_resnet.py - torchvision's ResNet-18, unmodified, for
tests/integration/torchvision_resnet.sh: exported by opcount_torch
(torch.fx reads BasicBlock's hand-written residual adds and downsample
shortcuts, ResNet's torch.flatten) and run as PyTorch runs it by default
(oneDNN on, torch's own number of threads).

  python3 -m opcount_torch arch tests/python/tv_resnet.py:resnet18 \
      --input 3,32,32 --batch 2 -o resnet18.json
      the architecture file (the factory below), as a user writes it

  tv_resnet.py run --mode infer|train [--batch B] [--size S]
      One forward (infer: eval(), no_grad) or one training step (train:
      the sum of the outputs as the loss) of a batch of B images 3 x S x
      S, annotated (opcount_torch.annotate), printing "active 1" under the
      preload library and torch's intra-op threads.
"""
import argparse
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def resnet18():
    import torchvision
    return torchvision.models.resnet18(num_classes=10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=("run",))
    ap.add_argument("--mode", choices=("infer", "train"), required=True)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--size", type=int, default=32)
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import torch
    import opcount_torch

    torch.manual_seed(0)
    model = resnet18()
    x = torch.randn(args.batch, 3, args.size, args.size)
    with opcount_torch.annotate(model):
        if args.mode == "infer":
            model.eval()
            with torch.no_grad():
                out = model(x)
        else:
            model.train()
            model(x).sum().backward()
            out = None
    print("active %d" % opcount_torch.active())
    print("threads %d" % torch.get_num_threads())
    return 0 if out is None or tuple(out.shape) == (args.batch, 10) else 1


if __name__ == "__main__":
    sys.exit(main())
