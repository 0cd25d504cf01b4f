"""Scores that are not means over samples: F-beta (F1) and R² (the coefficient of determination).

Both keep running totals per output column and work the score out of them at the end, as
Keras 3 does, so the score of an epoch is that of all its samples together, not an average
of the batches' scores.

**F-beta.** Each row's prediction becomes 0/1 (above ``threshold``, or the row's largest
output when there is none), and per class::

    precision = TP / (TP + FP),   recall = TP / (TP + FN)
    F_beta = (1 + beta**2) * precision * recall / (beta**2 * precision + recall)

``beta = 1`` (F1) weighs the two alike. ``average``: None gives one score per class;
``"macro"`` their mean; ``"weighted"`` their mean weighted by how many samples each class
has; ``"micro"`` counts TP, FP and FN over all classes together first.

**R².** One minus the squared error left over, as a fraction of the targets' own variance::

    R² = 1 - sum((y - y_pred)**2) / sum((y - mean(y))**2)

1 is perfect, 0 is no better than always predicting the mean. Per output column, then
averaged (``class_aggregation``).
"""

import warnings

import numpy as np

from glassnet.engine.metrics import Metric, _array, _binary_labels
from glassnet.errors import ShapeError

EPSILON = 1e-7      # Keras's backend.epsilon(), in the F-score's divisions


def _two_dimensional(y_true, y_pred, owner):
    if y_true.ndim != 2 or y_pred.ndim != 2:
        raise ShapeError(f"{owner} expects 2-D labels and predictions (batch, outputs); got "
                         f"{y_true.shape} and {y_pred.shape}")


def _row_weights(sample_weight, like):
    """Sample weights as a column ``(N, 1)`` (or the array Keras broadcasts), 1 when None."""
    if sample_weight is None:
        return np.ones((len(like), 1))
    w = np.asarray(_array(sample_weight), np.float64)
    return w[:, np.newaxis] if w.ndim == 1 else np.broadcast_to(w, like.shape)


