"""The HTML report: every section, every picture inline, and a clean offline load in Chromium."""

import base64
import io
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from glassnet.errors import ShapeError
from glassnet.interfaces.cli import main
from glassnet.workbench import zoo
from glassnet.workbench.evaluation import evaluate_model
from glassnet.workbench.report import inside_section, write_report
from tiny_models import tiny_cnn, tiny_digits, tiny_mlp

SECTIONS = ["history", "per-class", "confusion", "mistakes", "predictions", "roc", "calibration",
            "inside", "model", "settings"]
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def digits():
    return tiny_digits(n_train=400, n_test=150)


@pytest.fixture(scope="module")
def mlp(digits):
    return tiny_mlp(digits[0], digits[1], epochs=3)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory, digits, mlp):
    x_train, y_train, x_test, y_test = digits
    result = evaluate_model(mlp, x_test / 255.0, y_test)
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(mlp, result, path, dataset="mnist", source="a test", explore=(x_train, y_train))
    return path


def sections_of(text):
    return re.findall(r'<section id="([^"]+)">', text)


def inline_images(text):
    """Every <img> source, decoded: they must all be base64 PNG data URLs."""
    sources = re.findall(r'<img[^>]* src="([^"]*)"', text)
    images = []
    for source in sources:
        assert source.startswith("data:image/png;base64,"), source[:60]
        images.append(Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))))
    return images


def test_every_section_and_picture_is_inside_the_file(report_file, mlp):
    text = report_file.read_text(encoding="utf-8")
    assert sections_of(text) == SECTIONS + ["dataset"]
    images = inline_images(text)
    # curves, 2 confusion matrices and the confusions' examples, mistakes, predictions, ROC,
    # reliability, weights, 4 explorer
    assert len(images) == 13 and all(image.format == "PNG" for image in images)
    assert 'alt="examples of the top confusions"' in text
    assert 'alt="misclassified images, each beside its saliency map"' in text
    assert "28x28 picture: red where ink excites the unit" in text       # inside, explained
    assert "Trainable params: 109,386" in text                      # the model summary (its total counts Adam's too)
    assert "learning_rate" in text and "batch_size" in text         # the settings
    assert '<table class="text">' in text
    assert text.count('<tr class="best">') == 1                    # the history table
    for digit in range(10):                                        # the per-class table
        assert re.search(rf"<tr><td>{digit}</td><td>\d+</td>", text)
    # offline: no script, no stylesheet or font to fetch, no address outside the file
    assert "<script" not in text and "<link rel=\"stylesheet\"" not in text
    assert not re.search(r"(src|href)=\"(https?:)?//", text)
    assert "url(" not in text


def test_a_cnn_report_shows_filters_and_feature_maps(digits):
    model = tiny_cnn(digits[0], digits[1])
    if model is None:
        pytest.skip("Conv2D / MaxPooling2D are not in glassnet.engine.layers yet")
    result = evaluate_model(model, digits[2][..., None] / 255.0, digits[3])
    anchor, _, inside = inside_section(model, result)
    assert anchor == "inside"
    convs = [layer.name for layer in model.layers if type(layer).__name__ == "Conv2D"]
    assert inside.count("<img") == len(convs)          # every convolution, filters beside maps
    for name in convs:
        assert f'alt="filters and feature maps of {name}"' in inside
    assert "A convolution slides small filters" in inside


def test_the_cards_say_it_in_plain_words(mlp, digits):
    from glassnet.workbench.report import summary_cards
    result = evaluate_model(mlp, digits[2] / 255.0, digits[3])
    cards = dict((what, value) for value, what in summary_cards(result))
    wrong = int((result.y_pred != result.y_true).sum())
    assert cards["read wrong"] == f"{wrong:,} of {len(result.y_true):,}"
    assert any(what.startswith("its most frequent mistake") for what in cards)
    assert not any("AUC" in what or "calibration error" in what for what in cards)


