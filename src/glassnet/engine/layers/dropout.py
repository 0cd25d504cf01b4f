"""Dropout: switch random units off while training, so no unit can rely on another."""

import numpy as np

from glassnet.engine.layers.base import Layer


class Dropout(Layer):
    """Inverted dropout (Srivastava et al., 2014).

    In training each value is kept with probability ``1 - rate`` and scaled by
    ``1 / (1 - rate)``, so the expected output equals the input::

        mask = (uniform(0, 1) >= rate) / (1 - rate)     # same shape as x
        y = x * mask                                    # training
        y = x                                           # inference: nothing to undo

    Because of that scaling, nothing changes between training and inference. The backward
    pass sends the gradient through the units that were kept: ``dx = dy * mask``.

    Args:
        rate: fraction of units to drop, in ``[0, 1)``.
        seed: the masks come from a generator of the layer's own, seeded so (default: the
            model's generator, which the model's seed fixes).

    Input and output shape: anything, unchanged.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"{type(self).__name__}: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.mask = None
        self.seed_with(seed)

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self.mask = None
            return x
        keep = 1.0 - self.rate
        # Drawing float32 uniforms halves the work of the default float64 draw.
        draws = self.draws.random(self.mask_shape(x), dtype=np.float32)
        self.mask = (draws < keep) * np.asarray(1 / keep, x.dtype)
        return x * self.mask

    def mask_shape(self, x):
        """One keep-or-drop draw per value (SpatialDropout2D draws one per feature map)."""
        return x.shape

    def backward(self, dy):
        return dy if self.mask is None else dy * self.mask

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, **self.seed_config()}
