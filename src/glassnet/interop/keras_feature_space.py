"""``FeatureSpace.save("fs.keras")`` and loading it back, in Keras 3's layout, both ways.

Keras 3.15 saves an adapted ``keras.utils.FeatureSpace`` as a ``.keras`` zip like a model's:

* ``config.json``: ``{"module": "keras.utils", "class_name": "FeatureSpace", "config":
  {"features": {name: Feature}, "crosses": [Cross], "output_mode", ...}, "build_config"}``,
  each Feature's ``preprocessor`` being the Keras spec of its layer (Normalization,
  IntegerLookup, Discretization with its learned ``bin_boundaries``...);
* ``model.weights.h5``: groups named after the attributes Keras walks, each layer by its
  class (snake_case, counted in the order of the features)::

      preprocessors/normalization/vars/{0,1,2}     mean (1,), variance (1,), count ()
      preprocessors/integer_lookup/vars            (empty: the vocabulary is an asset)
      crossers/hashed_crossing/vars, one_hot_encoders/category_encoding_1/vars, concat/vars, vars

* ``assets/preprocessors/<group>/vocabulary.txt``: a lookup's vocabulary, one token a line.

Reading gives an adapted glassnet :class:`~glassnet.engine.feature_space.FeatureSpace`
that encodes the same arrays; a damaged file or a layer glassnet lacks is one line naming the file.
"""

import datetime
import io
import json
import os
import zipfile

from glassnet.engine.layers.base import snake_case
from glassnet.errors import ExportError, GlassnetError, ModelFileError
from glassnet.interop.keras_config import _layer_spec, keras_class_name, layer_from_keras
from glassnet.interop.keras_file import (CONFIG, KERAS_VERSION, MAX_JSON_BYTES, METADATA, WEIGHTS, _dataset,
                                         _describe, _holders, _json_default, _own_variables,
                                         layer_arrays, read_into)
from glassnet.interop.keras_objects import Unsupported, _Reading

MODULE = "keras.src.layers.preprocessing.feature_space"
UNBUILT = ("IntegerLookup", "StringLookup")     # Keras writes an empty build config for these


def _object(class_name, config):
    return {"module": MODULE, "class_name": class_name, "config": config, "registered_name": class_name}


def _build_config(layer):
    return {} if keras_class_name(layer) in UNBUILT else {"input_shape": [None, 1]}


def _groups(layers):
    """``[(group name, layer)]``: each layer named by its Keras class, counted as Keras counts
    (``normalization``, ``normalization_1``...), in the order given."""
    used, groups = {}, []
    for layer in layers:
        name = snake_case(keras_class_name(layer))
        used[name] = used.get(name, -1) + 1
        groups.append((name if used[name] == 0 else f"{name}_{used[name]}", layer))
    return groups


def _weight_groups(space):
    """Every ``(h5 group, layer)`` Keras's walk writes for a FeatureSpace (a TextVectorization's
    StringLookup in ``text_vectorization/_lookup_layer`` too)."""
    found = [holder for group, layer in _groups(space.preprocessors.values())
             for holder in _holders(layer, f"preprocessors/{group}")]
    found += [(f"crossers/{group}", layer) for group, layer in _groups(space.crossers.values())]
    found += [(f"one_hot_encoders/{group}", layer) for group, layer in _groups(space.one_hot_encoders.values())]
    return found + ([("concat", space.concat)] if space.concat is not None else [])


# -- writing ---------------------------------------------------------------------------------------
def feature_space_to_keras(space):
    """The FeatureSpace's ``config.json``, as Keras writes it."""
    features = {}
    for name, feature in space.features.items():
        layer = feature.preprocessor
        preprocessor = {**_layer_spec(layer), "build_config": _build_config(layer)}
        features[name] = _object("Feature", {"dtype": feature.dtype, "preprocessor": preprocessor,
                                             "output_mode": feature.output_mode})
    config = {"features": features, "output_mode": space.output_mode,
              "crosses": [_object("Cross", {**cross.get_config(), "feature_names": list(cross.feature_names)})
                          for cross in space.crosses],
              "crossing_dim": space.crossing_dim, "hashing_dim": space.hashing_dim,
              "num_discretization_bins": space.num_discretization_bins}
    return {"module": "keras.utils", "class_name": "FeatureSpace", "config": config, "registered_name": None,
            "build_config": {name: _build_config(f.preprocessor) for name, f in space.features.items()}}


