"""Weight constraints: after every optimizer step, put a weight back inside a set.

A penalty (:mod:`glassnet.engine.regularizers`) makes large weights expensive; a constraint
forbids them. After each update the weight is projected back: **max-norm** (Srivastava et
al.'s companion to dropout) scales down every unit whose incoming weights have grown longer
than ``max_value``; **non-negativity** sets negative weights to zero. Keras applies them the
same way, right after the optimizer moves the weights::

    Dense(128, activation="relu", kernel_constraint=keras.constraints.max_norm(3.0))

The norm is taken over ``axis`` (Keras's default 0): for a Dense kernel ``(inputs, units)``
that is the column of one unit's incoming weights; for a Conv2D kernel ``(KH, KW, C, F)``
use ``axis=[0, 1, 2]``, one filter.
"""

import numpy as np

from glassnet.engine.configurable import Configurable, FunctionSetting

EPSILON = 1e-7    # Keras's backend.epsilon(): a weight of norm 0 stays 0 instead of NaN

# Every Constraint subclass by class name, so a saved layer can rebuild its constraint.
CONSTRAINTS_BY_CLASS = {}


class Constraint(Configurable):
    """Base class: ``constraint(w)`` returns ``w`` projected into the allowed set."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        CONSTRAINTS_BY_CLASS[cls.__name__] = cls

    def __call__(self, w):
        raise NotImplementedError


def _norms(w, axis):
    return np.sqrt(np.sum(np.square(w), axis=tuple(np.atleast_1d(axis)), keepdims=True))


class MaxNorm(Constraint):
    """Each unit's incoming weights (the norm over ``axis``) at most ``max_value`` long:
    ``w * min(norm, max_value) / norm``."""

    def __init__(self, max_value=2.0, axis=0):
        self.max_value, self.axis = float(max_value), axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        return w * (np.clip(norms, 0, self.max_value) / (EPSILON + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Norms kept between ``min_value`` and ``max_value``, moved ``rate`` of the way there
    at each step (``rate=1``: all the way)."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = float(min_value), float(max_value), float(rate), axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = self.rate * np.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (EPSILON + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


class UnitNorm(Constraint):
    """Each unit's incoming weights scaled to length 1."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (EPSILON + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class NonNeg(Constraint):
    """No negative weights: ``max(w, 0)``."""

    def __call__(self, w):
        return np.maximum(w, 0)


# Keras's lower-case aliases: max_norm(3) is MaxNorm(3).
max_norm, min_max_norm, unit_norm, non_neg = MaxNorm, MinMaxNorm, UnitNorm, NonNeg
CONSTRAINTS = {"max_norm": MaxNorm, "min_max_norm": MinMaxNorm, "unit_norm": UnitNorm, "non_neg": NonNeg,
               "nonneg": NonNeg}


class FunctionConstraint(FunctionSetting, Constraint):
    """A constraint given as a function, as Keras takes one (Geron's ``def my_positive_weights(w):
    return tf.where(w < 0., tf.zeros_like(w), w)``): applied to the weight after every step."""

    what = "constraint"

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, w):
        return np.asarray(self.fn(w))


def get(value):
    """None, a Constraint, a name (``"max_norm"``, ``"non_neg"``) or a config dict
    ``{"class_name": "MaxNorm", "config": {"max_value": 3}}``."""
    if value is None or isinstance(value, Constraint):
        return value
    if isinstance(value, dict) and "class_name" in value:
        cls = CONSTRAINTS_BY_CLASS.get(value["class_name"]) or CONSTRAINTS.get(value["class_name"])
        if cls is None:
            raise ValueError(f"unknown constraint {value['class_name']!r}; known: "
                             f"{', '.join(sorted(CONSTRAINTS_BY_CLASS))}")
        return cls.from_config(value.get("config") or {})
    if isinstance(value, str) and value in CONSTRAINTS:
        return CONSTRAINTS[value]()
    if callable(value):
        if not isinstance(value, type):
            return FunctionConstraint(value)        # a function of yours, applied as it is
        raise ValueError(f"constraint {value!r}: glassnet takes its Constraint classes (max_norm, "
                         f"min_max_norm, unit_norm, non_neg) or a subclass of Constraint")
    raise ValueError(f"unknown constraint {value!r}; use max_norm(...), min_max_norm(...), unit_norm() "
                     f"or non_neg()")


def serialize(constraint):
    """``{"class_name": "MaxNorm", "config": {"max_value": 3.0, "axis": 0}}``, or None."""
    if constraint is None:
        return None
    return {"class_name": type(constraint).__name__, "config": constraint.get_config()}


def deserialize(config):
    return get(config)
