"""ImageDataGenerator.flow_from_directory: a folder of images, one subfolder per class, read
into augmented batches for fit, with Keras's attributes, order, split and labels; checked
against Keras's own DirectoryIterator where Keras is installed."""

import os

import numpy as np
import pytest
from PIL import Image

import glassnet as keras
from glassnet import layers
from glassnet.errors import DataError
from glassnet.preprocessing.image import ImageDataGenerator


def make_folder(root, counts={"cats": 5, "dogs": 4}, size=(6, 4)):
    """Class subfolders of small grey PNGs, ``size`` = (width, height); image k of the class
    numbered c (alphabetically) has every pixel 10*c + k, so a batch tells which files it holds."""
    for c, (name, count) in enumerate(sorted(counts.items())):
        (root / name).mkdir(parents=True)
        for k in range(count):
            Image.fromarray(np.full(size[::-1], 10 * c + k, np.uint8)).save(root / name / f"{k}.png")
    return root


def pixel_ids(x):
    """Which image each of a batch is (its top-left pixel, 10 * class + number)."""
    return x[:, 0, 0, 0].round().astype(int).tolist()


def flow(root, datagen=None, **options):
    options = {"target_size": (4, 6), "color_mode": "grayscale", "shuffle": False, **options}
    return (datagen or ImageDataGenerator()).flow_from_directory(root, **options)


def test_classes_files_and_counts_as_keras_lists_them(tmp_path, capsys):
    root = make_folder(tmp_path / "train")
    (root / "cats" / "notes.txt").write_text("not an image")          # skipped: not a picture suffix
    Image.fromarray(np.full((4, 6), 9, np.uint8)).save(root / "cats" / "Z.PNG")     # any case
    (root / "dogs" / "more").mkdir()
    Image.fromarray(np.full((4, 6), 19, np.uint8)).save(root / "dogs" / "more" / "a.bmp")
    it = flow(root, batch_size=4)
    assert "Found 11 images belonging to 2 classes." in capsys.readouterr().out
    assert it.class_indices == {"cats": 0, "dogs": 1} and it.num_classes == 2
    # Folder by folder, each sorted by name (uppercase first, as sorted() puts it):
    cats = ["0.png", "1.png", "2.png", "3.png", "4.png", "Z.PNG"]
    dogs = ["0.png", "1.png", "2.png", "3.png", os.path.join("more", "a.bmp")]
    assert it.filenames == [os.path.join("cats", f) for f in cats] + [os.path.join("dogs", f) for f in dogs]
    assert it.classes.dtype == np.int32 and it.classes.tolist() == [0] * 6 + [1] * 5
    assert it.samples == it.n == 11 and len(it) == 3 and it.batch_size == 4
    assert it.image_shape == (4, 6, 1) and it.labels is it.classes
    assert it.filepaths[0] == os.path.join(root, "cats", "0.png")
    assert isinstance(it, keras.utils.PyDataset) and isinstance(it, keras.preprocessing.image.DirectoryIterator)
    x = np.concatenate([it[i][0] for i in range(len(it))])
    assert pixel_ids(x) == [0, 1, 2, 3, 4, 9, 10, 11, 12, 13, 19]      # shuffle=False: the files' order


def test_classes_picks_and_orders_the_subfolders(tmp_path):
    root = make_folder(tmp_path / "train", {"a": 2, "b": 2, "c": 2})
    it = flow(root, classes=["c", "a"], class_mode="sparse")
    assert it.class_indices == {"c": 0, "a": 1}
    x, y = it[0]
    assert pixel_ids(x) == [20, 21, 0, 1] and y.tolist() == [0, 0, 1, 1]


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="needs symbolic links")
def test_linked_subfolders_are_read_only_with_follow_links(tmp_path):
    root = make_folder(tmp_path / "train")
    make_folder(tmp_path / "elsewhere", {"more": 2})
    (root / "cats" / "linked").symlink_to(tmp_path / "elsewhere" / "more")
    assert flow(root).samples == 9                              # os.walk's rule, as in Keras
    it = flow(root, follow_links=True)
    assert it.samples == 11 and it.filenames[5] == os.path.join("cats", "linked", "0.png")


