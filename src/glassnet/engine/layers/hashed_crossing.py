"""HashedCrossing: two (or more) categorical columns crossed into one, then hashed into ``num_bins``.

A cross is "this value of feature A *and* that value of feature B": ``("male", 60)`` is one
category, ``("female", 60)`` another. There are too many pairs to list, so each pair is
hashed into one of ``num_bins`` bins, exactly as Keras 3 does through TensorFlow's
``tf.sparse.cross_hashed``::

    h = 0xDECAFCAFFE                                    (TensorFlow's hash key)
    for each column, in order:
        v = the value itself (a whole number, as uint64)  or  Fingerprint64(v) (a string)
        h = FingerprintCat64(h, v)
    bin = h % num_bins

    FingerprintCat64(a, b) = mix(mix((a ^ K) ^ mix(b * K) * K) * K) ... (see :func:`cat64`),
    with K = 0xc6a4a7935bd1e995 and mix(v) = v ^ (v >> 47), all modulo 2**64.

Floats are refused, as Keras refuses them (discretize or look them up first). The whole batch is hashed at once
in uint64 NumPy arithmetic (which wraps modulo 2**64 as the C++ does); strings are
fingerprinted once per distinct value. No weights, no gradient.

Args:
    num_bins: how many bins.
    output_mode: ``"int"`` (the bins, int64) or ``"one_hot"`` (a ``(N, num_bins)`` float row each).

Input: a list of columns of one shape, ``(N,)`` or ``(N, 1)``. Output: the bins, the same
shape (``"int"``), or ``(N, num_bins)`` (``"one_hot"``).
"""

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.string_hashes import fingerprint64
from glassnet.engine.layers.token_counts import encode

HASH_KEY = 0xDECAFCAFFE
_K = np.uint64(0xC6A4A7935BD1E995)


def _mix(v):
    return v ^ (v >> np.uint64(47))


def cat64(a, b):
    """TensorFlow's ``FingerprintCat64(a, b)`` over uint64 arrays (wrapping as C++ does)."""
    with np.errstate(over="ignore"):
        result = a ^ _K
        result ^= _mix(b * _K) * _K
        result *= _K
        return _mix(_mix(result) * _K)


def column_hashes(column):
    """What TensorFlow feeds the cross for each value: the int64 itself, or its string's Fingerprint64."""
    column = np.asarray(column)
    if column.dtype.kind not in "biuUSO":
        raise ValueError(f"HashedCrossing: every column must hold whole numbers or strings, got {column.dtype} "
                         f"(discretize or look up the floats first)")
    if column.dtype.kind in "USO":
        distinct, codes = np.unique(column.astype(str).reshape(-1), return_inverse=True)
        prints = np.array([fingerprint64(text) for text in distinct.tolist()], np.uint64)
        return prints[np.asarray(codes).reshape(-1)].reshape(column.shape)
    return column.astype(np.int64).view(np.uint64)


class HashedCrossing(Layer):
    """Crossed columns hashed into bins (see the module docstring)."""

    input_has_gradient = False
    takes_list = True

    def __init__(self, num_bins, output_mode="int", sparse=False, **kwargs):
        if output_mode not in ("int", "one_hot"):
            raise ValueError(f"HashedCrossing: output_mode must be 'int' or 'one_hot', got {output_mode!r}")
        if sparse:
            raise NotImplementedError("HashedCrossing: sparse=True (sparse tensors) is not supported by glassnet")
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        super().__init__(**kwargs)
        self.num_bins, self.output_mode = int(num_bins), output_mode

    def bins(self, columns):
        """The bin of each row of the crossed ``columns`` (each ``(N,)`` or ``(N, 1)``): int64, that shape."""
        columns = [np.asarray(c) for c in columns]
        if len(columns) < 2:
            raise ValueError(f"HashedCrossing: call it on a list of at least two columns, got {len(columns)}")
        shape = columns[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1) or any(c.shape != shape for c in columns):
            raise ValueError(f"HashedCrossing: every column must have one shape, (N,) or (N, 1); got "
                             f"{[c.shape for c in columns]}")
        h = np.full(shape, HASH_KEY, np.uint64)
        for column in columns:
            h = cat64(h, column_hashes(column))
        return (h % np.uint64(self.num_bins)).astype(np.int64)

    def forward(self, inputs, training=False):
        bins = self.bins(inputs)
        if self.output_mode == "int":
            return bins
        return encode(bins.reshape(-1) if bins.ndim == 2 else bins, self.num_bins, "one_hot", dtype=self.dtype)

    def backward(self, dy):
        return None

    def output_shape(self, input_shape):
        # (sample shapes: () or (1,) each)
        return tuple(input_shape[0]) if self.output_mode == "int" else (self.num_bins,)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "output_mode": self.output_mode, "sparse": False}
