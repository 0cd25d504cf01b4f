"""TensorFlow's functions that cut, join, reorder and look up arrays (``tf.split``,
``tf.pad``, ``tf.gather_nd``, ``tf.cumsum``, ``tf.unique``...), for programs that start
``import glassnet as tf``::

    mean, logvar = tf.split(encoder(x), num_or_size_splits=2, axis=1)   # the VAE tutorials
    mask = tf.sequence_mask([1, 3], maxlen=4)                           # [[T F F F] [T T T F]]

Each is NumPy's function under TensorFlow's name and defaults (``tf.cumsum`` runs along the
first axis, ``tf.argsort`` gives int32). Results are :class:`~glassnet.engine.tensor.Tensor`
arrays; inside recorded math (a GradientTape block, a layer's ``call()``, a loss) the NumPy
functions record themselves, so the gradient flows through a split, a pad or a gather
(:mod:`glassnet.engine.autodiff_arrays`).
"""

import builtins
import collections

import numpy as np

from glassnet.engine.autodiff import Value, data_of
from glassnet.engine.autodiff_arrays import scatter
from glassnet.engine.tensor import Tensor as _Tensor
from glassnet.engine.tensor import as_tensor, keras_dtype


def _in(x):
    """``x`` ready to compute on: a recorded Value or an array as it is, a Python number or
    list as TensorFlow's float32 / int32 array."""
    return x if isinstance(x, (Value, np.ndarray)) else np.asarray(x, keras_dtype(x))


def _axis(axis):
    return tuple(axis) if isinstance(axis, (list, tuple, np.ndarray)) else axis


class _TensorType(type):
    def __instancecheck__(cls, value):
        return isinstance(value, (_Tensor, Value))


class Tensor(metaclass=_TensorType):
    """``tf.Tensor``, for ``isinstance(x, tf.Tensor)``: true of what glassnet's TensorFlow
    functions and models return (and of recorded values), not of plain NumPy arrays."""


def split(value, num_or_size_splits, axis=0, num=None, name=None):
    """``num_or_size_splits`` equal pieces along ``axis``, or pieces of the sizes listed
    (one size may be -1: what is left)."""
    value = _in(value)
    if np.ndim(num_or_size_splits) == 0:
        return [as_tensor(p) for p in np.split(value, int(num_or_size_splits), axis=axis)]
    sizes = [int(s) for s in np.asarray(num_or_size_splits).reshape(-1)]
    if -1 in sizes:
        sizes[sizes.index(-1)] = value.shape[axis] - (sum(sizes) + 1)
    if sum(sizes) != value.shape[axis]:
        raise ValueError(f"tf.split: sizes {sizes} don't add up to the {value.shape[axis]} entries of axis {axis}")
    return [as_tensor(p) for p in np.split(value, np.cumsum(sizes)[:-1].tolist(), axis=axis)]


def unstack(value, num=None, axis=0, name=None):
    """The slices along ``axis``, as a list (``tf.stack`` undone)."""
    value = _in(value)
    axis = axis % value.ndim
    return [as_tensor(value[(builtins.slice(None),) * axis + (i,)]) for i in range(value.shape[axis])]


def fill(dims, value, name=None):
    return as_tensor(np.full(tuple(np.asarray(dims).reshape(-1)), value, dtype=keras_dtype(value)))


def identity(input, name=None):
    input = _in(input)
    return as_tensor(input if isinstance(input, Value) else input.copy())


def stop_gradient(input, name=None):
    """The values, as a constant: no gradient flows back through them."""
    return as_tensor(np.array(data_of(_in(input))))


def boolean_mask(tensor, mask, axis=None, name=None):
    """The entries (rows...) where ``mask`` is True; ``mask``'s axes are flattened into one."""
    axis = 0 if axis is None else axis
    where = np.nonzero(np.asarray(data_of(mask), bool))
    return as_tensor(_in(tensor)[(builtins.slice(None),) * axis + where])


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """int32 positions that sort ``values`` (ties keep their order)."""
    values = np.asarray(data_of(_in(values)))
    if direction == "DESCENDING":            # sorted from the end, read backwards: ties stay in order
        backwards = np.flip(np.argsort(np.flip(values, axis), axis=axis, kind="stable"), axis)
        return as_tensor((values.shape[axis] - 1 - backwards).astype(np.int32))
    return as_tensor(np.argsort(values, axis=axis, kind="stable").astype(np.int32))


def sort(values, axis=-1, direction="ASCENDING", name=None):
    ordered = np.sort(_in(values), axis=axis)
    return as_tensor(ordered if direction == "ASCENDING" else np.flip(ordered, axis=axis))


