"""keras.utils.image_dataset_from_directory: a folder of your own digit photos, one subfolder
per class, read into batches that fit, evaluate and predict take, with Keras's defaults."""

import numpy as np
import pytest
from PIL import Image

import glassnet as keras
from glassnet import layers
from glassnet.errors import DataError, ImageError


def make_folder(root, counts={"0": 3, "1": 4, "2": 5}, size=(30, 20)):
    """Class subfolders of small grey images; image k of class c has the pixel value 10*c + k."""
    for name, count in counts.items():
        (root / name).mkdir(parents=True)
        for k in range(count):
            value = 10 * int(name) + k
            Image.fromarray(np.full(size[::-1], value, np.uint8)).save(root / name / f"{k}.png")
    return root


def test_images_labels_and_class_names_as_keras_gives_them(tmp_path, capsys):
    root = make_folder(tmp_path / "digits")
    data = keras.utils.image_dataset_from_directory(root, color_mode="grayscale", image_size=(8, 8),
                                                    batch_size=5, shuffle=False)
    assert "Found 12 files belonging to 3 classes." in capsys.readouterr().out
    assert data.class_names == ["0", "1", "2"] and len(data) == 3
    batches = list(data)
    images = np.concatenate([x for x, _ in batches])
    labels = np.concatenate([y for _, y in batches])
    assert images.shape == (12, 8, 8, 1) and images.dtype == np.float32
    assert labels.tolist() == [0] * 3 + [1] * 4 + [2] * 5
    np.testing.assert_array_equal(images[:, 0, 0, 0], [0, 1, 2, 10, 11, 12, 13, 20, 21, 22, 23, 24])   # 0-255 kept
    rgb = keras.utils.image_dataset_from_directory(root, image_size=(4, 6), label_mode="categorical",
                                                   class_names=["2", "0"], verbose=False)
    x, y = rgb[0]
    assert x.shape[1:] == (4, 6, 3) and y.shape[1] == 2 and len(rgb.file_paths) == 8


def test_a_split_is_the_same_for_both_calls_and_fit_trains_on_it(tmp_path):
    root = make_folder(tmp_path / "digits", {"0": 10, "1": 10})
    options = dict(color_mode="grayscale", image_size=(6, 6), batch_size=4, validation_split=0.25, seed=3,
                   verbose=False)
    train = keras.utils.image_dataset_from_directory(root, subset="training", **options)
    val = keras.utils.image_dataset_from_directory(root, subset="validation", **options)
    both = keras.utils.image_dataset_from_directory(root, subset="both", **options)
    assert len(train.files) == 15 and len(val.files) == 5
    assert set(train.file_paths).isdisjoint(val.file_paths) and both[1].file_paths == val.file_paths
    model = keras.Sequential([keras.Input((6, 6, 1)), layers.Rescaling(1 / 255), layers.Flatten(),
                              layers.Dense(2, activation="softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(train, validation_data=val, epochs=2, verbose=0)
    assert len(history.history["val_accuracy"]) == 2
    assert model.predict(val, verbose=0).shape == (5, 2)


def test_the_image_tutorials_dataset_chain_runs(tmp_path):
    """TensorFlow's image classification and transfer learning tutorials, after
    image_dataset_from_directory: cache / shuffle / prefetch(tf.data.AUTOTUNE), map with a
    Rescaling layer, take(1) for a picture, images[i].numpy(), cardinality, take / skip."""
    import glassnet as tf
    root = make_folder(tmp_path / "digits", {"0": 6, "1": 6})
    train_ds = keras.utils.image_dataset_from_directory(root, image_size=(6, 6), batch_size=4, seed=1,
                                                        verbose=False)
    AUTOTUNE = tf.data.AUTOTUNE
    class_names = train_ds.class_names
    assert isinstance(train_ds, tf.data.Dataset)                 # Keras's is a tf.data.Dataset too
    train_ds = train_ds.cache().shuffle(1000).prefetch(buffer_size=AUTOTUNE)
    with pytest.raises(AttributeError, match="no class_names: .*read it first"):   # as in TensorFlow
        train_ds.class_names
    normalization_layer = layers.Rescaling(1. / 255)
    normalized_ds = train_ds.map(lambda x, y: (normalization_layer(x), y))
    image_batch, labels_batch = next(iter(normalized_ds))
    assert 0 <= float(np.min(image_batch[0])) and float(np.max(image_batch[0])) <= 1
    for images, labels in train_ds.take(1):
        assert images[0].numpy().astype("uint8").shape == (6, 6, 3) and class_names[labels[0]] in "01"
    batches = tf.data.experimental.cardinality(train_ds)
    test_ds, rest = train_ds.take(batches // 3), train_ds.skip(batches // 3)
    assert (batches, len(test_ds), len(rest)) == (3, 1, 2)
    assert len(list(train_ds.unbatch())) == 12 and len(list(train_ds.unbatch().batch(5))) == 3
    model = keras.Sequential([keras.Input((6, 6, 3)), layers.Flatten(), layers.Dense(2)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert len(model.fit(normalized_ds, validation_data=rest, epochs=2, verbose=0).history["val_loss"]) == 2


@pytest.mark.parametrize("change, error, message", [
    (lambda root: root / "nowhere", DataError, "no such folder"),
    (lambda root: (root / "empty").mkdir() or root / "empty", DataError, "no images found"),
])
def test_missing_or_empty_folders_are_one_line(tmp_path, change, error, message):
    with pytest.raises(error, match=message):
        keras.utils.image_dataset_from_directory(change(tmp_path), verbose=False)


def test_bad_settings_and_a_broken_file_are_named(tmp_path):
    root = make_folder(tmp_path / "digits")
    (root / "1" / "broken.png").write_bytes(b"not a png at all")
    data = keras.utils.image_dataset_from_directory(root, batch_size=20, shuffle=False, verbose=False)
    with pytest.raises(ImageError, match="broken.png"):
        data[0]
    with pytest.raises(ValueError, match="give a seed"):
        keras.utils.image_dataset_from_directory(root, validation_split=0.2, subset="training", verbose=False)
    with pytest.raises(DataError, match=r"no subfolder for class\(es\) \['7'\]"):
        keras.utils.image_dataset_from_directory(root, class_names=["0", "7"], verbose=False)
    with pytest.raises(DataError, match='"binary" needs 2 classes'):
        keras.utils.image_dataset_from_directory(root, label_mode="binary", verbose=False)
