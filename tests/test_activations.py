"""Keras 3's activations: hand-worked values, dtypes, the functions on arrays, names and configs.

The gradients of every activation are checked by ``test_gradcheck`` (the catalogue); the
numbers against Keras itself are in ``test_keras_reference``.
"""

import math
import warnings

import numpy as np
import pytest

from glassnet.engine import activations_api as activations
from glassnet.engine.layers import Dense
from glassnet.engine.layers.activations import (ACTIVATIONS, ELU, GELU, SELU, Activation, LeakyReLU,
                                                PReLU, ReLU, Sigmoid, Softmax, erf, get, positive_part,
                                                serialize)

X = np.array([-4.0, -1.0, -0.25, 0.0, 0.5, 2.0, 7.0])


@pytest.mark.parametrize("name, expected", [
    ("relu", [0, 0, 0, 0, 0.5, 2, 7]),
    ("relu6", [0, 0, 0, 0, 0.5, 2, 6]),
    ("leaky_relu", [-0.8, -0.2, -0.05, 0, 0.5, 2, 7]),           # the function's slope is 0.2
    ("elu", [math.expm1(-4), math.expm1(-1), math.expm1(-0.25), 0, 0.5, 2, 7]),
    ("softsign", [-0.8, -0.5, -0.2, 0, 1 / 3, 2 / 3, 7 / 8]),
    ("hard_sigmoid", [0, 1 / 3, 11 / 24, 0.5, 7 / 12, 5 / 6, 1]),   # clip(x/6 + 1/2, 0, 1)
    ("hard_silu", [0, -1 / 3, -11 / 96, 0, 7 / 24, 5 / 3, 7]),
    ("exponential", np.exp(X)),
    ("softplus", np.log1p(np.exp(X))),
    ("silu", X / (1 + np.exp(-X))),
    ("swish", X / (1 + np.exp(-X))),
    ("mish", X * np.tanh(np.log1p(np.exp(X)))),
    ("tanh", np.tanh(X)),
    ("sigmoid", 1 / (1 + np.exp(-X))),
    ("selu", [1.0507009873554805 * (1.6732632423543772 * math.expm1(v)) if v < 0 else 1.0507009873554805 * v
              for v in X]),
    ("gelu", [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in X]),
])
def test_hand_worked_values_layer_and_function_agree(name, expected):
    np.testing.assert_allclose(get(name).forward(X), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(getattr(activations, name)(X), expected, rtol=1e-12, atol=1e-15)


def test_gelu_tanh_approximation_and_softmax_log_softmax_along_an_axis():
    u = math.sqrt(2 / math.pi) * (X + 0.044715 * X ** 3)
    np.testing.assert_allclose(activations.gelu(X, approximate=True), 0.5 * X * (1 + np.tanh(u)), rtol=1e-12)
    z = np.array([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(activations.softmax(z, axis=0).sum(axis=0), [1, 1])
    np.testing.assert_allclose(np.exp(activations.log_softmax(z)), activations.softmax(z), rtol=1e-12)
    np.testing.assert_array_equal(activations.linear(z), z)


def test_erf_is_accurate_to_double_precision_and_keeps_float32():
    x = np.linspace(-7, 7, 20001)
    reference = np.array([math.erf(v) for v in x])
    assert np.abs(erf(x) - reference).max() < 2e-15
    assert np.abs(erf(x.astype(np.float32)) - reference).max() < 1e-6
    assert erf(x.astype(np.float32)).dtype == np.float32
    assert erf(np.array([0.0]))[0] == 0.0 and erf(np.array([40.0]))[0] == 1.0


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_activation_keeps_float32_and_the_shape(name):
    x = np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32)
    layer = get(name)
    y = layer.forward(x, training=True)
    assert y.dtype == np.float32 and y.shape == x.shape
    dx = layer.backward(np.ones_like(y))
    assert dx.dtype == np.float32 and dx.shape == x.shape
    if name != "exponential":                     # exp(1e4) is inf, as it should be
        assert np.isfinite(get(name).forward(np.array([[-1e4, 0.0, 1e4]], np.float32))).all()


@pytest.mark.parametrize("shape", [(7,), (32, 128), (16, 1024), (3, 13, 13, 32), (41, 1000)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_positive_part_is_np_maximum_with_zero_bit_for_bit(shape, dtype):
    """The row-by-row ReLU gives np.maximum(x, 0)'s exact bits: a remainder past the last
    full row, NaN, -0.0, in place, and a strided array (which takes the plain way)."""
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    x.flat[:3] = [-0.0, np.nan, 0.0]
    x.flat[-2:] = [-1.5, np.nan]                     # in the remainder when there is one
    expected = np.maximum(x, 0)
    assert positive_part(x).tobytes() == expected.tobytes()
    in_place = x.copy()
    assert positive_part(in_place, out=in_place) is in_place
    assert in_place.tobytes() == expected.tobytes()
    strided = np.repeat(x, 2, axis=-1)[..., ::2]
    assert positive_part(strided).tobytes() == expected.tobytes()


def test_relu_with_keras_options():
    relu = ReLU(max_value=6.0, negative_slope=0.1, threshold=1.0)
    x = np.array([-2.0, 0.5, 1.0, 3.0, 6.0, 8.0])
    # below the threshold: 0.1 * (x - 1); then x; capped at 6.
    np.testing.assert_allclose(relu.forward(x), [-0.3, -0.05, 0.0, 3.0, 6.0, 6.0])
    np.testing.assert_allclose(relu.backward(np.ones(6)), [0.1, 0.1, 0.1, 1, 0, 0])
    np.testing.assert_allclose(activations.relu(x, max_value=2.0), [0, 0.5, 1, 2, 2, 2])
    with pytest.raises(ValueError, match="negative_slope must be >= 0, got -1"):
        ReLU(negative_slope=-1)


def test_leaky_relu_alpha_is_keras_2_spelling_with_a_warning():
    with pytest.warns(DeprecationWarning, match="alpha= is Keras 2's name; use negative_slope="):
        layer = LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1 and LeakyReLU().negative_slope == 0.3   # the layer's default
    assert get("leaky_relu").negative_slope == 0.2                            # the function's


def test_prelu_learns_one_slope_per_feature_or_per_channel():
    layer = PReLU(alpha_initializer="ones")
    layer.build((4,))
    assert layer.params["alpha"].shape == (4,)
    shared = PReLU(shared_axes=[1, 2])
    shared.build((5, 5, 3))
    assert shared.params["alpha"].shape == (1, 1, 3) and np.all(shared.params["alpha"] == 0)
    x = np.array([[-1.0, 2.0, -3.0, 4.0]])
    layer.params["alpha"][...] = [0.5, 0.5, 0.25, 0.25]
    np.testing.assert_allclose(layer.forward(x), [[-0.5, 2, -0.75, 4]])
    layer.backward(np.ones((1, 4)))
    np.testing.assert_allclose(layer.grads["alpha"], [-1, 0, -3, 0])       # dy * min(x, 0)
    with pytest.raises(ValueError, match="alpha_constraint is not supported"):
        PReLU(alpha_constraint="non_neg")


def test_elu_selu_gelu_configs_and_names_round_trip():
    for layer in (ELU(alpha=0.5), SELU(), GELU(approximate=True), ReLU(max_value=6.0), LeakyReLU(0.1)):
        rebuilt = type(layer).from_config(layer.get_config())
        assert rebuilt.get_config() == layer.get_config()
        assert type(get(serialize(layer))) is type(layer)
    assert serialize(get("swish")) == "silu" and serialize(get("hard_swish")) == "hard_silu"
    assert serialize(get("leaky_relu")) == {"name": "leaky_relu", "negative_slope": 0.2}
    assert get({"class_name": "elu", "config": {"alpha": 0.3}}).alpha == 0.3
    assert get("linear") is None and get(None) is None


def test_dense_takes_every_name_and_the_functions_of_glassnet_activations():
    for activation in ("gelu", "selu", "swish", activations.gelu, activations.silu):
        layer = Dense(3, activation=activation)
        assert layer.activation is not None
    assert isinstance(Dense(3, activation=activations.gelu).activation, GELU)
    assert Dense(3, activation=activations.linear).activation is None
    cube = Dense(3, activation=lambda x: x ** 3)            # a function: its math recorded, 3x**2 back
    cube.build((2,), np.random.default_rng(0))
    cube.needs_input_grad = True
    z = np.array([[0.5, -1.0]]) @ cube.params["kernel"]
    np.testing.assert_allclose(cube.forward(np.array([[0.5, -1.0]])), z ** 3)
    np.testing.assert_allclose(cube.activation.backward(np.ones((1, 3))), 3 * z ** 2)


def test_activation_layer_linear_is_the_identity_and_sigmoid_can_be_fused():
    layer = Activation("linear")
    x = np.ones((2, 3))
    assert layer.forward(x) is x and layer.backward(x) is x
    assert layer.get_config()["activation"] == "linear"
    sigmoid = Sigmoid()
    sigmoid.forward(np.array([[0.0, 2.0]]))
    np.testing.assert_array_equal(sigmoid.logits, [[0.0, 2.0]])
    sigmoid.fused_with_loss = True
    np.testing.assert_array_equal(sigmoid.backward(np.array([[1.0, 1.0]])), [[1.0, 1.0]])
    assert Softmax.fused_with_loss is False


def test_functions_module_get_serialize():
    assert activations.get("gelu") is activations.gelu and activations.get(None) is activations.linear
    assert activations.serialize(activations.swish) == "silu"
    with pytest.raises(ValueError, match="unknown activation 'gelu2'"):
        activations.get("gelu2")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert activations.relu([[-1, 2]]).dtype == np.float32       # integers become float32
