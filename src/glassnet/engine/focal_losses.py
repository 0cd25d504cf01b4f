"""Focal losses (Lin et al., 2017): cross-entropy that counts the examples already right less.

On a data set where one class is rare, the many easy examples of the common class (each with
a small cross-entropy) add up to most of the loss, and training spends its effort on them. The
focal loss multiplies each output's cross-entropy by ``(1 - p_t)**gamma``, where ``p_t`` is the
probability the model gives the true answer: about 0 for an example it gets right with
confidence, about 1 for one it gets wrong. ``gamma = 0`` is plain cross-entropy; the paper's
``gamma = 2`` turns an easy example's ``p_t = 0.9`` into a hundredth of its loss.

Both follow Keras 3's formulas exactly, with its clipping of probabilities to
``[1e-7, 1 - 1e-7]``; their gradients are written out below (and checked by the
gradient-check catalogue). The function forms give one loss per sample, as Keras's do::

    glassnet.losses.binary_focal_crossentropy(y_true, y_pred, gamma=2.0)     # -> (N,)
"""

import numpy as np

from glassnet.engine.losses import EPSILON, Loss, _check_labels, _per_sample, _sigmoid, _targets, log_softmax, one_hot
from glassnet.errors import ShapeError


def _power_slope(base, gamma):
    """``d(base**gamma)/d(base) = gamma * base**(gamma - 1)`` (zero for ``gamma = 0``)."""
    return gamma * np.power(base, gamma - 1) if gamma else np.zeros_like(base)


def _check_settings(owner, gamma, label_smoothing, axis):
    if axis != -1:
        raise ValueError(f"{owner}: only axis=-1 (the last) is supported, got {axis!r}")
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"{owner}: label_smoothing must be in [0, 1], got {label_smoothing!r}")
    if not gamma >= 0:
        raise ValueError(f"{owner}: gamma must be >= 0, got {gamma!r}")


