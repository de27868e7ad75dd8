#!/usr/bin/python3
"""dnnl_torch.py - a PyTorch CNN at default settings, whose convolutions
run in oneDNN, for tests/integration/dnnl_torch.sh.

  dnnl_torch.py [--profile]

Debian's PyTorch runs a float32 CPU convolution as aten::mkldnn_convolution
(oneDNN) unless the convolution is 1x1, unstrided, undilated, on a batch
of fewer than 16 images with one thread (then its own GEMM path): the batch
here is 16, so every convolution of the model is oneDNN's.  Nothing is
switched off or on: torch.backends.mkldnn is left as it is.

The model, with the qualified names opcount_torch.annotate() gives:
  c2.0  Conv2d(3, 16, 3x3, stride 2, padding 1)
  c2.2  Conv2d(16, 16, 5x5, padding 4, dilation 2, groups 4)
  c2.4  Conv2d(16, 32, 1x1)
  c2.6  Conv2d(32, 32, 3x3, padding 1, groups 32, no bias)   depthwise
  c1.0  Conv1d(4, 8, 5, stride 2, padding 2)
  c3.0  Conv3d(2, 4, 3x3x3, padding 1, stride (1, 2, 2))
  fc    Linear(32, 10)                                       (sgemm)
ReLUs between (c2.1, c2.3, c2.5), and the outputs averaged.

One inference forward (torch.no_grad) and one training step (forward,
backward, SGD step).  Expected counts, from the module shapes alone
(forward hooks note each convolution's input and output shapes):
  MACs = N x OC x prod(output spatial) x IC/groups x prod(kernel)
  expect LAYER FWD BWD_DATA BWD_WEIGHTS BIAS
      FLOPs of dnnl_convolution_forward (2 x MACs per forward: two
      forwards), dnnl_convolution_backward_data (2 x MACs, unless the
      layer's input needs no gradient: the first layer of each branch),
      dnnl_convolution_backward_weights (2 x MACs), and dnnl_epilogue
      (the bias adds: one per output element per forward, and the
      diff_bias reduction: one per output gradient element; 0 without bias)
  profiler FLOPS  torch.profiler's (with_flops=True) FLOPs of its
      aten::conv2d events over the whole run (it has a formula for conv2d
      only), to compare with the forward FLOPs of the Conv2d layers
  out VALUE       the inference output's sum and the loss, exactly
--profile: run under torch.profiler (the default); --no-profile: without.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import opcount_torch  # noqa: E402


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c2 = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, 16, 5, padding=4, dilation=2, groups=4), nn.ReLU(),
            nn.Conv2d(16, 32, 1), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False))
        self.c1 = nn.Sequential(nn.Conv1d(4, 8, 5, stride=2, padding=2))
        self.c3 = nn.Sequential(nn.Conv3d(2, 4, 3, padding=1, stride=(1, 2, 2)))
        self.fc = nn.Linear(32, 10)

    def forward(self, x2, x1, x3):
        h = self.c2(x2).mean(dim=(2, 3))
        return self.fc(h) + self.c1(x1).mean() + self.c3(x3).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-profile", action="store_true")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = Net()
    n = 16
    x2 = torch.randn(n, 3, 20, 20)
    x1 = torch.randn(n, 4, 31)
    x3 = torch.randn(n, 2, 5, 8, 8)
    target = torch.randint(0, 10, (n,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    want = {}	# layer -> [fwd, bwd_data, bwd_weights, epilogue]

    def account(name):
        def hook(mod, inputs, output):
            inp = inputs[0]
            k = 1
            for s in mod.kernel_size:
                k *= s
            out_sp = 1
            for s in output.shape[2:]:
                out_sp *= s
            macs = inp.shape[0] * mod.out_channels * out_sp * (mod.in_channels // mod.groups) * k
            w = want.setdefault(name, [0, 0, 0, 0])
            w[0] += 2 * macs
            if mod.bias is not None:
                w[3] += output.numel()
            if torch.is_grad_enabled():
                w[2] += 2 * macs
                if inp.requires_grad:
                    w[1] += 2 * macs
                if mod.bias is not None:
                    w[3] += output.numel()	# diff_bias: a sum over dy
        return hook

    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            m.register_forward_hook(account(name))

    prof = None
    if not args.no_profile:
        from torch.profiler import profile, ProfilerActivity
        prof = profile(activities=[ProfilerActivity.CPU], with_flops=True)
        prof.__enter__()
    with opcount_torch.annotate(model):
        with torch.no_grad():
            print("out infer %r" % model(x2, x1, x3).double().sum().item())
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x2, x1, x3), target)
        loss.backward()
        opt.step()
        print("out loss %r" % loss.item())
    if prof is not None:
        prof.__exit__(None, None, None)
        flops = sum(e.flops or 0 for e in prof.events() if e.name == "aten::conv2d")
        print("profiler %d" % flops)
    print("out params %r" % sum(p.double().sum() for p in model.parameters()).item())
    for layer in sorted(want):
        print("expect %s %s" % (layer, " ".join(str(v) for v in want[layer])))
    print("conv2d %s" % " ".join(sorted(k for k, m in model.named_modules()
                                        if isinstance(m, nn.Conv2d))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