@pytest.mark.parametrize("class_mode, shape", [("categorical", (5, 2)), ("binary", (5,)), ("sparse", (5,)),
                                               ("input", (5, 4, 6, 1)), (None, None)])
def test_each_class_mode_gives_keras_labels(tmp_path, class_mode, shape):
    it = flow(make_folder(tmp_path / "train"), class_mode=class_mode, batch_size=5)
    batch = it[1]                        # cats 4, then dogs 0..3
    if class_mode is None:
        assert isinstance(batch, np.ndarray) and batch.shape == (4, 4, 6, 1)
        return
    x, y = batch
    assert x.dtype == np.float32 and x.shape == (4, 4, 6, 1)
    assert y.dtype == np.float32 and y.shape == (4,) + shape[1:]
    if class_mode == "categorical":
        np.testing.assert_array_equal(y, [[0, 1]] * 4)
    elif class_mode == "input":
        np.testing.assert_array_equal(y, x)
        assert y is not x
    else:
        assert y.tolist() == [1, 1, 1, 1]
    assert pixel_ids(x) == [10, 11, 12, 13]


@pytest.mark.parametrize("color_mode, channels", [("grayscale", 1), ("rgb", 3), ("rgba", 4)])
def test_color_modes_and_target_size(tmp_path, color_mode, channels):
    it = flow(make_folder(tmp_path / "train"), color_mode=color_mode, target_size=(3, 5), batch_size=2)
    x, _ = it[0]
    assert x.shape == (2, 3, 5, channels) and it.image_shape == (3, 5, channels)
    np.testing.assert_array_equal(x[1, ..., :3], 1)               # grey 1 in every colour channel
    if channels == 4:
        np.testing.assert_array_equal(x[..., 3], 255)             # opaque


def test_subset_takes_the_first_fraction_of_each_class_for_validation(tmp_path):
    root = make_folder(tmp_path / "train", {"cats": 10, "dogs": 7})
    datagen = ImageDataGenerator(validation_split=0.3)
    train = flow(root, datagen, subset="training", batch_size=32)
    val = flow(root, datagen, subset="validation", batch_size=32)
    # Keras: validation = files[:int(0.3 * n)], training = files[int(0.3 * n):n], per class.
    assert pixel_ids(val[0][0]) == [0, 1, 2, 10, 11]
    assert pixel_ids(train[0][0]) == [3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16]
    assert val.classes.tolist() == [0, 0, 0, 1, 1] and train.samples == 12
    assert set(train.filenames).isdisjoint(val.filenames)


