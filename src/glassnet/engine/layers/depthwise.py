"""DepthwiseConv2D and SeparableConv2D: a convolution split into two cheaper steps.

A Conv2D looks at space and channels at once: each of its ``F`` filters weighs a ``KH x KW``
patch of every one of the ``C`` channels, ``KH*KW*C*F`` weights. A **depthwise** convolution
looks at space only: each channel gets its own small filter (or ``M`` of them, the depth
multiplier) and channels never mix, ``KH*KW*C*M`` weights. A **separable** convolution
follows it with a 1x1 convolution that mixes channels only, ``C*M*F`` weights more. That
is Xception's and MobileNet's building block: nearly what a Conv2D learns, for a fraction
of the weights and multiplications (a 3x3 layer from 64 to 64 channels: 36,864 weights
as a Conv2D, 4,672 as a separable one).

A depthwise convolution is no matrix multiply (nothing is summed over channels), so it is
computed one kernel tap at a time, each tap one strided view of the input and one
multiply-add over the whole batch, as :mod:`glassnet.engine.layers.conv1d` does.
"""

import numpy as np

from glassnet.engine import constraints, initializers, regularizers
from glassnet.engine.layers import activations
from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.im2col import as_padding, as_pair, output_length, same_padding, span
from glassnet.errors import ShapeError


def tap_view(xp, di, dj, strides, dilation, out_hw):
    """The pixel under kernel tap ``(di, dj)`` for every output position: the view
    ``xp[:, i*SH + di*DH, j*SW + dj*DW, :]`` over all ``(i, j)``, ``(N, OH, OW, C)``, nothing copied."""
    (sh, sw), (dh, dw), (oh, ow) = strides, dilation, out_hw
    top, left = di * dh, dj * dw
    return xp[:, top:top + (oh - 1) * sh + 1:sh, left:left + (ow - 1) * sw + 1:sw]


def depthwise_forward(xp, kernel, strides, dilation, out_hw):
    """``y[n, i, j, c, m] = sum over (di, dj) of xp[n, i*SH + di*DH, j*SW + dj*DW, c] * K[di, dj, c, m]``.

    ``xp`` (N, H, W, C) already padded, ``kernel`` (KH, KW, C, M); returns ``(N, OH, OW, C*M)``,
    filter ``m`` of channel ``c`` at position ``c*M + m`` (Keras's order). The sums are made
    filter by filter, in ``(M, N, OH, OW, C)``, so every pass reads one view and writes
    contiguous memory (two filters a channel: 3x faster than broadcasting over ``M``).
    """
    kh, kw, c, m = kernel.shape
    y = np.zeros((m, len(xp)) + tuple(out_hw) + (c,), np.result_type(xp, kernel))
    product = np.empty(y.shape[1:], y.dtype)
    for di in range(kh):
        for dj in range(kw):
            view = tap_view(xp, di, dj, strides, dilation, out_hw)      # (N, OH, OW, C)
            for f in range(m):          # every channel times its own weight of this tap
                y[f] += np.multiply(view, kernel[di, dj, :, f], out=product)
    return np.moveaxis(y, 0, -1).reshape(y.shape[1:4] + (c * m,))


def depthwise_backward(xp, kernel, dz, strides, dilation, want_input_grad):
    """The gradients of :func:`depthwise_forward`, given ``dz`` (N, OH, OW, C*M).

    Each tap read one view of the input, so each tap's weight gradient sums that view times
    ``dz`` over the batch and positions, and its input gradient goes back onto that view::

        dK[di, dj, c, m] = sum over (n, i, j) of xp[n, i*SH + di*DH, j*SW + dj*DW, c] * dz[n, i, j, c, m]
        dxp[view of (di, dj)] += sum over m of dz[..., c, m] * K[di, dj, c, m]

    Returns ``(dK, dxp)``; ``dxp`` (the padded input's gradient) is None unless wanted."""
    kh, kw, c, m = kernel.shape
    n, oh, ow, _ = dz.shape
    dz = np.ascontiguousarray(np.moveaxis(dz.reshape(n, oh, ow, c, m), -1, 0))   # (M, N, OH, OW, C)
    dK = np.empty_like(kernel)
    dxp = np.zeros(xp.shape, dz.dtype) if want_input_grad else None
    product = np.empty(dz.shape[1:], dz.dtype) if want_input_grad else None
    for di in range(kh):
        for dj in range(kw):
            view = tap_view(xp, di, dj, strides, dilation, (oh, ow))
            for f in range(m):
                dK[di, dj, :, f] = np.einsum("nijc,nijc->c", view, dz[f])
                if want_input_grad:
                    tap_view(dxp, di, dj, strides, dilation, (oh, ow))[...] += np.multiply(
                        dz[f], kernel[di, dj, :, f], out=product)
    return dK, dxp


