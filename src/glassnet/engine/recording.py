"""A custom layer whose ``call()`` does math: run it recorded, differentiate the record.

glassnet turns a model's ``call()`` that only calls layers into layers of the model's graph
(:mod:`glassnet.engine.tracing`). A layer of your own is not drawn so (keras.io's
``TransformerBlock``, calling its layers, stays one layer, as in Keras), and a ``call()``
that computes itself, with weights of its own (keras.io's ``Linear``:
``ops.matmul(inputs, self.w) + self.b``) or with math on its input
(``Lambda(lambda x: x / ops.norm(x, axis=1, keepdims=True))``), can't be drawn as layers.
Such a layer is one step of the graph instead, and its two passes are:

* **forward**: run ``call()`` on the batch wrapped in an :class:`~glassnet.engine.autodiff.Value`,
  with the layer's weights wrapped too, so every operation is recorded
  (:mod:`glassnet.engine.autodiff`);
* **backward**: walk that record backwards from ``dL/d(output)``
  (:func:`~glassnet.engine.autodiff.backpropagate`): the weights' gradients go to the
  layer's ``grads``, the input's is returned, as any layer's backward does.

Layers called inside such a ``call()`` (``self.dense(x)``) are single operations of the
record: their own ``forward`` and ``backward``. They belong to the layer, so the model
trains and saves their weights with it.
"""

import numpy as np

from glassnet.engine.autodiff import CannotDifferentiate, Value, backpropagate, data_of, lift


class _Recording:
    """What one recorded call keeps: the layers it ran, and the twins of those run twice."""

    def __init__(self, training, rng=None, tape=False):
        self.training = training
        self.rng = rng        # the recorded layer's generator: its inner layers draw their weights from it
        self.used = set()
        self.twins = []        # (layer, twin): a layer called a second time runs on its twin
        self.added = []        # the add_loss terms of this call (and of the layers run inline in it)
        self.called = []       # the layers called in it (a GradientTape reads their gradients)
        self.reached = set()   # id() of those a gradient reached (the others' weights get None)
        self.watched = {}      # id(array) -> (array, its Value): the inputs a GradientTape watches
        self.tape = tape       # True: the record of a GradientTape (engine/tape.py)
        self.penalties_counted = False     # the tape's loss read model.losses (penalties_read)


_active = []      # the recordings in progress, innermost last


# Attributes the engine itself sets on a layer or model, which hold layers of the graph
# built from it, not the layers its ``__init__`` set.
ENGINE_ATTRIBUTES = frozenset({"sublayers", "_blocks", "_graph_layers", "_inner", "_regularized", "_twins",
                               "_fused"})


def held_layers(layer):
    """The layers ``layer`` holds as attributes (directly or in a list, tuple or dict), in
    the order they were set: the ones its ``call()`` can call."""
    held = []
    for name, value in vars(layer).items():
        if name in ENGINE_ATTRIBUTES:
            continue
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if _is_layer(item) and item is not layer and not any(item is h for h in held):
                held.append(item)
    return held


def _is_layer(value):
    from glassnet.engine.layers.base import Layer
    return isinstance(value, Layer)


def start_recording(layer, inputs):
    """Make ``layer`` (a ``call()`` that computes) one recorded step of the graph."""
    from glassnet.engine.symbolic import name_layers

    layer.records_call = True
    layer.takes_list = isinstance(inputs, (list, tuple))
    layer.sublayers = held_layers(layer)
    if not layer.trainable:               # frozen before it was used: its layers are too
        layer.trainable = False
    name_layers(layer.sublayers)          # "dense", "dense_1"... for summaries and weight paths


def recording_now():
    """True inside a recorded ``call()``: a layer called there, even on constants (keras.io's
    ``self.pos_emb(ops.arange(T))``), is one step of the record, so its weights learn."""
    return bool(_active)


def is_value(inputs):
    """True for a Value or a list/tuple holding one: what a layer is called on in a record."""
    if isinstance(inputs, (list, tuple)):
        return any(isinstance(x, Value) for x in inputs)
    return isinstance(inputs, Value)


def tape_is_open():
    """True inside a GradientTape's block (and not inside a layer's recorded call())."""
    return bool(_active) and _active[-1].tape


def penalties_read():
    """``model.losses`` was read while a GradientTape records: its loss adds the penalties,
    as Keras's training loops do, so the tape counts their gradients (otherwise they are
    left out, as in Keras: engine/tape.py)."""
    if _active and _active[-1].tape:
        _active[-1].penalties_counted = True


