"""``Dataset`` methods that gather elements into groups: ``window``, ``group_by_window``,
``bucket_by_sequence_length`` and ``rebatch``.

A *window* is a short dataset of neighbouring elements. The DeepLearning.AI time-series
course cuts a series into training examples this way::

    ds = tf.data.Dataset.from_tensor_slices(series)              # one number per element
    ds = ds.window(window_size + 1, shift=1, drop_remainder=True)  # each element: a Dataset
    ds = ds.flat_map(lambda window: window.batch(window_size + 1))  # each window: one array
    ds = ds.map(lambda window: (window[:-1], window[-1]))         # the past, and the next value

Window ``k`` holds the elements ``k*shift + j*stride`` for ``j < size``: a series
``0, 1, ..., 6`` with ``size=3, shift=2`` gives ``[0, 1, 2], [2, 3, 4], [4, 5, 6], [6]``
(the last one only without ``drop_remainder``). Each window is made from a buffer of the
next ``(size - 1) * stride + 1`` elements, so an endless dataset gives endless windows.

These functions (``METHODS``) become methods of :class:`~glassnet.tf_data.dataset.Dataset`
in :mod:`glassnet.tf_data`.
"""

import itertools
import math

import numpy as np

from glassnet.tf_data import structure
from glassnet.tf_data.dataset import INFINITE, UNKNOWN, Dataset, _count, _finite


def _listed(elements):
    """A finite dataset of the elements of a list (a window, a group)."""
    return Dataset(lambda: iter(elements), len(elements))


