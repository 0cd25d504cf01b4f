"""The real Keras 3 files: ``.keras`` archives and ``.weights.h5`` weights, written and read.

A ``.keras`` file is a zip archive of three members, laid out as Keras 3 lays them out:

* ``config.json``: the architecture and the compile settings, in Keras's words (see
  :mod:`glassnet.interop.keras_graph` and :mod:`glassnet.interop.keras_config`, which
  translate them);
* ``metadata.json``: ``{"keras_version", "date_saved"}``, and here also ``"glassnet"``: what
  only glassnet keeps (the training log, the settings the report reads, the epoch, the
  random generator's state, the exact optimizer and schedule). Keras never reads that key;
* ``model.weights.h5``: an HDF5 file (written with h5py). Its groups follow Keras's walk
  over the model: ``layers/dense/vars/0`` is the first Dense layer's kernel and
  ``layers/dense_1/vars/1`` the second one's bias. Groups are named after the layer's
  *class* and counted in the order of ``model.layers``, never after the layer's own name.
  ``optimizer/vars`` holds the step count, the learning rate and the optimizer's state.

A ``.weights.h5`` file (``save_weights``) is that HDF5 file on its own. Keras 2's legacy
``.h5`` files are :mod:`glassnet.interop.keras_legacy_h5`'s.

Reading takes the care glassnet's own format takes: a damaged or hostile file gets one line
naming it (a truncated zip, a config naming a layer glassnet lacks, weights of the wrong
shape), never a traceback; sizes are read from the headers before anything is allocated
(the zip members, each HDF5 dataset, the weights the architecture asks for); links to other
files, external and virtual datasets are refused; weights must be finite.
"""

import datetime
import io
import json
import math
import os
import types
import warnings
import zipfile

import numpy as np

from glassnet.engine.layers.base import snake_case
from glassnet.errors import ExportError, GlassnetError, ModelFileError
from glassnet.interop.keras_compile import (compile_from_keras, compile_to_keras,
                                            keras_has_learning_rate_variable, optimizer_slot_groups,
                                            optimizer_trailing)
from glassnet.interop.keras_config import RECURRENT, keras_class_name
from glassnet.interop.keras_graph import keras_layers, model_from_keras, model_to_keras
from glassnet.interop.keras_objects import Unsupported, _Reading

GRAPH_MODELS = ("Sequential", "Functional", "Model")   # configs of layers: weights found by layer
KERAS_VERSION = "3.15.1"       # the Keras release whose layout these files follow
CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
MAX_JSON_BYTES = 64 << 20      # a config is kilobytes; refuse absurd ones
MAX_RATIO = 64                 # uncompressed / stored size of a zip member or HDF5 dataset
MAX_GROUPS = 100_000           # HDF5 groups and datasets walked, at most


# -- what a file is -------------------------------------------------------------------------
JSON_WEIGHTS = 1 << 28     # weight numbers a model rebuilt from JSON may make (1 GB of float32)


def is_hdf5(path):
    """Whether ``path`` starts with the HDF5 signature (a ``.weights.h5`` or legacy ``.h5``)."""
    try:
        with open(path, "rb") as f:
            return f.read(8) == HDF5_SIGNATURE
    except OSError:
        return False


def is_keras_archive(path):
    """Whether ``path`` is a zip holding ``config.json``: Keras 3's ``.keras`` (glassnet's own
    ``.npz`` holds ``config.npy`` instead; older glassnet wrote that under any name)."""
    return file_kind(path) == "keras"


def file_kind(path):
    """What ``path`` holds, by its content: ``"hdf5"``, ``"keras"`` (a zip with
    ``config.json``), ``"zip"`` (another zip: glassnet's ``.npz``), or None (neither,
    damaged, or missing). A truncated ``.keras`` file is None: its end, where a zip lists
    its members, is gone; then the file's name decides who reports the damage."""
    if is_hdf5(path):
        return "hdf5"
    try:
        with zipfile.ZipFile(path) as archive:
            return "keras" if CONFIG in archive.namelist() else "zip"
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return None


# -- weights: Keras's walk over the model ------------------------------------------------------
def weight_groups(model, prefix="", graph=False):
    """``[(group, layer), ...]``: the HDF5 group of the model and of every layer in it.

    Keras names the groups after the class (``dense``, ``dense_1``, ``conv2d``...) in the
    order of its ``model.layers`` (a Functional model lists its InputLayers too, and in
    Keras's own order: see ``keras_layer_order``), and walks into a model used as a layer:
    ``layers/sequential/layers/dense``. A subclass with a ``call()`` of its own is walked by
    attribute, as Keras walks one (:func:`_attribute_groups`), unless ``graph``: glassnet
    writes such a model to a ``.keras`` file as the Functional graph its ``call()`` was
    traced into, whose weights Keras then finds by its layers.
    """
    from glassnet.engine.model import Model

    groups, used = [(prefix.rstrip("/"), model)], {}
    if (model.traces_call or model.steps_only) and not graph:
        return groups + _attribute_groups(model, prefix)
    for layer in keras_layers(model):
        base = snake_case(keras_class_name(layer))   # Keras's to_snake_case: it names the weights' groups
        used[base] = used.get(base, -1) + 1
        path = f"{prefix}layers/{base}" + (f"_{used[base]}" if used[base] else "")
        if isinstance(layer, Model):
            groups += weight_groups(layer, path + "/", graph)
        else:
            groups += _holders(layer, path)
    return groups


