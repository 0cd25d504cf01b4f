"""Saving and loading: identical predictions, atomic writes, and clear errors for bad files."""

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

import glassnet
from glassnet import Sequential, load_model
from glassnet.errors import ModelFileError
from glassnet.layers import Dense, Dropout, Flatten, Input, LeakyReLU
from glassnet.regularizers import l2


def trained_model(seed=0):
    rng = np.random.default_rng(seed)
    x, y = rng.random((64, 6, 6)).astype(np.float32), rng.integers(0, 3, 64)
    model = Sequential([Flatten(input_shape=(6, 6)),
                        Dense(8, activation="tanh", kernel_regularizer=l2(1e-3)), Dropout(0.1),
                        Dense(5, activation=LeakyReLU(0.1)),
                        Dense(3, activation="softmax")], name="tiny", seed=seed)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
    model.settings["note"] = "hello"
    return model, x, y


def test_round_trip_gives_identical_predictions(tmp_path):
    model, x, y = trained_model()
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = glassnet.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    assert [type(l) for l in loaded.layers] == [type(l) for l in model.layers]
    assert loaded.layers[3].activation.negative_slope == pytest.approx(0.1)
    assert loaded.training_log.history == model.training_log.history
    assert loaded.training_log.seconds == model.training_log.seconds
    assert loaded.settings["note"] == "hello" and loaded.epoch == 2 and loaded.name == "tiny"
    assert loaded.optimizer.iterations == model.optimizer.iterations
    np.testing.assert_array_equal(loaded.optimizer.slots["m"][0], model.optimizer.slots["m"][0])


