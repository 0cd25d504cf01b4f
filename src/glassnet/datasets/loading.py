"""One entry point for the command line: turn a dataset name into arrays and a sentence.

``load_dataset("mnist")`` returns a :class:`Dataset` whose ``source`` tells the user
where the data came from, in words, and whose ``test_set`` names the test images in the
same breath as any figure computed on them. When MNIST is neither on disk nor
downloadable (on a train, behind a firewall), it falls back to glassnet's offline sample
(6,000 MNIST training digits, 1,000 MNIST *test* digits, shipped in the package) and
``source`` says so and why: the command line prints that line, so nothing happens silently.
"""

from dataclasses import dataclass, field

import numpy as np

from glassnet.datasets.download import DataUnavailable, load_arrays
from glassnet.datasets.fashion_mnist import FASHION_MNIST
from glassnet.datasets.kaggle_csv import load_kaggle_csv
from glassnet.datasets.mnist import MNIST
from glassnet.datasets.sample import load_sample
from glassnet.errors import DataError

CSV_TEST = 10_000  # rows held out from a Kaggle train.csv (or a sixth, when that is fewer)


@dataclass
class Dataset:
    """Training and test arrays, plus what they are and where they came from.

    Attributes:
        x_train, x_test: uint8 images, shape ``(N, 28, 28)``.
        y_train, y_test: uint8 labels 0-9, shape ``(N,)``.
        name: the name asked for, e.g. ``"mnist"``.
        source: one sentence for the user, e.g. ``"MNIST from /data/mnist"``.
        class_names: what each label means (``"0"``-``"9"``, or clothing names).
        test_set: the test images in a few words, for the line that shows a figure
            computed on them, e.g. ``"10,000 mnist test images"``.
    """

    x_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    x_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    name: str
    source: str
    class_names: tuple = MNIST.class_names
    test_set: str = ""

    def __post_init__(self):
        if not self.test_set:
            self.test_set = f"{len(self.y_test):,} {self.name} test images"


def load_dataset(name, data_dir=None, allow_download=True, fallback=True):
    """Load ``"mnist"``, ``"fashion-mnist"`` or ``"csv:PATH"`` (a Kaggle train.csv).

    Args:
        name: which dataset.
        data_dir: a folder to look in first (see :mod:`glassnet.datasets.download`).
        allow_download: fetch MNIST-format files into the cache when missing.
        fallback: for MNIST only, use glassnet's offline sample (7,000 digits) when
            the real files can be neither found nor downloaded.

    Returns:
        a :class:`Dataset`.

    Raises:
        DataError: an unknown name, a corrupt file, or no data to be had.
    """
    key = name.strip()
    if key.lower().startswith("csv:"):
        return _from_csv(name, key[len("csv:"):])
    key = key.lower().replace("_", "-")
    if key == "fashion-mnist":
        (train, test), source = load_arrays(FASHION_MNIST, data_dir, allow_download)
        return Dataset(*train, *test, name=key, source=source, class_names=FASHION_MNIST.class_names)
    if key != "mnist":
        raise DataError(f"{name}: unknown dataset; use mnist, fashion-mnist or csv:PATH")
    try:
        (train, test), source = load_arrays(MNIST, data_dir, allow_download)
    except DataUnavailable as unavailable:
        if not fallback:
            raise
        return _sample(unavailable)
    return Dataset(*train, *test, name=key, source=source)


def _sample(unavailable):
    """glassnet's offline sample: MNIST training digits to train on, MNIST test digits to test on."""
    try:
        (x_train, y_train), (x_test, y_test) = load_sample()
    except DataError as broken:
        raise DataError(f"{unavailable}; and the offline sample is unreadable: {broken}") from None
    source = (
        f"MNIST could not be loaded ({unavailable}), so this uses glassnet's offline sample "
        f"instead: {len(x_train):,} MNIST training digits and {len(x_test):,} MNIST test digits"
    )
    test_set = f"{len(x_test):,} MNIST test digits of glassnet's offline sample (MNIST itself could not be loaded)"
    return Dataset(x_train, y_train, x_test, y_test, name="mnist", source=source, test_set=test_set)


def _from_csv(name, path):
    """A Kaggle train.csv, its last rows held out as the test set."""
    x, y = load_kaggle_csv(path, require_labels=True, progress=True)
    n_test = min(CSV_TEST, len(x) // 6)
    if n_test < 1:
        raise DataError(f"{path}: only {len(x)} rows; at least 6 are needed to hold out a test set")
    n_train = len(x) - n_test
    source = (
        f"Kaggle CSV {path}: {n_train:,} images for training, "
        f"the last {n_test:,} held out as the test set"
    )
    test_set = f"{n_test:,} images held out from {path} (its last rows)"
    return Dataset(x[:n_train], y[:n_train], x[n_train:], y[n_train:], name=name, source=source,
                   test_set=test_set)
