"""ONNX's operators for each glassnet layer: one small function per layer class.

Each function takes the graph being written (``_Graph`` in :mod:`glassnet.interop.onnx_export`),
the layer, and the names of its inputs in the graph, adds the operators that compute the
layer, and returns the name of its output. :data:`EMITTERS` maps each layer class's name to
its function; :mod:`glassnet.interop.onnx_export` walks the model and calls them. The table
in that module's docstring lists which operators each layer becomes.
"""

import numpy as np

from glassnet.errors import ExportError

NHWC_TO_NCHW, NCHW_TO_NHWC = [0, 3, 1, 2], [0, 2, 3, 1]
NLC_TO_NCL = [0, 2, 1]          # a sequence's steps and channels swap (and back: the same perm)


# -- one function per layer: (graph, layer, input names) -> output name ---------------------
# The activations that are one ONNX operator: kind -> (operator, its attributes).
ONE_OPERATOR = {"Sigmoid": ("Sigmoid", {}), "Tanh": ("Tanh", {}), "Softmax": ("Softmax", {"axis": -1}),
                "LogSoftmax": ("LogSoftmax", {"axis": -1}), "Softplus": ("Softplus", {}),
                "Softsign": ("Softsign", {}), "Exponential": ("Exp", {}),
                "HardSigmoid": ("HardSigmoid", {"alpha": 1 / 6, "beta": 0.5})}     # clip(x/6 + 1/2, 0, 1)


def _activation(graph, fn, x, base):
    if fn is None:
        return x
    kind = type(fn).__name__
    name = f"{base}/{kind.lower()}"
    if kind in ONE_OPERATOR:
        op, attributes = ONE_OPERATOR[kind]
        return graph.op(op, [x], name, **attributes)
    if kind == "ReLU":
        return _relu(graph, fn, x, name)
    if kind == "ReLU6":
        return _clip(graph, x, 0.0, 6.0, name)
    if kind == "LeakyReLU":
        return graph.op("LeakyRelu", [x], name, alpha=float(fn.negative_slope))
    if kind == "SELU":
        return graph.op("Selu", [x], name, alpha=fn.ALPHA, gamma=fn.SCALE)
    if kind == "ELU":
        return graph.op("Elu", [x], name, alpha=float(fn.alpha))
    if kind in ("SiLU", "HardSilu", "Mish"):        # x times a gate of x
        if kind == "SiLU":
            gate = graph.op("Sigmoid", [x], f"{name}/sigmoid")
        elif kind == "HardSilu":
            gate = graph.op("HardSigmoid", [x], f"{name}/hard_sigmoid", alpha=1 / 6, beta=0.5)
        else:                                        # mish: tanh(softplus(x))
            gate = graph.op("Tanh", [graph.op("Softplus", [x], f"{name}/softplus")], f"{name}/tanh")
        return graph.op("Mul", [x, gate], name)
    if kind == "GELU":
        return _gelu(graph, fn, x, name)
    raise ExportError(f"layer '{base}': ONNX export doesn't know the activation {kind}")


def _clip(graph, x, low, high, name):
    bounds = [graph.constant(f"{name}/{label}", value) for label, value in (("min", low), ("max", high))]
    return graph.op("Clip", [x, *bounds], name)


def _relu(graph, fn, x, name):
    """Keras's ReLU with its options: ``max_value`` (a cap), ``negative_slope`` below the
    ``threshold``; the plain one is ``Relu``."""
    if fn.plain:
        return graph.op("Relu", [x], name)
    if not fn.negative_slope and not fn.threshold:          # relu6 and its kind: a clip
        return _clip(graph, x, 0.0, fn.max_value, name)
    threshold = graph.constant(f"{name}/threshold", fn.threshold)
    below = graph.op("Mul", [graph.op("Sub", [x, threshold], f"{name}/shifted"),
                             graph.constant(f"{name}/slope", fn.negative_slope)], f"{name}/below")
    y = graph.op("Where", [graph.op("Greater", [x, threshold], f"{name}/on"), x, below],
                 name if fn.max_value is None else f"{name}/uncapped")
    if fn.max_value is None:
        return y
    cap = graph.constant(f"{name}/max_value", fn.max_value)
    return graph.op("Where", [graph.op("GreaterOrEqual", [x, cap], f"{name}/capped"), cap, y], name)


def _gelu(graph, fn, x, name):
    """``x * Phi(x)``: with ``Erf``, or Keras's tanh approximation."""
    def const(label, value):
        return graph.constant(f"{name}/{label}", value)
    if fn.approximate:      # Phi(x) ~ (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))) / 2
        cube = graph.op("Mul", [graph.op("Mul", [x, x], f"{name}/square"), x], f"{name}/cube")
        inner = graph.op("Add", [x, graph.op("Mul", [cube, const("c", 0.044715)], f"{name}/cubic")], f"{name}/inner")
        u = graph.op("Tanh", [graph.op("Mul", [inner, const("k", np.sqrt(2 / np.pi))], f"{name}/u")],
                     f"{name}/tanh")
    else:                   # Phi(x) = (1 + erf(x / sqrt(2))) / 2
        u = graph.op("Erf", [graph.op("Mul", [x, const("k", 1 / np.sqrt(2))], f"{name}/scaled")], f"{name}/erf")
    half = graph.op("Mul", [graph.op("Add", [u, const("one", 1.0)], f"{name}/one_plus"), const("half", 0.5)],
                    f"{name}/phi")
    return graph.op("Mul", [x, half], name)


