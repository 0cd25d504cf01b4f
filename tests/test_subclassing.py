"""Keras's subclassing style: a Model (or a Layer) whose call() calls layers is traced into
a graph of layers (glassnet.engine.tracing), and trains, predicts and saves exactly as the
same graph written with the Functional API does."""

import warnings

import numpy as np
import pytest

import glassnet as keras
from glassnet import layers
from glassnet.errors import ExportError, ShapeError
from glassnet.gradcheck import check_model
from glassnet.engine.summary import summary_table
from glassnet.engine.summary_box import read_rows
from test_held_layers import Distiller     # keras.io's knowledge distillation, as written


class MLP(keras.Model):
    """The shape of the TensorFlow tutorials' subclassed model."""

    def __init__(self, hidden=16, **kwargs):
        super().__init__(**kwargs)
        self.flatten = layers.Flatten()
        self.hidden = layers.Dense(hidden, activation="relu")
        self.dropout = layers.Dropout(0.2)
        self.out = layers.Dense(10)

    def call(self, x, training=False):
        x = self.flatten(x)
        x = self.hidden(x)
        x = self.dropout(x, training=training)
        return self.out(x)


class Residual(layers.Layer):
    """A layer of layers: Dense + a skip connection (Keras's custom-block pattern)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(units, activation="relu")
        self.project = layers.Dense(units)

    def call(self, x):
        return self.project(self.inner(x)) + x


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 6, 6), dtype=np.float32), rng.integers(0, 10, n)


def functional_twin(model):
    """The same network written with the Functional API, sharing nothing but the weights."""
    inputs = keras.Input(shape=(6, 6))
    x = layers.Flatten()(inputs)
    x = layers.Dense(model.hidden.params["kernel"].shape[1], activation="relu")(x)
    x = layers.Dropout(0.2)(x)
    twin = keras.Model(inputs, layers.Dense(10)(x), seed=0)
    twin.set_weights(model.get_weights())
    return twin


def test_a_subclassed_model_trains_as_its_functional_twin_does():
    x, y = data()
    model = MLP(seed=0)
    assert not model.built and [type(l).__name__ for l in model.layers] == ["Flatten", "Dense", "Dropout", "Dense"]
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.build((None, 6, 6))
    assert [type(l).__name__ for l in model.layers] == ["Flatten", "Dense", "Dropout", "Dense"]   # as Keras lists them
    twin = functional_twin(model)
    twin.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                 metrics=["accuracy"])
    np.testing.assert_array_equal(model.predict(x, verbose=0), twin.predict(x, verbose=0))
    # Dropout's masks come from each model's generator: the same seed, the same masks.
    twin.rng = np.random.default_rng(1)
    model.rng = np.random.default_rng(1)
    for layer in twin.walk():
        layer.rng = twin.rng
    for layer in model.walk():
        layer.rng = model.rng
    h1 = model.fit(x, y, epochs=3, batch_size=16, verbose=0, shuffle=False)
    h2 = twin.fit(x, y, epochs=3, batch_size=16, verbose=0, shuffle=False)
    assert h1.history["loss"] == h2.history["loss"]
    assert h1.history["loss"][-1] < h1.history["loss"][0]
    np.testing.assert_array_equal(model.predict(x, verbose=0), twin.predict(x, verbose=0))
    assert model.name == "mlp" and model.count_params() == twin.count_params()


def test_train_on_batch_builds_a_subclass_without_a_false_warning():
    """The first batch builds the model; it has weights to train, and no warning says otherwise."""
    x, y = data(8)
    model = MLP(seed=0)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.train_on_batch(x, y)
    before = model.get_weights()
    model.train_on_batch(x, y)
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_training_reaches_the_layers_that_call_passes_it_to():
    x, _ = data(8)
    model = MLP(hidden=64, seed=0)
    first = model(x).numpy()                    # builds it (inference: no dropout)
    np.testing.assert_array_equal(first, model(x, training=False).numpy())
    assert not np.array_equal(first, model(x, training=True).numpy())   # dropout on


def test_gradients_of_a_traced_model_match_finite_differences():
    x, y = data(6)
    model = MLP(hidden=5, seed=0)
    model.build((6, 6))
    model.layers[-2].rate = 0.0        # the dropout: no randomness in a gradient check
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    check_model(model, x.astype(np.float64), y)


def test_a_layer_of_layers_is_one_layer_of_the_model_as_in_keras():
    """It was traced into the layers it calls (Flatten, Dense, Dense, Add, Dense), which Keras
    never shows, and whose weights a .keras file keeps elsewhere; it is one step now, its
    call() recorded, its layers its own."""
    x, y = data()
    block = Residual(36)
    model = keras.Sequential([keras.Input((6, 6)), layers.Flatten(), block, layers.Dense(10)], seed=0)
    assert [type(l).__name__ for l in model.sublayers] == ["Flatten", "Residual", "Dense"]
    assert model.layers[1].count_params() == 2 * (36 * 36 + 36)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=5, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before
    # On its own, on data, the block runs its call(): the same numbers as inside the model.
    flat = x.reshape(len(x), -1)
    inside = model.layer_outputs(x)[1][1]
    np.testing.assert_allclose(block(flat).numpy(), inside, rtol=1e-6)
    # In the Functional API too, and in a subclassed model.
    inputs = keras.Input((36,))
    functional = keras.Model(inputs, layers.Dense(3)(Residual(36)(inputs)))
    assert functional.predict(flat, verbose=0).shape == (64, 3)


def test_a_layer_of_layers_frozen_before_it_is_used_keeps_its_layers_frozen():
    block = Residual(4)
    block.trainable = False                   # before its layers are known to be its own
    model = keras.Sequential([keras.Input((4,)), block, layers.Dense(2)], seed=0)
    model.compile("adam", "mse")
    kernel = block.inner.params["kernel"].copy()
    model.fit(np.ones((8, 4), np.float32), np.ones((8, 2), np.float32), epochs=2, verbose=0)
    np.testing.assert_array_equal(block.inner.params["kernel"], kernel)
    assert len(model.trainable_weights) == 2


def test_gradients_through_a_layer_of_layers_match_finite_differences():
    rng = np.random.default_rng(0)
    model = keras.Sequential([keras.Input((4,)), Residual(4), layers.Dense(3)], seed=0)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    check_model(model, rng.standard_normal((5, 4)), rng.integers(0, 3, 5))


def test_a_subclassed_model_saves_as_its_graph_and_loads_without_its_class(tmp_path):
    x, y = data()
    model = MLP(seed=0)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "mlp.npz"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(loaded) is keras.Model
    model.save(tmp_path / "mlp.keras")
    again = keras.models.load_model(tmp_path / "mlp.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_summary_before_and_after_the_trace():
    model = MLP()
    assert "not built yet: 4 layers" in summary_table(model)
    assert "not built yet: 1 layer;" in summary_table(keras.Sequential([layers.Dense(3)]))
    model.build((None, 6, 6))
    text = summary_table(model)
    assert 'Model: "mlp"' in text and "Total params: 762" in text
    with pytest.raises(ShapeError, match=r"\(None, 6, 6\) but got \(2, 7, 7\)"):
        model.predict(np.zeros((2, 7, 7)), verbose=0)


class BranchesOnTraining(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(3)

    def call(self, x, training=False):
        if training:
            x = x * 2
        return self.dense(x)


class NumPyInCall(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(3)

    def call(self, x):
        return self.dense(np.tanh(x))


class SquaresInCall(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(3)

    def call(self, x):
        return self.dense(x ** 2)


class ReturnsNothing(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(3)

    def call(self, x):
        self.dense(x)


class ArithmeticLayer(layers.Layer):
    """Keras's other custom layer: its own weights and math in call(). No backward here."""

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        self.w = self.add_weight("w", (input_shape[-1], 2), "glorot_uniform")

    def call(self, x):
        return x @ self.w


