"""Symbolic tensors: how the Functional API draws a network before any data flows.

Keras's Functional API describes a network by calling layers on placeholders::

    inputs = Input(shape=(28, 28))          # a placeholder: "a batch of 28x28 images"
    x = Flatten()(inputs)                   # a placeholder: "their 784 pixels"
    outputs = Dense(10)(x)
    model = Model(inputs, outputs)

No numbers are computed on these lines. Each placeholder is a :class:`SymbolicTensor`: it
knows its shape and which call of which layer made it. Each call is a :class:`Node`:
the layer, the tensors that went in and the one that came out. Following the nodes back
from ``outputs`` to ``inputs`` gives the model its graph, which it then runs on real
arrays in an order where every layer comes after the layers that feed it.

A layer called twice (a *shared* layer) has two nodes and one set of weights.
"""

import contextlib
import numbers

import numpy as np

from glassnet.engine.shapes import SampleShape, has_open_size
from glassnet.errors import ShapeError


class Node:
    """One call of ``layer`` in a graph: the tensors that went in and the tensor that came out.

    ``training``: True or False when the call was made with ``layer(x, training=...)``,
    else None. As in Keras 3, it counts only when the model runs without a mode of its own,
    ``model(x)``: ``fit`` runs every call in training mode and ``predict`` and ``evaluate``
    in inference, whatever the calls said. (``Dropout(0.5)(x, training=True)`` keeps dropout
    on in ``model(x)``, "Monte Carlo dropout"; a frozen BatchNormalization is in inference
    mode anyway, which is what ``base_model(x, training=False)`` is written for.) It is
    saved with the model and read from Keras files.
    """

    def __init__(self, layer, inputs, training=None):
        self.layer = layer
        self.inputs = list(inputs)   # SymbolicTensors (none for an InputLayer)
        self.outputs = []
        self.training = training
        # The Lambdas whose function made this call (traced into layers), innermost first, and
        # those calls of theirs (``block_calls``: Nodes of the Lambdas themselves, not in the graph)
        self.block_calls = _open_blocks[::-1]
        self.blocks = [call.layer for call in self.block_calls]

    def __repr__(self):
        return f"Node({self.layer!r}, {len(self.inputs)} input(s))"


class SymbolicTensor:
    """A batch of data that will flow through this point of a network: a shape, no values.

    ``shape`` has Keras's ``None`` for the batch axis (or the batch size an ``Input`` was
    given, which flows on to every tensor computed from it, as in Keras); ``sample_shape``
    is one sample's. ``node`` is the layer call that produces it.
    """

    def __init__(self, sample_shape, node, dtype="float32", index=0, batch=None):
        self.sample_shape = SampleShape(sample_shape)     # None for a size left open: any size
        self.batch = batch                # None: any batch size
        self.node = node
        self.index = index                # which of the node's outputs (a layer may give several)
        self.dtype = np.dtype(dtype)
        self._keras_mask = None           # Keras's: the mask this tensor will carry (engine/masking.py)

    @property
    def shape(self):
        return (self.batch,) + self.sample_shape

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def name(self):
        layer = self.node.layer
        return layer.name or type(layer).__name__

    def __repr__(self):
        return f"<SymbolicTensor shape={self.shape}, from layer '{self.name}'>"

    # ``x + y`` between two placeholders is an Add layer, as in Keras; with a number it is
    # a Rescaling layer (``y = x * scale + offset``): ``x / 255`` and ``x * 2 - 1`` too.
    def __add__(self, other):
        return _merge("Add", self, other) if _is_tensor(other) else _affine(self, 1.0, other, "+")

    def __radd__(self, other):
        return _affine(self, 1.0, other, "+")

    def __sub__(self, other):
        return _merge("Subtract", self, other) if _is_tensor(other) else _affine(self, 1.0, -_number(other, "-"), "-")

    def __rsub__(self, other):
        return _affine(self, -1.0, other, "-")

    def __mul__(self, other):
        return _merge("Multiply", self, other) if _is_tensor(other) else _affine(self, other, 0.0, "*")

    def __rmul__(self, other):
        return _affine(self, other, 0.0, "*")

    def __truediv__(self, other):
        number = _number(other, "/")
        if number == 0:
            raise ZeroDivisionError(f"{self!r} / 0")
        return _affine(self, 1.0 / number, 0.0, "/")

    def __neg__(self):
        return _affine(self, -1.0, 0.0, "-")

    def __getitem__(self, index):
        """``x[:, 0]``, ``x[:, -1, :]``: a GetItem step, as in Keras (the batch axis kept whole)."""
        from glassnet.engine.layers.operation import get_item
        return get_item(self, index)

    def __array__(self, *args, **kwargs):
        raise TypeError(
            f"{self!r} is a placeholder in a Functional model and has no values yet; use "
            f"layers on it, then run the model on data: model(x) or model.predict(x)")

    def __bool__(self):
        raise TypeError(f"{self!r} has no value yet, so it can't be True or False (a Python "
                        f"'if' on data can't be part of a Functional model)")


