"""GroupNormalization: normalise groups of channels inside each sample (Wu and He, 2018).

Batch normalisation needs large batches for its statistics; layer normalisation takes them
over all of a sample's features at once. Group normalisation sits between the two: the
channels are split into ``G`` groups of neighbours, and each group of each sample is
normalised on its own, over all its positions (pixels, steps) and channels. It doesn't
depend on the batch, so it computes the same in training and inference, for any batch
size. ``G = 1`` is layer normalisation over the positions and channels together; ``G = C``
(``groups=-1``) is instance normalisation, one channel at a time.
"""

import numpy as np

from glassnet.engine import constraints, initializers, regularizers
from glassnet.engine.layers.base import Layer
from glassnet.errors import ShapeError


class GroupNormalization(Layer):
    """Normalise each group of channels of every sample, then scale and shift every channel.

    The channels (axis ``axis``, the last by default) are cut into ``G`` groups of ``C / G``
    neighbours. For one sample and one group, with ``M`` values in it (every position times
    ``C / G`` channels), as Keras 3 computes it::

        mean = sum(x) / M,   var = sum((x - mean)**2) / M
        x_hat = (x - mean) / sqrt(var + epsilon)
        y = gamma * x_hat + beta          # gamma and beta: one per channel, (C,)

    Backward: ``dbeta = sum(dy)`` and ``dgamma = sum(dy * x_hat)`` over every sample and
    position, and, with ``g = dy * gamma`` and ``s = 1 / sqrt(var + epsilon)``::

        dx = s * (g - mean(g) - x_hat * mean(g * x_hat))    # the means over the group's M values

    (each ``x`` moves its group's mean and variance too: the two subtracted terms, as in
    :class:`~glassnet.engine.layers.layernorm.LayerNormalization`).

    The code moves the channel axis last and works on ``(N, P, G, C/G)``: ``P`` positions,
    the channels split into their groups. The statistics are means over axes 1 and 3.

    Args:
        groups: ``G`` (Keras's default 32); it must divide the channels. ``-1``: one group
            per channel (instance normalisation).
        axis: the channel axis, counted with the batch as Keras counts it (-1, the last, by
            default).
        epsilon: added to the variance (Keras's default 1e-3).
        center: learn the offset ``beta``. scale: learn the scale ``gamma``.
        beta_initializer, gamma_initializer: how they start (zeros and ones).
        beta_regularizer, gamma_regularizer: a penalty that joins the loss (``l2(1e-4)``).
        beta_constraint, gamma_constraint: applied after every optimizer step.

    Input shape: anything with the channel axis known. Output shape: the same.
    """

    supports_masking = True    # a mask passes through, as in Keras (engine/masking.py)

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or (groups <= 0 and groups != -1):
            raise ValueError(f"GroupNormalization: groups must be a positive integer (or -1 for instance "
                             f"normalization), got {groups!r}")
        if isinstance(axis, (list, tuple)) and len(axis) == 1:
            axis = axis[0]
        if isinstance(axis, (bool, list, tuple)) or int(axis) != axis or axis == 0:
            raise ValueError(f"GroupNormalization: axis must be one axis other than 0 (the batch), got {axis!r}")
        if not epsilon > 0:
            raise ValueError(f"GroupNormalization: epsilon must be positive, got {epsilon!r}")
        self.groups, self.axis, self.epsilon = int(groups), int(axis), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        for weight, initializer, regularizer, constraint in (
                ("beta", beta_initializer, beta_regularizer, beta_constraint),
                ("gamma", gamma_initializer, gamma_regularizer, gamma_constraint)):
            setattr(self, f"{weight}_initializer", initializers.get(initializer))
            setattr(self, f"{weight}_regularizer", regularizers.get(regularizer))
            setattr(self, f"{weight}_constraint", constraints.get(constraint))

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        rank = len(self.input_shape) + 1                          # with the batch
        if not -rank < self.axis < rank:
            raise ShapeError(f"layer '{self._display_name}' (GroupNormalization): axis {self.axis} is out of "
                             f"bounds for input {('batch',) + self.input_shape}")
        self.channel_axis = self.axis % rank
        channels = self.input_shape[self.channel_axis - 1]
        if channels is None:
            raise ShapeError(f"layer '{self._display_name}' (GroupNormalization) needs the channel axis known, "
                             f"got {('batch',) + self.input_shape}")
        if self.groups == -1:                                     # instance normalisation, as Keras sets it
            self.groups = channels
        if channels % self.groups:
            raise ShapeError(f"layer '{self._display_name}' (GroupNormalization): {self.groups} groups don't "
                             f"divide {channels} channels evenly")
        if self.scale:                                            # Keras's order: gamma, then beta
            self.add_param("gamma", self.gamma_initializer((channels,), self.rng))
        if self.center:
            self.add_param("beta", self.beta_initializer((channels,), self.rng))

    def _channels_last(self, a):
        """``a`` with its channels last and its positions in one axis: ``(N, P, C)``."""
        a = np.moveaxis(a, self.channel_axis, -1)
        return a.reshape(len(a), -1, a.shape[-1])

    def _back(self, a, shape):
        """``(N, P, C)`` back to the input's ``shape``, the channel axis where it was."""
        axis = self.channel_axis
        moved = shape[:axis] + shape[axis + 1:] + (shape[axis],)             # the channels last
        return np.moveaxis(a.reshape(moved), -1, axis)

    def forward(self, x, training=False):
        self.check_input(x)
        rows = self._channels_last(x)                             # (N, P, C)
        n, p, c = rows.shape
        grouped = rows.reshape(n, p, self.groups, c // self.groups)           # (N, P, G, C/G)
        mean = grouped.mean(axis=(1, 3), keepdims=True)                       # (N, 1, G, 1)
        centred = grouped - mean
        variance = np.square(centred).mean(axis=(1, 3), keepdims=True)
        self.inv_std = 1.0 / np.sqrt(variance + self.epsilon)
        self.x_hat = centred * self.inv_std                                   # (N, P, G, C/G)
        y = self.x_hat.reshape(n, p, c)
        y = y * self.params["gamma"] if self.scale else y.copy()
        if self.center:
            y += self.params["beta"]
        return self._back(y, x.shape)

    def backward(self, dy):
        rows = self._channels_last(dy)                            # (N, P, C)
        n, p, c = rows.shape
        if self.center:
            self.grads["beta"][...] = rows.sum(axis=(0, 1))
        if self.scale:
            self.grads["gamma"][...] = (rows * self.x_hat.reshape(n, p, c)).sum(axis=(0, 1))
        self.add_penalty_gradients()                              # gamma_regularizer=l2(...) and the like
        if not self.needs_input_grad:
            return None
        g = (rows * self.params["gamma"] if self.scale else rows).reshape(self.x_hat.shape)
        dx = self.inv_std * (g - g.mean(axis=(1, 3), keepdims=True)
                             - self.x_hat * (g * self.x_hat).mean(axis=(1, 3), keepdims=True))
        return self._back(dx.reshape(n, p, c), dy.shape)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                **{f"{weight}_{kind}": module.serialize(getattr(self, f"{weight}_{kind}"))
                   for kind, module in (("initializer", initializers), ("regularizer", regularizers),
                                        ("constraint", constraints))
                   for weight in ("beta", "gamma")}}
