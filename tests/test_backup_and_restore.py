"""BackupAndRestore: a fit interrupted after any epoch, started again with the same callback,
ends where the uninterrupted fit ends, bit for bit; and backups that must be refused."""

import numpy as np
import pytest

from glassnet import Sequential
from glassnet.datasets.augment import DigitAugmentation
from glassnet.engine import layers
from glassnet.engine.callbacks import BackupAndRestore, Callback
from glassnet.engine.optimizers import SGD, Adam
from glassnet.engine.schedules import OneCycle
from glassnet.errors import ModelFileError, TrainingError

RNG = np.random.default_rng(0)
X = RNG.random((96, 8, 8, 1), dtype=np.float32)
Y = RNG.integers(0, 3, 96)
EPOCHS = 5


def build(optimizer=None, dropout_seed=None):
    model = Sequential([layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)), layers.BatchNormalization(),
                        layers.Flatten(), layers.Dropout(0.3, seed=dropout_seed),
                        layers.Dense(3, activation="softmax")], seed=3)
    model.compile(optimizer or Adam(OneCycle(0.01, total_steps=EPOCHS * 3), use_ema=True, ema_momentum=0.9),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def fit(model, callbacks):
    return model.fit(X, Y, epochs=EPOCHS, batch_size=32, validation_split=0.25, verbose=0, callbacks=callbacks,
                     augment=DigitAugmentation(rotation_range=10, width_shift_range=0.1))


class Crash(Callback):
    """The machine goes away at the end of epoch ``after`` (counting from 0)."""

    def __init__(self, after):
        super().__init__()
        self.after = after

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.after:
            raise KeyboardInterrupt


@pytest.mark.parametrize("crash_after, dropout_seed", [(0, None), (2, None), (1, 5)])
def test_an_interrupted_fit_started_again_ends_as_the_uninterrupted_one(tmp_path, crash_after, dropout_seed):
    """Also with Dropout(seed=5), whose masks come from a generator of its own (saved too)."""
    straight = build(dropout_seed=dropout_seed)
    fit(straight, [])
    backup = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        fit(build(dropout_seed=dropout_seed), [BackupAndRestore(backup), Crash(crash_after)])
    assert (backup / "latest.npz").exists()
    again, callback = build(dropout_seed=dropout_seed), BackupAndRestore(backup)
    history = fit(again, [callback])
    done = crash_after + 1        # the backup of epoch crash_after was made before the crash
    assert callback.restored_epoch == done
    assert len(history.history["loss"]) == EPOCHS - done and again.epoch == EPOCHS
    for a, b in zip(again.get_weights(), straight.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert again.optimizer.iterations == straight.optimizer.iterations
    assert again.training_log.epochs == straight.training_log.epochs == list(range(EPOCHS))
    assert again.training_log.history["loss"] == straight.training_log.history["loss"]
    assert not backup.exists()                                        # deleted once training finished


def test_backups_every_few_batches_and_kept_after_training(tmp_path):
    backup = tmp_path / "b"
    model = build(SGD(0.05))
    fit(model, [BackupAndRestore(backup, save_freq=2, double_checkpoint=True, delete_checkpoint=False)])
    assert (backup / "latest.npz").exists() and (backup / "latest.npz.bkp").exists()
    # A damaged latest backup (the finished run): the one before it is used instead, the
    # last every-2-batches backup, in the middle of the last epoch, which is done again.
    (backup / "latest.npz").write_bytes(b"not a model")
    again, callback = build(SGD(0.05)), BackupAndRestore(backup, double_checkpoint=True, delete_checkpoint=False)
    history = fit(again, [callback])
    assert callback.restored_epoch == EPOCHS - 1 and len(history.history["loss"]) == 1 and again.epoch == EPOCHS
    again, callback = build(SGD(0.05)), BackupAndRestore(backup)
    assert len(fit(again, [callback]).history) == 0 and callback.restored_epoch == EPOCHS   # kept: nothing left to do
    assert not backup.exists()
    # Without double_checkpoint a damaged backup is an error that names the file, even with
    # an older backup lying beside it.
    backup.mkdir()
    (backup / "latest.npz").write_bytes(b"not a model")
    (backup / "latest.npz.bkp").write_bytes(b"")
    with pytest.raises(ModelFileError, match="latest.npz"):
        fit(build(SGD(0.05)), [BackupAndRestore(backup)])


def test_a_backup_of_another_run_is_refused(tmp_path):
    backup = tmp_path / "b"
    fit(build(SGD(0.05)), [BackupAndRestore(backup, delete_checkpoint=False)])
    with pytest.raises(TrainingError, match="trained with SGD, this run with Adam"):
        fit(build(), [BackupAndRestore(backup)])
    other = Sequential([layers.Flatten(input_shape=(8, 8, 1)), layers.Dense(3, activation="softmax")])
    other.compile(SGD(0.05), "sparse_categorical_crossentropy")
    with pytest.raises(TrainingError, match="different architecture"):
        fit(other, [BackupAndRestore(backup)])
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or a whole number"):
        BackupAndRestore(backup, save_freq="batch")
