"""Kaggle's Digit Recognizer, end to end: train.csv -> model -> test.csv -> submission.csv.

The CSVs are small and generated here, in Kaggle's layout, from glassnet's offline MNIST
sample; some are saved as a spreadsheet would save them (UTF-8 byte-order mark, \\r\\n line
ends, numbers in quotes).
"""

import gzip
import os

import numpy as np
import pytest

from glassnet.datasets import load_kaggle_csv, load_sample, read_kaggle_csv_chunks, write_submission
from glassnet.datasets.kaggle_csv import UnlabeledCSV
from glassnet.errors import DataError, GlassnetError, transposed_hint
from glassnet.interfaces.cli import main

HEADER = ["label"] + [f"pixel{i}" for i in range(784)]


def kaggle_text(x, y=None, bom=False, crlf=False, quoted=False):
    """A CSV in Kaggle's layout: a header, then one row per image (label first if given)."""
    table = x.reshape(len(x), -1).astype(int)
    names = HEADER if y is not None else HEADER[1:]
    if y is not None:
        table = np.c_[y, table]
    cell = '"{}"'.format if quoted else str
    lines = [",".join(names)] + [",".join(cell(v) for v in row) for row in table]
    end = "\r\n" if crlf else "\n"
    return ("\ufeff" if bom else "") + end.join(lines) + end


@pytest.fixture(scope="module")
def kaggle(tmp_path_factory):
    """train.csv (600 digits, spreadsheet-style), test.csv (150 digits, no labels), a model."""
    (x_train, y_train), (x_test, _) = load_sample()
    folder = tmp_path_factory.mktemp("kaggle")
    train = folder / "train.csv"
    train.write_bytes(kaggle_text(x_train[:600], y_train[:600], bom=True, crlf=True, quoted=True).encode())
    test = folder / "test.csv"
    test.write_text(kaggle_text(x_test[:150]))
    model_path = folder / "digits.npz"
    status = main(["train", "--dataset", f"csv:{train}", "--epochs", "2", "--verbose", "0",
                   "--out", str(model_path)])
    assert status == 0
    return {"train": train, "test": test, "model": model_path, "x_test": x_test[:150],
            "x_train": x_train[:600], "y_train": y_train[:600], "folder": folder}


