"""Keras 3's pixel-by-pixel image layers: each output pixel depends on its own input pixel
(and on per-image numbers such as the image's darkest pixel). Formulas as Keras 3.15
computes them, in a 0..255 scale (``t = to_255(x)``), ``value_range`` mapping back::

    RandomInvert              y = high - x                        (chosen images)
    AutoContrast              y = (x - min) / (max - min) * (high - low) + low   (per image, channel)
    Solarization              r = clip(t + a, 0, 255);  y = r if r < threshold else 255 - r
    RandomGrayscale           y = 0.2989 R + 0.5870 G + 0.1140 B in every channel (chosen images)
    RandomColorDegeneration   y = clip(x + f (grey(x) - x))       f ~ U(factor) per image
    RandomPosterization       y = (t >> s) << s, keeping 8 - s bits  (per image)
    Equalization              y = lookup(t): the histogram's cumulative sum, stretched to 0..255

Backward: the first five are linear where they don't clip, so the gradient is the same
linear map's transpose (a clipped pixel gets none; AutoContrast's also flows to each image's
darkest and brightest pixel, which set its stretch). Posterization and Equalization are
piecewise constant in ``x``: their gradient is zero.
"""

import numpy as np

from glassnet.engine.layers.image_augmentation import (ImageAugmentation, checked_range, chosen, from_255,
                                                       grayscale, grayscale_transpose, keras_factor, to_255)


class ValueRangeLayer(ImageAugmentation):
    """An augmentation with Keras's ``value_range`` (the pixels' range, ``(0, 255)`` by default)."""

    abstract = True

    def __init__(self, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = checked_range(value_range, type(self).__name__)

    def clipped(self, y):
        """``y`` clipped to the value range; ``self.inside`` keeps where the gradient passes."""
        low, high = self.value_range
        self.inside = (y >= low) & (y <= high)
        return np.clip(y, low, high)

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range)}