def test_shuffling_is_repeatable_with_a_seed_and_new_every_epoch(tmp_path):
    root = make_folder(tmp_path / "train", {"cats": 8, "dogs": 8})

    def order(it):
        return [i for b in range(len(it)) for i in pixel_ids(it[b][0])]

    a, b = flow(root, shuffle=True, seed=7, batch_size=5), flow(root, shuffle=True, seed=7, batch_size=5)
    first = order(a)
    assert first == order(b) and sorted(first) == list(range(8)) + list(range(10, 18))
    assert first != sorted(first)
    a.on_epoch_end()
    assert order(a) != first and sorted(order(a)) == sorted(first)
    x, y = next(b)                 # next(): a new pass, shuffled again, labels kept with images
    np.testing.assert_array_equal(y.argmax(1), np.array(pixel_ids(x)) // 10)


def test_next_walks_the_passes_and_reset_starts_again(tmp_path):
    it = flow(make_folder(tmp_path / "train"), batch_size=4)       # 9 images: 4, 4, 1
    sizes = [len(next(it)[0]) for _ in range(4)]
    assert sizes == [4, 4, 1, 4]
    it.reset()
    assert pixel_ids(it.next()[0]) == [0, 1, 2, 3]


def test_rescale_and_augmentation_are_applied_as_in_flow(tmp_path):
    root = make_folder(tmp_path / "train")
    x, _ = flow(root, ImageDataGenerator(rescale=1 / 255))[0]
    np.testing.assert_allclose(x[:, 0, 0, 0], np.array([0, 1, 2, 3, 4, 10, 11, 12, 13]) / 255, rtol=1e-6)
    # A batch from flow_from_directory is what flow gives for the same images and seed.
    augment = dict(rotation_range=30, zoom_range=0.2, horizontal_flip=True, rescale=1 / 255)
    gradient = np.arange(24, dtype=np.uint8).reshape(4, 6) * 10
    for k in range(3):
        Image.fromarray(gradient + k).save(root / "cats" / f"{k}.png")
    ours = flow(root, ImageDataGenerator(**augment), seed=5, batch_size=3, class_mode=None)[0]
    images = np.stack([np.asarray(Image.open(root / "cats" / f"{k}.png"), np.float32)[..., None]
                       for k in range(3)])
    theirs = ImageDataGenerator(**augment).flow(images, batch_size=3, shuffle=False, seed=5)[0]
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    assert not np.allclose(ours, images / 255)


def test_fit_evaluate_and_predict_read_it(tmp_path):
    root = make_folder(tmp_path / "train", {"cats": 6, "dogs": 6})
    datagen = ImageDataGenerator(rescale=1 / 255, horizontal_flip=True, validation_split=0.25)
    train = flow(root, datagen, class_mode="binary", subset="training", batch_size=4, shuffle=True, seed=0)
    val = flow(root, datagen, class_mode="binary", subset="validation", batch_size=4)
    model = keras.Sequential([keras.Input((4, 6, 1)), layers.Flatten(), layers.Dense(1, activation="sigmoid")],
                             seed=0)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(train, validation_data=val, epochs=2, verbose=0)
    assert len(history.history["val_accuracy"]) == 2
    assert len(model.evaluate(val, verbose=0)) == 2
    assert model.predict(flow(root, datagen, class_mode=None, batch_size=5), verbose=0).shape == (12, 1)


def test_bad_folders_are_one_line_naming_the_path(tmp_path):
    with pytest.raises(DataError, match="nowhere: no such folder"):
        flow(tmp_path / "nowhere")
    flat = tmp_path / "flat"
    flat.mkdir()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(flat / "a.png")
    with pytest.raises(DataError, match=r"flat: no class subfolders.*classes=\['flat'\]"):
        flow(flat)
    assert flow(tmp_path, classes=["flat"], class_mode=None).samples == 1     # Keras's habit for a test folder
    (tmp_path / "empty" / "cats").mkdir(parents=True)
    with pytest.raises(DataError, match=r"empty: no images \(png, jpg.*\['cats'\]"):
        flow(tmp_path / "empty")
    root = make_folder(tmp_path / "train")
    with pytest.raises(DataError, match=r"no subfolder for class\(es\) \['birds'\]"):
        flow(root, classes=["cats", "birds"])
    (root / "dogs" / "broken.png").write_bytes(b"not a png at all")
    it = flow(root, batch_size=20)
    with pytest.raises(DataError, match=r"flow_from_directory: .*broken.png"):
        it[0]


def test_bad_settings_are_one_line_each(tmp_path):
    root = make_folder(tmp_path / "train", {"a": 2, "b": 2, "c": 2})
    for options, message in [
            ({"class_mode": "multi_output"}, "class_mode must be one of 'categorical'.*'multi_output'"),
            ({"color_mode": "cmyk"}, "color_mode must be one of 'grayscale', 'rgb', 'rgba'"),
            ({"interpolation": "cubic"}, "interpolation must be one of"),
            ({"target_size": 28}, r"target_size must be \(height, width\)"),
            ({"subset": "test"}, "subset must be 'training' or 'validation'"),
            ({"subset": "training"}, r"needs ImageDataGenerator\(validation_split=...\)"),
            ({"class_mode": "binary"}, r'"binary" needs 2 classes, found 3'),
            ({"batch_size": 0}, "flow_from_directory: batch_size must be a positive whole number")]:
        with pytest.raises(DataError if "batch_size" not in options else ValueError, match=message):
            flow(root, **options)
    with pytest.raises(ValueError, match="save_to_dir"):
        flow(root, save_to_dir=str(tmp_path))
    with pytest.raises(DataError, match="leaves the validation subset empty"):
        flow(root, ImageDataGenerator(validation_split=0.2), subset="validation")     # int(0.2 * 2) = 0
    with pytest.raises(NotImplementedError, match="flow_from_dataframe"):
        ImageDataGenerator().flow_from_dataframe(None)


# -- against Keras -----------------------------------------------------------------------------

def keras_image_data_generator():
    keras_module = pytest.importorskip("keras", reason="Keras is not installed")
    if hasattr(keras_module.preprocessing.image, "ImageDataGenerator"):
        return keras_module.preprocessing.image.ImageDataGenerator
    try:        # Keras 3.x dropped the name but keeps the class (tf.keras.preprocessing.image has it)
        from keras.src.legacy.preprocessing.image import ImageDataGenerator as KerasImageDataGenerator
    except ImportError:
        pytest.skip("this Keras has no legacy ImageDataGenerator")
    return KerasImageDataGenerator


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("interpolation, color_mode, keep_aspect_ratio, class_mode", [
    ("nearest", "rgb", False, "categorical"), ("bilinear", "rgb", False, "sparse"),
    ("nearest", "grayscale", False, "input"), ("bilinear", "rgba", True, "categorical"),
    ("bicubic", "rgb", False, None)])
def test_batches_equal_keras(tmp_path, capsys, interpolation, color_mode, keep_aspect_ratio, class_mode):
    KerasImageDataGenerator = keras_image_data_generator()
    rng = np.random.default_rng(1)
    root = tmp_path / "train"
    for name, count in (("b", 4), ("a", 3), ("c", 5)):
        (root / name / "deeper").mkdir(parents=True)
        for k in range(count):
            height, width = rng.integers(9, 30, 2)
            pixels = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
            where = root / name / ("deeper" if k == 0 else "") / f"{k}.{['png', 'bmp', 'png'][k % 3]}"
            Image.fromarray(pixels[..., :3] if where.suffix == ".bmp" else pixels).save(where)
    options = dict(target_size=(12, 10), color_mode=color_mode, class_mode=class_mode, batch_size=5, shuffle=False,
                   interpolation=interpolation, keep_aspect_ratio=keep_aspect_ratio, subset="training")
    ours = ImageDataGenerator(rescale=1 / 255, validation_split=0.25).flow_from_directory(root, **options)
    theirs = KerasImageDataGenerator(rescale=1 / 255, validation_split=0.25).flow_from_directory(str(root),
                                                                                                 **options)
    assert ours.class_indices == theirs.class_indices and ours.filenames == theirs.filenames
    np.testing.assert_array_equal(ours.classes, theirs.classes)
    assert len(ours) == len(theirs) and ours.image_shape == theirs.image_shape
    for i in range(len(ours)):
        batch, keras_batch = ours[i], theirs[i]
        if class_mode is None:
            batch, keras_batch = (batch,), (keras_batch,)
        assert len(batch) == len(keras_batch)
        for mine, keras_part in zip(batch, keras_batch):
            assert mine.dtype == keras_part.dtype and mine.shape == keras_part.shape
            np.testing.assert_array_equal(mine, keras_part)      # the same Pillow resize: exact
