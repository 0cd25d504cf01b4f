"""Preprocessing layers: Rescaling, Normalization, and the random image layers (identity in
inference; exact maps by hand; the fill modes; the transpose used for backward). Gradients are
checked by the gradcheck catalogue; Keras's own outputs in ``test_keras_reference``."""

import numpy as np
import pytest

from glassnet import Sequential
from glassnet.datasets.augment import Resampler, affine_points
from glassnet.engine.layers import Dense, Flatten, Input
from glassnet.engine.saving import load_model
from glassnet.engine.layers.preprocessing import (Normalization, RandomFlip, RandomRotation,
                                                  RandomTranslation, RandomZoom, Rescaling)
from glassnet.errors import ShapeError

IMAGE = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)     # rows 0-3, 4-7, 8-11, 12-15


def test_rescaling_and_its_gradient():
    layer = Rescaling(1 / 255)
    x = np.array([[0, 255, 51]], dtype=np.float32)
    np.testing.assert_allclose(layer(x), [[0, 1, 0.2]], rtol=1e-6)
    assert layer(x).dtype == np.float32
    np.testing.assert_allclose(Rescaling(2.0, offset=-1.0)(np.array([[0.5]])), [[0.0]])
    per_channel = Rescaling([1.0, 10.0])
    np.testing.assert_allclose(per_channel(np.ones((1, 2, 2, 2))).reshape(-1, 2)[0], [1, 10])
    assert Rescaling.from_config(per_channel.get_config()).scale == [1.0, 10.0]


def test_normalization_adapts_to_the_data_per_feature():
    data = np.random.default_rng(0).normal([1.0, -2.0, 5.0], [2.0, 0.5, 1.0], size=(1000, 3))
    layer = Normalization()
    layer.adapt(data)
    y = layer(data)
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-6)      # statistics kept in float32
    np.testing.assert_allclose(y.std(axis=0), 1, rtol=1e-6)
    images = np.random.default_rng(1).uniform(size=(50, 4, 4, 2)) * [1.0, 10.0]
    per_channel = Normalization(axis=-1)
    per_channel.adapt(images)
    assert per_channel(images).reshape(-1, 2).std(axis=0) == pytest.approx([1, 1])
    everything = Normalization(axis=None, mean=2.0, variance=4.0)
    np.testing.assert_allclose(everything(np.array([[4.0, 0.0]])), [[1.0, -1.0]])
    inverse = Normalization(mean=2.0, variance=4.0, invert=True, axis=None)
    np.testing.assert_allclose(inverse(np.array([[1.0, -1.0]])), [[4.0, 0.0]])
    with pytest.raises(ValueError, match="has no statistics: call adapt"):
        Normalization()(np.ones((2, 3)))
    with pytest.raises(ShapeError, match="mean has 2 values but inputs"):
        Normalization(mean=[0, 0], variance=[1, 1])(np.ones((2, 3)))


def test_normalization_weights_are_keras_3s(tmp_path):
    """Adapted: [mean, variance, count] shaped like the kept axis (count an int64 scalar), so
    TensorFlow's regression tutorial's summary counts 2 * features + 1; given: no weights.
    A saved adapted layer comes back with its statistics (the loader writes them after
    building the layer from its config)."""
    data = np.random.default_rng(0).normal(3.0, 2.0, size=(40, 9))
    adapted = Normalization(axis=-1)
    adapted.adapt(data)
    model = Sequential([Input((9,)), adapted, Dense(1)])
    assert [(w.shape, w.dtype) for w in adapted.get_weights()] == [((9,), np.float32), ((9,), np.float32),
                                                                  ((), np.int64)]
    assert adapted.count_params() == 19 and model.count_params() == 29
    model.save(tmp_path / "m.npz")
    again = load_model(tmp_path / "m.npz")
    np.testing.assert_array_equal(again.predict(data, verbose=0), model.predict(data, verbose=0))
    images = np.random.default_rng(1).uniform(size=(5, 4, 4, 2))
    for axis, shape in [(-1, (2,)), (None, ())]:
        layer = Normalization(axis=axis)
        layer.adapt(images)
        Sequential([Input((4, 4, 2)), layer])
        assert [w.shape for w in layer.get_weights()] == [shape, shape, ()]
    given = Sequential([Input((9,)), Normalization(mean=3.0, variance=4.0)])
    assert given.count_params() == 0 and given.layers[0].get_weights() == []
    np.testing.assert_allclose(given.predict(np.full((1, 9), 5.0), verbose=0), 1.0)


