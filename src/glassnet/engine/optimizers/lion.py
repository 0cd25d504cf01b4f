"""Lion: the sign of an interpolated momentum, one step size for every weight."""

import numpy as np

from glassnet.engine.optimizers.base import Optimizer


class Lion(Optimizer):
    """Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms"), as Keras 3 has it.

    ::

        w -= lr * sign(beta_1 * m + (1 - beta_1) * g)
        m  = beta_2 * m + (1 - beta_2) * g

    Only the sign of the update is kept, so every weight moves by exactly ``lr`` each step
    (weight decay aside): the step's size no longer depends on the gradient's scale, which
    makes Lion's good learning rates some 3-10 times smaller than AdamW's. The direction
    mixes the momentum with the newest gradient (``beta_1``); the momentum itself is a
    slower average (``beta_2``). One slot per weight, half of Adam's memory.

    Args:
        learning_rate: step size (Keras default 0.001), or a schedule.
        beta_1: in ``(0, 1]``: how much of the momentum the step's direction keeps (Keras
            refuses 0, which would make Lion plain sign-SGD).
        beta_2: in ``[0, 1)``: the momentum's decay rate.
    """

    name = "lion"
    slot_names = ("m",)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if not 0 < beta_1 <= 1:
            raise ValueError(f"Lion: beta_1 must be in (0, 1] (0 would make it sign-SGD), got {beta_1!r}")
        self.check_hyperparameters(fractions=[("beta_2", beta_2)])
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)

    def update(self, index, p, g, lr):
        m = self.slot("m", index, p)
        tmp = self.scratch(index, p)
        np.multiply(m, self.beta_1, out=tmp)        # w -= lr * sign(b1*m + (1-b1)*g)
        tmp += (1 - self.beta_1) * g
        np.sign(tmp, out=tmp)
        tmp *= lr
        p -= tmp
        m *= self.beta_2                            # m = b2*m + (1-b2)*g
        np.multiply(g, 1 - self.beta_2, out=tmp)
        m += tmp

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
