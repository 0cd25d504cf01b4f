"""Keras 3's PearsonCorrelation, ConcordanceCorrelation and Sum metrics, and the function
forms ``pearson_correlation`` and ``concordance_correlation`` (one value per sample).

Both correlations are taken along ``axis`` (the outputs of one sample), then averaged over
the samples like any other per-sample metric::

    pearson     = mean(((y - mean y) / std y) * ((p - mean p) / std p))
    concordance = mean(2 (y - mean p)(p - mean p) / (var y + var p + (mean y - mean p)**2 + eps))

The concordance line is Keras 3.15's, which centres ``y`` on the mean of ``p`` in the
numerator (the textbook's Lin coefficient centres it on its own mean); glassnet follows
Keras, so that the figures match. ``std`` and ``var`` are the population ones.
"""

import numpy as np

from glassnet.engine.metrics import Mean, MeanMetricWrapper, _array

EPSILON = 1e-7


def _pair(y_true, y_pred):
    """Labels and predictions as float arrays of one rank (a ``(N,)`` pair with ``(N, 1)``)."""
    p = _array(y_pred)
    p = p.astype(p.dtype if p.dtype.kind == "f" else np.float32)
    y = _array(y_true).astype(p.dtype)
    if y.ndim == p.ndim + 1 and y.shape[-1] == 1:
        y = y[..., 0]
    elif p.ndim == y.ndim + 1 and p.shape[-1] == 1:
        p = p[..., 0]
    if y.shape != p.shape:
        from glassnet.errors import ShapeError
        raise ShapeError(f"correlation: targets of shape {y.shape} don't match predictions {p.shape}")
    return y, p


def pearson_correlation(y_true, y_pred, axis=-1):
    from glassnet.engine.tensor import as_tensor
    y, p = _pair(y_true, y_pred)
    y = y - y.mean(axis=axis, keepdims=True)
    p = p - p.mean(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):      # a constant row: NaN, as in Keras
        y = y / y.std(axis=axis, keepdims=True)
        p = p / p.std(axis=axis, keepdims=True)
    return as_tensor(np.mean(y * p, axis=axis))


def concordance_correlation(y_true, y_pred, axis=-1):
    from glassnet.engine.tensor import as_tensor
    y, p = _pair(y_true, y_pred)
    y_mean, p_mean = y.mean(axis=axis, keepdims=True), p.mean(axis=axis, keepdims=True)
    norm = y.var(axis=axis, keepdims=True) + p.var(axis=axis, keepdims=True) + (y_mean - p_mean) ** 2
    return as_tensor(np.mean(2 * (y - p_mean) * (p - p_mean) / (norm + EPSILON), axis=axis))


class PearsonCorrelation(MeanMetricWrapper):
    """The mean over samples of :func:`pearson_correlation` (1: outputs rise and fall with
    the targets; 0: unrelated)."""

    direction = "up"

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype or "float32", "axis": self.axis}


class ConcordanceCorrelation(MeanMetricWrapper):
    """The mean over samples of :func:`concordance_correlation` (agreement, not only
    correlation: a prediction off by a constant scores less than 1)."""

    direction = "up"

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype or "float32", "axis": self.axis}


class Sum(Mean):
    """The (weighted) sum of every value passed to ``update_state(values, sample_weight)``."""

    default_name = "sum"
    state_names = ("total",)

    def result(self):
        return self.total

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype or "float32"}


NAMES = {"pearson_correlation": PearsonCorrelation, "concordance_correlation": ConcordanceCorrelation, "sum": Sum}
