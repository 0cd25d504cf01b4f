"""ZeroPadding2D, Cropping2D and UpSampling2D: make an image larger or smaller, learning nothing.

Each one only moves numbers about, so its backward pass moves the gradient back the same
way: the gradient of a padded border is thrown away (the border was not the input's), a
cropped border's gradient is zero (it never reached the output), and an upsampled pixel,
copied to ``size`` pixels, collects the gradient of all its copies.

Input and output: ``(N, H, W, C)``, channels last (as Keras's default).
"""

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.errors import ShapeError


def _pairs(value, owner, label):
    """Keras's three spellings of a 2-D border -> ``((top, bottom), (left, right))``: one
    number for all four sides, ``(rows, columns)`` for both sides of each, or the two pairs."""
    try:
        if isinstance(value, (int, np.integer)):
            pairs = ((value, value), (value, value))
        elif all(isinstance(v, (int, np.integer)) for v in value) and len(value) == 2:
            pairs = ((value[0], value[0]), (value[1], value[1]))
        else:
            pairs = tuple(tuple(v) for v in value)
        pairs = tuple(tuple(int(n) for n in pair) for pair in pairs)
    except (TypeError, ValueError):
        pairs = None
    if pairs is None or len(pairs) != 2 or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise ValueError(f"{owner}: {label} must be a number >= 0, (rows, columns) or "
                         f"((top, bottom), (left, right)), got {value!r}")
    return pairs


def _channels_last(owner, data_format):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{owner}: glassnet keeps images channels last; data_format={data_format!r} "
                         f"is not supported")


class ZeroPadding2D(Layer):
    """Add rows and columns of zeros around each image::

        y[:, top:top + H, left:left + W, :] = x          (zeros elsewhere)
        dx = dy[:, top:top + H, left:left + W, :]

    Args:
        padding: 1 (the default: one pixel on every side), ``(rows, columns)`` or
            ``((top, bottom), (left, right))``.

    Shape: ``(N, H, W, C) -> (N, top + H + bottom, left + W + right, C)``.
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        _channels_last("ZeroPadding2D", data_format)
        self.padding = _pairs(padding, "ZeroPadding2D", "padding")

    def output_shape(self, input_shape):
        (top, bottom), (left, right) = self.padding
        height, width, *channels = input_shape
        return (top + height + bottom, left + width + right, *channels)

    def forward(self, x, training=False):
        self.check_input(x)
        (top, bottom), (left, right) = self.padding
        y = np.zeros((len(x), *self.output_shape(x.shape[1:])), x.dtype)
        y[:, top:top + x.shape[1], left:left + x.shape[2]] = x
        return y

    def backward(self, dy):
        (top, bottom), (left, right) = self.padding
        return dy[:, top:dy.shape[1] - bottom, left:dy.shape[2] - right]

    def get_config(self):
        return {**super().get_config(), "padding": [list(p) for p in self.padding]}


class Cropping2D(Layer):
    """Cut rows and columns off each image's borders::

        y = x[:, top:H - bottom, left:W - right, :]
        dx = zeros like x, with dy in the same window

    Args:
        cropping: ``((top, bottom), (left, right))`` (the default crops nothing), one
            number for every side, or ``(rows, columns)``.

    Shape: ``(N, H, W, C) -> (N, H - top - bottom, W - left - right, C)``.
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        _channels_last("Cropping2D", data_format)
        self.cropping = _pairs(cropping, "Cropping2D", "cropping")

    def output_shape(self, input_shape):
        (top, bottom), (left, right) = self.cropping
        height, width, *channels = input_shape
        if height - top - bottom < 1 or width - left - right < 1:
            raise ShapeError(f"layer '{self.name}' can't crop {self.cropping} off a {height}x{width} image: "
                             f"nothing would be left")
        return (height - top - bottom, width - left - right, *channels)

    def forward(self, x, training=False):
        self.check_input(x)
        (top, bottom), (left, right) = self.cropping
        return x[:, top:x.shape[1] - bottom, left:x.shape[2] - right]

    def backward(self, dy):
        (top, bottom), (left, right) = self.cropping
        dx = np.zeros((len(dy), *self.input_shape), dy.dtype)
        dx[:, top:top + dy.shape[1], left:left + dy.shape[2]] = dy
        return dx

    def get_config(self):
        return {**super().get_config(), "cropping": [list(p) for p in self.cropping]}


class UpSampling2D(Layer):
    """Repeat every pixel ``size`` times down and across (nearest-neighbour upsampling), as
    the decoder of an autoencoder does::

        y[:, i, j, :] = x[:, i // sh, j // sw, :]
        dx[:, a, b, :] = sum of dy over the sh x sw block that pixel (a, b) became

    Args:
        size: 2 (the default, both ways) or ``(rows, columns)``.
        interpolation: ``"nearest"`` (Keras's default); others are not supported.

    Shape: ``(N, H, W, C) -> (N, sh * H, sw * W, C)``.
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        _channels_last("UpSampling2D", data_format)
        if interpolation != "nearest":
            raise ValueError(f"UpSampling2D: glassnet repeats pixels (interpolation='nearest'); "
                             f"interpolation={interpolation!r} is not supported")
        pairs = _pairs(size, "UpSampling2D", "size")
        if pairs[0][0] != pairs[0][1] or pairs[1][0] != pairs[1][1] or min(pairs[0][0], pairs[1][0]) < 1:
            raise ValueError(f"UpSampling2D: size must be a whole number >= 1 or (rows, columns), got {size!r}")
        self.size = (pairs[0][0], pairs[1][0])

    def output_shape(self, input_shape):
        height, width, *channels = input_shape
        return (height * self.size[0], width * self.size[1], *channels)

    def forward(self, x, training=False):
        self.check_input(x)
        rows, columns = self.size
        return x.repeat(rows, axis=1).repeat(columns, axis=2)

    def backward(self, dy):
        rows, columns = self.size
        n, height, width, *channels = dy.shape
        blocks = dy.reshape(n, height // rows, rows, width // columns, columns, *channels)
        return blocks.sum(axis=(2, 4))

    def get_config(self):
        return {**super().get_config(), "size": list(self.size), "interpolation": "nearest"}
