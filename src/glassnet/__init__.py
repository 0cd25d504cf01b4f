"""glassnet: a deep-learning library written from scratch in NumPy, with the Keras API.

    from glassnet import Sequential
    from glassnet.layers import Dense, Dropout, Flatten

The package is laid out the way the ideas depend on each other:

* ``glassnet.engine``: layers, losses, optimizers, callbacks, the model (NumPy only);
* ``glassnet.datasets``: MNIST, Fashion-MNIST, Kaggle CSV files, the offline sample;
* ``glassnet.workbench``: metrics, pictures, reports, reading your own handwriting;
* ``glassnet.interfaces``: the ``glassnet`` command and the drawing web page.
"""

from glassnet.engine import callbacks, initializers, losses, optimizers, regularizers
from glassnet.engine import layers
from glassnet.engine.model import Sequential
from glassnet.engine.saving import load_model
from glassnet.workbench import metrics

__version__ = "0.1.0"


def read_number(model, image, name=None):
    """Read a whole handwritten number: see :func:`glassnet.workbench.reader.read_number`.

    The reader is imported on first use, so ``import glassnet`` doesn't load SciPy.
    """
    from glassnet.workbench.reader import read_number as read
    return read(model, image, name)


# Keras users write ``from keras.layers import Dense``; make ``from glassnet.layers import
# Dense`` (and the same for the other engine modules) work by registering the engine's
# modules under the short names too.
import sys as _sys

for _module in (layers, losses, optimizers, callbacks, initializers, regularizers, metrics):
    _sys.modules[f"glassnet.{_module.__name__.rsplit('.', 1)[-1]}"] = _module

__all__ = ["Sequential", "load_model", "layers", "losses", "optimizers", "callbacks",
           "initializers", "regularizers", "metrics", "read_number", "__version__"]
