"""Resizing, CenterCrop and RandomCrop: every image brought to one height and width.

``Resizing(32, 32)`` in front of LeNet-5 turns MNIST's 28x28 digits into the 32x32 it was
designed for; in front of a CNN for images of any size (``Input(shape=(None, None, 1))``)
it brings each batch to the size the layers after it expect.

Each output row reads the input rows around one point, as TensorFlow's ``image.resize``
does (Keras's ``Resizing`` on any backend): output row ``i`` of ``OH`` sits at input row
``(i + 0.5) * H / OH - 0.5`` (pixel centres line up), clamped to the image. "bilinear" mixes
the two rows on either side by their distance; "nearest" takes the row
``floor((i + 0.5) * H / OH)``. Columns the same way. Both are one matrix each way::

    Y = R_h @ X @ R_w^T      (per image and channel: R_h is (OH, H), R_w is (OW, W))
    dX = R_h^T @ dY @ R_w     (the resizing is linear in the image, so backward is the transpose)

As in TensorFlow, shrinking reads only the rows nearest each point (no averaging over the
rows in between: no "antialias").

A crop is a matrix too, with a one for each row it keeps, so the three layers share one
forward and backward (:class:`ImageWindow`): each picks a window of the image, rows
``top:top + h`` and columns ``left:left + w``, and resizes it to the output's size (a crop of
the output's size resizes by the identity).
"""

import functools

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.errors import ShapeError

INTERPOLATIONS = ("bilinear", "nearest")


def resize_matrix(size, new_size, interpolation):
    """``(new_size, size)``: row ``i`` holds the weights output ``i`` gives each input position."""
    out = np.arange(new_size)
    scale = size / new_size
    matrix = np.zeros((new_size, size))
    if interpolation == "nearest":
        matrix[out, np.minimum(np.floor((out + 0.5) * scale).astype(int), size - 1)] = 1.0
        return matrix
    point = np.clip((out + 0.5) * scale - 0.5, 0, size - 1)        # where output i reads
    below = np.floor(point).astype(int)
    above = np.minimum(below + 1, size - 1)
    share = point - below                                           # how much of the row above
    np.add.at(matrix, (out, below), 1 - share)
    np.add.at(matrix, (out, above), share)
    return matrix


@functools.lru_cache(maxsize=256)
def window_matrix(size, start, length, new_size, interpolation="bilinear", dtype=np.float64):
    """``(new_size, size)``: the window ``start:start + length`` of an axis, resized to ``new_size``.
    Made once per window and kept (read-only): every batch of one size uses the same."""
    matrix = np.zeros((new_size, size))
    matrix[:, start:start + length] = resize_matrix(length, new_size, interpolation)
    matrix = matrix.astype(dtype)
    matrix.flags.writeable = False
    return matrix


def aspect_window(height, width, new_height, new_width):
    """The largest centred window of an image with the output's aspect ratio, as Keras's
    ``smart_resize`` crops before it resizes: ``(top, left, rows, cols)``."""
    rows = max(min(height, int(width * new_height / new_width)), 1)
    cols = max(min(width, int(height * new_width / new_height)), 1)
    return (height - rows) // 2, (width - cols) // 2, rows, cols


