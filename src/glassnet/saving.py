"""``glassnet.saving``: Keras 3's ``keras.saving``, where its documentation loads and saves.

    model = keras.saving.load_model("final_model.keras")

@keras.saving.register_keras_serializable() marks a custom object for saving. In glassnet
every Layer subclass registers itself when it is defined (see docs/custom_layers.md); a
function, such as a loss of your own, is filed under Keras's name ``"package>name"``, which
a saved model writes down and loading looks up (or pass ``custom_objects=`` to load_model).
"""

import importlib

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


# Where Keras keeps each kind of built-in object, and where glassnet does
KERAS_MODULES = {"keras.layers": "glassnet.engine.layers", "keras.regularizers": "glassnet.engine.regularizers",
                 "keras.initializers": "glassnet.engine.initializers",
                 "keras.constraints": "glassnet.engine.constraints", "keras.losses": "glassnet.engine.losses",
                 "keras.metrics": "glassnet.engine.metrics", "keras.optimizers": "glassnet.engine.optimizers"}


def serialize_keras_object(obj):
    """Keras's description of an object, ``{"module", "class_name", "config", "registered_name"}``:
    a layer, a weight penalty, initializer, constraint, loss, metric or optimizer (by its
    ``get_config``), a function (by its registered name); numbers, strings, lists and dicts
    of them as they are. :func:`deserialize_keras_object` makes the object again."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if callable(obj) and not hasattr(obj, "get_config"):          # a function of the program's own
        return {"module": "builtins", "class_name": "function", "config": get_registered_name(obj),
                "registered_name": "function"}
    module = type(obj).__module__
    keras_module = next((keras for keras, ours in KERAS_MODULES.items()
                         if module == ours or module.startswith(ours + ".")), module)
    return {"module": keras_module, "class_name": type(obj).__name__, "config": obj.get_config(),
            "registered_name": configurable.registered_name(type(obj))}


def deserialize_keras_object(config, custom_objects=None):
    """The object :func:`serialize_keras_object` (or Keras) described: its class found among
    ``custom_objects``, the registered ones, glassnet's layers, or glassnet's module for
    Keras's (``keras.regularizers`` -> ``glassnet.engine.regularizers``), then
    ``from_config``. A description of nothing glassnet knows is a ValueError naming it."""
    if not isinstance(config, dict) or "class_name" not in config:
        return config
    class_name, inner = config["class_name"], config.get("config")
    with custom_object_scope(custom_objects):
        if class_name == "function":
            found = configurable.find_registered(inner)
            if not callable(found):
                raise ValueError(f"deserialize_keras_object: the function {inner!r} is neither registered "
                                 f"nor in custom_objects")
            return found
        cls = configurable.find_registered(config.get("registered_name")) or \
            configurable.find_registered(class_name) or LAYERS.get(class_name)
    if cls is None and config.get("module") in KERAS_MODULES:
        cls = getattr(importlib.import_module(KERAS_MODULES[config["module"]]), class_name, None)
    if not isinstance(cls, type) or not hasattr(cls, "from_config"):
        raise ValueError(f"deserialize_keras_object: glassnet has no {class_name!r} "
                         f"(module {config.get('module')!r}); register it or pass it in custom_objects")
    return cls.from_config(inner or {})


CustomObjectScope = custom_object_scope      # Keras's class name for the same scope


def save_weights(model, filepath, overwrite=True):
    """Keras 3's ``keras.saving.save_weights(model, filepath)``: ``model.save_weights(filepath)``."""
    return model.save_weights(filepath, overwrite=overwrite)


def load_weights(model, filepath, skip_mismatch=False):
    """Keras 3's ``keras.saving.load_weights(model, filepath)``: ``model.load_weights(filepath)``."""
    return model.load_weights(filepath, skip_mismatch=skip_mismatch)


__all__ = ["CustomObjectScope", "load_weights", "save_weights", "custom_object_scope", "deserialize_keras_object", "serialize_keras_object", "get_custom_objects", "get_registered_name", "get_registered_object",
           "load_model", "register_keras_serializable", "save_model"]
