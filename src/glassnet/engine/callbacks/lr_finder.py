"""The learning-rate range test: how large a step can this network take?

Leslie Smith's test (Cyclical Learning Rates, 2017; fastai's ``lr_find``) trains for one
short run in which the learning rate grows exponentially, batch after batch, from far too
small (1e-6) to far too large (10), and records the loss of every batch::

    rate_i = start * (stop / start) ** (i / (steps - 1))        # evenly spaced on a log axis

Drawn against the rate on a log axis, the loss first stays flat (the steps are too small
to matter), then falls (the useful range), reaches a minimum, and shoots up (the steps
overshoot the valley and the loss diverges). A good rate lies in the falling part, well
before the minimum; the usual rule, used here, is **a tenth of the rate at the minimum**.

The raw batch losses are noisy, so the curve is smoothed with an exponential moving
average (with Adam's bias correction, so the first values are not pulled towards 0)::

    average = beta * average + (1 - beta) * loss_i
    smoothed_i = average / (1 - beta ** (i + 1))

The test stops early once the smoothed loss exceeds ``diverge`` times its best value.
Afterwards the callback puts back the weights and the optimizer's state as they were
before the test, so it can run on the model you then train. :func:`find_learning_rate`
runs it on a copy of the model instead, which also leaves the model's random stream alone.
"""

import copy
import math

import numpy as np

from glassnet.engine.callbacks.base import Callback
from glassnet.errors import TrainingError


class BatchLosses(Callback):
    """Records the loss of every batch in ``losses``.

    ``fit`` reports the mean loss of the epoch so far (as Keras does), which lags behind
    anything that changes from batch to batch. Two consecutive means give the batch's own::

        loss = (mean_now * seen_now - mean_before * seen_before) / (seen_now - seen_before)
    """

    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_begin(self, logs=None):
        self.losses = []

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_total, self._epoch_seen = 0.0, 0

    def on_batch_end(self, batch, logs=None):
        self.losses.append(self.batch_loss(batch, logs["loss"]))

    def batch_loss(self, batch, epoch_mean):
        """The loss of batch ``batch`` alone, from the epoch's running mean after it."""
        size = self.params.get("batch_size", 1)
        seen = min(self.params.get("samples", math.inf), (batch + 1) * size)
        total = epoch_mean * seen
        loss = (total - self._epoch_total) / (seen - self._epoch_seen)
        self._epoch_total, self._epoch_seen = total, seen
        return loss