class BinaryFocalCrossentropy(Loss):
    """Binary cross-entropy times a focal factor, per output, then the mean over the outputs.

    With ``p`` the predicted probability and ``y`` the label (smoothed: ``y (1 - s) + s / 2``)::

        bce = -(y log p + (1 - y) log(1 - p))          # p clipped to [1e-7, 1 - 1e-7] here only
        p_t = y p + (1 - y) (1 - p)                    # the probability of the true answer
        l = w (1 - p_t)**gamma bce,   w = y alpha + (1 - y)(1 - alpha)   (1 without balancing)

    With ``from_logits=True``, ``p = sigmoid(z)`` and ``bce`` comes straight from the logit
    (``max(z, 0) - z y + log(1 + exp(-|z|))``, never clipped), as Keras computes it. Backward,
    with ``F = (1 - p_t)**gamma`` and ``dF/dp = -gamma (1 - p_t)**(gamma - 1) (2y - 1)``::

        dl/dp = w (dF/dp bce + F dbce/dp),   dbce/dp = (p - y) / (p (1 - p))
        dl/dz = w (dF/dp p (1 - p) bce + F (p - y))      # from logits

    each divided by ``K``, the number of outputs (the mean). For targets computed from weights
    being trained too (soft labels of a teacher), with ``dF/dy = -gamma (1 - p_t)**(gamma - 1)
    (2p - 1)``, ``dbce/dy = -log(p / (1 - p))`` (the logit ``-z`` from logits) and ``dw/dy =
    2 alpha - 1`` (0 without balancing)::

        dl/dy = (1 - s) (dw/dy F bce + w dF/dy bce + w F dbce/dy) / K

    Args:
        apply_class_balancing: weigh class 1 by ``alpha`` and class 0 by ``1 - alpha``.
        alpha: that weight (Keras's default 0.25, the paper's).
        gamma: the focusing power, >= 0 (2.0).
        from_logits: the predictions are logits, not probabilities.
        label_smoothing: in ``[0, 1]``: the labels move towards 0.5.
    """

    name = "binary_focal_crossentropy"

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                 axis=-1, **kwargs):
        super().__init__(**kwargs)
        _check_settings("BinaryFocalCrossentropy", gamma, label_smoothing, axis)
        self.apply_class_balancing, self.alpha, self.gamma = bool(apply_class_balancing), float(alpha), float(gamma)
        self.from_logits, self.label_smoothing = bool(from_logits), float(label_smoothing)

    def call(self, y_true, y_pred):
        y = _targets(y_true, y_pred, "BinaryFocalCrossentropy", integer_labels=False)
        if y.size and (y.min() < 0 or y.max() > 1):
            raise ShapeError(f"BinaryFocalCrossentropy: labels must be 0/1 or probabilities in [0, 1], got "
                             f"{y.min():g}..{y.max():g}")
        if self.label_smoothing:
            y = y * (1 - self.label_smoothing) + 0.5 * self.label_smoothing
        if self.from_logits:
            z, p = y_pred, _sigmoid(y_pred)
            self.bce = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
            self.dbce, self.dp = p - y, p * (1 - p)               # dbce/dz and dp/dz
            self.log_odds = z
        else:
            p, inside = y_pred, (y_pred >= EPSILON) & (y_pred <= 1 - EPSILON)
            clipped = np.clip(p, EPSILON, 1 - EPSILON)
            self.bce = -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))
            self.dbce, self.dp = (clipped - y) / (clipped * (1 - clipped)) * inside, 1
            self.log_odds = np.log(clipped) - np.log(1 - clipped)
        self.p = p
        self.y, self.base = y, 1 - (y * p + (1 - y) * (1 - p))   # 1 - p_t
        self.focal = np.power(self.base, self.gamma)
        self.w = y * self.alpha + (1 - y) * (1 - self.alpha) if self.apply_class_balancing else 1
        return np.mean(self.w * self.focal * self.bce, axis=-1)

    def gradient(self, dvalues):
        dfocal_dp = -_power_slope(self.base, self.gamma) * (2 * self.y - 1)
        grad = self.w * (dfocal_dp * self.dp * self.bce + self.focal * self.dbce) / self.y.shape[-1]
        return self.per_row(np.asarray(grad, self.y.dtype), dvalues)

    def gradient_true(self, dvalues):
        dfocal_dy = -_power_slope(self.base, self.gamma) * (2 * self.p - 1)
        dw_dy = 2 * self.alpha - 1 if self.apply_class_balancing else 0
        grad = dw_dy * self.focal * self.bce + self.w * (dfocal_dy * self.bce - self.focal * self.log_odds)
        return self.per_row(np.asarray(grad * (1 - self.label_smoothing) / self.y.shape[-1], self.y.dtype), dvalues)

    def logits_version(self, activation):
        """After a sigmoid the model hands the logits here (Keras's TensorFlow backend finds
        them behind the sigmoid the same way)."""
        from glassnet.engine.layers.activations import Sigmoid
        if isinstance(activation, Sigmoid) and not self.from_logits:
            return type(self).from_config({**self.get_config(), "from_logits": True})
        return None

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": -1, "apply_class_balancing": self.apply_class_balancing, "alpha": self.alpha,
                "gamma": self.gamma}


