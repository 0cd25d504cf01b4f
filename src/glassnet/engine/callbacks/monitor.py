"""What a callback watches: one figure of the epoch's logs, and which way is better.

EarlyStopping, ModelCheckpoint and ReduceLROnPlateau all watch a figure such as
``val_loss`` and ask "is this epoch's value better than the best so far, by at least
``min_delta``?". For a loss smaller is better; for an accuracy larger is.
"""

import math

from glassnet.errors import TrainingError

# The figures ``fit`` writes into the logs at the end of every epoch.
MONITORS = ("loss", "accuracy", "val_loss", "val_accuracy")


class Monitor:
    """Reads ``logs[monitor]`` and compares it with a reference value.

    Args:
        owner: the callback's name, for error messages.
        monitor: one of :data:`MONITORS`.
        mode: ``"min"``, ``"max"``, or ``"auto"`` (max for accuracies, min otherwise).
        min_delta: the smallest change that counts as an improvement, ``>= 0``.
    """

    def __init__(self, owner, monitor, mode="auto", min_delta=0.0):
        if monitor not in MONITORS:
            raise ValueError(f"{owner}: unknown monitor {monitor!r}; known: {', '.join(MONITORS)}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if not min_delta >= 0:
            raise ValueError(f"{owner}: min_delta must be >= 0, got {min_delta!r}")
        self.owner, self.name, self.min_delta = owner, monitor, float(min_delta)
        self.mode = mode if mode != "auto" else ("max" if "accuracy" in monitor else "min")

    @property
    def worst(self):
        """A starting 'best' that any real value beats."""
        return -math.inf if self.mode == "max" else math.inf

    def value(self, logs):
        """``logs[monitor]``, or a clear error when fit did not produce it (no validation data)."""
        logs = logs or {}
        if self.name not in logs:
            hint = " (pass validation_split or validation_data to fit)" if self.name.startswith("val_") else ""
            raise TrainingError(f"{self.owner}: monitor {self.name!r} is not in the logs, which have "
                                f"{', '.join(logs) or 'nothing'}{hint}")
        return float(logs[self.name])

    def better(self, current, reference):
        """True when ``current`` beats ``reference`` by more than ``min_delta`` (NaN never does)."""
        if self.mode == "max":
            return current - self.min_delta > reference
        return current + self.min_delta < reference
