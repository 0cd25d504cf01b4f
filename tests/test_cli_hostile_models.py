"""The command line given broken or hand-edited model files: one line naming the file, never
a traceback, never a NaN printed as a result.

* a model whose weights make its outputs NaN (a finite kernel of 3e38 overflows);
* a not-a-digit detector (``settings["novelty"]``) edited by hand;
* a model built for flat rows (``Input(shape=(784,))``), which ``evaluate`` and ``report``
  read as ``predict`` does.
"""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from glassnet import load_model
from glassnet.interfaces.cli import main
from tiny_models import tiny_digits

BROKEN = ("its outputs are not finite numbers (NaN or infinity) for {what}; its weights are broken "
          "or too large (retrain it)")


def run(capsys, *argv):
    """``glassnet ARGV`` -> ``(status, stdout, stderr lines that are not notes)``."""
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if not line.startswith("note:")]
    return status, captured.out, errors


@pytest.fixture(scope="module")
def seven(tmp_path_factory):
    """A drawn 7: dark ink on light paper."""
    path = tmp_path_factory.mktemp("images") / "seven.png"
    page = Image.new("L", (280, 280), 235)
    ImageDraw.Draw(page).line([(80, 60), (200, 60), (120, 230)], fill=30, width=22, joint="curve")
    page.save(path)
    return str(path)


@pytest.fixture(scope="module")
def broken_model(tiny_digit_model, tmp_path_factory):
    """The tiny MLP with its first kernel set to 3e38: finite weights, NaN outputs."""
    model = load_model(tiny_digit_model)
    weights = model.get_weights()
    weights[0] = np.full_like(weights[0], 3e38)
    model.set_weights(weights)
    path = tmp_path_factory.mktemp("broken") / "broken.npz"
    model.save(path)
    return str(path)


