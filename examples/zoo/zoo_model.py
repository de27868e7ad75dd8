#!/usr/bin/python3
"""zoo_model.py - train one small architecture of the zoo for a few steps,
its modules labelled for opcount (opcount_torch.annotate).

    /usr/bin/python3 examples/zoo/zoo_model.py --arch mlp-d3-w128 --steps 20

--arch FAMILY-PARAMS, FAMILY one of:
  mlp-dD-wW       D Linear layers of width W, ReLU between (input 256)
  cnn-cC-kK       two Conv2d(C channels, KxK) + MaxPool, then a Linear (3x32x32)
  tfm-dD-hH       a TransformerEncoder of D layers, d_model H, 4 heads (seq 32)
  lstm-hH         one LSTM layer of H units on a sequence of 32, then a Linear
  gru-hH          the same with a GRU
  res-wW          a small ResNet (3x32x32): a stem Conv2d(W) + BatchNorm2d,
                  a basic block of W channels, one downsampling to 2W
                  (torchvision's BasicBlock), pooling, a Linear
  mbv2-wW         torchvision's MobileNetV2 with width_mult W/100 (3x32x32):
                  inverted residuals, 1x1 and depthwise convolutions
  tv-NAME         torchvision.models.NAME(num_classes=10) on 3x32x32, as it
                  is (resnet18, mobilenet_v2, efficientnet_b0, ...): the
                  real models examples/zoo/real_models.sh predicts
The architecture's name is the annotation's root name, so each trace says
which architecture it is (opcount fit --group arch, docs/coeffs.md).
Only a final line goes to stdout; one intra-op thread; otherwise PyTorch's
defaults: the convolutions run in oneDNN (the preload library counts its
rows, and `opcount predict --arch` lowers a conv2d to them by default), the
linear, attention and RNN GEMMs in the BLAS.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import opcount_torch  # noqa: E402


class RNNHead(nn.Module):
    def __init__(self, cell, h):
        super().__init__()
        self.rnn = cell(64, h, batch_first=True)
        self.head = nn.Linear(h, 10)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def tv_model(name):
    import torchvision
    return getattr(torchvision.models, name)(num_classes=10)


def tv_model_resnet18():
    return tv_model("resnet18")


def tv_model_mobilenet_v2():
    return tv_model("mobilenet_v2")


def tv_model_efficientnet_b0():
    return tv_model("efficientnet_b0")


def build(arch):
    if arch.startswith("tv-"):
        return tv_model(arch[3:]), (3, 32, 32)
    fam, *ps = arch.split("-")
    p = {q[0]: int(q[1:]) for q in ps}
    if fam == "mlp":
        layers, w = [], 256
        for i in range(p["d"]):
            layers += [nn.Linear(w, p["w"]), nn.ReLU()]
            w = p["w"]
        layers.append(nn.Linear(w, 10))
        return nn.Sequential(*layers), (256,)
    if fam == "cnn":
        c, k = p["c"], p["k"]
        return nn.Sequential(
            nn.Conv2d(3, c, k, padding=k // 2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c, 2 * c, k, padding=k // 2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(2 * c * 8 * 8, 10)), (3, 32, 32)
    if fam == "res":
        from torchvision.models.resnet import BasicBlock, conv1x1
        w = p["w"]
        down = nn.Sequential(conv1x1(w, 2 * w, 2), nn.BatchNorm2d(2 * w))
        return nn.Sequential(
            nn.Conv2d(3, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
            BasicBlock(w, w), BasicBlock(w, 2 * w, 2, down), nn.AdaptiveAvgPool2d(1),
            nn.Flatten(), nn.Linear(2 * w, 10)), (3, 32, 32)
    if fam == "mbv2":
        import torchvision
        return torchvision.models.MobileNetV2(num_classes=10,
                                              width_mult=p["w"] / 100), (3, 32, 32)
    if fam == "tfm":
        h = p["h"]
        layer = nn.TransformerEncoderLayer(h, 4, dim_feedforward=2 * h, dropout=0.0,
                                           batch_first=True)
        enc = nn.TransformerEncoder(layer, p["d"], enable_nested_tensor=False)
        return nn.Sequential(enc, nn.Flatten(), nn.Linear(32 * h, 10)), (32, h)
    if fam == "lstm":
        return RNNHead(nn.LSTM, p["h"]), (32, 64)
    if fam == "gru":
        return RNNHead(nn.GRU, p["h"]), (32, 64)
    raise SystemExit("zoo_model.py: unknown architecture %r" % arch)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model, shape = build(a.arch)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(a.batch, *shape)
    y = torch.randint(0, 10, (a.batch,))
    with opcount_torch.annotate(model, a.arch):
        for _ in range(a.steps):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
    print("%s: %d steps, loss %.3f" % (a.arch, a.steps, loss.item()))


if __name__ == "__main__":
    main()
