"""Keras 3's newer activations: the shrinks, the sparse ones, CELU, squareplus, log-sigmoid.

They work element by element like those of :mod:`glassnet.engine.layers.activations`, so
each is a small :class:`Pointwise` layer: ``forward`` computes ``y = f(x)`` and the local
slope ``f'(x)`` beside it, and ``backward`` is the chain rule ``dx = dy * f'(x)``.
Sparsemax works row by row, as softmax does. The formulas are Keras 3's
(``keras.activations``); the same functions on arrays are in
:mod:`glassnet.engine.activations_api` (``glassnet.activations.celu(x)``).
"""

import numpy as np

from glassnet.engine.layers.base import Layer


def _sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


class Pointwise(Layer):
    """An activation applied entry by entry: ``y = f(x)``, ``dx = dy * f'(x)``.

    A subclass writes :meth:`value_and_slope`, which gives ``(f(x), f'(x))`` for an array.
    """

    abstract = True
    supports_masking = True

    def value_and_slope(self, x):
        raise NotImplementedError

    def forward(self, x, training=False):
        y, slope = self.value_and_slope(x)
        self.slope = np.asarray(slope, dtype=x.dtype)
        return np.asarray(y).astype(x.dtype, copy=False)

    def backward(self, dy):
        return dy * self.slope


class CELU(Pointwise):
    """Continuously differentiable ELU (Barron, 2017)::

        y = x                          if x >= 0
        y = alpha * (exp(x / alpha) - 1)   otherwise;   dy/dx = exp(x / alpha) there

    Unlike ELU its slope is 1 on both sides of 0 for every ``alpha``.

    Args:
        alpha: the value ``-alpha`` that ``y`` tends to for very negative ``x`` (Keras: 1.0).
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def value_and_slope(self, x):
        e = np.exp(np.minimum(x, 0) / self.alpha)        # only the negative side: no overflow
        return np.maximum(x, 0) + self.alpha * (e - 1), np.where(x >= 0, 1, e)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class HardShrink(Pointwise):
    """``y = x if |x| > threshold else 0``; slope 1 outside, 0 inside (Keras: threshold 0.5)."""

    def __init__(self, threshold=0.5, **kwargs):
        super().__init__(**kwargs)
        self.threshold = float(threshold)

    def value_and_slope(self, x):
        outside = np.abs(x) > self.threshold
        return np.where(outside, x, 0), outside

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


class SoftShrink(HardShrink):
    """``y = x - t if x > t, x + t if x < -t, else 0`` (t: ``threshold``, 0.5): the hard
    shrink moved towards 0 by ``t``, so it is continuous; slope 1 outside, 0 inside."""

    def value_and_slope(self, x):
        t = self.threshold
        return np.where(x > t, x - t, np.where(x < -t, x + t, 0)), np.abs(x) > t


class HardTanh(Pointwise):
    """``y = clip(x, -1, 1)``: a piecewise-linear tanh; slope 1 on (-1, 1), else 0."""

    def value_and_slope(self, x):
        return np.clip(x, -1, 1), (x > -1) & (x < 1)


class LogSigmoid(Pointwise):
    """``y = log(sigmoid(x)) = -softplus(-x)``, computed as ``-logaddexp(0, -x)`` (never
    overflows); ``dy/dx = 1 - sigmoid(x) = sigmoid(-x)``."""

    def value_and_slope(self, x):
        return -np.logaddexp(0, -x), _sigmoid(-x)


class SparsePlus(Pointwise):
    """A softplus made of pieces (Blondel et al.)::

        y = 0              if x <= -1       dy/dx = 0
        y = (x + 1)**2 / 4 if -1 < x < 1    dy/dx = (x + 1) / 2
        y = x              if x >= 1        dy/dx = 1
    """

    def value_and_slope(self, x):
        y = np.where(x <= -1, 0, np.where(x < 1, 0.25 * (x + 1) ** 2, x))
        return y, np.clip(0.5 * (x + 1), 0, 1)


class SparseSigmoid(Pointwise):
    """``y = clip((x + 1) / 2, 0, 1)``: sparse_plus's slope; ``dy/dx = 1/2`` on (-1, 1), else 0."""

    def value_and_slope(self, x):
        return np.clip(0.5 * (x + 1), 0, 1), 0.5 * ((x > -1) & (x < 1))


