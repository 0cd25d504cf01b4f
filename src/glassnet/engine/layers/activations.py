"""Activation functions: the non-linear bends between the linear layers.

Without them a stack of Dense layers would collapse into one matrix multiply, however deep.
Each activation works element by element (softmax works row by row), so its backward pass
is the chain rule with the local derivative: ``dx = dy * f'(x)``.

They are layers (``Activation("relu")`` or ``ReLU()`` in a model) and are also used inside
``Dense(..., activation="relu")``. Every one keeps the input's dtype and shape. The names
and formulas are Keras 3's (``keras.activations``); the same functions on plain arrays are
in :mod:`glassnet.engine.activations_api` (``glassnet.activations.gelu(x)``).
"""

import functools
import inspect
import math
import warnings

import numpy as np

from glassnet.engine import initializers, regularizers
from glassnet.engine.configurable import FunctionSetting
from glassnet.engine.layers.base import Layer
from glassnet.errors import ShapeError


def sigmoid(x):
    """``1 / (1 + exp(-x))``, written as ``0.5 (1 + tanh(x / 2))``: the same, never overflows."""
    return 0.5 * (1 + np.tanh(0.5 * x))


# -- the rectifiers ------------------------------------------------------------------------

ROW = 1024                      # numbers per row in positive_part's row-by-row comparison
_ZERO_ROWS = {}                 # dtype -> a row of ROW zeros


def positive_part(x, out=None):
    """``max(x, 0)`` elementwise, into ``out`` (default: a new array): ReLU's forward pass.

    It is ``np.maximum(x, 0)``, but twice as fast on large arrays: NumPy compares an array
    with a scalar without its vectorised (SIMD) loop, while array against array uses it
    (measured here, 700k float32 outputs of a conv layer: 240 us against 110 us). So a
    large contiguous array is viewed as rows of ``ROW`` numbers and compared with one
    row of zeros, which broadcasts down the rows; what is left over takes the scalar
    way. The result is the same, bit for bit (NaN stays NaN, -0.0 stays -0.0).
    """
    if out is None:
        out = np.empty_like(x)
    if x.size < 16 * ROW or not (x.flags.c_contiguous and out.flags.c_contiguous):
        return np.maximum(x, 0, out=out)               # small or strided: the plain way
    zeros = _ZERO_ROWS.get(x.dtype)
    if zeros is None:
        zeros = _ZERO_ROWS[x.dtype] = np.zeros(ROW, x.dtype)
    flat, flat_out = x.reshape(-1), out.reshape(-1)
    rows = len(flat) // ROW * ROW
    np.maximum(flat[:rows].reshape(-1, ROW), zeros, out=flat_out[:rows].reshape(-1, ROW))
    np.maximum(flat[rows:], 0, out=flat_out[rows:])
    return out


