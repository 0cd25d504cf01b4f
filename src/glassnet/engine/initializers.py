"""Weight initializers: where training starts.

If the first weights are too small, the signal shrinks layer by layer and the gradients
vanish; too large, and they explode. The fixes below choose the spread of the random
weights from the layer's fan-in (inputs per unit) and fan-out (outputs per unit) so that
the variance of the activations stays about the same from layer to layer.

* Glorot / Xavier (2010), for tanh and sigmoid: ``Var(W) = 2 / (fan_in + fan_out)``.
* He / Kaiming (2015), for ReLU, which zeroes half its inputs: ``Var(W) = 2 / fan_in``.
* LeCun (1998), for SELU: ``Var(W) = 1 / fan_in``.

All three are :class:`VarianceScaling` with ``Var(W) = scale / n``. A uniform distribution on
``[-limit, limit]`` has variance ``limit**2 / 3``, which is where the ``sqrt(3 scale / n)``
limits come from; the "normal" ones draw from a normal distribution cut at two standard
deviations (no outliers), as Keras does, with the spread corrected for the cut.

The classes and names are Keras 3's (``GlorotUniform()``, ``"he_normal"``). An initializer is
called as ``init(shape, rng)``: every layer hands over the model's random generator, so one
seed fixes every weight. An initializer made with ``seed=`` uses its own generator instead
and gives the same values on every call, as in Keras.
"""

import inspect
import re

import numpy as np

from glassnet.engine.configurable import Configurable, FunctionSetting


def fans(shape):
    """``(fan_in, fan_out)`` of a weight: Dense ``(in, out)`` or Conv2D ``(kh, kw, c_in, c_out)``."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = int(np.prod(shape[:-2]))  # kh * kw for a convolution kernel
    return shape[-2] * receptive_field, shape[-1] * receptive_field


# Every Initializer subclass by class name, for get() and for saved configs.
INITIALIZERS_BY_CLASS = {}


class Initializer(Configurable):
    """Base class: ``__call__(shape, rng=None, dtype=None) -> array`` and ``get_config()``."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        INITIALIZERS_BY_CLASS[cls.__name__] = cls

    seed = None

    def __call__(self, shape, rng=None, dtype=None):
        from glassnet.engine.layers.base import charge_weights

        if isinstance(rng, (str, np.dtype, type)):   # Keras's init(shape, dtype)
            rng, dtype = None, rng
        if self.seed is not None:                    # Keras: a seeded initializer repeats itself
            rng = np.random.default_rng(self.seed)
        elif rng is None:
            rng = np.random.default_rng()
        shape = tuple(int(d) for d in np.atleast_1d(shape))
        # Counted before it is made: a model file being loaded may not ask for more
        # weights than it holds (see layers.base.weight_budget).
        charge_weights(shape)
        values = self.sample(shape, rng)
        return values if dtype is None else values.astype(dtype)

    def sample(self, shape, rng):
        raise NotImplementedError


class Zeros(Initializer):
    """All zeros (biases)."""

    def sample(self, shape, rng):
        return np.zeros(shape)


class Ones(Initializer):
    """All ones (batch norm's scale)."""

    def sample(self, shape, rng):
        return np.ones(shape)


class Constant(Initializer):
    """Every entry ``value``; or, for an array, the array itself (repeated along the axes it
    lacks, as NumPy broadcasts): ``Embedding(..., embeddings_initializer=Constant(matrix))``
    starts from pretrained word vectors, as keras.io's GloVe example does."""

    def __init__(self, value=0.0):
        value = np.asarray(value, dtype=np.float64)
        self.value = float(value) if value.ndim == 0 else value

    def sample(self, shape, rng):
        try:
            return np.broadcast_to(self.value, shape).copy()
        except ValueError:
            raise ValueError(f"Constant: a value of shape {np.shape(self.value)} can't fill a weight of "
                             f"shape {tuple(shape)}") from None

    def get_config(self):
        return {"value": self.value if isinstance(self.value, float) else self.value.tolist()}


