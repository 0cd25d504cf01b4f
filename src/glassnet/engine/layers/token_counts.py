"""Token indices as counts: the ``one_hot``, ``multi_hot``, ``count`` and ``tf_idf`` outputs of
the lookup layers (StringLookup, IntegerLookup, TextVectorization).

A sample is a list of token indices into a vocabulary of ``depth`` entries; it becomes one
vector of ``depth`` numbers::

    count[i]     = how many of the sample's tokens have index i
    multi_hot[i] = 1 if any does, else 0             (Keras 2 called it "binary")
    tf_idf[i]    = count[i] * idf[i]                  (idf: how rare token i is, see below)

``one_hot`` gives each token its own vector (a 1 at its index) instead of one per sample.

The counts are one ``np.bincount`` over ``row * depth + index`` (the flat position of each
token in the ``(rows, depth)`` output), so a whole batch is counted in one call. An index
outside ``[0, depth)`` (a mask token, or a vocabulary bigger than a ``pad_to_max_tokens``
width) is dropped, as TensorFlow's ``bincount`` drops it.

Inverse document frequency (adapt's, Keras's formula)::

    idf[token] = log(1 + documents / (1 + documents that hold the token))
"""

import numpy as np


def counts(rows, indices, n_rows, depth, mode, dtype="float32"):
    """The ``(n_rows, depth)`` counts of ``indices`` (1-D) in ``rows`` (1-D, same length):
    ``multi_hot`` (0 or 1) or ``count``."""
    rows, indices = np.asarray(rows, np.int64), np.asarray(indices, np.int64)
    keep = (indices >= 0) & (indices < depth)
    flat = np.bincount(rows[keep] * depth + indices[keep], minlength=n_rows * depth)
    out = flat.reshape(n_rows, depth)
    return (out > 0).astype(dtype) if mode == "multi_hot" else out.astype(dtype)


def encode(indices, depth, mode, idf=None, dtype="float32"):
    """Dense token indices ``(..., T)`` as Keras's lookup layers encode them.

    * ``one_hot``: ``(..., T) -> (..., T, depth)``, except that a last axis of size 1 is
      replaced: ``(N, 1) -> (N, depth)``; ``(N,) -> (N, depth)``.
    * ``multi_hot``, ``count``, ``tf_idf``: the last axis is the sample's tokens:
      ``(N, T) -> (N, depth)``, and ``(T,) -> (depth,)`` (one sample); at most two axes, as
      TensorFlow's bincount (Keras's way) takes.
    """
    indices = np.asarray(indices, np.int64)
    if indices.ndim == 0:
        indices = indices.reshape(1)
    if mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        return (np.arange(depth) == indices[..., np.newaxis]).astype(dtype)   # an index outside: all 0
    if indices.ndim > 2:
        raise ValueError(f"output_mode={mode!r} gives at most two axes (batch, depth), as in Keras; "
                         f"the input of shape {indices.shape} would give {indices.ndim}")
    one_sample = indices.ndim == 1
    grid = indices.reshape(1, -1) if one_sample else indices
    rows = np.repeat(np.arange(len(grid)), grid.shape[1])
    out = counts(rows, grid.reshape(-1), len(grid), depth, "count" if mode == "tf_idf" else mode, dtype)
    if mode == "tf_idf":
        out = out * np.asarray(idf, dtype)
    return out[0] if one_sample else out


def inverse_document_frequency(document_counts, documents):
    """``log(1 + documents / (1 + document_counts))`` for each token (Keras's idf)."""
    return np.log(1.0 + documents / (1.0 + np.asarray(document_counts, np.float64)))
