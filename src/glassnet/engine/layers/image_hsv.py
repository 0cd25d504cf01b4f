"""Keras 3's colour layers that work in hue, saturation and value (HSV): RandomSaturation,
RandomHue, and RandomColorJitter, which runs brightness, contrast, saturation and hue in turn.

In HSV a pixel's value is its largest channel ``V``, its chroma ``C = V - m`` (``m`` the
smallest), its saturation ``S = C / V``, and its hue says where the third channel sits
between them. Keras converts to HSV, changes ``S`` or ``H`` and converts back; glassnet
writes the same round trip straight in RGB, which also gives the gradient::

    saturation   y_c = V - (V - x_c) S' / S,      S' = clip(S f, low, high),  f = u / (1 - u)
    hue          y_c = V - C g_c(h + delta),       g_c(h) = clip(min(k, 4 - k), 0, 1),
                                                   k = (n_c + 6 h) mod 6, n = (5, 3, 1) for R, G, B

Both are linear in the pixel's channels within each region where the channels keep their
order (and the hue its sector), so backward sends each output's gradient to the channels
that set it: the largest, the smallest, and the two that set the hue.
"""

import numpy as np

from glassnet.engine.layers.image_augmentation import (ImageAugmentation, checked_range, keras_factor,
                                                       run_backward, run_forward)
from glassnet.engine.layers.image_pixels import ValueRangeLayer
from glassnet.engine.layers.random_color import RandomBrightness, RandomContrast
from glassnet.engine.shapes import SampleShape

EPSILON = 1e-7                 # Keras's epsilon() in RandomSaturation's f = u / (1 - u + epsilon)
HUE_OFFSETS = np.array([5, 3, 1])
AFTER = np.array([1, 2, 0])    # the hue's numerator is x[AFTER[top]] - x[BEFORE[top]]
BEFORE = np.array([2, 0, 1])


def require_rgb(layer, images):
    if images.shape[-1] != 3:
        raise ValueError(f"{type(layer).__name__} needs RGB images (3 channels), got images of shape {images.shape}")


def _add_to_channel(dx, channel, value):
    """``dx[..., channel] += value`` pixel by pixel (``channel`` an index per pixel)."""
    np.add.at(dx, tuple(np.indices(channel.shape)) + (channel,), value)


