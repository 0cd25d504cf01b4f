"""BatchNormalization: keep every feature centred and scaled while the network learns.

As the weights of early layers change, the numbers reaching later layers drift in scale,
and each layer keeps chasing a moving target. Batch normalisation (Ioffe and Szegedy,
2015) rescales every feature to mean 0 and variance 1 over the batch, then lets the
network choose the scale and offset it actually wants (``gamma`` and ``beta``). Networks
with it train faster and tolerate larger learning rates.

A prediction must not depend on which other images share its batch, so in inference the
layer uses running averages of the statistics, collected during training. They are not
trained by gradient descent (they live in ``self.state``), and they are saved with the
model.
"""

import numpy as np

from glassnet.engine.layers.base import Layer


class BatchNormalization(Layer):
    """Normalise each feature over the batch, then scale and shift it.

    The statistics are taken over every axis but the last one: over the batch for Dense
    outputs ``(N, D)``, over the batch and all pixels for images ``(N, H, W, C)``. With
    ``M`` values per feature::

        mean = sum(x) / M,   var = sum((x - mean)**2) / M
        x_hat = (x - mean) / sqrt(var + epsilon)
        y = gamma * x_hat + beta

    and the running statistics move a little towards the batch's:
    ``moving_mean = momentum * moving_mean + (1 - momentum) * mean`` (same for the variance).
    In inference ``x_hat = (x - moving_mean) / sqrt(moving_variance + epsilon)``.

    Backward (training). Every ``x`` moves the mean and the variance too, which gives::

        dbeta  = sum(dy),   dgamma = sum(dy * x_hat)
        dx = gamma / sqrt(var + epsilon) * (dy - dbeta / M - x_hat * dgamma / M)

    Args:
        axis: the feature axis; only the last one (channels-last, Keras' default) is supported.
        momentum: how slowly the running statistics move (Keras default 0.99).
        epsilon: added to the variance so a constant feature doesn't divide by zero
            (Keras default 1e-3).
        center: learn the offset ``beta``. scale: learn the scale ``gamma``.

    Input shape: anything, features last. Output shape: the same.

    (The code works on one row per sample, ``(N, P*C)`` for P pixels, with the per-feature
    vectors repeated P times: NumPy is much faster on such long rows than on ``(N*P, C)``.)
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= momentum < 1:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1), got {momentum!r}")
        if epsilon <= 0:
            raise ValueError(f"BatchNormalization: epsilon must be > 0, got {epsilon!r}")
        if int(axis) != axis:
            raise ValueError(f"BatchNormalization: axis must be an integer, got {axis!r}")
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if self.axis not in (-1, len(self.input_shape)):   # Keras counts the batch axis
            raise ValueError(
                f"layer '{self.name}' (BatchNormalization): only the last axis can be the feature "
                f"axis (channels-last), got axis={self.axis} for input {('batch',) + self.input_shape}")
        features = self.input_shape[-1]
        if self.scale:
            self.add_param("gamma", np.ones(features))
        if self.center:
            self.add_param("beta", np.zeros(features))
        self.state["moving_mean"] = np.zeros(features, self.dtype)
        self.state["moving_variance"] = np.ones(features, self.dtype)

    def forward(self, x, training=False):
        self.check_input(x)
        # A frozen batch norm runs in inference mode, as in Keras: its statistics stay put.
        training = training and self.trainable
        rows, pixels = x.reshape(len(x), -1), x[0].size // x.shape[-1]
        m = len(x) * pixels                                       # values per feature
        if training:
            mean = self._sums(rows, pixels) / m
            centred = rows - np.tile(mean, pixels)
            var = self._sums(centred * centred, pixels) / m
            momentum = self.momentum
            self.state["moving_mean"] *= momentum
            self.state["moving_mean"] += (1 - momentum) * mean
            self.state["moving_variance"] *= momentum
            self.state["moving_variance"] += (1 - momentum) * var
        else:
            centred = rows - np.tile(self.state["moving_mean"].astype(x.dtype), pixels)
            var = self.state["moving_variance"].astype(x.dtype)
        self.inv_std = 1 / np.sqrt(var + x.dtype.type(self.epsilon))     # (C,)
        self.x_hat = centred * np.tile(self.inv_std, pixels)            # (N, P*C)
        self.training, self.pixels = training, pixels
        y = self.x_hat * np.tile(self.params["gamma"], pixels) if self.scale else self.x_hat.copy()
        if self.center:
            y += np.tile(self.params["beta"], pixels)
        return y.reshape(x.shape)

    @staticmethod
    def _sums(rows, pixels):
        """Per-feature sums over the batch and the pixels: ``(N, P*C) -> (C,)``.

        ``ones @ rows`` adds up the rows in BLAS, which is faster and more accurate than
        ``np.sum(axis=0)``; then the P pixels of each feature are added.
        """
        return (np.ones(len(rows), rows.dtype) @ rows).reshape(pixels, -1).sum(axis=0)

    def backward(self, dy):
        rows, pixels = dy.reshape(len(dy), -1), self.pixels        # (N, P*C)
        dbeta = self._sums(rows, pixels)
        dgamma = self._sums(rows * self.x_hat, pixels)
        if self.scale:
            self.grads["gamma"][...] = dgamma
        if self.center:
            self.grads["beta"][...] = dbeta
        if not self.needs_input_grad:
            return None
        scale = np.tile((self.params["gamma"] if self.scale else 1) * self.inv_std, pixels)
        if not self.training:   # fixed statistics: just a per-feature scale
            return (rows * scale).reshape(dy.shape)
        m = len(dy) * pixels
        dx = (rows - np.tile(dbeta / m, pixels) - self.x_hat * np.tile(dgamma / m, pixels)) * scale
        return dx.reshape(dy.shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale}