def window(self, size, shift=None, stride=1, drop_remainder=False, name=None):
    """Windows of ``size`` elements, a new one every ``shift`` elements (default ``size``),
    taking every ``stride``-th element; see the module docstring. Each element is a
    Dataset, or, for tuple / dict elements, a tuple / dict of Datasets (one per part, as
    in TensorFlow: ``ds.window(3).flat_map(lambda x, y: tf.data.Dataset.zip((x.batch(3),
    y.batch(3))))``)."""
    size = _count(size, "window: size", low=1)
    shift = size if shift is None else _count(shift, "window: shift", low=1)
    stride = _count(stride, "window: stride", low=1)
    span = (size - 1) * stride + 1           # input elements a whole window covers

    def iterate():
        elements, buffer = self._iterate(), []
        while True:
            buffer += itertools.islice(elements, span - len(buffer))
            if not buffer or (drop_remainder and len(buffer) < span):
                return
            yield _split(buffer[:span:stride])
            if shift <= len(buffer):
                del buffer[:shift]
            else:                            # the next window starts after the buffer
                for _ in itertools.islice(elements, shift - len(buffer)):
                    pass
                buffer = []

    def count(n):
        return max(0, (n - span) // shift + 1) if drop_remainder else math.ceil(n / shift)
    return Dataset(iterate, _finite(count, self._cardinality))


def _split(elements):
    """One window: a dataset of the elements, or the same structure of one dataset per part."""
    columns = zip(*(structure.leaves(e) for e in elements))   # one tuple of arrays per leaf
    return structure.rebuild(elements[0], [_listed(list(column)) for column in columns])


def group_by_window(self, key_func, reduce_func, window_size=None, window_size_func=None, name=None):
    """Elements sorted into groups by ``key_func(element)`` (a whole number); a group that
    reaches its window size (``window_size``, or ``window_size_func(key)``) becomes
    ``reduce_func(key, group)`` (``group``: a Dataset of its elements), whose elements come
    out; at the end of the input the unfinished groups follow, by increasing key, as in
    TensorFlow."""
    if (window_size is None) == (window_size_func is None):
        raise ValueError("group_by_window: give either window_size or window_size_func")
    if window_size_func is None:
        window_size = _count(window_size, "group_by_window: window_size", low=1)

    def iterate():
        groups = {}
        for element in self._iterate():
            key = int(np.asarray(structure.call(key_func, element)))
            groups.setdefault(key, []).append(element)
            limit = window_size or _count(window_size_func(np.int64(key)), "group_by_window: window size", low=1)
            if len(groups[key]) >= limit:
                yield from reduce_func(np.int64(key), _listed(groups.pop(key)))
        for key in sorted(groups):
            yield from reduce_func(np.int64(key), _listed(groups[key]))
    return Dataset(iterate, UNKNOWN if self._cardinality != INFINITE else INFINITE)


def bucket_by_sequence_length(self, element_length_func, bucket_boundaries, bucket_batch_sizes,
                              padded_shapes=None, padding_values=None, pad_to_bucket_boundary=False,
                              no_padding=False, drop_remainder=False, name=None):
    """Batches of sequences of similar lengths, so that little padding is needed: an element
    of length ``L`` (``element_length_func(element)``) goes to bucket ``b``, the number of
    ``bucket_boundaries`` at most ``L``, whose batches have ``bucket_batch_sizes[b]``
    elements padded to the batch's longest (``padded_batch``), or to the bucket's boundary
    minus one with ``pad_to_bucket_boundary`` (glassnet pads the first axis of each part
    there when ``padded_shapes`` is not given)."""
    boundaries = [int(b) for b in bucket_boundaries]
    sizes = [int(s) for s in bucket_batch_sizes]
    if len(sizes) != len(boundaries) + 1:
        raise ValueError(f"bucket_by_sequence_length: len(bucket_batch_sizes) must equal "
                         f"len(bucket_boundaries) + 1, got {len(sizes)} and {len(boundaries)}")
    if boundaries != sorted(boundaries):
        raise ValueError(f"bucket_by_sequence_length: bucket_boundaries must be increasing, got {boundaries}")

    def bucket(*element):
        length = int(np.asarray(element_length_func(*element)))
        return np.searchsorted(boundaries, length, side="right")

    def batches(key, group):
        if no_padding:
            return group.batch(sizes[key], drop_remainder=drop_remainder)
        shapes = padded_shapes
        if pad_to_bucket_boundary:
            if key == len(boundaries):
                raise ValueError("bucket_by_sequence_length: When pad_to_bucket_boundary=True, elements must "
                                 "have length < max(bucket_boundaries).")
            shapes = _bucket_shapes(next(iter(group)), padded_shapes, boundaries[key] - 1)
        return group.padded_batch(sizes[key], shapes, padding_values, drop_remainder=drop_remainder)
    return self.group_by_window(bucket, batches, window_size_func=lambda key: sizes[key])


def _bucket_shapes(element, padded_shapes, boundary):
    """``padded_shapes`` with every open size (None) set to ``boundary``; without them, each
    part padded to ``boundary`` on its first axis and to the batch's longest on the others."""
    def fill(array, shape):
        if shape is None:
            shape = (None,) * np.ndim(array)
            shape = shape[:1] and (boundary,) + shape[1:]
        return tuple(boundary if s in (None, -1) else s for s in shape)
    shapes = structure.along(element, padded_shapes)
    return structure.rebuild(element, [fill(a, s) for a, s in zip(structure.leaves(element), shapes)])


def rebatch(self, batch_size, drop_remainder=False, name=None):
    """The batches cut again into batches of ``batch_size`` rows (or of the sizes in a
    list, in turn): ``ds.unbatch().batch(batch_size)``, as TensorFlow defines it."""
    if np.ndim(batch_size) == 0:
        return self.unbatch().batch(batch_size, drop_remainder=drop_remainder)
    sizes = [_count(s, "rebatch: batch_size", low=1) for s in np.asarray(batch_size).reshape(-1)]
    rows = self.unbatch()

    def iterate():
        elements = rows._iterate()
        for size in itertools.cycle(sizes):
            group = list(itertools.islice(elements, size))
            if not group or (drop_remainder and len(group) < size):
                return
            yield structure.stack(group, "rebatch")
    return Dataset(iterate, UNKNOWN if self._cardinality != INFINITE else INFINITE)


METHODS = (window, group_by_window, bucket_by_sequence_length, rebatch)
