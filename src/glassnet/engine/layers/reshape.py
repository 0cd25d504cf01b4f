"""Flatten and Reshape: rearrange the numbers, learn nothing.

A Dense layer wants each sample as one flat row of features, so a 28x28 image becomes a
row of 784 pixels. The pixels' neighbours are forgotten by this step, which is why a
convolutional network (which keeps the 2-D layout) does better on images.

Backward just puts the gradient back into the input's shape.
"""

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.errors import ShapeError


class Flatten(Layer):
    """``(N, d1, d2, ...) -> (N, d1 * d2 * ...)``."""

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        self.check_input(x)
        return x.reshape(len(x), -1)

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
        size = int(np.prod(input_shape))
        known = int(np.prod([d for d in self.target_shape if d != -1]))
        shape = tuple(size // known if d == -1 else d for d in self.target_shape)
        if int(np.prod(shape)) != size:
            raise ShapeError(
                f"layer '{self.name}' can't reshape {tuple(input_shape)} ({size} values) "
                f"into {self.target_shape}"
            )
        return shape

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        self.out_shape = self.output_shape(self.input_shape)

    def forward(self, x, training=False):
        self.check_input(x)
        return x.reshape((len(x),) + self.out_shape)

    def backward(self, dy):
        return dy.reshape((len(dy),) + self.input_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}
