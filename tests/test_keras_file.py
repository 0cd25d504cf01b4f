"""Keras 3's own files, both ways: ``.keras`` archives and ``.weights.h5`` weights.

The fixtures in tests/fixtures/keras/ were written by real Keras 3
(scripts/make_keras_fixtures.py) with the inputs and Keras's predictions beside them, so
these tests check glassnet against Keras without importing it. One test runs real Keras
(skipped where it isn't installed): a glassnet-written file opens there and predicts the same.
"""

import io
import json
import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import glassnet
from glassnet.engine.layers import (GELU, Activation, Add, BatchNormalization, Concatenate, Conv2D, Dense,
                                    Dropout, Flatten, GaussianNoise, Input, LeakyReLU, ReLU, Rescaling,
                                    SpatialDropout2D)
from glassnet.engine.model import Model, Sequential
from glassnet.errors import ExportError, ModelFileError
from glassnet.workbench import zoo
from tiny_models import Doubler, GatedBlock, Scaled, augmented_model, odd_layers_model, recurrent_model

h5py = pytest.importorskip("h5py")

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "keras"
KERAS_MODELS = ["mlp", "cnn", "residual", "nested", "branches", "tutorial", "augmented", "odd_layers",
                "recurrent", "layer_norm", "sequence", "separable", "text", "attention", "nested_outputs",
                "rnn_cells", "masked", "masked_tagger", "operations"]


def residual_model(seed=0):
    """A small Functional model with a skip connection, batch norm and a concatenation."""
    inputs = Input((8, 8, 1), name="image")
    a = Conv2D(4, 3, padding="same", activation="relu")(inputs)
    b = BatchNormalization()(Conv2D(4, 3, padding="same")(a))
    c = Dense(6, activation="relu")(Flatten()(Activation("relu")(Add()([a, b]))))
    # Branches of different lengths, all (6, 6) kernels: Keras numbers them by depth, and a
    # mix-up would go unnoticed but for the predictions.
    branches = [Dense(6, activation="tanh")(c), Dense(6)(Dense(6, activation="relu")(c))]
    outputs = Dense(10, activation="softmax")(Concatenate()(branches))
    return Model(inputs, outputs, name="residual", seed=seed)


def trained(model, steps=2, seed=0, optimizer="adam"):
    rng = np.random.default_rng(seed)
    x = rng.random((16 * steps,) + model.sample_shapes[0]).astype(np.float32)
    y = rng.integers(0, 10, len(x))
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.settings.update(dataset="mnist", note="kept in metadata.json")
    return model, x, y


def fixture_bytes(name):
    return (FIXTURES / f"{name}.keras").read_bytes()


def rewrite(source, target, change):
    """Copy a .keras archive, passing each member's bytes through ``change(name, data)``."""
    with zipfile.ZipFile(source) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members:
            data = change(name, data)
            if data is not None:
                archive.writestr(name, data)
    return target


# -- glassnet -> .keras -> glassnet ------------------------------------------------------------
@pytest.mark.parametrize("build", [lambda: zoo.classic_mlp(seed=0), residual_model], ids=["mlp", "residual"])
def test_round_trip_keeps_predictions_optimizer_and_training_log(build, tmp_path):
    model, x, y = trained(build())
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = glassnet.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    assert loaded.optimizer.iterations == model.optimizer.iterations == 2
    assert loaded.training_log.history == model.training_log.history
    assert loaded.settings == model.settings and loaded.epoch == model.epoch == 1
    # Resuming from the file continues where the model was: Adam's state came back.
    assert_continues_alike(model, loaded, x, y)


def test_a_layer_beside_a_nested_model_takes_no_name_from_inside_it(tmp_path):
    """Keras names layers once per session: an outer Dense made after a nested model's Dense is
    'dense_1'. glassnet named both 'dense', and Keras's PyTorch backend, given two weights both
    called dense/kernel, trained the loaded model on other numbers than glassnet's (1e-3 apart
    after two epochs; its TensorFlow backend and glassnet agreed)."""
    inner_input = Input((4,))
    inner = Model(inner_input, Dense(3, activation="tanh")(inner_input), name="inner")
    model = Sequential([Input((4,)), inner, Dense(2)])
    inputs = Input((4,))
    shared = Model(inputs, Concatenate()([inner(inputs), Dense(3)(inputs)]))
    assert [layer.name for layer in model.layers] == ["inner", "dense_1"]
    assert [layer.name for layer in shared.layers] == ["input_layer_2", "inner", "dense_2", "concatenate"]
    model.save(tmp_path / "m.keras")
    names = []
    h5 = h5py.File(io.BytesIO(zipfile.ZipFile(tmp_path / "m.keras").read("model.weights.h5")))
    h5.visititems(lambda name, item: names.append(item.attrs["name"]) if name.endswith("vars") else None)
    assert len(names) == len(set(names)) and {"dense", "dense_1"} <= set(names)     # each weight once


@pytest.mark.parametrize("build", [augmented_model, odd_layers_model])
def test_augmentation_normalization_and_odd_layers_travel_with_their_settings(build, tmp_path):
    model, x, y = trained(build())
    model.save(tmp_path / "m.keras")
    loaded = glassnet.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for ours, theirs in zip(model.layers, loaded.layers):
        assert type(theirs) is type(ours)
        assert theirs.get_config() == json.loads(json.dumps(ours.get_config()))   # (lower, upper) as a list
    if build is odd_layers_model:
        return
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        specs = json.loads(archive.read("config.json"))["config"]["layers"]
    keras_configs = {spec["class_name"]: spec["config"] for spec in specs}
    assert keras_configs["RandomFlip"]["mode"] == "horizontal" and keras_configs["RandomFlip"]["seed"] == 1
    assert keras_configs["RandomTranslation"]["fill_mode"] == "constant"
    assert "adapted" not in keras_configs["Normalization"]                  # glassnet's own word
    normalizations = [spec["config"] for spec in specs if spec["class_name"] == "Normalization"]
    assert [n["axis"] for n in normalizations] == [[-1], [], [-1]]          # Keras 3's tuples; () = every axis
    # training through the file's random layers goes on as in the model the file came from
    for m in (model, loaded):
        m.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    assert all(np.isfinite(w).all() for w in loaded.get_weights())


def test_recurrent_layers_keep_their_weights_in_cells_as_keras_does(tmp_path):
    model, x, y = trained(recurrent_model())
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        h5 = h5py.File(io.BytesIO(archive.read("model.weights.h5")))
        names = []
        h5.visititems(lambda name, item: names.append(name) if isinstance(item, h5py.Dataset) else None)
    assert "layers/lstm/cell/vars/2" in names and "layers/bidirectional/backward_layer/cell/vars/1" in names
    assert "layers/time_distributed/layer/vars/0" in names and "layers/lstm/vars/0" not in names
    loaded = glassnet.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert_continues_alike(model, loaded, x, y)            # Adam's state found its weights


def test_a_bidirectional_layer_with_a_backward_layer_of_its_own_saves(tmp_path):
    """Bidirectional(..., backward_layer=SimpleRNN(...)): the backward layer keeps the name it
    was made with, as in Keras 3.15 (simple_rnn_1: the forward one was simple_rnn), and saves."""
    from glassnet.engine.layers import SimpleRNN
    from glassnet.engine.layers.wrappers import Bidirectional

    both = Bidirectional(SimpleRNN(3, return_sequences=True),
                         backward_layer=SimpleRNN(3, return_sequences=True, go_backwards=True, activation="relu"))
    assert (both.forward_layer.name, both.backward_layer.name) == ("forward_simple_rnn", "simple_rnn_1")
    model, x, _ = trained(Sequential([Input((5, 3)), both, Flatten(), Dense(10)]))
    model.save(tmp_path / "m.keras")
    loaded = glassnet.load_model(tmp_path / "m.keras")
    assert loaded.layers[0].backward_layer.get_config()["activation"] == "relu"
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_recurrent_state_kept_across_batches_is_refused_in_one_line(tmp_path):
    def stateful(name, data):
        if name != "config.json":
            return data
        config = json.loads(data)
        config["config"]["layers"][1]["config"]["stateful"] = True
        return json.dumps(config).encode()
    path = rewrite(FIXTURES / "recurrent.keras", tmp_path / "stateful.keras", stateful)
    with pytest.raises(ModelFileError, match=r"stateful.keras: .*layer 'lstm' \(LSTM\) has stateful=True; "
                                             r"glassnet runs only stateful=False"):
        glassnet.load_model(path)


