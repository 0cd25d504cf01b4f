"""Merge layers: where the branches of a Functional model meet.

Each takes a *list* of inputs, ``Add()([a, b])``, and gives one output. Their backward
passes are the chain rule for the operation, one gradient per input:

* ``Add``: ``y = a + b``; each input gets ``dy`` unchanged (a sum spreads blame equally).
  This is the skip connection of a residual network, ``y = x + f(x)``: the gradient
  reaches ``x`` directly, however small ``f``'s share is.
* ``Subtract``: ``y = a - b``; ``da = dy``, ``db = -dy``.
* ``Multiply``: ``y = a * b``; ``da = dy * b``, ``db = dy * a`` (each gets the others' product).
* ``Average``: ``y = (a + b) / n``; each input gets ``dy / n``.
* ``Maximum`` / ``Minimum``: the gradient goes to the input that won, element by element.
* ``Concatenate``: the inputs side by side along an axis; the gradient is cut back into
  the same pieces.

Apart from Concatenate, the inputs' shapes must *broadcast*, as NumPy's and Keras 3's do: an
axis of size 1 is repeated to match (a squeeze-and-excitation block multiplies a ``(N, 14, 14,
64)`` image by ``(N, 1, 1, 64)`` channel weights), and a sample with fewer axes is lined up
from the right. An input that was repeated gets back the *sum* of the gradients of its
copies (:func:`unbroadcast`), as any value used several times does.
"""

import numpy as np

from glassnet.engine import masking

from glassnet.engine import autodiff
from glassnet.engine.layers.base import Layer
from glassnet.engine.shapes import SampleShape, broadcast_shapes, has_open_size, same_size
from glassnet.errors import ShapeError


def unbroadcast(gradient, shape):
    """The gradient of an input of sample ``shape`` that was broadcast up to ``gradient``'s
    shape: summed over the axes it was repeated along, ``(N, 14, 14, 64) -> (N, 1, 1, 64)``
    (autodiff's rule, with the input lined up first as :meth:`Merge.lined_up` lines it up)."""
    lined = (len(gradient),) + (1,) * (gradient.ndim - 1 - len(shape)) + tuple(shape)
    return autodiff.unbroadcast(gradient, lined).reshape((len(gradient),) + tuple(shape))


class Merge(Layer):
    """What the merge layers share: a list of inputs, their shapes checked when built, and
    broadcasting. A subclass gives ``gradients(dy)``, each input's gradient at the output's
    shape; ``backward`` sums each one back to its input's shape."""

    takes_list = True
    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        """Keras's: the steps real in any input, if every input has a mask (engine/masking.py)."""
        return None if mask is None else masking.either(mask)

    def build(self, input_shape, rng=None):
        self.input_shape = [SampleShape(shape) for shape in input_shape]   # None: a size left open
        self.rng = rng if rng is not None else np.random.default_rng()
        self.check_shapes(self.input_shape)
        self.open_sizes = has_open_size(self.input_shape)
        self.built = True

    def check_shapes(self, shapes):
        owner = f"layer '{self.name or type(self).__name__.lower()}' ({type(self).__name__})"
        if len(shapes) < 2:
            raise ShapeError(f"{owner} needs two or more inputs")
        try:
            broadcast_shapes(*shapes)
        except ValueError:
            raise ShapeError(f"{owner} needs inputs of one shape (or shapes that broadcast, an axis of 1 "
                             f"against any size), got {', '.join(str((None,) + s) for s in shapes)}") from None

    def output_shape(self, input_shape):
        return broadcast_shapes(*input_shape)

    def take(self, xs):
        """Check the inputs against the shapes this layer was built for, and remember their
        shapes (a size left open is known only now) for backward to sum each gradient back to."""
        self.check_input(xs)
        self.x_shapes = [x.shape[1:] for x in xs]
        if self.open_sizes:                  # only now can sizes left open be checked together
            self.check_shapes(self.x_shapes)
        return xs

    def lined_up(self, xs):
        """The inputs with as many axes as the output: a sample with fewer gets 1s on its left,
        after the batch axis (``(N, 64) -> (N, 1, 1, 64)``), so NumPy broadcasts the rest."""
        rank = max(x.ndim for x in xs)
        return [x.reshape((len(x),) + (1,) * (rank - x.ndim) + x.shape[1:]) for x in xs]

    def backward(self, dy):
        return [unbroadcast(g, shape) for g, shape in zip(self.gradients(dy), self.x_shapes)]


class Add(Merge):
    """``y = x1 + x2 + ...``; every input gets ``dy``."""

    def forward(self, xs, training=False):
        xs = self.lined_up(self.take(xs))
        y = xs[0] + xs[1]
        for x in xs[2:]:
            y = y + x
        return y

    def gradients(self, dy):
        return [dy] * len(self.input_shape)


