"""Data augmentation for digits: new training images made on the fly from the old ones.

A network sees each of the 60,000 MNIST digits once per epoch and, after a few epochs, starts
to learn those exact images. Showing it a slightly moved, turned, stretched or wobbled copy
of each digit instead, a new one every epoch, teaches it what does not change a digit's
class. This is the single most effective fix for overfitting on MNIST.

Every change here maps each output pixel back to a point of the input image and reads the
input there (bilinear interpolation)::

    input_point = A @ (output_pixel - centre) + centre + shift (+ elastic wobble)

``A`` turns (rotation), slants (shear) and scales (zoom). The elastic wobble is the
distortion of Simard, Steinkraus and Platt (2003): a random displacement per pixel,
smoothed with a Gaussian of width ``sigma`` so that neighbours move together, and scaled
by ``alpha``. It imitates the wobble of a real pen.

Digits are never mirrored: a mirrored 2 is not a 2. Every ``A`` keeps orientation
(its determinant is positive), and the ranges are limited so that none can flip a digit.

Speed: it runs on every batch, so the whole batch is done in one
``scipy.ndimage.map_coordinates`` call: the batch is one 3-D volume ``(N, H, W)`` and every
output pixel gets the coordinates ``(n, row, col)`` to read from. With linear interpolation
(``order=1``) a sample index ``n`` that is a whole number reads only from its own image.

Use::

    model.fit(x, y, augment=augment)                     # the default settings
    model.fit(x, y, augment=DigitAugmentation(rotation_range=15, elastic_alpha=34))
"""

import math

import numpy as np
from scipy import ndimage

from glassnet.errors import ShapeError


def _check_range(label, value, low, high, high_inclusive=True):
    ok = low <= value <= high if high_inclusive else low <= value < high
    if not ok:
        bracket = "]" if high_inclusive else ")"
        raise ValueError(f"DigitAugmentation: {label} must be in [{low}, {high}{bracket}, got {value!r}")
    return float(value)


class DigitAugmentation:
    """Random shift, rotation, zoom, shear and elastic distortion, per image.

    Called as ``augmentation(x_batch, rng)``; every random number comes from ``rng``, so the
    model's seed makes the augmented batches reproducible. The arguments are those of
    Keras' ``ImageDataGenerator`` where it has them.

    Args:
        rotation_range: turn by up to this many degrees either way (at most 90).
        width_shift_range, height_shift_range: move by up to this fraction of the width /
            height either way.
        zoom_range: scale each axis by a factor in ``[1 - zoom_range, 1 + zoom_range]``, in
            ``[0, 1)`` so the factor stays positive (a negative one would mirror).
        shear_range: slant by up to this many degrees either way (at most 60).
        elastic_alpha: strength of the elastic distortion, in pixels (Simard: 34; 0 = off).
        elastic_sigma: smoothness of the elastic distortion, in pixels (Simard: 4).

    Input: ``(N, H, W)``, ``(N, H, W, 1)`` or flat ``(N, H*W)`` with a square ``H*W``.
    Output: the same shape and dtype.
    """

    def __init__(self, rotation_range=10.0, width_shift_range=0.1, height_shift_range=0.1,
                 zoom_range=0.1, shear_range=0.0, elastic_alpha=0.0, elastic_sigma=4.0):
        self.rotation_range = _check_range("rotation_range", rotation_range, 0, 90)
        self.width_shift_range = _check_range("width_shift_range", width_shift_range, 0, 1, False)
        self.height_shift_range = _check_range("height_shift_range", height_shift_range, 0, 1, False)
        self.zoom_range = _check_range("zoom_range", zoom_range, 0, 1, False)
        self.shear_range = _check_range("shear_range", shear_range, 0, 60)
        self.elastic_alpha = _check_range("elastic_alpha", elastic_alpha, 0, math.inf)
        if not elastic_sigma > 0:
            raise ValueError(f"DigitAugmentation: elastic_sigma must be > 0, got {elastic_sigma!r}")
        self.elastic_sigma = float(elastic_sigma)

    def matrices(self, n, rng):
        """``n`` random 2x2 matrices ``A`` (rotation @ shear @ zoom), in (row, col) coordinates.

        Returns an array of shape ``(n, 2, 2)``; each determinant is
        ``zoom_row * zoom_col * cos(shear) > 0``, so no matrix mirrors.
        """
        angle = np.deg2rad(rng.uniform(-self.rotation_range, self.rotation_range, n))
        shear = np.deg2rad(rng.uniform(-self.shear_range, self.shear_range, n))
        zoom = rng.uniform(1 - self.zoom_range, 1 + self.zoom_range, (n, 2))
        cos, sin = np.cos(angle), np.sin(angle)
        rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)   # (n, 2, 2)
        slant = np.zeros((n, 2, 2))
        slant[:, 0, 0] = 1
        slant[:, 0, 1] = -np.sin(shear)     # rows move in proportion to the column: a slant
        slant[:, 1, 1] = np.cos(shear)
        return (rotation @ slant) * zoom[:, np.newaxis, :]   # @ diag(zoom): scales the columns

    def coordinates(self, n, height, width, rng):
        """Where each output pixel reads from: shape ``(3, n, height, width)`` as (sample, row, col)."""
        A = self.matrices(n, rng)                                                 # (n, 2, 2)
        shift = rng.uniform(-1, 1, (n, 2)) * [self.height_shift_range * height,
                                              self.width_shift_range * width]
        centre = np.array([(height - 1) / 2, (width - 1) / 2])
        start = (centre + shift)[:, :, np.newaxis, np.newaxis]                    # (n, 2, 1, 1)
        down = (np.arange(height) - centre[0])[:, np.newaxis]                     # (H, 1)
        across = np.arange(width) - centre[1]                                     # (W,)
        points = np.empty((3, n, height, width))
        points[0] = np.arange(n)[:, np.newaxis, np.newaxis]     # each pixel reads its own image
        for axis in (0, 1):   # row, then column: A[axis] . (down, across) + centre + shift
            a = A[:, axis, :, np.newaxis, np.newaxis]                             # (n, 2, 1, 1)
            target = points[1 + axis]
            np.multiply(a[:, 0], down, out=target)
            target += a[:, 1] * across
            target += start[:, axis]
        if self.elastic_alpha:
            # Simard's distortion: uniform noise in [-1, 1], smoothed over each image only
            # (sigma 0 along the batch axis), then scaled to alpha pixels.
            noise = rng.uniform(-1, 1, (2, n, height, width))
            points[1:] += self.elastic_alpha * ndimage.gaussian_filter(
                noise, sigma=(0, 0, self.elastic_sigma, self.elastic_sigma), mode="constant")
        return points

    def __call__(self, x, rng):
        x = np.asarray(x)
        images = _as_images(x)
        n, height, width = images.shape
        work = images if images.dtype.kind == "f" else images.astype(np.float32)
        # Points outside the image read black (cval=0), the background of MNIST digits.
        out = ndimage.map_coordinates(work, self.coordinates(n, height, width, rng), order=1,
                                      mode="constant", cval=0.0, output=work.dtype)
        if x.dtype.kind != "f":   # integer pixels stay integer pixels
            out = np.clip(np.rint(out), np.iinfo(x.dtype).min, np.iinfo(x.dtype).max)
        return out.astype(x.dtype, copy=False).reshape(x.shape)

    def get_config(self):
        return {key: getattr(self, key) for key in (
            "rotation_range", "width_shift_range", "height_shift_range", "zoom_range",
            "shear_range", "elastic_alpha", "elastic_sigma")}

    def __repr__(self):
        args = ", ".join(f"{k}={v:g}" for k, v in self.get_config().items())
        return f"DigitAugmentation({args})"


