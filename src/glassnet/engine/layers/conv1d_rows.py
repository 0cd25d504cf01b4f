"""Conv1DTranspose, DepthwiseConv1D, SeparableConv1D and ConvLSTM1D: the 2-D layers, run on one-row images.

A sequence ``(N, L, C)`` is an image one row high, ``(N, 1, L, C)``; a kernel of ``K`` steps
is a ``1 x K`` kernel. So each 1-D layer here *is* its 2-D parent (same forward, same
backward, same gradient checks), with three things translated at the edges:

* the input gets a row axis on the way in, and the output loses it on the way out;
* the sizes (``kernel_size=3``, ``strides=2``) become ``(1, 3)`` and ``(1, 2)``;
* the weights are kept in Keras's 1-D shapes (a Conv1DTranspose's kernel is ``(K, F, C)``,
  not ``(1, K, F, C)``), so that ``.keras`` files and ``get_weights`` agree with Keras; the
  2-D code reads them through views with the row axis put back, for the length of one pass.
"""

from contextlib import contextmanager

from glassnet.engine.layers.conv1d import as_length
from glassnet.engine.layers.conv_lstm import ConvLSTM2D
from glassnet.engine.layers.conv_transpose import Conv2DTranspose
from glassnet.engine.layers.depthwise import DepthwiseConv2D, SeparableConv2D
from glassnet.engine.shapes import sample_shape
from glassnet.errors import ShapeError

SIZES = ("kernel_size", "strides", "dilation_rate")


def as_row(value, what, owner):
    """``3``, ``(3,)`` or ``[3]`` -> ``(1, 3)``: a 1-D size as the 2-D size of a one-row image."""
    return 1, as_length(value, what, owner)


class OneRow:
    """What turns a 2-D layer into its 1-D twin (put before the 2-D class in the bases).

    The row axis goes third from the end, before the steps and the channels: a sequence
    ``(N, L, C)`` becomes ``(N, 1, L, C)``, and a sequence of them ``(N, T, L, C)`` (ConvLSTM1D's
    input) ``(N, T, 1, L, C)``; the 2-D layer's outputs have it at the same place.
    ``row_weights`` names the weights Keras keeps without the row axis; the others (a bias)
    have the same shape in both."""

    row_weights = ()
    sample_rank = 2                                      # (L, C)
    what = "sequences (batch, steps, channels)"

    def build(self, input_shape, rng=None):
        shape = tuple(sample_shape(input_shape))
        if len(shape) != self.sample_rank:
            raise ShapeError(f"layer '{self.name or type(self).__name__}' ({type(self).__name__}) needs {self.what} "
                             f"but got {('batch',) + shape}")
        super().build(shape[:-2] + (1,) + shape[-2:], rng)   # the 2-D layer's weights: (1, K, ...)
        self.input_shape = shape
        for name in self.row_weights:
            if name in self.params:
                self.add_param(name, self.params[name][0].copy())   # (K, ...), as Keras keeps it

    def fit_image(self, shape):
        super().fit_image((1,) + tuple(shape) if len(shape) == 2 else shape)

    def check_input(self, x):
        """The 2-D parent checks its one-row images as the sequences they are."""
        super().check_input(x[..., 0, :, :] if x.ndim == len(self.input_shape) + 2 else x)

    def output_shape(self, input_shape):
        shape = tuple(super().output_shape(tuple(input_shape[:-2]) + (1,) + tuple(input_shape[-2:])))
        return shape[:-3] + shape[-2:]

    @contextmanager
    def _rows(self):
        """For one pass: every row weight, and its gradient, seen with the row axis (views:
        what the 2-D code writes into a gradient lands in the 1-D one)."""
        kept = dict(self.params), dict(self.grads)
        for name in self.row_weights:
            if name in self.params:
                self.params[name], self.grads[name] = kept[0][name][None], kept[1][name][None]
        try:
            yield
        finally:
            self.params.update(kept[0])
            self.grads.update(kept[1])

    def forward(self, x, training=False):
        self.check_input(x)
        with self._rows():
            y = super().forward(x[..., None, :, :], training)     # (N, 1, T, F)
        return y[..., 0, :, :]

    def backward(self, dy):
        with self._rows():
            dx = super().backward(dy[..., None, :, :])
        return None if dx is None else dx[..., 0, :, :]

    def get_config(self):
        config = super().get_config()
        return {**config, **{key: config[key][1] for key in SIZES if key in config}}   # [1, 3] -> 3