def tile(input, multiples, name=None):
    return as_tensor(np.tile(_in(input), tuple(np.ravel(data_of(multiples)))))


def _cumulative(function, start):
    def cumulate(x, axis=0, exclusive=False, reverse=False, name=None):
        x = _in(x)
        axis = axis % x.ndim
        x = np.flip(x, axis) if reverse else x
        out = function(x, axis=axis, dtype=x.dtype)      # int32 stays int32 (NumPy's would be int64)
        if exclusive:                    # each sum (product) without its own entry: shifted by one
            edges = [(0, 0)] * x.ndim
            edges[axis] = (1, 0)
            out = np.pad(out, edges, constant_values=start)[(builtins.slice(None),) * axis + (builtins.slice(0, -1),)]
        return as_tensor(np.flip(out, axis) if reverse else out)
    cumulate.__name__ = function.__name__
    cumulate.__doc__ = f"``np.{function.__name__}`` along ``axis`` (the first, by default); ``exclusive``: " \
                       f"each entry left out of its own; ``reverse``: from the end."
    return cumulate


cumsum, cumprod = _cumulative(np.cumsum, 0), _cumulative(np.cumprod, 1)


def einsum(equation, *inputs, **kwargs):
    return as_tensor(np.einsum(equation, *[_in(x) for x in inputs]))


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):
    """The Euclidean norm of all entries (or along ``axis``), or ``sum(|x|**ord)**(1/ord)``."""
    x, axis = _in(tensor), _axis(axis)
    if isinstance(axis, tuple) and len(axis) == 2 and ord not in ("euclidean", "fro"):   # a matrix norm
        if isinstance(x, Value) and x.needs_grad:
            from glassnet.engine.autodiff import CannotDifferentiate
            raise CannotDifferentiate(f"glassnet has no gradient for tf.norm with ord={ord!r} over a matrix")
        return as_tensor(np.linalg.norm(data_of(x), ord=ord, axis=axis, keepdims=bool(keepdims)).astype(x.dtype))
    if ord in ("euclidean", "fro", 2):
        out = np.sqrt(np.sum(np.square(x), axis=axis, keepdims=bool(keepdims)))
    elif ord == np.inf:
        out = np.max(np.abs(x), axis=axis, keepdims=bool(keepdims))
    elif ord == 1:
        out = np.sum(np.abs(x), axis=axis, keepdims=bool(keepdims))
    else:
        out = np.sum(np.abs(x) ** ord, axis=axis, keepdims=bool(keepdims)) ** (1.0 / ord)
    return as_tensor(out)


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """``paddings[i] = [before, after]`` entries added on axis ``i``: ``constant_values``,
    or the entries mirrored without (``REFLECT``) or with (``SYMMETRIC``) the edge one."""
    modes = {"CONSTANT": "constant", "REFLECT": "reflect", "SYMMETRIC": "symmetric"}
    if mode.upper() not in modes:
        raise ValueError(f"tf.pad: mode must be CONSTANT, REFLECT or SYMMETRIC, got {mode!r}")
    widths = np.asarray(data_of(paddings)).astype(int).tolist()
    extra = {"constant_values": constant_values} if mode.upper() == "CONSTANT" else {}
    return as_tensor(np.pad(_in(tensor), widths, mode=modes[mode.upper()], **extra))


def reverse(tensor, axis, name=None):
    return as_tensor(np.flip(_in(tensor), _axis(axis)))


def roll(input, shift, axis, name=None):
    return as_tensor(np.roll(_in(input), _axis(shift), _axis(axis)))


def repeat(input, repeats, axis=None, name=None):
    return as_tensor(np.repeat(_in(input), repeats, axis=axis))


def broadcast_to(input, shape, name=None):
    out = np.broadcast_to(_in(input), tuple(np.asarray(shape).reshape(-1)))
    return as_tensor(out if isinstance(out, Value) else out.copy())


def meshgrid(*args, indexing="xy", name=None):
    return [as_tensor(g) for g in np.meshgrid(*[data_of(_in(a)) for a in args], indexing=indexing)]


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """The slices of ``params`` at ``indices`` along ``axis`` (the first after the
    ``batch_dims`` axes that ``params`` and ``indices`` share)."""
    params, indices = _in(params), np.asarray(data_of(indices)).astype(np.intp)
    batch_dims = batch_dims % indices.ndim if batch_dims < 0 else batch_dims
    axis = batch_dims if axis is None else axis % params.ndim
    if batch_dims == 0:
        return as_tensor(np.take(params, indices, axis=axis))
    if axis != batch_dims:
        raise NotImplementedError("tf.gather: glassnet supports batch_dims only with axis=batch_dims")
    return as_tensor(params[_batch_index(indices.shape, batch_dims) + (indices,)])