class FBetaScore(Metric):
    """The F-beta score of a classifier (module docstring), as ``keras.metrics.FBetaScore``.

    Args:
        average: None (one score per class), ``"micro"``, ``"macro"`` or ``"weighted"``.
        beta: how much more recall counts than precision (a float > 0).
        threshold: a prediction above it is positive; None: each row's largest output.

    Labels: one-hot rows ``(N, K)``, as in Keras (class numbers ``(N,)`` are turned into
    them here, a glassnet convenience).
    """

    default_name = "fbeta_score"
    direction = "up"
    state_names = ("true_positives", "false_positives", "false_negatives", "intermediate_weights")

    def __init__(self, average=None, beta=1.0, threshold=None, name=None, dtype=None):
        kind = type(self).__name__
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"{kind}: average must be None, 'micro', 'macro' or 'weighted', got {average!r}")
        if not isinstance(beta, float) or beta <= 0:
            raise ValueError(f"{kind}: beta must be a float > 0, got {beta!r}")
        if threshold is not None and (not isinstance(threshold, float) or not 0 < threshold <= 1):
            raise ValueError(f"{kind}: threshold must be a float in (0, 1], got {threshold!r}")
        self.average, self.beta, self.threshold = average, beta, threshold
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        self.true_positives = self.false_positives = self.false_negatives = self.intermediate_weights = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        p = np.asarray(_array(y_pred), np.float64)
        y = np.asarray(_binary_labels(y_true, p), np.float64)
        _two_dimensional(y, p, type(self).__name__)
        if self.threshold is None:        # each row's largest output (a zero row: none)
            called = (p >= p.max(axis=-1, keepdims=True)) & (np.abs(p) > 1e-9)
        else:
            called = p > self.threshold
        called = called.astype(np.float64)
        w = _row_weights(sample_weight, y)
        axis = None if self.average == "micro" else 0       # micro: everything counted together
        self.true_positives = self.true_positives + (w * called * y).sum(axis=axis)
        self.false_positives = self.false_positives + (w * called * (1 - y)).sum(axis=axis)
        self.false_negatives = self.false_negatives + (w * (1 - called) * y).sum(axis=axis)
        self.intermediate_weights = self.intermediate_weights + (w * y).sum(axis=axis)

    def result(self):
        tp = np.asarray(self.true_positives, np.float64)
        precision = tp / (tp + self.false_positives + EPSILON)
        recall = tp / (tp + self.false_negatives + EPSILON)
        b2 = self.beta ** 2
        score = (1 + b2) * precision * recall / (b2 * precision + recall + EPSILON)
        if self.average == "weighted":
            weights = np.asarray(self.intermediate_weights, np.float64)
            return float(np.sum(score * weights / (np.sum(weights) + EPSILON)))
        if self.average is not None:      # micro (one score already) and macro
            return float(np.mean(score))
        return score

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """F-beta with ``beta = 1``: the harmonic mean of precision and recall, as
    ``keras.metrics.F1Score``."""

    default_name = "f1_score"

    def __init__(self, average=None, threshold=None, name=None, dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


class R2Score(Metric):
    """The coefficient of determination R² of a regression (module docstring), as
    ``keras.metrics.R2Score``.

    Args:
        class_aggregation: ``"uniform_average"`` (the mean of the columns' R²),
            ``"variance_weighted_average"`` (weighted by each column's variance) or None
            (one R² per column).
        num_regressors: the number of inputs, for the adjusted R² (0: plain R²).
    """

    default_name = "r2_score"
    direction = "up"
    state_names = ("num_samples", "squared_sum", "sum", "residual", "count")     # Keras's order

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name=None, dtype=None):
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError(f"R2Score: class_aggregation must be None, 'uniform_average' or "
                             f"'variance_weighted_average', got {class_aggregation!r}")
        if num_regressors < 0:
            raise ValueError(f"R2Score: num_regressors must be >= 0, got {num_regressors!r}")
        self.class_aggregation, self.num_regressors = class_aggregation, int(num_regressors)
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        self.sum = self.squared_sum = self.residual = self.count = self.num_samples = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        p = np.asarray(_array(y_pred), np.float64)
        y = np.asarray(_array(y_true), np.float64)
        if y.ndim == p.ndim - 1:                 # (N,) targets of a (N, 1) output
            y = y[..., np.newaxis]
        _two_dimensional(y, p, "R2Score")
        w = np.broadcast_to(_row_weights(sample_weight, y), y.shape)
        self.sum = self.sum + (w * y).sum(axis=0)
        self.squared_sum = self.squared_sum + (w * y * y).sum(axis=0)
        self.residual = self.residual + (w * (y - p) ** 2).sum(axis=0)
        self.count = self.count + w.sum(axis=0)
        self.num_samples += float(np.count_nonzero((w != 0).any(axis=-1)))

    def result(self):
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = self.sum / self.count
            total = self.squared_sum - self.sum * mean          # sum((y - mean)**2) per column
            scores = 1 - self.residual / total
        scores = np.where(np.isinf(scores), 0.0, scores)    # a constant column, as Keras
        if self.class_aggregation == "uniform_average":
            score = float(np.mean(scores))
        elif self.class_aggregation == "variance_weighted_average":
            score = float(np.sum(total * scores) / np.sum(total))
        else:
            score = scores
        if self.num_regressors:                   # adjusted R², when there are samples enough
            n, k = self.num_samples, self.num_regressors
            if k >= n - 1:
                warnings.warn(f"R2Score: {k} regressors for {n:g} samples: the adjusted R2 score needs more "
                              f"samples than regressors + 1; the plain R2 score is given", stacklevel=2)
            else:
                score = 1 - (1 - score) * (n - 1) / (n - k - 1)
        return score

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


NAMES = {"fbeta_score": FBetaScore, "f1_score": F1Score, "r2_score": R2Score}