def _attribute_groups(model, prefix):
    """A subclass's groups as Keras 3 walks one: its attributes by name (private ones last),
    and among them the model's ``layers`` property, the layers it holds in the order they were
    set, each named after its class (``layers/dense_1``). So a layer held by an attribute that
    sorts after "layers" (``self.out``, ``self.norm``) is found there first, and passed over at
    its own name: Keras saves each object once. A list of layers is named the same way."""
    entries = [*_held_attributes(model), ("layers", model.layers)]
    groups, seen = [], []
    for attribute, value in sorted(entries, key=lambda entry: _name_key(entry[0])):
        path = f"{prefix}{attribute}"
        for where, layer in (_by_class(value, path) if isinstance(value, list) else [(path, value)]):
            if not any(layer is done for done in seen):
                seen.append(layer)
                groups += _holders(layer, where)
    return groups


def _name_key(attribute):
    """Keras's order of attributes: by name, private ones last."""
    return f"~{attribute}" if attribute.startswith("_") else attribute


def _by_class(layers, path):
    """``[(group, layer), ...]`` for a list of layers: ``path/dense``, ``path/dense_1``..."""
    named, used = [], {}
    for layer in layers:
        base = snake_case(keras_class_name(layer))
        used[base] = used.get(base, -1) + 1
        named.append((f"{path}/{base}" + (f"_{used[base]}" if used[base] else ""), layer))
    return named


def _held_attributes(model):
    """``[(attribute, layer or [layers]), ...]``: what a subclass's ``__init__`` set, in order."""
    from glassnet.engine.layers.base import Layer
    from glassnet.engine.recording import ENGINE_ATTRIBUTES

    held = []
    for attribute, value in vars(model).items():
        if attribute in ENGINE_ATTRIBUTES:
            continue
        if isinstance(value, Layer) and value is not model:
            held.append((attribute, value))
        elif isinstance(value, (list, tuple, dict)):
            items = list(value.values()) if isinstance(value, dict) else list(value)
            if any(isinstance(item, Layer) for item in items):
                held.append((attribute, [item for item in items if isinstance(item, Layer)]))
    return held


class Container:
    """The group of a layer whose weights Keras keeps one level down (in its cell, or in the
    layers it wraps): it has a ``vars`` group of its own, empty."""

    params = state = types.MappingProxyType({})     # read-only: nothing is kept here

    def __init__(self, name):
        self.name = name


class Projection:
    """The weights of one of MultiHeadAttention's projections, which Keras keeps in a sublayer's
    group (``multi_head_attention/query_dense``: its kernel, then its bias) and glassnet under
    the layer's own names (``query_kernel``, ``query_bias``): the same arrays, not copies."""

    state = types.MappingProxyType({})

    def __init__(self, layer, projection):
        self.name = f"{projection}_dense"
        prefix = f"{projection}_"
        self.params = {key[len(prefix):]: array for key, array in layer.params.items() if key.startswith(prefix)}


def _holders(layer, path):
    """``[(group, holder), ...]`` for one layer: where Keras 3 keeps its weights. A recurrent
    layer keeps them in its cell (``lstm/cell``), a Bidirectional in its two layers' cells
    (``bidirectional/forward_layer/cell``), a TimeDistributed in the layer it wraps
    (``time_distributed/layer``); every other layer in its own group."""
    from glassnet.engine.model import Model

    kind = type(layer).__name__
    if isinstance(layer, Model):                 # a model a subclass or a layer of your own holds
        return weight_groups(layer, path + "/")
    if kind in RECURRENT + ("ConvLSTM1D", "ConvLSTM2D"):
        return [(path, Container(layer.name)), (f"{path}/cell", layer)]
    if kind == "Bidirectional":
        return [(path, Container(layer.name)),
                *_holders(layer.forward_layer, f"{path}/forward_layer"),
                *_holders(layer.backward_layer, f"{path}/backward_layer")]
    if kind == "TimeDistributed":
        return [(path, Container(layer.name)), *_holders(layer.layer, f"{path}/layer")]
    if kind == "SpectralNormalization":          # its kernel and u, then the layer it wraps
        return [(path, layer), *_holders(layer.layer, f"{path}/layer")]
    if kind == "MultiHeadAttention":
        return [(path, Container(layer.name)),
                *[(f"{path}/{p}_dense", Projection(layer, p)) for p in layer.PROJECTIONS],
                (f"{path}/_dropout_layer", Container("dropout")), (f"{path}/_softmax", Container("softmax"))]
    if kind == "TextVectorization":               # its vocabulary's StringLookup, as Keras saves it
        return [(path, layer), (f"{path}/_lookup_layer", layer.lookup_layer)]
    if layer.records_call or layer.traces_call:   # a layer of your own: its weights, then each layer it holds
        return [(path, layer), *[holder for attribute, inner in _held_by_name(layer)
                                 for holder in _holders(inner, f"{path}/{attribute}")]]
    return [(path, layer)]