def _batch_index(shape, batch_dims):
    """``arange`` index arrays for the first ``batch_dims`` axes, broadcast against ``shape``."""
    return tuple(np.arange(shape[k]).reshape((-1,) + (1,) * (len(shape) - k - 1)) for k in range(batch_dims))


def gather_nd(params, indices, batch_dims=0, name=None):
    """``params[indices[..., 0], indices[..., 1], ...]``: each last-axis row of ``indices``
    is the position of one entry (or slice) of ``params``."""
    indices = np.asarray(data_of(indices)).astype(np.intp)
    index = _batch_index(indices.shape[:-1], batch_dims)
    return as_tensor(_in(params)[index + tuple(np.moveaxis(indices, -1, 0))])


def scatter_nd(indices, updates, shape, name=None):
    """Zeros of ``shape`` with ``updates`` added at the positions ``indices`` (as in gather_nd)."""
    updates, index = _in(updates), _nd(indices)
    return as_tensor(scatter(np.zeros(tuple(np.asarray(shape).reshape(-1)), updates.dtype), index, updates, add=True))


def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    return as_tensor(scatter(_in(tensor), _nd(indices), _in(updates)))


def tensor_scatter_nd_add(tensor, indices, updates, name=None):
    return as_tensor(scatter(_in(tensor), _nd(indices), _in(updates), add=True))


def tensor_scatter_nd_sub(tensor, indices, updates, name=None):
    return as_tensor(scatter(_in(tensor), _nd(indices), -_in(updates), add=True))


def _scatter_extreme(ufunc):
    def apply(tensor, indices, updates, name=None):
        tensor, updates = _in(tensor), _in(updates)
        if any(isinstance(x, Value) and x.needs_grad for x in (tensor, updates)):
            from glassnet.engine.autodiff import CannotDifferentiate
            raise CannotDifferentiate(f"glassnet has no gradient for tf.tensor_scatter_nd_{ufunc.__name__[:3]}")
        out = np.array(tensor, copy=True)
        ufunc.at(out, _nd(indices), np.asarray(updates))
        return as_tensor(out)
    apply.__name__ = f"tensor_scatter_nd_{ufunc.__name__[:3]}"
    return apply


tensor_scatter_nd_max, tensor_scatter_nd_min = _scatter_extreme(np.maximum), _scatter_extreme(np.minimum)


def slice(input_, begin, size, name=None):
    """The block of ``size`` starting at ``begin`` (a size of -1 runs to the end)."""
    index = tuple(builtins.slice(b, None if n == -1 else b + n) for b, n in zip(np.ravel(begin), np.ravel(size)))
    return as_tensor(_in(input_)[index])


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0,
                  shrink_axis_mask=0, var=None, name=None):
    """``input_[begin:end:strides]`` on each axis (``x[1:3, ::2]``); bit ``i`` of ``begin_mask`` /
    ``end_mask`` leaves that end of axis ``i`` open, of ``shrink_axis_mask`` takes one entry."""
    if ellipsis_mask or new_axis_mask:
        raise NotImplementedError("tf.strided_slice: glassnet has no ellipsis_mask or new_axis_mask; index with [...]")
    strides = np.ones(len(np.ravel(begin)), int) if strides is None else np.ravel(strides)
    index = []
    for i, (b, e, step) in enumerate(zip(np.ravel(begin), np.ravel(end), strides)):
        if shrink_axis_mask >> i & 1:
            index.append(int(b))
            continue
        index.append(builtins.slice(None if begin_mask >> i & 1 else int(b), None if end_mask >> i & 1 else int(e),
                                    int(step)))
    return as_tensor(_in(input_)[tuple(index)])


def unravel_index(indices, dims, name=None):
    """Row ``i`` holds the ``i``-th coordinate of each flat index: shape ``(len(dims), ...)``."""
    indices = np.asarray(data_of(_in(indices)))
    return as_tensor(np.array(np.unravel_index(indices, tuple(np.ravel(dims)))).astype(indices.dtype))