@pytest.mark.parametrize("optimizer", ["rmsprop", "adagrad", "adadelta", "adamw", "adam with use_ema"])
def test_every_optimizer_keras_shares_resumes_from_the_file_exactly(optimizer, tmp_path):
    # The optimizer's state is stored in Keras's order (scripts/check_keras_interop.py checks
    # that real Keras continues from it); glassnet must read back exactly what it wrote.
    if optimizer == "adam with use_ema":     # the weights' moving averages travel too, first
        optimizer = glassnet.optimizers.Adam(0.01, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=3)
    model, x, y = trained(residual_model(), optimizer=optimizer)
    model.save(tmp_path / "m.keras")
    loaded = glassnet.load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert_continues_alike(model, loaded, x, y)


@pytest.mark.parametrize("schedule", [
    lambda s: s.InverseTimeDecay(0.01, 2, 0.5, staircase=True),
    lambda s: s.PolynomialDecay(0.01, 5, 0.001, power=2.0, cycle=True),
    lambda s: s.CosineDecayRestarts(0.05, 3, t_mul=2.0, m_mul=0.5, alpha=0.1)],
    ids=["inverse-time", "polynomial", "cosine-restarts"])
def test_every_schedule_keras_shares_is_written_for_keras(schedule, tmp_path):
    """Keras has these three too (computing the same rates): they were written as the current
    rate, a constant, with a note saying Keras lacked them, and Keras's were refused."""
    model = Sequential([Input((4,)), Dense(2)])
    model.compile(glassnet.optimizers.Adam(schedule(glassnet.optimizers.schedules)), "mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.save(tmp_path / "m.keras")
    written = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    rate = written["compile_config"]["optimizer"]["config"]["learning_rate"]
    own = model.optimizer.schedule.get_config()
    assert rate["class_name"] == type(model.optimizer.schedule).__name__
    assert {key: own[key] for key in rate["config"] if key != "name"} == \
        {key: value for key, value in rate["config"].items() if key != "name"}

    def as_keras_wrote_it(name, data):                 # without glassnet's own metadata
        return b'{"keras_version": "3.15.1"}' if name == "metadata.json" else data

    loaded = glassnet.load_model(rewrite(tmp_path / "m.keras", tmp_path / "k.keras", as_keras_wrote_it))
    assert loaded.optimizer.schedule.get_config() == own


def test_precision_recall_and_auc_travel_with_their_settings(tmp_path):
    """They were left out of the .keras file (with a note), and Keras's were left out too."""
    metrics = glassnet.metrics
    model = Sequential([Input((4,)), Dense(3)])
    model.compile("adam", glassnet.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[metrics.Precision(thresholds=0.3), metrics.Recall(top_k=2),
                           metrics.AUC(num_thresholds=50, from_logits=True)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.save(tmp_path / "m.keras")
    written = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))["compile_config"]["metrics"]
    assert [(m["class_name"], m["config"].get("thresholds"), m["config"].get("top_k"), m["config"].get("num_thresholds"))
            for m in written] == [("Precision", 0.3, None, None), ("Recall", None, 2, None), ("AUC", None, None, 50)]

    def as_keras_wrote_it(name, data):                 # without glassnet's own metadata
        if name == "metadata.json":
            return b'{"keras_version": "3.15.1"}'
        if name == "config.json":                      # and a setting glassnet lacks
            return data.replace(b'"num_thresholds": 50', b'"num_thresholds": 50, "multi_label": true')
        return data

    with pytest.warns(UserWarning, match="metric 'AUC' with these settings is not in glassnet"):
        loaded = glassnet.load_model(rewrite(tmp_path / "m.keras", tmp_path / "k.keras", as_keras_wrote_it))
    assert [m.get_config() for m in loaded.compiled_metrics] == [m.get_config() for m in model.compiled_metrics[:2]]


def assert_continues_alike(model, loaded, x, y):
    """One more epoch for both ends with the same weights: bit for bit, except for Adam, which
    keeps its averages scaled (M = m / (1 - beta_1), optimizers/adam.py) while the file holds
    Keras's float32 m and v; scaling those back rounds in the last bit (a .npz file keeps them
    exactly). That difference grows where a gradient is rounding noise (a convolution's bias
    before batch norm: Adam turns noise into full-sized steps), to ~1e-5 after an epoch at
    lr 0.01; a state lost or misread moves the weights by ~1e-2."""
    for m in (model, loaded):
        m.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    scaled = getattr(model.optimizer, "scaled_slots", ())
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        if scaled:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)
        else:
            np.testing.assert_array_equal(a, b)


