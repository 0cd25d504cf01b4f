"""Resizing, CenterCrop and RandomCrop: TensorFlow's image.resize (pixel centres lined up) and
Keras's crops, as matrices."""

import numpy as np
import pytest

import glassnet
from glassnet import layers
from glassnet.engine.layers.resizing import resize_matrix
from glassnet.errors import ShapeError

rng = np.random.default_rng(0)
F64 = "float64"    # the layers compute in the test images' own float64: exact comparisons


def _interp(x, new, axis):
    """NumPy's reference: each output reads the input at (i + 0.5) * size / new - 0.5, clamped."""
    size = x.shape[axis]
    points = np.clip((np.arange(new) + 0.5) * size / new - 0.5, 0, size - 1)
    return np.apply_along_axis(lambda v: np.interp(points, np.arange(size), v), axis, x)


@pytest.mark.parametrize("size, new", [((28, 28), (32, 32)), ((28, 28), (14, 10)), ((7, 9), (20, 5)), ((5, 5), (5, 5))])
def test_bilinear_is_interpolation_between_pixel_centres(size, new):
    x = rng.random((2, *size, 3))
    expected = _interp(_interp(x, new[0], 1), new[1], 2)
    np.testing.assert_allclose(layers.Resizing(*new, dtype=F64)(x), expected, rtol=1e-12, atol=1e-12)


def test_nearest_picks_tensorflows_pixel_and_equal_sizes_change_nothing():
    np.testing.assert_array_equal(resize_matrix(5, 5, "bilinear"), np.eye(5))
    picks = resize_matrix(10, 4, "nearest").argmax(axis=1)
    np.testing.assert_array_equal(picks, np.floor((np.arange(4) + 0.5) * 10 / 4))
    x = rng.random((1, 10, 6, 1))
    nearest = layers.Resizing(4, 3, interpolation="nearest", dtype=F64)
    np.testing.assert_array_equal(nearest(x), x[:, picks][:, :, [1, 3, 5]])


def test_images_of_any_size_come_out_one_size():
    inputs = glassnet.Input((None, None, 1))
    model = glassnet.Model(inputs, layers.Conv2D(2, 5)(layers.Resizing(32, 32)(inputs)), seed=0)
    assert model.output_shape == (None, 28, 28, 2)
    for size in ((28, 28), (17, 40)):
        assert model.predict(rng.random((2, *size, 1)), verbose=0).shape == (2, 28, 28, 2)


def test_unsupported_settings_and_shapes_are_one_line_errors():
    with pytest.raises(ValueError, match="interpolation='bicubic' is not supported"):
        layers.Resizing(8, 8, interpolation="bicubic")
    with pytest.raises(ValueError, match="pad_to_aspect_ratio=True is not supported"):
        layers.Resizing(8, 8, pad_to_aspect_ratio=True)
    with pytest.raises(ShapeError, match="needs images"):
        layers.Resizing(8, 8)(glassnet.Input((28, 28)))


def test_center_crop_takes_the_middle_and_resizes_a_smaller_image_as_keras_does():
    x = rng.random((2, 28, 21, 3))
    np.testing.assert_array_equal(layers.CenterCrop(20, 16, dtype=F64)(x), x[:, 4:24, 2:18])
    # smaller than the crop: its largest centred window of the crop's shape, resized
    np.testing.assert_allclose(layers.CenterCrop(40, 40, dtype=F64)(x),
                               layers.Resizing(40, 40, crop_to_aspect_ratio=True, dtype=F64)(x), rtol=1e-12)
    np.testing.assert_allclose(layers.Resizing(40, 40, crop_to_aspect_ratio=True, dtype=F64)(x),
                               layers.Resizing(40, 40, dtype=F64)(x[:, 3:24]), rtol=1e-12)     # the centred 21 x 21


def test_random_crop_takes_a_window_in_training_and_the_centre_in_inference():
    x = rng.random((3, 12, 10, 1))
    layer = layers.RandomCrop(8, 6, seed=0, dtype=F64)
    tops = set()
    for _ in range(20):
        y = np.asarray(layer(x, training=True))
        where = [(t, l) for t in range(5) for l in range(5) if np.array_equal(y, x[:, t:t + 8, l:l + 6])]
        assert len(where) == 1                       # one window, the same for the whole batch
        tops.add(where[0])
    assert len(tops) > 5
    np.testing.assert_array_equal(layer(x, training=False), x[:, 2:10, 2:8])


@pytest.mark.slow
def test_the_same_numbers_as_keras():
    keras = pytest.importorskip("keras")
    x = rng.random((2, 11, 7, 3)).astype(np.float32)
    for interpolation in ("bilinear", "nearest"):
        for new in ((32, 5), (4, 13)):
            theirs = np.asarray(keras.layers.Resizing(*new, interpolation=interpolation)(x))
            np.testing.assert_allclose(layers.Resizing(*new, interpolation=interpolation)(x), theirs, atol=1e-6)
    for new in ((8, 5), (30, 9), (20, 20)):
        np.testing.assert_allclose(layers.CenterCrop(*new)(x), keras.layers.CenterCrop(*new)(x), atol=1e-5)
        np.testing.assert_allclose(layers.Resizing(*new, crop_to_aspect_ratio=True)(x),
                                   keras.layers.Resizing(*new, crop_to_aspect_ratio=True)(x), atol=1e-5)
    np.testing.assert_allclose(layers.RandomCrop(30, 25)(x, training=True),           # smaller: resized
                               keras.layers.RandomCrop(30, 25)(x, training=True), atol=1e-5)
