"""Fashion-MNIST: Zalando's drop-in replacement for MNIST, with clothes instead of digits.

Same sizes, same file names, same format; only harder (a shirt and a T-shirt look
alike far more often than a 3 and an 8). Labels 0-9 mean :data:`CLASS_NAMES`.
The finding, downloading and checking is shared with MNIST in ``download.py``.
"""

from glassnet.datasets.download import IdxDataset, load_arrays

FASHION_MNIST = IdxDataset(
    name="fashion-mnist",
    title="Fashion-MNIST",
    md5s={  # published checksums of the original .gz downloads
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    ),
    class_names=(
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
)
CLASS_NAMES = FASHION_MNIST.class_names


def load_data(path=None):
    """Return ``((x_train, y_train), (x_test, y_test))`` as uint8 arrays, like Keras.

    Shapes: ``(60000, 28, 28)``, ``(60000,)``, ``(10000, 28, 28)``, ``(10000,)``.

    Args:
        path: a folder holding the four files (or a ``fashion-mnist/`` folder
            inside it). Without it: ``$GLASSNET_DATA``, then
            ``~/.cache/glassnet/fashion-mnist``, then a download into that cache.

    Raises:
        DataError: a file is corrupt, or the data is nowhere and can't be downloaded.
    """
    arrays, _source = load_arrays(FASHION_MNIST, path)
    return arrays
