"""Metrics: streaming figures that training reports next to the loss (``glassnet.metrics``).

A metric is an object that sees the data one batch at a time, as Keras's do::

    metric = SparseCategoricalAccuracy()
    for x, y in batches:
        metric.update_state(y, model.predict(x))    # adds this batch to running totals
    metric.result()                                  # the figure over everything seen
    metric.reset_state()                             # start again (fit does, every epoch)

Keeping totals (correct answers and samples, or true and false positives) instead of
averaging per-batch figures makes the result exact over the epoch, whatever the batch sizes.
``fit`` calls ``update_state`` after every batch, so each update is a few NumPy operations.

``compile(metrics=[...])`` takes names or objects (:func:`get`). A name is logged under the
name the user gave: ``"acc"`` stays ``"acc"``, ``"AUC"`` stays ``"AUC"``; an object under its
``name``. ``"accuracy"`` picks binary, sparse or categorical accuracy from the shapes of the
labels and predictions, as Keras does.

The evaluation functions of the digit workbench (confusion matrices, per-class reports) are
elsewhere, in :mod:`glassnet.workbench.metrics`.
"""

import functools
import numbers

import numpy as np

from glassnet.engine import losses
from glassnet.engine.autodiff import data_of
from glassnet.engine.configurable import Configurable
from glassnet.engine.tensor import Scalar, as_tensor
from glassnet.errors import ShapeError

# Every Metric subclass by class name, for get() and saved configs.
METRICS_BY_CLASS = {}


def _array(x):
    """``x`` as an array; a recorded Value (a compute_loss of your own) gives its numbers: a
    metric only reads what it is given, and no gradient flows through it (as in Keras)."""
    return np.asarray(data_of(x))


def _weights(sample_weight, values):
    """Sample weights broadcast to ``values`` (one per sample, or one per value)."""
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim == 2 and w.shape[1] == 1 and values.ndim == 1:
        w = w[:, 0]
    if w.ndim == 1 and values.ndim > 1 and len(w) == len(values):
        w = w.reshape((-1,) + (1,) * (values.ndim - 1))
    try:
        return np.broadcast_to(w, values.shape)
    except ValueError:
        raise ShapeError(f"sample_weight of shape {w.shape} doesn't fit {values.shape[0]} "
                         f"samples") from None


def _answering_numpy(result):
    """``result`` whose single number is a :class:`~glassnet.engine.tensor.Scalar` (a float
    with ``.numpy()``); lists (a score per class) and tensors are left as they are."""
    if getattr(result, "answers_numpy", False):
        return result

    @functools.wraps(result)
    def wrapped(self):
        value = result(self)
        return Scalar(value) if isinstance(value, (float, np.floating)) and not isinstance(value, Scalar) else value
    wrapped.answers_numpy = True
    return wrapped