def test_accuracy_metrics_by_class_travel_under_keras_names(tmp_path):
    model = Sequential([Input((4,)), Dense(3, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=[glassnet.metrics.SparseCategoricalAccuracy(), "accuracy"])
    model.fit(np.random.rand(16, 4).astype(np.float32), np.arange(16) % 3, epochs=1, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # nothing is left out, so nothing to say
        model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        compiled = json.loads(archive.read("config.json"))["compile_config"]
    assert compiled["metrics"] == ["sparse_categorical_accuracy", "accuracy"]
    assert compiled["optimizer"]["class_name"] == "RMSprop"
    loaded = glassnet.load_model(tmp_path / "m.keras")
    assert [m.name for m in loaded.compiled_metrics] == ["sparse_categorical_accuracy", "accuracy"]


@pytest.mark.parametrize("loss", [glassnet.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
                                  glassnet.losses.MeanAbsoluteError(), glassnet.losses.Huber(delta=0.5),
                                  glassnet.losses.MeanSquaredError()], ids=["bce", "mae", "huber", "mse"])
def test_every_loss_and_metric_keras_shares_travels_with_its_settings(loss, tmp_path):
    """keras.io's binary classifiers: BinaryCrossentropy(from_logits=True) and
    BinaryAccuracy(name="acc") were left out of .keras files, with a note that Keras lacked them."""
    model = Sequential([Input((4,)), Dense(1)])
    model.compile("adam", loss, metrics=[glassnet.metrics.BinaryAccuracy(name="acc", threshold=0.3), "mae",
                                         glassnet.metrics.MeanSquaredError()])
    x = np.random.default_rng(0).random((16, 4)).astype(np.float32)
    y = (x[:, :1] > 0.5).astype(np.float32)
    model.fit(x, y, epochs=1, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # nothing is left out, so nothing to say
        model.save(tmp_path / "m.keras")
    loaded = glassnet.load_model(tmp_path / "m.keras")
    assert type(loaded.loss) is type(loss) and loaded.loss.get_config() == loss.get_config()
    assert loaded.compiled_metrics[0].get_config() == {"name": "acc", "threshold": 0.3}
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == model.evaluate(x, y, verbose=0, return_dict=True)


def test_archive_is_laid_out_as_keras_lays_it_out(tmp_path):
    model, x, _ = trained(residual_model())
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        config = json.loads(archive.read("config.json"))
        metadata = json.loads(archive.read("metadata.json"))
        h5 = h5py.File(io.BytesIO(archive.read("model.weights.h5")))
    assert config["class_name"] == "Functional" and config["module"] == "keras.src.models.functional"
    layers = {spec["name"]: spec for spec in config["config"]["layers"]}
    assert layers["image"]["config"]["batch_shape"] == [None, 8, 8, 1]
    add = layers["add"]["inbound_nodes"][0]["args"][0]
    assert [t["config"]["keras_history"] for t in add] == [["conv2d", 0, 0], ["batch_normalization", 0, 0]]
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert metadata["keras_version"].startswith("3.") and metadata["glassnet"]["settings"]["dataset"] == "mnist"
    # Groups named after the class, counted in layer order; weights in Keras's order.
    np.testing.assert_array_equal(h5["layers/conv2d_1/vars/0"][()], model.get_layer("conv2d_1").params["kernel"])
    # Keras lists the deeper dense_3 (first of the long branch, made after the Dense that reads
    # it, as Python makes the outer call's layer first) before dense_1: group dense_1.
    np.testing.assert_array_equal(h5["layers/dense_1/vars/0"][()], model.get_layer("dense_3").params["kernel"])
    np.testing.assert_array_equal(h5["layers/dense_2/vars/1"][()], model.get_layer("dense_1").params["bias"])
    assert list(h5["layers/batch_normalization/vars"]) == ["0", "1", "2", "3"]
    assert h5["layers/input_layer/vars"].attrs["name"] == "image"
    assert h5["optimizer/vars/0"][()] == 2                     # iterations, learning rate, m, v, ...
    assert len(h5["optimizer/vars"]) == 2 + 2 * len(model.trainable_weights)


def test_older_glassnet_files_named_keras_still_open(tmp_path):
    """glassnet 0.2 wrote its own .npz under any name: the content decides, not the name."""
    model = zoo.classic_mlp(seed=0)
    model.save(tmp_path / "old.npz")
    os.replace(tmp_path / "old.npz", tmp_path / "old.keras")
    x = np.random.default_rng(0).random((3, 28, 28))
    np.testing.assert_array_equal(glassnet.load_model(tmp_path / "old.keras").predict(x, verbose=0),
                                  model.predict(x, verbose=0))


# -- Keras -> glassnet: files Keras 3 wrote --------------------------------------------------
def test_a_keras_model_with_an_open_length_and_outputs_by_name_loads_with_both():
    """Keras orders outputs given as a dict (and their layers' weight groups) by key: read in
    the order written, the two output layers got each other's weights (wrong by 1.19)."""
    expected = np.load(FIXTURES / "tickets.npz")
    model = glassnet.load_model(FIXTURES / "tickets.keras")
    assert model.input_shape == [(None, None), (None, 5)]
    predicted = model.predict([expected["title"], expected["tags"]], verbose=0)
    assert list(predicted) == ["priority", "department"]
    for name in predicted:
        np.testing.assert_allclose(predicted[name], expected[name], atol=1e-5, rtol=0)
    shorter = model.predict([expected["title"][:, :3], expected["tags"]], verbose=0)
    assert shorter["priority"].shape == (4, 2)


@pytest.mark.parametrize("name", KERAS_MODELS)
def test_keras_written_files_load_and_predict_the_same(name):
    expected = np.load(FIXTURES / f"{name}.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # nothing was left out
        model = glassnet.load_model(FIXTURES / f"{name}.keras")
    np.testing.assert_allclose(model.predict(expected["x"], verbose=0), expected["y"], atol=1e-5, rtol=0)
    assert model.optimizer.iterations == 4      # Keras trained 4 steps; its state came along
    assert model.loss is not None


def test_keras_operations_glassnet_cant_run_are_one_line_naming_them(tmp_path):
    """keras.ops in a Keras graph were refused as 'glassnet has no Tanh layer'; those it runs
    now load (the operations fixture), and another is named as Keras's operation."""
    path = rewrite(FIXTURES / "operations.keras", tmp_path / "cos.keras",
                   lambda name, data: data.replace(b'"class_name": "Tanh"', b'"class_name": "Cos"')
                   if name == "config.json" else data)
    one_line_error(path, r"layer 'tanh' \(Cos\) is Keras's keras.ops operation 'Cos'")


@pytest.mark.parametrize("name", ["masked", "masked_tagger"])
def test_keras_written_masks_give_keras_masked_loss_and_accuracy(name):
    """Padded sequences: Keras's file computes its masks with operations in its graph (left
    out: glassnet makes the same masks) and its loss and accuracy count the real steps only."""
    expected = np.load(FIXTURES / f"{name}.npz")
    model = glassnet.load_model(FIXTURES / f"{name}.keras")
    assert [type(layer).__name__ for layer in model.layers][:2] in (["InputLayer", "Embedding"], ["Masking", "LSTM"])
    result = model.evaluate(expected["x"], expected["labels"], batch_size=len(expected["x"]), verbose=0)
    np.testing.assert_allclose(result, expected["evaluation"], rtol=1e-5)


def test_keras_compile_settings_and_layers_are_translated():
    cnn = glassnet.load_model(FIXTURES / "cnn.keras")
    assert type(cnn.optimizer).__name__ == "SGD" and cnn.optimizer.momentum == pytest.approx(0.9)
    assert [type(l).__name__ for l in cnn.layers] == ["Conv2D", "MaxPooling2D", "BatchNormalization", "Conv2D",
                                                       "AveragePooling2D", "Flatten", "Dense", "Activation"]
    assert cnn.layers[3].kernel_regularizer.l2 == pytest.approx(1e-4)
    assert cnn.metrics_names == ["loss", "accuracy"]
    residual = glassnet.load_model(FIXTURES / "residual.keras")
    assert type(residual.optimizer).__name__ == "RMSprop"
    leaky = residual.get_layer("dense_3").activation     # Dense(4, activation="leaky_relu")
    assert type(leaky).__name__ == "LeakyReLU" and leaky.negative_slope == pytest.approx(0.2)  # Keras's
    nested = glassnet.load_model(FIXTURES / "nested.keras")
    assert type(nested.get_layer("inner")).__name__ == "Sequential"
    assert type(nested.optimizer.schedule).__name__ == "ExponentialDecay"


def test_a_registered_metric_in_a_keras_compile_config_is_found_again():
    """Keras writes a registered metric of the program's own as {class_name, registered_name};
    glassnet left it out with a note."""
    import types

    from glassnet.interop.keras_compile import compile_from_keras
    from glassnet.interop.keras_file import _compile

    registered = glassnet.saving.register_keras_serializable("tests")(
        type("KerasWrittenMetric", (glassnet.metrics.Mean,), {}))
    written = {"module": None, "class_name": "KerasWrittenMetric", "config": {"name": "mine", "dtype": "float32"},
               "registered_name": "tests>KerasWrittenMetric"}
    reading = types.SimpleNamespace(notes=[])
    compiled = compile_from_keras({"optimizer": "adam", "loss": "mse", "metrics": [written, "mae"]}, reading)
    assert reading.notes == []
    model = Sequential([Input((2,)), Dense(1)])
    _compile(model, compiled, "m.keras")
    assert [type(m) for m in model.compiled_metrics][0] is registered
    assert model.compiled_metrics[0].name == "mine"


def test_initializers_by_any_keras_name_are_written_as_their_class(tmp_path):
    """"lecun_normal" or "uniform" (an Embedding's default) used to be written as GlorotUniform."""
    model = Sequential([Input((4,)), Dense(3, kernel_initializer="lecun_normal"),
                        Dense(2, kernel_initializer="uniform")])
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        specs = json.loads(archive.read("config.json"))["config"]["layers"][1:]
    written = [spec["config"]["kernel_initializer"] for spec in specs]
    assert [w["class_name"] for w in written] == ["LecunNormal", "RandomUniform"]
    assert written[1]["config"] == {"minval": -0.05, "maxval": 0.05, "seed": None}
    again = glassnet.load_model(tmp_path / "m.keras")
    assert [type(layer.kernel_initializer).__name__ for layer in again.layers] == ["LecunNormal", "RandomUniform"]


def test_bias_initializers_travel_both_ways(tmp_path):
    """Dense(..., bias_initializer="ones") and the convolutions' were written as Zeros, and
    Keras's were read as zeros (what a fresh copy of the model starts from)."""
    from glassnet.engine.layers import Conv1D, DepthwiseConv2D, Reshape, SeparableConv2D

    model = Sequential([Input((6, 6, 2)), Conv2D(2, 3, bias_initializer="ones"),
                        DepthwiseConv2D(3, bias_initializer="he_normal"), SeparableConv2D(2, 1, bias_initializer="ones"),
                        Reshape((4, 2)), Conv1D(2, 1, bias_initializer="ones"), Flatten(),
                        Dense(2, bias_initializer="ones")])
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        specs = json.loads(archive.read("config.json"))["config"]["layers"][1:]
    assert [spec["config"].get("bias_initializer", {}).get("class_name") for spec in specs] == [
        "Ones", "HeNormal", "Ones", None, "Ones", None, "Ones"]
    again = glassnet.load_model(tmp_path / "m.keras")
    assert [layer.get_config().get("bias_initializer") for layer in again.layers] == [
        "ones", "he_normal", "ones", None, "ones", None, "ones"]


def test_layer_norm_initializers_and_a_recurrent_layers_settings_travel(tmp_path):
    """LayerNormalization's beta/gamma initializers were written as zeros and ones; an LSTM's
    activity_regularizer was dropped (training after loading lost its penalty), and its
    initializers given as objects were written as GlorotUniform (and broke saving to .npz)."""
    from glassnet.engine.initializers import HeNormal, Orthogonal
    from glassnet.engine.layers import LSTM, LayerNormalization

    lstm = LSTM(3, kernel_initializer=HeNormal(seed=2), recurrent_initializer=Orthogonal(gain=1.5),
                activity_regularizer="l2", return_sequences=True)
    norm = LayerNormalization(beta_initializer="ones", gamma_initializer="zeros")
    model = Sequential([Input((5, 3)), lstm, norm, Flatten(), Dense(2)])
    for name in ("m.keras", "m.npz"):
        model.save(tmp_path / name)
        again = glassnet.load_model(tmp_path / name)
        got = again.layers[0].get_config()
        assert got["activity_regularizer"]["config"]["l2"] == pytest.approx(0.01)
        assert got["recurrent_initializer"]["config"]["gain"] == 1.5 and got["kernel_initializer"]["config"]["seed"] == 2
        assert again.layers[1].get_config()["beta_initializer"]["class_name"] == "Ones"
        assert again.layers[1].get_config()["gamma_initializer"]["class_name"] == "Zeros"


def test_an_initializer_seed_or_gain_travels(tmp_path):
    """HeNormal(seed=1) and Orthogonal(gain=2.0) were read back as plain he_normal and
    orthogonal; Keras 3.15 also writes input_axes=None, which glassnet's classes don't take."""
    from glassnet.engine.initializers import HeNormal, Orthogonal

    model = Sequential([Input((4,)), Dense(3, kernel_initializer=HeNormal(seed=1)),
                        Dense(2, kernel_initializer=Orthogonal(gain=2.0, seed=4))])
    model.save(tmp_path / "m.keras")

    def as_keras_writes(name, data):
        if name != "config.json":
            return data
        config = json.loads(data)
        config["config"]["layers"][1]["config"]["kernel_initializer"]["config"].update(input_axes=None, output_axes=None)
        return json.dumps(config)

    again = glassnet.load_model(rewrite(tmp_path / "m.keras", tmp_path / "k.keras", as_keras_writes))
    assert [layer.get_config()["kernel_initializer"] for layer in again.layers] == [
        {"class_name": "HeNormal", "config": {"seed": 1}}, {"class_name": "Orthogonal", "config": {"gain": 2.0, "seed": 4}}]


def test_keras_file_with_a_layer_glassnet_lacks_is_one_line_naming_it():
    with pytest.raises(ModelFileError) as error:
        glassnet.load_model(FIXTURES / "unsupported.keras")
    message = str(error.value)
    assert "\n" not in message and "unsupported.keras" in message
    assert "'conv_lstm3d' (ConvLSTM3D)" in message and "glassnet has no" in message


def test_a_keras_model_saved_before_training_loads_without_a_note(recwarn):
    """Keras keeps only the step count of an optimizer that never ran: glassnet's fresh
    optimizer is that state, so there is nothing to warn about."""
    model = glassnet.load_model(FIXTURES / "fresh.keras")
    assert model.optimizer.iterations == 0 and type(model.optimizer).__name__ == "Adam"
    assert not [w for w in recwarn if "optimizer" in str(w.message)]


def test_load_model_compile_false_skips_the_optimizer():
    model = glassnet.load_model(FIXTURES / "mlp.keras", compile=False)
    assert model.optimizer is None


# -- bad files: one line naming the file --------------------------------------------------
def one_line_error(path, match):
    with pytest.raises(ModelFileError, match=match or None) as error:
        glassnet.load_model(path)
    assert "\n" not in str(error.value) and str(path) in str(error.value)


def test_truncated_archive(tmp_path):
    data = fixture_bytes("cnn")
    for size in (len(data) // 2, len(data) - 10, 100):
        path = tmp_path / f"cut{size}.keras"
        path.write_bytes(data[:size])
        one_line_error(path, "not a .keras file, or truncated")
    model = zoo.classic_mlp(seed=0)
    model.save(tmp_path / "whole.h5")
    (tmp_path / "cut.h5").write_bytes((tmp_path / "whole.h5").read_bytes()[:3000])
    one_line_error(tmp_path / "cut.h5", "HDF5 data is damaged or truncated")


def test_config_naming_an_unknown_layer(tmp_path):
    path = rewrite(FIXTURES / "cnn.keras", tmp_path / "bogus.keras",
                   lambda name, data: data.replace(b'"class_name": "Dense"', b'"class_name": "Bogus"')
                   if name == "config.json" else data)
    one_line_error(path, "glassnet has no Bogus layer")


def test_config_naming_an_unknown_activation_lists_every_one_glassnet_has(tmp_path):
    """The list named only six (relu, sigmoid...), as if gelu or swish were missing too."""
    path = rewrite(FIXTURES / "mlp.keras", tmp_path / "bogus.keras",
                   lambda name, data: data.replace(b'"activation": "relu"', b'"activation": "bogus"', 1)
                   if name == "config.json" else data)
    one_line_error(path, r"uses the activation 'bogus', which glassnet doesn't have \(it has celu, elu, exponential, "
                         r"gelu, .*, swish, tanh, tanh_shrink\)")


def test_weights_of_the_wrong_shape(tmp_path):
    path = rewrite(FIXTURES / "mlp.keras", tmp_path / "wide.keras",
                   lambda name, data: data.replace(b'"units": 16', b'"units": 17') if name == "config.json" else data)
    one_line_error(path, r"has shape \(64, 16\) in the file, the model needs \(64, 17\)")


def test_missing_or_extra_weights(tmp_path):
    def drop_bias(name, data):
        if name != "model.weights.h5":
            return data
        buffer = io.BytesIO(data)
        with h5py.File(buffer, "a") as h5:
            del h5["layers/dense/vars/1"]
        return buffer.getvalue()
    one_line_error(rewrite(FIXTURES / "mlp.keras", tmp_path / "nobias.keras", drop_bias),
                   "needs 2 weight arrays, the file holds 1")


DAMAGE = {"garbage weights": "HDF5 data is damaged", "no weights": "holds no model.weights.h5",
          "bad json": "config.json is corrupt", "json list": "config.json is not a JSON object",
          "no config": r"a zip file, but not a .keras model \(no config.json\)"}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_members(tmp_path, damage):
    def change(name, data):
        if damage == "garbage weights" and name == "model.weights.h5":
            return b"\x89HDF\r\n\x1a\n" + b"\x00" * 200
        if damage == "no weights" and name == "model.weights.h5":
            return None
        if damage == "bad json" and name == "config.json":
            return data[:-5]
        if damage == "json list" and name == "config.json":
            return b"[1, 2]"
        if damage == "no config" and name == "config.json":
            return None
        return data
    path = rewrite(FIXTURES / "cnn.keras", tmp_path / "damaged.keras", change)
    one_line_error(path, DAMAGE[damage])    # "no config" said "holds 'metadata.json', which is not ... .npy"


def test_hostile_weights_are_refused_before_anything_is_read(tmp_path):
    def change(name, data):
        if name != "model.weights.h5":
            return data
        buffer = io.BytesIO(data)
        with h5py.File(buffer, "a") as h5:
            del h5["layers/dense/vars/0"]
            # 4 GB of zeros declared, a few bytes stored: a decompression bomb.
            h5["layers/dense/vars"].create_dataset("0", shape=(1 << 15, 1 << 15), dtype="float32",
                                                   chunks=(1024, 1024), compression="gzip")
            h5["layers/dense_1/vars/2"] = h5py.ExternalLink("/etc/passwd", "/")
        return buffer.getvalue()
    one_line_error(rewrite(FIXTURES / "mlp.keras", tmp_path / "bomb.keras", change), "refused")


def test_nan_weights_are_refused(tmp_path):
    def change(name, data):
        if name != "model.weights.h5":
            return data
        buffer = io.BytesIO(data)
        with h5py.File(buffer, "a") as h5:
            h5["layers/dense/vars/1"][0] = np.nan
        return buffer.getvalue()
    one_line_error(rewrite(FIXTURES / "mlp.keras", tmp_path / "nan.keras", change), "NaN")


def test_zip_bomb_member_is_refused(tmp_path):
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", b"{}")
        archive.writestr("model.weights.h5", b"\x00" * (200 << 20))
    one_line_error(path, "zip bomb")


# -- settings glassnet can't write in Keras's words ---------------------------------------------
def test_a_layer_without_keras_equivalent_is_an_export_error(tmp_path):
    model = Sequential([Input((4,)), Doubler(), Dense(2)])
    with pytest.raises(ExportError, match=r"layer 'doubler' \(Doubler\) has no Keras equivalent"):
        model.save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()


def test_leaky_relu_slopes(tmp_path):
    """Keras's 'leaky_relu' activation has slope 0.2: other slopes need the LeakyReLU layer."""
    ok = Sequential([Input((4,)), Dense(3, activation=LeakyReLU(0.2)), Activation(LeakyReLU(0.1))])
    ok.save(tmp_path / "ok.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "ok.keras").read("config.json"))
    assert config["config"]["layers"][1]["config"]["activation"] == "leaky_relu"
    assert config["config"]["layers"][2]["class_name"] == "LeakyReLU"
    x = np.random.default_rng(0).normal(size=(5, 4))
    np.testing.assert_allclose(glassnet.load_model(tmp_path / "ok.keras").predict(x, verbose=0),
                               ok.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(ExportError, match="slope"):
        Sequential([Input((4,)), Dense(3, activation=LeakyReLU(0.1))]).save(tmp_path / "no.keras")


def test_relu_options_and_a_linear_activation_travel(tmp_path):
    """ReLU's ceiling, slope and threshold are written as Keras spells them (they were written
    as a plain ReLU, so Keras predicted other numbers), and Activation("linear") is saved."""
    relu = ReLU(max_value=0.5, negative_slope=0.1, threshold=0.05)
    model = Sequential([Input((4,)), Dense(3), relu, Activation("linear")])
    model.save(tmp_path / "m.keras")
    layers = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))["config"]["layers"]
    assert layers[2]["config"] | {"max_value": 0.5, "negative_slope": 0.1, "threshold": 0.05} == layers[2]["config"]
    assert layers[3]["config"]["activation"] == "linear"
    loaded = glassnet.load_model(tmp_path / "m.keras")
    assert loaded.layers[1].get_config() == relu.get_config() and loaded.layers[2].get_config()["activation"] == "linear"
    x = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_layers_with_a_seed_of_their_own_keep_it_and_their_generator(tmp_path):
    """Dropout(seed=3) and the noise layers write their seed as Keras does: the file then
    loads (glassnet's metadata holds their generators' state, which needs the seed back)."""
    model, x, _ = trained(Sequential([Input((6, 6, 2)), Dropout(0.3, seed=3), SpatialDropout2D(0.2, seed=4),
                                      GaussianNoise(0.1, seed=5), Flatten(), Dense(10)]))
    model.save(tmp_path / "m.keras")
    layers = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))["config"]["layers"]
    assert [layer["config"]["seed"] for layer in layers[1:4]] == [3, 4, 5]
    loaded = glassnet.load_model(tmp_path / "m.keras")
    for before, after in zip(model.layers[:3], loaded.layers[:3]):
        assert after.get_config()["seed"] == before.get_config()["seed"]
        assert after.generator.random() == before.generator.random()     # it goes on where it stood


def test_layers_of_one_activation_are_written_as_keras_activation_layers(tmp_path):
    """GELU(), SiLU(), Mish()... (glassnet's layers, not Keras's) are Keras's Activation("gelu"),
    as Sigmoid() and Tanh() were: they raised 'no Keras equivalent'."""
    from glassnet.engine.layers import Exponential, LogSoftmax, Mish, SiLU, Softplus

    kinds = [GELU, SiLU, Mish, Softplus, Exponential, LogSoftmax]
    model = Sequential([Input((4,)), *[layer for kind in kinds for layer in (Dense(4), kind())]])
    model.save(tmp_path / "m.keras")
    layers = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))["config"]["layers"]
    assert [(layer["class_name"], layer["config"]["activation"]) for layer in layers[2::2]] == [
        ("Activation", name) for name in ("gelu", "silu", "mish", "softplus", "exponential", "log_softmax")]
    x = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    np.testing.assert_allclose(glassnet.load_model(tmp_path / "m.keras").predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(ExportError, match="approximate=True"):
        Sequential([Input((4,)), GELU(approximate=True)]).save(tmp_path / "no.keras")


# -- .weights.h5 ---------------------------------------------------------------------------------
def test_weights_h5_round_trip_and_mismatch(tmp_path):
    model, x, _ = trained(residual_model(seed=0))
    model.save_weights(tmp_path / "m.weights.h5")
    with open(tmp_path / "m.weights.h5", "rb") as f:
        assert f.read(8) == b"\x89HDF\r\n\x1a\n"
    other = residual_model(seed=1)
    other.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ModelFileError, match="holds weights only|weights only"):
        glassnet.load_model(tmp_path / "m.weights.h5")
    wrong = zoo.classic_mlp(seed=0)
    with pytest.raises(ModelFileError, match="m.weights.h5"):
        wrong.load_weights(tmp_path / "m.weights.h5")


class Autoencoder(glassnet.Model):
    """A subclass as keras.io writes them: models, a list and layers held by attribute, some
    named after "layers" (``proj``, ``norm``), set in another order than they are called."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoder = Sequential([Dense(4, activation="relu"), Dense(2)])
        self.decoder = Sequential([Dense(4, activation="relu"), Dense(5)])
        self.hidden = [Dense(3, activation="tanh"), Dense(2)]
        self.proj = Dense(5)
        self.norm = BatchNormalization()

    def call(self, x, training=False):
        z = self.encoder(x)
        for layer in self.hidden:
            z = layer(z)
        return self.norm(self.decoder(z) + self.proj(x), training=training)


def test_a_subclass_weights_are_laid_out_as_keras_lays_them_out(tmp_path):
    """Keras 3 walks a subclass by attribute name, and its ``layers`` property among them: a
    layer held by an attribute after "layers" is saved there first (``layers/dense_2``). glassnet
    wrote a traced subclass's weights as its graph (``layers/sequential/...``), and so neither
    library read the other's ``.weights.h5``; the optimizer's state follows the order the layers
    were set in (Keras's ``trainable_variables``), not the order they run in."""
    x = np.random.default_rng(0).random((16, 5)).astype(np.float32)
    model = Autoencoder(seed=0)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, x, epochs=1, batch_size=8, verbose=0)
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5") as h5:
        names = []
        h5.visititems(lambda name, item: names.append(name) if name.endswith("vars/0") else None)
        optimizer = [h5[f"optimizer/vars/{i}"].shape for i in range(2, len(h5["optimizer/vars"]), 2)]
    assert names == [   # as Keras 3.15 writes the same class's
        "decoder/layers/dense/vars/0", "decoder/layers/dense_1/vars/0", "encoder/layers/dense/vars/0",
        "encoder/layers/dense_1/vars/0", "hidden/dense/vars/0", "hidden/dense_1/vars/0",
        "layers/batch_normalization/vars/0", "layers/dense_2/vars/0", "optimizer/vars/0"]
    assert optimizer == [(5, 4), (4,), (4, 2), (2,), (2, 4), (4,), (4, 5), (5,), (2, 3), (3,), (3, 2), (2,),
                         (5, 5), (5,), (5,), (5,)]
    again = Autoencoder(seed=1)
    again.build((None, 5))
    again.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    model.save(tmp_path / "m.keras")                    # a .keras file holds the graph it traced
    np.testing.assert_array_equal(glassnet.load_model(tmp_path / "m.keras").predict(x, verbose=0),
                                  model.predict(x, verbose=0))
    again.load_weights(tmp_path / "m.keras")
    from glassnet.interop.keras_file import _write_h5
    _write_h5(tmp_path / "older.weights.h5", model, graph=True)       # as glassnet wrote it before
    again = Autoencoder(seed=1)
    again.build((None, 5))
    again.load_weights(tmp_path / "older.weights.h5")
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


class Classifier(glassnet.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = Dense(4, activation="relu")
        self.out = Dense(10, activation="softmax")

    def call(self, x):
        return self.out(self.hidden(x))


def test_a_subclass_compiled_with_crossentropy_lists_and_saves_only_its_own_layers(tmp_path):
    """The softmax glassnet fuses with the loss was listed in model.layers (first, as 'softmax')
    and so counted among the layers Keras names the weights' groups by."""
    model = Classifier(seed=0)
    model.build((None, 5))
    trained(model)
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5") as h5:
        assert sorted(h5) == ["hidden", "layers", "optimizer", "vars"] and list(h5["layers"]) == ["dense_1"]


@pytest.mark.parametrize("name", ["m.weights.h5", "m.npz"])
def test_skip_mismatch_says_which_weights_it_skipped(tmp_path, name):
    """load_weights(..., skip_mismatch=True) left the misfit layers as they were in silence;
    Keras warns about each. (The file's layers are dense and dense_1, the model's dense_2 and
    dense_3: weights are matched by place, the names the session gave don't count.)"""
    Sequential([Input((6,)), Dense(4), Dense(2)]).save_weights(tmp_path / name)
    model = Sequential([Input((6,)), Dense(3), Dense(2)])
    with pytest.warns(UserWarning, match=r"skip_mismatch: .*dense_2.*dense_3.* left as they were"):
        model.load_weights(tmp_path / name, skip_mismatch=True)


def test_load_weights_from_a_keras_archive():
    expected = np.load(FIXTURES / "cnn.npz")
    model = glassnet.load_model(FIXTURES / "cnn.keras")
    fresh = Sequential.from_config(model.get_config())
    fresh.load_weights(FIXTURES / "cnn.keras")
    np.testing.assert_allclose(fresh.predict(expected["x"], verbose=0), expected["y"], atol=1e-5, rtol=0)


# -- the workbench commands take Keras files ----------------------------------------------------
def test_commands_load_keras_files(tiny_digit_model, tmp_path, capsys):
    from PIL import Image, ImageDraw

    from glassnet.interfaces.cli import main
    from glassnet.interfaces.cli.serve import load_digit_model

    path = tmp_path / "tiny.keras"
    glassnet.load_model(tiny_digit_model).save(path)
    page = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(page).line([(140, 50), (140, 230)], fill=0, width=22)
    page.save(tmp_path / "one.png")
    assert main(["predict", str(path), str(tmp_path / "one.png")]) == 0
    assert capsys.readouterr().out.startswith(f"{tmp_path / 'one.png'}: 1 (")
    assert main(["read", str(path), str(tmp_path / "one.png")]) == 0
    model, _ = load_digit_model(str(path))
    assert model.settings["arch"] == "mlp"             # the settings the report reads came along


# -- real Keras --------------------------------------------------------------------------------
KERAS_CHECK = """
import sys, numpy as np, keras
for x, y, path in zip(*[iter(sys.argv[1:])] * 3):       # (inputs, predictions, model file) triples
    x, y = np.load(x), np.load(y)
    print(float(np.abs(keras.models.load_model(path).predict(x, verbose=0) - y).max()))
"""


def test_real_keras_opens_glassnet_files(tmp_path):
    """glassnet's .keras and .h5 open in Keras 3 and predict the same (Keras runs in a child
    process, on the PyTorch backend where it is installed: faster to start than TensorFlow).
    Importing Keras takes most of this test's 10-20 s; scripts/check_keras_interop.py checks
    more models, and a training step."""
    pytest.importorskip("keras")
    model, x, _ = trained(residual_model())
    model.save(tmp_path / "m.keras")
    model.save(tmp_path / "m.h5")
    np.save(tmp_path / "x.npy", x[:8])
    np.save(tmp_path / "y.npy", model.predict(x[:8], verbose=0))
    # keras.io's image tutorials: pixels 0..255 in, Rescaling(1 / 255) first
    tutorial, pixels, _ = trained(Sequential([Input((8, 8, 1)), Rescaling(1 / 255), Conv2D(4, 3, activation="relu"),
                                              ReLU(max_value=0.5, negative_slope=0.1, threshold=0.05), GELU(),
                                              Flatten(), Dense(10, activation="softmax")]))
    tutorial.save(tmp_path / "t.keras")
    np.save(tmp_path / "p.npy", pixels[:8] * 255)
    np.save(tmp_path / "q.npy", tutorial.predict(pixels[:8] * 255, verbose=0))
    env = dict(os.environ)
    try:
        import torch  # noqa: F401
        env.setdefault("KERAS_BACKEND", "torch")
    except ImportError:
        pass
    files = [(tmp_path / a, tmp_path / b, tmp_path / c)
             for a, b, c in [("x.npy", "y.npy", "m.keras"), ("x.npy", "y.npy", "m.h5"), ("p.npy", "q.npy", "t.keras")]]
    result = subprocess.run([sys.executable, "-c", KERAS_CHECK, *[str(path) for triple in files for path in triple]],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    differences = [float(line) for line in result.stdout.strip().splitlines()[-3:]]
    assert len(differences) == 3 and max(differences) < 1e-5


# -- legacy HDF5 (.h5): Keras 2's model.save, still read and written by Keras 3 ---------------
KERAS2_CONFIG = {   # what tf.keras 2.15 wrote for the MNIST tutorial's first network
    "class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 28, 28], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "flatten_input"}},
        {"class_name": "Flatten", "config": {"name": "flatten", "trainable": True, "dtype": "float32",
                                             "batch_input_shape": [None, 28, 28], "data_format": "channels_last"}},
        {"class_name": "Dense", "config": {"name": "dense", "trainable": True, "dtype": "float32", "units": 16,
                                           "activation": "relu", "use_bias": True,
                                           "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
                                           "bias_initializer": {"class_name": "Zeros", "config": {}},
                                           "kernel_regularizer": None, "bias_regularizer": None,
                                           "activity_regularizer": None, "kernel_constraint": None,
                                           "bias_constraint": None}},
        {"class_name": "Dropout", "config": {"name": "dropout", "trainable": True, "dtype": "float32", "rate": 0.2,
                                             "noise_shape": None, "seed": None}},
        {"class_name": "Dense", "config": {"name": "dense_1", "trainable": True, "dtype": "float32", "units": 10,
                                           "activation": "softmax", "use_bias": True}}]},
    "keras_version": "2.15.0", "backend": "tensorflow"}
KERAS2_TRAINING = {
    "loss": "sparse_categorical_crossentropy", "loss_weights": None, "weighted_metrics": None,
    "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "accuracy", "dtype": "float32",
                                                                "fn": "sparse_categorical_accuracy"}}]],
    "optimizer_config": {"class_name": "Custom>Adam", "config": {
        "name": "Adam", "weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
        "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None, "jit_compile": True,
        "is_legacy_optimizer": False, "learning_rate": 0.0010000000474974513, "beta_1": 0.9,
        "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}}}


def write_keras2_file(path, weights):
    with h5py.File(path, "w") as h5:
        h5.attrs["keras_version"], h5.attrs["backend"] = b"2.15.0", b"tensorflow"
        h5.attrs["model_config"] = json.dumps(KERAS2_CONFIG).encode()
        h5.attrs["training_config"] = json.dumps(KERAS2_TRAINING).encode()
        group = h5.create_group("model_weights")
        group.attrs["layer_names"] = [b"flatten", b"dense", b"dropout", b"dense_1"]
        for name in ("flatten", "dropout"):
            group.create_group(name).attrs["weight_names"] = np.array([], dtype="S1")
        for name, (kernel, bias) in zip(("dense", "dense_1"), (weights[:2], weights[2:])):
            layer = group.create_group(name)
            layer.attrs["weight_names"] = [f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()]
            layer[f"{name}/kernel:0"], layer[f"{name}/bias:0"] = kernel, bias


def test_keras2_h5_file_opens(tmp_path):
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(784, 16)).astype("f4") * 0.05, rng.normal(size=16).astype("f4"),
               rng.normal(size=(16, 10)).astype("f4"), rng.normal(size=10).astype("f4")]
    write_keras2_file(tmp_path / "tutorial.h5", weights)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = glassnet.load_model(tmp_path / "tutorial.h5")
    x = rng.random((4, 28, 28)).astype("f4")
    hidden = np.maximum(x.reshape(4, -1) @ weights[0] + weights[1], 0)
    logits = hidden @ weights[2] + weights[3]
    expected = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected / expected.sum(1, keepdims=True),
                               rtol=1e-5, atol=1e-7)
    assert type(model.optimizer).__name__ == "Adam" and model.metrics_names == ["loss", "accuracy"]


