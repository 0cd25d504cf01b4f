"""Resizing: TensorFlow's image.resize (pixel centres lined up), as matrices."""

import numpy as np
import pytest

import glassnet
from glassnet import layers
from glassnet.engine.layers.resizing import resize_matrix
from glassnet.errors import ShapeError

rng = np.random.default_rng(0)


def _interp(x, new, axis):
    """NumPy's reference: each output reads the input at (i + 0.5) * size / new - 0.5, clamped."""
    size = x.shape[axis]
    points = np.clip((np.arange(new) + 0.5) * size / new - 0.5, 0, size - 1)
    return np.apply_along_axis(lambda v: np.interp(points, np.arange(size), v), axis, x)


@pytest.mark.parametrize("size, new", [((28, 28), (32, 32)), ((28, 28), (14, 10)), ((7, 9), (20, 5)), ((5, 5), (5, 5))])
def test_bilinear_is_interpolation_between_pixel_centres(size, new):
    x = rng.random((2, *size, 3))
    expected = _interp(_interp(x, new[0], 1), new[1], 2)
    np.testing.assert_allclose(layers.Resizing(*new)(x), expected, rtol=1e-12, atol=1e-12)


def test_nearest_picks_tensorflows_pixel_and_equal_sizes_change_nothing():
    np.testing.assert_array_equal(resize_matrix(5, 5, "bilinear"), np.eye(5))
    picks = resize_matrix(10, 4, "nearest").argmax(axis=1)
    np.testing.assert_array_equal(picks, np.floor((np.arange(4) + 0.5) * 10 / 4))
    x = rng.random((1, 10, 6, 1))
    np.testing.assert_array_equal(layers.Resizing(4, 3, interpolation="nearest")(x), x[:, picks][:, :, [1, 3, 5]])


def test_images_of_any_size_come_out_one_size():
    inputs = glassnet.Input((None, None, 1))
    model = glassnet.Model(inputs, layers.Conv2D(2, 5)(layers.Resizing(32, 32)(inputs)), seed=0)
    assert model.output_shape == (None, 28, 28, 2)
    for size in ((28, 28), (17, 40)):
        assert model.predict(rng.random((2, *size, 1)), verbose=0).shape == (2, 28, 28, 2)


def test_unsupported_settings_and_shapes_are_one_line_errors():
    with pytest.raises(ValueError, match="interpolation='bicubic' is not supported"):
        layers.Resizing(8, 8, interpolation="bicubic")
    with pytest.raises(ValueError, match="crop_to_aspect_ratio=True is not supported"):
        layers.Resizing(8, 8, crop_to_aspect_ratio=True)
    with pytest.raises(ShapeError, match="needs images"):
        layers.Resizing(8, 8)(glassnet.Input((28, 28)))


@pytest.mark.slow
def test_the_same_numbers_as_keras():
    keras = pytest.importorskip("keras")
    x = rng.random((2, 11, 7, 3)).astype(np.float32)
    for interpolation in ("bilinear", "nearest"):
        for new in ((32, 5), (4, 13)):
            theirs = np.asarray(keras.layers.Resizing(*new, interpolation=interpolation)(x))
            np.testing.assert_allclose(layers.Resizing(*new, interpolation=interpolation)(x), theirs, atol=1e-6)
