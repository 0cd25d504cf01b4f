"""Conv2DTranspose: a convolution run backwards, to make an image larger (a decoder's layer).

A Conv2D with stride 2 turns a 28x28 image into 14x14: every output pixel is a weighted sum
of a window of input pixels. Its *transpose* goes the other way. Every input pixel paints a
copy of the kernel, scaled by its value, onto the output, ``strides`` pixels from its
neighbour's copy; where copies overlap they add up. So 14x14 becomes 28x28 again (not the
same image: a learned way of filling in the detail).

It is exactly the gradient of a Conv2D with respect to its input, which is why its
backward pass is an ordinary convolution: ``dx`` at a pixel is the sum of ``dy`` over the
pixels it painted, weighted by the kernel.
"""

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.conv import Conv2D
from glassnet.errors import ShapeError


class Conv2DTranspose(Conv2D):
    """Transposed 2-D convolution, as Keras's ``Conv2DTranspose`` (channels last).

    With ``x`` of shape (N, H, W, C), the kernel ``K`` of shape (kh, kw, F, C) and strides
    (sh, sw)::

        cols = x @ K^T                        # (N, H, W, kh, kw, F): each pixel's painted copy
        full[:, a*sh + i, b*sw + j] += cols[:, a, b, i, j]     for every kernel offset (i, j)
        y = f(window of full + b)

    ``full`` is ((H - 1) * sh + kh) high. ``padding="same"`` keeps a window of H * sh rows
    (cutting (kh - sh) // 2 from the top, as TensorFlow does); ``"valid"`` keeps all of it,
    H * sh + max(kh - sh, 0) rows. The loop runs over the kh * kw kernel offsets, never over
    the images: each step adds a whole batch.

    Backward, given ``dy`` (after the activation's derivative): ``dcols`` reads ``dy`` back at
    the places ``cols`` was painted, then ``dK = dcols^T @ x``, ``dx = dcols @ K`` and
    ``db = sum(dy)``.

    Args: those of :class:`Conv2D` (``filters`` is F, the output's channels). Keras's
    ``output_padding`` and ``dilation_rate`` are supported at their defaults only.

    Input shape: ``(N, H, W, C)``. Output shape: ``(N, OH, OW, F)``.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, **kwargs)
        if output_padding is not None:
            raise ValueError(f"Conv2DTranspose: output_padding={output_padding!r} is not supported by "
                             f"glassnet (leave it None)")

    def build(self, input_shape, rng=None):
        Layer.build(self, input_shape, rng)
        if len(self.input_shape) != 3:
            raise ShapeError(f"layer '{self._display_name}' (Conv2DTranspose) needs images (batch, height, width, "
                             f"channels) but got {('batch',) + tuple(self.input_shape)}")
        (kh, kw), channels = self.kernel_size, self.input_shape[2]
        self.add_param("kernel", self.init((kh, kw, self.filters, channels), self.rng))
        if self.use_bias:
            self.add_param("bias", self.bias_init((self.filters,), self.rng))
        self.fit_declared_size()             # (a height or width left open: each batch's)

    def fit_image(self, shape):
        """The window of the painting each output keeps, for images of ``shape`` (H, W, C)."""
        (kh, kw), (sh, sw), (h, w) = self.kernel_size, self.strides, shape[:2]
        self.windows = (self._window(h, kh, sh), self._window(w, kw, sw))   # rows, columns
        self.image = tuple(shape)

    def _window(self, length, kernel, stride):
        """``(output length, first row of the output in the full painting, painting length)``;
        for a length left open, the output's is open too."""
        if length is None:
            return None, None, None
        full = (length - 1) * stride + kernel
        if self.padding == "same":
            out, start = length * stride, max(kernel - stride, 0) // 2
        else:
            out, start = length * stride + max(kernel - stride, 0), 0
        return out, start, max(full, start + out)

    def output_shape(self, input_shape):
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        return (self._window(input_shape[0], kh, sh)[0], self._window(input_shape[1], kw, sw)[0],
                self.filters)

    def _offsets(self):
        """Each kernel offset (i, j) with the slices of the painting its copies land on."""
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        h, w = self.image[:2]
        for i in range(kh):
            for j in range(kw):
                yield i, j, (slice(None), slice(i, i + sh * (h - 1) + 1, sh), slice(j, j + sw * (w - 1) + 1, sw))

    def forward(self, x, training=False):
        self.check_input(x)
        self.fit_batch(x)
        self.x = x
        n, h, w, c = x.shape
        (kh, kw), f = self.kernel_size, self.filters
        kernel = self.params["kernel"].reshape(kh * kw * f, c)
        cols = (x.reshape(-1, c) @ kernel.T).reshape(n, h, w, kh, kw, f)
        (oh, top, canvas_h), (ow, left, canvas_w) = self.windows
        full = np.zeros((n, canvas_h, canvas_w, f), x.dtype)
        for i, j, where in self._offsets():
            full[where] += cols[:, :, :, i, j]
        y = full[:, top:top + oh, left:left + ow]
        if self.use_bias:
            y += self.params["bias"]
        return y if self.activation is None else self.activation.forward(y, training)

    def backward(self, dy):
        dy = dy if self.activation is None else self.activation.backward(dy)
        x = self.x
        n, h, w, c = x.shape
        (kh, kw), f = self.kernel_size, self.filters
        (oh, top, canvas_h), (ow, left, canvas_w) = self.windows
        dfull = np.zeros((n, canvas_h, canvas_w, f), dy.dtype)
        dfull[:, top:top + oh, left:left + ow] = dy
        dcols = np.empty((n, h, w, kh, kw, f), dy.dtype)
        for i, j, where in self._offsets():
            dcols[:, :, :, i, j] = dfull[where]
        dcols = dcols.reshape(-1, kh * kw * f)
        self.grads["kernel"][...] = (dcols.T @ x.reshape(-1, c)).reshape(kh, kw, f, c)
        if self.use_bias:
            np.sum(dy, axis=(0, 1, 2), out=self.grads["bias"])
        self.add_penalty_gradients()
        if not self.needs_input_grad:
            return None
        return (dcols @ self.params["kernel"].reshape(kh * kw * f, c)).reshape(n, h, w, c)

    def get_config(self):
        config = super().get_config()
        del config["groups"]                 # Keras's Conv2DTranspose has no groups
        return config
