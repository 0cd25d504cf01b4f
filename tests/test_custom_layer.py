"""The documented path for your own layer (docs/custom_layers.md), followed step by step:
subclass Layer, implement forward/backward/output_shape, check it, train with it, save and
load it, through the registry and through ``custom_objects=``.
"""

import numpy as np
import pytest

from glassnet import Sequential, load_model
from glassnet.engine.layers import Dense, Flatten, Layer
from glassnet.engine.layers.base import LAYERS
from glassnet.errors import ModelFileError
from glassnet.gradcheck import check_layer
from glassnet.engine.summary import summary_table
from glassnet.engine.summary_box import read_rows


class LowRankDense(Layer):
    """A Dense layer with fewer weights: ``y = (x @ U) @ V + b``, with ``U, V`` of rank ``r``.

    Forward::

        h = x @ U          # (N, D) @ (D, r) -> (N, r)
        y = h @ V + b      # (N, r) @ (r, units) + (units,) -> (N, units)

    Backward, the chain rule twice::

        dV = h.T @ dy      # (r, units)
        db = dy.sum(0)     # (units,)
        dh = dy @ V.T      # (N, r)
        dU = x.T @ dh      # (D, r)
        dx = dh @ U.T      # (N, D)
    """

    def __init__(self, units, rank, **kwargs):
        super().__init__(**kwargs)
        self.units, self.rank = int(units), int(rank)

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        d = self.input_shape[0]
        self.add_param("U", self.rng.normal(0, np.sqrt(1 / d), (d, self.rank)))
        self.add_param("V", self.rng.normal(0, np.sqrt(1 / self.rank), (self.rank, self.units)))
        self.add_param("b", np.zeros(self.units))

    def output_shape(self, input_shape):
        return (self.units,)

    def forward(self, x, training=False):
        self.x = x
        self.h = x @ self.params["U"]
        return self.h @ self.params["V"] + self.params["b"]

    def backward(self, dy):
        U, V = self.params["U"], self.params["V"]
        np.matmul(self.h.T, dy, out=self.grads["V"])   # in place: the grads are views
        np.sum(dy, axis=0, out=self.grads["b"])
        dh = dy @ V.T
        np.matmul(self.x.T, dh, out=self.grads["U"])
        return dh @ U.T if self.needs_input_grad else None

    def get_config(self):
        return {**super().get_config(), "units": self.units, "rank": self.rank}


def _data(n=240, seed=0):
    """Three classes of 4x4 'images', told apart by which quarter is bright."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(0, 0.3, (n, 4, 4)).astype(np.float32)
    for k, (rows, cols) in enumerate([(slice(0, 2), slice(0, 2)), (slice(0, 2), slice(2, 4)),
                                      (slice(2, 4), slice(0, 4))]):
        x[y == k, rows, cols] += 1.0
    return x, y


def _model(seed=0):
    return Sequential([
        Flatten(input_shape=(4, 4)),
        LowRankDense(8, rank=3),
        Dense(3, activation="softmax"),
    ], seed=seed)


def test_gradient_check_passes():
    report = check_layer(LowRankDense(5, rank=2), input_shape=(6,))
    assert report.passed, report
    assert set(report.errors) == {"dx", "dU", "dV", "db"}


def test_it_trains_in_a_sequential_model():
    x, y = _data()
    model = _model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert "LowRankDense" in summary_table(model)
    assert model.count_params() == (16 * 3 + 3 * 8 + 8) + (8 * 3 + 3)
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9
    assert model.predict(x[:5]).dtype == np.float32


@pytest.fixture
def saved(tmp_path):
    x, y = _data()
    model = _model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    path = tmp_path / "custom.npz"
    model.save(path)
    return path, x[:20], model.predict(x[:20])


def test_save_and_load_through_the_registry(saved):
    path, x, expected = saved
    # Defining the class registered it (Layer.__init_subclass__), so nothing else is needed.
    assert LAYERS["LowRankDense"] is LowRankDense
    loaded = load_model(path)
    assert isinstance(loaded.layers[1], LowRankDense) and loaded.layers[1].rank == 3
    np.testing.assert_array_equal(loaded.predict(x), expected)


def test_save_and_load_through_custom_objects(saved, monkeypatch):
    path, x, expected = saved
    # As in a fresh Python session that never defined the class: the registry lacks it.
    monkeypatch.delitem(LAYERS, "LowRankDense")
    with pytest.raises(ModelFileError, match="LowRankDense.*custom_objects"):
        load_model(path)
    loaded = load_model(path, custom_objects={"LowRankDense": LowRankDense})
    np.testing.assert_array_equal(loaded.predict(x), expected)
    # The training state came back too: training can continue.
    loaded.fit(*_data(32, seed=1), epochs=1, verbose=0)


class Twice(Layer):
    """Keras's way to give the output shape: compute_output_shape, with the batch axis."""

    def forward(self, x, training=False):
        return np.concatenate([x, x], axis=-1)

    def backward(self, dy):
        half = dy.shape[-1] // 2
        return dy[..., :half] + dy[..., half:]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (2 * input_shape[-1],)


