"""IMDB movie reviews, positive or negative, as ``keras.datasets.imdb``.

The text classification of Chollet's *Deep Learning with Python* and of Keras's examples::

    from glassnet.datasets import imdb
    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=10000)

Each review is a list of word numbers: a word's number is its rank by how often it occurs
(1 the commonest), plus ``index_from``, and every review starts with ``start_char``. The
same arguments give exactly Keras's arrays: the same shuffle (seed 113), the same cuts.

Where the file ``imdb.npz`` is looked for: the file or folder given as ``path=``, then
``$GLASSNET_DATA`` (its ``imdb/`` subfolder first), then the cache
``~/.cache/glassnet/imdb``, then Keras's download (17 MB, checked against its published
sha256). Its object arrays are pickles, read by :mod:`glassnet.datasets.safe_pickle`.
"""

import json
from pathlib import Path

import numpy as np

from glassnet.datasets.download import DataUnavailable, _pretty, _roots, cache_dir, fetch
from glassnet.datasets.safe_pickle import load_npz
from glassnet.errors import DataError

MIRRORS = ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",)
FILE, SHA256 = "imdb.npz", "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX, WORD_INDEX_MD5 = "imdb_word_index.json", "bfafd718b763782e994055a2d397834f"


def load_data(path=FILE, num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, allow_download=True, **kwargs):
    """``((x_train, y_train), (x_test, y_test))``: 25,000 reviews each, as Keras gives them.

    ``x_*`` are object arrays of lists of word numbers, ``y_*`` int arrays of 0 (negative)
    and 1 (positive).

    Args:
        path: ``imdb.npz`` (looked for as the module docstring says), or a file or folder.
        num_words: keep the ``num_words`` commonest words; the others become ``oov_char``.
        skip_top: the commonest ``skip_top`` words become ``oov_char`` too.
        maxlen: leave out reviews of ``maxlen`` words or more.
        seed: the shuffle's seed (Keras's 113).
        start_char, oov_char, index_from: the number that starts every review, the number of
            a word left out, and what is added to every word's rank.
    """
    if kwargs:
        raise TypeError(f"imdb.load_data: unknown argument(s) {', '.join(map(repr, kwargs))}")
    file = _locate(path, FILE, SHA256, allow_download)
    arrays = load_npz(file)
    try:
        x_train, labels_train, x_test, labels_test = (arrays[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    except KeyError as missing:
        raise DataError(f"{file}: holds no {missing.args[0]} array; is it Keras's imdb.npz?") from None
    # The same draws as Keras: one RandomState shuffles the training reviews, then the test ones.
    rng = np.random.RandomState(seed)
    order = np.arange(len(x_train))
    rng.shuffle(order)
    x_train, labels_train = x_train[order], labels_train[order]
    order = np.arange(len(x_test))
    rng.shuffle(order)
    x_test, labels_test = x_test[order], labels_test[order]

    start = [start_char] if start_char is not None else []
    shift = index_from if start_char is not None or index_from else 0
    x_train = [start + [w + shift for w in x] for x in x_train]
    x_test = [start + [w + shift for w in x] for x in x_test]
    if maxlen:
        x_train, labels_train = _shorter_than(maxlen, x_train, labels_train)
        x_test, labels_test = _shorter_than(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"imdb.load_data: no review is shorter than maxlen={maxlen}; increase maxlen")
    reviews = x_train + x_test
    labels = np.concatenate([labels_train, labels_test])
    top = num_words or max(max(x) for x in reviews)
    if oov_char is not None:
        reviews = [[w if skip_top <= w < top else oov_char for w in x] for x in reviews]
    else:
        reviews = [[w for w in x if skip_top <= w < top] for x in reviews]
    cut = len(x_train)
    return ((_objects(reviews[:cut]), labels[:cut]), (_objects(reviews[cut:]), labels[cut:]))


def get_word_index(path=WORD_INDEX, allow_download=True):
    """``{word: rank}``, as Keras's ``imdb.get_word_index()``: a review's number ``n`` is the
    word of rank ``n - index_from``."""
    file = _locate(path, WORD_INDEX, WORD_INDEX_MD5, allow_download)
    try:
        with open(file, encoding="utf-8") as f:
            index = json.load(f)
    except (OSError, ValueError) as error:
        raise DataError(f"{file}: not a readable word index ({error})") from None
    if not isinstance(index, dict):
        raise DataError(f"{file}: not a word index (a JSON object of words and their ranks)")
    return index


def _objects(lists):
    """A list of lists -> a 1-D object array of them, as Keras returns the reviews."""
    array = np.empty(len(lists), dtype=object)
    array[:] = lists
    return array


def _shorter_than(maxlen, reviews, labels):
    kept = [(x, y) for x, y in zip(reviews, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def _locate(path, name, checksum, allow_download):
    """The file ``name``: ``path`` itself, or in a folder, or in the cache, or downloaded."""
    if path not in (None, name):
        given = Path(path).expanduser()
        if given.is_file():
            return given
        if given.is_dir() and (given / name).is_file():
            return given / name
        raise DataError(f"{given}: no such file, nor a folder holding {name}")
    for root in _roots(None):
        for folder in (root / "imdb", root):
            if (folder / name).is_file():
                return folder / name
    cache = cache_dir("imdb")
    if (cache / name).is_file():
        return cache / name
    if not allow_download:
        looked = ", ".join(_pretty(f) for f in _roots(None) + [cache])
        raise DataUnavailable(f"IMDB: {name} not found in {looked}, and downloads are off")
    return fetch(name, checksum, MIRRORS, cache)
