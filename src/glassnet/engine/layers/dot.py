"""Dot: the dot product of two inputs along an axis of each, sample by sample.

``Dot(axes=1)([a, b])`` on two batches of vectors ``(N, D)`` gives ``(N, 1)``: one number per
sample, ``sum_d a[n, d] * b[n, d]``. With ``normalize=True`` both are first scaled to length 1,
so the number is their cosine similarity (a siamese network's score). On sequences it is
the scores of attention: ``Dot(axes=(2, 2))([queries, keys])`` on ``(N, T, D)`` and
``(N, S, D)`` gives ``(N, T, S)``, every query against every key.

How: each input's summed axis is moved last (``a``) or first after the batch (``b``) and the
rest flattened, so the product is one batched matrix multiply::

    A: (N, Pa, K)   B: (N, K, Pb)   Y = A @ B: (N, Pa, Pb)
    dA = dY @ B^T   dB = A^T @ dY

then reshaped back. With ``normalize``, ``u = a / |a|`` and the gradient through the scaling
is ``da = (du - u * sum(du * u)) / |a|`` (the part of ``du`` along ``u`` changes only the
length, which the scaling removes).

Input shapes: two, sizes equal along the summed axes. Output shape: the first input's other
axes, then the second's; ``(N, 1)`` when nothing is left (two vectors).
"""

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.unit_norm import unit, unit_backward
from glassnet.engine.shapes import SampleShape, same_size
from glassnet.errors import ShapeError

SMALLEST = 1e-6      # Keras's l2_normalize: x / sqrt(max(sum(x**2), 1e-12))


class Dot(Layer):
    """``y = sum over the axes of a * b``, per sample (Keras's ``Dot``).

    Args:
        axes: the axis summed over, counted as Keras counts them (the batch is axis 0, so a
            sample's first axis is 1; -1 is the last): one for both inputs, or a pair.
        normalize: scale both inputs to length 1 along those axes first (cosine similarity).
    """

    takes_list = True
    supports_masking = True     # Keras's: a mask is taken in and none given out

    def compute_mask(self, inputs, mask=None):
        return None

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        pair = tuple(axes) if isinstance(axes, (list, tuple)) else (axes, axes)
        if len(pair) != 2 or any(int(a) != a or a == 0 for a in pair):
            raise ValueError(f"Dot: axes must be an axis other than 0 (the batch) or a pair of them, got {axes!r}")
        self.axes = tuple(int(a) for a in pair)
        self.normalize = bool(normalize)

    def _sample_axes(self, shapes):
        """The summed axis of each input within one sample (no batch axis)."""
        return [axis - 1 if axis > 0 else len(shape) + axis for axis, shape in zip(self.axes, shapes)]

    def build(self, input_shape, rng=None):
        owner = f"layer '{self._display_name}' (Dot)"
        if len(input_shape) != 2:
            raise ShapeError(f"{owner} takes exactly two inputs, got {len(input_shape)}")
        self.input_shape = [SampleShape(shape) for shape in input_shape]
        self.rng = rng if rng is not None else np.random.default_rng()
        axes = self._sample_axes(self.input_shape)
        if any(not 0 <= axis < len(shape) for axis, shape in zip(axes, self.input_shape)):
            raise ShapeError(f"{owner}: axes={self.axes} don't exist in inputs of shapes "
                             f"{[(None,) + s for s in self.input_shape]}")
        (a, b), (i, j) = self.input_shape, axes
        if not same_size(a[i], b[j]):
            raise ShapeError(f"{owner}: the inputs' sizes along axes {self.axes} differ: {a[i]} and {b[j]}")
        self.built = True

    def output_shape(self, input_shape):
        (a, b), (i, j) = input_shape, self._sample_axes(input_shape)
        rest = tuple(a[:i]) + tuple(a[i + 1:]) + tuple(b[:j]) + tuple(b[j + 1:])
        return rest or (1,)

    def forward(self, xs, training=False):
        self.check_input(xs)
        (a, b), (i, j), n = xs, self._sample_axes([x.shape[1:] for x in xs]), len(xs[0])
        if self.normalize:
            (a, self.norm_a), (b, self.norm_b) = unit(a, i + 1, SMALLEST), unit(b, j + 1, SMALLEST)
        self.a = np.moveaxis(a, i + 1, -1)                  # (N, ...a, K)
        self.b = np.moveaxis(b, j + 1, 1)                   # (N, K, ...b)
        k = self.a.shape[-1]
        y = self.a.reshape(n, -1, k) @ self.b.reshape(n, k, -1)            # (N, Pa, Pb)
        return y.reshape((n,) + self.output_shape([x.shape[1:] for x in xs]))

    def backward(self, dy):
        n, k = len(dy), self.a.shape[-1]
        A, B = self.a.reshape(n, -1, k), self.b.reshape(n, k, -1)
        dY = dy.reshape(n, A.shape[1], B.shape[2])
        da = (dY @ np.swapaxes(B, 1, 2)).reshape(self.a.shape)             # dA = dY @ B^T
        db = (np.swapaxes(A, 1, 2) @ dY).reshape(self.b.shape)             # dB = A^T @ dY
        i, j = self._sample_axes([self.a.shape[1:], self.b.shape[1:]])
        da, db = np.moveaxis(da, -1, i + 1), np.moveaxis(db, 1, j + 1)
        if self.normalize:
            da = unit_backward(da, np.moveaxis(self.a, -1, i + 1), self.norm_a, i + 1)
            db = unit_backward(db, np.moveaxis(self.b, 1, j + 1), self.norm_b, j + 1)
        return [da, db]

    def get_config(self):
        return {**super().get_config(), "axes": list(self.axes), "normalize": self.normalize}


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """Keras's functional form: ``dot([a, b], axes=1)`` is ``Dot(axes=1)([a, b])``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
