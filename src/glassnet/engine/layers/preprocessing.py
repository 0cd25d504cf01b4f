"""Preprocessing layers: rescale and normalise inputs, and augment images inside the model.

``Rescaling(1 / 255)`` and ``Normalization`` change every input the same way, in training and
in inference. ``RandomRotation``, ``RandomTranslation``, ``RandomZoom`` and ``RandomFlip`` make
new training images on the fly, as :mod:`glassnet.datasets.augment` does for ``fit(augment=...)``, but as
layers, the Keras 3 way::

    model = Sequential([Input((28, 28, 1)), RandomRotation(0.05), RandomZoom(0.1), ...])

They act when ``training=True`` (inside ``fit``) and, as Keras's, when called without
``training=`` (``data_augmentation(images)`` to look at them, or ``model(x)``), and pass images
through untouched in ``predict`` and ``evaluate``. Each image gets its own random change, and every output pixel
reads its input at a point found by an affine map (see
:class:`glassnet.datasets.augment.Resampler`); a map's arguments follow Keras 3 exactly.

Backward: the resampling is linear in the image, so the gradient goes back through its
transpose. These layers usually come before any weights, where no gradient is needed at all.

Input: images ``(N, H, W, C)`` (channels last), or ``(N, H, W)`` for grey images.
"""

import numpy as np

from glassnet.datasets.augment import FILL_MODES, INTERPOLATIONS, Resampler, affine_points
from glassnet.engine.layers.base import Layer
from glassnet.engine.tensor import as_tensor
from glassnet.errors import ShapeError


class Rescaling(Layer):
    """``y = x * scale + offset``; ``dx = dy * scale``.

    ``Rescaling(1 / 255)`` turns 0-255 pixels into 0-1; ``Rescaling(1 / 127.5, offset=-1)``
    into -1..1. ``scale`` and ``offset`` may be one number or one per channel.
    """

    supports_masking = True    # a mask passes through (engine/masking.py)

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = _number_or_list(scale), _number_or_list(offset)

    def forward(self, x, training=False):
        y = x * np.asarray(self.scale, dtype=x.dtype) + np.asarray(self.offset, dtype=x.dtype)
        return y.astype(x.dtype, copy=False)

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        return dy * np.asarray(self.scale, dtype=dy.dtype)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


def _number_or_list(value):
    value = np.asarray(value, dtype=np.float64)
    return float(value) if value.ndim == 0 else value.tolist()