@pytest.mark.parametrize("cls, math", [
    (BranchesOnTraining, lambda x, training: 2 * x if training else x),
    (NumPyInCall, lambda x, training: np.tanh(x)),
    (SquaresInCall, lambda x, training: x ** 2),
])
def test_a_models_call_that_computes_is_recorded_and_runs_as_in_keras(cls, math):
    """What tracing can't turn into layers (``if training:``, NumPy on the input, ``x ** 2``)
    runs recorded, as one step, and differentiates exactly."""
    model = cls()
    x = np.random.default_rng(0).random((4, 4))
    for training in (False, True):
        y = np.asarray(model(x, training=training))
        dense = model.dense
        expected = math(x, training) @ dense.params["kernel"] + dense.params["bias"]
        # float32 against float64: an output near 0 (the weights are drawn afresh) needs atol
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    model.compile("sgd", "mse")
    report = check_model(model, x, np.ones((4, 3)))
    assert report.passed, report


def test_a_call_that_returns_nothing_is_refused_with_the_reason():
    with pytest.raises(TypeError, match=r"ReturnsNothing\.call\(\) returned None"):
        ReturnsNothing().predict(np.ones((2, 4)), verbose=0)


def test_a_layer_with_math_in_call_and_no_backward_is_recorded_and_trains():
    assert ArithmeticLayer()(keras.Input((4,))).shape == (None, 2)      # one recorded step
    x = np.random.default_rng(0).random((32, 4)).astype(np.float32)
    model = keras.Sequential([keras.Input((4,)), ArithmeticLayer()], seed=0)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    history = model.fit(x, x[:, :2] - x[:, 2:], epochs=100, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]

    class NoForward(layers.Layer):
        pass

    model = keras.Sequential([keras.Input((4,)), NoForward()])
    with pytest.raises(NotImplementedError, match="NoForward has no forward"):
        model.predict(np.ones((1, 4)), verbose=0)


def test_a_model_without_call_still_needs_inputs_and_outputs():
    with pytest.raises(TypeError, match=r"Model\(inputs, outputs\)"):
        keras.Model()