class DepthwiseConv2D(Layer):
    """Depthwise 2-D convolution: each channel filtered on its own, ``y = f(depthwise(x, K) + b)``.

    Forward, with ``M`` filters per channel (``depth_multiplier``)::

        y[n, i, j, c*M + m] = f(b[c*M + m] + sum over (di, dj) of x[n, i*SH + di*DH, j*SW + dj*DW, c] * K[di, dj, c, m])

    Backward: see :func:`depthwise_backward` (the bias's gradient is ``dz`` summed over
    the batch and positions, as in Conv2D).

    Args:
        kernel_size: ``3`` or ``(KH, KW)``.
        strides, padding, dilation_rate: as in :class:`~glassnet.engine.layers.conv.Conv2D`.
        depth_multiplier: filters per input channel ``M``: the output has ``C*M`` channels.
        activation, use_bias: as in Conv2D.
        depthwise_initializer, depthwise_regularizer, depthwise_constraint: for the kernel
            ``K`` (default ``"glorot_uniform"``, as in Keras).
        bias_initializer, bias_regularizer, bias_constraint, activity_regularizer: as in Conv2D.
        data_format: Keras's; only channels-last is supported (anything else is an error).

    Input shape: ``(N, H, W, C)``. Output shape: ``(N, OH, OW, C*M)``.
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._spatial_settings(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self._weight_settings({"depthwise": "kernel", "bias": "bias"}, locals())

    def _weight_settings(self, weights, given):
        """Each weight's initializer (kept as given, for get_config), penalty and constraint,
        from the arguments ``given``. ``weights`` maps Keras's name for a weight's settings
        (``depthwise_regularizer``) to the weight's own (``kernel``): penalties and constraints
        are found by the weight's name (``kernel_regularizer``, see Layer.penalties)."""
        self._weights_named = weights
        self._initializer_names = {f"{prefix}_initializer": given[f"{prefix}_initializer"] for prefix in weights}
        for prefix, weight in weights.items():
            setattr(self, f"{prefix}_initializer", initializers.get(given[f"{prefix}_initializer"]))
            setattr(self, f"{weight}_regularizer", regularizers.get(given[f"{prefix}_regularizer"]))
            setattr(self, f"{weight}_constraint", constraints.get(given[f"{prefix}_constraint"]))

    def _weight_config(self):
        """The settings of :meth:`_weight_settings` as Keras names them in a config."""
        def initializer(label):
            given = self._initializer_names[label]
            return given if isinstance(given, (str, dict)) else initializers.serialize(getattr(self, label))
        config = {label: initializer(label) for label in self._initializer_names}
        for prefix, weight in self._weights_named.items():
            config[f"{prefix}_regularizer"] = regularizers.serialize(getattr(self, f"{weight}_regularizer"))
            config[f"{prefix}_constraint"] = constraints.serialize(getattr(self, f"{weight}_constraint"))
        return config

    def _spatial_settings(self, kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate):
        owner = type(self).__name__
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{owner}: data_format={data_format!r} is not supported by glassnet "
                             f"(images are channels-last)")
        if isinstance(depth_multiplier, bool) or int(depth_multiplier) != depth_multiplier or depth_multiplier < 1:
            raise ValueError(f"{owner}: depth_multiplier must be a positive integer, got {depth_multiplier!r}")
        self.kernel_size = as_pair(kernel_size, "kernel_size", owner)
        self.strides = as_pair(strides, "strides", owner)
        self.dilation_rate = as_pair(dilation_rate, "dilation_rate", owner)
        self.padding = as_padding(padding, owner)
        self.depth_multiplier = int(depth_multiplier)

    @property
    def span(self):
        """How many pixels one patch covers, ``(KH, KW)`` spread out by the dilation."""
        return span(self.kernel_size, self.dilation_rate)

    def _build_spatial(self):
        """Check the input is images, fit the padding to their size (if it is known: else to
        each batch's); returns the channels ``C``."""
        owner = type(self).__name__
        if len(self.input_shape) != 3 or self.input_shape[2] is None:
            raise ShapeError(f"layer '{self._display_name}' ({owner}) needs images (batch, height, width, channels) "
                             f"with the channels known, but got {('batch',) + tuple(self.input_shape)}; for "
                             f"28x28 digits use input_shape=(28, 28, 1)")
        self.fit_declared_size()             # (a height or width left open: each batch's)
        return self.input_shape[2]

    def fit_image(self, shape):
        """The "same" padding for images of ``shape`` (H, W, C), or a one-line error when the
        kernel doesn't fit in them."""
        h, w, _ = shape
        oh, ow = self._output_hw(shape)
        if oh < 1 or ow < 1:
            raise ShapeError(f"layer '{self._display_name}' ({type(self).__name__}): a {self.kernel_size} kernel (covering "
                             f"{self.span}) doesn't fit in images of {(h, w)} with padding='valid'")
        (span_h, span_w), (sh, sw) = self.span, self.strides
        self.pads = ((same_padding(h, span_h, sh), same_padding(w, span_w, sw)) if self.padding == "same"
                     else ((0, 0), (0, 0)))
        self.image = tuple(shape)

    def _take(self, x):
        """Check a batch, fit the padding to its size where that was left open, and pad it."""
        self.check_input(x)
        self.fit_batch(x)
        self.xp = self._pad(x)

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        channels = self._build_spatial()
        kh, kw = self.kernel_size
        self.add_param("kernel", self.depthwise_initializer((kh, kw, channels, self.depth_multiplier), self.rng))
        if self.use_bias:
            self.add_param("bias", self.bias_initializer((channels * self.depth_multiplier,), self.rng))

    def _output_hw(self, input_shape):
        (h, w), (span_h, span_w), (sh, sw) = input_shape[:2], self.span, self.strides
        return output_length(h, span_h, sh, self.padding), output_length(w, span_w, sw, self.padding)

    def output_shape(self, input_shape):
        return self._output_hw(input_shape) + (input_shape[2] * self.depth_multiplier,)

    def _pad(self, x):
        (top, bottom), (left, right) = self.pads
        return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0))) if top + bottom + left + right else x

    def _unpad(self, dxp):
        (top, _), (left, _) = self.pads
        h, w = self.image[:2]
        return dxp[:, top:top + h, left:left + w]

    def forward(self, x, training=False):
        self._take(x)
        z = depthwise_forward(self.xp, self.params["kernel"], self.strides, self.dilation_rate,
                              self._output_hw(self.image))
        if self.use_bias:
            z += self.params["bias"]
        return z if self.activation is None else self.activation.forward(z, training)

    def backward(self, dy):
        dz = dy if self.activation is None else self.activation.backward(dy)
        dK, dxp = depthwise_backward(self.xp, self.params["kernel"], dz, self.strides, self.dilation_rate,
                                     self.needs_input_grad)
        self.grads["kernel"][...] = dK
        if self.use_bias:
            dz.sum(axis=(0, 1, 2), out=self.grads["bias"])
        self.add_penalty_gradients()
        return None if dxp is None else self._unpad(dxp)

    def _spatial_config(self):
        return {"kernel_size": list(self.kernel_size), "strides": list(self.strides), "padding": self.padding,
                "depth_multiplier": self.depth_multiplier, "dilation_rate": list(self.dilation_rate),
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias}

    def get_config(self):
        return {**super().get_config(), **self._spatial_config(), **self._weight_config()}


