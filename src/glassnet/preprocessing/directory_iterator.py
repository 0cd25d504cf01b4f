"""``ImageDataGenerator.flow_from_directory``: augmented batches read from a folder of images.

The Kaggle and TensorFlow tutorials (cats vs dogs, flowers...) keep their pictures one
subfolder per class::

    data/train/
        cats/  cat.0.jpg  cat.1.jpg ...
        dogs/  dog.0.jpg ...

and train like this::

    datagen = ImageDataGenerator(rescale=1./255, horizontal_flip=True, validation_split=0.2)
    train = datagen.flow_from_directory("data/train", target_size=(150, 150), batch_size=32,
                                        class_mode="binary", subset="training")
    val = datagen.flow_from_directory("data/train", target_size=(150, 150), batch_size=32,
                                      class_mode="binary", subset="validation")
    model.fit(train, epochs=5, validation_data=val)

What happens, as in Keras (``keras.preprocessing.image.DirectoryIterator``):

* the classes are the subfolders, in alphabetical order (``class_indices``: ``{"cats": 0,
  "dogs": 1}``), or the ``classes`` you list;
* the files of a class are every ``png``, ``jpg``, ``jpeg``, ``bmp``, ``ppm``, ``tif`` and
  ``tiff`` under its subfolder, folder by folder, sorted by name (``filenames``, relative
  to ``directory``; ``classes``, the class number of each);
* ``subset="validation"`` takes the *first* ``validation_split`` of each class's files,
  ``subset="training"`` the rest, so the two never share a file and every class is in both;
* a batch is read from the files when it is asked for (nothing is kept in memory): each image
  is loaded with :func:`~glassnet.preprocessing.image_utils.load_img` (resized to
  ``target_size``), then randomly transformed and standardized by the generator exactly as
  :meth:`~glassnet.preprocessing.image.ImageDataGenerator.flow` does it.

A file that is not an image is found only when its batch is read, as in Keras; the error
then names it.
"""

import os

import numpy as np

from glassnet.errors import DataError, ImageError
from glassnet.preprocessing.image import Iterator, _refuse_unsupported
from glassnet.preprocessing.image_dataset import check_folder, list_class_names, list_image_files
from glassnet.preprocessing.image_utils import COLOR_MODES, INTERPOLATIONS, img_to_array, load_img

CLASS_MODES = ("categorical", "binary", "sparse", "input", None)
CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


