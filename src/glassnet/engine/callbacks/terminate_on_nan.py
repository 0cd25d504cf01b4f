"""TerminateOnNaN: stop cleanly when the loss stops being a number."""

import math

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
        # While this callback watches, the model also checks every gradient before
        # applying it (a sum per step), so a bad step never reaches the weights.
        self.model.check_gradients = True

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        reason = getattr(self.model, "nonfinite_reason", None)
        self.message = reason or f"Batch {batch}: Invalid loss, terminating training"
        print(f"Batch {batch}: Invalid loss, terminating training" + (f" ({reason})" if reason else ""))
        self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.model.check_gradients = False
