"""Keras 3's image layers that move pixels: RandomShear, RandomPerspective and
RandomElasticTransform.

Like RandomRotation (:class:`glassnet.engine.layers.preprocessing.RandomAffine`), each output
pixel ``(x, y)`` (column, row) reads the input at a point of its own, by bilinear (or
nearest) interpolation, and the gradient goes back through the transpose of that reading
(:class:`glassnet.datasets.augment.Resampler`)::

    shear          (x + s_x y,  s_y x + y)                     s ~ U(factor), one sign per image
    perspective    ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k),  k = c0 x + c1 y + 1:
                   the homography that takes the four corners to four jittered corners
    elastic        (x + alpha dx, y + alpha dy): dx, dy Gaussian noise, blurred by sigma
"""

import numpy as np

from glassnet.datasets.augment import FILL_MODES, INTERPOLATIONS, Resampler
from glassnet.engine.layers.image_augmentation import ImageAugmentation, chosen, keras_factor
from glassnet.engine.layers.image_filters import filtered, gaussian_kernel
from glassnet.engine.layers.image_pixels import ValueRangeLayer
from glassnet.engine.layers.preprocessing import RandomAffine


class RandomShear(ImageAugmentation, RandomAffine):
    """Shear each training image by a random amount (Keras 3): the output pixel ``(x, y)``
    reads the input at ``(x + s_x y, s_y x + y)``, about the top-left corner, as Keras does.

    Args:
        x_factor: ``s_x ~ U(-f, f)`` for one number ``f`` in [0, 1], or a pair's range.
        y_factor: the same for ``s_y``.
        interpolation, fill_mode, fill_value, seed: see :class:`RandomAffine`.
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 data_format=None, seed=None, **kwargs):
        RandomAffine.__init__(self, fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.applied = False
        self.x_factor, self.y_factor = _shear_factor(x_factor, "x_factor"), _shear_factor(y_factor, "y_factor")

    forward = RandomAffine.forward
    backward = RandomAffine.backward

    def random_maps(self, n, height, width, rng):
        sign = np.where(rng.random(n) > 0.5, -1.0, 1.0)
        shear_y = rng.uniform(*self.y_factor, n) * sign
        shear_x = rng.uniform(*self.x_factor, n) * sign
        one, zero = np.ones(n), np.zeros(n)
        return np.stack([one, shear_x, zero, shear_y, one, zero, zero, zero], axis=1)

    def get_config(self):
        return {**RandomAffine.get_config(self), "data_format": "channels_last", "x_factor": list(self.x_factor),
                "y_factor": list(self.y_factor)}


def _shear_factor(value, name):
    """RandomShear's factors, in [0, 1]: a number ``f`` means ``(-f, f)``, a pair its range."""
    if isinstance(value, (list, tuple)):
        return keras_factor(value, (0, 1), "RandomShear", name)
    lower, upper = keras_factor(value, (0, 1), "RandomShear", name)
    return -upper, upper


class PointReader(ImageAugmentation):
    """What perspective and elastic share: chosen images read at points of their own
    (``self.points(images)`` gives ``rows, cols``, each ``(N, H, W)``), the rest as they are."""

    abstract = True

    def _check_reading(self, interpolation, fill_mode="constant"):
        owner = type(self).__name__
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"{owner}: interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
        if fill_mode not in FILL_MODES:
            raise ValueError(f"{owner}: fill_mode must be one of {', '.join(FILL_MODES)}, got {fill_mode!r}")
        self.interpolation, self.fill_mode = interpolation, fill_mode

    def read(self, images, rows, cols):
        n, height, width, _ = images.shape
        limit = 2.0 * max(height, width)                  # far outside is as good as anywhere outside
        rows = np.clip(np.nan_to_num(rows, nan=-limit), -limit, limit)
        cols = np.clip(np.nan_to_num(cols, nan=-limit), -limit, limit)
        self.resampler = Resampler(rows, cols, height, width, self.fill_mode, self.interpolation)
        return self.resampler(images, self.fill_value)

    def read_backward(self, dy):
        return np.where(self.moved, self.resampler.transpose(dy), dy)


