"""A model with several outputs trains as in Keras 3: a loss per output (a list, a dict by
output name, or one for all), ``loss_weights``, metrics per output, and the logs Keras writes
(``digit_loss``, ``val_size_mae``...). The expected names and orders below were printed by
Keras 3.15 for the same program; the gradient is in the catalogue (``OutputLosses``)."""

import numpy as np
import pytest

import glassnet
from glassnet import layers, models
from glassnet.engine.summary import summary_table
from glassnet.engine.summary_box import read_rows
from glassnet.errors import ShapeError


def two_headed(seed=0):
    inputs = layers.Input((8,), name="img")
    trunk = layers.Dense(16, activation="relu")(inputs)
    digit = layers.Dense(3, activation="softmax", name="digit")(trunk)
    size = layers.Dense(1, name="size")(layers.Dense(8, activation="tanh")(trunk))
    return models.Model(inputs, [digit, size], seed=seed)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.random((96, 8), dtype=np.float32)
    digits = (x[:, :3].argmax(axis=1)).astype(np.int64)          # learnable: the largest of 3 inputs
    sizes = x[:, 3:4] * 2 - 0.5
    return x, digits, sizes


def test_logs_and_results_are_named_and_ordered_as_keras_does(data):
    x, digits, sizes = data
    model = two_headed()
    model.compile("adam", loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5],
                  metrics=["accuracy", "mae"])
    history = model.fit(x, [digits, sizes], epochs=1, verbose=0, validation_split=0.25)
    assert sorted(history.history) == ['digit_accuracy', 'digit_loss', 'loss', 'size_loss', 'size_mae',
                                       'val_digit_accuracy', 'val_digit_loss', 'val_loss', 'val_size_loss',
                                       'val_size_mae']
    assert model.metrics_names == ['loss', 'digit_loss', 'size_loss', 'digit_accuracy', 'size_mae']
    results = model.evaluate(x, {"digit": digits, "size": sizes}, verbose=0)
    logs = model.evaluate(x, [digits, sizes], verbose=0, return_dict=True)
    assert results == [logs[name] for name in model.metrics_names]
    # The total is the weighted sum of the outputs' losses.
    assert logs["loss"] == pytest.approx(logs["digit_loss"] + 0.5 * logs["size_loss"], rel=1e-6)
    model.compile("adam", loss={"size": "mse", "digit": "sparse_categorical_crossentropy"},
                  metrics={"digit": "accuracy", "size": ["mae", "mse"]})
    assert model.metrics_names == ['loss', 'digit_loss', 'size_loss', 'digit_accuracy', 'size_mae', 'size_mse']


def test_evaluate_lists_the_outputs_metrics_sorted_by_name_as_keras_does(data):
    """Keras 3.15: the loss, each output's loss, then the outputs' metrics sorted by logged
    name, whatever their compiled order (glassnet listed them as compiled, so
    ``loss, d_loss, s_loss, mape, mae, acc = model.evaluate(...)`` unpacked the wrong numbers)."""
    x, digits, sizes = data
    model = two_headed()
    model.compile("adam", loss=["sparse_categorical_crossentropy", "mse"],
                  metrics={"size": ["mape", "mae"], "digit": "accuracy"})
    logs = model.evaluate(x, [digits, sizes], verbose=0, return_dict=True)
    order = ["loss", "digit_loss", "size_loss", "digit_accuracy", "size_mae", "size_mape"]
    assert model.evaluate(x, [digits, sizes], verbose=0) == [logs[name] for name in order]
    logs = model.test_on_batch(x, [digits, sizes], return_dict=True)
    assert model.test_on_batch(x, [digits, sizes]) == [logs[name] for name in order]
    one = glassnet.Sequential([layers.Input((8,)), layers.Dense(3, activation="softmax")])
    one.compile("adam", "sparse_categorical_crossentropy", metrics=["mae", "accuracy"])   # one output: as compiled
    logs = one.evaluate(x, digits, verbose=0, return_dict=True)
    assert one.evaluate(x, digits, verbose=0) == [logs["loss"], logs["mae"], logs["accuracy"]]