def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=0, name=None):
    """Each sequence's first ``seq_lengths[b]`` steps reversed, the padding after them kept."""
    x, lengths = _in(input), np.asarray(data_of(seq_lengths))
    seq_axis = 1 if seq_axis is None else seq_axis % x.ndim
    steps = np.arange(x.shape[seq_axis])
    order = np.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)       # (batch, time)
    shape = [1] * x.ndim
    shape[batch_axis], shape[seq_axis] = len(lengths), len(steps)
    order = np.broadcast_to(order.reshape(shape) if batch_axis < seq_axis else order.T.reshape(shape), x.shape)
    return as_tensor(np.take_along_axis(x, order, axis=seq_axis))


def dynamic_partition(data, partitions, num_partitions, name=None):
    """``[data[partitions == 0], data[partitions == 1], ...]``."""
    data, partitions = _in(data), np.asarray(data_of(partitions))
    return [as_tensor(data[np.nonzero(partitions == k)]) for k in range(num_partitions)]


def dynamic_stitch(indices, data, name=None):
    """``out[indices[m][i]] = data[m][i]``: the pieces put back where ``indices`` say."""
    flat = np.concatenate([np.ravel(data_of(i)) for i in indices])
    rows = np.concatenate([np.reshape(_in(d), (int(np.size(data_of(i))),) + np.shape(data_of(d))[np.ndim(data_of(i)):])
                           for i, d in zip(indices, data)])
    last = np.zeros(int(flat.max()) + 1, int)
    last[flat] = np.arange(len(flat))                   # a later piece wins where indices repeat
    return as_tensor(rows[last])


def _nd(indices):
    return tuple(np.moveaxis(np.asarray(data_of(indices)).astype(np.intp), -1, 0))


def sequence_mask(lengths, maxlen=None, dtype=np.bool_, name=None):
    """``mask[..., j] = j < lengths[...]``: which steps of each sequence are real."""
    lengths = np.asarray(data_of(lengths))
    maxlen = int(lengths.max(initial=0)) if maxlen is None else int(maxlen)
    return as_tensor((np.arange(maxlen) < lengths[..., None]).astype(dtype))


Unique = collections.namedtuple("Unique", ["y", "idx"])
UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def unique(x, out_idx=np.int32, name=None):
    """The distinct entries in the order they first appear, and where each entry went."""
    values, first, inverse, counts = np.unique(np.asarray(data_of(_in(x))), return_index=True,
                                               return_inverse=True, return_counts=True)
    order = np.argsort(first)
    rank = np.argsort(order)
    return Unique(as_tensor(values[order]), as_tensor(rank[inverse.reshape(-1)].astype(out_idx)))


def unique_with_counts(x, out_idx=np.int32, name=None):
    y, idx = unique(x, out_idx)
    return UniqueWithCounts(y, idx, as_tensor(np.bincount(idx, minlength=len(y)).astype(out_idx)))


def searchsorted(sorted_sequence, values, side="left", out_type=np.int32, name=None):
    """Where each of ``values`` would go in its row of ``sorted_sequence`` (the last axis)."""
    rows, values = np.asarray(data_of(_in(sorted_sequence))), np.asarray(data_of(_in(values)))
    if rows.ndim == 1:
        return as_tensor(np.searchsorted(rows, values, side=side).astype(out_type))
    found = [np.searchsorted(r, v, side=side) for r, v in zip(rows.reshape(-1, rows.shape[-1]),
                                                              values.reshape(-1, values.shape[-1]))]
    return as_tensor(np.array(found).reshape(values.shape).astype(out_type))


def histogram_fixed_width(values, value_range, nbins=100, dtype=np.int32, name=None):
    """How many ``values`` fall in each of ``nbins`` equal bins over ``value_range``; those
    outside count in the first or the last bin."""
    values = np.asarray(data_of(values), np.float64).reshape(-1)
    low, high = np.asarray(value_range, np.float64)
    bins = np.clip(np.floor((values - low) / (high - low) * nbins), 0, nbins - 1).astype(int)
    return as_tensor(np.bincount(bins, minlength=nbins).astype(dtype))


NAMES = ["Tensor", "sort", "tile", "split", "unstack", "fill", "identity", "stop_gradient", "boolean_mask", "argsort", "cumsum",
         "cumprod", "einsum", "norm", "pad", "reverse", "roll", "repeat", "broadcast_to", "meshgrid", "gather",
         "gather_nd", "scatter_nd", "tensor_scatter_nd_update", "tensor_scatter_nd_add", "sequence_mask", "unique",
         "unique_with_counts", "searchsorted", "histogram_fixed_width", "tensor_scatter_nd_sub", "tensor_scatter_nd_max",
         "tensor_scatter_nd_min", "slice", "strided_slice", "unravel_index", "reverse_sequence", "dynamic_partition",
         "dynamic_stitch"]