def _as_images(x):
    """View a batch as ``(N, H, W)`` images, or raise a clear ShapeError."""
    if x.ndim == 4 and x.shape[-1] == 1:
        return x[..., 0]
    if x.ndim == 3:
        return x
    if x.ndim == 2 and math.isqrt(x.shape[1]) ** 2 == x.shape[1]:
        side = math.isqrt(x.shape[1])
        return x.reshape(len(x), side, side)
    raise ShapeError(f"augment: expected a batch of images (N, H, W), (N, H, W, 1) or (N, H*W), "
                     f"got shape {x.shape}")


#: The default augmentation: up to 10 degrees, 10% shift, 10% zoom. ``fit(augment=augment)``.
augment = DigitAugmentation()


def save_augmentation_grid(x, path, augmentation=None, copies=7, seed=0, scale=2):
    """Save a PNG: each row shows one digit of ``x``, then ``copies`` augmented versions of it.

    Args:
        x: a few images, ``(N, H, W)`` (uint8 0-255 or floats 0-1).
        path: the PNG file to write.
        augmentation: a :class:`DigitAugmentation` (default: :data:`augment`).
        copies: augmented versions per digit.
        seed: seeds the random changes, so the picture is reproducible.
        scale: each pixel becomes ``scale x scale`` pixels.

    Returns:
        the path written.
    """
    from PIL import Image

    augmentation = augmentation or augment
    images = _as_images(np.asarray(x)).astype(np.float32)
    if images.max() > 1.0:
        images = images / 255.0
    rng = np.random.default_rng(seed)
    n, height, width = images.shape
    # (copies + 1, N, H, W): the originals first, then the augmented versions.
    columns = np.stack([images] + [augmentation(images, rng) for _ in range(copies)])
    gap = 2
    canvas = np.full((n * (height + gap) + gap, (copies + 1) * (width + gap) + gap), 0.35, np.float32)
    for c, column in enumerate(columns):
        for r, image in enumerate(column):
            top, left = gap + r * (height + gap), gap + c * (width + gap)
            canvas[top:top + height, left:left + width] = image
    pixels = (np.clip(canvas, 0, 1) * 255).astype(np.uint8)
    picture = Image.fromarray(pixels)
    picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    picture.save(path, format="PNG")
    return path