class Metric(Configurable):
    """Base class: ``update_state``, ``result``, ``reset_state``, ``name`` and ``get_config``.

    Calling a metric, ``metric(y_true, y_pred)``, updates it and returns the result.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        METRICS_BY_CLASS[cls.__name__] = cls
        if "result" in cls.__dict__:             # a single number comes back as a Scalar
            cls.result = _answering_numpy(cls.__dict__["result"])

    default_name = "metric"
    direction = None   # "up" when larger is better (accuracy), "down" when smaller (errors)
    # Keras's names for the running totals a built-in metric keeps (``metric.variables``)
    state_names = ()

    def __init__(self, name=None, dtype=None):
        if name is None and type(self).__module__.split(".")[0] != "glassnet":
            from glassnet.engine.layers.base import snake_case
            name = snake_case(type(self).__name__)        # a metric of your own: "huber_metric", as in Keras
        self.name = name or self.default_name
        self.dtype = dtype
        try:
            self.reset_state()
        except AttributeError:
            # A Keras-style metric makes its variables after super().__init__() (with
            # add_variable), so there is nothing to reset yet; fit resets it every epoch.
            pass

    def add_variable(self, shape=(), initializer="zeros", dtype=None, name=None, **keras_options):
        """Keras 3's way to keep a running total: a :class:`~glassnet.engine.variables.Variable`
        with ``assign``, ``assign_add`` and ``assign_sub``."""
        from glassnet.engine.variables import Variable
        return Variable(initializer, shape=shape, dtype=dtype or "float32", name=name or "variable", trainable=False)

    def add_weight(self, name=None, shape=(), initializer="zeros", dtype=None, **keras_options):
        """Keras 2's spelling of :meth:`add_variable` for metrics."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self):
        """Keras's ``metric.variables``: the running totals the result is worked out from,
        named as Keras names them (``total`` and ``count`` of a mean; ``true_positives``...):
        a metric of your own's ``add_variable`` Variables, or copies of a built-in's totals."""
        from glassnet.engine.variables import Variable
        own = [value for value in vars(self).values() if isinstance(value, Variable)]
        return own or [Variable(np.asarray(getattr(self, name)), dtype="float32", name=name, trainable=False)
                       for name in self.state_names]

    def reset_state(self):
        """Keras's default: every Variable the metric keeps (``add_variable``) back to zero."""
        from glassnet.engine.variables import Variable
        for value in vars(self).values():
            if isinstance(value, Variable):
                value.assign(np.zeros_like(value.value))

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        """``metric(y_true, y_pred)`` (``mean(values)`` for Mean): update, then the result,
        a float32 tensor as Keras gives it (so ``metric(y, p).numpy()`` works)."""
        self.update_state(*args, **kwargs)
        return as_tensor(np.asarray(self.result(), np.float32))

    def get_config(self):
        return {"name": self.name}

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class Mean(Metric):
    """The (weighted) mean of every value passed to ``update_state(values, sample_weight)``."""

    default_name = "mean"
    state_names = ("total", "count")

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None):
        values, sample_weight = data_of(values), data_of(sample_weight)
        if isinstance(values, numbers.Real) and isinstance(sample_weight, (numbers.Real, type(None))):
            # one number (fit's loss of a batch, weighted by the batch's size): no arrays
            weight = 1.0 if sample_weight is None else float(sample_weight)
            self.total += float(values) * weight
            self.count += weight
            return
        values = np.asarray(values, dtype=np.float64)
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += values.size
        else:
            w = _weights(sample_weight, values)
            self.total += float((values * w).sum())
            self.count += float(w.sum())

    def result(self):
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred)``, a function that gives one value per sample.

    Every accuracy and every loss-as-a-metric below is one of these: ``fn`` says what one
    sample scores, the wrapper averages it over everything seen.
    """

    fn = None

    def __init__(self, fn=None, name=None, dtype=None, **fn_kwargs):
        if fn is not None:
            self.fn = fn
        self.fn_kwargs = fn_kwargs
        super().__init__(name=name or getattr(self.fn, "__name__", None), dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self.fn(y_true, y_pred, **self.fn_kwargs), sample_weight)

    def get_config(self):
        return {**super().get_config(), **self.fn_kwargs}


# -- accuracies: one value per sample ------------------------------------------------------

def _sparse_labels(y_true, y_pred):
    y = _array(y_true)
    if y.ndim == y_pred.ndim and y.shape[-1] == 1:
        y = y[..., 0]
    if y.shape != y_pred.shape[:-1]:
        raise ShapeError(f"labels of shape {y.shape} don't fit predictions {y_pred.shape}: "
                         f"expected one class number per sample, shape {y_pred.shape[:-1]}")
    return y


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where the largest output is the class number ``y_true``, else 0; shape ``(N,)``."""
    y_pred = _array(y_pred)
    return (y_pred.argmax(axis=-1) == _sparse_labels(y_true, y_pred)).astype(np.float32)


def categorical_accuracy(y_true, y_pred):
    """1 where the largest output is the largest entry of the one-hot ``y_true``; ``(N,)``."""
    y_true, y_pred = _array(y_true), _array(y_pred)
    if y_true.shape != y_pred.shape:
        raise ShapeError(f"one-hot labels of shape {y_true.shape} don't match predictions "
                         f"{y_pred.shape} (for class numbers use sparse_categorical_accuracy)")
    return (y_pred.argmax(axis=-1) == y_true.argmax(axis=-1)).astype(np.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """The fraction of a sample's outputs on the right side of ``threshold``; ``(N,)``."""
    y_pred = _array(y_pred)
    y_true = _array(y_true)
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., np.newaxis]
    if y_true.shape != y_pred.shape:
        raise ShapeError(f"labels of shape {y_true.shape} don't match predictions {y_pred.shape}")
    return ((y_pred > threshold) == (y_true > threshold)).mean(axis=-1, dtype=np.float32)


