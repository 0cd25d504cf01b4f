"""IndexLookup: a vocabulary, and each token replaced by its number in it (Keras 3's base of
StringLookup, IntegerLookup and TextVectorization).

A vocabulary is a list of tokens; a token's index is its place in the list, after the
special entries at the front::

    index 0                     the mask token (padding), if mask_token is set and the output is "int"
    next num_oov_indices        out-of-vocabulary (OOV): every token not in the list
    then                        the tokens, most frequent first

``adapt(data)`` counts the tokens of ``data`` and keeps them sorted by count, ties broken by
the token itself, *larger first* (Keras's ``np.lexsort((tokens, counts))[::-1]``), at most
``max_tokens`` entries in all. ``vocabulary=`` or ``set_vocabulary`` gives the list instead.

The output (``output_mode``) is the indices themselves (``"int"``, int64), or one vector of
vocabulary size per sample (see :mod:`glassnet.engine.layers.token_counts`). ``invert=True``
turns indices back into tokens.

With several OOV indices a token outside the vocabulary goes to one of them by a hash of
the token: for integers ``token mod num_oov_indices`` (Keras's ``floormod``); for strings (and
integers with ``oov_method="farmhash"``) TensorFlow's FarmHash, or SipHash with a ``salt``
(:mod:`glassnet.engine.layers.hashing`).

The lookup runs on the batch's distinct tokens only (``np.unique``), one dictionary read each,
and their indices are spread back over the batch in one indexing step.

These layers have no weights and no gradient (a token is not a quantity): backward gives None.
The vocabulary travels with a saved model as an asset (``assets/<layer>/vocabulary``), as in
Keras's ``.keras`` files, unless it was given in the config (``vocabulary=``).
"""

import collections

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.hashing import checked_salt, hash_buckets
from glassnet.engine.layers.token_counts import encode, inverse_document_frequency

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def _mode(output_mode, owner):
    """Keras's output mode, its old names ("binary", "tf-idf") read as the new ones."""
    output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
    if output_mode not in OUTPUT_MODES:
        raise ValueError(f"{owner}: output_mode must be one of {', '.join(map(repr, OUTPUT_MODES))}, "
                         f"got {output_mode!r}")
    return output_mode


