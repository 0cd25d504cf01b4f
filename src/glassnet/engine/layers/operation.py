"""Operation: one ``keras.ops`` function applied to placeholders in a Functional model.

Keras 3 lets a Functional model compute with its ops between layers::

    x = layers.Dense(64)(inputs)
    y = ops.mean(ops.square(x), axis=-1, keepdims=True)     # no layer written for these
    first = x[:, 0]

Each such call on a placeholder is an :class:`Operation` step of the graph, named after
the function (``square``, ``mean``, ``get_item``), as Keras's summary names them. Its
``call()`` runs the NumPy function of the same name on the batch; the math is recorded as
it runs and differentiated (:mod:`glassnet.engine.recording`), as a ``Lambda``'s is. Unlike
a Lambda, its config is data (the function's name and its other arguments), so a model
holding one is saved to and loaded from ``.npz``.
"""

import numpy as np

from glassnet.engine.layers.base import Layer


class Operation(Layer):
    """``y = ops.<op>(x, *arguments, **keywords)`` as one step of a Functional graph.

    Args:
        op: the name of a ``keras.ops`` function (``"exp"``, ``"mean"``, ``"matmul"``...), or
            ``"get_item"`` for ``x[...]``.
        arguments: the other positional arguments, after the input(s) (plain values).
        keywords: its keyword arguments (``axis=-1``...).
        inputs_count: how many placeholders go in (``ops.matmul(a, b)``: 2; they come first).
        index: for ``get_item``, the index (:func:`index_to_config`'s form).

    Input shape: any; output shape: what the function gives (worked out on a sample).
    """

    def __init__(self, op, arguments=(), keywords=None, inputs_count=1, index=None, **kwargs):
        self.op = str(op)               # before Layer.__init__, which names it after the op
        super().__init__(**kwargs)
        self.op, self.arguments, self.keywords = str(op), list(arguments), dict(keywords or {})
        self.inputs_count, self.index = int(inputs_count), index
        if self.inputs_count > 1:
            self.takes_list = True

    @property
    def op_class(self):
        """The class Keras 3 makes for this op, which its summary names: ``mean`` -> ``Mean``,
        ``expand_dims`` -> ``ExpandDims``."""
        return "".join(part.capitalize() for part in self.op.split(".")[-1].split("_"))

    def _base_name(self):
        return self.op.split(".")[-1]  # "mean", "mean_1": named after the op, as Keras names them

    def call(self, inputs):
        if self.op == "get_item":
            return inputs[index_from_config(self.index)]
        from glassnet import ops
        tensors = list(inputs) if self.inputs_count > 1 else [inputs]
        keywords = {key: tuple(value) if isinstance(value, list) else value for key, value in self.keywords.items()}
        function = ops
        for part in self.op.split("."):             # "image.resize": ops.image.resize
            function = getattr(function, part)
        return function(*tensors, *self.arguments, **keywords)   # axis=(1, 2) kept as a tuple

    def get_config(self):
        config = {**super().get_config(), "op": self.op, "arguments": self.arguments, "keywords": self.keywords,
                  "inputs_count": self.inputs_count, "index": self.index}
        config.pop("input_shape", None)
        return config


def apply(op, args, kwargs):
    """``ops.<op>(*args, **kwargs)`` where the leading arguments are placeholders: an
    :class:`Operation` called on them."""
    from glassnet.engine.symbolic import SymbolicTensor
    from glassnet.engine.tracing import tracing_now

    if tracing_now():             # inside a traced call(): that call is recorded as one step instead
        raise TypeError(f"ops.{op} computes on a placeholder")
    count = next((i for i, value in enumerate(args) if not isinstance(value, SymbolicTensor)), len(args))
    rest = args[count:]
    if any(isinstance(value, SymbolicTensor) for value in list(rest) + list(kwargs.values())):
        raise TypeError(f"ops.{op} on placeholders: put the placeholders first (ops.{op}(a, b, ...)); "
                        f"placeholders among its other arguments are not supported by glassnet")
    layer = Operation(op, _plain(rest), _plain(kwargs), inputs_count=count)
    try:
        return layer(list(args[:count]) if count > 1 else args[0])
    except TypeError as error:
        if "batch axis" not in str(error):
            raise
        raise ValueError(f"ops.{op} on placeholders would mix the samples of a batch (it reduces or "
                         f"moves the batch axis), which no step of a Functional model may do: give "
                         f"axis= (e.g. axis=-1), or compute it on model outputs instead") from None


def get_item(tensor, index):
    """``tensor[index]`` on a placeholder (Keras's ``GetItem``): the batch axis must stay."""
    from glassnet.engine.tracing import tracing_now

    if tracing_now():
        raise TypeError("indexing computes on a placeholder")
    config = index_to_config(index)
    first = config[0] if config else None
    if not (isinstance(first, dict) and first.get("slice") == [None, None, None]):
        raise TypeError(f"{tensor!r}[{index!r}]: on a placeholder the first index is the batch axis; "
                        f"keep it whole, e.g. x[:, 0] or x[:, :2]")
    return Operation("get_item", index=config)(tensor)


def index_to_config(index):
    """An index (``[:, 0]``, ``[..., None]``) as plain data: a slice is ``{"slice": [start,
    stop, step]}``, ``...`` is ``"..."``, ``None`` (a new axis) stays ``None``."""
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for part in parts:
        if isinstance(part, slice):
            out.append({"slice": [part.start, part.stop, part.step]})
        elif part is Ellipsis:
            out.append("...")
        elif part is None or isinstance(part, (int, np.integer)):
            out.append(None if part is None else int(part))
        else:
            raise TypeError(f"a placeholder can be indexed with integers, slices, ... and None, not "
                            f"{type(part).__name__}")
    return out


def index_from_config(config):
    return tuple(slice(*part["slice"]) if isinstance(part, dict) else Ellipsis if part == "..." else part
                 for part in config)


def _plain(value):
    """Arguments as JSON-friendly data (tuples as lists, NumPy numbers as Python's)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"an op on placeholders takes plain numbers and names as its other arguments, "
                    f"not {type(value).__name__}")
