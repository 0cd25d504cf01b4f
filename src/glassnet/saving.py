"""``glassnet.saving``: Keras 3's ``keras.saving``, where its documentation loads and saves.

    model = keras.saving.load_model("final_model.keras")

@keras.saving.register_keras_serializable() marks a custom object for saving. In glassnet
every Layer subclass registers itself when it is defined (see docs/custom_layers.md); a
function, such as a loss of your own, is filed under Keras's name ``"package>name"``, which
a saved model writes down and loading looks up (or pass ``custom_objects=`` to load_model).
"""

from glassnet.engine import configurable
from glassnet.engine.configurable import custom_object_scope
from glassnet.engine.layers.base import LAYERS, Layer
from glassnet.engine.saving import load_model
from glassnet.models import save_model


def register_keras_serializable(package="Custom", name=None):
    """Keras's decorator for custom objects: a layer class is known by its class name already
    (``name=`` adds it under that one too); anything is filed under ``"package>name"``."""
    def register(obj):
        if isinstance(name, str) and isinstance(obj, type) and issubclass(obj, Layer):
            LAYERS.setdefault(name, obj)
        configurable.register(obj, package, name)
        return obj
    return register


def get_registered_name(obj):
    """The name ``obj`` was registered under (``"package>name"``), else its own ``__name__``."""
    return configurable.registered_name(obj) or getattr(obj, "__name__", None)


def get_registered_object(name, custom_objects=None):
    """The object registered (or given in ``custom_objects``) as ``name``, else None."""
    with custom_object_scope(custom_objects):
        return configurable.find_registered(name)


def get_custom_objects():
    """The classes a saved model can name, by class name (glassnet's layers and yours)."""
    return LAYERS


__all__ = ["custom_object_scope", "get_custom_objects", "get_registered_name", "get_registered_object",
           "load_model", "register_keras_serializable", "save_model"]
