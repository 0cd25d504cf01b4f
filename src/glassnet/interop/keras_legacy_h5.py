"""Keras 2's legacy HDF5 files (``model.save("m.h5")``, ``save_weights("w.h5")``), which Keras 3
still reads and writes: read and written here as Keras lays them out.

One HDF5 file: the config as JSON in the attribute ``model_config``, the compile settings in
``training_config``, and the weights under ``model_weights/<layer name>/``, each layer's
listed in its ``weight_names`` attribute (learned weights first, then the others). A weights
file alone has the layers' groups at its root. The care in reading is
:mod:`glassnet.interop.keras_file`'s: one line naming the file for anything damaged.
"""

import contextlib
import io
import json
import os
import warnings

import numpy as np

from glassnet.errors import GlassnetError, ModelFileError
from glassnet.interop.keras_compile import compile_from_keras
from glassnet.interop.keras_file import (KERAS_VERSION, MAX_JSON_BYTES, WeightsFile, _build, _compile, _dataset,
                                         _finish, _first_line, _glassnet_extra, _json_default, _keras_configs,
                                         _translate)
from glassnet.interop.keras_graph import keras_layers
from glassnet.interop.keras_objects import _Reading


@contextlib.contextmanager
def _damaged_hdf5(path):
    """Whatever h5py raises while reading a damaged file's attributes becomes one line."""
    try:
        yield
    except GlassnetError:
        raise
    except Exception as error:  # noqa: BLE001 - h5py raises OSError, KeyError, ValueError...
        raise ModelFileError(f"{path}: the HDF5 data is damaged ({_first_line(error)})") from None


def _attribute(group, name):
    """A string-list attribute, also in the chunks (``name0``, ``name1``...) Keras splits big ones into."""
    values = list(group.attrs[name]) if name in group.attrs else []
    chunk = 0
    while f"{name}{chunk}" in group.attrs:
        values.extend(group.attrs[f"{name}{chunk}"])
        chunk += 1
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


def _json_attribute(h5, name, path):
    value = h5.attrs.get(name)
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str) or len(value) > MAX_JSON_BYTES:
        raise ModelFileError(f"{path}: the {name} attribute is not a JSON text")
    try:
        parsed = json.loads(value)
    except (json.JSONDecodeError, RecursionError) as error:
        raise ModelFileError(f"{path}: the {name} attribute is corrupt ({error})") from None
    if not isinstance(parsed, dict):
        raise ModelFileError(f"{path}: the {name} attribute is not a JSON object")
    return parsed


def legacy_arrays(layer):
    """A layer's weights in the legacy order: every learned one, then every other one."""
    return [array for moves in (True, False) for _, _, array in layer._weights(trainable=moves)]


def read_legacy_weights_into(model, weights, root, path):
    """Keras's "topological" loading: the i-th layer with weights in the file goes to the
    i-th layer with weights in the model, whatever the names."""
    with _damaged_hdf5(path):
        _read_legacy_weights(model, weights, root, path)


def _read_legacy_weights(model, weights, root, path):
    from glassnet.engine.saving import finite_as
    group = weights.h5[root] if root else weights.h5
    prefix = f"{root}/" if root else ""
    saved = []
    for name in _attribute(group, "layer_names"):
        if name not in group:
            raise ModelFileError(f"{path}: the file lists layer {name!r} but holds no weights for it")
        names = _attribute(group[name], "weight_names")
        if names:
            saved.append((name, names))
    layers = [layer for layer in keras_layers(model) if legacy_arrays(layer)]
    if len(saved) != len(layers):
        raise ModelFileError(f"{path}: the file holds weights for {len(saved)} layers, model "
                             f"'{model.name}' has {len(layers)} layers with weights")
    for (name, names), layer in zip(saved, layers):
        targets = legacy_arrays(layer)
        if len(names) != len(targets):
            raise ModelFileError(f"{path}: layer {name!r} has {len(names)} weight arrays in the file, "
                                 f"layer '{layer.name}' needs {len(targets)}")
        for weight, target in zip(names, targets):
            key = f"{prefix}{name}/{weight}"
            if key not in weights.datasets:
                raise ModelFileError(f"{path}: weight {key!r} is missing")
            shape, _ = weights.datasets[key]
            if shape != target.shape:
                raise ModelFileError(f"{path}: weight {key!r} has shape {shape} in the file, layer "
                                     f"'{layer.name}' needs {target.shape}")
            value = finite_as(weights.read_dataset(key), target)
            if value is None:
                raise ModelFileError(f"{path}: weight {key!r} holds NaN or infinite values (in {target.dtype})")
            target[...] = value


def load_legacy_h5(path, custom_objects, compile):
    weights = WeightsFile(path, path)
    try:
        with _damaged_hdf5(path):
            return _read_legacy_model(weights, path, custom_objects, compile)
    finally:
        weights.close()


