"""Conv1D and the 1-D poolings: against their definitions written as loops, against PyTorch
where it is installed, in a Keras tutorial's model (rows of a digit as a sequence), saved and
loaded. Their gradients are in the gradient-check catalogue (glassnet gradcheck)."""

import numpy as np
import pytest

from glassnet import layers, models
from glassnet.errors import ShapeError


def conv1d_reference(x, kernel, bias, stride=1, dilation=1, padding="valid"):
    """``y[n, t, f] = b[f] + sum over k, c of x[n, t*S + k*D - before, c] * K[k, c, f]``, one
    output at a time (zeros outside the sequence)."""
    n, length, channels = x.shape
    size, _, filters = kernel.shape
    span = (size - 1) * dilation + 1
    if padding == "valid":
        before, steps = 0, (length - span) // stride + 1
    elif padding == "causal":
        before, steps = span - 1, (length - 1) // stride + 1
    else:
        steps = -(-length // stride)
        before = max((steps - 1) * stride + span - length, 0) // 2
    y = np.zeros((n, steps, filters))
    for b in range(n):
        for t in range(steps):
            for k in range(size):
                i = t * stride + k * dilation - before
                if 0 <= i < length:
                    y[b, t] += x[b, i] @ kernel[k]
    return y + bias


def pool1d_reference(x, size, stride, padding, mode):
    n, length, channels = x.shape
    steps = -(-length // stride) if padding == "same" else (length - size) // stride + 1
    before = max((steps - 1) * stride + size - length, 0) // 2 if padding == "same" else 0
    y = np.zeros((n, steps, channels))
    for t in range(steps):
        start = t * stride - before
        window = x[:, max(start, 0):start + size]          # the real steps only
        y[:, t] = window.max(axis=1) if mode == "max" else window.mean(axis=1)
    return y


CONV_CASES = [(3, 1, 1, "valid"), (3, 2, 1, "same"), (4, 1, 1, "same"), (2, 1, 3, "causal"),
              (3, 3, 1, "causal"), (5, 1, 2, "same"), (1, 2, 1, "valid")]


@pytest.mark.parametrize("size, stride, dilation, padding", CONV_CASES)
def test_conv1d_is_its_definition(size, stride, dilation, padding):
    rng = np.random.default_rng(size * 10 + stride)
    layer = layers.Conv1D(4, size, strides=stride, dilation_rate=dilation, padding=padding,
                          bias_initializer="random_normal")
    layer.build((11, 3), rng)
    x = rng.normal(size=(2, 11, 3)).astype(np.float32)
    y = layer.forward(x)
    expected = conv1d_reference(x, layer.params["kernel"], layer.params["bias"], stride, dilation, padding)
    assert y.shape == expected.shape == (2,) + layer.output_shape((11, 3))
    np.testing.assert_allclose(y, expected, atol=1e-5)


def test_causal_outputs_never_see_later_steps():
    layer = layers.Conv1D(2, 3, dilation_rate=2, padding="causal")
    layer.build((9, 1), np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(1, 9, 1)).astype(np.float32)
    changed = x.copy()
    changed[0, 5:] += 10                       # the future, from step 5 on
    assert np.array_equal(layer.forward(x)[:, :5], layer.forward(changed)[:, :5])


@pytest.mark.parametrize("kind", ["max", "average"])
@pytest.mark.parametrize("size, stride, padding", [(2, 2, "valid"), (3, 2, "valid"), (3, 1, "same"),
                                                   (2, 3, "same"), (4, 2, "same")])
def test_pooling1d_is_its_definition(kind, size, stride, padding):
    cls = layers.MaxPooling1D if kind == "max" else layers.AveragePooling1D
    layer = cls(size, strides=stride, padding=padding)
    layer.build((9, 2))
    x = np.random.default_rng(size).normal(size=(3, 9, 2)).astype(np.float32)
    np.testing.assert_allclose(layer.forward(x), pool1d_reference(x, size, stride, padding, kind[:3]
                                                                  if kind == "max" else "mean"), atol=1e-6)


def test_max_pooling1d_gives_a_tie_to_the_first_step_only():
    layer = layers.MaxPooling1D(2)
    layer.build((4, 1))
    layer.forward(np.array([[[1.0], [1.0], [0.0], [2.0]]], np.float32))
    np.testing.assert_array_equal(layer.backward(np.ones((1, 2, 1), np.float32))[0, :, 0], [1, 0, 0, 1])


def test_global_poolings_over_the_steps():
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype(np.float32)
    for cls, reduce in ((layers.GlobalAveragePooling1D, np.mean), (layers.GlobalMaxPooling1D, np.max)):
        for keepdims in (False, True):
            layer = cls(keepdims=keepdims)
            layer.build((5, 3))
            np.testing.assert_allclose(layer.forward(x), reduce(x, axis=1, keepdims=keepdims), rtol=1e-6)
            assert layer.backward(np.ones_like(layer.forward(x))).shape == x.shape


@pytest.mark.parametrize("size, stride, dilation, padding", CONV_CASES)
def test_conv1d_and_its_gradients_match_pytorch(size, stride, dilation, padding):
    torch = pytest.importorskip("torch", reason="PyTorch is the yardstick where installed")
    rng = np.random.default_rng(7)
    layer = layers.Conv1D(4, size, strides=stride, dilation_rate=dilation, padding=padding, dtype="float64")
    layer.build((10, 3), rng)
    x = rng.normal(size=(2, 10, 3))
    dy = rng.normal(size=(2,) + layer.output_shape((10, 3)))
    y = layer.forward(x)
    dx = layer.backward(dy)
    before = layer.pads[0]
    xt = torch.tensor(np.pad(x, ((0, 0), layer.pads, (0, 0))).transpose(0, 2, 1), requires_grad=True)
    wt = torch.tensor(layer.params["kernel"].transpose(2, 1, 0), requires_grad=True)
    yt = torch.nn.functional.conv1d(xt, wt, torch.tensor(layer.params["bias"]), stride=stride, dilation=dilation)
    yt.backward(torch.tensor(dy.transpose(0, 2, 1)))
    np.testing.assert_allclose(y, yt.detach().numpy().transpose(0, 2, 1), atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy().transpose(0, 2, 1)[:, before:before + 10], atol=1e-10)
    np.testing.assert_allclose(layer.grads["kernel"], wt.grad.numpy().transpose(2, 1, 0), atol=1e-10)


def test_bad_settings_and_shapes_get_clear_errors():
    with pytest.raises(ValueError, match="padding must be 'valid', 'same' or 'causal'"):
        layers.Conv1D(2, 3, padding="full")
    with pytest.raises(ValueError, match="kernel_size must be a positive integer, got \\(3, 3\\)"):
        layers.Conv1D(2, (3, 3))
    with pytest.raises(ValueError, match="strides must be a positive integer, got 'x'"):
        layers.Conv1D(2, 3, strides="x")
    with pytest.raises(ValueError, match="keepdims must be True or False, got 'yes'"):
        layers.GlobalMaxPooling1D(keepdims="yes")
    with pytest.raises(ValueError, match="filters must be evenly divisible by the number of groups; got filters=3"):
        layers.Conv1D(3, 3, groups=2)
    with pytest.raises(ValueError, match="data_format='channels_first' is not supported"):
        layers.Conv1D(2, 3, data_format="channels_first")
    with pytest.raises(ShapeError, match=r"Conv1D\) needs sequences .* input_shape=\(28, 28\)"):
        layers.Conv1D(2, 3).build((28, 28, 1))
    with pytest.raises(ShapeError, match="a window of 5 steps doesn't fit in 3 steps"):
        layers.Conv1D(2, 5).build((3, 1))
    with pytest.raises(ShapeError, match=r"MaxPooling1D\) needs sequences"):
        layers.MaxPooling1D().build((28,))
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same'"):
        layers.AveragePooling1D(padding="causal")


def test_a_tutorial_conv1d_model_trains_saves_and_loads(tmp_path):
    """The Keras tutorial's way: each digit's 28 rows are 28 steps of 28 numbers."""
    from tiny_models import tiny_digits

    x_train, y_train, x_test, y_test = tiny_digits(n_train=600, n_test=200)
    x_train, x_test = x_train / np.float32(255), x_test / np.float32(255)
    model = models.Sequential([layers.Input((28, 28)), layers.Conv1D(32, 3, activation="relu"),
                               layers.MaxPooling1D(2), layers.Conv1D(32, 3, activation="relu", padding="same"),
                               layers.Flatten(), layers.Dense(10, activation="softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=5, batch_size=32, verbose=0)
    accuracy = model.evaluate(x_test, y_test, verbose=0)[1]
    assert accuracy > 0.8, accuracy             # chance is 0.1
    for name in ("m.npz", "m.keras"):
        model.save(tmp_path / name)
        again = models.load_model(tmp_path / name)
        np.testing.assert_allclose(again.predict(x_test[:8], verbose=0), model.predict(x_test[:8], verbose=0),
                                   atol=1e-6)
