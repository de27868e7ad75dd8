"""opcount_torch - PyTorch modules as opcount layer regions.

    import sys; sys.path.insert(0, "path/to/opcount/python")
    import opcount_torch

    model = Net()
    with opcount_torch.annotate(model):     # or h = annotate(model) ... h.remove()
        loss = loss_fn(model(x), y)
        loss.backward()

Run under LD_PRELOAD=libopcount.so and `opcount report --by layer` shows
one row per module, named by its qualified name in model.named_modules()
("features.0", "classifier.1"; the model itself by its class name unless
annotate(model, name=...) says otherwise) with its class name as the type
("Conv2d", "Linear").  The forward AND the backward pass of every module
are labelled: the weight- and input-gradient GEMMs of a Linear layer count
for that layer, not for whatever ran last.

Without the preload library (active() is False) annotate() installs
nothing at all and returns an inert handle: the model runs exactly as
before, at no cost.  The module needs nothing but ctypes and torch (1.13,
the Debian package, or newer), and looks the library up with
ctypes.CDLL(None): the symbols opcount_api_layer_push(name, type) and
opcount_api_layer_pop() of include/opcount.h.

Design
------
The library keeps a stack of regions per thread (push/pop); the innermost
region is the layer of every BLAS call the thread makes, and a thread that
never pushed (an intra-op worker) takes the region most recently entered
by any thread.  This module keeps, per thread, an exact mirror of what it
has pushed, so that it can always pop what it pushed and nothing else.

Forward: a forward pre-hook pushes the module's region, a forward hook pops
it.  Modules nest, so while a Conv2d inside a Sequential runs, the stack is
model / features / features.0 and the innermost region, the one the GEMMs
count for, is the leaf layer.  A forward that raises leaves its regions
pushed; they are popped at the next forward of the same model (or when the
enclosing module's forward hook runs).

Backward: nothing is added to the autograd graph.  Two kinds of tensor
hooks (Tensor.register_hook, i.e. pre-hooks of the tensor's grad_fn node)
mark the module's backward:
  - "begin": on each output of the module (in the forward hook).  It fires
    just before the node that produced the output runs in the backward:
    the first step of the module's backward.  It pushes the region.
  - "end": on each input that has a grad_fn (in the forward pre-hook).  It
    fires just before the node that produced the input runs: the module's
    own backward is over by then.  It pops the region.
Inputs that do not require grad (the first layer's images) have no
producer, and the end of a module's backward is then found by order: the
autograd engine runs the nodes of one thread's graph in decreasing order
of creation (its ready queue is ordered by sequence number, and every node
was created after the nodes it feeds gradients to), so the backward is the
mirror of the forward.  Each module call gets a forward start and end
stamp from one counter; every backward event at mirror position p (a
"begin" at the call's end stamp, an "end" at its start stamp) closes every
open backward region whose call started after p, since those calls'
backward lies entirely before p in the mirror.  What is still open when
the backward finishes is closed by a callback queued on the engine
(Variable._execution_engine.queue_callback, which 1.13 has), so every
backward ends with the thread's stack as it began.  Open regions are kept
sorted by start stamp, so nesting in the backward is the forward's
(model / features / features.0), whatever order the hooks fired in.

This never changes a value, a gradient or the graph (hooks return None),
and it is exact for the usual cases: sequential stacks, residual blocks,
branches, modules called several times, several forwards before one
backward, retain_graph and a second backward (call states are per
backward), checkpointing (a reentrant backward inside a backward).  The
first layer (input without grad) stays open after its weight gradient
until the next "begin" of an earlier module or the end of the backward,
when nothing but gradient accumulation runs.

Why hooks and not identity autograd Functions around each module's inputs
and outputs (which would close a region exactly where the module's
backward ends): a Function's output is a new tensor aliasing the old one,
and an in-place op on it (ReLU(inplace=True) on a wrapped input, anything
in place on a wrapped view) is either refused by autograd (a view returned
by a custom Function) or leaves the original tensor's autograd history
behind while its data changes, i.e. wrong gradients.  Hooks cannot do that.
The price, known approximations:
  - A module whose input has a producer ends only when that producer runs,
    so work that the parent's forward created between the producer and the
    module, and that nothing else separates from it (a functional matmul
    on the same input, say), counts for the module rather than the parent.
  - A module that modifies its input in place (ReLU(inplace=True)) and
    returns it: its tensor's hooks live on the node from before the
    in-place op (PyTorch 1.13 behaviour), so its own backward (the ReLU
    mask, no BLAS) runs in the region of the module after it.
  - Inputs passed by keyword get no "end" hook (forward pre-hooks see
    positional arguments only); the order rule closes the region instead.
  - Regions pushed by a backward that raised are popped at the next
    forward of the annotated model.
  - Modules added to the model after annotate() are not labelled, nor are
    TorchScript modules (they take no Python hooks): their work counts for
    the region around them.

Cost: with the library, about 10-13 us per module call (forward and
backward together: two ctypes calls, two tensor hooks, a few list
operations) on the 2-core development VM; nothing without it.

region(name, type) labels any other block of code (the optimizer step,
the loss) in the same way as a module's forward.

export_arch(module, input_shape, batch=1, prefix="") returns the version 2
architecture (docs/arch.md, "From a PyTorch model") of a module from one
recorded forward pass, for `opcount predict --arch`; from a shell:
    python3 -m opcount_torch arch FILE.py:FACTORY --input 10,12 --batch 3 -o model.json
"""
import ctypes
import itertools
import threading

__all__ = ["active", "annotate", "region", "Annotation", "export_arch", "ArchExportError"]

_PUSH_SYM = "opcount_api_layer_push"
_POP_SYM = "opcount_api_layer_pop"

_fns = None		# (push, pop) once looked up, or False when absent
_lookup_lock = threading.Lock()


def _lookup():
    global _fns
    if _fns is None:
        with _lookup_lock:
            if _fns is None:
                try:
                    lib = ctypes.CDLL(None)
                    push = getattr(lib, _PUSH_SYM)
                    pop = getattr(lib, _POP_SYM)
                    push.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
                    push.restype = None
                    pop.argtypes = ()
                    pop.restype = None
                    _fns = (push, pop)
                except Exception:	# no library, or no dlopen(NULL) (Windows)
                    _fns = False
    return _fns or None


def active():
    """True when the opcount preload library is loaded in this process."""
    return _lookup() is not None


def _set_backend(push, pop):
    """Tests: use push(name_bytes, type_bytes) and pop() instead of the
    library (None, None: look the library up again)."""
    global _fns
    _fns = (push, pop) if push is not None else None


_UNSET, _OPEN, _CLOSED = 0, 1, 2
_stamp = itertools.count(1)


class _Call(object):
    """One call of one module: its label, forward stamps, backward state."""
    __slots__ = ("name", "type", "owner", "mod", "start", "end", "bgen", "bstate")

    def __init__(self, name, type_, owner, mod):
        self.name = name
        self.type = type_
        self.owner = owner	# the Annotation, or the region()
        self.mod = mod		# id() of the module, for the forward hook
        self.start = next(_stamp)
        self.end = 0
        self.bgen = -1		# backward generation bstate belongs to
        self.bstate = _UNSET


