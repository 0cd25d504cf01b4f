"""Flatten and Reshape: rearrange the numbers, learn nothing.

A Dense layer wants each sample as one flat row of features, so a 28x28 image becomes a
row of 784 pixels. The pixels' neighbours are forgotten by this step, which is why a
convolutional network (which keeps the 2-D layout) does better on images.

Backward just puts the gradient back into the input's shape.
"""

import math

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.errors import ShapeError


class Flatten(Layer):
    """``(N, d1, d2, ...) -> (N, d1 * d2 * ...)``."""

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        self.check_input(x)
        return x.reshape(len(x), math.prod(x.shape[1:]))    # not -1: an empty batch has no size to divide

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        return dy.reshape((len(dy),) + self.input_shape)


class Reshape(Layer):
    """``(N, *input_shape) -> (N, *target_shape)``; one entry of target_shape may be -1.

    Args:
        target_shape: the shape of one output sample, e.g. ``(28, 28, 1)``.
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1 or any(d == 0 or d < -1 for d in self.target_shape):
            raise ValueError(f"Reshape: invalid target_shape {target_shape!r}")

    def output_shape(self, input_shape):
        if None in tuple(input_shape):       # a size left open: it goes where -1 stands
            if -1 not in self.target_shape:
                raise ShapeError(f"layer '{self._display_name}' can't reshape {(None,) + tuple(input_shape)} (a size "
                                 f"left open) into {self.target_shape}: give -1 where the open size goes")
            return tuple(None if d == -1 else d for d in self.target_shape)
        size = int(np.prod(input_shape))
        known = int(np.prod([d for d in self.target_shape if d != -1]))
        shape = tuple(size // known if d == -1 else d for d in self.target_shape)
        if int(np.prod(shape)) != size:
            raise ShapeError(
                f"layer '{self._display_name}' can't reshape {tuple(input_shape)} ({size} values) "
                f"into {self.target_shape}"
            )
        return shape

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        self.out_shape = self.output_shape(self.input_shape)

    def forward(self, x, training=False):
        self.check_input(x)
        self.x_shape = x.shape
        if None in self.out_shape:           # a size left open: this batch's
            try:
                return x.reshape((len(x),) + self.target_shape)
            except ValueError:
                raise ShapeError(f"layer '{self._display_name}' can't reshape {x.shape} into "
                                 f"{(len(x),) + self.target_shape}") from None
        return x.reshape((len(x),) + self.out_shape)

    def backward(self, dy):
        return dy.reshape(self.x_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Permute(Layer):
    """Reorder a sample's axes: ``Permute((2, 1))`` turns ``(N, rows, cols)`` into
    ``(N, cols, rows)`` (Keras counts a sample's axes from 1; the batch axis stays first).

    Backward puts the gradient's axes back with the inverse permutation.
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute: dims must reorder 1..{len(self.dims)}, got {tuple(dims)!r}")

    def output_shape(self, input_shape):
        if len(input_shape) != len(self.dims):
            raise ShapeError(f"layer '{self._display_name}' permutes {len(self.dims)} axes, but its input has "
                             f"{len(input_shape)}: {tuple(input_shape)}")
        return tuple(input_shape[d - 1] for d in self.dims)

    def forward(self, x, training=False):
        self.check_input(x)
        return np.ascontiguousarray(x.transpose((0,) + self.dims))

    def backward(self, dy):
        inverse = np.argsort((0,) + self.dims)
        return np.ascontiguousarray(dy.transpose(inverse))

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """``(N, D) -> (N, n, D)``: the same vector ``n`` times, e.g. an encoder's summary handed
    to every step of a recurrent decoder. Backward adds the ``n`` copies' gradients."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if int(n) != n or n < 1:
            raise ValueError(f"RepeatVector: n must be a whole number >= 1, got {n!r}")
        self.n = int(n)

    def output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ShapeError(f"layer '{self._display_name}' (RepeatVector) repeats vectors (batch, features), "
                             f"got {('batch',) + tuple(input_shape)}")
        return (self.n,) + tuple(input_shape)

    def forward(self, x, training=False):
        self.check_input(x)
        return np.repeat(x[:, np.newaxis, :], self.n, axis=1)

    def backward(self, dy):
        return dy.sum(axis=1)

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class Identity(Layer):
    """The input, unchanged (Keras's placeholder layer); the gradient passes straight back."""

    supports_masking = True    # a mask passes through (engine/masking.py)

    def forward(self, x, training=False):
        return x

    def backward(self, dy):
        return dy


class ActivityRegularization(Identity):
    """The input unchanged, and a penalty on it added to the loss: ``(l1 * sum|x| + l2 *
    sum x**2) / N`` for a batch of ``N`` (Keras's; the same as ``activity_regularizer=`` on the
    layer before, for a sparse autoencoder's code).

    Args:
        l1, l2: the weights of the two penalties (default 0).
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        from glassnet.engine.regularizers import L1L2

        kwargs.pop("activity_regularizer", None)        # its own, from l1 and l2
        super().__init__(activity_regularizer=L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = float(l1), float(l2)

    def get_config(self):
        config = {**super().get_config(), "l1": self.l1, "l2": self.l2}
        config.pop("activity_regularizer", None)
        return config
