"""Keras's cells and RNN(cell): the recurrent layers themselves, written back as Keras's RNN."""

import io
import json
import zipfile

import numpy as np
import pytest

import glassnet
from glassnet.engine.layers import (GRU, LSTM, RNN, Dense, GRUCell, Input, LSTMCell, SimpleRNN, SimpleRNNCell,
                                    StackedRNNCells)
from glassnet.engine.model import Sequential

X = np.random.default_rng(0).standard_normal((3, 6, 4)).astype(np.float32)


@pytest.mark.parametrize("cell, layer", [(LSTMCell, LSTM), (GRUCell, GRU), (SimpleRNNCell, SimpleRNN)])
def test_rnn_of_a_cell_is_the_layer_with_the_cells_settings(cell, layer):
    made = RNN(cell(5, dropout=0.25, recurrent_dropout=0.1, activation="relu"), return_sequences=True,
               go_backwards=True)
    assert type(made) is layer and made.made_as_rnn
    assert (made.units, made.dropout, made.recurrent_dropout, made.activation) == (5, 0.25, 0.1, "relu")
    assert made.return_sequences and made.go_backwards
    plain = layer(5, activation="relu", return_sequences=True, go_backwards=True)
    for one in (made, plain):
        one.build((6, 4), np.random.default_rng(1))
    np.testing.assert_array_equal(made.forward(X), plain.forward(X))
    assert LSTMCell(3).state_size == [3, 3] and GRUCell(3).state_size == 3


def test_a_model_of_cells_is_written_as_keras_writes_it(tmp_path):
    model = Sequential([Input((6, 4)), RNN(LSTMCell(5), return_sequences=True), RNN(GRUCell(3)), Dense(2)], seed=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        config = json.loads(archive.read("config.json"))
        with pytest.importorskip("h5py").File(io.BytesIO(archive.read("model.weights.h5"))) as weights:
            groups = sorted(name for name in weights["layers"])
    specs = [s for s in config["config"]["layers"] if s["class_name"] != "InputLayer"]
    assert [s["class_name"] for s in specs] == ["RNN", "RNN", "Dense"]
    assert specs[0]["config"]["cell"]["class_name"] == "LSTMCell" and specs[0]["config"]["cell"]["config"]["units"] == 5
    assert specs[0]["config"]["return_sequences"] and "units" not in specs[0]["config"]
    assert groups == ["dense", "rnn", "rnn_1"]                  # Keras names the groups by class
    again = glassnet.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(again.predict(X, verbose=0), model.predict(X, verbose=0))
    assert again.layers[0].made_as_rnn


def test_what_glassnet_cant_run_says_what_to_do_instead():
    with pytest.raises(NotImplementedError, match=r"stack the layers instead.*RNN\(LSTMCell\(32\), return_sequences"):
        RNN([LSTMCell(3), LSTMCell(2)])
    with pytest.raises(NotImplementedError, match=r"StackedRNNCells is not in glassnet"):
        StackedRNNCells([LSTMCell(3)])

    class MinimalRNNCell(glassnet.layers.Layer):
        state_size = 4

    with pytest.raises(NotImplementedError, match=r"RNN: glassnet runs its own cells .*not MinimalRNNCell"):
        RNN(MinimalRNNCell())
    with pytest.raises(ValueError, match=r"LSTM: dropout must be in \[0, 1\), got 2.0"):
        LSTMCell(3, dropout=2.0)
