"""keras.ops.image (glassnet/ops/image.py): values against Keras 3 (TensorFlow backend) where
installed, by hand otherwise, and the recorded gradients of the ops a custom layer's call()
uses (resize, extract_patches, crops, pads, grey, blur) against finite differences."""

import numpy as np
import pytest

from glassnet import ops
from glassnet.gradcheck import relative_error

from test_ops_nn import gradients

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(size=(2, 9, 12, 3))
TURN = np.array([0.9553, -0.2955, 1.537, 0.2955, 0.9553, -0.713, 0, 0], np.float32)   # a turn and a shift
POINTS = RNG.uniform(-2, 9, size=(4, 3, 5)).astype(np.float32)                         # (ndim, ...) points

CASES = {
    "resize_bilinear_down": lambda x: ops.image.resize(x, (5, 7)),
    "resize_bilinear_up": lambda x: ops.image.resize(x, (20, 15)),
    "resize_nearest": lambda x: ops.image.resize(x, (5, 17), interpolation="nearest"),
    "resize_bicubic": lambda x: ops.image.resize(x, (20, 7), interpolation="bicubic"),
    "resize_bicubic_antialias": lambda x: ops.image.resize(x, (5, 7), interpolation="bicubic", antialias=True),
    "resize_bilinear_antialias": lambda x: ops.image.resize(x, (4, 5), antialias=True),
    "resize_lanczos3": lambda x: ops.image.resize(x, (6, 8), interpolation="lanczos3"),
    "resize_crop_to_aspect": lambda x: ops.image.resize(x, (4, 8), crop_to_aspect_ratio=True),
    "resize_pad_to_aspect": lambda x: ops.image.resize(x, (8, 4), pad_to_aspect_ratio=True, fill_value=0.5),
    "resize_one_image": lambda x: ops.image.resize(x[0], (4, 4)),
    "extract_patches": lambda x: ops.image.extract_patches(x, 3),
    "extract_patches_strided_same": lambda x: ops.image.extract_patches(x, (2, 3), strides=(1, 2), padding="same"),
    "pad_images": lambda x: ops.image.pad_images(x, 1, 2, target_height=12, target_width=15),
    "crop_images": lambda x: ops.image.crop_images(x, 1, 2, bottom_cropping=2, target_width=4),
    "rgb_to_grayscale": lambda x: ops.image.rgb_to_grayscale(x),
    "gaussian_blur": lambda x: ops.image.gaussian_blur(x, (3, 5), (1.0, 2.0)),
    "affine_transform": lambda x: ops.image.affine_transform(x, TURN, fill_value=0.3),
    "affine_transform_nearest_reflect": lambda x: ops.image.affine_transform(x, TURN, "nearest", "reflect"),
    "map_coordinates_linear": lambda x: ops.image.map_coordinates(x, POINTS, 1, fill_value=0.5),
    "map_coordinates_nearest_wrap": lambda x: ops.image.map_coordinates(x, POINTS, 0, "wrap"),
    "map_coordinates_reflect": lambda x: ops.image.map_coordinates(x, np.abs(POINTS) % 2, 1, "reflect"),
}
NOT_DIFFERENTIATED = {"rgb_to_hsv", "hsv_to_rgb"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_image_op_agrees_with_finite_differences(name):
    (recorded, numeric), = gradients(CASES[name], [IMAGES[:1, :6, :7].copy()])
    assert relative_error(recorded, numeric) < 1e-6, name


def test_resize_by_hand():
    """Bilinear halving with pixel centres averages each 2x2 block; nearest picks one pixel of it."""
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    np.testing.assert_allclose(ops.image.resize(x, (2, 2))[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])
    np.testing.assert_array_equal(ops.image.resize(x, (2, 2), interpolation="nearest")[0, :, :, 0],
                                  [[5, 7], [13, 15]])
    assert ops.image.resize(x.astype(np.uint8), (2, 2)).dtype == np.float32
    with pytest.raises(ValueError, match="interpolates with"):
        ops.image.resize(x, (2, 2), interpolation="area")


def test_patches_are_rows_then_columns_then_channels():
    x = np.arange(2 * 4 * 4 * 2, dtype=np.float32).reshape(2, 4, 4, 2)
    patches = ops.image.extract_patches(x, 2)
    assert patches.shape == (2, 2, 2, 8)
    np.testing.assert_array_equal(patches[1, 0, 1], x[1, 0:2, 2:4].reshape(-1))


def test_map_coordinates_and_affine_transform_by_hand():
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(ops.image.map_coordinates(x, [[0.5, 2.0, -1.0], [1.0, 3.5, 0.0]], 1),
                               [3.0, 0.5 * 11 + 0.5 * 0, 0.0])        # halfway between rows; half past the edge
    np.testing.assert_array_equal(ops.image.map_coordinates(x, [[-1.0], [5.0]], 0, "nearest"), [3.0])
    shifted = ops.image.affine_transform(x[None, :, :, None], [1, 0, 1, 0, 1, 0, 0, 0])   # read one column right
    np.testing.assert_array_equal(shifted[0, :, :, 0], np.c_[x[:, 1:], np.zeros(3)])


def test_hsv_round_trip_and_grey():
    x = IMAGES.astype(np.float32)
    np.testing.assert_allclose(ops.image.hsv_to_rgb(ops.image.rgb_to_hsv(x)), x, atol=1e-6)
    red = np.array([[[1.0, 0.0, 0.0]]], np.float32)
    np.testing.assert_allclose(ops.image.rgb_to_hsv(red), [[[0.0, 1.0, 1.0]]])
    np.testing.assert_allclose(ops.image.rgb_to_grayscale(red), [[[0.2989]]])


def test_unsupported_image_ops_say_so():
    with pytest.raises(NotImplementedError, match="elastic_transform is not part of glassnet"):
        ops.image.elastic_transform(IMAGES)
    with pytest.raises(ValueError, match="3-D patches of volumes are not supported"):
        ops.image.extract_patches(IMAGES, (2, 2, 2))
    with pytest.raises(AttributeError, match="ops.image has no 'extract_patches_3d'; it has affine_transform"):
        ops.image.extract_patches_3d
    with pytest.raises(ValueError, match="affine transforms only"):
        ops.image.affine_transform(IMAGES, [1, 0, 0, 0, 1, 0, 0.01, 0])
    with pytest.raises(ValueError, match="TensorFlow reads 'wrap' its own way"):
        ops.image.affine_transform(IMAGES, TURN, fill_mode="wrap")
    with pytest.raises(ValueError, match="channels_last"):
        ops.image.resize(IMAGES, (3, 3), data_format="channels_first")


@pytest.fixture(scope="module")
def real_keras():
    return pytest.importorskip("keras")


@pytest.mark.parametrize("name", sorted(CASES) + sorted(NOT_DIFFERENTIATED))
def test_each_image_op_gives_keras_values(name, real_keras):
    x = IMAGES.astype(np.float32)
    if name in NOT_DIFFERENTIATED:
        mine, theirs = getattr(ops.image, name)(x), getattr(real_keras.ops.image, name)(x)
    else:
        function = CASES[name]
        mine = function(x)
        theirs = type(function)(function.__code__, dict(function.__globals__, ops=real_keras.ops))(x)
    np.testing.assert_allclose(np.asarray(mine), np.asarray(theirs), rtol=1e-5, atol=2e-6)
