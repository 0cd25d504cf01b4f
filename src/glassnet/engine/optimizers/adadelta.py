"""Adadelta: a step size for every weight, in the units of the weight itself."""

import numpy as np

from glassnet.engine.optimizers.base import Optimizer


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), as Keras 3 runs it.

    Two running averages per weight: of the squared gradients, ``a``, and of the squared
    steps taken, ``d``::

        a = rho * a + (1 - rho) * g**2
        step = -sqrt(d + epsilon) / sqrt(a + epsilon) * g
        d = rho * d + (1 - rho) * step**2
        w += lr * step

    RMSprop divides the gradient by its typical size; Adadelta also multiplies by the
    typical size of the recent steps, so ``step`` comes out in the weight's own units and,
    in the paper, needs no learning rate at all (``lr = 1``). Keras 3 keeps a learning rate
    with a default of 0.001, which makes Adadelta very slow: the classic Keras MNIST CNN
    example was written for Keras 2's ``lr = 1.0``.

    Args:
        learning_rate: multiplies every step (Keras default 0.001), or a schedule.
        rho: how slowly both averages forget, in ``[0, 1)`` (Keras: 0.95).
        epsilon: keeps the square roots away from zero; it also sets the size of the first
            steps, when ``d`` is still 0.
    """

    name = "adadelta"
    slot_names = ("accumulated_grad", "accumulated_delta")

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        epsilon = self.keras_epsilon("Adadelta", epsilon)
        super().__init__(learning_rate, **kwargs)
        self.check_hyperparameters(fractions=[("rho", rho)], positives=[("epsilon", epsilon)])
        self.rho, self.epsilon = float(rho), float(epsilon)

    def update(self, index, p, g, lr):
        a = self.slot("accumulated_grad", index, p)
        d = self.slot("accumulated_delta", index, p)
        step = self.scratch(index, p)
        tmp = self.scratch((index, "denominator"), p)
        np.multiply(g, g, out=tmp)                  # a = rho*a + (1-rho)*g**2
        tmp -= a
        tmp *= 1 - self.rho
        a += tmp
        np.add(d, self.epsilon, out=step)           # step = -sqrt(d + eps) / sqrt(a + eps) * g
        np.sqrt(step, out=step)
        np.add(a, self.epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(step, tmp, out=step)
        step *= g
        np.negative(step, out=step)
        np.multiply(step, step, out=tmp)            # d = rho*d + (1-rho)*step**2
        tmp -= d
        tmp *= 1 - self.rho
        d += tmp
        step *= lr                                  # w += lr * step
        p += step

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
