"""Padding, cropping and upsampling: make an image or a sequence larger or smaller, learning nothing.

* ``ZeroPadding2D``, ``Cropping2D``, ``UpSampling2D`` on images ``(N, H, W, C)``;
* ``ZeroPadding1D``, ``Cropping1D``, ``UpSampling1D`` on sequences ``(N, L, C)``.

Each one only moves numbers about, so its backward pass moves the gradient back the same
way: the gradient of a padded border is thrown away (the border was not the input's), a
cropped border's gradient is zero (it never reached the output), and an upsampled pixel,
copied to ``size`` pixels, collects the gradient of all its copies.

The 1-D and 2-D layers are one class each over ``RANK`` axes (the steps, or the rows and
columns); they differ only in how Keras spells their settings. Channels last, as Keras's default.
"""

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.conv1d import as_length
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


def _pair(value, owner, label):
    """Keras's two spellings of a 1-D border -> ``(before, after)``: one number for both
    ends, or the two."""
    try:
        pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
        if len(pair) != 2 or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                                     for n in pair):
            raise ValueError
        pair = (int(pair[0]), int(pair[1]))
    except (TypeError, ValueError):
        pair = None
    if pair is None or isinstance(value, bool) or min(pair) < 0:
        raise ValueError(f"{owner}: {label} must be a whole number >= 0 or (before, after), got {value!r}")
    return pair


def _channels_last(owner, data_format):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{owner}: glassnet keeps images and sequences channels last; "
                         f"data_format={data_format!r} is not supported")


def _middle(borders, sizes):
    """The index that picks, out of an array of ``sizes`` (batch axis first), everything but
    ``borders``: ``[:, top:H - bottom, left:W - right]`` for ``((top, bottom), (left, right))``."""
    return (slice(None),) + tuple(slice(before, size - after)
                                  for (before, after), size in zip(borders, sizes[1:]))


class Resampling(Layer):
    """What the 1-D and 2-D layers share: ``RANK`` axes after the batch are resampled (the
    steps; or the rows and columns); for the 1-D ones the input must be ``(N, L, C)``."""

    abstract = True
    RANK = 2

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if self.RANK == 1 and len(self.input_shape) != 2:
            raise ShapeError(f"layer '{self._display_name}' ({type(self).__name__}) needs sequences (batch, steps, "
                             f"channels) but got {('batch',) + self.input_shape}")


class ZeroPadding(Resampling):
    """Zeros added around the ``RANK`` axes (``self.borders``: ``(before, after)`` per axis)."""

    abstract = True

    def output_shape(self, input_shape):
        grown = tuple(None if size is None else size + before + after     # a size left open stays open
                      for size, (before, after) in zip(input_shape, self.borders))
        return grown + tuple(input_shape[self.RANK:])

    def forward(self, x, training=False):
        self.check_input(x)
        y = np.zeros((len(x), *self.output_shape(x.shape[1:])), x.dtype)
        y[_middle(self.borders, y.shape)] = x
        return y

    def backward(self, dy):
        return dy[_middle(self.borders, dy.shape)]


class ZeroPadding2D(ZeroPadding):
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
        self.padding = self.borders = _pairs(padding, "ZeroPadding2D", "padding")

    def get_config(self):
        return {**super().get_config(), "padding": [list(p) for p in self.padding]}


class ZeroPadding1D(ZeroPadding):
    """Add steps of zeros at both ends of each sequence::

        y[:, before:before + L, :] = x          (zeros elsewhere)
        dx = dy[:, before:before + L, :]

    Args:
        padding: 1 (the default: one step at each end) or ``(before, after)``.

    Shape: ``(N, L, C) -> (N, before + L + after, C)``.
    """

    RANK = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        _channels_last("ZeroPadding1D", data_format)
        self.padding = _pair(padding, "ZeroPadding1D", "padding")
        self.borders = (self.padding,)

    def get_config(self):
        return {**super().get_config(), "padding": list(self.padding)}


