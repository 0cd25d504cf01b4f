"""ONNX for the 3-D layers and for the 1-D layers that are 2-D ones on one row.

ONNX's ``Conv``, ``ConvTranspose``, ``MaxPool``, ``AveragePool`` and ``Resize`` take any
number of spatial axes, channels first; so each layer here is its ONNX operator between two
``Transpose`` (channels first, then last again), as the 2-D ones in
:mod:`glassnet.interop.onnx_layers` are, with its weights laid out the ONNX way:

==========================  ===============================================================
Conv3D                      ``Conv`` (kernel as ``(F, C, KD, KH, KW)``)
Conv3DTranspose             ``ConvTranspose`` (kernel as ``(C, F, KD, KH, KW)``), Keras's window
                            as ``pads`` and ``output_padding``; Conv1DTranspose: the same on (N, C, L)
DepthwiseConv1D             ``Conv`` with ``group=C`` (kernel as ``(C*M, 1, K)``); SeparableConv1D:
                            then a 1-step ``Conv``
MaxPooling3D, Average...    ``MaxPool`` / ``AveragePool`` (the average over real positions only)
GlobalAverage/MaxPooling3D  ``ReduceMean`` / ``ReduceMax`` over the depth, rows and columns
ZeroPadding3D, Cropping3D   ``Pad``, ``Slice``; UpSampling3D: ``Resize`` (nearest)
SpatialDropout3D            nothing (it only acts while training)
==========================  ===============================================================

(The adaptive poolings and the convolutional LSTMs have no ONNX operator: exporting them is
a one-line error naming the layer.)
"""

import numpy as np

from glassnet.engine.layers.im2col import same_padding
from glassnet.interop.onnx_layers import NLC_TO_NCL, _activation, _cropping, _global, _zero_padding

VOLUME_TO_FIRST, VOLUME_TO_LAST = [0, 4, 1, 2, 3], [0, 2, 3, 4, 1]


def _channels_first(graph, layer, x, op_type, inputs=(), **attributes):
    """``op_type`` (channels first) on channels-last volumes (N, D, H, W, C) or sequences (N, L, C)."""
    to_first, to_last = (VOLUME_TO_FIRST, VOLUME_TO_LAST) if len(layer.input_shape) == 4 else (NLC_TO_NCL,
                                                                                                NLC_TO_NCL)
    first = graph.op("Transpose", [x], f"{layer.name}/to_channels_first", perm=to_first)
    y = graph.op(op_type, [first, *inputs], f"{layer.name}/{op_type.lower()}", **attributes)
    return graph.op("Transpose", [y], f"{layer.name}/to_channels_last", perm=to_last)


def _sizes(layer):
    """The spatial sizes of the input (depth, rows, columns; or the steps)."""
    return tuple(layer.input_shape[:-1])


def _pads(layer, windows, strides):
    """ONNX's ``pads`` (every axis's before, then every axis's after) for Keras's padding, or
    ``SAME_UPPER`` (Keras's rule) where a size was left open."""
    if layer.padding != "same":
        return {"pads": [0] * (2 * len(windows))}
    if None in _sizes(layer):
        return {"auto_pad": "SAME_UPPER"}
    borders = [same_padding(n, k, s) for n, k, s in zip(_sizes(layer), windows, strides)]
    return {"pads": [b for b, _ in borders] + [a for _, a in borders]}


def _weights(graph, layer, kernel, name="kernel"):
    inputs = [graph.constant(f"{layer.name}/{name}", kernel)]
    if layer.use_bias:
        inputs.append(graph.constant(f"{layer.name}/bias", layer.params["bias"]))
    return inputs


def _conv3d(graph, layer, xs):
    from glassnet.engine.layers.im2col import span
    kernel = np.moveaxis(layer.params["kernel"], (3, 4), (1, 0))         # (KD, KH, KW, C, F) -> (F, C, KD, KH, KW)
    y = _channels_first(graph, layer, xs[0], "Conv", _weights(graph, layer, np.ascontiguousarray(kernel)),
                        kernel_shape=list(layer.kernel_size), strides=list(layer.strides),
                        dilations=list(layer.dilation_rate),
                        **_pads(layer, span(layer.kernel_size, layer.dilation_rate), layer.strides))
    return _activation(graph, layer.activation, y, layer.name)


