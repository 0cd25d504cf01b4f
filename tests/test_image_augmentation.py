"""Keras 3's image-augmentation layers: deterministic ones equal Keras's outputs, random ones
keep their statistics and invariants; calls, configs, files and errors as Keras's."""

import numpy as np
import pytest

import glassnet
from glassnet import layers

rng = np.random.default_rng(0)
RGB = (rng.random((4, 9, 7, 3)) * 255).astype(np.float32)
GREY = (rng.random((4, 9, 7, 1)) * 255).astype(np.float32)

# (layer, arguments, training): settings whose output has no randomness left
DETERMINISTIC = [
    ("AutoContrast", {}, False), ("AutoContrast", {"value_range": (0, 1)}, False),
    ("Equalization", {}, True), ("Equalization", {"bins": 64}, True),
    ("Solarization", {}, True), ("Solarization", {"value_range": (0, 1)}, True),
    ("RandomPosterization", {"factor": (3, 3)}, True), ("RandomInvert", {"factor": (1, 1)}, True),
    ("RandomGrayscale", {"factor": 1.0}, True), ("RandomColorDegeneration", {"factor": (0.3, 0.3)}, True),
    ("RandomSharpness", {"factor": (0.2, 0.2)}, True),
    ("RandomGaussianBlur", {"factor": (1, 1), "sigma": (0.7, 0.7), "kernel_size": 5}, True),
]
RGB_ONLY = [("RandomSaturation", {"factor": (0.3, 0.3)}, True), ("RandomSaturation", {"factor": (0.8, 0.8)}, True),
            ("RandomSaturation", {"factor": (0.8, 0.8), "value_range": (0, 1)}, True)]


def scaled(images, arguments):
    return images / 255 if arguments.get("value_range") == (0, 1) else images


@pytest.mark.parametrize("name, arguments, training, images", [
    case + (images,) for case in DETERMINISTIC for images in (RGB, GREY)] + [case + (RGB,) for case in RGB_ONLY])
def test_deterministic_settings_equal_keras(name, arguments, training, images):
    keras = pytest.importorskip("keras")
    x = scaled(images, arguments)
    expected = np.asarray(getattr(keras.layers, name)(**arguments)(x, training=training))
    np.testing.assert_allclose(getattr(layers, name)(**arguments)(x, training=training), expected,
                               rtol=1e-5, atol=1e-4 * x.max())


def test_perspective_reads_where_keras_perspective_transform_reads():
    keras = pytest.importorskip("keras")
    from glassnet.datasets.augment import Resampler
    from glassnet.engine.layers.image_warps import homographies, projective_points
    height, width = 9, 7
    corners = np.array([[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]], float)[None].repeat(4, 0)
    moved = corners + corners * rng.uniform(-0.3, 0.3, (4, 4, 2))
    expected = np.asarray(keras.ops.image.perspective_transform(RGB, corners, moved, fill_value=3.0))
    rows, cols = projective_points(homographies(moved, corners), height, width)
    np.testing.assert_allclose(Resampler(rows, cols, height, width, "constant")(RGB.astype(float), 3.0),
                               expected, atol=1e-3)


@pytest.mark.parametrize("value_range", [(0, 255), (0, 1)])
def test_each_hue_turn_is_keras_hsv_round_trip_one_way_or_the_other(value_range):
    keras = pytest.importorskip("keras")
    x = scaled(RGB, {"value_range": value_range})
    y = np.asarray(layers.RandomHue((0.4, 0.4), value_range=value_range, seed=0)(x))
    hsv = np.asarray(keras.ops.image.rgb_to_hsv(x / value_range[1]))
    turned = [np.clip(np.asarray(keras.ops.image.hsv_to_rgb(np.stack([(hsv[..., 0] + d) % 1, hsv[..., 1], hsv[..., 2]],
                                                                      -1))), 0, 1) * value_range[1]
              for d in (0.2, -0.2)]
    closest = [min(np.abs(y[i] - t[i]).max() for t in turned) for i in range(len(x))]
    assert max(closest) < 1e-4 * value_range[1]
    with pytest.raises(ValueError, match=r"RandomHue needs RGB images \(3 channels\)"):
        layers.RandomHue(0.2)(GREY)


