"""The not-a-digit detector at training time, ``glassnet calibrate MODEL``, and
``glassnet train --resume MODEL --extra-data DIR`` (issue 15), on glassnet's offline MNIST
sample (6,000 training and 1,000 test digits, shipped in the package: no network)."""

import shutil
from pathlib import Path

import numpy as np
import pytest

import glassnet.datasets
from glassnet import load_model
from glassnet.interfaces.cli import calibrate, main

SAMPLE = Path(glassnet.datasets.__file__).parent / "mnist_sample"


@pytest.fixture(autouse=True)
def small_calibration(tmp_path, monkeypatch):
    """A few hundred non-digits and photos instead of 4,000 and 3,000, made in a cache
    folder of the test's own (not the user's ~/.cache)."""
    monkeypatch.setattr(calibrate, "NONDIGITS", 200)
    monkeypatch.setattr(calibrate, "PHOTOS", 150)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_train_fits_a_detector_on_the_validation_split(tmp_path, capsys):
    out = tmp_path / "mlp.npz"
    assert main(["train", "--data-dir", str(SAMPLE), "--epochs", "1", "--verbose", "0",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "fitting the not-a-digit detector on its validation split (1,200 MNIST training digits" in printed
    assert "not-a-digit detector: refuses " in printed and "making 200 pictures that are not digits" in printed
    detector = load_model(out).settings["novelty"]
    assert detector["means"].dtype == np.float32 and detector["means"].shape == (10, 784)
    assert all(w.dtype == np.float32 for w in detector["probe"])
    assert detector["info"]["held_out"].startswith("its validation split")
    assert np.isfinite(detector["threshold"])
    # The second time, the non-digits come from the cache: nothing to make.
    assert main(["train", "--data-dir", str(SAMPLE), "--epochs", "1", "--verbose", "0",
                 "--out", str(out)]) == 0
    assert "making" not in capsys.readouterr().out


def test_too_few_held_out_digits_get_a_note_and_no_detector(tmp_path, capsys):
    from glassnet.datasets.idx import write_idx
    rng = np.random.default_rng(0)
    folder = tmp_path / "mnist"
    folder.mkdir()
    for split, n in (("train", 200), ("t10k", 50)):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 255, (n, 28, 28)).astype(np.uint8))
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", (np.arange(n) % 10).astype(np.uint8))
    out = tmp_path / "m.npz"
    assert main(["train", "--data-dir", str(folder), "--epochs", "1", "--verbose", "0", "--out", str(out)]) == 0
    assert "note: no not-a-digit detector: its validation split (40 MNIST" in capsys.readouterr().out
    assert "novelty" not in load_model(out).settings


def test_calibrate_adds_a_detector_to_a_model_saved_without_one(tiny_digit_model, tmp_path, capsys):
    from PIL import Image

    from glassnet.datasets.nondigits import make_nondigits
    model = tmp_path / "tiny.npz"
    shutil.copy(tiny_digit_model, model)
    assert main(["calibrate", str(model), "--data-dir", str(SAMPLE)]) == 0
    printed = capsys.readouterr().out
    assert "the 1,000 MNIST test digits (it trained on every training digit)" in printed
    assert f"saved the model, with its detector, to {model}" in printed
    settings = load_model(model).settings
    assert settings["novelty"]["info"]["held_out"].startswith("the 1,000 MNIST test digits")
    static = tmp_path / "static.png"
    Image.fromarray(255 - make_nondigits(1, seed=5, kinds=("noise",)).images[0]).save(static)
    assert main(["predict", str(model), str(static)]) == 0
    captured = capsys.readouterr()
    assert "that doesn't look like a digit" in captured.out and captured.err == ""


def test_calibrate_refuses_a_model_of_other_things(tiny_digit_model, tmp_path, capsys):
    model = load_model(tiny_digit_model)
    model.settings["dataset"] = "fashion-mnist"
    model.save(tmp_path / "fashion.npz")
    assert main(["calibrate", str(tmp_path / "fashion.npz")]) == 2
    err = capsys.readouterr().err
    assert "trained on fashion-mnist, not on digits" in err and len(err.strip().splitlines()) == 1


# -- teach it your handwriting: glassnet train --resume MODEL --extra-data DIR --------------
@pytest.fixture
def your_digits(tmp_path):
    """Three digits of each class in the made-up writer's hand, saved as the page saves them."""
    from glassnet.datasets.writer import writer_digits
    from glassnet.workbench.handwriting import save_user_digit
    x, y = writer_digits(per_digit=3, seed=0)
    folder = tmp_path / "digits"
    for image, label in zip(x, y):
        save_user_digit(folder, 255 - np.round(255 * image).astype(np.uint8), label)   # dark on light
    return folder


def test_extra_data_fine_tunes_on_your_digits(tiny_digit_model, your_digits, tmp_path, capsys):
    model = tmp_path / "tiny.npz"
    shutil.copy(tiny_digit_model, model)
    before = load_model(model)
    assert main(["train", "--resume", str(model), "--extra-data", str(your_digits), "--data-dir", str(SAMPLE),
                 "--verbose", "0", "--epochs", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith(f"your digits: 30 pictures in {your_digits} (0: 3, 1: 3,") for line in lines)
    right = {line.split(":")[0]: int(line.split()[1]) for line in lines if line.startswith(("before:", "after:"))}
    assert right["after"] > right["before"] and right["after"] >= 27
    after = load_model(model)
    assert after.epoch == before.epoch + 2                  # two more epochs in the model's count
    assert after.settings["extra_data"] == str(your_digits) and after.settings["finetuned_on"] == 30
    assert after.settings["validation_split"] == before.settings["validation_split"]
    assert "novelty" in after.settings and 0.5 < after.settings["test_accuracy"] <= 1


def test_extra_data_needs_a_model_to_resume(your_digits, capsys):
    assert main(["train", "--extra-data", str(your_digits), "--data-dir", str(SAMPLE)]) == 2
    assert "--extra-data fine-tunes a trained model: give it with --resume MODEL" in capsys.readouterr().err
