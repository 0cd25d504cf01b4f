"""Keras 3's newer losses: Dice and Tversky (the overlap of two masks, for segmentation),
CategoricalHinge, CategoricalGeneralizedCrossEntropy (cross-entropy robust to wrong labels)
and Circle (for embeddings), with their function forms.

Their values are Keras 3's, formula for formula. Each gradient is written out below, except
Circle's, whose math is written with ``glassnet.ops`` and differentiated exactly by recording
it (:mod:`glassnet.engine.autodiff`); all are checked against finite differences by the
gradient-check catalogue (``glassnet gradcheck``).
"""

import numpy as np

from glassnet.engine.losses import EPSILON, Loss, _check_labels, _per_sample, _targets, one_hot


def _axes(axis, ndim):
    """Keras's ``axis`` (None: every axis; an int; a tuple) as a tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in ((axis,) if np.isscalar(axis) else axis))


class _Overlap:
    """Shared by Dice and Tversky (a mixin before :class:`Loss`): sums over ``axis`` (None:
    the whole batch, one number)."""

    def __init__(self, axis=None, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis if axis is None or np.isscalar(axis) else tuple(axis)

    def forward(self, y_true, y_pred, sample_weight=None):
        """With ``axis=None`` the loss is one number for the whole batch; as in Keras, sample
        weights then scale it by their mean (``sum``: their sum)."""
        if self.axis is not None or sample_weight is None:
            return super().forward(y_true, y_pred, sample_weight)
        value = super().forward(y_true, y_pred)
        w = np.asarray(sample_weight, np.float64).reshape(-1)
        total = float(w.sum())
        factor = {"sum": total, "mean_with_sample_weight": 1.0 if total else 0.0}.get(
            self.reduction, total / max(w.size, 1))
        self.dvalues = factor
        return value * factor

    def _sum(self, a):
        return np.sum(a, axis=self.axes)

    def _keep(self, a):
        """A per-value array with the summed axes back, as size 1 (keepdims)."""
        return np.expand_dims(a, tuple(sorted(self.axes)))

    def _spread(self, per_value, dvalues):
        """``per_value * dL/dl`` shaped back over the summed axes (keepdims)."""
        scale = np.asarray(dvalues, per_value.dtype)
        return per_value * (self._keep(scale) if scale.ndim else scale)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dice(_Overlap, Loss):
    """``1 - 2 sum(y p) / (sum(y) + sum(p) + eps)``: one minus the Dice coefficient (F1 of
    the masks), summed over ``axis`` (Keras's default None: over everything, one number).

    With ``I = sum(y p)`` and ``S = sum(y) + sum(p) + eps``, ``D = 2 I / S``::

        dl/dp = (D - 2 y) / S
        dl/dy = (D - 2 p) / S      (symmetric: a mask computed by a trained model too)

    Args:
        axis: the axes summed (None, an int or a tuple); the others stay, one loss each.
    """

    name = "dice"

    def call(self, y_true, y_pred):
        y = _targets(y_true, y_pred, "Dice", integer_labels=False)
        self.axes = _axes(self.axis, y_pred.ndim)
        self.y, self.p = y, y_pred
        self.S = self._sum(y) + self._sum(y_pred) + EPSILON
        self.D = 2 * self._sum(y * y_pred) / self.S
        return 1 - self.D

    def gradient(self, dvalues):
        return self._spread((self._keep(self.D) - 2 * self.y) / self._keep(self.S), dvalues)

    def gradient_true(self, dvalues):
        return self._spread((self._keep(self.D) - 2 * self.p) / self._keep(self.S), dvalues)


class Tversky(_Overlap, Loss):
    """``1 - I / (I + alpha FP + beta FN + eps)``: Dice with false positives and false
    negatives weighed apart (``alpha = beta = 0.5`` is Dice without the epsilon's place).

    Keras's terms: ``I = sum(y p)``, ``FP = sum((1 - p) y)``, ``FN = sum(p (1 - y))``. With
    ``Den`` the denominator and ``T = I / Den``::

        dl/dp = -(y - T (y (1 - alpha) + beta (1 - y))) / Den
        dl/dy = -(p - T (p (1 - beta) + alpha (1 - p))) / Den

    Args:
        alpha, beta: the weights of Keras's FP and FN terms (0.5 each).
        axis: as :class:`Dice`.
    """

    name = "tversky"

    def __init__(self, alpha=0.5, beta=0.5, axis=None, **kwargs):
        super().__init__(axis=axis, **kwargs)
        self.alpha, self.beta = float(alpha), float(beta)

    def call(self, y_true, y_pred):
        y = _targets(y_true, y_pred, "Tversky", integer_labels=False)
        self.axes = _axes(self.axis, y_pred.ndim)
        self.y, self.p = y, y_pred
        intersection = self._sum(y * y_pred)
        self.den = (intersection + self.alpha * self._sum((1 - y_pred) * y)
                    + self.beta * self._sum(y_pred * (1 - y)) + EPSILON)
        self.T = intersection / self.den
        return 1 - self.T

    def gradient(self, dvalues):
        y = self.y
        slope = -(y - self._keep(self.T) * (y * (1 - self.alpha) + self.beta * (1 - y))) / self._keep(self.den)
        return self._spread(slope, dvalues)

    def gradient_true(self, dvalues):
        p = self.p
        slope = -(p - self._keep(self.T) * (p * (1 - self.beta) + self.alpha * (1 - p))) / self._keep(self.den)
        return self._spread(slope, dvalues)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "beta": self.beta}


class CategoricalHinge(Loss):
    """The multi-class hinge: ``max(0, 1 + max_{k wrong} p_k - p_true)``, per sample.

    With one-hot ``y``, ``pos = sum(y p)``, ``neg = max((1 - y) p)`` (at column ``j``)::

        l = max(neg - pos + 1, 0)
        dl/dp = [l > 0] ((1 - y_j) e_j - y)
        dl/dy = -[l > 0] (p + p_j e_j)     (soft targets computed by a trained model)

    Integer labels are taken too (as one-hot rows).
    """

    name = "categorical_hinge"

    def call(self, y_true, y_pred):
        y = _targets(y_true, y_pred, "CategoricalHinge")
        others = (1 - y) * y_pred
        self.y, self.p, self.j = y, y_pred, np.argmax(others, axis=-1)
        self.others_j = np.take_along_axis(1 - y, self.j[..., None], axis=-1)
        self.gap = np.max(others, axis=-1) - np.sum(y * y_pred, axis=-1) + 1
        return np.maximum(self.gap, 0)

    def gradient(self, dvalues):
        grad = -self.y.copy()
        np.put_along_axis(grad, self.j[..., None], np.take_along_axis(grad, self.j[..., None], -1)
                          + self.others_j, axis=-1)
        grad *= (self.gap > 0)[..., None]
        return self.per_row(grad, dvalues)

    def gradient_true(self, dvalues):
        grad = -self.p.copy()
        np.put_along_axis(grad, self.j[..., None], 2 * np.take_along_axis(grad, self.j[..., None], -1), axis=-1)
        grad *= (self.gap > 0)[..., None]
        return self.per_row(grad, dvalues)


class CategoricalGeneralizedCrossEntropy(Loss):
    """Generalized cross-entropy (Zhang and Sabuncu, 2018): ``(1 - p_true**q) / q``.

    Between cross-entropy (``q -> 0``) and mean absolute error (``q = 1``): a sample the model
    is sure is wrong (``p_true`` near 0) costs at most ``1 / q``, so a few wrong labels pull
    far less than with cross-entropy. ``y_true`` are class numbers, as in Keras; ``y_pred``
    probabilities ``(N, K)``::

        dl/dp_true = -p_true**(q - 1)

    Args:
        q: in ``(0, 1)`` (0.5).
    """

    name = "categorical_generalized_cross_entropy"

    def __init__(self, q=0.5, **kwargs):
        if not 0 < q < 1:
            raise ValueError(f"CategoricalGeneralizedCrossEntropy: q must be in (0, 1), got {q!r}")
        super().__init__(**kwargs)
        self.q = float(q)

    def call(self, y_true, y_pred):
        labels = _check_labels(np.asarray(y_true), y_pred)
        self.mask = one_hot(labels, y_pred.shape[-1], y_pred.dtype)
        self.p = np.sum(y_pred * self.mask, axis=-1)
        return (1 - self.p ** self.q) / self.q

    def gradient(self, dvalues):
        return self.per_row(-(self.p ** (self.q - 1))[..., None] * self.mask, dvalues)

    def get_config(self):
        return {**super().get_config(), "q": self.q}


class Circle(Loss):
    """Circle loss (Sun et al., 2020) for embeddings: within-class pairs pulled together,
    other pairs pushed apart, each pair weighted by how far it is from its optimum.

    ``y_true`` are class numbers ``(N,)``, ``y_pred`` embeddings ``(N, D)`` (L2-normalized, so
    ``1 - e_i . e_j`` is a cosine distance ``d``). For sample ``i`` with margin ``m``::

        positives (same class, j != i):  s_p = -gamma max(m + d, 0) (m - d)
        negatives (other classes):       s_n =  gamma max(1 + m - d, 0) (1 - m - d)
        l_i = softplus(logsumexp(s_p) + logsumexp(s_n))

    As in Keras, the batch's mean counts only the samples with a loss above 0 (a sample
    alone in its class has none). Its gradient is the recorded math's, exactly.

    Args:
        gamma: the scale (80.0); margin: the relaxation ``m`` (0.4);
        remove_diagonal: leave each sample out of its own positives (True).
    """

    name = "circle"

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True, **kwargs):
        super().__init__(**kwargs)
        self.gamma, self.margin, self.remove_diagonal = float(gamma), float(margin), bool(remove_diagonal)

    def call(self, y_true, y_pred):
        return circle(y_true, y_pred, gamma=self.gamma, margin=self.margin,
                      remove_diagonal=self.remove_diagonal).numpy()

    def recordable_call(self, y_true, y_pred):
        return _circle(y_true, y_pred, self.gamma, self.margin, self.remove_diagonal)

    def forward(self, y_true, y_pred, sample_weight=None):
        """Keras's mask: the mean is over the samples whose loss is above 0."""
        values = self.call(y_true, np.asarray(y_pred))
        mask = (values > 0).astype(values.dtype)
        if self.reduction == "sum_over_batch_size":
            mask *= values.size / (mask.sum() + EPSILON)
        weights = mask if sample_weight is None else mask * self._weights(sample_weight, values)
        return super().forward(y_true, y_pred, weights)

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma, "margin": self.margin,
                "remove_diagonal": self.remove_diagonal}


