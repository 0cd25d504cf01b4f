"""SGD: plain gradient descent, with momentum and Nesterov momentum as options."""

import numpy as np

from glassnet.engine.optimizers.base import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum, as Keras defines it.

    Plain:     ``w -= lr * g``
    Momentum:  ``v = momentum * v - lr * g;  w += v``. The velocity ``v`` averages recent
               gradients, so steps grow along a consistent direction and zig-zags cancel.
    Nesterov:  ``w += momentum * v - lr * g`` with the new ``v``: look one step ahead.

    Args:
        learning_rate: step size (Keras default 0.01), or a schedule.
        momentum: in ``[0, 1)``; 0 is plain SGD.
        nesterov: use Nesterov momentum.
        **kwargs: ``clipnorm``, ``clipvalue`` or ``global_clipnorm`` (see :class:`Optimizer`).
    """

    name = "sgd"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.check_hyperparameters(fractions=[("momentum", momentum)])
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self.slot_names = ("velocity",) if self.momentum else ()

    def update(self, index, p, g, lr):
        step = self.scratch(index, p)
        np.multiply(g, lr, out=step)                # step = lr * g
        if self.momentum == 0:
            p -= step
            return
        v = self.slot("velocity", index, p)
        v *= self.momentum                          # v = momentum * v - lr * g
        v -= step
        if self.nesterov:                           # w += momentum * v - lr * g
            p -= step
            np.multiply(v, self.momentum, out=step)
            p += step
        else:                                       # w += v
            p += v

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
