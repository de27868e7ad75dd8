#!/usr/bin/python3
"""torch_regions.py - a PyTorch training loop whose layers are annotated,
for tests/integration/layer_time.sh.

  torch_regions.py STEPS

A small CNN (Conv2d, BatchNorm2d, ReLU, MaxPool2d, Linear; default
settings but one intra-op thread) trained for STEPS steps with SGD.  The
model is annotated with opcount_torch.annotate (every module's forward
and backward), the loss and the optimizer step with opcount_torch.region
("loss", "optimizer"), as a user of the library would.  Nothing else of
the loop is annotated.  Prints

  loop_s S        the wall time of the loop (CLOCK_MONOTONIC)
  loss X          the last loss
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))


def main(argv):
    steps = int(argv[1]) if len(argv) > 1 else 20
    import torch
    import torch.nn as nn
    import opcount_torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1, stride=2), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Flatten(), nn.Linear(32 * 8 * 8, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(32, 3, 32, 32)
    y = torch.randint(0, 10, (32,))
    h = opcount_torch.annotate(model, name="cnn")
    t0 = time.monotonic()
    for _ in range(steps):
        out = model(x)
        with opcount_torch.region("loss", "CrossEntropyLoss"):
            loss = loss_fn(out, y)
        opt.zero_grad()
        loss.backward()
        with opcount_torch.region("optimizer", "SGD"):
            opt.step()
    t1 = time.monotonic()
    h.remove()
    print("loop_s %.6f" % (t1 - t0))
    print("loss %.6f" % loss.item())


if __name__ == "__main__":
    main(sys.argv)
