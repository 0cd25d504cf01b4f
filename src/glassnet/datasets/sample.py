"""glassnet's offline sample: 7,000 real MNIST digits that ship inside the package.

When MNIST can be neither found nor downloaded (on a train, behind a firewall), a
network can still learn real handwriting from these, and be tested honestly:

* 6,000 *training* digits (600 of each class), drawn from MNIST's training set;
* 1,000 *test* digits (100 of each class), drawn from MNIST's test set.

A model trained on all of MNIST has therefore never seen the sample's test digits, so
its offline test figure is a true test figure (on fewer digits, so less precise: with
1,000 digits an accuracy of 98% is good to about +-0.9 points).

The files in ``mnist_sample/`` have MNIST's own layout and names (four gzip'ed IDX
files), so they are read by the same checked reader as the real thing. They were made by
``scripts/make_offline_sample.py`` from the original MNIST files; the SHA-256 of each
file's uncompressed content is below and is checked on every load. MNIST is by Yann
LeCun, Corinna Cortes and Christopher J.C. Burges, under CC BY-SA 3.0; see the README in
``mnist_sample/``.
"""

import hashlib
from pathlib import Path

from glassnet.datasets.download import FILES, _read_pair
from glassnet.datasets.idx import idx_bytes
from glassnet.errors import DataError

SAMPLE_DIR = Path(__file__).resolve().parent / "mnist_sample"
SEED = 20_240_917          # the random draw of the digits, fixed: the same sample every time
PER_CLASS_TRAIN = 600      # training digits of each class
PER_CLASS_TEST = 100       # test digits of each class

SHA256 = {  # of each file's uncompressed IDX content (the .gz bytes depend on the gzip library)
    "train-images-idx3-ubyte.gz": "250f47fd6b02edc948adba084fdaf4d60f1b635922f0632bc21485f87a8a38d1",
    "train-labels-idx1-ubyte.gz": "81b447065b59aab375ae305e2aa9d34a0dc56dcc3e3ab13bd72279cdd3476e37",
    "t10k-images-idx3-ubyte.gz": "e10bd1553f2d60ecd193c7edef31d05c14ce4c8dc79dc44f4c9a05fb8da237bb",
    "t10k-labels-idx1-ubyte.gz": "7f99221b01af16cfaffe9a182449b0a21009667ae7ccc1c76084f675c9c89051",
}


def load_sample(path=None):
    """Return ``((x_train, y_train), (x_test, y_test))``: the offline sample, like ``mnist.load_data()``.

    Shapes: ``(6000, 28, 28)``, ``(6000,)``, ``(1000, 28, 28)``, ``(1000,)``, all uint8. The
    digits come in a shuffled order; the test digits are MNIST *test* digits.

    Args:
        path: the sample's folder (default: the one inside the package).

    Raises:
        DataError: a file is missing, corrupt, or not the one glassnet shipped.
    """
    folder = Path(path) if path is not None else SAMPLE_DIR
    arrays = []
    for images, labels in ((FILES[0], FILES[1]), (FILES[2], FILES[3])):
        x, y = _read_pair(folder / images, folder / labels)
        for name, array in ((images, x), (labels, y)):
            digest = hashlib.sha256(idx_bytes(array, name)).hexdigest()
            if digest != SHA256[name]:
                raise DataError(f"{folder / name}: not the file glassnet shipped (its SHA-256 is "
                                f"{digest[:12]}..., expected {SHA256[name][:12]}...); reinstall glassnet")
        arrays.append((x, y))
    return tuple(arrays)