class RandomPerspective(PointReader):
    """Look at chosen training images from a random angle (Keras 3): each corner ``p`` of the
    image moves to ``p + p * u``, ``u ~ U(-scale / 2, scale / 2)`` for each coordinate, and
    the image follows that homography; what comes from outside is ``fill_value``.

    Args:
        factor: the chance that an image is changed (each image draws it in ``(0, factor)``).
        scale: how far the corners move, in [0, 1] (default 1).
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_value: the value read outside the image.
        seed: a generator of the layer's own; by default the model's.
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0, seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(factor, (0, 1), "RandomPerspective")
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 <= scale <= 1:
            raise ValueError(f"RandomPerspective: scale must be a number in [0, 1], got {scale!r}")
        self.scale, self.fill_value = scale, fill_value
        self._check_reading(interpolation)

    def augment(self, images):
        n, height, width, _ = images.shape
        self.moved = chosen(self.draws, n, self.factor)
        jitter = self.draws.uniform(-0.5 * self.scale, 0.5 * self.scale, (n, 4, 2))
        corners = np.array([[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]])
        h = homographies(corners + corners * jitter, np.broadcast_to(corners, (n, 4, 2)))
        h[~self.moved.ravel()] = [1, 0, 0, 0, 1, 0, 0, 0]        # the others read themselves
        return self.read(images, *projective_points(h, height, width))

    def augment_backward(self, dy):
        return self.read_backward(dy)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


def homographies(sources, targets):
    """``(N, 8)``: the maps that take each of the four ``sources`` points ``(N, 4, 2)`` (x, y)
    to its ``targets`` point, ``target = ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``,
    ``k = c0 x + c1 y + 1``: eight linear equations in the eight numbers."""
    x, y = sources[..., 0], sources[..., 1]
    u, v = targets[..., 0], targets[..., 1]
    one, zero = np.ones_like(x), np.zeros_like(x)
    rows_u = np.stack([x, y, one, zero, zero, zero, -u * x, -u * y], -1)    # (N, 4, 8)
    rows_v = np.stack([zero, zero, zero, x, y, one, -v * x, -v * y], -1)
    a = np.concatenate([rows_u, rows_v], axis=1)                           # (N, 8, 8)
    b = np.concatenate([u, v], axis=1)                                     # (N, 8)
    return np.linalg.solve(a, b[..., None])[..., 0]


def projective_points(h, height, width):
    """``rows, cols`` ``(N, H, W)``: where each output pixel reads, for the maps ``h`` ``(N, 8)``
    (TensorFlow's ``ImageProjectiveTransform``'s eight numbers, as :func:`homographies` gives)."""
    x = np.arange(width, dtype=np.float64)[None, None, :]
    y = np.arange(height, dtype=np.float64)[None, :, None]
    a0, a1, a2, b0, b1, b2, c0, c1 = (h[:, i, None, None] for i in range(8))
    k = c0 * x + c1 * y + 1
    return (b0 * x + b1 * y + b2) / k, (a0 * x + a1 * y + a2) / k


class RandomElasticTransform(PointReader, ValueRangeLayer):
    """Bend chosen training images like rubber (Keras 3): every pixel moves by smooth random
    amounts, ``alpha = 0.1 d max(H, W)`` times Gaussian noise blurred with
    ``sigma = 0.05 d min(H, W)`` (``d ~ U(scale)``, one for the batch); then clipped to the
    value range. (Keras 3.15 draws the same noise for both directions, so its pixels move
    only along the diagonal; glassnet draws the two independently.)

    Args:
        factor: the chance that an image is changed (each image draws it in ``(0, factor)``).
        scale: ``d``'s range, one number in [0, 1] for ``(0, d)``.
        interpolation, fill_mode, fill_value: how points are read (see :class:`RandomAffine`).
        value_range: the pixels' range.
        seed: a generator of the layer's own; by default the model's.
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 value_range=(0, 255), seed=None, data_format=None, **kwargs):
        ValueRangeLayer.__init__(self, value_range, seed, data_format, **kwargs)
        self.factor = keras_factor(factor, (0, 1), "RandomElasticTransform")
        self.scale = keras_factor(scale, (0, 1), "RandomElasticTransform", "scale")
        self.fill_value = fill_value
        self.value_range = list(value_range)
        self._check_reading(interpolation, fill_mode)

    def augment(self, images):
        n, height, width, _ = images.shape
        self.moved = chosen(self.draws, n, self.factor)
        d = self.draws.uniform(*self.scale)
        alpha, sigma = max(height, width) * 0.1 * d, min(height, width) * 0.05 * d
        kernel = gaussian_kernel(6 * int(sigma) | 1, sigma + 1e-12)
        noise = self.draws.standard_normal((n, height, width, 2)) * sigma
        shift = filtered(noise, kernel, kernel) * alpha                     # (N, H, W, 2): dx, dy
        rows = np.arange(height)[None, :, None] + shift[..., 1]
        cols = np.arange(width)[None, None, :] + shift[..., 0]
        read = self.read(images, rows, cols)
        return self.clipped(np.where(self.moved, read, images))

    def augment_backward(self, dy):
        return self.read_backward(dy * self.inside)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "scale": list(self.scale),
                "interpolation": self.interpolation, "fill_mode": self.fill_mode, "fill_value": self.fill_value}


__all__ = ["RandomElasticTransform", "RandomPerspective", "RandomShear", "homographies", "projective_points"]
