"""The recorded math (engine/autodiff.py, engine/recording.py): every gradient rule against
finite differences in float64, broadcasting, and the custom layers, Lambdas and loss
functions built on it, trained as Keras trains them."""

import warnings

import numpy as np
import pytest

import glassnet as keras
from glassnet import layers, ops
from glassnet.engine import autodiff
from glassnet.engine.autodiff import CannotDifferentiate, Value, backpropagate
from glassnet.gradcheck import numerical_gradient, relative_error

RNG = np.random.default_rng(0)


def positive(*shape):
    return RNG.uniform(0.5, 2.0, shape)


def normal(*shape):
    return RNG.standard_normal(shape)


def apart(*shape):
    """Values at least 0.05 from each other and from 0: no ties, no kinks."""
    values = np.linspace(0.3, 3.0, int(np.prod(shape))) * RNG.choice([-1, 1], int(np.prod(shape)))
    return RNG.permutation(values).reshape(shape)


# rule name -> (function of Values, its inputs). Every rule of autodiff has one (a test checks).
CASES = {
    "add": (lambda a, b: a + b, [normal(3, 4), normal(4)]),
    "subtract": (lambda a, b: a - b, [normal(3, 1), normal(3, 4)]),
    "multiply": (lambda a, b: a * b, [normal(3, 4), normal(3, 4)]),
    "divide": (lambda a, b: a / b, [normal(3, 4), positive(3, 4)]),
    "power": (lambda a, b: a ** b, [positive(3, 4), normal(4)]),
    "float_power": (lambda a: np.float_power(a, 3), [positive(2, 3)]),
    "matmul": (lambda a, b: a @ b, [normal(3, 4), normal(4, 2)]),
    "maximum": (lambda a, b: np.maximum(a, b), [apart(3, 4), apart(3, 4) + 0.02]),
    "minimum": (lambda a, b: np.minimum(a, b), [apart(3, 4), apart(3, 4) + 0.02]),
    "negative": (lambda a: -a, [normal(3)]),
    "positive": (lambda a: np.positive(a), [normal(3)]),
    "exp": (lambda a: ops.exp(a), [normal(3, 4)]),
    "expm1": (lambda a: np.expm1(a), [normal(3, 4)]),
    "log": (lambda a: ops.log(a), [positive(3, 4)]),
    "log1p": (lambda a: np.log1p(a), [positive(3, 4)]),
    "sqrt": (lambda a: ops.sqrt(a), [positive(3, 4)]),
    "square": (lambda a: ops.square(a), [normal(3, 4)]),
    "reciprocal": (lambda a: np.reciprocal(a), [positive(3, 4)]),
    "absolute": (lambda a: ops.abs(a), [apart(3, 4)]),
    "tanh": (lambda a: np.tanh(a), [normal(3, 4)]),
    "sinh": (lambda a: np.sinh(a), [normal(3, 4)]),
    "cosh": (lambda a: np.cosh(a), [normal(3, 4)]),
    "sin": (lambda a: np.sin(a), [normal(3, 4)]),
    "cos": (lambda a: np.cos(a), [normal(3, 4)]),
    "sum": (lambda a: ops.sum(a, axis=1, keepdims=True), [normal(3, 4)]),
    "mean": (lambda a: ops.mean(a, axis=(0, 2)), [normal(3, 4, 2)]),
    "max": (lambda a: ops.max(a, axis=-1), [apart(3, 4)]),
    "min": (lambda a: np.min(a, axis=0, keepdims=True), [apart(3, 4)]),
    "var": (lambda a: ops.var(a, axis=0), [normal(5, 3)]),
    "std": (lambda a: ops.std(a, axis=1, keepdims=True), [normal(3, 5)]),
    "norm": (lambda a: ops.norm(a, axis=-1, keepdims=True), [normal(3, 4)]),
    "reshape": (lambda a: ops.reshape(a, (2, 6)) * np.arange(12).reshape(2, 6), [normal(3, 4)]),
    "transpose": (lambda a: ops.transpose(a, (2, 0, 1)), [normal(2, 3, 4)]),
    "swapaxes": (lambda a: np.swapaxes(a, 0, 2), [normal(2, 3, 4)]),
    "moveaxis": (lambda a: np.moveaxis(a, 0, -1), [normal(2, 3, 4)]),
    "expand_dims": (lambda a: ops.expand_dims(a, 1), [normal(3, 4)]),
    "squeeze": (lambda a: ops.squeeze(a, axis=1), [normal(3, 1, 4)]),
    "broadcast_to": (lambda a: np.broadcast_to(a, (3, 4)) * np.arange(12).reshape(3, 4), [normal(4)]),
    "concatenate": (lambda a, b: ops.concatenate([a, b], axis=1), [normal(3, 2), normal(3, 4)]),
    "stack": (lambda a, b: ops.stack([a, b], axis=1), [normal(3, 2), normal(3, 2)]),
    "where": (lambda a, b: ops.where(a.data > 0, a, b), [normal(3, 4), normal(4)]),
    "clip": (lambda a: ops.clip(a, -0.5, 0.5), [apart(3, 4) / 3]),
    "dot": (lambda a, b: np.dot(a, b), [normal(3, 4), normal(4)]),
    "copy": (lambda a: np.copy(a) * a, [normal(3)]),
    "getitem": (lambda a: a[[0, 2, 0], 1:] * 2, [normal(3, 4)]),
    "take": (lambda a: ops.take(a, np.array([[1, 1], [3, 0]]), axis=0) * ops.take(a, np.array([5, 7, 5]))
             + ops.sum(ops.take(a, np.array([[2, 0], [1, 1]]), axis=1) ** 2), [normal(4, 3)]),
    "astype": (lambda a: a.astype("float64") * a, [normal(3)]),
    # the linear algebra (engine/autodiff_linalg.py); cholesky's input made symmetric positive-definite
    "inv": (lambda a: np.linalg.inv(a), [normal(2, 3, 3) + 3 * np.eye(3)]),
    "det": (lambda a: np.linalg.det(a), [normal(2, 3, 3)]),
    "slogdet": (lambda a: np.linalg.slogdet(a)[1], [normal(3, 3)]),
    "solve": (lambda a, b: np.linalg.solve(a, b), [0.3 * normal(2, 3, 3) + np.eye(3), normal(2, 3, 2)]),
    "cholesky": (lambda a: np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + np.eye(3)) * np.arange(9).reshape(3, 3),
                 [normal(2, 3, 3)]),
    # engine/autodiff_numpy.py
    "einsum": (lambda a, b: ops.einsum("bij,jk->bik", a, b) + ops.einsum("...j,jk", a, b) * ops.einsum("bij->b", a)[:, None, None]
               + ops.sum(ops.einsum("ij,kl->ik", a[0], b)), [normal(2, 3, 4), normal(4, 2)]),   # implicit, '...', summed away
    "cumsum": (lambda a: ops.cumsum(a, axis=1) + ops.cumsum(a).reshape(3, 4), [normal(3, 4)]),
    "prod": (lambda a, b: ops.prod(a, axis=0) * ops.prod(b, axis=(1, 2), keepdims=True).sum() + ops.prod(a),
             [normal(3, 2), normal(2, 2, 3) * np.array([1.0, 0.0, 1.0])]),      # a zero: no division by it
    "tril": (lambda a: ops.tril(a, -1) * a, [normal(2, 4, 4)]),
    "triu": (lambda a: ops.triu(a, 1) * a, [normal(4, 3)]),
    "pad": (lambda a: ops.pad(a, ((1, 0), (2, 3))) * np.arange(48).reshape(6, 8), [normal(5, 3)]),
    "flip": (lambda a: ops.flip(a, axis=1) * a, [normal(3, 4)]),
    "roll": (lambda a: ops.roll(a, 2, axis=0) * np.arange(12).reshape(4, 3), [normal(4, 3)]),
    "tile": (lambda a: ops.tile(a, (2, 1, 3)) * np.arange(36).reshape(2, 3, 6), [normal(3, 2)]),
    "repeat": (lambda a: ops.repeat(a, [1, 3, 2], axis=1) * np.arange(12).reshape(2, 6) + ops.sum(ops.repeat(a, 2)[:5] ** 2),
               [normal(2, 3)]),
    "take_along_axis": (lambda a: ops.take_along_axis(a, np.array([[0, 0], [2, 1], [1, 2]]), axis=1) ** 2, [normal(3, 3)]),
    "tensordot": (lambda a, b: ops.tensordot(a, b, axes=([0, 2], [1, 0])), [positive(2, 3, 4), positive(4, 2, 5)]),
    "outer": (lambda a, b: ops.outer(a, b), [normal(3), normal(2, 2)]),
    "ravel": (lambda a: ops.ravel(a) * np.arange(6), [normal(2, 3)]),
    "split": (lambda a: sum(p * (i + 1) for i, p in enumerate(np.split(a, [1, 3], axis=1))), [normal(2, 5)]),
    "arcsin": (lambda a: np.arcsin(a), [RNG.uniform(-0.9, 0.9, (3, 4))]),
    "arccos": (lambda a: np.arccos(a), [RNG.uniform(-0.9, 0.9, (3, 4))]),
    "tan": (lambda a: np.tan(a), [RNG.uniform(-1.2, 1.2, (3, 4))]),
    "arctanh": (lambda a: np.arctanh(a), [RNG.uniform(-0.9, 0.9, (3, 4))]),
    "arcsinh": (lambda a: np.arcsinh(a), [normal(3, 4)]),
    "log2": (lambda a: np.log2(a), [positive(3, 4)]),
    "log10": (lambda a: np.log10(a), [positive(3, 4)]),
    "exp2": (lambda a: np.exp2(a), [normal(3, 4)]),
    "cbrt": (lambda a: np.cbrt(a), [positive(3, 4)]),
    "logaddexp": (lambda a, b: ops.logaddexp(a, b), [normal(3, 4), normal(4)]),
    "arctan2": (lambda a, b: ops.arctan2(a, b), [normal(3, 4), positive(3, 4)]),
}
NOT_DIFFERENTIABLE = {"zeros_like", "ones_like"}    # constants: nothing to check


