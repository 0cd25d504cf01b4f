"""Dense: the fully connected layer, where most of a perceptron's learning happens."""

import numpy as np

from glassnet.engine import initializers, regularizers
from glassnet.engine.layers import activations
from glassnet.engine.layers.base import Layer
from glassnet.errors import ShapeError


class Dense(Layer):
    """Every input connected to every output: ``y = f(x @ W + b)``.

    Forward, for a batch of ``N`` rows of ``D`` features and ``U`` units::

        z = x @ W + b          # (N, D) @ (D, U) + (U,) -> (N, U)
        y = f(z)               # the activation, element by element

    Backward, given ``dy = dL/dy`` (N, U), first through the activation (``dz = dy * f'(z)``),
    then the chain rule through the matrix multiply::

        dW = x.T @ dz          # (D, N) @ (N, U) -> (D, U): each weight's share of the error
        db = dz.sum(axis=0)    # (U,): the bias touches every sample
        dx = dz @ W.T          # (N, U) @ (U, D) -> (N, D): the error sent to the layer below

    Summing over the batch in ``dW`` and ``db`` is right because the loss is already a mean
    over the batch (the loss's gradient carries the ``1/N``).

    Args:
        units: number of outputs ``U``.
        activation: ``"relu"``, ``"softmax"``, ... or None for a linear layer.
        kernel_initializer: how ``W`` starts (default ``"glorot_uniform"``, as in Keras).
        use_bias: add ``b``.
        kernel_regularizer: e.g. ``l2(1e-4)``; its penalty joins the loss.

    Input shape: ``(N, D)``. Output shape: ``(N, U)``.
    """

    def __init__(self, units, activation=None, kernel_initializer="glorot_uniform",
                 use_bias=True, kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if int(units) != units or units < 1:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.kernel_initializer = kernel_initializer
        self.init = initializers.get(kernel_initializer)
        self.use_bias = bool(use_bias)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if len(self.input_shape) != 1:
            raise ShapeError(
                f"layer '{self.name}' (Dense) needs flat input (batch, features) but got "
                f"{('batch',) + self.input_shape}; put a Flatten() layer before it"
            )
        fan_in = self.input_shape[0]
        self.add_param("kernel", self.init((fan_in, self.units), self.rng))
        if self.use_bias:
            self.add_param("bias", np.zeros(self.units))

    def output_shape(self, input_shape):
        return (self.units,)

    def forward(self, x, training=False):
        self.check_input(x)
        self.x = x
        z = x @ self.params["kernel"]
        if self.use_bias:
            z += self.params["bias"]
        return z if self.activation is None else self.activation.forward(z, training)

    def backward(self, dy):
        dz = dy if self.activation is None else self.activation.backward(dy)
        W = self.params["kernel"]
        np.matmul(self.x.T, dz, out=self.grads["kernel"])
        if self.kernel_regularizer is not None:
            self.grads["kernel"] += self.kernel_regularizer.gradient(W)
        if self.use_bias:
            np.sum(dz, axis=0, out=self.grads["bias"])
        return dz @ W.T if self.needs_input_grad else None

    def regularization_loss(self):
        reg = self.kernel_regularizer
        return 0.0 if reg is None else reg.penalty(self.params["kernel"])

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "kernel_initializer": self.kernel_initializer
            if isinstance(self.kernel_initializer, str) else "glorot_uniform",
            "use_bias": self.use_bias,
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
        }
