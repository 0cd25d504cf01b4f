"""DepthwiseConv2D and SeparableConv2D (and Conv2D's dilation, which they share): against
their definition written with the reference convolution, against PyTorch where it is
installed, finite differences, Keras's weight shapes, bad arguments and saving."""

import numpy as np
import pytest

from glassnet import load_model
from glassnet.engine.layers import Dense, DepthwiseConv2D, Flatten, Input, SeparableConv2D
from glassnet.engine.layers.im2col import conv2d_reference
from glassnet.engine.model import Sequential
from glassnet.engine.optimizers import Adam
from glassnet.errors import ShapeError
from glassnet.gradcheck import check_layer

CASES = [  # (constructor arguments, input shape)
    (dict(kernel_size=3), (6, 5, 3)),
    (dict(kernel_size=3, depth_multiplier=2, strides=2, padding="same"), (7, 6, 2)),
    (dict(kernel_size=(2, 3), dilation_rate=2, padding="same"), (6, 7, 3)),
    (dict(kernel_size=(3, 1), strides=(1, 2), dilation_rate=(2, 1), depth_multiplier=3), (7, 5, 1)),
    (dict(kernel_size=1, use_bias=False), (3, 4, 2)),
]


def depthwise_reference(x, kernel, bias, strides, padding, dilation):
    """Each channel ``c`` and filter ``m`` on its own: a one-channel, one-filter convolution."""
    kh, kw, channels, m = kernel.shape
    outputs = [conv2d_reference(x[..., c:c + 1], kernel[:, :, c:c + 1, j:j + 1], None, strides, padding, dilation)
               for c in range(channels) for j in range(m)]           # in Keras's order, c*M + j
    y = np.concatenate(outputs, axis=-1)
    return y if bias is None else y + bias


@pytest.mark.parametrize("kwargs, shape", CASES)
def test_depthwise_is_a_convolution_per_channel(kwargs, shape):
    layer = DepthwiseConv2D(**kwargs, dtype="float64")
    x = np.random.default_rng(0).standard_normal((2,) + shape)
    y = layer(x)
    expected = depthwise_reference(x, layer.params["kernel"], layer.params.get("bias"), layer.strides,
                                   layer.padding, layer.dilation_rate)
    assert y.shape == expected.shape == (2,) + layer.output_shape(shape)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kwargs, shape", CASES)
def test_separable_is_depthwise_then_a_1x1_convolution(kwargs, shape):
    layer = SeparableConv2D(4, **kwargs, dtype="float64")
    x = np.random.default_rng(1).standard_normal((2,) + shape)
    y = layer(x)
    depthwise = depthwise_reference(x, layer.params["depthwise_kernel"], None, layer.strides, layer.padding,
                                    layer.dilation_rate)
    expected = conv2d_reference(depthwise, layer.params["pointwise_kernel"], layer.params.get("bias"))
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kwargs, shape", CASES)
@pytest.mark.parametrize("make", [DepthwiseConv2D, lambda **kw: SeparableConv2D(3, activation="tanh", **kw)],
                         ids=["depthwise", "separable"])
def test_gradients_match_finite_differences(make, kwargs, shape):
    report = check_layer(make(**kwargs), shape, batch_size=2)
    assert report.passed, report


def test_keras_weight_shapes_and_counts():
    """keras.io's shapes: a depthwise kernel (3, 3, 32, 2) on 32 channels, 64 out."""
    depthwise = DepthwiseConv2D(3, depth_multiplier=2, padding="same")
    assert depthwise(np.zeros((1, 7, 7, 32), np.float32)).shape == (1, 7, 7, 64)
    assert depthwise.params["kernel"].shape == (3, 3, 32, 2) and depthwise.params["bias"].shape == (64,)
    separable = SeparableConv2D(64, 3, padding="same")
    y = separable(np.zeros((1, 7, 7, 64), np.float32))
    assert y.shape == (1, 7, 7, 64) and y.dtype == np.float32
    assert list(separable.params) == ["depthwise_kernel", "pointwise_kernel", "bias"]       # Keras's order
    assert [w.shape for w in separable.params.values()] == [(3, 3, 64, 1), (1, 1, 64, 64), (64,)]
    assert separable.count_params() == 9 * 64 + 64 * 64 + 64 == 4_736


