"""``glassnet.saving``: Keras 3's ``keras.saving``, where its documentation loads and saves.

    model = keras.saving.load_model("final_model.keras")

@keras.saving.register_keras_serializable() marks a custom class for Keras; in glassnet
every Layer subclass registers itself when it is defined (see docs/custom_layers.md), so
the decorator only gives the class back.
"""

from glassnet.engine.layers.base import LAYERS, Layer
from glassnet.engine.saving import load_model
from glassnet.models import save_model


def register_keras_serializable(package="Custom", name=None):
    """Keras's decorator for custom classes: here a layer class is already known by its class
    name (``name=`` adds it under that one too); anything else is given back as it is."""
    def register(obj):
        if isinstance(name, str) and isinstance(obj, type) and issubclass(obj, Layer):
            LAYERS.setdefault(name, obj)
        return obj
    return register


def get_custom_objects():
    """The classes a saved model can name, by class name (glassnet's layers and yours)."""
    return LAYERS


__all__ = ["get_custom_objects", "load_model", "register_keras_serializable", "save_model"]