def _dense(graph, layer, xs):
    if len(layer.input_shape) > 1:          # (N, ..., D): on the last axis
        return _dense_on_last_axis(graph, layer, xs[0], layer.name)
    kernel = graph.constant(f"{layer.name}/kernel", layer.params["kernel"])
    bias = [graph.constant(f"{layer.name}/bias", layer.params["bias"])] if layer.use_bias else []
    z = graph.op("Gemm", [xs[0], kernel] + bias, f"{layer.name}/gemm")          # (N, D) @ (D, U) + (U,)
    return _activation(graph, layer.activation, z, layer.name)


def _dense_on_last_axis(graph, dense, x, name):
    """``(N, ..., D) @ (D, U) + b``: MatMul works on the last axis (Gemm only on (N, D))."""
    y = graph.op("MatMul", [x, graph.constant(f"{name}/kernel", dense.params["kernel"])], f"{name}/matmul")
    if dense.use_bias:
        y = graph.op("Add", [y, graph.constant(f"{name}/bias", dense.params["bias"])], f"{name}/add")
    return _activation(graph, dense.activation, y, name)


def _padding_2d(layer):
    """ONNX's padding of a 2-D window: ``pads=[top, left, bottom, right]`` ("same" pads the
    odd row or column after, as Keras does), or, for "same" on images whose size was left
    open (the padding depends on the size), ONNX's rule ``SAME_UPPER``, which is Keras's."""
    if layer.padding != "same":
        return {"pads": [0, 0, 0, 0]}
    from glassnet.engine.layers.im2col import same_padding
    (kh, kw), (sh, sw) = getattr(layer, "span", None) or layer.pool_size, layer.strides   # a dilated kernel's reach
    h, w = layer.input_shape[:2]
    if h is None or w is None:
        return {"auto_pad": "SAME_UPPER"}
    (top, bottom), (left, right) = same_padding(h, kh, sh), same_padding(w, kw, sw)
    return {"pads": [top, left, bottom, right]}


def _channels_first(graph, layer, x, op_type, inputs=(), **attributes):
    """``op_type`` (channels-first) on channels-last ``x`` (images NHWC, sequences NLC):
    transpose, the operator, transpose back."""
    to_first, to_last = (NHWC_TO_NCHW, NCHW_TO_NHWC) if len(layer.input_shape) == 3 else (NLC_TO_NCL, NLC_TO_NCL)
    first = graph.op("Transpose", [x], f"{layer.name}/to_channels_first", perm=to_first)
    y = graph.op(op_type, [first, *inputs], f"{layer.name}/{op_type.lower()}", **attributes)
    return graph.op("Transpose", [y], f"{layer.name}/to_channels_last", perm=to_last)


def _grouped(layer):
    """ONNX Conv's ``group``, written only for a grouped convolution: its kernel, (F, C/G, ...),
    orders the filters by group as Keras's does."""
    return {"group": layer.groups} if layer.groups > 1 else {}


def _conv2d(graph, layer, xs):
    kernel = layer.params["kernel"].transpose(3, 2, 0, 1)        # (KH, KW, C, F) -> (F, C, KH, KW)
    inputs = [graph.constant(f"{layer.name}/kernel", kernel)]
    if layer.use_bias:
        inputs.append(graph.constant(f"{layer.name}/bias", layer.params["bias"]))
    y = _channels_first(graph, layer, xs[0], "Conv", inputs, kernel_shape=list(layer.kernel_size),
                        strides=list(layer.strides), dilations=list(layer.dilation_rate), **_padding_2d(layer),
                        **_grouped(layer))
    return _activation(graph, layer.activation, y, layer.name)


def _conv1d(graph, layer, xs):
    kernel = layer.params["kernel"].transpose(2, 1, 0)            # (K, C, F) -> (F, C, K)
    inputs = [graph.constant(f"{layer.name}/kernel", kernel)]
    if layer.use_bias:
        inputs.append(graph.constant(f"{layer.name}/bias", layer.params["bias"]))
    y = _channels_first(graph, layer, xs[0], "Conv", inputs, kernel_shape=[layer.kernel_size],
                        strides=[layer.strides], dilations=[layer.dilation_rate], **_padding_1d(layer, layer.span),
                        **_grouped(layer))
    return _activation(graph, layer.activation, y, layer.name)


def _depthwise(graph, layer, xs):
    """A depthwise convolution is ONNX's Conv with one group per channel; a separable one
    adds the 1x1 pointwise Conv after it, between the same two transposes."""
    separable = "pointwise_kernel" in layer.params
    depthwise = layer.params["depthwise_kernel" if separable else "kernel"]
    kh, kw, c, m = depthwise.shape
    kernel = depthwise.transpose(2, 3, 0, 1).reshape(c * m, 1, kh, kw)   # filter c*M + m, as Keras orders them
    inputs = [graph.constant(f"{layer.name}/depthwise_kernel", kernel)]
    if layer.use_bias and not separable:
        inputs.append(graph.constant(f"{layer.name}/bias", layer.params["bias"]))
    first = graph.op("Transpose", [xs[0]], f"{layer.name}/to_channels_first", perm=NHWC_TO_NCHW)
    y = graph.op("Conv", [first, *inputs], f"{layer.name}/depthwise", group=c, kernel_shape=[kh, kw],
                 strides=list(layer.strides), dilations=list(layer.dilation_rate), **_padding_2d(layer))
    if separable:
        inputs = [graph.constant(f"{layer.name}/pointwise_kernel",
                                 layer.params["pointwise_kernel"].transpose(3, 2, 0, 1))]   # (F, C*M, 1, 1)
        if layer.use_bias:
            inputs.append(graph.constant(f"{layer.name}/bias", layer.params["bias"]))
        y = graph.op("Conv", [y, *inputs], f"{layer.name}/pointwise", kernel_shape=[1, 1])
    y = graph.op("Transpose", [y], f"{layer.name}/to_channels_last", perm=NCHW_TO_NHWC)
    return _activation(graph, layer.activation, y, layer.name)


