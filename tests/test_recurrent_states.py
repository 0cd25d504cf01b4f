"""States in and out of the recurrent layers (``return_state=True``, ``initial_state=``), and
dropout inside the recurrence (``dropout=``, ``recurrent_dropout=``).

Keras's sequence-to-sequence models hand an encoder's last states to a decoder::

    _, h, c = LSTM(64, return_state=True)(encoder_inputs)
    y = LSTM(64, return_sequences=True)(decoder_inputs, initial_state=[h, c])

The gradient checks are in the catalogue (``glassnet gradcheck``: four models); here are the
semantics, Keras's and PyTorch's numbers, files both ways and the errors.
"""

import importlib.util
import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import glassnet
from glassnet.engine.layers import (GRU, LSTM, Bidirectional, Concatenate, Dense, Input, SimpleRNN)
from glassnet.engine.model import Model, Sequential
from glassnet.errors import ShapeError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "keras"
rng = np.random.default_rng(0)
X = rng.standard_normal((3, 6, 4)).astype(np.float32)


def built(layer, shape=(6, 4), seed=1):
    layer.build(shape, np.random.default_rng(seed))
    return layer


@pytest.mark.parametrize("kind", [SimpleRNN, LSTM, GRU])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_return_state_gives_the_last_states_after_the_output(kind, return_sequences):
    layer = built(kind(3, return_state=True, return_sequences=return_sequences, go_backwards=True))
    output, *states = layer(X)
    assert len(states) == (2 if kind is LSTM else 1)
    assert output.shape == ((3, 6, 3) if return_sequences else (3, 3))
    last = output.numpy()[:, -1] if return_sequences else output.numpy()
    np.testing.assert_array_equal(states[0].numpy(), last)           # h_T: the last step's output
    plain = built(kind(3, return_sequences=return_sequences, go_backwards=True))
    np.testing.assert_array_equal(plain.forward(X), output.numpy())
    if kind is LSTM:                                                 # c_T: the cell, not h
        np.testing.assert_array_equal(states[1].numpy(), layer.cells[:, -1])
        assert not np.allclose(states[1].numpy(), states[0].numpy())
    assert layer.output_shape((6, 4)) == [output.shape[1:]] + [(3,)] * len(states)


