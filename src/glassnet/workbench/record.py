"""The training record, batch by batch: a curve even for a run of one epoch.

``fit`` records one loss per epoch, so a run of one to three epochs draws its training
curves as one to three dots. The loss of every mini-batch shows much more: the fast fall of
the first hundred steps, then the slow descent. :class:`BatchLosses` keeps it::

    record = BatchLosses()
    model.fit(x, y, epochs=2, callbacks=[record])   # also fills model.settings["batch_loss"]
    batch_losses(model)                             # {"epoch": [...], "loss": [...], "accuracy": [...]}

``fit`` hands a callback the *running mean* of the epoch so far; the loss of batch ``k`` is
recovered from two running means: ``(mean_k * seen_k - mean_(k-1) * seen_(k-1)) / size_k``.
"""

import numpy as np

from glassnet.engine.callbacks import Callback

MAX_POINTS = 600   # kept per training run (neighbouring batches are averaged beyond that)


class BatchLosses(Callback):
    """Record the loss (and accuracy) of every mini-batch; save them with the model.

    At the end of training the record goes into ``model.settings["batch_loss"]`` (saved
    with the model), as at most :data:`MAX_POINTS` points: where in training (in epochs,
    1.5 = halfway through the second) and the loss there. A resumed run adds to it.
    """

    def on_train_begin(self, logs=None):
        self.position, self.loss, self.accuracy = [], [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.seen, self.sums = epoch, 0, {}

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        total, size, steps = self.params.get("samples"), self.params.get("batch_size"), self.params.get("steps")
        if not (total and size and steps) or "loss" not in logs:
            return
        seen = min(total, (batch + 1) * size)
        for key, values in (("loss", self.loss), ("accuracy", self.accuracy)):
            if key in logs:
                running = logs[key] * seen                  # the sum over the epoch so far
                values.append((running - self.sums.get(key, 0.0)) / (seen - self.seen))
                self.sums[key] = running
        self.seen = seen
        self.position.append(self.epoch + (batch + 1) / steps)

    def on_train_end(self, logs=None):
        if not self.position or self.model is None:
            return
        new = {"epoch": self.position, "loss": self.loss}
        if len(self.accuracy) == len(self.loss):
            new["accuracy"] = self.accuracy
        new = {key: _thin(values, MAX_POINTS) for key, values in new.items()}
        old = batch_losses(self.model) or {}
        if old and set(old) == set(new):
            new = {key: list(old[key]) + new[key] for key in new}
        self.model.settings["batch_loss"] = new


def _thin(values, points):
    """At most ``points`` values: the means of neighbouring groups."""
    values = np.asarray(values, dtype=float)
    if len(values) <= points:
        return values.tolist()
    groups = np.array_split(values, points)
    return [float(g.mean()) for g in groups]


def batch_losses(model):
    """The per-batch record of ``model``: ``{"epoch": [...], "loss": [...], ["accuracy": ...]}``,
    or None when it has none.

    The one place that knows where the record is kept: ``model.settings`` for now; when
    the model records batches in its own training history, read it from there instead.
    """
    record = (getattr(model, "settings", None) or {}).get("batch_loss")
    if isinstance(record, dict) and record.get("epoch") and record.get("loss"):
        return record
    return None
