"""The TensorBoard callback: its checksum, the files it writes (read back by a small reader of
our own, and by TensorBoard's where it is installed), Keras's tags, and the warnings for what
glassnet does not write."""

import os
import struct
import warnings

import numpy as np
import pytest

import glassnet as tf
from glassnet.engine.callbacks import TensorBoard, TensorBoardWarning
from glassnet.engine.callbacks.tensorboard import crc32c, masked_crc32c
from glassnet.errors import GlassnetError


# -- a reader of our own: TFRecord framing, then the few protobuf fields of an Event ----------

def read_records(path):
    """The data of every record in ``path``, each length and checksum checked."""
    blob, records, at = open(path, "rb").read(), [], 0
    while at < len(blob):
        header = blob[at:at + 8]
        (length,), (header_crc,) = struct.unpack("<Q", header), struct.unpack("<I", blob[at + 8:at + 12])
        assert header_crc == masked_crc32c(header)
        data = blob[at + 12:at + 12 + length]
        (data_crc,) = struct.unpack("<I", blob[at + 12 + length:at + 16 + length])
        assert len(data) == length and data_crc == masked_crc32c(data)
        records.append(data)
        at += 16 + length
    return records


def read_varint(data, at):
    number, shift = 0, 0
    while True:
        byte = data[at]
        number |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if byte < 0x80:
            return number, at


def read_fields(data):
    """``{field number: [values]}``: ints for varints, raw bytes for the rest."""
    fields, at = {}, 0
    while at < len(data):
        key, at = read_varint(data, at)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, at = read_varint(data, at)
        elif wire_type == 1:
            value, at = data[at:at + 8], at + 8
        elif wire_type == 5:
            value, at = data[at:at + 4], at + 4
        else:
            assert wire_type == 2, wire_type
            length, at = read_varint(data, at)
            value, at = data[at:at + length], at + length
        fields.setdefault(number, []).append(value)
    return fields


def read_events(path):
    """``(file_version, [(tag, step, value), ...])`` from an event file."""
    events = [read_fields(record) for record in read_records(path)]
    for event in events:
        assert 1e9 < struct.unpack("<d", event[1][0])[0] < 1e11       # a wall time in seconds
    scalars = []
    for event in events[1:]:
        (value,) = read_fields(event[5][0])[1]          # Event.summary -> Summary.value
        value = read_fields(value)
        tag, number = value[1][0].decode(), struct.unpack("<f", value[2][0])[0]
        scalars.append((tag, event.get(2, [0])[0], number))
    return events[0][3][0].decode(), scalars


def event_file(folder):
    (name,) = os.listdir(folder)
    assert name.startswith("events.out.tfevents.") and name.endswith(".v2")
    return os.path.join(folder, name)


def by_tag(scalars):
    table = {}
    for tag, step, value in scalars:
        table.setdefault(tag, []).append((step, value))
    return table


# -- a short fit --------------------------------------------------------------------------

def data(n, seed):
    rng = np.random.default_rng(seed)
    return rng.random((n, 4, 4)).astype(np.float32), rng.integers(0, 3, n)


