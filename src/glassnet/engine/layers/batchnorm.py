"""BatchNormalization: keep every feature centred and scaled while the network learns.

Batch normalisation (Ioffe and Szegedy, 2015) rescales every feature to mean 0 and
variance 1 over the batch, then lets the network choose the scale and offset it actually
wants (``gamma`` and ``beta``). Networks with it train faster and tolerate larger learning
rates. Why it works is still debated: the paper's explanation, that it stops the
distribution of each layer's inputs from drifting while earlier layers learn ("internal
covariate shift"), has been questioned (Santurkar et al., 2018, find that it mainly makes
the loss surface smoother, so larger steps are safe).

A prediction must not depend on which other images share its batch, so in inference the
layer uses running averages of the statistics, collected during training. They are not
trained by gradient descent (they live in ``self.state``), and they are saved with the
model.
"""

import numpy as np

from glassnet.engine.layers.base import Layer, Workspace


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

    The code works on one row per sample, ``(N, P*C)`` for P pixels, with the per-feature
    vectors repeated P times: NumPy is much faster on such long rows than on ``(N*P, C)``.
    The forward pass keeps ``x - mean`` for the backward one, which is then, with
    ``s = gamma / sqrt(var + epsilon)`` and ``c = x - mean``::

        dx = s * dy - (s * dgamma / sqrt(var + epsilon) / M) * c - s * dbeta / M

    (the formula above, multiplied out so that each term is one pass over the batch).
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
        self.workspace = Workspace()

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
        centred = self.workspace.get("centred", rows.shape, x.dtype)    # kept for backward
        if training:
            mean = self._sums(rows, pixels) / m
            np.subtract(rows, np.tile(mean, pixels), out=centred)
            var = self._sums(centred, pixels, centred) / m        # sum of (x - mean)**2
            momentum = self.momentum
            self.state["moving_mean"] *= momentum
            self.state["moving_mean"] += (1 - momentum) * mean
            self.state["moving_variance"] *= momentum
            self.state["moving_variance"] += (1 - momentum) * var
        else:
            np.subtract(rows, np.tile(self.state["moving_mean"].astype(x.dtype), pixels), out=centred)
            var = self.state["moving_variance"].astype(x.dtype)
        self.inv_std = 1 / np.sqrt(var + x.dtype.type(self.epsilon))     # (C,)
        self.centred, self.training, self.pixels = centred, training, pixels
        gamma = self.params["gamma"] if self.scale else 1
        y = centred * np.tile(gamma * self.inv_std, pixels)              # gamma * x_hat
        if self.center:
            y += np.tile(self.params["beta"], pixels)
        return y.reshape(x.shape)

    @staticmethod
    def _sums(rows, pixels, other=None):
        """Per-feature sums over the batch and the pixels, ``(N, P*C) -> (C,)``, of ``rows``
        or (given ``other``) of ``rows * other``.

        ``ones @ rows`` adds up the rows in BLAS, faster and more accurate than
        ``np.sum(axis=0)``; ``einsum`` adds up the products without making them first.
        """
        if other is None:
            columns = np.ones(len(rows), rows.dtype) @ rows
        else:
            columns = np.einsum("ij,ij->j", rows, other)
        return columns.reshape(pixels, -1).sum(axis=0)

    def backward(self, dy):
        rows, pixels, centred = dy.reshape(len(dy), -1), self.pixels, self.centred   # (N, P*C)
        dbeta = self._sums(rows, pixels)
        dgamma = self._sums(rows, pixels, centred) * self.inv_std   # sum(dy * x_hat)
        if self.scale:
            self.grads["gamma"][...] = dgamma
        if self.center:
            self.grads["beta"][...] = dbeta
        if not self.needs_input_grad:
            return None
        scale = (self.params["gamma"] if self.scale else 1) * self.inv_std   # s, (C,)
        dx = rows * np.tile(scale, pixels)
        if self.training:   # the batch's statistics moved with x too: two more terms
            m = len(dy) * pixels
            term = self.workspace.get("term", rows.shape, dy.dtype)
            np.multiply(centred, np.tile(scale * self.inv_std * dgamma / m, pixels), out=term)
            dx -= term
            dx -= np.tile(scale * dbeta / m, pixels)
        return dx.reshape(dy.shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale}
