#!/usr/bin/python3
"""test_opcount_torch.py - the logic of python/opcount_torch.py, without
the preload library: a fake push/pop backend records each thread's region
stack, and probe layers record the innermost region while their forward
and backward run.

  test_opcount_torch.py            run every case, print "ok NAME" each
  test_opcount_torch.py --absent   run where the library is NOT loaded:
                                   annotate() installs nothing and changes
                                   nothing

Each case checks that
  - every push has its pop on the same thread: the stack is empty after
    every forward and every backward (and never popped below empty);
  - while a probed layer's forward or backward runs, the innermost region
    is that layer (its qualified name);
  - the gradients and outputs are bitwise those of the same model without
    annotate().
Exit status 0 when all hold.
"""
import copy
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import opcount_torch  # noqa: E402

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)


class Fake(object):
    """Per-thread region stacks, like the library's."""

    def __init__(self):
        self.local = threading.local()
        self.errors = []
        self.pushes = 0

    def stack(self):
        try:
            return self.local.s
        except AttributeError:
            self.local.s = []
            return self.local.s

    def push(self, name, type_):
        assert isinstance(name, bytes) and isinstance(type_, bytes)
        self.pushes += 1
        self.stack().append(name.decode())

    def pop(self):
        s = self.stack()
        if not s:
            self.errors.append("pop without push")
        else:
            s.pop()

    def current(self):
        s = self.stack()
        return s[-1] if s else None


fake = Fake()
seen = []	# (tag, phase, region)


class _Probe(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, tag):
        ctx.tag = tag
        seen.append((tag, "fwd", fake.current()))
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        seen.append((ctx.tag, "bwd", fake.current()))
        return g, None


class PLinear(nn.Linear):
    """A Linear that records the region at the start and the end of its
    forward and of its backward (tag = its qualified name)."""
    tag = None

    def forward(self, x):
        x = _Probe.apply(x, self.tag)
        return _Probe.apply(super().forward(x), self.tag)


def tag_model(model):
    for name, m in model.named_modules():
        if isinstance(m, PLinear):
            m.tag = name


def check_probes(case):
    bad = [(t, p, r) for t, p, r in seen if r != t]
    check(not bad, "%s: probes in the wrong region: %s" % (case, bad[:5]))
    check(any(p == "bwd" for _, p, _ in seen) or not torch.is_grad_enabled(),
          "%s: no backward probe ran" % case)
    del seen[:]


def check_balanced(case, when):
    check(fake.stack() == [], "%s: stack after %s is %s" % (case, when, fake.stack()))
    check(not fake.errors, "%s: %s" % (case, fake.errors))
    del fake.errors[:]


class Residual(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = PLinear(n, n)
        self.act = nn.ReLU()

    def forward(self, x):
        # fc called twice (shared weights), a residual add, a functional op
        return x + self.fc(self.act(self.fc(x))) * 0.5


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=True),
                                      nn.MaxPool2d(2), nn.Flatten())
        self.classifier = nn.Sequential(PLinear(64, 16), nn.ReLU(inplace=True), Residual(16),
                                        nn.Dropout(0.0), PLinear(16, 5))

    def forward(self, x):
        return self.classifier(self.features(x))


class TwoBranch(nn.Module):
    """Two inputs that do not require grad, each through its own first
    layer, joined: neither first layer has an input with a producer."""

    def __init__(self):
        super().__init__()
        self.a = PLinear(6, 8)
        self.b = nn.Sequential(PLinear(6, 8), nn.Tanh())
        self.head = PLinear(16, 3)

    def forward(self, x, y):
        return self.head(torch.cat([self.a(x), self.b(y)], 1))


