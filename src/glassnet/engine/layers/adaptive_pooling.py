"""Adaptive pooling: pool to a given output size, whatever the input's (Keras's and PyTorch's).

Ordinary pooling fixes the window and lets the output size follow; adaptive pooling fixes the
output size and fits the windows to it. Along an axis of ``L`` positions pooled to ``O``,
output ``i`` covers the positions::

    start_i = floor(i * L / O)        end_i = ceil((i + 1) * L / O)       # [start_i, end_i)

so the windows cover the axis evenly, overlapping by at most one position. A box's mean (or
max) is the mean (max) along one axis after another, so the layers pool each axis in turn:

* the average along an axis is a matrix product, ``y = A @ x`` with ``A[i, start_i:end_i] =
  1 / (end_i - start_i)``, and its gradient ``dx = A.T @ dy``;
* the max along an axis picks, for each output, the winner of its window; the gradient goes
  back to that position (added up where windows overlap).

The 1-D, 2-D and 3-D layers differ only in ``RANK``, the number of axes pooled (channels last).
"""

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.errors import ShapeError

WHAT = {1: "sequences (batch, steps, channels)", 2: "images (batch, height, width, channels)",
        3: "volumes (batch, depth, height, width, channels)"}


def windows(length, size):
    """``(starts, ends)`` of the ``size`` windows along ``length`` positions."""
    i = np.arange(size)
    return (i * length) // size, -((-(i + 1) * length) // size)


def average_matrix(length, size, dtype):
    """``A`` (size, length): row ``i`` averages window ``i``."""
    starts, ends = windows(length, size)
    positions = np.arange(length)
    inside = (positions >= starts[:, None]) & (positions < ends[:, None])
    return (inside / (ends - starts)[:, None]).astype(dtype)


def window_indices(length, size):
    """``(size, widest)`` positions of each window, a short window padded with its first
    position again (a repeat never wins a max over the first: argmax picks the first)."""
    starts, ends = windows(length, size)
    offsets = np.arange(int((ends - starts).max()))
    return np.where(offsets < (ends - starts)[:, None], starts[:, None] + offsets, starts[:, None])


def along(matrix, x, axis):
    """``matrix`` (O, L) applied along ``axis`` of ``x``: that axis becomes O long."""
    return np.moveaxis(np.tensordot(matrix, x, axes=(1, axis)), 0, axis)


class AdaptivePooling(Layer):
    """What the adaptive poolings share: the output size, the shapes, the config.

    Args:
        output_size: the size along each pooled axis: one number, or ``RANK`` of them.
        data_format: only ``"channels_last"``.
    """

    abstract = True
    RANK = 2

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{owner}: data_format={data_format!r} is not supported by glassnet (channels last)")
        size = (output_size,) * self.RANK if np.ndim(output_size) == 0 else tuple(output_size)
        if len(size) != self.RANK or not all(not isinstance(s, bool) and int(s) == s and s >= 1 for s in size):
            raise ValueError(f"{owner}: output_size must be a positive integer or {self.RANK} of them, "
                             f"got {output_size!r}")
        self.output_size = tuple(int(s) for s in size)

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if len(self.input_shape) != self.RANK + 1:
            raise ShapeError(f"layer '{self._display_name}' ({type(self).__name__}) needs {WHAT[self.RANK]} but "
                             f"got {('batch',) + tuple(self.input_shape)}")

    def output_shape(self, input_shape):
        return self.output_size + (input_shape[-1],)

    def forward(self, x, training=False):
        self.check_input(x)
        self.kept = []
        for axis, size in enumerate(self.output_size, start=1):
            x = self.pool(x, axis, size)
        return x

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        for axis, kept in zip(range(self.RANK, 0, -1), reversed(self.kept)):
            dy = self.unpool(dy, axis, kept)
        return dy

    def get_config(self):
        return {**super().get_config(), "output_size": list(self.output_size)}


class AdaptiveAveragePooling(AdaptivePooling):
    """The mean of each window, axis by axis: ``y = A @ x`` along each axis, ``dx = A.T @ dy``."""

    abstract = True

    def pool(self, x, axis, size):
        matrix = average_matrix(x.shape[axis], size, x.dtype)
        self.kept.append(matrix)
        return along(matrix, x, axis)

    def unpool(self, dy, axis, matrix):
        return along(matrix.T, dy, axis)


class AdaptiveMaxPooling(AdaptivePooling):
    """The largest value of each window, axis by axis; the gradient goes to the winner."""

    abstract = True

    def pool(self, x, axis, size):
        indices = window_indices(x.shape[axis], size)                   # (O, widest)
        boxes = np.take(x, indices, axis=axis)                          # axis -> (O, widest)
        winner = boxes.argmax(axis=axis + 1)
        self.kept.append((indices, winner, x.shape[axis]))
        return np.take_along_axis(boxes, np.expand_dims(winner, axis + 1), axis=axis + 1).squeeze(axis + 1)

    def unpool(self, dy, axis, kept):
        indices, winner, length = kept
        d = np.moveaxis(dy, axis, -1)                                   # (..., O)
        source = indices[np.arange(indices.shape[0]), np.moveaxis(winner, axis, -1)]   # (..., O): where each won
        dx = np.zeros(d.shape[:-1] + (length,), dy.dtype)
        rows = np.arange(int(np.prod(d.shape[:-1])))[:, None]
        np.add.at(dx.reshape(-1, length), (rows, source.reshape(len(rows), -1)), d.reshape(len(rows), -1))
        return np.moveaxis(dx, -1, axis)


class AdaptiveAveragePooling1D(AdaptiveAveragePooling):
    """Adaptive average pooling of sequences: each output the mean of its window.

    Input shape: ``(N, L, C)``. Output shape: ``(N, O, C)``, the sizes ``output_size``.
    """

    RANK = 1


class AdaptiveAveragePooling2D(AdaptiveAveragePooling):
    """Adaptive average pooling of images: each output the mean of its box.

    Input shape: ``(N, H, W, C)``. Output shape: ``(N, OH, OW, C)``, the sizes ``output_size``.
    """

    RANK = 2


class AdaptiveAveragePooling3D(AdaptiveAveragePooling):
    """Adaptive average pooling of volumes: each output the mean of its box.

    Input shape: ``(N, D, H, W, C)``. Output shape: ``(N, OD, OH, OW, C)``, the sizes ``output_size``.
    """

    RANK = 3


class AdaptiveMaxPooling1D(AdaptiveMaxPooling):
    """Adaptive max pooling of sequences: each output the largest value of its window.

    Input shape: ``(N, L, C)``. Output shape: ``(N, O, C)``, the sizes ``output_size``.
    """

    RANK = 1


class AdaptiveMaxPooling2D(AdaptiveMaxPooling):
    """Adaptive max pooling of images: each output the largest value of its box.

    Input shape: ``(N, H, W, C)``. Output shape: ``(N, OH, OW, C)``, the sizes ``output_size``.
    """

    RANK = 2


class AdaptiveMaxPooling3D(AdaptiveMaxPooling):
    """Adaptive max pooling of volumes: each output the largest value of its box.

    Input shape: ``(N, D, H, W, C)``. Output shape: ``(N, OD, OH, OW, C)``, the sizes ``output_size``.
    """

    RANK = 3
