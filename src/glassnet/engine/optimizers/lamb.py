"""Lamb: Adam's step, rescaled for each weight array to the size of that array."""

import numpy as np

from glassnet.engine.optimizers.adam import Adam


class Lamb(Adam):
    """Lamb (You et al., 2020, "Large Batch Optimization for Deep Learning"), as Keras 3 has it.

    Adam's bias-corrected step, then one "trust ratio" per weight array (a layer's kernel,
    its bias)::

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        u = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)
        w -= lr * (||w|| / ||u||) * u          # the ratio is 1 when either norm is 0

    The ratio makes each array's step proportional to the array's own size, whatever the
    scale of its gradients: a layer whose weights are small takes small steps. That is
    what lets Lamb train with very large batches (and so large learning rates) where Adam
    would throw some layers' weights far away.

    Args:
        learning_rate, beta_1, beta_2, epsilon: as :class:`Adam` (Keras's defaults).
    """

    name = "lamb"
    scaled_slots = ()               # the textbook m and v, as they are
    per_weight = True               # the norms are per weight array

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)

    def prepare(self, lr):
        t = self._iterations
        self.m_scale, self.v_scale = 1 / (1 - self.beta_1 ** t), 1 / (1 - self.beta_2 ** t)

    def update(self, index, p, g, lr):
        m = self.slot("m", index, p)
        v = self.slot("v", index, p)
        u = self.scratch(index, p)
        np.subtract(g, m, out=u)                    # m += (1-b1) * (g - m)
        u *= 1 - self.beta_1
        m += u
        np.multiply(g, g, out=u)                    # v += (1-b2) * (g**2 - v)
        u -= v
        u *= 1 - self.beta_2
        v += u
        np.multiply(v, self.v_scale, out=u)         # u = m_hat / (sqrt(v_hat) + eps)
        np.sqrt(u, out=u)
        u += self.epsilon
        np.divide(m, u, out=u)
        u *= self.m_scale
        w_norm, u_norm = _norm(p), _norm(u)
        ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
        u *= float(ratio) * lr
        p -= u


def _norm(a):
    """The L2 norm of the whole array (a float), without a temporary of its size."""
    flat = a.reshape(-1)
    return float(np.sqrt(np.dot(flat, flat)))