def _held_by_name(layer, owner=None):
    """``[(attribute, layer), ...]``: the layers a layer of your own holds (as attributes of
    ``owner``, default the layer itself), in the order Keras 3 saves them (attribute names
    sorted, private ones last)."""
    held, owner = [], owner or layer
    for attribute in sorted(vars(owner), key=lambda name: f"~{name}" if name.startswith("_") else name):
        value = vars(owner)[attribute]
        if attribute == "sublayers" or (owner is not layer and attribute.startswith("_")
                                        and isinstance(value, (list, tuple, dict))):
            continue                           # glassnet's own lists of them (a model's _inner...)
        if any(value is inner for inner in layer.sublayers):
            held.append((attribute, value))
        elif isinstance(value, (list, tuple, dict)) and any(any(v is inner for inner in layer.sublayers)
                                                             for v in (value.values() if isinstance(value, dict) else value)):
            raise ExportError(f"layer '{layer.name}' ({type(layer).__name__}) keeps layers in a "
                              f"{type(value).__name__} ({attribute}); glassnet writes only layers held "
                              f"one by one as attributes to a Keras file: save it as .npz")
    return held


def layer_arrays(layer):
    """A layer's own weights in Keras's order: the learned ones, then the others."""
    return [*layer.params.values(), *layer.state.values()]


def _vars(group):
    return f"{group}/vars" if group else "vars"


def _overrides(layer, hook):
    """Whether ``layer``'s class has Keras's ``save_own_variables`` / ``load_own_variables`` of
    its own (the holders of MultiHeadAttention's projections and of wrappers have none)."""
    from glassnet.engine.layers.base import Layer
    return isinstance(layer, Layer) and getattr(type(layer), hook) is not getattr(Layer, hook)


def _own_variables(layer):
    """``[(key, array), ...]`` for a layer's ``vars`` group: its weights in Keras's order, or
    what its own ``save_own_variables(store)`` put in the store, as Keras writes that."""
    if not _overrides(layer, "save_own_variables"):
        return [(str(i), array) for i, array in enumerate(layer_arrays(layer))]
    from glassnet.engine.autodiff import data_of
    store = {}
    layer.save_own_variables(store)
    return [(str(key), np.asarray(data_of(value))) for key, value in store.items()]


# What Keras's own save_own_variables writes for the built-in layers that have one: only
# their weights, not those a subclass of yours adds (so Keras can't load them back itself).
KERAS_SAVES_ONLY = {"Dense": ("kernel", "bias"), "EinsumDense": ("kernel", "bias"), "Embedding": ("embeddings",)}


def _builtin_arrays(layer):
    """For a subclass of Dense or Embedding of yours, ``(base class name, the arrays Keras
    writes for it)``: its base's own (its kernel and bias), not those your class added; else None."""
    from glassnet.interop.keras_config import _keras_base, is_custom
    base = _keras_base(layer) if is_custom(layer) else None
    names = KERAS_SAVES_ONLY.get(base.__name__) if base is not None else None
    if names is None:
        return None
    return base.__name__, [layer.params[name] for name in names if name in layer.params]


def read_into(targets, weights, group, stored, where):
    """Copy the file's arrays ``stored`` (``[(key, shape), ...]`` of ``group``) into the
    layer's ``targets``, each cast to its array's dtype; NaN or infinite numbers are refused
    (``where``: the file and the layer, for the message)."""
    from glassnet.engine.saving import finite_as

    for (key, _), target in zip(stored, targets):
        value = finite_as(weights.read(group, key), target)
        if value is None:
            raise ModelFileError(f"{where} holds NaN or infinite weights (in {target.dtype})")
        target[...] = value


def _load_own(layer, weights, group, path):
    """A layer with a ``load_own_variables`` of its own: given the arrays of its group."""
    store = {key: weights.read(group, key) for key, _ in weights.group(group)}
    try:
        layer.load_own_variables(store)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        raise ModelFileError(f"{path}: layer '{layer.name}' ({_vars(group)}): its load_own_variables "
                             f"failed ({_describe(error)})") from None


def _trainable_layout(model, graph=False):
    """``[(path, shape), ...]`` of the weights the optimizer moves, in the order Keras keeps
    its state in (its ``model.trainable_variables``: the layers in Keras's order; a subclass's
    in the order its ``__init__`` set them, unless ``graph``: see weight_groups). The paths
    are glassnet's (``dense_1/kernel``, ``inner/dense/bias``), which its optimizer state uses."""
    arrays = _trainable_arrays(model)
    if (model.traces_call or model.steps_only) and not graph:
        if model.traces_call:          # every layer it holds, in its graph or not (a Distiller's teacher)
            from glassnet.engine.parameters import weight_paths
            arrays = [(path, layer.params[key]) for path, layer, key in weight_paths(model.tracked_layers())
                      if layer.trainable]
        path_of = {id(array): path for path, array in arrays}
        ordered = [(path_of[id(array)], array) for array in _keras_trainables(model) if id(array) in path_of]
        arrays = ordered if len(ordered) == len(arrays) else arrays
    return [(path, array.shape) for path, array in arrays]


