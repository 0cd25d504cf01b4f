"""Automatic differentiation for the math you write yourself: micrograd's ``Value``, for arrays.

Every glassnet layer knows its own backward pass. But Keras programs also do math of their
own, in a custom layer's ``call()``, in a ``Lambda`` or in a loss function::

    class Linear(layers.Layer):                 # keras.io's guide to making layers
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 32))
            self.b = self.add_weight(shape=(32,), initializer="zeros")

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

To train ``Linear``, glassnet needs ``dL/dw`` and ``dL/db`` from ``dL/d(output)``. It gets
them the way TensorFlow and PyTorch do, by *recording*: the input and the weights are
wrapped in a :class:`Value`, an array that remembers how it was made. Each operation on
Values (``ops.matmul``, ``+``, ``ops.exp``, ``ops.sum``, a layer called inside ``call``)
computes its result with NumPy as usual and keeps, beside it, its inputs and a small
function that turns the gradient of its result into the gradients of its inputs (the
chain rule, one operation at a time). :func:`backpropagate` then walks the record
backwards from the output, in the reverse of the order it was made.

The rules, for an output gradient ``g`` (``g`` has the output's shape)::

    c = a + b        dL/da = g                 dL/db = g
    c = a * b        dL/da = g * b             dL/db = g * a
    c = a / b        dL/da = g / b             dL/db = -g * a / b**2
    c = a @ b        dL/da = g @ b.T           dL/db = a.T @ g
    c = exp(a)       dL/da = g * c
    c = sum(a, k)    dL/da = g, copied back along the summed axis k
    c = max(a, k)    dL/da = g where a was the maximum (shared between ties), else 0

When ``a`` was *broadcast* (a bias of shape ``(U,)`` added to a batch ``(N, U)``), it was
used once for each of the ``N`` rows, so its gradient is the sum over them
(:func:`unbroadcast`).

NumPy itself calls into this module: a Value answers NumPy's two hooks for "an array-like
of another library" (``__array_ufunc__`` for ``np.exp``, ``np.add``, ``np.matmul``...;
``__array_function__`` for ``np.sum``, ``np.concatenate``, ``np.where``...), so the NumPy
functions that ``glassnet.ops`` hands out record themselves when given a Value. A function
with no rule here stops with an error that names it: glassnet never guesses a gradient.
"""

import numpy as np


class CannotDifferentiate(TypeError):
    """The recorded math used something :mod:`autodiff` has no gradient rule for."""


