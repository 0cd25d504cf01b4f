"""RandomContrast and RandomBrightness: training images made a little paler or darker.

Like the other random image layers (:mod:`glassnet.engine.layers.preprocessing`), they act
only in training (inside ``fit``) and let images through unchanged in ``predict``. Each
image draws its own number, and the result is clipped to the pixels' range, as in Keras 3::

    RandomContrast:    y = clip(mean + f * (x - mean), low, high)      f ~ U(1 - lower, 1 + upper)
    RandomBrightness:  y = clip(x + d * (high - low), low, high)       d ~ U(lower, upper)

``mean`` is each image's mean over its pixels, channel by channel. Both are linear in ``x``
where nothing is clipped, so backward is simple: a clipped pixel gets no gradient; else
brightness passes ``dy`` on, and contrast gives ``f * g + (1 - f) * mean(g)`` (every pixel
moves the mean a little).

The factors are read as Keras 3 reads them: ``RandomBrightness(0.2)`` draws ``d`` in
``[-0.2, 0.2]``, but ``RandomContrast(0.2)`` draws ``f`` in ``[1, 1.2]`` (Keras 3.15 clips the
lower bound of a single number at 0, so contrast only rises; give ``(0.2, 0.2)`` for
``[0.8, 1.2]``).
"""

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.image_augmentation import keras_factor
from glassnet.engine.layers.preprocessing import require_images


def _factor(value, bounds, owner):
    """Keras's ``(lower, upper)`` from one number or a pair, within ``bounds``, as floats."""
    lower, upper = keras_factor(value, bounds, owner)
    return float(lower), float(upper)


class RandomColor(Layer):
    """What the two share: a factor drawn per image in training, the pixels' value range,
    and the clipping (whose mask backward keeps)."""

    augments_by_default = True     # called alone or in model(x), as Keras: training=True

    abstract = True
    BOUNDS = (0.0, 1.0)

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{owner}: only data_format='channels_last' is supported, got {data_format!r}")
        self.factor = _factor(factor, self.BOUNDS, owner)
        if not isinstance(value_range, (list, tuple)) or len(value_range) != 2:
            raise ValueError(f"{owner}: value_range must be (low, high), got {value_range!r}")
        self.value_range = tuple(sorted(float(v) for v in value_range))
        self.seed_with(seed)
        self.inside = None

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        require_images(self)

    def _draw(self, x, low, high):
        """One number per image, shaped to broadcast over its pixels."""
        return self.draws.uniform(low, high, (len(x),) + (1,) * (x.ndim - 1)).astype(x.dtype)

    def _clipped(self, y):
        low, high = self.value_range
        self.inside = (y >= low) & (y <= high)          # where the gradient passes
        return np.clip(y, low, high)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "value_range": list(self.value_range),
                "seed": self.seed}


class RandomContrast(RandomColor):
    """Scale each training image's differences from its mean by ``f ~ U(1 - lower, 1 + upper)``.

    Args:
        factor: ``(lower, upper)`` in ``[0, 1]``, or one number (read as Keras reads it: above).
        value_range: the pixels' range, ``(0, 255)`` by default (``(0, 1)`` after Rescaling).
        seed: a generator of the layer's own; by default the model's.
    """

    def forward(self, x, training=False):
        self.check_input(x)
        if not training:
            self.f = None
            return x
        lower, upper = self.factor
        self.f = self._draw(x, 1 - lower, 1 + upper)
        mean = x.mean(axis=(1, 2), keepdims=True)                 # each image's, channel by channel
        return self._clipped(mean + self.f * (x - mean))

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        if self.f is None:
            return dy
        g = dy * self.inside
        return self.f * g + (1 - self.f) * g.mean(axis=(1, 2), keepdims=True)


class RandomBrightness(RandomColor):
    """Add ``d * (high - low)``, ``d ~ U(lower, upper)``, to each training image.

    Args:
        factor: ``(lower, upper)`` in ``[-1, 1]``, or one number ``a`` for ``(-a, a)``.
        value_range: the pixels' range, ``(0, 255)`` by default (``(0, 1)`` after Rescaling).
        seed: a generator of the layer's own; by default the model's.
    """

    BOUNDS = (-1.0, 1.0)

    def forward(self, x, training=False):
        self.check_input(x)
        if not training:
            self.inside = None
            return x
        low, high = self.value_range
        return self._clipped(x + self._draw(x, *self.factor) * (high - low))

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        return dy if self.inside is None else dy * self.inside
