"""RMSprop: each step divided by a running root-mean-square of the gradient."""

import numpy as np

from glassnet.engine.optimizers.base import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture notes, 2012): divide each step by a running RMS of the gradient.

    ::

        v = rho * v + (1 - rho) * g**2
        w -= lr * g / sqrt(v + epsilon)

    Like Adam's ``v`` (Adam is RMSprop plus momentum and bias correction). ``centered=True``
    also keeps the running mean ``a`` of ``g`` and divides by ``sqrt(v - a**2 + epsilon)``:
    an estimate of the variance instead of the raw second moment. With ``momentum > 0`` the
    steps are accumulated, ``s = momentum * s + step;  w -= s``. These are Keras' equations
    (PyTorch adds epsilon outside the square root instead).

    Args:
        learning_rate: step size (Keras default 0.001), or a schedule.
        rho: decay of the running average, in ``[0, 1)``.
        momentum: in ``[0, 1)``.
        epsilon: keeps the division finite.
        centered: divide by the variance instead of the second moment.
    """

    name = "rmsprop"

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 **kwargs):
        epsilon = self.keras_epsilon(type(self).__name__, epsilon)
        super().__init__(learning_rate, **kwargs)
        self.check_hyperparameters(fractions=[("rho", rho), ("momentum", momentum)],
                                   positives=[("epsilon", epsilon)])
        self.rho, self.momentum, self.epsilon = float(rho), float(momentum), float(epsilon)
        self.centered = bool(centered)
        self.slot_names = (("velocity",) + (("average_gradient",) if self.centered else ())
                           + (("momentum",) if self.momentum else ()))

    def update(self, index, p, g, lr):
        v = self.slot("velocity", index, p)
        tmp = self.scratch(index, p)
        np.multiply(g, g, out=tmp)                  # v = rho*v + (1-rho)*g**2
        tmp -= v
        tmp *= 1 - self.rho
        v += tmp
        if self.centered:
            a = self.slot("average_gradient", index, p)
            np.subtract(g, a, out=tmp)              # a = rho*a + (1-rho)*g
            tmp *= 1 - self.rho
            a += tmp
            np.multiply(a, a, out=tmp)              # tmp = v - a**2 + eps
            np.subtract(v, tmp, out=tmp)
            tmp += self.epsilon
        else:
            np.add(v, self.epsilon, out=tmp)        # tmp = v + eps
        np.sqrt(tmp, out=tmp)                       # step = lr * g / sqrt(tmp)
        np.divide(g, tmp, out=tmp)
        tmp *= lr
        if self.momentum:
            s = self.slot("momentum", index, p)
            s *= self.momentum
            s += tmp
            p -= s
        else:
            p -= tmp

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
