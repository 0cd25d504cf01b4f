"""Saving and loading a model: one ``.npz`` file, no pickle, every field checked on the way in.

The file is an ordinary NumPy ``.npz`` archive (a zip of ``.npy`` arrays):

* ``config``: a JSON document stored as bytes: the model's architecture (its own
  ``get_config()``), how it was compiled, the training log, the settings the report
  reads, the epoch count and the random generator's state (so a resumed run continues
  bit for bit);
* ``weights/<path>``: every weight, e.g. ``weights/dense/kernel``, and batch-norm
  statistics, in Keras's order;
* ``optimizer/<slot>/<path>``: the optimizer's state for each weight (Adam's ``m``, ``v``).

Reading it never runs code (``allow_pickle=False``), and a hostile or damaged file gets one
line naming the file and the problem, never a traceback: every field of the config is
checked for its type, the arrays' sizes are read from their headers *before* anything is
allocated, weights must be finite, and the optimizer's state must fit the weights.

Writing goes to a temporary file beside the target, which is then renamed over it, so a
crash (even ``kill -9``) while saving leaves the previous file intact; temporary files that
a killed save left behind are removed by the next save.
"""

import json
import math
import os
import tempfile
import warnings
import zipfile

import numpy as np

from glassnet.engine import losses, metrics, optimizers
from glassnet.engine.configurable import custom_object_scope
from glassnet.engine.layers.base import weight_budget
from glassnet.engine.parameters import layer_paths
from glassnet.errors import GlassnetError, ModelFileError, TrainingError

FORMAT = "glassnet-model"
VERSION = 2
MAX_CONFIG_BYTES = 64 << 20   # a model's JSON config is kilobytes; refuse absurd ones
MAX_RATIO = 64                # uncompressed / compressed size of one member, at most
TEMP_PREFIX = ".glassnet-save-"


# -- writing ----------------------------------------------------------------------------
def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"can't save {type(value).__name__} in a model config")


