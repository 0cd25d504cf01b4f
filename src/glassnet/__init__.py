"""glassnet: a deep-learning library written from scratch in NumPy, with the Keras API.

A Keras program runs with its imports changed::

    from glassnet import layers, models        # was: from tensorflow.keras import layers, models
    import glassnet as keras                   # was: import keras

The package is laid out the way the ideas depend on each other:

* ``glassnet.engine``: layers, losses, optimizers, callbacks, the model (NumPy only);
* ``glassnet.datasets``: MNIST, Fashion-MNIST, Kaggle CSV files, the offline sample;
* ``glassnet.workbench``: metrics, pictures, reports, reading your own handwriting;
* ``glassnet.interfaces``: the ``glassnet`` command and the drawing web page.

and, for Keras programs, the modules under Keras's names: ``glassnet.layers``,
``glassnet.models``, ``glassnet.optimizers`` (and ``.schedules``), ``glassnet.losses``,
``glassnet.metrics``, ``glassnet.callbacks``, ``glassnet.activations``,
``glassnet.initializers``, ``glassnet.regularizers``, ``glassnet.utils``,
``glassnet.datasets``.
"""

import sys as _sys

from glassnet import datasets
from glassnet.engine import (callbacks, initializers, layers, losses, metrics, optimizers,
                             regularizers, schedules)
from glassnet.engine.layers import Input
from glassnet.engine.model import Model
from glassnet.engine.saving import load_model
from glassnet.engine.sequential import Sequential
from glassnet import models

__version__ = "0.2.0"


def read_number(model, image, name=None):
    """Read a whole handwritten number: see :func:`glassnet.workbench.reader.read_number`.

    The reader is imported on first use, so ``import glassnet`` doesn't load SciPy.
    """
    from glassnet.workbench.reader import read_number as read
    return read(model, image, name)


# Keras users write ``from keras.layers import Dense``; make ``from glassnet.layers import
# Dense`` (and the same for the other engine modules) work by registering the engine's
# modules under the short names too.
for _module in (layers, losses, optimizers, callbacks, initializers, regularizers, metrics):
    _sys.modules[f"glassnet.{_module.__name__.rsplit('.', 1)[-1]}"] = _module
optimizers.schedules = schedules
_sys.modules["glassnet.optimizers.schedules"] = schedules

__all__ = ["Input", "Model", "Sequential", "callbacks", "datasets", "initializers", "layers",
           "load_model", "losses", "metrics", "models", "optimizers", "read_number",
           "regularizers", "__version__"]
