"""Datasets: MNIST, Fashion-MNIST, Kaggle's digit CSVs, an offline sample, and Keras's CIFAR-10,
CIFAR-100, IMDB, Reuters, Boston and California housing.

Keras-style loaders return plain NumPy arrays, as Keras's do::

    from glassnet.datasets import mnist
    (x_train, y_train), (x_test, y_test) = mnist.load_data()

The command line uses :func:`load_dataset`, which also says where the data came from.
Importing this package loads NumPy and the standard library only; nothing is read
or downloaded until a loader is called.
"""

from glassnet.datasets import (boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist,
                               reuters)
from glassnet.datasets.idx import read_idx, write_idx
from glassnet.datasets.kaggle_csv import load_kaggle_csv, read_kaggle_csv_chunks, write_submission
from glassnet.datasets.loading import Dataset, load_dataset
from glassnet.datasets.sample import load_sample

__all__ = [
    "Dataset",
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "fashion_mnist",
    "imdb",
    "load_dataset",
    "load_kaggle_csv",
    "load_sample",
    "mnist",
    "read_idx",
    "read_kaggle_csv_chunks",
    "reuters",
    "write_idx",
    "write_submission",
]
