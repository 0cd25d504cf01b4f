"""Keras's ``ImageDataGenerator``: augmented batches of images for ``fit``, made on the fly.

The most-copied MNIST convnet (Yassine Ghouzam's Kaggle kernel, 0.997) trains like this::

    from glassnet.preprocessing.image import ImageDataGenerator   # was: keras.preprocessing.image

    datagen = ImageDataGenerator(rotation_range=10, zoom_range=0.1,
                                 width_shift_range=0.1, height_shift_range=0.1)
    datagen.fit(X_train)
    model.fit(datagen.flow(X_train, Y_train, batch_size=86), epochs=30,
              steps_per_epoch=X_train.shape[0] // 86, validation_data=(X_val, Y_val))

Every batch ``flow`` hands out is made afresh: each image is turned, moved, stretched or
slanted at random (:meth:`ImageDataGenerator.random_transform`), then standardized
(:meth:`ImageDataGenerator.standardize`). The network never sees the same picture twice.

How an image is transformed: every output pixel reads the input at a point found by one
affine map (bilinear interpolation; :func:`glassnet.datasets.augment.warp`). In the (x, y)
coordinates of a picture (x across, y down), about the image's centre::

    input_point = R(theta) @ (S(shear) @ Z(zx, zy) @ (output_point - centre) + (tx, ty)) + centre

then an optional mirror left-right and top-bottom. That is Keras's ``apply_transform``
exactly, with one fix: Keras draws ``tx``, the shift across, from ``height_shift_range``
and ``ty`` from ``width_shift_range``, so its height shift moves pictures sideways (a known
Keras bug: keras-team/keras#17398); glassnet moves them the way the names say. For square
images with equal ranges (MNIST) the two draw from the same distribution. Keras also turns
a non-square image about a point off its centre; glassnet turns it about the centre.

``validation_split=0.2`` with ``flow(x, y, subset="training")`` and ``subset="validation"``
(Kaggle's habit) splits as Keras does: the *first* fifth of the arrays is the validation
subset, the rest the training one (shuffle them first if they are sorted by label: as in
Keras, a split that leaves the two subsets different classes is an error).

Pictures kept as files, one subfolder per class (Kaggle's cats and dogs), come in batches
the same way from ``datagen.flow_from_directory("data/train", target_size=(150, 150),
class_mode="binary")``: see :mod:`glassnet.preprocessing.directory_iterator`.

Not supported (each is an error naming it, never silently ignored): ``zca_whitening``,
``brightness_range``, ``channel_shift_range``, ``interpolation_order``
other than 1, ``channels_first``, ``flow_from_dataframe``, ``save_to_dir``.
"""

import numbers
import warnings

import numpy as np

from glassnet.datasets.augment import warp
from glassnet.engine.random import new_seed
from glassnet.errors import DataError, ShapeError
from glassnet.preprocessing.image_utils import array_to_img, img_to_array, load_img, save_img
from glassnet.utils import PyDataset

FILL_MODES = ("constant", "nearest", "reflect", "wrap")


