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


def dec():
    """The Zoo passes the causal tgt_mask to dec: so does this wrapper, whose
    child is named dec (export without --prefix, --memory 9,24)."""
    nn = _nn()

    class Causal(nn.Module):
        def __init__(self):
            super().__init__()
            self.dec = _zoo().dec

        def forward(self, x, memory):
            return self.dec(x, memory, nn.Transformer.generate_square_subsequent_mask(x.shape[0]))

    return Causal()


def xkv():
    return _zoo().xkv


def rms():
    return _zoo().rms


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
    """Known children, F.relu between them in the forward: torch.fx reads it,
    an unnamed activation."""
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


def scaled():
    """Known children, a product with a constant between them: refused."""
    nn = _nn()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 8)
            self.b = nn.Linear(8, 2)

        def forward(self, x):
            return self.b(self.a(x) * 2)

    return Net()


def meanpool():
    """ShuffleNet's head: x.mean([2, 3]) (global average pooling and a
    flatten), then x.flatten(start_dim=1) of a [C] sample, a Linear."""
    nn = _nn()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)
            self.fc = nn.Linear(8, 2)

        def forward(self, x):
            return self.fc(self.conv(x).mean([2, 3]).flatten(start_dim=1))

    return Net()


def twoprod():
    """a(x) * b(x): a product of two computed tensors, refused."""
    nn = _nn()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 4)
            self.b = nn.Linear(4, 4)

        def forward(self, x):
            return self.a(x) * self.b(x)

    return Net()


def firstrow():
    """self.b(self.a(x)[0]): the first sample of a tensor, not a tuple's
    output: refused (not taken for an LSTM's (output, state)[0])."""
    nn = _nn()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 4)
            self.b = nn.Linear(4, 2)

        def forward(self, x):
            return self.b(self.a(x)[0])

    return Net()


def skip():
    """x + f(x) written by hand: a residual block (torch.fx sees the add)."""
    nn = _nn()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(8, 8)

        def forward(self, x):
            return x + self.a(x)

    return Net()


def unknown():
    """Two nn classes it does not map (Conv1d, Mish) among known ones."""
    nn = _nn()
    return nn.Sequential(nn.Conv1d(3, 4, 3), nn.Mish(), nn.Flatten(), nn.Linear(32, 2))


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


def crossproj():
    """Cross-attention whose key is a Linear of the memory, not the memory
    input itself; and a decoder called with a memory_mask: both refused."""
    import torch
    nn = _nn()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.k = nn.Linear(8, 8)
            self.attn = nn.MultiheadAttention(8, 2)
            self.dec = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0)

        def forward(self, x, memory):
            km = self.k(memory)
            y = self.attn(x, km, km, need_weights=False)[0]
            return self.dec(y, memory, memory_mask=torch.zeros(x.shape[0], memory.shape[0]))

    return Net()


def rmsbias():
    """An RMSNorm of one's own with a shift too: not an RMS norm of
    version 2; an LlamaRMSNorm as it is: rmsnorm."""
    import torch
    nn = _nn()

    class RMSNorm(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(n))
            self.bias = nn.Parameter(torch.zeros(n))

        def forward(self, x):
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.weight + self.bias

    return nn.Sequential(RMSNorm(4), nn.Linear(4, 2))


def llama():
    """LLaMA's RMS norm (transformers' LlamaRMSNorm, its variance_epsilon),
    between two Linear."""
    import torch
    nn = _nn()

    class LlamaRMSNorm(nn.Module):
        def __init__(self, n, eps=1e-6):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(n))
            self.variance_epsilon = eps

        def forward(self, x):
            v = x.pow(2).mean(-1, keepdim=True)
            return self.weight * (x * torch.rsqrt(v + self.variance_epsilon))

    return nn.Sequential(nn.Linear(4, 8), LlamaRMSNorm(8), nn.Linear(8, 2))
