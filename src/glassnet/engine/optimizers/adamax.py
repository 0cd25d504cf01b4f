"""Adamax: Adam with the infinity norm in place of the root mean square."""

import numpy as np

from glassnet.engine.optimizers.adam import Adam


class Adamax(Adam):
    """Adamax (Kingma and Ba, 2015, section 7): Adam where ``v`` becomes a running maximum.

    ::

        m = beta_1 * m + (1 - beta_1) * g
        u = max(beta_2 * u, |g|)                     # a decaying largest |gradient| seen
        w -= lr * m / ((1 - beta_1**t) * (u + epsilon))

    ``u`` needs no bias correction: a maximum is not pulled towards its zero start the way
    an average is. These are Keras 3's equations.

    Args:
        learning_rate, beta_1, beta_2, epsilon: as :class:`Adam` (Keras's defaults).
    """

    name = "adamax"
    slot_names = ("m", "u")
    scaled_slots = ()              # the textbook m and u, as they are

    def prepare(self, lr):
        self.lr_t = lr / (1 - self.beta_1 ** self._iterations)   # a Python float

    def update(self, index, p, g, lr):
        m = self.slot("m", index, p)
        u = self.slot("u", index, p)
        tmp = self.scratch(index, p)
        np.subtract(g, m, out=tmp)                  # m = b1*m + (1-b1)*g
        tmp *= 1 - self.beta_1
        m += tmp
        u *= self.beta_2                            # u = max(b2*u, |g|)
        np.abs(g, out=tmp)
        np.maximum(u, tmp, out=u)
        np.add(u, self.epsilon, out=tmp)            # w -= lr_t * m / (u + eps)
        np.divide(m, tmp, out=tmp)
        tmp *= self.lr_t
        p -= tmp
