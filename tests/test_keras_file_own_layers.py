"""Layers of your own in Keras 3's ``.keras`` files, both ways: layers made of layers (keras.io's
TransformerBlock), and weights a layer makes itself (``add_weight``, ``keras.Variable``,
``save_own_variables``).

The classes are written once, as a Keras program writes them, in
``fixtures/keras/shared_layers.py``: Keras ran that text to write the fixtures
(``scripts/make_keras_fixtures.py``), and these tests run it with the two import lines
pointed at glassnet. Keras itself, where installed, loads glassnet's files of the same models.
"""

import functools
import importlib.util
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
from glassnet.errors import ModelFileError

h5py = pytest.importorskip("h5py")

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "keras"
SHARED = FIXTURES / "shared_layers.py"


@functools.lru_cache(maxsize=None)
def shared_layers():
    """shared_layers.py run with glassnet: its namespace (the classes, the model builders)."""
    source = SHARED.read_text().replace("import keras\n", "import glassnet as keras\n")
    source = source.replace("from keras import", "from glassnet import")
    namespace = {}
    exec(compile(source, str(SHARED), "exec"), namespace)
    return namespace


def inputs_for(name, n=32, seed=0):
    rng = np.random.default_rng(seed)
    if name == "transformer":
        return rng.integers(0, 20, (n, 10)).astype(np.float32), rng.integers(0, 2, n)
    return rng.random((n, 8)).astype(np.float32), rng.integers(0, 3, n)


def glassnet_model(name):
    """The fixture's model, built and trained a step by glassnet."""
    build = {"feed_forward": "feed_forward_stack", "transformer": "transformer_classifier",
             "own_variables": "own_variables"}[name]
    glassnet.utils.set_random_seed(0)
    model = shared_layers()[build]()
    x, y = inputs_for(name)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    return model, x


def weight_names(path):
    with zipfile.ZipFile(path) as archive:
        h5 = h5py.File(io.BytesIO(archive.read("model.weights.h5")))
        names = []
        h5.visititems(lambda name, item: names.append(name) if isinstance(item, h5py.Dataset) else None)
        config = json.loads(archive.read("config.json"))
    return names, config


# -- layers made of layers -----------------------------------------------------------------
@pytest.mark.parametrize("name", ["feed_forward", "transformer"])
def test_keras_files_with_layers_made_of_layers_load_and_predict_the_same(name):
    """A layer of yours that makes Dense, Dropout, LayerNormalization (or MultiHeadAttention,
    a Sequential, Embeddings) in __init__ and calls them in call() was traced into those
    layers, so the weights Keras keeps under the layer's group were not found: "layer
    'dense_1' (layers/dense/vars) ... has shape (8, 3) in the file, the model needs (8, 8)"."""
    shared_layers()
    expected = np.load(FIXTURES / f"{name}.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # every weight and Adam's state found
        model = glassnet.load_model(FIXTURES / f"{name}.keras")
    np.testing.assert_allclose(model.predict(expected["x"], verbose=0), expected["y"], atol=1e-5, rtol=0)
    assert model.optimizer.iterations == 4
    kinds = [type(layer).__name__ for layer in model.layers]
    assert ("FeedForward" in kinds) if name == "feed_forward" else \
        kinds[1:3] == ["TokenAndPositionEmbedding", "TransformerBlock"]
    x, y = inputs_for(name)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)          # and trains on


def test_layers_made_of_layers_are_one_layer_each_as_keras_lists_them():
    model, _ = glassnet_model("transformer")
    assert [layer.name for layer in model.layers] == [
        "input_layer", "token_and_position_embedding", "transformer_block", "global_average_pooling1d",
        "dropout_3", "dense_2", "dense_3"]     # as Keras 3.15 names them (the block made dropout...dense_1)
    assert [layer.count_params() for layer in model.layers[1:3]] == [240, 880]   # Keras's summary's counts
    assert model.count_params() == 1210