def _write_h5(file, space):
    import h5py

    with h5py.File(file, "w") as h5:
        h5.create_group("vars").attrs["name"] = space.name
        for group, layer in _weight_groups(space):
            vars_group = h5.create_group(f"{group}/vars")
            vars_group.attrs["name"] = layer.name
            for key, array in _own_variables(layer) if getattr(layer, "built", False) else []:
                _dataset(vars_group, key, array)


def save_feature_space(space, path):
    """Write an adapted ``space`` to ``path`` as Keras 3 writes one (see the module docstring)."""
    from glassnet.engine.saving import atomic_write

    path = os.fspath(path)
    if not str(path).endswith(".keras"):
        raise ValueError(f"FeatureSpace.save: the file name must end in .keras, got {path!r}")
    space.get_encoded_features()            # adapted (else the usual error), every layer made
    try:
        config = feature_space_to_keras(space)
    except ExportError as error:
        raise ExportError(f"{path}: {error}") from None
    metadata = {"keras_version": KERAS_VERSION, "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    weights = io.BytesIO()
    _write_h5(weights, space)

    def write(file):
        with zipfile.ZipFile(file, "w") as archive:
            archive.writestr(METADATA, json.dumps(metadata))
            archive.writestr(CONFIG, json.dumps(config, default=_json_default))
            archive.writestr(WEIGHTS, weights.getvalue())
            for group, layer in _weight_groups(space):    # (a TextVectorization's twice, as Keras)
                for key, value in (layer.own_assets() if hasattr(layer, "own_assets") else {}).items():
                    if key.endswith(".txt"):
                        archive.writestr(f"assets/{group}/{key}", value)

    atomic_write(path, write)


# -- reading ---------------------------------------------------------------------------------------
def _feature_from_keras(name, spec, reading):
    from glassnet.engine.feature_space import Feature
    from glassnet.engine.model import deserialize_layer

    config = spec["config"]
    layer = deserialize_layer(layer_from_keras(config["preprocessor"], reading))
    if not layer.built and keras_class_name(layer) not in UNBUILT:
        layer.build((1,))
    return Feature(config["dtype"], layer, config["output_mode"])


def feature_space_from_keras(config, path):
    """The (not yet adapted) glassnet FeatureSpace a Keras ``config.json`` describes."""
    from glassnet.engine.feature_space import Cross, FeatureSpace

    try:
        own, reading = dict(config["config"]), _Reading([])
        own["features"] = {name: _feature_from_keras(name, spec, reading) for name, spec in own["features"].items()}
        own["crosses"] = [Cross.from_config(spec["config"]) for spec in own.get("crosses") or []]
        return FeatureSpace(**own)
    except (Unsupported, GlassnetError) as error:
        raise ModelFileError(f"{path}: {error}") from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, RecursionError) as error:
        raise ModelFileError(f"{path}: the FeatureSpace's config can't be read ({_describe(error)})") from None


def load_feature_space(archive, config, path):
    """The adapted FeatureSpace of a ``.keras`` archive (a keras_file ``_Archive``) whose
    ``config.json`` is ``config``: layers from the config, statistics from the weights,
    vocabularies from the assets."""

    space = feature_space_from_keras(config, path)
    weights = archive.weights()
    try:
        for group, layer in _groups(space.preprocessors.values()):
            group = f"preprocessors/{group}"
            targets, stored = layer_arrays(layer) if layer.built else [], weights.group(group)
            if [shape for _, shape in stored] != [target.shape for target in targets]:
                raise ModelFileError(f"{path}: {group} holds arrays of shapes {[s for _, s in stored]}, layer "
                                     f"'{layer.name}' needs {[t.shape for t in targets]}")
            read_into(targets, weights, group, stored, f"{path}: {group}")
            if hasattr(layer, "load_own_assets"):
                name = f"assets/{group}/vocabulary.txt"
                if name not in archive.members and "vocabulary.txt" in layer.own_assets():
                    raise ModelFileError(f"{path}: layer '{layer.name}' has no {name} (its vocabulary)")
                layer.load_own_assets({"vocabulary.txt": archive.read(name, MAX_JSON_BYTES)}
                                      if name in archive.members else {})
    finally:
        weights.close()
    space._is_adapted = True
    space.get_encoded_features()
    return space
