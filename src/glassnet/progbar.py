"""``keras.utils.Progbar``: the progress bar of a loop of your own (a GAN's batches, a custom
training loop), drawn as ``fit``'s is (:mod:`glassnet.engine.callbacks.progress`)::

    bar = keras.utils.Progbar(len(batches))
    for step, batch in enumerate(batches):
        ...
        bar.update(step + 1, values=[("loss", loss)])

A value is averaged over the steps since the start (weighted by the steps each update
covers), unless it is named in ``stateful_metrics``: then its latest value is shown.
"""

import sys
import time

from glassnet.engine.callbacks.progress import DONE, TO_DO, can_redraw, format_time, format_value


class Progbar:
    """Keras 3's progress bar.

    Args:
        target: the total number of steps (None: unknown).
        width: the bar's width in characters (20).
        verbose: 1 a moving bar (a line per update where the output can't be redrawn),
            2 one line at the end, 0 nothing.
        interval: the least time between two redraws, in seconds (0.05).
        stateful_metrics: names whose latest value is shown, not their average.
        unit_name: what a step is called (``"step"``: ``"10ms/step"``).
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None, unit_name="step",
                 stream=None):
        self.target, self.width, self.verbose, self.interval = target, int(width), verbose, float(interval)
        self.stateful_metrics = set(stateful_metrics or ())
        self.unit_name = unit_name
        self.stream = stream or sys.stdout
        self.live = can_redraw(self.stream)
        self._values = {}           # name -> [weighted sum, steps] (or [latest, 1] when stateful)
        self._seen = 0
        self._start = time.perf_counter()
        self._last_update = 0.0

    def update(self, current, values=None, finalize=None):
        """Move the bar to step ``current``, with ``values``: ``[(name, value), ...]``."""
        finalize = (self.target is not None and current >= self.target) if finalize is None else finalize
        for name, value in values or ():
            if name in self.stateful_metrics:
                self._values[name] = [value, 1]
            else:
                steps = max(current - self._seen, 1)
                total = self._values.setdefault(name, [0.0, 0])
                total[0] += value * steps
                total[1] += steps
        self._seen = current
        now = time.perf_counter()
        if self.verbose == 0 or (now - self._last_update < self.interval and not finalize):
            return
        self._last_update = now
        if self.verbose == 2 and not finalize:
            return
        figures = "".join(f" - {name}: {format_value(total / max(steps, 1))}"
                          for name, (total, steps) in self._values.items())
        line = self._line(current, now - self._start, finalize) + figures
        end = "\n" if finalize or not self.live else ""
        print(("\r" if self.live else "") + line, end=end, file=self.stream, flush=True)

    def add(self, n, values=None):
        """``update(current + n, values)``."""
        self.update(self._seen + n, values)

    def _line(self, current, seconds, finalize):
        timing = format_time(seconds, max(current, 1)).replace("/step", f"/{self.unit_name}")
        if self.verbose == 2:
            return f"{current}/{self.target} - {timing.replace(' ', ' - ')}"
        if self.target is None:
            return f"{current} - {timing}"
        done = int(self.width * min(current / self.target, 1)) if self.target else self.width
        bar = f"{current}/{self.target} {DONE * done}{TO_DO * (self.width - done)}"
        if finalize:
            return f"{bar} {timing}"
        remaining = seconds / max(current, 1) * (self.target - current)
        return f"{bar} {remaining:.0f}s"          # Keras 3: the time still to go, then the figures
