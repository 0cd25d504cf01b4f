"""Shapes of one sample, and sizes left open.

A layer is built for the shape of *one sample*: ``(28, 28, 1)`` for an MNIST image,
``(100, 64)`` for 100 time steps of 64 features. The batch axis is left out, because a
model takes batches of any size. Keras writes the same shapes with the batch axis as
``None`` in front, ``(None, 28, 28, 1)``, and glassnet accepts both spellings from users.

A size may also be left open (None) *inside* a sample: ``Input(shape=(None,))`` takes
sentences of any length, ``(None, None, 3)`` colour images of any size. A layer built for
such a shape runs on any input whose other sizes match (:func:`shape_fits`), and its own
weights only depend on the sizes that are known (an LSTM's on the features, not on the
number of time steps).

That makes ``(None, 64)`` ambiguous: Keras's spelling of one 64-number sample, or 64
features at each of any number of time steps? A shape that glassnet itself worked out is a
:class:`SampleShape`, which is never read as Keras's spelling.
"""


class SampleShape(tuple):
    """One sample's shape, batch axis left out, sizes left open as None: ``(None, 64)`` is
    "any number of steps of 64 features", never Keras's spelling of ``(64,)``."""

    def __new__(cls, sizes=()):
        return super().__new__(cls, (None if d is None else int(d) for d in sizes))


def sample_shape(shape):
    """One sample's shape, Keras's leading ``None`` (the batch) dropped unless ``shape`` is a
    :class:`SampleShape` already: ``(None, 28, 28) -> (28, 28)``; a list of such shapes for
    several inputs."""
    if isinstance(shape, SampleShape):
        return shape
    shape = tuple(shape)
    if shape and isinstance(shape[0], (tuple, list)):
        return [sample_shape(one) for one in shape]
    if shape and shape[0] is None:
        shape = shape[1:]
    return SampleShape(shape)


def has_open_size(shape):
    """Whether ``shape`` (one sample's, or a list of them) leaves a size open (None): a
    sequence of any length is ``(None, 64)``, an image of any size ``(None, None, 3)``."""
    if shape and isinstance(shape[0], (tuple, list)):
        return any(has_open_size(one) for one in shape)
    return shape is not None and None in tuple(shape)


def shape_fits(expected, actual):
    """Whether an input of sample shape ``actual`` fits a layer built for ``expected``:
    the same number of axes, and every size equal, except where ``expected`` left one open
    (None), which any size fills."""
    if expected == actual:                 # the usual case, checked on every batch: fast
        return True
    expected, actual = tuple(expected), tuple(actual)
    return len(expected) == len(actual) and all(e is None or e == a for e, a in zip(expected, actual))


def broadcast_shapes(*shapes):
    """NumPy's broadcasting of sample shapes, with sizes left open: lined up from the right,
    an axis of size 1 repeats to match the others, and an open size (None) matches anything.
    The result's axis is the known size > 1 if there is one, else None if any is open, else 1.
    Raises ValueError when two known sizes > 1 differ."""
    rank = max(len(s) for s in shapes)
    lined = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    result = []
    for sizes in zip(*lined):
        known = {d for d in sizes if d is not None and d != 1}
        if len(known) > 1:
            raise ValueError(f"shapes {', '.join(str(tuple(s)) for s in shapes)} don't broadcast")
        result.append(known.pop() if known else (None if None in sizes else 1))
    return SampleShape(result)


def same_size(a, b):
    """Whether two sizes may be equal: both known and equal, or either left open."""
    return a is None or b is None or a == b
