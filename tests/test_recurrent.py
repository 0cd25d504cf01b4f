"""SimpleRNN, LSTM, GRU, Bidirectional, TimeDistributed: gradients, PyTorch, Keras's layout."""

import numpy as np
import pytest

from glassnet.engine.layers import (GRU, LSTM, Bidirectional, Dense, SimpleRNN, TimeDistributed)
from glassnet.engine.layers.recurrent import orthogonal
from glassnet.errors import ShapeError
from glassnet.gradcheck import check_layer

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 7, 4)).astype(np.float32)


def built(layer, shape=(7, 4), seed=1):
    layer.build(shape, np.random.default_rng(seed))
    return layer


@pytest.mark.parametrize("layer", [
    SimpleRNN(3), SimpleRNN(3, return_sequences=True, go_backwards=True),
    LSTM(3), LSTM(3, return_sequences=True, go_backwards=True),
    GRU(3), GRU(3, return_sequences=True), GRU(3, reset_after=False, go_backwards=True),
    Bidirectional(LSTM(3, return_sequences=True)), Bidirectional(GRU(2), merge_mode="sum"),
    TimeDistributed(Dense(3, activation="tanh")),
], ids=lambda layer: f"{type(layer).__name__}")
def test_gradients(layer):
    report = check_layer(layer, (5, 3))
    assert report.passed, report


def test_keras_weight_shapes_and_defaults():
    lstm, gru, rnn = built(LSTM(5)), built(GRU(5)), built(SimpleRNN(5))
    assert [w.shape for w in lstm.weights] == [(4, 20), (5, 20), (20,)]
    assert [w.shape for w in gru.weights] == [(4, 15), (5, 15), (2, 15)]
    assert [w.shape for w in built(GRU(5, reset_after=False)).weights] == [(4, 15), (5, 15), (15,)]
    assert [w.shape for w in rnn.weights] == [(4, 5), (5, 5), (5,)]
    np.testing.assert_array_equal(lstm.params["bias"], [0] * 5 + [1] * 5 + [0] * 10)  # unit_forget_bias
    u = built(SimpleRNN(6), (7, 6)).params["recurrent_kernel"]
    np.testing.assert_allclose(u @ u.T, np.eye(6), atol=1e-6)                        # orthogonal
    assert lstm.forward(X).shape == (3, 5)
    assert built(LSTM(5, return_sequences=True)).forward(X).shape == (3, 7, 5)
    assert LSTM(5).output_shape((7, 4)) == (5,)
    assert Bidirectional(LSTM(5, return_sequences=True)).output_shape((7, 4)) == (7, 10)
    assert orthogonal((3, 12), np.random.default_rng(0)).flags.c_contiguous


def _torch_lstm(layer, torch):
    t = torch.nn.LSTM(layer.input_shape[1], layer.units, batch_first=True).double()
    with torch.no_grad():   # PyTorch stores W.T; same gate order i, f, g(c), o
        t.weight_ih_l0.copy_(torch.tensor(layer.params["kernel"].T))
        t.weight_hh_l0.copy_(torch.tensor(layer.params["recurrent_kernel"].T))
        t.bias_ih_l0.copy_(torch.tensor(layer.params["bias"]))
        t.bias_hh_l0.zero_()
    return t


def _zr_to_rz(m, u):
    """Keras's gate order z, r, h -> PyTorch's r, z, n."""
    return np.concatenate([m[..., u:2 * u], m[..., :u], m[..., 2 * u:]], axis=-1)


def _torch_gru(layer, torch):
    u = layer.units
    t = torch.nn.GRU(layer.input_shape[1], u, batch_first=True).double()
    with torch.no_grad():
        t.weight_ih_l0.copy_(torch.tensor(_zr_to_rz(layer.params["kernel"], u).T))
        t.weight_hh_l0.copy_(torch.tensor(_zr_to_rz(layer.params["recurrent_kernel"], u).T))
        t.bias_ih_l0.copy_(torch.tensor(_zr_to_rz(layer.params["bias"][0], u)))
        t.bias_hh_l0.copy_(torch.tensor(_zr_to_rz(layer.params["bias"][1], u)))
    return t


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_agrees_with_pytorch_forward_and_backward(kind):
    torch = pytest.importorskip("torch")
    layer = built(LSTM(5, return_sequences=True, dtype="float64") if kind == "LSTM"
                  else GRU(5, return_sequences=True, dtype="float64"))
    layer.params["bias"][...] = rng.standard_normal(layer.params["bias"].shape)
    reference = (_torch_lstm if kind == "LSTM" else _torch_gru)(layer, torch)
    x = torch.tensor(X.astype(np.float64), requires_grad=True)
    expected = reference(x)[0]
    dy = rng.standard_normal(expected.shape)
    expected.backward(torch.tensor(dy))
    np.testing.assert_allclose(layer.forward(X.astype(np.float64)), expected.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.backward(dy), x.grad.numpy(), atol=1e-12)
    grad_kernel = reference.weight_ih_l0.grad.numpy().T
    if kind == "GRU":
        grad_kernel = _zr_to_rz(grad_kernel, 5)   # r, z, n -> z, r, h: the same swap
    np.testing.assert_allclose(layer.grads["kernel"], grad_kernel, atol=1e-12)


