"""Tests for glassnet.datasets: IDX files, Kaggle CSVs, lookup, download, fallback.

Everything here is small and offline: IDX and CSV files are written by the tests,
and ``urllib.request.urlopen`` is replaced for every test in this module, so a
bug can never reach the network. The one real-data test reads ../shared/data.
"""

import gzip
import hashlib
import io
import struct
import time
import tracemalloc
import urllib.error
import urllib.request

import numpy as np
import pytest

from glassnet.datasets import (
    Dataset,
    download,
    load_dataset,
    load_kaggle_csv,
    load_sample,
    mnist,
    read_idx,
    write_idx,
)
from glassnet.datasets.download import FILES, DataUnavailable, IdxDataset, load_arrays
from glassnet.datasets.mnist import MNIST
from glassnet.errors import DataError


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """No network, no real cache, no $GLASSNET_DATA: each test starts from nothing."""

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("network disabled in tests")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("GLASSNET_DATA", raising=False)


def images(n, fill=0):
    """``n`` 28x28 uint8 images, each different (so reads can be checked)."""
    x = (np.arange(n * 28 * 28) % 251).astype(np.uint8).reshape(n, 28, 28)
    return x + np.uint8(fill)


def write_dataset(folder, n_train=6, n_test=4, label=1, gz=True):
    """Write the four MNIST files into ``folder``; every label is ``label``."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = [images(n_train), np.full(n_train, label), images(n_test), np.full(n_test, label)]
    for name, array in zip(FILES, arrays):
        write_idx(folder / (name if gz else name[: -len(".gz")]), array)
    return folder


def raw_idx(magic, dims, payload=b""):
    """Hand-made IDX bytes, for headers that write_idx would refuse to write."""
    return struct.pack(">I", magic) + struct.pack(f">{len(dims)}I", *dims) + payload


# --- IDX files -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["x-idx3-ubyte.gz", "x-idx3-ubyte"])
def test_idx_round_trip_gz_and_raw(tmp_path, name):
    x = images(3)
    write_idx(tmp_path / name, x)
    out = read_idx(tmp_path / name, kind="images")
    assert out.dtype == np.uint8 and out.shape == (3, 28, 28)
    np.testing.assert_array_equal(out, x)
    write_idx(tmp_path / "y.gz", [0, 9, 5])
    np.testing.assert_array_equal(read_idx(tmp_path / "y.gz"), [0, 9, 5])


def test_idx_header_is_big_endian_magic_then_sizes(tmp_path):
    write_idx(tmp_path / "x", images(2))
    assert (tmp_path / "x").read_bytes()[:16] == bytes.fromhex("00000803 00000002 0000001c 0000001c")


@pytest.mark.parametrize("magic", [0x00000802, 0x00000D03, 0x12345678])
def test_idx_wrong_magic(tmp_path, magic):
    (tmp_path / "bad").write_bytes(raw_idx(magic, [1, 1, 1], b"\0"))
    with pytest.raises(DataError, match=rf"bad: magic number 0x{magic:08x} is not an IDX"):
        read_idx(tmp_path / "bad")


def test_idx_wrong_kind(tmp_path):
    write_idx(tmp_path / "labels.gz", [1, 2])
    with pytest.raises(DataError, match="labels.gz: expected an IDX images file but this one holds labels"):
        read_idx(tmp_path / "labels.gz", kind="images")


@pytest.mark.parametrize("gz", [False, True])
def test_idx_header_claims_more_than_the_file_holds(tmp_path, gz):
    data = raw_idx(0x803, [60000, 28, 28], bytes(1234))
    path = tmp_path / ("train-images-idx3-ubyte.gz" if gz else "train-images-idx3-ubyte")
    path.write_bytes(gzip.compress(data) if gz else data)
    message = f"{path.name}: truncated: header says 60000 images of 28x28 but the file holds 1234 bytes of pixels"
    with pytest.raises(DataError, match=message):
        read_idx(path)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_extra_bytes_after_the_data(tmp_path, gz):
    data = raw_idx(0x801, [3], bytes(5))
    path = tmp_path / ("labels.gz" if gz else "labels")
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(DataError, match="too long: header says 3 labels"):
        read_idx(path)


def test_idx_truncated_gzip(tmp_path):
    whole = gzip.compress(raw_idx(0x803, [20, 28, 28], np.random.default_rng(0).bytes(20 * 784)))
    (tmp_path / "cut.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match="cut.gz: truncated gzip file"):
        read_idx(tmp_path / "cut.gz")


def test_idx_html_page_saved_as_gz(tmp_path):
    (tmp_path / "page.gz").write_bytes(b"\n<!DOCTYPE html><html><body>Access denied</body></html>")
    with pytest.raises(DataError, match="page.gz: this is an HTML page, not MNIST data"):
        read_idx(tmp_path / "page.gz")


def test_idx_gz_name_but_not_gzip(tmp_path):
    (tmp_path / "junk.gz").write_bytes(b"\x00\x01\x02\x03junk")
    with pytest.raises(DataError, match="junk.gz: not gzip data"):
        read_idx(tmp_path / "junk.gz")


def test_idx_empty_and_short_files(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(DataError, match="empty: the file is empty"):
        read_idx(tmp_path / "empty")
    (tmp_path / "short").write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(DataError, match="short: too short to hold an IDX header"):
        read_idx(tmp_path / "short")
    with pytest.raises(DataError, match="missing: cannot read the file"):
        read_idx(tmp_path / "missing")


@pytest.mark.parametrize("gz", [False, True])
def test_idx_two_billion_images_header_does_not_allocate(tmp_path, gz):
    data = raw_idx(0x803, [2_000_000_000, 28, 28], bytes(784 * 3))
    path = tmp_path / ("huge.gz" if gz else "huge")
    path.write_bytes(gzip.compress(data) if gz else data)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        # a raw file's claim is checked against its size; a gzip file's against a cap
        claim = "the header claims 2000000000 x 28 x 28" if gz else "truncated: header says 2000000000 images of 28x28"
        with pytest.raises(DataError, match=claim):
            read_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 2
    assert peak < 20 << 20, f"peak allocation {peak} bytes for a 2 KB file"


def test_idx_labels_above_nine(tmp_path):
    (tmp_path / "labels").write_bytes(raw_idx(0x801, [4], bytes([3, 9, 12, 0])))
    with pytest.raises(DataError, match="labels: label 12 at position 2 is outside 0-9"):
        read_idx(tmp_path / "labels")


# --- a folder of four files ------------------------------------------------------


def test_load_data_from_folder_like_keras(tmp_path):
    write_dataset(tmp_path / "d", n_train=6, n_test=4, label=7)
    (x_train, y_train), (x_test, y_test) = mnist.load_data(tmp_path / "d")
    assert [a.shape for a in (x_train, y_train, x_test, y_test)] == [(6, 28, 28), (6,), (4, 28, 28), (4,)]
    assert all(a.dtype == np.uint8 for a in (x_train, y_train, x_test, y_test))
    np.testing.assert_array_equal(x_train, images(6))
    assert set(y_test) == {7}


def test_load_data_accepts_uncompressed_files(tmp_path):
    write_dataset(tmp_path, gz=False)
    (x_train, _), _ = mnist.load_data(tmp_path)
    assert x_train.shape == (6, 28, 28)


def test_image_and_label_counts_must_match(tmp_path):
    write_dataset(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(5))
    message = "train-images-idx3-ubyte.gz holds 6 images but train-labels-idx1-ubyte.gz holds 5 labels"
    with pytest.raises(DataError, match=message):
        mnist.load_data(tmp_path)


def test_images_must_be_28x28(tmp_path):
    write_dataset(tmp_path)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((4, 32, 32)))
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz: images are 32x32, expected 28x28"):
        mnist.load_data(tmp_path)


def test_folder_with_only_some_files(tmp_path):
    write_dataset(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="holds some MNIST files but not t10k-labels-idx1-ubyte.gz"):
        mnist.load_data(tmp_path)


# --- where the files are looked for ----------------------------------------------


def labels_of(path=None):
    (_, y_train), _ = mnist.load_data(path)
    return int(y_train[0])


def test_lookup_order_path_then_env_then_cache(tmp_path, monkeypatch):
    write_dataset(tmp_path / "given", label=1)
    write_dataset(tmp_path / "env" / "mnist", label=2)  # $GLASSNET_DATA may hold mnist/
    write_dataset(tmp_path / "xdg-cache" / "glassnet" / "mnist", label=3)
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path / "env"))
    assert labels_of(tmp_path / "given") == 1
    assert labels_of() == 2
    (tmp_path / "empty-folder").mkdir()               # the folder named holds no MNIST: say so,
    with pytest.raises(DataError, match="empty-folder: no MNIST files in it or in .*empty-folder/mnist"):
        labels_of(tmp_path / "empty-folder")          # don't quietly read $GLASSNET_DATA's
    monkeypatch.delenv("GLASSNET_DATA")
    assert labels_of() == 3


def test_a_folder_that_does_not_exist_is_an_error(tmp_path, monkeypatch):
    with pytest.raises(DataError, match="nowhere: no such folder"):
        mnist.load_data(tmp_path / "nowhere")
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path / "typo"))
    with pytest.raises(DataError, match=r"\$GLASSNET_DATA=.*typo: no such folder"):
        load_dataset("mnist")
    with pytest.raises(DataError, match="no such folder .no user 'nosuchuser-glassnet'"):
        mnist.load_data("~nosuchuser-glassnet/mnist")


def test_env_folder_may_hold_the_files_directly(tmp_path, monkeypatch):
    write_dataset(tmp_path / "env", label=4)
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path / "env"))
    assert labels_of() == 4


def test_cache_follows_home_and_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert download.cache_dir("mnist") == tmp_path / "home" / ".cache" / "glassnet" / "mnist"
    write_dataset(tmp_path / "home" / ".cache" / "glassnet" / "mnist", label=5)
    assert labels_of() == 5
    _, source = load_arrays(MNIST)
    assert source == "MNIST from ~/.cache/glassnet/mnist"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert download.cache_dir("mnist") == tmp_path / "xdg" / "glassnet" / "mnist"


def test_nothing_anywhere_and_downloads_off():
    with pytest.raises(DataUnavailable, match="MNIST: not found in .*xdg-cache/glassnet/mnist, and downloads are off"):
        load_arrays(MNIST, allow_download=False)


# --- downloading ------------------------------------------------------------------


def served_dataset(tmp_path):
    """The four files as bytes, and an IdxDataset whose md5s match them."""
    write_dataset(tmp_path / "origin", label=6)
    blobs = {name: (tmp_path / "origin" / name).read_bytes() for name in FILES}
    md5s = {name: hashlib.md5(blob).hexdigest() for name, blob in blobs.items()}
    mirrors = ("https://down.example/mnist/", "https://up.example/mnist/")
    return blobs, IdxDataset("tiny", "Tiny", md5s, mirrors, tuple("0123456789"))


def fake_urlopen(serve, log):
    """A stand-in for urlopen: ``serve(url)`` returns bytes or raises."""

    def urlopen(request, timeout=None):
        assert timeout is not None, "downloads must have a timeout"
        log.append(request.full_url)
        return io.BytesIO(serve(request.full_url))

    return urlopen


def test_download_tries_the_next_mirror(tmp_path, monkeypatch):
    blobs, dataset = served_dataset(tmp_path)

    def serve(url):
        if url.startswith("https://down.example/"):
            raise urllib.error.URLError("Name or service not known")
        return blobs[url.rsplit("/", 1)[1]]

    log = []
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen(serve, log))
    (train, test), source = load_arrays(dataset)
    assert int(train[1][0]) == 6 and test[0].shape == (4, 28, 28)
    cache = tmp_path / "xdg-cache" / "glassnet" / "tiny"
    assert source == f"Tiny downloaded to {cache}"
    assert sorted(p.name for p in cache.iterdir()) == sorted(FILES)  # no .part files left
    assert len(log) == 8  # each file: the dead mirror, then the good one

    log.clear()  # a second load reads the cache and never touches the network
    (train, _), source = load_arrays(dataset)
    assert log == [] and source == f"Tiny from {cache}"


def test_download_rejects_a_checksum_mismatch(tmp_path, monkeypatch):
    _, dataset = served_dataset(tmp_path)
    html = b"<html>captive portal</html>"
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen(lambda url: html, []))
    with pytest.raises(DataUnavailable) as caught:
        load_arrays(dataset)
    message = str(caught.value)
    assert "\n" not in message
    assert f"{FILES[0]}: download failed from every mirror" in message
    assert message.count("differs from the published") == 2
    assert list((tmp_path / "xdg-cache" / "glassnet" / "tiny").iterdir()) == []  # nothing kept


def test_download_only_the_missing_files(tmp_path, monkeypatch):
    blobs, dataset = served_dataset(tmp_path)
    cache = write_dataset(tmp_path / "xdg-cache" / "glassnet" / "tiny", label=6)
    (cache / FILES[3]).unlink()  # an interrupted earlier download
    log = []
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen(lambda url: blobs[url.rsplit("/", 1)[1]], log))
    load_arrays(dataset)
    assert log == ["https://down.example/mnist/" + FILES[3]]


def test_all_mirrors_failing_names_them_all():
    with pytest.raises(DataError) as caught:
        mnist.load_data()
    message = str(caught.value)
    assert "\n" not in message and "network disabled in tests" in message
    for mirror in MNIST.mirrors:
        assert mirror + FILES[0] in message


def test_http_errors_are_reported_by_status(tmp_path, monkeypatch):
    _, dataset = served_dataset(tmp_path)

    def urlopen(request, timeout=None):
        raise urllib.error.HTTPError(request.full_url, 404, "Not Found", {}, None)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    with pytest.raises(DataUnavailable, match=r"https://up.example/mnist/train-images-idx3-ubyte.gz \(HTTP 404\)"):
        load_arrays(dataset)


# --- Kaggle CSV -----------------------------------------------------------------


def write_csv(path, rows, labels=True, header=True):
    """Write a Kaggle-style CSV; each row is a list of cells (label first when labelled)."""
    names = ["label"] * labels + [f"pixel{i}" for i in range(784)]
    lines = [",".join(names)] * header + [",".join(str(c) for c in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def digit_rows(n, labels=True):
    x = images(n).reshape(n, 784)
    return [[i % 10] * labels + list(x[i]) for i in range(n)]


def test_csv_train_file(tmp_path):
    x, y = load_kaggle_csv(write_csv(tmp_path / "train.csv", digit_rows(3)))
    assert x.dtype == np.uint8 and x.shape == (3, 28, 28) and y.dtype == np.uint8
    np.testing.assert_array_equal(x, images(3))
    np.testing.assert_array_equal(y, [0, 1, 2])


def test_csv_test_file_has_no_labels(tmp_path):
    x, y = load_kaggle_csv(write_csv(tmp_path / "test.csv", digit_rows(2, labels=False), labels=False))
    assert y is None and x.shape == (2, 28, 28)


def test_csv_without_header_row(tmp_path):
    x, y = load_kaggle_csv(write_csv(tmp_path / "train.csv", digit_rows(2), header=False))
    assert x.shape == (2, 28, 28) and list(y) == [0, 1]


def test_csv_row_of_the_wrong_width(tmp_path):
    rows = digit_rows(3)
    rows[1] = rows[1][:-1]
    with pytest.raises(DataError, match="train.csv: line 3 has 784 values, expected 785"):
        load_kaggle_csv(write_csv(tmp_path / "train.csv", rows))


def test_csv_non_numeric_value(tmp_path):
    rows = digit_rows(3)
    rows[2][6] = "abc"
    with pytest.raises(DataError, match="train.csv: line 4, column pixel5: 'abc' is not a number"):
        load_kaggle_csv(write_csv(tmp_path / "train.csv", rows))


@pytest.mark.parametrize("value", [256, -1, 3.5])
def test_csv_pixel_out_of_range(tmp_path, value):
    rows = digit_rows(2)
    rows[0][10] = value
    with pytest.raises(DataError, match=f"line 2, column pixel9: pixel {value:g} is not a whole number from 0 to 255"):
        load_kaggle_csv(write_csv(tmp_path / "train.csv", rows))


def test_csv_bad_label(tmp_path):
    rows = digit_rows(2)
    rows[1][0] = 10
    with pytest.raises(DataError, match="line 3, column label: label 10 is not a whole number from 0 to 9"):
        load_kaggle_csv(write_csv(tmp_path / "train.csv", rows))


def test_csv_wrong_header_and_empty_file(tmp_path):
    (tmp_path / "narrow.csv").write_text("a,b,c\n1,2,3\n")
    with pytest.raises(DataError, match="narrow.csv: line 1 has 3 columns"):
        load_kaggle_csv(tmp_path / "narrow.csv")
    (tmp_path / "empty.csv").write_text("\n\n")
    with pytest.raises(DataError, match="empty.csv: the file is empty"):
        load_kaggle_csv(tmp_path / "empty.csv")


def test_load_dataset_csv_holds_out_a_sixth(tmp_path):
    path = write_csv(tmp_path / "train.csv", digit_rows(12))
    data = load_dataset(f"csv:{path}")
    assert (len(data.x_train), len(data.x_test)) == (10, 2)
    assert list(data.y_test) == [0, 1]  # the *last* rows are the test set
    assert "the last 2 held out as the test set" in data.source
    test_file = write_csv(tmp_path / "test.csv", digit_rows(12, labels=False), labels=False)
    with pytest.raises(DataError, match="test.csv: has no label column"):
        load_dataset(f"csv:{test_file}")


# --- load_dataset and the offline sample ---------------------------------------


def test_load_dataset_from_a_folder(tmp_path):
    write_dataset(tmp_path / "mnist", label=2)
    data = load_dataset("mnist", data_dir=tmp_path)
    assert isinstance(data, Dataset) and data.name == "mnist"
    assert data.source == f"MNIST from {tmp_path / 'mnist'}"
    assert data.class_names == tuple("0123456789")
    write_dataset(tmp_path / "fashion-mnist", label=3)
    fashion = load_dataset("fashion-mnist", data_dir=tmp_path)
    assert set(fashion.y_train) == {3} and fashion.class_names[9] == "Ankle boot"


def test_load_dataset_unknown_name():
    with pytest.raises(DataError, match="cifar: unknown dataset; use mnist, fashion-mnist or csv:PATH"):
        load_dataset("cifar")


def test_no_fallback_means_an_error():
    with pytest.raises(DataUnavailable):
        load_dataset("mnist", allow_download=False, fallback=False)


def test_offline_fallback_to_the_sample():
    data = load_dataset("mnist", allow_download=False)
    assert data.x_train.shape == (6000, 28, 28) and data.x_test.shape == (1000, 28, 28)
    assert data.x_train.dtype == np.uint8 and data.y_train.dtype == np.uint8
    assert "\n" not in data.source
    # why (the download error, in one line), then where the data came from
    assert data.source.startswith("MNIST could not be loaded (MNIST: not found in ")
    assert "downloads are off), so this uses glassnet's offline sample" in data.source
    assert "6,000 MNIST training digits and 1,000 MNIST test digits" in data.source
    assert data.test_set.startswith("1,000 MNIST test digits of glassnet's offline sample")


def test_offline_fallback_says_why_the_download_failed():
    data = load_dataset("mnist")   # the autouse fixture makes every download fail
    assert "\n" not in data.source
    assert "download failed from every mirror" in data.source
    assert "network disabled in tests" in data.source


def test_sample_is_real_digits_split_like_mnist():
    (x_train, y_train), (x_test, y_test) = load_sample()
    assert x_train.shape == (6000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert all(a.dtype == np.uint8 for a in (x_train, y_train, x_test, y_test))
    assert np.bincount(y_train).tolist() == [600] * 10 and np.bincount(y_test).tolist() == [100] * 10
    assert x_train.max() == 255 and 25 < x_train.mean() < 45  # MNIST's mean pixel is about 33
    assert x_train[:, 0, :].max() == 0  # the top row is blank: centred digits, not noise
    assert len(set(y_train[:20].tolist())) > 5  # shuffled, not sorted by class


def test_a_damaged_sample_is_refused(tmp_path):
    from glassnet.datasets.sample import SAMPLE_DIR
    for name in FILES:
        (tmp_path / name).write_bytes((SAMPLE_DIR / name).read_bytes())
    (x_train, y_train), _ = load_sample(tmp_path)
    y_train[0] = (y_train[0] + 1) % 10    # one wrong label
    write_idx(tmp_path / FILES[1], y_train)
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz: not the file glassnet shipped"):
        load_sample(tmp_path)


def test_sample_test_digits_are_mnist_test_digits(shared_data):
    """The point of the sample: its test digits are never MNIST training digits."""
    folder = shared_data / "mnist"
    if not (folder / FILES[0]).is_file():
        pytest.skip(f"real MNIST not found in {folder}")
    (x_train, _), (x_test, _) = mnist.load_data(folder)
    (sample_train, _), (sample_test, _) = load_sample()
    rows = lambda x: {image.tobytes() for image in x}   # noqa: E731
    assert rows(sample_test) <= rows(x_test) and not rows(sample_test) & rows(x_train)
    assert rows(sample_train) <= rows(x_train)


def test_the_sample_script_reproduces_the_shipped_checksums(shared_data):
    import subprocess
    import sys
    from pathlib import Path
    folder = shared_data / "mnist"
    if not (folder / FILES[0]).is_file():
        pytest.skip(f"real MNIST not found in {folder}")
    script = Path(__file__).resolve().parents[1] / "scripts" / "make_offline_sample.py"
    done = subprocess.run([sys.executable, str(script), str(folder), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("(as shipped)") == 4


def test_a_folder_with_no_test_images_is_an_error(tmp_path):
    write_dataset(tmp_path / "empty-test", n_test=0)
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz: holds 0 images"):
        load_dataset("mnist", data_dir=tmp_path / "empty-test")


# --- the real files ---------------------------------------------------------------


def test_real_mnist(shared_data):
    folder = shared_data / "mnist"
    if not (folder / FILES[0]).is_file():
        pytest.skip(f"real MNIST not found in {folder}")
    (x_train, y_train), (x_test, y_test) = mnist.load_data(folder)
    shapes = [a.shape for a in (x_train, y_train, x_test, y_test)]
    assert shapes == [(60000, 28, 28), (60000,), (10000, 28, 28), (10000,)]
    assert all(a.dtype == np.uint8 for a in (x_train, y_train, x_test, y_test))
    # Rebuild the uncompressed files from the arrays: their md5s are the published ones.
    header = raw_idx(0x803, [60000, 28, 28])
    assert hashlib.md5(header + x_train.tobytes()).hexdigest() == "6bbc9ace898e44ae57da46a324031adb"
    labels_file = raw_idx(0x801, [10000]) + y_test.tobytes()
    assert hashlib.md5(labels_file).hexdigest() == "27ae3e4e09519cfbb04c329615203637"
    assert list(y_train[:5]) == [5, 0, 4, 1, 9]


# --- progress while downloading -------------------------------------------------------


def test_download_without_a_terminal_prints_one_plain_line_per_file(tmp_path, monkeypatch, capsys):
    blobs, dataset = served_dataset(tmp_path)
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen(lambda url: blobs[url.rsplit("/", 1)[1]], []))
    load_arrays(dataset)
    err = capsys.readouterr().err
    assert "\r" not in err   # no half-drawn bars in a log
    assert err.count("glassnet: downloaded ") == 4
    assert f"glassnet: downloaded {FILES[0]} (0.0 MB) from https://down.example/mnist/{FILES[0]}" in err


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True

    def fileno(self):
        return 99


@pytest.mark.parametrize("columns, drawn", [(120, True), (0, False), (20, False)])
def test_a_progress_bar_only_where_the_terminal_has_room(monkeypatch, columns, drawn):
    import os
    from glassnet.datasets.progress import progress_bar
    monkeypatch.setattr(os, "get_terminal_size", lambda fd: os.terminal_size((columns, 24)))
    bar = progress_bar(1000, "train.csv", stream=FakeTerminal())
    assert (bar is not None) == drawn
    if bar is not None:
        bar.update(500)
        bar.close()
    assert progress_bar(1000, "train.csv", stream=io.StringIO()) is None   # a pipe or a log
