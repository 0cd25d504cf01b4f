"""StringLookup and IntegerLookup: strings or whole numbers to vocabulary indices, and back.

The vocabulary, the lookup and the outputs are :class:`IndexLookup`'s; these two classes say
what a token is. Keras 3's defaults::

    StringLookup(max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", ...)
    IntegerLookup(max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, ...)

Example (Keras's)::

    >>> layer = StringLookup(vocabulary=["a", "b", "c", "d"])
    >>> layer(np.array([["a", "c", "d"], ["d", "z", "b"]])).tolist()
    [[1, 3, 4], [4, 0, 2]]
"""

import numpy as np

from glassnet.engine.layers.index_lookup import IndexLookup


class StringLookup(IndexLookup):
    """Strings to indices into a vocabulary (see :mod:`glassnet.engine.layers.index_lookup`).

    Args:
        max_tokens: the most indices in all (special ones included); None: no limit.
        num_oov_indices: indices for strings outside the vocabulary (glassnet: 0 or 1).
        mask_token: a string that means padding (index 0 in "int" output), or None.
        oov_token: what invert=True gives for an index outside the vocabulary ("[UNK]").
        vocabulary: the tokens (a list, an array, or a text file's path), instead of adapt.
        idf_weights: one weight per token, for output_mode="tf_idf" with vocabulary=.
        invert: indices to strings instead.
        output_mode: "int" (indices, int64), "one_hot", "multi_hot", "count" or "tf_idf".
        pad_to_max_tokens: make count outputs max_tokens wide, whatever the vocabulary's size.
        encoding: how bytes inputs are decoded ("utf-8").

    Input: strings (a NumPy array of str, bytes or Python objects), any shape ``(N, ...)``.
    Output: int64 indices of the same shape, or float32 counts (see IndexLookup.output_shape).
    """

    vocabulary_numpy_dtype = str

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False, sparse=False,
                 encoding="utf-8", **kwargs):
        self.encoding = encoding
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, **kwargs)

    @property
    def input_dtype(self):
        """What a model that starts with this layer takes: strings (indices, with invert=True),
        handed over as they are, never cast to float32."""
        return "int64" if self.invert else "string"

    def _token(self, value):
        return value.decode(self.encoding) if isinstance(value, bytes) else str(value)

    def as_tokens(self, values):
        return as_strings(values, self.encoding, f"layer '{self._display_name}' (StringLookup)")

    def get_config(self):
        return {**super().get_config(), "encoding": self.encoding}


class IntegerLookup(IndexLookup):
    """Whole numbers to indices into a vocabulary: StringLookup's rules for numbers (the OOV
    token is -1; with several OOV indices a number goes to ``number mod num_oov_indices``).

    Input: whole numbers (ints, or floats holding whole numbers, as a model casts them), any
    shape ``(N, ...)``. Output: as StringLookup's.
    """

    vocabulary_numpy_dtype = np.int64
    hashes_strings = False
    input_dtype = "int64"         # a model that starts with it keeps its integers (no float32 round trip)

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", salt=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ValueError(f"IntegerLookup: only vocabulary_dtype='int64' is supported, as in Keras; "
                             f"got {vocabulary_dtype!r}")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=None if mask_token is None else int(mask_token),
                         oov_token=None if oov_token is None else int(oov_token), vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, oov_method=oov_method, salt=salt, **kwargs)
        if self.input_vocabulary is not None:
            self.input_vocabulary = [int(v) for v in self.input_vocabulary]

    def _token(self, value):
        return int(value)

    def as_tokens(self, values):
        values = np.asarray(values)
        if values.dtype.kind in "iub":
            return values.astype(np.int64)
        if values.dtype.kind == "f" and np.isfinite(values).all() and (values == np.round(values)).all():
            return values.astype(np.int64)
        raise ValueError(f"layer '{self._display_name}' (IntegerLookup) takes whole numbers, got an array of "
                         f"{values.dtype}" + (" with fractions" if values.dtype.kind == "f" else ""))

    def get_config(self):
        config = super().get_config()
        keys = list(config)
        config["vocabulary_dtype"] = "int64"      # Keras's place for it: after pad_to_max_tokens
        order = keys[:keys.index("pad_to_max_tokens") + 1] + ["vocabulary_dtype"] + \
            keys[keys.index("pad_to_max_tokens") + 1:]
        return {key: config[key] for key in order}


def as_strings(values, encoding, owner):
    """``values`` (str, bytes or an array of either) as a NumPy array of str, or a one-line
    error naming ``owner`` for numbers (a model that cast its strings to float32 would give them)."""
    values = np.asarray(values)
    if values.dtype.kind == "U":
        return values
    if values.dtype.kind == "S":
        return np.char.decode(values, encoding)
    if values.dtype.kind == "O":
        flat = values.reshape(-1).tolist()
        if all(isinstance(v, str) for v in flat):
            return values.astype(str) if values.size else values.astype("U1")
        if all(isinstance(v, (str, bytes)) for v in flat):
            return np.array([v.decode(encoding) if isinstance(v, bytes) else v for v in flat],
                            dtype=str).reshape(values.shape)
        kinds = sorted({type(v).__name__ for v in flat if not isinstance(v, (str, bytes))})
        raise ValueError(f"{owner} takes strings, got {', '.join(kinds)} among them")
    raise ValueError(f"{owner} takes strings, got an array of {values.dtype}")
