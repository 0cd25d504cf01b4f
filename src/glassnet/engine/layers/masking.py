"""Masking: mark the padded steps of sequences of numbers, so that the layers after skip them."""

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.errors import ShapeError


class Masking(Layer):
    """Mark every time step whose features all equal ``mask_value`` as padding.

    For sequences of numbers (``(N, T, F)``: a recording, the columns of an image, any
    features per step) padded at the end with rows of ``mask_value``::

        mask[n, t] = any(x[n, t, :] != mask_value)     # (N, T): True for a real step
        y[n, t] = x[n, t] if mask[n, t] else 0         # padding becomes zeros

    The mask travels with the output, and the recurrent layers, GlobalAveragePooling1D and
    the loss skip the masked steps (see :mod:`glassnet.engine.masking`). For word indices,
    ``Embedding(mask_zero=True)`` makes the mask instead.

    Backward: ``dx = dy`` on the real steps and 0 on the padding (its output is a constant 0).

    Args:
        mask_value: the value that means "nothing here" (default 0.0).
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)

    @property
    def makes_mask(self):
        return True

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if len(self.input_shape) < 2:
            raise ShapeError(f"layer '{self._display_name}' (Masking) needs sequences (batch, time steps, "
                             f"features), got {('batch',) + tuple(self.input_shape)}")

    def compute_mask(self, inputs, mask=None):
        """True where some feature (the last axis) differs from ``mask_value``, as in Keras."""
        return np.any(np.not_equal(inputs, self.mask_value), axis=-1)

    def forward(self, x, training=False):
        self.check_input(x)
        self.keep = self.compute_mask(x)[..., np.newaxis]            # (N, T, 1)
        return np.where(self.keep, x, np.zeros((), x.dtype))

    def backward(self, dy):
        return np.where(self.keep, dy, np.zeros((), dy.dtype))

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
