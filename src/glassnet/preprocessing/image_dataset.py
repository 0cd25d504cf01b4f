"""``image_dataset_from_directory``: a folder of images, one subfolder per class, as batches.

    my_digits/
        0/  a.png  b.jpg ...
        1/  ...
        ...

    train = keras.utils.image_dataset_from_directory(
        "my_digits", color_mode="grayscale", image_size=(28, 28), batch_size=32,
        validation_split=0.2, subset="training", seed=1)
    model.fit(train, epochs=5)

Keras 3's function and defaults, without TensorFlow: it gives a
:class:`~glassnet.utils.PyDataset` (which ``fit``, ``evaluate`` and ``predict`` read and a
``for`` loop walks), not a ``tf.data.Dataset``, with the few Dataset methods the tutorials
chain after it (:class:`DatasetMethods`). As in Keras, the pixels stay 0-255 (put a
``Rescaling(1 / 255)`` in the model), the classes are the subfolders in alphabetical order
(``class_names``), and a file that isn't an image stops with one line naming it.
"""

import math
import os
import pathlib

import numpy as np

from glassnet.engine.tensor import as_tensor
from glassnet.errors import DataError
from glassnet.utils import PyDataset

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
LABEL_MODES = ("int", "categorical", "binary", None)


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256), shuffle=True,
                                 seed=None, validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False, verbose=True, **unsupported):
    """The images under ``directory`` as batches ``(images, labels)``; see the module docstring.

    Args (Keras's):
        labels: ``"inferred"`` (from the subfolders) or None (images only).
        label_mode: ``"int"``, ``"categorical"`` (one-hot), ``"binary"`` (two classes) or None.
        class_names: the subfolders to use, in this order (default: all, alphabetically).
        color_mode: ``"grayscale"`` (1 channel), ``"rgb"`` (3) or ``"rgba"`` (4).
        batch_size: images per batch (None: batches of one image).
        image_size: ``(height, width)`` every image is resized to.
        shuffle, seed: shuffle the files (again every epoch), repeatably with ``seed``.
        validation_split, subset: hold out this fraction of the files: ``subset`` is
            ``"training"``, ``"validation"`` or ``"both"`` (a pair of datasets).
        crop_to_aspect_ratio: crop the middle to the target's aspect ratio before resizing.

    Returns:
        an :class:`ImageDataset`, or a ``(training, validation)`` pair for ``subset="both"``.
    """
    if unsupported:
        raise TypeError(f"image_dataset_from_directory: {', '.join(sorted(unsupported))} not supported by glassnet")
    if labels not in ("inferred", None):
        raise ValueError('image_dataset_from_directory: labels must be "inferred" or None (a list of labels '
                         'is not supported by glassnet)')
    if label_mode not in LABEL_MODES:
        raise ValueError(f"image_dataset_from_directory: label_mode must be one of {LABEL_MODES}, got {label_mode!r}")
    root = pathlib.Path(directory)
    if labels is None:
        names = []
        files = [(path, 0) for path in list_image_files(check_folder(root), IMAGE_SUFFIXES, follow_links)]
    else:
        names = list_class_names(root, class_names)
        files = [(path, index) for index, name in enumerate(names)
                 for path in list_image_files(root / name, IMAGE_SUFFIXES, follow_links)]
    if not files:
        raise DataError(f"{root}: no images found ({', '.join(IMAGE_SUFFIXES)}"
                        + (", one subfolder per class)" if labels else ")"))
    if label_mode == "binary" and len(names) != 2:
        raise DataError(f'{root}: label_mode="binary" needs 2 classes, found {len(names)}: {names}')
    rng = np.random.default_rng(seed)
    if shuffle:
        files = [files[i] for i in rng.permutation(len(files))]
    parts = split_files(files, validation_split, subset, shuffle, seed)
    if verbose:
        print(f"Found {len(files)} files belonging to {len(names)} classes." if labels else
              f"Found {len(files)} files.")
        for label, part in parts:
            if label:
                print(f"Using {len(part)} files for {label}.")
    datasets = [ImageDataset(part, names, label_mode if labels else None, color_mode, batch_size, image_size,
                             shuffle and label != "validation", rng, interpolation, crop_to_aspect_ratio)
                for label, part in parts]
    return tuple(datasets) if subset == "both" else datasets[0]


def split_files(files, validation_split, subset, shuffle, seed, owner="image_dataset_from_directory"):
    """``[(label, files)]``: all of them, or the training and/or validation part (the last
    ``validation_split`` of the files, as Keras takes them). ``owner`` names the caller in errors."""
    if not validation_split:
        if subset is not None:
            raise ValueError(f"{owner}: subset= needs validation_split=")
        return [(None, files)]
    if not 0 < validation_split < 1:
        raise ValueError(f"{owner}: validation_split must be in (0, 1), got {validation_split!r}")
    if subset not in ("training", "validation", "both"):
        raise ValueError(f'{owner}: with validation_split, subset must be "training", "validation" or "both"')
    if shuffle and seed is None:
        raise ValueError(f"{owner}: with validation_split and shuffle, give a seed, so "
                         f"that the training and validation calls split the files the same way")
    held = int(validation_split * len(files))
    training, validation = files[:len(files) - held], files[len(files) - held:]
    return {"training": [("training", training)], "validation": [("validation", validation)],
            "both": [("training", training), ("validation", validation)]}[subset]


# -- listing a folder of classes (shared with ImageDataGenerator.flow_from_directory) ---------

