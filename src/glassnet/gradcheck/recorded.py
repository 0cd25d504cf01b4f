"""Gradient checks for math glassnet differentiates by recording it (engine/autodiff.py):
a custom layer's ``call()`` with weights of its own, a ``Lambda`` doing math, a layer
called twice inside a ``call()``, and losses written as functions.

The layers here are written as a Keras user writes them (keras.io's guide to making
layers), not with ``forward`` and ``backward``.
"""

import numpy as np

from glassnet import ops
from glassnet.engine.layers.base import Layer
from glassnet.gradcheck.checks import check_layer, check_loss, check_model


class LeakyLinear(Layer):
    """``y = leaky(x @ w + b) * exp(-z**2 / 10) + sum(z) / |x|``, with a learned leak
    ``alpha``: matmul, broadcasting, where, exp, square, a sum and a norm in one call()."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal")
        self.alpha = self.add_weight(shape=(), initializer="ones")

    def call(self, inputs):
        z = ops.matmul(inputs, self.w) + self.b
        leaky = ops.where(z > 0, z, self.alpha * z)
        return leaky * ops.exp(-ops.square(z) / 10) + ops.sum(z, axis=1, keepdims=True) / ops.norm(
            inputs, axis=-1, keepdims=True)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class TwiceDense(Layer):
    """``y = scale * tanh(dense(dense(x)))``: one Dense layer called twice inside call()
    (the second call on a twin, gradients summed), times a learned scale per feature."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        from glassnet.engine.layers import Dense
        self.dense = Dense(4, activation="tanh")

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(4,), initializer="ones", name="scale")

    def call(self, inputs):
        return self.scale * ops.tanh(self.dense(self.dense(inputs)))


class KLSampling(Layer):
    """A VAE's sampling layer without the noise (``epsilon`` fixed): ``z = mean + exp(logvar / 2)
    * epsilon``, and the KL term given to ``self.add_loss``, whose gradient flows back too."""

    def call(self, inputs):
        mean, log_var = inputs
        epsilon = np.linspace(-1.0, 1.0, mean.shape[0] * mean.shape[1]).reshape(mean.shape)
        kl = -0.5 * ops.mean(ops.sum(1 + log_var - ops.square(mean) - ops.exp(log_var), axis=1))
        self.add_loss(0.1 * kl)
        return mean + ops.exp(0.5 * log_var) * epsilon


def my_softplus(z):
    """Geron's activation written as a function (registered, so a saved model finds it again)."""
    return ops.log(1.0 + ops.exp(z))


def euclidean_distance(pair):
    """A siamese network's distance, as Keras's examples write it."""
    a, b = pair
    return ops.sqrt(ops.maximum(ops.sum(ops.square(a - b), axis=1, keepdims=True), 1e-7))


def focal_loss(y_true, y_pred):
    """Binary focal loss (gamma 2) on probabilities, one value per sample, written with ops."""
    p = ops.clip(y_pred, 1e-6, 1 - 1e-6)
    p_true = ops.where(y_true > 0.5, p, 1 - p)
    return ops.mean(-ops.square(1 - p_true) * ops.log(p_true), axis=-1)


def doubled_builtin(y_true, y_pred):
    """A loss built on a built-in loss function: its exact gradient, recorded as one step."""
    from glassnet.engine import losses
    return 2.0 * losses.mean_squared_error(y_true, y_pred) + ops.mean(ops.abs(y_pred), axis=-1)


def log_arctan(y_true, y_pred):
    """Math autodiff has no rule for (arctan): differentiated numerically, with a warning."""
    return np.mean(np.arctan(y_pred - y_true) ** 2, axis=-1)


def recorded_checks(Check):
    from glassnet.engine.layers import Dense, Input, Lambda
    from glassnet.engine.losses import LossFunction
    from glassnet.engine.model import Model, Sequential

    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((6, 4)), np.array([0, 1, 2, 0, 1, 2])

    def siamese():
        a, b = Input(shape=(4,)), Input(shape=(4,))
        encoder = Dense(3, activation="tanh")
        distance = Lambda(euclidean_distance)([encoder(a), encoder(b)])
        model = Model([a, b], Dense(1, activation="sigmoid")(distance), seed=0)
        model.compile("sgd", "binary_crossentropy")
        return check_model(model, [x, x[::-1] + 0.1], y % 2)

    def twice():
        model = Sequential([Input(shape=(4,)), TwiceDense(), Dense(3, activation="softmax")], seed=0)
        model.compile("sgd", "sparse_categorical_crossentropy")
        return check_model(model, x, y)

    def sampling():
        inputs = Input(shape=(4,))
        mean, log_var = Dense(2)(inputs), Dense(2)(inputs)
        z = KLSampling()([mean, log_var])
        model = Model(inputs, Dense(3, activation="softmax")(z), seed=0)
        model.compile("sgd", "sparse_categorical_crossentropy")
        return check_model(model, x, y)

    def normalized():
        model = Sequential([Input(shape=(4,)), Dense(5),
                            Lambda(lambda v: v / ops.norm(v, axis=1, keepdims=True)),
                            LeakyLinear(3), Dense(3, activation="softmax")], seed=0)
        model.compile("sgd", "sparse_categorical_crossentropy")
        return check_model(model, x, y)

    probs = 1 / (1 + np.exp(-rng.standard_normal((5, 3))))
    labels = (rng.uniform(size=(5, 3)) > 0.5).astype(np.float64)
    targets = rng.standard_normal((5, 3))
    return [
        Check("Recorded call()", "LeakyLinear: matmul, bias, where, exp, sum, norm, a learned scalar",
              lambda: check_layer(LeakyLinear(3), (4,))),
        Check("Recorded call()", "a Dense called twice inside call(), times a learned scale", twice),
        Check("Recorded call()", "Lambda(v / norm(v)) and LeakyLinear inside a Sequential", normalized),
        Check("Recorded call()", "Lambda(euclidean distance) on a shared encoder's two outputs", siamese),
        Check("Recorded call()", "a VAE's sampling layer with its KL term in self.add_loss", sampling),
        Check("LossFunction", "focal loss written with ops (recorded)",
              lambda: check_loss(LossFunction(focal_loss), probs, labels)),
        Check("LossFunction", "2 * keras.losses.mse + mean|p| (a built-in loss inside, recorded)",
              lambda: check_loss(LossFunction(doubled_builtin), targets + 0.5, targets)),
        Check("LossFunction", "np.arctan (no rule): numerical, with a warning",
              lambda: _quietly(lambda: check_loss(LossFunction(log_arctan), targets, probs))),
    ]


def _quietly(run):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run()
