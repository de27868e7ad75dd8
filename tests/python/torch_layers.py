#!/usr/bin/python3
"""torch_layers.py - a PyTorch model trained with opcount_torch.annotate(),
for tests/integration/torch_layers.sh.

  torch_layers.py [--threads N] [--steps N] [--baseline]

The model (batch 8 of 3x12x12, 10 classes), with its qualified names:

  Net                      the model; its forward ends with a functional
                           matmul h @ proj (proj a 10x10 Parameter), whose
                           GEMMs belong to the region "Net"
  features.0  Conv2d(3, 8, 3x3, padding 1)     the first layer
  features.1  ReLU(inplace=True)
  features.2  MaxPool2d(2)
  features.3  Conv2d(8, 16, 5x5, padding 2)
  features.4  ReLU, features.5 MaxPool2d(2)
  classifier.0 Flatten
  classifier.1 Linear(144, 32)
  classifier.2 ReLU(inplace=True)
  classifier.3 Residual: x + fc(relu(fc(x))) / 2, so
  classifier.3.fc Linear(32, 32), called twice per forward
  classifier.4 Dropout(0.0)
  classifier.5 Linear(32, 10, bias=False)

--steps training steps (default 3: forward, cross-entropy, backward, SGD
step), then one forward of the same batch under torch.no_grad().  One
intra-op thread unless --threads; MKL-DNN (oneDNN) off, so every matrix
product is an sgemm the preload library sees.

Output, the same with and without the preload library except `active`:
  loss STEP VALUE          each step's loss, exactly (repr)
  eval VALUE               the sum of the no_grad logits, exactly
  params VALUE             the sum of every parameter after training
  expect LAYER FLOPS CALLS for every region with GEMMs: the analytic FLOPs
                           of its forward and backward products, from the
                           shapes each call saw (test-side forward hooks,
                           not annotate()'s):
      Linear, B rows:  forward 2*B*in*out; backward weight 2*B*in*out,
                       input 2*B*in*out unless the input needs no grad
                       (the first layer); one sgemm each.
      Conv2d, N images, im2col: per image P = 2*OC*(IC*KH*KW)*(OH*OW);
                       forward, backward weight, and backward input unless
                       the input needs no grad, each one sgemm per image
                       (torch 1.13's slow_conv2d).
      Net (h @ proj):  forward, and two backward products, 2*B*10*10 each.
  region LAYER TYPE PATH   the type and the region path (outer/inner, as
                           the report's layer_path shows it) of each
                           expect line's layer
  active 0|1               opcount_torch.active()
  handles N                hooks annotate() installed

--baseline: import, build the model and the data, annotate, and stop.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import opcount_torch  # noqa: E402


class Residual(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(n, n)

    def forward(self, x):
        return x + self.fc(torch.relu(self.fc(x))) * 0.5


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(144, 32), nn.ReLU(inplace=True), Residual(32),
            nn.Dropout(0.0), nn.Linear(32, 10, bias=False))
        self.proj = nn.Parameter(torch.eye(10) + 0.01 * torch.randn(10, 10))

    def forward(self, x):
        return self.classifier(self.features(x)) @ self.proj


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--baseline", action="store_true")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Net()
    x = torch.randn(8, 3, 12, 12)
    target = torch.randint(0, 10, (8,))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)

    want = {}	# layer -> [flops, calls]

    def add(layer, flops, calls):
        w = want.setdefault(layer, [0, 0])
        w[0] += flops
        w[1] += calls

    def account(name):
        def hook(mod, inputs, output):
            inp = inputs[0]
            train = torch.is_grad_enabled() and mod.weight.requires_grad
            passes = 1 + (1 if train else 0) + (1 if train and inp.requires_grad else 0)
            if isinstance(mod, nn.Linear):
                b = inp.numel() // mod.in_features
                add(name, passes * 2 * b * mod.in_features * mod.out_features, passes)
            else:
                n, ic = inp.shape[0], inp.shape[1] // mod.groups
                oc, oh, ow = output.shape[1], output.shape[2], output.shape[3]
                kh, kw = mod.kernel_size
                add(name, passes * n * 2 * oc * ic * kh * kw * oh * ow, passes * n)
        return hook

    for name, m in model.named_modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            m.register_forward_hook(account(name))

    def proj_flops(train):
        b, k = 8, 10
        add("Net", (3 if train else 1) * 2 * b * k * k, 3 if train else 1)

    with torch.backends.mkldnn.flags(enabled=False), opcount_torch.annotate(model) as ann:
        if not args.baseline:
            for step in range(args.steps):
                opt.zero_grad()
                loss = nn.functional.cross_entropy(model(x), target)
                loss.backward()
                opt.step()
                proj_flops(True)
                print("loss %d %r" % (step, loss.item()))
            with torch.no_grad():
                print("eval %r" % model(x).double().sum().item())
            proj_flops(False)
            with torch.no_grad():
                print("params %r" % sum(p.double().sum() for p in model.parameters()).item())
        nhandles = len(ann.handles)
    for layer in sorted(want):
        print("expect %s %d %d" % (layer, want[layer][0], want[layer][1]))
    for layer in sorted(want):
        if layer == "Net":
            print("region Net Net Net")
            continue
        m, path = model, ["Net"]
        for i, part in enumerate(layer.split(".")):
            m = getattr(m, part)
            path.append(".".join(layer.split(".")[:i + 1]))
        print("region %s %s %s" % (layer, type(m).__name__, "/".join(path)))
    print("active %d" % opcount_torch.active())
    print("handles %d" % nhandles)
    return 0


if __name__ == "__main__":
    sys.exit(main())