def _in_top_k(scores, labels, k):
    """True where the true class is among the ``k`` largest scores; ties count as in, as
    TensorFlow's ``in_top_k`` has it: fewer than ``k`` classes score strictly higher."""
    true_scores = losses._at_labels(scores, labels.astype(np.intp))[..., np.newaxis]
    return ((scores > true_scores).sum(axis=-1) < k).astype(np.float32)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where class ``y_true`` is among the ``k`` largest outputs; ``(N,)``."""
    y_pred = _array(y_pred)
    return _in_top_k(y_pred, _sparse_labels(y_true, y_pred), k)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the one-hot ``y_true``'s class is among the ``k`` largest outputs; ``(N,)``."""
    y_true, y_pred = _array(y_true), _array(y_pred)
    return _in_top_k(y_pred, y_true.argmax(axis=-1), k)


def accuracy_kind(y_true, y_pred):
    """Which accuracy ``"accuracy"`` means for these shapes, by Keras 3's rule: ``"binary"``
    for one output per sample, ``"sparse"`` for class numbers, else ``"categorical"``."""
    y_true, y_pred = np.shape(y_true), np.shape(y_pred)
    if y_pred[-1:] == (1,):
        return "binary"
    if len(y_true) < len(y_pred) or (y_true[-1:] == (1,) and y_pred[-1] > 1):
        return "sparse"
    return "categorical"


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the largest output is the true class number."""
    default_name = "sparse_categorical_accuracy"
    direction = "up"
    fn = staticmethod(sparse_categorical_accuracy)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the largest output is the class of the one-hot label."""
    default_name = "categorical_accuracy"
    direction = "up"
    fn = staticmethod(categorical_accuracy)


class BinaryAccuracy(MeanMetricWrapper):
    """How often a yes/no output lands on the right side of ``threshold`` (0.5)."""
    default_name = "binary_accuracy"
    direction = "up"
    fn = staticmethod(binary_accuracy)

    def __init__(self, name=None, dtype=None, threshold=0.5):
        super().__init__(name=name, dtype=dtype, threshold=float(threshold))


class Accuracy(MeanMetricWrapper):
    """Accuracy, of whichever kind the shapes call for (what the name ``"accuracy"`` means).

    Binary when the model has one output per sample, sparse categorical when the labels are
    class numbers, categorical when they are one-hot rows (see :func:`accuracy_kind`). One-
    dimensional predictions are compared with the labels for equality (Keras's
    ``metrics.Accuracy``).
    """

    default_name = "accuracy"
    direction = "up"
    KINDS = {"binary": binary_accuracy, "sparse": sparse_categorical_accuracy,
             "categorical": categorical_accuracy}

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _array(y_pred)
        if y_pred.ndim == 1:
            values = (_array(y_true).reshape(y_pred.shape) == y_pred).astype(np.float32)
        else:
            values = self.KINDS[accuracy_kind(y_true, y_pred)](y_true, y_pred)
        Mean.update_state(self, values, sample_weight)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the ``k`` largest outputs."""
    default_name = "top_k_categorical_accuracy"
    direction = "up"
    fn = staticmethod(top_k_categorical_accuracy)

    def __init__(self, k=5, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype, k=int(k))


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the true class number is among the ``k`` largest outputs."""
    default_name = "sparse_top_k_categorical_accuracy"
    direction = "up"
    fn = staticmethod(sparse_top_k_categorical_accuracy)

    def __init__(self, k=5, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype, k=int(k))


# -- the losses, as metrics ----------------------------------------------------------------

class MeanSquaredError(MeanMetricWrapper):
    """The mean of ``mean((y_pred - y_true)**2)`` per sample."""
    default_name = "mean_squared_error"
    direction = "down"
    fn = staticmethod(losses.mean_squared_error)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of ``mean(|y_pred - y_true|)`` per sample."""
    default_name = "mean_absolute_error"
    direction = "down"
    fn = staticmethod(losses.mean_absolute_error)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The cross-entropy of class numbers, as a metric."""
    default_name = "sparse_categorical_crossentropy"
    direction = "down"
    fn = staticmethod(losses.sparse_categorical_crossentropy)

    def __init__(self, name=None, dtype=None, from_logits=False):
        super().__init__(name=name, dtype=dtype, from_logits=bool(from_logits))


