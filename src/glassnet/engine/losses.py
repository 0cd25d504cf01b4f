"""Losses: one number that says how wrong the predictions are, and its gradient.

A loss works in two steps, as in Keras:

1. ``call(y_true, y_pred)`` gives the loss of every sample, ``l_i`` (an array ``(N,)``);
2. ``forward(y_true, y_pred, sample_weight=None)`` reduces them to one number, Keras's
   "sum over batch size"::

       L = sum_i w_i * l_i / N          (w_i = 1 without sample weights)

``backward()`` then returns ``dL/d(y_pred)``, where backpropagation starts. By the chain rule
it is ``dL/dl_i * dl_i/d(y_pred)`` with ``dL/dl_i = w_i / N``: each loss only has to know
the derivative of its own per-sample formula (:meth:`Loss.gradient`). The ``1/N`` of the mean
lives here, so layers simply sum their gradients over the batch.

Labels for the cross-entropies may be integers ``(N,)`` or one-hot rows ``(N, K)``; the
regression losses take targets shaped like the predictions (``(N,)`` for a ``(N, 1)`` output
is fine, as in Keras).

The same formulas as functions that return the per-sample losses, as Keras has them::

    glassnet.losses.sparse_categorical_crossentropy(y_true, y_pred)     # -> (N,)
"""

import copy

import numpy as np

from glassnet.engine.autodiff import CannotDifferentiate, Value, data_of, lift, record
from glassnet.engine.configurable import Configurable, find_registered, registered_name
from glassnet.engine.recording import loss_gradient
from glassnet.engine.tensor import as_tensor
from glassnet.errors import ShapeError

EPSILON = 1e-7   # Keras's backend.epsilon(): probabilities are clipped to [EPSILON, 1 - EPSILON]


def one_hot(labels, num_classes, dtype=np.float32):
    """``[2, 0] -> [[0, 0, 1, ...], [1, 0, 0, ...]]`` (labels of any shape get one more axis)."""
    labels = np.asarray(labels)
    out = np.zeros(labels.shape + (num_classes,), dtype=dtype)
    rows, at_label = _each_row_at(out, labels)
    rows[at_label] = 1
    return out


def _check_labels(y_true, y_pred):
    """Class numbers shaped like ``y_pred`` without its last axis (``(N,)`` for ``(N, K)``
    predictions, ``(N, T)`` for ``(N, T, K)``: one class per step), or one-hot/probability
    rows shaped exactly like ``y_pred``."""
    y_true = np.asarray(y_true)
    if len(y_true) != len(y_pred):
        raise ShapeError(f"{len(y_true)} labels for {len(y_pred)} predictions")
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1 and y_pred.shape[-1] != 1:
        y_true = y_true[..., 0]                      # (N, 1) class numbers: Keras takes them too
    if y_true.shape == y_pred.shape[:-1]:
        if y_true.dtype.kind == "f" and not np.all(y_true == np.round(y_true)):
            raise ShapeError("integer class labels expected, got fractional values")
        labels = y_true.astype(np.intp, copy=False)
        if labels.size and (labels.min() < 0 or labels.max() >= y_pred.shape[-1]):
            raise ShapeError(
                f"labels must be in 0..{y_pred.shape[-1] - 1} for {y_pred.shape[-1]} outputs, "
                f"got {labels.min()}..{labels.max()}"
            )
        return labels
    if y_true.shape != y_pred.shape:
        hint = ""
        if y_pred.ndim > 2 and y_true.ndim < y_pred.ndim - 1:
            positions = "x".join(str(size) for size in y_pred.shape[1:-1])
            hint = (f"; the model gives {y_pred.shape[-1]} scores at each of {positions} positions, "
                    f"not one set per sample: a Dense layer on input with several axes works on the last "
                    f"one only (as in Keras), so put a Flatten() before the first Dense")
        raise ShapeError(f"labels of shape {y_true.shape} don't fit predictions {y_pred.shape}: expected "
                         f"class numbers of shape {y_pred.shape[:-1]} or one-hot labels of shape "
                         f"{y_pred.shape}{hint}")
    return y_true


def _each_row_at(a, labels):
    """``a`` as rows ``(R, K)`` (a view), and the index that picks each row's entry at its own
    class number: ``rows[at_label]`` is ``[a[0, labels[0]], a[1, labels[1]], ...]``.

    Plain fancy indexing, ``rows[arange(R), labels]``: on a batch of 32 it costs a fifth of
    NumPy's ``take_along_axis``, which builds the same index in Python on every call.
    """
    rows = a.reshape(-1, a.shape[-1])
    return rows, (np.arange(len(rows)), labels.reshape(-1))


def _at_labels(a, labels):
    """``a[..., labels]`` element by element: each row's entry at its own class number."""
    rows, at_label = _each_row_at(a, labels)
    return rows[at_label].reshape(labels.shape)