def short_fit(log_dir, epochs=2, **settings):
    x, y = data(48, 0)
    tf.utils.set_random_seed(0)
    model = tf.keras.models.Sequential([tf.keras.layers.Input((4, 4)), tf.keras.layers.Flatten(),
                                        tf.keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=epochs, batch_size=16, validation_data=data(20, 1), verbose=0,
                        callbacks=[tf.keras.callbacks.TensorBoard(log_dir=str(log_dir), **settings)])
    return model, history.history


def test_crc32c_known_values():
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0
    # RFC 3720 (iSCSI), appendix B.4
    assert crc32c(bytes(32)) == 0x8A9136AA
    assert crc32c(b"\xff" * 32) == 0x62A8AB43
    assert crc32c(bytes(range(32))) == 0x46DD794E
    assert masked_crc32c(b"") == 0xA282EAD8


def test_fit_writes_keras_tags_with_the_history_values(tmp_path):
    model, history = short_fit(tmp_path / "logs")
    assert sorted(os.listdir(tmp_path / "logs")) == ["train", "validation"]
    version, train = read_events(event_file(tmp_path / "logs" / "train"))
    assert version == "brain.Event:2"
    train = by_tag(train)
    assert sorted(train) == ["epoch_accuracy", "epoch_learning_rate", "epoch_loss"]
    for name in ("loss", "accuracy"):
        assert train[f"epoch_{name}"] == [(epoch, np.float32(value)) for epoch, value in enumerate(history[name])]
    assert train["epoch_learning_rate"] == [(0, np.float32(0.001)), (1, np.float32(0.001))]

    _, validation = read_events(event_file(tmp_path / "logs" / "validation"))
    validation = by_tag(validation)
    assert sorted(validation) == ["epoch_accuracy", "epoch_loss", "evaluation_accuracy_vs_iterations",
                                  "evaluation_loss_vs_iterations"]
    for name in ("loss", "accuracy"):
        values = [np.float32(value) for value in history[f"val_{name}"]]
        assert validation[f"epoch_{name}"] == list(enumerate(values))
        # after each validation pass, against the optimizer's steps (3 batches an epoch)
        assert validation[f"evaluation_{name}_vs_iterations"] == list(zip([3, 6], values))
    assert model.optimizer.iterations == 6


def test_update_freq_adds_batch_scalars_every_n_batches(tmp_path):
    short_fit(tmp_path, epochs=2, update_freq=2, write_steps_per_second=True)
    train = by_tag(read_events(event_file(tmp_path / "train"))[1])
    for tag in ("batch_loss", "batch_accuracy", "batch_steps_per_second"):
        assert [step for step, _ in train[tag]] == [2, 4, 6]      # 6 batches in all, counted from 1
    assert [step for step, _ in train["epoch_steps_per_second"]] == [0, 1]
    assert all(value > 0 for _, value in train["epoch_steps_per_second"])


def test_each_fit_starts_new_files_and_evaluate_writes_alone(tmp_path):
    callback = TensorBoard(str(tmp_path))
    x, y = data(32, 0)
    model = tf.keras.models.Sequential([tf.keras.layers.Input((4, 4)), tf.keras.layers.Flatten(),
                                        tf.keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    assert len(os.listdir(tmp_path / "train")) == 2
    loss = model.evaluate(x, y, verbose=0, callbacks=[callback])
    (scalars,) = [read_events(tmp_path / "validation" / name)[1] for name in os.listdir(tmp_path / "validation")]
    assert scalars == [("evaluation_loss_vs_iterations", 2, np.float32(loss))]


def test_unsupported_settings_warn_once_each_and_training_goes_on(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, history = short_fit(tmp_path, histogram_freq=1, write_images=True, embeddings_freq=1,
                               profile_batch=(2, 3))
    messages = [str(w.message) for w in caught if issubclass(w.category, TensorBoardWarning)]
    assert len(messages) == 4
    for what in ("histogram_freq=1", "write_images=True", "embeddings_freq=1", "profile_batch=(2, 3)"):
        assert sum(what in message for message in messages) == 1
    assert len(history["loss"]) == 2 and os.listdir(tmp_path / "train")


def test_keras_defaults_and_write_graph_do_not_warn(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", TensorBoardWarning)
        callback = TensorBoard(tmp_path, write_graph=True, profile_batch="0,0")
    assert (callback.log_dir, TensorBoard().log_dir) == (str(tmp_path), "logs")
    assert TensorBoard(update_freq="batch").update_freq == 1


@pytest.mark.parametrize("update_freq", ["weekly", 0, True, 1.5])
def test_bad_update_freq_is_one_clear_error(update_freq):
    with pytest.raises(ValueError, match="update_freq must be 'epoch', 'batch' or a whole number"):
        TensorBoard(update_freq=update_freq)


def test_a_log_dir_that_is_a_file_is_one_clear_error(tmp_path):
    (tmp_path / "taken").write_text("not a folder")
    with pytest.raises(GlassnetError, match="TensorBoard: can't write a log in"):
        short_fit(tmp_path / "taken", epochs=1)


# -- TensorBoard's own reader -------------------------------------------------------------

def test_tensorboard_reads_the_same_scalars(tmp_path):
    event_accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator",
        reason="the tensorboard package is not installed (the files are still checked above)")
    plugin_event_accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.plugin_event_accumulator")
    _, history = short_fit(tmp_path)
    for run, prefix in (("train", ""), ("validation", "val_")):
        accumulator = event_accumulator.EventAccumulator(str(tmp_path / run))
        accumulator.Reload()
        for name in ("loss", "accuracy"):
            events = accumulator.Scalars(f"epoch_{name}")
            assert [e.step for e in events] == [0, 1]
            assert [e.value for e in events] == pytest.approx(history[prefix + name], rel=1e-6)
        # What TensorBoard's web page uses: the scalars plugin sees every tag.
        ui = plugin_event_accumulator.EventAccumulator(str(tmp_path / run))
        ui.Reload()
        assert {"epoch_loss", "epoch_accuracy"} <= set(ui.PluginTagToContent("scalars"))


def test_keras_2_2s_arguments_are_taken_with_a_warning(tmp_path):
    """TensorBoard(log_dir, histogram_freq=0, batch_size=32, write_graph=True, write_grads=False)
    from Keras 2.2 programs; anything else is still unknown."""
    with pytest.warns(DeprecationWarning, match="batch_size, write_grads are Keras 2's"):
        TensorBoard(log_dir=str(tmp_path), histogram_freq=0, batch_size=32, write_graph=True, write_grads=False)
    with pytest.raises(TypeError, match="unknown argument\\(s\\) colour"):
        TensorBoard(log_dir=str(tmp_path), colour="red")
