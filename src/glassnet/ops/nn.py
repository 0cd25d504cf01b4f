"""``keras.ops.nn``: the neural-network functions of Keras 3's ``keras.ops``, on NumPy arrays.

Each runs a glassnet layer's own two passes, so inside a custom layer's ``call()`` (or a
``Lambda``, or a loss of your own) it is one recorded step whose backward is the layer's::

    def call(self, x):                                  # x: (N, H, W, C)
        return ops.conv(x, self.kernel, padding="same")   # kernel: (KH, KW, C, F)

* ``conv``, ``depthwise_conv``, ``separable_conv``, ``conv_transpose``: Conv2D,
  DepthwiseConv2D and Conv2DTranspose with the kernel given (1-D inputs ``(N, L, C)`` run as
  images one row high);
* ``max_pool``, ``average_pool``: the pooling layers; ``adaptive_*_pool``: windows that
  split the image into ``output_size`` near-equal parts, as PyTorch's;
* ``batch_normalization``, ``layer_normalization``, ``rms_normalization``,
  ``dot_product_attention``, ``psnr``: the formulas, written with recorded NumPy;
* ``ctc_loss``, ``ctc_decode``: :mod:`glassnet.engine.ctc`, with Keras's arguments;
* ``extract_sequences``, ``depth_to_space``, ``space_to_depth``, ``unfold``: rearrangements.

Only ``channels_last`` data, as glassnet's layers.
"""

import numpy as np

from glassnet.engine.autodiff import Value, data_of, lift, record
from glassnet.engine.ctc import ctc_beam_decode, ctc_forward_backward
from glassnet.engine.losses import log_softmax as _log_softmax


def _channels_last(data_format, what):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"ops.{what}: glassnet computes channels_last data only, got data_format={data_format!r}")