class SeparableConv2D(DepthwiseConv2D):
    """Depthwise then pointwise: ``y = f(depthwise(x, D) @ P + b)``, Xception's convolution.

    Forward, in two steps (``D`` the depthwise kernel, ``P`` the pointwise one)::

        d = depthwise(x, D)          # (N, OH, OW, C*M): each channel filtered on its own
        z = d @ P + b                # (N*OH*OW, C*M) @ (C*M, F): a 1x1 convolution mixes channels
        y = f(z)

    Backward, the same steps in reverse: the pointwise step is Dense's (``dP = d.T @ dz``,
    ``db = sum(dz)``, ``dd = dz @ P.T``), then ``dd`` goes through
    :func:`depthwise_backward`. The depthwise step has no bias of its own (Keras's too).

    Args:
        filters: output channels ``F``.
        kernel_size, strides, padding, dilation_rate, depth_multiplier: of the depthwise
            step, as in :class:`DepthwiseConv2D`.
        activation, use_bias: as in Conv2D, after the pointwise step.
        depthwise_initializer, pointwise_initializer, bias_initializer (defaults
            ``"glorot_uniform"``, ``"glorot_uniform"``, ``"zeros"``), and the matching
            ``*_regularizer`` and ``*_constraint``, activity_regularizer: as in Keras.
        data_format: only channels-last is supported.

    Input shape: ``(N, H, W, C)``. Output shape: ``(N, OH, OW, F)``. Weights, in Keras's
    order: ``depthwise_kernel`` (KH, KW, C, M), ``pointwise_kernel`` (1, 1, C*M, F), ``bias`` (F,).
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        Layer.__init__(self, activity_regularizer=activity_regularizer, **kwargs)
        self._spatial_settings(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate)
        if isinstance(filters, bool) or int(filters) != filters or filters < 1:
            raise ValueError(f"SeparableConv2D: filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self._weight_settings({"depthwise": "depthwise_kernel", "pointwise": "pointwise_kernel", "bias": "bias"},
                              locals())

    def build(self, input_shape, rng=None):
        Layer.build(self, input_shape, rng)
        channels = self._build_spatial()
        (kh, kw), m = self.kernel_size, self.depth_multiplier
        self.add_param("depthwise_kernel", self.depthwise_initializer((kh, kw, channels, m), self.rng))
        self.add_param("pointwise_kernel", self.pointwise_initializer((1, 1, channels * m, self.filters), self.rng))
        if self.use_bias:
            self.add_param("bias", self.bias_initializer((self.filters,), self.rng))

    def output_shape(self, input_shape):
        return self._output_hw(input_shape) + (self.filters,)

    def forward(self, x, training=False):
        self._take(x)
        d = depthwise_forward(self.xp, self.params["depthwise_kernel"], self.strides, self.dilation_rate,
                              self._output_hw(self.image))             # (N, OH, OW, C*M)
        self.d = d.reshape(-1, d.shape[-1])                            # (N*OH*OW, C*M)
        P = self.params["pointwise_kernel"].reshape(-1, self.filters)  # (C*M, F)
        z = self.d @ P
        if self.use_bias:
            z += self.params["bias"]
        z = z.reshape(d.shape[:3] + (self.filters,))
        return z if self.activation is None else self.activation.forward(z, training)

    def backward(self, dy):
        dz = dy if self.activation is None else self.activation.backward(dy)
        n, oh, ow, f = dz.shape
        dz = dz.reshape(-1, f)                                         # (N*OH*OW, F)
        P = self.params["pointwise_kernel"].reshape(-1, f)
        self.grads["pointwise_kernel"][...] = (self.d.T @ dz).reshape(self.grads["pointwise_kernel"].shape)
        if self.use_bias:
            dz.sum(axis=0, out=self.grads["bias"])
        dd = (dz @ P.T).reshape(n, oh, ow, -1)                         # back through the 1x1 step
        dD, dxp = depthwise_backward(self.xp, self.params["depthwise_kernel"], dd, self.strides,
                                     self.dilation_rate, self.needs_input_grad)
        self.grads["depthwise_kernel"][...] = dD
        self.add_penalty_gradients()
        return None if dxp is None else self._unpad(dxp)

    def get_config(self):
        return {**Layer.get_config(self), "filters": self.filters, **self._spatial_config(), **self._weight_config()}
