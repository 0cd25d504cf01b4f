"""TerminateOnNaN: stop cleanly when the loss or a gradient stops being a number."""

import numpy as np

from glassnet.engine.callbacks.base import Callback


class TerminateOnNaN(Callback):
    """Stop training, with the last good weights, as soon as anything goes non-finite.

    Without it a NaN loss raises a ``TrainingError`` and ``fit`` ends with an exception.
    With it ``fit`` returns normally, ``history`` keeps the epochs trained so far and
    :attr:`message` (also printed) says where it happened: the epoch, the batch and the
    first layer whose output or gradient went non-finite.

    How the model cooperates (see ``Sequential.train_step``): the loss is checked before the
    backward pass and, only while this callback is in use, every gradient is checked before
    the optimizer step. A bad batch is therefore caught before it touches the weights, so
    the weights left in place are those of the last good step. The forward pass of the bad
    batch may already have updated batch-norm statistics, so this callback keeps a copy of
    them from the start of each batch and puts it back. Without this callback none of the
    checks or copies run.
    """

    def __init__(self):
        super().__init__()
        self.message = None

    def on_train_begin(self, logs=None):
        self.message = None
        self.states = [a for layer in self.model.layers for a in layer.state.values()]
        self.saved = [a.copy() for a in self.states]

    def on_batch_begin(self, batch, logs=None):
        for copy, live in zip(self.saved, self.states):
            np.copyto(copy, live)

    def terminate(self, message):
        """Called by ``fit`` instead of raising: restore, report, stop."""
        for copy, live in zip(self.saved, self.states):
            np.copyto(live, copy)
        self.message = message
        self.model.stop_training = True
        print(f"TerminateOnNaN: {message}")