class BlockBuiltLate(layers.Layer):
    """Keras's other habit: the inner layers made in build(self, input_shape)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        assert input_shape[0] is None               # Keras's batch-inclusive shape
        self.dense = layers.Dense(self.units, activation="relu")

    def call(self, x):
        return self.dense(x)


class Scale(layers.Layer):
    """A weight layer with Keras's build(self, input_shape) and glassnet's two passes."""

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(input_shape[-1],), initializer="random_normal")

    def forward(self, x, training=False):
        self.x = x
        return x * self.params["w"]

    def backward(self, dy):
        np.sum(dy * self.x, axis=0, out=self.grads["w"])
        return dy * self.params["w"]


def test_keras_style_build_gets_the_batch_axis_and_the_model_seed():
    x = np.random.default_rng(0).random((4, 5), dtype=np.float32)

    def make():
        return keras.Sequential([keras.Input((5,)), BlockBuiltLate(3), Scale(), layers.Dense(2)], seed=7)

    a, b = make(), make()
    assert a.layers[1].input_shape == (3,) and a.layers[1].built
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))   # one seed, one model
    from glassnet.gradcheck import check_layer
    check_layer(Scale(), (5,))


# -- layer(x, training=...): a call that fixes its mode, as Keras 3 honours it ------------
# Keras 3 (functional.py's operation_fn): the mode the model runs in wins (fit: training,
# predict and evaluate: inference); a call's own training= counts in model(x).
def test_a_call_with_training_true_keeps_dropout_on_in_model_x(tmp_path):
    inputs = keras.Input((20,))
    x = layers.Dense(20)(inputs)
    outputs = layers.Dropout(0.5)(x, training=True)          # Monte Carlo dropout
    model = keras.Model(inputs, outputs, seed=0)
    x = np.ones((3, 20), np.float32)
    assert not np.array_equal(model(x).numpy(), model(x).numpy())
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    path = tmp_path / "mc.npz"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.get_config()["layers"][-1]["inbound_nodes"][0][0][3] == {"training": True}
    assert not np.array_equal(loaded(x).numpy(), loaded(x).numpy())
    from glassnet.interop.keras_graph import model_to_keras
    keras_layers = model_to_keras(model)["config"]["layers"]
    assert keras_layers[-1]["inbound_nodes"][0]["kwargs"] == {"training": True}


def test_a_base_model_called_with_training_false_is_in_inference_in_model_x_only():
    base = keras.Sequential([keras.Input((6,)), layers.Dense(8), layers.Dropout(0.9)], seed=0)
    inputs = keras.Input((6,))
    model = keras.Model(inputs, layers.Dense(2)(base(inputs, training=False)), seed=0)
    x = np.random.default_rng(0).random((4, 6), dtype=np.float32)
    np.testing.assert_array_equal(model(x).numpy(), model(x, training=False).numpy())
    assert not np.array_equal(model(x, training=True).numpy(), model(x).numpy())


class AlwaysDropping(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(16)
        self.dropout = layers.Dropout(0.5)
        self.block = BlockWithDropout()

    def call(self, x, training=False):
        return self.block(self.dropout(self.dense(x), training=True), training=False)


class BlockWithDropout(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dropout = layers.Dropout(0.5)

    def call(self, x):                      # doesn't pass training on: the caller's mode reaches it
        return self.dropout(x)


def test_fixed_modes_in_a_traced_call_reach_the_layers_and_the_layers_inside():
    model = AlwaysDropping()
    x = np.ones((2, 4), np.float32)
    model.build((None, 4))
    modes = [step.training for step in model._steps]
    assert modes == [None, True, False]                 # dense, dropout, the block's dropout
    assert not np.array_equal(model(x).numpy(), model(x).numpy())
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(TypeError, match="training= must be True, False or None"):
        layers.Dense(2)(keras.Input((3,)), training="yes")


def test_keras_files_carry_a_calls_training_and_nothing_else():
    from glassnet.interop.keras_graph import model_from_keras, model_to_keras
    from glassnet.interop.keras_objects import Unsupported, _Reading
    base = keras.Sequential([keras.Input((6,)), layers.Dense(8), layers.Dropout(0.5)])
    inputs = keras.Input((6,))
    model = keras.Model(inputs, layers.Dense(2)(base(inputs, training=False)))
    spec = model_to_keras(model)
    again = keras.Model.from_config(model_from_keras(spec, _Reading([]))["config"])
    assert [step.training for step in again._steps] == [False, None]
    spec["config"]["layers"][1]["inbound_nodes"][0]["kwargs"] = {"mask": [[True]]}
    with pytest.raises(Unsupported, match="mask=..., which glassnet can't pass"):
        model_from_keras(spec, _Reading([]))
    spec["config"]["layers"][1]["inbound_nodes"][0]["kwargs"] = {"training": "no"}
    with pytest.raises(Unsupported, match="training='no'"):
        model_from_keras(spec, _Reading([]))


# -- numbers, activation functions and Lambda on placeholders -------------------------------
def test_arithmetic_with_numbers_and_activation_functions_become_layers():
    import glassnet as tf
    inputs = keras.Input((4,))
    x = 2 * (inputs / 255.0) - 1                          # Rescaling layers
    x = tf.nn.relu(-x + 0.5)
    outputs = keras.activations.softmax(layers.Dense(3)(x))
    model = keras.Model(inputs, outputs, seed=0)
    kinds = [type(layer).__name__ for layer in model.sublayers]
    assert kinds == ["Rescaling"] * 5 + ["ReLU", "Dense", "Softmax"]
    pixels = np.array([[0, 51, 204, 255]], np.float32)
    expected = np.maximum(-(2 * pixels / 255 - 1) + 0.5, 0)
    np.testing.assert_allclose(model.layer_outputs(pixels)[5][1], expected, rtol=1e-6)
    model.compile(loss="sparse_categorical_crossentropy")
    assert model._fused is not None                      # the softmax still meets the loss
    with pytest.raises(TypeError, match="only with a number"):
        inputs / inputs
    with pytest.raises(ZeroDivisionError):
        inputs / 0


def test_a_lambda_is_traced_into_layers_and_saved_as_them(tmp_path):
    import glassnet as tf
    x, y = data()
    model = keras.Sequential([
        keras.Input((6, 6)),
        layers.Lambda(lambda v: v / 255.0),
        layers.Flatten(),
        Residual(36),
        layers.Dense(10),
        layers.Lambda(lambda v, power: tf.nn.softmax(v * power), arguments={"power": 1.0}),
    ], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x * 255, y, epochs=2, verbose=0)
    assert np.allclose(layers.Lambda(lambda v: v / 255.0)(np.full((1, 2), 51.0)), 0.2)   # on arrays
    for path in (tmp_path / "m.npz", tmp_path / "m.keras"):
        model.save(path)
        loaded = keras.models.load_model(path)
        assert type(loaded) is keras.Model
        np.testing.assert_allclose(loaded.predict(x * 255, verbose=0), model.predict(x * 255, verbose=0), rtol=1e-5)
    with pytest.raises(TypeError, match="its function is Python code"):
        model.layers[0].get_config()
    with pytest.raises(TypeError, match=r"layer 'lambda_3' \(Lambda\).*np.arctan"):   # the session's fourth Lambda
        keras.Sequential([keras.Input((3,)), layers.Lambda(lambda v: np.arctan(v))])
    with pytest.raises(ShapeError, match=r"output_shape=\(None, 4\), but the function gives \(None, 3\)"):
        keras.Sequential([keras.Input((3,)), layers.Lambda(lambda v: np.tanh(v), output_shape=(None, 4))])
    with pytest.raises(ShapeError, match=r"output_shape=\(None, 4\), but the function gives \(None, 3\)"):
        layers.Lambda(lambda v: v * 2, output_shape=(None, 4))(keras.Input((3,)))
    # On a list of inputs (a siamese network's difference, say): the function gets the list.
    a, b = keras.Input((3,)), keras.Input((3,))
    joined = keras.Model([a, b], layers.Lambda(lambda pair: pair[0] - 2 * pair[1])([a, b]))
    ones = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(joined.predict([3 * ones, ones], verbose=0), ones)
    np.testing.assert_allclose(layers.Lambda(lambda pair: pair[0] * pair[1])([3 * ones, 2 * ones]), 6 * ones)


def test_keras_ops_of_their_own_match_keras_values():
    """The ops that are not NumPy's under the same name; the figures are Keras 3.15's."""
    from glassnet import ops
    x = np.array([[0.1, 0.7, 0.2, 0.7], [3.0, -1.0, 2.0, 0.5]], np.float32)
    values, indices = ops.top_k(x, 2)
    np.testing.assert_allclose(values, [[0.7, 0.7], [3.0, 2.0]])
    assert indices.tolist() == [[1, 3], [0, 2]] and indices.dtype == np.int32   # ties: the first first
    assert ops.in_top_k(np.array([3, 1]), x, 2).tolist() == [True, False]
    np.testing.assert_allclose(ops.logsumexp(x, axis=-1), [1.8491, 3.38409], rtol=1e-5)
    assert float(ops.logsumexp(np.array([1000.0, 1000.0]))) == pytest.approx(1000 + np.log(2))
    np.testing.assert_allclose(ops.norm(x, axis=-1), [1.01489, 3.77492], rtol=1e-5)
    mean, variance = ops.moments(x, axes=[0])
    np.testing.assert_allclose(variance, [2.1025, 0.7225, 0.81, 0.01], rtol=1e-5)
    assert ops.dtype(x) == "float32" and not ops.is_tensor(x) and ops.is_tensor(keras.Input((2,)))
    assert float(ops.gelu(np.float32(1.0))) == pytest.approx(0.841192, abs=1e-6)   # tanh's, as Keras's ops
    np.testing.assert_allclose(ops.sparse_categorical_crossentropy(np.array([1, 0]), np.array(
        [[0.2, 0.8], [0.6, 0.4]], np.float32)), [0.22314, 0.51083], rtol=1e-4)


def test_keras_ops_are_numpy_on_arrays_and_layers_on_placeholders():
    from glassnet import ops
    scores = np.array([[0.1, 2.0, -1.0], [3.0, 0.0, 0.5]], np.float32)
    assert list(ops.argmax(scores, axis=-1)) == [1, 0]
    np.testing.assert_allclose(ops.softmax(scores).sum(-1), 1, rtol=1e-6)
    np.testing.assert_array_equal(ops.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    assert ops.convert_to_numpy(ops.convert_to_tensor(scores)).dtype == np.float32
    assert ops.mean(scores) == scores.mean() and ops.shape(scores) == (2, 3)
    with pytest.raises(AttributeError, match="glassnet.ops has no 'no_such_op'"):
        ops.no_such_op
    inputs = keras.Input((4, 4))
    x = ops.reshape(inputs, (-1, 16))
    x = ops.concatenate([ops.relu(x), ops.multiply(x, 0.5)], axis=-1)
    model = keras.Model(inputs, ops.divide(layers.Dense(2)(x), 4))
    assert [type(l).__name__ for l in model.sublayers] == ["Reshape", "ReLU", "Rescaling", "Concatenate",
                                                            "Dense", "Rescaling"]
    with pytest.raises(ValueError, match="batch axis"):
        ops.reshape(inputs, (16,))
    import glassnet as tf
    assert tf.keras.ops is ops


def test_ops_and_layers_compute_in_float32_as_keras_does():
    """keras.io's subclassing guide feeds its layers ``ops.ones((2, 2))``: Keras makes float32
    (glassnet made NumPy's float64, and a layer called on float64 answered float64)."""
    from glassnet import ops
    made = [ops.ones((2,)), ops.zeros((2,)), ops.full((2,), 1.5), ops.eye(2), ops.identity(2),
            ops.linspace(0, 1, 3), ops.arange(0.0, 1.0, 0.5), ops.convert_to_tensor([1.0, 2.0])]
    assert [a.dtype for a in made] == [np.float32] * len(made)
    assert ops.arange(5).dtype == np.int32 and ops.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert ops.arange(2, 10, 3).tolist() == [2, 5, 8] and ops.convert_to_tensor([1, 2]).dtype == np.int32
    assert ops.convert_to_tensor(np.ones(2)).dtype == np.float64          # an array keeps its own
    assert ops.ones((2,), dtype="int32").dtype == np.int32
    for layer in (layers.Dense(2), layers.BatchNormalization(), layers.LayerNormalization()):
        assert layer(np.ones((2, 3))).dtype == np.float32
    assert layers.Conv2D(2, 1)(np.ones((1, 2, 2, 1))).dtype == np.float32
    embedded = layers.Embedding(5, 2)(np.array([[1, 4]]))                 # token ids stay ids
    assert embedded.shape == (1, 2, 2) and embedded.dtype == np.float32


def test_keras_ops_on_placeholders_are_steps_of_the_graph_as_in_keras(tmp_path):
    """Keras 3 draws ``ops.exp(x)``, ``ops.mean(x, axis=-1)`` and ``x[:, :2]`` on a Functional
    model's placeholders as steps named ``exp (Exp)``...; glassnet said "a placeholder has no
    values yet". They train (the math recorded) and travel in .npz files."""
    from glassnet import ops

    inputs = keras.Input((4,))
    x = layers.Dense(4)(inputs)
    y = ops.mean(ops.exp(x) + ops.square(x), axis=-1, keepdims=True)
    outputs = layers.concatenate([y, x[:, :2], ops.expand_dims(ops.sum(x, axis=1), -1),
                                  ops.cast(ops.maximum(x[:, 3:], 0.0), "float32")])
    model = keras.Model(inputs, outputs, seed=0)
    assert model.output_shape == (None, 5) and ops.shape(x) == (None, 4)
    table = summary_table(model)
    assert "exp (Exp)" in table and "mean (Mean)" in table and "get_item (GetItem)" in table
    data = np.random.default_rng(0).random((32, 4)).astype(np.float32)
    dense = model.get_layer("dense").params
    h = data @ dense["kernel"] + dense["bias"]
    expected = np.concatenate([np.mean(np.exp(h) + h ** 2, -1, keepdims=True), h[:, :2], h.sum(1, keepdims=True),
                               np.maximum(h[:, 3:], 0)], axis=-1)
    np.testing.assert_allclose(model.predict(data, verbose=0), expected, rtol=1e-5)
    model.compile("adam", "mse")
    report = check_model(model, data[:4].astype(np.float64), expected[:4] * 0.5)     # the ops' gradients
    assert report.passed, report
    history = model.fit(data, np.zeros((32, 5), np.float32), epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "m.npz")
    again = keras.models.load_model(tmp_path / "m.npz")
    np.testing.assert_allclose(again.predict(data, verbose=0), model.predict(data, verbose=0), rtol=1e-6)
    with pytest.raises(ExportError, match=r"layer 'exp' is ops.exp on a placeholder.*\.npz"):
        model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="ops.mean on placeholders would mix the samples.*axis="):
        ops.mean(x)
    with pytest.raises(TypeError, match="first index is the batch axis"):
        x[0]