def is_watched(inputs):
    """True for an array (or a list holding one) that an open GradientTape watches."""
    watched = _active[-1].watched if _active else {}
    return any(id(x) in watched for x in (inputs if isinstance(inputs, (list, tuple)) else [inputs]))


def call_layer(layer, inputs, training=None):
    """``layer(inputs)`` inside recorded math: the layer's forward pass now, its backward
    pass as the gradient rule of this step."""
    recording = _active[-1] if _active else None
    if training is None or not isinstance(training, (bool, np.bool_)):
        training = recording.training if recording is not None else False
    if recording is not None and layer.traces_call and not hasattr(layer, "fit") \
            and not layer.params and not layer.state:
        return _inline(layer, inputs, training, recording)
    watched = recording.watched if recording is not None else {}
    values = [watched[id(x)][1] if id(x) in watched else lift(x)
              for x in (inputs if isinstance(inputs, (list, tuple)) else [inputs])]
    data = [v.data for v in values] if layer.takes_list else values[0].data
    if not layer.built:
        from glassnet.engine.random import new_seed
        shape = [d.shape[1:] for d in data] if layer.takes_list else data.shape[1:]
        rng = layer.rng or (recording.rng if recording is not None else None)
        layer.build(shape, rng or np.random.default_rng(new_seed()))
    if layer.traces_call and not layer.records_call and not hasattr(layer, "fit"):   # a call() of its own: recorded too
        start_recording(layer, inputs)
    run = layer
    if recording is not None and not any(layer is seen for seen in recording.called):
        recording.called.append(layer)
    # Its second call runs on a twin (own caches, shared weights). In a GradientTape every
    # call does: the layer itself may run again (a test batch) before tape.gradient().
    if recording is not None:
        if id(layer) in recording.used or recording.tape:
            run = layer.copy_for_another_call()
            recording.twins.append((layer, run))
            if recording.tape:
                _unfuse(run, layer)
        recording.used.add(id(layer))
    run.needs_input_grad = any(v.needs_grad for v in values)
    if _has_several_outputs(run) and recording is not None and recording.tape:
        run.needs_input_grad = True       # every tensor inside gets its gradient (_several_outputs)
    output = run.forward(data, training=bool(training))
    if run is not layer:
        _show_losses(layer, run)

    def backward(g):
        if recording is not None:
            recording.reached.add(id(layer))
        dx = run.backward(g)
        if dx is None:                              # no input needed a gradient: the weights' only
            return (None,) * len(values)
        return dx if run.takes_list else (dx,)

    learns = run.trainable and any(inner.params for inner in run.walk())
    if isinstance(output, (list, tuple)):       # LSTM(..., return_state=True): [output, h, c]
        return _several_outputs(output, values if learns or run.needs_input_grad else None, backward, run)
    if not (learns or run.needs_input_grad):
        return Value(output)
    return Value(output, tuple(values), backward, needs_grad=True)


def _has_several_outputs(layer):
    """True for a model built with a list of outputs (Grad-CAM's ``Model(inputs, [conv.output,
    model.output])``, the VAE's encoder)."""
    return len(getattr(layer, "outputs", None) or ()) > 1


def _several_outputs(outputs, parents, backward, run=None):
    """One Value per output of a layer that gives several, all from one step: the outputs,
    each flattened per sample, side by side in a joint Value whose rule is the layer's
    backward pass, and each output a recorded slice of it. The gradients of the outputs a
    program used meet in the joint Value (zeros for the others), so the layer's backward
    runs once with all of them.

    A model's output may also feed another inside it (Grad-CAM's last conv layer's output,
    which the predictions are computed from): its ``grad``, asked by
    ``tape.gradient(score, conv_output)``, is then the model's own total at that tensor
    (``Model.output_gradients``), the path through the predictions included."""
    if parents is None:
        return [Value(output) for output in outputs]
    n = len(outputs[0])
    ends = np.cumsum([output[0].size for output in outputs])
    parts = []

    def joint_backward(g):
        pieces = np.split(g, ends[:-1], axis=1)
        dx = backward([piece.reshape(output.shape) for piece, output in zip(pieces, outputs)])
        for part, total in zip(parts, getattr(run, "output_gradients", None) or ()):
            if total is not None:                  # for tape.gradient(..., part)
                part.grad = total
        return dx

    joint = Value(np.concatenate([output.reshape(n, -1) for output in outputs], axis=1), tuple(parents),
                  joint_backward, needs_grad=True)
    parts += [joint[:, end - output[0].size:end].reshape(output.shape) for end, output in zip(ends, outputs)]
    return parts