def _add_at_labels(a, labels, values):
    """``a[..., labels] += values``, in place, each row at its own class number."""
    rows, at_label = _each_row_at(a, labels)
    rows[at_label] += np.reshape(values, -1)     # one entry per row: no index repeats


def _targets(y_true, y_pred, owner, integer_labels=True):
    """Targets shaped exactly like ``y_pred``, as float.

    ``(N,)`` targets for a ``(N, 1)`` output get their axis back (Keras does the same); with
    ``integer_labels`` a column of class numbers for a ``(N, K)`` output becomes one-hot rows,
    so that MSE works on a classifier too.
    """
    y = np.asarray(y_true)
    if len(y) != len(y_pred):
        raise ShapeError(f"{owner}: {len(y)} targets for {len(y_pred)} predictions")
    if y.shape != y_pred.shape:
        if y.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
            y = y[..., np.newaxis]
        elif y.ndim == y_pred.ndim and y.shape[-1] == 1 and y_pred.shape[-1] != 1 and integer_labels:
            y = y[..., 0]
        if (integer_labels and y.ndim == 1 and y_pred.ndim == 2 and y_pred.shape[1] > 1):
            y = one_hot(_check_labels(y, y_pred), y_pred.shape[1], y_pred.dtype)
    if y.shape != y_pred.shape:
        raise ShapeError(f"{owner}: targets of shape {y.shape} don't match predictions {y_pred.shape}")
    return y.astype(y_pred.dtype if y_pred.dtype.kind == "f" else np.float64, copy=False)


def log_softmax(z):
    """``log(softmax(z))`` by log-sum-exp: ``z - max - log(sum(exp(z - max)))``, never log(0)."""
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


# Every Loss subclass by class name, so a saved model can rebuild its loss.
LOSSES_BY_CLASS = {}

REDUCTIONS = ("sum_over_batch_size", "sum", "mean_with_sample_weight")


