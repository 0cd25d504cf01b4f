"""Conv2D: a small filter slid over the image, the layer that sees shapes instead of pixels.

A Dense layer on a flattened image has one weight per pixel per unit, and no idea that two
pixels are neighbours. A convolution learns a few small filters (3x3, say) and applies the
same filter at every position, so an edge or a loop is detected wherever it appears, with
a few hundred weights instead of hundreds of thousands.

The fast path is **im2col**: copy every KHxKW patch of the input into one row of a matrix;
then the whole convolution of the whole batch is *one* matrix multiply, which BLAS does at
full speed. The backward pass is two more matrix multiplies and **col2im**, which adds each
patch's gradient back where the patch came from. ``conv2d_reference`` beside it is the
definition written as plain loops: slow, obvious, and what the tests compare against.

Images are channels-last, ``(N, H, W, C)``, as in Keras.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from glassnet.engine import initializers, regularizers
from glassnet.engine.layers import activations
from glassnet.engine.layers.base import Layer, Workspace
from glassnet.errors import ShapeError

PADDINGS = ("valid", "same")


def as_pair(value, what, owner):
    """``3 -> (3, 3)``; ``(3, 2)`` stays; anything but positive integers is a ValueError."""
    pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(pair) != 2 or not all(int(v) == v and v >= 1 for v in pair):
        raise ValueError(f"{owner}: {what} must be a positive integer or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def as_padding(value, owner):
    padding = str(value).lower()
    if padding not in PADDINGS:
        raise ValueError(f"{owner}: padding must be 'valid' or 'same', got {value!r}")
    return padding


def output_length(size, window, stride, padding):
    """Output positions along one axis: ``floor((size - window) / stride) + 1`` for "valid";
    ``ceil(size / stride)`` for "same", which pads just enough to get there."""
    if padding == "same":
        return -(-size // stride)
    return (size - window) // stride + 1


def same_padding(size, window, stride):
    """``(before, after)`` zeros for "same" padding; the odd one goes after, as in Keras."""
    total = max((output_length(size, window, stride, "same") - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


def im2col(x, kernel_size, strides, out=None):
    """Copy every patch of ``x`` into a row: ``(N, H, W, C) -> (N, OH, OW, KH, KW, C)``.

    Reshaped to ``(N*OH*OW, KH*KW*C)``, row ``(n, i, j)`` holds the patch under output pixel
    ``(i, j)`` of image ``n``, in the same order as the kernel's ``(KH, KW, C)`` axes, so
    ``cols @ kernel.reshape(KH*KW*C, F)`` is the convolution.
    """
    (kh, kw), (sh, sw) = kernel_size, strides
    n, h, w, c = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    cols = np.empty((n, oh, ow, kh, kw, c), x.dtype) if out is None else out
    if c >= 8:
        # One copy through a strided view: no pixel is copied before it's needed. The
        # view is (N, OH, OW, C, KH, KW); moving C last makes each copied run C long.
        windows = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
        np.copyto(cols, windows.transpose(0, 1, 2, 4, 5, 3))
    else:
        # Few channels (a grayscale input has 1): the runs above would be a few numbers
        # long. Copying one kernel offset at a time moves whole image rows instead.
        for i in range(kh):
            for j in range(kw):
                cols[:, :, :, i, j, :] = x[:, i:i + sh * oh:sh, j:j + sw * ow:sw, :]
    return cols


def col2im(pages, image_shape, strides):
    """The way back from :func:`im2col`: add every patch's gradient onto its pixels.

    ``pages[di, dj]`` holds, for every output position ``(n, i, j)``, the gradient of the
    pixel that kernel offset ``(di, dj)`` saw there: ``x[n, i*SH + di, j*SW + dj, :]``. A
    pixel seen from several offsets (patches overlap) gets the sum. Pixels no patch saw
    get zero, and so does any part of ``image_shape`` past the last patch.

    Shapes: ``pages`` is ``(KH, KW, N, OH, OW, C)``, offset first, so that each of the
    KH*KW additions below reads one contiguous page; the result is ``(N, H, W, C)``.
    """
    kh, kw, n, oh, ow, c = pages.shape
    sh, sw = strides
    overlap = sh < kh or sw < kw
    tiled = (sh, sw) == (kh, kw) and (oh * kh, ow * kw) == tuple(image_shape[:2])
    # Zeros, unless the patches tile the image exactly and every pixel gets a value below.
    dx = (np.empty if tiled else np.zeros)((n,) + tuple(image_shape), pages.dtype)
    for di in range(kh):
        for dj in range(kw):
            target = dx[:, di:di + sh * oh:sh, dj:dj + sw * ow:sw, :]
            if overlap:
                target += pages[di, dj]
            else:   # each pixel gets one value at most: a copy, faster than an addition
                target[...] = pages[di, dj]
    return dx


def conv2d_reference(x, kernel, bias=None, strides=1, padding="valid"):
    """The convolution by its definition, one output number at a time (slow; for teaching).

    ``y[n, i, j, f] = b[f] + sum over (di, dj, c) of x[n, i*sh + di, j*sw + dj, c] * K[di, dj, c, f]``
    where ``x`` is the input after zero padding. (Deep-learning "convolution" does not flip
    the kernel; mathematicians call this cross-correlation.)
    """
    (kh, kw, _, filters), (sh, sw) = kernel.shape, as_pair(strides, "strides", "conv2d_reference")
    n, h, w, _ = x.shape
    if padding == "same":
        x = np.pad(x, ((0, 0), same_padding(h, kh, sh), same_padding(w, kw, sw), (0, 0)))
    oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
    y = np.zeros((n, oh, ow, filters), dtype=np.result_type(x, kernel))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                patch = x[b, i * sh:i * sh + kh, j * sw:j * sw + kw, :]   # (KH, KW, C)
                for f in range(filters):
                    y[b, i, j, f] = np.sum(patch * kernel[:, :, :, f])
                    if bias is not None:
                        y[b, i, j, f] += bias[f]
    return y


class Conv2D(Layer):
    """2-D convolution: ``y = f(conv(x, K) + b)``, with ``F`` filters of ``KH x KW x C``.

    Forward, with ``cols = im2col(x)`` (every patch as a row)::

        z = cols @ K + b       # (N*OH*OW, KH*KW*C) @ (KH*KW*C, F) -> (N*OH*OW, F)
        y = f(z)               # reshaped to (N, OH, OW, F)

    Backward, given ``dy`` (N, OH, OW, F), exactly as for Dense with ``cols`` as the input::

        dK = cols.T @ dz       # (KH*KW*C, F): each weight's share, summed over every position
        db = dz.sum(axis=0)    # (F,)
        dx = col2im(dz @ K.T)  # each patch's gradient, added back onto its pixels

    Args:
        filters: number of filters ``F`` (output channels).
        kernel_size: ``3`` or ``(KH, KW)``.
        strides: step between patches, ``1`` or ``(SH, SW)``.
        padding: ``"valid"`` (no padding; the output shrinks by ``K - 1``) or ``"same"``
            (zeros around the image so that the output is ``ceil(H / S)`` high).
        activation: ``"relu"``, ... or None.
        use_bias: add one bias per filter.
        kernel_initializer: how ``K`` starts (default ``"glorot_uniform"``, as in Keras).
        kernel_regularizer: e.g. ``l2(1e-4)``; its penalty joins the loss.

    Input shape: ``(N, H, W, C)``. Output shape: ``(N, OH, OW, F)``.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", kernel_regularizer=None,
                 **kwargs):
        super().__init__(**kwargs)
        if int(filters) != filters or filters < 1:
            raise ValueError(f"Conv2D: filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = as_pair(kernel_size, "kernel_size", "Conv2D")
        self.strides = as_pair(strides, "strides", "Conv2D")
        self.padding = as_padding(padding, "Conv2D")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.init = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.workspace = Workspace()

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        h, w, channels = self._check_image_shape(self.input_shape)
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        if self.padding == "same":
            self.pads = (same_padding(h, kh, sh), same_padding(w, kw, sw))
        else:
            self.pads = ((0, 0), (0, 0))
        self.add_param("kernel", self.init((kh, kw, channels, self.filters), self.rng))
        if self.use_bias:
            self.add_param("bias", np.zeros(self.filters))

    def _check_image_shape(self, shape):
        if len(shape) != 3:
            raise ShapeError(
                f"layer '{self.name}' (Conv2D) needs images (batch, height, width, channels) but "
                f"got {('batch',) + tuple(shape)}; for 28x28 digits use input_shape=(28, 28, 1)")
        oh, ow = self.output_shape(shape)[:2]
        if oh < 1 or ow < 1:
            raise ShapeError(
                f"layer '{self.name}' (Conv2D): a {self.kernel_size} kernel doesn't fit in "
                f"images of {tuple(shape[:2])} with padding='valid'")
        return shape

    def output_shape(self, input_shape):
        h, w = input_shape[:2]
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        return (output_length(h, kh, sh, self.padding), output_length(w, kw, sw, self.padding),
                self.filters)

    def forward(self, x, training=False):
        self.check_input(x)
        (top, bottom), (left, right) = self.pads
        n, h, w, c = x.shape
        if top or bottom or left or right:
            padded = self.workspace.get("padded", (n, h + top + bottom, w + left + right, c), x.dtype)
            padded[:, top:top + h, left:left + w, :] = x   # the border stays zero
            x = padded
        oh, ow, f = self.output_shape(self.input_shape)
        kh, kw = self.kernel_size
        cols = im2col(x, self.kernel_size, self.strides,
                      out=self.workspace.get("cols", (n, oh, ow, kh, kw, c), x.dtype))
        self.cols = cols.reshape(n * oh * ow, kh * kw * c)            # (N*OH*OW, KH*KW*C)
        z = self.cols @ self.params["kernel"].reshape(-1, f)          # (N*OH*OW, F)
        if self.use_bias:
            # z += bias, a whole output row (OW pixels x F filters) at a time: NumPy is
            # fastest on long runs, and ``z += bias`` would run in pieces F numbers long.
            rows = z.reshape(n * oh, ow * f)
            rows += np.tile(self.params["bias"], ow)
        z = z.reshape(n, oh, ow, f)
        return z if self.activation is None else self.activation.forward(z, training)

    def backward(self, dy):
        dz = dy if self.activation is None else self.activation.backward(dy)
        f = self.filters
        dz = dz.reshape(-1, f)                                        # (N*OH*OW, F)
        np.matmul(self.cols.T, dz, out=self.grads["kernel"].reshape(-1, f))
        if self.kernel_regularizer is not None:
            self.grads["kernel"] += self.kernel_regularizer.gradient(self.params["kernel"])
        if self.use_bias:
            # A sum over rows is a product with a row of ones; BLAS does it ~10x faster
            # (and more accurately) than np.sum(dz, axis=0).
            ones = self.workspace.get("ones", (len(dz),), dz.dtype, fill=1)
            np.matmul(ones, dz, out=self.grads["bias"])
        if not self.needs_input_grad:
            return None
        n, oh, ow = dy.shape[:3]
        (h, w, c), (kh, kw) = self.input_shape, self.kernel_size
        # The gradient of every patch, one page per kernel offset: one batched matrix
        # multiply, dz (N*OH*OW, F) @ K[di, dj].T (F, C) for every (di, dj).
        pages = self.workspace.get("pages", (kh, kw, n * oh * ow, c), dz.dtype)
        np.matmul(dz, self.params["kernel"].transpose(0, 1, 3, 2), out=pages)
        (top, bottom), (left, right) = self.pads
        dx = col2im(pages.reshape(kh, kw, n, oh, ow, c),
                    (h + top + bottom, w + left + right, c), self.strides)
        return dx[:, top:top + h, left:left + w, :]

    def regularization_loss(self):
        reg = self.kernel_regularizer
        return 0.0 if reg is None else reg.penalty(self.params["kernel"])

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": self.kernel_initializer
            if isinstance(self.kernel_initializer, str) else "glorot_uniform",
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
        }
