"""CIFAR-100: CIFAR-10's kind of photos in 100 classes (20 superclasses), as ``keras.datasets.cifar100``.

    from glassnet.datasets import cifar100
    (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode="fine")

Found, downloaded and read as CIFAR-10 is (:mod:`glassnet.datasets.cifar10`).
"""

import numpy as np

from glassnet.datasets.cifar10 import CifarArchive, read_cifar

CIFAR100 = CifarArchive("cifar100", "CIFAR-100", "cifar-100-python.tar.gz", "eb9058c3a382ffc7106e4002c42a8d85",
                        "cifar-100-python", ("train",), "test", 100)


def load_data(label_mode="fine", path=None, allow_download=True):
    """Return ``((x_train, y_train), (x_test, y_test))``, as Keras does: uint8 photos
    ``(50000, 32, 32, 3)`` and ``(10000, 32, 32, 3)``, int labels in a column.

    Args:
        label_mode: ``"fine"`` (100 classes) or ``"coarse"`` (their 20 superclasses).
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'cifar100.load_data: label_mode must be "fine" or "coarse", got {label_mode!r}')
    return read_cifar(CIFAR100, path, allow_download, f"{label_mode}_labels".encode(), np.int64)
