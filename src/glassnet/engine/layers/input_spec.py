"""``keras.layers.InputSpec``: what a layer of your own expects of its input, checked when
it is called (``self.input_spec = InputSpec(ndim=3)`` in ``__init__`` or ``build``)."""


class InputSpec:
    """The rank, shape or axis sizes a layer's input must have, as Keras 3 states them.

    Args:
        dtype: the expected dtype (kept, as in Keras; glassnet casts inputs to the layer's).
        shape: the whole shape, None for any size (the batch too: ``(None, 28, 28)``).
        ndim, min_ndim, max_ndim: the rank, or its bounds (the batch axis counts).
        axes: ``{axis: size}`` for single axes (``{-1: 64}``).
        allow_last_axis_squeeze, name, optional: Keras's (kept).
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze, self.name, self.optional = allow_last_axis_squeeze, name, optional
        if self.ndim is not None and self.axes and max(self.axes) >= self.ndim:
            raise ValueError(f"Axis {max(self.axes)} is greater than input rank {self.ndim}")

    def __repr__(self):
        return (f"InputSpec(dtype={self.dtype}, shape={self.shape}, ndim={self.ndim}, max_ndim={self.max_ndim}, "
                f"min_ndim={self.min_ndim}, axes={self.axes})")

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes, "optional": self.optional}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raise Keras's ValueError when ``inputs`` (arrays or placeholders, or a list of them)
    don't meet ``input_spec`` (one InputSpec, or one per input)."""
    specs = input_spec if isinstance(input_spec, (list, tuple)) else [input_spec]
    tensors = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if len(specs) != len(tensors) and len(specs) > 1:
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received {len(tensors)} '
                         f'input tensors.')
    for index, (spec, x) in enumerate(zip(specs, tensors)):
        if spec is None:
            continue
        shape = tuple(getattr(x, "shape", ()))
        where = f"Input {index} of layer '{layer_name}' is incompatible with the layer:"
        full = f"Full shape received: {shape}"
        if spec.ndim is not None and len(shape) != spec.ndim:
            raise ValueError(f"{where} expected ndim={spec.ndim}, found ndim={len(shape)}. {full}")
        if spec.max_ndim is not None and len(shape) > spec.max_ndim:
            raise ValueError(f"{where} expected max_ndim={spec.max_ndim}, found ndim={len(shape)}")
        if spec.min_ndim is not None and len(shape) < spec.min_ndim:
            raise ValueError(f"{where} expected min_ndim={spec.min_ndim}, found ndim={len(shape)}. {full}")
        for axis, size in spec.axes.items():
            if size is not None and -len(shape) <= axis < len(shape) and shape[axis] not in (size, None):
                raise ValueError(f"{where} expected axis {axis} of input shape to have value {size}, but "
                                 f"received input with shape {shape}")
        if spec.shape is not None:
            for want, got in zip(spec.shape, shape):
                if want is not None and got is not None and want != got:
                    raise ValueError(f"{where} expected shape={spec.shape}, found shape={shape}")
