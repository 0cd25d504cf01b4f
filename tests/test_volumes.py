"""The 3-D layers (volumes (N, D, H, W, C)): Conv3D, Conv3DTranspose, the 3-D poolings,
ZeroPadding3D, Cropping3D, UpSampling3D and SpatialDropout3D.

Their gradients are checked in glassnet.gradcheck's catalogue (tests/test_gradcheck.py); here:
a plain-loop definition, Keras 3 and PyTorch on the same weights, and .keras files both ways.
"""

import itertools
import json
import os

import numpy as np
import pytest

import glassnet
from glassnet import layers, load_model, models
from glassnet.errors import ShapeError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 5, 6, 4, 3)).astype(np.float32)

CASES = [
    ("Conv3D", dict(filters=4, kernel_size=3)),
    ("Conv3D", dict(filters=2, kernel_size=(2, 3, 2), strides=2, padding="same", activation="relu")),
    ("Conv3D", dict(filters=2, kernel_size=2, dilation_rate=(2, 1, 2), use_bias=False)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=3)),
    ("Conv3DTranspose", dict(filters=3, kernel_size=(3, 2, 4), strides=(2, 1, 2), padding="same")),
    ("MaxPooling3D", dict()),
    ("MaxPooling3D", dict(pool_size=3, strides=(2, 1, 2), padding="same")),
    ("AveragePooling3D", dict(pool_size=2)),
    ("AveragePooling3D", dict(pool_size=(3, 2, 3), strides=2, padding="same")),
    ("GlobalAveragePooling3D", dict()),
    ("GlobalMaxPooling3D", dict(keepdims=True)),
    ("ZeroPadding3D", dict(padding=(1, 0, 2))),
    ("Cropping3D", dict(cropping=((1, 0), (2, 1), (0, 1)))),
    ("UpSampling3D", dict(size=(1, 2, 3))),
    ("SpatialDropout3D", dict(rate=0.3)),
]


def built(name, kwargs):
    model = models.Sequential([layers.Input(X.shape[1:]), getattr(layers, name)(**kwargs)])
    return model, model.layers[-1]