def _read_legacy_model(weights, path, custom_objects, compile):
    h5 = weights.h5
    config = _json_attribute(h5, "model_config", path)
    if config is None:
        raise ModelFileError(f"{path}: holds weights only (save_weights); build the model and call "
                             f"model.load_weights({path!r})")
    if "model_weights" not in h5:
        raise ModelFileError(f"{path}: a Keras .h5 model without its weights (no model_weights)")
    extra = _json_attribute(h5, "glassnet", path)
    notes = []
    reading = _Reading(notes)
    spec = _translate(config, reading, path)
    model = _build(spec, extra, weights.numbers("model_weights/"), custom_objects, path)
    read_legacy_weights_into(model, weights, "model_weights", path)
    if compile:
        training = _json_attribute(h5, "training_config", path)
        compiled = extra.get("compile") if extra is not None else None
        if compiled is None and training is not None:
            compiled = compile_from_keras({**training, "optimizer": training.get("optimizer_config")},
                                          reading, model.output_names if len(model.outputs) > 1 else None)
        if compiled:
            _compile(model, compiled, path)
            if "optimizer_weights" in h5:
                notes.append("the optimizer's state in a legacy .h5 file is not restored (training "
                             "would restart its running averages); the .keras format keeps it")
    return _finish(model, extra, notes, path, stacklevel=7)


def save_legacy_h5(model, path, overwrite=True):
    """Write ``model`` in the legacy HDF5 format that Keras 3's ``load_model("m.h5")`` reads.

    The optimizer's state is not written (the ``.keras`` format keeps it); glassnet's own
    records go in the ``glassnet`` attribute, which Keras doesn't read.
    """
    import h5py

    from glassnet.engine.saving import atomic_write

    path = os.fspath(path)
    config, compiled, notes = _keras_configs(model, path, overwrite)
    config.pop("build_config", None)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        h5.attrs["backend"] = "tensorflow"
        h5.attrs["keras_version"] = KERAS_VERSION
        h5.attrs["model_config"] = json.dumps(config, default=_json_default)
        if compiled is not None:
            training = {k: v for k, v in compiled.items() if k != "optimizer"}
            optimizer = compiled["optimizer"]
            training["optimizer_config"] = {"class_name": optimizer["class_name"], "config": optimizer["config"]}
            h5.attrs["training_config"] = json.dumps(training, default=_json_default)
        h5.attrs["glassnet"] = json.dumps(_glassnet_extra(model), default=_json_default)
        _write_legacy_weights(h5.create_group("model_weights"), model)
    atomic_write(path, lambda f: f.write(buffer.getvalue()))
    for note in notes:
        warnings.warn(f"{path}: {note}", stacklevel=3)


def save_legacy_weights(model, path, overwrite=True):
    """Keras 2's ``model.save_weights("w.h5")``: the weights alone in the legacy layout (the
    ``model_weights`` group of a legacy model file, at the file's root), which Keras 2 and
    :func:`~glassnet.interop.keras_file.load_weights` read."""
    import h5py

    from glassnet.engine.saving import atomic_write

    path = os.fspath(path)
    if not overwrite and os.path.exists(path):
        raise ModelFileError(f"{path}: exists, and overwrite=False")
    if not model.built:
        raise ModelFileError(f"{path}: model '{model.name}' isn't built yet, so it has no weights")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        _write_legacy_weights(h5, model)
    atomic_write(path, lambda f: f.write(buffer.getvalue()))


def _write_legacy_weights(group, model):
    """Each layer's weights in its own group, named in ``weight_names``, the layers listed in
    ``layer_names``: the legacy layout, in a model file's ``model_weights`` or at a weights file's root."""
    group.attrs["layer_names"] = [layer.name for layer in keras_layers(model)]
    group.attrs["backend"], group.attrs["keras_version"] = "tensorflow", KERAS_VERSION
    for layer in sorted(model.layers, key=lambda layer: layer.name):
        layer_group = group.create_group(layer.name)
        names = _legacy_names(model, layer)
        layer_group.attrs["weight_names"] = names
        for name, array in zip(names, legacy_arrays(layer)):
            _dataset(layer_group, name, array)
    group.create_group("top_level_model_weights").attrs["weight_names"] = np.array([], dtype="S1")


def _legacy_names(model, layer):
    """Names for a layer's weights in legacy order: ``model/layer/kernel``, inner layers too."""
    names = {}
    for inner in layer.walk():
        for key, array in (*inner.params.items(), *inner.state.items()):
            inside = f"{inner.name}/" if inner is not layer else ""
            names[id(array)] = f"{model.name}/{layer.name}/{inside}{key}"
    return [names[id(array)] for array in legacy_arrays(layer)]