def test_both_heads_learn_and_each_loss_matches_its_own_computation(data):
    x, digits, sizes = data
    model = two_headed()
    model.compile(glassnet.optimizers.Adam(0.01), loss=["sparse_categorical_crossentropy", "mse"],
                  metrics=[["accuracy"], []])
    history = model.fit(x, [digits, sizes], epochs=40, batch_size=16, verbose=0)
    assert history.history["digit_loss"][-1] < 0.6 * history.history["digit_loss"][0]
    assert history.history["size_loss"][-1] < 0.3 * history.history["size_loss"][0]
    probabilities, predicted = model.predict(x, verbose=0)
    logs = model.evaluate(x, [digits, sizes], verbose=0, return_dict=True)
    assert logs["size_loss"] == pytest.approx(float(np.mean((predicted - sizes) ** 2)), rel=1e-5)
    assert logs["digit_accuracy"] == pytest.approx(float(np.mean(probabilities.argmax(1) == digits)))


def test_an_output_without_a_loss_is_not_trained(data):
    x, digits, sizes = data
    model = two_headed()
    size_layer = model.get_layer("size")
    before = size_layer.get_weights()[0].copy()
    model.compile("adam", loss=["sparse_categorical_crossentropy", None])
    history = model.fit(x, [digits, sizes], epochs=2, verbose=0)
    assert sorted(history.history) == ["loss"]        # with one loss, Keras logs no digit_loss either
    np.testing.assert_array_equal(size_layer.get_weights()[0], before)


def test_train_on_batch_generators_and_validation_data(data):
    x, digits, sizes = data
    model = two_headed()
    model.compile("sgd", loss="mse", metrics=[[], ["mae"]])     # one loss for both outputs
    one_hot = np.eye(3, dtype=np.float32)[digits]
    first = model.train_on_batch(x, [one_hot, sizes], return_dict=True)
    assert sorted(first) == ["digit_loss", "loss", "size_loss", "size_mae"]

    def batches():
        while True:
            yield x[:32], {"digit": one_hot[:32], "size": sizes[:32]}
    history = model.fit(batches(), steps_per_epoch=3, epochs=2, verbose=0,
                        validation_data=(x[32:], [one_hot[32:], sizes[32:]]))
    assert "val_size_mae" in history.history and len(history.history["loss"]) == 2


def test_mistakes_are_one_clear_error(data):
    x, digits, sizes = data
    model = two_headed()
    with pytest.raises(ValueError, match=r"metrics for a model with 2 outputs \(digit, size\) needs one entry per "
                                         r"output, or a dict by output name; got 1"):
        model.compile("adam", ["sparse_categorical_crossentropy", "mse"], metrics=["accuracy"])
    with pytest.raises(ValueError, match="loss names output 'digits', but the model's outputs are 'digit', 'size'"):
        model.compile("adam", {"digits": "mse"})
    with pytest.raises(ValueError, match="every output's loss is None"):
        model.compile("adam", [None, None])
    model.compile("adam", ["sparse_categorical_crossentropy", "mse"])
    with pytest.raises(ShapeError, match=r"2 outputs \(digit, size\): pass their labels as a list of 2 arrays"):
        model.fit(x, digits, verbose=0)
    with pytest.raises(ShapeError, match="different numbers of samples: digit 96, size 95"):
        model.fit(x, [digits, sizes[:-1]], verbose=0)
    with pytest.raises(ValueError, match="class_weight .* with several outputs, pass sample_weight"):
        model.fit(x, [digits, sizes], class_weight={0: 2.0}, verbose=0)
    single = models.Sequential([layers.Input((8,)), layers.Dense(3, activation="softmax")])
    with pytest.raises(ValueError, match="loss_weights weigh the losses of several outputs, and this model has one"):
        single.compile("adam", "sparse_categorical_crossentropy", loss_weights=[0.5])


@pytest.mark.parametrize("suffix", [".npz", ".keras"])
def test_saved_and_loaded_with_its_losses_weights_and_metrics(data, tmp_path, suffix):
    x, digits, sizes = data
    model = two_headed()
    model.compile("adam", loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.3],
                  metrics=[["accuracy"], []])
    model.fit(x, [digits, sizes], epochs=2, verbose=0)
    model.save(tmp_path / f"m{suffix}")
    again = glassnet.load_model(tmp_path / f"m{suffix}")
    assert again.loss.loss_weights == [1.0, 0.3] and again.metrics_names == model.metrics_names
    assert again.evaluate(x, [digits, sizes], verbose=0) == pytest.approx(
        model.evaluate(x, [digits, sizes], verbose=0), rel=1e-6)
    # Training goes on from the same optimizer state: one more step is the same step.
    model.train_on_batch(x[:16], [digits[:16], sizes[:16]])
    again.train_on_batch(x[:16], [digits[:16], sizes[:16]])
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("spec, message", [
    ({"losses": ["mse", "mse", "mse"]}, r"3 losses for a model with 2 outputs \(digit, size\)"),
    ({"losses": ["mse", "mse"], "loss_weights": ["x", 1]}, "loss_weights must be one number >= 0 per output"),
    ({"losses": ["mse", "mse"], "loss_weights": [float("nan"), 1]}, "loss_weights must be one number >= 0"),
    ({"losses": 5}, "the losses of several outputs are a list, got int"),
    ({"losses": [{"class_name": "OutputLosses", "config": {"losses": ["mse", "mse"]}}, "mse"]},
     "an output's loss can't itself be the loss of several outputs"),
])
def test_a_saved_loss_that_does_not_fit_the_model_is_refused(spec, message):
    """What a file says about several outputs is checked: a wrong count, a weight that is not a
    number, nesting (each would otherwise train on the wrong labels or crash deep inside)."""
    from glassnet.engine import losses
    with pytest.raises(ValueError, match=message):
        two_headed().compile("sgd", losses.get({"class_name": "OutputLosses", "config": spec}))