def gradients(function, arrays):
    """Each input's gradient of sum(function(inputs) * dy): recorded, and by finite differences."""
    values = [Value(a, needs_grad=True) for a in arrays]
    out = function(*values)
    dy = np.random.default_rng(1).standard_normal(out.shape)
    backpropagate(out, dy)

    def f():
        return float(np.sum(function(*[Value(a) for a in arrays]).data * dy))

    return [(v.grad, numerical_gradient(f, a)) for v, a in zip(values, arrays)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_rule_agrees_with_finite_differences(name):
    function, arrays = CASES[name]
    for recorded, numeric in gradients(function, [a.copy() for a in arrays]):
        assert recorded is not None and recorded.shape == numeric.shape
        assert relative_error(recorded, numeric) < 1e-7, name


def test_every_rule_has_a_case():
    rules = {u.__name__ for u in autodiff.UFUNCS} | set(autodiff.FUNCTIONS) - {"amax", "amin"}
    rules -= set(autodiff.autodiff_arrays.RULES)            # their cases: tests/test_autodiff_arrays.py
    assert rules - NOT_DIFFERENTIABLE <= set(CASES)


def test_a_wrong_rule_is_caught(monkeypatch):
    """The check above can fail: exp with the gradient of x**2 disagrees."""
    monkeypatch.setitem(autodiff.UFUNCS, np.exp, autodiff._unary(np.exp, lambda g, a, c: 2 * g * a))
    (recorded, numeric), = gradients(lambda a: np.exp(a), [normal(3)])
    assert relative_error(recorded, numeric) > 1e-3


def test_broadcast_gradients_are_summed_back_to_the_shape_that_was_broadcast():
    bias = Value(np.zeros(3), needs_grad=True)
    x = Value(np.ones((4, 2, 3)))
    backpropagate(x + bias, np.ones((4, 2, 3)))
    np.testing.assert_array_equal(bias.grad, [8, 8, 8])
    column = Value(np.zeros((2, 1)), needs_grad=True)
    backpropagate(column * np.ones((2, 5)), np.ones((2, 5)))
    np.testing.assert_array_equal(column.grad, [[5], [5]])


def test_a_value_used_twice_gets_both_gradients_and_python_numbers_keep_float32():
    x = Value(np.float32([1.0, 2.0]), needs_grad=True)
    y = x * x + 3 * x            # dy/dx = 2x + 3
    assert y.dtype == np.float32 and (2 * x - 1).dtype == np.float32
    backpropagate(y, np.ones(2, np.float32))
    np.testing.assert_allclose(x.grad, [5.0, 7.0])


def test_what_has_no_gradient_says_so_instead_of_dropping_it():
    from glassnet.engine import recording

    x = Value(np.ones(3), needs_grad=True)
    with pytest.raises(CannotDifferentiate, match="np.arctan"):
        np.arctan(x)
    recording._active.append(recording._Recording(True))     # as inside a layer's recorded call()
    try:
        with pytest.raises(CannotDifferentiate, match="plain NumPy array"):
            np.asarray(x)
        with pytest.raises(CannotDifferentiate, match="ops.where"):
            if x:
                pass
    finally:
        recording._active.pop()
    # Outside a layer's call (a GradientTape's block, or after it) a value can be read.
    np.testing.assert_array_equal(np.asarray(x), np.ones(3))
    assert bool(x[0]) and float(x[0]) == 1.0
    with pytest.raises(CannotDifferentiate, match="np.median"):
        np.median(x)
    assert isinstance(x > 0, np.ndarray) and np.argmax(x) == 0     # no gradient, plain results
    assert (x == 1).all() and not (x != 1).any()                   # elementwise, as on arrays


# -- custom layers, Lambdas and losses, in models --------------------------------------------
class Linear(layers.Layer):
    """keras.io's guide to making new layers, word for word (ops for tf)."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                 trainable=True, name="kernel")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True, name="bias")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def _data():
    rng = np.random.default_rng(0)
    x = rng.random((64, 6)).astype(np.float32)
    return x, (x[:, :3].sum(axis=1) > x[:, 3:].sum(axis=1)).astype(np.int64)


def test_a_linear_layer_of_your_own_trains_exactly_as_dense():
    """The same weights, the same data, plain SGD: Linear's recorded gradients are Dense's."""
    x, y = _data()
    mine = keras.Sequential([keras.Input((6,)), Linear(8), layers.Activation("relu"), Linear(2)], seed=0)
    dense = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"), layers.Dense(2)], seed=0)
    dense.set_weights(mine.get_weights())
    for model in (mine, dense):
        model.compile(optimizer=keras.optimizers.SGD(0.1),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    a = mine.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0).history["loss"]
    b = dense.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(a, b, rtol=1e-5)
    assert a[-1] < a[0]
    for got, expected in zip(mine.get_weights(), dense.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    assert isinstance(mine.layers[0].w, np.ndarray)          # put back after each recorded call
    assert np.shares_memory(mine.layers[0].w, mine.layers[0].params["kernel"])


def test_a_layer_of_your_own_saves_and_loads_as_npz(tmp_path):
    x, y = _data()
    model = keras.Sequential([keras.Input((6,)), Linear(4), Linear(2)], seed=0)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.npz")
    again = keras.models.load_model(tmp_path / "m.npz", custom_objects={"Linear": Linear})
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [w.path for w in again.weights] == ["linear/kernel", "linear/bias", "linear_1/kernel", "linear_1/bias"]


def test_a_siamese_distance_lambda_trains_and_a_lambda_with_math_refuses_a_config(tmp_path):
    def euclidean(pair):
        a, b = pair
        return ops.sqrt(ops.maximum(ops.sum(ops.square(a - b), axis=1, keepdims=True), 1e-7))

    rng = np.random.default_rng(1)
    left = rng.random((200, 5)).astype(np.float32)
    same = rng.random(200) < 0.5
    right = np.where(same[:, None], left + 0.02 * rng.standard_normal((200, 5)), rng.random((200, 5)))
    a, b = keras.Input((5,)), keras.Input((5,))
    encoder = layers.Dense(8)
    distance = layers.Lambda(euclidean)([encoder(a), encoder(b)])
    model = keras.Model([a, b], layers.Dense(1, activation="sigmoid")(distance), seed=0)
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit([left, right.astype(np.float32)], same.astype(np.float32), epochs=40, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9
    with pytest.raises(TypeError, match="Lambda 'lambda'.*save_weights"):
        model.save(tmp_path / "m.npz")


def test_a_loss_function_written_with_ops_gets_the_exact_gradient_without_a_warning():
    def my_mse(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    rng = np.random.default_rng(2)
    y_true, y_pred = rng.random((6, 3)), rng.random((6, 3))
    exact = keras.losses.MeanSquaredError()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mine = keras.losses.get(my_mse)
        for weights in (None, rng.random(6)):
            assert mine.forward(y_true, y_pred, weights) == pytest.approx(exact.forward(y_true, y_pred, weights))
            np.testing.assert_allclose(mine.backward(), exact.backward(), rtol=1e-12)
    batch_mean = keras.losses.get(lambda y, p: ops.mean(ops.square(y - p)))   # one number: Keras takes it
    batch_mean.forward(y_true, y_pred)
    np.testing.assert_allclose(batch_mean.backward(), 2 * (y_pred - y_true) / y_pred.size, rtol=1e-12)


def test_math_glassnet_cant_differentiate_names_the_layer_and_the_function():
    class Odd(layers.Layer):
        def call(self, x):
            return np.arctan(x)

    with pytest.raises(CannotDifferentiate, match=r"layer 'odd' \(Odd\).*np.arctan"):
        keras.Sequential([keras.Input((3,)), layers.Dense(3), Odd()])     # said where the model is made


def test_a_model_whose_call_does_math_is_recorded_as_one_step():
    class Scaled(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return ops.exp(self.dense(x))

    model = Scaled()
    x = np.random.default_rng(0).random((4, 3))
    y = np.asarray(model(x))
    np.testing.assert_allclose(y, np.exp(x @ model.dense.params["kernel"] + model.dense.params["bias"]), rtol=1e-6)
    assert type(model.graph_layers[-1]).__name__ == "RecordedCall" and model.count_params() == 8
    assert Scaled()(keras.Input((3,))).shape == (None, 2)          # in a Functional graph too


def test_a_loss_function_sees_labels_shaped_like_the_outputs_as_in_keras():
    """(N,) labels with (N, 1) outputs: (1 - y_true) * y_pred must not become an (N, N) table."""
    def contrastive(y_true, y_pred):
        return ops.mean((1 - y_true) * ops.square(y_pred) + y_true * ops.square(ops.maximum(1 - y_pred, 0)))

    y_true, y_pred = np.array([0.0, 1.0, 1.0]), np.array([[0.2], [0.5], [1.5]])
    loss = keras.losses.get(contrastive)
    assert loss.forward(y_true, y_pred) == pytest.approx((0.04 + 0.25 + 0.0) / 3)
    np.testing.assert_allclose(loss.backward(), [[0.4 / 3], [-1.0 / 3], [0.0]])


class Sampling(layers.Layer):
    """keras.io's VAE sampling layer, with its KL term given to add_loss (Keras 2's way)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(shape=ops.shape(z_mean), seed=self.seed_generator)
        kl = -0.5 * ops.mean(ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1))
        self.add_loss(kl)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def test_add_loss_in_a_recorded_call_joins_the_loss_and_its_gradient_flows_back():
    rng = np.random.default_rng(3)
    x = rng.random((64, 6)).astype(np.float32)
    inputs = keras.Input((6,))
    z_mean, z_log_var = layers.Dense(2)(inputs), layers.Dense(2)(inputs)
    model = keras.Model(inputs, layers.Dense(6)(Sampling()([z_mean, z_log_var])), seed=0)
    model.compile(keras.optimizers.Adam(0.01), "mse")
    encoder = keras.Model(inputs, [z_mean, z_log_var])
    mean, log_var = encoder.predict(x, verbose=0)
    kl = -0.5 * np.mean(np.sum(1 + log_var - mean ** 2 - np.exp(log_var), axis=1))
    total = model.evaluate(x, x, batch_size=64, verbose=0)
    reconstruction = total - kl
    assert kl > 0 and 0 < reconstruction < total            # the KL term is part of the loss
    model.fit(x, x, epochs=30, verbose=0)
    mean, log_var = encoder.predict(x, verbose=0)
    assert -0.5 * np.mean(np.sum(1 + log_var - mean ** 2 - np.exp(log_var), axis=1)) < kl   # pulled down


