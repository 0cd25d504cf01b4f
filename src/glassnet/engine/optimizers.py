"""Optimizers: how the weights move once the gradients are known.

``step(params, grads)`` updates each array of ``params`` in place, using the matching array
of ``grads``. An optimizer owns its state (momentum, running averages), one slot per
parameter, kept by the parameter's position in the list, and counts its steps in
``iterations`` (Adam's bias correction needs the count; schedules read it too).

The model hands over its weights packed into one flat array (and the gradients into
another), so one call of ``update`` moves every weight of the network at once.
"""

import math

import numpy as np


# Every Optimizer subclass by class name, so a saved model can rebuild its optimizer.
OPTIMIZERS_BY_CLASS = {}


class Optimizer:
    """Base class.

    Args:
        learning_rate: a float, or a schedule: any callable ``step -> learning rate``.
    """

    name = "optimizer"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        OPTIMIZERS_BY_CLASS[cls.__name__] = cls

    def __init__(self, learning_rate=0.01):
        if not callable(learning_rate) and learning_rate <= 0:
            raise ValueError(f"{type(self).__name__}: learning_rate must be > 0, got {learning_rate!r}")
        self.learning_rate = learning_rate
        self.iterations = 0
        self.slots = {}  # slot name -> list with one array per parameter

    @property
    def lr(self):
        """The learning rate of the next step (a schedule is evaluated at ``iterations``)."""
        if callable(self.learning_rate):
            return float(self.learning_rate(self.iterations))
        return float(self.learning_rate)

    def slot(self, name, index, like):
        """The state array ``name`` for parameter ``index``, zeros the first time."""
        arrays = self.slots.setdefault(name, [])
        while len(arrays) <= index:
            arrays.append(None)
        if arrays[index] is None:
            arrays[index] = np.zeros_like(like)
        return arrays[index]

    def scratch(self, index, like):
        """A work array shaped like parameter ``index``, reused every step (not saved)."""
        self._scratch = getattr(self, "_scratch", {})
        if index not in self._scratch or self._scratch[index].shape != like.shape:
            self._scratch[index] = np.empty_like(like)
        return self._scratch[index]

    def step(self, params, grads):
        """Apply one update to every parameter, in place."""
        lr = self.lr
        self.iterations += 1
        for index, (p, g) in enumerate(zip(params, grads)):
            self.update(index, p, g, lr)

    def update(self, index, p, g, lr):
        raise NotImplementedError

    def get_config(self):
        lr = self.learning_rate
        return {"learning_rate": lr if not callable(lr) else getattr(lr, "get_config", lambda: None)()}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum, as Keras defines it.

    Plain:     ``w -= lr * g``
    Momentum:  ``v = momentum * v - lr * g;  w += v``. The velocity ``v`` averages recent
               gradients, so steps grow along a consistent direction and zig-zags cancel.
    Nesterov:  ``w += momentum * v - lr * g`` with the new ``v``: look one step ahead.

    Args:
        learning_rate: step size (Keras default 0.01).
        momentum: in ``[0, 1)``; 0 is plain SGD.
        nesterov: use Nesterov momentum.
    """

    name = "sgd"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        super().__init__(learning_rate)
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def update(self, index, p, g, lr):
        if self.momentum == 0:
            p -= lr * g
            return
        v = self.slot("velocity", index, p)
        v *= self.momentum
        v -= lr * g
        if self.nesterov:
            p += self.momentum * v - lr * g
        else:
            p += v

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


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
    """

    name = "adam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        for label, beta in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0 <= beta < 1:
                raise ValueError(f"Adam: {label} must be in [0, 1), got {beta!r}")
        if epsilon <= 0:
            raise ValueError(f"Adam: epsilon must be > 0, got {epsilon!r}")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def step(self, params, grads):
        t = self.iterations + 1
        # A Python float, not a NumPy float64: that keeps float32 weights float32.
        self.lr_t = self.lr * math.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
        super().step(params, grads)

    def update(self, index, p, g, lr):
        m = self.slot("m", index, p)
        v = self.slot("v", index, p)
        tmp = self.scratch(index, p)
        # The three lines of the algorithm, written with one scratch array and ``out=``
        # so that no temporary arrays are allocated: this runs once per batch.
        np.subtract(g, m, out=tmp)                  # m = b1*m + (1-b1)*g
        tmp *= 1 - self.beta_1                      #   = m + (1-b1)*(g - m)
        m += tmp
        np.multiply(g, g, out=tmp)                  # v = b2*v + (1-b2)*g**2
        tmp -= v
        tmp *= 1 - self.beta_2
        v += tmp
        np.sqrt(v, out=tmp)                         # w -= lr_t * m / (sqrt(v) + eps)
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        tmp *= self.lr_t
        p -= tmp

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


OPTIMIZERS = {"sgd": SGD, "adam": Adam}


def get(optimizer):
    """An optimizer from a Keras alias (``"adam"``, ``"sgd"``) or an instance."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in OPTIMIZERS:
        return OPTIMIZERS[optimizer.lower()]()
    raise ValueError(f"unknown optimizer {optimizer!r}; known: {', '.join(sorted(OPTIMIZERS))}")