def test_normalization_takes_a_keras_layers_weights():
    keras = pytest.importorskip("keras")
    data = np.random.default_rng(2).normal([1.0, -2.0, 5.0], [2.0, 0.5, 1.0], size=(50, 3)).astype(np.float32)
    theirs = keras.layers.Normalization()
    theirs.adapt(data)
    ours = Normalization()
    ours.adapt(np.zeros((2, 3)))
    Sequential([Input((3,)), ours]).set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(data), np.asarray(theirs(data)), atol=1e-5)


@pytest.mark.parametrize("layer", [RandomRotation(0.2), RandomTranslation(0.2, 0.2), RandomZoom(0.3),
                                   RandomFlip()])
def test_random_layers_are_the_identity_in_inference(layer):
    x = np.random.default_rng(0).normal(size=(3, 5, 5, 1)).astype(np.float32)
    y = layer(x, training=False)
    assert np.shares_memory(y, x) and np.array_equal(y, x)     # x itself (as a Tensor view): no copy
    assert layer.backward(x) is x
    # Called without training=, alone or in model(x), they augment, as Keras's (training=True):
    # the TensorFlow tutorials show data_augmentation(images) this way. predict never does.
    assert any(not np.array_equal(layer(x), x) for _ in range(10))      # (a flip may leave all three)
    model = Sequential([Input((5, 5, 1)), layer])
    assert any(not np.array_equal(np.asarray(model(x)), x) for _ in range(10))
    assert np.array_equal(model.predict(x, verbose=0), x)


def test_a_quarter_turn_by_hand():
    # factor (0.25, 0.25) is exactly +90 degrees, counter-clockwise: the top row becomes the
    # left column, read upwards.
    turned = RandomRotation((0.25, 0.25))(IMAGE, training=True)[0, :, :, 0]
    np.testing.assert_allclose(turned, np.rot90(IMAGE[0, :, :, 0], 1), atol=1e-5)


def test_a_shift_by_whole_pixels_by_hand_with_each_fill_mode():
    # height_factor 0.25 of 4 rows = one row down; width 0.
    def shifted(mode):
        layer = RandomTranslation((0.25, 0.25), (0.0, 0.0), fill_mode=mode, fill_value=-1.0)
        return layer(IMAGE, training=True)[0, :, :, 0]
    rows = IMAGE[0, :, :, 0]
    np.testing.assert_array_equal(shifted("constant")[1:], rows[:3])
    np.testing.assert_array_equal(shifted("constant")[0], [-1, -1, -1, -1])
    np.testing.assert_array_equal(shifted("reflect")[0], rows[0])          # d c b a | a b c d
    np.testing.assert_array_equal(shifted("nearest")[0], rows[0])          # a a a a | a b c d
    np.testing.assert_array_equal(shifted("wrap")[0], rows[3])             # a b c d | a b c d


def test_zoom_out_shrinks_about_the_centre():
    # Zoom factor 2 (height_factor 1.0): the output reads twice as far from the centre.
    layer = RandomZoom((1.0, 1.0), fill_mode="constant")
    big = np.zeros((1, 5, 5, 1), np.float32)
    big[0, 1:4, 1:4, 0] = 1                                    # a 3x3 square in the middle
    small = layer(big, training=True)[0, :, :, 0]
    assert small[2, 2] == 1 and small[0, 0] == 0 and small.sum() < big.sum()


def test_each_image_gets_its_own_change_and_the_seed_repeats_them():
    x = np.repeat(IMAGE, 3, axis=0)
    y = RandomRotation(0.2, seed=1)(x, training=True)
    assert not np.allclose(y[0], y[1])
    np.testing.assert_array_equal(RandomRotation(0.2, seed=1)(x, training=True), y)


def test_grey_images_without_a_channel_axis_and_float32():
    x = np.random.default_rng(0).uniform(size=(2, 6, 6)).astype(np.float32)
    y = RandomZoom(0.2)(x, training=True)
    assert y.shape == x.shape and y.dtype == np.float32
    with pytest.raises(ShapeError, match=r"needs images \(batch, height, width\[, channels\]\)"):
        RandomRotation(0.1)(np.ones((2, 5)), training=True)


