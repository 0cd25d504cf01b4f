"""``glassnet.utils``: Keras's small helpers, for programs that write ``keras.utils.X``.

* :func:`to_categorical`: class numbers to one-hot rows;
* :func:`normalize`: scale vectors to length 1;
* :func:`set_random_seed`: make a whole program repeatable;
* :func:`plot_model`: a picture of a model's layers, drawn with matplotlib (no Graphviz);
* :class:`PyDataset` (also called :class:`Sequence`): a dataset that hands ``fit`` one batch
  at a time, for data that doesn't fit in memory or is made on the fly;
* :func:`load_img`, :func:`img_to_array`, :func:`array_to_img`, :func:`save_img`: image files
  to arrays and back (from :mod:`glassnet.preprocessing.image_utils`);
* :func:`get_file`: a file from the web, downloaded once into Keras's cache folder;
* :func:`image_dataset_from_directory`: a folder of images, one subfolder per class, as
  batches for ``fit`` (your own digits, photographed); :func:`text_dataset_from_directory`
  the same for ``.txt`` files (IMDB's reviews);
* :func:`pad_sequences` and :func:`timeseries_dataset_from_array`: sequences padded to one
  length, and windows cut from a long series (from :mod:`glassnet.preprocessing.sequence`).
* :class:`FeatureSpace`: a table's columns, each declared once (normalized, binned, looked up,
  hashed, crossed), encoded into one vector per row (from :mod:`glassnet.engine.feature_space`).
"""

import warnings

import numpy as np

from glassnet.backend import clear_session     # keras.utils.clear_session is the same
from glassnet.engine.random import set_random_seed
from glassnet.errors import DataError


def to_categorical(x, num_classes=None):
    """One-hot rows from class numbers: ``to_categorical([2, 0], 3)`` ->
    ``[[0, 0, 1], [1, 0, 0]]``.

    Args:
        x: class numbers, any shape (a trailing axis of size 1 is dropped, as Keras does).
        num_classes: the number of classes; default: the largest class number + 1.

    Returns:
        float32 array of shape ``x.shape + (num_classes,)`` (Keras 3 returns float64; glassnet
        keeps float32 from the data boundary on).
    """
    x = np.asarray(x)
    if x.dtype.kind not in "biuf" or (x.dtype.kind == "f" and not np.all(x == np.round(x))):
        raise DataError(f"to_categorical: expected whole class numbers, got {x.dtype} values")
    shape = x.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = x.reshape(-1).astype(np.int64)
    if labels.size and labels.min() < 0:
        raise DataError(f"to_categorical: class numbers must be >= 0, got {labels.min()}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    elif labels.size and labels.max() >= num_classes:
        raise DataError(f"to_categorical: class number {labels.max()} doesn't fit "
                        f"num_classes={num_classes} (0..{num_classes - 1})")
    out = np.zeros((labels.size, int(num_classes)), dtype=np.float32)
    out[np.arange(labels.size), labels] = 1
    return out.reshape(shape + (int(num_classes),))


def normalize(x, axis=-1, order=2):
    """``x`` divided by its norm along ``axis`` (the L2 norm by default); zero vectors stay zero."""
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis if axis is not None else -1)


class PyDataset:
    """A dataset that ``fit`` reads one batch at a time (Keras 3's ``PyDataset``).

    Subclass it with two methods::

        class Digits(PyDataset):
            def __init__(self, x, y, batch_size):
                super().__init__()
                self.x, self.y, self.batch_size = x, y, batch_size

            def __len__(self):                        # batches per epoch
                return math.ceil(len(self.x) / self.batch_size)

            def __getitem__(self, index):             # batch number ``index``
                part = slice(index * self.batch_size, (index + 1) * self.batch_size)
                return self.x[part], self.y[part]     # or (x, y, sample_weight)

        model.fit(Digits(x_train, y_train, 64), epochs=5)

    ``on_epoch_begin`` and ``on_epoch_end`` run around every epoch (shuffle there).

    Args:
        workers, use_multiprocessing, max_queue_size: Keras reads batches ahead in other
            threads or processes; glassnet reads them in the training loop, one at a time.
            Asking for more than one worker gives a warning saying so.
    """

    workers = 1
    use_multiprocessing = False
    max_queue_size = 10

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        if workers != 1 or use_multiprocessing:
            warnings.warn(f"{type(self).__name__}: glassnet reads batches in the training loop, "
                          f"one at a time; workers={workers}, use_multiprocessing={use_multiprocessing} "
                          f"change nothing", RuntimeWarning, stacklevel=2)
        self.workers, self.use_multiprocessing = workers, use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index) -> one batch")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__() -> batches per epoch")

    @property
    def num_batches(self):
        """Batches per epoch (``len(self)``), or None when the dataset has no length."""
        try:
            return len(self)
        except NotImplementedError:
            return None

    def on_epoch_begin(self):
        """Called before each epoch."""

    def on_epoch_end(self):
        """Called after each epoch: the place to shuffle."""


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """Draw ``model``'s layers and connections into ``to_file``, as Keras's ``plot_model``.

    Keras 3's arguments and defaults, drawn with matplotlib instead of pydot and Graphviz;
    see :func:`glassnet.workbench.plots.model_graph.plot_model` for every argument. (The
    import happens here, on the call, so ``import glassnet`` never imports matplotlib.)
    """
    from glassnet.workbench.plots.model_graph import plot_model as draw
    return draw(model, to_file, show_shapes=show_shapes, show_dtype=show_dtype,
                show_layer_names=show_layer_names, rankdir=rankdir, expand_nested=expand_nested,
                dpi=dpi, show_layer_activations=show_layer_activations,
                show_trainable=show_trainable, splines=splines, **kwargs)


