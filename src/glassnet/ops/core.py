"""``keras.ops``' gathering and scattering: segments, scatter, slice updates, einops' rearrange.

Each works on plain arrays and on recorded Values (inside a custom layer's ``call()``).
None of them changes its input in place (Keras's NumPy backend writes into ``inputs`` for
``scatter_update``; TensorFlow's and JAX's don't), and each passes gradients back to the
entries it read::

    segment_sum(data, ids)[k] = sum of the rows i of data with ids[i] == k
        d data[i] = g[ids[i]]
    scatter(indices, values, shape)     values added into zeros at indices
        d values[j] = g[indices[j]]
    scatter_update(inputs, indices, updates)   inputs, with the entries at indices replaced
        d inputs = g, 0 where replaced        d updates[j] = g[indices[j]]
"""

import re

import numpy as np

from glassnet.engine.autodiff import CannotDifferentiate, Value, data_of, lift, record

__all__ = ["segment_sum", "segment_max", "segment_min", "segment_prod", "scatter", "scatter_update",
           "slice_update", "get_item", "rearrange"]


# -- segments --------------------------------------------------------------------------------
def _segments(data, segment_ids, num_segments, reduction, start):
    """The rows of ``data`` (N, ...) reduced by ``reduction`` (a ufunc) into ``num_segments``
    rows by their ``segment_ids`` (N,); ids of -1 are left out, an empty segment keeps ``start``
    ("lowest"/"highest": the dtype's, as TensorFlow fills an empty segment's max and min)."""
    ids = np.asarray(data_of(segment_ids)).astype(np.intp)
    array = np.asarray(data_of(data))
    if ids.ndim != 1 or len(ids) != len(array):
        raise ValueError(f"segment ops: segment_ids must be one id per row of data ({len(array)}), "
                         f"got shape {ids.shape}")
    count = int(ids.max(initial=-1)) + 1 if num_segments is None else int(num_segments)
    kept = ids >= 0
    if start in ("lowest", "highest"):
        info = np.finfo(array.dtype) if array.dtype.kind == "f" else np.iinfo(array.dtype)
        start = info.min if start == "lowest" else info.max
    out = np.full((count,) + array.shape[1:], start, dtype=array.dtype)
    reduction.at(out, ids[kept], array[kept])
    return out, ids, kept


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """Sum of the rows of ``data`` that share a segment id: ``out[k] = sum_{ids[i] = k} data[i]``."""
    out, ids, kept = _segments(data, segment_ids, num_segments, np.add, 0)
    if not isinstance(data, Value):
        return out
    return record(out, (data,), lambda g: (np.where(kept.reshape((-1,) + (1,) * (g.ndim - 1)),
                                                    g[np.where(kept, ids, 0)], 0),))


def _segment_extreme(reduction, start):
    def segment(data, segment_ids, num_segments=None, sorted=False):
        out, ids, kept = _segments(data, segment_ids, num_segments, reduction, start)
        if not isinstance(data, Value):
            return out
        # the gradient goes to the rows that were the extreme of their segment, shared between ties
        winners = kept.reshape((-1,) + (1,) * (data.ndim - 1)) & (data.data == out[np.where(kept, ids, 0)])
        ties = np.zeros(out.shape)
        np.add.at(ties, ids[kept], winners[kept])

        def backward(g):
            share = np.where(ties > 0, g / np.maximum(ties, 1), 0)
            return (winners * share[np.where(kept, ids, 0)],)
        return record(out, (data,), backward)
    return segment


segment_max = _segment_extreme(np.maximum, "lowest")
segment_max.__name__ = "segment_max"
segment_max.__doc__ = "Largest row of each segment: ``out[k] = max_{ids[i] = k} data[i]`` (the dtype's lowest number if empty)."
segment_min = _segment_extreme(np.minimum, "highest")
segment_min.__name__ = "segment_min"
segment_min.__doc__ = "Smallest row of each segment (the dtype's largest number if empty)."


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """Product of the rows of each segment (1 if empty). Its gradient is not recorded."""
    if isinstance(data, Value) and data.needs_grad:
        raise CannotDifferentiate("glassnet has no gradient for ops.segment_prod")
    return _segments(data, segment_ids, num_segments, np.multiply, 1)[0]