class ReLU(Layer):
    """Rectified linear unit, with Keras's three options::

        y = max_value                      if x >= max_value
        y = x                              if threshold < x < max_value
        y = negative_slope * (x - threshold)   otherwise

    The defaults give the plain ``y = max(x, 0)``; ``dy/dx`` is 1 on the straight part with
    slope 1, ``negative_slope`` below the threshold and 0 above ``max_value``.

    Args:
        max_value: cap on the output (None: no cap); ``ReLU(6.0)`` is relu6.
        negative_slope: the slope below the threshold (0: a plain ReLU).
        threshold: below this the unit is "off".
    """

    supports_masking = True    # a mask passes through (engine/masking.py)

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and not max_value >= 0:
            raise ValueError(f"ReLU: max_value must be >= 0 or None, got {max_value!r}")
        if not negative_slope >= 0:
            raise ValueError(f"ReLU: negative_slope must be >= 0, got {negative_slope!r}")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope, self.threshold = float(negative_slope), float(threshold)
        self.plain = self.max_value is None and not self.negative_slope and not self.threshold

    def forward(self, x, training=False):
        if self.plain:                              # the common case, kept as cheap as can be
            self.slope = x > 0
            return positive_part(x)
        on = x > self.threshold                     # the straight part, slope 1
        below = ~on                                 # slope negative_slope
        y = np.where(on, x, self.negative_slope * (x - self.threshold))
        if self.max_value is not None:              # the cap, slope 0
            capped = x >= self.max_value
            on &= ~capped
            y = np.where(capped, self.max_value, y).astype(x.dtype, copy=False)
        self.slope = np.where(on, 1, np.where(below, self.negative_slope, 0)).astype(x.dtype)
        return y

    def backward(self, dy):
        return dy * self.slope

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(Layer):
    """Like ReLU but lets a little through below zero: ``y = x if x > 0 else a * x``.

    Args:
        negative_slope: the slope ``a`` for negative inputs (Keras default 0.3).
        alpha: Keras 2's name for ``negative_slope`` (accepted with a DeprecationWarning).
    """

    supports_masking = True

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:   # Keras 2: LeakyReLU(alpha=0.1)
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: alpha= is Keras 2's name; use negative_slope=",
                          DeprecationWarning, stacklevel=2)
        super().__init__(**kwargs)
        if not negative_slope >= 0:
            raise ValueError(f"LeakyReLU: negative_slope must be >= 0, got {negative_slope}")
        self.negative_slope = float(negative_slope)

    def forward(self, x, training=False):
        self.mask = x > 0
        return np.where(self.mask, x, x * self.negative_slope)

    def backward(self, dy):
        return np.where(self.mask, dy, dy * self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(Layer):
    """Parametric ReLU (He et al., 2015): a leaky ReLU whose slope is learned.

    ``y = x if x > 0 else alpha * x``, with one ``alpha`` per input feature (Keras: the
    weight has the input's per-sample shape; ``shared_axes`` share it along those axes,
    e.g. ``shared_axes=[1, 2]`` for one slope per channel of an image).

    Backward::

        dx     = dy            where x > 0,   alpha * dy elsewhere
        dalpha = sum over the batch (and the shared axes) of dy * min(x, 0)

    Args:
        alpha_initializer: how ``alpha`` starts (Keras: zeros, a plain ReLU).
        alpha_regularizer: a penalty on ``alpha``, e.g. ``l2(1e-4)``.
        shared_axes: axes (1 = the first axis after the batch) that share one slope.
    """

    supports_masking = True

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        if alpha_constraint is not None:
            raise ValueError("PReLU: alpha_constraint is not supported by glassnet")
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        if shared_axes is not None and not isinstance(shared_axes, (list, tuple)):
            shared_axes = [shared_axes]
        self.shared_axes = None if shared_axes is None else [int(a) for a in shared_axes]

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        shape = list(self.input_shape)
        for axis in self.shared_axes or []:
            if not 1 <= axis <= len(shape):
                raise ValueError(f"PReLU: shared axis {axis} does not exist for input "
                                 f"{('batch',) + self.input_shape}")
            shape[axis - 1] = 1
        self.add_param("alpha", self.alpha_initializer(tuple(shape), self.rng))
        # The axes dalpha sums over: the batch, and every shared axis.
        self.sum_axes = (0,) + tuple(self.shared_axes or ())

    def forward(self, x, training=False):
        self.check_input(x)
        self.x = x
        self.mask = x > 0
        return np.where(self.mask, x, self.params["alpha"] * x)

    def backward(self, dy):
        negative = np.where(self.mask, 0, dy * self.x)
        self.grads["alpha"][...] = negative.sum(axis=self.sum_axes, keepdims=True)[0]
        self.add_penalty_gradients()
        if not self.needs_input_grad:
            return None
        return np.where(self.mask, dy, self.params["alpha"] * dy)

    def get_config(self):
        return {**super().get_config(),
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "shared_axes": self.shared_axes}


class ELU(Layer):
    """Exponential linear unit (Clevert et al., 2016): a ReLU with a smooth negative side.

    ``y = x if x >= 0 else alpha * (exp(x) - 1)``; ``dy/dx = 1 if x >= 0 else y + alpha``.
    The outputs can be negative, so their mean stays nearer zero than a ReLU's.

    Args:
        alpha: the value ``y`` tends to for very negative ``x`` is ``-alpha`` (Keras: 1.0).
    """

    supports_masking = True

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def forward(self, x, training=False):
        self.mask = x >= 0
        # expm1 of the negative part only: exp of a large positive x would overflow.
        self.y = np.where(self.mask, x, self.alpha * np.expm1(np.minimum(x, 0)))
        return self.y

    def backward(self, dy):
        return np.where(self.mask, dy, dy * (self.y + self.alpha))

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class SELU(ELU):
    """Scaled ELU (Klambauer et al., 2017): ``y = scale * elu(x, alpha)`` with the two constants
    below, chosen so that activations keep mean 0 and variance 1 through a deep stack
    (with ``lecun_normal`` weights). ``dy/dx = scale * elu'(x)``."""

    ALPHA = 1.6732632423543772
    SCALE = 1.0507009873554805

    def __init__(self, **kwargs):
        super().__init__(alpha=self.ALPHA, **kwargs)

    def forward(self, x, training=False):
        return self.SCALE * super().forward(x, training)

    def backward(self, dy):
        return super().backward(self.SCALE * dy)

    def get_config(self):
        config = super().get_config()
        del config["alpha"]
        return config


class ReLU6(Layer):
    """``y = min(max(x, 0), 6)``; ``dy/dx = 1 on (0, 6)``, else 0 (MobileNet's ReLU)."""

    supports_masking = True

    def forward(self, x, training=False):
        self.mask = (x > 0) & (x < 6)
        return np.clip(x, 0, 6)

    def backward(self, dy):
        return dy * self.mask


# -- the S-shaped ones ---------------------------------------------------------------------

class Sigmoid(Layer):
    """Logistic sigmoid ``y = 1 / (1 + exp(-x))``; ``dy/dx = y (1 - y)``.

    Written as ``0.5 (1 + tanh(x / 2))``, which is the same function but never overflows.

    When a binary cross-entropy loss follows, the model fuses the two, as it does for
    Softmax and categorical cross-entropy: the loss is computed from the logits and hands
    back ``dL/dz = (p - y) / N`` directly, and this layer (``fused_with_loss``) passes the
    gradient straight through. ``logits`` keeps the last input for that.
    """

    supports_masking = True

    fused_with_loss = False

    def forward(self, x, training=False):
        self.logits = x
        self.y = sigmoid(x)
        return self.y

    def backward(self, dy):
        if self.fused_with_loss:
            return dy  # the loss already returned dL/d(logits)
        return dy * self.y * (1 - self.y)


class HardSigmoid(Layer):
    """A piecewise-linear sigmoid (Keras 3): ``y = clip(x / 6 + 1/2, 0, 1)``; slope 1/6 on (-3, 3)."""

    supports_masking = True

    def forward(self, x, training=False):
        self.mask = (x > -3) & (x < 3)
        return np.clip(x / 6 + 0.5, 0, 1)

    def backward(self, dy):
        return dy * self.mask / 6


class Tanh(Layer):
    """Hyperbolic tangent ``y = tanh(x)``; ``dy/dx = 1 - y**2``."""

    supports_masking = True

    def forward(self, x, training=False):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dy):
        return dy * (1 - self.y * self.y)