def _trainable_arrays(model, prefix=""):
    """``[(path, array), ...]``: the learned weights, a Functional model's layers in Keras's order."""
    from glassnet.engine.model import Model

    arrays = []
    for layer in keras_layers(model):
        if isinstance(layer, Model):
            arrays += _trainable_arrays(layer, f"{prefix}{layer.name}/")
        elif layer.trainable:
            arrays += _trainable_of(layer, f"{prefix}{layer.name}/")
    return arrays


def _keras_trainables(layer):
    """A layer's learned arrays in Keras 3's order (its ``trainable_weights``): its own, then
    those of the layers it holds, a subclass's and a layer of your own's as they were set."""
    from glassnet.engine.model import Model
    from glassnet.engine.recording import held_layers

    if not layer.trainable:
        return []
    if isinstance(layer, Model):
        own, inner = [], layer.layers if layer.traces_call or layer.steps_only else keras_layers(layer)
    else:
        own = list(layer.params.values())
        inner = held_layers(layer) if layer.traces_call or layer.records_call else layer.sublayers
    return own + [array for held in inner for array in _keras_trainables(held)]


def _trainable_of(layer, prefix):
    """A layer's learned weights, the layers it wraps' after its own, in Keras's order."""
    own = [(f"{prefix}{key}", value) for key, value in layer.params.items()]
    for inner in layer.sublayers:
        own += _trainable_of(inner, f"{prefix}{inner.name}/") if inner.trainable else []
    return own


def _optimizer_arrays(model, keras_compiled, graph=False):
    """The optimizer's variables as Keras keeps them: iterations, learning rate, state."""
    optimizer = model.optimizer
    groups = optimizer_slot_groups(optimizer) if optimizer is not None else None
    if groups is None:
        return None
    state = optimizer.get_state(model._parameters.layout) if model._parameters is not None else {}
    dtype = model.dtype
    arrays = [np.array(optimizer.iterations, np.int64)]
    if keras_has_learning_rate_variable(keras_compiled):
        arrays.append(np.array(optimizer.lr, np.float32))
    layout = _trainable_layout(model, graph)
    for group in groups:
        for path, shape in layout:
            for slot in group:
                value = state.get(slot, {}).get(path)
                arrays.append(np.full(optimizer.slot_shape(slot, shape), optimizer.slot_fill(slot), dtype)
                              if value is None
                              else np.asarray(value, dtype))
    return arrays + optimizer_trailing(optimizer)


def _write_h5(file, model, keras_compiled=None, graph=False):
    """The weights (``graph``: as the Functional graph a ``.keras`` config describes) and the
    optimizer's state, laid out as Keras lays them out."""
    import h5py

    from glassnet.engine.model import Model

    with h5py.File(file, "w") as h5:
        for group, layer in weight_groups(model, graph=graph):
            vars_group = h5.create_group(_vars(group))
            vars_group.attrs["name"] = layer.name
            if not isinstance(layer, Model):
                for key, array in _own_variables(layer):
                    _dataset(vars_group, key, array)
                if "idf_weights" in _arrays_kept(layer):    # tf_idf's weights (Keras's save_own_variables)
                    _dataset(vars_group, "idf_weights", _arrays_kept(layer)["idf_weights"])
        arrays = _optimizer_arrays(model, keras_compiled, graph) if keras_compiled else None
        if arrays is not None:
            vars_group = h5.create_group("optimizer/vars")
            vars_group.attrs["name"] = type(model.optimizer).__name__.lower()
            for i, array in enumerate(arrays):
                _dataset(vars_group, str(i), array)


def _arrays_kept(layer):
    """The assets a text layer keeps (its vocabulary, tf_idf's weights); {} for other layers."""
    return layer.own_assets() if hasattr(layer, "own_assets") else {}


def _write_assets(archive, model):
    """Each text layer's vocabulary as Keras's save_assets writes it: ``assets/<group>/vocabulary.txt``."""
    for group, layer in weight_groups(model, graph=True):
        for key, value in _arrays_kept(layer).items():
            if key.endswith(".txt"):
                archive.writestr(f"assets/{group}/{key}", value)


def _read_assets(archive, weights, model, path):
    """Give each text layer its vocabulary (and tf_idf's weights) back, as Keras's load_assets."""
    for group, layer in weight_groups(model, graph=True):
        if not hasattr(layer, "load_own_assets"):
            continue
        assets = {}
        if any(key == "idf_weights" for key, _ in weights.group(group)):
            assets["idf_weights"] = weights.read(group, "idf_weights")
        for key in _arrays_kept(layer):
            if key.endswith(".txt"):
                name = f"assets/{group}/{key}"
                if name not in archive.members:
                    raise ModelFileError(f"{path}: layer '{layer.name}' has no {name} (its vocabulary)")
                assets[key] = archive.read(name, MAX_JSON_BYTES)
        layer.load_own_assets(assets)


def _dataset(group, name, array):
    """One weight array, with a Fletcher-32 checksum: HDF5 has none of its own, so a flipped
    bit in a ``.weights.h5`` or ``.h5`` file would change a weight silently; with it, reading
    fails and says the dataset is damaged (Keras reads such files as any other)."""
    array = np.asarray(array)
    group.create_dataset(name, data=array, fletcher32=array.ndim > 0 and array.size > 0)


