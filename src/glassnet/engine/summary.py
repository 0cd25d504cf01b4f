"""``model.summary()``: Keras 3's table of layers, output shapes and parameter counts.

A Sequential, or a Functional model that is one line of layers, gets three columns; a
Functional model that branches a fourth, "Connected to", naming the layers that feed each
call, as Keras prints it. A model of your own class (with ``call()``) lists the layers it
holds, three columns, as Keras does (one its ``call()`` never uses: the shape it was built for, or "?"). A Lambda is
one row, as in Keras, though its function was traced into layers. The box is Keras's, as
wide as Keras makes it, its cells wrapped the same way (:mod:`glassnet.engine.summary_box`).
"""


def summary_table(model, expand_nested=False, show_trainable=False, line_length=None, positions=None):
    """The text of ``model.summary()``, in Keras 3's box (:mod:`glassnet.engine.summary_box`)."""
    from glassnet.engine.layers.input_layer import InputLayer
    from glassnet.engine.sequential import Sequential

    layout = dict(show_trainable=show_trainable, line_length=line_length, positions=positions)
    if not model.built:      # Keras's table, every shape "?", and what it waits for
        count = len(model.layers)
        rows = [[f"{layer.name} ({_kind(layer)})", "?", "0 (unbuilt)"] for layer in model.layers]
        return (_table(model, ["Layer (type)", "Output Shape", "Param #"], rows, **dict(layout, show_trainable=False))
                + f"\n(not built yet: {count} layer{'' if count == 1 else 's'}; its shapes and parameters "
                  f"are known once it has an input shape or has seen data)")
    functional = not isinstance(model, Sequential) and not model.traces_call
    connected = functional and not _a_chain(model)       # Keras: the fourth column, where it branches
    rows = []
    for step_layer, node in _calls(model) if not model.traces_call else _held_calls(model):
        layer = step_layer
        if not functional and isinstance(layer, InputLayer):
            continue
        name = f"{layer.name} ({_kind(layer)})"
        out = _shapes(node) if node is not None else _built_shape(layer)
        # A shared layer's weights are counted at its first call only.
        count = f"{layer.count_params():,}" if node is None or _first_call(model, node) else "0 (shared)"
        if node is None and not layer.built:
            count = "0 (unbuilt)"
        row = [name, out, count]
        if connected:
            row.append(", ".join(_source(model, t) for t in node.inputs) or "-")
        if show_trainable:
            row.append(_trainable_mark(layer))
        rows.append(row)
        if expand_nested and hasattr(layer, "_nodes") and layer.built:
            rows += _nested_rows(layer, len(row), show_trainable)
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if connected else []) \
        + (["Trainable"] if show_trainable else [])
    return _table(model, headers, rows, **layout)


def _table(model, headers, rows, show_trainable=False, line_length=None, positions=None):
    """The summary's text: the rows in Keras 3's box under their headers, then the counts
    and their sizes in memory, as Keras writes them."""
    from glassnet.engine import summary_box as box

    line_length = box.line_length_for(len(headers) - show_trainable, show_trainable, line_length)
    widths = box.column_widths(line_length, positions or box.default_positions(len(headers), show_trainable))
    alignments = ["left", "left", "right", "left"][:len(headers) - show_trainable] + ["center"] * show_trainable
    lines = [f'Model: "{model.name}"', *box.draw(headers, rows, widths, alignments)]
    trainable = _weights(model.trainable_weights if model.built else [])
    frozen = _weights(model.non_trainable_weights if model.built else [])
    optimizer = _optimizer_weights(model)
    counts = [("Total", [a + b + c for a, b, c in zip(trainable, frozen, optimizer)]),
              ("Trainable", trainable), ("Non-trainable", frozen)] + ([("Optimizer", optimizer)] if optimizer[0] else [])
    lines += [f" {what} params: {count:,} ({box.readable_size(size)})" for what, (count, size) in counts]
    return "\n".join(lines)


def _weights(weights):
    """``(count, bytes)`` of some weights."""
    arrays = [getattr(w, "value", w) for w in weights]
    return sum(int(a.size) for a in arrays), sum(int(a.size) * a.dtype.itemsize for a in arrays)


def _optimizer_weights(model):
    """``(count, bytes)`` of the optimizer's variables once it has stepped, as Keras counts
    them: its slots (Adam's two averages per weight...) and its iteration count and rate."""
    optimizer = getattr(model, "optimizer", None)
    slots = [a for arrays in getattr(optimizer, "slots", {}).values() for a in arrays]
    if not slots and not getattr(optimizer, "iterations", 0):
        return 0, 0
    count, size = _weights(slots)
    return count + 2, size + 8 + 4           # iteration (int64) and learning rate (float32)