def test_clone_model_copies_the_traced_graph():
    model = keras.Sequential([keras.Input((6, 6)), layers.Lambda(lambda v: v / 255.0), layers.Flatten(),
                              layers.Dense(3)])
    subclassed = MLP()
    subclassed.build((None, 6, 6))
    for original in (model, subclassed):
        clone = keras.models.clone_model(original)
        assert [type(l).__name__ for l in clone.sublayers] == [type(l).__name__ for l in original.sublayers]
        assert clone.count_params() == original.count_params()


class TwoInputs(keras.Model):
    def __init__(self):
        super().__init__()
        self.left, self.right = layers.Dense(8, activation="relu"), layers.Dense(8, activation="relu")
        self.out = layers.Dense(3)

    def call(self, inputs):
        a, b = inputs
        return self.out(layers.concatenate([self.left(a), self.right(b)]))


class Outer(keras.Model):
    """A subclassed model inside another: a nested model of the graph, not inlined."""

    def __init__(self):
        super().__init__()
        self.inner = MLP(hidden=5)
        self.head = layers.Dense(3)

    def call(self, x, training=None):
        return self.head(self.inner(x, training=training))


def test_two_inputs_and_a_subclassed_model_inside_another(tmp_path):
    rng = np.random.default_rng(0)
    a, b, y = rng.random((30, 4)), rng.random((30, 6)), rng.integers(0, 3, 30)
    model = TwoInputs()
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit([a, b], y, epochs=1, verbose=0)
    assert model.sample_shapes == [(4,), (6,)] and model.predict([a, b], verbose=0).shape == (30, 3)
    x, _ = data(30)
    outer = Outer()
    outer.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    outer.fit(x, y, epochs=1, verbose=0)
    assert [type(l).__name__ for l in outer.sublayers] == ["MLP", "Dense"]
    outer.save(tmp_path / "outer.npz")
    loaded = keras.models.load_model(tmp_path / "outer.npz")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), outer.predict(x, verbose=0))


