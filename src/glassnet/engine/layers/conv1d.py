"""Conv1D: a convolution along one axis, for sequences (a digit read row by row, a sound).

A filter of ``K`` steps slides along the sequence and, at each position, takes a weighted
sum of the ``K`` steps under it (every channel of each): the same pattern detector at
every position, as Conv2D does on images, with one axis fewer.
"""

import numpy as np

from glassnet.engine.layers import activations
from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.dense import kernel_settings
from glassnet.engine.layers.grouped import check_groups, group_channels, grouped_matmul, grouped_matmul_backward
from glassnet.engine.layers.im2col import output_length, same_padding
from glassnet.errors import ShapeError

PADDINGS = ("valid", "same", "causal")


def as_length(value, what, owner):
    """``3``, ``(3,)`` or ``[3]`` -> ``3`` (Keras writes 1-D sizes as one-element lists)."""
    try:
        single = value if np.ndim(value) == 0 else (tuple(value)[0] if len(tuple(value)) == 1 else None)
        if single is None or isinstance(single, (bool, str)) or int(single) != single or single < 1:
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: {what} must be a positive integer, got {value!r}") from None
    return int(single)


def pads_1d(length, window, stride, padding):
    """``(before, after)`` zeros along the sequence: none for "valid", Keras's for "same",
    and ``window - 1`` before for "causal" (each output sees only its own step and earlier)."""
    if padding == "same":
        return same_padding(length, window, stride)
    if padding == "causal":
        return window - 1, 0
    return 0, 0


def steps_1d(length, window, stride, padding):
    """Output steps of a window sliding along ``length`` steps (None for a length left open)."""
    if length is None:
        return None
    before, after = pads_1d(length, window, stride, padding)
    if padding == "same":
        return output_length(length, window, stride, "same")
    return output_length(length + before + after, window, stride, "valid")


def fit_window(layer, length, window):
    """Set ``layer.length``, ``layer.steps`` and ``layer.pads`` for sequences of ``length``
    steps read by windows of ``window`` steps (done once per length), or a one-line error
    when no window fits."""
    steps = steps_1d(length, window, layer.strides, layer.padding)
    if steps < 1:
        raise ShapeError(f"layer '{layer._display_name}' ({type(layer).__name__}): a window of {window} steps doesn't "
                         f"fit in {length} steps with padding='{layer.padding}'")
    layer.length, layer.steps = length, steps
    layer.pads = pads_1d(length, window, layer.strides, layer.padding)


def tap(x, start, stride, steps):
    """``x[:, start + t * stride]`` for ``t < steps``: the step under one kernel tap at every
    output position, as a strided view ``(N, steps, C)`` (nothing copied)."""
    return x[:, start:start + (steps - 1) * stride + 1:stride]