class Loss(Configurable):
    """Base class: the reduction and sample weights; subclasses give ``call`` and ``gradient``.

    Args:
        reduction: ``"sum_over_batch_size"`` (Keras's default: ``sum(w * l) / N``), ``"sum"``
            (``sum(w * l)``) or ``"mean_with_sample_weight"`` (``sum(w * l) / sum(w)``).
        name: the loss's name (Keras's default for each class).

    A loss of your own either subclasses this with ``call(y_true, y_pred) -> (N,)`` and
    ``gradient(dvalues) -> dL/dy_pred`` (``dvalues`` is ``dL/dl``), or overrides ``forward``
    and ``backward`` directly.
    """

    name = "loss"
    reduction = "sum_over_batch_size"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        LOSSES_BY_CLASS[cls.__name__] = cls

    def __init__(self, reduction="sum_over_batch_size", name=None):
        if reduction not in REDUCTIONS + (None, "none"):
            raise ValueError(f"{type(self).__name__}: reduction must be one of "
                             f"{', '.join(REDUCTIONS)} or None, got {reduction!r}")
        self.reduction = reduction
        if name is not None:
            self.name = name

    def __call__(self, y_true, y_pred, sample_weight=None):
        """``loss_fn(y_true, y_pred)``: the loss as a 0-d :class:`~glassnet.engine.tensor.Tensor`
        (``float()`` of it, or ``.numpy()`` as in TensorFlow). With ``reduction=None`` (or
        ``"none"``), one loss per sample instead, each times its weight; a model trained
        with such a loss takes their mean, as Keras does."""
        if isinstance(y_pred, Value) or isinstance(y_true, Value):   # recorded (a layer's call()): reduced as below
            return self._recorded(y_true, y_pred, sample_weight)
        if self.reduction in (None, "none"):
            values = self.call(y_true, np.asarray(y_pred))
            if sample_weight is not None:
                values = values * self._weights(sample_weight, values)
            return as_tensor(values)
        return as_tensor(self.forward(y_true, y_pred, sample_weight))

    def _recorded(self, y_true, y_pred, sample_weight):
        """The loss of a recorded prediction (keras.io's LogisticEndpoint calls its loss object
        in call()): the per-sample values as one recorded step, then the reduction, recorded too."""
        values = _recorded_loss(self, y_true, y_pred)
        weights = None if sample_weight is None else self._weights(data_of(sample_weight), values.data)
        if weights is not None:
            values = values * weights
        if self.reduction in (None, "none"):
            return values
        total = np.sum(values)
        if self.reduction == "sum":
            return total
        if self.reduction == "mean_with_sample_weight" and weights is not None:
            return total / (float(np.broadcast_to(weights, values.shape).sum()) or 1.0)
        return total / max(values.size, 1)

    def forward(self, y_true, y_pred, sample_weight=None):
        """``sum_i w_i l_i / N`` (see the module docstring); remembers ``dL/dl_i`` for backward."""
        y_pred = np.asarray(y_pred)
        self.inputs = (y_true, y_pred)                           # for a numerical gradient (below)
        values = self.call(y_true, y_pred)                       # (N,): one loss per sample
        if sample_weight is None:
            divisor = values.size if self.reduction != "sum" else 1
            self.dvalues = 1.0 / max(divisor, 1)                 # the same for every sample
            return float(values.sum() * self.dvalues)
        weights = self._weights(sample_weight, values)
        if self.reduction == "sum":
            divisor = 1
        elif self.reduction == "mean_with_sample_weight":
            divisor = float(np.broadcast_to(weights, values.shape).sum()) or 1.0
        else:
            divisor = max(values.size, 1)
        self.dvalues = np.broadcast_to(weights, values.shape) / divisor   # dL/dl_i = w_i / N
        return float((values * self.dvalues).sum())

    def _weights(self, sample_weight, values):
        w = np.asarray(sample_weight, dtype=values.dtype if values.dtype.kind == "f" else np.float64)
        if w.ndim == 2 and w.shape[1] == 1 and values.ndim == 1:
            w = w[:, 0]
        if w.shape == values.shape:
            return w
        if w.ndim == 1 and len(w) == len(values):
            return w.reshape((-1,) + (1,) * (values.ndim - 1))
        raise ShapeError(f"{type(self).__name__}: sample_weight of shape {w.shape} doesn't fit "
                         f"{len(values)} samples (expected shape ({len(values)},))")

    def backward(self):
        """``dL/d(y_pred)`` for the last :meth:`forward`."""
        return self.gradient(self.dvalues)

    def per_row(self, grad, dvalues):
        """``grad * dL/dl_i``, row by row: ``dvalues`` is a number or one value per sample."""
        if np.isscalar(dvalues):             # no sample weights: the same for every row
            grad *= dvalues
        else:
            grad *= dvalues[..., np.newaxis]
        return grad

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def gradient(self, dvalues):
        """``dL/d(y_pred)``. A loss of your own with only ``call`` (Keras's way) is
        differentiated exactly by recording its math (:mod:`glassnet.engine.autodiff`); if
        it does math that can't be recorded, numerically (:func:`numerical_gradient`)."""
        y_true, y_pred = self.inputs
        try:
            return loss_gradient(self.recordable_call, y_true, y_pred, dvalues)
        except CannotDifferentiate as error:
            if not getattr(self, "_warned", False):
                import warnings
                self._warned = True
                warnings.warn(f"loss '{self.name}': glassnet can't differentiate it exactly ({error}); it "
                              f"differentiates it numerically instead (central differences, two calls of "
                              f"it per output column and batch)", stacklevel=2)
            return numerical_gradient(self.call, y_true, y_pred, dvalues, self.name)

    def gradient_true(self, dvalues):
        """``dL/d(y_true)``, for targets computed from weights being trained too (keras.io's
        distillation: a teacher's softened predictions; SimSiam's two branches); shaped like
        ``y_pred``. The losses whose targets are real numbers have it (KLDivergence, the
        cross-entropies, the regression losses, the hinges, CosineSimilarity, Dice, Tversky);
        those whose targets are class labels refuse."""
        raise CannotDifferentiate(f"loss '{self.name}' ({type(self).__name__}) is differentiated with respect to "
                                  f"y_pred only, but its y_true here is computed from weights being trained; "
                                  f"use a loss whose targets are numbers (KLDivergence, CategoricalCrossentropy, "
                                  f"MeanSquaredError, CosineSimilarity, ...), or ops.stop_gradient(y_true)")

    def recordable_call(self, y_true, y_pred):
        """``call`` as the gradient records it (a function loss: the function itself)."""
        return self.call(y_true, y_pred)

    def logits_version(self, activation):
        """The loss to compute from the logits when the model's last activation is
        ``activation`` (cross-entropy after Softmax, binary cross-entropy after Sigmoid), or
        None when the two don't fuse. The model calls this in ``compile``."""
        return None

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}