class RandomNormal(Initializer):
    """``N(mean, stddev**2)``; Keras's default spread is 0.05."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        if not stddev >= 0:
            raise ValueError(f"RandomNormal: stddev must be >= 0, got {stddev!r}")
        self.mean, self.stddev, self.seed = float(mean), float(stddev), seed

    def sample(self, shape, rng):
        return rng.normal(self.mean, self.stddev, size=shape)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    """``U(minval, maxval)``; Keras's default is ``[-0.05, 0.05]``."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        if not minval <= maxval:
            raise ValueError(f"RandomUniform: minval must be <= maxval, got {minval!r} > {maxval!r}")
        self.minval, self.maxval, self.seed = float(minval), float(maxval), seed

    def sample(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, size=shape)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def truncated_standard_normal(shape, rng):
    """Standard normal numbers redrawn until all lie in ``[-2, 2]`` (about 4.6% are redrawn
    the first time, so this takes a few rounds). Their standard deviation is 0.8796."""
    x = rng.standard_normal(shape)
    bad = np.abs(x) > 2
    while bad.any():
        x[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(x) > 2
    return x


# The standard deviation of a standard normal cut at +-2: dividing by it restores the spread.
TRUNCATED_STD = 0.87962566103423978


class TruncatedNormal(Initializer):
    """``N(mean, stddev**2)`` cut at two standard deviations from the mean (Keras)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        if not stddev >= 0:
            raise ValueError(f"TruncatedNormal: stddev must be >= 0, got {stddev!r}")
        self.mean, self.stddev, self.seed = float(mean), float(stddev), seed

    def sample(self, shape, rng):
        return self.mean + self.stddev * truncated_standard_normal(shape, rng)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(Initializer):
    """Random weights with ``Var(W) = scale / n``, where ``n`` is chosen by ``mode``.

    Args:
        scale: the numerator (1 for Glorot and LeCun, 2 for He), > 0.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"`` (the mean of the two).
        distribution: ``"truncated_normal"`` (cut at 2 sigma, spread corrected),
            ``"untruncated_normal"`` or ``"uniform"`` (``limit = sqrt(3 * scale / n)``).
        seed: a seed of its own (see the module docstring).
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if not scale > 0:
            raise ValueError(f"{type(self).__name__}: scale must be > 0, got {scale!r}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"{type(self).__name__}: mode must be 'fan_in', 'fan_out' or "
                             f"'fan_avg', got {mode!r}")
        if distribution == "normal":   # Keras's older name
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"{type(self).__name__}: distribution must be 'truncated_normal', "
                             f"'untruncated_normal' or 'uniform', got {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = float(scale), mode, distribution, seed

    def sample(self, shape, rng):
        fan_in, fan_out = fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = np.sqrt(3.0 * variance)
            return rng.uniform(-limit, limit, size=shape)
        if self.distribution == "untruncated_normal":
            return rng.normal(0.0, np.sqrt(variance), size=shape)
        return np.sqrt(variance) / TRUNCATED_STD * truncated_standard_normal(shape, rng)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class _Preset(VarianceScaling):
    """A VarianceScaling with fixed settings: only ``seed`` is an argument."""

    preset = {}

    def __init__(self, seed=None):
        super().__init__(seed=seed, **self.preset)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_Preset):
    """``U(-limit, limit)``, ``limit = sqrt(6 / (fan_in + fan_out))``: Keras's default kernel."""
    preset = {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}


class GlorotNormal(_Preset):
    """Truncated normal with ``Var = 2 / (fan_in + fan_out)``."""
    preset = {"scale": 1.0, "mode": "fan_avg", "distribution": "truncated_normal"}


class HeUniform(_Preset):
    """``U(-limit, limit)``, ``limit = sqrt(6 / fan_in)``: for ReLU layers."""
    preset = {"scale": 2.0, "mode": "fan_in", "distribution": "uniform"}


class HeNormal(_Preset):
    """Truncated normal with ``Var = 2 / fan_in``: for ReLU layers."""
    preset = {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"}


class LecunUniform(_Preset):
    """``U(-limit, limit)``, ``limit = sqrt(3 / fan_in)``."""
    preset = {"scale": 1.0, "mode": "fan_in", "distribution": "uniform"}


class LecunNormal(_Preset):
    """Truncated normal with ``Var = 1 / fan_in``: for SELU layers."""
    preset = {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}


class Orthogonal(Initializer):
    """A random orthogonal matrix (Saxe et al., 2014), times ``gain``.

    The weight is viewed as a matrix ``(prod(shape[:-1]), shape[-1])``; the Q of the QR
    decomposition of a normal random matrix, with the signs fixed by R's diagonal so that the
    result is uniformly distributed, gives orthonormal rows or columns. Multiplying by it
    keeps vector lengths, so signals neither shrink nor grow.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = float(gain), seed

    def sample(self, shape, rng):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: needs a weight of at least 2 dimensions, got shape {shape}")
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        a = rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D weights only)."""

    def __init__(self, gain=1.0):
        self.gain = float(gain)

    def sample(self, shape, rng):
        if len(shape) != 2:
            raise ValueError(f"Identity: needs a 2-D weight, got shape {shape}")
        return self.gain * np.eye(*shape)

    def get_config(self):
        return {"gain": self.gain}


class SmallRandom(RandomNormal):
    """The textbook start: ``N(0, 0.01**2)``. Fine for one hidden layer, poor for deep nets."""

    def __init__(self, seed=None):
        super().__init__(0.0, 0.01, seed)

    def get_config(self):
        return {"seed": self.seed}


def _snake(name):
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).lower()


