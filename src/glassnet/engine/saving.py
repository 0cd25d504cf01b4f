"""Saving and loading a model: one ``.npz`` file, no pickle.

The file is an ordinary NumPy ``.npz`` archive (a zip of ``.npy`` arrays):

* ``config``: a JSON document stored as bytes: the layers and their arguments, how the
  model was compiled, the optimizer's step count, the epoch, the training history and the
  settings, and the random generator's state (so a resumed run continues bit for bit);
* ``param/<layer>/<name>``: each weight; ``state/<layer>/<name>``: non-trainable arrays
  such as batch-norm statistics; ``optimizer/<slot>/<i>``: the optimizer's state.

It is read with ``allow_pickle=False``, so opening a model file can never run code. It is
written to a temporary file first and then renamed over the target, so a crash while
saving leaves the previous file intact.
"""

import json
import os
import tempfile
import zipfile

import numpy as np

from glassnet.engine import losses, optimizers
from glassnet.engine.layers.base import LAYERS
from glassnet.errors import ModelFileError, TrainingError

FORMAT = "glassnet-model"
VERSION = 1


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"can't save {type(value).__name__} in a model config")


def atomic_write(path, write):
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ModelFileError(f"{path}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def model_config(model):
    """Everything except the arrays, as a JSON-friendly dict."""
    opt = model.optimizer
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": model.name,
        "seed": model.seed,
        "input_shape": list(model.input_shape) if model.input_shape else None,
        "layers": [{"class_name": type(l).__name__, "config": l.get_config()} for l in model.layers],
        "compile": None if opt is None else {
            "optimizer": {"class_name": type(opt).__name__, "config": opt.get_config(),
                          "iterations": opt.iterations},
            "loss": {"class_name": type(model.loss).__name__, "config": model.loss.get_config()},
            "metrics": list(model.metrics),
        },
        "epoch": model.epoch,
        "history": {"history": model.history.history, "epoch": model.history.epoch},
        "settings": model.settings,
        "rng_state": model.rng.bit_generator.state,
    }


def save_model(model, path):
    if not model.built:
        model.build()
    arrays = {}
    for layer in model.layers:
        for key, value in layer.params.items():
            arrays[f"param/{layer.name}/{key}"] = value
        for key, value in layer.state.items():
            arrays[f"state/{layer.name}/{key}"] = value
    if model.optimizer is not None:
        for slot, values in model.optimizer.slots.items():
            for i, value in enumerate(values):
                if value is not None:
                    arrays[f"optimizer/{slot}/{i}"] = value
    text = json.dumps(model_config(model), default=_json_default)
    arrays["config"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    atomic_write(path, lambda f: np.savez(f, **arrays))


def _read(path):
    """The config dict and the arrays of a model file, or a one-line ModelFileError."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ModelFileError(f"{path}: no such model file")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError) as error:
        raise ModelFileError(f"{path}: not a glassnet model file, or truncated ({error})") from None
    if "config" not in arrays:
        raise ModelFileError(f"{path}: an .npz file, but not a glassnet model (no config)")
    try:
        config = json.loads(arrays.pop("config").tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{path}: the model config is corrupt ({error})") from None
    if config.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a glassnet model file")
    if config.get("version", 0) > VERSION:
        raise ModelFileError(f"{path}: made by a newer glassnet (format {config['version']})")
    return config, arrays


def load_model(path, custom_objects=None, compile=True):
    """Rebuild a model saved with ``model.save(path)``: same layers, weights and history.

    Args:
        path: the ``.npz`` file.
        custom_objects: ``{"MyLayer": MyLayer}`` for your own layer classes (classes that
            subclass ``Layer`` are also found automatically once they are defined).
        compile: also restore the optimizer (with its state) and the loss.
    """
    from glassnet.engine.callbacks import History
    from glassnet.engine.model import Sequential

    config, arrays = _read(path)
    known = {**LAYERS, **(custom_objects or {})}
    model = Sequential(name=config["name"], seed=config.get("seed"))
    for spec in config["layers"]:
        cls = known.get(spec["class_name"])
        if cls is None:
            raise ModelFileError(
                f"{path}: unknown layer class {spec['class_name']!r}; pass it in custom_objects=")
        try:
            model.add(cls.from_config(spec["config"]))
        except (TypeError, ValueError) as error:
            raise ModelFileError(f"{path}: can't rebuild layer {spec['class_name']}: {error}") from None
    model.build(config["input_shape"])
    for layer in model.layers:
        for prefix, store in (("param", layer.params), ("state", layer.state)):
            for key, value in store.items():
                saved = arrays.get(f"{prefix}/{layer.name}/{key}")
                if saved is None or saved.shape != value.shape:
                    raise ModelFileError(f"{path}: weight {layer.name}/{key} is missing or has the wrong shape")
                value[...] = saved  # in place: the weights are views into the model's flat buffer
    compiled = config.get("compile")
    if compile and compiled:
        opt_spec, loss_spec = compiled["optimizer"], compiled["loss"]
        optimizer = optimizers.OPTIMIZERS_BY_CLASS[opt_spec["class_name"]].from_config(opt_spec["config"])
        loss = losses.LOSSES_BY_CLASS[loss_spec["class_name"]](**loss_spec["config"])
        model.compile(optimizer, loss, compiled["metrics"])
        optimizer.iterations = opt_spec["iterations"]
        for key, value in arrays.items():
            if key.startswith("optimizer/"):
                _, slot, index = key.split("/")
                optimizer.slot(slot, int(index), value)[...] = value
    model.epoch = config.get("epoch", 0)
    saved_history = config.get("history") or {}
    model.history = History(saved_history.get("history"), saved_history.get("epoch"))
    model.settings = config.get("settings") or {}
    if config.get("rng_state"):
        model.rng.bit_generator.state = config["rng_state"]
    return model


def architecture(model):
    """The layers as ``(class name, config without the name)``: what must match to resume."""
    if not model.built:
        model.build()
    return [(type(layer).__name__, {k: v for k, v in layer.get_config().items() if k != "name"})
            for layer in model.layers]


def load_for_resume(path, expected=None):
    """Load a model file to continue its training where it stopped.

    Everything that decides the next step is in the file: the weights, the optimizer with
    its state and step count (and so its place in a schedule), the epoch, the history and
    the random generator's state. Training 5 epochs, saving, loading with this and
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
    if optimizer is None:
        raise TrainingError(f"{path}: can't resume: the file has no optimizer state "
                            f"(the model was saved without being compiled)")
    if optimizer.iterations > 0:
        missing = [name for name in optimizer.slot_names
                   if len(optimizer.slots.get(name, [])) < len(model.weights)
                   or any(value is None for value in optimizer.slots[name])]
        if missing:
            raise TrainingError(f"{path}: can't resume: the optimizer state ({', '.join(missing)}) "
                                f"of {type(optimizer).__name__} is missing from the file")
    if expected is not None:
        ours, theirs = architecture(model), architecture(expected)
        if ours != theirs:
            where = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b),
                         min(len(ours), len(theirs)))
            saved = f"{ours[where][0]} {ours[where][1]}" if where < len(ours) else "nothing"
            asked = f"{theirs[where][0]} {theirs[where][1]}" if where < len(theirs) else "nothing"
            raise TrainingError(f"{path}: can't resume: the file holds a different architecture "
                                f"(layer {where + 1}: saved {saved}, asked for {asked})")
    return model
