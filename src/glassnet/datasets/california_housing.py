"""California house prices from 8 numbers about a block, as ``keras.datasets.california_housing``.

    from glassnet.datasets import california_housing
    (x_train, y_train), (x_test, y_test) = california_housing.load_data(version="small")

20,640 blocks ("large"), or their first 600 ("small"), shuffled with seed 113, the last
``test_split`` of them for testing: the same arrays as Keras's.
"""

from glassnet.datasets import keras_files as kf
from glassnet.datasets.boston_housing import split_prices

FILE, SHA256 = "california_housing.npz", "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version="large", path=FILE, test_split=0.2, seed=113, allow_download=True):
    """``((x_train, y_train), (x_test, y_test))``: float arrays ``(N, 8)`` and ``(N,)``.

    Args:
        version: ``"large"`` (every block) or ``"small"`` (the first 600).
    """
    if version not in ("large", "small"):
        raise ValueError(f'california_housing.load_data: version must be "large" or "small", got {version!r}')
    file = kf.locate(path, FILE, SHA256, "california_housing", "California housing", allow_download)
    return split_prices(file, test_split, seed, 600 if version == "small" else None, "california_housing")
