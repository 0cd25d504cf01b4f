"""Pooling along a sequence: the 1-D versions of :mod:`glassnet.engine.layers.pooling`.

* ``MaxPooling1D`` keeps each window's largest value (its gradient goes to that one step);
* ``AveragePooling1D`` keeps the mean (and shares the gradient equally);
* ``GlobalAveragePooling1D`` and ``GlobalMaxPooling1D`` summarise each channel over the
  whole sequence: ``(N, L, C)`` to ``(N, C)``.

The windows are taken as in :class:`~glassnet.engine.layers.conv1d.Conv1D`: offset ``k``
of every window is one strided view of the sequence, so the ``P`` offsets stack into pages
``(P, N, T, C)`` and the pooling is a reduction over the pages.
"""

import numpy as np

from glassnet.engine import masking

from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.conv1d import as_length, fit_window, steps_1d, tap
from glassnet.engine.layers.pooling import GlobalAveragePooling, GlobalMaxPooling
from glassnet.errors import ShapeError


def _sequence(layer):
    if len(layer.input_shape) != 2:
        raise ShapeError(f"layer '{layer._display_name}' ({type(layer).__name__}) needs sequences (batch, steps, "
                         f"channels) but got {('batch',) + layer.input_shape}")


class Pooling1D(Layer):
    """What the two windowed 1-D poolings share: the window, the stride, the padding.

    Args:
        pool_size: window length ``P`` (default 2).
        strides: step between windows; None (the default) means ``pool_size``.
        padding: ``"valid"`` (windows that don't fit are dropped) or ``"same"`` (padded so that
            the output is ``ceil(L / S)`` steps; the padding never wins a max, and an average
            counts only real steps).
        data_format: Keras's; only ``"channels_last"`` is supported.

    Input shape: ``(N, L, C)``. Output shape: ``(N, T, C)``.
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{owner}: data_format={data_format!r} is not supported by glassnet "
                             f"(sequences are (batch, steps, channels))")
        self.pool_size = as_length(pool_size, "pool_size", owner)
        self.strides = self.pool_size if strides is None else as_length(strides, "strides", owner)
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{owner}: padding must be 'valid' or 'same', got {padding!r}")

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        _sequence(self)
        self.length = None
        if self.input_shape[0] is not None:   # a length left open (None) is fitted to each batch instead
            self.fit_length(self.input_shape[0])

    def fit_length(self, length):
        """The padding, the output steps and each window's count of real steps, for sequences
        of ``length`` steps."""
        fit_window(self, length, self.pool_size)
        # How many real (not padding) steps each window covers.
        starts = np.arange(self.steps) * self.strides - self.pads[0]
        self.count = np.minimum(starts + self.pool_size, length) - np.maximum(starts, 0)

    def output_shape(self, input_shape):
        return steps_1d(input_shape[0], self.pool_size, self.strides, self.padding), input_shape[1]

    def _pages(self, x, fill):
        """Every window's ``k``-th step, for each ``k``: ``(P, N, T, C)``."""
        if x.shape[1] != self.length:        # a length left open: this batch's
            self.fit_length(x.shape[1])
        xp = np.pad(x, ((0, 0), self.pads, (0, 0)), constant_values=fill) if any(self.pads) else x
        return np.stack([tap(xp, k, self.strides, self.steps) for k in range(self.pool_size)])

    def _unpages(self, dpages):
        """The way back: each page's gradient added onto the steps it was read from."""
        _, n, steps, channels = dpages.shape
        before, after = self.pads
        dxp = np.zeros((n, before + self.length + after, channels), dpages.dtype)
        for k, page in enumerate(dpages):
            tap(dxp, k, self.strides, steps)[...] += page
        return dxp[:, before:before + self.length]

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}


class MaxPooling1D(Pooling1D):
    """Keep the largest value of each window: ``y[n, t, c] = max_k x[n, t*S + k, c]``.

    Backward: each output's gradient goes to the one step that won its window (the first,
    if several tie, as in PyTorch and Keras).
    """

    def forward(self, x, training=False):
        self.check_input(x)
        pages = self._pages(x, -np.inf)
        self.winner = pages.argmax(axis=0)          # (N, T, C): which offset won (the first of ties)
        return pages.max(axis=0)

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        offsets = np.arange(self.pool_size).reshape(-1, 1, 1, 1)
        return self._unpages((offsets == self.winner) * dy)


class AveragePooling1D(Pooling1D):
    """Keep the mean of each window: ``y[n, t, c] = mean of x[n, t*S : t*S + P, c]`` (over the
    real steps only, when "same" padding adds some). Backward shares ``dy / count`` equally."""

    def forward(self, x, training=False):
        self.check_input(x)
        return self._pages(x, 0).sum(axis=0) / self.count[:, np.newaxis].astype(x.dtype)

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        share = dy / self.count[:, np.newaxis].astype(dy.dtype)
        return self._unpages(np.broadcast_to(share, (self.pool_size,) + dy.shape))


class GlobalAveragePooling1D(GlobalAveragePooling):
    """The mean of each channel over the sequence: ``y[n, c] = mean_t x[n, t, c]``. Backward
    spreads ``dy / L`` evenly over every step (the 2-D one's code, over one axis).

    With a mask (``Embedding(mask_zero=True)`` before it: see :mod:`glassnet.engine.masking`)
    it averages the real steps only, as Keras does, and they share the gradient::

        y[n, c] = sum_t m[n, t] x[n, t, c] / sum_t m[n, t],    dx[n, t, c] = m[n, t] dy[n, c] / sum_t m[n, t]

    (A sequence with no real step at all gives 0, where Keras would give 0 / 0.)

    Input shape: ``(N, L, C)``. Output shape: ``(N, C)``, or ``(N, 1, C)`` with ``keepdims``.
    """

    RANK = 1
    WHAT = "sequences (batch, steps, channels)"

    def forward(self, x, training=False, mask=None):
        if mask is None:
            self.share = None
            return super().forward(x, training)
        self.check_input(x)
        self.x_shape = x.shape[1:]
        weights = masking.for_steps(mask, x)[..., np.newaxis].astype(x.dtype)     # (N, L, 1)
        self.share = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1)  # m / sum(m)
        return (x * self.share).sum(axis=1, keepdims=self.keepdims)

    def backward(self, dy):
        if self.share is None:
            return super().backward(dy)
        if not self.needs_input_grad:
            return None
        return dy.reshape(len(dy), 1, -1) * self.share

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalMaxPooling1D(GlobalMaxPooling):
    """The largest value of each channel over the sequence: ``y[n, c] = max_t x[n, t, c]``.
    Backward sends ``dy[n, c]`` to the step that held the max (the first, if several tie).

    Input shape: ``(N, L, C)``. Output shape: ``(N, C)``, or ``(N, 1, C)`` with ``keepdims``.
    """

    RANK = 1
    WHAT = "sequences (batch, steps, channels)"
