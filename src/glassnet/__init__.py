"""glassnet: a deep-learning library written from scratch in NumPy, with the Keras API.

A Keras program runs with its imports changed::

    from glassnet import layers, models        # was: from tensorflow.keras import layers, models
    import glassnet as keras                   # was: import keras
    import glassnet as tf                      # was: import tensorflow as tf (then tf.keras...)

The package is laid out the way the ideas depend on each other:

* ``glassnet.engine``: layers, losses, optimizers, callbacks, the model (NumPy only);
* ``glassnet.datasets``: MNIST, Fashion-MNIST, Kaggle CSV files, the offline sample, and the rest of Keras's (CIFAR-10/100, IMDB, Reuters, Boston and California housing);
* ``glassnet.workbench``: metrics, pictures, reports, reading your own handwriting;
* ``glassnet.interfaces``: the ``glassnet`` command and the drawing web page.

and, for Keras programs, the modules under Keras's names: ``glassnet.layers``,
``glassnet.models``, ``glassnet.optimizers`` (and ``.schedules``), ``glassnet.losses``,
``glassnet.metrics``, ``glassnet.callbacks``, ``glassnet.activations``,
``glassnet.initializers``, ``glassnet.regularizers``, ``glassnet.constraints``, ``glassnet.utils``,
``glassnet.datasets``, ``glassnet.backend``, ``glassnet.preprocessing``, ``glassnet.ops``, ``glassnet.saving``, ``glassnet.config``.
"""

import sys as _sys
import types as _types

from glassnet import backend, config, datasets, utils
from glassnet.engine import (activations_api as activations, callbacks, constraints, initializers, layers,
                             losses, metrics, optimizers, regularizers, schedules)
from glassnet.engine.layers import Input, Layer
from glassnet.engine.initializers import Initializer
from glassnet.engine.losses import Loss
from glassnet.engine.metrics import Metric
from glassnet.engine.optimizers import Optimizer
from glassnet.engine.regularizers import Regularizer
from glassnet.engine.variables import Variable
from glassnet.engine.model import Model
from glassnet.engine.tape import GradientTape
from glassnet.engine.saving import load_model
from glassnet.engine.sequential import Sequential
from glassnet import models, nn, ops, preprocessing, saving, wrappers

__version__ = "0.2.0"


def version():
    """glassnet's version (Keras 3's ``keras.version()`` gives Keras's)."""
    return __version__


def diagnose(model, x, y, **options):
    """Check a network the way an experienced practitioner would before training it for
    hours: see :func:`glassnet.workbench.doctor.diagnose`."""
    from glassnet.workbench.doctor import diagnose as run
    return run(model, x, y, **options)


def read_number(model, image, name=None):
    """Read a whole handwritten number: see :func:`glassnet.workbench.reader.read_number`.

    The reader is imported on first use, so ``import glassnet`` doesn't load SciPy.
    """
    from glassnet.workbench.reader import read_number as read
    return read(model, image, name)


# Keras users write ``from keras.layers import Dense``; make ``from glassnet.layers import
# Dense`` (and the same for the other engine modules) work by registering the engine's
# modules under the short names too.
for _name, _module in (("layers", layers), ("losses", losses), ("optimizers", optimizers),
                      ("callbacks", callbacks), ("initializers", initializers),
                      ("regularizers", regularizers), ("constraints", constraints), ("metrics", metrics),
                      ("activations", activations)):
    _sys.modules[f"glassnet.{_name}"] = _module
optimizers.schedules = schedules
_sys.modules["glassnet.optimizers.schedules"] = schedules

# Keras 2's module paths, still in the most-copied MNIST tutorials: ``from keras.layers.core
# import Dense``, ``from keras.layers.convolutional import Conv2D``, ``from keras.utils import
# np_utils`` (then ``np_utils.to_categorical``), ``from keras.utils.vis_utils import plot_model``.
# They are the same layers and functions.
for _name in ("core", "convolutional", "normalization", "recurrent", "advanced_activations", "merging",
              "reshaping", "regularization", "embeddings"):
    _sys.modules.setdefault(f"glassnet.layers.{_name}", layers)
np_utils = _types.ModuleType("glassnet.utils.np_utils", "Keras 2's keras.utils.np_utils: to_categorical, normalize")
np_utils.to_categorical, np_utils.normalize = utils.to_categorical, utils.normalize
utils.np_utils = np_utils
_sys.modules["glassnet.utils.np_utils"] = np_utils
# ``from keras.utils.vis_utils import plot_model``: Keras 2's home of plot_model.
vis_utils = _types.ModuleType("glassnet.utils.vis_utils", "Keras 2's keras.utils.vis_utils: plot_model")
vis_utils.plot_model = utils.plot_model
utils.vis_utils = vis_utils
_sys.modules["glassnet.utils.vis_utils"] = vis_utils
# TensorFlow 2.3-2.5's home of the preprocessing layers, in its augmentation and regression
# tutorials: ``from tensorflow.keras.layers.experimental import preprocessing``, then
# ``preprocessing.RandomFlip(...)``, ``preprocessing.Normalization()``. The same layers.
layers.experimental = _types.ModuleType("glassnet.layers.experimental", "tf.keras.layers.experimental")
layers.experimental.preprocessing = layers
for _prefix in ("glassnet", "glassnet.keras"):
    _sys.modules[f"{_prefix}.layers.experimental"] = layers.experimental
    _sys.modules[f"{_prefix}.layers.experimental.preprocessing"] = layers
