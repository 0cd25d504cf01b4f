"""TextVectorization: sentences to word numbers (or word counts), the first layer of a text model.

Each string goes through four steps, as in Keras 3::

    "The cat sat."  --standardize-->  "the cat sat"          lower case (ASCII letters, as
                                                             TensorFlow's), punctuation removed
                    --split------->   ["the", "cat", "sat"]  at runs of ASCII whitespace
                    --ngrams------->  (optionally) "the cat", "cat sat", ... added
                    --lookup------>   [2, 4, 7]              indices into the vocabulary

The vocabulary is learned with ``adapt(texts)`` (most frequent first; see
:mod:`glassnet.engine.layers.index_lookup`) and always starts with ``""`` (index 0, padding)
and ``"[UNK]"`` (index 1, any word not in it). ``output_mode="int"`` gives each string's word
numbers, padded with 0 (or cut) to ``output_sequence_length`` (else to the batch's longest);
``"multi_hot"``, ``"count"`` and ``"tf_idf"`` give one vector of vocabulary size per string.

A model that starts with it takes strings::

    vectorize = TextVectorization(max_tokens=10000, output_sequence_length=250)
    vectorize.adapt(train_texts)                         # a NumPy array or list of str
    model = Sequential([Input(shape=(1,), dtype="string"), vectorize,
                        Embedding(10000, 16), GlobalAveragePooling1D(), Dense(1)])

The string steps run per string in Python (``re``); the lookup and the padding or counting
run on the whole batch at once (:func:`glassnet.engine.layers.token_counts.counts`).
"""

import re

import numpy as np

from glassnet.engine.configurable import function_config, function_from_config
from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.index_lookup import batches
from glassnet.engine.layers.string_lookup import StringLookup, as_strings
from glassnet.engine.layers.token_counts import counts

# Keras's punctuation (TensorFlow's regex_replace of it with ""), ASCII whitespace (tf.strings.split's)
PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
WORD = re.compile(r"[^\t\n\v\f\r ]+")
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT = ("whitespace", "character")


def _choice(value, allowed, what):
    if value is None or callable(value) or value in allowed:
        return value
    raise ValueError(f"TextVectorization: {what} must be one of {', '.join(map(repr, allowed))}, None or a "
                     f"function, got {value!r}")


def _ngram_widths(ngrams):
    """Keras's ``ngrams``: None, n (widths 1..n) or a tuple of widths."""
    if ngrams is None:
        return None
    if isinstance(ngrams, int) and not isinstance(ngrams, bool):
        return tuple(range(1, ngrams + 1))
    if isinstance(ngrams, (tuple, list)) and all(isinstance(n, int) for n in ngrams):
        return tuple(ngrams)
    raise ValueError(f"TextVectorization: ngrams must be None, an integer or a tuple of integers, got {ngrams!r}")


def ngrams_of(tokens, widths):
    """Every run of ``width`` tokens joined by a space, for each width in order (TensorFlow's
    ``strings.ngrams``): ``["a", "b", "c"], (1, 2) -> ["a", "b", "c", "a b", "b c"]``."""
    return [" ".join(tokens[i:i + w]) for w in widths for i in range(len(tokens) - w + 1)]