def _is_tensor(value):
    return isinstance(value, SymbolicTensor)


def _number(value, op):
    """``value`` as a float, or a clear TypeError: only numbers combine with a placeholder."""
    if isinstance(value, numbers.Real) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return float(value)
    raise TypeError(f"a placeholder can be combined with `{op}` only with a number or (for +, - "
                    f"and *) another placeholder, not {type(value).__name__}; use a layer "
                    f"(layers.Rescaling, layers.Add, ...)")


def _affine(x, scale, offset, op):
    """``x * scale + offset`` as a Rescaling layer's call."""
    from glassnet.engine.layers.preprocessing import Rescaling
    return Rescaling(_number(scale, op), offset=_number(offset, op))(x)


def _merge(kind, a, b):
    from glassnet.engine.layers import merge
    return getattr(merge, kind)()([a, b])


def is_symbolic(inputs):
    """True when ``inputs`` is a SymbolicTensor or a list/tuple of them."""
    if isinstance(inputs, SymbolicTensor):
        return True
    return isinstance(inputs, (list, tuple)) and any(isinstance(t, SymbolicTensor) for t in inputs)


# The calls of the Lambdas whose function is being traced, innermost last: each call made
# meanwhile remembers them (Node.blocks), so that model.layers and summary() show the Lambda
# where Keras does, in place of the layers its function was traced into.
_open_blocks = []


# The mode a layer of layers was called in (``block(x, training=False)``) while its call()
# is traced: the calls inside take it, as Keras passes ``training`` down to inner layers.
_fixed_modes = [None]


def fixed_mode(training):
    """A call's ``training=`` as a Node keeps it: True/False, or None (as the model runs)."""
    from glassnet.engine.tracing import TRACING

    if training is None or training is TRACING:
        return _fixed_modes[-1]
    if isinstance(training, (bool, np.bool_)):
        return bool(training)
    raise TypeError(f"training= must be True, False or None, got {type(training).__name__}")


def call_symbolically(layer, inputs, training=None):
    """``layer(inputs)`` on placeholders: check the shapes, record a Node, return its output.

    A layer that has no weights yet builds them now, which also checks that the shapes fit
    (``Conv2D`` on a flat vector says so here, at the line that made the mistake). Those first weights are provisional: the model that the layer ends
    up in draws them again from its own seed, so ``Model(..., seed=0)`` is repeatable.
    """
    from glassnet.engine.random import new_seed

    owner = f"layer '{layer.name or type(layer).__name__}'"
    mode = fixed_mode(training)
    if layer.traces_call and not hasattr(layer, "fit") and not layer.records_call:
        inlined = _inline(layer, inputs, mode)   # a Lambda: the layers its function makes, in
        if inlined is not None:                  # its place (a layer of yours: one step, recorded)
            return inlined
    if layer.takes_list:
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ShapeError(f"{owner} ({type(layer).__name__}) combines tensors: call it on a list "
                             f"of two or more, e.g. {type(layer).__name__}()([a, b])")
        tensors = list(inputs)
    else:
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != 1:
                raise ShapeError(f"{owner} takes one input, got a list of {len(inputs)}")
            inputs = inputs[0]
        tensors = [inputs]
    for tensor in tensors:
        if not isinstance(tensor, SymbolicTensor):
            raise TypeError(f"{owner}: can't mix placeholders and arrays in one call; got "
                            f"{type(tensor).__name__}")
    shapes = [t.sample_shape for t in tensors]
    shape = shapes if layer.takes_list else shapes[0]
    with sizes_left_open(layer, shape):
        if not layer.built:
            layer.build(shape, np.random.default_rng(new_seed()))
            layer.provisional = True
        elif not layer.accepts(shape) and (layer.params or layer.state or layer.sublayers):
            raise ShapeError(f"{owner} was built for inputs of shape {_built_for(layer)} but is "
                             f"called on {_batch(shape)}")       # (one without weights may be: a shared ReLU)
        output_shape = layer.shape_after(shape)
    node = Node(layer, tensors, mode)
    several = isinstance(output_shape, list)     # a layer (a model inside) with several outputs
    batch = next((t.batch for t in tensors if t.batch is not None), None)   # Input(batch_size=16)'s 16
    node.outputs = [SymbolicTensor(one, node, index=i, batch=batch)
                    for i, one in enumerate(output_shape if several else [output_shape])]
    _mark_masks(layer, tensors, node.outputs)
    layer.nodes.append(node)
    return list(node.outputs) if several else node.outputs[0]


