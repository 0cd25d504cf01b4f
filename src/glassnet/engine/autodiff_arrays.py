"""Gradient rules for NumPy's array-shuffling functions, so that recorded math
(:mod:`glassnet.engine.autodiff`) can pad (every mode), sort, split unevenly, broadcast,
multiply cumulatively and difference its Values, as TensorFlow programs do inside a
GradientTape (roll, flip, repeat, tile, split, cumsum and ``einsum`` are
:mod:`glassnet.engine.autodiff_numpy`'s)::

    mean, logvar = tf.split(encoder(x), num_or_size_splits=2, axis=1)
    padded = tf.pad(images, [[0, 0], [2, 2], [2, 2], [0, 0]], mode="REFLECT")

Most of these functions only *move* entries: each entry of the result is a copy of one entry
of the input (or a constant). Their gradient is the same move run backwards: number the
input's entries ``0, 1, ..., n - 1`` (an index array of the input's shape), run the function
on the numbers to learn where each result entry came from, and add the result's gradient
back onto those places (``np.bincount``, so an entry copied twice gets both gradients)::

    c = f(a)          where = f(arange(a.size).reshape(a.shape))
    dL/da[k] = sum of g[i] over every i with where[i] == k

The rest are written out: ``cumprod`` (without dividing, so zeros are fine) and ``diff``
(slices and a subtraction, recorded as they are).

Importing this module adds the rules to :data:`glassnet.engine.autodiff.FUNCTIONS`.
"""


import numpy as np

from glassnet.engine import autodiff
from glassnet.engine.autodiff import FUNCTIONS, CannotDifferentiate, _getitem, data_of, lift, record


def _numbered(a):
    """The flat positions of ``a``'s entries, in ``a``'s shape."""
    return np.arange(a.size).reshape(a.shape)


def _gathered(a, data, where):
    """The Value ``data`` whose entry ``i`` was copied from ``a``'s flat entry ``where[i]``
    (a negative ``where``: a constant, with no gradient)."""
    def backward(g):
        kept = where >= 0
        return (np.bincount(where[kept], weights=np.asarray(g)[kept], minlength=a.size).reshape(a.shape),)
    return record(data, (a,), backward)


def _moving(function):
    """A rule for a ``function(a, ...)`` that only moves (or copies) ``a``'s entries."""
    def rule(a, *args, **kwargs):
        a = lift(a)
        return _gathered(a, function(a.data, *args, **kwargs), function(_numbered(a), *args, **kwargs))
    return rule


def _pad(array, pad_width, mode="constant", **kwargs):
    """``np.pad``: the padding is a constant (no gradient) or copies of edge entries."""
    a = lift(array)
    if callable(mode):
        raise CannotDifferentiate("glassnet has no gradient for np.pad with a function as its mode")
    where = np.pad(_numbered(a), pad_width, mode=mode, **({"constant_values": -1} if mode == "constant" else kwargs))
    return _gathered(a, np.pad(a.data, pad_width, mode=mode, **kwargs), where)


def _take_along_axis(arr, indices, axis, **unused):
    a, indices = lift(arr), np.asarray(data_of(indices))
    return _gathered(a, np.take_along_axis(a.data, indices, axis), np.take_along_axis(_numbered(a), indices, axis))


def _sort(a, axis=-1, kind=None, order=None, **unused):
    """The entries in order: moved by ``argsort``."""
    a = lift(a)
    if axis is None:
        a, axis = np.reshape(a, -1), 0
    return _take_along_axis(a, np.argsort(a.data, axis=axis, kind="stable"), axis)


def _array_split(ary, indices_or_sections, axis=0):
    a = lift(ary)
    return _slices(a, [p.shape[axis] for p in np.array_split(a.data, indices_or_sections, axis=axis)], axis)


def _slices(a, sizes, axis):
    axis, start, pieces = axis % a.ndim, 0, []
    for size in sizes:
        pieces.append(_getitem(a, (slice(None),) * axis + (slice(start, start + size),)))
        start += size
    return pieces


def _broadcast_arrays(*args, **unused):
    shape = np.broadcast_shapes(*(np.shape(data_of(x)) for x in args))
    return [np.broadcast_to(x, shape) for x in args]


def _along(axis, a):
    """``(a, axis)``, flattened first for ``axis=None`` as NumPy's cumulative functions do."""
    return (np.reshape(a, -1), 0) if axis is None else (a, axis % a.ndim)


def _cumprod(a, axis=None, dtype=None, **unused):
    """``c[j] = a[0] * ... * a[j]``. ``dL/da[i] = (a[0]...a[i-1]) * s[i]`` with
    ``s[i] = g[i] + a[i+1] * s[i+1]`` (the later products, without dividing by ``a[i]``,
    so a zero entry gets its gradient too)."""
    a, axis = _along(axis, lift(a))
    c = np.cumprod(a.data, axis=axis)

    def backward(g):
        x, g = np.moveaxis(a.data, axis, 0), np.moveaxis(g, axis, 0)
        before = np.concatenate([np.ones_like(x[:1]), np.cumprod(x[:-1], axis=0)])   # a[0]...a[i-1]
        later = np.empty_like(g)
        later[-1] = g[-1]
        for i in range(len(x) - 2, -1, -1):
            later[i] = g[i] + x[i + 1] * later[i + 1]
        return (np.moveaxis(before * later, 0, axis),)
    return record(c, (a,), backward)


def _diff(a, n=1, axis=-1, **kwargs):
    """``a[1:] - a[:-1]`` along ``axis``, ``n`` times: slices and a subtraction, each recorded."""
    if kwargs.get("prepend") is not None or kwargs.get("append") is not None:
        raise CannotDifferentiate("glassnet has no gradient for np.diff with prepend= or append=")
    a = lift(a)
    axis = axis % a.ndim
    for _ in range(n):
        head = (slice(None),) * axis
        a = _getitem(a, head + (slice(1, None),)) - _getitem(a, head + (slice(None, -1),))
    return a


def scatter(tensor, index, updates, add=False):
    """A copy of ``tensor`` with ``updates`` written (or, with ``add``, added) at ``index``
    (TensorFlow's ``tensor_scatter_nd_update`` / ``scatter_nd``). Gradients: ``updates``
    gets ``g[index]``; ``tensor`` gets ``g``, without the places that were overwritten."""
    tensor, updates = lift(tensor), lift(updates)
    out = tensor.data.astype(np.result_type(tensor.dtype, updates.dtype), copy=True)
    if add:
        np.add.at(out, index, updates.data)
    else:
        out[index] = updates.data

    def backward(g):
        kept = np.array(g, copy=True)
        if not add:
            kept[index] = 0
        return kept, g[index]
    return record(out, (tensor, updates), backward)


RULES = {   # (roll, flip, repeat, tile, take_along_axis, split, cumsum and einsum: autodiff_numpy's)
    "pad": _pad, "fliplr": _moving(np.fliplr), "flipud": _moving(np.flipud), "sort": _sort,
    "array_split": _array_split, "broadcast_arrays": _broadcast_arrays, "cumprod": _cumprod, "diff": _diff,
}
FUNCTIONS.update(RULES)                    # np.pad's takes every mode, reflect included
# The message for a function without a rule lists these too.
autodiff._SUPPORTED = autodiff._SUPPORTED.replace(", and glassnet's", ", " + ", ".join(sorted(RULES)) + ", and glassnet's")