def test_the_file_is_plain_npz_without_pickle(tmp_path):
    model, _, _ = trained_model()
    path = tmp_path / "model.npz"
    model.save(path)
    with np.load(path, allow_pickle=False) as archive:
        assert "weights/dense/kernel" in archive.files and "optimizer/m/dense/kernel" in archive.files
        config = json.loads(archive["config"].tobytes())
    assert config["format"] == "glassnet-model"
    assert config["model"]["config"]["layers"][1]["config"]["units"] == 8


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    model, x, _ = trained_model()
    path = tmp_path / "model.npz"
    model.save(path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(ModelFileError, match=r"model.npz: not saved \(disk full\); any earlier file"):
        model.save(path)
    assert path.read_bytes() == before          # the old file survived
    assert os.listdir(tmp_path) == ["model.npz"]  # and no temporary file is left


def test_a_save_never_replaces_a_good_file_by_one_that_cannot_be_loaded(tmp_path):
    pytest.importorskip("h5py")
    model = Sequential([Flatten(input_shape=(6, 6)), Dense(4, activation="relu"), Dense(3, activation="softmax")],
                       seed=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    weights = model.get_weights()
    for name in ("model.npz", "model.keras", "model.weights.h5", "model.h5"):
        path = tmp_path / name
        model.save_weights(path) if name.endswith(".weights.h5") else model.save(path)
        before = path.read_bytes()
        broken = [w.copy() for w in weights]
        broken[0].flat[3] = np.nan                # a diverged weight: loading would refuse the file
        model.set_weights(broken)
        with pytest.raises(ModelFileError, match=f"{name}: not saved: weight .*kernel holds NaN"):
            model.save_weights(path) if name.endswith(".weights.h5") else model.save(path)
        assert path.read_bytes() == before
        model.set_weights(weights)
    (tmp_path / "folder.npz").mkdir()
    with pytest.raises(ModelFileError, match="folder.npz: is not a file"):
        model.save(tmp_path / "folder.npz")
    with pytest.raises(ModelFileError, match="not saved .*name too long"):
        model.save(tmp_path / ("x" * 300 + ".npz"))


def test_numbers_a_float32_model_cannot_hold_and_a_broken_optimizer_state_are_refused(tmp_path):
    model, x, _ = trained_model()
    path = tmp_path / "model.npz"
    model.save(path)
    arrays = dict(np.load(path))
    kernel = next(k for k in arrays if k.startswith("weights/") and k.endswith("kernel"))
    huge = dict(arrays, **{kernel: np.full(arrays[kernel].shape, 1e300)})   # float64: inf in float32
    np.savez(tmp_path / "huge.npz", **huge)
    with pytest.raises(ModelFileError, match="huge.npz: weight .*too large for float32"):
        load_model(tmp_path / "huge.npz")
    slot = next(k for k in arrays if k.startswith("optimizer/"))
    np.savez(tmp_path / "state.npz", **dict(arrays, **{slot: np.full(arrays[slot].shape, np.nan, np.float32)}))
    with pytest.raises(ModelFileError, match="state.npz: the optimizer's .* holds NaN.*compile=False"):
        load_model(tmp_path / "state.npz")
    np.testing.assert_array_equal(load_model(tmp_path / "state.npz", compile=False).predict(x, verbose=0),
                                  model.predict(x, verbose=0))


def test_save_into_a_missing_folder(tmp_path):
    model, _, _ = trained_model()
    with pytest.raises(ModelFileError, match="does not exist"):
        model.save(tmp_path / "nope" / "model.npz")


def test_truncated_file(tmp_path):
    model, _, _ = trained_model()
    path = tmp_path / "model.npz"
    model.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match=r"model.npz: not a glassnet model file, or truncated"):
        load_model(path)


@pytest.mark.parametrize("content, message", [
    (b"<html>not a model</html>", "not a glassnet model file"),
    (b"", "not a glassnet model file"),
])
def test_files_that_are_not_models(tmp_path, content, message):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def test_someone_elses_npz(tmp_path):
    path = tmp_path / "weights.npz"
    np.savez(path, w=np.zeros(3))
    with pytest.raises(ModelFileError, match="not a glassnet model"):
        load_model(path)


def test_a_pickled_object_is_never_loaded(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, config=np.array([{"format": "glassnet-model"}], dtype=object))
    with pytest.raises(ModelFileError):
        load_model(path)


def test_missing_weights_and_unknown_layers(tmp_path):
    model, _, _ = trained_model()
    path = tmp_path / "model.npz"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    broken = tmp_path / "broken.npz"
    with zipfile.ZipFile(broken, "w") as archive:
        for name, data in members.items():
            if name != "weights/dense_1/kernel.npy":
                archive.writestr(name, data)
    with pytest.raises(ModelFileError, match="dense_1/kernel is missing"):
        load_model(broken)

    config = json.loads(np.load(path)["config"].tobytes())
    config["model"]["config"]["layers"][1]["class_name"] = "Mystery"
    arrays = dict(np.load(path))
    arrays["config"] = np.frombuffer(json.dumps(config).encode(), np.uint8)
    np.savez(broken, **arrays)
    with pytest.raises(ModelFileError, match="unknown layer class 'Mystery': if it is a layer of your own, define"):
        load_model(broken)


def test_missing_file():
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model("/nonexistent/model.npz")


def test_an_unbuilt_model_builds_from_its_input_shape(tmp_path):
    model = Sequential([Flatten(input_shape=(4, 4)), Dense(2)], seed=1)
    model.save(tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    x = np.ones((1, 4, 4), np.float32)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.optimizer is None


def test_kill_9_at_any_moment_of_a_save_leaves_a_whole_file_and_no_litter(tmp_path):
    """A process saving in a loop is killed (SIGKILL) at random moments; every time, the file
    is the old model or the new one, and the next save clears the killed save's temporary."""
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "model.npz"
    script = f"""
import sys
sys.path.insert(0, {str(Path(glassnet.__file__).parents[1])!r})
import numpy as np
from glassnet import Sequential
from glassnet.layers import Dense, Flatten
model = Sequential([Flatten(input_shape=(28, 28)), Dense(512), Dense(512), Dense(10)], seed=0)
i = 0
print("ready", flush=True)
while True:
    model.layers[-1].params["bias"][0] = i   # each save differs, and says which one it was
    model.save({str(path)!r})
    i += 1
"""
    rng = np.random.default_rng(0)
    litter = 0
    for attempt in range(6):
        child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        child.stdout.readline()
        time.sleep(0.05 + rng.random() * 0.3)
        child.send_signal(signal.SIGKILL)
        child.wait()
        if path.exists():
            loaded = load_model(path)           # never half a file
            assert loaded.layers[-1].params["bias"][0] >= 0
        litter += len([p for p in os.listdir(tmp_path) if p != "model.npz"])
    assert litter, "no kill landed in the middle of a save: the test proved nothing"
    leftovers = [p for p in os.listdir(tmp_path) if p != "model.npz"]
    model, _, _ = trained_model()
    model.save(path)                            # clears the killed saves' temporaries
    assert os.listdir(tmp_path) == ["model.npz"], leftovers
    assert (path.stat().st_mode & 0o777) == 0o666 & ~_umask()


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_arrays_in_the_settings_are_stored_as_arrays(tmp_path):
    model, x, _ = trained_model()
    stats = np.arange(12, dtype=np.float32).reshape(3, 4)
    model.settings["detector"] = {"means": stats, "probe": [np.ones(2), 3.0], "threshold": 0.5}
    model.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as archive:
        assert "settings/0" in archive.files and len(archive["config"]) < 20_000
    loaded = load_model(tmp_path / "m.npz").settings["detector"]
    np.testing.assert_array_equal(loaded["means"], stats)
    assert loaded["means"].dtype == np.float32 and loaded["probe"][1] == 3.0
    np.testing.assert_array_equal(loaded["probe"][0], np.ones(2))


def test_a_file_name_that_does_not_say_what_it_holds_is_refused_before_anything_is_written(tmp_path):
    """As Keras refuses model.save("m.txt"): and ModelCheckpoint refuses it when made, not
    after the first epoch's training."""
    from glassnet.engine.callbacks import ModelCheckpoint
    model = Sequential([Input((3,)), Dense(2)])
    for name in ("m.txt", "m", "m.pt"):
        with pytest.raises(ModelFileError, match=f"{name}: glassnet saves a model as .npz"):
            model.save(tmp_path / name)
        with pytest.raises(ModelFileError, match="saves a model as"):
            ModelCheckpoint(str(tmp_path / name))
    with pytest.raises(ModelFileError, match="m.pt: glassnet saves weights as .weights.h5"):
        model.save_weights(tmp_path / "m.pt")
    with pytest.raises(ModelFileError, match="saves weights as"):
        ModelCheckpoint(str(tmp_path / "w.keras"), save_weights_only=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    ModelCheckpoint(str(tmp_path / "m-{epoch:02d}.keras"))        # fine: the names it will fill in
    model.save_weights(tmp_path / "w.npz")


def test_keras_2s_save_weights_to_a_h5_name_writes_the_legacy_layout(tmp_path):
    """Keras 2's model.save_weights("model.h5") and ModelCheckpoint("weights.best.hdf5",
    save_weights_only=True), which Keras 3 refuses: the legacy weights file, with a warning."""
    from glassnet.engine.callbacks import ModelCheckpoint
    from glassnet.engine.layers import BatchNormalization
    model = Sequential([Input((3,)), Dense(2), BatchNormalization()])
    with pytest.warns(DeprecationWarning, match="Keras 2's legacy weights file .* wants .weights.h5"):
        model.save_weights(tmp_path / "model.h5")
    again = Sequential([Input((3,)), Dense(2), BatchNormalization()])
    again.load_weights(tmp_path / "model.h5")
    for ours, theirs in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    import h5py
    with h5py.File(tmp_path / "model.h5") as h5:                # Keras 2's layout, at the root
        assert [n.decode() if isinstance(n, bytes) else n for n in h5.attrs["layer_names"]] == \
            [layer.name for layer in model.layers]
    model.compile("adam", "mse")
    with pytest.warns(DeprecationWarning):
        model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=1, verbose=0, callbacks=[
            ModelCheckpoint(str(tmp_path / "weights.best.hdf5"), save_weights_only=True)])
    assert (tmp_path / "weights.best.hdf5").is_file()


def test_a_normalization_saved_before_it_kept_keras_weights_still_loads():
    """Until 2026-12-02 an adapted Normalization kept (1, 1, C) statistics and no count,
    and its config held the statistics: such a file loads, as a layer with given
    statistics, and predicts what it predicted when saved (written by the code of then)."""
    folder = Path(__file__).parent / "fixtures" / "glassnet"
    expected = np.load(folder / "normalization-old-layout-expected.npz")
    model = load_model(folder / "normalization-old-layout.npz")
    # The same float32 arithmetic, up to the last bit (NumPy's own kernels change between releases).
    np.testing.assert_allclose(model.predict(expected["x"], verbose=0), expected["y"], rtol=1e-6, atol=1e-6)


def test_a_training_log_whose_lists_disagree_is_refused(tmp_path):
    model, _, _ = trained_model()
    path = tmp_path / "model.npz"
    model.save(path)
    arrays = dict(np.load(path))
    config = json.loads(arrays["config"].tobytes())
    config["training_log"]["history"]["loss"] += [1.0, 2.0]      # 4 losses for 2 epochs
    arrays["config"] = np.frombuffer(json.dumps(config).encode(), np.uint8)
    np.savez(tmp_path / "log.npz", **arrays)
    with pytest.raises(ModelFileError, match="log.npz: the history of 'loss' has 4 entries for 2 epochs"):
        load_model(tmp_path / "log.npz")


def test_serialize_keras_object_round_trips_settings_layers_and_functions():
    """keras.io's serialization guide: keras.saving.serialize_keras_object / deserialize_keras_object."""
    import glassnet as keras

    penalty = keras.regularizers.L1L2(l1=0.01, l2=0.02)
    config = keras.saving.serialize_keras_object(penalty)
    assert (config["module"], config["class_name"]) == ("keras.regularizers", "L1L2")
    assert keras.saving.deserialize_keras_object(config).get_config() == penalty.get_config()
    dense = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(
        keras.layers.Dense(3, activation="relu")))
    assert dense.units == 3 and dense.activation.__name__ == "relu"          # as Keras keeps the function
    assert keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(keras.optimizers.Adam(0.01))).learning_rate == 0.01

    @keras.saving.register_keras_serializable("tests")
    def halve(x):
        return x / 2

    assert keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(halve)) is halve
    with pytest.raises(ValueError, match="glassnet has no 'ConvLSTM3D'"):
        keras.saving.deserialize_keras_object({"module": "keras.layers", "class_name": "ConvLSTM3D", "config": {}})