@pytest.mark.parametrize("mode, flips", [("horizontal", [lambda a: a[:, ::-1]]),
                                         ("vertical", [lambda a: a[::-1]]),
                                         ("horizontal_and_vertical", [lambda a: a[:, ::-1], lambda a: a[::-1]])])
def test_random_flip_mirrors_each_image_or_leaves_it_by_hand(mode, flips):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3, 4, 2)).astype(np.float32)
    layer = RandomFlip(mode, seed=3)
    y = layer(x, training=True)
    # every image is one of the flips the mode allows (composed), and each one happens to about half
    candidates = [lambda a: a] + flips + ([lambda a: a[::-1, ::-1]] if len(flips) == 2 else [])
    kinds = [next(k for k, f in enumerate(candidates) if np.array_equal(y[i], f(x[i]))) for i in range(len(x))]
    counts = np.bincount(kinds, minlength=len(candidates))
    assert all(counts > 64 / len(candidates) / 3), counts
    # backward sends each image's gradient back through the same flip
    dy = rng.normal(size=x.shape).astype(np.float32)
    assert np.sum(y * dy) == pytest.approx(np.sum(x * layer.backward(dy)), rel=1e-5)
    np.testing.assert_array_equal(RandomFlip(mode, seed=3)(x, training=True), y)      # the seed repeats them


def test_random_flip_on_grey_images_and_what_it_refuses():
    x = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    layer = RandomFlip("horizontal", seed=0)
    y = layer(x, training=True)
    assert all(np.array_equal(y[i], x[i]) or np.array_equal(y[i], x[i, :, ::-1]) for i in range(2))
    assert RandomFlip.from_config(RandomFlip("vertical", seed=4).get_config()).get_config()["mode"] == "vertical"
    with pytest.raises(ValueError, match="RandomFlip: mode must be one of horizontal, vertical, "
                                         "horizontal_and_vertical, got 'diagonal'"):
        RandomFlip("diagonal")
    with pytest.raises(ShapeError, match=r"RandomFlip\) needs images"):
        RandomFlip()(np.ones((2, 5)), training=True)


def test_backward_is_the_transpose_of_the_resampling():
    rng = np.random.default_rng(0)
    theta = np.array([0.3, -0.7])
    matrices = np.stack([[[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]] for t in theta])
    rows, cols = affine_points(matrices * 1.2, rng.normal(size=(2, 2)), 5, 6)
    for mode in ("reflect", "wrap", "constant", "nearest"):
        resample = Resampler(rows, cols, 5, 6, mode)
        x, dy = rng.normal(size=(2, 5, 6, 3)), rng.normal(size=(2, 5, 6, 3))
        # <S x, dy> == <x, S.T dy> for every x and dy: the definition of the transpose.
        assert np.sum(resample(x) * dy) == pytest.approx(np.sum(x * resample.transpose(dy)), rel=1e-12)


def test_bad_factors_say_what_they_got():
    with pytest.raises(ValueError, match=r"RandomRotation: factor must lie in \[-1, 1\]"):
        RandomRotation((0.5, 2.0))
    with pytest.raises(ValueError, match="fill_mode must be one of reflect, wrap, constant, nearest"):
        RandomZoom(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="only data_format='channels_last' is supported"):
        RandomTranslation(0.1, 0.1, data_format="channels_first")


def test_a_factor_pair_is_a_range_in_either_order_as_keras_sorts_it():
    """TensorFlow's data augmentation tutorial: ``RandomZoom(height_factor=(-0.2, -0.3))``."""
    zoom = RandomZoom(height_factor=(-0.2, -0.3))
    assert zoom.height_range == (-0.3, -0.2) and zoom.get_config()["height_factor"] == (-0.2, -0.3)
    assert RandomRotation((0.1, -0.1)).lower == -0.1
    assert RandomTranslation((0.2, 0.1), 0.1).height_range == (0.1, 0.2)
    image = np.random.default_rng(0).uniform(size=(1, 16, 16, 3)).astype(np.float32)
    assert zoom(image, training=True).shape == (1, 16, 16, 3)


def test_a_model_trains_through_them_and_predicts_without_them():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(32, 8, 8, 1)).astype(np.float32)
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype(int)
    model = Sequential([Rescaling(2.0, offset=-1.0, input_shape=(8, 8, 1)), RandomRotation(0.02),
                        RandomZoom(0.05), Flatten(), Dense(2, activation="softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    np.testing.assert_array_equal(model.predict(x), model.predict(x))     # no randomness in inference
