"""Adagrad: each weight's step shrinks with the sum of all its past squared gradients."""

import numpy as np

from glassnet.engine.optimizers.base import Optimizer


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): each weight's step shrinks with all its past gradients.

    ::

        s += g**2
        w -= lr * g / sqrt(s + epsilon)

    Weights that rarely get a gradient keep large steps; busy ones slow down. Because ``s``
    only grows, the steps fade over time, which is why RMSprop replaced the sum by a running
    average. ``s`` starts at ``initial_accumulator_value`` (Keras: 0.1) so the first steps
    are not huge.

    Args:
        learning_rate: step size (Keras default 0.001), or a schedule.
        initial_accumulator_value: the starting value of ``s``, ``>= 0``.
        epsilon: keeps the division finite.
    """

    name = "adagrad"
    slot_names = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        epsilon = self.keras_epsilon(type(self).__name__, epsilon)
        super().__init__(learning_rate, **kwargs)
        if not initial_accumulator_value >= 0:
            raise ValueError(f"Adagrad: initial_accumulator_value must be >= 0, "
                             f"got {initial_accumulator_value!r}")
        self.check_hyperparameters(positives=[("epsilon", epsilon)])
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(epsilon)

    def slot_fill(self, name):
        """A weight the saved state doesn't know starts its sum at ``initial_accumulator_value``."""
        return self.initial_accumulator_value

    def update(self, index, p, g, lr):
        s = self.slot("accumulator", index, p, fill=self.initial_accumulator_value)
        tmp = self.scratch(index, p)
        np.multiply(g, g, out=tmp)                  # s += g**2
        s += tmp
        np.add(s, self.epsilon, out=tmp)            # w -= lr * g / sqrt(s + eps)
        np.sqrt(tmp, out=tmp)
        np.divide(g, tmp, out=tmp)
        tmp *= lr
        p -= tmp

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