# -- writing ------------------------------------------------------------------------------------
def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"can't write {type(value).__name__} in a .keras file's JSON")


def _glassnet_extra(model):
    """What only glassnet keeps, for ``metadata.json`` (the architecture is in config.json)."""
    from glassnet.engine.saving import file_config
    import glassnet

    extra = {k: v for k, v in file_config(model).items() if k != "model"}
    extra["seed"] = model.seed
    extra["glassnet_version"] = glassnet.__version__
    return extra


def _keras_configs(model, path, overwrite):
    """What both file formats need first: the checks (an existing file with
    ``overwrite=False``, an unbuilt model), then ``(config, compile config, notes)`` in
    Keras's words; a part Keras can't express is an ExportError naming the file."""
    if not overwrite and os.path.exists(path):
        raise ModelFileError(f"{path}: exists, and overwrite=False")
    if not model.built:
        raise ModelFileError(f"{path}: model '{model.name}' isn't built yet (give it an input shape "
                             f"or train it), so there are no weights to save")
    notes = []
    try:
        return model_to_keras(model), compile_to_keras(model, notes), notes
    except ExportError as error:
        raise ExportError(f"{path}: {error}") from None


def save_model(model, path, overwrite=True):
    """Write ``model`` as a Keras 3 ``.keras`` archive (see the module docstring).

    Raises:
        ExportError: a layer, activation or optimizer has no Keras equivalent.
        ModelFileError: the model isn't built, or the file exists and ``overwrite=False``.
    """
    from glassnet.engine.saving import atomic_write

    path = os.fspath(path)
    config, compiled, notes = _keras_configs(model, path, overwrite)
    if compiled is not None:
        config["compile_config"] = compiled
    metadata = {"keras_version": KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                "glassnet": _glassnet_extra(model)}
    weights = io.BytesIO()
    _write_h5(weights, model, compiled, graph=True)

    def write(file):
        with zipfile.ZipFile(file, "w") as archive:      # stored, not deflated: as Keras does
            archive.writestr(METADATA, json.dumps(metadata, default=_json_default))
            archive.writestr(CONFIG, json.dumps(config, default=_json_default))
            archive.writestr(WEIGHTS, weights.getvalue())
            _write_assets(archive, model)

    atomic_write(path, write)
    for note in notes:
        warnings.warn(f"{path}: {note}", stacklevel=3)


def model_to_json(model, **kwargs):
    """``model.to_json()`` as Keras 3 writes it (what a ``.keras`` file's ``config.json``
    holds, without the compile settings), so that Keras's ``model_from_json`` reads it; None
    for a model Keras can't express, or not built yet (:meth:`to_json` then writes glassnet's
    own form). ``kwargs`` go to ``json.dumps`` (``indent=2``)."""
    try:
        return json.dumps(model_to_keras(model), default=_json_default, **kwargs)
    except ExportError:
        return None


def model_from_json(text, custom_objects=None):
    """The model (fresh weights) that JSON text describes: written by Keras's ``to_json`` or
    by glassnet's, in Keras's form (read as a ``.keras`` file's config is) or glassnet's own.

    Raises:
        ModelFileError: text that isn't such JSON, or describes a layer glassnet lacks.
    """
    from glassnet.engine.model import deserialize_layer

    where = "model_from_json"
    try:
        spec = json.loads(text)
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"{where}: not JSON text ({error})") from None
    if not isinstance(spec, dict):
        raise ModelFileError(f"{where}: expected a JSON object with a class_name and a config")
    if "module" not in spec and "registered_name" not in spec:      # glassnet's own form
        return deserialize_layer(spec, custom_objects)
    notes = []
    model = _build(_translate(spec, _Reading(notes), where), None, JSON_WEIGHTS, custom_objects, where)
    return _finish(model, None, notes, where, stacklevel=4)


def save_weights(model, path, overwrite=True):
    """Write the weights (and the optimizer's state) as Keras 3's ``.weights.h5``."""
    from glassnet.engine.saving import atomic_write

    path = os.fspath(path)
    if not overwrite and os.path.exists(path):
        raise ModelFileError(f"{path}: exists, and overwrite=False")
    if not model.built:
        raise ModelFileError(f"{path}: model '{model.name}' isn't built yet, so it has no weights")
    try:
        compiled = compile_to_keras(model, [])
    except ExportError:
        compiled = None
    weights = io.BytesIO()
    _write_h5(weights, model, compiled)
    atomic_write(path, lambda f: f.write(weights.getvalue()))


