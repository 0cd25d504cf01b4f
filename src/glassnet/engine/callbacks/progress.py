"""The progress display of ``fit(verbose=1)``: a tqdm bar inside the epoch, a Keras line after."""

import sys
import time

from tqdm.auto import tqdm

from glassnet.engine.callbacks.base import Callback


def format_logs(logs):
    """``{"loss": 0.3, "accuracy": 0.91}`` -> ``"loss: 0.3000 - accuracy: 0.9100"``.

    The epoch's duration (``seconds``) is shown separately, at the start of the line.
    """
    return " - ".join(f"{k}: {v:.4g}" if k == "lr" else f"{k}: {v:.4f}"
                      for k, v in logs.items() if k != "seconds")


class ProgressBar(Callback):
    """Keras-style output.

    verbose=1::

        Epoch 1/10
         700/1500 [==============................] - ETA 00:01 - loss: 0.3571 - accuracy: 0.8930
        1500/1500 [==============================] - 1.3s - loss: 0.3120 - accuracy: 0.9080 - ...

    verbose=2 prints only the line at the end of each epoch.
    """

    def __init__(self, verbose=1, stream=None):
        super().__init__()
        self.verbose = verbose
        self.stream = stream or sys.stdout

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
        self.seen = 0
        self.bar = None
        if self.verbose == 1:
            print(f"Epoch {epoch + 1}/{self.params['epochs']}", file=self.stream)
            self.bar = tqdm(total=self.params["steps"], file=self.stream, leave=False,
                            # The running figures go in tqdm's description, not its postfix,
                            # which tqdm would open with a comma.
                            bar_format="{n_fmt}/{total_fmt} [{bar:30}] - ETA {remaining}{desc}",
                            ascii=".=", mininterval=0.25, dynamic_ncols=True)

    def on_batch_end(self, batch, logs=None):
        if self.bar is not None:
            self.bar.update(1)
            # Refresh the running loss only when the bar redraws, not on every batch.
            if self.bar.n == self.bar.last_print_n and logs:
                self.bar.set_description_str(f" - {format_logs(logs)}", refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self.start
        if self.bar is not None:
            self.bar.close()
        if self.verbose == 2:
            print(f"Epoch {epoch + 1}/{self.params['epochs']}", file=self.stream)
        if self.verbose:
            steps = self.params["steps"]
            bar = f"{steps}/{steps} [{'=' * 30}] - " if self.verbose == 1 else ""
            took = f"{seconds:.1f}s" if seconds >= 1 else f"{seconds * 1000:.0f}ms"
            print(f"{bar}{took} - {format_logs(logs or {})}", file=self.stream, flush=True)
