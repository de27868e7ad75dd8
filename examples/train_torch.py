#!/usr/bin/python3
"""train_torch.py - a small PyTorch CNN trained with its layers labelled
for opcount.

    LD_PRELOAD=build/libopcount.so /usr/bin/python3 examples/train_torch.py
    build/opcount report opcount-*.opc --by layer

The task is synthetic: each 3x16x16 image holds a bright blob, on a noisy
background, in one of its four quadrants, and the label is the quadrant.
The network is

    features.0  Conv2d(3, 8, 3x3, padding 1)    features.1 ReLU
    features.2  MaxPool2d(2)
    features.3  Conv2d(8, 16, 3x3, padding 1)   features.4 ReLU
    features.5  MaxPool2d(2)
    classifier.0 Flatten   classifier.1 Linear(256, 32)
    classifier.2 ReLU      classifier.3 Linear(32, 4)

trained with Adam and cross-entropy, then evaluated on 256 new images.  opcount_torch.annotate(model) labels
the forward and the backward of every module, so the report gives each
Conv2d and Linear layer its forward and gradient GEMMs.  MKL-DNN (oneDNN)
is switched off so that the convolutions go to the BLAS (im2col + sgemm)
where the preload library sees them; one intra-op thread by default.

Only the losses and the accuracy go to stdout.  Without the preload library the program
runs the same and prints the same.

Options: --steps N (default 30), --batch N (32), --threads N (1),
--seed N (0).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import opcount_torch  # noqa: E402


def make_data(n, gen):
    """n images 3x16x16 with a blob in a random quadrant; label = quadrant."""
    labels = torch.randint(0, 4, (n,), generator=gen)
    ys = (labels // 2) * 8 + torch.randint(2, 6, (n,), generator=gen)
    xs = (labels % 2) * 8 + torch.randint(2, 6, (n,), generator=gen)
    grid = torch.arange(16, dtype=torch.float32)
    dy = (grid.view(1, 16, 1) - ys.view(n, 1, 1).float()) ** 2
    dx = (grid.view(1, 1, 16) - xs.view(n, 1, 1).float()) ** 2
    blob = torch.exp(-(dy + dx) / 4.0)
    images = blob.unsqueeze(1).repeat(1, 3, 1, 1)
    images = images * (0.5 + torch.rand(n, 3, 1, 1, generator=gen)) + \
        0.6 * torch.randn(n, 3, 16, 16, generator=gen)
    return images, labels


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 4 * 4, 32), nn.ReLU(), nn.Linear(32, 4))

    def forward(self, x):
        return self.classifier(self.features(x))


def main():
    ap = argparse.ArgumentParser(description="Train a small CNN with opcount layer labels.")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    images, labels = make_data(args.steps * args.batch, gen)
    test_x, test_y = make_data(256, gen)

    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()

    with torch.backends.mkldnn.flags(enabled=False), opcount_torch.annotate(model):
        for step in range(args.steps):
            x = images[step * args.batch:(step + 1) * args.batch]
            y = labels[step * args.batch:(step + 1) * args.batch]
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            if step % 5 == 0 or step == args.steps - 1:
                print("step %3d  loss %.4f" % (step, loss.item()), flush=True)
        model.eval()
        with torch.no_grad():
            acc = (model(test_x).argmax(1) == test_y).float().mean().item()
        print("held-out accuracy %.1f%%" % (100 * acc))

    if opcount_torch.active():
        sys.stderr.write("opcount: layers labelled; see `opcount report opcount-%d.opc "
                         "--by layer` (or the OPCOUNT_OUTPUT path)\n" % os.getpid())
    return 0


if __name__ == "__main__":
    sys.exit(main())
