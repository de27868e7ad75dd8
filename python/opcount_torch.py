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
"""
import ctypes
import itertools
import threading

__all__ = ["active", "annotate", "region", "Annotation"]

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
                          type(m).__name__.encode("utf-8", "replace"), m is model)

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
    its class name) and its class name as the type.  Returns an Annotation:
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