class ImageDataGenerator:
    """Random transforms and standardization for batches of images (Keras's legacy class).

    Args:
        featurewise_center: subtract the mean of each channel over the data given to
            :meth:`fit`.
        samplewise_center: subtract each image's own mean.
        featurewise_std_normalization: divide by the standard deviation of each channel
            over the data given to :meth:`fit` (implies ``featurewise_center``).
        samplewise_std_normalization: divide each image by its own standard deviation
            (implies ``samplewise_center``).
        rotation_range: turn by up to this many degrees either way.
        width_shift_range, height_shift_range: move across / down by up to this much either
            way: a fraction of the width / height when below 1, else pixels. An int ``k``
            moves by a whole number of pixels in ``-(k-1)..k-1``, a list by one of its
            values, either way (as Keras draws them).
        shear_range: slant by up to this many degrees either way.
        zoom_range: ``z`` draws each axis's factor from ``[1 - z, 1 + z]``; ``[lo, hi]`` from
            ``[lo, hi]``. A factor above 1 reads a larger area, so the picture shrinks.
        fill_mode: what lies beyond the edges: ``"nearest"`` (the edge pixel repeated),
            ``"constant"`` (``cval``), ``"reflect"`` or ``"wrap"``.
        cval: the value outside the image for ``fill_mode="constant"``.
        horizontal_flip, vertical_flip: mirror half the images left-right / top-bottom.
        rescale: multiply every pixel by this (``1/255`` turns 0..255 into 0..1).
        preprocessing_function: called on each image ``(H, W, C)`` after its transform and
            before the rest of the standardization; returns an array of the same shape.
        data_format: ``"channels_last"`` (or None): images are ``(N, H, W, C)``.
        dtype: the dtype of the batches (default float32).
        validation_split: the fraction of the arrays that ``flow(..., subset="validation")``
            gives (the first ones), the rest going to ``subset="training"``.
        zca_whitening, zca_epsilon, brightness_range, channel_shift_range,
            interpolation_order: Keras's; glassnet supports only their defaults, and says so.
    """

    def __init__(self, featurewise_center=False, samplewise_center=False,
                 featurewise_std_normalization=False, samplewise_std_normalization=False,
                 zca_whitening=False, zca_epsilon=1e-6, rotation_range=0, width_shift_range=0.0,
                 height_shift_range=0.0, brightness_range=None, shear_range=0.0, zoom_range=0.0,
                 channel_shift_range=0.0, fill_mode="nearest", cval=0.0, horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, interpolation_order=1, dtype=None):
        _refuse_unsupported(zca_whitening=(zca_whitening, False),
                            brightness_range=(brightness_range, None),
                            channel_shift_range=(channel_shift_range, 0.0),
                            interpolation_order=(interpolation_order, 1))
        if not (isinstance(validation_split, numbers.Real) and 0 <= validation_split < 1):
            raise ValueError(f"ImageDataGenerator: validation_split must be in [0, 1), got {validation_split!r}")
        self._validation_split = float(validation_split)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"ImageDataGenerator: glassnet's images are (batch, height, width, "
                             f"channels); data_format={data_format!r} is not supported")
        if fill_mode not in FILL_MODES:
            raise ValueError(f"ImageDataGenerator: fill_mode must be one of {', '.join(FILL_MODES)}, "
                             f"got {fill_mode!r}")
        if featurewise_std_normalization and not featurewise_center:
            warnings.warn("ImageDataGenerator: featurewise_std_normalization=True also centres the "
                          "data (featurewise_center=True), as in Keras", stacklevel=2)
            featurewise_center = True
        if samplewise_std_normalization and not samplewise_center:
            warnings.warn("ImageDataGenerator: samplewise_std_normalization=True also centres each "
                          "image (samplewise_center=True), as in Keras", stacklevel=2)
            samplewise_center = True
        self.featurewise_center = bool(featurewise_center)
        self.samplewise_center = bool(samplewise_center)
        self.featurewise_std_normalization = bool(featurewise_std_normalization)
        self.samplewise_std_normalization = bool(samplewise_std_normalization)
        self.zca_whitening, self.zca_epsilon = False, zca_epsilon
        self.rotation_range = _non_negative("rotation_range", rotation_range)
        self.width_shift_range = _shift_range("width_shift_range", width_shift_range)
        self.height_shift_range = _shift_range("height_shift_range", height_shift_range)
        self.shear_range = _non_negative("shear_range", shear_range)
        self.zoom_range = _zoom_range(zoom_range)
        self.brightness_range, self.channel_shift_range = None, 0.0
        self.fill_mode, self.cval = fill_mode, float(cval)
        self.horizontal_flip, self.vertical_flip = bool(horizontal_flip), bool(vertical_flip)
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.data_format = "channels_last"
        self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        self.interpolation_order = 1
        self.dtype = np.dtype(dtype or "float32")
        self.mean = None        # per channel, (1, 1, C), set by fit()
        self.std = None
        self._rng = None        # for random_transform() without a seed

    # -- statistics of the data -------------------------------------------------------------

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Measure each channel's mean (and standard deviation) over ``x``, for
        ``featurewise_center`` and ``featurewise_std_normalization``.

        Args:
            x: images ``(N, H, W, C)``; ``rescale`` is applied first, as in Keras.
            augment: measure on ``rounds`` randomly transformed copies of ``x`` instead.
            seed: seeds those random transforms.
        """
        x = np.array(_images(x, "ImageDataGenerator.fit"), dtype=self.dtype)    # a copy
        if self.rescale:
            x *= self.rescale
        if augment:
            rng = np.random.default_rng(seed if seed is not None else new_seed())
            x = np.concatenate([self._transform_batch(x, rng) for _ in range(int(rounds))])
        if self.featurewise_center:
            self.mean = x.mean(axis=(0, 1, 2)).reshape(1, 1, -1)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = x.std(axis=(0, 1, 2)).reshape(1, 1, -1)

    def standardize(self, x):
        """``preprocessing_function``, ``rescale``, then the sample-wise and feature-wise
        centring and scaling, on one image ``(H, W, C)`` or a batch ``(N, H, W, C)``.

        Changes ``x`` in place when it is a float array (as Keras does) and returns it.
        The sample-wise statistics are each image's own, also in a batch.
        """
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        x = np.asarray(x)
        one_image = (1, 2, 3) if x.ndim == 4 else None      # a batch: statistics per image
        if self.samplewise_center:
            x -= np.mean(x, axis=one_image, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, axis=one_image, keepdims=True) + 1e-6
        if self.featurewise_center or self.featurewise_std_normalization:
            self._check_fitted()
        if self.featurewise_center:
            x -= self.mean
        if self.featurewise_std_normalization:
            x /= self.std + 1e-6
        return x

    def _check_fitted(self):
        missing = [name for name, stat in (("featurewise_center", self.mean),
                                           ("featurewise_std_normalization", self.std))
                   if getattr(self, name) and stat is None]
        if missing:
            raise DataError(f"ImageDataGenerator: {' and '.join(missing)}=True needs the statistics "
                            f"of the training images: call datagen.fit(x_train) first")

    # -- random transforms -------------------------------------------------------------------

    def get_random_transform(self, img_shape, seed=None):
        """Random transform parameters for one image of shape ``(H, W, C)``, as a dict
        that :meth:`apply_transform` takes (Keras's keys)."""
        rng = np.random.default_rng(seed) if seed is not None else self._own_rng()
        params = self._random_parameters(1, img_shape[0], img_shape[1], rng)
        return {key: value[0].item() for key, value in params.items()} | {
            "channel_shift_intensity": None, "brightness": None}

    def apply_transform(self, x, transform_parameters):
        """One image ``(H, W, C)`` transformed by the given parameters (Keras's keys, all
        optional): ``theta`` (degrees, anticlockwise), ``tx`` (pixels across), ``ty`` (pixels
        down), ``shear`` (degrees), ``zx``, ``zy`` (zoom across / down),
        ``flip_horizontal``, ``flip_vertical``."""
        unsupported = [key for key in ("channel_shift_intensity", "brightness")
                       if transform_parameters.get(key) is not None]
        if unsupported:
            raise ValueError(f"apply_transform: {', '.join(unsupported)} is not supported by glassnet")
        defaults = {"theta": 0.0, "tx": 0.0, "ty": 0.0, "shear": 0.0, "zx": 1.0, "zy": 1.0,
                    "flip_horizontal": False, "flip_vertical": False}
        params = {key: np.array([transform_parameters.get(key, value)]) for key, value in defaults.items()}
        x = np.asarray(x)
        return self._apply(x[np.newaxis], params)[0]

    def random_transform(self, x, seed=None):
        """One image ``(H, W, C)``, randomly transformed (``seed`` makes it repeatable)."""
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))

    def _own_rng(self):
        if self._rng is None:
            self._rng = np.random.default_rng(new_seed())
        return self._rng

    def _random_parameters(self, n, height, width, rng):
        """The parameters of ``n`` random transforms, each an array of ``n`` values."""
        zoom_low, zoom_high = self.zoom_range
        return {
            "theta": rng.uniform(-self.rotation_range, self.rotation_range, n),
            "tx": _random_shift(self.width_shift_range, width, n, rng),
            "ty": _random_shift(self.height_shift_range, height, n, rng),
            "shear": rng.uniform(-self.shear_range, self.shear_range, n),
            "zx": rng.uniform(zoom_low, zoom_high, n),
            "zy": rng.uniform(zoom_low, zoom_high, n),
            "flip_horizontal": (rng.random(n) < 0.5) & self.horizontal_flip,
            "flip_vertical": (rng.random(n) < 0.5) & self.vertical_flip,
        }

    def _transform_batch(self, x, rng):
        """A batch ``(N, H, W, C)``, each image with its own random transform."""
        n, height, width = x.shape[:3]
        return self._apply(x, self._random_parameters(n, height, width, rng))

    def _apply(self, x, params):
        """Transform each image of ``x`` ``(N, H, W, C)`` by its own parameters."""
        moved = np.any([params["theta"], params["tx"], params["ty"], params["shear"],
                        params["zx"] - 1, params["zy"] - 1])
        if moved:
            matrices, offsets = _keras_affine(params, x.shape[1], x.shape[2])
            x = warp(x.astype(self.dtype, copy=False), matrices, offsets, self.fill_mode, self.cval)
        x = np.where(params["flip_horizontal"][:, None, None, None], x[:, :, ::-1], x)
        return np.where(params["flip_vertical"][:, None, None, None], x[:, ::-1], x)

    # -- batches for fit ---------------------------------------------------------------------

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None,
             save_to_dir=None, save_prefix="", save_format="png", ignore_class_split=False,
             subset=None):
        """Batches of transformed, standardized images (and their labels), for ``fit``:
        a :class:`NumpyArrayIterator`.

        Args:
            x: images ``(N, H, W, C)``; y: their labels, or None for images alone.
            batch_size: images per batch (the last batch of a pass may be smaller).
            shuffle: a new random order every pass over the data.
            sample_weight: a weight per image: batches become ``(x, y, sample_weight)``.
            seed: makes the order and the transforms repeatable.
            subset: ``"training"`` or ``"validation"``: the generator's ``validation_split``.
            ignore_class_split: allow subsets whose classes differ.
            save_to_dir: Keras's; not supported by glassnet (an error).
        """
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle,
                                  sample_weight=sample_weight, seed=seed, save_to_dir=save_to_dir,
                                  save_prefix=save_prefix, save_format=save_format, subset=subset,
                                  ignore_class_split=ignore_class_split, dtype=self.dtype)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb", classes=None,
                            class_mode="categorical", batch_size=32, shuffle=True, seed=None,
                            save_to_dir=None, save_prefix="", save_format="png", follow_links=False,
                            subset=None, interpolation="nearest", keep_aspect_ratio=False):
        """Batches of transformed, standardized images read from ``directory``, one subfolder
        per class: a :class:`~glassnet.preprocessing.directory_iterator.DirectoryIterator`
        (its module tells the whole story).

        Args:
            directory: the folder holding one subfolder of images per class.
            target_size: ``(height, width)`` every image is resized to.
            color_mode: ``"rgb"`` (3 channels), ``"grayscale"`` (1) or ``"rgba"`` (4).
            classes: the subfolders to read, in the order of their class numbers (default:
                all of them, alphabetically).
            class_mode: the labels: ``"categorical"`` (one-hot), ``"binary"`` (0 or 1, two
                classes), ``"sparse"`` (class numbers), ``"input"`` (the images themselves)
                or None (images alone).
            batch_size, shuffle, seed: as in :meth:`flow`.
            follow_links: also read subfolders reached through symbolic links.
            subset: ``"training"`` or ``"validation"``: the generator's ``validation_split``
                of each class's files (the first ones) is the validation subset.
            interpolation: how images are resized: ``"nearest"`` (Keras's default),
                ``"bilinear"``, ``"bicubic"``, ``"hamming"``, ``"box"`` or ``"lanczos"``.
            keep_aspect_ratio: crop the middle of each image to the target's aspect ratio
                before resizing, instead of stretching it.
            save_to_dir: Keras's; not supported by glassnet (an error).
        """
        from glassnet.preprocessing.directory_iterator import DirectoryIterator    # it imports this module

        return DirectoryIterator(directory, self, target_size=target_size, color_mode=color_mode,
                                 classes=classes, class_mode=class_mode, batch_size=batch_size,
                                 shuffle=shuffle, seed=seed, save_to_dir=save_to_dir,
                                 save_prefix=save_prefix, save_format=save_format,
                                 follow_links=follow_links, subset=subset, interpolation=interpolation,
                                 keep_aspect_ratio=keep_aspect_ratio, dtype=self.dtype)

    def flow_from_dataframe(self, dataframe, *args, **kwargs):
        raise NotImplementedError("ImageDataGenerator.flow_from_dataframe is not supported by glassnet: "
                                  "use flow_from_directory (one subfolder per class), or load the images "
                                  "with load_img / img_to_array and use flow(x, y)")


