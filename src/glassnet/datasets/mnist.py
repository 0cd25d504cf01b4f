"""MNIST: 70,000 handwritten digits, 28x28 grayscale, the "hello world" of deep learning.

Usage, exactly like Keras::

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train.shape, x_train.dtype   # (60000, 28, 28) uint8, pixels 0 (black) to 255
    y_train.shape                  # (60000,) digits 0-9

The finding, downloading and checking is shared with Fashion-MNIST in ``download.py``.
"""

from glassnet.datasets.download import IdxDataset, load_arrays

MNIST = IdxDataset(
    name="mnist",
    title="MNIST",
    md5s={  # published checksums of the original .gz downloads
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    class_names=tuple(str(digit) for digit in range(10)),
)
CLASS_NAMES = MNIST.class_names


def load_data(path=None):
    """Return ``((x_train, y_train), (x_test, y_test))`` as uint8 arrays.

    Shapes: ``(60000, 28, 28)``, ``(60000,)``, ``(10000, 28, 28)``, ``(10000,)``.

    Args:
        path: a folder holding the four files (or a ``mnist/`` folder inside it); a
            folder without them is an error. Without it: ``$GLASSNET_DATA``, then ``~/.cache/glassnet/mnist``, then
            a download into that cache.

    Raises:
        DataError: a file is corrupt, or the data is nowhere and can't be downloaded.
    """
    arrays, _source = load_arrays(MNIST, path)
    return arrays
