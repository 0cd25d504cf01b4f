"""What Keras's downloaded datasets share (CIFAR, IMDB, Reuters, the house prices).

Keras keeps most as a single file under ``storage.googleapis.com/tensorflow/tf-keras-datasets/``
(CIFAR's archives are its authors'). :func:`locate` finds one as glassnet finds MNIST
(``download.py``): the file or folder given, then ``$GLASSNET_DATA`` (its ``<name>/``
subfolder first), then the cache, then the download, checked against the published checksum. The text datasets hold reviews and
newswires as lists of word numbers (:func:`number_words`, :func:`keep_words`), with Keras's
conventions: 0 pads, 1 starts a text, 2 stands for a word left out, real words from 3.
"""

import json
from pathlib import Path

import numpy as np

from glassnet.datasets.download import DataUnavailable, _pretty, _roots, cache_dir, fetch
from glassnet.errors import DataError

MIRRORS = ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",)


def locate(path, names, checksum, folder, title, allow_download=True, largest=None, mirrors=MIRRORS):
    """Where the dataset is: one of ``names`` (the file Keras downloads first, then what else
    may stand for it, e.g. the folder an archive unpacks to), found as the module docstring
    says. ``path``: a file, or a folder holding one of them (or a ``folder/`` that does);
    ``folder``: the subfolder's and the cache's name; ``largest``: the most bytes the
    download may have; ``mirrors``: where it is downloaded from."""
    names = [names] if isinstance(names, str) else list(names)

    def found_in(place):
        return next((place / name for name in names if (place / name).exists()), None)

    if path not in (None, names[0]):
        given = Path(path).expanduser()
        if given.is_file():
            return given
        if not given.is_dir():
            raise DataError(f"{given}: no such file, nor a folder holding {names[0]}")
        hit = found_in(given / folder) or found_in(given)
        if hit is None:
            raise DataError(f"{given}: no {title} in it or in {given / folder} (expected {' or '.join(names)})")
        return hit
    for root in _roots(None):
        hit = found_in(root / folder) or found_in(root)
        if hit is not None:
            return hit
    cache = cache_dir(folder)
    hit = found_in(cache)
    if hit is not None:
        return hit
    if not allow_download:
        looked = ", ".join(_pretty(f) for f in _roots(None) + [cache])
        raise DataUnavailable(f"{title}: {names[0]} not found in {looked}, and downloads are off")
    return fetch(names[0], checksum, mirrors, cache, **({} if largest is None else {"largest": largest}))


def arrays_in(file, arrays, names):
    """The arrays ``names`` of a loaded ``.npz``, or a one-line error naming the file."""
    missing = [name for name in names if name not in arrays]
    if missing:
        raise DataError(f"{file}: holds no {missing[0]} array; is it Keras's {Path(file).name}?")
    return [arrays[name] for name in names]


def shuffled(rng, *arrays):
    """The arrays in one random order, drawn from ``rng`` (a RandomState, as Keras draws it)."""
    order = np.arange(len(arrays[0]))
    rng.shuffle(order)
    return [a[order] for a in arrays]


def number_words(texts, start_char, index_from):
    """Each text's word ranks -> the numbers Keras gives: ``start_char`` first, ranks + ``index_from``."""
    start = [start_char] if start_char is not None else []
    shift = index_from if start_char is not None or index_from else 0
    return [start + [w + shift for w in x] for x in texts]


def shorter_than(maxlen, texts, labels):
    """The texts of fewer than ``maxlen`` words, and their labels (Keras's remove_long_seq)."""
    kept = [(x, y) for x, y in zip(texts, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def keep_words(texts, num_words, skip_top, oov_char):
    """Words ranked from ``skip_top`` to below ``num_words`` (all but the last, when None)
    kept; the others become ``oov_char``, or are dropped when it is None."""
    top = num_words or max(max(x) for x in texts)
    if oov_char is not None:
        return [[w if skip_top <= w < top else oov_char for w in x] for x in texts]
    return [[w for w in x if skip_top <= w < top] for x in texts]


def objects(lists):
    """A list of lists -> a 1-D object array of them, as Keras returns texts."""
    array = np.empty(len(lists), dtype=object)
    array[:] = lists
    return array


def word_index(path, name, checksum, folder, title, allow_download=True):
    """``{word: rank}`` from a Keras word-index JSON file."""
    file = locate(path, name, checksum, folder, title, allow_download)
    try:
        with open(file, encoding="utf-8") as f:
            index = json.load(f)
    except (OSError, ValueError) as error:
        raise DataError(f"{file}: not a readable word index ({error})") from None
    if not isinstance(index, dict):
        raise DataError(f"{file}: not a word index (a JSON object of words and their ranks)")
    return index
