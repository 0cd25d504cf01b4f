"""Optimizers: how the weights move once the gradients are known.

``step(params, grads)`` updates each array of ``params`` in place, using the matching array
of ``grads``. An optimizer owns its state (momentum, running averages), one slot per
parameter, kept by the parameter's position in the list, and counts its steps in
``iterations`` (Adam's bias correction needs the count; schedules read it too).

The model hands over its weights packed into one flat array (and the gradients into
another), so one call of ``update`` moves every weight of the network at once. Every
update is written with ``out=`` and one reused scratch array: it runs once per batch, and
allocating fresh temporaries the size of the network each time would cost more than the
arithmetic.

Clipping (``clipnorm``, ``clipvalue``, ``global_clipnorm``) works on any optimizer. Keras'
``clipnorm`` limits each weight array's gradient on its own; since the flat gradient holds
them all, the model also passes ``parts``, the per-array views, to ``step``.
"""

import math

import numpy as np

from glassnet.engine import schedules


# Every Optimizer subclass by class name, so a saved model can rebuild its optimizer.
OPTIMIZERS_BY_CLASS = {}


class Optimizer:
    """Base class: the learning rate, gradient clipping, the step counter and the state slots.

    Args:
        learning_rate: a float, or a schedule (see :mod:`glassnet.engine.schedules`):
            any callable ``step -> learning rate``.
        clipnorm: rescale each weight array's gradient so that its L2 norm is at most this
            (Keras: per variable).
        clipvalue: clip every gradient entry to ``[-clipvalue, clipvalue]``.
        global_clipnorm: rescale all gradients together so that the norm of the whole
            gradient vector is at most this; its direction is kept.

    Clipping keeps one unlucky batch (a huge loss, an exploding gradient) from throwing
    the weights far away. As in Keras, at most one of the three can be set.
    """

    name = "optimizer"
    slot_names = ()  # the state each parameter needs (saved with the model, checked on resume)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        OPTIMIZERS_BY_CLASS[cls.__name__] = cls

    def __init__(self, learning_rate=0.01, clipnorm=None, clipvalue=None, global_clipnorm=None):
        name = type(self).__name__
        if isinstance(learning_rate, dict):  # a saved schedule, from a model file
            learning_rate = schedules.deserialize(learning_rate)
        if not callable(learning_rate) and not learning_rate > 0:
            raise ValueError(f"{name}: learning_rate must be > 0, got {learning_rate!r}")
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        for label, value in clips.items():
            if value is not None and not value > 0:
                raise ValueError(f"{name}: {label} must be > 0, got {value!r}")
        chosen = [label for label, value in clips.items() if value is not None]
        if len(chosen) > 1:
            raise ValueError(f"{name}: set at most one of clipnorm, clipvalue and global_clipnorm, "
                             f"got {' and '.join(chosen)}")
        self.learning_rate = learning_rate
        self.clipnorm = None if clipnorm is None else float(clipnorm)
        self.clipvalue = None if clipvalue is None else float(clipvalue)
        self.global_clipnorm = None if global_clipnorm is None else float(global_clipnorm)
        self.iterations = 0
        self.slots = {}  # slot name -> list with one array per parameter

    @property
    def lr(self):
        """The learning rate of the next step (a schedule is evaluated at ``iterations``)."""
        if callable(self.learning_rate):
            return float(self.learning_rate(self.iterations))
        return float(self.learning_rate)

    def slot(self, name, index, like, fill=0.0):
        """The state array ``name`` for parameter ``index``, filled with ``fill`` the first time."""
        arrays = self.slots.setdefault(name, [])
        while len(arrays) <= index:
            arrays.append(None)
        if arrays[index] is None:
            arrays[index] = np.full_like(like, fill)
        return arrays[index]

    def scratch(self, index, like):
        """A work array shaped like parameter ``index``, reused every step (not saved)."""
        self._scratch = getattr(self, "_scratch", {})
        if index not in self._scratch or self._scratch[index].shape != like.shape:
            self._scratch[index] = np.empty_like(like)
        return self._scratch[index]

    def step(self, params, grads, parts=None):
        """Apply one update to every parameter, in place.

        Args:
            params, grads: matching lists of arrays: the model passes its whole network as
                one flat array of weights and one of gradients.
            parts: the gradient of each weight array separately (views into ``grads``);
                only ``clipnorm``, which measures each weight array's gradient on its own,
                needs them. Defaults to ``grads``.
        """
        if self.clipnorm is not None or self.clipvalue is not None or self.global_clipnorm is not None:
            self.clip_gradients(grads if parts is None else parts)
        lr = self.lr
        self.iterations += 1
        self.prepare(lr)
        for index, (p, g) in enumerate(zip(params, grads)):
            self.update(index, p, g, lr)

    def clip_gradients(self, grads):
        """Clip the gradients in place (they are rewritten by the next backward pass anyway)."""
        if self.clipvalue is not None:
            for g in grads:
                np.clip(g, -self.clipvalue, self.clipvalue, out=g)
            return
        norms = [math.sqrt(float(np.dot(g.ravel(), g.ravel()))) for g in grads]
        if self.global_clipnorm is not None:  # one norm for the whole gradient vector
            total = math.sqrt(sum(n * n for n in norms))
            norms, limit = [total] * len(grads), self.global_clipnorm
        else:                                  # one norm per weight array
            limit = self.clipnorm
        for g, norm in zip(grads, norms):
            if norm > limit:
                g *= limit / norm

    def prepare(self, lr):
        """Work out what every update of this step shares (Adam's bias correction)."""

    def update(self, index, p, g, lr):
        raise NotImplementedError

    def get_config(self):
        config = {"learning_rate": schedules.serialize(self.learning_rate)}
        for label in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, label) is not None:
                config[label] = getattr(self, label)
        return config

    @classmethod
    def from_config(cls, config):
        """Rebuild from :meth:`get_config` (a saved schedule is rebuilt by ``__init__``)."""
        return cls(**config)


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
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum!r}")
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
    slot_names = ("m", "v")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        for label, beta in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0 <= beta < 1:
                raise ValueError(f"{type(self).__name__}: {label} must be in [0, 1), got {beta!r}")
        if not epsilon > 0:
            raise ValueError(f"{type(self).__name__}: epsilon must be > 0, got {epsilon!r}")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def prepare(self, lr):
        t = self.iterations
        # A Python float, not a NumPy float64: that keeps float32 weights float32.
        self.lr_t = lr * math.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)

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


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

    Before each Adam step every weight shrinks by a fixed fraction of itself::

        w -= lr * weight_decay * w          # then the Adam update above

    An L2 penalty in the loss would do something similar through the gradient, but Adam
    divides every gradient by ``sqrt(v)``, so weights with large gradients would barely be
    decayed. Decoupling the decay from the gradient shrinks every weight at the same rate,
    which regularises better. Like Keras and PyTorch, it decays every weight, biases too.

    Args:
        weight_decay: the fraction per unit of learning rate (Keras default 0.004), ``>= 0``.
        the rest as :class:`Adam`.
    """

    name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        if not weight_decay >= 0:
            raise ValueError(f"AdamW: weight_decay must be >= 0, got {weight_decay!r}")
        self.weight_decay = float(weight_decay)

    def prepare(self, lr):
        super().prepare(lr)
        self.keep = 1.0 - lr * self.weight_decay

    def update(self, index, p, g, lr):
        if self.weight_decay:
            p *= self.keep                          # w -= lr * wd * w, in place
        super().update(index, p, g, lr)

    def get_config(self):
        return {**super().get_config(), "weight_decay": self.weight_decay}


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
        super().__init__(learning_rate, **kwargs)
        for label, value in (("rho", rho), ("momentum", momentum)):
            if not 0 <= value < 1:
                raise ValueError(f"RMSprop: {label} must be in [0, 1), got {value!r}")
        if not epsilon > 0:
            raise ValueError(f"RMSprop: epsilon must be > 0, got {epsilon!r}")
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
        super().__init__(learning_rate, **kwargs)
        if not initial_accumulator_value >= 0:
            raise ValueError(f"Adagrad: initial_accumulator_value must be >= 0, "
                             f"got {initial_accumulator_value!r}")
        if not epsilon > 0:
            raise ValueError(f"Adagrad: epsilon must be > 0, got {epsilon!r}")
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(epsilon)

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


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad}


def get(optimizer):
    """An optimizer from a Keras alias (``"adam"``, ``"sgd"``, ``"rmsprop"``...) or an instance."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in OPTIMIZERS:
        return OPTIMIZERS[optimizer.lower()]()
    raise ValueError(f"unknown optimizer {optimizer!r}; known: {', '.join(sorted(OPTIMIZERS))}")
