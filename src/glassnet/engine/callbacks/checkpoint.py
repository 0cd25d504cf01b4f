"""ModelCheckpoint: save the model during training, every epoch or whenever it improves."""

import os

from glassnet.engine.callbacks.base import Callback
from glassnet.engine.callbacks.monitor import Monitor
from glassnet.errors import TrainingError


class ModelCheckpoint(Callback):
    """Save the whole model (weights, optimizer state, history) at the end of epochs.

    The file is written atomically (a temporary file, then a rename), so a crash or a
    Ctrl-C while saving never leaves a half-written checkpoint: the previous one survives.
    A checkpoint carries everything ``glassnet train --resume`` needs to continue.

    Args:
        filepath: where to save; may name figures of the epoch, as in Keras:
            ``"ckpt-{epoch:02d}-{val_accuracy:.4f}.npz"`` (``epoch`` counts from 1).
        monitor: the figure that decides what "best" means (default ``"val_loss"``).
        verbose: 1 prints a line for every save.
        save_best_only: save only when ``monitor`` improves on the best so far.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, mode="auto"):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = Monitor("ModelCheckpoint", monitor, mode)
        self.verbose, self.save_best_only = verbose, bool(save_best_only)
        self.best = self.monitor.worst

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as missing:
            raise TrainingError(f"ModelCheckpoint: the file name {self.filepath!r} names {missing}, which "
                                f"is not in the logs ({', '.join(['epoch', *logs])})") from None
        if self.save_best_only:
            current = self.monitor.value(logs)
            if not self.monitor.better(current, self.best):
                if self.verbose:
                    print(f"Epoch {epoch + 1}: {self.monitor.name} did not improve from {self.best:.5f}")
                return
            if self.verbose:
                print(f"Epoch {epoch + 1}: {self.monitor.name} improved from {self.best:.5f} to "
                      f"{current:.5f}, saving model to {path}")
            self.best = current
        elif self.verbose:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        self.model.save(path)
