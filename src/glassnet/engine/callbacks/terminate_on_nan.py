"""TerminateOnNaN: stop cleanly when the loss or a gradient stops being a number."""

import math

from glassnet.engine.callbacks.base import Callback


class TerminateOnNaN(Callback):
    """Stop training, with the last good weights, as soon as anything goes non-finite.

    The model never applies a step whose loss is not a finite number: it leaves the
    weights (and batch-norm statistics) as the last good step left them, says why in
    ``model.nonfinite_reason`` and reports the batch's loss as NaN. Without this callback
    ``fit`` then ends with a TrainingError carrying that reason. With it, ``fit`` returns
    normally, the history keeps the epochs trained so far and :attr:`message` (also
    printed) says where it happened. While it is in use the model also checks every
    gradient before applying it (``model.check_gradients``), which costs a sum per step.
    """

    def __init__(self):
        super().__init__()
        self.message = None

    def on_train_begin(self, logs=None):
        self.message = None
        self.model.check_gradients = True

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self.message = self.model.nonfinite_reason or f"loss became {loss} at batch {batch + 1}"
            print(f"TerminateOnNaN: {self.message}")
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.model.check_gradients = False