_NONE = -1e30      # "no pair": exp of it is 0


def _circle(y_true, y_pred, gamma, margin, remove_diagonal):
    """Circle's per-sample values, written with ``glassnet.ops`` so that it records."""
    from glassnet import ops

    labels = np.asarray(y_true).reshape(-1).astype(np.int64)
    same = labels[:, None] == labels[None, :]
    positive = same & ~np.eye(len(labels), dtype=bool) if remove_diagonal else same
    negative = ~same
    distance = ops.maximum(1 - ops.matmul(y_pred, ops.transpose(y_pred)), 0.0)
    pos = -gamma * ops.maximum((margin + distance) * positive, 0.0) * (margin - distance)
    neg = gamma * ops.maximum((1 + margin - distance) * negative, 0.0) * (1 - margin - distance)
    # Keras leaves the pairs out with -inf; -1e30 gives the same values (a sample alone in its
    # class still gets softplus(-1e30) = 0) and a gradient of 0, not 0 * inf.
    p_loss = ops.logsumexp(ops.where(positive, pos, _NONE), axis=1)
    n_loss = ops.logsumexp(ops.where(negative, neg, _NONE), axis=1)
    return ops.softplus(p_loss + n_loss)


def dice(y_true, y_pred, axis=None):
    return _per_sample(Dice(axis=axis), y_true, y_pred)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    return _per_sample(Tversky(alpha, beta, axis=axis), y_true, y_pred)


def categorical_hinge(y_true, y_pred):
    return _per_sample(CategoricalHinge(), y_true, y_pred)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    return _per_sample(CategoricalGeneralizedCrossEntropy(q), y_true, y_pred)


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4):
    """Keras's ``circle`` function: one loss per sample (reference labels and embeddings of
    their own are not supported: the batch is its own reference, Keras's default)."""
    from glassnet.engine.tensor import as_tensor

    if ref_labels is not None or ref_embeddings is not None:
        raise ValueError("circle: ref_labels and ref_embeddings are not supported by glassnet (the batch is "
                         "its own reference)")
    values = _circle(y_true, np.asarray(y_pred), float(gamma), float(margin), bool(remove_diagonal))
    return as_tensor(np.asarray(getattr(values, "data", values)))


CLASS_OF_FUNCTION = {dice: Dice, tversky: Tversky, categorical_hinge: CategoricalHinge,
                     categorical_generalized_cross_entropy: CategoricalGeneralizedCrossEntropy, circle: Circle}
NAMES = {"dice": Dice, "tversky": Tversky, "categorical_hinge": CategoricalHinge,
         "categorical_generalized_cross_entropy": CategoricalGeneralizedCrossEntropy, "circle": Circle}
