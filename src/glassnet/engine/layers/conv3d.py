"""Conv3D and Conv3DTranspose: convolutions over volumes (a clip of video frames, a scan).

A Conv3D filter is a small box, ``KD x KH x KW`` positions of every channel, slid along the
depth as well as the rows and columns: a pattern in space and time (a digit moving to the
right) is found wherever it is. It is Conv2D with one axis more: im2col copies every box
into a row (:func:`~glassnet.engine.layers.volumes.patches`), and the convolution of the
whole batch is one matrix multiply. Conv3DTranspose is its input's gradient, used as a
layer: each input position paints a scaled copy of the kernel onto a larger volume.
"""

import numpy as np

from glassnet.engine import constraints, initializers, regularizers
from glassnet.engine.layers import activations
from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.conv_transpose import Conv2DTranspose
from glassnet.engine.layers.dense import kernel_settings
from glassnet.engine.layers.im2col import as_padding, span
from glassnet.engine.layers.volumes import (as_triple, channels_last, fit, need_volumes, offsets, out_sizes, pad,
                                            patches, scatter, unpad)


class VolumeConvolution(Layer):
    """What Conv3D and Conv3DTranspose share: their settings, as Keras names them."""

    abstract = True

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1, 1), activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        owner = type(self).__name__
        channels_last(owner, data_format)
        if isinstance(filters, bool) or int(filters) != filters or filters < 1:
            raise ValueError(f"{owner}: filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = as_triple(kernel_size, "kernel_size", owner)
        self.strides = as_triple(strides, "strides", owner)
        self.dilation_rate = as_triple(dilation_rate, "dilation_rate", owner)
        self.padding = as_padding(padding, owner)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self._initializer_names = {"kernel_initializer": kernel_initializer, "bias_initializer": bias_initializer}
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build_weights(self, kernel_shape):
        need_volumes(self)
        self.add_param("kernel", self.kernel_initializer(kernel_shape, self.rng))
        if self.use_bias:
            self.add_param("bias", self.bias_initializer((self.filters,), self.rng))
        self.fit_declared_size()             # (a size left open: each batch's)

    def finish(self, z, training):
        """``f(z + b)``."""
        if self.use_bias:
            z += self.params["bias"]
        return z if self.activation is None else self.activation.forward(z, training)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding,
                "dilation_rate": list(self.dilation_rate), **kernel_settings(self)}


