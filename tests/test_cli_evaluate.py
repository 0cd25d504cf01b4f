"""``glassnet evaluate MODEL``: the first line, the per-class table, confusions and AUC."""

import re

import numpy as np
import pytest

from glassnet.interfaces.cli import main
from glassnet.workbench import metrics, zoo
from tiny_models import tiny_digits, tiny_mlp


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A Kaggle-style train.csv of 600 real digits (the last 100 are the test set) and a model."""
    x_train, y_train, x_test, y_test = tiny_digits(n_train=500, n_test=100)
    folder = tmp_path_factory.mktemp("evaluate")
    csv = folder / "train.csv"
    x, y = np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    np.savetxt(csv, np.c_[y, x.reshape(len(x), -1)], fmt="%d", delimiter=",", header=header, comments="")
    model = tiny_mlp(x_train, y_train, epochs=3)
    model_path = folder / "model.npz"
    model.save(model_path)
    return {"csv": csv, "model": model, "model_path": model_path, "x_test": x_test, "y_test": y_test}


def run(capsys, *argv):
    status = main(["evaluate", *map(str, argv)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_text_report(data, capsys):
    status, out, err = run(capsys, data["model_path"], "--dataset", f"csv:{data['csv']}")
    assert status == 0 and err == ""
    lines = out.splitlines()
    # the first line, as it has always been
    loss, accuracy = data["model"].evaluate(data["x_test"] / 255.0, data["y_test"], verbose=0)
    assert lines[0] == (f"{data['model_path']}: test loss {loss:.4f}, test accuracy {accuracy:.2%} "
                        f"on 100 images held out from {data['csv']} (its last rows)")
    assert lines[1] == f"data: Kaggle CSV {data['csv']}: 500 images for training, the last 100 held out as the test set"
    # the per-digit table: one row per digit, numbers as glassnet.metrics computes them
    header = next(i for i, line in enumerate(lines) if line.startswith("digit"))
    assert lines[header].split() == ["digit", "accuracy", "precision", "recall", "F1", "support", "AUC"]
    rows = [line.split() for line in lines[header + 2:header + 12]]
    assert [row[0] for row in rows] == [str(d) for d in range(10)]
    probs = data["model"].predict(data["x_test"] / 255.0)
    y, pred = data["y_test"], probs.argmax(1)
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        y, pred, num_classes=10, zero_division=np.nan)
    auc = metrics.roc_auc_score(y, probs, average=None)
    for d, row in enumerate(rows):
        expected = [recall[d], precision[d], recall[d], f1[d]]
        for cell, value in zip(row[1:5], expected):
            assert cell == ("-" if np.isnan(value) else f"{value:.2%}")
        assert int(row[5]) == support[d]
        assert row[6] == f"{auc[d]:.4f}"
    assert any(line.startswith("macro avg") for line in lines)
    assert any(line.startswith("weighted avg") for line in lines)
    # the top confusions and the AUC
    top = metrics.most_confused(y, pred, top=5)
    at = lines.index("Top confusions (true → predicted):")
    for (true, predicted, count), line in zip(top, lines[at + 1:]):
        assert re.fullmatch(rf"\s+{true} → {predicted}\s+{count} times?", line)
    assert f"AUC (one-vs-rest, macro): {np.nanmean(auc):.4f}" in out
    assert "Top-2 accuracy" in out


def test_top_option(data, capsys):
    status, out, _ = run(capsys, data["model_path"], "--dataset", f"csv:{data['csv']}", "--top", "2")
    at = out.splitlines().index("Top confusions (true → predicted):")
    assert out.splitlines()[at + 3] == ""


@pytest.mark.parametrize("build, message", [
    (lambda: zoo.classic_mlp(num_classes=5, seed=0),
     "the data has 10 classes but model 'classic_mlp' predicts 5"),
    (lambda: zoo.classic_mlp(input_shape=(14, 14), seed=0),
     r"the images have shape \(28, 28\) but model 'classic_mlp' was built for \(14, 14\)"),
])
def test_data_that_does_not_fit_the_model(data, tmp_path, capsys, build, message):
    model = build()
    model.compile()
    model.build()
    path = tmp_path / "other.npz"
    model.save(path)
    status, out, err = run(capsys, path, "--dataset", f"csv:{data['csv']}")
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("glassnet evaluate: error: ")
    assert re.search(message, err)


def test_a_file_that_is_not_a_model(data, tmp_path, capsys):
    path = tmp_path / "not-a-model.npz"
    path.write_bytes(b"hello")
    status, _, err = run(capsys, path, "--dataset", f"csv:{data['csv']}")
    assert status == 2 and "not a glassnet model file" in err


def test_a_class_missing_from_the_test_set_is_shown_as_undefined(data):
    """Rows for a digit with no test images read '-', and the AUC note says which."""
    from glassnet.interfaces.cli.evaluate import format_report
    from glassnet.workbench.evaluation import evaluate_model
    keep = data["y_test"] != 7
    result = evaluate_model(data["model"], data["x_test"][keep] / 255.0, data["y_test"][keep])
    text = format_report(result)
    row = next(line for line in text.splitlines() if line.startswith("7 "))
    assert row.split()[1] == "-" and row.split()[5] == "0"
    assert "none of 7" in text


def test_data_other_than_the_training_set_is_noted_but_evaluated(data, tmp_path, capsys):
    """A digit model on Fashion-MNIST: the shapes fit, so it runs, but it says so."""
    from glassnet.datasets.idx import write_idx

    folder = tmp_path / "fashion-mnist"   # stand-in files in Fashion-MNIST's layout
    folder.mkdir()
    for split in ("train", "t10k"):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", data["x_test"])
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", data["y_test"])
    path = data["model_path"]   # trained on "mnist", as its settings say
    status, out, err = run(capsys, path, "--dataset", "fashion-mnist", "--data-dir", folder)
    assert status == 0 and out.startswith(f"{path}: test loss")
    assert err == f"note: {path} was trained on mnist; evaluating it on fashion-mnist\n"
    # A CSV may hold digits or clothes: no note.
    status, _, err = run(capsys, path, "--dataset", f"csv:{data['csv']}")
    assert status == 0 and err == ""


def test_offline_the_figure_names_the_sample_test_digits(data, tmp_path, monkeypatch, capsys):
    """No MNIST and no network: the test figure is on the sample's MNIST *test* digits, and says so."""
    monkeypatch.delenv("GLASSNET_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr("urllib.request.urlopen", offline)
    status, out, _ = run(capsys, data["model_path"])
    first, second = out.splitlines()[:2]
    assert status == 0
    assert re.search(r"test accuracy \d+\.\d\d% on 1,000 MNIST test digits of glassnet's offline sample", first)
    assert second.startswith("data: MNIST could not be loaded (") and "network is unreachable" in second