class Squareplus(Pointwise):
    """``y = (x + sqrt(x**2 + b)) / 2`` (So, 2021), a softplus made of a square root;
    ``dy/dx = (1 + x / sqrt(x**2 + b)) / 2``.

    Args:
        b: how round the bend at 0 is (Keras: 4; 0 gives a ReLU).
    """

    def __init__(self, b=4, **kwargs):
        super().__init__(**kwargs)
        self.b = b

    def value_and_slope(self, x):
        root = np.sqrt(x * x + self.b)
        with np.errstate(invalid="ignore", divide="ignore"):          # b = 0 at x = 0
            return 0.5 * (x + root), np.nan_to_num(0.5 * (1 + x / root), nan=0.5)

    def get_config(self):
        return {**super().get_config(), "b": self.b}


class TanhShrink(Pointwise):
    """``y = x - tanh(x)``; ``dy/dx = tanh(x)**2``."""

    def value_and_slope(self, x):
        t = np.tanh(x)
        return x - t, t * t


class Threshold(Pointwise):
    """``y = x if x > threshold else default_value``; slope 1 above, 0 below.

    Both are required, as in Keras (``activations.threshold(x, threshold, default_value)``).
    """

    def __init__(self, threshold, default_value, **kwargs):
        super().__init__(**kwargs)
        self.threshold, self.default_value = float(threshold), float(default_value)

    def value_and_slope(self, x):
        above = x > self.threshold
        return np.where(above, x, self.default_value), above

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold, "default_value": self.default_value}


class Sparsemax(Layer):
    """Sparsemax (Martins and Astudillo, 2016): like softmax, a row of probabilities summing
    to 1, but many are exactly 0. It is the point of the probability simplex closest to ``z``::

        y = max(z - tau, 0),  tau such that sum(y) = 1

    With the entries sorted ``z_(1) >= z_(2) >= ...``, the ``k`` kept are those with
    ``1 + j z_(j) > sum_{i <= j} z_(i)``, and ``tau = (sum of the k largest - 1) / k``.

    Backward, for one row with ``s`` the kept entries (``y > 0``)::

        dz = s * (dy - sum(dy * s) / sum(s))

    Input shape: any, along the last axis; output shape: the same.
    """

    supports_masking = True

    def forward(self, x, training=False):
        z = np.sort(x, axis=-1)[..., ::-1]                       # largest first
        running = np.cumsum(z, axis=-1)
        j = np.arange(1, x.shape[-1] + 1, dtype=x.dtype)
        kept = z - (running - 1) / j > 0
        k = kept.sum(axis=-1, keepdims=True)
        tau = (np.sum(np.where(kept, z, 0), axis=-1, keepdims=True) - 1) / k
        y = np.maximum(x - tau, 0).astype(x.dtype, copy=False)
        self.support = (y > 0).astype(x.dtype)
        return y

    def backward(self, dy):
        s = self.support
        return s * (dy - (dy * s).sum(axis=-1, keepdims=True) / s.sum(axis=-1, keepdims=True))


# The names Keras gives them (keras.activations), for activation="celu"; threshold needs its
# two numbers, so it has no name of its own (Keras's activation="threshold" fails too).
MORE_ACTIVATIONS = {"celu": CELU, "hard_shrink": HardShrink, "soft_shrink": SoftShrink, "hard_tanh": HardTanh,
                    "log_sigmoid": LogSigmoid, "sparse_plus": SparsePlus, "sparse_sigmoid": SparseSigmoid,
                    "squareplus": Squareplus, "tanh_shrink": TanhShrink, "sparsemax": Sparsemax}