class Conv1D(Layer):
    """1-D convolution: ``y = f(conv(x, K) + b)``, with ``F`` filters of ``K steps x C channels``.

    Forward. Tap ``k`` of the kernel reads the step ``t * S + k * D`` for output ``t``
    (``S`` the stride, ``D`` the dilation); lay the ``K`` taps side by side (im2col in one
    dimension) and the convolution is one matrix multiply, as in Dense::

        cols[n, t] = [x[n, t*S], x[n, t*S + D], ..., x[n, t*S + (K-1)*D]]   # (N, T, K*C)
        z = cols @ W + b       # W: the kernel (K, C, F) seen as (K*C, F)   -> (N, T, F)
        y = f(z)

    Backward, given ``dy`` (N, T, F), exactly as for Dense with ``cols`` as the input::

        dz = dy * f'(z)
        dW = cols.T @ dz       # (K*C, F), summed over every sample and position
        db = dz.sum over (N, T)
        dcols = dz @ W.T       # (N, T, K*C): tap k's share is added back onto the steps it read

    Args:
        filters: number of filters ``F`` (output channels).
        kernel_size: steps per filter ``K``, e.g. ``3``.
        strides: step between windows ``S``.
        padding: ``"valid"`` (no padding: the output is ``(K - 1) * D`` steps shorter),
            ``"same"`` (zeros at both ends: ``ceil(L / S)`` steps) or ``"causal"`` (zeros
            before only, so output ``t`` never sees a step after ``t``: WaveNet's choice).
        dilation_rate: ``D``, the gap between the taps (``2``: every other step).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, kernel_constraint, bias_constraint, activity_regularizer: as in
            :class:`~glassnet.engine.layers.conv.Conv2D`.
        groups: ``G``, filters that each read ``C / G`` of the channels (the kernel is then
            ``(K, C/G, F)``, as in Keras; :mod:`glassnet.engine.layers.grouped`).
        data_format: Keras's; only channels-last is supported (anything else is an error,
            not a setting ignored).

    Input shape: ``(N, L, C)``. Output shape: ``(N, T, F)``.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"Conv1D: data_format={data_format!r} is not supported by glassnet (sequences are "
                             f"(batch, steps, channels))")
        if isinstance(filters, bool) or int(filters) != filters or filters < 1:
            raise ValueError(f"Conv1D: filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.groups = check_groups("Conv1D", groups, self.filters)
        self.kernel_size = as_length(kernel_size, "kernel_size", "Conv1D")
        self.strides = as_length(strides, "strides", "Conv1D")
        self.dilation_rate = as_length(dilation_rate, "dilation_rate", "Conv1D")
        self.padding = str(padding).lower()
        if self.padding not in PADDINGS:
            raise ValueError(f"Conv1D: padding must be 'valid', 'same' or 'causal', got {padding!r}")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self._initializer_names = {"kernel_initializer": kernel_initializer,
                                   "bias_initializer": bias_initializer}
        self.kernel_and_bias_settings(kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                                      kernel_constraint, bias_constraint)

    @property
    def span(self):
        """How many input steps one window covers: ``(K - 1) * D + 1``."""
        return (self.kernel_size - 1) * self.dilation_rate + 1

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if len(self.input_shape) != 2:
            raise ShapeError(f"layer '{self._display_name}' (Conv1D) needs sequences (batch, steps, channels) but got "
                             f"{('batch',) + self.input_shape}; for 28x28 digits read row by row use "
                             f"input_shape=(28, 28)")
        length, channels = self.input_shape
        self.length = None
        if length is not None:         # a length left open (None) is fitted to each batch instead
            self.fit_length(length)
        kernel = (self.kernel_size, group_channels(self, channels), self.filters)
        self.add_param("kernel", self.kernel_initializer(kernel, self.rng))
        if self.use_bias:
            self.add_param("bias", self.bias_initializer((self.filters,), self.rng))

    def fit_length(self, length):
        """The padding and the output steps for sequences of ``length`` steps."""
        fit_window(self, length, self.span)

    def output_shape(self, input_shape):
        return steps_1d(input_shape[0], self.span, self.strides, self.padding), self.filters

    def forward(self, x, training=False):
        self.check_input(x)
        if x.shape[1] != self.length:    # a length left open: this batch's
            self.fit_length(x.shape[1])
        n, channels, steps = len(x), x.shape[-1], self.steps
        xp = np.pad(x, ((0, 0), self.pads, (0, 0))) if any(self.pads) else x
        cols = np.empty((n, steps, self.kernel_size, channels), x.dtype)   # im2col, one tap at a time
        for k in range(self.kernel_size):
            cols[:, :, k] = tap(xp, k * self.dilation_rate, self.strides, steps)
        self.cols = cols.reshape(n * steps, -1)                             # (N*T, K*C)
        if self.groups > 1:                                                 # each group its own filters
            z, self.stacks = grouped_matmul(cols.reshape(n * steps, self.kernel_size, channels),
                                            self.params["kernel"], self.groups)
        else:
            z = self.cols @ self.params["kernel"].reshape(-1, self.filters)  # (N*T, F)
        if self.use_bias:
            z += self.params["bias"]
        z = z.reshape(n, steps, self.filters)
        return z if self.activation is None else self.activation.forward(z, training)

    def backward(self, dy):
        dz = dy if self.activation is None else self.activation.backward(dy)
        n, steps, _ = dz.shape
        dz = dz.reshape(n * steps, self.filters)
        if self.groups > 1:
            self.grads["kernel"][...], dcols = grouped_matmul_backward(dz, self.stacks, self.grads["kernel"].shape,
                                                                       self.needs_input_grad)
        else:
            self.grads["kernel"][...] = (self.cols.T @ dz).reshape(self.grads["kernel"].shape)
        if self.use_bias:
            dz.sum(axis=0, out=self.grads["bias"])
        self.add_penalty_gradients()
        if not self.needs_input_grad:
            return None
        length, channels = self.length, self.input_shape[-1]
        if self.groups == 1:
            dcols = dz @ self.params["kernel"].reshape(-1, self.filters).T
        dcols = dcols.reshape(n, steps, self.kernel_size, channels)
        before, after = self.pads
        dxp = np.zeros((n, before + length + after, channels), dy.dtype)
        for k in range(self.kernel_size):            # each tap's gradient back onto the steps it read
            tap(dxp, k * self.dilation_rate, self.strides, steps)[...] += dcols[:, :, k]
        return dxp[:, before:before + length]

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "dilation_rate": self.dilation_rate,
                "groups": self.groups, **kernel_settings(self)}