class CategoricalFocalCrossentropy(Loss):
    """Categorical cross-entropy with each class's term times ``alpha (1 - q_k)**gamma``.

    As Keras 3 computes it, with ``y`` the labels (smoothed: ``y (1 - s) + s / K``) and
    ``p`` the probabilities (``softmax(z)`` from logits)::

        q = clip(p / sum(p), 1e-7, 1 - 1e-7)
        l = sum_k alpha_k (1 - q_k)**gamma (-y_k log q_k)

    Backward: per class, ``g_k = dl/dq_k = alpha_k (gamma (1 - q_k)**(gamma - 1) y_k log q_k
    - (1 - q_k)**gamma y_k / q_k)`` (0 where the clip holds ``q``); through the division by
    the sum, ``dl/dp = (g - sum(g q)) / sum(p)``; and through the softmax (from logits)
    ``dl/dz = p (dl/dp - sum(dl/dp p))``. For soft targets computed from weights being trained
    too, ``dl/dy_k = -(1 - s) alpha_k (1 - q_k)**gamma log q_k`` (class numbers refuse).

    Args:
        alpha: one weight for every class (0.25), or a list of one per class.
        gamma: the focusing power, >= 0 (2.0).
        from_logits: the predictions are logits, not probabilities.
        label_smoothing: in ``[0, 1]``.

    Labels: one-hot rows, as Keras takes them (class numbers work too, as for
    :class:`~glassnet.engine.losses.CategoricalCrossentropy`).
    """

    name = "categorical_focal_crossentropy"

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1, **kwargs):
        super().__init__(**kwargs)
        _check_settings("CategoricalFocalCrossentropy", gamma, label_smoothing, axis)
        self.alpha = [float(a) for a in alpha] if np.ndim(alpha) else float(alpha)
        self.gamma, self.from_logits, self.label_smoothing = float(gamma), bool(from_logits), float(label_smoothing)

    def call(self, y_true, y_pred):
        y, k = _check_labels(y_true, y_pred), y_pred.shape[-1]
        self.sparse = y.ndim < y_pred.ndim
        y = (one_hot(y, k, y_pred.dtype) if self.sparse else y).astype(y_pred.dtype, copy=False)
        if self.label_smoothing:
            y = y * (1 - self.label_smoothing) + self.label_smoothing / k
        self.p = np.exp(log_softmax(y_pred)) if self.from_logits else y_pred
        self.total = self.p.sum(axis=-1, keepdims=True)
        self.q_raw = self.p / self.total                          # rows summing to 1
        self.inside = (self.q_raw >= EPSILON) & (self.q_raw <= 1 - EPSILON)
        self.q = np.clip(self.q_raw, EPSILON, 1 - EPSILON)
        self.y, self.log_q = y, np.log(self.q)
        self.weight = np.asarray(self.alpha, y_pred.dtype) * np.power(1 - self.q, self.gamma)
        return np.sum(self.weight * -y * self.log_q, axis=-1)

    def gradient(self, dvalues):
        y, q = self.y, self.q
        alpha = np.asarray(self.alpha, q.dtype)
        g = (alpha * _power_slope(1 - q, self.gamma) * y * self.log_q - self.weight * y / q) * self.inside
        grad = (g - np.sum(g * self.q_raw, axis=-1, keepdims=True)) / self.total     # through p / sum(p)
        if self.from_logits:                                                         # through the softmax
            grad = self.p * (grad - np.sum(grad * self.p, axis=-1, keepdims=True))
        return self.per_row(grad, dvalues)

    def gradient_true(self, dvalues):
        if self.sparse:
            return super().gradient_true(dvalues)
        return self.per_row(-(1 - self.label_smoothing) * self.weight * self.log_q, dvalues)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": -1, "alpha": self.alpha, "gamma": self.gamma}


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                              label_smoothing=0.0, axis=-1):
    """Per-sample binary focal cross-entropy ``(N,)``; see :class:`BinaryFocalCrossentropy`."""
    loss = BinaryFocalCrossentropy(apply_class_balancing, alpha, gamma, from_logits, label_smoothing, axis)
    return _per_sample(loss, y_true, y_pred)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                                   axis=-1):
    """Per-sample categorical focal cross-entropy ``(N,)``; see :class:`CategoricalFocalCrossentropy`."""
    loss = CategoricalFocalCrossentropy(alpha, gamma, from_logits, label_smoothing, axis)
    return _per_sample(loss, y_true, y_pred)


CLASS_OF_FUNCTION = {binary_focal_crossentropy: BinaryFocalCrossentropy,
                     categorical_focal_crossentropy: CategoricalFocalCrossentropy}
NAMES = {"binary_focal_crossentropy": BinaryFocalCrossentropy,
         "categorical_focal_crossentropy": CategoricalFocalCrossentropy}