def test_deterministic_formulas_by_hand():
    x = np.array([[10.0, 60.0], [110.0, 210.0]])[None, :, :, None]          # one 2x2 grey image
    np.testing.assert_allclose(layers.AutoContrast()(x), (x - 10) * 255 / 200)
    np.testing.assert_array_equal(layers.RandomInvert(factor=(1, 1))(x), 255 - x)
    np.testing.assert_array_equal(layers.Solarization()(x), 255 - x)
    np.testing.assert_array_equal(layers.RandomPosterization((2, 2))(x), (x // 64) * 64)   # the two top bits
    flat = np.full((1, 3, 3, 1), 7.0)
    np.testing.assert_array_equal(layers.AutoContrast()(flat), flat)        # nothing to stretch
    np.testing.assert_array_equal(layers.Equalization()(flat), flat)


RANDOM = {"RandomInvert": {}, "Solarization": {"addition_factor": 0.2, "threshold_factor": 0.5},
          "RandomGrayscale": {}, "RandomColorDegeneration": {"factor": 0.5}, "RandomPosterization": {"factor": 5},
          "Equalization": {}, "RandomSharpness": {"factor": 0.9}, "RandomGaussianBlur": {},
          "RandomErasing": {}, "RandomShear": {"x_factor": 0.3, "y_factor": 0.3}, "RandomPerspective": {},
          "RandomElasticTransform": {}, "MixUp": {}, "CutMix": {}, "RandAugment": {"num_ops": 3},
          "AutoContrast": {}, "RandomSaturation": {"factor": 0.5}, "RandomHue": {"factor": 0.5},
          "RandomColorJitter": {"brightness_factor": 0.1, "contrast_factor": 0.2, "saturation_factor": 0.4,
                                "hue_factor": 0.2},
          "AugMix": {"num_chains": 2}}
HSV = ("RandomSaturation", "RandomHue", "RandomColorJitter")


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_called_alone_they_augment_a_batch_or_one_image_repeatably_and_within_range(name):
    arguments = dict(RANDOM[name])
    if "value_range" in glassnet.layers.__dict__[name].__init__.__code__.co_varnames:
        arguments["value_range"] = (0, 1)
    x = RGB / 255
    layer = getattr(layers, name)(seed=3, **arguments) if name not in ("AutoContrast", "Equalization") \
        else getattr(layers, name)(**arguments)
    y = np.asarray(layer(x))                       # Keras: called alone, a layer augments
    assert y.shape == x.shape and y.dtype == np.float32
    assert not np.allclose(y, x)
    if "value_range" in arguments or name in ("MixUp", "CutMix", "RandomGrayscale"):
        assert -1e-6 <= y.min() and y.max() <= 1 + 1e-6
    if name not in ("AutoContrast", "Equalization"):
        np.testing.assert_array_equal(getattr(layers, name)(seed=3, **arguments)(x), y)      # the seed repeats
    one = np.asarray(layer(x[0]))                  # one (H, W, C) image, as Keras takes it
    assert one.shape == x[0].shape
    if name not in HSV:
        assert np.asarray(layer(x[:, :, :, :1])).shape == (4, 9, 7, 1)     # grey images too


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_in_a_model_they_act_in_fit_and_let_predict_through(name):
    arguments = dict(RANDOM[name])
    model = glassnet.Sequential([glassnet.Input((9, 7, 3)), getattr(layers, name)(**arguments), layers.Flatten(),
                                 layers.Dense(2)], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(RGB, np.array([0, 1, 0, 1]), epochs=1, verbose=0)
    inner = model.layers[0]
    if name == "AutoContrast":                     # Keras applies it in inference too
        np.testing.assert_allclose(inner(RGB, training=False), layers.AutoContrast()(RGB), rtol=1e-6)
    else:
        np.testing.assert_array_equal(inner(RGB, training=False), RGB)


def test_random_erasing_erases_the_fraction_asked():
    x = np.ones((200, 40, 40, 1), np.float32)
    y = np.asarray(layers.RandomErasing(factor=(1, 1), scale=(0.25, 0.25), fill_value=0, seed=0)(x))
    erased = (y == 0).mean(axis=(1, 2, 3))
    assert np.all(np.abs(erased - 0.25) <= 0.06)           # a 20x20 box, give or take a row and a column
    rows, cols = (y[..., 0] == 0).any(axis=2), (y[..., 0] == 0).any(axis=1)
    np.testing.assert_array_equal(rows.sum(1) * cols.sum(1), (y == 0).sum(axis=(1, 2, 3)))   # a rectangle
    half = np.asarray(layers.RandomErasing(factor=(0.5, 0.5), seed=0)(x))
    assert 0.35 < (half != 1).any(axis=(1, 2, 3)).mean() < 0.65    # factor: the chance an image is erased


def test_random_shear_of_zero_is_the_identity_and_an_x_shear_keeps_the_top_row():
    np.testing.assert_allclose(layers.RandomShear()(RGB), RGB, atol=1e-4)
    y = np.asarray(layers.RandomShear(x_factor=0.4, seed=1)(RGB))
    np.testing.assert_allclose(y[:, 0], RGB[:, 0], atol=1e-4)          # (x + s * 0, 0): row 0 reads itself
    assert not np.allclose(y[:, -1], RGB[:, -1])


def test_mixup_gives_convex_combinations_of_two_images_with_the_matching_labels():
    images, labels = rng.random((6, 5, 5, 1)), np.eye(6)              # image i is class i
    out = layers.MixUp(alpha=0.5, seed=0)({"images": images, "labels": labels})
    y, mixed = np.asarray(out["images"]), np.asarray(out["labels"])
    np.testing.assert_allclose(mixed.sum(axis=1), 1)
    for i in range(6):
        partners = [j for j in range(6) if j != i and mixed[i, j] > 0]
        if not partners:                      # mixed with itself
            np.testing.assert_allclose(y[i], images[i], rtol=1e-6)
            continue
        (j,), weight = partners, mixed[i, i]
        np.testing.assert_allclose(y[i], weight * images[i] + (1 - weight) * images[j], rtol=1e-5)


def test_cutmix_pastes_a_box_of_another_image_and_mixes_the_labels_by_area():
    images = np.arange(8, dtype=float)[:, None, None, None] * np.ones((8, 16, 16, 1))   # image i is all i
    out = layers.CutMix(seed=2)({"images": images, "labels": np.eye(8)})
    y, mixed = np.asarray(out["images"]), np.asarray(out["labels"])
    np.testing.assert_allclose(mixed.sum(axis=1), 1)
    for i in range(8):
        kept = (y[i] == i).mean()
        assert abs(mixed[i, i] - kept) <= 2 * 16 / 256 + 1e-9 or mixed[i, i] == 1   # by area, within a row
        others = set(np.unique(y[i])) - {i}
        assert len(others) <= 1                                      # one partner
    assert np.asarray(layers.CutMix(seed=2)(images[0])).shape == (16, 16, 1)


def test_rand_augment_and_pipeline_run_their_layers_and_save(tmp_path):
    pipeline = layers.Pipeline([layers.RandomInvert(factor=(1, 1)), layers.AutoContrast()])
    np.testing.assert_allclose(pipeline(RGB), layers.AutoContrast()(255 - RGB), rtol=1e-5)
    model = glassnet.Sequential([glassnet.Input((9, 7, 3)), layers.RandAugment(num_ops=2, seed=1), pipeline,
                                 layers.Flatten(), layers.Dense(2)], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(RGB, np.array([0, 1, 0, 1]), epochs=1, verbose=0)
    for path in (tmp_path / "m.keras", tmp_path / "m.npz"):
        model.save(path)
        loaded = glassnet.models.load_model(path)
        assert [type(layer).__name__ for layer in loaded.layers[1].layers] == ["RandomInvert", "AutoContrast"]
        assert loaded.layers[0].get_config()["num_ops"] == 2
        np.testing.assert_allclose(loaded.predict(RGB, verbose=0), model.predict(RGB, verbose=0), rtol=1e-5)


@pytest.mark.parametrize("name", sorted(RANDOM) + ["Pipeline"])
def test_config_keys_are_keras_3s(name):
    keras = pytest.importorskip("keras")
    arguments = {"layers": []} if name == "Pipeline" else RANDOM[name]
    ours = set(getattr(layers, name)(**arguments).get_config()) - {"input_shape"}
    assert ours == set(getattr(keras.layers, name)(**arguments).get_config())


def test_keras_files_both_ways(tmp_path):
    keras = pytest.importorskip("keras")
    made = [layers.RandomShear(x_factor=0.2, seed=1), layers.RandomErasing(scale=(0.1, 0.2)),
            layers.RandomGaussianBlur(sigma=0.5), layers.Solarization(threshold_factor=0.4),
            layers.RandomElasticTransform(scale=0.5), layers.RandomPerspective(scale=0.3),
            layers.RandAugment(num_ops=3), layers.AutoContrast(),     # (Keras 3.15 can't put Equalization in a model)
            layers.RandomColorJitter(brightness_factor=0.1, hue_factor=(0.1, 0.2)), layers.RandomSaturation(0.3),
            layers.AugMix(chain_depth=2, all_ops=False),
            layers.Pipeline([layers.RandomInvert(), layers.RandomGrayscale(0.2)])]
    model = glassnet.Sequential([glassnet.Input((9, 7, 3)), *made, layers.Flatten(), layers.Dense(2)], seed=0)
    model.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    for ours, their in zip(made, theirs.layers):
        assert type(their).__name__ == type(ours).__name__
        if type(ours).__name__ != "Pipeline":
            expected = {k: v for k, v in ours.get_config().items() if k not in ("name", "dtype", "input_shape")}
            got = {k: their.get_config()[k] for k in expected}
            assert repr(got).replace("(", "[").replace(")", "]") == repr(expected).replace("(", "[").replace(")", "]")
    np.testing.assert_allclose(theirs.predict(RGB, verbose=0), model.predict(RGB, verbose=0), rtol=1e-4, atol=1e-4)
    theirs.save(tmp_path / "theirs.keras")
    again = glassnet.models.load_model(tmp_path / "theirs.keras")
    assert [type(layer).__name__ for layer in again.layers] == [type(layer).__name__ for layer in model.layers]
    assert again.layers[-3].layers[1].factor == 0.2 and again.layers[0].x_factor == (-0.2, 0.2)


@pytest.mark.parametrize("make, message", [
    (lambda: layers.RandomInvert(factor=2), r"RandomInvert: factor must be a number or a pair of numbers in \[0, 1\]"),
    (lambda: layers.RandomShear(x_factor=1.5), "RandomShear: x_factor must be"),
    (lambda: layers.RandomGaussianBlur(kernel_size=4), "kernel_size must be an odd number"),
    (lambda: layers.RandomErasing(fill_value="grey"), "fill_value must be None, a number or three numbers"),
    (lambda: layers.RandomPerspective(scale=2), r"scale must be a number in \[0, 1\]"),
    (lambda: layers.MixUp(alpha=0), "alpha must be a number > 0"),
    (lambda: layers.AugMix(num_chains=0), "AugMix: num_chains must be a whole number >= 1"),
    (lambda: layers.RandAugment(num_ops=1.5), "RandAugment: num_ops must be a whole number >= 0"),
    (lambda: layers.RandomPosterization(9), "RandomPosterization: factor"),
    (lambda: layers.Equalization(bins=1), "bins must be a whole number >= 2"),
    (lambda: layers.AutoContrast(value_range=5), r"value_range must be \(low, high\)"),
    (lambda: layers.RandomGrayscale(data_format="channels_first"), "only data_format='channels_last'"),
    (lambda: layers.MixUp()({"labels": np.eye(2)}), "a dict input needs an 'images' key"),
])
def test_impossible_settings_are_one_line_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_training_only_ones_export_to_onnx_as_the_identity(tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from glassnet.errors import ExportError
    from glassnet.interop.onnx_export import largest_difference
    model = glassnet.Sequential([glassnet.Input((9, 7, 3)), layers.RandAugment(), layers.RandomShear(0.2),
                                 layers.RandomErasing(), layers.MixUp(), layers.Flatten(), layers.Dense(2)], seed=0)
    model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    assert largest_difference(model, tmp_path / "m.onnx", RGB) < 1e-5
    acting = glassnet.Sequential([glassnet.Input((9, 7, 3)), layers.AutoContrast(), layers.Flatten(), layers.Dense(2)])
    with pytest.raises(ExportError, match=r"\(AutoContrast\) has no ONNX translation"):
        acting.export(tmp_path / "a.onnx", format="onnx", verbose=False)


def test_a_pipeline_takes_dicts_and_single_images_and_mixup_leaves_one_images_labels():
    pipeline = layers.Pipeline([layers.RandomInvert(factor=(1, 1)), layers.MixUp(seed=0)])
    out = pipeline({"images": RGB, "labels": np.eye(4)})
    np.testing.assert_allclose(np.asarray(out["labels"]).sum(axis=1), 1)
    one = pipeline({"images": RGB[0], "labels": np.eye(4)[1]})
    np.testing.assert_allclose(one["images"], 255 - RGB[0], rtol=1e-6)
    np.testing.assert_array_equal(one["labels"], np.eye(4)[1])
    np.testing.assert_allclose(layers.Pipeline([layers.RandomInvert(factor=(1, 1))])(RGB[0]), 255 - RGB[0])
