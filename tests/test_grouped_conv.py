"""Conv2D(groups=G) and Conv1D(groups=G): against their definition (G convolutions side by side,
written with the reference convolution), finite differences, PyTorch and Keras 3 where they are
installed, Keras's weight shapes and errors, and get_config / .npz / .keras round trips."""

import os

import numpy as np
import pytest

import glassnet
from glassnet import layers
from glassnet.engine.layers.im2col import conv2d_reference
from glassnet.errors import ShapeError
from glassnet.gradcheck import check_layer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
RNG = np.random.default_rng(0)
CASES_2D = [  # (constructor arguments, input shape)
    (dict(filters=6, kernel_size=3, groups=2), (6, 5, 4)),
    (dict(filters=4, kernel_size=(2, 3), groups=4, strides=2, padding="same"), (7, 6, 8)),
    (dict(filters=6, kernel_size=3, groups=3, dilation_rate=2, use_bias=False), (8, 7, 3)),
    (dict(filters=8, kernel_size=3, groups=2, activation="relu"), (9, 9, 16)),     # a size Winograd would take
]
CASES_1D = [
    (dict(filters=6, kernel_size=3, groups=2), (7, 4)),
    (dict(filters=4, kernel_size=2, groups=4, strides=2, padding="causal", activation="tanh"), (8, 8)),
    (dict(filters=6, kernel_size=3, groups=3, dilation_rate=2, padding="same", use_bias=False), (8, 3)),
]


def grouped_reference(x, kernel, bias, groups, strides, padding, dilation):
    """Group ``g``: channels ``g*C/G ...`` convolved with filters ``g*F/G ...``, then side by side."""
    per_group, per_filter = kernel.shape[2], kernel.shape[3] // groups
    y = np.concatenate([conv2d_reference(x[..., g * per_group:(g + 1) * per_group],
                                         kernel[..., g * per_filter:(g + 1) * per_filter], None, strides, padding,
                                         dilation) for g in range(groups)], axis=-1)
    return y if bias is None else y + bias


