"""RandomContrast and RandomBrightness: Keras 3's formulas, factors and clipping."""

import numpy as np
import pytest

import glassnet
from glassnet import layers

rng = np.random.default_rng(0)


def test_contrast_scales_each_images_differences_from_its_mean_and_clips():
    x = rng.random((16, 6, 5, 3)).astype(np.float32) * 255
    layer = layers.RandomContrast((0.5, 0.5), seed=0)
    y = np.asarray(layer(x, training=True))
    mean = x.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(y, np.clip(mean + layer.f * (x - mean), 0, 255), rtol=1e-5, atol=1e-3)
    assert layer.f.shape == (16, 1, 1, 1) and 0.5 <= layer.f.min() and layer.f.max() <= 1.5
    assert (y == 255).any() and (y == 0).any()                     # stretched past the range: clipped
    np.testing.assert_array_equal(layer(x, training=False), x)


def test_brightness_adds_one_shift_per_image_and_a_clipped_pixel_gets_no_gradient():
    x = rng.random((8, 5, 5)).astype(np.float32)
    layer = layers.RandomBrightness(0.5, value_range=(0, 1), seed=0)
    y = np.asarray(layer(x, training=True))
    shift = (y - x)[~((y == 0) | (y == 1))]
    assert np.abs(shift).max() <= 0.5 + 1e-6
    dx = layer.backward(np.ones_like(x))
    assert (y == 1).any()
    np.testing.assert_array_equal(dx, (y > 0) & (y < 1))


def test_factors_are_read_as_keras_3_reads_them():
    assert layers.RandomContrast(0.2).factor == (0.0, 0.2)         # contrast only rises, as in Keras 3.15
    assert layers.RandomContrast((0.3, 0.1)).factor == (0.1, 0.3)
    assert layers.RandomBrightness(0.2).factor == (-0.2, 0.2)
    with pytest.raises(ValueError, match=r"factor must be a number or a pair of numbers in \[0.0, 1.0\]"):
        layers.RandomContrast(1.5)
    with pytest.raises(ValueError, match="value_range must be"):
        layers.RandomBrightness(0.1, value_range=5)


def test_a_model_with_them_trains_and_predicts_untouched(tmp_path):
    model = glassnet.Sequential([glassnet.Input((8, 8, 1)), layers.RandomContrast(0.3), layers.RandomBrightness(0.1),
                                 layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(2)], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    x = rng.random((8, 8, 8, 1)).astype(np.float32) * 255
    model.fit(x, rng.integers(0, 2, 8), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = glassnet.models.load_model(tmp_path / "m.keras")
    assert loaded.layers[0].factor == (0.0, 0.3) and loaded.layers[1].factor == (-0.1, 0.1)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