class LearningRateFinder(BatchLosses):
    """Raise the learning rate every batch from ``start`` to ``stop`` and record the loss.

    Args:
        start, stop: the first and the last rate (``0 < start < stop``).
        steps: batches in the test (the rates are spread over them); ``fit`` needs at least
            this many batches (more epochs, or a smaller batch), or the test ends early.
        beta: smoothing of the loss curve (0 = none). 0.9 averages over about 10 batches,
            a third of a decade of rates at the default 200 steps over 7 decades.
        diverge: stop once the smoothed loss exceeds this many times its lowest value (or
            climbs back above where it started, after falling).

    After ``fit``: ``rates`` and ``losses`` (one per batch), ``smoothed``, :attr:`suggestion`
    (the rate to train with) and :attr:`divergence` (the rate at which the loss blew up, or
    None).

    Example::

        finder = LearningRateFinder()
        model.fit(x, y, epochs=1, batch_size=32, callbacks=[finder, TerminateOnNaN()])
        print(finder.suggestion)

    Without TerminateOnNaN a non-finite loss ends ``fit`` with a TrainingError before this
    callback can put the weights back; :func:`find_learning_rate` handles that for you.
    """

    def __init__(self, start=1e-6, stop=10.0, steps=200, beta=0.9, diverge=4.0):
        super().__init__()
        if not 0 < start < stop:
            raise ValueError(f"LearningRateFinder: need 0 < start < stop, got start={start!r}, stop={stop!r}")
        if int(steps) != steps or steps < 10:
            raise ValueError(f"LearningRateFinder: steps must be a whole number >= 10, got {steps!r}")
        if not 0 <= beta < 1:
            raise ValueError(f"LearningRateFinder: beta must be in [0, 1), got {beta!r}")
        if not diverge > 1:
            raise ValueError(f"LearningRateFinder: diverge must be > 1, got {diverge!r}")
        self.start, self.stop, self.steps = float(start), float(stop), int(steps)
        self.beta, self.diverge = float(beta), float(diverge)
        self.rates, self.losses, self.smoothed = [], [], []
        self.divergence = None

    def rate(self, step):
        """The learning rate of batch ``step`` (0-based): evenly spaced on a log axis."""
        return self.start * (self.stop / self.start) ** (step / (self.steps - 1))

    # -- the hooks ------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        optimizer = self.model.optimizer
        self.rates, self.losses, self.smoothed, self.divergence = [], [], [], None
        self._average, self._best, self._first = 0.0, math.inf, None
        # What the test changes, to put back afterwards: every weight (and batch-norm
        # statistic), the optimizer's step count, slots (Adam's m and v) and rate.
        self._weights = [layer.get_weights() for layer in self.model.layers]
        self._optimizer = copy.deepcopy({k: v for k, v in vars(optimizer).items() if k != "_scratch"})

    def on_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate = self.rate(len(self.losses))

    def on_batch_end(self, batch, logs=None):
        loss = self.batch_loss(batch, logs["loss"])
        self.record(self.model.optimizer.learning_rate, loss)
        if self.divergence is not None or len(self.losses) >= self.steps:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        for layer, weights in zip(self.model.layers, self._weights):
            layer.set_weights(weights)
        vars(self.model.optimizer).update(self._optimizer)

    # -- the bookkeeping --------------------------------------------------------------------
    def record(self, rate, loss):
        """Add one (rate, loss) point; notice divergence (a loss that is not finite, or the
        smoothed loss above ``diverge`` times its best)."""
        self.rates.append(float(rate))
        self.losses.append(float(loss))
        if not math.isfinite(loss):
            self.smoothed.append(math.nan)
            self.divergence = float(rate)
            return
        self._average = self.beta * self._average + (1 - self.beta) * loss
        smoothed = self._average / (1 - self.beta ** len(self.losses))
        self.smoothed.append(smoothed)
        self._best = min(self._best, smoothed)
        if len(self.losses) == 10:
            self._first = smoothed  # where the loss started, averaged over 10 batches
        if len(self.losses) > 10 and (smoothed > self.diverge * self._best
                                      or self._best < 0.9 * self._first < smoothed):
            self.divergence = float(rate)

    def diverged_now(self):
        """Record that the batch in progress gave a non-finite loss (``fit`` raised)."""
        self.record(self.model.optimizer.learning_rate, math.nan)

    # -- the answers ------------------------------------------------------------------------
    @property
    def minimum(self):
        """The rate at which the smoothed loss was lowest (None before any finite loss)."""
        finite = [(loss, rate) for rate, loss in zip(self.rates, self.smoothed) if math.isfinite(loss)]
        return min(finite)[1] if finite else None

    @property
    def suggestion(self):
        """A tenth of :attr:`minimum`: a rate in the steep, falling part of the curve.

        None when the test is too short to say (fewer than 10 finite points).
        """
        finite = sum(math.isfinite(loss) for loss in self.smoothed)
        return None if finite < 10 else self.minimum / 10

    def summary(self):
        """One line: what the test measured and what it suggests."""
        if self.suggestion is None:
            return (f"learning-rate range test: too few batches ({len(self.losses)}) to suggest a rate; "
                    f"give it at least 10")
        blew_up = (f"the loss blew up at {self.divergence:.2g}" if self.divergence is not None
                   else f"the loss never blew up up to {self.rates[-1]:.2g}")
        return (f"learning-rate range test over {len(self.losses)} batches ({self.rates[0]:.0e} to "
                f"{self.rates[-1]:.2g}): lowest smoothed loss {np.nanmin(self.smoothed):.3g} at rate "
                f"{self.minimum:.2g}; {blew_up}; suggested rate {self.suggestion:.2g} (a tenth of the minimum)")


def find_learning_rate(model, x, y, batch_size=32, start=1e-6, stop=10.0, steps=200, **options):
    """Run the range test on a copy of ``model`` (compiled) and return the finder.

    The model itself is not touched: not its weights, its optimizer or its random stream.
    The copy trains for ``steps`` batches of ``batch_size`` (going round ``x`` as often as
    needed), so this costs about as much as ``steps`` training steps.

    Example::

        finder = find_learning_rate(model, x_train, y_train)
        model.optimizer.learning_rate = finder.suggestion
    """
    if model.optimizer is None:
        raise TrainingError("find_learning_rate: compile the model first (its optimizer is tested)")
    probe = copy_model(model)
    finder = LearningRateFinder(start, stop, steps, **options)
    epochs = math.ceil(steps / math.ceil(len(x) / batch_size))
    try:
        probe.fit(x, y, epochs=epochs, batch_size=batch_size, callbacks=[finder], verbose=0)
    except TrainingError:   # a non-finite loss: the rate of that batch is where it diverged
        finder.diverged_now()
    return finder


def copy_model(model):
    """An independent copy of ``model``: its layers, weights, optimizer state and random stream.

    ``copy.deepcopy`` does it: a model notices, before it trains, that its layers' weights
    are no longer views into the flat array its optimizer updates (the copy made them
    separate arrays), and packs them again, optimizer state included.
    """
    return copy.deepcopy(model)