"""``glassnet.ops``: Keras 3's ``keras.ops``, on NumPy arrays.

Keras 3 programs use ``keras.ops`` for the small things around a model::

    predicted = keras.ops.argmax(model.predict(x_test), axis=-1)
    keras.ops.convert_to_numpy(probabilities)

On arrays every function here is NumPy's (Keras's names follow NumPy's, so
``ops.mean``, ``ops.exp``, ``ops.matmul``... are NumPy's own), except that arrays made
from nothing (``ops.ones``, ``ops.arange``...) or from Python numbers are Keras's float32
or int32, not NumPy's 64 bits. On a placeholder (the
Functional API, a traced ``call()`` or ``Lambda``) the ones that are layers become their
layers: the activations (``ops.relu``, ``ops.softmax``...), ``ops.add`` / ``subtract`` /
``multiply`` / ``divide`` (with a number: a Rescaling), ``ops.concatenate`` and
``ops.reshape``. Any other (``ops.mean(x, axis=-1)``, ``ops.exp(x)``, ``x[:, 0]``) is an
:class:`~glassnet.engine.layers.operation.Operation` step of a Functional graph, as Keras 3
draws one; inside a traced ``call()`` or ``Lambda`` it makes that call one recorded step.

In a custom layer's ``call()``, a ``Lambda`` or a loss of your own, they compute on
recorded values, so glassnet can differentiate the math (:mod:`glassnet.engine.autodiff`).
"""

import builtins

import numpy as np

from glassnet.engine import activations_api as _activations
from glassnet.engine.autodiff import Value as _Value
from glassnet.engine.autodiff import data_of as _data_of
from glassnet.engine.symbolic import is_symbolic as _is_symbolic
from glassnet.engine.tensor import as_tensor as _as_tensor
from glassnet.engine.tensor import keras_dtype as _keras_dtype

# The activations: layers on a placeholder, their forward pass on an array.
for _name in ("relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "sigmoid", "tanh",
              "softplus", "softsign", "hard_sigmoid", "softmax", "log_softmax"):
    globals()[_name] = getattr(_activations, _name)


def add(x1, x2):
    return x1 + x2 if _is_symbolic(x1) or _is_symbolic(x2) else np.add(x1, x2)


def subtract(x1, x2):
    return x1 - x2 if _is_symbolic(x1) or _is_symbolic(x2) else np.subtract(x1, x2)


def multiply(x1, x2):
    return x1 * x2 if _is_symbolic(x1) or _is_symbolic(x2) else np.multiply(x1, x2)


def divide(x1, x2):
    return x1 / x2 if _is_symbolic(x1) or _is_symbolic(x2) else np.divide(x1, x2)


true_divide = divide


def concatenate(xs, axis=0):
    """Keras counts the batch axis: on placeholders ``axis=0`` would join batches, which no
    layer does, so it must be another axis there (``-1``: features or channels)."""
    if _is_symbolic(list(xs)):
        from glassnet.engine.layers.merge import Concatenate
        if axis == 0:
            raise ValueError("ops.concatenate on placeholders: axis=0 is the batch axis; join "
                             "along the features with axis=-1")
        return Concatenate(axis=axis)(list(xs))
    return np.concatenate(xs, axis=axis)


def reshape(x, newshape):
    """On a placeholder ``newshape`` includes the batch axis, as in Keras (``(-1, 28, 28, 1)``)."""
    if _is_symbolic(x):
        from glassnet.engine.layers.reshape import Reshape
        shape = tuple(newshape)
        if len(shape) < 2 or shape[0] not in (-1, None):
            raise ValueError(f"ops.reshape on a placeholder: the shape must start with the batch "
                             f"axis, -1 or None (e.g. (-1, 28, 28, 1)), got {newshape!r}")
        return Reshape(shape[1:])(x)
    return np.reshape(x, newshape)


def convert_to_numpy(x):
    return np.asarray(x)