def test_agrees_with_pytorch_where_it_is_installed():
    """Forward and every gradient against torch's conv2d with one group per channel."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    for kwargs in [dict(kernel_size=3, padding="same", depth_multiplier=2),
                   dict(kernel_size=(3, 2), strides=2), dict(kernel_size=3, dilation_rate=(2, 1))]:
        layer = DepthwiseConv2D(**kwargs, dtype="float64")
        x = rng.standard_normal((2, 7, 6, 3))
        y = layer(x)
        dy = rng.standard_normal(y.shape)
        dx = layer.backward(dy)
        (kh, kw), m = layer.kernel_size, layer.depth_multiplier
        tx = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)                  # NCHW
        tk = torch.tensor(layer.params["kernel"].transpose(2, 3, 0, 1).reshape(3 * m, 1, kh, kw),
                          requires_grad=True)
        tb = torch.tensor(layer.params["bias"], requires_grad=True)
        ty = torch.nn.functional.conv2d(tx, tk, tb, stride=layer.strides, dilation=layer.dilation_rate,
                                        padding="same" if layer.padding == "same" else 0, groups=3)
        ty.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
        np.testing.assert_allclose(y, ty.detach().numpy().transpose(0, 2, 3, 1), atol=1e-12)
        np.testing.assert_allclose(dx, tx.grad.numpy().transpose(0, 2, 3, 1), atol=1e-12)
        np.testing.assert_allclose(layer.grads["kernel"],
                                   tk.grad.numpy().reshape(3, m, kh, kw).transpose(2, 3, 0, 1), atol=1e-12)
        np.testing.assert_allclose(layer.grads["bias"], tb.grad.numpy(), atol=1e-12)


def test_backward_leaves_dy_alone_and_first_layer_skips_dx():
    for layer in (DepthwiseConv2D(3), SeparableConv2D(2, 3)):
        x = np.random.default_rng(3).standard_normal((2, 5, 5, 2)).astype(np.float32)
        y = layer(x)
        dy = np.random.default_rng(4).standard_normal(y.shape).astype(np.float32)
        kept = dy.copy()
        assert layer.backward(dy).shape == x.shape
        np.testing.assert_array_equal(dy, kept)
        layer.needs_input_grad = False
        assert layer.backward(dy) is None
        assert all(np.abs(g).sum() > 0 for g in layer.grads.values())


@pytest.mark.parametrize("make, message", [
    (lambda: DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier must be a positive integer, got 0"),
    (lambda: DepthwiseConv2D(3, data_format="channels_first"), "data_format='channels_first' is not supported"),
    (lambda: DepthwiseConv2D((3,)), "kernel_size must be"),
    (lambda: SeparableConv2D(0, 3), "filters must be a positive integer, got 0"),
    (lambda: SeparableConv2D(4, 3, padding="full"), "padding must be 'valid' or 'same', got 'full'"),
    (lambda: SeparableConv2D(4, 3, dilation_rate=0), "dilation_rate must be"),
])
def test_bad_arguments_say_what_they_got(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_shape_errors_name_the_layer():
    with pytest.raises(ShapeError, match=r"'dw' \(DepthwiseConv2D\) needs images.*\('batch', 28, 28\)"):
        DepthwiseConv2D(3, name="dw").build((28, 28))
    with pytest.raises(ShapeError, match=r"'sep' \(SeparableConv2D\): a \(3, 3\) kernel \(covering \(5, 5\)\) "
                                         r"doesn't fit"):
        SeparableConv2D(2, 3, dilation_rate=2, name="sep").build((4, 8, 1))


def test_a_small_separable_network_learns_and_saves(tmp_path):
    """Bright left half or bright right half: a few steps of Adam learn it; the file keeps it.
    (Two small kernels multiplied learn slowly at Adam's default rate: 0.01 here.)"""
    rng = np.random.default_rng(5)
    x = rng.random((64, 8, 8, 2)).astype(np.float32) * 0.5
    y = rng.integers(0, 2, 64)
    x[y == 0, :, :4] += 0.5
    x[y == 1, :, 4:] += 0.5
    model = Sequential([Input((8, 8, 2)), SeparableConv2D(4, 3, activation="relu", depthwise_regularizer="l2"),
                        DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="same"), Flatten(),
                        Dense(2, activation="softmax")], seed=0)
    model.compile(Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9
    for suffix in ("npz", "keras"):
        model.save(tmp_path / f"m.{suffix}")
        again = load_model(tmp_path / f"m.{suffix}")
        np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
        for layer, copy in zip(model.layers, again.layers):       # (.keras writes l2 as L1L2 with l1=0)
            assert {k: v for k, v in copy.get_config().items() if "regularizer" not in k} == \
                {k: v for k, v in layer.get_config().items() if "regularizer" not in k}
            assert copy.regularization_loss() == pytest.approx(layer.regularization_loss(), rel=1e-6)
        assert again.layers[0].regularization_loss() > 0
