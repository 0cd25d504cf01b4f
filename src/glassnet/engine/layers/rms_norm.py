"""RMSNormalization (Zhang and Sennrich, 2019): LayerNormalization without the centring.

Dividing by the root mean square alone, with no mean subtracted and no offset learned, is
cheaper and works as well in Transformers (LLaMA's and Gemma's normalisation).
"""

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.errors import ShapeError


class RMSNormalization(Layer):
    """``y = x / sqrt(mean(x**2) + epsilon) * scale``, the mean over ``axis``, as Keras 3.

    With ``r = 1 / sqrt(mean(x**2) + epsilon)`` (one per sample and position), ``D`` the
    number of values the mean is over and ``g = dy * scale``::

        dscale = sum(dy * x * r)                      # over the other axes
        dx = r * g - r**3 * x * mean(g * x)           # (each x also moves r)

    Args:
        axis: the axis or axes normalised (Keras's default -1, the features); they must be
            the last ones, as the learned ``scale`` (their shape) multiplies from the right.
        epsilon: added to the mean square (Keras's default 1e-6).

    Input shape: anything. Output shape: the same.
    """

    supports_masking = True    # a mask passes through (engine/masking.py)

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if not axes or any(int(a) != a or a == 0 for a in axes):
            raise ValueError(f"RMSNormalization: axis must be an axis other than 0 (the batch) or a list of them, "
                             f"got {axis!r}")
        self.axis = sorted(int(a) for a in axes)          # Keras keeps a sorted list once built
        self.epsilon = float(epsilon)

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        rank = len(self.input_shape) + 1                  # with the batch axis
        axes = sorted(a % rank for a in self.axis)
        if any(a >= rank or a == 0 for a in axes) or axes != list(range(rank - len(axes), rank)):
            raise ShapeError(f"layer '{self._display_name}' (RMSNormalization): axis={self.axis} must be the last "
                             f"axes of inputs of shape {(None,) + tuple(self.input_shape)} (glassnet's limit)")
        self.axes = tuple(axes)
        self.add_param("scale", np.ones([self.input_shape[a - 1] for a in axes]))

    def forward(self, x, training=False):
        self.check_input(x)
        self.x = x
        self.r = 1.0 / np.sqrt(np.mean(x * x, axis=self.axes, keepdims=True) + self.epsilon)
        return x * self.r * self.params["scale"]

    def backward(self, dy):
        x, r = self.x, self.r
        outer = tuple(range(dy.ndim - len(self.axes)))
        self.grads["scale"][...] = np.sum(dy * x * r, axis=outer)
        if not self.needs_input_grad:
            return None
        g = dy * self.params["scale"]
        return r * g - r ** 3 * x * np.mean(g * x, axis=self.axes, keepdims=True)

    def get_config(self):
        return {**super().get_config(), "axis": list(self.axis), "epsilon": self.epsilon}
