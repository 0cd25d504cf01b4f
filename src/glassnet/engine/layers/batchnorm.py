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

    With a mask (padded sequences, :mod:`glassnet.engine.masking`) the training statistics
    are taken over the real steps only, as in Keras 3.15, with ``w`` 1 for a real step and 0
    for padding and ``S = sum(w) + 1e-7``::

        mean = sum(w * x) / S,   var = sum(w * (x - mean)**2) / S

    Every step is then normalised with them, and the mask passes on.

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
        self.tally = None   # set by recalibrate_batch_norm while it collects statistics

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if self.axis not in (-1, len(self.input_shape)):   # Keras counts the batch axis
            raise ValueError(
                f"layer '{self._display_name}' (BatchNormalization): only the last axis can be the feature "
                f"axis (channels-last), got axis={self.axis} for input {('batch',) + self.input_shape}")
        features = self.input_shape[-1]
        if self.scale:
            self.add_param("gamma", np.ones(features))
        if self.center:
            self.add_param("beta", np.zeros(features))
        self.state["moving_mean"] = np.zeros(features, self.dtype)
        self.state["moving_variance"] = np.ones(features, self.dtype)

    supports_masking = True

    def forward(self, x, training=False, mask=None):
        self.check_input(x)
        # A frozen batch norm runs in inference mode, as in Keras: its statistics stay put.
        training = training and self.trainable
        rows, pixels = x.reshape(len(x), -1), x[0].size // x.shape[-1]
        m = len(x) * pixels                                       # values per feature
        centred = self.workspace.get("centred", rows.shape, x.dtype)    # kept for backward
        self.step_weights = None
        if training and mask is not None and self.tally is None:     # the real steps' statistics
            mean, var = self._masked_moments(rows, pixels, mask, centred)
            self._follow(mean, var)
        elif training or self.tally is not None:                 # the batch's own statistics
            mean = self._sums(rows, pixels) / m
            np.subtract(rows, np.tile(mean, pixels), out=centred)
            var = self._sums(centred, pixels, centred) / m        # sum of (x - mean)**2
            if self.tally is not None:
                self.tally.add(mean, var, m)
            else:
                self._follow(mean, var)
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

    def _follow(self, mean, var):
        """Move the running statistics a little towards this batch's."""
        momentum = self.momentum
        self.state["moving_mean"] *= momentum
        self.state["moving_mean"] += (1 - momentum) * mean
        self.state["moving_variance"] *= momentum
        self.state["moving_variance"] += (1 - momentum) * var

    def _masked_moments(self, rows, pixels, mask, centred):
        """The mean and variance over the real steps (class docstring); fills ``centred``
        with ``x - mean`` and keeps the weights ``w`` (one per value) for backward."""
        channels = rows.shape[1] // pixels
        self.step_weights = np.repeat(np.asarray(mask, rows.dtype).reshape(len(rows), pixels), channels, axis=1)
        self.real_count = self.step_weights.sum() / channels + rows.dtype.type(1e-7)     # S: Keras's epsilon
        mean = self._sums(rows * self.step_weights, pixels) / self.real_count
        np.subtract(rows, np.tile(mean, pixels), out=centred)
        var = self._sums(centred * self.step_weights, pixels, centred) / self.real_count
        return mean, var

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
        if self.step_weights is not None:        # masked statistics: the real steps moved them
            return self._masked_input_gradient(dx, dbeta, dgamma, scale).reshape(dy.shape)
        if self.training:   # the batch's statistics moved with x too: two more terms
            m = len(dy) * pixels
            term = self.workspace.get("term", rows.shape, dy.dtype)
            np.multiply(centred, np.tile(scale * self.inv_std * dgamma / m, pixels), out=term)
            dx -= term
            dx -= np.tile(scale * dbeta / m, pixels)
        return dx.reshape(dy.shape)

    def _masked_input_gradient(self, dx, dbeta, dgamma, scale):
        """``dx`` with the masked statistics' share: with ``c = x - mean``, ``s`` the scale,
        ``dvar = -s * dgamma * inv_std / 2`` and ``dmean = -s * sum(dy) - 2 * dvar * sum(w c) / S``::

            dx = s * dy + w * dmean / S + w * c * 2 * dvar / S
        """
        pixels, w, total = self.pixels, self.step_weights, self.real_count
        dvar = -0.5 * scale * self.inv_std * dgamma                          # dL/dvar, (C,)
        dmean = -scale * dbeta - 2 * dvar * self._sums(self.centred, pixels, w) / total
        dx += w * np.tile(dmean / total, pixels)
        dx += w * self.centred * np.tile(2 * dvar / total, pixels)
        return dx

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale}


