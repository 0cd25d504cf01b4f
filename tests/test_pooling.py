"""Pooling layers: gradients, the fast path against the plain loops, ties, shapes, errors."""

import numpy as np
import pytest

from glassnet.engine.layers import (AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D,
                                    MaxPooling2D, pooling)
from glassnet.engine.layers.pooling import pool2d_reference
from glassnet.errors import ShapeError
from glassnet.gradcheck import check_layer

CASES = [  # (constructor arguments, input shape)
    (dict(), (6, 6, 2)),                                   # 2x2 windows that tile the image
    (dict(), (7, 5, 3)),                                   # odd sizes: last row/column unused
    (dict(pool_size=3, strides=2), (7, 7, 2)),             # overlapping windows
    (dict(pool_size=2, padding="same"), (5, 7, 2)),
    (dict(pool_size=3, strides=1, padding="same"), (4, 5, 3)),
    (dict(pool_size=(2, 3)), (6, 7, 1)),
    (dict(pool_size=2, strides=3), (7, 8, 2)),             # gaps between windows
]


def without_ties(shape, batch_size=2, seed=0):
    """Distinct values, far apart compared with the finite-difference step: no window has a tie."""
    size = batch_size * int(np.prod(shape))
    return np.random.default_rng(seed).permutation(size).reshape((batch_size,) + shape) / size - 0.5


@pytest.mark.parametrize("kwargs, shape", CASES)
def test_max_pooling_gradients(kwargs, shape):
    report = check_layer(MaxPooling2D(**kwargs), shape, batch_size=2, x=without_ties(shape))
    assert report.passed, report


@pytest.mark.parametrize("kwargs, shape", CASES)
def test_average_pooling_gradients(kwargs, shape):
    report = check_layer(AveragePooling2D(**kwargs), shape, batch_size=2)
    assert report.passed, report


@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
def test_which_windows_take_the_tiled_path(cls):
    """Windows that tile the image (stride = window, no padding) use strided views."""
    for kwargs, tiled in [(dict(), True), (dict(pool_size=(2, 3)), True), (dict(pool_size=3), True),
                          (dict(pool_size=3, strides=2), False), (dict(pool_size=2, padding="same"), False),
                          (dict(pool_size=2, strides=3), False)]:
        layer = cls(**kwargs)
        layer.build((7, 7, 2))
        assert layer.tiled is tiled, kwargs


@pytest.mark.parametrize("kwargs, shape", [(dict(), (6, 6, 2)), (dict(), (7, 5, 3)),
                                           (dict(pool_size=(2, 3)), (6, 7, 1)),
                                           (dict(pool_size=3), (7, 9, 2))])
@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
def test_tiled_path_equals_the_stacked_path_with_ties(cls, kwargs, shape, monkeypatch):
    """Small integers make ties in most windows; in chunks of one image, on two threads."""
    from threadpoolctl import threadpool_limits
    rng = np.random.default_rng(6)
    x = rng.integers(0, 3, (5,) + shape).astype(np.float32)
    dy = rng.standard_normal((5,) + cls(**kwargs).output_shape(shape)).astype(np.float32)
    results = []
    for tiled, chunk_bytes, threads in [(False, 1 << 20, 1), (True, 1 << 20, 1), (True, 1, 2)]:
        monkeypatch.setattr(pooling, "CHUNK_BYTES", chunk_bytes)
        layer = cls(**kwargs)
        layer.build(shape)
        layer.tiled = tiled
        with threadpool_limits(threads):
            results.append((layer.forward(x, training=True), layer.backward(dy)))
    for y, dx in results[1:]:
        np.testing.assert_allclose(y, results[0][0], rtol=1e-6)
        np.testing.assert_allclose(dx, results[0][1], rtol=1e-6)


def test_global_max_pooling_gradients_ties_and_shape():
    report = check_layer(GlobalMaxPooling2D(), (3, 4, 2), batch_size=3, x=without_ties((3, 4, 2), 3))
    assert report.passed, report
    x = np.zeros((1, 2, 3, 2), np.float32)
    x[0, 1, 0, 0] = x[0, 1, 2, 0] = 5                      # two maxima in channel 0
    layer = GlobalMaxPooling2D()
    y = layer(x)
    assert y.shape == (1, 2) and y.dtype == np.float32
    np.testing.assert_array_equal(y, [[5, 0]])
    dx = layer.backward(np.array([[2.0, 3.0]], np.float32))
    expected = np.zeros_like(x)
    expected[0, 1, 0, 0] = 2                                 # the first maximum, row by row
    expected[0, 0, 0, 1] = 3                                 # channel 1: all zeros tie
    np.testing.assert_array_equal(dx, expected)


def test_global_max_pooling_config_round_trip_and_output_shape():
    layer = GlobalMaxPooling2D(name="gmp")
    assert GlobalMaxPooling2D.from_config(layer.get_config()).get_config() == layer.get_config()
    assert layer.output_shape((5, 4, 7)) == (7,)


def test_global_average_pooling_gradients_and_shape():
    report = check_layer(GlobalAveragePooling2D(), (5, 3, 4), batch_size=3)
    assert report.passed, report
    x = np.random.default_rng(1).standard_normal((2, 5, 3, 4)).astype(np.float32)
    y = GlobalAveragePooling2D()(x)
    assert y.shape == (2, 4) and y.dtype == np.float32
    np.testing.assert_allclose(y, x.mean(axis=(1, 2)), rtol=1e-6)