def atomic_write(path, write):
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``.

    The new file gets the permissions a plain ``open()`` would give (the umask decides),
    and leftovers of saves that were killed half-way are removed first.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ModelFileError(f"{path}: folder {folder} does not exist")
    if os.path.lexists(path) and not os.path.isfile(path):   # a folder, a device, a dangling link
        raise ModelFileError(f"{path}: is not a file (a folder or a device?); not replaced, give another name")
    _remove_stale_temporaries(folder)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=".tmp")
    except OSError as error:
        raise ModelFileError(f"{path}: can't write in {folder} ({error.strerror or error})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
        _fsync_folder(folder)
    except BaseException as error:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(error, OSError):    # a full disk, a name too long: said of the file asked for
            raise ModelFileError(f"{path}: not saved ({error.strerror or error}); any earlier file "
                                 f"of that name is left as it was") from None
        raise


def _remove_stale_temporaries(folder):
    """Delete temporary files of saves whose process is gone (killed while saving)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if not name.startswith(TEMP_PREFIX):
            continue
        pid = name[len(TEMP_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            try:
                os.unlink(os.path.join(folder, name))
            except OSError:
                pass


def _alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _fsync_folder(folder):
    """Make the rename itself durable (a power cut right after still finds the new file)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def model_class_name(model):
    from glassnet.engine.model import layer_class_name
    return layer_class_name(model)


def compile_config(model):
    """How the model was compiled, as JSON-friendly data (None if it wasn't)."""
    return model.get_compile_config()


def file_config(model):
    """Everything except the arrays, as a JSON-friendly dict: what the model says of itself."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "model": {"class_name": model_class_name(model), "config": model.get_config()},
        "compile": model.get_compile_config(),
        "iterations": None if model.optimizer is None else int(model.optimizer.iterations),
        **model.get_training_state(),
    }


def model_arrays(model):
    """``{"weights/<path>": array}`` in Keras's order, plus the optimizer's state."""
    arrays = {}
    for layer_path, layer in layer_paths(model.sublayers):
        for key, value in (*layer.params.items(), *layer.state.items()):
            arrays[f"weights/{layer_path}/{key}"] = value
    for layer_path, layer in layer_paths(model.sublayers):     # a vocabulary (TextVectorization)
        for key, value in getattr(layer, "own_assets", dict)().items():
            arrays[f"assets/{layer_path}/{key}"] = np.frombuffer(value, np.uint8) if isinstance(value, bytes) \
                else value
    for slot, by_path in model.get_optimizer_state().items():
        for path, value in by_path.items():
            arrays[f"optimizer/{slot}/{path}"] = value
    return arrays


def check_file_name(path, weights=False):
    """Refuse a file name that doesn't say what the file will be, as Keras refuses
    ``model.save("m.txt")``: an ``.npz`` named ``m.txt`` misleads whoever opens it next.
    A model: ``.npz`` (glassnet's), ``.keras`` (Keras 3's) or ``.h5`` / ``.hdf5`` (legacy
    Keras); weights alone: ``.weights.h5`` (Keras 3's), ``.npz``, or ``.h5`` (Keras 2's legacy layout)."""
    path = os.fspath(path)
    if weights and not path.endswith((".weights.h5", ".npz", ".h5", ".hdf5")):
        raise ModelFileError(f"{path}: glassnet saves weights as .weights.h5 (Keras 3's layout) or .npz; "
                             f"end the file name with one of them")
    if not weights and not path.endswith((".npz", ".keras", ".h5", ".hdf5")):
        raise ModelFileError(f"{path}: glassnet saves a model as .npz (its own format), .keras (Keras 3's) "
                             f"or .h5 (legacy Keras); end the file name with one of them")


def refuse_broken_weights(model, path):
    """A weight that holds NaN or infinity makes a file no one can use (loading refuses it):
    refuse to write it, before it replaces a good file of the same name."""
    if not model.built:
        return
    for layer_path, layer in layer_paths(model.sublayers):
        for key, value in (*layer.params.items(), *layer.state.items()):
            if value.dtype.kind == "f" and not np.isfinite(value).all():
                raise ModelFileError(f"{path}: not saved: weight {layer_path}/{key} holds NaN or infinite "
                                     f"values (training diverged?); any earlier file of that name is left "
                                     f"as it was")


def save_model(model, path, overwrite=True, **kwargs):
    """Write ``model`` to ``path``: glassnet's ``.npz`` (see the module docstring)."""
    if kwargs:
        raise TypeError(f"save: unknown argument(s) {', '.join(kwargs)}")
    path = os.fspath(path)
    refuse_broken_weights(model, path)
    if path.endswith(".keras"):     # Keras 3's own format (glassnet/interop/keras_file.py)
        from glassnet.interop import keras_file
        return keras_file.save_model(model, path, overwrite)
    if path.endswith((".h5", ".hdf5")):     # Keras's legacy HDF5 format
        from glassnet.interop import keras_legacy_h5
        return keras_legacy_h5.save_legacy_h5(model, path, overwrite)
    check_file_name(path)
    if not overwrite and os.path.exists(path):
        raise ModelFileError(f"{path}: exists, and overwrite=False")
    if not model.built:
        raise ModelFileError(f"{path}: model '{model.name}' isn't built yet (give it an input shape "
                             f"or train it), so there are no weights to save")
    arrays = model_arrays(model)
    config = file_config(model)
    # Arrays kept in the settings (the not-a-digit detector's statistics) go into the
    # archive as arrays, not as JSON lists ten times their size.
    config["settings"] = _arrays_out(config["settings"], arrays)
    text = json.dumps(config, default=_json_default, allow_nan=True)
    arrays["config"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    atomic_write(path, lambda f: np.savez(f, **arrays))


def _arrays_out(value, arrays):
    """``value`` with each NumPy array replaced by ``{"__array__": "settings/<n>"}``, the
    array itself put in ``arrays`` under that name."""
    if isinstance(value, np.ndarray):
        key = f"settings/{sum(k.startswith('settings/') for k in arrays)}"
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, dict):
        return {k: _arrays_out(v, arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_arrays_out(v, arrays) for v in value]
    return value


def _arrays_in(value, archive, path, depth=0):
    """The reverse of :func:`_arrays_out`: each ``{"__array__": name}`` read from the archive."""
    if depth > 50:
        raise ModelFileError(f"{path}: the settings are nested too deep")
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            key = value["__array__"]
            if not isinstance(key, str) or not key.startswith("settings/") or key not in archive.members:
                raise ModelFileError(f"{path}: the settings name an array {key!r} the file doesn't hold")
            return archive.read(key)
        return {k: _arrays_in(v, archive, path, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_arrays_in(v, archive, path, depth + 1) for v in value]
    return value


def save_weights(model, path, overwrite=True):
    """The weights alone, in the same layout (a model file without config or optimizer)."""
    path = os.fspath(path)
    refuse_broken_weights(model, path)
    if path.endswith(".weights.h5"):    # Keras 3's layout (glassnet/interop/keras_file.py)
        from glassnet.interop import keras_file
        return keras_file.save_weights(model, path, overwrite)
    if path.endswith((".h5", ".hdf5")):   # Keras 2's save_weights("w.h5"), which Keras 3 refuses
        from glassnet.interop import keras_legacy_h5
        warnings.warn(f"save_weights({path!r}): a .h5 name is Keras 2's legacy weights file (Keras 3 refuses it "
                      f"and wants .weights.h5); glassnet writes the legacy layout", DeprecationWarning, stacklevel=3)
        return keras_legacy_h5.save_legacy_weights(model, path, overwrite)
    check_file_name(path, weights=True)
    if not overwrite and os.path.exists(path):
        raise ModelFileError(f"{path}: exists, and overwrite=False")
    arrays = {k: v for k, v in model_arrays(model).items() if k.startswith("weights/")}
    arrays["config"] = np.frombuffer(json.dumps({"format": FORMAT, "version": VERSION,
                                                 "weights_only": True}).encode(), dtype=np.uint8)
    atomic_write(path, lambda f: np.savez(f, **arrays))


# -- reading ----------------------------------------------------------------------------
def open_zip(path, what):
    """``(zipfile, {name: ZipInfo})`` for the zip at ``path``, or one ModelFileError: a
    missing file, a folder, damage, or a member that claims to unpack to far more than it
    holds (a zip bomb) are all refused before anything is read."""
    if not os.path.exists(path):
        raise ModelFileError(f"{path}: no such model file")
    if os.path.isdir(path):
        raise ModelFileError(f"{path}: is a folder, not a model file")
    try:
        archive = zipfile.ZipFile(path)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        raise ModelFileError(f"{path}: not {what}, or truncated ({error})") from None
    for info in infos:
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) + (1 << 20):
            archive.close()
            raise ModelFileError(f"{path}: member {info.filename!r} declares {info.file_size:,} bytes packed "
                                 f"into {info.compress_size:,}: refused (a zip bomb, or damage)")
    return archive, {info.filename: info for info in infos}


class _Archive:
    """A model file opened for checking: its members' declared shapes, before any data."""

    def __init__(self, path):
        self.path = path
        self.zip, members = open_zip(path, "a glassnet model file")
        self.members = {}
        for name, info in members.items():
            if not name.endswith(".npy"):
                raise ModelFileError(f"{path}: holds {name!r}, which is not a NumPy array (.npy)")
            self.members[name[:-4]] = info
        self.headers = {}

    def header(self, key):
        """``(shape, dtype)`` from the member's .npy header, reading nothing else."""
        if key not in self.headers:
            try:
                with self.zip.open(self.members[key]) as f:
                    version = np.lib.format.read_magic(f)
                    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                   else np.lib.format.read_array_header_2_0)
                    shape, fortran, dtype = read_header(f, max_header_size=10000)
                    header_size = f.tell()
            except Exception as error:  # noqa: BLE001 - any damage is one message
                raise ModelFileError(f"{self.path}: array {key!r} is damaged ({error})") from None
            if dtype.hasobject or dtype.kind not in "biuf":
                raise ModelFileError(f"{self.path}: array {key!r} holds {dtype}, not numbers")
            expected = math.prod(shape) * dtype.itemsize + header_size
            if expected != self.members[key].file_size:
                raise ModelFileError(f"{self.path}: array {key!r} declares shape {shape} but holds "
                                     f"{self.members[key].file_size - header_size:,} bytes of data")
            self.headers[key] = (tuple(shape), dtype)
        return self.headers[key]

    def read(self, key, shape=None):
        """The array ``key``, after checking its declared shape is ``shape`` (if given)."""
        declared, _ = self.header(key)
        if shape is not None and declared != tuple(shape):
            raise ModelFileError(f"{self.path}: {key} has shape {declared}, the model needs {tuple(shape)}")
        try:
            with self.zip.open(self.members[key]) as f:
                return np.lib.format.read_array(f, allow_pickle=False)
        except Exception as error:  # noqa: BLE001
            raise ModelFileError(f"{self.path}: array {key!r} is damaged ({error})") from None

    def config(self):
        if "config" not in self.members:
            raise ModelFileError(f"{self.path}: an .npz file, but not a glassnet model (no config)")
        shape, dtype = self.header("config")
        if len(shape) != 1 or dtype != np.uint8 or shape[0] > MAX_CONFIG_BYTES:
            raise ModelFileError(f"{self.path}: the model config is not a JSON text")
        try:
            config = json.loads(self.read("config").tobytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise ModelFileError(f"{self.path}: the model config is corrupt ({error})") from None
        if not isinstance(config, dict) or config.get("format") != FORMAT:
            raise ModelFileError(f"{self.path}: not a glassnet model file")
        version = config.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ModelFileError(f"{self.path}: the file's format version {version!r} is not a number")
        if version > VERSION:
            raise ModelFileError(f"{self.path}: made by a newer glassnet (format {version}); upgrade glassnet")
        return config

    def declared_numbers(self, prefix):
        """How many numbers the arrays whose names start with ``prefix`` declare, in all."""
        return sum(math.prod(self.header(key)[0]) for key in self.members if key.startswith(prefix))

    def close(self):
        self.zip.close()


def _expect(path, value, kind, field):
    """``value`` if it is of ``kind``, else a ModelFileError naming ``field``."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        ok = False
    else:
        ok = isinstance(value, kinds)
    if not ok:
        names = " or ".join(k.__name__ for k in kinds)
        raise ModelFileError(f"{path}: {field} must be {names}, got {type(value).__name__}")
    return value


def load_model(path, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild a model saved with ``model.save(path)``: same layers, weights, optimizer, log.

    Args:
        path: the ``.npz`` file (or a ``.keras`` / ``.h5`` file, read by glassnet.interop).
        custom_objects: ``{"MyLayer": MyLayer, "my_loss": my_loss}`` for your own layer classes
            and loss functions (classes that subclass ``Layer`` are also found automatically
            once they are defined, and functions registered with
            ``keras.saving.register_keras_serializable``).
        compile: also restore the optimizer (with its state), the loss and the metrics.
        safe_mode: as in Keras: False lets a ``.keras`` file's Lambda written by Keras (its
            function as Python bytecode) be loaded; a glassnet file never holds code.

    Raises:
        ModelFileError: the file is missing, damaged, hostile or not a glassnet model.
    """
    path = os.fspath(path)
    with custom_object_scope(custom_objects):      # a loss function of yours is found by name
        if _keras_kind(path):   # a Keras 3 archive, or an HDF5 file (legacy Keras .h5)
            from glassnet.interop import keras_file
            return keras_file.load_model(path, custom_objects, compile, safe_mode)
        return _load_own(path, custom_objects, compile)


def _load_own(path, custom_objects, compile):
    archive = _Archive(path)
    try:
        config = archive.config()
        if config.get("weights_only"):
            raise ModelFileError(f"{path}: holds weights only (save_weights); build the model and "
                                 f"call model.load_weights({path!r})")
        if config["version"] == 1:
            config = _upgrade_v1(path, config, archive)
        return _rebuild(path, config, archive, custom_objects, compile)
    finally:
        archive.close()


def _rebuild(path, config, archive, custom_objects, compile):
    from glassnet.engine.model import deserialize_layer

    spec = _expect(path, config.get("model"), dict, "the model description")
    _expect(path, spec.get("class_name"), str, "the model's class name")
    _expect(path, spec.get("config"), dict, "the model's config")
    # The weights the file holds, and a million numbers to spare (so that a missing weight
    # is reported as missing, not as too many weights).
    budget = archive.declared_numbers("weights/") + (1 << 20)
    try:
        with weight_budget(budget, path):
            model = deserialize_layer(spec, custom_objects)
    except GlassnetError as error:
        raise ModelFileError(f"{path}: {error}" if path not in str(error) else str(error)) from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError,
            RecursionError, MemoryError) as error:
        raise ModelFileError(f"{path}: the architecture can't be rebuilt: {_describe(error)}") from None
    if not model.built:
        raise ModelFileError(f"{path}: the model has no input shape, so its weights can't be placed")
    _load_weights_into(model, archive, path)
    _load_assets_into(model, archive, path)
    compiled = config.get("compile")
    if compile and compiled is not None:
        _restore_compile(model, _expect(path, compiled, dict, "the compile settings"),
                         config.get("iterations"), archive, path)
    _restore_training(model, config, path, archive)
    return model


def _describe(error):
    text = str(error).strip() or type(error).__name__
    return text if not isinstance(error, KeyError) else f"missing field {text}"


def _load_weights_into(model, archive, path, skip_mismatch=False):
    skipped = []
    in_file = _paths_in_file(model, archive)
    for layer_path, layer in layer_paths(model.sublayers):
        for store in (layer.params, layer.state):
            for key, value in store.items():
                name = f"weights/{in_file.get(layer_path, layer_path)}/{key}"
                if name not in archive.members:
                    if skip_mismatch:
                        skipped.append(f"{layer_path}/{key}")
                        continue
                    raise ModelFileError(f"{path}: weight {layer_path}/{key} is missing")
                if skip_mismatch and archive.header(name)[0] != value.shape:
                    skipped.append(f"{layer_path}/{key}")
                    continue
                saved = finite_as(archive.read(name, value.shape), value)
                if saved is None:
                    raise ModelFileError(f"{path}: weight {layer_path}/{key} holds NaN or infinite "
                                         f"values, or numbers too large for {value.dtype} (the model diverged before it was saved)")
                value[...] = saved  # in place: the weights may be views into a flat buffer
    if skipped:                                  # as Keras: skipped, and said so
        warnings.warn(f"{path}: skip_mismatch: weight(s) {', '.join(skipped)} don't fit the file's and were "
                      f"left as they were", stacklevel=4)


def _paths_in_file(model, archive):
    """``{path of a layer of model: its path in the file}`` for the layers with weights: the
    same path when the file has every one, else the file's layers taken in order. Automatic
    names depend on what the session made before (``dense_4`` here, ``dense`` where the file
    was written), not on the network, so ``load_weights`` of the same network works in any
    session, as Keras's files (which name weights by place) do."""
    ours = [layer_path for layer_path, layer in layer_paths(model.sublayers) if layer.params or layer.state]
    theirs = list(dict.fromkeys(key[len("weights/"):].rsplit("/", 1)[0]
                                for key in archive.members if key.startswith("weights/")))
    if set(ours) <= set(theirs) or len(ours) != len(theirs):
        return {layer_path: layer_path for layer_path in ours}
    return dict(zip(ours, theirs))


def _load_assets_into(model, archive, path):
    """Give each layer that keeps assets (a vocabulary) what the file holds for it: bytes
    for a ``.txt`` asset, an array of numbers otherwise."""
    for layer_path, layer in layer_paths(model.sublayers):
        if not hasattr(layer, "load_own_assets"):
            continue
        prefix = f"assets/{layer_path}/"
        assets = {key[len(prefix):]: archive.read(key) for key in archive.members if key.startswith(prefix)}
        if any(key.endswith(".txt") for key in layer.own_assets()) and not assets:
            raise ModelFileError(f"{path}: layer {layer_path}'s vocabulary is missing")
        layer.load_own_assets({key: value.tobytes() if key.endswith(".txt") else value
                               for key, value in assets.items()})


def finite_as(saved, target):
    """``saved`` in ``target``'s dtype, or None when it isn't all finite numbers there: a
    float64 1e300 in a file is an infinity in float32, and would make every output NaN."""
    with np.errstate(over="ignore", invalid="ignore"):
        cast = np.asarray(saved).astype(target.dtype, copy=False)
    return cast if cast.dtype.kind != "f" or np.isfinite(cast).all() else None


def restore_optimizer_state(model, state, path):
    """``model.set_optimizer_state(state)``, refused when the state isn't finite numbers."""
    try:
        model.set_optimizer_state(state)
    except ValueError as error:
        raise ModelFileError(f"{path}: {error}; load it with compile=False to start the optimizer "
                             f"afresh") from None


def _restore_compile(model, compiled, iterations, archive, path):
    opt_spec = _expect(path, compiled.get("optimizer"), dict, "the optimizer")
    loss_spec = compiled.get("loss")
    try:
        opt_class = optimizers.OPTIMIZERS_BY_CLASS.get(opt_spec.get("class_name"))
        if opt_class is None:
            raise ValueError(f"unknown optimizer {opt_spec.get('class_name')!r}")
        optimizer = opt_class.from_config(_expect(path, opt_spec.get("config"), dict, "the optimizer's config"))
        loss = None
        if loss_spec is not None:
            _expect(path, loss_spec, dict, "the loss")
            loss_class = losses.LOSSES_BY_CLASS.get(loss_spec.get("class_name"))
            if loss_class is None:
                raise ValueError(f"unknown loss {loss_spec.get('class_name')!r}")
            loss = loss_class.from_config(_expect(path, loss_spec.get("config", {}), dict, "the loss's config"))
        found = {}
        for group in ("metrics", "weighted_metrics"):
            found[group] = [_metric_from_config(path, m)
                            for m in _expect(path, compiled.get(group, []), list, group)]
        model.compile(optimizer, loss, metrics=found["metrics"], weighted_metrics=found["weighted_metrics"])
    except GlassnetError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as error:
        raise ModelFileError(f"{path}: the compile settings can't be restored: {_describe(error)}") from None
    if iterations is not None:
        _expect(path, iterations, int, "the optimizer's step count")
        if iterations < 0:
            raise ModelFileError(f"{path}: the optimizer's step count is negative ({iterations})")
        optimizer.iterations = iterations
    if loss is not None:
        model._prepare_training()       # packs the weights: the layout the state is cut by
    if getattr(archive, "v1_optimizer", None):
        _restore_v1_optimizer(model, archive, path)
        return
    state = {}
    ours = {theirs: our for our, theirs in _paths_in_file(model, archive).items()}   # the file's names: ours
    for key in archive.members:
        if key.startswith("optimizer/"):
            parts = key.split("/", 2)
            if len(parts) != 3:
                raise ModelFileError(f"{path}: optimizer array {key!r} is not named optimizer/<slot>/<weight>")
            layer_path, _, weight = parts[2].rpartition("/")
            state.setdefault(parts[1], {})[f"{ours.get(layer_path, layer_path)}/{weight}"] = key
    if state and model.loss is None:
        raise ModelFileError(f"{path}: holds optimizer state but no loss to train with")
    if state:
        shapes = dict(model.weight_layout())
        loaded = {}
        for slot, by_path in state.items():
            unknown = sorted(set(by_path) - set(shapes))
            if unknown:
                raise ModelFileError(f"{path}: optimizer state for {unknown[0]!r}, which is no weight of "
                                     f"the model")
            loaded[slot] = {p: archive.read(key, model.optimizer.slot_shape(slot, shapes[p]))
                            for p, key in by_path.items()}
        restore_optimizer_state(model, loaded, path)


def _restore_v1_optimizer(model, archive, path):
    """v1 kept each slot by position in the packed weights: index 0 was the one flat array
    of every weight in layer order, which is also the order of the weight paths now."""
    layout = model.weight_layout()
    total = sum(math.prod(shape) for _, shape in layout)
    state = {}
    for key, info in archive.v1_optimizer.items():
        _, slot, index = key.split("/")
        archive.members[key] = info
        if index == "0" and archive.header(key)[0] == (total,) and len(layout) > 1:
            flat, offset = archive.read(key, (total,)), 0
            for weight_path, shape in layout:
                size = math.prod(shape)
                state.setdefault(slot, {})[weight_path] = flat[offset:offset + size].reshape(shape)
                offset += size
        elif index.isdigit() and int(index) < len(layout):
            weight_path, shape = layout[int(index)]
            state.setdefault(slot, {})[weight_path] = archive.read(key, shape)
        else:
            raise ModelFileError(f"{path}: optimizer array {key!r} fits none of the model's weights")
    restore_optimizer_state(model, state, path)


def _metric_from_config(path, spec):
    try:
        return metrics.from_saved(spec)
    except ValueError as error:
        raise ModelFileError(f"{path}: {error}") from None


def _restore_training(model, config, path, archive=None):
    """Check the training state's fields, then hand them to the model."""
    epoch = config.get("epoch", 0)
    _expect(path, epoch, int, "the epoch count")
    if epoch < 0:
        raise ModelFileError(f"{path}: the epoch count is negative ({epoch})")
    log = _expect(path, config.get("training_log") or {}, dict, "the training log")
    history = _expect(path, log.get("history", {}), dict, "the training history")
    for key, values in history.items():
        _expect(path, values, list, f"the history of {key!r}")
        for value in values:       # a number, or one per class (F1Score())
            for one in value if isinstance(value, list) else [value]:
                _expect(path, one, (int, float), f"a value in the history of {key!r}")
    for field in ("epochs", "seconds", "learning_rate"):
        for value in _expect(path, log.get(field, []), list, f"the training log's {field}"):
            _expect(path, value, (int, float), f"a value of the training log's {field}")
    for points in _expect(path, log.get("batch_loss", []), list, "the training log's batch losses"):
        for value in _expect(path, points, list, "the training log's batch losses"):
            _expect(path, value, (int, float), "a batch loss")
    unknown = sorted(set(log) - {"history", "epochs", "seconds", "learning_rate", "batch_loss"})
    if unknown:
        raise ModelFileError(f"{path}: the training log has an unknown field {unknown[0]!r}")
    epochs = len(log.get("epochs", []))      # one entry an epoch in every list (older files: none)
    lengths = {**{f"the history of {key!r}": len(values) for key, values in history.items()},
               **{f"the training log's {field}": len(log.get(field, []))
                  for field in ("seconds", "learning_rate", "batch_loss")}}
    for what, length in lengths.items():
        if length != epochs and not (length == 0 and "history" not in what):
            raise ModelFileError(f"{path}: {what} has {length} entries for {epochs} epochs")
    settings = _expect(path, config.get("settings") or {}, dict, "the settings")
    if archive is not None:
        settings = _arrays_in(settings, archive, path)
    state = config.get("rng_state")
    if state is not None:
        _expect(path, state, dict, "the random generator's state")
    layer_states = _expect(path, config.get("layer_rng_states") or {}, dict, "the layers' generators")
    for value in layer_states.values():
        _expect(path, value, dict, "a layer generator's state")
    try:
        model.set_training_state({"epoch": epoch, "training_log": log, "settings": settings,
                                  "rng_state": state, "layer_rng_states": layer_states})
    except (TypeError, ValueError, KeyError, OverflowError) as error:
        raise ModelFileError(f"{path}: the random generator's state is damaged ({_describe(error)})") from None


def _upgrade_v1(path, config, archive):
    """A file of glassnet's first format (a list of layers, ``param/<layer>/<key>``) in the
    terms of the current one, so models saved by earlier releases still open."""
    layers = _expect(path, config.get("layers"), list, "the layers")
    if not layers:
        raise ModelFileError(f"{path}: the model has no layers")
    renamed = {}
    for key in list(archive.members):
        for old in ("param/", "state/"):
            if key.startswith(old):
                renamed["weights/" + key[len(old):]] = archive.members.pop(key)
    archive.members.update(renamed)
    archive.headers.clear()
    compiled = config.get("compile")
    iterations = None
    if isinstance(compiled, dict) and isinstance(compiled.get("optimizer"), dict):
        iterations = compiled["optimizer"].get("iterations")
        compiled = {"optimizer": {k: v for k, v in compiled["optimizer"].items() if k != "iterations"},
                    "loss": compiled.get("loss"), "metrics": list(compiled.get("metrics") or []),
                    "weighted_metrics": []}
        # v1 kept the optimizer state by position in the packed weights: index 0 is the flat
        # array of every weight, in layer order, which is how weight paths are ordered now.
        flat = {}
        for key in list(archive.members):
            if key.startswith("optimizer/") and key.count("/") == 2:
                flat[key] = archive.members.pop(key)
        archive.v1_optimizer = flat
    history = config.get("history") or {}
    log = {"history": history.get("history", {}) if isinstance(history, dict) else history,
           "epochs": history.get("epoch", []) if isinstance(history, dict) else []}
    if isinstance(log["history"], dict):
        extra = {k: log["history"].pop(k) for k in ("lr", "seconds") if k in log["history"]}
        log["learning_rate"] = extra.get("lr", [])
        log["seconds"] = extra.get("seconds", [])
    return {"format": FORMAT, "version": VERSION,
            "model": {"class_name": "Sequential",
                      "config": {"name": config.get("name", "sequential"), "seed": config.get("seed"),
                                 "layers": layers, "input_shape": config.get("input_shape")}},
            "compile": compiled, "iterations": iterations, "epoch": config.get("epoch", 0),
            "training_log": log, "settings": config.get("settings"), "rng_state": config.get("rng_state")}


def load_weights(model, path, skip_mismatch=False):
    """Read the weights of a file written by ``save_weights`` or ``save`` into ``model``."""
    path = os.fspath(path)
    if _keras_kind(path):
        from glassnet.interop import keras_file
        return keras_file.load_weights(model, path, skip_mismatch)
    archive = _Archive(path)
    try:
        config = archive.config()
        if config["version"] == 1:
            _upgrade_v1(path, config, archive)
        if not model.built:
            raise ModelFileError(f"{path}: build model '{model.name}' (give it an input shape) before "
                                 f"loading weights into it")
        _load_weights_into(model, archive, path, skip_mismatch)
    finally:
        archive.close()


def _keras_kind(path):
    """"keras" for a Keras 3 archive, "hdf5" for an HDF5 file, None for glassnet's own format.
    The content decides (glassnet before 0.3 wrote its own format under any name, .keras too);
    an unreadable file goes by its name, so that the message fits the format it claims."""
    from glassnet.interop import keras_file
    kind = keras_file.file_kind(path)
    if kind is None and os.path.isfile(path) and path.endswith((".keras", ".h5", ".hdf5")):
        kind = "keras" if path.endswith(".keras") else "hdf5"
    if kind == "zip" and path.endswith(".keras") and not _is_glassnet_zip(path):
        kind = "keras"   # a .keras zip without config.json: the Keras reader names what is missing
    return kind if kind in ("keras", "hdf5") else None


def _is_glassnet_zip(path):
    """Whether the zip at ``path`` holds glassnet's ``config.npy`` (its own format)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "config.npy" in archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return False


# -- resuming -----------------------------------------------------------------------------
def architecture(model):
    """The layers as ``(class name, config without names)``: what must match to resume.
    No name counts, a wrapped layer's included (Bidirectional's ``forward_gru``): automatic
    names depend on what the session made before (``gru_1``), not on the network."""
    return [(type(layer).__name__, _without_names(layer.get_config())) for layer in model.layers]


def _without_names(config):
    """``config`` with every ``"name"`` entry left out, in nested configs too."""
    if isinstance(config, dict):
        return {key: _without_names(value) for key, value in config.items() if key != "name"}
    if isinstance(config, (list, tuple)):
        return [_without_names(value) for value in config]
    return config


def load_for_resume(path, expected=None):
    """Load a model file to continue its training where it stopped.

    Everything that decides the next step is in the file: the weights, the optimizer with
    its state and step count (and so its place in a schedule), the epoch, the training log
    and the random generator's state. Training 5 epochs, saving, loading with this and
    training 5 more gives the same weights as 10 epochs in one go, bit for bit.

    Args:
        path: a file written by ``model.save`` or ``ModelCheckpoint``.
        expected: optionally, a model of the architecture the caller means to train; a
            file holding a different one is refused rather than trained.

    Raises:
        ModelFileError: the file is missing, corrupt or not a glassnet model.
        TrainingError: the file can't be resumed: no optimizer state, or a different
            architecture from ``expected``.
    """
    model = load_model(path)
    optimizer = model.optimizer
    if optimizer is None or model.loss is None:
        raise TrainingError(f"{path}: can't resume: the file has no optimizer state "
                            f"(the model was saved without being compiled)")
    if optimizer.iterations > 0:
        state = model.get_optimizer_state()
        needed = [*optimizer.slot_names, *(["average"] if optimizer.use_ema else [])]
        missing = [name for name in needed if name not in state]
        if missing:
            raise TrainingError(f"{path}: can't resume: the optimizer state ({', '.join(missing)}) "
                                f"of {type(optimizer).__name__} is missing from the file")
    if expected is not None:
        if not expected.built:
            expected.build()
        ours, theirs = architecture(model), architecture(expected)
        if ours != theirs:
            where = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b),
                         min(len(ours), len(theirs)))
            saved = f"{ours[where][0]} {ours[where][1]}" if where < len(ours) else "nothing"
            asked = f"{theirs[where][0]} {theirs[where][1]}" if where < len(theirs) else "nothing"
            raise TrainingError(f"{path}: can't resume: the file holds a different architecture "
                                f"(layer {where + 1}: saved {saved}, asked for {asked})")
    return model
