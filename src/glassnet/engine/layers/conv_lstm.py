"""ConvLSTM2D: an LSTM whose states are images, and whose matrix products are convolutions.

An LSTM reads a sequence of vectors and carries a state vector ``h`` (and a cell ``c``) from
step to step. For a sequence of *frames* (a video, a moving digit), flattening each frame
would throw away which pixels are neighbours. ConvLSTM2D (Shi et al., 2015) keeps every state
an image ``(OH, OW, F)``: the input-to-state and the state-to-state products become
convolutions, so each pixel's gates look at a small neighbourhood of the frame and of the
last state. Everything else is the LSTM of :mod:`glassnet.engine.layers.lstm`.

The input's convolution is done for every frame of every sequence at once (one im2col, one
matrix multiply); only the state's convolution runs step by step, over the whole batch.
"""

import numpy as np

from glassnet.engine import constraints, regularizers
from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.im2col import as_padding, as_pair, col2im, im2col, output_length, same_padding, span
from glassnet.engine.layers.recurrent import ACTIVATIONS, _initializer_config, activation_name, initializer_of
from glassnet.errors import ShapeError

# Keras's settings glassnet runs only at their defaults.
REFUSED = {"return_state": False, "stateful": False, "dropout": 0.0, "recurrent_dropout": 0.0}
WEIGHTS = {"kernel": "kernel", "recurrent": "recurrent_kernel", "bias": "bias"}   # Keras's argument names


def _pad(x, borders):
    return np.pad(x, ((0, 0), *borders, (0, 0))) if any(map(any, borders)) else x


def _patches(x, borders, kernel, strides=(1, 1), dilation=(1, 1)):
    """im2col of ``x`` (N, H, W, C) padded by ``borders``: ``(N*OH*OW, KH*KW*C)``."""
    cols = im2col(_pad(x, borders), kernel, strides, dilation=dilation)
    return cols.reshape(-1, int(np.prod(cols.shape[3:])))


def _patches_back(dcols, out_hw, shape, borders, kernel, strides=(1, 1), dilation=(1, 1)):
    """col2im: ``dcols`` (N*OH*OW, KH*KW*C) back onto images of ``shape`` (N, H, W, C)."""
    (kh, kw), (n, h, w, c), ((top, bottom), (left, right)) = kernel, shape, borders
    pages = dcols.reshape(n, *out_hw, kh, kw, c).transpose(3, 4, 0, 1, 2, 5)     # (KH, KW, N, OH, OW, C)
    dxp = col2im(pages, (top + h + bottom, left + w + right, c), strides, dilation=dilation)
    return dxp[:, top:top + h, left:left + w]


