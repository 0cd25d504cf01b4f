"""Conv1DTranspose, DepthwiseConv1D and SeparableConv1D: the 2-D layers on one-row images.

Their gradients are checked in glassnet.gradcheck's catalogue (tests/test_gradcheck.py); here:
their outputs against Keras 3 and PyTorch on the same weights, their weights' shapes, and
.keras files both ways.
"""

import json
import os

import numpy as np
import pytest

from glassnet import layers, load_model, models

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 7, 4)).astype(np.float32)

CASES = [
    ("Conv1DTranspose", dict(filters=3, kernel_size=3)),
    ("Conv1DTranspose", dict(filters=2, kernel_size=4, strides=2, padding="same", activation="relu")),
    ("Conv1DTranspose", dict(filters=2, kernel_size=2, strides=3, use_bias=False)),
    ("DepthwiseConv1D", dict(kernel_size=3)),
    ("DepthwiseConv1D", dict(kernel_size=3, strides=2, padding="same", depth_multiplier=2)),
    ("DepthwiseConv1D", dict(kernel_size=2, dilation_rate=2, activation="tanh")),
    ("SeparableConv1D", dict(filters=5, kernel_size=3)),
    ("SeparableConv1D", dict(filters=3, kernel_size=3, strides=2, padding="same", depth_multiplier=2)),
    ("SeparableConv1D", dict(filters=2, kernel_size=2, dilation_rate=3, use_bias=False)),
]


def built(name, kwargs, x=X):
    model = models.Sequential([layers.Input(x.shape[1:]), getattr(layers, name)(**kwargs)])
    return model, model.layers[-1]


def test_weights_have_keras_shapes_and_counts():
    _, transpose = built("Conv1DTranspose", dict(filters=3, kernel_size=5))
    assert [w.shape for w in transpose.get_weights()] == [(5, 3, 4), (3,)]
    _, depthwise = built("DepthwiseConv1D", dict(kernel_size=3, depth_multiplier=2))
    assert [w.shape for w in depthwise.get_weights()] == [(3, 4, 2), (8,)]
    model, separable = built("SeparableConv1D", dict(filters=6, kernel_size=3, depth_multiplier=2))
    assert [w.shape for w in separable.get_weights()] == [(3, 4, 2), (1, 8, 6), (6,)]
    assert separable.count_params() == 3 * 4 * 2 + 8 * 6 + 6
    assert model.output_shape == (None, 5, 6)


def test_transpose_lengths_are_keras_ones():
    for padding, strides, size, length in [("valid", 1, 3, 9), ("valid", 2, 3, 15), ("same", 2, 3, 14),
                                           ("valid", 3, 2, 21), ("same", 3, 5, 21)]:
        model, _ = built("Conv1DTranspose", dict(filters=1, kernel_size=size, strides=strides, padding=padding))
        assert model.output_shape == (None, length, 1)
        assert model.predict(X, verbose=0).shape == (3, length, 1)


def test_conv1d_transpose_is_the_input_gradient_of_conv1d():
    """<Conv1D(x), dy> = <x, Conv1DTranspose(dy)> with the same kernel (K, C, F) and no bias."""
    x = RNG.normal(size=(3, 9, 4))
    conv = layers.Conv1D(3, 3, strides=2, use_bias=False, dtype="float64")
    conv.build((9, 4))
    dy = RNG.normal(size=conv.forward(x).shape)                 # (3, 4, 3)
    transpose = layers.Conv1DTranspose(4, 3, strides=2, use_bias=False, dtype="float64")
    transpose.build(dy.shape[1:])
    transpose.params["kernel"][...] = conv.params["kernel"]
    np.testing.assert_allclose(np.sum(conv.forward(x) * dy), np.sum(x * transpose.forward(dy)[:, :9]))


def test_bad_settings_are_one_line_errors():
    with pytest.raises(ValueError, match="dilation_rate"):
        layers.Conv1DTranspose(2, 3, dilation_rate=2)
    with pytest.raises(TypeError, match="groups"):
        layers.Conv1DTranspose(2, 3, groups=2)
    with pytest.raises(ValueError, match="output_padding"):
        layers.Conv1DTranspose(2, 3, output_padding=1)
    with pytest.raises(ValueError, match="kernel_size"):
        layers.SeparableConv1D(2, (3, 3))
    with pytest.raises(Exception, match="sequences"):
        models.Sequential([layers.Input((4, 4, 1)), layers.DepthwiseConv1D(3)])


@pytest.mark.parametrize("name, kwargs", CASES)
def test_outputs_are_keras_ones_on_the_same_weights(name, kwargs):
    keras = pytest.importorskip("keras")
    theirs = getattr(keras.layers, name)(**kwargs)
    expected = np.asarray(theirs(X))
    model, ours = built(name, kwargs)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(model.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-5)
    written = json.loads(model.to_json())["config"]["layers"][-1]["config"]   # as a .keras file holds it
    assert written.keys() == theirs.get_config().keys()


@pytest.mark.parametrize("strides, size", [(1, 3), (2, 3), (2, 4), (3, 3)])
def test_conv1d_transpose_matches_pytorch(strides, size):
    torch = pytest.importorskip("torch")
    model, ours = built("Conv1DTranspose", dict(filters=3, kernel_size=size, strides=strides))
    theirs = torch.nn.ConvTranspose1d(4, 3, size, stride=strides)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.params["kernel"].transpose(2, 1, 0).copy()))
        theirs.bias.copy_(torch.from_numpy(RNG.normal(size=3).astype(np.float32)))
    ours.params["bias"][...] = theirs.bias.detach().numpy()
    expected = theirs(torch.from_numpy(X.transpose(0, 2, 1))).detach().numpy().transpose(0, 2, 1)
    np.testing.assert_allclose(model.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-5)


def test_keras_files_both_ways(tmp_path):
    """A model of all three saved by glassnet predicts the same in Keras, and Keras's in glassnet."""
    keras = pytest.importorskip("keras")

    def stack(library):
        L = library.layers
        return library.Sequential([L.Input((7, 4)), L.Conv1DTranspose(4, 3, strides=2, padding="same",
                                                                          activation="relu"),
                                   L.SeparableConv1D(3, 3, depth_multiplier=2), L.DepthwiseConv1D(2, padding="same")])

    import glassnet
    ours = stack(glassnet)
    ours.save(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(keras.models.load_model(tmp_path / "ours.keras")(X)),
                               ours.predict(X, verbose=0), rtol=1e-5, atol=1e-5)
    theirs = stack(keras)
    theirs.save(tmp_path / "theirs.keras")
    np.testing.assert_allclose(load_model(tmp_path / "theirs.keras").predict(X, verbose=0),
                               np.asarray(theirs(X)), rtol=1e-5, atol=1e-5)
