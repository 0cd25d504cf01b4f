"""Boston house prices from 13 numbers about a district, as ``keras.datasets.boston_housing``
(Chollet's regression example).

    from glassnet.datasets import boston_housing
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()

506 districts, shuffled with seed 113, the last ``test_split`` of them for testing: the
same arrays as Keras's. The prices are in thousands of dollars.
"""

import numpy as np

from glassnet.datasets import keras_files as kf
from glassnet.datasets.safe_pickle import load_npz

FILE, SHA256 = "boston_housing.npz", "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path=FILE, test_split=0.2, seed=113, allow_download=True):
    """``((x_train, y_train), (x_test, y_test))``: float arrays ``(N, 13)`` and ``(N,)``."""
    file = kf.locate(path, FILE, SHA256, "boston_housing", "Boston housing", allow_download)
    return split_prices(file, test_split, seed)


def split_prices(file, test_split, seed, first=None, owner="boston_housing"):
    """A house-price file's ``x`` and ``y`` (its ``first`` rows), shuffled as Keras shuffles
    them, the last ``test_split`` of them for testing (California housing's too)."""
    if not 0 <= test_split < 1:
        raise ValueError(f"{owner}.load_data: test_split must be in [0, 1), got {test_split!r}")
    x, y = kf.arrays_in(file, load_npz(file), ("x", "y"))
    x, y = kf.shuffled(np.random.RandomState(seed), x[:first], y[:first])
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
