"""``model.summary()``: the Keras-style table of layers, output shapes and parameter counts.

A Sequential gets three columns; a Functional model a fourth, "Connected to", naming the
layers that feed each call, as Keras prints it. A model of your own class (with ``call()``)
lists the layers it holds, three columns, as Keras does (one its ``call()`` never uses: shape
"?"). A Lambda is one row, as in Keras, though its function was traced into layers. The
columns are as wide as their longest entry, so long names never run into the next column.
"""


def summary_table(model, expand_nested=False, show_trainable=False):
    """The text of ``model.summary()``."""
    from glassnet.engine.layers.input_layer import InputLayer
    from glassnet.engine.sequential import Sequential

    if not model.built:      # Keras's table, every shape "?", and what it waits for
        count = len(model.layers)
        rows = [[f"{layer.name} ({_kind(layer)})", "?", "0 (unbuilt)"] for layer in model.layers]
        return (_table(model, ["Layer (type)", "Output Shape", "Param #"], rows, 0, 0)
                + f"\n(not built yet: {count} layer{'' if count == 1 else 's'}; its shapes and parameters "
                  f"are known once it has an input shape or has seen data)")
    functional = not isinstance(model, Sequential) and not model.traces_call
    rows = []
    for step_layer, node in _calls(model) if not model.traces_call else _held_calls(model):
        layer = step_layer
        if not functional and isinstance(layer, InputLayer):
            continue
        name = f"{layer.name} ({_kind(layer)})"
        out = _shapes(node) if node is not None else "?"
        # A shared layer's weights are counted at its first call only.
        count = f"{layer.count_params():,}" if node is None or _first_call(model, node) else "0 (shared)"
        row = [name, out, count]
        if functional:
            row.append(", ".join(_source(model, t) for t in node.inputs) or "-")
        if show_trainable:
            row.append(_trainable_mark(layer))
        rows.append(row)
        if expand_nested and hasattr(layer, "_nodes") and layer.built:
            rows += _nested_rows(layer, len(row), show_trainable)
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if functional else []) \
        + (["Trainable"] if show_trainable else [])
    trainable = sum(w.size for w in model.trainable_weights)
    return _table(model, headers, rows, model.count_params(), trainable)


def _table(model, headers, rows, total, trainable):
    """The summary's text: the rows under their headers, ruled as Keras 2 drew them, then the counts."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) + 2 for i, h in enumerate(headers)]
    width = sum(widths)

    def line(cells):
        parts = []
        for i, (cell, w) in enumerate(zip(cells, widths)):
            parts.append(cell.rjust(w - 2) + "  " if i == 2 else cell.ljust(w))
        return "".join(parts).rstrip()

    lines = [f'Model: "{model.name}"', "_" * width, line(headers), "=" * width]
    for i, row in enumerate(rows):
        lines.append(line(row))
        lines.append("=" * width if i == len(rows) - 1 else "_" * width)
    lines += [f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}", "_" * width]
    return "\n".join(lines)


def _nested_rows(model, columns, show_trainable, depth=1):
    """Rows for the layers inside a model used as a layer, indented under it."""
    rows = []
    for node in model._nodes:
        layer = node.layer
        if not node.inputs:      # its InputLayer: the outer row already shows what comes in
            continue
        row = [f"{'  ' * depth}{layer.name} ({_kind(layer)})", _shapes(node),
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

