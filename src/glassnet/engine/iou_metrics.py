"""Intersection over union, Keras 3's IoU metrics: how well predicted class regions overlap
the true ones (image segmentation's usual figure).

Every update adds the batch to one confusion matrix ``C`` (num_classes, num_classes), rows
the true class, columns the predicted one. For class ``k``::

    IoU_k = C[k, k] / (sum(C[k, :]) + sum(C[:, k]) - C[k, k])     # TP / (TP + FP + FN)

and the result is the mean of ``IoU_k`` over the target classes that occurred at all (a class
neither present nor predicted has no IoU and is left out, as in Keras).

As in Keras, labels and predictions are class numbers cast to integers (``sparse_y_true``,
``sparse_y_pred``), or rows whose argmax is taken (``False``); the matrix is integer
(``dtype`` "int64"), so sample weights are cast to integers too (Keras warns about float
weights, and so does glassnet). Classes outside ``[0, num_classes)`` and ``ignore_class``
are not counted.
"""

import warnings

import numpy as np

from glassnet.engine.metrics import Metric, _array

EPSILON = 1e-7      # Keras's backend.epsilon()


class IoU(Metric):
    """The mean IoU over ``target_class_ids``; see the module docstring.

    Args:
        num_classes: the number of classes ``K``.
        target_class_ids: the classes averaged.
        ignore_class: a class number left out of the count (a "void" label), or None.
        sparse_y_true, sparse_y_pred: class numbers (True) or rows to take the argmax of.
        axis: the axis of those rows.
    """

    default_name = "io_u"
    direction = "up"
    state_names = ("total_confusion_matrix",)

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        self.num_classes = int(num_classes)
        self.target_class_ids = [int(k) for k in target_class_ids]
        if max(self.target_class_ids) >= self.num_classes:
            raise ValueError(f"Target class id {max(self.target_class_ids)} is out of range, which is "
                             f"[0, {self.num_classes}).")
        self.ignore_class = ignore_class
        self.sparse_y_true, self.sparse_y_pred, self.axis = bool(sparse_y_true), bool(sparse_y_pred), int(axis)
        super().__init__(name=name, dtype=dtype or "int64")

    def reset_state(self):
        self.total_confusion_matrix = np.zeros((self.num_classes, self.num_classes), np.int64)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y, p = _array(y_true), _array(y_pred)
        if not self.sparse_y_true:
            y = np.argmax(y, axis=self.axis)
        if not self.sparse_y_pred:
            p = np.argmax(p, axis=self.axis)
        self._count(y, p, sample_weight)

    def _count(self, y, p, sample_weight):
        """Add the pairs (true class, predicted class) to the matrix, each with its weight."""
        y, p = y.astype(np.int64).reshape(-1), p.astype(np.int64).reshape(-1)
        if sample_weight is None:
            w = np.ones_like(y)
        else:
            w = np.asarray(sample_weight)
            if w.dtype.kind == "f":
                warnings.warn("You are passing weight as `float`, but dtype is `int`. This may result in an "
                              "incorrect weight due to type casting Consider using integer weights.", stacklevel=3)
            w = np.broadcast_to(w.astype(np.int64).reshape(-1) if w.ndim > 1 else w.astype(np.int64), y.shape)
        k = self.num_classes
        counted = (y >= 0) & (y < k) & (p >= 0) & (p < k)
        if self.ignore_class is not None:
            counted &= y != self.ignore_class
        cells = np.bincount(y[counted] * k + p[counted], weights=w[counted], minlength=k * k)
        self.total_confusion_matrix += cells.astype(np.int64).reshape(k, k)

    def result(self):
        cm = self.total_confusion_matrix.astype(np.float64)
        true_positives = np.diag(cm)
        denominator = cm.sum(axis=0) + cm.sum(axis=1) - true_positives      # TP + FP + FN
        ids = self.target_class_ids
        true_positives, denominator = true_positives[ids], denominator[ids]
        valid = denominator > 1e-9
        iou = np.where(valid, true_positives / (denominator + EPSILON), 0.0)
        return float(iou.sum() / (valid.sum() + EPSILON))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class MeanIoU(IoU):
    """The IoU averaged over every class (keras.io's segmentation examples' metric)."""

    default_name = "mean_io_u"

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


class BinaryIoU(IoU):
    """The IoU of two classes: a prediction is class 1 when it is ``>= threshold``.

    Args:
        target_class_ids: which of the two classes to average (both, by default).
        threshold: the probability from which a prediction counts as 1 (0.5).
    """

    default_name = "binary_io_u"

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = float(threshold)

    def update_state(self, y_true, y_pred, sample_weight=None):
        p = (_array(y_pred).astype(np.float32) >= self.threshold).astype(np.int64)
        self._count(_array(y_true), p, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold, "name": self.name,
                "dtype": self.dtype}


class OneHotIoU(IoU):
    """:class:`IoU` for one-hot labels (and, by default, rows of scores as predictions)."""

    default_name = "one_hot_io_u"

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """:class:`MeanIoU` for one-hot labels (and, by default, rows of scores as predictions)."""

    default_name = "one_hot_mean_io_u"

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


NAMES = {"io_u": IoU, "mean_io_u": MeanIoU, "binary_io_u": BinaryIoU, "one_hot_io_u": OneHotIoU,
         "one_hot_mean_io_u": OneHotMeanIoU}
