"""A progress bar for reading or downloading a file, only where one can be drawn."""

import os
import sys


def progress_bar(total, name, unit="B", stream=None):
    """A tqdm bar on a terminal; None where a bar can't be drawn.

    A log file or a pipe would fill with half-drawn bars, and a terminal that reports no
    width (some IDE consoles, ``docker run`` without ``-t``) can't size one: in those cases
    the caller prints one plain line when the work is done instead.

    Args:
        total: how many units there will be (None when unknown).
        name: what is being read, shown before the bar.
        unit: ``"B"`` for bytes (shown as kB, MB), or e.g. ``"rows"``.
    """
    stream = stream or sys.stderr
    try:
        columns = os.get_terminal_size(stream.fileno()).columns if stream.isatty() else 0
    except (AttributeError, OSError, ValueError):
        columns = 0
    if columns < 40:   # 0 when unknown; below 40 a bar has no room to say anything
        return None
    from tqdm import tqdm

    scaled = unit == "B"
    return tqdm(total=total, desc=name, unit=unit, unit_scale=scaled, unit_divisor=1024 if scaled else 1000,
                file=stream, ncols=min(columns, 100), leave=False, mininterval=0.2)
