"""``glassnet predict MODEL IMAGE...`` on drawings the tests make, with a tiny trained MLP."""

import json
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

from glassnet.interfaces.cli import main

STROKES = {"7": [(80, 60), (200, 60), (120, 230)], "1": [(140, 50), (140, 230)]}


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """A photo-like 7 (gray paper, dark ink), a drawn 1, a blank page and a text file."""
    folder = tmp_path_factory.mktemp("images")
    paths = {}
    for digit, line in STROKES.items():
        page = Image.new("RGB", (280, 280), (235, 230, 220))
        ImageDraw.Draw(page).line(line, fill=(30, 30, 40), width=22, joint="curve")
        paths[digit] = folder / f"digit{digit}.jpg"
        page.save(paths[digit], quality=90)
    paths["blank"] = folder / "blank.png"
    Image.new("L", (200, 200), 250).save(paths["blank"])
    paths["text"] = folder / "notes.png"
    paths["text"].write_text("not an image")
    return {k: str(v) for k, v in paths.items()}


def test_prints_digit_confidence_and_top3(tiny_digit_model, images, capsys):
    assert main(["predict", str(tiny_digit_model), images["7"], images["1"]]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith(f"{images['7']}: 7 (") and "top 3: 7 " in lines[0]
    assert lines[1].startswith(f"{images['1']}: 1 (")
    assert lines[0].count("%") == 4                     # the confidence and three guesses


def test_unsure_below_threshold(tiny_digit_model, images, capsys):
    main(["predict", str(tiny_digit_model), images["7"], "--threshold", "0.9999"])
    assert ": unsure, maybe 7 (" in capsys.readouterr().out


def test_blank_gets_no_guess(tiny_digit_model, images, capsys):
    assert main(["predict", str(tiny_digit_model), images["blank"]]) == 0
    assert capsys.readouterr().out.strip() == f"{images['blank']}: blank, no guess"


def test_bad_image_is_one_line_and_the_rest_still_run(tiny_digit_model, images, capsys):
    assert main(["predict", str(tiny_digit_model), images["text"], images["7"]]) == 2
    captured = capsys.readouterr()
    assert [line for line in captured.err.strip().splitlines() if not line.startswith("note:")] == [
        f"glassnet predict: error: {images['text']}: not an image glassnet can read "
        "(expected PNG, JPEG, BMP, GIF, WEBP or TIFF)"]
    assert "Traceback" not in captured.err
    assert captured.out.startswith(f"{images['7']}: 7")


def test_json_output(tiny_digit_model, images, capsys):
    code = main(["predict", str(tiny_digit_model), images["7"], images["blank"], images["text"],
                 "--json", "--top", "5"])
    assert code == 2
    results = json.loads(capsys.readouterr().out)
    seven, blank, text = results
    assert seven["status"] == "ok" and seven["label"] == "7" and seven["file"] == images["7"]
    probabilities = [t["probability"] for t in seven["top"]]
    assert len(probabilities) == 5 and probabilities == sorted(probabilities, reverse=True)
    assert seven["confidence"] == probabilities[0]
    assert blank["status"] == "blank" and blank["label"] is None
    assert text["status"] == "error" and "not an image" in text["error"]


def test_show_writes_each_image_beside_what_the_network_saw(tiny_digit_model, images, tmp_path, capsys):
    out = tmp_path / "seen.png"
    main(["predict", str(tiny_digit_model), images["7"], images["blank"], "--show", str(out)])
    assert f"wrote {out}" in capsys.readouterr().out
    with Image.open(out) as picture:
        assert picture.format == "PNG" and picture.height >= 2 * 220  # one row per image


def test_show_names_that_cannot_be_written_fail_before_any_work(tiny_digit_model, images, tmp_path, capsys):
    """--show x.txt was matplotlib's traceback after the work; --show out wrote out.png and
    said it wrote out; --show /missing/x.png failed only at the end."""
    for show, message in ((tmp_path / "x.txt", "can't write a picture as .txt; name it .png"),
                          (tmp_path / "missing" / "x.png", "does not exist"),
                          (tmp_path, "is a folder")):
        for command in ("predict", "read"):
            assert main([command, str(tiny_digit_model), images["7"], "--show", str(show)]) == 2
            captured = capsys.readouterr()
            assert captured.out == "" and f"glassnet {command}: error: {show}: " in captured.err
            assert message in captured.err and len(captured.err.strip().splitlines()) == 1
    out = tmp_path / "seen"
    assert main(["predict", str(tiny_digit_model), images["7"], "--show", str(out)]) == 0
    assert f"wrote {out}:" in capsys.readouterr().out and not (tmp_path / "seen.png").exists()
    with Image.open(out) as picture:
        assert picture.format == "PNG"


def test_bad_model_file(images, tmp_path, capsys):
    model = tmp_path / "model.npz"
    model.write_bytes(b"PK\x03\x04 truncated")
    assert main(["predict", str(model), images["7"]]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"glassnet predict: error: {model}: ") and len(err.strip().splitlines()) == 1


def test_model_that_does_not_read_digits(images, tmp_path, capsys):
    from glassnet import Sequential
    from glassnet.layers import Dense
    model = Sequential([Dense(3, input_shape=(10,))], seed=0)
    model.build()
    path = tmp_path / "other.npz"
    model.save(path)
    assert main(["predict", str(path), images["7"]]) == 2
    assert "28x28" in capsys.readouterr().err


def test_cli_output_matches_the_library(tiny_digit_model, images, capsys):
    from glassnet import load_model
    from glassnet.workbench.preprocess import to_mnist
    model = load_model(tiny_digit_model)
    expected = model.predict(to_mnist(images["1"])[None], verbose=0)[0]
    main(["predict", str(tiny_digit_model), images["1"], "--json", "--top", "10"])
    top = json.loads(capsys.readouterr().out)[0]["top"]
    got = {int(t["label"]): t["probability"] for t in top}
    np.testing.assert_allclose([got[d] for d in range(10)], expected, atol=1e-4)


# -- not a digit (issue 15) ---------------------------------------------------------------
@pytest.fixture(scope="module")
def static(tmp_path_factory):
    """Generated static, dark on light as if photographed: no digit at all."""
    from glassnet.datasets.nondigits import make_nondigits
    picture = make_nondigits(1, seed=5, kinds=("noise",)).images[0]
    path = tmp_path_factory.mktemp("static") / "static.png"
    Image.fromarray(255 - picture).save(path)
    return str(path)


def test_a_picture_that_is_not_a_digit_is_refused(tiny_digit_model_with_detector, images, static, capsys):
    model = str(tiny_digit_model_with_detector)
    assert main(["predict", model, images["7"], static, "--json"]) == 0
    captured = capsys.readouterr()
    results = json.loads(captured.out)
    assert [r["status"] for r in results] == ["ok", "not_a_digit"]
    assert results[0]["label"] == "7"
    assert results[1]["label"] in list("0123456789") and 0 < results[1]["confidence"] <= 1   # the nearest
    assert captured.err == ""                    # a model with a detector has nothing to note
    assert main(["predict", model, static]) == 0
    assert capsys.readouterr().out.startswith(f"{static}: that doesn't look like a digit (the nearest is ")


def test_a_model_without_a_detector_says_so_once(tiny_digit_model, images, capsys):
    assert main(["predict", str(tiny_digit_model), images["7"], images["1"], "--json"]) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)) == 2           # stdout is still JSON
    assert captured.err.count("no not-a-digit detector") == 1
    assert f"glassnet calibrate {tiny_digit_model}" in captured.err


