"""More gradient rules for :mod:`glassnet.engine.autodiff`: the NumPy functions custom layers use
beyond the basic ones (``ops.einsum``, ``ops.cumsum``, ``ops.tril``, ``ops.pad``, ``ops.tile``,
``ops.take_along_axis``, ``ops.logaddexp``...). ``np.arctan`` and ``np.sort`` stay without
one: glassnet's examples of math it refuses (and a loss differentiates numerically).

For an output gradient ``g``::

    c = einsum("ij,jk->ik", a, b)     da = einsum("ik,jk->ij", g, b)   (g in c's place, a's letters out)
    c = cumsum(a, k)                  da = the sum of g from each entry to the end along k
    c = prod(a, k)                    da_i = g * (product of the other entries)
    c = tril(a) / triu(a)             da = tril(g) / triu(g)
    c = pad(a) / flip(a) / roll(a)    da = g cut back / flipped back / rolled back
    c = tile(a) / repeat(a)           da = the sum of g over the copies of each entry
    c = take_along_axis(a, i, k)      da = g added where it was taken from
    c = arcsin(a)                     da = g / sqrt(1 - a**2)    (and the other functions below)

``tensordot``, ``outer``, ``ravel`` and ``split`` are made of recorded reshapes, products
and slices, so their gradients are those.
"""

import math

import numpy as np

from glassnet.engine.autodiff import CannotDifferentiate, _binary, _unary, data_of, lift, record


# -- einsum ----------------------------------------------------------------------------------
def _einsum(subscripts, *operands, **unused):
    """Each operand's gradient is an einsum of ``g`` with the other operands, giving that
    operand's letters; a letter only that operand has (summed away) is broadcast back."""
    if not isinstance(subscripts, str):
        raise CannotDifferentiate("glassnet differentiates np.einsum only with a subscripts string")
    values = [lift(x) for x in operands]
    inputs, _, output = subscripts.replace(" ", "").partition("->")
    terms = inputs.split(",")
    if not _:                                         # implicit output: the letters seen once, sorted
        letters = inputs.replace(",", "").replace(".", "")
        output = ("..." if "..." in inputs else "") + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if any(len(set(t.replace(".", ""))) != len(t.replace(".", "")) for t in terms):
        raise CannotDifferentiate("glassnet has no gradient for np.einsum with a letter repeated in one operand")
    c = np.einsum(subscripts, *[v.data for v in values])

    def backward(g):
        grads = []
        for k, (term, value) in enumerate(zip(terms, values)):
            others = [t for i, t in enumerate(terms) if i != k]
            seen = set(output + "".join(others))
            kept = "".join(ch for ch in term if ch == "." or ch in seen)
            summed = "..." not in kept and "..." in ",".join([output] + others)   # the others' "..." summed away
            grad = np.einsum(",".join([output] + others) + "->" + ("..." if summed else "") + kept, g,
                             *[v.data for i, v in enumerate(values) if i != k])
            grad = grad.sum(axis=tuple(range(grad.ndim - len(kept)))) if summed else grad
            grads.append(_broadcast_letters(grad, term, kept, value.shape))
        return grads
    return record(c, values, backward)


def _broadcast_letters(grad, term, kept, shape):
    """``grad`` (letters ``kept``) spread over the letters of ``term`` it lacks, to ``shape``."""
    if kept == term:
        return grad
    body = term.replace("...", "")
    lead = len(shape) - len(body)                     # the axes "..." stands for
    axes = [lead + i for i, ch in enumerate(body) if ch not in kept]
    if "..." in term and term.index("...") > 0:
        raise CannotDifferentiate("glassnet differentiates np.einsum with '...' only at the front")
    return np.broadcast_to(np.expand_dims(grad, axes), shape)


# -- along an axis -------------------------------------------------------------------------------
def _cumsum(a, axis=None, dtype=None, out=None):
    a = lift(a)
    flat = axis is None
    c = np.cumsum(a.data, axis=axis)

    def backward(g):
        along = 0 if flat else axis
        grad = np.flip(np.cumsum(np.flip(g, along), axis=along), along)
        return (grad.reshape(a.shape),)
    return record(c, (a,), backward)


def _prod(a, axis=None, keepdims=False, dtype=None, out=None, **unused):
    """``da_i = g * prod_{j != i} a_j``, from the products to the left and right of each entry
    (so a zero among the entries is no division by zero)."""
    a = lift(a)
    axes = tuple(range(a.ndim)) if axis is None else ((axis,) if np.ndim(axis) == 0 else tuple(axis))
    axes = tuple(x % a.ndim for x in axes)
    c = np.prod(a.data, axis=axes, keepdims=keepdims)

    def backward(g):
        rest = [i for i in range(a.ndim) if i not in axes]
        moved = np.transpose(a.data, rest + list(axes))
        rows = moved.reshape(-1, int(np.prod([a.shape[i] for i in axes], dtype=int)))   # (others, reduced)
        ones = np.ones_like(rows[:, :1])
        left = np.cumprod(np.concatenate([ones, rows[:, :-1]], axis=1), axis=1)
        right = np.cumprod(np.concatenate([ones, rows[:, :0:-1]], axis=1), axis=1)[:, ::-1]
        others = (left * right).reshape(moved.shape)
        others = np.transpose(others, np.argsort(rest + list(axes)))
        g = g if keepdims else np.expand_dims(g, axes)
        return (g * others,)
    return record(c, (a,), backward)


def _triangle(function):
    def rule(m, k=0):
        m = lift(m)
        return record(function(m.data, k), (m,), lambda g: (function(g, k),))
    return rule


