"""The Optimizer base class: the learning rate, gradient clipping, the step counter and the state."""

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

    def check_hyperparameters(self, fractions=(), positives=()):
        """Raise a clear ValueError unless every ``(label, value)`` in ``fractions`` lies in
        ``[0, 1)`` (decay rates, momentum) and every one in ``positives`` is > 0 (epsilon)."""
        name = type(self).__name__
        for label, value in fractions:
            if not 0 <= value < 1:
                raise ValueError(f"{name}: {label} must be in [0, 1), got {value!r}")
        for label, value in positives:
            if not value > 0:
                raise ValueError(f"{name}: {label} must be > 0, got {value!r}")

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

    # -- state by weight path (saving, and packing again after trainable changes) ----------
    def slot_fill(self, name):
        """The value a new slot array starts at (0 for momentum and running averages)."""
        return 0.0

    def get_state(self, layout):
        """The optimizer's state, each slot cut per weight: ``{slot: {path: array}}``.

        ``layout`` is the model's ``[(path, shape), ...]`` of the packed weights, in the
        order of the arrays handed to :meth:`step` (one flat array, or one per weight).
        """
        state = {}
        for name, arrays in self.slots.items():
            if any(array is None for array in arrays) or not arrays:
                continue
            state[name] = dict(zip((path for path, _ in layout), _cut(arrays, layout)))
        return state

    def set_state(self, state, layout, weights):
        """Load ``{slot: {path: array}}`` for weights packed as ``weights`` with ``layout``.

        A weight the state doesn't know (a layer just unfrozen) starts at :meth:`slot_fill`.
        """
        self.slots = {}
        for name, by_path in state.items():
            arrays = [np.full_like(w, self.slot_fill(name)) for w in weights]
            for (path, shape), part in zip(layout, _cut(arrays, layout)):
                saved = by_path.get(path)
                if saved is not None:
                    part[...] = np.asarray(saved).reshape(shape)
            self.slots[name] = arrays


def _cut(arrays, layout):
    """Views of ``arrays`` (one flat array, or one per weight) cut per weight of ``layout``."""
    if len(arrays) == len(layout) and (len(arrays) != 1 or arrays[0].shape == tuple(layout[0][1])):
        return [array.reshape(shape) for array, (_, shape) in zip(arrays, layout)]
    parts, offset = [], 0
    for _, shape in layout:
        size = int(np.prod(shape))
        parts.append(arrays[0][offset:offset + size].reshape(shape))
        offset += size
    return parts
