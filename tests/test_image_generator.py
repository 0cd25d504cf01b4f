"""Keras's ImageDataGenerator and image-file helpers (glassnet.preprocessing.image).

Transforms are checked on hand-worked cases (a bright pixel moved, an image turned a
quarter, mirrored), then against Keras's own ImageDataGenerator where TensorFlow is installed.
"""

import warnings

import numpy as np
import pytest

import glassnet
from glassnet import layers
from glassnet.errors import DataError, ImageError, ShapeError
from glassnet.preprocessing.image import (ImageDataGenerator, NumpyArrayIterator, array_to_img,
                                          img_to_array, load_img, save_img)


def dot(height=7, width=7, row=3, col=3):
    """An image ``(H, W, 1)``, black but for one white pixel."""
    x = np.zeros((height, width, 1), np.float32)
    x[row, col] = 1
    return x


def where(image):
    return tuple(int(i) for i in np.argwhere(image[..., 0] > 0.5)[0])


# -- transforms, by hand ---------------------------------------------------------------------

def test_a_shift_of_two_pixels_moves_a_bright_pixel_by_two():
    datagen = ImageDataGenerator(fill_mode="constant")
    # Keras's convention: the output reads the input at point + shift, so the picture moves
    # against the shift.
    assert where(datagen.apply_transform(dot(), {"tx": 2})) == (3, 1)
    assert where(datagen.apply_transform(dot(), {"ty": -2})) == (5, 3)


def test_height_shift_moves_down_and_width_shift_moves_across():
    """Keras swaps them (keras-team/keras#17398); glassnet does what the names say."""
    for name, axis in (("height_shift_range", 0), ("width_shift_range", 1)):
        datagen = ImageDataGenerator(fill_mode="constant", **{name: [2]})     # exactly 2 pixels
        rows_cols = {where(datagen.random_transform(dot(), seed=s)) for s in range(10)}
        moved = {(r - 3, c - 3) for r, c in rows_cols}
        assert moved == {tuple(d if i == axis else 0 for i in range(2)) for d in (-2, 2)}


def test_a_quarter_turn_is_numpys_rot90():
    x = np.arange(25, dtype=np.float32).reshape(5, 5, 1)
    turned = ImageDataGenerator().apply_transform(x, {"theta": 90})
    np.testing.assert_allclose(turned[..., 0], np.rot90(x[..., 0]), atol=1e-4)


def test_a_rotation_range_with_a_seed_is_repeatable_and_stays_in_range():
    datagen = ImageDataGenerator(rotation_range=90)
    x = np.random.default_rng(0).random((9, 9, 1)).astype(np.float32)
    np.testing.assert_array_equal(datagen.random_transform(x, seed=3), datagen.random_transform(x, seed=3))
    thetas = [datagen.get_random_transform((9, 9, 1), seed=s)["theta"] for s in range(50)]
    assert all(-90 <= t <= 90 for t in thetas) and max(thetas) > 45 and min(thetas) < -45


def test_horizontal_and_vertical_flips_mirror():
    x = np.arange(12, dtype=np.float32).reshape(3, 4, 1)
    datagen = ImageDataGenerator()
    np.testing.assert_array_equal(datagen.apply_transform(x, {"flip_horizontal": True}), x[:, ::-1])
    np.testing.assert_array_equal(datagen.apply_transform(x, {"flip_vertical": True}), x[::-1])
    flips = ImageDataGenerator(horizontal_flip=True)
    outputs = [flips.random_transform(x, seed=s) for s in range(20)]
    assert any(np.array_equal(o, x) for o in outputs) and any(np.array_equal(o, x[:, ::-1]) for o in outputs)


def test_zoom_above_one_shrinks_the_picture_and_fill_modes_fill_the_border():
    x = np.ones((8, 8, 1), np.float32)
    zoomed_out = ImageDataGenerator(fill_mode="constant", cval=0.0).apply_transform(x, {"zx": 2, "zy": 2})
    assert zoomed_out[0, 0, 0] == 0 and zoomed_out[4, 4, 0] == 1
    nearest = ImageDataGenerator().apply_transform(x, {"zx": 2, "zy": 2})          # "nearest"
    np.testing.assert_array_equal(nearest, x)
    filled = ImageDataGenerator(fill_mode="constant", cval=0.5).apply_transform(x, {"tx": 8})
    np.testing.assert_array_equal(filled, np.full_like(x, 0.5))