def _flip(m, axis=None):
    m = lift(m)
    return record(np.flip(m.data, axis), (m,), lambda g: (np.flip(g, axis),))


def _roll(a, shift, axis=None):
    a = lift(a)
    back = -np.asarray(shift)
    return record(np.roll(a.data, shift, axis), (a,), lambda g: (np.roll(g, back, axis),))


def _tile(A, reps):
    """Each entry of ``A`` appears once in every tile: its gradient is the sum over the tiles."""
    a = lift(A)
    c = np.tile(a.data, reps)
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    ndim = max(a.ndim, len(reps))
    shape = (1,) * (ndim - a.ndim) + a.shape
    reps = (1,) * (ndim - len(reps)) + reps

    def backward(g):
        split = g.reshape([n for pair in zip(reps, shape) for n in pair])       # (r0, s0, r1, s1, ...)
        return (split.sum(axis=tuple(range(0, 2 * ndim, 2))).reshape(a.shape),)
    return record(c, (a,), backward)


def _repeat(a, repeats, axis=None):
    a = lift(a)
    c = np.repeat(a.data, repeats, axis=axis)
    along = 0 if axis is None else axis % a.ndim
    size = a.size if axis is None else a.shape[along]
    sources = np.repeat(np.arange(size), repeats)               # where each output entry came from

    def backward(g):
        grad = np.zeros((size,) + (() if axis is None else tuple(np.delete(a.shape, along))), dtype=g.dtype)
        np.add.at(grad, sources, np.moveaxis(g, along, 0))
        return (grad.reshape(a.shape) if axis is None else np.moveaxis(grad, 0, along),)
    return record(c, (a,), backward)


def _take_along_axis(arr, indices, axis=-1):
    a = lift(arr)
    indices = np.asarray(data_of(indices)).astype(np.intp)
    if axis is None:
        raise CannotDifferentiate("glassnet differentiates np.take_along_axis only along an axis")
    c = np.take_along_axis(a.data, indices, axis=axis)

    def backward(g):
        grad = np.zeros(a.shape, dtype=g.dtype)
        where = list(np.indices(indices.shape, sparse=True))
        where[axis % a.ndim] = indices
        np.add.at(grad, tuple(where), g)                     # taken twice: both gradients
        return (grad,)
    return record(c, (a,), backward)


# -- made of recorded operations -----------------------------------------------------------------
def _tensordot(a, b, axes=2):
    """``tensordot`` as a transpose, a reshape and one matmul, all recorded."""
    a, b = lift(a), lift(b)
    if np.ndim(axes) == 0:
        axes = (list(range(a.ndim - axes, a.ndim)), list(range(axes)))
    summed_a = [x % a.ndim for x in np.atleast_1d(axes[0])]
    summed_b = [x % b.ndim for x in np.atleast_1d(axes[1])]
    free_a = [i for i in range(a.ndim) if i not in summed_a]
    free_b = [i for i in range(b.ndim) if i not in summed_b]
    inner = int(np.prod([a.shape[i] for i in summed_a], dtype=int))
    left = np.reshape(np.transpose(a, free_a + summed_a), (-1, inner))
    right = np.reshape(np.transpose(b, summed_b + free_b), (inner, -1))
    return np.reshape(left @ right, [a.shape[i] for i in free_a] + [b.shape[i] for i in free_b])


def _outer(a, b, out=None):
    return np.reshape(a, (-1, 1)) * np.reshape(b, (1, -1))


def _ravel(a, order="C"):
    return np.reshape(a, -1)


def _split(ary, indices_or_sections, axis=0):
    """The pieces as recorded slices of ``ary``."""
    a = lift(ary)
    bounds = np.split(np.arange(a.shape[axis]), indices_or_sections)
    lead = (slice(None),) * (axis % a.ndim)
    return [a[lead + (slice(int(piece[0]) if len(piece) else 0, int(piece[-1]) + 1 if len(piece) else 0),)]
            for piece in bounds]


LN2, LN10 = math.log(2), math.log(10)
UFUNCS = {
    np.arcsin: _unary(np.arcsin, lambda g, a, c: g / np.sqrt(1 - a * a)),
    np.arccos: _unary(np.arccos, lambda g, a, c: -g / np.sqrt(1 - a * a)),
    np.tan: _unary(np.tan, lambda g, a, c: g * (1 + c * c)),
    np.arctanh: _unary(np.arctanh, lambda g, a, c: g / (1 - a * a)),
    np.arcsinh: _unary(np.arcsinh, lambda g, a, c: g / np.sqrt(a * a + 1)),
    np.log2: _unary(np.log2, lambda g, a, c: g / (a * LN2)),
    np.log10: _unary(np.log10, lambda g, a, c: g / (a * LN10)),
    np.exp2: _unary(np.exp2, lambda g, a, c: g * c * LN2),
    np.cbrt: _unary(np.cbrt, lambda g, a, c: g / (3 * c * c)),
    # d/da log(e^a + e^b) = e^a / (e^a + e^b) = exp(a - c)
    np.logaddexp: _binary(np.logaddexp, lambda g, a, b, c: (g * np.exp(a - c), g * np.exp(b - c))),
    np.arctan2: _binary(np.arctan2, lambda g, a, b, c: (g * b / (a * a + b * b), -g * a / (a * a + b * b))),
}

FUNCTIONS = {"einsum": _einsum, "cumsum": _cumsum, "prod": _prod, "tril": _triangle(np.tril),
             "triu": _triangle(np.triu), "flip": _flip, "roll": _roll, "tile": _tile, "repeat": _repeat,
             "take_along_axis": _take_along_axis, "tensordot": _tensordot, "outer": _outer,
             "ravel": _ravel, "split": _split}
