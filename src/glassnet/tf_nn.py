"""More of ``tf.nn`` (:mod:`glassnet.nn` takes these in): the losses, normalizations and
lookups TensorFlow programs write by hand, and TensorFlow's convolution, pooling and CTC
functions as thin wrappers over :mod:`glassnet.ops`' (``tf.nn.conv2d`` is
``ops.conv`` with TensorFlow's argument names)::

    z = tf.nn.l2_normalize(embeddings, axis=1)
    h = tf.nn.bias_add(tf.nn.conv2d(x, kernel, strides=1, padding="SAME"), bias)

Everything computes on recorded values too, so it can sit in a loss or a GradientTape block.
"""

import numpy as np

from glassnet import ops
from glassnet.engine.activations_api import relu
from glassnet.engine.autodiff import data_of
from glassnet.engine.tensor import as_tensor
from glassnet.tf_arrays import _axis, _in


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """``x / sqrt(max(sum(x**2), epsilon))`` along ``axis`` (all entries, by default)."""
    x, axis = _in(x), _axis(dim if axis is None else axis)
    return as_tensor(x / np.sqrt(np.maximum(np.sum(np.square(x), axis=axis, keepdims=True), epsilon)))


def bias_add(value, bias, data_format=None, name=None):
    """``value + bias``, the bias along the channels (the last axis, or the second for NC...)."""
    value, bias = _in(value), _in(bias)
    if data_format is not None and data_format.startswith("NC"):
        bias = np.reshape(bias, (-1,) + (1,) * (value.ndim - 2))
    return as_tensor(value + bias)


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Each entry zeroed with probability ``rate``, the rest scaled by ``1 / (1 - rate)``."""
    from glassnet.tf_functions import random
    return random.dropout(_in(x), rate, noise_shape=noise_shape, seed=seed)


def l2_loss(t, name=None):
    """``sum(t**2) / 2``: weight decay's penalty."""
    return as_tensor(np.sum(np.square(_in(t))) / 2)


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """``exp(log_input) - targets * log_input``; the full loss adds Stirling's
    ``z log z - z + log(2 pi z) / 2`` for targets above 1."""
    z, x = _in(targets), _in(log_input)
    loss = np.exp(x) - x * z
    if compute_full_loss:
        z_ = np.asarray(data_of(z), np.float64)
        safe = np.where(z_ > 1, z_, 1.0)
        loss = loss + np.where(z_ > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe), 0).astype(loss.dtype)
    return as_tensor(loss)


def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    """Sigmoid cross-entropy with the positive term weighted ``pos_weight``:
    ``(1 - z) x + (1 + (q - 1) z) (log(1 + exp(-|x|)) + max(-x, 0))``."""
    z, x = _in(labels), _in(logits)
    weight = 1 + (pos_weight - 1) * z
    return as_tensor((1 - z) * x + weight * (np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)))


def moments(x, axes, shift=None, keepdims=False, name=None):
    """``(mean, variance)`` over ``axes``."""
    mean, variance = ops.moments(_in(x), _axis(axes), keepdims=keepdims)
    return as_tensor(mean), as_tensor(variance)


def embedding_lookup(params, ids, max_norm=None, name=None):
    """The rows of ``params`` at ``ids`` (an embedding's lookup)."""
    if max_norm is not None:
        raise NotImplementedError("tf.nn.embedding_lookup: glassnet has no max_norm=")
    return as_tensor(np.take(_in(params), np.asarray(data_of(ids)).astype(np.intp), axis=0))


def crelu(features, axis=-1, name=None):
    """``concat([relu(x), relu(-x)], axis)``: both signs kept, twice the channels."""
    x = _in(features)
    return as_tensor(np.concatenate([relu(x), relu(-x)], axis=axis))


def leaky_relu(features, alpha=0.2, name=None):
    x = _in(features)
    return as_tensor(np.maximum(x, alpha * x) if alpha <= 1 else np.minimum(x, alpha * x))


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """The per-example losses summed and divided by the (global) batch size."""
    loss = _in(per_example_loss)
    if sample_weight is not None:
        loss = loss * sample_weight
    size = np.shape(data_of(per_example_loss))[0] if global_batch_size is None else global_batch_size
    return as_tensor(np.sum(loss) / np.asarray(size, loss.dtype))


