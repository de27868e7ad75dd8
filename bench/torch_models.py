#!/usr/bin/python3
"""torch_models.py - three PyTorch models trained at default settings, for
bench/torch_models.sh (issue 12's closing figures).

  torch_models.py profile                 one forward per model under torch.profiler
  torch_models.py count                   one forward per model in a region of its own
  torch_models.py train MODEL [--annotate]  one model's training loop
  torch_models.py loops [--annotate]      the three training loops
  torch_models.py flops PROFILE.txt REPORT.json
  torch_models.py energy REPORT.json LOOP_S WATTS

Models (default PyTorch settings: oneDNN left on, float32, CPU; one
intra-op thread, torch.set_num_threads(1), so that the times are stable):
  cnn          Conv2d(3,16,3,p1), BatchNorm2d, ReLU, MaxPool2d(2),
               Conv2d(16,32,3,p1,s2), BatchNorm2d, ReLU, Conv2d(32,32,1),
               ReLU, AdaptiveAvgPool2d(4), Flatten, Linear(512,64), ReLU,
               Linear(64,10); batch 32 of 3x32x32
  transformer  Linear(16,64) embedding, nn.TransformerEncoder of 2
               nn.TransformerEncoderLayer(64, 4 heads, feed-forward 128,
               batch_first=True), mean over the sequence, Linear(64,10);
               batch 16 of 32 tokens
  lstm         nn.LSTM(32, 64, 2 layers, batch_first=True), Linear(64,10)
               on the last step; batch 16 of 24 steps
Each trained with cross-entropy and SGD (momentum 0.9).  The forward of
`profile` and `count` is the training forward: train mode, autograd on.

profile  prints, per model, `prof MODEL OP COUNT FLOPS` for every op that
         torch.profiler (with_flops=True) gives FLOPs, summed over the
         op's events of one forward (key_averages()).  Run WITHOUT the
         preload library.
count    runs each model's forward inside opcount_torch.region("fwd_MODEL"):
         every intercepted call of the forward has that layer.  Run WITH it.
train    the training loop of one model; --annotate: opcount_torch.annotate
         on the model, the loss, loss.backward() and the optimizer step in
         regions "loss", "backward" and "optimizer", nothing else.  No warm-up: the loop is the whole work of the
         process, the import aside.  Prints `loop MODEL SECONDS`.
loops    each model: 2 warm-up steps, then its steps, timed; prints
         `loop MODEL SECONDS CPU_SECONDS` per model (wall time, and the
         CPU time of the process, all its threads).  --annotate: as train's (the
         annotation is inert without the library).
flops    the FLOPs table (see flops_share below).
energy   the share of LOOP_S x WATTS in the report's named rows.
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))

MODELS = ("cnn", "transformer", "lstm")
# training steps per model: about 0.6 s each on the 2-core development VM
STEPS = {"cnn": 20, "transformer": 60, "lstm": 80}


def build(name):
    """(model, input, target) of MODEL, seeded."""
    import torch
    import torch.nn as nn

    torch.manual_seed(0)
    if name == "cnn":
        model = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1, stride=2), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 32, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(4),
            nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10))
        x = torch.randn(32, 3, 32, 32)
        y = torch.randint(0, 10, (32,))
    elif name == "transformer":
        class Encoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Linear(16, 64)
                layer = nn.TransformerEncoderLayer(64, 4, dim_feedforward=128,
                                                   batch_first=True)
                self.encoder = nn.TransformerEncoder(layer, 2)
                self.head = nn.Linear(64, 10)

            def forward(self, x):
                return self.head(self.encoder(self.embed(x)).mean(dim=1))
        model = Encoder()
        x = torch.randn(16, 32, 16)
        y = torch.randint(0, 10, (16,))
    elif name == "lstm":
        class Recurrent(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(32, 64, num_layers=2, batch_first=True)
                self.head = nn.Linear(64, 10)

            def forward(self, x):
                out, _ = self.lstm(x)
                return self.head(out[:, -1])
        model = Recurrent()
        x = torch.randn(16, 24, 32)
        y = torch.randint(0, 10, (16,))
    else:
        sys.exit("torch_models.py: unknown model %s" % name)
    model.train()
    return model, x, y


def setup():
    import torch
    torch.set_num_threads(1)


def cmd_profile():
    from torch.profiler import profile, ProfilerActivity
    setup()
    for name in MODELS:
        model, x, _ = build(name)
        with profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
            model(x)
        for e in prof.key_averages():
            if e.flops:
                print("prof %s %s %d %d" % (name, e.key, e.count, e.flops))
    return 0


def cmd_count():
    import opcount_torch
    setup()
    if not opcount_torch.active():
        sys.exit("torch_models.py count: run it under LD_PRELOAD=libopcount.so")
    for name in MODELS:
        model, x, _ = build(name)
        with opcount_torch.region("fwd_" + name, type(model).__name__):
            model(x)
    return 0


def step_fn(model, x, y, regions):
    import torch
    import torch.nn as nn
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    if regions:
        import opcount_torch

        def step():
            out = model(x)
            with opcount_torch.region("loss", "CrossEntropyLoss"):
                loss = loss_fn(out, y)
            opt.zero_grad()
            # the autograd engine's own work (the loss's backward, walking
            # a graph of hundreds of nodes before the first module's
            # backward hook) is named, not outside
            with opcount_torch.region("backward", "autograd"):
                loss.backward()
            with opcount_torch.region("optimizer", "SGD"):
                opt.step()
    else:
        def step():
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return step


def cmd_train(name, annotate):
    steps = STEPS[name]
    setup()
    model, x, y = build(name)
    h = None
    if annotate:
        import opcount_torch
        if not opcount_torch.active():
            sys.exit("torch_models.py train --annotate: run it under LD_PRELOAD=libopcount.so")
        h = opcount_torch.annotate(model, name=name)
    step = step_fn(model, x, y, annotate)
    t0 = time.monotonic()
    for _ in range(steps):
        step()
    t1 = time.monotonic()
    if h is not None:
        h.remove()
    print("loop %s %.6f" % (name, t1 - t0))
    return 0


def cmd_loops(annotate):
    setup()
    for name in MODELS:
        model, x, y = build(name)
        h = None
        if annotate:
            import opcount_torch
            h = opcount_torch.annotate(model, name=name)
        step = step_fn(model, x, y, annotate)
        for _ in range(2):
            step()
        c0, t0 = time.process_time(), time.monotonic()
        for _ in range(STEPS[name]):
            step()
        t1, c1 = time.monotonic(), time.process_time()
        if h is not None:
            h.remove()
        print("loop %s %.6f %.6f" % (name, t1 - t0, c1 - c0))
    return 0


# torch.profiler's FLOP formulas in 1.13 (torch/csrc/profiler/util.cpp,
# computeFlops): aten::conv2d (2 x MACs, no bias), aten::mm, aten::addmm,
# aten::bmm, aten::baddbmm (2mnk, no bias or beta term), aten::mul and
# aten::add (one per output element).  Every other op has none: no
# convolution backward, no matmul/linear (their mm/addmm inside are
# counted), no softmax, normalisation, activation, pooling or lstm cell.
# Classes to compare like with like: opcount's rows mapped to the same.
PROF_CLASS = {
    "aten::conv2d": "conv",
    "aten::mm": "matmul", "aten::addmm": "matmul",
    "aten::bmm": "matmul", "aten::baddbmm": "matmul",
    "aten::mul": "elementwise", "aten::add": "elementwise",
    "aten::mul_": "elementwise", "aten::add_": "elementwise",
}


def opc_class(op):
    if op.startswith("dnnl_convolution_forward") or op.startswith("dnnl_deconvolution_forward"):
        return "conv"
    if op in ("dnnl_matmul", "dnnl_inner_product_forward") or \
            op[1:] in ("gemm", "gemv", "gemm_batch", "gemm3m", "ger", "dot") or \
            op[1:].startswith("gemm") or op.startswith("cblas_"):
        return "matmul"
    if op in ("dnnl_binary", "dnnl_sum"):
        return "elementwise"
    return "other"


def flops_share(prof_path, report_path):
    """Per model and class: torch.profiler's FLOPs of one forward, opcount's
    counted FLOPs of the same forward (the non-nested rows of layer
    fwd_MODEL in `opcount report --by key --format json`), and the share of the profiler's FLOPs that opcount also
    counts: sum over classes of min(opcount, profiler) / profiler total."""
    prof = {}
    ops = {}
    for line in open(prof_path):
        w = line.split()
        if not w or w[0] != "prof":
            continue
        m, op, flops = w[1], w[2], int(w[4])
        c = PROF_CLASS.get(op, "other")
        prof.setdefault(m, {}).setdefault(c, 0)
        prof[m][c] += flops
        ops.setdefault(m, []).append("%s %d (%s events)" % (op, flops, w[3]))
    r = json.load(open(report_path))
    opc = {}
    rows = {}
    for row in r["rows"]:
        if row.get("nested") or row.get("other_ops") or row.get("outside"):
            continue
        lay = row.get("layer") or ""
        if not lay.startswith("fwd_"):
            continue
        m = lay[4:]
        c = opc_class(row["op"])
        opc.setdefault(m, {}).setdefault(c, 0)
        opc[m][c] += row["flops"]
        agg = rows.setdefault(m, {}).setdefault(row["op"], [0, 0, False])
        agg[0] += row["flops"]
        agg[1] += row["calls"]
        agg[2] = agg[2] or bool(row.get("flops_unknown"))
    print("FLOPs of one training forward: torch.profiler (its formulas: conv2d, mm, addmm, bmm,")
    print("baddbmm, mul, add) against opcount's counted FLOPs (layer fwd_MODEL, not nested)")
    print("  %-12s %-12s %14s %14s %14s" % ("model", "class", "profiler", "opcount", "min"))
    out = {}
    for m in MODELS:
        p, o = prof.get(m, {}), opc.get(m, {})
        tp = sum(p.values())
        seen = 0
        for c in ("conv", "matmul", "elementwise", "other"):
            if c not in p and c not in o:
                continue
            both = min(p.get(c, 0), o.get(c, 0))
            if c != "other":
                seen += both
            print("  %-12s %-12s %14d %14d %14s" % (m, c, p.get(c, 0), o.get(c, 0),
                                                    "-" if c == "other" else both))
        share = seen / tp if tp else 0
        out[m] = (share, tp, sum(o.values()))
        print("  %-12s %-12s %14d %14d   share %.2f%%" % (m, "total", tp, sum(o.values()),
                                                          100 * share))
        print("    profiler ops: %s" % ", ".join(ops.get(m, [])))
        print("    opcount rows: %s" % ", ".join(
            "%s %d%s (%d calls)" % (op, a[0], " ?" if a[2] else "", a[1])
            for op, a in sorted(rows.get(m, {}).items(), key=lambda kv: -kv[1][0])))
    for m in MODELS:
        print("flops_share %s %.4f %d %d" % (m, out[m][0], out[m][1], out[m][2]))
    return 0


def energy_share(report_path, loop_s, watts):
    r = json.load(open(report_path))
    named = sum(x["energy_j"] or 0 for x in r["rows"]
                if not x.get("outside") and not x.get("nested"))
    other = sum(x["energy_j"] or 0 for x in r["rows"] if x.get("other_ops"))
    outside = sum(x["energy_j"] or 0 for x in r["rows"] if x.get("outside"))
    en = r.get("energy", {})
    cl = en.get("closure", {})
    want = watts * loop_s
    print("energy_share %.4f named_j %.4f other_ops_j %.4f outside_j %.4f loop_j %.4f "
          "total_j %.4f worst_residual %s" % (named / want, named, other, outside, want,
                                              en.get("total_j", 0), cl.get("worst_residual")))
    return 0


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__.strip())
    cmd = argv[1]
    if cmd == "profile":
        return cmd_profile()
    if cmd == "count":
        return cmd_count()
    if cmd == "train" and len(argv) >= 3 and argv[2] in MODELS and \
            argv[3:] in ([], ["--annotate"]):
        return cmd_train(argv[2], len(argv) > 3)
    if cmd == "loops" and argv[2:] in ([], ["--annotate"]):
        return cmd_loops(len(argv) > 2)
    if cmd == "flops" and len(argv) == 4:
        return flops_share(argv[2], argv[3])
    if cmd == "energy" and len(argv) == 5:
        return energy_share(argv[2], float(argv[3]), float(argv[4]))
    sys.exit(__doc__.strip())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
