"""Metrics: streaming figures that ``fit`` and ``evaluate`` report, the Keras way.

(Minimal version; the full set of Keras metrics replaces it.)
"""

import numpy as np


class Metric:
    name = "metric"

    def __init__(self, name=None):
        if name is not None:
            self.name = name
        self.reset_state()

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def result(self):
        return float(self.total / self.count) if self.count else 0.0

    def get_config(self):
        return {"name": self.name}


class Mean(Metric):
    name = "mean"

    def update_state(self, values, sample_weight=None):
        values = np.asarray(values, np.float64).reshape(-1)
        if sample_weight is None:
            self.total += values.sum()
            self.count += values.size
        else:
            w = np.broadcast_to(np.asarray(sample_weight, np.float64), values.shape)
            self.total += (values * w).sum()
            self.count += w.sum()


class Accuracy(Metric):
    """Share of rows whose largest output is the true class (integer or one-hot labels)."""

    name = "accuracy"

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = np.asarray(y_true)
        labels = y_true.argmax(axis=-1) if y_true.ndim == 2 and y_true.shape[1] > 1 else y_true.reshape(-1)
        right = (y_pred.argmax(axis=-1) == labels)
        if sample_weight is None:
            self.total += right.sum()
            self.count += right.size
        else:
            w = np.asarray(sample_weight, np.float64)
            self.total += (right * w).sum()
            self.count += w.sum()


def get(identifier):
    if isinstance(identifier, Metric):
        return identifier
    if identifier in ("accuracy", "acc"):
        return Accuracy(name=identifier)
    raise ValueError(f"unknown metric {identifier!r}")