class TextVectorization(Layer):
    """Strings to word indices or word counts (see the module docstring).

    Args:
        max_tokens: the largest vocabulary, "" and "[UNK]" included; None: every word seen.
        standardize: "lower_and_strip_punctuation" (default), "lower", "strip_punctuation", None,
            or a function from a NumPy array of str to one of the same shape.
        split: "whitespace" (default), "character", None (each string is one token), or a
            function from a 1-D NumPy array of str to one list of tokens per string.
        ngrams: None, n (1- to n-grams) or a tuple of widths.
        output_mode: "int" (default), "multi_hot", "count" or "tf_idf".
        output_sequence_length: "int" output padded or cut to this length.
        pad_to_max_tokens: count outputs max_tokens wide, whatever the vocabulary's size.
        vocabulary, idf_weights: a vocabulary (and tf_idf's weights) instead of adapt.

    Input: ``(N,)`` or ``(N, 1)`` strings. Output: ``(N, L)`` int64 word indices, or
    ``(N, vocabulary size)`` float32 counts.
    """

    input_has_gradient = False
    input_dtype = "string"        # a model that starts with it takes strings, as they are

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", vocabulary_size=None,
                 has_input_vocabulary=None, **kwargs):
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if output_mode not in ("int", "multi_hot", "count", "tf_idf", "one_hot"):
            raise ValueError(f"TextVectorization: output_mode must be 'int', 'multi_hot', 'count', 'tf_idf' or "
                             f"'one_hot', got {output_mode!r}")
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError("TextVectorization: output_sequence_length is only for output_mode='int'")
        if output_sequence_length is not None and (not isinstance(output_sequence_length, int)
                                                   or output_sequence_length < 1):
            raise ValueError(f"TextVectorization: output_sequence_length must be a positive integer or None, "
                             f"got {output_sequence_length!r}")
        if ragged:
            raise NotImplementedError("TextVectorization: ragged=True (ragged tensors) is not supported by "
                                      "glassnet; set output_sequence_length to pad every string's tokens")
        self.standardize = _choice(standardize, STANDARDIZE, "standardize")
        self.split = _choice(split, SPLIT, "split")
        self.ngrams, self.widths = ngrams, _ngram_widths(ngrams)
        if self.widths is not None and split is None:
            raise NotImplementedError("TextVectorization: ngrams with split=None is not supported by glassnet")
        if output_mode == "one_hot" and split is not None:      # Keras gives a ragged tensor of one-hots
            raise NotImplementedError("TextVectorization: output_mode='one_hot' after a split (a ragged result "
                                      "in Keras) is not supported by glassnet; use 'multi_hot' or 'count', or "
                                      "split=None")
        super().__init__(**kwargs)
        self.output_mode, self.output_sequence_length, self.encoding = output_mode, output_sequence_length, encoding
        self.lookup_layer = StringLookup(max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
                                         pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
                                         sparse=sparse, encoding=encoding, vocabulary_size=vocabulary_size,
                                         has_input_vocabulary=has_input_vocabulary)    # "string_lookup_1", as in Keras

    # -- the vocabulary: the lookup layer's -------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary from ``data``: an array or list of strings, or an iterable of batches."""
        self.lookup_layer.learn(batches(data, steps), self.tokenize_rows, self._display_name)

    def get_vocabulary(self, include_special_tokens=True):
        return self.lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self.lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self.lookup_layer.set_vocabulary(vocabulary, idf_weights)

    def own_assets(self):
        return self.lookup_layer.own_assets()

    def load_own_assets(self, assets):
        self.lookup_layer.load_own_assets(assets)

    # -- strings to tokens ----------------------------------------------------------------
    def standardized(self, texts):
        """``texts`` (an array of str) after ``standardize``."""
        owner = f"layer '{self._display_name}' (TextVectorization)"
        if callable(self.standardize):
            return as_strings(self.standardize(texts), self.encoding, f"{owner}: standardize's result")
        if self.standardize is None:
            return texts
        flat = texts.reshape(-1).tolist()
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            flat = [text.translate(ASCII_LOWER) for text in flat]
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            flat = [PUNCTUATION.sub("", text) for text in flat]
        return np.array(flat, dtype=str).reshape(texts.shape) if flat else texts

    def token_lists(self, texts):
        """One list of tokens per string of the 1-D ``texts``: split, then ngrams."""
        if callable(self.split):
            lists = [[str(t) for t in tokens] for tokens in self.split(texts)]
        elif self.split == "character":
            lists = [list(text) for text in texts.tolist()]
        else:
            lists = [WORD.findall(text) for text in texts.tolist()]
        return lists if self.widths is None else [ngrams_of(tokens, self.widths) for tokens in lists]

    def _strings(self, inputs):
        """The inputs standardized, squeezed to ``(N,)`` when they are to be split."""
        texts = self.standardized(as_strings(inputs, self.encoding, f"layer '{self._display_name}' "
                                                                   f"(TextVectorization)"))
        if self.split is None:
            return texts
        if texts.ndim == 2 and texts.shape[1] == 1:
            texts = texts[:, 0]
        if texts.ndim != 1:
            raise ValueError(f"layer '{self._display_name}' (TextVectorization): to split strings it takes "
                             f"shape (N,) or (N, 1), got {texts.shape}")
        return texts

    def tokenize_rows(self, batch):
        """A batch as ``(rows, tokens, n_rows)``: every token, and the string it came from."""
        texts = self._strings(batch)
        if self.split is None:
            texts = texts.reshape(-1, 1) if texts.ndim < 2 else texts.reshape(len(texts), -1)
            return np.repeat(np.arange(len(texts)), texts.shape[1]), texts.reshape(-1), len(texts)
        lists = self.token_lists(texts)
        rows = np.repeat(np.arange(len(lists)), [len(tokens) for tokens in lists])
        return rows, np.array([t for tokens in lists for t in tokens], dtype=str), len(lists)

    # -- the layer ------------------------------------------------------------------------------
    def forward(self, x, training=False):
        lookup = self.lookup_layer
        if self.split is None:
            texts = self._strings(x)
            if self.output_mode == "int":
                return self._fit_length(lookup.lookup(texts))
            return lookup.encode_indices(lookup.lookup(texts if texts.ndim > 1 else texts.reshape(-1, 1)))
        rows, tokens, n_rows = self.tokenize_rows(x)
        ids = lookup.lookup(tokens)
        if self.output_mode != "int":
            out = counts(rows, ids, n_rows, lookup.depth, "count" if self.output_mode == "tf_idf" else
                         self.output_mode, self.dtype)
            return out * lookup.idf if self.output_mode == "tf_idf" else out
        return self._padded(rows, ids, n_rows)

    def _padded(self, rows, ids, n_rows):
        """The word indices of each string, one row each, padded with 0 (or cut) to
        output_sequence_length (else to the longest): ``(N, L)`` int64."""
        lengths = np.bincount(rows, minlength=n_rows)
        width = self.output_sequence_length or int(lengths.max(initial=0))
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if n_rows else lengths
        positions = np.arange(len(ids)) - np.repeat(starts, lengths)     # each token's place in its string
        keep = positions < width
        out = np.zeros((n_rows, width), np.int64)
        out[rows[keep], positions[keep]] = ids[keep]
        return out

    def _fit_length(self, ids):
        """Unsplit "int" output: the last axis cut or padded with 0 to output_sequence_length."""
        length = self.output_sequence_length
        if length is None:
            return ids
        ids = ids[..., :length]
        pad = [(0, 0)] * (ids.ndim - 1) + [(0, length - ids.shape[-1])]
        return np.pad(ids, pad)

    def backward(self, dy):
        return None

    def output_shape(self, input_shape):
        if self.output_mode == "int":
            return (self.output_sequence_length,)
        return (self.lookup_layer.depth,)

    def get_config(self):
        lookup = self.lookup_layer
        return {**super().get_config(), "max_tokens": lookup.max_tokens, "standardize": _setting(self.standardize),
                "split": _setting(self.split), "ngrams": self.ngrams, "output_mode": self.output_mode,
                "output_sequence_length": self.output_sequence_length, "pad_to_max_tokens": lookup.pad_to_max_tokens,
                "sparse": False, "ragged": False, "vocabulary": lookup.input_vocabulary,
                "idf_weights": lookup.input_idf_weights, "encoding": self.encoding,
                "vocabulary_size": self.vocabulary_size()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        for key in ("standardize", "split"):        # a function of the program's own, by its name
            if isinstance(config.get(key), dict):
                config[key] = function_from_config(config[key], f"TextVectorization's {key}")
        return cls(**config)


def _setting(value):
    """standardize or split for a config: its name, or a function's as a file names it
    (``{"function": "Custom>custom_standardization"}``: register it, or give it in
    custom_objects, to load the file)."""
    return function_config(value) if callable(value) else value