def test_a_loss_or_metric_for_several_outputs_is_refused_by_a_model_with_one():
    from glassnet.engine.outputs import OutputLosses, OutputMetric
    single = models.Sequential([layers.Input((8,)), layers.Dense(3, activation="softmax")])
    with pytest.raises(ValueError, match="made for several outputs, but model 'sequential' has one"):
        single.compile("sgd", OutputLosses(["mse", "mse"]))
    with pytest.raises(ValueError, match="made for several outputs"):
        single.compile("sgd", "mse", metrics=[OutputMetric("mae", 1, "size")])
    with pytest.raises(ValueError, match=r"needs the output's number \(0, 1, ...\), got 'a'"):
        OutputMetric("mae", "a", "size")


class TwoHeads(models.Model):
    """A subclassed model with two outputs: it knows them only at its first data."""

    def __init__(self):
        super().__init__()
        self.trunk = layers.Dense(16, activation="relu")
        self.digit = layers.Dense(3, activation="softmax", name="digit")
        self.size = layers.Dense(1, name="size")

    def call(self, x):
        h = self.trunk(x)
        return self.digit(h), self.size(h)


def test_a_subclass_compiled_before_its_first_data_gets_its_losses_matched_then(data):
    """Keras 3 can't name a subclass's outputs, so it logs their losses and metrics under
    their own names: these keys are the ones Keras 3.15 printed for this program."""
    x, digits, sizes = data
    model = TwoHeads()
    model.compile("adam", loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5],
                  metrics=[["accuracy"], ["mae"]])
    history = model.fit(x, [digits, sizes], epochs=2, verbose=0)
    assert sorted(history.history) == ['accuracy', 'loss', 'mae', 'mse_loss', 'sparse_categorical_crossentropy_loss']
    logs = model.evaluate(x, [digits, sizes], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["sparse_categorical_crossentropy_loss"] + 0.5 * logs["mse_loss"], rel=1e-6)
    twice = TwoHeads()
    twice.compile("sgd", loss=["mse", "mse"], metrics=[["mae"], ["mae"]])
    one_hot = np.eye(3, dtype=np.float32)[digits]
    assert sorted(twice.train_on_batch(x, [one_hot, sizes], return_dict=True)) == [
        "loss", "mae", "mae_1", "mse_1_loss", "mse_loss"]      # Keras keeps one mse_loss; glassnet both


def test_a_subclass_compiled_with_two_losses_but_one_output_is_refused_at_its_first_data():
    class One(models.Model):
        def __init__(self):
            super().__init__()
            self.head = layers.Dense(3, activation="softmax")

        def call(self, x):
            return self.head(x)

    model = One()
    model.compile("adam", ["sparse_categorical_crossentropy", "mse"])
    with pytest.raises(ValueError, match="one loss for the one output, got 2"):
        model.fit(np.zeros((8, 4), np.float32), np.zeros(8, np.int64), verbose=0)