# -- Geron's custom components: functions for an activation, an initializer, a penalty, a constraint
def my_softplus(z):
    return keras.ops.log(1.0 + keras.ops.exp(z))


def my_glorot_initializer(shape, dtype="float32"):
    return np.random.default_rng(0).normal(0.0, np.sqrt(2.0 / (shape[0] + shape[1])), shape).astype(dtype)


def my_positive_weights(weights):
    return ops.where(weights < 0.0, ops.zeros_like(weights), weights)


def test_functions_for_an_activation_an_initializer_and_a_constraint_work_as_in_keras(tmp_path):
    from glassnet.gradcheck import check_layer
    dense = layers.Dense(4, activation=my_softplus, kernel_initializer=my_glorot_initializer,
                         kernel_constraint=my_positive_weights)
    with keras.saving.custom_object_scope({"my_softplus": my_softplus, "my_glorot_initializer": my_glorot_initializer,
                                           "my_positive_weights": my_positive_weights}):
        assert check_layer(dense, (5,)).passed                      # softplus's gradient, recorded
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((64, 5)).astype(np.float32), rng.integers(0, 3, 64)
    model = keras.Sequential([keras.Input((5,)), layers.Dense(8, activation=my_softplus,
                              kernel_initializer=my_glorot_initializer, kernel_constraint=my_positive_weights),
                              layers.Dense(3, activation="softmax")], seed=0)
    first = model.layers[0].kernel.numpy().copy()
    np.testing.assert_allclose(first, my_glorot_initializer((5, 8)))  # called as Keras calls it
    np.testing.assert_allclose(model.layers[0](x[:3]).numpy(), np.log1p(np.exp(x[:3] @ first)), rtol=1e-5)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=3, verbose=0)
    assert model.layers[0].kernel.numpy().min() >= 0                 # the constraint after every step
    model.save(tmp_path / "m.npz")
    again = keras.models.load_model(tmp_path / "m.npz", custom_objects={
        "my_softplus": my_softplus, "my_glorot_initializer": my_glorot_initializer,
        "my_positive_weights": my_positive_weights})
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(Exception, match="my_softplus.*custom_objects"):
        keras.models.load_model(tmp_path / "m.npz")


