"""How good is a classifier, and where does it go wrong? Metrics in plain NumPy.

Every metric here starts from two arrays of the same length:

* ``y_true``: the right class of each sample, as integers ``0..K-1`` (one-hot rows work too);
* ``y_pred``: the predicted class, or ``probs``: the predicted probabilities, shape ``(N, K)``.

Most of them are read off the **confusion matrix** ``C``, where ``C[i, j]`` counts the
samples of class ``i`` predicted as ``j``. Its diagonal holds the right answers::

    accuracy  = trace(C) / N
    precision = C[k, k] / C[:, k].sum()   # of the images called "k", how many were k
    recall    = C[k, k] / C[k, :].sum()   # of the images of k, how many were found
    F1        = 2 * precision * recall / (precision + recall)

The results, names and edge cases follow scikit-learn, which the tests use as the oracle:
a ratio whose denominator is zero (a class never predicted, a class with no samples) is
``zero_division`` (0, 1 or NaN; ``"warn"`` means 0 and a warning), and averaging with
``zero_division=np.nan`` skips the undefined classes.
"""

import warnings
from dataclasses import dataclass

import numpy as np

from glassnet.errors import DataError, ShapeError

AVERAGES = (None, "micro", "macro", "weighted")


class UndefinedMetricWarning(UserWarning):
    """A ratio had a zero denominator and was set to ``zero_division`` (as in scikit-learn)."""


# -- checking the inputs ----------------------------------------------------------------
def as_labels(y, what="y_true"):
    """Integer class labels, shape (N,): from labels, one-hot rows or probability rows."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    elif y.ndim == 2:
        y = y.argmax(axis=1)  # one-hot labels, or probabilities: the most likely class
    if y.ndim != 1:
        raise ShapeError(f"{what}: expected class labels of shape (N,) or (N, K), got {y.shape}")
    if y.size == 0:
        raise DataError(f"{what}: no samples")
    if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
        raise DataError(f"{what}: class labels must be whole numbers")
    if y.dtype.kind not in "biuf":
        raise DataError(f"{what}: class labels must be integers, got dtype {y.dtype}")
    if y.min() < 0:
        raise DataError(f"{what}: class labels must be 0 or more, got {y.min()}")
    return y.astype(np.intp)


def as_probs(probs, n, what="probs"):
    """Scores as a float array of shape (n, K), finite, one row per sample."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or len(probs) != n:
        raise ShapeError(f"{what}: expected one row of class scores per sample, shape ({n}, K), "
                         f"got {probs.shape}")
    if not np.isfinite(probs).all():
        raise DataError(f"{what}: contains NaN or infinite values")
    return probs


def _pair(y_true, y_pred):
    y_true, y_pred = as_labels(y_true, "y_true"), as_labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ShapeError(f"y_true has {len(y_true)} samples but y_pred has {len(y_pred)}")
    return y_true, y_pred


def _classes(y_true, y_pred, labels, num_classes):
    """Which classes to report: ``labels``, else ``range(num_classes)``, else those seen."""
    if labels is not None:
        return np.asarray(labels, dtype=np.intp).reshape(-1)
    if num_classes is not None:
        return np.arange(int(num_classes))
    return np.union1d(y_true, y_pred)  # scikit-learn's default: every label that occurs


def _counts(y, classes):
    """How often each of ``classes`` occurs in ``y``."""
    size = max(int(classes.max()), int(y.max()) if y.size else 0) + 1
    return np.bincount(y, minlength=size)[classes]


def _divide(numerator, denominator, zero_division, name):
    """numerator / denominator, with ``zero_division`` where the denominator is 0."""
    valid = (zero_division == "warn" if isinstance(zero_division, str)
             else zero_division in (0, 1) or np.isnan(zero_division))
    if not valid:
        raise ValueError(f"zero_division must be 'warn', 0, 1 or np.nan, got {zero_division!r}")
    empty = denominator == 0
    result = numerator / np.where(empty, 1, denominator)
    if empty.any():
        result[empty] = 0.0 if zero_division == "warn" else zero_division
        if zero_division == "warn":
            warnings.warn(f"{name} is ill-defined for {empty.sum()} class(es) and set to 0.0; "
                          "use zero_division to control this", UndefinedMetricWarning, stacklevel=3)
    return result