class Softsign(Layer):
    """``y = x / (1 + |x|)``, a tanh with polynomial tails; ``dy/dx = 1 / (1 + |x|)**2``."""

    supports_masking = True

    def forward(self, x, training=False):
        self.d = 1 / (1 + np.abs(x))
        return x * self.d

    def backward(self, dy):
        return dy * self.d * self.d


# -- the smooth ReLUs ----------------------------------------------------------------------

class Softplus(Layer):
    """``y = log(1 + exp(x))``, a smooth ReLU; ``dy/dx = sigmoid(x)``.

    Computed as ``logaddexp(x, 0)``, which never overflows.
    """

    supports_masking = True

    def forward(self, x, training=False):
        self.x = x
        return np.logaddexp(x, 0).astype(x.dtype, copy=False)

    def backward(self, dy):
        return dy * sigmoid(self.x)


class SiLU(Layer):
    """SiLU, also called swish (Ramachandran et al., 2017): ``y = x * sigmoid(x)``.

    ``dy/dx = s + x s (1 - s) = s (1 + x (1 - s))`` with ``s = sigmoid(x)``.
    """

    supports_masking = True

    def forward(self, x, training=False):
        self.x, self.s = x, sigmoid(x)
        return x * self.s

    def backward(self, dy):
        s = self.s
        return dy * s * (1 + self.x * (1 - s))