@pytest.fixture(scope="module")
def csv_data(tmp_path_factory):
    """A Kaggle-style train.csv of 600 real digits (the last 100 are the test set)."""
    x_train, y_train, x_test, y_test = tiny_digits(n_train=500, n_test=100)
    x, y = np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])
    path = tmp_path_factory.mktemp("csv") / "train.csv"
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    np.savetxt(path, np.c_[y, x.reshape(len(x), -1)], fmt="%d", delimiter=",", header=header, comments="")
    return {"csv": path, "x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


# -- 1. NaN outputs stop every command, naming the model file ---------------------------------
@pytest.mark.parametrize("json", [False, True])
def test_predict_stops_on_nan_outputs(broken_model, seven, capsys, json):
    status, out, errors = run(capsys, "predict", broken_model, seven, *(["--json"] if json else []))
    assert status == 2 and out == ""                    # no "nan%", no JSON with NaN in it
    assert errors == [f"glassnet predict: error: {broken_model}: {BROKEN.format(what=seven)}"]


def test_predict_csv_stops_on_nan_outputs(broken_model, csv_data, tmp_path, capsys):
    test_csv = tmp_path / "test.csv"
    pixels = csv_data["x_test"][:5].reshape(5, -1)
    np.savetxt(test_csv, pixels, fmt="%d", delimiter=",", comments="",
               header=",".join(f"pixel{i}" for i in range(784)))
    out_csv = tmp_path / "submission.csv"
    status, _, errors = run(capsys, "predict", broken_model, "--csv", test_csv, "--out", out_csv)
    assert status == 2 and not out_csv.exists()         # not a column of 0s
    assert errors == [f"glassnet predict: error: {broken_model}: "
                      f"{BROKEN.format(what=f'the images of {test_csv}')}"]


def test_read_stops_on_nan_outputs(broken_model, seven, capsys):
    status, out, errors = run(capsys, "read", broken_model, seven)
    assert status == 2 and out == ""
    assert errors == [f"glassnet read: error: {broken_model}: {BROKEN.format(what=seven)}"]


@pytest.mark.parametrize("command", ["evaluate", "report"])
def test_evaluate_and_report_name_the_model_file(broken_model, csv_data, tmp_path, capsys, command):
    out = ["--out", tmp_path / "report.html"] if command == "report" else []
    status, stdout, errors = run(capsys, command, broken_model, "--dataset", f"csv:{csv_data['csv']}", *out)
    assert status == 2 and "nan" not in stdout          # no "test loss nan" line first
    test_set = f"the 100 images held out from {csv_data['csv']} (its last rows)"
    assert errors == [f"glassnet {command}: error: {broken_model}: {BROKEN.format(what=test_set)}"]


@pytest.mark.parametrize("suffix", [".onnx", ".keras"])
def test_export_refuses_a_model_with_nan_outputs(broken_model, tmp_path, capsys, suffix):
    out = tmp_path / f"broken{suffix}"
    status, stdout, errors = run(capsys, "export", broken_model, out)
    assert status == 2 and stdout == "" and not out.exists()
    assert errors == [f"glassnet export: error: {broken_model}: "
                      f"{BROKEN.format(what='64 random inputs (uniform in [0, 1))')}"]


def test_export_check_fails_when_the_difference_is_nan(tiny_digit_model, tmp_path, capsys, monkeypatch):
    pytest.importorskip("onnxruntime")
    from glassnet.interop import onnx_export

    monkeypatch.setattr(onnx_export, "largest_difference", lambda *args: float("nan"))
    out = tmp_path / "tiny.onnx"
    status, stdout, errors = run(capsys, "export", tiny_digit_model, out)
    assert status == 2 and "checked with" not in stdout and not out.exists()
    assert len(errors) == 1
    assert errors[0].startswith(f"glassnet export: error: {out}: checked with ONNX Runtime")
    assert "differ from glassnet's by nan (not a finite number)" in errors[0]


# -- 2. a hand-edited not-a-digit detector is one line naming the file and the setting ----------
def _scaled(name, factor):
    def edit(novelty):
        novelty[name] = novelty[name] * factor
    return edit


DAMAGED = {
    "means of the wrong shape": (lambda n: n.update(means=n["means"][:3, :3]),
                                 "'means' has shape (3, 3): 3 pixels, but a 28x28 picture has 784"),
    "a threshold that is text": (lambda n: n.update(threshold="high"), "'threshold' is 'high', not a number"),
    "a probe too short": (lambda n: n.update(probe=n["probe"][:1]), "'probe' must be 4 arrays"),
    "NaN means": (_scaled("means", np.nan), "'means' holds NaN or infinite values"),
    "a NaN threshold": (lambda n: n.update(threshold=float("nan")),
                        "'threshold' is nan, not a finite number"),
    "a zero scale": (_scaled("scale", 0), "'scale' holds zeros or negative values"),
    "no table at all": (None, "(settings 'novelty') is a list, not a table of settings"),
}


@pytest.fixture(scope="module")
def detector_settings(tiny_digit_model_with_detector):
    return load_model(tiny_digit_model_with_detector, compile=False).settings["novelty"]


def _with_novelty(source, novelty, path):
    """``source``'s model saved to ``path`` with ``novelty`` as its detector settings."""
    model = load_model(source, compile=False)
    model.settings["novelty"] = novelty
    model.save(path)
    return str(path)


@pytest.mark.parametrize("case", list(DAMAGED))
def test_a_damaged_detector_is_one_line(tiny_digit_model, detector_settings, seven, tmp_path, capsys, case):
    edit, expected = DAMAGED[case]
    novelty = {k: (list(v) if k == "probe" else v) for k, v in detector_settings.items()}
    if edit is None:
        novelty = [1, 2]
    else:
        edit(novelty)
    path = _with_novelty(tiny_digit_model, novelty, tmp_path / "edited.npz")
    for command in ("predict", "read"):
        status, out, errors = run(capsys, command, path, seven)
        assert status == 2 and out == ""                 # not "that doesn't look like a digit"
        assert len(errors) == 1, errors
        assert errors[0].startswith(f"glassnet {command}: error: {path}: its not-a-digit detector")
        assert expected in errors[0] and errors[0].endswith(f"fit a new one with: glassnet calibrate {path}")


def test_a_detector_made_for_another_model_is_one_line(model_file, detector_settings, seven, tmp_path,
                                                       capsys):
    path = _with_novelty(model_file, detector_settings, tmp_path / "other.npz")   # no hidden layers
    status, out, errors = run(capsys, "predict", path, seven)
    assert status == 2 and out == "" and len(errors) == 1
    assert errors[0].startswith(f"glassnet predict: error: {path}: its not-a-digit detector "
                                f"(settings 'novelty') was made for another model")


# -- 3. evaluate and report read a model built for flat rows, as predict does --------------------
@pytest.fixture(scope="module")
def flat_model(csv_data, tmp_path_factory):
    """A small MLP built with ``Input(shape=(784,))``, trained on flat rows."""
    from glassnet import layers, models

    model = models.Sequential([layers.Input(shape=(784,)), layers.Dense(32, activation="relu"),
                               layers.Dense(10, activation="softmax")], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(csv_data["x_train"].reshape(-1, 784) / 255.0, csv_data["y_train"], epochs=2, verbose=0)
    path = tmp_path_factory.mktemp("flat") / "flat.npz"
    model.save(path)
    return model, path


def test_evaluate_reads_a_flat_model_as_predict_does(flat_model, csv_data, capsys):
    model, path = flat_model
    status, out, errors = run(capsys, "evaluate", path, "--dataset", f"csv:{csv_data['csv']}")
    assert status == 0 and errors == []
    x_test = csv_data["x_test"].reshape(-1, 784) / 255.0   # predict's way: the same rows
    loss, accuracy = model.evaluate(x_test, csv_data["y_test"], verbose=0)
    assert out.splitlines()[0].startswith(f"{path}: test loss {loss:.4f}, test accuracy {accuracy:.2%} "
                                          f"on 100 ")


def test_report_reads_a_flat_model(flat_model, csv_data, tmp_path, capsys):
    out = tmp_path / "flat.html"
    status, stdout, errors = run(capsys, "report", flat_model[1], "--dataset", f"csv:{csv_data['csv']}",
                                 "--out", out)
    assert status == 0 and errors == [] and out.stat().st_size > 10_000
    assert f"wrote {out}" in stdout


def test_a_model_for_other_images_is_named_by_its_file(csv_data, tmp_path, capsys):
    from glassnet import layers, models

    model = models.Sequential([layers.Input(shape=(14, 56)), layers.Flatten(), layers.Dense(10)], seed=0)
    model.build()
    path = tmp_path / "wide.npz"
    model.save(path)
    status, _, errors = run(capsys, "evaluate", path, "--dataset", f"csv:{csv_data['csv']}")
    assert status == 2
    assert errors == [f"glassnet evaluate: error: {path}: the images have shape (28, 28) but model "
                      f"'{model.name}' was built for (14, 56): evaluate it on data like the data it was "
                      f"trained on"]
