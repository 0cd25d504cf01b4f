"""`glassnet train` and `glassnet evaluate` end to end, on tiny IDX files written here."""

import numpy as np
import pytest

from glassnet import load_model
from glassnet.datasets.idx import write_idx
from glassnet.interfaces.cli import main


@pytest.fixture
def tiny_mnist(tmp_path):
    """A 'MNIST' folder of 300 training and 100 test digits: bright blocks in 10 places."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "mnist"
    folder.mkdir()

    def images(labels):
        x = (rng.random((len(labels), 28, 28)) * 60).astype(np.uint8)
        for i, label in enumerate(labels):
            r, c = divmod(int(label), 5)
            x[i, 4 + 10 * r:12 + 10 * r, 1 + 5 * c:5 + 5 * c] = 255
        return x

    for split, n in (("train", 300), ("t10k", 100)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", images(labels))
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels)
    return folder


def test_train_then_evaluate(tiny_mnist, tmp_path, capsys):
    out = tmp_path / "model.npz"
    code = main(["train", "--data-dir", str(tiny_mnist), "--epochs", "3", "--batch-size", "16",
                 "--out", str(out), "--verbose", "0", "--seed", "1"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "MNIST" in printed and "test accuracy:" in printed and f"saved the model to {out}" in printed
    model = load_model(out)
    assert model.count_params() == 109_386 and model.epoch == 3
    assert model.settings["arch"] == "mlp" and model.settings["dataset"] == "mnist"
    assert 0.5 < model.settings["test_accuracy"] <= 1

    assert main(["evaluate", str(out), "--data-dir", str(tiny_mnist)]) == 0
    assert "test accuracy" in capsys.readouterr().out


def test_same_seed_same_model(tiny_mnist, tmp_path):
    for name in ("a", "b"):
        main(["train", "--data-dir", str(tiny_mnist), "--epochs", "1", "--verbose", "0",
              "--out", str(tmp_path / f"{name}.npz")])
    a, b = load_model(tmp_path / "a.npz"), load_model(tmp_path / "b.npz")
    np.testing.assert_array_equal(a.weights[0], b.weights[0])


def test_a_corrupt_file_is_one_line_on_stderr_with_status_2(tiny_mnist, tmp_path, capsys):
    (tiny_mnist / "train-images-idx3-ubyte.gz").write_bytes(b"<html>404 Not Found</html>")
    code = main(["train", "--data-dir", str(tiny_mnist), "--epochs", "1", "--out", str(tmp_path / "m.npz")])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "train-images-idx3-ubyte.gz" in lines[0]
    assert "Traceback" not in captured.err


def test_a_model_file_that_is_not_ours(tmp_path, capsys):
    bad = tmp_path / "model.npz"
    bad.write_text("hello")
    assert main(["evaluate", str(bad)]) == 2
    assert "model.npz: not a glassnet model file" in capsys.readouterr().err


def test_an_output_that_cannot_be_written_fails_before_training(tiny_mnist, tmp_path, capsys, monkeypatch):
    def no_data(*args, **kwargs):
        raise AssertionError("loaded the data (and trained) before checking --out")

    monkeypatch.setattr("glassnet.datasets.load_dataset", no_data)
    missing = tmp_path / "missing"
    for option in ("--out", "--augmentation-grid", "--find-lr"):
        assert main(["train", "--data-dir", str(tiny_mnist), option, str(missing / "x.png")]) == 2
        assert f"{missing / 'x.png'}: folder {missing} does not exist" in capsys.readouterr().err
    assert main(["train", "--data-dir", str(tiny_mnist), "--out", str(tmp_path)]) == 2
    assert "is a folder; give a file name" in capsys.readouterr().err
    assert main(["calibrate", str(tmp_path / "m.npz"), "--out", str(missing / "c.npz")]) == 2
    assert "does not exist" in capsys.readouterr().err
    for command in (["train"], ["train", "--task", "numbers"], ["calibrate", str(tmp_path / "m.npz")]):
        assert main([*command, "--data-dir", str(tiny_mnist), "--out", str(tmp_path / "mymodel")]) == 2
        assert "mymodel: glassnet saves a model as .npz" in capsys.readouterr().err


def test_bad_arguments_are_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--epochs", "0"])
    assert exit_info.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_offline_fallback_says_so(tmp_path, monkeypatch, capsys):
    """No MNIST anywhere and no network: train on the shipped sample, and say it in one line."""
    monkeypatch.delenv("GLASSNET_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr("urllib.request.urlopen", offline)
    code = main(["train", "--epochs", "1", "--verbose", "0", "--out", str(tmp_path / "m.npz")])
    out = capsys.readouterr().out
    assert code == 0
    assert "MNIST could not be loaded (" in out and "network is unreachable" in out
    assert "glassnet's offline sample" in out and "1,000 MNIST test digits" in out


@pytest.mark.parametrize("recipe, batch_size", [("best-mlp", 16), ("best-mlp", 64)])
def test_a_recipes_schedule_is_sized_by_the_batch_size_it_trains_with(tiny_mnist, tmp_path, recipe, batch_size):
    """The one-cycle schedule must end exactly where training ends, whatever --batch-size says."""
    out = tmp_path / "r.npz"
    assert main(["train", "--data-dir", str(tiny_mnist), "--recipe", recipe, "--epochs", "2", "--batch-size",
                 str(batch_size), "--verbose", "0", "--out", str(out)]) == 0
    model = load_model(out)
    expected = -(-300 // batch_size) * 2                  # no validation split in the recipes
    assert model.optimizer.schedule.total_steps == expected == model.optimizer.iterations


def test_a_diverging_run_is_not_saved_in_silence(tiny_mnist, tmp_path, capsys):
    out = tmp_path / "m.npz"
    code = main(["train", "--data-dir", str(tiny_mnist), "--epochs", "2", "--lr", "1e6", "--verbose", "0",
                 "--out", str(out)])
    captured = capsys.readouterr()
    assert code != 0
    said = captured.out + captured.err
    assert "warning: the loss rose from" in said or "loss became" in said
    with pytest.raises(SystemExit):
        main(["train", "--lr", "inf"])
