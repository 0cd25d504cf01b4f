"""keras.ops' special functions and helpers (glassnet/ops/math.py): values by hand, against
math/SciPy and Keras itself, gradients by finite differences, and stop_gradient /
custom_gradient inside a custom layer that trains."""

import math

import numpy as np
import pytest

import glassnet as keras_like
from glassnet import layers, ops
from glassnet.engine.autodiff import CannotDifferentiate, Value, backpropagate
from glassnet.gradcheck import numerical_gradient, relative_error

RNG = np.random.default_rng(0)


def check_gradient(function, *arrays):
    """Each input's recorded gradient of sum(function(*inputs) * dy) against finite differences."""
    values = [Value(a, needs_grad=True) for a in arrays]
    out = function(*values)
    dy = np.random.default_rng(1).standard_normal(out.shape)
    backpropagate(out, dy)
    for value, array in zip(values, arrays):
        numeric = numerical_gradient(lambda: float(np.sum(np.asarray(function(*arrays)) * dy)), array)
        assert relative_error(value.grad, numeric) < 1e-6


def test_the_error_functions_by_math_and_their_inverse():
    x = np.linspace(-6, 6, 241)
    np.testing.assert_allclose(ops.erf(x), [math.erf(v) for v in x], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(ops.erfc(x), [math.erfc(v) for v in x], rtol=1e-13)   # tiny tails too
    assert ops.erfc(np.array([26.0]))[0] == pytest.approx(math.erfc(26.0), rel=1e-12)    # 5.7e-296, not 0
    y = np.linspace(-0.999999, 0.999999, 301)
    np.testing.assert_allclose(ops.erf(ops.erfinv(y)), y, rtol=1e-14, atol=1e-15)
    assert ops.erfinv(np.array([1.0, -1.0, 0.0])).tolist() == [np.inf, -np.inf, 0.0]
    assert ops.erf(np.float32([0.5])).dtype == np.float32 and ops.erf(np.array([1])).dtype == np.float32


@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv"])
def test_the_error_functions_pass_gradients(name):
    x = RNG.uniform(-0.9, 0.9, (3, 4)) if name == "erfinv" else RNG.normal(size=(3, 4))
    check_gradient(getattr(ops, name), x)


def test_divide_no_nan_and_normalize_by_hand_and_gradients():
    np.testing.assert_array_equal(ops.divide_no_nan(np.array([1.0, 2.0, 3.0]), np.array([0.0, 4.0, 0.0])),
                                  [0, 0.5, 0])
    check_gradient(lambda a, b: ops.divide_no_nan(a, b * (np.arange(4) != 2)), RNG.normal(size=4),
                   RNG.uniform(0.5, 2, 4))
    np.testing.assert_allclose(ops.normalize(np.array([[3.0, 4.0], [0.0, 0.0]])), [[0.6, 0.8], [0, 0]])
    np.testing.assert_allclose(ops.normalize(np.array([[3.0, -1.0]]), order=1), [[0.75, -0.25]])
    check_gradient(lambda a: ops.normalize(a, axis=0), RNG.normal(size=(3, 2)))
    with pytest.raises(ValueError, match="order"):
        ops.normalize(np.ones(3), order=0.5)


def test_saturate_cast_multi_hot_polar_views():
    assert ops.saturate_cast(np.array([-5.0, 300.7, 7.9]), "uint8").tolist() == [0, 255, 7]
    assert ops.saturate_cast(np.float32([3e9, -3e9]), "int32").tolist() == [2147483520, -2147483648]
    np.testing.assert_array_equal(ops.multi_hot(np.array([[0, 2], [1, 1]]), 4), [[1, 0, 1, 0], [0, 1, 0, 0]])
    np.testing.assert_array_equal(ops.multi_hot(np.array([3, 0]), num_classes=4), [1, 0, 0, 1])
    np.testing.assert_allclose(ops.polar(np.array([2.0]), np.array([np.pi / 2])), [2j], atol=1e-15)
    z = np.array([1 + 2j, -3j])
    np.testing.assert_array_equal(ops.view_as_real(z), [[1, 2], [0, -3]])
    np.testing.assert_array_equal(ops.view_as_complex(ops.view_as_real(z)), z)
    assert ops.view(np.float32([1.0]), "int32")[0] == 0x3F800000


def test_the_fourier_transforms_are_numpys_as_real_imag_pairs():
    x, y = RNG.normal(size=(2, 8)), RNG.normal(size=(2, 8))
    real, imag = ops.fft((x, y))
    np.testing.assert_allclose(real + 1j * imag, np.fft.fft(x + 1j * y))
    real, imag = ops.fft2((x, y))
    np.testing.assert_allclose(ops.ifft2((real, imag))[0], x, atol=1e-12)
    real, imag = ops.rfft(x)
    assert real.shape == (2, 5)
    np.testing.assert_allclose(ops.irfft((real, imag)), x, atol=1e-12)
    with pytest.raises(ValueError, match=r"pair \(real, imag\)"):
        ops.fft(x)


def test_keras_gives_the_same_numbers():
    keras = pytest.importorskip("keras")
    x = RNG.normal(size=(3, 8)).astype(np.float32)
    pairs = [(ops.erf(x), keras.ops.erf(x)), (ops.erfc(x), keras.ops.erfc(x)),
             (ops.erfinv(np.tanh(x)), keras.ops.erfinv(np.tanh(x))),
             (ops.normalize(x, axis=0), keras.ops.normalize(x, axis=0)),
             (ops.divide_no_nan(x, np.round(x)), keras.ops.divide_no_nan(x, np.round(x))),
             (ops.saturate_cast(x * 200, "uint8"), keras.ops.saturate_cast(x * 200, "uint8")),
             (ops.multi_hot(np.array([[1, 3], [0, 0]]), 5), keras.ops.multi_hot(np.array([[1, 3], [0, 0]]), 5)),
             (ops.fft2((x, x))[1], keras.ops.fft2((x, x))[1]), (ops.rfft(x, 10)[0], keras.ops.rfft(x, 10)[0]),
             (ops.irfft((x, x), 6), keras.ops.irfft((x, x), 6))]
    for ours, theirs in pairs:
        theirs = keras.ops.convert_to_numpy(theirs)
        assert np.asarray(ours).dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_stop_gradient_stops_it_and_straight_through_passes_it():
    x = Value(RNG.normal(size=3), needs_grad=True)
    quantized = np.round(x.data)
    straight = x + ops.stop_gradient(quantized - x)      # forward: quantized; backward: identity to x
    np.testing.assert_array_equal(straight.data, quantized)
    backpropagate(straight * 2, np.ones(3))
    np.testing.assert_array_equal(x.grad, [2, 2, 2])
    y = Value(np.ones(2), needs_grad=True)
    assert not ops.stop_gradient(y * 3).needs_grad
    assert ops.stop_gradient(np.ones(2)).tolist() == [1, 1]


def test_custom_gradient_uses_the_given_gradient():
    @ops.custom_gradient
    def log1pexp(x):
        e = ops.exp(x)

        def grad(*args, upstream=None):
            upstream = args[0] if upstream is None else upstream
            return upstream * (1 - 1 / (1 + e))
        return ops.log(1 + e), grad

    x = RNG.normal(size=4)
    np.testing.assert_allclose(log1pexp(x), np.log1p(np.exp(x)))
    check_gradient(log1pexp, x)

    @ops.custom_gradient
    def clipped_identity(a, b):                     # two inputs, a gradient of one's own making
        return a + b, lambda g: (np.clip(g, -0.1, 0.1), None)
    a, b = Value(np.zeros(2), needs_grad=True), Value(np.zeros(2), needs_grad=True)
    backpropagate(clipped_identity(a, b), np.array([5.0, -0.05]))
    np.testing.assert_array_equal(a.grad, [0.1, -0.05])
    assert b.grad is None


def test_jvp_says_glassnet_has_no_forward_mode():
    with pytest.raises(NotImplementedError, match="forward-mode"):
        ops.jvp(lambda x: x, (1.0,), (1.0,))


def test_a_custom_layer_with_erf_and_stop_gradient_trains():
    """A Gaussian-CDF gate on a Dense, with a stop-gradient'ed scale: the whole call() recorded."""
    class Gate(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 4), initializer="glorot_uniform")

        def call(self, inputs):
            z = ops.matmul(inputs, self.w)
            scale = ops.stop_gradient(ops.max(ops.abs(z)) + 1.0)
            return z * 0.5 * (1 + ops.erf(z / (scale * math.sqrt(2))))

    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 3)).astype(np.float32)
    y = np.maximum(x @ rng.normal(size=(3, 1)), 0).astype(np.float32)
    model = keras_like.Sequential([layers.Input((3,)), Gate(), layers.Dense(1)], seed=0)
    model.compile(keras_like.optimizers.Adam(0.03), "mse")
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0).history["loss"]
    assert history[-1] < 0.3 * history[0]


def test_what_has_no_gradient_says_so():
    value = Value(np.ones((2, 2)), needs_grad=True)
    with pytest.raises(CannotDifferentiate, match="fft"):
        np.fft.fft(value)