class Normalization(Layer):
    """Shift and scale each feature to mean 0 and variance 1: ``y = (x - mean) / sqrt(var)``.

    The statistics come from the data, once, with :meth:`adapt` (``Normalization().adapt(x)``),
    or are given (``mean=``, ``variance=``). They are not learned. ``dx = dy / sqrt(var)``.
    ``invert=True`` does the opposite, ``y = x * sqrt(var) + mean``.

    As in Keras 3, adapted statistics are the layer's weights, ``[mean, variance, count]``
    (``mean`` and ``variance`` shaped like the kept axis, ``count`` an int64 that Keras
    leaves at 0), so ``summary()`` counts ``2 * features + 1`` parameters and
    ``set_weights`` takes a Keras layer's weights; given statistics are part of the
    config and the layer has no weights.

    Args:
        axis: the axis that keeps its own statistics (default -1: one mean per channel or per
            feature); None: one mean and variance for everything.
        mean, variance: the statistics, instead of :meth:`adapt`.
        invert: undo a normalisation instead.
    """

    supports_masking = True

    EPSILON = 1e-7   # Keras: sqrt(variance) is at least this, so a constant feature stays finite

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, adapted=False, **kwargs):
        super().__init__(**kwargs)
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: give both mean and variance, or neither (and call adapt)")
        if isinstance(axis, (list, tuple)):
            if len(axis) != 1:
                raise ValueError(f"Normalization: glassnet supports one axis or None, got {axis!r}")
            axis = axis[0]
        self.axis = None if axis is None else int(axis)
        self.given = None if mean is None else (np.asarray(mean, np.float64), np.asarray(variance, np.float64))
        self.invert = bool(invert)
        # True once adapt has run (kept in the config: a saved model's statistics are its
        # weights, which the loader writes after building the layer from its config)
        self.has_adapted = bool(adapted)

    def adapt(self, data):
        """Work out the mean and variance of ``data`` (a batch of samples) along ``axis``."""
        data = np.asarray(data, dtype=np.float64)
        if data.ndim < 2:
            data = data.reshape(-1, 1)
        keep = None if self.axis is None else self.axis % data.ndim
        if keep == 0:
            raise ValueError("Normalization: axis can't be the batch axis")
        axes = tuple(a for a in range(data.ndim) if a != keep)
        self.given, self.has_adapted = None, True
        if not self.built:    # as Keras does: normalizer.mean is there to look at after adapt
            self.build(tuple(self.input_shape or data.shape[1:]))
        self._store_adapted(data.mean(axis=axes), data.var(axis=axes))

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if self.given is not None:
            self.state.clear()
            self.given_stats = tuple(self._fitted(key, value) for key, value in zip(("mean", "variance"), self.given))
        elif self.has_adapted:    # 0 and 1 until adapt's statistics, or the saved ones, are written
            self._store_adapted(0.0, 1.0)
        else:
            raise ValueError(f"layer '{self._display_name}' (Normalization) has no statistics: call "
                             f"adapt(x_train) before training, or pass mean= and variance=")

    def _kept_shape(self):
        """The statistics' shape, Keras's: the size of the kept axis, or () for axis=None."""
        if self.axis is None:
            return ()
        return (self.input_shape[self.axis if self.axis < 0 else self.axis - 1],)   # no batch axis here

    def _fitted(self, key, value):
        """``value`` (one number or one per kept-axis entry) as a float array of the kept shape."""
        shape = self._kept_shape()
        value = np.asarray(value, dtype=np.float64)
        if value.size not in (1, int(np.prod(shape))):
            raise ShapeError(f"layer '{self._display_name}' (Normalization): {key} has {value.size} "
                             f"values but inputs {('batch',) + self.input_shape} need "
                             f"{int(np.prod(shape))} (axis={self.axis})")
        return np.broadcast_to(value.reshape(-1) if value.size > 1 else value.reshape(()), shape).astype(self.dtype)

    def _store_adapted(self, mean, variance):
        """Adapted statistics are the weights, as in Keras: mean, variance and a count."""
        self.state["mean"], self.state["variance"] = self._fitted("mean", mean), self._fitted("variance", variance)
        self.state["count"] = np.zeros((), np.int64)

    def _broadcast(self, value, dtype):
        """A kept-axis array reshaped to broadcast over a batch: (C,) -> (1, ..., C, ..., 1)."""
        shape = [1] * (len(self.input_shape) + 1)
        if self.axis is not None:
            shape[self.axis] = self.input_shape[self.axis if self.axis < 0 else self.axis - 1]
        return value.reshape(shape).astype(dtype, copy=False)

    def _kept_statistics(self):
        """``(mean, variance)`` of the kept shape: given, or adapted (the weights)."""
        return self.given_stats if self.given is not None else (self.state["mean"], self.state["variance"])

    def statistics(self, dtype):
        """``(mean, std)`` shaped to broadcast over a batch, ``std = max(sqrt(var), 1e-7)``."""
        mean, variance = self._kept_statistics()
        return (self._broadcast(mean, dtype),
                self._broadcast(np.maximum(np.sqrt(variance), self.EPSILON), dtype))

    @property
    def mean(self):
        """Keras's ``normalizer.mean``: shaped to broadcast over a batch, ``(1, features)`` for
        a table (the regression tutorial prints ``[[...]]``), ``(1, 1, 1, 1)`` for images with
        ``axis=None``; a view of the weight, as in glassnet every weight is."""
        return self._shown("mean", 0)

    @property
    def variance(self):
        """Keras's ``normalizer.variance``, shaped as :attr:`mean`."""
        return self._shown("variance", 1)

    def _shown(self, name, index):
        if not self.built:
            raise AttributeError(f"layer '{self._display_name}' (Normalization) has no {name} until adapt() "
                                 f"or build()")
        kept = self._kept_statistics()[index]
        return as_tensor(self._broadcast(kept, kept.dtype))

    def forward(self, x, training=False):
        self.check_input(x)
        mean, self.std = self.statistics(x.dtype)
        return x * self.std + mean if self.invert else (x - mean) / self.std

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        return dy * self.std if self.invert else dy / self.std

    def get_config(self):
        config = {**super().get_config(), "axis": self.axis, "invert": self.invert, "mean": None,
                  "variance": None}
        if self.given is not None:
            config["mean"], config["variance"] = (np.asarray(v).tolist() for v in self.given)
        elif self.has_adapted:
            config["adapted"] = True
        return config