class CategoricalCrossentropy(Loss):
    """Cross-entropy ``l = -sum_k y_k log p_k`` between labels and class probabilities.

    With ``from_logits=True`` the predictions are raw scores ``z`` and
    ``log p = log_softmax(z)`` is computed with log-sum-exp. The gradient with respect to
    the logits is then the famous ``(p - y) / N``: the softmax's Jacobian and the log's
    ``1/p`` cancel, leaving "predicted minus true". The model uses this form whenever the
    last layer is a softmax (it feeds the logits here and skips the softmax's backward).

    With ``from_logits=False`` (Keras's default) the predictions are probabilities; as in
    Keras each row is divided by its sum and clipped to ``[1e-7, 1 - 1e-7]`` so that ``log``
    stays finite. Then, with ``q = p / sum(p)`` and ``g = -y / q`` (0 where clipped)::

        dl/dp_j = (g_j - sum_i g_i q_i) / sum(p)

    Args:
        from_logits: the predictions are logits, not probabilities.
        label_smoothing: in ``[0, 1]``: the labels become ``y (1 - s) + s / K``, which keeps
            the network from becoming over-confident.

    Labels: integers ``(N,)`` or one-hot ``(N, K)``; both classes accept both. Predictions
    with more axes, ``(N, T, K)`` (a class at every step), take ``(N, T)`` or ``(N, T, K)``
    labels and give one loss per step, all averaged together, as in Keras.
    """

    name = "categorical_crossentropy"

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if axis != -1:
            raise ValueError(f"{type(self).__name__}: only axis=-1 (the last) is supported, got {axis!r}")
        if not 0 <= label_smoothing <= 1:
            raise ValueError(f"{type(self).__name__}: label_smoothing must be in [0, 1], "
                             f"got {label_smoothing!r}")
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        y = _check_labels(y_true, y_pred)
        k = y_pred.shape[-1]
        if self.label_smoothing:
            if y.ndim < y_pred.ndim:
                y = one_hot(y, k, y_pred.dtype)
            y = y * (1 - self.label_smoothing) + self.label_smoothing / k
        self.y = y
        self.sparse = y.ndim < y_pred.ndim          # class numbers, not rows of probabilities
        if self.from_logits:
            log_p = log_softmax(y_pred)
            self.p = np.exp(log_p)
        else:
            self.total = y_pred.sum(axis=-1, keepdims=True)
            q = y_pred / self.total
            self.inside = (q >= EPSILON) & (q <= 1 - EPSILON)   # where the clip passes gradient
            self.q = np.clip(q, EPSILON, 1 - EPSILON)
            log_p = np.log(self.q)
        self.log_p = log_p
        if self.sparse:                            # -log p of the true class
            return -_at_labels(log_p, y)
        return -(y * log_p).sum(axis=-1)

    def gradient(self, dvalues):
        y = self.y
        if self.from_logits:                  # dl/dz = p * sum(y) - y  (= p - y for one-hot)
            if self.sparse:
                grad = self.p.copy()
                _add_at_labels(grad, y, -1)
            else:
                grad = self.p * y.sum(axis=-1, keepdims=True) - y
            return self.per_row(grad, dvalues)
        q = self.q
        if self.sparse:                       # g is -1/q at the true class, 0 elsewhere
            q_true = _at_labels(q, y)
            g_true = -1.0 / q_true * _at_labels(self.inside, y)
            grad = np.broadcast_to((-g_true * q_true)[..., np.newaxis], q.shape).copy()
            _add_at_labels(grad, y, g_true)
        else:
            g = -y / q * self.inside
            grad = g - (g * q).sum(axis=-1, keepdims=True)
        grad /= self.total
        return self.per_row(grad, dvalues)

    def gradient_true(self, dvalues):
        """``dl/dy = -(1 - s) log p`` (probability rows as targets; ``s``: the label smoothing)."""
        if self.sparse:
            return super().gradient_true(dvalues)
        return self.per_row(-(1 - self.label_smoothing) * self.log_p, dvalues)

    def logits_version(self, activation):
        from glassnet.engine.layers.activations import Softmax
        if isinstance(activation, Softmax) and not self.from_logits:
            return type(self).from_config({**self.get_config(), "from_logits": True})
        return None

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """The same cross-entropy; Keras's name for integer labels (one-hot works as well).

    Keras gives this class no ``label_smoothing`` (nor does glassnet); ``ignore_class`` is
    not supported.
    """

    name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits=False, ignore_class=None, axis=-1, **kwargs):
        if ignore_class is not None:
            raise ValueError("SparseCategoricalCrossentropy: ignore_class is not supported by glassnet")
        super().__init__(from_logits=from_logits, axis=axis, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["label_smoothing"]
        return config


class BinaryCrossentropy(Loss):
    """Binary cross-entropy, for one or more independent yes/no outputs (sigmoid outputs).

    Per output: ``-(y log p + (1 - y) log(1 - p))``; a sample's loss is the mean over its
    outputs (``K`` of them, often 1).

    With ``from_logits=True`` it is computed from the score ``z`` without ever forming ``p``::

        l = max(z, 0) - z y + log(1 + exp(-|z|)),      dl/dz = (sigmoid(z) - y) / K

    the same "predicted minus true" as softmax with cross-entropy. From probabilities, ``p``
    is clipped to ``[1e-7, 1 - 1e-7]`` as Keras does, and ``dl/dp = (p - y) / (p (1 - p)) / K``.

    Args:
        from_logits: the predictions are logits, not probabilities.
        label_smoothing: in ``[0, 1]``: the labels become ``y (1 - s) + s / 2``.

    Labels: 0/1 (or probabilities) shaped like the predictions; ``(N,)`` for ``(N, 1)`` works.
    """

    name = "binary_crossentropy"

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if axis != -1:
            raise ValueError(f"BinaryCrossentropy: only axis=-1 (the last) is supported, got {axis!r}")
        if not 0 <= label_smoothing <= 1:
            raise ValueError(f"BinaryCrossentropy: label_smoothing must be in [0, 1], got {label_smoothing!r}")
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        y = _targets(y_true, y_pred, "BinaryCrossentropy", integer_labels=False)
        if y.size and (y.min() < -0.5 or y.max() > 1.5):
            # Class numbers 0..9 with one sigmoid output would train on a meaningless loss
            # (it even goes negative): the usual slip of a multi-class problem set up as binary.
            # Labels a little outside [0, 1] are kept, as Keras keeps them: keras.io's GAN adds
            # noise to its 0/1 labels (labels += 0.05 * uniform), up to 1.05.
            raise ShapeError(f"BinaryCrossentropy: labels must be 0/1 or probabilities in [0, 1], got "
                             f"{y.min():g}..{y.max():g}; for class numbers use "
                             f"sparse_categorical_crossentropy with one output per class")
        if self.label_smoothing:
            y = y * (1 - self.label_smoothing) + 0.5 * self.label_smoothing
        self.y = y
        if self.from_logits:
            z = y_pred
            self.p = _sigmoid(z)
            per_output = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
            self.log_odds = z
        else:
            self.inside = (y_pred >= EPSILON) & (y_pred <= 1 - EPSILON)
            p = self.p = np.clip(y_pred, EPSILON, 1 - EPSILON)
            per_output = -(y * np.log(p) + (1 - y) * np.log(1 - p))
            self.log_odds = np.log(p) - np.log(1 - p)
        return per_output.mean(axis=-1)

    def gradient(self, dvalues):
        p, y = self.p, self.y
        if self.from_logits:
            grad = p - y
        else:
            grad = (p - y) / (p * (1 - p)) * self.inside
        grad /= p.shape[-1]
        return self.per_row(grad, dvalues)

    def gradient_true(self, dvalues):
        """``dl/dy = -(1 - s) log(p / (1 - p)) / K``: the log-odds (the logit itself, from logits)."""
        return self.per_row(-(1 - self.label_smoothing) * self.log_odds / self.p.shape[-1], dvalues)

    def logits_version(self, activation):
        from glassnet.engine.layers.activations import Sigmoid
        if isinstance(activation, Sigmoid) and not self.from_logits:
            return type(self).from_config({**self.get_config(), "from_logits": True})
        return None

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class MeanSquaredError(Loss):
    """``l = mean_k (p_k - y_k)**2`` per sample; ``dl/dp = 2 (p - y) / K``.

    Integer labels are turned into one-hot rows first, so MSE works on a classifier too.
    """

    name = "mean_squared_error"

    def call(self, y_true, y_pred):
        self.diff = y_pred - _targets(y_true, y_pred, "MeanSquaredError")
        return np.mean(self.diff ** 2, axis=-1)

    def gradient(self, dvalues):
        return self.per_row(self.diff * (2 / self.diff.shape[-1]), dvalues)

    def gradient_true(self, dvalues):
        """A function of ``p - y``: ``dl/dy = -dl/dp``."""
        return -self.gradient(dvalues)


class MeanAbsoluteError(Loss):
    """``l = mean_k |p_k - y_k|`` per sample; ``dl/dp = sign(p - y) / K``.

    Less swayed by outliers than MSE: a large error counts in proportion, not squared.
    """

    name = "mean_absolute_error"

    def call(self, y_true, y_pred):
        self.diff = y_pred - _targets(y_true, y_pred, "MeanAbsoluteError")
        return np.mean(np.abs(self.diff), axis=-1)

    def gradient(self, dvalues):
        return self.per_row(np.sign(self.diff) / self.diff.shape[-1], dvalues)

    def gradient_true(self, dvalues):
        """A function of ``p - y``: ``dl/dy = -dl/dp``."""
        return -self.gradient(dvalues)


class Huber(Loss):
    """Huber loss: squared for small errors, linear for large ones (``e = p - y``)::

        l_k = e**2 / 2                    if |e| <= delta
        l_k = delta * (|e| - delta / 2)   otherwise

    ``dl/dp = clip(e, -delta, delta) / K``: MSE's gradient near the target, MAE's far away.

    Args:
        delta: where the quadratic part ends, > 0 (Keras: 1.0).
    """

    name = "huber_loss"

    def __init__(self, delta=1.0, **kwargs):
        super().__init__(**kwargs)
        if not delta > 0:
            raise ValueError(f"Huber: delta must be > 0, got {delta!r}")
        self.delta = float(delta)

    def call(self, y_true, y_pred):
        e = self.diff = y_pred - _targets(y_true, y_pred, "Huber")
        a, d = np.abs(e), self.delta
        return np.mean(np.where(a <= d, 0.5 * e * e, d * a - 0.5 * d * d), axis=-1)

    def gradient(self, dvalues):
        return self.per_row(np.clip(self.diff, -self.delta, self.delta) / self.diff.shape[-1], dvalues)

    def gradient_true(self, dvalues):
        """A function of ``p - y``: ``dl/dy = -dl/dp``."""
        return -self.gradient(dvalues)

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}