class IndexLookup(Layer):
    """The vocabulary and the lookup; see the module docstring. Use StringLookup or IntegerLookup."""

    abstract = True                # (the gradient-check catalogue checks its two kinds)
    input_has_gradient = False     # token ids are not learned: backward gives no gradient
    hashes_strings = True          # IntegerLookup: False (its OOV tokens go by floormod)

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, vocabulary_size=None, has_input_vocabulary=None, **kwargs):
        owner = type(self).__name__
        output_mode = _mode(output_mode, owner)
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"{owner}: if set, max_tokens must be greater than 1, got {max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{owner}: pad_to_max_tokens=True needs max_tokens")
        if num_oov_indices < 0:
            raise ValueError(f"{owner}: num_oov_indices must be 0 or more, got {num_oov_indices}")
        if invert and output_mode != "int":
            raise ValueError(f"{owner}: invert=True needs output_mode='int', got {output_mode!r}")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{owner}: idf_weights is only for output_mode='tf_idf'")
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError(f"{owner}: with vocabulary= and output_mode='tf_idf', give idf_weights= too")
        if sparse:
            raise NotImplementedError(f"{owner}: sparse=True (sparse tensors) is not supported by glassnet; "
                                      f"its outputs are dense NumPy arrays")
        salt = self._checked_hashing(oov_method, salt, owner)
        super().__init__(**kwargs)
        self.max_tokens, self.num_oov_indices = max_tokens, int(num_oov_indices)
        self.mask_token, self.oov_token = mask_token, oov_token
        self.output_mode, self.invert, self.sparse = output_mode, bool(invert), False
        self.pad_to_max_tokens, self.oov_method, self.salt = bool(pad_to_max_tokens), oov_method, salt
        # vocabulary= is kept for get_config (Keras's input_vocabulary); a file's path is read, not kept
        self.input_vocabulary = None if isinstance(vocabulary, str) else _listed(vocabulary)
        self.input_idf_weights = _listed(idf_weights)
        self.has_input_vocabulary = vocabulary is not None if has_input_vocabulary is None else has_input_vocabulary
        self.frozen_size = vocabulary_size      # the output width the layer was called with
        self.tokens, self.table, self.idf = [], {}, None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    def _checked_hashing(self, oov_method, salt, owner):
        """Keras's rules for how OOV tokens spread over several OOV indices."""
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"{owner}: oov_method must be 'floormod' or 'farmhash', got {oov_method!r}")
        if salt is not None and not self.hashes_strings and oov_method != "farmhash":
            raise ValueError(f"{owner}: salt can only be used with oov_method='farmhash'")
        return checked_salt(salt, owner)

    # -- the vocabulary ------------------------------------------------------------------------
    @property
    def oov_start(self):
        """The first OOV index: 1 after a mask token (only in "int" output), else 0."""
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    @property
    def token_start(self):
        """The index of the first real token."""
        return self.oov_start + self.num_oov_indices

    def get_vocabulary(self, include_special_tokens=True):
        """The tokens in index order: ``[mask,] [OOV] * num_oov_indices, tokens...`` (the
        special ones left out with ``include_special_tokens=False``)."""
        special = [self.mask_token] * self.oov_start + [self.oov_token] * self.num_oov_indices
        return (special if include_special_tokens else []) + list(self.tokens)

    def vocabulary_size(self):
        """How many indices the layer gives: special entries and tokens."""
        return self.token_start + len(self.tokens)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Use ``vocabulary`` (a list or 1-D array of tokens, or the path of a text file with one
        token a line), with or without the special tokens at its front; ``idf_weights`` (one
        per token) for ``output_mode="tf_idf"``, as Keras takes them."""
        owner = f"{type(self).__name__} '{self._display_name}'"
        if (self.output_mode == "tf_idf") != (idf_weights is not None):
            raise ValueError(f"{owner}: idf_weights must be given with output_mode='tf_idf', and only then")
        if isinstance(vocabulary, str):
            if self.output_mode == "tf_idf":
                raise ValueError(f"{owner}: output_mode='tf_idf' can't read its vocabulary from a file")
            with open(vocabulary, encoding="utf-8") as f:
                vocabulary = f.read().splitlines()
        vocabulary = [self._token(t) for t in np.asarray(vocabulary, dtype=object).reshape(-1).tolist()]
        if not vocabulary:
            raise ValueError(f"{owner}: can't set an empty vocabulary")
        special = self.get_vocabulary()[:self.token_start]
        found_special = vocabulary[:self.token_start] == special
        tokens = vocabulary[self.token_start:] if found_special else vocabulary
        self._check_tokens(tokens, special, owner)
        self._install(tokens)
        if idf_weights is not None:
            idf = np.asarray(idf_weights, np.float64).reshape(-1)
            if len(idf) != len(vocabulary):
                raise ValueError(f"{owner}: {len(idf)} idf_weights for {len(vocabulary)} tokens")
            front = 0 if found_special else self.token_start      # the special tokens get the mean, as in Keras
            self._set_idf(idf.astype(self.dtype), front)

    def _install(self, tokens):
        """Use ``tokens`` (the special ones left out) as the vocabulary. A count output's width
        is the vocabulary's size, which the layers after it are built for: as in Keras, it
        can't change once set (unless pad_to_max_tokens fixes the width)."""
        size = self.token_start + len(tokens)
        if self.output_mode != "int" and not self.pad_to_max_tokens and self.frozen_size not in (None, size):
            raise RuntimeError(f"layer '{self._display_name}': with output_mode={self.output_mode!r} and "
                               f"pad_to_max_tokens=False the vocabulary's size can't change once set (it was "
                               f"{self.frozen_size}, now {size}); set pad_to_max_tokens=True with max_tokens, "
                               f"or make a new layer")
        self.tokens = list(tokens)
        self.table = {token: i for i, token in enumerate(self.tokens, self.token_start)}
        self.frozen_size = size

    def _check_tokens(self, tokens, special, owner):
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(f"{owner}: the vocabulary repeats {repeated}; give each token once")
        reserved = [t for t in (self.mask_token, self.oov_token if self.invert else None) if t is not None]
        if any(t in tokens for t in reserved):
            raise ValueError(f"{owner}: the vocabulary holds a special token (mask {self.mask_token!r} or OOV "
                             f"{self.oov_token!r}) among its tokens; leave them out, or put them only at the "
                             f"front, in this order: {special}")
        if self.max_tokens is not None and self.token_start + len(tokens) > self.max_tokens:
            raise ValueError(f"{owner}: a vocabulary of {self.token_start + len(tokens)} entries is larger than "
                             f"max_tokens={self.max_tokens}")

    def _set_idf(self, idf, front):
        """The idf weights (float32), ``front`` entries of their mean before them (the special
        tokens), and zeros after them up to ``max_tokens`` with pad_to_max_tokens."""
        back = self.max_tokens - front - len(idf) if self.pad_to_max_tokens else 0
        self.idf = np.concatenate([np.full(front, np.mean(idf), idf.dtype), idf, np.zeros(max(back, 0), idf.dtype)])

    # -- adapt -------------------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary from ``data``: an array or list of tokens (each row one document,
        for tf_idf's document counts), or an iterable of such batches."""
        self.learn(batches(data, steps), self.tokenize_rows, self._display_name)

    def learn(self, data, tokenize, owner):
        """adapt's work on ``data`` (batches), each made ``(rows, tokens, n_rows)`` by ``tokenize``;
        ``owner``: the layer adapt was called on, for messages."""
        if self.has_input_vocabulary:
            raise ValueError(f"can't adapt layer '{owner}': its vocabulary was given "
                             f"(vocabulary= or set_vocabulary)")
        counter, documents, n_documents = collections.Counter(), collections.Counter(), 0
        for batch in data:
            rows, tokens, n_rows = tokenize(batch)
            self._count(rows, tokens, counter, documents)
            n_documents += n_rows
        self._finish(counter, documents, n_documents)

    def tokenize_rows(self, batch):
        """A batch as ``(rows, tokens, n_rows)``: each token (a 1-D list) and the row it is in.
        1-D data is one token per row (Keras: each entry its own document)."""
        batch = self.as_tokens(batch)
        batch = batch.reshape(-1, 1) if batch.ndim < 2 else batch.reshape(len(batch), -1)
        rows = np.repeat(np.arange(len(batch)), batch.shape[1])
        return rows, batch.reshape(-1), len(batch)

    def _count(self, rows, tokens, counter, documents):
        """Add each token's count to ``counter``, and for tf_idf each token's number of rows
        (documents) that hold it to ``documents``: distinct ``(row, token)`` pairs, counted."""
        if len(tokens) == 0:
            return
        distinct, codes, how_many = np.unique(self.as_tokens(tokens), return_inverse=True,
                                              return_counts=True)
        distinct = distinct.tolist()
        counter.update(dict(zip(distinct, how_many.tolist())))
        if self.output_mode == "tf_idf":
            pairs = np.unique(np.asarray(rows, np.int64) * len(distinct) + codes.reshape(-1))
            in_documents = np.bincount(pairs % len(distinct), minlength=len(distinct))
            documents.update(dict(zip(distinct, in_documents.tolist())))

    def _finish(self, counter, documents, n_documents):
        """The vocabulary from the counts: the special tokens taken out, then by count, ties
        by token, larger first; at most max_tokens entries."""
        for special in (self.mask_token, self.oov_token):
            counter.pop(special, None)
        tokens = sorted(counter, key=lambda t: (counter[t], t), reverse=True)
        if self.max_tokens:
            tokens = tokens[:max(self.max_tokens - self.token_start, 0)]
        self._install(tokens)
        if self.output_mode == "tf_idf":
            idf = inverse_document_frequency([documents[t] for t in tokens], n_documents).astype(self.dtype)
            self._set_idf(idf, self.token_start)

    # -- the lookup --------------------------------------------------------------------------
    def _token(self, value):
        """One token as the vocabulary keeps it (a str for StringLookup, an int for IntegerLookup)."""
        raise NotImplementedError

    def as_tokens(self, values):
        """``values`` as an array that np.unique sorts quickly (str or int64), or a one-line error."""
        raise NotImplementedError

    def lookup(self, tokens):
        """The index of each token of ``tokens`` (any shape): int64, same shape."""
        tokens = self.as_tokens(tokens)
        if tokens.size == 0:
            return np.zeros(tokens.shape, np.int64)
        distinct, codes = np.unique(tokens.reshape(-1), return_inverse=True)
        keys = [self._token(t) for t in distinct.tolist()]
        index = np.array([self.table.get(k, -1) for k in keys], np.int64)
        masked = np.array([k == self.mask_token for k in keys], bool) if self.mask_token is not None else None
        outside = (index < 0) if masked is None else (index < 0) & ~masked
        if outside.any():
            index[outside] = self._oov_indices([k for k, o in zip(keys, outside) if o])
        if masked is not None:     # padding: 0 in "int" output, dropped from counts otherwise
            index[masked] = 0 if self.output_mode == "int" else -1
        return index[np.asarray(codes, np.intp).reshape(-1)].reshape(tokens.shape)

    def _oov_indices(self, keys):
        """Where tokens outside the vocabulary go: the one OOV index, or by floormod."""
        if self.num_oov_indices == 0:
            raise ValueError(f"layer '{self._display_name}': with num_oov_indices=0 all inputs must be in the "
                             f"vocabulary; found {keys[:5]}; consider num_oov_indices=1")
        if self.num_oov_indices == 1:
            return self.oov_start
        if not self.hashes_strings and self.oov_method == "floormod":
            return np.asarray(keys, np.int64) % self.num_oov_indices + self.oov_start
        return hash_buckets(keys, self.num_oov_indices, self.salt) + self.oov_start

    def invert_lookup(self, indices):
        """The token at each index (the OOV token for an index past the vocabulary)."""
        indices = self._indices(indices)
        vocabulary = self.get_vocabulary()
        table = np.array(vocabulary + [self.oov_token], dtype=self.vocabulary_numpy_dtype)
        inside = (indices >= 0) & (indices < len(vocabulary))
        return table[np.where(inside, indices, len(vocabulary))]

    def _indices(self, indices):
        indices = np.asarray(indices)
        if indices.dtype.kind not in "iuf" or (indices.dtype.kind == "f" and (indices != np.round(indices)).any()):
            raise ValueError(f"layer '{self._display_name}' (invert=True) takes whole-number indices, "
                             f"got {indices.dtype}")
        return indices.astype(np.int64)

    @property
    def depth(self):
        """The width of a one_hot / multi_hot / count / tf_idf output."""
        return self.max_tokens if self.pad_to_max_tokens else self.frozen_size

    def encode_indices(self, indices):
        """Indices in the layer's output_mode: themselves ("int") or their counts."""
        if self.output_mode == "int":
            return indices
        if self.depth is None:
            raise RuntimeError(f"layer '{self._display_name}': output_mode={self.output_mode!r} needs the "
                               f"vocabulary before the layer is called: pass vocabulary= or call adapt")
        return encode(indices, self.depth, self.output_mode, self.idf, dtype=self.dtype)

    def forward(self, x, training=False):
        if self.invert:
            return self.invert_lookup(x)
        return self.encode_indices(self.lookup(x))

    def backward(self, dy):
        return None

    def output_shape(self, input_shape):
        """Keras's shapes (batch axis included here as None): int: unchanged; one_hot: a depth
        axis added (replacing a last axis of 1); the others: the last axis becomes depth."""
        if self.output_mode == "int":
            return tuple(input_shape)
        full = (None,) + tuple(input_shape)
        if self.output_mode == "one_hot":
            full = full[:-1] if len(full) > 1 and full[-1] == 1 else full
            return full[1:] + (self.depth,)
        return (full[:-1] + (self.depth,))[1:]

    # -- the vocabulary in saved files ------------------------------------------------------------
    def own_assets(self):
        """What a saved model keeps beside the weights, as Keras keeps it: the vocabulary as
        ``vocabulary.txt`` (UTF-8, one token a line; not when the config holds it) and
        tf_idf's ``idf_weights``."""
        assets = {}
        if self.input_vocabulary is None:
            assets["vocabulary.txt"] = "\n".join(str(t) for t in self.get_vocabulary()).encode("utf-8")
        if self.output_mode == "tf_idf" and self.idf is not None:
            assets["idf_weights"] = self.idf
        return assets

    def load_own_assets(self, assets):
        """Read back what :meth:`own_assets` gave (Keras's load_assets: its lines, trailing
        empty ones dropped)."""
        if "idf_weights" in assets:
            self.idf = np.asarray(assets["idf_weights"], self.dtype)
        if self.input_vocabulary is None and "vocabulary.txt" in assets:
            lines = bytes(assets["vocabulary.txt"]).decode("utf-8").splitlines()
            while lines and lines[-1] == "":
                lines.pop()
            vocabulary = [self._token(line) for line in lines]
            special = self.get_vocabulary()[:self.token_start]
            self._install(vocabulary[self.token_start:] if vocabulary[:self.token_start] == special else vocabulary)

    def get_config(self):
        config = super().get_config()
        config.update({"invert": self.invert, "max_tokens": self.max_tokens, "num_oov_indices": self.num_oov_indices,
                       "oov_token": self.oov_token, "mask_token": self.mask_token, "output_mode": self.output_mode,
                       "sparse": False, "pad_to_max_tokens": self.pad_to_max_tokens,
                       "idf_weights": self.input_idf_weights, "vocabulary": self.input_vocabulary,
                       "vocabulary_size": self.frozen_size, "oov_method": self.oov_method, "salt": self.salt})
        return config


def _listed(values):
    """A vocabulary or weights as a plain list (for get_config), or None."""
    if values is None:
        return None
    return np.asarray(values).tolist() if not isinstance(values, list) else list(values)


def batches(data, steps):
    """``data`` as batches: one, for an array or a list; each item, for another iterable."""
    if isinstance(data, (list, tuple, np.ndarray, str)) or hasattr(data, "__array__"):
        if steps is not None:
            raise ValueError("adapt: steps= is for an iterable of batches, not for an array or a list")
        return [data]
    if not hasattr(data, "__iter__"):
        raise TypeError(f"adapt: expected an array, a list or an iterable of batches, got {type(data).__name__}")
    batches = iter(data)
    return batches if steps is None else (batch for _, batch in zip(range(steps), batches))
