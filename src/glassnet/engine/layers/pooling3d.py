"""Pooling over volumes ``(N, D, H, W, C)``: the 3-D versions of :mod:`glassnet.engine.layers.pooling`.

* ``MaxPooling3D`` keeps each box's largest value (its gradient goes to that one position);
* ``AveragePooling3D`` keeps the mean (and shares the gradient equally among the real positions);
* ``GlobalAveragePooling3D`` and ``GlobalMaxPooling3D``: one number per channel, ``(N, C)``.

The boxes are :func:`~glassnet.engine.layers.volumes.patches` (a strided view), reduced over
their last three axes; the gradient goes back one box offset at a time (``scatter``).
"""

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.im2col import as_padding
from glassnet.engine.layers.pooling import GlobalAveragePooling, GlobalMaxPooling, Pooling2D
from glassnet.engine.layers.volumes import (as_triple, channels_last, fit, need_volumes, out_sizes, pad, patches,
                                            scatter, unpad)


class Pooling3D(Layer):
    """What the two windowed 3-D poolings share: the box, the stride, the padding.

    Args:
        pool_size: box size, ``2`` or ``(PD, PH, PW)`` (default 2 each way).
        strides: step between boxes; None (the default) means ``pool_size``.
        padding: ``"valid"`` (boxes that don't fit are dropped) or ``"same"`` (padded so that
            the output is ``ceil(size / S)`` each way; the padding never wins a max, and an
            average counts only real positions, as Keras's).
        data_format: only ``"channels_last"``.

    Input shape: ``(N, D, H, W, C)``. Output shape: ``(N, OD, OH, OW, C)``.
    """

    abstract = True
    FILL = 0.0            # what "same" padding holds

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        channels_last(owner, data_format)
        self.pool_size = as_triple(pool_size, "pool_size", owner)
        self.strides = self.pool_size if strides is None else as_triple(strides, "strides", owner)
        self.padding = as_padding(padding, owner)

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        need_volumes(self)
        self.fit_declared_size()             # (a size left open: each batch's)

    def fit_image(self, shape):
        fit(self, shape, self.pool_size)

    def output_shape(self, input_shape):
        return out_sizes(input_shape[:3], self.pool_size, self.strides, self.padding) + (input_shape[-1],)

    def boxes(self, x):
        """Check and keep the batch's shape; every box as a view ``(N, OD, OH, OW, C, PD, PH, PW)``."""
        self.check_input(x)
        self.fit_batch(x)
        xp = pad(x, self.pads, self.FILL)
        self.padded_shape = xp.shape
        return patches(xp, self.pool_size, self.strides)

    def back(self, shares):
        """``shares`` (N, OD, OH, OW, C, PD, PH, PW), each box position's gradient, onto the input."""
        pages = np.moveaxis(shares, 4, -1)                        # (N, O.., P.., C), as scatter takes them
        dxp = scatter(pages, self.padded_shape, self.pool_size, self.strides)
        return unpad(dxp, self.pads, self.volume[:3])

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding}


class MaxPooling3D(Pooling3D):
    """Keep the largest value of each box: ``y = max over the box of x``.

    Backward: each output's gradient goes to the one input that won its box (the first, in
    depth, row, column order, if several tie, as in PyTorch).
    """

    FILL = -np.inf

    def forward(self, x, training=False):
        boxes = self.boxes(x)
        flat = boxes.reshape(boxes.shape[:5] + (-1,))                  # (N, O.., C, PD*PH*PW): a copy
        self.winner = flat.argmax(axis=-1)[..., None]
        return np.take_along_axis(flat, self.winner, axis=-1)[..., 0]

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        shares = np.zeros(dy.shape + (int(np.prod(self.pool_size)),), dy.dtype)
        np.put_along_axis(shares, self.winner, dy[..., None], axis=-1)
        return self.back(shares.reshape(dy.shape + self.pool_size))


class AveragePooling3D(Pooling3D):
    """Keep the mean of each box's real (not padding) positions: ``y = sum / count``.

    Backward: ``dy / count`` to every real position of the box (padding's share is dropped).
    """

    def fit_image(self, shape):
        super().fit_image(shape)
        # How many real positions each box covers, along each axis, and all three together.
        counts = [Pooling2D._coverage(n, p, s, before, o) for n, p, s, (before, _), o
                  in zip(shape[:3], self.pool_size, self.strides, self.pads, self.out)]
        self.count = np.einsum("i,j,k->ijk", *counts)[..., None]      # (OD, OH, OW, 1)

    def forward(self, x, training=False):
        return self.boxes(x).sum(axis=(5, 6, 7)) / self.count.astype(x.dtype)

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        share = (dy / self.count)[..., None, None, None]
        return self.back(np.broadcast_to(share, dy.shape + self.pool_size))


class GlobalAveragePooling3D(GlobalAveragePooling):
    """The mean of each channel over the whole volume: ``y[n, c] = mean over (d, h, w) of x``.

    Backward spreads ``dy / (D * H * W)`` evenly over every position.

    Input shape: ``(N, D, H, W, C)``. Output shape: ``(N, C)``, or ``(N, 1, 1, 1, C)`` with ``keepdims``.
    """

    RANK = 3
    WHAT = "volumes (batch, depth, height, width, channels)"


class GlobalMaxPooling3D(GlobalMaxPooling):
    """The largest value of each channel over the whole volume: ``y[n, c] = max over (d, h, w) of x``.

    Backward sends ``dy[n, c]`` to the position that held the max (the first, if several tie).

    Input shape: ``(N, D, H, W, C)``. Output shape: ``(N, C)``, or ``(N, 1, 1, 1, C)`` with ``keepdims``.
    """

    RANK = 3
    WHAT = "volumes (batch, depth, height, width, channels)"
