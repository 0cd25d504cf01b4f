"""Read the CSV files of Kaggle's "Digit Recognizer" competition, and write its submission.

Each row is one 28x28 image flattened to 784 numbers (pixel0 ... pixel783, row by
row, 0 = black, 255 = white). ``train.csv`` puts the digit first, in a ``label``
column; ``test.csv`` has no label column, because predicting it is the contest; the
answer is a ``submission.csv`` with one ``ImageId,Label`` row per test image, from 1::

    label,pixel0,pixel1,...,pixel783      pixel0,pixel1,...,pixel783      ImageId,Label
    1,0,0,...,0                           0,0,...,0                       1,2
                                                                          2,0

Files as spreadsheets save them are accepted too: a UTF-8 byte-order mark (Excel),
Windows line ends (``\\r\\n``), numbers in quotes (``"5"``), blank lines. Anything else
is a :class:`~glassnet.errors.DataError` naming the file, the line and the column.

The file is read a few thousand rows at a time (:func:`read_kaggle_csv_chunks`), so
memory follows the uint8 images, not the text, and a progress bar can follow along.
(The module is not called ``csv.py`` so that it can never be mistaken for the
standard library's ``csv`` module.)
"""

import gzip
import io
import os
import re
import secrets
import zlib
from pathlib import Path

import numpy as np

from glassnet.datasets.progress import progress_bar
from glassnet.errors import DataError

PIXELS = 28 * 28
CHUNK_ROWS = 4096          # rows parsed at once: ~13 MB of float32, whatever the file's size
MAX_LINE = 64 * 1024       # 785 numbers take at most ~3,200 characters; a longer line is not a row
_LOADTXT_ERROR = re.compile(r"string '(.*)' to \w+ at row (\d+), column (\d+)")


class UnlabeledCSV(DataError):
    """A CSV without a label column (Kaggle's test.csv) where labels are needed."""


def load_kaggle_csv(path, require_labels=False, progress=False):
    """Load a Kaggle digit-recognizer CSV file.

    Args:
        path: ``train.csv`` (with labels) or ``test.csv`` (without); may be gzip'ed.
            The header row is optional; without it, 785 columns mean "label first".
        require_labels: refuse a file without a label column as soon as its first line
            is read (before reading the rest).
        progress: show a progress bar while reading (on a terminal).

    Returns:
        ``(x, y)``: x uint8 of shape ``(N, 28, 28)``; y uint8 of shape ``(N,)``,
        or ``None`` when the file has no label column.

    Raises:
        DataError: one line naming the file, and the line and column where it helps:
            a row of the wrong width, a value that is not a number, a pixel
            outside 0-255, a label outside 0-9.
    """
    xs, ys = [], []
    for x, y in read_kaggle_csv_chunks(path, require_labels=require_labels, progress=progress):
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs), (None if ys[0] is None else np.concatenate(ys))


def read_kaggle_csv_chunks(path, chunk_rows=CHUNK_ROWS, require_labels=False, progress=False):
    """Yield ``(x, y)`` for each run of ``chunk_rows`` rows of a Kaggle CSV file, in order.

    x is uint8 ``(n, 28, 28)``; y is uint8 ``(n,)``, or None for a file without labels.
    Every chunk is checked before it is yielded; see :func:`load_kaggle_csv`.
    """
    path = Path(path)
    try:
        raw = open(path, "rb")
    except OSError as e:
        raise DataError(f"{path}: cannot read the file ({e.strerror or e})") from None
    with raw:
        bar = progress_bar(_file_size(raw), path.name) if progress else None
        try:
            yield from _chunks(path, _lines(path, raw), chunk_rows, require_labels, bar, raw)
        finally:
            if bar is not None:
                bar.close()


def write_submission(labels, path):
    """Write Kaggle's ``submission.csv``: a header, then ``ImageId,Label`` from ImageId 1.

    Written to a temporary file beside ``path`` and renamed into place, so an interrupted
    run never leaves half a submission. Returns the number of rows written.
    """
    labels = np.asarray(labels).reshape(-1)
    path = Path(path)
    table = np.column_stack([np.arange(1, len(labels) + 1), labels.astype(np.int64)])
    text = io.StringIO()
    text.write("ImageId,Label\n")
    np.savetxt(text, table, fmt="%d", delimiter=",")
    # Not tempfile.mkstemp: its files are private (mode 0600) whatever the umask, and a
    # submission is an ordinary file, 0644 under the usual umask.
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", newline="\n") as f:
            f.write(text.getvalue())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return len(labels)


# -- reading, step by step ---------------------------------------------------------------
def _file_size(raw):
    try:
        return os.fstat(raw.fileno()).st_size
    except OSError:
        return None


