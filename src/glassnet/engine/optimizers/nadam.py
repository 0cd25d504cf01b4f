"""Nadam: Adam with Nesterov momentum."""

import math

import numpy as np

from glassnet.engine.optimizers.adam import Adam


class Nadam(Adam):
    """Nadam (Dozat, 2016): Adam whose momentum looks one step ahead, as Nesterov's does.

    Keras 3's formulation. The momentum factor warms up with the step ``t``::

        u_t = beta_1 * (1 - 0.5 * 0.96**t)           # rises towards beta_1
        U_t = u_1 * u_2 * ... * u_t                  # the product, for the bias correction

    then, with the same running averages as Adam::

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        m_hat = u_{t+1} * m / (1 - U_t * u_{t+1}) + (1 - u_t) * g / (1 - U_t)
        v_hat = v / (1 - beta_2**t)
        w -= lr * m_hat / (sqrt(v_hat) + epsilon)

    ``m_hat`` mixes next step's momentum with this step's gradient: the look-ahead.

    Args:
        learning_rate, beta_1, beta_2, epsilon: as :class:`Adam` (Keras's defaults).
    """

    name = "nadam"
    slot_names = ("m", "v")
    scaled_slots = ()              # the textbook m and v, as they are

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        self._product = (0, 1.0)   # (t, U_t), kept so that each step costs one multiply

    def momentum_factor(self, t):
        """``u_t = beta_1 * (1 - 0.5 * 0.96**t)``."""
        return self.beta_1 * (1 - 0.5 * 0.96 ** t)

    def momentum_product(self, t):
        """``U_t = u_1 * ... * u_t`` (worked out from the start after a reload)."""
        done, product = self._product
        if done > t:
            done, product = 0, 1.0
        for step in range(done + 1, t + 1):
            product *= self.momentum_factor(step)
        self._product = (t, product)
        return product

    def prepare(self, lr):
        t = self._iterations
        u_t, u_next = self.momentum_factor(t), self.momentum_factor(t + 1)
        product = self.momentum_product(t)
        # Python floats, not NumPy float64: that keeps float32 weights float32.
        self.c_m = u_next / (1 - product * u_next)        # m_hat = c_m * m + c_g * g
        self.c_g = (1 - u_t) / (1 - product)
        self.v_scale = 1 / math.sqrt(1 - self.beta_2 ** t)  # sqrt(v_hat) = sqrt(v) * v_scale
        self.lr_t = lr

    def update(self, index, p, g, lr):
        m = self.slot("m", index, p)
        v = self.slot("v", index, p)
        tmp = self.scratch(index, p)
        num = self.scratch((index, "numerator"), p)
        np.subtract(g, m, out=tmp)                  # m = b1*m + (1-b1)*g
        tmp *= 1 - self.beta_1
        m += tmp
        np.multiply(g, g, out=tmp)                  # v = b2*v + (1-b2)*g**2
        tmp -= v
        tmp *= 1 - self.beta_2
        v += tmp
        np.multiply(m, self.c_m, out=num)           # m_hat = c_m*m + c_g*g
        np.multiply(g, self.c_g, out=tmp)
        num += tmp
        np.sqrt(v, out=tmp)                         # sqrt(v_hat) + eps
        tmp *= self.v_scale
        tmp += self.epsilon
        np.divide(num, tmp, out=tmp)                # w -= lr * m_hat / (sqrt(v_hat) + eps)
        tmp *= self.lr_t
        p -= tmp
