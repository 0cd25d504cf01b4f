"""Pooling: shrink feature maps by summarising each small window with one number.

After a convolution finds "there is an edge here", pooling keeps "there is an edge
somewhere around here": the map gets 2x smaller per side (4x fewer numbers for the next
layer to process), and a feature that moves within its window gives the same output.

* ``MaxPooling2D`` keeps each window's largest value. Its gradient goes to that one input
  (the argmax), the only one that influenced the output.
* ``AveragePooling2D`` keeps the mean, and shares the gradient equally.
* ``GlobalAveragePooling2D`` and ``GlobalMaxPooling2D`` summarise each channel over the
  whole image: ``(N, H, W, C)`` to ``(N, C)``.

Pooling is im2col followed by a reduction. When the windows tile the image (the usual 2x2
windows with stride 2, no padding), window offset ``(di, dj)`` of every window is the
strided view ``x[:, di::2, dj::2]``, so the max is three ``np.maximum`` calls over views
and nothing is copied first: rows first (``x[:, 0::2]`` against ``x[:, 1::2]``, long runs
of memory), then columns. Overlapping windows and "same" padding take the general path,
which copies the windows into a stack of pages, one per window offset, reduces over the
pages, and puts the gradient pages back with ``col2im``. ``pool2d_reference`` is the
plain-loop definition the tests compare against.

Convolution is *equivariant*: shift the image and its feature maps shift with it. Pooling
adds a little *invariance*: a feature that moves within its window gives the same output.
A shift of a pixel or two changes the pooled maps much less than the image; a shift of
three pixels still costs the default CNN a good deal of accuracy.
"""

import numpy as np

from glassnet.engine.layers import chunks
from glassnet.engine.layers.base import Layer, Workspace
from glassnet.engine.layers.im2col import (as_padding, as_pair, col2im, im2col, output_length,
                                           same_padding)
from glassnet.errors import ShapeError