class CategoricalCrossentropy(MeanMetricWrapper):
    """The cross-entropy of one-hot labels, as a metric."""
    default_name = "categorical_crossentropy"
    direction = "down"
    fn = staticmethod(losses.categorical_crossentropy)

    def __init__(self, name=None, dtype=None, from_logits=False, label_smoothing=0.0):
        super().__init__(name=name, dtype=dtype, from_logits=bool(from_logits),
                         label_smoothing=float(label_smoothing))


class BinaryCrossentropy(MeanMetricWrapper):
    """The binary cross-entropy, as a metric."""
    default_name = "binary_crossentropy"
    direction = "down"
    fn = staticmethod(losses.binary_crossentropy)

    def __init__(self, name=None, dtype=None, from_logits=False, label_smoothing=0.0):
        super().__init__(name=name, dtype=dtype, from_logits=bool(from_logits),
                         label_smoothing=float(label_smoothing))


# -- counts of true and false positives ----------------------------------------------------

def _binary_labels(y_true, y_pred):
    """Labels shaped like ``y_pred``: class numbers for a ``(N, K)`` output become one-hot
    rows (glassnet's convenience; Keras wants one-hot labels here)."""
    y, p = _array(y_true), _array(y_pred)
    if y.shape == p.shape:
        return y
    if y.ndim == p.ndim - 1 and p.shape[-1] == 1:
        return y[..., np.newaxis]
    if y.ndim == p.ndim and y.shape[-1] == 1 and p.shape[-1] > 1:
        y = y[..., 0]
    if y.ndim == 1 and p.ndim == 2 and p.shape[1] > 1:
        return losses.one_hot(losses._check_labels(y, p), p.shape[1], np.float32)
    raise ShapeError(f"labels of shape {y.shape} don't match predictions {p.shape}")


class _ThresholdCounts(Metric):
    """Shared by Precision and Recall: true/false positives and false negatives at one
    threshold, with Keras's ``top_k`` and ``class_id``."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        if isinstance(thresholds, (list, tuple)):
            if len(thresholds) != 1:
                raise ValueError(f"{type(self).__name__}: glassnet takes one threshold, got {thresholds!r}")
            thresholds = thresholds[0]
        self.thresholds = None if thresholds is None else float(thresholds)
        self.top_k = None if top_k is None else int(top_k)
        self.class_id = None if class_id is None else int(class_id)
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        self.true_positives = self.false_positives = self.false_negatives = self.true_negatives = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        p = _array(y_pred)
        y = _binary_labels(y_true, p) != 0
        if self.top_k is not None:                     # only each row's k largest count
            kth = -np.sort(-p, axis=-1)[..., self.top_k - 1:self.top_k]
            positive = p >= kth
        else:
            positive = p > (0.5 if self.thresholds is None else self.thresholds)
        if self.class_id is not None:
            y, positive = y[..., self.class_id], positive[..., self.class_id]
        if sample_weight is None:              # a count of the True entries, no float array a batch
            count = np.count_nonzero
        else:
            w = _weights(sample_weight, positive)
            count = lambda cases: np.sum(w * cases)   # noqa: E731
        self.true_positives += float(count(positive & y))
        self.false_positives += float(count(positive & ~y))
        self.false_negatives += float(count(~positive & y))
        self.true_negatives += float(count(~positive & ~y))

    def get_config(self):
        return {**super().get_config(), "thresholds": self.thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_ThresholdCounts):
    """Of the outputs called positive (above the threshold, 0.5), the fraction that are:
    ``TP / (TP + FP)``. Over every output of every sample, unless ``class_id`` picks one."""

    default_name = "precision"
    direction = "up"
    state_names = ("true_positives", "false_positives")

    def result(self):
        called = self.true_positives + self.false_positives
        return self.true_positives / called if called else 0.0


class Recall(_ThresholdCounts):
    """Of the outputs that are positive, the fraction called positive: ``TP / (TP + FN)``."""

    default_name = "recall"
    direction = "up"
    state_names = ("true_positives", "false_negatives")

    def result(self):
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 0.0


class _ConfusionCount(_ThresholdCounts):
    """One of the four counts at a threshold (0.5 by default), over every output of every
    sample, as Keras's TruePositives, FalsePositives, TrueNegatives and FalseNegatives give
    them (the imbalanced-data tutorial's metrics); weighted by ``sample_weight``."""

    count = None   # which of the counts this metric is
    state_names = ("accumulator",)

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, name=name, dtype=dtype)

    @property
    def accumulator(self):
        """Keras's name for the running count: one per threshold."""
        return np.array([self.result()], dtype=np.float32)

    def result(self):
        return getattr(self, self.count)

    def get_config(self):
        return {**Metric.get_config(self), "thresholds": self.thresholds}     # no top_k nor class_id