def _mark_masks(layer, tensors, outputs):
    """Keras's ``_keras_mask`` on placeholders (:mod:`glassnet.engine.masking`): a boolean
    placeholder ``(batch, steps)`` on each output that will carry a mask, else None, worked
    out by asking the layer on a sample of zeros; and Keras's warning, here at the line that
    builds the model, when a layer can't keep the mask it is given."""
    from glassnet.engine.model import Model

    given = [getattr(t, "_keras_mask", None) for t in tensors]
    made = None
    if any(m is not None for m in given) and not (layer.supports_masking or layer.uses_mask):
        layer.output_mask(None, None, True)                       # the warning; no mask after it
    elif isinstance(layer, Model):
        made = [getattr(t, "_keras_mask", None) for t in layer.outputs]
    elif layer.makes_mask or any(m is not None for m in given):
        zeros = [np.zeros((1,) + tuple(d or 1 for d in t.sample_shape), t.dtype) for t in tensors]
        masks = [None if m is None else np.ones((1,) + tuple(d or 1 for d in m.sample_shape), bool) for m in given]
        try:
            made = layer.compute_mask(zeros if layer.takes_list else zeros[0], masks if layer.takes_list else masks[0])
        except Exception:     # a compute_mask that can't run on a sample: the data will tell
            made = None
    made = made if isinstance(made, (list, tuple)) else [made] + [None] * (len(outputs) - 1)
    for tensor, mask in zip(outputs, made):
        tensor._keras_mask = None if mask is None else SymbolicTensor(np.shape(mask)[1:], tensor.node, dtype=bool,
                                                                      index=tensor.index, batch=tensor.batch)


@contextlib.contextmanager
def sizes_left_open(layer, shape):
    """Building ``layer`` for a ``shape`` with sizes left open (None, e.g. ``Input(shape=(None,))``
    for sequences of any length): a layer whose weights or shape arithmetic need a size that
    is open fails deep inside with None in a sum; say so in one line instead."""
    try:
        yield
    except TypeError as error:
        if not has_open_size(shape) or "NoneType" not in str(error):
            raise
        raise ShapeError(f"layer '{layer.name or type(layer).__name__}' ({type(layer).__name__}) can't "
                         f"take inputs of shape {_batch(shape)}: it needs the sizes left open (None) "
                         f"known; give them in Input(shape=...)") from None


def _inline(layer, inputs, mode):
    """A layer with a ``call()`` of its own, called on placeholders. A Lambda's function is
    run on them (glassnet.engine.tracing), so the layers it makes (``x / 255``: a Rescaling)
    are recorded in its place (in ``mode``, if the call fixed one). None for a layer of your
    own, and for a Lambda whose function does math tracing can't follow: the layer is then
    one step of the graph, run recorded (glassnet.engine.recording)."""
    from glassnet.engine import recording
    from glassnet.engine.random import new_seed
    from glassnet.engine.tracing import ComputesOnInput, trace

    shapes = [t.sample_shape for t in inputs] if isinstance(inputs, (list, tuple)) else inputs.sample_shape
    if not layer.built:
        layer.build(shapes, np.random.default_rng(new_seed()))
        layer.provisional = True             # the model draws its weights again, from its own seed
    if layer.params or layer.state:          # weights of its own: its call() computes with them
        recording.start_recording(layer, inputs)
        return None
    from glassnet.engine.layers.lambda_layer import Lambda

    if not isinstance(layer, Lambda):
        # A layer of your own (``x * self.factor``, or keras.io's TransformerBlock calling
        # its layers). Traced, it would become the layers it calls (a Rescaling, an Add) and
        # vanish from model.layers and from saved files (Keras keeps its layers' weights under
        # its name); recorded, it stays one layer, its layers its own, as in Keras.
        recording.start_recording(layer, inputs)
        return None
    held = recording.held_layers(layer)
    calls = [len(inner.nodes) for inner in held]
    call = Node(layer, inputs if isinstance(inputs, (list, tuple)) else [inputs], mode)
    _fixed_modes.append(mode)
    _open_blocks.append(call)                    # the calls it makes remember it: model.layers lists it
    try:
        outputs = trace(layer, inputs, mode)
        call.outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        layer.__dict__.setdefault("traced_calls", []).append(call)
        if not layer.sublayers:                  # its layers are its own: block.weights, block.trainable
            layer.sublayers = held
            if not layer.trainable:              # frozen before it was used: its layers are too
                layer.trainable = False
        return outputs
    except ComputesOnInput:                  # math on the input: recorded instead, as one step
        for inner, count in zip(held, calls):
            del inner.nodes[count:]          # forget the calls traced before the math
        recording.start_recording(layer, inputs)
        return None
    finally:
        _fixed_modes.pop()
        _open_blocks.pop()