def scale_regularization_loss(regularization_loss):
    """The regularization losses summed (one replica: nothing to scale)."""
    return as_tensor(np.sum(_in(regularization_loss)))


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """``scale * (x - mean) / sqrt(variance + epsilon) + offset`` (None: no scale, no offset)."""
    x = _in(x)
    out = (x - mean) / np.sqrt(_in(variance) + variance_epsilon)
    out = out * scale if scale is not None else out
    return as_tensor(out + offset if offset is not None else out)


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """``(mean, variance)`` from the sufficient statistics: the sums of ``x`` and ``x**2``."""
    mean = _in(mean_ss) / counts
    mean = mean + shift if shift is not None else mean
    shifted = mean - shift if shift is not None else mean
    return as_tensor(mean), as_tensor(_in(variance_ss) / counts - np.square(shifted))


def zero_fraction(value, name=None):
    return as_tensor(np.float32(np.mean(np.asarray(data_of(value)) == 0)))


def in_top_k(targets, predictions, k, name=None):
    return as_tensor(ops.in_top_k(np.asarray(data_of(targets)), np.asarray(data_of(predictions)), k))


# -- convolution, pooling and CTC: glassnet.ops's functions under TensorFlow's names ----------
def _op(name, tf_name):
    """``glassnet.ops.<name>``, looked up when called; a clear error while glassnet lacks it."""
    try:
        return getattr(ops, name)
    except AttributeError:
        raise NotImplementedError(f"tf.nn.{tf_name} needs glassnet.ops.{name}, which this glassnet "
                                  f"doesn't have yet; use the layer instead") from None


def _spatial(values, rank):
    """TensorFlow's strides / sizes (a number, one per spatial axis, or one per axis) as spatial ones."""
    values = [int(v) for v in np.asarray(1 if values is None else values).reshape(-1)]
    return tuple(values[1:-1]) if len(values) == rank + 2 else tuple(values * rank if len(values) == 1 else values)


def _format(data_format):
    if data_format is not None and data_format.startswith("NC"):
        return "channels_first"
    return "channels_last"


def _padding(padding, tf_name):
    if not isinstance(padding, str):
        raise NotImplementedError(f"tf.nn.{tf_name}: glassnet supports padding 'SAME' or 'VALID', not explicit paddings")
    return padding.lower()


def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):
    return as_tensor(_op("conv", "conv2d")(_in(input), _in(filters), strides=_spatial(strides, 2),
                                           padding=_padding(padding, "conv2d"), data_format=_format(data_format),
                                           dilation_rate=_spatial(dilations, 2)))


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name=None):
    return as_tensor(_op("conv", "conv1d")(_in(input), _in(filters), strides=_spatial(stride, 1),
                                           padding=_padding(padding, "conv1d"), data_format=_format(data_format),
                                           dilation_rate=_spatial(dilations, 1)))


def _pool(op_name, tf_name, rank=2):
    """``tf.nn.<tf_name>``: ``rank`` spatial axes (None: as many as the input has)."""
    def pool(input, ksize, strides, padding, data_format=None, name=None):
        x = _in(input)
        spatial = x.ndim - 2 if rank is None else rank
        return as_tensor(_op(op_name, tf_name)(x, _spatial(ksize, spatial), strides=_spatial(strides, spatial),
                                               padding=_padding(padding, tf_name), data_format=_format(data_format)))
    pool.__name__ = tf_name
    return pool


max_pool2d, avg_pool2d = _pool("max_pool", "max_pool2d"), _pool("average_pool", "avg_pool2d")
max_pool1d, avg_pool1d = _pool("max_pool", "max_pool1d", 1), _pool("average_pool", "avg_pool1d", 1)
max_pool, avg_pool = _pool("max_pool", "max_pool", None), _pool("average_pool", "avg_pool", None)


