"""Words to numbers, Keras 2's way (``keras.preprocessing.text``), before the model sees them.

TensorFlow's NLP course and the tf.keras 2 text tutorials turn sentences into lists of word
numbers with a :class:`Tokenizer`, then pad them and feed them to an Embedding::

    tokenizer = Tokenizer(num_words=10000, oov_token="<OOV>")
    tokenizer.fit_on_texts(training_sentences)
    sequences = tokenizer.texts_to_sequences(training_sentences)
    padded = pad_sequences(sequences, maxlen=120, truncating="post")

Keras 3 dropped this module (its TextVectorization layer works inside the model, on string
tensors, which glassnet doesn't have); these are Keras 2's functions with Keras 2's results:
words are split on spaces after the punctuation in ``filters`` is removed and the text is
lowercased, and numbered from 1 by how often they occur (the most frequent first, ties in
the order first seen), after ``oov_token`` (1, when given) for the words it doesn't know.
"""

import json
from collections import OrderedDict, defaultdict

import numpy as np

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(input_text, filters=FILTERS, lower=True, split=" "):
    """``"Hello, world!"`` -> ``["hello", "world"]``: punctuation out, lowercased, split."""
    if lower:
        input_text = input_text.lower()
    words = input_text.translate(str.maketrans({c: split for c in filters})).split(split)
    return [word for word in words if word]


def hashing_trick(text, n, hash_function=None, filters=FILTERS, lower=True, split=" "):
    """Each word of ``text`` as a number in ``[1, n)`` from its hash (Keras 2: Python's
    ``hash`` by default, which changes from run to run; ``"md5"`` doesn't)."""
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        import hashlib

        def hash_function(word):
            return int(hashlib.md5(word.encode()).hexdigest(), 16)
    return [hash_function(word) % (n - 1) + 1 for word in text_to_word_sequence(text, filters, lower, split)]


def one_hot(input_text, n, filters=FILTERS, lower=True, split=" ", analyzer=None):
    """Keras 2's ``one_hot``: despite its name, :func:`hashing_trick` with Python's hash."""
    return hashing_trick(input_text, n, hash_function=hash, filters=filters, lower=lower, split=split)