class Iterator(PyDataset):
    """What :class:`NumpyArrayIterator` and :class:`DirectoryIterator` share (Keras's
    ``Iterator``): ``n`` images handed out in batches, in order or shuffled.

    * ``len(it)`` is the number of batches in one pass, ``ceil(n / batch_size)``;
    * ``it[i]`` is batch ``i`` of the current pass; ``on_epoch_end()`` starts a new pass
      (a new order when shuffling);
    * ``next(it)`` walks through the passes forever, reshuffling at the start of each.

    A subclass says how to make the batch of the images at given positions:
    ``_batch(index)``, usually with :meth:`_transformed` for the images.
    """

    where = "flow"          # the method whose batches these are, for error messages

    def __init__(self, n, batch_size, shuffle, seed, image_data_generator, dtype=None):
        super().__init__()
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(f"{self.where}: batch_size must be a positive whole number, got {batch_size!r}")
        image_data_generator._check_fitted()       # before training starts, not in its middle
        self.image_data_generator = image_data_generator
        self.dtype = np.dtype(dtype or "float32")
        self.n, self.batch_size, self.shuffle, self.seed = n, int(batch_size), bool(shuffle), seed
        self.rng = np.random.default_rng(seed if seed is not None else new_seed())
        self.index_array = None
        self.batch_index = 0             # where next() is in the current pass
        self.total_batches_seen = 0

    def __len__(self):
        return -(-self.n // self.batch_size)      # ceil(n / batch_size)

    def __getitem__(self, idx):
        if not 0 <= idx < len(self):
            raise IndexError(f"batch {idx} asked for, but there are {len(self)} (0..{len(self) - 1})")
        if self.index_array is None:
            self._set_index_array()
        self.total_batches_seen += 1
        return self._batch(self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)])

    def on_epoch_end(self):
        self._set_index_array()

    def reset(self):
        """Start ``next()`` at the beginning of a new pass."""
        self.batch_index = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.batch_index == 0:
            self._set_index_array()
        start = self.batch_index * self.batch_size
        self.batch_index = (self.batch_index + 1) % len(self)
        self.total_batches_seen += 1
        return self._batch(self.index_array[start:start + self.batch_size])

    next = __next__     # Keras 2's it.next()

    def _set_index_array(self):
        self.index_array = self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def _batch(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define _batch(index) -> one batch")

    def _transformed(self, images):
        """A batch of images ``(N, H, W, C)``, each randomly transformed, then standardized:
        what the generator does to every image it hands out (a new array)."""
        generator = self.image_data_generator
        images = generator._transform_batch(images, self.rng)
        images = np.array(images, dtype=self.dtype)      # a copy: standardize works in place
        for i in range(len(images)):                     # per image, as in Keras
            images[i] = generator.standardize(images[i])
        return images


class NumpyArrayIterator(Iterator):
    """The batches of :meth:`ImageDataGenerator.flow`: a dataset ``fit`` reads (Keras's
    ``NumpyArrayIterator``; see :class:`Iterator` for how it hands them out).

    Each batch is ``(x, y)``, ``x`` alone when there are no labels, or
    ``(x, y, sample_weight)``; its images are transformed afresh every time.
    """

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False, sample_weight=None,
                 seed=None, data_format=None, save_to_dir=None, save_prefix="", save_format="png",
                 subset=None, ignore_class_split=False, dtype=None):
        _refuse_unsupported(save_to_dir=(save_to_dir, None))
        if data_format not in (None, "channels_last"):
            raise ValueError(f"flow: data_format={data_format!r} is not supported (channels_last only)")
        if isinstance(x, (list, tuple)):
            raise DataError("flow: x must be one array of images (N, H, W, C); a list or tuple "
                            "(images plus other inputs) is not supported by glassnet")
        self.x = np.asarray(_images(x, "flow"), dtype=np.dtype(dtype or "float32"))
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        if subset is not None:
            self._take_subset(subset, image_data_generator._validation_split, ignore_class_split)
        n = len(self.x)
        if self.y is not None and len(self.y) != n:
            raise ShapeError(f"flow: x has {n} images but y has {len(self.y)} labels")
        if self.sample_weight is not None:
            if self.y is None:
                raise DataError("flow: sample_weight needs labels y (Keras would drop the weights)")
            if len(self.sample_weight) != n:
                raise ShapeError(f"flow: x has {n} images but sample_weight has {len(self.sample_weight)}")
        super().__init__(n, batch_size, shuffle, seed, image_data_generator, dtype)

    def _take_subset(self, subset, validation_split, ignore_class_split):
        """Keras's split: the first ``validation_split`` of the arrays is the validation subset."""
        if subset not in ("training", "validation"):
            raise ValueError(f"flow: subset must be 'training' or 'validation', got {subset!r}")
        if validation_split == 0:
            raise ValueError(f"flow: subset={subset!r} needs ImageDataGenerator(validation_split=...), "
                             f"e.g. 0.2")
        if self.y is not None and len(self.y) != len(self.x):
            raise ShapeError(f"flow: x has {len(self.x)} images but y has {len(self.y)} labels")
        cut = int(len(self.x) * validation_split)
        if self.y is not None and not ignore_class_split and \
                not np.array_equal(np.unique(self.y[:cut], axis=0), np.unique(self.y[cut:], axis=0)):
            raise DataError("flow: the training and validation subsets have different classes after the "
                            "split (the first part goes to validation): shuffle the arrays first if they "
                            "are sorted by label, or pass ignore_class_split=True")
        part = slice(None, cut) if subset == "validation" else slice(cut, None)
        self.x = self.x[part]
        self.y = None if self.y is None else self.y[part]
        self.sample_weight = None if self.sample_weight is None else self.sample_weight[part]
        if len(self.x) == 0:
            raise DataError(f"flow: validation_split={validation_split} leaves the {subset} subset empty")

    def _batch(self, index):
        """The images at ``index``, transformed and standardized, with their labels."""
        images = self._transformed(self.x[index])
        if self.y is None:
            return images
        if self.sample_weight is None:
            return images, self.y[index]
        return images, self.y[index], self.sample_weight[index]