class HardSilu(Layer):
    """``y = x * hard_sigmoid(x)`` (hard swish, MobileNetV3); ``dy/dx = h + x h'``."""

    supports_masking = True

    def forward(self, x, training=False):
        self.x = x
        self.h = np.clip(x / 6 + 0.5, 0, 1)
        return x * self.h

    def backward(self, dy):
        inside = (self.x > -3) & (self.x < 3)
        return dy * (self.h + self.x * inside / 6)


class Mish(Layer):
    """Mish (Misra, 2019): ``y = x * tanh(softplus(x))``.

    ``dy/dx = t + x (1 - t**2) sigmoid(x)`` with ``t = tanh(softplus(x))``, since
    ``softplus' = sigmoid``.
    """

    supports_masking = True

    def forward(self, x, training=False):
        self.x = x
        self.t = np.tanh(np.logaddexp(x, 0)).astype(x.dtype, copy=False)
        return x * self.t

    def backward(self, dy):
        t = self.t
        return dy * (t + self.x * (1 - t * t) * sigmoid(self.x))


@functools.cache
def _erfc_chebyshev():
    """Chebyshev coefficients of ``g(t) = log(erfc(z) / t) + z**2`` with ``t = 2 / (2 + z)``.

    ``erfc(z) = t * exp(-z**2 + g(t))`` for ``z >= 0``: the fast-falling ``exp(-z**2)`` is
    exact, and what is left, ``g``, is so smooth on ``z`` in [0, 6] (``t`` in [1/4, 1]) that
    21 Chebyshev terms fit it to double precision (the idea of Numerical Recipes' ``erfc``).
    The coefficients are worked out once, from Python's ``math.erfc`` at the Chebyshev points.
    Beyond ``z = 6`` erfc is below 2e-17, so ``g`` is simply held at its value there.
    """
    def g(t):
        z = 2 / t - 2
        return math.log(math.erfc(z) / t) + z * z
    fit = np.polynomial.chebyshev.Chebyshev.interpolate(np.vectorize(g), 20, domain=[0.25, 1.0])
    return tuple(float(c) for c in fit.coef)   # Python floats keep float32 inputs float32


def erf(x):
    """The error function ``erf(x) = 2/sqrt(pi) * integral_0^x exp(-t**2) dt``, in NumPy.

    Accurate to about 1e-15 in float64 (and to float32's precision in float32), from
    ``erfc(|x|)`` (see :func:`_erfc_chebyshev`), evaluated by Clenshaw's recurrence.
    """
    coef = _erfc_chebyshev()
    z = np.abs(x)
    t = 2 / (2 + z)
    u = np.maximum((t - 0.625) / 0.375, -1)      # t in [1/4, 1] -> u in [-1, 1]
    b1 = b2 = 0 * u
    for c in coef[:0:-1]:                          # Clenshaw: sum_k c_k T_k(u)
        b1, b2 = 2 * u * b1 - b2 + c, b1
    erfc = t * np.exp(-z * z + (u * b1 - b2 + coef[0]))
    return np.sign(x) * (1 - erfc)


class GELU(Layer):
    """Gaussian error linear unit (Hendrycks and Gimpel, 2016): ``y = x * Phi(x)``.

    ``Phi(x) = (1 + erf(x / sqrt(2))) / 2`` is the standard normal distribution function, so
    each input is kept in proportion to how likely a normal variable is to be below it.
    ``dy/dx = Phi(x) + x * phi(x)``, with ``phi(x) = exp(-x**2 / 2) / sqrt(2 pi)`` the normal
    density. Keras's default is this exact form.

    ``approximate=True`` uses the tanh approximation of the paper (and of GPT-2)::

        y = x/2 * (1 + tanh(u)),  u = sqrt(2/pi) * (x + 0.044715 x**3)
        dy/dx = (1 + tanh(u))/2 + x/2 * (1 - tanh(u)**2) * sqrt(2/pi) * (1 + 3 * 0.044715 x**2)
    """

    supports_masking = True

    def __init__(self, approximate=False, **kwargs):
        super().__init__(**kwargs)
        self.approximate = bool(approximate)

    def forward(self, x, training=False):
        self.x = x
        if self.approximate:
            self.t = np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))
            return 0.5 * x * (1 + self.t)
        self.cdf = 0.5 * (1 + erf(x * math.sqrt(0.5)))
        return x * self.cdf

    def backward(self, dy):
        x = self.x
        if self.approximate:
            t = self.t
            du = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x * x)
            return dy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
        pdf = np.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return dy * (self.cdf + x * pdf)

    def get_config(self):
        return {**super().get_config(), "approximate": self.approximate}


