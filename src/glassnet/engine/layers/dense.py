"""Dense: the fully connected layer, where most of a perceptron's learning happens."""

from glassnet.engine import constraints, initializers, regularizers
from glassnet.engine.layers import activations, chunks
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

    On input with more axes, ``(N, ..., D)``, Dense works on the last axis only, as in Keras:
    the same ``W`` for every position (a sequence's steps, say), as if the positions were
    more rows of the batch. So an image ``(N, 28, 28)`` gives ``(N, 28, U)``, one output row
    per image row: to classify whole images, put a ``Flatten()`` first.

    Args:
        units: number of outputs ``U``.
        activation: ``"relu"``, ``"softmax"``, ... or None for a linear layer.
        use_bias: add ``b``.
        kernel_initializer: how ``W`` starts (default ``"glorot_uniform"``, as in Keras).
        bias_initializer: how ``b`` starts (default ``"zeros"``).
        kernel_regularizer, bias_regularizer: e.g. ``l2(1e-4)``; the penalty joins the loss
            and its gradient joins ``dW`` (``db``).
        kernel_constraint, bias_constraint: e.g. ``max_norm(3)``: after every optimizer step
            the weight is put back inside its set (:mod:`glassnet.engine.constraints`).
        activity_regularizer: a penalty on the output, e.g. ``l1(1e-5)`` for a sparse code:
            ``penalty(y) / N`` joins the loss, as in Keras 3 (:meth:`Layer.activity_loss`).

    Input shape: ``(N, D)`` or ``(N, ..., D)``. Output shape: ``(N, U)`` or ``(N, ..., U)``.
    """

    supports_masking = True    # a mask passes through (engine/masking.py)

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if isinstance(units, bool) or int(units) != units or units < 1:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_and_bias_settings(kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                                      kernel_constraint, bias_constraint)
        # What the user wrote, so get_config can give it back ("he_uniform" stays a name).
        self._initializer_names = {"kernel_initializer": kernel_initializer,
                                   "bias_initializer": bias_initializer}

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if not self.input_shape or self.input_shape[-1] is None:
            raise ShapeError(f"layer '{self._display_name}' (Dense) needs input with a known last axis "
                             f"(batch, ..., features) but got {('batch',) + self.input_shape}")
        fan_in = self.input_shape[-1]
        self.add_param("kernel", self.kernel_initializer((fan_in, self.units), self.rng))
        if self.use_bias:
            self.add_param("bias", self.bias_initializer((self.units,), self.rng))

    def output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def accepts(self, input_shape):
        """As in Keras, only the last axis (the features ``D``) must be the one it was built
        for: a Dense over a sequence of 100 steps reads one of 6 (a text generator's prompt)."""
        built = self.input_shape
        if built == input_shape:                        # every batch of fit: one comparison
            return True
        built, given = tuple(built), tuple(input_shape)
        return len(built) == len(given) and (built[-1] is None or built[-1] == given[-1])

    def forward(self, x, training=False):
        self.check_input(x)
        shape = x.shape[:-1] + (self.units,)
        x = x.reshape(-1, x.shape[-1])                  # (N, ..., D) -> (rows, D); (N, D) stays
        self.x = x
        z = chunks.matmul(x, self.params["kernel"])     # x @ W, on every core (layers/chunks.py)
        if self.use_bias:
            z += self.params["bias"]
        z = z.reshape(shape)
        return z if self.activation is None else self.activation.forward(z, training)

    def backward(self, dy):
        dz = dy if self.activation is None else self.activation.backward(dy)
        shape = dz.shape[:-1] + (self.x.shape[-1],)
        dz = dz.reshape(-1, self.units)
        W = self.params["kernel"]
        chunks.matmul(self.x.T, dz, out=self.grads["kernel"])
        if self.use_bias:
            dz.sum(axis=0, out=self.grads["bias"])
        self.add_penalty_gradients()                # kernel_regularizer=l2(...) and the like
        return chunks.matmul(dz, W.T).reshape(shape) if self.needs_input_grad else None

    def get_config(self):
        return {**super().get_config(), "units": self.units, **kernel_settings(self)}


def kernel_settings(layer):
    """The settings a layer with a kernel and a bias shares with Dense (Conv1D's too), as
    ``get_config`` gives them: the initializers as the user wrote them ("he_uniform" stays a name)."""
    def initializer(label):
        given = layer._initializer_names[label]
        return given if isinstance(given, (str, dict)) else initializers.serialize(getattr(layer, label))

    return {
        "activation": activations.serialize(layer.activation),
        "use_bias": layer.use_bias,
        "kernel_initializer": initializer("kernel_initializer"),
        "bias_initializer": initializer("bias_initializer"),
        "kernel_regularizer": regularizers.serialize(layer.kernel_regularizer),
        "bias_regularizer": regularizers.serialize(layer.bias_regularizer),
        "kernel_constraint": constraints.serialize(layer.kernel_constraint),
        "bias_constraint": constraints.serialize(layer.bias_constraint),
    }