def _attend(graph, layer, scores, values, name):
    """``softmax(scores [+ causal mask]) @ values`` over the last two axes."""
    if layer.use_causal_mask:
        from glassnet.engine.layers.attention import LARGE_NEGATIVE, causal_mask
        steps = _score_steps(layer)
        if None in steps:      # lengths left open: the mask is made from the scores' own shape
            ones = graph.op("ConstantOfShape", [graph.op("Shape", [scores], f"{name}/shape")], f"{name}/ones",
                            value=graph.helper.make_tensor("one", graph.onnx.TensorProto.FLOAT, [1], [1.0]))
            allowed = graph.op("Trilu", [ones], f"{name}/allowed", upper=0)     # 1 where s <= t
            blocked = graph.op("Sub", [graph.constant(f"{name}/one", 1.0), allowed], f"{name}/blocked")
            mask = graph.op("Mul", [blocked, graph.constant(f"{name}/large_negative", LARGE_NEGATIVE)],
                            f"{name}/causal_mask")
        else:
            mask = graph.constant(f"{name}/causal_mask", np.where(causal_mask(*steps), 0.0, LARGE_NEGATIVE))
        scores = graph.op("Add", [scores, mask], f"{name}/masked")
    weights = graph.op("Softmax", [scores], f"{name}/weights", axis=-1)
    return graph.op("MatMul", [weights, values], f"{name}/attended")


def _score_steps(layer):
    """``(Tq, Tv)``: the query's steps and the value's."""
    return layer.input_shape[0][0], layer.input_shape[1][0]


def _attention(graph, layer, xs):
    q, v = xs[0], xs[1]
    k = xs[2] if len(xs) > 2 else v
    kt = graph.op("Transpose", [k], f"{layer.name}/key_t", perm=[0, 2, 1])
    scores = graph.op("MatMul", [q, kt], f"{layer.name}/scores")
    if layer.use_scale:
        scores = graph.op("Mul", [scores, graph.constant(f"{layer.name}/scale", layer.params["scale"])],
                          f"{layer.name}/scaled")
    return _attend(graph, layer, scores, v, layer.name)


def _multi_head_attention(graph, layer, xs):
    """Each projection is one MatMul to all heads at once, ``(N, T, H*k)``, then reshaped to
    ``(N, T, H, k)`` and transposed to the heads first, ``(N, H, T, k)``."""
    name, h = layer.name, layer.num_heads
    q, v = xs[0], xs[1]
    k = xs[2] if len(xs) > 2 else v

    def project(x, weight, size, perm):
        kernel = layer.params[f"{weight}_kernel"]
        y = graph.op("MatMul", [x, graph.constant(f"{name}/{weight}_kernel", kernel.reshape(len(kernel), -1))],
                     f"{name}/{weight}")
        if layer.use_bias:
            y = graph.op("Add", [y, graph.constant(f"{name}/{weight}_bias", layer.params[f"{weight}_bias"].ravel())],
                         f"{name}/{weight}_biased")
        heads = graph.op("Reshape", [y, graph.constant(f"{name}/{weight}_heads", [0, 0, h, size], np.int64)],
                         f"{name}/{weight}_heads")
        return graph.op("Transpose", [heads], f"{name}/{weight}_heads_first", perm=perm)

    queries = project(q, "query", layer.key_dim, [0, 2, 1, 3])             # (N, H, T, k)
    keys = project(k, "key", layer.key_dim, [0, 2, 3, 1])                  # (N, H, k, S)
    values = project(v, "value", layer.value_dim, [0, 2, 1, 3])            # (N, H, S, v)
    scores = graph.op("MatMul", [queries, keys], f"{name}/scores")
    scores = graph.op("Mul", [scores, graph.constant(f"{name}/scale", 1.0 / np.sqrt(layer.key_dim))],
                      f"{name}/scaled")
    attended = _attend(graph, layer, scores, values, name)                  # (N, H, T, v)
    steps_first = graph.op("Transpose", [attended], f"{name}/steps_first", perm=[0, 2, 1, 3])
    joined = graph.op("Reshape", [steps_first, graph.constant(f"{name}/joined", [0, 0, h * layer.value_dim],
                                                              np.int64)], f"{name}/joined")
    kernel = layer.params["output_kernel"]
    y = graph.op("MatMul", [joined, graph.constant(f"{name}/output_kernel", kernel.reshape(-1, kernel.shape[-1]))],
                 f"{name}/output")
    if layer.use_bias:
        y = graph.op("Add", [y, graph.constant(f"{name}/output_bias", layer.params["output_bias"])], name)
    return y