@pytest.mark.parametrize("kwargs, shape", CASES_2D)
def test_conv2d_groups_are_convolutions_side_by_side(kwargs, shape):
    layer = layers.Conv2D(**{**kwargs, "activation": None}, bias_initializer="random_normal", dtype="float64")
    x = RNG.standard_normal((2,) + shape)
    y = layer(x)
    expected = grouped_reference(x, layer.params["kernel"], layer.params.get("bias"), layer.groups, layer.strides,
                                 layer.padding, layer.dilation_rate)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    assert layer.params["kernel"].shape == layer.kernel_size + (shape[-1] // layer.groups, layer.filters)


def test_conv1d_groups_are_the_2d_convolution_of_one_row():
    layer = layers.Conv1D(6, 3, groups=3, dilation_rate=2, bias_initializer="random_normal", dtype="float64")
    x = RNG.standard_normal((2, 9, 6))
    y = layer(x)
    expected = grouped_reference(x[:, None], layer.params["kernel"][None], layer.params["bias"], 3, (1, 1), "valid",
                                 (1, 2))[:, 0]
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kwargs, shape", CASES_2D[:3])
def test_conv2d_gradients_match_finite_differences(kwargs, shape):
    report = check_layer(layers.Conv2D(**kwargs, bias_initializer="random_normal", kernel_regularizer="l2"), shape,
                         batch_size=2)
    assert report.passed, report


@pytest.mark.parametrize("kwargs, shape", CASES_1D)
def test_conv1d_gradients_match_finite_differences(kwargs, shape):
    report = check_layer(layers.Conv1D(**kwargs, bias_initializer="random_normal", kernel_regularizer="l2"), shape,
                         batch_size=2)
    assert report.passed, report


def test_agrees_with_pytorch_where_it_is_installed():
    """Forward and every gradient against torch's conv2d with groups."""
    torch = pytest.importorskip("torch")
    strided = (dict(filters=4, kernel_size=3, groups=2, strides=2), (7, 6, 4))    # torch's "same" takes stride 1 only
    for kwargs, shape in (CASES_2D[0], CASES_2D[2], strided):
        layer = layers.Conv2D(**kwargs, bias_initializer="random_normal", dtype="float64")
        x = RNG.standard_normal((2,) + shape)
        y = layer(x)
        dy = RNG.standard_normal(y.shape)
        dx = layer.backward(dy)
        tx = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)                  # NCHW
        tk = torch.tensor(layer.params["kernel"].transpose(3, 2, 0, 1), requires_grad=True)   # (F, C/G, KH, KW)
        bias = layer.params.get("bias")
        tb = None if bias is None else torch.tensor(bias, requires_grad=True)
        ty = torch.nn.functional.conv2d(tx, tk, tb, stride=layer.strides, dilation=layer.dilation_rate,
                                        padding=layer.padding, groups=layer.groups)
        ty.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
        np.testing.assert_allclose(y, ty.detach().numpy().transpose(0, 2, 3, 1), atol=1e-12)
        np.testing.assert_allclose(dx, tx.grad.numpy().transpose(0, 2, 3, 1), atol=1e-12)
        np.testing.assert_allclose(layer.grads["kernel"], tk.grad.numpy().transpose(2, 3, 1, 0), atol=1e-12)
        if tb is not None:
            np.testing.assert_allclose(layer.grads["bias"], tb.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("make, theirs, kwargs, shape", [(layers.Conv2D, "Conv2D", k, s) for k, s in CASES_2D]
                         + [(layers.Conv1D, "Conv1D", k, s) for k, s in CASES_1D])
def test_keras_gives_the_same_numbers_on_the_same_weights(make, theirs, kwargs, shape):
    keras = pytest.importorskip("keras")
    ours = make(**kwargs, bias_initializer="random_normal")
    x = RNG.standard_normal((2,) + shape).astype(np.float32)
    y = ours(x)
    reference = getattr(keras.layers, theirs)(**kwargs)
    reference.build(x.shape)
    reference.set_weights(ours.get_weights())
    np.testing.assert_allclose(y, np.asarray(reference(x)), rtol=1e-5, atol=1e-5)
    assert ours.get_config()["groups"] == reference.get_config()["groups"] == kwargs["groups"]


@pytest.mark.parametrize("make, message", [
    (lambda: layers.Conv2D(5, 3, groups=2), "number of filters must be evenly divisible by the number of groups; "
                                             "got filters=5, groups=2"),
    (lambda: layers.Conv2D(4, 3, groups=0), "groups must be a positive integer, got 0"),
    (lambda: layers.Conv1D(4, 3, groups=1.5), "groups must be a positive integer, got 1.5"),
    (lambda: layers.Conv2DTranspose(4, 3, groups=2), "groups=2 is not supported"),
])
def test_bad_arguments_say_what_they_got(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_channels_the_groups_do_not_divide_are_a_shape_error_naming_the_layer():
    with pytest.raises(ShapeError, match=r"'c' \(Conv2D\): the number of input channels must be evenly divisible by "
                                         r"the number of groups; got groups=2, but the input has 3 channels"):
        layers.Conv2D(4, 3, groups=2, name="c").build((5, 5, 3))
    with pytest.raises(ShapeError, match=r"\(Conv1D\).*groups=4, but the input has 6 channels"):
        layers.Conv1D(4, 3, groups=4).build((5, 6))


def test_one_group_keeps_its_fast_path_and_its_config():
    """groups=1 never enters the grouped path; the transposed convolution's config has no groups (Keras's)."""
    layer = layers.Conv2D(8, 3, activation="relu")
    layer.grouped_forward = None                     # would fail if called
    assert layer(np.ones((2, 9, 9, 16), np.float32)).shape == (2, 7, 7, 8) and layer.winograd is not None
    assert layer.get_config()["groups"] == 1
    assert "groups" not in layers.Conv2DTranspose(4, 3).get_config()


def _model():
    return glassnet.Sequential([layers.Input((8, 8, 4)), layers.Conv2D(8, 3, groups=2, activation="relu"),
                                layers.MaxPooling2D(), layers.Conv2D(4, 3, groups=4, padding="same"),
                                layers.Reshape((-1, 4)), layers.Conv1D(4, 2, groups=2), layers.Flatten(),
                                layers.Dense(2)], seed=0)


def test_a_grouped_network_trains_and_saves_as_npz_and_keras(tmp_path):
    model = _model()
    x = RNG.standard_normal((16, 8, 8, 4)).astype(np.float32)
    y = RNG.standard_normal((16, 2)).astype(np.float32)
    model.compile("adam", "mse")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    for suffix in ("npz", "keras"):
        model.save(tmp_path / f"m.{suffix}")
        again = glassnet.load_model(tmp_path / f"m.{suffix}")
        np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
        assert [layer.get_config().get("groups") for layer in again.layers] == [2, None, 4, None, 2, None, None]


def test_keras_files_both_ways(tmp_path):
    keras = pytest.importorskip("keras")
    model = _model()
    x = RNG.standard_normal((3, 8, 8, 4)).astype(np.float32)
    model.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(theirs.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    assert theirs.layers[0].get_config()["groups"] == 2
    made = keras.Sequential([keras.Input((8, 8, 4)), keras.layers.Conv2D(6, 3, groups=2, strides=2),
                             keras.layers.Reshape((-1, 6)), keras.layers.Conv1D(3, 3, groups=3, padding="causal")])
    made.save(tmp_path / "theirs.keras")
    read = glassnet.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(read.predict(x, verbose=0), made.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    assert read.layers[0].groups == 2 and read.layers[-1].groups == 3