def test_arithmetic_on_placeholders_computes_what_it_does_on_arrays():
    """Any chain of +, -, * and / with numbers, traced into Rescaling layers, gives the
    numbers NumPy gives on the arrays themselves."""
    pytest.importorskip("hypothesis", reason="hypothesis is not installed (pip install '.[test]')")
    from hypothesis import given, settings, strategies as st

    numbers = st.floats(-4, 4, allow_nan=False).filter(lambda v: abs(v) > 1e-2)
    step = st.tuples(st.sampled_from(["+", "r+", "-", "r-", "*", "r*", "/", "neg"]), numbers)

    def apply(value, op, number):
        return {"+": lambda: value + number, "r+": lambda: number + value, "-": lambda: value - number,
                "r-": lambda: number - value, "*": lambda: value * number, "r*": lambda: number * value,
                "/": lambda: value / number, "neg": lambda: -value}[op]()

    @settings(max_examples=40, deadline=None)
    @given(st.lists(step, min_size=1, max_size=5))
    def check(steps):
        inputs = keras.Input((3,))
        traced = inputs
        x = np.array([[0.5, -1.0, 2.0]])
        expected = x.copy()
        for op, number in steps:
            traced, expected = apply(traced, op, number), apply(expected, op, number)
        model = keras.Model(inputs, traced)
        assert all(type(layer).__name__ == "Rescaling" for layer in model.sublayers)
        np.testing.assert_allclose(model.predict(x.astype(np.float32), verbose=0), expected, rtol=1e-4, atol=1e-4)

    check()


class CustomDense(layers.Layer):
    """keras.io's custom layer, word for word: its own weights and math in call()."""

    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        from glassnet import ops
        return ops.matmul(inputs, self.w) + self.b