def test_legacy_h5_round_trip_and_errors(tmp_path):
    model, x, _ = trained(residual_model())
    model.save(tmp_path / "m.h5")
    with open(tmp_path / "m.h5", "rb") as f:
        assert f.read(8) == b"\x89HDF\r\n\x1a\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # the optimizer's state isn't in a .h5
        loaded = glassnet.load_model(tmp_path / "m.h5")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.training_log.history == model.training_log.history
    fresh = residual_model(seed=3)
    fresh.load_weights(tmp_path / "m.h5")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ModelFileError, match="holds weights for 8 layers, model 'classic_mlp' has 3"):
        zoo.classic_mlp(seed=0).load_weights(tmp_path / "m.h5")


@pytest.mark.parametrize("member", ["model.weights.h5", "config.json", "legacy .h5"])
def test_flipped_bytes_give_a_result_or_one_line(member, tmp_path):
    """Damage anywhere: the model loads (the damage hit nothing used) or one ModelFileError."""
    rng = np.random.default_rng(0)
    legacy = tmp_path / "whole.h5"
    residual_model().save(legacy)
    for trial in range(25):
        path = tmp_path / f"damaged{trial}.{'h5' if member == 'legacy .h5' else 'keras'}"
        if member == "legacy .h5":
            data = bytearray(legacy.read_bytes())
            for _ in range(rng.integers(1, 30)):
                data[rng.integers(8, len(data))] = rng.integers(256)
            path.write_bytes(bytes(data))
        else:
            def flip(name, data):
                if name != member:
                    return data
                data = bytearray(data)
                for _ in range(rng.integers(1, 20)):
                    data[rng.integers(len(data))] = rng.integers(256)
                return bytes(data)
            rewrite(FIXTURES / "residual.keras", path, flip)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                glassnet.load_model(path)
        except ModelFileError as error:
            assert "\n" not in str(error) and str(path) in str(error)


