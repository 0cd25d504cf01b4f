"""Pooling: shrink feature maps by summarising each small window with one number.

After a convolution finds "there is an edge here", pooling keeps "there is an edge
somewhere around here": the map gets 2x smaller per side (4x fewer numbers for the next
layer to process), and the network stops caring about a shift of a pixel or two.

* ``MaxPooling2D`` keeps each window's largest value. Its gradient goes to that one input
  (the argmax), the only one that influenced the output.
* ``AveragePooling2D`` keeps the mean, and shares the gradient equally.
* ``GlobalAveragePooling2D`` averages each channel over the whole image: ``(N, H, W, C)``
  to ``(N, C)``.

Pooling is im2col followed by a reduction. The fast path copies the windows into a stack
of pages, one page per window offset (4 pages of shape ``(N, OH, OW, C)`` for a 2x2
window), so that the max or the mean is taken over contiguous pages in a few whole-batch
NumPy operations; the backward pass builds the gradient pages and puts them back with
``col2im``. ``pool2d_reference`` is the plain-loop definition the tests compare against.
"""

import numpy as np

from glassnet.engine.layers.base import Layer, Workspace
from glassnet.engine.layers.conv import (as_padding, as_pair, col2im, im2col, output_length,
                                         same_padding)
from glassnet.errors import ShapeError


def pool2d_reference(x, pool_size=(2, 2), strides=None, padding="valid", mode="max"):
    """Pooling by its definition, one window at a time (slow; for teaching and tests).

    ``y[n, i, j, c] = max (or mean) of x[n, i*sh : i*sh + ph, j*sw : j*sw + pw, c]``, where
    "same" padding adds rows and columns that are ignored (never the max, not counted).
    """
    (ph, pw) = as_pair(pool_size, "pool_size", "pool2d_reference")
    (sh, sw) = (ph, pw) if strides is None else as_pair(strides, "strides", "pool2d_reference")
    n, h, w, c = x.shape
    (top, _), (left, _) = ((same_padding(h, ph, sh), same_padding(w, pw, sw))
                           if padding == "same" else ((0, 0), (0, 0)))
    oh, ow = output_length(h, ph, sh, padding), output_length(w, pw, sw, padding)
    y = np.zeros((n, oh, ow, c), x.dtype)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                r0, c0 = i * sh - top, j * sw - left                # window corner
                window = x[b, max(r0, 0):r0 + ph, max(c0, 0):c0 + pw, :]
                for k in range(c):
                    y[b, i, j, k] = window[:, :, k].max() if mode == "max" else window[:, :, k].mean()
    return y