def test_keras_3_add_weight_and_a_call_with_math_of_its_own():
    layer = CustomDense(3)
    out = layer(np.ones((2, 4), np.float32))                  # on data, call() runs as written
    # float32 against float64: a sum of four random weights near zero keeps ~1e-8 absolute
    np.testing.assert_allclose(out, np.ones((2, 4)) @ layer.params["variable"] + layer.params["variable_1"],
                               rtol=1e-6, atol=1e-6)
    assert CustomDense(3)(keras.Input((4,))).shape == (None, 3)      # in a graph: recorded (test_autodiff)
    plain = layers.Layer()
    plain.build((3,), np.random.default_rng(0))
    w = plain.add_weight((3, 2), regularizer=keras.regularizers.L2(0.1))     # Keras 3's order
    assert w.shape == (3, 2) and np.abs(w).max() > 0                        # glorot_uniform, not zeros
    assert plain.regularization_loss() == pytest.approx(0.1 * float(np.sum(w.astype(np.float64) ** 2)), rel=1e-5)
    with pytest.raises(ValueError, match="constraint= is not supported"):
        plain.add_weight((2,), constraint="non_neg")


@pytest.mark.parametrize("options", [{"training": "yes"}, {"mask": True}, "training", [1, 2]])
def test_a_file_whose_call_arguments_are_not_training_is_one_model_file_error(tmp_path, options):
    import json
    from glassnet.errors import ModelFileError
    inputs = keras.Input((4,))
    model = keras.Model(inputs, layers.Dropout(0.5)(layers.Dense(3)(inputs), training=True))
    model.save(tmp_path / "good.npz")
    with np.load(tmp_path / "good.npz") as archive:
        arrays = {key: archive[key] for key in archive.files}
    config = json.loads(arrays.pop("config").tobytes())
    config["model"]["config"]["layers"][-1]["inbound_nodes"][0][0][3] = options
    arrays["config"] = np.frombuffer(json.dumps(config).encode(), np.uint8)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ModelFileError, match="bad.npz.*(only training=True/False|can't)"):
        keras.models.load_model(tmp_path / "bad.npz")


def test_the_plain_layer_base_class_is_not_a_layer_of_layers():
    inputs = keras.Input((3,))
    outputs = layers.Layer()(inputs)            # the identity, as a base Layer computes nothing else
    assert outputs.shape == (None, 3) and not layers.Layer.traces_call


class PenalizedLogits(MLP):
    """keras.io's "Customizing fit()": compute_loss overridden to add a term of its own,
    tracked by a metric kept as an attribute."""

    def __init__(self, weight=0.1, **kwargs):
        super().__init__(**kwargs)
        self.weight = weight
        self.penalty_tracker = keras.metrics.Mean(name="penalty")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = super().compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training)
        penalty = self.weight * keras.ops.mean(keras.ops.square(y_pred))
        self.penalty_tracker.update_state(penalty)
        return loss + penalty


def penalized_loss(model, x, y):
    """What PenalizedLogits' compute_loss computes, written out with NumPy."""
    logits = model.predict(x, verbose=0).astype(np.float64)
    logits -= logits.max(axis=1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    raw = model.predict(x, verbose=0).astype(np.float64)
    return -log_p[np.arange(len(y)), y].mean() + model.weight * np.mean(raw ** 2)


def test_an_overridden_compute_loss_is_trained_on_logged_and_differentiated():
    x, y = data()
    model = PenalizedLogits(weight=0.5, seed=0)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "penalty", "val_accuracy", "val_loss", "val_penalty"]
    assert model.metrics_names == ["loss", "accuracy", "penalty"]
    results = model.evaluate(x, y, verbose=0, return_dict=True)
    assert results["loss"] == pytest.approx(penalized_loss(model, x, y), rel=1e-5)    # the term is in the loss
    assert results["penalty"] == pytest.approx(0.5 * np.mean(model.predict(x, verbose=0).astype(np.float64) ** 2),
                                               rel=1e-5)
    # the gradient is the override's, term included, to finite differences
    report = check_model(model, x[:8], y[:8])
    assert report.passed, report


def test_the_penalty_term_changes_what_is_learned():
    """Without its gradient the override would train as the plain model does, bit for bit."""
    x, y = data()
    plain, penalized = MLP(seed=0), PenalizedLogits(weight=10.0, seed=0)
    for model in (plain, penalized):
        model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert np.all(np.diff(history.history["penalty"]) < 0)                    # pushed down, epoch after epoch
    assert np.abs(penalized.predict(x, verbose=0)).mean() < 0.85 * np.abs(plain.predict(x, verbose=0)).mean()


class SoftmaxPenalized(keras.Model):
    """A softmax output (which glassnet otherwise fuses with the loss) and a penalty on it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.flatten = layers.Flatten()
        self.out = layers.Dense(10, activation="softmax")

    def call(self, x):
        return self.out(self.flatten(x))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        confident = keras.ops.sum(y_pred * keras.ops.log(y_pred + 1e-7), axis=-1)   # minus the entropy
        return super().compute_loss(x, y, y_pred, sample_weight, training) + 0.1 * keras.ops.mean(confident)


def test_an_override_on_a_softmax_output_gets_the_probabilities_and_their_gradient():
    x, y = data(16)
    model = SoftmaxPenalized(seed=0)
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert model._fused is None            # the override sees the probabilities, not the logits
    report = check_model(model, x[:8], y[:8])
    assert report.passed, report


class ReturnsAConstant(MLP):
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return 1.0


class OwnTrainStep(MLP):
    def train_step(self, data):              # Keras's: a GradientTape inside (tests/test_gradient_tape.py)
        raise AssertionError(f"fit called train_step with {type(data).__name__}")


def test_what_glassnet_cannot_train_on_is_refused_in_one_line():
    x, y = data(16)
    model = ReturnsAConstant(seed=0)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(keras.errors.TrainingError, match=r"compute_loss\(\) must return one number computed "
                                                         r"from y_pred"):
        model.fit(x, y, epochs=1, verbose=0)
    model = OwnTrainStep(seed=0)             # a Keras train_step(data) of your own is run, as Keras runs it
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(AssertionError, match="fit called train_step with tuple"):
        model.fit(x, y, epochs=1, verbose=0)


class TwoOutputs(layers.Layer):
    """keras.io's Encoder: a layer of layers that returns several outputs."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(4, activation="tanh")
        self.code = layers.Dense(3)

    def call(self, x):
        h = self.hidden(x)
        return h, self.code(h)


