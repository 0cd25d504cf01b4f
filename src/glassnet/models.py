"""``glassnet.models``: where Keras keeps its model classes (``keras.models``).

    from glassnet.models import Sequential, Model, load_model, clone_model
"""

import numpy as np

from glassnet.engine.model import Model, deserialize_layer
from glassnet.engine.saving import load_model
from glassnet.engine.sequential import Sequential


def save_model(model, filepath, overwrite=True, **kwargs):
    """``keras.models.save_model(model, path)``: the same as ``model.save(path)``."""
    model.save(filepath, overwrite=overwrite, **kwargs)


def clone_model(model, input_tensors=None, clone_function=None, **kwargs):
    """A new model with the same architecture and freshly initialised weights (Keras's).

    Like Keras, nothing is shared with the original: not the weights, not the optimizer
    (compile the clone yourself). ``clone_function(layer) -> new layer`` changes layers on
    the way, e.g. to set a different dropout rate.
    """
    if input_tensors is not None or kwargs:
        raise TypeError("clone_model: only clone_function is supported by glassnet")
    from glassnet.engine.model import layer_class_name

    config = model.get_config()
    config = dict(config, seed=None)
    if clone_function is not None:
        layers = [clone_function(layer) for layer in model.layers]
        if isinstance(model, Sequential):
            return Sequential(layers, name=model.name)
        raise TypeError("clone_model: clone_function works on Sequential models in glassnet")
    clone = deserialize_layer({"class_name": layer_class_name(model), "config": config})
    clone.rng = np.random.default_rng()
    return clone


def model_from_json(json_string, custom_objects=None):
    """A model (fresh weights) from the JSON that ``model.to_json()`` wrote, in glassnet or
    in Keras 3 (:func:`glassnet.interop.keras_file.model_from_json`)."""
    from glassnet.interop.keras_file import model_from_json as from_json
    return from_json(json_string, custom_objects)


__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]