# -- scatter ---------------------------------------------------------------------------------
def _index(indices):
    """``indices`` (..., k): each row the coordinates of one entry (or slice) of the first
    ``k`` axes, as the tuple NumPy indexes with."""
    indices = np.asarray(data_of(indices)).astype(np.intp)
    indices = indices.reshape(-1, indices.shape[-1] if indices.ndim > 1 else 1)
    return tuple(indices.T)


def scatter(indices, values, shape):
    """Zeros of ``shape`` with ``values`` added at ``indices`` (M, k): where an index repeats,
    its values add up."""
    where = _index(indices)
    shape = tuple(int(s) for s in shape)
    rows = np.reshape(data_of(values), (-1,) + shape[len(where):])
    out = np.zeros(shape, dtype=rows.dtype)
    np.add.at(out, where, rows)
    if not isinstance(values, Value):
        return out
    return record(out, (values,), lambda g: (g[where].reshape(values.shape),))


def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with the entries at ``indices`` (M, k) set to ``updates`` (or combined with
    them: ``reduction`` "add", "max", "min" or "mul"). ``inputs`` itself is not changed."""
    where = _index(indices)
    out = np.array(data_of(inputs), copy=True)
    rows = np.reshape(data_of(updates), (-1,) + out.shape[len(where):]).astype(out.dtype, copy=False)
    ufuncs = {"add": np.add, "max": np.maximum, "min": np.minimum, "mul": np.multiply}
    if reduction is None:
        out[where] = rows
    elif reduction in ufuncs:
        ufuncs[reduction].at(out, where, rows)
    else:
        raise ValueError(f"scatter_update: reduction must be None, 'add', 'max', 'min' or 'mul', got {reduction!r}")
    if not isinstance(inputs, Value) and not isinstance(updates, Value):
        return out
    if reduction not in (None, "add"):
        raise CannotDifferentiate(f"glassnet has no gradient for ops.scatter_update with reduction={reduction!r}")

    def backward(g):
        kept = g.copy()
        if reduction is None:
            kept[where] = 0                       # what was overwritten gets nothing
        return kept, g[where].reshape(np.shape(data_of(updates)))
    return record(out, (lift(inputs), lift(updates)), backward)


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block starting at ``start_indices`` replaced by ``updates``."""
    block = tuple(slice(int(start), int(start) + size)
                  for start, size in zip(np.asarray(data_of(start_indices)).reshape(-1), np.shape(data_of(updates))))
    out = np.array(data_of(inputs), copy=True)
    out[block] = data_of(updates)
    if not isinstance(inputs, Value) and not isinstance(updates, Value):
        return out

    def backward(g):
        kept = g.copy()
        kept[block] = 0
        return kept, g[block]
    return record(out, (lift(inputs), lift(updates)), backward)


def get_item(x, key):
    """``x[key]``, as a function (what Keras's graphs call indexing)."""
    return x[key]


# -- einops ----------------------------------------------------------------------------------
def _groups(side):
    """``"b (h w) c"`` -> ``[["b"], ["h", "w"], ["c"]]``."""
    return [group.strip("()").split() for group in re.findall(r"\([^)]*\)|\w+", side)]


def rearrange(tensor, pattern, **axes_lengths):
    """einops' ``rearrange`` (as Keras 3 has it): reshape and transpose by naming the axes::

        rearrange(x, "b h w c -> b (h w) c")          # (2, 3, 4, 5) -> (2, 12, 5)
        rearrange(x, "b (h p) c -> b h p c", p=2)     # split an axis; one size may be left out

    Made of a reshape to the single named axes, a transpose and a reshape to the groups, so
    its gradient is theirs.
    """
    before, after = (_groups(side) for side in re.split(r"\s*->\s*", pattern))
    if len(before) != np.ndim(data_of(tensor)):
        raise ValueError(f"rearrange: {pattern!r} names {len(before)} axes, the input has {np.ndim(data_of(tensor))}")
    sizes = dict(axes_lengths)
    for group, size in zip(before, np.shape(data_of(tensor))):
        unknown = [name for name in group if name not in sizes]
        known = int(np.prod([sizes[name] for name in group if name in sizes]))
        if len(unknown) > 1:
            raise ValueError(f"rearrange: give the sizes of all but one of {group} ({pattern!r})")
        if unknown:
            sizes[unknown[0]] = size // known
    names = [name for group in before for name in group]
    order = [names.index(name) for group in after for name in group]
    split = np.reshape(tensor, [sizes[name] for name in names])
    return np.reshape(np.transpose(split, order), [int(np.prod([sizes[n] for n in group])) for group in after])