class _Thread(object):
    """What this module has pushed on one thread."""

    def __init__(self):
        # what this module has pushed on this thread, outermost first:
        # (is_backward, call)
        self.stack = []
        self.gen = 0		# backward passes finished on this thread
        self.cb_queued = False	# an end-of-backward callback is queued
        self.reset = False	# that callback ran on another thread


_local = threading.local()


def _st():
    try:
        return _local.st
    except AttributeError:
        st = _local.st = _Thread()
        return st


def _push(call):
    fns = _fns
    if fns:
        fns[0](call.name, call.type)


def _pop():
    fns = _fns
    if fns:
        fns[1]()


# ---------------------------------------------------------------- backward

def _engine():
    try:
        import torch
        return torch.autograd.Variable._execution_engine
    except Exception:
        return None


def _noop():
    pass


def _in_backward():
    """True inside a backward pass: only then does queue_callback work."""
    eng = _engine()
    if eng is None:
        return False
    try:
        eng.queue_callback(_noop)
        return True
    except Exception:
        return False


def _segment(st):
    """Index of the first entry of the backward regions on top of the stack."""
    stack = st.stack
    i = len(stack)
    while i and stack[i - 1][0]:
        i -= 1
    return i


def _close_segment(st):
    stack = st.stack
    i = _segment(st)
    while len(stack) > i:
        _, c = stack.pop()
        c.bstate = _CLOSED
        _pop()


def _finish(st):
    """End of a backward pass on this thread."""
    st.reset = False
    _close_segment(st)
    st.gen += 1


def _backward_done(st):
    st.cb_queued = False
    if _st() is st:
        _finish(st)
    else:	# finished on another thread: the owner cleans up at its next event
        st.reset = True


def _queue_done(st):
    if st.cb_queued:
        return
    eng = _engine()
    if eng is None:
        return
    try:
        eng.queue_callback(lambda: _backward_done(st))
        st.cb_queued = True
    except Exception:
        pass


def _bw_event(call, begin):
    st = _st()
    if st.reset:
        _finish(st)
    gen = st.gen
    if call.bgen != gen:
        call.bgen = gen
        call.bstate = _UNSET
    if begin:
        if call.bstate != _UNSET:
            return
        _queue_done(st)
        call.bstate = _OPEN
        p = call.end
    else:
        if call.bstate == _CLOSED:
            return
        call.bstate = _CLOSED
        p = call.start
    # keep the open regions of calls that started before p, sorted by start
    stack = st.stack
    i = _segment(st)
    seg = [c for _, c in stack[i:]]
    keep = []
    for c in seg:
        if c.bstate == _OPEN and c.bgen == gen and c.start < p:
            keep.append(c)
        else:
            c.bstate = _CLOSED
    if begin:
        keep.append(call)
        keep.sort(key=lambda c: c.start)
    n = 0
    while n < len(seg) and n < len(keep) and seg[n] is keep[n]:
        n += 1
    while len(stack) > i + n:
        stack.pop()
        _pop()
    for c in keep[n:]:
        _push(c)
        stack.append((True, c))


def _hook_begin(call):
    def hook(grad):
        _bw_event(call, True)
    return hook


def _hook_end(call):
    def hook(grad):
        _bw_event(call, False)
    return hook


def _tensors(obj, out, depth=0):
    """The tensors in obj (a tensor, or tuples, lists, dicts of them)."""
    if isinstance(obj, _Tensor):
        out.append(obj)
    elif depth < 4:
        if isinstance(obj, (tuple, list)):
            for o in obj:
                _tensors(o, out, depth + 1)
        elif isinstance(obj, dict):
            for o in obj.values():
                _tensors(o, out, depth + 1)
    return out


def _hook_tensors(obj, make):
    """Register make() on every tensor in obj that has a grad_fn."""
    hook = None
    for t in _tensors(obj, []):
        if t.requires_grad and t.grad_fn is not None:
            if hook is None:
                hook = make()
            t.register_hook(hook)


_Tensor = None		# torch.Tensor, set by annotate()
_grad_enabled = None	# torch.is_grad_enabled


# ----------------------------------------------------------------- forward

def _enter(name, type_, owner, mod):
    call = _Call(name, type_, owner, mod)
    _push(call)
    _st().stack.append((False, call))
    return call


def _leave(owner, mod):
    """Pop the innermost forward region of (owner, mod) and what is above
    it.  Returns its call, or None."""
    stack = _st().stack
    for i in range(len(stack) - 1, -1, -1):
        bw, c = stack[i]
        if not bw and c.mod == mod and c.owner is owner:
            break
    else:
        return None
    while len(stack) > i:
        bw, x = stack.pop()
        if bw:
            x.bstate = _CLOSED
        _pop()
    return c


def _recover(st, owner):
    """At the start of the model's forward: drop what a forward or backward
    that raised left pushed."""
    stack = st.stack
    for i, (bw, c) in enumerate(stack):
        if not bw and c.owner is owner:
            while len(stack) > i:
                bw, x = stack.pop()
                if bw:
                    x.bstate = _CLOSED
                _pop()
            break
    if st.cb_queued and not _in_backward():
        st.cb_queued = False
        _finish(st)


# torch 1.13 has no nn.RMSNorm: LLaMA's LlamaRMSNorm and T5's T5LayerNorm
# are modules of their own, one scale and no submodule.  They are labelled
# (and exported) as the version 2 "rmsnorm" layer's type, so that a trace
# and a prediction name them alike.
_RMSNORM_CLASSES = ("RMSNorm", "LlamaRMSNorm", "T5LayerNorm")


def _is_rmsnorm(m):
    if type(m).__name__ not in _RMSNORM_CLASSES or any(True for _ in m.children()):
        return False
    params = list(m.named_parameters(recurse=False))
    return len(params) == 1 and params[0][0] == "weight" and params[0][1].dim() == 1


def _layer_type(m):
    """A module's layer type: its class name ("Linear"), "RMSNorm" for an
    RMS norm of one's own."""
    return "RMSNorm" if _is_rmsnorm(m) else type(m).__name__


class Annotation(object):
    """What annotate() returns: .remove() takes the hooks off again; as a
    context manager it removes them on exit.  .active tells whether hooks
    were installed, .handles holds them."""

    def __init__(self, model, name=None):
        self.handles = []
        self.active = False
        if not active():
            return
        global _Tensor, _grad_enabled
        import torch
        _Tensor = torch.Tensor
        _grad_enabled = torch.is_grad_enabled
        self.active = True
        root_label = name if name is not None else type(model).__name__
        for qual, m in model.named_modules():
            label = qual if qual else root_label
            self._install(m, label.encode("utf-8", "replace"),
                          _layer_type(m).encode("utf-8", "replace"), m is model)

    def _install(self, m, name, type_, is_root):
        owner = self

        def pre(module, inputs):
            st = _st()
            if st.reset:
                _finish(st)
            if is_root and (st.stack or st.cb_queued):
                _recover(st, owner)
            call = _enter(name, type_, owner, id(module))
            if _grad_enabled():
                _hook_tensors(inputs, lambda: _hook_end(call))

        def post(module, inputs, output):
            call = _leave(owner, id(module))
            if call is None:
                return
            call.end = next(_stamp)
            if _grad_enabled():
                _hook_tensors(output, lambda: _hook_begin(call))

        try:
            h = m.register_forward_pre_hook(pre)
        except RuntimeError:	# a ScriptModule: its forward runs no Python hooks
            return
        self.handles.append(h)
        self.handles.append(m.register_forward_hook(post))

    def remove(self):
        for h in self.handles:
            h.remove()
        self.handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