def test_an_optimizer_glassnet_lacks_loads_uncompiled_with_a_warning(tmp_path):
    path = rewrite(FIXTURES / "mlp.keras", tmp_path / "muon.keras",
                   lambda name, data: data.replace(b'"class_name": "Adam"', b'"class_name": "Muon"')
                   if name == "config.json" else data)
    with pytest.warns(UserWarning, match="optimizer 'Muon'.*loaded uncompiled"):
        model = glassnet.load_model(path)
    assert model.optimizer is None
    expected = np.load(FIXTURES / "mlp.npz")
    np.testing.assert_allclose(model.predict(expected["x"], verbose=0), expected["y"], atol=1e-5, rtol=0)


def test_settings_that_change_predictions_are_refused(tmp_path):
    path = rewrite(FIXTURES / "cnn.keras", tmp_path / "channels_first.keras",
                   lambda name, data: data.replace(b'"data_format": "channels_last"', b'"data_format": "channels_first"', 1)
                   if name == "config.json" else data)
    one_line_error(path, r"'conv2d' \(Conv2D\) has data_format='channels_first'; glassnet runs only "
                         r"data_format='channels_last'")


def test_groups_that_do_not_divide_the_channels_are_one_line(tmp_path):
    """glassnet runs grouped convolutions (it refused groups=2 before); a file whose groups
    don't divide its input's channels says so in one line."""
    path = rewrite(FIXTURES / "cnn.keras", tmp_path / "grouped.keras",
                   lambda name, data: data.replace(b'"groups": 1', b'"groups": 2', 1)
                   if name == "config.json" else data)
    one_line_error(path, r"'conv2d' \(Conv2D\): the number of input channels must be evenly divisible by the "
                         r"number of groups; got groups=2, but the input has 1 channels")