def test_a_zoom_range_pair_and_integer_shifts_are_drawn_as_keras_draws_them():
    datagen = ImageDataGenerator(zoom_range=[0.5, 0.6], width_shift_range=3, height_shift_range=2.5)
    for seed in range(30):
        p = datagen.get_random_transform((10, 10, 1), seed=seed)
        assert 0.5 <= p["zx"] <= 0.6 and 0.5 <= p["zy"] <= 0.6
        assert p["tx"] in (-2, -1, 0, 1, 2)              # int k: 0..k-1 pixels, either way
        assert -2.5 <= p["ty"] <= 2.5                    # a float >= 1: pixels


def test_featurewise_statistics_are_the_datas_mean_and_std_per_channel():
    x = np.random.default_rng(1).random((20, 5, 5, 3)).astype(np.float32) * 255
    datagen = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True, rescale=1 / 255)
    datagen.fit(x)
    scaled = x / 255
    np.testing.assert_allclose(datagen.mean.ravel(), scaled.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(datagen.std.ravel(), scaled.std(axis=(0, 1, 2)), rtol=1e-4)
    out = datagen.standardize(x.copy())
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-4)


def test_samplewise_standardization_is_per_image_and_preprocessing_function_runs_per_image():
    x = np.random.default_rng(2).random((4, 6, 6, 1)).astype(np.float32) * [[[[1]]], [[[5]]], [[[9]]], [[[2]]]]
    seen = []
    datagen = ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True,
                                 preprocessing_function=lambda im: seen.append(im.shape) or im)
    batch = next(datagen.flow(x, shuffle=False, batch_size=4))
    np.testing.assert_allclose(batch.mean(axis=(1, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(batch.std(axis=(1, 2, 3)), 1, atol=1e-4)
    assert seen == [(6, 6, 1)] * 4


# -- flow --------------------------------------------------------------------------------------

def numbered(n=10, side=4):
    """``n`` images, image ``i`` filled with ``i``, and labels ``i``."""
    x = np.broadcast_to(np.arange(n, dtype=np.float32)[:, None, None, None], (n, side, side, 1)).copy()
    return x, np.arange(n)


def test_flow_has_ceil_n_over_batch_size_batches_and_indexes_them():
    x, y = numbered(10)
    it = ImageDataGenerator().flow(x, y, batch_size=4, shuffle=False)
    assert isinstance(it, NumpyArrayIterator) and isinstance(it, glassnet.utils.PyDataset)
    assert len(it) == 3
    sizes = [len(it[i][0]) for i in range(3)]
    assert sizes == [4, 4, 2]
    bx, by = it[2]
    np.testing.assert_array_equal(by, [8, 9])
    np.testing.assert_array_equal(bx[:, 0, 0, 0], by)          # images stay with their labels
    with pytest.raises(IndexError):
        it[3]


def test_next_goes_round_forever_reshuffling_each_pass():
    x, y = numbered(10)
    it = ImageDataGenerator().flow(x, y, batch_size=4, seed=0)
    passes = []
    for _ in range(3):
        labels = np.concatenate([next(it)[1] for _ in range(3)])
        assert sorted(labels) == list(range(10))               # each pass sees every image once
        passes.append(tuple(labels))
    assert len(set(passes)) == 3 and passes[0] != tuple(range(10))


def test_flow_without_y_gives_images_and_with_sample_weight_three_parts():
    x, y = numbered(6)
    assert isinstance(ImageDataGenerator().flow(x, batch_size=3)[0], np.ndarray)
    bx, by, bw = ImageDataGenerator().flow(x, y, sample_weight=y * 2.0, batch_size=3)[0]
    np.testing.assert_array_equal(bw, by * 2.0)


def test_flow_with_a_seed_is_repeatable_and_on_epoch_end_reshuffles():
    x, y = numbered(20)
    datagen = ImageDataGenerator(rotation_range=20)
    a, b = datagen.flow(x, y, batch_size=5, seed=7), datagen.flow(x, y, batch_size=5, seed=7)
    np.testing.assert_array_equal(a[0][0], b[0][0])
    first = a[0][1].copy()
    a.on_epoch_end()
    assert not np.array_equal(a[0][1], first) or not np.array_equal(a[1][1], b[1][1])


def test_model_fit_trains_on_flow_with_steps_per_epoch():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 160)
    x = np.zeros((160, 8, 8, 1), np.float32)
    x[y == 0, 2:6, 3:5] = 1          # a vertical bar
    x[y == 1, 3:5, 2:6] = 1          # a horizontal bar
    model = glassnet.Sequential([layers.Input((8, 8, 1)), layers.Flatten(), layers.Dense(16, activation="relu"),
                                 layers.Dense(2, activation="softmax")], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    datagen = ImageDataGenerator(rotation_range=5, width_shift_range=0.1, height_shift_range=0.1)
    history = model.fit(datagen.flow(x, y, batch_size=16, seed=0), steps_per_epoch=160 // 16, epochs=2,
                        validation_data=(x, y), verbose=0)
    assert model.optimizer.iterations == 20
    assert history.history["loss"][1] < history.history["loss"][0]
    assert len(history.history["val_loss"]) == 2


# -- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("setting", [{"zca_whitening": True}, {"brightness_range": [0.5, 1.5]},
                                     {"channel_shift_range": 10.0}, {"interpolation_order": 3}])
def test_unsupported_settings_are_one_error_naming_them(setting):
    name = next(iter(setting))
    with pytest.raises(ValueError, match=f"{name}=.*not supported"):
        ImageDataGenerator(**setting)


def test_validation_split_gives_keras_subsets_the_first_part_validation():
    """Kaggle's ImageDataGenerator(validation_split=0.2) with flow(..., subset=...)."""
    x, y = numbered(10)
    y = np.arange(10) % 2
    generator = ImageDataGenerator(validation_split=0.2)
    validation = generator.flow(x, y, batch_size=10, shuffle=False, subset="validation")
    training = generator.flow(x, y, batch_size=10, shuffle=False, subset="training")
    assert (validation.n, training.n) == (2, 8)
    np.testing.assert_array_equal(validation[0][0], x[:2])              # the first ones, as in Keras
    np.testing.assert_array_equal(training[0][1], y[2:])
    with pytest.raises(DataError, match="different classes after the split"):
        generator.flow(x, np.repeat([0, 1], 5) * (np.arange(10) >= 2), subset="training")
    assert generator.flow(x, np.arange(10) >= 2, subset="training", ignore_class_split=True).n == 8
    with pytest.raises(ValueError, match="needs ImageDataGenerator\\(validation_split"):
        ImageDataGenerator().flow(x, y, subset="training")
    with pytest.raises(ValueError, match="subset must be 'training' or 'validation'"):
        generator.flow(x, y, subset="test")


def test_other_bad_settings_and_inputs_are_clear_errors():
    with pytest.raises(ValueError, match="channels_first"):
        ImageDataGenerator(data_format="channels_first")
    with pytest.raises(ValueError, match="fill_mode"):
        ImageDataGenerator(fill_mode="mirror")
    with pytest.raises(ValueError, match="zoom_range"):
        ImageDataGenerator(zoom_range=[1, 2, 3])
    x, y = numbered(6)
    with pytest.raises(ValueError, match="save_to_dir"):
        ImageDataGenerator().flow(x, y, save_to_dir="/tmp")
    with pytest.raises(ShapeError, match=r"reshape\(-1, 4, 4, 1\)"):
        ImageDataGenerator().flow(x[..., 0], y)
    with pytest.raises(ShapeError, match="6 images but y has 5"):
        ImageDataGenerator().flow(x, y[:5])
    with pytest.raises(NotImplementedError, match="flow_from_dataframe"):
        ImageDataGenerator().flow_from_dataframe(None)


def test_featurewise_without_fit_is_an_error_not_a_silent_no_op():
    x, y = numbered(6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        datagen = ImageDataGenerator(featurewise_std_normalization=True)
    with pytest.raises(DataError, match=r"featurewise_center and featurewise_std_normalization.*fit"):
        datagen.flow(x, y)
    with pytest.raises(DataError, match="fit"):
        datagen.standardize(x.copy())


# -- image files -------------------------------------------------------------------------------

def test_load_img_and_img_to_array_in_grayscale_and_rgb(tmp_path):
    from PIL import Image

    pixels = np.zeros((40, 30, 3), np.uint8)
    pixels[:, :15] = [255, 0, 0]                 # left half red
    path = tmp_path / "digit.png"
    Image.fromarray(pixels).save(path)
    rgb = load_img(path)
    assert rgb.mode == "RGB" and rgb.size == (30, 40)
    x = img_to_array(rgb)
    assert x.dtype == np.float32 and x.shape == (40, 30, 3) and x[0, 0].tolist() == [255, 0, 0]
    gray = img_to_array(load_img(str(path), color_mode="grayscale", target_size=(28, 28)))
    assert gray.shape == (28, 28, 1)
    assert gray[0, 0, 0] == 76 and gray[0, -1, 0] == 0          # Pillow's luma of pure red
    assert glassnet.utils.load_img is load_img and glassnet.keras.utils.img_to_array is img_to_array
    cropped = load_img(path, target_size=(10, 10), keep_aspect_ratio=True)
    assert cropped.size == (10, 10)


def test_array_to_img_and_save_img_round_trip(tmp_path):
    x = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8, 1)
    image = array_to_img(x)                          # stretched to 0..255
    assert image.mode == "L" and np.asarray(image).max() == 255
    save_img(tmp_path / "out.png", x * 255, scale=False)
    back = img_to_array(load_img(tmp_path / "out.png", color_mode="grayscale"))
    np.testing.assert_array_equal(back, (x * 255).astype(np.uint8))
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_a_missing_or_unreadable_file_is_one_image_error_naming_it(tmp_path):
    with pytest.raises(ImageError, match="nothing.png: no such file"):
        load_img(tmp_path / "nothing.png")
    junk = tmp_path / "junk.png"
    junk.write_text("not a picture")
    with pytest.raises(ImageError, match="junk.png: not an image"):
        load_img(junk)
    with pytest.raises(ValueError, match="color_mode"):
        load_img(junk, color_mode="cmyk")


# -- against Keras -----------------------------------------------------------------------------

def keras_generator():
    pytest.importorskip("tensorflow", reason="TensorFlow (for tf.keras's ImageDataGenerator) is not installed")
    from tensorflow.keras.preprocessing.image import ImageDataGenerator as KerasImageDataGenerator
    return KerasImageDataGenerator


# Keras's legacy code calls scipy.ndimage.interpolation.affine_transform (a deprecated name).
keras_quietly = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@keras_quietly
@pytest.mark.parametrize("fill_mode", ["nearest", "constant", "reflect", "wrap"])
def test_apply_transform_equals_keras(fill_mode):
    KerasImageDataGenerator = keras_generator()
    rng = np.random.default_rng(0)
    x = rng.random((12, 12, 3)).astype(np.float32)
    ours = ImageDataGenerator(fill_mode=fill_mode, cval=0.3)
    theirs = KerasImageDataGenerator(fill_mode=fill_mode, cval=0.3)
    for trial in range(10):
        params = {"theta": rng.uniform(-40, 40), "tx": rng.uniform(-3, 3), "ty": rng.uniform(-3, 3),
                  "shear": rng.uniform(-20, 20), "zx": rng.uniform(0.8, 1.2), "zy": rng.uniform(0.8, 1.2),
                  "flip_horizontal": trial % 2 == 1, "flip_vertical": trial % 3 == 0}
        np.testing.assert_allclose(ours.apply_transform(x, params), theirs.apply_transform(x, params), atol=1e-5)


@keras_quietly
def test_fit_and_standardize_equal_keras():
    KerasImageDataGenerator = keras_generator()
    x = np.random.default_rng(3).random((30, 6, 6, 3)).astype(np.float32) * 255
    settings = {"featurewise_center": True, "featurewise_std_normalization": True, "rescale": 1 / 255,
                "samplewise_center": True}
    ours, theirs = ImageDataGenerator(**settings), KerasImageDataGenerator(**settings)
    ours.fit(x)
    theirs.fit(x)
    np.testing.assert_allclose(ours.mean, theirs.mean, rtol=1e-5)
    np.testing.assert_allclose(ours.std, theirs.std, rtol=1e-5)
    np.testing.assert_allclose(ours.standardize(x[0].copy()), theirs.standardize(x[0].copy()),
                               rtol=1e-4, atol=1e-5)
