"""IMDB movie reviews, positive or negative, as ``keras.datasets.imdb``.

The text classification of Chollet's *Deep Learning with Python* and of Keras's examples::

    from glassnet.datasets import imdb
    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=10000)

Each review is a list of word numbers: a word's number is its rank by how often it occurs
(1 the commonest), plus ``index_from``, and every review starts with ``start_char``. The
same arguments give exactly Keras's arrays: the same shuffle (seed 113), the same cuts.
The file ``imdb.npz`` is found or downloaded as :mod:`glassnet.datasets.keras_files` says;
its object arrays are pickles, read by :mod:`glassnet.datasets.safe_pickle`.
"""

import numpy as np

from glassnet.datasets import keras_files as kf
from glassnet.datasets.safe_pickle import load_npz

FILE, SHA256 = "imdb.npz", "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX, WORD_INDEX_MD5 = "imdb_word_index.json", "bfafd718b763782e994055a2d397834f"


def load_data(path=FILE, num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, allow_download=True):
    """``((x_train, y_train), (x_test, y_test))``: 25,000 reviews each, as Keras gives them.

    ``x_*`` are object arrays of lists of word numbers, ``y_*`` int arrays of 0 (negative)
    and 1 (positive).

    Args:
        path: ``imdb.npz`` (found or downloaded), or a file or a folder holding it.
        num_words: keep the ``num_words`` commonest words; the others become ``oov_char``.
        skip_top: the commonest ``skip_top`` words become ``oov_char`` too.
        maxlen: leave out reviews of ``maxlen`` words or more.
        seed: the shuffle's seed (Keras's 113).
        start_char, oov_char, index_from: the number that starts every review, the number of
            a word left out, and what is added to every word's rank.
    """
    file = kf.locate(path, FILE, SHA256, "imdb", "IMDB", allow_download)
    x_train, y_train, x_test, y_test = kf.arrays_in(file, load_npz(file), ("x_train", "y_train", "x_test", "y_test"))
    rng = np.random.RandomState(seed)         # one generator: the training reviews' order, then the test's
    x_train, y_train = kf.shuffled(rng, x_train, y_train)
    x_test, y_test = kf.shuffled(rng, x_test, y_test)
    x_train, x_test = kf.number_words(x_train, start_char, index_from), kf.number_words(x_test, start_char, index_from)
    if maxlen:
        x_train, y_train = kf.shorter_than(maxlen, x_train, y_train)
        x_test, y_test = kf.shorter_than(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError(f"imdb.load_data: no review is shorter than maxlen={maxlen}; increase maxlen")
    reviews = kf.keep_words(x_train + x_test, num_words, skip_top, oov_char)   # ranked over both
    labels = np.concatenate([y_train, y_test])
    cut = len(x_train)
    return (kf.objects(reviews[:cut]), labels[:cut]), (kf.objects(reviews[cut:]), labels[cut:])


def get_word_index(path=WORD_INDEX, allow_download=True):
    """``{word: rank}``, as Keras's ``imdb.get_word_index()``: a review's number ``n`` is the
    word of rank ``n - index_from``."""
    return kf.word_index(path, WORD_INDEX, WORD_INDEX_MD5, "imdb", "IMDB", allow_download)
