"""One figure at the best threshold that meets a constraint on another, Keras 3's
SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall and RecallAtPrecision.

The counts (true and false positives and negatives) are kept at ``num_thresholds``
thresholds spread evenly over ``[0, 1]``: a prediction counts as positive at every threshold
strictly below it. The result is the largest value of the figure over the thresholds where
the constraint holds (0 where it holds nowhere), e.g. for ``SensitivityAtSpecificity(0.9)``::

    max over t with TN(t) / (TN(t) + FP(t)) >= 0.9  of  TP(t) / (TP(t) + FN(t))

(a medical test's sensitivity when at most one healthy person in ten may be flagged).
Labels count as positive when not 0; ``class_id`` picks one column of a ``(N, K)`` output.
Each update sorts nothing: every prediction falls into the bucket below its threshold
(``ceil(p (T - 1)) - 1``, as Keras computes it) and the counts are reversed running sums.
"""

import numpy as np

from glassnet.engine.metrics import Metric, _array, _binary_labels, _divide, _weights


class _AtConstraint(Metric):
    """The four counts at every threshold, and the max under a constraint (see the module)."""

    direction = "up"
    state_names = ("true_positives", "false_positives", "true_negatives", "false_negatives")
    constraint = None        # the name of the argument the constraint is given as

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if not 0 <= value <= 1:
            raise ValueError(f"Argument `{self.constraint}` must be in the range [0, 1]. Received: "
                             f"{self.constraint}={value}")
        if int(num_thresholds) != num_thresholds or num_thresholds <= 0:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 0. Received: "
                             f"num_thresholds={num_thresholds}")
        self.value, self.num_thresholds = float(value), int(num_thresholds)
        self.class_id = None if class_id is None else int(class_id)
        super().__init__(name=name, dtype=dtype)

    @property
    def thresholds(self):
        """``[0, 1/(T-1), ..., 1]`` (one threshold: 0.5)."""
        t = self.num_thresholds
        return [0.5] if t == 1 else [i / (t - 1) for i in range(t)]

    def reset_state(self):
        size = len(self.thresholds)
        self.true_positives, self.false_positives = np.zeros(size), np.zeros(size)
        self.true_negatives, self.false_negatives = np.zeros(size), np.zeros(size)

    def update_state(self, y_true, y_pred, sample_weight=None):
        p = _array(y_pred).astype(np.float64)
        y = (_binary_labels(y_true, p) != 0).astype(np.float64)
        w = np.ones_like(p) if sample_weight is None else _weights(sample_weight, p)
        if self.class_id is not None:
            y, p, w = y[..., self.class_id], p[..., self.class_id], w[..., self.class_id]
        p, y, w = np.clip(p, 0, 1).ravel(), y.ravel(), w.ravel()
        t = len(self.thresholds)
        if t == 1:
            bucket = np.where(p > 0.5, 0, -1)
        else:                        # the highest threshold strictly below p (-1: none)
            bucket = (np.ceil(p * (t - 1)) - 1).astype(np.intp)
        counted = bucket >= 0
        positives = np.bincount(bucket[counted], weights=(y * w)[counted], minlength=t)
        negatives = np.bincount(bucket[counted], weights=((1 - y) * w)[counted], minlength=t)
        tp, fp = np.cumsum(positives[::-1])[::-1], np.cumsum(negatives[::-1])[::-1]
        self.true_positives += tp
        self.false_positives += fp
        self.false_negatives += (y * w).sum() - tp
        self.true_negatives += ((1 - y) * w).sum() - fp

    def rates(self):
        """``{"sensitivity", "specificity", "precision", "recall"}`` at every threshold."""
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        recall = _divide(tp, tp + fn)
        return {"sensitivity": recall, "recall": recall, "specificity": _divide(tn, tn + fp),
                "precision": _divide(tp, tp + fp)}

    def result(self):
        rates = self.rates()
        feasible = rates[self.constraint] >= self.value
        return float(np.max(np.where(feasible, rates[self.figure], 0.0), initial=0.0))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype or "float32", "class_id": self.class_id,
                "num_thresholds": self.num_thresholds, self.constraint: self.value}


class SensitivityAtSpecificity(_AtConstraint):
    """The best sensitivity (recall) where the specificity is at least ``specificity``."""

    default_name, figure, constraint = "sensitivity_at_specificity", "sensitivity", "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(_AtConstraint):
    """The best specificity where the sensitivity (recall) is at least ``sensitivity``."""

    default_name, figure, constraint = "specificity_at_sensitivity", "specificity", "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


class PrecisionAtRecall(_AtConstraint):
    """The best precision where the recall is at least ``recall``."""

    default_name, figure, constraint = "precision_at_recall", "precision", "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(_AtConstraint):
    """The best recall where the precision is at least ``precision``."""

    default_name, figure, constraint = "recall_at_precision", "recall", "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


NAMES = {"sensitivity_at_specificity": SensitivityAtSpecificity, "specificity_at_sensitivity": SpecificityAtSensitivity,
         "precision_at_recall": PrecisionAtRecall, "recall_at_precision": RecallAtPrecision}
