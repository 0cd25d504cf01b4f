"""keras.datasets' imdb, reuters and boston_housing: Keras's arrays from its files, read
safely (no network: the files are made here, laid out as Keras's)."""

import io
import os
import pickle
import zipfile

import numpy as np
import pytest

from glassnet.datasets import boston_housing, california_housing, imdb, reuters
from glassnet.errors import DataError


def ragged(lists):
    array = np.empty(len(lists), dtype=object)
    array[:] = lists
    return array


@pytest.fixture
def fake_imdb(tmp_path):
    """An imdb.npz laid out as Keras's: reviews of word ranks (object arrays) and 0/1 labels."""
    rng = np.random.default_rng(0)
    reviews = [list(map(int, rng.integers(1, 60, rng.integers(3, 25)))) for _ in range(30)]
    labels = rng.integers(0, 2, 30)
    path = tmp_path / "imdb.npz"
    np.savez(path, x_train=ragged(reviews[:18]), y_train=labels[:18], x_test=ragged(reviews[18:]),
             y_test=labels[18:])
    return path, reviews, labels


OPTIONS = [{}, {"num_words": 20}, {"num_words": 30, "skip_top": 5}, {"maxlen": 15},
           {"start_char": None, "index_from": 0}, {"oov_char": None, "num_words": 25}, {"seed": 7}]


@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_the_same_arrays_as_keras_from_the_same_file(fake_imdb, monkeypatch, options):
    keras_imdb = pytest.importorskip("keras.src.datasets.imdb")
    path, _, _ = fake_imdb
    monkeypatch.setattr(keras_imdb, "get_file", lambda *args, **kwargs: str(path))   # no download
    (kx, ky), (kx_test, ky_test) = keras_imdb.load_data(**options)
    (x, y), (x_test, y_test) = imdb.load_data(path, **options)
    assert x.dtype == object and [list(r) for r in x] == [list(r) for r in kx]
    assert [list(r) for r in x_test] == [list(r) for r in kx_test]
    np.testing.assert_array_equal(y, ky)
    np.testing.assert_array_equal(y_test, ky_test)


def test_reviews_start_with_start_char_and_rare_words_become_oov(fake_imdb):
    path, reviews, _ = fake_imdb
    (x, y), (x_test, _) = imdb.load_data(path, num_words=20)
    assert len(x) == 18 and len(x_test) == 12 and y.dtype.kind == "i"
    assert all(r[0] == 1 and max(r) < 20 for r in x)
    words = sorted(w for r in reviews[:18] for w in r)
    assert sorted(w for r in x for w in r[1:] if w != 2) == sorted(w + 3 for w in words if w + 3 < 20)
    with pytest.raises(ValueError, match="no review is shorter than maxlen=2"):
        imdb.load_data(path, maxlen=2)


class Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_a_tampered_file_is_refused_not_run_and_a_broken_one_is_one_line(tmp_path):
    evil = io.BytesIO()
    np.lib.format.write_array_header_1_0(evil, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    evil.write(pickle.dumps(Boom()))
    with zipfile.ZipFile(tmp_path / "imdb.npz", "w") as archive:
        archive.writestr("x_train.npy", evil.getvalue())
    with pytest.raises(DataError, match=r"imdb.npz: it asks for posix.system.*refused, not run"):
        imdb.load_data(tmp_path / "imdb.npz")
    np.savez(tmp_path / "other.npz", x_train=np.zeros(3))
    with pytest.raises(DataError, match="holds no y_train array"):
        imdb.load_data(tmp_path / "other.npz")
    (tmp_path / "cut.npz").write_bytes(b"PK\x03\x04 not much of a zip")
    with pytest.raises(DataError, match="cut.npz: not a readable .npz file"):
        imdb.load_data(tmp_path / "cut.npz")
    with pytest.raises(DataError, match="no such file, nor a folder holding imdb.npz"):
        imdb.load_data(tmp_path / "nowhere")


def test_the_word_index_and_where_it_looked(tmp_path, monkeypatch):
    (tmp_path / "imdb_word_index.json").write_text('{"the": 1, "and": 2}')
    assert imdb.get_word_index(tmp_path / "imdb_word_index.json") == {"the": 1, "and": 2}
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("GLASSNET_DATA", raising=False)
    with pytest.raises(DataError, match="IMDB: imdb.npz not found in .*cache.*downloads are off"):
        imdb.load_data(allow_download=False)


@pytest.fixture
def fake_reuters(tmp_path):
    rng = np.random.default_rng(1)
    texts = ragged([list(map(int, rng.integers(1, 80, rng.integers(2, 30)))) for _ in range(40)])
    path = tmp_path / "reuters.npz"
    np.savez(path, x=texts, y=rng.integers(0, 46, 40))
    return path


REUTERS_OPTIONS = [{}, {"num_words": 25}, {"maxlen": 12, "test_split": 0.3}, {"skip_top": 4, "oov_char": None},
                   {"seed": 5, "index_from": 0}]


@pytest.mark.parametrize("options", REUTERS_OPTIONS, ids=[str(o) for o in REUTERS_OPTIONS])
def test_reuters_gives_kerass_arrays(fake_reuters, monkeypatch, options):
    keras_reuters = pytest.importorskip("keras.src.datasets.reuters")
    monkeypatch.setattr(keras_reuters, "get_file", lambda *args, **kwargs: str(fake_reuters))
    (kx, ky), (kx_test, ky_test) = keras_reuters.load_data(**options)
    (x, y), (x_test, y_test) = reuters.load_data(fake_reuters, **options)
    assert [list(r) for r in x] == [list(r) for r in kx] and [list(r) for r in x_test] == [list(r) for r in kx_test]
    np.testing.assert_array_equal(y, ky)
    np.testing.assert_array_equal(y_test, ky_test)
    assert len(reuters.get_label_names()) == 46 == len(keras_reuters.get_label_names())
    assert reuters.get_label_names() == keras_reuters.get_label_names()


def test_reuters_without_keras(fake_reuters):
    (x, y), (x_test, y_test) = reuters.load_data(fake_reuters, num_words=30)
    assert len(x) == 32 and len(x_test) == 8 and all(r[0] == 1 and max(r) < 30 for r in x)
    assert set(np.concatenate([y, y_test])) <= set(range(46))


@pytest.mark.parametrize("options", [{}, {"test_split": 0.5, "seed": 3}])
def test_boston_housing_gives_kerass_arrays(tmp_path, monkeypatch, options):
    rng = np.random.default_rng(2)
    path = tmp_path / "boston_housing.npz"
    np.savez(path, x=rng.random((50, 13)), y=rng.random(50) * 50)
    (x, y), (x_test, y_test) = boston_housing.load_data(path, **options)
    assert x.shape == (int(50 * (1 - options.get("test_split", 0.2))), 13) and len(x) + len(x_test) == 50
    keras_boston = pytest.importorskip("keras.src.datasets.boston_housing")
    monkeypatch.setattr(keras_boston, "get_file", lambda *args, **kwargs: str(path))
    for ours, theirs in zip((x, y, x_test, y_test), [a for pair in keras_boston.load_data(**options) for a in pair]):
        np.testing.assert_array_equal(ours, theirs)
    with pytest.raises(ValueError, match=r"test_split must be in \[0, 1\)"):
        boston_housing.load_data(path, test_split=1.0)


@pytest.mark.parametrize("options", [{}, {"version": "small", "seed": 4}, {"version": "small", "test_split": 0.1}])
def test_california_housing_gives_kerass_arrays(tmp_path, monkeypatch, options):
    rng = np.random.default_rng(5)
    path = tmp_path / "california_housing.npz"
    np.savez(path, x=rng.random((700, 8)), y=rng.random(700) * 5e5)
    (x, y), (x_test, y_test) = california_housing.load_data(path=path, **options)
    rows = 600 if options.get("version") == "small" else 700
    assert x.shape[1] == 8 and len(x) + len(x_test) == rows == len(y) + len(y_test)
    with pytest.raises(ValueError, match='version must be "large" or "small"'):
        california_housing.load_data("medium", path=path)
    keras_california = pytest.importorskip("keras.src.datasets.california_housing")
    monkeypatch.setattr(keras_california, "get_file", lambda *args, **kwargs: str(path))
    for ours, theirs in zip((x, y, x_test, y_test), [a for pair in keras_california.load_data(**options) for a in pair]):
        np.testing.assert_array_equal(ours, theirs)