def test_a_short_run_is_drawn_batch_by_batch(digits):
    from glassnet.workbench.record import batch_losses
    from glassnet.workbench.report import history_section
    model = zoo.classic_mlp(seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    plain = history_section(model)   # never fitted
    assert "No training history" in plain[2]
    model.fit(digits[0] / 255.0, digits[1], epochs=1, batch_size=32, verbose=0)
    assert "drawn batch by batch" in history_section(model)[2]
    record = batch_losses(model)     # the model keeps every batch's loss (thinned)
    assert 0 < len(record["loss"]) <= 100 and record["epoch"][-1] == 1.0


def test_evaluate_makes_one_pass_and_gets_the_loss_right(mlp, digits, monkeypatch):
    x, y = digits[2] / 255.0, digits[3]
    expected_loss, _ = mlp.evaluate(x, y, verbose=0)
    monkeypatch.setattr(type(mlp), "evaluate", lambda *a, **k: pytest.fail("a second pass"))
    result = evaluate_model(mlp, x, y, batch_size=64)
    assert result.loss == pytest.approx(expected_loss, rel=1e-5)
    assert np.allclose(result.probs, mlp.predict(x), atol=1e-6)


def test_evaluating_on_data_that_does_not_fit_the_model(mlp, digits):
    with pytest.raises(ShapeError, match=r"images have shape \(14, 14\) but model 'classic_mlp' was built for \(28, 28\)"):
        evaluate_model(mlp, np.zeros((5, 14, 14)), np.zeros(5, int))
    with pytest.raises(ShapeError, match="the data has 26 classes but model 'classic_mlp' predicts 10"):
        evaluate_model(mlp, digits[2] / 255.0, digits[3], class_names=[chr(65 + i) for i in range(26)])
    with pytest.raises(ShapeError, match="labels go up to 12 but model 'classic_mlp' predicts only 10"):
        evaluate_model(mlp, np.zeros((2, 28, 28)), [3, 12])


def test_bad_output_path_fails_before_any_work(tmp_path, mlp, digits, monkeypatch):
    result = evaluate_model(mlp, digits[2] / 255.0, digits[3])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_report(mlp, result, tmp_path / "missing" / "report.html")
    monkeypatch.setattr("glassnet.workbench.plots.style.os.access", lambda path, mode: False)
    with pytest.raises(PermissionError, match="not writable"):
        write_report(mlp, result, tmp_path / "report.html")


# -- the command --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def csv_dataset(tmp_path_factory, digits):
    """A Kaggle-style train.csv of real digits: ``csv:PATH`` holds out its last sixth."""
    x, y = np.concatenate([digits[0], digits[2]]), np.concatenate([digits[1], digits[3]])
    path = tmp_path_factory.mktemp("csv") / "train.csv"
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    np.savetxt(path, np.c_[y, x.reshape(len(x), -1)], fmt="%d", delimiter=",", header=header, comments="")
    return path


def test_report_command_with_a_model_that_has_no_history(tmp_path, csv_dataset, capsys):
    untrained = zoo.classic_mlp(seed=0)
    untrained.compile()
    untrained.build()
    model_path, out = tmp_path / "untrained.npz", tmp_path / "untrained.html"
    untrained.save(model_path)
    assert main(["report", str(model_path), "--dataset", f"csv:{csv_dataset}", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "has no training history" in printed and f"wrote {out}" in printed
    text = out.read_text(encoding="utf-8")
    assert sections_of(text) == SECTIONS
    history = re.search(r'<section id="history">(.*?)</section>', text).group(1)
    assert "No training history" in history and "<img" not in history
    assert "records no training settings" in text


def test_report_command_bad_output_path(tmp_path, mlp, capsys):
    model_path = tmp_path / "model.npz"
    mlp.save(model_path)
    missing = tmp_path / "nowhere" / "r.html"
    assert main(["report", str(model_path), "--out", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{missing}: folder {missing.parent} does not exist" in err


# -- opened in a real browser, offline --------------------------------------------------------
def test_report_loads_in_headless_chromium_without_errors_or_network(report_file, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                                   "(pip install playwright; the browser is Debian's chromium)")
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    requests, problems = [], []
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh, empty profile
            executable_path=CHROMIUM, headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        try:
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.on("console", lambda message: message.type == "error" and problems.append(message.text))
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(report_file.as_uri(), wait_until="load")
            loaded = page.evaluate("Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
            headings = page.evaluate("Array.from(document.querySelectorAll('section h2')).map(h => h.textContent)")
        finally:
            context.close()
    assert problems == []
    outside = [url for url in requests if not url.startswith(("data:", report_file.as_uri()))]
    assert outside == [], f"the report asked the network for {outside}"
    assert len(loaded) == 13 and all(loaded)
    assert "Training history" in headings and "Per-class results" in headings