def test_a_flipped_bit_in_an_hdf5_weights_file_is_caught_by_its_checksum(tmp_path):
    """HDF5 keeps no checksum of its own (a .keras file's zip does): glassnet writes each
    weight with a Fletcher-32 one, so damage is refused instead of loaded as other numbers."""
    model = Sequential([Input((6,)), Dense(40, activation="relu"), Dense(3, activation="softmax")], seed=0)
    for name in ("m.weights.h5", "m.h5"):
        path = tmp_path / name
        model.save_weights(path) if name.endswith(".weights.h5") else model.save(path)
        data = bytearray(path.read_bytes())
        kernel = model.layers[0].get_weights()[0].tobytes()
        at = bytes(data).find(kernel[:64])
        assert at > 0
        data[at + 100] ^= 0x40                       # one bit of one weight
        path.write_bytes(bytes(data))
        with pytest.raises(ModelFileError, match=f"{name}: .*damaged"):
            model.load_weights(path) if name.endswith(".weights.h5") else glassnet.models.load_model(path)


def test_weight_and_activity_penalties_are_written_as_keras_writes_them_and_read_back(tmp_path):
    """Dense(kernel_regularizer=l2(0.01)) was once written as L2(0.0), silently; now every penalty
    is written with its factor (Keras 3.15 reads these files: scripts/check_keras_interop.py)."""
    from glassnet.engine.regularizers import l1, l2
    model = Sequential([glassnet.Input((6,)),
                        Dense(4, activation="relu", kernel_regularizer=l2(0.01), bias_regularizer=l2(0.1),
                              activity_regularizer=l1(0.02)),
                        Dense(2)], seed=0)
    model.compile("adam", "mse")
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        dense = json.loads(archive.read("config.json"))["config"]["layers"][1]["config"]
    assert dense["kernel_regularizer"]["config"] == {"l2": 0.01}
    assert dense["bias_regularizer"]["config"] == {"l2": 0.1}
    assert dense["activity_regularizer"] == {"module": "keras.regularizers", "class_name": "L1",
                                             "config": {"l1": 0.02}, "registered_name": None}
    again = glassnet.models.load_model(tmp_path / "m.keras").layers[0]
    assert (again.kernel_regularizer.l2, again.bias_regularizer.l2, again.activity_regularizer.l1) == \
        pytest.approx((0.01, 0.1, 0.02))
    x = np.random.default_rng(0).random((8, 6)).astype(np.float32)
    assert glassnet.models.load_model(tmp_path / "m.keras").evaluate(x, x[:, :2], verbose=0) == \
        pytest.approx(model.evaluate(x, x[:, :2], verbose=0), rel=1e-6)


