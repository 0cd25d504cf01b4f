"""UnitNormalization: every sample scaled to length 1, ``y = x / |x|`` (Keras's).

Dividing by the length is the same step Dot's ``normalize=True`` takes before a cosine
similarity, so the two functions here serve both. Backward: moving ``x`` along ``u = x / |x|``
only changes the length, which the division takes away again, so only the part of ``du``
across ``u`` gets through::

    dx = (du - u * sum(du * u)) / |x|
"""

import numpy as np

from glassnet.engine.layers.base import Layer


def unit(x, axis, smallest):
    """``x / |x|`` along ``axis`` (a length under ``smallest`` counts as ``smallest``), and the lengths."""
    norm = np.maximum(np.sqrt(np.sum(x * x, axis=axis, keepdims=True)), smallest)
    return x / norm, norm


def unit_backward(du, u, norm, axis):
    """The gradient through ``u = x / |x|``: ``(du - u * sum(du * u)) / |x|``."""
    return (du - u * np.sum(du * u, axis=axis, keepdims=True)) / norm


class UnitNormalization(Layer):
    """Scale each sample to length 1 along ``axis`` (Keras counts the batch as axis 0; -1, the
    default, is the features). A length under 1e-12 counts as 1e-12, as in Keras.

    Input and output shape: anything, unchanged.
    """

    supports_masking = True    # a mask passes through (engine/masking.py)

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)) or int(axis) != axis or axis == 0:
            raise ValueError(f"UnitNormalization: axis must be one axis other than 0 (the batch), got {axis!r}")
        self.axis = int(axis)

    def forward(self, x, training=False):
        self.check_input(x)
        self.y, self.norm = unit(x, self.axis, 1e-12)
        return self.y

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        return unit_backward(dy, self.y, self.norm, self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
