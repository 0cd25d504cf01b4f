"""LayerNormalization: normalise each sample's features, whatever the batch.

Batch normalisation takes its statistics over the batch, so a sample's output depends on
the other samples (and inference needs running averages). Layer normalisation (Ba, Kiros
and Hinton, 2016) takes them over each sample's own features instead: the same
computation in training and inference, for any batch size, and no state to keep. It is
the normalisation of transformers and of modern MLP blocks.
"""

import numpy as np

from glassnet.engine import initializers
from glassnet.engine.layers.base import Layer
from glassnet.errors import ShapeError


class LayerNormalization(Layer):
    """Normalise the last axis of every sample, then scale and shift it.

    For one sample's ``D`` features ``x`` (the last axis)::

        mean = sum(x) / D,   var = sum((x - mean)**2) / D
        x_hat = (x - mean) / sqrt(var + epsilon)
        y = gamma * x_hat + beta

    Backward: ``dbeta = sum(dy)`` and ``dgamma = sum(dy * x_hat)`` over every sample (and
    position), and, with ``g = dy * gamma`` and ``s = 1 / sqrt(var + epsilon)``::

        dx = s * (g - mean(g) - x_hat * mean(g * x_hat))       # the means over the D features

    (every ``x`` moves its sample's mean and variance too: the two subtracted terms).

    Args:
        axis: the axis normalised: the last one (Keras's default, -1) is supported.
        epsilon: added to the variance (Keras's default 1e-3).
        center: learn the offset ``beta``. scale: learn the scale ``gamma``.
        beta_initializer, gamma_initializer: how they start (zeros and ones).

    Input shape: anything, features last. Output shape: the same.
    """

    supports_masking = True    # a mask passes through (engine/masking.py)

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if axis not in (-1, [-1], (-1,)):
            raise ValueError(f"LayerNormalization: axis={axis!r} is not supported by glassnet (it "
                             f"normalises the last axis, axis=-1, Keras's default)")
        unsupported = {"rms_scaling": rms_scaling, "beta_regularizer": beta_regularizer,
                       "gamma_regularizer": gamma_regularizer, "beta_constraint": beta_constraint,
                       "gamma_constraint": gamma_constraint}
        for label, given in unsupported.items():
            if given:
                raise ValueError(f"LayerNormalization: {label}={given!r} is not supported by glassnet")
        if not epsilon > 0:
            raise ValueError(f"LayerNormalization: epsilon must be positive, got {epsilon!r}")
        self.axis, self.epsilon = -1, float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if not self.input_shape:
            raise ShapeError(f"layer '{self._display_name}' (LayerNormalization) needs at least one feature axis")
        features = self.input_shape[-1]
        if self.scale:                   # Keras's order: gamma, then beta
            self.add_param("gamma", self.gamma_initializer((features,), self.rng))
        if self.center:
            self.add_param("beta", self.beta_initializer((features,), self.rng))

    def forward(self, x, training=False):
        mean = x.mean(axis=-1, keepdims=True)
        centred = x - mean
        variance = np.square(centred).mean(axis=-1, keepdims=True)
        self.inv_std = 1.0 / np.sqrt(variance + self.epsilon)
        self.x_hat = centred * self.inv_std
        y = self.x_hat * self.params["gamma"] if self.scale else self.x_hat.copy()
        if self.center:
            y += self.params["beta"]
        return y

    def backward(self, dy):
        sums = tuple(range(dy.ndim - 1))           # every axis but the features
        if self.center:
            self.grads["beta"][...] = dy.sum(axis=sums)
        if self.scale:
            self.grads["gamma"][...] = (dy * self.x_hat).sum(axis=sums)
        if not self.needs_input_grad:
            return None
        g = dy * self.params["gamma"] if self.scale else dy
        return self.inv_std * (g - g.mean(axis=-1, keepdims=True)
                               - self.x_hat * (g * self.x_hat).mean(axis=-1, keepdims=True))

    def get_config(self):
        return {**super().get_config(), "axis": -1, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer)}
