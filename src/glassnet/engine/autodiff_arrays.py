"""Gradient rules for NumPy's array-shuffling functions, so that recorded math
(:mod:`glassnet.engine.autodiff`) can pad, roll, flip, repeat, tile, split, sort, sum
cumulatively and ``einsum`` its Values, as TensorFlow programs do inside a GradientTape::

    mean, logvar = tf.split(encoder(x), num_or_size_splits=2, axis=1)
    padded = tf.pad(images, [[0, 0], [2, 2], [2, 2], [0, 0]], mode="REFLECT")

Most of these functions only *move* entries: each entry of the result is a copy of one entry
of the input (or a constant). Their gradient is the same move run backwards: number the
input's entries ``0, 1, ..., n - 1`` (an index array of the input's shape), run the function
on the numbers to learn where each result entry came from, and add the result's gradient
back onto those places (``np.bincount``, so an entry copied twice gets both gradients)::

    c = f(a)          where = f(arange(a.size).reshape(a.shape))
    dL/da[k] = sum of g[i] over every i with where[i] == k

The rest are written out: ``cumsum`` (its gradient is the cumulative sum of ``g`` taken from
the other end), ``cumprod``, ``einsum`` (each operand's gradient is another einsum) and
``diff`` (slices and a subtraction, recorded as they are).

Importing this module adds the rules to :data:`glassnet.engine.autodiff.FUNCTIONS`.
"""

import string

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


def _split(ary, indices_or_sections, axis=0):
    """``np.split`` / ``np.array_split``: the pieces, each a recorded slice of ``ary``."""
    a = lift(ary)
    pieces = np.array_split(a.data, indices_or_sections, axis=axis)
    if np.ndim(indices_or_sections) == 0 and a.shape[axis] % indices_or_sections:
        np.split(a.data, indices_or_sections, axis=axis)       # np.split's own error for unequal pieces
    return _slices(a, [p.shape[axis] for p in pieces], axis)


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


def _cumsum(a, axis=None, dtype=None, **unused):
    """``c[i] = a[0] + ... + a[i]``, so ``dL/da[i] = g[i] + ... + g[n-1]``: ``g``'s cumulative
    sum taken from the end."""
    a, axis = _along(axis, lift(a))
    c = np.cumsum(a.data, axis=axis)
    return record(c, (a,), lambda g: (np.flip(np.cumsum(np.flip(g, axis), axis), axis),))


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


def _einsum_terms(subscripts, operands):
    """The input terms and the output term of ``subscripts``, ``...`` spelled out in capitals."""
    subscripts = subscripts.replace(" ", "")
    inputs, _, output = subscripts.partition("->")
    terms = inputs.split(",")
    if "->" not in subscripts:                   # implicit output: the letters used once, sorted
        letters = "".join(terms).replace(".", "")
        output = ("..." if "..." in inputs else "") + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    spare = [c for c in string.ascii_uppercase if c not in subscripts]
    most = max((np.ndim(op) - len(t.replace("...", "")) for t, op in zip(terms, operands) if "..." in t), default=0)
    dots = "".join(spare[:most])
    expand = lambda t, ndim: t.replace("...", dots[most - (ndim - len(t.replace("...", ""))):])   # noqa: E731
    return [expand(t, np.ndim(op)) for t, op in zip(terms, operands)], output.replace("...", dots)


def _einsum(subscripts, *operands, **kwargs):
    """``np.einsum``: the gradient of operand ``k`` is the einsum of ``g`` with the other
    operands, giving ``k``'s letters (a letter only ``k`` has was summed away: its
    gradient is copied back along it)."""
    if not isinstance(subscripts, str):
        raise CannotDifferentiate("glassnet differentiates np.einsum written with a subscripts string")
    values = [lift(op) for op in operands]
    terms, output = _einsum_terms(subscripts, [v.data for v in values])
    c = np.einsum(subscripts, *[v.data for v in values], **kwargs)
    if any(len(set(t)) != len(t) for t in terms):
        raise CannotDifferentiate("glassnet has no gradient for np.einsum with a repeated letter in one term")

    def backward(g):
        grads = []
        for k, (term, value) in enumerate(zip(terms, values)):
            others = [(t, v.data) for i, (t, v) in enumerate(zip(terms, values)) if i != k]
            known = set(output).union(*(t for t, _ in others))
            reached = "".join(ch for ch in term if ch in known)
            grad = np.einsum(",".join([output] + [t for t, _ in others]) + "->" + reached, g, *[d for _, d in others])
            shape = [value.shape[i] if ch in known else 1 for i, ch in enumerate(term)]
            grads.append(np.broadcast_to(grad.reshape(shape), value.shape))
        return grads
    return record(c, values, backward)


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


RULES = {
    "pad": _pad, "roll": _moving(np.roll), "flip": _moving(np.flip), "fliplr": _moving(np.fliplr),
    "flipud": _moving(np.flipud), "repeat": _moving(np.repeat), "tile": _moving(np.tile),
    "take_along_axis": _take_along_axis, "sort": _sort, "split": _split, "array_split": _array_split,
    "broadcast_arrays": _broadcast_arrays, "cumsum": _cumsum, "cumprod": _cumprod, "diff": _diff,
    "einsum": _einsum,
}
for _name, _rule in RULES.items():        # a rule registered before stays (one per function)...
    FUNCTIONS.setdefault(_name, _rule)
FUNCTIONS["pad"] = _pad                    # ...except np.pad's: this one takes every mode, reflect included
# The message for a function without a rule lists these too.
autodiff._SUPPORTED = autodiff._SUPPORTED.replace(", and glassnet's", ", " + ", ".join(sorted(RULES)) + ", and glassnet's")