class Subtract(Merge):
    """``y = x1 - x2`` (exactly two inputs); ``dx1 = dy``, ``dx2 = -dy``."""

    def check_shapes(self, shapes):
        if len(shapes) != 2:
            raise ShapeError(f"layer '{self._display_name}' (Subtract) needs exactly two inputs, got {len(shapes)}")
        super().check_shapes(shapes)

    def forward(self, xs, training=False):
        a, b = self.lined_up(self.take(xs))
        return a - b

    def gradients(self, dy):
        return [dy, -dy]


class Multiply(Merge):
    """``y = x1 * x2 * ...`` element by element; ``dx_i = dy * (product of the others)``."""

    def forward(self, xs, training=False):
        self.xs = xs = self.lined_up(self.take(xs))
        y = xs[0] * xs[1]
        for x in xs[2:]:
            y = y * x
        return y

    def gradients(self, dy):
        grads = []
        for i in range(len(self.xs)):
            g = dy
            for j, x in enumerate(self.xs):
                if j != i:
                    g = g * x
            grads.append(g)
        return grads


class Average(Merge):
    """``y = (x1 + ... + xn) / n``; every input gets ``dy / n``."""

    def forward(self, xs, training=False):
        xs = self.lined_up(self.take(xs))
        y = xs[0] + xs[1]
        for x in xs[2:]:
            y = y + x
        y /= len(xs)
        return y

    def gradients(self, dy):
        share = dy / len(self.input_shape)
        return [share] * len(self.input_shape)


class Maximum(Merge):
    """The largest input, element by element; the gradient goes to the (first) winner."""

    pick = staticmethod(np.argmax)

    def forward(self, xs, training=False):
        stacked = np.stack(np.broadcast_arrays(*self.lined_up(self.take(xs))))   # (n, N, ...)
        self.winner = self.pick(stacked, axis=0)      # (N, ...): which input won
        return np.take_along_axis(stacked, self.winner[np.newaxis], axis=0)[0]

    def gradients(self, dy):
        return [np.where(self.winner == i, dy, 0).astype(dy.dtype, copy=False)
                for i in range(len(self.input_shape))]


class Minimum(Maximum):
    """The smallest input, element by element; the gradient goes to the (first) winner."""

    pick = staticmethod(np.argmin)


class Concatenate(Merge):
    """The inputs side by side along ``axis``; the gradient is cut back into the pieces.

    Args:
        axis: Keras counts the batch axis, so ``-1`` (the default) is the last axis
            (channels of an image, features of a vector) and ``1`` the first axis of a sample.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if int(axis) != axis or axis == 0:
            raise ValueError(f"Concatenate: axis must be a whole number other than 0 (the batch), got {axis!r}")
        self.axis = int(axis)

    def _sample_axis(self, ndim):
        """The axis within one sample (no batch axis) that Keras's ``axis`` names."""
        axis = self.axis - 1 if self.axis > 0 else ndim + self.axis
        if not 0 <= axis < ndim:
            raise ShapeError(f"layer '{self._display_name}' (Concatenate): axis {self.axis} doesn't exist for "
                             f"inputs of {ndim + 1} axes")
        return axis

    def check_shapes(self, shapes):
        if len(shapes) < 2:
            raise ShapeError(f"layer '{self._display_name}' (Concatenate) needs two or more inputs")
        axis = self._sample_axis(len(shapes[0]))
        trimmed = [s[:axis] + s[axis + 1:] for s in shapes]
        if any(len(s) != len(shapes[0]) for s in shapes) or not all(
                same_size(a, b) for t in trimmed for a, b in zip(t, trimmed[0])):
            raise ShapeError(f"layer '{self._display_name}' (Concatenate): inputs must match except along axis "
                             f"{self.axis}, got {', '.join(str((None,) + s) for s in shapes)}")

    def output_shape(self, input_shape):
        axis = self._sample_axis(len(input_shape[0]))
        shape = list(broadcast_shapes(*[s[:axis] + (1,) + s[axis + 1:] for s in input_shape]))
        sizes = [s[axis] for s in input_shape]
        shape[axis] = None if None in sizes else sum(sizes)      # a length left open stays open
        return SampleShape(shape)

    def compute_mask(self, inputs, mask=None):
        """Keras's: joined along the features, a step is real if it is real in any input;
        joined along time, the masks follow one another. An input without a mask is real
        everywhere."""
        if mask is None or all(m is None for m in mask):
            return None
        full = [np.ones(np.shape(x)[:-1], bool) if m is None else np.asarray(m, bool) for x, m in zip(inputs, mask)]
        axis = self._sample_axis(np.ndim(inputs[0]) - 1) + 1
        if axis == np.ndim(inputs[0]) - 1:
            return np.logical_or.reduce(full)
        return np.concatenate(full, axis=axis)

    def forward(self, xs, training=False):
        xs = self.take(xs)
        return np.concatenate(xs, axis=self._sample_axis(xs[0].ndim - 1) + 1)

    def backward(self, dy):
        axis = self._sample_axis(dy.ndim - 1)
        cuts = np.cumsum([shape[axis] for shape in self.x_shapes])[:-1]
        return np.split(dy, cuts, axis=axis + 1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


# Keras's functional forms: ``add([a, b])`` is ``Add()([a, b])``.
def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)
