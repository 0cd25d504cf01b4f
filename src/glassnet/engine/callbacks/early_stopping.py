"""EarlyStopping: stop training when the watched figure has stopped improving."""

from glassnet.engine.callbacks.base import Callback
from glassnet.engine.callbacks.monitor import Monitor

class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs, as in Keras 3.

    Validation loss usually falls, flattens, then rises again as the network starts to
    memorise the training set. Waiting ``patience`` epochs for a new best before giving up
    tells a real plateau from one noisy epoch.

    Args:
        monitor: the figure to watch: any name in the logs (``"val_loss"``, the default,
            ``"val_accuracy"``, ``"val_AUC"``...).
        min_delta: an improvement smaller than this doesn't count (``>= 0``).
        patience: epochs without improvement before stopping (``>= 0``).
        verbose: 1 prints a line when it stops and when it restores weights.
        mode: ``"auto"``, ``"min"`` or ``"max"`` (see :mod:`~glassnet.engine.callbacks.monitor`).
        baseline: epochs that don't beat this count towards ``patience``, even new bests.
        restore_best_weights: at the end of training, put back the weights of the best
            epoch (Keras 3 does this whenever training ends, stopped early or not), with
            ``model.get_weights()`` / ``model.set_weights()``.
        start_from_epoch: epochs to wait before watching at all (warm-up).

    A figure missing from the logs is a warning and the epoch is not counted (Keras).
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = Monitor("EarlyStopping", monitor, mode, min_delta)
        for label, value in (("patience", patience), ("start_from_epoch", start_from_epoch)):
            if int(value) != value or value < 0:
                raise ValueError(f"EarlyStopping: {label} must be a whole number >= 0, got {value!r}")
        self.patience, self.start_from_epoch = int(patience), int(start_from_epoch)
        self.verbose, self.baseline = verbose, baseline
        self.restore_best_weights = bool(restore_best_weights)

    def on_train_begin(self, logs=None):
        self.monitor.resolve(self.model)
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = self.monitor.value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Something to restore even if no epoch ever improves.
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self.monitor.better(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self.monitor.better(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)