class Tokenizer:
    """Keras 2's text tokenizer: a vocabulary from :meth:`fit_on_texts`, then texts as word
    numbers (:meth:`texts_to_sequences`) or as one row of counts per text (:meth:`texts_to_matrix`).

    Args:
        num_words: keep only the ``num_words - 1`` most frequent words when numbering texts
            (the vocabulary itself, ``word_index``, keeps every word, as in Keras).
        filters: characters taken out of the texts; ``lower``: lowercase them first;
        split: what separates words; ``char_level``: every character is a "word".
        oov_token: given, it is word 1 and stands for every word not kept.
    """

    def __init__(self, num_words=None, filters=FILTERS, lower=True, split=" ", char_level=False, oov_token=None,
                 analyzer=None, document_count=0, **kwargs):
        if kwargs:
            raise TypeError(f"Tokenizer: unknown argument(s) {', '.join(sorted(kwargs))}")
        self.num_words, self.filters, self.lower, self.split = num_words, filters, lower, split
        self.char_level, self.oov_token, self.analyzer = char_level, oov_token, analyzer
        self.document_count = document_count
        self.word_counts = OrderedDict()
        self.word_docs = defaultdict(int)
        self.word_index, self.index_word, self.index_docs = {}, {}, defaultdict(int)

    def _words(self, text):
        if self.char_level or isinstance(text, list):
            return [t.lower() for t in text] if self.lower else list(text)
        if self.analyzer is not None:
            return self.analyzer(text)
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts):
        """Count the words of ``texts`` and number them, the most frequent first."""
        for text in texts:
            self.document_count += 1
            words = self._words(text)
            for word in words:
                self.word_counts[word] = self.word_counts.get(word, 0) + 1
            for word in set(words):
                self.word_docs[word] += 1
        by_count = sorted(self.word_counts, key=self.word_counts.get, reverse=True)   # stable: ties as seen
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + by_count
        self.word_index = dict(zip(vocabulary, range(1, len(vocabulary) + 1)))
        self.index_word = {number: word for word, number in self.word_index.items()}
        self.index_docs = defaultdict(int, {self.word_index[w]: c for w, c in self.word_docs.items()})

    def _kept(self, number):
        """The number a word keeps: itself, the OOV token's beyond ``num_words``, or None."""
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        if number is None or (self.num_words and number >= self.num_words):
            return oov
        return number

    def texts_to_sequences(self, texts):
        """Each text as a list of word numbers (unknown words left out, or the OOV token's)."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        for text in texts:
            numbers = (self._kept(self.word_index.get(word)) for word in self._words(text))
            yield [number for number in numbers if number is not None]

    def sequences_to_texts(self, sequences):
        """Word numbers back to text, words joined by spaces."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        for sequence in sequences:
            numbers = (self._kept(int(n)) if int(n) in self.index_word else self._kept(None) for n in sequence)
            yield " ".join(self.index_word[n] for n in numbers if n is not None)

    def texts_to_matrix(self, texts, mode="binary"):
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """One row per sequence, one column per word number: ``"binary"`` (present or not),
        ``"count"``, ``"freq"`` (count / length) or ``"tfidf"``, as Keras 2 computes them."""
        if mode not in ("binary", "count", "freq", "tfidf"):
            raise ValueError(f"Tokenizer: mode must be binary, count, freq or tfidf, got {mode!r}")
        num_words = self.num_words or (len(self.word_index) + 1 if self.word_index else None)
        if num_words is None:
            raise ValueError("Tokenizer: fit it on texts (or give num_words) before making a matrix")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Tokenizer: tfidf needs the document counts of fit_on_texts")
        x = np.zeros((len(sequences), num_words))
        for row, sequence in enumerate(sequences):
            numbers, counts = np.unique([n for n in sequence if n < num_words], return_counts=True)
            if mode == "binary":
                x[row, numbers] = 1
            elif mode == "count":
                x[row, numbers] = counts
            elif mode == "freq":
                x[row, numbers] = counts / len(sequence)
            else:
                docs = np.array([self.index_docs.get(int(n), 0) for n in numbers])
                x[row, numbers] = (1 + np.log(counts)) * np.log(1 + self.document_count / (1 + docs))
        return x

    def get_config(self):
        """Keras 2's config (its dictionaries as JSON strings), for :meth:`to_json`."""
        return {"num_words": self.num_words, "filters": self.filters, "lower": self.lower, "split": self.split,
                "char_level": self.char_level, "oov_token": self.oov_token,
                "document_count": self.document_count, "word_counts": json.dumps(self.word_counts),
                "word_docs": json.dumps(self.word_docs), "index_docs": json.dumps(self.index_docs),
                "index_word": json.dumps(self.index_word), "word_index": json.dumps(self.word_index)}

    def to_json(self, **kwargs):
        """The tokenizer as JSON, read back by :func:`tokenizer_from_json`."""
        return json.dumps({"class_name": "Tokenizer", "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string):
    """The :class:`Tokenizer` that :meth:`Tokenizer.to_json` wrote (Keras 2's format)."""
    config = dict(json.loads(json_string).get("config", {}))
    tables = {key: json.loads(config.pop(key)) for key in ("word_counts", "word_docs", "index_docs",
                                                             "index_word", "word_index")}
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = OrderedDict(tables["word_counts"])
    tokenizer.word_docs = defaultdict(int, tables["word_docs"])
    tokenizer.index_docs = defaultdict(int, {int(k): v for k, v in tables["index_docs"].items()})
    tokenizer.index_word = {int(k): v for k, v in tables["index_word"].items()}
    tokenizer.word_index = tables["word_index"]
    return tokenizer
