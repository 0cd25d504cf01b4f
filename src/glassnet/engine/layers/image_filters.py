"""Keras 3's image layers that mix each pixel with its neighbours, or cover a patch:
RandomGaussianBlur, RandomSharpness and RandomErasing.

Blur and sharpness filter each channel with a small symmetric kernel ``K``, zero-padded at
the edges ("same", as Keras's depthwise convolution)::

    blur(x)    = x * K,      K = k_rows k_cols^T, k(i) ~ exp(-(i - c)^2 / (2 sigma^2)), summed to 1
    sharpen(x) = x + (1 - 2f) (x * S - x),   S = [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13

A zero-padded filtering with a symmetric kernel is its own transpose, so the gradient is the
same filtering of ``dy``. Erasing replaces a random rectangle of chosen images by noise (or a
given value): the gradient of an erased pixel is zero.
"""

import numpy as np
from scipy import ndimage

from glassnet.engine.layers.image_augmentation import chosen, keras_factor
from glassnet.engine.layers.image_pixels import ValueRangeLayer


def gaussian_kernel(size, sigma):
    """Keras's 1-D Gaussian: ``size`` weights centred on the middle, summing to one."""
    offset = np.arange(size) - (size - 1) / 2
    kernel = np.exp(-0.5 * (offset / sigma) ** 2)
    return kernel / kernel.sum()


def filtered(images, rows_kernel, cols_kernel):
    """``(N, H, W, C)`` filtered along the rows and the columns, zero-padded ("same")."""
    out = ndimage.correlate1d(images, rows_kernel.astype(images.dtype), axis=1, mode="constant", cval=0.0)
    return ndimage.correlate1d(out, cols_kernel.astype(images.dtype), axis=2, mode="constant", cval=0.0)


def _odd_size(value):
    """Keras's kernel_size: one odd number or a pair of them."""
    sizes = tuple(value) if isinstance(value, (list, tuple)) else (value, value)
    if len(sizes) != 2 or any(isinstance(s, bool) or int(s) != s or s < 1 or s % 2 == 0 for s in sizes):
        raise ValueError(f"RandomGaussianBlur: kernel_size must be an odd number or a pair of them, got {value!r}")
    return tuple(int(s) for s in sizes)


class RandomGaussianBlur(ValueRangeLayer):
    """Blur chosen training images with a Gaussian (Keras 3); the batch shares one ``sigma``
    for the rows and one for the columns, drawn from ``(0, sigma)``.

    Args:
        factor: the chance that an image is blurred (each image draws it in ``(0, factor)``).
        kernel_size: the kernel's size, odd (default 3).
        sigma: the largest standard deviation, in [0, 1] (Keras's bound); or a pair.
        value_range: the pixels' range (the output is clipped to it).
        seed: a generator of the layer's own; by default the model's.
    """

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), data_format=None, seed=None,
                 **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = keras_factor(factor, (0, 1), "RandomGaussianBlur")
        self.kernel_size = _odd_size(kernel_size)
        self.sigma = keras_factor(sigma, (0, 1), "RandomGaussianBlur", "sigma")
        self.value_range = list(value_range)

    def augment(self, images):
        self.blurred = chosen(self.draws, len(images), self.factor)
        sigma = self.draws.uniform(*self.sigma, 2) + 1e-6
        self.kernels = (gaussian_kernel(self.kernel_size[1], sigma[1]), gaussian_kernel(self.kernel_size[0], sigma[0]))
        return self.clipped(np.where(self.blurred, filtered(images, *self.kernels), images))

    def augment_backward(self, dy):
        g = dy * self.inside
        return np.where(self.blurred, filtered(g, *self.kernels), g)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "kernel_size": list(self.kernel_size),
                "sigma": list(self.sigma)}


SHARPNESS_KERNEL = np.array([1, 5, 1]) / 13.0   # the middle row; the other rows are [1, 1, 1] / 13


def smoothed(images):
    """Keras's 3x3 smoothing ``[[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13``, zero-padded: a box
    of ones plus 4 times the centre."""
    ones = np.ones(3, dtype=images.dtype)
    return (filtered(images, ones, ones) + 4 * images) / 13.0


