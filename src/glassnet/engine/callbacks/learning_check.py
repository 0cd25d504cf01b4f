"""LearningCheck: say so when a run is going nowhere, instead of training on in silence.

``fit`` adds it to every run. After each epoch it compares what happened with what any
working run shows, and warns (a :class:`LearningWarning`, printed once) when:

* the loss ended the epoch far above where training started (the steps are too large:
  the run diverges; a learning rate of 1e6 ends at a loss of 1e19). For a classifier,
  "where it started" is at least a tenth of the loss of guessing, ``log(classes)``: a
  model that starts out trained (fine-tuning on a user's digits, resuming) may begin at
  a loss of 0.003 and end an epoch of new digits at 0.03, and that is learning, not
  diverging;
* after a whole epoch, the accuracy is still at the level of guessing (about 1 in 10 for
  ten classes): nothing was learned.

Warnings, not errors: a user may be experimenting on purpose. ``warnings.simplefilter(
"ignore", LearningWarning)`` silences them.
"""

import math
import warnings

from glassnet.engine.callbacks.base import Callback

DIVERGED = 3.0    # the epoch's loss above this many times the first batches' loss ...
TRAINED = 0.1     # ... or a classifier's log(classes) times this, if that is more
CHANCE = 1.2      # accuracy below this many times chance (1 / classes) ...
MIN_STEPS = 100   # ... after at least this many steps: a few steps prove nothing


class LearningWarning(UserWarning):
    """Training runs but learns nothing, or diverges."""


class LearningCheck(Callback):
    def on_train_begin(self, logs=None):
        self.first_loss = None
        self.warned = False
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.first_loss is None and logs and math.isfinite(logs.get("loss", math.nan)):
            self.first_loss = float(logs["loss"])

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.warned:
            return
        loss = logs.get("loss")
        problem = None
        classes = self.model.output_classes() if hasattr(self.model, "output_classes") else None
        if loss is not None and self.first_loss is not None and math.isfinite(loss) \
                and loss > DIVERGED * max(self.first_loss, 1e-3, TRAINED * math.log(max(classes or 1, 1))):
            problem = (f"the loss rose from {self.first_loss:.4g} at the first batch to {loss:.4g} "
                       f"over epoch {epoch + 1}: training is diverging; try a learning rate 10x lower")
        accuracy = next((logs[k] for k in ("accuracy", "acc") if k in logs), None)
        if problem is None and accuracy is not None and classes and classes > 2 \
                and self.steps >= MIN_STEPS and accuracy < CHANCE / classes:
            problem = (f"after epoch {epoch + 1} the accuracy is {accuracy:.1%}, no better than guessing "
                       f"among {classes} classes (1 in {classes}): the network is not learning; check "
                       f"the learning rate, the labels and the input scale (glassnet doctor)")
        if problem:
            self.warned = True
            self.model.learning_problem = problem
            warnings.warn(problem, LearningWarning, stacklevel=4)