def _a_chain(model):
    """Whether a Functional model is one line of layers (Keras's ``sequential_like``): one
    input, every call fed by one tensor, no layer called twice, no tensor used twice."""
    nodes = [n for n in model._nodes if n.inputs]
    used = [id(t) for n in nodes for t in n.inputs] + [id(t) for t in model.outputs]
    layers = [n.layer for n in nodes]
    return (len(model.inputs) == 1 and all(len(n.inputs) == 1 for n in nodes)
            and len(set(used)) == len(used) and len({id(layer) for layer in layers}) == len(layers))


def _nested_rows(model, columns, show_trainable, depth=1):
    """Rows for the layers inside a model used as a layer, indented under it."""
    rows = []
    for node in model._nodes:
        layer = node.layer
        if not node.inputs:      # its InputLayer: the outer row already shows what comes in
            continue
        row = [f"{'   ' * depth}└ {layer.name} ({_kind(layer)})", _shapes(node),
               f"{layer.count_params():,}"]
        row += [""] * (columns - len(row) - (1 if show_trainable else 0))
        if show_trainable:
            row.append(_trainable_mark(layer))
        rows.append(row)
        if hasattr(layer, "_nodes") and layer.built:
            rows += _nested_rows(layer, columns, show_trainable, depth + 1)
    return rows


def _shapes(node):
    """A call's output shape; a list of them for a layer with several outputs, as Keras prints it."""
    shapes = [str(t.shape) for t in node.outputs]
    return shapes[0] if len(shapes) == 1 else f"[{', '.join(shapes)}]"


def _built_shape(layer):
    """The output shape of a layer held but never called by ``call()`` (keras.io's Distiller's
    teacher), as Keras shows it: from the shape it was built for, else "?"."""
    if hasattr(layer, "_nodes"):                  # a model: its outputs'
        return str(layer.output_shape) if layer.built and layer.outputs else "?"
    if not layer.built or layer.input_shape is None:
        return "?"
    try:
        return str((None, *layer.shape_after(layer.input_shape)))
    except Exception:                             # a layer that can't say: as an unbuilt one
        return "?"


def _calls(model):
    """``(layer, node)`` for every call of the model's graph, in order; the calls a Lambda's
    function was traced into as one row of the Lambda, where the first of them was, as Keras
    shows it (its call's inputs and outputs: ``lambda (Lambda)``, not ``rescaling``)."""
    calls = []
    for node in model._nodes:
        call = _shown(node)
        if not any(call is seen for _, seen in calls):
            calls.append((call.layer, call))
    return calls


def _shown(node):
    """The call a row shows for ``node``: its outermost Lambda's, if a Lambda's function made it."""
    return node.block_calls[-1] if node.block_calls else node


def _calls_of(model, layer):
    """The rows' calls of ``layer``, in order (a Lambda's: its traced calls)."""
    return layer.__dict__.get("traced_calls") or [n for n in model._nodes if n.layer is layer]


def _held_calls(model):
    """``(layer, node)`` for each layer a model of your own holds, in :attr:`Model.layers`'s
    order: its first call in the traced graph, or None where there is none (a layer the call
    never uses)."""
    return [(layer, next((n for n in model._nodes if n.layer is layer), None)) for layer in model.layers]


def _source(model, tensor):
    """Keras's ``name[call][output]`` for the call that made ``tensor`` (a Lambda's, if its
    function's layers did)."""
    call = _shown(tensor.node)
    index = next(i for i, out in enumerate(call.outputs) if out is tensor) if call is not tensor.node else tensor.index
    return f"{call.layer.name}[{_call_index(model, call)}][{index}]"


def _first_call(model, node):
    return _calls_of(model, node.layer)[0] is node


def _call_index(model, node):
    """Which call of its layer ``node`` is, in Keras's ``name[i][0]`` notation."""
    return _calls_of(model, node.layer).index(node)


def _kind(layer):
    """The class a row names, as Keras's summary does: a model made by ``Model(inputs,
    outputs)`` is ``Functional``; a ``keras.ops`` call on placeholders its op's (``Mean``); every
    other layer, and a model of your own class, its class."""
    from glassnet.engine.model import Model
    return "Functional" if type(layer) is Model else getattr(layer, "op_class", type(layer).__name__)


def _trainable_mark(layer):
    """Keras's Trainable column: Y or N for a layer with weights, "-" for one without."""
    if not any(inner.params for inner in layer.walk()):
        return "-"
    return "Y" if layer.trainable else "N"