def _average(values, weights=None):
    """A (weighted) mean that skips NaN, as scikit-learn averages per-class scores."""
    keep = ~np.isnan(values)
    if not keep.any():
        return float("nan")
    if weights is None or weights[keep].sum() == 0:
        return float(values[keep].mean())
    return float(np.average(values[keep], weights=weights[keep]))


# -- counting right and wrong -----------------------------------------------------------
def accuracy(y_true, y_pred):
    """The fraction of samples predicted right."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, labels=None, num_classes=None, normalize=None):
    """``C[i, j]``: how many samples of class ``i`` were predicted as class ``j``.

    Args:
        labels: the classes for the rows and columns, in order (default: those that occur;
            samples of other classes are left out, as in scikit-learn).
        num_classes: shorthand for ``labels=range(num_classes)``; digits want 10 rows
            even when a test set lacks one digit.
        normalize: None (counts), ``"true"`` (each row sums to 1: the recall view),
            ``"pred"`` (each column sums to 1) or ``"all"``. Empty rows stay 0.

    Returns:
        ``(K, K)`` int64 counts, or float64 fractions when normalized.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    classes = _classes(y_true, y_pred, labels, num_classes)
    k = len(classes)
    # Map each label to its row (-1: not reported), then count the (row, column) pairs
    # in one bincount over the flattened index row * K + column.
    lookup = np.full(max(classes.max(), y_true.max(), y_pred.max()) + 1, -1)
    lookup[classes] = np.arange(k)
    rows, cols = lookup[y_true], lookup[y_pred]
    keep = (rows >= 0) & (cols >= 0)
    cm = np.bincount(rows[keep] * k + cols[keep], minlength=k * k).reshape(k, k).astype(np.int64)
    if normalize is None:
        return cm
    axis = {"true": 1, "pred": 0, "all": None}.get(normalize, "bad")
    if axis == "bad":
        raise ValueError(f"normalize must be None, 'true', 'pred' or 'all', got {normalize!r}")
    total = cm.sum(axis=axis, keepdims=axis is not None)
    return cm / np.where(total == 0, 1, total)


def precision_recall_fscore_support(y_true, y_pred, labels=None, num_classes=None,
                                    average=None, zero_division="warn"):
    """Precision, recall, F1 and support of each class, or their average.

    Per class ``k``, from the true positives ``tp``, the predictions of ``k`` and the
    samples of ``k`` (its *support*)::

        precision = tp / predicted_k          recall = tp / support_k
        F1 = 2 tp / (support_k + predicted_k) # the harmonic mean of the two

    Args:
        average: None (arrays, one value per class), ``"macro"`` (every class counts the
            same), ``"weighted"`` (classes weighted by support) or ``"micro"`` (pool the
            counts of all classes first; for single-label data it equals accuracy).
        zero_division: the value of a ratio whose denominator is 0.

    Returns:
        ``(precision, recall, f1, support)``; floats and ``support=None`` when averaged.
    """
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, got {average!r}")
    y_true, y_pred = _pair(y_true, y_pred)
    classes = _classes(y_true, y_pred, labels, num_classes)
    tp = _counts(y_true[y_true == y_pred], classes)
    predicted, support = _counts(y_pred, classes), _counts(y_true, classes)
    if average == "micro":
        # pool the counts of every class first, as if there were one class
        tp, predicted, support = (a.sum(keepdims=True) for a in (tp, predicted, support))
    precision = _divide(tp, predicted, zero_division, "Precision")
    recall = _divide(tp, support, zero_division, "Recall")
    f1 = _divide(2 * tp, support + predicted, zero_division, "F-score")
    if average is None:
        return precision, recall, f1, support
    weights = support if average == "weighted" else None
    return _average(precision, weights), _average(recall, weights), _average(f1, weights), None


