"""The Optimizer base class: the learning rate, gradient clipping, the step counter and the state."""

import math
import warnings

import numpy as np

from glassnet.engine import schedules

# Every Optimizer subclass by class name, so a saved model can rebuild its optimizer.
OPTIMIZERS_BY_CLASS = {}


class Optimizer:
    """Base class: the learning rate, gradient clipping, weight decay, the step counter and the
    state slots.

    Args:
        learning_rate: a float, or a schedule (see :mod:`glassnet.engine.schedules`):
            any callable ``step -> learning rate``.
        weight_decay: decoupled weight decay (Keras 3, any optimizer): before each update
            every weight shrinks by ``learning_rate * weight_decay`` of itself. None: off.
        clipnorm: rescale each weight array's gradient so that its L2 norm is at most this
            (Keras: per variable).
        clipvalue: clip every gradient entry to ``[-clipvalue, clipvalue]``.
        global_clipnorm: rescale all gradients together so that the norm of the whole
            gradient vector is at most this; its direction is kept.
        name: a name for the optimizer (Keras's default: the class name in snake case).
        use_ema: keep an exponential moving average of every weight (Keras 3): after each
            step ``average = ema_momentum * average + (1 - ema_momentum) * weight``. At the
            end of ``fit`` the weights are replaced by their averages, which smooths out the
            last steps' noise (an average of the recent weights usually generalizes better
            than the last weights alone).
        ema_momentum: how much of the old average each step keeps (default 0.99: it
            remembers about the last 100 steps).
        ema_overwrite_frequency: every this many steps, replace the weights by their
            averages during training too. None (the default): only at the end of ``fit``,
            or when you call :meth:`finalize_variable_values`.

    Clipping keeps one unlucky batch (a huge loss, an exploding gradient) from throwing
    the weights far away. As in Keras, at most one of the three can be set.

    Keras 2 spellings: ``lr=`` is accepted for ``learning_rate`` with a DeprecationWarning;
    ``decay=`` (Keras 2's time decay, which Keras 3 ignores) is applied as Keras 2 did, as an
    InverseTimeDecay whose base rate the learning-rate callbacks may still set, as in Keras 2.
    """

    name = "optimizer"
    slot_names = ()  # the state each parameter needs (saved with the model, checked on resume)
    # True for an update that looks at each weight array as a whole (Lamb's norms, Adafactor's
    # rows and columns): step then hands update() one weight array at a time, not the flat array.
    per_weight = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        OPTIMIZERS_BY_CLASS[cls.__name__] = cls

    def __init__(self, learning_rate=0.01, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, **keras_options):
        owner = type(self).__name__
        learning_rate = self._keras2_options(owner, learning_rate, keras_options)
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        for label, value in clips.items():
            if value is not None and not value > 0:
                raise ValueError(f"{owner}: {label} must be > 0, got {value!r}")
        chosen = [label for label, value in clips.items() if value is not None]
        if len(chosen) > 1:
            raise ValueError(f"{owner}: set at most one of clipnorm, clipvalue and global_clipnorm, "
                             f"got {' and '.join(chosen)}")
        if weight_decay is not None and not weight_decay >= 0:
            raise ValueError(f"{owner}: weight_decay must be >= 0, got {weight_decay!r}")
        self.learning_rate = learning_rate
        self.weight_decay = None if weight_decay is None else float(weight_decay)
        self.clipnorm = None if clipnorm is None else float(clipnorm)
        self.clipvalue = None if clipvalue is None else float(clipvalue)
        self.global_clipnorm = None if global_clipnorm is None else float(global_clipnorm)
        if name is not None:
            self.name = str(name)
        self.use_ema = bool(use_ema)
        self.ema_momentum = float(ema_momentum)
        self.ema_overwrite_frequency = ema_overwrite_frequency
        if self.use_ema:
            if not 0 <= self.ema_momentum <= 1:
                raise ValueError(f"{owner}: ema_momentum must be in [0, 1], got {ema_momentum!r}")
            if ema_overwrite_frequency is not None and (
                    isinstance(ema_overwrite_frequency, bool) or not isinstance(ema_overwrite_frequency, int)
                    or ema_overwrite_frequency < 1):
                raise ValueError(f"{owner}: ema_overwrite_frequency must be a whole number >= 1 or None, "
                                 f"got {ema_overwrite_frequency!r}")
        self.iterations = 0
        self.slots = {}  # slot name -> list with one array per parameter
        self._averaged = []  # the weights the moving averages follow (use_ema)
        self.averages_swapped_in = False  # SwapEMAWeights has put the averages in the model

    @staticmethod
    def _keras2_options(owner, learning_rate, options):
        """Take Keras 2's ``lr=`` (with a warning), refuse ``decay=``, and refuse Keras 3
        options glassnet can't honour (loss scaling, gradient accumulation)."""
        if "lr" in options:
            warnings.warn(f"{owner}: lr= is Keras 2's name; use learning_rate=",
                          DeprecationWarning, stacklevel=4)
            learning_rate = options.pop("lr")
        decay = options.pop("decay", None)
        if decay:   # Keras 2's lr / (1 + decay * step): a schedule (Keras 3 would ignore it)
            if callable(learning_rate) or isinstance(learning_rate, dict):
                raise ValueError(f"{owner}: decay= and a learning-rate schedule can't be combined")
            if not decay > 0:
                raise ValueError(f"{owner}: decay must be >= 0, got {decay!r}")
            warnings.warn(f"{owner}: decay= is Keras 2's; Keras 3 ignores it. glassnet applies it as "
                          f"Keras 2 did: learning_rate=InverseTimeDecay({learning_rate}, decay_steps=1, "
                          f"decay_rate={decay}) (glassnet.optimizers.schedules)", DeprecationWarning, stacklevel=4)
            learning_rate = schedules.InverseTimeDecay(learning_rate, decay_steps=1, decay_rate=decay)
            # Keras 2's callbacks read and set the rate before decay (ReduceLROnPlateau's
            # cut, LearningRateScheduler's new rate), and the decay goes on applying.
            learning_rate.keras2_decay = True
        defaults = {"loss_scale_factor": None, "gradient_accumulation_steps": None}
        for label, default in defaults.items():
            value = options.pop(label, default)
            if value != default:
                raise ValueError(f"{owner}: {label}={value!r} is not supported by glassnet")
        if options:
            raise TypeError(f"{owner}: unknown argument(s) "
                            f"{', '.join(f'{k}={v!r}' for k, v in options.items())}")
        if isinstance(learning_rate, dict):  # a saved schedule, from a model file
            learning_rate = schedules.deserialize(learning_rate)
        if not callable(learning_rate) and not learning_rate > 0:
            raise ValueError(f"{owner}: learning_rate must be > 0, got {learning_rate!r}")
        return learning_rate

    @staticmethod
    def keras_epsilon(owner, epsilon):
        """``epsilon=None``, Keras 2's "the backend's epsilon", is 1e-7 (Keras's)."""
        if epsilon is None:
            warnings.warn(f"{owner}: epsilon=None is Keras 2's way of saying 1e-7; write epsilon=1e-7",
                          DeprecationWarning, stacklevel=3)
            return 1e-7
        return epsilon

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

    # -- the step count and the learning rate, the Keras 3 way -------------------------------
    @property
    def iterations(self):
        """How many updates the optimizer has made: an int that also answers ``numpy()``,
        ``value`` and ``assign`` as Keras's step variable does (``optimizer.iterations.numpy()``
        in a callback that logs the step)."""
        return StepCount(self._iterations, self)

    @iterations.setter
    def iterations(self, value):
        self._iterations = int(value)

    @property
    def learning_rate(self):
        """The learning rate of the next step, a float (a schedule is evaluated at
        ``iterations``), as Keras 3 reports it. The schedule itself is :attr:`schedule`.

        Assignable: ``optimizer.learning_rate = 1e-4`` (what LearningRateScheduler and
        ReduceLROnPlateau do), or a new schedule. A number can't replace a schedule (Keras
        refuses it too): the schedule would silently stop applying. Keras 2's ``decay=`` is
        the exception: a number sets its rate before decay, as Keras 2 did.
        """
        return LearningRate(self.current_rate(), self)

    def current_rate(self):
        """The rate of the next step as a plain float: what every step reads (no object made
        per batch, and NumPy keeps float32 weights float32)."""
        rate = self._learning_rate
        return float(rate(self._iterations) if callable(rate) else rate)

    @learning_rate.setter
    def learning_rate(self, value):
        owner = type(self).__name__
        if isinstance(value, dict):
            value = schedules.deserialize(value)
        if not callable(value):
            current = getattr(self, "_learning_rate", None)
            if getattr(current, "keras2_decay", False) and value > 0:
                current.initial_learning_rate = float(value)    # Keras 2: the rate before decay
                return
            if callable(current):
                raise TypeError(f"{owner}: the learning rate is a schedule "
                                f"({self._learning_rate!r}), so it can't be set to a number")
            if not value > 0:
                raise ValueError(f"{owner}: learning_rate must be > 0, got {value!r}")
            value = float(value)
        self._learning_rate = value

    def replace_learning_rate(self, learning_rate):
        """Give the steps to come a new rate, a number or a schedule, replacing a schedule too
        (``learning_rate = ...`` refuses that): what ``glassnet train --resume --lr`` does."""
        self._learning_rate = None
        self.learning_rate = learning_rate

    @property
    def schedule(self):
        """The learning-rate schedule, or None when the rate is a plain number."""
        return self._learning_rate if callable(self._learning_rate) else None

    @property
    def lr(self):
        """Keras 2's name for :attr:`learning_rate`."""
        return self.learning_rate

    @lr.setter
    def lr(self, value):
        self.learning_rate = value

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
        if self.clips:
            self.clip_gradients(grads if parts is None else parts)
        if self.per_weight and parts is not None and [p.shape for p in params] != [g.shape for g in parts]:
            params, grads = _views_like(params[0], parts), parts     # the flat array, cut per weight
        lr = self.current_rate()
        if self.weight_decay:
            keep = 1.0 - lr * self.weight_decay       # w -= lr * wd * w, before the update
            for p in params:
                p *= keep
        self._iterations += 1
        self.prepare(lr)
        for index, (p, g) in enumerate(zip(params, grads)):
            self.update(index, p, g, lr)
        if self.use_ema:
            self.update_averages(params)

    def apply_gradients(self, grads_and_vars):
        """Keras's step for a training loop of your own (``tf.GradientTape``, see
        :mod:`glassnet.engine.tape`): ``grads_and_vars`` pairs each gradient with the weight
        it moves, e.g. ``zip(grads, model.trainable_variables)``; the weights change in place.

        As in Keras, a weight whose gradient is None is left alone (with a warning), and no
        gradient at all is an error. The optimizer's state (Adam's averages) belongs to the
        weights by their position in the list: give it the same list every step.
        """
        pairs = list(grads_and_vars)
        missing = [getattr(v, "path", None) or f"weight {i}" for i, (g, v) in enumerate(pairs) if g is None]
        pairs = [(g, v) for g, v in pairs if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable: the loss doesn't depend on these weights "
                             "(compute it inside the GradientTape, from the model's output)")
        if missing:
            import warnings
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the loss", stacklevel=2)
        params = [np.asarray(getattr(v, "value", v)) for _, v in pairs]
        grads = []
        for (g, _), p in zip(pairs, params):
            # Clipping works in place: on a copy, so that the caller's gradients stay as given.
            g = np.array(g, dtype=p.dtype) if self.clips else np.asarray(g, dtype=p.dtype)
            if g.shape != p.shape:
                raise ValueError(f"{type(self).__name__}.apply_gradients: a gradient of shape {g.shape} for a "
                                 f"weight of shape {p.shape}")
            grads.append(g)
        shapes = [p.shape for p in params]
        if self.slots and getattr(self, "_applied_shapes", None) != shapes:
            raise ValueError(f"{type(self).__name__}.apply_gradients: this optimizer has been moving other "
                             f"weights; its state belongs to them (use one optimizer per list of weights, "
                             f"given in the same order every step)")
        self._applied_shapes = shapes
        self._applied_variables = [v for _, v in pairs]
        self.step(params, grads)
        return self.iterations

    def apply(self, grads, trainable_variables=None):
        """Keras 3's spelling of :meth:`apply_gradients`: ``optimizer.apply(grads,
        model.trainable_weights)``, the gradients and the weights as two matching lists.
        Without the weights, the ones of the previous step are moved (as in Keras, whose
        optimizer is built on its first list of weights)."""
        grads = list(grads)
        if not grads:
            return None
        if trainable_variables is None:
            trainable_variables = getattr(self, "_applied_variables", None)
            if trainable_variables is None:
                raise ValueError("When passing `grads` without `variables`, the optimizer must already have "
                                 "moved a list of variables: call optimizer.apply(grads, variables) first")
        trainable_variables = list(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(f"{type(self).__name__}.apply: {len(grads)} gradients for "
                             f"{len(trainable_variables)} variables")
        return self.apply_gradients(zip(grads, trainable_variables))

    # -- the moving average of the weights (use_ema) ----------------------------------------
    def update_averages(self, params):
        """``average = m * average + (1 - m) * weight`` for every weight, after the step;
        the first step starts each average at the weight itself, as Keras does."""
        self._averaged = params
        keep = self.ema_momentum
        for index, p in enumerate(params):
            known = self.slots.get("average", [])
            fresh = self._iterations == 1 or index >= len(known) or known[index] is None
            average = self.slot("average", index, p)
            if fresh:                       # an average starts at the weight itself
                np.copyto(average, p)
            else:                           # in place: no new array of the network's size a step
                average *= keep
                average += np.multiply(p, 1 - keep, out=self.scratch(index, p))
        if self.ema_overwrite_frequency and self._iterations % self.ema_overwrite_frequency == 0:
            self.finalize_variable_values()

    def _averages(self):
        """The moving averages, one per array :meth:`step` moves, or None before there are any."""
        averages = self.slots.get("average")
        if not self.use_ema or not averages or any(a is None for a in averages):
            return None
        return averages

    def finalize_variable_values(self, var_list=None):
        """With ``use_ema``, replace the weights by their moving averages (``fit`` calls this
        after its last epoch, as Keras's does). ``var_list`` (Keras's argument, e.g.
        ``model.trainable_variables``) must be the weights this optimizer has been moving."""
        averages, targets = self._averages(), self._averaged
        if averages is None:
            return
        if self.averages_swapped_in:     # the model holds the averages already: keep them
            for target, average in zip(targets, averages):
                np.copyto(average, target)
            self.averages_swapped_in = False
            return
        if var_list is not None:
            unknown = [i for i, v in enumerate(var_list)
                       if not any(np.shares_memory(np.asarray(v), t) for t in targets)]
            if unknown:
                raise ValueError(f"{type(self).__name__}.finalize_variable_values: weight {unknown[0]} of "
                                 f"var_list is not one this optimizer has trained")
        for target, average in zip(targets, averages):
            np.copyto(target, average)

    def swap_averages(self):
        """Exchange the weights and their moving averages, in place (what
        :class:`~glassnet.engine.callbacks.SwapEMAWeights` does around an evaluation).
        Before the first step there is nothing averaged, and nothing changes."""
        averages = self._averages()
        if averages is None:
            return
        for index, (weight, average) in enumerate(zip(self._averaged, averages)):
            live = self.scratch(index, weight)
            np.copyto(live, weight)
            np.copyto(weight, average)
            np.copyto(average, live)
        self.averages_swapped_in = not self.averages_swapped_in

    @property
    def clips(self):
        """True when one of the three clippings (clipnorm, clipvalue, global_clipnorm) is set."""
        return self.clipnorm is not None or self.clipvalue is not None or self.global_clipnorm is not None

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
        config = {"name": self.name, "learning_rate": schedules.serialize(self._learning_rate)}
        for label in ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, label) is not None:
                config[label] = getattr(self, label)
        if self.use_ema:
            config.update(use_ema=True, ema_momentum=self.ema_momentum,
                          ema_overwrite_frequency=self.ema_overwrite_frequency)
        return config

    @classmethod
    def from_config(cls, config):
        """Rebuild from :meth:`get_config` (a saved schedule is rebuilt by ``__init__``)."""
        return cls(**config)

    # -- state by weight path (saving, and packing again after trainable changes) ----------
    def slot_fill(self, name):
        """The value a new slot array starts at (0 for momentum and running averages)."""
        return 0.0

    def slot_shape(self, name, shape):
        """The shape of slot ``name`` for a weight of ``shape``: the weight's own, unless the
        optimizer keeps less (Adafactor keeps a row and a column average for a matrix)."""
        return tuple(shape)

    def get_state(self, layout):
        """The optimizer's state, each slot cut per weight: ``{slot: {path: array}}``.

        ``layout`` is the model's ``[(path, shape), ...]`` of the packed weights, in the
        order of the arrays handed to :meth:`step` (one flat array, or one per weight).
        """
        state = {}
        for name, arrays in self.slots.items():
            if any(array is None for array in arrays) or not arrays:
                continue
            kept = arrays if self.per_weight and len(arrays) == len(layout) else _cut(arrays, layout)
            state[name] = dict(zip((path for path, _ in layout), kept))
        return state

    def set_state(self, state, layout, weights):
        """Load ``{slot: {path: array}}`` for weights packed as ``weights`` with ``layout``.

        A weight the state doesn't know (a layer just unfrozen) starts at :meth:`slot_fill`.
        """
        self.slots = {}
        if self.per_weight:                 # one array per weight, each of its slot's shape
            weights = _cut(weights, layout)
            self._averaged = weights
            for name, by_path in state.items():
                self.slots[name] = [self._slot_from(name, by_path.get(path), shape, w)
                                    for (path, shape), w in zip(layout, weights)]
            return
        self._averaged = weights
        for name, by_path in state.items():
            # a weight the saved moving average doesn't know starts its average at itself
            arrays = [w.copy() if name == "average" else np.full_like(w, self.slot_fill(name))
                      for w in weights]
            for (path, shape), part in zip(layout, _cut(arrays, layout)):
                saved = by_path.get(path)
                if saved is not None:
                    part[...] = np.asarray(saved).reshape(shape)
            self.slots[name] = arrays

    def _slot_from(self, name, saved, shape, weight):
        """A per-weight slot array of ``weight`` (of ``shape``): ``saved`` when there is one,
        else its fresh start (a moving average starts at the weight itself)."""
        if saved is not None:
            return np.array(saved, weight.dtype).reshape(self.slot_shape(name, shape))
        if name == "average":
            return weight.copy()
        return np.full(self.slot_shape(name, shape), self.slot_fill(name), weight.dtype)


