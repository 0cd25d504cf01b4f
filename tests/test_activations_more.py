"""Keras 3's newer activations (celu, the shrinks, sparse_plus, sparsemax, glu...): hand-worked
values, Keras's own numbers, the functions on recorded values, and Dense(activation=...)
trained, saved and loaded. Their gradients as layers are in the catalogue (test_gradcheck)."""

import json
import math
import zipfile

import numpy as np
import pytest

import glassnet
from glassnet import activations, ops
from glassnet.engine.autodiff import Value, backpropagate
from glassnet.engine.layers import Dense, Input
from glassnet.engine.layers.activations import Activation, get, serialize
from glassnet.engine.model import Sequential
from glassnet.gradcheck import numerical_gradient, relative_error

X = np.array([-4.0, -1.0, -0.25, 0.0, 0.5, 2.0, 7.0])
NEW = ["celu", "hard_shrink", "soft_shrink", "hard_tanh", "log_sigmoid", "sparse_plus", "sparse_sigmoid",
       "squareplus", "tanh_shrink", "sparsemax"]


@pytest.mark.parametrize("name, expected", [
    ("celu", [math.expm1(-4), math.expm1(-1), math.expm1(-0.25), 0, 0.5, 2, 7]),
    ("hard_shrink", [-4, -1, 0, 0, 0, 2, 7]),                     # |x| > 0.5 kept (0.5 itself is not)
    ("soft_shrink", [-3.5, -0.5, 0, 0, 0, 1.5, 6.5]),
    ("hard_tanh", [-1, -1, -0.25, 0, 0.5, 1, 1]),
    ("log_sigmoid", [-math.log1p(math.exp(-v)) for v in X]),
    ("sparse_plus", [0, 0, 0.140625, 0.25, 0.5625, 2, 7]),        # (x + 1)**2 / 4 on (-1, 1)
    ("sparse_sigmoid", [0, 0, 0.375, 0.5, 0.75, 1, 1]),
    ("squareplus", [(v + math.sqrt(v * v + 4)) / 2 for v in X]),
    ("tanh_shrink", X - np.tanh(X)),
])
def test_hand_worked_values_layer_and_function_agree(name, expected):
    np.testing.assert_allclose(get(name).forward(X), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(getattr(activations, name)(X), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(getattr(ops, name)(X), expected, rtol=1e-12, atol=1e-15)


def test_options_threshold_glu_and_sparsemax_by_hand():
    np.testing.assert_allclose(activations.celu(np.array([-1.0, 1.0]), alpha=2.0), [2 * math.expm1(-0.5), 1])
    np.testing.assert_allclose(activations.threshold(X, 0.5, -9.0), [-9, -9, -9, -9, -9, 2, 7])
    np.testing.assert_allclose(activations.squareplus(np.array([-2.0, 3.0]), b=0), [0, 3])   # b = 0: a ReLU
    # glu: the first half times the sigmoid of the second, along the axis
    x = np.array([[1.0, 2.0, 0.0, 3.0]])
    np.testing.assert_allclose(activations.glu(x), [[0.5, 2 / (1 + math.exp(-3))]])
    np.testing.assert_allclose(ops.glu(x.T, axis=0), [[0.5], [2 / (1 + math.exp(-3))]])
    with pytest.raises(ValueError, match="even"):
        activations.glu(np.ones((2, 3)))
    # sparsemax: z = (3, 2.4, 0, -1): two kept, tau = (3 + 2.4 - 1) / 2 = 2.2
    y = activations.sparsemax(np.array([[3.0, 2.4, 0.0, -1.0], [0.0, 0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(y, [[0.8, 0.2, 0, 0], [0.25, 0.25, 0.25, 0.25]], atol=1e-12)
    np.testing.assert_allclose(ops.sparsemax(np.array([[3.0], [2.4]]), axis=0), [[0.8], [0.2]], atol=1e-12)


@pytest.mark.parametrize("name", NEW + ["glu", "threshold"])
def test_the_same_numbers_as_keras(name):
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32) * 2
    args = (0.3, -1.0) if name == "threshold" else ()
    ours = np.asarray(getattr(activations, name)(x, *args))
    if name == "sparsemax":      # Keras's TensorFlow sparsemax is off (rows that don't sum to 1): its NumPy formula
        z = -np.sort(-x, axis=-1)
        kept = z - (np.cumsum(z, axis=-1) - 1) / np.arange(1, 9) > 0
        tau = (np.sum(np.where(kept, z, 0), -1, keepdims=True) - 1) / kept.sum(-1, keepdims=True)
        theirs = np.maximum(x - tau, 0)
    else:
        theirs = keras.ops.convert_to_numpy(getattr(keras.activations, name)(x, *args))
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.sum(-1) if name == "sparsemax" else 1, 1, rtol=1e-6)


@pytest.mark.parametrize("name", NEW + ["glu"])
def test_the_functions_on_recorded_values_pass_gradients(name):
    """In a custom layer's call(): each is a recorded step, checked by finite differences."""
    x = np.random.default_rng(1).normal(size=(3, 6)) * 1.5
    x = np.where(np.abs(np.abs(x) - 1) < 0.05, x + 0.1, x)          # off the kinks at +-1 (and +-0.5)
    x = np.where(np.abs(np.abs(x) - 0.5) < 0.05, x + 0.1, x)
    dy = np.random.default_rng(2).normal(size=getattr(activations, name)(x).shape)
    value = Value(x, needs_grad=True)
    out = getattr(ops, name)(value)
    assert isinstance(out, Value)
    backpropagate(out, dy)
    numeric = numerical_gradient(lambda: float(np.sum(np.asarray(getattr(activations, name)(x)) * dy)), x)
    assert relative_error(value.grad, numeric) < 1e-6


def test_names_and_configs_round_trip():
    for name in NEW:
        assert serialize(get(name)) == name and activations.serialize(getattr(activations, name)) == name
        assert type(get(getattr(activations, name))) is type(get(name))     # activation=activations.celu
    assert serialize(get({"name": "celu", "alpha": 2.0})) == {"name": "celu", "alpha": 2.0}
    assert get("hard_shrink").forward(np.array([0.4])) == 0
    with pytest.raises(ValueError, match="unknown activation 'threshold'"):
        get("threshold")            # it needs its two numbers, as in Keras


@pytest.mark.parametrize("name", NEW)
def test_dense_with_each_trains_and_saves_to_npz_and_keras(tmp_path, name):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x[:, :1] - x[:, 1:2]).astype(np.float32)
    model = Sequential([Input((4,)), Dense(8, activation=name), Dense(1)], seed=0)
    model.compile("adam", "mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before
    for path in (tmp_path / "m.npz", tmp_path / "m.keras"):
        model.save(path)
        loaded = glassnet.load_model(path)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    written = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))["config"]["layers"]
    dense = next(layer for layer in written if layer["class_name"] == "Dense")
    assert dense["config"]["activation"] == name               # Keras's spelling: a Keras file


def test_activation_layer_of_a_new_name_is_one_keras_reads():
    keras = pytest.importorskip("keras")
    model = Sequential([Input((6,)), Dense(6), Activation("celu"), Dense(6, activation="soft_shrink")], seed=0)
    x = np.random.default_rng(0).normal(size=(5, 6)).astype(np.float32)
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        model.save(f"{folder}/m.keras")
        theirs = keras.models.load_model(f"{folder}/m.keras")
        np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs(x)), model.predict(x, verbose=0),
                                   rtol=1e-5, atol=1e-6)


def test_ops_activations_on_placeholders_are_layers_written_as_keras_activations(tmp_path):
    """ops.celu(x) in a Functional model is a CELU layer, written as Keras's Activation("celu")."""
    from glassnet.engine.layers.activations_more import CELU
    from glassnet.errors import ExportError

    inputs = Input((6,))
    hidden = Dense(6)(inputs)
    outputs = Dense(3)(ops.sparsemax(ops.hard_tanh(ops.celu(hidden))))
    model = glassnet.Model(inputs, outputs)
    model.save(tmp_path / "m.keras")
    written = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))["config"]["layers"]
    assert [layer["config"]["activation"] for layer in written if layer["class_name"] == "Activation"] == [
        "celu", "hard_tanh", "sparsemax"]
    x = np.random.default_rng(0).normal(size=(4, 6)).astype(np.float32)
    np.testing.assert_allclose(glassnet.load_model(tmp_path / "m.keras").predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(ExportError, match="alpha=1.0; alpha=2.0"):
        Sequential([Input((4,)), CELU(alpha=2.0)]).save(tmp_path / "no.keras")