@pytest.mark.parametrize("kind", [SimpleRNN, LSTM, GRU])
def test_an_initial_state_of_zeros_is_the_default_and_others_change_the_reading(kind):
    count = 2 if kind is LSTM else 1
    layer = built(kind(3, return_sequences=True), seed=2)
    zeros = [np.zeros((3, 3), np.float32)] * count
    np.testing.assert_array_equal(layer(X, initial_state=zeros).numpy(),
                                  built(kind(3, return_sequences=True), seed=2).forward(X))
    start = [rng.standard_normal((3, 3)).astype(np.float32) for _ in range(count)]
    other = built(kind(3, return_sequences=True), seed=2)(X, initial_state=start).numpy()
    assert not np.allclose(other[:, 0], layer(X, initial_state=zeros).numpy()[:, 0])
    if kind is SimpleRNN:        # h_1 = tanh(x_0 W + h_0 U + b), by hand
        W, U, b = (built(kind(3), seed=2).params[k] for k in ("kernel", "recurrent_kernel", "bias"))
        np.testing.assert_allclose(other[:, 0], np.tanh(X[:, 0] @ W + start[0] @ U + b), rtol=1e-5)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_lstm_states_in_and_out_agree_with_pytorch(go_backwards):
    """h0, c0 in; the sequence, h_T and c_T out; the gradients of all of them, to 1e-12."""
    torch = pytest.importorskip("torch")
    layer = built(LSTM(5, return_sequences=True, return_state=True, go_backwards=go_backwards,
                       dtype="float64"))
    layer.params["bias"][...] = rng.standard_normal(20)
    reference = torch.nn.LSTM(4, 5, batch_first=True).double()
    with torch.no_grad():
        reference.weight_ih_l0.copy_(torch.tensor(layer.params["kernel"].T))
        reference.weight_hh_l0.copy_(torch.tensor(layer.params["recurrent_kernel"].T))
        reference.bias_ih_l0.copy_(torch.tensor(layer.params["bias"]))
        reference.bias_hh_l0.zero_()
    x64, h0, c0 = X.astype(np.float64), rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    tensors = [torch.tensor(a, requires_grad=True) for a in (x64[:, ::-1].copy() if go_backwards else x64, h0, c0)]
    y, (h, c) = reference(tensors[0], (tensors[1][None], tensors[2][None]))
    dy, dh, dc = rng.standard_normal(y.shape), rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    (y * torch.tensor(dy)).sum().add((h[0] * torch.tensor(dh)).sum() + (c[0] * torch.tensor(dc)).sum()).backward()

    layer.takes_list = True
    layer.build([(6, 4), (5,), (5,)], np.random.default_rng(1))
    layer.params["bias"][...] = reference.bias_ih_l0.detach().numpy()
    ours = layer.forward([x64, h0, c0])
    for got, expected in zip(ours, (y, h[0], c[0])):
        np.testing.assert_allclose(got, expected.detach().numpy(), atol=1e-12)
    layer.needs_input_grad = True
    dx, dh0, dc0 = layer.backward([dy, dh, dc])
    np.testing.assert_allclose(dx[:, ::-1] if go_backwards else dx, tensors[0].grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(dh0, tensors[1].grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(dc0, tensors[2].grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.grads["recurrent_kernel"], reference.weight_hh_l0.grad.numpy().T, atol=1e-12)


def test_bidirectional_returns_both_readings_states_as_keras_orders_them():
    inputs = Input(shape=(6, 4))
    y, h_fwd, c_fwd, h_bwd, c_bwd = Bidirectional(LSTM(3, return_state=True))(inputs)
    model = Model(inputs, [y, h_fwd, c_fwd, h_bwd, c_bwd], seed=0)
    out = model.predict(X, verbose=0)
    assert [o.shape for o in out] == [(3, 6), (3, 3), (3, 3), (3, 3), (3, 3)]
    np.testing.assert_array_equal(out[0], np.concatenate([out[1], out[3]], axis=1))   # h of each way
    forward, backward = model.layers[1].sublayers
    np.testing.assert_array_equal(out[2], forward.cells[:, -1])
    np.testing.assert_array_equal(out[4], backward.cells[:, -1])


def _first_symbol_task(n=256, steps=4, symbols=4, seed=0):
    """The decoder must answer, at every step, the encoder's *first* symbol: it can only know
    it through the states the encoder hands over (its own inputs are zeros)."""
    r = np.random.default_rng(seed)
    labels = r.integers(0, symbols, (n, 5))
    source = np.eye(symbols, dtype=np.float32)[labels]
    target = np.zeros((n, steps, 2), np.float32)
    return [source, target], np.repeat(labels[:, :1], steps, axis=1)


def seq2seq_model(seed=0):
    source, target = Input(shape=(None, 4)), Input(shape=(None, 2))
    _, h, c = LSTM(16, return_state=True)(source)
    decoded = LSTM(16, return_sequences=True)(target, initial_state=[h, c])
    model = Model([source, target], Dense(4, activation="softmax")(decoded), seed=seed)
    model.compile(optimizer=glassnet.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_a_decoder_learns_what_only_the_encoders_states_tell_it():
    """Without the states' gradients the encoder never learns to keep the first symbol, and
    the decoder guesses (25%)."""
    x, y = _first_symbol_task()
    model = seq2seq_model()
    history = model.fit(x, y, epochs=25, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.9, history.history["accuracy"]
    x_new, y_new = _first_symbol_task(64, steps=6, seed=1)           # longer answers than trained on
    assert np.mean(model.predict(x_new, verbose=0).argmax(-1) == y_new) > 0.9


@pytest.mark.parametrize("suffix", [".npz", ".keras"])
def test_a_seq2seq_model_saves_and_loads_with_its_states_connections(tmp_path, suffix):
    model = seq2seq_model()
    x, y = _first_symbol_task(32)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.save(tmp_path / f"m{suffix}")
    again = glassnet.load_model(tmp_path / f"m{suffix}")
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    decoder = again.layers[3]
    assert decoder.takes_list and [t.node.layer.name for t in decoder.nodes[0].inputs] == \
        [again.layers[1].name, again.layers[2].name, again.layers[2].name]
    if suffix == ".keras":                  # as Keras writes it: the states are the call's initial_state
        config = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
        spec = next(s for s in config["config"]["layers"] if s["name"] == decoder.name)
        call = spec["inbound_nodes"][0]
        assert len(call["args"]) == 1 and call["args"][0]["config"]["keras_history"][0] == again.layers[1].name
        assert [t["config"]["keras_history"][1:] for t in call["kwargs"]["initial_state"]] == [[0, 1], [0, 2]]
        assert spec["build_config"]["shapes_dict"]["initial_state_shape"] == [[None, 16], [None, 16]]


def test_keras_written_seq2seq_loads_predicts_the_same_and_trains_on():
    """keras.io's encoder-decoder, written by Keras 3 (scripts/make_keras_fixtures.py)."""
    expected = np.load(FIXTURES / "seq2seq.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = glassnet.load_model(FIXTURES / "seq2seq.keras")
    x = [expected["source"], expected["target"]]
    np.testing.assert_allclose(model.predict(x, verbose=0), expected["y"], atol=1e-5, rtol=0)
    assert model.optimizer.iterations == 4
    before = model.evaluate(x, expected["y"].argmax(-1), verbose=0)
    model.fit(x, expected["y"].argmax(-1), epochs=5, verbose=0)
    assert model.evaluate(x, expected["y"].argmax(-1), verbose=0) < before


def test_onnx_runs_the_states_in_and_out(tmp_path):
    pytest.importorskip("onnxruntime")
    from glassnet.interop.onnx_export import largest_difference
    inputs, h0 = Input(shape=(None, 4)), Input(shape=(3,))
    steps, h = GRU(3, return_state=True, return_sequences=True, go_backwards=True)(inputs, initial_state=h0)
    y, h_fwd, c_fwd, h_bwd, c_bwd = Bidirectional(LSTM(2, return_state=True))(steps)
    model = Model([inputs, h0], [Concatenate()([y, h, c_bwd]), h_fwd], seed=0)
    path = tmp_path / "m.onnx"
    model.export(path, format="onnx", verbose=False)
    assert largest_difference(model, path, [X, rng.standard_normal((3, 3)).astype(np.float32)]) < 1e-5


def test_states_that_dont_fit_are_refused_in_one_line():
    with pytest.raises(ValueError, match=r"LSTM: initial_state needs 2 state\(s\), \[h, c\], got 1"):
        LSTM(3)(Input(shape=(6, 4)), initial_state=Input(shape=(3,)))
    with pytest.raises(ShapeError, match=r"the initial state h must be \(batch, 3\), got \(batch, 5\)"):
        GRU(3)(Input(shape=(6, 4)), initial_state=[Input(shape=(5,))])
    layer = SimpleRNN(3)
    layer(Input(shape=(6, 4)))
    with pytest.raises(ShapeError, match="was built without initial states; each call in a model must be"):
        layer(Input(shape=(6, 4)), initial_state=[Input(shape=(3,))])
    with pytest.raises(ValueError, match=r"Bidirectional: initial_state needs 4 states, those of the forward "
                                         r"reading then the backward one's, got 2"):
        Bidirectional(LSTM(3))(Input(shape=(6, 4)), initial_state=[Input(shape=(3,))] * 2)
    with pytest.raises(ShapeError, match=r"layer 'lstm_2' \(LSTM\) needs sequences"):   # the session's third LSTM
        LSTM(3)(np.zeros((2, 4), np.float32))
    with pytest.raises(NotImplementedError, match="LSTM: mask= in a Functional model is not supported by glassnet; "
                                                  "masks made by Embedding"):
        LSTM(3)(Input(shape=(6, 4)), mask=Input(shape=(6,)))
    with pytest.raises(ShapeError, match=r"layer 'lstm_states' \(LSTM\) gives 3 outputs, and each layer of a "
                                         r"Sequential model gives one; use the Functional API"):
        Sequential([Input(shape=(6, 4)), LSTM(3, return_state=True, name="lstm_states"), Dense(2)])


# -- dropout inside the recurrence -----------------------------------------------------------
def _repeated_input(n=400, steps=5):
    """The same input at every step: a mask drawn once per sequence keeps the steps equal."""
    return np.repeat(np.random.default_rng(3).standard_normal((n, 1, 4)), steps, axis=1).astype(np.float32)


def test_input_dropout_draws_one_mask_per_sequence_and_keeps_the_mean():
    layer = built(SimpleRNN(6, activation=None, return_sequences=True, dropout=0.5, seed=1), (5, 4))
    layer.params["recurrent_kernel"][...] = 0        # h_t = (x_t * mask) @ W + b: the input part alone
    x = _repeated_input()
    y = layer.forward(x, training=True)
    masks = layer.input_masks[0]
    np.testing.assert_allclose(y, np.repeat(y[:, :1], 5, axis=1), rtol=1e-6)   # the same mask at every step
    np.testing.assert_allclose(y, (x * masks) @ layer.params["kernel"] + layer.params["bias"], rtol=1e-5)
    np.testing.assert_allclose(layer.forward(x), x @ layer.params["kernel"] + layer.params["bias"], rtol=1e-6)
    assert masks.shape == (400, 1, 4) and set(np.unique(masks)) == {0.0, 2.0}   # kept ones scaled by 1/(1-rate)
    assert 0.45 < np.mean(masks == 0) < 0.55
    again = layer.forward(x, training=True)
    assert not np.array_equal(again, y)              # a new mask for every batch


@pytest.mark.parametrize("kind", [LSTM, GRU])
def test_recurrent_dropout_draws_a_mask_per_gate_and_leaves_inference_alone(kind):
    layer = built(kind(3, return_sequences=True, dropout=0.2, recurrent_dropout=0.3, seed=0))
    plain = built(kind(3, return_sequences=True), seed=1)
    plain.set_weights(layer.get_weights())
    np.testing.assert_array_equal(layer.forward(X), plain.forward(X))
    layer.forward(X, training=True)
    gates = 4 if kind is LSTM else 3
    assert len(layer.input_masks) == len(layer.recurrent_masks) == gates       # as Keras's implementation 1
    assert not np.array_equal(layer.recurrent_masks[0], layer.recurrent_masks[1])
    only_inputs = built(kind(3, dropout=0.2))
    only_inputs.forward(X, training=True)
    assert len(only_inputs.input_masks) == 1 and only_inputs.recurrent_masks is None


def test_dropout_settings_travel_in_configs_and_keras_files(tmp_path):
    inputs = Input(shape=(6, 4))
    model = Model(inputs, Dense(2)(GRU(3, dropout=0.25, recurrent_dropout=0.1, seed=7)(inputs)), seed=0)
    model.save(tmp_path / "m.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    spec = next(s for s in config["config"]["layers"] if s["class_name"] == "GRU")["config"]
    assert (spec["dropout"], spec["recurrent_dropout"], spec["seed"]) == (0.25, 0.1, 7)
    again = glassnet.load_model(tmp_path / "m.keras").layers[1]
    assert (again.dropout, again.recurrent_dropout, again.seed) == (0.25, 0.1, 7)


def test_a_model_with_recurrent_dropout_trains():
    x, y = _first_symbol_task(128)
    source, target = Input(shape=(None, 4)), Input(shape=(None, 2))
    _, h, c = LSTM(16, return_state=True, dropout=0.1, recurrent_dropout=0.1)(source)
    decoded = LSTM(16, return_sequences=True, recurrent_dropout=0.1)(target, initial_state=[h, c])
    model = Model([source, target], Dense(4, activation="softmax")(decoded), seed=0)
    model.compile(optimizer=glassnet.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.6 * history.history["loss"][0]


def test_bidirectional_without_a_merge_gives_both_readings_in_step_order(tmp_path):
    """merge_mode=None: [y_fwd, y_bwd] (then the states), the backward reading turned round
    so that step t faces step t, as Keras gives them; files and ONNX keep the two outputs."""
    inputs = Input(shape=(6, 4))
    y_fwd, y_bwd = Bidirectional(LSTM(3, return_sequences=True), merge_mode=None)(inputs)
    model = Model(inputs, [y_fwd, y_bwd], seed=0)
    forward, backward = model.layers[1].sublayers
    out = model.predict(X, verbose=0)
    np.testing.assert_array_equal(out[0], forward.forward(X))
    np.testing.assert_array_equal(out[1], backward.forward(X)[:, ::-1])
    concatenated = Bidirectional.from_config({**model.layers[1].get_config(), "merge_mode": "concat"})
    concatenated.build((6, 4), np.random.default_rng(0))
    concatenated.set_weights(model.layers[1].get_weights())
    np.testing.assert_array_equal(concatenated.forward(X), np.concatenate(out, axis=-1))
    assert model.layers[1].output_shape((6, 4)) == [(6, 3), (6, 3)]
    for suffix in (".keras", ".npz"):
        model.save(tmp_path / f"m{suffix}")
        again = glassnet.load_model(tmp_path / f"m{suffix}").predict(X, verbose=0)
        for a, b in zip(again, out):
            np.testing.assert_array_equal(a, b)
    if importlib.util.find_spec("onnxruntime"):       # where it is installed
        from glassnet.interop.onnx_export import largest_difference
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
        assert largest_difference(model, tmp_path / "m.onnx", X) < 1e-5
    with pytest.raises(ValueError, match="merge_mode must be 'concat', 'sum', 'mul', 'ave' or None, got 'max'"):
        Bidirectional(LSTM(3), merge_mode="max")


def test_weight_penalties_and_constraints_as_keras_names_them(tmp_path):
    """kernel_, recurrent_ and bias_regularizer join the loss; the constraints hold after a
    step (Keras 3 gives the same penalties, and the same weights after an SGD step)."""
    l2, max_norm = glassnet.regularizers.l2, glassnet.constraints.max_norm
    layer = LSTM(4, kernel_regularizer=l2(0.01), recurrent_regularizer=l2(0.02), bias_regularizer=l2(0.03),
                 kernel_constraint=max_norm(0.5), recurrent_constraint="non_neg")
    model = Sequential([Input((6, 4)), layer, Dense(2)], seed=0)
    model.compile("sgd", "mse")
    expected = [0.01 * np.sum(layer.params["kernel"] ** 2), 0.02 * np.sum(layer.params["recurrent_kernel"] ** 2),
                0.03 * np.sum(layer.params["bias"] ** 2)]
    np.testing.assert_allclose([float(v) for v in model.losses], expected, rtol=1e-6)
    model.fit(X, np.ones((3, 2), np.float32), epochs=3, verbose=0)
    assert layer.params["recurrent_kernel"].min() >= 0
    assert np.linalg.norm(layer.params["kernel"], axis=0).max() <= 0.5 + 1e-6
    config = LSTM.from_config(layer.get_config()).get_config()
    assert config["recurrent_regularizer"] == layer.get_config()["recurrent_regularizer"] is not None
    model.save(tmp_path / "m.keras")
    again = glassnet.load_model(tmp_path / "m.keras").layers[0]
    assert type(again.recurrent_kernel_constraint).__name__ == "NonNeg"
    np.testing.assert_allclose([float(v) for v in glassnet.load_model(tmp_path / "m.keras").losses],
                               [float(v) for v in model.losses], rtol=1e-6)


def test_bidirectional_starts_each_reading_from_its_half_of_the_states(tmp_path):
    inputs, states = Input(shape=(6, 4)), [Input(shape=(3,)) for _ in range(4)]
    model = Model([inputs] + states, Bidirectional(LSTM(3, return_sequences=True))(inputs, initial_state=states),
                  seed=0)
    given = [np.random.default_rng(i).standard_normal((3, 3)).astype(np.float32) for i in range(4)]
    out = model.predict([X] + given, verbose=0)
    forward, backward = model.layers[-1].sublayers
    np.testing.assert_allclose(out[..., :3], forward(X, initial_state=given[:2]).numpy(), rtol=1e-6)
    np.testing.assert_allclose(out[..., 3:], backward(X, initial_state=given[2:]).numpy()[:, ::-1], rtol=1e-6)
    for suffix in (".keras", ".npz"):
        model.save(tmp_path / f"m{suffix}")
        np.testing.assert_array_equal(glassnet.load_model(tmp_path / f"m{suffix}").predict([X] + given, verbose=0), out)
