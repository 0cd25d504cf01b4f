"""``tf.RaggedTensor`` and ``tf.SparseTensor``, as small as TensorFlow's text tutorials need them.

Splitting texts into characters gives rows of different lengths::

    chars = tf.strings.unicode_split(["abcdefg", "xyz"], "UTF-8")   # <RaggedTensor [[a..g], [x, y, z]]>
    ids = ids_from_chars(chars)                                    # a StringLookup, row by row
    ids.to_tensor()                                                # padded with 0: (2, 7)

A :class:`RaggedTensor` here is a list of NumPy rows: a lookup layer called on it runs on
each row (``Layer.__call__`` asks :func:`is_ragged`), ``tf.strings.reduce_join`` joins each
row, ``to_tensor`` pads them into one array. It holds values, not gradients: text is not
differentiated.
"""

import numpy as np

from glassnet.engine.tensor import as_tensor


class RaggedTensor:
    """Rows of different lengths (the first axis is the rows; each row a 1-D NumPy array)."""

    def __init__(self, rows):
        self.rows = [np.asarray(row) for row in rows]

    @staticmethod
    def from_row_lengths(values, row_lengths, name=None):
        ends = np.cumsum(row_lengths)
        return RaggedTensor(np.split(np.asarray(values), ends[:-1]) if len(ends) else [])

    @staticmethod
    def from_row_splits(values, row_splits, name=None, validate=True):
        splits = np.asarray(row_splits)
        return RaggedTensor([np.asarray(values)[a:b] for a, b in zip(splits[:-1], splits[1:])])

    # -- what it looks like ----------------------------------------------------------------
    @property
    def shape(self):
        return (len(self.rows), None)

    @property
    def dtype(self):
        return self.rows[0].dtype if self.rows else np.dtype(np.float32)

    @property
    def flat_values(self):
        return as_tensor(np.concatenate(self.rows) if self.rows else np.zeros(0, self.dtype))

    values = flat_values

    def row_lengths(self):
        return as_tensor(np.array([len(row) for row in self.rows], np.int64))

    def nrows(self):
        return as_tensor(np.int64(len(self.rows)))

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return (as_tensor(row) for row in self.rows)

    def __getitem__(self, index):
        if isinstance(index, (int, np.integer)):
            return as_tensor(self.rows[index])
        if isinstance(index, slice):
            return RaggedTensor(self.rows[index])
        if isinstance(index, tuple) and len(index) == 2 and isinstance(index[0], slice):
            return RaggedTensor([row[index[1]] for row in self.rows[index[0]]])
        raise TypeError(f"RaggedTensor: index {index!r} is not supported by glassnet (a row, rows, or "
                        f"[rows, within each row])")

    def __repr__(self):
        return f"<tf.RaggedTensor {self.to_list()!r}>"

    # -- to other things -------------------------------------------------------------------
    def to_tensor(self, default_value=None, name=None, shape=None):
        """The rows padded to the longest (or to ``shape``) with ``default_value`` (0, or "")."""
        width = max((len(row) for row in self.rows), default=0)
        if shape is not None and shape[-1] is not None:
            width = shape[-1]
        fill = default_value if default_value is not None else ("" if self.dtype.kind in "USO" else 0)
        out = np.full((len(self.rows), width), fill, dtype=self.dtype if self.dtype.kind not in "USO" else object)
        for i, row in enumerate(self.rows):
            out[i, :min(len(row), width)] = row[:width]
        return as_tensor(out.astype(str) if self.dtype.kind in "USO" else out)

    def to_list(self):
        return [row.tolist() for row in self.rows]

    def numpy(self):
        """TensorFlow's: an object array of the rows."""
        out = np.empty(len(self.rows), dtype=object)
        out[:] = self.rows
        return out

    def map_rows(self, function):
        """A RaggedTensor of ``function(row)`` for each row (how a layer runs on one)."""
        return RaggedTensor([np.asarray(function(row)) for row in self.rows])


def is_ragged(value):
    return isinstance(value, RaggedTensor)


class SparseTensor:
    """TensorFlow's sparse tensor: ``values`` at ``indices`` (one row of coordinates each) of
    an array of ``dense_shape``, the rest zeros; ``tf.sparse.to_dense`` makes the array."""

    def __init__(self, indices, values, dense_shape):
        self.indices = np.asarray(indices, np.int64).reshape(len(np.asarray(values).reshape(-1)), -1)
        self.values = np.asarray(values)
        self.dense_shape = tuple(int(d) for d in np.asarray(dense_shape).reshape(-1))
        if self.indices.shape[1] != len(self.dense_shape):
            raise ValueError(f"SparseTensor: each index needs {len(self.dense_shape)} coordinates (dense_shape "
                             f"{self.dense_shape}), got {self.indices.shape[1]}")

    def __repr__(self):
        return f"SparseTensor(indices={self.indices.tolist()}, values={self.values.tolist()}, " \
               f"dense_shape={list(self.dense_shape)})"


def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    dtype = np.float32 if sp_input.values.dtype.kind == "f" else sp_input.values.dtype
    out = np.full(sp_input.dense_shape, 0 if default_value is None else default_value, dtype=dtype)
    out[tuple(sp_input.indices.T)] = sp_input.values
    return as_tensor(out)
