"""``tf.data`` for programs that ``import glassnet as tf``: :class:`Dataset` (see
:mod:`glassnet.tf_data.dataset`; its grouping methods are in :mod:`~glassnet.tf_data.windows`,
the rest in :mod:`~glassnet.tf_data.more`), ``AUTOTUNE``, the cardinality constants,
``Options``, the text and CSV readers (``TextLineDataset``, :mod:`~glassnet.tf_data.csv_files`)
and ``tf.data.experimental``'s names for them.

It lives beside :mod:`glassnet.tf_functions` (the rest of the ``tf`` namespace), not in
:mod:`glassnet.datasets` (the data sets themselves, MNIST and the rest) nor in the engine:
``fit`` knows nothing of TensorFlow and reads a Dataset as it reads any batch source that
passes over its batches afresh each epoch (:mod:`glassnet.engine.data`).
"""

import types

import numpy as np

from glassnet.tf_data.dataset import AUTOTUNE, INFINITE, UNKNOWN, Dataset, TensorSpec
from glassnet.tf_data.spec import DatasetSpec
from glassnet.tf_data import more, windows
from glassnet.tf_data.csv_files import CsvDataset, make_csv_dataset
from glassnet.tf_data.options import AutoShardPolicy, Options

INFINITE_CARDINALITY, UNKNOWN_CARDINALITY = INFINITE, UNKNOWN

# The methods kept in modules of their own, to keep dataset.py one sitting long.
for _method in windows.METHODS + more.METHODS:
    setattr(Dataset, _method.__name__, _method)
for _method in more.STATIC:
    setattr(Dataset, _method.__name__, staticmethod(_method))

# TensorFlow's readers of its own file formats, and what to do instead.
_NOT_HERE = {
    "TFRecordDataset": "TFRecord files are TensorFlow's format; load the arrays (np.load, a CSV reader) and "
                       "use Dataset.from_tensor_slices",
    "FixedLengthRecordDataset": "load the records with np.fromfile and use Dataset.from_tensor_slices",
}


def _not_here(label):
    def getattr_(name):
        if name.startswith("__"):
            raise AttributeError(name)
        advice = _NOT_HERE.get(name, "not part of glassnet's small tf.data (Dataset, AUTOTUNE, cardinality)")
        raise AttributeError(f"glassnet has no {label}.{name}: {advice}")
    return getattr_


def TextLineDataset(filenames, compression_type=None, buffer_size=None, num_parallel_reads=None, name=None):
    """The lines of one or more text files, in order, without their line ends: TensorFlow's
    ``tf.data.TextLineDataset`` (its elements are strings here, bytes there)."""
    if compression_type not in (None, ""):
        raise NotImplementedError(f"TextLineDataset: compression_type={compression_type!r} is not supported by "
                                  f"glassnet; decompress the file first")
    if isinstance(filenames, (str, bytes)) or hasattr(filenames, "__fspath__"):
        paths = [filenames]
    else:                          # a list, or a string tensor (list_files' elements, one name each)
        paths = np.asarray(filenames, dtype=object).reshape(-1).tolist()
    lines = []
    for path in paths:
        with open(path, encoding="utf-8") as file:
            lines += file.read().splitlines()
    return Dataset.from_tensor_slices(lines) if lines else Dataset.from_tensor_slices(np.array([], dtype=str))


def cardinality(dataset):
    """``tf.data.experimental.cardinality(ds)``: ``ds.cardinality()``."""
    return dataset.cardinality()


class _Experimental(types.SimpleNamespace):
    __getattr__ = staticmethod(_not_here("tf.data.experimental"))


experimental = _Experimental(AUTOTUNE=AUTOTUNE, cardinality=cardinality, INFINITE_CARDINALITY=INFINITE,
                             UNKNOWN_CARDINALITY=UNKNOWN, sample_from_datasets=Dataset.sample_from_datasets,
                             choose_from_datasets=Dataset.choose_from_datasets, AutoShardPolicy=AutoShardPolicy,
                             ignore_errors=lambda log_warning=False: lambda ds: ds.ignore_errors(log_warning),
                             CsvDataset=CsvDataset, make_csv_dataset=make_csv_dataset)
__getattr__ = _not_here("tf.data")

__all__ = ["AUTOTUNE", "Dataset", "DatasetSpec", "INFINITE_CARDINALITY", "Options", "TensorSpec", "TextLineDataset", "UNKNOWN_CARDINALITY", "experimental"]
