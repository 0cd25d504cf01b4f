"""The shape of one element of a ``tf.data.Dataset``: a tensor, or a tuple / dict of them.

TensorFlow calls this a *nested structure*: ``from_tensor_slices((x, y))`` gives elements
``(x_i, y_i)``, ``from_tensor_slices(({"pixels": x}, y))`` gives ``({"pixels": x_i}, y_i)``.
Every transformation works leaf by leaf (a leaf is one array) and keeps the structure, so
these few helpers are all the nesting the dataset needs. As in TensorFlow, a *list* is not
a structure but a tensor: ``[1, 2, 3]`` is one array of three numbers.
"""

import contextlib
import contextvars
import warnings

import numpy as np

from glassnet.engine.tensor import Tensor, as_tensor


def map_structure(function, *elements):
    """``function`` applied to the leaves of ``elements`` (all of one structure), at the
    same places: ``map_structure(f, (a, {"k": b}))`` -> ``(f(a), {"k": f(b)})``."""
    first = elements[0]
    if isinstance(first, tuple):
        return tuple(map_structure(function, *parts) for parts in zip(*elements))
    if isinstance(first, dict):
        return {key: map_structure(function, *(e[key] for e in elements)) for key in first}
    return function(*elements)


def leaves(element):
    """The arrays of ``element``, in order (tuples by position, dicts by key)."""
    if isinstance(element, tuple):
        return [leaf for part in element for leaf in leaves(part)]
    if isinstance(element, dict):
        return [leaf for key in element for leaf in leaves(element[key])]
    return [element]


def tensor(value, what):
    """One leaf as a :class:`~glassnet.engine.tensor.Tensor` of numbers or strings.

    Python numbers become float32 / int32 (TensorFlow's defaults); a NumPy array keeps its
    dtype; text (a list of strings, a data frame's text column) is an array of strings, as
    TensorFlow's ``tf.string`` tensors, which a model with a string ``Input`` takes as it is.
    """
    if isinstance(value, Tensor):
        return value
    if hasattr(value, "to_numpy"):              # pandas
        value = value.to_numpy()
    try:
        array = np.asarray(value)
    except ValueError as error:          # rows of different lengths
        raise ValueError(f"{what}: can't make one array of a {type(value).__name__} ({error}); a list is one "
                         f"tensor in tf.data, a tuple is a structure of several") from None
    if not hasattr(value, "dtype") and array.dtype.kind in "fiu":
        array = array.astype({"f": np.float32, "i": np.int32, "u": np.int32}[array.dtype.kind])
    if array.dtype.kind in "SO" and all(isinstance(v, (str, bytes)) for v in array.reshape(-1).tolist()):
        array = np.vectorize(_text, otypes=[str])(array) if array.size else array.astype(str)
    if array.dtype.kind not in "biufU":
        raise TypeError(f"{what}: {array.dtype} values are not supported by glassnet's tf.data (its tensors "
                        f"hold numbers and text)")
    return as_tensor(array)


def _text(value):
    """Text as str (TensorFlow's string tensors hold bytes; glassnet's text is str)."""
    return value.decode("utf-8") if isinstance(value, bytes) else value


def as_element(value, what):
    """``value`` (an array, a number, a tuple or dict of them) with every leaf a tensor."""
    return map_structure(lambda leaf: tensor(leaf, what), value)


def call(function, element):
    """``function(*element)`` for a tuple, else ``function(element)``: how ``map`` and
    ``filter`` hand an element to the user's function, as TensorFlow does. Inside
    :func:`skipping_errors`, an error the function raises becomes :class:`Skipped`."""
    try:
        return function(*element) if isinstance(element, tuple) else function(element)
    except Exception as error:
        if _skipping.get() is None:
            raise
        if _skipping.get():
            warnings.warn(f"ignore_errors: an element was skipped: {type(error).__name__}: {error}", stacklevel=2)
        raise Skipped from error


class Skipped(Exception):
    """An element whose function failed while ``ignore_errors`` reads: ``map`` and
    ``filter`` pass over it."""


_skipping = contextvars.ContextVar("skipping", default=None)   # None, or whether to warn


@contextlib.contextmanager
def skipping_errors(log_warning):
    """While ``ignore_errors`` pulls the next element, failed elements are skipped (and, with
    ``log_warning``, each is named in a warning). A generator runs in the context of the
    one who asks it for an element, so only the datasets before ``ignore_errors`` skip."""
    token = _skipping.set(bool(log_warning))
    try:
        yield
    finally:
        _skipping.reset(token)


def stack(elements, what):
    """Elements of one structure -> one element whose leaves are stacked on a new first axis."""
    def stack_leaves(*arrays):
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise ValueError(f"{what}: can't batch elements of different shapes {sorted(shapes)}; "
                             f"use padded_batch, or make them one shape in map")
        return as_tensor(np.stack(arrays))
    return map_structure(stack_leaves, *elements)


def pad_and_stack(elements, padded_shapes, padding_values, what):
    """As :func:`stack`, each leaf first padded at the end of every axis to its shape in
    ``padded_shapes`` (None or -1: the batch's longest) with its ``padding_values`` (default 0)."""
    shapes = along(elements[0], padded_shapes)
    values = along(elements[0], padding_values)
    columns = zip(*(leaves(e) for e in elements))          # one tuple of arrays per leaf
    return rebuild(elements[0], [_pad(arrays, shape, value, what)
                                 for arrays, shape, value in zip(columns, shapes, values)])


def _pad(arrays, shape, value, what):
    if arrays[0].ndim == 0:                  # single numbers: nothing to pad
        return as_tensor(np.stack(arrays))
    longest = np.max([a.shape for a in arrays], axis=0)
    shape = (None,) * len(longest) if shape is None else tuple(shape)
    target = tuple(int(m) if s in (None, -1) else int(s) for s, m in zip(shape, longest))
    for array in arrays:
        if any(n > t for n, t in zip(array.shape, target)):
            raise ValueError(f"{what}: an element of shape {array.shape} is longer than padded_shapes {shape}")
    filled = np.full((len(arrays),) + target, 0 if value is None else value, arrays[0].dtype)
    for row, array in zip(filled, arrays):
        row[tuple(slice(0, n) for n in array.shape)] = array
    return as_tensor(filled)


def along(structure, other):
    """``other``'s parts at the places of ``structure``'s leaves (a shape or a value for
    each leaf), as a list; None gives None for every leaf."""
    if other is None:
        return [None] * len(leaves(structure))
    if isinstance(structure, tuple):
        return [part for s, o in zip(structure, other) for part in along(s, o)]
    if isinstance(structure, dict):
        return [part for key in structure for part in along(structure[key], other[key])]
    return [other]


def rebuild(structure, flat):
    """``structure`` with its leaves replaced, in order, by the values of ``flat``."""
    flat = iter(flat)
    return map_structure(lambda _: next(flat), structure)


def unstack(element):
    """The rows of a batched element, one element each (its leaves cut along the first axis)."""
    arrays = leaves(element)
    if any(a.ndim == 0 for a in arrays):
        raise ValueError("unbatch: an element holds a single number (shape ()), which has no rows to split")
    counts = {len(a) for a in arrays}
    if len(counts) > 1:
        raise ValueError(f"unbatch: the parts of an element have different first axes {sorted(counts)}")
    return [map_structure(lambda a, i=i: a[i], element) for i in range(counts.pop())]


def plain(element):
    """The element with NumPy arrays for leaves (a single number as a NumPy scalar), as
    ``as_numpy_iterator`` gives them."""
    return map_structure(lambda a: np.asarray(a)[()] if np.ndim(a) == 0 else np.asarray(a), element)
