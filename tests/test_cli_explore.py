"""``glassnet explore``: the dataset explorer pictures, written to a folder."""

import numpy as np
import pytest
from PIL import Image

from glassnet.interfaces.cli import main
from tiny_models import tiny_digits


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    x, y, _, _ = tiny_digits(n_train=240, n_test=0)
    path = tmp_path_factory.mktemp("explore") / "train.csv"
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    np.savetxt(path, np.c_[y, x.reshape(len(x), -1)], fmt="%d", delimiter=",", header=header, comments="")
    return path


def test_writes_the_four_pictures(csv, tmp_path, capsys):
    out = tmp_path / "pictures"  # created: its parent exists
    assert main(["explore", "--dataset", f"csv:{csv}", "--out", str(out), "--split", "test"]) == 0
    printed = capsys.readouterr().out
    assert "wrote 4 pictures of 40" in printed
    for name in ("samples", "class_counts", "mean_images", "pixel_histogram"):
        with Image.open(out / f"{name}.png") as png:
            assert png.format == "PNG" and png.size[0] >= 600
        assert str(out / f"{name}.png") in printed


def test_an_output_folder_that_cannot_be_made(csv, tmp_path, capsys):
    out = tmp_path / "missing" / "pictures"
    assert main(["explore", "--dataset", f"csv:{csv}", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"folder {out.parent} does not exist" in err