def shown_layers(layers, nodes):
    """``layers`` (a graph's, in order) as Keras lists them: a Lambda traced into layers is
    one entry, where the first of them was (``lambda``, not ``rescaling``)."""
    outer = {id(node.layer): node.blocks[-1] for node in nodes if node.blocks}
    shown = []
    for layer in layers:
        layer = outer.get(id(layer), layer)
        if not any(layer is other for other in shown):
            shown.append(layer)
    return shown


def _built_for(layer):
    """The input shape ``layer`` was built for, batch axis first, as Keras shows it (a
    model's ``input_shape`` has the batch axis already)."""
    from glassnet.engine.model import Model
    return layer.input_shape if isinstance(layer, Model) else _batch(layer.input_shape)


def _batch(shape):
    """``(28, 28)`` -> ``(None, 28, 28)``; a list of shapes element by element."""
    if shape and isinstance(shape[0], (tuple, list)):
        return [(None,) + tuple(s) for s in shape]
    return (None,) + tuple(shape or ())


# -- a graph from its ends ---------------------------------------------------------------
def tensor_list(value, what, name):
    if isinstance(value, dict):
        value = list(value.values())
    tensors = list(value) if isinstance(value, (list, tuple)) else [value]
    if not tensors:
        raise ValueError(f"model '{name}': {what} is empty")
    for tensor in tensors:
        if not isinstance(tensor, SymbolicTensor):
            raise TypeError(f"model '{name}': {what} must be placeholders made by Input(...) and "
                            f"layer calls, got {type(tensor).__name__}")
    return tensors


def topological_order(outputs, inputs, name):
    """The nodes between ``inputs`` and ``outputs``, each after every node that feeds it.

    A depth-first walk back from the outputs: a node is listed once all the nodes it
    reads from are listed. Reaching an Input that is not among ``inputs`` means the
    outputs depend on data the model would never be given: Keras calls that a
    disconnected graph.
    """
    from glassnet.engine.layers.input_layer import InputLayer

    given = {id(t.node) for t in inputs}
    order, done, active = [], set(), set()

    def visit(node):
        if id(node) in done:
            return
        if id(node) in active:
            raise ValueError(f"model '{name}': the graph has a cycle through layer '{node.layer.name}'")
        if isinstance(node.layer, InputLayer) and id(node) not in given:
            raise ValueError(f"model '{name}': graph disconnected: an output depends on the input "
                             f"'{node.layer.name or 'input'}' {node.outputs[0].shape}, which is not "
                             f"among the model's inputs")
        active.add(id(node))
        for tensor in node.inputs:
            visit(tensor.node)
        active.discard(id(node))
        done.add(id(node))
        order.append(node)

    for tensor in inputs:
        visit(tensor.node)
    for tensor in outputs:
        visit(tensor.node)
    return order


def keras_layer_order(outputs, inputs):
    """The graph's layers in the order Keras 3 lists them (``model.layers``, and so
    ``get_weights``): deepest first, where a node's depth is its distance from the outputs
    (an output layer 0, the layers feeding it 1, ... a layer called at several depths takes
    the largest), and layers of one depth in the order a walk back from the outputs first
    meets them (Keras's ``map_graph``). For ``h -> out1`` and ``h -> a -> b -> add -> out2``
    that is ``x, h, a, b, add, out1, out2``: the outputs last, where a plain topological
    order would put ``out1`` right after ``h``.
    """
    given = {id(t.node) for t in inputs}
    first_met, finished, post_order = {}, set(), []

    def visit(node):                       # Keras's _build_map: post-order, layers indexed when first met
        if id(node) in finished:
            return
        first_met.setdefault(id(node.layer), (len(first_met), node.layer))
        if id(node) not in given:
            for tensor in node.inputs:
                visit(tensor.node)
        finished.add(id(node))
        post_order.append(node)

    for tensor in outputs:
        visit(tensor.node)
    node_depth, layer_depth = {}, {}
    for node in reversed(post_order):      # from the outputs back: each node deeper than its readers
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        node_depth[id(node)] = layer_depth[id(node.layer)] = depth
        for tensor in node.inputs:
            node_depth[id(tensor.node)] = max(depth + 1, node_depth.get(id(tensor.node), 0))
    for tensor in inputs:                  # an input no output reads from: Keras puts it at depth 0
        if id(tensor.node.layer) not in first_met:
            first_met[id(tensor.node.layer)] = (len(first_met), tensor.node.layer)
            layer_depth[id(tensor.node.layer)] = 0
    ranked = sorted(first_met.values(), key=lambda met: (-layer_depth[id(met[1])], met[0]))
    return [layer for _, layer in ranked]