class Boom(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("boom in backward")


def grads(model):
    return [p.grad.clone() for p in model.parameters() if p.grad is not None]


def same(a, b):
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


def step(model, *xs):
    model.zero_grad()
    out = model(*xs)
    check_balanced(CASE, "forward")
    loss = out.float().pow(2).mean()
    loss.backward()
    check_balanced(CASE, "backward")
    return loss.detach(), grads(model)


def compare(make, *xs):
    """Annotated vs plain copy: bitwise equal loss and gradients."""
    torch.manual_seed(1)
    plain = make()
    ann = copy.deepcopy(plain)
    tag_model(ann)
    tag_model(plain)
    l0, g0 = step_plain(plain, *xs)
    with opcount_torch.annotate(ann) as h:
        check(h.active and h.handles, "%s: no hooks installed" % CASE)
        l1, g1 = step(ann, *xs)
        l2, g2 = step(ann, *xs)
    check(torch.equal(l0, l1) and torch.equal(l1, l2), "%s: losses differ" % CASE)
    check(same(g0, g1) and same(g1, g2), "%s: gradients differ" % CASE)
    check_probes(CASE)
    check(not any(m._forward_hooks or m._forward_pre_hooks for m in ann.modules()),
          "%s: hooks left after remove()" % CASE)


def step_plain(model, *xs):
    fake_on = opcount_torch._fns
    opcount_torch._set_backend(lambda n, t: None, lambda: None)
    model.zero_grad()
    loss = model(*xs).float().pow(2).mean()
    loss.backward()
    opcount_torch._fns = fake_on
    del seen[:]
    return loss.detach(), grads(model)


CASE = ""


def case(name):
    global CASE
    CASE = name


def run_all():
    torch.manual_seed(0)
    x = torch.randn(3, 3, 8, 8)

    case("nested")
    compare(Net, x)

    case("two-branch")
    compare(TwoBranch, torch.randn(4, 6), torch.randn(4, 6))

    case("input-requires-grad")
    compare(Net, x.clone().requires_grad_())

    case("no-grad")
    torch.manual_seed(1)
    m = Net()
    tag_model(m)
    with opcount_torch.annotate(m), torch.no_grad():
        m(x)
    check_balanced(CASE, "forward")
    check(all(p == "fwd" and t == r for t, p, r in seen) and seen, "%s: %s" % (CASE, seen))
    del seen[:]

    case("two-forwards-one-backward")
    m = Net()
    tag_model(m)
    with opcount_torch.annotate(m):
        loss = m(x).pow(2).mean() + m(x * 2).pow(2).mean()
        check_balanced(CASE, "forward")
        loss.backward()
        check_balanced(CASE, "backward")
    check_probes(CASE)

    case("retain-graph")
    m = Net()
    tag_model(m)
    with opcount_torch.annotate(m):
        out = m(x)
        out.pow(2).mean().backward(retain_graph=True)
        check_balanced(CASE, "backward 1")
        n1 = sum(1 for s in seen if s[1] == "bwd")
        out.sum().backward()
        check_balanced(CASE, "backward 2")
        n2 = sum(1 for s in seen if s[1] == "bwd")
        check(n1 > 0 and n2 == 2 * n1, "%s: backward probes %d then %d" % (CASE, n1, n2))
    check_probes(CASE)

    case("autograd-grad")
    m = Net()
    tag_model(m)
    with opcount_torch.annotate(m):
        out = m(x)
        torch.autograd.grad(out.sum(), list(m.parameters()))
        check_balanced(CASE, "autograd.grad")
    check_probes(CASE)

    case("exception-in-forward")
    m = Net()
    tag_model(m)
    with opcount_torch.annotate(m):
        try:
            m(torch.randn(2, 5, 8, 8))	# wrong channel count: conv raises
        except RuntimeError:
            pass
        check(fake.stack() != [], "%s: expected leftovers" % CASE)
        step(m, x)	# the next forward recovers
    check_probes(CASE)

    case("exception-in-backward")
    m = Net()
    tag_model(m)
    with opcount_torch.annotate(m):
        out = m(x)
        try:
            Boom.apply(out).sum().backward()
        except RuntimeError:
            pass
        del seen[:]
        step(m, x)
    check_probes(CASE)

    case("checkpoint")
    import torch.utils.checkpoint as cp

    class Ck(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Sequential(PLinear(8, 8), nn.ReLU(), PLinear(8, 8))
            self.out = PLinear(8, 2)

        def forward(self, z):
            return self.out(cp.checkpoint(self.inner, z))
    m = Ck()
    tag_model(m)
    z = torch.randn(4, 8, requires_grad=True)
    with opcount_torch.annotate(m):
        step(m, z)
    check_probes(CASE)

    case("threads")
    models = [Net() for _ in range(3)]
    for mm in models:
        tag_model(mm)
    errs = []

    def work(mm):
        try:
            for _ in range(3):
                mm.zero_grad()
                mm(x).pow(2).mean().backward()
                if fake.stack():
                    errs.append(list(fake.stack()))
        except Exception as e:	# pragma: no cover
            errs.append(repr(e))
    hs = [opcount_torch.annotate(mm) for mm in models]
    ts = [threading.Thread(target=work, args=(mm,)) for mm in models]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for h in hs:
        h.remove()
    check(not errs, "%s: %s" % (CASE, errs[:3]))
    check_balanced(CASE, "threads")
    check_probes(CASE)

    case("region")
    with opcount_torch.region("optimizer", "SGD"):
        check(fake.current() == "optimizer", "%s: region not pushed" % CASE)
    check_balanced(CASE, "region")


def absent():
    """No preload library: annotate installs nothing, changes nothing."""
    check(not opcount_torch.active(), "active() is true without the library")
    torch.manual_seed(1)
    m = Net()
    tag_model(m)
    x = torch.randn(3, 3, 8, 8)
    before = {id(mm): (dict(mm._forward_hooks), dict(mm._forward_pre_hooks),
                       dict(mm._backward_hooks)) for mm in m.modules()}
    h = opcount_torch.annotate(m)
    check(not h.active and h.handles == [], "annotate installed hooks without the library")
    after = {id(mm): (dict(mm._forward_hooks), dict(mm._forward_pre_hooks),
                      dict(mm._backward_hooks)) for mm in m.modules()}
    check(before == after, "annotate changed the modules' hooks")
    ref = copy.deepcopy(m)
    out = m(x)
    check(out.grad_fn is not None and getattr(out, "_backward_hooks", None) is None,
          "the output carries hooks")
    out.pow(2).mean().backward()
    ref(x).pow(2).mean().backward()
    check(same(grads(m), grads(ref)), "gradients differ")
    h.remove()
    with opcount_torch.annotate(m) as h2:
        check(not h2.handles, "context manager installed hooks")
    with opcount_torch.region("x", "y"):
        pass


def main(argv):
    torch.set_num_threads(1)
    if "--absent" in argv:
        absent()
        print("ok absent" if not failures else "FAILED absent")
    else:
        opcount_torch._set_backend(fake.push, fake.pop)
        run_all()
        print("%d pushes" % fake.pushes)
        print("ok logic" if not failures else "FAILED logic")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