def _lines(path, raw):
    """``(line_number, text)`` for each non-blank line, quotes removed, numbered from 1."""
    compressed = raw.read(2) == b"\x1f\x8b"   # gzip, whatever the file is called
    raw.seek(0)
    binary = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
    # utf-8-sig drops Excel's byte-order mark; newline=None turns \r\n into \n.
    number = 0
    try:
        with io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline=None) as text:
            while line := text.readline(MAX_LINE + 1):
                number += 1
                if len(line) > MAX_LINE and not line.endswith("\n"):
                    raise DataError(f"{path}: line {number} is longer than {MAX_LINE:,} characters: "
                                    "not a row of 785 numbers")
                if line.strip():
                    yield number, line.replace('"', "").rstrip("\n")
    except (OSError, EOFError, zlib.error) as e:   # gzip.BadGzipFile is an OSError
        raise DataError(f"{path}: cannot read the file ({getattr(e, 'strerror', None) or e})") from None


def _chunks(path, lines, chunk_rows, require_labels, bar, raw):
    first = next(lines, None)
    if first is None:
        raise DataError(f"{path}: the file is empty")
    header, has_header = _header(path, first)
    if require_labels and len(header) == PIXELS:
        raise UnlabeledCSV(f"{path}: has no label column (Kaggle's test.csv?), so there is "
                           "nothing to learn from or check against; use a file like Kaggle's train.csv")
    rows, seen, done = ([] if has_header else [first]), 0, 0
    for row in lines:
        rows.append(row)
        if len(rows) == chunk_rows:
            yield _parse(path, rows, header)
            seen, rows = seen + len(rows), []
            if bar is not None:
                position = raw.tell()
                bar.update(position - done)
                done = position
    if rows:
        yield _parse(path, rows, header)
    elif not seen:
        raise DataError(f"{path}: holds a header row but no images")


def _header(path, numbered):
    """Return the column names (made up when there is no header row) and whether there is one."""
    _, first = numbered
    cells = [cell.strip() for cell in first.split(",")]
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
        return ["label"] * labelled + [f"pixel{i}" for i in range(PIXELS)], False
    if len(cells) == PIXELS + 1 and cells[0].lower() != "label":
        raise DataError(
            f"{path}: line 1: the first of {PIXELS + 1} columns should be 'label', not {cells[0][:40]!r}"
        )
    # A train.csv that lost one pixel column has 784 columns too, and would otherwise be read
    # as a test.csv with its labels as pixel0; Kaggle's pixel names must come in order.
    if len(cells) == PIXELS and cells[0].lower() == "label":
        raise DataError(f"{path}: line 1 has 'label' and {PIXELS - 1} pixel columns: one pixel column is "
                        f"missing (expected label, pixel0..pixel783)")
    first = len(cells) - PIXELS
    for i, name in enumerate(cells[first:]):
        if name.lower().startswith("pixel") and name.lower() != f"pixel{i}":
            raise DataError(f"{path}: line 1: column {first + i + 1} is {name[:40]!r}, expected 'pixel{i}' "
                            f"(Kaggle's layout: label, pixel0..pixel783; a test file without label)")
    return cells, True


def _parse(path, rows, header):
    """Check and convert one chunk of rows: ``(x, y)`` as in :func:`read_kaggle_csv_chunks`."""
    width = len(header)
    widths = np.fromiter((line.count(",") + 1 for _, line in rows), dtype=np.int64, count=len(rows))
    wrong = np.flatnonzero(widths != width)
    if wrong.size:
        line_no, _ = rows[wrong[0]]
        raise DataError(f"{path}: line {line_no} has {widths[wrong[0]]} values, expected {width}")
    values = _parse_numbers(path, rows, header)  # (n, width) float32

    first_pixel = width - PIXELS  # 1 when a label column comes first, else 0
    pixels = values[:, first_pixel:]
    _check_range(path, rows, header[first_pixel:], pixels, 255, "pixel")
    x = pixels.astype(np.uint8).reshape(-1, 28, 28)  # (n, 784) -> (n, 28, 28)
    if not first_pixel:
        return x, None
    _check_range(path, rows, header[:1], values[:, :1], 9, "label")
    return x, values[:, 0].astype(np.uint8)


def _parse_numbers(path, rows, header):
    """All rows as one float32 array, parsed by NumPy in C (no Python loop per value)."""
    try:
        return np.loadtxt([line for _, line in rows], delimiter=",", dtype=np.float32, ndmin=2,
                          comments=None)
    except ValueError as e:
        match = _LOADTXT_ERROR.search(str(e))
        if not match:
            raise DataError(f"{path}: lines {rows[0][0]}-{rows[-1][0]}: not a table of numbers "
                            f"({str(e).splitlines()[0][:200]})") from None
        text, row, column = match.group(1), int(match.group(2)), int(match.group(3))
        line_no, _ = rows[row]
        name = header[column - 1] if 0 < column <= len(header) else f"#{column}"  # loadtxt counts from 1
        raise DataError(f"{path}: line {line_no}, column {name}: {text[:40]!r} is not a number") from None


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