class PenalizedAutoencoder(keras.Model):
    """keras.io's VariationalAutoEncoder, without the sampling: math in a Model's call(),
    a term given to self.add_loss, and an encoder with two outputs."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoder = TwoOutputs()
        self.decoder = layers.Dense(6)

    def call(self, x):
        h, z = self.encoder(x)
        self.add_loss(0.1 * keras.ops.mean(keras.ops.square(z)))
        return self.decoder(z) * 2.0 + keras.ops.mean(h)


def test_a_model_whose_call_computes_runs_recorded_and_trains(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((16, 6)).astype(np.float32)
    model = PenalizedAutoencoder(seed=0)
    model.compile(keras.optimizers.Adam(0.01), "mse")
    history = model.fit(x, x, epochs=20, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert model.count_params() == 6 * 4 + 4 + 4 * 3 + 3 + 3 * 6 + 6
    assert [w.shape for w in model.get_weights()] == [(6, 4), (4,), (4, 3), (3,), (3, 6), (6,)]   # Keras's order
    mse = float(np.mean((model.predict(x, verbose=0) - x) ** 2))
    (added,) = model.losses
    assert model.evaluate(x, x, verbose=0) == pytest.approx(mse + added, rel=1e-5)   # the add_loss term counts
    report = check_model(model, x[:8], x[:8])          # math, the added term and both outputs, differentiated
    assert report.passed, report
    for name in ("w.weights.h5", "w.weights.npz"):     # its weights travel (Keras's layout: by attribute name)
        model.save_weights(tmp_path / name)
        again = PenalizedAutoencoder(seed=1)
        again(x[:1])
        again.load_weights(tmp_path / name)
        np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ExportError, match=r"computes in its call\(\).*save_weights"):
        model.save(tmp_path / "m.keras")


def test_the_layers_a_recorded_call_builds_are_drawn_from_the_models_seed():
    """They were first built from the global counter of the symbolic call (another model made
    in between changed them): Model(seed=0) was not the same model twice."""
    x = np.ones((2, 6), np.float32)
    first = PenalizedAutoencoder(seed=0)
    first(x)
    layers.Dense(3)(keras.Input((2,)))                  # something else built in between
    second = PenalizedAutoencoder(seed=0)
    second(x)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


class SquaredProjection(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(3)

    def call(self, x):
        return self.dense(x) ** 2


def test_the_layers_inside_a_recorded_layer_are_drawn_from_the_models_seed():
    def make():
        inputs = keras.Input((4,))
        return keras.Model(inputs, SquaredProjection()(inputs), seed=0)

    first = make()
    layers.Dense(3)(keras.Input((2,)))
    second = make()
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


class TwoDense(layers.Layer):
    """Géron's ResidualBlock: a layer of layers, traced into the model's graph."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.hidden = [layers.Dense(units, activation="relu") for _ in range(2)]

    def call(self, x):
        z = x
        for layer in self.hidden:
            z = layer(z)
        return x + z


@pytest.mark.parametrize("freeze_before", [False, True])
def test_a_traced_layer_of_layers_owns_its_weights_and_freezing_it_freezes_them(freeze_before):
    """It reported no weights, and trainable = False on it did nothing: fit moved them (silent)."""
    block = TwoDense(4)
    if freeze_before:
        block.trainable = False
    inputs = keras.Input((4,))
    model = keras.Model(inputs, layers.Dense(1)(block(inputs)), seed=0)
    assert [w.shape for w in block.get_weights()] == [(4, 4), (4,), (4, 4), (4,)]
    block.trainable = False
    model.compile("adam", "mse")
    before = [w.copy() for w in block.get_weights()]
    model.fit(np.random.default_rng(0).random((16, 4)), np.ones((16, 1)), epochs=2, verbose=0)
    for a, b in zip(before, block.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.count_params() == 45 and len(model.trainable_weights) == 2


class KerasDense(layers.Layer):
    """The Functional API guide's CustomDense: weights made in build() without names."""

    def __init__(self, units):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units))
        self.b = self.add_weight(shape=(self.units,))

    def call(self, x):
        return keras.ops.matmul(x, self.w) + self.b


def test_unnamed_weights_are_made_again_not_added_when_the_model_redraws_them():
    """The model draws its layers' weights again from its seed: the guide's CustomDense had
    100 parameters instead of 50, half of them never trained (silent)."""
    inputs = keras.Input((4,))
    model = keras.Model(inputs, KerasDense(10)(inputs), seed=0)
    assert model.count_params() == 50
    layer = model.layers[1]
    assert np.shares_memory(np.asarray(layer.w), layer.params["variable"])     # self.w is the live weight


def test_a_model_of_your_own_class_is_named_after_it_as_in_keras():
    class EncoderModel(keras.Model):
        def __init__(self):
            inputs = keras.Input((3,))
            super().__init__(inputs, layers.Dense(2)(inputs))

    assert EncoderModel().name == "encoder_model"
    inputs = keras.Input((3,))
    assert keras.Model(inputs, layers.Dense(2)(inputs)).name == "functional"


def test_get_layer_finds_a_subclass_attribute_whatever_its_call_became():
    """keras.io's VAE asks ``vae.get_layer("encoder")``; the call here computes (add_loss), so
    it runs recorded as one step, and the encoder is still found by its name."""
    class Encoder(layers.Layer):
        def __init__(self, name="encoder", **kwargs):
            super().__init__(name=name, **kwargs)
            self.dense = layers.Dense(8)

        def call(self, x):
            return self.dense(x)

    class AutoEncoder(keras.Model):
        def __init__(self):
            super().__init__(name="autoencoder")
            self.encoder = Encoder()
            self.decoder = layers.Dense(4, name="decoder")

        def call(self, x):
            code = self.encoder(x)
            self.add_loss(1e-3 * keras.ops.sum(code ** 2))
            return self.decoder(code)

    model = AutoEncoder()
    model(np.ones((1, 4), np.float32))
    assert model.get_layer("encoder") is model.encoder and model.get_layer("decoder") is model.decoder
    with pytest.raises(ValueError, match="has no layer named 'nothing'"):
        model.get_layer("nothing")