class RandomInvert(ValueRangeLayer):
    """Invert chosen training images, ``y = high - x`` (Keras 3).

    Args:
        factor: the chance that an image is inverted: each image draws a chance in
            ``(0, factor)`` (or in a pair's range); ``1.0`` (default) inverts about half,
            ``(1, 1)`` every one.
        value_range: the pixels' range; ``high`` is its upper end.
        seed: a generator of the layer's own; by default the model's.
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = keras_factor(factor, (0, 1), "RandomInvert")

    def augment(self, images):
        self.flipped = chosen(self.draws, len(images), self.factor)
        return np.where(self.flipped, self.value_range[1] - images, images)

    def augment_backward(self, dy):
        return np.where(self.flipped, -dy, dy)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class AutoContrast(ValueRangeLayer):
    """Stretch each image, channel by channel, so that its darkest pixel becomes ``low`` and
    its brightest ``high`` (Keras 3; in training and in inference, as in Keras). A flat
    channel (``min == max``) stays as it is.

    Args:
        value_range: the pixels' range, ``(0, 255)`` by default.
    """

    in_inference = True
    seeded = False

    def __init__(self, value_range=(0, 255), data_format=None, **kwargs):
        super().__init__(value_range, None, data_format, **kwargs)

    def augment(self, images):
        low, high = self.value_range
        self.darkest = images.min(axis=(1, 2), keepdims=True)       # (N, 1, 1, C)
        self.brightest = images.max(axis=(1, 2), keepdims=True)
        spread = self.brightest - self.darkest
        self.flat = spread == 0
        self.scale = (high - low) / np.where(self.flat, 1, spread)
        self.images = images
        stretched = np.clip((images - self.darkest) * self.scale + low, low, high)   # (rounding kept in range)
        return np.where(self.flat, images, stretched)

    def augment_backward(self, dy):
        # y = (x - lo) s + low with s = (high - low) / (hi - lo): dy/dx directly is s; through
        # lo each pixel adds s (u - 1), through hi -s u, where u = (x - lo) / (hi - lo).
        n, h, w, c = dy.shape
        u = (self.images - self.darkest) * self.scale / (self.value_range[1] - self.value_range[0])
        through_low = (dy * self.scale * (u - 1)).sum(axis=(1, 2))   # (N, C)
        through_high = -(dy * self.scale * u).sum(axis=(1, 2))
        dx = (dy * self.scale).reshape(n, h * w, c)
        flat_images = self.images.reshape(n, h * w, c)
        for index, share in ((flat_images.argmin(axis=1), through_low), (flat_images.argmax(axis=1), through_high)):
            np.add.at(dx, (np.arange(n)[:, None], index, np.arange(c)), share)
        return np.where(self.flat, dy, dx.reshape(dy.shape))


class Solarization(ValueRangeLayer):
    """Solarize training images (Keras 3): add ``a`` (times 255 in the 0..255 scale), then
    turn every pixel at or above a threshold upside down, ``255 - r``.

    Args:
        addition_factor: ``a ~ U(lower, upper * 255)`` per image (Keras's formula); one
            number ``f`` means ``(0, f)``; default 0.
        threshold_factor: the threshold ``~ U(lower, upper * 255)``; default 0 (every pixel
            is solarized, ``y = 255 - x``).
        value_range: the pixels' range.
        seed: a generator of the layer's own; by default the model's.
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.addition_factor = _unit_factor(addition_factor, "addition_factor")
        self.threshold_factor = _unit_factor(threshold_factor, "threshold_factor")

    def augment(self, images):
        n = (len(images), 1, 1, 1)
        addition = self.draws.uniform(self.addition_factor[0], self.addition_factor[1] * 255, n)
        threshold = self.draws.uniform(self.threshold_factor[0], self.threshold_factor[1] * 255, n)
        r = to_255(images, self.value_range) + addition
        self.inside = (r >= 0) & (r <= 255)
        r = np.clip(r, 0, 255)
        self.kept = r < threshold
        return from_255(np.where(self.kept, r, 255 - r), self.value_range)

    def augment_backward(self, dy):
        return dy * self.inside * np.where(self.kept, 1, -1)

    def get_config(self):
        return {**super().get_config(), "addition_factor": list(self.addition_factor),
                "threshold_factor": list(self.threshold_factor)}


def _unit_factor(value, name):
    """Solarization's factors: a number ``f`` in [0, 1] means ``(0, f)``, a pair its range."""
    lower, upper = keras_factor(value, (0, 1), "Solarization", name)
    if isinstance(value, (list, tuple)) and not (0 <= lower and upper <= 1):
        raise ValueError(f"Solarization: {name} must lie in [0, 1], got {value!r}")
    return lower, upper


class RandomGrayscale(ImageAugmentation):
    """Turn chosen training images grey (Keras 3): each channel becomes
    ``0.2989 R + 0.5870 G + 0.1140 B``, so the shape is kept. A grey image stays as it is.

    Args:
        factor: the chance, in [0, 1], that an image is turned grey (default 0.5).
        seed: a generator of the layer's own; by default the model's.
    """

    seeded = False      # Keras's config has no seed

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 <= factor <= 1:
            raise ValueError(f"RandomGrayscale: factor must be a number in [0, 1], got {factor!r}")
        self.factor = factor

    def augment(self, images):
        self.grey = self.draws.random(len(images))[:, None, None, None] < self.factor
        return np.where(self.grey, grayscale(images), images)

    def augment_backward(self, dy):
        return np.where(self.grey, grayscale_transpose(dy.sum(axis=-1, keepdims=True), dy.shape[-1]), dy)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomColorDegeneration(ValueRangeLayer):
    """Move each training image toward its grey version by ``f ~ U(factor)`` (Keras 3):
    ``y = clip(x + f (grey(x) - x))``; ``f < 0`` makes the colours stronger.

    Args:
        factor: one number ``f`` in [0, 1] for ``(-f, f)``, or a pair.
        value_range: the pixels' range (the output is clipped to it).
        seed: a generator of the layer's own; by default the model's.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = keras_factor(factor, (-1, 1), "RandomColorDegeneration")

    def augment(self, images):
        self.f = self.draws.uniform(*self.factor, (len(images), 1, 1, 1)).astype(images.dtype)
        return self.clipped(images + self.f * (grayscale(images) - images))

    def augment_backward(self, dy):
        g = dy * self.inside
        return (1 - self.f) * g + grayscale_transpose((self.f * g).sum(axis=-1, keepdims=True), g.shape[-1])

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class RandomPosterization(ValueRangeLayer):
    """Keep only the ``b`` highest bits of each 0..255 pixel of a training image (Keras 3):
    ``b`` is drawn per image from ``[lower, upper)`` (``factor`` in [1, 8]; one number ``f``
    means ``(1, f)``), so ``RandomPosterization(4)`` leaves 2, 4 or 8 levels per channel.

    Args:
        factor: the number of bits kept (above).
        value_range: the pixels' range.
        seed: a generator of the layer's own; by default the model's.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = keras_factor(factor, (1, 8), "RandomPosterization")

    def augment(self, images):
        low, high = int(self.factor[0]), int(self.factor[1])
        bits = self.draws.integers(low, high, len(images)) if low != high else np.full(len(images), low)
        shift = (8 - bits).astype(np.uint8)[:, None, None, None]
        t = np.clip(to_255(images, self.value_range), 0, 255).astype(np.uint8)
        return from_255(((t >> shift) << shift).astype(images.dtype), self.value_range)

    def augment_backward(self, dy):
        return np.zeros_like(dy)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class Equalization(ValueRangeLayer):
    """Histogram equalization, channel by channel (Keras 3): pixel values are spread so that
    each of ``bins`` levels is about as common as the others. As in Keras 3.15, a channel's
    histogram is counted over the whole batch (one image called alone: that image's), and a
    channel with a single level is left as it is. In training only.

    Args:
        value_range: the pixels' range.
        bins: the histogram's number of bins (256 by default, one per 8-bit level).
    """

    seeded = False

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(value_range, None, data_format, **kwargs)
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
            raise ValueError(f"Equalization: bins must be a whole number >= 2, got {bins!r}")
        self.bins = bins

    def augment(self, images):
        t = to_255(images, self.value_range).astype(np.float32)
        counted = np.clip((t * ((self.bins - 1) / 255.0)).astype(np.int32), 0, self.bins - 1)
        channels = images.shape[-1]
        # one histogram per channel: bin b of channel c is counted at c * bins + b
        offsets = np.arange(channels) * self.bins
        hist = np.bincount((counted + offsets).ravel(), minlength=channels * self.bins).reshape(channels, -1)
        cdf = np.cumsum(hist, axis=1)                                     # (C, bins)
        first = cdf[np.arange(channels), (cdf > 0).argmax(axis=1)][:, None]
        spread = cdf[:, -1:] - first
        table = np.clip(np.round((cdf - first) * 255 / np.where(spread == 0, 1, spread)), 0, 255)
        looked_up = np.clip(t / 255.0 * (self.bins - 1), 0, self.bins - 1).astype(np.int32)
        equalized = table[np.arange(channels), looked_up]                 # (N, H, W, C)
        single = (hist > 0).sum(axis=1) <= 1                              # (C,): left as it is
        return np.where(single, images, from_255(equalized, self.value_range))

    def augment_backward(self, dy):
        return np.zeros_like(dy)

    def get_config(self):
        return {**super().get_config(), "bins": self.bins}


__all__ = ["AutoContrast", "Equalization", "RandomColorDegeneration", "RandomGrayscale", "RandomInvert",
           "RandomPosterization", "Solarization"]