# -- the geometry ---------------------------------------------------------------------------

def _keras_affine(params, height, width):
    """Keras's ``apply_affine_transform`` as matrices and offsets in (row, col) pixels.

    In (x, y) = (across, down), about the centre ``c``::

        input = R @ (S @ Z @ (output - c) + t) + c = L @ (output - c) + R @ t + c

    ``R`` turns by ``theta``, ``S`` slants by ``shear``, ``Z`` scales by ``(zx, zy)``, ``t`` is
    ``(tx, ty)``. NumPy indexes (row, col) = (y, x): swapping both axes of ``L`` and the
    order of the offset turns one into the other.
    """
    theta, shear = np.deg2rad(params["theta"]), np.deg2rad(params["shear"])
    n = len(theta)
    cos, sin = np.cos(theta), np.sin(theta)
    rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)      # (n, 2, 2)
    slant = np.zeros((n, 2, 2))
    slant[:, 0, 0], slant[:, 0, 1], slant[:, 1, 1] = 1, -np.sin(shear), np.cos(shear)
    zoom = np.zeros((n, 2, 2))
    zoom[:, 0, 0], zoom[:, 1, 1] = params["zx"], params["zy"]
    linear = rotation @ slant @ zoom
    shift = np.stack([params["tx"], params["ty"]], -1).astype(np.float64)               # (n, 2)
    centre = np.array([(width - 1) / 2, (height - 1) / 2])
    offset = (rotation @ shift[..., np.newaxis])[..., 0] + centre - linear @ centre      # (n, 2)
    return linear[:, ::-1, ::-1], offset[:, ::-1]