# Input bytes per chunk of the batch on the tiled path (see glassnet.engine.layers.chunks).
CHUNK_BYTES = 1 << 20


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
                f"layer '{self._display_name}' ({type(self).__name__}) needs images (batch, height, "
                f"width, channels) but got {('batch',) + self.input_shape}")
        self.tiled = False
        self.fit_declared_size()             # (a height or width left open: each batch's)

    def fit_image(self, shape):
        """Everything that depends on the images' size, for images of ``shape`` (H, W, C):
        ``self.image``, the "same" padding, each window's count of real pixels, and whether
        the windows tile the image."""
        h, w, _ = shape
        oh, ow, _ = self.output_shape(shape)
        if oh < 1 or ow < 1:
            raise ShapeError(f"layer '{self._display_name}': a {self.pool_size} window doesn't fit in "
                             f"images of {(h, w)} with padding='valid'")
        self.image = tuple(shape)
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        if self.padding == "same":
            self.pads = (same_padding(h, ph, sh), same_padding(w, pw, sw))
        else:
            self.pads = ((0, 0), (0, 0))
        # How many real (not padding) pixels each window covers, per row and per column.
        rows = self._coverage(h, ph, sh, self.pads[0][0], oh)
        cols = self._coverage(w, pw, sw, self.pads[1][0], ow)
        self.count = np.outer(rows, cols)[:, :, np.newaxis]            # (OH, OW, 1)
        # The windows tile the image (with perhaps a last row or column left over): the
        # fast path, on strided views of x.
        self.tiled = (sh, sw) == (ph, pw) and self.pads == ((0, 0), (0, 0))

    def take(self, x):
        """Check a batch, and fit the layer to its images' size where that was left open."""
        self.check_input(x)
        self.fit_batch(x)

    @staticmethod
    def _coverage(size, window, stride, before, n_out):
        starts = np.arange(n_out) * stride - before
        return np.minimum(starts + window, size) - np.maximum(starts, 0)

    def output_shape(self, input_shape):
        h, w, c = input_shape
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        return output_length(h, ph, sh, self.padding), output_length(w, pw, sw, self.padding), c

    def _stack(self, x, pages, fill, worker=0):
        """The windows of ``x`` as pages: ``pages[di*PW + dj, n, i, j, c] = x[n, i*SH + di, j*SW + dj, c]``.

        ``pages`` is ``(PH*PW, n, OH, OW, C)``. "same" padding surrounds ``x`` with
        ``fill``; with "valid", rows and columns past the last whole window are never read.
        """
        (top, bottom), (left, right) = self.pads
        n, h, w, c = x.shape
        if top or bottom or left or right:
            padded = self.workspace.get("padded", (n, h + top + bottom, w + left + right, c),
                                        x.dtype, fill=fill, worker=worker)
            padded[:, top:top + h, left:left + w] = x   # the border keeps ``fill``
            x = padded
        (ph, pw), (oh, ow, _) = self.pool_size, self.output_shape(self.image)
        windows = pages.reshape(ph, pw, n, oh, ow, c).transpose(2, 3, 4, 0, 1, 5)
        im2col(x, self.pool_size, self.strides, out=windows)   # (n, OH, OW, PH, PW, C)

    def _offsets(self, x):
        """Offset ``(di, dj)`` of every window, as views ``(N, OH, OW, C)`` of ``x``, row by row."""
        (ph, pw), (oh, ow, _) = self.pool_size, self.output_shape(self.image)
        return [x[:, di:ph * oh:ph, dj:pw * ow:pw] for di in range(ph) for dj in range(pw)]

    def _reduce_tiles(self, x, y, reduce, worker):
        """``y = reduce`` over each window of ``x``, windows that tile the image: along the
        rows (long runs of memory), then along the columns. ``reduce`` is ``np.maximum`` or
        ``np.add``."""
        (ph, pw), (oh, ow, _) = self.pool_size, self.output_shape(self.image)
        x = x[:, :ph * oh, :pw * ow]
        rows = x[:, 0::ph]                                          # (n, OH, PW*OW, C)
        if ph > 1:
            rows = reduce(rows, x[:, 1::ph], out=self.workspace.get("rows", rows.shape, x.dtype,
                                                                     worker=worker))
        for di in range(2, ph):
            reduce(rows, x[:, di::ph], out=rows)
        if pw > 1:
            reduce(rows[:, :, 0::pw], rows[:, :, 1::pw], out=y)     # (n, OH, OW, C)
        else:
            np.copyto(y, rows)
        for dj in range(2, pw):
            reduce(y, rows[:, :, dj::pw], out=y)

    def _chunks(self, n, work):
        """Run ``work(worker, lo, hi)`` over chunks of the batch (see :mod:`chunks`)."""
        per_image = int(np.prod(self.image)) * 4
        chunks.run(n, max(1, CHUNK_BYTES // per_image), work)

    def _unstack(self, dpages, dx, worker=0):
        """The gradient pages back onto the input, into ``dx``: ``col2im``, then drop the padding."""
        (ph, pw), ((top, bottom), (left, right)) = self.pool_size, self.pads
        n, (h, w, c) = dpages.shape[1], self.image
        padded = (n, h + top + bottom, w + left + right, c)
        if padded == dx.shape:
            col2im(dpages.reshape((ph, pw) + dpages.shape[1:]), padded[1:], self.strides, out=dx)
            return
        dx_padded = col2im(dpages.reshape((ph, pw) + dpages.shape[1:]), padded[1:], self.strides,
                           out=self.workspace.get("dx_padded", padded, dx.dtype, worker=worker))
        dx[...] = dx_padded[:, top:top + h, left:left + w]

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size),
                "strides": list(self.strides), "padding": self.padding}


