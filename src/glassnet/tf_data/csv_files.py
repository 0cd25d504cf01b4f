"""CSV files as datasets: ``tf.data.experimental.CsvDataset`` (one tuple of values per
line) and ``tf.data.experimental.make_csv_dataset`` (batches of a dict of columns, and the
label column apart), as TensorFlow's "Load CSV data" tutorial reads the Titanic file::

    titanic_csv_ds = tf.data.experimental.make_csv_dataset(
        titanic_file_path, batch_size=5, label_name='survived', num_epochs=1, ignore_errors=True)

The lines are read with Python's ``csv`` module. Each column has a type and a default, as
in TensorFlow: ``record_defaults`` gives them (``0.0``: float32, default 0; ``0``: int32;
``""``: a string; a dtype such as ``tf.float32``: that type, and the field may not be
empty), or ``make_csv_dataset`` infers them from the first rows, trying int32, int64,
float32, float64 and string in turn (an empty field, or ``na_value``, takes the default:
0 or ""). Strings are str arrays here, bytes in TensorFlow. A file may be gzipped
(``compression_type="GZIP"``).
"""

import csv
import gzip
import itertools

import numpy as np

from glassnet.engine.tensor import as_tensor
from glassnet.tf_data import structure
from glassnet.tf_data.dataset import AUTOTUNE, UNKNOWN, Dataset
from glassnet.tf_data.more import list_files

_TYPES = (np.int32, np.int64, np.float32, np.float64, np.str_)     # from least to most permissive


def CsvDataset(filenames, record_defaults, compression_type=None, buffer_size=None, header=False, field_delim=",",
               use_quote_delim=True, na_value="", select_cols=None, exclude_cols=None, name=None):
    """One element per line of the files, a tuple of one value per column (or per column of
    ``select_cols``, or not in ``exclude_cols``), typed by ``record_defaults`` (see the
    module docstring). A field that isn't of its column's type is an error when it is read
    (skipped by ``.ignore_errors()``)."""
    _opener(compression_type)
    if select_cols is not None and exclude_cols is not None:
        raise ValueError("CsvDataset: give select_cols or exclude_cols, not both")
    paths = np.asarray(filenames, dtype=object).reshape(-1).tolist()
    columns = [_column(default) for default in record_defaults]

    def parse(row):
        if select_cols is not None:
            row = [row[i] if i < len(row) else "" for i in select_cols]
        elif exclude_cols is not None:
            row = [field for i, field in enumerate(row) if i not in exclude_cols]
        if len(row) != len(columns):
            raise ValueError(f"CsvDataset: Expect {len(columns)} fields but have {len(row)} in record")
        return tuple(_field(text, i, dtype, default, na_value) for i, (text, (dtype, default))
                     in enumerate(zip(row, columns)))

    def iterate():
        for row in _rows(paths, header, field_delim, use_quote_delim, compression_type=compression_type):
            try:
                yield structure.call(parse, (row,))
            except structure.Skipped:              # ignore_errors() further on
                continue
    return Dataset(iterate, UNKNOWN)


def _column(default):
    """``(dtype, default or None)`` of one entry of ``record_defaults``."""
    if (isinstance(default, str) and default == "string") or default is str:     # tf.string
        return np.dtype(str), None
    if isinstance(default, type) or isinstance(default, np.dtype):
        dtype = np.dtype(default)
        if dtype.kind not in "iufU":
            raise TypeError(f"CsvDataset: a column can be int32, int64, float32, float64 or string, got {dtype}")
        return dtype, None
    array = structure.tensor(default, "CsvDataset: record_defaults")
    if array.size > 1:
        raise ValueError(f"CsvDataset: each of record_defaults is one value or a type, got {default!r}")
    return array.dtype, (array.reshape(-1)[0] if array.size else None)


def _field(text, index, dtype, default, na_value):
    """One field of a line as a 0-d tensor of its column's dtype."""
    if text == "" or text == na_value:
        if default is None:
            raise ValueError(f"CsvDataset: Field {index} is required but missing in record!")
        return as_tensor(np.asarray(default, dtype))
    if dtype.kind == "U":
        return as_tensor(np.asarray(text))
    try:
        number = int(text) if dtype.kind == "i" else float(text)
        return as_tensor(np.array(number, dtype))
    except (ValueError, OverflowError):
        kind = "int" if dtype.kind == "i" else "float"
        raise ValueError(f"CsvDataset: Field {index} in record is not a valid {kind}: {text}") from None


def _opener(compression_type):
    """The function that opens a file as text: ``open``, or ``gzip.open`` for "GZIP"."""
    if compression_type in (None, ""):
        return open
    if compression_type == "GZIP":
        return lambda path, **kwargs: gzip.open(path, "rt", **kwargs)
    raise NotImplementedError(f"compression_type={compression_type!r} is not supported by glassnet's CSV "
                              f"readers (None or 'GZIP'); decompress the file first")


def _rows(paths, header, field_delim, use_quote_delim, encoding="utf-8", compression_type=None):
    """The fields of every non-empty line of the files, in order, without their header lines."""
    quoting = csv.QUOTE_MINIMAL if use_quote_delim else csv.QUOTE_NONE
    for path in paths:
        with _opener(compression_type)(path, newline="", encoding=encoding) as file:
            rows = csv.reader(file, delimiter=field_delim, quoting=quoting)
            yield from (row for row in itertools.islice(rows, int(bool(header)), None) if row)