def _conv2d_transpose(graph, layer, xs):
    """ONNX's ConvTranspose paints the same full picture; Keras's window of it becomes
    ``pads`` (cut off) or ``output_padding`` (zeros added at the end)."""
    kernel = layer.params["kernel"].transpose(3, 2, 0, 1)        # (KH, KW, F, C) -> (C, F, KH, KW)
    inputs = [graph.constant(f"{layer.name}/kernel", kernel)]
    if layer.use_bias:
        inputs.append(graph.constant(f"{layer.name}/bias", layer.params["bias"]))
    pads, extra = [], []
    for length, kernel_length, stride in zip(layer.input_shape[:2], layer.kernel_size, layer.strides):
        length = length or 1             # a size left open: the pads don't depend on it, any will do
        out, start, _ = layer._window(length, kernel_length, stride)
        full = (length - 1) * stride + kernel_length
        pads.append((start, max(full - start - out, 0)))
        extra.append(max(start + out - full, 0))
    y = _channels_first(graph, layer, xs[0], "ConvTranspose", inputs, kernel_shape=list(layer.kernel_size),
                        strides=list(layer.strides), pads=[pads[0][0], pads[1][0], pads[0][1], pads[1][1]],
                        output_padding=extra)
    return _activation(graph, layer.activation, y, layer.name)


def _zero_padding(graph, layer, xs):
    """``Pad``: ONNX lists every axis's zeros before, then every axis's after (batch and
    channels get none): ``[0, top, left, 0, 0, bottom, right, 0]`` for an image."""
    rest = [0] * (len(layer.input_shape) - layer.RANK)
    befores, afters = zip(*layer.borders)
    pads = graph.constant(f"{layer.name}/pads", [0, *befores, *rest, 0, *afters, *rest], np.int64)
    return graph.op("Pad", [xs[0], pads], layer.name)


def _cropping(graph, layer, xs):
    """``Slice`` along the steps (or the rows and columns): ``x[:, before:size - after]``."""
    sizes = layer.input_shape[:layer.RANK]
    starts = graph.constant(f"{layer.name}/starts", [before for before, _ in layer.borders], np.int64)
    ends = graph.constant(f"{layer.name}/ends", [_end(size, after) for size, (_, after) in zip(sizes, layer.borders)],
                          np.int64)
    axes = graph.constant(f"{layer.name}/axes", list(range(1, layer.RANK + 1)), np.int64)
    return graph.op("Slice", [xs[0], starts, ends, axes], layer.name)


def _end(size, after):
    """Where a slice that leaves ``after`` steps ends: counted from the end for a size left open."""
    if size is not None:
        return size - after
    return -after if after else np.iinfo(np.int64).max


def _upsampling(graph, layer, xs):
    """Resize, nearest pixel (or step), reading output i at input floor(i / size)."""
    scales = graph.constant(f"{layer.name}/scales", [1, 1, *layer.factors])
    return _channels_first(graph, layer, xs[0], "Resize", ["", scales], mode="nearest",
                           coordinate_transformation_mode="asymmetric", nearest_mode="floor")


def _image_window(graph, layer, xs):
    """Resizing, CenterCrop and RandomCrop (its inference: the centre): the window as a
    ``Slice`` of the rows and columns, then ``Resize`` to ``(N, C, height, width)``: "linear"
    with pixel centres lined up (``half_pixel``), or the nearest pixel as TensorFlow picks it.
    The window depends on the image's size, which must then be known (a plain Resizing's is
    the whole image)."""
    h, w = layer.input_shape[:2]
    if h is None or w is None:
        if type(layer).__name__ != "Resizing" or layer.crop_to_aspect_ratio:
            raise ExportError(f"layer '{layer.name}' ({type(layer).__name__}): its window depends on the "
                              f"images' size, which the model leaves open; ONNX export needs it known")
        window = (0, 0, h, w)
    else:
        window = layer.window(h, w, training=False)
    x = xs[0]
    top, left, rows, cols = window
    if (top, left, rows, cols) != (0, 0, h, w):
        x = graph.op("Slice", [x, graph.constant(f"{layer.name}/window_start", [top, left], np.int64),
                               graph.constant(f"{layer.name}/window_stop", [top + rows, left + cols], np.int64),
                               graph.constant(f"{layer.name}/window_axes", [1, 2], np.int64)], f"{layer.name}/window")
    if (rows, cols) == (layer.height, layer.width):            # a crop of the output's size: done
        return graph.op("Identity", [x], layer.name)
    first = graph.op("Transpose", [x], f"{layer.name}/to_channels_first", perm=NHWC_TO_NCHW)
    batch_and_channels = graph.op("Slice", [graph.op("Shape", [first], f"{layer.name}/shape"),
                                            graph.constant(f"{layer.name}/start", [0], np.int64),
                                            graph.constant(f"{layer.name}/stop", [2], np.int64)],
                                  f"{layer.name}/n_c")
    sizes = graph.op("Concat", [batch_and_channels,
                                graph.constant(f"{layer.name}/size", [layer.height, layer.width], np.int64)],
                     f"{layer.name}/sizes", axis=0)
    if layer.interpolation == "nearest":
        # TensorFlow's pick, floor((i + 0.5) * H / OH), is half_pixel's (i + 0.5) * H / OH - 0.5 rounded up at .5
        options = {"mode": "nearest", "coordinate_transformation_mode": "half_pixel", "nearest_mode": "round_prefer_ceil"}
    else:
        options = {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}
    y = graph.op("Resize", [first, "", "", sizes], f"{layer.name}/resize", **options)
    return graph.op("Transpose", [y], layer.name, perm=NCHW_TO_NHWC)


def _embedding(graph, layer, xs):
    """``Gather`` the table's rows: the float32 indices cast to int64 first."""
    indices = graph.op("Cast", [xs[0]], f"{layer.name}/indices", to=graph.onnx.TensorProto.INT64)
    table = graph.constant(f"{layer.name}/embeddings", layer.params["embeddings"])
    return graph.op("Gather", [table, indices], layer.name, axis=0)


