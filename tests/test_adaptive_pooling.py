"""Adaptive pooling (1-D, 2-D, 3-D; average and max): windows fitted to the output size.

Gradients: glassnet.gradcheck's catalogue (tests/test_gradcheck.py). Here: the windows by
their definition, Keras 3 and PyTorch on the same inputs, and .keras files both ways.
"""

import itertools
import json
import os

import numpy as np
import pytest

import glassnet
from glassnet import layers, load_model, models
from glassnet.engine.layers.adaptive_pooling import windows

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
RNG = np.random.default_rng(0)
INPUTS = {1: RNG.normal(size=(2, 11, 3)), 2: RNG.normal(size=(2, 9, 7, 3)), 3: RNG.normal(size=(2, 5, 7, 6, 2))}
SIZES = {1: [4, 11, 3], 2: [(4, 3), 2, (9, 5)], 3: [(2, 3, 4), 3]}
CASES = [(kind, rank, size) for kind in ("Average", "Max") for rank, sizes in SIZES.items() for size in sizes]


def pooled(kind, rank, size, x):
    model = models.Sequential([layers.Input(x.shape[1:]), getattr(layers, f"Adaptive{kind}Pooling{rank}D")(size)])
    return model, model.predict(x.astype(np.float32), verbose=0)


def test_windows_cover_the_axis_evenly():
    assert [list(v) for v in windows(10, 4)] == [[0, 2, 5, 7], [3, 5, 8, 10]]
    assert [list(v) for v in windows(3, 5)] == [[0, 0, 1, 1, 2], [1, 2, 2, 3, 3]]   # more outputs than positions


@pytest.mark.parametrize("kind", ["Average", "Max"])
def test_a_box_is_reduced_by_its_definition(kind):
    x = INPUTS[2]
    _, y = pooled(kind, 2, (4, 3), x)
    (rows_from, rows_to), (cols_from, cols_to) = windows(9, 4), windows(7, 3)
    reduce = np.mean if kind == "Average" else np.max
    for i, j in itertools.product(range(4), range(3)):
        box = x[:, rows_from[i]:rows_to[i], cols_from[j]:cols_to[j]]
        np.testing.assert_allclose(y[:, i, j], reduce(box, axis=(1, 2)), rtol=1e-6, atol=1e-6)


def test_bad_sizes_and_shapes_are_one_line_errors():
    with pytest.raises(ValueError, match="output_size"):
        layers.AdaptiveAveragePooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="data_format"):
        layers.AdaptiveMaxPooling1D(2, data_format="channels_first")
    with pytest.raises(Exception, match="images"):
        models.Sequential([layers.Input((5, 3)), layers.AdaptiveMaxPooling2D(2)])


@pytest.mark.parametrize("kind, rank, size", CASES)
def test_outputs_and_configs_are_keras_ones(kind, rank, size):
    keras = pytest.importorskip("keras")
    x = INPUTS[rank].astype(np.float32)
    theirs = getattr(keras.layers, f"Adaptive{kind}Pooling{rank}D")(size)
    model, y = pooled(kind, rank, size, x)
    np.testing.assert_allclose(y, np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)
    written = json.loads(model.to_json())["config"]["layers"][-1]["config"]
    assert written.keys() == theirs.get_config().keys()


@pytest.mark.parametrize("kind, rank, size", CASES)
def test_outputs_are_pytorch_ones(kind, rank, size):
    torch = pytest.importorskip("torch")
    x = INPUTS[rank].astype(np.float32)
    theirs = getattr(torch.nn, f"Adaptive{kind.replace('Average', 'Avg')}Pool{rank}d")(size)
    channels_first = np.moveaxis(x, -1, 1)
    expected = np.moveaxis(theirs(torch.from_numpy(np.ascontiguousarray(channels_first))).numpy(), 1, -1)
    np.testing.assert_allclose(pooled(kind, rank, size, x)[1], expected, rtol=1e-5, atol=1e-6)


def test_keras_files_both_ways(tmp_path):
    keras = pytest.importorskip("keras")
    x = INPUTS[2].astype(np.float32)

    def stack(library):
        L = library.layers
        return library.Sequential([L.Input(x.shape[1:]), L.Conv2D(4, 2), L.AdaptiveMaxPooling2D((3, 4)),
                                   L.AdaptiveAveragePooling2D(2), L.Flatten(), L.Dense(2)])

    ours = stack(glassnet)
    ours.save(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(keras.models.load_model(tmp_path / "ours.keras")(x)),
                               ours.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    theirs = stack(keras)
    theirs.save(tmp_path / "theirs.keras")
    np.testing.assert_allclose(load_model(tmp_path / "theirs.keras").predict(x, verbose=0),
                               np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)
