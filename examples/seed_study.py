#!/usr/bin/python3
"""seed_study.py OUTDIR - the seed study's findings, checked against our runs.

Reads OUTDIR/runs.tsv and the per-run reports OUTDIR/NAME.json written by
examples/seed_study.sh; prints one table per finding and whether our
measurement agrees.  Standard library only.
"""
import json
import math
import os
import sys


def load(out):
    runs = []
    with open(os.path.join(out, "runs.tsv")) as f:
        for line in f:
            name, exp, cmd = line.rstrip("\n").split("\t", 2)
            with open(os.path.join(out, name + ".json")) as j:
                rep = json.load(j)
            t = rep["totals"]
            runs.append({
                "name": name, "exp": exp, "cmd": cmd,
                "flops": t["flops"], "busy_s": t["busy_s"],
                "energy_j": t["energy_j"] if t["energy_j"] is not None else float("nan"),
                "duration_s": t.get("duration_s", float("nan")),
                "source": rep["energy"]["source"], "measured": rep["energy"]["measured"],
            })
    return runs


def linfit(xs, ys):
    """least squares y = a x + b, and R^2"""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    a = sxy / sxx if sxx else 0.0
    b = my - a * mx
    ss = sum((y - my) ** 2 for y in ys)
    res = sum((y - (a * x + b)) ** 2 for x, y in zip(xs, ys))
    return a, b, (1 - res / ss) if ss else 1.0


def ranks(v):
    order = sorted(range(len(v)), key=lambda i: v[i])
    r = [0.0] * len(v)
    for pos, i in enumerate(order):
        r[i] = pos + 1.0
    return r


def spearman(x, y):
    if len(x) < 3:
        return float("nan")
    rx, ry = ranks(x), ranks(y)
    return linfit(rx, ry)[2] ** 0.5 * (1 if linfit(rx, ry)[0] >= 0 else -1)


def param(cmd, flag, default):
    w = cmd.split()
    return int(w[w.index(flag) + 1]) if flag in w else default


def table(title, head, rows):
    print("\n== " + title)
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(head)]
    print("  ".join(str(h).ljust(w) for h, w in zip(head, widths)))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


def verdict(ok, ours, theirs):
    print("   study: %s\n   ours:  %s\n   agrees? %s" % (theirs, ours, "yes" if ok else "NO"))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "seed-study"
    runs = load(out)
    src = runs[0]["source"]
    measured = all(r["measured"] for r in runs)
    print("seed study reproduction: %d runs, energy source %s%s" % (
        len(runs), src, "" if measured else
        " (ESTIMATED from TDP x CPU utilisation: findings about energy here are "
        "findings about time)"))
    by = lambda e: [r for r in runs if r["exp"] == e]
    fmt = lambda v: "%.4g" % v

    # 1 and 2: linear in data size and in epochs
    for exp, flag, what in (("size", "--samples", "training-set size"),
                            ("epochs", "--epochs", "epochs")):
        rs = by(exp)
        xs = [param(r["cmd"], flag, 0) for r in rs]
        ys = [r["energy_j"] for r in rs]
        a, b, r2 = linfit(xs, ys)
        table("energy vs %s" % what, [what, "GFLOP", "busy_s", "energy_J"],
              [(x, fmt(r["flops"] / 1e9), fmt(r["busy_s"]), fmt(r["energy_j"]))
               for x, r in zip(xs, rs)])
        verdict(r2 > 0.95, "energy = %.4g J x %s + %.3g J, R^2 = %.3f" % (a, what, b, r2),
                "training energy grows linearly with the %s" % what)

    # 3: training vs inference on the same data
    rows, fracs = [], []
    for model in ("mlp", "cnn"):
        i = [r for r in by("infer") if r["name"] == "infer-" + model][0]
        t = [r for r in by("train") if r["name"] == "train-" + model][0]
        frac = 1 - i["energy_j"] / t["energy_j"]
        fracs.append(frac)
        rows.append((model, fmt(i["energy_j"]), fmt(t["energy_j"]),
                     "%.2f" % (t["energy_j"] / i["energy_j"]),
                     "%.2f" % (t["flops"] / i["flops"]), "%.0f%%" % (100 * frac)))
    table("inference vs training, same data", ["model", "infer_J", "train_J", "energy x",
                                               "FLOPs x", "overhead share"], rows)
    verdict(all(f > 0.5 for f in fracs),
            "the training overhead is %s of training energy" %
            " and ".join("%.0f%%" % (100 * f) for f in fracs),
            "the overhead of training over inference approaches ~80% of training energy")

    # 4: depth x width
    rs = by("depth_width")
    rows = []
    for r in rs:
        rows.append((param(r["cmd"], "--layers", 0), param(r["cmd"], "--width", 0),
                     fmt(r["flops"] / 1e9), fmt(r["energy_j"]),
                     fmt(r["energy_j"] / r["flops"] * 1e9) if r["flops"] else "-"))
    table("depth x width", ["layers", "width", "GFLOP", "energy_J", "nJ/FLOP"], rows)
    epf = [r["energy_j"] / r["flops"] for r in rs if r["flops"]]
    spread = max(epf) / min(epf) if epf else float("nan")
    rho = spearman([r["flops"] for r in rs], [r["energy_j"] for r in rs])
    verdict(spread > 1.2,
            "energy per FLOP varies %.2fx across shapes; Spearman(FLOPs, energy) = %.2f" %
            (spread, rho),
            "FLOPs are a poor proxy: energy per FLOP depends on depth and width")

    # 5: deep vs wide at equal parameters
    d = [r for r in runs if r["name"] == "deep"][0]
    w = [r for r in runs if r["name"] == "wide"][0]
    table("deep vs wide, equal trainable parameters (~17.2k)",
          ["net", "GFLOP", "busy_s", "energy_J"],
          [("deep 16x32", fmt(d["flops"] / 1e9), fmt(d["busy_s"]), fmt(d["energy_j"])),
           ("wide 1x400", fmt(w["flops"] / 1e9), fmt(w["busy_s"]), fmt(w["energy_j"]))])
    verdict(d["energy_j"] > w["energy_j"],
            "deep/wide energy = %.2f at a FLOP ratio of %.2f" %
            (d["energy_j"] / w["energy_j"], d["flops"] / w["flops"]),
            "at equal parameters, deeper networks cost more energy than wider ones")

    # 6: convolutional vs dense at equal parameters
    c = [r for r in runs if r["name"] == "conv"][0]
    f = [r for r in runs if r["name"] == "dense"][0]
    table("convolutional vs dense, equal parameters (~1.2k)",
          ["net", "GFLOP", "busy_s", "energy_J"],
          [("conv", fmt(c["flops"] / 1e9), fmt(c["busy_s"]), fmt(c["energy_j"])),
           ("dense", fmt(f["flops"] / 1e9), fmt(f["busy_s"]), fmt(f["energy_j"]))])
    verdict(c["energy_j"] > f["energy_j"],
            "conv/dense energy = %.2f at a FLOP ratio of %.2f" %
            (c["energy_j"] / f["energy_j"], c["flops"] / f["flops"]),
            "at equal parameters, convolutional networks cost more energy than dense ones")


if __name__ == "__main__":
    main()