def _pooling(op_type, **extra):
    def emit(graph, layer, xs):
        return _channels_first(graph, layer, xs[0], op_type, kernel_shape=list(layer.pool_size),
                               strides=list(layer.strides), **_padding_2d(layer), **extra)
    return emit


def _pooling1d(op_type):
    def emit(graph, layer, xs):
        return _channels_first(graph, layer, xs[0], op_type, kernel_shape=[layer.pool_size],
                               strides=[layer.strides], **_padding_1d(layer, layer.pool_size))
    return emit


def _padding_1d(layer, window):
    """ONNX's padding of a 1-D window: the steps added at each end; or, for "same" padding
    of a length left open (the padding depends on the length), ONNX's rule ``SAME_UPPER``,
    which is Keras's (the odd step goes at the end)."""
    from glassnet.engine.layers.conv1d import pads_1d

    length = layer.input_shape[0]
    if length is None and layer.padding == "same":
        return {"auto_pad": "SAME_UPPER"}
    return {"pads": list(pads_1d(length, window, layer.strides, layer.padding))}


def _global(op_type):
    """``ReduceMean`` / ``ReduceMax`` over the positions: height and width, or the steps."""
    def emit(graph, layer, xs):
        return graph.op(op_type, [xs[0]], layer.name, axes=list(layer.axes), keepdims=int(layer.keepdims))
    return emit


def _prelu(graph, layer, xs):
    """``PRelu(x, alpha)``: the slope has the per-sample shape (1 on shared axes), which
    broadcasts against the batch as it is."""
    return graph.op("PRelu", [xs[0], graph.constant(f"{layer.name}/alpha", layer.params["alpha"])], layer.name)


def _repeat_vector(graph, layer, xs):
    """``(N, F) -> (N, n, F)``: a new axis, then ``Tile`` along it."""
    y = graph.op("Unsqueeze", [xs[0], graph.constant(f"{layer.name}/axis", [1], np.int64)], f"{layer.name}/unsqueeze")
    return graph.op("Tile", [y, graph.constant(f"{layer.name}/repeats", [1, layer.n, 1], np.int64)], layer.name)


def _batchnorm(graph, layer, xs):
    """Inference: ``y = (x - mean) / sqrt(var + eps) * gamma + beta = x * scale + shift``."""
    variance = layer.state["moving_variance"].astype(np.float64)
    scale = 1 / np.sqrt(variance + layer.epsilon)
    if layer.scale:
        scale = scale * layer.params["gamma"]
    shift = -layer.state["moving_mean"] * scale
    if layer.center:
        shift = shift + layer.params["beta"]
    y = graph.op("Mul", [xs[0], graph.constant(f"{layer.name}/scale", scale)], f"{layer.name}/mul")
    return graph.op("Add", [y, graph.constant(f"{layer.name}/shift", shift)], layer.name)


def _layernorm(graph, layer, xs):
    """ONNX's own LayerNormalization (opset 17) over the last axis: ``(x - mean) / sqrt(var +
    epsilon) * gamma + beta``, with ones and zeros for a gamma or beta the layer doesn't learn."""
    features = layer.input_shape[-1]
    gamma = layer.params["gamma"] if layer.scale else np.ones(features, np.float32)
    beta = layer.params["beta"] if layer.center else np.zeros(features, np.float32)
    return graph.op("LayerNormalization", [xs[0], graph.constant(f"{layer.name}/gamma", gamma),
                                            graph.constant(f"{layer.name}/beta", beta)],
                    layer.name, axis=-1, epsilon=layer.epsilon)