class KLDivergence(Loss):
    """Kullback-Leibler divergence ``l = sum_k y_k log(y_k / p_k)`` from ``y`` to ``p``.

    Both are clipped to ``[1e-7, 1]`` as in Keras. ``dl/dp = -y / p`` (0 where ``p`` is clipped);
    ``dl/dy = log(y / p) + 1``, for targets that are predictions being trained too (a teacher's).
    It differs from cross-entropy by ``sum y log y``, which does not depend on ``p``.
    """

    name = "kl_divergence"

    def call(self, y_true, y_pred):
        y = _targets(y_true, y_pred, "KLDivergence")
        self.inside_true = (y >= EPSILON) & (y <= 1)
        y = np.clip(y, EPSILON, 1)
        self.inside = (y_pred >= EPSILON) & (y_pred <= 1)
        p = np.clip(y_pred, EPSILON, 1)
        self.y, self.p = y, p
        return (y * np.log(y / p)).sum(axis=-1)

    def gradient(self, dvalues):
        return self.per_row(-self.y / self.p * self.inside, dvalues)

    def gradient_true(self, dvalues):
        """``dl/dy = log(y / p) + 1`` (0 where ``y`` is clipped)."""
        return self.per_row((np.log(self.y / self.p) + 1) * self.inside_true, dvalues)