class Tally:
    """Per-feature mean and variance of every value seen, batch after batch (in float64)."""

    def __init__(self):
        self.count, self.sums, self.squares = 0, 0.0, 0.0

    def add(self, mean, var, m):
        """Add a batch of ``m`` values per feature, whose mean and variance are given."""
        mean = mean.astype(np.float64)
        self.count += m
        self.sums = self.sums + m * mean
        self.squares = self.squares + m * (var.astype(np.float64) + mean ** 2)   # sum of x**2

    def statistics(self):
        mean = self.sums / self.count
        return mean, np.maximum(self.squares / self.count - mean ** 2, 0)


def recalibrate_batch_norm(model, x, batch_size=1000):
    """Set every BatchNormalization layer's moving mean and variance to those of ``x``.

    In training a batch norm layer normalises with each batch's own statistics and keeps
    running averages of them for inference. Those averages describe the images it was
    *trained* on, which are not quite the images it will be asked about:

    * with augmentation, the training images were turned, moved and zoomed; test images
      are not. Their features have other means and variances (on a trained best-cnn up
      to twice the variance in the first layer);
    * the averages lag the weights: they mix the last hundred or so batches, seen with
      slightly different weights, and with ``use_ema`` the weights are swapped for their
      moving average at the end, which the statistics never saw at all.

    One pass over clean training images (no augmentation) fixes both: every layer
    normalises each batch with its own statistics, as in training, while the exact mean
    and variance of everything it sees are added up; they then replace the moving ones.
    (PyTorch's ``torch.optim.swa_utils.update_bn`` does the same for averaged weights.)
    Dropout and the noise layers stay off. Use training images, never the test set:
    statistics taken from the test images would be tuned on the figures they report.

    Frozen batch norm layers (``trainable = False``) keep their statistics, as in training.

    Args:
        model: a built model with at least one trainable BatchNormalization layer.
        x: inputs, as for ``predict`` (no labels needed).
        batch_size: images per pass; large batches make the normalisation during the pass
            close to the final one.

    Returns:
        The recalibrated layers.
    """
    layers = [layer for layer in model.walk() if isinstance(layer, BatchNormalization)]
    if not layers:
        raise ValueError(f"recalibrate_batch_norm: model '{model.name}' has no BatchNormalization layer")
    layers = [layer for layer in layers if layer.trainable]
    if not layers:
        raise ValueError(f"recalibrate_batch_norm: every BatchNormalization layer of model "
                         f"'{model.name}' is frozen (trainable = False): their statistics stay as they are")
    for layer in layers:
        layer.tally = Tally()
    try:
        model.predict(x, batch_size=batch_size, verbose=0)
        if any(layer.tally.count == 0 for layer in layers):
            raise ValueError("recalibrate_batch_norm: no images to take the statistics of")
        statistics = [layer.tally.statistics() for layer in layers]
        broken = [layer.name for layer, pair in zip(layers, statistics) if not np.isfinite(pair).all()]
        if broken:   # NaN or inf in the images, or a layer before overflowing: keep the old ones
            raise ValueError(f"recalibrate_batch_norm: the statistics of layer '{broken[0]}' are not finite "
                             f"(NaN or infinity in the images?); every layer keeps its old statistics")
        for layer, (mean, var) in zip(layers, statistics):
            layer.state["moving_mean"][...] = mean
            layer.state["moving_variance"][...] = var
    finally:
        for layer in layers:
            layer.tally = None
    return layers