# -- layers of your own (a call() that does math), both ways ---------------------------------
CUSTOM = {"Scaled": Scaled, "GatedBlock": GatedBlock}


def test_a_keras_file_with_layers_of_your_own_loads_with_the_classes_and_predicts_the_same():
    expected = np.load(FIXTURES / "custom_layers.npz")
    model = glassnet.load_model(FIXTURES / "custom_layers.keras", custom_objects=CUSTOM)
    np.testing.assert_allclose(model.predict(expected["x"], verbose=0), expected["y"], atol=1e-5, rtol=0)
    gated = model.layers[1]
    assert type(gated) is GatedBlock and gated.units == 6 and gated.gate.shape == ()
    assert model.optimizer.iterations == 4


def test_a_keras_subclassed_model_loads_with_its_class(tmp_path):
    """keras.Model subclassed (written by Keras: its class name, its get_config, the shape it
    was built for, weights by attribute) was refused: 'the Autoencoder model's config has no
    list of layers'. With the class given it is rebuilt, built, and its weights and Adam's
    state found."""
    expected = np.load(FIXTURES / "subclassed.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no note: every weight and the optimizer's state read
        model = glassnet.load_model(FIXTURES / "subclassed.keras", custom_objects={"Autoencoder": Autoencoder})
    assert type(model) is Autoencoder and model.name == "subclassed" and model.optimizer.iterations == 4
    np.testing.assert_allclose(model.predict(expected["x"], verbose=0), expected["y"], atol=1e-5, rtol=0)

    def renamed(name, data):                     # a class this program doesn't define
        return data.replace(b'"Autoencoder"', b'"Undefined"') if name == "config.json" else data

    with pytest.raises(ModelFileError, match=r"other.keras: .*unknown layer class 'Undefined'"):
        glassnet.load_model(rewrite(FIXTURES / "subclassed.keras", tmp_path / "other.keras", renamed))


def test_layers_of_your_own_are_written_as_keras_writes_them(tmp_path):
    model = Sequential([glassnet.Input((8,)), Scaled(6), GatedBlock(6), Dense(3)], seed=0)
    model.compile("adam", "mse")
    x = np.random.default_rng(0).random((16, 8)).astype(np.float32)
    model.fit(x, x[:, :3], epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        specs = json.loads(archive.read("config.json"))["config"]["layers"]
        h5 = h5py.File(io.BytesIO(archive.read("model.weights.h5")))
        # Keras's layout: own weights in the layer's group, each held layer under its attribute
        np.testing.assert_array_equal(h5["layers/scaled/vars/0"][()], model.layers[0].params["kernel"])
        assert h5["layers/scaled/vars/2"][()] == model.layers[0].params["scale"]
        np.testing.assert_array_equal(h5["layers/gated_block/dense/vars/0"][()], model.layers[1].dense.params["kernel"])
        np.testing.assert_array_equal(h5["layers/gated_block/proj/vars/1"][()], model.layers[1].proj.params["bias"])
    scaled = specs[1]
    assert (scaled["class_name"], scaled["registered_name"], scaled["config"]["units"]) == ("Scaled", "Scaled", 6)
    assert scaled["module"] == Scaled.__module__ == "tiny_models"
    again = glassnet.load_model(tmp_path / "m.keras", custom_objects=CUSTOM)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ModelFileError, match="'Scaled'.*define .* the class"):
        glassnet.load_model(tmp_path / "m.keras", custom_objects={"Scaled": None})


def test_a_subclass_of_a_built_in_layer_is_written_as_a_layer_of_your_own(tmp_path):
    """``class ScaledDense(keras.layers.Dense)`` (the serialization guide's kind of layer) was
    refused by .keras ("no Keras equivalent; save as .npz"); Keras 3.15 reads this file too."""
    @glassnet.saving.register_keras_serializable("tests")
    class ScaledDense(Dense):
        def __init__(self, units, scale=2.0, **kwargs):
            super().__init__(units, **kwargs)
            self.scale = scale

        def get_config(self):
            return {**super().get_config(), "scale": self.scale}

    model = Sequential([glassnet.Input((3,)), ScaledDense(4, scale=3.0, activation="relu"), Dense(2)], seed=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        spec = json.loads(archive.read("config.json"))["config"]["layers"][1]
    assert (spec["class_name"], spec["registered_name"], spec["config"]["scale"]) == \
        ("ScaledDense", "tests>ScaledDense", 3.0)
    again = glassnet.load_model(tmp_path / "m.keras")
    assert type(again.layers[0]) is ScaledDense and again.layers[0].scale == 3.0
    x = np.random.default_rng(0).random((4, 3)).astype(np.float32)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_subclass_of_a_built_in_layer_in_a_keras_file_has_the_built_ins_settings_read():
    """Keras 3.15 writes a registered ``ScaledDense(Dense)`` with Dense's settings in Keras's
    words (initializers as objects, quantization_config); glassnet passed them as they were
    and the class refused them (unknown argument quantization_config)."""
    from glassnet.interop.keras_config import layer_from_keras
    from glassnet.interop.keras_file import _Reading

    @glassnet.saving.register_keras_serializable()
    class KerasScaledDense(Dense):
        def __init__(self, units, scale=2.0, **kwargs):
            super().__init__(units, **kwargs)
            self.scale = scale

        def get_config(self):
            return {**super().get_config(), "scale": self.scale}

    written = {"module": None, "class_name": "KerasScaledDense", "registered_name": "Custom>KerasScaledDense",
               "config": {"name": "scaled_dense", "trainable": True, "units": 4, "activation": "relu",
                          "use_bias": True, "scale": 3.0, "quantization_config": None,
                          "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                                                 "config": {"seed": None}, "registered_name": None},
                          "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
                                               "registered_name": None},
                          "kernel_regularizer": {"module": "keras.regularizers", "class_name": "L2",
                                                 "config": {"l2": 0.01}, "registered_name": None}}}
    spec = layer_from_keras(written, _Reading([]))
    layer = glassnet.layers.deserialize(spec)
    assert type(layer) is KerasScaledDense and (layer.units, layer.scale, layer.name) == (4, 3.0, "scaled_dense")
    assert layer.activation.__name__ == "relu" and layer.kernel_regularizer.l2 == pytest.approx(0.01)


def test_every_activation_keras_names_alike_and_functions_of_your_own_travel(tmp_path):
    """Dense(activation="elu") was refused on writing; and functions of yours (an activation, a
    penalty, a constraint, an initializer) are written as Keras writes them, by name."""
    from test_autodiff import my_glorot_initializer, my_positive_weights, my_softplus
    names = ["elu", "selu", "gelu", "silu", "softplus", "softsign", "hard_sigmoid", "mish", "relu6"]
    model = Sequential([glassnet.Input((4,)), *[Dense(3, activation=name) for name in names],
                        Dense(3, activation=my_softplus, kernel_initializer=my_glorot_initializer,
                              kernel_constraint=my_positive_weights,
                              kernel_regularizer=lambda w: glassnet.ops.sum(glassnet.ops.abs(w)))], seed=0)
    model.compile(glassnet.optimizers.Nadam(0.01), "mse")
    x = np.random.default_rng(0).random((16, 4)).astype(np.float32)
    model.fit(x, x[:, :3], epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        specs = json.loads(archive.read("config.json"))["config"]["layers"]
    assert [spec["config"]["activation"] for spec in specs[1:-1]] == names
    own = specs[-1]["config"]
    assert own["activation"] == {"module": "builtins", "class_name": "function", "config": "my_softplus",
                                 "registered_name": "function"}
    assert own["kernel_constraint"]["config"] == "my_positive_weights"
    assert own["kernel_initializer"]["config"] == "my_glorot_initializer"
    assert own["kernel_regularizer"]["config"] == "<lambda>"
    objects = {"my_softplus": my_softplus, "my_positive_weights": my_positive_weights,
               "my_glorot_initializer": my_glorot_initializer,
               "<lambda>": lambda w: glassnet.ops.sum(glassnet.ops.abs(w))}
    again = glassnet.load_model(tmp_path / "m.keras", custom_objects=objects)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert type(again.optimizer).__name__ == "Nadam" and again.optimizer.iterations == model.optimizer.iterations
    # the optimizer's state came back: one more step on each lands on the same weights
    model.train_on_batch(x, x[:, :3])
    again.train_on_batch(x, x[:, :3])
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_adamax_state_is_written_in_keras_order(tmp_path):
    model = Sequential([glassnet.Input((4,)), Dense(3)], seed=0)
    model.compile(glassnet.optimizers.Adamax(0.01), "mse")
    x = np.random.default_rng(0).random((16, 4)).astype(np.float32)
    model.fit(x, x[:, :3], epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        h5 = h5py.File(io.BytesIO(archive.read("model.weights.h5")))
        stored = [h5[f"optimizer/vars/{i}"][()] for i in range(len(h5["optimizer/vars"]))]
    state = model.optimizer.get_state(model._parameters.layout)
    kernel = [path for path, _ in model._parameters.layout][0]
    np.testing.assert_array_equal(stored[2], state["m"][kernel])      # momentum, then norm, weight by weight
    np.testing.assert_array_equal(stored[3], state["u"][kernel])


def test_to_json_is_keras_s_form_and_model_from_json_reads_both_libraries():
    """``model.to_json()`` and ``model_from_json``, the TensorFlow "Save and load" tutorial's
    pair: Keras's JSON failed in glassnet ("InputLayer: unknown argument(s) ragged=False"), and
    glassnet's in Keras ("Could not locate class 'Sequential'"). Now glassnet writes Keras's
    form and reads both; a model Keras can't express is written in glassnet's own."""
    inputs = Input((4,), name="numbers")
    hidden = Dropout(0.5)(Dense(3, name="hidden")(inputs), training=True)
    model = Model(inputs, Dense(2, name="scores")(hidden), name="tiny")
    text = model.to_json(indent=1)
    spec = json.loads(text)
    assert spec["class_name"] == "Functional" and spec["module"].startswith("keras")
    again = glassnet.models.model_from_json(text)
    assert [layer.name for layer in again.layers] == ["numbers", "hidden", "dropout", "scores"]
    assert again.count_params() == model.count_params() and [s.training for s in again._steps][1] is True

    # Written by Keras 3.15's to_json: keras.Model(x, Dense(2)(Dense(3, activation="relu")(x))).
    keras_made = glassnet.models.model_from_json((FIXTURES / "functional_to_json.json").read_text())
    assert [type(layer).__name__ for layer in keras_made.layers[1:]] == ["Dense", "Dense"]
    assert keras_made.count_params() == 4 * 3 + 3 + 3 * 2 + 2 and type(keras_made.layers[1].activation).__name__ == "ReLU"

    own = Sequential([Input((3,)), Doubler(), Dense(2)], seed=0)          # forward/backward: no Keras form
    assert "module" not in json.loads(own.to_json())
    assert glassnet.models.model_from_json(own.to_json()).count_params() == own.count_params()
    with pytest.raises(ModelFileError, match="model_from_json: not JSON text"):
        glassnet.models.model_from_json("{not json")

    keras = pytest.importorskip("keras")
    assert keras.models.model_from_json(text).count_params() == model.count_params()