def annotate(model, name=None):
    """Label the forward and backward pass of every module of model as an
    opcount layer region: its qualified name (the model itself: name, or
    its class name) and its class name as the type (LlamaRMSNorm and
    T5LayerNorm: RMSNorm).  Returns an Annotation:
    call .remove(), or use it in a with statement.  Without the preload
    library it installs nothing."""
    return Annotation(model, name)


class region(object):
    """with region("optimizer", "SGD"): ... - one region around a block,
    on this thread.  A no-op without the library."""

    def __init__(self, name, type_=""):
        self.name = name.encode("utf-8", "replace")
        self.type = type_.encode("utf-8", "replace")
        self.on = active()

    def __enter__(self):
        if self.on:
            _enter(self.name, self.type, self, 0)
        return self

    def __exit__(self, *exc):
        if self.on:
            _leave(self, 0)
        return False


# ---------------------------------------------------------------------------
# export_arch: the version 2 architecture file of a module (docs/arch.md)
# ---------------------------------------------------------------------------
#
# One forward pass on a small batch records every module call (its
# arguments, keyword arguments included, and its output) as a tree; the
# tree is then mapped to version 2 layers.  The structure is never guessed:
#   - a known leaf (Linear, Conv2d, ...) becomes one layer, its fields from
#     the module's attributes;
#   - nn.Sequential chains its children;
#   - nn.TransformerEncoder(Layer) is written as the docs' repeat/residual
#     blocks, from its attributes and the mask its attention was called with;
#   - any other module is accepted only if its forward is a plain chain of
#     its children: each child called once, its input the very tensor the
#     previous child returned (identity, not equality), the module's output
#     the last child's.  A functional op in between (F.relu, x + y, a view)
#     makes a new tensor and breaks the chain: an error, never a skip.
# Errors are collected (class and qualified name of each) and raised
# together as ArchExportError; nothing is written then.

class ArchExportError(Exception):
    """export_arch() could not express the module; .errors lists why."""

    def __init__(self, errors):
        self.errors = list(errors)
        Exception.__init__(self, "\n".join(self.errors))


class _ArchCall(object):
    __slots__ = ("mod", "qual", "args", "kwargs", "out", "children", "in_ver", "out_ver")

    def __init__(self, mod, qual, args, kwargs):
        self.mod, self.qual, self.args, self.kwargs = mod, qual, args, kwargs
        self.out = None
        self.children = []
        # the version counters of the input at entry and of the output at
        # return: an in-place op between two modules keeps the tensor but
        # bumps its version
        self.in_ver = _version(args[0]) if args else None
        self.out_ver = None


def _version(t):
    return getattr(t, "_version", None)


def _record(model, x, extra=()):
    """Run model(x, *extra) once, wrapping every module's forward to record the
    call tree (forward hooks of torch 1.13 do not see keyword arguments,
    and the attention mask is one)."""
    root = _ArchCall(None, None, (), {})
    stack = [root]
    patched = []

    def wrap(m, qual):
        orig = m.forward

        def forward(*args, **kwargs):
            call = _ArchCall(m, qual, args, kwargs)
            stack[-1].children.append(call)
            stack.append(call)
            try:
                call.out = orig(*args, **kwargs)
                call.out_ver = _version(_first(call.out))
            finally:
                stack.pop()
            return call.out
        had = "forward" in m.__dict__
        patched.append((m, had, m.__dict__.get("forward")))
        m.forward = forward

    for qual, m in model.named_modules():
        wrap(m, qual)
    try:
        model(x, *extra)
    finally:
        for m, had, old in patched:
            if had:
                m.forward = old
            else:
                del m.forward
    return root.children[0]


def _first(t):
    """The tensor a module hands on: LSTM, GRU, MultiheadAttention return
    (output, state) and the model takes [0]."""
    if isinstance(t, tuple) and t:
        return t[0]
    return t


def _pair(v):
    if isinstance(v, (tuple, list)):
        return v[0] if len(v) == 2 and v[0] == v[1] else list(v)
    return v