@pytest.mark.parametrize("kwargs, shape", CASES)
@pytest.mark.parametrize("cls, mode", [(MaxPooling2D, "max"), (AveragePooling2D, "average")])
def test_fast_path_matches_the_reference_loops(cls, mode, kwargs, shape):
    layer = cls(**kwargs)
    x = np.random.default_rng(2).standard_normal((3,) + shape).astype(np.float32)
    y = layer(x)
    expected = pool2d_reference(x, layer.pool_size, layer.strides, layer.padding, mode)
    assert y.shape == expected.shape == (3,) + layer.output_shape(shape)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)


def test_a_tie_sends_the_gradient_to_the_first_maximum_only():
    layer = MaxPooling2D(2)
    x = np.zeros((1, 2, 2, 1), np.float32)          # all four inputs tie
    layer(x)
    dx = layer.backward(np.full((1, 1, 1, 1), 3.0, np.float32))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[3, 0], [0, 0]])
    x = np.array([1, 5, 5, 0], np.float32).reshape(1, 2, 2, 1)
    layer(x)
    dx = layer.backward(np.ones((1, 1, 1, 1), np.float32))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0, 1], [0, 0]])   # the first 5, row by row


def test_rows_and_columns_past_the_last_window_get_zero_gradient():
    layer = MaxPooling2D(2)                          # 5x5 pools to 2x2, like Keras
    x = without_ties((5, 5, 1), batch_size=1).astype(np.float32)
    assert layer(x).shape == (1, 2, 2, 1)
    dx = layer.backward(np.ones((1, 2, 2, 1), np.float32))
    assert dx.shape == x.shape
    assert not dx[:, 4].any() and not dx[:, :, 4].any() and dx.sum() == 4


def test_backward_leaves_dy_alone():
    for layer in (MaxPooling2D(2), AveragePooling2D(3, strides=1, padding="same")):
        layer(np.random.default_rng(3).standard_normal((2, 6, 6, 2)).astype(np.float32))
        dy = np.random.default_rng(4).standard_normal((2,) + layer.output_shape((6, 6, 2)))
        kept = dy.copy()
        layer.backward(dy)
        np.testing.assert_array_equal(dy, kept)


def test_average_pooling_with_same_padding_counts_only_real_pixels():
    y = AveragePooling2D(2, padding="same")(np.ones((1, 3, 3, 1), np.float32))
    np.testing.assert_array_equal(y, np.ones((1, 2, 2, 1)))   # no zeros from the padding


@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
def test_arguments_and_config(cls):
    layer = cls(pool_size=(3, 2), strides=1, padding="same")
    assert cls.from_config(layer.get_config()).get_config() == layer.get_config()
    assert cls(3).strides == (3, 3)               # strides default to the pool size
    with pytest.raises(ValueError, match="pool_size must be a positive integer.*got 0"):
        cls(0)
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same', got 'causal'"):
        cls(2, padding="causal")


@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
                                 GlobalMaxPooling2D])
def test_shape_errors_name_the_layer(cls):
    with pytest.raises(ShapeError, match=r"'pool'.*\('batch', 28, 28\)"):
        cls(name="pool").build((28, 28))
    layer = cls(name="pool")
    layer.build((8, 8, 2))
    with pytest.raises(ShapeError, match=r"'pool' expects input of shape \('batch', 8, 8, 2\) "
                                         r"but got \(1, 8, 8, 3\)"):
        layer.forward(np.zeros((1, 8, 8, 3), np.float32))


def test_a_window_larger_than_the_image_is_a_shape_error():
    with pytest.raises(ShapeError, match="doesn't fit"):
        MaxPooling2D(4, name="pool").build((3, 3, 1))


def test_global_max_pooling_agrees_with_pytorch_even_with_ties():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(7).integers(0, 3, (2, 4, 5, 3)).astype(np.float64)
    layer = GlobalMaxPooling2D()
    y = layer(x)
    dy = np.random.default_rng(8).standard_normal(y.shape)
    dx = layer.backward(dy)
    tx = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    ty = torch.amax(tx, dim=(2, 3))
    ty.backward(torch.tensor(dy))
    np.testing.assert_array_equal(y, ty.detach().numpy())
    # amax splits a tie evenly; max_pool2d over the whole image gives it to the first:
    tx.grad = None
    torch.nn.functional.max_pool2d(tx, (4, 5)).flatten(1).backward(torch.tensor(dy))
    np.testing.assert_allclose(dx, tx.grad.numpy().transpose(0, 2, 3, 1), atol=1e-12)


def test_agrees_with_pytorch_even_with_ties():
    """Max pooling's output and gradient against torch's (channels-first, so transposed);
    small integers make many ties, which both must send to the first maximum."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    for pool, strides in [(2, 2), (3, 2), (2, 1)]:
        layer = MaxPooling2D(pool, strides=strides)
        x = rng.integers(0, 3, (2, 7, 6, 3)).astype(np.float64)
        y = layer(x)
        dy = rng.standard_normal(y.shape)
        dx = layer.backward(dy)
        tx = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
        ty = torch.nn.functional.max_pool2d(tx, pool, strides)
        ty.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
        np.testing.assert_array_equal(y, ty.detach().numpy().transpose(0, 2, 3, 1))
        np.testing.assert_allclose(dx, tx.grad.numpy().transpose(0, 2, 3, 1), atol=1e-12)