class Value:
    """An array that remembers how it was computed, so its gradient can flow back.

    ``data``: the array. ``grad``: after :func:`backpropagate`, ``dL/d(data)`` for a Value
    that needs one (an input or a weight; None for constants). Arithmetic, indexing and
    NumPy's functions on a Value give a Value.
    """

    # NumPy asks a Value, not the array beside it, what ``array + value`` means.
    __array_priority__ = 1000

    def __init__(self, data, parents=(), backward=None, needs_grad=False):
        self.data = np.asarray(data)
        self.parents = parents        # the Values it was computed from
        self.backward = backward      # g -> the gradients of the parents, in order
        self.needs_grad = needs_grad  # does a gradient have to reach it?
        self.grad = None

    # -- what it looks like: an array's attributes, read from the data ------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)

    def __len__(self):
        return len(self.data)

    def numpy(self):
        return self.data

    def __repr__(self):
        return f"Value(shape={self.shape}, dtype={self.dtype})"

    def __array__(self, dtype=None, copy=None):
        # Inside a layer's call(), np.asarray(value) would drop the record, and the gradient
        # with it, silently. In a GradientTape's block (or after it), reading a value (a
        # print, float(loss)) is what TensorFlow allows too.
        if not _in_a_call():          # np.array(value) copies, as NumPy's does: writing to it can't
            data = self.data if dtype is None else self.data.astype(dtype)       # change the record
            return data.copy() if copy and data is self.data else data
        raise CannotDifferentiate(
            "a recorded value was turned into a plain NumPy array (np.asarray, np.array, float(), a "
            "library outside glassnet.ops), so glassnet could not follow its gradient; compute with "
            "glassnet.ops (or NumPy's own functions) on it instead")

    def __float__(self):
        return float(self.__array__())

    def __format__(self, spec):
        """``f"{loss:.2f}"`` on a recorded scalar (keras.io's GAN loop), as on a TensorFlow tensor."""
        data = self.__array__()
        return format(data.item() if data.ndim == 0 or data.size == 1 else data, spec)

    def __bool__(self):
        if not _in_a_call():
            return bool(self.data)
        raise CannotDifferentiate("a recorded value was used in an `if`: its gradient can't follow a "
                                  "branch on the data; use ops.where(condition, a, b) instead")

    # -- arithmetic: each operator is NumPy's ufunc, recorded below -----------------------
    def __add__(self, other): return np.add(self, other)
    def __radd__(self, other): return np.add(other, self)
    def __sub__(self, other): return np.subtract(self, other)
    def __rsub__(self, other): return np.subtract(other, self)
    def __mul__(self, other): return np.multiply(self, other)
    def __rmul__(self, other): return np.multiply(other, self)
    def __truediv__(self, other): return np.true_divide(self, other)
    def __rtruediv__(self, other): return np.true_divide(other, self)
    def __pow__(self, other): return np.power(self, other)
    def __rpow__(self, other): return np.power(other, self)
    def __matmul__(self, other): return np.matmul(self, other)
    def __rmatmul__(self, other): return np.matmul(other, self)
    def __neg__(self): return np.negative(self)
    def __abs__(self): return np.absolute(self)
    # Comparisons have no gradient: they give plain boolean arrays (for ops.where, masks).
    def __gt__(self, other): return np.greater(self, other)
    def __ge__(self, other): return np.greater_equal(self, other)
    def __lt__(self, other): return np.less(self, other)
    def __le__(self, other): return np.less_equal(self, other)
    def __eq__(self, other): return np.equal(self, other)
    def __ne__(self, other): return np.not_equal(self, other)
    __hash__ = object.__hash__       # still usable as a key (by identity), as before __eq__

    def __getitem__(self, index):
        return _getitem(self, index)

    # The array methods a call() reaches for.
    T = property(lambda self: np.transpose(self))
    def sum(self, axis=None, keepdims=False): return np.sum(self, axis=axis, keepdims=keepdims)
    def mean(self, axis=None, keepdims=False): return np.mean(self, axis=axis, keepdims=keepdims)
    def max(self, axis=None, keepdims=False): return np.max(self, axis=axis, keepdims=keepdims)
    def min(self, axis=None, keepdims=False): return np.min(self, axis=axis, keepdims=keepdims)
    def reshape(self, *shape): return np.reshape(self, shape[0] if len(shape) == 1 else shape)
    def transpose(self, *axes): return np.transpose(self, axes or None)
    def astype(self, dtype): return _astype(self, dtype)

    # -- NumPy's hooks: np.exp(value), np.sum(value, axis=1), ... ------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs.get("out") is not None:
            raise CannotDifferentiate(f"np.{ufunc.__name__}.{method} can't be recorded")
        kwargs.pop("dtype", None)
        if ufunc in NO_GRADIENT:       # comparisons, sign, floor...: plain arrays, no gradient
            return ufunc(*[data_of(x) for x in inputs], **kwargs)
        rule = UFUNCS.get(ufunc)
        if rule is None or kwargs:
            raise CannotDifferentiate(f"glassnet has no gradient for np.{ufunc.__name__}"
                                      f"{' with ' + ', '.join(kwargs) if kwargs else ''}; {_SUPPORTED}")
        return rule(*inputs)

    def __array_function__(self, function, types, args, kwargs):
        name = function.__name__
        if name in QUERIES:                      # np.shape(value), np.ndim(value): no record needed
            return function(*[data_of(a) for a in args], **kwargs)
        if name in NO_GRADIENT_FUNCTIONS:        # np.round, np.argmax: plain arrays, no gradient
            return function(*[data_of(a) for a in args], **kwargs)
        rule = FUNCTIONS.get(name)
        if rule is None:
            raise CannotDifferentiate(f"glassnet has no gradient for np.{name}; {_SUPPORTED}")
        return rule(*args, **kwargs)