def test_bidirectional_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    layer = built(Bidirectional(LSTM(4, return_sequences=True), dtype="float64"))
    forward, backward = layer.sublayers
    reference = torch.nn.LSTM(4, 4, batch_first=True, bidirectional=True).double()
    with torch.no_grad():
        for suffix, part in (("", forward), ("_reverse", backward)):
            getattr(reference, "weight_ih_l0" + suffix).copy_(torch.tensor(part.params["kernel"].T))
            getattr(reference, "weight_hh_l0" + suffix).copy_(torch.tensor(part.params["recurrent_kernel"].T))
            getattr(reference, "bias_ih_l0" + suffix).copy_(torch.tensor(part.params["bias"]))
            getattr(reference, "bias_hh_l0" + suffix).zero_()
    expected = reference(torch.tensor(X.astype(np.float64)))[0].detach().numpy()
    np.testing.assert_allclose(layer.forward(X.astype(np.float64)), expected, atol=1e-12)


def test_go_backwards_reads_the_reversed_sequence():
    a, b = built(GRU(3, return_sequences=True), seed=2), built(GRU(3, return_sequences=True, go_backwards=True), seed=2)
    np.testing.assert_allclose(b.forward(X), a.forward(X[:, ::-1]), rtol=1e-6)


def test_wrappers_walk_their_inner_layers_and_rebuild_from_config():
    layer = built(Bidirectional(LSTM(3, return_sequences=True, name="lstm")))
    assert [part.name for part in layer.walk()][1:] == ["forward_lstm", "backward_lstm"]
    assert layer.params == {} and len(layer.weights) == 6 and layer.count_params() == 2 * (4 * 12 + 3 * 12 + 12)
    again = built(Bidirectional.from_config(layer.get_config()))
    again.set_weights(layer.get_weights())
    np.testing.assert_array_equal(again.forward(X), layer.forward(X))
    td = built(TimeDistributed(Dense(2)))
    again = built(TimeDistributed.from_config(td.get_config()))
    again.set_weights(td.get_weights())
    np.testing.assert_array_equal(again.forward(X), td.forward(X))
    assert td.forward(X).shape == (3, 7, 2)


def test_bad_arguments_and_shapes():
    with pytest.raises(ValueError, match="units"):
        LSTM(0)
    with pytest.raises(ValueError, match="activation"):
        GRU(3, activation="swishy")
    with pytest.raises(ValueError, match="initializer"):
        LSTM(3, recurrent_initializer="nope")
    with pytest.raises(ValueError, match=r"stateful=True is not supported by glassnet \(its recurrent layers "
                                         r"run stateful=False, Keras's default\)"):
        LSTM(3, stateful=True)
    with pytest.raises(ValueError, match=r"GRU: recurrent_dropout must be in \[0, 1\), got 1.0"):
        GRU(3, recurrent_dropout=1.0)
    LSTM(3, unroll=True, implementation=2, dropout=0.0)         # how Keras computes, not what: accepted
    with pytest.raises(ValueError, match="merge_mode"):
        Bidirectional(LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match="recurrent layer"):
        Bidirectional(Dense(3))
    with pytest.raises(ShapeError, match="sequences"):
        LSTM(3).build((4,))


def test_a_number_of_time_steps_left_open_takes_sequences_of_any_length():
    """keras.io's RNN guide writes LSTM(64, input_shape=(None, 28)): any number of time steps.
    The model is built at once, runs on sequences of each length, and refuses other features."""
    from glassnet.engine.sequential import Sequential
    model = Sequential([LSTM(4, input_shape=(None, 3)), Dense(2)], seed=0)
    assert model.built and model.input_shape == (None, None, 3) and model.count_params() == 4 * 4 * 8 + 10
    rng = np.random.default_rng(0)
    for steps in (7, 2, 11):
        x = rng.random((5, steps, 3)).astype(np.float32)
        # the same as a model built for exactly that many steps, with the same weights
        fixed = Sequential([LSTM(4, input_shape=(steps, 3)), Dense(2)])
        fixed.set_weights(model.get_weights())
        np.testing.assert_allclose(model.predict(x, verbose=0), fixed.predict(x, verbose=0), rtol=1e-6)
    assert model.sample_shapes[0] == (None, 3)
    with pytest.raises(ShapeError, match=r"expects input of shape \(None, None, 3\) but got \(5, 7, 4\)"):
        model.predict(np.zeros((5, 7, 4), np.float32), verbose=0)
