"""keras.utils.get_file: downloaded once into Keras's cache folder, checked, unpacked with
Keras's names (file:// URLs, so nothing leaves the machine)."""

import hashlib
import io
import tarfile
import zipfile

import pytest

import glassnet as keras
from glassnet.datasets.download import DataUnavailable


def _tar_of_photos(path):
    """A .tgz of ``flower_photos/daisy/1.txt``, as the flowers tutorial downloads it."""
    with tarfile.open(path, "w:gz") as tar:
        data = b"a daisy"
        info = tarfile.TarInfo("flower_photos/daisy/1.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def test_a_file_is_downloaded_once_into_the_cache_and_checked(tmp_path, capsys):
    source = tmp_path / "web" / "auto-mpg.data"
    source.parent.mkdir()
    source.write_bytes(b"18.0 8 307.0\n")
    url = source.as_uri()
    cache = tmp_path / "cache"
    path = keras.utils.get_file("auto-mpg.data", url, cache_dir=cache)
    assert path == str(cache / "datasets" / "auto-mpg.data") and open(path, "rb").read() == b"18.0 8 307.0\n"
    assert f"Downloading data from {url}" in capsys.readouterr().out
    source.write_bytes(b"changed")                             # cached: not downloaded again
    assert open(keras.utils.get_file("auto-mpg.data", url, cache_dir=cache), "rb").read() == b"18.0 8 307.0\n"
    sha256 = hashlib.sha256(b"changed").hexdigest()           # stale by its hash: downloaded again
    assert open(keras.utils.get_file(origin=url, file_hash=sha256, cache_dir=cache), "rb").read() == b"changed"
    with pytest.raises(DataUnavailable, match="differs from the published"):
        keras.utils.get_file("other.data", url, file_hash="0" * 32, cache_dir=cache)
    assert not (cache / "datasets" / "other.data").exists()
    with pytest.raises(DataUnavailable, match="could not download .*missing.data"):
        keras.utils.get_file("missing.data", (tmp_path / "missing.data").as_uri(), cache_dir=cache)


def test_an_archive_is_unpacked_where_keras_puts_it(tmp_path):
    url = _tar_of_photos(tmp_path / "flower_photos.tgz").as_uri()
    cache = tmp_path / "cache"
    folder = keras.utils.get_file("flower_photos", origin=url, untar=True, cache_dir=cache)
    assert folder == str(cache / "datasets" / "flower_photos")
    assert (cache / "datasets" / "flower_photos_archive").is_file()
    assert (cache / "datasets" / "flower_photos" / "flower_photos" / "daisy" / "1.txt").read_bytes() == b"a daisy"
    named = keras.utils.get_file("flowers.tgz", origin=url, extract=True, cache_dir=cache)
    assert named == str(cache / "datasets" / "flowers_extracted")
    zipped = tmp_path / "cats.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("cats/1.txt", "a cat")
    folder = keras.utils.get_file("cats.zip", origin=zipped.as_uri(), extract=True, cache_dir=cache)
    assert (tmp_path / "cache" / "datasets" / "cats_extracted" / "cats" / "1.txt").read_text() == "a cat"
    with pytest.raises(ValueError, match="origin= .* is required"):
        keras.utils.get_file("x")


def test_an_archive_that_would_write_outside_its_folder_is_refused(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../escaped.txt", "boo")
    with pytest.raises(DataUnavailable, match="would be written outside"):
        keras.utils.get_file("evil.zip", origin=evil.as_uri(), extract=True, cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache" / "escaped.txt").exists()
