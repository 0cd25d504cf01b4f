"""``glassnet.nn``: the ``tf.nn`` functions the TensorFlow tutorials call, for programs that
now start ``import glassnet as tf`` (``tf.keras`` is glassnet itself).

    predictions = model(x_train[:1]).numpy()
    tf.nn.softmax(predictions).numpy()          # the beginner quickstart's probabilities

They are :mod:`glassnet.activations`' functions: one formula each, gradient-checked in the
activation layers.
"""

import numpy as np

from glassnet.engine.activations_api import (elu, gelu, log_softmax, relu, relu6, selu, sigmoid, silu,
                                             softmax, softplus, softsign, tanh)
from glassnet.engine.tensor import as_tensor
# Recorded math stays recorded (an array made of it would cut a GradientTape's record).
from glassnet.tf_arrays import _in as _kept

swish = silu


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Element by element, ``-z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x))``, written as
    TensorFlow does so that no exp overflows: ``max(x, 0) - x z + log(1 + exp(-|x|))``."""
    x, z = _kept(logits), _kept(labels)
    return as_tensor(np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x))))


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """Per sample, ``-sum(labels * log_softmax(logits))`` over ``axis``."""
    return as_tensor(-np.sum(_kept(labels) * log_softmax(_kept(logits), axis=axis), axis=axis))


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    """Per sample, ``-log_softmax(logits)[label]``."""
    logs = log_softmax(_kept(logits), axis=-1)
    labels = np.asarray(labels).astype(np.int64)
    rows = np.indices(labels.shape)
    return as_tensor(-logs[(*rows, labels)])


def top_k(input, k=1, sorted=True, name=None):
    from glassnet.tf_functions import top_k as largest
    return largest(input, k)

__all__ = ["elu", "gelu", "log_softmax", "relu", "relu6", "selu", "sigmoid", "sigmoid_cross_entropy_with_logits",
           "silu", "softmax", "softmax_cross_entropy_with_logits", "softplus", "softsign",
           "sparse_softmax_cross_entropy_with_logits", "swish", "tanh", "top_k"]

# The rest of tf.nn that TensorFlow programs reach for (l2_normalize, dropout, conv2d...).
from glassnet import tf_nn as _tf_nn  # noqa: E402
globals().update({_name: getattr(_tf_nn, _name) for _name in _tf_nn.NAMES})
__all__ += _tf_nn.NAMES