def precision_score(y_true, y_pred, **kwargs):
    """Precision per class (or averaged): of the samples called ``k``, the share that are ``k``."""
    return precision_recall_fscore_support(y_true, y_pred, **kwargs)[0]


def recall_score(y_true, y_pred, **kwargs):
    """Recall per class (or averaged): of the samples of ``k``, the share found."""
    return precision_recall_fscore_support(y_true, y_pred, **kwargs)[1]


def f1_score(y_true, y_pred, **kwargs):
    """F1 per class (or averaged): the harmonic mean of precision and recall."""
    return precision_recall_fscore_support(y_true, y_pred, **kwargs)[2]


def per_class_accuracy(y_true, y_pred, labels=None, num_classes=None, zero_division="warn"):
    """For each class, the fraction of its samples predicted right (its recall)."""
    return recall_score(y_true, y_pred, labels=labels, num_classes=num_classes,
                        zero_division=zero_division)


def most_confused(y_true, y_pred, top=10):
    """The most frequent mistakes, as ``[(true, predicted, count), ...]``, largest first.

    For digits this reads like "4 -> 9: 12 times, 7 -> 2: 9 times". Pairs that never
    happen are left out; ties are listed in class order.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    wrong = y_true != y_pred
    pairs, counts = np.unique(np.stack([y_true[wrong], y_pred[wrong]], axis=1), axis=0,
                              return_counts=True)
    order = np.argsort(-counts, kind="stable")[:top]
    return [(int(pairs[i, 0]), int(pairs[i, 1]), int(counts[i])) for i in order]


def top_k_accuracy(y_true, probs, k=5):
    """The fraction of samples whose true class is among the ``k`` highest scores.

    The rank of the true class is the number of classes that score higher (ties are
    broken toward the higher class index, as scikit-learn does); a hit is a rank below ``k``.
    """
    y_true = as_labels(y_true)
    probs = as_probs(probs, len(y_true))
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if y_true.max() >= probs.shape[1]:
        raise DataError(f"y_true has class {y_true.max()} but probs has only {probs.shape[1]} columns")
    true_score = probs[np.arange(len(y_true)), y_true][:, None]           # (N, 1)
    higher_index = np.arange(probs.shape[1]) > y_true[:, None]             # (N, K)
    rank = np.sum((probs > true_score) | ((probs == true_score) & higher_index), axis=1)
    return float(np.mean(rank < k))


# -- ROC curves: every threshold at once ------------------------------------------------
def roc_curve(positive, scores, drop_intermediate=True):
    """The ROC curve of one yes/no question: ``(fpr, tpr, thresholds)``.

    Sort the samples by score, highest first, and lower the threshold past one distinct
    score at a time. Everything above the threshold is called positive, so the running
    count of true positives gives the true-positive rate ``tpr = TP / P`` and the rest
    give the false-positive rate ``fpr = FP / N``. The curve starts at (0, 0) with an
    infinite threshold. ``drop_intermediate`` drops points that lie on a straight line
    between their neighbours (they don't change the curve), as scikit-learn does.

    Args:
        positive: booleans (or 0/1), shape (N,): is the sample of the class?
        scores: shape (N,): how strongly the model says yes.
    """
    positive = np.asarray(positive).astype(bool).reshape(-1)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(positive) != len(scores):
        raise ShapeError(f"positive has {len(positive)} samples but scores has {len(scores)}")
    order = np.argsort(scores, kind="mergesort")[::-1]
    scores, positive = scores[order], positive[order]
    ends = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]  # last of each run of ties
    tps = np.cumsum(positive)[ends]
    fps = 1 + ends - tps
    thresholds = scores[ends]
    if drop_intermediate and len(fps) > 2:
        corner = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps, thresholds = fps[corner], tps[corner], thresholds[corner]
    tps, fps, thresholds = np.r_[0, tps], np.r_[0, fps], np.r_[np.inf, thresholds]
    with np.errstate(invalid="ignore", divide="ignore"):  # no negatives (or positives): NaN
        fpr = fps / fps[-1] if fps[-1] > 0 else np.full(len(fps), np.nan)
        tpr = tps / tps[-1] if tps[-1] > 0 else np.full(len(tps), np.nan)
    return fpr, tpr, thresholds


def auc(x, y):
    """The area under a curve through the points (x, y), by the trapezoidal rule."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))


def roc_curves(y_true, probs):
    """One-vs-rest ROC curves: ``[(fpr, tpr, thresholds) for each class]``.

    For class ``k`` the question is "is it a k?", answered by the score ``probs[:, k]``.
    """
    y_true = as_labels(y_true)
    probs = as_probs(probs, len(y_true))
    return [roc_curve(y_true == k, probs[:, k]) for k in range(probs.shape[1])]


def roc_auc_score(y_true, probs, average="macro"):
    """Area under each one-vs-rest ROC curve: 1.0 is perfect ranking, 0.5 is guessing.

    The AUC is the chance that a random sample of the class scores higher than a random
    sample of another class. It is undefined (NaN, with a warning) for a class with no
    samples, or with nothing but; the macro average is then NaN too, as in scikit-learn.

    Args:
        average: ``"macro"`` (the mean over classes) or None (one AUC per class).
    """
    if average not in (None, "macro"):
        raise ValueError(f"average must be 'macro' or None, got {average!r}")
    y_true = as_labels(y_true)
    probs = as_probs(probs, len(y_true))
    per_class = np.array([auc(fpr, tpr) for fpr, tpr, _ in roc_curves(y_true, probs)])
    undefined = np.flatnonzero(np.isnan(per_class))
    if undefined.size:
        warnings.warn(f"ROC AUC is undefined for class(es) {undefined.tolist()}: the labels "
                      "have no sample of them, or nothing else", UndefinedMetricWarning, stacklevel=2)
    return per_class if average is None else float(per_class.mean())


# -- calibration: does "90% sure" mean right 9 times in 10? -----------------------------
@dataclass
class CalibrationBins:
    """Samples grouped by confidence, for the reliability diagram.

    Attributes:
        edges: ``(n_bins + 1,)`` bin edges from 0 to 1.
        confidence: mean confidence in each bin (NaN for an empty bin).
        accuracy: fraction right in each bin (NaN for an empty bin).
        counts: samples in each bin.
    """

    edges: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    counts: np.ndarray

    @property
    def ece(self):
        """Expected calibration error: the count-weighted mean gap |accuracy - confidence|."""
        full = self.counts > 0
        gaps = np.abs(self.accuracy[full] - self.confidence[full])
        return float(np.sum(self.counts[full] * gaps) / self.counts.sum())


def calibration_bins(y_true, probs, n_bins=10):
    """Group predictions by confidence (the top probability) into equal-width bins.

    A bin holds confidences in ``(lo, hi]`` (the first also holds 0), the binning of
    scikit-learn's ``calibration_curve``. A calibrated model is right in about 80% of the
    cases where it says 80%: accuracy equals confidence in every bin.
    """
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    y_true = as_labels(y_true)
    probs = as_probs(probs, len(y_true))
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == y_true).astype(np.float64)
    edges = np.linspace(0.0, 1.0, int(n_bins) + 1)
    which = np.searchsorted(edges[1:-1], confidence)  # bin index of each sample
    counts = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore"):  # empty bins: 0 / 0 = NaN, on purpose
        mean_confidence = np.bincount(which, weights=confidence, minlength=n_bins) / counts
        mean_correct = np.bincount(which, weights=correct, minlength=n_bins) / counts
    return CalibrationBins(edges, mean_confidence, mean_correct, counts)


def expected_calibration_error(y_true, probs, n_bins=10):
    """ECE: how far, on average over samples, confidence is from accuracy (0 is perfect)."""
    return calibration_bins(y_true, probs, n_bins).ece