def test_compute_output_shape_keras_style_and_on_every_layer():
    model = Sequential([Flatten(input_shape=(2, 3)), Twice(), Dense(4)], seed=0)
    assert model.layers[1].output_shape((6,)) == (12,) and model.count_params() == 12 * 4 + 4
    assert Dense(7).compute_output_shape((None, 5)) == (None, 7)
    assert Flatten().compute_output_shape((32, 2, 3)) == (32, 6)
    check_layer(Twice(), (3,))


class Scale(Layer):
    """keras.io's "Save, serialize, and export" CustomLayer: math on the input, no weights,
    and a get_config that doesn't start from super()'s (so __init__ takes only ``factor``)."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {"factor": self.factor}


@pytest.mark.parametrize("filename", ["m.keras", "m.npz"])
def test_a_layer_of_your_own_without_weights_stays_one_layer_and_loads_back(tmp_path, filename):
    """It used to be traced into the built-in layer its math is (a Rescaling): gone from
    model.layers and from the saved file, unlike in Keras."""
    import glassnet

    inputs = glassnet.Input((3,))
    model = glassnet.Model(inputs, Dense(2)(Scale(0.5)(inputs)), seed=0)
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Scale", "Dense"]
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).random((8, 3)).astype(np.float32)
    model.fit(x, np.ones((8, 2)), verbose=0)
    model.save(tmp_path / filename)
    loaded = load_model(tmp_path / filename, custom_objects={"Scale": Scale})
    assert [type(layer).__name__ for layer in loaded.layers] == ["InputLayer", "Scale", "Dense"]
    # Its config holds no name: from .npz it is named anew, as Keras 3.15 names it (scale_1);
    # the .keras reader gives it the name the graph knows it by
    assert loaded.layers[1].factor == 0.5
    assert loaded.layers[1].name == ("scale_1" if filename.endswith(".npz") else "scale")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    stack = Sequential([glassnet.Input((3,)), Scale(2.0), Dense(1)], seed=0)
    assert [type(layer).__name__ for layer in stack.layers] == ["Scale", "Dense"]
    stack.save(tmp_path / filename)
    assert type(load_model(tmp_path / filename, custom_objects={"Scale": Scale})).__name__ == "Sequential"


class KLDivergenceLayer(Layer):
    """Louis Tiao's VAE: passes [mu, log_var] on unchanged and adds the KL term to the loss."""

    def call(self, inputs):
        from glassnet import ops
        mu, log_var = inputs
        self.add_loss(ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=-1)))
        return inputs


class Halves(Layer):
    """Two outputs: the first two features, and the rest doubled."""

    def call(self, x):
        return x[:, :2], x[:, 2:] * 2.0


class Sampling(Layer):
    """keras.io's VAE: one output from a list of two inputs (here without the noise)."""

    def call(self, inputs):
        from glassnet import ops
        z_mean, z_log_var = inputs
        return z_mean + ops.exp(0.5 * z_log_var)


CUSTOM = {"KLDivergenceLayer": KLDivergenceLayer, "Halves": Halves, "Sampling": Sampling}