# Names as Keras spells them ("glorot_uniform", "GlorotUniform", "he_normal"...), plus the
# textbook's "xavier_*" and "small_random".
INITIALIZERS = {_snake(name): cls for name, cls in INITIALIZERS_BY_CLASS.items()
                if not name.startswith("_")}
INITIALIZERS.update({"xavier_uniform": GlorotUniform, "xavier_normal": GlorotNormal,
                     "zero": Zeros, "one": Ones, "uniform": RandomUniform, "normal": RandomNormal})


def _keras_name(cls):
    """Keras 3's lowercase name for ``cls``: ``he_normal()`` or ``he_normal(seed=42)`` makes the
    initializer, as ``keras.initializers.he_normal()`` does (TensorFlow's time-series tutorial:
    ``kernel_initializer=tf.initializers.zeros()``). Given a shape first, it samples at once, as
    the plain functions of earlier glassnet versions did: ``he_normal((784, 128), rng)``."""
    def make_or_sample(*args, **config):
        if args and isinstance(args[0], (tuple, list)):
            return cls(**config)(*args)
        return cls(*args, **config)
    make_or_sample.__name__ = make_or_sample.__qualname__ = _snake(cls.__name__)
    make_or_sample.initializer_class = cls
    return make_or_sample


glorot_uniform, glorot_normal = _keras_name(GlorotUniform), _keras_name(GlorotNormal)
he_uniform, he_normal = _keras_name(HeUniform), _keras_name(HeNormal)
lecun_uniform, lecun_normal = _keras_name(LecunUniform), _keras_name(LecunNormal)
zeros, ones, small_random = _keras_name(Zeros), _keras_name(Ones), _keras_name(SmallRandom)
# Keras's other lowercase names are its classes.
constant, random_normal, random_uniform = Constant, RandomNormal, RandomUniform
truncated_normal, variance_scaling, orthogonal, identity = TruncatedNormal, VarianceScaling, Orthogonal, Identity
OrthogonalInitializer, IdentityInitializer = Orthogonal, Identity


class FunctionInitializer(FunctionSetting, Initializer):
    """An initializer given as a Keras-style function ``f(shape, dtype=None)`` (Geron's
    ``my_glorot_initializer``), called as Keras calls it; saved by the function's name."""

    what = "initializer"

    def __init__(self, fn):
        self.fn = fn

    def sample(self, shape, rng):
        return np.asarray(self.fn(shape, dtype="float32"))


def _keras_style(function):
    """True for Keras's ``f(shape, dtype=None)`` (glassnet's own take ``f(shape, rng)``)."""
    try:
        parameters = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return False
    return "dtype" in parameters and "rng" not in parameters


def get(identifier):
    """An initializer from a name (``"he_normal"`` or ``"HeNormal"``), an instance, None (Keras's
    glorot-uniform: the imbalanced-data tutorial's ``bias_initializer=None``), a config dict
    (``{"class_name": "RandomNormal", "config": {"stddev": 0.1}}``), a Keras-style function
    ``f(shape, dtype=None)``, or any function ``f(shape, rng)``, which is returned as it is."""
    if identifier is None:      # Keras makes a weight without an initializer glorot-uniform (a bias too)
        return GlorotUniform()
    if hasattr(identifier, "initializer_class"):      # keras.initializers.he_normal, not called
        return identifier.initializer_class()
    if callable(identifier) and not isinstance(identifier, (type, Initializer)) and _keras_style(identifier):
        return FunctionInitializer(identifier)
    if isinstance(identifier, Initializer) or (callable(identifier) and not isinstance(identifier, type)):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, dict):
        name, config = identifier.get("class_name"), identifier.get("config") or {}
        cls = INITIALIZERS_BY_CLASS.get(name) or INITIALIZERS.get(name)
        if cls is None:
            raise ValueError(f"unknown initializer {name!r}; known: {', '.join(sorted(INITIALIZERS))}")
        return cls.from_config(config)
    if isinstance(identifier, str):
        cls = INITIALIZERS.get(identifier) or INITIALIZERS.get(_snake(identifier))
        if cls is not None:
            return cls()
    raise ValueError(f"unknown initializer {identifier!r}; known: {', '.join(sorted(INITIALIZERS))}")


def serialize(initializer):
    """``{"class_name": ..., "config": ...}`` for an Initializer (what :func:`get` reads back)."""
    if isinstance(initializer, str):
        return initializer
    if not isinstance(initializer, Initializer):
        raise ValueError(f"can't save initializer {initializer!r}: a plain function has no config; "
                         f"subclass glassnet.initializers.Initializer")
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def deserialize(config):
    return get(config)
