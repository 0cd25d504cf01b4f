"""Weight penalties: L2 (weight decay) and L1.

Adding ``lambda * sum(W**2)`` to the loss makes large weights expensive, so the network
prefers many small weights over a few large ones, which usually generalises better. Its
gradient, ``2 * lambda * W``, pulls every weight a little towards zero at each step.
L1, ``lambda * sum(|W|)``, with gradient ``lambda * sign(W)``, pushes weights to exactly
zero instead. As in Keras, the penalty is added to the reported training loss.

Use them as ``Dense(128, kernel_regularizer=l2(1e-4))``.
"""

import numpy as np


class Regularizer:
    """``penalty = l1 * sum(|W|) + l2 * sum(W**2)``."""

    def __init__(self, l1=0.0, l2=0.0):
        if l1 < 0 or l2 < 0:
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


def l1(factor=0.01):
    return Regularizer(l1=factor)


def l2(factor=0.01):
    return Regularizer(l2=factor)


def l1_l2(l1=0.01, l2=0.01):
    return Regularizer(l1=l1, l2=l2)


def get(value):
    """None, a Regularizer, ``"l2"``/``"l1"`` (Keras' default factor 0.01), or a saved config dict."""
    if value is None or isinstance(value, Regularizer):
        return value
    if isinstance(value, dict):
        return Regularizer(**value)
    if value in ("l1", "l2", "l1_l2"):
        return {"l1": l1, "l2": l2, "l1_l2": l1_l2}[value]()
    raise ValueError(f"unknown regularizer {value!r}; use l1(...), l2(...) or l1_l2(...)")


def serialize(regularizer):
    return None if regularizer is None else regularizer.get_config()