def _several_outputs_model():
    import glassnet
    from glassnet import layers

    inputs = glassnet.Input((6,))
    h = Dense(4, activation="tanh")(inputs)
    mu, log_var = KLDivergenceLayer()([Dense(2)(h), Dense(2)(h)])
    a, b = Halves()(h)
    z = Sampling()([mu, log_var])
    return glassnet.Model(inputs, Dense(6)(layers.Concatenate()([mu, log_var, a, b, z])), seed=0)


def test_a_layer_of_your_own_may_give_several_outputs_in_a_graph():
    from glassnet.gradcheck import check_model

    model = _several_outputs_model()
    rows = read_rows(summary_table(model, line_length=160))
    assert any(row[0] == "kl_divergence_layer (KLDivergenceLayer)" and row[1] == "[(None, 2), (None, 2)]"
               for row in rows)
    assert any("kl_divergence_layer[0][1]" in row[-1] for row in rows)
    model.compile("adam", "mse")
    x = np.random.default_rng(0).random((6, 6))
    report = check_model(model, x, x)            # the KL term's gradient and both outputs'
    assert report.passed
    halves = Halves()(np.ones((2, 4), np.float32))
    assert isinstance(halves, list) and [h.shape for h in halves] == [(2, 2), (2, 2)]


@pytest.mark.parametrize("filename", ["m.keras", "m.npz"])
def test_layers_of_your_own_on_lists_and_with_several_outputs_load_back(tmp_path, filename):
    """keras.io's Sampling()([z_mean, z_log_var]) could be saved but not loaded back."""
    model = _several_outputs_model()
    model.save(tmp_path / filename)
    loaded = load_model(tmp_path / filename, custom_objects=CUSTOM)
    x = np.random.default_rng(0).random((3, 6)).astype(np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert len(loaded.losses) == 1


def test_weights_are_the_variables_the_layer_holds_and_answer_assign():
    """keras.io's subclassing guide: ``layer.weights == [layer.w, layer.b]``, ``w.assign(...)``,
    and ComputeSum's non-trainable total updated with ``assign_add`` inside call()."""
    import glassnet as keras
    from glassnet import ops

    class Linear(keras.layers.Layer):
        def __init__(self, units=4, input_dim=2):
            super().__init__()
            self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal", trainable=True)
            self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    layer = Linear()
    assert layer.weights == [layer.w, layer.b] and layer.weights[0] is layer.w
    layer.w.assign(np.ones((2, 4)))
    layer.weights[1].assign_add(np.full(4, 0.5))
    np.testing.assert_allclose(layer(np.ones((1, 2))), [[2.5] * 4])

    class ComputeSum(keras.layers.Layer):
        def __init__(self, input_dim):
            super().__init__()
            self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

        def call(self, inputs):
            self.total.assign_add(ops.sum(inputs, axis=0))
            return self.total

    running = ComputeSum(2)
    running(np.ones((2, 2)))
    np.testing.assert_array_equal(running(np.ones((2, 2))), [4.0, 4.0])


def test_a_layer_of_layers_used_on_its_own_lists_its_inner_layers_weights_and_losses():
    """keras.io's subclassing guide: an MLPBlock's first call creates its layers' weights,
    and ``len(mlp.weights) == 6``; an inner kernel_regularizer's penalty is in its losses."""
    import glassnet as keras

    class MLPBlock(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.linear_1 = keras.layers.Dense(32, kernel_regularizer=keras.regularizers.l2(1e-3))
            self.linear_2 = keras.layers.Dense(32)
            self.linear_3 = keras.layers.Dense(1)

        def call(self, inputs):
            x = keras.ops.relu(self.linear_1(inputs))
            return self.linear_3(keras.ops.relu(self.linear_2(x)))

    mlp = MLPBlock()
    y = mlp(np.ones((3, 64), np.float32))
    assert y.shape == (3, 1)
    assert len(mlp.weights) == 6 and len(mlp.trainable_weights) == 6
    assert mlp.weights[0] is not None and mlp.weights[0].shape == (64, 32)
    assert len(mlp.losses) == 1

    class ActivityRegularization(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(0.01 * keras.ops.mean(inputs))
            return inputs

    layer = ActivityRegularization()
    layer(np.ones((1, 1), np.float32))
    layer(np.ones((1, 1), np.float32))
    assert len(layer.losses) == 1                     # the last call's, as Keras keeps them


def test_compile_without_a_loss_trains_on_what_the_layers_add():
    """keras.io's subclassing guide: ``model.compile(optimizer="adam")`` and the loss comes from
    ``self.add_loss``; labels may be left out. With nothing added, a clear error."""
    import glassnet as keras

    class ActivityRegularizationLayer(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(1e-2 * keras.ops.mean(inputs))
            return inputs

    inputs = keras.Input(shape=(3,))
    dense = keras.layers.Dense(3)
    model = keras.Model(inputs, ActivityRegularizationLayer()(dense(inputs)))
    model.compile(optimizer=keras.optimizers.SGD(0.01))
    before = dense.get_weights()[1].copy()
    model.fit(np.ones((4, 3)), epochs=2, verbose=0)
    # d(1e-2 * mean of 12 outputs)/d(bias_j) = 1e-2 * 4 / 12, two steps of rate 0.01
    np.testing.assert_allclose(dense.get_weights()[1] - before, -2 * 0.01 * 1e-2 * 4 / 12, rtol=1e-4)
    x = np.ones((4, 3))
    assert model.evaluate(x, verbose=0) == pytest.approx(1e-2 * model.predict(x, verbose=0).mean(), rel=1e-5)
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    plain.compile("sgd")
    with pytest.raises(ValueError, match="compile\\(\\) was given no loss, and no layer adds one"):
        plain.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)


def test_the_training_guides_logistic_endpoint_trains_as_the_compiled_loss_would():
    """keras.io's "Training & evaluation": a layer called on two tensors, ``(targets, logits)``,
    computes a loss object in call(), adds it, and the model is compiled without a loss; one
    SGD step moves the weights exactly as compiling that loss would."""
    import glassnet as keras

    class LogisticEndpoint(keras.layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

        def call(self, targets, logits, sample_weights=None):
            self.add_loss(self.loss_fn(targets, logits, sample_weights))
            return keras.ops.softmax(logits)

    inputs, targets = keras.Input(shape=(3,), name="inputs"), keras.Input(shape=(10,), name="targets")
    dense = keras.layers.Dense(10)
    model = keras.Model([inputs, targets], LogisticEndpoint(name="predictions")(targets, dense(inputs)))
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    rng = np.random.default_rng(0)
    data = {"inputs": rng.random((3, 3)), "targets": rng.random((3, 10))}
    start = dense.get_weights()
    history = model.fit(data, epochs=1, verbose=0)

    plain_input = keras.Input((3,))
    plain_dense = keras.layers.Dense(10)
    plain = keras.Model(plain_input, plain_dense(plain_input))
    plain.compile(keras.optimizers.SGD(0.1), keras.losses.BinaryCrossentropy(from_logits=True))
    plain_dense.set_weights(start)
    expected = plain.fit(data["inputs"], data["targets"], batch_size=3, epochs=1, verbose=0)
    assert history.history["loss"] == pytest.approx(expected.history["loss"], rel=1e-6)
    for ours, theirs in zip(dense.get_weights(), plain_dense.get_weights()):
        np.testing.assert_allclose(ours, theirs, atol=1e-7)


def test_a_call_of_several_tensors_takes_them_in_place_or_by_name():
    """``endpoint(targets, logits)``, ``endpoint(targets, logits=logits)`` and
    ``endpoint(targets=t, logits=l)`` are one call, as in Keras, also when ``logits`` has a
    default; a misspelt name or a gap in the order is one line."""
    import glassnet as keras

    class SquaredGap(keras.layers.Layer):
        def call(self, targets, logits=None, weights=None):
            self.add_loss(keras.ops.mean(keras.ops.square(targets - logits)))
            return logits * 2.0

    rng = np.random.default_rng(0)
    x, t = rng.random((6, 3)).astype(np.float32), rng.random((6, 2)).astype(np.float32)
    losses = []
    for call in (lambda e, a, b: e(a, b), lambda e, a, b: e(a, logits=b), lambda e, a, b: e(targets=a, logits=b)):
        inputs, targets = keras.Input((3,)), keras.Input((2,))
        dense = keras.layers.Dense(2, kernel_initializer="ones")
        model = keras.Model([inputs, targets], call(SquaredGap(), targets, dense(inputs)))
        model.compile(keras.optimizers.SGD(0.1))
        losses.append(model.fit([x, t], epochs=2, batch_size=6, verbose=0).history["loss"])
        np.testing.assert_allclose(model.predict([x, t], verbose=0), 2 * dense(x).numpy(), rtol=1e-6)
    assert losses[1] == pytest.approx(losses[0], rel=1e-6) and losses[2] == pytest.approx(losses[0], rel=1e-6)
    assert losses[0][1] < losses[0][0]
    np.testing.assert_array_equal(SquaredGap()(t, logits=x[:, :2]), 2 * x[:, :2])     # on arrays
    targets, logits = keras.Input((2,)), keras.Input((2,))
    with pytest.raises(TypeError, match=r"unknown argument\(s\) 'logit'.*takes targets, logits, weights"):
        SquaredGap()(targets, logit=logits)
    with pytest.raises(NotImplementedError, match="'weights' comes after an argument left out"):
        SquaredGap()(targets, weights=logits)
    with pytest.raises(NotImplementedError, match="tensors only"):
        SquaredGap()(targets, logits=3)
    with pytest.raises(TypeError, match="called without an input"):
        SquaredGap()()


def test_a_call_of_several_tensors_is_saved_and_read_back_as_keras_writes_it(tmp_path):
    """.npz and .keras keep endpoint(targets, logits) a call of two tensors; a .keras file
    holds them one by one in args, as Keras 3 writes it, or by name in kwargs, as Keras
    writes endpoint(targets, logits=logits): both load."""
    import json
    import zipfile

    import glassnet as keras

    @keras.saving.register_keras_serializable(package="tests")
    class DoubledGap(keras.layers.Layer):
        def call(self, targets, logits=None):
            self.add_loss(keras.ops.mean(keras.ops.square(targets - logits)))
            return logits * 2.0

    inputs, targets = keras.Input((3,), name="x"), keras.Input((2,), name="t")
    model = keras.Model([inputs, targets], DoubledGap(name="gap")(targets, logits=keras.layers.Dense(2)(inputs)))
    data = [np.ones((2, 3), np.float32), np.zeros((2, 2), np.float32)]
    expected = model.predict(data, verbose=0)
    for name in ("m.npz", "m.keras"):
        model.save(tmp_path / name)
        np.testing.assert_array_equal(keras.models.load_model(tmp_path / name).predict(data, verbose=0), expected)
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        files = {item: archive.read(item) for item in archive.namelist()}
    config = json.loads(files["config.json"])
    (node,) = next(layer for layer in config["config"]["layers"] if layer["name"] == "gap")["inbound_nodes"]
    assert [arg["config"]["keras_history"][0] for arg in node["args"]] == ["t", "dense"]   # one by one
    node["kwargs"]["logits"] = node["args"].pop()                                           # Keras's logits=
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "named.keras", "w") as archive:
        for item, content in files.items():
            archive.writestr(item, content)
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "named.keras").predict(data, verbose=0), expected)


def test_a_keras_variable_held_by_a_layer_is_one_of_its_weights_as_in_keras(tmp_path):
    """``self.v = keras.Variable(...)`` (the serialization guide's LayerWithCustomVariable) was
    no weight at all: not in layer.weights, never trained, not saved. Keras 3.15's figures:
    weights ['kernel', 'bias', 'my_variable'], and the trainable offset moves with training."""
    import glassnet as keras

    class WithVariable(keras.layers.Dense):
        def __init__(self, units, **kwargs):
            super().__init__(units, **kwargs)
            self.my_variable = keras.Variable(np.ones((units,)), name="my_variable", dtype="float32",
                                              trainable=False)

    held = WithVariable(2)
    held.build((None, 3))
    assert [w.name for w in held.weights] == ["kernel", "bias", "my_variable"] and held.count_params() == 10
    assert held.my_variable.trainable is False and len(held.trainable_weights) == 2

    class Offset(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.v = keras.Variable(np.zeros((2,)), name="v")          # trainable, as Keras's default

        def call(self, x):
            return x + self.v

    model = keras.Sequential([keras.Input((2,)), Offset()])
    assert [w.name for w in model.trainable_weights] == ["v"]
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 2)), np.zeros((4, 2)), verbose=0)
    np.testing.assert_allclose(model.layers[0].v, [-0.01, -0.01], rtol=1e-6)    # Keras's step: 2 * 1 * 0.01 / 2
    model.save(tmp_path / "m.npz")
    again = keras.models.load_model(tmp_path / "m.npz", custom_objects={"Offset": Offset})
    np.testing.assert_allclose(again.layers[0].v, model.layers[0].v)