# -- reading what spreadsheets write -----------------------------------------------------
def test_bom_crlf_and_quoted_numbers_read_like_a_plain_file(kaggle, tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text(kaggle_text(kaggle["x_train"], kaggle["y_train"]))
    x, y = load_kaggle_csv(kaggle["train"])
    x_plain, y_plain = load_kaggle_csv(plain)
    np.testing.assert_array_equal(x, kaggle["x_train"])
    np.testing.assert_array_equal(y, kaggle["y_train"])
    np.testing.assert_array_equal(x, x_plain)
    np.testing.assert_array_equal(y, y_plain)


def test_gzip_and_blank_lines(kaggle, tmp_path):
    text = kaggle_text(kaggle["x_test"][:5]).replace("\n", "\n\n", 2)
    path = tmp_path / "test.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    x, y = load_kaggle_csv(path)
    assert y is None
    np.testing.assert_array_equal(x, kaggle["x_test"][:5])


def test_chunks_are_in_order_and_errors_name_the_file_line(kaggle, tmp_path):
    chunks = list(read_kaggle_csv_chunks(kaggle["train"], chunk_rows=128))
    assert [len(x) for x, _ in chunks] == [128, 128, 128, 128, 88]
    np.testing.assert_array_equal(np.concatenate([y for _, y in chunks]), kaggle["y_train"])
    # a bad value far into the file, after a blank line and several chunks: its own line number
    lines = kaggle_text(kaggle["x_train"], kaggle["y_train"], crlf=True).split("\r\n")
    cells = lines[400].split(",")
    cells[101] = "12x"
    lines[400] = ",".join(cells)
    lines.insert(10, "")
    path = tmp_path / "train.csv"
    path.write_bytes("\r\n".join(lines).encode())
    with pytest.raises(DataError, match=r"train.csv: line 402, column pixel100: '12x' is not a number$"):
        for _ in read_kaggle_csv_chunks(path, chunk_rows=64):
            pass


@pytest.mark.parametrize("mutate, message", [
    (lambda cells: cells.__setitem__(5, ""), "line 3, column pixel4: '' is not a number"),
    (lambda cells: cells.__setitem__(0, '"12"'), "line 3, column label: label 12 is not a whole number"),
    (lambda cells: cells.append("7"), "line 3 has 786 values, expected 785"),
    (lambda cells: cells.__setitem__(9, "#1"), "line 3, column pixel8: '#1' is not a number"),
])
def test_one_line_errors(kaggle, tmp_path, mutate, message):
    lines = kaggle_text(kaggle["x_train"][:4], kaggle["y_train"][:4]).splitlines()
    cells = lines[2].split(",")
    mutate(cells)
    lines[2] = ",".join(cells)
    path = tmp_path / "train.csv"
    path.write_text("\n".join(lines))
    with pytest.raises(DataError) as caught:
        load_kaggle_csv(path)
    assert str(caught.value) == f"{path}: {message}" or message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_files_that_are_not_csvs(tmp_path):
    long_line = tmp_path / "long.csv"
    long_line.write_text("1" * 100_000)
    with pytest.raises(DataError, match="long.csv: line 1 is longer than 65,536 characters"):
        load_kaggle_csv(long_line)
    binary = tmp_path / "photo.csv"
    binary.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(DataError, match="photo.csv: line 1 has"):
        load_kaggle_csv(binary)
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(gzip.compress(b"label,pixel0\n" * 1000)[:200])
    with pytest.raises(DataError, match="broken.csv.gz: "):
        load_kaggle_csv(broken)


def test_labels_required_fails_on_the_first_line(kaggle):
    with pytest.raises(UnlabeledCSV, match="test.csv: has no label column"):
        load_kaggle_csv(kaggle["test"], require_labels=True)


# -- the submission ------------------------------------------------------------------------
def test_write_submission_format(tmp_path):
    path = tmp_path / "submission.csv"
    assert write_submission(np.array([7, 2, 1]), path) == 3
    assert path.read_bytes() == b"ImageId,Label\n1,7\n2,2\n3,1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["submission.csv"]   # no temporary file left
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask   # an ordinary file, not a private one


def test_predict_csv_writes_the_models_predictions(kaggle, capsys):
    from glassnet import load_model

    out = kaggle["folder"] / "submission.csv"
    status = main(["predict", str(kaggle["model"]), "--csv", str(kaggle["test"]), "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 0
    assert printed.strip() == f"wrote 150 rows to {out} (ImageId,Label) from {kaggle['test']}"
    lines = out.read_text().splitlines()
    assert lines[0] == "ImageId,Label" and len(lines) == 151
    ids, labels = np.array([line.split(",") for line in lines[1:]], dtype=int).T
    np.testing.assert_array_equal(ids, np.arange(1, 151))
    model = load_model(kaggle["model"])
    expected = model.predict(kaggle["x_test"] / 255.0).argmax(axis=1)
    np.testing.assert_array_equal(labels, expected)
    assert (labels == load_sample()[1][1][:150]).mean() > 0.6   # and the model has learned something


def test_predict_csv_from_python(kaggle, tmp_path):
    from glassnet import load_model
    from glassnet.workbench.kaggle import predict_csv

    model = load_model(kaggle["model"])
    assert predict_csv(model, kaggle["test"], tmp_path / "s.csv") == 150
    assert (tmp_path / "s.csv").read_text() == (kaggle["folder"] / "submission.csv").read_text()


def test_evaluate_on_a_train_csv_and_on_a_test_csv(kaggle, capsys):
    assert main(["evaluate", str(kaggle["model"]), "--dataset", f"csv:{kaggle['train']}"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "test accuracy" in first and f"on 100 images held out from {kaggle['train']}" in first
    assert main(["evaluate", str(kaggle["model"]), "--dataset", f"csv:{kaggle['test']}"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "has no label column" in err
    assert f"glassnet predict {kaggle['model']} --csv {kaggle['test']} --out submission.csv" in err


@pytest.mark.parametrize("argv, message", [
    (["seven.png", "--csv", "test.csv"], "either images or --csv, not both"),
    ([], "give one or more images, or --csv"),
    (["seven.png", "--out", "s.csv"], "--out is for --csv"),
])
def test_predict_argument_combinations(kaggle, capsys, argv, message):
    assert main(["predict", str(kaggle["model"]), *argv]) == 2
    assert message in capsys.readouterr().err


def test_a_dataset_kept_one_column_per_image_gets_the_hint():
    assert transposed_hint((784, 41000), (28, 28)) == "got (784, 41000): one column per image? pass x.T"
    assert transposed_hint((41000, 784), (784,)) == ""
    assert transposed_hint((784, 784), (784,)) == ""   # square: can't tell, so no guess
    assert issubclass(UnlabeledCSV, GlassnetError)


@pytest.mark.parametrize("drop, message", [
    (lambda cells: cells.pop(300), "line 1 has 'label' and 783 pixel columns: one pixel column is missing"),
    (lambda cells: cells.__setitem__(slice(1, 3), [cells[2], cells[1]]), "column 2 is 'pixel1', expected 'pixel0'"),
])
def test_a_header_that_lost_or_swapped_a_pixel_column_is_refused(kaggle, tmp_path, drop, message):
    """784 columns would otherwise read as a test file, the labels taken for pixel0."""
    lines = kaggle_text(kaggle["x_train"][:4], kaggle["y_train"][:4]).splitlines()
    for i, line in enumerate(lines):
        cells = line.split(",")
        drop(cells)
        lines[i] = ",".join(cells)
    path = tmp_path / "train.csv"
    path.write_text("\n".join(lines))
    with pytest.raises(DataError, match=message):
        load_kaggle_csv(path)
