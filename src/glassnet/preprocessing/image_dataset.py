"""``image_dataset_from_directory``: a folder of images, one subfolder per class, as batches.

    my_digits/
        0/  a.png  b.jpg ...
        1/  ...
        ...

    train = keras.utils.image_dataset_from_directory(
        "my_digits", color_mode="grayscale", image_size=(28, 28), batch_size=32,
        validation_split=0.2, subset="training", seed=1)
    model.fit(train, epochs=5)

Keras 3's function and defaults, without TensorFlow: it gives a ``tf.data.Dataset`` of
batches, glassnet's (:class:`glassnet.tf_data.Dataset`), which ``fit``, ``evaluate`` and
``predict`` read, a ``for`` loop walks, and the tutorials' ``cache().shuffle(1000)
.prefetch(AUTOTUNE)`` and ``map(lambda x, y: (rescale(x), y))`` chain on. As in Keras, the pixels stay 0-255 (put a
``Rescaling(1 / 255)`` in the model), the classes are the subfolders in alphabetical order
(``class_names``), and a file that isn't an image stops with one line naming it.
"""

import math
import os
import pathlib

import numpy as np

from glassnet.engine.tensor import as_tensor
from glassnet.errors import DataError
from glassnet.tf_data import Dataset

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


class ImageDataset(Dataset):
    """Batches of images read from files, ``(images, labels)`` or images alone, as a
    :class:`~glassnet.tf_data.Dataset` (so ``cache``, ``shuffle``, ``map``, ``take``,
    ``unbatch``... chain after it, as after Keras's).

    ``images``: float32 ``(batch, height, width, channels)``, pixels 0-255. ``class_names``:
    the classes, label 0 first. Each file is decoded once, then kept; with ``shuffle`` every
    pass (every epoch of ``fit``) reads the files in a new order. ``dataset[i]`` (glassnet's
    own) is batch ``i`` of the current order.
    """

    def __init__(self, files, class_names, label_mode, color_mode, batch_size, image_size, shuffle, rng,
                 interpolation, crop_to_aspect_ratio):
        self.files = list(files)
        self.class_names = list(class_names)
        self.label_mode, self.color_mode = label_mode, color_mode
        self.batch_size = 1 if batch_size is None else int(batch_size)
        if self.batch_size < 1:
            raise ValueError(f"image_dataset_from_directory: batch_size must be >= 1, got {batch_size!r}")
        self.image_size = tuple(int(d) for d in image_size)
        self.reshuffles, self.rng = shuffle, rng
        self.interpolation, self.crop = interpolation, crop_to_aspect_ratio
        self.order = np.arange(len(self.files))
        self.passes = 0
        self.decoded = {}     # file number -> its image, decoded once
        super().__init__(self._one_pass, math.ceil(len(self.files) / self.batch_size))

    def _one_pass(self):
        if self.reshuffles and self.passes:      # the first pass reads the order already drawn
            self.order = self.rng.permutation(len(self.files))
        self.passes += 1
        return (self[index] for index in range(len(self)))

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

    @property
    def file_paths(self):
        return [str(path) for path, _ in self.files]