class ResidualBlock(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(units, activation="relu")
        self.outer = layers.Dense(units)

    def call(self, x):
        return x + self.outer(self.inner(x))


class BlockModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stem = layers.Dense(8)
        self.blocks = [ResidualBlock(8), ResidualBlock(8)]
        self.head = layers.Dense(2)
        self.spare = layers.Dense(3)          # held, never called: Keras lists it all the same

    def call(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def test_a_subclassed_models_layers_are_the_layers_it_holds_as_keras_lists_them():
    """Keras 3.15 lists the layers a subclass holds, in the order they were set, a block of
    your own as one entry, named before the model is built; summary() shows the same rows.
    The names are counted across the session, as in Keras: the blocks' Dense layers are
    dense_1 to dense_4, so the head is dense_5."""
    model = BlockModel()
    expected = ["dense", "residual_block", "residual_block_1", "dense_5", "dense_6"]
    assert [layer.name for layer in model.layers] == expected
    model(np.zeros((2, 5), np.float32))
    assert [layer.name for layer in model.layers] == expected
    assert [type(layer).__name__ for layer in model.graph_layers] == ["Dense", "ResidualBlock", "ResidualBlock",
                                                                      "Dense"]
    assert model.layers[1].inner is model.blocks[0].inner
    assert model.get_layer("residual_block_1") is model.blocks[1]
    table = summary_table(model)
    rows = [cells[0].split()[0] for cells in read_rows(table)[1:]]
    assert rows == expected, table
    block_row = next(" ".join(cells).split() for cells in read_rows(table) if cells[0].startswith("residual_block "))
    assert block_row == ["residual_block", "(ResidualBlock)", "(None,", "8)", "144"]     # one step, as Dense
    assert f"Total params: {model.count_params():,}" in table


def test_an_unbuilt_model_s_summary_is_keras_s_table_of_question_marks():
    """Keras 3 prints the table of an unbuilt model, every shape "?" and "0 (unbuilt)"
    parameters; glassnet printed only a one-line notice."""
    text = summary_table(keras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(10)]))
    rows = [" ".join(cells).split() for cells in read_rows(text) if "(Dense)" in cells[0]]
    assert rows == [["dense", "(Dense)", "?", "0", "(unbuilt)"], ["dense_1", "(Dense)", "?", "0", "(unbuilt)"]]
    assert "Total params: 0" in text and text.endswith("known once it has an input shape or has seen data)")
    assert "Total params: 0" in summary_table(keras.Sequential([]))


def distiller(seed=0):
    teacher, student = (keras.Sequential([keras.Input((6, 6)), layers.Flatten(), layers.Dense(10)], seed=seed + k)
                        for k in (1, 2))
    model = Distiller(student, teacher)
    model.compile(optimizer="adam", metrics=["sparse_categorical_accuracy"])
    return model


def distilled_loss(model, x, y):
    """What Distiller.compute_loss computes, written out with NumPy."""
    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    student, teacher = (m.predict(x, verbose=0).astype(np.float64) for m in (model.student, model.teacher))
    cross_entropy = -np.log(softmax(student)[np.arange(len(y)), y]).mean()
    p, q = softmax(teacher / 4), softmax(student / 4)
    return 0.1 * cross_entropy + 0.9 * 16 * np.mean(np.sum(p * np.log(p / q), axis=1))


def test_a_compute_loss_without_training_is_called_as_keras_calls_it():
    """Keras passes training= only to a compute_loss that takes it (Trainer._compute_loss)."""
    x, y = data()
    model = distiller()
    model.teacher.trainable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # a frozen teacher: nothing to warn about
        history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    results = model.evaluate(x, y, verbose=0, return_dict=True)
    assert results["loss"] == pytest.approx(distilled_loss(model, x, y), rel=1e-5)


def test_a_model_that_compute_loss_calls_outside_call_trains_it_as_keras_does():
    """The teacher is one of the model's weights, and the distillation loss depends on it
    (tests/test_held_layers.py works out by how much it moves)."""
    x, y = data()
    model = distiller()
    before = model.teacher.get_weights()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.teacher.get_weights()))


def test_a_model_whose_call_computes_holding_a_layer_of_layers_with_a_weightless_layer_trains():
    """keras.io's subclassing guide: VariationalAutoEncoder's call() computes (add_loss), its
    Encoder is a layer of layers run inline, and the Encoder's Sampling has no weights nor
    shape of its own; drawing the weights again from the model's seed tried to build
    Sampling on no shape (TypeError: 'NoneType' object is not iterable)."""
    class Noise(layers.Layer):
        def call(self, inputs):
            mean, log_var = inputs
            return mean + keras.ops.exp(0.5 * log_var) * 0.1

    class Encoder(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.mean, self.log_var, self.noise = layers.Dense(2), layers.Dense(2), Noise()

        def call(self, inputs):
            mean, log_var = self.mean(inputs), self.log_var(inputs)
            return mean, log_var, self.noise((mean, log_var))

    class AutoEncoder(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.encoder, self.decoder = Encoder(), layers.Dense(6)

        def call(self, inputs):
            mean, log_var, z = self.encoder(inputs)
            self.add_loss(-0.5 * keras.ops.mean(log_var - keras.ops.square(mean) - keras.ops.exp(log_var) + 1))
            return self.decoder(z)

    x = np.random.default_rng(0).random((32, 6), dtype=np.float32)
    model = AutoEncoder(seed=0)
    model.compile("adam", "mse")
    history = model.fit(x, x, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert len(model.trainable_weights) == 6 and len(model.losses) == 1
