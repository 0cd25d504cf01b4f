"""What a callback watches: one figure of the epoch's logs, and which way is better.

EarlyStopping, ModelCheckpoint and ReduceLROnPlateau all watch a figure such as
``val_loss`` and ask "is this epoch's value better than the best so far, by at least
``min_delta``?". For a loss smaller is better; for an accuracy larger is.

Any figure the logs hold can be watched (``"val_acc"``, ``"val_AUC"``...). With
``mode="auto"`` the direction comes, as in Keras 3, from the loss (down) or from the model's
metric of that name (its ``direction``); failing that, from the name (accuracies, AUC,
precision and recall go up; errors and cross-entropies go down); failing that, it is an
error asking for ``mode``. A figure missing from the logs is a warning, and the epoch is
skipped, as in Keras.
"""

import math
import warnings

import numpy as np

UP_WORDS = ("acc", "auc", "precision", "recall")
DOWN_WORDS = ("loss", "error", "crossentropy", "mse", "mae", "divergence")


class Monitor:
    """Reads ``logs[monitor]`` and compares it with a reference value.

    Args:
        owner: the callback's name, for messages.
        monitor: the name of the figure in the logs.
        mode: ``"min"``, ``"max"``, or ``"auto"`` (see the module docstring).
        min_delta: the smallest change that counts as an improvement, ``>= 0``.
    """

    def __init__(self, owner, monitor, mode="auto", min_delta=0.0):
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"{owner}: monitor must be the name of a figure in the logs, got {monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if not min_delta >= 0:
            raise ValueError(f"{owner}: min_delta must be >= 0, got {min_delta!r}")
        self.owner, self.name, self.min_delta = owner, monitor, float(min_delta)
        self.requested_mode = mode
        self.mode = mode if mode != "auto" else None

    def resolve(self, model=None):
        """Settle ``mode`` for ``"auto"``; called when training starts (the model is known)."""
        if self.mode is not None:
            return self.mode
        metric = self.name[4:] if self.name.startswith("val_") else self.name
        direction = None
        if metric == "loss":
            direction = "down"
        for m in getattr(model, "metrics", None) or []:
            if getattr(m, "name", None) == metric and getattr(m, "direction", None):
                direction = m.direction
        lowered = metric.lower()
        if direction is None and any(word in lowered for word in UP_WORDS):
            direction = "up"
        if direction is None and any(word in lowered for word in DOWN_WORDS):
            direction = "down"
        if direction is None:
            raise ValueError(f"{self.owner}: can't tell whether {self.name!r} should go up or "
                             f"down; pass mode='max' or mode='min'")
        self.mode = "max" if direction == "up" else "min"
        return self.mode

    @property
    def worst(self):
        """A starting 'best' that any real value beats."""
        return -math.inf if self.resolve() == "max" else math.inf

    def value(self, logs):
        """``logs[monitor]`` as a float, or None with a warning (Keras's) when it is missing."""
        logs = logs or {}
        if self.name not in logs:
            hint = " (pass validation_split or validation_data to fit)" if self.name.startswith("val_") else ""
            warnings.warn(f"{self.owner} is conditioned on {self.name!r}, which is not in the logs; "
                          f"available: {', '.join(logs) or 'nothing'}{hint}", RuntimeWarning, stacklevel=3)
            return None
        if np.ndim(logs[self.name]) != 0:
            raise ValueError(f"{self.owner} is conditioned on {self.name!r}, which has one value per class; "
                             f"monitor one number (F1Score(average='macro'), say)")
        return float(logs[self.name])

    def better(self, current, reference):
        """True when ``current`` beats ``reference`` by more than ``min_delta`` (NaN never
        does); anything beats a ``reference`` of None."""
        if reference is None:
            return not math.isnan(current)
        if self.resolve() == "max":
            return current - self.min_delta > reference
        return current + self.min_delta < reference