def test_show_draws_which_pixels_mattered(tiny_digit_model, images, tmp_path, monkeypatch, capsys):
    from glassnet.workbench import saliency
    asked = []
    real = saliency.saliency
    monkeypatch.setattr(saliency, "saliency", lambda model, x, **kw: asked.append(x.shape) or real(model, x, **kw))
    out = tmp_path / "why.png"
    assert main(["predict", str(tiny_digit_model), images["7"], images["1"], "--show", str(out)]) == 0
    assert "which pixels mattered" in capsys.readouterr().out
    assert asked == [(1, 28, 28), (1, 28, 28)]          # one saliency map per image
    with Image.open(out) as picture:
        rgb = np.asarray(picture.convert("RGB"), np.int16)
    orange = (rgb[..., 0] - rgb[..., 2] > 80).sum()      # the overlay's orange is on the picture
    assert orange > 100


def test_a_warning_is_one_line_without_python_s_file_and_source_line(tiny_digit_model, images, capsys,
                                                                      tmp_path, monkeypatch):
    """A GIF of two frames is read from its first, and the command says so in one line (it
    printed Python's ``.../images.py:160: UserWarning:`` and the source line under it)."""
    import warnings
    frames = [Image.open(images["1"]).convert("L"), Image.new("L", (280, 280), 255)]
    gif = tmp_path / "two.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:])

    def show(message, category, filename, lineno, file=None, line=None):   # Python's, minus the file
        print(warnings.formatwarning(message, category, filename, lineno, line), end="", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        monkeypatch.setattr(warnings, "showwarning", show)
        assert main(["predict", str(tiny_digit_model), str(gif)]) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("note: ")]
    assert warned == [f"glassnet predict: warning: {gif}: 2 frames (an animation or a multi-page file); "
                      f"reading the first only"]
    assert warnings.formatwarning("x", UserWarning, "f.py", 1, "").startswith("f.py:1: UserWarning")  # restored