class RandomSharpness(ValueRangeLayer):
    """Sharpen or soften training images (Keras 3): ``y = clip(x + (1 - 2f)(smooth(x) - x))``,
    ``f ~ U(factor)`` per image: ``f = 0`` is the smoothed image, ``0.5`` the image itself,
    ``1`` sharper.

    Args:
        factor: one number in [0, 1] for ``(0, f)``, or a pair.
        value_range: the pixels' range (the output is clipped to it).
        seed: a generator of the layer's own; by default the model's.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = keras_factor(factor, (0, 1), "RandomSharpness")

    def augment(self, images):
        self.blend = 1 - 2 * self.draws.uniform(*self.factor, (len(images), 1, 1, 1)).astype(images.dtype)
        return self.clipped(images + self.blend * (smoothed(images) - images))

    def augment_backward(self, dy):
        g = dy * self.inside
        return g + smoothed(self.blend * g) - self.blend * g

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


def random_boxes(draws, n, height, width, ratios):
    """Keras's boxes for RandomErasing and CutMix: sides ``ratios * (width, height)`` (ratios
    ``(N, 2)``), placed uniformly inside the image; ``(x0, x1, y0, y1)``, each ``(N,)``."""
    corners = []
    for length, ratio in ((width, ratios[:, 0]), (height, ratios[:, 1])):
        side = ratio * length
        start = draws.random(n) * (length - side)
        corners += [start, start + side]
    return corners


def box_mask(height, width, corners):
    """``(N, H, W, 1)``: True at the pixels whose (column, row) falls in ``[x0, x1) x [y0, y1)``."""
    x0, x1, y0, y1 = (c[:, None, None, None] for c in corners)
    rows = np.arange(height)[None, :, None, None]
    cols = np.arange(width)[None, None, :, None]
    return (cols >= x0) & (cols < x1) & (rows >= y0) & (rows < y1)


class RandomErasing(ValueRangeLayer):
    """Erase a random rectangle of chosen training images (Keras 3): its sides are
    ``sqrt(s) * width`` and ``sqrt(s') * height`` with ``s, s' ~ U(scale)``, so it covers
    between ``scale[0]`` and ``scale[1]`` of the image.

    Args:
        factor: the chance that an image is erased (each image draws it in ``(0, factor)``).
        scale: ``(lower, upper)`` in [0, 1] (default ``(0.02, 0.33)``).
        fill_value: what the rectangle holds: None (default) Keras's noise,
            ``N(0, 1) * high`` clipped to the range; a number; or one per channel (3).
        value_range: the pixels' range.
        seed: a generator of the layer's own; by default the model's.
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = keras_factor(factor, (0, 1), "RandomErasing")
        self.scale = keras_factor(scale, (0, 1), "RandomErasing", "scale")
        if fill_value is not None and not (isinstance(fill_value, (int, float)) or
                                           (isinstance(fill_value, (list, tuple)) and len(fill_value) == 3)):
            raise ValueError(f"RandomErasing: fill_value must be None, a number or three numbers, got {fill_value!r}")
        self.fill_value = list(fill_value) if isinstance(fill_value, (list, tuple)) else fill_value
        self.value_range = list(value_range)

    def augment(self, images):
        n, height, width, _ = images.shape
        ratios = np.sqrt(self.draws.uniform(*self.scale, (n, 2)))
        corners = random_boxes(self.draws, n, height, width, ratios)
        self.erased = box_mask(height, width, corners) & chosen(self.draws, n, self.factor)
        if self.fill_value is None:
            fill = self.draws.standard_normal(images.shape) * self.value_range[1]
        else:
            fill = np.broadcast_to(np.asarray(self.fill_value, dtype=np.float64), images.shape)
        fill = np.clip(fill, *self.value_range).astype(images.dtype)
        return np.where(self.erased, fill, images)

    def augment_backward(self, dy):
        return np.where(self.erased, 0, dy)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "scale": list(self.scale),
                "fill_value": self.fill_value}


__all__ = ["RandomErasing", "RandomGaussianBlur", "RandomSharpness", "box_mask", "gaussian_kernel", "random_boxes"]
