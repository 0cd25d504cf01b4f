"""Losses: one number that says how wrong the predictions are, and its gradient.

A loss follows the layer protocol: ``forward(y_true, y_pred)`` returns the mean loss over
the batch and remembers what it needs; ``backward()`` returns ``dL/d(y_pred)``, which is
where backpropagation starts. The ``1/N`` of the mean lives here, so layers simply sum
their gradients over the batch.

Labels may be integers ``(N,)`` or one-hot rows ``(N, K)`` for every loss.
"""

import numpy as np

from glassnet.errors import ShapeError


def one_hot(labels, num_classes, dtype=np.float32):
    """``[2, 0] -> [[0, 0, 1, ...], [1, 0, 0, ...]]``."""
    out = np.zeros((len(labels), num_classes), dtype=dtype)
    out[np.arange(len(labels)), labels] = 1
    return out


def _check_labels(y_true, y_pred):
    """Integer labels ``(N,)`` or one-hot/probability rows ``(N, K)`` matching ``y_pred``."""
    y_true = np.asarray(y_true)
    if len(y_true) != len(y_pred):
        raise ShapeError(f"{len(y_true)} labels for {len(y_pred)} predictions")
    if y_true.ndim == 2 and y_true.shape[1] == 1:
        y_true = y_true[:, 0]
    if y_true.ndim == 1:
        if y_true.dtype.kind == "f" and not np.all(y_true == np.round(y_true)):
            raise ShapeError("integer class labels expected, got fractional values")
        labels = y_true.astype(np.intp, copy=False)
        if len(labels) and (labels.min() < 0 or labels.max() >= y_pred.shape[-1]):
            raise ShapeError(
                f"labels must be in 0..{y_pred.shape[-1] - 1} for {y_pred.shape[-1]} outputs, "
                f"got {labels.min()}..{labels.max()}"
            )
        return labels
    if y_true.shape != y_pred.shape:
        raise ShapeError(f"one-hot labels of shape {y_true.shape} don't match predictions {y_pred.shape}")
    return y_true


def log_softmax(z):
    """``log(softmax(z))`` by log-sum-exp: ``z - max - log(sum(exp(z - max)))``, never log(0)."""
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


# Every Loss subclass by class name, so a saved model can rebuild its loss.
LOSSES_BY_CLASS = {}


class Loss:
    name = "loss"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        LOSSES_BY_CLASS[cls.__name__] = cls

    def __call__(self, y_true, y_pred):
        return self.forward(y_true, y_pred)

    def forward(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def backward(self):
        raise NotImplementedError

    def get_config(self):
        return {}

    def logits_version(self, activation):
        """A loss computed from the logits, when the model ends in ``activation``; None: no fusion."""
        return None


class CategoricalCrossentropy(Loss):
    """Cross-entropy ``L = -mean_n sum_k y_nk log p_nk`` between labels and class probabilities.

    With ``from_logits=True`` the predictions are raw scores ``z`` and
    ``log p = log_softmax(z)`` is computed with log-sum-exp. The gradient with respect to
    the logits is then the famous ``(p - y) / N``: the softmax's Jacobian and the log's
    ``1/p`` cancel, leaving "predicted minus true". The model uses this form whenever the
    last layer is a softmax (it feeds the logits here and skips the softmax's backward).

    With ``from_logits=False`` (Keras' default) the predictions are probabilities; they are
    clipped to ``[1e-7, 1]`` so that ``log`` stays finite, as Keras does.

    Labels: integers ``(N,)`` or one-hot ``(N, K)``; both classes accept both.
    """

    name = "categorical_crossentropy"

    def __init__(self, from_logits=False):
        self.from_logits = bool(from_logits)

    def forward(self, y_true, y_pred, sample_weight=None):
        y = _check_labels(y_true, y_pred)
        n = len(y_pred)
        if self.from_logits:
            log_p = log_softmax(y_pred)
            self.p = np.exp(log_p)
        else:
            self.p = np.clip(y_pred, 1e-7, 1.0)
            log_p = np.log(self.p)
        self.y, self.n = y, n
        self.w = None if sample_weight is None else np.asarray(sample_weight, y_pred.dtype).reshape(n, 1)
        if y.ndim == 1:
            per_sample = -log_p[np.arange(n), y]
        else:
            per_sample = -(y * log_p).sum(axis=1)
        if self.w is not None:
            per_sample = per_sample * self.w[:, 0]
        return float(per_sample.sum() / n)

    def backward(self):
        y, n, p = self.y, self.n, self.p
        if self.from_logits:                  # dL/dz = (p - y) / N
            if y.ndim == 1:
                grad = p.copy()
                grad[np.arange(n), y] -= 1
            else:                             # also right for label-smoothed rows
                grad = p * y.sum(axis=1, keepdims=True) - y
        elif y.ndim == 1:                     # dL/dp = -y / p / N
            grad = np.zeros_like(p)
            grad[np.arange(n), y] = -1.0 / p[np.arange(n), y]
        else:
            grad = -y / p
        if self.w is not None:
            grad *= self.w
        return grad / n

    def logits_version(self, activation):
        """The loss to use on the logits when the model ends in ``activation`` (a softmax)."""
        from glassnet.engine.layers.activations import Softmax
        if isinstance(activation, Softmax) and not self.from_logits:
            return type(self)(from_logits=True)
        return None

    def get_config(self):
        return {"from_logits": self.from_logits}


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """The same cross-entropy; the Keras name for integer labels (one-hot works as well)."""

    name = "sparse_categorical_crossentropy"


class MeanSquaredError(Loss):
    """``L = mean((y_pred - y)**2)`` over every element; ``dL/dy_pred = 2 (y_pred - y) / size``.

    Integer labels are turned into one-hot rows first, so MSE works on a classifier too.
    """

    name = "mean_squared_error"

    def forward(self, y_true, y_pred, sample_weight=None):
        y = _check_labels(y_true, y_pred) if y_pred.ndim == 2 else np.asarray(y_true)
        if y.ndim == 1 and y_pred.ndim == 2:
            y = one_hot(y, y_pred.shape[1], y_pred.dtype)
        if y.shape != y_pred.shape:
            raise ShapeError(f"targets of shape {y.shape} don't match predictions {y_pred.shape}")
        self.diff = y_pred - y
        self.w = None
        if sample_weight is not None:
            self.w = np.asarray(sample_weight, y_pred.dtype).reshape((len(y_pred),) + (1,) * (y_pred.ndim - 1))
            return float(np.mean(self.diff ** 2 * self.w))
        return float(np.mean(self.diff ** 2))

    def backward(self):
        grad = 2 * self.diff / self.diff.size
        return grad if self.w is None else grad * self.w


LOSSES = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
}


def get(loss):
    """A loss object from a Keras name (``"sparse_categorical_crossentropy"``) or an instance."""
    if isinstance(loss, Loss):
        return loss
    if loss in LOSSES:
        return LOSSES[loss]()
    raise ValueError(f"unknown loss {loss!r}; known: {', '.join(sorted(LOSSES))}")
