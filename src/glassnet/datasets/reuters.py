"""Reuters newswires in 46 topics, as ``keras.datasets.reuters`` (Chollet's multi-class example).

    from glassnet.datasets import reuters
    (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=10000)

The same arguments give exactly Keras's arrays: 11,228 newswires as lists of word numbers
(see :mod:`glassnet.datasets.keras_files`), shuffled with seed 113, the last ``test_split``
of them for testing, and their topics 0-45 (:func:`get_label_names`).
"""

import numpy as np

from glassnet.datasets import keras_files as kf
from glassnet.datasets.safe_pickle import load_npz

FILE, SHA256 = "reuters.npz", "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX, WORD_INDEX_MD5 = "reuters_word_index.json", "4d44cc38712099c9e383dc6e5f11a921"
LABEL_NAMES = ("cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
               "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi",
               "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal",
               "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc",
               "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead")


def load_data(path=FILE, num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, start_char=1,
              oov_char=2, index_from=3, allow_download=True):
    """``((x_train, y_train), (x_test, y_test))``, as Keras gives them (arguments as in
    :func:`glassnet.datasets.imdb.load_data`; ``test_split``: the share kept for testing)."""
    file = kf.locate(path, FILE, SHA256, "reuters", "Reuters", allow_download)
    texts, labels = kf.shuffled(np.random.RandomState(seed), *kf.arrays_in(file, load_npz(file), ("x", "y")))
    texts = kf.number_words(texts, start_char, index_from)
    if maxlen:
        texts, labels = kf.shorter_than(maxlen, texts, labels)
    texts = kf.keep_words(texts, num_words, skip_top, oov_char)
    cut = int(len(texts) * (1 - test_split))
    return (kf.objects(texts[:cut]), np.array(labels[:cut])), (kf.objects(texts[cut:]), np.array(labels[cut:]))


def get_word_index(path=WORD_INDEX, allow_download=True):
    """``{word: rank}``, as Keras's ``reuters.get_word_index()``."""
    return kf.word_index(path, WORD_INDEX, WORD_INDEX_MD5, "reuters", "Reuters", allow_download)


def get_label_names():
    """The 46 topics' names, in the order of their numbers."""
    return LABEL_NAMES