class MaxPooling2D(Pooling2D):
    """Keep the largest value of each window: ``y = max over the window of x``.

    Backward: the gradient of each output goes to the one input that won its window. If
    several inputs tie for the max, the first one (row by row) gets it all, as in PyTorch:
    splitting it or giving it to each would be wrong.

    Training stacks the windows as pages (see :class:`Pooling2D`): ``y = stack.max(axis=0)``,
    and backward ``dstack = winner * dy`` with ``winner = (stack == y)``, first pages first,
    all on contiguous pages. Inference on windows that tile the image stacks nothing: ``y``
    is the ``np.maximum`` of strided views of ``x`` (a backward pass after it stacks the
    windows then).
    """

    def forward(self, x, training=False):
        self.take(x)
        self.x = x
        self.y = np.empty((len(x),) + self.output_shape(self.image), x.dtype)
        if self.tiled and not training:
            self.stack = None
            self._chunks(len(x), lambda worker, lo, hi: self._reduce_tiles(
                x[lo:hi], self.y[lo:hi], np.maximum, worker))
        else:
            self.stack = self._stack_all(x)
        return self.y

    def _stack_all(self, x):
        """Every window of ``x`` stacked (``(PH*PW, N, OH, OW, C)``), and ``self.y`` from them."""
        (ph, pw), (oh, ow, c) = self.pool_size, self.output_shape(self.image)
        stack = self.workspace.get("stack", (ph * pw, len(x), oh, ow, c), x.dtype)

        def work(worker, lo, hi):
            self._stack(x[lo:hi], stack[:, lo:hi], -np.inf, worker)   # padding never wins
            np.max(stack[:, lo:hi], axis=0, out=self.y[lo:hi])

        self._chunks(len(x), work)
        return stack

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        if self.stack is None:                        # forward ran for inference
            self.stack = self._stack_all(self.x)
        dx = np.empty(self.x.shape, dy.dtype)

        def work(worker, lo, hi):
            pages = self.stack[:, lo:hi]              # (PH*PW, n, OH, OW, C)
            winner = self.workspace.get("winner", pages.shape, np.bool_, worker=worker)
            np.equal(pages, self.y[lo:hi], out=winner)  # True at the max of each window...
            taken = self.workspace.get("taken", pages.shape[1:], np.bool_, worker=worker)
            np.copyto(taken, winner[0])
            for page in winner[1:]:                   # ...but only at the first one
                np.greater(page, taken, out=page)     # page and not taken
                taken |= page
            dpages = self.workspace.get("dpages", pages.shape, dy.dtype, worker=worker)
            np.copyto(dpages, winner)                 # 1.0 where an input won, else 0.0
            dpages *= dy[lo:hi]                       # (faster than multiplying by booleans)
            self._unstack(dpages, dx[lo:hi], worker)

        self._chunks(len(dy), work)
        return dx


class AveragePooling2D(Pooling2D):
    """Keep the mean of each window: ``y = sum over the window of x / count``.

    ``count`` is the window's area, except at a "same"-padded border, where only the real
    pixels are counted (as Keras does). Backward shares ``dy / count`` among the window.
    Windows that tile the image: sums of strided views of ``x``, and backward copies the
    share into each window offset's view of ``dx``.
    """

    def forward(self, x, training=False):
        self.take(x)
        (ph, pw), (oh, ow, c) = self.pool_size, self.output_shape(self.image)
        y = np.empty((len(x), oh, ow, c), x.dtype)
        if self.tiled:
            scale = x.dtype.type(1 / (ph * pw))

            def work(worker, lo, hi):
                self._reduce_tiles(x[lo:hi], y[lo:hi], np.add, worker)
                y[lo:hi] *= scale
        else:
            count = self.count.astype(x.dtype)

            def work(worker, lo, hi):
                pages = self.workspace.get("pages", (ph * pw, hi - lo, oh, ow, c), x.dtype,
                                           worker=worker)
                self._stack(x[lo:hi], pages, 0, worker)
                np.sum(pages, axis=0, out=y[lo:hi])
                y[lo:hi] /= count

        self._chunks(len(x), work)
        return y

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        (ph, pw), (oh, ow, _) = self.pool_size, self.output_shape(self.image)
        dx = np.empty((len(dy),) + self.image, dy.dtype)
        count = self.count.astype(dy.dtype)

        def work(worker, lo, hi):
            share = np.divide(dy[lo:hi], count, out=self.workspace.get(
                "share", dy[lo:hi].shape, dy.dtype, worker=worker))
            if self.tiled:
                dx[lo:hi, ph * oh:] = 0              # rows and columns no window covers
                dx[lo:hi, :, pw * ow:] = 0
                for dx_k in self._offsets(dx[lo:hi]):
                    np.copyto(dx_k, share)
            else:
                self._unstack(np.broadcast_to(share, (ph * pw,) + share.shape), dx[lo:hi], worker)

        self._chunks(len(dy), work)
        return dx


