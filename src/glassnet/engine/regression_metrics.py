"""More of Keras's metrics: how far predictions are from the truth, per sample, averaged.

Each is a :class:`~glassnet.engine.metrics.MeanMetricWrapper` around a function giving one
value per sample (the mean over its last axis), as Keras computes it:

========================  ==================================================================
RootMeanSquaredError      ``sqrt(mean((y_pred - y_true)**2))`` over everything seen
MeanAbsolutePercentage... ``100 * mean(|y_true - y_pred| / max(|y_true|, eps))``
MeanSquaredLogarithmic... ``mean((log(1 + max(y_pred, eps)) - log(1 + max(y_true, eps)))**2)``
LogCoshError              ``mean(log(cosh(y_pred - y_true)))``
CosineSimilarity          ``sum(y_true * y_pred) / (|y_true| |y_pred|)`` along the last axis
KLDivergence              ``sum(y_true * log(y_true / y_pred))``, both clipped to ``[eps, 1]``
Poisson                   ``mean(y_pred - y_true * log(y_pred + eps))``
Hinge, SquaredHinge       ``mean(max(1 - y_true * y_pred, 0))`` (squared); labels 0/1 -> -1/1
CategoricalHinge          ``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)``
========================  ==================================================================

The same functions are ``keras.metrics.mean_absolute_percentage_error`` and friends; those
that are losses too are the losses' own (:mod:`glassnet.engine.more_losses`).
"""

import numpy as np

from glassnet.engine import more_losses
from glassnet.engine.losses import kl_divergence  # noqa: F401  (the loss's function is the metric's)
from glassnet.engine.metrics import Mean, MeanMetricWrapper, _array
from glassnet.engine.more_losses import (hinge, log_cosh, mean_absolute_percentage_error,  # noqa: F401
                                         mean_squared_logarithmic_error, poisson, squared_hinge)


def _pair(y_true, y_pred):
    y_true, y_pred = np.asarray(_array(y_true), np.float64), np.asarray(_array(y_pred), np.float64)
    return y_true.reshape(y_pred.shape) if y_true.size == y_pred.size else y_true, y_pred


def cosine_similarity(y_true, y_pred, axis=-1):
    """The cosine itself (the loss of that name is its negative, to be minimised)."""
    return -more_losses.cosine_similarity(*_pair(y_true, y_pred), axis=axis)


def categorical_hinge(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    positive = np.sum(y_true * y_pred, axis=-1)
    negative = np.max((1 - y_true) * y_pred, axis=-1)
    return np.maximum(negative - positive + 1, 0)


def _metric(function, name, doc, logged=None):
    """A metric class averaging ``function`` per sample, logged as ``logged`` (default: its name)."""
    logged = logged or function.__name__

    def __init__(self, name=None, dtype=None):
        MeanMetricWrapper.__init__(self, name=name or logged, dtype=dtype)

    return type(name, (MeanMetricWrapper,), {"__doc__": doc, "default_name": logged, "__init__": __init__,
                                            "direction": "down", "fn": staticmethod(function),
                                            "__module__": __name__})


MeanAbsolutePercentageError = _metric(mean_absolute_percentage_error, "MeanAbsolutePercentageError",
                                      "The mean absolute error, as a percentage of the truth.")
MeanSquaredLogarithmicError = _metric(mean_squared_logarithmic_error, "MeanSquaredLogarithmicError",
                                      "The mean squared error of log(1 + y).")
LogCoshError = _metric(log_cosh, "LogCoshError", "The mean of log(cosh(error)).", logged="logcosh")
Poisson = _metric(poisson, "Poisson", "The Poisson loss, as a metric.")
KLDivergence = _metric(kl_divergence, "KLDivergence", "The Kullback-Leibler divergence, as a metric.")
Hinge = _metric(hinge, "Hinge", "The hinge loss, as a metric.")
SquaredHinge = _metric(squared_hinge, "SquaredHinge", "The squared hinge loss, as a metric.")
CategoricalHinge = _metric(categorical_hinge, "CategoricalHinge", "The categorical hinge loss, as a metric.")


class CosineSimilarity(MeanMetricWrapper):
    """The mean cosine of the angle between each prediction and its truth (1: same direction)."""
    default_name = "cosine_similarity"
    direction = "up"
    fn = staticmethod(cosine_similarity)

    def __init__(self, name=None, dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)


class RootMeanSquaredError(Mean):
    """``sqrt(mean((y_pred - y_true)**2))`` over every value seen (the root of the mean, not
    the mean of each batch's root), as Keras computes it."""
    default_name = "root_mean_squared_error"
    direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _pair(y_true, y_pred)
        super().update_state((y_pred - y_true) ** 2, sample_weight)

    def result(self):
        return float(np.sqrt(super().result()))


NAMES = {"mean_absolute_percentage_error": MeanAbsolutePercentageError, "mape": MeanAbsolutePercentageError,
         "MAPE": MeanAbsolutePercentageError,
         "mean_squared_logarithmic_error": MeanSquaredLogarithmicError, "msle": MeanSquaredLogarithmicError,
         "MSLE": MeanSquaredLogarithmicError,
         "log_cosh": LogCoshError, "logcosh": LogCoshError, "poisson": Poisson,
         "kl_divergence": KLDivergence, "kld": KLDivergence, "KLD": KLDivergence,
         "hinge": Hinge, "squared_hinge": SquaredHinge, "categorical_hinge": CategoricalHinge,
         "cosine_similarity": CosineSimilarity, "root_mean_squared_error": RootMeanSquaredError}