def _in_a_call():
    """True while a layer's ``call()`` is being recorded (not merely a GradientTape's block)."""
    from glassnet.engine.recording import _active
    return bool(_active) and not _active[-1].tape


def data_of(x):
    """The array inside a Value, or ``x`` itself."""
    return x.data if isinstance(x, Value) else x


def lift(x):
    """``x`` as a Value: a Value as it is, anything else as a constant (no gradient)."""
    return x if isinstance(x, Value) else Value(x)


def record(data, parents, backward):
    """The Value ``data``, computed from ``parents``; ``backward(g)`` gives their gradients.
    A result that no gradient has to reach keeps no record (constants in, constant out)."""
    parents = tuple(parents)
    if not any(p.needs_grad for p in parents):
        return Value(data)
    return Value(data, parents, backward, needs_grad=True)


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: the gradient of an array that was broadcast up to
    ``grad.shape`` (each copy of it was used, so each contributes)."""
    if grad.shape == tuple(shape):
        return grad
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))        # the axes NumPy added in front
    kept = tuple(i for i, d in enumerate(shape) if d == 1 and grad.shape[i] != 1)
    return grad.sum(axis=kept, keepdims=True) if kept else grad      # the axes of size 1 it stretched


def backpropagate(output, grad, more=(), keep=()):
    """Fill ``.grad`` of every Value ``output`` was computed from that needs one, given
    ``grad = dL/d(output)`` (and ``more``: other ``(value, gradient)`` pairs that reach the
    loss, such as a layer's ``add_loss`` terms: each step still runs once, its gradient summed).
    Only the leaves (inputs, weights) keep theirs, and the computed Values whose ids are in
    ``keep`` (``tape.gradient(loss, h)`` for an intermediate ``h``: its gradient summed over
    every use of it).

    The record is a graph: each Value points to its parents. Walking it in reverse
    topological order (every Value after all the Values computed from it) means a Value's
    gradient is complete, summed over every use, before it is passed further back.
    """
    roots = [(output, grad), *more]
    order, seen, stack = [], set(), [(value, False) for value, _ in roots]
    while stack:                                   # depth first, without Python's recursion limit
        value, expanded = stack.pop()
        if expanded:
            order.append(value)
            continue
        if id(value) in seen or not value.needs_grad:
            continue
        seen.add(id(value))
        stack.append((value, True))
        stack.extend((p, False) for p in value.parents)
    grads = {}
    for value, g in roots:
        g = np.broadcast_to(np.asarray(g, dtype=value.dtype), value.shape)
        grads[id(value)] = g if id(value) not in grads else grads[id(value)] + g
    for value in reversed(order):
        g = grads.pop(id(value), None)
        if g is None:
            continue
        if id(value) in keep:
            value.grad = g
        if value.backward is None:                 # a leaf: an input or a weight
            value.grad = g if value.grad is None else value.grad + g
            continue
        for parent, pg in zip(value.parents, value.backward(g)):
            if pg is None or not parent.needs_grad:
                continue
            pg = unbroadcast(np.asarray(pg), parent.shape).astype(parent.dtype, copy=False)
            grads[id(parent)] = pg if id(parent) not in grads else grads[id(parent)] + pg


# -- the rules, one small function per operation -----------------------------------------
def _binary(forward, gradients):
    """A rule for ``c = forward(a, b)``; ``gradients(g, a, b, c)`` -> (dL/da, dL/db)."""
    def rule(a, b):
        x, y = data_of(a), data_of(b)      # a Python number stays one: 2 * x keeps x's float32
        c = forward(x, y)
        return record(c, (lift(a), lift(b)), lambda g: gradients(g, x, y, c))
    return rule


def _unary(forward, gradient):
    """A rule for ``c = forward(a)``; ``gradient(g, a, c)`` -> dL/da."""
    def rule(a):
        a = lift(a)
        c = forward(a.data)
        return record(c, (a,), lambda g: (gradient(g, a.data, c),))
    return rule


def _matmul_grads(g, a, b, c):
    a, b = np.asarray(a), np.asarray(b)
    # NumPy's matmul treats a 1-D operand as a row (on the left) or a column (on the right).
    a2 = a[np.newaxis] if a.ndim == 1 else a
    b2 = b[:, np.newaxis] if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2)
    if b.ndim == 1:
        g2 = np.expand_dims(g2, -1)
    da = g2 @ np.swapaxes(b2, -1, -2)
    db = np.swapaxes(a2, -1, -2) @ g2
    return (da.reshape(a.shape) if a.ndim == 1 else da), (db.reshape(b.shape) if b.ndim == 1 else db)


def _power_grads(g, a, b, c):
    da = g * b * np.power(a, b - 1)
    with np.errstate(divide="ignore", invalid="ignore"):    # log(a) for a <= 0: only if b needs it
        db = g * c * np.log(np.where(a > 0, a, 1))
    return da, db


UFUNCS = {
    np.add: _binary(np.add, lambda g, a, b, c: (g, g)),
    np.subtract: _binary(np.subtract, lambda g, a, b, c: (g, -g)),
    np.multiply: _binary(np.multiply, lambda g, a, b, c: (g * b, g * a)),
    np.true_divide: _binary(np.true_divide, lambda g, a, b, c: (g / b, -g * a / (b * b))),
    np.power: _binary(np.power, _power_grads),
    np.float_power: _binary(np.float_power, _power_grads),
    np.matmul: _binary(np.matmul, _matmul_grads),
    # maximum/minimum: the gradient goes to the larger (smaller) one; a tie goes to the first
    np.maximum: _binary(np.maximum, lambda g, a, b, c: (g * (a >= b), g * (a < b))),
    np.minimum: _binary(np.minimum, lambda g, a, b, c: (g * (a <= b), g * (a > b))),
    np.negative: _unary(np.negative, lambda g, a, c: -g),
    np.positive: _unary(np.positive, lambda g, a, c: g),
    np.exp: _unary(np.exp, lambda g, a, c: g * c),
    np.expm1: _unary(np.expm1, lambda g, a, c: g * (c + 1)),
    np.log: _unary(np.log, lambda g, a, c: g / a),
    np.log1p: _unary(np.log1p, lambda g, a, c: g / (1 + a)),
    np.sqrt: _unary(np.sqrt, lambda g, a, c: g / (2 * c)),
    np.square: _unary(np.square, lambda g, a, c: 2 * g * a),
    np.reciprocal: _unary(np.reciprocal, lambda g, a, c: -g * c * c),
    np.absolute: _unary(np.absolute, lambda g, a, c: g * np.sign(a)),
    np.tanh: _unary(np.tanh, lambda g, a, c: g * (1 - c * c)),
    np.sinh: _unary(np.sinh, lambda g, a, c: g * np.cosh(a)),
    np.cosh: _unary(np.cosh, lambda g, a, c: g * np.sinh(a)),
    np.sin: _unary(np.sin, lambda g, a, c: g * np.cos(a)),
    np.cos: _unary(np.cos, lambda g, a, c: -g * np.sin(a)),
}

NO_GRADIENT = {np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
               np.sign, np.floor, np.ceil, np.rint, np.isfinite, np.isnan, np.isinf,
               np.logical_and, np.logical_or, np.logical_not}


def _axes(axis, ndim):
    """``axis`` (None, an int or a tuple) as a tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(int(a) % ndim for a in axis)


def _spread(g, shape, axis, keepdims):
    """A reduction's output gradient ``g`` copied back over the reduced axes of ``shape``."""
    if not keepdims:
        g = np.expand_dims(g, _axes(axis, len(shape)))
    return np.broadcast_to(g, shape)


def _sum(a, axis=None, keepdims=False, dtype=None, **unused):
    a = lift(a)
    return record(np.sum(a.data, axis=axis, keepdims=keepdims), (a,),
                  lambda g: (_spread(g, a.shape, axis, keepdims),))


def _mean(a, axis=None, keepdims=False, dtype=None, **unused):
    a = lift(a)
    count = a.size // max(np.sum(a.data, axis=axis).size, 1) if a.size else 1
    return record(np.mean(a.data, axis=axis, keepdims=keepdims), (a,),
                  lambda g: (_spread(g, a.shape, axis, keepdims) / count,))


def _extreme(function):
    def rule(a, axis=None, keepdims=False, **unused):
        a = lift(a)
        c = function(a.data, axis=axis, keepdims=True)
        winners = a.data == c                     # where the maximum (minimum) was; ties share

        def backward(g):
            g = g if keepdims else np.expand_dims(g, _axes(axis, a.ndim))
            return (g * winners / winners.sum(axis=axis, keepdims=True),)
        return record(c if keepdims else np.squeeze(c, axis=_axes(axis, a.ndim)), (a,), backward)
    return rule


def _var(a, axis=None, keepdims=False, ddof=0, **unused):
    a = lift(a)
    deviation = a - np.mean(a, axis=axis, keepdims=True)
    squares = np.sum(deviation * deviation, axis=axis, keepdims=keepdims)
    count = a.size // max(np.sum(a.data, axis=axis).size, 1)
    return squares / (count - ddof)


def _std(a, axis=None, keepdims=False, ddof=0, **unused):
    return np.sqrt(_var(a, axis=axis, keepdims=keepdims, ddof=ddof))


def _norm(x, ord=None, axis=None, keepdims=False):
    if ord not in (None, 2, "fro") or (ord == 2 and axis is None):
        raise CannotDifferentiate(f"glassnet differentiates np.linalg.norm only as the Euclidean norm, "
                                  f"not ord={ord!r}")
    return np.sqrt(np.sum(np.square(x), axis=axis, keepdims=keepdims))


def _reshape(a, newshape=None, order="C", shape=None, **unused):
    a = lift(a)
    return record(np.reshape(a.data, shape if newshape is None else newshape), (a,),
                  lambda g: (np.reshape(g, a.shape),))


def _transpose(a, axes=None):
    a = lift(a)
    c = np.transpose(a.data, axes)
    back = np.argsort(axes) if axes is not None else None
    return record(c, (a,), lambda g: (np.transpose(g, back),))


def _swapaxes(a, axis1, axis2):
    a = lift(a)
    return record(np.swapaxes(a.data, axis1, axis2), (a,), lambda g: (np.swapaxes(g, axis1, axis2),))


def _moveaxis(a, source, destination):
    a = lift(a)
    return record(np.moveaxis(a.data, source, destination), (a,),
                  lambda g: (np.moveaxis(g, destination, source),))


def _expand_dims(a, axis):
    a = lift(a)
    return record(np.expand_dims(a.data, axis), (a,), lambda g: (np.reshape(g, a.shape),))


def _squeeze(a, axis=None):
    a = lift(a)
    return record(np.squeeze(a.data, axis), (a,), lambda g: (np.reshape(g, a.shape),))


def _broadcast_to(a, shape, **unused):
    a = lift(a)
    return record(np.broadcast_to(a.data, shape), (a,), lambda g: (g,))   # unbroadcast sums it back


def _concatenate(arrays, axis=0, **unused):
    values = [lift(x) for x in arrays]
    bounds = np.cumsum([v.shape[axis] for v in values])[:-1]
    return record(np.concatenate([v.data for v in values], axis=axis), values,
                  lambda g: np.split(g, bounds, axis=axis))


def _stack(arrays, axis=0, **unused):
    values = [lift(x) for x in arrays]
    c = np.stack([v.data for v in values], axis=axis)
    return record(c, values, lambda g: [np.take(g, i, axis=axis) for i in range(len(values))])


def _where(condition, x=None, y=None):
    if x is None or y is None:
        raise CannotDifferentiate("np.where(condition) with one argument gives indices, not values")
    condition = np.asarray(data_of(condition), dtype=bool)
    c = np.where(condition, data_of(x), data_of(y))
    return record(c, (lift(x), lift(y)),
                  lambda g: (np.where(condition, g, 0), np.where(condition, 0, g)))


def _clip(a, a_min=None, a_max=None, **kwargs):
    a_min, a_max = kwargs.pop("min", a_min), kwargs.pop("max", a_max)
    a = lift(a)
    low = -np.inf if a_min is None else data_of(a_min)
    high = np.inf if a_max is None else data_of(a_max)
    inside = (a.data >= low) & (a.data <= high)
    return record(np.clip(a.data, low, high), (a,), lambda g: (g * inside,))


def _dot(a, b, out=None):
    if np.ndim(data_of(a)) == 0 or np.ndim(data_of(b)) == 0:
        return np.multiply(a, b)
    return np.matmul(a, b)


def _getitem(a, index):
    index = tuple(data_of(i) for i in index) if isinstance(index, tuple) else data_of(index)
    c = a.data[index]

    def backward(g):
        grad = np.zeros(a.shape, dtype=a.dtype)
        np.add.at(grad, index, g)          # add.at: an index listed twice gets both gradients
        return (grad,)
    return record(c, (a,), backward)


def _take(a, indices, axis=None, **unused):
    """``np.take`` (``ops.take``: an embedding's row lookup): each picked entry's gradient goes
    back to where it was picked from, added up where an index is picked twice."""
    a, indices = lift(a), np.asarray(data_of(indices)).astype(np.intp)
    c = np.take(a.data, indices, axis=axis)

    def backward(g):
        grad = np.zeros(a.shape, dtype=a.dtype)
        if axis is None:
            np.add.at(grad.reshape(-1), indices.reshape(-1), np.reshape(g, -1))
        else:
            k, picked = axis % a.ndim, indices.ndim     # g: a's axes before k, the indices', a's after k
            np.add.at(np.moveaxis(grad, k, 0), indices, np.moveaxis(g, list(range(k, k + picked)),
                                                                     list(range(picked))))
        return (grad,)
    return record(c, (a,), backward)


def _astype(a, dtype):
    a = lift(a)
    dtype = np.dtype(dtype)
    if dtype.kind != "f":                  # integers and booleans carry no gradient
        return a.data.astype(dtype)
    return record(a.data.astype(dtype), (a,), lambda g: (g,))


def _zeros_like(a, *args, **kwargs):
    return np.zeros_like(data_of(a), *args, **kwargs)


def _ones_like(a, *args, **kwargs):
    return np.ones_like(data_of(a), *args, **kwargs)


def _copy(a, **unused):
    return lift(a) * 1


FUNCTIONS = {
    "sum": _sum, "mean": _mean, "max": _extreme(np.max), "amax": _extreme(np.max),
    "min": _extreme(np.min), "amin": _extreme(np.min), "var": _var, "std": _std, "norm": _norm,
    "reshape": _reshape, "transpose": _transpose, "swapaxes": _swapaxes, "moveaxis": _moveaxis,
    "expand_dims": _expand_dims, "squeeze": _squeeze, "broadcast_to": _broadcast_to,
    "concatenate": _concatenate, "stack": _stack, "where": _where, "clip": _clip, "dot": _dot,
    "zeros_like": _zeros_like, "ones_like": _ones_like, "copy": _copy, "take": _take,
}

QUERIES = {"shape", "ndim", "size", "result_type"}
NO_GRADIENT_FUNCTIONS = {"round", "around", "argmax", "argmin", "argsort", "isclose", "allclose",
                         "array_equal", "count_nonzero", "nonzero", "any", "all"}

# The linear algebra (inv, det, slogdet, solve, cholesky) has its rules in a file of its own.
from glassnet.engine.autodiff_linalg import RULES as _LINALG  # noqa: E402
FUNCTIONS.update(_LINALG)
NO_GRADIENT_FUNCTIONS.add("matrix_rank")
# ... and so have the other NumPy functions custom layers use (einsum, cumsum, tril, pad, tile, logaddexp...).
from glassnet.engine import autodiff_numpy as _numpy_rules  # noqa: E402
UFUNCS.update(_numpy_rules.UFUNCS)
FUNCTIONS.update(_numpy_rules.FUNCTIONS)

_SUPPORTED = ("it differentiates +, -, *, /, **, @, indexing, and np/ops " +
              ", ".join(sorted({u.__name__ for u in UFUNCS} | set(FUNCTIONS) - {"amax", "amin"})) +
              ", and glassnet's layers and activations")

# The rules for NumPy's array-shuffling functions (pad, roll, split, cumsum, einsum...) live
# in a module of their own, which adds them to FUNCTIONS when imported.
from glassnet.engine import autodiff_arrays  # noqa: E402,F401
