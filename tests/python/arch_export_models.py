"""arch_export_models.py - factories for tests/integration/arch_export.sh:
`python3 -m opcount_torch arch tests/python/arch_export_models.py:FACTORY`.

The families of arch_lowering.py (each a submodule of its Zoo, exported
with --prefix FAMILY so that the names are the Zoo's qualified names), and
modules that must be refused."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import arch_lowering  # noqa: E402


def _zoo():
    return arch_lowering.build()[0]


def enc():
    return _zoo().enc


def cenc():
    """The Zoo passes the causal mask to cenc: so does this wrapper, whose
    child is named cenc (export without --prefix)."""
    nn = _nn()

    class Causal(nn.Module):
        def __init__(self):
            super().__init__()
            self.cenc = _zoo().cenc

        def forward(self, x):
            return self.cenc(x, nn.Transformer.generate_square_subsequent_mask(x.shape[0]))

    return Causal()


def tiny():
    return _zoo().tiny


def lstm():
    return _zoo().lstm


def gru():
    return _zoo().gru


def mlp():
    return _zoo().mlp


def ln():
    return _zoo().ln


def cnn():
    return _zoo().cnn


def emb():
    return _zoo().emb


def _nn():
    import torch.nn as nn
    return nn


def custom():
    """A module of its own with its own forward and parameters, inside a
    Sequential: refused, naming its class."""
    import torch
    nn = _nn()

    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(8))

        def forward(self, x):
            return x * self.w

    return nn.Sequential(nn.Linear(4, 8), Scale(), nn.Linear(8, 2))


def functional():
    """Known children, but a functional op between them: refused."""
    import torch.nn.functional as F
    nn = _nn()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 8)
            self.b = nn.Linear(8, 2)

        def forward(self, x):
            return self.b(F.relu(self.a(x)))

    return Net()


def skip():
    """x + f(x) written by hand: a residual it cannot see, refused."""
    nn = _nn()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(8, 8)

        def forward(self, x):
            return x + self.a(x)

    return Net()


def unknown():
    """Two nn classes it does not map (Conv1d, Hardswish) among known ones."""
    nn = _nn()
    return nn.Sequential(nn.Conv1d(3, 4, 3), nn.Hardswish(), nn.Flatten(), nn.Linear(32, 2))


def pools():
    """A CNN with the other activations and poolings: MaxPool2d, AvgPool2d
    with its own stride, Tanh, Sigmoid, Softmax over the last dimension."""
    nn = _nn()
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Tanh(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 4, (3, 2), stride=(1, 2)), nn.Sigmoid(),
                         nn.AvgPool2d(2, stride=1), nn.Flatten(), nn.Linear(4, 3),
                         nn.Softmax(dim=-1))


def prenorm():
    """nn.TransformerEncoder of pre-norm layers, batch_first, an
    activation module, a final LayerNorm; a Linear head."""
    nn = _nn()
    lay = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.1, activation=nn.GELU(),
                                     norm_first=True, batch_first=True)
    return nn.Sequential(nn.TransformerEncoder(lay, 2, norm=nn.LayerNorm(16),
                                               enable_nested_tensor=False),
                         nn.Linear(16, 3))


def inplace():
    """An in-place op between two modules (the same tensor, a new
    version), and a ReLU(inplace=True) module, which is fine."""
    nn = _nn()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 8)
            self.r = nn.ReLU(inplace=True)
            self.b = nn.Linear(8, 2)

        def forward(self, x):
            y = self.r(self.a(x))
            y.mul_(2)
            return self.b(y)

    return Net()


def noflat():
    """A Linear straight after a convolution: torch applies it to the last
    dimension, version 2 wants a Flatten first."""
    nn = _nn()
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.Linear(6, 2))
