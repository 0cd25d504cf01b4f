"""Hashing: strings (or whole numbers) to one of ``num_bins`` bins by a hash, no vocabulary needed.

Each value is hashed as Keras 3 hashes it (through TensorFlow)::

    bin = fingerprint64(text) % num_bins               (FarmHash; salt=None)
    bin = siphash24(salt, text) % num_bins             (SipHash-2-4; salt=(k0, k1) or one k for both)

where ``text`` is the string itself, or a number written in decimal (a float is first cut to
an int64, as Keras casts it). With ``mask_value`` bin 0 is kept for that value and the others
go to ``1 + hash % (num_bins - 1)``. The output is the bins (``"int"``, int64), or their
``one_hot`` / ``multi_hot`` / ``count`` vectors (see :mod:`glassnet.engine.layers.token_counts`).

Hashing runs once per distinct value of the batch (``np.unique``), in Python
(:mod:`glassnet.engine.layers.string_hashes`). No weights, no gradient.

Args:
    num_bins: how many bins (mask bin included).
    mask_value: a value that goes to bin 0, or None.
    salt: None (FarmHash), an int, or two ints (SipHash's key).
    output_mode: "int", "one_hot", "multi_hot" or "count".

Input: strings or numbers, ``(N, ...)``. Output: ``(N, ...)`` int64 bins, or ``(N, num_bins)``.
"""

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.string_hashes import fingerprint64, siphash24
from glassnet.engine.layers.token_counts import encode


def hash_buckets(values, buckets, salt=None):
    """Each value of the 1-D list ``values`` (str, bytes or int) in ``[0, buckets)``: TensorFlow's
    ``to_hash_bucket_fast`` (``salt=None``) or ``to_hash_bucket_strong`` (``salt=[k0, k1]``)."""
    texts = [value if isinstance(value, (str, bytes)) else str(int(value)) for value in values]
    hashes = [fingerprint64(t) if salt is None else siphash24(salt, t) for t in texts]
    return np.array([h % buckets for h in hashes], np.int64)


def checked_salt(salt, owner):
    """Keras's salt: None, one int (used twice), or two ints, as a list."""
    if salt is None:
        return None
    if isinstance(salt, (tuple, list)) and len(salt) == 2:
        return [int(s) for s in salt]
    if isinstance(salt, int) and not isinstance(salt, bool):
        return [salt, salt]
    raise ValueError(f"{owner}: salt must be one integer or two, got {salt!r}")


class Hashing(Layer):
    """Values to bins by a hash (see the module docstring)."""

    input_has_gradient = False

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"Hashing: num_bins must be a positive integer, got {num_bins!r}")
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(f"Hashing: output_mode must be 'int', 'one_hot', 'multi_hot' or 'count', "
                             f"got {output_mode!r}")
        if sparse:
            raise NotImplementedError("Hashing: sparse=True (sparse tensors) is not supported by glassnet")
        kwargs.setdefault("dtype", "int64" if output_mode == "int" else "float32")
        if kwargs["dtype"] is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        super().__init__(**kwargs)
        self.num_bins, self.mask_value, self.output_mode = int(num_bins), mask_value, output_mode
        self.salt = checked_salt(salt, "Hashing")

    def bins(self, x):
        """The bin of each value of ``x`` (any shape): int64, same shape."""
        x = np.asarray(x)
        if x.dtype.kind == "f":
            x = x.astype(np.int64)           # as Keras: floats cut to int64 first
        distinct, codes = np.unique(x.reshape(-1), return_inverse=True)
        values = distinct.tolist()
        masked = self.mask_value is not None and self.num_bins > 1
        found = hash_buckets(values, self.num_bins - 1 if masked else self.num_bins, self.salt)
        if masked:
            found = np.where([v == self.mask_value for v in values], 0, found + 1)
        return found[np.asarray(codes).reshape(-1)].reshape(x.shape)

    def forward(self, x, training=False):
        x = np.asarray(x)
        if self.output_mode == "one_hot" and x.ndim and x.shape[-1] == 1:
            x = x[..., 0]
        bins = self.bins(x)
        return bins if self.output_mode == "int" else encode(bins, self.num_bins, self.output_mode, dtype=self.dtype)

    def backward(self, dy):
        return None

    def output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return tuple(input_shape)[:-1] + (self.num_bins,) if input_shape else (self.num_bins,)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt, "mask_value": self.mask_value,
                "output_mode": self.output_mode, "sparse": False}