class Pooling2D(Layer):
    """What the 2-D pooling layers share: the window, the stride, the padding, the shapes.

    Args:
        pool_size: window size, ``2`` or ``(PH, PW)``.
        strides: step between windows; None (the default) means ``pool_size``, so windows
            tile the image without overlapping.
        padding: ``"valid"`` (windows that don't fit are dropped, so 11 rows pool to 5) or
            ``"same"`` (the image is padded so that the output is ``ceil(H / S)`` high).

    Input shape: ``(N, H, W, C)``. Output shape: ``(N, OH, OW, C)``.
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.pool_size = as_pair(pool_size, "pool_size", owner)
        self.strides = self.pool_size if strides is None else as_pair(strides, "strides", owner)
        self.padding = as_padding(padding, owner)
        self.workspace = Workspace()

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if len(self.input_shape) != 3:
            raise ShapeError(
                f"layer '{self.name}' ({type(self).__name__}) needs images (batch, height, "
                f"width, channels) but got {('batch',) + self.input_shape}")
        h, w, _ = self.input_shape
        oh, ow, _ = self.output_shape(self.input_shape)
        if oh < 1 or ow < 1:
            raise ShapeError(f"layer '{self.name}': a {self.pool_size} window doesn't fit in "
                             f"images of {(h, w)} with padding='valid'")
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        if self.padding == "same":
            self.pads = (same_padding(h, ph, sh), same_padding(w, pw, sw))
        else:
            self.pads = ((0, 0), (0, 0))
        # How many real (not padding) pixels each window covers, per row and per column.
        rows = self._coverage(h, ph, sh, self.pads[0][0], oh)
        cols = self._coverage(w, pw, sw, self.pads[1][0], ow)
        self.count = np.outer(rows, cols)[:, :, np.newaxis]            # (OH, OW, 1)

    @staticmethod
    def _coverage(size, window, stride, before, n_out):
        starts = np.arange(n_out) * stride - before
        return np.minimum(starts + window, size) - np.maximum(starts, 0)

    def output_shape(self, input_shape):
        h, w, c = input_shape
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        return output_length(h, ph, sh, self.padding), output_length(w, pw, sw, self.padding), c

    def _stack(self, x, fill):
        """The windows as pages: ``stack[di*PW + dj, n, i, j, c] = x[n, i*SH + di, j*SW + dj, c]``.

        "same" padding surrounds ``x`` with ``fill``; with "valid", rows and columns past
        the last whole window are simply never read.
        """
        (top, bottom), (left, right) = self.pads
        n, h, w, c = x.shape
        if top or bottom or left or right:
            padded = self.workspace.get("padded", (n, h + top + bottom, w + left + right, c),
                                        x.dtype, fill=fill)
            padded[:, top:top + h, left:left + w] = x   # the border keeps ``fill``
            x = padded
        (ph, pw), (oh, ow, _) = self.pool_size, self.output_shape(self.input_shape)
        stack = self.workspace.get("stack", (ph * pw, n, oh, ow, c), x.dtype)
        pages = stack.reshape(ph, pw, n, oh, ow, c).transpose(2, 3, 4, 0, 1, 5)
        im2col(x, self.pool_size, self.strides, out=pages)      # pages: (N, OH, OW, PH, PW, C)
        return stack                                            # (PH*PW, N, OH, OW, C)

    def _unstack(self, dstack):
        """The gradient pages back onto the input: ``col2im``, then drop the padding."""
        (ph, pw), ((top, bottom), (left, right)) = self.pool_size, self.pads
        h, w = self.input_shape[:2]
        padded = (h + top + bottom, w + left + right, dstack.shape[-1])
        dx = col2im(dstack.reshape((ph, pw) + dstack.shape[1:]), padded, self.strides)
        return dx[:, top:top + h, left:left + w]

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size),
                "strides": list(self.strides), "padding": self.padding}


class MaxPooling2D(Pooling2D):
    """Keep the largest value of each window: ``y = max over the window of x``.

    Forward: stack the windows (see :class:`Pooling2D`), ``y = stack.max(axis=0)``.

    Backward: the gradient of each output goes to the one input that won its window,
    ``dstack = winner * dy`` with ``winner = (stack == y)``. If several inputs tie for the
    max, the first one (row by row) gets it all, as in PyTorch: splitting it or giving it
    to each would be wrong.
    """

    def forward(self, x, training=False):
        self.check_input(x)
        self.stack = self._stack(x, fill=-np.inf)    # padding never wins
        self.y = self.stack.max(axis=0)              # (N, OH, OW, C)
        self.winner = None                           # worked out by the first backward
        return self.y

    def _winners(self):
        """``winner[k]`` is True where page k holds its window's (first) maximum."""
        winner = self.workspace.get("winner", self.stack.shape, np.bool_)
        np.equal(self.stack, self.y, out=winner)     # True at the max of each window...
        taken = winner[0].copy()
        for page in winner[1:]:                      # ...but only at the first one
            np.greater(page, taken, out=page)        # page and not taken
            taken |= page
        return winner

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        if self.winner is None:
            self.winner = self._winners()
        # The windows' values aren't needed any more: their pages take the gradient
        # instead, which keeps the arrays in play (and the cache misses) fewer.
        dstack = self.stack
        np.copyto(dstack, self.winner)               # 1.0 where an input won, else 0.0
        dstack *= dy                                 # (faster than multiplying by booleans)
        return self._unstack(dstack)


class AveragePooling2D(Pooling2D):
    """Keep the mean of each window: ``y = sum over the window of x / count``.

    ``count`` is the window's area, except at a "same"-padded border, where only the real
    pixels are counted (as Keras does). Backward shares ``dy / count`` among the window.
    """

    def forward(self, x, training=False):
        self.check_input(x)
        y = self._stack(x, fill=0).sum(axis=0)       # (N, OH, OW, C)
        y /= self.count.astype(x.dtype)
        return y

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        share = dy / self.count.astype(dy.dtype)
        pages = self.pool_size[0] * self.pool_size[1]
        return self._unstack(np.broadcast_to(share, (pages,) + share.shape))


class GlobalAveragePooling2D(Layer):
    """The mean of each channel over the whole image: ``y[n, c] = mean over (h, w) of x``.

    Often replaces Flatten + Dense at the end of a CNN: one number per feature map, however
    large the image. Backward spreads ``dy / (H * W)`` evenly over every pixel.

    Input shape: ``(N, H, W, C)``. Output shape: ``(N, C)``.
    """

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if len(self.input_shape) != 3:
            raise ShapeError(
                f"layer '{self.name}' (GlobalAveragePooling2D) needs images (batch, height, "
                f"width, channels) but got {('batch',) + self.input_shape}")

    def output_shape(self, input_shape):
        return (input_shape[-1],)

    def forward(self, x, training=False):
        self.check_input(x)
        return x.mean(axis=(1, 2))

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        h, w, c = self.input_shape
        dx = np.empty((len(dy), h, w, c), dy.dtype)
        dx[...] = (dy / (h * w))[:, np.newaxis, np.newaxis, :]
        return dx
