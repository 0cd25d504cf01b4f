"""CSVLogger: one row per epoch in a CSV file, for a spreadsheet or pandas."""

import csv
import os

from glassnet.engine.callbacks.base import Callback


class CSVLogger(Callback):
    """Write every epoch's logs to ``filename``: ``epoch,accuracy,loss,lr,...``, as Keras does.

    The columns are the first epoch's logs in alphabetical order; ``epoch`` counts from 0,
    as in Keras. Each row is flushed at once, so the file can be watched while training runs.

    Args:
        filename: the CSV file.
        separator: the column separator.
        append: add to an existing file (a resumed run) instead of starting a new one.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename, self.separator, self.append = os.fspath(filename), separator, bool(append)
        self.file = self.writer = self.keys = None

    def on_train_begin(self, logs=None):
        has_rows = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self.file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self.write_header = not has_rows
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            self.writer = csv.DictWriter(self.file, fieldnames=["epoch"] + self.keys,
                                         delimiter=self.separator, extrasaction="ignore")
            if self.write_header:
                self.writer.writeheader()
        self.writer.writerow({"epoch": epoch, **{key: logs.get(key, "NA") for key in self.keys}})
        self.file.flush()

    def on_train_end(self, logs=None):
        if self.file is not None:
            self.file.close()
            self.file = self.writer = None