def _run_layer(layer, x, weights):
    """``layer`` run on ``x`` with ``weights`` (``{name: array or Value}``) as its weights: one
    recorded step whose backward is ``layer.backward`` (the input's and weights' gradients).
    On plain arrays, a plain array."""
    recorded = isinstance(x, Value) or any(isinstance(w, Value) for w in weights.values())
    x = lift(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    layer.dtype = dtype.name
    layer.build(x.shape[1:])
    values = {name: lift(w) for name, w in weights.items()}
    for name, w in values.items():
        if tuple(layer.params[name].shape) != w.shape:
            raise ValueError(f"ops: the {name} must have shape {tuple(layer.params[name].shape)} "
                             f"for inputs of shape {x.shape}, got {w.shape}")
        layer.params[name] = np.asarray(w.data, dtype)
    out = layer.forward(np.asarray(x.data, dtype), training=recorded)
    if not recorded:
        return out

    def backward(g):
        layer.needs_input_grad = True
        dx = layer.backward(np.asarray(g, dtype))
        return (dx, *(layer.grads[name].copy() for name in values))
    return record(out, (x, *values.values()), backward)


def _as_image(x, what):
    """``(x, undo)``: 1-D data ``(N, L, C)`` as images one row high ``(N, 1, L, C)``."""
    if np.ndim(data_of(x)) == 3:
        return np.expand_dims(x, 1), (lambda y: np.squeeze(y, 1))
    if np.ndim(data_of(x)) != 4:
        raise ValueError(f"ops.{what}: glassnet takes (batch, length, channels) or (batch, height, "
                         f"width, channels) inputs, got shape {np.shape(data_of(x))}")
    return x, (lambda y: y)


def _pair(value, rows_too):
    """Keras's int-or-tuple argument as a 2-D pair (1-D: ``(1, value)``)."""
    value = tuple(value) if isinstance(value, (list, tuple)) else (value,) * (2 if rows_too else 1)
    return value if rows_too else (1,) + value


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """``y[n, i, j, f] = sum_{a, b, c} x[n, i*s + a*d, j*s + b*d, c] * kernel[a, b, c, f]``.

    inputs ``(N, H, W, C)`` (or ``(N, L, C)``), kernel ``(KH, KW, C, F)`` (or ``(K, C, F)``);
    output ``(N, OH, OW, F)``. A kernel with ``C / groups`` channels makes a grouped convolution.
    """
    from glassnet.engine.layers.conv import Conv2D
    _channels_last(data_format, "conv")
    x, undo = _as_image(inputs, "conv")
    is_2d = x is inputs
    kernel = kernel if is_2d else np.expand_dims(kernel, 0)
    kh, kw, channels, filters = np.shape(data_of(kernel))
    layer = Conv2D(filters, (kh, kw), strides=_pair(strides, is_2d), padding=padding, use_bias=False,
                   dilation_rate=_pair(dilation_rate, is_2d), groups=np.shape(data_of(x))[-1] // channels)
    return undo(_run_layer(layer, x, {"kernel": kernel}))


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Each channel convolved with its own ``M`` filters: kernel ``(KH, KW, C, M)``, output
    ``(N, OH, OW, C * M)`` (channel ``c`` gives outputs ``c*M ... c*M + M - 1``)."""
    from glassnet.engine.layers.depthwise import DepthwiseConv2D
    _channels_last(data_format, "depthwise_conv")
    x, undo = _as_image(inputs, "depthwise_conv")
    is_2d = x is inputs
    kernel = kernel if is_2d else np.expand_dims(kernel, 0)
    kh, kw, _, multiplier = np.shape(data_of(kernel))
    layer = DepthwiseConv2D((kh, kw), strides=_pair(strides, is_2d), padding=padding, use_bias=False,
                            depth_multiplier=multiplier, dilation_rate=_pair(dilation_rate, is_2d))
    return undo(_run_layer(layer, x, {"kernel": kernel}))


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """A depthwise convolution, then a 1x1 one mixing the channels: pointwise kernel
    ``(1, 1, C * M, F)`` (``(1, C * M, F)`` in 1-D)."""
    mixed = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(mixed, pointwise_kernel, 1, "valid", data_format)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    """The transpose of ``conv`` (each input pixel paints the kernel onto the output):
    kernel ``(KH, KW, F, C)`` (Keras's order: output channels before input channels)."""
    from glassnet.engine.layers.conv_transpose import Conv2DTranspose
    _channels_last(data_format, "conv_transpose")
    x, undo = _as_image(inputs, "conv_transpose")
    is_2d = x is inputs
    kernel = kernel if is_2d else np.expand_dims(kernel, 0)
    if output_padding is not None and not is_2d:
        output_padding = _pair(output_padding, False)
    kh, kw, filters, _ = np.shape(data_of(kernel))
    layer = Conv2DTranspose(filters, (kh, kw), strides=_pair(strides, is_2d), padding=padding, use_bias=False,
                            output_padding=output_padding, dilation_rate=_pair(dilation_rate, is_2d))
    return undo(_run_layer(layer, x, {"kernel": kernel}))


def _pool(layer_class, what, inputs, pool_size, strides, padding, data_format):
    _channels_last(data_format, what)
    x, undo = _as_image(inputs, what)
    is_2d = x is inputs
    layer = layer_class(_pair(pool_size, is_2d), None if strides is None else _pair(strides, is_2d), padding)
    return undo(_run_layer(layer, x, {}))


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Each window's largest value (MaxPooling2D); ``strides`` default to ``pool_size``."""
    from glassnet.engine.layers.pooling import MaxPooling2D
    return _pool(MaxPooling2D, "max_pool", inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Each window's mean (AveragePooling2D; with ``"same"`` padding over its real pixels)."""
    from glassnet.engine.layers.pooling import AveragePooling2D
    return _pool(AveragePooling2D, "average_pool", inputs, pool_size, strides, padding, data_format)


def _adaptive_windows(size, parts):
    """Window ``i`` of ``parts`` over ``size``: ``floor(i*size/parts)`` to ``ceil((i+1)*size/parts)``."""
    i = np.arange(parts)
    return (i * size) // parts, -((-(i + 1) * size) // parts)


def _adaptive(inputs, output_size, data_format, reduce, what):
    _channels_last(data_format, what)
    x, undo = _as_image(inputs, what)
    out_h, out_w = _pair(output_size, x is inputs)
    h, w = np.shape(data_of(x))[1:3]
    rows = [[reduce(x[:, a:b, c:d], axis=(1, 2)) for c, d in zip(*_adaptive_windows(w, out_w))]
            for a, b in zip(*_adaptive_windows(h, out_h))]
    return undo(np.stack([np.stack(row, axis=1) for row in rows], axis=1))


def adaptive_average_pool(inputs, output_size, data_format=None):
    """The image split into ``output_size`` near-equal windows (they may overlap by one
    pixel), each averaged: output ``(N, out_h, out_w, C)`` whatever the input's size."""
    return _adaptive(inputs, output_size, data_format, np.mean, "adaptive_average_pool")


def adaptive_max_pool(inputs, output_size, data_format=None):
    """As ``adaptive_average_pool``, each window's largest value."""
    return _adaptive(inputs, output_size, data_format, np.max, "adaptive_max_pool")


def _along(v, axis, ndim):
    """A ``(C,)`` vector shaped to broadcast along ``axis`` of an ``ndim``-D array."""
    shape = [1] * ndim
    shape[axis] = -1
    return np.reshape(v, shape)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``, the ``(C,)`` vectors along ``axis``."""
    ndim = np.ndim(data_of(x))
    y = (x - _along(mean, axis, ndim)) / np.sqrt(_along(variance, axis, ndim) + epsilon)
    if scale is not None:
        y = y * _along(scale, axis, ndim)
    return y if offset is None else y + _along(offset, axis, ndim)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta``, mean and variance over ``axis``
    (epsilon: 1e-7, Keras's backend epsilon, by default)."""
    epsilon = 1e-7 if epsilon is None else epsilon
    ndim = np.ndim(data_of(x))
    centred = x - np.mean(x, axis=axis, keepdims=True)
    y = centred / np.sqrt(np.mean(centred * centred, axis=axis, keepdims=True) + epsilon)
    if gamma is not None:
        y = y * (gamma if np.ndim(data_of(gamma)) != 1 else _along(gamma, axis, ndim))
    return y if beta is None else y + (beta if np.ndim(data_of(beta)) != 1 else _along(beta, axis, ndim))


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """``x / sqrt(mean(x**2) + epsilon) * scale`` over ``axis`` (epsilon: 1e-7, Keras's backend epsilon)."""
    epsilon = 1e-7 if epsilon is None else epsilon
    y = x / np.sqrt(np.mean(x * x, axis=axis, keepdims=True) + epsilon)
    return y if scale is None else y * scale


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """``softmax(q k^T * scale + bias) v``, one softmax per head and query.

    query ``(B, T, N, H)``, key and value ``(B, S, K, H)`` (``K`` heads shared by groups of
    ``N / K`` query heads); ``mask`` (broadcast to ``(B, N, T, S)``) True where attending is
    allowed; ``scale`` default ``1 / sqrt(H)``. Output ``(B, T, N, H)``.
    """
    from glassnet.engine.activations_api import softmax
    if flash_attention:
        raise ValueError("ops.dot_product_attention: glassnet has no flash attention; leave flash_attention unset")
    heads, kv_heads, depth = np.shape(data_of(query))[2], np.shape(data_of(key))[2], np.shape(data_of(query))[3]
    q = np.transpose(query, (0, 2, 1, 3))                                     # (B, N, T, H)
    k, v = (np.transpose(t, (0, 2, 1, 3)) for t in (key, value))                # (B, K, S, H)
    if kv_heads != heads:                                                     # grouped-query attention
        k, v = (np.concatenate([t[:, i // (heads // kv_heads):i // (heads // kv_heads) + 1]
                                for i in range(heads)], axis=1) for t in (k, v))
    logits = np.matmul(q, np.swapaxes(k, -1, -2)) * (1 / np.sqrt(depth) if scale is None else scale)
    if attn_logits_soft_cap is not None:
        logits = np.tanh(logits / attn_logits_soft_cap) * attn_logits_soft_cap
    if bias is not None:
        logits = logits + bias
    allowed = None if mask is None else np.asarray(data_of(mask), bool)
    if is_causal:
        t, s = logits.shape[-2:]
        causal = np.tril(np.ones((t, s), bool))
        allowed = causal if allowed is None else allowed & causal
    if allowed is not None:
        logits = np.where(allowed, logits, np.finfo(logits.dtype).min * 0.7)
    weights = softmax(logits, axis=-1)
    return np.transpose(np.matmul(weights, v), (0, 2, 1, 3))


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio, ``20 log10(max_val) - 10 log10(mean((x1 - x2)**2))``, in decibels."""
    if np.shape(data_of(x1)) != np.shape(data_of(x2)):
        raise ValueError(f"ops.psnr: the shapes {np.shape(data_of(x1))} and {np.shape(data_of(x2))} must match")
    mse = np.mean(np.square(x1 - x2))
    return 20 * np.log10(np.float32(max_val)) - 10 * np.log(mse) / np.log(10.0)


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of the last axis: ``(..., L)`` -> ``(..., 1 + (L - length) // stride, length)``,
    frame ``i`` being ``x[..., i*stride : i*stride + length]``."""
    length = np.shape(data_of(x))[-1]
    starts = np.arange(0, length - sequence_length + 1, sequence_stride)
    return x[..., starts[:, None] + np.arange(sequence_length)[None, :]]


def depth_to_space(x, block_size, data_format="channels_last"):
    """``(N, H, W, C * b * b)`` -> ``(N, H * b, W * b, C)``: each pixel's channels laid out as a
    ``b x b`` block (TensorFlow's order: block row, block column, then channel)."""
    _channels_last(data_format, "depth_to_space")
    n, h, w, c = np.shape(data_of(x))
    b = int(block_size)
    y = np.reshape(x, (n, h, w, b, b, c // (b * b)))
    return np.reshape(np.transpose(y, (0, 1, 3, 2, 4, 5)), (n, h * b, w * b, c // (b * b)))


def space_to_depth(x, block_size, data_format="channels_last"):
    """The inverse of ``depth_to_space``: ``(N, H, W, C)`` -> ``(N, H / b, W / b, C * b * b)``."""
    _channels_last(data_format, "space_to_depth")
    n, h, w, c = np.shape(data_of(x))
    b = int(block_size)
    y = np.reshape(x, (n, h // b, b, w // b, b, c))
    return np.reshape(np.transpose(y, (0, 1, 3, 2, 4, 5)), (n, h // b, w // b, c * b * b))


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Per-sample CTC loss ``-log p(target | output)``, ``(N,)`` (:mod:`glassnet.engine.ctc`).

    target ``(N, L)`` class indices (entries past ``target_length`` ignored); output
    ``(N, T, C)`` logits; ``output_length`` ``(N,)`` time steps that count; ``mask_index``
    the blank. Its gradient, per sample: ``g * (softmax(output) - occupancy)``. As in Keras, a
    label too long for its steps is no error: its loss is ``inf`` (and its gradient 0).
    """
    logits = lift(output)
    num_classes = logits.shape[-1]
    log_p = _log_softmax(np.asarray(logits.data, np.float64))
    losses, occupancy, lengths = ctc_forward_backward(
        log_p, np.asarray(data_of(target)), np.asarray(data_of(target_length)),
        np.asarray(data_of(output_length)), int(mask_index) % num_classes, lenient=True)
    dtype = logits.dtype if logits.dtype.kind == "f" else np.dtype(np.float32)
    counts = np.arange(logits.shape[1])[None, :, None] < lengths[:, None, None]
    counts = counts & np.isfinite(losses)[:, None, None]         # an impossible label: no gradient

    def backward(g):
        return ((np.exp(log_p) * counts - occupancy) * np.reshape(g, (-1, 1, 1)),)
    losses = losses.astype(dtype)
    return record(losses, (logits,), backward) if isinstance(output, Value) else losses


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1, merge_repeated=True,
               mask_index=0):
    """The likeliest texts of ``inputs`` ``(N, T, C)`` (logits), as Keras gives them:
    ``(decoded, scores)``, decoded ``(paths, N, T)`` int32 class indices padded with -1
    (``paths`` 1 for ``"greedy"``, ``top_paths`` for ``"beam_search"``); scores ``(N, paths)``:
    greedy, minus the sum of each step's largest logit; beam search, each text's log-probability."""
    x = np.asarray(data_of(inputs), np.float32)
    n, steps, num_classes = x.shape
    blank = int(mask_index) % num_classes
    lengths = np.asarray(data_of(sequence_lengths)).astype(int).reshape(-1)
    decoded = np.full((1 if strategy == "greedy" else int(top_paths), n, steps), -1, np.int32)
    if strategy == "greedy":
        best = x.argmax(axis=-1)                                                 # (N, T)
        counts = np.arange(steps)[None, :] < lengths[:, None]
        repeat = np.zeros_like(counts)
        repeat[:, 1:] = best[:, 1:] == best[:, :-1]
        keep = counts & (best != blank) & ~(repeat & bool(merge_repeated))
        for i in range(n):
            decoded[0, i, :keep[i].sum()] = best[i][keep[i]]
        return decoded, -np.sum(np.where(counts, x.max(axis=-1), 0), axis=1, keepdims=True)
    if strategy != "beam_search":
        raise ValueError(f"Invalid strategy {strategy}. Supported values are 'greedy' and 'beam_search'.")
    beams = ctc_beam_decode(_log_softmax(x.astype(np.float64)), blank, int(beam_width), lengths)
    scores = np.full((n, int(top_paths)), -np.inf, np.float32)
    for i, found in enumerate(beams):
        for path, (labels, log_p) in enumerate(found[:int(top_paths)]):
            decoded[path, i, :len(labels)] = labels
            scores[i, path] = log_p
    return decoded, scores


def _windows(h, w, kernel_size, dilation, padding, stride):
    """Where unfold's windows read, in the padded image: rows ``(OH, KH)``, columns ``(OW, KW)``."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (_pair(v, True) for v in (kernel_size, dilation, padding, stride))
    oh, ow = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    rows = (np.arange(oh) * sh)[:, None] + (np.arange(kh) * dh)[None, :]
    cols = (np.arange(ow) * sw)[:, None] + (np.arange(kw) * dw)[None, :]
    return rows, cols, (ph, pw)


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """PyTorch's ``unfold`` on channels-first images: ``(N, C, H, W)`` -> ``(N, C*KH*KW, L)``,
    column ``l`` holding the ``l``-th window (row-major over windows), channel-major inside."""
    n, c, h, w = np.shape(data_of(x))
    rows, cols, (ph, pw) = _windows(h, w, kernel_size, dilation, padding, stride)
    if ph or pw:                # zeros around, joined on (recorded, where np.pad is not)
        dtype = data_of(x).dtype
        x = np.concatenate([np.zeros((n, c, ph, w), dtype), x, np.zeros((n, c, ph, w), dtype)], axis=2)
        x = np.concatenate([np.zeros((n, c, h + 2 * ph, pw), dtype), x, np.zeros((n, c, h + 2 * ph, pw), dtype)],
                           axis=3)
    patches = x[:, :, rows[:, None, :, None], cols[None, :, None, :]]         # (N, C, OH, OW, KH, KW)
    (oh, kh), (ow, kw) = rows.shape, cols.shape
    return np.reshape(np.transpose(patches, (0, 1, 4, 5, 2, 3)), (n, c * kh * kw, oh * ow))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The way back from ``unfold``: ``(N, C*KH*KW, L)`` columns laid back as windows of
    ``(N, C, H, W)`` images, ``output_size = (H, W)``, where windows overlap their values
    added. Its gradient is ``unfold`` of the output's (each entry went to one place)."""
    h, w = _pair(output_size, True)
    rows, cols, (ph, pw) = _windows(h, w, kernel_size, dilation, padding, stride)
    columns = lift(x)
    n, depth, _ = columns.shape
    (oh, kh), (ow, kw) = rows.shape, cols.shape
    patches = np.transpose(np.reshape(columns.data, (n, depth // (kh * kw), kh, kw, oh, ow)), (0, 1, 4, 5, 2, 3))
    out = np.zeros((n, depth // (kh * kw), h + 2 * ph, w + 2 * pw), columns.dtype)
    np.add.at(out, (slice(None), slice(None), rows[:, None, :, None], cols[None, :, None, :]), patches)
    out = out[:, :, ph:ph + h, pw:pw + w]
    if not isinstance(x, Value):
        return out
    return record(out, (columns,), lambda g: (unfold(g, kernel_size, dilation, padding, stride),))


__all__ = ["adaptive_average_pool", "adaptive_max_pool", "average_pool", "batch_normalization", "conv",
           "conv_transpose", "ctc_decode", "ctc_loss", "depth_to_space", "depthwise_conv", "dot_product_attention",
           "extract_sequences", "layer_normalization", "max_pool", "psnr", "rms_normalization", "separable_conv",
           "space_to_depth", "unfold", "fold"]


def __getattr__(name):
    """The activations and the rest of ``keras.ops.nn`` that ``glassnet.ops`` has itself
    (``ops.nn.relu``, ``ops.nn.softmax``, ``ops.nn.one_hot``, ``ops.nn.moments``...)."""
    import glassnet.ops as ops
    if name.startswith("_") or name not in vars(ops):
        raise AttributeError(f"glassnet.ops.nn has no {name!r}")
    return vars(ops)[name]