class Cropping(Resampling):
    """Borders cut off the ``RANK`` axes (``self.borders``: ``(before, after)`` per axis)."""

    abstract = True

    def output_shape(self, input_shape):
        kept = tuple(None if size is None else size - before - after     # a size left open stays open
                     for size, (before, after) in zip(input_shape, self.borders))
        if any(size is not None and size < 1 for size in kept):
            whole = "x".join(str(size) for size in input_shape[:self.RANK])
            what = "a sequence of " + whole + " steps" if self.RANK == 1 else "a " + whole + " image"
            raise ShapeError(f"layer '{self._display_name}' can't crop {self.cropping} off {what}: "
                             f"nothing would be left")
        return kept + tuple(input_shape[self.RANK:])

    def forward(self, x, training=False):
        self.check_input(x)
        self.x_shape = x.shape[1:]
        if None in self.input_shape:         # a size left open: is there something left of it?
            self.output_shape(self.x_shape)
        return x[_middle(self.borders, x.shape)]

    def backward(self, dy):
        dx = np.zeros((len(dy), *self.x_shape), dy.dtype)
        dx[_middle(self.borders, dx.shape)] = dy
        return dx


class Cropping2D(Cropping):
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
        self.cropping = self.borders = _pairs(cropping, "Cropping2D", "cropping")

    def get_config(self):
        return {**super().get_config(), "cropping": [list(p) for p in self.cropping]}


class Cropping1D(Cropping):
    """Cut steps off both ends of each sequence::

        y = x[:, before:L - after, :]
        dx = zeros like x, with dy in the same window

    Args:
        cropping: ``(before, after)`` (the default, ``(1, 1)``, cuts one step off each end)
            or one number for both.

    Shape: ``(N, L, C) -> (N, L - before - after, C)``.
    """

    RANK = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pair(cropping, "Cropping1D", "cropping")
        self.borders = (self.cropping,)

    def get_config(self):
        return {**super().get_config(), "cropping": list(self.cropping)}


class UpSampling(Resampling):
    """Every position repeated ``self.factors`` times along the ``RANK`` axes."""

    abstract = True

    def output_shape(self, input_shape):
        grown = tuple(None if size is None else size * factor for size, factor in zip(input_shape, self.factors))
        return grown + tuple(input_shape[self.RANK:])

    def forward(self, x, training=False):
        self.check_input(x)
        for axis, factor in enumerate(self.factors, start=1):
            x = x.repeat(factor, axis=axis)
        return x

    def backward(self, dy):
        # Split each resampled axis into (input positions, copies) and add up the copies:
        # (N, H*sh, W*sw, C) -> (N, H, sh, W, sw, C) -> sum over the sh and sw axes.
        n, *sizes = dy.shape
        blocks = [n]
        for size, factor in zip(sizes, self.factors):
            blocks += [size // factor, factor]
        copies = tuple(range(2, 2 * self.RANK + 1, 2))
        return dy.reshape(*blocks, *sizes[self.RANK:]).sum(axis=copies)


class UpSampling2D(UpSampling):
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
        self.size = self.factors = (pairs[0][0], pairs[1][0])

    def get_config(self):
        return {**super().get_config(), "size": list(self.size), "interpolation": "nearest"}


class UpSampling1D(UpSampling):
    """Repeat every step ``size`` times (nearest-neighbour upsampling of a sequence)::

        y[:, t, :] = x[:, t // size, :]
        dx[:, s, :] = dy[:, s*size, :] + ... + dy[:, s*size + size - 1, :]   (the copies of step s)

    Args:
        size: how many times each step is repeated (default 2).

    Shape: ``(N, L, C) -> (N, size * L, C)``.
    """

    RANK = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = as_length(size, "size", "UpSampling1D")           # 2, (2,) or [2]
        self.factors = (self.size,)

    def get_config(self):
        return {**super().get_config(), "size": self.size}
