"""CIFAR-10: 60,000 colour photos of 32x32 pixels in ten classes, as ``keras.datasets.cifar10``.

The photos a learner's next network reads after MNIST (TensorFlow's CNN tutorial)::

    from glassnet.datasets import cifar10
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()

Where the data is looked for, as for MNIST (``download.py``): the folder given as
``path=``, then ``$GLASSNET_DATA`` (each with its ``cifar10/`` subfolder first), then the
cache ``~/.cache/glassnet/cifar10``, then the web (the 163 MB archive of the dataset's
authors, checked against its published md5). A folder may hold the archive,
``cifar-10-python.tar.gz``, or what it unpacks to, ``cifar-10-batches-py/``.

The archive holds Python pickles. They are read with an unpickler that makes nothing
but NumPy arrays and plain lists, dicts and bytes (:mod:`glassnet.datasets.safe_pickle`),
so a file that asks for anything else (a pickle can run code) is refused in one line, not run.
"""

import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glassnet.datasets.keras_files import locate
from glassnet.datasets.safe_pickle import load_pickle
from glassnet.errors import DataError


@dataclass(frozen=True)
class CifarArchive:
    """What reading one of the CIFAR archives needs to know (CIFAR-100 has one too)."""

    name: str            # its folder under the cache and $GLASSNET_DATA: "cifar10"
    title: str           # as people write it: "CIFAR-10"
    archive: str         # the file downloaded
    md5: str             # its published checksum
    folder: str          # what it unpacks to
    train: tuple         # the training batches' names in that folder
    test: str            # the test batch's name
    classes: int         # labels run from 0 to classes - 1


CIFAR10 = CifarArchive("cifar10", "CIFAR-10", "cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a",
                       "cifar-10-batches-py", tuple(f"data_batch_{i}" for i in range(1, 6)), "test_batch", 10)
ARCHIVE, FOLDER = CIFAR10.archive, CIFAR10.folder
TRAIN_BATCHES, TEST_BATCH = CIFAR10.train, CIFAR10.test
MIRRORS = ("https://www.cs.toronto.edu/~kriz/",)
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def load_data(path=None, allow_download=True):
    """Return ``((x_train, y_train), (x_test, y_test))`` as uint8 arrays, as Keras does.

    Shapes: ``(50000, 32, 32, 3)``, ``(50000, 1)``, ``(10000, 32, 32, 3)``, ``(10000, 1)``
    (channels last; the labels 0-9, meaning :data:`CLASS_NAMES`, in a column as Keras
    gives them).

    Raises:
        DataError: a file is corrupt or not CIFAR-10, or the data is nowhere and can't be
            downloaded.
    """
    return read_cifar(CIFAR10, path, allow_download, b"labels", np.uint8)


def read_cifar(cifar, path, allow_download, label_key, label_dtype):
    """The training and test photos and labels (``label_key``'s) of a CIFAR archive."""
    source = locate(path, (cifar.archive, cifar.folder), cifar.md5, cifar.name, cifar.title, allow_download,
                    largest=200 << 20, mirrors=MIRRORS)
    batches = _batches(cifar, source)
    train = [_read_batch(cifar, f"{source}: {name}", batches[name](), label_key) for name in cifar.train]
    x_test, y_test = _read_batch(cifar, f"{source}: {cifar.test}", batches[cifar.test](), label_key)
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return (x_train, y_train.astype(label_dtype)), (x_test, y_test.astype(label_dtype))


def _batches(cifar, source):
    """``{batch name: a function that gives its bytes}`` for the batches in ``source``."""
    source = Path(source)
    names = cifar.train + (cifar.test,)
    if source.is_dir():
        missing = [name for name in names if not (source / name).is_file()]
        if missing:
            raise DataError(f"{source}: holds no {', '.join(missing)} (a {cifar.title} folder has "
                            f"{', '.join(names)})")
        return {name: (source / name).read_bytes for name in names}
    try:
        with tarfile.open(source, "r:gz") as archive:
            members = {Path(m.name).name: m for m in archive.getmembers()
                       if m.isfile() and Path(m.name).parent.name == cifar.folder}
            missing = [name for name in names if name not in members]
            if missing:
                raise DataError(f"{source}: holds no {cifar.folder}/{missing[0]}; is it the {cifar.title} "
                                f"archive ({cifar.archive})?")
            contents = {name: archive.extractfile(members[name]).read() for name in names}
    except (tarfile.TarError, OSError, EOFError) as error:
        raise DataError(f"{source}: not a readable .tar.gz archive ({error})") from None
    return {name: (lambda data=data: data) for name, data in contents.items()}


def _read_batch(cifar, name, data, label_key):
    """One CIFAR batch's pickle -> ``(images (N, 32, 32, 3) uint8, labels (N, 1) int64)``."""
    try:
        batch = load_pickle(data, encoding="bytes")       # written by Python 2
        pixels, labels = batch[b"data"], batch[label_key]
        images = np.asarray(pixels, np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        labels = np.asarray(labels, np.int64)
    except DataError as error:
        raise DataError(f"{name}: {error}") from None
    except Exception as error:    # a cut-off or altered file fails anywhere in here
        raise DataError(f"{name}: not a {cifar.title} batch ({type(error).__name__}: {error})") from None
    last = cifar.classes - 1
    if len(images) != len(labels) or labels.ndim != 1 or not ((0 <= labels) & (labels <= last)).all():
        raise DataError(f"{name}: {len(images)} images but {labels.size} labels, or a label outside 0-{last}")
    return np.ascontiguousarray(images), labels.reshape(-1, 1)