def _transposed(graph, layer, xs):
    """Conv3DTranspose, and Conv1DTranspose (a 2-D layer on one row: its sizes' second halves)."""
    one_row = len(layer.input_shape) == 2
    kernels, strides = (layer.kernel_size[1:], layer.strides[1:]) if one_row else (layer.kernel_size, layer.strides)
    kernel = layer.params["kernel"]                                      # (K..., F, C)
    kernel = np.ascontiguousarray(np.moveaxis(kernel, (-1, -2), (0, 1)))  # (C, F, K...)
    befores, afters, extra = [], [], []
    for length, size, stride in zip(_sizes(layer), kernels, strides):
        length = length or 1             # a size left open: the pads don't depend on it, any will do
        out, start, _ = layer._window(length, size, stride)
        full = (length - 1) * stride + size
        befores.append(start)
        afters.append(max(full - start - out, 0))
        extra.append(max(start + out - full, 0))
    y = _channels_first(graph, layer, xs[0], "ConvTranspose", _weights(graph, layer, kernel),
                        kernel_shape=list(kernels), strides=list(strides), pads=befores + afters,
                        output_padding=extra)
    return _activation(graph, layer.activation, y, layer.name)


def _depthwise1d(graph, layer, xs):
    """DepthwiseConv1D and SeparableConv1D: ``Conv`` with a group per channel (then a 1-step ``Conv``)."""
    separable = "pointwise_kernel" in layer.params
    depthwise = layer.params["depthwise_kernel" if separable else "kernel"]   # (K, C, M)
    k, c, m = depthwise.shape
    inputs = [graph.constant(f"{layer.name}/depthwise_kernel", depthwise.transpose(1, 2, 0).reshape(c * m, 1, k))]
    if layer.use_bias and not separable:
        inputs.append(graph.constant(f"{layer.name}/bias", layer.params["bias"]))
    first = graph.op("Transpose", [xs[0]], f"{layer.name}/to_channels_first", perm=NLC_TO_NCL)
    span = (k - 1) * layer.dilation_rate[1] + 1
    y = graph.op("Conv", [first, *inputs], f"{layer.name}/depthwise", group=c, kernel_shape=[k],
                 strides=[layer.strides[1]], dilations=[layer.dilation_rate[1]],
                 **_pads(layer, [span], [layer.strides[1]]))
    if separable:
        pointwise = layer.params["pointwise_kernel"].transpose(2, 1, 0)  # (1, C*M, F) -> (F, C*M, 1)
        y = graph.op("Conv", [y, *_weights(graph, layer, np.ascontiguousarray(pointwise), "pointwise_kernel")],
                     f"{layer.name}/pointwise", kernel_shape=[1])
    y = graph.op("Transpose", [y], f"{layer.name}/to_channels_last", perm=NLC_TO_NCL)
    return _activation(graph, layer.activation, y, layer.name)


def _pooling3d(op_type, **extra):
    def emit(graph, layer, xs):
        return _channels_first(graph, layer, xs[0], op_type, kernel_shape=list(layer.pool_size),
                               strides=list(layer.strides), **_pads(layer, layer.pool_size, layer.strides), **extra)
    return emit


def _upsampling3d(graph, layer, xs):
    scales = graph.constant(f"{layer.name}/scales", [1, 1, *layer.factors])
    return _channels_first(graph, layer, xs[0], "Resize", ["", scales], mode="nearest",
                           coordinate_transformation_mode="asymmetric", nearest_mode="floor")


MORE_EMITTERS = {
    "Conv3D": _conv3d,
    "Conv3DTranspose": _transposed,
    "Conv1DTranspose": _transposed,
    "DepthwiseConv1D": _depthwise1d,
    "SeparableConv1D": _depthwise1d,
    "MaxPooling3D": _pooling3d("MaxPool"),
    "AveragePooling3D": _pooling3d("AveragePool", count_include_pad=0),   # "same": real positions only
    "GlobalAveragePooling3D": _global("ReduceMean"),
    "GlobalMaxPooling3D": _global("ReduceMax"),
    "ZeroPadding3D": _zero_padding,
    "Cropping3D": _cropping,
    "UpSampling3D": _upsampling3d,
    "SpatialDropout3D": lambda graph, layer, xs: xs[0],
}
