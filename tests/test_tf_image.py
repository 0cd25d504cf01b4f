"""tf.image and tf.io (glassnet/tf_image.py, glassnet/tf_io.py): PNG files read and decoded,
dtype conversion, resizing, flips, crops and pads, by hand, and against TensorFlow where installed."""

import numpy as np
import pytest

import glassnet as tf

RNG = np.random.default_rng(0)
IMAGE = (RNG.uniform(size=(9, 12, 3)) * 255).astype(np.uint8)


@pytest.fixture
def png(tmp_path):
    from PIL import Image
    path = tmp_path / "digit.png"
    Image.fromarray(IMAGE).save(path)
    return str(path)


def test_a_png_is_read_and_decoded_to_its_pixels(png, tmp_path):
    contents = tf.io.read_file(png)
    assert isinstance(contents, bytes) and contents[:4] == b"\x89PNG"
    pixels = tf.io.decode_png(contents)
    assert pixels.dtype == np.uint8 and pixels.shape == (9, 12, 3)
    np.testing.assert_array_equal(pixels.numpy(), IMAGE)
    np.testing.assert_array_equal(tf.image.decode_image(contents, channels=4)[..., 3], 255)
    assert tf.image.decode_png(contents, channels=1).shape == (9, 12, 1)
    again = tmp_path / "again.png"
    tf.io.write_file(str(again), tf.io.encode_png(IMAGE))
    np.testing.assert_array_equal(tf.image.decode_png(tf.io.read_file(str(again))), IMAGE)
    with pytest.raises(ValueError, match="not a PNG, JPEG"):
        tf.io.decode_png(b"not a picture")
    with pytest.raises(AttributeError, match="tf.io has no 'TFRecordDataset'"):
        tf.io.TFRecordDataset


def test_convert_image_dtype_rescales_the_range():
    pixels = np.array([[[0], [128], [255]]], np.uint8)
    floats = tf.image.convert_image_dtype(pixels, tf.float32)
    np.testing.assert_allclose(floats[0, :, 0], [0, 128 / 255, 1], rtol=1e-6)
    np.testing.assert_array_equal(tf.image.convert_image_dtype(floats, tf.uint8), pixels)
    np.testing.assert_array_equal(tf.image.convert_image_dtype(floats * 2, tf.uint8, saturate=True)[0, :, 0],
                                  [0, 255, 255])


def test_geometry_by_hand():
    x = np.arange(6).reshape(2, 3, 1)
    np.testing.assert_array_equal(tf.image.flip_left_right(x)[..., 0], [[2, 1, 0], [5, 4, 3]])
    np.testing.assert_array_equal(tf.image.flip_up_down(x)[..., 0], [[3, 4, 5], [0, 1, 2]])
    np.testing.assert_array_equal(tf.image.rot90(x)[..., 0], [[2, 5], [1, 4], [0, 3]])     # counter-clockwise
    np.testing.assert_array_equal(tf.image.transpose(x)[..., 0], [[0, 3], [1, 4], [2, 5]])
    assert tf.image.central_crop(IMAGE, 0.5).shape == (5, 6, 3)
    assert tf.image.resize_with_pad(IMAGE, 10, 10).shape == (10, 10, 3)
    assert tf.image.resize(IMAGE, [5, 20], preserve_aspect_ratio=True).shape == (5, 7, 3)
    assert tf.image.resize(IMAGE, [4, 4]).dtype == np.float32
    assert tf.image.resize(IMAGE, [4, 4], method="nearest").dtype == np.uint8
    with pytest.raises(ValueError, match="not method='area'"):
        tf.image.resize(IMAGE, [4, 4], method="area")