class _Exporter(object):
    def __init__(self, prefix, memory=None, value=None):
        import torch
        self.torch = torch
        self.nn = torch.nn
        self.F = torch.nn.functional
        self.prefix = prefix
        self.errors = []
        # the model's second (and third) input: what a cross-attention's key
        # (and value) must be, the very tensors
        self.memory, self.value = memory, value
        self.emitted = set()	# ids of the modules whose layers are out

    def name(self, qual):
        if not self.prefix:
            return qual
        return self.prefix + "." + qual if qual else self.prefix

    def err(self, call, why):
        # the model itself by its class name, as annotate() labels it
        self.errors.append("%s (%s): %s" % (self.name(call.qual) or type(call.mod).__name__,
                                            type(call.mod).__name__, why))

    # -- leaves -----------------------------------------------------------
    def leaf(self, call):
        """The layer dict of a known leaf, None if its class is not one,
        or False after an error."""
        nn, m = self.nn, call.mod
        t = type(m)
        L = {}
        if t is nn.Linear:
            L = {"type": "dense", "units": m.out_features}
            if m.bias is None:
                L["bias"] = False
        elif t is nn.Conv2d:
            pad = m.padding
            if isinstance(pad, str):
                if pad == "valid":
                    pad = (0, 0)
                else:	# "same": stride 1; odd total padding is asymmetric
                    tot = [d * (k - 1) for d, k in zip(m.dilation, m.kernel_size)]
                    if any(p % 2 for p in tot):
                        return self.err(call, "padding='same' with an even kernel is asymmetric, "
                                        "not expressible") or False
                    pad = tuple(p // 2 for p in tot)
            L = {"type": "conv2d", "filters": m.out_channels, "kernel": _pair(m.kernel_size)}
            if tuple(m.stride) != (1, 1):
                L["stride"] = _pair(m.stride)
            if tuple(pad) != (0, 0):
                L["padding"] = _pair(pad)
            if tuple(m.dilation) != (1, 1):
                L["dilation"] = _pair(m.dilation)
            if m.groups != 1:
                L["groups"] = m.groups
            if m.bias is None:
                L["bias"] = False
            if m.padding_mode != "zeros":
                return self.err(call, "padding_mode %r: only zeros padding is expressible"
                                % m.padding_mode) or False
        elif t in (nn.ReLU, nn.GELU, nn.SiLU, nn.Tanh, nn.Sigmoid, nn.Identity, nn.ReLU6,
                   nn.Hardswish, nn.Hardsigmoid):
            if t is nn.GELU and getattr(m, "approximate", "none") != "none":
                return self.err(call, "GELU(approximate=%r): only the exact GELU"
                                % m.approximate) or False
            L = {"type": "activation", "function": {
                nn.ReLU: "relu", nn.GELU: "gelu", nn.SiLU: "silu", nn.Tanh: "tanh",
                nn.Sigmoid: "sigmoid", nn.Identity: "identity", nn.ReLU6: "relu6",
                nn.Hardswish: "hardswish", nn.Hardsigmoid: "hardsigmoid"}[t]}
        elif t.__name__ == "StochasticDepth" and t.__module__.startswith("torchvision."):
            # torchvision.ops.StochasticDepth: drops a residual branch at
            # random in training, nothing at inference: no GEMM, as dropout
            L = {"type": "dropout"}
            if m.p:
                L["p"] = m.p
        elif t is nn.Softmax:
            x = call.args[0] if call.args else None
            if m.dim is None or (x is not None and m.dim not in (-1, x.dim() - 1)):
                return self.err(call, "Softmax(dim=%r): only over the last dimension" % m.dim) or False
            L = {"type": "activation", "function": "softmax"}
        elif t in (nn.MaxPool2d, nn.AvgPool2d):
            if t is nn.MaxPool2d and _pair(m.dilation) != 1:
                return self.err(call, "dilation: not expressible") or False
            L = {"type": "maxpool" if t is nn.MaxPool2d else "avgpool",
                 "size": _pair(m.kernel_size)}
            if _pair(m.stride) != _pair(m.kernel_size):
                L["stride"] = _pair(m.stride)
            if _pair(m.padding) != 0:	# a ResNet's stem: 3x3, stride 2, padding 1
                L["padding"] = _pair(m.padding)
            if m.ceil_mode:	# SqueezeNet's, GoogLeNet's
                L["ceil_mode"] = True
        elif t in (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d):
            if t is nn.AdaptiveMaxPool2d and m.return_indices:
                return self.err(call, "return_indices: not expressible") or False
            size = _pair(m.output_size)
            if size is None or (isinstance(size, list) and None in size):
                return self.err(call, "output_size with None: not expressible") or False
            L = {"type": "adaptive_avgpool" if t is nn.AdaptiveAvgPool2d else "adaptive_maxpool",
                 "size": size}
        elif t is nn.Flatten:
            if m.start_dim != 1 or m.end_dim != -1:
                return self.err(call, "Flatten(start_dim=%d, end_dim=%d): only the whole sample "
                                "(1, -1)" % (m.start_dim, m.end_dim)) or False
            L = {"type": "flatten"}
        elif t is nn.LayerNorm:
            if len(m.normalized_shape) != 1 or not m.elementwise_affine:
                return self.err(call, "only a LayerNorm of the last dimension with its scale "
                                "and shift is expressible") or False
            L = {"type": "layernorm"}
        elif t in (nn.BatchNorm2d, nn.BatchNorm1d):
            if not m.affine:
                return self.err(call, "affine=False: not expressible") or False
            L = {"type": "batchnorm"}
        elif t is nn.Dropout:
            L = {"type": "dropout"}
            if m.p:	# p = 0 (the encoder's dropout=0.0) is written as no p
                L["p"] = m.p
        elif t is nn.Embedding:
            L = {"type": "embedding", "vocab": m.num_embeddings, "dim": m.embedding_dim}
        elif t is nn.MultiheadAttention:
            return self.attention(call)
        elif t in (nn.LSTM, nn.GRU):
            if getattr(m, "proj_size", 0):
                return self.err(call, "proj_size: not expressible") or False
            L = {"type": "lstm" if t is nn.LSTM else "gru", "hidden": m.hidden_size}
            if m.num_layers != 1:
                L["num_layers"] = m.num_layers
            if m.bidirectional:
                L["bidirectional"] = True
            if not m.bias:
                L["bias"] = False
        elif type(m).__name__ in _RMSNORM_CLASSES:
            x = call.args[0] if call.args else None
            if not _is_rmsnorm(m) or (getattr(x, "dim", None) is not None and
                                      m.weight.shape[0] != x.shape[-1]):
                return self.err(call, "an RMS norm is expressible with one weight of the last "
                                "dimension and no submodules only") or False
            L = {"type": "rmsnorm"}
        else:
            return None
        if L["type"] in ("dense", "layernorm", "rmsnorm"):
            # torch applies them to the last dimension of any tensor;
            # version 2 to [in] or [S, in] samples only
            x = call.args[0] if call.args else None
            if getattr(x, "dim", None) is not None and x.dim() > 3:
                return self.err(call, "its input is %s (a sample of %d dimensions): version 2 "
                                "applies %s to [in] or [sequence, in]; put an nn.Flatten before "
                                "it" % ("x".join(map(str, x.shape)), x.dim() - 1, L["type"])) or False
        # the model itself: its class name, as annotate() names it
        L["name"] = self.name(call.qual) or type(m).__name__
        return self.order(L)

    def order(self, L):
        """type, name, then the fields: the order the docs write them."""
        out = {"type": L.pop("type")}
        if "name" in L:
            out["name"] = L.pop("name")
        out.update(L)
        return out

    def causal(self, call, mask):
        """True for the causal mask (nn.Transformer.generate_square_
        subsequent_mask, or its boolean form), False for none, None (after
        an error) for any other mask."""
        torch = self.torch
        if mask is None:
            return False
        if mask.dim() == 2 and mask.shape[0] == mask.shape[1]:
            n = mask.shape[0]
            upper = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
            if mask.dtype == torch.bool and torch.equal(mask, upper):
                return True
            if mask.is_floating_point():
                want = torch.zeros(n, n, dtype=mask.dtype).masked_fill(upper, float("-inf"))
                if torch.equal(mask, want):
                    return True
        self.err(call, "an attention mask that is not the causal one: not expressible")
        return None

    def attention(self, call, rel=None):
        m = call.mod
        # forward(query, key, value, key_padding_mask, need_weights, attn_mask)
        a = list(call.args) + [None] * 6
        q, k, v = a[0], call.kwargs.get("key", a[1]), call.kwargs.get("value", a[2])
        if not (q is k and k is v):
            return self.cross_attention(call, rel)
        bad = False
        if not m._qkv_same_embed_dim or m.bias_k is not None or m.add_zero_attn:
            self.err(call, "kdim/vdim, add_bias_kv or add_zero_attn: not expressible")
            bad = True
        if call.kwargs.get("key_padding_mask", a[3]) is not None:
            self.err(call, "a key_padding_mask: not expressible")
            bad = True
        mask = call.kwargs.get("attn_mask", a[5])
        causal = self.causal(call, mask)
        if bad or causal is None:
            return False
        L = {"type": "attention", "name": rel if rel is not None else self.name(call.qual),
             "heads": m.num_heads}
        if causal:
            L["causal"] = True
        if m.in_proj_bias is None:
            L["bias"] = False
        return L

    def cross_attention(self, call, rel=None):
        """query != key: its key the model's memory input (--memory), its
        value the memory too or the model's value input (--value)."""
        m = call.mod
        a = list(call.args) + [None] * 6
        q, k, v = a[0], call.kwargs.get("key", a[1]), call.kwargs.get("value", a[2])
        bad = False
        if k is None or k is not self.memory or (v is not k and v is not self.value):
            self.err(call, "cross-attention whose key is not the model's memory input (and "
                     "value the memory or the value input, the very tensors): not expressible")
            bad = True
        if q is k:
            self.err(call, "query and key the same tensor, the value another: not expressible")
            bad = True
        if m.bias_k is not None or m.add_zero_attn:
            self.err(call, "add_bias_kv or add_zero_attn: not expressible")
            bad = True
        if call.kwargs.get("key_padding_mask", a[3]) is not None:
            self.err(call, "a key_padding_mask: not expressible")
            bad = True
        if call.kwargs.get("attn_mask", a[5]) is not None:
            self.err(call, "a mask on cross-attention (memory_mask): not expressible")
            bad = True
        if bad:
            return False

        def sample(t):	# one sample's [S_kv, E]: the batch dimension dropped
            return [int(t.shape[1 if m.batch_first else 0]), int(t.shape[-1])]
        L = {"type": "attention", "name": rel if rel is not None else self.name(call.qual),
             "heads": m.num_heads, "memory": sample(k)}
        if v is not k:
            L["value"] = sample(v)
        if k.requires_grad or v.requires_grad:
            L["memory_grad"] = True
        if m.in_proj_bias is None:
            L["bias"] = False
        return L

    # -- containers -------------------------------------------------------
    def encoder_layer(self, call):
        """nn.TransformerEncoderLayer as the docs write it: names relative
        to the layer (the caller prefixes or repeats them)."""
        m = call.mod
        sa = [c for c in call.children if c.mod is m.self_attn]
        if len(sa) != 1:
            self.err(call, "its self_attn ran %d times (the fused fast path?): not expressible"
                     % len(sa))
            return None
        att = self.attention(sa[0], rel="self_attn")
        if att is False:
            return None
        sa_block = [att, self.dropout(m, "dropout1")]
        ff_block = self.feed_forward(call, "dropout2")
        if ff_block is None:
            return None
        for n in ("norm1", "norm2"):
            if not getattr(m, n).elementwise_affine:
                self.err(call, "%s without elementwise_affine: not expressible" % n)
                return None
        n1, n2 = {"type": "layernorm", "name": "norm1"}, {"type": "layernorm", "name": "norm2"}
        if m.norm_first:
            return [{"type": "residual", "layers": [n1] + sa_block},
                    {"type": "residual", "layers": [n2] + ff_block}]
        return [{"type": "residual", "layers": sa_block}, n1,
                {"type": "residual", "layers": ff_block}, n2]

    def dropout(self, m, name):
        d = {"type": "dropout", "name": name}
        if getattr(m, name).p:
            d["p"] = getattr(m, name).p
        return d

    def feed_forward(self, call, last):
        """An encoder or decoder layer's linear1, activation, dropout,
        linear2 and its last dropout (dropout2, dropout3); None after an
        error."""
        F, nn, m = self.F, self.nn, call.mod
        if m.activation is F.relu or type(m.activation) is nn.ReLU:
            fn = "relu"
        elif m.activation is F.gelu or type(m.activation) is nn.GELU:
            fn = "gelu"
        else:
            self.err(call, "activation %r: only relu and gelu" % (m.activation,))
            return None
        act = {"type": "activation", "function": fn}
        if isinstance(m.activation, nn.Module):
            act = {"type": "activation", "name": "activation", "function": fn}
        ff = [{"type": "dense", "name": "linear1", "units": m.linear1.out_features},
              act, self.dropout(m, "dropout"),
              {"type": "dense", "name": "linear2", "units": m.linear2.out_features},
              self.dropout(m, last)]
        for lin in (ff[0], ff[3]):
            if getattr(m, lin["name"]).bias is None:
                lin["bias"] = False
        return ff

    def decoder_layer(self, call):
        """nn.TransformerDecoderLayer: residual [self_attn, dropout1], norm1,
        residual [multihead_attn over the memory, dropout2], norm2,
        residual [linear1, activation, dropout, linear2, dropout3], norm3
        (each norm first inside its residual with norm_first=True)."""
        m = call.mod
        sa = [c for c in call.children if c.mod is m.self_attn]
        ca = [c for c in call.children if c.mod is m.multihead_attn]
        if len(sa) != 1 or len(ca) != 1:
            self.err(call, "its self_attn and multihead_attn did not each run once: not "
                     "expressible")
            return None
        att = self.attention(sa[0], rel="self_attn")
        if att is not False and "memory" in att:
            self.err(call, "its self_attn is not a self-attention: not expressible")
            att = False
        cross = self.attention(ca[0], rel="multihead_attn")
        if att is False or cross is False:
            return None
        if "memory" not in cross:	# the memory is the target itself
            self.err(call, "its multihead_attn did not attend over the memory input "
                     "(--memory): not expressible")
            return None
        sa_block = [att, self.dropout(m, "dropout1")]
        ca_block = [cross, self.dropout(m, "dropout2")]
        ff_block = self.feed_forward(call, "dropout3")
        if ff_block is None:
            return None
        norms = []
        for n in ("norm1", "norm2", "norm3"):
            if not getattr(m, n).elementwise_affine:
                self.err(call, "%s without elementwise_affine: not expressible" % n)
                return None
            norms.append({"type": "layernorm", "name": n})
        if m.norm_first:
            return [{"type": "residual", "layers": [n] + b}
                    for n, b in zip(norms, (sa_block, ca_block, ff_block))]
        return [{"type": "residual", "layers": sa_block}, norms[0],
                {"type": "residual", "layers": ca_block}, norms[1],
                {"type": "residual", "layers": ff_block}, norms[2]]

    def prefixed(self, layers, pre):
        if not pre:	# the model itself: its children's names are theirs
            return layers
        out = []
        for L in layers:
            L = dict(L)
            if "layers" in L:
                L["layers"] = self.prefixed(L["layers"], pre)
            if "name" in L:
                L["name"] = pre + "." + L["name"]
            out.append(L)
        return out

    def encoder(self, call):
        """nn.TransformerEncoder, and nn.TransformerDecoder alike: a repeat
        of its layers, then its norm."""
        m = call.mod
        dec = type(m) is self.nn.TransformerDecoder
        cls = self.nn.TransformerDecoderLayer if dec else self.nn.TransformerEncoderLayer
        calls = [c for c in call.children if type(c.mod) is cls]
        if len(calls) != len(m.layers) or any(c.mod is not l for c, l in zip(calls, m.layers)):
            self.err(call, "its layers did not each run once in order (the nested-tensor "
                     "fast path?): not expressible")
            return []
        blocks = [self.decoder_layer(c) if dec else self.encoder_layer(c) for c in calls]
        if any(b is None for b in blocks):
            return []
        base = self.name(call.qual) + ".layers" if self.name(call.qual) else "layers"
        if all(b == blocks[0] for b in blocks):
            out = [{"type": "repeat", "name": base, "repeat": len(blocks), "layers": blocks[0]}]
        else:	# layers that differ: each with its full names
            out = []
            for i, b in enumerate(blocks):
                out += self.prefixed(b, "%s.%d" % (base, i))
        if m.norm is not None:
            norm = [c for c in call.children if c.mod is m.norm]
            L = self.leaf(norm[0]) if norm else None
            if not L:
                self.err(call, "its final norm %s: not expressible" % type(m.norm).__name__)
                return []
            out.append(L)
        return out

    def fx_graph(self, m):
        """The torch.fx graph of m's own forward, every submodule a leaf;
        None when fx cannot trace it (control flow on tensors, ...)."""
        try:
            import torch.fx
        except ImportError:
            return None

        class Leaves(torch.fx.Tracer):
            def is_leaf_module(self, mod, qual):
                return True
        try:
            return Leaves().trace(m)
        except Exception:
            return None

    def fx_layers(self, call, g):
        try:
            return _FxExporter(self, call, g).export()
        except _FxError as e:
            self.err(call, str(e))
            return []

    def once(self, call, layers):
        """A module called again: without parameters (a ReLU a block uses
        twice, as torchvision's BasicBlock does) its layers again, unnamed
        (the names would repeat); with parameters an error (shared
        weights are not expressible)."""
        if id(call.mod) not in self.emitted:
            self.emitted.add(id(call.mod))
            return layers
        if any(True for _ in call.mod.parameters()):
            self.err(call, "called twice (a shared module): not expressible")
            return []
        return [{k: v for k, v in L.items() if k != "name"} for L in layers]

    def walk(self, call, x, xver):
        """Layers of call, whose input must be the tensor x at version
        xver; returns (layers, the tensor it hands on, its version)."""
        nn, m = self.nn, call.mod
        out = _first(call.out)
        arg = call.args[0] if call.args else None
        if arg is not x:
            self.err(call, "its input is not the output of the module before it "
                     "(a functional op or a second input in between): not expressible")
        elif call.in_ver != xver:
            self.err(call, "its input was modified in place after the module before it "
                     "(x.add_(...), ...): not expressible")
        res = self.walk1(call, x, xver, out)
        return res, out, call.out_ver

    def walk1(self, call, x, xver, out):
        nn, m = self.nn, call.mod
        t = type(m)
        L = self.leaf(call)
        if L is not None:
            return [L] if L else []
        if t is nn.TransformerEncoderLayer:
            b = self.encoder_layer(call)
            return self.prefixed(b, self.name(call.qual)) if b else []
        if t is nn.TransformerDecoderLayer:
            b = self.decoder_layer(call)
            return self.prefixed(b, self.name(call.qual)) if b else []
        if t in (nn.TransformerEncoder, nn.TransformerDecoder):
            return self.encoder(call)
        if t is not nn.Sequential:
            # a module of its own: its forward, read by torch.fx, or a
            # plain chain of its children
            if not call.children:
                self.err(call, "unknown module class %s (no mapping, no submodules): not "
                         "expressible in version 2" % t.__name__)
                return []
            if any(True for _ in m.parameters(recurse=False)):
                self.err(call, "a %s computes with its own parameters in its forward: not "
                         "expressible" % t.__name__)
                return []
            g = self.fx_graph(m)
            if g is not None:
                return self.fx_layers(call, g)
        layers, cur, ver = [], x, xver
        for c in call.children:
            ls, cur, ver = self.walk(c, cur, ver)
            layers += self.once(c, ls)
        if cur is not out or ver != call.out_ver:
            self.err(call, "its output is not the output of its last module (a functional "
                     "or in-place op after it?): not expressible")
        return layers


class _FxError(Exception):
    pass


# what a forward may do between its modules, read from its torch.fx graph
_FX_ACTIVATIONS = {"relu": "relu", "relu_": "relu", "gelu": "gelu", "silu": "silu",
                   "silu_": "silu", "sigmoid": "sigmoid", "sigmoid_": "sigmoid", "tanh": "tanh",
                   "relu6": "relu6", "hardswish": "hardswish", "hardsigmoid": "hardsigmoid"}
_FX_ADD = {"add", "add_", "iadd", "__add__", "__iadd__"}
_FX_MUL = {"mul", "mul_", "imul", "__mul__", "__imul__"}


def _fx_name(n):
    """The function or method a call_function/call_method node calls."""
    t = n.target
    return t if isinstance(t, str) else getattr(t, "__name__", str(t))


class _FxModule(object):
    """A module's place in the layers built back to front: expanded once
    they are complete, in the order the forward runs them (so that a ReLU
    used twice keeps its name the first time)."""
    __slots__ = ("call",)

    def __init__(self, call):
        self.call = call


class _FxExporter(object):
    """Layers of a module's own forward from its torch.fx graph, every
    submodule a leaf: the modules in a chain, residual adds (x + f(x),
    f(x) + g(x)), functional activations, flatten and view(size(0), -1)."""

    def __init__(self, ex, call, graph):
        import torch.fx
        self.fx = torch.fx
        self.ex, self.call, self.m = ex, call, call.mod
        self.nodes = list(graph.nodes)
        self.calls = {}		# call_module node -> its recorded _ArchCall
        self.used = set()
        self.visited = set()	# the nodes of the data path
        rec = {}
        for c in call.children:
            rec.setdefault(id(c.mod), []).append(c)
        seen = {}
        for n in self.nodes:
            if n.op != "call_module":
                continue
            mod = self.m.get_submodule(n.target)
            k = seen.get(id(mod), 0)
            seen[id(mod)] = k + 1
            cs = rec.get(id(mod), [])
            if k >= len(cs):
                raise _FxError("its forward calls %s more often than it ran (control flow "
                               "that depends on the data?)" % n.target)
            self.calls[n] = cs[k]
        self.run = sum(len(v) for v in rec.values())

    def node(self, a):
        return a if isinstance(a, self.fx.Node) else None

    def kind(self, n):
        if n.op == "placeholder":
            return "input"
        if n.op == "call_module":
            return "module"
        if n.op not in ("call_function", "call_method"):
            return None
        name = _fx_name(n)
        args = list(n.args)
        if name == "getitem" and len(args) == 2 and args[1] == 0 and \
                self.node(args[0]) is not None and args[0].op == "call_module" and \
                args[0] in self.calls and isinstance(self.calls[args[0]].out, tuple):
            # LSTM, GRU, MultiheadAttention: (output, state)[0]; not a
            # tensor's first sample
            return "first"
        if name in _FX_ACTIVATIONS and len(args) == 1 and set(n.kwargs) <= {"inplace"}:
            return "act"
        if name == "flatten" and args[1:] + [n.kwargs.get(k) for k in ("start_dim", "end_dim")
                                             if k in n.kwargs] in ([1], [1, -1]):
            return "flatten"
        if name == "adaptive_avg_pool2d" and len(args) == 2 and not n.kwargs and \
                args[1] in (1, (1, 1), [1, 1]):
            return "gap"	# F.adaptive_avg_pool2d(x, (1, 1))
        if name == "mean" and n.op == "call_method" and \
                [tuple(a) if isinstance(a, (list, tuple)) else a
                 for a in args[1:] + [n.kwargs.get("dim")] if a is not None] in \
                ([(2, 3)], [(-2, -1)]) and set(n.kwargs) <= {"dim", "keepdim"}:
            # x.mean([2, 3]): global average pooling (ShuffleNet)
            return "gapk" if n.kwargs.get("keepdim") else "gapf"
        if name in ("view", "reshape") and len(args) == 3 and args[2] == -1:
            s = self.node(args[1])
            if s is not None and _fx_name(s) == "size" and list(s.args) == [args[0], 0]:
                return "flatten"
        if name in _FX_ADD and len(args) == 2 and not n.kwargs and \
                self.node(args[0]) is not None and self.node(args[1]) is not None:
            return "add"
        if name in _FX_MUL and len(args) == 2 and not n.kwargs and \
                self.node(args[0]) is not None and self.node(args[1]) is not None:
            return "mul"	# x * g(x): a squeeze-and-excitation's gate
        if name in ("cat", "concat") and n.op == "call_function" and args and \
                isinstance(args[0], (list, tuple)) and len(args[0]) >= 2 and \
                all(self.node(a) is not None for a in args[0]) and \
                (args[1] if len(args) > 1 else n.kwargs.get("dim", 0)) == 1 and \
                set(n.kwargs) <= {"dim"}:
            return "cat"	# torch.cat([b1(x), b2(x), ...], 1): Inception, Fire
        return None

    def describe(self, n):
        if n.op in ("call_function", "call_method"):
            return "%s %s" % ("the function" if n.op == "call_function" else "the method",
                              _fx_name(n))
        return "%s %s" % (n.op, n.target)

    def pred(self, n):
        """The tensor node n computes from (an add: where its paths fork)."""
        k = self.kind(n)
        if k in ("add", "mul"):
            return self.fork(n.args[0], n.args[1])
        if k == "cat":
            return self.fork_all(n.args[0])
        if k in ("module", "first", "act", "flatten", "gap", "gapk", "gapf"):
            a = self.node(n.args[0]) if n.args else None
            if a is None:
                raise _FxError("%s takes no tensor from the graph" % self.describe(n))
            return a
        if k == "input":
            return None
        raise _FxError("%s in its forward: not expressible" % self.describe(n))

    def chain(self, n):
        out = []
        while n is not None:
            out.append(n)
            n = self.pred(n)
        return out

    def fork(self, p, q):
        back = set(self.chain(p))
        for n in self.chain(q):
            if n in back:
                return n
        raise _FxError("an add of two tensors of different inputs: not expressible")

    def fork_all(self, nodes):
        f = nodes[0]
        for q in nodes[1:]:
            f = self.fork(f, q)
        return f

    def layers(self, n, start):
        """The layers that compute n from start."""
        out = []
        while n is not start:
            self.visited.add(n)
            if n is None or n.op == "placeholder":
                raise _FxError("a module's input is not the data (a second input of the "
                               "forward): not expressible")
            k = self.kind(n)
            if k == "module":
                self.used.add(n)
                out = [_FxModule(self.calls[n])] + out
            elif k == "act":
                out = [{"type": "activation", "function": _FX_ACTIVATIONS[_fx_name(n)]}] + out
            elif k == "flatten":
                out = [{"type": "flatten"}] + out
            elif k in ("gap", "gapk"):
                out = [{"type": "adaptive_avgpool", "size": 1}] + out
            elif k == "gapf":
                out = [{"type": "adaptive_avgpool", "size": 1}, {"type": "flatten"}] + out
            elif k == "cat":
                f = self.fork_all(n.args[0])
                branches = [self.layers(b, f) for b in n.args[0]]
                self.visited.add(f)
                if not all(branches):
                    raise _FxError("torch.cat of the input itself with other branches: not "
                                   "expressible")
                out = [{"type": "concat", "branches": branches}] + out
                n = f
                continue
            elif k == "mul":
                f = self.fork(n.args[0], n.args[1])
                a, b = self.layers(n.args[0], f), self.layers(n.args[1], f)
                self.visited.add(f)
                if a and b or not (a or b):
                    raise _FxError("a product of two computed tensors: not expressible (a "
                                   "gate is x * g(x))")
                out = [{"type": "gate", "layers": a or b}] + out
                n = f
                continue
            elif k == "add":
                f = self.fork(n.args[0], n.args[1])
                main, short = self.layers(n.args[0], f), self.layers(n.args[1], f)
                self.visited.add(f)
                if not main:
                    main, short = short, main
                if not main:
                    raise _FxError("x + x: not expressible")
                block = {"type": "residual", "layers": main}
                if short:
                    block["shortcut"] = short
                out = [block] + out
                n = f
                continue
            n = self.pred(n)
        return out

    def expand(self, layers):
        out = []
        for L in layers:
            if isinstance(L, _FxModule):
                c = L.call
                x = c.args[0] if c.args else None
                out += self.ex.once(c, self.ex.walk1(c, x, c.in_ver, _first(c.out)))
                continue
            for k in ("layers", "shortcut"):
                if k in L:
                    L[k] = self.expand(L[k])
            if "branches" in L:
                L["branches"] = [self.expand(b) for b in L["branches"]]
            out.append(L)
        return out

    def export(self):
        outs = [n for n in self.nodes if n.op == "output"]
        ph = [n for n in self.nodes if n.op == "placeholder"]
        res = outs[0].args[0] if outs else None
        if self.node(res) is None:
            raise _FxError("it returns %s, not one tensor: not expressible" % type(res).__name__)
        layers = self.layers(res, ph[0] if ph else None)
        # what else the forward computes may only feed a module's other
        # arguments (a mask, a memory) or be a tuple's unused part; an op
        # off the data path (y.mul_(2) between two modules) is not
        # expressible
        side, todo = set(), []
        for n in self.visited:
            if n.op == "call_module":
                todo += [a for a in n.all_input_nodes if a is not (n.args[0] if n.args else None)]
        while todo:
            a = todo.pop()
            if a not in side and a not in self.visited:
                side.add(a)
                todo += a.all_input_nodes
        for n in self.nodes:
            if n in self.visited or n in side or n.op in ("placeholder", "output", "get_attr"):
                continue
            if _fx_name(n) == "getitem" and not n.users and self.node(n.args[0]) in self.visited:
                continue	# out, _ = self.rnn(x): the state, unused
            if n.op == "call_module":
                continue	# named below
            raise _FxError("%s in its forward, off the path from input to output: not "
                           "expressible" % self.describe(n))
        layers = self.expand(layers)
        unused = [n.target for n in self.calls if n not in self.used]
        if unused:
            raise _FxError("its submodule(s) %s run but do not lead to its output: not "
                           "expressible" % ", ".join(unused))
        if len(self.calls) != self.run:
            raise _FxError("its submodules ran %d times, its forward's graph calls them %d "
                           "times: not expressible" % (self.run, len(self.calls)))
        return layers


def _input_tensor(model, shape, batch, extra=()):
    """A batch for one forward pass, in the layout the model reads:
    sequences [S, B, F] unless its attention/RNN modules are batch_first;
    token ids (integers below the smallest vocabulary) for an Embedding.
    With extra (the shapes of a memory and a value, [S_kv, E]): the
    tensors (x, memory, value) in the same layout, drawn after x."""
    import torch
    nn = torch.nn
    bf = set()
    vocab = None
    for m in model.modules():
        if type(m) in (nn.MultiheadAttention, nn.LSTM, nn.GRU):
            bf.add(bool(m.batch_first))
        if type(m) is nn.Embedding:
            vocab = m.num_embeddings if vocab is None else min(vocab, m.num_embeddings)
    if len(bf) > 1:
        raise ArchExportError(["the model mixes batch_first=True and False modules: "
                               "no one input layout fits"])
    seq = len(shape) == (1 if vocab is not None else 2)
    if seq and bf == {False}:
        dims = [shape[0], batch] + list(shape[1:])
    else:
        dims = [batch] + list(shape)
    torch.manual_seed(0)
    if vocab is not None:
        x = torch.randint(0, vocab, dims)
    else:
        x = torch.randn(*dims)
    if not extra:
        return x
    # a memory is a sequence: [S_kv, B, E] unless batch_first, as x
    return [x] + [torch.randn(*([e[0], batch, e[1]] if bf == {False} else [batch] + list(e)))
                  for e in extra]


def export_arch(model, input_shape, batch=1, prefix="", name=None, memory=None, value=None,
                memory_grad=False):
    """The version 2 architecture (docs/arch.md) of model, a dict for
    json.dump, from one forward pass on a batch of `batch` samples of
    shape input_shape ([features], [channels, height, width], [sequence,
    features], or [sequence] token ids before an Embedding).  Layer names
    are the modules' qualified names, under prefix ("enc": "enc.proj")
    when model is a submodule of the model that runs annotated.  With
    memory ([S_kv, E], one sample's), the forward is model(x, memory) (and
    model(x, memory, value) with value [S_kv, E_v]): an nn.TransformerDecoder
    (Layer)'s memory, the key (and value) of its cross-attentions;
    memory_grad: the memory requires grad (an encoder's output).  Raises
    ArchExportError listing every module it cannot express (class and
    name), ValueError for a bad shape or batch."""
    import torch
    shape = list(input_shape)
    if not shape or len(shape) > 3 or any(type(d) is not int or d < 1 for d in shape):
        raise ValueError("input shape %r: 1 to 3 positive integers expected ([features], "
                         "[sequence, features], [channels, height, width])" % (input_shape,))
    extra = []
    for what, e in (("memory", memory), ("value", value)):
        if e is None:
            continue
        e = list(e)
        if len(e) != 2 or any(type(d) is not int or d < 1 for d in e):
            raise ValueError("%s shape %r: [sequence, features], 2 positive integers expected"
                             % (what, e))
        extra.append(e)
    if value is not None and memory is None:
        raise ValueError("a value shape without a memory shape")
    if extra and extra[-1][0] != extra[0][0]:
        raise ValueError("value shape %r: its sequence is not the memory's %d"
                         % (extra[-1], extra[0][0]))
    if type(batch) is not int or batch < 1:
        raise ValueError("batch %r: a positive integer expected" % (batch,))
    # float32 (sgemm) or float64 (dgemm): the file's dtype, and the batch's
    dtypes = set(p.dtype for p in model.parameters() if p.is_floating_point())
    if len(dtypes) > 1 or (dtypes and dtypes.pop() not in (torch.float32, torch.float64)):
        raise ArchExportError(["parameters of dtype %s: only all float32 or all float64" %
                               ", ".join(sorted(set(str(p.dtype) for p in model.parameters())))])
    double = any(p.dtype == torch.float64 for p in model.parameters())
    xs = _input_tensor(model, shape, batch, extra)
    if not extra:
        xs = [xs]
    if double:
        xs = [t.double() if t.is_floating_point() else t for t in xs]
    for t in xs[1:]:
        t.requires_grad_(bool(memory_grad))
    x = xs[0]
    # each module's own mode, given back as it was (a frozen BatchNorm in
    # eval() inside a model in train() stays so)
    modes = [(m, m.training) for m in model.modules()]
    # eval(): BatchNorm keeps its statistics; grad on: no fused fast path
    # (TransformerEncoderLayer, nested tensors), every submodule runs
    model.eval()
    try:
        with torch.enable_grad():
            try:
                root = _record(model, x, xs[1:])
            except Exception as e:
                raise ArchExportError(["the forward pass on input %s failed: %s: %s" % (
                    ", ".join("x".join(map(str, t.shape)) for t in xs), type(e).__name__, e)])
    finally:
        for m, mode in modes:
            m.training = mode
    ex = _Exporter(prefix, *(xs[1:] + [None, None])[:2])
    layers, _, _ = ex.walk(root, x, root.in_ver)
    if ex.errors:
        raise ArchExportError(ex.errors)
    if not layers:
        raise ArchExportError(["no layer found"])
    arch = {"opcount_arch": 2, "name": name if name is not None else (prefix or type(model).__name__),
            "input": shape, "batch": batch}
    if double:
        arch["dtype"] = "float64"
    arch["layers"] = layers
    return arch


def _parse_shape(s, opt="--input"):
    parts = s.replace("x", ",").strip("[] ").split(",")
    try:
        dims = [int(p) for p in parts]
    except ValueError:
        raise ValueError("%s %r: a shape such as 20, 10,12 or 4,8,8 expected" % (opt, s))
    return dims


def _main(argv=None):
    import argparse
    import importlib.util
    import json
    import os
    import sys
    ap = argparse.ArgumentParser(
        prog="python3 -m opcount_torch",
        description="arch: write the version 2 architecture file (docs/arch.md) of a "
                    "torch.nn.Module, from one forward pass")
    sub = ap.add_subparsers(dest="cmd")
    a = sub.add_parser("arch", help="export the architecture of FILE:FACTORY")
    a.add_argument("module", metavar="MODULE_FILE:FACTORY",
                   help="a Python file and a function in it that returns the nn.Module")
    a.add_argument("--input", required=True, metavar="SHAPE",
                   help="one sample's shape: 20, 10,12 (sequence, features), 4,8,8")
    a.add_argument("--memory", metavar="SHAPE", help="one sample's memory, S_kv,E (9,24): the "
                   "forward is model(x, memory), the key and value of its cross-attentions")
    a.add_argument("--value", metavar="SHAPE", help="one sample's value apart from the memory, "
                   "S_kv,E_v: the forward is model(x, memory, value)")
    a.add_argument("--memory-grad", action="store_true",
                   help="the memory (and value) require grad (an encoder's output that learns)")
    a.add_argument("--batch", type=int, default=1, help="samples per batch (default 1)")
    a.add_argument("--prefix", default="", help="qualified name of the module in the model "
                   "that runs annotated (its layers are named PREFIX.x)")
    a.add_argument("--name", help="the file's name field (default: PREFIX or the class name)")
    a.add_argument("-o", "--output", required=True, help="the JSON file to write ('-': stdout)")
    args = ap.parse_args(argv)
    if args.cmd != "arch":
        ap.print_help(sys.stderr)
        return 2
    me = "opcount_torch arch"
    path, sep, factory = args.module.rpartition(":")
    if not sep or not path or not factory:
        sys.stderr.write("%s: error: %r: MODULE_FILE:FACTORY expected\n" % (me, args.module))
        return 2
    try:
        shape = _parse_shape(args.input)
        mem = _parse_shape(args.memory, "--memory") if args.memory else None
        val = _parse_shape(args.value, "--value") if args.value else None
        if args.memory_grad and mem is None:
            raise ValueError("--memory-grad needs --memory")
        spec = importlib.util.spec_from_file_location(
            os.path.splitext(os.path.basename(path))[0], path)
        if spec is None:
            raise ValueError("%s: not a Python file" % path)
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except OSError:
            raise
        except Exception as e:
            raise ValueError("%s: loading it failed: %s: %s" % (path, type(e).__name__, e))
        fn = getattr(mod, factory, None)
        if not callable(fn):
            raise ValueError("%s: no function %r" % (path, factory))
        try:
            model = fn()
        except Exception as e:
            raise ValueError("%s:%s() failed: %s: %s" % (path, factory, type(e).__name__, e))
        import torch
        if not isinstance(model, torch.nn.Module):
            raise ValueError("%s:%s returned a %s, not a torch.nn.Module"
                             % (path, factory, type(model).__name__))
        arch = export_arch(model, shape, batch=args.batch, prefix=args.prefix, name=args.name,
                           memory=mem, value=val, memory_grad=args.memory_grad)
    except ArchExportError as e:
        for line in e.errors:
            sys.stderr.write("%s: error: %s\n" % (me, line))
        sys.stderr.write("%s: %d error(s), nothing written\n" % (me, len(e.errors)))
        return 1
    except (ValueError, OSError) as e:
        sys.stderr.write("%s: error: %s\n" % (me, e))
        return 2
    text = json.dumps(arch, indent=1) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(_main())