# -- reading: the archive and the HDF5 file, checked --------------------------------------------
class _Archive:
    """A ``.keras`` zip opened for checking: members' declared sizes before any data."""

    def __init__(self, path):
        from glassnet.engine.saving import open_zip

        self.path = path
        self.zip, self.members = open_zip(path, "a .keras file")

    def read(self, name, limit=None):
        info = self.members[name]
        if limit is not None and info.file_size > limit:
            raise ModelFileError(f"{self.path}: {name} is {info.file_size:,} bytes, too large to be one")
        try:
            return self.zip.read(info)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
            raise ModelFileError(f"{self.path}: {name} is damaged ({error})") from None

    def json(self, name, required=True):
        if name not in self.members:
            if required:
                raise ModelFileError(f"{self.path}: a zip file, but not a .keras model (no {name})")
            return {}
        try:
            value = json.loads(self.read(name, MAX_JSON_BYTES).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise ModelFileError(f"{self.path}: {name} is corrupt ({error})") from None
        if not isinstance(value, dict):
            raise ModelFileError(f"{self.path}: {name} is not a JSON object")
        return value

    def weights(self):
        if WEIGHTS not in self.members:
            found = " (its weights are in .npz form, which glassnet doesn't read: save it again " \
                    "from Keras with the default weights format)" if "model.weights.npz" in self.members else ""
            raise ModelFileError(f"{self.path}: the archive holds no {WEIGHTS}{found}")
        return WeightsFile(io.BytesIO(self.read(WEIGHTS)), self.path)

    def close(self):
        self.zip.close()


class WeightsFile:
    """An HDF5 weights file opened for checking (Keras's layout)."""

    def __init__(self, source, path):
        import h5py

        self.h5py, self.path = h5py, path
        try:
            self.h5 = h5py.File(source, "r")
        except Exception as error:  # noqa: BLE001 - h5py raises OSError, ValueError, ...
            raise ModelFileError(f"{path}: the HDF5 data is damaged or truncated "
                                 f"({_first_line(error)})") from None
        self.datasets = {}      # "group/vars/0" -> (shape, dtype), every one checked
        self._walk(self.h5, "", depth=0)

    def _walk(self, group, prefix, depth):
        if depth > 64:
            raise ModelFileError(f"{self.path}: the weights file nests groups too deeply")
        try:
            names = list(group.keys())
        except Exception as error:  # noqa: BLE001
            raise ModelFileError(f"{self.path}: the weights file is damaged ({_first_line(error)})") from None
        for name in names:
            if len(self.datasets) > MAX_GROUPS:
                raise ModelFileError(f"{self.path}: the weights file holds too many entries")
            full = f"{prefix}{name}"
            try:
                link = group.get(name, getlink=True)
                if isinstance(link, (self.h5py.SoftLink, self.h5py.ExternalLink)):
                    raise ModelFileError(f"{self.path}: {full} is a link ({type(link).__name__}); refused")
                item = group[name]
                if isinstance(item, self.h5py.Dataset):
                    self.datasets[full] = self._check(item, full)
            except GlassnetError:
                raise
            except Exception as error:  # noqa: BLE001 - damaged headers raise anything
                raise ModelFileError(f"{self.path}: {full} is damaged ({_first_line(error)})") from None
            if isinstance(item, self.h5py.Group):
                self._walk(item, full + "/", depth + 1)

    def _check(self, dataset, name):
        if dataset.external or dataset.is_virtual:
            raise ModelFileError(f"{self.path}: {name} keeps its data outside the file; refused")
        dtype = dataset.dtype
        if dtype.kind not in "biuf":
            raise ModelFileError(f"{self.path}: {name} holds {dtype}, not numbers")
        declared = math.prod(dataset.shape or ()) * dtype.itemsize
        stored = dataset.id.get_storage_size()
        if declared > MAX_RATIO * stored + (1 << 20):
            raise ModelFileError(f"{self.path}: {name} declares {declared:,} bytes but stores {stored:,}: "
                                 f"refused (a decompression bomb, or damage)")
        return tuple(dataset.shape or ()), dtype

    def numbers(self, prefix="layers/"):
        """How many numbers the datasets under ``prefix`` declare, in all."""
        return sum(math.prod(shape) for name, (shape, _) in self.datasets.items() if name.startswith(prefix))

    def group(self, group):
        """``[(key, shape), ...]`` of the datasets in ``group/vars``, in Keras's order (0, 1, ...)."""
        prefix = _vars(group) + "/"
        found = {name[len(prefix):]: shape for name, (shape, _) in self.datasets.items()
                 if name.startswith(prefix) and "/" not in name[len(prefix):]}
        keys = sorted(found, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))
        return [(key, found[key]) for key in keys]

    def read(self, group, key):
        return self.read_dataset(f"{_vars(group)}/{key}")

    def read_dataset(self, name):
        try:
            return np.asarray(self.h5[name][()])
        except Exception as error:  # noqa: BLE001
            raise ModelFileError(f"{self.path}: {name} is damaged ({_first_line(error)})") from None

    def close(self):
        self.h5.close()