def _show_losses(layer, twin):
    """What ``twin``'s forward pass added to the loss (``self.add_loss`` terms, activity
    penalties) shown by ``layer.losses`` too: a training loop reads ``model.losses`` of the
    model it called, whose call ran on a twin. (The twin's backward adds their gradients.)"""
    for inner, copy in zip(layer.walk(), twin.walk()):
        for key in ("added_losses", "activity_output"):
            if key in copy.__dict__:
                inner.__dict__[key] = copy.__dict__[key]


def _unfuse(twin, layer):
    """A compiled model's final softmax (or sigmoid) passes ``dL/dlogits`` straight through,
    fused with its cross-entropy (``Trainer.compile``). In a GradientTape the loss is the
    tape's own, which gives ``dL/dprobabilities``: the twin's activations differentiate
    themselves again (the model's own, used by ``fit``, stay fused)."""
    own = {id(inner) for inner in layer.walk()}
    for inner in twin.walk():
        for fn in (inner, getattr(inner, "activation", None)):
            if getattr(fn, "fused_with_loss", False) and id(fn) not in own:
                fn.fused_with_loss = False


def _inline(layer, inputs, training, recording):
    """A layer of layers without weights of its own (keras.io's ``Encoder``), called inside
    recorded math: its ``call()`` runs right here, on the Values, so its math and its layers'
    calls join this record, and it may return several outputs (``z_mean, z_log_var, z``)."""
    from glassnet.engine.layers.base import Layer
    from glassnet.engine.symbolic import name_layers
    from glassnet.engine.tracing import run_call

    if not layer.built and type(layer).build is not Layer.build:
        _build_first(layer, inputs, recording)   # its own build() runs first, as Keras runs it
    if not layer.sublayers:                  # the layers it holds are its own (their weights, its count)
        layer.sublayers = held_layers(layer)
    if any(inner.name is None for inner in layer.sublayers):
        name_layers(layer.sublayers)         # "dense", "dense_1"... for summaries and weight paths
    layer.built = True
    layer.__dict__["added_losses"] = recording.added          # its add_loss terms count here
    try:
        return run_call(layer, inputs, training)
    finally:
        layer.__dict__.pop("added_losses", None)


def _build_first(layer, inputs, recording):
    """keras.io's PixelConvLayer: a layer of layers with a build() of its own (it builds its
    Conv2D there and makes a mask from the kernel's shape), called inside recorded math."""
    from glassnet.engine.random import new_seed

    several = isinstance(inputs, (list, tuple))
    shape = [data_of(x).shape[1:] for x in inputs] if several else data_of(inputs).shape[1:]
    layer.build(shape, layer.rng or recording.rng or np.random.default_rng(new_seed()))


def forward(layer, x, training, mask=None):
    """The recorded layer's forward pass: ``call()`` on Values; the record kept for backward."""
    from glassnet.engine.tracing import run_call

    inputs = [Value(xi, needs_grad=layer.needs_input_grad) for xi in (x if layer.takes_list else [x])]
    weights = {name: Value(array, needs_grad=layer.trainable) for name, array in layer.params.items()}
    swapped = _swap_weights(layer, weights)
    recording = _Recording(bool(training), layer.rng)
    _active.append(recording)
    layer.__dict__["recorded_weights"] = weights     # for self.kernel read through __getattr__
    layer.__dict__["added_losses"] = recording.added  # self.add_loss(...) terms of this call
    try:
        output = run_call(layer, inputs if layer.takes_list else inputs[0], bool(training), mask)
    except CannotDifferentiate as error:
        raise CannotDifferentiate(f"layer '{layer._display_name}' ({type(layer).__name__}): {error}") from error
    finally:
        _active.pop()
        layer.__dict__.pop("recorded_weights", None)
        for attribute, array in swapped.items():
            setattr(layer, attribute, array)
    several = isinstance(output, (list, tuple))      # call() may return several outputs: a list
    outputs = [lift(o) for o in (output if several else [output])]
    layer.__dict__["record"] = (inputs, weights, outputs, recording)
    data = [o.data.astype(layer.dtype) if o.data.dtype.kind == "f" and o.data.dtype != layer.dtype else o.data
            for o in outputs]
    return data if several else data[0]


