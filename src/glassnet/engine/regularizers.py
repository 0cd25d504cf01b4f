"""Weight penalties: L2 (weight decay) and L1.

Adding ``lambda * sum(W**2)`` to the loss makes large weights expensive, so the network
prefers many small weights over a few large ones, which usually generalises better. Its
gradient, ``2 * lambda * W``, pulls every weight a little towards zero at each step.
L1, ``lambda * sum(|W|)``, with gradient ``lambda * sign(W)``, pushes weights to exactly
zero instead. As in Keras, the penalty is added to the reported training loss.

Use them as ``Dense(128, kernel_regularizer=l2(1e-4))`` or ``L2(1e-4)`` (Keras 3 spells the
classes ``L1``, ``L2``, ``L1L2`` and keeps the lower-case names as aliases).
"""

import numpy as np

from glassnet.engine.configurable import Configurable, FunctionSetting

# Every Regularizer subclass by class name, so a saved layer can rebuild its regularizer.
REGULARIZERS_BY_CLASS = {}


class Regularizer(Configurable):
    """Base class: ``penalty(W)`` (also ``regularizer(W)``), its ``gradient(W)``, and the config.

    A penalty of your own may give both, or only Keras's ``__call__(self, x)`` written with
    ``ops``: glassnet then records that math and differentiates it
    (:mod:`glassnet.engine.autodiff`), as it does a loss of your own.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        REGULARIZERS_BY_CLASS[cls.__name__] = cls

    def __call__(self, w):
        return self.penalty(w)

    def penalty(self, w):
        if type(self).__call__ is Regularizer.__call__:
            raise NotImplementedError(f"{type(self).__name__} has neither penalty(w) nor __call__(w)")
        return float(np.sum(np.asarray(self.__call__(w))))

    def gradient(self, w):
        """``d penalty / dW``, from the recorded math of ``__call__`` (or ``penalty``)."""
        from glassnet.engine.autodiff import Value, backpropagate, lift
        math = type(self).__call__ if type(self).__call__ is not Regularizer.__call__ else type(self).penalty
        weight = Value(np.asarray(w), needs_grad=True)
        total = lift(np.sum(math(self, weight)))
        if total.needs_grad:
            backpropagate(total, 1.0)
        return np.zeros_like(weight.data) if weight.grad is None else weight.grad.astype(weight.dtype)


class FunctionRegularizer(FunctionSetting, Regularizer):
    """A penalty given as a function, as Keras takes one (Geron's ``def my_l1_regularizer(weights):
    return tf.reduce_sum(tf.abs(0.01 * weights))``); its gradient is its recorded math's."""

    what = "weight penalty"

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, w):
        return self.fn(w)


class L1L2(Regularizer):
    """``penalty = l1 * sum(|W|) + l2 * sum(W**2)``; ``gradient = l1 * sign(W) + 2 l2 W``.

    Keras 3's defaults are 0 for both factors.
    """

    def __init__(self, l1=0.0, l2=0.0):
        if not (l1 >= 0 and l2 >= 0):
            raise ValueError(f"regularization factors must be >= 0, got l1={l1}, l2={l2}")
        self.l1, self.l2 = float(l1), float(l2)

    def penalty(self, w):
        total = 0.0
        if self.l1:
            total += self.l1 * float(np.abs(w).sum())
        if self.l2:
            total += self.l2 * float(np.square(w).sum())
        return total

    def gradient(self, w):
        grad = np.zeros_like(w)
        if self.l1:
            grad += self.l1 * np.sign(w)
        if self.l2:
            grad += (2 * self.l2) * w
        return grad

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """``penalty = l1 * sum(|W|)`` (Keras default factor 0.01)."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """``penalty = l2 * sum(W**2)`` (Keras default factor 0.01)."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


# Keras's lower-case aliases: l2(1e-4) is L2(1e-4).
l1, l2, l1_l2 = L1, L2, L1L2

REGULARIZERS = {"l1": L1, "l2": L2, "l1_l2": L1L2, "L1": L1, "L2": L2, "L1L2": L1L2}


def get(value):
    """None, a Regularizer, a name (``"l2"``: Keras's default factor 0.01), Keras's
    ``{"class_name": "L2", "config": {"l2": 1e-4}}``, or the ``{"l1": .., "l2": ..}`` dict that
    older glassnet model files hold."""
    if value is None or isinstance(value, Regularizer):
        return value
    if isinstance(value, dict):
        if "class_name" in value:
            cls = REGULARIZERS_BY_CLASS.get(value["class_name"]) or REGULARIZERS.get(value["class_name"])
            if cls is None:
                raise ValueError(f"unknown regularizer {value['class_name']!r}; known: "
                                 f"{', '.join(sorted(REGULARIZERS_BY_CLASS))}")
            return cls.from_config(value.get("config") or {})
        return L1L2(**value)
    if isinstance(value, str) and value in REGULARIZERS:
        return REGULARIZERS[value]()
    if callable(value) and not isinstance(value, type):
        return FunctionRegularizer(value)
    raise ValueError(f"unknown regularizer {value!r}; use l1(...), l2(...) or l1_l2(...)")


def serialize(regularizer):
    """``{"class_name": "L2", "config": {"l2": 0.0001}}``, or None."""
    if regularizer is None:
        return None
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}


def deserialize(config):
    return get(config)


class OrthogonalRegularizer(Regularizer):
    """Keras 3's penalty on a ``(D, U)`` kernel whose rows (or columns) are not orthogonal.

    The rows are scaled to length 1 (``x / max(|x|, 1e-7)``), and the penalty is the mean
    absolute cosine over the ``n (n - 1) / 2`` pairs of different rows, times ``factor / 2``::

        P = R R^T                                         (n, n), R the unit rows
        penalty = factor * 0.5 * sum(|P - diag(P)|) / (n (n - 1) / 2)

    ``mode="columns"`` does the same to the columns. It is written with ``glassnet.ops``, so
    its gradient is its recorded math's.

    Args:
        factor: the penalty's weight (0.01). mode: ``"rows"`` or ``"columns"``.
    """

    def __init__(self, factor=0.01, mode="rows"):
        if not factor >= 0:
            raise ValueError(f"OrthogonalRegularizer: factor must be >= 0, got {factor!r}")
        if mode not in ("rows", "columns"):
            raise ValueError(f"Invalid value for argument `mode`. Expected one of {{'rows', 'columns'}}. "
                             f"Received: mode={mode}")
        self.factor, self.mode = float(factor), mode

    def __call__(self, w):
        from glassnet import ops

        if len(w.shape) != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape="
                             f"{tuple(w.shape)}")
        rows = w if self.mode == "rows" else ops.transpose(w)
        norms = ops.sqrt(ops.sum(rows * rows, axis=1, keepdims=True))
        unit = rows / ops.maximum(norms, 1e-7)
        size = rows.shape[0]
        off_diagonal = ops.matmul(unit, ops.transpose(unit)) * (1.0 - np.eye(size))
        return self.factor * 0.5 * ops.sum(ops.abs(off_diagonal)) / (size * (size - 1.0) / 2.0)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


orthogonal_regularizer = OrthogonalRegularizer
REGULARIZERS.update({"orthogonal_regularizer": OrthogonalRegularizer, "OrthogonalRegularizer": OrthogonalRegularizer})