def convert_to_tensor(x, dtype=None):
    """An array that answers ``.numpy()``; Python numbers and lists become float32 or int32,
    as in Keras (a NumPy array keeps its dtype)."""
    if isinstance(x, _Value):
        return x if dtype is None else x.astype(dtype)
    return _as_tensor(np.asarray(x, dtype=dtype or _keras_dtype(x)))


array = convert_to_tensor


# Arrays made from nothing: Keras's float32 by default (NumPy's is float64), and int32 for a
# range of whole numbers.
def ones(shape, dtype=None):
    return np.ones(shape, dtype or np.float32)


def zeros(shape, dtype=None):
    return np.zeros(shape, dtype or np.float32)


def full(shape, fill_value, dtype=None):
    return np.full(shape, fill_value, dtype or np.float32)


def eye(N, M=None, k=0, dtype=None):
    return np.eye(N, M, k, dtype=dtype or np.float32)


def identity(n, dtype=None):
    return np.identity(n, dtype=dtype or np.float32)


def arange(start, stop=None, step=1, dtype=None):
    """``ops.arange(10)`` is int32, ``ops.arange(0.0, 1.0, 0.1)`` float32, as in Keras."""
    if stop is None:                      # arange(n): 0, 1, ..., n - 1
        start, stop = 0, start
    ends = [start, stop, step]
    dtype = dtype or (_keras_dtype(ends) if all(isinstance(v, (int, float)) for v in ends) else None)
    return np.arange(start, stop, step, dtype=dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    return np.linspace(start, stop, num, endpoint=endpoint, retstep=retstep, dtype=dtype or np.float32, axis=axis)


def cast(x, dtype):
    if _is_symbolic(x):
        from glassnet.engine.layers.operation import apply
        return apply("cast", (x, np.dtype(dtype).name), {})
    return x.astype(dtype) if isinstance(x, _Value) else np.asarray(x).astype(dtype)


def one_hot(x, num_classes, axis=-1, dtype="float32"):
    x = np.asarray(x, dtype=np.intp)
    out = np.eye(int(num_classes), dtype=dtype)[x]
    return out if axis == -1 else np.moveaxis(out, -1, axis)


def slice(inputs, start_indices, shape):
    """The block of ``shape`` starting at ``start_indices`` (a size of -1 runs to the end)."""
    index = tuple(builtins.slice(start, None if size == -1 else start + size)
                  for start, size in zip(start_indices, shape))
    return inputs[index]


def rsqrt(x):
    return 1 / np.sqrt(x)


def shape(x):
    """The shape; a placeholder's has None for the batch (and any size left open), as Keras's."""
    return tuple(x.shape) if _is_symbolic(x) else tuple(np.shape(x))


def gelu(x, approximate=True):
    """Keras's ``ops.gelu`` takes the tanh approximation by default (``activations.gelu`` doesn't)."""
    return _activations.gelu(x, approximate=approximate)


def dtype(x):
    """The dtype's name, as Keras gives it: ``"float32"``."""
    return (x.dtype if isinstance(x, _Value) else np.asarray(x).dtype).name


def is_tensor(x):
    """True for what a model gives back (a Tensor) and for placeholders; a NumPy array is
    not one, as in Keras."""
    from glassnet.engine.tensor import Tensor
    return isinstance(x, (Tensor, _Value)) or _is_symbolic(x)


def top_k(x, k, sorted=True):
    """``(values, indices)`` of the ``k`` largest entries along the last axis, largest first."""
    x = np.asarray(x)
    indices = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, indices, axis=-1), indices.astype(np.int32)


