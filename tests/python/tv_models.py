#!/usr/bin/python3
"""tv_models.py - torchvision's models, unmodified, for
tests/integration/torchvision_models.sh: exported by opcount_torch
(torch.fx reads their forwards: BasicBlock's residual adds and downsample
shortcuts, MobileNet's and EfficientNet's squeeze-and-excitation gates,
functional pooling and flatten) and run as PyTorch runs them by default
(oneDNN on, torch's own number of threads).  Ten classes.

  python3 -m opcount_torch arch tests/python/tv_models.py:resnet18 \
      --input 3,32,32 --batch 2 -o resnet18.json
      the architecture file (a factory below), as a user writes it

  tv_models.py run --model NAME --mode infer|train [--batch B] [--size S]
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


def mobilenet_v2():
    import torchvision
    return torchvision.models.mobilenet_v2(num_classes=10)


def efficientnet_b0():
    import torchvision
    return torchvision.models.efficientnet_b0(num_classes=10)


def mobilenet_v3_small():
    import torchvision
    return torchvision.models.mobilenet_v3_small(num_classes=10)


def squeezenet1_1():
    import torchvision
    return torchvision.models.squeezenet1_1(num_classes=10)


def googlenet():
    import torchvision
    # no auxiliary classifiers (they run in training only, as side outputs)
    return torchvision.models.googlenet(num_classes=10, aux_logits=False, init_weights=False)


MODELS = {"resnet18": resnet18, "mobilenet_v2": mobilenet_v2,
          "efficientnet_b0": efficientnet_b0, "mobilenet_v3_small": mobilenet_v3_small,
          "squeezenet1_1": squeezenet1_1, "googlenet": googlenet}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=("run",))
    ap.add_argument("--mode", choices=("infer", "train"), required=True)
    ap.add_argument("--model", choices=sorted(MODELS), default="resnet18")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--size", type=int, default=32)
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import torch
    import opcount_torch

    torch.manual_seed(0)
    model = MODELS[args.model]()
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
