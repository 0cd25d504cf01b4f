"""Learning-rate callbacks: set the rate per epoch with a function, or cut it on a plateau.

These change ``optimizer.learning_rate`` between epochs, so the optimizer must have been
given a number. A schedule object (see :mod:`glassnet.engine.schedules`) already sets the
rate at every step and can't be overridden; mixing the two is an error (Keras's too). Keras 2's
``SGD(lr=0.01, decay=1e-6)`` is the exception, as in Keras 2: the callbacks read and set its
rate before decay, and the decay goes on applying.
Both write the rate of the epoch into the logs as ``learning_rate``, as Keras 3 does, so it
ends up in ``history.history["learning_rate"]``.
"""

import inspect
import math

from glassnet.engine.callbacks.base import Callback
from glassnet.engine.callbacks.monitor import Monitor


def _settable_rate(owner, model):
    """The optimizer's rate as a float (before Keras 2's decay), or a clear error if a
    schedule owns it."""
    optimizer = model.optimizer
    schedule = getattr(optimizer, "schedule", None)
    if getattr(schedule, "keras2_decay", False):
        return schedule.initial_learning_rate
    if schedule is not None:
        raise TypeError(f"{owner}: the optimizer's learning_rate is a schedule ({schedule!r}); "
                        f"use a plain number with {owner}")
    return float(optimizer.learning_rate)


class LearningRateScheduler(Callback):
    """At the start of every epoch, ``lr = schedule(epoch, lr)`` (Keras); epochs count from 0.

    Args:
        schedule: a function of ``(epoch, lr)`` or of ``epoch`` alone, returning the new rate.
        verbose: 1 prints the rate of every epoch.

    Example: halve the rate every 5 epochs::

        LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch and epoch % 5 == 0 else lr)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise ValueError(f"LearningRateScheduler: schedule must be a function, got {schedule!r}")
        self.schedule, self.verbose = schedule, verbose
        try:
            self.takes_lr = len(inspect.signature(schedule).parameters) >= 2
        except (TypeError, ValueError):  # builtins without a signature
            self.takes_lr = True

    def on_train_begin(self, logs=None):
        _settable_rate("LearningRateScheduler", self.model)

    def on_epoch_begin(self, epoch, logs=None):
        lr = _settable_rate("LearningRateScheduler", self.model)
        new = self.schedule(epoch, lr) if self.takes_lr else self.schedule(epoch)
        try:
            new = float(new)
        except (TypeError, ValueError):
            new = math.nan
        if not (math.isfinite(new) and new > 0):
            raise ValueError(f"LearningRateScheduler: the schedule returned {new!r} for epoch {epoch}; "
                             f"a learning rate must be a number > 0")
        self.model.optimizer.learning_rate = new
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {new}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _settable_rate("LearningRateScheduler", self.model)


class ReduceLROnPlateau(Callback):
    """Multiply the rate by ``factor`` when ``monitor`` has not improved for ``patience`` epochs.

    When the validation loss stalls, the steps are often too large to get further down
    the valley; a smaller rate lets training continue. The arguments and the counting
    (cooldown included) are Keras 3's.

    Args:
        monitor: the figure to watch (default ``"val_loss"``); any name in the logs.
        factor: new rate = rate * factor, in ``(0, 1)``.
        patience: epochs without improvement before cutting (``>= 0``).
        verbose: 1 prints a line at every cut.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs to wait after a cut before counting again.
        min_lr: the rate never goes below this.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        self.monitor = Monitor("ReduceLROnPlateau", monitor, mode, min_delta)
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor!r}")
        for label, value in (("patience", patience), ("cooldown", cooldown)):
            if int(value) != value or value < 0:
                raise ValueError(f"ReduceLROnPlateau: {label} must be a whole number >= 0, got {value!r}")
        if not min_lr >= 0:
            raise ValueError(f"ReduceLROnPlateau: min_lr must be >= 0, got {min_lr!r}")
        self.factor, self.patience, self.cooldown = float(factor), int(patience), int(cooldown)
        self.verbose, self.min_lr = verbose, float(min_lr)

    def on_train_begin(self, logs=None):
        _settable_rate("ReduceLROnPlateau", self.model)
        self.monitor.resolve(self.model)
        self.best, self.wait, self.cooldown_counter = None, 0, 0

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = _settable_rate("ReduceLROnPlateau", self.model)
        current = self.monitor.value(logs)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor.better(current, self.best):
            self.best, self.wait = current, 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old = _settable_rate("ReduceLROnPlateau", self.model)
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new
                    if self.verbose:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0