def backward(layer, dy):
    """The recorded layer's backward pass: ``dL/d(output)`` back through the record."""
    record = layer.__dict__.pop("record", None)
    if record is None:
        raise RuntimeError(f"layer '{layer._display_name}': backward() before forward()")
    inputs, weights, outputs, recording = record
    for inner in layer.sublayers:            # a layer the call didn't reach gets no stale gradient
        for sub in inner.walk():
            for grad in sub.grads.values():
                grad[...] = 0
    added = [(value, 1.0) for value in layer.__dict__.get("added_losses", ())
             if isinstance(value, Value) and value.needs_grad]          # dL/d(term) = 1
    dys = dy if len(outputs) > 1 else [dy]
    roots = [(output, g) for output, g in zip(outputs, dys) if output.needs_grad and g is not None] + added
    if roots:
        backpropagate(roots[0][0], roots[0][1], roots[1:])
    for name, value in weights.items():
        layer.grads[name][...] = 0 if value.grad is None else value.grad
    for inner, twin in recording.twins:
        inner.add_twin_gradients(twin)
    layer.add_penalty_gradients()
    if not layer.needs_input_grad:
        return None
    dx = [np.zeros_like(v.data) if v.grad is None else v.grad for v in inputs]
    return dx if layer.takes_list else dx[0]


def output_shape(layer, input_shape):
    """One sample's output shape: ``call()`` run once, recorded, on a batch of one zero sample.

    Sizes left open (None) are tried at two lengths, 6 and 11: an output size that changes
    with them is open too."""
    shapes = input_shape if layer.takes_list else [input_shape]
    if not any(None in tuple(shape) for shape in shapes):
        return _output_shape(layer, shapes)
    tries = [_output_shape(layer, [tuple(size if d is None else d for d in shape) for shape in shapes])
             for size in (6, 11)]
    several = isinstance(tries[0], list)
    opened = []
    for first, second in zip(*(tries if several else [[t] for t in tries])):
        if len(first) != len(second):
            raise CannotDifferentiate(f"layer '{layer._display_name}' ({type(layer).__name__}): call() gives outputs "
                                      f"of {len(first)} and {len(second)} axes for inputs of different lengths")
        opened.append(tuple(a if a == b else None for a, b in zip(first, second)))
    return opened if several else opened[0]


def _output_shape(layer, shapes):
    zeros = [np.zeros((1,) + tuple(shape), dtype=layer.dtype) for shape in shapes]
    needs = layer.needs_input_grad
    layer.needs_input_grad = False
    try:
        with np.errstate(all="ignore"):      # zeros may divide by zero (x / norm(x)): only the shape counts
            data = forward(layer, zeros if layer.takes_list else zeros[0], False)
    finally:
        layer.needs_input_grad = needs
        layer.__dict__.pop("record", None)
    for one in (data if isinstance(data, list) else [data]):
        if one.ndim == 0 or one.shape[0] != 1:
            raise CannotDifferentiate(f"layer '{layer._display_name}' ({type(layer).__name__}): call() must keep the "
                                      f"batch axis first; on a batch of 1 it gave shape {one.shape}")
    return [tuple(one.shape[1:]) for one in data] if isinstance(data, list) else tuple(data.shape[1:])


def _swap_weights(layer, weights):
    """Put the weights' Values where ``call()`` reads them (``self.w``); returns what to put back."""
    from glassnet.engine.layers.base import holds

    swapped = {}
    for attribute, value in list(vars(layer).items()):
        if isinstance(value, np.ndarray):
            for weight in weights.values():
                if holds(value, weight.data):
                    swapped[attribute] = value
                    setattr(layer, attribute, weight)
                    break
    return swapped


def loss_gradient(function, y_true, y_pred, dvalues):
    """``dL/d(y_pred)`` of a loss given as ``function(y_true, y_pred) -> (N,)``, recorded and
    differentiated exactly; ``dvalues = dL/dl_i`` (a number or one per sample). Raises
    CannotDifferentiate when the function does math autodiff can't follow."""
    prediction = Value(np.asarray(y_pred), needs_grad=True)
    _active.append(_Recording(True))
    try:
        values = lift(function(y_true, prediction))
    finally:
        _active.pop()
    if not values.needs_grad:                        # the loss doesn't depend on the prediction
        return np.zeros_like(prediction.data)
    weights = np.asarray(dvalues, dtype=values.dtype)
    if weights.ndim == 1 and values.ndim > 1:
        weights = weights.reshape((-1,) + (1,) * (values.ndim - 1))
    backpropagate(values, np.broadcast_to(weights, values.shape))
    return np.zeros_like(prediction.data) if prediction.grad is None else prediction.grad


__all__ = ["CannotDifferentiate", "data_of", "is_value", "call_layer", "start_recording", "held_layers",
           "forward", "backward", "output_shape", "loss_gradient"]
