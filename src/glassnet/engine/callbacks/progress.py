"""The progress display of ``fit``, ``evaluate`` and ``predict`` (``verbose=1``), as Keras 3 draws it.

In a terminal, a bar moves while the epoch runs, then one line sums it up::

    Epoch 1/10
     700/1500 ━━━━━━━━━─────────── ETA 00:01 - accuracy: 0.8930 - loss: 0.3571
    1500/1500 ━━━━━━━━━━━━━━━━━━━━ 3s 2ms/step - accuracy: 0.9080 - loss: 0.3120 - ...

While ``fit`` validates, the bar says so (``- validating 12/79``) instead of sitting at the end
of the epoch. ``verbose=2`` prints only the summary lines, as Keras 3 writes them
(``16/16 - 0s - 7ms/step - accuracy: 0.8260 - loss: 0.5015``). Where there is no terminal to
redraw (output piped to a file, or a terminal that reports no width), only the summary
lines are printed, as Keras does.
"""

import shutil
import sys
import time

import numpy as np

from glassnet.engine.callbacks.base import Callback

BAR_WIDTH = 20        # Keras 3's bar: twenty heavy lines (━), green as far as done
DONE, TO_DO = "━", "─"


def format_value(value):
    """Keras's format: four decimals, or scientific notation for tiny values; a metric with
    one value per class (``F1Score()``) shows their mean, as Keras's progress bar does."""
    value = float(value) if isinstance(value, (int, float)) else float(np.mean(value))
    return f"{value:.4f}" if abs(value) > 1e-3 or value == 0 else f"{value:.4e}"


def format_logs(logs):
    """``{"accuracy": 0.91, "loss": 0.3}`` -> ``"accuracy: 0.9100 - loss: 0.3000"``.

    ``seconds`` (glassnet's epoch timing, shown separately) is left out.
    """
    return " - ".join(f"{k}: {format_value(v)}" for k, v in logs.items()
                      if k != "seconds" and isinstance(v, (int, float, list)))


def format_time(seconds, steps, between=" "):
    """``"3s 2ms/step"``: the total, then the time per step, in Keras's units. Keras 3's
    ``verbose=2`` lines put a dash between the two (``between=" - "``: ``"3s - 2ms/step"``)."""
    per_step = seconds / max(steps, 1)
    if per_step >= 1 or per_step == 0:
        unit = f"{per_step:.0f}s/step"
    elif per_step >= 1e-3:
        unit = f"{per_step * 1e3:.0f}ms/step"
    else:
        unit = f"{per_step * 1e6:.0f}us/step"
    return f"{seconds:.0f}s{between}{unit}"


def can_redraw(stream):
    """True when a bar can be drawn in place: a terminal with a width, or a notebook."""
    if "ipykernel" in sys.modules and stream in (sys.stdout, sys.stderr):
        return True
    try:
        if not stream.isatty():
            return False
    except (AttributeError, ValueError):
        return False
    return shutil.get_terminal_size(fallback=(0, 0)).columns > 0


class ProgressBar(Callback):
    """Keras-style output for ``fit`` (epoch bars and lines), ``evaluate`` and ``predict``.

    Args:
        verbose: 1 bars and lines, 2 lines only (one per epoch), 0 nothing.
        stream: where to write (default: standard output).
        live: draw moving bars; None decides from the stream (see :func:`can_redraw`).

    The number of steps comes from ``params["steps"]`` (set by the model for each loop);
    during ``fit``'s validation pass, ``params.get("validation_steps")`` if the model gives it.
    """

    def __init__(self, verbose=1, stream=None, live=None):
        super().__init__()
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self.live = can_redraw(self.stream) if live is None else bool(live)
        self.bar = None
        self.in_fit = False

    # -- the bar ----------------------------------------------------------------------------
    def _open_bar(self, total):
        self.bar = None
        if self.verbose != 1 or not self.live:
            return
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, file=self.stream, leave=False,
                        # The running figures go in tqdm's description, not its postfix,
                        # which tqdm would open with a comma.
                        bar_format="{n_fmt}/{total_fmt} {bar:%d} ETA {remaining}{desc}" % BAR_WIDTH,
                        ascii=TO_DO + DONE, mininterval=0.25)
        self.last_redraw = time.monotonic()

    def _advance(self, logs):
        if self.bar is None:
            return
        self.bar.update(1)
        # Refresh the running figures only when the bar redraws, not on every batch.
        if self.bar.n == self.bar.last_print_n and logs:
            self.bar.set_description_str(f" - {format_logs(logs)}", refresh=False)

    def _close_bar(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def _summary(self, steps, seconds, logs):
        if self.verbose == 1:
            line = f"{steps}/{steps} {DONE * BAR_WIDTH} {format_time(seconds, steps)}"
        else:                                       # Keras 3: "16/16 - 0s - 7ms/step - accuracy: ..."
            line = f"{steps}/{steps} - {format_time(seconds, steps, between=' - ')}"
        figures = format_logs(logs or {})
        print(line + (f" - {figures}" if figures else ""), file=self.stream, flush=True)

    # -- fit ------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self.in_fit = True

    def on_train_end(self, logs=None):
        self.in_fit = False
        self._close_bar()

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
        self.steps_done = 0
        epochs = self.params.get("epochs", 0)
        if self.verbose and epochs != 1:        # as Keras 3: no "Epoch 1/1" above a single epoch
            print(f"Epoch {epoch + 1}/{epochs or '?'}", file=self.stream, flush=True)
        self._open_bar(self.params.get("steps"))

    def on_train_batch_end(self, batch, logs=None):
        self.steps_done = batch + 1
        self._advance(logs)

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self.start
        self._close_bar()
        if self.verbose:
            self._summary(self.params.get("steps") or self.steps_done, seconds, logs)

    # -- evaluate, and fit's validation pass ------------------------------------------------
    def on_test_begin(self, logs=None):
        if self.in_fit:
            self.validated = 0
            if self.bar is not None:
                self.bar.bar_format = "{n_fmt}/{total_fmt} {bar:%d}{desc}" % BAR_WIDTH
                self.bar.set_description_str(" - validating")
            return
        self.start, self.steps_done = time.perf_counter(), 0
        self._open_bar(self.params.get("steps"))

    def on_test_batch_end(self, batch, logs=None):
        if not self.in_fit:
            self.steps_done = batch + 1
            self._advance(logs)
            return
        self.validated = batch + 1
        if self.bar is not None and time.monotonic() - self.last_redraw > 0.25:
            total = self.params.get("validation_steps")
            self.bar.set_description_str(f" - validating {self.validated}" + (f"/{total}" if total else ""))
            self.last_redraw = time.monotonic()

    def on_test_end(self, logs=None):
        if self.in_fit:
            return
        seconds = time.perf_counter() - self.start
        self._close_bar()
        if self.verbose:
            self._summary(self.params.get("steps") or self.steps_done, seconds, logs)

    # -- predict -----------------------------------------------------------------------------
    def on_predict_begin(self, logs=None):
        self.start, self.steps_done = time.perf_counter(), 0
        self._open_bar(self.params.get("steps"))

    def on_predict_batch_end(self, batch, logs=None):
        self.steps_done = batch + 1
        self._advance(None)

    def on_predict_end(self, logs=None):
        seconds = time.perf_counter() - self.start
        self._close_bar()
        if self.verbose:
            self._summary(self.params.get("steps") or self.steps_done, seconds, None)
