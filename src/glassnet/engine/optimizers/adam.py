"""Adam and AdamW: momentum plus a step size of its own for every weight."""

import math

import numpy as np

from glassnet.engine.optimizers.base import Optimizer


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015): momentum plus a per-weight step size.

    ``m`` is a running mean of the gradient and ``v`` of its square::

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        w -= lr_t * m / (sqrt(v) + epsilon)

    Weights whose gradients are large or noisy get smaller steps. Both averages start at
    zero, which biases them towards zero in the first steps; the bias correction
    ``lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)`` (``t`` = step count) undoes that.
    The epsilon is 1e-7, as in Keras, a size that still matters in float32.

    Inside, the two averages are kept scaled up, ``M = m / (1 - beta_1)`` and
    ``V = v / (1 - beta_2)``. Then each is one multiply and one add a step::

        M = beta_1 * M + g
        V = beta_2 * V + g**2
        w -= lr_t * (1 - beta_1) / sqrt(1 - beta_2) * M / (sqrt(V) + epsilon / sqrt(1 - beta_2))

    the same update, with two passes over the weights fewer (about a sixth of Adam's time on
    the MLP). The state it saves, and what a ``.keras`` file holds, is the textbook ``m`` and
    ``v`` (:meth:`get_state`).
    """

    name = "adam"
    slot_names = ("m", "v")
    scaled_slots = ("m", "v")       # kept as M and V (above); Nadam and Adamax keep theirs plain

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        if amsgrad:
            raise ValueError(f"{type(self).__name__}: amsgrad=True is not supported by glassnet")
        epsilon = self.keras_epsilon(type(self).__name__, epsilon)
        super().__init__(learning_rate, **kwargs)
        self.check_hyperparameters(fractions=[("beta_1", beta_1), ("beta_2", beta_2)],
                                   positives=[("epsilon", epsilon)])
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def prepare(self, lr):
        t = self._iterations
        # A Python float, not a NumPy float64: that keeps float32 weights float32.
        self.lr_t = lr * math.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
        # The scaled averages' constants (class docstring): the step's size and the epsilon.
        root = math.sqrt(1 - self.beta_2)
        self.scaled_step, self.scaled_epsilon = self.lr_t * (1 - self.beta_1) / root, self.epsilon / root

    def update(self, index, p, g, lr):
        M = self.slot("m", index, p)                # M = m / (1 - b1), V = v / (1 - b2)
        V = self.slot("v", index, p)
        tmp = self.scratch(index, p)
        # The three lines of the algorithm, written with one scratch array and ``out=``
        # so that no temporary arrays are allocated: this runs once per batch.
        M *= self.beta_1                            # M = b1*M + g
        M += g
        V *= self.beta_2                            # V = b2*V + g**2
        V += np.multiply(g, g, out=tmp)
        np.sqrt(V, out=tmp)                         # w -= lr_t * m / (sqrt(v) + eps)
        tmp += self.scaled_epsilon
        np.divide(M, tmp, out=tmp)
        tmp *= self.scaled_step
        p -= tmp

    # -- the state out and in: the textbook m and v ----------------------------------------
    def slot_scales(self):
        """``{slot: scale}``: the textbook value of each scaled slot is ``scale * slot``."""
        scales = {"m": 1 - self.beta_1, "v": 1 - self.beta_2}
        return {name: scales[name] for name in self.scaled_slots}

    def get_state(self, layout):
        """The textbook ``m`` and ``v``, in float64: scaled back on :meth:`set_state`, they
        give the same float32 ``M`` and ``V`` to the last bit, so a resumed run goes on exactly."""
        state = super().get_state(layout)
        for name, scale in self.slot_scales().items():
            if name in state:
                state[name] = {path: a.astype(np.float64) * scale for path, a in state[name].items()}
        return state

    def set_state(self, state, layout, weights):
        scales = self.slot_scales()
        state = {name: {path: np.asarray(a, np.float64) / scales[name] for path, a in by_path.items()}
                 if name in scales else by_path for name, by_path in state.items()}
        super().set_state(state, layout, weights)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

    Before each Adam step every weight shrinks by a fixed fraction of itself::

        w -= lr * weight_decay * w          # then the Adam update above

    An L2 penalty in the loss would do something similar through the gradient, but Adam
    divides every gradient by ``sqrt(v)``, so weights with large gradients would barely be
    decayed. Decoupling the decay from the gradient shrinks every weight at the same rate,
    which regularises better. Like Keras and PyTorch, it decays every weight, biases too.

    In Keras 3 (and here) every optimizer takes ``weight_decay``, and the base class applies
    it; AdamW is Adam with the decay switched on by default.

    Args:
        weight_decay: the fraction per unit of learning rate (Keras default 0.004), ``>= 0``.
        the rest as :class:`Adam`.
    """

    name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay can't be None (use Adam for no decay)")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, weight_decay=weight_decay, **kwargs)
