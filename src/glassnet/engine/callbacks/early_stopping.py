"""EarlyStopping: stop training when the watched figure has stopped improving."""

import numpy as np

from glassnet.engine.callbacks.base import Callback
from glassnet.engine.callbacks.monitor import Monitor


def get_weights(model):
    """Copies of every weight and every non-trainable array (batch-norm statistics)."""
    arrays = list(model.weights) + [a for layer in model.layers for a in layer.state.values()]
    return [a.copy() for a in arrays]


def set_weights(model, saved):
    """Put back what :func:`get_weights` copied, in place (the layers hold views)."""
    arrays = list(model.weights) + [a for layer in model.layers for a in layer.state.values()]
    for live, copy in zip(arrays, saved):
        np.copyto(live, copy)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs, as in Keras.

    Validation loss usually falls, flattens, then rises again as the network starts to
    memorise the training set. Waiting ``patience`` epochs for a new best before giving up
    tells a real plateau from one noisy epoch.

    Args:
        monitor: the figure to watch: ``"val_loss"`` (default), ``"val_accuracy"``, ``"loss"``
            or ``"accuracy"``.
        min_delta: an improvement smaller than this doesn't count (``>= 0``).
        patience: epochs without improvement before stopping (``>= 0``).
        verbose: 1 prints a line when it stops.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        baseline: training stops unless the figure beats this within ``patience`` epochs.
        restore_best_weights: when stopping, put back the weights of the best epoch.
            As in Keras, this happens only when it stops early, not when ``epochs`` run out.
        start_from_epoch: epochs to wait before watching at all (warm-up).
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
        self.wait = 0
        self.stopped_epoch = None
        self.best = self.monitor.worst
        self.best_epoch = None
        self.best_weights = None
        self.first_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        if self.first_epoch is None:
            self.first_epoch = epoch
        if epoch - self.first_epoch < self.start_from_epoch:
            return
        current = self.monitor.value(logs)
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = get_weights(self.model), epoch
        self.wait += 1
        if self.monitor.better(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = get_weights(self.model)
            if self.baseline is None or self.monitor.better(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > self.first_epoch:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                set_weights(self.model, self.best_weights)
                if self.verbose:
                    print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")

    def on_train_end(self, logs=None):
        if self.stopped_epoch is not None and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping "
                  f"({self.monitor.name} best {self.best:.4f} at epoch {self.best_epoch + 1})")
