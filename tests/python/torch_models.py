#!/usr/bin/python3
"""torch_models.py - small PyTorch models for tests/integration/torch.sh.

  torch_models.py MODEL MODE [--profile | --baseline]

MODEL  mlp   nn.Linear 32-64-48-10 with ReLU, batch 16
       cnn   Conv2d(3->8, 3x3, pad 1), ReLU, MaxPool2d(2),
             Conv2d(8->16, 5x5, pad 2), ReLU, MaxPool2d(2), Flatten,
             Linear(144->10); batch 4 of 3x12x12
MODE   train  forward, cross-entropy, backward
       infer  forward only, under torch.no_grad()

One intra-op thread, and MKL-DNN (oneDNN) off, so that every matrix
product goes to the BLAS (sgemm_) where the preload library sees it.

--profile   run the step under torch.profiler.profile(with_flops=True)
            and print the reference: `profiler_flops N`, the sum of
            event.flops over key_averages(), and per op with FLOPs
            `profiler_op NAME COUNT FLOPS`.  Meant for a run WITHOUT the
            preload library.
--baseline  import, build the model and the data, and stop: what the
            preload library counts before the step (NumPy's import calls
            cblas_sdot once).
(neither)   run the step: the run that the preload library counts.

Every mode also prints, from the shapes seen by forward hooks:
  conv_forward_flops N    2 * N * Cout * Hout * Wout * Cin/groups * kh * kw
                          summed over the Conv2d layers (what the profiler
                          counts as aten::conv2d)
  conv_backward_flops N   the GEMMs of convolution backward: one product
                          of the forward's size for the weight gradient,
                          and one more for the input gradient when the
                          layer's input requires grad.  The profiler
                          counts no FLOPs for aten::convolution_backward
                          (torch 1.13); the BLAS does this work.
"""
import sys


def main(argv):
    if len(argv) < 3 or argv[1] not in ("mlp", "cnn") or argv[2] not in ("train", "infer"):
        sys.exit(__doc__.strip())
    flag = argv[3] if len(argv) > 3 else ""
    if flag not in ("", "--profile", "--baseline"):
        sys.exit("torch_models.py: unknown option %s" % flag)

    import torch
    import torch.nn as nn

    torch.set_num_threads(1)
    torch.manual_seed(0)
    if argv[1] == "mlp":
        model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 48), nn.ReLU(),
                              nn.Linear(48, 10))
        x = torch.randn(16, 32)
    else:
        model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(16 * 3 * 3, 10))
        x = torch.randn(4, 3, 12, 12)
    target = torch.randint(0, 10, (x.shape[0],))
    train = argv[2] == "train"

    conv = {"fwd": 0, "bwd": 0}

    def conv_hook(mod, inputs, output):
        inp = inputs[0]
        n, cin = inp.shape[0], inp.shape[1]
        cout, hout, wout = output.shape[1], output.shape[2], output.shape[3]
        kh, kw = mod.kernel_size
        f = 2 * n * cout * hout * wout * (cin // mod.groups) * kh * kw
        conv["fwd"] += f
        if torch.is_grad_enabled():
            if mod.weight.requires_grad:
                conv["bwd"] += f
            if inp.requires_grad:
                conv["bwd"] += f

    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            m.register_forward_hook(conv_hook)

    def step():
        if train:
            out = model(x)
            nn.functional.cross_entropy(out, target).backward()
        else:
            with torch.no_grad():
                model(x)

    with torch.backends.mkldnn.flags(enabled=False):
        if flag == "--baseline":
            pass
        elif flag == "--profile":
            from torch.profiler import ProfilerActivity, profile
            with profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
                step()
            total = 0
            for e in prof.key_averages():
                total += e.flops
                if e.flops:
                    print("profiler_op %s %d %d" % (e.key, e.count, e.flops))
            print("profiler_flops %d" % total)
        else:
            step()
    if flag != "--baseline":
        print("conv_forward_flops %d" % conv["fwd"])
        print("conv_backward_flops %d" % conv["bwd"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
