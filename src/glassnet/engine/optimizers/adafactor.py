"""Adafactor: Adam's per-weight step size from a row average and a column average."""

import math

import numpy as np

from glassnet.engine.optimizers.base import Optimizer


class Adafactor(Optimizer):
    """Adafactor (Shazeer and Stern, 2018), as Keras 3 has it: Adam's ``v`` for an
    ``(R, C)`` matrix kept as a row average ``r`` (R,) and a column average ``c`` (C,).

    At step ``t``, with ``g2 = g**2 + epsilon_1`` and a decay that grows towards 1,
    ``b = 1 - t**beta_2_decay``::

        r = b * r + (1 - b) * mean(g2, axis=-1)          # (..., R)
        c = b * c + (1 - b) * mean(g2, axis=-2)          # (..., C)
        v = (r / mean(r)) [:, None] * c [None, :]        # (..., R, C), rank one
        u = g / sqrt(v)
        u /= max(1, rms(u) / clip_threshold)             # a step never too long
        w -= max(epsilon_2, rms(w)) * min(lr, 1 / sqrt(t)) * u

    A weight array of rank 1 (a bias) keeps its whole ``v = b * v + (1 - b) * g2``, as
    RMSprop would. The step is relative: it is scaled by the weights' own root mean square
    ``rms(w)``, so a layer of small weights takes small steps. Keeping ``R + C`` numbers in
    place of ``R * C`` is what made Adafactor the optimizer of very large Transformers.

    Args:
        learning_rate: at most this, and at most ``1 / sqrt(t)`` (Keras default 0.001).
        beta_2_decay: the exponent of the decay schedule above (-0.8).
        epsilon_1: added to the squared gradients (1e-30).
        epsilon_2: the smallest weight scale ``rms(w)`` counts as (1e-3).
        clip_threshold: the largest root mean square of a step (1.0).
        relative_step: Keras's setting, kept in the config (its update caps the rate by
            ``1 / sqrt(t)`` either way).
    """

    name = "adafactor"
    slot_names = ("r", "c", "v")
    per_weight = True               # the rows and columns are those of each weight array

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.check_hyperparameters(positives=[("clip_threshold", clip_threshold)])
        self.beta_2_decay, self.epsilon_1 = float(beta_2_decay), float(epsilon_1)
        self.epsilon_2, self.clip_threshold = float(epsilon_2), float(clip_threshold)
        self.relative_step = bool(relative_step)

    def slot_shape(self, name, shape):
        """``r`` drops the last axis, ``c`` the one before; a weight of rank < 2 keeps its
        whole ``v`` and two empty (0-d) placeholders, as Keras keeps them."""
        shape = tuple(shape)
        if name == "v":
            return shape
        if len(shape) < 2:
            return ()
        return shape[:-1] if name == "r" else shape[:-2] + shape[-1:]

    def prepare(self, lr):
        t = self._iterations
        self.rho = min(lr, 1 / math.sqrt(t))                 # the relative step size
        self.decay = 1 - t ** self.beta_2_decay              # b, 0 on the first step

    def update(self, index, p, g, lr):
        r, c, v = (self.slot(name, index, np.zeros(self.slot_shape(name, p.shape), p.dtype))
                   for name in self.slot_names)
        b = self.decay
        g2 = g * g + self.epsilon_1
        if p.ndim >= 2:
            r *= b
            r += (1 - b) * g2.mean(axis=-1)
            c *= b
            c += (1 - b) * g2.mean(axis=-2)
            v[...] = (r / r.mean(axis=-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v *= b
            v += (1 - b) * g2
        u = g / np.sqrt(v)
        u /= max(1.0, _rms(u) / self.clip_threshold)
        p -= (max(self.epsilon_2, _rms(p)) * self.rho) * u

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step}


def _rms(a):
    """The root mean square of the whole array, a float."""
    flat = a.reshape(-1)
    return float(np.sqrt(np.dot(flat, flat) / max(flat.size, 1)))