def test_a_call_over_a_built_in_layers_forward_is_refused_where_the_class_is_defined():
    """``class ScaledDense(keras.layers.Dense)`` with a call() of its own ran Dense's forward and
    silently ignored the call() (outputs 3 where Keras gives 9); now it is one line saying so."""
    import glassnet as keras

    with pytest.raises(TypeError, match=r"ScaledDense overrides call\(\) of glassnet's Dense.*holds a Dense"):
        class ScaledDense(keras.layers.Dense):
            def call(self, inputs):
                return super().call(inputs) * 3

    class Renamed(keras.layers.Dense):            # no call() of its own: Dense's, as before
        pass

    class Scaled(keras.layers.Layer):             # what the message advises
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = keras.layers.Dense(2, kernel_initializer="ones")

        def call(self, inputs):
            return self.inner(inputs) * 3

    assert Scaled()(np.ones((1, 3))).tolist() == [[9.0, 9.0]]
    assert Renamed(2, kernel_initializer="ones")(np.ones((1, 3))).tolist() == [[3.0, 3.0]]


def test_a_layer_of_layers_with_a_build_of_its_own_is_built_inside_another():
    """keras.io's PixelCNN: PixelConvLayer builds its Conv2D in build() and makes a mask from
    the kernel's shape there; called inside a ResidualBlock's call(), build() must still run
    first (it was skipped: 'Conv2D' object has no attribute 'kernel'), and call() masks the
    kernel before the convolution."""
    import glassnet as keras
    from glassnet import layers, ops

    class PixelConvLayer(layers.Layer):
        def __init__(self, mask_type, **kwargs):
            super().__init__()
            self.mask_type = mask_type
            self.conv = layers.Conv2D(**kwargs)

        def build(self, input_shape):
            self.conv.build(input_shape)
            kernel_shape = ops.shape(self.conv.kernel)
            self.mask = np.zeros(shape=kernel_shape)
            self.mask[: kernel_shape[0] // 2, ...] = 1.0
            self.mask[kernel_shape[0] // 2, : kernel_shape[1] // 2, ...] = 1.0

        def call(self, inputs):
            self.conv.kernel.assign(self.conv.kernel * self.mask)
            return self.conv(inputs)

    class Block(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.pixel_conv = PixelConvLayer(mask_type="A", filters=2, kernel_size=3, padding="same")

        def call(self, inputs):
            return keras.layers.add([inputs, self.pixel_conv(inputs)])

    inputs = keras.Input((5, 5, 2))
    block = Block()
    model = keras.Model(inputs, block(inputs), seed=0)
    model.compile("adam", "mse")
    x = np.random.default_rng(0).random((8, 5, 5, 2), dtype=np.float32)
    model.fit(x, x[..., :2] * 0.5, epochs=2, batch_size=4, verbose=0)
    pixel_conv = block.pixel_conv
    kernel = np.asarray(pixel_conv.conv.kernel)
    assert pixel_conv.mask.shape == kernel.shape == (3, 3, 2, 2)
    output = model.predict(x, verbose=0)             # call() masked the kernel first
    kernel = np.asarray(pixel_conv.conv.kernel)
    assert not kernel[1, 1:].any() and not kernel[2:].any() and kernel[0].any()
    plain = layers.Conv2D(2, 3, padding="same")
    plain.build((5, 5, 2))
    plain.set_weights(pixel_conv.conv.get_weights())
    np.testing.assert_allclose(output, x + np.asarray(plain(x)), rtol=1e-5, atol=1e-6)
