"""keras.datasets.cifar10's loader: the archive's layout and pickles, read safely (no network)."""

import io
import os
import pickle
import tarfile

import numpy as np
import pytest

from glassnet.datasets import cifar10
from glassnet.errors import DataError


def batch_bytes(images, labels, protocol=2):
    """One CIFAR batch as the archive holds it: a dict with byte-string keys, the pixels one
    row per image (1024 red, then 1024 green, then 1024 blue values)."""
    rows = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    return pickle.dumps({b"batch_label": b"a batch", b"labels": list(map(int, labels)), b"data": rows,
                         b"filenames": [b"x.png"] * len(images)}, protocol=protocol)


def write_archive(path, batches, folder=cifar10.FOLDER):
    with tarfile.open(path, "w:gz") as archive:
        for name, data in batches.items():
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


@pytest.fixture
def tiny(tmp_path):
    """Six batches of 2 photos each: ``(archive path, images, labels)``."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (12, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, 12)
    names = cifar10.TRAIN_BATCHES + (cifar10.TEST_BATCH,)
    batches = {name: batch_bytes(images[2 * i:2 * i + 2], labels[2 * i:2 * i + 2]) for i, name in enumerate(names)}
    (tmp_path / "cifar10").mkdir()
    write_archive(tmp_path / "cifar10" / cifar10.ARCHIVE, batches)
    return tmp_path, images, labels, batches


def test_the_archive_reads_as_keras_gives_it(tiny):
    root, images, labels, _ = tiny
    (x_train, y_train), (x_test, y_test) = cifar10.load_data(root, allow_download=False)
    assert x_train.shape == (10, 32, 32, 3) and x_test.shape == (2, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (10, 1) and y_test.shape == (2, 1) and y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, images[:10])     # channels last, red first
    np.testing.assert_array_equal(x_test, images[10:])
    np.testing.assert_array_equal(y_train[:, 0], labels[:10])


def test_the_unpacked_folder_reads_the_same(tiny, tmp_path):
    root, images, _, batches = tiny
    folder = tmp_path / "elsewhere" / cifar10.FOLDER
    folder.mkdir(parents=True)
    for name, data in batches.items():
        (folder / name).write_bytes(data)
    (x_train, _), (x_test, _) = cifar10.load_data(folder.parent, allow_download=False)
    np.testing.assert_array_equal(np.concatenate([x_train, x_test]), images)
    (folder / cifar10.TEST_BATCH).unlink()
    with pytest.raises(DataError, match="holds no test_batch"):
        cifar10.load_data(folder.parent, allow_download=False)


class Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_a_pickle_that_asks_for_anything_but_arrays_is_refused_not_run(tiny, tmp_path):
    root, images, labels, batches = tiny
    hostile = dict(batches, test_batch=pickle.dumps({b"data": Boom(), b"labels": [1]}, protocol=2))
    write_archive(root / "cifar10" / cifar10.ARCHIVE, hostile)
    with pytest.raises(DataError, match=r"test_batch: .*asks for posix.system.*refused"):
        cifar10.load_data(root, allow_download=False)


def test_broken_archives_and_folders_are_one_line(tiny, tmp_path):
    root, _, _, batches = tiny
    archive = root / "cifar10" / cifar10.ARCHIVE
    whole = archive.read_bytes()
    archive.write_bytes(whole[: len(whole) // 2])                   # cut off
    with pytest.raises(DataError, match="not a readable .tar.gz archive"):
        cifar10.load_data(root, allow_download=False)
    write_archive(archive, {k: v for k, v in batches.items() if k != "data_batch_3"})
    with pytest.raises(DataError, match="holds no cifar-10-batches-py/data_batch_3"):
        cifar10.load_data(root, allow_download=False)
    write_archive(archive, dict(batches, data_batch_2=batches["data_batch_2"][:40]))
    with pytest.raises(DataError, match="data_batch_2: not a CIFAR-10 batch"):
        cifar10.load_data(root, allow_download=False)
    write_archive(archive, dict(batches, data_batch_1=batch_bytes(np.zeros((2, 32, 32, 3), np.uint8), [3, 12])))
    with pytest.raises(DataError, match="label outside 0-9"):
        cifar10.load_data(root, allow_download=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no CIFAR-10 in it"):
        cifar10.load_data(tmp_path / "empty", allow_download=False)


def test_nothing_on_disk_and_downloads_off_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("GLASSNET_DATA", raising=False)
    with pytest.raises(DataError, match="CIFAR-10: cifar-10-python.tar.gz not found in .*cache.*downloads are off"):
        cifar10.load_data(allow_download=False)


def test_cifar100_reads_its_archive_fine_or_coarse(tmp_path):
    from glassnet.datasets import cifar100

    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (7, 32, 32, 3), dtype=np.uint8)
    fine, coarse = rng.integers(0, 100, 7), rng.integers(0, 20, 7)

    def batch(rows):
        flat = images[rows].transpose(0, 3, 1, 2).reshape(len(images[rows]), -1)
        return pickle.dumps({b"data": flat, b"fine_labels": list(map(int, fine[rows])),
                             b"coarse_labels": list(map(int, coarse[rows]))}, protocol=2)

    write_archive(tmp_path / cifar100.CIFAR100.archive, {"train": batch(slice(0, 5)), "test": batch(slice(5, 7))},
                  folder=cifar100.CIFAR100.folder)
    (x, y), (x_test, y_test) = cifar100.load_data(path=tmp_path, allow_download=False)
    np.testing.assert_array_equal(np.concatenate([x, x_test]), images)
    assert y.shape == (5, 1) and y.dtype == np.int64 and list(y_test[:, 0]) == list(fine[5:])
    (_, y), _ = cifar100.load_data("coarse", path=tmp_path, allow_download=False)
    assert list(y[:, 0]) == list(coarse[:5])
    with pytest.raises(ValueError, match='label_mode must be "fine" or "coarse"'):
        cifar100.load_data("medium", path=tmp_path)