def test_per_image_standardization_and_random_flips():
    standard = tf.image.per_image_standardization(IMAGE[None].repeat(2, 0))
    np.testing.assert_allclose(standard.mean(axis=(1, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(standard.std(axis=(1, 2, 3)), 1, atol=1e-4)
    batch = tf.image.random_flip_left_right(IMAGE[None].repeat(16, 0), seed=3)
    flipped = [np.array_equal(b, IMAGE[:, ::-1]) for b in batch]
    assert all(f or np.array_equal(b, IMAGE) for f, b in zip(flipped, batch)) and 0 < sum(flipped) < 16
    brighter = tf.image.random_brightness(IMAGE.astype(np.float32) / 255, 0.2, seed=0)
    assert 0 < np.abs(brighter - IMAGE / 255).max() <= 0.2 + 1e-6


def test_random_crop_takes_a_window_of_the_size_asked():
    crop = tf.image.random_crop(IMAGE, (5, 6, 3), seed=2)
    assert crop.shape == (5, 6, 3)
    found = [(r, c) for r in range(5) for c in range(7) if np.array_equal(IMAGE[r:r + 5, c:c + 6], crop)]
    assert found
    with pytest.raises(ValueError, match="no larger than its own"):
        tf.image.random_crop(IMAGE, (10, 6, 3))


def test_what_tf_image_lacks_is_named():
    with pytest.raises(AttributeError, match="tf.image has no 'draw_bounding_boxes'"):
        tf.image.draw_bounding_boxes


@pytest.mark.parametrize("name, call", [
    ("decode", lambda t, path: t.io.decode_png(t.io.read_file(path))),
    ("convert", lambda t, path: t.image.convert_image_dtype(IMAGE, t.float32)),
    ("convert_back", lambda t, path: t.image.convert_image_dtype(IMAGE / np.float32(200), t.uint8, saturate=True)),
    ("convert_int16", lambda t, path: t.image.convert_image_dtype(IMAGE, t.int16)),
    ("resize", lambda t, path: t.image.resize(IMAGE, [5, 20])),
    ("resize_bicubic", lambda t, path: t.image.resize(IMAGE, [5, 20], method="bicubic")),
    ("resize_nearest", lambda t, path: t.image.resize(IMAGE, [5, 20], method="nearest")),
    ("resize_aspect", lambda t, path: t.image.resize(IMAGE, [5, 20], preserve_aspect_ratio=True)),
    ("rot90", lambda t, path: t.image.rot90(IMAGE, 3)),
    ("transpose", lambda t, path: t.image.transpose(t.constant(IMAGE))),
    ("grey", lambda t, path: t.image.rgb_to_grayscale(t.constant(IMAGE))),
    ("standardize", lambda t, path: t.image.per_image_standardization(IMAGE)),
    ("central_crop", lambda t, path: t.image.central_crop(IMAGE, 0.5)),
    ("resize_with_pad", lambda t, path: t.image.resize_with_pad(IMAGE, 10, 10)),
    ("crop_or_pad", lambda t, path: t.image.resize_with_crop_or_pad(IMAGE, 12, 7)),
    ("brightness", lambda t, path: t.image.adjust_brightness(IMAGE, 0.1)),
    ("contrast", lambda t, path: t.image.adjust_contrast(IMAGE, 1.5)),
    ("patches", lambda t, path: t.image.extract_patches(IMAGE[None], [1, 3, 3, 1], [1, 2, 2, 1], [1, 1, 1, 1], "SAME")),
    ("gamma", lambda t, path: t.image.adjust_gamma(IMAGE, 0.5, 1.2)),
    ("saturation", lambda t, path: t.image.adjust_saturation(IMAGE, 1.7)),
    ("hue", lambda t, path: t.image.adjust_hue(IMAGE / np.float32(255), -0.3)),
    ("psnr", lambda t, path: t.image.psnr(IMAGE[None] / np.float32(255), IMAGE[None] / np.float32(300), 1.0)),
])
def test_same_as_tensorflow(name, call, png):
    tensorflow = pytest.importorskip("tensorflow")
    mine, theirs = np.asarray(call(tf, png)), call(tensorflow, png).numpy()
    assert mine.dtype == theirs.dtype and mine.shape == theirs.shape
    np.testing.assert_allclose(mine.astype(float), theirs.astype(float), atol=2e-4, rtol=1e-5)


def test_unicode_split_gives_the_characters_for_a_string_lookup():
    np.testing.assert_array_equal(tf.strings.unicode_split("40 7", input_encoding="UTF-8"), ["4", "0", " ", "7"])
    np.testing.assert_array_equal(tf.strings.unicode_split(np.array(b"12"), "UTF-8"), ["1", "2"])
    assert [list(a) for a in tf.strings.unicode_split(["ab", "c"], "UTF-8")] == [["a", "b"], ["c"]]
