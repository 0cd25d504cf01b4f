"""``glassnet.activations``: the activation functions on plain arrays, as ``keras.activations``.

    from glassnet import activations
    activations.gelu(np.array([-1.0, 0.0, 1.0]))        # array([-0.1587, 0., 0.8413])

Each function runs the forward pass of the matching activation layer
(:mod:`glassnet.engine.layers.activations`), so there is one formula for each, and it is the
one that has a gradient check. Passing one of these functions to a layer
(``Dense(64, activation=activations.gelu)``) gives that layer.
"""

import numpy as np

from glassnet.engine.layers import activations as layers
from glassnet.engine.layers import activations_more as more
from glassnet.engine.recording import is_value
from glassnet.engine.symbolic import is_symbolic
from glassnet.engine.tensor import as_tensor


def _apply(layer, x):
    """The layer's forward pass on ``x``, as a Tensor (an array with ``.numpy()``, as in Keras).
    On a placeholder (the Functional API, a traced ``call()``) it is the layer's call; on a
    recorded Value (math in a custom layer or a loss) a step of the record."""
    if is_symbolic(x) or is_value(x):      # a graph's placeholder, or recorded math
        return layer(x)
    x = np.asarray(x)
    if x.dtype.kind not in "f":
        x = x.astype(np.float32)
    return as_tensor(layer.forward(x))


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """``max(x, 0)``, with Keras's ``negative_slope``, ``max_value`` and ``threshold``."""
    return _apply(layers.ReLU(max_value=max_value, negative_slope=negative_slope,
                              threshold=threshold), x)


def leaky_relu(x, negative_slope=0.2):
    """``x if x > 0 else negative_slope * x`` (the function's default slope is Keras's 0.2)."""
    return _apply(layers.LeakyReLU(negative_slope=negative_slope), x)


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return _apply(layers.ReLU6(), x)


def elu(x, alpha=1.0):
    """``x if x >= 0 else alpha * (exp(x) - 1)``."""
    return _apply(layers.ELU(alpha=alpha), x)


def selu(x):
    """``scale * elu(x, alpha)`` with SELU's two constants."""
    return _apply(layers.SELU(), x)


def gelu(x, approximate=False):
    """``x * Phi(x)`` (exact, with erf) or its tanh approximation."""
    return _apply(layers.GELU(approximate=approximate), x)


def silu(x):
    """``x * sigmoid(x)``, also called swish."""
    return _apply(layers.SiLU(), x)


swish = silu


def softplus(x):
    """``log(1 + exp(x))``."""
    return _apply(layers.Softplus(), x)


def softsign(x):
    """``x / (1 + |x|)``."""
    return _apply(layers.Softsign(), x)


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return _apply(layers.Sigmoid(), x)


def hard_sigmoid(x):
    """``clip(x / 6 + 0.5, 0, 1)``."""
    return _apply(layers.HardSigmoid(), x)


def hard_silu(x):
    """``x * hard_sigmoid(x)``, also called hard swish."""
    return _apply(layers.HardSilu(), x)


hard_swish = hard_silu


def tanh(x):
    """``tanh(x)``."""
    return _apply(layers.Tanh(), x)


def mish(x):
    """``x * tanh(softplus(x))``."""
    return _apply(layers.Mish(), x)


def exponential(x):
    """``exp(x)``."""
    return _apply(layers.Exponential(), x)


def linear(x):
    """The identity: ``x`` unchanged."""
    return x if is_symbolic(x) or is_value(x) else as_tensor(x)


def _along(layer, x, axis):
    x = x if is_symbolic(x) or is_value(x) else np.asarray(x)
    if axis in (-1, x.ndim - 1):
        return _apply(layer, x)
    return np.moveaxis(_apply(layer, np.moveaxis(x, axis, -1)), -1, axis)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``: each slice sums to 1."""
    return _along(layers.Softmax(), x, axis)


def log_softmax(x, axis=-1):
    """``x - log(sum(exp(x)))`` along ``axis``."""
    return _along(layers.LogSoftmax(), x, axis)


def celu(x, alpha=1.0):
    """``x if x >= 0 else alpha * (exp(x / alpha) - 1)``."""
    return _apply(more.CELU(alpha=alpha), x)


def hard_shrink(x, threshold=0.5):
    """``x if |x| > threshold else 0``."""
    return _apply(more.HardShrink(threshold=threshold), x)


def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above it, ``x + threshold`` below ``-threshold``, else 0."""
    return _apply(more.SoftShrink(threshold=threshold), x)


def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return _apply(more.HardTanh(), x)


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``."""
    return _apply(more.LogSigmoid(), x)


def sparse_plus(x):
    """0 below -1, ``(x + 1)**2 / 4`` between -1 and 1, ``x`` above 1."""
    return _apply(more.SparsePlus(), x)


def sparse_sigmoid(x):
    """``clip((x + 1) / 2, 0, 1)``."""
    return _apply(more.SparseSigmoid(), x)


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``."""
    return _apply(more.Squareplus(b=b), x)


def tanh_shrink(x):
    """``x - tanh(x)``."""
    return _apply(more.TanhShrink(), x)


def threshold(x, threshold, default_value):
    """``x if x > threshold else default_value``."""
    return _apply(more.Threshold(threshold, default_value), x)


def sparsemax(x, axis=-1):
    """The point of the probability simplex nearest ``x`` along ``axis``: a softmax whose
    small entries are exactly 0."""
    return _along(more.Sparsemax(), x, axis)


def glu(x, axis=-1):
    """The gated linear unit: ``x`` split in two halves ``a, b`` along ``axis``, then
    ``a * sigmoid(b)``: the output has half as many entries along ``axis``."""
    if is_symbolic(x):
        from glassnet.engine.layers.operation import apply
        return apply("glu", (x,), {"axis": axis})
    x = x if is_value(x) else np.asarray(x)
    size = x.shape[axis]
    if size % 2:
        raise ValueError(f"glu: the size along axis {axis} must be even, got shape {tuple(x.shape)}")
    x = np.moveaxis(x, axis, -1)
    gated = x[..., :size // 2] * sigmoid(x[..., size // 2:])
    return np.moveaxis(gated, -1, axis)


_FUNCTIONS = {name: globals()[name] for name in (
    "relu", "leaky_relu", "relu6", "elu", "selu", "gelu", "silu", "swish", "softplus",
    "softsign", "sigmoid", "hard_sigmoid", "hard_silu", "hard_swish", "tanh", "mish",
    "exponential", "linear", "softmax", "log_softmax",
    "celu", "glu", "hard_shrink", "soft_shrink", "hard_tanh", "log_sigmoid", "sparse_plus", "sparse_sigmoid",
    "squareplus", "tanh_shrink", "threshold", "sparsemax")}


def get(identifier):
    """The function named ``identifier`` (``"relu"`` -> :func:`relu`); None gives :func:`linear`;
    a function is returned as it is."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in _FUNCTIONS:
        return _FUNCTIONS[identifier]
    raise ValueError(f"unknown activation {identifier!r}; known: {', '.join(sorted(_FUNCTIONS))}")


def serialize(activation):
    """The name of one of these functions (Keras writes the name too)."""
    name = getattr(activation, "__name__", None)
    if _FUNCTIONS.get(name) is not activation:
        raise ValueError(f"{activation!r} is not one of glassnet.activations' functions")
    return name


def deserialize(name):
    """The function called ``name``."""
    return get(name)


__all__ = sorted(_FUNCTIONS) + ["deserialize", "get", "serialize"]