# -- Keras's functions: the loss of every sample ---------------------------------------------

def _per_sample(loss, y_true, y_pred):
    """``loss``'s value for each sample, as an array that answers ``.numpy()`` as Keras's
    tensor does (``keras.metrics.mean_absolute_error(x_valid, forecast).numpy()``)."""
    if isinstance(y_pred, Value) or isinstance(y_true, Value):    # inside a loss of your own: one recorded step
        return _recorded_loss(loss, y_true, y_pred)
    y_pred = np.asarray(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = y_pred.astype(np.float32)
    return as_tensor(loss.call(y_true, y_pred))


def _recorded_loss(loss, y_true, y_pred):
    """``loss``'s per-sample values on a recorded prediction: its ``call`` now, its exact
    ``gradient`` (per-sample weights ``g``) as the step's rule; and ``gradient_true`` where
    the targets are recorded too and need a gradient (a teacher's predictions)."""
    y_pred = lift(y_pred)
    loss.inputs = (data_of(y_true), y_pred.data)         # (what gradient() reads, for a loss of your own)
    values = loss.call(data_of(y_true), y_pred.data)
    # What call() left for gradient(), kept apart: the same loss object called again (a
    # GAN's loss on real, then on generated images) must not overwrite it.
    frozen = copy.copy(loss)
    if not (isinstance(y_true, Value) and y_true.needs_grad):
        return record(values, (y_pred,), lambda g: (frozen.gradient(g),))
    if type(loss).gradient_true is Loss.gradient_true or y_true.data.size != y_pred.data.size:
        Loss.gradient_true(loss, None)                    # refuses, naming the loss: labels, not numbers
    return record(values, (y_pred, y_true), lambda g: (frozen.gradient(g), np.reshape(frozen.gradient_true(g), y_true.shape)))


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample cross-entropy ``(N,)``; see :class:`CategoricalCrossentropy`."""
    return _per_sample(CategoricalCrossentropy(from_logits, label_smoothing, axis), y_true, y_pred)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Per-sample cross-entropy ``(N,)`` for integer labels; see :class:`SparseCategoricalCrossentropy`."""
    return _per_sample(SparseCategoricalCrossentropy(from_logits, ignore_class, axis), y_true, y_pred)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample binary cross-entropy ``(N,)``; see :class:`BinaryCrossentropy`."""
    return _per_sample(BinaryCrossentropy(from_logits, label_smoothing, axis), y_true, y_pred)


def mean_squared_error(y_true, y_pred):
    """Per-sample ``mean((y_pred - y_true)**2)`` over the last axis."""
    return _per_sample(MeanSquaredError(), y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    """Per-sample ``mean(|y_pred - y_true|)`` over the last axis."""
    return _per_sample(MeanAbsoluteError(), y_true, y_pred)


def huber(y_true, y_pred, delta=1.0):
    """Per-sample Huber loss; see :class:`Huber`."""
    return _per_sample(Huber(delta), y_true, y_pred)


def kl_divergence(y_true, y_pred):
    """Per-sample KL divergence; see :class:`KLDivergence`."""
    return _per_sample(KLDivergence(), y_true, y_pred)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
kld = KLD = kullback_leibler_divergence = kl_divergence
bce = BCE = binary_crossentropy

# The class each function stands for, so compile(loss=losses.huber) gets a Huber().
_CLASS_OF_FUNCTION = {
    categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    binary_crossentropy: BinaryCrossentropy,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    huber: Huber,
    kl_divergence: KLDivergence,
}

# Keras's names and aliases (and Keras 2's kullback_leibler_divergence).
LOSSES = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "bce": BinaryCrossentropy,
    "BCE": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "MSE": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "MAE": MeanAbsoluteError,
    "huber": Huber,
    "huber_loss": Huber,
    "kl_divergence": KLDivergence,
    "kld": KLDivergence,
    "KLD": KLDivergence,
    "kullback_leibler_divergence": KLDivergence,
}


def numerical_gradient(call, y_true, y_pred, dvalues, name="loss"):
    """``dL/d(y_pred)`` for a loss known only by ``call(y_true, y_pred) -> (N,)``, by central
    differences: ``dl_i/dy_ij ~ (l_i(y + h e_j) - l_i(y - h e_j)) / 2h``, in float64.

    Sample ``i``'s loss depends only on row ``i`` of ``y_pred``, so one column ``j`` is
    moved in every row at once: two calls per output column give the whole Jacobian's
    diagonal blocks (20 calls for 10 classes), whatever the batch size. The step
    ``h = 1e-5 (1 + |y|)`` balances truncation (``h**2``) against rounding (``1e-16 / h``):
    about 8 correct digits, which training doesn't notice.
    """
    y = np.asarray(y_pred, np.float64)
    base = np.asarray(call(y_true, y))
    if base.shape != (len(y),):
        raise ShapeError(f"loss '{name}' has no gradient(), so glassnet differentiates it numerically, "
                         f"which needs one loss per sample (shape ({len(y)},)); it gave shape "
                         f"{base.shape}. Return e.g. mean(..., axis=-1), not the batch's mean")
    flat = y.reshape(len(y), -1)
    grad = np.empty_like(flat)
    for j in range(flat.shape[1]):
        h = 1e-5 * (1.0 + np.abs(flat[:, j]))
        moved = flat.copy()
        moved[:, j] += h
        up = np.asarray(call(y_true, moved.reshape(y.shape)), np.float64)
        moved[:, j] -= 2 * h
        down = np.asarray(call(y_true, moved.reshape(y.shape)), np.float64)
        grad[:, j] = (up - down) / (2 * h)
    weights = np.asarray(dvalues, np.float64)
    grad *= weights if weights.ndim == 0 else weights.reshape(-1, 1)
    given = np.asarray(y_pred).dtype
    return grad.reshape(y.shape).astype(given if given.kind == "f" else np.float32)


class LossFunction(Loss):
    """A loss given as a function ``fn(y_true, y_pred) -> (N,)``, as Keras takes one
    (``compile(loss=custom_mse)``); its gradient is exact, from its recorded math
    (:meth:`Loss.gradient`)."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction, name or getattr(fn, "__name__", "loss"))
        self.fn = fn

    def call(self, y_true, y_pred):
        return np.asarray(self.fn(*same_rank(y_true, y_pred)))

    def recordable_call(self, y_true, y_pred):
        return self.fn(*same_rank(y_true, y_pred))


    def get_config(self):
        # The name the function was registered under (keras.saving.register_keras_serializable),
        # else its own: loading finds it again by that name (see from_config).
        return {**super().get_config(),
                "function": registered_name(self.fn) or getattr(self.fn, "__name__", self.name)}

    @classmethod
    def from_config(cls, config):
        """The loss again, its function found by name: in ``load_model``'s ``custom_objects``
        or among the registered ones; a file holds no code."""
        config = dict(config)
        function = config.pop("function", None)
        fn = find_registered(function)
        if not callable(fn):
            raise ValueError(f"the model was compiled with the Python function {function!r} as its loss, "
                             f"and a file holds no code: pass custom_objects={{{str(function).rpartition('>')[2]!r}: "
                             f"<the function>}} to load_model, register it with "
                             f"@keras.saving.register_keras_serializable(), or load with compile=False "
                             f"and compile again")
        return cls(fn, **config)


def same_rank(y_true, y_pred):
    """Keras's ``squeeze_or_expand_to_same_rank``, done before a loss function is called:
    labels ``(N,)`` for outputs ``(N, 1)`` become ``(N, 1)`` (else ``(1 - y_true) * y_pred``
    would broadcast to an ``(N, N)`` table, silently); a trailing axis of 1 one rank too many
    is dropped; other shapes are passed on as they are."""
    y_true = np.asarray(y_true)
    true_rank, pred_rank = y_true.ndim, len(y_pred.shape)
    if pred_rank == true_rank + 1 and y_pred.shape[-1] == 1:
        if true_rank == 1:
            return y_true[:, np.newaxis], y_pred
        return y_true, np.squeeze(y_pred, axis=-1)
    if true_rank == pred_rank + 1 and y_true.shape[-1] == 1:
        if pred_rank == 1:
            return y_true, np.expand_dims(y_pred, -1)
        return np.squeeze(y_true, axis=-1), y_pred
    return y_true, y_pred


def get(loss):
    """A loss object from a Keras name (``"sparse_categorical_crossentropy"``, ``"mse"``), a
    class name (``"Huber"``), a config dict (``{"class_name": "Huber", "config": {"delta": 2}}``),
    one of this module's functions, or an instance (returned as it is)."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, dict):
        cls = LOSSES_BY_CLASS.get(loss.get("class_name"))
        if cls is None:
            raise ValueError(f"unknown loss {loss.get('class_name')!r}; known: "
                             f"{', '.join(sorted(LOSSES_BY_CLASS))}")
        return cls.from_config(loss.get("config") or {})
    if isinstance(loss, str):
        cls = LOSSES.get(loss) or LOSSES_BY_CLASS.get(loss)
        if cls is not None:
            return cls()
    if callable(loss) and loss in _CLASS_OF_FUNCTION:
        return _CLASS_OF_FUNCTION[loss]()
    if isinstance(loss, type) and issubclass(loss, Loss):
        return loss()
    if callable(loss):
        return LossFunction(loss)
    raise ValueError(f"unknown loss {loss!r}; known: {', '.join(sorted(LOSSES))}")


def serialize(loss):
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config):
    return get(config)


# CTC (engine/ctc.py) is a loss too: importing it here registers it, so a saved line reader
# finds its loss by name, and ``glassnet.losses.CTCLoss`` works as ``keras.losses.CTC`` does.
from glassnet.engine import ctc as _ctc  # noqa: E402  (after Loss: it subclasses it)

CTCLoss = _ctc.CTCLoss
CTC, ctc = _ctc.CTC, _ctc.ctc      # Keras 3's: blank 0, labels padded with 0
LOSSES["ctc"] = CTC                 # compile(loss="ctc"), as in Keras 3
_CLASS_OF_FUNCTION[ctc] = CTC

# More of Keras's losses (engine/more_losses.py), by name, by class and as functions.
from glassnet.engine.more_losses import (CLASS_OF_FUNCTION as _MORE_FUNCTIONS, NAMES as _MORE_NAMES,  # noqa: E402
                                         CosineSimilarity, Hinge, LogCosh, MeanAbsolutePercentageError,
                                         MeanSquaredLogarithmicError, Poisson, SquaredHinge, cosine_similarity,
                                         hinge, log_cosh, mean_absolute_percentage_error,
                                         mean_squared_logarithmic_error, poisson, squared_hinge)

MORE_LOSSES = (CosineSimilarity, Hinge, LogCosh, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, Poisson,
               SquaredHinge)       # here as keras.losses has them: glassnet.losses.LogCosh, ...
MORE_FUNCTIONS = (cosine_similarity, hinge, poisson, squared_hinge)
LOSSES.update(_MORE_NAMES)
_CLASS_OF_FUNCTION.update(_MORE_FUNCTIONS)
msle = MSLE = mean_squared_logarithmic_error
mape = MAPE = mean_absolute_percentage_error
logcosh = log_cosh

# The focal losses (engine/focal_losses.py), by name, by class and as functions.
from glassnet.engine.focal_losses import (CLASS_OF_FUNCTION as _FOCAL_FUNCTIONS, NAMES as _FOCAL_NAMES,  # noqa: E402
                                          BinaryFocalCrossentropy, CategoricalFocalCrossentropy,
                                          binary_focal_crossentropy, categorical_focal_crossentropy)

FOCAL_LOSSES = (BinaryFocalCrossentropy, CategoricalFocalCrossentropy)     # glassnet.losses.BinaryFocal...
FOCAL_FUNCTIONS = (binary_focal_crossentropy, categorical_focal_crossentropy)
LOSSES.update(_FOCAL_NAMES)
_CLASS_OF_FUNCTION.update(_FOCAL_FUNCTIONS)

# Keras 3's newer losses (engine/keras3_losses.py): Dice, Tversky, CategoricalHinge, Circle and
# CategoricalGeneralizedCrossEntropy, by name, by class and as functions.
from glassnet.engine.keras3_losses import (CLASS_OF_FUNCTION as _KERAS3_FUNCTIONS, NAMES as _KERAS3_NAMES,  # noqa: E402
                                           CategoricalGeneralizedCrossEntropy, CategoricalHinge, Circle, Dice,
                                           Tversky, categorical_generalized_cross_entropy, categorical_hinge,
                                           circle, dice, tversky)

KERAS3_LOSSES = (CategoricalGeneralizedCrossEntropy, CategoricalHinge, Circle, Dice, Tversky)
KERAS3_FUNCTIONS = (categorical_generalized_cross_entropy, categorical_hinge, circle, dice, tversky)
LOSSES.update(_KERAS3_NAMES)
_CLASS_OF_FUNCTION.update(_KERAS3_FUNCTIONS)
