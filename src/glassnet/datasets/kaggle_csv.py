"""Read the CSV files of Kaggle's "Digit Recognizer" competition.

Each row is one 28x28 image flattened to 784 numbers (pixel0 ... pixel783, row by
row, 0 = black, 255 = white). ``train.csv`` puts the digit first, in a ``label``
column; ``test.csv`` has no label column, because predicting it is the contest::

    label,pixel0,pixel1,...,pixel783      pixel0,pixel1,...,pixel783
    1,0,0,...,0                           0,0,...,0

(The module is not called ``csv.py`` so that it can never be mistaken for the
standard library's ``csv`` module.)
"""

import gzip
import re
from pathlib import Path

import numpy as np

from glassnet.errors import DataError

PIXELS = 28 * 28
_LOADTXT_ERROR = re.compile(r"string '(.*)' to \w+ at row (\d+), column (\d+)")


def load_kaggle_csv(path):
    """Load a Kaggle digit-recognizer CSV file.

    Args:
        path: ``train.csv`` (with labels) or ``test.csv`` (without); may be gzip'ed.
            The header row is optional; without it, 785 columns mean "label first".

    Returns:
        ``(x, y)``: x uint8 of shape ``(N, 28, 28)``; y uint8 of shape ``(N,)``,
        or ``None`` when the file has no label column.

    Raises:
        DataError: one line naming the file, and the line number where it helps:
            a row of the wrong width, a value that is not a number, a pixel
            outside 0-255, a label outside 0-9.
    """
    path = Path(path)
    numbered = _nonblank_lines(path)
    header, rows = _split_header(path, numbered)
    width = len(header)
    widths = np.fromiter((line.count(",") + 1 for _, line in rows), dtype=np.int64, count=len(rows))
    wrong = np.flatnonzero(widths != width)
    if wrong.size:
        line_no, _ = rows[wrong[0]]
        raise DataError(f"{path}: line {line_no} has {widths[wrong[0]]} values, expected {width}")
    values = _parse_numbers(path, rows, header)  # (N, width) float32

    first_pixel = width - PIXELS  # 1 when a label column comes first, else 0
    pixels = values[:, first_pixel:]
    _check_range(path, rows, header[first_pixel:], pixels, 255, "pixel")
    x = pixels.astype(np.uint8).reshape(-1, 28, 28)  # (N, 784) -> (N, 28, 28)
    if not first_pixel:
        return x, None
    _check_range(path, rows, header[:1], values[:, :1], 9, "label")
    return x, values[:, 0].astype(np.uint8)


def _nonblank_lines(path):
    """``[(line_number, text), ...]`` for every line that is not blank (numbered from 1)."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: cannot read the file ({getattr(e, 'strerror', None) or e})") from None
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
    if not numbered:
        raise DataError(f"{path}: the file is empty")
    return numbered


def _split_header(path, numbered):
    """Return the column names (made up when there is no header row) and the data rows."""
    _, first = numbered[0]
    cells = [cell.strip().strip('"') for cell in first.split(",")]
    try:
        float(cells[0])
        has_header = False
    except ValueError:
        has_header = True
    if len(cells) not in (PIXELS, PIXELS + 1):
        raise DataError(
            f"{path}: line 1 has {len(cells)} columns; expected {PIXELS + 1} "
            f"(label, pixel0..pixel783) or {PIXELS} (pixel0..pixel783)"
        )
    if not has_header:
        labelled = len(cells) == PIXELS + 1
        cells = ["label"] * labelled + [f"pixel{i}" for i in range(PIXELS)]
        return cells, numbered
    if len(cells) == PIXELS + 1 and cells[0].lower() != "label":
        raise DataError(
            f"{path}: line 1: the first of {PIXELS + 1} columns should be 'label', not {cells[0]!r}"
        )
    if len(numbered) == 1:
        raise DataError(f"{path}: holds a header row but no images")
    return cells, numbered[1:]


def _parse_numbers(path, rows, header):
    """All rows as one float32 array, parsed by NumPy in C (no Python loop per value)."""
    try:
        return np.loadtxt([line for _, line in rows], delimiter=",", dtype=np.float32, ndmin=2)
    except ValueError as e:
        match = _LOADTXT_ERROR.search(str(e))
        if not match:
            raise DataError(f"{path}: not a table of numbers ({e})") from None
        text, row, column = match.group(1), int(match.group(2)), int(match.group(3))
        line_no, _ = rows[row]
        name = header[column - 1]  # loadtxt counts columns from 1
        raise DataError(f"{path}: line {line_no}, column {name}: {text!r} is not a number") from None


def _check_range(path, rows, names, values, top, what):
    """Every value must be a whole number from 0 to ``top``; name the first that is not.

    ``names`` are the column names of ``values``, used in the message."""
    ok = (values >= 0) & (values <= top) & (values == np.floor(values))  # NaN fails all three
    if ok.all():
        return
    row, column = np.unravel_index(np.argmin(ok), ok.shape)
    line_no, _ = rows[row]
    value = values[row, column]
    raise DataError(
        f"{path}: line {line_no}, column {names[column]}: "
        f"{what} {value:g} is not a whole number from 0 to {top}"
    )