# Keras 2's name, kept by Keras 3 as an alias.
Sequence = PyDataset


def image_dataset_from_directory(*args, **kwargs):
    """A folder of images, one subfolder per class, as batches for ``fit``: see
    :func:`glassnet.preprocessing.image_dataset.image_dataset_from_directory`."""
    from glassnet.preprocessing.image_dataset import image_dataset_from_directory as read
    return read(*args, **kwargs)


def get_file(*args, **kwargs):
    """A file from the web, downloaded once into ``~/.keras/datasets`` (and unpacked if asked):
    see :func:`glassnet.datasets.get_file.get_file`."""
    from glassnet.datasets.get_file import get_file as fetch
    return fetch(*args, **kwargs)


def text_dataset_from_directory(*args, **kwargs):
    """A folder of ``.txt`` files, one subfolder per class, as batches of texts and labels:
    see :func:`glassnet.preprocessing.text_dataset.text_dataset_from_directory`."""
    from glassnet.preprocessing.text_dataset import text_dataset_from_directory as read
    return read(*args, **kwargs)


def audio_dataset_from_directory(*args, **kwargs):
    raise NotImplementedError("glassnet has no audio_dataset_from_directory: read the sound files into NumPy "
                              "arrays (scipy.io.wavfile) and pass them to fit")


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Keras's splits arrays or a tf.data.Dataset into two datasets; glassnet's doesn't yet."""
    raise NotImplementedError("glassnet has no split_dataset: slice the arrays, use take(n) and skip(n) on a "
                              "tf.data.Dataset, or pass validation_split= to fit")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``: what a batch of ``fit`` looks like."""
    return (x,) if y is None else (x, y) if sample_weight is None else (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a batch, None for what it lacks (as ``fit`` reads one)."""
    from glassnet.engine.data import _split_batch
    return _split_batch(tuple(data) if isinstance(data, list) else data, "unpack_x_y_sample_weight")


def get_custom_objects():
    """The classes a saved model can name (see :mod:`glassnet.saving`)."""
    from glassnet.saving import get_custom_objects as registry
    return registry()


def register_keras_serializable(package="Custom", name=None):
    """Keras's decorator for custom classes (see :mod:`glassnet.saving`)."""
    from glassnet.saving import register_keras_serializable as register
    return register(package, name)


def custom_object_scope(*custom_objects):
    """``with keras.utils.custom_object_scope({"my_loss": my_loss}): load_model(...)`` (see
    :mod:`glassnet.saving`)."""
    from glassnet.engine.configurable import custom_object_scope as scope
    return scope(*custom_objects)


CustomObjectScope = custom_object_scope      # Keras's class name for the same scope


def serialize_keras_object(obj):
    """Keras's description of an object (see :func:`glassnet.saving.serialize_keras_object`)."""
    from glassnet.saving import serialize_keras_object as serialize
    return serialize(obj)


def deserialize_keras_object(config, custom_objects=None, **kwargs):
    """The object a description names (see :func:`glassnet.saving.deserialize_keras_object`)."""
    from glassnet.saving import deserialize_keras_object as deserialize
    return deserialize(config, custom_objects)


def get_registered_name(obj):
    """The name ``obj`` was registered under (see :mod:`glassnet.saving`)."""
    from glassnet.saving import get_registered_name as name
    return name(obj)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered (or given) as ``name``, else None (see :mod:`glassnet.saving`)."""
    from glassnet.saving import get_registered_object as find
    return find(name, {**(module_objects or {}), **(custom_objects or {})})


def get_source_inputs(tensor):
    """The ``Input`` placeholders a placeholder is computed from, depth first, each once
    (Keras's ``keras.utils.get_source_inputs``); an ``Input`` itself gives ``[itself]``."""
    node = getattr(tensor, "node", None)
    if node is None or not node.inputs:              # an Input (or not a placeholder at all)
        return [tensor]
    found = []
    for inner in node.inputs:
        found += [source for source in get_source_inputs(inner) if all(source is not f for f in found)]
    return found


def is_keras_tensor(x):
    """True for a placeholder made by ``Input(...)`` or a layer called on one."""
    from glassnet.backend import is_keras_tensor as symbolic
    return symbolic(x)


def standardize_dtype(dtype):
    """Keras's name of a dtype: ``"float32"``, ``"int64"``, ``"bool"`` (see :mod:`glassnet.backend`)."""
    from glassnet.backend import standardize_dtype as standardize
    return standardize(dtype)


from glassnet.progbar import Progbar  # noqa: E402

# Imported last: glassnet.preprocessing.image builds on PyDataset above.
from glassnet.preprocessing.image_utils import array_to_img, img_to_array, load_img, save_img  # noqa: E402
from glassnet.preprocessing.sequence import pad_sequences, timeseries_dataset_from_array  # noqa: E402

__all__ = ["PyDataset", "Sequence", "array_to_img", "clear_session", "custom_object_scope", "get_custom_objects", "get_file",
           "image_dataset_from_directory", "img_to_array", "load_img", "normalize", "pack_x_y_sample_weight",
           "pad_sequences", "plot_model", "register_keras_serializable", "save_img", "set_random_seed", "split_dataset",
           "text_dataset_from_directory", "audio_dataset_from_directory",
           "timeseries_dataset_from_array", "to_categorical", "unpack_x_y_sample_weight",
           "CustomObjectScope", "Progbar", "deserialize_keras_object", "get_registered_name", "get_registered_object",
           "get_source_inputs", "is_keras_tensor", "serialize_keras_object", "standardize_dtype"]

# keras.utils.FeatureSpace: a table's columns declared once, encoded into one vector per row.
from glassnet.engine.feature_space import FeatureSpace  # noqa: E402
__all__ += ["FeatureSpace"]
