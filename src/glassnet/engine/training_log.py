"""The training log: every epoch a model has ever trained, saved with it.

Keras's ``fit`` returns a History that holds the epochs of *that* call. A glassnet model
also keeps the whole story across calls, resumes and saves, which the report draws: the
figures of every epoch (the same keys as History), how long each took, the learning rate
it ended at, and the loss of its batches (thinned to at most :data:`BATCH_POINTS` points,
enough to draw the curve of a short run).
"""

import math

import numpy as np

BATCH_POINTS = 100   # per epoch


class TrainingLog:
    """Epoch by epoch: ``history[key][i]``, ``epochs[i]``, ``seconds[i]``, ``learning_rate[i]``,
    ``batch_loss[i]`` (a short list) all describe the i-th epoch trained."""

    def __init__(self, history=None, epochs=None, seconds=None, learning_rate=None, batch_loss=None):
        self.history = {key: list(values) for key, values in (history or {}).items()}
        self.epochs = list(epochs or [])
        self.seconds = list(seconds or [])
        self.learning_rate = list(learning_rate or [])
        self.batch_loss = [list(points) for points in (batch_loss or [])]

    def record(self, epoch, logs, seconds, learning_rate, batch_losses):
        """Add one epoch: its logs, its duration, its final rate and its batches' losses."""
        self.epochs.append(int(epoch))
        for key, value in logs.items():
            self.history.setdefault(key, [math.nan] * (len(self.epochs) - 1)).append(log_value(value))
        for values in self.history.values():   # a key this epoch lacks (no validation) gets NaN
            while len(values) < len(self.epochs):
                values.append(math.nan)
        self.seconds.append(float(seconds))
        self.learning_rate.append(float(learning_rate))
        self.batch_loss.append(thin(batch_losses, BATCH_POINTS))

    def amend(self, logs):
        """Bring the last epoch's figures up to date with ``logs`` (what callbacks added to
        them after it was recorded)."""
        for key, value in logs.items():
            values = self.history.setdefault(key, [math.nan] * len(self.epochs))
            values[-1] = log_value(value)

    def as_dict(self):
        """The history plus each epoch's ``seconds`` and ``learning_rate``, as one dict of lists."""
        return {**self.history, "learning_rate": list(self.learning_rate), "seconds": list(self.seconds)}

    def __len__(self):
        return len(self.epochs)

    def get_config(self):
        return {"history": self.history, "epochs": self.epochs, "seconds": self.seconds,
                "learning_rate": self.learning_rate, "batch_loss": self.batch_loss}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def log_value(value):
    """A metric's result as the logs keep it: a float, or for a metric with one value per
    class (``F1Score(average=None)``) a list of floats."""
    if isinstance(value, float) or np.ndim(value) == 0:      # (every batch: the plain case first)
        return float(value)
    return [float(v) for v in np.ravel(value)]


def thin(values, points):
    """At most ``points`` values: the means of consecutive runs of ``values``."""
    values = [float(v) for v in values]
    if len(values) <= points:
        return values
    edges = [round(i * len(values) / points) for i in range(points + 1)]
    return [sum(values[a:b]) / (b - a) for a, b in zip(edges, edges[1:])]
