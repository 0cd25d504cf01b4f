"""FTRL-Proximal: per-weight steps like Adagrad, with L1 that sets weights exactly to zero."""

import numpy as np

from glassnet.engine.optimizers.base import Optimizer


class Ftrl(Optimizer):
    """FTRL-Proximal ("Follow The Regularized Leader", McMahan et al., 2013), as Keras 3 has it.

    Made for huge, sparse linear models (click prediction). Each weight keeps the sum of its
    squared gradients ``n`` (as Adagrad does) and a "linear" term ``z``; the weight itself is
    then worked out afresh from them, in closed form, every step. With ``p = -learning_rate_power``
    (1/2 by default)::

        g' = g + 2 * l2_shrinkage * w
        z += g' - (( n + g**2)**p - n**p) / lr * w
        n += g**2
        w  = (clip(z, -l1, l1) - z) / (n**p / lr + 2 * l2)     where l2 = l2 + beta / (2 * lr)

    ``clip(z, -l1, l1) - z`` is 0 whenever ``|z| <= l1``: L1 strength sets weights exactly to
    zero (a sparse model), which a penalty in the loss would only push towards zero.

    Args:
        learning_rate: step size (Keras default 0.001), or a schedule.
        learning_rate_power: ``<= 0``; -0.5 is Adagrad's ``1 / sqrt(n)``.
        initial_accumulator_value: where ``n`` starts, ``>= 0``.
        l1_regularization_strength, l2_regularization_strength: ``>= 0``.
        l2_shrinkage_regularization_strength: ``>= 0``, an L2 pull on the weights that
            enters through the gradient (the one above only enters the closed form).
        beta: Keras's extra L2 term, ``beta / (2 * lr)``.
    """

    name = "ftrl"
    slot_names = ("accumulator", "linear")

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if not learning_rate_power <= 0:
            raise ValueError(f"Ftrl: learning_rate_power must be <= 0, got {learning_rate_power!r}")
        for label, value in (("initial_accumulator_value", initial_accumulator_value),
                             ("l1_regularization_strength", l1_regularization_strength),
                             ("l2_regularization_strength", l2_regularization_strength),
                             ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)):
            if not value >= 0:
                raise ValueError(f"Ftrl: {label} must be >= 0, got {value!r}")
        self.learning_rate_power = float(learning_rate_power)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.l1_regularization_strength = float(l1_regularization_strength)
        self.l2_regularization_strength = float(l2_regularization_strength)
        self.l2_shrinkage_regularization_strength = float(l2_shrinkage_regularization_strength)
        self.beta = float(beta)

    def slot_fill(self, name):
        return self.initial_accumulator_value if name == "accumulator" else 0.0

    def update(self, index, p, g, lr):
        n = self.slot("accumulator", index, p, fill=self.initial_accumulator_value)
        z = self.slot("linear", index, p)
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        new_n = n + g * g
        new_n_power = new_n ** power
        z += g + 2 * self.l2_shrinkage_regularization_strength * p - (new_n_power - n ** power) / lr * p
        quadratic = new_n_power / lr + 2 * l2
        p[...] = (np.clip(z, -l1, l1) - z) / quadratic
        n[...] = new_n

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta}
