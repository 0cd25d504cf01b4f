"""Activation functions: the non-linear bends between the linear layers.

Without them a stack of Dense layers would collapse into one matrix multiply, however deep.
Each activation works element by element (softmax works row by row), so its backward pass
is the chain rule with the local derivative: ``dx = dy * f'(x)``.

They are layers (``Activation("relu")`` or ``ReLU()`` in a model) and are also used inside
``Dense(..., activation="relu")``. Every one keeps the input's dtype and shape.
"""

import numpy as np

from glassnet.engine.layers.base import Layer


class ReLU(Layer):
    """Rectified linear unit: ``y = max(x, 0)``; ``dy/dx = 1 where x > 0, else 0``."""

    def forward(self, x, training=False):
        self.mask = x > 0
        return np.maximum(x, 0)

    def backward(self, dy):
        return dy * self.mask


class LeakyReLU(Layer):
    """Like ReLU but lets a little through below zero: ``y = x if x > 0 else a * x``.

    Args:
        negative_slope: the slope ``a`` for negative inputs (Keras default 0.3).
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        super().__init__(**kwargs)
        if negative_slope < 0:
            raise ValueError(f"LeakyReLU: negative_slope must be >= 0, got {negative_slope}")
        self.negative_slope = float(negative_slope)

    def forward(self, x, training=False):
        self.mask = x > 0
        return np.where(self.mask, x, x * self.negative_slope)

    def backward(self, dy):
        return np.where(self.mask, dy, dy * self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class Sigmoid(Layer):
    """Logistic sigmoid ``y = 1 / (1 + exp(-x))``; ``dy/dx = y (1 - y)``.

    Written as ``0.5 (1 + tanh(x / 2))``, which is the same function but never overflows.
    """

    def forward(self, x, training=False):
        self.y = 0.5 * (1 + np.tanh(0.5 * x))
        return self.y

    def backward(self, dy):
        return dy * self.y * (1 - self.y)


class Tanh(Layer):
    """Hyperbolic tangent ``y = tanh(x)``; ``dy/dx = 1 - y**2``."""

    def forward(self, x, training=False):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dy):
        return dy * (1 - self.y * self.y)


class Softmax(Layer):
    """Turns a row of scores (logits) into probabilities that sum to 1.

    ``p_i = exp(z_i - max(z)) / sum_j exp(z_j - max(z))``. Subtracting the row's max changes
    nothing mathematically (it cancels) but keeps ``exp`` from overflowing.

    Backward, for one row: ``dz = p * (dp - sum(dp * p))``, the Jacobian of softmax applied
    to ``dp``.

    When a cross-entropy loss follows, the model fuses the two: the loss is computed from
    the logits with log-sum-exp and hands back ``dL/dz = (p - y) / N`` directly, which is
    both cheaper and immune to ``log(0)``. The model then sets ``fused_with_loss`` and this
    layer passes the gradient straight through.
    """

    fused_with_loss = False

    def forward(self, x, training=False):
        self.logits = x
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        self.p = e / e.sum(axis=-1, keepdims=True)
        return self.p

    def backward(self, dy):
        if self.fused_with_loss:
            return dy  # the loss already returned dL/d(logits)
        p = self.p
        return p * (dy - (dy * p).sum(axis=-1, keepdims=True))


ACTIVATIONS = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "softmax": Softmax,
}


def get(activation):
    """``"relu"`` -> ``ReLU()``; an activation instance is returned as it is; None stays None.

    A dict such as ``{"name": "leaky_relu", "negative_slope": 0.1}`` (what :func:`serialize`
    writes into a saved model) works too.
    """
    if activation is None or activation == "linear":
        return None
    if isinstance(activation, Layer):
        return activation
    if isinstance(activation, dict):
        options = dict(activation)
        return ACTIVATIONS[options.pop("name")](**options)
    if isinstance(activation, str) and activation in ACTIVATIONS:
        return ACTIVATIONS[activation]()
    raise ValueError(
        f"unknown activation {activation!r}; known: {', '.join(sorted(ACTIVATIONS))}, linear"
    )


def serialize(activation):
    """The JSON-friendly value that :func:`get` turns back into ``activation``."""
    if activation is None:
        return None
    names = [name for name, cls in ACTIVATIONS.items() if type(activation) is cls]
    if not names:
        raise ValueError(f"{activation!r} is not a built-in activation; use it as a layer instead")
    options = {k: v for k, v in activation.get_config().items() if k not in ("name", "input_shape")}
    return {"name": names[0], **options} if options else names[0]


class Activation(Layer):
    """A layer that applies an activation: ``Activation("relu")``, as in Keras."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.fn = get(activation)
        if self.fn is None:
            raise ValueError("Activation needs an activation name, e.g. Activation('relu')")

    def forward(self, x, training=False):
        return self.fn.forward(x, training)

    def backward(self, dy):
        return self.fn.backward(dy)

    def get_config(self):
        return {**super().get_config(), "activation": serialize(self.fn)}