def names_inside(layers):
    """The names of the layers inside the models among ``layers``: a layer of the outer model
    takes none of them (Keras's names are unique in a session, so its files never repeat one:
    two weights both named ``dense/kernel`` confuse Keras's PyTorch backend when it trains)."""
    from glassnet.engine.model import Model
    return {inner.name for layer in layers if isinstance(layer, Model)
            for inner in layer.walk() if inner is not layer and inner.name}


def name_layers(layers, taken=()):
    """Check that the layers of one model have different names. Every layer took its name
    when it was made (:mod:`glassnet.engine.naming`); one that set it to None since, or one
    glassnet made for itself whose name a layer of yours took later, gets a free name of
    its class (not among the names ``taken`` by other layers)."""
    from glassnet.engine.naming import auto_name

    taken = {layer.name for layer in layers if layer.name and not layer.named_quietly} | set(taken)
    for layer in layers:
        if layer.name and not layer.named_quietly:
            continue
        name, i = layer.name or auto_name(layer._base_name()), 0
        while name in taken:                   # the next free one: "rescaling_1", ...
            i += 1
            name = f"{layer._base_name()}_{i}"
        layer.name = name
        taken.add(name)
    names = [layer.name for layer in layers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"two different layers in one model are both named {duplicates[0]!r}; "
                         f"layer names must be unique")


def cut_at_inputs(inputs, outputs):
    """``Model(inputs, outputs)`` where an input is not an ``Input`` but a placeholder computed
    on the way (keras.io's FeatureSpace tutorial: ``Model(encoded_features, predictions)``):
    as Keras 3 does, that placeholder is replaced by a fresh ``Input`` of its shape and dtype,
    and the layer calls between it and the outputs are copied onto the fresh one (new Nodes of
    the same layers, so the weights are shared). Returns ``(inputs, outputs)`` in the
    structures given (a placeholder, a list or a dict); unchanged where every input is an Input.
    """
    from glassnet.engine.layers.input_layer import Input, InputLayer

    fresh = {id(t): Input(shape=tuple(t.sample_shape), batch_size=t.batch, dtype=t.dtype)
             for t in _flat(inputs) if isinstance(t, SymbolicTensor) and not isinstance(t.node.layer, InputLayer)}
    if not fresh:
        return inputs, outputs
    copied = {}

    def copy(tensor):
        if id(tensor) in fresh or isinstance(tensor.node.layer, InputLayer):
            return fresh.get(id(tensor), tensor)
        node = tensor.node
        if id(node) not in copied:
            ins = [copy(t) for t in node.inputs]
            copied[id(node)] = node if all(a is b for a, b in zip(ins, node.inputs)) else _copy_node(node, ins)
        return copied[id(node)].outputs[tensor.index]

    def restructured(value, each):
        if isinstance(value, dict):
            return {key: each(v) for key, v in value.items()}
        return type(value)(each(v) for v in value) if isinstance(value, (list, tuple)) else each(value)

    return restructured(inputs, lambda t: fresh.get(id(t), t)), restructured(outputs, copy)


def _flat(value):
    return list(value.values()) if isinstance(value, dict) else list(value) if isinstance(value, (list, tuple)) \
        else [value]


def _copy_node(node, inputs):
    """Another call of ``node.layer`` (the same call: its mode, its Lambda blocks) on ``inputs``."""
    twin = Node(node.layer, inputs, node.training)
    twin.block_calls, twin.blocks = node.block_calls, node.blocks
    twin.outputs = [SymbolicTensor(t.sample_shape, twin, t.dtype, t.index, t.batch) for t in node.outputs]
    for old, new in zip(node.outputs, twin.outputs):
        new._keras_mask = old._keras_mask
    node.layer.nodes.append(twin)
    return twin