class RandomSaturation(ValueRangeLayer):
    """Scale each training image's saturation by ``f = u / (1 - u)``, ``u ~ U(factor)``
    (Keras 3): ``u = 0.5`` leaves the image, ``0`` makes it grey, near 1 fully saturated.

    Args:
        factor: ``u``'s range, one number ``a`` in [0, 1] for ``(-a, a)`` (Keras's reading), or a pair.
        value_range: the pixels' range.
        seed: a generator of the layer's own; by default the model's.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = keras_factor(factor, (-1, 1), "RandomSaturation")

    def augment(self, images):
        require_rgb(self, images)
        u = self.draws.uniform(*self.factor, (len(images), 1, 1))
        f = u / (1 - u + EPSILON)
        self.x, self.top, self.bottom = images, images.argmax(-1), images.argmin(-1)
        self.V, m = images.max(-1), images.min(-1)
        chroma = self.V - m
        s = np.where(self.V > 0, chroma / np.where(self.V > 0, self.V, 1), 0)
        self.target = np.clip(s * f, *self.value_range)
        self.clipped_s = self.target != s * f                     # S' set by the clip, not by f
        self.ratio = np.where(s > 0, self.target / np.where(s > 0, s, 1), 0)
        self.m, self.chroma = m, chroma
        return self.V[..., None] - (self.V[..., None] - images) * self.ratio[..., None]

    def augment_backward(self, dy):
        r = self.ratio[..., None]
        dx = dy * r
        to_top = (dy * (1 - r)).sum(-1)
        # where S' is clipped, r = S' V / C also moves with V and m: dr = S' (V dm - m dV) / C^2
        spread = (dy * (self.V[..., None] - self.x)).sum(-1)
        pull = np.where(self.clipped_s & (self.chroma > 0), self.target / np.maximum(self.chroma, 1e-12) ** 2, 0)
        _add_to_channel(dx, self.top, to_top + spread * pull * self.m)
        _add_to_channel(dx, self.bottom, -spread * pull * self.V)
        return dx

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class RandomHue(ValueRangeLayer):
    """Turn each training image's hue by ``delta = +-u / 2``, ``u ~ U(factor)`` (a random
    direction per image) around the colour wheel (Keras 3); the result is clipped to the range.

    Args:
        factor: ``u``'s range, one number in [0, 1] for ``(0, f)``, or a pair.
        value_range: the pixels' range.
        seed: a generator of the layer's own; by default the model's.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = keras_factor(factor, (0, 1), "RandomHue")
        self.value_range = list(value_range)

    def augment(self, images):
        require_rgb(self, images)
        n, (low, high) = len(images), self.value_range
        sign = np.where(self.draws.random(n) > 0.5, -1.0, 1.0)
        delta = (sign * self.draws.uniform(*self.factor, n) * 0.5)[:, None, None]
        x = (images - low) / (high - low)                                  # 0..1
        self.top, self.bottom = x.argmax(-1), x.argmin(-1)
        V, chroma = x.max(-1), x.max(-1) - x.min(-1)
        self.num = np.take_along_axis(x, AFTER[self.top][..., None], -1)[..., 0] - \
            np.take_along_axis(x, BEFORE[self.top][..., None], -1)[..., 0]
        self.chroma = np.where(chroma > 0, chroma, 1)
        hue = np.where(chroma > 0, ((2 * self.top + self.num / self.chroma) / 6) % 1, 0)
        hue = hue + delta
        hue = np.where(hue > 1, hue - 1, np.where(hue < 0, hue + 1, hue))
        k = (HUE_OFFSETS + 6 * hue[..., None]) % 6
        self.g = np.clip(np.minimum(k, 4 - k), 0, 1)
        self.slope = np.where((k > 0) & (k < 1), 1.0, np.where((k > 3) & (k < 4), -1.0, 0.0))
        self.grey = chroma == 0
        y = V[..., None] - chroma[..., None] * self.g
        self.inside = (y >= 0) & (y <= 1)
        return np.clip(y, 0, 1) * (high - low) + low

    def augment_backward(self, dy):
        g = dy * self.inside
        to_value = g.sum(-1)
        to_chroma = np.where(self.grey, 0, -(g * self.g).sum(-1) + (g * self.slope).sum(-1) * self.num / self.chroma)
        to_num = np.where(self.grey, 0, -(g * self.slope).sum(-1))
        dx = np.zeros_like(dy)
        _add_to_channel(dx, self.top, to_value + to_chroma)
        _add_to_channel(dx, self.bottom, -to_chroma)
        _add_to_channel(dx, AFTER[self.top], to_num)
        _add_to_channel(dx, BEFORE[self.top], -to_num)
        return dx

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class RandomColorJitter(ImageAugmentation):
    """Keras 3's colour jitter: RandomBrightness, RandomContrast, RandomSaturation and RandomHue
    in turn, each only if its factor is given, each drawing its own numbers per image.

    Args:
        value_range: the pixels' range.
        brightness_factor, contrast_factor, saturation_factor, hue_factor: each layer's
            ``factor`` (None: that layer is left out).
        seed: a generator of the layer's own; by default the model's.
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None, saturation_factor=None,
                 hue_factor=None, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = checked_range(value_range, "RandomColorJitter")
        self.factors = {"brightness_factor": brightness_factor, "contrast_factor": contrast_factor,
                        "saturation_factor": saturation_factor, "hue_factor": hue_factor}
        kinds = (RandomBrightness, RandomContrast, RandomSaturation, RandomHue)
        self.jitters = [kind(factor=factor, value_range=self.value_range)
                        for kind, factor in zip(kinds, self.factors.values()) if factor is not None]

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        for layer in self.jitters:
            layer.build(SampleShape(self.input_shape), self.draws)

    def augment(self, images):
        images, self.ran = run_forward(self.jitters, images, self.draws)
        return images

    def augment_backward(self, dy):
        return run_backward(self.ran, dy)

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range), **self.factors}


__all__ = ["RandomColorJitter", "RandomHue", "RandomSaturation"]