def _groupnorm(graph, layer, xs):
    """Each group of channels normalised per sample: the channels moved last (a Transpose,
    unless they are), ``x`` reshaped to ``(N, P, G, C/G)``, its mean and variance over axes
    1 and 3 (``ReduceMean``), ``(x - mean) / sqrt(var + epsilon)`` reshaped back, then
    ``* gamma + beta`` per channel."""
    name, rank = layer.name, len(layer.input_shape) + 1
    last = [a for a in range(rank) if a != layer.channel_axis] + [layer.channel_axis]
    x = xs[0] if last == list(range(rank)) else graph.op("Transpose", xs, f"{name}/channels_last", perm=last)
    channels = layer.input_shape[layer.channel_axis - 1]
    shape = graph.constant(f"{name}/grouped_shape", [0, -1, layer.groups, channels // layer.groups], np.int64)
    grouped = graph.op("Reshape", [x, shape], f"{name}/grouped")
    mean = graph.op("ReduceMean", [grouped], f"{name}/mean", axes=[1, 3], keepdims=1)
    centred = graph.op("Sub", [grouped, mean], f"{name}/centred")
    variance = graph.op("ReduceMean", [graph.op("Mul", [centred, centred], f"{name}/squares")], f"{name}/variance",
                        axes=[1, 3], keepdims=1)
    std = graph.op("Sqrt", [graph.op("Add", [variance, graph.constant(f"{name}/epsilon", layer.epsilon)],
                                     f"{name}/plus_epsilon")], f"{name}/std")
    y = graph.op("Reshape", [graph.op("Div", [centred, std], f"{name}/normalised"),
                             graph.op("Shape", [x], f"{name}/shape")], f"{name}/ungrouped")
    if layer.scale:
        y = graph.op("Mul", [y, graph.constant(f"{name}/gamma", layer.params["gamma"])], f"{name}/scaled")
    if layer.center:
        y = graph.op("Add", [y, graph.constant(f"{name}/beta", layer.params["beta"])], f"{name}/shifted")
    if last == list(range(rank)):
        return y
    return graph.op("Transpose", [y], f"{name}/channels_back", perm=[int(a) for a in np.argsort(last)])


def _rescaling(graph, layer, xs):
    """``y = x * scale + offset`` (one number, or one per channel: the last axis)."""
    y = graph.op("Mul", [xs[0], graph.constant(f"{layer.name}/scale", layer.scale)], f"{layer.name}/mul")
    return graph.op("Add", [y, graph.constant(f"{layer.name}/offset", layer.offset)], layer.name)


def _normalization(graph, layer, xs):
    """``(x - mean) / std``, or ``x * std + mean`` inverted, with the layer's own statistics."""
    mean, std = layer.statistics(np.float32)
    mean, std = graph.constant(f"{layer.name}/mean", mean), graph.constant(f"{layer.name}/std", std)
    if layer.invert:
        y = graph.op("Mul", [xs[0], std], f"{layer.name}/mul")
        return graph.op("Add", [y, mean], layer.name)
    y = graph.op("Sub", [xs[0], mean], f"{layer.name}/sub")
    return graph.op("Div", [y, std], layer.name)


# -- recurrent layers: ONNX's RNN, GRU and LSTM operators ------------------------------------
RECURRENT_OPS = {"SimpleRNN": "RNN", "GRU": "GRU", "LSTM": "LSTM"}
RECURRENT_ACTIVATIONS = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu", "hard_sigmoid": "HardSigmoid"}
# Keras 3's hard_sigmoid is relu6(x + 3) / 6: ONNX's HardSigmoid max(0, min(1, alpha x + beta))
# with these, not its defaults (0.2, 0.5, Keras 2's); each HardSigmoid takes one of each, in order.
HARD_SIGMOID = {"activation_alpha": 1 / 6, "activation_beta": 0.5}
# The gates' order: Keras keeps an LSTM's as i, f, c, o, ONNX as i, o, f, c; a GRU's z, r, h
# in both.
GATE_ORDER = {"SimpleRNN": [0], "GRU": [0, 1, 2], "LSTM": [0, 3, 1, 2]}


def _gates(array, kind):
    """The gate blocks of the last axis of ``array`` in ONNX's order."""
    blocks = np.split(array, len(GATE_ORDER[kind]), axis=-1)
    return np.concatenate([blocks[g] for g in GATE_ORDER[kind]], axis=-1)


def _recurrent_weights(layer):
    """``(W, R, B)`` of one direction as ONNX keeps them: one row per gate unit (the kernels
    transposed), and the input bias then the recurrent bias."""
    kind, units = type(layer).__name__, layer.units
    gates = len(GATE_ORDER[kind])
    W = _gates(layer.params["kernel"], kind).T
    R = _gates(layer.params["recurrent_kernel"], kind).T
    bias = layer.params.get("bias")
    if bias is None:
        B = np.zeros(2 * gates * units, np.float32)
    elif bias.ndim == 2:                       # a GRU with reset_after: input and recurrent biases
        B = np.concatenate([_gates(bias[0], kind), _gates(bias[1], kind)])
    else:
        B = np.concatenate([_gates(bias, kind), np.zeros(gates * units, bias.dtype)])
    return W, R, B


def _recurrent_activations(layer):
    kind, owner = type(layer).__name__, f"layer '{layer.name}' ({type(layer).__name__})"
    names = [layer.activation] if kind == "SimpleRNN" else \
        [layer.recurrent_activation, layer.activation] + ([layer.activation] if kind == "LSTM" else [])
    unknown = [name for name in names if name not in RECURRENT_ACTIVATIONS]
    if unknown:
        raise ExportError(f"{owner}: ONNX export knows the activations {', '.join(RECURRENT_ACTIVATIONS)}, "
                          f"not {unknown[0]!r}")
    return [RECURRENT_ACTIVATIONS[name] for name in names]


def _recurrent(graph, directions, xs, base, merge_mode=None):
    """One recurrent operator over ``xs[0]`` (N, T, F) for ``directions``: ``[layer]``, or a
    Bidirectional's ``[forward, backward]`` (merged by ``merge_mode``). ONNX's operators take
    the time axis first, so the sequence is transposed in and out. ``xs[1:]``: the states to
    start from (``initial_state``, each (N, U)); with ``return_state`` the last states of
    each direction follow the output, as Keras orders them."""
    first = directions[0]
    kind = type(first).__name__
    if any(type(d).__name__ != kind or d.units != first.units or d.use_bias != first.use_bias
           or getattr(d, "reset_after", None) != getattr(first, "reset_after", None) for d in directions):
        raise ExportError(f"layer '{base}': ONNX runs both directions as one operator, so they must be "
                          f"the same kind of layer with the same settings")
    weights = [_recurrent_weights(layer) for layer in directions]
    inputs = [graph.op("Transpose", [xs[0]], f"{base}/time_first", perm=[1, 0, 2])]
    inputs += [graph.constant(f"{base}/{part}", np.stack([w[i] for w in weights]))
               for i, part in enumerate("WRB")]
    if len(xs) > 1:                 # initial_h (initial_c): (directions, N, U); no sequence_lens
        axis = graph.constant(f"{base}/direction_axis", [0], np.int64)
        count = len(first.carried)     # xs[1:]: each direction's states, the forward one's first
        inputs.append("")
        for j, name in enumerate(first.carried):
            parts = [graph.op("Unsqueeze", [xs[1 + d * count + j], axis], f"{base}/initial_{name}_{d}")
                     for d in range(len(directions))]
            inputs.append(parts[0] if len(parts) == 1 else graph.op("Concat", parts, f"{base}/initial_{name}", axis=0))
    activations = sum((_recurrent_activations(layer) for layer in directions), [])
    attributes = {"hidden_size": first.units, "activations": activations}
    if "HardSigmoid" in activations:
        attributes.update({key: [value] * activations.count("HardSigmoid") for key, value in HARD_SIGMOID.items()})
    if len(directions) == 2:
        attributes["direction"] = "bidirectional"
    elif first.go_backwards:
        attributes["direction"] = "reverse"
    if kind == "GRU":
        attributes["linear_before_reset"] = int(first.reset_after)
    op = RECURRENT_OPS[kind]
    # ONNX's outputs: Y (T, directions, N, U), Y_h and (LSTM) Y_c (directions, N, U)
    wanted = [first.return_sequences, not first.return_sequences or first.return_state]
    wanted += [first.return_state] if kind == "LSTM" else []
    names = [f"{base}/{op.lower()}"] + [f"{base}/{op.lower()}_{name}" for name in first.carried]
    outputs = graph.op_outputs(op, inputs, [name if want else None for name, want in zip(names, wanted)],
                               **attributes)
    y = _merged_directions(graph, directions, outputs, base, merge_mode)
    if not first.return_state:
        return y
    return (y if isinstance(y, list) else [y]) + [graph.op("Gather", [outputs[1 + k], graph.constant(f"{base}/direction", i, np.int64)],
                           f"{base}/{name}_{i}", axis=0)
                  for i in range(len(directions)) for k, name in enumerate(first.carried)]


def _merged_directions(graph, directions, outputs, base, merge_mode):
    """The recurrent operator's output as Keras gives it: the sequence or the last state,
    batch first, the two directions merged (a Bidirectional's ``merge_mode=None``: both, a
    list)."""
    first = directions[0]
    if first.return_sequences:      # Y: (T, directions, N, U) -> (N, T, directions, U)
        y = graph.op("Transpose", [outputs[0]], f"{base}/batch_first", perm=[2, 0, 1, 3])
        axis = 2
        if len(directions) == 1 and first.go_backwards:   # Keras gives the steps in the order read
            y = graph.op("Slice", [y, *(graph.constant(f"{base}/{name}", [value], np.int64) for name, value in
                                        (("starts", -1), ("ends", -2 ** 63), ("axes", 1), ("steps", -1)))],
                         f"{base}/reversed")
    else:                           # Y_h, the last state: (directions, N, U) -> (N, directions, U)
        y = graph.op("Transpose", [outputs[1]], f"{base}/batch_first", perm=[1, 0, 2])
        axis = 1
    parts = [graph.op("Gather", [y, graph.constant(f"{base}/direction", i, np.int64)], f"{base}/direction_{i}",
                      axis=axis) for i in range(len(directions))]
    if len(parts) == 1:
        return graph.op("Identity", parts, base)
    if merge_mode is None:
        return [graph.op("Identity", [part], f"{base}/{way}") for part, way in zip(parts, ("forward", "backward"))]
    if merge_mode == "concat":
        return graph.op("Concat", parts, base, axis=-1)
    if merge_mode == "sum":
        return graph.op("Add", parts, base)
    if merge_mode == "mul":
        return graph.op("Mul", parts, base)
    summed = graph.op("Add", parts, f"{base}/sum")                       # "ave"
    return graph.op("Mul", [summed, graph.constant(f"{base}/half", 0.5)], base)


def _time_distributed(graph, layer, xs):
    """A Dense on every step: ``(N, T, F) @ (F, U) + b``, which MatMul does over the steps."""
    inner = layer.layer
    if type(inner).__name__ != "Dense":
        raise ExportError(f"layer '{layer.name}' (TimeDistributed): ONNX export wraps only a Dense, "
                          f"not a {type(inner).__name__}")
    return _dense_on_last_axis(graph, inner, xs[0], layer.name)


def _reshape(graph, layer, xs):
    # 0: keep the batch; -1 where a size left open goes
    shape = graph.constant(f"{layer.name}/shape", [0, *(-1 if d is None else d for d in layer.out_shape)], np.int64)
    return graph.op("Reshape", [xs[0], shape], layer.name)


def _dot(graph, layer, xs):
    """``Einsum``: the two inputs' letters, the summed axis sharing one (``nik,njk->nij``);
    with ``normalize``, each first scaled to length 1 (``LpNormalization``)."""
    (a, b), (i, j) = layer.input_shape, layer._sample_axes(layer.input_shape)
    if layer.normalize:
        xs = [graph.op("LpNormalization", [x], f"{layer.name}/unit_{k}", axis=axis + 1, p=2)
              for k, (x, axis) in enumerate(zip(xs, (i, j)))]
    letters = iter("abcdefghijlmopqrstuvwxyz")          # n: the batch, k: the summed axis
    left = [next(letters) for _ in a]
    right = [next(letters) for _ in b]
    left[i] = right[j] = "k"
    out = [c for c in left if c != "k"] + [c for c in right if c != "k"]
    y = graph.op("Einsum", xs, f"{layer.name}/einsum",
                 equation=f"n{''.join(left)},n{''.join(right)}->n{''.join(out)}")
    if out:
        return y
    return graph.op("Unsqueeze", [y, graph.constant(f"{layer.name}/axis", [1], np.int64)], layer.name)


def _lined_up(graph, layer, xs):
    """The merge's inputs with as many axes as its output: ONNX broadcasts from the right
    over the batch axis too, so a sample with fewer axes gets its 1s after the batch axis
    first (``(N, 64) -> (N, 1, 1, 64)``), as the layer does (``Merge.lined_up``)."""
    rank = max(len(shape) for shape in layer.input_shape)
    lined = []
    for i, (x, shape) in enumerate(zip(xs, layer.input_shape)):
        if len(shape) < rank:
            axes = graph.constant(f"{layer.name}/axes_{i}", list(range(1, 1 + rank - len(shape))), np.int64)
            x = graph.op("Unsqueeze", [x, axes], f"{layer.name}/line_up_{i}")
        lined.append(x)
    return lined


def _variadic(op_type):
    def emit(graph, layer, xs):
        return graph.op(op_type, _lined_up(graph, layer, xs), layer.name)
    return emit


def _chained(op_type):
    def emit(graph, layer, xs):
        xs = _lined_up(graph, layer, xs)
        y = xs[0]
        for x in xs[1:]:
            y = graph.op(op_type, [y, x], f"{layer.name}/{op_type.lower()}")
        return y
    return emit


EMITTERS = {
    "Dense": _dense,
    "Conv2D": _conv2d,
    "Conv2DTranspose": _conv2d_transpose,
    "DepthwiseConv2D": _depthwise,
    "Attention": _attention,
    "MultiHeadAttention": _multi_head_attention,
    "SeparableConv2D": _depthwise,
    "ZeroPadding2D": _zero_padding,
    "Cropping2D": _cropping,
    "UpSampling2D": _upsampling,
    "ZeroPadding1D": _zero_padding,
    "Cropping1D": _cropping,
    "UpSampling1D": _upsampling,
    "Embedding": _embedding,
    "MaxPooling2D": _pooling("MaxPool"),
    "AveragePooling2D": _pooling("AveragePool", count_include_pad=0),   # "same": real pixels only
    "GlobalAveragePooling2D": _global("ReduceMean"),
    "GlobalMaxPooling2D": _global("ReduceMax"),
    "Conv1D": _conv1d,
    "MaxPooling1D": _pooling1d("MaxPool"),
    "AveragePooling1D": _pooling1d("AveragePool"),      # count_include_pad=0: real steps only
    "GlobalAveragePooling1D": _global("ReduceMean"),
    "GlobalMaxPooling1D": _global("ReduceMax"),
    "PReLU": _prelu,
    "Permute": lambda graph, layer, xs: graph.op("Transpose", xs, layer.name, perm=[0, *layer.dims]),
    "RepeatVector": _repeat_vector,
    "Identity": lambda graph, layer, xs: graph.op("Identity", xs, layer.name),
    **{kind: (lambda graph, layer, xs: _recurrent(graph, [layer], xs, layer.name)) for kind in RECURRENT_OPS},
    "Bidirectional": lambda graph, layer, xs: _recurrent(graph, [layer.forward_layer, layer.backward_layer],
                                                         xs, layer.name, layer.merge_mode),
    "TimeDistributed": _time_distributed,
    "BatchNormalization": _batchnorm,
    "LayerNormalization": _layernorm,
    "GroupNormalization": _groupnorm,
    "Dropout": lambda graph, layer, xs: xs[0],
    **{name: (lambda graph, layer, xs: xs[0]) for name in ("GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization", "SpatialDropout1D", "SpatialDropout2D",
                                                           "RandomRotation", "RandomTranslation", "RandomZoom",
                                                           "RandomFlip", "RandomContrast", "RandomBrightness")},
    # Keras 3's newer augmentation layers: training only, so the identity in an exported model
    # (AutoContrast, which acts in inference too, is not among them)
    **{name: (lambda graph, layer, xs: xs[0]) for name in (
        "RandomShear", "RandomErasing", "RandomGaussianBlur", "RandomInvert", "Solarization", "RandomPerspective",
        "RandomElasticTransform", "RandomGrayscale", "RandomColorDegeneration", "RandomPosterization",
        "RandomSharpness", "Equalization", "MixUp", "CutMix", "RandAugment", "RandomSaturation", "RandomHue",
        "RandomColorJitter", "AugMix")},
    "Normalization": _normalization,
    "Flatten": lambda graph, layer, xs: graph.op("Flatten", xs, layer.name, axis=1),
    "Reshape": _reshape,
    "Rescaling": _rescaling,
    **{name: _image_window for name in ("Resizing", "CenterCrop", "RandomCrop")},
    "Activation": lambda graph, layer, xs: _activation(graph, layer.fn, xs[0], layer.name),
    **{kind: (lambda graph, layer, xs: _activation(graph, layer, xs[0], layer.name))
       for kind in ("ReLU", "LeakyReLU", "ReLU6", "ELU", "SELU", "SiLU", "HardSilu", "Mish", "GELU", *ONE_OPERATOR)},
    "Add": _variadic("Sum"), "Average": _variadic("Mean"),
    "Maximum": _variadic("Max"), "Minimum": _variadic("Min"),
    "Subtract": _chained("Sub"), "Multiply": _chained("Mul"),
    "Concatenate": lambda graph, layer, xs: graph.op("Concat", xs, layer.name, axis=layer.axis),
    "Dot": _dot,
    "UnitNormalization": lambda graph, layer, xs: graph.op("LpNormalization", xs, layer.name, axis=layer.axis, p=2),
}

# The 3-D layers, and the 1-D ones that are 2-D ones on one row: onnx_volumes.py (built on the helpers above).
from glassnet.interop.onnx_volumes import MORE_EMITTERS  # noqa: E402
EMITTERS.update(MORE_EMITTERS)