def _factor_range(owner, label, factor, bounds=(-1.0, 1.0)):
    """Keras's factor argument: ``f`` means ``(-f, f)``; a pair is the range between its two
    numbers, in either order, as Keras sorts it (TensorFlow's augmentation tutorial zooms in
    with ``RandomZoom(height_factor=(-0.2, -0.3))``)."""
    if isinstance(factor, (list, tuple)):
        if len(factor) != 2:
            raise ValueError(f"{owner}: {label} must be a number or (lower, upper), got {factor!r}")
        lower, upper = sorted((float(factor[0]), float(factor[1])))
    else:
        if not factor >= 0:
            raise ValueError(f"{owner}: {label} as one number must be >= 0, got {factor!r}")
        lower, upper = -float(factor), float(factor)
    if not (bounds[0] <= lower <= upper <= bounds[1]):
        raise ValueError(f"{owner}: {label} must lie in [{bounds[0]:g}, {bounds[1]:g}], got {factor!r}")
    return lower, upper


def require_images(layer):
    """Refuse, in one line, a random image layer built for something that is no image."""
    if len(layer.input_shape) not in (2, 3):
        raise ShapeError(f"layer '{layer._display_name}' ({type(layer).__name__}) needs images (batch, height, "
                         f"width[, channels]) but got {('batch',) + layer.input_shape}")


class RandomAffine(Layer):
    """The shared machinery of the random image layers: draw one affine map per image (in
    training only), resample, and pass gradients back through the resampling.

    Subclasses give :meth:`random_maps`. Keras writes each map as the 8 numbers
    ``[a0, a1, a2, b0, b1, b2, 0, 0]``, in (x, y) = (column, row) pixels: the output pixel
    (x, y) reads the input at ``(a0 x + a1 y + a2, b0 x + b1 y + b2)``.

    Args:
        fill_mode: how the image is extended where a point falls outside it: ``"reflect"``
            (Keras's default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        seed: a generator of the layer's own; by default the model's, so the model's seed
            makes the augmentation repeatable.
        fill_value: the value read outside the image with ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (or None); channels first is not supported.
    """

    augments_by_default = True     # called alone or in model(x), as Keras: training=True

    abstract = True   # a base class: the gradient-check catalogue checks its subclasses

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        if fill_mode not in FILL_MODES:
            raise ValueError(f"{owner}: fill_mode must be one of {', '.join(FILL_MODES)}, got {fill_mode!r}")
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"{owner}: interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{owner}: only data_format='channels_last' is supported, got {data_format!r}")
        self.fill_mode, self.interpolation = fill_mode, interpolation
        self.fill_value = float(fill_value)
        self.seed_with(seed)
        self.resampler = None

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        require_images(self)

    def random_maps(self, n, height, width, rng):
        """``(N, 8)`` Keras transforms, one per image."""
        raise NotImplementedError

    def forward(self, x, training=False):
        self.check_input(x)
        if not training:
            self.resampler = None
            return x
        images = x.reshape(x.shape[:3] + (-1,))                     # (N, H, W, C)
        n, height, width = images.shape[:3]
        t = self.random_maps(n, height, width, self.draws)
        # Keras's (x, y) transform as a (row, col) one: row_in = b1 row + b0 col + b2, ...
        matrices = np.stack([np.stack([t[:, 4], t[:, 3]], -1), np.stack([t[:, 1], t[:, 0]], -1)], -2)
        offsets = np.stack([t[:, 5], t[:, 2]], -1)
        rows, cols = affine_points(matrices, offsets, height, width)
        self.resampler = Resampler(rows, cols, height, width, self.fill_mode, self.interpolation)
        return self.resampler(images, self.fill_value).reshape(x.shape)

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        if self.resampler is None:                                  # inference: the identity
            return dy
        return self.resampler.transpose(dy.reshape(dy.shape[:3] + (-1,))).reshape(dy.shape)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "seed": self.seed, "fill_value": self.fill_value}