class TruePositives(_ConfusionCount):
    default_name = count = "true_positives"


class FalsePositives(_ConfusionCount):
    default_name = count = "false_positives"


class TrueNegatives(_ConfusionCount):
    default_name = count = "true_negatives"


class FalseNegatives(_ConfusionCount):
    default_name = count = "false_negatives"


class AUC(Metric):
    """Area under the ROC (or precision-recall) curve, estimated as Keras does.

    The curve is sampled at ``num_thresholds`` thresholds evenly spread over [0, 1] (the
    first just below 0, the last just above 1); at each, every prediction above it counts as
    positive. The area is then summed from the confusion counts:

    * ROC: false-positive rate (x) against recall (y), trapezoids between thresholds
      (``summation_method="interpolation"``), or the lower/upper of each pair of heights
      (``"minoring"``/``"majoring"``);
    * PR with interpolation: Davis and Goadrich's interpolation of precision, Keras's closed
      form.

    A label counts as positive when it is not 0 (as Keras casts labels to bool). With
    several outputs and ``multi_label=False`` every
    output is one more prediction (micro-average).

    Each update sorts nothing: every prediction falls into one bucket between thresholds
    (``ceil(p * (T - 1)) - 1``), the buckets are counted with ``bincount`` and the counts at
    each threshold are the sums from that bucket up.
    """

    default_name = "auc"
    direction = "up"
    state_names = ("true_positives", "false_positives", "true_negatives", "false_negatives")

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        if thresholds is not None:
            raise ValueError("AUC: glassnet supports evenly spread thresholds only "
                             "(num_thresholds=), not a list of thresholds")
        if multi_label or num_labels is not None or label_weights is not None:
            raise ValueError("AUC: multi_label, num_labels and label_weights are not supported by glassnet")
        if int(num_thresholds) != num_thresholds or num_thresholds <= 1:
            raise ValueError(f"AUC: num_thresholds must be an integer > 1, got {num_thresholds!r}")
        curve = str(curve).upper()
        if curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"AUC: summation_method must be 'interpolation', 'minoring' or "
                             f"'majoring', got {summation_method!r}")
        self.num_thresholds, self.curve = int(num_thresholds), curve
        self.summation_method, self.from_logits = summation_method, bool(from_logits)
        super().__init__(name=name, dtype=dtype)

    @property
    def thresholds(self):
        """``[-1e-7, 1/(T-1), 2/(T-1), ..., (T-2)/(T-1), 1 + 1e-7]``."""
        inner = [(i + 1) / (self.num_thresholds - 1) for i in range(self.num_thresholds - 2)]
        return [0.0 - losses.EPSILON] + inner + [1.0 + losses.EPSILON]

    def reset_state(self):
        shape = (self.num_thresholds,)
        self.true_positives, self.false_positives = np.zeros(shape), np.zeros(shape)
        self.true_negatives, self.false_negatives = np.zeros(shape), np.zeros(shape)

    def update_state(self, y_true, y_pred, sample_weight=None):
        p = _array(y_pred).astype(np.float64)
        y = (_binary_labels(y_true, p) != 0).astype(np.float64)
        if self.from_logits:
            p = 0.5 * (1 + np.tanh(0.5 * p))
        w = np.ones_like(p) if sample_weight is None else _weights(sample_weight, p)
        t = self.num_thresholds
        bucket = np.clip(np.ceil(p * (t - 1)) - 1, 0, t - 1).astype(np.intp).ravel()
        positives = np.bincount(bucket, weights=(y * w).ravel(), minlength=t)
        negatives = np.bincount(bucket, weights=((1 - y) * w).ravel(), minlength=t)
        # Above threshold i: every bucket from i up (a reversed running sum).
        tp = np.cumsum(positives[::-1])[::-1]
        fp = np.cumsum(negatives[::-1])[::-1]
        self.true_positives += tp
        self.false_positives += fp
        self.false_negatives += positives.sum() - tp
        self.true_negatives += negatives.sum() - fp

    def result(self):
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr_auc()
        recall = _divide(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide(fp, fp + tn), recall
        else:
            x, y = recall, _divide(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return float(((x[:-1] - x[1:]) * heights).sum())

    def _interpolated_pr_auc(self):
        """Keras's closed form for the area under the interpolated precision-recall curve."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide(p[:-1], np.maximum(p[1:], 0)), 1.0)
        area = _divide(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
        return float(area.sum())

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method, "from_logits": self.from_logits}


def _divide(a, b):
    """``a / b``, 0 where ``b`` is 0 (Keras's ``divide_no_nan``)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    out = np.zeros(np.broadcast(a, b).shape)
    np.divide(a, b, out=out, where=b != 0)
    return out


# -- names ---------------------------------------------------------------------------------

_FUNCTIONS = {fn.__name__: fn for fn in (
    sparse_categorical_accuracy, categorical_accuracy, binary_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy)}

# Keras's names: each class by its own name and in snake case, and the short aliases.
METRICS = {
    "accuracy": Accuracy, "acc": Accuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "binary_accuracy": BinaryAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "precision": Precision, "recall": Recall, "auc": AUC,
    "true_positives": TruePositives, "false_positives": FalsePositives,
    "true_negatives": TrueNegatives, "false_negatives": FalseNegatives,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mean": Mean,
}


def get(identifier):
    """A metric object from what ``compile(metrics=[...])`` was given.

    * a name (``"acc"``, ``"AUC"``, ``"precision"``, ``"SparseCategoricalAccuracy"``): a new
      metric logged under exactly that name, as Keras 3 does;
    * a Metric: returned as it is (logged under its ``name``);
    * a function ``f(y_true, y_pred) -> one value per sample``: its mean, named after it;
    * a config dict ``{"class_name": "AUC", "config": {...}}``.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):
        from glassnet.engine.configurable import find_registered
        found = find_registered(identifier.get("class_name"))      # custom_objects= of load_model first
        cls = found if isinstance(found, type) and issubclass(found, Metric) else \
            METRICS_BY_CLASS.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"unknown metric {identifier.get('class_name')!r}")
        return cls.from_config(identifier.get("config") or {})
    if isinstance(identifier, str):
        cls = (METRICS.get(identifier) or METRICS_BY_CLASS.get(identifier)
               or METRICS.get(identifier.lower()))
        if cls is None or cls is MeanMetricWrapper:
            raise ValueError(f"unknown metric {identifier!r}; known: {', '.join(sorted(METRICS))}")
        return cls(name=identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(f"unknown metric {identifier!r}; known: {', '.join(sorted(METRICS))}")


def from_saved(spec):
    """A metric from a saved model's description: a name, or ``{"class_name", "config"}``
    naming a class of this module (only those: a file is data, never code), or one output's
    metric of a model with several (:class:`glassnet.engine.outputs.OutputMetric`)."""
    if isinstance(spec, str):
        return get(spec)
    if not isinstance(spec, dict) or not isinstance(spec.get("config", {}), dict):
        raise ValueError(f"a metric is saved as a name or a {{class_name, config}} dict, not {spec!r:.80}")
    config = dict(spec.get("config") or {})
    if spec.get("class_name") == "OutputMetric":
        from glassnet.engine.outputs import OutputMetric
        return OutputMetric(**{**config, "metric": from_saved(config.get("metric"))})
    cls = globals().get(str(spec.get("class_name")))
    if not (isinstance(cls, type) and issubclass(cls, Metric)):    # one of yours, given or registered
        from glassnet.engine.configurable import find_registered
        cls = find_registered(spec.get("class_name"))
    if not (isinstance(cls, type) and issubclass(cls, Metric)):
        raise ValueError(f"unknown metric {spec.get('class_name')!r} (a metric of your own: pass it in "
                         f"custom_objects to load_model)")
    return cls.from_config(config)


def serialize(metric):
    """``{"class_name", "config"}``: the metric as a saved model keeps it. A metric class of
    your own is named as you registered it (``"Custom>MyMetric"``), so that :func:`from_saved`
    finds it again in the registry without ``custom_objects``, as Keras does."""
    from glassnet.engine.configurable import registered_name
    return {"class_name": registered_name(type(metric)) or type(metric).__name__, "config": metric.get_config()}


def deserialize(config):
    return get(config)


# More of Keras's metrics (regression errors, hinges, cosine), in a module of their own, and
# Keras's function forms: ``keras.metrics.mean_squared_error(y_true, y_pred)``, one value per sample.
from glassnet.engine.regression_metrics import (NAMES as _MORE, CategoricalHinge, CosineSimilarity,  # noqa: E402
                                                Hinge, KLDivergence, LogCoshError, MeanAbsolutePercentageError,
                                                MeanSquaredLogarithmicError, Poisson, RootMeanSquaredError,
                                                SquaredHinge, categorical_hinge, cosine_similarity, hinge,
                                                kl_divergence, log_cosh, mean_absolute_percentage_error,
                                                mean_squared_logarithmic_error, poisson, squared_hinge)

from glassnet.engine.score_metrics import NAMES as _SCORES, F1Score, FBetaScore, R2Score  # noqa: E402

METRICS.update(_MORE)
METRICS.update(_SCORES)
mean_squared_error, mean_absolute_error, huber = losses.mean_squared_error, losses.mean_absolute_error, losses.huber
binary_crossentropy, categorical_crossentropy = losses.binary_crossentropy, losses.categorical_crossentropy
sparse_categorical_crossentropy = losses.sparse_categorical_crossentropy

__all__ = ["AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "CategoricalAccuracy",
           "CategoricalCrossentropy", "Mean", "MeanAbsoluteError", "MeanMetricWrapper",
           "MeanSquaredError", "Metric", "Precision", "Recall", "SparseCategoricalAccuracy",
           "SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy",
           "TopKCategoricalAccuracy", "accuracy_kind", "binary_accuracy", "categorical_accuracy",
           "deserialize", "get", "serialize", "sparse_categorical_accuracy",
           "sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy",
           "CategoricalHinge", "CosineSimilarity", "Hinge", "KLDivergence", "LogCoshError",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Poisson", "RootMeanSquaredError",
           "SquaredHinge", "binary_crossentropy", "categorical_crossentropy", "categorical_hinge",
           "cosine_similarity", "hinge", "huber", "kl_divergence", "log_cosh", "mean_absolute_error",
           "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error", "poisson",
           "sparse_categorical_crossentropy", "squared_hinge", "F1Score", "FBetaScore", "R2Score"]

# Keras 3's IoU metrics, the figures at a constrained threshold, the correlations and Sum,
# each in a module of its own; and the focal losses' function forms, as keras.metrics has them.
from glassnet.engine.correlation_metrics import (NAMES as _CORRELATIONS, ConcordanceCorrelation,  # noqa: E402
                                                 PearsonCorrelation, Sum, concordance_correlation,
                                                 pearson_correlation)
from glassnet.engine.iou_metrics import (NAMES as _IOUS, BinaryIoU, IoU, MeanIoU, OneHotIoU,  # noqa: E402
                                         OneHotMeanIoU)
from glassnet.engine.threshold_metrics import (NAMES as _AT_THRESHOLDS, PrecisionAtRecall,  # noqa: E402
                                               RecallAtPrecision, SensitivityAtSpecificity,
                                               SpecificityAtSensitivity)

METRICS.update(_CORRELATIONS)
METRICS.update(_IOUS)
METRICS.update(_AT_THRESHOLDS)
binary_focal_crossentropy = losses.binary_focal_crossentropy
categorical_focal_crossentropy = losses.categorical_focal_crossentropy
__all__ += ["BinaryIoU", "ConcordanceCorrelation", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU",
            "PearsonCorrelation", "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
            "SpecificityAtSensitivity", "Sum", "binary_focal_crossentropy", "categorical_focal_crossentropy",
            "concordance_correlation", "pearson_correlation"]
