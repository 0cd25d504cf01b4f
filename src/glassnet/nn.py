"""``glassnet.nn``: the ``tf.nn`` functions the TensorFlow tutorials call, for programs that
now start ``import glassnet as tf`` (``tf.keras`` is glassnet itself).

    predictions = model(x_train[:1]).numpy()
    tf.nn.softmax(predictions).numpy()          # the beginner quickstart's probabilities

They are :mod:`glassnet.activations`' functions: one formula each, gradient-checked in the
activation layers.
"""

from glassnet.engine.activations_api import (elu, gelu, log_softmax, relu, relu6, selu, sigmoid, silu,
                                             softmax, softplus, softsign, tanh)

swish = silu

__all__ = ["elu", "gelu", "log_softmax", "relu", "relu6", "selu", "sigmoid", "silu", "softmax", "softplus",
           "softsign", "swish", "tanh"]
