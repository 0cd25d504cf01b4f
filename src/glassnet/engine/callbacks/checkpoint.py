"""ModelCheckpoint: save the model during training, every epoch or whenever it improves."""

import os
import warnings

from glassnet.engine.callbacks.base import Callback
from glassnet.engine.callbacks.monitor import Monitor
from glassnet.engine.saving import check_file_name
from glassnet.errors import TrainingError


class ModelCheckpoint(Callback):
    """Save the model (or only its weights) at the end of epochs, as Keras 3's does.

    The model writes its files atomically (a temporary file, then a rename), so a crash or a
    Ctrl-C while saving never leaves a half-written checkpoint: the previous one survives.

    Args:
        filepath: where to save; may name figures of the epoch, as in Keras:
            ``"ckpt-{epoch:02d}-{val_accuracy:.4f}.keras"`` (``epoch`` counts from 1).
        monitor: the figure that decides what "best" means (default ``"val_loss"``).
        verbose: 1 prints a line for every save.
        save_best_only: save only when ``monitor`` improves on the best so far.
        save_weights_only: ``model.save_weights(path)`` instead of ``model.save(path)``.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        save_freq: ``"epoch"``, or a number of batches between saves.
        initial_value_threshold: the "best" to beat at the start (with save_best_only).
        period: Keras 2's "every ``period`` epochs" (Keras 3 refuses it; a DeprecationWarning here).
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None, period=None):
        super().__init__()
        if period is not None:
            warnings.warn("ModelCheckpoint: period= is Keras 2's (every that many epochs); Keras 3 has "
                          "save_freq= in batches", DeprecationWarning, stacklevel=2)
            if isinstance(period, bool) or not isinstance(period, int) or period < 1:
                raise ValueError(f"ModelCheckpoint: period must be a whole number of epochs >= 1, got {period!r}")
        self.period = period or 1
        self.filepath = os.fspath(filepath)
        check_file_name(self.filepath, weights=save_weights_only)   # now, not after the first epoch
        self.monitor = Monitor("ModelCheckpoint", monitor, mode)
        self.verbose, self.save_best_only = verbose, bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a whole number of "
                             f"batches >= 1, got {save_freq!r}")
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        if save_freq != "epoch":   # only then is there a per-batch hook to call
            self.on_train_batch_end = self._on_batch
        self.best = initial_value_threshold
        self.epoch = 0

    def on_train_begin(self, logs=None):
        self.monitor.resolve(self.model)
        self.batches_since_save = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch" and (epoch + 1) % self.period == 0:
            self.save(epoch, None, logs)

    def _on_batch(self, batch, logs=None):
        self.batches_since_save += 1
        if self.batches_since_save >= self.save_freq:
            self.batches_since_save = 0
            self.save(self.epoch, batch, logs)

    def path(self, epoch, batch, logs):
        """The file name for this save, with the figures filled in."""
        fields = {**(logs or {}), "epoch": epoch + 1}
        if batch is not None:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as missing:
            raise TrainingError(f"ModelCheckpoint: the file name {self.filepath!r} names {missing}, which "
                                f"is not in the logs ({', '.join(['epoch', *(logs or {})])})") from None

    def save(self, epoch, batch, logs):
        path = self.path(epoch, batch, logs)
        if self.save_best_only:
            current = self.monitor.value(logs)
            if current is None:
                return
            if not self.monitor.better(current, self.best):
                if self.verbose:
                    print(f"Epoch {epoch + 1}: {self.monitor.name} did not improve from {self.best:.5f}")
                return
            if self.verbose:
                before = f"{self.monitor.worst}" if self.best is None else f"{self.best:.5f}"
                print(f"Epoch {epoch + 1}: {self.monitor.name} improved from {before} to "
                      f"{current:.5f}, saving model to {path}")
            self.best = current
        elif self.verbose:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        folder = os.path.dirname(str(path))
        if folder:                         # "training_1/cp.weights.h5": made, as Keras makes it
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)
        if self.verbose:
            print(f"Epoch {epoch + 1}: finished saving model to {path}")     # Keras 3 says both