def _first_line(error):
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def read_weights_into(model, weights, path, skip_mismatch=False, graph=False):
    """Copy every layer's weights from ``weights`` (a :class:`WeightsFile`) into ``model``
    (``graph``: they were written for a Sequential or Functional config, see weight_groups)."""
    from glassnet.engine.model import Model

    skipped = []
    for group, layer in weight_groups(model, graph=graph):
        if isinstance(layer, Model):
            continue
        if _overrides(layer, "load_own_variables"):
            _load_own(layer, weights, group, path)
            continue
        targets, stored = layer_arrays(layer), weights.group(group)
        if hasattr(layer, "load_own_assets"):       # tf_idf's weights: read with the vocabulary
            stored = [(key, shape) for key, shape in stored if key != "idf_weights"]
        where = f"layer '{layer.name}' ({_vars(group)})"
        base, builtin = _builtin_arrays(layer) or (None, None)
        if len(stored) != len(targets) and builtin is not None and len(stored) == len(builtin):
            extra = [name for name, array in [*layer.params.items(), *layer.state.items()]
                     if not any(array is kept for kept in builtin)]
            warnings.warn(f"{path}: {where}: Keras's {base} writes only its own weights; "
                          f"{', '.join(extra)} of {type(layer).__name__} kept as made", stacklevel=5)
            targets = builtin
        if len(stored) != len(targets):
            if skip_mismatch:
                skipped.append(layer.name)
                continue
            raise ModelFileError(f"{path}: {where} needs {len(targets)} weight arrays, the file holds "
                                 f"{len(stored)}")
        shapes_fit = all(shape == target.shape for (_, shape), target in zip(stored, targets))
        if not shapes_fit:
            if skip_mismatch:
                skipped.append(layer.name)
                continue
            bad = next(i for i, ((_, s), t) in enumerate(zip(stored, targets)) if s != t.shape)
            raise ModelFileError(f"{path}: {where} weight {bad} has shape {stored[bad][1]} in the file, "
                                 f"the model needs {targets[bad].shape}")
        read_into(targets, weights, group, stored, f"{path}: {where}")
    if skipped:                                  # as Keras: skipped, and said so
        warnings.warn(f"{path}: skip_mismatch: the weights of layer(s) {', '.join(map(repr, skipped))} don't fit "
                      f"the file's and were left as they were", stacklevel=5)


def _read_optimizer(model, weights, keras_compiled, path, notes, graph=False):
    """Put the optimizer's state (Keras's layout) back; returns whether it was restored."""
    from glassnet.engine.saving import restore_optimizer_state
    optimizer = model.optimizer
    stored = weights.group("optimizer")
    groups = optimizer_slot_groups(optimizer)
    if not stored or groups is None or model._parameters is None:
        return False
    layout = _trainable_layout(model, graph)
    lr = 1 if keras_has_learning_rate_variable(keras_compiled) else 0
    trailing = optimizer_trailing(optimizer)        # read, and worked out again from the step count
    expected = 1 + lr + sum(len(group) for group in groups) * len(layout) + len(trailing)
    if len(stored) == 1 + lr and len(stored) != expected:
        # Compiled but never trained: Keras keeps only the step count (and the rate), and its
        # running averages don't exist yet. A fresh optimizer is that state exactly.
        steps = weights.read("optimizer", stored[0][0])
        if steps.size == 1 and steps.dtype.kind in "iuf" and steps.reshape(()) == 0:
            return False
    if len(stored) != expected:
        notes.append(f"the optimizer's state has {len(stored)} arrays, {type(optimizer).__name__} here "
                     f"needs {expected}; training would restart its running averages")
        return False
    shapes = [()] * (1 + lr) + [optimizer.slot_shape(slot, s) for group in groups
                                for _, s in layout for slot in group] + [()] * len(trailing)
    if any(tuple(s) != tuple(want) for (_, s), want in zip(stored, shapes)):
        notes.append("the optimizer's state doesn't fit the model's weights; training would restart "
                     "its running averages")
        return False
    values = [weights.read("optimizer", key) for key, _ in stored]
    iterations = values[0]
    if iterations.dtype.kind not in "iu" and not float(iterations).is_integer() or float(iterations) < 0:
        raise ModelFileError(f"{path}: the optimizer's step count {iterations!r} is not a count")
    state, position = {}, 1 + lr
    for group in groups:
        for weight_path, _ in layout:
            for slot in group:
                state.setdefault(slot, {})[weight_path] = values[position]
                position += 1
    restore_optimizer_state(model, state, path)
    optimizer.iterations = int(iterations)
    return True


