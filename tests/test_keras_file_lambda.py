"""Keras's Lambda layer: listed and counted as one layer, as Keras shows it, while glassnet
computes with the layers its function was traced into; and in ``.keras`` files, Keras's
bytecode loaded only with ``safe_mode=False``, as Keras loads it."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet
from glassnet import layers
from glassnet.engine.summary import summary_table
from glassnet.engine.summary_box import read_rows
from glassnet.errors import ModelFileError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "keras"


def scaled_model():
    inputs = glassnet.Input((3,))
    outputs = layers.Dense(2)(layers.Lambda(lambda x: x * 100.0)(inputs))
    return glassnet.Model(inputs, outputs, seed=0)


def rows(table):
    """Each row's words, the headers' first (the box's cells read back, wrapped lines joined)."""
    return [" ".join(cells).split() for cells in read_rows(table)]


def test_a_lambda_is_one_layer_of_the_model_as_keras_lists_it():
    """``Lambda(lambda x: x * 100.0)`` was listed as the layer it was traced into,
    ``rescaling (Rescaling)``; Keras lists ``lambda (Lambda)``."""
    model = scaled_model()
    assert [layer.name for layer in model.layers] == ["input_layer", "lambda", "dense"]
    assert type(model.layers[1]).__name__ == "Lambda" and model.get_layer("lambda") is model.layers[1]
    table = summary_table(model, line_length=120)
    assert rows(table)[1:] == [["input_layer", "(InputLayer)", "(None,", "3)", "0"],     # a chain: no
                               ["lambda", "(Lambda)", "(None,", "3)", "0"],                 # "Connected to",
                               ["dense", "(Dense)", "(None,", "2)", "8"]], table            # as in Keras
    assert "rescaling" not in table
    # what it computes is unchanged: the traced Rescaling runs
    assert [type(layer).__name__ for layer in model.sublayers] == ["Rescaling", "Dense"]
    x = np.random.default_rng(0).random((4, 3)).astype(np.float32)
    dense = model.layers[2]
    np.testing.assert_allclose(model.predict(x, verbose=0), (x * 100) @ dense.params["kernel"] + dense.params["bias"],
                               rtol=1e-5)


def test_lambdas_in_a_sequential_and_on_two_inputs_are_one_row_each():
    stack = glassnet.Sequential([glassnet.Input((3,)), layers.Lambda(lambda x: 2 * (x / 255.0) - 1),
                                 layers.Dense(2), layers.Lambda(lambda x: glassnet.activations.softmax(x))])
    assert [row[:2] for row in rows(summary_table(stack))[1:]] == [["lambda", "(Lambda)"], ["dense", "(Dense)"],
                                                                   ["lambda_1", "(Lambda)"]]
    a, b = glassnet.Input((3,)), glassnet.Input((3,))
    difference = layers.Lambda(lambda pair: pair[0] - 2 * pair[1])([a, b])
    joined = glassnet.Model([a, b], layers.Dense(1)(difference))
    # Keras 3.15's names, counted across the session (the stack took lambda, lambda_1, dense)
    assert [layer.name for layer in joined.layers][2:] == ["lambda_2", "dense_1"] and len(joined.layers) == 4
    lambda_row = rows(summary_table(joined, line_length=120))[3]
    assert lambda_row[:2] == ["lambda_2", "(Lambda)"]
    assert lambda_row[-2:] == ["input_layer_1[0][0],", "input_layer_2[0][0]"]


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="the fixture's bytecode is Python 3.11's")
def test_a_keras_file_s_lambda_loads_only_with_safe_mode_false_as_in_keras(monkeypatch):
    """Keras's Lambda was refused as a layer glassnet lacks; it is read as Keras reads it."""
    from glassnet.interop import keras_lambda
    monkeypatch.setattr(keras_lambda, "_unsafe", [False])         # (another test may have enabled it)
    path = FIXTURES / "lambdas.keras"
    with pytest.raises(ModelFileError, match=r"lambdas.keras: layer 'lambda' \(Lambda\): its function is Python "
                                             r"bytecode .*pass safe_mode=False") as error:
        glassnet.load_model(path)
    assert "\n" not in str(error.value)
    expected = np.load(FIXTURES / "lambdas.npz")
    model = glassnet.load_model(path, safe_mode=False)
    np.testing.assert_allclose(model.predict(expected["x"], verbose=0), expected["y"], rtol=1e-5, atol=1e-6)
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Lambda", "Dense", "Lambda"]
    assert model.optimizer.iterations == 4
    glassnet.config.enable_unsafe_deserialization()               # Keras's other way to allow it
    assert type(glassnet.load_model(path).layers[1]).__name__ == "Lambda"


def test_a_lambda_written_by_glassnet_is_the_layers_it_traced_and_loads_anywhere(tmp_path):
    """glassnet writes no code: the Lambda's traced layers, read by both libraries without
    safe_mode=False (Keras then lists them, as it would have computed them)."""
    model = scaled_model()
    x = np.random.default_rng(0).random((4, 3)).astype(np.float32)
    for name in ("m.npz", "m.keras"):
        model.save(tmp_path / name)
        again = glassnet.load_model(tmp_path / name)
        np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    if not _has_keras():
        return
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", model.predict(x, verbose=0))
    check = ("import sys, numpy as np, keras; m = keras.models.load_model(sys.argv[1]); "
             "print(float(np.abs(m.predict(np.load(sys.argv[2]), verbose=0) - np.load(sys.argv[3])).max() / 100))")
    env = dict(os.environ)
    env.setdefault("KERAS_BACKEND", "torch" if _has("torch") else "tensorflow")
    result = subprocess.run([sys.executable, "-c", check, str(tmp_path / "m.keras"), str(tmp_path / "x.npy"),
                             str(tmp_path / "y.npy")], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert float(result.stdout.strip().splitlines()[-1]) < 1e-6


def _has(name):
    import importlib.util
    return importlib.util.find_spec(name) is not None


def _has_keras():
    return _has("keras")