@pytest.mark.parametrize("name", ["feed_forward", "transformer"])
def test_layers_made_of_layers_are_written_as_keras_writes_them(name, tmp_path):
    model, x = glassnet_model(name)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    names, config = weight_names(path)
    expected = {"feed_forward": ["layers/feed_forward/dense/vars/0", "layers/feed_forward/norm/vars/1"],
                "transformer": ["layers/transformer_block/att/query_dense/vars/0",
                                "layers/transformer_block/ffn/layers/dense_1/vars/1",
                                "layers/transformer_block/layernorm2/vars/0",
                                "layers/token_and_position_embedding/pos_emb/vars/0"]}[name]
    assert set(expected) <= set(names), names
    classes = [spec["class_name"] for spec in config["config"]["layers"]]
    assert ("FeedForward" in classes) if name == "feed_forward" else "TransformerBlock" in classes
    again = glassnet.load_model(path)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_layer_of_yours_without_get_config_saves_with_keras_s_automatic_config(tmp_path):
    """Keras remembers plain arguments (``RememberedBlock(4)``) and its get_config returns them;
    arguments that aren't plain values make it say the class must write a get_config."""
    from glassnet import layers

    class RememberedBlock(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.inner = layers.Dense(units)

        def call(self, x):
            return self.inner(x) + x

    class WrapsALayer(layers.Layer):
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

        def call(self, x):
            return self.inner(x) + x

    model = glassnet.Sequential([glassnet.Input((4,)), RememberedBlock(4), glassnet.layers.Dense(2)])
    assert model.layers[0].get_config()["units"] == 4
    model.save(tmp_path / "m.npz")
    x = np.ones((2, 4), np.float32)
    np.testing.assert_array_equal(glassnet.load_model(tmp_path / "m.npz").predict(x, verbose=0),
                                  model.predict(x, verbose=0))
    wrapped = glassnet.Sequential([glassnet.Input((4,)), WrapsALayer(glassnet.layers.Dense(4))])
    with pytest.raises(NotImplementedError, match=r"Layer WrapsALayer has arguments \['inner'\].*override `get_config"):
        wrapped.save(tmp_path / "w.keras")


# -- weights a layer makes itself ----------------------------------------------------------
def test_keras_files_with_variables_of_your_own_load_and_predict_the_same():
    """add_weight and keras.Variable in build(); a Dense subclass with a keras.Variable, of
    which Keras's Dense writes only the kernel and bias ("needs 3 weight arrays, the file
    holds 2"); and a save_own_variables of yours, which keeps what it chose ("scale")."""
    shared_layers()
    expected = np.load(FIXTURES / "own_variables.npz")
    with pytest.warns(UserWarning, match=r"Keras's Dense writes only its own weights; calls of CountingDense kept"):
        model = glassnet.load_model(FIXTURES / "own_variables.keras")
    np.testing.assert_allclose(model.predict(expected["x"], verbose=0), expected["y"], atol=1e-5, rtol=0)
    counting, gate, log_scale = model.layers[1:4]
    assert float(counting.calls) == 7.0 and list(gate.state) == ["offset"]
    assert model.optimizer.iterations == 4


def test_variables_of_your_own_are_written_where_keras_looks(tmp_path):
    """A keras.Variable made in build() was adopted twice (the model builds its layers again
    from its own seed): glassnet wrote three arrays for Gate's two, which Keras refused."""
    model, x = glassnet_model("own_variables")
    gate = model.layers[2]
    assert list(gate.params) == ["v"] and list(gate.state) == ["offset"]
    path = tmp_path / "own.keras"
    model.save(path)
    names, _ = weight_names(path)
    assert sorted(n for n in names if n.startswith("layers/gate/")) == ["layers/gate/vars/0", "layers/gate/vars/1"]
    assert sorted(n for n in names if n.startswith("layers/log_scale/")) == ["layers/log_scale/vars/scale"]
    assert "layers/counting_dense/vars/2" in names                  # Keras's Dense reads 0 and 1, and loads
    again = glassnet.load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(again.layers[3].params["log_scale"], model.layers[3].params["log_scale"], atol=1e-6)


def test_a_load_own_variables_that_fails_is_one_line(tmp_path):
    model, _ = glassnet_model("own_variables")
    path = tmp_path / "own.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    weights = io.BytesIO(members["model.weights.h5"])
    with h5py.File(weights, "a") as h5:
        h5["layers/log_scale/vars"].move("scale", "other")
    members["model.weights.h5"] = weights.getvalue()
    with zipfile.ZipFile(tmp_path / "bad.keras", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ModelFileError, match=r"bad.keras: layer 'log_scale' .*load_own_variables failed .*scale"):
        glassnet.load_model(tmp_path / "bad.keras")


def test_layer_s_own_variables_hooks_are_keras_s():
    layer = glassnet.layers.Dense(2)
    layer.build((3,))
    store = {}
    layer.save_own_variables(store)
    assert list(store) == ["0", "1"] and store["0"].shape == (3, 2)
    layer.load_own_variables({"0": np.ones((3, 2)), "1": np.zeros(2)})
    assert np.all(layer.params["kernel"] == 1)
    with pytest.raises(ValueError, match="expected 2 variables, but received 1"):
        layer.load_own_variables({"0": np.ones((3, 2))})


# -- real Keras loads glassnet's files -------------------------------------------------------
KERAS_CHECK = """
import sys, numpy as np, keras
exec(compile(open(sys.argv[1]).read(), "shared_layers.py", "exec"))
for x, y, path in zip(*[iter(sys.argv[2:])] * 3):       # (inputs, predictions, model file) triples
    model = keras.models.load_model(path)
    print(float(np.abs(model.predict(np.load(x), verbose=0) - np.load(y)).max()))
"""


def test_real_keras_loads_glassnet_s_files_of_layers_of_your_own(tmp_path):
    """Keras refused glassnet's Gate ("expected 2 variables, but received 3") and read the
    Transformer classifier's weights from a graph of other layers."""
    pytest.importorskip("keras")
    arguments = [str(SHARED)]
    for name in ("feed_forward", "transformer", "own_variables"):
        model, x = glassnet_model(name)
        model.save(tmp_path / f"{name}.keras")
        np.save(tmp_path / f"{name}_x.npy", x[:8])
        np.save(tmp_path / f"{name}_y.npy", model.predict(x[:8], verbose=0))
        arguments += [str(tmp_path / f"{name}_x.npy"), str(tmp_path / f"{name}_y.npy"), str(tmp_path / f"{name}.keras")]
    env = dict(os.environ)
    if importlib.util.find_spec("torch") is not None:      # faster to start than TensorFlow
        env.setdefault("KERAS_BACKEND", "torch")
    result = subprocess.run([sys.executable, "-c", KERAS_CHECK, *arguments], capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    differences = [float(line) for line in result.stdout.strip().splitlines()[-3:]]
    assert len(differences) == 3 and max(differences) < 1e-5, differences