# tf.keras.optimizers.legacy (TensorFlow 2.11-2.15's advice on Apple silicon): the same optimizers.
optimizers.legacy = _types.ModuleType("glassnet.optimizers.legacy", "tf.keras.optimizers.legacy: the optimizers")
for _name in ("SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam"):
    setattr(optimizers.legacy, _name, getattr(optimizers, _name))
_sys.modules["glassnet.optimizers.legacy"] = optimizers.legacy

# keras.mixed_precision (the performance guides' set_global_policy("mixed_float16")): glassnet
# computes in float32, which it accepts; another policy is refused in one line by keras.config.
mixed_precision = _types.ModuleType("glassnet.mixed_precision", "keras.mixed_precision: float32 only")
mixed_precision.set_global_policy, mixed_precision.global_policy = config.set_dtype_policy, config.dtype_policy
_sys.modules["glassnet.mixed_precision"] = mixed_precision

# The TensorFlow functions TensorFlow's MNIST tutorials call around the model (tf.newaxis,
# tf.random.normal, tf.clip_by_value, tf.math.confusion_matrix...), on NumPy arrays.
from glassnet import tf_functions as _tf_functions  # noqa: E402
for _name in _tf_functions.NAMES:
    globals()[_name] = getattr(_tf_functions, _name)
# keras.random as a module path too: ``from keras.random import SeedGenerator, normal``.
_sys.modules["glassnet.random"] = _tf_functions.random
# tf.strings.lower, tf.strings.regex_replace...: the text tutorials' custom_standardization.
from glassnet import tf_strings as strings  # noqa: E402
# tf.RaggedTensor (tf.strings.unicode_split's rows), tf.SparseTensor and tf.sparse.to_dense.
from glassnet.tf_ragged import RaggedTensor, SparseTensor  # noqa: E402
from glassnet import tf_ragged as _tf_ragged  # noqa: E402
sparse = _types.SimpleNamespace(to_dense=_tf_ragged.to_dense, SparseTensor=SparseTensor)
string = "string"     # tf.string: Input(shape=(1,), dtype=tf.string)

# TensorFlow programs write ``import tensorflow as tf`` and then ``tf.keras.layers.Dense``;
# with ``import glassnet as tf``, ``tf.keras`` is glassnet itself (and ``glassnet.keras.layers``
# is ``glassnet.layers``), while ``tf.nn.softmax`` comes from :mod:`glassnet.nn`.
keras = _sys.modules[__name__]
_sys.modules["glassnet.keras"] = keras
for _name in ("layers", "losses", "optimizers", "callbacks", "initializers", "regularizers", "constraints", "metrics",
              "activations", "models", "utils", "datasets", "backend", "optimizers.schedules",
              "preprocessing", "preprocessing.image", "preprocessing.sequence", "preprocessing.text", "ops",
              "saving", "config",
              "mixed_precision"):
    _sys.modules[f"glassnet.keras.{_name}"] = _sys.modules[f"glassnet.{_name}"]

# What a TensorFlow program may reach for that glassnet doesn't have, and what to do instead.
_NOT_HERE = {
    "applications": "keras.applications' pretrained ImageNet models (Xception, ResNet50, "
                    "MobileNetV2...) are not part of glassnet: build the base model from layers "
                    "(a small convnet), or load one saved as .keras with keras.models.load_model",
    "saved_model": "TensorFlow's SavedModel is not a glassnet format: save with "
                   "model.save('my_model.keras') and load with keras.models.load_model",
    "lite": "TensorFlow Lite is not part of glassnet: export with model.export('model.onnx') "
            "and convert that, or save as .keras and convert it with TensorFlow",
    "train": "tf.train's checkpoints are TensorFlow's: save with model.save_weights('cp.weights.h5') "
             "(or ModelCheckpoint(..., save_weights_only=True)) and restore with model.load_weights",
    "Module": "tf.Module is TensorFlow's: write a keras.layers.Layer (weights made with "
              "self.add_weight in build, the math in call) or a keras.Model",
}


# tf.data (Dataset, AUTOTUNE...): glassnet.tf_data, as ``tf.data`` and ``glassnet.data``; and
# tf.TensorSpec, the shape and dtype from_generator's output_signature gives.
from glassnet import tf_data as data  # noqa: E402
from glassnet.tf_data import TensorSpec  # noqa: E402
_sys.modules["glassnet.data"] = data
# tf.image (decode, convert_image_dtype, resize, flips, crops...) and tf.io (read_file, decode_png...).
from glassnet import tf_image as image, tf_io as io  # noqa: E402


def __getattr__(name):
    if name in _NOT_HERE:
        raise AttributeError(f"glassnet has no {name}: {_NOT_HERE[name]}")
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")


__all__ = ["GradientTape", "Initializer", "Input", "Layer", "Loss", "Metric", "Model", "Optimizer", "RaggedTensor",
           "Regularizer", "Sequential", "SparseTensor", "sparse",
           "TensorSpec", "data",
           "image", "io",
           "Variable",
           "activations", "backend", "callbacks", "config", "datasets", "diagnose",
           "initializers", "keras", "layers", "load_model", "losses", "metrics", "mixed_precision", "models", "nn", "ops", "saving",
           "optimizers", "preprocessing", "read_number", "regularizers", "constraints", "strings", "utils", "version", "wrappers",
           "__version__"]