class ImageWindow(Layer):
    """What the three share: a window of each batch's images resized to ``(height, width)``,
    ``Y = R_h @ X @ R_w^T`` (a subclass says which window, :meth:`window`)."""

    abstract = True
    interpolation = "bilinear"

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{owner}: glassnet keeps images channels last; data_format={data_format!r} "
                             f"is not supported")
        if int(height) != height or int(width) != width or height < 1 or width < 1:
            raise ValueError(f"{owner}: height and width must be whole numbers >= 1, got {height!r}, {width!r}")
        self.height, self.width = int(height), int(width)

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if len(self.input_shape) != 3:
            raise ShapeError(f"layer '{self.name or type(self).__name__}' ({type(self).__name__}) needs images "
                             f"(batch, height, width, channels) but got {('batch',) + tuple(self.input_shape)}")

    def output_shape(self, input_shape):
        return (self.height, self.width, input_shape[-1])

    def window(self, h, w, training):
        """``(top, left, rows, cols)``: the part of an ``h`` x ``w`` image to resize."""
        return 0, 0, h, w

    def forward(self, x, training=False):
        self.check_input(x)
        self.x_shape = x.shape
        top, left, rows, cols = self.window(x.shape[1], x.shape[2], training)
        self.rows = window_matrix(x.shape[1], top, rows, self.height, self.interpolation, x.dtype)
        self.cols = window_matrix(x.shape[2], left, cols, self.width, self.interpolation, x.dtype)
        # (N, H, W, C) -> (N, C, H, W): R_h @ X @ R_w^T on every image and channel at once
        y = self.rows @ np.moveaxis(x, 3, 1) @ self.cols.T                # (N, C, OH, OW)
        return np.ascontiguousarray(np.moveaxis(y, 1, 3))

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        dx = self.rows.T.astype(dy.dtype) @ np.moveaxis(dy, 3, 1) @ self.cols.astype(dy.dtype)   # (N, C, H, W)
        return np.ascontiguousarray(np.moveaxis(dx, 1, 3))

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


class Resizing(ImageWindow):
    """Resize images to ``(height, width)`` (Keras's ``Resizing``).

    Args:
        height, width: the output's size.
        interpolation: ``"bilinear"`` (Keras's default) or ``"nearest"``.

    Input: ``(N, H, W, C)``, any ``H`` and ``W``. Output: ``(N, height, width, C)``.
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, data_format=None, **kwargs):
        super().__init__(height, width, data_format=data_format, **kwargs)
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"Resizing: interpolation={interpolation!r} is not supported by glassnet "
                             f"(it has {', '.join(map(repr, INTERPOLATIONS))})")
        if pad_to_aspect_ratio:
            raise ValueError("Resizing: pad_to_aspect_ratio=True is not supported by glassnet")
        self.interpolation, self.crop_to_aspect_ratio = interpolation, bool(crop_to_aspect_ratio)

    def window(self, h, w, training):
        if self.crop_to_aspect_ratio:        # the largest centred window of the output's shape
            return aspect_window(h, w, self.height, self.width)
        return 0, 0, h, w

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio}


class CenterCrop(ImageWindow):
    """The centre ``height`` x ``width`` of each image (Keras's ``CenterCrop``); an image
    smaller than that is resized, its largest centred window of that shape first (Keras's
    ``smart_resize``).

    Input: ``(N, H, W, C)``. Output: ``(N, height, width, C)``.
    """

    def window(self, h, w, training):
        if h >= self.height and w >= self.width:
            return (h - self.height) // 2, (w - self.width) // 2, self.height, self.width
        return aspect_window(h, w, self.height, self.width)


class RandomCrop(ImageWindow):
    """A random ``height`` x ``width`` window of the training images (one place for the whole
    batch, as Keras draws it); in inference the centre, as :class:`CenterCrop` takes it.
    (Keras 3.15 passes images through uncropped in inference, so the layers after it get
    another shape than in training; glassnet crops as Keras's documentation says.)

    Args:
        height, width: the crop's size.
        seed: a generator of the layer's own; by default the model's.

    Input: ``(N, H, W, C)``. Output: ``(N, height, width, C)``.
    """

    augments_by_default = True     # called alone or in model(x), as Keras: training=True

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(height, width, data_format=data_format, **kwargs)
        self.seed_with(seed)

    def window(self, h, w, training):
        if training and h > self.height and w > self.width:
            top = int(self.draws.integers(0, h - self.height + 1))
            left = int(self.draws.integers(0, w - self.width + 1))
            return top, left, self.height, self.width
        if training:        # an image no larger than the crop: Keras 3 starts where the centred window
            top, left, _, _ = aspect_window(h, w, self.height, self.width)   # of that shape would, and
            return top, left, min(self.height, h - top), min(self.width, w - left)   # resizes the rest
        return CenterCrop.window(self, h, w, training)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