class Conv3D(VolumeConvolution):
    """3-D convolution: ``y = f(conv(x, K) + b)`` with ``F`` filters of ``KD x KH x KW x C``.

    Forward, with ``cols`` every box of the (padded) input as a row::

        cols[n, i, j, l] = x[n, i*SD : i*SD + KD, j*SH : ..., l*SW : ..., :]  # (N*OD*OH*OW, KD*KH*KW*C)
        z = cols @ K + b                                                   # K: (KD*KH*KW*C, F)
        y = f(z)                                                           # (N, OD, OH, OW, F)

    Backward, given ``dy``: ``dz = dy * f'(z)``, ``dK = cols.T @ dz``, ``db = sum(dz)``, and
    ``dx = col2im(dz @ K.T)``: each box's gradient added back onto the positions it covered.

    Args:
        filters: output channels ``F``.
        kernel_size: ``3`` or ``(KD, KH, KW)``.
        strides, dilation_rate: ``1`` or three of them (a dilated kernel reads every
            ``D``-th position).
        padding: ``"valid"`` or ``"same"`` (``ceil(size / stride)`` positions each way).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint: as in Conv2D.
        groups: Keras's; only 1.
        data_format: only ``"channels_last"``.

    Input shape: ``(N, D, H, W, C)``. Output shape: ``(N, OD, OH, OW, F)``.
    Weights: ``kernel`` (KD, KH, KW, C, F), ``bias`` (F,).
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1, 1), groups=1, **kwargs):
        if groups != 1:
            raise ValueError(f"Conv3D: groups={groups!r} is not supported by glassnet (one group)")
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, **kwargs)

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        self.build_weights(self.kernel_size + (self.input_shape[-1], self.filters))

    def fit_image(self, shape):
        fit(self, shape, span(self.kernel_size, self.dilation_rate))

    def output_shape(self, input_shape):
        spans = span(self.kernel_size, self.dilation_rate)
        return out_sizes(input_shape[:3], spans, self.strides, self.padding) + (self.filters,)

    def forward(self, x, training=False):
        self.check_input(x)
        self.fit_batch(x)
        xp = pad(x, self.pads)
        self.padded_shape = xp.shape
        windows = patches(xp, self.kernel_size, self.strides, self.dilation_rate)    # (N, O.., C, K..)
        n, od, oh, ow = windows.shape[:4]
        self.cols = np.ascontiguousarray(windows.transpose(0, 1, 2, 3, 5, 6, 7, 4)).reshape(n * od * oh * ow, -1)
        z = (self.cols @ self.params["kernel"].reshape(-1, self.filters)).reshape(n, od, oh, ow, self.filters)
        return self.finish(z, training)

    def backward(self, dy):
        dz = dy if self.activation is None else self.activation.backward(dy)
        dz2 = dz.reshape(-1, self.filters)                                       # (N*O, F)
        kernel = self.params["kernel"]
        self.grads["kernel"][...] = (self.cols.T @ dz2).reshape(kernel.shape)
        if self.use_bias:
            dz2.sum(axis=0, out=self.grads["bias"])
        self.add_penalty_gradients()
        if not self.needs_input_grad:
            return None
        pages = (dz2 @ kernel.reshape(-1, self.filters).T).reshape(dz.shape[:4] + kernel.shape[:4])
        dxp = scatter(pages, self.padded_shape, self.kernel_size, self.strides, self.dilation_rate)
        return unpad(dxp, self.pads, self.volume[:3])

    def get_config(self):
        return {**super().get_config(), "groups": 1}


class Conv3DTranspose(VolumeConvolution):
    """Transposed 3-D convolution, as Keras's (channels last): each input position paints
    a copy of the kernel, scaled by its value, ``strides`` apart; overlaps add up.

    With ``x`` (N, D, H, W, C) and ``K`` (KD, KH, KW, F, C)::

        cols = x @ K^T                          # (N, D, H, W, KD, KH, KW, F): each position's copy
        full[:, i*SD + a, j*SH + b, l*SW + e] += cols[:, i, j, l, a, b, e]   for every offset
        y = f(window of full + b)

    The window along each axis is Conv2DTranspose's: ``"same"`` keeps ``size * S`` positions,
    ``"valid"`` ``size * S + max(K - S, 0)``. Backward: ``dcols`` reads ``dy`` back where
    ``cols`` was painted; ``dK = dcols^T @ x``, ``dx = dcols @ K``, ``db = sum(dy)``.

    Args: those of :class:`Conv3D`; ``output_padding`` and ``dilation_rate`` at their defaults only.

    Input shape: ``(N, D, H, W, C)``. Output shape: ``(N, OD, OH, OW, F)``.
    Weights: ``kernel`` (KD, KH, KW, F, C), ``bias`` (F,).
    """

    _window = Conv2DTranspose._window     # (output length, its start in the painting, painting length)

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1, 1), **kwargs):
        if output_padding is not None or as_triple(dilation_rate, "dilation_rate", "Conv3DTranspose") != (1, 1, 1):
            raise ValueError(f"Conv3DTranspose: output_padding={output_padding!r}, dilation_rate={dilation_rate!r} "
                             f"are not supported by glassnet (leave them at None and 1)")
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format, **kwargs)

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        self.build_weights(self.kernel_size + (self.filters, self.input_shape[-1]))

    def fit_image(self, shape):
        self.windows = tuple(self._window(n, k, s) for n, k, s in zip(shape[:3], self.kernel_size, self.strides))
        self.volume = tuple(shape)

    def output_shape(self, input_shape):
        return tuple(self._window(n, k, s)[0] for n, k, s in zip(input_shape[:3], self.kernel_size,
                                                                   self.strides)) + (self.filters,)

    def _canvas(self, n, dtype):
        return np.zeros((n,) + tuple(w[2] for w in self.windows) + (self.filters,), dtype)

    def _window_index(self):
        return (slice(None),) + tuple(slice(start, start + out) for out, start, _ in self.windows)

    def forward(self, x, training=False):
        self.check_input(x)
        self.fit_batch(x)
        self.x = x
        c, f = x.shape[-1], self.filters
        kernel = self.params["kernel"].reshape(-1, c)                              # (K*F, C)
        cols = (x.reshape(-1, c) @ kernel.T).reshape(x.shape[:4] + self.kernel_size + (f,))
        full = self._canvas(len(x), x.dtype)
        for (a, b, e), where in offsets(self.kernel_size, self.strides, x.shape[1:4]):
            full[where] += cols[:, :, :, :, a, b, e]
        return self.finish(full[self._window_index()], training)

    def backward(self, dy):
        dz = dy if self.activation is None else self.activation.backward(dy)
        x = self.x
        c = x.shape[-1]
        dfull = self._canvas(len(dz), dz.dtype)
        dfull[self._window_index()] = dz
        dcols = np.empty(x.shape[:4] + self.kernel_size + (self.filters,), dz.dtype)
        for (a, b, e), where in offsets(self.kernel_size, self.strides, x.shape[1:4]):
            dcols[:, :, :, :, a, b, e] = dfull[where]
        dcols = dcols.reshape(-1, int(np.prod(self.kernel_size)) * self.filters)  # (N*D*H*W, K*F)
        self.grads["kernel"][...] = (dcols.T @ x.reshape(-1, c)).reshape(self.params["kernel"].shape)
        if self.use_bias:
            np.sum(dz, axis=(0, 1, 2, 3), out=self.grads["bias"])
        self.add_penalty_gradients()
        if not self.needs_input_grad:
            return None
        return (dcols @ self.params["kernel"].reshape(-1, c)).reshape(x.shape)