def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None, name=None):
    return as_tensor(_op("depthwise_conv", "depthwise_conv2d")(
        _in(input), _in(filter), strides=_spatial(strides, 2), padding=_padding(padding, "depthwise_conv2d"),
        data_format=_format(data_format), dilation_rate=_spatial(dilations, 2)))


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding, data_format=None, dilations=None,
                     name=None):
    return as_tensor(_op("separable_conv", "separable_conv2d")(
        _in(input), _in(depthwise_filter), _in(pointwise_filter), strides=_spatial(strides, 2),
        padding=_padding(padding, "separable_conv2d"), data_format=_format(data_format),
        dilation_rate=_spatial(dilations, 2)))


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC", dilations=None,
                     name=None):
    """The transposed convolution; ``filters`` is ``(kh, kw, out_channels, in_channels)``."""
    out = _op("conv_transpose", "conv2d_transpose")(
        _in(input), _in(filters), strides=_spatial(strides, 2), padding=_padding(padding, "conv2d_transpose"),
        data_format=_format(data_format), dilation_rate=_spatial(dilations, 2))
    if tuple(np.shape(data_of(out))) != tuple(int(s) for s in np.asarray(output_shape).reshape(-1)):
        raise NotImplementedError(f"tf.nn.conv2d_transpose: glassnet gives shape {np.shape(data_of(out))}, "
                                  f"not output_shape {tuple(np.asarray(output_shape).reshape(-1))}")
    return as_tensor(out)


def ctc_loss(labels, logits, label_length, logit_length, logits_time_major=True, unique=None, blank_index=None,
             name=None):
    """Per sample, the CTC loss of dense ``labels`` under ``logits`` (time first, by default)."""
    logits = _in(logits)
    logits = np.swapaxes(logits, 0, 1) if logits_time_major else logits
    blank = 0 if blank_index is None else blank_index % logits.shape[-1]
    return as_tensor(_op("ctc_loss", "ctc_loss")(np.asarray(data_of(labels)), logits, np.asarray(label_length),
                                                 np.asarray(logit_length), mask_index=blank))


def _ctc_decode(inputs, sequence_length, strategy, tf_name, blank_index=None, merge_repeated=True, **options):
    inputs = np.swapaxes(np.asarray(data_of(inputs)), 0, 1)          # TensorFlow's are time first
    blank = inputs.shape[-1] - 1 if blank_index is None else blank_index % inputs.shape[-1]
    decoded, scores = _op("ctc_decode", tf_name)(inputs, np.asarray(sequence_length), strategy=strategy,
                                                 merge_repeated=merge_repeated, mask_index=blank, **options)
    return [as_tensor(d) for d in decoded], as_tensor(scores)


def ctc_greedy_decoder(inputs, sequence_length, merge_repeated=True, blank_index=None):
    """``(decoded, neg_sum_logits)``; ``decoded[0]`` is dense, padded with -1 (TensorFlow's is sparse)."""
    return _ctc_decode(inputs, sequence_length, "greedy", "ctc_greedy_decoder", blank_index, merge_repeated)


def ctc_beam_search_decoder(inputs, sequence_length, beam_width=100, top_paths=1):
    """``(decoded, log_probabilities)``: dense paths padded with -1 (TensorFlow's are sparse)."""
    return _ctc_decode(inputs, sequence_length, "beam_search", "ctc_beam_search_decoder",
                       beam_width=beam_width, top_paths=top_paths)


NAMES = ["l2_normalize", "bias_add", "dropout", "l2_loss", "log_poisson_loss", "weighted_cross_entropy_with_logits",
         "moments", "embedding_lookup", "crelu", "leaky_relu", "compute_average_loss", "scale_regularization_loss",
         "in_top_k", "batch_normalization", "normalize_moments", "zero_fraction", "max_pool1d", "avg_pool1d",
         "max_pool", "avg_pool", "conv2d", "conv1d", "max_pool2d", "avg_pool2d", "depthwise_conv2d", "separable_conv2d",
         "conv2d_transpose", "ctc_loss", "ctc_greedy_decoder", "ctc_beam_search_decoder"]