def conv3d_reference(x, kernel, strides=(1, 1, 1)):
    """``y[n, i, j, l, f] = sum over (a, b, e, c) of x[n, i*S + a, j*S + b, l*S + e, c] * K[a, b, e, c, f]``."""
    kd, kh, kw, _, f = kernel.shape
    out = [(n - k) // s + 1 for n, k, s in zip(x.shape[1:4], (kd, kh, kw), strides)]
    y = np.zeros((len(x), *out, f))
    for i, j, l in itertools.product(*map(range, out)):
        box = x[:, i * strides[0]:i * strides[0] + kd, j * strides[1]:j * strides[1] + kh,
                l * strides[2]:l * strides[2] + kw]
        y[:, i, j, l] = np.einsum("nabec,abecf->nf", box, kernel)
    return y


def test_conv3d_is_its_definition_and_the_transpose_its_input_gradient():
    x = RNG.normal(size=(2, 5, 6, 5, 3))
    conv = layers.Conv3D(4, (2, 3, 2), strides=(1, 2, 2), use_bias=False, dtype="float64")
    conv.build(x.shape[1:])
    y = conv.forward(x)
    np.testing.assert_allclose(y, conv3d_reference(x, conv.params["kernel"], (1, 2, 2)), atol=1e-12)
    # <conv(x), dy> = <x, transpose(dy)>: the same kernel, read the other way
    transpose = layers.Conv3DTranspose(3, (2, 3, 2), strides=(1, 2, 2), use_bias=False, dtype="float64")
    transpose.build(y.shape[1:])
    transpose.params["kernel"][...] = conv.params["kernel"]      # (KD, KH, KW, C, F): F in, C out
    dy = RNG.normal(size=y.shape)
    back = transpose.forward(dy)            # (2, 5, 5, 4, 3): the positions conv read (its last row and column not)
    np.testing.assert_allclose(np.sum(y * dy), np.sum(x[:, :5, :5, :4] * back))


def test_weights_shapes_and_counts_are_keras_ones():
    model, conv = built("Conv3D", dict(filters=4, kernel_size=(3, 2, 1)))
    assert [w.shape for w in conv.get_weights()] == [(3, 2, 1, 3, 4), (4,)]
    assert model.output_shape == (None, 3, 5, 4, 4) and conv.count_params() == 3 * 2 * 3 * 4 + 4
    model, transpose = built("Conv3DTranspose", dict(filters=2, kernel_size=3, strides=2))
    assert [w.shape for w in transpose.get_weights()] == [(3, 3, 3, 2, 3), (2,)]
    assert model.output_shape == (None, 11, 13, 9, 2)


def test_bad_settings_and_shapes_are_one_line_errors():
    with pytest.raises(ValueError, match="groups"):
        layers.Conv3D(2, 3, groups=2)
    with pytest.raises(ValueError, match="dilation_rate"):
        layers.Conv3DTranspose(2, 3, dilation_rate=2)
    with pytest.raises(ValueError, match="data_format"):
        layers.MaxPooling3D(data_format="channels_first")
    with pytest.raises(ValueError, match="kernel_size"):
        layers.Conv3D(2, (3, 3))
    with pytest.raises(ShapeError, match="volumes"):
        models.Sequential([layers.Input((6, 6, 1)), layers.Conv3D(2, 3)])
    with pytest.raises(ShapeError, match="doesn't fit"):
        models.Sequential([layers.Input((2, 6, 6, 1)), layers.Conv3D(2, 3)])


@pytest.mark.parametrize("name, kwargs", CASES)
def test_outputs_and_configs_are_keras_ones(name, kwargs):
    keras = pytest.importorskip("keras")
    theirs = getattr(keras.layers, name)(**kwargs)
    expected = np.asarray(theirs(X))
    model, ours = built(name, kwargs)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(model.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-5)
    written = json.loads(model.to_json())["config"]["layers"][-1]["config"]   # as a .keras file holds it
    assert written.keys() == theirs.get_config().keys()


@pytest.mark.parametrize("kind, kwargs", [("Conv3d", dict(stride=1)), ("Conv3d", dict(stride=2, dilation=(1, 2, 1))),
                                          ("ConvTranspose3d", dict(stride=(2, 1, 2)))])
def test_convolutions_match_pytorch(kind, kwargs):
    torch = pytest.importorskip("torch")
    transposed = kind == "ConvTranspose3d"
    theirs = getattr(torch.nn, kind)(3, 2, (3, 2, 3), **kwargs)
    ours = (layers.Conv3DTranspose if transposed else layers.Conv3D)(
        2, (3, 2, 3), strides=kwargs["stride"], **({} if transposed else {"dilation_rate": kwargs.get("dilation", 1)}))
    model = models.Sequential([layers.Input(X.shape[1:]), ours])
    weight = theirs.weight.detach().numpy()      # (F, C, KD, KH, KW); transposed (C, F, ...): ours (..., F, C)
    ours.set_weights([weight.transpose(2, 3, 4, 1, 0),
                      theirs.bias.detach().numpy()])
    expected = theirs(torch.from_numpy(X.transpose(0, 4, 1, 2, 3))).detach().numpy().transpose(0, 2, 3, 4, 1)
    np.testing.assert_allclose(model.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", ["MaxPool3d", "AvgPool3d"])
def test_poolings_match_pytorch(kind):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, kind)((2, 3, 2), stride=(1, 2, 2))
    model, _ = built(kind.replace("Pool3d", "Pooling3D").replace("Avg", "Average"),
                     dict(pool_size=(2, 3, 2), strides=(1, 2, 2)))
    expected = theirs(torch.from_numpy(X.transpose(0, 4, 1, 2, 3))).numpy().transpose(0, 2, 3, 4, 1)
    np.testing.assert_allclose(model.predict(X, verbose=0), expected, rtol=1e-6, atol=1e-6)


def test_keras_files_both_ways(tmp_path):
    """A model of the 3-D layers saved by glassnet predicts the same in Keras, and Keras's in glassnet."""
    keras = pytest.importorskip("keras")

    def stack(library):
        L = library.layers
        return library.Sequential([
            L.Input(X.shape[1:]), L.ZeroPadding3D(1), L.Conv3D(4, 3, activation="relu"), L.MaxPooling3D(2),
            L.SpatialDropout3D(0.2), L.Conv3DTranspose(3, 2, strides=2, padding="same"), L.UpSampling3D((1, 1, 2)),
            L.Cropping3D(((0, 1), (1, 0), (1, 1))), L.AveragePooling3D(2, padding="same"), L.GlobalMaxPooling3D()])

    ours = stack(glassnet)
    ours.save(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(keras.models.load_model(tmp_path / "ours.keras")(X)),
                               ours.predict(X, verbose=0), rtol=1e-5, atol=1e-5)
    theirs = stack(keras)
    theirs.save(tmp_path / "theirs.keras")
    np.testing.assert_allclose(load_model(tmp_path / "theirs.keras").predict(X, verbose=0),
                               np.asarray(theirs(X)), rtol=1e-5, atol=1e-5)