def make_csv_dataset(file_pattern, batch_size, column_names=None, column_defaults=None, label_name=None,
                     select_columns=None, field_delim=",", use_quote_delim=True, na_value="", header=True,
                     num_epochs=None, shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                     prefetch_buffer_size=None, num_parallel_reads=None, sloppy=False, num_rows_for_inference=100,
                     compression_type=None, ignore_errors=False, encoding="utf-8"):
    """Batches of ``batch_size`` lines of the CSV files matching ``file_pattern``: a dict
    ``{column name: values}`` (columns in the file's order), and the ``label_name`` column
    apart, ``(features, label)``. As in TensorFlow, the lines are shuffled (``shuffle``,
    through a buffer of ``shuffle_buffer_size``) and repeated forever unless ``num_epochs``
    is given (then the last batch may be short); ``num_parallel_reads`` files are read in
    turn, a line from each (``interleave``); ``ignore_errors`` skips lines that don't parse."""
    paths = list_files(file_pattern, shuffle=False).as_numpy_iterator()
    paths = [str(p) for p in paths]
    if column_names is None:
        if not header:
            raise ValueError("make_csv_dataset: Expected `column_names` or `header` arguments. Neither is provided.")
        column_names = _header(paths, field_delim, use_quote_delim, encoding, compression_type)
    column_names = list(column_names)
    if len(set(column_names)) != len(column_names):
        raise ValueError(f"make_csv_dataset: Either `column_names` argument or CSV header row contains "
                         f"duplicate column names: {column_names}")
    selected = None if select_columns is None else sorted({
        c if isinstance(c, int) else _index(column_names, c) for c in select_columns})
    if column_defaults is None:
        rows = itertools.islice(_rows(paths, header, field_delim, use_quote_delim, encoding, compression_type),
                                num_rows_for_inference)
        column_defaults = _infer_defaults(rows, selected or range(len(column_names)), na_value)
    names = column_names if selected is None else [column_names[i] for i in selected]
    if label_name is not None and label_name not in names:
        raise ValueError(f"make_csv_dataset: `label_name` provided must be one of the columns: {names}. "
                         f"Received: {label_name}.")

    def read(path):
        lines = CsvDataset(path, column_defaults, compression_type, header=header, field_delim=field_delim,
                           use_quote_delim=use_quote_delim, na_value=na_value, select_cols=selected)
        return lines.ignore_errors() if ignore_errors else lines

    def to_dict(*columns):
        features = dict(zip(names, columns))
        return features if label_name is None else (features, features.pop(label_name))

    files = Dataset.from_tensor_slices(np.array(paths, dtype=str))
    if shuffle:
        files = files.shuffle(len(paths), seed=shuffle_seed)
    cycle = None if num_parallel_reads == AUTOTUNE else num_parallel_reads or 1
    dataset = files.interleave(read, cycle_length=cycle)
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    if num_epochs != 1:
        dataset = dataset.repeat(num_epochs)
    return dataset.batch(batch_size, drop_remainder=num_epochs is None).map(to_dict)


def _header(paths, field_delim, use_quote_delim, encoding, compression_type):
    """The column names on the first line of the files (the same in each)."""
    names = None
    for path in paths:
        with _opener(compression_type)(path, newline="", encoding=encoding) as file:
            quoting = csv.QUOTE_MINIMAL if use_quote_delim else csv.QUOTE_NONE
            first = next(csv.reader(file, delimiter=field_delim, quoting=quoting), None)
        if first is None:
            raise ValueError(f"make_csv_dataset: Failed when reading the header line of {path}. Is it an empty file?")
        if names is not None and first != names:
            raise ValueError(f"make_csv_dataset: All input CSV files should have the same column names in the "
                             f"header row. File {path} has different column names.")
        names = first
    return names


def _index(column_names, name):
    if name not in column_names:
        raise ValueError(f"make_csv_dataset: Column {name} specified in `select_columns` must be of one of the "
                         f"columns: {column_names}.")
    return column_names.index(name)


def _infer_defaults(rows, columns, na_value):
    """A default for each column, of the least permissive type all its fields fit (TensorFlow's
    inference): 0 as int32, int64, float32 or float64, else ""."""
    kinds = {i: len(_TYPES) - 1 for i in columns}    # a column never filled in is a string one
    seen = set()
    for row in rows:
        for i in columns:
            if i < len(row) and row[i] not in ("", na_value):
                least = kinds[i] if i in seen else 0
                kinds[i] = next(k for k in range(least, len(_TYPES)) if _fits(row[i], _TYPES[k]))
                seen.add(i)
    return [np.array(0 if _TYPES[k] is not np.str_ else "", _TYPES[k]) for k in kinds.values()]


def _fits(text, dtype):
    try:
        if dtype is np.str_:
            return True
        if np.dtype(dtype).kind == "i":
            return np.iinfo(dtype).min <= int(text) <= np.iinfo(dtype).max
        with np.errstate(over="ignore"):
            return bool(np.isfinite(np.asarray(float(text), dtype)))
    except (ValueError, OverflowError):
        return False