# -- reading: the model -------------------------------------------------------------------------
def load_model(path, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild the model in a ``.keras`` file written by Keras 3 or by glassnet
    (``safe_mode=False``: a Lambda's Python bytecode may be loaded, as in Keras).

    Raises:
        ModelFileError: the file is missing, damaged, hostile, or describes a layer (or a
            setting of one) that glassnet doesn't have.
    """
    path = os.fspath(path)
    if is_hdf5(path):
        from glassnet.interop.keras_legacy_h5 import load_legacy_h5
        return load_legacy_h5(path, custom_objects, compile)
    archive = _Archive(path)
    weights = None
    try:
        config = archive.json(CONFIG)
        if config.get("class_name") == "FeatureSpace":       # keras.utils.FeatureSpace.save's file
            from glassnet.interop.keras_feature_space import load_feature_space
            return load_feature_space(archive, config, path)
        metadata = archive.json(METADATA, required=False)
        extra = metadata.get("glassnet") if isinstance(metadata.get("glassnet"), dict) else None
        notes = []
        reading = _Reading(notes, safe_mode)
        spec = _translate(config, reading, path)
        weights = archive.weights()
        model = _build(spec, extra, weights.numbers(), custom_objects, path)
        graph = config.get("class_name") in GRAPH_MODELS
        read_weights_into(model, weights, path, graph=graph)
        _read_assets(archive, weights, model, path)
        keras_compiled = config.get("compile_config") if isinstance(config.get("compile_config"), dict) else None
        if compile:
            compiled = extra.get("compile") if extra is not None else compile_from_keras(
                keras_compiled, reading, model.output_names if len(model.outputs) > 1 else None)
            if compiled:
                _compile(model, compiled, path)
                restored = _read_optimizer(model, weights, keras_compiled, path, notes, graph)
                if not restored and extra is not None and isinstance(extra.get("iterations"), int) \
                        and extra["iterations"] >= 0:
                    model.optimizer.iterations = extra["iterations"]
        return _finish(model, extra, notes, path)
    finally:
        if weights is not None:
            weights.close()
        archive.close()


def _build(spec, extra, budget, custom_objects, path):
    """The glassnet model ``spec`` describes, making at most ``budget`` weight numbers."""
    from glassnet.engine.layers.base import weight_budget
    from glassnet.engine.model import deserialize_layer

    if extra is not None and isinstance(extra.get("seed"), int):
        spec["config"]["seed"] = extra["seed"]
    input_shape = spec.pop("build_input_shape", None)       # a subclass: built as Keras built it
    try:
        # The weights the file holds, and a million numbers to spare, so that a missing or
        # misshapen weight is reported as such rather than as too many weights.
        with weight_budget(budget + (1 << 20), path):
            model = deserialize_layer(spec, custom_objects)
            if not model.built and input_shape is not None:
                model.build(input_shape)
    except GlassnetError as error:
        raise ModelFileError(str(error) if path in str(error) else f"{path}: {error}") from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError,
            RecursionError) as error:
        raise ModelFileError(f"{path}: the architecture can't be rebuilt ({_describe(error)})") from None
    if not model.built:
        raise ModelFileError(f"{path}: the model has no input shape, so its weights can't be placed")
    return model


def _finish(model, extra, notes, path, stacklevel=5):
    """glassnet's own records back from the metadata; one warning per note."""
    if extra is not None:
        from glassnet.engine.saving import _restore_training
        _restore_training(model, extra, path)
    for note in notes:
        warnings.warn(f"{path}: {note}", stacklevel=stacklevel)   # at the caller of load_model
    return model


def _translate(config, reading, path):
    try:
        return model_from_keras(config, reading)
    except Unsupported as error:
        raise ModelFileError(f"{path}: {error}") from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, RecursionError) as error:
        raise ModelFileError(f"{path}: the model's config can't be read ({_describe(error)})") from None


def _describe(error):
    text = str(error).strip() or type(error).__name__
    return f"missing field {text}" if isinstance(error, KeyError) else text


def _compile(model, compiled, path):
    """``model.compile(...)`` from glassnet's compile settings (checked: they come from a file)."""
    from glassnet.engine import losses, metrics, optimizers

    try:
        if not isinstance(compiled, dict) or not isinstance(compiled.get("optimizer"), dict):
            raise ValueError("the optimizer is not described")
        spec = compiled["optimizer"]
        cls = optimizers.OPTIMIZERS_BY_CLASS.get(spec.get("class_name"))
        if cls is None:
            raise ValueError(f"unknown optimizer {spec.get('class_name')!r}")
        optimizer = cls.from_config(dict(spec.get("config") or {}))
        loss = compiled.get("loss")
        if loss is not None:
            loss_cls = losses.LOSSES_BY_CLASS.get(loss.get("class_name"))
            if loss_cls is None:
                raise ValueError(f"unknown loss {loss.get('class_name')!r}")
            loss = loss_cls.from_config(dict(loss.get("config") or {}))
        found = {group: [metrics.from_saved(metric) for metric in compiled.get(group) or []]
                 for group in ("metrics", "weighted_metrics")}
        model.compile(optimizer, loss, metrics=found["metrics"], weighted_metrics=found["weighted_metrics"])
        if loss is not None:
            model._prepare_training()    # packs the weights: the layout the state is cut by
    except GlassnetError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as error:
        raise ModelFileError(f"{path}: the compile settings can't be restored ({_describe(error)})") from None


def load_weights(model, path, skip_mismatch=False):
    """Read the weights of a ``.weights.h5`` file, or of a ``.keras`` archive, into ``model``."""
    path = os.fspath(path)
    if not model.built:
        raise ModelFileError(f"{path}: build model '{model.name}' (give it an input shape) before "
                             f"loading weights into it")
    archive = None
    if is_hdf5(path):
        weights = WeightsFile(path, path)
        if "model_weights" in weights.h5 or "layer_names" in weights.h5.attrs:    # legacy .h5
            try:
                from glassnet.interop.keras_legacy_h5 import read_legacy_weights_into
                root = "model_weights" if "model_weights" in weights.h5 else ""
                return read_legacy_weights_into(model, weights, root, path)
            finally:
                weights.close()
    else:
        archive = _Archive(path)
        weights = archive.weights()
    try:
        graph = archive is not None and archive.json(CONFIG).get("class_name") in GRAPH_MODELS
        try:
            read_weights_into(model, weights, path, skip_mismatch, graph)
        except ModelFileError:
            if graph or not (model.traces_call or model.steps_only):
                raise
            # a subclass's weights written by glassnet before it walked subclasses as Keras does
            read_weights_into(model, weights, path, skip_mismatch, graph=True)
    finally:
        weights.close()
        if archive is not None:
            archive.close()