class NoisyWhenTraining(layers.Layer):
    """A call() that branches on training (keras.io's custom dropout): recorded, not traced."""

    def __init__(self, rate=0.5, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = keras.random.SeedGenerator(7)

    def call(self, inputs, training=None):
        if training:
            return keras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
        return inputs


def test_a_call_that_branches_on_training_runs_each_mode_as_written():
    x = np.ones((200, 10), np.float32)
    model = keras.Sequential([keras.Input((10,)), NoisyWhenTraining(0.5)], seed=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)               # inference: as it is
    dropped = model(x, training=True).numpy()
    assert set(np.unique(dropped)) == {0.0, 2.0} and 0.4 < (dropped == 0).mean() < 0.6
    model.compile("sgd", "mse")
    assert model.evaluate(x, x, verbose=0) == 0.0


class Squash(layers.Layer):
    """No weights, math in call(): inside another recorded call() it is recorded too."""

    def call(self, x):
        return x / (1 + ops.abs(x))


class SquashedBlock(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(4)
        self.squash = Squash()

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer="ones")

    def call(self, x):
        return self.scale * self.squash(self.dense(x))


def test_a_layer_of_your_own_inside_another_is_recorded_with_it():
    from glassnet.gradcheck import check_model
    model = keras.Sequential([keras.Input((3,)), SquashedBlock(), layers.Dense(2, activation="softmax")], seed=0)
    model.compile("sgd", "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).standard_normal((6, 3))
    assert check_model(model, x, np.array([0, 1, 0, 1, 0, 1])).passed
