"""ConvLSTM2D: an LSTM over frames whose products are convolutions.

Its gradients (through every step) are checked in glassnet.gradcheck's catalogue
(tests/test_gradcheck.py); here: it is the LSTM on 1x1 frames, Keras 3's outputs on the same
weights, and .keras files both ways.
"""

import json
import os

import numpy as np
import pytest

import glassnet
from glassnet import layers, load_model, models

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 4, 6, 5, 3)).astype(np.float32)

CASES = [
    dict(filters=4, kernel_size=3),
    dict(filters=2, kernel_size=(3, 2), padding="same", return_sequences=True),
    dict(filters=3, kernel_size=2, strides=2, go_backwards=True, return_sequences=True),
    dict(filters=2, kernel_size=2, dilation_rate=2, recurrent_activation="hard_sigmoid", unit_forget_bias=False),
]


def test_on_one_pixel_frames_it_is_the_lstm():
    """A 1x1 kernel on 1x1 frames: every convolution is the LSTM's matrix product."""
    x = RNG.normal(size=(3, 5, 4))
    lstm = layers.LSTM(6, return_sequences=True, dtype="float64")
    lstm.build(x.shape[1:])
    conv = layers.ConvLSTM2D(6, 1, return_sequences=True, dtype="float64")
    conv.build((5, 1, 1, 4))
    conv.set_weights([w.reshape(c.shape) for w, c in zip(lstm.get_weights(), conv.get_weights())])
    np.testing.assert_allclose(conv.forward(x[:, :, None, None])[:, :, 0, 0], lstm.forward(x), atol=1e-12)


def test_shapes_weights_and_counts_are_keras_ones():
    model = models.Sequential([layers.Input((None, 6, 5, 3)), layers.ConvLSTM2D(4, 3, return_sequences=True)])
    conv = model.layers[-1]
    assert [w.shape for w in conv.get_weights()] == [(3, 3, 3, 16), (3, 3, 4, 16), (16,)]
    assert model.output_shape == (None, None, 4, 3, 4) and conv.count_params() == 9 * 3 * 16 + 9 * 4 * 16 + 16
    assert np.all(conv.get_weights()[2][4:8] == 1)            # unit_forget_bias
    assert model.predict(X, verbose=0).shape == (2, 4, 4, 3, 4)


def test_settings_glassnet_cant_run_are_one_line_errors():
    for setting in (dict(return_state=True), dict(stateful=True), dict(dropout=0.1), dict(data_format="channels_first")):
        with pytest.raises(ValueError, match=next(iter(setting))):
            layers.ConvLSTM2D(2, 3, **setting)
    with pytest.raises(Exception, match="time, height, width"):
        models.Sequential([layers.Input((6, 6, 1)), layers.ConvLSTM2D(2, 3)])


@pytest.mark.parametrize("kwargs", CASES)
def test_outputs_and_configs_are_keras_ones(kwargs):
    keras = pytest.importorskip("keras")
    theirs = keras.layers.ConvLSTM2D(**kwargs, bias_initializer="random_normal")
    expected = np.asarray(theirs(X))
    model = models.Sequential([layers.Input(X.shape[1:]), layers.ConvLSTM2D(**kwargs)])
    model.layers[-1].set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(model.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-5)
    written = json.loads(model.to_json())["config"]["layers"][-1]["config"]   # as a .keras file holds it
    assert written.keys() == theirs.get_config().keys()


def test_keras_files_both_ways(tmp_path):
    keras = pytest.importorskip("keras")

    def stack(library):
        L = library.layers
        return library.Sequential([L.Input(X.shape[1:]), L.ConvLSTM2D(4, 3, padding="same", return_sequences=True),
                                   L.BatchNormalization(), L.ConvLSTM2D(2, (2, 3), go_backwards=True),
                                   L.Flatten(), L.Dense(3)])

    ours = stack(glassnet)
    ours.save(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(keras.models.load_model(tmp_path / "ours.keras")(X)),
                               ours.predict(X, verbose=0), rtol=1e-5, atol=1e-5)
    theirs = stack(keras)
    theirs.save(tmp_path / "theirs.keras")
    np.testing.assert_allclose(load_model(tmp_path / "theirs.keras").predict(X, verbose=0),
                               np.asarray(theirs(X)), rtol=1e-5, atol=1e-5)


# -- ConvLSTM1D: ConvLSTM2D on frames one row high ----------------------------------------------
SEQUENCES = RNG.normal(size=(2, 4, 9, 3)).astype(np.float32)     # (batch, time, steps, channels)


def test_conv_lstm1d_is_conv_lstm2d_on_one_row_frames():
    one = models.Sequential([layers.Input(SEQUENCES.shape[1:]), layers.ConvLSTM1D(2, 3, return_sequences=True)])
    two = models.Sequential([layers.Input((4, 1, 9, 3)), layers.ConvLSTM2D(2, (1, 3), return_sequences=True)])
    assert [w.shape for w in one.get_weights()] == [(3, 3, 8), (3, 2, 8), (8,)]
    two.set_weights([w.reshape(t.shape) for w, t in zip(one.get_weights(), two.get_weights())])
    np.testing.assert_allclose(one.predict(SEQUENCES, verbose=0),
                               two.predict(SEQUENCES[:, :, None], verbose=0)[:, :, 0], atol=1e-6)
    with pytest.raises(Exception, match="sequences of sequences"):
        models.Sequential([layers.Input((9, 3)), layers.ConvLSTM1D(2, 3)])


@pytest.mark.parametrize("kwargs", [dict(filters=3, kernel_size=3),
                                    dict(filters=2, kernel_size=2, strides=2, padding="same", return_sequences=True,
                                         go_backwards=True)])
def test_conv_lstm1d_outputs_configs_and_files_are_keras_ones(kwargs, tmp_path):
    keras = pytest.importorskip("keras")
    theirs = keras.Sequential([keras.Input(SEQUENCES.shape[1:]),
                               keras.layers.ConvLSTM1D(**kwargs, bias_initializer="random_normal")])
    theirs.save(tmp_path / "theirs.keras")
    ours = load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(ours.predict(SEQUENCES, verbose=0), np.asarray(theirs(SEQUENCES)), rtol=1e-5,
                               atol=1e-5)
    written = json.loads(ours.to_json())["config"]["layers"][-1]["config"]
    assert written.keys() == theirs.layers[-1].get_config().keys()
    ours.save(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(keras.models.load_model(tmp_path / "ours.keras")(SEQUENCES)),
                               ours.predict(SEQUENCES, verbose=0), rtol=1e-5, atol=1e-5)