def in_top_k(targets, predictions, k):
    """True where the class ``targets`` is among the ``k`` largest ``predictions`` (ties
    count as in, as TensorFlow has it): the top-k accuracy metric's test, as booleans."""
    from glassnet.engine.metrics import _in_top_k
    return _in_top_k(np.asarray(predictions), np.asarray(targets), k).astype(bool)


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` without overflow: the largest value taken out first (a constant:
    the result doesn't depend on which number is taken out, so neither does its gradient)."""
    x = x if isinstance(x, _Value) else np.asarray(x)
    top = np.max(_data_of(x), axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis)


def norm(x, ord=None, axis=None, keepdims=False):
    return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


def moments(x, axes, keepdims=False):
    """``(mean, variance)`` over ``axes``, as batch normalization computes them."""
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else axes
    return np.mean(x, axis=axes, keepdims=keepdims), np.var(x, axis=axes, keepdims=keepdims)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    from glassnet.engine.losses import categorical_crossentropy as loss
    return loss(target, output, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    from glassnet.engine.losses import sparse_categorical_crossentropy as loss
    return loss(target, output, from_logits=from_logits, axis=axis)


def binary_crossentropy(target, output, from_logits=False):
    from glassnet.engine.losses import binary_crossentropy as loss
    return loss(target, output, from_logits=from_logits)


def __getattr__(name):
    """Any other ``ops`` function: NumPy's of the same name (``ops.argmax``, ``ops.mean``...),
    and on placeholders an :class:`~glassnet.engine.layers.operation.Operation` step of the
    model that runs it."""
    function = getattr(np, name, None)
    if name.startswith("_") or not callable(function):
        raise AttributeError(f"glassnet.ops has no {name!r} (it offers NumPy's functions under "
                             f"Keras's names, and the layers' on placeholders)")
    return _placeholders_as_operations(name, function)


def _placeholders_as_operations(name, function):
    """``function``, except that called on placeholders (a Functional model being drawn)
    it becomes an Operation step named ``name``, as Keras 3 makes one of each op."""
    def op(*args, **kwargs):
        if isinstance(kwargs.get("axis"), list):      # Keras takes axis=[1, 2]; NumPy a tuple
            kwargs["axis"] = tuple(kwargs["axis"])
        if args and (_is_symbolic(args[0]) and not isinstance(args[0], (list, tuple))):
            from glassnet.engine.layers.operation import apply
            return apply(name, args, kwargs)
        return function(*args, **kwargs)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = function.__doc__
    return op



# Keras 3's newer activations (and hard_silu), as the ones above.
for _name in ("celu", "glu", "hard_shrink", "soft_shrink", "hard_tanh", "log_sigmoid", "sparse_plus",
              "sparse_sigmoid", "squareplus", "tanh_shrink", "threshold", "sparsemax", "hard_silu", "hard_swish"):
    globals()[_name] = getattr(_activations, _name)


# Keras 3's other ops, in files of their own: the special functions and Fourier transforms
# (ops/math.py), segments, scatter and rearrange (ops/core.py), the loops (ops/control_flow.py)
# and the linear algebra (ops/linalg.py, also ``keras.ops.linalg``). On placeholders, those
# that compute become Operation steps, as NumPy's do.
from glassnet.ops import control_flow as _control_flow  # noqa: E402
from glassnet.ops import core as _core  # noqa: E402
from glassnet.ops import linalg  # noqa: E402
from glassnet.ops import math as _math  # noqa: E402
from glassnet.ops import numpy  # noqa: E402,F401  (keras.ops.numpy: the NumPy-named ops again)

for _module in (_math, _core, linalg):
    for _name in _module.__all__:
        if _name not in ("norm", "custom_gradient", "jvp"):
            globals()[_name] = _placeholders_as_operations(_name, getattr(_module, _name))
for _name in _control_flow.__all__:
    globals()[_name] = getattr(_control_flow, _name)
custom_gradient, jvp = _math.custom_gradient, _math.jvp


# keras.ops.nn and keras.ops.image: their own files; the nn functions are ops' own too, as in
# Keras (``ops.conv``, ``ops.ctc_loss``...), and ``ops.image.resize`` stays under image.
# On a placeholder each is an Operation step of the model (``ops.image.resize(inputs, (14, 14))``).
from glassnet.ops import image, nn  # noqa: E402
for _module, _prefix in ((nn, ""), (image, "image.")):
    for _name in _module.__all__:
        setattr(_module, _name, _placeholders_as_operations(_prefix + _name, getattr(_module, _name)))
for _name in nn.__all__:
    globals()[_name] = getattr(nn, _name)
from glassnet.ops import spectral  # noqa: E402  (keras.ops.stft and istft: Keras's math ops)
stft, istft = spectral.stft, spectral.istft