class Exponential(Layer):
    """``y = exp(x)``; ``dy/dx = y``."""

    supports_masking = True

    def forward(self, x, training=False):
        self.y = np.exp(x)
        return self.y

    def backward(self, dy):
        return dy * self.y


# -- row by row ----------------------------------------------------------------------------

def softmax_rows(z):
    """``softmax`` over the last axis, stable: ``exp(z - max(z)) / sum(exp(z - max(z)))``."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_rows_backward(p, dp):
    """``dL/dz`` from ``dL/dp`` for ``p = softmax_rows(z)``: ``p * (dp - sum(dp * p))``."""
    return p * (dp - (dp * p).sum(axis=-1, keepdims=True))


class Softmax(Layer):
    """Turns a row of scores (logits) into probabilities that sum to 1.

    ``p_i = exp(z_i - max(z)) / sum_j exp(z_j - max(z))``. Subtracting the row's max changes
    nothing mathematically (it cancels) but keeps ``exp`` from overflowing.

    Backward, for one row: ``dz = p * (dp - sum(dp * p))``, the Jacobian of softmax applied
    to ``dp``.

    When a cross-entropy loss follows, the model fuses the two: the loss is computed from
    the logits with log-sum-exp and hands back ``dL/dz = (p - y) / N`` directly, which is
    both cheaper and immune to ``log(0)``. The model then sets ``fused_with_loss`` and this
    layer passes the gradient straight through.
    """

    fused_with_loss = False

    def forward(self, x, training=False):
        self.logits = x
        self.p = softmax_rows(x)
        return self.p

    def backward(self, dy):
        if self.fused_with_loss:
            return dy  # the loss already returned dL/d(logits)
        return softmax_rows_backward(self.p, dy)


class LogSoftmax(Layer):
    """``y = log(softmax(z)) = z - log(sum(exp(z)))`` (by log-sum-exp), row by row.

    Backward: ``dz = dy - p * sum(dy)``, with ``p = exp(y)`` the softmax.
    """

    def forward(self, x, training=False):
        shifted = x - x.max(axis=-1, keepdims=True)
        self.y = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        return self.y

    def backward(self, dy):
        return dy - np.exp(self.y) * dy.sum(axis=-1, keepdims=True)


# -- names ---------------------------------------------------------------------------------

def _leaky_relu(**options):
    """``"leaky_relu"`` as a name means Keras's function, whose default slope is 0.2."""
    return LeakyReLU(**{"negative_slope": 0.2, **options})


ACTIVATIONS = {
    "relu": ReLU,
    "relu6": ReLU6,
    "leaky_relu": _leaky_relu,
    "elu": ELU,
    "selu": SELU,
    "gelu": GELU,
    "silu": SiLU,
    "swish": SiLU,
    "softplus": Softplus,
    "softsign": Softsign,
    "sigmoid": Sigmoid,
    "hard_sigmoid": HardSigmoid,
    "hard_silu": HardSilu,
    "hard_swish": HardSilu,
    "tanh": Tanh,
    "mish": Mish,
    "exponential": Exponential,
    "softmax": Softmax,
    "log_softmax": LogSoftmax,
}
# Keras 3's newer ones (celu, the shrinks, sparse_plus, sparsemax...), in a file of their own.
from glassnet.engine.layers.activations_more import MORE_ACTIVATIONS  # noqa: E402
ACTIVATIONS.update(MORE_ACTIVATIONS)


def _class_of(name):
    maker = ACTIVATIONS[name]
    return LeakyReLU if maker is _leaky_relu else maker