class Conv1DTranspose(OneRow, Conv2DTranspose):
    """Transposed 1-D convolution: each input step paints a scaled copy of the kernel onto
    the output, ``strides`` steps from its neighbour's copy (a decoder's way back to a longer
    sequence; the gradient of a Conv1D with respect to its input).

    With ``x`` (N, L, C), the kernel ``K`` (KL, F, C) and stride ``S``::

        full[n, t*S + k, f] += sum over c of x[n, t, c] * K[k, f, c]    for every t, k
        y = f(window of full + b)

    ``"valid"`` keeps all ``L*S + max(KL - S, 0)`` steps, ``"same"`` keeps ``L*S`` (cutting
    ``(KL - S) // 2`` from the start, as Keras). Backward: :class:`Conv2DTranspose`'s, on
    one-row images.

    Args: those of :class:`~glassnet.engine.layers.conv1d.Conv1D` (``filters`` is F, the
    output's channels); Keras's ``output_padding`` and ``dilation_rate`` at their defaults only.

    Input shape: ``(N, L, C)``. Output shape: ``(N, T, F)``. Weights: ``kernel`` (KL, F, C), ``bias`` (F,).
    """

    row_weights = ("kernel",)

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, dilation_rate=1,
                 **kwargs):
        owner = "Conv1DTranspose"
        if "groups" in kwargs:                  # Conv2D's, which Keras's Conv1DTranspose doesn't take
            raise TypeError(f"{owner}: unknown argument(s) groups={kwargs['groups']!r}")
        if as_length(dilation_rate, "dilation_rate", owner) != 1:
            raise ValueError(f"{owner}: dilation_rate={dilation_rate!r} is not supported by glassnet "
                             f"(a transposed convolution is undilated)")
        super().__init__(filters, as_row(kernel_size, "kernel_size", owner), strides=as_row(strides, "strides", owner),
                         padding=padding, output_padding=output_padding, **kwargs)


class DepthwiseConv1D(OneRow, DepthwiseConv2D):
    """Depthwise 1-D convolution: each channel filtered on its own, along the steps.

    With ``M`` filters per channel (``depth_multiplier``), stride ``S`` and dilation ``D``::

        y[n, t, c*M + m] = f(b[c*M + m] + sum over k of x[n, t*S + k*D, c] * K[k, c, m])

    Backward: :class:`DepthwiseConv2D`'s, on one-row images.

    Args: those of :class:`DepthwiseConv2D`, with one-number sizes (``kernel_size=3``).

    Input shape: ``(N, L, C)``. Output shape: ``(N, T, C*M)``. Weights: ``kernel`` (K, C, M), ``bias`` (C*M,).
    """

    row_weights = ("kernel",)

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, **kwargs):
        owner = "DepthwiseConv1D"
        super().__init__(as_row(kernel_size, "kernel_size", owner), strides=as_row(strides, "strides", owner),
                         padding=padding, depth_multiplier=depth_multiplier, data_format=data_format,
                         dilation_rate=as_row(dilation_rate, "dilation_rate", owner), **kwargs)


class SeparableConv1D(OneRow, SeparableConv2D):
    """Depthwise then pointwise along the steps: ``y = f(depthwise(x, D) @ P + b)``.

    ``d = depthwise(x, D)`` as in :class:`DepthwiseConv1D` (N, T, C*M), then a 1-step
    convolution mixes the channels: ``z = d @ P + b`` with ``P`` (C*M, F).
    Backward: :class:`SeparableConv2D`'s, on one-row images.

    Args: those of :class:`SeparableConv2D`, with one-number sizes (``kernel_size=3``).

    Input shape: ``(N, L, C)``. Output shape: ``(N, T, F)``. Weights, in Keras's order:
    ``depthwise_kernel`` (K, C, M), ``pointwise_kernel`` (1, C*M, F), ``bias`` (F,).
    """

    row_weights = ("depthwise_kernel", "pointwise_kernel")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, **kwargs):
        owner = "SeparableConv1D"
        super().__init__(filters, as_row(kernel_size, "kernel_size", owner),
                         strides=as_row(strides, "strides", owner), padding=padding, data_format=data_format,
                         dilation_rate=as_row(dilation_rate, "dilation_rate", owner),
                         depth_multiplier=depth_multiplier, **kwargs)


class ConvLSTM1D(OneRow, ConvLSTM2D):
    """1-D convolutional LSTM: :class:`ConvLSTM2D` on frames one row high, for sequences of
    sequences (a signal seen window after window).

    For each step ``x_t`` (N, L, C), with ``*`` a 1-D convolution::

        [z_i, z_f, z_c, z_o] = x_t * K + h_{t-1} * U + b       # (N, OL, 4F)
        c_t = s(z_f) * c_{t-1} + s(z_i) * a(z_c)      h_t = s(z_o) * a(c_t)

    Args: those of :class:`ConvLSTM2D`, with one-number sizes (``kernel_size=3``).

    Input shape: ``(N, T, L, C)``. Output shape: ``(N, OL, F)`` or ``(N, T, OL, F)``.
    Weights: ``kernel`` (K, C, 4F), ``recurrent_kernel`` (K, F, 4F), ``bias`` (4F,).
    """

    row_weights = ("kernel", "recurrent_kernel")
    sample_rank = 3                                      # (T, L, C)
    what = "sequences of sequences (batch, time, steps, channels)"

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 **kwargs):
        owner = "ConvLSTM1D"
        super().__init__(filters, as_row(kernel_size, "kernel_size", owner), strides=as_row(strides, "strides", owner),
                         padding=padding, data_format=data_format,
                         dilation_rate=as_row(dilation_rate, "dilation_rate", owner), **kwargs)