def _random_shift(shift_range, size, n, rng):
    """``n`` random shifts in pixels, drawn as Keras draws them from ``*_shift_range``."""
    if np.ndim(shift_range) == 1:                 # one of the listed values, either way
        shift = rng.choice(shift_range, n) * rng.choice([-1, 1], n)
    elif isinstance(shift_range, numbers.Integral):    # 0..k-1 pixels, either way
        shift = rng.integers(0, max(shift_range, 1), n) * rng.choice([-1, 1], n)
    else:
        shift = rng.uniform(-shift_range, shift_range, n)
    if np.size(shift_range) and np.max(shift_range) < 1:     # a fraction of the size
        shift = shift * size
    return shift.astype(np.float64)


# -- checking the arguments -----------------------------------------------------------------

def _refuse_unsupported(**settings):
    """One error naming every setting that differs from the only value glassnet supports."""
    changed = [f"{name}={value!r}" for name, (value, default) in settings.items()
               if not (value is default or (value is not None and default is not None and value == default))]
    if changed:
        raise ValueError(f"ImageDataGenerator: {', '.join(changed)} is not supported by glassnet "
                         f"(leave {'it' if len(changed) == 1 else 'them'} at Keras's default)")


def _non_negative(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
        raise ValueError(f"ImageDataGenerator: {name} must be a number >= 0, got {value!r}")
    return value


def _shift_range(name, value):
    if isinstance(value, (list, tuple, np.ndarray)):
        values = np.asarray(value, dtype=np.float64).ravel()
        if values.size == 0 or (values < 0).any():
            raise ValueError(f"ImageDataGenerator: {name} must hold numbers >= 0, got {value!r}")
        return values
    return _non_negative(name, value)


def _zoom_range(zoom_range):
    if isinstance(zoom_range, numbers.Real) and not isinstance(zoom_range, bool):
        low, high = 1 - zoom_range, 1 + zoom_range
    elif isinstance(zoom_range, (list, tuple)) and len(zoom_range) == 2 and \
            all(isinstance(v, numbers.Real) for v in zoom_range):
        low, high = zoom_range
    else:
        raise ValueError(f"ImageDataGenerator: zoom_range must be a number or [low, high], got {zoom_range!r}")
    if not 0 < low <= high:
        raise ValueError(f"ImageDataGenerator: zoom factors must be > 0 (a factor <= 0 mirrors or "
                         f"collapses the image), got [{low}, {high}]")
    return [float(low), float(high)]


def _images(x, where):
    """``x`` as a batch of images ``(N, H, W, C)``, or one clear error with the fix."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise DataError(f"{where}: expected images of numbers, got an array of dtype {x.dtype}")
    if x.ndim == 3:
        raise ShapeError(f"{where}: expected images (N, height, width, channels), got {x.shape}; "
                         f"add the channel axis: x.reshape(-1, {x.shape[1]}, {x.shape[2]}, 1)")
    if x.ndim != 4:
        raise ShapeError(f"{where}: expected images (N, height, width, channels), got shape {x.shape}")
    if x.shape[3] not in (1, 3, 4):
        warnings.warn(f"{where}: images have {x.shape[3]} channels (expected 1, 3 or 4): is the "
                      f"channel axis last?", stacklevel=3)
    return x


def __getattr__(name):
    """``DirectoryIterator`` lives in its own module, which builds on this one; it is found
    here too, where Keras has it (``keras.preprocessing.image.DirectoryIterator``)."""
    if name == "DirectoryIterator":
        from glassnet.preprocessing.directory_iterator import DirectoryIterator
        return DirectoryIterator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ImageDataGenerator", "Iterator", "NumpyArrayIterator", "array_to_img",
           "img_to_array", "load_img", "save_img"]