def get(activation):
    """``"relu"`` -> ``ReLU()``; an activation instance is returned as it is; None and
    ``"linear"`` give None (no activation).

    Also accepted: a dict such as ``{"name": "leaky_relu", "negative_slope": 0.1}`` (what
    :func:`serialize` writes into a saved model), Keras's ``{"class_name": ..., "config": ...}``,
    and the functions of ``glassnet.activations`` (``activation=activations.gelu``).
    """
    if activation is None or activation == "linear":
        return None
    if isinstance(activation, Layer):
        return activation
    if isinstance(activation, dict):
        options = dict(activation)
        if "class_name" in options:                 # Keras's serialized form
            options = {"name": options["class_name"], **(options.get("config") or {})}
        name = options.pop("name")
        if name == "linear":
            return None
        if name == "function":                      # a function of yours, found by its name
            return FunctionActivation.from_config(options)
        if name not in ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}; known: {', '.join(sorted(ACTIVATIONS))}, linear")
        return ACTIVATIONS[name](**options)
    if isinstance(activation, str) and activation in ACTIVATIONS:
        return ACTIVATIONS[activation]()
    name = getattr(activation, "__name__", None)
    if callable(activation) and getattr(activation, "__module__", "") == "glassnet.engine.activations_api":
        if name == "linear":
            return None
        if name in ACTIVATIONS:
            return ACTIVATIONS[name]()
    if callable(activation) and not isinstance(activation, type):
        return FunctionActivation(activation)      # Geron's my_softplus: its math recorded
    raise ValueError(
        f"unknown activation {activation!r}; known: {', '.join(sorted(ACTIVATIONS))}, linear"
    )


def function_name(activation):
    """The name of the Keras function an activation stands for (``"relu"``): what Keras's
    ``layer.activation.__name__`` gives, where Keras keeps the function itself."""
    if isinstance(activation, FunctionActivation):
        return activation.fn.__name__
    saved = serialize(activation)
    return saved if isinstance(saved, str) else saved["name"]


def serialize(activation):
    """The JSON-friendly value that :func:`get` turns back into ``activation``."""
    if activation is None:
        return None
    if isinstance(activation, FunctionActivation):
        return {"name": "function", **activation.get_config()}
    names = [name for name in ACTIVATIONS if type(activation) is _class_of(name)]
    if not names:
        raise ValueError(f"{activation!r} is not a built-in activation; use it as a layer instead")
    # (every layer's keys say nothing about the function: an activation has no weights)
    options = {k: v for k, v in activation.get_config().items()
               if k not in ("name", "input_shape", "trainable", "dtype")}
    if names[0] == "leaky_relu":                    # always say the slope: the name means 0.2
        return {"name": "leaky_relu", **options}
    defaults = {key: p.default for key, p in inspect.signature(type(activation).__init__).parameters.items()
                if p.default is not inspect.Parameter.empty}
    options = {k: v for k, v in options.items() if k not in defaults or defaults[k] != v}
    return {"name": names[0], **options} if options else names[0]


class FunctionActivation(FunctionSetting, Layer):
    """An activation given as a Python function, as Keras takes one
    (``Dense(64, activation=my_softplus)`` with ``def my_softplus(z): return tf.math.log(1.0 +
    tf.exp(z))``): forward runs the function on a recorded Value, backward differentiates the
    record (:mod:`glassnet.engine.autodiff`). Saved by the function's name (registered with
    ``keras.saving.register_keras_serializable``, or given in ``custom_objects``)."""

    supports_masking = True

    what = "activation"

    def __init__(self, fn, **kwargs):
        super().__init__(**kwargs)
        self.fn = fn

    def forward(self, x, training=False):
        from glassnet.engine.autodiff import Value, lift
        self.inputs = Value(x, needs_grad=True)
        self.outputs = lift(self.fn(self.inputs))
        if self.outputs.shape != x.shape:
            raise ShapeError(f"activation {getattr(self.fn, '__name__', self.fn)!r} turned "
                             f"shape {x.shape} into {self.outputs.shape}; an activation keeps the shape")
        return self.outputs.data.astype(x.dtype, copy=False)

    def backward(self, dy):
        from glassnet.engine.autodiff import backpropagate
        self.inputs.grad = None
        if self.outputs.needs_grad:
            backpropagate(self.outputs, dy)
        return np.zeros_like(dy) if self.inputs.grad is None else self.inputs.grad


class Activation(Layer):
    """A layer that applies an activation: ``Activation("relu")``, as in Keras.

    ``Activation("linear")`` (or None) passes its input through unchanged.
    """

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.fn = get(activation)

    def forward(self, x, training=False):
        return x if self.fn is None else self.fn.forward(x, training)

    def backward(self, dy):
        return dy if self.fn is None else self.fn.backward(dy)

    def get_config(self):
        return {**super().get_config(), "activation": serialize(self.fn) or "linear"}