class GlobalPooling(Layer):
    """What the global poolings share: one number per channel, over every position.

    ``RANK`` is how many axes the positions span: 2 for images ``(N, H, W, C)``, 1 for
    sequences ``(N, L, C)`` (:mod:`glassnet.engine.layers.pooling1d`).

    Args:
        keepdims: keep the position axes, each of length 1: ``(N, 1, 1, C)`` instead of
            ``(N, C)``, as in Keras.
        data_format: Keras's; only ``"channels_last"`` is supported.

    Output shape: ``(N, C)``, or ``(N, 1, 1, C)`` (``(N, 1, C)``) with ``keepdims``.
    """

    RANK = 2
    WHAT = "images (batch, height, width, channels)"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: data_format={data_format!r} is not supported by "
                             f"glassnet (channels last)")
        if not isinstance(keepdims, (bool, np.bool_)):
            raise ValueError(f"{type(self).__name__}: keepdims must be True or False, got {keepdims!r}")
        self.keepdims = bool(keepdims)

    @property
    def axes(self):
        return tuple(range(1, self.RANK + 1))

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if len(self.input_shape) != self.RANK + 1:
            raise ShapeError(f"layer '{self._display_name}' ({type(self).__name__}) needs {self.WHAT} but got "
                             f"{('batch',) + self.input_shape}")

    def output_shape(self, input_shape):
        return (1,) * self.RANK + (input_shape[-1],) if self.keepdims else (input_shape[-1],)

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


class GlobalAveragePooling(GlobalPooling):
    """The mean of each channel over every position; backward spreads ``dy / positions``
    evenly over them. (Made concrete by the 1-D and 2-D classes.)"""

    abstract = True

    def forward(self, x, training=False):
        self.check_input(x)
        self.x_shape = x.shape[1:]           # (this batch's, where a size was left open)
        return x.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        positions = int(np.prod(self.x_shape[:-1]))
        share = dy.reshape((len(dy),) + (1,) * self.RANK + (self.x_shape[-1],)) / positions
        return np.broadcast_to(share, (len(dy),) + self.x_shape).copy()


class GlobalMaxPooling(GlobalPooling):
    """The largest value of each channel over every position; backward sends ``dy[n, c]`` to
    the position that held it (the first, if several tie, as Keras and PyTorch do)."""

    abstract = True

    def forward(self, x, training=False):
        self.check_input(x)
        self.x = x
        return x.max(axis=self.axes, keepdims=self.keepdims)

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        n, c = len(dy), self.input_shape[-1]
        pixels = self.x.reshape(n, -1, c)                         # (N, positions, C)
        first = pixels.argmax(axis=1)[:, np.newaxis, :]           # argmax picks the first max
        dx = np.zeros(pixels.shape, dy.dtype)
        np.put_along_axis(dx, first, dy.reshape(n, 1, c), axis=1)
        return dx.reshape(self.x.shape)


class GlobalAveragePooling2D(GlobalAveragePooling):
    """The mean of each channel over the whole image: ``y[n, c] = mean over (h, w) of x``.

    Often replaces Flatten + Dense at the end of a CNN: one number per feature map, however
    large the image. Backward spreads ``dy / (H * W)`` evenly over every pixel.

    Input shape: ``(N, H, W, C)``. Output shape: ``(N, C)``, or ``(N, 1, 1, C)`` with ``keepdims``.
    """


class GlobalMaxPooling2D(GlobalMaxPooling):
    """The largest value of each channel over the whole image: ``y[n, c] = max over (h, w) of x``.

    Backward sends ``dy[n, c]`` to the pixel that held the max (the first one, row by row,
    if several tie), as Keras and PyTorch do.

    Input shape: ``(N, H, W, C)``. Output shape: ``(N, C)``, or ``(N, 1, 1, C)`` with ``keepdims``.
    """
