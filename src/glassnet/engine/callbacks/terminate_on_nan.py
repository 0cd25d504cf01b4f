"""TerminateOnNaN: stop cleanly when the loss stops being a number."""

import math

import numpy as np

from glassnet.engine.callbacks.base import Callback


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite, as Keras's does.

    The model itself refuses a non-finite step: the weights stay those of the last good
    step, ``model.nonfinite_reason`` says where it went wrong (the epoch, the batch, the
    first layer whose output or gradient stopped being finite), and the batch ends with
    ``logs["loss"] = nan``. This callback then prints that reason and sets
    ``model.stop_training``, so ``fit`` returns normally with the history so far. Without
    it (nobody stops training), the model raises a ``TrainingError`` instead.

    Attributes:
        message: the reason, once it has stopped training.
    """

    def __init__(self):
        super().__init__()
        self.message = None

    def on_train_begin(self, logs=None):
        self.message = None
        self._shim_begin()

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        reason = getattr(self.model, "nonfinite_reason", None)
        self.message = reason or f"Batch {batch}: Invalid loss, terminating training"
        print(f"Batch {batch}: Invalid loss, terminating training" + (f" ({reason})" if reason else ""))
        self.model.stop_training = True

    # -- shim until the model core lands -------------------------------------------------
    # The current Sequential.fit finds this callback by type, checks the gradients itself
    # and calls terminate() instead of raising; it relies on this callback to put back the
    # batch-norm statistics the bad batch changed, so those are copied before each batch.
    def _shim_begin(self):
        self._states, self._saved = [], []
        if not hasattr(self.model, "nonfinite_reason") and hasattr(self.model, "layers"):
            self._states = [a for layer in self.model.layers for a in layer.state.values()]
            self._saved = [a.copy() for a in self._states]

    def on_train_batch_begin(self, batch, logs=None):
        for copy, live in zip(self._saved, self._states):
            np.copyto(copy, live)

    def terminate(self, message):
        """Called by the current ``fit`` instead of raising: restore, report, stop."""
        for copy, live in zip(self._saved, self._states):
            np.copyto(live, copy)
        self.message = message
        self.model.stop_training = True
        print(f"TerminateOnNaN: {message}")