class ConvLSTM2D(Layer):
    """2-D convolutional LSTM, as Keras computes it (channels last).

    For each frame ``x_t`` (N, H, W, C), with ``*`` a convolution::

        [z_i, z_f, z_c, z_o] = x_t * K + h_{t-1} * U + b      # (N, OH, OW, 4F), split in four
        i = s(z_i)   f = s(z_f)   o = s(z_o)   g = a(z_c)     # s: recurrent_activation, a: activation
        c_t = f * c_{t-1} + i * g
        h_t = o * a(c_t)

    ``x_t * K`` has the layer's strides, padding and dilation; ``h_{t-1} * U`` has stride 1
    and "same" padding, so the state keeps its size ``(OH, OW, F)``. Backward is the LSTM's,
    step by step from the end, with each product's gradient a convolution's (im2col's
    ``cols.T @ dz`` for the kernels, col2im for the inputs and the state).

    Args:
        filters: ``F``, the state's channels.
        kernel_size, strides, padding, dilation_rate: of the input's convolution, as in Conv2D.
        activation, recurrent_activation: ``"tanh"`` and ``"sigmoid"`` by default (or relu,
            hard_sigmoid, linear).
        use_bias, unit_forget_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, the ``*_regularizer`` and ``*_constraint`` of ``kernel``,
            ``recurrent`` and ``bias``, activity_regularizer: as in LSTM.
        return_sequences: every step's state ``(N, T, OH, OW, F)``, not only the last.
        go_backwards: read the frames from the last (the output sequence is then in reading order).
        return_state, stateful, dropout, recurrent_dropout: Keras's, at their defaults only.

    Input shape: ``(N, T, H, W, C)``. Output shape: ``(N, OH, OW, F)`` or ``(N, T, OH, OW, F)``.
    Weights: ``kernel`` (KH, KW, C, 4F), ``recurrent_kernel`` (KH, KW, F, 4F), ``bias`` (4F,),
    gates in the order i, f, c, o.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, return_sequences=False, go_backwards=False, seed=None, unroll=False,
                 **kwargs):
        owner = type(self).__name__
        for name, default in REFUSED.items():
            value = kwargs.pop(name, default)
            if value != default:
                raise ValueError(f"{owner}: {name}={value!r} is not supported by glassnet (only {default!r})")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{owner}: data_format={data_format!r} is not supported by glassnet (channels last)")
        settings = {f"{weight}_{what}": kwargs.pop(f"{given}_{what}", None)
                    for given, weight in WEIGHTS.items() for what in ("regularizer", "constraint")}
        super().__init__(**kwargs)
        if isinstance(filters, bool) or int(filters) != filters or filters < 1:
            raise ValueError(f"{owner}: filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = as_pair(kernel_size, "kernel_size", owner)
        self.strides = as_pair(strides, "strides", owner)
        self.dilation_rate = as_pair(dilation_rate, "dilation_rate", owner)
        self.padding = as_padding(padding, owner)
        self.activation = activation_name(activation, owner, "activation")
        self.recurrent_activation = activation_name(recurrent_activation, owner, "recurrent_activation")
        self.use_bias, self.unit_forget_bias = bool(use_bias), bool(unit_forget_bias)
        self.kernel_initializer, self.recurrent_initializer = kernel_initializer, recurrent_initializer
        self.bias_initializer = bias_initializer
        for name in (kernel_initializer, recurrent_initializer, bias_initializer):
            initializer_of(name)             # an unknown name fails here, not at build time
        self.return_sequences, self.go_backwards = bool(return_sequences), bool(go_backwards)
        self.seed = seed
        for attribute, given in settings.items():           # e.g. recurrent_kernel_regularizer
            module = regularizers if attribute.endswith("_regularizer") else constraints
            setattr(self, attribute, module.get(given))

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if len(self.input_shape) != 4 or self.input_shape[-1] is None:
            raise ShapeError(f"layer '{self._display_name}' ({type(self).__name__}) needs sequences of images "
                             f"(batch, time, height, width, channels) but got {('batch',) + tuple(self.input_shape)}")
        (kh, kw), f, channels = self.kernel_size, self.filters, self.input_shape[-1]
        self.add_param("kernel", initializer_of(self.kernel_initializer)((kh, kw, channels, 4 * f), self.rng))
        self.add_param("recurrent_kernel", initializer_of(self.recurrent_initializer)((kh, kw, f, 4 * f), self.rng))
        if self.use_bias:
            bias = initializer_of(self.bias_initializer)((4 * f,), self.rng)
            if self.unit_forget_bias:
                bias[f:2 * f] = 1.0          # the forget gate starts open: the cell remembers
            self.add_param("bias", bias)

    def _state_hw(self, hw):
        """The state's size for frames of ``hw`` (None for a size left open), or a one-line
        error when the kernel doesn't fit."""
        state = tuple(output_length(n, k, s, self.padding)
                      for n, k, s in zip(hw, span(self.kernel_size, self.dilation_rate), self.strides))
        if None not in state and min(state) < 1:
            raise ShapeError(f"layer '{self._display_name}' ({type(self).__name__}): a {self.kernel_size} kernel "
                             f"doesn't fit in frames of {tuple(hw)} with padding='{self.padding}'")
        return state

    def output_shape(self, input_shape):
        state = self._state_hw(input_shape[1:3]) + (self.filters,)
        return (input_shape[0],) + state if self.return_sequences else state

    def _borders(self, hw):
        """The input's padding, and the state's ("same", stride 1)."""
        spans, (kh, kw) = span(self.kernel_size, self.dilation_rate), self.kernel_size
        given = (tuple(same_padding(n, k, s) for n, k, s in zip(hw, spans, self.strides))
                 if self.padding == "same" else ((0, 0), (0, 0)))
        state = self._state_hw(hw)
        return given, (same_padding(state[0], kh, 1), same_padding(state[1], kw, 1))

    def forward(self, x, training=False):
        self.check_input(x)
        x = x[:, ::-1] if self.go_backwards else x
        n, steps, h, w, channels = x.shape
        f, (oh, ow) = self.filters, self._state_hw((h, w))
        self.x_shape, (self.borders, self.state_borders) = x.shape, self._borders((h, w))
        # The input's convolution, for every frame at once: (N*T*OH*OW, KH*KW*C) @ (KH*KW*C, 4F).
        self.cols = _patches(x.reshape(n * steps, h, w, channels), self.borders, self.kernel_size, self.strides,
                             self.dilation_rate)
        z = (self.cols @ self.params["kernel"].reshape(-1, 4 * f)).reshape(n, steps, oh, ow, 4 * f)
        if self.use_bias:
            z += self.params["bias"]
        act, gate = ACTIVATIONS[self.activation][0], ACTIVATIONS[self.recurrent_activation][0]
        U = self.params["recurrent_kernel"].reshape(-1, 4 * f)
        self.gate_values, self.state_cols = np.empty_like(z), []
        self.cells, self.cell_out, self.states = (np.empty((n, steps, oh, ow, f), x.dtype) for _ in range(3))
        state, cell = np.zeros((n, oh, ow, f), x.dtype), np.zeros((n, oh, ow, f), x.dtype)
        for t in range(steps):
            cols = _patches(state, self.state_borders, self.kernel_size)        # (N*OH*OW, KH*KW*F)
            self.state_cols.append(cols)
            zt = z[:, t] + (cols @ U).reshape(n, oh, ow, 4 * f)
            g = self.gate_values[:, t]
            g[..., :2 * f], g[..., 2 * f:3 * f], g[..., 3 * f:] = (gate(zt[..., :2 * f]), act(zt[..., 2 * f:3 * f]),
                                                                   gate(zt[..., 3 * f:]))
            cell = self.cells[:, t] = g[..., f:2 * f] * cell + g[..., :f] * g[..., 2 * f:3 * f]
            self.cell_out[:, t] = act(cell)
            state = self.states[:, t] = g[..., 3 * f:] * self.cell_out[:, t]
        return self.states if self.return_sequences else self.states[:, -1]

    def backward(self, dy):
        d_act, d_gate = ACTIVATIONS[self.activation][1], ACTIVATIONS[self.recurrent_activation][1]
        n, steps, oh, ow, f = self.states.shape
        d_states = dy if self.return_sequences else np.zeros_like(self.states)
        if not self.return_sequences:
            d_states[:, -1] = dy
        U = self.params["recurrent_kernel"].reshape(-1, 4 * f)
        dz = np.empty_like(self.gate_values)
        dU = np.zeros_like(U)
        dh, dc_next = np.zeros((n, oh, ow, f), dy.dtype), np.zeros((n, oh, ow, f), dy.dtype)
        for t in range(steps - 1, -1, -1):
            g, tc = self.gate_values[:, t], self.cell_out[:, t]
            i, fg, cand, o = g[..., :f], g[..., f:2 * f], g[..., 2 * f:3 * f], g[..., 3 * f:]
            c_prev = self.cells[:, t - 1] if t else np.zeros_like(tc)
            dh = d_states[:, t] + dh
            dc = dc_next + dh * o * d_act(tc)
            dzt = dz[:, t]
            dzt[..., :f], dzt[..., f:2 * f] = dc * cand * d_gate(i), dc * c_prev * d_gate(fg)
            dzt[..., 2 * f:3 * f], dzt[..., 3 * f:] = dc * i * d_act(cand), dh * tc * d_gate(o)
            dc_next = dc * fg
            rows = dzt.reshape(-1, 4 * f)
            dU += self.state_cols[t].T @ rows
            dh = _patches_back(rows @ U.T, (oh, ow), (n, oh, ow, f), self.state_borders, self.kernel_size)
        rows = dz.reshape(-1, 4 * f)
        kernel = self.params["kernel"]
        self.grads["recurrent_kernel"][...] = dU.reshape(self.grads["recurrent_kernel"].shape)
        self.grads["kernel"][...] = (self.cols.T @ rows).reshape(kernel.shape)
        if self.use_bias:
            rows.sum(axis=0, out=self.grads["bias"])
        self.add_penalty_gradients()
        if not self.needs_input_grad:
            return None
        _, _, h, w, c = self.x_shape
        dx = _patches_back(rows @ kernel.reshape(-1, 4 * f).T, (oh, ow), (n * steps, h, w, c), self.borders,
                           self.kernel_size, self.strides, self.dilation_rate).reshape(self.x_shape)
        return dx[:, ::-1] if self.go_backwards else dx

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding, "dilation_rate": list(self.dilation_rate),
                "activation": self.activation, "recurrent_activation": self.recurrent_activation,
                "use_bias": self.use_bias, "unit_forget_bias": self.unit_forget_bias,
                **{key: _initializer_config(getattr(self, key))
                   for key in ("kernel_initializer", "recurrent_initializer", "bias_initializer")},
                "return_sequences": self.return_sequences, "go_backwards": self.go_backwards, "seed": self.seed,
                **{f"{given}_{kind}": (regularizers if kind == "regularizer" else constraints).serialize(
                    getattr(self, f"{weight}_{kind}"))
                   for given, weight in WEIGHTS.items() for kind in ("regularizer", "constraint")}}