def test_outputs_given_as_a_dict_come_back_as_a_dict():
    """The Functional API guide's Model(inputs, {"priority": ..., "department": ...}):
    predict and model(x) answer by the same keys (they gave a list)."""
    inputs = glassnet.Input((4,))
    hidden = layers.Dense(5)(inputs)
    model = models.Model(inputs, {"priority": layers.Dense(1, name="priority")(hidden),
                                 "department": layers.Dense(3, activation="softmax", name="department")(hidden)})
    x = np.random.default_rng(0).random((6, 4)).astype(np.float32)
    predicted = model.predict(x, verbose=0)
    assert list(predicted) == ["priority", "department"]
    assert predicted["priority"].shape == (6, 1) and predicted["department"].shape == (6, 3)
    called = model(x)
    np.testing.assert_allclose(called["department"], predicted["department"], rtol=1e-6)
    # Keras 3's own order is the keys' alphabetical one: its outputs, their layers (so the
    # weights and a .keras file's weight groups), and a list of losses, as Keras maps it
    assert model.output_names == ["department", "priority"]
    assert [layer.name for layer in model.layers][-2:] == ["department", "priority"]
    model.compile("sgd", loss=["categorical_crossentropy", "mse"])
    history = model.fit(x, {"priority": np.ones((6, 1)), "department": np.eye(3)[[0, 1, 2, 0, 1, 2]]},
                        epochs=1, verbose=0)
    assert set(history.history) == {"loss", "department_loss", "priority_loss"}


def _encoder_and_decoder():
    """The Keras blog's VAE shape: an encoder with three outputs (z_mean, z_log_var, z)."""
    x_in = glassnet.Input((6,))
    h = layers.Dense(5, activation="tanh")(x_in)
    z_mean, z_log_var = layers.Dense(2, name="z_mean")(h), layers.Dense(2, name="z_log_var")(h)
    encoder = models.Model(x_in, [z_mean, z_log_var, layers.Add()([z_mean, z_log_var])], name="encoder")
    z_in = glassnet.Input((2,))
    decoder = models.Model(z_in, layers.Dense(6, activation="softmax")(z_in), name="decoder")
    return encoder, decoder


def test_a_model_with_several_outputs_called_as_a_layer_gives_each_of_them():
    """``decoder(encoder(inputs)[2])``: the call gives three placeholders; the decoder reads the
    third; the gradient reaches the encoder through it (zeros for the two unused outputs)."""
    from glassnet.gradcheck import check_model

    encoder, decoder = _encoder_and_decoder()
    inputs = glassnet.Input((6,))
    z_mean, z_log_var, z = encoder(inputs)
    assert [t.shape for t in (z_mean, z_log_var, z)] == [(None, 2)] * 3
    model = models.Model(inputs, decoder(z), seed=0)
    rows = read_rows(summary_table(model, line_length=140))
    # one line of layers, so no "Connected to" column, as in Keras; the encoder's three outputs
    assert rows[0] == ["Layer (type)", "Output Shape", "Param #"]
    assert ["encoder (Functional)", "[(None, 2), (None, 2), (None, 2)]"] == rows[2][:2]
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).random((8, 6))
    y = np.random.default_rng(1).integers(0, 6, 8)
    assert check_model(model, x, y).passed
    # two of the outputs used, and the first on its own as a second output of the model
    both = models.Model(inputs, [layers.Concatenate()([z_mean, z_log_var]), z_mean], seed=0)
    both.compile("sgd", ["mse", "mse"])
    assert check_model(both, x, [np.ones((8, 4)), np.zeros((8, 2))]).passed


def _summary(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


@pytest.mark.parametrize("filename", ["m.keras", "m.npz"])
def test_a_model_reading_one_of_a_layers_several_outputs_is_saved_and_loaded(tmp_path, filename):
    encoder, decoder = _encoder_and_decoder()
    inputs = glassnet.Input((6,))
    model = models.Model(inputs, decoder(encoder(inputs)[2]), seed=0)
    model.save(tmp_path / filename)
    loaded = glassnet.models.load_model(tmp_path / filename)
    x = np.random.default_rng(0).random((3, 6)).astype(np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert read_rows(summary_table(loaded, line_length=140))[2][1] == "[(None, 2), (None, 2), (None, 2)]"
    assert "Total params" in _summary(loaded)


def test_a_model_reading_one_of_a_layers_several_outputs_exports_to_onnx(tmp_path):
    pytest.importorskip("onnx", reason="the ONNX export needs onnx")
    pytest.importorskip("onnxruntime", reason="ONNX Runtime runs the exported file")
    from glassnet.interop.onnx_export import largest_difference

    encoder, decoder = _encoder_and_decoder()
    inputs = glassnet.Input((6,))
    z_mean, _, z = encoder(inputs)
    model = models.Model(inputs, [decoder(z), z_mean], seed=0)
    model.export(tmp_path / "m.onnx", format="onnx")
    x = np.random.default_rng(0).random((3, 6))
    assert largest_difference(model, tmp_path / "m.onnx", x) < 1e-5
