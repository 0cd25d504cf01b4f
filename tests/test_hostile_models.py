"""Hostile and damaged model files: one ModelFileError naming the file, never a traceback.

Each case starts from a real saved model and breaks one thing the way a damaged download, a
hand-edited config or an attacker would. Every one must be refused by ``load_model`` with a
ModelFileError, and by ``glassnet predict``, ``evaluate`` and ``train --resume`` with exit
status 2 and one line on stderr. Nothing may allocate more than the file holds.
"""

import io
import json
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassnet import load_model
from glassnet.datasets.idx import write_idx
from glassnet.engine.layers import BatchNormalization, Dense, Dropout, Flatten
from glassnet.engine.optimizers import Adam
from glassnet.engine.schedules import CosineDecay
from glassnet.engine.sequential import Sequential
from glassnet.errors import ModelFileError
from glassnet.interfaces.cli import main


def saved_model(path):
    """A small trained model file, and its parts: config dict and arrays."""
    rng = np.random.default_rng(0)
    model = Sequential([Flatten(input_shape=(28, 28)), Dense(8, activation="relu"), BatchNormalization(),
                        Dropout(0.1), Dense(10, activation="softmax")], seed=0)
    model.compile(Adam(CosineDecay(1e-3, decay_steps=50)), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(rng.random((64, 28, 28), dtype=np.float32), rng.integers(0, 10, 64), epochs=1, verbose=0)
    model.save(path)
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    return json.loads(arrays.pop("config").tobytes()), arrays


def write(path, config, arrays, raw_config=None):
    arrays = dict(arrays)
    text = raw_config if raw_config is not None else json.dumps(config).encode()
    arrays["config"] = np.frombuffer(text, np.uint8)
    np.savez(path, **arrays)


def layer(config, index):
    return config["model"]["config"]["layers"][index]


def _set(path, value):
    def change(config, arrays):
        target = config
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _pop(path):
    def change(config, arrays):
        target = config
        for key in path[:-1]:
            target = target[key]
        target.pop(path[-1])
    return change


def _layer_field(index, key, value):
    def change(config, arrays):
        layer(config, index)["config"][key] = value
    return change


def _array(key, value):
    def change(config, arrays):
        arrays[key] = value
    return change


def _drop_array(key):
    def change(config, arrays):
        arrays.pop(key)
    return change


# (name, change(config, arrays) or None, raw bytes replacing the whole file or None, what the error says)
CASES = [
    ("config is a list", lambda c, a: c.clear() or None, None, "not a glassnet model"),
    ("format missing", _pop(["format"]), None, "not a glassnet model"),
    ("version a string", _set(["version"], "2"), None, "format version"),
    ("version from the future", _set(["version"], 99), None, "newer glassnet"),
    ("model missing", _pop(["model"]), None, "model description"),
    ("model a list", _set(["model"], []), None, "model description"),
    ("unknown model class", _set(["model", "class_name"], "Mystery"), None, "unknown layer class"),
    ("layers missing", _pop(["model", "config", "layers"]), None, "can't be rebuilt"),
    ("layers a dict", _set(["model", "config", "layers"], {"a": 1}), None, "can't be rebuilt"),
    ("no layers", _set(["model", "config", "layers"], []), None, "has no layers"),
    ("layer without class", lambda c, a: layer(c, 1).pop("class_name"), None, "unknown layer class"),
    ("unknown layer", lambda c, a: layer(c, 1).update(class_name="Mystery"), None, "unknown layer class 'Mystery'"),
    ("layer config a string", lambda c, a: layer(c, 1).update(config="dense"), None, "can't be rebuilt"),
    ("units a string", _layer_field(1, "units", "abc"), None, "units"),
    ("units negative", _layer_field(1, "units", -5), None, "units"),
    ("units huge", _layer_field(1, "units", 10 ** 12), None, "more than the file holds"),
    ("unknown argument", _layer_field(1, "colour", "red"), None, "unknown argument"),
    ("activation unknown", _layer_field(1, "activation", "sparkle"), None, "unknown activation"),
    ("activation dict unknown", _layer_field(1, "activation", {"name": "sparkle"}), None, "can't be rebuilt"),
    ("activation a number", _layer_field(1, "activation", 3), None, "activation"),
    ("input_shape negative", _set(["model", "config", "input_shape"], [-5]), None, "shape"),
    ("input_shape text", _set(["model", "config", "input_shape"], "abc"), None, "shape"),
    ("input_shape nested", _set(["model", "config", "input_shape"], [[28], [28]]), None, "positive whole numbers"),
    ("input_shape missing", _set(["model", "config", "input_shape"], None), None, "no input shape"),
    ("dropout rate 2", _layer_field(3, "rate", 2), None, "rate"),
    ("weight missing", _drop_array("weights/dense/kernel"), None, "weight dense/kernel is missing"),
    ("weight wrong shape", _array("weights/dense/kernel", np.zeros((3, 3), np.float32)), None, "shape"),
    ("weights as strings", _array("weights/dense/kernel", np.full((784, 8), "x")), None, "not numbers"),
    ("weights NaN", _array("weights/dense/bias", np.full(8, np.nan, np.float32)), None, "NaN"),
    ("statistics inf", _array("weights/batch_normalization/moving_variance", np.full(8, np.inf, np.float32)),
     None, "NaN or infinite"),
    ("epoch a string", _set(["epoch"], "ten"), None, "epoch count"),
    ("epoch negative", _set(["epoch"], -1), None, "negative"),
    ("history a list", _set(["training_log", "history"], [1, 2]), None, "training history"),
    ("history values text", _set(["training_log", "history"], {"loss": ["a"]}), None, "history"),
    ("seconds a dict", _set(["training_log", "seconds"], {"a": 1}), None, "seconds"),
    ("settings a list", _set(["settings"], [1]), None, "settings"),
    ("settings name a missing array", _set(["settings"], {"x": {"__array__": "settings/9"}}), None,
     "doesn't hold"),
    ("settings name a weight", _set(["settings"], {"x": {"__array__": "weights/dense/kernel"}}), None,
     "doesn't hold"),
    ("rng state a string", _set(["rng_state"], "seed"), None, "random generator"),
    ("rng state damaged", _set(["rng_state", "state", "state"], "x"), None, "random generator"),
    ("rng state wrong generator", _set(["rng_state", "bit_generator"], "MT19937"), None, "random generator"),
    ("optimizer unknown", _set(["compile", "optimizer", "class_name"], "Rocket"), None, "unknown optimizer"),
    ("optimizer bad key", _set(["compile", "optimizer", "config", "warp"], 9), None, "compile settings"),
    ("optimizer rate negative", _set(["compile", "optimizer", "config", "learning_rate"], -1), None, "learning_rate"),
    ("schedule unknown", _set(["compile", "optimizer", "config", "learning_rate"],
                              {"class_name": "Teleport", "config": {}}), None, "schedule"),
    ("schedule bad config", _set(["compile", "optimizer", "config", "learning_rate"],
                                 {"class_name": "CosineDecay", "config": {"decay_steps": "x"}}), None, "compile"),
    ("loss unknown", _set(["compile", "loss", "class_name"], "Regret"), None, "unknown loss"),
    ("loss bad key", _set(["compile", "loss", "config"], {"temperature": 3}), None, "compile settings"),
    ("metric unknown", _set(["compile", "metrics"], [{"class_name": "Vibes", "config": {}}]), None, "unknown metric"),
    ("metrics a string", _set(["compile", "metrics"], "accuracy"), None, "metrics"),
    ("iterations a string", _set(["iterations"], "many"), None, "step count"),
    ("iterations negative", _set(["iterations"], -3), None, "negative"),
    ("optimizer slot wrong shape", _array("optimizer/m/dense/kernel", np.zeros(3, np.float32)), None, "shape"),
    ("optimizer slot for no weight", _array("optimizer/m/ghost/kernel", np.zeros(3, np.float32)), None,
     "no weight of the model"),
    ("optimizer slot misnamed", _array("optimizer/m", np.zeros(3, np.float32)), None, "optimizer"),
    ("config not UTF-8", None, b"\xff\xfe\x00", "config is corrupt"),
    ("config not JSON", None, b"{not json", "config is corrupt"),
    ("config nested deep", None, b"[" * 100_000 + b"]" * 100_000, "config is corrupt"),
]


def build_case(tmp_path, name, change, raw):
    config, arrays = saved_model(tmp_path / "good.npz")
    path = tmp_path / f"{name.replace(' ', '_')}.npz"
    if change is not None:
        if name == "config is a list":
            write(path, None, arrays, raw_config=b"[1, 2, 3]")
            return path
        change(config, arrays)
    write(path, config, arrays, raw_config=raw)
    return path


@pytest.mark.parametrize("name, change, raw, message", CASES, ids=[c[0] for c in CASES])
def test_every_hostile_config_is_one_model_file_error(tmp_path, name, change, raw, message):
    path = build_case(tmp_path, name, change, raw)
    with pytest.raises(ModelFileError, match=message) as caught:
        load_model(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def _zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def test_damaged_archives(tmp_path):
    config, arrays = saved_model(tmp_path / "good.npz")
    good = (tmp_path / "good.npz").read_bytes()
    cases = {
        "truncated.npz": good[: len(good) // 3],
        "empty.npz": b"",
        "html.npz": b"<html>404</html>",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    members = {f"{k}.npy": _npy(v) for k, v in arrays.items()}
    members["config.npy"] = _npy(np.frombuffer(json.dumps(config).encode(), np.uint8))
    _zip(tmp_path / "text_member.npz", {**members, "notes.txt": b"hello"})
    _zip(tmp_path / "pickle.npz", {**members, "config.npy": _npy(np.array([{"a": 1}], dtype=object))})
    # A member that declares a 2 GB array of zeros, packed into a few kB.
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (500_000_000,)})
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        with archive.open("weights/dense/kernel.npy", "w", force_zip64=True) as f:
            f.write(header.getvalue())
            zeros = bytes(1 << 20)
            for _ in range(2000):
                f.write(zeros)
    for name in ["truncated.npz", "empty.npz", "html.npz", "text_member.npz", "pickle.npz", "bomb.npz"]:
        with pytest.raises(ModelFileError) as caught:
            load_model(tmp_path / name)
        assert name in str(caught.value)


@pytest.fixture
def tiny_mnist(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for split, n in (("train", 40), ("t10k", 20)):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", rng.integers(0, 10, n).astype(np.uint8))
    return folder


@pytest.mark.parametrize("name, change, raw, message",
                         [c for c in CASES if c[0] in ("units huge", "activation dict unknown", "weights NaN",
                                                       "rng state damaged", "optimizer bad key",
                                                       "schedule unknown", "metric unknown",
                                                       "optimizer slot wrong shape", "config nested deep",
                                                       "history a list", "input_shape text")],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_says_one_line_and_exits_2(tmp_path, tiny_mnist, capsys, name, change, raw, message):
    path = build_case(tmp_path, name, change, raw)
    digit = tmp_path / "digit.png"
    from PIL import Image
    Image.fromarray(np.full((28, 28), 200, np.uint8)).save(digit)
    for argv in (["predict", str(path), str(digit)],
                 ["evaluate", str(path), "--data-dir", str(tiny_mnist)],
                 ["train", "--resume", str(path), "--data-dir", str(tiny_mnist), "--epochs", "1", "--verbose", "0"]):
        code = main(argv)
        err = capsys.readouterr().err
        if argv[0] == "predict" and name in ("optimizer bad key", "schedule unknown", "metric unknown",
                                              "optimizer slot wrong shape"):
            assert code == 0          # predict doesn't read the training state at all
            continue
        assert code == 2, (argv[0], err)
        assert err.count("\n") == 1 and "Traceback" not in err and str(path) in err


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.data())
def test_fuzzed_bytes_and_configs_give_only_model_file_errors(tmp_path, data):
    path = tmp_path / "good.npz"
    if not path.exists():
        saved_model(path)
    good = path.read_bytes()
    fuzzed = tmp_path / "fuzzed.npz"
    if data.draw(st.booleans()):
        raw = bytearray(good)   # flip some bytes of a real file
        for _ in range(data.draw(st.integers(1, 20))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        fuzzed.write_bytes(bytes(raw))
    else:                        # a structurally valid file with a fuzzed part of its config
        with np.load(path) as archive:
            arrays = {k: archive[k] for k in archive.files}
        config = json.loads(arrays.pop("config").tobytes())
        json_values = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**12) |
                                   st.floats(allow_nan=True) | st.text(max_size=8),
                                   lambda inner: st.lists(inner, max_size=4) |
                                   st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)
        where = data.draw(st.sampled_from(["model", "compile", "training_log", "settings", "rng_state",
                                           "epoch", "iterations", "layer", "layer_config"]))
        value = data.draw(json_values)
        if where == "layer":
            config["model"]["config"]["layers"][data.draw(st.integers(0, 4))] = value
        elif where == "layer_config":
            spec = config["model"]["config"]["layers"][data.draw(st.integers(0, 4))]["config"]
            spec[data.draw(st.sampled_from(sorted(spec) + ["extra"]))] = value
        else:
            config[where] = value
        write(fuzzed, config, arrays, raw_config=json.dumps(config, allow_nan=True).encode())
    try:
        load_model(fuzzed)
    except ModelFileError as error:
        assert "\n" not in str(error)
