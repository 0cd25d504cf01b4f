"""Input and InputLayer: where the data enters a model.

``Input(shape=(28, 28))`` is the first line of every Functional model: it makes an
:class:`InputLayer` and returns the placeholder for the batches that will be fed there.
In a ``Sequential`` model, ``Input`` (or ``InputLayer``) as the first entry states the
input shape, like ``input_shape=`` on the first layer does.
"""

from glassnet.engine.layers.base import STRING, Layer
from glassnet.engine.symbolic import Node, SymbolicTensor


def checked_shape(owner, shape, batch_shape):
    """One sample's shape from ``shape`` (or Keras's ``batch_shape``), or a one-line error."""
    if shape is None and batch_shape is not None:
        shape = tuple(batch_shape)[1:]
    if shape is None:
        raise ValueError(f"{owner}: give the shape of one sample, e.g. shape=(28, 28)")
    if isinstance(shape, int):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise ValueError(f"{owner}: shape must be a tuple of sizes, got {shape!r}") from None
    # None leaves a size open: Input(shape=(None,)) takes sequences of any length
    if not all(d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in shape):
        raise ValueError(f"{owner}: shape must hold positive whole numbers (or None for a size "
                         f"left open), got {shape!r}")
    return shape


class InputLayer(Layer):
    """The entry point of a model: passes its input on unchanged.

    Args:
        shape: one sample's shape, without the batch axis (Keras 3's name;
            ``input_shape=`` and ``batch_shape=(None, ...)`` work too).
        batch_size: the batch size, shown in the model's shapes as Keras shows it
            (``batch_shape=(16, ...)`` gives it too). glassnet models still take any batch size.
        name: the layer's name (default ``input_layer``).

    Input and output shape: ``(N, *shape)``.
    """

    def __init__(self, shape=None, batch_size=None, dtype="float32", batch_shape=None,
                 input_shape=None, name=None, sparse=None, **kwargs):
        if sparse:
            raise ValueError("InputLayer: sparse inputs are not supported by glassnet")
        super().__init__(input_shape=checked_shape("InputLayer", input_shape if shape is None else shape, batch_shape),
                         name=name, dtype=dtype, **kwargs)
        if batch_size is None and batch_shape is not None:
            batch_size = tuple(batch_shape)[0]
        if batch_size is not None and not (isinstance(batch_size, int) and not isinstance(batch_size, bool)
                                           and batch_size > 0):
            raise ValueError(f"InputLayer: the batch size must be a positive whole number or None, got {batch_size!r}")
        self.batch_size = batch_size
        self.built = True
        node = Node(self, [])
        node.outputs = [SymbolicTensor(self.input_shape, node, self.dtype, batch=self.batch_size)]
        self.nodes.append(node)

    @property
    def output(self):
        """The placeholder this layer feeds into the model."""
        return self.nodes[0].outputs[0]

    def build(self, input_shape, rng=None):
        super().build(self.input_shape, rng)

    def forward(self, x, training=False):
        return x

    def backward(self, dy):
        return dy

    def get_config(self):
        config = {"name": self.name, "shape": list(self.input_shape)}
        if self.dtype is STRING:                         # text: Input(shape=(1,), dtype="string")
            config["dtype"] = "string"
        elif self.dtype.kind in "iu":                    # token ids: Input(shape=(L,), dtype="int32")
            config["dtype"] = self.dtype.name
        return config if self.batch_size is None else {**config, "batch_size": self.batch_size}


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, sparse=None,
          tensor=None):
    """A placeholder for the batches a Functional model will be fed (Keras's ``keras.Input``).

    ``Input(shape=(28, 28, 1))`` stands for a batch of 28x28 one-channel images;
    ``shape`` leaves out the batch axis.
    """
    if tensor is not None:
        raise ValueError("Input: tensor= (wrapping an existing backend tensor) has no meaning in glassnet")
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype or "float32",
                       batch_shape=batch_shape, name=name, sparse=sparse)
    return layer.output