class DirectoryIterator(Iterator):
    """The batches of :meth:`ImageDataGenerator.flow_from_directory
    <glassnet.preprocessing.image.ImageDataGenerator.flow_from_directory>`: a
    :class:`~glassnet.utils.PyDataset` that ``fit``, ``evaluate`` and ``predict`` read, and
    ``next()`` walks forever (see :class:`~glassnet.preprocessing.image.Iterator`).

    A batch is ``(x, y)``: ``x`` float32 ``(N, height, width, channels)``; ``y`` by
    ``class_mode``: ``"categorical"`` one-hot ``(N, num_classes)``, ``"binary"`` and
    ``"sparse"`` the class numbers ``(N,)`` (as float32, like Keras), ``"input"`` a copy of
    ``x`` (for an autoencoder); with ``class_mode=None``, ``x`` alone (for ``predict``).

    Attributes (Keras's): ``directory``, ``class_indices`` (class name -> number),
    ``num_classes``, ``filenames`` (paths relative to ``directory``), ``filepaths``,
    ``classes`` (int32, the class of each file, in the order of ``filenames``; also
    ``labels``), ``samples`` and ``n`` (how many files), ``batch_size``, ``image_shape``.
    """

    white_list_formats = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")
    allowed_class_modes = CLASS_MODES
    where = "flow_from_directory"

    def __init__(self, directory, image_data_generator, target_size=(256, 256), color_mode="rgb",
                 classes=None, class_mode="categorical", batch_size=32, shuffle=True, seed=None,
                 data_format=None, save_to_dir=None, save_prefix="", save_format="png",
                 follow_links=False, subset=None, interpolation="nearest", keep_aspect_ratio=False,
                 dtype=None):
        _refuse_unsupported(save_to_dir=(save_to_dir, None))
        if data_format not in (None, "channels_last"):
            raise ValueError(f"flow_from_directory: data_format={data_format!r} is not supported "
                             f"(channels_last only)")
        _check_choice("class_mode", class_mode, CLASS_MODES)
        _check_choice("color_mode", color_mode, tuple(COLOR_MODES))
        _check_choice("interpolation", interpolation, INTERPOLATIONS)
        self.target_size = _target_size(target_size)
        self.color_mode, self.class_mode = color_mode, class_mode
        self.interpolation, self.keep_aspect_ratio = interpolation, bool(keep_aspect_ratio)
        self.image_shape = self.target_size + (CHANNELS[color_mode],)
        self.subset, self.split = subset, _split(subset, image_data_generator._validation_split)

        self.directory = directory
        root = check_folder(directory)
        names = list_class_names(root, classes or None)
        if not names:
            raise DataError(_no_classes(root))
        self.class_indices = {name: index for index, name in enumerate(names)}
        self.num_classes = len(names)
        self.filenames, labels = [], []
        suffixes = tuple("." + suffix for suffix in self.white_list_formats)
        for index, name in enumerate(names):
            files = list_image_files(root / name, suffixes, follow_links)
            if self.split:                  # this subset's part of the class's files
                files = files[int(self.split[0] * len(files)):int(self.split[1] * len(files))]
            self.filenames += [os.path.join(name, os.path.relpath(path, root / name)) for path in files]
            labels += [index] * len(files)
        self.classes = np.array(labels, dtype=np.int32)
        self.samples = len(self.filenames)
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        self._check_found(root, names)
        self._filepaths = [os.path.join(directory, name) for name in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed, image_data_generator, dtype)

    def _check_found(self, root, names):
        """One clear error when there is nothing (or nothing usable) to train on."""
        formats = ", ".join(self.white_list_formats)
        if self.samples == 0 and self.split:
            raise DataError(f"{root}: validation_split={self.split[1] - self.split[0]:g} leaves the "
                            f"{self.subset} subset empty (too few images in each class)")
        if self.samples == 0:
            raise DataError(f"{root}: no images ({formats}) in the class subfolders {names}")
        if self.class_mode == "binary" and self.num_classes != 2:
            raise DataError(f'{root}: class_mode="binary" needs 2 classes, found {self.num_classes}: '
                            f'{names} (use class_mode="categorical" for more)')

    @property
    def filepaths(self):
        """The path of each file (``directory`` joined to its entry in ``filenames``)."""
        return self._filepaths

    @property
    def labels(self):
        """The class of each file: ``classes``."""
        return self.classes

    @property
    def sample_weight(self):
        """None: a folder of images has no weights (Keras's attribute)."""
        return None

    def _batch(self, index):
        """The images at ``index``, read from their files, transformed and standardized, with
        their labels as ``class_mode`` asks."""
        images = self._transformed(np.stack([self._load(self._filepaths[i]) for i in index]))
        if self.class_mode is None:
            return images
        if self.class_mode == "input":
            return images, images.copy()
        if self.class_mode == "categorical":
            return images, np.eye(self.num_classes, dtype=self.dtype)[self.classes[index]]
        return images, self.classes[index].astype(self.dtype)          # binary, sparse

    def _load(self, path):
        """One file as an array ``image_shape`` (pixels 0..255)."""
        try:
            image = load_img(path, color_mode=self.color_mode, target_size=self.target_size,
                             interpolation=self.interpolation, keep_aspect_ratio=self.keep_aspect_ratio)
        except ImageError as error:
            raise DataError(f"flow_from_directory: {error}") from None
        return img_to_array(image, dtype=self.dtype)


def _check_choice(name, value, choices):
    if not any(value is choice or (choice is not None and value == choice) for choice in choices):
        raise DataError(f"flow_from_directory: {name} must be one of "
                        f"{', '.join(repr(c) for c in choices)}, got {value!r}")


def _target_size(target_size):
    """``(height, width)`` as a tuple of two positive ints, or one error."""
    try:
        height, width = target_size
    except (TypeError, ValueError):
        height = width = None
    if not all(isinstance(side, (int, np.integer)) and not isinstance(side, bool) and side > 0
               for side in (height, width)):
        raise DataError(f"flow_from_directory: target_size must be (height, width) in pixels, "
                        f"got {target_size!r}")
    return int(height), int(width)


def _split(subset, validation_split):
    """The fractions ``(start, stop)`` of each class's files that ``subset`` takes, as Keras
    splits them: validation the first ``validation_split``, training the rest."""
    if subset is None:
        return None
    if subset not in ("training", "validation"):
        raise DataError(f"flow_from_directory: subset must be 'training' or 'validation', got {subset!r}")
    if validation_split == 0:
        raise DataError(f"flow_from_directory: subset={subset!r} needs "
                        f"ImageDataGenerator(validation_split=...), e.g. 0.2")
    return (0.0, validation_split) if subset == "validation" else (validation_split, 1.0)


def _no_classes(root):
    """The error for a folder without subfolders, with the fix for images lying in it."""
    formats = DirectoryIterator.white_list_formats
    images_here = any(p.suffix.lower().lstrip(".") in formats for p in root.iterdir())
    fix = (f"; its images lie directly in it: move them into a subfolder per class, or read them "
           f"as one class with flow_from_directory({str(root.parent)!r}, classes=[{root.name!r}])"
           if images_here else "")
    return f"{root}: no class subfolders (flow_from_directory reads one subfolder per class){fix}"