class RandomRotation(RandomAffine):
    """Turn each training image by a random angle about its centre (Keras 3).

    Args:
        factor: a fraction of a full turn: ``0.1`` turns by up to 0.1 * 360 = 36 degrees
            either way; ``(lower, upper)`` picks from that range. Positive turns
            counter-clockwise.
        the rest: see :class:`RandomAffine` (``fill_mode="reflect"`` by default).
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = factor
        self.lower, self.upper = _factor_range("RandomRotation", "factor", factor)

    def random_maps(self, n, height, width, rng):
        angle = np.deg2rad(rng.uniform(self.lower * 360, self.upper * 360, n))
        cos, sin = np.cos(angle), np.sin(angle)
        cx, cy = (width - 1) / 2, (height - 1) / 2                  # the fixed point
        zero = np.zeros(n)
        return np.stack([cos, -sin, cx - cx * cos + cy * sin,
                         sin, cos, cy - cx * sin - cy * cos, zero, zero], axis=1)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomTranslation(RandomAffine):
    """Shift each training image by a random fraction of its height and width (Keras 3).

    Args:
        height_factor: ``0.1`` shifts by up to 10% of the height up or down; ``(lower, upper)``
            picks from that range; positive moves the image down.
        width_factor: the same for the width; positive moves the image right.
        the rest: see :class:`RandomAffine`.
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_range = _factor_range("RandomTranslation", "height_factor", height_factor)
        self.width_range = _factor_range("RandomTranslation", "width_factor", width_factor)

    def random_maps(self, n, height, width, rng):
        dy = rng.uniform(*self.height_range, n) * height
        dx = rng.uniform(*self.width_range, n) * width
        one, zero = np.ones(n), np.zeros(n)
        return np.stack([one, zero, -dx, zero, one, -dy, zero, zero], axis=1)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


class RandomZoom(RandomAffine):
    """Zoom each training image in or out by a random amount, about its centre (Keras 3).

    Args:
        height_factor: ``0.1`` zooms by a factor in [0.9, 1.1] of the height; ``(lower,
            upper)`` picks from ``[1 + lower, 1 + upper]``. Positive zooms out (the digit
            gets smaller), negative zooms in.
        width_factor: the same for the width; None (default) uses the height's zoom, which
            keeps the aspect ratio.
        the rest: see :class:`RandomAffine`.
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_range = _factor_range("RandomZoom", "height_factor", height_factor)
        self.width_range = (None if width_factor is None
                            else _factor_range("RandomZoom", "width_factor", width_factor))

    def random_maps(self, n, height, width, rng):
        zy = 1 + rng.uniform(*self.height_range, n)
        zx = zy if self.width_range is None else 1 + rng.uniform(*self.width_range, n)
        zero = np.zeros(n)
        return np.stack([zx, zero, (width - 1) / 2 * (1 - zx),
                         zero, zy, (height - 1) / 2 * (1 - zy), zero, zero], axis=1)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class RandomFlip(Layer):
    """Mirror each training image left to right, upside down, or both, each with chance 1/2
    (Keras 3). Right for clothes (Fashion-MNIST), wrong for digits: a mirrored 3 is no digit.

    ``mode="horizontal"`` flips the columns (``y = x[:, :, ::-1]``), ``"vertical"`` the rows,
    and ``"horizontal_and_vertical"`` (Keras's default) draws the two flips independently.
    A flip only moves pixels, so the backward pass flips the gradient of the same images
    back; in inference (``predict``, ``evaluate``) the layer passes images through.

    Args:
        mode: which flips to draw (above).
        seed: a generator of the layer's own; by default the model's.
        data_format: ``"channels_last"`` (or None); channels first is not supported.
    """

    augments_by_default = True     # called alone or in model(x), as Keras: training=True

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if mode not in FLIP_MODES:
            raise ValueError(f"RandomFlip: mode must be one of {', '.join(FLIP_MODES)}, got {mode!r}")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"RandomFlip: only data_format='channels_last' is supported, got {data_format!r}")
        self.mode = mode
        self.axes = [axis for axis, word in ((2, "horizontal"), (1, "vertical")) if word in mode]
        self.seed_with(seed)
        self.flipped = None

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        require_images(self)

    def flip(self, x):
        """``x`` with the images drawn for each axis mirrored along it (self.flipped)."""
        y = x.copy()
        for axis, chosen in self.flipped:
            y[chosen] = np.flip(y[chosen], axis=axis)
        return y

    def forward(self, x, training=False):
        self.check_input(x)
        if not training:
            self.flipped = None
            return x
        self.flipped = [(axis, self.draws.random(len(x)) < 0.5) for axis in self.axes]
        return self.flip(x)

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        return dy if self.flipped is None else self.flip(dy)   # a flip undoes itself

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "seed": self.seed}


__all__ = ["FLIP_MODES", "Normalization", "RandomAffine", "RandomFlip", "RandomRotation", "RandomTranslation",
           "RandomZoom", "Rescaling"]