def check_folder(root):
    """``root`` as a ``pathlib.Path``, or one :class:`DataError` if there is no such folder."""
    root = pathlib.Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: no such folder")
    return root


def list_class_names(root, class_names=None):
    """The classes under ``root``: the names of its subfolders in alphabetical order, or
    ``class_names`` (in that order) once each is checked to be a subfolder.

    A folder reached through a symbolic link counts, as in Keras.
    """
    root = check_folder(root)
    names = sorted(p.name for p in root.iterdir() if p.is_dir())
    if class_names is not None:
        missing = [c for c in class_names if c not in names]
        if missing:
            raise DataError(f"{root}: no subfolder for class(es) {missing}; it has {names}")
        names = list(class_names)
    return names


def list_image_files(folder, suffixes, follow_links=False):
    """The files under ``folder`` (its subfolders too) whose names end in one of ``suffixes``
    (any case), in Keras's order: folder by folder, the folders sorted by path, the files
    within each sorted by name.

    Symbolic links to files are listed; links to folders are followed only with
    ``follow_links`` (``os.walk``'s rule, which Keras uses).
    """
    walk = sorted(os.walk(folder, followlinks=follow_links), key=lambda step: step[0])
    return [pathlib.Path(where, name) for where, _, names in walk for name in sorted(names)
            if name.lower().endswith(tuple(suffixes))]


class DatasetMethods:
    """The ``tf.data.Dataset`` methods the image tutorials chain after
    ``image_dataset_from_directory``, on batches glassnet already holds::

        train_ds = train_ds.cache().shuffle(1000).prefetch(buffer_size=tf.data.AUTOTUNE)
        normalized_ds = train_ds.map(lambda x, y: (normalization_layer(x), y))
        for images, labels in train_ds.take(1): ...

    ``cache``, ``shuffle`` and ``prefetch`` change nothing (each file is decoded once and kept;
    the batches are drawn in a new order every epoch when ``shuffle=True``, as given to
    ``image_dataset_from_directory``); ``take`` and ``skip`` keep some batches, ``map`` changes
    each batch as it is read."""

    def cache(self, filename=""):
        return self

    def prefetch(self, buffer_size=None):
        return self

    def shuffle(self, buffer_size=None, seed=None, reshuffle_each_iteration=None):
        return self

    def take(self, count):
        return _Batches(self, range(len(self))[:count if count >= 0 else None])

    def skip(self, count):
        return _Batches(self, range(len(self))[count:])

    def map(self, map_func, num_parallel_calls=None, deterministic=None):
        return _Batches(self, range(len(self)), map_func)

    def cardinality(self):
        return len(self)


class _Batches(DatasetMethods, PyDataset):
    """Some of another dataset's batches (``take``, ``skip``), each changed by ``function``
    if given (``map``: called with the batch's parts, ``f(images, labels)``)."""

    def __init__(self, source, indices, function=None):
        super().__init__()
        self.source, self.indices, self.function = source, indices, function
        self.class_names = getattr(source, "class_names", None)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        batch = self.source[self.indices[index]]
        if self.function is None:
            return batch
        return self.function(*batch) if isinstance(batch, tuple) else self.function(batch)

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def on_epoch_end(self):
        self.source.on_epoch_end()


class ImageDataset(DatasetMethods, PyDataset):
    """Batches of images read from files: ``(images, labels)`` or images alone.

    ``images``: float32 ``(batch, height, width, channels)``, pixels 0-255. ``class_names``:
    the classes, label 0 first. Each file is decoded once, then kept.
    """

    def __init__(self, files, class_names, label_mode, color_mode, batch_size, image_size, shuffle, rng,
                 interpolation, crop_to_aspect_ratio):
        super().__init__()
        self.files = list(files)
        self.class_names = list(class_names)
        self.label_mode, self.color_mode = label_mode, color_mode
        self.batch_size = 1 if batch_size is None else int(batch_size)
        if self.batch_size < 1:
            raise ValueError(f"image_dataset_from_directory: batch_size must be >= 1, got {batch_size!r}")
        self.image_size = tuple(int(d) for d in image_size)
        self.reshuffles, self.rng = shuffle, rng     # a new order every epoch
        self.interpolation, self.crop = interpolation, crop_to_aspect_ratio
        self.order = np.arange(len(self.files))
        self.decoded = {}     # file number -> its image, decoded once

    def __len__(self):
        return math.ceil(len(self.files) / self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of {len(self)}")
        chosen = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        images = as_tensor(np.stack([self._item(i) for i in chosen]))     # images[0].numpy(), as in TensorFlow
        if self.label_mode is None:
            return images
        labels = np.array([self.files[i][1] for i in chosen])
        if self.label_mode == "categorical":
            return images, as_tensor(np.eye(len(self.class_names), dtype=np.float32)[labels])
        if self.label_mode == "binary":
            return images, as_tensor(labels.astype(np.float32)[:, np.newaxis])
        return images, as_tensor(labels.astype(np.int32))

    def _item(self, i):
        """File ``i``'s image (a text dataset: its text), read once."""
        if i not in self.decoded:
            from glassnet.preprocessing.image_utils import img_to_array, load_img
            self.decoded[i] = img_to_array(load_img(self.files[i][0], color_mode=self.color_mode,
                                                  target_size=self.image_size, interpolation=self.interpolation,
                                                  keep_aspect_ratio=self.crop), dtype="float32")
        return self.decoded[i]

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def on_epoch_end(self):
        if self.reshuffles:
            self.order = self.rng.permutation(len(self.files))

    @property
    def file_paths(self):
        return [str(path) for path, _ in self.files]
