"""``glassnet.ops``: Keras 3's ``keras.ops``, on NumPy arrays.

Keras 3 programs use ``keras.ops`` for the small things around a model::

    predicted = keras.ops.argmax(model.predict(x_test), axis=-1)
    keras.ops.convert_to_numpy(probabilities)

On arrays every function here is NumPy's (Keras's names follow NumPy's, so
``ops.mean``, ``ops.exp``, ``ops.matmul``... are NumPy's own). On a placeholder (the
Functional API, a traced ``call()`` or ``Lambda``) the ones that are layers become their
layers: the activations (``ops.relu``, ``ops.softmax``...), ``ops.add`` / ``subtract`` /
``multiply`` / ``divide`` (with a number: a Rescaling), ``ops.concatenate`` and
``ops.reshape``; anything else says that a placeholder has no values yet.

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
    """An array that answers ``.numpy()``; Python numbers become float32 or int32, as in Keras."""
    if isinstance(x, _Value):
        return x if dtype is None else x.astype(dtype)
    return _as_tensor(np.asarray(x, dtype=dtype or _keras_dtype(x)))


array = convert_to_tensor


# The arrays ops makes from nothing are float32 unless told otherwise (NumPy's are float64),
# and a range of whole numbers is int32, as Keras makes them.
def zeros(shape, dtype="float32"):
    return np.zeros(shape, dtype=dtype)


def ones(shape, dtype="float32"):
    return np.ones(shape, dtype=dtype)


def full(shape, fill_value, dtype="float32"):
    return np.full(shape, fill_value, dtype=dtype)


def eye(N, M=None, k=0, dtype="float32"):
    return np.eye(N, M, k, dtype=dtype)


def identity(n, dtype="float32"):
    return np.identity(n, dtype=dtype)


def arange(start, stop=None, step=1, dtype=None):
    values = np.arange(start, stop, step) if stop is not None else np.arange(start, step=step)
    return values.astype(dtype or _keras_dtype(values.tolist()))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype="float32", axis=0):
    values, step = np.linspace(start, stop, num, endpoint=endpoint, retstep=True, axis=axis)
    values = values.astype(dtype)
    return (values, step) if retstep else values


def cast(x, dtype):
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
    return tuple(np.shape(x))


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
    """Any other ``ops`` function: NumPy's of the same name (``ops.argmax``, ``ops.mean``...)."""
    function = getattr(np, name, None)
    if name.startswith("_") or not callable(function):
        raise AttributeError(f"glassnet.ops has no {name!r} (it offers NumPy's functions under "
                             f"Keras's names, and the layers' on placeholders)")
    return function