class _OptimizerNumber:
    """A number of the optimizer's (Python's own, for arithmetic) that also answers what its
    Keras 3 variable answers: ``assign`` (which sets the optimizer's ``attribute``),
    ``numpy()`` and ``value``. Copied, pickled or kept in a report, it is the plain number."""

    attribute = None                  # the optimizer's attribute it stands for

    def __new__(cls, value, optimizer):
        number = super().__new__(cls, value)
        number.optimizer = optimizer
        return number

    def assign(self, value):
        setattr(self.optimizer, self.attribute, self._plain(value))
        return getattr(self.optimizer, self.attribute)

    @property
    def value(self):
        return self

    def __reduce__(self):
        return self._plain, (self._plain(self),)


class LearningRate(_OptimizerNumber, float):
    """The learning rate as Keras 3 hands it out: a number (``float(lr)``, ``lr * 0.1``) that
    also answers its variable's ``assign`` and ``numpy()``, as the fine-tuning tutorials use it
    (``model.optimizer.learning_rate.assign(1e-5)`` sets the optimizer's rate)."""

    attribute, _plain = "learning_rate", float

    def numpy(self):
        return float(self)


class StepCount(_OptimizerNumber, int):
    """The step count as Keras 3 hands it out: a number that also answers its variable's
    ``numpy()``, ``value`` and ``assign`` (see :attr:`Optimizer.iterations`)."""

    attribute, _plain = "iterations", int

    def numpy(self):
        return np.int64(self)


def _views_like(flat, parts):
    """Views of the flat array ``flat`` cut into the shapes of ``parts``, in order."""
    views, offset = [], 0
    for part in parts:
        views.append(flat[offset:offset + part.size].reshape(part.shape))
        offset += part.size
    return views


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
